/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * uAPI of xe_glue, an xe-style DRM driver on a simulated GPU (simgpu). One
 * render node per simgpu device. A VM in fault mode mirrors the whole
 * address space of the process that created it (system-allocator mode):
 * any malloc'ed or mmap'ed address is a GPU address, resolved on the first
 * GPU fault.
 *
 * The ioctls that touch memory (MADVISE, PREFETCH, EXEC) return -EACCES
 * when called from a process whose mm is not the VM's (a forked child
 * holding the file); WAIT, VM_STATS and VM_DESTROY work from any holder.
 * Errors change nothing.
 */

#ifndef __XE_GLUE_DRM_H__
#define __XE_GLUE_DRM_H__

#include <drm/drm.h>

#define DRM_XE_GLUE_VM_CREATE	0x00
#define DRM_XE_GLUE_VM_DESTROY	0x01
#define DRM_XE_GLUE_MADVISE	0x02
#define DRM_XE_GLUE_PREFETCH	0x03
#define DRM_XE_GLUE_EXEC	0x04
#define DRM_XE_GLUE_WAIT	0x05
#define DRM_XE_GLUE_VM_STATS	0x06

/* Create flag: the VM mirrors the process through GPU page faults. Required. */
#define DRM_XE_GLUE_VM_CREATE_FAULT_MODE	(1u << 0)

/**
 * struct drm_xe_glue_vm_create - Create a VM mirroring the caller's mm
 * @flags: %DRM_XE_GLUE_VM_CREATE_FAULT_MODE; other bits -EINVAL
 * @vm_id: Out: handle, never 0
 */
struct drm_xe_glue_vm_create {
	__u32 flags;
	__u32 vm_id;
};

/**
 * struct drm_xe_glue_vm_destroy - Destroy a VM
 * @vm_id: Handle; unknown -ENOENT
 * @pad: Must be 0
 *
 * The VM's handle and its jobs' handles go at once (later use: -ENOENT).
 * The VM itself goes when no ioctl uses it any more, and its jobs still
 * waiting for a fault are cancelled then; an ioctl in flight on the VM (a
 * WAIT) finishes normally.
 */
struct drm_xe_glue_vm_destroy {
	__u32 vm_id;
	__u32 pad;
};

/* Memory locations, for madvise and prefetch. */
#define DRM_XE_GLUE_LOC_DEFAULT	0	/* policy.c decides */
#define DRM_XE_GLUE_LOC_SYSTEM	1
#define DRM_XE_GLUE_LOC_DEVICE	2

/* Atomic access modes, for madvise. */
#define DRM_XE_GLUE_ATOMIC_DEFAULT	0	/* device memory or device-exclusive */
#define DRM_XE_GLUE_ATOMIC_DEVICE	1	/* device memory required */
#define DRM_XE_GLUE_ATOMIC_GLOBAL	2	/* system memory, device-exclusive */

/**
 * struct drm_xe_glue_madvise - Set attributes of a VA span
 * @vm_id: Handle
 * @preferred_loc: DRM_XE_GLUE_LOC_*
 * @start: Start, page aligned
 * @range: Bytes, page aligned, non-zero; the span must not wrap or leave
 *	the user address space
 * @atomic: DRM_XE_GLUE_ATOMIC_*
 * @pad: Must be 0
 *
 * Attributes apply to GPU faults and prefetches that start after the call;
 * memory already placed stays where it is.
 */
struct drm_xe_glue_madvise {
	__u32 vm_id;
	__u32 preferred_loc;
	__u64 start;
	__u64 range;
	__u32 atomic;
	__u32 pad;
};

/**
 * struct drm_xe_glue_prefetch - Populate a span and place it
 * @vm_id: Handle
 * @location: DRM_XE_GLUE_LOC_SYSTEM or DRM_XE_GLUE_LOC_DEVICE
 * @start: Start, page aligned
 * @range: Bytes, page aligned, non-zero
 *
 * Faults the span in (as a GPU read would) and binds it, migrating it to
 * VRAM for DRM_XE_GLUE_LOC_DEVICE when policy.c agrees. Unmapped parts of
 * the span are an error (-EFAULT); nothing is bound there.
 */
struct drm_xe_glue_prefetch {
	__u32 vm_id;
	__u32 location;
	__u64 start;
	__u64 range;
};

/* Job operations, see drm_xe_glue_op.code. */
#define DRM_XE_GLUE_OP_LOAD		0	/* result += sum of u32 at [va, va+len) */
#define DRM_XE_GLUE_OP_STORE		1	/* u32 value over [va, va+len) */
#define DRM_XE_GLUE_OP_ADD		2	/* each u32 += value */
#define DRM_XE_GLUE_OP_ATOMIC_ADD	3	/* each u32 += value, atomically */
#define DRM_XE_GLUE_OP_MEMSET		4	/* bytes = value & 0xff */
#define DRM_XE_GLUE_OP_COPY		5	/* [va, va+len) = [src, src+len) */

/**
 * struct drm_xe_glue_op - One GPU operation
 * @code: DRM_XE_GLUE_OP_*
 * @value: Operand
 * @va: Destination (source for a load), GPU VA = process VA
 * @src: Source of a copy, else 0
 * @len: Bytes, non-zero; a multiple of 4 and @va 4-byte aligned for the
 *	u32 operations; spans must not wrap, and a copy's source and
 *	destination must not overlap (-EINVAL)
 */
struct drm_xe_glue_op {
	__u32 code;
	__u32 value;
	__u64 va;
	__u64 src;
	__u64 len;
};

#define DRM_XE_GLUE_MAX_OPS	256

/**
 * struct drm_xe_glue_exec - Submit a job
 * @vm_id: Handle
 * @num_ops: 1..%DRM_XE_GLUE_MAX_OPS
 * @ops: User pointer to @num_ops &struct drm_xe_glue_op
 * @job_id: Out: handle for DRM_IOCTL_XE_GLUE_WAIT, never 0
 */
struct drm_xe_glue_exec {
	__u32 vm_id;
	__u32 num_ops;
	__u64 ops;
	__u64 job_id;
};

/**
 * struct drm_xe_glue_wait - Wait for a job and retire its handle
 * @vm_id: Handle
 * @pad: Must be 0
 * @job_id: From DRM_IOCTL_XE_GLUE_EXEC; unknown -ENOENT
 * @timeout_ns: Relative; < 0 waits for ever. -ETIME on timeout, and the
 *	handle stays valid
 * @status: Out: 0, or the negative errno the job was cancelled with
 *	(-EFAULT: a GPU access to an address the CPU has not mapped;
 *	-EPERM: a write to read-only memory)
 * @pad2: Must be 0
 * @result: Out: sum of every u32 the job loaded
 */
struct drm_xe_glue_wait {
	__u32 vm_id;
	__u32 pad;
	__u64 job_id;
	__s64 timeout_ns;
	__s32 status;
	__u32 pad2;
	__u64 result;
};

/**
 * struct drm_xe_glue_vm_stats - What a VM has done so far
 * @vm_id: Handle
 * @pad: Must be 0
 * @gpu_faults: Fault records served
 * @pages_mapped: 4 KiB pages bound (a 2 MiB entry counts 512)
 * @migrations_to_vram: Pages moved to VRAM by this VM's faults and
 *	prefetches
 * @migrations_to_ram: Pages moved to system memory from this device's VRAM
 *	(CPU faults and evictions; device wide)
 * @bytes_to_vram: @migrations_to_vram in bytes
 * @bytes_to_ram: @migrations_to_ram in bytes
 * @retries: get_pages retries after an invalidation race
 * @invalidations: Invalidations that zapped GPU entries
 * @tlb_flushes: TLB flushes
 * @jobs: Jobs submitted
 * @jobs_failed: Jobs cancelled with an error
 * @evictions: VRAM allocations evicted to make room
 */
struct drm_xe_glue_vm_stats {
	__u32 vm_id;
	__u32 pad;
	__u64 gpu_faults;
	__u64 pages_mapped;
	__u64 migrations_to_vram;
	__u64 migrations_to_ram;
	__u64 bytes_to_vram;
	__u64 bytes_to_ram;
	__u64 retries;
	__u64 invalidations;
	__u64 tlb_flushes;
	__u64 jobs;
	__u64 jobs_failed;
	__u64 evictions;
};

#define DRM_IOCTL_XE_GLUE_VM_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_XE_GLUE_VM_CREATE, struct drm_xe_glue_vm_create)
#define DRM_IOCTL_XE_GLUE_VM_DESTROY \
	DRM_IOW(DRM_COMMAND_BASE + DRM_XE_GLUE_VM_DESTROY, struct drm_xe_glue_vm_destroy)
#define DRM_IOCTL_XE_GLUE_MADVISE \
	DRM_IOW(DRM_COMMAND_BASE + DRM_XE_GLUE_MADVISE, struct drm_xe_glue_madvise)
#define DRM_IOCTL_XE_GLUE_PREFETCH \
	DRM_IOW(DRM_COMMAND_BASE + DRM_XE_GLUE_PREFETCH, struct drm_xe_glue_prefetch)
#define DRM_IOCTL_XE_GLUE_EXEC \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_XE_GLUE_EXEC, struct drm_xe_glue_exec)
#define DRM_IOCTL_XE_GLUE_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_XE_GLUE_WAIT, struct drm_xe_glue_wait)
#define DRM_IOCTL_XE_GLUE_VM_STATS \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_XE_GLUE_VM_STATS, struct drm_xe_glue_vm_stats)

#endif /* __XE_GLUE_DRM_H__ */
