/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * simgpu: a simulated GPU for the glue drivers. It is hardware, so it holds
 * no policy: it translates through the page tables a glue built, caches
 * translations in a TLB until the glue flushes them, runs jobs until they
 * fault, and copies between DMA addresses and VRAM when told to.
 */

#ifndef __SIMGPU_H__
#define __SIMGPU_H__

#include <linux/bits.h>
#include <linux/dma-fence.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <drm/drm_pagemap.h>

struct device;
struct simgpu_as;
struct simgpu_device;
struct simgpu_job;

/*
 * A device address with this bit set is a VRAM offset of the device that
 * translates it; without it, it is a DMA address of system memory. Never 0:
 * a PTE of all zeroes is "not present".
 */
#define SIMGPU_VRAM_TAG		BIT_ULL(62)

/**
 * enum simgpu_access - What an access needs from a translation
 * @SIMGPU_ACCESS_READ: A load
 * @SIMGPU_ACCESS_WRITE: A store or a non-atomic read-modify-write
 * @SIMGPU_ACCESS_ATOMIC: An atomic read-modify-write: needs a translation
 *	with %SIMGPU_XLATE_ATOMIC (VRAM, or system memory the glue made
 *	device-exclusive)
 */
enum simgpu_access {
	SIMGPU_ACCESS_READ,
	SIMGPU_ACCESS_WRITE,
	SIMGPU_ACCESS_ATOMIC,
};

/* Translation flags, see &struct simgpu_xlate. */
#define SIMGPU_XLATE_VALID	BIT(0)
#define SIMGPU_XLATE_WRITE	BIT(1)
#define SIMGPU_XLATE_ATOMIC	BIT(2)

/**
 * struct simgpu_xlate - One translation, as the page walker returns it
 * @addr: Device address of the first byte of the page (see
 *	%SIMGPU_VRAM_TAG), aligned to 1 << @shift
 * @shift: Page size of the entry: 12, 16 or 21
 * @flags: %SIMGPU_XLATE_VALID, %SIMGPU_XLATE_WRITE, %SIMGPU_XLATE_ATOMIC
 */
struct simgpu_xlate {
	u64 addr;
	unsigned int shift;
	unsigned int flags;
};

/**
 * struct simgpu_fault - A fault record, as the exec engine raises it
 * @job: The stalled job; the glue must call simgpu_job_replay() or
 *	simgpu_job_cancel() on it exactly once. The engine's reference keeps
 *	it alive until then, unless simgpu_as_fini() cancels it first: a
 *	glue that may hold the record past simgpu_as_fini() takes its own
 *	reference with simgpu_job_get()
 * @va: Faulting GPU virtual address (byte granular)
 * @access: What the access needed
 * @not_present: true when no valid translation existed, false when the
 *	translation lacked the permission @access needs
 */
struct simgpu_fault {
	struct simgpu_job *job;
	u64 va;
	enum simgpu_access access;
	bool not_present;
};

/**
 * struct simgpu_as_ops - What the hardware needs from the glue per VM
 */
struct simgpu_as_ops {
	/**
	 * @walk: The page walker, in the glue's page-table format (required)
	 *
	 * Fill @xl for @va and return true, or return false when no valid
	 * entry maps @va. Called on a TLB miss with &simgpu_as.lock held:
	 * must not sleep, allocate or take a sleeping lock. Reads the glue's
	 * page tables with READ_ONCE().
	 */
	bool (*walk)(struct simgpu_as *as, u64 va, struct simgpu_xlate *xl);

	/**
	 * @fault: A job of this VM stalled on a fault (required unless the
	 * address space reports into a fault buffer, simgpu_faultbuf_attach())
	 *
	 * Called from the exec engine's worker, process context, no simgpu
	 * lock held. The glue queues @fault (copy it, the record is on the
	 * engine's stack) and returns; it must not serve it inline, as
	 * serving may need the engine (copies, other jobs).
	 */
	void (*fault)(struct simgpu_as *as, const struct simgpu_fault *fault);
};

#define SIMGPU_TLB_ENTRIES	64

/**
 * struct simgpu_tlb_entry - A cached translation
 * @va: GPU VA of the page the entry maps, aligned to 1 << @xl.shift
 * @xl: The translation
 */
struct simgpu_tlb_entry {
	u64 va;
	struct simgpu_xlate xl;
};

/**
 * struct simgpu_as_stats - MMU counters of one address space
 * @tlb_hits: Translations served by the TLB
 * @tlb_misses: Page walks
 * @tlb_flushes: Calls of simgpu_tlb_flush()
 * @faults: Fault records raised by the exec engine
 */
struct simgpu_as_stats {
	atomic64_t tlb_hits;
	atomic64_t tlb_misses;
	atomic64_t tlb_flushes;
	atomic64_t faults;
};

/**
 * struct simgpu_as - A GPU address space (one VM's MMU context)
 *
 * The MMU reaches memory only through @ops->walk and the TLB. Every access
 * translates and touches memory with @lock held, and simgpu_tlb_flush()
 * takes it too: when a flush returns, no access that used a dropped
 * translation is still in flight. This is what lets a glue's invalidate op
 * promise that the device can no longer reach the pages (R6).
 */
struct simgpu_as {
	/** @sdev: The device */
	struct simgpu_device *sdev;
	/** @ops: The glue's walker and fault sink */
	const struct simgpu_as_ops *ops;
	/**
	 * @lock: Protects @tlb and serialises accesses with flushes. A
	 * spinlock taken inside the core's notifier lock (by the glue's
	 * invalidate op); nothing is taken inside it.
	 */
	spinlock_t lock;
	/** @tlb: Direct-mapped TLB, indexed by 4 KiB page number */
	struct simgpu_tlb_entry tlb[SIMGPU_TLB_ENTRIES];
	/** @jobs: Jobs of this address space not yet retired; under @lock */
	struct list_head jobs;
	/**
	 * @running: Exec engine workers inside a job of this address space,
	 * including its @ops->fault call; under @lock
	 */
	unsigned int running;
	/**
	 * @dying: Set by simgpu_as_fini(): a job that faults now is cancelled
	 * with -ECANCELED instead of reported; under @lock
	 */
	bool dying;
	/** @idle: Woken when @jobs empties or @running drops, under @lock */
	wait_queue_head_t idle;
	/** @stats: Counters */
	struct simgpu_as_stats stats;
	/* Fault buffer (faultbuf.c) */
	/**
	 * @faultbuf: The device fault buffer faults go to, see
	 * simgpu_faultbuf_attach(); NULL: to @ops->fault. Set before the
	 * first job, cleared after simgpu_as_fini()
	 */
	struct simgpu_faultbuf *faultbuf;
	/** @fault_instance: Instance id written into its fault entries */
	u32 fault_instance;
	/** @fault_link: In the fault buffer's address spaces, under its lock */
	struct list_head fault_link;
};

/**
 * enum simgpu_op_code - Exec engine operations, all over GPU VAs
 * @SIMGPU_OP_LOAD: Read @len bytes at @va; the u32 sum lands in the job's
 *	result (so a test can check what the device saw)
 * @SIMGPU_OP_STORE: Write the u32 @value over @len bytes at @va
 * @SIMGPU_OP_ADD: Add @value to each u32 of @len bytes at @va; not atomic
 * @SIMGPU_OP_ATOMIC_ADD: Atomically add @value to each u32 of @len bytes
 *	at @va; needs %SIMGPU_ACCESS_ATOMIC
 * @SIMGPU_OP_MEMSET: Set @len bytes at @va to the low byte of @value
 * @SIMGPU_OP_COPY: Copy @len bytes from @src to @va (no overlap)
 * @SIMGPU_OP_COUNT: Number of operation codes, not an operation
 */
enum simgpu_op_code {
	SIMGPU_OP_LOAD,
	SIMGPU_OP_STORE,
	SIMGPU_OP_ADD,
	SIMGPU_OP_ATOMIC_ADD,
	SIMGPU_OP_MEMSET,
	SIMGPU_OP_COPY,
	SIMGPU_OP_COUNT,
};

/**
 * struct simgpu_op - One exec engine operation
 * @code: &enum simgpu_op_code
 * @value: Operand
 * @va: Destination (or source of a load) GPU VA
 * @src: Source GPU VA of a copy
 * @len: Bytes; a multiple of 4 for the u32 operations
 */
struct simgpu_op {
	u32 code;
	u32 value;
	u64 va;
	u64 src;
	u64 len;
};

/**
 * struct simgpu_job - A job on the exec engine
 *
 * Refcounted through @fence: simgpu_job_get() and simgpu_job_put(). The
 * fence signals when the job retires, with an error if it was cancelled.
 */
struct simgpu_job {
	/** @fence: Completion; its refcount is the job's */
	struct dma_fence fence;
	/** @fence_lock: The fence's lock */
	spinlock_t fence_lock;
	/** @as: The address space it runs in; outlives the job */
	struct simgpu_as *as;
	/** @ops: The operations, owned by the job */
	struct simgpu_op *ops;
	/** @nops: Number of @ops */
	u32 nops;
	/** @pc: Index of the operation in progress; engine only */
	u32 pc;
	/** @pos: Bytes of ops[@pc] done; engine only */
	u64 pos;
	/** @result: Sum of every u32 loaded, see %SIMGPU_OP_LOAD */
	u64 result;
	/** @faults: Fault records this job raised */
	u64 faults;
	/** @bounce: A page for %SIMGPU_OP_COPY, or NULL; engine only */
	void *bounce;
	/** @entry: In &simgpu_as.jobs */
	struct list_head entry;
	/** @work: Runs the job on the exec engine */
	struct work_struct work;
	/** @stalled: Set while waiting for the glue; under &simgpu_as.lock */
	bool stalled;
	/**
	 * @stall_ts: &simgpu_fault_entry.timestamp of the job's latest
	 * stall in a fault buffer, so that a cancel from an older entry of
	 * the job misses; under &simgpu_as.lock
	 */
	u64 stall_ts;
	/**
	 * @retired: The fence signalled (or is about to) and the job left
	 * &simgpu_as.jobs; under &simgpu_as.lock
	 */
	bool retired;
	/**
	 * @cancel_error: A cancel asked while the job was queued or running;
	 * the engine retires it with this error before its next access.
	 * Under &simgpu_as.lock, read by the engine with READ_ONCE()
	 */
	int cancel_error;
};

/**
 * struct simgpu_stats - Device-wide counters
 * @jobs: Jobs submitted
 * @jobs_cancelled: Jobs retired with an error
 * @copies: Copy submissions through the kernel channel (one fence each)
 * @copy_pages: Pages the copy engine moved, on any channel
 * @copy_failures: COPY methods that failed (injected), on any channel
 */
struct simgpu_stats {
	atomic64_t jobs;
	atomic64_t jobs_cancelled;
	atomic64_t copies;
	atomic64_t copy_pages;
	atomic64_t copy_failures;
};

/* ---- Copy channels (chan.c) ------------------------------------------ */

struct simgpu_chan;
struct simgpu_chan_fence;

/* Most ring entries of a channel. */
#define SIMGPU_CHAN_MAX_ENTRIES		(1u << 16)

/**
 * struct simgpu_chan_stats - Snapshot of a copy channel's counters
 * @entries: Ring entries
 * @copy_methods: COPY methods executed (failed ones included)
 * @semaphores: SEMAPHORE_RELEASE methods executed, one per fence
 * @ring_waits: Pushes that found the ring full and waited for the engine
 * @gp_get: Methods the engine fetched since creation (GP_GET)
 * @gp_put: Methods kicked since creation (GP_PUT)
 */
struct simgpu_chan_stats {
	u64 entries;
	u64 copy_methods;
	u64 semaphores;
	u64 ring_waits;
	u64 gp_get;
	u64 gp_put;
};

struct simgpu_chan *simgpu_chan_create(struct simgpu_device *sdev,
				       unsigned int entries);
void simgpu_chan_destroy(struct simgpu_chan *chan);
void simgpu_chan_lock(struct simgpu_chan *chan);
void simgpu_chan_unlock(struct simgpu_chan *chan);
int simgpu_chan_push_copy(struct simgpu_chan *chan, u64 dst, u64 src,
			  u32 npages);
struct simgpu_chan_fence *simgpu_chan_fence_alloc(void);
void simgpu_chan_fence_free(struct simgpu_chan_fence *f);
struct dma_fence *simgpu_chan_fence_emit(struct simgpu_chan *chan,
					 struct simgpu_chan_fence *f);
void simgpu_chan_kick(struct simgpu_chan *chan);
void simgpu_chan_stats(struct simgpu_chan *chan, struct simgpu_chan_stats *st);
struct simgpu_chan *simgpu_kernel_chan(struct simgpu_device *sdev);

unsigned int simgpu_count(void);
struct simgpu_device *simgpu_get(unsigned int index);
unsigned int simgpu_index(const struct simgpu_device *sdev);
struct device *simgpu_dma_dev(struct simgpu_device *sdev);
struct drm_pagemap *simgpu_pagemap(struct simgpu_device *sdev);
const struct simgpu_stats *simgpu_stats(const struct simgpu_device *sdev);

struct drm_pagemap_devmem *simgpu_devmem_alloc(struct simgpu_device *sdev,
					       unsigned long npages);
unsigned long simgpu_vram_free_pages(struct simgpu_device *sdev);
unsigned long simgpu_vram_pages(struct simgpu_device *sdev);
bool simgpu_devmem_is(struct simgpu_device *sdev,
		      struct drm_pagemap_devmem *devmem);

void simgpu_as_init(struct simgpu_as *as, struct simgpu_device *sdev,
		    const struct simgpu_as_ops *ops);
void simgpu_as_fini(struct simgpu_as *as);
void simgpu_tlb_flush(struct simgpu_as *as, u64 start, u64 end);
int simgpu_as_access(struct simgpu_as *as, u64 va, void *buf, size_t len,
		     enum simgpu_access access);
bool simgpu_as_translate(struct simgpu_as *as, u64 va,
			 struct simgpu_xlate *xl);

struct simgpu_job *simgpu_job_create(struct simgpu_as *as,
				     const struct simgpu_op *ops, u32 nops);
void simgpu_job_submit(struct simgpu_job *job);
void simgpu_job_replay(struct simgpu_job *job);
void simgpu_job_cancel(struct simgpu_job *job, int error);

/**
 * simgpu_job_get() - Take a reference on a job
 * @job: The job
 *
 * Return: @job, so calls can be chained.
 */
static inline struct simgpu_job *simgpu_job_get(struct simgpu_job *job)
{
	dma_fence_get(&job->fence);
	return job;
}

/**
 * simgpu_job_put() - Drop a reference on a job
 * @job: The job, or NULL
 *
 * The last reference frees the job and its operations.
 *
 * Context: Any context.
 */
static inline void simgpu_job_put(struct simgpu_job *job)
{
	if (job)
		dma_fence_put(&job->fence);
}

/*
 * Fault buffer (faultbuf.c): nouveau-style replayable faults. An address
 * space attached to its device's fault buffer does not call
 * &simgpu_as_ops.fault: the engine writes an entry into a ring and raises
 * an interrupt; the glue reads entries, then replays every stalled job or
 * cancels single ones.
 */
struct simgpu_faultbuf;

/**
 * struct simgpu_fault_entry - One fault buffer entry, as the hardware writes it
 * @va: Faulting GPU VA (byte granular)
 * @timestamp: ktime_get_ns() when the access faulted
 * @job: The faulting unit: id of the stalled job, for
 *	simgpu_faultbuf_cancel(); not a pointer, the job may be gone
 * @instance: &simgpu_as.fault_instance of the job's address space
 * @access: &enum simgpu_access the access needed
 * @not_present: No valid translation, rather than too little permission
 */
struct simgpu_fault_entry {
	u64 va;
	u64 timestamp;
	u64 job;
	u32 instance;
	u8 access;
	u8 not_present;
};

/**
 * struct simgpu_faultbuf_stats - Fault buffer counters
 * @posted: Entries written into the ring
 * @dropped: Entries dropped because the ring was full
 * @interrupts: Interrupts raised to the glue
 * @replays: simgpu_faultbuf_replay() calls
 * @replayed: Jobs they restarted
 * @cancels: Jobs simgpu_faultbuf_cancel() retired
 */
struct simgpu_faultbuf_stats {
	atomic64_t posted;
	atomic64_t dropped;
	atomic64_t interrupts;
	atomic64_t replays;
	atomic64_t replayed;
	atomic64_t cancels;
};

int simgpu_faultbuf_enable(struct simgpu_device *sdev, unsigned int entries,
			   void (*irq)(void *data), void *data);
void simgpu_faultbuf_disable(struct simgpu_device *sdev);
void simgpu_faultbuf_attach(struct simgpu_as *as, u32 instance);
void simgpu_faultbuf_detach(struct simgpu_as *as);
unsigned int simgpu_faultbuf_read(struct simgpu_device *sdev,
				  struct simgpu_fault_entry *entries,
				  unsigned int max);
bool simgpu_faultbuf_overflow_clear(struct simgpu_device *sdev);
void simgpu_faultbuf_replay(struct simgpu_device *sdev);
int simgpu_faultbuf_cancel(struct simgpu_as *as, u64 job, u64 timestamp,
			   int error);
const struct simgpu_faultbuf_stats *
simgpu_faultbuf_stats(struct simgpu_device *sdev);
unsigned int simgpu_faultbuf_size(struct simgpu_device *sdev);

/* ---- User queues (queue.c) ------------------------------------------- */

struct page;
struct simgpu_queue;

/* Operations one packet holds, and the most ring pages a queue has. */
#define SIMGPU_QUEUE_PACKET_OPS		7
#define SIMGPU_QUEUE_MAX_RING_PAGES	64

/**
 * struct simgpu_queue_packet - One ring slot of a user queue (256 bytes)
 * @nops: Written by user space: operations in @ops, 1 to
 *	%SIMGPU_QUEUE_PACKET_OPS
 * @flags: Written by user space: must be 0
 * @status: Written by the device when the packet retires: 0 or -errno
 * @pad: Unused
 * @result: Written by the device when the packet retires: sum of every
 *	u32 its loads read
 * @reserved: Unused
 * @ops: Written by user space: the operations, run in order as one job
 */
struct simgpu_queue_packet {
	u32 nops;
	u32 flags;
	s32 status;
	u32 pad;
	u64 result;
	u64 reserved;
	struct simgpu_op ops[SIMGPU_QUEUE_PACKET_OPS];
};

/**
 * struct simgpu_queue_ctl - The control page of a user queue
 * @wptr: Written by user space: packets submitted so far (release store
 *	after the packet's slot is written)
 * @rptr: Written by the device: packets fetched so far
 * @done: Written by the device: packets retired so far; a slot may be
 *	reused once @done passed it
 * @errors: Written by the device: packets that retired with an error
 * @error: Written by the device: -EINVAL when @wptr ran more than a ring
 *	ahead and the queue stopped
 * @pad: Unused
 */
struct simgpu_queue_ctl {
	u64 wptr;
	u64 rptr;
	u64 done;
	u64 errors;
	s32 error;
	u32 pad;
};

/**
 * struct simgpu_queue_stats - Counters of a user queue
 * @packets: Packets submitted to the exec engine
 * @bad_packets: Packets refused without running
 * @suspends: Transitions to suspended
 */
struct simgpu_queue_stats {
	atomic64_t packets;
	atomic64_t bad_packets;
	atomic64_t suspends;
};

/**
 * struct simgpu_queue - A user-mode queue, see DOC: User queues
 */
struct simgpu_queue {
	/** @as: The address space its packets run in */
	struct simgpu_as *as;
	/** @pages: Control page, then the ring pages */
	struct page **pages;
	/** @npages: Entries of @pages */
	unsigned int npages;
	/** @npackets: Ring slots */
	unsigned int npackets;
	/** @lock: Protects @suspended, @dead and advancing rptr; innermost */
	spinlock_t lock;
	/** @suspended: Do not fetch; under @lock */
	bool suspended;
	/** @dead: Being destroyed; under @lock */
	bool dead;
	/** @error: Stopped on a bad write pointer; worker writes */
	int error;
	/** @rptr: Packets fetched; worker only */
	u64 rptr;
	/** @done: Packets retired; worker only */
	u64 done;
	/** @job: The packet in flight, a reference held; worker only */
	struct simgpu_job *job;
	/** @cb: On @job's fence, kicks @work */
	struct dma_fence_cb cb;
	/** @work: Fetches, submits and retires packets */
	struct delayed_work work;
	/** @wait: Woken when @done moves */
	wait_queue_head_t wait;
	/** @stats: Counters */
	struct simgpu_queue_stats stats;
};

struct simgpu_queue *simgpu_queue_create(struct simgpu_as *as,
					 unsigned int ring_pages);
void simgpu_queue_destroy(struct simgpu_queue *q);
unsigned int simgpu_queue_npages(const struct simgpu_queue *q);
unsigned int simgpu_queue_npackets(const struct simgpu_queue *q);
struct page *simgpu_queue_page(struct simgpu_queue *q, unsigned int index);
void simgpu_queue_suspend(struct simgpu_queue *q);
void simgpu_queue_resume(struct simgpu_queue *q);
bool simgpu_queue_suspended(struct simgpu_queue *q);
int simgpu_queue_wait(struct simgpu_queue *q, u64 seqno, long timeout);

#endif /* __SIMGPU_H__ */
