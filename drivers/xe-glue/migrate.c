// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/err.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/drm_pagemap.h>

#include "xe_glue.h"
#include "xe_glue_drm.h"

/**
 * DOC: Migration and prefetch
 *
 * The glue decides no placement. Whether a fault or a prefetch moves a
 * range to VRAM is drm_gpusvm_range_want_devmem()'s answer (policy.c, with
 * the access, the preferred location and the range's thrash history); the
 * glue only skips the call when every page of the range already is device
 * memory, as there would be nothing to move. When VRAM is short it asks
 * the core to make room (drm_pagemap_make_room(), the core's eviction
 * policy) before allocating; then drm_gpusvm_range_migrate_to_devmem().
 * Everything is best effort (R3): a migration that fails, moves nothing or
 * backs off from a concurrent migrator (-EBUSY) just leaves the range
 * where it is, and the bind maps it there.
 *
 * DRM_IOCTL_XE_GLUE_PREFETCH serves each range of the span like a GPU
 * read fault whose preferred location is the requested one, faulting in
 * only the requested part of each range (R16). A span with an unmapped or
 * unreadable page fails with -EFAULT before anything is done. There is no
 * core call that moves a range back to system memory, so a prefetch to
 * system memory maps VRAM-resident pages where they are.
 */

/* Is every page of @range collected and in device memory already? */
static bool xe_glue_range_in_vram(struct xe_glue_vm *vm,
				  struct drm_gpusvm_range *range)
{
	struct drm_gpusvm *gpusvm = &vm->gpusvm;
	struct drm_gpusvm_dma *dma;
	unsigned long va;
	bool in;

	drm_gpusvm_notifier_lock(gpusvm);
	in = drm_gpusvm_range_pages_valid(gpusvm, range);
	if (in)
		drm_gpusvm_for_each_dma(dma, va, &range->pages,
					drm_gpusvm_range_start(range))
			in &= dma->present && dma->devmem;
	drm_gpusvm_notifier_unlock(gpusvm);
	return in;
}

/**
 * xe_glue_range_migrate() - Move a range to VRAM if the policy wants it
 * @vm: The VM
 * @range: The range
 * @ctx: The access and preferred location, for the policy
 *
 * Context: Process context, VM lock held, no core lock held.
 *
 * Return: the pages moved; 0 when the policy said no or the migration
 * did not happen (best effort, never an error).
 */
long xe_glue_range_migrate(struct xe_glue_vm *vm,
			   struct drm_gpusvm_range *range,
			   const struct drm_gpusvm_ctx *ctx)
{
	struct simgpu_device *sdev = vm->xdev->sdev;
	struct drm_pagemap *dpagemap = simgpu_pagemap(sdev);
	unsigned long npages = drm_gpusvm_range_size(range) >> PAGE_SHIFT;
	struct drm_pagemap_devmem *devmem;
	long moved;

	lockdep_assert_held(&vm->lock);
	if (!drm_gpusvm_range_want_devmem(range, ctx, dpagemap) ||
	    xe_glue_range_in_vram(vm, range))
		return 0;

	if (simgpu_vram_free_pages(sdev) < npages)
		drm_pagemap_make_room(dpagemap, npages);
	devmem = simgpu_devmem_alloc(sdev, npages);
	if (IS_ERR(devmem))
		return 0;
	moved = drm_gpusvm_range_migrate_to_devmem(&vm->gpusvm, range, devmem);
	/* The pages hold their own references */
	drm_pagemap_devmem_put(devmem);
	if (moved <= 0)
		return 0;
	atomic64_add(moved, &vm->stats.pages_to_vram);
	return moved;
}

/* Is every page of [start, end) in a readable VMA? A snapshot. */
static int xe_glue_span_mapped(struct mm_struct *mm, unsigned long start,
			       unsigned long end)
{
	struct vm_area_struct *vma;
	int err = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	while (start < end) {
		vma = vma_lookup(mm, start);
		if (!vma || !(vma->vm_flags & VM_READ)) {
			err = -EFAULT;
			break;
		}
		start = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return err;
}

/* Serve [start, end) range by range as read faults preferring @loc. */
static int xe_glue_prefetch_span(struct xe_glue_vm *vm, unsigned long start,
				 unsigned long end, enum drm_gpusvm_location loc)
{
	struct xe_glue_fault_req req = {
		.start = start,
		.end = end,
		.access = DRM_GPUSVM_ACCESS_READ,
		.preferred = loc,
	};
	unsigned long va, next;
	int err = 0;

	mutex_lock(&vm->lock);
	for (va = start; va < end && !err; va = next) {
		req.addr = va;
		err = xe_glue_fault_serve(vm, &req, &next);
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
	}
	mutex_unlock(&vm->lock);
	return err;
}

/**
 * xe_glue_prefetch_ioctl() - DRM_IOCTL_XE_GLUE_PREFETCH
 * @drm: The DRM device
 * @data: &struct drm_xe_glue_prefetch
 * @file: The file
 *
 * Return: 0; -EINVAL for a bad location or span; -ENOENT for an unknown
 * VM; -EACCES from another process than the VM's; -EFAULT when part of
 * the span is not mapped readable; -EINTR; or a fault-service error.
 */
int xe_glue_prefetch_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	struct drm_xe_glue_prefetch *args = data;
	enum drm_gpusvm_location loc;
	struct xe_glue_vm *vm;
	int err;

	if (args->location != DRM_XE_GLUE_LOC_SYSTEM &&
	    args->location != DRM_XE_GLUE_LOC_DEVICE)
		return -EINVAL;
	loc = xe_glue_loc(args->location);
	err = xe_glue_check_span(args->start, args->range, true);
	if (err)
		return err;
	vm = xe_glue_vm_lookup(file->driver_priv, args->vm_id, true, &err);
	if (!vm)
		return err;

	err = xe_glue_span_mapped(vm->gpusvm.mm, args->start,
				  args->start + args->range);
	if (!err)
		err = xe_glue_prefetch_span(vm, args->start,
					    args->start + args->range, loc);
	xe_glue_vm_put(vm);
	return err;
}

/**
 * xe_glue_migrate_span() - Migrate a span to VRAM, bind what is present
 * @vm: The VM
 * @start: Start, page aligned
 * @end: End (exclusive), page aligned
 *
 * For the test_hmm layer: every range of the span is offered to the
 * migration with device memory preferred (new ranges are kept inside the
 * span), then its present pages are bound without faulting anything in
 * (&drm_gpusvm_ctx.prefetch).
 *
 * Context: Process context; takes the VM lock.
 *
 * Return: the pages moved, or a negative errno.
 */
long xe_glue_migrate_span(struct xe_glue_vm *vm, unsigned long start,
			  unsigned long end)
{
	struct drm_gpusvm_ctx mctx = {
		.read_only = 1,
		.preferred = DRM_GPUSVM_LOC_DEVICE,
		.gpuva_start = start,
		.gpuva_end = end,
	};
	const struct drm_gpusvm_ctx bctx = { .read_only = 1, .prefetch = 1 };
	struct drm_gpusvm_range *range;
	unsigned long va, next = start;
	unsigned int tries = 0;
	long moved = 0;
	bool atomic;
	int err = 0;

	mutex_lock(&vm->lock);
	for (va = start; va < end && !err; va = next) {
		range = drm_gpusvm_range_find_or_insert(&vm->gpusvm, va, &mctx);
		if (IS_ERR(range)) {
			err = PTR_ERR(range);
			break;
		}
		moved += xe_glue_range_migrate(vm, range, &mctx);
		err = xe_glue_range_bind(vm, range, &bctx, va, &atomic);
		if (err == -EAGAIN && ++tries < XE_GLUE_MAX_TRIES) {
			err = 0;	/* Same address again */
		} else {
			next = drm_gpusvm_range_end(range);
			tries = 0;
		}
		drm_gpusvm_range_put(range);
	}
	mutex_unlock(&vm->lock);
	return err ? (err == -EAGAIN ? -EBUSY : err) : moved;
}
