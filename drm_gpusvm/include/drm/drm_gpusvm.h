/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#ifndef __DRM_GPUSVM_H__
#define __DRM_GPUSVM_H__

#include <linux/atomic.h>
#include <linux/dma-direction.h>
#include <linux/interval_tree.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct dentry;
struct device;
struct dma_fence;
struct drm_gpusvm;
struct drm_gpusvm_notifier;
struct drm_gpusvm_range;
struct drm_pagemap;
struct drm_pagemap_devmem;
struct mm_struct;

/**
 * struct drm_gpusvm_ops - Operations implemented by the GPU driver
 *
 * All ops are called without the driver's locks being taken by the core,
 * except where noted.
 */
struct drm_gpusvm_ops {
	/**
	 * @range_alloc: Allocate a range (optional)
	 *
	 * Called from drm_gpusvm_range_find_or_insert() with &drm_gpusvm.lock
	 * held, so that a driver can embed &struct drm_gpusvm_range in its own
	 * structure. May sleep; must return a zeroed object or NULL.
	 * Defaults to kzalloc().
	 */
	struct drm_gpusvm_range *(*range_alloc)(struct drm_gpusvm *gpusvm);

	/**
	 * @range_free: Free a range allocated by @range_alloc (optional)
	 *
	 * Called when the last reference to a range is dropped. Defaults to
	 * kfree(). Must be set if and only if @range_alloc is set.
	 */
	void (*range_free)(struct drm_gpusvm_range *range);

	/**
	 * @invalidate: Zap GPU page-table entries for a span (required)
	 *
	 * Called from the MMU notifier with &drm_gpusvm.notifier_lock held in
	 * write mode, only when at least one range overlapping [@start, @end)
	 * may be GPU-mapped. When it returns the device must no longer be able
	 * to reach the pages: PTEs zapped and TLBs flushed. The core DMA-unmaps
	 * afterwards. Runs in reclaim context: no GFP_KERNEL allocation, no
	 * lock that is held around an allocation, no hmm_range_fault().
	 */
	void (*invalidate)(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_notifier *notifier,
			   unsigned long start, unsigned long end);

	/**
	 * @invalidate_nonblock: Zap without sleeping (optional)
	 *
	 * Called instead of @invalidate when the notifier runs in
	 * non-blockable mode (the OOM reaper) and a range in [@start, @end)
	 * may be GPU-mapped. Same lock and context rules as @invalidate, and
	 * additionally it must not sleep: no mutex, no fence wait. Return
	 * true once the device can no longer reach the span; false when that
	 * would need sleeping, and the core then refuses the invalidation.
	 * Without it, the core refuses whenever something in the span is
	 * mapped, and the OOM reaper cannot reap such a process (R7).
	 */
	bool (*invalidate_nonblock)(struct drm_gpusvm *gpusvm,
				    struct drm_gpusvm_notifier *notifier,
				    unsigned long start, unsigned long end);

	/**
	 * @invalidate_start: First pass of a two-pass invalidation (optional)
	 *
	 * Called like @invalidate for one range, with the clipped span. Starts
	 * the zap and TLB flush on the device and returns a cookie that
	 * @invalidate_finish waits on. Must be set together with
	 * @invalidate_finish. Kicking every range first and waiting once per
	 * range after lets the device work in parallel.
	 */
	void *(*invalidate_start)(struct drm_gpusvm *gpusvm,
				  struct drm_gpusvm_range *range,
				  unsigned long start, unsigned long end);

	/**
	 * @invalidate_finish: Second pass of a two-pass invalidation (optional)
	 *
	 * Waits until the invalidation started by @invalidate_start with
	 * @cookie is complete. Same context rules as @invalidate.
	 */
	void (*invalidate_finish)(struct drm_gpusvm *gpusvm,
				  struct drm_gpusvm_range *range, void *cookie);

	/**
	 * @bind_prepare: Get ready to bind a range (optional)
	 *
	 * Called by the fault service (service.c) after the range's pages
	 * were collected and before @bind, so that the driver can allocate
	 * page-table memory, which @bind cannot. Runs with the driver's VM
	 * lock held and no core lock: may sleep and allocate. Return 0 or a
	 * negative errno, which fails the fault.
	 */
	int (*bind_prepare)(struct drm_gpusvm *gpusvm,
			    struct drm_gpusvm_range *range);

	/**
	 * @bind: Map a range's pages on the GPU (required by the fault service)
	 *
	 * Program GPU page-table entries for the present chunks of @range
	 * (drm_gpusvm_for_each_dma()). Called by the fault service with
	 * &drm_gpusvm.notifier_lock held in read mode, after
	 * drm_gpusvm_range_pages_valid() said the pages are current: no
	 * sleeping, no allocation, no fault. Set *@atomic to whether the
	 * entry for @addr lets the device do atomics (device memory, or a
	 * device-exclusive system page). Return 0 or a negative errno;
	 * -EAGAIN makes the service start over.
	 */
	int (*bind)(struct drm_gpusvm *gpusvm, struct drm_gpusvm_range *range,
		    unsigned long addr, bool *atomic);
};

/**
 * struct drm_gpusvm_stats - Per-gpusvm counters, shown in debugfs
 * @faults: Calls of drm_gpusvm_range_find_or_insert()
 * @ranges_created: Ranges inserted
 * @pages_mapped: 4 KiB pages DMA-mapped by drm_gpusvm_range_get_pages()
 * @get_pages: Successful drm_gpusvm_range_get_pages() calls
 * @retries: Sequence-number retries in drm_gpusvm_range_get_pages()
 * @invalidations: Notifier callbacks that reached the core
 * @invalidations_gpu: Invalidations that had to call the driver
 * @nonblock_ok: Non-blockable invalidations that succeeded
 * @nonblock_refused: Non-blockable invalidations that had to refuse
 * @two_pass: Invalidations done in two passes
 * @two_pass_fallback: Two-pass invalidations that fell back to one pass
 * @gc_ranges: Ranges removed by the garbage collector
 * @notifiers: Notifiers inserted
 * @migrations_to_devmem: Range migrations that moved pages to device memory
 * @migrate_fallbacks: Range migrations that moved nothing (best effort)
 * @migrate_backoffs: Migrations that found the range being migrated already
 * @thrash_events: Ranges that bounced too often and stay in system memory
 * @pages_to_devmem: Pages the fault service moved to device memory
 * @binds: Successful &drm_gpusvm_ops.bind calls of the fault service
 * @bind_retries: Binds the fault service started over because an
 *	invalidation or a CPU unmap got in between
 */
struct drm_gpusvm_stats {
	atomic64_t faults;
	atomic64_t ranges_created;
	atomic64_t pages_mapped;
	atomic64_t get_pages;
	atomic64_t retries;
	atomic64_t invalidations;
	atomic64_t invalidations_gpu;
	atomic64_t nonblock_ok;
	atomic64_t nonblock_refused;
	atomic64_t two_pass;
	atomic64_t two_pass_fallback;
	atomic64_t gc_ranges;
	atomic64_t notifiers;
	atomic64_t migrations_to_devmem;
	atomic64_t migrate_fallbacks;
	atomic64_t migrate_backoffs;
	atomic64_t thrash_events;
	atomic64_t pages_to_devmem;
	atomic64_t binds;
	atomic64_t bind_retries;
};

/**
 * struct drm_gpusvm - One GPU virtual address space mirroring one mm
 *
 * Embedded in the driver's VM structure. No reference counting is provided:
 * the driver calls drm_gpusvm_fini() before freeing it.
 */
struct drm_gpusvm {
	/** @name: Name, used for debugfs and messages */
	const char *name;
	/** @dev: Device that DMA-maps the pages */
	struct device *dev;
	/**
	 * @mm: The mirrored mm. Holds an mm_count reference (mmgrab) from
	 * drm_gpusvm_init() to drm_gpusvm_fini(); mm_users is only taken for
	 * the duration of one operation so the process can exit.
	 */
	struct mm_struct *mm;
	/** @device_private_page_owner: Owner token passed to hmm_range_fault */
	void *device_private_page_owner;
	/** @mm_start: First GPU VA this gpusvm may mirror */
	unsigned long mm_start;
	/** @mm_range: Size of the mirrored GPU VA span */
	unsigned long mm_range;
	/** @notifier_size: Size and alignment of each notifier, power of two */
	unsigned long notifier_size;
	/** @ops: Driver operations */
	const struct drm_gpusvm_ops *ops;
	/**
	 * @lock: Protects the structure of the notifier and range trees
	 * against concurrent insertion and removal. Taken by the core inside
	 * drm_gpusvm_range_find_or_insert(), the garbage collector and
	 * drm_gpusvm_fini(). Ranks below the driver's VM lock and above
	 * mmap_lock; never held across a faulting hmm_range_fault().
	 */
	struct mutex lock;
	/**
	 * @notifier_lock: Reclaim lock. Write mode in the MMU notifier
	 * callback; read mode (drm_gpusvm_notifier_lock()) while the driver
	 * checks drm_gpusvm_range_pages_valid() and binds PTEs. Tree updates
	 * happen with both @lock and @notifier_lock (write) held, so either
	 * lock is enough to walk the trees. Never allocate with GFP_KERNEL,
	 * call hmm_range_fault() or fault while holding it.
	 */
	struct rw_semaphore notifier_lock;
	/** @root: Notifiers, by address; protected by @lock */
	struct rb_root_cached root;
	/** @notifier_list: Notifiers in address order; protected by @lock */
	struct list_head notifier_list;
	/** @gc_lock: Protects @gc_list; taken inside @notifier_lock */
	spinlock_t gc_lock;
	/** @gc_list: Ranges waiting for the garbage collector */
	struct list_head gc_list;
	/** @gc_work: Runs the garbage collector; disabled by drm_gpusvm_fini() */
	struct work_struct gc_work;
	/** @stats: Counters, see &struct drm_gpusvm_stats */
	struct drm_gpusvm_stats stats;
	/** @debugfs: This gpusvm's debugfs directory, or NULL */
	struct dentry *debugfs;
#ifdef CONFIG_LOCKDEP
	/** @lock_dep_map: Driver VM lock, see drm_gpusvm_driver_set_lock() */
	struct lockdep_map *lock_dep_map;
#endif
};

/**
 * struct drm_gpusvm_notifier - A large, long-lived MMU interval notifier
 *
 * Covers @drm_gpusvm.notifier_size bytes of aligned VA. Created on the first
 * fault in its window and removed when its last range goes.
 */
struct drm_gpusvm_notifier {
	/** @gpusvm: Owner */
	struct drm_gpusvm *gpusvm;
	/**
	 * @refcount: One reference for the tree and one per range, so a
	 * range a driver still holds never points at freed memory after the
	 * GC removed the notifier
	 */
	struct kref refcount;
	/** @notifier: The mm interval notifier */
	struct mmu_interval_notifier notifier;
	/** @itree: Node in &drm_gpusvm.root, inclusive last */
	struct interval_tree_node itree;
	/** @entry: Entry in &drm_gpusvm.notifier_list */
	struct list_head entry;
	/** @root: Ranges in this notifier; see &drm_gpusvm.notifier_lock */
	struct rb_root_cached root;
	/** @range_list: Ranges in address order */
	struct list_head range_list;
};

/**
 * struct drm_gpusvm_dma - One DMA-mapped, naturally aligned chunk of pages
 * @present: The chunk is mapped; clear for a hole that was not faulted in
 * @devmem: The address is a device address from
 *	&drm_pagemap_ops.device_addr, not a DMA address: the page lives in
 *	device memory of this device or of a peer sharing its owner token
 * @exclusive: The CPU cannot access the page until it revokes the device's
 *	exclusive access (which invalidates): device atomics are safe on it
 * @writable: The CPU mapping allows writes; the GPU may map it writable
 * @dir: DMA direction of the mapping, DMA_NONE for device memory
 * @order: Chunk size is PAGE_SIZE << @order; VA and address aligned
 * @pfn: The address in pages; read it with drm_gpusvm_dma_addr(), which is
 *	meaningful only with @present, since 0 can be a valid device address
 *
 * One entry per chunk rather than per page keeps a 2 MiB THP at 8 bytes,
 * and one 64-bit word per entry keeps memory with 4 KiB pages at 8 bytes a
 * page: a chunk's address is page aligned (DMA mapping and device
 * addresses of whole pages), which leaves the low bits for the flags.
 */
struct drm_gpusvm_dma {
	u64 present : 1;
	u64 devmem : 1;
	u64 exclusive : 1;
	u64 writable : 1;
	u64 dir : 2;
	u64 order : 6;
	u64 pfn : 52;
};

/**
 * drm_gpusvm_dma_addr() - DMA or device address of a chunk
 * @dma: The chunk, &drm_gpusvm_dma.present set
 *
 * Return: the DMA address of the chunk's first page, or its device address
 * when &drm_gpusvm_dma.devmem is set.
 */
static inline dma_addr_t drm_gpusvm_dma_addr(const struct drm_gpusvm_dma *dma)
{
	return (dma_addr_t)dma->pfn << PAGE_SHIFT;
}

/**
 * struct drm_gpusvm_pages_flags - Flags of a pages object
 * @valid: Pages are current and may be bound to the GPU
 * @has_dma_mapping: @dma holds live DMA mappings
 * @unmapped: The whole range was unmapped from the CPU
 * @partial_unmap: Part of the range was unmapped from the CPU
 * @__flags: All flags as one word for lockless READ_ONCE()
 *
 * Written with WRITE_ONCE() under &drm_gpusvm.notifier_lock in write mode;
 * read with READ_ONCE() for advisory checks without it.
 */
struct drm_gpusvm_pages_flags {
	union {
		struct {
			u16 valid : 1;
			u16 has_dma_mapping : 1;
			u16 unmapped : 1;
			u16 partial_unmap : 1;
		};
		u16 __flags;
	};
};

/**
 * struct drm_gpusvm_pages - DMA state of a range for one device
 *
 * Kept apart from &struct drm_gpusvm_range so that the DMA state of a VA span
 * can be collected for another device without a second range.
 */
struct drm_gpusvm_pages {
	/**
	 * @dma: Chunks in VA order, @num_dma of them; replaced only under
	 * &drm_gpusvm.notifier_lock in write mode
	 */
	struct drm_gpusvm_dma *dma;
	/** @num_dma: Number of entries in @dma */
	unsigned int num_dma;
	/** @flags: See &struct drm_gpusvm_pages_flags */
	struct drm_gpusvm_pages_flags flags;
};

/**
 * enum drm_gpusvm_access - What the GPU tried to do
 * @DRM_GPUSVM_ACCESS_READ: A load
 * @DRM_GPUSVM_ACCESS_WRITE: A store
 * @DRM_GPUSVM_ACCESS_ATOMIC: An atomic read-modify-write
 */
enum drm_gpusvm_access {
	DRM_GPUSVM_ACCESS_READ,
	DRM_GPUSVM_ACCESS_WRITE,
	DRM_GPUSVM_ACCESS_ATOMIC,
};

/**
 * enum drm_gpusvm_location - Where the driver (or user) prefers data
 * @DRM_GPUSVM_LOC_DEFAULT: No preference: policy.c decides
 * @DRM_GPUSVM_LOC_SYSTEM: System memory, mapped remotely by the GPU
 * @DRM_GPUSVM_LOC_DEVICE: The faulting device's memory
 */
enum drm_gpusvm_location {
	DRM_GPUSVM_LOC_DEFAULT,
	DRM_GPUSVM_LOC_SYSTEM,
	DRM_GPUSVM_LOC_DEVICE,
};

/**
 * struct drm_gpusvm_migrate_hist - Migration history of a range
 * @last: jiffies of the last migration to device memory, 0 for never
 * @thrash_until: The range stays in system memory until then, 0 for no
 * @bounces: Consecutive re-migrations within the thrash window
 *
 * Updated only by the holder of the range's migration bit, read with
 * READ_ONCE() by anyone (R17).
 */
struct drm_gpusvm_migrate_hist {
	unsigned long last;
	unsigned long thrash_until;
	unsigned int bounces;
};

/**
 * struct drm_gpusvm_range - A GPU-mapped piece of VA
 *
 * Lies inside one notifier and, when created, one CPU VMA. Never split: a
 * partial munmap invalidates the whole range and hands it to the GC.
 */
struct drm_gpusvm_range {
	/** @gpusvm: Owner */
	struct drm_gpusvm *gpusvm;
	/** @notifier: Notifier this range lives in */
	struct drm_gpusvm_notifier *notifier;
	/** @refcount: Reference count; the tree holds one */
	struct kref refcount;
	/** @itree: Node in &drm_gpusvm_notifier.root, inclusive last */
	struct interval_tree_node itree;
	/** @entry: Entry in &drm_gpusvm_notifier.range_list */
	struct list_head entry;
	/** @gc_entry: Entry in &drm_gpusvm.gc_list; under &drm_gpusvm.gc_lock */
	struct list_head gc_entry;
	/** @pages: DMA state */
	struct drm_gpusvm_pages pages;
	/** @hist: Migration history, for ping-pong control */
	struct drm_gpusvm_migrate_hist hist;
	/**
	 * @migrating: Bit 0 set while one thread migrates the range; a
	 * second migrator backs off instead of fighting over the pages
	 */
	unsigned long migrating;
};

/**
 * struct drm_gpusvm_ctx - Per-call parameters
 * @fault_start: First address that must be faulted in; with @fault_end 0,
 *	the whole range is faulted
 * @fault_end: End of the span that must be faulted in (exclusive)
 * @read_only: Map read-only; pages of read-only VMAs are then accepted
 * @prefetch: Fault nothing: collect only pages already present (holes stay
 *	holes)
 * @exclusive: Make the faulted span device-exclusive (device atomics on
 *	system memory without pinning, see exclusive.c)
 * @gpuva_start: Lowest GPU VA the driver allows for the window
 * @gpuva_end: End of the GPU VA the driver allows (exclusive), 0 for none
 * @access: The GPU access that faulted, for the migration policy
 * @preferred: The preferred location of the faulting address
 */
struct drm_gpusvm_ctx {
	unsigned long fault_start;
	unsigned long fault_end;
	unsigned int read_only : 1;
	unsigned int prefetch : 1;
	unsigned int exclusive : 1;
	unsigned long gpuva_start;
	unsigned long gpuva_end;
	enum drm_gpusvm_access access;
	enum drm_gpusvm_location preferred;
};

/**
 * enum drm_gpusvm_atomic_mode - How a GPU atomic on an address is served
 * @DRM_GPUSVM_ATOMIC_DEFAULT: Device memory when the preferred location
 *	puts the data there; otherwise system memory made device-exclusive
 * @DRM_GPUSVM_ATOMIC_DEVICE: Device memory required; the fault fails with
 *	-EACCES when the data cannot be placed there
 * @DRM_GPUSVM_ATOMIC_GLOBAL: System memory made device-exclusive, never
 *	migrated; a CPU access revokes it and the next GPU atomic faults
 */
enum drm_gpusvm_atomic_mode {
	DRM_GPUSVM_ATOMIC_DEFAULT,
	DRM_GPUSVM_ATOMIC_DEVICE,
	DRM_GPUSVM_ATOMIC_GLOBAL,
};

/**
 * struct drm_gpusvm_fault_req - One GPU fault for drm_gpusvm_fault_service()
 * @addr: Faulting GPU VA
 * @start: Start of the span to fault in, clipped to the range; with @end 0
 *	the policy's fault span (drm_gpusvm_policy_fault_span()) is used
 * @end: End of that span (exclusive)
 * @access: What the access needs
 * @preferred: Preferred location of @addr
 * @atomic: How an atomic access is served
 * @dpagemap: Device memory the fault may migrate to, NULL for none
 */
struct drm_gpusvm_fault_req {
	unsigned long addr;
	unsigned long start;
	unsigned long end;
	enum drm_gpusvm_access access;
	enum drm_gpusvm_location preferred;
	enum drm_gpusvm_atomic_mode atomic;
	struct drm_pagemap *dpagemap;
};

/**
 * struct drm_gpusvm_fence_class - Fences that may depend on GPU faults (R20)
 *
 * See DOC: Fence waits and GPU faults.
 */
struct drm_gpusvm_fence_class {
	/** @ops: The fence ops that identify fences of this class */
	const struct dma_fence_ops *ops;
	/**
	 * @may_depend_on_fault: May the unsignalled @fence need a GPU page
	 * fault served to signal? Called from reclaim, under RCU: no
	 * sleeping, no allocation, no lock that reclaim takes.
	 */
	bool (*may_depend_on_fault)(struct dma_fence *fence);
	/** @link: In the core's class list; core only */
	struct list_head link;
};

void drm_gpusvm_fence_class_register(struct drm_gpusvm_fence_class *fc);
void drm_gpusvm_fence_class_unregister(struct drm_gpusvm_fence_class *fc);
bool drm_gpusvm_fence_may_depend_on_fault(struct dma_fence *fence);
long drm_gpusvm_fence_wait(struct dma_fence *fence, bool intr, long timeout,
			   bool reclaim);

int drm_gpusvm_init(struct drm_gpusvm *gpusvm, const char *name,
		    struct device *dev, struct mm_struct *mm,
		    void *device_private_page_owner, unsigned long mm_start,
		    unsigned long mm_range, unsigned long notifier_size,
		    const struct drm_gpusvm_ops *ops);
void drm_gpusvm_fini(struct drm_gpusvm *gpusvm);

struct drm_gpusvm_range *
drm_gpusvm_range_find_or_insert(struct drm_gpusvm *gpusvm,
				unsigned long fault_addr,
				const struct drm_gpusvm_ctx *ctx);
struct drm_gpusvm_range *
drm_gpusvm_range_find(struct drm_gpusvm_notifier *notifier,
		      unsigned long start, unsigned long end);
struct drm_gpusvm_notifier *
drm_gpusvm_notifier_find(struct drm_gpusvm *gpusvm, unsigned long addr);
void drm_gpusvm_range_remove(struct drm_gpusvm *gpusvm,
			     struct drm_gpusvm_range *range);
void drm_gpusvm_range_put(struct drm_gpusvm_range *range);

int drm_gpusvm_range_get_pages(struct drm_gpusvm *gpusvm,
			       struct drm_gpusvm_range *range,
			       const struct drm_gpusvm_ctx *ctx);
void drm_gpusvm_range_unmap_pages(struct drm_gpusvm *gpusvm,
				  struct drm_gpusvm_range *range);
bool drm_gpusvm_range_pages_valid(struct drm_gpusvm *gpusvm,
				  struct drm_gpusvm_range *range);

void drm_gpusvm_garbage_collect(struct drm_gpusvm *gpusvm);

int drm_gpusvm_snapshot(struct drm_gpusvm *gpusvm, unsigned long start,
			unsigned long end, unsigned long *hmm_pfns);

bool drm_gpusvm_range_want_devmem(struct drm_gpusvm_range *range,
				  const struct drm_gpusvm_ctx *ctx,
				  struct drm_pagemap *dpagemap);
long drm_gpusvm_range_migrate_to_devmem(struct drm_gpusvm *gpusvm,
					struct drm_gpusvm_range *range,
					struct drm_pagemap_devmem *devmem);
long drm_gpusvm_range_migrate_policy(struct drm_gpusvm *gpusvm,
				     struct drm_gpusvm_range *range,
				     const struct drm_gpusvm_ctx *ctx,
				     struct drm_pagemap *dpagemap);
int drm_gpusvm_range_bind(struct drm_gpusvm *gpusvm,
			  struct drm_gpusvm_range *range,
			  const struct drm_gpusvm_ctx *ctx, unsigned long addr,
			  bool *atomic);
int drm_gpusvm_fault_service(struct drm_gpusvm *gpusvm,
			     const struct drm_gpusvm_fault_req *req,
			     unsigned long *next);
int drm_gpusvm_span_check_vmas(struct mm_struct *mm, unsigned long start,
			       unsigned long end, vm_flags_t required,
			       vm_flags_t forbidden);
int drm_gpusvm_prefetch_span(struct drm_gpusvm *gpusvm, unsigned long start,
			     unsigned long end, enum drm_gpusvm_location loc,
			     struct drm_pagemap *dpagemap);
long drm_gpusvm_migrate_span(struct drm_gpusvm *gpusvm, unsigned long start,
			     unsigned long end, struct drm_pagemap *dpagemap);
long drm_gpusvm_migrate_span_to_ram(struct drm_gpusvm *gpusvm,
				    unsigned long start, unsigned long end,
				    struct drm_pagemap *dpagemap);
int drm_gpusvm_atomic_retry(unsigned int attempt);
int drm_gpusvm_fault_busy_replay(unsigned int streak);
void drm_gpusvm_policy_fault_span(unsigned long range_start,
				  unsigned long range_end, unsigned long addr,
				  unsigned long *start, unsigned long *end);

#ifdef CONFIG_LOCKDEP
void drm_gpusvm_driver_set_lock(struct drm_gpusvm *gpusvm,
				struct lockdep_map *map);
#else
static inline void drm_gpusvm_driver_set_lock(struct drm_gpusvm *gpusvm,
					      struct lockdep_map *map)
{
}
#endif

/**
 * drm_gpusvm_driver_lockdep_map() - lockdep map of a driver lock
 * @lock__: A lock with a dep_map member (mutex, rw_semaphore, ...)
 *
 * Return: the &lockdep_map to pass to drm_gpusvm_driver_set_lock(), or NULL
 * without CONFIG_LOCKDEP.
 */
#ifdef CONFIG_LOCKDEP
#define drm_gpusvm_driver_lockdep_map(lock__) (&(lock__)->dep_map)
#else
#define drm_gpusvm_driver_lockdep_map(lock__) \
	((void)(lock__), (struct lockdep_map *)NULL)
#endif

/**
 * drm_gpusvm_notifier_lock() - Take the notifier lock for reading
 * @gpusvm__: The gpusvm
 *
 * Held while the driver checks drm_gpusvm_range_pages_valid() and writes
 * PTEs from &drm_gpusvm_range.pages, so that an invalidation cannot slip in
 * between the check and the bind.
 */
#define drm_gpusvm_notifier_lock(gpusvm__) \
	down_read(&(gpusvm__)->notifier_lock)

/**
 * drm_gpusvm_notifier_unlock() - Release the notifier lock taken for reading
 * @gpusvm__: The gpusvm
 */
#define drm_gpusvm_notifier_unlock(gpusvm__) \
	up_read(&(gpusvm__)->notifier_lock)

/**
 * drm_gpusvm_range_start() - First address of a range
 * @range: The range
 *
 * Return: the start address.
 */
static inline unsigned long
drm_gpusvm_range_start(const struct drm_gpusvm_range *range)
{
	return range->itree.start;
}

/**
 * drm_gpusvm_range_end() - End of a range (exclusive)
 * @range: The range
 *
 * Return: the address one past the last byte.
 */
static inline unsigned long
drm_gpusvm_range_end(const struct drm_gpusvm_range *range)
{
	return range->itree.last + 1;
}

/**
 * drm_gpusvm_range_size() - Size of a range
 * @range: The range
 *
 * Return: the size in bytes.
 */
static inline unsigned long
drm_gpusvm_range_size(const struct drm_gpusvm_range *range)
{
	return drm_gpusvm_range_end(range) - drm_gpusvm_range_start(range);
}

/**
 * drm_gpusvm_notifier_start() - First address of a notifier
 * @notifier: The notifier
 *
 * Return: the start address.
 */
static inline unsigned long
drm_gpusvm_notifier_start(const struct drm_gpusvm_notifier *notifier)
{
	return notifier->itree.start;
}

/**
 * drm_gpusvm_notifier_end() - End of a notifier (exclusive)
 * @notifier: The notifier
 *
 * Return: the address one past the last byte.
 */
static inline unsigned long
drm_gpusvm_notifier_end(const struct drm_gpusvm_notifier *notifier)
{
	return notifier->itree.last + 1;
}

/**
 * drm_gpusvm_range_get() - Take a reference on a range
 * @range: The range
 *
 * Return: @range, so calls can be chained.
 */
static inline struct drm_gpusvm_range *
drm_gpusvm_range_get(struct drm_gpusvm_range *range)
{
	kref_get(&range->refcount);
	return range;
}

struct drm_gpusvm_range *
__drm_gpusvm_range_next(struct drm_gpusvm_range *range, unsigned long end);

/**
 * drm_gpusvm_for_each_range() - Iterate the ranges of a notifier in a span
 * @range__: Iterator, the first range (from drm_gpusvm_range_find())
 * @notifier__: The notifier
 * @start__: Start of the span
 * @end__: End of the span (exclusive)
 *
 * The caller holds &drm_gpusvm.lock or &drm_gpusvm.notifier_lock, and does
 * not remove @range__ inside the loop.
 */
#define drm_gpusvm_for_each_range(range__, notifier__, start__, end__)	\
	for ((range__) = drm_gpusvm_range_find((notifier__), (start__),	\
					       (end__));		\
	     (range__);							\
	     (range__) = __drm_gpusvm_range_next((range__), (end__)))

/**
 * drm_gpusvm_for_each_dma() - Iterate the DMA chunks of a pages object
 * @dma__: Iterator, &struct drm_gpusvm_dma pointer
 * @addr__: unsigned long, set to the CPU/GPU VA of each chunk
 * @pages__: The pages object
 * @start__: VA of the first chunk (the range start)
 *
 * Call with &drm_gpusvm.notifier_lock held after
 * drm_gpusvm_range_pages_valid() returned true.
 */
#define drm_gpusvm_for_each_dma(dma__, addr__, pages__, start__)		\
	for ((dma__) = (pages__)->dma, (addr__) = (start__);			\
	     (dma__) < (pages__)->dma + (pages__)->num_dma;			\
	     (addr__) += PAGE_SIZE << (dma__)->order, (dma__)++)

#endif /* __DRM_GPUSVM_H__ */
