// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>

#include "amdgpu_glue.h"
#include "amdgpu_glue_drm.h"

/**
 * DOC: Eviction and restore
 *
 * A context whose GPU cannot retry faults (XNACK off) must never have a
 * queue run while memory it may touch is unmapped. When the CPU side of a
 * mapped span changes (munmap, migration, a memory-pressure eviction of
 * VRAM through the core's drm_pagemap eviction, a fork write-protecting
 * the pages...), the core calls the invalidate op, which zaps the entries
 * and, when it zapped any, evicts the context (amdgpu_glue_evict_locked()):
 *
 * 1. every user queue of the context stops fetching packets
 *    (simgpu_queue_suspend(): no packet is fetched after it returns),
 * 2. the context's page tables are detached from the GPU's MMU: the
 *    walker (amdgpu_glue_pt_walk()) translates nothing while the context
 *    is evicted, and the whole TLB is flushed. The flush takes
 *    &simgpu_as.lock, which every GPU access holds, so once it returns no
 *    access is in progress, and every later one, of a packet in flight or
 *    of an EXEC job, faults; the fault path parks the job, in both XNACK
 *    modes (amdgpu_glue_fault_park()),
 * 3. the context's eviction fence signals,
 * 4. the restore worker is scheduled.
 *
 * What the eviction fence guarantees, once signalled: until the restore
 * resumes the context, the GPU neither reads nor writes any memory of the
 * process (system memory or VRAM) on behalf of the context. Jobs and
 * packets are not finished or cancelled: they sit parked and continue
 * where they stopped after the restore. Completed work is not implied;
 * memory written before the signal is visible (the flush orders it).
 *
 * The restore worker takes the VM lock, maps again every span that stays
 * mapped (amdgpu_glue_restore_spans(): drm_gpusvm_fault_service() per
 * range, which collects the pages and binds them with the core's seqno
 * retries), then, under the notifier lock so that no invalidation slips in
 * between, checks that no eviction happened since it started
 * (&amdgpu_glue_ctx.evict_seq). If one did, it starts over; if not, it
 * installs a fresh eviction fence, reattaches the tables, resumes the
 * queues and replays the parked jobs. The fresh fence is allocated before
 * any lock is taken; parking never allocates (the ring
 * &amdgpu_glue_ctx.park comes with the context).
 *
 * The eviction fence is separate from the jobs' completion fences: it
 * signals when the process is off the GPU's queues, not when work is done,
 * and it is what a memory manager waits on before moving the process's
 * memory. Waiting on it asks for the eviction (its enable_signaling op
 * kicks a work item that evicts), as KFD's eviction fence does
 * (DRM_AMDGPU_GLUE_DEBUG_EVICT does exactly that wait). A context with
 * XNACK on is evicted only that way: its invalidations need no eviction,
 * faults bring the pages back.
 *
 * The signalling path (suspend the queues, signal) runs in the invalidate
 * op, which reclaim and the OOM reaper may call under the notifier lock:
 * it allocates nothing and takes only spinlocks (&amdgpu_glue_ctx.qlock,
 * the queues' locks, &simgpu_as.lock, the fence's lock), and it is annotated with
 * dma_fence_begin_signalling()/dma_fence_end_signalling() so that lockdep
 * checks that nothing in it waits on a fence or enters reclaim.
 */

/* The restore runs this long after the eviction, so evictions batch. */
#define AMDGPU_GLUE_RESTORE_DELAY	1
/* And this long after a restore that failed for want of memory. */
#define AMDGPU_GLUE_RESTORE_RETRY	msecs_to_jiffies(10)

/**
 * struct amdgpu_glue_evf - An eviction fence
 */
struct amdgpu_glue_evf {
	/** @base: The fence */
	struct dma_fence base;
	/** @lock: The fence's lock, nothing else */
	spinlock_t lock;
	/**
	 * @ctx: The context; only used by enable_signaling, which never runs
	 * once the fence signalled, and the context signals its fence before
	 * it goes
	 */
	struct amdgpu_glue_ctx *ctx;
};

static const char *amdgpu_glue_evf_driver_name(struct dma_fence *f)
{
	return "amdgpu_glue";
}

static const char *amdgpu_glue_evf_timeline_name(struct dma_fence *f)
{
	return "eviction";
}

/* A waiter wants the process off the GPU: evict (from a work item). */
static bool amdgpu_glue_evf_enable_signaling(struct dma_fence *f)
{
	struct amdgpu_glue_evf *evf = container_of(f, struct amdgpu_glue_evf, base);

	queue_work(system_unbound_wq, &evf->ctx->evict_work);
	return true;
}

static const struct dma_fence_ops amdgpu_glue_evf_ops = {
	.get_driver_name = amdgpu_glue_evf_driver_name,
	.get_timeline_name = amdgpu_glue_evf_timeline_name,
	.enable_signaling = amdgpu_glue_evf_enable_signaling,
};

/* A new, unsignalled eviction fence; installed by the caller. */
static struct dma_fence *amdgpu_glue_evf_alloc(struct amdgpu_glue_ctx *ctx)
{
	struct amdgpu_glue_evf *evf = kzalloc(sizeof(*evf), GFP_KERNEL);

	if (!evf)
		return NULL;
	spin_lock_init(&evf->lock);
	evf->ctx = ctx;
	/* The seqno is set when installed, under qlock */
	dma_fence_init(&evf->base, &amdgpu_glue_evf_ops, &evf->lock,
		       ctx->evf_context, 0);
	return &evf->base;
}

/* Make @f the current fence; returns the old one for the caller to put. */
static struct dma_fence *amdgpu_glue_evf_swap(struct amdgpu_glue_ctx *ctx,
					      struct dma_fence *f)
{
	struct dma_fence *old = ctx->evf;

	lockdep_assert_held(&ctx->qlock);
	f->seqno = ++ctx->evf_seqno;
	ctx->evf = f;
	return old;
}

/**
 * amdgpu_glue_evict_init() - Prepare a context's eviction state
 * @ctx: The context, being created
 */
void amdgpu_glue_evict_init(struct amdgpu_glue_ctx *ctx)
{
	spin_lock_init(&ctx->qlock);
	INIT_LIST_HEAD(&ctx->queues);
	INIT_DELAYED_WORK(&ctx->restore_work, amdgpu_glue_restore_work);
	INIT_WORK(&ctx->evict_work, amdgpu_glue_evict_work);
	ctx->evf_context = dma_fence_context_alloc(1);
}

/**
 * amdgpu_glue_evict_fence_install() - Give a new context its first fence
 * @ctx: The context
 *
 * Return: 0 or -ENOMEM.
 */
int amdgpu_glue_evict_fence_install(struct amdgpu_glue_ctx *ctx)
{
	struct dma_fence *f = amdgpu_glue_evf_alloc(ctx), *old;

	if (!f)
		return -ENOMEM;
	spin_lock(&ctx->qlock);
	old = amdgpu_glue_evf_swap(ctx, f);
	spin_unlock(&ctx->qlock);
	dma_fence_put(old);
	return 0;
}

/**
 * amdgpu_glue_evict_locked() - Evict a context's queues
 * @ctx: The context
 *
 * See DOC: Eviction and restore. Every call, even on an evicted context,
 * makes a restore in progress start over. The caller opens the fence
 * signalling section (dma_fence_begin_signalling()) before it takes
 * &amdgpu_glue_ctx.qlock: inside a spinlock the annotation would be
 * skipped as atomic, and lockdep would check nothing.
 *
 * Context: &amdgpu_glue_ctx.qlock held, in a fence signalling section;
 * possibly the notifier lock and reclaim. Allocates nothing, never sleeps.
 */
void amdgpu_glue_evict_locked(struct amdgpu_glue_ctx *ctx)
{
	struct amdgpu_glue_queue *q;

	lockdep_assert_held(&ctx->qlock);
	ctx->evict_seq++;
	if (!ctx->evicted) {
		WRITE_ONCE(ctx->evicted, true);
		atomic64_inc(&ctx->stats.evictions);
		list_for_each_entry(q, &ctx->queues, link)
			simgpu_queue_suspend(q->hw);
		/*
		 * Detach the tables: the walker translates nothing while
		 * evicted, and once the flush returns (it serialises with
		 * every access on &simgpu_as.lock) no access is in progress
		 * and every later one faults and parks.
		 */
		simgpu_tlb_flush(&ctx->as, 0, TASK_SIZE);
		/* None once amdgpu_glue_evict_fini() ran */
		if (ctx->evf)
			dma_fence_signal(ctx->evf);
	}
	if (!ctx->restore_hold)
		mod_delayed_work(system_unbound_wq, &ctx->restore_work,
				 AMDGPU_GLUE_RESTORE_DELAY);
}

/**
 * amdgpu_glue_evict_work() - Evict for a waiter on the eviction fence
 * @work: &amdgpu_glue_ctx.evict_work
 */
void amdgpu_glue_evict_work(struct work_struct *work)
{
	struct amdgpu_glue_ctx *ctx = container_of(work, struct amdgpu_glue_ctx,
						   evict_work);
	bool cookie = dma_fence_begin_signalling();

	spin_lock(&ctx->qlock);
	amdgpu_glue_evict_locked(ctx);
	spin_unlock(&ctx->qlock);
	dma_fence_end_signalling(cookie);
}

/* The VMA piece of [va, end) that starts first; false when there is none. */
static bool amdgpu_glue_vma_piece(struct mm_struct *mm, unsigned long va,
				  unsigned long end, unsigned long *s,
				  unsigned long *e, vm_flags_t *flags)
{
	struct vm_area_struct *vma;
	bool found = false;

	mmap_read_lock(mm);
	vma = find_vma(mm, va);
	if (vma && vma->vm_start < end) {
		*s = max(va, vma->vm_start);
		*e = min(end, vma->vm_end);
		*flags = vma->vm_flags;
		found = true;
	}
	mmap_read_unlock(mm);
	return found;
}

/* Serve [start, end) range by range as faults with @access. */
static int amdgpu_glue_map_piece(struct amdgpu_glue_ctx *ctx,
				 unsigned long start, unsigned long end,
				 enum drm_gpusvm_access access,
				 enum drm_gpusvm_location loc,
				 struct drm_pagemap *dpagemap)
{
	struct drm_gpusvm_fault_req req = {
		.start = start,
		.end = end,
		.access = access,
		.preferred = loc,
		.atomic = ctx->atomic,
		.dpagemap = dpagemap,
	};
	unsigned long next;
	int err;

	for (req.addr = start; req.addr < end; req.addr = next) {
		err = drm_gpusvm_fault_service(&ctx->gpusvm, &req, &next);
		if (err)
			return err;
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/**
 * amdgpu_glue_map_span() - Map the CPU-mapped parts of a span on the GPU
 * @ctx: The context
 * @start: Start, page aligned
 * @end: End (exclusive), page aligned
 * @loc: Preferred location, for the core's migration policy
 * @dpagemap: Device memory the pages may move to, or NULL to map them where
 *	they are
 * @ro: Map read-only (GPU_RO): fault the pages in for reading only
 *
 * Writable VMAs are faulted in for writing, so that a GPU that cannot
 * retry (XNACK off) can store to them; holes and PROT_NONE parts are
 * skipped, and so are parts the CPU changes while this runs.
 *
 * Context: Process context, VM lock held.
 *
 * Return: 0, -ENOMEM, -EBUSY, -EINTR, or another error of
 * drm_gpusvm_fault_service().
 */
int amdgpu_glue_map_span(struct amdgpu_glue_ctx *ctx, unsigned long start,
			 unsigned long end, enum drm_gpusvm_location loc,
			 struct drm_pagemap *dpagemap, bool ro)
{
	struct mm_struct *mm = ctx->gpusvm.mm;
	unsigned long va, s, e;
	vm_flags_t flags;
	int err = 0;

	lockdep_assert_held(&ctx->lock);
	if (!mmget_not_zero(mm))
		return 0;	/* Exiting: nothing left to map */
	for (va = start; va < end && !err; va = e) {
		if (!amdgpu_glue_vma_piece(mm, va, end, &s, &e, &flags))
			break;
		if (!(flags & VM_READ))
			continue;
		err = amdgpu_glue_map_piece(ctx, s, e,
					    (flags & VM_WRITE) && !ro ?
					    DRM_GPUSVM_ACCESS_WRITE :
					    DRM_GPUSVM_ACCESS_READ,
					    loc, dpagemap);
		if (err == -EFAULT || err == -EPERM)
			err = 0;	/* The CPU side changed under us */
	}
	/* Not mmput(): the last reference would tear the mm down here */
	mmput_async(mm);
	return err;
}

/* Park @job (a reference); true when the ring is full and it was not. */
static bool amdgpu_glue_park_locked(struct amdgpu_glue_ctx *ctx,
				    struct simgpu_job *job)
{
	lockdep_assert_held(&ctx->qlock);
	if (ctx->nparked == AMDGPU_GLUE_IH_ENTRIES)
		return true;
	ctx->park[(ctx->park_head + ctx->nparked++) % AMDGPU_GLUE_IH_ENTRIES] =
		simgpu_job_get(job);
	return false;
}

/* Take the oldest parked job (its reference), or NULL. */
static struct simgpu_job *amdgpu_glue_park_pop(struct amdgpu_glue_ctx *ctx)
{
	struct simgpu_job *job = NULL;

	spin_lock(&ctx->qlock);
	if (ctx->nparked) {
		job = ctx->park[ctx->park_head];
		ctx->park_head = (ctx->park_head + 1) % AMDGPU_GLUE_IH_ENTRIES;
		ctx->nparked--;
	}
	spin_unlock(&ctx->qlock);
	return job;
}

/*
 * Replay (or cancel with @err) at most @n parked jobs. A job parked by a
 * later eviction meanwhile is harmless to replay: it faults and parks again.
 */
static void amdgpu_glue_park_replay(struct amdgpu_glue_ctx *ctx,
				    unsigned int n, int err)
{
	struct simgpu_job *job;

	while (n-- && (job = amdgpu_glue_park_pop(ctx))) {
		if (err)
			simgpu_job_cancel(job, err);
		else
			simgpu_job_replay(job);
		simgpu_job_put(job);
	}
}

/**
 * amdgpu_glue_fault_park() - Park a faulting job while the context is evicted
 * @ctx: The context
 * @job: The job; a reference is taken when it is parked
 *
 * Both XNACK modes park: the tables are detached while evicted, so the
 * fault says nothing about the address. The ring has room for every job
 * that can stall at once (each stalled job has at most one record, and the
 * IH ring is sized for them); should it be full, the job fails -ENOMEM.
 *
 * Context: Any context but IRQ; takes &amdgpu_glue_ctx.qlock, never
 * allocates.
 *
 * Return: true when the job was parked (or failed), false when the context
 * is not evicted and the caller serves the fault.
 */
bool amdgpu_glue_fault_park(struct amdgpu_glue_ctx *ctx, struct simgpu_job *job)
{
	bool evicted, full = false;

	spin_lock(&ctx->qlock);
	evicted = ctx->evicted;
	if (evicted)
		full = amdgpu_glue_park_locked(ctx, job);
	spin_unlock(&ctx->qlock);
	if (full)
		amdgpu_glue_job_fail(ctx, job, -ENOMEM);
	return evicted;
}

/*
 * The last step of a restore: if no eviction came in since @seq, install
 * @f and resume. Returns false to start over; @nparked gets the number of
 * jobs to replay.
 */
static bool amdgpu_glue_resume(struct amdgpu_glue_ctx *ctx, u64 seq,
			       struct dma_fence **f, unsigned int *nparked)
{
	struct amdgpu_glue_queue *q;
	bool done = false;

	/* No invalidation between the check and the resume */
	drm_gpusvm_notifier_lock(&ctx->gpusvm);
	spin_lock(&ctx->qlock);
	if (ctx->evict_seq == seq && !ctx->restore_hold) {
		*f = amdgpu_glue_evf_swap(ctx, *f);
		WRITE_ONCE(ctx->evicted, false);
		list_for_each_entry(q, &ctx->queues, link)
			simgpu_queue_resume(q->hw);
		*nparked = ctx->nparked;
		atomic64_inc(&ctx->stats.restores);
		done = true;
	}
	spin_unlock(&ctx->qlock);
	drm_gpusvm_notifier_unlock(&ctx->gpusvm);
	return done;
}

/**
 * amdgpu_glue_restore_work() - Revalidate the mappings and resume
 * @work: &amdgpu_glue_ctx.restore_work
 *
 * See DOC: Eviction and restore.
 */
void amdgpu_glue_restore_work(struct work_struct *work)
{
	struct amdgpu_glue_ctx *ctx = container_of(to_delayed_work(work),
						   struct amdgpu_glue_ctx,
						   restore_work);
	unsigned int nparked = 0;
	struct dma_fence *f;
	bool again;
	u64 seq;
	int err;

	spin_lock(&ctx->qlock);
	again = ctx->evicted && !ctx->restore_hold;
	seq = ctx->evict_seq;
	spin_unlock(&ctx->qlock);
	if (!again)
		return;
	f = amdgpu_glue_evf_alloc(ctx);
	if (!f) {
		mod_delayed_work(system_unbound_wq, &ctx->restore_work,
				 AMDGPU_GLUE_RESTORE_RETRY);
		return;
	}

	mutex_lock(&ctx->lock);
	err = amdgpu_glue_restore_spans(ctx);
	again = err || !amdgpu_glue_resume(ctx, seq, &f, &nparked);
	mutex_unlock(&ctx->lock);
	/* The old fence when resumed, else the unused new one */
	dma_fence_put(f);
	amdgpu_glue_park_replay(ctx, nparked, 0);
	if (again)
		mod_delayed_work(system_unbound_wq, &ctx->restore_work,
				 err ? AMDGPU_GLUE_RESTORE_RETRY : 0);
}

/* May an access with @access go through @xl? */
static bool amdgpu_glue_xlate_allows(const struct simgpu_xlate *xl,
				     enum simgpu_access access)
{
	if (access == SIMGPU_ACCESS_WRITE)
		return xl->flags & SIMGPU_XLATE_WRITE;
	if (access == SIMGPU_ACCESS_ATOMIC)
		return xl->flags & SIMGPU_XLATE_ATOMIC;
	return true;
}

/**
 * amdgpu_glue_fault_noretry() - A fault of a context with XNACK off
 * @ctx: The context
 * @rec: The record; the caller keeps its job reference
 *
 * Such a GPU cannot retry, so a fault is either an eviction's doing (the
 * context is evicted: park the job until the restore replays it, without
 * allocating: a reclaim waiter may depend on it, R20), already
 * repaired (the entry is valid now: replay), or fatal: the job is
 * cancelled with -EFAULT, or -EPERM when the entry exists without the
 * permission. The check and the parking happen under
 * &amdgpu_glue_ctx.qlock, which the invalidate op takes to mark the
 * eviction before it zaps anything, so a zap is never mistaken for a hole.
 *
 * Context: Process context (the fault worker).
 */
void amdgpu_glue_fault_noretry(struct amdgpu_glue_ctx *ctx,
			       const struct simgpu_fault *rec)
{
	struct simgpu_xlate xl;
	bool evicted, full = false, valid = false, ok = false;

	spin_lock(&ctx->qlock);
	evicted = ctx->evicted;
	if (evicted) {
		full = amdgpu_glue_park_locked(ctx, rec->job);
	} else {
		valid = simgpu_as_translate(&ctx->as, rec->va, &xl);
		ok = valid && amdgpu_glue_xlate_allows(&xl, rec->access);
	}
	spin_unlock(&ctx->qlock);
	if (evicted) {
		if (full)
			amdgpu_glue_job_fail(ctx, rec->job, -ENOMEM);
		return;
	}
	if (ok) {
		simgpu_job_replay(rec->job);
		return;
	}
	atomic64_inc(&ctx->stats.fatal_faults);
	amdgpu_glue_job_fail(ctx, rec->job, valid ? -EPERM : -EFAULT);
}

/**
 * amdgpu_glue_evict_fini() - Stop eviction and restore for good
 * @ctx: The context being destroyed; no queue is left
 *
 * Parked jobs are cancelled; the current fence signals, so that no waiter
 * hangs, and is put.
 */
void amdgpu_glue_evict_fini(struct amdgpu_glue_ctx *ctx)
{
	struct dma_fence *f;

	spin_lock(&ctx->qlock);
	ctx->restore_hold = true;
	f = ctx->evf;
	ctx->evf = NULL;
	spin_unlock(&ctx->qlock);
	if (f)
		dma_fence_signal(f);
	/* After the signal no enable_signaling can queue the evict work */
	disable_work_sync(&ctx->evict_work);
	disable_delayed_work_sync(&ctx->restore_work);
	dma_fence_put(f);
	amdgpu_glue_park_replay(ctx, AMDGPU_GLUE_IH_ENTRIES, -ECANCELED);
}

/* DRM_AMDGPU_GLUE_DEBUG_EVICT: wait on the fence as a memory manager would. */
static int amdgpu_glue_debug_evict(struct amdgpu_glue_ctx *ctx)
{
	struct dma_fence *f;
	long ret;

	spin_lock(&ctx->qlock);
	f = dma_fence_get(ctx->evf);
	spin_unlock(&ctx->qlock);
	if (!f)
		return -ENOENT;
	ret = dma_fence_wait_timeout(f, true, 10 * HZ);
	dma_fence_put(f);
	return ret < 0 ? ret : ret ? 0 : -ETIME;
}

/* The restore hold knob. */
static void amdgpu_glue_restore_hold(struct amdgpu_glue_ctx *ctx, bool hold)
{
	spin_lock(&ctx->qlock);
	ctx->restore_hold = hold;
	if (!hold && ctx->evicted)
		mod_delayed_work(system_unbound_wq, &ctx->restore_work, 0);
	spin_unlock(&ctx->qlock);
}

/**
 * amdgpu_glue_debug_ioctl() - DRM_IOCTL_AMDGPU_GLUE_DEBUG
 * @drm: The DRM device
 * @data: &struct drm_amdgpu_glue_debug
 * @file: The file
 *
 * Return: 0; -EPERM without test_knobs=1; -EINVAL for an unknown op;
 * -ENOENT for an unknown context; for EVICT -ETIME or -ERESTARTSYS.
 */
int amdgpu_glue_debug_ioctl(struct drm_device *drm, void *data,
			    struct drm_file *file)
{
	struct drm_amdgpu_glue_debug *args = data;
	struct amdgpu_glue_ctx *ctx;
	int err = 0;

	if (!amdgpu_glue_test_knobs)
		return -EPERM;
	if (!args->op || args->op > DRM_AMDGPU_GLUE_DEBUG_EVICT)
		return -EINVAL;
	ctx = amdgpu_glue_ctx_lookup(file->driver_priv, args->ctx_id, false, &err);
	if (!ctx)
		return err;
	switch (args->op) {
	case DRM_AMDGPU_GLUE_DEBUG_HOLD_FAULTS:
	case DRM_AMDGPU_GLUE_DEBUG_RELEASE_FAULTS:
		amdgpu_glue_fault_hold(ctx, args->op == DRM_AMDGPU_GLUE_DEBUG_HOLD_FAULTS);
		break;
	case DRM_AMDGPU_GLUE_DEBUG_HOLD_RESTORE:
	case DRM_AMDGPU_GLUE_DEBUG_RELEASE_RESTORE:
		amdgpu_glue_restore_hold(ctx, args->op == DRM_AMDGPU_GLUE_DEBUG_HOLD_RESTORE);
		break;
	default:
		err = amdgpu_glue_debug_evict(ctx);
		break;
	}
	amdgpu_glue_ctx_put(ctx);
	return err;
}
