/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * The glue drivers as the reliability tools see them: one small table per
 * backend (struct backend) that opens a device unit with a VM mirroring
 * this process, submits GPU operations, waits, and prefetches. Two kinds:
 *
 * - a glue's DRM render node (xe_glue: drivers/xe-glue/xe_glue_drm.h),
 *   with asynchronous jobs;
 * - the test_hmm ABI node /dev/hmm_dmirrorN (drivers/mirror), which every
 *   glue serves with mirror_compat=1. Its READ and WRITE are device
 *   accesses through simgpu's MMU that fault synchronously in the caller's
 *   task; operations run at submit, on whole pages.
 *
 * Adding a glue is a table like xe_backend and its ioctl wrappers; the
 * tools pick backends by name (-b). Header-only: each tool is one file.
 */

#ifndef __GPUSVM_TOOLS_GLUE_H__
#define __GPUSVM_TOOLS_GLUE_H__

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "xe_glue_drm.h"
#include "nouveau_glue_drm.h"
#include "amdgpu_glue_drm.h"
#include "test_hmm_uapi.h"

/* What a job may do; each backend maps these to its own uAPI. */
enum gop_code {
	GOP_LOAD,	/* result += sum of u32 at [va, va + len) */
	GOP_STORE,	/* u32 value over [va, va + len) */
	GOP_ADD,	/* each u32 += value */
	GOP_ATOMIC_ADD,	/* each u32 += value, atomically */
	GOP_COPY,	/* [va, va + len) = [src, src + len) */
};

struct gop {
	enum gop_code code;
	uint32_t value;
	void *va;
	const void *src;
	uint64_t len;
};

#define GLUE_MAX_OPS	256
#define GLUE_MAX_UNITS	8
/* Long enough for any job of the tools under qemu TCG with KASAN. */
#define GLUE_WAIT_NS	(300LL * 1000000000LL)

struct backend;
struct job_uapi;

/* One open device unit with one VM mirroring this process. */
struct gpu {
	const struct backend *be;
	char node[40];
	int unit;
	int fd;
	uint32_t vm;
	/* Mirror backends run ops at submit: the last job's outcome. */
	uint64_t done_job;
	int done_status;
	uint64_t done_result;
};

/**
 * struct backend - One way to reach a glue
 * @name: For -b and messages
 * @driver: DRM driver name of the render node; NULL for a mirror node
 * @max_ops: Most ops one job may hold
 * @async: Jobs run after submit returns (else at submit)
 * @page_ops: Ops must cover whole pages (mirror)
 * @has_atomic: GOP_ATOMIC_ADD works
 * @open: Find unit @unit's node (into &gpu.node), then @attach; 0 or
 *	-errno (-ENODEV: no such unit)
 * @attach: Open &gpu.node and create a VM; 0 or -errno
 * @close: Drop the file (and with it the VM)
 * @submit: Submit @n ops as one job; 0 and @job, or -errno
 * @wait: Wait at most @timeout_ns for @job: 0 with its status (0 or the
 *	-errno it was cancelled with) and load sum, or the ioctl's -errno
 * @prefetch: Place a page-aligned span in device memory (@dev) or system
 *	memory; 0 or -errno
 * @jobs: Render-node glues: their job uAPI, for job_submit() and
 *	job_wait()
 * @ioctls: Request numbers and argument sizes, for the fuzzer
 * @nioctls: Entries of @ioctls
 */
struct backend {
	const char *name;
	const char *driver;
	unsigned int max_ops;
	int async;
	int page_ops;
	int has_atomic;
	int (*open)(struct gpu *g, int unit);
	int (*attach)(struct gpu *g);
	void (*close)(struct gpu *g);
	int (*submit)(struct gpu *g, const struct gop *ops, unsigned int n,
		      uint64_t *job);
	int (*wait)(struct gpu *g, uint64_t job, int64_t timeout_ns,
		    int *status, uint64_t *result);
	int (*prefetch)(struct gpu *g, void *va, uint64_t len, int dev);
	const struct job_uapi *jobs;
	const struct glue_ioctl *ioctls;
	unsigned int nioctls;
};

/* An ioctl of a backend, for the fuzzer. */
struct glue_ioctl {
	const char *name;
	unsigned long req;
	size_t size;
};

static int glue_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg) ? -errno : 0;
	} while (ret == -EINTR);
	return ret;
}

/* The @unit-th render node whose DRM driver is @driver, into @path. */
static int glue_find_node(const char *driver, int unit, char *path,
			  size_t size)
{
	int i, seen = 0;

	for (i = 0; i < 64; i++) {
		char p[40], name[32] = "";
		struct drm_version v = { .name = name,
					 .name_len = sizeof(name) - 1 };
		int fd, match;

		snprintf(p, sizeof(p), "/dev/dri/renderD%d", 128 + i);
		fd = open(p, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		match = !glue_ioctl(fd, DRM_IOCTL_VERSION, &v) &&
			!strcmp(name, driver);
		close(fd);
		if (match && seen++ == unit) {
			snprintf(path, size, "%s", p);
			return 0;
		}
	}
	return -ENODEV;
}

/* Helpers the tools share: clocks, sysfs and debugfs files. */

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Write @val to a sysfs, procfs or debugfs file: 0 or -errno. */
static inline int file_put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -EIO;
}

static inline int file_put_num(const char *path, long v)
{
	char b[24];

	snprintf(b, sizeof(b), "%ld", v);
	return file_put(path, b);
}

/* The number a file starts with, or -1. */
static inline long file_get_num(const char *path)
{
	char b[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	return n > 0 ? strtol(b, NULL, 0) : -1;
}

/*
 * The value of line "@name@sep value" in a file (debugfs stats: ' ',
 * /proc/meminfo: ':'), or -1.
 */
static inline long long file_stat(const char *path, const char *name,
				  char sep)
{
	char line[160];
	long long v = -1;
	FILE *f = fopen(path, "r");
	size_t n = strlen(name);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == sep)
			v = strtoll(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Free VRAM pages of simgpu device @unit (debugfs), or -1. */
static inline long long vram_free(int unit)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/kernel/debug/simgpu/%d/stats", unit);
	return file_stat(path, "vram_free_pages", ' ');
}

/*
 * The render-node glues share one job uAPI layout (xe_glue_drm.h,
 * nouveau_glue_drm.h, amdgpu_glue_drm.h): an op is {code, value, va, src,
 * len}, EXEC is {handle, num_ops, ops, job}, WAIT is {handle, flags or
 * pad, job, timeout_ns, status, pad, result}. Only the request numbers and
 * op codes differ (&struct job_uapi); the asserts below hold the layouts
 * together.
 */
#define SAME_LAYOUT(a, b, f1, f2) \
	_Static_assert(offsetof(struct a, f1) == offsetof(struct b, f2), \
		       #a "." #f1 " and " #b "." #f2)
SAME_LAYOUT(drm_xe_glue_op, drm_nouveau_glue_op, len, len);
SAME_LAYOUT(drm_xe_glue_op, drm_amdgpu_glue_op, len, len);
SAME_LAYOUT(drm_xe_glue_exec, drm_nouveau_glue_exec, job_id, job);
SAME_LAYOUT(drm_xe_glue_exec, drm_amdgpu_glue_exec, job_id, job_id);
SAME_LAYOUT(drm_xe_glue_wait, drm_nouveau_glue_wait, result, result);
SAME_LAYOUT(drm_xe_glue_wait, drm_amdgpu_glue_wait, result, result);
SAME_LAYOUT(drm_xe_glue_wait, drm_nouveau_glue_wait, status, status);
SAME_LAYOUT(drm_xe_glue_wait, drm_amdgpu_glue_wait, status, status);

/**
 * struct job_uapi - How a render-node glue takes jobs
 * @exec: EXEC request number
 * @wait: WAIT request number
 * @code: The glue's op code for each &enum gop_code
 */
struct job_uapi {
	unsigned long exec;
	unsigned long wait;
	uint32_t code[GOP_COPY + 1];
};

static int job_submit(struct gpu *g, const struct gop *ops, unsigned int n,
		      uint64_t *job)
{
	const struct job_uapi *u = g->be->jobs;
	struct drm_xe_glue_op x[GLUE_MAX_OPS];
	struct drm_xe_glue_exec e = {
		.vm_id = g->vm, .num_ops = n, .ops = (uintptr_t)x,
	};
	unsigned int i;
	int ret;

	if (n > g->be->max_ops)
		return -E2BIG;
	for (i = 0; i < n; i++)
		x[i] = (struct drm_xe_glue_op){
			.code = u->code[ops[i].code], .value = ops[i].value,
			.va = (uintptr_t)ops[i].va,
			.src = (uintptr_t)ops[i].src, .len = ops[i].len,
		};
	ret = glue_ioctl(g->fd, u->exec, &e);
	if (!ret)
		*job = e.job_id;
	return ret;
}

static int job_wait(struct gpu *g, uint64_t job, int64_t timeout_ns,
		    int *status, uint64_t *result)
{
	struct drm_xe_glue_wait w = {
		.vm_id = g->vm, .job_id = job, .timeout_ns = timeout_ns,
	};
	int ret = glue_ioctl(g->fd, g->be->jobs->wait, &w);

	if (!ret) {
		if (status)
			*status = w.status;
		if (result)
			*result = w.result;
	}
	return ret;
}

/* xe_glue, drivers/xe-glue/xe_glue_drm.h. */

static int xe_attach(struct gpu *g)
{
	struct drm_xe_glue_vm_create c = {
		.flags = DRM_XE_GLUE_VM_CREATE_FAULT_MODE,
	};
	int ret;

	g->fd = open(g->node, O_RDWR | O_CLOEXEC);
	if (g->fd < 0)
		return -errno;
	ret = glue_ioctl(g->fd, DRM_IOCTL_XE_GLUE_VM_CREATE, &c);
	if (ret) {
		close(g->fd);
		g->fd = -1;
		return ret;
	}
	g->vm = c.vm_id;
	return 0;
}

static int xe_open(struct gpu *g, int unit)
{
	return glue_find_node("xe_glue", unit, g->node, sizeof(g->node)) ?:
	       xe_attach(g);
}

static int xe_place(struct gpu *g, void *va, uint64_t len, int dev)
{
	struct drm_xe_glue_prefetch p = {
		.vm_id = g->vm, .start = (uintptr_t)va, .range = len,
		.location = dev ? DRM_XE_GLUE_LOC_DEVICE : DRM_XE_GLUE_LOC_SYSTEM,
	};

	return glue_ioctl(g->fd, DRM_IOCTL_XE_GLUE_PREFETCH, &p);
}

static void glue_close_fd(struct gpu *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
	g->vm = 0;
}

#define XE_IOCTL(n, s) { #n, DRM_IOCTL_XE_GLUE_##n, sizeof(struct s) }
static const struct glue_ioctl xe_ioctls[] = {
	XE_IOCTL(VM_CREATE, drm_xe_glue_vm_create),
	XE_IOCTL(VM_DESTROY, drm_xe_glue_vm_destroy),
	XE_IOCTL(MADVISE, drm_xe_glue_madvise),
	XE_IOCTL(PREFETCH, drm_xe_glue_prefetch),
	XE_IOCTL(EXEC, drm_xe_glue_exec),
	XE_IOCTL(WAIT, drm_xe_glue_wait),
	XE_IOCTL(VM_STATS, drm_xe_glue_vm_stats),
};
#undef XE_IOCTL

static const struct job_uapi xe_jobs = {
	.exec = DRM_IOCTL_XE_GLUE_EXEC, .wait = DRM_IOCTL_XE_GLUE_WAIT,
	.code = {
		[GOP_LOAD] = DRM_XE_GLUE_OP_LOAD,
		[GOP_STORE] = DRM_XE_GLUE_OP_STORE,
		[GOP_ADD] = DRM_XE_GLUE_OP_ADD,
		[GOP_ATOMIC_ADD] = DRM_XE_GLUE_OP_ATOMIC_ADD,
		[GOP_COPY] = DRM_XE_GLUE_OP_COPY,
	},
};

static const struct backend xe_backend = {
	.name = "xe", .driver = "xe_glue", .max_ops = DRM_XE_GLUE_MAX_OPS,
	.async = 1, .has_atomic = 1,
	.open = xe_open, .attach = xe_attach, .close = glue_close_fd, .submit = job_submit,
	.wait = job_wait, .prefetch = xe_place, .jobs = &xe_jobs,
	.ioctls = xe_ioctls, .nioctls = sizeof(xe_ioctls) / sizeof(xe_ioctls[0]),
};

/* nouveau_glue, drivers/nouveau-glue/nouveau_glue_drm.h: a channel. */

static int nv_attach(struct gpu *g)
{
	struct drm_nouveau_glue_svm_init c = {
		.flags = DRM_NOUVEAU_GLUE_SVM_INIT_ALL,
	};
	int ret;

	g->fd = open(g->node, O_RDWR | O_CLOEXEC);
	if (g->fd < 0)
		return -errno;
	ret = glue_ioctl(g->fd, DRM_IOCTL_NOUVEAU_GLUE_SVM_INIT, &c);
	if (ret) {
		close(g->fd);
		g->fd = -1;
		return ret;
	}
	g->vm = c.channel;
	return 0;
}

static int nv_open(struct gpu *g, int unit)
{
	return glue_find_node("nouveau_glue", unit, g->node,
			      sizeof(g->node)) ?: nv_attach(g);
}

static int nv_place(struct gpu *g, void *va, uint64_t len, int dev)
{
	struct drm_nouveau_glue_svm_bind b = {
		.channel = g->vm, .command = DRM_NOUVEAU_GLUE_BIND_MIGRATE,
		.va_start = (uintptr_t)va, .va_end = (uintptr_t)va + len,
		.target = dev ? DRM_NOUVEAU_GLUE_TARGET_VRAM :
			  DRM_NOUVEAU_GLUE_TARGET_HOST,
	};

	return glue_ioctl(g->fd, DRM_IOCTL_NOUVEAU_GLUE_SVM_BIND, &b);
}

#define NV_IOCTL(n, s) { #n, DRM_IOCTL_NOUVEAU_GLUE_##n, sizeof(struct s) }
static const struct glue_ioctl nv_ioctls[] = {
	NV_IOCTL(SVM_INIT, drm_nouveau_glue_svm_init),
	NV_IOCTL(CHANNEL_FREE, drm_nouveau_glue_channel_free),
	NV_IOCTL(SVM_BIND, drm_nouveau_glue_svm_bind),
	NV_IOCTL(EXEC, drm_nouveau_glue_exec),
	NV_IOCTL(WAIT, drm_nouveau_glue_wait),
	NV_IOCTL(SVM_STATS, drm_nouveau_glue_svm_stats),
};
#undef NV_IOCTL

static const struct job_uapi nv_jobs = {
	.exec = DRM_IOCTL_NOUVEAU_GLUE_EXEC, .wait = DRM_IOCTL_NOUVEAU_GLUE_WAIT,
	.code = {
		[GOP_LOAD] = DRM_NOUVEAU_GLUE_OP_LOAD,
		[GOP_STORE] = DRM_NOUVEAU_GLUE_OP_STORE,
		[GOP_ADD] = DRM_NOUVEAU_GLUE_OP_ADD,
		[GOP_ATOMIC_ADD] = DRM_NOUVEAU_GLUE_OP_ATOMIC_ADD,
		[GOP_COPY] = DRM_NOUVEAU_GLUE_OP_COPY,
	},
};

static const struct backend nouveau_backend = {
	.name = "nouveau", .driver = "nouveau_glue",
	.max_ops = DRM_NOUVEAU_GLUE_MAX_OPS, .async = 1, .has_atomic = 1,
	.open = nv_open, .attach = nv_attach, .close = glue_close_fd, .submit = job_submit,
	.wait = job_wait, .prefetch = nv_place, .jobs = &nv_jobs,
	.ioctls = nv_ioctls, .nioctls = sizeof(nv_ioctls) / sizeof(nv_ioctls[0]),
};

/* amdgpu_glue, drivers/amdgpu-glue/amdgpu_glue_drm.h: a context, XNACK on. */

static int amd_attach(struct gpu *g)
{
	struct drm_amdgpu_glue_ctx_create c = {
		.flags = DRM_AMDGPU_GLUE_CTX_XNACK,
	};
	int ret;

	g->fd = open(g->node, O_RDWR | O_CLOEXEC);
	if (g->fd < 0)
		return -errno;
	ret = glue_ioctl(g->fd, DRM_IOCTL_AMDGPU_GLUE_CTX_CREATE, &c);
	if (ret) {
		close(g->fd);
		g->fd = -1;
		return ret;
	}
	g->vm = c.ctx_id;
	return 0;
}

static int amd_open(struct gpu *g, int unit)
{
	return glue_find_node("amdgpu_glue", unit, g->node,
			      sizeof(g->node)) ?: amd_attach(g);
}

/* Placement is KFD's PREFETCH_LOC attribute: it moves the data now. */
static int amd_place(struct gpu *g, void *va, uint64_t len, int dev)
{
	struct drm_amdgpu_glue_svm_attribute a = {
		.type = DRM_AMDGPU_GLUE_SVM_ATTR_PREFETCH_LOC,
		.value = dev ? DRM_AMDGPU_GLUE_SVM_LOC_DEVICE(g->unit) :
			 DRM_AMDGPU_GLUE_SVM_LOC_SYSTEM,
	};
	struct drm_amdgpu_glue_svm s = {
		.ctx_id = g->vm, .op = DRM_AMDGPU_GLUE_SVM_OP_SET_ATTR,
		.start = (uintptr_t)va, .size = len, .nattr = 1,
		.attrs = (uintptr_t)&a,
	};

	return glue_ioctl(g->fd, DRM_IOCTL_AMDGPU_GLUE_SVM, &s);
}

#define AMD_IOCTL(n, s) { #n, DRM_IOCTL_AMDGPU_GLUE_##n, sizeof(struct s) }
static const struct glue_ioctl amd_ioctls[] = {
	AMD_IOCTL(CTX_CREATE, drm_amdgpu_glue_ctx_create),
	AMD_IOCTL(CTX_DESTROY, drm_amdgpu_glue_ctx_destroy),
	AMD_IOCTL(SET_XNACK, drm_amdgpu_glue_set_xnack),
	AMD_IOCTL(SVM, drm_amdgpu_glue_svm),
	AMD_IOCTL(EXEC, drm_amdgpu_glue_exec),
	AMD_IOCTL(WAIT, drm_amdgpu_glue_wait),
	AMD_IOCTL(QUEUE_CREATE, drm_amdgpu_glue_queue_create),
	AMD_IOCTL(QUEUE_DESTROY, drm_amdgpu_glue_queue_destroy),
	AMD_IOCTL(QUEUE_WAIT, drm_amdgpu_glue_queue_wait),
	AMD_IOCTL(CTX_STATS, drm_amdgpu_glue_ctx_stats),
};
#undef AMD_IOCTL

static const struct job_uapi amd_jobs = {
	.exec = DRM_IOCTL_AMDGPU_GLUE_EXEC, .wait = DRM_IOCTL_AMDGPU_GLUE_WAIT,
	.code = {
		[GOP_LOAD] = DRM_AMDGPU_GLUE_OP_LOAD,
		[GOP_STORE] = DRM_AMDGPU_GLUE_OP_STORE,
		[GOP_ADD] = DRM_AMDGPU_GLUE_OP_ADD,
		[GOP_ATOMIC_ADD] = DRM_AMDGPU_GLUE_OP_ATOMIC_ADD,
		[GOP_COPY] = DRM_AMDGPU_GLUE_OP_COPY,
	},
};

static const struct backend amdgpu_backend = {
	.name = "amdgpu", .driver = "amdgpu_glue",
	.max_ops = DRM_AMDGPU_GLUE_EXEC_MAX_OPS, .async = 1, .has_atomic = 1,
	.open = amd_open, .attach = amd_attach, .close = glue_close_fd,
	.submit = job_submit, .wait = job_wait, .prefetch = amd_place,
	.jobs = &amd_jobs,
	.ioctls = amd_ioctls,
	.nioctls = sizeof(amd_ioctls) / sizeof(amd_ioctls[0]),
};

/* The test_hmm ABI on any glue: /dev/hmm_dmirrorN, whole pages. */

static int mirror_attach(struct gpu *g)
{
	g->fd = open(g->node, O_RDWR | O_CLOEXEC);
	return g->fd < 0 ? -errno : 0;
}

static int mirror_open(struct gpu *g, int unit)
{
	snprintf(g->node, sizeof(g->node), "/dev/hmm_dmirror%d", unit);
	return mirror_attach(g);
}

static int mirror_cmd(struct gpu *g, unsigned long req, const void *addr,
		      void *ptr, uint64_t len)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct hmm_dmirror_cmd c = {
		.addr = (uintptr_t)addr, .ptr = (uintptr_t)ptr,
		.npages = len / psz,
	};

	return glue_ioctl(g->fd, req, &c);
}

/* One op through the device: READ and WRITE via a bounce buffer. */
static int mirror_op(struct gpu *g, const struct gop *o, uint64_t *sum)
{
	uint32_t *b = malloc(o->len);
	size_t i, n = o->len / 4;
	int ret;

	if (!b)
		return -ENOMEM;
	switch (o->code) {
	case GOP_LOAD:
		ret = mirror_cmd(g, HMM_DMIRROR_READ, o->va, b, o->len);
		for (i = 0; !ret && i < n; i++)
			*sum += b[i];
		break;
	case GOP_STORE:
		for (i = 0; i < n; i++)
			b[i] = o->value;
		ret = mirror_cmd(g, HMM_DMIRROR_WRITE, o->va, b, o->len);
		break;
	case GOP_COPY:
		ret = mirror_cmd(g, HMM_DMIRROR_READ, o->src, b, o->len);
		if (!ret)
			ret = mirror_cmd(g, HMM_DMIRROR_WRITE, o->va, b, o->len);
		break;
	case GOP_ADD:
		ret = mirror_cmd(g, HMM_DMIRROR_READ, o->va, b, o->len);
		for (i = 0; !ret && i < n; i++)
			b[i] += o->value;
		if (!ret)
			ret = mirror_cmd(g, HMM_DMIRROR_WRITE, o->va, b, o->len);
		break;
	default:
		ret = -EOPNOTSUPP;
	}
	free(b);
	return ret;
}

static int mirror_submit(struct gpu *g, const struct gop *ops, unsigned int n,
			 uint64_t *job)
{
	long psz = sysconf(_SC_PAGESIZE);
	unsigned int i;
	int st = 0;

	for (i = 0; i < n; i++)
		if ((uintptr_t)ops[i].va % psz || ops[i].len % psz ||
		    !ops[i].len || (uintptr_t)ops[i].src % psz)
			return -EINVAL;
	g->done_result = 0;
	for (i = 0; i < n && !st; i++)
		st = mirror_op(g, &ops[i], &g->done_result);
	g->done_status = st;
	*job = ++g->done_job;
	return 0;
}

static int mirror_wait(struct gpu *g, uint64_t job, int64_t timeout_ns,
		       int *status, uint64_t *result)
{
	(void)timeout_ns;
	if (job != g->done_job)
		return -ENOENT;
	if (status)
		*status = g->done_status;
	if (result)
		*result = g->done_result;
	return 0;
}

/* MIGRATE_TO_DEV reads the span back into ptr, as test_hmm does. */
static int mirror_place(struct gpu *g, void *va, uint64_t len, int dev)
{
	void *b = malloc(len);
	int ret;

	if (!b)
		return -ENOMEM;
	ret = mirror_cmd(g, dev ? HMM_DMIRROR_MIGRATE_TO_DEV :
			 HMM_DMIRROR_MIGRATE_TO_SYS, va, b, len);
	free(b);
	return ret;
}

#define MIRROR_IOCTL(n) { #n, HMM_DMIRROR_##n, sizeof(struct hmm_dmirror_cmd) }
static const struct glue_ioctl mirror_ioctls[] = {
	MIRROR_IOCTL(READ), MIRROR_IOCTL(WRITE), MIRROR_IOCTL(MIGRATE_TO_DEV),
	MIRROR_IOCTL(MIGRATE_TO_SYS), MIRROR_IOCTL(SNAPSHOT),
	MIRROR_IOCTL(EXCLUSIVE), MIRROR_IOCTL(CHECK_EXCLUSIVE),
	MIRROR_IOCTL(RELEASE),
};
#undef MIRROR_IOCTL

static const struct backend mirror_backend = {
	.name = "mirror", .max_ops = GLUE_MAX_OPS, .page_ops = 1,
	.open = mirror_open, .attach = mirror_attach, .close = glue_close_fd, .submit = mirror_submit,
	.wait = mirror_wait, .prefetch = mirror_place,
	.ioctls = mirror_ioctls,
	.nioctls = sizeof(mirror_ioctls) / sizeof(mirror_ioctls[0]),
};

/* Every backend the tools know; a new glue adds its table here. */
static const struct backend *const backends[] = {
	&xe_backend,
	&nouveau_backend,
	&amdgpu_backend,
	&mirror_backend,
};

static const struct backend *backend_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

/* Open unit @unit of @be into @g: 0, or -errno (-ENODEV: not there). */
static int gpu_open(struct gpu *g, const struct backend *be, int unit)
{
	memset(g, 0, sizeof(*g));
	g->be = be;
	g->unit = unit;
	g->fd = -1;
	return be->open(g, unit);
}

static void gpu_close(struct gpu *g)
{
	if (g->be && g->fd >= 0)
		g->be->close(g);
}

/* A tool's setup: unit 0 of @b must open; its node into @node. */
static inline int gpu_probe(const struct backend *b, char *node, size_t size)
{
	struct gpu g;
	int ret = gpu_open(&g, b, 0);

	if (ret) {
		printf("Bail out! %s unit 0: %s\n", b->name, strerror(-ret));
		return -1;
	}
	snprintf(node, size, "%s", g.node);
	gpu_close(&g);
	return 0;
}

/* Submit one job and wait for it. */
static int gpu_run_job(struct gpu *g, const struct gop *ops, unsigned int n,
		       uint64_t *result)
{
	int status = 0, ret;
	uint64_t job;

	ret = g->be->submit(g, ops, n, &job);
	if (ret)
		return ret;
	ret = g->be->wait(g, job, GLUE_WAIT_NS, &status, result);
	if (ret) {
		printf("# %s: wait for job %llu: %s\n", g->node,
		       (unsigned long long)job, strerror(-ret));
		return -ENOTRECOVERABLE;
	}
	return status;
}

/*
 * Submit and wait, in jobs of at most max_ops ops: the first non-zero job
 * status (0 or -errno) or ioctl error; @result sums the loads.
 */
static int gpu_run(struct gpu *g, const struct gop *ops, unsigned int n,
		   uint64_t *result)
{
	uint64_t sum = 0, part;
	unsigned int k;
	int ret = 0;

	for (; n && !ret; ops += k, n -= k) {
		k = n < g->be->max_ops ? n : g->be->max_ops;
		part = 0;
		ret = gpu_run_job(g, ops, k, &part);
		sum += part;
	}
	if (result)
		*result = sum;
	return ret;
}

static int gpu_run1(struct gpu *g, enum gop_code code, uint32_t value,
		    void *va, const void *src, uint64_t len, uint64_t *result)
{
	struct gop o = {
		.code = code, .value = value, .va = va, .src = src, .len = len,
	};

	return gpu_run(g, &o, 1, result);
}

#endif /* __GPUSVM_TOOLS_GLUE_H__ */
