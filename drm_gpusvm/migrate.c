// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/bitops.h>
#include <linux/jiffies.h>

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
 * &drm_gpusvm_range.migrating, not by a lock held across core mm: a second
 * thread (another GPU of the same mm, or a prefetch racing a fault) that
 * finds the bit set backs off with -EBUSY and maps the range where it is,
 * so two migrators never take pages from each other in a loop (R15). The
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
 * Return: pages moved; -EBUSY when another thread is migrating the range;
 * or the error of drm_pagemap_migrate_to_devmem().
 */
long drm_gpusvm_range_migrate_to_devmem(struct drm_gpusvm *gpusvm,
					struct drm_gpusvm_range *range,
					struct drm_pagemap_devmem *devmem)
{
	long moved;

	might_lock_read(&gpusvm->mm->mmap_lock);
	if (test_and_set_bit_lock(0, &range->migrating)) {
		atomic64_inc(&gpusvm->stats.migrate_backoffs);
		return -EBUSY;
	}

	moved = drm_pagemap_migrate_to_devmem(devmem, gpusvm->mm,
					      drm_gpusvm_range_start(range),
					      drm_gpusvm_range_end(range));
	if (moved > 0) {
		atomic64_inc(&gpusvm->stats.migrations_to_devmem);
		drm_gpusvm_range_note_migration(gpusvm, range);
	} else {
		atomic64_inc(&gpusvm->stats.migrate_fallbacks);
	}

	clear_bit_unlock(0, &range->migrating);
	return moved;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_migrate_to_devmem);
