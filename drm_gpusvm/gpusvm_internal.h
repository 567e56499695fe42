/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * Declarations shared by the files of the core module, and the seams its
 * KUnit suites reach through EXPORT_SYMBOL_IF_KUNIT.
 */

#ifndef __DRM_GPUSVM_INTERNAL_H__
#define __DRM_GPUSVM_INTERNAL_H__

#include <linux/fault-inject.h>
#include <linux/lockdep.h>
#include <linux/types.h>

#include <drm/drm_gpusvm.h>

struct dentry;
struct hmm_range;
struct page;
struct vm_area_struct;

/*
 * Lockless snapshot of a range's flags, for advisory checks without the
 * notifier lock (R17). Pairs with the WRITE_ONCE()s under the lock in
 * pages.c and in the notifier callback.
 */
static inline struct drm_gpusvm_pages_flags
drm_gpusvm_range_flags(const struct drm_gpusvm_range *range)
{
	struct drm_gpusvm_pages_flags flags = {
		.__flags = READ_ONCE(range->pages.flags.__flags),
	};

	return flags;
}

/* Check that a driver that registered its VM lock holds it. */
static inline void drm_gpusvm_driver_lock_assert(struct drm_gpusvm *gpusvm)
{
#ifdef CONFIG_LOCKDEP
	if (gpusvm->lock_dep_map)
		WARN_ON_ONCE(debug_locks &&
			     !lock_is_held_type(gpusvm->lock_dep_map, -1));
#endif
}

/**
 * struct drm_gpusvm_window_args - Inputs of the fault-window policy
 * @fault_addr: Faulting GPU VA
 * @vma_start: Start of the CPU VMA containing @fault_addr
 * @vma_end: End of that VMA (exclusive)
 * @notifier_start: Start of the notifier window containing @fault_addr
 * @notifier_end: End of that window (exclusive)
 * @gpuva_start: Lowest GPU VA the driver allows
 * @gpuva_end: End of the GPU VA the driver allows (exclusive)
 * @overlaps: Returns true when [start, end) overlaps an existing range
 * @present: Returns true when every page of [start, end) is CPU-present
 * @arg: Passed to @overlaps and @present
 */
struct drm_gpusvm_window_args {
	unsigned long fault_addr;
	unsigned long vma_start;
	unsigned long vma_end;
	unsigned long notifier_start;
	unsigned long notifier_end;
	unsigned long gpuva_start;
	unsigned long gpuva_end;
	bool (*overlaps)(void *arg, unsigned long start, unsigned long end);
	bool (*present)(void *arg, unsigned long start, unsigned long end);
	void *arg;
};

int drm_gpusvm_policy_window(const struct drm_gpusvm_window_args *args,
			     unsigned long *start, unsigned long *end);
unsigned long drm_gpusvm_policy_notifier_size(void);
int drm_gpusvm_policy_init(void);

#if IS_ENABLED(CONFIG_KUNIT)
unsigned int drm_gpusvm_count_chunks(const unsigned long *pfns,
				     unsigned long npages);
#endif

/**
 * struct drm_gpusvm_excl - Device-exclusive span of one get_pages call
 * @start: Start of the span
 * @end: End of the span (exclusive)
 * @npages: Pages in the span
 * @pages: The pages, locked and referenced while exclusive is being set up
 * @resplit: A THP appeared in the span after the split (a hole faulted in
 *	as a THP): split again before the next attempt
 */
struct drm_gpusvm_excl {
	unsigned long start;
	unsigned long end;
	unsigned long npages;
	struct page **pages;
	bool resplit;
};

int drm_gpusvm_exclusive_prepare(struct drm_gpusvm *gpusvm,
				 unsigned long start, unsigned long end);
int drm_gpusvm_exclusive_check(struct drm_gpusvm_excl *x,
			       const struct hmm_range *hmm_range);
int drm_gpusvm_exclusive_grab(struct drm_gpusvm *gpusvm, unsigned long start,
			      unsigned long end, struct page **pages);
void drm_gpusvm_exclusive_release(struct page **pages, unsigned long npages);
void drm_gpusvm_exclusive_mark(struct drm_gpusvm_range *range,
			       unsigned long start, unsigned long end);

bool drm_gpusvm_should_fail_alloc(void);
extern struct fault_attr drm_gpusvm_fail_alloc;
bool drm_gpusvm_should_fail_seqno(void);
extern struct fault_attr drm_gpusvm_fail_seqno;

bool drm_gpusvm_range_cpu_unmapped(struct drm_gpusvm_range *range);
void drm_gpusvm_pages_free(struct drm_gpusvm_range *range);
void __drm_gpusvm_range_unmap_pages(struct drm_gpusvm *gpusvm,
				    struct drm_gpusvm_range *range, bool zap);
/**
 * struct drm_gpusvm_migrate_args - Inputs of the migrate-on-fault policy
 * @access: The GPU access that faulted
 * @preferred: The preferred location
 * @devmem_available: The faulting device has device memory
 * @now: The current time in jiffies
 * @thrash_until: The range's &drm_gpusvm_migrate_hist.thrash_until
 */
struct drm_gpusvm_migrate_args {
	enum drm_gpusvm_access access;
	enum drm_gpusvm_location preferred;
	bool devmem_available;
	unsigned long now;
	unsigned long thrash_until;
};

bool drm_gpusvm_policy_want_devmem(const struct drm_gpusvm_migrate_args *args);
bool drm_gpusvm_policy_note_migration(struct drm_gpusvm_migrate_hist *hist,
				      unsigned long now);
unsigned long drm_gpusvm_policy_cpu_fault_delay(unsigned long migrated_at,
						unsigned long now);
void drm_gpusvm_policy_debugfs(struct dentry *root);
bool drm_gpusvm_policy_evict_on_pressure(void);
void drm_gpusvm_policy_cpu_fault_window(struct vm_area_struct *vma,
					unsigned long addr, unsigned long *start,
					unsigned long *end);
int drm_pagemap_module_init(void);
void drm_pagemap_module_exit(void);
int drm_gpusvm_debugfs_init(void);
void drm_gpusvm_debugfs_fini(void);
void drm_gpusvm_debugfs_add(struct drm_gpusvm *gpusvm);
void drm_pagemap_debugfs_add(struct drm_pagemap *dpagemap);

#endif /* __DRM_GPUSVM_INTERNAL_H__ */
