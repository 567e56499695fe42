// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * KUnit suite for the drm_gpusvm core against a real user mm.
 *
 * The fixture is a fake device: a KUnit struct device that DMA-maps without
 * an IOMMU, so a DMA address is a physical address and the test can read
 * what the "GPU" would see through the direct map; and ops that record every
 * call (op, span, cookie) under the notifier lock that the core holds when it
 * calls them. kunit_vm_mmap() attaches a fresh mm to the test kthread, so
 * copy_to_user(), vm_munmap() and the core's hmm_range_fault() all work on
 * it as they would for a process.
 *
 * Memory lives at fixed addresses inside one 512 MiB notifier window and is
 * 2 MiB aligned, so windows, notifiers and THP backing are deterministic.
 *
 * KUnit runs .exit and the cleanup actions (range puts, drm_gpusvm_fini())
 * in a second kthread while the test kthread exits and drops the mm, so the
 * core sees exit_mmap() race with teardown, as with a process that exits
 * while its driver file is still open.
 */

#include <linux/debug_locks.h>
#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/fault-inject.h>
#include <linux/hmm.h>
#include <linux/kref.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <kunit/resource.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <kunit/test-bug.h>

#include <drm/drm_gpusvm.h>
#include <drm/drm_kunit_helpers.h>

#include "fail_inject.h"
#include "gpusvm_internal.h"

#define DRM_GPUSVM_TEST_BASE		(4UL << 30)
#define DRM_GPUSVM_TEST_SIZE		SZ_8M
#define DRM_GPUSVM_TEST_RO_OFF		SZ_16M
#define DRM_GPUSVM_TEST_SMALL_OFF	SZ_32M
#define DRM_GPUSVM_TEST_HOLE_OFF	SZ_256M
#define DRM_GPUSVM_TEST_FAR_OFF		(600UL << 20)

#define DRM_GPUSVM_TEST_THP_ORDER	ilog2(SZ_2M >> PAGE_SHIFT)
#define DRM_GPUSVM_TEST_SALT		0x9e3779b97f4a7c15ULL
#define DRM_GPUSVM_TEST_RACE_VALUE	0x5eedc0dedeadbeefULL
#define DRM_GPUSVM_TEST_MAX_CALLS	32
#define DRM_GPUSVM_TEST_MAX_SITES	64

enum drm_gpusvm_test_op {
	DRM_GPUSVM_TEST_INVALIDATE,
	DRM_GPUSVM_TEST_NONBLOCK,
	DRM_GPUSVM_TEST_START,
	DRM_GPUSVM_TEST_FINISH,
};

/* One call of the fake device's ops. */
struct drm_gpusvm_test_call {
	enum drm_gpusvm_test_op op;
	unsigned long start;
	unsigned long end;
	void *cookie;
};

/* The fixture, in test->priv. */
struct drm_gpusvm_test {
	struct drm_gpusvm svm;
	struct device *dev;
	/* One page of scratch for patterns */
	u64 *buf;
	/*
	 * Calls of the ops in order, the first DRM_GPUSVM_TEST_MAX_CALLS kept;
	 * written and read under svm.notifier_lock.
	 */
	struct drm_gpusvm_test_call calls[DRM_GPUSVM_TEST_MAX_CALLS];
	unsigned int num_calls;
	/* What drm_gpusvm_test_invalidate_nonblock() answers */
	bool nonblock_zaps;
	/* Where the count_chunks stub writes, and whether it did */
	unsigned long race_addr;
	bool raced;
};

static const struct drm_gpusvm_ctx drm_gpusvm_test_write_ctx;
static const struct drm_gpusvm_ctx drm_gpusvm_test_read_ctx = {
	.read_only = 1,
};

KUNIT_DEFINE_ACTION_WRAPPER(drm_gpusvm_test_fini, drm_gpusvm_fini,
			    struct drm_gpusvm *);
KUNIT_DEFINE_ACTION_WRAPPER(drm_gpusvm_test_range_put, drm_gpusvm_range_put,
			    struct drm_gpusvm_range *);
KUNIT_DEFINE_ACTION_WRAPPER(drm_gpusvm_test_root_device_unregister,
			    root_device_unregister, struct device *);

static struct drm_gpusvm_test *to_drm_gpusvm_test(struct drm_gpusvm *svm)
{
	return container_of(svm, struct drm_gpusvm_test, svm);
}

/* Record a call; the core calls every op with the notifier lock held. */
static void drm_gpusvm_test_record(struct drm_gpusvm *svm,
				   enum drm_gpusvm_test_op op,
				   unsigned long start, unsigned long end,
				   void *cookie)
{
	struct drm_gpusvm_test *priv = to_drm_gpusvm_test(svm);
	unsigned int i = priv->num_calls++;

	lockdep_assert_held_write(&svm->notifier_lock);
	if (i < DRM_GPUSVM_TEST_MAX_CALLS) {
		priv->calls[i].op = op;
		priv->calls[i].start = start;
		priv->calls[i].end = end;
		priv->calls[i].cookie = cookie;
	}
}

static void drm_gpusvm_test_invalidate(struct drm_gpusvm *svm,
				       struct drm_gpusvm_notifier *notifier,
				       unsigned long start, unsigned long end)
{
	drm_gpusvm_test_record(svm, DRM_GPUSVM_TEST_INVALIDATE, start, end,
			       NULL);
}

/* The cookie is unique per call so a swapped cookie in pass 2 shows up. */
static void *drm_gpusvm_test_invalidate_start(struct drm_gpusvm *svm,
					      struct drm_gpusvm_range *range,
					      unsigned long start,
					      unsigned long end)
{
	struct drm_gpusvm_test *priv = to_drm_gpusvm_test(svm);
	void *cookie = (void *)(unsigned long)(priv->num_calls + 1);

	drm_gpusvm_test_record(svm, DRM_GPUSVM_TEST_START, start, end, cookie);
	return cookie;
}

static void drm_gpusvm_test_invalidate_finish(struct drm_gpusvm *svm,
					      struct drm_gpusvm_range *range,
					      void *cookie)
{
	drm_gpusvm_test_record(svm, DRM_GPUSVM_TEST_FINISH,
			       drm_gpusvm_range_start(range),
			       drm_gpusvm_range_end(range), cookie);
}

static const struct drm_gpusvm_ops drm_gpusvm_test_ops = {
	.invalidate = drm_gpusvm_test_invalidate,
};

/* A device that can zap without sleeping when the fixture allows it. */
static bool drm_gpusvm_test_invalidate_nonblock(struct drm_gpusvm *svm,
						struct drm_gpusvm_notifier *notifier,
						unsigned long start,
						unsigned long end)
{
	struct drm_gpusvm_test *priv = to_drm_gpusvm_test(svm);

	drm_gpusvm_test_record(svm, DRM_GPUSVM_TEST_NONBLOCK, start, end,
			       NULL);
	return priv->nonblock_zaps;
}

static const struct drm_gpusvm_ops drm_gpusvm_test_nonblock_ops = {
	.invalidate = drm_gpusvm_test_invalidate,
	.invalidate_nonblock = drm_gpusvm_test_invalidate_nonblock,
};

static const struct drm_gpusvm_ops drm_gpusvm_test_two_pass_ops = {
	.invalidate = drm_gpusvm_test_invalidate,
	.invalidate_start = drm_gpusvm_test_invalidate_start,
	.invalidate_finish = drm_gpusvm_test_invalidate_finish,
};

/* Calls of @op whose span covers [start, end). */
static unsigned int drm_gpusvm_test_calls(struct drm_gpusvm_test *priv,
					  enum drm_gpusvm_test_op op,
					  unsigned long start,
					  unsigned long end)
{
	unsigned int i, n = 0;

	drm_gpusvm_notifier_lock(&priv->svm);
	for (i = 0; i < min(priv->num_calls, DRM_GPUSVM_TEST_MAX_CALLS); i++)
		if (priv->calls[i].op == op && priv->calls[i].start <= start &&
		    priv->calls[i].end >= end)
			n++;
	drm_gpusvm_notifier_unlock(&priv->svm);
	return n;
}

/* Calls of @op, whatever their span. */
static unsigned int drm_gpusvm_test_num_calls(struct drm_gpusvm_test *priv,
					      enum drm_gpusvm_test_op op)
{
	return drm_gpusvm_test_calls(priv, op, ULONG_MAX, 0);
}

/* Map anonymous memory at DRM_GPUSVM_TEST_BASE + @offset. */
static unsigned long drm_gpusvm_test_mmap(struct kunit *test,
					  unsigned long offset,
					  unsigned long size, unsigned long prot)
{
	unsigned long want = DRM_GPUSVM_TEST_BASE + offset, addr;

	/* MAP_FIXED_NOREPLACE: fixed addresses, but never clobber a mapping */
	addr = kunit_vm_mmap(test, NULL, want, size, prot,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			     0);
	/* kunit_vm_mmap() passes vm_mmap() errors through as addresses */
	KUNIT_ASSERT_EQ_MSG(test, addr, want, "kunit_vm_mmap(%#lx, %#lx)",
			    want, size);
	return addr;
}

static void drm_gpusvm_test_svm_init(struct kunit *test,
				     const struct drm_gpusvm_ops *ops,
				     unsigned long start, unsigned long size)
{
	struct drm_gpusvm_test *priv = test->priv;
	int err;

	err = drm_gpusvm_init(&priv->svm, "kunit", priv->dev, current->mm,
			      NULL, start, size, 0, ops);
	KUNIT_ASSERT_EQ(test, err, 0);
	err = kunit_add_action_or_reset(test, drm_gpusvm_test_fini,
					&priv->svm);
	KUNIT_ASSERT_EQ(test, err, 0);
}

/* Replace the fixture's gpusvm by one with other ops or another span. */
static void drm_gpusvm_test_svm_reinit(struct kunit *test,
				       const struct drm_gpusvm_ops *ops,
				       unsigned long start, unsigned long size)
{
	struct drm_gpusvm_test *priv = test->priv;

	kunit_release_action(test, drm_gpusvm_test_fini, &priv->svm);
	drm_gpusvm_test_svm_init(test, ops, start, size);
}

/* find_or_insert; the reference is dropped when the test ends. */
static struct drm_gpusvm_range *
drm_gpusvm_test_range(struct kunit *test, unsigned long addr,
		      const struct drm_gpusvm_ctx *ctx)
{
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;

	range = drm_gpusvm_range_find_or_insert(&priv->svm, addr, ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, range);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_gpusvm_test_range_put,
							range), 0);
	return range;
}

/* find_or_insert and get_pages, as a GPU fault handler does. */
static struct drm_gpusvm_range *
drm_gpusvm_test_map(struct kunit *test, unsigned long addr,
		    const struct drm_gpusvm_ctx *ctx)
{
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range = drm_gpusvm_test_range(test, addr, ctx);

	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_get_pages(&priv->svm, range, ctx),
			0);
	return range;
}

/* The pattern word at @va: unique per word, so a misplaced page shows. */
static void drm_gpusvm_test_pattern(u64 *buf, unsigned long va)
{
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(u64); i++)
		buf[i] = (va + i * sizeof(u64)) ^ DRM_GPUSVM_TEST_SALT;
}

/* Write the pattern to [start, end) as the process would. */
static void drm_gpusvm_test_fill(struct kunit *test, unsigned long start,
				 unsigned long end)
{
	struct drm_gpusvm_test *priv = test->priv;
	unsigned long va;

	for (va = start; va < end; va += PAGE_SIZE) {
		drm_gpusvm_test_pattern(priv->buf, va);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)va, priv->buf,
						   PAGE_SIZE), 0);
	}
}

/*
 * Kernel address of the byte at @va as the device reaches it: without an
 * IOMMU the DMA address is the physical address. Notifier lock held.
 */
static const void *drm_gpusvm_test_dma_kaddr(struct drm_gpusvm_test *priv,
					     struct drm_gpusvm_range *range,
					     unsigned long va)
{
	struct drm_gpusvm_dma *dma;
	unsigned long addr;

	drm_gpusvm_for_each_dma(dma, addr, &range->pages,
				drm_gpusvm_range_start(range)) {
		if (va < addr || va - addr >= PAGE_SIZE << dma->order)
			continue;
		if (!drm_gpusvm_dma_addr(dma))
			return NULL;
		return phys_to_virt(dma_to_phys(priv->dev, drm_gpusvm_dma_addr(dma))) +
		       (va - addr);
	}
	return NULL;
}

/*
 * Pages of [start, end) the device would not read correctly: the pattern,
 * or zeroes with @zero. Everything is bad when the pages are not valid.
 */
static unsigned long drm_gpusvm_test_bad_pages(struct drm_gpusvm_test *priv,
					       struct drm_gpusvm_range *range,
					       unsigned long start,
					       unsigned long end, bool zero)
{
	unsigned long va, bad = 0;
	const void *kaddr;

	drm_gpusvm_notifier_lock(&priv->svm);
	if (!drm_gpusvm_range_pages_valid(&priv->svm, range)) {
		bad = (end - start) >> PAGE_SHIFT;
		goto out_unlock;
	}
	for (va = start; va < end; va += PAGE_SIZE) {
		if (zero)
			memset(priv->buf, 0, PAGE_SIZE);
		else
			drm_gpusvm_test_pattern(priv->buf, va);
		kaddr = drm_gpusvm_test_dma_kaddr(priv, range, va);
		if (!kaddr || memcmp(kaddr, priv->buf, PAGE_SIZE))
			bad++;
	}
out_unlock:
	drm_gpusvm_notifier_unlock(&priv->svm);
	return bad;
}

/* Bytes covered by the DMA chunks of a range. */
static unsigned long drm_gpusvm_test_dma_bytes(struct drm_gpusvm_test *priv,
					       struct drm_gpusvm_range *range)
{
	unsigned long bytes = 0, addr;
	struct drm_gpusvm_dma *dma;

	drm_gpusvm_notifier_lock(&priv->svm);
	drm_gpusvm_for_each_dma(dma, addr, &range->pages,
				drm_gpusvm_range_start(range))
		bytes += PAGE_SIZE << dma->order;
	drm_gpusvm_notifier_unlock(&priv->svm);
	return bytes;
}

static bool drm_gpusvm_test_valid(struct drm_gpusvm_test *priv,
				  struct drm_gpusvm_range *range)
{
	bool valid;

	drm_gpusvm_notifier_lock(&priv->svm);
	valid = drm_gpusvm_range_pages_valid(&priv->svm, range);
	drm_gpusvm_notifier_unlock(&priv->svm);
	return valid;
}

/* The range the tree holds at @addr, for comparison only (no reference). */
static struct drm_gpusvm_range *
drm_gpusvm_test_lookup(struct drm_gpusvm_test *priv, unsigned long addr)
{
	struct drm_gpusvm_notifier *notifier;
	struct drm_gpusvm_range *range = NULL;

	mutex_lock(&priv->svm.lock);
	notifier = drm_gpusvm_notifier_find(&priv->svm, addr);
	if (notifier)
		range = drm_gpusvm_range_find(notifier, addr, addr + 1);
	mutex_unlock(&priv->svm.lock);
	return range;
}

static struct drm_gpusvm_notifier *
drm_gpusvm_test_notifier(struct drm_gpusvm_test *priv, unsigned long addr)
{
	struct drm_gpusvm_notifier *notifier;

	mutex_lock(&priv->svm.lock);
	notifier = drm_gpusvm_notifier_find(&priv->svm, addr);
	mutex_unlock(&priv->svm.lock);
	return notifier;
}

/* Run the notifier callback directly, as reclaim or the OOM reaper would. */
static bool drm_gpusvm_test_notify(struct drm_gpusvm_notifier *notifier,
				   unsigned long start, unsigned long end,
				   bool blockable)
{
	struct mmu_interval_notifier *mni = &notifier->notifier;
	const struct mmu_notifier_range mmu_range = {
		.mm = current->mm,
		.start = start,
		.end = end,
		.event = MMU_NOTIFY_CLEAR,
		.flags = blockable ? MMU_NOTIFIER_RANGE_BLOCKABLE : 0,
	};

	/* The current sequence number leaves read_retry() users undisturbed */
	return mni->ops->invalidate(mni, &mmu_range,
				    READ_ONCE(mni->invalidate_seq));
}

/* A fault window over written memory. */
struct drm_gpusvm_test_region {
	const char *desc;
	unsigned long offset;		/* from DRM_GPUSVM_TEST_BASE */
	unsigned long vma_size;		/* 0: inside the fixture's mapping */
	unsigned long range_size;	/* window the policy must choose */
};

static const struct drm_gpusvm_test_region drm_gpusvm_test_regions[] = {
	{ "2M-window", 0, 0, SZ_2M },
	{ "64K-vma", DRM_GPUSVM_TEST_SMALL_OFF, SZ_64K, SZ_64K },
	{ "4K-vma", DRM_GPUSVM_TEST_SMALL_OFF, SZ_4K, SZ_4K },
};

KUNIT_ARRAY_PARAM_DESC(drm_gpusvm_test_regions, drm_gpusvm_test_regions,
		       desc);

/* The device reads back exactly what the process wrote. */
static void drm_gpusvm_test_pages_hold_data(struct kunit *test)
{
	const struct drm_gpusvm_test_region *region = test->param_value;
	unsigned long addr = DRM_GPUSVM_TEST_BASE + region->offset;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;

	if (region->vma_size)
		drm_gpusvm_test_mmap(test, region->offset, region->vma_size,
				     PROT_READ | PROT_WRITE);
	drm_gpusvm_test_fill(test, addr, addr + region->range_size);

	range = drm_gpusvm_test_map(test, addr, &drm_gpusvm_test_write_ctx);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_start(range), addr);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_size(range), region->range_size);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_dma_bytes(priv, range),
			region->range_size);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range, addr,
							addr + region->range_size,
							false), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.pages_mapped),
			region->range_size >> PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.get_pages), 1);
}

/*
 * Stands in for drm_gpusvm_count_chunks(), which runs between
 * hmm_range_fault() and the sequence check: a CPU write there replaces the
 * zero page the snapshot holds, so the snapshot must be thrown away.
 */
static unsigned int drm_gpusvm_test_count_chunks_race(const unsigned long *pfns,
						      unsigned long npages)
{
	struct kunit *test = kunit_get_current_test();
	struct drm_gpusvm_test *priv = test->priv;
	u64 val = DRM_GPUSVM_TEST_RACE_VALUE;

	/* Race once only, then let the retry go through */
	kunit_deactivate_static_stub(test, drm_gpusvm_count_chunks);
	priv->raced = !copy_to_user((void __user *)priv->race_addr, &val,
				    sizeof(val));
	return drm_gpusvm_count_chunks(pfns, npages);
}

/* Read a u64 at @va through the device's view; false when unreachable. */
static bool drm_gpusvm_test_dma_read(struct drm_gpusvm_test *priv,
				     struct drm_gpusvm_range *range,
				     unsigned long va, u64 *val)
{
	const u64 *kaddr = NULL;

	drm_gpusvm_notifier_lock(&priv->svm);
	if (drm_gpusvm_range_pages_valid(&priv->svm, range))
		kaddr = drm_gpusvm_test_dma_kaddr(priv, range, va);
	if (kaddr)
		*val = *kaddr;
	drm_gpusvm_notifier_unlock(&priv->svm);
	return kaddr;
}

/* An invalidation between hmm_range_fault() and commit forces a retry (R4). */
static void drm_gpusvm_test_seq_retry(struct kunit *test)
{
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	u64 val = 0;

	range = drm_gpusvm_test_range(test, DRM_GPUSVM_TEST_BASE,
				      &drm_gpusvm_test_read_ctx);
	priv->race_addr = DRM_GPUSVM_TEST_BASE + SZ_64K;
	kunit_activate_static_stub(test, drm_gpusvm_count_chunks,
				   drm_gpusvm_test_count_chunks_race);

	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_get_pages(&priv->svm, range,
							 &drm_gpusvm_test_read_ctx),
			0);
	KUNIT_ASSERT_TRUE_MSG(test, priv->raced, "the stub did not write");
	KUNIT_EXPECT_GE(test, atomic64_read(&priv->svm.stats.retries), 1);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_dma_read(priv, range,
							 priv->race_addr, &val));
	KUNIT_EXPECT_EQ(test, val, DRM_GPUSVM_TEST_RACE_VALUE);
}

/* Arm drm_gpusvm_fail_seqno for this thread: @times stale snapshots. */
static void drm_gpusvm_test_seqno_arm(int times)
{
	struct fault_attr *attr = &drm_gpusvm_fail_seqno;

	attr->verbose = 0;
	attr->task_filter = true;
	attr->probability = 100;
	attr->interval = 1;
	atomic_set(&attr->space, 0);
	atomic_set(&attr->times, times);
	current->make_it_fail = 1;
}

static void drm_gpusvm_test_seqno_disarm(void *unused)
{
	struct fault_attr *attr = &drm_gpusvm_fail_seqno;

	atomic_set(&attr->times, 0);
	attr->probability = 0;
	attr->task_filter = false;
}

/*
 * Invalidation injection (R4): each injected collision costs one retry
 * and the pages still arrive; collisions without end give -EBUSY after
 * the timeout and leave nothing valid behind.
 */
static void drm_gpusvm_test_seqno_inject(struct kunit *test)
{
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	s64 retries;
	int err;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_gpusvm_test_seqno_disarm,
							NULL), 0);
	range = drm_gpusvm_test_range(test, DRM_GPUSVM_TEST_BASE,
				      &drm_gpusvm_test_read_ctx);
	retries = atomic64_read(&priv->svm.stats.retries);
	drm_gpusvm_test_seqno_arm(3);
	err = drm_gpusvm_range_get_pages(&priv->svm, range,
					 &drm_gpusvm_test_read_ctx);
	current->make_it_fail = 0;
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.retries),
			retries + 3);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_valid(priv, range));

	drm_gpusvm_range_unmap_pages(&priv->svm, range);
	drm_gpusvm_test_seqno_arm(-1);
	err = drm_gpusvm_range_get_pages(&priv->svm, range,
					 &drm_gpusvm_test_read_ctx);
	current->make_it_fail = 0;
	drm_gpusvm_test_seqno_disarm(NULL);
	KUNIT_EXPECT_EQ(test, err, -EBUSY);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_test_valid(priv, range));
}

/* Partial and whole munmap of a mapped 2 MiB range. */
struct drm_gpusvm_test_munmap {
	const char *desc;
	unsigned long offset;	/* into the range */
	unsigned long size;
};

static const struct drm_gpusvm_test_munmap drm_gpusvm_test_munmaps[] = {
	{ "whole", 0, SZ_2M },
	{ "head", 0, PAGE_SIZE },
	{ "middle", SZ_1M, PAGE_SIZE },
	{ "tail", SZ_2M - PAGE_SIZE, PAGE_SIZE },
};

KUNIT_ARRAY_PARAM_DESC(drm_gpusvm_test_munmaps, drm_gpusvm_test_munmaps, desc);

/* munmap zaps and unmaps the whole range, and the GC removes it (R6, R9). */
static void drm_gpusvm_test_munmap_gc(struct kunit *test)
{
	const struct drm_gpusvm_test_munmap *param = test->param_value;
	unsigned long start = DRM_GPUSVM_TEST_BASE, end = start + SZ_2M;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_pages_flags flags;
	struct drm_gpusvm_range *range;

	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_end(range), end);

	KUNIT_ASSERT_EQ(test, vm_munmap(start + param->offset, param->size), 0);
	KUNIT_EXPECT_GE(test, drm_gpusvm_test_calls(priv,
						    DRM_GPUSVM_TEST_INVALIDATE,
						    start, end), 1);
	flags = drm_gpusvm_range_flags(range);
	KUNIT_EXPECT_FALSE(test, flags.valid);
	KUNIT_EXPECT_FALSE(test, flags.has_dma_mapping);
	KUNIT_EXPECT_EQ(test, !!flags.unmapped, param->size == SZ_2M);
	KUNIT_EXPECT_EQ(test, !!flags.partial_unmap, param->size != SZ_2M);

	drm_gpusvm_garbage_collect(&priv->svm);
	KUNIT_EXPECT_NULL(test, drm_gpusvm_test_lookup(priv, start));
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.gc_ranges), 1);
	/* It was the notifier's last range */
	KUNIT_EXPECT_NULL(test, drm_gpusvm_test_notifier(priv, start));
}

/* The GC keeps a notifier, and the ranges the munmap did not touch. */
static void drm_gpusvm_test_gc_keeps_notifier(struct kunit *test)
{
	unsigned long other = DRM_GPUSVM_TEST_BASE + SZ_4M;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;

	drm_gpusvm_test_map(test, DRM_GPUSVM_TEST_BASE,
			    &drm_gpusvm_test_write_ctx);
	range = drm_gpusvm_test_map(test, other, &drm_gpusvm_test_write_ctx);

	KUNIT_ASSERT_EQ(test, vm_munmap(DRM_GPUSVM_TEST_BASE, SZ_2M), 0);
	drm_gpusvm_garbage_collect(&priv->svm);

	KUNIT_EXPECT_NULL(test, drm_gpusvm_test_lookup(priv,
						       DRM_GPUSVM_TEST_BASE));
	KUNIT_EXPECT_NOT_NULL(test, drm_gpusvm_test_notifier(priv, other));
	KUNIT_EXPECT_PTR_EQ(test, drm_gpusvm_test_lookup(priv, other), range);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_valid(priv, range));
}

/*
 * madvise(MADV_DONTNEED) of [start, end): madvise_dontneed_single_vma() is
 * zap_page_range_single() under mmap_read_lock, and that one is exported.
 */
static void drm_gpusvm_test_dontneed(struct kunit *test, unsigned long start,
				     unsigned long end)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool inside;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, start);
	inside = vma && end <= vma->vm_end;
	if (inside)
		zap_page_range_single(vma, start, end - start, NULL);
	mmap_read_unlock(mm);
	KUNIT_ASSERT_TRUE(test, inside);
}

/* DONTNEED invalidates without unmapping; the refault sees zeroes (R9). */
static void drm_gpusvm_test_dontneed_refault(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE, end = start + SZ_2M;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_pages_flags flags;
	struct drm_gpusvm_range *range;

	drm_gpusvm_test_fill(test, start, end);
	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);

	drm_gpusvm_test_dontneed(test, start, start + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_calls(priv,
						    DRM_GPUSVM_TEST_INVALIDATE,
						    start, end), 1);
	flags = drm_gpusvm_range_flags(range);
	KUNIT_EXPECT_FALSE(test, flags.valid);
	KUNIT_EXPECT_FALSE(test, flags.unmapped || flags.partial_unmap);

	drm_gpusvm_garbage_collect(&priv->svm);
	KUNIT_ASSERT_PTR_EQ(test, drm_gpusvm_test_lookup(priv, start), range);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_get_pages(&priv->svm, range,
							 &drm_gpusvm_test_write_ctx),
			0);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range, start,
							start + PAGE_SIZE, true),
			0);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range,
							start + PAGE_SIZE, end,
							false), 0);
}

/* Every chunk of a valid range is present, and writable or not as asked. */
static bool drm_gpusvm_test_all_mapped(struct drm_gpusvm_test *priv,
				       struct drm_gpusvm_range *range,
				       bool writable)
{
	struct drm_gpusvm_dma *dma;
	unsigned long addr;
	bool ok;

	drm_gpusvm_notifier_lock(&priv->svm);
	ok = drm_gpusvm_range_pages_valid(&priv->svm, range);
	drm_gpusvm_for_each_dma(dma, addr, &range->pages,
				drm_gpusvm_range_start(range))
		ok = ok && drm_gpusvm_dma_addr(dma) && dma->writable == writable;
	drm_gpusvm_notifier_unlock(&priv->svm);
	return ok;
}

/* Write faults on a read-only VMA fail with -EPERM; read-only works (R9). */
static void drm_gpusvm_test_readonly_vma(struct kunit *test)
{
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	unsigned long addr;
	int err;

	addr = drm_gpusvm_test_mmap(test, DRM_GPUSVM_TEST_RO_OFF, SZ_2M,
				    PROT_READ);
	range = drm_gpusvm_test_range(test, addr, &drm_gpusvm_test_write_ctx);

	err = drm_gpusvm_range_get_pages(&priv->svm, range,
					 &drm_gpusvm_test_write_ctx);
	KUNIT_EXPECT_EQ(test, err, -EPERM);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_test_valid(priv, range));

	err = drm_gpusvm_range_get_pages(&priv->svm, range,
					 &drm_gpusvm_test_read_ctx);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_all_mapped(priv, range, false));
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range, addr,
							addr + SZ_2M, true), 0);
}

/* A write fault after a read-only one gets writable pages (R9). */
static void drm_gpusvm_test_write_upgrade(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;

	/* Untouched private memory: the read-only fault maps the zero page */
	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_read_ctx);
	KUNIT_ASSERT_TRUE(test, drm_gpusvm_test_all_mapped(priv, range, false));

	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_get_pages(&priv->svm, range,
							 &drm_gpusvm_test_write_ctx),
			0);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_all_mapped(priv, range, true));
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range, start,
							start + SZ_2M, true), 0);
}

/* Is page @va of @range a hole (not collected) in the device's view? */
static bool drm_gpusvm_test_hole(struct drm_gpusvm_test *priv,
				 struct drm_gpusvm_range *range,
				 unsigned long va)
{
	bool hole;

	drm_gpusvm_notifier_lock(&priv->svm);
	hole = drm_gpusvm_range_pages_valid(&priv->svm, range) &&
	       !drm_gpusvm_test_dma_kaddr(priv, range, va);
	drm_gpusvm_notifier_unlock(&priv->svm);
	return hole;
}

/* Collect again after the driver dropped its mapping, as eviction does. */
static int drm_gpusvm_test_recollect(struct drm_gpusvm_test *priv,
				     struct drm_gpusvm_range *range,
				     const struct drm_gpusvm_ctx *ctx)
{
	drm_gpusvm_range_unmap_pages(&priv->svm, range);
	return drm_gpusvm_range_get_pages(&priv->svm, range, ctx);
}

/*
 * A present 64 KiB range whose pages 1 and 3 the CPU then discarded, so
 * that they are not present any more; *addr is set to its start.
 */
static struct drm_gpusvm_range *
drm_gpusvm_test_holey_range(struct kunit *test, unsigned long *addr)
{
	struct drm_gpusvm_range *range;
	unsigned long start;

	start = drm_gpusvm_test_mmap(test, DRM_GPUSVM_TEST_SMALL_OFF, SZ_64K,
				     PROT_READ | PROT_WRITE);
	drm_gpusvm_test_fill(test, start, start + SZ_64K);
	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_size(range), SZ_64K);
	drm_gpusvm_test_dontneed(test, start + PAGE_SIZE, start + 2 * PAGE_SIZE);
	drm_gpusvm_test_dontneed(test, start + 3 * PAGE_SIZE,
				 start + 4 * PAGE_SIZE);
	*addr = start;
	return range;
}

/* Prefetch faults nothing: holes stay holes, present pages map (R16). */
static void drm_gpusvm_test_prefetch_keeps_holes(struct kunit *test)
{
	const struct drm_gpusvm_ctx prefetch = { .prefetch = 1 };
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	unsigned long addr;

	range = drm_gpusvm_test_holey_range(test, &addr);

	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_recollect(priv, range, &prefetch),
			0);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_hole(priv, range,
						     addr + PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_hole(priv, range,
						     addr + 3 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range, addr,
							addr + PAGE_SIZE,
							false), 0);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range,
							addr + 4 * PAGE_SIZE,
							addr + SZ_64K, false), 0);
}

/* Skip unless the first chunk of @range is backed by a PMD-sized THP. */
static void drm_gpusvm_test_require_thp(struct kunit *test,
					struct drm_gpusvm_range *range)
{
	struct drm_gpusvm_test *priv = test->priv;
	dma_addr_t addr = 0;
	struct page *page;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		kunit_skip(test, "no CONFIG_TRANSPARENT_HUGEPAGE");

	drm_gpusvm_notifier_lock(&priv->svm);
	if (drm_gpusvm_range_pages_valid(&priv->svm, range) &&
	    range->pages.num_dma)
		addr = drm_gpusvm_dma_addr(&range->pages.dma[0]);
	drm_gpusvm_notifier_unlock(&priv->svm);
	KUNIT_ASSERT_NE(test, addr, 0);

	/* From the page itself, so a wrong chunk order cannot hide a THP */
	page = pfn_to_page(PHYS_PFN(dma_to_phys(priv->dev, addr)));
	if (folio_order(page_folio(page)) != DRM_GPUSVM_TEST_THP_ORDER)
		kunit_skip(test, "the kernel gave no THP for the region");
}

/* Number of DMA chunks of @range, and the order of the first in @order. */
static unsigned int drm_gpusvm_test_chunks(struct drm_gpusvm_test *priv,
					   struct drm_gpusvm_range *range,
					   unsigned int *order)
{
	unsigned int n;

	drm_gpusvm_notifier_lock(&priv->svm);
	n = range->pages.num_dma;
	*order = n ? range->pages.dma[0].order : 0;
	drm_gpusvm_notifier_unlock(&priv->svm);
	return n;
}

/* A THP-backed 2 MiB range is one 2 MiB DMA chunk (R10). */
static void drm_gpusvm_test_thp_single_chunk(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE, end = start + SZ_2M;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	unsigned int order;

	drm_gpusvm_test_fill(test, start, end);
	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);
	drm_gpusvm_test_require_thp(test, range);

	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_size(range), SZ_2M);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_chunks(priv, range, &order), 1);
	KUNIT_EXPECT_EQ(test, order, DRM_GPUSVM_TEST_THP_ORDER);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range, start, end,
							false), 0);
}

/* GPU VA limits that leave a 64 KiB window inside the THP at +1 MiB. */
struct drm_gpusvm_test_limit {
	const char *desc;
	bool limit_start;	/* else limit the end */
};

static const struct drm_gpusvm_test_limit drm_gpusvm_test_limits[] = {
	{ "gpuva-start", true },
	{ "gpuva-end", false },
};

KUNIT_ARRAY_PARAM_DESC(drm_gpusvm_test_limits, drm_gpusvm_test_limits, desc);

/* A 64 KiB range inside a THP gets one chunk clamped to 64 KiB (R10). */
static void drm_gpusvm_test_thp_order_clamped(struct kunit *test)
{
	const struct drm_gpusvm_test_limit *limit = test->param_value;
	unsigned long start = DRM_GPUSVM_TEST_BASE + SZ_1M;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_ctx ctx = {};
	struct drm_gpusvm_range *range;
	unsigned int order;

	if (limit->limit_start)
		ctx.gpuva_start = start;
	else
		ctx.gpuva_end = start + SZ_64K;
	drm_gpusvm_test_fill(test, DRM_GPUSVM_TEST_BASE,
			     DRM_GPUSVM_TEST_BASE + SZ_2M);
	range = drm_gpusvm_test_map(test, start + SZ_16K, &ctx);
	drm_gpusvm_test_require_thp(test, range);

	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_start(range), start);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_size(range), SZ_64K);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_chunks(priv, range, &order), 1);
	KUNIT_EXPECT_EQ(test, order, ilog2(SZ_64K >> PAGE_SHIFT));
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range, start,
							start + SZ_64K, false),
			0);
}

/* Non-blockable: a GPU-mapped range needs a zap, so refuse (R7). */
static void drm_gpusvm_test_nonblock_refuses_mapped(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;

	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);

	KUNIT_EXPECT_FALSE(test, drm_gpusvm_test_notify(range->notifier, start,
							start + PAGE_SIZE,
							false));
	KUNIT_EXPECT_EQ(test, priv->num_calls, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.nonblock_refused),
			1);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_valid(priv, range));
}

/*
 * Non-blockable with a mapped range and a driver that can zap without
 * sleeping: the invalidation goes through and the range is unmapped, so the
 * OOM reaper can reap an SVM process (R7); a driver that would have to
 * sleep makes it refuse, with the range untouched.
 */
static void drm_gpusvm_test_nonblock_zap(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;

	drm_gpusvm_test_svm_reinit(test, &drm_gpusvm_test_nonblock_ops,
				   priv->svm.mm_start, priv->svm.mm_range);
	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);

	priv->nonblock_zaps = false;
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_test_notify(range->notifier, start,
							start + PAGE_SIZE,
							false));
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_valid(priv, range));
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_num_calls(priv,
							DRM_GPUSVM_TEST_NONBLOCK),
			1U);

	priv->nonblock_zaps = true;
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_notify(range->notifier, start,
						       start + PAGE_SIZE,
						       false));
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_test_valid(priv, range));
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_range_flags(range).has_dma_mapping);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_num_calls(priv,
							DRM_GPUSVM_TEST_INVALIDATE),
			0U);
	/* Both attempts asked for the whole range, not just the page */
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_calls(priv,
						    DRM_GPUSVM_TEST_NONBLOCK,
						    drm_gpusvm_range_start(range),
						    drm_gpusvm_range_end(range)),
			2U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.nonblock_ok), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.nonblock_refused),
			1);
}

/* Non-blockable: nothing GPU-mapped in the span, so succeed (R7). */
static void drm_gpusvm_test_nonblock_ok_unmapped(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE;
	unsigned long away = start + DRM_GPUSVM_TEST_HOLE_OFF;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	unsigned int calls;

	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);

	/* Same notifier, no range there */
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_notify(range->notifier, away,
						       away + SZ_2M, false));
	KUNIT_EXPECT_EQ(test, priv->num_calls, 0);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_valid(priv, range));

	/* The range is there but no longer reachable by the device */
	drm_gpusvm_range_unmap_pages(&priv->svm, range);
	calls = priv->num_calls;
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_notify(range->notifier, start,
						       start + SZ_2M, false));
	KUNIT_EXPECT_EQ(test, priv->num_calls, calls);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.nonblock_ok), 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.nonblock_refused),
			0);
}

/* Blockable: zap the whole range and DMA-unmap it (R6). */
static void drm_gpusvm_test_blockable_invalidate(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE, end = start + SZ_2M;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;

	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);

	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_notify(range->notifier,
						       start + SZ_1M,
						       start + SZ_1M + PAGE_SIZE,
						       true));
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_calls(priv,
						    DRM_GPUSVM_TEST_INVALIDATE,
						    start, end), 1);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_test_valid(priv, range));
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_range_flags(range).has_dma_mapping);
	/* Not an unmap: the range stays for the next fault */
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_range_flags(range).unmapped);
}

/* Did pass 2 get, for this range, the cookie pass 1 returned? */
static bool drm_gpusvm_test_cookie_ok(struct drm_gpusvm_test *priv,
				      const struct drm_gpusvm_test_call *fin)
{
	unsigned int i;

	for (i = 0; i < min(priv->num_calls, DRM_GPUSVM_TEST_MAX_CALLS); i++)
		if (priv->calls[i].op == DRM_GPUSVM_TEST_START &&
		    priv->calls[i].start == fin->start &&
		    priv->calls[i].end == fin->end)
			return priv->calls[i].cookie == fin->cookie;
	return false;
}

/* Pass 1 kicks every range before pass 2 waits on any (R8). */
static void drm_gpusvm_test_check_two_pass(struct kunit *test,
					   unsigned int nranges)
{
	unsigned int i, starts = 0, finishes = 0, bad_cookies = 0, late = 0;
	struct drm_gpusvm_test *priv = test->priv;

	drm_gpusvm_notifier_lock(&priv->svm);
	for (i = 0; i < min(priv->num_calls, DRM_GPUSVM_TEST_MAX_CALLS); i++) {
		const struct drm_gpusvm_test_call *call = &priv->calls[i];

		if (call->op == DRM_GPUSVM_TEST_START) {
			starts++;
			late += finishes != 0;
		} else if (call->op == DRM_GPUSVM_TEST_FINISH) {
			finishes++;
			bad_cookies += !drm_gpusvm_test_cookie_ok(priv, call);
		}
	}
	drm_gpusvm_notifier_unlock(&priv->svm);

	KUNIT_EXPECT_EQ(test, starts, nranges);
	KUNIT_EXPECT_EQ(test, finishes, nranges);
	KUNIT_EXPECT_EQ_MSG(test, late, 0, "a start after a finish");
	KUNIT_EXPECT_EQ(test, bad_cookies, 0);
}

/* munmap over two ranges: start, start, finish, finish (R8). */
static void drm_gpusvm_test_two_pass_order(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *a, *b;

	drm_gpusvm_test_svm_reinit(test, &drm_gpusvm_test_two_pass_ops, 0,
				   TASK_SIZE & PAGE_MASK);
	a = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);
	b = drm_gpusvm_test_map(test, start + SZ_2M,
				&drm_gpusvm_test_write_ctx);

	KUNIT_ASSERT_EQ(test, vm_munmap(start, SZ_4M), 0);
	drm_gpusvm_test_check_two_pass(test, 2);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_num_calls(priv,
							DRM_GPUSVM_TEST_INVALIDATE),
			0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.two_pass), 1);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_range_flags(a).has_dma_mapping);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_range_flags(b).has_dma_mapping);
}

/* No memory for the cookies: one pass through ops->invalidate (R8). */
static void drm_gpusvm_test_two_pass_fallback(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE, end = start + SZ_2M;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	bool fired;
	int err;

	drm_gpusvm_kunit_fail_init(test);
	drm_gpusvm_test_svm_reinit(test, &drm_gpusvm_test_two_pass_ops, 0,
				   TASK_SIZE & PAGE_MASK);
	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);

	/* The callback runs in this thread, where the failure is armed */
	drm_gpusvm_kunit_fail_nth(1);
	err = vm_munmap(start, SZ_2M);
	fired = drm_gpusvm_kunit_fail_fired();
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_TRUE_MSG(test, fired, "no cookie allocation failed");

	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_calls(priv,
						    DRM_GPUSVM_TEST_INVALIDATE,
						    start, end), 1);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_num_calls(priv,
							DRM_GPUSVM_TEST_START),
			0);
	KUNIT_EXPECT_EQ(test,
			atomic64_read(&priv->svm.stats.two_pass_fallback), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.two_pass), 0);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_range_flags(range).has_dma_mapping);
}

/* find_or_insert + get_pages; *rangep is set when a range came back. */
static int drm_gpusvm_test_try_map(struct drm_gpusvm_test *priv,
				   unsigned long addr,
				   struct drm_gpusvm_range **rangep)
{
	const struct drm_gpusvm_ctx *ctx = &drm_gpusvm_test_write_ctx;
	struct drm_gpusvm_range *range;

	*rangep = NULL;
	range = drm_gpusvm_range_find_or_insert(&priv->svm, addr, ctx);
	if (IS_ERR(range))
		return PTR_ERR(range);
	*rangep = range;
	return drm_gpusvm_range_get_pages(&priv->svm, range, ctx);
}

/* Check the outcome of one attempt whose @nth site may have failed. */
static void drm_gpusvm_test_check_attempt(struct kunit *test,
					  struct drm_gpusvm_range *range,
					  int err, bool fired, unsigned int nth)
{
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_pages_flags flags;

	if (fired && err) {
		KUNIT_EXPECT_EQ_MSG(test, err, -ENOMEM, "site %u", nth);
		if (!range)
			return;
		flags = drm_gpusvm_range_flags(range);
		KUNIT_EXPECT_FALSE_MSG(test, flags.valid, "site %u", nth);
		KUNIT_EXPECT_FALSE_MSG(test, flags.has_dma_mapping, "site %u",
				       nth);
		return;
	}

	/* Success; only a smaller window may absorb a failed presence check */
	KUNIT_EXPECT_EQ_MSG(test, err, 0, "site %u", nth);
	if (!range || err)
		return;
	if (!fired)
		KUNIT_EXPECT_EQ(test, drm_gpusvm_range_size(range), SZ_64K);
	KUNIT_EXPECT_EQ_MSG(test, drm_gpusvm_test_bad_pages(priv, range,
							    drm_gpusvm_range_start(range),
							    drm_gpusvm_range_end(range),
							    false), 0,
			    "site %u", nth);
}

/* One attempt with the @nth site failing; false when no site failed. */
static bool drm_gpusvm_test_fail_attempt(struct kunit *test,
					 unsigned long addr, unsigned int nth)
{
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	bool fired;
	int err;

	drm_gpusvm_kunit_fail_nth(nth);
	err = drm_gpusvm_test_try_map(priv, addr, &range);
	fired = drm_gpusvm_kunit_fail_fired();
	drm_gpusvm_test_check_attempt(test, range, err, fired, nth);

	if (range) {
		drm_gpusvm_range_remove(&priv->svm, range);
		drm_gpusvm_range_put(range);
	}
	KUNIT_EXPECT_NULL_MSG(test, drm_gpusvm_test_notifier(priv, addr),
			      "site %u leaves a notifier", nth);
	return fired;
}

/*
 * Fail each allocation and DMA-map site of a fault in turn, until a fault
 * goes through without reaching the armed one (R11). A 64 KiB VMA over
 * present pages reaches every site: notifier, window presence check, range,
 * pfn array, DMA array and one DMA map per 4 KiB page.
 */
static void drm_gpusvm_test_alloc_failure_unwinds(struct kunit *test)
{
	unsigned long addr;
	unsigned int nth;

	drm_gpusvm_kunit_fail_init(test);
	addr = drm_gpusvm_test_mmap(test, DRM_GPUSVM_TEST_SMALL_OFF, SZ_64K,
				    PROT_READ | PROT_WRITE);
	drm_gpusvm_test_fill(test, addr, addr + SZ_64K);

	for (nth = 1; nth <= DRM_GPUSVM_TEST_MAX_SITES; nth++)
		if (!drm_gpusvm_test_fail_attempt(test, addr, nth))
			break;

	kunit_info(test, "failed %u allocation and DMA-map sites in turn\n",
		   nth - 1);
	KUNIT_EXPECT_LE_MSG(test, nth, DRM_GPUSVM_TEST_MAX_SITES,
			    "never got through");
	KUNIT_EXPECT_GE(test, nth - 1, 4);
}

/* fini zaps every mapped range before freeing it (R6, R12). */
static void drm_gpusvm_test_fini_zaps_ranges(struct kunit *test)
{
	unsigned long addrs[] = {
		DRM_GPUSVM_TEST_BASE,
		DRM_GPUSVM_TEST_BASE + SZ_2M,
		DRM_GPUSVM_TEST_BASE + DRM_GPUSVM_TEST_FAR_OFF,
	};
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	unsigned int i;

	drm_gpusvm_test_mmap(test, DRM_GPUSVM_TEST_FAR_OFF, SZ_2M,
			     PROT_READ | PROT_WRITE);
	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		range = drm_gpusvm_test_map(test, addrs[i],
					    &drm_gpusvm_test_write_ctx);
		KUNIT_ASSERT_EQ(test, drm_gpusvm_range_size(range), SZ_2M);
		/* fini wants the driver's references gone */
		kunit_release_action(test, drm_gpusvm_test_range_put, range);
	}

	kunit_release_action(test, drm_gpusvm_test_fini, &priv->svm);
	KUNIT_EXPECT_EQ(test, priv->num_calls, ARRAY_SIZE(addrs));
	for (i = 0; i < ARRAY_SIZE(addrs); i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    drm_gpusvm_test_calls(priv,
							  DRM_GPUSVM_TEST_INVALIDATE,
							  addrs[i],
							  addrs[i] + SZ_2M),
				    1, "range %#lx", addrs[i]);
}

/* A second fault in a range finds it and takes a reference. */
static void drm_gpusvm_test_range_reuse(struct kunit *test)
{
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range, *again;

	range = drm_gpusvm_test_range(test, DRM_GPUSVM_TEST_BASE,
				      &drm_gpusvm_test_write_ctx);
	/* The tree's reference and ours */
	KUNIT_EXPECT_EQ(test, kref_read(&range->refcount), 2);

	again = drm_gpusvm_range_find_or_insert(&priv->svm,
						DRM_GPUSVM_TEST_BASE + SZ_1M +
						3 * PAGE_SIZE,
						&drm_gpusvm_test_write_ctx);
	KUNIT_EXPECT_PTR_EQ(test, again, range);
	KUNIT_EXPECT_EQ(test, kref_read(&range->refcount), 3);
	if (!IS_ERR(again))
		drm_gpusvm_range_put(again);
	KUNIT_EXPECT_EQ(test, kref_read(&range->refcount), 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.ranges_created),
			1);
}

/* Faults 600 MiB apart land in two aligned notifiers. */
static void drm_gpusvm_test_notifier_per_window(struct kunit *test)
{
	unsigned long far = DRM_GPUSVM_TEST_BASE + DRM_GPUSVM_TEST_FAR_OFF;
	struct drm_gpusvm_test *priv = test->priv;
	unsigned long size = priv->svm.notifier_size;
	struct drm_gpusvm_range *near_range, *far_range;

	drm_gpusvm_test_mmap(test, DRM_GPUSVM_TEST_FAR_OFF, SZ_2M,
			     PROT_READ | PROT_WRITE);
	near_range = drm_gpusvm_test_range(test, DRM_GPUSVM_TEST_BASE,
					   &drm_gpusvm_test_write_ctx);
	far_range = drm_gpusvm_test_range(test, far,
					  &drm_gpusvm_test_write_ctx);

	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.notifiers), 2);
	KUNIT_EXPECT_PTR_NE(test, near_range->notifier, far_range->notifier);
	KUNIT_EXPECT_PTR_EQ(test, drm_gpusvm_test_notifier(priv, far),
			    far_range->notifier);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_notifier_start(far_range->notifier),
			ALIGN_DOWN(far, size));
	KUNIT_EXPECT_EQ(test, drm_gpusvm_notifier_end(far_range->notifier),
			ALIGN_DOWN(far, size) + size);
}

/* A fault where the CPU has no VMA fails and leaves no notifier behind. */
static void drm_gpusvm_test_fault_outside_vma(struct kunit *test)
{
	unsigned long hole = DRM_GPUSVM_TEST_BASE + DRM_GPUSVM_TEST_HOLE_OFF;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;

	range = drm_gpusvm_range_find_or_insert(&priv->svm, hole,
						&drm_gpusvm_test_write_ctx);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(range), -EFAULT);
	if (!IS_ERR_OR_NULL(range))
		drm_gpusvm_range_put(range);
	KUNIT_EXPECT_NULL(test, drm_gpusvm_test_notifier(priv, hole));
}

/* Faults outside the gpusvm's span fail even where the CPU has memory. */
static void drm_gpusvm_test_fault_outside_span(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE + SZ_2M;
	unsigned long outside[] = { start - PAGE_SIZE, start + SZ_2M };
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	unsigned int i;

	drm_gpusvm_test_svm_reinit(test, &drm_gpusvm_test_ops, start, SZ_2M);
	for (i = 0; i < ARRAY_SIZE(outside); i++) {
		range = drm_gpusvm_range_find_or_insert(&priv->svm, outside[i],
							&drm_gpusvm_test_write_ctx);
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(range), -EINVAL,
				    "addr %#lx", outside[i]);
		if (!IS_ERR_OR_NULL(range))
			drm_gpusvm_range_put(range);
	}
	/* The span itself works */
	drm_gpusvm_test_range(test, start, &drm_gpusvm_test_write_ctx);
}

static int drm_gpusvm_test_try_init(struct kunit *test,
				    const struct drm_gpusvm_ops *ops)
{
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm *svm;
	int err;

	svm = kunit_kzalloc(test, sizeof(*svm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, svm);
	err = drm_gpusvm_init(svm, "kunit-ops", priv->dev, current->mm, NULL,
			      0, TASK_SIZE & PAGE_MASK, 0, ops);
	if (!err)
		drm_gpusvm_fini(svm);
	return err;
}

/* init rejects a missing invalidate and half a two-pass pair. */
static void drm_gpusvm_test_init_rejects_bad_ops(struct kunit *test)
{
	static const struct drm_gpusvm_ops no_invalidate = {
		.invalidate_start = drm_gpusvm_test_invalidate_start,
		.invalidate_finish = drm_gpusvm_test_invalidate_finish,
	};
	static const struct drm_gpusvm_ops start_only = {
		.invalidate = drm_gpusvm_test_invalidate,
		.invalidate_start = drm_gpusvm_test_invalidate_start,
	};
	static const struct drm_gpusvm_ops finish_only = {
		.invalidate = drm_gpusvm_test_invalidate,
		.invalidate_finish = drm_gpusvm_test_invalidate_finish,
	};

	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_try_init(test, &no_invalidate),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_try_init(test, &start_only),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_try_init(test, &finish_only),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_try_init(test,
						       &drm_gpusvm_test_two_pass_ops),
			0);
}

/* After a partial munmap, the fault path collects the range first (R9). */
static void drm_gpusvm_test_partial_munmap_refault(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE, addr = start + SZ_1M;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *old, *range;

	drm_gpusvm_test_fill(test, start, start + SZ_2M);
	old = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);
	KUNIT_ASSERT_EQ(test, vm_munmap(start, PAGE_SIZE), 0);

	/* No explicit garbage_collect(): find_or_insert must run it */
	range = drm_gpusvm_test_map(test, addr, &drm_gpusvm_test_write_ctx);
	KUNIT_EXPECT_PTR_NE(test, range, old);
	KUNIT_EXPECT_GE(test, drm_gpusvm_range_start(range), start + PAGE_SIZE);
	KUNIT_EXPECT_LE(test, drm_gpusvm_range_end(range), start + SZ_2M);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range,
							drm_gpusvm_range_start(range),
							drm_gpusvm_range_end(range),
							false), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.gc_ranges), 1);
}

/*
 * A second fault on a range that no invalidation touched costs nothing: no
 * zap and no second DMA mapping of the same pages, even when the CPU
 * changed memory elsewhere in the same notifier.
 */
static void drm_gpusvm_test_refault_current_range(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE, end = start + SZ_2M;
	unsigned long other = start + SZ_4M;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	s64 mapped;

	drm_gpusvm_test_fill(test, other, other + PAGE_SIZE);
	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);
	mapped = atomic64_read(&priv->svm.stats.pages_mapped);

	drm_gpusvm_test_dontneed(test, other, other + PAGE_SIZE);
	KUNIT_ASSERT_TRUE(test, drm_gpusvm_test_valid(priv, range));

	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_get_pages(&priv->svm, range,
							 &drm_gpusvm_test_write_ctx),
			0);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_calls(priv,
						    DRM_GPUSVM_TEST_INVALIDATE,
						    start, end), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.pages_mapped),
			mapped);
}

/*
 * A driver may hold a range reference across the GC (drm_gpusvm_range_remove()
 * says the reference stays valid); collecting its pages must then fail
 * cleanly with -EAGAIN (look the address up again), without touching a
 * freed notifier and without committing a mapping; the new lookup then
 * says the address is gone.
 */
static void drm_gpusvm_test_get_pages_after_gc(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE;
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;

	range = drm_gpusvm_test_range(test, start, &drm_gpusvm_test_write_ctx);
	KUNIT_ASSERT_EQ(test, vm_munmap(start, SZ_2M), 0);
	drm_gpusvm_garbage_collect(&priv->svm);
	KUNIT_ASSERT_NULL(test, drm_gpusvm_test_notifier(priv, start));

	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_get_pages(&priv->svm, range,
							 &drm_gpusvm_test_write_ctx),
			-EAGAIN);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_range_flags(range).has_dma_mapping);
	KUNIT_EXPECT_EQ(test,
			PTR_ERR(drm_gpusvm_range_find_or_insert(&priv->svm, start,
								&drm_gpusvm_test_write_ctx)),
			-EFAULT);
}

/*
 * A fault span faults only itself: a hole after it in the same range stays
 * a hole (R16).
 */
static void drm_gpusvm_test_fault_span_only(struct kunit *test)
{
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	struct drm_gpusvm_ctx span = {};
	unsigned long addr;

	range = drm_gpusvm_test_holey_range(test, &addr);
	span.fault_start = addr + PAGE_SIZE;
	span.fault_end = addr + 2 * PAGE_SIZE;

	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_recollect(priv, range, &span), 0);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range,
							span.fault_start,
							span.fault_end, true),
			0);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_test_hole(priv, range,
						     addr + 3 * PAGE_SIZE));
}

static int drm_gpusvm_test_init(struct kunit *test)
{
	struct drm_gpusvm_test *priv;

	priv = kunit_kzalloc(test, sizeof(*priv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv);
	priv->buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv->buf);
	test->priv = priv;

	priv->dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, priv->dev);
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(priv->dev,
							DMA_BIT_MASK(64)), 0);

	/* The first mapping also attaches a fresh mm to this kthread */
	drm_gpusvm_test_mmap(test, 0, DRM_GPUSVM_TEST_SIZE,
			     PROT_READ | PROT_WRITE);
	KUNIT_ASSERT_NOT_NULL(test, current->mm);

	drm_gpusvm_test_svm_init(test, &drm_gpusvm_test_ops, 0,
				 TASK_SIZE & PAGE_MASK);
	return 0;
}

static void drm_gpusvm_test_exit(struct kunit *test)
{
	/* KUnit does not fail a case on a lockdep report; this does */
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

/* An atomic fault asking for device-exclusive access to @addr's page. */
static struct drm_gpusvm_ctx drm_gpusvm_test_atomic_ctx(unsigned long addr)
{
	struct drm_gpusvm_ctx ctx = {
		.access = DRM_GPUSVM_ACCESS_ATOMIC,
		.exclusive = 1,
		.fault_start = addr & PAGE_MASK,
		.fault_end = (addr & PAGE_MASK) + PAGE_SIZE,
	};

	return ctx;
}

/* Pages of [start, end) whose chunk is flagged device-exclusive. */
static unsigned long drm_gpusvm_test_exclusive(struct drm_gpusvm_test *priv,
					       struct drm_gpusvm_range *range,
					       unsigned long start,
					       unsigned long end)
{
	unsigned long addr, n = 0, size;
	struct drm_gpusvm_dma *dma;

	drm_gpusvm_notifier_lock(&priv->svm);
	drm_gpusvm_for_each_dma(dma, addr, &range->pages,
				drm_gpusvm_range_start(range)) {
		size = PAGE_SIZE << dma->order;
		if (dma->exclusive && addr < end && addr + size > start)
			n += (min(end, addr + size) - max(start, addr)) >>
			     PAGE_SHIFT;
	}
	drm_gpusvm_notifier_unlock(&priv->svm);
	return n;
}

/* An atomic fault makes exactly the faulted page exclusive, data intact. */
static void drm_gpusvm_test_exclusive_grant(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE, end = start + SZ_2M;
	unsigned long addr = start + SZ_1M + 3 * PAGE_SIZE;
	struct drm_gpusvm_ctx ctx = drm_gpusvm_test_atomic_ctx(addr);
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;

	drm_gpusvm_test_fill(test, start, end);
	range = drm_gpusvm_test_map(test, addr, &ctx);

	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_exclusive(priv, range, addr,
							addr + PAGE_SIZE), 1);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_exclusive(priv, range, start,
							end), 1);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range, addr,
							addr + PAGE_SIZE,
							false), 0);
}

/* A CPU write revokes exclusivity and zaps; the next atomic sees the write. */
static void drm_gpusvm_test_exclusive_revoked_by_cpu(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE, end = start + SZ_2M;
	unsigned long addr = start + 5 * PAGE_SIZE;
	struct drm_gpusvm_ctx ctx = drm_gpusvm_test_atomic_ctx(addr);
	struct drm_gpusvm_test *priv = test->priv;
	u64 value = DRM_GPUSVM_TEST_RACE_VALUE;
	struct drm_gpusvm_range *range;
	unsigned int zaps;
	const u64 *kaddr;

	drm_gpusvm_test_fill(test, start, end);
	range = drm_gpusvm_test_map(test, addr, &ctx);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_test_exclusive(priv, range, addr,
							addr + PAGE_SIZE), 1);

	zaps = drm_gpusvm_test_num_calls(priv, DRM_GPUSVM_TEST_INVALIDATE);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, &value,
					   sizeof(value)), 0);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_test_valid(priv, range));
	KUNIT_EXPECT_GT(test,
			drm_gpusvm_test_num_calls(priv, DRM_GPUSVM_TEST_INVALIDATE),
			zaps);

	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_get_pages(&priv->svm, range,
							 &ctx), 0);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_exclusive(priv, range, addr,
							addr + PAGE_SIZE), 1);
	drm_gpusvm_notifier_lock(&priv->svm);
	kaddr = drm_gpusvm_test_dma_kaddr(priv, range, addr);
	KUNIT_EXPECT_TRUE(test, kaddr && *kaddr == value);
	drm_gpusvm_notifier_unlock(&priv->svm);
}

/*
 * The grab's own MMU_NOTIFY_EXCLUSIVE event must not invalidate: if it
 * did, every attempt would invalidate itself and the fault would spin
 * until -EBUSY.
 */
static void drm_gpusvm_test_exclusive_own_event(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE, end = start + SZ_2M;
	unsigned long addr = start + 7 * PAGE_SIZE;
	struct drm_gpusvm_ctx ctx = drm_gpusvm_test_atomic_ctx(addr);
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	s64 retries;

	drm_gpusvm_test_fill(test, start, end);
	range = drm_gpusvm_test_map(test, addr, &drm_gpusvm_test_write_ctx);
	retries = atomic64_read(&priv->svm.stats.retries);

	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_get_pages(&priv->svm, range,
							 &ctx), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&priv->svm.stats.retries), retries);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_exclusive(priv, range, addr,
							addr + PAGE_SIZE), 1);
}

/* A page inside a THP becomes exclusive: the THP is split first (R10). */
static void drm_gpusvm_test_exclusive_thp(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE, end = start + SZ_2M;
	unsigned long addr = start + SZ_1M + 9 * PAGE_SIZE;
	struct drm_gpusvm_ctx ctx = drm_gpusvm_test_atomic_ctx(addr);
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	unsigned int order;

	drm_gpusvm_test_fill(test, start, end);
	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);
	drm_gpusvm_test_require_thp(test, range);

	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_get_pages(&priv->svm, range,
							 &ctx), 0);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_exclusive(priv, range, addr,
							addr + PAGE_SIZE), 1);
	KUNIT_EXPECT_GT(test, drm_gpusvm_test_chunks(priv, range, &order), 1U);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range, addr,
							addr + PAGE_SIZE,
							false), 0);
}

/*
 * A hole faulted in by the atomic fault itself may come in as a THP after
 * the split: it is split again, not retried until the timeout.
 */
static void drm_gpusvm_test_exclusive_thp_hole(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE + SZ_4M;
	unsigned long addr = start + SZ_1M + 11 * PAGE_SIZE;
	struct drm_gpusvm_ctx ctx = drm_gpusvm_test_atomic_ctx(addr);
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;

	range = drm_gpusvm_test_map(test, addr, &ctx);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_exclusive(priv, range, addr,
							addr + PAGE_SIZE), 1);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range, addr,
							addr + PAGE_SIZE,
							true), 0);
}

/*
 * 6.12 cannot split a THP that is already mapped by PTEs (here after a
 * partial munmap), nor make its pages exclusive: the request fails at once
 * with -EOPNOTSUPP instead of spinning until the get_pages timeout.
 */
static void drm_gpusvm_test_exclusive_pte_mapped_thp(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE, end = start + SZ_2M;
	unsigned long addr = start + SZ_1M + 13 * PAGE_SIZE;
	struct drm_gpusvm_ctx ctx = drm_gpusvm_test_atomic_ctx(addr);
	struct drm_gpusvm_test *priv = test->priv;
	struct drm_gpusvm_range *range;
	unsigned long t0;
	int err;

	drm_gpusvm_test_fill(test, start, end);
	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);
	drm_gpusvm_test_require_thp(test, range);
	/* Unmapping the last page maps the rest of the THP with PTEs */
	KUNIT_ASSERT_EQ(test, vm_munmap(end - PAGE_SIZE, PAGE_SIZE), 0);

	range = drm_gpusvm_range_find_or_insert(&priv->svm, addr, &ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, range);
	kunit_add_action(test, drm_gpusvm_test_range_put, range);
	t0 = jiffies;
	err = drm_gpusvm_range_get_pages(&priv->svm, range, &ctx);
	KUNIT_EXPECT_EQ(test, err, -EOPNOTSUPP);
	KUNIT_EXPECT_LT(test, jiffies_to_msecs(jiffies - t0),
			HMM_RANGE_DEFAULT_TIMEOUT / 2);
	/* Nothing was lost: the device can still read the page */
	range = drm_gpusvm_test_map(test, addr, &drm_gpusvm_test_read_ctx);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range, addr,
							addr + PAGE_SIZE,
							false), 0);
}

/*
 * Two devices mirror one mm and map the same writable pages at once, as
 * two GPUs of one process do. Both see the data; dma-debug must not call
 * the per-device mappings of a shared page an overlap (it would splat).
 */
static void drm_gpusvm_test_two_devices_share_pages(struct kunit *test)
{
	unsigned long start = DRM_GPUSVM_TEST_BASE, end = start + SZ_64K;
	struct drm_gpusvm_test *priv = test->priv, *other;
	struct drm_gpusvm_range *range, *orange;

	other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, other);
	other->buf = priv->buf;
	/* The DRM KUnit helper makes one device per test: a second by hand */
	other->dev = root_device_register("drm_gpusvm_kunit_other");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, other->dev);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_gpusvm_test_root_device_unregister,
							other->dev), 0);
	other->dev->dma_mask = &other->dev->coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(other->dev,
							DMA_BIT_MASK(64)), 0);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_init(&other->svm, "kunit-other",
					      other->dev, current->mm, NULL, 0,
					      TASK_SIZE & PAGE_MASK, 0,
					      &drm_gpusvm_test_ops), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_gpusvm_test_fini,
							&other->svm), 0);

	drm_gpusvm_test_fill(test, start, end);
	range = drm_gpusvm_test_map(test, start, &drm_gpusvm_test_write_ctx);
	orange = drm_gpusvm_range_find_or_insert(&other->svm, start,
						 &drm_gpusvm_test_write_ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, orange);
	kunit_add_action(test, drm_gpusvm_test_range_put, orange);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_get_pages(&other->svm, orange,
							 &drm_gpusvm_test_write_ctx),
			0);

	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(priv, range, start, end,
							false), 0);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_test_bad_pages(other, orange, start,
							end, false), 0);
	/* Unmapping invalidates both mirrors */
	KUNIT_ASSERT_EQ(test, vm_munmap(start, PAGE_SIZE), 0);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_test_valid(priv, range));
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_test_valid(other, orange));
}

static struct kunit_case drm_gpusvm_test_cases[] = {
	KUNIT_CASE_PARAM(drm_gpusvm_test_pages_hold_data,
			 drm_gpusvm_test_regions_gen_params),
	KUNIT_CASE(drm_gpusvm_test_seq_retry),
	KUNIT_CASE(drm_gpusvm_test_seqno_inject),
	KUNIT_CASE_PARAM(drm_gpusvm_test_munmap_gc,
			 drm_gpusvm_test_munmaps_gen_params),
	KUNIT_CASE(drm_gpusvm_test_gc_keeps_notifier),
	KUNIT_CASE(drm_gpusvm_test_dontneed_refault),
	KUNIT_CASE(drm_gpusvm_test_readonly_vma),
	KUNIT_CASE(drm_gpusvm_test_write_upgrade),
	KUNIT_CASE(drm_gpusvm_test_prefetch_keeps_holes),
	KUNIT_CASE(drm_gpusvm_test_thp_single_chunk),
	KUNIT_CASE_PARAM(drm_gpusvm_test_thp_order_clamped,
			 drm_gpusvm_test_limits_gen_params),
	KUNIT_CASE(drm_gpusvm_test_nonblock_refuses_mapped),
	KUNIT_CASE(drm_gpusvm_test_nonblock_ok_unmapped),
	KUNIT_CASE(drm_gpusvm_test_nonblock_zap),
	KUNIT_CASE(drm_gpusvm_test_blockable_invalidate),
	KUNIT_CASE(drm_gpusvm_test_two_pass_order),
	KUNIT_CASE(drm_gpusvm_test_two_pass_fallback),
	KUNIT_CASE_SLOW(drm_gpusvm_test_alloc_failure_unwinds),
	KUNIT_CASE(drm_gpusvm_test_fini_zaps_ranges),
	KUNIT_CASE(drm_gpusvm_test_range_reuse),
	KUNIT_CASE(drm_gpusvm_test_notifier_per_window),
	KUNIT_CASE(drm_gpusvm_test_fault_outside_vma),
	KUNIT_CASE(drm_gpusvm_test_fault_outside_span),
	KUNIT_CASE(drm_gpusvm_test_init_rejects_bad_ops),
	KUNIT_CASE(drm_gpusvm_test_partial_munmap_refault),
	KUNIT_CASE(drm_gpusvm_test_exclusive_grant),
	KUNIT_CASE(drm_gpusvm_test_exclusive_revoked_by_cpu),
	KUNIT_CASE(drm_gpusvm_test_exclusive_own_event),
	KUNIT_CASE(drm_gpusvm_test_exclusive_thp),
	KUNIT_CASE(drm_gpusvm_test_exclusive_thp_hole),
	KUNIT_CASE(drm_gpusvm_test_exclusive_pte_mapped_thp),
	KUNIT_CASE(drm_gpusvm_test_two_devices_share_pages),
	/* Regression tests of fixed core bugs (R16, stale commits, UAF) */
	KUNIT_CASE(drm_gpusvm_test_fault_span_only),
	KUNIT_CASE(drm_gpusvm_test_refault_current_range),
	KUNIT_CASE(drm_gpusvm_test_get_pages_after_gc),
	{}
};

static struct kunit_suite drm_gpusvm_test_suite = {
	.name = "drm_gpusvm",
	.init = drm_gpusvm_test_init,
	.exit = drm_gpusvm_test_exit,
	.test_cases = drm_gpusvm_test_cases,
};

kunit_test_suite(drm_gpusvm_test_suite);
