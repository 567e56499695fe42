/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * What the files of amdgpu_glue share. User space sees amdgpu_glue_drm.h.
 */

#ifndef __AMDGPU_GLUE_H__
#define __AMDGPU_GLUE_H__

#include <linux/atomic.h>
#include <linux/dma-fence.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <drm/drm_gpusvm.h>

#include "../simgpu/simgpu.h"

struct drm_amdgpu_glue_op;
struct drm_device;
struct drm_file;
struct file;
struct mm_struct;
struct vm_area_struct;

/*
 * GPU page-table entry, amdgpu style (pt.c, DOC: Page tables): one u64 per
 * 4 KiB page; the fragment field says the entry is part of a naturally
 * aligned, physically contiguous block of 2^frag pages, which the TLB may
 * cache as one translation.
 */
#define AMDGPU_GLUE_PTE_VALID		BIT_ULL(0)
#define AMDGPU_GLUE_PTE_SYSTEM		BIT_ULL(1)
#define AMDGPU_GLUE_PTE_SNOOPED		BIT_ULL(2)
/* simgpu needs a permission for device atomics; amdgpu has none */
#define AMDGPU_GLUE_PTE_ATOMIC		BIT_ULL(3)
#define AMDGPU_GLUE_PTE_EXECUTABLE	BIT_ULL(4)
#define AMDGPU_GLUE_PTE_READABLE	BIT_ULL(5)
#define AMDGPU_GLUE_PTE_WRITEABLE	BIT_ULL(6)
#define AMDGPU_GLUE_PTE_FRAG_SHIFT	7
#define AMDGPU_GLUE_PTE_FRAG_MASK	GENMASK_ULL(11, 7)
#define AMDGPU_GLUE_PTE_ADDR_MASK	GENMASK_ULL(62, 12)
/* One page-table block (PTB): a 4 KiB page of 512 entries, 2 MiB of VA */
#define AMDGPU_GLUE_PTB_SHIFT		21
#define AMDGPU_GLUE_PTB_ENTRIES		512

/* Fault records one context can hold: more than jobs and queues it may run. */
#define AMDGPU_GLUE_IH_ENTRIES		512

/**
 * struct amdgpu_glue_device - One DRM device, on one simgpu
 */
struct amdgpu_glue_device {
	/** @drm: The DRM device; dev_private points back here */
	struct drm_device *drm;
	/** @sdev: The simulated GPU */
	struct simgpu_device *sdev;
	/** @index: simgpu index: device N of the uAPI */
	unsigned int index;
};

/**
 * struct amdgpu_glue_attr - SVM attributes of a page
 * @preferred: DRM_AMDGPU_GLUE_SVM_LOC_*
 * @prefetch: DRM_AMDGPU_GLUE_SVM_LOC_*
 * @accessible: Device bitmap
 * @flags: DRM_AMDGPU_GLUE_SVM_FLAG_*
 * @granularity: log2 of the pages a fault brings in together
 */
struct amdgpu_glue_attr {
	u32 preferred;
	u32 prefetch;
	u32 accessible;
	u32 flags;
	u32 granularity;
};

/**
 * struct amdgpu_glue_ih_entry - A fault record in the context's ring
 * @rec: The record; holds a reference on its job
 * @seq: &amdgpu_glue_ctx.inval_seq when the fault was raised, for the
 *	stale retry fault filter
 */
struct amdgpu_glue_ih_entry {
	struct simgpu_fault rec;
	u64 seq;
};

/**
 * struct amdgpu_glue_ctx_stats - Counters of a context, see the uAPI
 * @gpu_faults: Records handled
 * @stale_faults: Stale retry faults dropped
 * @fatal_faults: Faults that cancelled a job
 * @pages_mapped: Pages bound
 * @invalidations: Invalidate op calls that zapped a valid entry
 * @evictions: Queue evictions
 * @restores: Completed restores
 * @jobs: EXEC jobs
 * @jobs_failed: Jobs cancelled with an error by this driver
 * @ih_overflows: Records refused because the ring was full
 */
struct amdgpu_glue_ctx_stats {
	atomic64_t gpu_faults;
	atomic64_t stale_faults;
	atomic64_t fatal_faults;
	atomic64_t pages_mapped;
	atomic64_t invalidations;
	atomic64_t evictions;
	atomic64_t restores;
	atomic64_t jobs;
	atomic64_t jobs_failed;
	atomic64_t ih_overflows;
};

/**
 * struct amdgpu_glue_ctx - A process context (KFD's process device data)
 *
 * See DOC: Locking in ctx.c for the rules the fields refer to.
 */
struct amdgpu_glue_ctx {
	/** @gpusvm: The core's mirror of the process over [0, TASK_SIZE) */
	struct drm_gpusvm gpusvm;
	/** @as: The device's MMU context; its walker reads @ptbs */
	struct simgpu_as as;
	/** @adev: The device */
	struct amdgpu_glue_device *adev;
	/** @refcount: The owner (file or mirror), ioctls in flight */
	struct kref refcount;
	/**
	 * @lock: The VM lock: fault service, attributes, mapping, restore
	 * and page-table allocation. Registered with
	 * drm_gpusvm_driver_set_lock(); never taken by the invalidate ops.
	 */
	struct mutex lock;
	/**
	 * @ptbs: Page-table blocks by VA >> 21. Added under @lock, never
	 * removed before destroy; entries written under &simgpu_as.lock
	 */
	struct xarray ptbs;
	/**
	 * @walk_ptb: The PTB the walker used last, NULL at first; under
	 * &simgpu_as.lock. A page-walk cache of one entry: PTBs live as long
	 * as the context, so the pointer stays good
	 */
	u64 *walk_ptb;
	/** @walk_idx: Index in @ptbs of @walk_ptb; under &simgpu_as.lock */
	unsigned long walk_idx;
	/** @attrs: Attribute spans (struct amdgpu_glue_attr_node); @lock */
	struct rb_root_cached attrs;
	/**
	 * @removed: Taken off its file: no new queue; under @lock
	 */
	bool removed;
	/** @xnack: Retry faults on; under @lock, READ_ONCE() elsewhere */
	bool xnack;
	/** @atomic: How atomic faults are served; constant */
	enum drm_gpusvm_atomic_mode atomic;
	/** @dflt_preferred: PREFERRED_LOC of never-set pages; constant */
	u32 dflt_preferred;

	/**
	 * @qlock: The eviction lock, a spinlock taken by the invalidate ops
	 * under the notifier lock: protects @queues, @evicted, @evict_seq,
	 * @evf, @park and the hold flags. Nests &simgpu_as.lock, the
	 * queues' locks and (SET_XNACK only) the xa_lock of @jobs, nothing
	 * else.
	 */
	spinlock_t qlock;
	/** @queues: User queues (struct amdgpu_glue_queue); @qlock */
	struct list_head queues;
	/** @nqueues: Entries of @queues; @qlock */
	unsigned int nqueues;
	/** @evicted: Queues evicted, restore pending; @qlock, READ_ONCE() */
	bool evicted;
	/** @evict_seq: Bumped by every eviction; @qlock */
	u64 evict_seq;
	/** @evf: Current eviction fence, a reference held; @qlock */
	struct dma_fence *evf;
	/** @evf_context: The eviction fences' timeline */
	u64 evf_context;
	/** @evf_seqno: Sequence number of @evf; @qlock */
	u64 evf_seqno;
	/**
	 * @park: Faulted jobs waiting for the restore, a ring of
	 * %AMDGPU_GLUE_IH_ENTRIES job references allocated with the context,
	 * so that parking never allocates; @qlock
	 */
	struct simgpu_job **park;
	/** @park_head: Oldest entry of @park; @qlock */
	unsigned int park_head;
	/** @nparked: Entries of @park; @qlock */
	unsigned int nparked;
	/** @restore_hold: Test knob: the restore worker does nothing; @qlock */
	bool restore_hold;
	/** @restore_work: Revalidates mappings and resumes the queues */
	struct delayed_work restore_work;
	/** @evict_work: Evicts on behalf of an eviction fence waiter */
	struct work_struct evict_work;
	/** @inval_seq: Bumped by every invalidate op call (stale filter) */
	atomic64_t inval_seq;

	/** @ih_lock: Protects the fault ring and @fault_hold; innermost */
	spinlock_t ih_lock;
	/** @ih: The fault ring, AMDGPU_GLUE_IH_ENTRIES; @ih_lock */
	struct amdgpu_glue_ih_entry *ih;
	/** @ih_head: Next entry to serve; @ih_lock */
	unsigned int ih_head;
	/** @ih_count: Entries queued; @ih_lock */
	unsigned int ih_count;
	/** @fault_hold: Test knob: queue faults, serve none; @ih_lock */
	bool fault_hold;
	/** @closing: Being destroyed: cancel faults; @ih_lock, READ_ONCE() */
	bool closing;
	/** @fault_work: Serves the ring in process context */
	struct work_struct fault_work;
	/**
	 * @stale_job: Job of the last fault dropped as stale, compared only,
	 * never dereferenced; under @lock
	 */
	const struct simgpu_job *stale_job;
	/** @stale_va: Address of that fault; under @lock */
	u64 stale_va;
	/** @busy_streak: -EBUSY faults in a row; fault worker only */
	unsigned int busy_streak;

	/** @jobs: EXEC jobs by handle, each holding a fence reference */
	struct xarray jobs;
	/**
	 * @njobs: Entries of @jobs and slots reserved for inserts in
	 * progress; under its xa_lock, which SET_XNACK takes inside @qlock
	 */
	unsigned int njobs;
	/** @next_job: Cyclic handle cursor */
	u32 next_job;
	/** @queue_ids: User queues by handle */
	struct xarray queue_ids;
	/** @stats: Counters */
	struct amdgpu_glue_ctx_stats stats;
	/** @rcu: Freed after a grace period: fence callbacks look at us */
	struct rcu_head rcu;
	/** @name: gpusvm name */
	char name[32];
};

/**
 * struct amdgpu_glue_queue - A user queue of a context
 */
struct amdgpu_glue_queue {
	/** @hw: simgpu's queue */
	struct simgpu_queue *hw;
	/** @ctx: Owner; a reference is held */
	struct amdgpu_glue_ctx *ctx;
	/** @refcount: Handle, mmap lookups in flight */
	struct kref refcount;
	/** @link: In &amdgpu_glue_ctx.queues, under its qlock */
	struct list_head link;
	/** @mmap_key: Key in &amdgpu_glue_file.mmaps */
	u32 mmap_key;
};

/**
 * struct amdgpu_glue_file - Per open file state
 */
struct amdgpu_glue_file {
	/** @adev: The device */
	struct amdgpu_glue_device *adev;
	/** @ctxs: Contexts by handle, each holding a reference */
	struct xarray ctxs;
	/**
	 * @mmap_lock: Serialises mmap() with queue removal; taken inside
	 * mmap_lock, nothing of ours inside it
	 */
	struct mutex mmap_lock;
	/** @mmaps: Queues by mmap key, no reference; see queue.c */
	struct xarray mmaps;
};

/**
 * struct amdgpu_glue_job - A job submitted through EXEC
 *
 * Its fence is this driver's, so that the core can ask whether it may
 * depend on a GPU fault (R20, job.c); it signals when the hardware job's
 * fence does, with its error.
 */
struct amdgpu_glue_job {
	/** @base: The fence; first, its refcount is the job's */
	struct dma_fence base;
	/** @lock: The fence's lock */
	spinlock_t lock;
	/** @hw: The simgpu job; a reference is held */
	struct simgpu_job *hw;
	/** @cb: On @hw's fence */
	struct dma_fence_cb cb;
	/** @ctx: The context; no reference, RCU (see job.c) */
	struct amdgpu_glue_ctx *ctx;
	/** @xnack: The context's mode at submission */
	bool xnack;
};

static inline struct amdgpu_glue_ctx *to_amdgpu_glue_ctx(struct drm_gpusvm *gpusvm)
{
	return container_of(gpusvm, struct amdgpu_glue_ctx, gpusvm);
}

/* drv.c */
extern bool amdgpu_glue_mirror_compat;
extern bool amdgpu_glue_test_knobs;
struct amdgpu_glue_device *amdgpu_glue_device_get(unsigned int index);
unsigned int amdgpu_glue_num_devices(void);

/* ctx.c */
struct amdgpu_glue_ctx *amdgpu_glue_ctx_create(struct amdgpu_glue_device *adev,
					       struct mm_struct *mm, bool xnack,
					       bool mirror);
void amdgpu_glue_ctx_put(struct amdgpu_glue_ctx *ctx);
static inline struct amdgpu_glue_ctx *amdgpu_glue_ctx_get(struct amdgpu_glue_ctx *ctx)
{
	kref_get(&ctx->refcount);
	return ctx;
}

struct amdgpu_glue_ctx *amdgpu_glue_ctx_lookup(struct amdgpu_glue_file *afile,
					       u32 id, bool need_mm, int *err);
int amdgpu_glue_check_span(u64 start, u64 size, bool aligned);
int amdgpu_glue_ctx_create_ioctl(struct drm_device *drm, void *data,
				 struct drm_file *file);
int amdgpu_glue_ctx_destroy_ioctl(struct drm_device *drm, void *data,
				  struct drm_file *file);
int amdgpu_glue_set_xnack_ioctl(struct drm_device *drm, void *data,
				struct drm_file *file);
int amdgpu_glue_ctx_stats_ioctl(struct drm_device *drm, void *data,
				struct drm_file *file);
void amdgpu_glue_file_ctxs_fini(struct amdgpu_glue_file *afile);

/* evict.c */
void amdgpu_glue_evict_init(struct amdgpu_glue_ctx *ctx);
int amdgpu_glue_evict_fence_install(struct amdgpu_glue_ctx *ctx);
void amdgpu_glue_evict_locked(struct amdgpu_glue_ctx *ctx);
void amdgpu_glue_evict_fini(struct amdgpu_glue_ctx *ctx);
void amdgpu_glue_restore_work(struct work_struct *work);
void amdgpu_glue_evict_work(struct work_struct *work);
int amdgpu_glue_map_span(struct amdgpu_glue_ctx *ctx, unsigned long start,
			 unsigned long end, enum drm_gpusvm_location loc,
			 struct drm_pagemap *dpagemap, bool ro);
bool amdgpu_glue_fault_park(struct amdgpu_glue_ctx *ctx, struct simgpu_job *job);
void amdgpu_glue_fault_noretry(struct amdgpu_glue_ctx *ctx,
			       const struct simgpu_fault *rec);
int amdgpu_glue_debug_ioctl(struct drm_device *drm, void *data,
			    struct drm_file *file);

/* pt.c */
int amdgpu_glue_pt_prepare(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_range *range);
int amdgpu_glue_pt_bind(struct drm_gpusvm *gpusvm,
			struct drm_gpusvm_range *range, unsigned long addr,
			bool *atomic);
bool amdgpu_glue_pt_zap(struct amdgpu_glue_ctx *ctx, unsigned long start,
			unsigned long end);
bool amdgpu_glue_pt_walk(struct simgpu_as *as, u64 va,
			 struct simgpu_xlate *xl);
void amdgpu_glue_pt_fini(struct amdgpu_glue_ctx *ctx);

/* attr.c */
void amdgpu_glue_attr_fini(struct amdgpu_glue_ctx *ctx);
struct amdgpu_glue_attr amdgpu_glue_attr_at(struct amdgpu_glue_ctx *ctx,
					    unsigned long addr, bool *set,
					    unsigned long *end);
enum drm_gpusvm_location amdgpu_glue_loc(struct amdgpu_glue_ctx *ctx,
					 u32 loc);
int amdgpu_glue_restore_spans(struct amdgpu_glue_ctx *ctx);
int amdgpu_glue_svm_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file);

/* fault.c */
void amdgpu_glue_as_fault(struct simgpu_as *as,
			  const struct simgpu_fault *fault);
void amdgpu_glue_fault_work(struct work_struct *work);
void amdgpu_glue_fault_drain(struct amdgpu_glue_ctx *ctx);
void amdgpu_glue_fault_hold(struct amdgpu_glue_ctx *ctx, bool hold);
void amdgpu_glue_job_fail(struct amdgpu_glue_ctx *ctx, struct simgpu_job *job,
			  int err);

/* job.c */
int amdgpu_glue_exec_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file);
int amdgpu_glue_wait_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file);
void amdgpu_glue_jobs_release(struct amdgpu_glue_ctx *ctx);
int amdgpu_glue_op_convert(const struct drm_amdgpu_glue_op *uop,
			   struct simgpu_op *op);
long amdgpu_glue_ns_to_jiffies(s64 ns);
extern struct drm_gpusvm_fence_class amdgpu_glue_fence_class;

/* queue.c */
int amdgpu_glue_queue_create_ioctl(struct drm_device *drm, void *data,
				   struct drm_file *file);
int amdgpu_glue_queue_destroy_ioctl(struct drm_device *drm, void *data,
				    struct drm_file *file);
int amdgpu_glue_queue_wait_ioctl(struct drm_device *drm, void *data,
				 struct drm_file *file);
void amdgpu_glue_queues_release(struct amdgpu_glue_file *afile,
				struct amdgpu_glue_ctx *ctx);
int amdgpu_glue_mmap(struct file *filp, struct vm_area_struct *vma);

/* mirror.c */
int amdgpu_glue_mirror_init(void);
void amdgpu_glue_mirror_fini(void);

#endif /* __AMDGPU_GLUE_H__ */
