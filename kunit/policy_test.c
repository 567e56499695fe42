// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * Tests of policy.c with its default parameters: the fault window at VMA,
 * notifier, GPU VA and existing-range boundaries (table-driven), the
 * migrate-on-fault decision, ping-pong control, atomic retries, the GPU
 * fault span, and the CPU fault window and timeslice.
 */

#include <linux/jiffies.h>
#include <linux/mm_types.h>
#include <linux/sizes.h>

#include <kunit/test.h>

#include "gpusvm_internal.h"

/**
 * struct policy_window_case - One window-selection scenario
 * @desc: Description, shown as the parameter name
 * @addr: Faulting address
 * @vma_start: VMA start
 * @vma_end: VMA end
 * @nstart: Notifier start
 * @nend: Notifier end
 * @gstart: GPU VA start limit
 * @gend: GPU VA end limit, 0 for none
 * @busy_start: Start of an existing range, or 0 for none
 * @busy_end: End of that range
 * @present: Whether the CPU pages are present
 * @err: Expected return value
 * @start: Expected window start
 * @end: Expected window end
 */
struct policy_window_case {
	const char *desc;
	unsigned long addr;
	unsigned long vma_start, vma_end;
	unsigned long nstart, nend;
	unsigned long gstart, gend;
	unsigned long busy_start, busy_end;
	bool present;
	int err;
	unsigned long start, end;
};

#define BASE	(SZ_1G)

static const struct policy_window_case policy_window_cases[] = {
	{ "big vma gets 2M", BASE + SZ_2M + 0x1234, BASE, BASE + SZ_64M,
	  BASE, BASE + SZ_512M, 0, 0, 0, 0, false, 0, BASE + SZ_2M, BASE + SZ_4M },
	{ "vma start mid-2M, absent pages, gets 4K",
	  BASE + SZ_2M + SZ_1M + 0x5000, BASE + SZ_2M + SZ_1M, BASE + SZ_64M,
	  BASE, BASE + SZ_512M, 0, 0, 0, 0, false, 0,
	  BASE + SZ_2M + SZ_1M + 0x5000, BASE + SZ_2M + SZ_1M + 0x6000 },
	{ "vma start mid-2M, present pages, gets 64K",
	  BASE + SZ_2M + SZ_1M + 0x5000, BASE + SZ_2M + SZ_1M, BASE + SZ_64M,
	  BASE, BASE + SZ_512M, 0, 0, 0, 0, true, 0,
	  BASE + SZ_2M + SZ_1M, BASE + SZ_2M + SZ_1M + SZ_64K },
	{ "vma end mid-2M, present pages, gets 64K",
	  BASE + SZ_2M + 0x21000, BASE, BASE + SZ_2M + SZ_1M,
	  BASE, BASE + SZ_512M, 0, 0, 0, 0, true, 0,
	  BASE + SZ_2M + 0x20000, BASE + SZ_2M + 0x30000 },
	{ "one-page vma gets 4K", BASE + 0x7000, BASE + 0x7000, BASE + 0x8000,
	  BASE, BASE + SZ_512M, 0, 0, 0, 0, true, 0, BASE + 0x7000, BASE + 0x8000 },
	{ "small notifier caps the window", BASE + 0x11000, BASE, BASE + SZ_64M,
	  BASE, BASE + SZ_1M, 0, 0, 0, 0, true, 0,
	  BASE + 0x10000, BASE + 0x20000 },
	{ "existing range in the 2M forces 64K", BASE + SZ_2M + 0x1000,
	  BASE, BASE + SZ_64M, BASE, BASE + SZ_512M, 0, 0,
	  BASE + SZ_2M + SZ_1M, BASE + SZ_2M + SZ_1M + SZ_4K, true, 0,
	  BASE + SZ_2M, BASE + SZ_2M + SZ_64K },
	{ "existing range in the 64K forces 4K", BASE + SZ_2M + 0x1000,
	  BASE, BASE + SZ_64M, BASE, BASE + SZ_512M, 0, 0,
	  BASE + SZ_2M + 0x8000, BASE + SZ_2M + 0x9000, true, 0,
	  BASE + SZ_2M + 0x1000, BASE + SZ_2M + 0x2000 },
	{ "faulting page already covered", BASE + SZ_2M + 0x10,
	  BASE, BASE + SZ_64M, BASE, BASE + SZ_512M, 0, 0,
	  BASE + SZ_2M, BASE + SZ_2M + SZ_4K, true, -EEXIST, 0, 0 },
	{ "gpu va end caps the window", BASE + SZ_2M + 0x1000,
	  BASE, BASE + SZ_64M, BASE, BASE + SZ_512M, 0, BASE + SZ_2M + SZ_64K,
	  0, 0, true, 0, BASE + SZ_2M, BASE + SZ_2M + SZ_64K },
	{ "gpu va start caps the window", BASE + SZ_2M + 0x1000,
	  BASE, BASE + SZ_64M, BASE, BASE + SZ_512M, BASE + SZ_2M + 0x1000, 0,
	  0, 0, true, 0, BASE + SZ_2M + 0x1000, BASE + SZ_2M + 0x2000 },
	{ "fault outside the vma", BASE - 0x1000, BASE, BASE + SZ_64M,
	  BASE, BASE + SZ_512M, 0, 0, 0, 0, true, -ENOENT, 0, 0 },
	{ "fault outside the gpu va", BASE + 0x1000, BASE, BASE + SZ_64M,
	  BASE, BASE + SZ_512M, BASE + SZ_1M, 0, 0, 0, true, -ENOENT, 0, 0 },
	{ "top of the address space does not overflow",
	  ULONG_MAX - 0xfff, ULONG_MAX - SZ_4M + 1, ULONG_MAX,
	  ULONG_MAX - SZ_512M + 1, ULONG_MAX, 0, 0, 0, 0, true, -EEXIST, 0, 0 },
};

static void policy_window_desc(const struct policy_window_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(policy_window, policy_window_cases, policy_window_desc);

static bool policy_test_overlaps(void *arg, unsigned long start,
				 unsigned long end)
{
	const struct policy_window_case *c = arg;

	return c->busy_start && start < c->busy_end && c->busy_start < end;
}

static bool policy_test_present(void *arg, unsigned long start,
				unsigned long end)
{
	const struct policy_window_case *c = arg;

	return c->present;
}

static void drm_gpusvm_policy_test_window(struct kunit *test)
{
	const struct policy_window_case *c = test->param_value;
	struct drm_gpusvm_window_args args = {
		.fault_addr = c->addr,
		.vma_start = c->vma_start,
		.vma_end = c->vma_end,
		.notifier_start = c->nstart,
		.notifier_end = c->nend,
		.gpuva_start = c->gstart,
		.gpuva_end = c->gend,
		.overlaps = policy_test_overlaps,
		.present = policy_test_present,
		.arg = (void *)c,
	};
	unsigned long start = 0, end = 0;
	int err;

	err = drm_gpusvm_policy_window(&args, &start, &end);
	KUNIT_EXPECT_EQ(test, err, c->err);
	if (err)
		return;
	KUNIT_EXPECT_EQ(test, start, c->start);
	KUNIT_EXPECT_EQ(test, end, c->end);
	KUNIT_EXPECT_TRUE(test, start <= c->addr && c->addr < end);
}

/**
 * struct policy_migrate_case - One migrate-on-fault scenario
 * @desc: Description
 * @access: GPU access
 * @preferred: Preferred location
 * @devmem: Device memory available
 * @thrashing: The range is in its thrash cool-down
 * @want: Expected decision
 */
struct policy_migrate_case {
	const char *desc;
	enum drm_gpusvm_access access;
	enum drm_gpusvm_location preferred;
	bool devmem;
	bool thrashing;
	bool want;
};

static const struct policy_migrate_case policy_migrate_cases[] = {
	{ "default read migrates", DRM_GPUSVM_ACCESS_READ,
	  DRM_GPUSVM_LOC_DEFAULT, true, false, true },
	{ "default atomic migrates", DRM_GPUSVM_ACCESS_ATOMIC,
	  DRM_GPUSVM_LOC_DEFAULT, true, false, true },
	{ "preferred system never migrates", DRM_GPUSVM_ACCESS_WRITE,
	  DRM_GPUSVM_LOC_SYSTEM, true, false, false },
	{ "preferred device migrates", DRM_GPUSVM_ACCESS_READ,
	  DRM_GPUSVM_LOC_DEVICE, true, false, true },
	{ "no device memory, no migration", DRM_GPUSVM_ACCESS_WRITE,
	  DRM_GPUSVM_LOC_DEVICE, false, false, false },
	{ "thrashing range stays in system memory", DRM_GPUSVM_ACCESS_WRITE,
	  DRM_GPUSVM_LOC_DEVICE, true, true, false },
};

static void policy_migrate_desc(const struct policy_migrate_case *c,
				char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(policy_migrate, policy_migrate_cases, policy_migrate_desc);

static void drm_gpusvm_policy_test_want_devmem(struct kunit *test)
{
	const struct policy_migrate_case *c = test->param_value;
	unsigned long now = jiffies;
	struct drm_gpusvm_migrate_args args = {
		.access = c->access,
		.preferred = c->preferred,
		.devmem_available = c->devmem,
		.now = now,
		.thrash_until = c->thrashing ? now + HZ : 0,
	};

	KUNIT_EXPECT_EQ(test, drm_gpusvm_policy_want_devmem(&args), c->want);
}

/* Bounces within the window make the range thrash; it recovers later. */
static void drm_gpusvm_policy_test_thrash(struct kunit *test)
{
	struct drm_gpusvm_migrate_hist hist = {};
	struct drm_gpusvm_migrate_args args = {
		.access = DRM_GPUSVM_ACCESS_WRITE,
		.preferred = DRM_GPUSVM_LOC_DEVICE,
		.devmem_available = true,
	};
	unsigned long now = jiffies, i;
	bool thrash = false;

	/* Migrations far apart never thrash. */
	for (i = 0; i < 10; i++) {
		thrash = drm_gpusvm_policy_note_migration(&hist,
							  now + i * 10 * HZ);
		KUNIT_EXPECT_FALSE(test, thrash);
	}
	now += 100 * HZ;
	/* Back-to-back migrations thrash within the default threshold (3). */
	for (i = 0; i < 4 && !thrash; i++)
		thrash = drm_gpusvm_policy_note_migration(&hist, now + i);
	KUNIT_EXPECT_TRUE(test, thrash);
	KUNIT_EXPECT_EQ(test, i, 4UL);

	args.now = now + i;
	args.thrash_until = hist.thrash_until;
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_policy_want_devmem(&args));
	args.now = hist.thrash_until + 1;
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_policy_want_devmem(&args));
}

/* Strict atomics retry a bounded number of times, then fail cleanly. */
static void drm_gpusvm_policy_test_atomic_retry(struct kunit *test)
{
	unsigned int attempt = 1;

	while (!drm_gpusvm_atomic_retry(attempt) && attempt < 1000)
		attempt++;
	KUNIT_EXPECT_EQ(test, attempt, 4U);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_atomic_retry(attempt), -EACCES);
}

/* A VM replays busy faults a bounded number of times in a row. */
static void drm_gpusvm_policy_test_busy_replay(struct kunit *test)
{
	unsigned int streak = 1;

	while (!drm_gpusvm_fault_busy_replay(streak) && streak < 1000)
		streak++;
	KUNIT_EXPECT_EQ(test, streak, 8U);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_fault_busy_replay(1), 0);
}

/* The GPU fault span is the fault_ahead window clipped to the range. */
static void drm_gpusvm_policy_test_fault_span(struct kunit *test)
{
	unsigned long start, end;

	drm_gpusvm_policy_fault_span(SZ_1G, SZ_1G + SZ_2M, SZ_1G + 0x5000,
				     &start, &end);
	KUNIT_EXPECT_EQ(test, start, (unsigned long)SZ_1G);
	KUNIT_EXPECT_EQ(test, end, (unsigned long)SZ_1G + SZ_2M);

	drm_gpusvm_policy_fault_span(SZ_1G + 0x4000, SZ_1G + 0x6000,
				     SZ_1G + 0x5000, &start, &end);
	KUNIT_EXPECT_EQ(test, start, (unsigned long)SZ_1G + 0x4000);
	KUNIT_EXPECT_EQ(test, end, (unsigned long)SZ_1G + 0x6000);
}

/* The CPU fault window contains the fault and stays inside the VMA. */
static void drm_gpusvm_policy_test_cpu_fault_window(struct kunit *test)
{
	struct vm_area_struct vma = {
		.vm_start = SZ_1G + 0x3000,
		.vm_end = SZ_1G + SZ_1M + SZ_64K,
	};
	unsigned long start, end;

	/* The default cpu_fault_window_kb, 512 */
	drm_gpusvm_policy_cpu_fault_window(&vma, SZ_1G + 0x5000, &start, &end);
	KUNIT_EXPECT_EQ(test, start, vma.vm_start);
	KUNIT_EXPECT_EQ(test, end, (unsigned long)SZ_1G + SZ_512K);

	drm_gpusvm_policy_cpu_fault_window(&vma, SZ_1G + 0x81000, &start, &end);
	KUNIT_EXPECT_EQ(test, start, (unsigned long)SZ_1G + SZ_512K);
	KUNIT_EXPECT_EQ(test, end, (unsigned long)SZ_1G + SZ_1M);

	drm_gpusvm_policy_cpu_fault_window(&vma, SZ_1G + SZ_1M + 0x1000,
					   &start, &end);
	KUNIT_EXPECT_EQ(test, start, (unsigned long)SZ_1G + SZ_1M);
	KUNIT_EXPECT_EQ(test, end, vma.vm_end);
}

/* A CPU fault waits out the residency timeslice, and only that. */
static void drm_gpusvm_policy_test_cpu_fault_delay(struct kunit *test)
{
	unsigned long now = jiffies + 1000, slice = msecs_to_jiffies(5);

	KUNIT_EXPECT_EQ(test, drm_gpusvm_policy_cpu_fault_delay(0, now), 0UL);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_policy_cpu_fault_delay(now, now), slice);
	KUNIT_EXPECT_EQ(test,
			drm_gpusvm_policy_cpu_fault_delay(now - slice, now), 0UL);
}

static void drm_gpusvm_policy_test_exit(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

static struct kunit_case drm_gpusvm_policy_tests[] = {
	KUNIT_CASE_PARAM(drm_gpusvm_policy_test_window,
			 policy_window_gen_params),
	KUNIT_CASE_PARAM(drm_gpusvm_policy_test_want_devmem,
			 policy_migrate_gen_params),
	KUNIT_CASE(drm_gpusvm_policy_test_thrash),
	KUNIT_CASE(drm_gpusvm_policy_test_atomic_retry),
	KUNIT_CASE(drm_gpusvm_policy_test_busy_replay),
	KUNIT_CASE(drm_gpusvm_policy_test_fault_span),
	KUNIT_CASE(drm_gpusvm_policy_test_cpu_fault_window),
	KUNIT_CASE(drm_gpusvm_policy_test_cpu_fault_delay),
	{}
};

static struct kunit_suite drm_gpusvm_policy_suite = {
	.name = "drm_gpusvm_policy",
	.exit = drm_gpusvm_policy_test_exit,
	.test_cases = drm_gpusvm_policy_tests,
};

kunit_test_suite(drm_gpusvm_policy_suite);
