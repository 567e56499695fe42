// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/dma-fence.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

#include <drm/drm_gpusvm.h>

#include "gpusvm_internal.h"

/**
 * DOC: Fence waits and GPU faults
 *
 * A job of a fault-capable GPU context can stall on a page fault, so its
 * completion fence may depend on the fault being served. Serving a fault
 * allocates memory (hmm_range_fault(), page tables, migration), and an
 * allocation can enter reclaim. If reclaim then waits for that fence, for
 * example a shrinker or an eviction waiting for the GPU to be done with
 * some memory, nothing can make progress: the fence waits for the fault,
 * the fault waits for memory, reclaim waits for the fence. This is the
 * deadlock the KFD HMM discussion ended on (R20): such fences are not
 * proper dma_fences and must not be waited on from reclaim.
 *
 * The core cannot know which fences those are; the driver can. A driver
 * registers a &struct drm_gpusvm_fence_class for the &dma_fence_ops of its
 * job fences with a may_depend_on_fault() callback (typically: the fence
 * is not signalled and its context runs in fault mode).
 * drm_gpusvm_fence_may_depend_on_fault() answers for any fence, looking
 * into containers (dma_fence_array, dma_fence_chain) too, and
 * drm_gpusvm_fence_wait() is a fence wait for code that may run in
 * reclaim: it backs off with -EDEADLK instead of waiting when the caller
 * is in reclaim and the fence may depend on a fault. Fences of classes
 * nobody registered are assumed to be proper dma_fences.
 *
 * The class list is read under RCU, so the check takes no lock and
 * allocates nothing: it is safe from reclaim itself.
 */

static LIST_HEAD(drm_gpusvm_fence_classes);
/* Serialises updates of drm_gpusvm_fence_classes; readers use RCU. */
static DEFINE_SPINLOCK(drm_gpusvm_fence_class_lock);

/**
 * drm_gpusvm_fence_class_register() - Declare fences that may need faults
 * @fc: The class; @fc->ops and @fc->may_depend_on_fault set, lives until
 *	drm_gpusvm_fence_class_unregister()
 *
 * Context: Any context that may take a spinlock.
 */
void drm_gpusvm_fence_class_register(struct drm_gpusvm_fence_class *fc)
{
	spin_lock(&drm_gpusvm_fence_class_lock);
	list_add_rcu(&fc->link, &drm_gpusvm_fence_classes);
	spin_unlock(&drm_gpusvm_fence_class_lock);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_fence_class_register);

/**
 * drm_gpusvm_fence_class_unregister() - Withdraw a fence class
 * @fc: The class
 *
 * Waits for concurrent lookups, so @fc may be freed on return.
 *
 * Context: Process context.
 */
void drm_gpusvm_fence_class_unregister(struct drm_gpusvm_fence_class *fc)
{
	spin_lock(&drm_gpusvm_fence_class_lock);
	list_del_rcu(&fc->link);
	spin_unlock(&drm_gpusvm_fence_class_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(drm_gpusvm_fence_class_unregister);

/* Ask the class of one (non-container) fence. */
static bool drm_gpusvm_fence_one_may_depend(struct dma_fence *fence)
{
	const struct dma_fence_ops *ops = READ_ONCE(fence->ops);
	struct drm_gpusvm_fence_class *fc;
	bool dep = false;

	if (dma_fence_is_signaled(fence))
		return false;
	rcu_read_lock();
	list_for_each_entry_rcu(fc, &drm_gpusvm_fence_classes, link) {
		if (fc->ops == ops) {
			dep = fc->may_depend_on_fault(fence);
			break;
		}
	}
	rcu_read_unlock();
	return dep;
}

/**
 * drm_gpusvm_fence_may_depend_on_fault() - May a fence wait for a GPU fault?
 * @fence: The fence; the caller holds a reference
 *
 * Looks through dma_fence_array and dma_fence_chain containers.
 *
 * Context: Any context, including reclaim; takes no sleeping lock.
 *
 * Return: true when @fence, or a fence it contains, is not signalled and
 * its driver says it may depend on a GPU page fault being served.
 */
bool drm_gpusvm_fence_may_depend_on_fault(struct dma_fence *fence)
{
	struct dma_fence_unwrap iter;
	struct dma_fence *f;

	dma_fence_unwrap_for_each(f, &iter, fence) {
		if (drm_gpusvm_fence_one_may_depend(f)) {
			/* The cursor holds a reference until it runs out */
			dma_fence_put(iter.chain);
			return true;
		}
	}
	return false;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_fence_may_depend_on_fault);

/* Is the caller reclaiming memory (direct reclaim or kswapd)? */
static bool drm_gpusvm_in_reclaim(void)
{
	return current->flags & PF_MEMALLOC;
}

/**
 * drm_gpusvm_fence_wait() - Wait for a fence unless that could deadlock
 * @fence: The fence; the caller holds a reference
 * @intr: Interruptible wait
 * @timeout: Timeout in jiffies, or MAX_SCHEDULE_TIMEOUT
 * @reclaim: The caller is on a reclaim path (a shrinker, an eviction for
 *	memory pressure) even if the task is not marked so
 *
 * dma_fence_wait_timeout() for code that may run in reclaim: when the
 * caller is in reclaim (@reclaim, or %PF_MEMALLOC) and @fence may depend on
 * a GPU page fault (drm_gpusvm_fence_may_depend_on_fault()), it returns at
 * once instead of waiting, and the caller backs off: skips the object,
 * tries another, or reports that it could not free anything. See DOC:
 * Fence waits and GPU faults.
 *
 * Context: Process context; may sleep unless it backs off.
 *
 * Return: -EDEADLK to back off; otherwise what dma_fence_wait_timeout()
 * returns (remaining jiffies, at least 1, when signalled; 0 on timeout;
 * -ERESTARTSYS when interrupted).
 */
long drm_gpusvm_fence_wait(struct dma_fence *fence, bool intr, long timeout,
			   bool reclaim)
{
	if ((reclaim || drm_gpusvm_in_reclaim()) &&
	    drm_gpusvm_fence_may_depend_on_fault(fence))
		return -EDEADLK;
	return dma_fence_wait_timeout(fence, intr, timeout);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_fence_wait);
