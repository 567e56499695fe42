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
 *   copy submissions, pages copied, failed COPY methods), then the
 *   kernel copy channel's (&struct simgpu_chan_stats) prefixed ``chan_``.
 * - ``fail_copy/``: a standard fault-injection attribute
 *   (Documentation/fault-injection/fault-injection.rst) that fails COPY
 *   methods of any channel, the fence of their submission signalling
 *   -EIO; e.g. ``probability`` 100 and ``times`` 1 fail the next one.
 *   The engine runs on a workqueue, so ``task-filter`` does not apply.
 *
 * Counters of the MMU are per address space (&struct simgpu_as_stats);
 * the glue shows them with its VM.
 */

static struct dentry *simgpu_debugfs_root;

static int simgpu_stats_show(struct seq_file *m, void *data)
{
	struct simgpu_device *sdev = m->private;
	const struct simgpu_stats *s = &sdev->stats;
	struct simgpu_chan_stats cs;

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
	simgpu_chan_stats(sdev->chan, &cs);
	seq_printf(m, "chan_entries %llu\n", cs.entries);
	seq_printf(m, "chan_copy_methods %llu\n", cs.copy_methods);
	seq_printf(m, "chan_semaphores %llu\n", cs.semaphores);
	seq_printf(m, "chan_ring_waits %llu\n", cs.ring_waits);
	seq_printf(m, "chan_gp_get %llu\n", cs.gp_get);
	seq_printf(m, "chan_gp_put %llu\n", cs.gp_put);
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
