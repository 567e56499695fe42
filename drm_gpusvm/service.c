// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/err.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>

#include <drm/drm_gpusvm.h>
#include <drm/drm_pagemap.h>

#include "gpusvm_internal.h"
#include "gpusvm_trace.h"

/**
 * DOC: Fault service
 *
 * Every GPU driver serves a page fault the same way, and gets the same
 * details wrong when it writes the loop itself, so the core owns it:
 * drm_gpusvm_fault_service() takes one fault (address, access, preferred
 * location, atomic mode, the device memory it may use) and does
 *
 * 1. drm_gpusvm_range_find_or_insert() with the policy's fault window,
 * 2. migration to device memory when policy.c wants it and the range is
 *    not there yet (best effort, R3; memory pressure goes to the eviction
 *    policy through drm_pagemap_devmem_alloc()),
 * 3. drm_gpusvm_range_get_pages(),
 * 4. &drm_gpusvm_ops.bind_prepare (page-table memory, may sleep),
 * 5. &drm_gpusvm_ops.bind under the notifier lock, after
 *    drm_gpusvm_range_pages_valid(),
 *
 * and starts over on -EAGAIN (an invalidation or a CPU unmap got in
 * between) a bounded number of times (R4). An atomic access that did not
 * get an atomic entry is retried with device-exclusive access where the
 * atomic mode allows it, within the budget of drm_gpusvm_atomic_retry()
 * (R10, R14). The driver keeps only what is vendor-specific: the page-table
 * format (the two ops), where faults come from, and what it tells the
 * hardware afterwards (replay or cancel).
 *
 * drm_gpusvm_prefetch_span() and drm_gpusvm_migrate_span() serve a span
 * the same way for prefetch ioctls and explicit migration;
 * drm_gpusvm_migrate_span_to_ram() is the explicit way back.
 */

/* How often one fault starts over after losing a race, before -EBUSY. */
#define DRM_GPUSVM_SERVICE_TRIES	32

/* Is every page of @range collected and in device memory already? */
static bool drm_gpusvm_range_in_devmem(struct drm_gpusvm *gpusvm,
				       struct drm_gpusvm_range *range)
{
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
 * drm_gpusvm_range_migrate_policy() - Move a range to device memory if wanted
 * @gpusvm: The gpusvm
 * @range: The range
 * @ctx: The access and preferred location, for the policy
 * @dpagemap: Device memory to move to, or NULL for none
 *
 * Asks drm_gpusvm_range_want_devmem(); skips a range whose pages all are
 * device memory already; allocates with drm_pagemap_devmem_alloc() (which
 * makes room under pressure, as the eviction policy says) and migrates.
 * Best effort (R3): whatever happens, the caller maps the range where its
 * pages are.
 *
 * Context: Process context, driver VM lock held, no core lock.
 *
 * Return: the pages moved; 0 when nothing moved.
 */
long drm_gpusvm_range_migrate_policy(struct drm_gpusvm *gpusvm,
				     struct drm_gpusvm_range *range,
				     const struct drm_gpusvm_ctx *ctx,
				     struct drm_pagemap *dpagemap)
{
	unsigned long npages = drm_gpusvm_range_size(range) >> PAGE_SHIFT;
	struct drm_pagemap_devmem *devmem;
	long moved;

	drm_gpusvm_driver_lock_assert(gpusvm);
	if (!dpagemap || !dpagemap->ops->devmem_alloc ||
	    !drm_gpusvm_range_want_devmem(range, ctx, dpagemap) ||
	    drm_gpusvm_range_in_devmem(gpusvm, range))
		return 0;

	devmem = drm_pagemap_devmem_alloc(dpagemap, npages);
	if (IS_ERR(devmem))
		return 0;
	moved = drm_gpusvm_range_migrate_to_devmem(gpusvm, range, devmem);
	/* The pages hold their own references */
	drm_pagemap_devmem_put(devmem);
	if (moved <= 0)
		return 0;
	atomic64_add(moved, &gpusvm->stats.pages_to_devmem);
	return moved;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_migrate_policy);

/**
 * drm_gpusvm_range_bind() - Collect a range's pages and bind them
 * @gpusvm: The gpusvm
 * @range: The range
 * @ctx: What to collect, see drm_gpusvm_range_get_pages()
 * @addr: The address whose atomic permission is reported in @atomic
 * @atomic: Set to whether the entry of @addr allows device atomics
 *
 * drm_gpusvm_range_get_pages(), &drm_gpusvm_ops.bind_prepare, then
 * &drm_gpusvm_ops.bind under the notifier lock if the pages are still
 * current.
 *
 * Context: Process context, driver VM lock held; takes mmap_lock and the
 * notifier lock.
 *
 * Return: 0; -EAGAIN when an invalidation or the CPU got in between (look
 * the range up again and retry); or the error of
 * drm_gpusvm_range_get_pages() or of an op.
 */
int drm_gpusvm_range_bind(struct drm_gpusvm *gpusvm,
			  struct drm_gpusvm_range *range,
			  const struct drm_gpusvm_ctx *ctx, unsigned long addr,
			  bool *atomic)
{
	const struct drm_gpusvm_ops *ops = gpusvm->ops;
	int err;

	drm_gpusvm_driver_lock_assert(gpusvm);
	*atomic = false;
	err = drm_gpusvm_range_get_pages(gpusvm, range, ctx);
	if (!err && ops->bind_prepare)
		err = ops->bind_prepare(gpusvm, range);
	if (err)
		goto out;

	drm_gpusvm_notifier_lock(gpusvm);
	if (drm_gpusvm_range_pages_valid(gpusvm, range))
		err = ops->bind(gpusvm, range, addr, atomic);
	else
		err = -EAGAIN;
	drm_gpusvm_notifier_unlock(gpusvm);
out:
	if (!err)
		atomic64_inc(&gpusvm->stats.binds);
	else if (err == -EAGAIN)
		atomic64_inc(&gpusvm->stats.bind_retries);
	return err;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_bind);

/* The core's view of one attempt at @req; @excl asks for exclusive. */
static void drm_gpusvm_fault_ctx(const struct drm_gpusvm_fault_req *req,
				 bool excl, struct drm_gpusvm_ctx *ctx)
{
	*ctx = (struct drm_gpusvm_ctx) {
		.read_only = req->access == DRM_GPUSVM_ACCESS_READ,
		.exclusive = excl,
		.access = req->access,
		.preferred = req->preferred,
	};
	if (req->access != DRM_GPUSVM_ACCESS_ATOMIC)
		return;
	if (req->atomic == DRM_GPUSVM_ATOMIC_DEVICE)
		ctx->preferred = DRM_GPUSVM_LOC_DEVICE;
	else if (req->atomic == DRM_GPUSVM_ATOMIC_GLOBAL)
		ctx->preferred = DRM_GPUSVM_LOC_SYSTEM;
}

/* The span of @range to fault in: the request's, or the policy's. */
static void drm_gpusvm_fault_span(const struct drm_gpusvm_fault_req *req,
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
static int drm_gpusvm_atomic_next(const struct drm_gpusvm_fault_req *req,
				  bool *excl, unsigned int *attempt)
{
	if (req->atomic != DRM_GPUSVM_ATOMIC_DEVICE && !*excl) {
		*excl = true;
		return -EAGAIN;
	}
	return drm_gpusvm_atomic_retry(++*attempt) ?: -EAGAIN;
}

/* One attempt: look up, maybe migrate, collect and bind. */
static int drm_gpusvm_fault_once(struct drm_gpusvm *gpusvm,
				 const struct drm_gpusvm_fault_req *req,
				 bool excl, bool *atomic, unsigned long *next)
{
	struct drm_gpusvm_range *range;
	struct drm_gpusvm_ctx ctx;
	int err;

	drm_gpusvm_fault_ctx(req, excl, &ctx);
	range = drm_gpusvm_range_find_or_insert(gpusvm, req->addr, &ctx);
	if (IS_ERR(range))
		return PTR_ERR(range);
	*next = drm_gpusvm_range_end(range);
	drm_gpusvm_fault_span(req, range, &ctx);
	/* Exclusive access is for system memory: no point moving it first */
	if (!excl)
		drm_gpusvm_range_migrate_policy(gpusvm, range, &ctx,
						req->dpagemap);
	err = drm_gpusvm_range_bind(gpusvm, range, &ctx, req->addr, atomic);
	drm_gpusvm_range_put(range);
	return err;
}

/**
 * drm_gpusvm_fault_service() - Serve one GPU page fault
 * @gpusvm: The gpusvm
 * @req: The fault
 * @next: Set to the end of the range that served it, for span walkers;
 *	written only on return, so it may alias @req->addr. May be NULL.
 *
 * See DOC: Fault service. The driver must implement &drm_gpusvm_ops.bind.
 *
 * Context: Process context, driver VM lock held, no core lock; takes
 * &drm_gpusvm.lock, mmap_lock and the notifier lock, may migrate.
 *
 * Return: 0 when the access can be replayed; -EFAULT (not mapped by the
 * CPU, or no access such as PROT_NONE), -EPERM (write to read-only
 * memory), -EACCES (an atomic that could not get an atomic entry within
 * the policy's budget), -EBUSY (races kept winning: see
 * drm_gpusvm_fault_busy_replay()), -ENOMEM, -EOPNOTSUPP, or an error of
 * the driver's ops.
 */
int drm_gpusvm_fault_service(struct drm_gpusvm *gpusvm,
			     const struct drm_gpusvm_fault_req *req,
			     unsigned long *next)
{
	bool excl = req->access == DRM_GPUSVM_ACCESS_ATOMIC &&
		    req->atomic == DRM_GPUSVM_ATOMIC_GLOBAL;
	unsigned int tries, attempt = 0;
	unsigned long range_end = 0;
	bool atomic = false;
	int err;

	drm_gpusvm_driver_lock_assert(gpusvm);
	if (WARN_ON_ONCE(!gpusvm->ops->bind))
		return -EINVAL;
	for (tries = 0; tries < DRM_GPUSVM_SERVICE_TRIES; tries++) {
		err = drm_gpusvm_fault_once(gpusvm, req, excl, &atomic,
					    &range_end);
		if (!err && req->access == DRM_GPUSVM_ACCESS_ATOMIC && !atomic)
			err = drm_gpusvm_atomic_next(req, &excl, &attempt);
		if (err != -EAGAIN) {
			if (next)
				*next = range_end;
			err = err == -EINVAL ? -EFAULT : err;
			goto out;
		}
		cond_resched();
	}
	err = -EBUSY;
out:
	trace_drm_gpusvm_fault(gpusvm, req, tries, err);
	return err;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_fault_service);

/**
 * drm_gpusvm_span_check_vmas() - Is a span covered by suitable VMAs?
 * @mm: The mm, with a reference held by the caller
 * @start: Start of the span
 * @end: End of the span (exclusive)
 * @required: VMA flags every VMA of the span must have (all of them)
 * @forbidden: VMA flags no VMA of the span may have (any of them)
 *
 * For an ioctl's early, clear error on a span a driver is asked to
 * prefetch or give attributes to, before anything is done. It is a
 * snapshot: the VMAs may change as soon as it returns, which the fault
 * path copes with anyway.
 *
 * Context: Process context; takes mmap_lock in read mode.
 *
 * Return: 0, -EFAULT for a hole or an unsuitable VMA, or -EINTR for a
 * fatal signal.
 */
int drm_gpusvm_span_check_vmas(struct mm_struct *mm, unsigned long start,
			       unsigned long end, vm_flags_t required,
			       vm_flags_t forbidden)
{
	struct vm_area_struct *vma;
	int err = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	while (start < end) {
		vma = vma_lookup(mm, start);
		if (!vma || (vma->vm_flags & required) != required ||
		    (vma->vm_flags & forbidden)) {
			err = -EFAULT;
			break;
		}
		start = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return err;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_span_check_vmas);

/**
 * drm_gpusvm_prefetch_span() - Populate a span and place it
 * @gpusvm: The gpusvm
 * @start: Start, page aligned
 * @end: End (exclusive), page aligned
 * @loc: Where the span should be: the preferred location of the service
 * @dpagemap: Device memory for %DRM_GPUSVM_LOC_DEVICE, or NULL
 *
 * Serves every range of the span like a GPU read fault preferring @loc,
 * faulting in only the requested part of each range (R16). A span with an
 * unmapped or unreadable page fails with -EFAULT before anything is done.
 * With %DRM_GPUSVM_LOC_SYSTEM, pages of @dpagemap in the span move back to
 * system memory first.
 *
 * Context: Process context, driver VM lock held.
 *
 * Return: 0; -EFAULT; -EINTR on a fatal signal; or an error of
 * drm_gpusvm_fault_service().
 */
int drm_gpusvm_prefetch_span(struct drm_gpusvm *gpusvm, unsigned long start,
			     unsigned long end, enum drm_gpusvm_location loc,
			     struct drm_pagemap *dpagemap)
{
	struct drm_gpusvm_fault_req req = {
		.start = start,
		.end = end,
		.access = DRM_GPUSVM_ACCESS_READ,
		.preferred = loc,
		.dpagemap = dpagemap,
	};
	unsigned long va, next;
	long moved;
	int err;

	drm_gpusvm_driver_lock_assert(gpusvm);
	err = drm_gpusvm_span_check_vmas(gpusvm->mm, start, end, VM_READ, 0);
	if (err)
		return err;
	if (loc == DRM_GPUSVM_LOC_SYSTEM && dpagemap) {
		moved = drm_gpusvm_migrate_span_to_ram(gpusvm, start, end,
						       dpagemap);
		if (moved < 0)
			return moved;
	}
	for (va = start; va < end && !err; va = next) {
		req.addr = va;
		err = drm_gpusvm_fault_service(gpusvm, &req, &next);
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
	}
	return err;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_prefetch_span);

/**
 * drm_gpusvm_migrate_span() - Migrate a span to device memory, bind it
 * @gpusvm: The gpusvm
 * @start: Start, page aligned
 * @end: End (exclusive), page aligned
 * @dpagemap: The device memory
 *
 * For explicit migration (test_hmm's MIGRATE_TO_DEV): every range of the
 * span is offered to the migration with device memory preferred (new
 * ranges are kept inside the span), then its present pages are bound
 * without faulting anything in (&drm_gpusvm_ctx.prefetch).
 *
 * Context: Process context, driver VM lock held.
 *
 * Return: the pages moved, or a negative errno (-EBUSY when races kept
 * winning).
 */
long drm_gpusvm_migrate_span(struct drm_gpusvm *gpusvm, unsigned long start,
			     unsigned long end, struct drm_pagemap *dpagemap)
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

	drm_gpusvm_driver_lock_assert(gpusvm);
	for (va = start; va < end && !err; va = next) {
		range = drm_gpusvm_range_find_or_insert(gpusvm, va, &mctx);
		if (IS_ERR(range)) {
			err = PTR_ERR(range);
			break;
		}
		moved += drm_gpusvm_range_migrate_policy(gpusvm, range, &mctx,
							 dpagemap);
		err = drm_gpusvm_range_bind(gpusvm, range, &bctx, va, &atomic);
		if (err == -EAGAIN && ++tries < DRM_GPUSVM_SERVICE_TRIES) {
			err = 0;	/* Same address again */
		} else {
			next = drm_gpusvm_range_end(range);
			tries = 0;
		}
		drm_gpusvm_range_put(range);
	}
	return err ? (err == -EAGAIN ? -EBUSY : err) : moved;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_migrate_span);

/**
 * drm_gpusvm_migrate_span_to_ram() - Move a span's device pages to RAM
 * @gpusvm: The gpusvm whose mm the span is in
 * @start: Start, page aligned
 * @end: End (exclusive), page aligned
 * @dpagemap: The device memory whose pages move
 *
 * The explicit way back (test_hmm's MIGRATE_TO_SYS, a prefetch to system
 * memory): drm_pagemap_migrate_span_to_ram() under mmap_lock. The GPU
 * mappings of the moved pages are invalidated by the migration itself.
 *
 * Context: Process context; no core lock, no mmap_lock.
 *
 * Return: the pages moved, -EFAULT when the process is exiting, -EINTR,
 * or the error of drm_pagemap_migrate_span_to_ram().
 */
long drm_gpusvm_migrate_span_to_ram(struct drm_gpusvm *gpusvm,
				    unsigned long start, unsigned long end,
				    struct drm_pagemap *dpagemap)
{
	struct mm_struct *mm = gpusvm->mm;
	long moved;

	if (!mmget_not_zero(mm))
		return -EFAULT;
	if (mmap_read_lock_killable(mm)) {
		mmput(mm);
		return -EINTR;
	}
	moved = drm_pagemap_migrate_span_to_ram(dpagemap, mm, start, end);
	mmap_read_unlock(mm);
	mmput(mm);
	return moved;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_migrate_span_to_ram);
