/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * ioctl ABI of /dev/drm_gpusvm_selftest, a test-only "device" that reaches
 * the memory of the process that opened it only through GPU page tables
 * built with drm_gpusvm. Driven by tools/gpusvm-selftest.
 */

#ifndef __DRM_GPUSVM_SELFTEST_UAPI_H__
#define __DRM_GPUSVM_SELFTEST_UAPI_H__

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct drm_gpusvm_selftest_access - A device read or write
 * @addr: Process VA the device accesses, any alignment
 * @size: Bytes, non-zero; [@addr, @addr + @size) must not wrap
 * @buf: User buffer the device copies to (read) or from (write)
 * @flags: Must be 0
 */
struct drm_gpusvm_selftest_access {
	__u64 addr;
	__u64 size;
	__u64 buf;
	__u64 flags;
};

/**
 * struct drm_gpusvm_selftest_prefetch - Map the present pages of a span
 * @addr: Start, page aligned
 * @size: Bytes, page aligned and non-zero
 * @flags: Must be 0
 */
struct drm_gpusvm_selftest_prefetch {
	__u64 addr;
	__u64 size;
	__u64 flags;
};

/**
 * struct drm_gpusvm_selftest_migrate - Migrate a span to device memory
 * @addr: Start, page aligned
 * @size: Bytes, page aligned and non-zero
 * @flags: Must be 0
 *
 * Every range overlapping the span is migrated whole to the device's fake
 * VRAM, unless the core's ping-pong control refuses (counted in
 * &drm_gpusvm_selftest_stats.migrate_refused).
 */
struct drm_gpusvm_selftest_migrate {
	__u64 addr;
	__u64 size;
	__u64 flags;
};

/**
 * struct drm_gpusvm_selftest_stats - Counters of one open file
 * @device_invalidations: Calls of the device's invalidate op
 * @valid_ptes: Device PTEs that map a page now
 * @faults: Core counter &drm_gpusvm_stats.faults
 * @ranges_created: Core counter &drm_gpusvm_stats.ranges_created
 * @pages_mapped: Core counter &drm_gpusvm_stats.pages_mapped
 * @retries: Core counter &drm_gpusvm_stats.retries
 * @invalidations: Core counter &drm_gpusvm_stats.invalidations
 * @gc_ranges: Core counter &drm_gpusvm_stats.gc_ranges
 * @notifiers: Core counter &drm_gpusvm_stats.notifiers
 * @last_bind_max_order: Largest DMA chunk order of the last bind
 * @devmem_ptes: Device PTEs that map a page of device memory now
 * @pages_migrated: Pages moved to device memory by MIGRATE
 * @migrate_refused: Ranges MIGRATE left in system memory (ping-pong control)
 * @thrash_events: Core counter &drm_gpusvm_stats.thrash_events
 * @pages_to_ram: Pagemap counter &drm_pagemap_stats.pages_to_ram, shared
 *	by every open file
 * @cpu_faults: Pagemap counter &drm_pagemap_stats.cpu_faults, shared by
 *	every open file
 */
struct drm_gpusvm_selftest_stats {
	__u64 device_invalidations;
	__u64 valid_ptes;
	__u64 faults;
	__u64 ranges_created;
	__u64 pages_mapped;
	__u64 retries;
	__u64 invalidations;
	__u64 gc_ranges;
	__u64 notifiers;
	__u64 last_bind_max_order;
	__u64 devmem_ptes;
	__u64 pages_migrated;
	__u64 migrate_refused;
	__u64 thrash_events;
	__u64 pages_to_ram;
	__u64 cpu_faults;
};

/* 'H' as lib/test_hmm_uapi.h, above its 0x00-0x07: both are test devices. */
#define DRM_GPUSVM_SELFTEST_READ \
	_IOW('H', 0x40, struct drm_gpusvm_selftest_access)
#define DRM_GPUSVM_SELFTEST_WRITE \
	_IOW('H', 0x41, struct drm_gpusvm_selftest_access)
#define DRM_GPUSVM_SELFTEST_PREFETCH \
	_IOW('H', 0x42, struct drm_gpusvm_selftest_prefetch)
#define DRM_GPUSVM_SELFTEST_STATS \
	_IOR('H', 0x43, struct drm_gpusvm_selftest_stats)
#define DRM_GPUSVM_SELFTEST_MIGRATE \
	_IOW('H', 0x44, struct drm_gpusvm_selftest_migrate)

#endif /* __DRM_GPUSVM_SELFTEST_UAPI_H__ */
