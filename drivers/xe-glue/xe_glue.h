/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * What the files of xe_glue share. User space sees xe_glue_drm.h only.
 */

#ifndef __XE_GLUE_H__
#define __XE_GLUE_H__

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <drm/drm_gpusvm.h>

#include "../simgpu/simgpu.h"

struct drm_device;
struct drm_file;
struct mm_struct;

/*
 * Page-table entry format (pt.c, DOC: Page tables). A directory entry is
 * the physical address of the next table with XE_PTE_VALID; a leaf is a
 * device address (SIMGPU_VRAM_TAG for VRAM) with the permission bits.
 */
#define XE_PTE_VALID		BIT_ULL(0)
#define XE_PTE_WRITE		BIT_ULL(1)
#define XE_PTE_ATOMIC		BIT_ULL(2)
#define XE_PTE_VRAM		BIT_ULL(3)
/* One of 16 level-0 entries mapping one naturally aligned 64 KiB page */
#define XE_PTE_PS64		BIT_ULL(4)
/* A level-1 leaf mapping a 2 MiB page */
#define XE_PTE_HUGE		BIT_ULL(7)
#define XE_PTE_ADDR_MASK	GENMASK_ULL(62, 12)

#define XE_PT_LEVELS		4
#define XE_PT_ENTRIES		512
#define XE_PT_SHIFT(level__)	(12 + 9 * (level__))
#define XE_PT_INDEX(va__, level__) \
	(((va__) >> XE_PT_SHIFT(level__)) & (XE_PT_ENTRIES - 1))

/**
 * struct xe_glue_device - One DRM device, on one simgpu
 */
struct xe_glue_device {
	/** @drm: The DRM device; dev_private points back here */
	struct drm_device *drm;
	/** @sdev: The simulated GPU */
	struct simgpu_device *sdev;
	/** @vms_lock: Protects @vms; ranks above no other lock of ours */
	struct mutex vms_lock;
	/** @vms: Live VMs, for debugfs; under @vms_lock */
	struct list_head vms;
	/** @num_vms: Entries of @vms */
	unsigned int num_vms;
};

/**
 * struct xe_glue_attr - Memory attributes of a VA span (madvise)
 * @preferred: DRM_XE_GLUE_LOC_*
 * @atomic: DRM_XE_GLUE_ATOMIC_*
 */
struct xe_glue_attr {
	u32 preferred;
	u32 atomic;
};

/**
 * struct xe_glue_vm_stats - What a VM did, for DRM_IOCTL_XE_GLUE_VM_STATS
 * @faults: Fault records served (replayed or cancelled)
 * @pages_mapped: 4 KiB pages bound
 * @invalidations: Invalidate op calls that zapped a valid entry
 * @jobs: Jobs submitted
 * @jobs_failed: Jobs the glue cancelled with an error
 * @pt_pages: Page-table pages allocated (never freed before destroy)
 * @entries: Leaf entries that became valid, by size: [0] 4 KiB, [1] 64 KiB,
 *	[2] 2 MiB
 */
struct xe_glue_vm_stats {
	atomic64_t faults;
	atomic64_t pages_mapped;
	atomic64_t invalidations;
	atomic64_t jobs;
	atomic64_t jobs_failed;
	atomic64_t pt_pages;
	atomic64_t entries[3];
};

/**
 * struct xe_glue_vm - A VM in fault mode mirroring one mm
 *
 * See DOC: Locking in vm.c for the rules the fields below refer to.
 */
struct xe_glue_vm {
	/** @gpusvm: The core's mirror of @gpusvm.mm over [0, TASK_SIZE) */
	struct drm_gpusvm gpusvm;
	/** @as: The device's MMU context; its walker reads @pt_root */
	struct simgpu_as as;
	/** @xdev: The device */
	struct xe_glue_device *xdev;
	/** @refcount: The owner (file or mirror) and ioctls in flight */
	struct kref refcount;
	/**
	 * @lock: The VM lock: serialises fault service, prefetch, madvise
	 * and page-table allocation. Registered with
	 * drm_gpusvm_driver_set_lock(); outermost of the core's locks, never
	 * taken by the invalidate op.
	 */
	struct mutex lock;
	/**
	 * @pt_root: The level-3 table, constant from creation to destroy.
	 * Tables are linked in with @lock and &simgpu_as.lock held, leaf
	 * entries written with the notifier lock (read, plus @lock) or
	 * (write, by the invalidate op) and &simgpu_as.lock held; the walker
	 * reads with READ_ONCE() under &simgpu_as.lock.
	 */
	u64 *pt_root;
	/** @attrs: Madvise spans (struct xe_glue_attr_node); under @lock */
	struct rb_root_cached attrs;
	/** @dflt: Attributes outside every span; constant after creation */
	struct xe_glue_attr dflt;
	/**
	 * @fault_lock: Protects @faults and @closing; a spinlock taken by the
	 * fault op (exec engine worker) and the fault worker
	 */
	spinlock_t fault_lock;
	/** @faults: Queued fault records (struct xe_glue_fault); @fault_lock */
	struct list_head faults;
	/** @closing: Set at destroy: faults are cancelled, not queued */
	bool closing;
	/** @fault_work: Serves @faults in process context */
	struct work_struct fault_work;
	/** @busy_streak: Faults in a row that got -EBUSY; fault worker only */
	unsigned int busy_streak;
	/** @stats: Counters */
	struct xe_glue_vm_stats stats;
	/** @link: In &xe_glue_device.vms */
	struct list_head link;
	/** @name: gpusvm name, for the core's debugfs directory */
	char name[32];
};

/**
 * struct xe_glue_file - Per open file state
 */
struct xe_glue_file {
	/** @xdev: The device */
	struct xe_glue_device *xdev;
	/** @vms: VMs by handle, each holding a VM reference */
	struct xarray vms;
	/** @jobs: Job handles (struct xe_glue_job_handle) by handle */
	struct xarray jobs;
	/** @next_job: Cursor of cyclic job handle allocation */
	u32 next_job;
};

static inline struct xe_glue_vm *to_xe_glue_vm(struct drm_gpusvm *gpusvm)
{
	return container_of(gpusvm, struct xe_glue_vm, gpusvm);
}

/* drv.c */
extern bool xe_glue_mirror_compat;
struct xe_glue_device *xe_glue_device_get(unsigned int index);

/* vm.c */
struct xe_glue_vm *xe_glue_vm_create(struct xe_glue_device *xdev,
				     struct mm_struct *mm,
				     const struct xe_glue_attr *dflt);
void xe_glue_vm_put(struct xe_glue_vm *vm);
static inline struct xe_glue_vm *xe_glue_vm_get(struct xe_glue_vm *vm)
{
	kref_get(&vm->refcount);
	return vm;
}

int xe_glue_vm_create_ioctl(struct drm_device *drm, void *data,
			    struct drm_file *file);
int xe_glue_vm_destroy_ioctl(struct drm_device *drm, void *data,
			     struct drm_file *file);
int xe_glue_vm_stats_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file);
struct xe_glue_vm *xe_glue_vm_lookup(struct xe_glue_file *xfile, u32 id,
				     bool need_mm, int *err);
int xe_glue_check_span(u64 start, u64 size, bool aligned);
void xe_glue_file_vms_fini(struct xe_glue_file *xfile);

/* pt.c */
int xe_glue_pt_init(struct xe_glue_vm *vm);
void xe_glue_pt_fini(struct xe_glue_vm *vm);
int xe_glue_pt_prepare(struct drm_gpusvm *gpusvm,
		       struct drm_gpusvm_range *range);
int xe_glue_pt_bind(struct drm_gpusvm *gpusvm, struct drm_gpusvm_range *range,
		    unsigned long addr, bool *atomic);
bool xe_glue_pt_zap(struct xe_glue_vm *vm, unsigned long start,
		    unsigned long end);
bool xe_glue_pt_walk(struct simgpu_as *as, u64 va, struct simgpu_xlate *xl);

/* fault.c */
void xe_glue_as_fault(struct simgpu_as *as, const struct simgpu_fault *fault);
void xe_glue_fault_work(struct work_struct *work);
void xe_glue_fault_drain(struct xe_glue_vm *vm);
enum drm_gpusvm_location xe_glue_loc(u32 loc);
enum drm_gpusvm_atomic_mode xe_glue_atomic_mode(u32 atomic);

/* migrate.c */
int xe_glue_prefetch_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file);

/* attr.c */
void xe_glue_attr_init(struct xe_glue_vm *vm, const struct xe_glue_attr *dflt);
void xe_glue_attr_fini(struct xe_glue_vm *vm);
struct xe_glue_attr xe_glue_attr_lookup(struct xe_glue_vm *vm,
					unsigned long addr);
int xe_glue_madvise_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file);

/* exec.c */
int xe_glue_exec_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file);
int xe_glue_wait_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file);
void xe_glue_jobs_release(struct xe_glue_file *xfile, u32 vm_id);

/* mirror.c */
int xe_glue_mirror_init(void);
void xe_glue_mirror_fini(void);

#endif /* __XE_GLUE_H__ */
