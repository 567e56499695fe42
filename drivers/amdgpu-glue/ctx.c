// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/dma-fence.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/drm_pagemap.h>

#include "amdgpu_glue.h"
#include "amdgpu_glue_drm.h"

/**
 * DOC: Overview
 *
 * amdgpu_glue is a KFD-style DRM driver on simgpu, written as a user of
 * drm_gpusvm. It differs from the xe glue where amdgpu differs from xe:
 *
 * - A process context (&struct amdgpu_glue_ctx) mirrors the whole process
 *   and has an XNACK mode: with XNACK on the GPU retries faulting accesses
 *   and the driver serves them through the core (fault.c), filtering
 *   stale retry faults; with XNACK off the GPU cannot retry, so memory is
 *   mapped ahead of time and an invalidation evicts the process's queues
 *   until a restore worker has mapped it again (evict.c).
 * - Memory attributes are KFD's SVM attributes (attr.c).
 * - Work comes from user-mode queues (queue.c, simgpu's queue.c) that user
 *   space feeds without any ioctl, and from EXEC (job.c).
 * - Page tables are amdgpu-like PTBs with fragments (pt.c); faults arrive
 *   in a ring, like amdgpu's interrupt-handler ring (fault.c).
 *
 * With ``mirror_compat=1`` it also serves the test_hmm ABI (mirror.c).
 */

/**
 * DOC: Locking
 *
 * Lock order, outermost first::
 *
 *	&amdgpu_glue_ctx.lock (VM lock, mutex)
 *	  &amdgpu_glue_file.mmap_lock (mutex; mmap() takes it inside mmap_lock)
 *	  &drm_gpusvm.lock -> mmap_lock -> fs_reclaim
 *	    &drm_gpusvm.notifier_lock (reclaim lock)
 *	      &amdgpu_glue_ctx.qlock (eviction lock, spinlock)
 *	        &simgpu_queue.lock, &simgpu_as.lock (spinlocks, innermost)
 *	&amdgpu_glue_ctx.ih_lock (fault ring, spinlock, nothing nested)
 *
 * The VM lock serialises fault service, attribute changes, mapping and
 * restore, and page-table allocation; it is registered with
 * drm_gpusvm_driver_set_lock(). The invalidate ops run under the notifier
 * lock in write mode, from reclaim and the OOM reaper: they take
 * &simgpu_as.lock to zap and flush, and &amdgpu_glue_ctx.qlock to evict,
 * nothing else; they never allocate or sleep, and the eviction fence is
 * signalled there inside a dma_fence signalling section.
 *
 * Lifetime: a context is reference counted. Its owner (the file's xarray
 * or a test_hmm mirror file), every user queue and every ioctl in flight
 * hold a reference. The last one tears it down in process context, in
 * this order: fault service stops (queued faults cancelled), eviction and
 * restore stop (parked jobs cancelled, the eviction fence signalled), job
 * handles go, drm_gpusvm_fini() zaps and unmaps every range,
 * simgpu_as_fini() retires every job, the page tables and attributes are
 * freed, and the structure goes after an RCU grace period, because the
 * core's fence check (job.c) may still be looking at it.
 */

static const struct simgpu_as_ops amdgpu_glue_as_ops = {
	.walk = amdgpu_glue_pt_walk,
	.fault = amdgpu_glue_as_fault,
};

/*
 * Zap the ranges of @notifier overlapping [start, end), whole: the core
 * DMA-unmaps whole ranges. Between ranges there are no entries, so one
 * zap from the first range's start to the last one's end does it.
 */
static bool amdgpu_glue_zap(struct amdgpu_glue_ctx *ctx,
			    struct drm_gpusvm_notifier *notifier,
			    unsigned long start, unsigned long end)
{
	unsigned long lo = 0, hi = 0;
	struct drm_gpusvm_range *range;

	lockdep_assert_held_write(&ctx->gpusvm.notifier_lock);
	drm_gpusvm_for_each_range(range, notifier, start, end) {
		if (!hi)
			lo = drm_gpusvm_range_start(range);
		hi = drm_gpusvm_range_end(range);
	}
	if (!hi || !amdgpu_glue_pt_zap(ctx, lo, hi))
		return false;
	simgpu_tlb_flush(&ctx->as, lo, hi);
	atomic64_inc(&ctx->stats.invalidations);
	return true;
}

/* Both invalidate ops: zap, and evict a context that cannot retry. */
static void amdgpu_glue_invalidate_span(struct drm_gpusvm *gpusvm,
					struct drm_gpusvm_notifier *notifier,
					unsigned long start, unsigned long end)
{
	struct amdgpu_glue_ctx *ctx = to_amdgpu_glue_ctx(gpusvm);
	bool cookie;

	/* Before the zap: a fault raised from now on may be stale */
	atomic64_inc(&ctx->inval_seq);
	/* The eviction fence may signal: lockdep checks what follows */
	cookie = dma_fence_begin_signalling();
	/*
	 * Under qlock, so that the eviction is marked before the fault path
	 * can see a zapped entry (evict.c), and the mode cannot change
	 */
	spin_lock(&ctx->qlock);
	if (amdgpu_glue_zap(ctx, notifier, start, end) && !ctx->xnack)
		amdgpu_glue_evict_locked(ctx);
	spin_unlock(&ctx->qlock);
	dma_fence_end_signalling(cookie);
}

/* &drm_gpusvm_ops.invalidate, see DOC: Locking. */
static void amdgpu_glue_invalidate(struct drm_gpusvm *gpusvm,
				   struct drm_gpusvm_notifier *notifier,
				   unsigned long start, unsigned long end)
{
	amdgpu_glue_invalidate_span(gpusvm, notifier, start, end);
}

/* &drm_gpusvm_ops.invalidate_nonblock: nothing in it sleeps (R7). */
static bool amdgpu_glue_invalidate_nonblock(struct drm_gpusvm *gpusvm,
					    struct drm_gpusvm_notifier *notifier,
					    unsigned long start,
					    unsigned long end)
{
	amdgpu_glue_invalidate_span(gpusvm, notifier, start, end);
	return true;
}

static const struct drm_gpusvm_ops amdgpu_glue_gpusvm_ops = {
	.invalidate = amdgpu_glue_invalidate,
	.invalidate_nonblock = amdgpu_glue_invalidate_nonblock,
	.bind_prepare = amdgpu_glue_pt_prepare,
	.bind = amdgpu_glue_pt_bind,
};

/* Teach lockdep the order of DOC: Locking, and that qlock is reclaim-safe. */
static void amdgpu_glue_ctx_lockdep_prime(struct amdgpu_glue_ctx *ctx)
{
	if (!IS_ENABLED(CONFIG_LOCKDEP))
		return;
	mutex_lock(&ctx->lock);
	might_lock(&ctx->gpusvm.lock);
	fs_reclaim_acquire(GFP_KERNEL);
	drm_gpusvm_notifier_lock(&ctx->gpusvm);
	spin_lock(&ctx->qlock);
	spin_lock(&ctx->as.lock);
	spin_unlock(&ctx->as.lock);
	spin_unlock(&ctx->qlock);
	drm_gpusvm_notifier_unlock(&ctx->gpusvm);
	fs_reclaim_release(GFP_KERNEL);
	mutex_unlock(&ctx->lock);
}

/* Allocate and initialise what needs no unwinding but a kfree. */
static struct amdgpu_glue_ctx *amdgpu_glue_ctx_alloc(struct amdgpu_glue_device *adev,
						     bool xnack, bool mirror)
{
	static atomic_t serial = ATOMIC_INIT(0);
	struct amdgpu_glue_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return NULL;
	ctx->ih = kvcalloc(AMDGPU_GLUE_IH_ENTRIES, sizeof(*ctx->ih), GFP_KERNEL);
	ctx->park = kvcalloc(AMDGPU_GLUE_IH_ENTRIES, sizeof(*ctx->park),
			     GFP_KERNEL);
	if (!ctx->ih || !ctx->park) {
		kvfree(ctx->park);
		kvfree(ctx->ih);
		kfree(ctx);
		return NULL;
	}
	ctx->adev = adev;
	kref_init(&ctx->refcount);
	mutex_init(&ctx->lock);
	xa_init(&ctx->ptbs);
	ctx->attrs = RB_ROOT_CACHED;
	ctx->xnack = xnack;
	/* test_hmm's device: system memory, atomics through exclusive access */
	ctx->atomic = mirror ? DRM_GPUSVM_ATOMIC_GLOBAL : DRM_GPUSVM_ATOMIC_DEFAULT;
	ctx->dflt_preferred = mirror ? DRM_AMDGPU_GLUE_SVM_LOC_SYSTEM :
				       DRM_AMDGPU_GLUE_SVM_LOC_UNDEFINED;
	amdgpu_glue_evict_init(ctx);
	spin_lock_init(&ctx->ih_lock);
	INIT_WORK(&ctx->fault_work, amdgpu_glue_fault_work);
	xa_init_flags(&ctx->jobs, XA_FLAGS_ALLOC1);
	xa_init_flags(&ctx->queue_ids, XA_FLAGS_ALLOC1);
	snprintf(ctx->name, sizeof(ctx->name), "amdgpu_glue%u-ctx%d",
		 adev->index, atomic_inc_return(&serial));
	return ctx;
}

static void amdgpu_glue_ctx_free(struct amdgpu_glue_ctx *ctx)
{
	xa_destroy(&ctx->queue_ids);
	xa_destroy(&ctx->jobs);
	mutex_destroy(&ctx->lock);
	kvfree(ctx->park);
	kvfree(ctx->ih);
	kfree_rcu(ctx, rcu);
}

/**
 * amdgpu_glue_ctx_create() - Create a context mirroring an mm
 * @adev: The device
 * @mm: The mm; held (mm_count) through the core
 * @xnack: Retry faults on
 * @mirror: For the test_hmm layer: system memory preferred, atomics in
 *	system memory through device-exclusive access
 *
 * Context: Process context.
 *
 * Return: the context with one reference, or an ERR_PTR.
 */
struct amdgpu_glue_ctx *amdgpu_glue_ctx_create(struct amdgpu_glue_device *adev,
					       struct mm_struct *mm, bool xnack,
					       bool mirror)
{
	struct simgpu_device *sdev = adev->sdev;
	struct amdgpu_glue_ctx *ctx;
	int err;

	ctx = amdgpu_glue_ctx_alloc(adev, xnack, mirror);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	err = amdgpu_glue_evict_fence_install(ctx);
	if (err)
		goto err_free;
	simgpu_as_init(&ctx->as, sdev, &amdgpu_glue_as_ops);
	err = drm_gpusvm_init(&ctx->gpusvm, ctx->name, simgpu_dma_dev(sdev), mm,
			      drm_pagemap_owner(simgpu_pagemap(sdev)), 0,
			      TASK_SIZE & PAGE_MASK, 0, &amdgpu_glue_gpusvm_ops);
	if (err)
		goto err_as;
	drm_gpusvm_driver_set_lock(&ctx->gpusvm,
				   drm_gpusvm_driver_lockdep_map(&ctx->lock));
	amdgpu_glue_ctx_lockdep_prime(ctx);
	return ctx;

err_as:
	simgpu_as_fini(&ctx->as);
	amdgpu_glue_evict_fini(ctx);
err_free:
	amdgpu_glue_ctx_free(ctx);
	return ERR_PTR(err);
}

/* The last reference: tear down in the order of DOC: Locking. */
static void amdgpu_glue_ctx_release(struct kref *kref)
{
	struct amdgpu_glue_ctx *ctx = container_of(kref, struct amdgpu_glue_ctx,
						   refcount);

	WARN_ON(!list_empty(&ctx->queues));
	amdgpu_glue_fault_drain(ctx);
	amdgpu_glue_evict_fini(ctx);
	amdgpu_glue_jobs_release(ctx);
	drm_gpusvm_fini(&ctx->gpusvm);
	simgpu_as_fini(&ctx->as);
	amdgpu_glue_pt_fini(ctx);
	amdgpu_glue_attr_fini(ctx);
	amdgpu_glue_ctx_free(ctx);
}

/**
 * amdgpu_glue_ctx_put() - Drop a context reference
 * @ctx: The context, or NULL
 *
 * Context: Process context: the last reference tears the context down.
 */
void amdgpu_glue_ctx_put(struct amdgpu_glue_ctx *ctx)
{
	might_sleep();
	if (ctx)
		kref_put(&ctx->refcount, amdgpu_glue_ctx_release);
}

/**
 * amdgpu_glue_check_span() - Check a user VA span
 * @start: Start
 * @size: Bytes
 * @aligned: Both must be page aligned
 *
 * Return: 0, or -EINVAL for an empty, wrapping or unaligned span, or one
 * reaching beyond the user address space.
 */
int amdgpu_glue_check_span(u64 start, u64 size, bool aligned)
{
	u64 end;

	if (!size || check_add_overflow(start, size, &end) || end > TASK_SIZE)
		return -EINVAL;
	return aligned && !PAGE_ALIGNED(start | size) ? -EINVAL : 0;
}

/**
 * amdgpu_glue_ctx_lookup() - A context of a file, with a reference
 * @afile: The file
 * @id: The handle
 * @need_mm: The caller touches the context's memory: the current process
 *	must be the one it mirrors
 * @err: Set to -ENOENT or -EACCES when NULL is returned
 *
 * Return: the context or NULL.
 */
struct amdgpu_glue_ctx *amdgpu_glue_ctx_lookup(struct amdgpu_glue_file *afile,
					       u32 id, bool need_mm, int *err)
{
	struct amdgpu_glue_ctx *ctx;

	xa_lock(&afile->ctxs);
	ctx = xa_load(&afile->ctxs, id);
	if (ctx)
		amdgpu_glue_ctx_get(ctx);
	xa_unlock(&afile->ctxs);
	if (!ctx) {
		*err = -ENOENT;
	} else if (need_mm && current->mm != ctx->gpusvm.mm) {
		amdgpu_glue_ctx_put(ctx);
		ctx = NULL;
		*err = -EACCES;
	}
	return ctx;
}

/**
 * amdgpu_glue_ctx_create_ioctl() - DRM_IOCTL_AMDGPU_GLUE_CTX_CREATE
 * @drm: The DRM device
 * @data: &struct drm_amdgpu_glue_ctx_create
 * @file: The file
 *
 * Return: 0; -EINVAL for unknown flags or a caller without an mm; -ENOMEM;
 * -EBUSY when no handle is free.
 */
int amdgpu_glue_ctx_create_ioctl(struct drm_device *drm, void *data,
				 struct drm_file *file)
{
	struct amdgpu_glue_file *afile = file->driver_priv;
	struct drm_amdgpu_glue_ctx_create *args = data;
	struct amdgpu_glue_ctx *ctx;
	u32 id;
	int err;

	if ((args->flags & ~DRM_AMDGPU_GLUE_CTX_XNACK) || !current->mm)
		return -EINVAL;
	ctx = amdgpu_glue_ctx_create(afile->adev, current->mm,
				     args->flags & DRM_AMDGPU_GLUE_CTX_XNACK,
				     false);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	err = xa_alloc(&afile->ctxs, &id, ctx, xa_limit_32b, GFP_KERNEL);
	if (err) {
		amdgpu_glue_ctx_put(ctx);
		return err;
	}
	args->ctx_id = id;
	return 0;
}

/* Take a context off its file: its queues go now, the rest with the last put. */
static void amdgpu_glue_ctx_remove(struct amdgpu_glue_file *afile,
				   struct amdgpu_glue_ctx *ctx)
{
	/* A QUEUE_CREATE in flight either finished or sees this */
	mutex_lock(&ctx->lock);
	ctx->removed = true;
	mutex_unlock(&ctx->lock);
	amdgpu_glue_queues_release(afile, ctx);
	amdgpu_glue_ctx_put(ctx);
}

/**
 * amdgpu_glue_ctx_destroy_ioctl() - DRM_IOCTL_AMDGPU_GLUE_CTX_DESTROY
 * @drm: The DRM device
 * @data: &struct drm_amdgpu_glue_ctx_destroy
 * @file: The file
 *
 * Return: 0; -EINVAL for a non-zero pad; -ENOENT for an unknown context.
 */
int amdgpu_glue_ctx_destroy_ioctl(struct drm_device *drm, void *data,
				  struct drm_file *file)
{
	struct amdgpu_glue_file *afile = file->driver_priv;
	struct drm_amdgpu_glue_ctx_destroy *args = data;
	struct amdgpu_glue_ctx *ctx;

	if (args->pad)
		return -EINVAL;
	ctx = xa_erase(&afile->ctxs, args->ctx_id);
	if (!ctx)
		return -ENOENT;
	amdgpu_glue_ctx_remove(afile, ctx);
	return 0;
}

/**
 * amdgpu_glue_file_ctxs_fini() - Destroy every context of a closing file
 * @afile: The file
 */
void amdgpu_glue_file_ctxs_fini(struct amdgpu_glue_file *afile)
{
	struct amdgpu_glue_ctx *ctx;
	unsigned long id;

	xa_for_each(&afile->ctxs, id, ctx) {
		xa_erase(&afile->ctxs, id);
		amdgpu_glue_ctx_remove(afile, ctx);
	}
}

/**
 * amdgpu_glue_set_xnack_ioctl() - DRM_IOCTL_AMDGPU_GLUE_SET_XNACK
 * @drm: The DRM device
 * @data: &struct drm_amdgpu_glue_set_xnack
 * @file: The file
 *
 * Return: 0; -EINVAL for a value other than 0 or 1; -ENOENT for an unknown
 * context; -EBUSY while the context has a queue or a job handle.
 */
int amdgpu_glue_set_xnack_ioctl(struct drm_device *drm, void *data,
				struct drm_file *file)
{
	struct drm_amdgpu_glue_set_xnack *args = data;
	struct amdgpu_glue_ctx *ctx;
	int err = 0;

	if (args->enable > 1)
		return -EINVAL;
	ctx = amdgpu_glue_ctx_lookup(file->driver_priv, args->ctx_id, false, &err);
	if (!ctx)
		return err;
	mutex_lock(&ctx->lock);
	spin_lock(&ctx->qlock);
	/* EXEC reserves its handle and reads the mode under the xa_lock */
	xa_lock(&ctx->jobs);
	if (ctx->nqueues || ctx->njobs)
		err = -EBUSY;
	else
		WRITE_ONCE(ctx->xnack, args->enable);
	xa_unlock(&ctx->jobs);
	spin_unlock(&ctx->qlock);
	mutex_unlock(&ctx->lock);
	amdgpu_glue_ctx_put(ctx);
	return err;
}

/* Queue and eviction state, read under the eviction lock. */
static void amdgpu_glue_ctx_stats_evict(struct amdgpu_glue_ctx *ctx,
					struct drm_amdgpu_glue_ctx_stats *args)
{
	struct amdgpu_glue_queue *q;

	spin_lock(&ctx->qlock);
	args->state = (ctx->xnack ? DRM_AMDGPU_GLUE_STATE_XNACK : 0) |
		      (ctx->evicted ? DRM_AMDGPU_GLUE_STATE_EVICTED : 0);
	args->evict_fence_seqno = ctx->evf_seqno;
	args->evict_fence_signaled = ctx->evf && dma_fence_is_signaled(ctx->evf);
	args->queues = ctx->nqueues;
	args->queues_suspended = 0;
	list_for_each_entry(q, &ctx->queues, link)
		args->queues_suspended += simgpu_queue_suspended(q->hw);
	args->parked = ctx->nparked;
	spin_unlock(&ctx->qlock);
}

/**
 * amdgpu_glue_ctx_stats_ioctl() - DRM_IOCTL_AMDGPU_GLUE_CTX_STATS
 * @drm: The DRM device
 * @data: &struct drm_amdgpu_glue_ctx_stats
 * @file: The file
 *
 * Return: 0; -ENOENT for an unknown context.
 */
int amdgpu_glue_ctx_stats_ioctl(struct drm_device *drm, void *data,
				struct drm_file *file)
{
	struct drm_amdgpu_glue_ctx_stats *args = data;
	const struct drm_pagemap_stats *pstats;
	struct amdgpu_glue_ctx *ctx;
	int err;

	ctx = amdgpu_glue_ctx_lookup(file->driver_priv, args->ctx_id, false, &err);
	if (!ctx)
		return err;
	pstats = &simgpu_pagemap(ctx->adev->sdev)->stats;
	amdgpu_glue_ctx_stats_evict(ctx, args);
	args->gpu_faults = atomic64_read(&ctx->stats.gpu_faults);
	args->stale_faults = atomic64_read(&ctx->stats.stale_faults);
	args->fatal_faults = atomic64_read(&ctx->stats.fatal_faults);
	args->pages_mapped = atomic64_read(&ctx->stats.pages_mapped);
	args->migrations_to_vram = atomic64_read(&ctx->gpusvm.stats.pages_to_devmem);
	args->migrations_to_ram = atomic64_read(&pstats->pages_to_ram);
	args->invalidations = atomic64_read(&ctx->stats.invalidations);
	args->evictions = atomic64_read(&ctx->stats.evictions);
	args->restores = atomic64_read(&ctx->stats.restores);
	args->jobs = atomic64_read(&ctx->stats.jobs);
	args->jobs_failed = atomic64_read(&ctx->stats.jobs_failed);
	args->bind_retries = atomic64_read(&ctx->gpusvm.stats.bind_retries);
	spin_lock(&ctx->ih_lock);
	args->faults_pending = ctx->ih_count;
	spin_unlock(&ctx->ih_lock);
	args->device = ctx->adev->index;
	amdgpu_glue_ctx_put(ctx);
	return 0;
}
