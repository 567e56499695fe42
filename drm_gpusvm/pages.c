// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/hmm.h>
#include <linux/jiffies.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include <drm/drm_gpusvm.h>
#include <drm/drm_pagemap.h>

#include "gpusvm_internal.h"
#include "gpusvm_trace.h"

/**
 * DOC: Overview
 *
 * pages.c collects the pages behind a range and DMA-maps them for the
 * device, following Documentation/mm/hmm.rst to the letter::
 *
 *	again:
 *		seq = mmu_interval_read_begin(notifier);
 *		mmap_read_lock(mm);
 *		hmm_range_fault(range);		-EBUSY: goto again (bounded)
 *		mmap_read_unlock(mm);
 *		down_write(notifier_lock);
 *		if (mmu_interval_read_retry(notifier, seq)) {
 *			up_write(notifier_lock);
 *			goto again;
 *		}
 *		DMA-map the pfns, commit, valid = 1
 *		up_write(notifier_lock);
 *
 * The HMM pfns are unreferenced snapshots: a page may be freed the moment
 * mmap_lock is dropped. They are only turned into &struct page (and DMA
 * mapped) under the notifier lock, after mmu_interval_read_retry() said no
 * invalidation ran since the snapshot; any invalidation after that point
 * must take the same lock and will unmap them again (R4). Before the lock,
 * only the flag and order bits of the pfn words are read, to size the DMA
 * array, which is harmless when they are stale because the retry check
 * throws the whole snapshot away.
 *
 * Each DMA entry covers a naturally aligned chunk of the CPU mapping: a
 * 2 MiB THP mapped by a PMD becomes one 2 MiB entry, clamped to the range
 * when the range covers only part of it (R10).
 */

/**
 * DOC: Locking
 *
 * drm_gpusvm_range_get_pages() takes mmap_lock in read mode around
 * hmm_range_fault() only, then &drm_gpusvm.notifier_lock in write mode to
 * check the sequence number, DMA-map and commit. DMA mapping does not
 * allocate with GFP_KERNEL, so it is allowed under the reclaim lock. The
 * DMA array and pfn array are allocated before the lock is taken. The
 * caller may hold its VM lock; it must not hold the notifier lock.
 *
 * drm_gpusvm_range_pages_valid() requires the notifier lock (read is
 * enough); the answer stays true until the caller drops it.
 */

/**
 * DOC: Examples
 *
 * Binding the collected chunks, with the notifier lock held::
 *
 *	struct drm_gpusvm_dma *dma;
 *	unsigned long va;
 *
 *	drm_gpusvm_notifier_lock(svm);
 *	if (!drm_gpusvm_range_pages_valid(svm, range)) {
 *		drm_gpusvm_notifier_unlock(svm);
 *		return -EAGAIN;
 *	}
 *	drm_gpusvm_for_each_dma(dma, va, &range->pages,
 *				drm_gpusvm_range_start(range))
 *		if (dma->present)
 *			driver_write_pte(vm, va, drm_gpusvm_dma_addr(dma),
 *					 dma->order, dma->writable);
 *	drm_gpusvm_notifier_unlock(svm);
 */

/* Order of the naturally aligned chunk at page @i, clamped to the range. */
static unsigned int drm_gpusvm_chunk_order(const unsigned long *pfns,
					   unsigned long i, unsigned long npages)
{
	unsigned long pfn = pfns[i] & ~HMM_PFN_FLAGS;
	unsigned int order;

	if (!(pfns[i] & HMM_PFN_VALID))
		return 0;

	order = hmm_pfn_to_map_order(pfns[i]);
	while (order && ((i | pfn) & ((1UL << order) - 1) ||
			 i + (1UL << order) > npages))
		order--;
	return order;
}

/*
 * Number of DMA chunks the snapshot needs; reads flag bits only. It runs
 * between hmm_range_fault() and the retry check, which is where the KUnit
 * suite injects an invalidation through the static stub.
 */
VISIBLE_IF_KUNIT unsigned int drm_gpusvm_count_chunks(const unsigned long *pfns,
						      unsigned long npages)
{
	unsigned long i = 0;
	unsigned int n = 0;

	KUNIT_STATIC_STUB_REDIRECT(drm_gpusvm_count_chunks, pfns, npages);

	while (i < npages) {
		i += 1UL << drm_gpusvm_chunk_order(pfns, i, npages);
		n++;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(drm_gpusvm_count_chunks);

/*
 * A page that the CPU and several devices share is DMA-mapped once per
 * device, an overlap dma-debug reports: on a non-coherent device the cache
 * maintenance of one mapping could destroy data written through another.
 * A device mirroring a CPU address space is cache-coherent with it in
 * practice (its accesses race with CPU stores at any time, with no sync
 * point), so there is nothing to sync and the overlap is legitimate; only
 * a non-coherent device keeps the syncs and the report.
 */
static unsigned long drm_gpusvm_dma_attrs(struct device *dev)
{
	return dev_is_dma_coherent(dev) ? DMA_ATTR_SKIP_CPU_SYNC : 0;
}

/* Unmap the first @n entries of @dma. */
static void drm_gpusvm_dma_unmap(struct device *dev,
				 const struct drm_gpusvm_dma *dma,
				 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (dma[i].present && !dma[i].devmem)
			dma_unmap_page_attrs(dev, drm_gpusvm_dma_addr(&dma[i]),
					     PAGE_SIZE << dma[i].order,
					     dma[i].dir,
					     drm_gpusvm_dma_attrs(dev));
}

/*
 * Device memory (ours or a peer's with the same owner token) is not
 * DMA-mapped: the pagemap that owns the page says where it is. Someone
 * else's device-private page cannot be reached at all.
 */
static int drm_gpusvm_devmem_addr(struct page *page,
				  struct drm_gpusvm_dma *dma)
{
	struct drm_pagemap *dpagemap;
	u64 addr;

	if (!drm_pagemap_is_ours(page))
		return -EOPNOTSUPP;
	dpagemap = drm_pagemap_page_to_dpagemap(page);
	addr = dpagemap->ops->device_addr(dpagemap, page);
	/* &struct drm_gpusvm_dma keeps flags in the low bits */
	if (WARN_ON_ONCE(!PAGE_ALIGNED(addr)))
		return -EINVAL;
	dma->pfn = addr >> PAGE_SHIFT;
	dma->devmem = 1;
	dma->present = 1;
	return 0;
}

/* Map one chunk; holes (not present, prefetch only) stay not present. */
static int drm_gpusvm_dma_map_chunk(struct device *dev, unsigned long hmm_pfn,
				    unsigned int order,
				    struct drm_gpusvm_dma *dma)
{
	struct page *page;
	dma_addr_t addr;

	memset(dma, 0, sizeof(*dma));
	dma->order = order;
	dma->dir = DMA_NONE;
	if (!(hmm_pfn & HMM_PFN_VALID))
		return 0;

	page = hmm_pfn_to_page(hmm_pfn);
	dma->writable = !!(hmm_pfn & HMM_PFN_WRITE);
	if (is_device_private_page(page))
		return drm_gpusvm_devmem_addr(page, dma);

	/*
	 * A failed DMA map is a resource shortage (IOMMU space, bounce
	 * buffers), not a bad address: -ENOMEM, so the driver reports it as
	 * such and may retry, instead of killing the job as for -EFAULT.
	 */
	dma->dir = dma->writable ? DMA_BIDIRECTIONAL : DMA_TO_DEVICE;
	if (drm_gpusvm_should_fail_alloc())
		return -ENOMEM;
	addr = dma_map_page_attrs(dev, page, 0, PAGE_SIZE << order, dma->dir,
				  drm_gpusvm_dma_attrs(dev));
	if (dma_mapping_error(dev, addr))
		return -ENOMEM;
	/*
	 * A whole-page mapping is page aligned with an IOMMU and with swiotlb
	 * (which aligns bounce buffers of a page or more); the flags of
	 * &struct drm_gpusvm_dma live in the low bits, so check it.
	 */
	if (WARN_ON_ONCE(!PAGE_ALIGNED(addr))) {
		dma_unmap_page_attrs(dev, addr, PAGE_SIZE << order, dma->dir,
				     drm_gpusvm_dma_attrs(dev));
		return -ENOMEM;
	}
	dma->pfn = addr >> PAGE_SHIFT;
	dma->present = 1;
	return 0;
}

/* DMA-map a current snapshot; notifier lock held, retry check passed. */
static int drm_gpusvm_dma_map_locked(struct drm_gpusvm *gpusvm,
				     const unsigned long *pfns,
				     unsigned long npages,
				     struct drm_gpusvm_dma *dma,
				     unsigned int num_dma,
				     unsigned long *mapped)
{
	unsigned long i = 0;
	unsigned int n;
	int err;

	lockdep_assert_held_write(&gpusvm->notifier_lock);

	*mapped = 0;
	for (n = 0; n < num_dma; n++) {
		unsigned int order = drm_gpusvm_chunk_order(pfns, i, npages);

		err = drm_gpusvm_dma_map_chunk(gpusvm->dev, pfns[i], order,
					       &dma[n]);
		if (err)
			goto err_unmap;
		if (dma[n].present)
			*mapped += 1UL << order;
		i += 1UL << order;
	}
	return 0;

err_unmap:
	drm_gpusvm_dma_unmap(gpusvm->dev, dma, n);
	return err;
}

/**
 * __drm_gpusvm_range_unmap_pages() - Zap and DMA-unmap a range
 * @gpusvm: The gpusvm
 * @range: The range
 * @zap: Ask the driver to zap the range first; false only for the notifier
 *	callback, which zapped every affected range in one call already
 *
 * The device must never hold a PTE to an unmapped DMA address (R6), so
 * the zap always comes before the unmap.
 *
 * Context: &drm_gpusvm.notifier_lock held in write mode.
 */
void __drm_gpusvm_range_unmap_pages(struct drm_gpusvm *gpusvm,
				    struct drm_gpusvm_range *range, bool zap)
{
	struct drm_gpusvm_pages *pages = &range->pages;
	struct drm_gpusvm_pages_flags flags;

	lockdep_assert_held_write(&gpusvm->notifier_lock);

	flags.__flags = pages->flags.__flags;
	if (!flags.has_dma_mapping && !flags.valid)
		return;

	if (zap && flags.valid)
		gpusvm->ops->invalidate(gpusvm, range->notifier,
					drm_gpusvm_range_start(range),
					drm_gpusvm_range_end(range));
	if (flags.has_dma_mapping)
		drm_gpusvm_dma_unmap(gpusvm->dev, pages->dma, pages->num_dma);
	flags.valid = 0;
	flags.has_dma_mapping = 0;
	/* Pairs with READ_ONCE() in drm_gpusvm_range_gpu_reachable() */
	WRITE_ONCE(pages->flags.__flags, flags.__flags);
}

/* Free the DMA array of a range that has no DMA mapping left. */
void drm_gpusvm_pages_free(struct drm_gpusvm_range *range)
{
	kvfree(range->pages.dma);
	range->pages.dma = NULL;
	range->pages.num_dma = 0;
}

/*
 * hmm_range_fault() reports device pages of its dev_private_owner as they
 * are and never faults them, even for a write request: after fork() made
 * one read-only (COW), the write would never be granted and the driver
 * would retry for ever. Any page of the write-faulted span that came back
 * valid but not writable is such a page (a system page would have been
 * faulted writable). Fault the span again as a stranger: core mm then
 * moves those pages to RAM (migrate_to_ram) and breaks the COW there, and
 * the caller retries with a fresh sequence number.
 */
static int drm_gpusvm_devmem_cow(struct hmm_range *fault, unsigned long req)
{
	unsigned long i, npages = (fault->end - fault->start) >> PAGE_SHIFT;
	int err;

	if (!(req & HMM_PFN_REQ_WRITE))
		return 0;
	for (i = 0; i < npages; i++)
		if ((fault->hmm_pfns[i] & (HMM_PFN_VALID | HMM_PFN_WRITE)) ==
		    HMM_PFN_VALID)
			break;
	if (i == npages)
		return 0;

	fault->dev_private_owner = NULL;
	err = hmm_range_fault(fault);
	return err ?: -EBUSY;
}

/*
 * Fault in what must be present, then snapshot the whole range without
 * faulting (R16). hmm_range_fault() cannot do both in one call: for a hole
 * (no page table yet) it faults every page of the walk step as soon as one
 * page asks for it, whatever the other pages' flags say. Both calls use the
 * same sequence number, so one retry check covers them.
 */
static int drm_gpusvm_hmm_fault(struct hmm_range *hmm_range,
				const struct drm_gpusvm_ctx *ctx)
{
	unsigned long req = HMM_PFN_REQ_FAULT |
			    (ctx->read_only ? 0 : HMM_PFN_REQ_WRITE);
	struct hmm_range fault = *hmm_range;
	int err;

	hmm_range->pfn_flags_mask = 0;
	hmm_range->default_flags = 0;
	if (ctx->prefetch)
		return hmm_range_fault(hmm_range);

	if (ctx->fault_end) {
		fault.start = max(hmm_range->start, ctx->fault_start & PAGE_MASK);
		fault.end = min(hmm_range->end, PAGE_ALIGN(ctx->fault_end));
		if (fault.start >= fault.end)
			return -EINVAL;
		fault.hmm_pfns += (fault.start - hmm_range->start) >> PAGE_SHIFT;
	}
	fault.pfn_flags_mask = 0;
	fault.default_flags = req;
	err = hmm_range_fault(&fault);
	if (!err)
		err = drm_gpusvm_devmem_cow(&fault, req);
	if (err || !ctx->fault_end)
		return err;
	/*
	 * A fault span that is the whole range left nothing to snapshot: the
	 * fault walk filled every entry already. The common case (a GPU fault
	 * gets a window, and the range is that window); it saves a page walk.
	 */
	if (fault.start == hmm_range->start && fault.end == hmm_range->end)
		return 0;
	return hmm_range_fault(hmm_range);
}

/* Are the pages valid and still current for this request? */
static bool drm_gpusvm_pages_current(struct drm_gpusvm *gpusvm,
				     struct drm_gpusvm_range *range,
				     const struct drm_gpusvm_ctx *ctx)
{
	struct drm_gpusvm_pages *pages = &range->pages;
	unsigned int i;
	bool ok;

	if (ctx->prefetch)
		return false;

	/*
	 * valid is exact: the callback clears it, under this lock, for every
	 * range an invalidation touches. The notifier's sequence number is
	 * not: it moves for any invalidation anywhere in the notifier.
	 */
	down_read(&gpusvm->notifier_lock);
	ok = pages->flags.valid;
	for (i = 0; ok && i < pages->num_dma; i++)
		ok = pages->dma[i].present &&
		     (ctx->read_only || pages->dma[i].writable) &&
		     (!ctx->exclusive || pages->dma[i].exclusive ||
		      pages->dma[i].devmem);
	up_read(&gpusvm->notifier_lock);
	return ok;
}

/*
 * Has the CPU unmapped (part of) the range since the caller looked it up?
 * Then a fault that hit the hole is no reason to fail the GPU fault: the
 * caller looks the address up again and gets a range that fits.
 */
static bool drm_gpusvm_range_stale(struct drm_gpusvm_range *range)
{
	return drm_gpusvm_range_cpu_unmapped(range) ||
	       list_empty_careful(&range->entry);
}

/*
 * Prepare device-exclusive access for the span a fault asked for (or the
 * whole range): split THPs, allocate the page array the grab fills.
 */
static int drm_gpusvm_excl_init(struct drm_gpusvm *gpusvm,
				struct drm_gpusvm_range *range,
				const struct drm_gpusvm_ctx *ctx,
				struct drm_gpusvm_excl *x)
{
	int err;

	x->start = drm_gpusvm_range_start(range);
	x->end = drm_gpusvm_range_end(range);
	if (ctx->fault_end) {
		x->start = max(x->start, ctx->fault_start & PAGE_MASK);
		x->end = min(x->end, PAGE_ALIGN(ctx->fault_end));
	}
	if (x->start >= x->end)
		return -EINVAL;
	x->npages = (x->end - x->start) >> PAGE_SHIFT;

	err = drm_gpusvm_exclusive_prepare(gpusvm, x->start, x->end);
	if (err)
		return err;
	if (drm_gpusvm_should_fail_alloc())
		return -ENOMEM;
	x->pages = kvcalloc(x->npages, sizeof(*x->pages), GFP_KERNEL);
	return x->pages ? 0 : -ENOMEM;
}

/* Install a freshly mapped DMA array over the unmapped old one; returns it. */
static struct drm_gpusvm_dma *
drm_gpusvm_pages_commit(struct drm_gpusvm *gpusvm,
			struct drm_gpusvm_range *range,
			struct drm_gpusvm_dma *dma, unsigned int num_dma)
{
	struct drm_gpusvm_pages *pages = &range->pages;
	struct drm_gpusvm_dma *old = pages->dma;
	struct drm_gpusvm_pages_flags flags;

	lockdep_assert_held_write(&gpusvm->notifier_lock);

	pages->dma = dma;
	pages->num_dma = num_dma;
	flags.__flags = pages->flags.__flags;
	flags.valid = 1;
	flags.has_dma_mapping = 1;
	/* Pairs with READ_ONCE() in drm_gpusvm_range_gpu_reachable() */
	WRITE_ONCE(pages->flags.__flags, flags.__flags);
	return old;
}

/*
 * One attempt: snapshot, size, lock, retry check, map, commit. Returns
 * -EAGAIN when an invalidation raced with it.
 */
static int drm_gpusvm_get_pages_once(struct drm_gpusvm *gpusvm,
				     struct drm_gpusvm_range *range,
				     struct hmm_range *hmm_range,
				     const struct drm_gpusvm_ctx *ctx,
				     struct drm_gpusvm_excl *x)
{
	unsigned long npages = (hmm_range->end - hmm_range->start) >> PAGE_SHIFT;
	struct drm_gpusvm_dma *dma;
	unsigned long mapped;
	unsigned int num_dma;
	int err;

	hmm_range->notifier_seq = mmu_interval_read_begin(hmm_range->notifier);
	mmap_read_lock(gpusvm->mm);
	err = drm_gpusvm_hmm_fault(hmm_range, ctx);
	if (!err && x)
		err = drm_gpusvm_exclusive_check(x, hmm_range);
	if (!err && x)
		err = drm_gpusvm_exclusive_grab(gpusvm, x->start, x->end,
						x->pages);
	mmap_read_unlock(gpusvm->mm);
	if (err)
		return err == -EBUSY ? -EAGAIN : err;

	num_dma = drm_gpusvm_count_chunks(hmm_range->hmm_pfns, npages);
	dma = drm_gpusvm_should_fail_alloc() ? NULL :
	      kvcalloc(num_dma, sizeof(*dma), GFP_KERNEL);
	if (!dma) {
		err = -ENOMEM;
		goto out_release;
	}

	down_write(&gpusvm->notifier_lock);
	if (mmu_interval_read_retry(hmm_range->notifier,
				    hmm_range->notifier_seq) ||
	    drm_gpusvm_should_fail_seqno()) {
		err = -EAGAIN;
		goto err_unlock;
	}
	/* Removed (CPU unmap, GC) since the caller found it: never commit */
	if (list_empty(&range->entry)) {
		err = -ESTALE;
		goto err_unlock;
	}
	/*
	 * The old mapping goes first: mapping a page again while its old
	 * bidirectional mapping is live is an overlapping mapping, which
	 * DMA-API debug rightly rejects on non-coherent systems.
	 */
	__drm_gpusvm_range_unmap_pages(gpusvm, range, true);
	err = drm_gpusvm_dma_map_locked(gpusvm, hmm_range->hmm_pfns, npages,
					dma, num_dma, &mapped);
	if (err)
		goto err_unlock;
	dma = drm_gpusvm_pages_commit(gpusvm, range, dma, num_dma);
	if (x)
		drm_gpusvm_exclusive_mark(range, x->start, x->end);
	atomic64_add(mapped, &gpusvm->stats.pages_mapped);
err_unlock:
	up_write(&gpusvm->notifier_lock);
	kvfree(dma);	/* On success, the array the commit replaced */
out_release:
	/* Committed: a CPU access may revoke exclusivity from now on */
	if (x)
		drm_gpusvm_exclusive_release(x->pages, x->npages);
	return err;
}

/**
 * drm_gpusvm_range_get_pages() - Collect and DMA-map the pages of a range
 * @gpusvm: The gpusvm
 * @range: The range
 * @ctx: What to fault: the whole range, only [@ctx->fault_start,
 *	@ctx->fault_end), or nothing (@ctx->prefetch); whether to ask for write
 *	access (!@ctx->read_only); whether the faulted span must become
 *	device-exclusive (@ctx->exclusive, for device atomics, see exclusive.c)
 *
 * Retries on invalidation races until the pages are current, for at most
 * HMM_RANGE_DEFAULT_TIMEOUT. Pages that are not faulted and not present are
 * holes (&drm_gpusvm_dma.present clear). On success the pages stay valid until the
 * next invalidation; the driver binds them under drm_gpusvm_notifier_lock()
 * after checking drm_gpusvm_range_pages_valid().
 *
 * Context: Process context; takes mmap_lock (read) and
 * &drm_gpusvm.notifier_lock. The driver's VM lock, if registered, must be
 * held; the notifier lock must not be.
 *
 * Return: 0 on success; -EAGAIN when the range was removed or (partly)
 * unmapped by the CPU since it was looked up: look it up again with
 * drm_gpusvm_range_find_or_insert(); -EPERM for a write request on a
 * read-only mapping (retry with @ctx->read_only); -EINVAL for a fault span
 * outside the range; -EFAULT when the span is not mapped or the
 * process is exiting; -EBUSY when invalidations kept racing past the
 * timeout; -ENOMEM when memory or DMA mapping ran out; -EOPNOTSUPP for device-private pages,
 * and for device-exclusive access to a THP mapped by PTEs or a hugetlb
 * page, which 6.12 cannot split (see exclusive.c).
 */
int drm_gpusvm_range_get_pages(struct drm_gpusvm *gpusvm,
			       struct drm_gpusvm_range *range,
			       const struct drm_gpusvm_ctx *ctx)
{
	unsigned long timeout = jiffies +
				msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	struct hmm_range hmm_range = {
		.notifier = &range->notifier->notifier,
		.start = drm_gpusvm_range_start(range),
		.end = drm_gpusvm_range_end(range),
		.dev_private_owner = gpusvm->device_private_page_owner,
	};
	unsigned long npages = drm_gpusvm_range_size(range) >> PAGE_SHIFT;
	struct drm_gpusvm_excl excl = {}, *x = NULL;
	unsigned int retries = 0;
	int err;

	might_lock(&gpusvm->notifier_lock);
	drm_gpusvm_driver_lock_assert(gpusvm);

	if (drm_gpusvm_pages_current(gpusvm, range, ctx))
		return 0;
	if (!mmget_not_zero(gpusvm->mm))
		return -EFAULT;

	err = -ENOMEM;
	if (drm_gpusvm_should_fail_alloc())
		goto out_mmput;
	hmm_range.hmm_pfns = kvmalloc_array(npages, sizeof(unsigned long),
					    GFP_KERNEL);
	if (!hmm_range.hmm_pfns)
		goto out_mmput;

	if (ctx->exclusive && !ctx->prefetch) {
		x = &excl;
		err = drm_gpusvm_excl_init(gpusvm, range, ctx, x);
		if (err)
			goto out_free;
	}

	while ((err = drm_gpusvm_get_pages_once(gpusvm, range, &hmm_range,
						ctx, x)) == -EAGAIN) {
		atomic64_inc(&gpusvm->stats.retries);
		retries++;
		if (time_after(jiffies, timeout)) {
			err = -EBUSY;
			break;
		}
		if (x && x->resplit) {
			x->resplit = false;
			err = drm_gpusvm_exclusive_prepare(gpusvm, x->start,
							   x->end);
			if (err)
				break;
		}
		cond_resched();
	}
	if (!err)
		atomic64_inc(&gpusvm->stats.get_pages);
	if (err == -ESTALE || (err == -EFAULT && drm_gpusvm_range_stale(range)))
		err = -EAGAIN;
	trace_drm_gpusvm_get_pages(gpusvm, hmm_range.start, hmm_range.end,
				   retries, err);

out_free:
	kvfree(excl.pages);
	kvfree(hmm_range.hmm_pfns);
out_mmput:
	mmput(gpusvm->mm);
	return err;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_get_pages);

/**
 * drm_gpusvm_range_unmap_pages() - Zap and DMA-unmap a range's pages
 * @gpusvm: The gpusvm
 * @range: The range
 *
 * For eviction and driver-initiated unbinds: calls
 * &drm_gpusvm_ops.invalidate when the device may reach the pages, then
 * DMA-unmaps them. The range stays in the tree; the next fault collects
 * its pages again.
 *
 * Context: Process context; takes &drm_gpusvm.notifier_lock in write mode.
 */
void drm_gpusvm_range_unmap_pages(struct drm_gpusvm *gpusvm,
				  struct drm_gpusvm_range *range)
{
	down_write(&gpusvm->notifier_lock);
	__drm_gpusvm_range_unmap_pages(gpusvm, range, true);
	up_write(&gpusvm->notifier_lock);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_unmap_pages);

/**
 * drm_gpusvm_range_pages_valid() - May the driver bind the range's pages?
 * @gpusvm: The gpusvm
 * @range: The range
 *
 * Context: &drm_gpusvm.notifier_lock held, see drm_gpusvm_notifier_lock().
 *
 * Return: true when the pages were collected and no invalidation has hit
 * them since; stays true while the lock is held.
 */
bool drm_gpusvm_range_pages_valid(struct drm_gpusvm *gpusvm,
				  struct drm_gpusvm_range *range)
{
	lockdep_assert_held(&gpusvm->notifier_lock);
	return range->pages.flags.valid;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_pages_valid);
