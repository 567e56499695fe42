// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * gpusvm-demo: the project's main job. On every render node of every glue
 * driver it knows (found with DRM_IOCTL_VERSION), it runs a GPU workload on
 * plain malloc'ed and mmap'ed arrays, the way a program on a shared virtual
 * memory GPU would: no buffer objects, no copies, the GPU takes page faults
 * on process memory and drm_gpusvm resolves them. Then the CPU touches every
 * element back and checks it.
 *
 * The workload, on arrays x (malloc) and y (mmap) of u32:
 *   pass 1, vector update:  y[i] += A                  (ADD)
 *   pass 2, shifted stencil: x[i] = y[i + 1] + B        (COPY, then ADD)
 *   pass 3, reduction:      sum(x) on the GPU         (LOAD)
 * chunked into ops of -c KiB and jobs of up to -j ops, all jobs of a pass
 * in flight at once. It runs with no hint, with a preferred location of
 * system or device memory (MADVISE), and with a PREFETCH to the device,
 * and prints one line per run: what the VM's counters say happened, the
 * time and the GPU's effective bandwidth, and whether every element was
 * right. Exits 1 on any wrong element or failed job.
 *
 * A glue driver is a small table of functions (struct glue); adding one is
 * a table and its ioctl wrappers. Build it static, with -Idrivers/xe-glue
 * and a <drm/drm.h> from the kernel's headers_install.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "xe_glue_drm.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MIB		(1024.0 * 1024.0)
#define MAX_NODES	64
/* Long enough for any job of this program under qemu TCG. */
#define WAIT_NS		(600LL * 1000000000LL)

/* Constants of the workload. */
#define ADD_A		0x01000193u
#define ADD_B		0x000000b5u

/* Where memory should live; each glue maps these to its own uAPI. */
enum loc {
	LOC_DEFAULT,
	LOC_SYSTEM,
	LOC_DEVICE,
};

/* GPU operations; each glue maps these to its own uAPI. */
enum op_code {
	OP_LOAD,
	OP_STORE,
	OP_ADD,
	OP_ATOMIC_ADD,
	OP_MEMSET,
	OP_COPY,
};

struct op {
	enum op_code code;
	uint32_t value;
	const void *va;
	const void *src;
	uint64_t len;
};

/* The counters every glue can report; "mapped" and migrations in pages. */
struct stats {
	uint64_t faults;
	uint64_t mapped;
	uint64_t to_vram;
	uint64_t to_ram;
	uint64_t bytes_moved;
	uint64_t retries;
	uint64_t evictions;
	uint64_t jobs_failed;
};

struct gpu;

/**
 * struct glue - What the demo needs from a glue driver's uAPI
 * @driver: DRM driver name, as DRM_IOCTL_VERSION reports it
 * @max_ops: Most ops one job may hold
 * @vm_create: Create a fault-mode VM mirroring this process in @g->vm
 * @vm_destroy: Destroy it
 * @madvise: Set the preferred location of a page-aligned span
 * @prefetch: Populate a page-aligned span and place it at @loc
 * @exec: Submit @n ops as one job, return its handle in @job
 * @wait: Wait for @job; its status (0 or -errno) and load sum
 * @stats: Read the VM's counters
 *
 * Each returns 0 or a negative errno.
 */
struct glue {
	const char *driver;
	unsigned int max_ops;
	int (*vm_create)(struct gpu *g);
	int (*vm_destroy)(struct gpu *g);
	int (*madvise)(struct gpu *g, const void *start, uint64_t len,
		       enum loc loc);
	int (*prefetch)(struct gpu *g, const void *start, uint64_t len,
			enum loc loc);
	int (*exec)(struct gpu *g, const struct op *ops, unsigned int n,
		    uint64_t *job);
	int (*wait)(struct gpu *g, uint64_t job, int *status,
		    uint64_t *result);
	int (*stats)(struct gpu *g, struct stats *s);
};

struct gpu {
	const struct glue *glue;
	char node[32];
	int fd;
	uint32_t vm;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* xe_glue: drivers/xe-glue/xe_glue_drm.h */

static int xe_vm_create(struct gpu *g)
{
	struct drm_xe_glue_vm_create c = {
		.flags = DRM_XE_GLUE_VM_CREATE_FAULT_MODE,
	};
	int ret = xioctl(g->fd, DRM_IOCTL_XE_GLUE_VM_CREATE, &c);

	g->vm = ret ? 0 : c.vm_id;
	return ret;
}

static int xe_vm_destroy(struct gpu *g)
{
	struct drm_xe_glue_vm_destroy d = { .vm_id = g->vm };

	return xioctl(g->fd, DRM_IOCTL_XE_GLUE_VM_DESTROY, &d);
}

static uint32_t xe_loc(enum loc loc)
{
	switch (loc) {
	case LOC_SYSTEM:
		return DRM_XE_GLUE_LOC_SYSTEM;
	case LOC_DEVICE:
		return DRM_XE_GLUE_LOC_DEVICE;
	default:
		return DRM_XE_GLUE_LOC_DEFAULT;
	}
}

static int xe_madvise(struct gpu *g, const void *start, uint64_t len,
		      enum loc loc)
{
	struct drm_xe_glue_madvise m = {
		.vm_id = g->vm, .preferred_loc = xe_loc(loc),
		.start = (uintptr_t)start, .range = len,
		.atomic = DRM_XE_GLUE_ATOMIC_DEFAULT,
	};

	return xioctl(g->fd, DRM_IOCTL_XE_GLUE_MADVISE, &m);
}

static int xe_prefetch(struct gpu *g, const void *start, uint64_t len,
		       enum loc loc)
{
	struct drm_xe_glue_prefetch p = {
		.vm_id = g->vm, .location = xe_loc(loc),
		.start = (uintptr_t)start, .range = len,
	};

	return xioctl(g->fd, DRM_IOCTL_XE_GLUE_PREFETCH, &p);
}

static int xe_exec(struct gpu *g, const struct op *ops, unsigned int n,
		   uint64_t *job)
{
	static const uint32_t code[] = {
		[OP_LOAD] = DRM_XE_GLUE_OP_LOAD,
		[OP_STORE] = DRM_XE_GLUE_OP_STORE,
		[OP_ADD] = DRM_XE_GLUE_OP_ADD,
		[OP_ATOMIC_ADD] = DRM_XE_GLUE_OP_ATOMIC_ADD,
		[OP_MEMSET] = DRM_XE_GLUE_OP_MEMSET,
		[OP_COPY] = DRM_XE_GLUE_OP_COPY,
	};
	struct drm_xe_glue_op xops[DRM_XE_GLUE_MAX_OPS];
	struct drm_xe_glue_exec e = {
		.vm_id = g->vm, .num_ops = n, .ops = (uintptr_t)xops,
	};
	unsigned int i;
	int ret;

	if (n > DRM_XE_GLUE_MAX_OPS)
		return -E2BIG;
	for (i = 0; i < n; i++) {
		xops[i] = (struct drm_xe_glue_op){
			.code = code[ops[i].code], .value = ops[i].value,
			.va = (uintptr_t)ops[i].va,
			.src = (uintptr_t)ops[i].src, .len = ops[i].len,
		};
	}
	ret = xioctl(g->fd, DRM_IOCTL_XE_GLUE_EXEC, &e);
	if (!ret)
		*job = e.job_id;
	return ret;
}

static int xe_wait(struct gpu *g, uint64_t job, int *status,
		   uint64_t *result)
{
	struct drm_xe_glue_wait w = {
		.vm_id = g->vm, .job_id = job, .timeout_ns = WAIT_NS,
	};
	int ret = xioctl(g->fd, DRM_IOCTL_XE_GLUE_WAIT, &w);

	if (!ret) {
		*status = w.status;
		*result = w.result;
	}
	return ret;
}

static int xe_stats(struct gpu *g, struct stats *s)
{
	struct drm_xe_glue_vm_stats v = { .vm_id = g->vm };
	int ret = xioctl(g->fd, DRM_IOCTL_XE_GLUE_VM_STATS, &v);

	if (ret)
		return ret;
	*s = (struct stats){
		.faults = v.gpu_faults, .mapped = v.pages_mapped,
		.to_vram = v.migrations_to_vram, .to_ram = v.migrations_to_ram,
		.bytes_moved = v.bytes_to_vram + v.bytes_to_ram,
		.retries = v.retries, .evictions = v.evictions,
		.jobs_failed = v.jobs_failed,
	};
	return 0;
}

/* The other glues' uAPI, one header each, on the same struct glue. */
#include "demo-amdgpu.h"
#include "demo-nouveau.h"

static const struct glue glues[] = {
	{
		.driver = "xe_glue",
		.max_ops = DRM_XE_GLUE_MAX_OPS,
		.vm_create = xe_vm_create,
		.vm_destroy = xe_vm_destroy,
		.madvise = xe_madvise,
		.prefetch = xe_prefetch,
		.exec = xe_exec,
		.wait = xe_wait,
		.stats = xe_stats,
	},
	amdgpu_glue_demo,
	nouveau_glue_demo,
};

/* Options. */
static size_t opt_mib = 32;
static size_t opt_chunk_kib = 1024;
static unsigned int opt_ops_per_job = 16;
static const char *opt_driver;
static const char *opt_node;
static const char *opt_runs;
static int opt_all_nodes;
static size_t page_size;

/**
 * struct run - One configuration of the workload
 * @name: Short name for the table
 * @madvise: Preferred location to set on both arrays, if not default
 * @prefetch: Prefetch both arrays to this location first, if not default
 */
static const struct run {
	const char *name;
	enum loc madvise;
	enum loc prefetch;
} runs[] = {
	{ "no-hints", LOC_DEFAULT, LOC_DEFAULT },
	{ "prefer-system", LOC_SYSTEM, LOC_DEFAULT },
	{ "prefer-device", LOC_DEVICE, LOC_DEFAULT },
	{ "prefetch-device", LOC_DEVICE, LOC_DEVICE },
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Initial contents, cheap to recompute for verification. */
static inline uint32_t x_init(size_t i)
{
	return (uint32_t)i * 7u + 3u;
}

static inline uint32_t y_init(size_t i)
{
	return ~(uint32_t)i * 2654435761u;
}

/* Expected contents after the three passes. */
static inline uint32_t y_want(size_t i)
{
	return y_init(i) + ADD_A;
}

static inline uint32_t x_want(size_t i, size_t n)
{
	return (i + 1 < n ? y_want(i + 1) : x_init(i)) + ADD_B;
}

/* The page-aligned span covering [p, p + len). */
static void page_span(const void *p, size_t len, const void **start,
		      uint64_t *span)
{
	uintptr_t s = (uintptr_t)p & ~(uintptr_t)(page_size - 1);
	uintptr_t e = ((uintptr_t)p + len + page_size - 1) &
		      ~(uintptr_t)(page_size - 1);

	*start = (const void *)s;
	*span = e - s;
}

/*
 * Submit @n ops as jobs of at most opt_ops_per_job ops, never splitting a
 * group of @group consecutive ops (they depend on each other), all jobs in
 * flight, then wait for all of them. The load sums add up in @result.
 */
static int run_ops(struct gpu *g, const struct op *ops, size_t n,
		   unsigned int group, uint64_t *result)
{
	unsigned int per_job = opt_ops_per_job, status_err = 0;
	size_t njobs = 0, i, k;
	uint64_t *jobs;
	int ret = 0;

	if (per_job > g->glue->max_ops)
		per_job = g->glue->max_ops;
	per_job -= per_job % group;
	if (!per_job)
		return -EINVAL;
	jobs = calloc((n + per_job - 1) / per_job, sizeof(*jobs));
	if (!jobs)
		return -ENOMEM;
	for (i = 0; i < n; i += k) {
		k = n - i < per_job ? n - i : per_job;
		ret = g->glue->exec(g, ops + i, k, &jobs[njobs]);
		if (ret) {
			printf("# %s: exec: %s\n", g->node, strerror(-ret));
			break;
		}
		njobs++;
	}
	*result = 0;
	for (i = 0; i < njobs; i++) {
		uint64_t sum = 0;
		int status = 0, r;

		r = g->glue->wait(g, jobs[i], &status, &sum);
		if (r) {
			printf("# %s: wait: %s\n", g->node, strerror(-r));
			ret = ret ? ret : r;
			continue;
		}
		if (status) {
			if (!status_err++)
				printf("# %s: job failed: %s\n", g->node,
				       strerror(-status));
			ret = ret ? ret : status;
		}
		*result += sum;
	}
	free(jobs);
	return ret;
}

/* One op per chunk of @len bytes at @dst (and @src for a copy). */
static size_t chunk_ops(struct op *ops, enum op_code code, uint32_t value,
			void *dst, const void *src, size_t len, size_t chunk,
			size_t stride)
{
	size_t n = 0, off;

	for (off = 0; off < len; off += chunk, n += stride) {
		size_t l = len - off < chunk ? len - off : chunk;

		ops[n] = (struct op){
			.code = code, .value = value, .va = (char *)dst + off,
			.src = src ? (const char *)src + off : NULL, .len = l,
		};
	}
	return n;
}

/* What one run measured. */
struct result {
	struct stats d;
	double gpu_ms, cpu_ms;
	uint64_t gpu_bytes;
	size_t bad;
	int err;
};

/* Hints, then the three GPU passes; returns 0 or the first error. */
static int gpu_passes(struct gpu *g, const struct run *r, uint32_t *x,
		      uint32_t *y, size_t n, struct result *res,
		      uint64_t *gpu_sum)
{
	size_t bytes = n * 4, chunk = opt_chunk_kib * 1024;
	size_t nchunks = (bytes + chunk - 1) / chunk, k;
	const void *xs, *ys;
	uint64_t xl, yl, dummy;
	struct op *ops;
	int ret;

	ops = calloc(2 * nchunks, sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	page_span(x, bytes, &xs, &xl);
	page_span(y, bytes, &ys, &yl);

	if (r->madvise != LOC_DEFAULT) {
		ret = g->glue->madvise(g, xs, xl, r->madvise);
		if (!ret)
			ret = g->glue->madvise(g, ys, yl, r->madvise);
		if (ret) {
			printf("# %s: madvise: %s\n", g->node, strerror(-ret));
			goto out;
		}
	}
	if (r->prefetch != LOC_DEFAULT) {
		ret = g->glue->prefetch(g, xs, xl, r->prefetch);
		if (!ret)
			ret = g->glue->prefetch(g, ys, yl, r->prefetch);
		if (ret) {
			printf("# %s: prefetch: %s\n", g->node, strerror(-ret));
			goto out;
		}
	}

	/* Pass 1: y += A, read and write of y. */
	k = chunk_ops(ops, OP_ADD, ADD_A, y, NULL, bytes, chunk, 1);
	ret = run_ops(g, ops, k, 1, &dummy);
	if (ret)
		goto out;
	res->gpu_bytes += 2 * bytes;

	/*
	 * Pass 2: x[i] = y[i + 1] + B. Each chunk's copy and add travel in
	 * one job, in that order; the last element keeps x_init() and gets B.
	 */
	k = chunk_ops(ops, OP_COPY, 0, x, y + 1, bytes - 4, chunk, 2);
	chunk_ops(ops + 1, OP_ADD, ADD_B, x, NULL, bytes, chunk, 2);
	if (k / 2 < nchunks) {
		/* bytes - 4 had one chunk fewer: the last add stands alone. */
		ops[k] = ops[k + 1];
		k++;
	}
	ret = run_ops(g, ops, k, 2, &dummy);
	if (ret)
		goto out;
	res->gpu_bytes += 4 * bytes;

	/* Pass 3: the GPU sums x. */
	k = chunk_ops(ops, OP_LOAD, 0, x, NULL, bytes, chunk, 1);
	ret = run_ops(g, ops, k, 1, gpu_sum);
	if (ret)
		goto out;
	res->gpu_bytes += bytes;
out:
	free(ops);
	return ret;
}

/* The CPU touches every element back and checks it. */
static size_t verify(const uint32_t *x, const uint32_t *y, size_t n,
		     uint64_t gpu_sum)
{
	uint64_t sum = 0;
	size_t bad = 0, i;

	for (i = 0; i < n; i++) {
		uint32_t wx = x_want(i, n), wy = y_want(i);

		sum += wx;
		if (x[i] != wx || y[i] != wy) {
			if (!bad)
				printf("# element %zu: x, y 0x%08x 0x%08x, want 0x%08x 0x%08x\n",
				       i, x[i], y[i], wx, wy);
			bad++;
		}
	}
	if (gpu_sum != sum) {
		printf("# GPU sum of x 0x%llx, want 0x%llx\n",
		       (unsigned long long)gpu_sum, (unsigned long long)sum);
		bad++;
	}
	return bad;
}

static void stats_sub(struct stats *d, const struct stats *a,
		      const struct stats *b)
{
	d->faults = b->faults - a->faults;
	d->mapped = b->mapped - a->mapped;
	d->to_vram = b->to_vram - a->to_vram;
	d->to_ram = b->to_ram - a->to_ram;
	d->bytes_moved = b->bytes_moved - a->bytes_moved;
	d->retries = b->retries - a->retries;
	d->evictions = b->evictions - a->evictions;
	d->jobs_failed = b->jobs_failed - a->jobs_failed;
}

/* One run on a fresh VM and fresh arrays. */
static int do_run(struct gpu *g, const struct run *r, struct result *res)
{
	size_t bytes = opt_mib << 20, n = bytes / 4, i;
	uint32_t *x = malloc(bytes), *y;
	struct stats s0, s1;
	uint64_t gpu_sum = 0;
	double t0;
	int ret;

	memset(res, 0, sizeof(*res));
	y = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!x || y == MAP_FAILED) {
		free(x);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		x[i] = x_init(i);
		y[i] = y_init(i);
	}

	ret = g->glue->vm_create(g);
	if (ret) {
		printf("# %s: vm create: %s\n", g->node, strerror(-ret));
		goto out;
	}
	ret = g->glue->stats(g, &s0);
	if (ret)
		goto out_vm;

	t0 = now_ms();
	res->err = gpu_passes(g, r, x, y, n, res, &gpu_sum);
	res->gpu_ms = now_ms() - t0;
	if (!res->err) {
		t0 = now_ms();
		res->bad = verify(x, y, n, gpu_sum);
		res->cpu_ms = now_ms() - t0;
	}

	ret = g->glue->stats(g, &s1);
	if (ret)
		printf("# %s: stats: %s\n", g->node, strerror(-ret));
	else
		stats_sub(&res->d, &s0, &s1);
out_vm:
	g->glue->vm_destroy(g);
out:
	free(x);
	munmap(y, bytes);
	return ret;
}

static void print_header(void)
{
	printf("%-16s %7s %8s %8s %8s %7s %7s %5s %8s %8s %7s  %s\n",
	       "run", "faults", "mapped", "to VRAM", "to RAM", "MiB mv",
	       "retries", "evict", "GPU ms", "CPU ms", "MiB/s", "verified");
}

static void print_result(const struct run *r, const struct result *res)
{
	const char *v = res->err ? "FAIL (job)" : res->bad ? "FAIL" : "OK";
	double bw = res->gpu_ms > 0 ? res->gpu_bytes / MIB / (res->gpu_ms / 1e3)
				    : 0;

	printf("%-16s %7llu %8llu %8llu %8llu %7.1f %7llu %5llu %8.0f %8.0f %7.0f  %s\n",
	       r->name, (unsigned long long)res->d.faults,
	       (unsigned long long)res->d.mapped,
	       (unsigned long long)res->d.to_vram,
	       (unsigned long long)res->d.to_ram,
	       res->d.bytes_moved / MIB, (unsigned long long)res->d.retries,
	       (unsigned long long)res->d.evictions, res->gpu_ms, res->cpu_ms,
	       bw, v);
	if (res->bad)
		printf("%-16s %zu wrong element(s)\n", "", res->bad);
}

static int run_selected(const char *name)
{
	const char *p = opt_runs;
	size_t l = strlen(name);

	if (!p)
		return 1;
	while (p && *p) {
		if (!strncmp(p, name, l) && (p[l] == ',' || !p[l]))
			return 1;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

/* Every run on one device; returns the number of failed runs. */
static int demo_device(struct gpu *g)
{
	int failed = 0;
	size_t i;

	printf("\n%s on %s: x (malloc) and y (mmap), %zu MiB each, ",
	       g->glue->driver, g->node, opt_mib);
	printf("%zu KiB per op, up to %u ops per job\n", opt_chunk_kib,
	       opt_ops_per_job);
	print_header();
	for (i = 0; i < ARRAY_SIZE(runs); i++) {
		struct result res;
		int ret;

		if (!run_selected(runs[i].name))
			continue;
		ret = do_run(g, &runs[i], &res);
		if (ret) {
			printf("%-16s error: %s\n", runs[i].name, strerror(-ret));
			failed++;
			continue;
		}
		print_result(&runs[i], &res);
		failed += res.err || res.bad;
	}
	return failed;
}

/* The driver name of a DRM node, or "" if it is not one. */
static void node_driver(int fd, char *name, size_t size)
{
	struct drm_version v = { .name = name, .name_len = size - 1 };

	memset(name, 0, size);
	if (xioctl(fd, DRM_IOCTL_VERSION, &v))
		name[0] = '\0';
}

/*
 * Run the demo on the first render node of @glue, or on every one with
 * -a; -ENODEV if there is none.
 */
static int demo_glue(const struct glue *glue, int *failed)
{
	int i, found = 0;

	for (i = 0; i < MAX_NODES; i++) {
		struct gpu g = { .glue = glue, .fd = -1 };
		char name[64];

		snprintf(g.node, sizeof(g.node), "/dev/dri/renderD%d", 128 + i);
		if (opt_node && strcmp(opt_node, g.node))
			continue;
		g.fd = open(g.node, O_RDWR | O_CLOEXEC);
		if (g.fd < 0)
			continue;
		node_driver(g.fd, name, sizeof(name));
		if (!strcmp(name, glue->driver)) {
			found++;
			*failed += demo_device(&g);
		}
		close(g.fd);
		if (found && !opt_all_nodes && !opt_node)
			break;
	}
	return found ? 0 : -ENODEV;
}

static void help(const char *prog)
{
	size_t i;

	fprintf(stderr,
		"usage: %s [-s MiB] [-c KiB] [-j OPS] [-d DRIVER] [-a | -n NODE] [-r RUN[,RUN]...]\n"
		"  -s  size of each of the two arrays (default %zu MiB)\n"
		"  -c  bytes per GPU op (default %zu KiB)\n"
		"  -j  ops per job (default %u)\n"
		"  -d  only this glue driver; known:",
		prog, opt_mib, opt_chunk_kib, opt_ops_per_job);
	for (i = 0; i < ARRAY_SIZE(glues); i++)
		fprintf(stderr, " %s", glues[i].driver);
	fprintf(stderr, "\n  -a  every render node of each glue, not only its first\n"
		"  -n  only this render node\n  -r  only these runs:");
	for (i = 0; i < ARRAY_SIZE(runs); i++)
		fprintf(stderr, "%s\"%s\"", i ? ", " : " ", runs[i].name);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	int c, failed = 0, devices = 0;
	size_t i;

	while ((c = getopt(argc, argv, "s:c:j:d:an:r:h")) != -1) {
		switch (c) {
		case 's':
			opt_mib = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			opt_chunk_kib = strtoul(optarg, NULL, 0);
			break;
		case 'j':
			opt_ops_per_job = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			opt_driver = optarg;
			break;
		case 'a':
			opt_all_nodes = 1;
			break;
		case 'n':
			opt_node = optarg;
			break;
		case 'r':
			opt_runs = optarg;
			break;
		default:
			help(argv[0]);
			return 2;
		}
	}
	page_size = sysconf(_SC_PAGESIZE);
	if (optind != argc || !opt_mib || opt_mib > (1UL << 20) ||
	    !opt_chunk_kib || opt_chunk_kib % (page_size / 1024) ||
	    opt_ops_per_job < 2) {
		help(argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 0; i < ARRAY_SIZE(glues); i++) {
		if (opt_driver && strcmp(opt_driver, glues[i].driver))
			continue;
		if (demo_glue(&glues[i], &failed)) {
			printf("\n%s: no render node%s%s\n", glues[i].driver,
			       opt_node ? " " : "", opt_node ? opt_node : "");
			continue;
		}
		devices++;
	}
	if (!devices) {
		fprintf(stderr, "gpusvm-demo: no glue driver device found\n");
		return 1;
	}
	printf("\nmapped, to VRAM, to RAM: 4 KiB pages; MiB mv: bytes migrated both ways;\n"
	       "GPU ms: hints + 3 passes; MiB/s: array bytes the GPU read and wrote per GPU second;\n"
	       "CPU ms: the CPU reading back and checking every element.\n");
	printf("gpusvm-demo: %s\n", failed ? "FAILED" : "all results verified");
	return failed ? 1 : 0;
}
