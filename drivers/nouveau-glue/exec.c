// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>

#include "nouveau_glue.h"
#include "nouveau_glue_drm.h"

/**
 * DOC: Jobs
 *
 * EXEC checks and converts the operations, creates a simgpu job on the
 * channel's address space and submits it under a handle of the channel
 * (&nvg_svmm.jobs, each entry holding a job reference; at most
 * %DRM_NOUVEAU_GLUE_MAX_JOBS per channel, as user space decides when a
 * handle goes). WAIT waits for the
 * job's fence; once it signalled, the handle is retired by whichever
 * waiter erases it first, and the fence error is the status. Freeing the
 * channel retires its handles after its address space retired the jobs.
 *
 * A job's fence depends on GPU fault handling, which allocates memory, so
 * it is never exported (R14).
 */

/* The engine's operation of each uAPI one; 0 is no operation. */
static const u32 nvg_ops[] = {
	[DRM_NOUVEAU_GLUE_OP_LOAD] = SIMGPU_OP_LOAD,
	[DRM_NOUVEAU_GLUE_OP_STORE] = SIMGPU_OP_STORE,
	[DRM_NOUVEAU_GLUE_OP_ADD] = SIMGPU_OP_ADD,
	[DRM_NOUVEAU_GLUE_OP_ATOMIC_ADD] = SIMGPU_OP_ATOMIC_ADD,
	[DRM_NOUVEAU_GLUE_OP_MEMSET] = SIMGPU_OP_MEMSET,
	[DRM_NOUVEAU_GLUE_OP_COPY] = SIMGPU_OP_COPY,
};

/* Is [va, va + len) a non-empty user span? */
static bool nvg_user_span(u64 va, u64 len)
{
	u64 end;

	return len && !check_add_overflow(va, len, &end) && end <= TASK_SIZE;
}

/* A copy's source: a user span apart from the destination (checked). */
static bool nvg_copy_src_ok(const struct drm_nouveau_glue_op *u)
{
	if (!nvg_user_span(u->src, u->len))
		return false;
	return u->src + u->len <= u->va || u->va + u->len <= u->src;
}

/* Check one uAPI operation as documented and convert it. */
static int nvg_op_convert(const struct drm_nouveau_glue_op *u,
			  struct simgpu_op *op)
{
	bool words = u->op >= DRM_NOUVEAU_GLUE_OP_LOAD &&
		     u->op <= DRM_NOUVEAU_GLUE_OP_ATOMIC_ADD;
	bool copy = u->op == DRM_NOUVEAU_GLUE_OP_COPY;

	if (!u->op || u->op >= ARRAY_SIZE(nvg_ops) ||
	    !nvg_user_span(u->va, u->len))
		return -EINVAL;
	if (words && ((u->va | u->len) & 3))
		return -EINVAL;
	if (copy ? !nvg_copy_src_ok(u) : u->src != 0)
		return -EINVAL;
	*op = (struct simgpu_op) {
		.code = nvg_ops[u->op],
		.value = u->value,
		.va = u->va,
		.src = u->src,
		.len = u->len,
	};
	return 0;
}

/* Copy in and convert @n operations into a new array *@out. */
static int nvg_ops_copy(u64 uptr, u32 n, struct simgpu_op **out)
{
	struct drm_nouveau_glue_op *u;
	struct simgpu_op *ops;
	int err = 0;
	u32 i;

	u = vmemdup_array_user(u64_to_user_ptr(uptr), n, sizeof(*u));
	if (IS_ERR(u))
		return PTR_ERR(u);
	ops = kvmalloc_array(n, sizeof(*ops), GFP_KERNEL);
	if (!ops)
		err = -ENOMEM;
	for (i = 0; i < n && !err; i++)
		err = nvg_op_convert(&u[i], &ops[i]);
	kvfree(u);
	if (err) {
		kvfree(ops);
		return err;
	}
	*out = ops;
	return 0;
}

/**
 * nvg_exec_ioctl() - DRM_IOCTL_NOUVEAU_GLUE_EXEC
 * @drm: The DRM device
 * @data: &struct drm_nouveau_glue_exec
 * @file: The file
 *
 * Return: 0; -EINVAL for a bad count or operation; -EFAULT for a bad ops
 * pointer; -ENOENT for an unknown channel; -EACCES from another process
 * than the channel's; -ENOMEM; -EBUSY when the channel holds
 * %DRM_NOUVEAU_GLUE_MAX_JOBS handles already, or no handle is free.
 */
int nvg_exec_ioctl(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_nouveau_glue_exec *args = data;
	struct simgpu_op *ops = NULL;
	struct simgpu_job *job;
	struct nvg_svmm *svmm;
	u32 id;
	int err;

	if (!args->num_ops || args->num_ops > DRM_NOUVEAU_GLUE_MAX_OPS)
		return -EINVAL;
	err = nvg_ops_copy(args->ops, args->num_ops, &ops);
	if (err)
		return err;
	svmm = nvg_svmm_lookup(file->driver_priv, args->channel, true, &err);
	if (!svmm)
		goto out_free;

	if (!atomic_add_unless(&svmm->njobs, 1, DRM_NOUVEAU_GLUE_MAX_JOBS)) {
		err = -EBUSY;
		goto out_put;
	}
	job = simgpu_job_create(&svmm->as, ops, args->num_ops);
	if (IS_ERR(job)) {
		err = PTR_ERR(job);
		goto out_unslot;
	}
	/* The handle's reference is the creator's */
	err = xa_alloc_cyclic(&svmm->jobs, &id, job, xa_limit_32b,
			      &svmm->next_job, GFP_KERNEL);
	if (err < 0) {
		simgpu_job_put(job);
		goto out_unslot;
	}
	err = 0;
	args->job = id;
	atomic64_inc(&svmm->stats.jobs);
	simgpu_job_submit(job);
	goto out_put;
out_unslot:
	atomic_dec(&svmm->njobs);
out_put:
	nvg_svmm_put(svmm);
out_free:
	kvfree(ops);
	return err;
}

/* Relative ns to jiffies; negative waits for ever. */
static long nvg_wait_jiffies(s64 ns)
{
	if (ns < 0)
		return MAX_SCHEDULE_TIMEOUT;
	/* At least as long as asked, a tick more rather than less */
	return ns ? min_t(u64, nsecs_to_jiffies64(ns) + 1,
			  MAX_SCHEDULE_TIMEOUT - 1) : 0;
}

/**
 * nvg_wait_ioctl() - DRM_IOCTL_NOUVEAU_GLUE_WAIT
 * @drm: The DRM device
 * @data: &struct drm_nouveau_glue_wait
 * @file: The file
 *
 * Return: 0 with the status and result; -EINVAL for non-zero flags or
 * pad, or a job id above 32 bits; -ENOENT for an unknown channel or job;
 * -ETIME on timeout and -ERESTARTSYS on a signal, leaving the handle.
 */
int nvg_wait_ioctl(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_nouveau_glue_wait *args = data;
	struct simgpu_job *job;
	struct nvg_svmm *svmm;
	long ret;
	int err;

	if (args->flags || args->pad || args->job > U32_MAX)
		return -EINVAL;
	svmm = nvg_svmm_lookup(file->driver_priv, args->channel, false, &err);
	if (!svmm)
		return err;
	xa_lock(&svmm->jobs);
	job = xa_load(&svmm->jobs, args->job);
	if (job)
		simgpu_job_get(job);
	xa_unlock(&svmm->jobs);
	err = -ENOENT;
	if (!job)
		goto out_put;

	ret = dma_fence_wait_timeout(&job->fence, true,
				     nvg_wait_jiffies(args->timeout_ns));
	err = ret < 0 ? ret : ret ? 0 : -ETIME;
	if (!err) {
		/* The result was written before the fence's atomic signal */
		smp_rmb();
		args->status = min(dma_fence_get_status(&job->fence), 0);
		args->result = job->result;
		if (xa_cmpxchg(&svmm->jobs, args->job, job, NULL, 0) == job) {
			atomic_dec(&svmm->njobs);
			simgpu_job_put(job);	/* The handle's */
		}
	}
	simgpu_job_put(job);
out_put:
	nvg_svmm_put(svmm);
	return err;
}

/**
 * nvg_jobs_fini() - Retire every job handle of a channel
 * @svmm: The channel's SVM, whose address space retired every job
 */
void nvg_jobs_fini(struct nvg_svmm *svmm)
{
	struct simgpu_job *job;
	unsigned long id;

	xa_for_each(&svmm->jobs, id, job)
		simgpu_job_put(job);
	xa_destroy(&svmm->jobs);
}
