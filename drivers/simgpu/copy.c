// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/fault-inject.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "simgpu_internal.h"

/**
 * DOC: Copy engine
 *
 * The copy engine moves whole pages between VRAM and DMA addresses of
 * system memory, nothing else: the pagemap ops copy_to_devmem and
 * copy_to_ram hand it the core's arrays (a page NULL or a DMA address 0
 * skips the entry), it checks every entry and records it in a copy job,
 * and a worker of the device's copy workqueue does the copies and signals
 * the job's &dma_fence. The caller gets the fence and waits for it.
 *
 * The worker is a dma-fence signalling critical section (the core waits
 * for the fence during migrations, under mmap_lock): it neither allocates
 * nor takes a lock; everything it needs was allocated at submission.
 *
 * Failures are injected with the fault attribute ``fail_copy`` in the
 * device's debugfs directory (Documentation/fault-injection/): a job it
 * picks copies nothing and its fence signals -EIO, which the core must
 * turn into a fallback (R3) or a SIGBUS, never stale data (R2). The module
 * parameter ``copy_delay_us`` delays every job, to widen race windows.
 */

/**
 * struct simgpu_copy_entry - One page to copy
 * @vram: VRAM page index
 * @dma: DMA address of the system page
 */
struct simgpu_copy_entry {
	u32 vram;
	dma_addr_t dma;
};

/**
 * struct simgpu_copy - A copy job
 */
struct simgpu_copy {
	/**
	 * @fence: Completion; its refcount is the job's. First member: the
	 * release frees the job through it
	 */
	struct dma_fence fence;
	/** @lock: The fence's lock */
	spinlock_t lock;
	/** @sdev: The device */
	struct simgpu_device *sdev;
	/** @work: Runs the job on &simgpu_device.copy_wq */
	struct work_struct work;
	/** @ents: Pages to copy, filled at submission */
	struct simgpu_copy_entry *ents;
	/** @n: Entries of @ents */
	unsigned long n;
	/** @to_ram: Direction */
	bool to_ram;
};

static const char *simgpu_copy_driver_name(struct dma_fence *fence)
{
	return "simgpu";
}

static const char *simgpu_copy_timeline_name(struct dma_fence *fence)
{
	return "copy";
}

static void simgpu_copy_release(struct dma_fence *fence)
{
	struct simgpu_copy *c = container_of(fence, struct simgpu_copy, fence);

	kvfree(c->ents);
	dma_fence_free(fence);
}

static const struct dma_fence_ops simgpu_copy_fence_ops = {
	.get_driver_name = simgpu_copy_driver_name,
	.get_timeline_name = simgpu_copy_timeline_name,
	.release = simgpu_copy_release,
};

/* Copy every entry; the entries were checked at submission. */
static void simgpu_copy_pages(struct simgpu_copy *c)
{
	struct simgpu_device *sdev = c->sdev;
	unsigned long i;

	for (i = 0; i < c->n; i++) {
		void *vram = page_address(sdev->backing[c->ents[i].vram]);
		void *sys = simgpu_sys_vaddr(sdev, c->ents[i].dma);

		if (c->to_ram)
			memcpy(sys, vram, PAGE_SIZE);
		else
			memcpy(vram, sys, PAGE_SIZE);
		cond_resched();
	}
	atomic64_add(c->n, &sdev->stats.copy_pages);
}

static void simgpu_copy_work(struct work_struct *work)
{
	struct simgpu_copy *c = container_of(work, struct simgpu_copy, work);
	struct simgpu_device *sdev = c->sdev;
	unsigned int delay = READ_ONCE(simgpu_copy_delay_us);
	bool cookie = dma_fence_begin_signalling();

	if (delay)
		fsleep(delay);
	if (should_fail(&sdev->fail_copy, 1)) {
		dma_fence_set_error(&c->fence, -EIO);
		atomic64_inc(&sdev->stats.copy_failures);
	} else {
		simgpu_copy_pages(c);
	}
	dma_fence_signal(&c->fence);
	dma_fence_end_signalling(cookie);
	dma_fence_put(&c->fence);	/* Pairs with simgpu_copy_submit() */
}

/* Record the entries to copy; a foreign page or bad address is a bug. */
static int simgpu_copy_collect(struct simgpu_copy *c, struct page **pages,
			       dma_addr_t *dma, unsigned long npages)
{
	unsigned long i;
	long idx;

	for (i = 0; i < npages; i++) {
		if (!pages[i] || !dma[i])
			continue;
		idx = simgpu_vram_page_index(c->sdev, pages[i]);
		if (WARN_ON_ONCE(idx < 0) ||
		    !simgpu_sys_vaddr(c->sdev, dma[i]))
			return -EINVAL;
		c->ents[c->n].vram = idx;
		c->ents[c->n].dma = dma[i];
		c->n++;
	}
	return 0;
}

/**
 * simgpu_copy_submit() - Copy pages between VRAM and system memory
 * @sdev: The device
 * @pages: VRAM pages of @sdev, NULL to skip an entry
 * @dma: DMA addresses of system pages, 0 to skip an entry
 * @npages: Entries of @pages and @dma
 * @to_ram: Direction: VRAM to system memory, or the other way
 *
 * The arrays are read before this returns; the copy itself is
 * asynchronous.
 *
 * Context: Process context.
 *
 * Return: the job's fence (signals with -EIO on an injected failure),
 * NULL when no entry needs a copy, ERR_PTR(-ENOMEM), or ERR_PTR(-EINVAL)
 * for a page that is not VRAM of @sdev or an address that is not system
 * memory.
 */
struct dma_fence *simgpu_copy_submit(struct simgpu_device *sdev,
				     struct page **pages, dma_addr_t *dma,
				     unsigned long npages, bool to_ram)
{
	struct simgpu_copy *c;
	int err;

	BUILD_BUG_ON(offsetof(struct simgpu_copy, fence));
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	c->ents = kvmalloc_array(npages, sizeof(*c->ents), GFP_KERNEL);
	if (!c->ents) {
		err = -ENOMEM;
		goto err_free;
	}
	c->sdev = sdev;
	c->to_ram = to_ram;
	err = simgpu_copy_collect(c, pages, dma, npages);
	if (err || !c->n)
		goto err_free;

	spin_lock_init(&c->lock);
	dma_fence_init(&c->fence, &simgpu_copy_fence_ops, &c->lock,
		       dma_fence_context_alloc(1), 1);
	INIT_WORK(&c->work, simgpu_copy_work);
	atomic64_inc(&sdev->stats.copies);
	dma_fence_get(&c->fence);	/* The worker's */
	queue_work(sdev->copy_wq, &c->work);
	return &c->fence;

err_free:
	kvfree(c->ents);
	kfree(c);
	return err ? ERR_PTR(err) : NULL;
}
