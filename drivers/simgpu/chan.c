// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-fence.h>
#include <linux/fault-inject.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "simgpu_internal.h"

/**
 * DOC: Copy channel
 *
 * The copy engine is driven through channels, the way nouveau drives its
 * copy class (NVA0B5) from a kernel channel: a submitter writes methods
 * into the channel's pushbuffer and rings a doorbell, the engine fetches
 * and executes them in order, and completion is reported by a semaphore
 * release that signals a seqno fence. A &struct simgpu_chan owns:
 *
 * - a ring of &struct simgpu_chan_method entries, allocated at creation;
 * - GP_PUT, advanced by the submitter's kick (simgpu_chan_kick()): the
 *   engine fetches methods up to it and no further, like a GPFIFO write
 *   pointer; methods pushed and not kicked are not seen;
 * - GP_GET, advanced by the engine as it fetches each method, before
 *   running it, as a GPFIFO's read pointer: a ring slot is free again once
 *   GP_GET passed it. A submitter that finds the ring full
 *   kicks what it pushed and waits for GP_GET to move;
 * - a worker on the device's copy workqueue, queued by the kick, that
 *   executes methods until GP_GET reaches GP_PUT.
 *
 * Two methods exist. %SIMGPU_CHAN_METHOD_COPY copies whole pages from
 * one device address to another: each is a VRAM device address
 * (%SIMGPU_VRAM_TAG | device index << 48 | offset, any device's VRAM) or
 * a DMA address of system memory. %SIMGPU_CHAN_METHOD_SEMAPHORE_RELEASE
 * writes its payload, a seqno, to the channel's semaphore and signals the
 * pending fences up to that seqno. simgpu_chan_fence_emit() pushes one
 * with the next seqno and returns its fence; fences of a channel share
 * one fence context and signal in seqno order.
 *
 * Addresses are checked when a method is pushed (-EINVAL), so the engine
 * never meets a bad one: it runs with nothing to report but the injected
 * failures. The fault attribute ``fail_copy`` of the device is consulted
 * once per COPY method: a failed method copies nothing and marks the
 * channel's current segment failed, and the next SEMAPHORE_RELEASE
 * signals its fences with -EIO and starts a clean segment. The
 * ``copy_delay_us`` parameter delays the first COPY method of each
 * segment.
 *
 * The worker is a dma-fence signalling critical section: it allocates
 * nothing and takes no sleeping lock, only the spinlock of the pending
 * fence list, the fences' own locks and the wait queue of GP_GET. Fences
 * are allocated by the submitter before it pushes anything
 * (simgpu_chan_fence_alloc()), so emitting cannot fail once copies are in
 * the ring: a copy is never left running without a fence that its caller
 * waits for.
 */

/**
 * struct simgpu_chan_fence - A seqno fence of a channel
 *
 * Allocated by simgpu_chan_fence_alloc() before the submitter takes the
 * channel lock, initialised and queued by simgpu_chan_fence_emit(). It has
 * its own lock so that it may outlive the channel.
 */
struct simgpu_chan_fence {
	/** @base: The fence; first member, dma_fence_free() frees through it */
	struct dma_fence base;
	/** @lock: The fence's lock */
	spinlock_t lock;
	/** @link: In &simgpu_chan.pending until the engine signals it */
	struct list_head link;
};

/* The address of the first byte the engine touches, no checks. */
static void *simgpu_chan_vaddr(struct simgpu_chan *chan, u64 addr)
{
	if (addr & SIMGPU_VRAM_TAG)
		return simgpu_vram_vaddr(addr);
	return phys_to_virt(dma_to_phys(simgpu_dma_dev(chan->sdev), addr));
}

/* Is [@addr, + @npages pages) VRAM of an existing device? */
static bool simgpu_chan_vram_valid(u64 addr, u32 npages)
{
	u64 offset = addr & SIMGPU_VRAM_OFFSET_MASK;
	struct simgpu_device *sdev;
	u64 last;

	if (addr & ~(SIMGPU_VRAM_TAG | SIMGPU_VRAM_DEV_MASK |
		     SIMGPU_VRAM_OFFSET_MASK))
		return false;
	sdev = simgpu_device_lookup(FIELD_GET(SIMGPU_VRAM_DEV_MASK, addr));
	if (!sdev)
		return false;
	last = (offset >> PAGE_SHIFT) + npages;
	return last <= sdev->nr_pages;
}

/* Is [@addr, + @npages pages) ordinary system memory, page by page? */
static bool simgpu_chan_sys_valid(struct simgpu_chan *chan, u64 addr,
				  u32 npages)
{
	struct device *dev = simgpu_dma_dev(chan->sdev);
	unsigned long pfn;
	u32 i;

	for (i = 0; i < npages; i++) {
		pfn = PHYS_PFN(dma_to_phys(dev, addr + ((u64)i << PAGE_SHIFT)));
		/* A device page has a struct page but no kernel mapping */
		if (!pfn_valid(pfn) || is_zone_device_page(pfn_to_page(pfn)) ||
		    PageHighMem(pfn_to_page(pfn)))
			return false;
	}
	return true;
}

/**
 * simgpu_chan_addr_valid() - Can a COPY method use this span?
 * @chan: The channel
 * @addr: VRAM device address or DMA address of system memory
 * @npages: Pages from @addr
 *
 * Context: Any context; takes no lock.
 *
 * Return: true when @addr is page aligned and the whole span is VRAM of
 * one device or system memory the engine reaches.
 */
bool simgpu_chan_addr_valid(struct simgpu_chan *chan, u64 addr, u32 npages)
{
	u64 end;

	if (!npages || !PAGE_ALIGNED(addr) ||
	    check_add_overflow(addr, (u64)npages << PAGE_SHIFT, &end))
		return false;
	if (addr & SIMGPU_VRAM_TAG)
		return simgpu_chan_vram_valid(addr, npages);
	return simgpu_chan_sys_valid(chan, addr, npages);
}

/* Engine: one COPY method, page by page (VRAM pages are not contiguous). */
static void simgpu_chan_exec_copy(struct simgpu_chan *chan,
				  const struct simgpu_chan_method *m)
{
	struct simgpu_device *sdev = chan->sdev;
	unsigned int delay = READ_ONCE(simgpu_copy_delay_us);
	u64 off;
	u32 i;

	if (!chan->seg_started && delay)
		fsleep(delay);
	chan->seg_started = true;
	atomic64_inc(&chan->stats.copy_methods);
	if (should_fail(&sdev->fail_copy, 1)) {
		chan->seg_failed = true;
		atomic64_inc(&sdev->stats.copy_failures);
		return;
	}
	for (i = 0; i < m->npages; i++) {
		off = (u64)i << PAGE_SHIFT;
		memcpy(simgpu_chan_vaddr(chan, m->dst + off),
		       simgpu_chan_vaddr(chan, m->src + off), PAGE_SIZE);
		cond_resched();
	}
	atomic64_add(m->npages, &sdev->stats.copy_pages);
}

/*
 * Engine: SEMAPHORE_RELEASE. Write the semaphore, then signal every
 * pending fence it reached, oldest first, with the segment's error.
 */
static void simgpu_chan_exec_release(struct simgpu_chan *chan,
				     const struct simgpu_chan_method *m)
{
	int error = chan->seg_failed ? -EIO : 0;
	struct simgpu_chan_fence *f, *next;
	LIST_HEAD(done);

	chan->seg_failed = false;
	chan->seg_started = false;
	WRITE_ONCE(chan->semaphore, m->src);
	atomic64_inc(&chan->stats.semaphores);

	spin_lock(&chan->fence_lock);
	list_for_each_entry_safe(f, next, &chan->pending, link) {
		if (f->base.seqno > m->src)
			break;
		list_move_tail(&f->link, &done);
	}
	spin_unlock(&chan->fence_lock);

	list_for_each_entry_safe(f, next, &done, link) {
		list_del(&f->link);
		if (error)
			dma_fence_set_error(&f->base, error);
		dma_fence_signal(&f->base);
		dma_fence_put(&f->base);	/* The pending list's */
	}
}

/* Engine: one method of any kind. */
static void simgpu_chan_exec(struct simgpu_chan *chan,
			     const struct simgpu_chan_method *m)
{
	switch (m->method) {
	case SIMGPU_CHAN_METHOD_COPY:
		simgpu_chan_exec_copy(chan, m);
		break;
	case SIMGPU_CHAN_METHOD_SEMAPHORE_RELEASE:
		simgpu_chan_exec_release(chan, m);
		break;
	}
}

/*
 * The engine: fetch and execute up to GP_PUT. A slot is free as soon as
 * its method is fetched, as a GPFIFO entry is: GP_GET moves before the
 * method runs, so a fence that signalled implies GP_GET is past it.
 */
static void simgpu_chan_work(struct work_struct *work)
{
	struct simgpu_chan *chan = container_of(work, struct simgpu_chan, work);
	bool cookie = dma_fence_begin_signalling();
	unsigned long get = chan->gp_get;
	struct simgpu_chan_method m;

	/* Pairs with smp_store_release() in simgpu_chan_kick() */
	while (get != smp_load_acquire(&chan->gp_put)) {
		m = chan->ring[get % chan->entries];
		/* Pairs with smp_load_acquire() in simgpu_chan_space() */
		smp_store_release(&chan->gp_get, ++get);
		wake_up_all(&chan->space);
		simgpu_chan_exec(chan, &m);
		cond_resched();
	}
	dma_fence_end_signalling(cookie);
}

/* Is there a free ring slot? GP_GET is the engine's, read with acquire. */
static bool simgpu_chan_space(struct simgpu_chan *chan)
{
	/* Pairs with smp_store_release() in simgpu_chan_work() */
	return chan->cur - smp_load_acquire(&chan->gp_get) < chan->entries;
}

/* Has the engine fetched everything kicked? (Running it: flush_work()) */
static bool simgpu_chan_idle(struct simgpu_chan *chan)
{
	/* Pairs with smp_store_release() in simgpu_chan_work() */
	return smp_load_acquire(&chan->gp_get) == READ_ONCE(chan->gp_put);
}

/*
 * The next free slot, waiting for the engine when the ring is full. The
 * wait is not killable: the engine depends on nothing but the CPU, so it
 * ends, and a submitter that gave up half way would leave copies in the
 * ring without the fence its caller must wait for.
 */
static struct simgpu_chan_method *simgpu_chan_reserve(struct simgpu_chan *chan)
{
	lockdep_assert_held(&chan->lock);
	if (!simgpu_chan_space(chan)) {
		atomic64_inc(&chan->stats.ring_waits);
		/* The engine frees only slots it was told about */
		simgpu_chan_kick(chan);
		wait_event(chan->space, simgpu_chan_space(chan));
	}
	return &chan->ring[chan->cur % chan->entries];
}

/**
 * simgpu_chan_lock() - Become the channel's submitter
 * @chan: The channel
 *
 * Pushes, fence emits and kicks of one submission happen under the lock,
 * so a submission's methods are contiguous in the ring and the failure of
 * one of its copies is reported on its own fence.
 *
 * Context: Process context; see &simgpu_chan.lock for what may be held.
 */
void simgpu_chan_lock(struct simgpu_chan *chan)
{
	mutex_lock(&chan->lock);
}
EXPORT_SYMBOL_GPL(simgpu_chan_lock);

/**
 * simgpu_chan_unlock() - Let the next submitter in
 * @chan: The channel, locked by simgpu_chan_lock()
 */
void simgpu_chan_unlock(struct simgpu_chan *chan)
{
	mutex_unlock(&chan->lock);
}
EXPORT_SYMBOL_GPL(simgpu_chan_unlock);

/**
 * simgpu_chan_push_copy() - Push a COPY method
 * @chan: The channel, locked by simgpu_chan_lock()
 * @dst: Destination: VRAM device address or DMA address, page aligned
 * @src: Source, the same kinds
 * @npages: Pages to copy, at least one
 *
 * The engine sees the method after the next simgpu_chan_kick(). When the
 * ring is full this kicks and waits for the engine to free a slot.
 *
 * Context: Process context, may sleep; &simgpu_chan.lock held.
 *
 * Return: 0, or -EINVAL when either span is not whole VRAM of a device or
 * system memory (nothing is pushed).
 */
int simgpu_chan_push_copy(struct simgpu_chan *chan, u64 dst, u64 src,
			  u32 npages)
{
	lockdep_assert_held(&chan->lock);
	if (!simgpu_chan_addr_valid(chan, dst, npages) ||
	    !simgpu_chan_addr_valid(chan, src, npages))
		return -EINVAL;
	__simgpu_chan_push_copy(chan, dst, src, npages);
	return 0;
}
EXPORT_SYMBOL_GPL(simgpu_chan_push_copy);

/*
 * simgpu_chan_push_copy() for a caller that checked both spans with
 * simgpu_chan_addr_valid() already: simgpu_copy_submit() checks every
 * page before it takes the lock, and a second check per page under the
 * lock was a twentieth of a migration in make bench's profile.
 */
void __simgpu_chan_push_copy(struct simgpu_chan *chan, u64 dst, u64 src,
			     u32 npages)
{
	struct simgpu_chan_method *m;

	lockdep_assert_held(&chan->lock);
	m = simgpu_chan_reserve(chan);
	m->method = SIMGPU_CHAN_METHOD_COPY;
	m->npages = npages;
	m->src = src;
	m->dst = dst;
	chan->cur++;
}

static const char *simgpu_chan_driver_name(struct dma_fence *fence)
{
	return "simgpu";
}

static const char *simgpu_chan_timeline_name(struct dma_fence *fence)
{
	return "copy-chan";
}

/* No release op: dma_fence_free() frees the whole simgpu_chan_fence. */
static const struct dma_fence_ops simgpu_chan_fence_ops = {
	.get_driver_name = simgpu_chan_driver_name,
	.get_timeline_name = simgpu_chan_timeline_name,
};

/**
 * simgpu_chan_fence_alloc() - Allocate a fence for simgpu_chan_fence_emit()
 *
 * Called before the submission takes the channel lock, like nouveau's
 * fence allocation before its push: the emit that follows the copies must
 * not fail.
 *
 * Context: Process context, GFP_KERNEL.
 *
 * Return: the fence, or NULL without memory.
 */
struct simgpu_chan_fence *simgpu_chan_fence_alloc(void)
{
	BUILD_BUG_ON(offsetof(struct simgpu_chan_fence, base));
	return kzalloc(sizeof(struct simgpu_chan_fence), GFP_KERNEL);
}
EXPORT_SYMBOL_GPL(simgpu_chan_fence_alloc);

/**
 * simgpu_chan_fence_free() - Free a fence that was never emitted
 * @f: From simgpu_chan_fence_alloc(), or NULL
 */
void simgpu_chan_fence_free(struct simgpu_chan_fence *f)
{
	kfree(f);
}
EXPORT_SYMBOL_GPL(simgpu_chan_fence_free);

/**
 * simgpu_chan_fence_emit() - Push a SEMAPHORE_RELEASE and get its fence
 * @chan: The channel, locked by simgpu_chan_lock()
 * @f: From simgpu_chan_fence_alloc(); consumed
 *
 * The fence signals when the engine executes the release, that is after
 * every method pushed before it; with -EIO when a COPY method since the
 * previous release failed. Like a push, the engine sees it after the next
 * kick, and a full ring makes this wait.
 *
 * Context: Process context, may sleep; &simgpu_chan.lock held.
 *
 * Return: the fence, one reference for the caller.
 */
struct dma_fence *simgpu_chan_fence_emit(struct simgpu_chan *chan,
					 struct simgpu_chan_fence *f)
{
	struct simgpu_chan_method *m;

	lockdep_assert_held(&chan->lock);
	m = simgpu_chan_reserve(chan);
	spin_lock_init(&f->lock);
	dma_fence_init(&f->base, &simgpu_chan_fence_ops, &f->lock,
		       chan->context, ++chan->seqno);
	dma_fence_get(&f->base);	/* The pending list's */
	spin_lock(&chan->fence_lock);
	list_add_tail(&f->link, &chan->pending);
	spin_unlock(&chan->fence_lock);

	m->method = SIMGPU_CHAN_METHOD_SEMAPHORE_RELEASE;
	m->npages = 0;
	m->src = chan->seqno;
	m->dst = 0;
	chan->cur++;
	return &f->base;
}
EXPORT_SYMBOL_GPL(simgpu_chan_fence_emit);

/**
 * simgpu_chan_kick() - Ring the doorbell
 * @chan: The channel, locked by simgpu_chan_lock()
 *
 * Publishes GP_PUT: the engine executes every method pushed so far.
 *
 * Context: Process context; &simgpu_chan.lock held.
 */
void simgpu_chan_kick(struct simgpu_chan *chan)
{
	lockdep_assert_held(&chan->lock);
	/* The methods first; pairs with smp_load_acquire() in the worker */
	smp_store_release(&chan->gp_put, chan->cur);
	queue_work(chan->sdev->copy_wq, &chan->work);
}
EXPORT_SYMBOL_GPL(simgpu_chan_kick);

/**
 * simgpu_chan_stats() - Snapshot of a channel's counters
 * @chan: The channel
 * @st: Filled in
 *
 * Context: Any context; counters are read without a lock, each on its own.
 */
void simgpu_chan_stats(struct simgpu_chan *chan, struct simgpu_chan_stats *st)
{
	st->entries = chan->entries;
	st->copy_methods = atomic64_read(&chan->stats.copy_methods);
	st->semaphores = atomic64_read(&chan->stats.semaphores);
	st->ring_waits = atomic64_read(&chan->stats.ring_waits);
	/* Pairs with smp_store_release() in the worker */
	st->gp_get = smp_load_acquire(&chan->gp_get);
	/* Pairs with smp_store_release() in simgpu_chan_kick() */
	st->gp_put = smp_load_acquire(&chan->gp_put);
}
EXPORT_SYMBOL_GPL(simgpu_chan_stats);

/*
 * Teach lockdep that reclaim may take the submitter's lock: then anything
 * that allocates under it is reported at once, and the channel stays
 * usable by a copy on a reclaim path (an eviction from a shrinker).
 */
static void simgpu_chan_lockdep_prime(struct simgpu_chan *chan)
{
	if (!IS_ENABLED(CONFIG_LOCKDEP))
		return;
	fs_reclaim_acquire(GFP_KERNEL);
	might_lock(&chan->lock);
	fs_reclaim_release(GFP_KERNEL);
}

/**
 * simgpu_chan_create() - Create a copy channel on a device
 * @sdev: The device whose copy engine runs it
 * @entries: Ring entries, 1 to %SIMGPU_CHAN_MAX_ENTRIES
 *
 * Context: Process context.
 *
 * Return: the channel, ERR_PTR(-EINVAL) for a bad @entries, or
 * ERR_PTR(-ENOMEM).
 */
struct simgpu_chan *simgpu_chan_create(struct simgpu_device *sdev,
				       unsigned int entries)
{
	struct simgpu_chan *chan;

	if (!entries || entries > SIMGPU_CHAN_MAX_ENTRIES)
		return ERR_PTR(-EINVAL);
	chan = kzalloc(sizeof(*chan), GFP_KERNEL);
	if (!chan)
		return ERR_PTR(-ENOMEM);
	chan->ring = kvcalloc(entries, sizeof(*chan->ring), GFP_KERNEL);
	if (!chan->ring) {
		kfree(chan);
		return ERR_PTR(-ENOMEM);
	}
	chan->sdev = sdev;
	chan->entries = entries;
	mutex_init(&chan->lock);
	init_waitqueue_head(&chan->space);
	INIT_WORK(&chan->work, simgpu_chan_work);
	spin_lock_init(&chan->fence_lock);
	INIT_LIST_HEAD(&chan->pending);
	chan->context = dma_fence_context_alloc(1);
	simgpu_chan_lockdep_prime(chan);
	return chan;
}
EXPORT_SYMBOL_GPL(simgpu_chan_create);

/**
 * simgpu_chan_destroy() - Drain and free a channel
 * @chan: The channel; no submitter may use it any more
 *
 * Kicks what was pushed, waits until the engine fetched every method
 * (GP_GET == GP_PUT) and ran the last one (flush_work()), so every
 * emitted fence has signalled, then frees the channel. Fences stay valid for their holders.
 *
 * Context: Process context, may sleep.
 */
void simgpu_chan_destroy(struct simgpu_chan *chan)
{
	simgpu_chan_lock(chan);
	simgpu_chan_kick(chan);
	simgpu_chan_unlock(chan);
	wait_event(chan->space, simgpu_chan_idle(chan));
	/* The worker may still be between its last method and its return */
	flush_work(&chan->work);
	WARN_ON(!list_empty(&chan->pending));
	mutex_destroy(&chan->lock);
	kvfree(chan->ring);
	kfree(chan);
}
EXPORT_SYMBOL_GPL(simgpu_chan_destroy);

/**
 * simgpu_kernel_chan() - The device's kernel copy channel
 * @sdev: The device
 *
 * Created at probe, shared by everything that migrates through the
 * device's &drm_pagemap (every glue): simgpu_copy_submit() is its only
 * submitter. Glues read its counters with simgpu_chan_stats().
 *
 * Return: the channel, valid while the device exists.
 */
struct simgpu_chan *simgpu_kernel_chan(struct simgpu_device *sdev)
{
	return sdev->chan;
}
EXPORT_SYMBOL_GPL(simgpu_kernel_chan);
