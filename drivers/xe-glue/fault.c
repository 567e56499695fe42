// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include <drm/drm_pagemap.h>

#include "xe_glue.h"
#include "xe_glue_drm.h"

/**
 * DOC: GPU faults
 *
 * simgpu's exec engine stalls a job on a missing or insufficient
 * translation and calls xe_glue_as_fault() from its worker. The record is
 * copied into the VM's fault queue (GFP_NOWAIT: the engine should not wait
 * for reclaim on our behalf; without memory the job is cancelled with
 * -ENOMEM) and the VM's fault worker is kicked. The worker serves one
 * record at a time under the VM lock, then replays the job or cancels it
 * with the error, which user space reads as the WAIT status.
 *
 * Serving a fault (xe_glue_fault_serve()) follows the core's DOC:
 * Examples: drm_gpusvm_range_find_or_insert() with a &drm_gpusvm_ctx built
 * from the access and the address's madvise attributes, migration to VRAM
 * when policy.c says so (best effort, R3), drm_gpusvm_range_get_pages(),
 * page-table preparation, then the bind under the notifier lock after
 * drm_gpusvm_range_pages_valid(). Any -EAGAIN (a race with an invalidation
 * or the CPU unmapping the range) starts over, at most
 * %XE_GLUE_MAX_TRIES times.
 *
 * A fault that keeps losing races for the core's whole timeout (-EBUSY,
 * typically two devices pulling the same range to their own memory) is not
 * the job's fault: the job is replayed and faults again, which lets the
 * other side's work and this VM's other faults through in between. How
 * many such faults in a row are replayed before the job is cancelled with
 * -EBUSY is policy: drm_gpusvm_fault_busy_replay().
 *
 * Atomics: the device can only do an atomic on VRAM or on a page the core
 * made device-exclusive (exclusive.c); xe_glue_pt_bind() says whether the
 * faulting address got an atomic entry. What an atomic fault asks for
 * depends on the address's atomic mode:
 *
 * - DRM_XE_GLUE_ATOMIC_DEVICE: VRAM required. The fault prefers device
 *   memory; when the data still is not in VRAM after the bind, it tries
 *   again while drm_gpusvm_atomic_retry() allows, then fails with -EACCES.
 * - DRM_XE_GLUE_ATOMIC_GLOBAL: system memory made device-exclusive, no
 *   migration; a CPU access revokes it and the next GPU atomic faults.
 * - DRM_XE_GLUE_ATOMIC_DEFAULT: whatever the preferred location gives; if
 *   that is not VRAM, device-exclusive access, bounded as above.
 */

/**
 * struct xe_glue_fault - A queued fault record
 * @link: In &xe_glue_vm.faults
 * @rec: The record; holds a reference on its job
 */
struct xe_glue_fault {
	struct list_head link;
	struct simgpu_fault rec;
};

static enum drm_gpusvm_access xe_glue_access(enum simgpu_access access)
{
	switch (access) {
	case SIMGPU_ACCESS_WRITE:
		return DRM_GPUSVM_ACCESS_WRITE;
	case SIMGPU_ACCESS_ATOMIC:
		return DRM_GPUSVM_ACCESS_ATOMIC;
	default:
		return DRM_GPUSVM_ACCESS_READ;
	}
}

/* A job the glue gives up on: the error becomes its WAIT status. */
static void xe_glue_job_fail(struct xe_glue_vm *vm, struct simgpu_job *job,
			     int err)
{
	atomic64_inc(&vm->stats.jobs_failed);
	simgpu_job_cancel(job, err);
}

/**
 * xe_glue_as_fault() - &simgpu_as_ops.fault: queue a fault record
 * @as: The VM's address space
 * @fault: The record, on the engine's stack
 *
 * Context: Exec engine worker, no simgpu lock held; does not sleep.
 */
void xe_glue_as_fault(struct simgpu_as *as, const struct simgpu_fault *fault)
{
	struct xe_glue_vm *vm = container_of(as, struct xe_glue_vm, as);
	struct xe_glue_fault *f;

	f = kmalloc(sizeof(*f), GFP_NOWAIT | __GFP_NOWARN);
	if (!f) {
		xe_glue_job_fail(vm, fault->job, -ENOMEM);
		return;
	}
	f->rec = *fault;
	/* simgpu_as_fini() may retire a stalled job: keep it alive */
	simgpu_job_get(f->rec.job);

	spin_lock(&vm->fault_lock);
	if (vm->closing) {
		spin_unlock(&vm->fault_lock);
		simgpu_job_cancel(f->rec.job, -ECANCELED);
		simgpu_job_put(f->rec.job);
		kfree(f);
		return;
	}
	list_add_tail(&f->link, &vm->faults);
	spin_unlock(&vm->fault_lock);
	queue_work(system_unbound_wq, &vm->fault_work);
}

/* Take the oldest queued record, or NULL. */
static struct xe_glue_fault *xe_glue_fault_pop(struct xe_glue_vm *vm)
{
	struct xe_glue_fault *f;

	spin_lock(&vm->fault_lock);
	f = list_first_entry_or_null(&vm->faults, struct xe_glue_fault, link);
	if (f)
		list_del(&f->link);
	spin_unlock(&vm->fault_lock);
	return f;
}

/**
 * xe_glue_range_bind() - Collect a range's pages and bind them
 * @vm: The VM
 * @range: The range
 * @ctx: What to collect
 * @addr: The address whose atomic permission is reported in @atomic
 * @atomic: Set to whether the entry of @addr allows device atomics
 *
 * Context: VM lock held; takes mmap_lock and the notifier lock.
 *
 * Return: 0; -EAGAIN when an invalidation or the CPU got in between (look
 * the range up again and retry); or the error of
 * drm_gpusvm_range_get_pages() or xe_glue_pt_prepare().
 */
int xe_glue_range_bind(struct xe_glue_vm *vm, struct drm_gpusvm_range *range,
		       const struct drm_gpusvm_ctx *ctx, unsigned long addr,
		       bool *atomic)
{
	struct drm_gpusvm *gpusvm = &vm->gpusvm;
	int err;

	lockdep_assert_held(&vm->lock);
	err = drm_gpusvm_range_get_pages(gpusvm, range, ctx);
	if (!err)
		err = xe_glue_pt_prepare(vm, range);
	if (err)
		return err;

	drm_gpusvm_notifier_lock(gpusvm);
	if (drm_gpusvm_range_pages_valid(gpusvm, range))
		err = xe_glue_pt_bind(vm, range, addr, atomic);
	else
		err = -EAGAIN;
	drm_gpusvm_notifier_unlock(gpusvm);
	if (err == -EAGAIN)
		atomic64_inc(&vm->stats.bind_retries);
	return err;
}

/* The core's view of one attempt at @req; @excl asks for exclusive. */
static void xe_glue_fault_ctx(const struct xe_glue_fault_req *req, bool excl,
			      struct drm_gpusvm_ctx *ctx)
{
	*ctx = (struct drm_gpusvm_ctx) {
		.read_only = req->access == DRM_GPUSVM_ACCESS_READ,
		.exclusive = excl,
		.access = req->access,
		.preferred = req->preferred,
	};
	if (req->access != DRM_GPUSVM_ACCESS_ATOMIC)
		return;
	if (req->atomic == DRM_XE_GLUE_ATOMIC_DEVICE)
		ctx->preferred = DRM_GPUSVM_LOC_DEVICE;
	else if (req->atomic == DRM_XE_GLUE_ATOMIC_GLOBAL)
		ctx->preferred = DRM_GPUSVM_LOC_SYSTEM;
}

/* The span of @range to fault in: the request's, or the policy's. */
static void xe_glue_fault_span(const struct xe_glue_fault_req *req,
			       struct drm_gpusvm_range *range,
			       struct drm_gpusvm_ctx *ctx)
{
	unsigned long start = drm_gpusvm_range_start(range);
	unsigned long end = drm_gpusvm_range_end(range);

	if (!req->end) {
		drm_gpusvm_policy_fault_span(start, end, req->addr,
					     &ctx->fault_start, &ctx->fault_end);
		return;
	}
	ctx->fault_start = max(start, req->start);
	ctx->fault_end = min(end, req->end);
}

/*
 * An atomic fault whose address still has no atomic entry: what next?
 * -EAGAIN to try again (with exclusive access where the mode allows it),
 * or -EACCES once the policy's budget is spent.
 */
static int xe_glue_atomic_next(const struct xe_glue_fault_req *req,
			       bool *excl, unsigned int *attempt)
{
	if (req->atomic != DRM_XE_GLUE_ATOMIC_DEVICE && !*excl) {
		*excl = true;
		return -EAGAIN;
	}
	return drm_gpusvm_atomic_retry(++*attempt) ?: -EAGAIN;
}

/* One attempt: look up, maybe migrate, collect and bind. */
static int xe_glue_fault_once(struct xe_glue_vm *vm,
			      const struct xe_glue_fault_req *req, bool excl,
			      bool *atomic, unsigned long *next)
{
	struct drm_gpusvm_range *range;
	struct drm_gpusvm_ctx ctx;
	int err;

	xe_glue_fault_ctx(req, excl, &ctx);
	range = drm_gpusvm_range_find_or_insert(&vm->gpusvm, req->addr, &ctx);
	if (IS_ERR(range))
		return PTR_ERR(range);
	*next = drm_gpusvm_range_end(range);
	xe_glue_fault_span(req, range, &ctx);
	/* Exclusive access is for system memory: no point moving it first */
	if (!excl)
		xe_glue_range_migrate(vm, range, &ctx);
	err = xe_glue_range_bind(vm, range, &ctx, req->addr, atomic);
	drm_gpusvm_range_put(range);
	return err;
}

/**
 * xe_glue_fault_serve() - Serve one GPU fault
 * @vm: The VM
 * @req: The fault
 * @next: Set to the end of the range that served it, for span walkers;
 *	written only on return, so it may alias @req->addr
 *
 * See DOC: GPU faults.
 *
 * Context: Process context, VM lock held.
 *
 * Return: 0 when the access can be replayed; -EFAULT (not mapped by the
 * CPU, or no access such as PROT_NONE), -EPERM (write to read-only
 * memory), -EACCES (strict atomic that could not be placed), -EBUSY
 * (races kept winning), -ENOMEM, or another error of the core.
 */
int xe_glue_fault_serve(struct xe_glue_vm *vm,
			const struct xe_glue_fault_req *req,
			unsigned long *next)
{
	bool excl = req->access == DRM_GPUSVM_ACCESS_ATOMIC &&
		    req->atomic == DRM_XE_GLUE_ATOMIC_GLOBAL;
	unsigned int tries, attempt = 0;
	unsigned long range_end = 0;
	bool atomic = false;
	int err;

	lockdep_assert_held(&vm->lock);
	for (tries = 0; tries < XE_GLUE_MAX_TRIES; tries++) {
		err = xe_glue_fault_once(vm, req, excl, &atomic, &range_end);
		if (!err && req->access == DRM_GPUSVM_ACCESS_ATOMIC && !atomic)
			err = xe_glue_atomic_next(req, &excl, &attempt);
		if (err != -EAGAIN) {
			*next = range_end;
			return err == -EINVAL ? -EFAULT : err;
		}
		cond_resched();
	}
	return -EBUSY;
}

/**
 * xe_glue_loc() - The core's location for a DRM_XE_GLUE_LOC_* value
 * @loc: DRM_XE_GLUE_LOC_*
 *
 * Return: the matching &enum drm_gpusvm_location; DEFAULT for anything
 * else.
 */
enum drm_gpusvm_location xe_glue_loc(u32 loc)
{
	switch (loc) {
	case DRM_XE_GLUE_LOC_SYSTEM:
		return DRM_GPUSVM_LOC_SYSTEM;
	case DRM_XE_GLUE_LOC_DEVICE:
		return DRM_GPUSVM_LOC_DEVICE;
	default:
		return DRM_GPUSVM_LOC_DEFAULT;
	}
}

/* Serve one queued record and answer the engine. */
static void xe_glue_fault_handle(struct xe_glue_vm *vm,
				 const struct simgpu_fault *rec)
{
	struct xe_glue_fault_req req = {
		.addr = rec->va,
		.access = xe_glue_access(rec->access),
	};
	struct xe_glue_attr attr;
	unsigned long next;
	int err = -ECANCELED;

	atomic64_inc(&vm->stats.faults);
	/* Pairs with the write under fault_lock in xe_glue_fault_drain() */
	if (!READ_ONCE(vm->closing)) {
		mutex_lock(&vm->lock);
		attr = xe_glue_attr_lookup(vm, rec->va);
		req.preferred = xe_glue_loc(attr.preferred);
		req.atomic = attr.atomic;
		err = xe_glue_fault_serve(vm, &req, &next);
		mutex_unlock(&vm->lock);
	}
	if (err == -EBUSY && !drm_gpusvm_fault_busy_replay(++vm->busy_streak))
		err = 0;	/* Replay: the access faults again */
	else
		vm->busy_streak = 0;
	if (err)
		xe_glue_job_fail(vm, rec->job, err);
	else
		simgpu_job_replay(rec->job);
}

/**
 * xe_glue_fault_work() - The VM's fault worker
 * @work: &xe_glue_vm.fault_work
 *
 * Context: Process context (system_unbound_wq); takes the VM lock.
 */
void xe_glue_fault_work(struct work_struct *work)
{
	struct xe_glue_vm *vm = container_of(work, struct xe_glue_vm,
					     fault_work);
	struct xe_glue_fault *f;

	while ((f = xe_glue_fault_pop(vm))) {
		xe_glue_fault_handle(vm, &f->rec);
		simgpu_job_put(f->rec.job);
		kfree(f);
		cond_resched();
	}
}

/**
 * xe_glue_fault_drain() - Stop serving faults, answer the queued ones
 * @vm: The VM being destroyed
 *
 * From here on the fault op cancels jobs at once. Queued records are
 * cancelled with -ECANCELED; the worker is disabled, not just flushed, so
 * nothing requeues it.
 *
 * Context: Process context; the VM lock must not be held.
 */
void xe_glue_fault_drain(struct xe_glue_vm *vm)
{
	struct xe_glue_fault *f;

	spin_lock(&vm->fault_lock);
	WRITE_ONCE(vm->closing, true);
	spin_unlock(&vm->fault_lock);
	disable_work_sync(&vm->fault_work);

	while ((f = xe_glue_fault_pop(vm))) {
		simgpu_job_cancel(f->rec.job, -ECANCELED);
		simgpu_job_put(f->rec.job);
		kfree(f);
	}
}
