// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/align.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include <drm/drm_pagemap.h>

#include "amdgpu_glue.h"
#include "amdgpu_glue_drm.h"

/**
 * DOC: GPU faults
 *
 * simgpu stalls a job on a missing or too weak translation and calls
 * amdgpu_glue_as_fault(). As amdgpu's interrupt handler does with its IH
 * ring, the record goes into a fixed ring per context
 * (%AMDGPU_GLUE_IH_ENTRIES entries, never allocated on the fault path;
 * a context cannot have more stalled jobs than that, see the uAPI limits)
 * together with the context's invalidation sequence number at that moment,
 * and the fault worker is kicked.
 *
 * The worker serves the ring in order. With XNACK off the GPU cannot
 * retry: see amdgpu_glue_fault_noretry() (evict.c). With XNACK on, under
 * the VM lock:
 *
 * 1. **Stale retry faults are dropped.** A retry fault can reach the
 *    driver after the CPU unmapped the address: the record was raised,
 *    then munmap invalidated the span. amdgpu drops such faults by
 *    comparing the fault's timestamp with a checkpoint taken at the
 *    unmap; here the record's sequence number is compared with the
 *    context's (bumped by every invalidate op call), and when an
 *    invalidation came in since and the address has no VMA (or one that
 *    does not allow the access) any more, the fault is counted as stale
 *    and not served: the job is replayed, retries the access, and the
 *    new fault fails with -EFAULT if the address is still unmapped. A
 *    fault is dropped as stale at most once per job and address in a
 *    row (&amdgpu_glue_ctx.stale_job, &amdgpu_glue_ctx.stale_va), so
 *    steady invalidations elsewhere in the context cannot replay a fault
 *    on an unmapped address for ever: it is cancelled in bounded time.
 * 2. A device not in the address's ACCESSIBLE is refused (-EACCES), a
 *    write or atomic to a GPU_RO span too (-EPERM).
 * 3. drm_gpusvm_fault_service() serves the fault with the address's
 *    preferred location, the context's atomic mode and this device's
 *    memory; for a span whose attributes were set, GRANULARITY gives the
 *    naturally aligned span to bring in, else the core's policy does.
 *
 * Then the job is replayed, or cancelled with the error. -EBUSY (races
 * kept winning) replays while drm_gpusvm_fault_busy_replay() allows.
 */

static enum drm_gpusvm_access amdgpu_glue_access(enum simgpu_access access)
{
	if (access == SIMGPU_ACCESS_ATOMIC)
		return DRM_GPUSVM_ACCESS_ATOMIC;
	return access == SIMGPU_ACCESS_WRITE ? DRM_GPUSVM_ACCESS_WRITE :
					       DRM_GPUSVM_ACCESS_READ;
}

/**
 * amdgpu_glue_job_fail() - Cancel a job the driver gives up on
 * @ctx: The context
 * @job: The job
 * @err: The status the job retires with
 */
void amdgpu_glue_job_fail(struct amdgpu_glue_ctx *ctx, struct simgpu_job *job,
			  int err)
{
	atomic64_inc(&ctx->stats.jobs_failed);
	simgpu_job_cancel(job, err);
}

/**
 * amdgpu_glue_as_fault() - &simgpu_as_ops.fault: put a record in the ring
 * @as: The context's address space
 * @fault: The record, on the engine's stack
 *
 * Context: Exec engine worker, no simgpu lock; does not sleep or allocate.
 */
void amdgpu_glue_as_fault(struct simgpu_as *as, const struct simgpu_fault *fault)
{
	struct amdgpu_glue_ctx *ctx = container_of(as, struct amdgpu_glue_ctx, as);
	struct amdgpu_glue_ih_entry *e;
	int err = 0;
	bool kick;

	spin_lock(&ctx->ih_lock);
	if (ctx->closing)
		err = -ECANCELED;
	else if (ctx->ih_count == AMDGPU_GLUE_IH_ENTRIES)
		err = -ENOSPC;
	if (!err) {
		e = &ctx->ih[(ctx->ih_head + ctx->ih_count++) % AMDGPU_GLUE_IH_ENTRIES];
		e->rec = *fault;
		/* simgpu_as_fini() may retire a stalled job: keep it alive */
		simgpu_job_get(fault->job);
		e->seq = atomic64_read(&ctx->inval_seq);
	}
	kick = !ctx->fault_hold;
	spin_unlock(&ctx->ih_lock);

	if (err == -ENOSPC)
		atomic64_inc(&ctx->stats.ih_overflows);
	if (err)
		amdgpu_glue_job_fail(ctx, fault->job, err);
	else if (kick)
		queue_work(system_unbound_wq, &ctx->fault_work);
}

/* Take the oldest record into @e; false when none (or held). */
static bool amdgpu_glue_ih_pop(struct amdgpu_glue_ctx *ctx,
			       struct amdgpu_glue_ih_entry *e, bool drain)
{
	bool got = false;

	spin_lock(&ctx->ih_lock);
	if (ctx->ih_count && (drain || !ctx->fault_hold)) {
		*e = ctx->ih[ctx->ih_head];
		ctx->ih_head = (ctx->ih_head + 1) % AMDGPU_GLUE_IH_ENTRIES;
		ctx->ih_count--;
		got = true;
	}
	spin_unlock(&ctx->ih_lock);
	return got;
}

/* Was the fault raised before an unmap of its address? (DOC: GPU faults) */
static bool amdgpu_glue_fault_stale(struct amdgpu_glue_ctx *ctx,
				    const struct amdgpu_glue_ih_entry *e)
{
	struct mm_struct *mm = ctx->gpusvm.mm;
	struct vm_area_struct *vma;
	vm_flags_t need = VM_READ;
	bool mapped;

	lockdep_assert_held(&ctx->lock);
	if (e->seq == atomic64_read(&ctx->inval_seq))
		return false;
	/* Dropped once already: this one is judged on the VMA alone */
	if (ctx->stale_job == e->rec.job && ctx->stale_va == e->rec.va)
		return false;
	if (e->rec.access != SIMGPU_ACCESS_READ)
		need |= VM_WRITE;
	if (!mmget_not_zero(mm))
		return true;	/* Exiting: the job is cancelled anyway */
	mmap_read_lock(mm);
	vma = vma_lookup(mm, e->rec.va);
	mapped = vma && (vma->vm_flags & need) == need;
	mmap_read_unlock(mm);
	mmput_async(mm);
	if (mapped)
		return false;
	ctx->stale_job = e->rec.job;
	ctx->stale_va = e->rec.va;
	return true;
}

/* Serve one retry fault; 0 to replay, else the job's error. */
static int amdgpu_glue_fault_retry(struct amdgpu_glue_ctx *ctx,
				   const struct amdgpu_glue_ih_entry *e)
{
	struct drm_gpusvm_fault_req req = {
		.addr = e->rec.va,
		.access = amdgpu_glue_access(e->rec.access),
		.atomic = ctx->atomic,
		.dpagemap = simgpu_pagemap(ctx->adev->sdev),
	};
	struct amdgpu_glue_attr attr;
	bool set;

	lockdep_assert_held(&ctx->lock);
	if (amdgpu_glue_fault_stale(ctx, e)) {
		atomic64_inc(&ctx->stats.stale_faults);
		return 0;
	}
	attr = amdgpu_glue_attr_at(ctx, e->rec.va, &set, NULL);
	if (!(attr.accessible & BIT(ctx->adev->index)))
		return -EACCES;
	if (req.access != DRM_GPUSVM_ACCESS_READ &&
	    (attr.flags & DRM_AMDGPU_GLUE_SVM_FLAG_GPU_RO))
		return -EPERM;
	req.preferred = amdgpu_glue_loc(ctx, attr.preferred);
	if (set) {
		unsigned long size = PAGE_SIZE << attr.granularity;

		req.start = ALIGN_DOWN(req.addr, size);
		req.end = min_t(unsigned long, req.start + size, TASK_SIZE);
	}
	return drm_gpusvm_fault_service(&ctx->gpusvm, &req, NULL);
}

/* Serve one record and answer the engine. */
static void amdgpu_glue_fault_handle(struct amdgpu_glue_ctx *ctx,
				     const struct amdgpu_glue_ih_entry *e)
{
	int err;

	atomic64_inc(&ctx->stats.gpu_faults);
	if (READ_ONCE(ctx->xnack) && amdgpu_glue_fault_park(ctx, e->rec.job))
		return;
	if (!READ_ONCE(ctx->xnack)) {
		amdgpu_glue_fault_noretry(ctx, &e->rec);
		return;
	}
	mutex_lock(&ctx->lock);
	err = amdgpu_glue_fault_retry(ctx, e);
	mutex_unlock(&ctx->lock);
	if (err != -EBUSY)
		ctx->busy_streak = 0;
	else if (!drm_gpusvm_fault_busy_replay(++ctx->busy_streak))
		err = 0;	/* The access faults again, later */
	if (!err) {
		simgpu_job_replay(e->rec.job);
		return;
	}
	atomic64_inc(&ctx->stats.fatal_faults);
	amdgpu_glue_job_fail(ctx, e->rec.job, err);
}

/**
 * amdgpu_glue_fault_work() - The context's fault worker
 * @work: &amdgpu_glue_ctx.fault_work
 *
 * Context: Process context (system_unbound_wq); takes the VM lock.
 */
void amdgpu_glue_fault_work(struct work_struct *work)
{
	struct amdgpu_glue_ctx *ctx = container_of(work, struct amdgpu_glue_ctx,
						   fault_work);
	struct amdgpu_glue_ih_entry e;

	while (amdgpu_glue_ih_pop(ctx, &e, false)) {
		amdgpu_glue_fault_handle(ctx, &e);
		simgpu_job_put(e.rec.job);
		cond_resched();
	}
}

/**
 * amdgpu_glue_fault_hold() - Test knob: hold fault service off, or resume
 * @ctx: The context
 * @hold: Queue records but serve none
 */
void amdgpu_glue_fault_hold(struct amdgpu_glue_ctx *ctx, bool hold)
{
	spin_lock(&ctx->ih_lock);
	ctx->fault_hold = hold;
	spin_unlock(&ctx->ih_lock);
	if (!hold)
		queue_work(system_unbound_wq, &ctx->fault_work);
}

/**
 * amdgpu_glue_fault_drain() - Stop serving faults, cancel the queued ones
 * @ctx: The context being destroyed
 *
 * The fault op cancels new faults from now on; the worker is disabled,
 * not just flushed, so nothing requeues it.
 *
 * Context: Process context, VM lock not held.
 */
void amdgpu_glue_fault_drain(struct amdgpu_glue_ctx *ctx)
{
	struct amdgpu_glue_ih_entry e;

	spin_lock(&ctx->ih_lock);
	ctx->closing = true;
	spin_unlock(&ctx->ih_lock);
	disable_work_sync(&ctx->fault_work);
	while (amdgpu_glue_ih_pop(ctx, &e, true)) {
		simgpu_job_cancel(e.rec.job, -ECANCELED);
		simgpu_job_put(e.rec.job);
	}
}
