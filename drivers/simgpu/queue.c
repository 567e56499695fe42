// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/dma-fence.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "simgpu_internal.h"

/**
 * DOC: User queues
 *
 * A user-mode queue is a ring of packets in memory shared with user space,
 * as on GPUs whose user-mode drivers submit without the kernel. Page 0 of
 * the queue is the control page (&struct simgpu_queue_ctl: the write
 * pointer user space bumps, the read and done pointers the device
 * writes), pages 1.. are the ring of &struct simgpu_queue_packet slots.
 * The glue maps these pages into the process (simgpu_queue_page()); user
 * space writes a packet into slot ``wptr % npackets`` and then bumps
 * ``wptr`` with a release store. No ioctl is involved.
 *
 * The device notices new packets by polling: a queue's worker looks at
 * ``wptr`` every ``queue_poll_us`` microseconds (at least a jiffy) while
 * the queue is idle, and at once when the packet in flight retires. A
 * doorbell would need an ioctl or a trapped page write per submission;
 * polling keeps submission free of the kernel, which is the point.
 *
 * The queue runs one packet at a time, in order: it copies the packet out
 * of the shared page (user space may scribble on it meanwhile; only the
 * copy is used and checked), turns its operations into an exec engine job
 * in the queue's address space and submits it. When the job retires, the
 * device writes the job's status and load sum into the packet's slot and
 * then advances ``done`` (release), so user space reading ``done`` sees
 * the write-back. A packet with a bad operation count or operation retires
 * with -EINVAL without running. A ``wptr`` more than a ring ahead of
 * ``rptr`` is garbage: the queue stops with -EINVAL in ``error``.
 *
 * Suspending a queue (simgpu_queue_suspend()) stops fetching; it never
 * sleeps, so a glue can suspend from its invalidate op. A packet is
 * consumed (``rptr`` advanced) under the queue's lock after checking the
 * suspend flag, so no packet is fetched after the suspend returns. The
 * packet in flight is not waited for: it stalls at the first page whose
 * translation the glue zapped (or at the first access, if the glue
 * detaches its tables and flushes the TLB), where a glue that evicts parks
 * it until the restore, which is how the hardware preempts at a page
 * boundary. simgpu_queue_resume() fetches again.
 *
 * Locking: &simgpu_queue.lock (a spinlock, innermost, nothing nested)
 * protects the suspend and dead flags and the advance of ``rptr``. The job
 * in flight and the pointers are otherwise the worker's alone; the worker
 * is one work item, so it never runs twice at once.
 */

static unsigned int queue_poll_us = 1000;
module_param(queue_poll_us, uint, 0644);
MODULE_PARM_DESC(queue_poll_us,
		 "How often an idle user queue looks at its write pointer, in us (default 1000)");

/* Packets per ring page: a packet never crosses a page. */
#define SIMGPU_QUEUE_PER_PAGE	(PAGE_SIZE / sizeof(struct simgpu_queue_packet))

static_assert(sizeof(struct simgpu_queue_packet) == 256);
static_assert(sizeof(struct simgpu_queue_ctl) <= PAGE_SIZE);

static struct simgpu_queue_ctl *simgpu_queue_ctl(struct simgpu_queue *q)
{
	return page_address(q->pages[0]);
}

static struct simgpu_queue_packet *simgpu_queue_slot(struct simgpu_queue *q,
						     u64 index)
{
	u64 i = index % q->npackets;
	struct simgpu_queue_packet *p = page_address(q->pages[1 + i / SIMGPU_QUEUE_PER_PAGE]);

	return p + i % SIMGPU_QUEUE_PER_PAGE;
}

static void simgpu_queue_kick(struct simgpu_queue *q, unsigned long delay)
{
	mod_delayed_work(system_unbound_wq, &q->work, delay);
}

/* The fence callback of the job in flight: look at the ring again now. */
static void simgpu_queue_job_done(struct dma_fence *fence,
				  struct dma_fence_cb *cb)
{
	struct simgpu_queue *q = container_of(cb, struct simgpu_queue, cb);

	simgpu_queue_kick(q, 0);
}

/* Write a retired packet's status and sum back, then move done past it. */
static void simgpu_queue_complete(struct simgpu_queue *q, int status,
				  u64 result)
{
	struct simgpu_queue_ctl *ctl = simgpu_queue_ctl(q);
	struct simgpu_queue_packet *p = simgpu_queue_slot(q, q->done);

	WRITE_ONCE(p->status, status);
	WRITE_ONCE(p->result, result);
	if (status)
		WRITE_ONCE(ctl->errors, READ_ONCE(ctl->errors) + 1);
	q->done++;
	/* Pairs with the user's acquire load of done */
	smp_store_release(&ctl->done, q->done);
	wake_up_all(&q->wait);
}

/* Retire the job in flight if it signalled; true when none is in flight. */
static bool simgpu_queue_reap(struct simgpu_queue *q)
{
	struct simgpu_job *job = q->job;

	if (!job)
		return true;
	if (!dma_fence_is_signaled(&job->fence))
		return false;
	/* The engine wrote the sum before signalling */
	smp_rmb();
	simgpu_queue_complete(q, min(dma_fence_get_status(&job->fence), 0),
			      job->result);
	q->job = NULL;
	simgpu_job_put(job);
	return true;
}

/* The copied packet as a job, or ERR_PTR(): not submitted yet. */
static struct simgpu_job *simgpu_queue_job(struct simgpu_queue *q,
					   const struct simgpu_queue_packet *pkt)
{
	if (!pkt->nops || pkt->nops > SIMGPU_QUEUE_PACKET_OPS || pkt->flags)
		return ERR_PTR(-EINVAL);
	return simgpu_job_create(q->as, pkt->ops, pkt->nops);
}

/*
 * Consume the packet at rptr unless the queue was suspended or killed
 * meanwhile: under @q->lock, so a packet is either fetched before
 * simgpu_queue_suspend() returns or not at all until the resume.
 */
static bool simgpu_queue_commit(struct simgpu_queue *q)
{
	bool ok;

	spin_lock(&q->lock);
	ok = !q->suspended && !q->dead;
	if (ok) {
		q->rptr++;
		WRITE_ONCE(simgpu_queue_ctl(q)->rptr, q->rptr);
	}
	spin_unlock(&q->lock);
	return ok;
}

/* Submit a committed packet's job. */
static void simgpu_queue_submit(struct simgpu_queue *q, struct simgpu_job *job)
{
	q->job = job;
	atomic64_inc(&q->stats.packets);
	simgpu_job_submit(job);
	if (dma_fence_add_callback(&job->fence, &q->cb, simgpu_queue_job_done))
		simgpu_queue_kick(q, 0);	/* Retired already */
}

/* Fetch the next packet if there is one; true when one was fetched. */
static bool simgpu_queue_fetch(struct simgpu_queue *q)
{
	struct simgpu_queue_ctl *ctl = simgpu_queue_ctl(q);
	struct simgpu_queue_packet pkt;
	struct simgpu_job *job;
	u64 wptr;

	/* Pairs with the user's release store after writing the packet */
	wptr = smp_load_acquire(&ctl->wptr);
	if (wptr == q->rptr)
		return false;
	if (wptr - q->rptr > q->npackets) {
		WRITE_ONCE(ctl->error, -EINVAL);
		WRITE_ONCE(q->error, -EINVAL);
		wake_up_all(&q->wait);
		return false;
	}
	memcpy(&pkt, simgpu_queue_slot(q, q->rptr), sizeof(pkt));
	job = simgpu_queue_job(q, &pkt);
	if (!simgpu_queue_commit(q)) {
		/* Suspended meanwhile: the resume fetches it again */
		if (!IS_ERR(job))
			simgpu_job_put(job);
		return false;
	}
	if (IS_ERR(job)) {
		atomic64_inc(&q->stats.bad_packets);
		simgpu_queue_complete(q, PTR_ERR(job), 0);
	} else {
		simgpu_queue_submit(q, job);
	}
	return true;
}

static bool simgpu_queue_may_fetch(struct simgpu_queue *q)
{
	bool ok;

	spin_lock(&q->lock);
	ok = !q->suspended && !q->dead;
	spin_unlock(&q->lock);
	return ok && !q->error;
}

/* The polling period, at least a jiffy. */
static unsigned long simgpu_queue_poll_delay(void)
{
	return max(usecs_to_jiffies(READ_ONCE(queue_poll_us)), 1UL);
}

static void simgpu_queue_work(struct work_struct *work)
{
	struct simgpu_queue *q = container_of(to_delayed_work(work),
					      struct simgpu_queue, work);

	while (simgpu_queue_reap(q)) {
		/* A resume kicks us again */
		if (!simgpu_queue_may_fetch(q))
			return;
		if (!simgpu_queue_fetch(q)) {
			if (!q->error)
				simgpu_queue_kick(q, simgpu_queue_poll_delay());
			return;
		}
		cond_resched();
	}
	/* In flight: the fence callback kicks us */
}

static void simgpu_queue_free_pages(struct simgpu_queue *q)
{
	unsigned int i;

	for (i = 0; i < q->npages; i++)
		if (q->pages[i])
			__free_page(q->pages[i]);
	kfree(q->pages);
}

/**
 * simgpu_queue_create() - Create a user-mode queue
 * @as: The address space its packets run in; must outlive the queue
 * @ring_pages: Pages of packets, 1 to %SIMGPU_QUEUE_MAX_RING_PAGES
 *
 * The queue starts running: it polls its write pointer at once. The pages
 * (simgpu_queue_npages() of them, zeroed) are the queue's; the glue maps
 * them into the process with simgpu_queue_page().
 *
 * Context: Process context.
 *
 * Return: the queue, ERR_PTR(-EINVAL) for a bad size, ERR_PTR(-ENOMEM).
 */
struct simgpu_queue *simgpu_queue_create(struct simgpu_as *as,
					 unsigned int ring_pages)
{
	struct simgpu_queue *q;
	unsigned int i;

	if (!ring_pages || ring_pages > SIMGPU_QUEUE_MAX_RING_PAGES)
		return ERR_PTR(-EINVAL);
	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return ERR_PTR(-ENOMEM);
	q->npages = 1 + ring_pages;
	q->pages = kcalloc(q->npages, sizeof(*q->pages), GFP_KERNEL);
	if (!q->pages)
		goto err_free;
	for (i = 0; i < q->npages; i++) {
		q->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!q->pages[i])
			goto err_pages;
	}
	q->as = as;
	q->npackets = ring_pages * SIMGPU_QUEUE_PER_PAGE;
	spin_lock_init(&q->lock);
	init_waitqueue_head(&q->wait);
	INIT_DELAYED_WORK(&q->work, simgpu_queue_work);
	simgpu_queue_kick(q, 0);
	return q;

err_pages:
	simgpu_queue_free_pages(q);
err_free:
	kfree(q);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_GPL(simgpu_queue_create);

/**
 * simgpu_queue_destroy() - Stop a queue and free it
 * @q: The queue, or NULL
 *
 * The packet in flight is cancelled with -ECANCELED. Pages still mapped
 * into a process stay allocated until unmapped (the mapping holds page
 * references); the device no longer reads or writes them.
 *
 * Context: Process context.
 */
void simgpu_queue_destroy(struct simgpu_queue *q)
{
	if (!q)
		return;
	spin_lock(&q->lock);
	q->dead = true;
	spin_unlock(&q->lock);
	disable_delayed_work_sync(&q->work);
	if (q->job) {
		/* After this the callback is not running and never will */
		dma_fence_remove_callback(&q->job->fence, &q->cb);
		simgpu_job_cancel(q->job, -ECANCELED);
		simgpu_job_put(q->job);
		q->job = NULL;
	}
	wake_up_all(&q->wait);
	simgpu_queue_free_pages(q);
	kfree(q);
}
EXPORT_SYMBOL_GPL(simgpu_queue_destroy);

/**
 * simgpu_queue_npages() - Pages of a queue: the control page and the ring
 * @q: The queue
 *
 * Return: 1 + the ring pages.
 */
unsigned int simgpu_queue_npages(const struct simgpu_queue *q)
{
	return q->npages;
}
EXPORT_SYMBOL_GPL(simgpu_queue_npages);

/**
 * simgpu_queue_npackets() - Packet slots of a queue's ring
 * @q: The queue
 *
 * Return: the number of slots.
 */
unsigned int simgpu_queue_npackets(const struct simgpu_queue *q)
{
	return q->npackets;
}
EXPORT_SYMBOL_GPL(simgpu_queue_npackets);

/**
 * simgpu_queue_page() - A page of a queue, to map into a process
 * @q: The queue
 * @index: 0 for the control page, 1.. for the ring
 *
 * Return: the page, or NULL past the end.
 */
struct page *simgpu_queue_page(struct simgpu_queue *q, unsigned int index)
{
	return index < q->npages ? q->pages[index] : NULL;
}
EXPORT_SYMBOL_GPL(simgpu_queue_page);

/**
 * simgpu_queue_suspend() - Stop fetching packets
 * @q: The queue
 *
 * See DOC: User queues. Nesting is not counted: one resume undoes any
 * number of suspends.
 *
 * Context: Any context but IRQ; does not sleep or allocate, so a glue may
 * call it from its invalidate op or a fence signalling section.
 */
void simgpu_queue_suspend(struct simgpu_queue *q)
{
	spin_lock(&q->lock);
	if (!q->suspended)
		atomic64_inc(&q->stats.suspends);
	q->suspended = true;
	spin_unlock(&q->lock);
}
EXPORT_SYMBOL_GPL(simgpu_queue_suspend);

/**
 * simgpu_queue_resume() - Fetch packets again
 * @q: The queue
 *
 * Context: Any context but IRQ; does not sleep.
 */
void simgpu_queue_resume(struct simgpu_queue *q)
{
	spin_lock(&q->lock);
	q->suspended = false;
	spin_unlock(&q->lock);
	simgpu_queue_kick(q, 0);
}
EXPORT_SYMBOL_GPL(simgpu_queue_resume);

/**
 * simgpu_queue_suspended() - Is a queue suspended?
 * @q: The queue
 *
 * Return: true between simgpu_queue_suspend() and simgpu_queue_resume().
 */
bool simgpu_queue_suspended(struct simgpu_queue *q)
{
	bool s;

	spin_lock(&q->lock);
	s = q->suspended;
	spin_unlock(&q->lock);
	return s;
}
EXPORT_SYMBOL_GPL(simgpu_queue_suspended);

/* Has done reached @seqno, or is the queue gone or broken? */
static bool simgpu_queue_reached(struct simgpu_queue *q, u64 seqno)
{
	struct simgpu_queue_ctl *ctl = simgpu_queue_ctl(q);

	/* Pairs with the release in simgpu_queue_complete() */
	return smp_load_acquire(&ctl->done) >= seqno || READ_ONCE(q->error) ||
	       READ_ONCE(q->dead);
}

/**
 * simgpu_queue_wait() - Wait until a number of packets retired
 * @q: The queue
 * @seqno: Wait until the done pointer reaches it
 * @timeout: In jiffies, or MAX_SCHEDULE_TIMEOUT
 *
 * For user space that would rather sleep than poll the done pointer.
 *
 * Context: Process context; interruptible.
 *
 * Return: 0; -ETIME on timeout; -ERESTARTSYS on a signal; the queue's
 * error (-EINVAL) if it stopped on a bad write pointer.
 */
int simgpu_queue_wait(struct simgpu_queue *q, u64 seqno, long timeout)
{
	long ret;

	ret = wait_event_interruptible_timeout(q->wait,
					       simgpu_queue_reached(q, seqno),
					       timeout);
	if (ret < 0)
		return ret;
	/* Pairs with the release in simgpu_queue_complete() */
	if (smp_load_acquire(&simgpu_queue_ctl(q)->done) >= seqno)
		return 0;
	return READ_ONCE(q->error) ?: -ETIME;
}
EXPORT_SYMBOL_GPL(simgpu_queue_wait);
