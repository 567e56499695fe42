// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm_types.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/jiffies.h>

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
 *
 * ``cpu_fault_window_kb`` (default 512)
 *	How much a CPU fault on a device page moves back to system memory:
 *	the naturally aligned window of this size around the faulting page,
 *	clipped to the VMA. The faulting page always moves (R2); its
 *	neighbours come along because CPU access is usually sequential and
 *	each CPU fault on device memory costs a copy-engine round trip plus a
 *	GPU invalidation. 512 KiB amortises both (make bench: CPU-fault
 *	migration 2.6x test_hmm, against 1.0-1.4x with 64 KiB) and still
 *	leaves three quarters of a 2 MiB range on the device when the GPU is
 *	still using it. A power of two, at least PAGE_SIZE / 1024.
 *
 * ``migrate_on_fault`` (default 7)
 *	Bit mask of GPU access types (1 read, 2 write, 4 atomic) for which a
 *	GPU fault migrates a range to device memory when the driver gave no
 *	preferred location. A preferred location of system memory never
 *	migrates; device memory always does. Device-local data is what a
 *	GPU is fast on, so by default every access migrates.
 *
 * ``thrash_window_ms`` (default 100), ``thrash_threshold`` (default 3),
 * ``thrash_cooldown_ms`` (default 1000)
 *	Ping-pong control. A range migrated to device memory again within
 *	``thrash_window_ms`` of its previous migration has bounced: the CPU
 *	(or eviction) took it back in between. After ``thrash_threshold``
 *	bounces in a row the range stays in system memory and is mapped
 *	remotely for ``thrash_cooldown_ms``: both sides then keep working
 *	instead of paying two copies per access.
 *
 * ``atomic_retries`` (default 3)
 *	Strict atomics: how many times a GPU atomic fault that needs device
 *	memory (or exclusive access) retries before the fault fails cleanly
 *	with -EACCES. Bounded so that a CPU hammering the same page cannot
 *	livelock the GPU fault handler.
 *
 * ``busy_replays`` (default 8)
 *	A GPU fault whose page collection kept losing races with
 *	invalidations for the core's whole timeout (-EBUSY, typically two
 *	devices pulling one range into their own memory) is not the job's
 *	fault: the driver replays the job, so the other side and the VM's
 *	other faults get through in between, up to this many such faults of
 *	a VM in a row; then the job fails with -EBUSY, so contention cannot
 *	stall a VM for ever. See drm_gpusvm_fault_busy_replay().
 *
 * ``devmem_timeslice_ms`` (default 5)
 *	Minimum residency of freshly migrated data on the device: a CPU fault
 *	within this time of the migration waits for the rest of it before
 *	taking pages back, so the GPU gets to use what it paid to move. The
 *	CPU fault still always completes (R2).
 *
 * ``fault_ahead_kb`` (default 2048)
 *	How much of a range around the faulting address a GPU fault faults in
 *	with hmm_range_fault(); the rest of the range is only collected if
 *	already present (R16). The default, a whole 2 MiB range, suits
 *	streaming access; smaller values populate less memory on sparse
 *	access at the cost of more GPU faults.
 *
 * ``evict_on_pressure`` (default 1)
 *	When a device's memory cannot hold data a driver wants to migrate
 *	there, drm_pagemap_make_room() evicts that device's oldest
 *	allocations to system memory first (1), or leaves the new data in
 *	system memory (0). Evicting favours the working set of the current
 *	GPU work over data migrated long ago; 0 suits devices that reach
 *	system memory almost as fast as their own.
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

static unsigned int cpu_fault_window_kb = 512;
module_param(cpu_fault_window_kb, uint, 0444);
MODULE_PARM_DESC(cpu_fault_window_kb,
		 "KiB moved back to RAM around a CPU fault on device memory, power of two (default 512)");

static unsigned int migrate_on_fault = 7;
module_param(migrate_on_fault, uint, 0444);
MODULE_PARM_DESC(migrate_on_fault,
		 "Access types that migrate to device memory on a GPU fault: 1 read, 2 write, 4 atomic (default 7)");

static unsigned int thrash_window_ms = 100;
module_param(thrash_window_ms, uint, 0444);
MODULE_PARM_DESC(thrash_window_ms,
		 "A re-migration within this many ms is a bounce (default 100)");

static unsigned int thrash_threshold = 3;
module_param(thrash_threshold, uint, 0444);
MODULE_PARM_DESC(thrash_threshold,
		 "Bounces after which a range stays in system memory (default 3)");

static unsigned int thrash_cooldown_ms = 1000;
module_param(thrash_cooldown_ms, uint, 0444);
MODULE_PARM_DESC(thrash_cooldown_ms,
		 "How long a thrashing range stays in system memory, ms (default 1000)");

static unsigned int atomic_retries = 3;
module_param(atomic_retries, uint, 0444);
MODULE_PARM_DESC(atomic_retries,
		 "Retries of a strict GPU atomic fault before -EACCES (default 3)");

static unsigned int busy_replays = 8;
module_param(busy_replays, uint, 0444);
MODULE_PARM_DESC(busy_replays,
		 "GPU faults in a row that found the core busy and replay before a job fails (default 8)");

static unsigned int devmem_timeslice_ms = 5;
module_param(devmem_timeslice_ms, uint, 0444);
MODULE_PARM_DESC(devmem_timeslice_ms,
		 "Minimum device residency before a CPU fault takes pages back, ms (default 5)");

static unsigned int fault_ahead_kb = 2048;
module_param(fault_ahead_kb, uint, 0444);
MODULE_PARM_DESC(fault_ahead_kb,
		 "KiB of a range a GPU fault faults in around the address, power of two (default 2048)");

static bool evict_on_pressure = true;
module_param(evict_on_pressure, bool, 0444);
MODULE_PARM_DESC(evict_on_pressure,
		 "Evict the oldest device memory to make room for new migrations (default 1)");

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
	if (!is_power_of_2(cpu_fault_window_kb) ||
	    (unsigned long)cpu_fault_window_kb * SZ_1K < PAGE_SIZE)
		goto invalid;
	if (!is_power_of_2(fault_ahead_kb) ||
	    (unsigned long)fault_ahead_kb * SZ_1K < PAGE_SIZE)
		goto invalid;
	if (migrate_on_fault > 7 || !thrash_threshold)
		goto invalid;
	return 0;

invalid:
	pr_err("drm_gpusvm: invalid policy module parameter\n");
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

/**
 * drm_gpusvm_policy_cpu_fault_window() - What a CPU fault moves to RAM
 * @vma: The VMA of the fault
 * @addr: The faulting address
 * @start: Set to the window start
 * @end: Set to the window end (exclusive)
 *
 * The naturally aligned ``cpu_fault_window_kb`` window around @addr,
 * clipped to @vma; it always contains the faulting page.
 */
void drm_gpusvm_policy_cpu_fault_window(struct vm_area_struct *vma,
					unsigned long addr, unsigned long *start,
					unsigned long *end)
{
	unsigned long size = (unsigned long)cpu_fault_window_kb * SZ_1K;
	unsigned long s = ALIGN_DOWN(addr, size);

	*start = max(s, vma->vm_start);
	*end = min(s + size - 1, vma->vm_end - 1) + 1;
}
EXPORT_SYMBOL_IF_KUNIT(drm_gpusvm_policy_cpu_fault_window);

/**
 * drm_gpusvm_policy_want_devmem() - Should a GPU fault migrate to devmem?
 * @args: The access, the preferred location and the range's history
 *
 * Return: true to migrate the range to device memory before collecting
 * its pages, false to map it where it is.
 */
bool drm_gpusvm_policy_want_devmem(const struct drm_gpusvm_migrate_args *args)
{
	if (!args->devmem_available)
		return false;
	if (args->thrash_until && time_before(args->now, args->thrash_until))
		return false;
	switch (args->preferred) {
	case DRM_GPUSVM_LOC_SYSTEM:
		return false;
	case DRM_GPUSVM_LOC_DEVICE:
		return true;
	default:
		return READ_ONCE(migrate_on_fault) & BIT(args->access);
	}
}
EXPORT_SYMBOL_IF_KUNIT(drm_gpusvm_policy_want_devmem);

/**
 * drm_gpusvm_policy_note_migration() - Account a migration to device memory
 * @hist: The range's migration history, updated
 * @now: The current time in jiffies
 *
 * Return: true when this migration made the range a thrashing one; it then
 * stays in system memory until @hist->thrash_until.
 */
bool drm_gpusvm_policy_note_migration(struct drm_gpusvm_migrate_hist *hist,
				      unsigned long now)
{
	unsigned long window = msecs_to_jiffies(READ_ONCE(thrash_window_ms));
	bool bounced = hist->last && time_before(now, hist->last + window);

	hist->last = now;
	hist->bounces = bounced ? hist->bounces + 1 : 0;
	if (hist->bounces < READ_ONCE(thrash_threshold))
		return false;
	hist->bounces = 0;
	hist->thrash_until = now + msecs_to_jiffies(READ_ONCE(thrash_cooldown_ms));
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(drm_gpusvm_policy_note_migration);

/**
 * drm_gpusvm_atomic_retry() - May a strict atomic fault try again?
 * @attempt: How many attempts were made so far, starting at 1
 *
 * Return: 0 to retry, -EACCES when the ``atomic_retries`` budget is spent.
 */
int drm_gpusvm_atomic_retry(unsigned int attempt)
{
	return attempt <= READ_ONCE(atomic_retries) ? 0 : -EACCES;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_atomic_retry);

/**
 * drm_gpusvm_fault_busy_replay() - Replay a job whose fault found the core busy?
 * @streak: Faults of the VM in a row that ended with -EBUSY, this one
 *	included, starting at 1
 *
 * For a driver whose GPU fault got -EBUSY from
 * drm_gpusvm_range_get_pages(): replay the job (its access faults again)
 * or give up on it. The driver resets its streak on any other outcome.
 *
 * Return: 0 to replay, -EBUSY once ``busy_replays`` such faults in a row
 * were replayed.
 */
int drm_gpusvm_fault_busy_replay(unsigned int streak)
{
	return streak < READ_ONCE(busy_replays) ? 0 : -EBUSY;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_fault_busy_replay);

/**
 * drm_gpusvm_policy_cpu_fault_delay() - Residency left before a CPU fault
 * @migrated_at: jiffies of the migration to device memory, 0 if unknown
 * @now: The current time in jiffies
 *
 * Return: jiffies the CPU fault waits before taking pages back, 0 for none.
 */
unsigned long drm_gpusvm_policy_cpu_fault_delay(unsigned long migrated_at,
						unsigned long now)
{
	unsigned long end = migrated_at +
			    msecs_to_jiffies(READ_ONCE(devmem_timeslice_ms));

	if (!migrated_at || !time_before(now, end))
		return 0;
	return end - now;
}
EXPORT_SYMBOL_IF_KUNIT(drm_gpusvm_policy_cpu_fault_delay);

/**
 * drm_gpusvm_policy_fault_span() - What part of a range a GPU fault faults
 * @range_start: Start of the range
 * @range_end: End of the range (exclusive)
 * @addr: The faulting address
 * @start: Set to the start of the span to fault in
 * @end: Set to its end (exclusive)
 *
 * The naturally aligned ``fault_ahead_kb`` window around @addr, clipped to
 * the range; the rest of the range is collected only if present (R16).
 */
void drm_gpusvm_policy_fault_span(unsigned long range_start,
				  unsigned long range_end, unsigned long addr,
				  unsigned long *start, unsigned long *end)
{
	unsigned long size = (unsigned long)READ_ONCE(fault_ahead_kb) * SZ_1K;
	unsigned long s = ALIGN_DOWN(addr, size);

	*start = max(s, range_start);
	*end = min(s + size - 1, range_end - 1) + 1;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_policy_fault_span);

/**
 * drm_gpusvm_policy_evict_on_pressure() - Evict old data for new migrations?
 *
 * Return: the ``evict_on_pressure`` knob.
 */
bool drm_gpusvm_policy_evict_on_pressure(void)
{
	return READ_ONCE(evict_on_pressure);
}

/* debugfs "policy": every knob and its value, one per line. */
static int drm_gpusvm_policy_show(struct seq_file *m, void *data)
{
	unsigned int i;

	seq_puts(m, "chunk_sizes");
	for (i = 0; i < num_chunk_sizes; i++)
		seq_printf(m, " %lu", chunk_sizes[i]);
	seq_printf(m, "\nnotifier_size_mb %u\ncpu_fault_window_kb %u\n",
		   notifier_size_mb, cpu_fault_window_kb);
	seq_printf(m, "migrate_on_fault %u\nthrash_window_ms %u\n",
		   migrate_on_fault, thrash_window_ms);
	seq_printf(m, "thrash_threshold %u\nthrash_cooldown_ms %u\n",
		   thrash_threshold, thrash_cooldown_ms);
	seq_printf(m, "atomic_retries %u\nbusy_replays %u\n",
		   atomic_retries, busy_replays);
	seq_printf(m, "devmem_timeslice_ms %u\n", devmem_timeslice_ms);
	seq_printf(m, "fault_ahead_kb %u\nevict_on_pressure %u\n",
		   fault_ahead_kb, evict_on_pressure);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(drm_gpusvm_policy);

/* Show the policy in the module's debugfs directory. */
void drm_gpusvm_policy_debugfs(struct dentry *root)
{
	debugfs_create_file("policy", 0444, root, NULL, &drm_gpusvm_policy_fops);
}
