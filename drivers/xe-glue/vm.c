// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

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

#include "xe_glue.h"
#include "xe_glue_drm.h"

/**
 * DOC: Overview
 *
 * xe_glue is an xe-style DRM driver on simgpu, written as a user of
 * drm_gpusvm: one render node per simulated GPU; VMs in fault mode that
 * mirror the whole address space of the process that created them
 * (system-allocator mode, any malloc'ed address is a GPU address); GPU
 * page faults served through the core (fault.c); xe-like 4-level page
 * tables with 4 KiB, 64 KiB and 2 MiB entries (pt.c); madvise attributes
 * (attr.c); prefetch and migration through the core's policy (migrate.c);
 * jobs (exec.c). With the ``mirror_compat`` module parameter it also
 * serves the test_hmm ABI through gpusvm_mirror (mirror.c).
 *
 * A VM (&struct xe_glue_vm) embeds a &struct drm_gpusvm over [0,
 * TASK_SIZE) of its mm and a &struct simgpu_as whose walker reads the
 * VM's page tables. Its ids live in the file's xarray; a VM used from a
 * process whose mm is not the VM's gets -EACCES for the ioctls that touch
 * memory (MADVISE, PREFETCH, EXEC); WAIT, VM_STATS and VM_DESTROY work
 * from any process that holds the file, as they touch no memory.
 */

/**
 * DOC: Locking
 *
 * Lock order, outermost first::
 *
 *	&xe_glue_vm.lock (VM lock, a mutex)
 *	  &drm_gpusvm.lock -> mmap_lock -> fs_reclaim
 *	    &drm_gpusvm.notifier_lock (reclaim lock)
 *	      &simgpu_as.lock (spinlock, innermost)
 *	&xe_glue_vm.fault_lock (spinlock, nothing nested)
 *
 * The VM lock serialises fault service, prefetch, madvise and page-table
 * allocation; it is registered with drm_gpusvm_driver_set_lock() so the
 * core asserts it. The invalidate ops run under the notifier lock in
 * write mode from reclaim and the OOM reaper: they never take the VM lock,
 * never allocate and never sleep; they take only &simgpu_as.lock, to zap
 * entries and flush the TLB. Page-table rules are in DOC: Page-table
 * locking.
 *
 * Lifetime: a VM is reference counted; its owner (the file's xarray or a
 * test_hmm mirror file) holds one reference and every ioctl in flight
 * another. The last reference tears it down in process context:
 * fault service stops (queued faults cancelled), drm_gpusvm_fini() zaps
 * and unmaps every range, simgpu_as_fini() retires every job, the page
 * tables are freed.
 */

/* The fault sink and walker of every VM's address space. */
static const struct simgpu_as_ops xe_glue_as_ops = {
	.walk = xe_glue_pt_walk,
	.fault = xe_glue_as_fault,
};

/* Zap the ranges of @notifier in [start, end) and flush; no sleeping. */
static void xe_glue_zap(struct drm_gpusvm *gpusvm,
			struct drm_gpusvm_notifier *notifier,
			unsigned long start, unsigned long end)
{
	struct xe_glue_vm *vm = to_xe_glue_vm(gpusvm);
	unsigned long lo = ULONG_MAX, hi = 0;
	struct drm_gpusvm_range *range;

	lockdep_assert_held_write(&gpusvm->notifier_lock);
	/*
	 * Whole ranges: the core DMA-unmaps whole ranges, so the device must
	 * lose all of each range, not only the span the CPU changed.
	 */
	drm_gpusvm_for_each_range(range, notifier, start, end) {
		unsigned long rs = drm_gpusvm_range_start(range);
		unsigned long re = drm_gpusvm_range_end(range);

		if (!xe_glue_pt_zap(vm, rs, re))
			continue;
		lo = min(lo, rs);
		hi = max(hi, re);
	}
	if (lo >= hi)
		return;
	simgpu_tlb_flush(&vm->as, lo, hi);
	atomic64_inc(&vm->stats.invalidations);
}

/* &drm_gpusvm_ops.invalidate, see DOC: Locking. */
static void xe_glue_invalidate(struct drm_gpusvm *gpusvm,
			       struct drm_gpusvm_notifier *notifier,
			       unsigned long start, unsigned long end)
{
	xe_glue_zap(gpusvm, notifier, start, end);
}

/* &drm_gpusvm_ops.invalidate_nonblock: the zap never sleeps (R7). */
static bool xe_glue_invalidate_nonblock(struct drm_gpusvm *gpusvm,
					struct drm_gpusvm_notifier *notifier,
					unsigned long start, unsigned long end)
{
	xe_glue_zap(gpusvm, notifier, start, end);
	return true;
}

static const struct drm_gpusvm_ops xe_glue_gpusvm_ops = {
	.invalidate = xe_glue_invalidate,
	.invalidate_nonblock = xe_glue_invalidate_nonblock,
	.bind_prepare = xe_glue_pt_prepare,
	.bind = xe_glue_pt_bind,
};

/* Teach lockdep that the VM lock ranks above the core's and ours. */
static void xe_glue_vm_lockdep_prime(struct xe_glue_vm *vm)
{
	if (!IS_ENABLED(CONFIG_LOCKDEP))
		return;
	/* The core primed VM lock -> its locks in drm_gpusvm_driver_set_lock() */
	mutex_lock(&vm->lock);
	spin_lock(&vm->as.lock);
	spin_unlock(&vm->as.lock);
	mutex_unlock(&vm->lock);
}

/* Bring up the parts of a VM that need no unwinding but the last one. */
static int xe_glue_vm_init(struct xe_glue_vm *vm, struct mm_struct *mm)
{
	struct simgpu_device *sdev = vm->xdev->sdev;
	int err;

	err = xe_glue_pt_init(vm);
	if (err)
		return err;
	simgpu_as_init(&vm->as, sdev, &xe_glue_as_ops);
	err = drm_gpusvm_init(&vm->gpusvm, vm->name, simgpu_dma_dev(sdev), mm,
			      drm_pagemap_owner(simgpu_pagemap(sdev)), 0,
			      TASK_SIZE & PAGE_MASK, 0, &xe_glue_gpusvm_ops);
	if (err) {
		simgpu_as_fini(&vm->as);
		xe_glue_pt_fini(vm);
		return err;
	}
	drm_gpusvm_driver_set_lock(&vm->gpusvm,
				   drm_gpusvm_driver_lockdep_map(&vm->lock));
	xe_glue_vm_lockdep_prime(vm);
	return 0;
}

/**
 * xe_glue_vm_create() - Create a VM mirroring an mm
 * @xdev: The device
 * @mm: The mm; the VM holds an mm_count reference through the core
 * @dflt: Attributes of every address no madvise span covers
 *
 * Context: Process context.
 *
 * Return: the VM with one reference, or an ERR_PTR.
 */
struct xe_glue_vm *xe_glue_vm_create(struct xe_glue_device *xdev,
				     struct mm_struct *mm,
				     const struct xe_glue_attr *dflt)
{
	static atomic_t serial = ATOMIC_INIT(0);
	struct xe_glue_vm *vm;
	int err;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	vm->xdev = xdev;
	kref_init(&vm->refcount);
	mutex_init(&vm->lock);
	spin_lock_init(&vm->fault_lock);
	INIT_LIST_HEAD(&vm->faults);
	INIT_WORK(&vm->fault_work, xe_glue_fault_work);
	xe_glue_attr_init(vm, dflt);
	snprintf(vm->name, sizeof(vm->name), "xe_glue%u-vm%d",
		 simgpu_index(xdev->sdev), atomic_inc_return(&serial));

	err = xe_glue_vm_init(vm, mm);
	if (err) {
		mutex_destroy(&vm->lock);
		kfree(vm);
		return ERR_PTR(err);
	}

	mutex_lock(&xdev->vms_lock);
	list_add_tail(&vm->link, &xdev->vms);
	xdev->num_vms++;
	mutex_unlock(&xdev->vms_lock);
	return vm;
}

/* The last reference: tear down in the order of DOC: Locking. */
static void xe_glue_vm_release(struct kref *kref)
{
	struct xe_glue_vm *vm = container_of(kref, struct xe_glue_vm, refcount);
	struct xe_glue_device *xdev = vm->xdev;

	mutex_lock(&xdev->vms_lock);
	list_del(&vm->link);
	xdev->num_vms--;
	mutex_unlock(&xdev->vms_lock);

	xe_glue_fault_drain(vm);
	/* Zaps every range (jobs still running fault, and are cancelled) */
	drm_gpusvm_fini(&vm->gpusvm);
	simgpu_as_fini(&vm->as);
	xe_glue_pt_fini(vm);
	xe_glue_attr_fini(vm);
	mutex_destroy(&vm->lock);
	kfree(vm);
}

/**
 * xe_glue_vm_put() - Drop a VM reference
 * @vm: The VM, or NULL
 *
 * Context: Process context: the last reference tears the VM down.
 */
void xe_glue_vm_put(struct xe_glue_vm *vm)
{
	might_sleep();
	if (vm)
		kref_put(&vm->refcount, xe_glue_vm_release);
}

/**
 * xe_glue_check_span() - Check a user VA span
 * @start: Start
 * @size: Bytes
 * @aligned: Both must be page aligned
 *
 * Return: 0, or -EINVAL for an empty, wrapping, unaligned span or one that
 * leaves the user address space.
 */
int xe_glue_check_span(u64 start, u64 size, bool aligned)
{
	u64 end;

	if (!size || check_add_overflow(start, size, &end) || end > TASK_SIZE)
		return -EINVAL;
	if (aligned && (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(size)))
		return -EINVAL;
	return 0;
}

/**
 * xe_glue_vm_lookup() - A VM of a file by id, with a reference
 * @xfile: The file
 * @id: The VM id
 * @need_mm: The caller will touch the VM's memory: the current process
 *	must be the one the VM mirrors
 * @err: Set to -ENOENT or -EACCES when NULL is returned
 *
 * Return: the VM, or NULL.
 */
struct xe_glue_vm *xe_glue_vm_lookup(struct xe_glue_file *xfile, u32 id,
				     bool need_mm, int *err)
{
	struct xe_glue_vm *vm;

	xa_lock(&xfile->vms);
	vm = xa_load(&xfile->vms, id);
	if (vm)
		xe_glue_vm_get(vm);
	xa_unlock(&xfile->vms);
	if (!vm) {
		*err = -ENOENT;
		return NULL;
	}
	if (need_mm && current->mm != vm->gpusvm.mm) {
		xe_glue_vm_put(vm);
		*err = -EACCES;
		return NULL;
	}
	return vm;
}

/**
 * xe_glue_vm_create_ioctl() - DRM_IOCTL_XE_GLUE_VM_CREATE
 * @drm: The DRM device
 * @data: &struct drm_xe_glue_vm_create
 * @file: The file
 *
 * Return: 0; -EINVAL for flags other than FAULT_MODE, or a caller without
 * an mm; -ENOMEM; -EBUSY when no id is free.
 */
int xe_glue_vm_create_ioctl(struct drm_device *drm, void *data,
			    struct drm_file *file)
{
	static const struct xe_glue_attr dflt = {
		.preferred = DRM_XE_GLUE_LOC_DEFAULT,
		.atomic = DRM_XE_GLUE_ATOMIC_DEFAULT,
	};
	struct xe_glue_file *xfile = file->driver_priv;
	struct drm_xe_glue_vm_create *args = data;
	struct xe_glue_vm *vm;
	u32 id;
	int err;

	if (args->flags != DRM_XE_GLUE_VM_CREATE_FAULT_MODE || !current->mm)
		return -EINVAL;
	vm = xe_glue_vm_create(xfile->xdev, current->mm, &dflt);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	err = xa_alloc(&xfile->vms, &id, vm, xa_limit_32b, GFP_KERNEL);
	if (err) {
		xe_glue_vm_put(vm);
		return err;
	}
	args->vm_id = id;
	return 0;
}

/**
 * xe_glue_vm_destroy_ioctl() - DRM_IOCTL_XE_GLUE_VM_DESTROY
 * @drm: The DRM device
 * @data: &struct drm_xe_glue_vm_destroy
 * @file: The file
 *
 * Pending jobs are cancelled and their handles retired; the VM goes away
 * when the last ioctl using it returns.
 *
 * Return: 0; -EINVAL for a non-zero pad; -ENOENT for an unknown VM.
 */
int xe_glue_vm_destroy_ioctl(struct drm_device *drm, void *data,
			     struct drm_file *file)
{
	struct xe_glue_file *xfile = file->driver_priv;
	struct drm_xe_glue_vm_destroy *args = data;
	struct xe_glue_vm *vm;

	if (args->pad)
		return -EINVAL;
	vm = xa_erase(&xfile->vms, args->vm_id);
	if (!vm)
		return -ENOENT;
	xe_glue_jobs_release(xfile, args->vm_id);
	xe_glue_vm_put(vm);
	return 0;
}

/**
 * xe_glue_file_vms_fini() - Destroy every VM and job handle of a file
 * @xfile: The file being closed
 */
void xe_glue_file_vms_fini(struct xe_glue_file *xfile)
{
	struct xe_glue_vm *vm;
	unsigned long id;

	xe_glue_jobs_release(xfile, 0);
	xa_for_each(&xfile->vms, id, vm) {
		xa_erase(&xfile->vms, id);
		xe_glue_vm_put(vm);
	}
}

/**
 * xe_glue_vm_stats_ioctl() - DRM_IOCTL_XE_GLUE_VM_STATS
 * @drm: The DRM device
 * @data: &struct drm_xe_glue_vm_stats
 * @file: The file
 *
 * Return: 0; -EINVAL for a non-zero pad; -ENOENT for an unknown VM.
 */
int xe_glue_vm_stats_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	struct drm_xe_glue_vm_stats *args = data;
	const struct drm_pagemap_stats *pstats;
	struct xe_glue_vm *vm;
	int err;

	if (args->pad)
		return -EINVAL;
	vm = xe_glue_vm_lookup(file->driver_priv, args->vm_id, false, &err);
	if (!vm)
		return err;
	pstats = &simgpu_pagemap(vm->xdev->sdev)->stats;

	args->gpu_faults = atomic64_read(&vm->stats.faults);
	args->pages_mapped = atomic64_read(&vm->stats.pages_mapped);
	args->migrations_to_vram =
		atomic64_read(&vm->gpusvm.stats.pages_to_devmem);
	args->bytes_to_vram = args->migrations_to_vram * PAGE_SIZE;
	args->migrations_to_ram = atomic64_read(&pstats->pages_to_ram);
	args->bytes_to_ram = args->migrations_to_ram * PAGE_SIZE;
	args->retries = atomic64_read(&vm->gpusvm.stats.retries) +
			atomic64_read(&vm->gpusvm.stats.bind_retries);
	args->invalidations = atomic64_read(&vm->stats.invalidations);
	args->tlb_flushes = atomic64_read(&vm->as.stats.tlb_flushes);
	args->jobs = atomic64_read(&vm->stats.jobs);
	args->jobs_failed = atomic64_read(&vm->stats.jobs_failed);
	args->evictions = atomic64_read(&pstats->evictions);
	xe_glue_vm_put(vm);
	return 0;
}
