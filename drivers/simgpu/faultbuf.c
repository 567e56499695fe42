// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "simgpu_internal.h"

/**
 * DOC: Fault buffer
 *
 * The nouveau model of GPU faults (NVIDIA Pascal and later): the MMU does
 * not call the driver per fault, it writes a fault packet (VA, access
 * type, instance block of the faulting context, the unit that faulted, a
 * timestamp) into a ring in memory, the *replayable fault buffer*, bumps
 * the PUT pointer and raises an interrupt. The faulting unit stalls. The
 * driver reads entries from GET to PUT in batches, writes GET back,
 * services them, and then issues one *replay* that restarts every stalled
 * access on the GPU, or *cancels* single faulted accesses (targeted by
 * instance and unit), which kills their work. A replayed access that
 * still has no translation faults again and writes a new entry.
 *
 * simgpu models exactly that per device. A glue enables the buffer with
 * simgpu_faultbuf_enable() (it chooses the size, as the driver allocates
 * the buffer memory on real hardware) and attaches address spaces with an
 * instance id (simgpu_faultbuf_attach()). A job of an attached address
 * space that faults stalls as usual and, while &simgpu_as.lock still
 * pins it, gets an entry (&struct simgpu_fault_entry) whose @job field is
 * the job's id (its fence context, unique) rather than a pointer: the
 * entry may outlive the job. The exec engine then calls the glue's
 * interrupt callback, from its worker with no simgpu lock held.
 *
 * Overflow: when PUT would reach GET the entry is dropped, the overflow
 * flag is set and the interrupt raised anyway. The hardware behaves the
 * same way: the packet is lost (NV_PFB_PRI_MMU_FAULT_STATUS reports the
 * overflow) while the unit stays stalled, so nothing is lost for good as
 * long as the driver replays after it drained the buffer:
 * nvidia-uvm clears the overflow and replays, nouveau replays after
 * every batch anyway. simgpu_faultbuf_overflow_clear() reads and clears
 * the flag; simgpu_faultbuf_replay() restarts every stalled job of every
 * attached address space of the device, those whose entries were dropped
 * included, and they fault again into a buffer that has room now.
 *
 * The interrupt can be masked from debugfs (``simgpu/<index>/
 * faultbuf_irq_mask``, 1 masks, 0 unmasks and delivers one interrupt) so
 * that a test can fill the buffer deterministically before the glue
 * looks at it, as a driver sees on a busy GPU.
 *
 * Locking: &simgpu_faultbuf.lock (the ring, a spinlock) is taken inside
 * &simgpu_as.lock when posting and on its own when reading.
 * &simgpu_faultbuf.as_lock protects the list of attached address spaces
 * and ranks above &simgpu_as.lock: a replay walks the list and each
 * address space's jobs under both. The glue issues replays and cancels
 * from one place (its fault worker), as a driver owns the hardware's
 * replay register, so a cancel never races a replay of its own job.
 */

/**
 * struct simgpu_faultbuf - One device's replayable fault buffer
 */
struct simgpu_faultbuf {
	/** @sdev: The device */
	struct simgpu_device *sdev;
	/** @lock: Protects the ring: @get, @put, @ring, @overflow */
	spinlock_t lock;
	/** @ring: @entries entries */
	struct simgpu_fault_entry *ring;
	/** @entries: Size of @ring, a power of two */
	u32 entries;
	/** @get: Next entry to read; free running, under @lock */
	u32 get;
	/** @put: Next entry to write; free running, under @lock */
	u32 put;
	/** @overflow: An entry was dropped since the last clear; @lock */
	bool overflow;
	/** @irq_masked: Interrupts are held back (debugfs); READ_ONCE */
	bool irq_masked;
	/** @irq: The glue's interrupt handler; must not sleep */
	void (*irq)(void *data);
	/** @data: Its argument */
	void *data;
	/** @as_lock: Protects @as_list; above &simgpu_as.lock */
	spinlock_t as_lock;
	/** @as_list: Attached address spaces, by &simgpu_as.fault_link */
	struct list_head as_list;
	/** @debugfs: The irq mask file */
	struct dentry *debugfs;
	/** @stats: Counters */
	struct simgpu_faultbuf_stats stats;
};

/* Serialises enable and disable of every device's buffer. */
static DEFINE_MUTEX(simgpu_faultbuf_mutex);

/**
 * simgpu_faultbuf_post_locked() - Write the entry of a stalling job
 * @as: The job's address space, &simgpu_as.lock held
 * @rec: The fault record; its job is stalled and cannot retire meanwhile
 *
 * Does nothing for an address space that is not attached.
 */
void simgpu_faultbuf_post_locked(struct simgpu_as *as,
				 const struct simgpu_fault *rec)
{
	struct simgpu_faultbuf *fb = as->faultbuf;
	struct simgpu_fault_entry *e;

	lockdep_assert_held(&as->lock);
	if (!fb)
		return;
	/* Also when dropped: no older entry may cancel this stall */
	rec->job->stall_ts = ktime_get_ns();
	spin_lock(&fb->lock);
	if (fb->put - fb->get >= fb->entries) {
		fb->overflow = true;
		atomic64_inc(&fb->stats.dropped);
	} else {
		e = &fb->ring[fb->put & (fb->entries - 1)];
		*e = (struct simgpu_fault_entry) {
			.va = rec->va,
			.timestamp = rec->job->stall_ts,
			.job = rec->job->fence.context,
			.instance = as->fault_instance,
			.access = rec->access,
			.not_present = rec->not_present,
		};
		fb->put++;
		atomic64_inc(&fb->stats.posted);
	}
	spin_unlock(&fb->lock);
}

/* Raise the interrupt unless it is masked. */
static void simgpu_faultbuf_irq(struct simgpu_faultbuf *fb)
{
	if (READ_ONCE(fb->irq_masked))
		return;
	atomic64_inc(&fb->stats.interrupts);
	fb->irq(fb->data);
}

/**
 * simgpu_fault_report() - Tell the glue a job stalled
 * @as: The job's address space
 * @rec: The fault record
 *
 * The interrupt of the fault buffer the entry went to, or the address
 * space's fault op. Called by the exec engine's worker, no lock held.
 */
void simgpu_fault_report(struct simgpu_as *as, const struct simgpu_fault *rec)
{
	if (as->faultbuf)
		simgpu_faultbuf_irq(as->faultbuf);
	else
		as->ops->fault(as, rec);
}

static int simgpu_faultbuf_mask_get(void *data, u64 *val)
{
	struct simgpu_faultbuf *fb = data;

	*val = READ_ONCE(fb->irq_masked);
	return 0;
}

/* Unmasking delivers the interrupt the masked entries would have raised. */
static int simgpu_faultbuf_mask_set(void *data, u64 val)
{
	struct simgpu_faultbuf *fb = data;

	WRITE_ONCE(fb->irq_masked, !!val);
	if (!val)
		simgpu_faultbuf_irq(fb);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(simgpu_faultbuf_mask_fops, simgpu_faultbuf_mask_get,
			 simgpu_faultbuf_mask_set, "%llu\n");

/**
 * simgpu_faultbuf_enable() - Give a device a fault buffer
 * @sdev: The device
 * @entries: Ring size, a power of two from 4 to 65536
 * @irq: Interrupt handler, called from the exec engine's workers (process
 *	context, no simgpu lock held) and from debugfs; must not sleep
 *	long, typically queues a work item
 * @data: Argument of @irq
 *
 * Context: Process context.
 *
 * Return: 0; -EINVAL for a bad size; -EBUSY when the device has one
 * already (one glue owns it); -ENOMEM.
 */
int simgpu_faultbuf_enable(struct simgpu_device *sdev, unsigned int entries,
			   void (*irq)(void *data), void *data)
{
	struct simgpu_faultbuf *fb;
	int err = 0;

	if (entries < 4 || entries > SZ_64K || !is_power_of_2(entries) || !irq)
		return -EINVAL;
	fb = kzalloc(sizeof(*fb), GFP_KERNEL);
	if (!fb)
		return -ENOMEM;
	fb->ring = kvcalloc(entries, sizeof(*fb->ring), GFP_KERNEL);
	if (!fb->ring) {
		kfree(fb);
		return -ENOMEM;
	}
	fb->sdev = sdev;
	fb->entries = entries;
	fb->irq = irq;
	fb->data = data;
	spin_lock_init(&fb->lock);
	spin_lock_init(&fb->as_lock);
	INIT_LIST_HEAD(&fb->as_list);

	mutex_lock(&simgpu_faultbuf_mutex);
	if (sdev->faultbuf) {
		err = -EBUSY;
	} else {
		sdev->faultbuf = fb;
		fb->debugfs = debugfs_create_file_unsafe("faultbuf_irq_mask",
							 0644, sdev->debugfs, fb,
							 &simgpu_faultbuf_mask_fops);
	}
	mutex_unlock(&simgpu_faultbuf_mutex);
	if (err) {
		kvfree(fb->ring);
		kfree(fb);
	}
	return err;
}
EXPORT_SYMBOL_GPL(simgpu_faultbuf_enable);

/**
 * simgpu_faultbuf_disable() - Remove a device's fault buffer
 * @sdev: The device; every address space was detached
 *
 * Context: Process context; waits for a debugfs write in flight.
 */
void simgpu_faultbuf_disable(struct simgpu_device *sdev)
{
	struct simgpu_faultbuf *fb;

	mutex_lock(&simgpu_faultbuf_mutex);
	fb = sdev->faultbuf;
	sdev->faultbuf = NULL;
	mutex_unlock(&simgpu_faultbuf_mutex);
	if (!fb)
		return;
	debugfs_remove(fb->debugfs);
	WARN_ON(!list_empty(&fb->as_list));
	kvfree(fb->ring);
	kfree(fb);
}
EXPORT_SYMBOL_GPL(simgpu_faultbuf_disable);

/**
 * simgpu_faultbuf_attach() - Report an address space's faults to the buffer
 * @as: The address space, initialised, no job submitted yet
 * @instance: Id written into its entries (the glue's instance block)
 *
 * The device must have a fault buffer (simgpu_faultbuf_enable()).
 *
 * Context: Process context.
 */
void simgpu_faultbuf_attach(struct simgpu_as *as, u32 instance)
{
	struct simgpu_faultbuf *fb = as->sdev->faultbuf;

	if (WARN_ON(!fb || as->faultbuf))
		return;
	as->fault_instance = instance;
	spin_lock(&fb->as_lock);
	list_add_tail(&as->fault_link, &fb->as_list);
	spin_unlock(&fb->as_lock);
	as->faultbuf = fb;
}
EXPORT_SYMBOL_GPL(simgpu_faultbuf_attach);

/**
 * simgpu_faultbuf_detach() - Stop an address space's reporting
 * @as: The address space, after simgpu_as_fini(): no job left
 *
 * Entries it posted may stay in the ring; their jobs are gone, which
 * simgpu_faultbuf_cancel() reports as -ENOENT. Waits for a replay walking
 * the address space.
 *
 * Context: Process context.
 */
void simgpu_faultbuf_detach(struct simgpu_as *as)
{
	struct simgpu_faultbuf *fb = as->faultbuf;

	if (!fb)
		return;
	WARN_ON(!list_empty(&as->jobs));
	spin_lock(&fb->as_lock);
	list_del(&as->fault_link);
	spin_unlock(&fb->as_lock);
	as->faultbuf = NULL;
}
EXPORT_SYMBOL_GPL(simgpu_faultbuf_detach);

/**
 * simgpu_faultbuf_read() - Take entries from GET towards PUT
 * @sdev: The device, with a fault buffer
 * @entries: Where to copy them, oldest first
 * @max: Room in @entries
 *
 * Moves GET past what it copied, which frees the slots.
 *
 * Context: Any context but IRQ.
 *
 * Return: the number of entries copied, 0 when the ring is empty.
 */
unsigned int simgpu_faultbuf_read(struct simgpu_device *sdev,
				  struct simgpu_fault_entry *entries,
				  unsigned int max)
{
	struct simgpu_faultbuf *fb = sdev->faultbuf;
	unsigned int n;

	spin_lock(&fb->lock);
	for (n = 0; n < max && fb->get != fb->put; n++, fb->get++)
		entries[n] = fb->ring[fb->get & (fb->entries - 1)];
	spin_unlock(&fb->lock);
	return n;
}
EXPORT_SYMBOL_GPL(simgpu_faultbuf_read);

/**
 * simgpu_faultbuf_overflow_clear() - Read and clear the overflow flag
 * @sdev: The device, with a fault buffer
 *
 * Context: Any context but IRQ.
 *
 * Return: true when an entry was dropped since the last call: some
 * stalled job has no entry, only a replay restarts it.
 */
bool simgpu_faultbuf_overflow_clear(struct simgpu_device *sdev)
{
	struct simgpu_faultbuf *fb = sdev->faultbuf;
	bool overflow;

	spin_lock(&fb->lock);
	overflow = fb->overflow;
	fb->overflow = false;
	spin_unlock(&fb->lock);
	return overflow;
}
EXPORT_SYMBOL_GPL(simgpu_faultbuf_overflow_clear);

/* Restart the stalled jobs of one address space; returns how many. */
static unsigned int simgpu_faultbuf_replay_as(struct simgpu_as *as)
{
	struct simgpu_job *job;
	unsigned int n = 0;

	spin_lock(&as->lock);
	list_for_each_entry(job, &as->jobs, entry) {
		if (!job->stalled)
			continue;
		/* Not stalled: only the engine retires it, its reference holds */
		job->stalled = false;
		queue_work(as->sdev->exec_wq, &job->work);
		n++;
	}
	spin_unlock(&as->lock);
	return n;
}

/**
 * simgpu_faultbuf_replay() - Replay every stalled access of the device
 * @sdev: The device, with a fault buffer
 *
 * Every stalled job of every attached address space continues with the
 * access that faulted, whether or not its entry was read or dropped.
 *
 * Context: Any context but IRQ; not under &simgpu_as.lock.
 */
void simgpu_faultbuf_replay(struct simgpu_device *sdev)
{
	struct simgpu_faultbuf *fb = sdev->faultbuf;
	struct simgpu_as *as;
	unsigned int n = 0;

	spin_lock(&fb->as_lock);
	list_for_each_entry(as, &fb->as_list, fault_link)
		n += simgpu_faultbuf_replay_as(as);
	spin_unlock(&fb->as_lock);
	atomic64_inc(&fb->stats.replays);
	atomic64_add(n, &fb->stats.replayed);
}
EXPORT_SYMBOL_GPL(simgpu_faultbuf_replay);

/**
 * simgpu_faultbuf_cancel() - Cancel one faulted access
 * @as: The address space of the entry's instance
 * @job: &simgpu_fault_entry.job
 * @timestamp: &simgpu_fault_entry.timestamp
 * @error: Negative errno the job retires with
 *
 * Only a job still stalled on the fault of that entry is cancelled, as
 * the hardware cancels the faulted access, not the unit: one that a
 * replay restarted meanwhile runs on (and faults again if it must), and
 * a stale duplicate entry does not cancel a job that moved on and now
 * stalls on another access.
 *
 * Context: Process context, atomic allowed; not under &simgpu_as.lock.
 *
 * Return: 0, or -ENOENT when no job of @as is stalled on that entry.
 */
int simgpu_faultbuf_cancel(struct simgpu_as *as, u64 job, u64 timestamp,
			   int error)
{
	struct simgpu_job *j, *found = NULL;

	spin_lock(&as->lock);
	list_for_each_entry(j, &as->jobs, entry) {
		if (j->stalled && j->fence.context == job &&
		    j->stall_ts == timestamp) {
			found = simgpu_job_get(j);
			break;
		}
	}
	spin_unlock(&as->lock);
	if (!found)
		return -ENOENT;
	simgpu_job_cancel(found, error);
	simgpu_job_put(found);
	if (as->faultbuf)
		atomic64_inc(&as->faultbuf->stats.cancels);
	return 0;
}
EXPORT_SYMBOL_GPL(simgpu_faultbuf_cancel);

/**
 * simgpu_faultbuf_stats() - Counters of a device's fault buffer
 * @sdev: The device, with a fault buffer
 *
 * Return: the counters, valid until simgpu_faultbuf_disable().
 */
const struct simgpu_faultbuf_stats *
simgpu_faultbuf_stats(struct simgpu_device *sdev)
{
	return &sdev->faultbuf->stats;
}
EXPORT_SYMBOL_GPL(simgpu_faultbuf_stats);

/**
 * simgpu_faultbuf_size() - Entries of a device's fault buffer
 * @sdev: The device, with a fault buffer
 *
 * Return: the ring size given to simgpu_faultbuf_enable().
 */
unsigned int simgpu_faultbuf_size(struct simgpu_device *sdev)
{
	return sdev->faultbuf->entries;
}
EXPORT_SYMBOL_GPL(simgpu_faultbuf_size);
