// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "simgpu_internal.h"

/**
 * DOC: VRAM
 *
 * VRAM is a fixed pool of ordinary kernel pages allocated at load. Device
 * private struct pages have no kernel mapping, so each VRAM page (a pfn of
 * the device's &struct drm_pagemap) keeps its data in one backing page:
 * &simgpu_device.backing[i] holds VRAM page i, at VRAM offset
 * i << PAGE_SHIFT. The backing pages are taken in 2 MiB chunks (smaller
 * when memory is fragmented) to keep a load of hundreds of MiB fast.
 *
 * The allocator is a bitmap of the pages in use under
 * &simgpu_device.vram_lock. It prefers contiguity and never requires it:
 * an allocation gets one run of pages, naturally aligned up to 2 MiB when
 * the pool has such a run, else any run, else whatever pages are free.
 * The core populates an allocation page by page
 * (&drm_pagemap_ops.populate_devmem fills one pfn per page), so scattered
 * pages work; but a run lets the copy channel move a 2 MiB THP with one
 * COPY method instead of 512, and a buddy allocator that insists on runs
 * would fail with the pages free but not in one piece.
 *
 * Every allocation is cleared when it is populated, synchronously, before
 * the core copies data in (R13): a VRAM page never shows what a previous
 * owner left in it.
 */

/* Largest backing chunk: 2 MiB. */
#define SIMGPU_VRAM_CHUNK_ORDER	(21 - PAGE_SHIFT)

/**
 * struct simgpu_devmem - One allocation of VRAM
 * @base: The core's allocation
 * @sdev: The device
 * @npages: VRAM pages held, 0 until the populate op ran
 * @idx: Their indices, room for &drm_pagemap_devmem.npages
 */
struct simgpu_devmem {
	struct drm_pagemap_devmem base;
	struct simgpu_device *sdev;
	unsigned long npages;
	u32 *idx;
};

static struct simgpu_devmem *to_simgpu_devmem(struct drm_pagemap_devmem *devmem)
{
	return container_of(devmem, struct simgpu_devmem, base);
}

static struct simgpu_device *to_simgpu_device(struct drm_pagemap *dpagemap)
{
	return container_of(dpagemap, struct simgpu_device, dpagemap);
}

/* Allocate the backing pages, largest chunks first. */
static int simgpu_vram_alloc_backing(struct simgpu_device *sdev)
{
	unsigned int order = SIMGPU_VRAM_CHUNK_ORDER;
	unsigned long done = 0, j;
	struct page *page;

	while (done < sdev->nr_pages) {
		order = min_t(unsigned int, order,
			      ilog2(sdev->nr_pages - done));
		/* Not compound: page + j is each page's own struct page */
		page = alloc_pages(GFP_KERNEL | __GFP_NOWARN |
				   (order ? __GFP_NORETRY : 0), order);
		if (!page) {
			if (!order)
				return -ENOMEM;
			order--;
			continue;
		}
		sdev->chunks[sdev->nr_chunks].page = page;
		sdev->chunks[sdev->nr_chunks].order = order;
		sdev->nr_chunks++;
		for (j = 0; j < BIT(order); j++)
			sdev->backing[done + j] = page + j;
		done += BIT(order);
		cond_resched();
	}
	return 0;
}

static void simgpu_vram_free_backing(struct simgpu_device *sdev)
{
	unsigned long i;

	for (i = 0; i < sdev->nr_chunks; i++)
		__free_pages(sdev->chunks[i].page, sdev->chunks[i].order);
	sdev->nr_chunks = 0;
}

/**
 * simgpu_vram_init() - Allocate a device's VRAM pool
 * @sdev: The device
 * @size: VRAM size in bytes, page aligned
 *
 * Return: 0 or -ENOMEM.
 */
int simgpu_vram_init(struct simgpu_device *sdev, unsigned long size)
{
	int err = -ENOMEM;

	spin_lock_init(&sdev->vram_lock);
	sdev->nr_pages = size >> PAGE_SHIFT;
	sdev->backing = kvcalloc(sdev->nr_pages, sizeof(*sdev->backing),
				 GFP_KERNEL);
	sdev->chunks = kvcalloc(sdev->nr_pages, sizeof(*sdev->chunks),
				GFP_KERNEL);
	sdev->used = kvcalloc(BITS_TO_LONGS(sdev->nr_pages),
			      sizeof(*sdev->used), GFP_KERNEL);
	if (!sdev->backing || !sdev->chunks || !sdev->used)
		goto err_free;
	err = simgpu_vram_alloc_backing(sdev);
	if (err)
		goto err_free;

	sdev->nr_free = sdev->nr_pages;
	return 0;

err_free:
	simgpu_vram_free_backing(sdev);
	kvfree(sdev->used);
	kvfree(sdev->chunks);
	kvfree(sdev->backing);
	return err;
}

/**
 * simgpu_vram_fini() - Free a device's VRAM pool
 * @sdev: The device, its pagemap already finished
 *
 * drm_pagemap_fini() brought every page home and released every
 * allocation, so the pool must be full again.
 */
void simgpu_vram_fini(struct simgpu_device *sdev)
{
	WARN_ON(sdev->nr_free != sdev->nr_pages);
	simgpu_vram_free_backing(sdev);
	kvfree(sdev->used);
	kvfree(sdev->chunks);
	kvfree(sdev->backing);
}

/**
 * simgpu_vram_vaddr() - Kernel address of a VRAM device address
 * @addr: %SIMGPU_VRAM_TAG | device index << 48 | offset
 *
 * Any device's VRAM is reachable: the MMU decides nothing about peers,
 * the owner tokens decided what the glue could map.
 *
 * Return: the byte in the backing page, or NULL when no device has VRAM
 * at @addr.
 */
void *simgpu_vram_vaddr(u64 addr)
{
	struct simgpu_device *sdev;
	u64 offset = addr & SIMGPU_VRAM_OFFSET_MASK;

	if (!(addr & SIMGPU_VRAM_TAG))
		return NULL;
	sdev = simgpu_device_lookup(FIELD_GET(SIMGPU_VRAM_DEV_MASK, addr));
	if (!sdev || offset >> PAGE_SHIFT >= sdev->nr_pages)
		return NULL;
	return page_address(sdev->backing[offset >> PAGE_SHIFT]) +
	       offset_in_page(offset);
}

/**
 * simgpu_vram_page_index() - VRAM index of a device page of @sdev
 * @sdev: The device
 * @page: A page
 *
 * Return: the index, or -1 when @page is not a VRAM page of @sdev.
 */
long simgpu_vram_page_index(struct simgpu_device *sdev, struct page *page)
{
	unsigned long idx;

	if (!is_device_private_page(page) ||
	    page->pgmap != &sdev->dpagemap.pagemap)
		return -1;
	idx = page_to_pfn(page) - sdev->base_pfn;
	return idx < sdev->nr_pages ? idx : -1;
}

/*
 * First free run of @n pages, naturally aligned to @n rounded up to a
 * power of two, at most 2 MiB; else any run; else nr_pages.
 */
static unsigned long simgpu_vram_find_run(struct simgpu_device *sdev,
					  unsigned long n)
{
	unsigned long align = min_t(unsigned long, roundup_pow_of_two(n),
				    BIT(SIMGPU_VRAM_CHUNK_ORDER)) - 1;
	unsigned long start;

	start = bitmap_find_next_zero_area(sdev->used, sdev->nr_pages, 0, n,
					   align);
	if (start >= sdev->nr_pages && align)
		start = bitmap_find_next_zero_area(sdev->used, sdev->nr_pages,
						   0, n, 0);
	return start;
}

/* Take @n free pages into @idx, all or nothing; one run when there is one. */
static bool simgpu_vram_take(struct simgpu_device *sdev, u32 *idx,
			     unsigned long n)
{
	unsigned long i, bit;

	spin_lock(&sdev->vram_lock);
	if (sdev->nr_free < n) {
		spin_unlock(&sdev->vram_lock);
		return false;
	}
	bit = simgpu_vram_find_run(sdev, n);
	if (bit < sdev->nr_pages) {
		bitmap_set(sdev->used, bit, n);
		for (i = 0; i < n; i++)
			idx[i] = bit + i;
	} else {
		/* nr_free says there are @n clear bits */
		bit = 0;
		for (i = 0; i < n; i++) {
			bit = find_next_zero_bit(sdev->used, sdev->nr_pages,
						 bit);
			__set_bit(bit, sdev->used);
			idx[i] = bit;
		}
	}
	WRITE_ONCE(sdev->nr_free, sdev->nr_free - n);
	spin_unlock(&sdev->vram_lock);
	return true;
}

/* Give @n pages back. */
static void simgpu_vram_give(struct simgpu_device *sdev, const u32 *idx,
			     unsigned long n)
{
	unsigned long i, freed = 0;

	spin_lock(&sdev->vram_lock);
	for (i = 0; i < n; i++) {
		if (WARN_ON_ONCE(idx[i] >= sdev->nr_pages ||
				 !__test_and_clear_bit(idx[i], sdev->used)))
			continue;
		freed++;
	}
	WRITE_ONCE(sdev->nr_free, sdev->nr_free + freed);
	spin_unlock(&sdev->vram_lock);
}

/* drm_pagemap_ops.populate_devmem: take, clear (R13) and hand out pages. */
static int simgpu_populate_devmem(struct drm_pagemap_devmem *devmem,
				  unsigned long npages, unsigned long *pfns)
{
	struct simgpu_devmem *d = to_simgpu_devmem(devmem);
	struct simgpu_device *sdev = d->sdev;
	unsigned long i;

	/* Populated once: its pages may already belong to mm */
	if (WARN_ON_ONCE(d->npages || npages > devmem->npages))
		return -EINVAL;
	if (!simgpu_vram_take(sdev, d->idx, npages))
		return -ENOMEM;
	d->npages = npages;
	for (i = 0; i < npages; i++) {
		clear_page(page_address(sdev->backing[d->idx[i]]));
		pfns[i] = sdev->base_pfn + d->idx[i];
	}
	return 0;
}

static struct dma_fence *simgpu_copy_to_devmem(struct drm_pagemap *dpagemap,
					       struct page **pages,
					       dma_addr_t *dma,
					       unsigned long npages)
{
	return simgpu_copy_submit(to_simgpu_device(dpagemap), pages, dma,
				  npages, false);
}

static struct dma_fence *simgpu_copy_to_ram(struct drm_pagemap *dpagemap,
					    struct page **pages,
					    dma_addr_t *dma,
					    unsigned long npages)
{
	return simgpu_copy_submit(to_simgpu_device(dpagemap), pages, dma,
				  npages, true);
}

/**
 * simgpu_vram_addr() - Device address of a VRAM page
 * @sdev: The device
 * @idx: VRAM page index
 *
 * Return: %SIMGPU_VRAM_TAG | device index << 48 | offset.
 */
u64 simgpu_vram_addr(struct simgpu_device *sdev, unsigned long idx)
{
	return SIMGPU_VRAM_TAG | (u64)sdev->index << SIMGPU_VRAM_DEV_SHIFT |
	       (u64)idx << PAGE_SHIFT;
}

/* drm_pagemap_ops.device_addr: under the notifier lock, no sleeping. */
static u64 simgpu_device_addr(struct drm_pagemap *dpagemap, struct page *page)
{
	struct simgpu_device *sdev = to_simgpu_device(dpagemap);
	u64 idx = page_to_pfn(page) - sdev->base_pfn;

	WARN_ON_ONCE(idx >= sdev->nr_pages);
	return simgpu_vram_addr(sdev, idx);
}

/* drm_pagemap_ops.devmem_release: from the core's work item. */
static void simgpu_devmem_release(struct drm_pagemap_devmem *devmem)
{
	struct simgpu_devmem *d = to_simgpu_devmem(devmem);

	if (d->npages)
		simgpu_vram_give(d->sdev, d->idx, d->npages);
	kvfree(d->idx);
	kfree(d);
}

/*
 * drm_pagemap_ops.devmem_alloc: VRAM is taken only when the migration
 * populates, but like a real allocator this says -ENOMEM up front when the
 * pool cannot hold @npages, so the core's eviction policy can make room
 * first instead of the migration failing half way.
 */
static struct drm_pagemap_devmem *
simgpu_pagemap_devmem_alloc(struct drm_pagemap *dpagemap, unsigned long npages)
{
	struct simgpu_device *sdev = to_simgpu_device(dpagemap);

	if (simgpu_vram_free_pages(sdev) < npages)
		return ERR_PTR(-ENOMEM);
	return simgpu_devmem_alloc(sdev, npages);
}

const struct drm_pagemap_ops simgpu_pagemap_ops = {
	.populate_devmem = simgpu_populate_devmem,
	.copy_to_devmem = simgpu_copy_to_devmem,
	.copy_to_ram = simgpu_copy_to_ram,
	.device_addr = simgpu_device_addr,
	.devmem_release = simgpu_devmem_release,
	.devmem_alloc = simgpu_pagemap_devmem_alloc,
};

/**
 * simgpu_devmem_alloc() - Allocate a VRAM allocation object
 * @sdev: The device
 * @npages: Pages of the migration it will back
 *
 * The object is initialised with drm_pagemap_devmem_init() on the
 * device's pagemap; its VRAM pages are taken later, by the populate op of
 * the migration. The caller holds the initial reference and drops it with
 * drm_pagemap_devmem_put() after the migration.
 *
 * Context: Process context.
 *
 * Return: the allocation; ERR_PTR(-EINVAL) for zero pages,
 * ERR_PTR(-ENOMEM) (also when @npages exceeds the whole VRAM), or
 * ERR_PTR(-ENODEV) while the device is going away.
 */
struct drm_pagemap_devmem *simgpu_devmem_alloc(struct simgpu_device *sdev,
					       unsigned long npages)
{
	struct simgpu_devmem *d;
	int err;

	if (!npages)
		return ERR_PTR(-EINVAL);
	if (npages > sdev->nr_pages)
		return ERR_PTR(-ENOMEM);
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	d->sdev = sdev;
	d->idx = kvmalloc_array(npages, sizeof(*d->idx), GFP_KERNEL);
	if (!d->idx) {
		err = -ENOMEM;
		goto err_free;
	}
	err = drm_pagemap_devmem_init(&d->base, &sdev->dpagemap, npages, NULL);
	if (err)
		goto err_free_idx;
	return &d->base;

err_free_idx:
	kvfree(d->idx);
err_free:
	kfree(d);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(simgpu_devmem_alloc);

/**
 * simgpu_vram_free_pages() - Free VRAM pages of a device
 * @sdev: The device
 *
 * Context: Any context; a snapshot, without a lock.
 *
 * Return: the number of VRAM pages no allocation holds.
 */
unsigned long simgpu_vram_free_pages(struct simgpu_device *sdev)
{
	/* Pairs with WRITE_ONCE() in simgpu_vram_take() and _give() */
	return READ_ONCE(sdev->nr_free);
}
EXPORT_SYMBOL_GPL(simgpu_vram_free_pages);

/**
 * simgpu_vram_pages() - VRAM size of a device
 * @sdev: The device
 *
 * Return: the number of VRAM pages (PAGE_SIZE each).
 */
unsigned long simgpu_vram_pages(struct simgpu_device *sdev)
{
	return sdev->nr_pages;
}
EXPORT_SYMBOL_GPL(simgpu_vram_pages);

/**
 * simgpu_devmem_is() - Is an allocation VRAM of this device?
 * @sdev: The device
 * @devmem: Any &drm_pagemap_devmem
 *
 * Return: true when @devmem came from simgpu_devmem_alloc() on @sdev.
 */
bool simgpu_devmem_is(struct simgpu_device *sdev,
		      struct drm_pagemap_devmem *devmem)
{
	return devmem->dpagemap == &sdev->dpagemap;
}
EXPORT_SYMBOL_GPL(simgpu_devmem_is);
