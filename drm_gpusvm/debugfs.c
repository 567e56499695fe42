// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/seq_file.h>

#include <drm/drm_gpusvm.h>
#include <drm/drm_pagemap.h>

#include "gpusvm_internal.h"

/**
 * DOC: Statistics
 *
 * Every gpusvm gets a directory ``drm_gpusvm/<name>-<n>/`` in debugfs with a
 * ``stats`` file: one ``name value`` line per counter of
 * &struct drm_gpusvm_stats, plus the current number of notifiers and
 * ranges. Every pagemap gets ``drm_gpusvm/pagemap-<n>/stats`` with the
 * counters of &struct drm_pagemap_stats: migrations and pages each way,
 * bytes each way, fallbacks, copy failures, evictions and CPU faults on
 * device memory. The module directory also holds ``policy``, every knob of
 * policy.c with its value, and two standard fault-injection attributes
 * (see Documentation/fault-injection/), both with task filtering:
 * ``fail_alloc`` fails the core's allocations and DMA mappings, so tests
 * can fail the N-th allocation of one operation (R11); ``fail_seqno``
 * makes a drm_gpusvm_range_get_pages() attempt find its sequence number
 * stale, as if an invalidation had raced with it, so race suites drive the
 * retry path at a chosen rate (R4).
 *
 * The counters say how often; the tracepoints of the ``drm_gpusvm`` trace
 * system (gpusvm_trace.h) say when and where: ``drm_gpusvm_fault`` (each
 * fault served, with its tries and result), ``drm_gpusvm_get_pages`` (span,
 * sequence retries, result), ``drm_gpusvm_invalidate`` (span, MMU notifier
 * event, whether it could block and whether the GPU had to zap),
 * ``drm_pagemap_migrate_to_devmem``, ``drm_pagemap_migrate_to_ram`` and
 * ``drm_pagemap_evict`` (pages moved). ``make check`` fails if one of them
 * does not fire during the xe glue's tests.
 */

static struct dentry *drm_gpusvm_debugfs_dir;
static atomic_t drm_gpusvm_debugfs_id = ATOMIC_INIT(0);

/* A counter's name and its offset in a stats structure. */
struct drm_gpusvm_stat_name {
	const char *name;
	size_t offset;
};

#define STAT(name__) { #name__, offsetof(struct drm_gpusvm_stats, name__) }

static const struct drm_gpusvm_stat_name drm_gpusvm_stat_names[] = {
	STAT(faults), STAT(ranges_created), STAT(pages_mapped),
	STAT(get_pages), STAT(retries), STAT(invalidations),
	STAT(invalidations_gpu), STAT(nonblock_ok), STAT(nonblock_refused),
	STAT(two_pass), STAT(two_pass_fallback), STAT(gc_ranges),
	STAT(notifiers), STAT(migrations_to_devmem), STAT(migrate_fallbacks),
	STAT(migrate_backoffs), STAT(thrash_events), STAT(pages_to_devmem),
	STAT(binds), STAT(bind_retries),
};

#define PSTAT(name__) { #name__, offsetof(struct drm_pagemap_stats, name__) }

static const struct drm_gpusvm_stat_name drm_pagemap_stat_names[] = {
	PSTAT(migrations_to_devmem), PSTAT(migrations_to_ram),
	PSTAT(pages_to_devmem), PSTAT(pages_to_ram), PSTAT(fallbacks),
	PSTAT(copy_failures), PSTAT(evictions), PSTAT(cpu_faults),
};

/* Print one "name value" line per atomic64_t counter of @stats. */
static void drm_gpusvm_show_counters(struct seq_file *m, const void *stats,
				     const struct drm_gpusvm_stat_name *names,
				     unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const atomic64_t *v = stats + names[i].offset;

		seq_printf(m, "%s %lld\n", names[i].name,
			   (long long)atomic64_read(v));
	}
}

/* Count the live notifiers and ranges under &drm_gpusvm.lock. */
static void drm_gpusvm_count_objects(struct drm_gpusvm *gpusvm,
				     unsigned long *notifiers,
				     unsigned long *ranges)
{
	struct drm_gpusvm_notifier *notifier;
	struct drm_gpusvm_range *range;

	*notifiers = 0;
	*ranges = 0;
	mutex_lock(&gpusvm->lock);
	list_for_each_entry(notifier, &gpusvm->notifier_list, entry) {
		(*notifiers)++;
		list_for_each_entry(range, &notifier->range_list, entry)
			(*ranges)++;
	}
	mutex_unlock(&gpusvm->lock);
}

static int drm_gpusvm_stats_show(struct seq_file *m, void *data)
{
	struct drm_gpusvm *gpusvm = m->private;
	unsigned long notifiers, ranges;

	drm_gpusvm_show_counters(m, &gpusvm->stats, drm_gpusvm_stat_names,
				 ARRAY_SIZE(drm_gpusvm_stat_names));
	drm_gpusvm_count_objects(gpusvm, &notifiers, &ranges);
	seq_printf(m, "live_notifiers %lu\nlive_ranges %lu\n", notifiers, ranges);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(drm_gpusvm_stats);

static int drm_pagemap_stats_show(struct seq_file *m, void *data)
{
	struct drm_pagemap *dpagemap = m->private;

	drm_gpusvm_show_counters(m, &dpagemap->stats, drm_pagemap_stat_names,
				 ARRAY_SIZE(drm_pagemap_stat_names));
	seq_printf(m, "bytes_to_devmem %lld\nbytes_to_ram %lld\n",
		   (long long)atomic64_read(&dpagemap->stats.pages_to_devmem) *
		   PAGE_SIZE,
		   (long long)atomic64_read(&dpagemap->stats.pages_to_ram) *
		   PAGE_SIZE);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(drm_pagemap_stats);

/* Give a pagemap its debugfs directory; failure only loses the view. */
void drm_pagemap_debugfs_add(struct drm_pagemap *dpagemap)
{
	char name[32];

	if (IS_ERR_OR_NULL(drm_gpusvm_debugfs_dir))
		return;
	snprintf(name, sizeof(name), "pagemap-%d",
		 atomic_inc_return(&drm_gpusvm_debugfs_id));
	dpagemap->debugfs = debugfs_create_dir(name, drm_gpusvm_debugfs_dir);
	debugfs_create_file("stats", 0444, dpagemap->debugfs, dpagemap,
			    &drm_pagemap_stats_fops);
}

/* Give a gpusvm its debugfs directory; failure only loses the view. */
void drm_gpusvm_debugfs_add(struct drm_gpusvm *gpusvm)
{
	char name[64];

	if (IS_ERR_OR_NULL(drm_gpusvm_debugfs_dir))
		return;
	snprintf(name, sizeof(name), "%s-%d", gpusvm->name ?: "gpusvm",
		 atomic_inc_return(&drm_gpusvm_debugfs_id));
	gpusvm->debugfs = debugfs_create_dir(name, drm_gpusvm_debugfs_dir);
	debugfs_create_file("stats", 0444, gpusvm->debugfs, gpusvm,
			    &drm_gpusvm_stats_fops);
}

int drm_gpusvm_debugfs_init(void)
{
	drm_gpusvm_debugfs_dir = debugfs_create_dir("drm_gpusvm", NULL);
	fault_create_debugfs_attr("fail_alloc", drm_gpusvm_debugfs_dir,
				  &drm_gpusvm_fail_alloc);
	fault_create_debugfs_attr("fail_seqno", drm_gpusvm_debugfs_dir,
				  &drm_gpusvm_fail_seqno);
	drm_gpusvm_policy_debugfs(drm_gpusvm_debugfs_dir);
	return 0;
}

void drm_gpusvm_debugfs_fini(void)
{
	debugfs_remove_recursive(drm_gpusvm_debugfs_dir);
}
