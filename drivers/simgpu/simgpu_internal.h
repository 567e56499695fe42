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
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <drm/drm_pagemap.h>

#include "simgpu.h"

struct dentry;
struct page;
struct platform_device;

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

/*
 * Ring entries of a device's kernel channel: a 2 MiB migration of 4 KiB
 * pages that form no run at all (512 COPY methods and a semaphore) fits
 * while most of another one drains; more waits for the engine.
 */
#define SIMGPU_KERNEL_CHAN_ENTRIES	1024

/**
 * enum simgpu_chan_method_code - Methods of a copy channel
 * @SIMGPU_CHAN_METHOD_COPY: Copy &simgpu_chan_method.npages pages from
 *	&simgpu_chan_method.src to &simgpu_chan_method.dst
 * @SIMGPU_CHAN_METHOD_SEMAPHORE_RELEASE: Write the payload
 *	(&simgpu_chan_method.src) to the semaphore, signal the fences it
 *	reached
 */
enum simgpu_chan_method_code {
	SIMGPU_CHAN_METHOD_COPY = 1,
	SIMGPU_CHAN_METHOD_SEMAPHORE_RELEASE,
};

/**
 * struct simgpu_chan_method - One pushbuffer entry
 * @method: &enum simgpu_chan_method_code
 * @npages: COPY: pages, at least one; else 0
 * @src: COPY: source device address; SEMAPHORE_RELEASE: the payload, a
 *	seqno
 * @dst: COPY: destination device address; else 0
 */
struct simgpu_chan_method {
	u32 method;
	u32 npages;
	u64 src;
	u64 dst;
};

/**
 * struct simgpu_chan - A copy channel, see DOC: Copy channel
 */
struct simgpu_chan {
	/** @sdev: The device whose copy workqueue runs the engine */
	struct simgpu_device *sdev;
	/** @ring: The pushbuffer, @entries methods */
	struct simgpu_chan_method *ring;
	/** @entries: Ring size */
	unsigned int entries;
	/**
	 * @lock: The submitter's lock: protects @cur, @seqno and the ring
	 * slots from GP_GET + @entries down to @cur. Taken in process
	 * context by simgpu_copy_submit(), under mmap_lock for migrations
	 * and CPU faults, never from reclaim (nothing in reclaim copies).
	 * Under it a submitter only waits for the engine, which takes no
	 * lock: it is a leaf, nothing allocates under it.
	 */
	struct mutex lock;
	/** @cur: Methods pushed, kicked or not; under @lock */
	unsigned long cur;
	/**
	 * @gp_put: Methods kicked. Written under @lock with a release
	 * store, read by the engine with an acquire load
	 */
	unsigned long gp_put;
	/**
	 * @gp_get: Methods executed. Written by the engine only, with a
	 * release store; read with an acquire load
	 */
	unsigned long gp_get;
	/** @space: Woken whenever @gp_get moves */
	wait_queue_head_t space;
	/** @work: The engine, on &simgpu_device.copy_wq */
	struct work_struct work;
	/** @context: Fence context of the channel's fences */
	u64 context;
	/** @seqno: Seqno of the latest fence emitted; under @lock */
	u64 seqno;
	/** @semaphore: Latest payload released; engine writes, WRITE_ONCE */
	u64 semaphore;
	/**
	 * @fence_lock: Protects @pending. A spinlock: the engine takes it
	 * in its signalling critical section; nothing is taken inside it
	 */
	spinlock_t fence_lock;
	/** @pending: Emitted fences not yet signalled, in seqno order */
	struct list_head pending;
	/** @seg_started: The segment's first COPY ran (delay); engine only */
	bool seg_started;
	/** @seg_failed: A COPY of the segment failed; engine only */
	bool seg_failed;
	/** @stats: Counters, see &struct simgpu_chan_stats */
	struct {
		/** @stats.copy_methods: COPY methods executed */
		atomic64_t copy_methods;
		/** @stats.semaphores: SEMAPHORE_RELEASE methods executed */
		atomic64_t semaphores;
		/** @stats.ring_waits: Pushes that waited for a free slot */
		atomic64_t ring_waits;
	} stats;
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
	 * @vram_lock: The VRAM pool lock, protects @used and @nr_free. A
	 * spinlock; taken by the populate op and by the release op (from the
	 * core's work item), nothing is taken inside it and nothing sleeps
	 * under it.
	 */
	spinlock_t vram_lock;
	/** @used: Bitmap of the VRAM pages in use; under @vram_lock */
	unsigned long *used;
	/**
	 * @nr_free: Clear bits of @used; written under @vram_lock, read
	 * without it (READ_ONCE()) for statistics
	 */
	unsigned long nr_free;
	/** @exec_wq: The exec engine: runs jobs, a few in parallel */
	struct workqueue_struct *exec_wq;
	/** @copy_wq: The copy engine */
	struct workqueue_struct *copy_wq;
	/**
	 * @chan: The kernel copy channel, through which every migration
	 * copies (simgpu_copy_submit())
	 */
	struct simgpu_chan *chan;
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
u64 simgpu_vram_addr(struct simgpu_device *sdev, unsigned long idx);

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

/* chan.c */
bool simgpu_chan_addr_valid(struct simgpu_chan *chan, u64 addr, u32 npages);
void __simgpu_chan_push_copy(struct simgpu_chan *chan, u64 dst, u64 src,
			     u32 npages);

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
