// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/hmm.h>
#include <linux/hugetlb.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/slab.h>

#include <drm/drm_gpusvm.h>

#include "gpusvm_internal.h"

/**
 * DOC: Overview
 *
 * Device-exclusive access lets a device that cannot do atomics across the
 * bus (nouveau-style) do them on system memory without pinning it: the
 * CPU page-table entries of the pages are replaced by device-exclusive
 * entries (make_device_exclusive_range()), and the first CPU access
 * restores them and fires an MMU_NOTIFY_EXCLUSIVE invalidation, which zaps
 * the GPU mapping like any other. The GPU then faults again; policy.c
 * bounds how often (``atomic_retries``).
 *
 * On 6.12 make_device_exclusive_range() only grants whole folios through
 * their head page, so a page inside a THP would never become exclusive.
 * The THP is split first (R10), with the one exported tool that splits an
 * anonymous folio: migrate_vma_setup() splits it while collecting, and
 * finalising without destinations puts every (now small) page back.
 *
 * migrate_vma_setup() splits only PMD-mapped THPs. A THP that is already
 * mapped by PTEs (after a partial munmap or mprotect) and a hugetlb page
 * cannot be split or made exclusive with what 6.12 exports, so such a
 * request fails at once with -EOPNOTSUPP instead of spinning until the
 * get_pages timeout; the driver then uses device memory or gives up.
 */

/**
 * DOC: Locking
 *
 * Runs inside drm_gpusvm_range_get_pages(): the split and the exclusive
 * conversion take mmap_lock in read mode; the returned pages stay locked
 * and referenced until the commit under the notifier lock is done, so the
 * CPU cannot revoke them between the sequence check and the commit. The
 * conversion's own MMU_NOTIFY_EXCLUSIVE event carries the gpusvm as owner
 * and is ignored by the gpusvm's notifier; without that, every grab would
 * invalidate itself and the fault would never complete.
 */

/**
 * DOC: Examples
 *
 * A GPU atomic fault on system memory::
 *
 *	struct drm_gpusvm_ctx ctx = {
 *		.access = DRM_GPUSVM_ACCESS_ATOMIC, .exclusive = 1,
 *		.fault_start = addr & PAGE_MASK,
 *		.fault_end = (addr & PAGE_MASK) + PAGE_SIZE,
 *	};
 *	unsigned int attempt = 0;
 *
 *	do {
 *		err = drm_gpusvm_range_get_pages(svm, range, &ctx);
 *		if (!err)
 *			err = driver_bind_ptes(vm, range);	// -EAGAIN on race
 *	} while (err == -EAGAIN && !drm_gpusvm_atomic_retry(++attempt));
 */

/* Split the THPs under [start, end) so each page can be made exclusive. */
int drm_gpusvm_exclusive_prepare(struct drm_gpusvm *gpusvm,
				 unsigned long start, unsigned long end)
{
	unsigned long npages = (end - start) >> PAGE_SHIFT;
	struct migrate_vma migrate = {
		.start = start,
		.end = end,
		.pgmap_owner = gpusvm,
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	int err;

	if (drm_gpusvm_should_fail_alloc())
		return -ENOMEM;
	migrate.src = kvcalloc(2 * npages, sizeof(unsigned long), GFP_KERNEL);
	if (!migrate.src)
		return -ENOMEM;
	migrate.dst = migrate.src + npages;

	mmap_read_lock(gpusvm->mm);
	migrate.vma = vma_lookup(gpusvm->mm, start);
	if (!migrate.vma || end > migrate.vma->vm_end)
		err = -EFAULT;
	else if (is_vm_hugetlb_page(migrate.vma))
		err = -EOPNOTSUPP;
	else
		err = migrate_vma_setup(&migrate);
	if (!err) {
		/* No destinations: every collected page goes back, split */
		migrate_vma_pages(&migrate);
		migrate_vma_finalize(&migrate);
	}
	mmap_read_unlock(gpusvm->mm);

	kvfree(migrate.src);
	return err;
}

/*
 * May the faulted pages of the span become exclusive? mmap_lock held, the
 * span just faulted in. -EAGAIN with @x->resplit for a PMD-mapped THP (a
 * hole faulted in as one after the split); -EOPNOTSUPP for what cannot be
 * split, see DOC: Overview.
 */
int drm_gpusvm_exclusive_check(struct drm_gpusvm_excl *x,
			       const struct hmm_range *hmm_range)
{
	unsigned long i, first = (x->start - hmm_range->start) >> PAGE_SHIFT;

	for (i = first; i < first + x->npages; i++) {
		unsigned long pfn = hmm_range->hmm_pfns[i];
		struct folio *folio;

		if (!(pfn & HMM_PFN_VALID))
			continue;
		folio = page_folio(hmm_pfn_to_page(pfn));
		if (!folio_test_large(folio) || folio_is_zone_device(folio))
			continue;
		if (folio_test_hugetlb(folio) || !hmm_pfn_to_map_order(pfn))
			return -EOPNOTSUPP;
		x->resplit = true;
		return -EAGAIN;
	}
	return 0;
}

/* Release pages returned by drm_gpusvm_exclusive_grab(). */
void drm_gpusvm_exclusive_release(struct page **pages, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		if (!pages[i])
			continue;
		unlock_page(pages[i]);
		put_page(pages[i]);
		pages[i] = NULL;
	}
}

/*
 * Make [start, end) device-exclusive; mmap_lock held. All or nothing: a
 * page that could not be converted (locked, a THP tail, not anonymous)
 * makes the caller retry, with the bound of its get_pages loop.
 */
int drm_gpusvm_exclusive_grab(struct drm_gpusvm *gpusvm, unsigned long start,
			      unsigned long end, struct page **pages)
{
	unsigned long npages = (end - start) >> PAGE_SHIFT, i;
	int n;

	mmap_assert_locked(gpusvm->mm);

	n = make_device_exclusive_range(gpusvm->mm, start, end, pages, gpusvm);
	if (n < 0)
		return n;
	for (i = 0; i < npages; i++)
		if (i >= n || !pages[i])
			goto err_release;
	return 0;

err_release:
	drm_gpusvm_exclusive_release(pages, min_t(unsigned long, n, npages));
	return -EAGAIN;
}

/* Flag the committed chunks inside [start, end) as exclusive. */
void drm_gpusvm_exclusive_mark(struct drm_gpusvm_range *range,
			       unsigned long start, unsigned long end)
{
	struct drm_gpusvm_dma *dma;
	unsigned long addr;

	drm_gpusvm_for_each_dma(dma, addr, &range->pages,
				drm_gpusvm_range_start(range))
		if (addr >= start && addr < end)
			dma->exclusive = 1;
}
