/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * What the files of nouveau_glue share. User space sees
 * nouveau_glue_drm.h only.
 */

#ifndef __NOUVEAU_GLUE_H__
#define __NOUVEAU_GLUE_H__

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <drm/drm_gpusvm.h>

#include "../simgpu/simgpu.h"

struct drm_device;
struct drm_file;
struct mm_struct;

/* Fault buffer entries the handler takes in one batch. */
#define NVG_FAULT_BATCH		64

/**
 * struct nvg_fault - A fault buffer entry resolved to its channel
 * @svmm: The channel's SVM, with a reference
 * @va: Faulting GPU VA
 * @job: Faulting unit, for simgpu_faultbuf_cancel()
 * @ts: The entry's timestamp: which stall of @job it reports
 * @access: &enum simgpu_access
 */
struct nvg_fault {
	struct nvg_svmm *svmm;
	u64 va;
	u64 job;
	u64 ts;
	u8 access;
};

/**
 * struct nvg_device - One DRM device, on one simgpu
 */
struct nvg_device {
	/** @drm: The DRM device; dev_private points back here */
	struct drm_device *drm;
	/** @sdev: The simulated GPU, whose fault buffer this device owns */
	struct simgpu_device *sdev;
	/**
	 * @instances: Instance id (the id in fault entries) to &struct
	 * nvg_svmm; looked up under its lock with kref_get_unless_zero()
	 */
	struct xarray instances;
	/** @next_instance: Cursor of cyclic instance allocation */
	u32 next_instance;
	/** @fault_work: The fault buffer interrupt's bottom half */
	struct work_struct fault_work;
	/** @raw: Entries of the batch being handled; fault worker only */
	struct simgpu_fault_entry raw[NVG_FAULT_BATCH];
	/** @batch: The batch, resolved and sorted; fault worker only */
	struct nvg_fault batch[NVG_FAULT_BATCH];
	/** @batches: Batches handled */
	atomic64_t batches;
};

/**
 * struct nvg_attr - What SVM_BIND ATTR set on a span
 * @target: DRM_NOUVEAU_GLUE_TARGET_*
 * @atomic: DRM_NOUVEAU_GLUE_ATOMIC_*
 */
struct nvg_attr {
	u32 target;
	u32 atomic;
};

/**
 * struct nvg_svmm_stats - What a channel's SVM did
 * @faults: Fault buffer entries processed
 * @serviced: Faults served through the core
 * @coalesced: Entries answered by another entry's service
 * @cancelled: Entries whose job was cancelled
 * @pages_mapped: 4 KiB pages bound
 * @atomic_binds: Chunks of device-exclusive system memory bound
 * @invalidations: Invalidations that zapped a valid entry
 * @jobs: Jobs submitted
 * @jobs_failed: Jobs cancelled with an error
 * @tables: Page-table pages and big-page tables allocated
 */
struct nvg_svmm_stats {
	atomic64_t faults;
	atomic64_t serviced;
	atomic64_t coalesced;
	atomic64_t cancelled;
	atomic64_t pages_mapped;
	atomic64_t atomic_binds;
	atomic64_t invalidations;
	atomic64_t jobs;
	atomic64_t jobs_failed;
	atomic64_t tables;
};

/**
 * struct nvg_svmm - The SVM of one channel: a VM mirroring a window of an mm
 *
 * See DOC: Locking in svmm.c.
 */
struct nvg_svmm {
	/** @gpusvm: The core's mirror of [@va_start, @va_end) */
	struct drm_gpusvm gpusvm;
	/** @as: The MMU context; its walker reads @pd3 */
	struct simgpu_as as;
	/** @ndev: The device */
	struct nvg_device *ndev;
	/** @refcount: The owner (file or mirror), ioctls and fault batches */
	struct kref refcount;
	/**
	 * @lock: The VM lock: fault service, SVM_BIND and page-table
	 * allocation. Registered with drm_gpusvm_driver_set_lock(); never
	 * taken by the invalidate ops.
	 */
	struct mutex lock;
	/** @pd3: Root of the page tables (vmm.c), constant until destroy */
	u64 *pd3;
	/** @attrs: SVM_BIND ATTR spans, maple tree of xa_mk_value() */
	struct maple_tree attrs;
	/** @dflt: Attributes where no span was set; constant */
	struct nvg_attr dflt;
	/** @instance: Id in fault entries; constant */
	u32 instance;
	/** @va_start: First mirrored address; constant */
	unsigned long va_start;
	/** @va_end: End of the mirrored window; constant */
	unsigned long va_end;
	/** @busy_streak: Faults in a row that got -EBUSY; fault worker only */
	unsigned int busy_streak;
	/** @jobs: Job handles to &struct simgpu_job, each holding a reference */
	struct xarray jobs;
	/** @next_job: Cursor of cyclic job handle allocation */
	u32 next_job;
	/**
	 * @njobs: Handles in @jobs, at most %DRM_NOUVEAU_GLUE_MAX_JOBS;
	 * taken before the insert so that concurrent EXECs cannot pass it
	 */
	atomic_t njobs;
	/** @stats: Counters */
	struct nvg_svmm_stats stats;
	/** @name: gpusvm name */
	char name[32];
};

/**
 * struct nvg_file - Per open file state
 * @ndev: The device
 * @chans: Channels by handle, each holding an SVM reference
 */
struct nvg_file {
	struct nvg_device *ndev;
	struct xarray chans;
};

static inline struct nvg_svmm *to_nvg_svmm(struct drm_gpusvm *gpusvm)
{
	return container_of(gpusvm, struct nvg_svmm, gpusvm);
}

/* drv.c */
extern bool nvg_mirror_compat;
struct nvg_device *nvg_device_get(unsigned int index);

/* svmm.c */
struct nvg_svmm *nvg_svmm_create(struct nvg_device *ndev, struct mm_struct *mm,
				 unsigned long start, unsigned long end,
				 const struct nvg_attr *dflt);
void nvg_svmm_put(struct nvg_svmm *svmm);
struct nvg_svmm *nvg_svmm_lookup(struct nvg_file *nfile, u32 channel,
				 bool need_mm, int *err);
struct nvg_svmm *nvg_instance_get(struct nvg_device *ndev, u32 instance);
int nvg_svm_init_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file);
int nvg_channel_free_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file);
int nvg_svm_stats_ioctl(struct drm_device *drm, void *data,
			struct drm_file *file);
void nvg_file_channels_fini(struct nvg_file *nfile);

/* vmm.c */
int nvg_vmm_init(struct nvg_svmm *svmm);
void nvg_vmm_fini(struct nvg_svmm *svmm);
int nvg_vmm_prepare(struct drm_gpusvm *gpusvm, struct drm_gpusvm_range *range);
int nvg_vmm_bind(struct drm_gpusvm *gpusvm, struct drm_gpusvm_range *range,
		 unsigned long addr, bool *atomic);
bool nvg_vmm_unmap(struct nvg_svmm *svmm, unsigned long start,
		   unsigned long end);
bool nvg_vmm_walk(struct simgpu_as *as, u64 va, struct simgpu_xlate *xl);

/* fault.c */
void nvg_fault_irq(void *data);
void nvg_fault_work(struct work_struct *work);

/* bind.c */
struct nvg_attr nvg_attr_get(struct nvg_svmm *svmm, unsigned long addr);
enum drm_gpusvm_location nvg_target_loc(u32 target);
enum drm_gpusvm_atomic_mode nvg_atomic_mode(u32 atomic);
int nvg_svm_bind_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file);

/* exec.c */
int nvg_exec_ioctl(struct drm_device *drm, void *data, struct drm_file *file);
int nvg_wait_ioctl(struct drm_device *drm, void *data, struct drm_file *file);
void nvg_jobs_fini(struct nvg_svmm *svmm);

/* mirror.c */
int nvg_mirror_init(void);
void nvg_mirror_fini(void);

#endif /* __NOUVEAU_GLUE_H__ */
