/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * The nouveau_glue entry of gpusvm-demo (drivers/nouveau-glue/
 * nouveau_glue_drm.h), included by tools/gpusvm-demo.c after its struct
 * glue, struct gpu, struct op, struct stats and xioctl(). Build with
 * -Idrivers/nouveau-glue. The demo's VM is a channel whose SVM window is
 * the whole address space; madvise is SVM_BIND ATTR, prefetch is SVM_BIND
 * MIGRATE.
 */

#ifndef __GPUSVM_DEMO_NOUVEAU_H__
#define __GPUSVM_DEMO_NOUVEAU_H__

#include "nouveau_glue_drm.h"

static int nvg_demo_vm_create(struct gpu *g)
{
	struct drm_nouveau_glue_svm_init a = {
		.flags = DRM_NOUVEAU_GLUE_SVM_INIT_ALL,
	};
	int ret = xioctl(g->fd, DRM_IOCTL_NOUVEAU_GLUE_SVM_INIT, &a);

	g->vm = ret ? 0 : a.channel;
	return ret;
}

static int nvg_demo_vm_destroy(struct gpu *g)
{
	struct drm_nouveau_glue_channel_free a = { .channel = g->vm };

	return xioctl(g->fd, DRM_IOCTL_NOUVEAU_GLUE_CHANNEL_FREE, &a);
}

static uint32_t nvg_demo_target(enum loc loc)
{
	if (loc == LOC_SYSTEM)
		return DRM_NOUVEAU_GLUE_TARGET_HOST;
	return loc == LOC_DEVICE ? DRM_NOUVEAU_GLUE_TARGET_VRAM :
				   DRM_NOUVEAU_GLUE_TARGET_DEFAULT;
}

static int nvg_demo_bind(struct gpu *g, uint32_t cmd, const void *start,
			 uint64_t len, enum loc loc)
{
	struct drm_nouveau_glue_svm_bind a = {
		.channel = g->vm, .command = cmd,
		.va_start = (uintptr_t)start, .va_end = (uintptr_t)start + len,
		.target = nvg_demo_target(loc),
	};

	return xioctl(g->fd, DRM_IOCTL_NOUVEAU_GLUE_SVM_BIND, &a);
}

static int nvg_demo_madvise(struct gpu *g, const void *start, uint64_t len,
			    enum loc loc)
{
	return nvg_demo_bind(g, DRM_NOUVEAU_GLUE_BIND_ATTR, start, len, loc);
}

static int nvg_demo_prefetch(struct gpu *g, const void *start, uint64_t len,
			     enum loc loc)
{
	return nvg_demo_bind(g, DRM_NOUVEAU_GLUE_BIND_MIGRATE, start, len, loc);
}

static int nvg_demo_exec(struct gpu *g, const struct op *ops, unsigned int n,
			 uint64_t *job)
{
	static const uint32_t code[] = {
		[OP_LOAD] = DRM_NOUVEAU_GLUE_OP_LOAD,
		[OP_STORE] = DRM_NOUVEAU_GLUE_OP_STORE,
		[OP_ADD] = DRM_NOUVEAU_GLUE_OP_ADD,
		[OP_ATOMIC_ADD] = DRM_NOUVEAU_GLUE_OP_ATOMIC_ADD,
		[OP_MEMSET] = DRM_NOUVEAU_GLUE_OP_MEMSET,
		[OP_COPY] = DRM_NOUVEAU_GLUE_OP_COPY,
	};
	struct drm_nouveau_glue_op nops[DRM_NOUVEAU_GLUE_MAX_OPS];
	struct drm_nouveau_glue_exec e = {
		.channel = g->vm, .num_ops = n, .ops = (uintptr_t)nops,
	};
	unsigned int i;
	int ret;

	if (n > DRM_NOUVEAU_GLUE_MAX_OPS)
		return -E2BIG;
	for (i = 0; i < n; i++)
		nops[i] = (struct drm_nouveau_glue_op){
			.op = code[ops[i].code], .value = ops[i].value,
			.va = (uintptr_t)ops[i].va,
			.src = (uintptr_t)ops[i].src, .len = ops[i].len,
		};
	ret = xioctl(g->fd, DRM_IOCTL_NOUVEAU_GLUE_EXEC, &e);
	if (!ret)
		*job = e.job;
	return ret;
}

static int nvg_demo_wait(struct gpu *g, uint64_t job, int *status,
			 uint64_t *result)
{
	struct drm_nouveau_glue_wait w = {
		.channel = g->vm, .job = job, .timeout_ns = WAIT_NS,
	};
	int ret = xioctl(g->fd, DRM_IOCTL_NOUVEAU_GLUE_WAIT, &w);

	if (!ret) {
		*status = w.status;
		*result = w.result;
	}
	return ret;
}

static int nvg_demo_stats(struct gpu *g, struct stats *s)
{
	struct drm_nouveau_glue_svm_stats v = { .channel = g->vm };
	int ret = xioctl(g->fd, DRM_IOCTL_NOUVEAU_GLUE_SVM_STATS, &v);

	if (ret)
		return ret;
	*s = (struct stats){
		.faults = v.faults, .mapped = v.pages_mapped,
		.to_vram = v.migrations_to_vram, .to_ram = v.migrations_to_ram,
		.bytes_moved = (v.migrations_to_vram + v.migrations_to_ram) *
			       (uint64_t)sysconf(_SC_PAGESIZE),
		.retries = v.retries, .evictions = v.evictions,
		.jobs_failed = v.jobs_failed,
	};
	return 0;
}

static const struct glue nouveau_glue_demo = {
	.driver = "nouveau_glue",
	.max_ops = DRM_NOUVEAU_GLUE_MAX_OPS,
	.vm_create = nvg_demo_vm_create,
	.vm_destroy = nvg_demo_vm_destroy,
	.madvise = nvg_demo_madvise,
	.prefetch = nvg_demo_prefetch,
	.exec = nvg_demo_exec,
	.wait = nvg_demo_wait,
	.stats = nvg_demo_stats,
};

#endif /* __GPUSVM_DEMO_NOUVEAU_H__ */
