// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sizes.h>

#include "xe_glue.h"

/**
 * DOC: Page tables
 *
 * xe-like GPU page tables, walked by simgpu's MMU through
 * xe_glue_pt_walk(): a 4-level radix tree of 512 u64 entries per 4 KiB
 * table, x86-like (level 3 entries cover 512 GiB, level 2 1 GiB, level 1
 * 2 MiB, level 0 4 KiB). A directory entry is the physical address of the
 * next table with %XE_PTE_VALID. A leaf holds the device address of the
 * page (a DMA address, or a VRAM address tagged %SIMGPU_VRAM_TAG) with
 * %XE_PTE_VALID, %XE_PTE_WRITE, %XE_PTE_ATOMIC and %XE_PTE_VRAM. A 2 MiB
 * leaf sits at level 1 with %XE_PTE_HUGE; a 64 KiB page is 16 consecutive
 * level-0 entries, each with %XE_PTE_PS64, so the walker reports shift 16.
 *
 * The entry size comes from the DMA chunks the core collected
 * (drm_gpusvm_for_each_dma()): a chunk is split into the largest entries
 * its VA and device address are both aligned to. %XE_PTE_ATOMIC is given
 * only to VRAM pages and to chunks the core made device-exclusive: anything
 * else is reachable by the CPU, so a device atomic on it would not be.
 *
 * Tables are allocated with GFP_KERNEL by xe_glue_pt_prepare(), under the
 * VM lock and before the notifier lock is taken, because the notifier
 * lock is a reclaim lock. Binding then only writes entries, and fails with
 * -EAGAIN when a table it needs is missing (the chunk layout changed since
 * the preparation); the caller prepares again. Empty tables are kept until
 * the VM is destroyed: a range that was unmapped usually faults back, and
 * freeing a table would need the walker to be fenced off. The one
 * exception is a level-0 table a 2 MiB leaf replaces: it is empty (its
 * entries were zapped with their range) and the walker, which never caches
 * directories, cannot hold it once the swap is done under
 * &simgpu_as.lock, so it is freed right away.
 */

/**
 * DOC: Page-table locking
 *
 * Every write to a table, directory or leaf, happens under &simgpu_as.lock,
 * the lock the walker runs under, so the walker never sees a half-built
 * table or half of a 64 KiB page, and reads entries with READ_ONCE().
 * Directory entries are only added, by xe_glue_pt_prepare() with the VM
 * lock held, and only replaced by xe_glue_pt_bind() (same lock). Leaves
 * are written by xe_glue_pt_bind() with the VM lock and the notifier lock
 * in read mode, and cleared by xe_glue_pt_zap() from the invalidate op with
 * the notifier lock in write mode; the notifier lock orders the two.
 * &simgpu_as.lock is a spinlock: nothing here allocates or sleeps under
 * it.
 */

/* The walker, the chunk splitting and the entry sizes assume 4 KiB pages. */
static_assert(PAGE_SHIFT == 12);

/* Device address bits of a directory entry: a table's physical address. */
static u64 *xe_glue_pt_table(u64 pde)
{
	return phys_to_virt(pde & XE_PTE_ADDR_MASK);
}

/* End of the level-@level entry containing @va, clamped to @end. */
static unsigned long xe_glue_pt_next(unsigned long va, unsigned long end,
				     unsigned int level)
{
	unsigned long next = (va | ((1UL << XE_PT_SHIFT(level)) - 1)) + 1;

	return next && next < end ? next : end;
}

/**
 * xe_glue_pt_init() - Allocate the root table of a VM
 * @vm: The VM
 *
 * Return: 0 or -ENOMEM.
 */
int xe_glue_pt_init(struct xe_glue_vm *vm)
{
	vm->pt_root = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!vm->pt_root)
		return -ENOMEM;
	atomic64_inc(&vm->stats.pt_pages);
	return 0;
}

/* Free a table and, below level 1, every table it points to. */
static void xe_glue_pt_free(u64 *table, unsigned int level)
{
	unsigned int i;

	for (i = 0; level && i < XE_PT_ENTRIES; i++) {
		u64 e = table[i];

		if (!(e & XE_PTE_VALID) || (level == 1 && (e & XE_PTE_HUGE)))
			continue;
		xe_glue_pt_free(xe_glue_pt_table(e), level - 1);
	}
	free_page((unsigned long)table);
}

/**
 * xe_glue_pt_fini() - Free every table of a VM
 * @vm: The VM; no job runs and the core zapped every range
 *
 * Context: Process context, nothing can walk the tables any more.
 */
void xe_glue_pt_fini(struct xe_glue_vm *vm)
{
	if (vm->pt_root)
		xe_glue_pt_free(vm->pt_root, XE_PT_LEVELS - 1);
	vm->pt_root = NULL;
}

/*
 * The slot of @va at @level, or NULL when a directory above it is missing
 * or a 2 MiB leaf sits where a level-0 table would be. &simgpu_as.lock or
 * the VM lock held, so no directory goes away under us.
 */
static u64 *xe_glue_pt_slot(struct xe_glue_vm *vm, unsigned long va,
			    unsigned int level)
{
	u64 *table = vm->pt_root;
	unsigned int l;

	for (l = XE_PT_LEVELS - 1; l > level; l--) {
		u64 e = READ_ONCE(table[XE_PT_INDEX(va, l)]);

		if (!(e & XE_PTE_VALID) || (l == 1 && (e & XE_PTE_HUGE)))
			return NULL;
		table = xe_glue_pt_table(e);
	}
	return &table[XE_PT_INDEX(va, level)];
}

/*
 * Make sure the table under @slot exists: allocate it (outside every
 * spinlock) and link it in under &simgpu_as.lock.
 */
static int xe_glue_pt_populate(struct xe_glue_vm *vm, u64 *slot)
{
	u64 *table;

	if (READ_ONCE(*slot) & XE_PTE_VALID)
		return 0;
	table = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!table)
		return -ENOMEM;

	spin_lock(&vm->as.lock);
	/* Only VM-lock holders add directories: the slot is still empty */
	WARN_ON_ONCE(READ_ONCE(*slot));
	WRITE_ONCE(*slot, virt_to_phys(table) | XE_PTE_VALID);
	spin_unlock(&vm->as.lock);
	atomic64_inc(&vm->stats.pt_pages);
	return 0;
}

/* Allocate the directories, and the leaf tables when @leaf, of [start, end). */
static int xe_glue_pt_prepare_span(struct xe_glue_vm *vm, unsigned long start,
				   unsigned long end, bool leaf)
{
	unsigned long va;
	int level, err;

	for (va = start; va < end; va = xe_glue_pt_next(va, end, 1)) {
		for (level = XE_PT_LEVELS - 1; level >= (leaf ? 1 : 2); level--) {
			u64 *slot = xe_glue_pt_slot(vm, va, level);

			/* A live 2 MiB leaf: the bind decides, see pt_bind */
			if (!slot)
				break;
			if (level == 1 && (READ_ONCE(*slot) & XE_PTE_HUGE))
				break;
			err = xe_glue_pt_populate(vm, slot);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * Does the range need level-0 tables? Only a range whose chunks are all
 * 2 MiB (or holes) does without. Looked at under the notifier lock, which
 * keeps the DMA array alive; if the pages were invalidated meanwhile the
 * answer is "yes", which at worst allocates a table a 2 MiB leaf replaces.
 */
static bool xe_glue_pt_needs_leaf(struct xe_glue_vm *vm,
				  struct drm_gpusvm_range *range)
{
	struct drm_gpusvm *gpusvm = &vm->gpusvm;
	struct drm_gpusvm_dma *dma;
	unsigned long va;
	bool leaf = false;

	if (drm_gpusvm_range_size(range) < SZ_2M)
		return true;
	drm_gpusvm_notifier_lock(gpusvm);
	if (!drm_gpusvm_range_pages_valid(gpusvm, range))
		leaf = true;
	else
		drm_gpusvm_for_each_dma(dma, va, &range->pages,
					drm_gpusvm_range_start(range))
			if (dma->present && (!IS_ALIGNED(va, SZ_2M) ||
					     !IS_ALIGNED(drm_gpusvm_dma_addr(dma), SZ_2M) ||
					     (PAGE_SIZE << dma->order) < SZ_2M))
				leaf = true;
	drm_gpusvm_notifier_unlock(gpusvm);
	return leaf;
}

/**
 * xe_glue_pt_prepare() - &drm_gpusvm_ops.bind_prepare: allocate tables
 * @gpusvm: The VM's gpusvm
 * @range: The range, after drm_gpusvm_range_get_pages()
 *
 * Context: Process context, VM lock held, notifier lock not held: tables
 * are allocated with GFP_KERNEL.
 *
 * Return: 0 or -ENOMEM.
 */
int xe_glue_pt_prepare(struct drm_gpusvm *gpusvm,
		       struct drm_gpusvm_range *range)
{
	struct xe_glue_vm *vm = to_xe_glue_vm(gpusvm);

	lockdep_assert_held(&vm->lock);
	return xe_glue_pt_prepare_span(vm, drm_gpusvm_range_start(range),
				       drm_gpusvm_range_end(range),
				       xe_glue_pt_needs_leaf(vm, range));
}

/* Leaf bits of a chunk. */
static u64 xe_glue_pte_flags(const struct drm_gpusvm_dma *dma)
{
	u64 flags = XE_PTE_VALID;

	if (dma->writable)
		flags |= XE_PTE_WRITE;
	if (dma->devmem)
		flags |= XE_PTE_VRAM;
	/* The CPU cannot reach VRAM or an exclusive page behind our back */
	if (dma->devmem || dma->exclusive)
		flags |= XE_PTE_ATOMIC;
	return flags;
}

/**
 * struct xe_glue_bind - State of one bind
 * @vm: The VM
 * @stale: Level-0 tables 2 MiB leaves replaced, freed after the lock
 * @mapped: 4 KiB pages that became mapped
 * @entries: Entries that became valid, by size as &xe_glue_vm_stats.entries
 * @addr: Address whose entry is reported in @atomic
 * @atomic: Whether the entry of @addr allows atomics
 */
struct xe_glue_bind {
	struct xe_glue_vm *vm;
	struct list_head stale;
	unsigned long mapped;
	unsigned long entries[3];
	unsigned long addr;
	bool atomic;
};

/*
 * Write @n level-0 entries from @va: @pte and the pages after it, or empty
 * entries for a hole. -EAGAIN when the level-0 table is missing.
 */
static int xe_glue_pt_write_small(struct xe_glue_bind *b, unsigned long va,
				  u64 pte, unsigned int n)
{
	u64 *slot = xe_glue_pt_slot(b->vm, va, 0);
	unsigned int i;

	if (!slot)	/* Nothing to clear for a hole */
		return pte ? -EAGAIN : 0;
	for (i = 0; i < n; i++) {
		u64 e = pte ? pte + ((u64)i << PAGE_SHIFT) : 0;

		if ((e & XE_PTE_VALID) && READ_ONCE(slot[i]) != e) {
			b->mapped++;
			b->entries[e & XE_PTE_PS64 ? 1 : 0]++;
		}
		WRITE_ONCE(slot[i], e);
	}
	return 0;
}

/* Is a level-0 table empty? Only then may a 2 MiB leaf replace it. */
static bool xe_glue_pt_table_empty(const u64 *table)
{
	unsigned int i;

	for (i = 0; i < XE_PT_ENTRIES; i++)
		if (READ_ONCE(table[i]))
			return false;
	return true;
}

/*
 * Write a 2 MiB leaf at @va. -EAGAIN when the level-1 table is missing,
 * -EEXIST when a level-0 table with live entries is in the way (a zap was
 * missed: the caller maps the chunk at 64 KiB into that table instead).
 */
static int xe_glue_pt_write_huge(struct xe_glue_bind *b, unsigned long va,
				 u64 pte)
{
	u64 *slot = xe_glue_pt_slot(b->vm, va, 1);
	u64 old;

	if (!slot)
		return -EAGAIN;
	old = READ_ONCE(*slot);
	if ((old & XE_PTE_VALID) && !(old & XE_PTE_HUGE)) {
		u64 *table = xe_glue_pt_table(old);

		if (WARN_ON_ONCE(!xe_glue_pt_table_empty(table)))
			return -EEXIST;
		list_add(&virt_to_page(table)->lru, &b->stale);
		atomic64_dec(&b->vm->stats.pt_pages);
	}
	if (old != pte) {
		b->mapped += SZ_2M >> PAGE_SHIFT;
		b->entries[2]++;
	}
	WRITE_ONCE(*slot, pte);
	return 0;
}

/* Largest entry size for the piece at @va of @left bytes at device @addr. */
static unsigned long xe_glue_pt_step(unsigned long va, u64 addr,
				     unsigned long left)
{
	static const unsigned long sizes[] = { SZ_2M, SZ_64K };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		if (left >= sizes[i] && IS_ALIGNED(va, sizes[i]) &&
		    IS_ALIGNED(addr, sizes[i]))
			return sizes[i];
	return PAGE_SIZE;
}

/* Write the entries of one chunk at @va, the largest each piece allows. */
static int xe_glue_pt_write_chunk(struct xe_glue_bind *b, unsigned long va,
				  const struct drm_gpusvm_dma *dma)
{
	unsigned long size = PAGE_SIZE << dma->order, off, step;
	u64 flags = xe_glue_pte_flags(dma);
	int err = 0;

	if (b->addr >= va && b->addr - va < size)
		b->atomic = dma->present && (flags & XE_PTE_ATOMIC);
	if (!dma->present)	/* A prefetch hole: clear, 4 KiB at a time */
		return xe_glue_pt_write_small(b, va, 0, size >> PAGE_SHIFT);

	for (off = 0; off < size && !err; off += step) {
		u64 pte = (drm_gpusvm_dma_addr(dma) + off) | flags;

		step = xe_glue_pt_step(va + off, drm_gpusvm_dma_addr(dma) + off, size - off);
		if (step == SZ_2M) {
			err = xe_glue_pt_write_huge(b, va + off,
						    pte | XE_PTE_HUGE);
			if (err != -EEXIST)
				continue;
			step = SZ_64K;
		}
		if (step == SZ_64K)
			err = xe_glue_pt_write_small(b, va + off,
						     pte | XE_PTE_PS64,
						     SZ_64K >> PAGE_SHIFT);
		else
			err = xe_glue_pt_write_small(b, va + off, pte, 1);
	}
	return err;
}

/**
 * xe_glue_pt_bind() - &drm_gpusvm_ops.bind: write a range's entries
 * @gpusvm: The VM's gpusvm
 * @range: The range; drm_gpusvm_range_pages_valid() said yes under the
 *	lock the caller still holds
 * @addr: An address of the range whose entry the caller asks about
 * @atomic: Set to whether the entry of @addr allows device atomics
 *
 * Holes of a prefetch are written as empty entries.
 *
 * Context: VM lock and the notifier lock (read) held; takes
 * &simgpu_as.lock.
 *
 * Return: 0, or -EAGAIN when a table is missing: call
 * xe_glue_pt_prepare() without the notifier lock and bind again.
 */
int xe_glue_pt_bind(struct drm_gpusvm *gpusvm, struct drm_gpusvm_range *range,
		    unsigned long addr, bool *atomic)
{
	struct xe_glue_vm *vm = to_xe_glue_vm(gpusvm);
	struct xe_glue_bind b = { .vm = vm, .addr = addr };
	struct drm_gpusvm_dma *dma;
	struct page *page, *next;
	unsigned long va;
	int err = 0;

	lockdep_assert_held(&vm->lock);
	lockdep_assert_held(&vm->gpusvm.notifier_lock);
	INIT_LIST_HEAD(&b.stale);

	spin_lock(&vm->as.lock);
	drm_gpusvm_for_each_dma(dma, va, &range->pages,
				drm_gpusvm_range_start(range)) {
		err = xe_glue_pt_write_chunk(&b, va, dma);
		if (err)
			break;
	}
	spin_unlock(&vm->as.lock);

	/* Unlinked under the walker's lock, and the TLB holds no tables */
	list_for_each_entry_safe(page, next, &b.stale, lru)
		__free_page(page);
	atomic64_add(b.mapped, &vm->stats.pages_mapped);
	atomic64_add(b.entries[0], &vm->stats.entries[0]);
	/* 16 entries make one 64 KiB page */
	atomic64_add(b.entries[1] / 16, &vm->stats.entries[1]);
	atomic64_add(b.entries[2], &vm->stats.entries[2]);
	*atomic = b.atomic;
	return err;
}

/* Clear the level-0 entries of [start, end) in one 2 MiB slot. */
static bool xe_glue_pt_zap_small(u64 *table, unsigned long start,
				 unsigned long end)
{
	unsigned long i, last = XE_PT_INDEX(end - 1, 0);
	bool zapped = false;

	for (i = XE_PT_INDEX(start, 0); i <= last; i++) {
		zapped |= READ_ONCE(table[i]) & XE_PTE_VALID;
		WRITE_ONCE(table[i], 0);
	}
	return zapped;
}

/**
 * xe_glue_pt_zap() - Clear every leaf of a span
 * @vm: The VM
 * @start: Start, page aligned
 * @end: End (exclusive), page aligned
 *
 * The caller flushes the TLB afterwards. A 2 MiB leaf is cleared whole:
 * ranges are naturally aligned, so one never straddles the span's ends.
 *
 * Context: notifier lock held (write), reclaim: takes &simgpu_as.lock,
 * allocates nothing, never sleeps.
 *
 * Return: true when a valid entry was cleared.
 */
bool xe_glue_pt_zap(struct xe_glue_vm *vm, unsigned long start,
		    unsigned long end)
{
	unsigned long va, next;
	bool zapped = false;

	spin_lock(&vm->as.lock);
	for (va = start; va < end; va = next) {
		u64 *slot = xe_glue_pt_slot(vm, va, 1);
		u64 e = slot ? READ_ONCE(*slot) : 0;

		next = xe_glue_pt_next(va, end, 1);
		if (!(e & XE_PTE_VALID))
			continue;
		if (e & XE_PTE_HUGE) {
			WRITE_ONCE(*slot, 0);
			zapped = true;
			continue;
		}
		zapped |= xe_glue_pt_zap_small(xe_glue_pt_table(e), va, next);
	}
	spin_unlock(&vm->as.lock);
	return zapped;
}

/* Fill @xl from a leaf of page size 1 << @shift. */
static bool xe_glue_pt_xlate(u64 e, unsigned int shift,
			     struct simgpu_xlate *xl)
{
	xl->addr = e & XE_PTE_ADDR_MASK & ~((1ULL << shift) - 1);
	xl->shift = shift;
	xl->flags = SIMGPU_XLATE_VALID;
	if (e & XE_PTE_WRITE)
		xl->flags |= SIMGPU_XLATE_WRITE;
	if (e & XE_PTE_ATOMIC)
		xl->flags |= SIMGPU_XLATE_ATOMIC;
	return true;
}

/**
 * xe_glue_pt_walk() - The page walker simgpu's MMU calls on a TLB miss
 * @as: The address space, embedded in a &struct xe_glue_vm
 * @va: GPU VA
 * @xl: Out: the translation
 *
 * Context: &simgpu_as.lock held; reads entries with READ_ONCE() only.
 *
 * Return: true when a valid leaf maps @va.
 */
bool xe_glue_pt_walk(struct simgpu_as *as, u64 va, struct simgpu_xlate *xl)
{
	struct xe_glue_vm *vm = container_of(as, struct xe_glue_vm, as);
	u64 *table = vm->pt_root;
	int level;
	u64 e;

	lockdep_assert_held(&as->lock);
	if (va >= 1ULL << XE_PT_SHIFT(XE_PT_LEVELS))
		return false;
	for (level = XE_PT_LEVELS - 1; level > 0; level--) {
		e = READ_ONCE(table[XE_PT_INDEX(va, level)]);
		if (!(e & XE_PTE_VALID))
			return false;
		if (level == 1 && (e & XE_PTE_HUGE))
			return xe_glue_pt_xlate(e, 21, xl);
		table = xe_glue_pt_table(e);
	}
	e = READ_ONCE(table[XE_PT_INDEX(va, 0)]);
	if (!(e & XE_PTE_VALID))
		return false;
	return xe_glue_pt_xlate(e, e & XE_PTE_PS64 ? 16 : 12, xl);
}
