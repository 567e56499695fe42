// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>

#include "amdgpu_glue.h"
#include "amdgpu_glue_drm.h"

/**
 * DOC: User queues
 *
 * A context's user queues are simgpu queues (drivers/simgpu/queue.c) in
 * the context's address space: user space writes packets into the ring and
 * bumps the write pointer, the device polls and runs them, and no ioctl
 * is on that path. The driver creates and destroys queues, maps their
 * pages into the process, and suspends and resumes them when the context
 * is evicted and restored (evict.c): a queue created while the context is
 * evicted starts suspended.
 *
 * Mapping: each queue gets a key in the file's &amdgpu_glue_file.mmaps;
 * mmap() of the render node at offset key << 32, shared, of exactly the
 * queue's pages (control page, then the ring) inserts them. The mapping
 * holds its own page references, so it stays valid memory after the
 * queue is gone; the device then no longer touches it. The mapping is not
 * inherited by a child (VM_DONTCOPY): the queue belongs to the context's
 * process.
 *
 * Lifetime: a queue holds a context reference; the context's
 * &amdgpu_glue_ctx.queue_ids holds the queue's. Queues are created under
 * the VM lock, which the removal of the context from its file takes to
 * mark it removed before it destroys the queues, so none slips in after. Its mmap key leaves the
 * file's xarray under &amdgpu_glue_file.mmap_lock before that reference is
 * dropped, and mmap() looks up and inserts under the same mutex, so mmap()
 * needs no reference, and never drops the last one with mmap_lock held
 * (which would tear a context down under it).
 */

#define AMDGPU_GLUE_MMAP_SHIFT	32
#define AMDGPU_GLUE_MMAP_KEYS	XA_LIMIT(1, 0xffff)

static_assert(sizeof(struct drm_amdgpu_glue_packet) == sizeof(struct simgpu_queue_packet));
static_assert(offsetof(struct drm_amdgpu_glue_packet, ops) ==
	      offsetof(struct simgpu_queue_packet, ops));
static_assert(sizeof(struct drm_amdgpu_glue_op) == sizeof(struct simgpu_op));
static_assert(sizeof(struct drm_amdgpu_glue_queue_ctl) == sizeof(struct simgpu_queue_ctl));
static_assert(DRM_AMDGPU_GLUE_PACKET_OPS == SIMGPU_QUEUE_PACKET_OPS);
static_assert(DRM_AMDGPU_GLUE_QUEUE_MAX_RING_PAGES == SIMGPU_QUEUE_MAX_RING_PAGES);

static void amdgpu_glue_queue_release(struct kref *kref)
{
	struct amdgpu_glue_queue *q = container_of(kref, struct amdgpu_glue_queue,
						   refcount);

	simgpu_queue_destroy(q->hw);
	amdgpu_glue_ctx_put(q->ctx);
	kfree(q);
}

static void amdgpu_glue_queue_put(struct amdgpu_glue_queue *q)
{
	kref_put(&q->refcount, amdgpu_glue_queue_release);
}

/* Make @q one of the context's queues, suspended if the context is evicted. */
static int amdgpu_glue_queue_link(struct amdgpu_glue_ctx *ctx,
				  struct amdgpu_glue_queue *q)
{
	int err = 0;

	spin_lock(&ctx->qlock);
	if (ctx->nqueues >= DRM_AMDGPU_GLUE_MAX_QUEUES) {
		err = -EBUSY;
	} else {
		if (ctx->evicted)
			simgpu_queue_suspend(q->hw);
		list_add_tail(&q->link, &ctx->queues);
		ctx->nqueues++;
	}
	spin_unlock(&ctx->qlock);
	return err;
}

static void amdgpu_glue_queue_unlink(struct amdgpu_glue_ctx *ctx,
				     struct amdgpu_glue_queue *q)
{
	spin_lock(&ctx->qlock);
	list_del(&q->link);
	ctx->nqueues--;
	spin_unlock(&ctx->qlock);
}

/* Create the queue and its handles; @ctx's reference becomes the queue's. */
static int amdgpu_glue_queue_new(struct amdgpu_glue_file *afile,
				 struct amdgpu_glue_ctx *ctx,
				 struct drm_amdgpu_glue_queue_create *args)
{
	struct amdgpu_glue_queue *q = kzalloc(sizeof(*q), GFP_KERNEL);
	u32 id;
	int err;

	if (!q)
		return -ENOMEM;
	q->hw = simgpu_queue_create(&ctx->as, args->ring_pages);
	if (IS_ERR(q->hw)) {
		err = PTR_ERR(q->hw);
		goto err_free;
	}
	kref_init(&q->refcount);
	q->ctx = ctx;
	err = amdgpu_glue_queue_link(ctx, q);
	if (err)
		goto err_hw;
	err = xa_alloc(&afile->mmaps, &q->mmap_key, q, AMDGPU_GLUE_MMAP_KEYS,
		       GFP_KERNEL);
	if (err)
		goto err_unlink;
	err = xa_alloc(&ctx->queue_ids, &id, q, xa_limit_32b, GFP_KERNEL);
	if (err)
		goto err_key;
	args->queue_id = id;
	args->num_packets = simgpu_queue_npackets(q->hw);
	args->mmap_offset = (u64)q->mmap_key << AMDGPU_GLUE_MMAP_SHIFT;
	args->mmap_size = (u64)simgpu_queue_npages(q->hw) << PAGE_SHIFT;
	return 0;

err_key:
	mutex_lock(&afile->mmap_lock);
	xa_erase(&afile->mmaps, q->mmap_key);
	mutex_unlock(&afile->mmap_lock);
err_unlink:
	amdgpu_glue_queue_unlink(ctx, q);
err_hw:
	simgpu_queue_destroy(q->hw);
err_free:
	kfree(q);
	return err;
}

/**
 * amdgpu_glue_queue_create_ioctl() - DRM_IOCTL_AMDGPU_GLUE_QUEUE_CREATE
 * @drm: The DRM device
 * @data: &struct drm_amdgpu_glue_queue_create
 * @file: The file
 *
 * Return: 0; -EINVAL for a bad ring size or non-zero outputs; -ENOENT for
 * an unknown context; -EACCES from another process; -EBUSY with
 * %DRM_AMDGPU_GLUE_MAX_QUEUES queues; -ENOMEM.
 */
int amdgpu_glue_queue_create_ioctl(struct drm_device *drm, void *data,
				   struct drm_file *file)
{
	struct drm_amdgpu_glue_queue_create *args = data;
	struct amdgpu_glue_ctx *ctx;
	int err;

	if (!args->ring_pages ||
	    args->ring_pages > DRM_AMDGPU_GLUE_QUEUE_MAX_RING_PAGES ||
	    args->queue_id || args->num_packets || args->mmap_offset ||
	    args->mmap_size)
		return -EINVAL;
	ctx = amdgpu_glue_ctx_lookup(file->driver_priv, args->ctx_id, true, &err);
	if (!ctx)
		return err;
	/* Serialised with the context's removal from the file */
	mutex_lock(&ctx->lock);
	err = ctx->removed ? -ENOENT :
	      amdgpu_glue_queue_new(file->driver_priv, ctx, args);
	mutex_unlock(&ctx->lock);
	if (err)
		amdgpu_glue_ctx_put(ctx);
	return err;
}

/* Take a queue off the context and the file, and drop the handle's ref. */
static void amdgpu_glue_queue_remove(struct amdgpu_glue_file *afile,
				     struct amdgpu_glue_queue *q)
{
	amdgpu_glue_queue_unlink(q->ctx, q);
	mutex_lock(&afile->mmap_lock);
	xa_erase(&afile->mmaps, q->mmap_key);
	mutex_unlock(&afile->mmap_lock);
	amdgpu_glue_queue_put(q);
}

/**
 * amdgpu_glue_queue_destroy_ioctl() - DRM_IOCTL_AMDGPU_GLUE_QUEUE_DESTROY
 * @drm: The DRM device
 * @data: &struct drm_amdgpu_glue_queue_destroy
 * @file: The file
 *
 * Return: 0; -ENOENT for an unknown context or queue.
 */
int amdgpu_glue_queue_destroy_ioctl(struct drm_device *drm, void *data,
				    struct drm_file *file)
{
	struct drm_amdgpu_glue_queue_destroy *args = data;
	struct amdgpu_glue_queue *q;
	struct amdgpu_glue_ctx *ctx;
	int err;

	ctx = amdgpu_glue_ctx_lookup(file->driver_priv, args->ctx_id, false, &err);
	if (!ctx)
		return err;
	q = xa_erase(&ctx->queue_ids, args->queue_id);
	if (q)
		amdgpu_glue_queue_remove(file->driver_priv, q);
	amdgpu_glue_ctx_put(ctx);
	return q ? 0 : -ENOENT;
}

/**
 * amdgpu_glue_queues_release() - Destroy every queue of a context
 * @afile: The file the context belongs to
 * @ctx: The context, taken off the file
 */
void amdgpu_glue_queues_release(struct amdgpu_glue_file *afile,
				struct amdgpu_glue_ctx *ctx)
{
	struct amdgpu_glue_queue *q;
	unsigned long id;

	xa_for_each(&ctx->queue_ids, id, q) {
		xa_erase(&ctx->queue_ids, id);
		amdgpu_glue_queue_remove(afile, q);
	}
}

/**
 * amdgpu_glue_queue_wait_ioctl() - DRM_IOCTL_AMDGPU_GLUE_QUEUE_WAIT
 * @drm: The DRM device
 * @data: &struct drm_amdgpu_glue_queue_wait
 * @file: The file
 *
 * Return: 0; -ENOENT for an unknown context or queue; -ETIME;
 * -ERESTARTSYS; -EINVAL if the queue stopped on a bad write pointer.
 */
int amdgpu_glue_queue_wait_ioctl(struct drm_device *drm, void *data,
				 struct drm_file *file)
{
	struct drm_amdgpu_glue_queue_wait *args = data;
	struct amdgpu_glue_queue *q;
	struct amdgpu_glue_ctx *ctx;
	int err;

	ctx = amdgpu_glue_ctx_lookup(file->driver_priv, args->ctx_id, false, &err);
	if (!ctx)
		return err;
	xa_lock(&ctx->queue_ids);
	q = xa_load(&ctx->queue_ids, args->queue_id);
	if (q)
		kref_get(&q->refcount);
	xa_unlock(&ctx->queue_ids);
	err = -ENOENT;
	if (q) {
		err = simgpu_queue_wait(q->hw, args->done,
					amdgpu_glue_ns_to_jiffies(args->timeout_ns));
		amdgpu_glue_queue_put(q);
	}
	amdgpu_glue_ctx_put(ctx);
	return err;
}

/**
 * amdgpu_glue_mmap() - mmap of the render node: a queue's pages
 * @filp: The DRM file
 * @vma: The mapping: shared, at a queue's offset, its exact size
 *
 * Return: 0; -EINVAL for a bad offset, size or a private mapping; the
 * error of vm_insert_pages().
 */
int amdgpu_glue_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct drm_file *file = filp->private_data;
	struct amdgpu_glue_file *afile = file->driver_priv;
	unsigned long key = vma->vm_pgoff >> (AMDGPU_GLUE_MMAP_SHIFT - PAGE_SHIFT);
	struct page *pages[1 + SIMGPU_QUEUE_MAX_RING_PAGES];
	struct amdgpu_glue_queue *q;
	unsigned long i, n;
	int err = -EINVAL;

	if (key << (AMDGPU_GLUE_MMAP_SHIFT - PAGE_SHIFT) != vma->vm_pgoff ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* Keeps the queue: removal takes it too */
	mutex_lock(&afile->mmap_lock);
	q = xa_load(&afile->mmaps, key);
	n = q ? simgpu_queue_npages(q->hw) : 0;
	if (q && vma_pages(vma) == n) {
		for (i = 0; i < n; i++)
			pages[i] = simgpu_queue_page(q->hw, i);
		vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY);
		vm_flags_clear(vma, VM_MAYEXEC);
		err = vm_insert_pages(vma, vma->vm_start, pages, &n);
	}
	mutex_unlock(&afile->mmap_lock);
	return err;
}
