// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/xarray.h>

#include "amdgpu_glue.h"
#include "amdgpu_glue_drm.h"

/**
 * DOC: Page tables
 *
 * amdgpu-style GPU page tables: the leaves are page-table blocks (PTBs),
 * 4 KiB pages of 512 u64 entries, one entry per 4 KiB page of VA, so a PTB
 * covers 2 MiB. Larger pages are not separate entry sizes as on xe: every
 * entry of a naturally aligned, physically contiguous block of 2^frag
 * pages carries the same fragment field (%AMDGPU_GLUE_PTE_FRAG_MASK), and
 * the walker reports the whole block as one translation, which the TLB
 * caches as one entry (frag 0, 4 and 9: 4 KiB, 64 KiB, 2 MiB, the sizes
 * simgpu's TLB knows). The directory levels above the PTBs are an xarray
 * indexed by VA >> 21 (&amdgpu_glue_ctx.ptbs): the hardware would walk
 * page-directory blocks; the kernel's radix tree does that job here, and
 * its lookups are RCU-safe, which is all the walker needs under
 * &simgpu_as.lock.
 *
 * Entries: %AMDGPU_GLUE_PTE_VALID and READABLE always; SYSTEM for system
 * memory (with SNOOPED for COHERENT spans); WRITEABLE when the CPU page is
 * writable and the span is not GPU_RO; EXECUTABLE for GPU_EXEC spans;
 * ATOMIC for VRAM and for pages the core made device-exclusive, the only
 * memory simgpu can do atomics on. Attributes are page granular, so a
 * fragment never spans pages with different attributes.
 *
 * Locking: PTBs are allocated by amdgpu_glue_pt_prepare() (the core's
 * bind_prepare op) with the VM lock held and no core lock, with
 * GFP_KERNEL; they are never freed before the context is, so a bind under
 * the notifier lock finds them, and a missing one (cannot happen) is
 * -EAGAIN. Entries are written by the bind (notifier lock read, VM lock)
 * and cleared by the invalidate ops (notifier lock write), always under
 * &simgpu_as.lock, the walker's lock: the walker never sees half a
 * fragment.
 */

static_assert(PAGE_SHIFT == 12);

/* The PTB of @va, or NULL. Any context: xa_load() is RCU-safe. */
static u64 *amdgpu_glue_ptb(struct amdgpu_glue_ctx *ctx, unsigned long va)
{
	return xa_load(&ctx->ptbs, va >> AMDGPU_GLUE_PTB_SHIFT);
}

static unsigned int amdgpu_glue_pte_index(unsigned long va)
{
	return (va >> PAGE_SHIFT) & (AMDGPU_GLUE_PTB_ENTRIES - 1);
}

/**
 * amdgpu_glue_pt_prepare() - &drm_gpusvm_ops.bind_prepare: allocate PTBs
 * @gpusvm: The context's gpusvm
 * @range: The range about to be bound
 *
 * Context: VM lock held, no core lock: may sleep and allocate.
 *
 * Return: 0 or -ENOMEM.
 */
int amdgpu_glue_pt_prepare(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_range *range)
{
	struct amdgpu_glue_ctx *ctx = to_amdgpu_glue_ctx(gpusvm);
	unsigned long idx = drm_gpusvm_range_start(range) >> AMDGPU_GLUE_PTB_SHIFT;
	unsigned long last = (drm_gpusvm_range_end(range) - 1) >> AMDGPU_GLUE_PTB_SHIFT;
	int err;

	lockdep_assert_held(&ctx->lock);
	for (; idx <= last; idx++) {
		void *ptb;

		if (xa_load(&ctx->ptbs, idx))
			continue;
		ptb = (void *)get_zeroed_page(GFP_KERNEL);
		if (!ptb)
			return -ENOMEM;
		/* The VM lock serialises preparers: the slot is free */
		err = xa_insert(&ctx->ptbs, idx, ptb, GFP_KERNEL);
		if (err) {
			free_page((unsigned long)ptb);
			return err;
		}
	}
	return 0;
}

/* Entry bits of a chunk, before the fragment and the address. */
static u64 amdgpu_glue_pte_flags(const struct drm_gpusvm_dma *dma,
				 const struct amdgpu_glue_attr *attr)
{
	u64 pte = AMDGPU_GLUE_PTE_VALID | AMDGPU_GLUE_PTE_READABLE;

	if (dma->writable && !(attr->flags & DRM_AMDGPU_GLUE_SVM_FLAG_GPU_RO))
		pte |= AMDGPU_GLUE_PTE_WRITEABLE;
	if (attr->flags & DRM_AMDGPU_GLUE_SVM_FLAG_GPU_EXEC)
		pte |= AMDGPU_GLUE_PTE_EXECUTABLE;
	if (!dma->devmem) {
		pte |= AMDGPU_GLUE_PTE_SYSTEM;
		if (attr->flags & DRM_AMDGPU_GLUE_SVM_FLAG_COHERENT)
			pte |= AMDGPU_GLUE_PTE_SNOOPED;
	}
	if (dma->devmem || dma->exclusive)
		pte |= AMDGPU_GLUE_PTE_ATOMIC;
	return pte;
}

/*
 * The fragment (log2 pages) of the block starting at @va: the largest of
 * 2 MiB, 64 KiB, 4 KiB that @va and @addr are aligned to and that ends by
 * @limit (end of the chunk and of the attribute extent).
 */
static unsigned int amdgpu_glue_frag(unsigned long va, u64 addr,
				     unsigned long limit)
{
	static const unsigned int frags[] = { 9, 4 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(frags); i++) {
		unsigned long size = PAGE_SIZE << frags[i];

		if (IS_ALIGNED(va, size) && IS_ALIGNED(addr, size) &&
		    limit - va >= size)
			return frags[i];
	}
	return 0;
}

/* Write @n entries from @va, @pte for the first (0: clear). */
static int amdgpu_glue_pte_write(struct amdgpu_glue_ctx *ctx, unsigned long va,
				 u64 pte, unsigned long n,
				 unsigned long *mapped)
{
	u64 *ptb = NULL;
	unsigned long i;

	for (i = 0; i < n; i++, va += PAGE_SIZE) {
		u64 e = pte ? pte + (i << PAGE_SHIFT) : 0;
		u64 *slot;

		/* One lookup per PTB, not per entry (make bench's profile) */
		if (!ptb || !amdgpu_glue_pte_index(va))
			ptb = amdgpu_glue_ptb(ctx, va);
		if (!ptb)
			return pte ? -EAGAIN : 0;
		slot = &ptb[amdgpu_glue_pte_index(va)];
		if (e && READ_ONCE(*slot) != e)
			(*mapped)++;
		WRITE_ONCE(*slot, e);
	}
	return 0;
}

/*
 * The attributes of a bind's addresses, which only go up: one lookup per
 * attribute piece, not per chunk (a chunk is a page without THP).
 */
struct amdgpu_glue_attr_cursor {
	struct amdgpu_glue_attr attr;
	unsigned long end;	/* Of the piece @attr holds for; 0: none yet */
};

static void amdgpu_glue_attr_seek(struct amdgpu_glue_ctx *ctx,
				  struct amdgpu_glue_attr_cursor *c,
				  unsigned long va)
{
	if (va >= c->end)
		c->attr = amdgpu_glue_attr_at(ctx, va, NULL, &c->end);
}

/* Map one present chunk, block by block with the largest fragments. */
static int amdgpu_glue_bind_chunk(struct amdgpu_glue_ctx *ctx, unsigned long va,
				  const struct drm_gpusvm_dma *dma,
				  struct amdgpu_glue_attr_cursor *c,
				  unsigned long *mapped)
{
	unsigned long end = va + (PAGE_SIZE << dma->order), off = 0;
	int err = 0;

	while (va + off < end && !err) {
		unsigned long limit, n;
		unsigned int frag;
		u64 pte;

		amdgpu_glue_attr_seek(ctx, c, va + off);
		limit = min(end, c->end);
		frag = amdgpu_glue_frag(va + off, drm_gpusvm_dma_addr(dma) + off, limit);
		n = 1UL << frag;
		pte = (drm_gpusvm_dma_addr(dma) + off) | amdgpu_glue_pte_flags(dma, &c->attr) |
		      ((u64)frag << AMDGPU_GLUE_PTE_FRAG_SHIFT);
		err = amdgpu_glue_pte_write(ctx, va + off, pte, n, mapped);
		off += n << PAGE_SHIFT;
	}
	return err;
}

/**
 * amdgpu_glue_pt_bind() - &drm_gpusvm_ops.bind: write a range's entries
 * @gpusvm: The context's gpusvm
 * @range: The range; its pages are current (the core checked)
 * @addr: The address whose atomic permission goes to @atomic
 * @atomic: Set to whether @addr's entry allows device atomics
 *
 * Holes (chunks not present) are cleared.
 *
 * Context: VM lock and the notifier lock (read) held: no sleeping, no
 * allocation; takes &simgpu_as.lock.
 *
 * Return: 0, or -EAGAIN if a PTB is missing.
 */
int amdgpu_glue_pt_bind(struct drm_gpusvm *gpusvm,
			struct drm_gpusvm_range *range, unsigned long addr,
			bool *atomic)
{
	struct amdgpu_glue_ctx *ctx = to_amdgpu_glue_ctx(gpusvm);
	struct amdgpu_glue_attr_cursor c = { .end = 0 };
	unsigned long va, mapped = 0;
	struct drm_gpusvm_dma *dma;
	int err = 0;

	lockdep_assert_held(&ctx->lock);
	lockdep_assert_held(&gpusvm->notifier_lock);
	*atomic = false;
	spin_lock(&ctx->as.lock);
	drm_gpusvm_for_each_dma(dma, va, &range->pages,
				drm_gpusvm_range_start(range)) {
		unsigned long n = 1UL << dma->order;

		if (addr >= va && addr - va < (n << PAGE_SHIFT))
			*atomic = dma->present && (dma->devmem || dma->exclusive);
		if (dma->present)
			err = amdgpu_glue_bind_chunk(ctx, va, dma, &c, &mapped);
		else
			err = amdgpu_glue_pte_write(ctx, va, 0, n, &mapped);
		if (err)
			break;
	}
	spin_unlock(&ctx->as.lock);
	atomic64_add(mapped, &ctx->stats.pages_mapped);
	return err;
}

/**
 * amdgpu_glue_pt_zap() - Clear every entry of a span
 * @ctx: The context
 * @start: Start, page aligned
 * @end: End (exclusive), page aligned
 *
 * The caller flushes the TLB. Callers zap whole ranges, so no fragment is
 * left half mapped.
 *
 * Context: Notifier lock held (write), reclaim: no allocation, no sleep;
 * takes &simgpu_as.lock.
 *
 * Return: true when a valid entry was cleared.
 */
bool amdgpu_glue_pt_zap(struct amdgpu_glue_ctx *ctx, unsigned long start,
			unsigned long end)
{
	bool zapped = false;
	unsigned long va;

	spin_lock(&ctx->as.lock);
	for (va = start; va < end; ) {
		u64 *ptb = amdgpu_glue_ptb(ctx, va);
		unsigned long blk_end = (va | (BIT(AMDGPU_GLUE_PTB_SHIFT) - 1)) + 1;

		blk_end = min(blk_end, end);
		for (; ptb && va < blk_end; va += PAGE_SIZE) {
			u64 *slot = &ptb[amdgpu_glue_pte_index(va)];

			zapped |= READ_ONCE(*slot) & AMDGPU_GLUE_PTE_VALID;
			WRITE_ONCE(*slot, 0);
		}
		va = blk_end;
	}
	spin_unlock(&ctx->as.lock);
	return zapped;
}

/*
 * The walker's PTB lookup, through a cache of the last PTB: a sequential
 * access walks 512 pages of one PTB, and an xarray lookup per page was a
 * tenth of the fault-in time in make bench's profile.
 */
static u64 *amdgpu_glue_walk_ptb(struct amdgpu_glue_ctx *ctx, unsigned long va)
{
	unsigned long idx = va >> AMDGPU_GLUE_PTB_SHIFT;
	u64 *ptb;

	lockdep_assert_held(&ctx->as.lock);
	if (ctx->walk_ptb && ctx->walk_idx == idx)
		return ctx->walk_ptb;
	ptb = amdgpu_glue_ptb(ctx, va);
	if (ptb) {
		ctx->walk_ptb = ptb;
		ctx->walk_idx = idx;
	}
	return ptb;
}

/**
 * amdgpu_glue_pt_walk() - &simgpu_as_ops.walk: translate through the PTBs
 * @as: The context's address space
 * @va: GPU VA
 * @xl: Out: the translation, a whole fragment
 *
 * Context: &simgpu_as.lock held; reads entries with READ_ONCE().
 *
 * Return: true when a valid entry maps @va.
 */
bool amdgpu_glue_pt_walk(struct simgpu_as *as, u64 va, struct simgpu_xlate *xl)
{
	struct amdgpu_glue_ctx *ctx = container_of(as, struct amdgpu_glue_ctx, as);
	unsigned int shift;
	u64 *ptb, pte;

	lockdep_assert_held(&as->lock);
	/* Evicted: the tables are detached from the MMU (DOC: Eviction...) */
	if (va >= TASK_SIZE || READ_ONCE(ctx->evicted))
		return false;
	ptb = amdgpu_glue_walk_ptb(ctx, va);
	pte = ptb ? READ_ONCE(ptb[amdgpu_glue_pte_index(va)]) : 0;
	if (!(pte & AMDGPU_GLUE_PTE_VALID))
		return false;
	shift = PAGE_SHIFT + FIELD_GET(AMDGPU_GLUE_PTE_FRAG_MASK, pte);
	xl->addr = pte & AMDGPU_GLUE_PTE_ADDR_MASK & ~(BIT_ULL(shift) - 1);
	xl->shift = shift;
	xl->flags = SIMGPU_XLATE_VALID;
	if (pte & AMDGPU_GLUE_PTE_WRITEABLE)
		xl->flags |= SIMGPU_XLATE_WRITE;
	if (pte & AMDGPU_GLUE_PTE_ATOMIC)
		xl->flags |= SIMGPU_XLATE_ATOMIC;
	return true;
}

/**
 * amdgpu_glue_pt_fini() - Free every PTB
 * @ctx: The context; nothing walks its tables any more
 */
void amdgpu_glue_pt_fini(struct amdgpu_glue_ctx *ctx)
{
	unsigned long idx;
	void *ptb;

	xa_for_each(&ctx->ptbs, idx, ptb)
		free_page((unsigned long)ptb);
	xa_destroy(&ctx->ptbs);
}
