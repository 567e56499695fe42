// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/dma-fence.h>
#include <linux/limits.h>
#include <linux/mm.h>

#include "simgpu_internal.h"

/**
 * DOC: Copy engine
 *
 * Migrations copy through the device's kernel channel
 * (&simgpu_device.chan, created at probe like nouveau's kernel copy
 * channel), see DOC: Copy channel. The pagemap ops copy_to_devmem and
 * copy_to_ram hand simgpu_copy_submit() the core's arrays (a page NULL or
 * a DMA address 0 skips the entry). It checks every entry first, then,
 * under the channel lock, pushes one COPY method per run of entries whose
 * VRAM pages and DMA addresses are both contiguous, emits a fence and
 * kicks. The caller gets the fence and waits for it.
 *
 * All entries are checked before the first method is pushed, and the
 * fence is allocated before the channel lock is taken, so a submission
 * either pushes nothing or ends with a fence: no copy into memory the
 * caller is about to free can run unobserved.
 *
 * Failures are injected with the fault attribute ``fail_copy`` in the
 * device's debugfs directory (Documentation/fault-injection/): a COPY
 * method it picks copies nothing and the submission's fence signals -EIO,
 * which the core must turn into a fallback (R3) or a SIGBUS, never stale
 * data (R2). The module parameter ``copy_delay_us`` delays every
 * submission, to widen race windows.
 */

/*
 * Check every entry to copy; a foreign page or an address that is not
 * system memory is a caller bug. Returns the entries to copy or -EINVAL.
 */
static long simgpu_copy_check(struct simgpu_device *sdev, struct page **pages,
			      dma_addr_t *dma, unsigned long npages)
{
	unsigned long i;
	long n = 0;

	for (i = 0; i < npages; i++) {
		if (!pages[i] || !dma[i])
			continue;
		if (WARN_ON_ONCE(simgpu_vram_page_index(sdev, pages[i]) < 0) ||
		    WARN_ON_ONCE(dma[i] & SIMGPU_VRAM_TAG ||
				 !simgpu_chan_addr_valid(sdev->chan, dma[i], 1)))
			return -EINVAL;
		n++;
	}
	return n;
}

/* Entries from @i on whose VRAM pages and DMA addresses both advance by one. */
static u32 simgpu_copy_run(struct simgpu_device *sdev, struct page **pages,
			   dma_addr_t *dma, unsigned long npages,
			   unsigned long i)
{
	long idx = simgpu_vram_page_index(sdev, pages[i]);
	u32 len = 1;

	while (i + len < npages && len < U32_MAX && pages[i + len] &&
	       dma[i + len] == dma[i] + ((dma_addr_t)len << PAGE_SHIFT) &&
	       simgpu_vram_page_index(sdev, pages[i + len]) == idx + len)
		len++;
	return len;
}

/*
 * Push one COPY method per run. simgpu_copy_check() checked every page of
 * every run: a VRAM page of @sdev and a system page each.
 */
static void simgpu_copy_push(struct simgpu_device *sdev, struct page **pages,
			     dma_addr_t *dma, unsigned long npages, bool to_ram)
{
	unsigned long i = 0;
	u64 vram, sys;
	long idx;
	u32 len;

	while (i < npages) {
		if (!pages[i] || !dma[i]) {
			i++;
			continue;
		}
		len = simgpu_copy_run(sdev, pages, dma, npages, i);
		idx = simgpu_vram_page_index(sdev, pages[i]);
		vram = simgpu_vram_addr(sdev, idx);
		sys = dma[i];
		__simgpu_chan_push_copy(sdev->chan, to_ram ? sys : vram,
					to_ram ? vram : sys, len);
		i += len;
	}
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
 * asynchronous, through the device's kernel channel.
 *
 * Context: Process context; takes the kernel channel's lock, may wait for
 * ring space.
 *
 * Return: the submission's fence (signals with -EIO on an injected
 * failure), NULL when no entry needs a copy, ERR_PTR(-ENOMEM), or
 * ERR_PTR(-EINVAL) for a page that is not VRAM of @sdev or an address that
 * is not system memory.
 */
struct dma_fence *simgpu_copy_submit(struct simgpu_device *sdev,
				     struct page **pages, dma_addr_t *dma,
				     unsigned long npages, bool to_ram)
{
	struct simgpu_chan *chan = sdev->chan;
	struct simgpu_chan_fence *f;
	struct dma_fence *fence;
	long n;

	n = simgpu_copy_check(sdev, pages, dma, npages);
	if (n <= 0)
		return n ? ERR_PTR(n) : NULL;
	f = simgpu_chan_fence_alloc();
	if (!f)
		return ERR_PTR(-ENOMEM);

	simgpu_chan_lock(chan);
	simgpu_copy_push(sdev, pages, dma, npages, to_ram);
	fence = simgpu_chan_fence_emit(chan, f);
	simgpu_chan_kick(chan);
	simgpu_chan_unlock(chan);
	atomic64_inc(&sdev->stats.copies);
	return fence;
}
