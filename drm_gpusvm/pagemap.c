// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/debugfs.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/ioport.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <drm/drm_pagemap.h>

#include "gpusvm_internal.h"
#include "gpusvm_trace.h"

/**
 * DOC: Overview
 *
 * pagemap.c exposes a device's memory to core mm as DEVICE_PRIVATE pages
 * (one &struct dev_pagemap per device, registered with memremap_pages())
 * and moves data between system and device memory with migrate_vma:
 *
 * - &struct drm_pagemap: the device's pages and its copy engine (ops). Its
 *   owner token is what hmm_range_fault() and migrate_vma compare, so
 *   devices that can reach each other's memory share one token (R15).
 * - &struct drm_pagemap_devmem: one allocation of device memory backing one
 *   migration. Every device page in use holds a reference; the last
 *   reference may drop in any context, so the release runs from a work
 *   item (R12).
 * - drm_pagemap_migrate_to_devmem(): best effort (R3). Whatever
 *   migrate_vma_setup() could not collect (pinned, locked, already on a
 *   device) stays where it is; a failed copy leaves everything in system
 *   memory. The newly allocated memory is idle before data is copied in
 *   (R13).
 * - The migrate_to_ram callback: a CPU touched a device page. It always
 *   moves at least that page back, more when policy.c says so, and uses
 *   only page locks and references: no driver lock, no gpusvm lock. When
 *   the copy fails the data stays on the device and the CPU gets SIGBUS,
 *   never stale or foreign data (R2).
 * - drm_pagemap_devmem_evict(): moves an allocation's pages back using only
 *   the physical pfns (migrate_device_range()), no mm or VMA walk, partial
 *   progress allowed. drm_pagemap_fini() evicts everything before the
 *   pages go away, so device removal loses no data.
 */

/**
 * DOC: Locking
 *
 * Migration runs under mmap_lock in read mode (migrate_vma requires it),
 * taken by drm_pagemap_migrate_to_devmem() itself; the CPU fault path gets
 * it from the fault. Pages are protected by their page locks, taken by
 * migrate_vma; core mm invalidates every mirror of a page through the MMU
 * notifiers before it moves. &drm_pagemap.lock is a spinlock taken in
 * any context (a device page's last reference may drop in IRQ context); it
 * only guards the list of allocations.
 */

/**
 * DOC: Examples
 *
 * A driver exposes its VRAM once per device, and backs each migration with
 * an allocation that embeds &struct drm_pagemap_devmem::
 *
 *	err = drm_pagemap_init(&xdev->dpagemap, xdev->dev, xdev->owner,
 *			       vram_size, &xdev_pagemap_ops);
 *
 *	struct xdev_vram *v = kzalloc(sizeof(*v), GFP_KERNEL);
 *	xdev_vram_alloc_and_clear(xdev, v, npages, &fence);
 *	drm_pagemap_devmem_init(&v->base, &xdev->dpagemap, npages, fence);
 *	moved = drm_pagemap_migrate_to_devmem(&v->base, mm, start, end);
 *	drm_pagemap_devmem_put(&v->base);	// pages hold their own refs
 *
 * Under memory pressure, drm_pagemap_devmem_evict() on the allocation; on
 * device removal drm_pagemap_fini() evicts everything itself.
 */

static struct workqueue_struct *drm_pagemap_wq;

static const struct dev_pagemap_ops drm_pagemap_pgmap_ops;

/**
 * drm_pagemap_is_ours() - Is this a device page of a &drm_pagemap?
 * @page: Any page
 *
 * Return: true for device-private pages registered by drm_pagemap_init().
 */
bool drm_pagemap_is_ours(struct page *page)
{
	return is_device_private_page(page) &&
	       page->pgmap->ops == &drm_pagemap_pgmap_ops;
}
EXPORT_SYMBOL_GPL(drm_pagemap_is_ours);

static void drm_pagemap_devmem_release_work(struct work_struct *work)
{
	struct drm_pagemap_devmem *devmem =
		container_of(work, struct drm_pagemap_devmem, release_work);
	struct drm_pagemap *dpagemap = devmem->dpagemap;

	dma_fence_put(devmem->pre_migrate_fence);
	kvfree(devmem->pfns);
	dpagemap->ops->devmem_release(devmem);	/* Frees devmem */
	drm_pagemap_put(dpagemap);	/* Pairs with drm_pagemap_devmem_init() */
}

static void drm_pagemap_devmem_release(struct kref *kref)
{
	struct drm_pagemap_devmem *devmem =
		container_of(kref, struct drm_pagemap_devmem, refcount);
	struct drm_pagemap *dpagemap = devmem->dpagemap;
	unsigned long flags;

	spin_lock_irqsave(&dpagemap->lock, flags);
	list_del(&devmem->entry);
	spin_unlock_irqrestore(&dpagemap->lock, flags);
	queue_work(drm_pagemap_wq, &devmem->release_work);
}

/**
 * drm_pagemap_devmem_put() - Drop a reference on an allocation
 * @devmem: The allocation, or NULL
 *
 * Context: Any context; the release runs from a work item.
 */
void drm_pagemap_devmem_put(struct drm_pagemap_devmem *devmem)
{
	if (devmem)
		kref_put(&devmem->refcount, drm_pagemap_devmem_release);
}
EXPORT_SYMBOL_GPL(drm_pagemap_devmem_put);

/**
 * drm_pagemap_devmem_init() - Initialise an allocation of device memory
 * @devmem: The allocation, embedded in the driver's
 * @dpagemap: The pagemap it comes from
 * @npages: Number of pages
 * @pre_migrate_fence: Signals when the memory is cleared, or NULL; a
 *	reference is taken
 *
 * The caller owns the initial reference and drops it with
 * drm_pagemap_devmem_put() once it has migrated into the allocation.
 *
 * Context: Process context.
 *
 * Return: 0; -ENODEV once drm_pagemap_fini() started revoking the memory;
 * or -ENOMEM.
 */
int drm_pagemap_devmem_init(struct drm_pagemap_devmem *devmem,
			    struct drm_pagemap *dpagemap,
			    unsigned long npages,
			    struct dma_fence *pre_migrate_fence)
{
	/* Pairs with WRITE_ONCE() in drm_pagemap_revoke() */
	if (READ_ONCE(dpagemap->revoked))
		return -ENODEV;
	if (drm_gpusvm_should_fail_alloc())
		return -ENOMEM;
	devmem->pfns = kvcalloc(npages, sizeof(*devmem->pfns), GFP_KERNEL);
	if (!devmem->pfns)
		return -ENOMEM;

	devmem->dpagemap = drm_pagemap_get(dpagemap);
	kref_init(&devmem->refcount);
	devmem->npages = npages;
	devmem->pre_migrate_fence = dma_fence_get(pre_migrate_fence);
	INIT_WORK(&devmem->release_work, drm_pagemap_devmem_release_work);
	spin_lock_irq(&dpagemap->lock);
	list_add_tail(&devmem->entry, &dpagemap->devmem_list);
	spin_unlock_irq(&dpagemap->lock);
	return 0;
}
EXPORT_SYMBOL_GPL(drm_pagemap_devmem_init);

/* Called by core mm when a device page's last reference is gone. */
static void drm_pagemap_page_free(struct page *page)
{
	struct drm_pagemap_devmem *devmem = page->zone_device_data;

	page->zone_device_data = NULL;
	drm_pagemap_devmem_put(devmem);	/* Pairs with drm_pagemap_page_take() */
}

/* Hand a device page to a migration: locked, referenced, owned by devmem. */
static void drm_pagemap_page_take(struct drm_pagemap_devmem *devmem,
				  struct page *page)
{
	kref_get(&devmem->refcount);
	page->zone_device_data = devmem;
	zone_device_page_init(page);
}

/**
 * struct drm_pagemap_migrate - Arrays of one migration, one allocation
 * @src: Source migrate pfns
 * @dst: Destination migrate pfns
 * @dma: DMA addresses of the system side, 0 where nothing is copied
 * @pages: Device pages, NULL where nothing is copied
 * @npages: Entries in each array
 */
struct drm_pagemap_migrate {
	unsigned long *src;
	unsigned long *dst;
	dma_addr_t *dma;
	struct page **pages;
	unsigned long npages;
};

/* Allocate the arrays of a migration of @npages pages in one go. */
static int drm_pagemap_migrate_alloc(struct drm_pagemap_migrate *m,
				     unsigned long npages)
{
	size_t each = 2 * sizeof(unsigned long) + sizeof(dma_addr_t) +
		      sizeof(struct page *);
	void *buf;

	if (drm_gpusvm_should_fail_alloc())
		return -ENOMEM;
	buf = kvcalloc(npages, each, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	m->src = buf;
	m->dst = m->src + npages;
	m->dma = (dma_addr_t *)(m->dst + npages);
	m->pages = (struct page **)(m->dma + npages);
	m->npages = npages;
	return 0;
}

static void drm_pagemap_migrate_free(struct drm_pagemap_migrate *m)
{
	kvfree(m->src);
}

/* DMA-unmap the system side of a migration. */
static void drm_pagemap_migrate_unmap(struct drm_pagemap *dpagemap,
				      struct drm_pagemap_migrate *m,
				      enum dma_data_direction dir)
{
	unsigned long i;

	for (i = 0; i < m->npages; i++) {
		if (m->dma[i])
			dma_unmap_page(dpagemap->dev, m->dma[i], PAGE_SIZE, dir);
		m->dma[i] = 0;
	}
}

/* DMA-map one system page of a migration; failure skips the page. */
static bool drm_pagemap_migrate_map(struct drm_pagemap *dpagemap,
				    struct drm_pagemap_migrate *m,
				    unsigned long i, struct page *page,
				    enum dma_data_direction dir)
{
	dma_addr_t addr;

	if (drm_gpusvm_should_fail_alloc())
		return false;
	addr = dma_map_page(dpagemap->dev, page, 0, PAGE_SIZE, dir);
	if (dma_mapping_error(dpagemap->dev, addr))
		return false;
	m->dma[i] = addr;
	return true;
}

/* Run a copy and wait for it; a failure abandons the whole migration. */
static int drm_pagemap_copy_wait(struct drm_pagemap *dpagemap,
				 struct dma_fence *fence)
{
	long err;

	if (IS_ERR(fence)) {
		atomic64_inc(&dpagemap->stats.copy_failures);
		return PTR_ERR(fence);
	}
	if (!fence)
		return 0;
	err = dma_fence_wait(fence, false);
	if (!err && fence->error)
		err = fence->error;
	dma_fence_put(fence);
	if (err)
		atomic64_inc(&dpagemap->stats.copy_failures);
	return err;
}

/* The new memory must be idle (cleared) before data lands in it (R13). */
static int drm_pagemap_devmem_wait_idle(struct drm_pagemap_devmem *devmem)
{
	struct dma_fence *fence = devmem->pre_migrate_fence;
	long err;

	if (!fence)
		return 0;
	err = dma_fence_wait(fence, false);
	return err ?: fence->error;
}

/* Choose the collected pages, map their sources and copy them in. */
static int drm_pagemap_copy_in(struct drm_pagemap_devmem *devmem,
			       struct drm_pagemap_migrate *m)
{
	struct drm_pagemap *dpagemap = devmem->dpagemap;
	unsigned long i;
	int err;

	for (i = 0; i < m->npages; i++) {
		struct page *spage = migrate_pfn_to_page(m->src[i]);

		if (!(m->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		/* pte_none: nothing to copy, the cleared page is the data */
		if (spage && !drm_pagemap_migrate_map(dpagemap, m, i, spage,
						      DMA_TO_DEVICE))
			continue;
		m->pages[i] = pfn_to_page(devmem->pfns[i]);
	}

	err = drm_pagemap_devmem_wait_idle(devmem);
	if (err)
		return err;
	return drm_pagemap_copy_wait(dpagemap,
				     dpagemap->ops->copy_to_devmem(dpagemap,
								   m->pages,
								   m->dma,
								   m->npages));
}

/* After a good copy, give migrate_vma the device pages as destinations. */
static void drm_pagemap_fill_dst(struct drm_pagemap_devmem *devmem,
				 struct drm_pagemap_migrate *m)
{
	unsigned long i;

	for (i = 0; i < m->npages; i++) {
		if (!m->pages[i])
			continue;
		drm_pagemap_page_take(devmem, m->pages[i]);
		m->dst[i] = migrate_pfn(devmem->pfns[i]);
	}
}

/* Pages migrate_vma_pages() really moved. */
static unsigned long drm_pagemap_count_moved(struct drm_pagemap_migrate *m)
{
	unsigned long i, n = 0;

	for (i = 0; i < m->npages; i++)
		n += m->dst[i] && (m->src[i] & MIGRATE_PFN_MIGRATE);
	return n;
}

/* The migration proper, with mmap_lock held and the arrays allocated. */
static long drm_pagemap_migrate_vma_to_devmem(struct drm_pagemap_devmem *devmem,
					      struct vm_area_struct *vma,
					      unsigned long start,
					      struct drm_pagemap_migrate *m)
{
	struct drm_pagemap *dpagemap = devmem->dpagemap;
	struct migrate_vma migrate = {
		.vma = vma,
		.start = start,
		.end = start + (m->npages << PAGE_SHIFT),
		.src = m->src,
		.dst = m->dst,
		.pgmap_owner = drm_pagemap_owner(dpagemap),
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	unsigned long moved = 0;
	int err;

	err = migrate_vma_setup(&migrate);
	if (err)
		return err;
	if (!migrate.cpages)
		goto out_finalize;

	err = dpagemap->ops->populate_devmem(devmem, m->npages, devmem->pfns);
	if (!err)
		err = drm_pagemap_copy_in(devmem, m);
	/* The copy is done: unmap the sources while they are still ours */
	drm_pagemap_migrate_unmap(dpagemap, m, DMA_TO_DEVICE);
	if (!err)
		drm_pagemap_fill_dst(devmem, m);

	migrate_vma_pages(&migrate);
	moved = drm_pagemap_count_moved(m);
out_finalize:
	migrate_vma_finalize(&migrate);
	return err ?: moved;
}

/**
 * drm_pagemap_migrate_to_devmem() - Migrate a VA span into device memory
 * @devmem: The allocation, with &drm_pagemap_devmem.npages covering the span
 * @mm: The mm
 * @start: Start of the span, page aligned, inside one VMA
 * @end: End of the span (exclusive)
 *
 * Best effort (R3): pages that cannot be collected stay where they are,
 * and when the copy fails everything stays in system memory. The caller
 * falls back to system memory on any error or when fewer pages moved than
 * it wanted.
 *
 * Context: Process context; takes mmap_lock in read mode. No gpusvm lock
 * and no notifier lock may be held: the migration invalidates.
 *
 * Return: the number of pages moved (0 when none could be collected), or
 * -EINVAL for a bad span, -EFAULT when it is not mapped or the process is
 * exiting, -ENOMEM, or the copy engine's error.
 */
long drm_pagemap_migrate_to_devmem(struct drm_pagemap_devmem *devmem,
				   struct mm_struct *mm, unsigned long start,
				   unsigned long end)
{
	struct drm_pagemap *dpagemap = devmem->dpagemap;
	struct drm_pagemap_migrate m;
	struct vm_area_struct *vma;
	long ret;

	if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(end) || start >= end ||
	    (end - start) >> PAGE_SHIFT != devmem->npages)
		return -EINVAL;
	if (!mmget_not_zero(mm))
		return -EFAULT;
	ret = drm_pagemap_migrate_alloc(&m, devmem->npages);
	if (ret)
		goto out_count;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, start);
	if (vma && end <= vma->vm_end)
		ret = drm_pagemap_migrate_vma_to_devmem(devmem, vma, start, &m);
	else
		ret = -EFAULT;
	mmap_read_unlock(mm);

	drm_pagemap_migrate_free(&m);
out_count:
	trace_drm_pagemap_migrate_to_devmem(dpagemap, start, end, ret);
	if (ret > 0) {
		WRITE_ONCE(devmem->migrated_at, jiffies ?: 1);
		atomic64_inc(&dpagemap->stats.migrations_to_devmem);
		atomic64_add(ret, &dpagemap->stats.pages_to_devmem);
	} else {
		atomic64_inc(&dpagemap->stats.fallbacks);
	}
	mmput(mm);
	return ret;
}
EXPORT_SYMBOL_GPL(drm_pagemap_migrate_to_devmem);

/*
 * Allocate and map the system pages that device pages move to. Only pages
 * of @dpagemap are taken: a peer's pages are copied by the peer's engine
 * on its own fault. A missing destination just leaves that page behind,
 * except for @fault_page, for which the caller fails the fault.
 */
static void drm_pagemap_alloc_ram(struct drm_pagemap *dpagemap,
				  struct vm_area_struct *vma,
				  unsigned long start,
				  struct drm_pagemap_migrate *m)
{
	unsigned long i;

	for (i = 0; i < m->npages; i++) {
		struct page *spage = migrate_pfn_to_page(m->src[i]);
		unsigned long addr = start + (i << PAGE_SHIFT);
		struct page *dpage;

		if (!spage || !(m->src[i] & MIGRATE_PFN_MIGRATE) ||
		    drm_pagemap_page_to_dpagemap(spage) != dpagemap)
			continue;
		dpage = drm_gpusvm_should_fail_alloc() ? NULL : vma ?
			alloc_page_vma(GFP_HIGHUSER_MOVABLE, vma, addr) :
			alloc_page(GFP_HIGHUSER_MOVABLE);
		if (!dpage)
			continue;
		if (!drm_pagemap_migrate_map(dpagemap, m, i, dpage,
					     DMA_FROM_DEVICE)) {
			__free_page(dpage);
			continue;
		}
		lock_page(dpage);
		m->dst[i] = migrate_pfn(page_to_pfn(dpage));
		m->pages[i] = spage;
	}
}

/* Abandon the destinations: the data stays on the device. */
static void drm_pagemap_drop_ram(struct drm_pagemap_migrate *m)
{
	unsigned long i;

	for (i = 0; i < m->npages; i++) {
		struct page *dpage = migrate_pfn_to_page(m->dst[i]);

		if (!dpage)
			continue;
		unlock_page(dpage);
		put_page(dpage);
		m->dst[i] = 0;
	}
}

/* Copy the chosen device pages out to their destinations. */
static int drm_pagemap_copy_out(struct drm_pagemap *dpagemap,
				struct drm_pagemap_migrate *m)
{
	return drm_pagemap_copy_wait(dpagemap,
				     dpagemap->ops->copy_to_ram(dpagemap,
								m->pages, m->dma,
								m->npages));
}

static void drm_pagemap_count_to_ram(struct drm_pagemap *dpagemap,
				     unsigned long moved)
{
	if (!moved)
		return;
	atomic64_inc(&dpagemap->stats.migrations_to_ram);
	atomic64_add(moved, &dpagemap->stats.pages_to_ram);
}

/*
 * Move [start, end) of @vma back to RAM. A page the CPU faulted on
 * (@fault_page at @fault_addr, NULL for an explicit migration) must make
 * progress: without a destination for it the fault fails with -ENOMEM
 * rather than spinning. Returns the pages moved, or a negative errno.
 */
static long drm_pagemap_migrate_vma_to_ram(struct drm_pagemap *dpagemap,
					   struct vm_area_struct *vma,
					   unsigned long start, unsigned long end,
					   struct page *fault_page,
					   unsigned long fault_addr)
{
	unsigned long fault_idx = (fault_addr - start) >> PAGE_SHIFT;
	struct migrate_vma migrate = {
		.vma = vma,
		.start = start,
		.end = end,
		.pgmap_owner = drm_pagemap_owner(dpagemap),
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page = fault_page,
	};
	struct drm_pagemap_migrate m;
	unsigned long moved;
	int err;

	err = drm_pagemap_migrate_alloc(&m, (end - start) >> PAGE_SHIFT);
	if (err)
		return err;
	migrate.src = m.src;
	migrate.dst = m.dst;
	err = migrate_vma_setup(&migrate);
	if (err)
		goto out_free;

	drm_pagemap_alloc_ram(dpagemap, vma, start, &m);
	if (fault_page && (m.src[fault_idx] & MIGRATE_PFN_MIGRATE) &&
	    !m.dst[fault_idx])
		err = -ENOMEM;
	else
		err = drm_pagemap_copy_out(dpagemap, &m);
	drm_pagemap_migrate_unmap(dpagemap, &m, DMA_FROM_DEVICE);
	if (err)
		drm_pagemap_drop_ram(&m);
	migrate_vma_pages(&migrate);
	moved = drm_pagemap_count_moved(&m);
	drm_pagemap_count_to_ram(dpagemap, moved);
	trace_drm_pagemap_migrate_to_ram(dpagemap, start, end, moved);
	migrate_vma_finalize(&migrate);
out_free:
	drm_pagemap_migrate_free(&m);
	return err ?: moved;
}

/**
 * drm_pagemap_migrate_span_to_ram() - Move a VA span's device pages home
 * @dpagemap: The pagemap whose pages move
 * @mm: The mm, with mmap_lock held in read mode
 * @start: Start of the span, page aligned
 * @end: End of the span (exclusive), page aligned
 *
 * The explicit counterpart of a CPU fault: every page of @dpagemap mapped
 * in [@start, @end) is copied to a new system page and the CPU mapping
 * switched over, VMA by VMA; holes in the span are skipped. Best effort,
 * like a CPU fault's window: a page that is busy or gets no system page
 * stays where it is, and the return value says how many moved.
 *
 * Context: Process context, mmap_lock of @mm held in read mode; no gpusvm
 * notifier lock.
 *
 * Return: the number of pages moved, -ENOMEM, or the copy engine's error
 * (the data of that VMA's span then stays in device memory).
 */
long drm_pagemap_migrate_span_to_ram(struct drm_pagemap *dpagemap,
				     struct mm_struct *mm, unsigned long start,
				     unsigned long end)
{
	struct vm_area_struct *vma;
	long moved = 0, ret;

	mmap_assert_locked(mm);
	while (start < end) {
		vma = find_vma_intersection(mm, start, end);
		if (!vma)
			break;
		start = max(start, vma->vm_start);
		ret = drm_pagemap_migrate_vma_to_ram(dpagemap, vma, start,
						     min(end, vma->vm_end),
						     NULL, 0);
		if (ret < 0)
			return ret;
		moved += ret;
		start = vma->vm_end;
	}
	return moved;
}
EXPORT_SYMBOL_GPL(drm_pagemap_migrate_span_to_ram);

/*
 * Let freshly migrated data stay on the device for the policy's timeslice
 * before a CPU fault takes it back. When the fault may be retried, sleep
 * with mmap_lock dropped and return VM_FAULT_RETRY, so a writer queued on
 * the lock does not stall every other fault of the mm behind this one;
 * otherwise (a remote fault from hmm_range_fault(), say) wait holding it.
 * The wait is bounded and killable, and the retried fault finds the slice
 * over and proceeds (R2). The page reference the fault holds keeps the
 * page's devmem alive.
 */
static vm_fault_t drm_pagemap_cpu_fault_wait(struct vm_fault *vmf)
{
	struct drm_pagemap_devmem *devmem = vmf->page->zone_device_data;
	unsigned long delay;

	delay = drm_gpusvm_policy_cpu_fault_delay(READ_ONCE(devmem->migrated_at),
						  jiffies);
	if (!delay)
		return 0;
	if (!(vmf->flags & FAULT_FLAG_ALLOW_RETRY) ||
	    (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
		schedule_timeout_killable(delay);
		return 0;
	}
	release_fault_lock(vmf);
	schedule_timeout_killable(delay);
	return VM_FAULT_RETRY;
}

/* dev_pagemap_ops.migrate_to_ram: a CPU touched one of our pages (R2). */
static vm_fault_t drm_pagemap_cpu_fault(struct vm_fault *vmf)
{
	struct drm_pagemap *dpagemap = drm_pagemap_page_to_dpagemap(vmf->page);
	unsigned long start, end;
	vm_fault_t ret;
	long err;

	ret = drm_pagemap_cpu_fault_wait(vmf);
	if (ret)
		return ret;
	atomic64_inc(&dpagemap->stats.cpu_faults);
	drm_gpusvm_policy_cpu_fault_window(vmf->vma, vmf->address, &start, &end);
	err = drm_pagemap_migrate_vma_to_ram(dpagemap, vmf->vma, start, end,
					     vmf->page, vmf->address);
	if (err > 0)
		err = 0;
	if (err == -ENOMEM)
		return VM_FAULT_OOM;
	return err ? VM_FAULT_SIGBUS : 0;
}

static const struct dev_pagemap_ops drm_pagemap_pgmap_ops = {
	.page_free = drm_pagemap_page_free,
	.migrate_to_ram = drm_pagemap_cpu_fault,
};

/* Collect an allocation's in-use pages by pfn, one contiguous run at a time. */
static void drm_pagemap_collect_devmem(struct drm_pagemap_devmem *devmem,
				       struct drm_pagemap_migrate *m)
{
	const unsigned long *pfns = devmem->pfns;
	unsigned long i = 0, run;

	while (i < m->npages) {
		if (!pfns[i]) {		/* Never populated */
			i++;
			continue;
		}
		for (run = 1; i + run < m->npages; run++)
			if (pfns[i + run] != pfns[i] + run)
				break;
		migrate_device_range(m->src + i, pfns[i], run);
		i += run;
	}
}

/**
 * drm_pagemap_devmem_evict() - Move an allocation's pages to system memory
 * @devmem: The allocation; the caller holds a reference
 *
 * Uses only the physical pages (migrate_device_range()): no mm, no VMA, no
 * gpusvm lock, so it works for memory pressure and device removal alike,
 * even after the process has gone. Pages that are locked or being
 * migrated by someone else are left for a later call (partial progress).
 *
 * Context: Process context.
 *
 * Return: the number of pages moved, or -ENOMEM, or the copy engine's
 * error (the data then stays in device memory).
 */
long drm_pagemap_devmem_evict(struct drm_pagemap_devmem *devmem)
{
	struct drm_pagemap *dpagemap = devmem->dpagemap;
	struct drm_pagemap_migrate m;
	unsigned long moved;
	int err;

	atomic64_inc(&dpagemap->stats.evictions);
	err = drm_pagemap_migrate_alloc(&m, devmem->npages);
	if (err)
		return err;

	drm_pagemap_collect_devmem(devmem, &m);
	drm_pagemap_alloc_ram(dpagemap, NULL, 0, &m);
	err = drm_pagemap_copy_out(dpagemap, &m);
	drm_pagemap_migrate_unmap(dpagemap, &m, DMA_FROM_DEVICE);
	if (err)
		drm_pagemap_drop_ram(&m);
	migrate_device_pages(m.src, m.dst, m.npages);
	moved = drm_pagemap_count_moved(&m);
	drm_pagemap_count_to_ram(dpagemap, moved);
	trace_drm_pagemap_evict(dpagemap, 0, 0, moved);
	migrate_device_finalize(m.src, m.dst, m.npages);

	drm_pagemap_migrate_free(&m);
	return err ?: moved;
}
EXPORT_SYMBOL_GPL(drm_pagemap_devmem_evict);

/*
 * One eviction pass over the allocations, oldest first (the list is in
 * allocation order), until @npages pages moved. A reference keeps the cursor
 * on the list while the lock is dropped; the previous one is put outside
 * the lock because its release takes the lock.
 */
static unsigned long drm_pagemap_evict_pass(struct drm_pagemap *dpagemap,
					    unsigned long npages)
{
	struct drm_pagemap_devmem *devmem, *prev = NULL;
	unsigned long moved = 0;
	long ret;

	spin_lock_irq(&dpagemap->lock);
	list_for_each_entry(devmem, &dpagemap->devmem_list, entry) {
		if (moved >= npages)
			break;
		if (!kref_get_unless_zero(&devmem->refcount))
			continue;
		spin_unlock_irq(&dpagemap->lock);
		drm_pagemap_devmem_put(prev);
		ret = drm_pagemap_devmem_evict(devmem);
		moved += max(ret, 0L);
		prev = devmem;
		spin_lock_irq(&dpagemap->lock);
	}
	spin_unlock_irq(&dpagemap->lock);
	drm_pagemap_devmem_put(prev);
	return moved;
}

/**
 * drm_pagemap_evict() - Move a pagemap's allocations to system memory
 * @dpagemap: The pagemap
 * @npages: Stop once at least this many pages moved; %ULONG_MAX for all
 *
 * Evicts whole allocations, oldest first, with drm_pagemap_devmem_evict().
 * Best effort: pages that are busy (locked, being migrated) stay, and an
 * allocation whose copy fails keeps its data in device memory. The memory
 * of an evicted allocation returns to the driver once its last page is
 * freed and its last reference dropped, from the core's work item.
 *
 * Context: Process context; no gpusvm lock, no mmap_lock.
 *
 * Return: the number of pages moved.
 */
long drm_pagemap_evict(struct drm_pagemap *dpagemap, unsigned long npages)
{
	might_sleep();
	return drm_pagemap_evict_pass(dpagemap, npages);
}
EXPORT_SYMBOL_GPL(drm_pagemap_evict);

/**
 * drm_pagemap_make_room() - Free device memory for a new allocation
 * @dpagemap: The pagemap whose memory is short
 * @npages: Pages the driver is missing
 *
 * For a driver that is about to allocate device memory it does not have.
 * Whether older data is evicted for it, or the new data simply stays in
 * system memory (R3), is policy: the ``evict_on_pressure`` knob.
 * Waits for the freed memory to reach the driver, so a following
 * allocation can use it.
 *
 * Context: Process context; the caller holds no gpusvm lock of a gpusvm
 * whose ranges may live in @dpagemap, and no mmap_lock.
 *
 * Return: the number of pages moved; 0 when the policy says no.
 */
long drm_pagemap_make_room(struct drm_pagemap *dpagemap, unsigned long npages)
{
	long moved;

	if (!drm_gpusvm_policy_evict_on_pressure())
		return 0;
	moved = drm_pagemap_evict(dpagemap, npages);
	/* The allocations' release work returns their memory. */
	if (moved)
		flush_workqueue(drm_pagemap_wq);
	return moved;
}
EXPORT_SYMBOL_GPL(drm_pagemap_make_room);

/**
 * drm_pagemap_devmem_alloc() - Allocate device memory, making room for it
 * @dpagemap: The pagemap
 * @npages: Pages wanted
 *
 * Calls &drm_pagemap_ops.devmem_alloc; when the memory is full, asks
 * drm_pagemap_make_room() (the eviction policy) for @npages and tries once
 * more. The fault service allocates through this, so every driver gets
 * the same answer to memory pressure.
 *
 * Context: Process context; same lock rules as drm_pagemap_make_room().
 *
 * Return: the allocation with one reference for the caller, or an ERR_PTR:
 * -EOPNOTSUPP when the pagemap has no &drm_pagemap_ops.devmem_alloc,
 * -ENODEV after drm_pagemap_fini(), -ENOMEM or the driver's error.
 */
struct drm_pagemap_devmem *drm_pagemap_devmem_alloc(struct drm_pagemap *dpagemap,
						    unsigned long npages)
{
	struct drm_pagemap_devmem *devmem;

	if (!dpagemap->ops->devmem_alloc)
		return ERR_PTR(-EOPNOTSUPP);
	if (READ_ONCE(dpagemap->revoked))
		return ERR_PTR(-ENODEV);
	devmem = dpagemap->ops->devmem_alloc(dpagemap, npages);
	if (PTR_ERR_OR_ZERO(devmem) == -ENOMEM &&
	    drm_pagemap_make_room(dpagemap, npages) > 0)
		devmem = dpagemap->ops->devmem_alloc(dpagemap, npages);
	return devmem;
}
EXPORT_SYMBOL_GPL(drm_pagemap_devmem_alloc);

/* Is any allocation of @dpagemap still alive? */
static bool drm_pagemap_has_devmem(struct drm_pagemap *dpagemap)
{
	bool busy;

	spin_lock_irq(&dpagemap->lock);
	busy = !list_empty(&dpagemap->devmem_list);
	spin_unlock_irq(&dpagemap->lock);
	return busy;
}

/*
 * Bring every page home before the memory goes away (R12). New
 * allocations are refused first, so the set only shrinks. A pass can move
 * nothing while a page is busy (a CPU fault holding it, a failed copy), so
 * keep going with a short sleep until every allocation is released; after
 * a second of no progress, stop and let drm_pagemap_fini() wait for the
 * holders (a driver that never dropped its own reference shows up as a
 * hung task, not as lost data).
 */
static void drm_pagemap_revoke(struct drm_pagemap *dpagemap)
{
	unsigned int idle = 0;

	WRITE_ONCE(dpagemap->revoked, true);
	while (idle < 100) {
		flush_workqueue(drm_pagemap_wq);
		if (!drm_pagemap_has_devmem(dpagemap))
			break;
		if (drm_pagemap_evict_pass(dpagemap, ULONG_MAX)) {
			idle = 0;
			continue;
		}
		idle++;
		usleep_range(10000, 20000);
	}
	flush_workqueue(drm_pagemap_wq);
}

static void drm_pagemap_release(struct kref *kref)
{
	struct drm_pagemap *dpagemap =
		container_of(kref, struct drm_pagemap, refcount);

	complete(&dpagemap->released);
}

/**
 * drm_pagemap_put() - Drop a reference on a pagemap
 * @dpagemap: The pagemap, or NULL
 *
 * Context: Any context.
 */
void drm_pagemap_put(struct drm_pagemap *dpagemap)
{
	if (dpagemap)
		kref_put(&dpagemap->refcount, drm_pagemap_release);
}
EXPORT_SYMBOL_GPL(drm_pagemap_put);

/* Check the arguments of drm_pagemap_init(). */
static bool drm_pagemap_init_args_valid(struct device *dev, void *owner,
					unsigned long size,
					const struct drm_pagemap_ops *ops)
{
	return dev && owner && ops && ops->populate_devmem &&
	       ops->copy_to_devmem && ops->copy_to_ram && ops->device_addr &&
	       ops->devmem_release && size && IS_ALIGNED(size, SZ_2M);
}

/**
 * drm_pagemap_init() - Expose a device's memory as DEVICE_PRIVATE pages
 * @dpagemap: The pagemap, embedded in the driver's device
 * @dev: The device
 * @owner: Owner token, shared with devices that can reach this memory
 * @size: Size of the device memory, a multiple of 2 MiB
 * @ops: Driver operations, all required
 *
 * Context: Process context.
 *
 * Return: 0; -EINVAL for a missing op, owner or a bad size; or the error of
 * request_free_mem_region() or memremap_pages().
 */
int drm_pagemap_init(struct drm_pagemap *dpagemap, struct device *dev,
		     void *owner, unsigned long size,
		     const struct drm_pagemap_ops *ops)
{
	void *addr;

	if (!drm_pagemap_init_args_valid(dev, owner, size, ops))
		return -EINVAL;

	memset(dpagemap, 0, sizeof(*dpagemap));
	dpagemap->res = request_free_mem_region(&iomem_resource, size,
						"drm_pagemap");
	if (IS_ERR(dpagemap->res))
		return PTR_ERR(dpagemap->res);

	dpagemap->dev = dev;
	dpagemap->ops = ops;
	kref_init(&dpagemap->refcount);
	init_completion(&dpagemap->released);
	spin_lock_init(&dpagemap->lock);
	INIT_LIST_HEAD(&dpagemap->devmem_list);
	dpagemap->pagemap.type = MEMORY_DEVICE_PRIVATE;
	dpagemap->pagemap.range.start = dpagemap->res->start;
	dpagemap->pagemap.range.end = dpagemap->res->end;
	dpagemap->pagemap.nr_range = 1;
	dpagemap->pagemap.ops = &drm_pagemap_pgmap_ops;
	dpagemap->pagemap.owner = owner;

	addr = memremap_pages(&dpagemap->pagemap, dev_to_node(dev));
	if (IS_ERR(addr))
		goto err_release_region;
	drm_pagemap_debugfs_add(dpagemap);
	return 0;

err_release_region:
	release_mem_region(dpagemap->res->start, resource_size(dpagemap->res));
	return PTR_ERR(addr);
}
EXPORT_SYMBOL_GPL(drm_pagemap_init);

/**
 * drm_pagemap_fini() - Revoke a device's memory
 * @dpagemap: The pagemap
 *
 * Moves every page still in device memory back to system memory first,
 * so device removal loses no data (R12), waits for the allocations to be
 * released and for other holders of a reference, then removes the pages.
 *
 * Context: Process context; sleeps until every reference is dropped.
 */
void drm_pagemap_fini(struct drm_pagemap *dpagemap)
{
	might_sleep();
	drm_pagemap_revoke(dpagemap);
	drm_pagemap_put(dpagemap);	/* Pairs with kref_init() */
	wait_for_completion(&dpagemap->released);
	WARN_ON(!list_empty(&dpagemap->devmem_list));

	debugfs_remove_recursive(dpagemap->debugfs);
	memunmap_pages(&dpagemap->pagemap);
	release_mem_region(dpagemap->res->start, resource_size(dpagemap->res));
}
EXPORT_SYMBOL_GPL(drm_pagemap_fini);

int drm_pagemap_module_init(void)
{
	drm_pagemap_wq = alloc_workqueue("drm_pagemap", WQ_UNBOUND, 0);
	return drm_pagemap_wq ? 0 : -ENOMEM;
}

void drm_pagemap_module_exit(void)
{
	destroy_workqueue(drm_pagemap_wq);
}
