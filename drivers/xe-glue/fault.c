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
 * Serving is the core's: drm_gpusvm_fault_service() (DOC: Fault service)
 * with the access, the address's madvise attributes and this device's
 * VRAM, calling back into pt.c for the page tables (&drm_gpusvm_ops
 * bind_prepare and bind).
 *
 * A fault that keeps losing races for the core's whole timeout (-EBUSY,
 * typically two devices pulling the same range to their own memory) is not
 * the job's fault: the job is replayed and faults again, which lets the
 * other side's work and this VM's other faults through in between. How
 * many such faults in a row are replayed before the job is cancelled with
 * -EBUSY is policy: drm_gpusvm_fault_busy_replay().
 *
 * Atomics: the device can only do an atomic on VRAM or on a page the core
 * made device-exclusive (exclusive.c). The madvise atomic mode maps onto
 * the core's &enum drm_gpusvm_atomic_mode: DRM_XE_GLUE_ATOMIC_DEVICE
 * requires VRAM (-EACCES otherwise), DRM_XE_GLUE_ATOMIC_GLOBAL serves
 * atomics from device-exclusive system memory (a CPU access revokes it and
 * the next GPU atomic faults), DRM_XE_GLUE_ATOMIC_DEFAULT takes whatever
 * the preferred location gives.
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

/**
 * xe_glue_atomic_mode() - The core's atomic mode for DRM_XE_GLUE_ATOMIC_*
 * @atomic: DRM_XE_GLUE_ATOMIC_*
 *
 * Return: the matching &enum drm_gpusvm_atomic_mode; DEFAULT for anything
 * else.
 */
enum drm_gpusvm_atomic_mode xe_glue_atomic_mode(u32 atomic)
{
	switch (atomic) {
	case DRM_XE_GLUE_ATOMIC_DEVICE:
		return DRM_GPUSVM_ATOMIC_DEVICE;
	case DRM_XE_GLUE_ATOMIC_GLOBAL:
		return DRM_GPUSVM_ATOMIC_GLOBAL;
	default:
		return DRM_GPUSVM_ATOMIC_DEFAULT;
	}
}

/* Serve one queued record and answer the engine. */
static void xe_glue_fault_handle(struct xe_glue_vm *vm,
				 const struct simgpu_fault *rec)
{
	struct drm_gpusvm_fault_req req = {
		.addr = rec->va,
		.access = xe_glue_access(rec->access),
		.dpagemap = simgpu_pagemap(vm->xdev->sdev),
	};
	struct xe_glue_attr attr;
	int err = -ECANCELED;

	atomic64_inc(&vm->stats.faults);
	/* Pairs with the write under fault_lock in xe_glue_fault_drain() */
	if (!READ_ONCE(vm->closing)) {
		mutex_lock(&vm->lock);
		attr = xe_glue_attr_lookup(vm, rec->va);
		req.preferred = xe_glue_loc(attr.preferred);
		req.atomic = xe_glue_atomic_mode(attr.atomic);
		err = drm_gpusvm_fault_service(&vm->gpusvm, &req, NULL);
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
