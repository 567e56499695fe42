// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/hmm.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>

#include <drm/drm_gpusvm.h>

/**
 * DOC: Snapshots
 *
 * drm_gpusvm_snapshot() reports what the CPU page tables hold for a span,
 * without faulting anything in and without creating ranges: for debugging
 * tools and ABI layers such as the kernel's test_hmm interface, which must
 * describe holes, PROT_NONE mappings, the zero page and device pages of
 * other devices exactly as hmm_range_fault() sees them. The span may cross
 * VMAs and holes, which a range never does, so it gets a short-lived
 * interval notifier of its own rather than borrowing a range's.
 */

static bool drm_gpusvm_snapshot_invalidate(struct mmu_interval_notifier *mni,
					   const struct mmu_notifier_range *r,
					   unsigned long cur_seq)
{
	/*
	 * Nothing is mapped from a snapshot; only the sequence matters. A
	 * non-blockable caller gets true: there is nothing to wait for.
	 */
	mmu_interval_set_seq(mni, cur_seq);
	return true;
}

static const struct mmu_interval_notifier_ops drm_gpusvm_snapshot_ops = {
	.invalidate = drm_gpusvm_snapshot_invalidate,
};

/* One hmm_range_fault() pass that faults nothing; -EBUSY on a race. */
static int drm_gpusvm_snapshot_once(struct mm_struct *mm,
				    struct hmm_range *range)
{
	int err;

	range->notifier_seq = mmu_interval_read_begin(range->notifier);
	mmap_read_lock(mm);
	err = hmm_range_fault(range);
	mmap_read_unlock(mm);
	if (err)
		return err;
	return mmu_interval_read_retry(range->notifier, range->notifier_seq) ?
	       -EBUSY : 0;
}

/**
 * drm_gpusvm_snapshot() - What the CPU maps for a span, without faulting
 * @gpusvm: The gpusvm; its mm and device-private owner are used
 * @start: Start of the span, page aligned
 * @end: End of the span, page aligned, after @start
 * @hmm_pfns: Out: one hmm_range_fault() entry per page of the span
 *
 * Fills @hmm_pfns as hmm_range_fault() does with no fault requested:
 * %HMM_PFN_VALID (and %HMM_PFN_WRITE) for a present page, with its map
 * order; 0 for a page that is not present or is device-private memory of
 * another owner; %HMM_PFN_ERROR where no VMA is or where the VMA allows no
 * read access. The result is a snapshot: it may be stale as soon as this
 * returns, and nothing is DMA-mapped or referenced.
 *
 * Context: Process context; takes mmap_lock (read). Must not be called
 * with &drm_gpusvm.notifier_lock held.
 *
 * Return: 0, -EINVAL for a bad span, -EFAULT when the process is exiting,
 * -ENOMEM, or -EBUSY when invalidations kept racing for
 * %HMM_RANGE_DEFAULT_TIMEOUT milliseconds.
 */
int drm_gpusvm_snapshot(struct drm_gpusvm *gpusvm, unsigned long start,
			unsigned long end, unsigned long *hmm_pfns)
{
	unsigned long timeout = jiffies +
				msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	struct mmu_interval_notifier notifier;
	struct hmm_range range = {
		.notifier = &notifier,
		.start = start,
		.end = end,
		.hmm_pfns = hmm_pfns,
		.dev_private_owner = gpusvm->device_private_page_owner,
	};
	int err;

	if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(end) || start >= end)
		return -EINVAL;
	might_lock(&gpusvm->notifier_lock);
	if (!mmget_not_zero(gpusvm->mm))
		return -EFAULT;

	err = mmu_interval_notifier_insert(&notifier, gpusvm->mm, start,
					   end - start,
					   &drm_gpusvm_snapshot_ops);
	if (err)
		goto out_mmput;
	do {
		err = drm_gpusvm_snapshot_once(gpusvm->mm, &range);
		if (err != -EBUSY)
			break;
		cond_resched();
	} while (!time_after(jiffies, timeout));
	mmu_interval_notifier_remove(&notifier);
out_mmput:
	mmput(gpusvm->mm);
	return err;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_snapshot);
