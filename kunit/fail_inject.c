// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * Shared by the suites that fail the core's allocations one at a time.
 */

#include <linux/fault-inject.h>
#include <linux/sched.h>

#include <kunit/resource.h>
#include <kunit/test.h>

#include "fail_inject.h"
#include "gpusvm_internal.h"

#ifdef CONFIG_FAULT_INJECTION
static void drm_gpusvm_kunit_fail_reset(void *unused)
{
	struct fault_attr *attr = &drm_gpusvm_fail_alloc;

	atomic_set(&attr->times, 0);
	attr->probability = 0;
	attr->task_filter = false;
	attr->interval = 1;
	attr->count = 0;
}

/*
 * Take over drm_gpusvm_fail_alloc for this test. The test kthread's
 * make_it_fail is cleared by the test itself: cleanup runs in another
 * kthread.
 */
void drm_gpusvm_kunit_fail_init(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drm_gpusvm_kunit_fail_reset,
							NULL), 0);
}

/* Fail the @nth core allocation or DMA map made by this thread, once. */
void drm_gpusvm_kunit_fail_nth(unsigned int nth)
{
	struct fault_attr *attr = &drm_gpusvm_fail_alloc;

	attr->verbose = 0;
	attr->task_filter = true;
	attr->probability = 100;
	attr->interval = nth;
	attr->count = 0;
	atomic_set(&attr->space, 0);
	atomic_set(&attr->times, 1);
	current->make_it_fail = 1;
}

/* Disarm; returns whether the armed failure happened. */
bool drm_gpusvm_kunit_fail_fired(void)
{
	current->make_it_fail = 0;
	return !atomic_read(&drm_gpusvm_fail_alloc.times);
}
#else
void drm_gpusvm_kunit_fail_init(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
}

void drm_gpusvm_kunit_fail_nth(unsigned int nth)
{
}

bool drm_gpusvm_kunit_fail_fired(void)
{
	return false;
}
#endif
