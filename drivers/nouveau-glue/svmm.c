// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/drm_pagemap.h>

#include "nouveau_glue.h"
#include "nouveau_glue_drm.h"

/**
 * DOC: Overview
 *
 * nouveau_glue is a nouveau-style DRM driver on simgpu, written as a user
 * of drm_gpusvm. What makes it nouveau rather than xe:
 *
 * - GPU faults arrive through the device's replayable fault buffer
 *   (simgpu's DOC: Fault buffer): one handler per device drains it in
 *   batches, sorts and coalesces the entries, serves each fault window
 *   once through drm_gpusvm_fault_service(), then replays every stalled
 *   access at once or cancels the ones that cannot be served (fault.c).
 * - GPU atomics on system memory use the core's device-exclusive access,
 *   as nouveau's SVM does with make_device_exclusive(): no page is pinned,
 *   a CPU access revokes the exclusive entry through the MMU notifier and
 *   the next GPU atomic faults again. Retry budgets and the ping-pong
 *   timeslice are policy.c's, reached through the core.
 * - The page tables are GP100's: three plain directories and a dual PD0
 *   over 64 KiB and 4 KiB page tables (vmm.c).
 * - The uAPI follows nouveau's SVM ioctls: SVM_INIT makes a channel whose
 *   VM mirrors a window of the caller's address space, SVM_BIND sets
 *   attributes of a span or migrates it (bind.c), EXEC and WAIT run jobs
 *   (exec.c).
 * - Migrations copy through a kernel channel, as nouveau_dmem_copy() does
 *   through drm->dmem's copy channel: simgpu's pagemap ops push one COPY
 *   method per run of contiguous pages into the device's kernel copy
 *   channel, emit a SEMAPHORE_RELEASE whose seqno fence the core waits
 *   for, and kick GP_PUT (simgpu's DOC: Copy channel). The channel is the
 *   device's, not the glue's: all three glues migrate through the same
 *   &struct drm_pagemap of a device. SVM_STATS shows its counters.
 *
 * A channel owns one &struct nvg_svmm: a &struct drm_gpusvm over its
 * window and a &struct simgpu_as attached to the device's fault buffer
 * under a device-unique instance id, the key of fault entries.
 */

/**
 * DOC: Locking
 *
 * Lock order, outermost first::
 *
 *	&nvg_svmm.lock (VM lock, a mutex)
 *	  &drm_gpusvm.lock -> mmap_lock -> fs_reclaim
 *	    &drm_gpusvm.notifier_lock (reclaim lock)
 *	      &simgpu_as.lock (spinlock, innermost)
 *	  mmap_lock -> &simgpu_chan.lock (the device's kernel copy channel,
 *	    a mutex taken by the core's copies, nothing nested)
 *	&nvg_device.instances xa_lock (spinlock, nothing nested)
 *
 * The VM lock serialises fault service, SVM_BIND and page-table
 * allocation; it is registered with drm_gpusvm_driver_set_lock(). The
 * fault handler takes it per channel while it serves a batch, and under it
 * only &simgpu_as.lock (translation checks, targeted cancels); the replay
 * it issues once the buffer is drained takes simgpu's fault buffer list
 * lock and then each &simgpu_as.lock, with no VM lock held. The
 * invalidate ops run under the notifier lock in write mode from reclaim
 * and the OOM reaper: they take only &simgpu_as.lock to clear PTEs and
 * flush the TLB, never the VM lock, never allocate, never sleep.
 *
 * Lifetime: an SVM is reference counted. Its owner (a channel handle of a
 * file, or a test_hmm mirror file), each ioctl in flight and each fault
 * batch that has entries of it hold one. The last reference tears it
 * down in process context: the instance id goes first (new entries of it
 * are dropped), simgpu_as_fini() cancels stalled jobs and waits for
 * running ones, the address space leaves the fault buffer (no replay
 * restarts a job of it, so a dying channel does not flood the shared
 * buffer), drm_gpusvm_fini() zaps and unmaps every range, the tables are
 * freed.
 */

/* Clear the PTEs of the ranges in [start, end) and flush, range by range. */
static void nvg_svmm_zap(struct drm_gpusvm *gpusvm,
			 struct drm_gpusvm_notifier *notifier,
			 unsigned long start, unsigned long end)
{
	struct nvg_svmm *svmm = to_nvg_svmm(gpusvm);
	struct drm_gpusvm_range *range;
	unsigned long rs, re;

	lockdep_assert_held_write(&gpusvm->notifier_lock);
	/* Whole ranges: the core DMA-unmaps whole ranges after this */
	drm_gpusvm_for_each_range(range, notifier, start, end) {
		rs = drm_gpusvm_range_start(range);
		re = drm_gpusvm_range_end(range);
		if (nvg_vmm_unmap(svmm, rs, re)) {
			simgpu_tlb_flush(&svmm->as, rs, re);
			atomic64_inc(&svmm->stats.invalidations);
		}
	}
}

/* &drm_gpusvm_ops.invalidate, see DOC: Locking. */
static void nvg_svmm_invalidate(struct drm_gpusvm *gpusvm,
				struct drm_gpusvm_notifier *notifier,
				unsigned long start, unsigned long end)
{
	nvg_svmm_zap(gpusvm, notifier, start, end);
}

/* &drm_gpusvm_ops.invalidate_nonblock: the zap never sleeps (R7). */
static bool nvg_svmm_invalidate_nonblock(struct drm_gpusvm *gpusvm,
					 struct drm_gpusvm_notifier *notifier,
					 unsigned long start, unsigned long end)
{
	nvg_svmm_zap(gpusvm, notifier, start, end);
	return true;
}

static const struct drm_gpusvm_ops nvg_gpusvm_ops = {
	.invalidate = nvg_svmm_invalidate,
	.invalidate_nonblock = nvg_svmm_invalidate_nonblock,
	.bind_prepare = nvg_vmm_prepare,
	.bind = nvg_vmm_bind,
};

/* Faults go to the fault buffer, so only the walker is needed. */
static const struct simgpu_as_ops nvg_as_ops = {
	.walk = nvg_vmm_walk,
};

/* Teach lockdep that the VM lock ranks above the core's and ours. */
static void nvg_svmm_lockdep_prime(struct nvg_svmm *svmm)
{
	if (!IS_ENABLED(CONFIG_LOCKDEP))
		return;
	/* The core primed SVMM lock -> its locks in drm_gpusvm_driver_set_lock() */
	mutex_lock(&svmm->lock);
	spin_lock(&svmm->as.lock);
	spin_unlock(&svmm->as.lock);
	mutex_unlock(&svmm->lock);
}

/*
 * Reserve an instance id; nvg_svmm_create() publishes the SVM under it
 * once it is whole, so the fault handler never finds a half-made one.
 */
static int nvg_svmm_instance_add(struct nvg_svmm *svmm)
{
	struct nvg_device *ndev = svmm->ndev;
	int err;

	err = xa_alloc_cyclic(&ndev->instances, &svmm->instance, NULL,
			      xa_limit_32b, &ndev->next_instance, GFP_KERNEL);
	return err < 0 ? err : 0;
}

/* Everything but the allocation and the instance; unwound on failure. */
static int nvg_svmm_init(struct nvg_svmm *svmm, struct mm_struct *mm)
{
	struct simgpu_device *sdev = svmm->ndev->sdev;
	int err;

	err = nvg_vmm_init(svmm);
	if (err)
		return err;
	simgpu_as_init(&svmm->as, sdev, &nvg_as_ops);
	simgpu_faultbuf_attach(&svmm->as, svmm->instance);
	err = drm_gpusvm_init(&svmm->gpusvm, svmm->name, simgpu_dma_dev(sdev),
			      mm, drm_pagemap_owner(simgpu_pagemap(sdev)),
			      svmm->va_start, svmm->va_end - svmm->va_start, 0,
			      &nvg_gpusvm_ops);
	if (err) {
		simgpu_as_fini(&svmm->as);
		simgpu_faultbuf_detach(&svmm->as);
		nvg_vmm_fini(svmm);
		return err;
	}
	drm_gpusvm_driver_set_lock(&svmm->gpusvm,
				   drm_gpusvm_driver_lockdep_map(&svmm->lock));
	nvg_svmm_lockdep_prime(svmm);
	return 0;
}

/**
 * nvg_svmm_create() - Create the SVM of a channel
 * @ndev: The device
 * @mm: The mm to mirror; held (mm_count) through the core
 * @start: First mirrored address, page aligned
 * @end: End of the window (exclusive), page aligned, at most TASK_SIZE
 * @dflt: Attributes of every address no SVM_BIND ATTR covers
 *
 * Context: Process context.
 *
 * Return: the SVM with one reference, or an ERR_PTR.
 */
struct nvg_svmm *nvg_svmm_create(struct nvg_device *ndev, struct mm_struct *mm,
				 unsigned long start, unsigned long end,
				 const struct nvg_attr *dflt)
{
	struct nvg_svmm *svmm;
	int err;

	svmm = kzalloc(sizeof(*svmm), GFP_KERNEL);
	if (!svmm)
		return ERR_PTR(-ENOMEM);
	svmm->ndev = ndev;
	svmm->va_start = start;
	svmm->va_end = end;
	svmm->dflt = *dflt;
	kref_init(&svmm->refcount);
	mutex_init(&svmm->lock);
	mt_init(&svmm->attrs);
	xa_init_flags(&svmm->jobs, XA_FLAGS_ALLOC1);

	err = nvg_svmm_instance_add(svmm);
	if (err)
		goto err_free;
	snprintf(svmm->name, sizeof(svmm->name), "nouveau_glue%u-inst%u",
		 simgpu_index(ndev->sdev), svmm->instance);
	err = nvg_svmm_init(svmm, mm);
	if (err)
		goto err_instance;
	/* The slot is reserved: storing into it does not allocate */
	xa_store(&ndev->instances, svmm->instance, svmm, GFP_KERNEL);
	return svmm;

err_instance:
	xa_erase(&ndev->instances, svmm->instance);
err_free:
	mutex_destroy(&svmm->lock);
	kfree(svmm);
	return ERR_PTR(err);
}

/* The last reference: tear down in the order of DOC: Locking. */
static void nvg_svmm_release(struct kref *kref)
{
	struct nvg_svmm *svmm = container_of(kref, struct nvg_svmm, refcount);

	xa_erase(&svmm->ndev->instances, svmm->instance);
	/*
	 * Stop the jobs before the zap: otherwise every replay (of any
	 * channel) restarts them and they fault again into the shared
	 * buffer while drm_gpusvm_fini() runs. No entry can name a job of
	 * this channel afterwards, and no replay walks its address space.
	 */
	simgpu_as_fini(&svmm->as);
	simgpu_faultbuf_detach(&svmm->as);
	drm_gpusvm_fini(&svmm->gpusvm);
	nvg_jobs_fini(svmm);
	nvg_vmm_fini(svmm);
	mtree_destroy(&svmm->attrs);
	mutex_destroy(&svmm->lock);
	kfree(svmm);
}

/**
 * nvg_svmm_put() - Drop an SVM reference
 * @svmm: The SVM, or NULL
 *
 * Context: Process context: the last reference tears the SVM down.
 */
void nvg_svmm_put(struct nvg_svmm *svmm)
{
	might_sleep();
	if (svmm)
		kref_put(&svmm->refcount, nvg_svmm_release);
}

/**
 * nvg_instance_get() - The SVM of a fault entry's instance
 * @ndev: The device
 * @instance: &simgpu_fault_entry.instance
 *
 * Return: the SVM with a reference, or NULL when it is gone (its stalled
 * jobs were cancelled by its teardown).
 */
struct nvg_svmm *nvg_instance_get(struct nvg_device *ndev, u32 instance)
{
	struct nvg_svmm *svmm;

	xa_lock(&ndev->instances);
	svmm = xa_load(&ndev->instances, instance);
	if (svmm && !kref_get_unless_zero(&svmm->refcount))
		svmm = NULL;
	xa_unlock(&ndev->instances);
	return svmm;
}

/**
 * nvg_svmm_lookup() - The SVM of a file's channel, with a reference
 * @nfile: The file
 * @channel: The channel handle
 * @need_mm: The caller touches the channel's memory: it must run in the
 *	mirrored process
 * @err: Set to -ENOENT or -EACCES when NULL is returned
 *
 * Return: the SVM, or NULL.
 */
struct nvg_svmm *nvg_svmm_lookup(struct nvg_file *nfile, u32 channel,
				 bool need_mm, int *err)
{
	struct nvg_svmm *svmm;

	xa_lock(&nfile->chans);
	svmm = xa_load(&nfile->chans, channel);
	if (svmm)
		kref_get(&svmm->refcount);
	xa_unlock(&nfile->chans);
	if (!svmm) {
		*err = -ENOENT;
	} else if (need_mm && current->mm != svmm->gpusvm.mm) {
		nvg_svmm_put(svmm);
		svmm = NULL;
		*err = -EACCES;
	}
	return svmm;
}

/* The window SVM_INIT asks for, checked: [*start, *end). */
static int nvg_svm_window(const struct drm_nouveau_glue_svm_init *args,
			  unsigned long *start, unsigned long *end)
{
	u64 last;

	if (args->flags & ~DRM_NOUVEAU_GLUE_SVM_INIT_ALL)
		return -EINVAL;
	if (args->flags) {
		if (args->va_start || args->va_size)
			return -EINVAL;
		*start = 0;
		*end = TASK_SIZE & PAGE_MASK;
		return 0;
	}
	if (!args->va_size || !PAGE_ALIGNED(args->va_start) ||
	    !PAGE_ALIGNED(args->va_size) ||
	    check_add_overflow(args->va_start, args->va_size, &last) ||
	    last > (TASK_SIZE & PAGE_MASK))
		return -EINVAL;
	*start = args->va_start;
	*end = last;
	return 0;
}

/**
 * nvg_svm_init_ioctl() - DRM_IOCTL_NOUVEAU_GLUE_SVM_INIT
 * @drm: The DRM device
 * @data: &struct drm_nouveau_glue_svm_init
 * @file: The file
 *
 * Return: 0; -EINVAL for bad flags or window, or a caller without an mm;
 * -ENOMEM; -EBUSY when no handle or instance is free.
 */
int nvg_svm_init_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	static const struct nvg_attr dflt = {
		.target = DRM_NOUVEAU_GLUE_TARGET_DEFAULT,
		.atomic = DRM_NOUVEAU_GLUE_ATOMIC_DEFAULT,
	};
	struct drm_nouveau_glue_svm_init *args = data;
	struct nvg_file *nfile = file->driver_priv;
	unsigned long start, end;
	struct nvg_svmm *svmm;
	u32 id;
	int err;

	err = nvg_svm_window(args, &start, &end);
	if (err || !current->mm)
		return err ?: -EINVAL;
	svmm = nvg_svmm_create(nfile->ndev, current->mm, start, end, &dflt);
	if (IS_ERR(svmm))
		return PTR_ERR(svmm);
	err = xa_alloc(&nfile->chans, &id, svmm, xa_limit_32b, GFP_KERNEL);
	if (err) {
		nvg_svmm_put(svmm);
		return err;
	}
	args->channel = id;
	return 0;
}

/**
 * nvg_channel_free_ioctl() - DRM_IOCTL_NOUVEAU_GLUE_CHANNEL_FREE
 * @drm: The DRM device
 * @data: &struct drm_nouveau_glue_channel_free
 * @file: The file
 *
 * The channel goes when the last ioctl using it returns.
 *
 * Return: 0; -EINVAL for a non-zero pad; -ENOENT for an unknown channel.
 */
int nvg_channel_free_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	struct drm_nouveau_glue_channel_free *args = data;
	struct nvg_file *nfile = file->driver_priv;
	struct nvg_svmm *svmm;

	if (args->pad)
		return -EINVAL;
	svmm = xa_erase(&nfile->chans, args->channel);
	if (!svmm)
		return -ENOENT;
	nvg_svmm_put(svmm);
	return 0;
}

/**
 * nvg_file_channels_fini() - Free every channel of a closing file
 * @nfile: The file
 */
void nvg_file_channels_fini(struct nvg_file *nfile)
{
	struct nvg_svmm *svmm;
	unsigned long id;

	xa_for_each(&nfile->chans, id, svmm) {
		xa_erase(&nfile->chans, id);
		nvg_svmm_put(svmm);
	}
}

/* The counters of the device's kernel copy channel, see DOC: Overview. */
static void nvg_svm_stats_copy_chan(struct simgpu_device *sdev,
				    struct drm_nouveau_glue_svm_stats *args)
{
	struct simgpu_chan_stats cs;

	simgpu_chan_stats(simgpu_kernel_chan(sdev), &cs);
	args->copy_chan_methods = cs.copy_methods;
	args->copy_chan_semaphores = cs.semaphores;
	args->copy_chan_ring_waits = cs.ring_waits;
	args->copy_chan_gp_get = cs.gp_get;
	args->copy_chan_gp_put = cs.gp_put;
}

/**
 * nvg_svm_stats_ioctl() - DRM_IOCTL_NOUVEAU_GLUE_SVM_STATS
 * @drm: The DRM device
 * @data: &struct drm_nouveau_glue_svm_stats
 * @file: The file
 *
 * Return: 0; -EINVAL for a non-zero pad; -ENOENT for an unknown channel.
 */
int nvg_svm_stats_ioctl(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct drm_nouveau_glue_svm_stats *args = data;
	const struct simgpu_faultbuf_stats *fb;
	const struct drm_pagemap_stats *pm;
	struct nvg_svmm *svmm;
	struct simgpu_device *sdev;
	int err;

	if (args->pad)
		return -EINVAL;
	svmm = nvg_svmm_lookup(file->driver_priv, args->channel, false, &err);
	if (!svmm)
		return err;
	sdev = svmm->ndev->sdev;
	fb = simgpu_faultbuf_stats(sdev);
	pm = &simgpu_pagemap(sdev)->stats;

	args->fault_buffer_size = simgpu_faultbuf_size(sdev);
	args->faults = atomic64_read(&svmm->stats.faults);
	args->faults_serviced = atomic64_read(&svmm->stats.serviced);
	args->faults_coalesced = atomic64_read(&svmm->stats.coalesced);
	args->faults_cancelled = atomic64_read(&svmm->stats.cancelled);
	args->fault_posted = atomic64_read(&fb->posted);
	args->fault_batches = atomic64_read(&svmm->ndev->batches);
	args->fault_overflows = atomic64_read(&fb->dropped);
	args->replays = atomic64_read(&fb->replays);
	args->pages_mapped = atomic64_read(&svmm->stats.pages_mapped);
	args->atomic_binds = atomic64_read(&svmm->stats.atomic_binds);
	args->migrations_to_vram =
		atomic64_read(&svmm->gpusvm.stats.pages_to_devmem);
	args->migrations_to_ram = atomic64_read(&pm->pages_to_ram);
	args->invalidations = atomic64_read(&svmm->stats.invalidations);
	args->tlb_flushes = atomic64_read(&svmm->as.stats.tlb_flushes);
	args->retries = atomic64_read(&svmm->gpusvm.stats.retries) +
			atomic64_read(&svmm->gpusvm.stats.bind_retries);
	args->jobs = atomic64_read(&svmm->stats.jobs);
	args->jobs_failed = atomic64_read(&svmm->stats.jobs_failed);
	args->evictions = atomic64_read(&pm->evictions);
	nvg_svm_stats_copy_chan(sdev, args);
	nvg_svmm_put(svmm);
	return 0;
}
