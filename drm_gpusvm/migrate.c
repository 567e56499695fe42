// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/bitops.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/spinlock.h>

#include <drm/drm_gpusvm.h>
#include <drm/drm_pagemap.h>

#include "gpusvm_internal.h"

/**
 * DOC: Overview
 *
 * migrate.c connects ranges to device memory: it asks policy.c whether a
 * GPU fault should migrate (drm_gpusvm_range_want_devmem()) and runs the
 * migration of a whole range (drm_gpusvm_range_migrate_to_devmem()),
 * keeping the range's migration history for ping-pong control. The glue
 * allocates the device memory; it decides nothing.
 */

/**
 * DOC: Locking
 *
 * A range's migration is serialised by bit 0 of
 * &drm_gpusvm_range.migrating, and the VA span by a claim on a short list
 * of spans in flight across every gpusvm (another GPU mirroring the same
 * mm has its own gpusvm and range for the same VA), not by a lock held
 * across core mm: a second migrator (another GPU, or a prefetch racing a
 * fault) backs off with -EBUSY and maps the range where it is, so two
 * migrators never take pages from each other in a loop (R15). The
 * history in &drm_gpusvm_range.hist is written only by the bit's holder.
 * No gpusvm lock may be held: the migration takes mmap_lock and
 * invalidates, which takes the notifier lock.
 */

/**
 * DOC: Examples
 *
 * In the GPU fault handler, between find_or_insert and get_pages::
 *
 *	if (drm_gpusvm_range_want_devmem(range, &ctx, vm->dpagemap)) {
 *		devmem = driver_alloc_vram(vm, drm_gpusvm_range_size(range));
 *		if (!IS_ERR(devmem)) {
 *			drm_gpusvm_range_migrate_to_devmem(svm, range,
 *							   &devmem->base);
 *			drm_pagemap_devmem_put(&devmem->base);
 *		}
 *	}
 *	err = drm_gpusvm_range_get_pages(svm, range, &ctx);
 *
 * Any failure of the migration is fine: get_pages maps the range where it
 * is (R3).
 */

/**
 * struct drm_gpusvm_inflight - A VA span being migrated to device memory
 * @link: Entry in drm_gpusvm_inflight_list
 * @mm: The mm
 * @start: Start of the span
 * @end: End of the span (exclusive)
 *
 * Lives on the migrating thread's stack for the duration of the migration.
 */
struct drm_gpusvm_inflight {
	struct list_head link;
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
};

/*
 * Spans in flight across every gpusvm: two devices mirroring one mm have
 * two gpusvms and two ranges for the same VA, so the per-range bit cannot
 * serialise them. Short list (one entry per running migration), so a
 * spinlock and a walk are enough.
 */
static LIST_HEAD(drm_gpusvm_inflight_list);
static DEFINE_SPINLOCK(drm_gpusvm_inflight_lock);

/* Claim [start, end) of @mm unless another migration overlaps it. */
static bool drm_gpusvm_inflight_claim(struct drm_gpusvm_inflight *f)
{
	struct drm_gpusvm_inflight *o;

	spin_lock(&drm_gpusvm_inflight_lock);
	list_for_each_entry(o, &drm_gpusvm_inflight_list, link) {
		if (o->mm == f->mm && o->start < f->end && f->start < o->end) {
			spin_unlock(&drm_gpusvm_inflight_lock);
			return false;
		}
	}
	list_add(&f->link, &drm_gpusvm_inflight_list);
	spin_unlock(&drm_gpusvm_inflight_lock);
	return true;
}

static void drm_gpusvm_inflight_release(struct drm_gpusvm_inflight *f)
{
	spin_lock(&drm_gpusvm_inflight_lock);
	list_del(&f->link);
	spin_unlock(&drm_gpusvm_inflight_lock);
}

/**
 * drm_gpusvm_range_want_devmem() - Should this fault migrate the range?
 * @range: The range
 * @ctx: The access and preferred location of the fault
 * @dpagemap: The faulting device's memory, or NULL if it has none
 *
 * Asks policy.c, with the range's thrash state.
 *
 * Return: true to migrate before collecting pages.
 */
bool drm_gpusvm_range_want_devmem(struct drm_gpusvm_range *range,
				  const struct drm_gpusvm_ctx *ctx,
				  struct drm_pagemap *dpagemap)
{
	struct drm_gpusvm_migrate_args args = {
		.access = ctx->access,
		.preferred = ctx->preferred,
		.devmem_available = dpagemap,
		.now = jiffies,
		/* Pairs with WRITE_ONCE() in drm_gpusvm_range_note_migration() */
		.thrash_until = READ_ONCE(range->hist.thrash_until),
	};

	return drm_gpusvm_policy_want_devmem(&args);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_want_devmem);

/* Update the history after pages moved; count a thrash event. */
static void drm_gpusvm_range_note_migration(struct drm_gpusvm *gpusvm,
					    struct drm_gpusvm_range *range)
{
	struct drm_gpusvm_migrate_hist hist = range->hist;
	bool thrash = drm_gpusvm_policy_note_migration(&hist, jiffies);

	WRITE_ONCE(range->hist.last, hist.last);
	WRITE_ONCE(range->hist.bounces, hist.bounces);
	WRITE_ONCE(range->hist.thrash_until, hist.thrash_until);
	if (thrash)
		atomic64_inc(&gpusvm->stats.thrash_events);
}

/**
 * drm_gpusvm_range_migrate_to_devmem() - Migrate a whole range to devmem
 * @gpusvm: The gpusvm
 * @range: The range
 * @devmem: Device memory of drm_gpusvm_range_size(range) bytes
 *
 * Best effort (R3): the caller maps the range wherever its pages end up.
 *
 * Context: Process context; takes mmap_lock. No gpusvm or notifier lock
 * may be held.
 *
 * Return: pages moved; -EBUSY when another thread, of this or another
 * gpusvm, is migrating an overlapping span;
 * or the error of drm_pagemap_migrate_to_devmem().
 */
long drm_gpusvm_range_migrate_to_devmem(struct drm_gpusvm *gpusvm,
					struct drm_gpusvm_range *range,
					struct drm_pagemap_devmem *devmem)
{
	struct drm_gpusvm_inflight inflight = {
		.mm = gpusvm->mm,
		.start = drm_gpusvm_range_start(range),
		.end = drm_gpusvm_range_end(range),
	};
	long moved;

	might_lock_read(&gpusvm->mm->mmap_lock);
	if (test_and_set_bit_lock(0, &range->migrating))
		goto backoff;
	if (!drm_gpusvm_inflight_claim(&inflight)) {
		clear_bit_unlock(0, &range->migrating);
		goto backoff;
	}

	moved = drm_pagemap_migrate_to_devmem(devmem, gpusvm->mm,
					      inflight.start, inflight.end);
	if (moved > 0) {
		atomic64_inc(&gpusvm->stats.migrations_to_devmem);
		drm_gpusvm_range_note_migration(gpusvm, range);
	} else {
		atomic64_inc(&gpusvm->stats.migrate_fallbacks);
	}

	drm_gpusvm_inflight_release(&inflight);
	clear_bit_unlock(0, &range->migrating);
	return moved;

backoff:
	atomic64_inc(&gpusvm->stats.migrate_backoffs);
	return -EBUSY;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_migrate_to_devmem);
