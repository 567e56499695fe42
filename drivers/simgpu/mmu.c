// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/dma-direct.h>
#include <linux/lockdep.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "simgpu_internal.h"

/**
 * DOC: MMU
 *
 * An address space (&struct simgpu_as) translates a GPU VA only through
 * the glue's page walker (&simgpu_as_ops.walk, the glue's own page-table
 * format) and a TLB in front of it. The TLB is direct-mapped, indexed by
 * the 4 KiB page number of the VA, and caches whole entries (4 KiB, 64 KiB
 * or 2 MiB): once a translation is cached, a changed page-table entry is
 * not seen until simgpu_tlb_flush() drops it, as on real hardware. A walk
 * that finds nothing valid is not cached, and a permission fault drops the
 * entry it hit, so a glue that upgrades an entry (read-only to writable,
 * writable to atomic) and replays sees the upgrade even without a flush;
 * a downgrade always needs a flush.
 *
 * Every access holds &simgpu_as.lock from the translation to the end of
 * the memory copy, and simgpu_tlb_flush() takes it as well: when a flush
 * returns, no access through a dropped translation is in flight. That is
 * what lets a glue's invalidate op promise the core that the device can
 * no longer reach the pages (R6).
 *
 * An access never crosses a 4 KiB page, so it touches exactly one backing
 * page: a VRAM page of any simgpu device (tagged address) or system memory
 * (a DMA address; without an IOMMU it is physical). A translation to an
 * address that is neither is a glue bug: it warns once and fails with
 * -EIO instead of touching memory.
 */

/* The TLB slot of @va: by 4 KiB page number. */
static struct simgpu_tlb_entry *simgpu_tlb_slot(struct simgpu_as *as, u64 va)
{
	return &as->tlb[(va >> SIMGPU_PAGE_SHIFT) % SIMGPU_TLB_ENTRIES];
}

static u64 simgpu_tlb_entry_size(const struct simgpu_tlb_entry *e)
{
	return BIT_ULL(e->xl.shift);
}

static bool simgpu_tlb_entry_hit(const struct simgpu_tlb_entry *e, u64 va)
{
	/* va below e->va wraps to a huge difference: a miss */
	return (e->xl.flags & SIMGPU_XLATE_VALID) &&
	       va - e->va < simgpu_tlb_entry_size(e);
}

/* A page size the MMU knows and an address aligned to it. */
static bool simgpu_xlate_sane(const struct simgpu_xlate *xl)
{
	return (xl->shift == 12 || xl->shift == 16 || xl->shift == 21) &&
	       IS_ALIGNED(xl->addr, BIT_ULL(xl->shift));
}

/* Ask the glue's walker; a valid result must be well formed. */
static int simgpu_walk_locked(struct simgpu_as *as, u64 va,
			      struct simgpu_xlate *xl)
{
	lockdep_assert_held(&as->lock);
	if (!as->ops->walk(as, va, xl) || !(xl->flags & SIMGPU_XLATE_VALID))
		return -ENOENT;
	if (WARN_ON_ONCE(!simgpu_xlate_sane(xl)))
		return -EIO;
	return 0;
}

/* TLB lookup, or walk and fill the slot. */
static int simgpu_translate_locked(struct simgpu_as *as, u64 va,
				   struct simgpu_xlate *xl)
{
	struct simgpu_tlb_entry *e = simgpu_tlb_slot(as, va);
	int err;

	lockdep_assert_held(&as->lock);
	if (simgpu_tlb_entry_hit(e, va)) {
		atomic64_inc(&as->stats.tlb_hits);
		*xl = e->xl;
		return 0;
	}
	atomic64_inc(&as->stats.tlb_misses);
	err = simgpu_walk_locked(as, va, xl);
	if (err)
		return err;
	e->va = va & ~(BIT_ULL(xl->shift) - 1);
	e->xl = *xl;
	return 0;
}

static int simgpu_xlate_check(const struct simgpu_xlate *xl,
			      enum simgpu_access access)
{
	switch (access) {
	case SIMGPU_ACCESS_READ:
		return 0;
	case SIMGPU_ACCESS_WRITE:
		return xl->flags & SIMGPU_XLATE_WRITE ? 0 : -EACCES;
	case SIMGPU_ACCESS_ATOMIC:
		return xl->flags & SIMGPU_XLATE_ATOMIC ? 0 : -EACCES;
	}
	return -EINVAL;
}

/**
 * simgpu_sys_vaddr() - Kernel address of system memory at a DMA address
 * @sdev: The device the address was mapped for
 * @addr: The DMA address
 *
 * Return: the kernel address, or NULL (with a warning: a glue or core bug)
 * when @addr is no ordinary system memory.
 */
void *simgpu_sys_vaddr(struct simgpu_device *sdev, dma_addr_t addr)
{
	phys_addr_t phys = dma_to_phys(simgpu_dma_dev(sdev), addr);
	unsigned long pfn = PHYS_PFN(phys);

	/* A device page has a struct page but no kernel mapping */
	if (WARN_ON_ONCE(!pfn_valid(pfn) ||
			 is_zone_device_page(pfn_to_page(pfn))))
		return NULL;
	return phys_to_virt(phys);
}

/* Where the byte at @va lives, through translation @xl. */
static int simgpu_xlate_vaddr(struct simgpu_as *as,
			      const struct simgpu_xlate *xl, u64 va,
			      void **vaddr)
{
	u64 addr = xl->addr + (va & (BIT_ULL(xl->shift) - 1));

	if (addr & SIMGPU_VRAM_TAG) {
		*vaddr = simgpu_vram_vaddr(addr);
		WARN_ON_ONCE(!*vaddr);
	} else {
		*vaddr = simgpu_sys_vaddr(as->sdev, addr);
	}
	return *vaddr ? 0 : -EIO;
}

/**
 * simgpu_as_access_fn() - One access through the MMU, done by a callback
 * @as: The address space
 * @va: GPU VA of the first byte
 * @len: Bytes, not crossing a 4 KiB page
 * @access: What the access needs from the translation
 * @fn: Called with the kernel address of @va and @len, with &as->lock
 *	held: must not sleep
 * @arg: Passed to @fn
 *
 * Translation, permission check and @fn all run under &as->lock, so the
 * access is whole or not at all, and never overlaps a TLB flush.
 *
 * Return: 0; -EINVAL for a bad span; -ENOENT without a valid translation;
 * -EACCES when it lacks the permission; -EIO for a translation to nowhere.
 */
int simgpu_as_access_fn(struct simgpu_as *as, u64 va, size_t len,
			enum simgpu_access access, simgpu_access_fn fn,
			void *arg)
{
	struct simgpu_xlate xl;
	void *vaddr;
	int err;

	if (!len || (va & (SIMGPU_PAGE_SIZE - 1)) + len > SIMGPU_PAGE_SIZE)
		return -EINVAL;

	spin_lock(&as->lock);
	err = simgpu_translate_locked(as, va, &xl);
	if (!err)
		err = simgpu_xlate_check(&xl, access);
	/* A faulting entry is not kept: the replay walks again */
	if (err == -EACCES)
		simgpu_tlb_slot(as, va)->xl.flags = 0;
	if (!err)
		err = simgpu_xlate_vaddr(as, &xl, va, &vaddr);
	if (!err)
		fn(vaddr, len, arg);
	spin_unlock(&as->lock);
	return err;
}

static void simgpu_read_fn(void *vaddr, size_t len, void *buf)
{
	memcpy(buf, vaddr, len);
}

static void simgpu_write_fn(void *vaddr, size_t len, void *buf)
{
	memcpy(vaddr, buf, len);
}

/**
 * simgpu_as_access() - Read or write memory as the device would
 * @as: The address space
 * @va: GPU VA of the first byte
 * @buf: Destination of a read, source of a write or atomic access
 * @len: Bytes; @va + @len must not cross a 4 KiB page boundary
 * @access: %SIMGPU_ACCESS_READ copies to @buf; %SIMGPU_ACCESS_WRITE and
 *	%SIMGPU_ACCESS_ATOMIC copy from @buf, the latter needing an atomic
 *	translation
 *
 * Goes through the TLB and the glue's walker exactly like the exec engine,
 * so a glue (or the test_hmm layer) can access memory as its device does.
 *
 * Context: Process context, atomic allowed (the core's notifier lock may
 * be held); not in IRQ context (&simgpu_as.lock is not IRQ-safe), not
 * under &simgpu_as.lock.
 *
 * Return: 0; -EINVAL when the access crosses a page or is empty; -ENOENT
 * when no valid translation exists; -EACCES for a write without write
 * permission or an atomic access without atomic permission; -EIO when the
 * translation points nowhere (a glue bug, warned about).
 */
int simgpu_as_access(struct simgpu_as *as, u64 va, void *buf, size_t len,
		     enum simgpu_access access)
{
	return simgpu_as_access_fn(as, va, len, access,
				   access == SIMGPU_ACCESS_READ ?
				   simgpu_read_fn : simgpu_write_fn, buf);
}
EXPORT_SYMBOL_GPL(simgpu_as_access);

/**
 * simgpu_as_translate() - Walk the page tables for a VA, bypassing the TLB
 * @as: The address space
 * @va: GPU VA
 * @xl: Filled with the translation when one is valid
 *
 * What the page tables say now, for debug checks (the test_hmm layer's
 * CHECK_EXCLUSIVE); the TLB is neither read nor filled.
 *
 * Context: As simgpu_as_access().
 *
 * Return: true when a valid translation maps @va.
 */
bool simgpu_as_translate(struct simgpu_as *as, u64 va,
			 struct simgpu_xlate *xl)
{
	bool valid;

	spin_lock(&as->lock);
	valid = !simgpu_walk_locked(as, va, xl);
	spin_unlock(&as->lock);
	return valid;
}
EXPORT_SYMBOL_GPL(simgpu_as_translate);

/**
 * simgpu_tlb_flush() - Drop cached translations of a VA span
 * @as: The address space
 * @start: First byte of the span
 * @end: End of the span (exclusive)
 *
 * Drops every TLB entry that overlaps [@start, @end), a 2 MiB entry
 * included when the span covers only part of it. When this returns, no
 * access through a dropped entry is in flight (DOC: MMU).
 *
 * Context: Process context, atomic allowed, in particular a glue's
 * invalidate op under the core's notifier lock; not in IRQ context. Does
 * not sleep.
 */
void simgpu_tlb_flush(struct simgpu_as *as, u64 start, u64 end)
{
	struct simgpu_tlb_entry *e;

	spin_lock(&as->lock);
	atomic64_inc(&as->stats.tlb_flushes);
	for (e = as->tlb; e < as->tlb + SIMGPU_TLB_ENTRIES; e++) {
		if (!(e->xl.flags & SIMGPU_XLATE_VALID))
			continue;
		if (e->va < end && start < e->va + simgpu_tlb_entry_size(e))
			e->xl.flags = 0;
	}
	spin_unlock(&as->lock);
}
EXPORT_SYMBOL_GPL(simgpu_tlb_flush);

/**
 * simgpu_as_init() - Initialise an address space
 * @as: The address space, embedded in the glue's VM
 * @sdev: The device it runs on
 * @ops: The glue's walker and fault sink, both required
 *
 * Starts with an empty TLB and no jobs.
 *
 * Context: Any context.
 */
void simgpu_as_init(struct simgpu_as *as, struct simgpu_device *sdev,
		    const struct simgpu_as_ops *ops)
{
	memset(as, 0, sizeof(*as));
	as->sdev = sdev;
	as->ops = ops;
	spin_lock_init(&as->lock);
	INIT_LIST_HEAD(&as->jobs);
	init_waitqueue_head(&as->idle);
}
EXPORT_SYMBOL_GPL(simgpu_as_init);

/**
 * simgpu_as_fini() - Retire every job of an address space
 * @as: The address space
 *
 * Cancels the stalled jobs with -ECANCELED (their fences signal with that
 * error; a fault record of one the glue still holds must then be dropped,
 * a replay or cancel of it is ignored), lets running jobs finish or be
 * cancelled at their next fault, and waits until no exec engine worker is
 * inside a job of @as, its fault op included. Afterwards @as may be freed
 * once the glue has dropped its own job references.
 *
 * Context: Process context; sleeps. Must not hold a lock the glue's fault
 * op takes.
 */
void simgpu_as_fini(struct simgpu_as *as)
{
	might_sleep();
	simgpu_exec_as_quiesce(as);
	WARN_ON(!list_empty(&as->jobs));
}
EXPORT_SYMBOL_GPL(simgpu_as_fini);
