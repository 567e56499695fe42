// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sizes.h>

#include "nouveau_glue.h"

/**
 * DOC: Page tables
 *
 * The GP100 (Pascal) layout nouveau programs, walked by simgpu's MMU
 * through nvg_vmm_walk(): a 49-bit VA, three plain page directories and a
 * *dual* one above two kinds of page table::
 *
 *	PD3  VA[48:47]    4 PDEs
 *	PD2  VA[46:38]  512 PDEs
 *	PD1  VA[37:29]  512 PDEs
 *	PD0  VA[28:21]  256 dual PDEs of 16 bytes: { big, small }
 *	  big:   a 2 MiB PTE (bit 0 set), or the PDE of an LPT
 *	  small: the PDE of an SPT
 *	LPT  VA[20:16]   32 PTEs of 64 KiB ("big pages")
 *	SPT  VA[20:12]  512 PTEs of 4 KiB
 *
 * The MMU looks at the big half first: a 2 MiB PTE wins, then a valid
 * LPTE, and only where the LPTE is invalid does it look at the SPT, as
 * GP100 does when both tables of a dual PDE are present. So a 2 MiB block
 * can mix 64 KiB and 4 KiB pages, and each 64 KiB slot has exactly one
 * meaning: the bind writes an LPTE only with the 16 SPTEs under it clear,
 * and clears an LPTE before it writes an SPT entry under it.
 *
 * Entries are encoded as on GP100 (nouveau's gp100_vmm_pgt_pte()): the
 * address shifted right by 4 (from bit 8 up for a PTE's 4 KiB-aligned
 * page, from bit 4 up for a PDE's 256-byte-aligned table), an aperture in
 * bits 2:1 (VRAM or coherent system memory), and *restrictions* rather
 * than permissions: %NVG_PTE_RO and %NVG_PTE_NO_ATOMIC. A PDE has bit 0
 * clear and a non-zero aperture. A VRAM PTE holds the VRAM offset; the walker
 * puts %SIMGPU_VRAM_TAG back.
 *
 * Atomics are allowed (no %NVG_PTE_NO_ATOMIC) only on VRAM and on system
 * memory the core made device-exclusive: the CPU can reach anything else
 * behind the device's back.
 *
 * Memory: directories, PD0 and SPTs are pages, an LPT is 256 bytes
 * (kzalloc, naturally aligned). nvg_vmm_prepare(), the core's
 * bind_prepare op, allocates with GFP_KERNEL under the VM lock what a
 * range's 2 MiB blocks may need (directories, an SPT, an LPT unless a
 * 2 MiB PTE holds the block), because the bind runs under the notifier
 * lock, a reclaim lock, and must not allocate. A bind that finds a table
 * missing returns -EAGAIN and the core prepares again. Tables stay until
 * the channel goes, except an LPT a 2 MiB PTE replaces: the walker never
 * caches directories, so once it is unlinked under &simgpu_as.lock it is
 * unreachable and freed after the lock.
 *
 * Locking: every table write happens under &simgpu_as.lock, the walker's
 * lock, and the walker reads with READ_ONCE(). Tables are added only
 * with the VM lock held. PTEs are written by the bind (VM lock, notifier
 * lock read) and cleared by nvg_vmm_unmap() (notifier lock write, from
 * the invalidate ops): the notifier lock orders the two.
 */

/* Entry bits, see DOC: Page tables. */
#define NVG_PTE_VALID		BIT_ULL(0)
#define NVG_APER_SHIFT		1
#define NVG_APER_MASK		GENMASK_ULL(2, 1)
#define NVG_APER_VRAM		0ULL
#define NVG_APER_SYS_COH	2ULL
#define NVG_PDE_APER_SYS	(1ULL << NVG_APER_SHIFT)
#define NVG_PTE_VOL		BIT_ULL(3)
#define NVG_PTE_RO		BIT_ULL(6)
#define NVG_PTE_NO_ATOMIC	BIT_ULL(7)
/* Address fields: PTEs map 4 KiB-aligned pages, PDEs 256 B-aligned tables */
#define NVG_PTE_ADDR_MASK	GENMASK_ULL(63, 8)
#define NVG_PDE_ADDR_MASK	GENMASK_ULL(63, 4)

#define NVG_VA_BITS		49
#define NVG_PD0_SHIFT		21
#define NVG_PD0_ENTRIES		256
#define NVG_LPT_SHIFT		16
#define NVG_LPT_ENTRIES		32
#define NVG_SPT_SHIFT		12
#define NVG_SPT_ENTRIES		512
#define NVG_LPT_BYTES		(NVG_LPT_ENTRIES * sizeof(u64))
#define NVG_BLOCK		(1UL << NVG_PD0_SHIFT)

/* The plain directories, top down: shift of the VA bits each indexes. */
static const unsigned int nvg_pd_shift[] = { 47, 38, 29 };
static const unsigned int nvg_pd_entries[] = { 4, 512, 512 };

static_assert(PAGE_SHIFT == 12);
static_assert(NVG_PD0_ENTRIES * 2 * sizeof(u64) == PAGE_SIZE);

static unsigned int nvg_idx(u64 va, unsigned int shift, unsigned int entries)
{
	return (va >> shift) & (entries - 1);
}

static u64 nvg_pde(void *table)
{
	return ((u64)virt_to_phys(table) >> 4) | NVG_PDE_APER_SYS;
}

static bool nvg_pde_present(u64 pde)
{
	return !(pde & NVG_PTE_VALID) && (pde & NVG_APER_MASK);
}

static u64 *nvg_pde_table(u64 pde)
{
	return phys_to_virt((pde & NVG_PDE_ADDR_MASK) << 4);
}

/* The device address a PTE maps. */
static u64 nvg_pte_addr(u64 pte)
{
	u64 addr = (pte & NVG_PTE_ADDR_MASK) << 4;

	if (((pte & NVG_APER_MASK) >> NVG_APER_SHIFT) == NVG_APER_VRAM)
		addr |= SIMGPU_VRAM_TAG;
	return addr;
}

/* The PTE for device address @addr with the restrictions of @dma. */
static u64 nvg_pte(u64 addr, const struct drm_gpusvm_dma *dma)
{
	u64 pte = NVG_PTE_VALID | ((addr & ~SIMGPU_VRAM_TAG) >> 4);

	if (dma->devmem)
		pte |= NVG_APER_VRAM << NVG_APER_SHIFT;
	else
		pte |= (NVG_APER_SYS_COH << NVG_APER_SHIFT) | NVG_PTE_VOL;
	if (!dma->writable)
		pte |= NVG_PTE_RO;
	if (!dma->devmem && !dma->exclusive)
		pte |= NVG_PTE_NO_ATOMIC;
	return pte;
}

/* The PTE of @va in the page table @pde points to. */
static u64 nvg_pt_read(u64 pde, u64 va, unsigned int shift,
		       unsigned int entries)
{
	return READ_ONCE(nvg_pde_table(pde)[nvg_idx(va, shift, entries)]);
}

/* The PD0 dual entry of @va, or NULL when a directory above is missing. */
static u64 *nvg_pd0_entry(struct nvg_svmm *svmm, u64 va)
{
	u64 *pd = svmm->pd3;
	unsigned int l;

	for (l = 0; l < ARRAY_SIZE(nvg_pd_shift); l++) {
		u64 pde = READ_ONCE(pd[nvg_idx(va, nvg_pd_shift[l],
					       nvg_pd_entries[l])]);

		if (!nvg_pde_present(pde))
			return NULL;
		pd = nvg_pde_table(pde);
	}
	return &pd[2 * nvg_idx(va, NVG_PD0_SHIFT, NVG_PD0_ENTRIES)];
}

/**
 * nvg_vmm_walk() - The page walker simgpu's MMU calls on a TLB miss
 * @as: The address space, embedded in a &struct nvg_svmm
 * @va: GPU VA
 * @xl: Out: the translation
 *
 * Context: &simgpu_as.lock held; reads entries with READ_ONCE() only.
 *
 * Return: true when a valid PTE maps @va.
 */
bool nvg_vmm_walk(struct simgpu_as *as, u64 va, struct simgpu_xlate *xl)
{
	struct nvg_svmm *svmm = container_of(as, struct nvg_svmm, as);
	unsigned int shift;
	u64 *pd0, big, small, pte = 0;

	lockdep_assert_held(&as->lock);
	if (va >> NVG_VA_BITS)
		return false;
	pd0 = nvg_pd0_entry(svmm, va);
	if (!pd0)
		return false;
	big = READ_ONCE(pd0[0]);
	small = READ_ONCE(pd0[1]);
	shift = NVG_PD0_SHIFT;
	if (big & NVG_PTE_VALID) {
		pte = big;
	} else {
		if (nvg_pde_present(big)) {
			shift = NVG_LPT_SHIFT;
			pte = nvg_pt_read(big, va, shift, NVG_LPT_ENTRIES);
		}
		if (!(pte & NVG_PTE_VALID) && nvg_pde_present(small)) {
			shift = NVG_SPT_SHIFT;
			pte = nvg_pt_read(small, va, shift, NVG_SPT_ENTRIES);
		}
	}
	if (!(pte & NVG_PTE_VALID))
		return false;
	xl->addr = nvg_pte_addr(pte);
	xl->shift = shift;
	xl->flags = SIMGPU_XLATE_VALID;
	if (!(pte & NVG_PTE_RO))
		xl->flags |= SIMGPU_XLATE_WRITE;
	if (!(pte & NVG_PTE_NO_ATOMIC))
		xl->flags |= SIMGPU_XLATE_ATOMIC;
	return true;
}

/**
 * nvg_vmm_init() - Allocate the PD3 of a channel
 * @svmm: The channel's SVM
 *
 * Return: 0 or -ENOMEM.
 */
int nvg_vmm_init(struct nvg_svmm *svmm)
{
	svmm->pd3 = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!svmm->pd3)
		return -ENOMEM;
	atomic64_inc(&svmm->stats.tables);
	return 0;
}

/* Free a PD0 page with its SPTs and LPTs. */
static void nvg_vmm_free_pd0(u64 *pd0)
{
	unsigned int i;

	for (i = 0; i < NVG_PD0_ENTRIES; i++) {
		if (nvg_pde_present(pd0[2 * i]))
			kfree(nvg_pde_table(pd0[2 * i]));
		if (nvg_pde_present(pd0[2 * i + 1]))
			free_page((unsigned long)nvg_pde_table(pd0[2 * i + 1]));
	}
	free_page((unsigned long)pd0);
}

/* Free directory level @l (0 is PD3) and everything below it. */
static void nvg_vmm_free_pd(u64 *pd, unsigned int l)
{
	unsigned int i;

	for (i = 0; i < nvg_pd_entries[l]; i++) {
		if (!nvg_pde_present(pd[i]))
			continue;
		if (l + 1 < ARRAY_SIZE(nvg_pd_shift))
			nvg_vmm_free_pd(nvg_pde_table(pd[i]), l + 1);
		else
			nvg_vmm_free_pd0(nvg_pde_table(pd[i]));
	}
	free_page((unsigned long)pd);
}

/**
 * nvg_vmm_fini() - Free every table of a channel
 * @svmm: The channel's SVM; no job runs, every range was zapped
 */
void nvg_vmm_fini(struct nvg_svmm *svmm)
{
	if (svmm->pd3)
		nvg_vmm_free_pd(svmm->pd3, 0);
	svmm->pd3 = NULL;
}

/* Link a new table of @bytes under @slot unless one is there. */
static int nvg_vmm_link(struct nvg_svmm *svmm, u64 *slot, size_t bytes)
{
	void *table;

	if (nvg_pde_present(READ_ONCE(*slot)))
		return 0;
	table = bytes == PAGE_SIZE ? (void *)get_zeroed_page(GFP_KERNEL) :
				     kzalloc(bytes, GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	spin_lock(&svmm->as.lock);
	/* Only VM lock holders link tables: the slot is still empty */
	WRITE_ONCE(*slot, nvg_pde(table));
	spin_unlock(&svmm->as.lock);
	atomic64_inc(&svmm->stats.tables);
	return 0;
}

/* Directories, SPT and (unless a 2 MiB PTE holds it) LPT of one block. */
static int nvg_vmm_prepare_block(struct nvg_svmm *svmm, u64 va)
{
	u64 *pd = svmm->pd3, *pd0;
	unsigned int l;
	int err;

	for (l = 0; l < ARRAY_SIZE(nvg_pd_shift); l++) {
		u64 *slot = &pd[nvg_idx(va, nvg_pd_shift[l], nvg_pd_entries[l])];

		err = nvg_vmm_link(svmm, slot, PAGE_SIZE);
		if (err)
			return err;
		pd = nvg_pde_table(READ_ONCE(*slot));
	}
	pd0 = &pd[2 * nvg_idx(va, NVG_PD0_SHIFT, NVG_PD0_ENTRIES)];
	err = nvg_vmm_link(svmm, &pd0[1], PAGE_SIZE);
	if (err || (READ_ONCE(pd0[0]) & NVG_PTE_VALID))
		return err;
	return nvg_vmm_link(svmm, &pd0[0], NVG_LPT_BYTES);
}

/**
 * nvg_vmm_prepare() - &drm_gpusvm_ops.bind_prepare: tables for a range
 * @gpusvm: The channel's gpusvm
 * @range: The range about to be bound
 *
 * Context: Process context, VM lock held, no core lock: allocates with
 * GFP_KERNEL.
 *
 * Return: 0 or -ENOMEM.
 */
int nvg_vmm_prepare(struct drm_gpusvm *gpusvm, struct drm_gpusvm_range *range)
{
	struct nvg_svmm *svmm = to_nvg_svmm(gpusvm);
	unsigned long va;
	int err = 0;

	lockdep_assert_held(&svmm->lock);
	for (va = ALIGN_DOWN(drm_gpusvm_range_start(range), NVG_BLOCK);
	     va < drm_gpusvm_range_end(range) && !err; va += NVG_BLOCK)
		err = nvg_vmm_prepare_block(svmm, va);
	return err;
}

/**
 * struct nvg_bind - State of one bind
 * @svmm: The channel's SVM
 * @stale: LPTs that 2 MiB PTEs replaced, freed after &simgpu_as.lock
 * @nstale: Entries of @stale
 * @mapped: 4 KiB pages that became mapped
 * @exclusive: Device-exclusive system memory chunks bound
 */
struct nvg_bind {
	struct nvg_svmm *svmm;
	void *stale[8];
	unsigned int nstale;
	unsigned long mapped;
	unsigned long exclusive;
};

/* Write PTE @pte into @slot; count a newly valid mapping of @pages pages. */
static void nvg_vmm_set(struct nvg_bind *b, u64 *slot, u64 pte,
			unsigned long pages)
{
	if (READ_ONCE(*slot) != pte)
		b->mapped += pages;
	WRITE_ONCE(*slot, pte);
}

/* A 2 MiB PTE: the block's SPT entries go, its LPT is replaced. */
static int nvg_vmm_map_huge(struct nvg_bind *b, u64 *pd0, u64 pte)
{
	u64 big = READ_ONCE(pd0[0]);
	unsigned int i;

	if (nvg_pde_present(big)) {
		if (b->nstale == ARRAY_SIZE(b->stale))
			return -EAGAIN;	/* Rare: the next try frees fewer */
		b->stale[b->nstale++] = nvg_pde_table(big);
		atomic64_dec(&b->svmm->stats.tables);
	}
	if (nvg_pde_present(pd0[1]))
		for (i = 0; i < NVG_SPT_ENTRIES; i++)
			WRITE_ONCE(nvg_pde_table(pd0[1])[i], 0);
	nvg_vmm_set(b, &pd0[0], pte, NVG_BLOCK >> PAGE_SHIFT);
	return 0;
}

/* A 64 KiB PTE, with the 16 SPT entries it covers cleared. */
static int nvg_vmm_map_big(struct nvg_bind *b, u64 *pd0, u64 va, u64 pte)
{
	unsigned int i, first = nvg_idx(va, NVG_SPT_SHIFT, NVG_SPT_ENTRIES);

	if (WARN_ON_ONCE(READ_ONCE(pd0[0]) & NVG_PTE_VALID))
		WRITE_ONCE(pd0[0], 0);	/* A 2 MiB PTE the zap missed */
	if (!nvg_pde_present(pd0[0]) || !nvg_pde_present(pd0[1]))
		return -EAGAIN;
	for (i = 0; i < SZ_64K >> PAGE_SHIFT; i++)
		WRITE_ONCE(nvg_pde_table(pd0[1])[first + i], 0);
	nvg_vmm_set(b, &nvg_pde_table(pd0[0])[nvg_idx(va, NVG_LPT_SHIFT,
						      NVG_LPT_ENTRIES)],
		    pte, SZ_64K >> PAGE_SHIFT);
	return 0;
}

/* A 4 KiB PTE; an LPTE over it would hide it, so it goes. */
static int nvg_vmm_map_small(struct nvg_bind *b, u64 *pd0, u64 va, u64 pte)
{
	u64 big = READ_ONCE(pd0[0]);

	if (WARN_ON_ONCE(big & NVG_PTE_VALID)) {
		WRITE_ONCE(pd0[0], 0);
		big = 0;
	}
	if (!nvg_pde_present(pd0[1]))
		return -EAGAIN;
	if (nvg_pde_present(big))
		WRITE_ONCE(nvg_pde_table(big)[nvg_idx(va, NVG_LPT_SHIFT,
						      NVG_LPT_ENTRIES)], 0);
	nvg_vmm_set(b, &nvg_pde_table(pd0[1])[nvg_idx(va, NVG_SPT_SHIFT,
						      NVG_SPT_ENTRIES)],
		    pte, 1);
	return 0;
}

/* Page size for the piece at @va, device @addr, @left bytes of a chunk. */
static unsigned long nvg_vmm_page(u64 va, u64 addr, unsigned long left)
{
	if (left >= NVG_BLOCK && IS_ALIGNED(va | addr, NVG_BLOCK))
		return NVG_BLOCK;
	if (left >= SZ_64K && IS_ALIGNED(va | addr, SZ_64K))
		return SZ_64K;
	return PAGE_SIZE;
}

/* Map one present chunk at @va with the largest pages it allows. */
static int nvg_vmm_map_chunk(struct nvg_bind *b, u64 va,
			     const struct drm_gpusvm_dma *dma)
{
	unsigned long size = PAGE_SIZE << dma->order, off, page;
	u64 addr = drm_gpusvm_dma_addr(dma) & ~SIMGPU_VRAM_TAG;
	int err = 0;

	for (off = 0; off < size && !err; off += page) {
		u64 *pd0 = nvg_pd0_entry(b->svmm, va + off);
		u64 pte = nvg_pte(drm_gpusvm_dma_addr(dma) + off, dma);

		page = nvg_vmm_page(va + off, addr + off, size - off);
		if (!pd0)
			return -EAGAIN;
		if (page == NVG_BLOCK)
			err = nvg_vmm_map_huge(b, pd0, pte);
		else if (page == SZ_64K)
			err = nvg_vmm_map_big(b, pd0, va + off, pte);
		else
			err = nvg_vmm_map_small(b, pd0, va + off, pte);
	}
	if (!err && dma->exclusive && !dma->devmem)
		b->exclusive++;
	return err;
}

/**
 * nvg_vmm_bind() - &drm_gpusvm_ops.bind: write a range's PTEs
 * @gpusvm: The channel's gpusvm
 * @range: The range; its pages are current under the notifier lock
 * @addr: An address of the range whose atomic permission is asked for
 * @atomic: Set to whether the PTE of @addr allows device atomics
 *
 * Holes (chunks not present) are skipped: a page that went away was
 * zapped by the invalidation that took it.
 *
 * Context: VM lock and notifier lock (read) held; takes &simgpu_as.lock;
 * no allocation.
 *
 * Return: 0, or -EAGAIN when a table is missing (prepare and bind again).
 */
int nvg_vmm_bind(struct drm_gpusvm *gpusvm, struct drm_gpusvm_range *range,
		 unsigned long addr, bool *atomic)
{
	struct nvg_svmm *svmm = to_nvg_svmm(gpusvm);
	struct nvg_bind b = { .svmm = svmm };
	struct drm_gpusvm_dma *dma;
	unsigned long va;
	unsigned int i;
	int err = 0;

	lockdep_assert_held(&svmm->lock);
	lockdep_assert_held(&gpusvm->notifier_lock);
	*atomic = false;
	spin_lock(&svmm->as.lock);
	drm_gpusvm_for_each_dma(dma, va, &range->pages,
				drm_gpusvm_range_start(range)) {
		if (!dma->present)
			continue;
		if (addr - va < (PAGE_SIZE << dma->order))
			*atomic = dma->devmem || dma->exclusive;
		err = nvg_vmm_map_chunk(&b, va, dma);
		if (err)
			break;
	}
	spin_unlock(&svmm->as.lock);

	for (i = 0; i < b.nstale; i++)
		kfree(b.stale[i]);
	atomic64_add(b.mapped, &svmm->stats.pages_mapped);
	atomic64_add(b.exclusive, &svmm->stats.atomic_binds);
	return err;
}

/* Clear the PTEs of [start, end) inside one 2 MiB block. */
static bool nvg_vmm_unmap_block(u64 *pd0, u64 start, u64 end)
{
	u64 big = READ_ONCE(pd0[0]), small = READ_ONCE(pd0[1]), va, *pt;
	bool zapped = false;

	if (big & NVG_PTE_VALID) {
		WRITE_ONCE(pd0[0], 0);
		return true;
	}
	if (nvg_pde_present(big)) {
		pt = nvg_pde_table(big);
		for (va = ALIGN_DOWN(start, SZ_64K); va < end; va += SZ_64K) {
			u64 *slot = &pt[nvg_idx(va, NVG_LPT_SHIFT,
						NVG_LPT_ENTRIES)];

			zapped |= READ_ONCE(*slot) & NVG_PTE_VALID;
			WRITE_ONCE(*slot, 0);
		}
	}
	if (nvg_pde_present(small)) {
		pt = nvg_pde_table(small);
		for (va = start; va < end; va += PAGE_SIZE) {
			u64 *slot = &pt[nvg_idx(va, NVG_SPT_SHIFT,
						NVG_SPT_ENTRIES)];

			zapped |= READ_ONCE(*slot) & NVG_PTE_VALID;
			WRITE_ONCE(*slot, 0);
		}
	}
	return zapped;
}

/**
 * nvg_vmm_unmap() - Clear every PTE of a span
 * @svmm: The channel's SVM
 * @start: Start, page aligned
 * @end: End (exclusive), page aligned
 *
 * A 2 MiB or 64 KiB PTE that overlaps the span goes whole: only a range
 * covering it can have written it, and the core zaps whole ranges. The
 * caller flushes the TLB.
 *
 * Context: Notifier lock held (write), reclaim: takes &simgpu_as.lock,
 * no allocation, no sleeping.
 *
 * Return: true when a valid PTE was cleared.
 */
bool nvg_vmm_unmap(struct nvg_svmm *svmm, unsigned long start,
		   unsigned long end)
{
	unsigned long va, next;
	bool zapped = false;
	u64 *pd0;

	spin_lock(&svmm->as.lock);
	for (va = start; va < end; va = next) {
		next = min(ALIGN_DOWN(va, NVG_BLOCK) + NVG_BLOCK, end);
		pd0 = nvg_pd0_entry(svmm, va);
		if (pd0)
			zapped |= nvg_vmm_unmap_block(pd0, va, next);
	}
	spin_unlock(&svmm->as.lock);
	return zapped;
}
