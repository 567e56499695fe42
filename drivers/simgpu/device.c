// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/platform_device.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "simgpu_internal.h"

/**
 * DOC: Overview
 *
 * simgpu is the hardware the glue drivers run on, so its model is honest
 * rather than convenient (DESIGN.md section 7):
 *
 * - VRAM (vram.c): a fixed pool of ordinary kernel pages, one backing page
 *   per VRAM page, exposed to mm as DEVICE_PRIVATE pages through one
 *   &struct drm_pagemap per device. A VRAM device address is
 *   %SIMGPU_VRAM_TAG | device index << 48 | offset, so a peer's VRAM is
 *   unambiguous in a page table.
 * - MMU (mmu.c): one &struct simgpu_as per VM. It translates only through
 *   the glue's page walker and a direct-mapped TLB that really caches:
 *   a changed page-table entry is not seen until simgpu_tlb_flush().
 * - Exec engine (exec.c): jobs are short op lists over GPU VAs that run
 *   page by page until an access faults; the job then parks, the glue gets
 *   a fault record, and a replay continues exactly where it stopped.
 * - Copy engine (chan.c, copy.c): executes COPY and SEMAPHORE_RELEASE
 *   methods pushed into channels, nouveau style; every device has a
 *   kernel channel through which migrations move pages between VRAM and
 *   DMA addresses, completing through seqno fences; fails on demand.
 *
 * The device has no IOMMU: its DMA addresses are physical addresses, and
 * the engines reach system memory through phys_to_virt(dma_to_phys()).
 *
 * Module parameters: ``nr_devices`` (1..8), ``vram_mb`` (per device, a
 * multiple of 2), ``peer`` (all devices share one owner token, so
 * hmm_range_fault() and migrations let each map the others' VRAM; off,
 * each device has its own token and a peer's VRAM page is migrated to
 * system memory before the device maps it) and ``copy_delay_us`` (a delay
 * per copy submission, writable at run time, to widen race windows in
 * tests).
 */

/**
 * DOC: Locking
 *
 * simgpu has these locks, none taken inside another:
 *
 * - &simgpu_as.lock: serialises every translation and memory access of an
 *   address space with TLB flushes, and guards its job list. Glue invalidate
 *   ops take it (through simgpu_tlb_flush()) inside the core's notifier
 *   lock, which reclaim takes; so nothing under it sleeps, allocates or
 *   faults: the glue's walker only reads page tables.
 * - &simgpu_device.vram_lock: the VRAM pool. Taken by the populate op
 *   (migration, under mmap_lock) and by the release op (the core's work
 *   item); it only sets and clears bits of the pool's bitmap.
 * - &simgpu_chan.lock: a mutex, the submitter's side of a copy channel.
 *   Taken by simgpu_copy_submit() in process context (migrations under
 *   mmap_lock, CPU faults on VRAM, evictions); no copy op runs in
 *   reclaim, and under it a submitter neither allocates nor takes another
 *   lock, it only waits for ring space, which the engine frees without
 *   any lock.
 * - &simgpu_chan.fence_lock: a spinlock, a channel's pending fences.
 * - The fence locks of jobs and channel fences.
 *
 * The exec engine calls the glue's fault op with no simgpu lock held; the
 * copy engine's workers are dma-fence signalling critical sections and
 * never allocate.
 */

static unsigned int nr_devices = 2;
module_param(nr_devices, uint, 0444);
MODULE_PARM_DESC(nr_devices, "Number of simulated GPUs (1..8, default 2)");

static unsigned int vram_mb = 256;
module_param(vram_mb, uint, 0444);
MODULE_PARM_DESC(vram_mb, "VRAM per device in MiB, a multiple of 2 (default 256)");

static bool peer;
module_param(peer, bool, 0444);
MODULE_PARM_DESC(peer, "Devices share one owner token and map each other's VRAM (default false)");

unsigned int simgpu_copy_delay_us;
module_param_named(copy_delay_us, simgpu_copy_delay_us, uint, 0644);
MODULE_PARM_DESC(copy_delay_us, "Delay of every copy submission in microseconds (default 0)");

/* Written at module init only; read by everyone after. */
static struct simgpu_device *simgpu_devices[SIMGPU_MAX_DEVICES];
static unsigned int simgpu_nr_devices;
/* The owner token every device shares when peer is set. */
static int simgpu_peer_owner;

/**
 * simgpu_count() - Number of simulated GPUs
 *
 * Return: the number of devices, fixed while the module is loaded.
 */
unsigned int simgpu_count(void)
{
	return simgpu_nr_devices;
}
EXPORT_SYMBOL_GPL(simgpu_count);

/* A device by index, for the MMU's decoding of VRAM addresses. */
struct simgpu_device *simgpu_device_lookup(unsigned int index)
{
	return index < simgpu_nr_devices ? simgpu_devices[index] : NULL;
}

/**
 * simgpu_get() - A simulated GPU by index
 * @index: 0 .. simgpu_count() - 1
 *
 * Devices live as long as the module; a glue module using them keeps
 * simgpu loaded by its symbol references, so no reference is taken.
 *
 * Return: the device, or NULL for a bad index.
 */
struct simgpu_device *simgpu_get(unsigned int index)
{
	return simgpu_device_lookup(index);
}
EXPORT_SYMBOL_GPL(simgpu_get);

/**
 * simgpu_index() - Index of a device
 * @sdev: The device
 *
 * Return: its index, as in its VRAM addresses and its name simgpu.N.
 */
unsigned int simgpu_index(const struct simgpu_device *sdev)
{
	return sdev->index;
}
EXPORT_SYMBOL_GPL(simgpu_index);

/**
 * simgpu_dma_dev() - The device to DMA-map system memory for
 * @sdev: The device
 *
 * Return: the platform device's &struct device (64-bit DMA mask, no
 * IOMMU).
 */
struct device *simgpu_dma_dev(struct simgpu_device *sdev)
{
	return &sdev->pdev->dev;
}
EXPORT_SYMBOL_GPL(simgpu_dma_dev);

/**
 * simgpu_pagemap() - The device's VRAM as a &drm_pagemap
 * @sdev: The device
 *
 * Return: the pagemap, owned by the device; take a reference with
 * drm_pagemap_get() to keep it past a call.
 */
struct drm_pagemap *simgpu_pagemap(struct simgpu_device *sdev)
{
	return &sdev->dpagemap;
}
EXPORT_SYMBOL_GPL(simgpu_pagemap);

/**
 * simgpu_stats() - Device-wide counters
 * @sdev: The device
 *
 * Return: the counters, read with atomic64_read().
 */
const struct simgpu_stats *simgpu_stats(const struct simgpu_device *sdev)
{
	return &sdev->stats;
}
EXPORT_SYMBOL_GPL(simgpu_stats);

/* Owner token of device @sdev's VRAM, see DOC: Overview. */
static void *simgpu_owner(struct simgpu_device *sdev)
{
	return peer ? (void *)&simgpu_peer_owner : (void *)sdev;
}

static int simgpu_create_workqueues(struct simgpu_device *sdev)
{
	/* A few jobs in parallel, as the hardware's exec units */
	sdev->exec_wq = alloc_workqueue("simgpu%u-exec", WQ_UNBOUND, 4,
					sdev->index);
	if (!sdev->exec_wq)
		return -ENOMEM;
	/* Migrations wait for copies, also on the way to reclaim memory */
	sdev->copy_wq = alloc_workqueue("simgpu%u-copy",
					WQ_UNBOUND | WQ_MEM_RECLAIM, 2,
					sdev->index);
	if (!sdev->copy_wq) {
		destroy_workqueue(sdev->exec_wq);
		return -ENOMEM;
	}
	return 0;
}

static void simgpu_destroy_workqueues(struct simgpu_device *sdev)
{
	destroy_workqueue(sdev->copy_wq);
	destroy_workqueue(sdev->exec_wq);
}

static void simgpu_fail_copy_init(struct simgpu_device *sdev)
{
#ifdef CONFIG_FAULT_INJECTION
	sdev->fail_copy = (struct fault_attr)FAULT_ATTR_INITIALIZER;
	/* A lock of its own class: the initializer's is for static objects */
	ratelimit_state_init(&sdev->fail_copy.ratelimit_state, 0,
			     DEFAULT_RATELIMIT_BURST);
#endif
}

/* The platform device simgpu.N, DMA-capable without an IOMMU. */
static int simgpu_pdev_create(struct simgpu_device *sdev)
{
	int err;

	sdev->pdev = platform_device_register_simple("simgpu", sdev->index,
						     NULL, 0);
	if (IS_ERR(sdev->pdev))
		return PTR_ERR(sdev->pdev);
	/* dev.dma_mask points at pdev->platform_dma_mask already. */
	err = dma_set_mask_and_coherent(&sdev->pdev->dev, DMA_BIT_MASK(64));
	if (err)
		platform_device_unregister(sdev->pdev);
	return err;
}

static struct simgpu_device *simgpu_device_create(unsigned int index)
{
	unsigned long size = (unsigned long)vram_mb * SZ_1M;
	struct simgpu_device *sdev;
	int err;

	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL);
	if (!sdev)
		return ERR_PTR(-ENOMEM);
	sdev->index = index;
	simgpu_fail_copy_init(sdev);

	err = simgpu_pdev_create(sdev);
	if (err)
		goto err_free;
	err = simgpu_vram_init(sdev, size);
	if (err)
		goto err_unregister_pdev;
	err = simgpu_create_workqueues(sdev);
	if (err)
		goto err_fini_vram;
	sdev->chan = simgpu_chan_create(sdev, SIMGPU_KERNEL_CHAN_ENTRIES);
	if (IS_ERR(sdev->chan)) {
		err = PTR_ERR(sdev->chan);
		goto err_destroy_workqueues;
	}
	err = drm_pagemap_init(&sdev->dpagemap, simgpu_dma_dev(sdev),
			       simgpu_owner(sdev), size, &simgpu_pagemap_ops);
	if (err)
		goto err_destroy_chan;
	sdev->base_pfn = PHYS_PFN(sdev->dpagemap.pagemap.range.start);
	simgpu_debugfs_add(sdev);
	return sdev;

err_destroy_chan:
	simgpu_chan_destroy(sdev->chan);
err_destroy_workqueues:
	simgpu_destroy_workqueues(sdev);
err_fini_vram:
	simgpu_vram_fini(sdev);
err_unregister_pdev:
	platform_device_unregister(sdev->pdev);
err_free:
	kfree(sdev);
	return ERR_PTR(err);
}

static void simgpu_device_destroy(struct simgpu_device *sdev)
{
	simgpu_debugfs_remove(sdev);
	/* Brings every page home through the copy channel, so before it goes */
	drm_pagemap_fini(&sdev->dpagemap);
	simgpu_chan_destroy(sdev->chan);
	simgpu_destroy_workqueues(sdev);
	simgpu_vram_fini(sdev);
	platform_device_unregister(sdev->pdev);
	kfree(sdev);
}

static bool simgpu_params_valid(void)
{
	if (!nr_devices || nr_devices > SIMGPU_MAX_DEVICES) {
		pr_err("simgpu: nr_devices must be 1..%d\n", SIMGPU_MAX_DEVICES);
		return false;
	}
	/* The core maps VRAM in 2 MiB units; 64 GiB keeps indices in a u32 */
	if (!vram_mb || vram_mb % 2 || vram_mb > SZ_64K) {
		pr_err("simgpu: vram_mb must be a non-zero multiple of 2 up to 65536\n");
		return false;
	}
	return true;
}

static void simgpu_destroy_all(void)
{
	while (simgpu_nr_devices) {
		simgpu_nr_devices--;
		simgpu_device_destroy(simgpu_devices[simgpu_nr_devices]);
		simgpu_devices[simgpu_nr_devices] = NULL;
	}
}

static int __init simgpu_init(void)
{
	struct simgpu_device *sdev;
	unsigned int i;

	if (!simgpu_params_valid())
		return -EINVAL;
	simgpu_debugfs_init();
	for (i = 0; i < nr_devices; i++) {
		sdev = simgpu_device_create(i);
		if (IS_ERR(sdev)) {
			simgpu_destroy_all();
			simgpu_debugfs_fini();
			return PTR_ERR(sdev);
		}
		simgpu_devices[i] = sdev;
		/* Published for simgpu_device_lookup() of the next ones */
		simgpu_nr_devices = i + 1;
	}
	return 0;
}

static void __exit simgpu_exit(void)
{
	simgpu_destroy_all();
	simgpu_debugfs_fini();
}

module_init(simgpu_init);
module_exit(simgpu_exit);

MODULE_DESCRIPTION("Simulated GPU for the drm_gpusvm glue drivers");
MODULE_LICENSE("Dual MIT/GPL");
