// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * KUnit suite for drm_pagemap: migration between system memory and
 * DEVICE_PRIVATE device memory with migrate_vma, against a real user mm.
 *
 * The fixture is a fake device memory ("VRAM") of 16 MiB. Device-private
 * pages have no kernel mapping, so each one gets a backing kernel page that
 * holds its data and that the test can inspect. A bitmap hands out VRAM and
 * clears it (R13); a released allocation is poisoned, so memory handed out
 * again without a clear would show old data. The fake copy engine memcpy()s
 * between a system page, reached through its DMA address (the physical
 * address: the KUnit device has no IOMMU), and a backing page. Every op can
 * be made to fail. A gpusvm with the pagemap's owner token stands in for
 * the GPU: its get_pages shows where each page lives as the device sees it.
 *
 * kunit_vm_mmap() attaches a fresh mm to the test kthread, so
 * copy_from_user() on a page in device memory takes the CPU fault path
 * (migrate_to_ram) like an access of the process would. When the test
 * kthread exits its mm goes away, which frees the device pages still
 * mapped; cleanup then finds only empty allocations to release.
 */

#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/debug_locks.h>
#include <linux/dma-direct.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/fault-inject.h>
#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <kunit/resource.h>
#include <kunit/test.h>
#include <kunit/test-bug.h>

#include <drm/drm_gpusvm.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_pagemap.h>

#include "fail_inject.h"
#include "gpusvm_internal.h"

#define DRM_PAGEMAP_TEST_BASE		(4UL << 30)
#define DRM_PAGEMAP_TEST_SPAN		SZ_64K
#define DRM_PAGEMAP_TEST_SPAN_PAGES	(DRM_PAGEMAP_TEST_SPAN >> PAGE_SHIFT)
#define DRM_PAGEMAP_TEST_LARGE_OFF	SZ_16M
#define DRM_PAGEMAP_TEST_LARGE		SZ_1M
#define DRM_PAGEMAP_TEST_THP_OFF	SZ_64M
#define DRM_PAGEMAP_TEST_VRAM_SIZE	SZ_16M
#define DRM_PAGEMAP_TEST_VRAM_PAGES	(DRM_PAGEMAP_TEST_VRAM_SIZE >> PAGE_SHIFT)
/* policy.c's default cpu_fault_window_kb */
#define DRM_PAGEMAP_TEST_WINDOW		SZ_512K
#define DRM_PAGEMAP_TEST_WINDOW_PAGES	(DRM_PAGEMAP_TEST_WINDOW >> PAGE_SHIFT)
#define DRM_PAGEMAP_TEST_SALT		0x9e3779b97f4a7c15ULL
#define DRM_PAGEMAP_TEST_POISON		0x6b
#define DRM_PAGEMAP_TEST_READERS	4
#define DRM_PAGEMAP_TEST_WAIT_MS	60000
#define DRM_PAGEMAP_TEST_MAX_SITES	64
/* Long enough that a copy not waiting for the clear would land first */
#define DRM_PAGEMAP_TEST_CLEAR_MS	20

struct drm_pagemap_test_clear;

/* The fixture, in test->priv. */
struct drm_pagemap_test {
	struct drm_pagemap dpagemap;
	struct drm_gpusvm svm;
	struct device *dev;
	/* First pfn of the device pages */
	unsigned long base_pfn;
	/* Backing page of each device page, where its data lives */
	struct page **vram;
	/* Protects @vram_used */
	spinlock_t vram_lock;
	unsigned long *vram_used;
	/* Injected errors, 0 for none; read from CPU fault paths */
	int populate_err;
	int copy_to_devmem_err;
	int copy_to_ram_err;
	/* Pages the fake copy engine moved each way */
	atomic_t copied_to_devmem;
	atomic_t copied_to_ram;
	/* Allocations that came back through devmem_release */
	atomic_t releases;
	/* Pending clear of the next allocation, or NULL to clear at once */
	struct drm_pagemap_test_clear *clear;
	/* Pages copied in before their memory was cleared (R13) */
	atomic_t early_copies;
	/* Called by the copy engine before copying in, or NULL */
	void (*during_copy_in)(struct drm_pagemap_test *priv);
	/* Calls of the gpusvm invalidate op; under svm.notifier_lock */
	unsigned int invalidations;
	/* drm_pagemap_fini() not called yet */
	bool pagemap_live;
	/* The span every case maps at init */
	unsigned long start;
	unsigned long end;
	/* Scratch pages: what the CPU read, what it should have read */
	u64 *buf;
	u64 *expect;
};

/* The driver's allocation, embedding the core's. */
struct drm_pagemap_test_devmem {
	struct drm_pagemap_devmem base;
	struct drm_pagemap_test *priv;
	/* First VRAM page, valid once @populated */
	unsigned long first;
	bool populated;
};

/* Where the pages of a span live as the device sees them. */
struct drm_pagemap_test_census {
	/* Pages in device memory */
	unsigned long devmem;
	/* Pages DMA-mapped in system memory */
	unsigned long ram;
	/* Pages the device would read wrong, or not at all */
	unsigned long bad;
};

static const struct drm_gpusvm_ctx drm_pagemap_test_ctx;

KUNIT_DEFINE_ACTION_WRAPPER(drm_pagemap_test_devmem_put, drm_pagemap_devmem_put,
			    struct drm_pagemap_devmem *);
KUNIT_DEFINE_ACTION_WRAPPER(drm_pagemap_test_svm_fini, drm_gpusvm_fini,
			    struct drm_gpusvm *);
KUNIT_DEFINE_ACTION_WRAPPER(drm_pagemap_test_range_put, drm_gpusvm_range_put,
			    struct drm_gpusvm_range *);
KUNIT_DEFINE_ACTION_WRAPPER(drm_pagemap_test_unpin, unpin_user_page,
			    struct page *);

static struct drm_pagemap_test *to_drm_pagemap_test(struct drm_pagemap *dpagemap)
{
	return container_of(dpagemap, struct drm_pagemap_test, dpagemap);
}

static struct drm_pagemap_test_devmem *
to_drm_pagemap_test_devmem(struct drm_pagemap_devmem *devmem)
{
	return container_of(devmem, struct drm_pagemap_test_devmem, base);
}

/* Kernel address of the data of device pfn @pfn, or NULL if not ours. */
static void *drm_pagemap_test_vram(struct drm_pagemap_test *priv,
				   unsigned long pfn)
{
	unsigned long idx = pfn - priv->base_pfn;

	if (pfn < priv->base_pfn || idx >= DRM_PAGEMAP_TEST_VRAM_PAGES)
		return NULL;
	return page_address(priv->vram[idx]);
}

/* Kernel address of the system page at DMA address @dma (no IOMMU). */
static void *drm_pagemap_test_dma_kaddr(struct drm_pagemap_test *priv,
					dma_addr_t dma)
{
	return phys_to_virt(dma_to_phys(priv->dev, dma));
}

/* VRAM offset of device pfn @pfn: what device_addr() returns. */
static u64 drm_pagemap_test_offset(struct drm_pagemap_test *priv,
				   unsigned long pfn)
{
	return (u64)(pfn - priv->base_pfn) << PAGE_SHIFT;
}

/*
 * The fake clear engine: clears an allocation's pages from a work item,
 * later, and signals a fence when done, like a copy engine that queues
 * the clear behind &drm_pagemap_devmem.pre_migrate_fence.
 */
struct drm_pagemap_test_clear {
	struct dma_fence base;
	/* The fence's lock */
	spinlock_t lock;
	struct delayed_work work;
	struct drm_pagemap_test *priv;
	/* The pages to clear */
	unsigned long first;
	unsigned long npages;
};

static const char *drm_pagemap_test_clear_name(struct dma_fence *fence)
{
	return "drm_pagemap_test_clear";
}

static void drm_pagemap_test_clear_release(struct dma_fence *fence)
{
	struct drm_pagemap_test_clear *clear =
		container_of(fence, struct drm_pagemap_test_clear, base);

	kfree_rcu(clear, base.rcu);
}

static const struct dma_fence_ops drm_pagemap_test_clear_ops = {
	.get_driver_name = drm_pagemap_test_clear_name,
	.get_timeline_name = drm_pagemap_test_clear_name,
	.release = drm_pagemap_test_clear_release,
};

static void drm_pagemap_test_clear_work(struct work_struct *work)
{
	struct drm_pagemap_test_clear *clear =
		container_of(to_delayed_work(work), struct drm_pagemap_test_clear,
			     work);
	bool cookie = dma_fence_begin_signalling();
	unsigned long i;

	for (i = 0; i < clear->npages; i++)
		clear_highpage(clear->priv->vram[clear->first + i]);
	dma_fence_signal(&clear->base);
	dma_fence_end_signalling(cookie);
}

/* Queue the clear of [first, first + npages); the old content stays till then. */
static void drm_pagemap_test_clear_queue(struct drm_pagemap_test_clear *clear,
					 unsigned long first,
					 unsigned long npages)
{
	clear->first = first;
	clear->npages = npages;
	schedule_delayed_work(&clear->work,
			      msecs_to_jiffies(DRM_PAGEMAP_TEST_CLEAR_MS));
}

/*
 * First fit over the bitmap. The pages are cleared before they are handed
 * out, or their clear is queued behind the allocation's fence, so whatever
 * was there (poison from a released allocation) never reaches user space
 * (R13).
 */
static int drm_pagemap_test_populate(struct drm_pagemap_devmem *devmem,
				     unsigned long npages, unsigned long *pfns)
{
	struct drm_pagemap_test_devmem *tdev = to_drm_pagemap_test_devmem(devmem);
	struct drm_pagemap_test *priv = tdev->priv;
	int err = READ_ONCE(priv->populate_err);
	unsigned long first, i;

	if (err)
		return err;
	if (tdev->populated) {
		kunit_fail_current_test("allocation populated twice");
		return -EBUSY;
	}

	spin_lock(&priv->vram_lock);
	first = bitmap_find_next_zero_area(priv->vram_used,
					   DRM_PAGEMAP_TEST_VRAM_PAGES, 0,
					   npages, 0);
	if (first < DRM_PAGEMAP_TEST_VRAM_PAGES)
		bitmap_set(priv->vram_used, first, npages);
	spin_unlock(&priv->vram_lock);
	if (first >= DRM_PAGEMAP_TEST_VRAM_PAGES)
		return -ENOMEM;

	for (i = 0; i < npages; i++) {
		if (priv->clear)
			memset(page_address(priv->vram[first + i]),
			       DRM_PAGEMAP_TEST_POISON, PAGE_SIZE);
		else
			clear_highpage(priv->vram[first + i]);
		pfns[i] = priv->base_pfn + first + i;
	}
	if (priv->clear && !dma_fence_is_signaled(&priv->clear->base))
		drm_pagemap_test_clear_queue(priv->clear, first, npages);
	tdev->first = first;
	tdev->populated = true;
	return 0;
}

/* One page of the fake copy engine; false when a page is not ours. */
static bool drm_pagemap_test_copy_page(struct drm_pagemap_test *priv,
				       struct page *page, dma_addr_t dma,
				       bool to_devmem)
{
	void *vram = drm_pagemap_test_vram(priv, page_to_pfn(page));
	void *sys = drm_pagemap_test_dma_kaddr(priv, dma);

	if (!vram) {
		kunit_fail_current_test("copy of a page that is not ours");
		return false;
	}
	if (to_devmem)
		memcpy(vram, sys, PAGE_SIZE);
	else
		memcpy(sys, vram, PAGE_SIZE);
	return true;
}

/* The copy engine: entries without a DMA address or page are skipped. */
static struct dma_fence *drm_pagemap_test_copy(struct drm_pagemap_test *priv,
					       struct page **pages,
					       dma_addr_t *dma,
					       unsigned long npages,
					       bool to_devmem, int err)
{
	atomic_t *copied = to_devmem ? &priv->copied_to_devmem :
				       &priv->copied_to_ram;
	unsigned long i;

	if (err)
		return ERR_PTR(err);
	for (i = 0; i < npages; i++) {
		if (!dma[i] || !pages[i])
			continue;
		if (to_devmem && priv->clear &&
		    !dma_fence_is_signaled(&priv->clear->base))
			atomic_inc(&priv->early_copies);
		if (!drm_pagemap_test_copy_page(priv, pages[i], dma[i],
						to_devmem))
			return ERR_PTR(-EINVAL);
		atomic_inc(copied);
	}
	return NULL;
}

static struct dma_fence *
drm_pagemap_test_copy_to_devmem(struct drm_pagemap *dpagemap,
				struct page **pages, dma_addr_t *dma,
				unsigned long npages)
{
	struct drm_pagemap_test *priv = to_drm_pagemap_test(dpagemap);

	if (priv->during_copy_in)
		priv->during_copy_in(priv);
	return drm_pagemap_test_copy(priv, pages, dma, npages, true,
				     READ_ONCE(priv->copy_to_devmem_err));
}

static struct dma_fence *
drm_pagemap_test_copy_to_ram(struct drm_pagemap *dpagemap,
			     struct page **pages, dma_addr_t *dma,
			     unsigned long npages)
{
	struct drm_pagemap_test *priv = to_drm_pagemap_test(dpagemap);

	return drm_pagemap_test_copy(priv, pages, dma, npages, false,
				     READ_ONCE(priv->copy_to_ram_err));
}

static u64 drm_pagemap_test_device_addr(struct drm_pagemap *dpagemap,
					struct page *page)
{
	return drm_pagemap_test_offset(to_drm_pagemap_test(dpagemap),
				       page_to_pfn(page));
}

/* Poison before freeing, so a missing clear on reuse shows (R13). */
static void drm_pagemap_test_devmem_release(struct drm_pagemap_devmem *devmem)
{
	struct drm_pagemap_test_devmem *tdev = to_drm_pagemap_test_devmem(devmem);
	struct drm_pagemap_test *priv = tdev->priv;
	unsigned long i;

	if (tdev->populated) {
		for (i = 0; i < devmem->npages; i++)
			memset(page_address(priv->vram[tdev->first + i]),
			       DRM_PAGEMAP_TEST_POISON, PAGE_SIZE);
		spin_lock(&priv->vram_lock);
		bitmap_clear(priv->vram_used, tdev->first, devmem->npages);
		spin_unlock(&priv->vram_lock);
	}
	atomic_inc(&priv->releases);
	kfree(tdev);
}

static const struct drm_pagemap_ops drm_pagemap_test_ops = {
	.populate_devmem = drm_pagemap_test_populate,
	.copy_to_devmem = drm_pagemap_test_copy_to_devmem,
	.copy_to_ram = drm_pagemap_test_copy_to_ram,
	.device_addr = drm_pagemap_test_device_addr,
	.devmem_release = drm_pagemap_test_devmem_release,
};

/* The GPU has no page tables here; counting the zaps is enough. */
static void drm_pagemap_test_invalidate(struct drm_gpusvm *svm,
					struct drm_gpusvm_notifier *notifier,
					unsigned long start, unsigned long end)
{
	struct drm_pagemap_test *priv =
		container_of(svm, struct drm_pagemap_test, svm);

	lockdep_assert_held_write(&svm->notifier_lock);
	priv->invalidations++;
}

static const struct drm_gpusvm_ops drm_pagemap_test_svm_ops = {
	.invalidate = drm_pagemap_test_invalidate,
};

static unsigned int drm_pagemap_test_invalidations(struct drm_pagemap_test *priv)
{
	unsigned int n;

	drm_gpusvm_notifier_lock(&priv->svm);
	n = priv->invalidations;
	drm_gpusvm_notifier_unlock(&priv->svm);
	return n;
}

/* The pattern word at @va: unique per word, so a misplaced page shows. */
static void drm_pagemap_test_pattern(u64 *buf, unsigned long va)
{
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(u64); i++)
		buf[i] = (va + i * sizeof(u64)) ^ DRM_PAGEMAP_TEST_SALT;
}

/* Does the page at @kaddr hold the pattern of @va? */
static bool drm_pagemap_test_holds(struct drm_pagemap_test *priv,
				   const void *kaddr, unsigned long va)
{
	drm_pagemap_test_pattern(priv->expect, va);
	return kaddr && !memcmp(kaddr, priv->expect, PAGE_SIZE);
}

/* Write the pattern to [start, end) as the process would. */
static void drm_pagemap_test_fill(struct kunit *test, unsigned long start,
				  unsigned long end)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned long va;

	for (va = start; va < end; va += PAGE_SIZE) {
		drm_pagemap_test_pattern(priv->buf, va);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)va, priv->buf,
						   PAGE_SIZE), 0);
	}
}

/*
 * Pages of [start, end) the CPU cannot read or reads wrong. Reading a page
 * in device memory takes the CPU fault path and brings its window home.
 */
static unsigned long drm_pagemap_test_cpu_bad(struct kunit *test,
					      unsigned long start,
					      unsigned long end)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned long va, bad = 0;

	for (va = start; va < end; va += PAGE_SIZE) {
		if (copy_from_user(priv->buf, (const void __user *)va,
				   PAGE_SIZE) ||
		    !drm_pagemap_test_holds(priv, priv->buf, va))
			bad++;
	}
	return bad;
}

/*
 * Pages of the span at @start whose device page lacks their data. The
 * pfns of an allocation are in VA order (populate_devmem's contract).
 */
static unsigned long drm_pagemap_test_vram_bad(struct drm_pagemap_test *priv,
					       struct drm_pagemap_devmem *devmem,
					       unsigned long start)
{
	unsigned long i, bad = 0;

	for (i = 0; i < devmem->npages; i++)
		bad += !drm_pagemap_test_holds(priv,
					       drm_pagemap_test_vram(priv, devmem->pfns[i]),
					       start + (i << PAGE_SHIFT));
	return bad;
}

/* Map anonymous memory at DRM_PAGEMAP_TEST_BASE + @offset. */
static unsigned long drm_pagemap_test_mmap(struct kunit *test,
					   unsigned long offset,
					   unsigned long size)
{
	unsigned long want = DRM_PAGEMAP_TEST_BASE + offset, addr;

	/* MAP_FIXED_NOREPLACE: known alignment, never clobber a mapping */
	addr = kunit_vm_mmap(test, NULL, want, size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			     0);
	/* kunit_vm_mmap() passes vm_mmap() errors through as addresses */
	KUNIT_ASSERT_EQ_MSG(test, addr, want, "kunit_vm_mmap(%#lx, %#lx)",
			    want, size);
	return addr;
}

/*
 * A new allocation of @npages in the device memory of @priv, idle once
 * @fence signals (NULL: at once); its initial reference goes at cleanup.
 */
static struct drm_pagemap_devmem *
drm_pagemap_test_devmem_in(struct kunit *test, struct drm_pagemap_test *priv,
			   unsigned long npages, struct dma_fence *fence)
{
	struct drm_pagemap_test_devmem *tdev;
	int err;

	tdev = kzalloc(sizeof(*tdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tdev);
	tdev->priv = priv;
	err = drm_pagemap_devmem_init(&tdev->base, &priv->dpagemap, npages,
				      fence);
	if (err)
		kfree(tdev);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_pagemap_test_devmem_put,
							&tdev->base), 0);
	return &tdev->base;
}

static struct drm_pagemap_devmem *
drm_pagemap_test_devmem_fenced(struct kunit *test, unsigned long npages,
			       struct dma_fence *fence)
{
	return drm_pagemap_test_devmem_in(test, test->priv, npages, fence);
}

static struct drm_pagemap_devmem *drm_pagemap_test_devmem(struct kunit *test,
							  unsigned long npages)
{
	return drm_pagemap_test_devmem_fenced(test, npages, NULL);
}

/* Migrate [start, end) into a new allocation, returned in @devmem. */
static long drm_pagemap_test_migrate(struct kunit *test, unsigned long start,
				     unsigned long end,
				     struct drm_pagemap_devmem **devmem)
{
	struct drm_pagemap_devmem *d;

	d = drm_pagemap_test_devmem(test, (end - start) >> PAGE_SHIFT);
	if (devmem)
		*devmem = d;
	return drm_pagemap_migrate_to_devmem(d, current->mm, start, end);
}

/*
 * Allocate and migrate as a driver would, without asserting, for fault
 * injection: any step may fail. The allocation lives on through its pages.
 */
static long drm_pagemap_test_try_migrate(struct drm_pagemap_test *priv,
					 unsigned long start,
					 unsigned long end)
{
	struct drm_pagemap_test_devmem *tdev;
	long ret;

	tdev = kzalloc(sizeof(*tdev), GFP_KERNEL);
	if (!tdev)
		return -ENOMEM;
	tdev->priv = priv;
	ret = drm_pagemap_devmem_init(&tdev->base, &priv->dpagemap,
				      (end - start) >> PAGE_SHIFT, NULL);
	if (ret) {
		kfree(tdev);
		return ret;
	}
	ret = drm_pagemap_migrate_to_devmem(&tdev->base, current->mm, start,
					    end);
	drm_pagemap_devmem_put(&tdev->base);
	return ret;
}

/* find_or_insert and get_pages, as a GPU fault handler does. */
static struct drm_gpusvm_range *drm_pagemap_test_map(struct kunit *test,
						     unsigned long addr)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_gpusvm_range *range;

	range = drm_gpusvm_range_find_or_insert(&priv->svm, addr,
						&drm_pagemap_test_ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, range);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_pagemap_test_range_put,
							range), 0);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_get_pages(&priv->svm, range,
							 &drm_pagemap_test_ctx),
			0);
	return range;
}

static bool drm_pagemap_test_valid(struct drm_pagemap_test *priv,
				   struct drm_gpusvm_range *range)
{
	bool valid;

	drm_gpusvm_notifier_lock(&priv->svm);
	valid = drm_gpusvm_range_pages_valid(&priv->svm, range);
	drm_gpusvm_notifier_unlock(&priv->svm);
	return valid;
}

/* Kernel address of page @i of a chunk, as the device would reach it. */
static const void *drm_pagemap_test_chunk_page(struct drm_pagemap_test *priv,
					       const struct drm_gpusvm_dma *dma,
					       unsigned long i)
{
	if (dma->devmem)
		return drm_pagemap_test_vram(priv, priv->base_pfn +
					     (drm_gpusvm_dma_addr(dma) >> PAGE_SHIFT) + i);
	if (!drm_gpusvm_dma_addr(dma))
		return NULL;
	return drm_pagemap_test_dma_kaddr(priv, drm_gpusvm_dma_addr(dma)) + (i << PAGE_SHIFT);
}

/* Add the pages of @range inside [start, end) to @c; notifier lock held. */
static void drm_pagemap_test_count_range(struct drm_pagemap_test *priv,
					 struct drm_gpusvm_range *range,
					 unsigned long start, unsigned long end,
					 struct drm_pagemap_test_census *c)
{
	struct drm_gpusvm_dma *dma;
	unsigned long addr, va, i;

	drm_gpusvm_for_each_dma(dma, addr, &range->pages,
				drm_gpusvm_range_start(range)) {
		for (i = 0; i < 1UL << dma->order; i++) {
			va = addr + (i << PAGE_SHIFT);
			if (va < start || va >= end)
				continue;
			if (dma->devmem)
				c->devmem++;
			else if (drm_gpusvm_dma_addr(dma))
				c->ram++;
			if (!drm_pagemap_test_holds(priv,
						    drm_pagemap_test_chunk_page(priv, dma, i),
						    va))
				c->bad++;
		}
	}
}

/*
 * Fault [start, end) into the gpusvm range by range and count where its
 * pages are and whether the device would read the right data there.
 */
static void drm_pagemap_test_census(struct kunit *test, unsigned long start,
				    unsigned long end,
				    struct drm_pagemap_test_census *c)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	unsigned long addr = start;

	memset(c, 0, sizeof(*c));
	while (addr < end) {
		range = drm_pagemap_test_map(test, addr);
		drm_gpusvm_notifier_lock(&priv->svm);
		if (drm_gpusvm_range_pages_valid(&priv->svm, range))
			drm_pagemap_test_count_range(priv, range, start, end, c);
		else
			c->bad += (drm_gpusvm_range_end(range) - addr) >> PAGE_SHIFT;
		drm_gpusvm_notifier_unlock(&priv->svm);
		addr = drm_gpusvm_range_end(range);
		kunit_release_action(test, drm_pagemap_test_range_put, range);
	}
}

/*
 * Entries of @range that are not the device page holding their VA in
 * @devmem, which covers the range from its start, at the device address
 * of the pagemap @devmem belongs to.
 */
static unsigned long drm_pagemap_test_misplaced(struct drm_pagemap_test *priv,
						struct drm_gpusvm_range *range,
						struct drm_pagemap_devmem *devmem)
{
	struct drm_pagemap_test *owner = to_drm_pagemap_test(devmem->dpagemap);
	unsigned long start = drm_gpusvm_range_start(range), addr, i;
	unsigned long bad = devmem->npages;
	struct drm_gpusvm_dma *dma;

	drm_gpusvm_notifier_lock(&priv->svm);
	if (!drm_gpusvm_range_pages_valid(&priv->svm, range) ||
	    range->pages.num_dma != devmem->npages)
		goto out_unlock;
	bad = 0;
	drm_gpusvm_for_each_dma(dma, addr, &range->pages, start) {
		i = (addr - start) >> PAGE_SHIFT;
		if (!dma->devmem || dma->order ||
		    drm_gpusvm_dma_addr(dma) != drm_pagemap_test_offset(owner, devmem->pfns[i]))
			bad++;
	}
out_unlock:
	drm_gpusvm_notifier_unlock(&priv->svm);
	return bad;
}

/* Pin the page at @va as a DMA user would; unpinned at cleanup. */
static struct page *drm_pagemap_test_pin(struct kunit *test, unsigned long va)
{
	struct page *page;

	KUNIT_ASSERT_EQ(test, pin_user_pages_fast(va, 1, FOLL_WRITE, &page), 1);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_pagemap_test_unpin,
							page), 0);
	return page;
}

/* Does the system page @page hold the pattern of @va? */
static bool drm_pagemap_test_page_holds(struct drm_pagemap_test *priv,
					struct page *page, unsigned long va)
{
	void *kaddr = kmap_local_page(page);
	bool ok = drm_pagemap_test_holds(priv, kaddr, va);

	kunmap_local(kaddr);
	return ok;
}

static s64 drm_pagemap_test_stat(atomic64_t *counter)
{
	return atomic64_read(counter);
}

/*
 * A migration moves every page to device memory with its data; a CPU read
 * brings back only the cpu_fault_window_kb window around the faulting page,
 * with the exact data, and the rest of the span stays on the device.
 */
static void drm_pagemap_test_round_trip(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_pagemap_stats *stats = &priv->dpagemap.stats;
	unsigned long start = drm_pagemap_test_mmap(test,
						    DRM_PAGEMAP_TEST_LARGE_OFF,
						    DRM_PAGEMAP_TEST_LARGE);
	unsigned long end = start + DRM_PAGEMAP_TEST_LARGE;
	long npages = DRM_PAGEMAP_TEST_LARGE >> PAGE_SHIFT;
	unsigned long fault = start + DRM_PAGEMAP_TEST_WINDOW + 5 * PAGE_SIZE;
	unsigned long win = ALIGN_DOWN(fault, DRM_PAGEMAP_TEST_WINDOW);
	struct drm_pagemap_test_census c;
	struct drm_pagemap_devmem *devmem;

	drm_pagemap_test_fill(test, start, end);
	KUNIT_ASSERT_EQ(test, drm_pagemap_test_migrate(test, start, end, &devmem),
			npages);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_vram_bad(priv, devmem, start), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->migrations_to_devmem), 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->pages_to_devmem), npages);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->fallbacks), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->copied_to_devmem), npages);

	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, fault,
						       fault + PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->cpu_faults), 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->migrations_to_ram), 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->pages_to_ram),
			DRM_PAGEMAP_TEST_WINDOW_PAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->copied_to_ram),
			DRM_PAGEMAP_TEST_WINDOW_PAGES);

	drm_pagemap_test_census(test, win, win + DRM_PAGEMAP_TEST_WINDOW, &c);
	KUNIT_EXPECT_EQ(test, c.ram, DRM_PAGEMAP_TEST_WINDOW_PAGES);
	KUNIT_EXPECT_EQ(test, c.bad, 0);
	drm_pagemap_test_census(test, start, end, &c);
	KUNIT_EXPECT_EQ(test, c.devmem, npages - DRM_PAGEMAP_TEST_WINDOW_PAGES);
	KUNIT_EXPECT_EQ(test, c.bad, 0);
}

/*
 * get_pages hands the device its own pages as device addresses (devmem
 * entries, the VRAM page of each VA); a CPU fault invalidates the range
 * before the pages move back, and the next get_pages maps system memory.
 */
static void drm_pagemap_test_get_pages_devmem(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned long start = priv->start, end = priv->end;
	struct drm_pagemap_devmem *devmem;
	struct drm_gpusvm_range *range;
	struct drm_pagemap_test_census c;

	drm_pagemap_test_fill(test, start, end);
	KUNIT_ASSERT_EQ(test, drm_pagemap_test_migrate(test, start, end, &devmem),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	range = drm_pagemap_test_map(test, start);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_start(range), start);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_end(range), end);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_misplaced(priv, range, devmem), 0);

	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start + 5 * PAGE_SIZE,
						       start + 6 * PAGE_SIZE), 0);
	KUNIT_EXPECT_FALSE(test, drm_pagemap_test_valid(priv, range));

	drm_pagemap_test_census(test, start, end, &c);
	KUNIT_EXPECT_EQ(test, c.ram, DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, c.bad, 0);
}

/*
 * A pinned page cannot be collected: the others move, it stays in system
 * memory with its data. Pages already on the device are left alone by a
 * second migration; once unpinned, only the straggler is copied.
 */
static void drm_pagemap_test_partial_pinned(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned long start = priv->start, end = priv->end;
	unsigned long pinned = start + 5 * PAGE_SIZE;
	struct drm_pagemap_test_census c;
	struct page *page;
	int copied;

	drm_pagemap_test_fill(test, start, end);
	page = drm_pagemap_test_pin(test, pinned);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_migrate(test, start, end, NULL),
			DRM_PAGEMAP_TEST_SPAN_PAGES - 1);
	KUNIT_EXPECT_TRUE(test, drm_pagemap_test_page_holds(priv, page, pinned));
	drm_pagemap_test_census(test, start, end, &c);
	KUNIT_EXPECT_EQ(test, c.devmem, DRM_PAGEMAP_TEST_SPAN_PAGES - 1);
	KUNIT_EXPECT_EQ(test, c.ram, 1);
	KUNIT_EXPECT_EQ(test, c.bad, 0);

	copied = atomic_read(&priv->copied_to_devmem);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_migrate(test, start, end, NULL), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->copied_to_devmem), copied);

	kunit_release_action(test, drm_pagemap_test_unpin, page);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_migrate(test, start, end, NULL), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->copied_to_devmem), copied + 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start, end), 0);
}

/*
 * A failed copy to the device abandons the migration: every page stays in
 * system memory with its data, and reading it takes no CPU fault (R3).
 */
static void drm_pagemap_test_copy_to_devmem_fails(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_pagemap_stats *stats = &priv->dpagemap.stats;
	unsigned long start = priv->start, end = priv->end;
	struct drm_pagemap_test_census c;

	drm_pagemap_test_fill(test, start, end);
	WRITE_ONCE(priv->copy_to_devmem_err, -EIO);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_migrate(test, start, end, NULL),
			-EIO);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->copy_failures), 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->fallbacks), 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->pages_to_devmem), 0);

	drm_pagemap_test_census(test, start, end, &c);
	KUNIT_EXPECT_EQ(test, c.ram, DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, c.bad, 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start, end), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->cpu_faults), 0);
}

/*
 * A failed copy on a CPU fault fails the access (SIGBUS, here a failed
 * copy_from_user()) and leaves the data on the device; it never hands the
 * CPU a page with zeroes or stale data as if the fault had worked (R2).
 * Once the copy engine works again, the read returns the data.
 */
static void drm_pagemap_test_copy_to_ram_fails(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_pagemap_stats *stats = &priv->dpagemap.stats;
	unsigned long start = priv->start, end = priv->end;
	struct drm_pagemap_devmem *devmem;
	struct drm_pagemap_test_census c;

	drm_pagemap_test_fill(test, start, end);
	KUNIT_ASSERT_EQ(test, drm_pagemap_test_migrate(test, start, end, &devmem),
			DRM_PAGEMAP_TEST_SPAN_PAGES);

	WRITE_ONCE(priv->copy_to_ram_err, -EIO);
	KUNIT_EXPECT_NE(test, copy_from_user(priv->buf, (const void __user *)start,
					     PAGE_SIZE), 0);
	KUNIT_EXPECT_GE(test, drm_pagemap_test_stat(&stats->cpu_faults), 1);
	KUNIT_EXPECT_GE(test, drm_pagemap_test_stat(&stats->copy_failures), 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->pages_to_ram), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_vram_bad(priv, devmem, start), 0);
	drm_pagemap_test_census(test, start, end, &c);
	KUNIT_EXPECT_EQ(test, c.devmem, DRM_PAGEMAP_TEST_SPAN_PAGES);

	WRITE_ONCE(priv->copy_to_ram_err, 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start, end), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->pages_to_ram),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
}

/*
 * With VRAM exhausted the migration moves nothing and the data stays in
 * system memory, where GPU faults are still served from (R3).
 */
static void drm_pagemap_test_vram_exhausted(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_pagemap_stats *stats = &priv->dpagemap.stats;
	unsigned long start = priv->start, end = priv->end;
	struct drm_pagemap_test_census c;

	drm_pagemap_test_fill(test, start, end);
	WRITE_ONCE(priv->populate_err, -ENOMEM);
	KUNIT_EXPECT_LE(test, drm_pagemap_test_migrate(test, start, end, NULL), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->pages_to_devmem), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->fallbacks), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->copied_to_devmem), 0);

	drm_pagemap_test_census(test, start, end, &c);
	KUNIT_EXPECT_EQ(test, c.ram, DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, c.bad, 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start, end), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->cpu_faults), 0);
}

/*
 * Eviction moves every page of an allocation home through the physical
 * pages only; the GPU loses its mapping first (the driver's invalidate
 * runs) and the next get_pages maps system memory with the right data.
 */
static void drm_pagemap_test_evict(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_pagemap_stats *stats = &priv->dpagemap.stats;
	unsigned long start = priv->start, end = priv->end;
	struct drm_pagemap_devmem *devmem;
	struct drm_pagemap_test_census c;
	struct drm_gpusvm_range *range;
	unsigned int zaps;

	drm_pagemap_test_fill(test, start, end);
	KUNIT_ASSERT_EQ(test, drm_pagemap_test_migrate(test, start, end, &devmem),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	range = drm_pagemap_test_map(test, start);
	KUNIT_ASSERT_EQ(test, drm_pagemap_test_misplaced(priv, range, devmem), 0);

	zaps = drm_pagemap_test_invalidations(priv);
	KUNIT_EXPECT_EQ(test, drm_pagemap_devmem_evict(devmem),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_GT(test, drm_pagemap_test_invalidations(priv), zaps);
	KUNIT_EXPECT_FALSE(test, drm_pagemap_test_valid(priv, range));
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->evictions), 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->pages_to_ram),
			DRM_PAGEMAP_TEST_SPAN_PAGES);

	drm_pagemap_test_census(test, start, end, &c);
	KUNIT_EXPECT_EQ(test, c.ram, DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, c.devmem, 0);
	KUNIT_EXPECT_EQ(test, c.bad, 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start, end), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->cpu_faults), 0);
}

/*
 * drm_pagemap_evict() goes oldest first and stops once it moved what was
 * asked for; drm_pagemap_make_room() (evict_on_pressure, on by default)
 * evicts and hands the memory back before it returns.
 */
static void drm_pagemap_test_evict_oldest(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned long start = priv->start, end = priv->end;
	unsigned long mid = start + DRM_PAGEMAP_TEST_SPAN / 2;
	long half = DRM_PAGEMAP_TEST_SPAN_PAGES / 2;
	struct drm_pagemap_test_census c;

	drm_pagemap_test_fill(test, start, end);
	KUNIT_ASSERT_EQ(test, drm_pagemap_test_migrate(test, start, mid, NULL),
			half);
	KUNIT_ASSERT_EQ(test, drm_pagemap_test_migrate(test, mid, end, NULL),
			half);

	KUNIT_EXPECT_EQ(test, drm_pagemap_evict(&priv->dpagemap, 1), half);
	drm_pagemap_test_census(test, start, mid, &c);
	KUNIT_EXPECT_EQ(test, c.ram, half);
	drm_pagemap_test_census(test, mid, end, &c);
	KUNIT_EXPECT_EQ(test, c.devmem, half);

	KUNIT_EXPECT_EQ(test, drm_pagemap_make_room(&priv->dpagemap, half), half);
	drm_pagemap_test_census(test, start, end, &c);
	KUNIT_EXPECT_EQ(test, c.ram, DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, c.bad, 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_evict(&priv->dpagemap, ULONG_MAX), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start, end), 0);
}

/* The hmm_pfns of [start, end) as drm_gpusvm_snapshot() sees them. */
static unsigned long *drm_pagemap_test_snapshot(struct kunit *test,
						struct drm_gpusvm *svm,
						unsigned long start,
						unsigned long end)
{
	unsigned long *pfns;

	pfns = kunit_kcalloc(test, (end - start) >> PAGE_SHIFT, sizeof(*pfns),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pfns);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_snapshot(svm, start, end, pfns), 0);
	return pfns;
}

/*
 * A snapshot reports written pages (writable), the zero page (read-only),
 * holes (0), our device pages (valid, ours) and another owner's device
 * pages (0), and PROT_NONE (error), and faults nothing in.
 */
static void drm_pagemap_test_snapshot_states(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned long start = priv->start;
	unsigned long *pfns;
	struct drm_gpusvm *other;
	struct page *page;
	u8 byte;

	drm_pagemap_test_fill(test, start, start + 2 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, copy_from_user(&byte,
					     (void __user *)(start + 2 * PAGE_SIZE),
					     1), 0);
	KUNIT_ASSERT_EQ(test, drm_pagemap_test_migrate(test, start + PAGE_SIZE,
						       start + 2 * PAGE_SIZE,
						       NULL), 1);

	pfns = drm_pagemap_test_snapshot(test, &priv->svm, start,
					 start + 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pfns[0] & (HMM_PFN_VALID | HMM_PFN_WRITE),
			HMM_PFN_VALID | HMM_PFN_WRITE);
	KUNIT_EXPECT_TRUE(test, pfns[1] & HMM_PFN_VALID);
	if (pfns[1] & HMM_PFN_VALID) {
		page = hmm_pfn_to_page(pfns[1]);
		KUNIT_EXPECT_TRUE(test, is_device_private_page(page) &&
				  page->pgmap == &priv->dpagemap.pagemap);
	}
	KUNIT_EXPECT_EQ(test, pfns[2] & (HMM_PFN_VALID | HMM_PFN_WRITE),
			HMM_PFN_VALID);
	if (pfns[2] & HMM_PFN_VALID)
		KUNIT_EXPECT_TRUE(test, is_zero_pfn(page_to_pfn(hmm_pfn_to_page(pfns[2]))));
	KUNIT_EXPECT_EQ(test, pfns[3], 0);

	/* Another owner: our device page is not its to map. */
	other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_init(other, "kunit-other", priv->dev,
					      current->mm, other, 0,
					      TASK_SIZE & PAGE_MASK, 0,
					      &drm_pagemap_test_svm_ops), 0);
	pfns = drm_pagemap_test_snapshot(test, other, start + PAGE_SIZE,
					 start + 2 * PAGE_SIZE);
	drm_gpusvm_fini(other);
	KUNIT_EXPECT_EQ(test, pfns[0], 0);

	/* Nothing was faulted in by the snapshots; PROT_NONE is an error. */
	pfns = drm_pagemap_test_snapshot(test, &priv->svm, start + 3 * PAGE_SIZE,
					 start + 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pfns[0], 0);
	KUNIT_ASSERT_EQ(test, vm_mmap(NULL, start + 3 * PAGE_SIZE, PAGE_SIZE,
				      PROT_NONE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0),
			start + 3 * PAGE_SIZE);
	pfns = drm_pagemap_test_snapshot(test, &priv->svm, start + 3 * PAGE_SIZE,
					 start + 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pfns[0], HMM_PFN_ERROR);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_snapshot(&priv->svm, start, start, pfns),
			-EINVAL);
}

/* One CPU thread of the fault storm. */
struct drm_pagemap_test_reader {
	struct mm_struct *mm;
	unsigned long va;
	struct completion *go;
	struct completion done;
	/* Bytes copy_from_user() could not read */
	unsigned long left;
	u64 data[PAGE_SIZE / sizeof(u64)];
};

/* The storm's shared state; outlives the test if a reader hangs. */
struct drm_pagemap_test_storm {
	struct completion go;
	struct drm_pagemap_test_reader readers[DRM_PAGEMAP_TEST_READERS];
	bool started[DRM_PAGEMAP_TEST_READERS];
};

static int drm_pagemap_test_reader_fn(void *arg)
{
	struct drm_pagemap_test_reader *r = arg;

	wait_for_completion(r->go);
	kthread_use_mm(r->mm);
	r->left = copy_from_user(r->data, (const void __user *)r->va,
				 PAGE_SIZE);
	kthread_unuse_mm(r->mm);
	mmput(r->mm);	/* Pairs with mmget() in drm_pagemap_test_storm_start() */
	complete(&r->done);
	return 0;
}

/* Start the readers; each holds an mm_users reference while it runs. */
static void drm_pagemap_test_storm_start(struct kunit *test,
					 struct drm_pagemap_test_storm *storm,
					 unsigned long va)
{
	struct drm_pagemap_test_reader *r;
	struct task_struct *task;
	unsigned int i;

	for (i = 0; i < DRM_PAGEMAP_TEST_READERS; i++) {
		r = &storm->readers[i];
		r->mm = current->mm;
		r->va = va;
		r->go = &storm->go;
		init_completion(&r->done);
		mmget(r->mm);
		task = kthread_run(drm_pagemap_test_reader_fn, r,
				   "drm_pagemap_rd%u", i);
		if (IS_ERR(task)) {
			mmput(r->mm);
			KUNIT_FAIL(test, "kthread_run: %pe", task);
			continue;
		}
		storm->started[i] = true;
	}
}

/* Wait for the started readers; false when one of them hung. */
static bool drm_pagemap_test_storm_wait(struct kunit *test,
					struct drm_pagemap_test_storm *storm)
{
	unsigned long timeout = msecs_to_jiffies(DRM_PAGEMAP_TEST_WAIT_MS);
	struct drm_pagemap_test *priv = test->priv;
	struct drm_pagemap_test_reader *r;
	bool all = true;
	unsigned int i;

	for (i = 0; i < DRM_PAGEMAP_TEST_READERS; i++) {
		r = &storm->readers[i];
		if (!storm->started[i])
			continue;
		if (!wait_for_completion_timeout(&r->done, timeout)) {
			KUNIT_FAIL(test, "reader %u hung", i);
			all = false;
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, r->left, 0, "reader %u", i);
		KUNIT_EXPECT_TRUE_MSG(test, drm_pagemap_test_holds(priv, r->data,
								   r->va),
				      "reader %u", i);
	}
	return all;
}

/*
 * Several CPU threads fault on the same device page at once: each reads
 * the right data, none hangs, and the window moves home exactly once. The
 * readers are released right after the migration, inside the residency
 * timeslice, so their faults wait together and then race for the page.
 */
static void drm_pagemap_test_cpu_fault_storm(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_pagemap_stats *stats = &priv->dpagemap.stats;
	unsigned long start = priv->start, end = priv->end;
	struct drm_pagemap_test_storm *storm;
	long moved;

	drm_pagemap_test_fill(test, start, end);
	/* Not kunit-managed: a hung reader would write to freed memory */
	storm = kzalloc(sizeof(*storm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, storm);
	init_completion(&storm->go);
	drm_pagemap_test_storm_start(test, storm, start + 3 * PAGE_SIZE);

	/* No assertion until the readers are released */
	moved = drm_pagemap_test_try_migrate(priv, start, end);
	complete_all(&storm->go);
	if (drm_pagemap_test_storm_wait(test, storm))
		kfree(storm);
	KUNIT_ASSERT_EQ(test, moved, DRM_PAGEMAP_TEST_SPAN_PAGES);

	KUNIT_EXPECT_GE(test, drm_pagemap_test_stat(&stats->cpu_faults), 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->pages_to_ram),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start, end), 0);
}

/* Is the page at @va part of a PMD-sized folio? */
static bool drm_pagemap_test_is_thp(unsigned long va)
{
	struct page *page;
	bool thp;

	if (get_user_pages_fast(va, 1, 0, &page) != 1)
		return false;
	thp = folio_test_pmd_mappable(page_folio(page));
	put_page(page);
	return thp;
}

/*
 * A THP-backed span migrates whole: migrate_vma splits the huge page and
 * every 4 KiB page reaches the device with its data, and comes back.
 */
static void drm_pagemap_test_thp(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned long start = drm_pagemap_test_mmap(test, DRM_PAGEMAP_TEST_THP_OFF,
						    2 * SZ_2M);
	unsigned long end = start + SZ_2M;
	struct drm_pagemap_devmem *devmem;

	drm_pagemap_test_fill(test, start, end);
	if (!drm_pagemap_test_is_thp(start))
		kunit_skip(test, "no THP behind a 2 MiB aligned anonymous mapping");

	KUNIT_ASSERT_EQ(test, drm_pagemap_test_migrate(test, start, end, &devmem),
			SZ_2M >> PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_vram_bad(priv, devmem, start), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start, end), 0);
}

static void drm_pagemap_test_pagemap_fini(void *arg)
{
	struct drm_pagemap_test *priv = arg;

	/* Idempotent: a case may remove the device itself */
	if (!priv->pagemap_live)
		return;
	priv->pagemap_live = false;
	drm_pagemap_fini(&priv->dpagemap);
}

/*
 * Device removal revokes the memory with the data moved to system memory
 * first (R12): afterwards the CPU reads it without faulting on a device
 * page, and every allocation was released.
 */
static void drm_pagemap_test_device_removal(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_pagemap_stats *stats = &priv->dpagemap.stats;
	unsigned long start = priv->start, end = priv->end;
	struct drm_pagemap_devmem *devmem;

	drm_pagemap_test_fill(test, start, end);
	KUNIT_ASSERT_EQ(test, drm_pagemap_test_migrate(test, start, end, &devmem),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	/* The driver's reference; the pages keep the allocation alive */
	kunit_release_action(test, drm_pagemap_test_devmem_put, devmem);

	kunit_release_action(test, drm_pagemap_test_pagemap_fini, priv);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->releases), 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->pages_to_ram),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start, end), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->cpu_faults), 0);
}

/* Stop the clear engine and drop the case's fence reference. */
static void drm_pagemap_test_clear_fini(void *arg)
{
	struct drm_pagemap_test_clear *clear = arg;

	flush_delayed_work(&clear->work);
	/* Never queued: nobody may wait on it forever */
	dma_fence_signal(&clear->base);
	clear->priv->clear = NULL;
	dma_fence_put(&clear->base);
}

/* From now on, new VRAM keeps its old content until a delayed clear. */
static struct drm_pagemap_test_clear *drm_pagemap_test_clear(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_pagemap_test_clear *clear;

	clear = kzalloc(sizeof(*clear), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clear);
	spin_lock_init(&clear->lock);
	dma_fence_init(&clear->base, &drm_pagemap_test_clear_ops, &clear->lock,
		       dma_fence_context_alloc(1), 1);
	INIT_DELAYED_WORK(&clear->work, drm_pagemap_test_clear_work);
	clear->priv = priv;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_pagemap_test_clear_fini,
							clear), 0);
	priv->clear = clear;
	return clear;
}

/*
 * New memory whose clear is still running is not idle: the core waits for
 * the allocation's fence before copying in, so the clear cannot wipe the
 * data afterwards and no copy races with it (R13).
 */
static void drm_pagemap_test_waits_for_clear(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned long start = priv->start, end = priv->end;
	struct drm_pagemap_test_clear *clear = drm_pagemap_test_clear(test);
	struct drm_pagemap_devmem *devmem;

	drm_pagemap_test_fill(test, start, end);
	devmem = drm_pagemap_test_devmem_fenced(test, DRM_PAGEMAP_TEST_SPAN_PAGES,
						&clear->base);
	KUNIT_EXPECT_EQ(test, drm_pagemap_migrate_to_devmem(devmem, current->mm,
							    start, end),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->early_copies), 0);

	/* Had the copy come first, the clear has wiped it by now */
	flush_delayed_work(&clear->work);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_vram_bad(priv, devmem, start), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start, end), 0);
}

/*
 * New memory whose clear failed holds unknown data: the migration is
 * abandoned and the data stays in system memory (R3, R13).
 */
static void drm_pagemap_test_clear_fails(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_pagemap_stats *stats = &priv->dpagemap.stats;
	unsigned long start = priv->start, end = priv->end;
	struct drm_pagemap_test_clear *clear = drm_pagemap_test_clear(test);
	struct drm_pagemap_test_census c;
	struct drm_pagemap_devmem *devmem;

	drm_pagemap_test_fill(test, start, end);
	dma_fence_set_error(&clear->base, -EIO);
	dma_fence_signal(&clear->base);
	devmem = drm_pagemap_test_devmem_fenced(test, DRM_PAGEMAP_TEST_SPAN_PAGES,
						&clear->base);
	KUNIT_EXPECT_EQ(test, drm_pagemap_migrate_to_devmem(devmem, current->mm,
							    start, end),
			-EIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->copied_to_devmem), 0);

	drm_pagemap_test_census(test, start, end, &c);
	KUNIT_EXPECT_EQ(test, c.ram, DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, c.bad, 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start, end), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&stats->cpu_faults), 0);
}

/*
 * One failed allocation or DMA map while migrating to the device: what did
 * not move is in system memory with its data, and what moved comes back
 * with its data and nothing else was on the device (R11).
 */
static void drm_pagemap_test_check_to_devmem(struct kunit *test,
					     unsigned int nth, long moved)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_pagemap_stats *stats = &priv->dpagemap.stats;
	s64 to_ram = drm_pagemap_test_stat(&stats->pages_to_ram);

	KUNIT_EXPECT_LT_MSG(test, moved, (long)DRM_PAGEMAP_TEST_SPAN_PAGES,
			    "failure %u", nth);
	KUNIT_EXPECT_EQ_MSG(test, drm_pagemap_test_cpu_bad(test, priv->start,
							   priv->end),
			    0, "failure %u", nth);
	KUNIT_EXPECT_EQ_MSG(test, drm_pagemap_test_stat(&stats->pages_to_ram) -
			    to_ram, max(moved, 0L), "failure %u", nth);
}

/*
 * Fail each allocation and DMA map of a migration to the device in turn
 * (the allocation's pfn array, the migration arrays, each source page's
 * DMA map) until one migration runs clean.
 */
static void drm_pagemap_test_alloc_failure_to_devmem(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned int nth, sites = 0;
	bool fired;
	long ret;

	drm_gpusvm_kunit_fail_init(test);
	drm_pagemap_test_fill(test, priv->start, priv->end);
	for (nth = 1; nth <= DRM_PAGEMAP_TEST_MAX_SITES; nth++) {
		drm_gpusvm_kunit_fail_nth(nth);
		ret = drm_pagemap_test_try_migrate(priv, priv->start, priv->end);
		fired = drm_gpusvm_kunit_fail_fired();
		if (!fired) {
			KUNIT_EXPECT_EQ(test, ret, (long)DRM_PAGEMAP_TEST_SPAN_PAGES);
			break;
		}
		sites++;
		drm_pagemap_test_check_to_devmem(test, nth, ret);
	}
	kunit_info(test, "%u injection points migrating to device memory\n",
		   sites);
	KUNIT_EXPECT_GE(test, sites, 3);
	KUNIT_EXPECT_LT(test, nth, DRM_PAGEMAP_TEST_MAX_SITES);
}

/*
 * Fail each allocation and DMA map of a CPU fault on device memory in turn
 * (the migration arrays, each system page and its DMA map). The faulting
 * read either fails or returns the right data, never stale data, and the
 * next read returns everything.
 */
static void drm_pagemap_test_alloc_failure_to_ram(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned long start = priv->start, end = priv->end;
	unsigned int nth, sites = 0;
	unsigned long left;
	bool fired;

	drm_gpusvm_kunit_fail_init(test);
	drm_pagemap_test_fill(test, start, end);
	for (nth = 1; nth <= DRM_PAGEMAP_TEST_MAX_SITES; nth++) {
		KUNIT_ASSERT_EQ(test, drm_pagemap_test_try_migrate(priv, start, end),
				(long)DRM_PAGEMAP_TEST_SPAN_PAGES);
		drm_gpusvm_kunit_fail_nth(nth);
		left = copy_from_user(priv->buf, (const void __user *)start,
				      PAGE_SIZE);
		fired = drm_gpusvm_kunit_fail_fired();
		KUNIT_EXPECT_TRUE_MSG(test, left ||
				      drm_pagemap_test_holds(priv, priv->buf, start),
				      "failure %u", nth);
		KUNIT_EXPECT_EQ_MSG(test, drm_pagemap_test_cpu_bad(test, start, end),
				    0, "failure %u", nth);
		if (!fired) {
			KUNIT_EXPECT_EQ(test, left, 0);
			break;
		}
		sites++;
	}
	kunit_info(test, "%u injection points on a CPU fault\n", sites);
	KUNIT_EXPECT_GE(test, sites, 3);
	KUNIT_EXPECT_LT(test, nth, DRM_PAGEMAP_TEST_MAX_SITES);
}

/*
 * VRAM page 0 has device address 0. A range mapped there is current until
 * an invalidation like any other: asking again must not re-collect and
 * zap it, or a driver fault handler that loops until its range is current
 * would never stop, and a driver binding entries with a non-zero address
 * would never map that page.
 */
static void drm_pagemap_test_devmem_at_zero_stays_current(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned long start = priv->start, end = priv->end;
	struct drm_pagemap_devmem *devmem;
	struct drm_gpusvm_range *range;
	unsigned int zaps;
	s64 collected;

	drm_pagemap_test_fill(test, start, end);
	KUNIT_ASSERT_EQ(test, drm_pagemap_test_migrate(test, start, end, &devmem),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_ASSERT_EQ(test, devmem->pfns[0], priv->base_pfn);
	range = drm_pagemap_test_map(test, start);
	KUNIT_ASSERT_EQ(test, drm_pagemap_test_misplaced(priv, range, devmem), 0);

	zaps = drm_pagemap_test_invalidations(priv);
	collected = drm_pagemap_test_stat(&priv->svm.stats.get_pages);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_get_pages(&priv->svm, range,
							 &drm_pagemap_test_ctx),
			0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_invalidations(priv), zaps);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&priv->svm.stats.get_pages),
			collected);
}

static void drm_pagemap_test_vram_free(void *arg)
{
	struct drm_pagemap_test *priv = arg;
	unsigned long i;

	for (i = 0; i < DRM_PAGEMAP_TEST_VRAM_PAGES; i++)
		if (priv->vram[i])
			__free_page(priv->vram[i]);
}

/* The backing pages and the allocator of the fake VRAM of @priv. */
static void drm_pagemap_test_vram_init(struct kunit *test,
				       struct drm_pagemap_test *priv)
{
	unsigned long i;

	spin_lock_init(&priv->vram_lock);
	priv->vram_used = kunit_kcalloc(test,
					BITS_TO_LONGS(DRM_PAGEMAP_TEST_VRAM_PAGES),
					sizeof(unsigned long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv->vram_used);
	priv->vram = kunit_kcalloc(test, DRM_PAGEMAP_TEST_VRAM_PAGES,
				   sizeof(*priv->vram), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv->vram);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_pagemap_test_vram_free,
							priv), 0);
	for (i = 0; i < DRM_PAGEMAP_TEST_VRAM_PAGES; i++) {
		priv->vram[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, priv->vram[i]);
	}
}

/* The device memory of @priv, with owner token @owner. */
static void drm_pagemap_test_pagemap_init(struct kunit *test,
					  struct drm_pagemap_test *priv,
					  void *owner)
{
	KUNIT_ASSERT_EQ(test, drm_pagemap_init(&priv->dpagemap, priv->dev, owner,
					       DRM_PAGEMAP_TEST_VRAM_SIZE,
					       &drm_pagemap_test_ops), 0);
	priv->pagemap_live = true;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_pagemap_test_pagemap_fini,
							priv), 0);
	priv->base_pfn = PHYS_PFN(priv->dpagemap.pagemap.range.start);
}

/* The GPU's view, sharing the pagemap's owner token. */
static void drm_pagemap_test_svm_init(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;

	KUNIT_ASSERT_EQ(test, drm_gpusvm_init(&priv->svm, "kunit-pagemap",
					      priv->dev, current->mm, priv, 0,
					      TASK_SIZE & PAGE_MASK, 0,
					      &drm_pagemap_test_svm_ops), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_pagemap_test_svm_fini,
							&priv->svm), 0);
}

static int drm_pagemap_test_init(struct kunit *test)
{
	struct drm_pagemap_test *priv;

	priv = kunit_kzalloc(test, sizeof(*priv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv);
	priv->buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv->buf);
	priv->expect = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv->expect);
	test->priv = priv;

	priv->dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, priv->dev);
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(priv->dev,
							DMA_BIT_MASK(64)), 0);

	drm_pagemap_test_vram_init(test, priv);
	/* The owner token is the fixture, unique per case */
	drm_pagemap_test_pagemap_init(test, priv, priv);

	/* The first mapping also attaches a fresh mm to this kthread */
	priv->start = drm_pagemap_test_mmap(test, 0, DRM_PAGEMAP_TEST_SPAN);
	priv->end = priv->start + DRM_PAGEMAP_TEST_SPAN;
	drm_pagemap_test_svm_init(test);
	return 0;
}

static void drm_pagemap_test_exit(struct kunit *test)
{
	/* KUnit does not fail a case on a lockdep report; this does */
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

/*
 * A range one thread is migrating is not fought over: a second migrator
 * backs off with -EBUSY instead of taking pages back and forth (R15), and
 * can go once the first is done.
 */
static void drm_pagemap_test_migrate_backoff(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned long start = priv->start, end = priv->end;
	struct drm_pagemap_devmem *devmem;
	struct drm_gpusvm_range *range;

	drm_pagemap_test_fill(test, start, end);
	range = drm_pagemap_test_map(test, start);
	devmem = drm_pagemap_test_devmem(test, DRM_PAGEMAP_TEST_SPAN_PAGES);

	/* As if another thread held the range's migration bit */
	set_bit(0, &range->migrating);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_migrate_to_devmem(&priv->svm,
								 range, devmem),
			-EBUSY);
	clear_bit(0, &range->migrating);
	KUNIT_EXPECT_EQ(test,
			drm_pagemap_test_stat(&priv->svm.stats.migrate_backoffs), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->copied_to_devmem), 0);

	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_migrate_to_devmem(&priv->svm,
								 range, devmem),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test,
			drm_pagemap_test_stat(&priv->svm.stats.migrations_to_devmem),
			1);
	KUNIT_EXPECT_FALSE(test, test_bit(0, &range->migrating));
}

/*
 * A second device memory, with its own backing pages and allocator, that
 * shares the fixture's device and scratch pages. @peer: it has the
 * gpusvm's owner token; otherwise a token of its own. Revoked and freed
 * at cleanup.
 */
static struct drm_pagemap_test *
drm_pagemap_test_second(struct kunit *test, bool peer)
{
	struct drm_pagemap_test *priv = test->priv, *second;

	second = kunit_kzalloc(test, sizeof(*second), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, second);
	second->dev = priv->dev;
	second->buf = priv->buf;
	second->expect = priv->expect;
	drm_pagemap_test_vram_init(test, second);
	drm_pagemap_test_pagemap_init(test, second, peer ? priv : second);
	return second;
}

/*
 * Device memory of another device (R15, per device pair). A peer, with the
 * gpusvm's owner token: get_pages maps its pages where they are, as devmem
 * entries at that pagemap's device address of each page, with no CPU fault
 * and no copy to RAM. A non-peer, with another token: get_pages cannot
 * reach its pages, and hmm_range_fault moves the data back to system
 * memory through that pagemap's migrate_to_ram.
 */
static void drm_pagemap_test_peer_pair(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	struct drm_pagemap_test *peer = drm_pagemap_test_second(test, true);
	struct drm_pagemap_test *other = drm_pagemap_test_second(test, false);
	struct drm_pagemap_stats *pstats = &peer->dpagemap.stats;
	struct drm_pagemap_stats *ostats = &other->dpagemap.stats;
	unsigned long start = priv->start, end = priv->end;
	unsigned long ostart = drm_pagemap_test_mmap(test,
						     DRM_PAGEMAP_TEST_LARGE_OFF,
						     DRM_PAGEMAP_TEST_SPAN);
	unsigned long oend = ostart + DRM_PAGEMAP_TEST_SPAN;
	struct drm_pagemap_devmem *pdev, *odev;
	struct drm_pagemap_test_census c;
	struct drm_gpusvm_range *range;

	KUNIT_ASSERT_PTR_EQ(test, drm_pagemap_owner(&peer->dpagemap),
			    priv->svm.device_private_page_owner);
	KUNIT_ASSERT_PTR_NE(test, drm_pagemap_owner(&other->dpagemap),
			    priv->svm.device_private_page_owner);

	/* Not at VRAM offset 0: an address from the wrong pagemap shows */
	bitmap_set(peer->vram_used, 0, 3);
	drm_pagemap_test_fill(test, start, end);
	pdev = drm_pagemap_test_devmem_in(test, peer,
					  DRM_PAGEMAP_TEST_SPAN_PAGES, NULL);
	KUNIT_ASSERT_EQ(test, drm_pagemap_migrate_to_devmem(pdev, current->mm,
							    start, end),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, pdev->pfns[0], peer->base_pfn + 3);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_vram_bad(peer, pdev, start), 0);
	range = drm_pagemap_test_map(test, start);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_start(range), start);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_end(range), end);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_misplaced(priv, range, pdev), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&pstats->cpu_faults), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&pstats->pages_to_ram), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&peer->copied_to_ram), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->copied_to_devmem), 0);
	/* Still on the peer: a CPU read faults it home with its data */
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, start, end), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&pstats->cpu_faults), 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&pstats->pages_to_ram),
			DRM_PAGEMAP_TEST_SPAN_PAGES);

	drm_pagemap_test_fill(test, ostart, oend);
	odev = drm_pagemap_test_devmem_in(test, other,
					  DRM_PAGEMAP_TEST_SPAN_PAGES, NULL);
	KUNIT_ASSERT_EQ(test, drm_pagemap_migrate_to_devmem(odev, current->mm,
							    ostart, oend),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_vram_bad(other, odev, ostart), 0);
	drm_pagemap_test_census(test, ostart, oend, &c);
	KUNIT_EXPECT_EQ(test, c.ram, DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, c.devmem, 0);
	KUNIT_EXPECT_EQ(test, c.bad, 0);
	KUNIT_EXPECT_GE(test, drm_pagemap_test_stat(&ostats->cpu_faults), 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&ostats->pages_to_ram),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&other->copied_to_ram),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_cpu_bad(test, ostart, oend), 0);

	/* The gpusvm's own memory was never involved */
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_stat(&priv->dpagemap.stats.cpu_faults),
			0);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->copied_to_ram), 0);

	/* Drop the driver's references, then remove both devices */
	kunit_release_action(test, drm_pagemap_test_devmem_put, odev);
	kunit_release_action(test, drm_pagemap_test_devmem_put, pdev);
	kunit_release_action(test, drm_pagemap_test_pagemap_fini, other);
	kunit_release_action(test, drm_pagemap_test_pagemap_fini, peer);
	KUNIT_EXPECT_EQ(test, atomic_read(&other->releases), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&peer->releases), 1);
}

/* A second device's migration of the same VA, run while the first copies. */
struct drm_pagemap_test_rival {
	struct drm_gpusvm svm;
	struct drm_gpusvm_range *range;
	struct drm_pagemap_devmem *devmem;
	struct completion done;
	long ret;
};

static struct drm_pagemap_test_rival *drm_pagemap_test_the_rival;

static int drm_pagemap_test_rival_fn(void *arg)
{
	struct drm_pagemap_test_rival *rival = arg;

	rival->ret = drm_gpusvm_range_migrate_to_devmem(&rival->svm,
							rival->range,
							rival->devmem);
	complete(&rival->done);
	return 0;
}

/* In the copy engine: the other device tries the same VA, from a thread. */
static void drm_pagemap_test_rival_copy(struct drm_pagemap_test *priv)
{
	struct drm_pagemap_test_rival *rival = drm_pagemap_test_the_rival;
	struct task_struct *task;

	priv->during_copy_in = NULL;
	task = kthread_run(drm_pagemap_test_rival_fn, rival, "pagemap-rival");
	if (IS_ERR(task)) {
		rival->ret = PTR_ERR(task);
		return;
	}
	wait_for_completion(&rival->done);
}

/*
 * Two devices mirroring one mm have two gpusvms and two ranges for the same
 * VA: while the first migrates it, the second backs off with -EBUSY instead
 * of taking the pages (R15), and it can migrate once the first is done.
 */
static void drm_pagemap_test_two_devices_serialize(struct kunit *test)
{
	struct drm_pagemap_test *priv = test->priv;
	unsigned long start = priv->start, end = priv->end;
	struct drm_pagemap_test_rival *rival;
	struct drm_gpusvm_range *range;
	struct drm_pagemap_devmem *devmem;

	rival = kunit_kzalloc(test, sizeof(*rival), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rival);
	init_completion(&rival->done);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_init(&rival->svm, "kunit-rival",
					      priv->dev, current->mm, priv, 0,
					      TASK_SIZE & PAGE_MASK, 0,
					      &drm_pagemap_test_svm_ops), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_pagemap_test_svm_fini,
							&rival->svm), 0);

	drm_pagemap_test_fill(test, start, end);
	range = drm_pagemap_test_map(test, start);
	rival->range = drm_gpusvm_range_find_or_insert(&rival->svm, start,
						       &drm_pagemap_test_ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, rival->range);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_pagemap_test_range_put,
							rival->range), 0);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_start(rival->range), start);
	rival->devmem = drm_pagemap_test_devmem(test,
						DRM_PAGEMAP_TEST_SPAN_PAGES);
	devmem = drm_pagemap_test_devmem(test, DRM_PAGEMAP_TEST_SPAN_PAGES);

	rival->ret = 1;
	drm_pagemap_test_the_rival = rival;
	priv->during_copy_in = drm_pagemap_test_rival_copy;
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_migrate_to_devmem(&priv->svm,
								 range, devmem),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	priv->during_copy_in = NULL;
	drm_pagemap_test_the_rival = NULL;
	KUNIT_EXPECT_EQ(test, rival->ret, -EBUSY);
	KUNIT_EXPECT_EQ(test, atomic64_read(&rival->svm.stats.migrate_backoffs),
			1);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->copied_to_devmem),
			DRM_PAGEMAP_TEST_SPAN_PAGES);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_vram_bad(priv, devmem, start), 0);
}

static struct kunit_case drm_pagemap_test_cases[] = {
	KUNIT_CASE(drm_pagemap_test_round_trip),
	KUNIT_CASE(drm_pagemap_test_get_pages_devmem),
	KUNIT_CASE(drm_pagemap_test_partial_pinned),
	KUNIT_CASE(drm_pagemap_test_copy_to_devmem_fails),
	KUNIT_CASE(drm_pagemap_test_copy_to_ram_fails),
	KUNIT_CASE(drm_pagemap_test_vram_exhausted),
	KUNIT_CASE(drm_pagemap_test_evict),
	KUNIT_CASE(drm_pagemap_test_evict_oldest),
	KUNIT_CASE(drm_pagemap_test_snapshot_states),
	KUNIT_CASE(drm_pagemap_test_cpu_fault_storm),
	KUNIT_CASE_SLOW(drm_pagemap_test_thp),
	KUNIT_CASE(drm_pagemap_test_device_removal),
	KUNIT_CASE(drm_pagemap_test_waits_for_clear),
	KUNIT_CASE(drm_pagemap_test_clear_fails),
	KUNIT_CASE_SLOW(drm_pagemap_test_alloc_failure_to_devmem),
	KUNIT_CASE_SLOW(drm_pagemap_test_alloc_failure_to_ram),
	KUNIT_CASE(drm_pagemap_test_devmem_at_zero_stays_current),
	KUNIT_CASE(drm_pagemap_test_migrate_backoff),
	KUNIT_CASE(drm_pagemap_test_peer_pair),
	KUNIT_CASE(drm_pagemap_test_two_devices_serialize),
	{}
};

static struct kunit_suite drm_pagemap_test_suite = {
	.name = "drm_pagemap",
	.init = drm_pagemap_test_init,
	.exit = drm_pagemap_test_exit,
	.test_cases = drm_pagemap_test_cases,
};

kunit_test_suite(drm_pagemap_test_suite);
