// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * KUnit suite "simgpu_faultbuf": the replayable fault buffer of simgpu.
 */

#include <linux/bitops.h>
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>

#include <kunit/test.h>

#include "simgpu_internal.h"

/**
 * DOC: simgpu fault buffer tests
 *
 * Each case enables the fault buffer of device 0 (skipped when a glue
 * owns it) and attaches an address space whose walker maps a 4 KiB page
 * of VA 0 .. 256 KiB only when its bit in a bitmap is set, always to the
 * same DMA-mapped system page. Jobs store to unmapped pages, so they
 * stall with an entry in the ring; the case reads the ring, maps pages
 * and replays or cancels, as a glue does.
 */

#define FB_PAGES	64
#define FB_INSTANCE	0x1234
#define FB_TIMEOUT	(20 * HZ)
#define FB_VALUE	0xfb5eed

/**
 * struct fb_test - The fixture of one case
 * @as: The address space under test
 * @sdev: Device 0
 * @mapped: Pages of VA that translate, one bit per 4 KiB page
 * @page: The system page every mapped VA points to
 * @dma: Its DMA address
 * @irqs: Interrupts the buffer raised
 * @enabled: The buffer is enabled
 * @as_live: The address space is attached and needs simgpu_as_fini()
 */
struct fb_test {
	struct simgpu_as as;
	struct simgpu_device *sdev;
	unsigned long mapped[BITS_TO_LONGS(FB_PAGES)];
	struct page *page;
	dma_addr_t dma;
	atomic_t irqs;
	bool enabled;
	bool as_live;
};

static bool fb_test_walk(struct simgpu_as *as, u64 va, struct simgpu_xlate *xl)
{
	struct fb_test *t = container_of(as, struct fb_test, as);
	u64 pfn = va >> SIMGPU_PAGE_SHIFT;

	if (pfn >= FB_PAGES || !test_bit(pfn, t->mapped))
		return false;
	xl->addr = t->dma;
	xl->shift = SIMGPU_PAGE_SHIFT;
	xl->flags = SIMGPU_XLATE_VALID | SIMGPU_XLATE_WRITE;
	return true;
}

static const struct simgpu_as_ops fb_test_as_ops = {
	.walk = fb_test_walk,
};

static void fb_test_irq(void *data)
{
	struct fb_test *t = data;

	atomic_inc(&t->irqs);
}

/* Enable a buffer of @entries and attach the address space. */
static void fb_test_start(struct kunit *test, unsigned int entries)
{
	struct fb_test *t = test->priv;
	int err;

	err = simgpu_faultbuf_enable(t->sdev, entries, fb_test_irq, t);
	if (err == -EBUSY)
		kunit_skip(test, "a glue owns the fault buffer of device 0");
	KUNIT_ASSERT_EQ(test, err, 0);
	t->enabled = true;
	simgpu_as_init(&t->as, t->sdev, &fb_test_as_ops);
	simgpu_faultbuf_attach(&t->as, FB_INSTANCE);
	t->as_live = true;
}

static int fb_test_init(struct kunit *test)
{
	struct fb_test *t;

	if (!simgpu_count())
		return -ENODEV;
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->sdev = simgpu_get(0);
	t->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!t->page)
		return -ENOMEM;
	t->dma = dma_map_page(simgpu_dma_dev(t->sdev), t->page, 0, PAGE_SIZE,
			      DMA_BIDIRECTIONAL);
	if (dma_mapping_error(simgpu_dma_dev(t->sdev), t->dma)) {
		__free_page(t->page);
		return -ENOMEM;
	}
	test->priv = t;
	return 0;
}

static void fb_test_exit(struct kunit *test)
{
	struct fb_test *t = test->priv;

	if (t->as_live) {
		simgpu_as_fini(&t->as);
		simgpu_faultbuf_detach(&t->as);
	}
	if (t->enabled)
		simgpu_faultbuf_disable(t->sdev);
	dma_unmap_page(simgpu_dma_dev(t->sdev), t->dma, PAGE_SIZE,
		       DMA_BIDIRECTIONAL);
	__free_page(t->page);
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

/* Submit a store of FB_VALUE to the u32 at page @pfn; a reference is kept. */
static struct simgpu_job *fb_test_store(struct kunit *test, unsigned int pfn)
{
	struct fb_test *t = test->priv;
	struct simgpu_op op = {
		.code = SIMGPU_OP_STORE,
		.value = FB_VALUE,
		.va = (u64)pfn << SIMGPU_PAGE_SHIFT,
		.len = 4,
	};
	struct simgpu_job *job = simgpu_job_create(&t->as, &op, 1);

	KUNIT_ASSERT_FALSE(test, IS_ERR(job));
	simgpu_job_submit(job);
	return job;
}

/* Wait until @n entries were posted or dropped in total. */
static void fb_test_wait_posted(struct kunit *test, u64 n)
{
	struct fb_test *t = test->priv;
	const struct simgpu_faultbuf_stats *s = simgpu_faultbuf_stats(t->sdev);
	unsigned long timeout = jiffies + FB_TIMEOUT;

	while (atomic64_read(&s->posted) + atomic64_read(&s->dropped) < n) {
		KUNIT_ASSERT_TRUE(test, time_before(jiffies, timeout));
		usleep_range(1000, 2000);
	}
}

/*
 * Wait for the interrupt of a posted entry: the engine raises it just
 * after it drops the lock it posted under, so it may trail the count.
 */
static void fb_test_wait_irqs(struct kunit *test, int n)
{
	struct fb_test *t = test->priv;
	unsigned long timeout = jiffies + FB_TIMEOUT;

	while (atomic_read(&t->irqs) < n) {
		KUNIT_ASSERT_TRUE(test, time_before(jiffies, timeout));
		usleep_range(1000, 2000);
	}
}

/* Wait for a job and return its status. */
static int fb_test_wait_job(struct kunit *test, struct simgpu_job *job)
{
	long ret = dma_fence_wait_timeout(&job->fence, false, FB_TIMEOUT);

	KUNIT_ASSERT_GT(test, ret, 0);
	return dma_fence_get_status(&job->fence);
}

static u32 fb_test_value(struct fb_test *t)
{
	dma_sync_single_for_cpu(simgpu_dma_dev(t->sdev), t->dma, PAGE_SIZE,
				DMA_BIDIRECTIONAL);
	return READ_ONCE(*(u32 *)page_address(t->page));
}

/* A fault writes one complete entry and raises the interrupt. */
static void fb_test_entry(struct kunit *test)
{
	struct fb_test *t = test->priv;
	struct simgpu_fault_entry e[4];
	struct simgpu_job *job;
	u64 before;

	fb_test_start(test, 8);
	before = ktime_get_ns();
	job = fb_test_store(test, 3);
	fb_test_wait_posted(test, 1);

	KUNIT_ASSERT_EQ(test, simgpu_faultbuf_read(t->sdev, e, 4), 1);
	KUNIT_EXPECT_EQ(test, e[0].va, 3 * SZ_4K);
	KUNIT_EXPECT_EQ(test, e[0].instance, FB_INSTANCE);
	KUNIT_EXPECT_EQ(test, e[0].access, SIMGPU_ACCESS_WRITE);
	KUNIT_EXPECT_TRUE(test, e[0].not_present);
	KUNIT_EXPECT_EQ(test, e[0].job, job->fence.context);
	KUNIT_EXPECT_GE(test, e[0].timestamp, before);
	KUNIT_EXPECT_LE(test, e[0].timestamp, ktime_get_ns());
	fb_test_wait_irqs(test, 1);
	/* Read entries are gone, and nothing overflowed */
	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_read(t->sdev, e, 4), 0);
	KUNIT_EXPECT_FALSE(test, simgpu_faultbuf_overflow_clear(t->sdev));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&job->fence));

	set_bit(3, t->mapped);
	simgpu_faultbuf_replay(t->sdev);
	KUNIT_EXPECT_EQ(test, fb_test_wait_job(test, job), 1);
	KUNIT_EXPECT_EQ(test, fb_test_value(t), FB_VALUE);
	KUNIT_EXPECT_EQ(test, atomic64_read(&simgpu_faultbuf_stats(t->sdev)->replayed), 1);
	simgpu_job_put(job);
}

/* A replay of an access that still has no translation faults again. */
static void fb_test_replay_refaults(struct kunit *test)
{
	struct fb_test *t = test->priv;
	struct simgpu_fault_entry e[4];
	struct simgpu_job *job;

	fb_test_start(test, 8);
	job = fb_test_store(test, 7);
	fb_test_wait_posted(test, 1);
	KUNIT_ASSERT_EQ(test, simgpu_faultbuf_read(t->sdev, e, 4), 1);
	simgpu_faultbuf_replay(t->sdev);
	fb_test_wait_posted(test, 2);
	KUNIT_ASSERT_EQ(test, simgpu_faultbuf_read(t->sdev, e, 4), 1);
	KUNIT_EXPECT_EQ(test, e[0].va, 7 * SZ_4K);
	KUNIT_EXPECT_EQ(test, job->faults, 2);
	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_cancel(&t->as, e[0].job,
						     e[0].timestamp, -EFAULT), 0);
	KUNIT_EXPECT_EQ(test, fb_test_wait_job(test, job), -EFAULT);
	simgpu_job_put(job);
}

/* A cancel hits exactly the job it names; a replay restarts the rest. */
static void fb_test_cancel_targeted(struct kunit *test)
{
	struct fb_test *t = test->priv;
	struct simgpu_fault_entry e[4];
	struct simgpu_job *a, *b;
	u64 ida, tsa;

	fb_test_start(test, 8);
	a = fb_test_store(test, 5);
	b = fb_test_store(test, 6);
	fb_test_wait_posted(test, 2);
	KUNIT_ASSERT_EQ(test, simgpu_faultbuf_read(t->sdev, e, 4), 2);
	ida = e[0].va == 5 * SZ_4K ? e[0].job : e[1].job;
	tsa = e[0].va == 5 * SZ_4K ? e[0].timestamp : e[1].timestamp;
	KUNIT_EXPECT_EQ(test, ida, a->fence.context);

	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_cancel(&t->as, ida, tsa, -EFAULT),
			0);
	KUNIT_EXPECT_EQ(test, fb_test_wait_job(test, a), -EFAULT);
	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_cancel(&t->as, ida, tsa, -EFAULT),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_cancel(&t->as, ~0ULL, tsa,
						     -EFAULT), -ENOENT);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&b->fence));

	set_bit(6, t->mapped);
	simgpu_faultbuf_replay(t->sdev);
	KUNIT_EXPECT_EQ(test, fb_test_wait_job(test, b), 1);
	KUNIT_EXPECT_EQ(test, fb_test_value(t), FB_VALUE);
	simgpu_job_put(a);
	simgpu_job_put(b);
}

/* Entries beyond the ring are dropped, their jobs recover on a replay. */
static void fb_test_overflow(struct kunit *test)
{
	const struct simgpu_faultbuf_stats *s;
	struct fb_test *t = test->priv;
	struct simgpu_fault_entry e[8];
	struct simgpu_job *jobs[6];
	unsigned int i;

	fb_test_start(test, 4);
	s = simgpu_faultbuf_stats(t->sdev);
	for (i = 0; i < ARRAY_SIZE(jobs); i++)
		jobs[i] = fb_test_store(test, 10 + i);
	fb_test_wait_posted(test, ARRAY_SIZE(jobs));
	KUNIT_EXPECT_EQ(test, atomic64_read(&s->posted), 4);
	KUNIT_EXPECT_EQ(test, atomic64_read(&s->dropped), 2);
	KUNIT_EXPECT_TRUE(test, simgpu_faultbuf_overflow_clear(t->sdev));
	KUNIT_EXPECT_FALSE(test, simgpu_faultbuf_overflow_clear(t->sdev));
	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_read(t->sdev, e, 8), 4);

	for (i = 0; i < ARRAY_SIZE(jobs); i++)
		set_bit(10 + i, t->mapped);
	simgpu_faultbuf_replay(t->sdev);
	for (i = 0; i < ARRAY_SIZE(jobs); i++) {
		KUNIT_EXPECT_EQ(test, fb_test_wait_job(test, jobs[i]), 1);
		simgpu_job_put(jobs[i]);
	}
	KUNIT_EXPECT_EQ(test, atomic64_read(&s->replayed), ARRAY_SIZE(jobs));
	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_read(t->sdev, e, 8), 0);
}

/* Bad sizes, a second owner; the address space's teardown cancels. */
static void fb_test_enable_and_fini(struct kunit *test)
{
	struct fb_test *t = test->priv;
	struct simgpu_fault_entry e[4];
	struct simgpu_job *job;

	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_enable(t->sdev, 0, fb_test_irq, t),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_enable(t->sdev, 6, fb_test_irq, t),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_enable(t->sdev, 8, NULL, t),
			-EINVAL);
	fb_test_start(test, 8);
	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_enable(t->sdev, 8, fb_test_irq, t),
			-EBUSY);

	job = fb_test_store(test, 1);
	fb_test_wait_posted(test, 1);
	KUNIT_ASSERT_EQ(test, simgpu_faultbuf_read(t->sdev, e, 4), 1);
	simgpu_as_fini(&t->as);
	simgpu_faultbuf_detach(&t->as);
	t->as_live = false;
	KUNIT_EXPECT_EQ(test, fb_test_wait_job(test, job), -ECANCELED);
	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_cancel(&t->as, e[0].job,
						     e[0].timestamp, -EFAULT),
			-ENOENT);
	simgpu_job_put(job);
}

/*
 * A cancel from a stale entry misses a job that moved on: the job stalls
 * twice on page 20 (two entries), page 20 is mapped, the job now stalls
 * on page 21; cancelling with either old entry must not kill it.
 */
static void fb_test_cancel_stale(struct kunit *test)
{
	struct fb_test *t = test->priv;
	struct simgpu_op ops[2] = {
		{ .code = SIMGPU_OP_STORE, .value = FB_VALUE, .len = 4,
		  .va = 20 * SZ_4K },
		{ .code = SIMGPU_OP_STORE, .value = FB_VALUE, .len = 4,
		  .va = 21 * SZ_4K },
	};
	struct simgpu_fault_entry e[4], cur;
	struct simgpu_job *job;

	fb_test_start(test, 8);
	job = simgpu_job_create(&t->as, ops, 2);
	KUNIT_ASSERT_FALSE(test, IS_ERR(job));
	simgpu_job_submit(job);
	fb_test_wait_posted(test, 1);
	simgpu_faultbuf_replay(t->sdev);
	fb_test_wait_posted(test, 2);
	KUNIT_ASSERT_EQ(test, simgpu_faultbuf_read(t->sdev, e, 4), 2);
	KUNIT_EXPECT_EQ(test, e[1].va, 20 * SZ_4K);
	KUNIT_EXPECT_NE(test, e[0].timestamp, e[1].timestamp);

	set_bit(20, t->mapped);
	simgpu_faultbuf_replay(t->sdev);
	fb_test_wait_posted(test, 3);
	KUNIT_ASSERT_EQ(test, simgpu_faultbuf_read(t->sdev, &cur, 1), 1);
	KUNIT_EXPECT_EQ(test, cur.va, 21 * SZ_4K);
	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_cancel(&t->as, e[1].job,
						     e[1].timestamp, -EFAULT),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, simgpu_faultbuf_cancel(&t->as, e[0].job,
						     e[0].timestamp, -EFAULT),
			-ENOENT);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&job->fence));

	set_bit(21, t->mapped);
	simgpu_faultbuf_replay(t->sdev);
	KUNIT_EXPECT_EQ(test, fb_test_wait_job(test, job), 1);
	simgpu_job_put(job);
}

static struct kunit_case fb_test_cases[] = {
	KUNIT_CASE(fb_test_entry),
	KUNIT_CASE(fb_test_replay_refaults),
	KUNIT_CASE(fb_test_cancel_targeted),
	KUNIT_CASE(fb_test_overflow),
	KUNIT_CASE(fb_test_enable_and_fini),
	KUNIT_CASE(fb_test_cancel_stale),
	{}
};

static struct kunit_suite fb_test_suite = {
	.name = "simgpu_faultbuf",
	.init = fb_test_init,
	.exit = fb_test_exit,
	.test_cases = fb_test_cases,
};

kunit_test_suite(fb_test_suite);

MODULE_DESCRIPTION("KUnit tests of simgpu's fault buffer");
MODULE_LICENSE("Dual MIT/GPL");
