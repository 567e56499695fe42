// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * amdgpu-glue-test: TAP tests of amdgpu_glue's uAPI on plain process
 * memory: SVM attributes (set, get, split, defaults, survival across
 * munmap), XNACK on (faults served, stale retry faults dropped) and off
 * (eager mapping, fatal faults, eviction and restore of user queues),
 * eviction under VRAM pressure, the eviction fence, a reclaim-context
 * waiter backing off (R20), and bad input of every ioctl, each checked to
 * change nothing. Needs amdgpu_glue loaded with test_knobs=1; the VRAM
 * pressure test wants simgpu vram_mb <= 64.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "amdgpu_glue_drm.h"
#include "tap.h"

#define NS_PER_S	1000000000LL
#define LONG_NS		(120 * NS_PER_S)

#define A_PREF	DRM_AMDGPU_GLUE_SVM_ATTR_PREFERRED_LOC
#define A_PFCH	DRM_AMDGPU_GLUE_SVM_ATTR_PREFETCH_LOC
#define A_ACC	DRM_AMDGPU_GLUE_SVM_ATTR_ACCESSIBLE
#define A_SET	DRM_AMDGPU_GLUE_SVM_ATTR_SET_FLAGS
#define A_CLR	DRM_AMDGPU_GLUE_SVM_ATTR_CLR_FLAGS
#define A_GRAN	DRM_AMDGPU_GLUE_SVM_ATTR_GRANULARITY
#define F_HOST	DRM_AMDGPU_GLUE_SVM_FLAG_HOST_ACCESS
#define F_COH	DRM_AMDGPU_GLUE_SVM_FLAG_COHERENT
#define F_RO	DRM_AMDGPU_GLUE_SVM_FLAG_GPU_RO
#define F_EXEC	DRM_AMDGPU_GLUE_SVM_FLAG_GPU_EXEC
#define F_ALL	DRM_AMDGPU_GLUE_SVM_FLAGS_ALL
#define UNDEF	DRM_AMDGPU_GLUE_SVM_LOC_UNDEFINED

static int fd = -1;
static unsigned int dev_index;	/* simgpu index of the node under test */
static unsigned int ndevs;	/* amdgpu_glue render nodes */

static int xioctl(unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static uint32_t ctx_create(uint32_t flags)
{
	struct drm_amdgpu_glue_ctx_create c = { .flags = flags };

	return xioctl(DRM_IOCTL_AMDGPU_GLUE_CTX_CREATE, &c) ? 0 : c.ctx_id;
}

static void ctx_destroy(uint32_t ctx)
{
	struct drm_amdgpu_glue_ctx_destroy d = { .ctx_id = ctx };

	if (ctx)
		xioctl(DRM_IOCTL_AMDGPU_GLUE_CTX_DESTROY, &d);
}

static int svm(uint32_t ctx, uint32_t op, const void *p, size_t len,
	       struct drm_amdgpu_glue_svm_attribute *a, uint32_t n)
{
	struct drm_amdgpu_glue_svm s = {
		.ctx_id = ctx, .op = op, .start = (uintptr_t)p, .size = len,
		.nattr = n, .attrs = (uintptr_t)a,
	};

	return xioctl(DRM_IOCTL_AMDGPU_GLUE_SVM, &s);
}

/* Set one attribute. */
static int set1(uint32_t ctx, const void *p, size_t len, uint32_t type,
		uint32_t value)
{
	struct drm_amdgpu_glue_svm_attribute a = { type, value };

	return svm(ctx, DRM_AMDGPU_GLUE_SVM_OP_SET_ATTR, p, len, &a, 1);
}

/* All six attributes of a span, in type order; 0 or -errno. */
static int get_all(uint32_t ctx, const void *p, size_t len, uint32_t v[6])
{
	struct drm_amdgpu_glue_svm_attribute a[6];
	int i, ret;

	for (i = 0; i < 6; i++)
		a[i] = (struct drm_amdgpu_glue_svm_attribute){ i, 0xdeadbeef };
	ret = svm(ctx, DRM_AMDGPU_GLUE_SVM_OP_GET_ATTR, p, len, a, 6);
	for (i = 0; i < 6; i++)
		v[i] = a[i].value;
	return ret;
}

static struct drm_amdgpu_glue_op op(uint32_t code, uint32_t value,
				    const void *va, size_t len)
{
	return (struct drm_amdgpu_glue_op){
		.code = code, .value = value, .va = (uintptr_t)va, .len = len,
	};
}

static int exec(uint32_t ctx, struct drm_amdgpu_glue_op *ops, uint32_t n,
		uint64_t *job)
{
	struct drm_amdgpu_glue_exec e = {
		.ctx_id = ctx, .num_ops = n, .ops = (uintptr_t)ops,
	};
	int ret = xioctl(DRM_IOCTL_AMDGPU_GLUE_EXEC, &e);

	*job = ret ? 0 : e.job_id;
	return ret;
}

static int job_wait(uint32_t ctx, uint64_t job, int64_t ns, uint32_t flags,
		    int *status, uint64_t *result)
{
	struct drm_amdgpu_glue_wait w = {
		.ctx_id = ctx, .job_id = job, .timeout_ns = ns, .flags = flags,
	};
	int ret = xioctl(DRM_IOCTL_AMDGPU_GLUE_WAIT, &w);

	if (!ret) {
		*status = w.status;
		if (result)
			*result = w.result;
	}
	return ret;
}

/* Run ops as one job and wait; the job's status, or the ioctl's error. */
static int run(uint32_t ctx, struct drm_amdgpu_glue_op *ops, uint32_t n,
	       uint64_t *result)
{
	uint64_t job;
	int status, ret = exec(ctx, ops, n, &job);

	if (!ret)
		ret = job_wait(ctx, job, LONG_NS, 0, &status, result);
	return ret ? ret : status;
}

static int stats(uint32_t ctx, struct drm_amdgpu_glue_ctx_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->ctx_id = ctx;
	return xioctl(DRM_IOCTL_AMDGPU_GLUE_CTX_STATS, s);
}

static int debug(uint32_t ctx, uint32_t op)
{
	struct drm_amdgpu_glue_debug d = { .ctx_id = ctx, .op = op };

	return xioctl(DRM_IOCTL_AMDGPU_GLUE_DEBUG, &d);
}

struct queue {
	uint32_t ctx, id, npk;
	size_t size;
	uint64_t off;
	struct drm_amdgpu_glue_queue_ctl *ctl;
	struct drm_amdgpu_glue_packet *ring;
};

static int queue_create(uint32_t ctx, uint32_t pages, struct queue *q)
{
	struct drm_amdgpu_glue_queue_create c = {
		.ctx_id = ctx, .ring_pages = pages,
	};
	void *p;
	int ret = xioctl(DRM_IOCTL_AMDGPU_GLUE_QUEUE_CREATE, &c);

	memset(q, 0, sizeof(*q));
	if (ret)
		return ret;
	p = mmap(NULL, c.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 c.mmap_offset);
	if (p == MAP_FAILED)
		return -errno;
	*q = (struct queue){
		.ctx = ctx, .id = c.queue_id, .npk = c.num_packets,
		.size = c.mmap_size, .off = c.mmap_offset, .ctl = p,
		.ring = (void *)((char *)p + page_size),
	};
	return 0;
}

static void queue_destroy(struct queue *q)
{
	struct drm_amdgpu_glue_queue_destroy d = { q->ctx, q->id };

	if (q->ctl)
		munmap(q->ctl, q->size);
	if (q->id)
		xioctl(DRM_IOCTL_AMDGPU_GLUE_QUEUE_DESTROY, &d);
	memset(q, 0, sizeof(*q));
}

/*
 * Write one packet of @n ops claiming @nops, then bump wptr: no ioctl.
 * Returns the seqno to wait for.
 */
static uint64_t queue_submit_raw(struct queue *q,
				 const struct drm_amdgpu_glue_op *ops,
				 uint32_t n, uint32_t nops)
{
	uint64_t w = q->ctl->wptr;
	struct drm_amdgpu_glue_packet *p = &q->ring[w % q->npk];

	memset(p, 0, sizeof(*p));
	p->nops = nops;
	memcpy(p->ops, ops, n * sizeof(*ops));
	__atomic_store_n(&q->ctl->wptr, w + 1, __ATOMIC_RELEASE);
	return w + 1;
}

static uint64_t queue_submit(struct queue *q, const struct drm_amdgpu_glue_op *ops,
			     uint32_t n)
{
	return queue_submit_raw(q, ops, n, n);
}

static uint64_t queue_done(struct queue *q)
{
	return __atomic_load_n(&q->ctl->done, __ATOMIC_ACQUIRE);
}

/* Poll the done pointer, no ioctl; 0 or -ETIME. */
static int queue_poll(struct queue *q, uint64_t seqno, int seconds)
{
	struct timespec ts = { 0, 1000000 };
	long i;

	for (i = 0; i < seconds * 1000L; i++) {
		if (queue_done(q) >= seqno)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIME;
}

static int queue_wait(struct queue *q, uint64_t seqno, int64_t ns)
{
	struct drm_amdgpu_glue_queue_wait w = {
		.ctx_id = q->ctx, .queue_id = q->id, .done = seqno,
		.timeout_ns = ns,
	};

	return xioctl(DRM_IOCTL_AMDGPU_GLUE_QUEUE_WAIT, &w);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(uint32_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = seed + (uint32_t)i * 2654435761u;
}

/* Every u32 is its fill() value plus @add; the first bad index or -1. */
static long check(const uint32_t *p, size_t n, uint32_t seed, uint32_t add)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != seed + (uint32_t)i * 2654435761u + add) {
			printf("# [%zu] = 0x%x, want 0x%x\n", i, p[i],
			       seed + (uint32_t)i * 2654435761u + add);
			return i;
		}
	return -1;
}

static uint32_t all_devs(void)
{
	return (1u << ndevs) - 1;
}

/* Wait until the context is no longer evicted; 0 or -ETIME. */
static int wait_restored(uint32_t ctx, int seconds)
{
	struct drm_amdgpu_glue_ctx_stats s;
	int i;

	for (i = 0; i < seconds * 100; i++) {
		if (stats(ctx, &s))
			return -EIO;
		if (!(s.state & DRM_AMDGPU_GLUE_STATE_EVICTED))
			return 0;
		sleep_ms(10);
	}
	return -ETIME;
}

/* Wait until @n fault records are queued (held); 0 or -ETIME. */
static int wait_pending(uint32_t ctx, unsigned int n)
{
	struct drm_amdgpu_glue_ctx_stats s;
	int i;

	for (i = 0; i < 3000; i++) {
		if (stats(ctx, &s))
			return -EIO;
		if (s.faults_pending >= n)
			return 0;
		sleep_ms(10);
	}
	return -ETIME;
}

/* ---- attributes ---- */

static int test_attr_defaults(void)
{
	size_t len = 4 * page_size;
	uint32_t on = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK);
	uint32_t off = ctx_create(0), v[6];
	char *p = map_region(len);
	int r = FAIL;

	CHECK(on && off && p);
	CHECK(!get_all(on, p, len, v));
	CHECK(v[A_PREF] == UNDEF && v[A_PFCH] == UNDEF);
	CHECK(v[A_ACC] == all_devs() && v[A_GRAN] == 9);
	CHECK(v[A_SET] == (F_HOST | F_COH));
	CHECK(v[A_CLR] == (F_ALL & ~(F_HOST | F_COH)));
	CHECK(!get_all(off, p, len, v));
	CHECK(v[A_ACC] == 0 && v[A_GRAN] == 9);
	/* GET needs no mapping: the span just past ours is a guard page */
	CHECK(!get_all(on, p + len, page_size, v) && v[A_PREF] == UNDEF);
	r = PASS;
out:
	unmap_region(p, len);
	ctx_destroy(on);
	ctx_destroy(off);
	return r;
}

static int test_attr_set_get_split(void)
{
	size_t ps = page_size, len = 16 * ps;
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK), v[6];
	struct drm_amdgpu_glue_svm_attribute a[] = {
		{ A_PREF, DRM_AMDGPU_GLUE_SVM_LOC_SYSTEM },
		{ A_GRAN, 4 },
		{ A_SET, F_RO },
		{ A_CLR, F_HOST },
	};
	char *p = map_region(len);
	int r = FAIL;

	CHECK(ctx && p);
	CHECK(!svm(ctx, DRM_AMDGPU_GLUE_SVM_OP_SET_ATTR, p + 4 * ps, 4 * ps, a, 4));
	CHECK(!get_all(ctx, p + 4 * ps, 4 * ps, v));
	CHECK(v[A_PREF] == DRM_AMDGPU_GLUE_SVM_LOC_SYSTEM && v[A_GRAN] == 4);
	CHECK(v[A_SET] == (F_COH | F_RO));
	CHECK(v[A_CLR] == (F_ALL & ~(F_COH | F_RO)));
	/* Outside: untouched defaults */
	CHECK(!get_all(ctx, p, 4 * ps, v) && v[A_PREF] == UNDEF && v[A_GRAN] == 9);
	CHECK(!get_all(ctx, p + 8 * ps, 8 * ps, v) && v[A_SET] == (F_HOST | F_COH));
	/* Across: KFD's fold */
	CHECK(!get_all(ctx, p, len, v));
	CHECK(v[A_PREF] == UNDEF && v[A_GRAN] == 4 && v[A_ACC] == all_devs());
	CHECK(v[A_SET] == F_COH);
	CHECK(v[A_CLR] == (F_ALL & ~(F_HOST | F_COH | F_RO)));
	/* Split the set span in three */
	CHECK(!set1(ctx, p + 5 * ps, ps, A_SET, F_EXEC));
	CHECK(!get_all(ctx, p + 4 * ps, ps, v) && v[A_SET] == (F_COH | F_RO));
	CHECK(!get_all(ctx, p + 5 * ps, ps, v) &&
	      v[A_SET] == (F_COH | F_RO | F_EXEC) && v[A_GRAN] == 4);
	CHECK(!get_all(ctx, p + 6 * ps, 2 * ps, v) && v[A_SET] == (F_COH | F_RO));
	/* A set straddling the end of the span and beyond */
	CHECK(!set1(ctx, p + 7 * ps, 2 * ps, A_GRAN, 2));
	CHECK(!get_all(ctx, p + 6 * ps, ps, v) && v[A_GRAN] == 4);
	CHECK(!get_all(ctx, p + 7 * ps, ps, v) && v[A_GRAN] == 2 &&
	      v[A_SET] == (F_COH | F_RO));
	CHECK(!get_all(ctx, p + 8 * ps, ps, v) && v[A_GRAN] == 2 &&
	      v[A_SET] == (F_HOST | F_COH) && v[A_PREF] == UNDEF);
	CHECK(!get_all(ctx, p + 9 * ps, ps, v) && v[A_GRAN] == 9);
	r = PASS;
out:
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

static int test_attr_survive_munmap(void)
{
	size_t ps = page_size, len = 8 * ps;
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK), v[6];
	uint32_t *p = map_region(len);
	struct drm_amdgpu_glue_op o;
	uint64_t sum;
	int r = FAIL;

	CHECK(ctx && p);
	fill(p, len / 4, 1);
	CHECK(!set1(ctx, p, len, A_GRAN, 3));
	CHECK(!set1(ctx, p, len, A_PREF, DRM_AMDGPU_GLUE_SVM_LOC_SYSTEM));
	/* Map it on the GPU, so that munmap has ranges to invalidate and GC */
	o = op(DRM_AMDGPU_GLUE_OP_LOAD, 0, p, len);
	CHECK(!run(ctx, &o, 1, &sum));
	CHECK(!munmap((char *)p + 2 * ps, 2 * ps));
	CHECK(!get_all(ctx, p, len, v));
	CHECK(v[A_GRAN] == 3 && v[A_PREF] == DRM_AMDGPU_GLUE_SVM_LOC_SYSTEM);
	CHECK(!get_all(ctx, (char *)p + 2 * ps, 2 * ps, v) && v[A_GRAN] == 3);
	/* SET on a partly unmapped span fails and changes nothing */
	CHECK(set1(ctx, p, len, A_GRAN, 5) == -EFAULT);
	CHECK(!get_all(ctx, p, len, v) && v[A_GRAN] == 3);
	/* The rest still works */
	o = op(DRM_AMDGPU_GLUE_OP_ADD, 1, p, 2 * ps);
	CHECK(!run(ctx, &o, 1, NULL));
	CHECK(check(p, 2 * ps / 4, 1, 1) < 0);
	r = PASS;
out:
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

/* ---- XNACK on ---- */

static int test_xnack_on_faults(void)
{
	size_t len = 64 * page_size;
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK);
	uint32_t *p = malloc(len), *q = map_region(len);
	struct drm_amdgpu_glue_op o[3];
	struct drm_amdgpu_glue_ctx_stats s;
	uint64_t sum = 0, want = 0;
	size_t i;
	int r = FAIL;

	CHECK(ctx && p && q);
	fill(p, len / 4, 7);
	memset(q, 0, len);
	o[0] = op(DRM_AMDGPU_GLUE_OP_ADD, 3, p, len);
	o[1] = op(DRM_AMDGPU_GLUE_OP_COPY, 0, q, len);
	o[1].src = (uintptr_t)p;
	o[2] = op(DRM_AMDGPU_GLUE_OP_LOAD, 0, q, len);
	CHECK(!run(ctx, o, 3, &sum));
	CHECK(check(p, len / 4, 7, 3) < 0 && check(q, len / 4, 7, 3) < 0);
	for (i = 0; i < len / 4; i++)
		want += q[i];
	CHECK(sum == want);
	CHECK(!stats(ctx, &s) && s.gpu_faults > 0 && !s.fatal_faults);
	CHECK(s.state & DRM_AMDGPU_GLUE_STATE_XNACK);
	r = PASS;
out:
	free(p);
	unmap_region(q, len);
	ctx_destroy(ctx);
	return r;
}

static int test_xnack_on_queue(void)
{
	size_t len = 32 * page_size;
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK);
	uint32_t *p = map_region(len);
	struct drm_amdgpu_glue_op o[2];
	struct queue q = {};
	uint64_t seq = 0, sum = 0;
	size_t i;
	int k, r = FAIL;

	CHECK(ctx && p);
	fill(p, len / 4, 11);
	CHECK(!queue_create(ctx, 1, &q));
	CHECK(q.npk == page_size / sizeof(struct drm_amdgpu_glue_packet));
	/* More packets than the ring holds: wait for room by polling */
	for (k = 0; k < 40; k++) {
		o[0] = op(DRM_AMDGPU_GLUE_OP_ADD, 1, p, len);
		while (q.ctl->wptr - queue_done(&q) >= q.npk)
			sleep_ms(1);
		seq = queue_submit(&q, o, 1);
	}
	CHECK(!queue_poll(&q, seq, 120));
	CHECK(q.ctl->errors == 0 && q.ctl->rptr == seq);
	CHECK(check(p, len / 4, 11, 40) < 0);
	/* Write-back of status and result into the slot */
	o[0] = op(DRM_AMDGPU_GLUE_OP_LOAD, 0, p, len);
	seq = queue_submit(&q, o, 1);
	CHECK(!queue_wait(&q, seq, LONG_NS));
	for (i = 0; i < len / 4; i++)
		sum += p[i];
	CHECK(q.ring[(seq - 1) % q.npk].status == 0);
	CHECK(q.ring[(seq - 1) % q.npk].result == sum);
	r = PASS;
out:
	queue_destroy(&q);
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

static int test_gpu_ro_and_accessible(void)
{
	size_t len = 8 * page_size;
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK);
	uint32_t *p = map_region(len);
	struct drm_amdgpu_glue_op o;
	int r = FAIL;

	CHECK(ctx && p);
	fill(p, len / 4, 3);
	CHECK(!set1(ctx, p, len / 2, A_SET, F_RO));
	o = op(DRM_AMDGPU_GLUE_OP_STORE, 9, p, 4);
	CHECK(run(ctx, &o, 1, NULL) == -EPERM);
	o = op(DRM_AMDGPU_GLUE_OP_LOAD, 0, p, len / 2);
	CHECK(run(ctx, &o, 1, NULL) == 0);
	CHECK(!set1(ctx, (char *)p + len / 2, len / 2, A_ACC, 0));
	o = op(DRM_AMDGPU_GLUE_OP_LOAD, 0, (char *)p + len / 2, 4);
	CHECK(run(ctx, &o, 1, NULL) == -EACCES);
	CHECK(check(p, len / 4, 3, 0) < 0);
	/* Clearing GPU_RO: writes work again */
	CHECK(!set1(ctx, p, len / 2, A_CLR, F_RO));
	o = op(DRM_AMDGPU_GLUE_OP_ADD, 1, p, len / 2);
	CHECK(run(ctx, &o, 1, NULL) == 0);
	CHECK(check(p, len / 8, 3, 1) < 0);
	r = PASS;
out:
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

/*
 * Attribute pieces inside one bind: a 64 KiB window, one range, with
 * GPU_RO on pages 0-3 and 8-11. A load binds the whole range; then each
 * page's entry must carry its own piece's permission.
 */
static int test_attr_pieces_one_bind(void)
{
	size_t len = 64 << 10, pg = page_size / 4;
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK);
	uint32_t *p = map_region_aligned(len, len);
	struct drm_amdgpu_glue_op o;
	int r = FAIL;

	CHECK(ctx && p);
	fill(p, len / 4, 5);
	CHECK(!set1(ctx, p, 4 * page_size, A_SET, F_RO));
	CHECK(!set1(ctx, p + 8 * pg, 4 * page_size, A_SET, F_RO));
	o = op(DRM_AMDGPU_GLUE_OP_LOAD, 0, p, len);
	CHECK(run(ctx, &o, 1, NULL) == 0);
	o = op(DRM_AMDGPU_GLUE_OP_STORE, 7, p + 5 * pg, 4);
	CHECK(run(ctx, &o, 1, NULL) == 0);
	o = op(DRM_AMDGPU_GLUE_OP_STORE, 7, p + 9 * pg, 4);
	CHECK(run(ctx, &o, 1, NULL) == -EPERM);
	o = op(DRM_AMDGPU_GLUE_OP_STORE, 7, p + 13 * pg, 4);
	CHECK(run(ctx, &o, 1, NULL) == 0);
	CHECK(p[5 * pg] == 7 && p[9 * pg] != 7 && p[13 * pg] == 7);
	r = PASS;
out:
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

static int test_prefetch_loc(void)
{
	size_t len = 64 * page_size;
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK), v[6];
	uint32_t *p = map_region(len);
	struct drm_amdgpu_glue_ctx_stats s0, s1, s2;
	struct drm_amdgpu_glue_op o;
	int r = FAIL;

	CHECK(ctx && p);
	fill(p, len / 4, 5);
	CHECK(!stats(ctx, &s0));
	CHECK(!set1(ctx, p, len, A_PFCH, DRM_AMDGPU_GLUE_SVM_LOC_DEVICE(dev_index)));
	CHECK(!stats(ctx, &s1));
	CHECK(s1.migrations_to_vram - s0.migrations_to_vram >= len / page_size);
	CHECK(!get_all(ctx, p, len, v) &&
	      v[A_PFCH] == DRM_AMDGPU_GLUE_SVM_LOC_DEVICE(dev_index));
	/* Prefetched and mapped: no fault */
	o = op(DRM_AMDGPU_GLUE_OP_ADD, 2, p, len);
	CHECK(!run(ctx, &o, 1, NULL));
	CHECK(!stats(ctx, &s2) && s2.gpu_faults == s1.gpu_faults);
	CHECK(!set1(ctx, p, len, A_PFCH, DRM_AMDGPU_GLUE_SVM_LOC_SYSTEM));
	CHECK(!stats(ctx, &s2));
	CHECK(s2.migrations_to_ram - s1.migrations_to_ram >= len / page_size);
	CHECK(check(p, len / 4, 5, 2) < 0);
	r = PASS;
out:
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

/*
 * A fault raised, then the address unmapped with an invalidation in
 * between: dropped as stale, the retry fails with -EFAULT. Without an
 * invalidation since, the same fault is not stale.
 */
static int stale_case(int invalidate, uint64_t *stale)
{
	size_t len = 16 * page_size;
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK);
	char *a = map_region(len), *b = map_region(len);
	struct drm_amdgpu_glue_ctx_stats s0, s1;
	struct drm_amdgpu_glue_op o;
	uint64_t job;
	int status = 1, r = FAIL;

	CHECK(ctx && a && b);
	memset(a, 1, len);
	memset(b, 2, len);
	o = op(DRM_AMDGPU_GLUE_OP_LOAD, 0, a, len);
	CHECK(!run(ctx, &o, 1, NULL));	/* a is GPU-mapped now */
	CHECK(!debug(ctx, DRM_AMDGPU_GLUE_DEBUG_HOLD_FAULTS));
	o = op(DRM_AMDGPU_GLUE_OP_STORE, 5, b, 4);
	CHECK(!exec(ctx, &o, 1, &job));
	CHECK(!wait_pending(ctx, 1));
	CHECK(!stats(ctx, &s0));
	if (invalidate) {
		unmap_region(a, len);	/* Invalidates a GPU mapping */
		a = NULL;
	}
	unmap_region(b, len);
	b = NULL;
	CHECK(!debug(ctx, DRM_AMDGPU_GLUE_DEBUG_RELEASE_FAULTS));
	CHECK(!job_wait(ctx, job, LONG_NS, 0, &status, NULL));
	CHECK(status == -EFAULT);
	CHECK(!stats(ctx, &s1));
	*stale = s1.stale_faults - s0.stale_faults;
	r = PASS;
out:
	debug(ctx, DRM_AMDGPU_GLUE_DEBUG_RELEASE_FAULTS);
	unmap_region(a, len);
	unmap_region(b, len);
	ctx_destroy(ctx);
	return r;
}

static int test_stale_retry_fault(void)
{
	uint64_t stale = 0;
	int r = FAIL;

	CHECK(stale_case(1, &stale) == PASS);
	CHECK(stale == 1);
	/* Not GPU-mapped, so no invalidation: judged on the VMA at once */
	CHECK(stale_case(0, &stale) == PASS);
	CHECK(stale <= 1);
	r = PASS;
out:
	return r;
}

/* R20: a waiter in reclaim backs off a job stalled on a held fault. */
static int test_reclaim_waiter(void)
{
	size_t len = 16 * page_size;
	uint32_t on = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK);
	uint32_t off = ctx_create(0);
	uint32_t *p = map_region(len), *q = map_region(len);
	struct drm_amdgpu_glue_ctx_stats s;
	struct drm_amdgpu_glue_op o;
	uint64_t job = 0, job2;
	int status = 1;
	double t;
	int r = FAIL;

	CHECK(on && off && p && q);
	fill(p, len / 4, 9);
	fill(q, len / 4, 4);
	CHECK(!debug(on, DRM_AMDGPU_GLUE_DEBUG_HOLD_FAULTS));
	o = op(DRM_AMDGPU_GLUE_OP_ADD, 1, p, len);
	CHECK(!exec(on, &o, 1, &job));
	CHECK(!wait_pending(on, 1));
	t = now_s();
	CHECK(job_wait(on, job, 60 * NS_PER_S, DRM_AMDGPU_GLUE_WAIT_RECLAIM,
		       &status, NULL) == -EDEADLK);
	CHECK(now_s() - t < 5);
	/* Outside reclaim the wait waits */
	CHECK(job_wait(on, job, NS_PER_S / 10, 0, &status, NULL) == -ETIME);
	CHECK(!debug(on, DRM_AMDGPU_GLUE_DEBUG_RELEASE_FAULTS));
	CHECK(!job_wait(on, job, LONG_NS, 0, &status, NULL) && status == 0);
	job = 0;
	CHECK(check(p, len / 4, 9, 1) < 0);
	/*
	 * XNACK off, not evicted: still backed off, an eviction may park the
	 * job after the check. The fault is held so the job stays unsignalled.
	 */
	CHECK(!debug(off, DRM_AMDGPU_GLUE_DEBUG_HOLD_FAULTS));
	o = op(DRM_AMDGPU_GLUE_OP_ADD, 1, q, len);
	CHECK(!exec(off, &o, 1, &job2));
	CHECK(!wait_pending(off, 1));
	CHECK(!stats(off, &s) && !(s.state & DRM_AMDGPU_GLUE_STATE_EVICTED));
	CHECK(job_wait(off, job2, 60 * NS_PER_S, DRM_AMDGPU_GLUE_WAIT_RECLAIM,
		       &status, NULL) == -EDEADLK);
	CHECK(!debug(off, DRM_AMDGPU_GLUE_DEBUG_RELEASE_FAULTS));
	CHECK(!job_wait(off, job2, LONG_NS, 0, &status, NULL) &&
	      status == -EFAULT);
	/* Mapped ahead: runs, and a plain wait waits for it */
	CHECK(!set1(off, q, len, A_ACC, 1u << dev_index));
	CHECK(!exec(off, &o, 1, &job2));
	CHECK(!job_wait(off, job2, LONG_NS, 0, &status, NULL) && status == 0);
	CHECK(check(q, len / 4, 4, 1) < 0);
	r = PASS;
out:
	debug(on, DRM_AMDGPU_GLUE_DEBUG_RELEASE_FAULTS);
	debug(off, DRM_AMDGPU_GLUE_DEBUG_RELEASE_FAULTS);
	if (job)
		job_wait(on, job, LONG_NS, 0, &status, NULL);
	unmap_region(p, len);
	unmap_region(q, len);
	ctx_destroy(on);
	ctx_destroy(off);
	return r;
}

/* ---- XNACK off ---- */

static int test_xnack_off_fatal(void)
{
	size_t len = 4 * page_size;
	uint32_t ctx = ctx_create(0);
	uint32_t *p = map_region(len);
	struct drm_amdgpu_glue_ctx_stats s;
	struct drm_amdgpu_glue_op o;
	int r = FAIL;

	CHECK(ctx && p);
	fill(p, len / 4, 2);
	o = op(DRM_AMDGPU_GLUE_OP_STORE, 1, p, len);
	CHECK(run(ctx, &o, 1, NULL) == -EFAULT);
	CHECK(!stats(ctx, &s) && s.fatal_faults == 1 && !s.stale_faults);
	CHECK(!(s.state & DRM_AMDGPU_GLUE_STATE_XNACK));
	CHECK(check(p, len / 4, 2, 0) < 0);
	r = PASS;
out:
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

static int test_xnack_off_eager_map(void)
{
	size_t len = 64 * page_size;
	uint32_t ctx = ctx_create(0);
	uint32_t *p = map_region(len), *u = map_region(len);
	struct drm_amdgpu_glue_ctx_stats s0, s1;
	struct drm_amdgpu_glue_op o[2];
	int r = FAIL;

	CHECK(ctx && p && u);
	fill(p, len / 4, 8);
	CHECK(!stats(ctx, &s0));
	CHECK(!set1(ctx, p, len, A_ACC, 1u << dev_index));
	CHECK(!stats(ctx, &s1) && s1.pages_mapped - s0.pages_mapped >= len / page_size);
	/* Never-touched memory too: mapped writable ahead of time */
	CHECK(!set1(ctx, u, len, DRM_AMDGPU_GLUE_SVM_ATTR_SET_FLAGS,
		    DRM_AMDGPU_GLUE_SVM_FLAG_GPU_ALWAYS_MAPPED));
	o[0] = op(DRM_AMDGPU_GLUE_OP_ADD, 5, p, len);
	o[1] = op(DRM_AMDGPU_GLUE_OP_COPY, 0, u, len);
	o[1].src = (uintptr_t)p;
	CHECK(!run(ctx, o, 2, NULL));
	CHECK(!stats(ctx, &s1) && s1.gpu_faults == s0.gpu_faults);
	CHECK(check(p, len / 4, 8, 5) < 0 && check(u, len / 4, 8, 5) < 0);
	r = PASS;
out:
	unmap_region(p, len);
	unmap_region(u, len);
	ctx_destroy(ctx);
	return r;
}

/* Fork write-protects the parent's pages: an invalidation, no data change. */
static int fork_invalidate(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(0);
	return wait_child(pid) ? -EIO : 0;
}

static int test_xnack_off_evict_restore(void)
{
	size_t len = 64 * page_size;
	uint32_t ctx = ctx_create(0);
	uint32_t *p = map_region(len);
	struct drm_amdgpu_glue_ctx_stats s0, s1;
	struct drm_amdgpu_glue_op o;
	struct queue q = {};
	uint64_t seq, rptr;
	int r = FAIL;

	CHECK(ctx && p);
	fill(p, len / 4, 6);
	CHECK(!set1(ctx, p, len, A_ACC, 1u << dev_index));
	CHECK(!queue_create(ctx, 1, &q));
	o = op(DRM_AMDGPU_GLUE_OP_ADD, 1, p, len);
	CHECK(!queue_poll(&q, queue_submit(&q, &o, 1), 120));
	CHECK(!stats(ctx, &s0) && !(s0.state & DRM_AMDGPU_GLUE_STATE_EVICTED));
	CHECK(s0.queues == 1 && !s0.queues_suspended && !s0.evict_fence_signaled);

	CHECK(!debug(ctx, DRM_AMDGPU_GLUE_DEBUG_HOLD_RESTORE));
	CHECK(!fork_invalidate());
	CHECK(!stats(ctx, &s1));
	CHECK(s1.state & DRM_AMDGPU_GLUE_STATE_EVICTED);
	CHECK(s1.evictions == s0.evictions + 1 && s1.queues_suspended == 1);
	CHECK(s1.evict_fence_signaled && s1.evict_fence_seqno == s0.evict_fence_seqno);
	/* Submitted while evicted: not fetched until the restore */
	rptr = q.ctl->rptr;
	seq = queue_submit(&q, &o, 1);
	sleep_ms(100);
	CHECK(q.ctl->rptr == rptr && queue_done(&q) == seq - 1);
	CHECK(!debug(ctx, DRM_AMDGPU_GLUE_DEBUG_RELEASE_RESTORE));
	CHECK(!queue_wait(&q, seq, LONG_NS));
	CHECK(!stats(ctx, &s1) && !(s1.state & DRM_AMDGPU_GLUE_STATE_EVICTED));
	CHECK(s1.restores == s0.restores + 1 && !s1.queues_suspended);
	CHECK(!s1.evict_fence_signaled &&
	      s1.evict_fence_seqno == s0.evict_fence_seqno + 1);
	CHECK(!s1.fatal_faults && q.ctl->errors == 0);
	CHECK(check(p, len / 4, 6, 2) < 0);
	r = PASS;
out:
	debug(ctx, DRM_AMDGPU_GLUE_DEBUG_RELEASE_RESTORE);
	queue_destroy(&q);
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

/* A job in flight over an invalidation parks and finishes after the restore. */
static int test_xnack_off_job_parks(void)
{
	size_t len = 256 * page_size;
	uint32_t ctx = ctx_create(0);
	uint32_t *p = map_region(len);
	struct drm_amdgpu_glue_ctx_stats s;
	struct drm_amdgpu_glue_op o[8];
	uint64_t job;
	int i, status = 1, r = FAIL;

	CHECK(ctx && p);
	fill(p, len / 4, 12);
	CHECK(!set1(ctx, p, len, A_ACC, 1u << dev_index));
	for (i = 0; i < 8; i++)
		o[i] = op(DRM_AMDGPU_GLUE_OP_ADD, 1, p, len);
	CHECK(!debug(ctx, DRM_AMDGPU_GLUE_DEBUG_HOLD_RESTORE));
	CHECK(!exec(ctx, o, 8, &job));
	CHECK(!fork_invalidate());
	sleep_ms(50);
	CHECK(!debug(ctx, DRM_AMDGPU_GLUE_DEBUG_RELEASE_RESTORE));
	CHECK(!job_wait(ctx, job, LONG_NS, 0, &status, NULL));
	CHECK(status == 0);
	CHECK(!stats(ctx, &s) && !s.fatal_faults && s.restores >= 1);
	CHECK(check(p, len / 4, 12, 8) < 0);
	r = PASS;
out:
	debug(ctx, DRM_AMDGPU_GLUE_DEBUG_RELEASE_RESTORE);
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

/* A waiter on the eviction fence evicts the queues (XNACK on too). */
static int test_evict_fence_waiter(void)
{
	size_t len = 16 * page_size;
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK);
	uint32_t *p = map_region(len);
	struct drm_amdgpu_glue_ctx_stats s0, s1;
	struct drm_amdgpu_glue_op o;
	struct queue q = {};
	uint64_t seq;
	int r = FAIL;

	CHECK(ctx && p);
	fill(p, len / 4, 13);
	CHECK(!queue_create(ctx, 2, &q));
	CHECK(!stats(ctx, &s0));
	CHECK(!debug(ctx, DRM_AMDGPU_GLUE_DEBUG_HOLD_RESTORE));
	CHECK(!debug(ctx, DRM_AMDGPU_GLUE_DEBUG_EVICT));
	CHECK(!stats(ctx, &s1) && (s1.state & DRM_AMDGPU_GLUE_STATE_EVICTED));
	CHECK(s1.evict_fence_signaled && s1.queues_suspended == 1);
	o = op(DRM_AMDGPU_GLUE_OP_ADD, 1, p, len);
	seq = queue_submit(&q, &o, 1);
	CHECK(queue_wait(&q, seq, NS_PER_S / 10) == -ETIME);
	CHECK(!debug(ctx, DRM_AMDGPU_GLUE_DEBUG_RELEASE_RESTORE));
	CHECK(!queue_wait(&q, seq, LONG_NS));
	CHECK(!stats(ctx, &s1) && s1.restores == s0.restores + 1);
	CHECK(check(p, len / 4, 13, 1) < 0);
	r = PASS;
out:
	debug(ctx, DRM_AMDGPU_GLUE_DEBUG_RELEASE_RESTORE);
	queue_destroy(&q);
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

/* How many u32 of @p are @v. */
static size_t count_eq(const uint32_t *p, size_t n, uint32_t v)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += __atomic_load_n(&p[i], __ATOMIC_RELAXED) == v;
	return c;
}

/*
 * Once the eviction fence signalled, the GPU writes nothing: a long job
 * in flight stops at its next access (parked), whatever its TLB held, and
 * goes on after the restore.
 */
static int evict_stops_case(uint32_t flags)
{
	size_t len = 32ul << 20, n = len / 4, c0, c1;
	uint32_t ctx = ctx_create(flags);
	uint32_t *p = map_region(len);
	struct drm_amdgpu_glue_op o;
	uint64_t job = 0;
	int status = 1, i, r = FAIL;

	CHECK(ctx && p);
	memset(p, 0, len);
	if (!(flags & DRM_AMDGPU_GLUE_CTX_XNACK))
		CHECK(!set1(ctx, p, len, A_ACC, 1u << dev_index));
	CHECK(!debug(ctx, DRM_AMDGPU_GLUE_DEBUG_HOLD_RESTORE));
	o = op(DRM_AMDGPU_GLUE_OP_STORE, 7, p, len);
	CHECK(!exec(ctx, &o, 1, &job));
	for (i = 0; i < 100000 && !__atomic_load_n(&p[0], __ATOMIC_RELAXED); i++)
		sleep_ms(0);
	CHECK(!debug(ctx, DRM_AMDGPU_GLUE_DEBUG_EVICT));
	c0 = count_eq(p, n, 7);
	sleep_ms(300);
	c1 = count_eq(p, n, 7);
	printf("# xnack %d: %zu of %zu words written at the signal, %zu 300 ms later\n",
	       !!flags, c0, n, c1);
	CHECK(c1 == c0);
	if (c0 < n)
		CHECK(job_wait(ctx, job, NS_PER_S / 10, 0, &status, NULL) == -ETIME);
	CHECK(!debug(ctx, DRM_AMDGPU_GLUE_DEBUG_RELEASE_RESTORE));
	CHECK(!job_wait(ctx, job, LONG_NS, 0, &status, NULL) && status == 0);
	job = 0;
	CHECK(count_eq(p, n, 7) == n);
	r = PASS;
out:
	debug(ctx, DRM_AMDGPU_GLUE_DEBUG_RELEASE_RESTORE);
	if (job)
		job_wait(ctx, job, LONG_NS, 0, &status, NULL);
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

static int test_evict_stops_gpu(void)
{
	int r = FAIL;

	CHECK(evict_stops_case(DRM_AMDGPU_GLUE_CTX_XNACK) == PASS);
	CHECK(evict_stops_case(0) == PASS);
	r = PASS;
out:
	return r;
}

static long simgpu_vram_size(void)
{
	FILE *f = fopen("/sys/module/simgpu/parameters/vram_mb", "r");
	long mb = -1;

	if (f) {
		if (fscanf(f, "%ld", &mb) != 1)
			mb = -1;
		fclose(f);
	}
	return mb;
}

/*
 * Context A (XNACK off) has its data in VRAM and a queue; context B fills
 * VRAM, the core evicts A's memory: A's queues are evicted, restored with
 * the data in system memory, and the data is intact.
 */
static int test_vram_pressure_evict(void)
{
	long mb = simgpu_vram_size();
	size_t alen = (size_t)(mb / 2) << 20, blen = (size_t)(mb * 3 / 4) << 20;
	uint32_t a = 0, b = 0, loc = DRM_AMDGPU_GLUE_SVM_LOC_DEVICE(dev_index);
	uint32_t *pa = NULL, *pb = NULL;
	struct drm_amdgpu_glue_ctx_stats s0, s1;
	struct drm_amdgpu_glue_svm_attribute at[2] = {
		{ A_ACC, 1u << dev_index }, { A_PFCH, loc },
	};
	struct drm_amdgpu_glue_op o;
	struct queue q = {};
	uint64_t seq;
	int r = FAIL;

	if (mb <= 0 || mb > 64) {
		snprintf(skip_reason, sizeof(skip_reason),
			 "needs simgpu vram_mb <= 64 (is %ld)", mb);
		return SKIP;
	}
	a = ctx_create(0);
	b = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK);
	pa = map_region(alen);
	pb = map_region(blen);
	CHECK(a && b && pa && pb);
	fill(pa, alen / 4, 21);
	fill(pb, blen / 4, 22);
	CHECK(!svm(a, DRM_AMDGPU_GLUE_SVM_OP_SET_ATTR, pa, alen, at, 2));
	CHECK(!stats(a, &s0) && s0.migrations_to_vram >= alen / page_size / 2);
	CHECK(!queue_create(a, 1, &q));
	CHECK(!debug(a, DRM_AMDGPU_GLUE_DEBUG_HOLD_RESTORE));
	CHECK(!set1(b, pb, blen, A_PFCH, loc));
	/* B's migration made the core evict A's VRAM: A's queue is off */
	CHECK(!stats(a, &s1) && (s1.state & DRM_AMDGPU_GLUE_STATE_EVICTED));
	CHECK(s1.evictions > s0.evictions && s1.queues_suspended == 1);
	CHECK(s1.evict_fence_signaled);
	o = op(DRM_AMDGPU_GLUE_OP_ADD, 1, pa, alen);
	seq = queue_submit(&q, &o, 1);
	sleep_ms(100);
	CHECK(q.ctl->rptr == 0 && queue_done(&q) == 0);
	CHECK(!debug(a, DRM_AMDGPU_GLUE_DEBUG_RELEASE_RESTORE));
	CHECK(!wait_restored(a, 60));
	CHECK(!stats(a, &s1) && s1.restores > s0.restores);
	CHECK(!s1.queues_suspended && !s1.evict_fence_signaled);
	CHECK(!queue_poll(&q, seq, 300));
	CHECK(q.ctl->errors == 0);
	CHECK(!stats(a, &s1) && !s1.fatal_faults);
	CHECK(check(pa, alen / 4, 21, 1) < 0);
	CHECK(check(pb, blen / 4, 22, 0) < 0);
	r = PASS;
out:
	if (a)
		debug(a, DRM_AMDGPU_GLUE_DEBUG_RELEASE_RESTORE);
	queue_destroy(&q);
	unmap_region(pa, alen);
	unmap_region(pb, blen);
	ctx_destroy(a);
	ctx_destroy(b);
	return r;
}

static int test_set_xnack(void)
{
	size_t len = page_size;
	uint32_t ctx = ctx_create(0), v[6];
	struct drm_amdgpu_glue_set_xnack x = { .ctx_id = ctx, .enable = 1 };
	char *p = map_region(len);
	struct queue q = {};
	int r = FAIL;

	CHECK(ctx && p);
	CHECK(!get_all(ctx, p, len, v) && v[A_ACC] == 0);
	CHECK(!xioctl(DRM_IOCTL_AMDGPU_GLUE_SET_XNACK, &x));
	CHECK(!get_all(ctx, p, len, v) && v[A_ACC] == all_devs());
	CHECK(!queue_create(ctx, 1, &q));
	x.enable = 0;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_SET_XNACK, &x) == -EBUSY);
	CHECK(!get_all(ctx, p, len, v) && v[A_ACC] == all_devs());
	r = PASS;
out:
	queue_destroy(&q);
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

/* ---- bad input: each fails cleanly and changes nothing ---- */

static int test_bad_svm(void)
{
	size_t len = 4 * page_size;
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK), v0[6], v1[6];
	struct drm_amdgpu_glue_svm_attribute a[DRM_AMDGPU_GLUE_SVM_MAX_ATTRS + 1];
	struct drm_amdgpu_glue_svm s;
	char *p = map_region(len);
	int r = FAIL;

	CHECK(ctx && p);
	CHECK(!set1(ctx, p, len, A_GRAN, 6));
	CHECK(!get_all(ctx, p, len, v0));
	memset(a, 0, sizeof(a));
	/* Bad values, one at a time, after a good one that must not apply */
	a[0] = (struct drm_amdgpu_glue_svm_attribute){ A_GRAN, 1 };
#define BAD_SET(t__, v__, err__) do {					\
		a[1] = (struct drm_amdgpu_glue_svm_attribute){ (t__), (v__) }; \
		CHECK(svm(ctx, DRM_AMDGPU_GLUE_SVM_OP_SET_ATTR, p, len, a, 2) == (err__)); \
	} while (0)
	BAD_SET(6, 0, -EINVAL);
	BAD_SET(A_PREF, DRM_AMDGPU_GLUE_SVM_LOC_DEVICE(ndevs), -EINVAL);
	BAD_SET(A_PFCH, 0x1000, -EINVAL);
	BAD_SET(A_ACC, 1u << ndevs, -EINVAL);
	BAD_SET(A_SET, 0x100, -EINVAL);
	BAD_SET(A_CLR, 0x4, -EINVAL);
	BAD_SET(A_GRAN, DRM_AMDGPU_GLUE_SVM_MAX_GRANULARITY + 1, -EINVAL);
	CHECK(!get_all(ctx, p, len, v1) && !memcmp(v0, v1, sizeof(v0)));
	/* Bad headers */
	s = (struct drm_amdgpu_glue_svm){ .ctx_id = ctx, .start = (uintptr_t)p,
		.size = len, .nattr = 1, .attrs = (uintptr_t)a };
	s.op = 2;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_SVM, &s) == -EINVAL);
	s.op = 0;
	s.nattr = 0;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_SVM, &s) == -EINVAL);
	s.nattr = DRM_AMDGPU_GLUE_SVM_MAX_ATTRS + 1;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_SVM, &s) == -EINVAL);
	s.nattr = 1;
	s.pad = 1;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_SVM, &s) == -EINVAL);
	s.pad = 0;
	s.start += 1;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_SVM, &s) == -EINVAL);
	s.start -= 1;
	s.size = 0;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_SVM, &s) == -EINVAL);
	s.size = -page_size;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_SVM, &s) == -EINVAL);
	s.size = len;
	s.attrs = 8;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_SVM, &s) == -EFAULT);
	s.attrs = (uintptr_t)a;
	s.ctx_id = 0x7777;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_SVM, &s) == -ENOENT);
	/* GET of an unknown type */
	a[0].type = 9;
	CHECK(svm(ctx, DRM_AMDGPU_GLUE_SVM_OP_GET_ATTR, p, len, a, 1) == -EINVAL);
	CHECK(!get_all(ctx, p, len, v1) && !memcmp(v0, v1, sizeof(v0)));
	r = PASS;
out:
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

static int test_bad_exec_wait(void)
{
	size_t len = 4 * page_size;
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK);
	uint32_t *p = map_region(len);
	struct drm_amdgpu_glue_ctx_stats s0, s1;
	struct drm_amdgpu_glue_op o[2];
	struct drm_amdgpu_glue_exec e;
	struct drm_amdgpu_glue_wait w;
	uint64_t job;
	int r = FAIL;

	CHECK(ctx && p);
	fill(p, len / 4, 17);
	CHECK(!stats(ctx, &s0));
	o[0] = op(7, 0, p, 4);
	CHECK(exec(ctx, o, 1, &job) == -EINVAL);
	o[0] = op(DRM_AMDGPU_GLUE_OP_STORE, 0, (char *)p + 1, 4);
	CHECK(exec(ctx, o, 1, &job) == -EINVAL);
	o[0] = op(DRM_AMDGPU_GLUE_OP_STORE, 0, p, 0);
	CHECK(exec(ctx, o, 1, &job) == -EINVAL);
	o[0] = op(DRM_AMDGPU_GLUE_OP_STORE, 0, p, 4);
	o[0].src = 4096;
	CHECK(exec(ctx, o, 1, &job) == -EINVAL);
	o[0] = op(DRM_AMDGPU_GLUE_OP_COPY, 0, p, 64);
	o[0].src = (uintptr_t)p + 32;
	CHECK(exec(ctx, o, 1, &job) == -EINVAL);
	o[0] = op(DRM_AMDGPU_GLUE_OP_MEMSET, 0, (void *)-4096L, 8192);
	CHECK(exec(ctx, o, 1, &job) == -EINVAL);
	/* A good op then a bad one: nothing runs */
	o[0] = op(DRM_AMDGPU_GLUE_OP_STORE, 0, p, len);
	o[1] = op(DRM_AMDGPU_GLUE_OP_ADD, 0, p, 3);
	CHECK(exec(ctx, o, 2, &job) == -EINVAL);
	CHECK(exec(ctx, o, 0, &job) == -EINVAL);
	CHECK(exec(ctx, o, DRM_AMDGPU_GLUE_EXEC_MAX_OPS + 1, &job) == -EINVAL);
	e = (struct drm_amdgpu_glue_exec){ .ctx_id = ctx, .num_ops = 1, .ops = 8 };
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_EXEC, &e) == -EFAULT);
	e = (struct drm_amdgpu_glue_exec){ .ctx_id = 0x7777, .num_ops = 1,
					   .ops = (uintptr_t)o };
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_EXEC, &e) == -ENOENT);
	CHECK(!stats(ctx, &s1) && s1.jobs == s0.jobs);
	CHECK(check(p, len / 4, 17, 0) < 0);
	/* WAIT */
	w = (struct drm_amdgpu_glue_wait){ .ctx_id = ctx, .job_id = 1 };
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_WAIT, &w) == -ENOENT);
	w.flags = 2;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_WAIT, &w) == -EINVAL);
	w.flags = 0;
	w.pad = 1;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_WAIT, &w) == -EINVAL);
	w.pad = 0;
	w.job_id = 1ULL << 40;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_WAIT, &w) == -ENOENT);
	r = PASS;
out:
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

static int test_bad_ctx_queue(void)
{
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK);
	struct drm_amdgpu_glue_ctx_create c = { .flags = 2 };
	struct drm_amdgpu_glue_ctx_destroy d = { .ctx_id = 0x7777 };
	struct drm_amdgpu_glue_set_xnack x = { .ctx_id = ctx, .enable = 2 };
	struct drm_amdgpu_glue_queue_create qc = { .ctx_id = ctx };
	struct drm_amdgpu_glue_queue_destroy qd = { .ctx_id = ctx, .queue_id = 99 };
	struct drm_amdgpu_glue_queue_wait qw = { .ctx_id = ctx, .queue_id = 99 };
	struct drm_amdgpu_glue_ctx_stats s;
	struct queue qs[DRM_AMDGPU_GLUE_MAX_QUEUES] = {};
	void *m;
	int i, r = FAIL;

	CHECK(ctx);
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_CTX_CREATE, &c) == -EINVAL);
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_CTX_DESTROY, &d) == -ENOENT);
	d.ctx_id = ctx;
	d.pad = 1;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_CTX_DESTROY, &d) == -EINVAL);
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_SET_XNACK, &x) == -EINVAL);
	x.ctx_id = 0x7777;
	x.enable = 0;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_SET_XNACK, &x) == -ENOENT);
	CHECK(debug(ctx, 0) == -EINVAL && debug(ctx, 6) == -EINVAL);
	CHECK(debug(0x7777, DRM_AMDGPU_GLUE_DEBUG_EVICT) == -ENOENT);
	/* Queues */
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_QUEUE_CREATE, &qc) == -EINVAL);
	qc.ring_pages = DRM_AMDGPU_GLUE_QUEUE_MAX_RING_PAGES + 1;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_QUEUE_CREATE, &qc) == -EINVAL);
	qc.ring_pages = 1;
	qc.mmap_offset = 1;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_QUEUE_CREATE, &qc) == -EINVAL);
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_QUEUE_DESTROY, &qd) == -ENOENT);
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_QUEUE_WAIT, &qw) == -ENOENT);
	CHECK(!stats(ctx, &s) && s.queues == 0);
	for (i = 0; i < DRM_AMDGPU_GLUE_MAX_QUEUES; i++)
		CHECK(!queue_create(ctx, 1, &qs[i]));
	qc.mmap_offset = 0;
	CHECK(xioctl(DRM_IOCTL_AMDGPU_GLUE_QUEUE_CREATE, &qc) == -EBUSY);
	CHECK(!stats(ctx, &s) && s.queues == DRM_AMDGPU_GLUE_MAX_QUEUES);
	/* mmap: unknown key, private, wrong size */
	m = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd, 99ULL << 32);
	CHECK(m == MAP_FAILED && errno == EINVAL);
	m = mmap(NULL, qs[0].size, PROT_READ, MAP_PRIVATE, fd, qs[0].off);
	CHECK(m == MAP_FAILED && errno == EINVAL);
	m = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd, qs[0].off);
	CHECK(m == MAP_FAILED && errno == EINVAL);
	r = PASS;
out:
	for (i = 0; i < DRM_AMDGPU_GLUE_MAX_QUEUES; i++)
		queue_destroy(&qs[i]);
	ctx_destroy(ctx);
	return r;
}

/* Bad packets retire with -EINVAL and the queue goes on; a bad wptr stops it. */
static int test_bad_packets(void)
{
	size_t len = page_size;
	uint32_t ctx = ctx_create(DRM_AMDGPU_GLUE_CTX_XNACK);
	uint32_t *p = map_region(len);
	struct drm_amdgpu_glue_op o;
	struct queue q = {};
	uint64_t seq;
	int r = FAIL;

	CHECK(ctx && p);
	fill(p, len / 4, 19);
	CHECK(!queue_create(ctx, 1, &q));
	o = op(DRM_AMDGPU_GLUE_OP_ADD, 1, p, len);
	/* Corrupted before wptr publishes them */
	queue_submit_raw(&q, &o, 1, 0);
	queue_submit_raw(&q, &o, 1, DRM_AMDGPU_GLUE_PACKET_OPS + 1);
	o = op(DRM_AMDGPU_GLUE_OP_ADD, 1, (char *)p + 2, 4);
	seq = queue_submit(&q, &o, 1);
	o = op(DRM_AMDGPU_GLUE_OP_ADD, 1, p, len);
	seq = queue_submit(&q, &o, 1);
	CHECK(!queue_wait(&q, seq, LONG_NS));
	CHECK(q.ctl->errors == 3);
	CHECK(q.ring[0].status == -EINVAL && q.ring[1].status == -EINVAL);
	CHECK(q.ring[2].status == -EINVAL && q.ring[3].status == 0);
	CHECK(check(p, len / 4, 19, 1) < 0);
	/* A write pointer more than a ring ahead: the queue stops */
	__atomic_store_n(&q.ctl->wptr, seq + q.npk + 1, __ATOMIC_RELEASE);
	CHECK(queue_wait(&q, seq + 1, LONG_NS) == -EINVAL);
	CHECK(q.ctl->error == -EINVAL && queue_done(&q) == seq);
	CHECK(check(p, len / 4, 19, 1) < 0);
	r = PASS;
out:
	queue_destroy(&q);
	unmap_region(p, len);
	ctx_destroy(ctx);
	return r;
}

static const struct tap_test tests[] = {
	{ "attr_defaults", test_attr_defaults },
	{ "evict_stops_gpu", test_evict_stops_gpu },
	{ "attr_set_get_split", test_attr_set_get_split },
	{ "attr_survive_munmap", test_attr_survive_munmap },
	{ "set_xnack", test_set_xnack },
	{ "xnack_on_faults", test_xnack_on_faults },
	{ "xnack_on_queue", test_xnack_on_queue },
	{ "gpu_ro_and_accessible", test_gpu_ro_and_accessible },
	{ "attr_pieces_one_bind", test_attr_pieces_one_bind },
	{ "prefetch_loc", test_prefetch_loc },
	{ "stale_retry_fault", test_stale_retry_fault },
	{ "reclaim_waiter", test_reclaim_waiter },
	{ "xnack_off_fatal", test_xnack_off_fatal },
	{ "xnack_off_eager_map", test_xnack_off_eager_map },
	{ "xnack_off_evict_restore", test_xnack_off_evict_restore },
	{ "xnack_off_job_parks", test_xnack_off_job_parks },
	{ "evict_fence_waiter", test_evict_fence_waiter },
	{ "vram_pressure_evict", test_vram_pressure_evict },
	{ "bad_svm", test_bad_svm },
	{ "bad_exec_wait", test_bad_exec_wait },
	{ "bad_ctx_queue", test_bad_ctx_queue },
	{ "bad_packets", test_bad_packets },
};

/* Open the first amdgpu_glue render node; count them. */
static int setup(void)
{
	int i, n;

	for (i = 0; i < 64; i++) {
		char node[32], name[64] = "";
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };
		int f;

		snprintf(node, sizeof(node), "/dev/dri/renderD%d", 128 + i);
		f = open(node, O_RDWR | O_CLOEXEC);
		if (f < 0)
			continue;
		if (ioctl(f, DRM_IOCTL_VERSION, &v) || strcmp(name, "amdgpu_glue")) {
			close(f);
			continue;
		}
		if (fd < 0) {
			fd = f;
			dev_index = ndevs;
		} else {
			close(f);
		}
		ndevs++;
	}
	if (fd < 0) {
		printf("Bail out! no amdgpu_glue render node\n");
		return 1;
	}
	n = debug(0, DRM_AMDGPU_GLUE_DEBUG_HOLD_FAULTS);
	if (n == -EPERM) {
		printf("Bail out! amdgpu_glue needs test_knobs=1\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), setup);
}
