// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/atomic.h>
#include <linux/dma-fence.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "simgpu_internal.h"

/**
 * DOC: Exec engine
 *
 * A job is a short list of operations over GPU VAs (&struct simgpu_op),
 * copied at creation. simgpu_job_submit() queues it on the device's exec
 * workqueue (unbound, a few jobs in parallel, as several exec units). The
 * worker runs the operations page by page: each access covers at most one
 * 4 KiB page of each VA it touches, goes through the MMU, and happens
 * whole or not at all. Progress (&simgpu_job.pc, &simgpu_job.pos) moves
 * only after an access succeeded, so a replay continues exactly where the
 * job stopped, which matters for the non-idempotent ADD and ATOMIC_ADD: a
 * u32 is added to exactly once however often the job faults.
 *
 * When an access faults (-ENOENT, -EACCES) the job parks
 * (&simgpu_job.stalled) and the worker hands a &struct simgpu_fault to the
 * glue's fault op, with no simgpu lock held, then returns. The glue serves
 * the fault and calls simgpu_job_replay() (requeue) or simgpu_job_cancel()
 * (signal the fence with an error). A translation to nowhere (-EIO) is a
 * glue bug and cancels the job with -EIO.
 *
 * A job is refcounted through its &dma_fence: the submitter holds one
 * reference, the engine another from submission until retirement. The
 * fence is a completion for the submitter only: it depends on page-fault
 * handling, which allocates memory, so it must never be published in a
 * dma_resv or a sync_file (R14), and the worker is not annotated as a
 * fence signalling critical section.
 *
 * State under &simgpu_as.lock: the job list, &simgpu_job.stalled,
 * &simgpu_job.retired, &simgpu_job.cancel_error, and &simgpu_as.running,
 * which counts workers inside a job including the fault op, so
 * simgpu_as_fini() can wait until the glue's fault op is no longer called.
 */

static void simgpu_job_work(struct work_struct *work);

static const char *simgpu_job_driver_name(struct dma_fence *fence)
{
	return "simgpu";
}

static const char *simgpu_job_timeline_name(struct dma_fence *fence)
{
	return "exec";
}

static void simgpu_job_release(struct dma_fence *fence)
{
	struct simgpu_job *job = container_of(fence, struct simgpu_job, fence);

	kfree(job->bounce);
	kvfree(job->ops);
	/* Frees the job: the fence is its first member */
	dma_fence_free(fence);
}

static const struct dma_fence_ops simgpu_job_fence_ops = {
	.get_driver_name = simgpu_job_driver_name,
	.get_timeline_name = simgpu_job_timeline_name,
	.release = simgpu_job_release,
};

/* The operations on u32 elements: 4-byte aligned VA and length. */
static bool simgpu_op_is_u32(u32 code)
{
	return code == SIMGPU_OP_LOAD || code == SIMGPU_OP_STORE ||
	       code == SIMGPU_OP_ADD || code == SIMGPU_OP_ATOMIC_ADD;
}

static bool simgpu_op_valid(const struct simgpu_op *op)
{
	u64 end, src_end;

	if (op->code >= SIMGPU_OP_COUNT || !op->len ||
	    check_add_overflow(op->va, op->len, &end))
		return false;
	if (simgpu_op_is_u32(op->code))
		return IS_ALIGNED(op->va, 4) && IS_ALIGNED(op->len, 4);
	if (op->code != SIMGPU_OP_COPY)
		return true;
	/* A copy reads a source that does not wrap or overlap the target */
	return !check_add_overflow(op->src, op->len, &src_end) &&
	       (src_end <= op->va || end <= op->src);
}

/* A page to bounce copies through, when the job has a copy. */
static int simgpu_job_alloc_bounce(struct simgpu_job *job)
{
	u32 i;

	for (i = 0; i < job->nops; i++) {
		if (job->ops[i].code != SIMGPU_OP_COPY)
			continue;
		job->bounce = kmalloc(SIMGPU_PAGE_SIZE, GFP_KERNEL);
		return job->bounce ? 0 : -ENOMEM;
	}
	return 0;
}

/**
 * simgpu_job_create() - Create a job
 * @as: The address space it runs in; must outlive the job
 * @ops: Operations, copied
 * @nops: Number of @ops, at least one
 *
 * Each operation needs a known code, a non-zero length, a span that does
 * not wrap around, a 4-byte aligned VA and length for the u32 operations,
 * and for %SIMGPU_OP_COPY a source that does not overlap the target.
 *
 * Context: Process context.
 *
 * Return: the job with one reference, for the caller; ERR_PTR(-EINVAL) for
 * a bad operation or none, ERR_PTR(-ENOMEM).
 */
struct simgpu_job *simgpu_job_create(struct simgpu_as *as,
				     const struct simgpu_op *ops, u32 nops)
{
	struct simgpu_job *job;
	u32 i;

	BUILD_BUG_ON(offsetof(struct simgpu_job, fence));
	if (!nops)
		return ERR_PTR(-EINVAL);
	for (i = 0; i < nops; i++)
		if (!simgpu_op_valid(&ops[i]))
			return ERR_PTR(-EINVAL);

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return ERR_PTR(-ENOMEM);
	job->ops = kvmemdup(ops, array_size(nops, sizeof(*ops)), GFP_KERNEL);
	job->nops = nops;
	if (!job->ops || simgpu_job_alloc_bounce(job)) {
		kvfree(job->ops);
		kfree(job);
		return ERR_PTR(-ENOMEM);
	}
	job->as = as;
	INIT_LIST_HEAD(&job->entry);
	INIT_WORK(&job->work, simgpu_job_work);
	spin_lock_init(&job->fence_lock);
	/* A context per job: jobs of one device complete out of order */
	dma_fence_init(&job->fence, &simgpu_job_fence_ops, &job->fence_lock,
		       dma_fence_context_alloc(1), 1);
	return job;
}
EXPORT_SYMBOL_GPL(simgpu_job_create);

/* Signal a retired job's fence; @sdev is read before @as may go away. */
static void simgpu_job_signal(struct simgpu_job *job,
			      struct simgpu_device *sdev, int err)
{
	if (err) {
		dma_fence_set_error(&job->fence, err);
		atomic64_inc(&sdev->stats.jobs_cancelled);
	}
	dma_fence_signal(&job->fence);
}

/* Take a job off its address space's list; the caller signals it. */
static void simgpu_job_unlist_locked(struct simgpu_job *job)
{
	struct simgpu_as *as = job->as;

	lockdep_assert_held(&as->lock);
	job->stalled = false;
	job->retired = true;
	list_del_init(&job->entry);
	wake_up_all(&as->idle);
}

/* The engine is done with @job: signal it and drop the engine's reference. */
static void simgpu_job_retire(struct simgpu_job *job, int err)
{
	struct simgpu_as *as = job->as;
	struct simgpu_device *sdev = as->sdev;

	spin_lock(&as->lock);
	simgpu_job_unlist_locked(job);
	spin_unlock(&as->lock);
	simgpu_job_signal(job, sdev, err);
	simgpu_job_put(job);	/* Pairs with simgpu_job_submit() */
}

/* Bytes of the current op one access can do: up to the next 4 KiB page. */
static u64 simgpu_op_chunk(const struct simgpu_op *op, u64 pos)
{
	u64 n = min_t(u64, op->len - pos,
		      SIMGPU_PAGE_SIZE - ((op->va + pos) & (SIMGPU_PAGE_SIZE - 1)));

	if (op->code == SIMGPU_OP_COPY)
		n = min_t(u64, n, SIMGPU_PAGE_SIZE -
			  ((op->src + pos) & (SIMGPU_PAGE_SIZE - 1)));
	return n;
}

static void simgpu_load_fn(void *vaddr, size_t len, void *arg)
{
	const u32 *p = vaddr;
	u64 *sum = arg;
	size_t i;

	for (i = 0; i < len / 4; i++)
		*sum += READ_ONCE(p[i]);
}

static void simgpu_store_fn(void *vaddr, size_t len, void *arg)
{
	u32 *p = vaddr, v = *(u32 *)arg;
	size_t i;

	for (i = 0; i < len / 4; i++)
		WRITE_ONCE(p[i], v);
}

static void simgpu_add_fn(void *vaddr, size_t len, void *arg)
{
	u32 *p = vaddr, v = *(u32 *)arg;
	size_t i;

	for (i = 0; i < len / 4; i++)
		WRITE_ONCE(p[i], READ_ONCE(p[i]) + v);
}

/* Atomic also against the CPU when the memory is system memory. */
static void simgpu_atomic_add_fn(void *vaddr, size_t len, void *arg)
{
	atomic_t *p = vaddr;
	u32 v = *(u32 *)arg;
	size_t i;

	for (i = 0; i < len / 4; i++)
		atomic_add(v, &p[i]);
}

static void simgpu_memset_fn(void *vaddr, size_t len, void *arg)
{
	memset(vaddr, *(u32 *)arg & 0xff, len);
}

static void simgpu_copy_in_fn(void *vaddr, size_t len, void *bounce)
{
	memcpy(bounce, vaddr, len);
}

static void simgpu_copy_out_fn(void *vaddr, size_t len, void *bounce)
{
	memcpy(vaddr, bounce, len);
}

/* Fill the fault record of a failed access. */
static void simgpu_fault_record(struct simgpu_job *job, u64 va,
				enum simgpu_access access, int err,
				struct simgpu_fault *rec)
{
	rec->job = job;
	rec->va = va;
	rec->access = access;
	rec->not_present = err == -ENOENT;
}

/* One access of a copy: read the source, then write the target. */
static int simgpu_copy_step(struct simgpu_job *job, const struct simgpu_op *op,
			    u64 n, struct simgpu_fault *rec)
{
	struct simgpu_as *as = job->as;
	u64 src = op->src + job->pos, dst = op->va + job->pos;
	int err;

	/* Reading again on replay is harmless: source and target differ */
	err = simgpu_as_access_fn(as, src, n, SIMGPU_ACCESS_READ,
				  simgpu_copy_in_fn, job->bounce);
	if (err) {
		simgpu_fault_record(job, src, SIMGPU_ACCESS_READ, err, rec);
		return err;
	}
	err = simgpu_as_access_fn(as, dst, n, SIMGPU_ACCESS_WRITE,
				  simgpu_copy_out_fn, job->bounce);
	if (err)
		simgpu_fault_record(job, dst, SIMGPU_ACCESS_WRITE, err, rec);
	return err;
}

/* One access of a single-VA op; @arg is what its callback needs. */
static int simgpu_op_access(struct simgpu_job *job, const struct simgpu_op *op,
			    u64 n, struct simgpu_fault *rec)
{
	static const struct {
		enum simgpu_access access;
		simgpu_access_fn fn;
	} table[] = {
		[SIMGPU_OP_LOAD] = { SIMGPU_ACCESS_READ, simgpu_load_fn },
		[SIMGPU_OP_STORE] = { SIMGPU_ACCESS_WRITE, simgpu_store_fn },
		[SIMGPU_OP_ADD] = { SIMGPU_ACCESS_WRITE, simgpu_add_fn },
		[SIMGPU_OP_ATOMIC_ADD] = { SIMGPU_ACCESS_ATOMIC,
					   simgpu_atomic_add_fn },
		[SIMGPU_OP_MEMSET] = { SIMGPU_ACCESS_WRITE, simgpu_memset_fn },
	};
	u64 va = op->va + job->pos, sum = 0;
	u32 value = op->value;
	int err;

	err = simgpu_as_access_fn(job->as, va, n, table[op->code].access,
				  table[op->code].fn,
				  op->code == SIMGPU_OP_LOAD ?
				  (void *)&sum : (void *)&value);
	if (err)
		simgpu_fault_record(job, va, table[op->code].access, err, rec);
	else
		job->result += sum;
	return err;
}

/* Do the next access of the current op; advance only when it happened. */
static int simgpu_job_step(struct simgpu_job *job, struct simgpu_fault *rec)
{
	const struct simgpu_op *op = &job->ops[job->pc];
	u64 n = simgpu_op_chunk(op, job->pos);
	int err;

	if (op->code == SIMGPU_OP_COPY)
		err = simgpu_copy_step(job, op, n, rec);
	else
		err = simgpu_op_access(job, op, n, rec);
	if (err)
		return err;
	job->pos += n;
	if (job->pos == op->len) {
		job->pc++;
		job->pos = 0;
	}
	return 0;
}

/*
 * Run until the job is done (0), an access faulted (*@faulted, @rec
 * filled), a cancel was asked or an access failed (the error).
 */
static int simgpu_job_run(struct simgpu_job *job, struct simgpu_fault *rec,
			  bool *faulted)
{
	int err;

	while (job->pc < job->nops) {
		/* Pairs with WRITE_ONCE() in simgpu_job_cancel() */
		err = READ_ONCE(job->cancel_error);
		if (err)
			return err;
		err = simgpu_job_step(job, rec);
		if (err == -ENOENT || err == -EACCES) {
			*faulted = true;
			return err;
		}
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

/*
 * Park a faulted job for the glue. Return 0, or the error to retire it
 * with instead: a cancel came in, or the address space is going away.
 */
static int simgpu_job_stall(struct simgpu_job *job,
			    const struct simgpu_fault *rec)
{
	struct simgpu_as *as = job->as;
	int err;

	spin_lock(&as->lock);
	err = as->dying ? -ECANCELED : job->cancel_error;
	if (!err) {
		job->stalled = true;
		job->faults++;
		atomic64_inc(&as->stats.faults);
		/* While the job cannot go: the entry names it */
		simgpu_faultbuf_post_locked(as, rec);
	}
	spin_unlock(&as->lock);
	return err;
}

static void simgpu_job_work(struct work_struct *work)
{
	struct simgpu_job *job = container_of(work, struct simgpu_job, work);
	struct simgpu_as *as = job->as;
	struct simgpu_fault rec;
	bool faulted = false;
	int err;

	spin_lock(&as->lock);
	as->running++;
	spin_unlock(&as->lock);

	err = simgpu_job_run(job, &rec, &faulted);
	if (faulted)
		err = simgpu_job_stall(job, &rec);
	/*
	 * Once stalled, the job may be replayed or cancelled (and freed)
	 * while the fault op runs: it is not touched after.
	 */
	if (faulted && !err)
		simgpu_fault_report(as, &rec);
	else
		simgpu_job_retire(job, err);

	spin_lock(&as->lock);
	as->running--;
	wake_up_all(&as->idle);
	spin_unlock(&as->lock);
}

/**
 * simgpu_job_submit() - Queue a job on the exec engine
 * @job: A job from simgpu_job_create(), not submitted before
 *
 * The engine takes a reference of its own until the job retires, so the
 * caller may drop its reference at any time. On an address space that
 * simgpu_as_fini() is tearing down, the job retires at once with
 * -ECANCELED.
 *
 * Context: Process context, atomic allowed; not in IRQ context
 * (&simgpu_as.lock is not IRQ-safe).
 */
void simgpu_job_submit(struct simgpu_job *job)
{
	struct simgpu_as *as = job->as;
	struct simgpu_device *sdev = as->sdev;

	atomic64_inc(&sdev->stats.jobs);
	simgpu_job_get(job);	/* The engine's, until retirement */
	spin_lock(&as->lock);
	if (WARN_ON_ONCE(job->retired || !list_empty(&job->entry))) {
		spin_unlock(&as->lock);
		simgpu_job_put(job);
		return;
	}
	if (as->dying) {
		job->retired = true;
		spin_unlock(&as->lock);
		simgpu_job_signal(job, sdev, -ECANCELED);
		simgpu_job_put(job);
		return;
	}
	list_add_tail(&job->entry, &as->jobs);
	spin_unlock(&as->lock);
	queue_work(sdev->exec_wq, &job->work);
}
EXPORT_SYMBOL_GPL(simgpu_job_submit);

/**
 * simgpu_job_replay() - Resume a stalled job
 * @job: The job of a fault record
 *
 * The job continues with the access that faulted. A job that
 * simgpu_as_fini() cancelled meanwhile is left alone.
 *
 * Context: Process context, atomic allowed; not in IRQ context
 * (&simgpu_as.lock is not IRQ-safe), not under &simgpu_as.lock.
 */
void simgpu_job_replay(struct simgpu_job *job)
{
	struct simgpu_as *as = job->as;
	struct simgpu_device *sdev = as->sdev;

	spin_lock(&as->lock);
	if (job->retired || !job->stalled) {
		/* Replaying a job that did not fault is a glue bug */
		WARN_ON_ONCE(!job->retired);
		spin_unlock(&as->lock);
		return;
	}
	job->stalled = false;
	spin_unlock(&as->lock);
	/* Not stalled: only the engine retires it now, its reference holds */
	queue_work(sdev->exec_wq, &job->work);
}
EXPORT_SYMBOL_GPL(simgpu_job_replay);

/**
 * simgpu_job_cancel() - Retire a job with an error
 * @job: The job, usually that of a fault record the glue cannot serve
 * @error: Negative errno the fence signals with
 *
 * A stalled (or never submitted) job retires at once. A queued or running
 * one retires with @error before its next access. A retired job is left
 * alone.
 *
 * Context: Process context, atomic allowed; not in IRQ context
 * (&simgpu_as.lock is not IRQ-safe), not under &simgpu_as.lock.
 */
void simgpu_job_cancel(struct simgpu_job *job, int error)
{
	struct simgpu_as *as = job->as;
	struct simgpu_device *sdev = as->sdev;
	bool listed;

	if (WARN_ON_ONCE(error >= 0 || error < -MAX_ERRNO))
		error = -ECANCELED;
	spin_lock(&as->lock);
	if (job->retired) {
		spin_unlock(&as->lock);
		return;
	}
	listed = !list_empty(&job->entry);
	if (listed && !job->stalled) {
		WRITE_ONCE(job->cancel_error, error);
		spin_unlock(&as->lock);
		return;
	}
	simgpu_job_unlist_locked(job);
	spin_unlock(&as->lock);
	simgpu_job_signal(job, sdev, error);
	if (listed)
		simgpu_job_put(job);	/* Pairs with simgpu_job_submit() */
}
EXPORT_SYMBOL_GPL(simgpu_job_cancel);

/* No job on the list and no worker inside a job of @as. */
static bool simgpu_as_idle(struct simgpu_as *as)
{
	bool idle;

	spin_lock(&as->lock);
	idle = list_empty(&as->jobs) && !as->running;
	spin_unlock(&as->lock);
	return idle;
}

/**
 * simgpu_exec_as_quiesce() - Cancel stalled jobs and wait for the rest
 * @as: The address space, see simgpu_as_fini()
 */
void simgpu_exec_as_quiesce(struct simgpu_as *as)
{
	struct simgpu_device *sdev = as->sdev;
	struct simgpu_job *job, *next;
	LIST_HEAD(stalled);

	spin_lock(&as->lock);
	as->dying = true;
	list_for_each_entry_safe(job, next, &as->jobs, entry) {
		if (!job->stalled)
			continue;
		job->stalled = false;
		job->retired = true;
		list_move_tail(&job->entry, &stalled);
	}
	spin_unlock(&as->lock);

	list_for_each_entry_safe(job, next, &stalled, entry) {
		list_del_init(&job->entry);
		simgpu_job_signal(job, sdev, -ECANCELED);
		simgpu_job_put(job);	/* Pairs with simgpu_job_submit() */
	}
	wait_event(as->idle, simgpu_as_idle(as));
}
