/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * uAPI of nouveau_glue, a nouveau-style DRM driver on a simulated GPU
 * (simgpu), modelled on nouveau's SVM uAPI (NOUVEAU_SVM_INIT and
 * NOUVEAU_SVM_BIND in include/uapi/drm/nouveau_drm.h). One render node per
 * simgpu device.
 *
 * A channel is created with SVM enabled over a window of the caller's
 * address space (SVM_INIT): inside the window every process address is a
 * GPU address, resolved through GPU faults that the device reports in its
 * fault buffer; outside it the GPU faults and the job is cancelled with
 * -EFAULT. SVM_BIND gives a span attributes (preferred location, atomic
 * mode) or migrates it to VRAM or to system memory, as nouveau's
 * SVM_BIND MIGRATE command does. EXEC submits a job of GPU operations on
 * a channel, WAIT waits for one.
 *
 * The ioctls that touch memory (SVM_BIND, EXEC) return -EACCES from a
 * process whose mm is not the channel's; the others work from any holder of
 * the file. Errors change nothing.
 */

#ifndef __NOUVEAU_GLUE_DRM_H__
#define __NOUVEAU_GLUE_DRM_H__

#include <drm/drm.h>

#define DRM_NOUVEAU_GLUE_SVM_INIT	0x00
#define DRM_NOUVEAU_GLUE_CHANNEL_FREE	0x01
#define DRM_NOUVEAU_GLUE_SVM_BIND	0x02
#define DRM_NOUVEAU_GLUE_EXEC		0x03
#define DRM_NOUVEAU_GLUE_WAIT		0x04
#define DRM_NOUVEAU_GLUE_SVM_STATS	0x05

/* SVM_INIT flag: mirror the whole user address space; va_* must be 0. */
#define DRM_NOUVEAU_GLUE_SVM_INIT_ALL	(1u << 0)

/**
 * struct drm_nouveau_glue_svm_init - Create a channel with SVM enabled
 * @va_start: First address the GPU may mirror, page aligned
 * @va_size: Bytes, page aligned, non-zero; the window must not wrap or
 *	leave the user address space
 * @flags: 0, or %DRM_NOUVEAU_GLUE_SVM_INIT_ALL (then @va_start and
 *	@va_size must be 0)
 * @channel: Out: handle, never 0
 */
struct drm_nouveau_glue_svm_init {
	__u64 va_start;
	__u64 va_size;
	__u32 flags;
	__u32 channel;
};

/**
 * struct drm_nouveau_glue_channel_free - Destroy a channel
 * @channel: Handle; unknown -ENOENT
 * @pad: Must be 0
 *
 * Its jobs still waiting for a fault are cancelled (-ECANCELED) and their
 * handles go with the channel.
 */
struct drm_nouveau_glue_channel_free {
	__u32 channel;
	__u32 pad;
};

/* SVM_BIND commands. */
#define DRM_NOUVEAU_GLUE_BIND_ATTR	0	/* set location and atomic mode */
#define DRM_NOUVEAU_GLUE_BIND_MIGRATE	1	/* move the span to @target */

/* Locations: preferred (ATTR) or destination (MIGRATE). */
#define DRM_NOUVEAU_GLUE_TARGET_DEFAULT	0	/* policy.c decides; ATTR only */
#define DRM_NOUVEAU_GLUE_TARGET_HOST	1	/* system memory */
#define DRM_NOUVEAU_GLUE_TARGET_VRAM	2	/* this device's memory */

/* Atomic modes (ATTR). */
#define DRM_NOUVEAU_GLUE_ATOMIC_DEFAULT	0	/* VRAM if placed there, else device-exclusive */
#define DRM_NOUVEAU_GLUE_ATOMIC_DEVICE	1	/* VRAM required, -EACCES otherwise */
#define DRM_NOUVEAU_GLUE_ATOMIC_GLOBAL	2	/* system memory, device-exclusive */

/**
 * struct drm_nouveau_glue_svm_bind - Bind a span to SVM, or migrate it
 * @channel: Handle
 * @command: DRM_NOUVEAU_GLUE_BIND_*
 * @va_start: Start, page aligned
 * @va_end: End (exclusive), page aligned, above @va_start; the span must
 *	lie in the channel's SVM window
 * @target: DRM_NOUVEAU_GLUE_TARGET_*; MIGRATE takes HOST or VRAM
 * @atomic: DRM_NOUVEAU_GLUE_ATOMIC_* for ATTR; 0 for MIGRATE
 * @result: Out: pages moved by MIGRATE, 0 for ATTR
 *
 * ATTR applies to GPU faults that start after the call; memory stays where
 * it is. MIGRATE to VRAM faults the span in (it must be mapped readable,
 * else -EFAULT) and moves it when policy.c agrees; MIGRATE to HOST brings
 * the span's VRAM pages back.
 */
struct drm_nouveau_glue_svm_bind {
	__u32 channel;
	__u32 command;
	__u64 va_start;
	__u64 va_end;
	__u32 target;
	__u32 atomic;
	__u64 result;
};

/* GPU operations of a job. */
#define DRM_NOUVEAU_GLUE_OP_LOAD	1	/* result += each u32 of [va, va+len) */
#define DRM_NOUVEAU_GLUE_OP_STORE	2	/* each u32 = value */
#define DRM_NOUVEAU_GLUE_OP_ADD		3	/* each u32 += value */
#define DRM_NOUVEAU_GLUE_OP_ATOMIC_ADD	4	/* each u32 += value, device atomic */
#define DRM_NOUVEAU_GLUE_OP_MEMSET	5	/* each byte = value & 0xff */
#define DRM_NOUVEAU_GLUE_OP_COPY	6	/* [va, va+len) = [src, src+len) */

/**
 * struct drm_nouveau_glue_op - One GPU operation
 * @op: DRM_NOUVEAU_GLUE_OP_*
 * @value: Operand
 * @va: Destination (source of a load), a GPU VA = process VA
 * @src: Source of a copy, else 0
 * @len: Bytes, non-zero; for the u32 operations a multiple of 4 with @va
 *	4-byte aligned; spans must not wrap or leave the user address space,
 *	a copy's source and destination must not overlap
 */
struct drm_nouveau_glue_op {
	__u32 op;
	__u32 value;
	__u64 va;
	__u64 src;
	__u64 len;
};

#define DRM_NOUVEAU_GLUE_MAX_OPS	128
/*
 * Job handles a channel may hold: submitted and not yet retired by a
 * successful WAIT. EXEC beyond it is -EBUSY, which bounds the kernel
 * memory one channel pins.
 */
#define DRM_NOUVEAU_GLUE_MAX_JOBS	1024

/**
 * struct drm_nouveau_glue_exec - Submit a job on a channel
 * @channel: Handle
 * @num_ops: 1..%DRM_NOUVEAU_GLUE_MAX_OPS
 * @ops: User pointer to @num_ops &struct drm_nouveau_glue_op
 * @job: Out: handle for DRM_IOCTL_NOUVEAU_GLUE_WAIT, never 0
 */
struct drm_nouveau_glue_exec {
	__u32 channel;
	__u32 num_ops;
	__u64 ops;
	__u64 job;
};

/**
 * struct drm_nouveau_glue_wait - Wait for a job and retire its handle
 * @channel: Handle
 * @flags: Must be 0
 * @job: From EXEC; unknown -ENOENT
 * @timeout_ns: Relative, < 0 for ever; -ETIME on timeout and the handle
 *	stays valid
 * @status: Out: 0, or the errno the job was cancelled with: -EFAULT for a
 *	GPU access outside the SVM window or to memory the CPU has not
 *	mapped, -EPERM for a write to read-only memory, -EACCES for an
 *	atomic that could not be placed, -ECANCELED for a freed channel
 * @pad: Must be 0
 * @result: Out: sum of every u32 the job loaded
 */
struct drm_nouveau_glue_wait {
	__u32 channel;
	__u32 flags;
	__u64 job;
	__s64 timeout_ns;
	__s32 status;
	__u32 pad;
	__u64 result;
};

/**
 * struct drm_nouveau_glue_svm_stats - What a channel has done so far
 * @channel: Handle
 * @pad: Must be 0
 * @fault_buffer_size: Entries of the device's fault buffer
 * @faults: Fault buffer entries of this channel processed
 * @faults_serviced: Faults served through the core (one per window)
 * @faults_coalesced: Entries answered by another entry's service
 * @faults_cancelled: Entries whose job was cancelled
 * @fault_posted: Entries the device wrote into its fault buffer (device
 *	wide)
 * @fault_batches: Batches the fault handler drained (device wide)
 * @fault_overflows: Entries the device dropped on a full buffer (device
 *	wide)
 * @replays: Replays of every stalled access (device wide)
 * @pages_mapped: 4 KiB pages bound (a 2 MiB entry counts 512)
 * @atomic_binds: Binds that gave the GPU atomic access to system memory
 *	(device-exclusive pages)
 * @migrations_to_vram: Pages moved to VRAM for this channel
 * @migrations_to_ram: Pages moved to system memory from this device's VRAM
 *	(device wide)
 * @invalidations: Invalidations that zapped GPU entries
 * @tlb_flushes: TLB flushes
 * @retries: get_pages and bind retries after invalidation races
 * @jobs: Jobs submitted
 * @jobs_failed: Jobs cancelled with an error
 * @evictions: VRAM allocations evicted (device wide)
 * @copy_chan_methods: COPY methods the device's kernel copy channel
 *	executed; one per run of contiguous pages of a migration (device
 *	wide, every glue's migrations)
 * @copy_chan_semaphores: SEMAPHORE_RELEASE methods it executed, one per
 *	migration copy (device wide)
 * @copy_chan_ring_waits: Pushes that found its ring full (device wide)
 * @copy_chan_gp_get: Its GP_GET: methods executed since probe
 * @copy_chan_gp_put: Its GP_PUT: methods kicked since probe
 *
 * Fields are only ever appended: a binary built against an older, shorter
 * struct gets the fields it knows (drm_ioctl() copies the smaller size).
 */
struct drm_nouveau_glue_svm_stats {
	__u32 channel;
	__u32 pad;
	__u64 fault_buffer_size;
	__u64 faults;
	__u64 faults_serviced;
	__u64 faults_coalesced;
	__u64 faults_cancelled;
	__u64 fault_posted;
	__u64 fault_batches;
	__u64 fault_overflows;
	__u64 replays;
	__u64 pages_mapped;
	__u64 atomic_binds;
	__u64 migrations_to_vram;
	__u64 migrations_to_ram;
	__u64 invalidations;
	__u64 tlb_flushes;
	__u64 retries;
	__u64 jobs;
	__u64 jobs_failed;
	__u64 evictions;
	__u64 copy_chan_methods;
	__u64 copy_chan_semaphores;
	__u64 copy_chan_ring_waits;
	__u64 copy_chan_gp_get;
	__u64 copy_chan_gp_put;
};

#define DRM_IOCTL_NOUVEAU_GLUE_SVM_INIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NOUVEAU_GLUE_SVM_INIT, \
		 struct drm_nouveau_glue_svm_init)
#define DRM_IOCTL_NOUVEAU_GLUE_CHANNEL_FREE \
	DRM_IOW(DRM_COMMAND_BASE + DRM_NOUVEAU_GLUE_CHANNEL_FREE, \
		struct drm_nouveau_glue_channel_free)
#define DRM_IOCTL_NOUVEAU_GLUE_SVM_BIND \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NOUVEAU_GLUE_SVM_BIND, \
		 struct drm_nouveau_glue_svm_bind)
#define DRM_IOCTL_NOUVEAU_GLUE_EXEC \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NOUVEAU_GLUE_EXEC, \
		 struct drm_nouveau_glue_exec)
#define DRM_IOCTL_NOUVEAU_GLUE_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NOUVEAU_GLUE_WAIT, \
		 struct drm_nouveau_glue_wait)
#define DRM_IOCTL_NOUVEAU_GLUE_SVM_STATS \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NOUVEAU_GLUE_SVM_STATS, \
		 struct drm_nouveau_glue_svm_stats)

#endif /* __NOUVEAU_GLUE_DRM_H__ */
