// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>

#include "amdgpu_glue.h"
#include "amdgpu_glue_drm.h"

/**
 * DOC: Jobs and fault-dependent fences
 *
 * DRM_IOCTL_AMDGPU_GLUE_EXEC runs a list of operations as one simgpu job
 * in the context's address space, outside any user queue. The job gets a
 * fence of this driver (&struct amdgpu_glue_job) that signals with the
 * hardware job's status; its handle in &amdgpu_glue_ctx.jobs holds a
 * reference until DRM_IOCTL_AMDGPU_GLUE_WAIT saw it signal.
 *
 * Such a fence is not a proper dma_fence when the job can stall on a GPU
 * fault: serving the fault allocates memory, so a waiter in reclaim could
 * wait for itself (R20). The driver registers the fence's ops with the
 * core as a &struct drm_gpusvm_fence_class whose may_depend_on_fault()
 * says yes for every unsignalled job: with XNACK on it may fault, and in
 * either mode the context may be evicted at any time after the check
 * (an invalidation, maybe caused by the very reclaim that waits), and its
 * jobs then wait for the restore, which allocates and faults pages in.
 * Waits go through
 * drm_gpusvm_fence_wait(), which backs off with -EDEADLK in reclaim
 * instead of waiting on such a fence; WAIT's %DRM_AMDGPU_GLUE_WAIT_RECLAIM
 * flag makes the wait behave as a reclaim-context waiter's would. The
 * fences are never exported (no sync_file, no dma_resv), as R14 wants.
 *
 * may_depend_on_fault() runs under RCU and may look at the context after
 * the job's handle is gone: the context is freed after an RCU grace period
 * (ctx.c), and only after every job fence signalled (simgpu_as_fini()), so
 * a fence seen unsignalled under RCU has a live context.
 */

static const char *amdgpu_glue_job_driver_name(struct dma_fence *f)
{
	return "amdgpu_glue";
}

static const char *amdgpu_glue_job_timeline_name(struct dma_fence *f)
{
	return "exec";
}

static void amdgpu_glue_job_release(struct dma_fence *f)
{
	struct amdgpu_glue_job *job = container_of(f, struct amdgpu_glue_job, base);

	simgpu_job_put(job->hw);
	/* Frees the job after a grace period: the fence is its first member */
	dma_fence_free(f);
}

static const struct dma_fence_ops amdgpu_glue_job_fence_ops = {
	.get_driver_name = amdgpu_glue_job_driver_name,
	.get_timeline_name = amdgpu_glue_job_timeline_name,
	.release = amdgpu_glue_job_release,
};

/* &drm_gpusvm_fence_class.may_depend_on_fault, under RCU. */
static bool amdgpu_glue_job_may_depend(struct dma_fence *f)
{
	/* Any context can be evicted after this check; see DOC */
	return !dma_fence_is_signaled(f);
}

/** @amdgpu_glue_fence_class: Our job fences, for the core (R20) */
struct drm_gpusvm_fence_class amdgpu_glue_fence_class = {
	.ops = &amdgpu_glue_job_fence_ops,
	.may_depend_on_fault = amdgpu_glue_job_may_depend,
};

/* The hardware job retired: signal ours with its status. */
static void amdgpu_glue_job_hw_done(struct dma_fence *hw, struct dma_fence_cb *cb)
{
	struct amdgpu_glue_job *job = container_of(cb, struct amdgpu_glue_job, cb);

	if (hw->error)
		dma_fence_set_error(&job->base, hw->error);
	dma_fence_signal(&job->base);
	dma_fence_put(&job->base);	/* The callback's */
}

/**
 * amdgpu_glue_op_convert() - Check a uAPI operation and make it simgpu's
 * @uop: The operation as user space wrote it
 * @op: Out: simgpu's operation
 *
 * The span checks the hardware does not know about (user address space);
 * simgpu_job_create() checks the rest (alignment, overlap).
 *
 * Return: 0 or -EINVAL.
 */
int amdgpu_glue_op_convert(const struct drm_amdgpu_glue_op *uop,
			   struct simgpu_op *op)
{
	if (uop->code > DRM_AMDGPU_GLUE_OP_COPY ||
	    amdgpu_glue_check_span(uop->va, uop->len, false))
		return -EINVAL;
	if (uop->code == DRM_AMDGPU_GLUE_OP_COPY ?
	    amdgpu_glue_check_span(uop->src, uop->len, false) : uop->src != 0)
		return -EINVAL;
	/* The uAPI codes are simgpu's */
	*op = (struct simgpu_op) {
		.code = uop->code, .value = uop->value, .va = uop->va,
		.src = uop->src, .len = uop->len,
	};
	return 0;
}

/* Copy @n operations in and convert them into @ops. */
static int amdgpu_glue_ops_copy(u64 uptr, u32 n, struct simgpu_op *ops)
{
	struct drm_amdgpu_glue_op uop;
	u32 i;
	int err;

	for (i = 0; i < n; i++) {
		if (copy_from_user(&uop, u64_to_user_ptr(uptr) + i * sizeof(uop),
				   sizeof(uop)))
			return -EFAULT;
		err = amdgpu_glue_op_convert(&uop, &ops[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Wrap @hw in a job of ours and give it a handle. */
static int amdgpu_glue_job_add(struct amdgpu_glue_ctx *ctx,
			       struct simgpu_job *hw, u32 *id)
{
	struct amdgpu_glue_job *job = kzalloc(sizeof(*job), GFP_KERNEL);
	int err;

	if (!job)
		return -ENOMEM;
	spin_lock_init(&job->lock);
	dma_fence_init(&job->base, &amdgpu_glue_job_fence_ops, &job->lock,
		       dma_fence_context_alloc(1), 1);
	job->hw = simgpu_job_get(hw);
	job->ctx = ctx;
	/*
	 * Reserve a slot first: the insert may drop the xa_lock to allocate.
	 * SET_XNACK checks @njobs under the same lock, so the mode read here
	 * holds for the job's life.
	 */
	xa_lock(&ctx->jobs);
	err = -EBUSY;
	if (ctx->njobs < DRM_AMDGPU_GLUE_MAX_JOBS) {
		ctx->njobs++;
		job->xnack = ctx->xnack;
		err = 0;
	}
	xa_unlock(&ctx->jobs);
	if (!err) {
		err = xa_alloc_cyclic(&ctx->jobs, id, job, xa_limit_32b,
				      &ctx->next_job, GFP_KERNEL);
		if (err < 0) {
			xa_lock(&ctx->jobs);
			ctx->njobs--;
			xa_unlock(&ctx->jobs);
		}
	}
	if (err < 0) {
		dma_fence_put(&job->base);
		return err;
	}
	dma_fence_get(&job->base);	/* For the callback */
	if (dma_fence_add_callback(&hw->fence, &job->cb, amdgpu_glue_job_hw_done))
		amdgpu_glue_job_hw_done(&hw->fence, &job->cb);
	return 0;
}

/**
 * amdgpu_glue_exec_ioctl() - DRM_IOCTL_AMDGPU_GLUE_EXEC
 * @drm: The DRM device
 * @data: &struct drm_amdgpu_glue_exec
 * @file: The file
 *
 * Return: 0; -EINVAL for a bad count or operation; -EFAULT for a bad ops
 * pointer; -ENOENT for an unknown context; -EACCES from another process;
 * -ENOMEM; -EBUSY with too many unwaited jobs.
 */
int amdgpu_glue_exec_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	struct drm_amdgpu_glue_exec *args = data;
	struct amdgpu_glue_ctx *ctx;
	struct simgpu_job *hw;
	struct simgpu_op *ops;
	u32 id;
	int err;

	if (!args->num_ops || args->num_ops > DRM_AMDGPU_GLUE_EXEC_MAX_OPS)
		return -EINVAL;
	ops = kcalloc(args->num_ops, sizeof(*ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	err = amdgpu_glue_ops_copy(args->ops, args->num_ops, ops);
	if (err)
		goto out_free;
	ctx = amdgpu_glue_ctx_lookup(file->driver_priv, args->ctx_id, true, &err);
	if (!ctx)
		goto out_free;
	hw = simgpu_job_create(&ctx->as, ops, args->num_ops);
	if (IS_ERR(hw)) {
		err = PTR_ERR(hw);
		goto out_put;
	}
	err = amdgpu_glue_job_add(ctx, hw, &id);
	if (!err) {
		args->job_id = id;
		atomic64_inc(&ctx->stats.jobs);
		simgpu_job_submit(hw);
	}
	simgpu_job_put(hw);
out_put:
	amdgpu_glue_ctx_put(ctx);
out_free:
	kfree(ops);
	return err;
}

/**
 * amdgpu_glue_ns_to_jiffies() - A uAPI timeout for a wait
 * @ns: Relative nanoseconds; < 0 for ever
 *
 * Return: jiffies, rounded up so that a short timeout still waits.
 */
long amdgpu_glue_ns_to_jiffies(s64 ns)
{
	if (ns < 0)
		return MAX_SCHEDULE_TIMEOUT;
	return ns ? min_t(u64, nsecs_to_jiffies64(ns) + 1,
			  MAX_SCHEDULE_TIMEOUT - 1) : 0;
}

/* The job behind a handle, with a fence reference, or NULL. */
static struct amdgpu_glue_job *amdgpu_glue_job_lookup(struct amdgpu_glue_ctx *ctx,
						      u64 id)
{
	struct amdgpu_glue_job *job = NULL;

	if (id > U32_MAX)
		return NULL;
	xa_lock(&ctx->jobs);
	job = xa_load(&ctx->jobs, id);
	if (job)
		dma_fence_get(&job->base);
	xa_unlock(&ctx->jobs);
	return job;
}

/* Drop handle @id if it still is @job (a concurrent WAIT may have won). */
static void amdgpu_glue_job_retire(struct amdgpu_glue_ctx *ctx, unsigned long id,
				   struct amdgpu_glue_job *job)
{
	bool won;

	xa_lock(&ctx->jobs);
	won = __xa_cmpxchg(&ctx->jobs, id, job, NULL, 0) == job;
	if (won)
		ctx->njobs--;
	xa_unlock(&ctx->jobs);
	if (won)
		dma_fence_put(&job->base);	/* The handle's */
}

/**
 * amdgpu_glue_wait_ioctl() - DRM_IOCTL_AMDGPU_GLUE_WAIT
 * @drm: The DRM device
 * @data: &struct drm_amdgpu_glue_wait
 * @file: The file
 *
 * Return: 0 with the status and result, the handle retired; -EINVAL for
 * unknown flags or a non-zero pad; -ENOENT for an unknown context or job;
 * -ETIME, -EDEADLK (reclaim back-off) or -ERESTARTSYS with the handle
 * still valid.
 */
int amdgpu_glue_wait_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	struct drm_amdgpu_glue_wait *args = data;
	struct amdgpu_glue_ctx *ctx;
	struct amdgpu_glue_job *job;
	long ret;
	int err;

	if (args->pad || (args->flags & ~DRM_AMDGPU_GLUE_WAIT_RECLAIM))
		return -EINVAL;
	ctx = amdgpu_glue_ctx_lookup(file->driver_priv, args->ctx_id, false, &err);
	if (!ctx)
		return err;
	job = amdgpu_glue_job_lookup(ctx, args->job_id);
	err = -ENOENT;
	if (!job)
		goto out_ctx;
	ret = drm_gpusvm_fence_wait(&job->base, true,
				    amdgpu_glue_ns_to_jiffies(args->timeout_ns),
				    args->flags & DRM_AMDGPU_GLUE_WAIT_RECLAIM);
	err = ret < 0 ? ret : ret ? 0 : -ETIME;
	if (!err) {
		/* The engine wrote the sum before signalling */
		smp_rmb();
		args->status = min(dma_fence_get_status(&job->base), 0);
		args->result = job->hw->result;
		amdgpu_glue_job_retire(ctx, args->job_id, job);
	}
	dma_fence_put(&job->base);
out_ctx:
	amdgpu_glue_ctx_put(ctx);
	return err;
}

/**
 * amdgpu_glue_jobs_release() - Drop every job handle of a context
 * @ctx: The context being destroyed
 */
void amdgpu_glue_jobs_release(struct amdgpu_glue_ctx *ctx)
{
	struct amdgpu_glue_job *job;
	unsigned long id;

	xa_for_each(&ctx->jobs, id, job)
		amdgpu_glue_job_retire(ctx, id, job);
}
