// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/platform_device.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include <drm/drm_gpusvm.h>
#include <drm/drm_pagemap.h>

#include "drm_gpusvm_selftest_uapi.h"

/**
 * DOC: Overview
 *
 * Some behaviours of drm_gpusvm can only be triggered by a user process:
 * mremap, fork with COW, mprotect, madvise(MADV_DONTNEED). This module is a
 * minimal "device" that tools/gpusvm-selftest drives through
 * /dev/drm_gpusvm_selftest. Each open file is one GPU VA space mirroring the
 * opener's mm. The device has a simulated page table per range (one u64
 * PTE per 4 KiB page) and reaches process memory only through it: a
 * missing or read-only PTE is a device page fault, handled like a real
 * driver's GPU fault handler (DOC: Examples of the core). So stale data
 * seen by the device means a PTE outlived an invalidation.
 *
 * The "device" is a platform device without an IOMMU, so its DMA addresses
 * are direct-mapped physical addresses and the CPU reaches them through
 * phys_to_virt(dma_to_phys()).
 *
 * It also has 32 MiB of fake VRAM, exposed as DEVICE_PRIVATE pages with a
 * &struct drm_pagemap. Device-private struct pages have no kernel mapping,
 * so each device page is backed by one ordinary kernel page that holds its
 * data; the "copy engine" is memcpy() between that page and the system
 * page. The MIGRATE ioctl moves ranges into the VRAM, CPU faults bring them
 * back through the core's migrate_to_ram. A device PTE of VRAM holds the
 * VRAM offset with %SVMTEST_VRAM_TAG set, never a DMA address.
 */

/**
 * DOC: Locking
 *
 * &svmtest_file.lock is the driver's VM lock: it serialises device
 * accesses, faults and binds of one file, and is registered with
 * drm_gpusvm_driver_set_lock() so the core asserts it. It ranks above the
 * core's locks and is never taken by the invalidate op, which runs in
 * reclaim. PTEs are written under the notifier lock: in read mode (plus
 * &svmtest_file.lock) by binds, in write mode by the invalidate op.
 * copy_{from,to}_user() runs with neither lock held, through a bounce page,
 * since a fault under the notifier lock could recurse into reclaim.
 *
 * The VRAM allocator's bitmap is guarded by a spinlock of its own, taken by
 * the populate op (under the migration, mmap_lock held) and by the release
 * op (from the core's work item); nothing else is taken inside it.
 */

#define SVMTEST_NAME		"drm_gpusvm_selftest"
/* A PTE is the DMA address of a 4 KiB page (page aligned) plus flags. */
#define SVMTEST_PTE_VALID	BIT_ULL(0)
#define SVMTEST_PTE_WRITE	BIT_ULL(1)
/* The PTE maps device memory: its address is a VRAM offset, tag set. */
#define SVMTEST_PTE_DEVMEM	BIT_ULL(2)
#define SVMTEST_PTE_ADDR_MASK	PAGE_MASK
/* Fault-bind-access loops; one round needs two, invalidation races more. */
#define SVMTEST_MAX_TRIES	32
/* Fake VRAM; a VRAM "address" is its offset with this tag bit set. */
#define SVMTEST_VRAM_SIZE	SZ_32M
#define SVMTEST_VRAM_PAGES	(SVMTEST_VRAM_SIZE >> PAGE_SHIFT)
#define SVMTEST_VRAM_TAG	BIT_ULL(60)

/**
 * struct svmtest_range - A range with its simulated GPU page table
 * @base: The core range
 * @ptes: One PTE per page of the range, NULL until the first fault. Set and
 *	written by binds under &svmtest_file.lock and the notifier lock in read
 *	mode, cleared by the invalidate op under the notifier lock in write mode.
 */
struct svmtest_range {
	struct drm_gpusvm_range base;
	u64 *ptes;
};

/**
 * struct svmtest_file - One open of the device: a GPU VA space
 */
struct svmtest_file {
	/** @svm: The gpusvm mirroring the opener's mm */
	struct drm_gpusvm svm;
	/** @lock: The VM lock, see DOC: Locking */
	struct mutex lock;
	/** @invalidations: Calls of the invalidate op; under the notifier lock */
	u64 invalidations;
	/**
	 * @valid_ptes: PTEs that map a page; under the notifier lock, written
	 * in read mode only with @lock held
	 */
	u64 valid_ptes;
	/** @last_bind_order: Largest DMA chunk order of the last bind; @lock */
	unsigned int last_bind_order;
	/** @devmem_ptes: Valid PTEs of VRAM pages; as @valid_ptes */
	u64 devmem_ptes;
	/** @pages_migrated: Pages MIGRATE moved to VRAM; @lock */
	u64 pages_migrated;
	/** @migrate_refused: Ranges the policy kept in system memory; @lock */
	u64 migrate_refused;
};

/**
 * struct svmtest_vram - One allocation of fake VRAM
 * @base: The core's allocation
 * @first: Index of its first VRAM page
 * @npages: VRAM pages it holds, 0 until the populate op ran
 */
struct svmtest_vram {
	struct drm_pagemap_devmem base;
	unsigned long first;
	unsigned long npages;
};

static struct platform_device *svmtest_pdev;

/* The fake VRAM, see DOC: Overview; the bitmap under svmtest_vram_lock. */
static struct drm_pagemap svmtest_dpagemap;
static struct page **svmtest_vram_backing;
static unsigned long *svmtest_vram_bitmap;
static DEFINE_SPINLOCK(svmtest_vram_lock);
/* Owner token of the VRAM pages: only this device reaches them. */
static int svmtest_owner;

static unsigned long svmtest_vram_base_pfn(void)
{
	return svmtest_dpagemap.pagemap.range.start >> PAGE_SHIFT;
}

static struct svmtest_vram *to_svmtest_vram(struct drm_pagemap_devmem *devmem)
{
	return container_of(devmem, struct svmtest_vram, base);
}

/* The backing page of a VRAM page, or NULL for a foreign page. */
static struct page *svmtest_vram_backing_page(struct page *page)
{
	unsigned long idx = page_to_pfn(page) - svmtest_vram_base_pfn();

	if (WARN_ON_ONCE(idx >= SVMTEST_VRAM_PAGES))
		return NULL;
	return svmtest_vram_backing[idx];
}

/* Kernel address of the VRAM page at device address @addr, or NULL. */
static void *svmtest_vram_vaddr(u64 addr)
{
	u64 idx = (addr & ~SVMTEST_VRAM_TAG) >> PAGE_SHIFT;

	if (!(addr & SVMTEST_VRAM_TAG) || idx >= SVMTEST_VRAM_PAGES)
		return NULL;
	return page_address(svmtest_vram_backing[idx]);
}

/* Hand out contiguous, cleared VRAM pages (R13). */
static int svmtest_populate_devmem(struct drm_pagemap_devmem *devmem,
				   unsigned long npages, unsigned long *pfns)
{
	struct svmtest_vram *v = to_svmtest_vram(devmem);
	unsigned long first, i;

	if (WARN_ON_ONCE(v->npages) || npages > SVMTEST_VRAM_PAGES)
		return -EINVAL;
	spin_lock(&svmtest_vram_lock);
	first = bitmap_find_next_zero_area(svmtest_vram_bitmap,
					   SVMTEST_VRAM_PAGES, 0, npages, 0);
	if (first + npages <= SVMTEST_VRAM_PAGES)
		bitmap_set(svmtest_vram_bitmap, first, npages);
	spin_unlock(&svmtest_vram_lock);
	if (first + npages > SVMTEST_VRAM_PAGES)
		return -ENOMEM;

	v->first = first;
	v->npages = npages;
	for (i = 0; i < npages; i++) {
		clear_page(page_address(svmtest_vram_backing[first + i]));
		pfns[i] = svmtest_vram_base_pfn() + first + i;
	}
	return 0;
}

/* The copy engine: memcpy() between system pages and backing pages. */
static struct dma_fence *svmtest_copy(struct drm_pagemap *dpagemap,
				      struct page **pages, dma_addr_t *dma,
				      unsigned long npages, bool to_ram)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		struct page *backing;
		void *sys;

		if (!dma[i] || !pages[i])
			continue;
		backing = svmtest_vram_backing_page(pages[i]);
		if (!backing)
			return ERR_PTR(-EIO);
		sys = phys_to_virt(dma_to_phys(dpagemap->dev, dma[i]));
		if (to_ram)
			memcpy(sys, page_address(backing), PAGE_SIZE);
		else
			memcpy(page_address(backing), sys, PAGE_SIZE);
	}
	return NULL;
}

static struct dma_fence *svmtest_copy_to_devmem(struct drm_pagemap *dpagemap,
						struct page **pages,
						dma_addr_t *dma,
						unsigned long npages)
{
	return svmtest_copy(dpagemap, pages, dma, npages, false);
}

static struct dma_fence *svmtest_copy_to_ram(struct drm_pagemap *dpagemap,
					     struct page **pages,
					     dma_addr_t *dma,
					     unsigned long npages)
{
	return svmtest_copy(dpagemap, pages, dma, npages, true);
}

/* A tagged VRAM offset: never 0 (a hole) nor a plausible DMA address. */
static u64 svmtest_device_addr(struct drm_pagemap *dpagemap, struct page *page)
{
	return SVMTEST_VRAM_TAG |
	       (u64)(page_to_pfn(page) - svmtest_vram_base_pfn()) << PAGE_SHIFT;
}

static void svmtest_devmem_release(struct drm_pagemap_devmem *devmem)
{
	struct svmtest_vram *v = to_svmtest_vram(devmem);

	if (v->npages) {
		spin_lock(&svmtest_vram_lock);
		bitmap_clear(svmtest_vram_bitmap, v->first, v->npages);
		spin_unlock(&svmtest_vram_lock);
	}
	kfree(v);
}

static const struct drm_pagemap_ops svmtest_pagemap_ops = {
	.populate_devmem = svmtest_populate_devmem,
	.copy_to_devmem = svmtest_copy_to_devmem,
	.copy_to_ram = svmtest_copy_to_ram,
	.device_addr = svmtest_device_addr,
	.devmem_release = svmtest_devmem_release,
};

static struct svmtest_range *to_svmtest_range(struct drm_gpusvm_range *range)
{
	return container_of(range, struct svmtest_range, base);
}

static struct svmtest_file *to_svmtest_file(struct drm_gpusvm *svm)
{
	return container_of(svm, struct svmtest_file, svm);
}

/* Index of the PTE of @va in @r. */
static unsigned long svmtest_pte_index(struct svmtest_range *r,
				       unsigned long va)
{
	return (va - drm_gpusvm_range_start(&r->base)) >> PAGE_SHIFT;
}

static struct drm_gpusvm_range *svmtest_range_alloc(struct drm_gpusvm *svm)
{
	struct svmtest_range *r = kzalloc(sizeof(*r), GFP_KERNEL);

	return r ? &r->base : NULL;
}

static void svmtest_range_free(struct drm_gpusvm_range *range)
{
	struct svmtest_range *r = to_svmtest_range(range);
	unsigned long i, n = drm_gpusvm_range_size(range) >> PAGE_SHIFT;

	/* The core zaps a range before it leaves the tree (R6). */
	for (i = 0; r->ptes && i < n; i++)
		WARN_ON_ONCE(r->ptes[i]);
	kvfree(r->ptes);
	kfree(r);
}

/* Clear the PTEs of @r inside [start, end). */
static void svmtest_range_zap(struct svmtest_file *st, struct svmtest_range *r,
			      unsigned long start, unsigned long end)
{
	unsigned long rstart = drm_gpusvm_range_start(&r->base);
	unsigned long rend = drm_gpusvm_range_end(&r->base);
	unsigned long i, last;

	if (!r->ptes)
		return;
	last = svmtest_pte_index(r, min(end, rend));
	for (i = svmtest_pte_index(r, max(start, rstart)); i < last; i++) {
		st->valid_ptes -= !!r->ptes[i];
		st->devmem_ptes -= !!(r->ptes[i] & SVMTEST_PTE_DEVMEM);
		r->ptes[i] = 0;
	}
}

/*
 * Only the span is cleared, not whole ranges: the core must widen the span
 * to every range it DMA-unmaps, and a PTE it forgot is caught by the check
 * in svmtest_range_access(). No TLB: the device walks its PTEs every time.
 */
static void svmtest_invalidate(struct drm_gpusvm *svm,
			       struct drm_gpusvm_notifier *notifier,
			       unsigned long start, unsigned long end)
{
	struct svmtest_file *st = to_svmtest_file(svm);
	struct drm_gpusvm_range *range;

	lockdep_assert_held_write(&svm->notifier_lock);
	st->invalidations++;
	drm_gpusvm_for_each_range(range, notifier, start, end)
		svmtest_range_zap(st, to_svmtest_range(range), start, end);
}

static const struct drm_gpusvm_ops svmtest_ops = {
	.range_alloc = svmtest_range_alloc,
	.range_free = svmtest_range_free,
	.invalidate = svmtest_invalidate,
};

/*
 * Allocate the PTEs of a range. Not in range_alloc: the core sets the
 * range's size only after that op returns.
 */
static int svmtest_range_alloc_ptes(struct svmtest_file *st,
				    struct svmtest_range *r)
{
	unsigned long n = drm_gpusvm_range_size(&r->base) >> PAGE_SHIFT;
	u64 *ptes;

	lockdep_assert_held(&st->lock);
	if (r->ptes)
		return 0;
	ptes = kvcalloc(n, sizeof(*ptes), GFP_KERNEL);
	if (!ptes)
		return -ENOMEM;
	/* The invalidate op reads the pointer under the notifier lock. */
	drm_gpusvm_notifier_lock(&st->svm);
	r->ptes = ptes;
	drm_gpusvm_notifier_unlock(&st->svm);
	return 0;
}

/* Write the PTEs of one DMA chunk; a hole clears them. */
static void svmtest_ptes_write(struct svmtest_file *st, u64 *ptes,
			       const struct drm_gpusvm_dma *dma)
{
	u64 flags = SVMTEST_PTE_VALID | (dma->writable ? SVMTEST_PTE_WRITE : 0) |
		    (dma->devmem ? SVMTEST_PTE_DEVMEM : 0);
	unsigned long i, n = 1UL << dma->order;

	for (i = 0; i < n; i++) {
		u64 pte = dma->present ?
			  (drm_gpusvm_dma_addr(dma) + (i << PAGE_SHIFT)) | flags : 0;

		st->valid_ptes += !!pte;
		st->valid_ptes -= !!ptes[i];
		st->devmem_ptes += !!(pte & SVMTEST_PTE_DEVMEM);
		st->devmem_ptes -= !!(ptes[i] & SVMTEST_PTE_DEVMEM);
		ptes[i] = pte;
	}
}

/* Bind the collected pages of @r; notifier lock held, pages valid. */
static void svmtest_range_bind(struct svmtest_file *st, struct svmtest_range *r)
{
	struct drm_gpusvm_range *range = &r->base;
	struct drm_gpusvm_dma *dma;
	unsigned int order = 0;
	unsigned long va;

	drm_gpusvm_for_each_dma(dma, va, &range->pages,
				drm_gpusvm_range_start(range)) {
		svmtest_ptes_write(st, r->ptes + svmtest_pte_index(r, va), dma);
		if (dma->present)
			order = max_t(unsigned int, order, dma->order);
	}
	st->last_bind_order = order;
}

/*
 * The device fault handler: collect the pages of @r and bind them.
 * Return: 0, -EAGAIN when an invalidation beat the bind, or a core error.
 */
static int svmtest_range_fault(struct svmtest_file *st, struct svmtest_range *r,
			       const struct drm_gpusvm_ctx *ctx)
{
	int err;

	err = svmtest_range_alloc_ptes(st, r);
	if (err)
		return err;
	err = drm_gpusvm_range_get_pages(&st->svm, &r->base, ctx);
	if (err)
		return err;

	drm_gpusvm_notifier_lock(&st->svm);
	if (drm_gpusvm_range_pages_valid(&st->svm, &r->base))
		svmtest_range_bind(st, r);
	else
		err = -EAGAIN;
	drm_gpusvm_notifier_unlock(&st->svm);
	return err;
}

/*
 * The device accessing @len bytes at @va, inside one page, through its PTE.
 * Return: 0, or -ENOENT for a device page fault (PTE missing or read-only).
 */
static int svmtest_range_access(struct svmtest_file *st,
				struct svmtest_range *r, unsigned long va,
				void *buf, size_t len, bool write)
{
	int err = -ENOENT;
	void *vaddr;
	u64 pte;

	drm_gpusvm_notifier_lock(&st->svm);
	pte = r->ptes ? r->ptes[svmtest_pte_index(r, va)] : 0;
	if (!(pte & SVMTEST_PTE_VALID) || (write && !(pte & SVMTEST_PTE_WRITE)))
		goto out_unlock;
	/* A PTE left over a DMA-unmapped page: the core broke R6. */
	if (WARN_ON_ONCE(!drm_gpusvm_range_pages_valid(&st->svm, &r->base))) {
		err = -EIO;
		goto out_unlock;
	}

	if (pte & SVMTEST_PTE_DEVMEM)
		vaddr = svmtest_vram_vaddr(pte & SVMTEST_PTE_ADDR_MASK);
	else
		vaddr = phys_to_virt(dma_to_phys(st->svm.dev,
						 pte & SVMTEST_PTE_ADDR_MASK));
	/* A device address that is no VRAM page of ours: the core broke R15. */
	if (WARN_ON_ONCE(!vaddr)) {
		err = -EIO;
		goto out_unlock;
	}
	vaddr += offset_in_page(va);
	if (write)
		memcpy(vaddr, buf, len);
	else
		memcpy(buf, vaddr, len);
	err = 0;
out_unlock:
	drm_gpusvm_notifier_unlock(&st->svm);
	return err;
}

/* One device access inside one page, faulting until the PTE allows it. */
static int svmtest_access_page(struct svmtest_file *st, unsigned long va,
			       void *buf, size_t len, bool write)
{
	struct drm_gpusvm_ctx ctx = { .read_only = !write };
	struct drm_gpusvm_range *range;
	unsigned int tries;
	int err;

	lockdep_assert_held(&st->lock);
	for (tries = 0; tries < SVMTEST_MAX_TRIES; tries++) {
		range = drm_gpusvm_range_find_or_insert(&st->svm, va, &ctx);
		if (IS_ERR(range))
			return PTR_ERR(range);
		err = svmtest_range_access(st, to_svmtest_range(range), va,
					   buf, len, write);
		/* After a successful fault, -EAGAIN retries the access. */
		if (err == -ENOENT)
			err = svmtest_range_fault(st, to_svmtest_range(range),
						  &ctx) ?: -EAGAIN;
		drm_gpusvm_range_put(range);
		if (err != -EAGAIN)
			return err;
	}
	return -EBUSY;
}

/* Copy one page's worth between the user buffer and the device. */
static int svmtest_copy_page(struct svmtest_file *st, unsigned long va,
			     void __user *ubuf, void *bounce, size_t len,
			     bool write)
{
	int err;

	if (write && copy_from_user(bounce, ubuf, len))
		return -EFAULT;
	mutex_lock(&st->lock);
	err = svmtest_access_page(st, va, bounce, len, write);
	mutex_unlock(&st->lock);
	if (!err && !write && copy_to_user(ubuf, bounce, len))
		return -EFAULT;
	return err;
}

/* Reject flags, empty, wrapping and out-of-user-VA spans. */
static int svmtest_check_span(u64 addr, u64 size, u64 flags, bool aligned)
{
	u64 end;

	if (flags || !size || check_add_overflow(addr, size, &end) ||
	    end > TASK_SIZE)
		return -EINVAL;
	if (aligned && (!PAGE_ALIGNED(addr) || !PAGE_ALIGNED(size)))
		return -EINVAL;
	return 0;
}

static int svmtest_ioctl_access(struct svmtest_file *st, void __user *uarg,
				bool write)
{
	struct drm_gpusvm_selftest_access args;
	size_t done, len;
	void *bounce;
	int err;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	err = svmtest_check_span(args.addr, args.size, args.flags, false);
	if (err)
		return err;
	if (!access_ok(u64_to_user_ptr(args.buf), args.size))
		return -EFAULT;

	bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	for (done = 0; done < args.size && !err; done += len) {
		unsigned long va = args.addr + done;

		len = min_t(u64, args.size - done,
			    PAGE_SIZE - offset_in_page(va));
		err = svmtest_copy_page(st, va,
					u64_to_user_ptr(args.buf + done),
					bounce, len, write);
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
	}
	kfree(bounce);
	return err;
}

/*
 * Map the present pages of the range at @va; holes stay holes (R16). On
 * -EAGAIN the range is looked up again: an invalidation may have removed it.
 */
static int svmtest_prefetch_range(struct svmtest_file *st, unsigned long va,
				  unsigned long *next)
{
	struct drm_gpusvm_ctx ctx = { .read_only = 1, .prefetch = 1 };
	struct drm_gpusvm_range *range;
	unsigned int tries;
	int err;

	for (tries = 0; tries < SVMTEST_MAX_TRIES; tries++) {
		range = drm_gpusvm_range_find_or_insert(&st->svm, va, &ctx);
		if (IS_ERR(range))
			return PTR_ERR(range);
		*next = drm_gpusvm_range_end(range);
		err = svmtest_range_fault(st, to_svmtest_range(range), &ctx);
		drm_gpusvm_range_put(range);
		if (err != -EAGAIN)
			return err;
	}
	return -EBUSY;
}

static int svmtest_ioctl_prefetch(struct svmtest_file *st, void __user *uarg)
{
	struct drm_gpusvm_selftest_prefetch args;
	unsigned long va;
	int err;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	err = svmtest_check_span(args.addr, args.size, args.flags, true);
	if (err)
		return err;

	mutex_lock(&st->lock);
	for (va = args.addr; va < args.addr + args.size && !err; )
		err = svmtest_prefetch_range(st, va, &va);
	mutex_unlock(&st->lock);
	return err;
}

/* Migrate the whole range @range to VRAM, unless the policy refuses. */
static int svmtest_migrate_one(struct svmtest_file *st,
			       struct drm_gpusvm_range *range,
			       const struct drm_gpusvm_ctx *ctx)
{
	unsigned long npages = drm_gpusvm_range_size(range) >> PAGE_SHIFT;
	struct svmtest_vram *v;
	long moved;
	int err;

	if (!drm_gpusvm_range_want_devmem(range, ctx, &svmtest_dpagemap)) {
		st->migrate_refused++;
		return 0;
	}
	v = kzalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	err = drm_pagemap_devmem_init(&v->base, &svmtest_dpagemap, npages, NULL);
	if (err) {
		kfree(v);
		return err;
	}
	moved = drm_gpusvm_range_migrate_to_devmem(&st->svm, range, &v->base);
	drm_pagemap_devmem_put(&v->base);
	/* Best effort (R3): another migrator of the range is no error. */
	if (moved == -EBUSY)
		return 0;
	if (moved < 0)
		return moved;
	st->pages_migrated += moved;
	return 0;
}

/* Migrate the range at @va; on -EAGAIN it is looked up again. */
static int svmtest_migrate_range(struct svmtest_file *st, unsigned long va,
				 unsigned long *next)
{
	struct drm_gpusvm_ctx ctx = { .preferred = DRM_GPUSVM_LOC_DEVICE };
	struct drm_gpusvm_range *range;
	unsigned int tries;
	int err;

	for (tries = 0; tries < SVMTEST_MAX_TRIES; tries++) {
		range = drm_gpusvm_range_find_or_insert(&st->svm, va, &ctx);
		if (IS_ERR(range))
			return PTR_ERR(range);
		*next = drm_gpusvm_range_end(range);
		err = svmtest_migrate_one(st, range, &ctx);
		drm_gpusvm_range_put(range);
		if (err != -EAGAIN)
			return err;
	}
	return -EBUSY;
}

static int svmtest_ioctl_migrate(struct svmtest_file *st, void __user *uarg)
{
	struct drm_gpusvm_selftest_migrate args;
	unsigned long va;
	int err;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	err = svmtest_check_span(args.addr, args.size, args.flags, true);
	if (err)
		return err;

	mutex_lock(&st->lock);
	for (va = args.addr; va < args.addr + args.size && !err; ) {
		err = svmtest_migrate_range(st, va, &va);
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
	}
	mutex_unlock(&st->lock);
	return err;
}

static int svmtest_ioctl_stats(struct svmtest_file *st, void __user *uarg)
{
	struct drm_gpusvm_stats *core = &st->svm.stats;
	struct drm_gpusvm_selftest_stats args = {
		.faults = atomic64_read(&core->faults),
		.ranges_created = atomic64_read(&core->ranges_created),
		.pages_mapped = atomic64_read(&core->pages_mapped),
		.retries = atomic64_read(&core->retries),
		.invalidations = atomic64_read(&core->invalidations),
		.gc_ranges = atomic64_read(&core->gc_ranges),
		.notifiers = atomic64_read(&core->notifiers),
		.thrash_events = atomic64_read(&core->thrash_events),
		.pages_to_ram = atomic64_read(&svmtest_dpagemap.stats.pages_to_ram),
		.cpu_faults = atomic64_read(&svmtest_dpagemap.stats.cpu_faults),
	};

	mutex_lock(&st->lock);
	drm_gpusvm_notifier_lock(&st->svm);
	args.device_invalidations = st->invalidations;
	args.valid_ptes = st->valid_ptes;
	args.devmem_ptes = st->devmem_ptes;
	drm_gpusvm_notifier_unlock(&st->svm);
	args.last_bind_max_order = st->last_bind_order;
	args.pages_migrated = st->pages_migrated;
	args.migrate_refused = st->migrate_refused;
	mutex_unlock(&st->lock);

	return copy_to_user(uarg, &args, sizeof(args)) ? -EFAULT : 0;
}

static long svmtest_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct svmtest_file *st = file->private_data;
	void __user *uarg = (void __user *)arg;

	/* The device mirrors the opener's mm only, not a forked child's. */
	if (current->mm != st->svm.mm)
		return -EBADF;

	switch (cmd) {
	case DRM_GPUSVM_SELFTEST_READ:
		return svmtest_ioctl_access(st, uarg, false);
	case DRM_GPUSVM_SELFTEST_WRITE:
		return svmtest_ioctl_access(st, uarg, true);
	case DRM_GPUSVM_SELFTEST_PREFETCH:
		return svmtest_ioctl_prefetch(st, uarg);
	case DRM_GPUSVM_SELFTEST_STATS:
		return svmtest_ioctl_stats(st, uarg);
	case DRM_GPUSVM_SELFTEST_MIGRATE:
		return svmtest_ioctl_migrate(st, uarg);
	default:
		return -ENOTTY;
	}
}

static int svmtest_open(struct inode *inode, struct file *file)
{
	struct svmtest_file *st;
	int err;

	if (!current->mm)
		return -EINVAL;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	mutex_init(&st->lock);

	err = drm_gpusvm_init(&st->svm, SVMTEST_NAME, &svmtest_pdev->dev,
			      current->mm, &svmtest_owner, 0,
			      TASK_SIZE & PAGE_MASK, 0,
			      &svmtest_ops);
	if (err)
		goto err_free;
	drm_gpusvm_driver_set_lock(&st->svm,
				   drm_gpusvm_driver_lockdep_map(&st->lock));
	file->private_data = st;
	return 0;

err_free:
	mutex_destroy(&st->lock);
	kfree(st);
	return err;
}

/* Every range reference is dropped before an ioctl returns. */
static int svmtest_release(struct inode *inode, struct file *file)
{
	struct svmtest_file *st = file->private_data;

	drm_gpusvm_fini(&st->svm);
	WARN_ON(st->valid_ptes || st->devmem_ptes);
	mutex_destroy(&st->lock);
	kfree(st);
	return 0;
}

static const struct file_operations svmtest_fops = {
	.owner = THIS_MODULE,
	.open = svmtest_open,
	.release = svmtest_release,
	.unlocked_ioctl = svmtest_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice svmtest_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = SVMTEST_NAME,
	.fops = &svmtest_fops,
};

static void svmtest_vram_free(void)
{
	unsigned long i;

	for (i = 0; svmtest_vram_backing && i < SVMTEST_VRAM_PAGES; i++)
		if (svmtest_vram_backing[i])
			__free_page(svmtest_vram_backing[i]);
	kvfree(svmtest_vram_backing);
	bitmap_free(svmtest_vram_bitmap);
}

/* The backing pages and the allocator of the fake VRAM. */
static int svmtest_vram_alloc(void)
{
	unsigned long i;

	svmtest_vram_bitmap = bitmap_zalloc(SVMTEST_VRAM_PAGES, GFP_KERNEL);
	svmtest_vram_backing = kvcalloc(SVMTEST_VRAM_PAGES,
					sizeof(*svmtest_vram_backing),
					GFP_KERNEL);
	if (!svmtest_vram_bitmap || !svmtest_vram_backing)
		goto err_free;
	for (i = 0; i < SVMTEST_VRAM_PAGES; i++) {
		svmtest_vram_backing[i] = alloc_page(GFP_KERNEL);
		if (!svmtest_vram_backing[i])
			goto err_free;
	}
	return 0;

err_free:
	svmtest_vram_free();
	return -ENOMEM;
}

static int __init svmtest_init(void)
{
	int err;

	svmtest_pdev = platform_device_register_simple(SVMTEST_NAME,
						       PLATFORM_DEVID_NONE,
						       NULL, 0);
	if (IS_ERR(svmtest_pdev))
		return PTR_ERR(svmtest_pdev);
	/* dev.dma_mask points at pdev->platform_dma_mask already. */
	err = dma_set_mask_and_coherent(&svmtest_pdev->dev, DMA_BIT_MASK(64));
	if (err)
		goto err_unregister_pdev;

	err = svmtest_vram_alloc();
	if (err)
		goto err_unregister_pdev;
	err = drm_pagemap_init(&svmtest_dpagemap, &svmtest_pdev->dev,
			       &svmtest_owner, SVMTEST_VRAM_SIZE,
			       &svmtest_pagemap_ops);
	if (err)
		goto err_free_vram;

	svmtest_misc.parent = &svmtest_pdev->dev;
	err = misc_register(&svmtest_misc);
	if (err)
		goto err_fini_pagemap;
	return 0;

err_fini_pagemap:
	drm_pagemap_fini(&svmtest_dpagemap);
err_free_vram:
	svmtest_vram_free();
err_unregister_pdev:
	platform_device_unregister(svmtest_pdev);
	return err;
}

static void __exit svmtest_exit(void)
{
	misc_deregister(&svmtest_misc);
	/* Moves every page still in VRAM home, through the backing pages. */
	drm_pagemap_fini(&svmtest_dpagemap);
	svmtest_vram_free();
	platform_device_unregister(svmtest_pdev);
}

module_init(svmtest_init);
module_exit(svmtest_exit);

MODULE_DESCRIPTION("Test device driving drm_gpusvm from user space");
MODULE_LICENSE("Dual MIT/GPL");
