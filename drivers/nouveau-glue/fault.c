// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sort.h>
#include <linux/workqueue.h>

#include <drm/drm_pagemap.h>

#include "nouveau_glue.h"
#include "nouveau_glue_drm.h"

/**
 * DOC: Fault buffer handling
 *
 * As nouveau_svm_fault() does for the GPU's replayable fault buffer: the
 * buffer's interrupt (nvg_fault_irq(), from simgpu's exec engine) only
 * queues the device's fault worker. The worker
 *
 * 1. reads up to %NVG_FAULT_BATCH entries from GET towards PUT and the
 *    overflow flag;
 * 2. resolves each entry's instance to its channel's SVM (an entry of a
 *    channel that is gone is dropped: the channel's teardown cancelled its
 *    jobs);
 * 3. sorts the batch by (instance, address, strongest access first) so
 *    that the faults of one channel are served together under its VM lock
 *    and duplicates sit next to each other;
 * 4. serves each fault window once: an entry for the page just served
 *    successfully with an access no stronger is answered by that service
 *    (one that failed is no answer for a weaker access: a read of a
 *    read-only page is served although a write to it got -EPERM, a load
 *    although an atomic got -EACCES), and an entry whose
 *    address the page tables already translate with the access it needs
 *    (a neighbour's service mapped it) is answered without the core;
 *    everything else goes to drm_gpusvm_fault_service() with the span's
 *    SVM_BIND attributes;
 * 5. cancels, one by one, the jobs of entries that cannot be served: an
 *    address outside the channel's SVM window or not mapped by the CPU
 *    (-EFAULT), a write to read-only memory (-EPERM), an atomic that could
 *    not be placed (-EACCES), and whatever else the core returns;
 * 6. loops until the buffer is empty, then replays every stalled access
 *    of the device once (also after an overflow with nothing to read).
 *
 * The replay restarts stalled jobs whose entries were not read yet, or
 * were dropped on overflow: they fault again if they still must, and the
 * worker meets them in a later batch. That is how an overflow recovers
 * without bookkeeping: the hardware keeps the jobs stalled, the replay
 * lets them report again into a buffer that has room. An -EBUSY from the
 * core (races kept winning) is not the job's fault: the job is replayed
 * while drm_gpusvm_fault_busy_replay() allows, then cancelled.
 */

/* Where the entries of a batch sort: instance, page, strongest first. */
static int nvg_fault_cmp(const void *a, const void *b)
{
	const struct nvg_fault *fa = a, *fb = b;
	u64 pa = fa->va >> PAGE_SHIFT, pb = fb->va >> PAGE_SHIFT;

	if (fa->svmm->instance != fb->svmm->instance)
		return fa->svmm->instance < fb->svmm->instance ? -1 : 1;
	if (pa != pb)
		return pa < pb ? -1 : 1;
	return (int)fb->access - (int)fa->access;
}

static enum drm_gpusvm_access nvg_fault_access(u8 access)
{
	switch (access) {
	case SIMGPU_ACCESS_ATOMIC:
		return DRM_GPUSVM_ACCESS_ATOMIC;
	case SIMGPU_ACCESS_WRITE:
		return DRM_GPUSVM_ACCESS_WRITE;
	default:
		return DRM_GPUSVM_ACCESS_READ;
	}
}

/* Does the MMU already translate @f's address with the access it needs? */
static bool nvg_fault_covered(struct nvg_svmm *svmm, const struct nvg_fault *f)
{
	static const unsigned int need[] = {
		[SIMGPU_ACCESS_READ] = SIMGPU_XLATE_VALID,
		[SIMGPU_ACCESS_WRITE] = SIMGPU_XLATE_VALID | SIMGPU_XLATE_WRITE,
		[SIMGPU_ACCESS_ATOMIC] = SIMGPU_XLATE_VALID | SIMGPU_XLATE_ATOMIC,
	};
	struct simgpu_xlate xl;

	if (f->access >= ARRAY_SIZE(need) ||
	    !simgpu_as_translate(&svmm->as, f->va, &xl))
		return false;
	return (xl.flags & need[f->access]) == need[f->access];
}

/* Serve one fault through the core; 0 means replay. VM lock held. */
static int nvg_fault_service(struct nvg_svmm *svmm, const struct nvg_fault *f)
{
	struct nvg_attr attr = nvg_attr_get(svmm, f->va);
	struct drm_gpusvm_fault_req req = {
		.addr = f->va,
		.access = nvg_fault_access(f->access),
		.preferred = nvg_target_loc(attr.target),
		.atomic = nvg_atomic_mode(attr.atomic),
		.dpagemap = simgpu_pagemap(svmm->ndev->sdev),
	};
	int err;

	lockdep_assert_held(&svmm->lock);
	if (f->va < svmm->va_start || f->va >= svmm->va_end)
		return -EFAULT;
	atomic64_inc(&svmm->stats.serviced);
	err = drm_gpusvm_fault_service(&svmm->gpusvm, &req, NULL);
	if (err == -EBUSY &&
	    !drm_gpusvm_fault_busy_replay(++svmm->busy_streak))
		return 0;
	svmm->busy_streak = 0;
	return err;
}

/**
 * struct nvg_fault_last - The last fault served in a run of one channel
 * @page: Its page number, or ~0 for none
 * @access: Its access
 * @err: Its outcome
 */
struct nvg_fault_last {
	u64 page;
	u8 access;
	int err;
};

/* The outcome of one entry: served, coalesced with a neighbour, or not. */
static int nvg_fault_one(struct nvg_svmm *svmm, const struct nvg_fault *f,
			 struct nvg_fault_last *last)
{
	u64 page = f->va >> PAGE_SHIFT;

	atomic64_inc(&svmm->stats.faults);
	/* Only a success answers a weaker access: a read may work */
	if (page == last->page && f->access <= last->access && !last->err) {
		atomic64_inc(&svmm->stats.coalesced);
		return last->err;
	}
	if (nvg_fault_covered(svmm, f)) {
		atomic64_inc(&svmm->stats.coalesced);
		return 0;
	}
	last->page = page;
	last->access = f->access;
	last->err = nvg_fault_service(svmm, f);
	return last->err;
}

/* Handle the run of @n sorted entries of one channel. */
static void nvg_fault_run(struct nvg_svmm *svmm, const struct nvg_fault *f,
			  unsigned int n)
{
	struct nvg_fault_last last = { .page = ~0ULL };
	unsigned int i;
	int err;

	mutex_lock(&svmm->lock);
	for (i = 0; i < n; i++) {
		err = nvg_fault_one(svmm, &f[i], &last);
		if (!err)
			continue;
		/* -ENOENT: the job went meanwhile (its channel is closing) */
		if (!simgpu_faultbuf_cancel(&svmm->as, f[i].job, f[i].ts, err))
			atomic64_inc(&svmm->stats.jobs_failed);
		atomic64_inc(&svmm->stats.cancelled);
	}
	mutex_unlock(&svmm->lock);
}

/* Resolve @n raw entries into the batch; returns how many are live. */
static unsigned int nvg_fault_resolve(struct nvg_device *ndev, unsigned int n)
{
	struct svmm_cache {
		u32 instance;
		struct nvg_svmm *svmm;
	} c = { .svmm = NULL };
	unsigned int i, m = 0;

	for (i = 0; i < n; i++) {
		const struct simgpu_fault_entry *e = &ndev->raw[i];
		struct nvg_svmm *svmm;

		if (c.svmm && c.instance == e->instance)
			svmm = c.svmm;
		else
			svmm = nvg_instance_get(ndev, e->instance);
		if (!svmm)
			continue;
		if (svmm == c.svmm)
			kref_get(&svmm->refcount);
		c.svmm = svmm;
		c.instance = e->instance;
		ndev->batch[m++] = (struct nvg_fault) {
			.svmm = svmm,
			.va = e->va,
			.job = e->job,
			.ts = e->timestamp,
			.access = e->access,
		};
	}
	return m;
}

/* Handle @n raw entries: resolve, sort, serve by channel, drop refs. */
static void nvg_fault_batch(struct nvg_device *ndev, unsigned int n)
{
	struct nvg_fault *f = ndev->batch;
	unsigned int i, j, m;

	m = nvg_fault_resolve(ndev, n);
	sort(f, m, sizeof(*f), nvg_fault_cmp, NULL);
	for (i = 0; i < m; i = j) {
		for (j = i + 1; j < m && f[j].svmm == f[i].svmm; j++)
			;
		nvg_fault_run(f[i].svmm, &f[i], j - i);
	}
	for (i = 0; i < m; i++)
		nvg_svmm_put(f[i].svmm);
}

/**
 * nvg_fault_work() - The fault buffer's bottom half
 * @work: &nvg_device.fault_work
 *
 * See DOC: Fault buffer handling. One per device, never concurrent with
 * itself (one work item), so it alone issues replays and cancels.
 *
 * Context: Process context (system_unbound_wq); takes VM locks.
 */
void nvg_fault_work(struct work_struct *work)
{
	struct nvg_device *ndev = container_of(work, struct nvg_device,
					       fault_work);
	struct simgpu_device *sdev = ndev->sdev;
	bool overflow = false, any = false;
	unsigned int n;

	/*
	 * Drain before the one replay: a replay per batch would restart the
	 * jobs whose entries are still unread, and each would post again.
	 * Nothing replays meanwhile, so every stalled job posts at most one
	 * entry and the loop ends.
	 */
	for (;;) {
		n = simgpu_faultbuf_read(sdev, ndev->raw, NVG_FAULT_BATCH);
		overflow |= simgpu_faultbuf_overflow_clear(sdev);
		if (!n)
			break;
		any = true;
		atomic64_inc(&ndev->batches);
		nvg_fault_batch(ndev, n);
		cond_resched();
	}
	/* The replayed jobs that fault again raise the interrupt anew */
	if (any || overflow)
		simgpu_faultbuf_replay(sdev);
}

/**
 * nvg_fault_irq() - The fault buffer's interrupt handler
 * @data: The &struct nvg_device
 *
 * Context: simgpu's exec engine worker or debugfs, no simgpu lock held.
 */
void nvg_fault_irq(void *data)
{
	struct nvg_device *ndev = data;

	queue_work(system_unbound_wq, &ndev->fault_work);
}
