// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * gpusvm-stress: the race suite of the reliability tests (R1, R2, R4, R9,
 * R12, R15). Each test races CPU threads, core-mm operations and processes
 * against GPU jobs and migrations on one backend (tools/gpusvm-glue.h) and
 * checks memory contents, not only return codes:
 *
 *   cpu_write_gpu_read  CPU writers vs GPU readers while a thread migrates
 *                       the buffer back and forth: every word the GPU sees
 *                       is one a writer wrote, no older than what the
 *                       writer had finished before the job, never going
 *                       backwards
 *   unmap_race          munmap/mmap, mremap, fork, madvise(DONTNEED),
 *                       mprotect and CPU rewrites vs GPU reads, stores and
 *                       prefetches: the GPU never sees data from before a
 *                       completed change, another page, or a fork child
 *   one_page_threads    many CPU threads fault one device page at once
 *                       (migrate_to_ram races), with GPU atomics on it
 *   shared_memfd        two processes share a MAP_SHARED memfd, each with
 *                       its own VM, and see each other's GPU stores
 *   exit_inflight       processes exit, close their file or are killed
 *                       with jobs and migrations in flight; nothing of
 *                       them reaches memory after close, VRAM comes back
 *   multi_device        two devices on one mm fault and prefetch the same
 *                       pages at once, each adding to its own words: no
 *                       update is lost, no livelock
 *
 * The core's fail_seqno knob (debugfs drm_gpusvm/fail_seqno) forces seqno
 * collisions on a fraction of get_pages calls during the whole run (R4).
 *
 * Options: -b BACKEND (xe, mirror), -B BACKEND for the second device of
 * multi_device (default: the same), -i ITERATIONS per test, -t SECONDS
 * per test (whichever comes first), -q PERCENT for fail_seqno (0: leave it
 * off), -s SEED, -x MASK (unmap_race leaves out mutator operation N for
 * bit N: 0 fill, 1 dontneed, 2 munmap, 3 mremap, 4 fork, 5 mprotect,
 * 6 CPU check; bit 7 GPU prefetches, bit 8 GPU stores). Prints TAP 13, the counts as "# count:" lines, exits 1 on
 * any failure.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gpusvm-glue.h"
#include "tap.h"

/* Options. */
static const struct backend *be, *be2;
static unsigned long opt_iters = 40;
static double opt_seconds = 20;
static int opt_seqno = 10;
/* unmap_race: bits of what not to do, to narrow a failure down (-x). */
static unsigned int opt_skip;
#define UR_SKIP_PREFETCH	(1u << 7)
#define UR_SKIP_STORE		(1u << 8)
static unsigned int opt_seed;
/* Race iterations done, over all tests. */
static unsigned long total_iters;

#define SEQNO_DIR	"/sys/kernel/debug/drm_gpusvm/fail_seqno"

/* Report a value that is not the one wanted; for CHECK_EQ. */
static int eq_or_say(long long got, long long want, const char *expr,
		     const char *fn, int line)
{
	if (got == want)
		return 1;
	printf("# %s:%d: %s is %lld, not %lld\n", fn, line, expr, got, want);
	return 0;
}

#define CHECK_EQ(got, want) do {					\
	if (!eq_or_say((got), (want), #got, __func__, __LINE__))	\
		goto out;						\
} while (0)

/* Open a device unit; a missing one skips the test. */
#define OPEN_OR_SKIP(g, be, unit) do {					\
	int e__ = gpu_open((g), (be), (unit));				\
	if (e__ == -ENODEV || e__ == -ENOENT) {				\
		snprintf(skip_reason, sizeof(skip_reason),		\
			 "no %s unit %d", (be)->name, (unit));		\
		ret = SKIP;						\
		goto out;						\
	}								\
	CHECK_EQ(e__, 0);						\
} while (0)

/* A loop bound: iterations and seconds, whichever ends first. */
struct bound {
	unsigned long iters;
	unsigned long done;
	double end;
};

static void bound_init(struct bound *b, unsigned long iters)
{
	b->iters = iters;
	b->done = 0;
	b->end = now_s() + opt_seconds;
}

static int bound_next(struct bound *b)
{
	if (b->done >= b->iters || now_s() > b->end)
		return 0;
	b->done++;
	return 1;
}

static void bound_report(const char *what, const struct bound *b)
{
	printf("# %s: %lu iterations%s\n", what, b->done,
	       b->done < b->iters ? " (time bound)" : "");
	total_iters += b->done;
}

static void xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
}

static uint64_t rnd(uint64_t *s, uint64_t n)
{
	xorshift(s);
	return n ? *s % n : 0;
}

/*
 * What a placement racing others may answer besides 0: -EBUSY, the core
 * gave up a race for now (R3, R16); on the mirror, -ENOENT, a page it
 * could not read back after the move (another device's memory, or taken
 * back by the CPU meanwhile), as test_hmm answers.
 */
static int place_ok(const struct backend *b, int st)
{
	return !st || st == -EBUSY || (b->page_ops && st == -ENOENT);
}

/* Job statuses a race may give: unmapped or read-only at the time. */
static int race_status_ok(int st)
{
	return st == 0 || st == -EFAULT || st == -EPERM;
}

/*
 * cpu_write_gpu_read: word w holds (w << 16) | gen; writer w % NWRITERS
 * sweeps its words with gen 1, 2, ... and publishes each finished sweep.
 */
#define CW_WORDS	(64 * 1024)
#define CW_NWRITERS	2
#define CW_MAXGEN	0xffff

struct cw {
	uint32_t *buf;
	int stop;
	unsigned int done_gen[CW_NWRITERS];
	unsigned long migrations;
	int migrate_err;
	struct gpu *g;
};

struct cw_writer {
	struct cw *cw;
	unsigned int t;
};

static void *cw_writer_fn(void *arg)
{
	struct cw_writer *w = arg;
	struct cw *cw = w->cw;
	unsigned int gen, i;

	for (gen = 1; gen <= CW_MAXGEN; gen++) {
		if (__atomic_load_n(&cw->stop, __ATOMIC_RELAXED))
			break;
		for (i = w->t; i < CW_WORDS; i += CW_NWRITERS)
			__atomic_store_n(&cw->buf[i], (i << 16) | gen,
					 __ATOMIC_RELAXED);
		__atomic_store_n(&cw->done_gen[w->t], gen, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Moves the buffer, or a random part of it, between VRAM and RAM. */
static void *cw_migrator_fn(void *arg)
{
	struct cw *cw = arg;
	uint64_t seed = opt_seed | 1;
	size_t pages = CW_WORDS * 4 / page_size;

	while (!__atomic_load_n(&cw->stop, __ATOMIC_RELAXED)) {
		size_t first = rnd(&seed, pages), n = 1 + rnd(&seed, pages - first);
		int ret = cw->g->be->prefetch(cw->g, (char *)cw->buf +
					      first * page_size,
					      n * page_size, rnd(&seed, 3) != 0);

		if (!place_ok(cw->g->be, ret) && !cw->migrate_err)
			cw->migrate_err = ret;
		cw->migrations++;
		usleep(rnd(&seed, 2000));
	}
	return NULL;
}

/* Check a snapshot against what the writers had done before and after. */
static int cw_check(const uint32_t *snap, uint32_t *seen,
		    const unsigned int *before, const unsigned int *after)
{
	size_t i;

	for (i = 0; i < CW_WORDS; i++) {
		unsigned int t = i % CW_NWRITERS, gen = snap[i] & 0xffff;

		if (snap[i] >> 16 != i || gen < before[t] ||
		    gen > after[t] + 1 || gen < seen[i]) {
			printf("# word %zu: 0x%08x; writer had finished gen %u before the job, %u after; the GPU saw gen %u before\n",
			       i, snap[i], before[t], after[t], seen[i]);
			return 0;
		}
		seen[i] = gen;
	}
	return 1;
}

static int test_cpu_write_gpu_read(void)
{
	size_t size = CW_WORDS * 4, i;
	uint32_t *snap = map_region(size), *seen = calloc(CW_WORDS, 4);
	struct cw cw = { .buf = map_region(size) };
	struct cw_writer w[CW_NWRITERS];
	pthread_t tw[CW_NWRITERS], tm;
	unsigned int before[CW_NWRITERS], after[CW_NWRITERS], t;
	int ret = FAIL, started = 0, st;
	struct gpu g = { .fd = -1 };
	struct bound b;

	CHECK(snap && seen && cw.buf);
	OPEN_OR_SKIP(&g, be, 0);
	cw.g = &g;
	for (i = 0; i < CW_WORDS; i++)
		cw.buf[i] = i << 16;
	for (t = 0; t < CW_NWRITERS; t++) {
		w[t] = (struct cw_writer){ .cw = &cw, .t = t };
		CHECK(!pthread_create(&tw[t], NULL, cw_writer_fn, &w[t]));
		started++;
	}
	CHECK(!pthread_create(&tm, NULL, cw_migrator_fn, &cw));
	started++;

	bound_init(&b, opt_iters);
	while (bound_next(&b)) {
		for (t = 0; t < CW_NWRITERS; t++)
			before[t] = __atomic_load_n(&cw.done_gen[t],
						    __ATOMIC_ACQUIRE);
		st = gpu_run1(&g, GOP_COPY, 0, snap, cw.buf, size, NULL);
		for (t = 0; t < CW_NWRITERS; t++)
			after[t] = __atomic_load_n(&cw.done_gen[t],
						   __ATOMIC_ACQUIRE);
		CHECK_EQ(st, 0);
		CHECK(cw_check(snap, seen, before, after));
	}
	__atomic_store_n(&cw.stop, 1, __ATOMIC_RELAXED);
	for (t = 0; t < CW_NWRITERS; t++)
		pthread_join(tw[t], NULL);
	pthread_join(tm, NULL);
	started = 0;
	bound_report("cpu_write_gpu_read snapshots", &b);
	printf("# %lu migrations, writers at gen %u/%u\n", cw.migrations,
	       cw.done_gen[0], cw.done_gen[1]);
	CHECK_EQ(cw.migrate_err, 0);

	/* Quiet now: the GPU sees exactly the final words. */
	CHECK_EQ(gpu_run1(&g, GOP_COPY, 0, snap, cw.buf, size, NULL), 0);
	for (i = 0; i < CW_WORDS; i++)
		CHECK_EQ(snap[i], cw.buf[i]);
	ret = PASS;
out:
	if (started) {
		__atomic_store_n(&cw.stop, 1, __ATOMIC_RELAXED);
		for (t = 0; t < CW_NWRITERS && (int)t < started; t++)
			pthread_join(tw[t], NULL);
		if (started > CW_NWRITERS)
			pthread_join(tm, NULL);
	}
	gpu_close(&g);
	unmap_region(snap, size);
	unmap_region(cw.buf, size);
	free(seen);
	return ret;
}

/*
 * unmap_race: every word of page p of the work area is 0 or
 * (p << 20) | v, v from one version counter. What a completed change
 * guarantees is kept per page: @floor, the version below which no data may
 * be seen any more; @zero_ok, whether the page may read as zero; @zero_gen,
 * bumped when a change that zeroes the page starts. CPU rewrites, zeroing
 * and unmapping (the mutator) and GPU stores take @lock; reads, prefetch,
 * fork and mprotect race with everything.
 */
#define UR_PAGES	256
#define UR_CHILD	0xfffffu

struct ur {
	char *base;		/* work area, UR_PAGES pages */
	char *alt;		/* where mremap moves it for a while */
	pthread_mutex_t lock;
	uint32_t version;
	uint32_t floor[UR_PAGES];
	uint32_t zero_ok[UR_PAGES];
	uint32_t zero_gen[UR_PAGES];
	int stop;
	int err;
	unsigned long ops[8];
};

static uint32_t ur_tag(size_t p, uint32_t v)
{
	return (uint32_t)p << 20 | v;
}

static uint32_t ur_next(struct ur *u)
{
	return __atomic_add_fetch(&u->version, 1, __ATOMIC_SEQ_CST);
}

static void ur_set(uint32_t *a, size_t p, uint32_t v)
{
	__atomic_store_n(&a[p], v, __ATOMIC_SEQ_CST);
}

static uint32_t ur_get(const uint32_t *a, size_t p)
{
	return __atomic_load_n(&a[p], __ATOMIC_SEQ_CST);
}

/* CPU check of pages [p0, p0 + n) under the lock: R2, no stale data. */
static int ur_cpu_check(struct ur *u, size_t p0, size_t n)
{
	size_t wpp = page_size / 4, p, i;

	for (p = p0; p < p0 + n; p++) {
		const uint32_t *w = (uint32_t *)(u->base + p * page_size);

		for (i = 0; i < wpp; i++) {
			uint32_t x = w[i], v = x & UR_CHILD;

			if (x ? (x >> 20 != p || v < ur_get(u->floor, p) ||
				 v == UR_CHILD) : !ur_get(u->zero_ok, p)) {
				printf("# CPU: page %zu word %zu: 0x%08x (floor %u, zero %s)\n",
				       p, i, x, ur_get(u->floor, p),
				       ur_get(u->zero_ok, p) ? "ok" : "not ok");
				return 0;
			}
		}
	}
	return 1;
}

static void ur_fill(struct ur *u, size_t p0, size_t n)
{
	uint32_t v = ur_next(u);
	size_t wpp = page_size / 4, p, i;

	for (p = p0; p < p0 + n; p++) {
		uint32_t *w = (uint32_t *)(u->base + p * page_size);

		for (i = 0; i < wpp; i++)
			w[i] = ur_tag(p, v);
		ur_set(u->floor, p, v);
		ur_set(u->zero_ok, p, 0);
	}
}

/*
 * The pages become zero: say so before (zero_gen, zero_ok: a read that
 * starts while the zeroing runs may see it) and after (floor).
 */
static void ur_zero_begin(struct ur *u, size_t p0, size_t n)
{
	size_t p;

	for (p = p0; p < p0 + n; p++) {
		__atomic_add_fetch(&u->zero_gen[p], 1, __ATOMIC_SEQ_CST);
		ur_set(u->zero_ok, p, 1);
	}
}

static void ur_zero_end(struct ur *u, size_t p0, size_t n)
{
	uint32_t v = ur_next(u);
	size_t p;

	for (p = p0; p < p0 + n; p++) {
		ur_set(u->floor, p, v);
		ur_set(u->zero_ok, p, 1);
	}
}

static int ur_fork(struct ur *u, size_t p0, size_t n, uint64_t *seed)
{
	size_t k = rnd(seed, n);
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		/* The child's writes stay the child's: COW. */
		uint32_t *w = (uint32_t *)(u->base + (p0 + k) * page_size);
		size_t i;

		for (i = 0; i < page_size / 4; i += 7)
			w[i] = ur_tag(p0 + k, UR_CHILD);
		_exit(0);
	}
	return wait_child(pid) ? -ECHILD : 0;
}

/* One change by the mutator; returns 0 or -errno. */
static int ur_mutate(struct ur *u, uint64_t *seed)
{
	size_t p0 = rnd(seed, UR_PAGES), n = 1 + rnd(seed, UR_PAGES - p0);
	char *s = u->base + p0 * page_size, *a = u->alt + p0 * page_size;
	size_t len = n * page_size;
	unsigned int op = rnd(seed, 7);
	int ret = 0;

	if (opt_skip & (1u << op))
		return 0;
	u->ops[op]++;
	if (op == 4)
		return ur_fork(u, p0, n, seed);
	if (op == 5) {
		/* Read-only for a moment: GPU stores get -EPERM, reads work */
		if (mprotect(s, len, PROT_READ))
			return -errno;
		usleep(rnd(seed, 3000));
		return mprotect(s, len, PROT_READ | PROT_WRITE) ? -errno : 0;
	}
	pthread_mutex_lock(&u->lock);
	switch (op) {
	case 0:
		ur_fill(u, p0, n);
		break;
	case 1:
		ur_zero_begin(u, p0, n);
		if (madvise(s, len, MADV_DONTNEED))
			ret = -errno;
		ur_zero_end(u, p0, n);
		break;
	case 2:
		ur_zero_begin(u, p0, n);
		if (munmap(s, len) ||
		    mmap(s, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != s)
			ret = -errno;
		ur_zero_end(u, p0, n);
		break;
	case 3:
		/* Away and back: the contents travel with the pages */
		if (mremap(s, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, a) != a ||
		    (usleep(rnd(seed, 2000)),
		     mremap(a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, s) != s))
			ret = -errno;
		/* Keep the alternative area reserved */
		else if (mmap(a, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			      MAP_FIXED_NOREPLACE, -1, 0) != a)
			ret = -errno;
		break;
	default:
		if (!ur_cpu_check(u, p0, n))
			ret = -EILSEQ;
		break;
	}
	pthread_mutex_unlock(&u->lock);
	return ret;
}

static void *ur_mutator_fn(void *arg)
{
	struct ur *u = arg;
	uint64_t seed = opt_seed * 7919ULL + 3;
	int ret;

	while (!__atomic_load_n(&u->stop, __ATOMIC_RELAXED)) {
		ret = ur_mutate(u, &seed);
		if (ret) {
			printf("# mutator: %s\n", strerror(-ret));
			u->err = ret;
			break;
		}
		usleep(rnd(&seed, 1000));
	}
	return NULL;
}

/* After a bad word: which side was wrong, the GPU read or its write? */
static void ur_explain(struct ur *u, struct gpu *g, uint32_t *snap, size_t p0,
		       size_t p, size_t i)
{
	size_t wpp = page_size / 4, k, zero = 0;
	uint32_t *src = (uint32_t *)(u->base + p * page_size);
	uint32_t *dst = snap + (p - p0) * wpp, again;
	uint64_t sum = 0;

	for (k = 0; k < wpp; k++)
		zero += !dst[k];
	printf("# the CPU sees 0x%08x there now; %zu of %zu words of that snapshot page are zero\n",
	       src[i], zero, wpp);
	if (!gpu_run1(g, GOP_LOAD, 0, g->be->page_ops ? src : src + i, NULL,
		      g->be->page_ops ? page_size : 4, &sum))
		printf("# a GPU load now sums %s 0x%llx\n",
		       g->be->page_ops ? "the page to" : "the word to",
		       (unsigned long long)sum);
	again = dst[i];
	if (!gpu_run1(g, GOP_COPY, 0, dst, src, page_size, NULL))
		printf("# copied again: snapshot word 0x%08x (was 0x%08x)\n",
		       dst[i], again);
}

/* A GPU snapshot of [p0, p0 + n) against what was known before and after. */
static int ur_gpu_read(struct ur *u, struct gpu *g, uint32_t *snap,
		       size_t p0, size_t n)
{
	uint32_t floor0[UR_PAGES], zok0[UR_PAGES], zg0[UR_PAGES], vmax;
	size_t wpp = page_size / 4, p, i;
	int st;

	for (p = p0; p < p0 + n; p++) {
		zg0[p] = ur_get(u->zero_gen, p);
		zok0[p] = ur_get(u->zero_ok, p);
		floor0[p] = ur_get(u->floor, p);
	}
	memset(snap, 0, n * page_size);
	st = gpu_run1(g, GOP_COPY, 0, snap, u->base + p0 * page_size,
		      n * page_size, NULL);
	if (!race_status_ok(st))
		return st;
	vmax = ur_get(&u->version, 0);
	for (p = p0; p < p0 + n; p++) {
		int zero_ok = zok0[p] || ur_get(u->zero_gen, p) != zg0[p] || st;

		for (i = 0; i < wpp; i++) {
			uint32_t x = snap[(p - p0) * wpp + i], v = x & UR_CHILD;

			if (x ? (x >> 20 == p && v >= floor0[p] && v <= vmax &&
				 v != UR_CHILD) : zero_ok)
				continue;
			printf("# GPU: page %zu word %zu: 0x%08x (floor %u, max %u, zero %s, job %d)\n",
			       p, i, x, floor0[p], vmax,
			       zero_ok ? "ok" : "not ok", st);
			ur_explain(u, g, snap, p0, p, i);
			return -EILSEQ;
		}
	}
	return 0;
}

/* GPU stores of a new version, one op per page; under the lock. */
static int ur_gpu_store(struct ur *u, struct gpu *g, size_t p0, size_t n)
{
	struct gop ops[UR_PAGES];
	uint32_t v;
	size_t p;
	int st;

	pthread_mutex_lock(&u->lock);
	v = ur_next(u);
	for (p = p0; p < p0 + n; p++)
		ops[p - p0] = (struct gop){
			.code = GOP_STORE, .value = ur_tag(p, v),
			.va = u->base + p * page_size, .len = page_size,
		};
	st = gpu_run(g, ops, n, NULL);
	for (p = p0; !st && p < p0 + n; p++) {
		ur_set(u->floor, p, v);
		ur_set(u->zero_ok, p, 0);
	}
	pthread_mutex_unlock(&u->lock);
	return race_status_ok(st) ? 0 : st;
}

static int test_unmap_race(void)
{
	size_t size = UR_PAGES * page_size, i;
	char *res = mmap(NULL, 4 * size, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ur *u = calloc(1, sizeof(*u));
	uint32_t *snap = map_region(size), *w;
	struct gpu g = { .fd = -1 };
	int ret = FAIL, started = 0, st;
	uint64_t seed = opt_seed + 17;
	struct bound b;
	pthread_t t;

	CHECK(res != MAP_FAILED && u && snap);
	u->base = res + size;
	u->alt = res + 2 * size;
	pthread_mutex_init(&u->lock, NULL);
	CHECK(!mprotect(u->base, size, PROT_READ | PROT_WRITE));
	OPEN_OR_SKIP(&g, be, 0);
	ur_fill(u, 0, UR_PAGES);
	CHECK(!pthread_create(&t, NULL, ur_mutator_fn, u));
	started = 1;
	bound_init(&b, opt_iters * 4);
	while (bound_next(&b) && !u->err) {
		size_t p0 = rnd(&seed, UR_PAGES), n = 1 + rnd(&seed, UR_PAGES - p0);

		switch (rnd(&seed, 4)) {
		case 0:
		case 1:
			st = ur_gpu_read(u, &g, snap, p0, n);
			break;
		case 2:
			st = opt_skip & UR_SKIP_STORE ? 0 :
			     ur_gpu_store(u, &g, p0, n);
			break;
		default:
			if (opt_skip & UR_SKIP_PREFETCH) {
				st = 0;
				break;
			}
			st = be->prefetch(&g, u->base + p0 * page_size,
					  n * page_size, rnd(&seed, 2));
			/* Unmapped at the time: test_hmm's MIGRATE says -EINVAL */
			if (st == -EFAULT || place_ok(be, st) ||
			    (be->page_ops && st == -EINVAL))
				st = 0;
			break;
		}
		CHECK_EQ(st, 0);
	}
	__atomic_store_n(&u->stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	started = 0;
	bound_report("unmap_race GPU operations", &b);
	printf("# mutator: %lu fill, %lu dontneed, %lu munmap, %lu mremap, %lu fork, %lu mprotect, %lu CPU checks\n",
	       u->ops[0], u->ops[1], u->ops[2], u->ops[3], u->ops[4],
	       u->ops[5], u->ops[6]);
	CHECK_EQ(u->err, 0);

	/* Quiet: a CPU fill reads back exactly through the GPU, and back. */
	ur_fill(u, 0, UR_PAGES);
	CHECK_EQ(gpu_run1(&g, GOP_COPY, 0, snap, u->base, size, NULL), 0);
	CHECK(!memcmp(snap, u->base, size));
	CHECK_EQ(gpu_run1(&g, GOP_STORE, 0x5eed, u->base, NULL, size, NULL), 0);
	w = (uint32_t *)u->base;
	for (i = 0; i < size / 4; i++)
		CHECK_EQ(w[i], 0x5eed);
	ret = PASS;
out:
	if (started) {
		__atomic_store_n(&u->stop, 1, __ATOMIC_RELAXED);
		pthread_join(t, NULL);
	}
	gpu_close(&g);
	if (res != MAP_FAILED)
		munmap(res, 4 * size);
	unmap_region(snap, size);
	free(u);
	return ret;
}

/*
 * one_page_threads: the page goes to VRAM, then every thread faults it at
 * once with atomic adds (and the GPU adds atomically where it can).
 */
#define OP_THREADS	6
#define OP_ADDS		8

struct op_shared {
	uint32_t *w;
	pthread_barrier_t start, end;
	int stop;
};

struct op_thread {
	struct op_shared *s;
	unsigned int t;
};

static void *op_thread_fn(void *arg)
{
	struct op_thread *ot = arg;
	struct op_shared *s = ot->s;
	unsigned int k;

	for (;;) {
		pthread_barrier_wait(&s->start);
		if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
			return NULL;
		for (k = 0; k < OP_ADDS; k++) {
			__atomic_add_fetch(&s->w[0], 1, __ATOMIC_SEQ_CST);
			s->w[16 + ot->t]++;
		}
		pthread_barrier_wait(&s->end);
	}
}

static int test_one_page_threads(void)
{
	struct op_shared s = { .w = map_region(page_size) };
	struct op_thread ot[OP_THREADS];
	pthread_t th[OP_THREADS];
	struct gpu g = { .fd = -1 };
	unsigned int t, nthreads = 0, gpu_adds = 0;
	int ret = FAIL, barriers = 0, st;
	uint64_t job = 0;
	struct bound b;

	CHECK(s.w);
	OPEN_OR_SKIP(&g, be, 0);
	CHECK(!pthread_barrier_init(&s.start, NULL, OP_THREADS + 1));
	CHECK(!pthread_barrier_init(&s.end, NULL, OP_THREADS + 1));
	barriers = 1;
	for (t = 0; t < OP_THREADS; t++) {
		ot[t] = (struct op_thread){ .s = &s, .t = t };
		CHECK(!pthread_create(&th[t], NULL, op_thread_fn, &ot[t]));
		nthreads++;
	}

	bound_init(&b, opt_iters);
	while (bound_next(&b)) {
		st = be->prefetch(&g, s.w, page_size, 1);
		CHECK(place_ok(be, st));
		if (be->has_atomic) {
			struct gop o = {
				.code = GOP_ATOMIC_ADD, .value = 1, .va = s.w,
				.len = 4,
			};

			CHECK_EQ(be->submit(&g, &o, 1, &job), 0);
		}
		pthread_barrier_wait(&s.start);
		pthread_barrier_wait(&s.end);
		if (be->has_atomic) {
			CHECK_EQ(be->wait(&g, job, GLUE_WAIT_NS, &st, NULL), 0);
			CHECK_EQ(st, 0);
			gpu_adds++;
		}
		CHECK_EQ(s.w[0], b.done * OP_THREADS * OP_ADDS + gpu_adds);
		for (t = 0; t < OP_THREADS; t++)
			CHECK_EQ(s.w[16 + t], b.done * OP_ADDS);
	}
	bound_report("one_page_threads rounds", &b);
	ret = PASS;
out:
	if (nthreads) {
		__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
		if (nthreads == OP_THREADS) {
			pthread_barrier_wait(&s.start);
			for (t = 0; t < nthreads; t++)
				pthread_join(th[t], NULL);
		} else {
			for (t = 0; t < nthreads; t++)
				pthread_cancel(th[t]);
		}
	}
	if (barriers) {
		pthread_barrier_destroy(&s.start);
		pthread_barrier_destroy(&s.end);
	}
	gpu_close(&g);
	unmap_region(s.w, page_size);
	return ret;
}

/*
 * shared_memfd: parent and child map one memfd MAP_SHARED, each with its
 * own VM. In turn, one GPU-stores its half and the other checks it by CPU
 * and by its own GPU; both try to move the pages to VRAM now and then
 * (shared file pages stay in system memory, R3).
 */
#define SM_SIZE		(1UL << 20)

static uint32_t sm_value(unsigned long r, int half)
{
	return (uint32_t)r << 8 | 0xa0 | half;
}

/* Check half @half holds round @r's value by CPU and by this GPU. */
static int sm_check(struct gpu *g, uint32_t *m, uint32_t *priv,
		    unsigned long r, int half)
{
	size_t n = SM_SIZE / 8, i;
	uint32_t *h = m + half * n;

	for (i = 0; i < n; i++)
		if (h[i] != sm_value(r, half)) {
			printf("# round %lu half %d word %zu: CPU sees 0x%08x\n",
			       r, half, i, h[i]);
			return 0;
		}
	if (gpu_run1(g, GOP_COPY, 0, priv, h, SM_SIZE / 2, NULL))
		return 0;
	for (i = 0; i < n; i++)
		if (priv[i] != sm_value(r, half)) {
			printf("# round %lu half %d word %zu: GPU sees 0x%08x\n",
			       r, half, i, priv[i]);
			return 0;
		}
	return 1;
}

/* One side's turn: check the other half, maybe prefetch, store ours. */
static int sm_turn(struct gpu *g, uint32_t *m, uint32_t *priv,
		   unsigned long r, int half)
{
	int st;

	if (r > 1 || half == 1)
		if (!sm_check(g, m, priv, half ? r : r - 1, !half))
			return -EILSEQ;
	if ((r + half) % 3 == 0) {
		st = g->be->prefetch(g, m, SM_SIZE, 1);
		if (!place_ok(g->be, st))
			return st;
	}
	return gpu_run1(g, GOP_STORE, sm_value(r, half), m + half * SM_SIZE / 8,
			NULL, SM_SIZE / 2, NULL);
}

static int sm_child(int unit, uint32_t *m, int in, int out)
{
	uint32_t *priv = map_region(SM_SIZE / 2);
	struct gpu g;
	unsigned long r;
	int ret;

	if (!priv || gpu_open(&g, be, unit))
		return 2;
	while (read(in, &r, sizeof(r)) == sizeof(r) && r) {
		ret = sm_turn(&g, m, priv, r, 1);
		if (ret) {
			printf("# child round %lu: %s\n", r, strerror(-ret));
			return 1;
		}
		if (write(out, &r, sizeof(r)) != sizeof(r))
			return 3;
	}
	gpu_close(&g);
	return 0;
}

static int test_shared_memfd(void)
{
	int fd = memfd_create("gpusvm-stress", MFD_CLOEXEC), ret = FAIL;
	uint32_t *m = MAP_FAILED, *priv = map_region(SM_SIZE / 2);
	int to_child[2] = { -1, -1 }, to_parent[2] = { -1, -1 };
	struct gpu g = { .fd = -1 };
	unsigned long r, zero = 0;
	pid_t pid = -1;
	struct bound b;

	CHECK(fd >= 0 && priv);
	CHECK(!ftruncate(fd, SM_SIZE));
	m = mmap(NULL, SM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	CHECK(!pipe(to_child) && !pipe(to_parent));
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		close(to_child[1]);
		close(to_parent[0]);
		_exit(sm_child(0, m, to_child[0], to_parent[1]));
	}
	close(to_child[0]);
	close(to_parent[1]);
	to_child[0] = to_parent[1] = -1;
	OPEN_OR_SKIP(&g, be, 0);

	bound_init(&b, opt_iters);
	while (bound_next(&b)) {
		r = b.done;
		CHECK_EQ(sm_turn(&g, m, priv, r, 0), 0);
		CHECK(write(to_child[1], &r, sizeof(r)) == sizeof(r));
		CHECK(read(to_parent[0], &r, sizeof(r)) == sizeof(r));
	}
	if (b.done)
		CHECK(sm_check(&g, m, priv, b.done, 1));
	bound_report("shared_memfd rounds", &b);
	CHECK(write(to_child[1], &zero, sizeof(zero)) == sizeof(zero));
	ret = PASS;
out:
	if (to_child[1] >= 0)
		close(to_child[1]);
	if (pid > 0 && wait_child(pid))
		ret = FAIL;
	if (to_parent[0] >= 0)
		close(to_parent[0]);
	gpu_close(&g);
	if (m != MAP_FAILED)
		munmap(m, SM_SIZE);
	if (fd >= 0)
		close(fd);
	unmap_region(priv, SM_SIZE / 2);
	return ret;
}

/*
 * exit_inflight: children with jobs and migrations in flight exit, close
 * their file (after which no GPU write may land) or are killed. Then VRAM
 * comes back and the device still works.
 */
#define EI_SIZE		(8UL << 20)

struct ei_mover {
	struct gpu *g;
	char *p;
	int stop;
};

static void *ei_mover_fn(void *arg)
{
	struct ei_mover *m = arg;
	unsigned int i;

	for (i = 0; !__atomic_load_n(&m->stop, __ATOMIC_RELAXED); i++)
		m->g->be->prefetch(m->g, m->p + (i % 8) * (EI_SIZE / 8),
				   EI_SIZE / 8, i & 1);
	return NULL;
}

/* Submit jobs over @p without waiting for them (mirror: runs them). */
static void ei_submit(struct gpu *g, uint32_t *p, unsigned int njobs)
{
	unsigned int j;
	uint64_t job;

	for (j = 0; j < njobs; j++) {
		struct gop o[2] = {
			{ .code = GOP_STORE, .value = 0x5a5a5a5a, .va = p,
			  .len = EI_SIZE / 2 },
			{ .code = GOP_COPY, .va = p + EI_SIZE / 8,
			  .src = p, .len = EI_SIZE / 2 },
		};

		if (g->be->submit(g, o, g->be->async ? 2 : 1, &job))
			break;
	}
}

static int ei_child(int mode, int ready)
{
	uint32_t *p = map_region(EI_SIZE);
	struct ei_mover mv;
	struct gpu g;
	pthread_t t;
	size_t i;

	if (!p || gpu_open(&g, be, 0))
		return 2;
	for (i = 0; i < EI_SIZE / 4; i++)
		p[i] = i;
	mv = (struct ei_mover){ .g = &g, .p = (char *)p, .stop = 0 };
	if (pthread_create(&t, NULL, ei_mover_fn, &mv))
		return 2;
	if (g.be->async)
		ei_submit(&g, p, 4);
	if (write(ready, "r", 1) != 1)
		return 3;
	switch (mode) {
	case 0:
		_exit(0);
	case 1: {
		/* After close nothing of the VM may write our memory. */
		struct gpu g2;

		__atomic_store_n(&mv.stop, 1, __ATOMIC_RELAXED);
		pthread_join(t, NULL);
		gpu_close(&g);
		for (i = 0; i < EI_SIZE / 4; i++)
			p[i] = ~(uint32_t)i;
		usleep(100000);
		for (i = 0; i < EI_SIZE / 4; i++)
			if (p[i] != ~(uint32_t)i) {
				printf("# word %zu written after close: 0x%08x\n",
				       i, p[i]);
				return 1;
			}
		/* And a new VM of this process works. */
		if (gpu_open(&g2, be, 0) ||
		    gpu_run1(&g2, GOP_STORE, 7, p, NULL, page_size, NULL) ||
		    p[0] != 7)
			return 4;
		gpu_close(&g2);
		return 0;
	}
	default:
		for (;;)
			ei_submit(&g, p, 1);
	}
}

/* Wait for VRAM of unit 0 to be back at @base pages free. */
static int vram_back(long long base)
{
	double end = now_s() + 30;
	long long f = vram_free(0);

	while (f != base && now_s() < end) {
		usleep(100000);
		f = vram_free(0);
	}
	if (f != base)
		printf("# VRAM free pages: %lld, %lld before\n", f, base);
	return f == base;
}

static int test_exit_inflight(void)
{
	long long base = vram_free(0);
	uint32_t *p = map_region(page_size);
	struct gpu g = { .fd = -1 };
	uint64_t seed = opt_seed + 5;
	int ret = FAIL, pfd[2], st;
	unsigned long killed = 0;
	struct bound b;
	char c;

	CHECK(p);
	bound_init(&b, opt_iters / 4 + 3);
	while (bound_next(&b)) {
		int mode = b.done % 3;
		pid_t pid;

		CHECK(!pipe(pfd));
		fflush(stdout);
		pid = fork();
		CHECK(pid >= 0);
		if (!pid) {
			close(pfd[0]);
			_exit(ei_child(mode, pfd[1]));
		}
		close(pfd[1]);
		st = read(pfd[0], &c, 1);
		close(pfd[0]);
		if (mode == 2) {
			usleep(rnd(&seed, 50000));
			kill(pid, SIGKILL);
			killed++;
			waitpid(pid, &st, 0);
			CHECK(WIFSIGNALED(st) || (WIFEXITED(st) && !WEXITSTATUS(st)));
		} else {
			CHECK_EQ(wait_child(pid), 0);
		}
	}
	bound_report("exit_inflight children", &b);
	if (base >= 0)
		CHECK(vram_back(base));
	else
		printf("# no simgpu debugfs: VRAM not checked\n");
	OPEN_OR_SKIP(&g, be, 0);
	CHECK_EQ(gpu_run1(&g, GOP_STORE, 0x600d, p, NULL, page_size, NULL), 0);
	CHECK_EQ(p[7], 0x600d);
	ret = PASS;
out:
	gpu_close(&g);
	unmap_region(p, page_size);
	return ret;
}

/*
 * multi_device: two devices on this mm. Device d adds 1 per round to its
 * own words of every page (half d of each page; on page-granular backends
 * the pages p with p % 2 == d), and prefetches the whole buffer to itself
 * every other round, so both pull the same ranges at once (R15).
 */
#define MD_PAGES	256

struct md {
	struct gpu g[2];
	uint32_t *buf;
	unsigned long rounds[2];
	unsigned long busy[2];
	int err[2];
	struct bound b;
};

struct md_thread {
	struct md *md;
	int d;
};

static int md_round(struct md *md, int d, unsigned long r)
{
	struct gpu *g = &md->g[d];
	struct gop ops[MD_PAGES];
	unsigned int n = 0, p;
	int st;

	if ((r + d) % 2 == 0) {
		st = g->be->prefetch(g, md->buf, MD_PAGES * page_size, 1);
		if (st == -EBUSY || st == -ENOENT)
			md->busy[d]++;
		if (!place_ok(g->be, st))
			return st;
	}
	for (p = 0; p < MD_PAGES; p++) {
		char *pg = (char *)md->buf + p * page_size;

		if (g->be->page_ops && p % 2 != (unsigned int)d)
			continue;
		ops[n++] = (struct gop){
			.code = GOP_ADD, .value = 1,
			.va = g->be->page_ops ? pg : pg + d * page_size / 2,
			.len = g->be->page_ops ? page_size : page_size / 2,
		};
	}
	return gpu_run(g, ops, n, NULL);
}

static void *md_thread_fn(void *arg)
{
	struct md_thread *mt = arg;
	struct md *md = mt->md;
	int d = mt->d;

	while (md->rounds[d] < md->b.iters && now_s() < md->b.end) {
		md->err[d] = md_round(md, d, md->rounds[d]);
		if (md->err[d])
			break;
		md->rounds[d]++;
	}
	return NULL;
}

/* Which device owns word @i, and what it held at the start. */
static int md_owner(const struct backend *b, size_t i)
{
	size_t wpp = page_size / 4;

	return b->page_ops ? (i / wpp) % 2 : (i % wpp) >= wpp / 2;
}

static int test_multi_device(void)
{
	size_t n = MD_PAGES * page_size / 4, i;
	struct md md = { .g = { { .fd = -1 }, { .fd = -1 } } };
	struct md_thread mt[2] = { { &md, 0 }, { &md, 1 } };
	int unit2 = 1, ret = FAIL, d;
	pthread_t t[2];
	char peer[8] = "?";
	FILE *f;

	md.buf = map_region(MD_PAGES * page_size);
	CHECK(md.buf);
	f = fopen("/sys/module/simgpu/parameters/peer", "r");
	if (f) {
		if (!fgets(peer, sizeof(peer), f))
			peer[0] = '?';
		peer[strcspn(peer, "\n")] = 0;
		fclose(f);
	}
	OPEN_OR_SKIP(&md.g[0], be, 0);
	OPEN_OR_SKIP(&md.g[1], be2, unit2);
	if (be->page_ops != be2->page_ops) {
		snprintf(skip_reason, sizeof(skip_reason),
			 "%s and %s split pages differently", be->name,
			 be2->name);
		ret = SKIP;
		goto out;
	}
	printf("# %s + %s, simgpu peer=%s\n", md.g[0].node, md.g[1].node, peer);
	for (i = 0; i < n; i++)
		md.buf[i] = i * 3;
	bound_init(&md.b, opt_iters);
	for (d = 0; d < 2; d++)
		CHECK(!pthread_create(&t[d], NULL, md_thread_fn, &mt[d]));
	for (d = 0; d < 2; d++)
		pthread_join(t[d], NULL);
	printf("# multi_device: %lu + %lu rounds, %lu + %lu busy prefetches\n",
	       md.rounds[0], md.rounds[1], md.busy[0], md.busy[1]);
	total_iters += md.rounds[0] + md.rounds[1];
	CHECK_EQ(md.err[0], 0);
	CHECK_EQ(md.err[1], 0);
	CHECK(md.rounds[0] && md.rounds[1]);
	for (i = 0; i < n; i++)
		CHECK_EQ(md.buf[i], i * 3 + md.rounds[md_owner(be, i)]);
	ret = PASS;
out:
	gpu_close(&md.g[0]);
	gpu_close(&md.g[1]);
	unmap_region(md.buf, MD_PAGES * page_size);
	return ret;
}

static const struct tap_test tests[] = {
	{ "cpu_write_gpu_read", test_cpu_write_gpu_read },
	{ "unmap_race", test_unmap_race },
	{ "one_page_threads", test_one_page_threads },
	{ "shared_memfd", test_shared_memfd },
	{ "exit_inflight", test_exit_inflight },
	{ "multi_device", test_multi_device },
};

/* fail_seqno on for the run (R4), off again at exit. */
static int seqno_on;

static void seqno_set(int percent)
{
	char v[16];

	if (percent <= 0)
		return;
	snprintf(v, sizeof(v), "%d", percent);
	seqno_on = !file_put(SEQNO_DIR "/verbose", "0") &&
		   !file_put(SEQNO_DIR "/times", "-1") &&
		   !file_put(SEQNO_DIR "/probability", v);
	printf("# fail_seqno: %s\n", seqno_on ? v : "not available");
}

static void seqno_off(void)
{
	if (seqno_on)
		file_put(SEQNO_DIR "/probability", "0");
}

static int setup(void)
{
	char node[40];

	if (gpu_probe(be, node, sizeof(node)))
		return -1;
	printf("# backend %s (%s), second device %s, seed %u, %lu iterations or %.0f s per test\n",
	       be->name, node, be2->name, opt_seed, opt_iters, opt_seconds);
	seqno_set(opt_seqno);
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-b BACKEND] [-B BACKEND] [-i ITERS] [-t SECONDS] [-q SEQNO_PERCENT] [-s SEED] [-x UNMAP_RACE_SKIP_MASK] [TEST]...\n",
		prog);
}

int main(int argc, char **argv)
{
	int opt, ret;

	be = &xe_backend;
	opt_seed = time(NULL);
	while ((opt = getopt(argc, argv, "b:B:i:t:q:s:x:")) != -1) {
		switch (opt) {
		case 'b':
			be = backend_by_name(optarg);
			break;
		case 'B':
			be2 = backend_by_name(optarg);
			if (!be2)
				be = NULL;
			break;
		case 'i':
			opt_iters = strtoul(optarg, NULL, 0);
			break;
		case 't':
			opt_seconds = strtod(optarg, NULL);
			break;
		case 'q':
			opt_seqno = atoi(optarg);
			break;
		case 's':
			opt_seed = strtoul(optarg, NULL, 0);
			break;
		case 'x':
			opt_skip = strtoul(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (!be) {
		usage(argv[0]);
		return 2;
	}
	if (!be2)
		be2 = be;
	/* Large mallocs from the heap: mmap holes would race unmap_race */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	argv[optind - 1] = argv[0];
	ret = tap_main(argc - optind + 1, argv + optind - 1, tests,
		       ARRAY_SIZE(tests), setup);
	seqno_off();
	printf("# count: %lu race iterations\n", total_iters);
	return ret;
}
