/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * uAPI of amdgpu_glue, a KFD-style DRM driver on a simulated GPU (simgpu).
 * One render node per simgpu device. A process context (CTX) mirrors the
 * whole address space of the process that created it; any address is a
 * GPU address. How GPU accesses to memory are resolved depends on the
 * context's XNACK mode:
 *
 * - XNACK on: the GPU retries faulting accesses; the driver serves the
 *   fault and the access goes on. Memory never set up is faulted in.
 * - XNACK off: the GPU cannot retry. Memory the GPU may touch is mapped
 *   ahead of time by DRM_IOCTL_AMDGPU_GLUE_SVM (SET_ATTR with ACCESSIBLE or
 *   GPU_ALWAYS_MAPPED); when the CPU side changes it, the context's queues
 *   are evicted and restored once the mappings are valid again. An access
 *   to anything else cancels the job with -EFAULT.
 *
 * Work reaches the GPU through user-mode queues (QUEUE_CREATE, then mmap
 * of the queue's pages at the returned offset: no ioctl per submission) or
 * through EXEC and WAIT.
 *
 * The ioctls that touch memory (SVM, EXEC, QUEUE_CREATE) return -EACCES
 * from a process whose mm is not the context's. Errors change nothing,
 * except where a comment says otherwise.
 */

#ifndef __AMDGPU_GLUE_DRM_H__
#define __AMDGPU_GLUE_DRM_H__

#include <drm/drm.h>

#define DRM_AMDGPU_GLUE_CTX_CREATE	0x00
#define DRM_AMDGPU_GLUE_CTX_DESTROY	0x01
#define DRM_AMDGPU_GLUE_SET_XNACK	0x02
#define DRM_AMDGPU_GLUE_SVM		0x03
#define DRM_AMDGPU_GLUE_EXEC		0x04
#define DRM_AMDGPU_GLUE_WAIT		0x05
#define DRM_AMDGPU_GLUE_QUEUE_CREATE	0x06
#define DRM_AMDGPU_GLUE_QUEUE_DESTROY	0x07
#define DRM_AMDGPU_GLUE_QUEUE_WAIT	0x08
#define DRM_AMDGPU_GLUE_CTX_STATS	0x09
#define DRM_AMDGPU_GLUE_DEBUG		0x0a

/* Context flag: GPU faults are retried and served (XNACK on). */
#define DRM_AMDGPU_GLUE_CTX_XNACK	(1u << 0)

/**
 * struct drm_amdgpu_glue_ctx_create - Create a process context
 * @flags: 0 or %DRM_AMDGPU_GLUE_CTX_XNACK; other bits -EINVAL
 * @ctx_id: Out: handle, never 0
 */
struct drm_amdgpu_glue_ctx_create {
	__u32 flags;
	__u32 ctx_id;
};

/**
 * struct drm_amdgpu_glue_ctx_destroy - Destroy a context
 * @ctx_id: Handle; unknown -ENOENT
 * @pad: Must be 0
 *
 * Its queues, jobs and attributes go with it; jobs still running are
 * cancelled.
 */
struct drm_amdgpu_glue_ctx_destroy {
	__u32 ctx_id;
	__u32 pad;
};

/**
 * struct drm_amdgpu_glue_set_xnack - Switch XNACK on or off
 * @ctx_id: Handle
 * @enable: 0 or 1
 *
 * Only while the context has no queue and no unfinished job (-EBUSY).
 * Attributes already set keep their values.
 */
struct drm_amdgpu_glue_set_xnack {
	__u32 ctx_id;
	__u32 enable;
};

/* SVM operations. */
#define DRM_AMDGPU_GLUE_SVM_OP_SET_ATTR	0
#define DRM_AMDGPU_GLUE_SVM_OP_GET_ATTR	1

/* Attribute types, as KFD's KFD_IOCTL_SVM_ATTR_*. */
#define DRM_AMDGPU_GLUE_SVM_ATTR_PREFERRED_LOC	0
#define DRM_AMDGPU_GLUE_SVM_ATTR_PREFETCH_LOC	1
#define DRM_AMDGPU_GLUE_SVM_ATTR_ACCESSIBLE	2	/* device bitmap */
#define DRM_AMDGPU_GLUE_SVM_ATTR_SET_FLAGS	3
#define DRM_AMDGPU_GLUE_SVM_ATTR_CLR_FLAGS	4
#define DRM_AMDGPU_GLUE_SVM_ATTR_GRANULARITY	5	/* log2 pages */

/* Locations: system memory, device N (the Nth render node) as N + 1. */
#define DRM_AMDGPU_GLUE_SVM_LOC_SYSTEM		0
#define DRM_AMDGPU_GLUE_SVM_LOC_DEVICE(n__)	((n__) + 1)
#define DRM_AMDGPU_GLUE_SVM_LOC_UNDEFINED	0xffffffffu

/* Flags, with KFD's values. */
#define DRM_AMDGPU_GLUE_SVM_FLAG_HOST_ACCESS	0x01
#define DRM_AMDGPU_GLUE_SVM_FLAG_COHERENT	0x02
#define DRM_AMDGPU_GLUE_SVM_FLAG_GPU_RO		0x08
#define DRM_AMDGPU_GLUE_SVM_FLAG_GPU_EXEC	0x10
#define DRM_AMDGPU_GLUE_SVM_FLAG_GPU_ALWAYS_MAPPED 0x40
#define DRM_AMDGPU_GLUE_SVM_FLAGS_ALL		0x5b

#define DRM_AMDGPU_GLUE_SVM_MAX_GRANULARITY	18	/* 1 GiB */
#define DRM_AMDGPU_GLUE_SVM_MAX_ATTRS		64

/**
 * struct drm_amdgpu_glue_svm_attribute - One attribute
 * @type: DRM_AMDGPU_GLUE_SVM_ATTR_*
 * @value: The value to set, or (GET_ATTR) the value returned
 */
struct drm_amdgpu_glue_svm_attribute {
	__u32 type;
	__u32 value;
};

/**
 * struct drm_amdgpu_glue_svm - Set or get attributes of a VA span
 * @ctx_id: Handle
 * @op: DRM_AMDGPU_GLUE_SVM_OP_*
 * @start: Start, page aligned
 * @size: Bytes, page aligned, non-zero; the span must not wrap or leave the
 *	user address space
 * @nattr: Entries of @attrs, 1..%DRM_AMDGPU_GLUE_SVM_MAX_ATTRS
 * @pad: Must be 0
 * @attrs: User pointer to @nattr &struct drm_amdgpu_glue_svm_attribute
 *
 * Values: PREFERRED_LOC and PREFETCH_LOC a DRM_AMDGPU_GLUE_SVM_LOC_* (a
 * device that does not exist: -EINVAL); ACCESSIBLE a bitmap of devices
 * (bit N: the Nth render node; bits of devices that do not exist:
 * -EINVAL); SET_FLAGS and CLR_FLAGS a mask of DRM_AMDGPU_GLUE_SVM_FLAG_*
 * (other bits -EINVAL); GRANULARITY 0..%DRM_AMDGPU_GLUE_SVM_MAX_GRANULARITY.
 *
 * SET_ATTR applies the attributes in order (a later one of the same type
 * wins) to every page of the span. The whole span must be mapped by the
 * CPU (-EFAULT otherwise, nothing set). The attributes outlive the memory:
 * a munmap does not reset them. Then, for the span: a PREFETCH_LOC other
 * than UNDEFINED moves the data there now and maps it; with XNACK off the
 * span is mapped now if ACCESSIBLE has this device or GPU_ALWAYS_MAPPED is
 * set, and kept mapped. If that part fails (-ENOMEM, -EBUSY, -EINTR) the
 * attributes stay set and the error is returned.
 *
 * An address never set has: PREFERRED_LOC and PREFETCH_LOC UNDEFINED,
 * ACCESSIBLE every device with XNACK on and none with XNACK off,
 * GRANULARITY 9, flags HOST_ACCESS | COHERENT. A span set later starts from
 * these (of the context's mode at the time).
 *
 * GET_ATTR fills each entry's value from the span, set parts and never set
 * parts alike, with KFD's convention where pages differ: a location is
 * UNDEFINED unless every page has the same one; ACCESSIBLE is the devices
 * every page has; SET_FLAGS the flags every page has; CLR_FLAGS the flags
 * no page has; GRANULARITY the smallest. The span need not be mapped.
 */
struct drm_amdgpu_glue_svm {
	__u32 ctx_id;
	__u32 op;
	__u64 start;
	__u64 size;
	__u32 nattr;
	__u32 pad;
	__u64 attrs;
};

/* Job operations (as simgpu's), see drm_amdgpu_glue_op.code. */
#define DRM_AMDGPU_GLUE_OP_LOAD		0	/* result += sum of u32 */
#define DRM_AMDGPU_GLUE_OP_STORE	1	/* u32 value over the span */
#define DRM_AMDGPU_GLUE_OP_ADD		2	/* each u32 += value */
#define DRM_AMDGPU_GLUE_OP_ATOMIC_ADD	3	/* same, atomically */
#define DRM_AMDGPU_GLUE_OP_MEMSET	4	/* bytes = value & 0xff */
#define DRM_AMDGPU_GLUE_OP_COPY		5	/* [va, +len) = [src, +len) */

/**
 * struct drm_amdgpu_glue_op - One GPU operation
 * @code: DRM_AMDGPU_GLUE_OP_*
 * @value: Operand
 * @va: Destination (source of a load), a process address
 * @src: Source of a copy
 * @len: Bytes, non-zero; a multiple of 4 and @va 4-byte aligned for the
 *	u32 operations; spans must not wrap, a copy's source and destination
 *	must not overlap (-EINVAL)
 */
struct drm_amdgpu_glue_op {
	__u32 code;
	__u32 value;
	__u64 va;
	__u64 src;
	__u64 len;
};

#define DRM_AMDGPU_GLUE_EXEC_MAX_OPS	128
/* Unfinished EXEC jobs a context may have. */
#define DRM_AMDGPU_GLUE_MAX_JOBS	256

/**
 * struct drm_amdgpu_glue_exec - Run operations as one job
 * @ctx_id: Handle
 * @num_ops: 1..%DRM_AMDGPU_GLUE_EXEC_MAX_OPS
 * @ops: User pointer to @num_ops &struct drm_amdgpu_glue_op
 * @job_id: Out: handle for DRM_IOCTL_AMDGPU_GLUE_WAIT, never 0
 *
 * -EBUSY when the context has %DRM_AMDGPU_GLUE_MAX_JOBS unwaited jobs.
 */
struct drm_amdgpu_glue_exec {
	__u32 ctx_id;
	__u32 num_ops;
	__u64 ops;
	__u64 job_id;
};

/*
 * Wait flag: wait as a caller in memory reclaim would. If the job may
 * depend on a GPU fault being served (XNACK on, or an evicted context
 * with XNACK off), the wait backs off at once with -EDEADLK instead.
 */
#define DRM_AMDGPU_GLUE_WAIT_RECLAIM	(1u << 0)

/**
 * struct drm_amdgpu_glue_wait - Wait for a job and retire its handle
 * @ctx_id: Handle
 * @flags: 0 or %DRM_AMDGPU_GLUE_WAIT_RECLAIM
 * @job_id: From EXEC; unknown -ENOENT
 * @timeout_ns: Relative; < 0 for ever. -ETIME on timeout, -EDEADLK on
 *	back-off, -ERESTARTSYS on a signal; the handle stays valid then
 * @status: Out: 0, or the errno the job was cancelled with (-EFAULT: an
 *	access to memory not mapped (XNACK off) or not mapped by the CPU;
 *	-EPERM: a write to read-only memory; -EACCES: memory whose
 *	ACCESSIBLE lacks this device)
 * @pad: Must be 0
 * @result: Out: sum of every u32 the job loaded
 */
struct drm_amdgpu_glue_wait {
	__u32 ctx_id;
	__u32 flags;
	__u64 job_id;
	__s64 timeout_ns;
	__s32 status;
	__u32 pad;
	__u64 result;
};

/*
 * User queues. The queue's pages are mapped with mmap() of the render node
 * at &drm_amdgpu_glue_queue_create.mmap_offset, &.mmap_size bytes, shared:
 * page 0 is &struct drm_amdgpu_glue_queue_ctl, the rest the ring of
 * &struct drm_amdgpu_glue_packet. To submit: write a packet into slot
 * wptr % num_packets, then store wptr + 1 into wptr with release
 * semantics. The device notices within about a millisecond, runs packets
 * one at a time, in order, writes status and result into the slot and
 * then advances done (read it with acquire semantics). A slot may be
 * written again once done passed it.
 */
#define DRM_AMDGPU_GLUE_PACKET_OPS	7
#define DRM_AMDGPU_GLUE_QUEUE_MAX_RING_PAGES	64
#define DRM_AMDGPU_GLUE_MAX_QUEUES	8

/**
 * struct drm_amdgpu_glue_packet - One ring slot (256 bytes)
 * @nops: Operations in @ops, 1..%DRM_AMDGPU_GLUE_PACKET_OPS (else the
 *	packet retires with -EINVAL without running)
 * @flags: Must be 0
 * @status: Written by the device: 0 or the job's -errno
 * @pad: Unused
 * @result: Written by the device: sum of every u32 loaded
 * @reserved: Unused
 * @ops: The operations
 */
struct drm_amdgpu_glue_packet {
	__u32 nops;
	__u32 flags;
	__s32 status;
	__u32 pad;
	__u64 result;
	__u64 reserved;
	struct drm_amdgpu_glue_op ops[DRM_AMDGPU_GLUE_PACKET_OPS];
};

/**
 * struct drm_amdgpu_glue_queue_ctl - The read/write pointer page
 * @wptr: User: packets submitted
 * @rptr: Device: packets fetched
 * @done: Device: packets retired
 * @errors: Device: packets retired with an error
 * @error: Device: -EINVAL if @wptr ran more than a ring ahead of @rptr;
 *	the queue stopped
 * @pad: Unused
 */
struct drm_amdgpu_glue_queue_ctl {
	__u64 wptr;
	__u64 rptr;
	__u64 done;
	__u64 errors;
	__s32 error;
	__u32 pad;
};

/**
 * struct drm_amdgpu_glue_queue_create - Create a user queue
 * @ctx_id: Handle
 * @ring_pages: Ring size, 1..%DRM_AMDGPU_GLUE_QUEUE_MAX_RING_PAGES pages
 * @queue_id: Out: handle, never 0
 * @num_packets: Out: ring slots
 * @mmap_offset: Out: offset to mmap the queue's pages at
 * @mmap_size: Out: bytes to map
 *
 * At most %DRM_AMDGPU_GLUE_MAX_QUEUES per context (-EBUSY).
 */
struct drm_amdgpu_glue_queue_create {
	__u32 ctx_id;
	__u32 ring_pages;
	__u32 queue_id;
	__u32 num_packets;
	__u64 mmap_offset;
	__u64 mmap_size;
};

/**
 * struct drm_amdgpu_glue_queue_destroy - Destroy a user queue
 * @ctx_id: Handle
 * @queue_id: Handle; unknown -ENOENT
 *
 * The packet in flight is cancelled. A mapping of its pages stays valid
 * memory, which the device no longer reads or writes.
 */
struct drm_amdgpu_glue_queue_destroy {
	__u32 ctx_id;
	__u32 queue_id;
};

/**
 * struct drm_amdgpu_glue_queue_wait - Sleep until packets retired
 * @ctx_id: Handle
 * @queue_id: Handle
 * @done: Return once the queue's done pointer reaches this
 * @timeout_ns: Relative; < 0 for ever; -ETIME on timeout
 *
 * A convenience: user space may as well poll the done pointer. -EINVAL if
 * the queue stopped on a bad write pointer.
 */
struct drm_amdgpu_glue_queue_wait {
	__u32 ctx_id;
	__u32 queue_id;
	__u64 done;
	__s64 timeout_ns;
};

/* Context state bits, see drm_amdgpu_glue_ctx_stats.state. */
#define DRM_AMDGPU_GLUE_STATE_XNACK	(1u << 0)
#define DRM_AMDGPU_GLUE_STATE_EVICTED	(1u << 1)

/**
 * struct drm_amdgpu_glue_ctx_stats - What a context did so far
 * @ctx_id: Handle
 * @state: Out: DRM_AMDGPU_GLUE_STATE_*
 * @gpu_faults: GPU fault records handled
 * @stale_faults: Retry faults dropped as stale (the CPU unmapped the
 *	address after the fault was raised)
 * @fatal_faults: Faults that cancelled a job
 * @pages_mapped: 4 KiB pages that became mapped on the GPU
 * @migrations_to_vram: Pages this context moved to VRAM
 * @migrations_to_ram: Pages moved to system memory from this device's
 *	VRAM (device wide)
 * @invalidations: Invalidations that zapped GPU mappings
 * @evictions: Queue evictions (XNACK off)
 * @restores: Completed restores
 * @evict_fence_seqno: Sequence number of the current eviction fence
 * @evict_fence_signaled: 1 if it is signalled (the queues are evicted)
 * @queues: User queues
 * @queues_suspended: Of those, suspended
 * @jobs: EXEC jobs submitted
 * @jobs_failed: EXEC jobs and packets cancelled with an error
 * @parked: Faulted jobs waiting for a restore
 * @faults_pending: Fault records queued, not served yet
 * @device: Index of the context's device: its memory is
 *	DRM_AMDGPU_GLUE_SVM_LOC_DEVICE(@device), its ACCESSIBLE bit 1 << @device
 * @bind_retries: Binds that lost a race with an invalidation
 */
struct drm_amdgpu_glue_ctx_stats {
	__u32 ctx_id;
	__u32 state;
	__u64 gpu_faults;
	__u64 stale_faults;
	__u64 fatal_faults;
	__u64 pages_mapped;
	__u64 migrations_to_vram;
	__u64 migrations_to_ram;
	__u64 invalidations;
	__u64 evictions;
	__u64 restores;
	__u64 evict_fence_seqno;
	__u32 evict_fence_signaled;
	__u32 queues;
	__u32 queues_suspended;
	__u32 parked;
	__u32 faults_pending;
	__u32 device;
	__u64 jobs;
	__u64 jobs_failed;
	__u64 bind_retries;
};

/* Test knobs, only with the module parameter test_knobs=1 (else -EPERM). */
#define DRM_AMDGPU_GLUE_DEBUG_HOLD_FAULTS	1	/* queue faults, serve none */
#define DRM_AMDGPU_GLUE_DEBUG_RELEASE_FAULTS	2
#define DRM_AMDGPU_GLUE_DEBUG_HOLD_RESTORE	3	/* evicted queues stay so */
#define DRM_AMDGPU_GLUE_DEBUG_RELEASE_RESTORE	4
#define DRM_AMDGPU_GLUE_DEBUG_EVICT		5	/* wait on the eviction fence */

/**
 * struct drm_amdgpu_glue_debug - Test knobs
 * @ctx_id: Handle
 * @op: DRM_AMDGPU_GLUE_DEBUG_*
 *
 * EVICT waits on the context's eviction fence as a memory manager would
 * before moving the process's memory: the wait makes the context evict its
 * queues, and returns once they are.
 */
struct drm_amdgpu_glue_debug {
	__u32 ctx_id;
	__u32 op;
};

#define DRM_IOCTL_AMDGPU_GLUE_CTX_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_AMDGPU_GLUE_CTX_CREATE, struct drm_amdgpu_glue_ctx_create)
#define DRM_IOCTL_AMDGPU_GLUE_CTX_DESTROY \
	DRM_IOW(DRM_COMMAND_BASE + DRM_AMDGPU_GLUE_CTX_DESTROY, struct drm_amdgpu_glue_ctx_destroy)
#define DRM_IOCTL_AMDGPU_GLUE_SET_XNACK \
	DRM_IOW(DRM_COMMAND_BASE + DRM_AMDGPU_GLUE_SET_XNACK, struct drm_amdgpu_glue_set_xnack)
#define DRM_IOCTL_AMDGPU_GLUE_SVM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_AMDGPU_GLUE_SVM, struct drm_amdgpu_glue_svm)
#define DRM_IOCTL_AMDGPU_GLUE_EXEC \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_AMDGPU_GLUE_EXEC, struct drm_amdgpu_glue_exec)
#define DRM_IOCTL_AMDGPU_GLUE_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_AMDGPU_GLUE_WAIT, struct drm_amdgpu_glue_wait)
#define DRM_IOCTL_AMDGPU_GLUE_QUEUE_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_AMDGPU_GLUE_QUEUE_CREATE, \
		 struct drm_amdgpu_glue_queue_create)
#define DRM_IOCTL_AMDGPU_GLUE_QUEUE_DESTROY \
	DRM_IOW(DRM_COMMAND_BASE + DRM_AMDGPU_GLUE_QUEUE_DESTROY, \
		struct drm_amdgpu_glue_queue_destroy)
#define DRM_IOCTL_AMDGPU_GLUE_QUEUE_WAIT \
	DRM_IOW(DRM_COMMAND_BASE + DRM_AMDGPU_GLUE_QUEUE_WAIT, struct drm_amdgpu_glue_queue_wait)
#define DRM_IOCTL_AMDGPU_GLUE_CTX_STATS \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_AMDGPU_GLUE_CTX_STATS, struct drm_amdgpu_glue_ctx_stats)
#define DRM_IOCTL_AMDGPU_GLUE_DEBUG \
	DRM_IOW(DRM_COMMAND_BASE + DRM_AMDGPU_GLUE_DEBUG, struct drm_amdgpu_glue_debug)

#endif /* __AMDGPU_GLUE_DRM_H__ */
