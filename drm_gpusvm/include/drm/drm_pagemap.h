/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#ifndef __DRM_PAGEMAP_H__
#define __DRM_PAGEMAP_H__

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct dentry;
struct device;
struct dma_fence;
struct drm_pagemap;
struct drm_pagemap_devmem;
struct mm_struct;

/**
 * struct drm_pagemap_ops - Device memory operations of a driver
 *
 * None of these is called with a core lock held; all may sleep unless
 * noted.
 */
struct drm_pagemap_ops {
	/**
	 * @populate_devmem: Give the device pages of an allocation (required)
	 *
	 * Fill @pfns with the pfns of the @npages device pages backing
	 * @devmem, in VA order. The memory must be cleared, or its clear
	 * queued behind &drm_pagemap_devmem.pre_migrate_fence, so no previous
	 * content can reach user space (R13). Return 0 or a negative errno.
	 */
	int (*populate_devmem)(struct drm_pagemap_devmem *devmem,
			       unsigned long npages, unsigned long *pfns);

	/**
	 * @copy_to_devmem: Copy system pages into device pages (required)
	 *
	 * For each i with @dma_addr[i] non-zero, copy one page from DMA address
	 * @dma_addr[i] to device page @pages[i]. Return NULL when done,
	 * a fence that signals when done, or an ERR_PTR on failure, in which
	 * case the migration is abandoned and the data stays in system memory.
	 */
	struct dma_fence *(*copy_to_devmem)(struct drm_pagemap *dpagemap,
					    struct page **pages,
					    dma_addr_t *dma_addr,
					    unsigned long npages);

	/**
	 * @copy_to_ram: Copy device pages into system pages (required)
	 *
	 * For each i with @dma_addr[i] non-zero, copy device page @pages[i]
	 * to DMA address @dma_addr[i]. Same return convention as
	 * @copy_to_devmem; on failure the data stays in device memory and the
	 * CPU fault gets SIGBUS, never stale data (R2).
	 */
	struct dma_fence *(*copy_to_ram)(struct drm_pagemap *dpagemap,
					 struct page **pages,
					 dma_addr_t *dma_addr,
					 unsigned long npages);

	/**
	 * @device_addr: Device address of a device page (required)
	 *
	 * Called under &drm_gpusvm.notifier_lock by page collection to tell
	 * the driver where a page lives; must not sleep or allocate.
	 */
	u64 (*device_addr)(struct drm_pagemap *dpagemap, struct page *page);

	/**
	 * @devmem_release: Free the device memory of an allocation (required)
	 *
	 * Called from a work item once no device page of @devmem is in use
	 * and the last reference is gone. The driver frees its memory and the
	 * structure embedding @devmem.
	 */
	void (*devmem_release)(struct drm_pagemap_devmem *devmem);

	/**
	 * @devmem_alloc: Allocate device memory for a migration (optional)
	 *
	 * Return a &drm_pagemap_devmem of @npages pages of @dpagemap, set up
	 * with drm_pagemap_devmem_init(), holding one reference for the
	 * caller; or an ERR_PTR (-ENOMEM when the memory is full). The fault
	 * service (drm_gpusvm_fault_service()) migrates only to pagemaps
	 * that have it. May sleep.
	 */
	struct drm_pagemap_devmem *(*devmem_alloc)(struct drm_pagemap *dpagemap,
						   unsigned long npages);
};

/**
 * struct drm_pagemap_stats - Device memory counters
 * @migrations_to_devmem: Migrations to device memory that moved a page
 * @migrations_to_ram: Migrations to system memory that moved a page
 * @pages_to_devmem: Pages moved to device memory
 * @pages_to_ram: Pages moved to system memory
 * @fallbacks: Migrations to device memory that moved nothing
 * @copy_failures: Copies that failed, in either direction
 * @evictions: Calls of drm_pagemap_devmem_evict()
 * @cpu_faults: CPU faults on device pages (migrate_to_ram)
 */
struct drm_pagemap_stats {
	atomic64_t migrations_to_devmem;
	atomic64_t migrations_to_ram;
	atomic64_t pages_to_devmem;
	atomic64_t pages_to_ram;
	atomic64_t fallbacks;
	atomic64_t copy_failures;
	atomic64_t evictions;
	atomic64_t cpu_faults;
};

/**
 * struct drm_pagemap - A device's memory as DEVICE_PRIVATE pages
 *
 * Embedded in the driver's device structure. Reference counted: the
 * device holds the initial reference and every &drm_pagemap_devmem holds
 * one.
 */
struct drm_pagemap {
	/** @pagemap: The dev_pagemap registered with memremap_pages() */
	struct dev_pagemap pagemap;
	/** @res: The physical address range the pages occupy */
	struct resource *res;
	/** @dev: The device, for DMA mapping of system pages */
	struct device *dev;
	/** @ops: Driver operations */
	const struct drm_pagemap_ops *ops;
	/** @refcount: Reference count */
	struct kref refcount;
	/** @released: Completed when the last reference is dropped */
	struct completion released;
	/** @lock: Protects @devmem_list */
	spinlock_t lock;
	/** @devmem_list: Allocations with pages in use, for revocation */
	struct list_head devmem_list;
	/** @stats: Counters, see &struct drm_pagemap_stats */
	struct drm_pagemap_stats stats;
	/** @debugfs: This pagemap's debugfs directory, or NULL */
	struct dentry *debugfs;
	/**
	 * @revoked: Set by drm_pagemap_fini(); no new allocation is accepted.
	 * Read without a lock (READ_ONCE).
	 */
	bool revoked;
};

/**
 * struct drm_pagemap_devmem - One allocation of device memory
 *
 * Backs the device pages of one migration. Embedded in the driver's
 * allocation. Every device page in use holds a reference
 * (page->zone_device_data points here), so the allocation outlives its
 * last page and is released from a work item, because a page's last
 * reference may drop in any context.
 */
struct drm_pagemap_devmem {
	/** @dpagemap: Owner; a reference is held */
	struct drm_pagemap *dpagemap;
	/** @refcount: Reference count */
	struct kref refcount;
	/** @npages: Number of device pages */
	unsigned long npages;
	/** @pfns: The device pfns from &drm_pagemap_ops.populate_devmem */
	unsigned long *pfns;
	/**
	 * @pre_migrate_fence: Signals when the memory is idle (cleared);
	 * waited for before data is copied in. A reference is held, may be
	 * NULL.
	 */
	struct dma_fence *pre_migrate_fence;
	/**
	 * @migrated_at: jiffies of the migration into this allocation, for the
	 * residency timeslice of CPU faults
	 */
	unsigned long migrated_at;
	/** @entry: Entry in &drm_pagemap.devmem_list */
	struct list_head entry;
	/** @release_work: Runs &drm_pagemap_ops.devmem_release */
	struct work_struct release_work;
};

int drm_pagemap_init(struct drm_pagemap *dpagemap, struct device *dev,
		     void *owner, unsigned long size,
		     const struct drm_pagemap_ops *ops);
void drm_pagemap_fini(struct drm_pagemap *dpagemap);
void drm_pagemap_put(struct drm_pagemap *dpagemap);

/**
 * drm_pagemap_get() - Take a reference on a pagemap
 * @dpagemap: The pagemap
 *
 * Return: @dpagemap, so calls can be chained.
 */
static inline struct drm_pagemap *drm_pagemap_get(struct drm_pagemap *dpagemap)
{
	kref_get(&dpagemap->refcount);
	return dpagemap;
}

/**
 * drm_pagemap_owner() - Owner token of a pagemap
 * @dpagemap: The pagemap
 *
 * Return: the token shared by devices that can reach each other's memory.
 */
static inline void *drm_pagemap_owner(const struct drm_pagemap *dpagemap)
{
	return dpagemap->pagemap.owner;
}

/**
 * drm_pagemap_page_to_dpagemap() - Pagemap of a device-private page
 * @page: A device-private page
 *
 * Return: the &drm_pagemap it belongs to.
 */
static inline struct drm_pagemap *
drm_pagemap_page_to_dpagemap(struct page *page)
{
	return container_of(page->pgmap, struct drm_pagemap, pagemap);
}

bool drm_pagemap_is_ours(struct page *page);

int drm_pagemap_devmem_init(struct drm_pagemap_devmem *devmem,
			    struct drm_pagemap *dpagemap,
			    unsigned long npages,
			    struct dma_fence *pre_migrate_fence);
void drm_pagemap_devmem_put(struct drm_pagemap_devmem *devmem);

long drm_pagemap_migrate_to_devmem(struct drm_pagemap_devmem *devmem,
				   struct mm_struct *mm, unsigned long start,
				   unsigned long end);
long drm_pagemap_devmem_evict(struct drm_pagemap_devmem *devmem);
long drm_pagemap_evict(struct drm_pagemap *dpagemap, unsigned long npages);
long drm_pagemap_make_room(struct drm_pagemap *dpagemap, unsigned long npages);
struct drm_pagemap_devmem *drm_pagemap_devmem_alloc(struct drm_pagemap *dpagemap,
						    unsigned long npages);
long drm_pagemap_migrate_span_to_ram(struct drm_pagemap *dpagemap,
				     struct mm_struct *mm, unsigned long start,
				     unsigned long end);

#endif /* __DRM_PAGEMAP_H__ */
