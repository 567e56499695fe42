// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>

#include <kunit/visibility.h>

#include "gpusvm_internal.h"

/**
 * DOC: Overview
 *
 * policy.c is the one place where drm_gpusvm decides *how much* and *where*:
 * the mechanism in gpusvm.c and pages.c asks, policy.c answers. Every knob is
 * a module parameter (``/sys/module/drm_gpusvm/parameters/``) with its
 * default and reason documented here, and ``policy`` in the module's debugfs
 * directory shows the values in effect. Glue drivers make no window or
 * placement decision of their own.
 *
 * Knobs:
 *
 * ``chunk_sizes`` (default ``2097152,65536,4096``)
 *	Candidate sizes of a fault window, largest first. A GPU fault gets the
 *	largest naturally aligned window that fits, so a 2 MiB THP can be
 *	mapped with one 2 MiB GPU PTE and a stream of faults does not pay one
 *	round trip per 4 KiB. Every size must be a power of two, at least
 *	PAGE_SIZE, strictly decreasing; the list must end with PAGE_SIZE so a
 *	fault always gets a window.
 *
 * ``notifier_size_mb`` (default 512)
 *	Size and alignment of one MMU interval notifier. Inserting a notifier
 *	takes the mm's notifier lock and walks the mm's interval tree, so one
 *	per fault would be slow; a large, long-lived one is inserted once per
 *	512 MiB of VA in use. It must be a power of two and at least the
 *	largest chunk size.
 */

/**
 * DOC: Locking
 *
 * The policy is pure: it reads its parameters and the arguments it is given
 * and calls back into the mechanism for the facts it needs (does a window
 * overlap a range, are its pages present). It takes no lock; the caller of
 * drm_gpusvm_policy_window() holds &drm_gpusvm.lock and mmap_lock in read
 * mode, which is what the callbacks need. Parameters are read once per
 * decision, so a concurrent write through sysfs yields either the old or the
 * new value, never a mix.
 */

/**
 * DOC: Examples
 *
 * The core asks for a fault window like this (simplified from
 * drm_gpusvm_range_find_or_insert())::
 *
 *	struct drm_gpusvm_window_args args = {
 *		.fault_addr = addr,
 *		.vma_start = vma->vm_start, .vma_end = vma->vm_end,
 *		.notifier_start = nstart, .notifier_end = nend,
 *		.gpuva_start = ctx->gpuva_start, .gpuva_end = ctx->gpuva_end,
 *		.overlaps = range_overlaps, .present = pages_present,
 *		.arg = notifier,
 *	};
 *
 *	err = drm_gpusvm_policy_window(&args, &start, &end);
 */

#define DRM_GPUSVM_MAX_CHUNKS	8

static unsigned long chunk_sizes[DRM_GPUSVM_MAX_CHUNKS] = {
	SZ_2M, SZ_64K, SZ_4K,
};

static unsigned int num_chunk_sizes = 3;
module_param_array(chunk_sizes, ulong, &num_chunk_sizes, 0444);
MODULE_PARM_DESC(chunk_sizes,
		 "Fault window sizes, largest first, ending with PAGE_SIZE (default 2097152,65536,4096)");

static unsigned int notifier_size_mb = 512;
module_param(notifier_size_mb, uint, 0444);
MODULE_PARM_DESC(notifier_size_mb,
		 "Size and alignment of one MMU interval notifier in MiB, power of two (default 512)");

/* Check the module parameters once at load, so decisions can trust them. */
int drm_gpusvm_policy_init(void)
{
	unsigned int i;

	if (!num_chunk_sizes || chunk_sizes[num_chunk_sizes - 1] != PAGE_SIZE)
		goto invalid;
	for (i = 0; i < num_chunk_sizes; i++) {
		if (!is_power_of_2(chunk_sizes[i]) || chunk_sizes[i] < PAGE_SIZE)
			goto invalid;
		if (i && chunk_sizes[i] >= chunk_sizes[i - 1])
			goto invalid;
	}
	if (!is_power_of_2(notifier_size_mb) ||
	    (unsigned long)notifier_size_mb * SZ_1M < chunk_sizes[0])
		goto invalid;
	return 0;

invalid:
	pr_err("drm_gpusvm: invalid chunk_sizes or notifier_size_mb\n");
	return -EINVAL;
}

/**
 * drm_gpusvm_policy_notifier_size() - Default notifier size
 *
 * Return: the notifier size and alignment in bytes.
 */
unsigned long drm_gpusvm_policy_notifier_size(void)
{
	return (unsigned long)notifier_size_mb * SZ_1M;
}

/* Does the aligned window [start, end) of one chunk size fit every bound? */
static bool window_fits(const struct drm_gpusvm_window_args *args,
			unsigned long start, unsigned long end)
{
	return start >= args->vma_start && end <= args->vma_end &&
	       start >= args->notifier_start && end <= args->notifier_end &&
	       start >= args->gpuva_start &&
	       (!args->gpuva_end || end <= args->gpuva_end) &&
	       !args->overlaps(args->arg, start, end);
}

/**
 * drm_gpusvm_policy_window() - Choose the fault window for a GPU fault
 * @args: The fault address, its bounds and the mechanism's callbacks
 * @start: Set to the window start
 * @end: Set to the window end (exclusive)
 *
 * Picks the largest chunk size whose naturally aligned window around
 * @args->fault_addr lies inside the CPU VMA, the notifier and the GPU VA
 * limits and overlaps no existing range. A window smaller than the largest
 * chunk but larger than a page is only used over pages already present in
 * the CPU page table: a partial window over unpopulated memory would later
 * block a large window (and a huge GPU PTE) for the rest of the chunk, so
 * the core rather maps one page now and lets the neighbours fault their own.
 *
 * Return: 0 on success, -ENOENT when @args->fault_addr is outside the VMA or
 * the GPU VA limits, -EEXIST when not even one page fits: the faulting page
 * is covered by a range already, or its window would wrap the address space.
 */
int drm_gpusvm_policy_window(const struct drm_gpusvm_window_args *args,
			     unsigned long *start, unsigned long *end)
{
	unsigned long addr = args->fault_addr;
	unsigned int i, n = READ_ONCE(num_chunk_sizes);

	if (addr < args->vma_start || addr >= args->vma_end ||
	    addr < args->gpuva_start ||
	    (args->gpuva_end && addr >= args->gpuva_end))
		return -ENOENT;

	for (i = 0; i < n; i++) {
		unsigned long size = READ_ONCE(chunk_sizes[i]);
		unsigned long s = ALIGN_DOWN(addr, size);
		unsigned long e;

		if (check_add_overflow(s, size, &e) || !window_fits(args, s, e))
			continue;
		if (i && i != n - 1 && !args->present(args->arg, s, e))
			continue;
		*start = s;
		*end = e;
		return 0;
	}
	return -EEXIST;
}
EXPORT_SYMBOL_IF_KUNIT(drm_gpusvm_policy_window);
