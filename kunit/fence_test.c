// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * Tests of fence.c (R20): a waiter in reclaim backs off from a fence that
 * may depend on a GPU fault, and only from such a fence; containers are
 * looked into; unregistered classes are proper dma_fences.
 */

#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/jiffies.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <kunit/resource.h>
#include <kunit/test.h>

#include <drm/drm_gpusvm.h>

/**
 * struct fence_test - A fake job fence
 * @base: The fence
 * @lock: Its lock
 * @fault_mode: Its context serves GPU faults (the class's answer)
 */
struct fence_test {
	struct dma_fence base;
	spinlock_t lock;	/* The fence lock, for dma_fence_init() */
	bool fault_mode;
};

static const char *fence_test_name(struct dma_fence *fence)
{
	return "drm_gpusvm_fence_test";
}

static const struct dma_fence_ops fence_test_ops = {
	.get_driver_name = fence_test_name,
	.get_timeline_name = fence_test_name,
};

/* The same fence, of a class nobody registered. */
static const struct dma_fence_ops fence_test_foreign_ops = {
	.get_driver_name = fence_test_name,
	.get_timeline_name = fence_test_name,
};

static bool fence_test_may_depend(struct dma_fence *fence)
{
	return container_of(fence, struct fence_test, base)->fault_mode;
}

static struct drm_gpusvm_fence_class fence_test_class = {
	.ops = &fence_test_ops,
	.may_depend_on_fault = fence_test_may_depend,
};

static void fence_test_put(void *fence)
{
	dma_fence_put(fence);
}

/* A new unsignalled fence with @ops, put when the test ends. */
static struct dma_fence *fence_test_new(struct kunit *test,
					const struct dma_fence_ops *ops,
					bool fault_mode)
{
	struct fence_test *f = kzalloc(sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	spin_lock_init(&f->lock);
	f->fault_mode = fault_mode;
	dma_fence_init(&f->base, ops, &f->lock, dma_fence_context_alloc(1), 1);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fence_test_put,
							&f->base), 0);
	return &f->base;
}

static void fence_test_signal(void *fence)
{
	dma_fence_signal(fence);
}

static int fence_test_init(struct kunit *test)
{
	drm_gpusvm_fence_class_register(&fence_test_class);
	return 0;
}

static void fence_test_exit(struct kunit *test)
{
	drm_gpusvm_fence_class_unregister(&fence_test_class);
}

/* Reclaim, said by the caller or by PF_MEMALLOC, backs off at once. */
static void fence_test_backoff(struct kunit *test)
{
	struct dma_fence *fence = fence_test_new(test, &fence_test_ops, true);
	unsigned int flags;
	long ret;

	/* Would wait forever: a hang here is the bug */
	KUNIT_EXPECT_EQ(test, drm_gpusvm_fence_wait(fence, false,
						    MAX_SCHEDULE_TIMEOUT,
						    true), -EDEADLK);
	flags = memalloc_noreclaim_save();
	ret = drm_gpusvm_fence_wait(fence, false, MAX_SCHEDULE_TIMEOUT, false);
	memalloc_noreclaim_restore(flags);
	KUNIT_EXPECT_EQ(test, ret, -EDEADLK);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_fence_may_depend_on_fault(fence));
}

/* Outside reclaim the wait is a normal wait. */
static void fence_test_waits_outside_reclaim(struct kunit *test)
{
	struct dma_fence *fence = fence_test_new(test, &fence_test_ops, true);

	KUNIT_EXPECT_EQ(test, drm_gpusvm_fence_wait(fence, false, 1, false), 0);
	dma_fence_signal(fence);
	KUNIT_EXPECT_GT(test, drm_gpusvm_fence_wait(fence, false, HZ, false),
			0);
}

/* In reclaim, fences that cannot depend on a fault are waited for. */
static void fence_test_waits_safe_fences(struct kunit *test)
{
	struct dma_fence *nofault = fence_test_new(test, &fence_test_ops, false);
	struct dma_fence *foreign = fence_test_new(test, &fence_test_foreign_ops,
						   true);
	struct dma_fence *done = fence_test_new(test, &fence_test_ops, true);

	dma_fence_signal(done);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_fence_wait(nofault, false, 1, true), 0);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_fence_wait(foreign, false, 1, true), 0);
	KUNIT_EXPECT_GT(test, drm_gpusvm_fence_wait(done, false, 1, true), 0);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_fence_may_depend_on_fault(done));
}

/* A fault-dependent fence inside an array makes the array one too. */
static void fence_test_array(struct kunit *test)
{
	struct dma_fence **fences = kcalloc(2, sizeof(*fences), GFP_KERNEL);
	struct dma_fence_array *array;

	KUNIT_ASSERT_NOT_NULL(test, fences);
	fences[0] = dma_fence_get(fence_test_new(test, &fence_test_ops, false));
	fences[1] = dma_fence_get(fence_test_new(test, &fence_test_ops, true));
	array = dma_fence_array_create(2, fences, dma_fence_context_alloc(1), 1,
				       false);
	if (!array) {
		dma_fence_put(fences[0]);
		dma_fence_put(fences[1]);
		kfree(fences);
		KUNIT_FAIL(test, "dma_fence_array_create failed");
		return;
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fence_test_put,
							&array->base), 0);
	KUNIT_EXPECT_TRUE(test,
			  drm_gpusvm_fence_may_depend_on_fault(&array->base));
	KUNIT_EXPECT_EQ(test, drm_gpusvm_fence_wait(&array->base, false, 1,
						    true), -EDEADLK);
	/* Once the fault-mode member signals, the array is safe to wait on */
	fence_test_signal(fences[1]);
	KUNIT_EXPECT_FALSE(test,
			   drm_gpusvm_fence_may_depend_on_fault(&array->base));
}

/* An unregistered class is no longer consulted. */
static void fence_test_unregister(struct kunit *test)
{
	struct dma_fence *fence = fence_test_new(test, &fence_test_ops, true);

	drm_gpusvm_fence_class_unregister(&fence_test_class);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_fence_may_depend_on_fault(fence));
	drm_gpusvm_fence_class_register(&fence_test_class);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_fence_may_depend_on_fault(fence));
}

static struct kunit_case fence_test_cases[] = {
	KUNIT_CASE(fence_test_backoff),
	KUNIT_CASE(fence_test_waits_outside_reclaim),
	KUNIT_CASE(fence_test_waits_safe_fences),
	KUNIT_CASE(fence_test_array),
	KUNIT_CASE(fence_test_unregister),
	{}
};

static struct kunit_suite fence_test_suite = {
	.name = "drm_gpusvm_fence",
	.init = fence_test_init,
	.exit = fence_test_exit,
	.test_cases = fence_test_cases,
};

kunit_test_suite(fence_test_suite);
