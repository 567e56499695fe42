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

#include "xe_glue.h"
#include "xe_glue_drm.h"

/**
 * DOC: Jobs
 *
 * DRM_IOCTL_XE_GLUE_EXEC copies the operations in, checks them
 * (DRM_XE_GLUE_OP_* share their numbers with SIMGPU_OP_*), creates a simgpu
 * job on the VM's address space and submits it under a handle, a per-file
 * xarray entry (&xe_glue_file.jobs) holding a job reference and the id of
 * its VM. DRM_IOCTL_XE_GLUE_WAIT waits for the job's fence; when it has
 * signalled, the handle is retired and the fence error is the status.
 *
 * The fence depends on GPU fault handling, which allocates memory, so it
 * is never exported (no sync_file, no dma_resv): R14.
 *
 * Destroying a VM retires the handles of its jobs (its address space
 * cancels them); closing the file retires the rest.
 */

/**
 * struct xe_glue_job_handle - What a job id stands for
 * @vm_id: The VM the job runs in
 * @job: The job; a reference is held
 */
struct xe_glue_job_handle {
	u32 vm_id;
	struct simgpu_job *job;
};

/* The engine's operation for each uAPI one (the numbers happen to match). */
static const u32 xe_glue_op_codes[] = {
	[DRM_XE_GLUE_OP_LOAD] = SIMGPU_OP_LOAD,
	[DRM_XE_GLUE_OP_STORE] = SIMGPU_OP_STORE,
	[DRM_XE_GLUE_OP_ADD] = SIMGPU_OP_ADD,
	[DRM_XE_GLUE_OP_ATOMIC_ADD] = SIMGPU_OP_ATOMIC_ADD,
	[DRM_XE_GLUE_OP_MEMSET] = SIMGPU_OP_MEMSET,
	[DRM_XE_GLUE_OP_COPY] = SIMGPU_OP_COPY,
};

/* Check one operation as the uAPI documents it, and convert it. */
static int xe_glue_op_convert(const struct drm_xe_glue_op *uop,
			      struct simgpu_op *op)
{
	bool u32_op = uop->code <= DRM_XE_GLUE_OP_ATOMIC_ADD;
	u64 end, src_end;

	if (uop->code >= ARRAY_SIZE(xe_glue_op_codes) ||
	    xe_glue_check_span(uop->va, uop->len, false))
		return -EINVAL;
	if (u32_op && (!IS_ALIGNED(uop->va, 4) || !IS_ALIGNED(uop->len, 4)))
		return -EINVAL;
	if (uop->code != DRM_XE_GLUE_OP_COPY && uop->src)
		return -EINVAL;
	if (uop->code == DRM_XE_GLUE_OP_COPY) {
		/* Spans checked above: no wrap */
		end = uop->va + uop->len;
		if (xe_glue_check_span(uop->src, uop->len, false))
			return -EINVAL;
		src_end = uop->src + uop->len;
		if (src_end > uop->va && end > uop->src)
			return -EINVAL;	/* Overlap */
	}
	*op = (struct simgpu_op) {
		.code = xe_glue_op_codes[uop->code],
		.value = uop->value,
		.va = uop->va,
		.src = uop->src,
		.len = uop->len,
	};
	return 0;
}

/* Copy the operations in and convert them; the caller frees *@ops. */
static int xe_glue_ops_get(const struct drm_xe_glue_exec *args,
			   struct simgpu_op **ops)
{
	struct drm_xe_glue_op *uops;
	u32 i;
	int err = 0;

	uops = kvmalloc_array(args->num_ops, sizeof(*uops), GFP_KERNEL);
	*ops = kvmalloc_array(args->num_ops, sizeof(**ops), GFP_KERNEL);
	if (!uops || !*ops) {
		err = -ENOMEM;
		goto out_free;
	}
	if (copy_from_user(uops, u64_to_user_ptr(args->ops),
			   array_size(args->num_ops, sizeof(*uops)))) {
		err = -EFAULT;
		goto out_free;
	}
	for (i = 0; i < args->num_ops && !err; i++)
		err = xe_glue_op_convert(&uops[i], &(*ops)[i]);
out_free:
	kvfree(uops);
	return err;
}

/* Create the job and its handle; submitted by the caller. */
static int xe_glue_job_create(struct xe_glue_file *xfile, struct xe_glue_vm *vm,
			      u32 vm_id, const struct simgpu_op *ops, u32 nops,
			      struct simgpu_job **out, u32 *id)
{
	struct xe_glue_job_handle *h;
	struct simgpu_job *job;
	int err;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	job = simgpu_job_create(&vm->as, ops, nops);
	if (IS_ERR(job)) {
		kfree(h);
		return PTR_ERR(job);
	}
	h->vm_id = vm_id;
	h->job = simgpu_job_get(job);	/* Put when the handle retires */
	err = xa_alloc_cyclic(&xfile->jobs, id, h, xa_limit_32b,
			      &xfile->next_job, GFP_KERNEL);
	if (err < 0) {
		simgpu_job_put(job);
		simgpu_job_put(job);
		kfree(h);
		return err;
	}
	*out = job;
	return 0;
}

/**
 * xe_glue_exec_ioctl() - DRM_IOCTL_XE_GLUE_EXEC
 * @drm: The DRM device
 * @data: &struct drm_xe_glue_exec
 * @file: The file
 *
 * Return: 0; -EINVAL for a bad operation or count; -EFAULT for a bad ops
 * pointer; -ENOENT for an unknown VM; -EACCES from another process than
 * the VM's; -ENOMEM; -EBUSY when no handle is free.
 */
int xe_glue_exec_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct xe_glue_file *xfile = file->driver_priv;
	struct drm_xe_glue_exec *args = data;
	struct simgpu_op *ops = NULL;
	struct simgpu_job *job;
	struct xe_glue_vm *vm;
	u32 id;
	int err;

	if (!args->num_ops || args->num_ops > DRM_XE_GLUE_MAX_OPS)
		return -EINVAL;
	err = xe_glue_ops_get(args, &ops);
	if (err)
		goto out_free;
	vm = xe_glue_vm_lookup(xfile, args->vm_id, true, &err);
	if (!vm)
		goto out_free;

	err = xe_glue_job_create(xfile, vm, args->vm_id, ops, args->num_ops,
				 &job, &id);
	if (!err) {
		args->job_id = id;
		atomic64_inc(&vm->stats.jobs);
		simgpu_job_submit(job);
		simgpu_job_put(job);	/* The handle and the engine hold it */
	}
	xe_glue_vm_put(vm);
out_free:
	kvfree(ops);
	return err;
}

/* Relative ns to a wait timeout in jiffies; < 0 is for ever. */
static long xe_glue_timeout(s64 timeout_ns)
{
	if (timeout_ns < 0)
		return MAX_SCHEDULE_TIMEOUT;
	if (!timeout_ns)
		return 0;
	/* Round up: a short timeout still waits at least that long */
	return min_t(u64, nsecs_to_jiffies64(timeout_ns) + 1,
		     MAX_SCHEDULE_TIMEOUT - 1);
}

/* Retire handle @id if it still is @h; the winner drops its reference. */
static void xe_glue_handle_retire(struct xe_glue_file *xfile, u32 id,
				  struct xe_glue_job_handle *h)
{
	if (xa_cmpxchg(&xfile->jobs, id, h, NULL, GFP_KERNEL) != h)
		return;
	simgpu_job_put(h->job);
	kfree(h);
}

/* The job behind handle @id of VM @vm_id, with a reference, or NULL. */
static struct simgpu_job *xe_glue_job_lookup(struct xe_glue_file *xfile,
					     u32 vm_id, u64 id,
					     struct xe_glue_job_handle **h)
{
	struct simgpu_job *job = NULL;

	if (id > U32_MAX)
		return NULL;
	xa_lock(&xfile->jobs);
	*h = xa_load(&xfile->jobs, id);
	if (*h && (*h)->vm_id == vm_id)
		job = simgpu_job_get((*h)->job);
	xa_unlock(&xfile->jobs);
	return job;
}

/**
 * xe_glue_wait_ioctl() - DRM_IOCTL_XE_GLUE_WAIT
 * @drm: The DRM device
 * @data: &struct drm_xe_glue_wait
 * @file: The file
 *
 * Any process holding the file may wait; no memory of the VM is touched.
 *
 * Return: 0 with the job's status and result; -EINVAL for non-zero pads;
 * -ENOENT for an unknown VM or job; -ETIME on timeout and -ERESTARTSYS on
 * a signal, both leaving the handle valid.
 */
int xe_glue_wait_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct xe_glue_file *xfile = file->driver_priv;
	struct drm_xe_glue_wait *args = data;
	struct xe_glue_job_handle *h;
	struct simgpu_job *job;
	struct xe_glue_vm *vm;
	long ret;
	int err;

	if (args->pad || args->pad2)
		return -EINVAL;
	vm = xe_glue_vm_lookup(xfile, args->vm_id, false, &err);
	if (!vm)
		return err;
	job = xe_glue_job_lookup(xfile, args->vm_id, args->job_id, &h);
	if (!job) {
		err = -ENOENT;
		goto out_put_vm;
	}

	ret = dma_fence_wait_timeout(&job->fence, true,
				     xe_glue_timeout(args->timeout_ns));
	if (ret <= 0) {
		err = ret ?: -ETIME;
		goto out_put_job;
	}
	err = 0;
	/*
	 * The engine writes the result before it signals (an atomic RMW, a
	 * full barrier); the wait may have seen the signalled bit without one.
	 */
	smp_rmb();
	args->status = min(dma_fence_get_status(&job->fence), 0);
	args->result = job->result;
	xe_glue_handle_retire(xfile, args->job_id, h);
out_put_job:
	simgpu_job_put(job);
out_put_vm:
	xe_glue_vm_put(vm);
	return err;
}

/**
 * xe_glue_jobs_release() - Retire job handles
 * @xfile: The file
 * @vm_id: Retire the handles of this VM, or every handle for 0
 */
void xe_glue_jobs_release(struct xe_glue_file *xfile, u32 vm_id)
{
	struct xe_glue_job_handle *h;
	unsigned long id;

	xa_for_each(&xfile->jobs, id, h)
		if (!vm_id || h->vm_id == vm_id)
			xe_glue_handle_retire(xfile, id, h);
}
