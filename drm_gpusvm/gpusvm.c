// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/hmm.h>
#include <linux/interval_tree.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <kunit/visibility.h>

#include <drm/drm_gpusvm.h>

#include "gpusvm_internal.h"
#include "gpusvm_trace.h"

/**
 * DOC: Overview
 *
 * drm_gpusvm lets a GPU use a process's plain (malloc'ed) memory at the same
 * virtual addresses as the CPU. It owns the core-mm plumbing every SVM driver
 * needs, so that drivers only program page tables:
 *
 * - &struct drm_gpusvm: one GPU VA space mirroring one mm, embedded in the
 *   driver's VM. drm_gpusvm_init() and drm_gpusvm_fini().
 * - &struct drm_gpusvm_notifier: a large (512 MiB by default, see policy.c),
 *   long-lived MMU interval notifier, inserted on the first fault in its
 *   window and removed with its last range.
 * - &struct drm_gpusvm_range: a GPU-mapped piece of VA whose size policy.c
 *   chooses (2 MiB, 64 KiB or 4 KiB by default). Ranges are never split.
 * - &struct drm_gpusvm_pages: the DMA state of a range, filled by
 *   drm_gpusvm_range_get_pages() with the hmm_range_fault() sequence-retry
 *   protocol of Documentation/mm/hmm.rst.
 * - The notifier callback: zaps GPU mappings through
 *   &drm_gpusvm_ops.invalidate, DMA-unmaps, and hands unmapped ranges to
 *   the garbage collector.
 * - The garbage collector: a work item, also run at the start of every
 *   fault, that removes ranges whose CPU mapping went away.
 *
 * The driver supplies a GPU fault handler that calls
 * drm_gpusvm_range_find_or_insert() then drm_gpusvm_range_get_pages(), and
 * binds PTEs under drm_gpusvm_notifier_lock() after checking
 * drm_gpusvm_range_pages_valid(); and an &drm_gpusvm_ops.invalidate that
 * zaps PTEs and flushes TLBs.
 */

/**
 * DOC: Locking
 *
 * Lock order, outermost first::
 *
 *	driver VM lock (optional, see drm_gpusvm_driver_set_lock())
 *	  &drm_gpusvm.lock
 *	    mmap_lock (read, only around core-mm calls)
 *	      fs_reclaim
 *	        &drm_gpusvm.notifier_lock
 *	          &drm_gpusvm.gc_lock
 *
 * &drm_gpusvm.lock serialises insertion and removal of notifiers and
 * ranges. It is never held while faulting: get_pages runs without it, and
 * races with core mm are resolved by the notifier sequence number, never by
 * holding a lock across core-mm faults (R1). The one core-mm call under it
 * is the window policy's presence check, a non-faulting hmm_range_fault()
 * snapshot with mmap_lock held for reading; it may wait in
 * mmu_interval_read_begin() for a running invalidation, which is safe
 * because the notifier callback never takes this lock.
 *
 * &drm_gpusvm.notifier_lock is taken by the MMU notifier callback, which
 * runs in reclaim and from the OOM reaper. It is therefore a reclaim lock:
 * drm_gpusvm_init() teaches lockdep that it nests inside fs_reclaim, and
 * nothing holding it may allocate with GFP_KERNEL, call hmm_range_fault()
 * or mmu_interval_read_begin(), or fault (R5). Tree updates hold both
 * &drm_gpusvm.lock and &drm_gpusvm.notifier_lock in write mode, so either
 * lock keeps a walk of the trees stable.
 *
 * In non-blockable mode (the OOM reaper) the callback only trylocks the
 * notifier lock, and succeeds without sleeping when no range in the span has
 * a DMA mapping, or when the driver's &drm_gpusvm_ops.invalidate_nonblock
 * could zap without sleeping; it refuses only when a zap would have to
 * sleep (R7). DMA unmapping never sleeps.
 */

/**
 * DOC: Examples
 *
 * A GPU fault handler (error handling of the driver's own calls left out)::
 *
 *	int driver_gpu_fault(struct driver_vm *vm, unsigned long addr,
 *			     bool write)
 *	{
 *		struct drm_gpusvm_ctx ctx = { .read_only = !write };
 *		struct drm_gpusvm_range *range;
 *		int err;
 *
 *	retry:
 *		range = drm_gpusvm_range_find_or_insert(&vm->svm, addr, &ctx);
 *		if (IS_ERR(range))
 *			return PTR_ERR(range);
 *		err = drm_gpusvm_range_get_pages(&vm->svm, range, &ctx);
 *		if (err)
 *			goto out_put;
 *
 *		drm_gpusvm_notifier_lock(&vm->svm);
 *		if (drm_gpusvm_range_pages_valid(&vm->svm, range))
 *			driver_bind_ptes(vm, range);
 *		else
 *			err = -EAGAIN;
 *		drm_gpusvm_notifier_unlock(&vm->svm);
 *	out_put:
 *		drm_gpusvm_range_put(range);
 *		if (err == -EAGAIN)
 *			goto retry;
 *		return err;
 *	}
 *
 * The invalidate op zaps the span and waits for the TLB flush::
 *
 *	void driver_invalidate(struct drm_gpusvm *svm,
 *			       struct drm_gpusvm_notifier *notifier,
 *			       unsigned long start, unsigned long end)
 *	{
 *		driver_zap_ptes(to_driver_vm(svm), start, end);
 *		driver_tlb_flush_sync(to_driver_vm(svm));
 *	}
 */

/**
 * DOC: Partial unmap
 *
 * Ranges are never split. When the CPU unmaps part of a range, the whole
 * range is zapped, DMA-unmapped and queued for the garbage collector; the
 * part still mapped faults again and gets a new, smaller or differently
 * placed range. Splitting would need allocation in the notifier callback,
 * which runs in reclaim.
 */

struct fault_attr drm_gpusvm_fail_alloc = FAULT_ATTR_INITIALIZER;
EXPORT_SYMBOL_IF_KUNIT(drm_gpusvm_fail_alloc);

/* Fault injection for every allocation and DMA-map site of the core (R11). */
bool drm_gpusvm_should_fail_alloc(void)
{
	return should_fail(&drm_gpusvm_fail_alloc, 1);
}

struct fault_attr drm_gpusvm_fail_seqno = FAULT_ATTR_INITIALIZER;
EXPORT_SYMBOL_IF_KUNIT(drm_gpusvm_fail_seqno);

/*
 * Invalidation injection (R4): make a get_pages attempt behave as if an
 * invalidation had bumped the notifier sequence after the snapshot, so
 * race suites exercise the retry path at a rate they choose.
 */
bool drm_gpusvm_should_fail_seqno(void)
{
	return should_fail(&drm_gpusvm_fail_seqno, 1);
}

static const struct mmu_interval_notifier_ops drm_gpusvm_notifier_ops;

static void drm_gpusvm_gc_work(struct work_struct *work);

/* Teach lockdep the lock order of DOC: Locking once, at init (R5). */
static void drm_gpusvm_lockdep_prime(struct drm_gpusvm *gpusvm)
{
	if (!IS_ENABLED(CONFIG_LOCKDEP))
		return;

	mutex_lock(&gpusvm->lock);
	might_lock_read(&gpusvm->mm->mmap_lock);
	mutex_unlock(&gpusvm->lock);

	fs_reclaim_acquire(GFP_KERNEL);
	might_lock(&gpusvm->notifier_lock);
	down_write(&gpusvm->notifier_lock);
	might_lock(&gpusvm->gc_lock);
	up_write(&gpusvm->notifier_lock);
	fs_reclaim_release(GFP_KERNEL);
}

/* Validate the arguments of drm_gpusvm_init(). */
static bool drm_gpusvm_init_args_valid(struct device *dev,
				       struct mm_struct *mm,
				       unsigned long mm_start,
				       unsigned long mm_range,
				       unsigned long notifier_size,
				       const struct drm_gpusvm_ops *ops)
{
	unsigned long end;

	if (!dev || !mm || !ops || !ops->invalidate)
		return false;
	if (!ops->range_alloc != !ops->range_free)
		return false;
	if (!ops->invalidate_start != !ops->invalidate_finish)
		return false;
	if (!mm_range || !PAGE_ALIGNED(mm_start) || !PAGE_ALIGNED(mm_range) ||
	    check_add_overflow(mm_start, mm_range - 1, &end))
		return false;
	return is_power_of_2(notifier_size) && notifier_size >= PAGE_SIZE;
}

/**
 * drm_gpusvm_init() - Initialise a gpusvm
 * @gpusvm: The gpusvm, embedded in the driver's VM
 * @name: Name for debugfs and messages; must outlive the gpusvm
 * @dev: Device that DMA-maps the pages
 * @mm: The mm to mirror, normally current->mm
 * @device_private_page_owner: Owner token for device-private pages, or NULL
 * @mm_start: First GPU VA to mirror, page aligned
 * @mm_range: Size of the mirrored span, page aligned, non-zero
 * @notifier_size: Notifier size and alignment, a power of two; 0 for the
 *	policy default (512 MiB)
 * @ops: Driver operations; &drm_gpusvm_ops.invalidate is required
 *
 * Takes an mm_count reference (mmgrab) on @mm until drm_gpusvm_fini().
 *
 * Context: Process context. Takes and releases the locks of DOC: Locking to
 * teach lockdep their order.
 *
 * Return: 0 on success, -EINVAL on a missing required op, an unpaired
 * optional op or a bad span or notifier size.
 */
int drm_gpusvm_init(struct drm_gpusvm *gpusvm, const char *name,
		    struct device *dev, struct mm_struct *mm,
		    void *device_private_page_owner, unsigned long mm_start,
		    unsigned long mm_range, unsigned long notifier_size,
		    const struct drm_gpusvm_ops *ops)
{
	if (!notifier_size)
		notifier_size = drm_gpusvm_policy_notifier_size();
	if (!drm_gpusvm_init_args_valid(dev, mm, mm_start, mm_range,
					notifier_size, ops))
		return -EINVAL;

	memset(gpusvm, 0, sizeof(*gpusvm));
	gpusvm->name = name;
	gpusvm->dev = dev;
	gpusvm->mm = mm;
	gpusvm->device_private_page_owner = device_private_page_owner;
	gpusvm->mm_start = mm_start;
	gpusvm->mm_range = mm_range;
	gpusvm->notifier_size = notifier_size;
	gpusvm->ops = ops;
	mutex_init(&gpusvm->lock);
	init_rwsem(&gpusvm->notifier_lock);
	gpusvm->root = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&gpusvm->notifier_list);
	spin_lock_init(&gpusvm->gc_lock);
	INIT_LIST_HEAD(&gpusvm->gc_list);
	INIT_WORK(&gpusvm->gc_work, drm_gpusvm_gc_work);

	mmgrab(mm);	/* Pairs with mmdrop() in drm_gpusvm_fini() */
	drm_gpusvm_lockdep_prime(gpusvm);
	drm_gpusvm_debugfs_add(gpusvm);
	return 0;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_init);

#ifdef CONFIG_LOCKDEP
/**
 * drm_gpusvm_driver_set_lock() - Register the driver's VM lock
 * @gpusvm: The gpusvm
 * @map: lockdep map of the lock, see drm_gpusvm_driver_lockdep_map()
 *
 * After this, drm_gpusvm_range_find_or_insert(),
 * drm_gpusvm_range_get_pages() and drm_gpusvm_range_remove() warn when the
 * lock is not held. Call once, before the first fault, with the lock not
 * held: lockdep is taught here that it ranks above &drm_gpusvm.lock and
 * the notifier lock (DOC: Locking), so an inversion is reported on first
 * sight instead of when both orders happen to run. Drivers prime only
 * their own locks.
 */
void drm_gpusvm_driver_set_lock(struct drm_gpusvm *gpusvm,
				struct lockdep_map *map)
{
	WARN_ON(gpusvm->lock_dep_map);
	gpusvm->lock_dep_map = map;
	lock_map_acquire(map);
	might_lock(&gpusvm->lock);
	might_lock_read(&gpusvm->notifier_lock);
	lock_map_release(map);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_driver_set_lock);
#endif

/**
 * drm_gpusvm_notifier_find() - Find the notifier covering an address
 * @gpusvm: The gpusvm
 * @addr: The address
 *
 * Context: &drm_gpusvm.lock held.
 *
 * Return: the notifier, or NULL.
 */
struct drm_gpusvm_notifier *
drm_gpusvm_notifier_find(struct drm_gpusvm *gpusvm, unsigned long addr)
{
	struct interval_tree_node *node;

	lockdep_assert_held(&gpusvm->lock);
	node = interval_tree_iter_first(&gpusvm->root, addr, addr);
	return node ? container_of(node, struct drm_gpusvm_notifier, itree) :
		      NULL;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_notifier_find);

/* Allocate and insert the notifier for the window containing @addr. */
static struct drm_gpusvm_notifier *
drm_gpusvm_notifier_create(struct drm_gpusvm *gpusvm, unsigned long addr)
{
	unsigned long size = gpusvm->notifier_size;
	struct drm_gpusvm_notifier *notifier, *next;
	struct rb_node *rb;
	int err;

	lockdep_assert_held(&gpusvm->lock);

	if (drm_gpusvm_should_fail_alloc())
		return ERR_PTR(-ENOMEM);
	notifier = kzalloc(sizeof(*notifier), GFP_KERNEL);
	if (!notifier)
		return ERR_PTR(-ENOMEM);

	notifier->gpusvm = gpusvm;
	kref_init(&notifier->refcount);	/* The tree's reference */
	notifier->itree.start = ALIGN_DOWN(addr, size);
	notifier->itree.last = notifier->itree.start + size - 1;
	notifier->root = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&notifier->range_list);

	err = mmu_interval_notifier_insert(&notifier->notifier, gpusvm->mm,
					   notifier->itree.start, size,
					   &drm_gpusvm_notifier_ops);
	if (err)
		goto err_free;

	interval_tree_insert(&notifier->itree, &gpusvm->root);
	rb = rb_next(&notifier->itree.rb);
	if (rb) {
		next = rb_entry(rb, struct drm_gpusvm_notifier, itree.rb);
		list_add_tail(&notifier->entry, &next->entry);
	} else {
		list_add_tail(&notifier->entry, &gpusvm->notifier_list);
	}
	atomic64_inc(&gpusvm->stats.notifiers);
	return notifier;

err_free:
	kfree(notifier);
	return ERR_PTR(err);
}

static void drm_gpusvm_notifier_release(struct kref *kref)
{
	kfree(container_of(kref, struct drm_gpusvm_notifier, refcount));
}

/* Drop a reference on a notifier; the last one frees it. */
static void drm_gpusvm_notifier_put(struct drm_gpusvm_notifier *notifier)
{
	kref_put(&notifier->refcount, drm_gpusvm_notifier_release);
}

/* Take a notifier out of the gpusvm's tree and drop the tree's reference. */
static void drm_gpusvm_notifier_unlink(struct drm_gpusvm *gpusvm,
				       struct drm_gpusvm_notifier *notifier)
{
	interval_tree_remove(&notifier->itree, &gpusvm->root);
	list_del(&notifier->entry);
	drm_gpusvm_notifier_put(notifier);
}

/*
 * Remove an empty notifier. mmu_interval_notifier_remove() waits for a
 * running callback, which takes only the notifier lock, so it is called with
 * &drm_gpusvm.lock held but never with the notifier lock held. Ranges a
 * driver still holds keep the memory until they are put.
 */
static void drm_gpusvm_notifier_remove(struct drm_gpusvm *gpusvm,
				       struct drm_gpusvm_notifier *notifier)
{
	lockdep_assert_held(&gpusvm->lock);
	WARN_ON(!RB_EMPTY_ROOT(&notifier->root.rb_root));

	mmu_interval_notifier_remove(&notifier->notifier);
	drm_gpusvm_notifier_unlink(gpusvm, notifier);
}

/**
 * drm_gpusvm_range_find() - First range of a notifier overlapping a span
 * @notifier: The notifier
 * @start: Start of the span
 * @end: End of the span (exclusive)
 *
 * Context: &drm_gpusvm.lock or &drm_gpusvm.notifier_lock held.
 *
 * Return: the lowest range overlapping [@start, @end), or NULL.
 */
struct drm_gpusvm_range *
drm_gpusvm_range_find(struct drm_gpusvm_notifier *notifier,
		      unsigned long start, unsigned long end)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_first(&notifier->root, start, end - 1);
	return node ? container_of(node, struct drm_gpusvm_range, itree) : NULL;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_find);

/**
 * __drm_gpusvm_range_next() - Next range for drm_gpusvm_for_each_range()
 * @range: The current range
 * @end: End of the span being walked (exclusive)
 *
 * Return: the next range starting below @end, or NULL.
 */
struct drm_gpusvm_range *
__drm_gpusvm_range_next(struct drm_gpusvm_range *range, unsigned long end)
{
	struct drm_gpusvm_notifier *notifier = range->notifier;

	if (list_is_last(&range->entry, &notifier->range_list))
		return NULL;
	range = list_next_entry(range, entry);
	return drm_gpusvm_range_start(range) < end ? range : NULL;
}
EXPORT_SYMBOL_GPL(__drm_gpusvm_range_next);

/* Allocate a range for [start, end) through the driver's op or kzalloc. */
static struct drm_gpusvm_range *
drm_gpusvm_range_alloc(struct drm_gpusvm *gpusvm,
		       struct drm_gpusvm_notifier *notifier,
		       unsigned long start, unsigned long end)
{
	struct drm_gpusvm_range *range;

	if (drm_gpusvm_should_fail_alloc())
		return ERR_PTR(-ENOMEM);
	if (gpusvm->ops->range_alloc)
		range = gpusvm->ops->range_alloc(gpusvm);
	else
		range = kzalloc(sizeof(*range), GFP_KERNEL);
	if (!range)
		return ERR_PTR(-ENOMEM);

	range->gpusvm = gpusvm;
	range->notifier = notifier;
	kref_get(&notifier->refcount);	/* Put in drm_gpusvm_range_release() */
	kref_init(&range->refcount);
	range->itree.start = start;
	range->itree.last = end - 1;
	INIT_LIST_HEAD(&range->entry);
	INIT_LIST_HEAD(&range->gc_entry);
	return range;
}

/* Link a new range into its notifier's tree and list. */
static void drm_gpusvm_range_insert(struct drm_gpusvm *gpusvm,
				    struct drm_gpusvm_range *range)
{
	struct drm_gpusvm_notifier *notifier = range->notifier;
	struct drm_gpusvm_range *next;
	struct rb_node *rb;

	lockdep_assert_held(&gpusvm->lock);

	down_write(&gpusvm->notifier_lock);
	interval_tree_insert(&range->itree, &notifier->root);
	rb = rb_next(&range->itree.rb);
	if (rb) {
		next = rb_entry(rb, struct drm_gpusvm_range, itree.rb);
		list_add_tail(&range->entry, &next->entry);
	} else {
		list_add_tail(&range->entry, &notifier->range_list);
	}
	up_write(&gpusvm->notifier_lock);
	atomic64_inc(&gpusvm->stats.ranges_created);
}

/*
 * Unlink a range from the trees, the device and the GC list. The driver's
 * PTEs are zapped and the pages DMA-unmapped before the range leaves the
 * tree (R6).
 */
static void drm_gpusvm_range_unlink(struct drm_gpusvm *gpusvm,
				    struct drm_gpusvm_range *range)
{
	lockdep_assert_held(&gpusvm->lock);

	down_write(&gpusvm->notifier_lock);
	__drm_gpusvm_range_unmap_pages(gpusvm, range, true);
	interval_tree_remove(&range->itree, &range->notifier->root);
	list_del_init(&range->entry);
	spin_lock(&gpusvm->gc_lock);
	list_del_init(&range->gc_entry);
	spin_unlock(&gpusvm->gc_lock);
	up_write(&gpusvm->notifier_lock);
}

/* Remove a range, and its notifier when it was the last range there. */
static void drm_gpusvm_range_remove_locked(struct drm_gpusvm *gpusvm,
					   struct drm_gpusvm_range *range)
{
	struct drm_gpusvm_notifier *notifier = range->notifier;

	drm_gpusvm_range_unlink(gpusvm, range);
	drm_gpusvm_range_put(range);	/* The tree's reference */
	if (list_empty(&notifier->range_list))
		drm_gpusvm_notifier_remove(gpusvm, notifier);
}

/**
 * drm_gpusvm_range_remove() - Remove a range
 * @gpusvm: The gpusvm
 * @range: The range; the caller's reference stays valid until it drops it
 *
 * Zaps the range on the device, DMA-unmaps it and removes it from the tree;
 * removes the notifier when this was its last range.
 *
 * Context: Process context; takes &drm_gpusvm.lock and
 * &drm_gpusvm.notifier_lock.
 */
void drm_gpusvm_range_remove(struct drm_gpusvm *gpusvm,
			     struct drm_gpusvm_range *range)
{
	drm_gpusvm_driver_lock_assert(gpusvm);
	mutex_lock(&gpusvm->lock);
	if (!list_empty(&range->entry))	/* Not removed yet */
		drm_gpusvm_range_remove_locked(gpusvm, range);
	mutex_unlock(&gpusvm->lock);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_remove);

static void drm_gpusvm_range_release(struct kref *kref)
{
	struct drm_gpusvm_range *range =
		container_of(kref, struct drm_gpusvm_range, refcount);
	struct drm_gpusvm_notifier *notifier = range->notifier;
	struct drm_gpusvm *gpusvm = range->gpusvm;

	WARN_ON(range->pages.flags.has_dma_mapping);
	drm_gpusvm_pages_free(range);
	if (gpusvm->ops->range_free)
		gpusvm->ops->range_free(range);
	else
		kfree(range);
	drm_gpusvm_notifier_put(notifier);
}

/**
 * drm_gpusvm_range_put() - Drop a reference on a range
 * @range: The range, or NULL
 *
 * Context: Process context; may sleep when it frees the range.
 */
void drm_gpusvm_range_put(struct drm_gpusvm_range *range)
{
	might_sleep();
	if (range)
		kref_put(&range->refcount, drm_gpusvm_range_release);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_put);

/* Collected by the GC: ranges whose CPU mapping went away in part or whole. */
static void drm_gpusvm_gc_locked(struct drm_gpusvm *gpusvm)
{
	struct drm_gpusvm_range *range;

	lockdep_assert_held(&gpusvm->lock);

	spin_lock(&gpusvm->gc_lock);
	while ((range = list_first_entry_or_null(&gpusvm->gc_list,
						 struct drm_gpusvm_range,
						 gc_entry))) {
		list_del_init(&range->gc_entry);
		spin_unlock(&gpusvm->gc_lock);
		drm_gpusvm_range_remove_locked(gpusvm, range);
		atomic64_inc(&gpusvm->stats.gc_ranges);
		spin_lock(&gpusvm->gc_lock);
	}
	spin_unlock(&gpusvm->gc_lock);
}

/**
 * drm_gpusvm_garbage_collect() - Remove ranges the CPU unmapped
 * @gpusvm: The gpusvm
 *
 * Runs from the GC work item and at the start of every fault; drivers call
 * it where they want the work done synchronously.
 *
 * Context: Process context; takes &drm_gpusvm.lock.
 */
void drm_gpusvm_garbage_collect(struct drm_gpusvm *gpusvm)
{
	mutex_lock(&gpusvm->lock);
	drm_gpusvm_gc_locked(gpusvm);
	mutex_unlock(&gpusvm->lock);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_garbage_collect);

static void drm_gpusvm_gc_work(struct work_struct *work)
{
	drm_gpusvm_garbage_collect(container_of(work, struct drm_gpusvm,
						gc_work));
}

/* Overlap callback of the window policy. */
static bool drm_gpusvm_window_overlaps(void *arg, unsigned long start,
				       unsigned long end)
{
	return drm_gpusvm_range_find(arg, start, end);
}

/*
 * Presence callback of the window policy: snapshot the CPU page table
 * without faulting (R16). A stale answer only makes the window a worse fit,
 * so the sequence number is not rechecked.
 */
static bool drm_gpusvm_window_present(void *arg, unsigned long start,
				      unsigned long end)
{
	struct drm_gpusvm_notifier *notifier = arg;
	unsigned long npages = (end - start) >> PAGE_SHIFT, i;
	struct hmm_range hmm_range = {
		.notifier = &notifier->notifier,
		.start = start,
		.end = end,
		.dev_private_owner = notifier->gpusvm->device_private_page_owner,
	};
	bool present = false;
	unsigned long *pfns;

	if (drm_gpusvm_should_fail_alloc())
		return false;
	pfns = kvmalloc_array(npages, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return false;
	hmm_range.hmm_pfns = pfns;
	hmm_range.notifier_seq = mmu_interval_read_begin(&notifier->notifier);
	if (hmm_range_fault(&hmm_range))
		goto out_free;
	for (i = 0; i < npages; i++)
		if (!(pfns[i] & HMM_PFN_VALID))
			goto out_free;
	present = true;
out_free:
	kvfree(pfns);
	return present;
}

/* Choose the window for @addr and create the range; mmap_lock held. */
static struct drm_gpusvm_range *
drm_gpusvm_range_create(struct drm_gpusvm *gpusvm,
			struct drm_gpusvm_notifier *notifier,
			unsigned long addr, const struct drm_gpusvm_ctx *ctx)
{
	struct drm_gpusvm_window_args args = {
		.fault_addr = addr,
		.notifier_start = drm_gpusvm_notifier_start(notifier),
		.notifier_end = drm_gpusvm_notifier_end(notifier),
		.gpuva_start = max(ctx->gpuva_start, gpusvm->mm_start),
		.gpuva_end = gpusvm->mm_start + gpusvm->mm_range,
		.overlaps = drm_gpusvm_window_overlaps,
		.present = drm_gpusvm_window_present,
		.arg = notifier,
	};
	struct vm_area_struct *vma;
	unsigned long start, end;
	int err;

	mmap_assert_locked(gpusvm->mm);

	if (ctx->gpuva_end && ctx->gpuva_end < args.gpuva_end)
		args.gpuva_end = ctx->gpuva_end;
	vma = vma_lookup(gpusvm->mm, addr);
	if (!vma)
		return ERR_PTR(-EFAULT);
	args.vma_start = vma->vm_start;
	args.vma_end = vma->vm_end;

	err = drm_gpusvm_policy_window(&args, &start, &end);
	if (err)
		return ERR_PTR(err == -ENOENT ? -EFAULT : err);
	return drm_gpusvm_range_alloc(gpusvm, notifier, start, end);
}

/* Has the CPU unmapped part or all of the range? Lockless, advisory. */
bool drm_gpusvm_range_cpu_unmapped(struct drm_gpusvm_range *range)
{
	struct drm_gpusvm_pages_flags flags = drm_gpusvm_range_flags(range);

	return flags.unmapped || flags.partial_unmap;
}

/* find_or_insert with &drm_gpusvm.lock held and an mm_users reference. */
static struct drm_gpusvm_range *
drm_gpusvm_range_find_or_insert_locked(struct drm_gpusvm *gpusvm,
				       unsigned long addr,
				       const struct drm_gpusvm_ctx *ctx)
{
	struct drm_gpusvm_notifier *notifier;
	struct drm_gpusvm_range *range;

again:
	notifier = drm_gpusvm_notifier_find(gpusvm, addr);
	if (!notifier) {
		notifier = drm_gpusvm_notifier_create(gpusvm, addr);
		if (IS_ERR(notifier))
			return ERR_CAST(notifier);
	}

	range = drm_gpusvm_range_find(notifier, addr, addr + 1);
	if (range && !drm_gpusvm_range_cpu_unmapped(range))
		return drm_gpusvm_range_get(range);
	if (range) {
		/*
		 * Unmapped since the GC ran above, and queued for it by the
		 * same invalidation: collect it now rather than hand out a
		 * range whose pages can no longer be faulted. Each pass
		 * removes at least this range, so this terminates.
		 */
		drm_gpusvm_gc_locked(gpusvm);
		goto again;
	}

	mmap_read_lock(gpusvm->mm);
	range = drm_gpusvm_range_create(gpusvm, notifier, addr, ctx);
	mmap_read_unlock(gpusvm->mm);
	if (IS_ERR(range))
		goto err_notifier_remove;

	drm_gpusvm_range_insert(gpusvm, range);
	return drm_gpusvm_range_get(range);

err_notifier_remove:
	if (list_empty(&notifier->range_list))
		drm_gpusvm_notifier_remove(gpusvm, notifier);
	return range;
}

/**
 * drm_gpusvm_range_find_or_insert() - Find or create the range for a fault
 * @gpusvm: The gpusvm
 * @fault_addr: The faulting GPU VA
 * @ctx: Parameters: the GPU VA limits of the window
 *
 * Runs the garbage collector, then returns the range covering @fault_addr,
 * creating it (and its notifier) when needed with the window policy.c
 * chooses. The range's pages are not collected yet; call
 * drm_gpusvm_range_get_pages().
 *
 * Context: Process context; takes &drm_gpusvm.lock and mmap_lock in read
 * mode. The driver's VM lock, if registered, must be held.
 *
 * Return: the range with a reference the caller drops with
 * drm_gpusvm_range_put(); -EINVAL when @fault_addr is outside the gpusvm,
 * -EFAULT when it is not mapped in the CPU or the process is exiting,
 * -ENOMEM on allocation failure.
 */
struct drm_gpusvm_range *
drm_gpusvm_range_find_or_insert(struct drm_gpusvm *gpusvm,
				unsigned long fault_addr,
				const struct drm_gpusvm_ctx *ctx)
{
	struct drm_gpusvm_range *range;

	drm_gpusvm_driver_lock_assert(gpusvm);
	if (fault_addr < gpusvm->mm_start ||
	    fault_addr - gpusvm->mm_start >= gpusvm->mm_range)
		return ERR_PTR(-EINVAL);
	if (!mmget_not_zero(gpusvm->mm))
		return ERR_PTR(-EFAULT);

	atomic64_inc(&gpusvm->stats.faults);
	mutex_lock(&gpusvm->lock);
	drm_gpusvm_gc_locked(gpusvm);
	range = drm_gpusvm_range_find_or_insert_locked(gpusvm, fault_addr, ctx);
	mutex_unlock(&gpusvm->lock);

	mmput(gpusvm->mm);
	return range;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_find_or_insert);

/* Lockless-safe check: may the device reach this range's pages? */
static bool drm_gpusvm_range_gpu_reachable(struct drm_gpusvm_range *range)
{
	struct drm_gpusvm_pages_flags flags = drm_gpusvm_range_flags(range);

	return flags.valid || flags.has_dma_mapping;
}

/* Does any range in [start, end) of @notifier need a driver zap? */
static bool drm_gpusvm_span_gpu_reachable(struct drm_gpusvm_notifier *notifier,
					  unsigned long start,
					  unsigned long end)
{
	struct drm_gpusvm_range *range;

	drm_gpusvm_for_each_range(range, notifier, start, end)
		if (drm_gpusvm_range_gpu_reachable(range))
			return true;
	return false;
}

/*
 * Widen [start, end) to whole ranges: a range is DMA-unmapped as a whole,
 * so the device must lose all of it, not only the part the CPU changed.
 */
static void drm_gpusvm_span_widen(struct drm_gpusvm_notifier *notifier,
				  unsigned long *start, unsigned long *end)
{
	struct drm_gpusvm_range *range, *last = NULL;

	drm_gpusvm_for_each_range(range, notifier, *start, *end) {
		if (!last)
			*start = min(*start, drm_gpusvm_range_start(range));
		last = range;
	}
	if (last)
		*end = max(*end, drm_gpusvm_range_end(last));
}

/*
 * Two-pass zap (R8): kick every reachable range on the device, then wait
 * for each. The cookie array is the only allocation, GFP_NOWAIT because we
 * run in reclaim; without it the caller falls back to one pass.
 */
static bool drm_gpusvm_zap_two_pass(struct drm_gpusvm *gpusvm,
				    struct drm_gpusvm_notifier *notifier,
				    unsigned long start, unsigned long end)
{
	const struct drm_gpusvm_ops *ops = gpusvm->ops;
	struct drm_gpusvm_range *range;
	unsigned int n = 0, i = 0;
	void **cookies;

	drm_gpusvm_for_each_range(range, notifier, start, end)
		n += drm_gpusvm_range_gpu_reachable(range);

	cookies = drm_gpusvm_should_fail_alloc() ? NULL :
		  kmalloc_array(n, sizeof(*cookies), GFP_NOWAIT | __GFP_NOWARN);
	if (!cookies) {
		atomic64_inc(&gpusvm->stats.two_pass_fallback);
		return false;
	}

	drm_gpusvm_for_each_range(range, notifier, start, end)
		if (drm_gpusvm_range_gpu_reachable(range))
			cookies[i++] = ops->invalidate_start(gpusvm, range,
							     drm_gpusvm_range_start(range),
							     drm_gpusvm_range_end(range));
	i = 0;
	drm_gpusvm_for_each_range(range, notifier, start, end)
		if (drm_gpusvm_range_gpu_reachable(range))
			ops->invalidate_finish(gpusvm, range, cookies[i++]);

	kfree(cookies);
	atomic64_inc(&gpusvm->stats.two_pass);
	return true;
}

/* Zap the device's mappings of the ranges in [start, end); lock held. */
static void drm_gpusvm_zap(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_notifier *notifier,
			   unsigned long start, unsigned long end)
{
	lockdep_assert_held_write(&gpusvm->notifier_lock);

	drm_gpusvm_span_widen(notifier, &start, &end);
	atomic64_inc(&gpusvm->stats.invalidations_gpu);
	if (gpusvm->ops->invalidate_start &&
	    drm_gpusvm_zap_two_pass(gpusvm, notifier, start, end))
		return;
	gpusvm->ops->invalidate(gpusvm, notifier, start, end);
}

/*
 * Non-blockable mode: only a driver that can zap without sleeping lets the
 * core go on with GPU-mapped ranges in the span (R7).
 */
static bool drm_gpusvm_zap_nonblock(struct drm_gpusvm *gpusvm,
				    struct drm_gpusvm_notifier *notifier,
				    unsigned long start, unsigned long end)
{
	lockdep_assert_held_write(&gpusvm->notifier_lock);

	if (!gpusvm->ops->invalidate_nonblock)
		return false;
	drm_gpusvm_span_widen(notifier, &start, &end);
	if (!gpusvm->ops->invalidate_nonblock(gpusvm, notifier, start, end))
		return false;
	atomic64_inc(&gpusvm->stats.invalidations_gpu);
	return true;
}

/* Queue a range for the GC; notifier lock held (write). */
static void drm_gpusvm_range_queue_gc(struct drm_gpusvm *gpusvm,
				      struct drm_gpusvm_range *range)
{
	spin_lock(&gpusvm->gc_lock);
	if (list_empty(&range->gc_entry))
		list_add_tail(&range->gc_entry, &gpusvm->gc_list);
	spin_unlock(&gpusvm->gc_lock);
	queue_work(system_unbound_wq, &gpusvm->gc_work);
}

/*
 * After the zap: DMA-unmap every range in the span and, for unmap events,
 * flag it and hand it to the GC. The device no longer reaches the pages.
 */
static void drm_gpusvm_invalidate_ranges(struct drm_gpusvm *gpusvm,
					 struct drm_gpusvm_notifier *notifier,
					 const struct mmu_notifier_range *mmu_range,
					 unsigned long start, unsigned long end)
{
	bool unmap = mmu_range->event == MMU_NOTIFY_UNMAP ||
		     mmu_range->event == MMU_NOTIFY_RELEASE;
	struct drm_gpusvm_range *range;

	drm_gpusvm_for_each_range(range, notifier, start, end) {
		struct drm_gpusvm_pages_flags flags;

		__drm_gpusvm_range_unmap_pages(gpusvm, range, false);
		if (!unmap)
			continue;

		flags.__flags = range->pages.flags.__flags;
		if (start > drm_gpusvm_range_start(range) ||
		    end < drm_gpusvm_range_end(range))
			flags.partial_unmap = 1;
		else
			flags.unmapped = 1;
		/* Pairs with READ_ONCE() in drm_gpusvm_range_gpu_reachable() */
		WRITE_ONCE(range->pages.flags.__flags, flags.__flags);
		drm_gpusvm_range_queue_gc(gpusvm, range);
	}
}

/*
 * The MMU notifier callback. Blocking mode takes the notifier lock and zaps;
 * non-blocking mode (OOM reaper) succeeds without sleeping when no range in
 * the span is reachable by the device and refuses only when a zap, which
 * may sleep, is needed (R7):
 *
 *	OOM reaper                       GPU fault handler
 *	                                 get_pages: commit, valid = 1
 *	trylock notifier_lock
 *	span reachable? yes -> refuse
 *	                                 (reaper retries later; the exit path
 *	                                  invalidates in blocking mode)
 */
static bool drm_gpusvm_notifier_invalidate(struct mmu_interval_notifier *mni,
					   const struct mmu_notifier_range *mmu_range,
					   unsigned long cur_seq)
{
	struct drm_gpusvm_notifier *notifier =
		container_of(mni, struct drm_gpusvm_notifier, notifier);
	struct drm_gpusvm *gpusvm = notifier->gpusvm;
	bool blockable = mmu_notifier_range_blockable(mmu_range);
	unsigned long start = max(mmu_range->start,
				  drm_gpusvm_notifier_start(notifier));
	unsigned long end = min(mmu_range->end,
				drm_gpusvm_notifier_end(notifier));
	bool reachable;

	/* Our own device-exclusive grab, see exclusive.c: nothing moved */
	if (mmu_range->event == MMU_NOTIFY_EXCLUSIVE &&
	    mmu_range->owner == gpusvm)
		return true;

	if (blockable)
		down_write(&gpusvm->notifier_lock);
	else if (!down_write_trylock(&gpusvm->notifier_lock))
		goto refuse;

	reachable = drm_gpusvm_span_gpu_reachable(notifier, start, end);
	if (!blockable && reachable &&
	    !drm_gpusvm_zap_nonblock(gpusvm, notifier, start, end)) {
		up_write(&gpusvm->notifier_lock);
		goto refuse;
	}

	mmu_interval_set_seq(mni, cur_seq);
	atomic64_inc(&gpusvm->stats.invalidations);
	trace_drm_gpusvm_invalidate(gpusvm, start, end, mmu_range->event,
				    blockable, reachable);
	if (reachable && blockable)
		drm_gpusvm_zap(gpusvm, notifier, start, end);
	drm_gpusvm_invalidate_ranges(gpusvm, notifier, mmu_range, start, end);
	up_write(&gpusvm->notifier_lock);

	if (!blockable)
		atomic64_inc(&gpusvm->stats.nonblock_ok);
	return true;

refuse:
	atomic64_inc(&gpusvm->stats.nonblock_refused);
	return false;
}

static const struct mmu_interval_notifier_ops drm_gpusvm_notifier_ops = {
	.invalidate = drm_gpusvm_notifier_invalidate,
};

/* Teardown of one notifier: stop its callbacks first, then its ranges. */
static void drm_gpusvm_notifier_teardown(struct drm_gpusvm *gpusvm,
					 struct drm_gpusvm_notifier *notifier)
{
	struct drm_gpusvm_range *range, *next;

	mmu_interval_notifier_remove(&notifier->notifier);
	list_for_each_entry_safe(range, next, &notifier->range_list, entry) {
		drm_gpusvm_range_unlink(gpusvm, range);
		WARN_ON(kref_read(&range->refcount) != 1);
		drm_gpusvm_range_put(range);
	}
	drm_gpusvm_notifier_unlink(gpusvm, notifier);
}

/**
 * drm_gpusvm_fini() - Tear down a gpusvm
 * @gpusvm: The gpusvm
 *
 * Disables (not just flushes) the GC work so nothing requeues it, removes
 * every notifier before freeing its ranges so no callback sees a freed
 * range, zaps and DMA-unmaps every range and drops the mm reference (R12).
 * The driver must have dropped its range references.
 *
 * Context: Process context; may sleep.
 */
void drm_gpusvm_fini(struct drm_gpusvm *gpusvm)
{
	struct drm_gpusvm_notifier *notifier, *next;

	might_sleep();
	disable_work_sync(&gpusvm->gc_work);

	mutex_lock(&gpusvm->lock);
	list_for_each_entry_safe(notifier, next, &gpusvm->notifier_list, entry)
		drm_gpusvm_notifier_teardown(gpusvm, notifier);
	mutex_unlock(&gpusvm->lock);

	WARN_ON(!list_empty(&gpusvm->gc_list));
	WARN_ON(!RB_EMPTY_ROOT(&gpusvm->root.rb_root));
	debugfs_remove_recursive(gpusvm->debugfs);
	mmdrop(gpusvm->mm);	/* Pairs with mmgrab() in drm_gpusvm_init() */
	mutex_destroy(&gpusvm->lock);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_fini);

static int __init drm_gpusvm_module_init(void)
{
	int err;

	err = drm_gpusvm_policy_init();
	if (err)
		return err;
	err = drm_pagemap_module_init();
	if (err)
		return err;
	return drm_gpusvm_debugfs_init();
}

static void __exit drm_gpusvm_module_exit(void)
{
	drm_gpusvm_debugfs_fini();
	drm_pagemap_module_exit();
}

module_init(drm_gpusvm_module_init);
module_exit(drm_gpusvm_module_exit);

MODULE_DESCRIPTION("DRM helpers for GPU shared virtual memory");
MODULE_LICENSE("Dual MIT/GPL");
