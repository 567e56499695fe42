// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * KUnit suite "simgpu": the simulated hardware against a fake page table.
 */

#include <linux/completion.h>
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/fault-inject.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <kunit/resource.h>
#include <kunit/test.h>

#include "simgpu_internal.h"

/**
 * DOC: simgpu tests
 *
 * Each case gets an address space on device 0 whose page walker reads an
 * array of u64 PTEs, one per 4 KiB page of VA 0 .. 1 MiB: a PTE is a device
 * address with the %SIMGPU_XLATE_* flags in its low bits. A case changes
 * PTEs behind the walker's back to see what the TLB caches, and targets
 * system pages DMA-mapped for the device or VRAM populated through the
 * pagemap ops. Fault records land in an array the case waits on.
 */

#define T_PAGES		256
#define T_SYS_PAGES	8
#define T_FLAGS		GENMASK_ULL(2, 0)
#define T_V		SIMGPU_XLATE_VALID
#define T_W		(SIMGPU_XLATE_VALID | SIMGPU_XLATE_WRITE)
#define T_A		(T_W | SIMGPU_XLATE_ATOMIC)
#define T_MAX_FAULTS	8
#define T_TIMEOUT	(20 * HZ)
#define T_U32S		(SZ_4K / 4)

/**
 * struct simgpu_test - The fixture of one case
 * @as: The address space under test
 * @sdev: Device 0
 * @pt: The fake page table, read by the walker with READ_ONCE()
 * @large_va: VA of a 64 KiB entry, or 0 for none
 * @large_addr: Its device address
 * @fault_lock: Protects @faults and @nfaults (the engine's worker writes
 *	them, the case reads them)
 * @faults: Fault records the exec engine raised
 * @nfaults: Number of records
 * @fault_done: Completed once per record
 * @as_live: simgpu_as_fini() still has to run
 * @page: System pages for the case
 * @dma: Their DMA addresses
 */
struct simgpu_test {
	struct simgpu_as as;
	struct simgpu_device *sdev;
	u64 pt[T_PAGES];
	u64 large_va;
	u64 large_addr;
	spinlock_t fault_lock;	/* Engine worker vs. the case */
	struct simgpu_fault faults[T_MAX_FAULTS];
	unsigned int nfaults;
	struct completion fault_done;
	bool as_live;
	struct page *page[T_SYS_PAGES];
	dma_addr_t dma[T_SYS_PAGES];
};

static struct simgpu_test *to_t(struct simgpu_as *as)
{
	return container_of(as, struct simgpu_test, as);
}

static bool simgpu_test_walk(struct simgpu_as *as, u64 va,
			     struct simgpu_xlate *xl)
{
	struct simgpu_test *t = to_t(as);
	u64 pte;

	if (t->large_va && va - t->large_va < SZ_64K) {
		xl->addr = t->large_addr;
		xl->shift = 16;
		xl->flags = T_W;
		return true;
	}
	if (va >> SIMGPU_PAGE_SHIFT >= T_PAGES)
		return false;
	pte = READ_ONCE(t->pt[va >> SIMGPU_PAGE_SHIFT]);
	if (!(pte & SIMGPU_XLATE_VALID))
		return false;
	xl->addr = pte & ~T_FLAGS;
	xl->shift = SIMGPU_PAGE_SHIFT;
	xl->flags = pte & T_FLAGS;
	return true;
}

static void simgpu_test_fault(struct simgpu_as *as,
			      const struct simgpu_fault *fault)
{
	struct simgpu_test *t = to_t(as);

	spin_lock(&t->fault_lock);
	if (t->nfaults < T_MAX_FAULTS)
		t->faults[t->nfaults] = *fault;
	t->nfaults++;
	spin_unlock(&t->fault_lock);
	complete(&t->fault_done);
}

static const struct simgpu_as_ops simgpu_test_as_ops = {
	.walk = simgpu_test_walk,
	.fault = simgpu_test_fault,
};

static void simgpu_test_as_fini(void *arg)
{
	struct simgpu_test *t = arg;

	if (t->as_live)
		simgpu_as_fini(&t->as);
}

static void simgpu_test_pages_free(void *arg)
{
	struct simgpu_test *t = arg;
	struct device *dev = simgpu_dma_dev(t->sdev);
	unsigned int i;

	for (i = 0; i < T_SYS_PAGES; i++) {
		if (!t->page[i])
			continue;
		if (t->dma[i])
			dma_unmap_page(dev, t->dma[i], PAGE_SIZE,
				       DMA_BIDIRECTIONAL);
		__free_page(t->page[i]);
	}
}

KUNIT_DEFINE_ACTION_WRAPPER(simgpu_test_job_put, simgpu_job_put,
			    struct simgpu_job *);
KUNIT_DEFINE_ACTION_WRAPPER(simgpu_test_devmem_put, drm_pagemap_devmem_put,
			    struct drm_pagemap_devmem *);
KUNIT_DEFINE_ACTION_WRAPPER(simgpu_test_fence_put, dma_fence_put,
			    struct dma_fence *);
KUNIT_DEFINE_ACTION_WRAPPER(simgpu_test_kvfree, kvfree, const void *);

/* Zeroed system pages, DMA-mapped for the device. */
static void simgpu_test_pages_alloc(struct kunit *test, struct simgpu_test *t)
{
	struct device *dev = simgpu_dma_dev(t->sdev);
	unsigned int i;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							simgpu_test_pages_free,
							t), 0);
	for (i = 0; i < T_SYS_PAGES; i++) {
		t->page[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, t->page[i]);
		t->dma[i] = dma_map_page(dev, t->page[i], 0, PAGE_SIZE,
					 DMA_BIDIRECTIONAL);
		KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, t->dma[i]));
	}
}

static int simgpu_test_init(struct kunit *test)
{
	struct simgpu_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->sdev = simgpu_get(0);
	KUNIT_ASSERT_NOT_NULL(test, t->sdev);
	spin_lock_init(&t->fault_lock);
	init_completion(&t->fault_done);
	/* Pages go after the address space: no job may touch them then */
	simgpu_test_pages_alloc(test, t);
	simgpu_as_init(&t->as, t->sdev, &simgpu_test_as_ops);
	t->as_live = true;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							simgpu_test_as_fini,
							t), 0);
	test->priv = t;
	return 0;
}

static void simgpu_test_exit(struct kunit *test)
{
	/* KUnit does not fail a case on a lockdep report; this does */
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

static u32 *simgpu_test_u32(struct simgpu_test *t, unsigned int i)
{
	return page_address(t->page[i]);
}

/* Fill system page @i with @base, @base + 1, ... */
static void simgpu_test_fill(struct simgpu_test *t, unsigned int i, u32 base)
{
	u32 *p = simgpu_test_u32(t, i);
	unsigned int j;

	for (j = 0; j < T_U32S; j++)
		p[j] = base + j;
}

/* Map VA page @va_page to system page @i with @flags. */
static void simgpu_test_map(struct simgpu_test *t, unsigned int va_page,
			    unsigned int i, u64 flags)
{
	WRITE_ONCE(t->pt[va_page], t->dma[i] | flags);
}

static u32 simgpu_test_read32(struct kunit *test, struct simgpu_test *t,
			      u64 va)
{
	u32 v = 0;

	KUNIT_EXPECT_EQ(test, simgpu_as_access(&t->as, va, &v, sizeof(v),
					       SIMGPU_ACCESS_READ), 0);
	return v;
}

/* The @nth fault record, waiting for it. */
static struct simgpu_fault simgpu_test_wait_fault(struct kunit *test,
						  struct simgpu_test *t,
						  unsigned int nth)
{
	struct simgpu_fault f;

	KUNIT_ASSERT_LT(test, nth, T_MAX_FAULTS);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&t->fault_done,
							  T_TIMEOUT), 0);
	spin_lock(&t->fault_lock);
	KUNIT_EXPECT_EQ(test, t->nfaults, nth + 1);
	f = t->faults[nth];
	spin_unlock(&t->fault_lock);
	return f;
}

static void simgpu_test_wait_fence(struct kunit *test, struct dma_fence *f)
{
	KUNIT_ASSERT_GT(test, dma_fence_wait_timeout(f, false, T_TIMEOUT), 0);
}

/* Create and submit a job; the case's reference is dropped at cleanup. */
static struct simgpu_job *simgpu_test_submit(struct kunit *test,
					     struct simgpu_test *t,
					     const struct simgpu_op *ops,
					     u32 nops)
{
	struct simgpu_job *job = simgpu_job_create(&t->as, ops, nops);

	KUNIT_ASSERT_FALSE(test, IS_ERR(job));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							simgpu_test_job_put,
							job), 0);
	simgpu_job_submit(job);
	return job;
}

static bool simgpu_test_job_stalled(struct simgpu_job *job)
{
	bool stalled;

	spin_lock(&job->as->lock);
	stalled = job->stalled;
	spin_unlock(&job->as->lock);
	return stalled;
}

/* A changed PTE is not seen until the TLB entry is flushed. */
static void simgpu_test_tlb_caches(struct kunit *test)
{
	struct simgpu_test *t = test->priv;

	simgpu_test_fill(t, 0, 0xa000);
	simgpu_test_fill(t, 1, 0xb000);
	simgpu_test_map(t, 0, 0, T_W);
	KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, 8), 0xa002);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->as.stats.tlb_misses), 1);

	simgpu_test_map(t, 0, 1, T_W);
	KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, 8), 0xa002);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->as.stats.tlb_hits), 1);

	simgpu_tlb_flush(&t->as, 0, SZ_4K);
	KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, 8), 0xb002);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->as.stats.tlb_misses), 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->as.stats.tlb_flushes), 1);

	/* An entry gone from the page table stays reachable until a flush */
	WRITE_ONCE(t->pt[0], 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, 8), 0xb002);
	simgpu_tlb_flush(&t->as, 0, SZ_4K);
	KUNIT_EXPECT_EQ(test, simgpu_as_access(&t->as, 8, &(u32){0}, 4,
					       SIMGPU_ACCESS_READ), -ENOENT);
}

/* A flush drops the entries overlapping its span, and only those. */
static void simgpu_test_tlb_flush_span(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	unsigned int i;

	simgpu_test_fill(t, 0, 0xa000);
	simgpu_test_fill(t, 1, 0xb000);
	for (i = 0; i < 8; i++) {
		simgpu_test_map(t, i, 0, T_W);
		KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, i * SZ_4K),
				0xa000);
	}
	for (i = 0; i < 8; i++)
		simgpu_test_map(t, i, 1, T_W);
	/* Ends mid-page 3: page 3 overlaps, page 4 does not */
	simgpu_tlb_flush(&t->as, 2 * SZ_4K, 3 * SZ_4K + 1);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    simgpu_test_read32(test, t, i * SZ_4K),
				    i == 2 || i == 3 ? 0xb000 : 0xa000,
				    "page %u", i);
}

/* Direct-mapped: a VA with the same slot evicts the cached entry. */
static void simgpu_test_tlb_direct_mapped(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	u64 alias = SIMGPU_TLB_ENTRIES * SZ_4K;

	simgpu_test_fill(t, 0, 0xa000);
	simgpu_test_fill(t, 1, 0xb000);
	simgpu_test_map(t, 0, 0, T_W);
	simgpu_test_map(t, SIMGPU_TLB_ENTRIES, 0, T_W);
	KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, 0), 0xa000);
	simgpu_test_map(t, 0, 1, T_W);
	KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, alias), 0xa000);
	KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, 0), 0xb000);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->as.stats.tlb_misses), 3);
}

/**
 * struct simgpu_test_large - 64 KiB of system memory for a large entry
 * @dev: The DMA device
 * @page: First page of the allocation
 * @dma: Its DMA address
 */
struct simgpu_test_large {
	struct device *dev;
	struct page *page;
	dma_addr_t dma;
};

static void simgpu_test_large_free(void *arg)
{
	struct simgpu_test_large *l = arg;

	if (l->dma)
		dma_unmap_page(l->dev, l->dma, SZ_64K, DMA_BIDIRECTIONAL);
	__free_pages(l->page, get_order(SZ_64K));
}

/* A 64 KiB entry: any overlap of a partial flush drops it. */
static void simgpu_test_tlb_large_entry(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	u64 l = SZ_128K;
	u32 v = 0x1234;
	struct simgpu_test_large *mem;
	struct page *page;
	dma_addr_t dma;

	mem = kunit_kzalloc(test, sizeof(*mem), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	mem->dev = simgpu_dma_dev(t->sdev);
	page = alloc_pages(GFP_KERNEL | __GFP_ZERO, get_order(SZ_64K));
	KUNIT_ASSERT_NOT_NULL(test, page);
	mem->page = page;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							simgpu_test_large_free,
							mem), 0);
	dma = dma_map_page(mem->dev, page, 0, SZ_64K, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(mem->dev, dma));
	mem->dma = dma;
	/* No IOMMU: as aligned as the allocation, a valid 64 KiB entry */
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED(dma, SZ_64K));
	t->large_addr = dma;
	t->large_va = l;

	KUNIT_EXPECT_EQ(test, simgpu_as_access(&t->as, l + 3 * SZ_4K + 8, &v,
					       sizeof(u32),
					       SIMGPU_ACCESS_WRITE), 0);
	KUNIT_EXPECT_EQ(test, *(u32 *)(page_address(page + 3) + 8), 0x1234);
	simgpu_test_read32(test, t, l + 5 * SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->as.stats.tlb_misses), 2);

	/* Outside the entry: both cached copies stay */
	simgpu_tlb_flush(&t->as, l + SZ_64K, l + SZ_64K + SZ_4K);
	simgpu_test_read32(test, t, l + 3 * SZ_4K);
	simgpu_test_read32(test, t, l + 5 * SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->as.stats.tlb_misses), 2);

	/* One 4 KiB page of it: both copies go */
	simgpu_tlb_flush(&t->as, l + 9 * SZ_4K, l + 10 * SZ_4K);
	simgpu_test_read32(test, t, l + 3 * SZ_4K);
	simgpu_test_read32(test, t, l + 5 * SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->as.stats.tlb_misses), 4);
	t->large_va = 0;
	simgpu_tlb_flush(&t->as, l, l + SZ_64K);
}

/* Not present, permissions, and the 4 KiB rule. */
static void simgpu_test_access_errors(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_as *as = &t->as;
	u32 v = 7;
	u8 big[8] = {};

	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, 5 * SZ_4K, &v, 4,
					       SIMGPU_ACCESS_READ), -ENOENT);

	simgpu_test_map(t, 1, 0, T_V);
	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, SZ_4K, &v, 4,
					       SIMGPU_ACCESS_READ), 0);
	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, SZ_4K, &v, 4,
					       SIMGPU_ACCESS_WRITE), -EACCES);
	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, SZ_4K, &v, 4,
					       SIMGPU_ACCESS_ATOMIC), -EACCES);

	simgpu_test_map(t, 2, 0, T_W);
	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, 2 * SZ_4K, &v, 4,
					       SIMGPU_ACCESS_WRITE), 0);
	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, 2 * SZ_4K, &v, 4,
					       SIMGPU_ACCESS_ATOMIC), -EACCES);
	simgpu_test_map(t, 3, 0, T_A);
	v = 0xabcd;
	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, 3 * SZ_4K + 12, &v, 4,
					       SIMGPU_ACCESS_ATOMIC), 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_u32(t, 0)[3], 0xabcd);

	/* Never across a 4 KiB page, never empty */
	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, 3 * SZ_4K - 2, big, 4,
					       SIMGPU_ACCESS_READ), -EINVAL);
	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, 3 * SZ_4K, big, 0,
					       SIMGPU_ACCESS_READ), -EINVAL);
	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, 3 * SZ_4K - 8, big, 8,
					       SIMGPU_ACCESS_READ), 0);

	/* A permission fault drops the entry: an upgrade needs no flush */
	simgpu_test_map(t, 1, 0, T_W);
	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, SZ_4K, &v, 4,
					       SIMGPU_ACCESS_WRITE), 0);
	/* A downgrade is not seen before a flush */
	simgpu_test_map(t, 2, 0, T_V);
	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, 2 * SZ_4K, &v, 4,
					       SIMGPU_ACCESS_WRITE), 0);
	simgpu_tlb_flush(as, 2 * SZ_4K, 3 * SZ_4K);
	KUNIT_EXPECT_EQ(test, simgpu_as_access(as, 2 * SZ_4K, &v, 4,
					       SIMGPU_ACCESS_WRITE), -EACCES);
}

/* simgpu_as_translate() walks without touching the TLB. */
static void simgpu_test_translate(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_xlate xl;

	KUNIT_EXPECT_FALSE(test, simgpu_as_translate(&t->as, 0, &xl));
	simgpu_test_fill(t, 0, 0xa000);
	simgpu_test_fill(t, 1, 0xb000);
	simgpu_test_map(t, 0, 0, T_A);
	KUNIT_ASSERT_TRUE(test, simgpu_as_translate(&t->as, 100, &xl));
	KUNIT_EXPECT_EQ(test, xl.addr, t->dma[0]);
	KUNIT_EXPECT_EQ(test, xl.shift, 12);
	KUNIT_EXPECT_EQ(test, xl.flags, T_A);
	simgpu_test_map(t, 0, 1, T_W);
	KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, 0), 0xb000);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->as.stats.tlb_misses), 1);
}

/* Bad operations are refused at creation. */
static void simgpu_test_job_create_invalid(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	static const struct simgpu_op bad[] = {
		{ .code = SIMGPU_OP_COUNT, .len = 4 },
		{ .code = SIMGPU_OP_STORE, .len = 0 },
		{ .code = SIMGPU_OP_ADD, .va = 2, .len = 4 },
		{ .code = SIMGPU_OP_LOAD, .va = 4, .len = 6 },
		{ .code = SIMGPU_OP_MEMSET, .va = U64_MAX - 3, .len = 8 },
		{ .code = SIMGPU_OP_COPY, .va = 0, .src = 100, .len = 200 },
		{ .code = SIMGPU_OP_COPY, .va = 0, .src = U64_MAX, .len = 2 },
	};
	struct simgpu_op ok = { .code = SIMGPU_OP_MEMSET, .va = 3, .len = 5 };
	struct simgpu_job *job;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    PTR_ERR(simgpu_job_create(&t->as, &bad[i], 1)),
				    -EINVAL, "op %u", i);
	KUNIT_EXPECT_EQ(test, PTR_ERR(simgpu_job_create(&t->as, &ok, 0)),
			-EINVAL);
	job = simgpu_job_create(&t->as, &ok, 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(job));
	simgpu_job_put(job);
}

/*
 * A job stalls on a missing and then a read-only page; each replay goes on
 * where it stopped, so every u32 is added to exactly once.
 */
static void simgpu_test_job_replay(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	const struct simgpu_op ops[] = {
		{ .code = SIMGPU_OP_ADD, .value = 5, .va = SZ_2K, .len = SZ_4K },
		{ .code = SIMGPU_OP_LOAD, .va = 0, .len = SZ_8K },
	};
	u32 *a = simgpu_test_u32(t, 0), *b = simgpu_test_u32(t, 1);
	struct simgpu_job *job;
	struct simgpu_fault f;
	u64 sum = 0;
	unsigned int i;

	simgpu_test_fill(t, 0, 0);
	simgpu_test_fill(t, 1, 10000);
	simgpu_test_map(t, 0, 0, T_W);
	job = simgpu_test_submit(test, t, ops, ARRAY_SIZE(ops));

	f = simgpu_test_wait_fault(test, t, 0);
	KUNIT_EXPECT_PTR_EQ(test, f.job, job);
	KUNIT_EXPECT_EQ(test, f.va, SZ_4K);
	KUNIT_EXPECT_EQ(test, f.access, SIMGPU_ACCESS_WRITE);
	KUNIT_EXPECT_TRUE(test, f.not_present);
	KUNIT_EXPECT_TRUE(test, simgpu_test_job_stalled(job));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&job->fence));

	simgpu_test_map(t, 1, 1, T_V);
	simgpu_job_replay(job);
	f = simgpu_test_wait_fault(test, t, 1);
	KUNIT_EXPECT_EQ(test, f.va, SZ_4K);
	KUNIT_EXPECT_FALSE(test, f.not_present);

	simgpu_test_map(t, 1, 1, T_W);
	simgpu_job_replay(job);
	simgpu_test_wait_fence(test, &job->fence);
	KUNIT_EXPECT_EQ(test, job->fence.error, 0);
	KUNIT_EXPECT_EQ(test, job->faults, 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->as.stats.faults), 2);

	for (i = 0; i < T_U32S; i++) {
		u32 add = i >= T_U32S / 2 ? 5 : 0;

		KUNIT_EXPECT_EQ_MSG(test, a[i], i + add, "a[%u]", i);
		KUNIT_EXPECT_EQ_MSG(test, b[i], 10000 + i + 5 - add, "b[%u]", i);
		sum += a[i] + b[i];
	}
	KUNIT_EXPECT_EQ(test, job->result, sum);
}

/* Store, memset, an unaligned copy across pages, and atomics. */
static void simgpu_test_job_ops(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	const struct simgpu_op ops[] = {
		{ .code = SIMGPU_OP_STORE, .value = 0xdeadbeef, .va = 16,
		  .len = 8 },
		{ .code = SIMGPU_OP_MEMSET, .value = 0x1ab, .va = 4 * SZ_4K + 1,
		  .len = 3 },
		{ .code = SIMGPU_OP_COPY, .va = 2 * SZ_4K + 300, .src = 100,
		  .len = 5000 },
		{ .code = SIMGPU_OP_ATOMIC_ADD, .value = 3, .va = 4 * SZ_4K + 8,
		  .len = 8 },
	};
	u8 *src0 = page_address(t->page[0]), *src1 = page_address(t->page[1]);
	u8 *dst2 = page_address(t->page[2]), *dst3 = page_address(t->page[3]);
	u8 *p4 = page_address(t->page[4]);
	struct simgpu_job *job;
	struct simgpu_fault f;
	unsigned int i;

	simgpu_test_fill(t, 0, 0x100);
	simgpu_test_fill(t, 1, 0x200);
	for (i = 0; i < 5; i++)
		simgpu_test_map(t, i, i, T_W);
	job = simgpu_test_submit(test, t, ops, ARRAY_SIZE(ops));

	/* Writable is not enough for an atomic */
	f = simgpu_test_wait_fault(test, t, 0);
	KUNIT_EXPECT_EQ(test, f.va, 4 * SZ_4K + 8);
	KUNIT_EXPECT_EQ(test, f.access, SIMGPU_ACCESS_ATOMIC);
	KUNIT_EXPECT_FALSE(test, f.not_present);
	simgpu_test_map(t, 4, 4, T_A);
	simgpu_job_replay(job);
	simgpu_test_wait_fence(test, &job->fence);
	KUNIT_EXPECT_EQ(test, job->fence.error, 0);

	KUNIT_EXPECT_EQ(test, simgpu_test_u32(t, 0)[4], 0xdeadbeef);
	KUNIT_EXPECT_EQ(test, simgpu_test_u32(t, 0)[5], 0xdeadbeef);
	KUNIT_EXPECT_EQ(test, simgpu_test_u32(t, 0)[6], 0x106);
	KUNIT_EXPECT_EQ(test, p4[0], 0);
	KUNIT_EXPECT_EQ(test, p4[1], 0xab);
	KUNIT_EXPECT_EQ(test, p4[3], 0xab);
	KUNIT_EXPECT_EQ(test, p4[4], 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_u32(t, 4)[2], 3);
	KUNIT_EXPECT_EQ(test, simgpu_test_u32(t, 4)[3], 3);
	/* Source 100..5100 spans pages 0-1, target 300..5300 pages 2-3 */
	KUNIT_EXPECT_EQ(test, memcmp(dst2 + 300, src0 + 100, SZ_4K - 300), 0);
	KUNIT_EXPECT_EQ(test, memcmp(dst3, src0 + 100 + SZ_4K - 300, 200), 0);
	KUNIT_EXPECT_EQ(test, memcmp(dst3 + 200, src1, 5000 - SZ_4K + 100),
			0);
	KUNIT_EXPECT_EQ(test, dst3[5000 - SZ_4K + 300], 0);
	KUNIT_EXPECT_EQ(test, dst2[299], 0);
}

/* Jobs in parallel with TLB flushes: every atomic add lands once. */
static void simgpu_test_jobs_parallel(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	const struct simgpu_op op = { .code = SIMGPU_OP_ATOMIC_ADD, .value = 1,
				      .va = 0, .len = 4 * SZ_4K };
	struct simgpu_job *job[8];
	unsigned int i, j, bad = 0;

	for (i = 0; i < 4; i++)
		simgpu_test_map(t, i, i, T_A);
	for (i = 0; i < ARRAY_SIZE(job); i++)
		job[i] = simgpu_test_submit(test, t, &op, 1);
	for (i = 0; i < 1000; i++)
		simgpu_tlb_flush(&t->as, 0, 4 * SZ_4K);
	for (i = 0; i < ARRAY_SIZE(job); i++) {
		simgpu_test_wait_fence(test, &job[i]->fence);
		KUNIT_EXPECT_EQ(test, job[i]->fence.error, 0);
	}
	for (i = 0; i < 4; i++)
		for (j = 0; j < T_U32S; j++)
			bad += simgpu_test_u32(t, i)[j] != ARRAY_SIZE(job);
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, t->nfaults, 0);
}

/* Cancelling a stalled job signals its fence with the error. */
static void simgpu_test_job_cancel(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	const struct simgpu_op op = { .code = SIMGPU_OP_ADD, .value = 1,
				      .va = 0, .len = 4 };
	s64 cancelled = atomic64_read(&t->sdev->stats.jobs_cancelled);
	struct simgpu_job *job;

	job = simgpu_test_submit(test, t, &op, 1);
	simgpu_test_wait_fault(test, t, 0);
	simgpu_job_cancel(job, -EFAULT);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&job->fence));
	KUNIT_EXPECT_EQ(test, job->fence.error, -EFAULT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->sdev->stats.jobs_cancelled),
			cancelled + 1);
	/* Late replays and cancels of a retired job are ignored */
	simgpu_job_replay(job);
	simgpu_job_cancel(job, -EIO);
	KUNIT_EXPECT_EQ(test, job->fence.error, -EFAULT);
	KUNIT_EXPECT_TRUE(test, list_empty(&t->as.jobs));
}

/* simgpu_as_fini() cancels stalled jobs, and later submissions. */
static void simgpu_test_as_fini_cancels(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	const struct simgpu_op op0 = { .code = SIMGPU_OP_LOAD, .len = 4 };
	const struct simgpu_op op1 = { .code = SIMGPU_OP_STORE,
				       .va = SZ_4K, .len = 4 };
	struct simgpu_job *job0, *job1, *late;

	simgpu_test_map(t, 1, 0, T_V);
	job0 = simgpu_test_submit(test, t, &op0, 1);
	simgpu_test_wait_fault(test, t, 0);
	job1 = simgpu_test_submit(test, t, &op1, 1);
	simgpu_test_wait_fault(test, t, 1);

	simgpu_as_fini(&t->as);
	t->as_live = false;
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&job0->fence));
	KUNIT_EXPECT_EQ(test, job0->fence.error, -ECANCELED);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&job1->fence));
	KUNIT_EXPECT_EQ(test, job1->fence.error, -ECANCELED);
	KUNIT_EXPECT_TRUE(test, list_empty(&t->as.jobs));
	KUNIT_EXPECT_EQ(test, t->as.running, 0);

	late = simgpu_test_submit(test, t, &op0, 1);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&late->fence));
	KUNIT_EXPECT_EQ(test, late->fence.error, -ECANCELED);
}

/* Wait until the core's release work gave VRAM back. */
static void simgpu_test_wait_vram(struct kunit *test,
				  struct simgpu_device *sdev,
				  unsigned long free)
{
	unsigned long deadline = jiffies + T_TIMEOUT;

	while (simgpu_vram_free_pages(sdev) != free &&
	       time_before(jiffies, deadline))
		usleep_range(10000, 20000);
	KUNIT_EXPECT_EQ(test, simgpu_vram_free_pages(sdev), free);
}

/* An allocation of @npages VRAM pages, populated; @pfns gets its pfns. */
static struct drm_pagemap_devmem *
simgpu_test_devmem(struct kunit *test, struct simgpu_device *sdev,
		   unsigned long npages, unsigned long *pfns, int *err)
{
	struct drm_pagemap_devmem *devmem = simgpu_devmem_alloc(sdev, npages);
	int (*populate)(struct drm_pagemap_devmem *devmem,
			unsigned long npages, unsigned long *pfns);

	KUNIT_ASSERT_FALSE(test, IS_ERR(devmem));
	KUNIT_ASSERT_TRUE(test, simgpu_devmem_is(sdev, devmem));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							simgpu_test_devmem_put,
							devmem), 0);
	populate = simgpu_pagemap(sdev)->ops->populate_devmem;
	*err = populate(devmem, npages, pfns);
	return devmem;
}

/* Run a copy of the pagemap ops and wait for it; return its error. */
static int simgpu_test_copy(struct kunit *test, struct simgpu_device *sdev,
			    struct page **pages, dma_addr_t *dma,
			    unsigned long npages, bool to_ram)
{
	struct drm_pagemap *dpagemap = simgpu_pagemap(sdev);
	struct dma_fence *f;

	f = to_ram ? dpagemap->ops->copy_to_ram(dpagemap, pages, dma, npages) :
		     dpagemap->ops->copy_to_devmem(dpagemap, pages, dma, npages);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(f));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							simgpu_test_fence_put,
							f), 0);
	simgpu_test_wait_fence(test, f);
	return f->error;
}

/* The copy engine moves pages both ways; the MMU sees VRAM by address. */
static void simgpu_test_copy_both_ways(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_device *sdev = t->sdev;
	struct drm_pagemap *dpagemap = simgpu_pagemap(sdev);
	unsigned long free = simgpu_vram_free_pages(sdev), pfns[2];
	s64 copied = atomic64_read(&sdev->stats.copy_pages);
	struct page *vram[2];
	dma_addr_t dma[2];
	int err;

	simgpu_test_devmem(test, sdev, 2, pfns, &err);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, simgpu_vram_free_pages(sdev), free - 2);
	vram[0] = pfn_to_page(pfns[0]);
	vram[1] = pfn_to_page(pfns[1]);

	simgpu_test_fill(t, 0, 0x1000);
	simgpu_test_fill(t, 1, 0x2000);
	KUNIT_EXPECT_EQ(test, simgpu_test_copy(test, sdev, vram, t->dma, 2,
					       false), 0);
	/* Through the MMU, by the device address of the VRAM page */
	WRITE_ONCE(t->pt[0], dpagemap->ops->device_addr(dpagemap, vram[1]) |
		   T_W);
	KUNIT_EXPECT_EQ(test, t->pt[0] & SIMGPU_VRAM_TAG, SIMGPU_VRAM_TAG);
	KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, 40), 0x200a);

	/* Back to pages 2 and 3, the second entry skipped */
	dma[0] = t->dma[2];
	dma[1] = 0;
	KUNIT_EXPECT_EQ(test, simgpu_test_copy(test, sdev, vram, dma, 2, true),
			0);
	KUNIT_EXPECT_EQ(test, memcmp(page_address(t->page[2]),
				     page_address(t->page[0]), PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_u32(t, 3)[0], 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&sdev->stats.copy_pages),
			copied + 3);
}

static void simgpu_test_fail_copy_reset(void *arg)
{
	struct simgpu_device *sdev = arg;

	sdev->fail_copy.probability = 0;
	atomic_set(&sdev->fail_copy.times, 1);
}

/* The next copy of @sdev fails; fail_copy is off again after the test. */
static void simgpu_test_fail_copy_once(struct kunit *test,
				       struct simgpu_device *sdev)
{
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							simgpu_test_fail_copy_reset,
							sdev), 0);
	sdev->fail_copy.verbose = 0;
	sdev->fail_copy.interval = 1;
	sdev->fail_copy.task_filter = false;
	atomic_set(&sdev->fail_copy.times, 1);
	sdev->fail_copy.probability = 100;
}

/* An injected copy failure signals -EIO and copies nothing. */
static void simgpu_test_copy_fail(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_device *sdev = t->sdev;
	s64 failures = atomic64_read(&sdev->stats.copy_failures);
	unsigned long pfns[1];
	struct page *vram[1];
	int err;

	if (!IS_ENABLED(CONFIG_FAULT_INJECTION))
		kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
	simgpu_test_devmem(test, sdev, 1, pfns, &err);
	KUNIT_ASSERT_EQ(test, err, 0);
	vram[0] = pfn_to_page(pfns[0]);
	simgpu_test_fill(t, 0, 0x3000);

	simgpu_test_fail_copy_once(test, sdev);
	KUNIT_EXPECT_EQ(test, simgpu_test_copy(test, sdev, vram, t->dma, 1,
					       false), -EIO);
	KUNIT_EXPECT_EQ(test, atomic64_read(&sdev->stats.copy_failures),
			failures + 1);
	/* Nothing reached VRAM: it reads back cleared */
	KUNIT_EXPECT_EQ(test, simgpu_test_copy(test, sdev, vram, &t->dma[1], 1,
					       true), 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_u32(t, 1)[7], 0);
	/* The attribute fired once, the next copy works */
	KUNIT_EXPECT_EQ(test, simgpu_test_copy(test, sdev, vram, t->dma, 1,
					       false), 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_copy(test, sdev, vram, &t->dma[1], 1,
					       true), 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_u32(t, 1)[7], 0x3007);
}

/* Populate fails with -ENOMEM when the pool is short; release refills it. */
static void simgpu_test_vram_exhaust(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_device *sdev = t->sdev;
	unsigned long free = simgpu_vram_free_pages(sdev), *pfns, i, bad = 0;
	struct drm_pagemap_devmem *a, *b, *c;
	int err;

	KUNIT_ASSERT_GT(test, free, 2);
	pfns = kvmalloc_array(free, sizeof(*pfns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pfns);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							simgpu_test_kvfree,
							pfns), 0);

	a = simgpu_test_devmem(test, sdev, free - 1, pfns, &err);
	KUNIT_ASSERT_EQ(test, err, 0);
	for (i = 0; i < free - 1; i++)
		bad += pfns[i] - sdev->base_pfn >= sdev->nr_pages;
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, simgpu_vram_free_pages(sdev), 1);
	b = simgpu_test_devmem(test, sdev, 2, pfns, &err);
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);
	KUNIT_EXPECT_EQ(test, simgpu_vram_free_pages(sdev), 1);
	c = simgpu_test_devmem(test, sdev, 1, pfns, &err);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, simgpu_vram_free_pages(sdev), 0);

	kunit_release_action(test, simgpu_test_devmem_put, a);
	kunit_release_action(test, simgpu_test_devmem_put, b);
	kunit_release_action(test, simgpu_test_devmem_put, c);
	simgpu_test_wait_vram(test, sdev, free);
}

/* A reused VRAM page comes back cleared (R13). */
static void simgpu_test_vram_cleared(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_device *sdev = t->sdev;
	unsigned long free = simgpu_vram_free_pages(sdev), pfn, pfn2;
	struct drm_pagemap_devmem *devmem;
	struct page *vram;
	int err;

	devmem = simgpu_test_devmem(test, sdev, 1, &pfn, &err);
	KUNIT_ASSERT_EQ(test, err, 0);
	vram = pfn_to_page(pfn);
	simgpu_test_fill(t, 0, 0x5000);
	KUNIT_ASSERT_EQ(test, simgpu_test_copy(test, sdev, &vram, t->dma, 1,
					       false), 0);
	kunit_release_action(test, simgpu_test_devmem_put, devmem);
	simgpu_test_wait_vram(test, sdev, free);

	simgpu_test_devmem(test, sdev, 1, &pfn2, &err);
	KUNIT_ASSERT_EQ(test, err, 0);
	/* The pool is a stack: the same page again, or this proves nothing */
	KUNIT_ASSERT_EQ(test, pfn2, pfn);
	simgpu_test_fill(t, 1, 0x6000);
	KUNIT_ASSERT_EQ(test, simgpu_test_copy(test, sdev, &vram, &t->dma[1],
					       1, true), 0);
	KUNIT_EXPECT_NULL(test,
			  memchr_inv(page_address(t->page[1]), 0, PAGE_SIZE));
}

/* Another device's VRAM is reachable by its tagged address. */
static void simgpu_test_peer_vram(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_device *peer = simgpu_get(1);
	struct drm_pagemap *dpagemap;
	unsigned long pfn;
	struct page *vram;
	u64 addr;
	int err;

	if (!peer)
		kunit_skip(test, "needs two devices");
	dpagemap = simgpu_pagemap(peer);
	simgpu_test_devmem(test, peer, 1, &pfn, &err);
	KUNIT_ASSERT_EQ(test, err, 0);
	vram = pfn_to_page(pfn);
	simgpu_test_fill(t, 0, 0x7000);
	KUNIT_ASSERT_EQ(test, simgpu_test_copy(test, peer, &vram, t->dma, 1,
					       false), 0);
	addr = dpagemap->ops->device_addr(dpagemap, vram);
	KUNIT_EXPECT_EQ(test, addr >> SIMGPU_VRAM_DEV_SHIFT,
			(SIMGPU_VRAM_TAG >> SIMGPU_VRAM_DEV_SHIFT) | 1);
	WRITE_ONCE(t->pt[0], addr | T_W);
	KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, 8), 0x7002);
}

/* ---- Copy channels (chan.c) ---- */

KUNIT_DEFINE_ACTION_WRAPPER(simgpu_test_chan_destroy, simgpu_chan_destroy,
			    struct simgpu_chan *);

/* A channel of @entries on device 0, destroyed at cleanup. */
static struct simgpu_chan *simgpu_test_chan(struct kunit *test,
					    struct simgpu_test *t,
					    unsigned int entries)
{
	struct simgpu_chan *chan = simgpu_chan_create(t->sdev, entries);

	KUNIT_ASSERT_FALSE(test, IS_ERR(chan));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							simgpu_test_chan_destroy,
							chan), 0);
	return chan;
}

/* @n populated VRAM pages of device 0: their pfns in @pfns. */
static void simgpu_test_vram(struct kunit *test, struct simgpu_test *t,
			     unsigned long n, unsigned long *pfns)
{
	int err;

	simgpu_test_devmem(test, t->sdev, n, pfns, &err);
	KUNIT_ASSERT_EQ(test, err, 0);
}

/* The device address of VRAM page @pfn of device 0. */
static u64 simgpu_test_vaddr(struct simgpu_test *t, unsigned long pfn)
{
	struct drm_pagemap *dpagemap = simgpu_pagemap(t->sdev);

	return dpagemap->ops->device_addr(dpagemap, pfn_to_page(pfn));
}

/* The data of VRAM page @pfn of device 0, as the engine sees it. */
static u32 *simgpu_test_vram_u32(struct simgpu_test *t, unsigned long pfn)
{
	return page_address(t->sdev->backing[pfn - t->sdev->base_pfn]);
}

/*
 * A fence to emit, allocated before the channel lock: nothing allocates
 * under it (lockdep knows), and no ASSERT may leave a case with it held.
 */
static struct simgpu_chan_fence *simgpu_test_fence(struct kunit *test)
{
	struct simgpu_chan_fence *f = simgpu_chan_fence_alloc();

	KUNIT_ASSERT_NOT_NULL(test, f);
	return f;
}

/* The case's reference on @f goes at cleanup; after the channel lock. */
static struct dma_fence *simgpu_test_hold(struct kunit *test,
					  struct dma_fence *f)
{
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							simgpu_test_fence_put,
							f), 0);
	return f;
}

/*
 * Push 1-page copies to VRAM pages @pfns[i] from system pages
 * @t->dma[i % T_SYS_PAGES], channel locked; returns the failed pushes, for
 * the case to check after the unlock (a failed check allocates).
 */
static unsigned int simgpu_test_push_n(struct simgpu_test *t,
				       struct simgpu_chan *chan,
				       const unsigned long *pfns,
				       unsigned int n)
{
	unsigned int i, failed = 0;

	for (i = 0; i < n; i++)
		failed += simgpu_chan_push_copy(chan,
						simgpu_test_vaddr(t, pfns[i]),
						t->dma[i % T_SYS_PAGES], 1) != 0;
	return failed;
}

/*
 * simgpu_test_push_n() as one submission: fence, kick, wait. Every push
 * and the copies succeed, or the test fails.
 */
static void simgpu_test_submit_n(struct kunit *test, struct simgpu_test *t,
				 struct simgpu_chan *chan,
				 const unsigned long *pfns, unsigned int n)
{
	struct simgpu_chan_fence *sf = simgpu_test_fence(test);
	unsigned int failed;
	struct dma_fence *f;

	simgpu_chan_lock(chan);
	failed = simgpu_test_push_n(t, chan, pfns, n);
	f = simgpu_chan_fence_emit(chan, sf);
	simgpu_chan_kick(chan);
	simgpu_chan_unlock(chan);
	simgpu_test_hold(test, f);
	KUNIT_EXPECT_EQ(test, failed, 0);
	simgpu_test_wait_fence(test, f);
	KUNIT_EXPECT_EQ(test, f->error, 0);
}

/* Push one copy, fence it and kick; return the fence. */
static struct dma_fence *simgpu_test_chan_copy(struct kunit *test,
					       struct simgpu_chan *chan,
					       u64 dst, u64 src, u32 npages)
{
	struct simgpu_chan_fence *sf = simgpu_test_fence(test);
	struct dma_fence *fence;
	int err;

	simgpu_chan_lock(chan);
	err = simgpu_chan_push_copy(chan, dst, src, npages);
	fence = simgpu_chan_fence_emit(chan, sf);
	simgpu_chan_kick(chan);
	simgpu_chan_unlock(chan);
	KUNIT_EXPECT_EQ(test, err, 0);
	return simgpu_test_hold(test, fence);
}

/* RAM to VRAM and back through COPY methods and semaphore fences. */
static void simgpu_test_chan_round_trip(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_chan *chan = simgpu_test_chan(test, t, 16);
	struct simgpu_chan_stats st;
	struct dma_fence *f;
	unsigned long pfns[2];

	simgpu_test_vram(test, t, 2, pfns);
	simgpu_test_fill(t, 0, 0x1000);
	simgpu_test_fill(t, 1, 0x2000);

	simgpu_test_submit_n(test, t, chan, pfns, 2);
	KUNIT_EXPECT_EQ(test, simgpu_test_vram_u32(t, pfns[0])[5], 0x1005);
	KUNIT_EXPECT_EQ(test, simgpu_test_vram_u32(t, pfns[1])[T_U32S - 1],
			0x2000 + T_U32S - 1);

	f = simgpu_test_chan_copy(test, chan, t->dma[2],
				  simgpu_test_vaddr(t, pfns[1]), 1);
	simgpu_test_wait_fence(test, f);
	KUNIT_EXPECT_EQ(test, f->error, 0);
	KUNIT_EXPECT_EQ(test, memcmp(page_address(t->page[2]),
				     page_address(t->page[1]), PAGE_SIZE), 0);

	simgpu_chan_stats(chan, &st);
	KUNIT_EXPECT_EQ(test, st.copy_methods, 3);
	KUNIT_EXPECT_EQ(test, st.semaphores, 2);
	KUNIT_EXPECT_EQ(test, st.gp_put, 5);
	KUNIT_EXPECT_EQ(test, st.gp_get, 5);
	KUNIT_EXPECT_EQ(test, st.ring_waits, 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(chan->semaphore), 2);
}

/*
 * More methods than ring entries: nothing is kicked until the ring is
 * full, so the fifth push must kick and wait for the engine, and the ring
 * wraps twice.
 */
static void simgpu_test_chan_wrap(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_chan *chan = simgpu_test_chan(test, t, 4);
	unsigned long pfns[10], i, bad = 0;
	struct simgpu_chan_stats st;

	simgpu_test_vram(test, t, ARRAY_SIZE(pfns), pfns);
	for (i = 0; i < T_SYS_PAGES; i++)
		simgpu_test_fill(t, i, 0x10000 * (i + 1));

	simgpu_test_submit_n(test, t, chan, pfns, ARRAY_SIZE(pfns));

	for (i = 0; i < ARRAY_SIZE(pfns); i++)
		bad += simgpu_test_vram_u32(t, pfns[i])[3] !=
		       0x10000 * (i % T_SYS_PAGES + 1) + 3;
	KUNIT_EXPECT_EQ(test, bad, 0);
	simgpu_chan_stats(chan, &st);
	KUNIT_EXPECT_GE(test, st.ring_waits, 1);
	KUNIT_EXPECT_EQ(test, st.gp_put, ARRAY_SIZE(pfns) + 1);
	KUNIT_EXPECT_EQ(test, st.gp_get, st.gp_put);
	KUNIT_EXPECT_EQ(test, st.copy_methods, ARRAY_SIZE(pfns));
}

#define T_ORDER_FENCES	4

/**
 * struct simgpu_test_order - Records the order fences signal in
 * @cb: One callback per fence
 * @order: Fence indices, in signalling order; the engine's worker writes it
 * @n: Callbacks run so far
 */
struct simgpu_test_order {
	struct simgpu_test_order_cb {
		struct dma_fence_cb cb;
		struct simgpu_test_order *o;
		unsigned int idx;
	} cb[T_ORDER_FENCES];
	unsigned int order[T_ORDER_FENCES];
	atomic_t n;
};

/* From the engine's signalling section: no lock, no allocation. */
static void simgpu_test_order_cb(struct dma_fence *fence,
				 struct dma_fence_cb *cb)
{
	struct simgpu_test_order_cb *c =
		container_of(cb, struct simgpu_test_order_cb, cb);
	int n = atomic_inc_return(&c->o->n) - 1;

	if (n < T_ORDER_FENCES)
		c->o->order[n] = c->idx;
}

/* Fences of one channel signal in the order they were emitted. */
static void simgpu_test_chan_fence_order(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_chan_fence *sf[T_ORDER_FENCES];
	struct dma_fence *f[T_ORDER_FENCES];
	unsigned long pfns[T_ORDER_FENCES];
	struct simgpu_test_order *o;
	unsigned int i, failed = 0;
	struct simgpu_chan *chan;

	/* Before the channel: its destroy may still run callbacks */
	o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	chan = simgpu_test_chan(test, t, 64);
	simgpu_test_vram(test, t, T_ORDER_FENCES, pfns);
	for (i = 0; i < T_ORDER_FENCES; i++)
		sf[i] = simgpu_test_fence(test);

	simgpu_chan_lock(chan);
	for (i = 0; i < T_ORDER_FENCES; i++) {
		failed += simgpu_test_push_n(t, chan, &pfns[i], 1);
		f[i] = simgpu_chan_fence_emit(chan, sf[i]);
		o->cb[i].o = o;
		o->cb[i].idx = i;
		failed += dma_fence_add_callback(f[i], &o->cb[i].cb,
						 simgpu_test_order_cb) != 0;
	}
	/* One kick: the engine meets all four semaphores in one run */
	simgpu_chan_kick(chan);
	simgpu_chan_unlock(chan);
	for (i = 0; i < T_ORDER_FENCES; i++)
		simgpu_test_hold(test, f[i]);
	KUNIT_EXPECT_EQ(test, failed, 0);
	for (i = 1; i < T_ORDER_FENCES; i++) {
		KUNIT_EXPECT_EQ(test, f[i]->context, f[0]->context);
		KUNIT_EXPECT_EQ(test, f[i]->seqno, f[i - 1]->seqno + 1);
	}

	simgpu_test_wait_fence(test, f[T_ORDER_FENCES - 1]);
	KUNIT_ASSERT_EQ(test, atomic_read(&o->n), T_ORDER_FENCES);
	for (i = 0; i < T_ORDER_FENCES; i++) {
		KUNIT_EXPECT_EQ_MSG(test, o->order[i], i, "signal %u", i);
		KUNIT_EXPECT_EQ(test, f[i]->error, 0);
	}
}

/*
 * An injected failure copies nothing and fails the fence of its own
 * segment only; the next segment is clean.
 */
static void simgpu_test_chan_fail(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_device *sdev = t->sdev;
	struct simgpu_chan *chan = simgpu_test_chan(test, t, 16);
	struct simgpu_chan_fence *sf0, *sf1;
	struct dma_fence *f0, *f1;
	unsigned long pfns[2];
	unsigned int failed;

	if (!IS_ENABLED(CONFIG_FAULT_INJECTION))
		kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
	simgpu_test_vram(test, t, 2, pfns);
	simgpu_test_fill(t, 0, 0x3000);
	simgpu_test_fill(t, 1, 0x4000);

	simgpu_test_fail_copy_once(test, sdev);

	sf0 = simgpu_test_fence(test);
	sf1 = simgpu_test_fence(test);
	simgpu_chan_lock(chan);
	failed = simgpu_test_push_n(t, chan, &pfns[0], 1);
	f0 = simgpu_chan_fence_emit(chan, sf0);
	failed += simgpu_chan_push_copy(chan, simgpu_test_vaddr(t, pfns[1]),
					t->dma[1], 1) != 0;
	f1 = simgpu_chan_fence_emit(chan, sf1);
	simgpu_chan_kick(chan);
	simgpu_chan_unlock(chan);
	simgpu_test_hold(test, f0);
	simgpu_test_hold(test, f1);
	KUNIT_EXPECT_EQ(test, failed, 0);

	simgpu_test_wait_fence(test, f0);
	simgpu_test_wait_fence(test, f1);
	KUNIT_EXPECT_EQ(test, f0->error, -EIO);
	KUNIT_EXPECT_EQ(test, f1->error, 0);
	/* Cleared at populate, and nothing landed */
	KUNIT_EXPECT_NULL(test, memchr_inv(simgpu_test_vram_u32(t, pfns[0]), 0,
					   PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, simgpu_test_vram_u32(t, pfns[1])[9], 0x4009);
}

#define T_BAD_SPANS	9

/* Bad spans are refused at push time, and nothing reaches the ring. */
static void simgpu_test_chan_bad_addr(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_device *sdev = t->sdev;
	struct simgpu_chan *chan = simgpu_test_chan(test, t, 16);
	u64 dst[T_BAD_SPANS], src[T_BAD_SPANS], vram, last, sys = t->dma[0];
	int ret[T_BAD_SPANS];
	u32 npages[T_BAD_SPANS];
	unsigned long pfn, pushed;
	unsigned int i;

	simgpu_test_vram(test, t, 1, &pfn);
	vram = simgpu_test_vaddr(t, pfn);
	last = simgpu_test_vaddr(t, sdev->base_pfn + sdev->nr_pages - 1);
	for (i = 0; i < T_BAD_SPANS; i++) {
		dst[i] = vram;
		src[i] = sys;
		npages[i] = 1;
	}
	dst[0] = vram + 8;			/* unaligned VRAM */
	dst[1] = last + PAGE_SIZE;		/* past the end */
	dst[2] = last;				/* runs past the end */
	npages[2] = 2;
	dst[3] = SIMGPU_VRAM_TAG | 7ULL << SIMGPU_VRAM_DEV_SHIFT; /* no device */
	src[4] = sys + 8;			/* unaligned system */
	src[5] = PFN_PHYS(pfn);			/* a device page as system */
	src[6] = BIT_ULL(46);			/* no memory there */
	npages[7] = 0;				/* nothing */
	dst[8] = vram | BIT_ULL(63);		/* not an address */

	simgpu_chan_lock(chan);
	for (i = 0; i < T_BAD_SPANS; i++)
		ret[i] = simgpu_chan_push_copy(chan, dst[i], src[i], npages[i]);
	/* Take back what a regression pushed: destroy would run it */
	pushed = chan->cur;
	chan->cur = 0;
	simgpu_chan_unlock(chan);
	for (i = 0; i < T_BAD_SPANS; i++)
		KUNIT_EXPECT_EQ_MSG(test, ret[i], -EINVAL, "span %u", i);
	KUNIT_EXPECT_EQ(test, pushed, 0);

	/* The last page itself is fine, and the channel still works */
	simgpu_chan_lock(chan);
	ret[0] = simgpu_chan_push_copy(chan, t->dma[7], last, 1);
	simgpu_chan_unlock(chan);
	KUNIT_EXPECT_EQ(test, ret[0], 0);
	simgpu_test_fill(t, 0, 0x5000);
	simgpu_test_wait_fence(test, simgpu_test_chan_copy(test, chan, vram,
							   sys, 1));
	KUNIT_EXPECT_EQ(test, simgpu_test_vram_u32(t, pfn)[1], 0x5001);
}

/*
 * Destroy with methods pushed and not kicked, more than the ring holds:
 * it kicks and drains, so the fence has signalled and the data landed.
 */
static void simgpu_test_chan_destroy_drains(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	unsigned long pfns[6], i, bad = 0;
	struct simgpu_chan_fence *sf;
	struct simgpu_chan *chan;
	unsigned int failed;
	struct dma_fence *f;

	simgpu_test_vram(test, t, ARRAY_SIZE(pfns), pfns);
	for (i = 0; i < ARRAY_SIZE(pfns); i++)
		simgpu_test_fill(t, i, 0x100000 * (i + 1));
	sf = simgpu_test_fence(test);
	/* Not kunit-managed: destroying it is what the case tests */
	chan = simgpu_chan_create(t->sdev, 4);
	KUNIT_ASSERT_FALSE(test, IS_ERR(chan));

	simgpu_chan_lock(chan);
	failed = simgpu_test_push_n(t, chan, pfns, ARRAY_SIZE(pfns));
	f = simgpu_chan_fence_emit(chan, sf);
	simgpu_chan_unlock(chan);

	simgpu_chan_destroy(chan);
	simgpu_test_hold(test, f);
	KUNIT_EXPECT_EQ(test, failed, 0);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	KUNIT_EXPECT_EQ(test, f->error, 0);
	for (i = 0; i < ARRAY_SIZE(pfns); i++)
		bad += simgpu_test_vram_u32(t, pfns[i])[0] != 0x100000 * (i + 1);
	KUNIT_EXPECT_EQ(test, bad, 0);
}

/**
 * struct simgpu_test_big - Physically contiguous system pages
 * @dev: The DMA device
 * @page: First page
 * @dma: DMA address of the first page; the others follow
 */
struct simgpu_test_big {
	struct device *dev;
	struct page *page;
	dma_addr_t dma;
};

#define T_BIG_PAGES	4

static void simgpu_test_big_free(void *arg)
{
	struct simgpu_test_big *b = arg;

	if (b->dma)
		dma_unmap_page(b->dev, b->dma, T_BIG_PAGES * PAGE_SIZE,
			       DMA_BIDIRECTIONAL);
	__free_pages(b->page, get_order(T_BIG_PAGES * PAGE_SIZE));
}

static struct simgpu_test_big *simgpu_test_big(struct kunit *test,
					       struct simgpu_test *t)
{
	struct simgpu_test_big *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->dev = simgpu_dma_dev(t->sdev);
	b->page = alloc_pages(GFP_KERNEL | __GFP_ZERO,
			      get_order(T_BIG_PAGES * PAGE_SIZE));
	KUNIT_ASSERT_NOT_NULL(test, b->page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							simgpu_test_big_free,
							b), 0);
	b->dma = dma_map_page(b->dev, b->page, 0, T_BIG_PAGES * PAGE_SIZE,
			      DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(b->dev, b->dma));
	return b;
}

/* COPY methods of the kernel channel one copy op pushed. */
static u64 simgpu_test_kchan_methods(struct simgpu_device *sdev)
{
	struct simgpu_chan_stats st;

	simgpu_chan_stats(simgpu_kernel_chan(sdev), &st);
	return st.copy_methods;
}

/*
 * The copy ops push one COPY method per run that is contiguous both in
 * VRAM and in DMA addresses, and a skipped entry or a DMA gap ends a run.
 */
static void simgpu_test_copy_coalesce(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	struct simgpu_device *sdev = t->sdev;
	struct simgpu_test_big *b = simgpu_test_big(test, t);
	unsigned long pfns[T_BIG_PAGES], i;
	struct page *vram[T_BIG_PAGES];
	dma_addr_t dma[T_BIG_PAGES];
	u64 m0;

	simgpu_test_vram(test, t, T_BIG_PAGES, pfns);
	for (i = 0; i < T_BIG_PAGES; i++) {
		if (pfns[i] != pfns[0] + i)
			kunit_skip(test, "VRAM pool not contiguous");
		vram[i] = pfn_to_page(pfns[i]);
		dma[i] = b->dma + i * PAGE_SIZE;
		memset32(page_address(b->page + i), 0x100 * (i + 1), T_U32S);
	}
	simgpu_test_fill(t, 5, 0x9000);

	/* A DMA gap at entry 2: runs [0, 1], [2], [3] */
	dma[2] = t->dma[5];
	m0 = simgpu_test_kchan_methods(sdev);
	KUNIT_EXPECT_EQ(test, simgpu_test_copy(test, sdev, vram, dma,
					       T_BIG_PAGES, false), 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_kchan_methods(sdev) - m0, 3);
	KUNIT_EXPECT_EQ(test, simgpu_test_vram_u32(t, pfns[1])[0], 0x200);
	KUNIT_EXPECT_EQ(test, simgpu_test_vram_u32(t, pfns[2])[4], 0x9004);
	KUNIT_EXPECT_EQ(test, simgpu_test_vram_u32(t, pfns[3])[0], 0x400);

	/* A skipped entry: runs [0, 1], [3] */
	dma[2] = b->dma + 2 * PAGE_SIZE;
	vram[2] = NULL;
	m0 = simgpu_test_kchan_methods(sdev);
	KUNIT_EXPECT_EQ(test, simgpu_test_copy(test, sdev, vram, dma,
					       T_BIG_PAGES, false), 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_kchan_methods(sdev) - m0, 2);
	KUNIT_EXPECT_EQ(test, simgpu_test_vram_u32(t, pfns[2])[4], 0x9004);

	/* All contiguous, both ways: one method each */
	vram[2] = pfn_to_page(pfns[2]);
	m0 = simgpu_test_kchan_methods(sdev);
	KUNIT_EXPECT_EQ(test, simgpu_test_copy(test, sdev, vram, dma,
					       T_BIG_PAGES, false), 0);
	memset(page_address(b->page), 0, T_BIG_PAGES * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, simgpu_test_copy(test, sdev, vram, dma,
					       T_BIG_PAGES, true), 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_kchan_methods(sdev) - m0, 2);
	for (i = 0; i < T_BIG_PAGES; i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    ((u32 *)page_address(b->page + i))[T_U32S - 1],
				    0x100 * (i + 1), "page %lu", i);
}

/* ---- User queues (queue.c) ---- */

KUNIT_DEFINE_ACTION_WRAPPER(simgpu_test_queue_destroy, simgpu_queue_destroy,
			    struct simgpu_queue *);

/* A queue of one ring page on the fixture's address space. */
static struct simgpu_queue *simgpu_test_queue(struct kunit *test,
					      struct simgpu_test *t)
{
	struct simgpu_queue *q = simgpu_queue_create(&t->as, 1);

	KUNIT_ASSERT_FALSE(test, IS_ERR(q));
	/* Registered after the address space's fini: runs before it */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							simgpu_test_queue_destroy,
							q), 0);
	return q;
}

static struct simgpu_queue_ctl *simgpu_test_qctl(struct simgpu_queue *q)
{
	return page_address(simgpu_queue_page(q, 0));
}

static struct simgpu_queue_packet *simgpu_test_qslot(struct simgpu_queue *q,
						     u64 seqno)
{
	struct simgpu_queue_packet *ring = page_address(simgpu_queue_page(q, 1));

	return &ring[seqno % simgpu_queue_npackets(q)];
}

/* Write a packet and publish it, as user space does: no call into simgpu. */
static u64 simgpu_test_qpush(struct simgpu_queue *q, const struct simgpu_op *op,
			     u32 nops)
{
	struct simgpu_queue_ctl *ctl = simgpu_test_qctl(q);
	u64 w = READ_ONCE(ctl->wptr);
	struct simgpu_queue_packet *p = simgpu_test_qslot(q, w);

	memset(p, 0, sizeof(*p));
	p->nops = nops;
	memcpy(p->ops, op, nops * sizeof(*op));
	/* Pairs with the queue's acquire of wptr: the packet first */
	smp_store_release(&ctl->wptr, w + 1);
	return w + 1;
}

/* Packets run in order; status and load sum are written back; bad ones fail. */
static void simgpu_test_queue_runs(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	const struct simgpu_op store = {
		.code = SIMGPU_OP_STORE, .value = 7, .len = SZ_4K,
	};
	const struct simgpu_op load = { .code = SIMGPU_OP_LOAD, .len = SZ_4K };
	struct simgpu_queue *q;
	u64 seq;

	simgpu_test_map(t, 0, 0, T_W);
	q = simgpu_test_queue(test, t);
	KUNIT_EXPECT_EQ(test, simgpu_queue_npages(q), 2);
	simgpu_test_qpush(q, &store, 1);
	simgpu_test_qpush(q, &store, 0);
	seq = simgpu_test_qpush(q, &load, 1);
	KUNIT_ASSERT_EQ(test, simgpu_queue_wait(q, seq, T_TIMEOUT), 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_qctl(q)->done, 3);
	KUNIT_EXPECT_EQ(test, simgpu_test_qctl(q)->errors, 1);
	KUNIT_EXPECT_EQ(test, simgpu_test_qslot(q, 0)->status, 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_qslot(q, 1)->status, -EINVAL);
	KUNIT_EXPECT_EQ(test, simgpu_test_qslot(q, 2)->status, 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_qslot(q, 2)->result, 7 * T_U32S);
}

/* A suspended queue fetches nothing until resumed; a bad wptr stops it. */
static void simgpu_test_queue_suspend(struct kunit *test)
{
	struct simgpu_test *t = test->priv;
	const struct simgpu_op store = {
		.code = SIMGPU_OP_STORE, .value = 9, .len = SZ_4K,
	};
	struct simgpu_queue *q;
	u64 seq;

	simgpu_test_map(t, 0, 0, T_W);
	q = simgpu_test_queue(test, t);
	simgpu_queue_suspend(q);
	KUNIT_EXPECT_TRUE(test, simgpu_queue_suspended(q));
	seq = simgpu_test_qpush(q, &store, 1);
	KUNIT_EXPECT_EQ(test, simgpu_queue_wait(q, seq, HZ / 10), -ETIME);
	KUNIT_EXPECT_EQ(test, READ_ONCE(simgpu_test_qctl(q)->rptr), 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, 0), 0);
	simgpu_queue_resume(q);
	KUNIT_EXPECT_FALSE(test, simgpu_queue_suspended(q));
	KUNIT_ASSERT_EQ(test, simgpu_queue_wait(q, seq, T_TIMEOUT), 0);
	KUNIT_EXPECT_EQ(test, simgpu_test_read32(test, t, 0), 9);
	/* As user space would publish it; the queue acquires wptr */
	smp_store_release(&simgpu_test_qctl(q)->wptr,
			  seq + simgpu_queue_npackets(q) + 1);
	KUNIT_EXPECT_EQ(test, simgpu_queue_wait(q, seq + 1, T_TIMEOUT), -EINVAL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(simgpu_test_qctl(q)->error), -EINVAL);
	KUNIT_EXPECT_EQ(test, simgpu_test_qctl(q)->done, seq);
}

static struct kunit_case simgpu_test_cases[] = {
	KUNIT_CASE(simgpu_test_tlb_caches),
	KUNIT_CASE(simgpu_test_tlb_flush_span),
	KUNIT_CASE(simgpu_test_tlb_direct_mapped),
	KUNIT_CASE(simgpu_test_tlb_large_entry),
	KUNIT_CASE(simgpu_test_access_errors),
	KUNIT_CASE(simgpu_test_translate),
	KUNIT_CASE(simgpu_test_job_create_invalid),
	KUNIT_CASE(simgpu_test_job_replay),
	KUNIT_CASE(simgpu_test_job_ops),
	KUNIT_CASE(simgpu_test_jobs_parallel),
	KUNIT_CASE(simgpu_test_job_cancel),
	KUNIT_CASE(simgpu_test_as_fini_cancels),
	KUNIT_CASE(simgpu_test_copy_both_ways),
	KUNIT_CASE(simgpu_test_copy_fail),
	KUNIT_CASE_SLOW(simgpu_test_vram_exhaust),
	KUNIT_CASE(simgpu_test_vram_cleared),
	KUNIT_CASE(simgpu_test_peer_vram),
	KUNIT_CASE(simgpu_test_chan_round_trip),
	KUNIT_CASE(simgpu_test_chan_wrap),
	KUNIT_CASE(simgpu_test_chan_fence_order),
	KUNIT_CASE(simgpu_test_chan_fail),
	KUNIT_CASE(simgpu_test_chan_bad_addr),
	KUNIT_CASE(simgpu_test_chan_destroy_drains),
	KUNIT_CASE(simgpu_test_copy_coalesce),
	KUNIT_CASE(simgpu_test_queue_runs),
	KUNIT_CASE(simgpu_test_queue_suspend),
	{}
};

static struct kunit_suite simgpu_test_suite = {
	.name = "simgpu",
	.init = simgpu_test_init,
	.exit = simgpu_test_exit,
	.test_cases = simgpu_test_cases,
};

kunit_test_suite(simgpu_test_suite);

MODULE_DESCRIPTION("KUnit tests for the simulated GPU");
MODULE_LICENSE("Dual MIT/GPL");
