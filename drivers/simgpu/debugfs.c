// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/seq_file.h>

#include "simgpu_internal.h"

/**
 * DOC: debugfs
 *
 * Each device has ``simgpu/<index>/`` in debugfs with:
 *
 * - ``stats``: one ``name value`` line each for the VRAM size and free
 *   pages, and the counters of &struct simgpu_stats (jobs, cancelled jobs,
 *   copy jobs, pages copied, failed copy jobs).
 * - ``fail_copy/``: a standard fault-injection attribute
 *   (Documentation/fault-injection/fault-injection.rst) that fails copy
 *   jobs with -EIO; e.g. ``probability`` 100 and ``times`` 1 fail the
 *   next one. Copy jobs run on a workqueue, so ``task-filter`` does not
 *   apply.
 *
 * Counters of the MMU are per address space (&struct simgpu_as_stats);
 * the glue shows them with its VM.
 */

static struct dentry *simgpu_debugfs_root;

static int simgpu_stats_show(struct seq_file *m, void *data)
{
	struct simgpu_device *sdev = m->private;
	const struct simgpu_stats *s = &sdev->stats;

	seq_printf(m, "vram_pages %lu\n", simgpu_vram_pages(sdev));
	seq_printf(m, "vram_free_pages %lu\n", simgpu_vram_free_pages(sdev));
	seq_printf(m, "jobs %lld\n", (long long)atomic64_read(&s->jobs));
	seq_printf(m, "jobs_cancelled %lld\n",
		   (long long)atomic64_read(&s->jobs_cancelled));
	seq_printf(m, "copies %lld\n", (long long)atomic64_read(&s->copies));
	seq_printf(m, "copy_pages %lld\n",
		   (long long)atomic64_read(&s->copy_pages));
	seq_printf(m, "copy_failures %lld\n",
		   (long long)atomic64_read(&s->copy_failures));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(simgpu_stats);

/* The module's directory; failure only loses the view. */
void simgpu_debugfs_init(void)
{
	simgpu_debugfs_root = debugfs_create_dir("simgpu", NULL);
}

void simgpu_debugfs_fini(void)
{
	debugfs_remove_recursive(simgpu_debugfs_root);
}

/* A device's directory, see DOC: debugfs. */
void simgpu_debugfs_add(struct simgpu_device *sdev)
{
	char name[16];

	snprintf(name, sizeof(name), "%u", sdev->index);
	sdev->debugfs = debugfs_create_dir(name, simgpu_debugfs_root);
	debugfs_create_file("stats", 0444, sdev->debugfs, sdev,
			    &simgpu_stats_fops);
	fault_create_debugfs_attr("fail_copy", sdev->debugfs, &sdev->fail_copy);
}

void simgpu_debugfs_remove(struct simgpu_device *sdev)
{
	debugfs_remove_recursive(sdev->debugfs);
	sdev->debugfs = NULL;
}
