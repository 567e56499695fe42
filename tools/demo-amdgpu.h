/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * The amdgpu_glue entry of gpusvm-demo (drivers/amdgpu-glue/
 * amdgpu_glue_drm.h), included by tools/gpusvm-demo.c after its own types
 * (struct gpu, struct glue, enum loc, struct op, struct stats, xioctl(),
 * WAIT_NS) and before its table of glues.
 *
 * The demo's VM is a process context with XNACK on, so the GPU faults
 * memory in as the xe glue's does. Its work goes through a user-mode queue
 * the way a KFD program's does: the queue's ring and pointer page are
 * mmap'ed, and a job is written as packets of up to
 * DRM_AMDGPU_GLUE_PACKET_OPS operations followed by a bump of the write
 * pointer, no ioctl. The queue runs packets in order, so a job split over
 * several packets keeps its order. Waiting sleeps in QUEUE_WAIT until the
 * done pointer passes the job's last packet, then reads the status and
 * load sum the device wrote back into each packet's slot; slots are read
 * back before the ring reuses them. Hints are SVM attributes: madvise sets
 * PREFERRED_LOC, prefetch sets PREFETCH_LOC (which migrates and maps at
 * once).
 */

#ifndef __GPUSVM_DEMO_AMDGPU_H__
#define __GPUSVM_DEMO_AMDGPU_H__

#include "amdgpu_glue_drm.h"

/* Ring pages of the demo's queue: 16 slots per page. */
#define AMD_DEMO_RING_PAGES	16

/* The result of a job, gathered from its packets' slots. */
struct amd_demo_job {
	uint64_t last;		/* seqno of its last packet */
	uint64_t result;
	int status;
};

/* The queue of one demo VM, found by (fd, ctx). */
struct amd_demo_queue {
	int fd;
	uint32_t ctx, id, npk, device;
	size_t size;
	struct drm_amdgpu_glue_queue_ctl *ctl;
	struct drm_amdgpu_glue_packet *ring;
	uint64_t harvested;	/* packets whose slot was read back */
	size_t *slot_job;	/* job of each slot */
	struct amd_demo_job *jobs;
	size_t njobs;
};

static struct amd_demo_queue *amd_demo_queues[MAX_NODES];

static struct amd_demo_queue *amd_queue(struct gpu *g)
{
	unsigned int i;

	for (i = 0; i < MAX_NODES; i++)
		if (amd_demo_queues[i] && amd_demo_queues[i]->fd == g->fd &&
		    amd_demo_queues[i]->ctx == g->vm)
			return amd_demo_queues[i];
	return NULL;
}

static void amd_queue_free(struct amd_demo_queue *q)
{
	struct drm_amdgpu_glue_queue_destroy d = { q->ctx, q->id };
	unsigned int i;

	for (i = 0; i < MAX_NODES; i++)
		if (amd_demo_queues[i] == q)
			amd_demo_queues[i] = NULL;
	if (q->ctl)
		munmap(q->ctl, q->size);
	if (q->id)
		xioctl(q->fd, DRM_IOCTL_AMDGPU_GLUE_QUEUE_DESTROY, &d);
	free(q->slot_job);
	free(q->jobs);
	free(q);
}

/* Create the queue, map it and remember it. */
static int amd_queue_new(struct gpu *g)
{
	struct drm_amdgpu_glue_queue_create c = {
		.ctx_id = g->vm, .ring_pages = AMD_DEMO_RING_PAGES,
	};
	struct drm_amdgpu_glue_ctx_stats s = { .ctx_id = g->vm };
	struct amd_demo_queue *q = calloc(1, sizeof(*q));
	unsigned int i;
	void *p;
	int ret;

	if (!q)
		return -ENOMEM;
	q->fd = g->fd;
	q->ctx = g->vm;
	ret = xioctl(g->fd, DRM_IOCTL_AMDGPU_GLUE_CTX_STATS, &s);
	if (!ret)
		ret = xioctl(g->fd, DRM_IOCTL_AMDGPU_GLUE_QUEUE_CREATE, &c);
	if (ret)
		goto err;
	q->id = c.queue_id;
	q->npk = c.num_packets;
	q->device = s.device;
	p = mmap(NULL, c.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd,
		 c.mmap_offset);
	ret = -ENOMEM;
	q->slot_job = calloc(q->npk, sizeof(*q->slot_job));
	if (p == MAP_FAILED || !q->slot_job)
		goto err;
	q->size = c.mmap_size;
	q->ctl = p;
	q->ring = (void *)((char *)p + c.mmap_size / (AMD_DEMO_RING_PAGES + 1));
	for (i = 0; i < MAX_NODES; i++) {
		if (!amd_demo_queues[i]) {
			amd_demo_queues[i] = q;
			return 0;
		}
	}
err:
	amd_queue_free(q);
	return ret;
}

static int amd_vm_create(struct gpu *g)
{
	struct drm_amdgpu_glue_ctx_create c = {
		.flags = DRM_AMDGPU_GLUE_CTX_XNACK,
	};
	struct drm_amdgpu_glue_ctx_destroy d = {};
	int ret = xioctl(g->fd, DRM_IOCTL_AMDGPU_GLUE_CTX_CREATE, &c);

	g->vm = ret ? 0 : c.ctx_id;
	if (!ret) {
		ret = amd_queue_new(g);
		if (ret) {
			d.ctx_id = g->vm;
			xioctl(g->fd, DRM_IOCTL_AMDGPU_GLUE_CTX_DESTROY, &d);
			g->vm = 0;
		}
	}
	return ret;
}

static int amd_vm_destroy(struct gpu *g)
{
	struct drm_amdgpu_glue_ctx_destroy d = { .ctx_id = g->vm };
	struct amd_demo_queue *q = amd_queue(g);

	if (q)
		amd_queue_free(q);
	return xioctl(g->fd, DRM_IOCTL_AMDGPU_GLUE_CTX_DESTROY, &d);
}

static uint32_t amd_loc(struct gpu *g, enum loc loc)
{
	struct amd_demo_queue *q = amd_queue(g);

	switch (loc) {
	case LOC_SYSTEM:
		return DRM_AMDGPU_GLUE_SVM_LOC_SYSTEM;
	case LOC_DEVICE:
		return DRM_AMDGPU_GLUE_SVM_LOC_DEVICE(q ? q->device : 0);
	default:
		return DRM_AMDGPU_GLUE_SVM_LOC_UNDEFINED;
	}
}

static int amd_set_attr(struct gpu *g, const void *start, uint64_t len,
			uint32_t type, uint32_t value)
{
	struct drm_amdgpu_glue_svm_attribute a = { type, value };
	struct drm_amdgpu_glue_svm s = {
		.ctx_id = g->vm, .op = DRM_AMDGPU_GLUE_SVM_OP_SET_ATTR,
		.start = (uintptr_t)start, .size = len, .nattr = 1,
		.attrs = (uintptr_t)&a,
	};

	return xioctl(g->fd, DRM_IOCTL_AMDGPU_GLUE_SVM, &s);
}

static int amd_madvise(struct gpu *g, const void *start, uint64_t len,
		       enum loc loc)
{
	return amd_set_attr(g, start, len, DRM_AMDGPU_GLUE_SVM_ATTR_PREFERRED_LOC,
			    amd_loc(g, loc));
}

static int amd_prefetch(struct gpu *g, const void *start, uint64_t len,
			enum loc loc)
{
	return amd_set_attr(g, start, len, DRM_AMDGPU_GLUE_SVM_ATTR_PREFETCH_LOC,
			    amd_loc(g, loc));
}

/* Read back the slots of retired packets into their jobs. */
static void amd_harvest(struct amd_demo_queue *q)
{
	uint64_t done = __atomic_load_n(&q->ctl->done, __ATOMIC_ACQUIRE);

	for (; q->harvested < done; q->harvested++) {
		const struct drm_amdgpu_glue_packet *p = &q->ring[q->harvested % q->npk];
		struct amd_demo_job *j = &q->jobs[q->slot_job[q->harvested % q->npk]];

		if (p->status && !j->status)
			j->status = p->status;
		j->result += p->result;
	}
}

/* Sleep until the done pointer reaches @seqno, then read back. */
static int amd_wait_done(struct amd_demo_queue *q, uint64_t seqno)
{
	struct drm_amdgpu_glue_queue_wait w = {
		.ctx_id = q->ctx, .queue_id = q->id, .done = seqno,
		.timeout_ns = WAIT_NS,
	};
	int ret = xioctl(q->fd, DRM_IOCTL_AMDGPU_GLUE_QUEUE_WAIT, &w);

	amd_harvest(q);
	return ret;
}

static int amd_exec(struct gpu *g, const struct op *ops, unsigned int n,
		    uint64_t *job)
{
	static const uint32_t code[] = {
		[OP_LOAD] = DRM_AMDGPU_GLUE_OP_LOAD,
		[OP_STORE] = DRM_AMDGPU_GLUE_OP_STORE,
		[OP_ADD] = DRM_AMDGPU_GLUE_OP_ADD,
		[OP_ATOMIC_ADD] = DRM_AMDGPU_GLUE_OP_ATOMIC_ADD,
		[OP_MEMSET] = DRM_AMDGPU_GLUE_OP_MEMSET,
		[OP_COPY] = DRM_AMDGPU_GLUE_OP_COPY,
	};
	struct amd_demo_queue *q = amd_queue(g);
	struct amd_demo_job *jobs;
	unsigned int i, k;
	int ret;

	if (!q)
		return -ENOENT;
	jobs = realloc(q->jobs, (q->njobs + 1) * sizeof(*jobs));
	if (!jobs)
		return -ENOMEM;
	q->jobs = jobs;
	jobs[q->njobs] = (struct amd_demo_job){};
	for (i = 0; i < n; i += k) {
		uint64_t w = q->ctl->wptr;
		struct drm_amdgpu_glue_packet *p = &q->ring[w % q->npk];

		/* The slot is free once done passed it, and read back */
		while (w - q->harvested >= q->npk) {
			ret = amd_wait_done(q, w - q->npk + 1);
			if (ret)
				return ret;
		}
		k = n - i < DRM_AMDGPU_GLUE_PACKET_OPS ? n - i :
							 DRM_AMDGPU_GLUE_PACKET_OPS;
		memset(p, 0, sizeof(*p));
		p->nops = k;
		for (unsigned int j = 0; j < k; j++)
			p->ops[j] = (struct drm_amdgpu_glue_op){
				.code = code[ops[i + j].code],
				.value = ops[i + j].value,
				.va = (uintptr_t)ops[i + j].va,
				.src = (uintptr_t)ops[i + j].src,
				.len = ops[i + j].len,
			};
		q->slot_job[w % q->npk] = q->njobs;
		__atomic_store_n(&q->ctl->wptr, w + 1, __ATOMIC_RELEASE);
		jobs[q->njobs].last = w + 1;
	}
	*job = ++q->njobs;
	return 0;
}

static int amd_wait(struct gpu *g, uint64_t job, int *status,
		    uint64_t *result)
{
	struct amd_demo_queue *q = amd_queue(g);
	struct amd_demo_job *j;
	int ret;

	if (!q || !job || job > q->njobs)
		return -ENOENT;
	j = &q->jobs[job - 1];
	while (q->harvested < j->last) {
		ret = amd_wait_done(q, j->last);
		if (ret)
			return ret;
	}
	*status = j->status;
	*result = j->result;
	return 0;
}

static int amd_stats(struct gpu *g, struct stats *s)
{
	struct drm_amdgpu_glue_ctx_stats v = { .ctx_id = g->vm };
	int ret = xioctl(g->fd, DRM_IOCTL_AMDGPU_GLUE_CTX_STATS, &v);

	if (ret)
		return ret;
	*s = (struct stats){
		.faults = v.gpu_faults, .mapped = v.pages_mapped,
		.to_vram = v.migrations_to_vram, .to_ram = v.migrations_to_ram,
		.bytes_moved = (v.migrations_to_vram + v.migrations_to_ram) * 4096,
		.retries = v.bind_retries, .evictions = v.evictions,
		.jobs_failed = v.jobs_failed,
	};
	return 0;
}

static const struct glue amdgpu_glue_demo = {
	.driver = "amdgpu_glue",
	.max_ops = 8 * DRM_AMDGPU_GLUE_PACKET_OPS,
	.vm_create = amd_vm_create,
	.vm_destroy = amd_vm_destroy,
	.madvise = amd_madvise,
	.prefetch = amd_prefetch,
	.exec = amd_exec,
	.wait = amd_wait,
	.stats = amd_stats,
};

#endif /* __GPUSVM_DEMO_AMDGPU_H__ */
