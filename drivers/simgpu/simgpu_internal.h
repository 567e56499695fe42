/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * What the files of simgpu share, and what its KUnit suite may look at.
 * Glue drivers include simgpu.h only.
 */

#ifndef __SIMGPU_INTERNAL_H__
#define __SIMGPU_INTERNAL_H__

#include <linux/bits.h>
#include <linux/fault-inject.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <drm/drm_pagemap.h>

#include "simgpu.h"

struct dentry;
struct page;
struct platform_device;
struct workqueue_struct;

/* Most devices one load creates: the VRAM address has room for more. */
#define SIMGPU_MAX_DEVICES	8
/* Bits of a VRAM device address: tag, device index, offset. */
#define SIMGPU_VRAM_DEV_SHIFT	48
#define SIMGPU_VRAM_DEV_MASK	GENMASK_ULL(61, SIMGPU_VRAM_DEV_SHIFT)
#define SIMGPU_VRAM_OFFSET_MASK	GENMASK_ULL(SIMGPU_VRAM_DEV_SHIFT - 1, 0)
/* The hardware page: no access crosses it, whatever PAGE_SIZE is. */
#define SIMGPU_PAGE_SIZE	SZ_4K
#define SIMGPU_PAGE_SHIFT	12

/**
 * struct simgpu_vram_chunk - One allocation of backing pages
 * @page: First page; not compound, so page + i is valid within the chunk
 * @order: Allocation order
 */
struct simgpu_vram_chunk {
	struct page *page;
	unsigned int order;
};

/**
 * struct simgpu_device - One simulated GPU
 *
 * Created at module load and never freed before module unload: glue
 * modules depend on simgpu's symbols, so they are gone first.
 */
struct simgpu_device {
	/** @pdev: The platform device simgpu.@index, our DMA device */
	struct platform_device *pdev;
	/** @index: Position in the device table, and in VRAM addresses */
	unsigned int index;
	/** @dpagemap: The VRAM as DEVICE_PRIVATE pages */
	struct drm_pagemap dpagemap;
	/** @base_pfn: First pfn of @dpagemap's pages: VRAM page 0 */
	unsigned long base_pfn;
	/** @nr_pages: VRAM pages */
	unsigned long nr_pages;
	/**
	 * @backing: The kernel page holding the data of each VRAM page;
	 * constant while the device exists, so the MMU and the copy engine
	 * read it without a lock
	 */
	struct page **backing;
	/** @chunks: The allocations @backing points into */
	struct simgpu_vram_chunk *chunks;
	/** @nr_chunks: Entries of @chunks */
	unsigned long nr_chunks;
	/**
	 * @vram_lock: The VRAM pool lock, protects @free and @nr_free. A
	 * spinlock; taken by the populate op and by the release op (from the
	 * core's work item), nothing is taken inside it and nothing sleeps
	 * under it.
	 */
	spinlock_t vram_lock;
	/** @free: Stack of free VRAM page indices; under @vram_lock */
	u32 *free;
	/**
	 * @nr_free: Entries of @free; written under @vram_lock, read
	 * without it (READ_ONCE()) for statistics
	 */
	unsigned long nr_free;
	/** @exec_wq: The exec engine: runs jobs, a few in parallel */
	struct workqueue_struct *exec_wq;
	/** @copy_wq: The copy engine */
	struct workqueue_struct *copy_wq;
	/** @fail_copy: Fault injection for the copy engine */
	struct fault_attr fail_copy;
	/** @debugfs: simgpu/<index>/ in debugfs, or NULL */
	struct dentry *debugfs;
	/** @stats: Counters */
	struct simgpu_stats stats;
	/* Fault buffer (faultbuf.c) */
	/**
	 * @faultbuf: The fault buffer a glue enabled, or NULL; written under
	 * faultbuf.c's enable mutex, constant while a glue uses it
	 */
	struct simgpu_faultbuf *faultbuf;
};

extern unsigned int simgpu_copy_delay_us;

struct simgpu_device *simgpu_device_lookup(unsigned int index);

/* vram.c */
int simgpu_vram_init(struct simgpu_device *sdev, unsigned long size);
void simgpu_vram_fini(struct simgpu_device *sdev);
extern const struct drm_pagemap_ops simgpu_pagemap_ops;
void *simgpu_vram_vaddr(u64 addr);
long simgpu_vram_page_index(struct simgpu_device *sdev, struct page *page);

/* mmu.c */
typedef void (*simgpu_access_fn)(void *vaddr, size_t len, void *arg);
void *simgpu_sys_vaddr(struct simgpu_device *sdev, dma_addr_t addr);
int simgpu_as_access_fn(struct simgpu_as *as, u64 va, size_t len,
			enum simgpu_access access, simgpu_access_fn fn,
			void *arg);

/* exec.c */
void simgpu_exec_as_quiesce(struct simgpu_as *as);

/* faultbuf.c */
void simgpu_faultbuf_post_locked(struct simgpu_as *as,
				 const struct simgpu_fault *rec);
void simgpu_fault_report(struct simgpu_as *as, const struct simgpu_fault *rec);

/* copy.c */
struct dma_fence *simgpu_copy_submit(struct simgpu_device *sdev,
				     struct page **pages, dma_addr_t *dma,
				     unsigned long npages, bool to_ram);

/* debugfs.c */
void simgpu_debugfs_init(void);
void simgpu_debugfs_fini(void);
void simgpu_debugfs_add(struct simgpu_device *sdev);
void simgpu_debugfs_remove(struct simgpu_device *sdev);

#endif /* __SIMGPU_INTERNAL_H__ */
