// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * nouveau-glue-test: TAP tests of the nouveau_glue uAPI
 * (drivers/nouveau-glue/nouveau_glue_drm.h) on the first render node whose
 * driver is nouveau_glue: the fault buffer (batching and coalescing,
 * overflow and recovery, cancel of faults outside the SVM window), GPU
 * atomics on system memory through device-exclusive access alternating
 * with the CPU, migration and its copies through the device's kernel copy
 * channel, and bad input for every ioctl, which must
 * return the documented errno and change nothing (counters and memory are
 * compared before and after). Results are checked by content: what the
 * CPU reads after GPU work, what a GPU load sums up.
 *
 * Build it static with -Idrivers/nouveau-glue and a <drm/drm.h> from the
 * kernel's headers_install. The overflow test masks the fault buffer's
 * interrupt through debugfs (simgpu/<n>/faultbuf_irq_mask).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nouveau_glue_drm.h"
#include "tap.h"

#define DRIVER_NAME	"nouveau_glue"
#define USER_VA_END	(1ULL << 47)
#define WAIT_NS		(120LL * 1000000000LL)
#define MAX_NODES	64
#define MAX_JOBS	512

static char node_path[64];
/* The simgpu unit behind the node, for its debugfs directory. */
static int node_unit = -1;

#define CHECK_EQ(got, want) do {					\
	long long g__ = (long long)(got), w__ = (long long)(want);	\
	if (g__ != w__) {						\
		printf("# %s:%d: %s = %lld, want %lld\n",		\
		       __func__, __LINE__, #got, g__, w__);		\
		goto out;						\
	}								\
} while (0)

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int svm_init(int fd, uint64_t start, uint64_t size, uint32_t flags,
		    uint32_t *chan)
{
	struct drm_nouveau_glue_svm_init a = {
		.va_start = start, .va_size = size, .flags = flags,
	};
	int ret = xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_SVM_INIT, &a);

	if (!ret)
		*chan = a.channel;
	return ret;
}

static int chan_free(int fd, uint32_t chan, uint32_t pad)
{
	struct drm_nouveau_glue_channel_free a = { .channel = chan, .pad = pad };

	return xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_CHANNEL_FREE, &a);
}

static int svm_bind(int fd, uint32_t chan, uint32_t cmd, const void *start,
		    uint64_t len, uint32_t target, uint32_t atomic,
		    uint64_t *result)
{
	struct drm_nouveau_glue_svm_bind a = {
		.channel = chan, .command = cmd, .va_start = (uintptr_t)start,
		.va_end = (uintptr_t)start + len, .target = target,
		.atomic = atomic, .result = 0xdead,
	};
	int ret = xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_SVM_BIND, &a);

	if (result)
		*result = a.result;
	return ret;
}

static int exec_ops(int fd, uint32_t chan, const struct drm_nouveau_glue_op *ops,
		    uint32_t n, uint64_t *job)
{
	struct drm_nouveau_glue_exec a = {
		.channel = chan, .num_ops = n, .ops = (uintptr_t)ops,
	};
	int ret = xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_EXEC, &a);

	if (!ret)
		*job = a.job;
	return ret;
}

static int job_wait(int fd, uint32_t chan, uint64_t job, int32_t *status,
		    uint64_t *result)
{
	struct drm_nouveau_glue_wait a = {
		.channel = chan, .job = job, .timeout_ns = WAIT_NS,
		.status = 0x7eadbeef,
	};
	int ret = xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_WAIT, &a);

	if (!ret) {
		*status = a.status;
		if (result)
			*result = a.result;
	}
	return ret;
}

/* One op as a job, waited for: the job's status, or the ioctl's error. */
static int run_op(int fd, uint32_t chan, uint32_t op, uint32_t value,
		  const void *va, const void *src, uint64_t len,
		  uint64_t *result)
{
	struct drm_nouveau_glue_op o = {
		.op = op, .value = value, .va = (uintptr_t)va,
		.src = (uintptr_t)src, .len = len,
	};
	int32_t status;
	uint64_t job;
	int ret = exec_ops(fd, chan, &o, 1, &job);

	if (!ret)
		ret = job_wait(fd, chan, job, &status, result);
	return ret ?: status;
}

static int stats(int fd, uint32_t chan, struct drm_nouveau_glue_svm_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->channel = chan;
	return xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_SVM_STATS, s);
}

/* The counters of a channel that only successful work moves. */
static int same_work(const struct drm_nouveau_glue_svm_stats *a,
		     const struct drm_nouveau_glue_svm_stats *b)
{
	return a->faults == b->faults && a->jobs == b->jobs &&
	       a->jobs_failed == b->jobs_failed &&
	       a->pages_mapped == b->pages_mapped &&
	       a->migrations_to_vram == b->migrations_to_vram &&
	       a->faults_serviced == b->faults_serviced;
}

/* Mask (1) or unmask (0) the fault buffer interrupt of the node's unit. */
static int irq_mask(int on)
{
	char path[96];
	int fd, ok;

	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/simgpu/%d/faultbuf_irq_mask", node_unit);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ok = write(fd, on ? "1\n" : "0\n", 2) == 2;
	close(fd);
	return ok ? 0 : -EIO;
}

/* Poll until the device posted/dropped @n more entries than @s0 says. */
static int wait_entries(int fd, uint32_t chan,
			const struct drm_nouveau_glue_svm_stats *s0, uint64_t n)
{
	struct drm_nouveau_glue_svm_stats s;
	double end = now_s() + 120;

	while (now_s() < end) {
		if (stats(fd, chan, &s))
			return -1;
		if (s.fault_posted + s.fault_overflows -
		    s0->fault_posted - s0->fault_overflows >= n)
			return 0;
		usleep(2000);
	}
	printf("# only %llu of %llu entries arrived\n",
	       (unsigned long long)(s.fault_posted + s.fault_overflows -
				    s0->fault_posted - s0->fault_overflows),
	       (unsigned long long)n);
	return -1;
}

/* Open the node and make a channel mirroring the whole address space. */
static int open_channel(int *fd, uint32_t *chan)
{
	*fd = open(node_path, O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	return svm_init(*fd, 0, 0, DRM_NOUVEAU_GLUE_SVM_INIT_ALL, chan);
}

static int test_node(void)
{
	char name[32] = "";
	struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };
	int fd = open(node_path, O_RDWR | O_CLOEXEC), ret = FAIL;

	CHECK(fd >= 0);
	CHECK_EQ(xioctl(fd, DRM_IOCTL_VERSION, &v), 0);
	CHECK(!strcmp(name, DRIVER_NAME));
	CHECK(node_unit >= 0);
	printf("# %s: %s %d.%d, simgpu unit %d\n", node_path, name,
	       v.version_major, v.version_minor, node_unit);
	ret = PASS;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Good windows make channels; every bad one -EINVAL and no channel. */
static int test_svm_init(void)
{
	static const struct {
		uint64_t start, size;
		uint32_t flags;
	} bad[] = {
		{ 0, 0, 0 },				/* empty */
		{ 0x1000, 0x800, 0 },			/* unaligned size */
		{ 0x1800, 0x1000, 0 },			/* unaligned start */
		{ ~0xfffULL, 0x2000, 0 },		/* wraps */
		{ USER_VA_END - 0x1000, 0x2000, 0 },	/* leaves user VA */
		{ 0x1000, 0x1000, 1u << 5 },		/* unknown flag */
		{ 0x1000, 0, DRM_NOUVEAU_GLUE_SVM_INIT_ALL },
		{ 0, 0x1000, DRM_NOUVEAU_GLUE_SVM_INIT_ALL },
	};
	int fd = open(node_path, O_RDWR | O_CLOEXEC), ret = FAIL;
	uint32_t a = 0, b = 0, c = 0;
	size_t i;

	CHECK(fd >= 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_EQ(svm_init(fd, bad[i].start, bad[i].size, bad[i].flags,
				  &c), -EINVAL);
	/* Nothing was made: the first handles are free */
	CHECK_EQ(chan_free(fd, 1, 0), -ENOENT);
	CHECK_EQ(svm_init(fd, 0, 0, DRM_NOUVEAU_GLUE_SVM_INIT_ALL, &a), 0);
	CHECK_EQ(svm_init(fd, 1 << 20, 1 << 30, 0, &b), 0);
	CHECK(a && b && a != b);
	CHECK_EQ(chan_free(fd, a, 1), -EINVAL);
	CHECK_EQ(chan_free(fd, a, 0), 0);
	CHECK_EQ(chan_free(fd, a, 0), -ENOENT);
	CHECK_EQ(chan_free(fd, b, 0), 0);
	ret = PASS;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* GPU stores land in malloc'ed memory; a GPU load sums what the CPU wrote. */
static int test_store_load(void)
{
	size_t size = 64 * page_size, n = size / 4, i;
	int fd = -1, ret = FAIL;
	uint32_t *p = malloc(size), chan;
	uint64_t sum = 0, want = 0;

	CHECK(p);
	CHECK_EQ(open_channel(&fd, &chan), 0);
	memset(p, 0, size);
	CHECK_EQ(run_op(fd, chan, DRM_NOUVEAU_GLUE_OP_STORE, 0x5a5a0001, p,
			NULL, size, NULL), 0);
	for (i = 0; i < n; i++)
		CHECK_EQ(p[i], 0x5a5a0001);
	for (i = 0; i < n; i++) {
		p[i] = i * 3 + 1;
		want += p[i];
	}
	CHECK_EQ(run_op(fd, chan, DRM_NOUVEAU_GLUE_OP_LOAD, 0, p, NULL, size,
			&sum), 0);
	CHECK_EQ(sum, want);
	ret = PASS;
out:
	free(p);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Faults outside the SVM window, or on memory the CPU has not mapped, are
 * cancelled with -EFAULT; the channel keeps working.
 */
static int test_cancel_invalid(void)
{
	size_t size = 16 * page_size;
	int fd = open(node_path, O_RDWR | O_CLOEXEC), ret = FAIL;
	char *in = map_region(size), *outside = map_region(size);
	struct drm_nouveau_glue_svm_stats s0, s1;
	uint64_t sum = 0;
	uint32_t chan;

	CHECK(fd >= 0 && in && outside);
	memset(outside, 0x11, size);
	CHECK_EQ(svm_init(fd, (uintptr_t)in - page_size, size + 2 * page_size,
			  0, &chan), 0);
	CHECK_EQ(stats(fd, chan, &s0), 0);
	/* Mapped by the CPU, but outside the window */
	CHECK_EQ(run_op(fd, chan, DRM_NOUVEAU_GLUE_OP_STORE, 7, outside, NULL,
			8, NULL), -EFAULT);
	/* Inside the window, but the guard page: PROT_NONE */
	CHECK_EQ(run_op(fd, chan, DRM_NOUVEAU_GLUE_OP_LOAD, 0, in - page_size,
			NULL, 4, NULL), -EFAULT);
	CHECK_EQ(*(volatile uint32_t *)outside, 0x11111111);
	CHECK_EQ(stats(fd, chan, &s1), 0);
	CHECK_EQ(s1.jobs_failed - s0.jobs_failed, 2);
	CHECK(s1.faults_cancelled - s0.faults_cancelled >= 2);

	/* The channel still works */
	memset(in, 1, size);
	CHECK_EQ(run_op(fd, chan, DRM_NOUVEAU_GLUE_OP_LOAD, 0, in, NULL, size,
			&sum), 0);
	CHECK_EQ(sum, (uint64_t)0x01010101 * (size / 4));
	ret = PASS;
out:
	unmap_region(in, size);
	unmap_region(outside, size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Submit @n jobs of one op each; handles in @jobs. */
static int submit_each(int fd, uint32_t chan, uint32_t op, uint32_t value,
		       char *base, size_t stride, uint64_t len, unsigned int n,
		       uint64_t *jobs)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++) {
		struct drm_nouveau_glue_op o = {
			.op = op, .value = value,
			.va = (uintptr_t)(base + i * stride), .len = len,
		};

		ret = exec_ops(fd, chan, &o, 1, &jobs[i]);
	}
	return ret;
}

/* Wait for @n jobs; all must succeed; loads must sum to @want each. */
static int wait_all(int fd, uint32_t chan, const uint64_t *jobs,
		    unsigned int n, uint64_t want)
{
	unsigned int i, bad = 0;

	for (i = 0; i < n; i++) {
		int32_t status = 0;
		uint64_t result = 0;

		if (job_wait(fd, chan, jobs[i], &status, &result) ||
		    status || (want && result != want)) {
			if (!bad++)
				printf("# job %u: status %d result %llu\n", i,
				       status, (unsigned long long)result);
		}
	}
	return bad ? -1 : 0;
}

/*
 * Many jobs faulting on one page while the interrupt is masked land in one
 * batch: one service through the core, the other entries coalesced.
 */
static int test_fault_batching(void)
{
	const unsigned int n = 32;
	int fd = -1, ret = FAIL, masked = 0;
	struct drm_nouveau_glue_svm_stats s0, s1;
	uint32_t *p = map_region(page_size), chan;
	uint64_t jobs[32];
	size_t i;

	CHECK(p);
	for (i = 0; i < page_size / 4; i++)
		p[i] = 2;
	CHECK_EQ(open_channel(&fd, &chan), 0);
	CHECK_EQ(stats(fd, chan, &s0), 0);
	CHECK_EQ(irq_mask(1), 0);
	masked = 1;
	CHECK_EQ(submit_each(fd, chan, DRM_NOUVEAU_GLUE_OP_LOAD, 0, (char *)p,
			     0, page_size, n, jobs), 0);
	CHECK_EQ(wait_entries(fd, chan, &s0, n), 0);
	CHECK_EQ(irq_mask(0), 0);
	masked = 0;
	CHECK_EQ(wait_all(fd, chan, jobs, n, 2 * (page_size / 4)), 0);
	CHECK_EQ(stats(fd, chan, &s1), 0);
	printf("# %llu entries, %llu serviced, %llu coalesced, %llu batches\n",
	       (unsigned long long)(s1.faults - s0.faults),
	       (unsigned long long)(s1.faults_serviced - s0.faults_serviced),
	       (unsigned long long)(s1.faults_coalesced - s0.faults_coalesced),
	       (unsigned long long)(s1.fault_batches - s0.fault_batches));
	CHECK_EQ(s1.faults - s0.faults, n);
	CHECK_EQ(s1.faults_serviced - s0.faults_serviced, 1);
	CHECK_EQ(s1.faults_coalesced - s0.faults_coalesced, n - 1);
	CHECK_EQ(s1.fault_overflows - s0.fault_overflows, 0);
	CHECK_EQ(s1.jobs_failed - s0.jobs_failed, 0);
	ret = PASS;
out:
	if (masked)
		irq_mask(0);
	unmap_region(p, page_size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * A write and a read of one read-only page in one batch: the write is
 * cancelled with -EPERM, the read is served on its own and sums what the
 * CPU wrote (the failed write must not be coalesced onto it).
 */
static int test_coalesce_failed(void)
{
	const unsigned int n = 4;
	int fd = -1, ret = FAIL, masked = 0;
	uint32_t *p = map_region(page_size), chan;
	struct drm_nouveau_glue_svm_stats s0, s1;
	uint64_t wjobs[4], rjobs[4], result;
	int32_t status;
	size_t i;

	CHECK(p);
	for (i = 0; i < page_size / 4; i++)
		p[i] = 3;
	CHECK_EQ(mprotect(p, page_size, PROT_READ), 0);
	CHECK_EQ(open_channel(&fd, &chan), 0);
	CHECK_EQ(stats(fd, chan, &s0), 0);
	CHECK_EQ(irq_mask(1), 0);
	masked = 1;
	CHECK_EQ(submit_each(fd, chan, DRM_NOUVEAU_GLUE_OP_STORE, 7, (char *)p,
			     0, 4, n, wjobs), 0);
	CHECK_EQ(submit_each(fd, chan, DRM_NOUVEAU_GLUE_OP_LOAD, 0, (char *)p,
			     0, page_size, n, rjobs), 0);
	CHECK_EQ(wait_entries(fd, chan, &s0, 2 * n), 0);
	CHECK_EQ(irq_mask(0), 0);
	masked = 0;
	for (i = 0; i < n; i++) {
		CHECK_EQ(job_wait(fd, chan, wjobs[i], &status, &result), 0);
		CHECK_EQ(status, -EPERM);
	}
	CHECK_EQ(wait_all(fd, chan, rjobs, n, 3 * (page_size / 4)), 0);
	CHECK_EQ(p[0], 3);
	CHECK_EQ(stats(fd, chan, &s1), 0);
	CHECK_EQ(s1.jobs_failed - s0.jobs_failed, n);
	ret = PASS;
out:
	if (masked)
		irq_mask(0);
	unmap_region(p, page_size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * More faults than the buffer holds: the excess is dropped, the replay
 * after the drained buffer restarts the jobs whose entries were lost, and
 * every job completes with its store done.
 */
static int test_overflow_recovery(void)
{
	int fd = -1, ret = FAIL, masked = 0;
	struct drm_nouveau_glue_svm_stats s0, s1;
	unsigned int n = 0, i;
	uint64_t *jobs = NULL;
	size_t size = 0;
	char *p = NULL;
	uint32_t chan;

	CHECK_EQ(open_channel(&fd, &chan), 0);
	CHECK_EQ(stats(fd, chan, &s0), 0);
	n = s0.fault_buffer_size + 16;
	CHECK(n <= MAX_JOBS);
	size = n * page_size;
	p = map_region(size);
	jobs = calloc(n, sizeof(*jobs));
	CHECK(p && jobs);
	/* Touch nothing: every page is a fresh fault. 4 KiB pages, no THP */
	CHECK_EQ(madvise(p, size, MADV_NOHUGEPAGE), 0);
	CHECK_EQ(irq_mask(1), 0);
	masked = 1;
	CHECK_EQ(submit_each(fd, chan, DRM_NOUVEAU_GLUE_OP_STORE, 0xc0ffee,
			     p, page_size, 4, n, jobs), 0);
	CHECK_EQ(wait_entries(fd, chan, &s0, n), 0);
	CHECK_EQ(irq_mask(0), 0);
	masked = 0;
	CHECK_EQ(wait_all(fd, chan, jobs, n, 0), 0);
	CHECK_EQ(stats(fd, chan, &s1), 0);
	printf("# buffer %llu, %u jobs: %llu dropped, %llu replays, %llu batches\n",
	       (unsigned long long)s0.fault_buffer_size, n,
	       (unsigned long long)(s1.fault_overflows - s0.fault_overflows),
	       (unsigned long long)(s1.replays - s0.replays),
	       (unsigned long long)(s1.fault_batches - s0.fault_batches));
	/* The first 16 at least; replayed jobs may overflow it again */
	CHECK(s1.fault_overflows - s0.fault_overflows >= 16);
	CHECK(s1.replays - s0.replays >= 2);
	printf("# %llu entries handled\n",
	       (unsigned long long)(s1.faults - s0.faults));
	/* One replay per drained buffer, not one per batch: no storm */
	CHECK(s1.replays - s0.replays < s1.fault_batches - s0.fault_batches);
	for (i = 0; i < n; i++)
		CHECK_EQ(*(uint32_t *)(p + i * page_size), 0xc0ffee);
	CHECK_EQ(s1.jobs_failed - s0.jobs_failed, 0);
	ret = PASS;
out:
	if (masked)
		irq_mask(0);
	free(jobs);
	unmap_region(p, size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * CPU and GPU take turns incrementing one counter. Each GPU atomic needs
 * the page device-exclusive; each CPU access revokes that, so every GPU
 * turn faults and binds anew, without migration and in bounded time.
 */
static int alternate(uint32_t target, uint32_t atomic)
{
	const unsigned int rounds = 40;
	int fd = -1, ret = FAIL;
	struct drm_nouveau_glue_svm_stats s0, s1;
	volatile uint32_t *p = map_region(page_size);
	unsigned int i;
	uint32_t chan;
	double t0;

	CHECK(p);
	CHECK_EQ(open_channel(&fd, &chan), 0);
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_ATTR, (void *)p,
			  page_size, target, atomic, NULL), 0);
	p[0] = 0;
	p[1] = 0;
	CHECK_EQ(stats(fd, chan, &s0), 0);
	t0 = now_s();
	for (i = 0; i < rounds; i++) {
		p[0]++;
		CHECK_EQ(run_op(fd, chan, DRM_NOUVEAU_GLUE_OP_ATOMIC_ADD, 1,
				(void *)p, NULL, 8, NULL), 0);
		CHECK_EQ(p[0], 2 * (i + 1));
	}
	CHECK_EQ(p[1], rounds);
	CHECK_EQ(stats(fd, chan, &s1), 0);
	printf("# %u rounds in %.2f s: %llu atomic binds, %llu faults, %llu invalidations\n",
	       rounds, now_s() - t0,
	       (unsigned long long)(s1.atomic_binds - s0.atomic_binds),
	       (unsigned long long)(s1.faults - s0.faults),
	       (unsigned long long)(s1.invalidations - s0.invalidations));
	/* Each CPU access revoked the exclusive entry: the GPU faulted again */
	CHECK(s1.atomic_binds - s0.atomic_binds >= rounds);
	CHECK(s1.invalidations - s0.invalidations >= rounds - 1);
	CHECK_EQ(s1.migrations_to_vram - s0.migrations_to_vram, 0);
	CHECK(now_s() - t0 < 120);
	ret = PASS;
out:
	unmap_region((void *)p, page_size);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int test_atomic_alternate_global(void)
{
	return alternate(DRM_NOUVEAU_GLUE_TARGET_DEFAULT,
			 DRM_NOUVEAU_GLUE_ATOMIC_GLOBAL);
}

static int test_atomic_alternate_host(void)
{
	return alternate(DRM_NOUVEAU_GLUE_TARGET_HOST,
			 DRM_NOUVEAU_GLUE_ATOMIC_DEFAULT);
}

struct hammer {
	volatile uint32_t *p;
	volatile int stop;
	unsigned int n;
};

/* Increment until told to stop, every few ms, while the GPU works. */
static void *cpu_hammer(void *arg)
{
	struct hammer *h = arg;

	while (!h->stop) {
		__atomic_fetch_add(h->p, 1, __ATOMIC_SEQ_CST);
		h->n++;
		usleep(3000);
	}
	return NULL;
}

/*
 * A CPU thread and GPU jobs increment one counter at the same time, both
 * atomically, the CPU every few milliseconds for as long as the GPU runs;
 * the GPU jobs read a large buffer between their atomics, so they last
 * long enough for the CPU to take the page back in the middle. No
 * increment is lost, the device lost its exclusive access and got it back
 * more than once, and both sides finish in bounded time.
 */
static int test_atomic_concurrent(void)
{
	const unsigned int jobs_n = 4, rounds = 32;
	const size_t big = 256 << 10;
	int fd = -1, ret = FAIL, started = 0;
	struct drm_nouveau_glue_op ops[64];
	volatile uint32_t *p = map_region(page_size);
	char *b = map_region(big);
	struct drm_nouveau_glue_svm_stats s0, s1;
	struct hammer h = { .p = p };
	uint64_t jobs[4];
	pthread_t thread;
	unsigned int i;
	uint32_t chan;
	double t0;

	CHECK(p && b);
	memset(b, 0, big);
	CHECK_EQ(open_channel(&fd, &chan), 0);
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_ATTR, (void *)p,
			  page_size, DRM_NOUVEAU_GLUE_TARGET_DEFAULT,
			  DRM_NOUVEAU_GLUE_ATOMIC_GLOBAL, NULL), 0);
	p[0] = 0;
	for (i = 0; i < rounds; i++) {
		ops[2 * i] = (struct drm_nouveau_glue_op){
			.op = DRM_NOUVEAU_GLUE_OP_LOAD, .va = (uintptr_t)b,
			.len = big,
		};
		ops[2 * i + 1] = (struct drm_nouveau_glue_op){
			.op = DRM_NOUVEAU_GLUE_OP_ATOMIC_ADD, .value = 1,
			.va = (uintptr_t)p, .len = 4,
		};
	}
	/* The buffer read is mapped before the race starts */
	CHECK_EQ(run_op(fd, chan, DRM_NOUVEAU_GLUE_OP_LOAD, 0, b, NULL, big,
			NULL), 0);
	CHECK_EQ(stats(fd, chan, &s0), 0);
	t0 = now_s();
	CHECK_EQ(pthread_create(&thread, NULL, cpu_hammer, &h), 0);
	started = 1;
	for (i = 0; i < jobs_n; i++)
		CHECK_EQ(exec_ops(fd, chan, ops, 2 * rounds, &jobs[i]), 0);
	CHECK_EQ(wait_all(fd, chan, jobs, jobs_n, 0), 0);
	h.stop = 1;
	pthread_join(thread, NULL);
	started = 0;
	CHECK_EQ(stats(fd, chan, &s1), 0);
	printf("# %u CPU + %u GPU increments in %.2f s: %llu atomic binds, %llu invalidations\n",
	       h.n, jobs_n * rounds, now_s() - t0,
	       (unsigned long long)(s1.atomic_binds - s0.atomic_binds),
	       (unsigned long long)(s1.invalidations - s0.invalidations));
	CHECK_EQ(p[0], h.n + jobs_n * rounds);
	/* The CPU took the page back while the GPU still had work on it */
	CHECK(s1.atomic_binds - s0.atomic_binds >= 2);
	CHECK(now_s() - t0 < 300);
	ret = PASS;
out:
	if (started) {
		h.stop = 1;
		pthread_join(thread, NULL);
	}
	unmap_region((void *)p, page_size);
	unmap_region(b, big);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Closing the file with jobs stalled and their entries still in the fault
 * buffer: the channel's teardown cancels the jobs, the handler drops the
 * entries of the dead instance, and the device serves the next channel.
 */
static int test_close_pending(void)
{
	const unsigned int n = 8;
	int fd = open(node_path, O_RDWR | O_CLOEXEC), ret = FAIL, masked = 0;
	struct drm_nouveau_glue_svm_stats s0;
	char *p = map_region(n * page_size);
	uint64_t jobs[8], sum = 0;
	uint32_t chan;

	CHECK(fd >= 0 && p);
	CHECK_EQ(svm_init(fd, 0, 0, DRM_NOUVEAU_GLUE_SVM_INIT_ALL, &chan), 0);
	CHECK_EQ(stats(fd, chan, &s0), 0);
	CHECK_EQ(irq_mask(1), 0);
	masked = 1;
	CHECK_EQ(submit_each(fd, chan, DRM_NOUVEAU_GLUE_OP_STORE, 1, p,
			     page_size, 4, n, jobs), 0);
	CHECK_EQ(wait_entries(fd, chan, &s0, n), 0);
	close(fd);
	fd = -1;
	CHECK_EQ(irq_mask(0), 0);
	masked = 0;
	/* Nothing reached memory, and a new channel works */
	CHECK_EQ(*(volatile uint32_t *)p, 0);
	fd = open(node_path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(svm_init(fd, 0, 0, DRM_NOUVEAU_GLUE_SVM_INIT_ALL, &chan), 0);
	CHECK_EQ(run_op(fd, chan, DRM_NOUVEAU_GLUE_OP_STORE, 3, p, NULL,
			n * page_size, NULL), 0);
	CHECK_EQ(run_op(fd, chan, DRM_NOUVEAU_GLUE_OP_LOAD, 0, p, NULL,
			n * page_size, &sum), 0);
	CHECK_EQ(sum, 3ULL * n * page_size / 4);
	ret = PASS;
out:
	if (masked)
		irq_mask(0);
	unmap_region(p, n * page_size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* MIGRATE to VRAM and back; ATTR VRAM makes GPU faults migrate. */
static int test_migrate(void)
{
	size_t size = 2 << 20, n = size / 4, i;
	int fd = -1, ret = FAIL;
	struct drm_nouveau_glue_svm_stats s0, s1;
	uint32_t *p = map_region_aligned(size, size), *q = NULL, chan;
	uint64_t moved = 0, back = 0, sum = 0, want = 0;

	CHECK(p);
	for (i = 0; i < n; i++) {
		p[i] = i ^ 0x1234;
		want += p[i];
	}
	CHECK_EQ(open_channel(&fd, &chan), 0);
	CHECK_EQ(stats(fd, chan, &s0), 0);
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_MIGRATE, p, size,
			  DRM_NOUVEAU_GLUE_TARGET_VRAM, 0, &moved), 0);
	CHECK_EQ(moved, size / page_size);
	CHECK_EQ(run_op(fd, chan, DRM_NOUVEAU_GLUE_OP_LOAD, 0, p, NULL, size,
			&sum), 0);
	CHECK_EQ(sum, want);
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_MIGRATE, p, size,
			  DRM_NOUVEAU_GLUE_TARGET_HOST, 0, &back), 0);
	CHECK_EQ(back, moved);
	for (i = 0; i < n; i++)
		CHECK_EQ(p[i], i ^ 0x1234);
	CHECK_EQ(stats(fd, chan, &s1), 0);
	CHECK_EQ(s1.migrations_to_vram - s0.migrations_to_vram, moved);
	CHECK(s1.migrations_to_ram - s0.migrations_to_ram >= back);

	/*
	 * Fresh memory preferring VRAM: the GPU fault migrates it, and the
	 * data is right (p just bounced, and policy.c may hold it back).
	 */
	q = map_region_aligned(size, size);
	CHECK(q);
	for (i = 0; i < n; i++)
		q[i] = i;
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_ATTR, q, size,
			  DRM_NOUVEAU_GLUE_TARGET_VRAM,
			  DRM_NOUVEAU_GLUE_ATOMIC_DEFAULT, NULL), 0);
	CHECK_EQ(run_op(fd, chan, DRM_NOUVEAU_GLUE_OP_ADD, 1, q, NULL, size,
			NULL), 0);
	CHECK_EQ(stats(fd, chan, &s0), 0);
	CHECK(s0.migrations_to_vram > s1.migrations_to_vram);
	for (i = 0; i < n; i++)
		CHECK_EQ(q[i], i + 1);
	ret = PASS;
out:
	unmap_region(q, size);
	unmap_region(p, size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Runs of physically contiguous pages in [p, p + n pages), from
 * /proc/self/pagemap; 0 when the PFNs are hidden (no CAP_SYS_ADMIN) or a
 * page is not present.
 */
static size_t phys_runs(const void *p, size_t n)
{
	uint64_t *ent = calloc(n, sizeof(*ent));
	size_t i, runs = 0;
	off_t off = (uintptr_t)p / page_size * sizeof(*ent);
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	const uint64_t present = 1ULL << 63, pfn = (1ULL << 55) - 1;

	if (fd < 0 || !ent ||
	    pread(fd, ent, n * sizeof(*ent), off) != (ssize_t)(n * sizeof(*ent)))
		goto out;
	for (i = 0; i < n; i++) {
		if (!(ent[i] & present) || !(ent[i] & pfn)) {
			runs = 0;
			goto out;
		}
		runs += !i || (ent[i] & pfn) != (ent[i - 1] & pfn) + 1;
	}
out:
	if (fd >= 0)
		close(fd);
	free(ent);
	return runs;
}

/* Stats once the copy engine executed every method kicked (GP_GET == GP_PUT). */
static int stats_chan_idle(int fd, uint32_t chan,
			   struct drm_nouveau_glue_svm_stats *s)
{
	double end = now_s() + 10;

	do {
		if (stats(fd, chan, s))
			return -1;
		if (s->copy_chan_gp_get == s->copy_chan_gp_put)
			return 0;
		usleep(1000);
	} while (now_s() < end);
	printf("# copy channel busy: gp_get %llu gp_put %llu\n",
	       (unsigned long long)s->copy_chan_gp_get,
	       (unsigned long long)s->copy_chan_gp_put);
	return -1;
}

/*
 * Migrations copy through the device's kernel copy channel: at most one
 * COPY method per page, at least one per run of physically contiguous
 * source pages, fewer than pages when the source is one huge page, and a
 * semaphore (fence) per copy each way. The data survive the round trip.
 */
static int test_migrate_copy_chan(void)
{
	size_t size = 2 << 20, npages = size / page_size, n = size / 4, i;
	struct drm_nouveau_glue_svm_stats s0, s1, s2;
	uint32_t *p = map_region_aligned(size, size), chan;
	uint64_t moved = 0, back = 0, sum = 0, want = 0, methods;
	int fd = -1, ret = FAIL;
	size_t runs;

	CHECK(p);
	/* A huge page if the kernel has one: a single physical run */
	madvise(p, size, MADV_HUGEPAGE);
	for (i = 0; i < n; i++) {
		p[i] = i * 2654435761u;
		want += p[i];
	}
	runs = phys_runs(p, npages);
	CHECK_EQ(open_channel(&fd, &chan), 0);
	CHECK_EQ(stats_chan_idle(fd, chan, &s0), 0);

	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_MIGRATE, p, size,
			  DRM_NOUVEAU_GLUE_TARGET_VRAM, 0, &moved), 0);
	CHECK_EQ(moved, npages);
	CHECK_EQ(stats_chan_idle(fd, chan, &s1), 0);
	methods = s1.copy_chan_methods - s0.copy_chan_methods;
	printf("# to VRAM: %llu pages, %zu physical runs, %llu COPY methods, %llu semaphores, %llu ring waits\n",
	       (unsigned long long)moved, runs, (unsigned long long)methods,
	       (unsigned long long)(s1.copy_chan_semaphores -
				    s0.copy_chan_semaphores),
	       (unsigned long long)(s1.copy_chan_ring_waits -
				    s0.copy_chan_ring_waits));
	CHECK(methods >= 1 && methods <= moved);
	CHECK(s1.copy_chan_semaphores - s0.copy_chan_semaphores >= 1);
	/* Every method is a COPY or a semaphore, and each one moves GP_GET */
	CHECK_EQ(s1.copy_chan_gp_get - s0.copy_chan_gp_get,
		 methods + s1.copy_chan_semaphores - s0.copy_chan_semaphores);
	if (runs) {
		CHECK(methods >= runs);
		if (runs <= npages / 2)
			CHECK(methods < npages);
	} else {
		printf("# physical runs unknown: coalescing not checked\n");
	}
	CHECK_EQ(run_op(fd, chan, DRM_NOUVEAU_GLUE_OP_LOAD, 0, p, NULL, size,
			&sum), 0);
	CHECK_EQ(sum, want);

	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_MIGRATE, p, size,
			  DRM_NOUVEAU_GLUE_TARGET_HOST, 0, &back), 0);
	CHECK_EQ(back, moved);
	CHECK_EQ(stats_chan_idle(fd, chan, &s2), 0);
	methods = s2.copy_chan_methods - s1.copy_chan_methods;
	CHECK(methods >= 1 && methods <= back);
	CHECK(s2.copy_chan_semaphores - s1.copy_chan_semaphores >= 1);
	for (i = 0; i < n; i++)
		CHECK_EQ(p[i], (uint32_t)(i * 2654435761u));
	ret = PASS;
out:
	unmap_region(p, size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Every bad SVM_BIND: its errno, no attribute, no migration, no fault. */
static int test_bad_bind(void)
{
	size_t size = 4 * page_size;
	int fd = open(node_path, O_RDWR | O_CLOEXEC), ret = FAIL;
	char *p = map_region(size), *win = map_region(size);
	struct drm_nouveau_glue_svm_stats s0, s1;
	uint64_t res = 0;
	uint32_t chan;

	CHECK(fd >= 0 && p && win);
	memset(p, 3, size);
	CHECK_EQ(svm_init(fd, (uintptr_t)win, size, 0, &chan), 0);
	CHECK_EQ(stats(fd, chan, &s0), 0);
	CHECK_EQ(svm_bind(fd, chan + 1, DRM_NOUVEAU_GLUE_BIND_ATTR, win, size,
			  0, 0, NULL), -ENOENT);
	CHECK_EQ(svm_bind(fd, chan, 7, win, size, 0, 0, NULL), -EINVAL);
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_ATTR, win, size, 3,
			  0, NULL), -EINVAL);
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_ATTR, win, size, 0,
			  3, NULL), -EINVAL);
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_ATTR, win + 1,
			  page_size, 0, 0, NULL), -EINVAL);
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_ATTR, win, 0, 0, 0,
			  NULL), -EINVAL);
	/* Outside the window: before it, and across its end */
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_ATTR, p, size, 0, 0,
			  NULL), -EINVAL);
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_ATTR,
			  win + page_size, size, 0, 0, NULL), -EINVAL);
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_MIGRATE, win, size,
			  DRM_NOUVEAU_GLUE_TARGET_DEFAULT, 0, NULL), -EINVAL);
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_MIGRATE, win, size,
			  DRM_NOUVEAU_GLUE_TARGET_VRAM, 1, NULL), -EINVAL);
	/* A guard page in the span: -EFAULT before anything moves */
	CHECK_EQ(munmap(win + page_size, page_size), 0);
	CHECK_EQ(svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_MIGRATE, win, size,
			  DRM_NOUVEAU_GLUE_TARGET_VRAM, 0, &res), -EFAULT);
	CHECK_EQ(stats(fd, chan, &s1), 0);
	CHECK(same_work(&s0, &s1));
	CHECK_EQ(s1.migrations_to_vram, 0);
	ret = PASS;
out:
	unmap_region(p, size);
	unmap_region(win, size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Every bad EXEC, WAIT and SVM_STATS: its errno and nothing done. */
static int test_bad_exec_wait(void)
{
	struct drm_nouveau_glue_op ops[DRM_NOUVEAU_GLUE_MAX_OPS + 1];
	int fd = -1, ret = FAIL;
	struct drm_nouveau_glue_svm_stats s0, s1, bad;
	uint32_t *p = map_region(2 * page_size), chan;
	struct drm_nouveau_glue_wait w;
	uint64_t job = 0;
	size_t i;
	const struct drm_nouveau_glue_op badop[] = {
		{ .op = 0, .va = (uintptr_t)p, .len = 4 },
		{ .op = 7, .va = (uintptr_t)p, .len = 4 },
		{ .op = DRM_NOUVEAU_GLUE_OP_STORE, .va = (uintptr_t)p + 2, .len = 4 },
		{ .op = DRM_NOUVEAU_GLUE_OP_ADD, .va = (uintptr_t)p, .len = 6 },
		{ .op = DRM_NOUVEAU_GLUE_OP_MEMSET, .va = (uintptr_t)p, .len = 0 },
		{ .op = DRM_NOUVEAU_GLUE_OP_MEMSET, .va = ~0ULL - 2, .len = 8 },
		{ .op = DRM_NOUVEAU_GLUE_OP_MEMSET, .va = USER_VA_END - 4, .len = 8 },
		{ .op = DRM_NOUVEAU_GLUE_OP_LOAD, .va = (uintptr_t)p, .len = 4,
		  .src = (uintptr_t)p },
		{ .op = DRM_NOUVEAU_GLUE_OP_COPY, .va = (uintptr_t)p, .len = 64,
		  .src = (uintptr_t)p + 32 },
		{ .op = DRM_NOUVEAU_GLUE_OP_COPY, .va = (uintptr_t)p, .len = 8,
		  .src = USER_VA_END - 4 },
	};

	CHECK(p);
	p[0] = 0x600d;
	CHECK_EQ(open_channel(&fd, &chan), 0);
	CHECK_EQ(stats(fd, chan, &s0), 0);
	for (i = 0; i < ARRAY_SIZE(badop); i++)
		CHECK_EQ(exec_ops(fd, chan, &badop[i], 1, &job), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		ops[i] = (struct drm_nouveau_glue_op){
			.op = DRM_NOUVEAU_GLUE_OP_STORE, .value = 1,
			.va = (uintptr_t)p, .len = 4,
		};
	CHECK_EQ(exec_ops(fd, chan, ops, 0, &job), -EINVAL);
	CHECK_EQ(exec_ops(fd, chan, ops, ARRAY_SIZE(ops), &job), -EINVAL);
	/* One bad op among good ones rejects the job */
	ops[5] = badop[2];
	CHECK_EQ(exec_ops(fd, chan, ops, 8, &job), -EINVAL);
	CHECK_EQ(exec_ops(fd, chan, (void *)16, 1, &job), -EFAULT);
	CHECK_EQ(exec_ops(fd, chan + 9, ops, 1, &job), -ENOENT);

	/* WAIT */
	w = (struct drm_nouveau_glue_wait){ .channel = chan, .job = 1 };
	CHECK_EQ(xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_WAIT, &w), -ENOENT);
	w.flags = 1;
	CHECK_EQ(xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_WAIT, &w), -EINVAL);
	w.flags = 0;
	w.pad = 1;
	CHECK_EQ(xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_WAIT, &w), -EINVAL);
	w.pad = 0;
	w.job = 1ULL << 32;
	CHECK_EQ(xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_WAIT, &w), -EINVAL);
	w.job = 1;
	w.channel = chan + 9;
	CHECK_EQ(xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_WAIT, &w), -ENOENT);

	/* SVM_STATS */
	memset(&bad, 0, sizeof(bad));
	bad.channel = chan;
	bad.pad = 1;
	CHECK_EQ(xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_SVM_STATS, &bad), -EINVAL);
	CHECK_EQ(stats(fd, chan + 9, &bad), -ENOENT);

	CHECK_EQ(stats(fd, chan, &s1), 0);
	CHECK(same_work(&s0, &s1));
	CHECK_EQ(s1.jobs, 0);
	CHECK_EQ(p[0], 0x600d);
	/* A good job still runs, and its handle works once */
	CHECK_EQ(exec_ops(fd, chan, ops, 1, &job), 0);
	w = (struct drm_nouveau_glue_wait){
		.channel = chan, .job = job, .timeout_ns = WAIT_NS,
	};
	CHECK_EQ(xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_WAIT, &w), 0);
	CHECK_EQ(w.status, 0);
	CHECK_EQ(p[0], 1);
	CHECK_EQ(xioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_WAIT, &w), -ENOENT);
	ret = PASS;
out:
	unmap_region(p, 2 * page_size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * A channel holds at most DRM_NOUVEAU_GLUE_MAX_JOBS handles: one more EXEC
 * is -EBUSY and runs nothing; a WAIT frees a slot for the next EXEC.
 */
static int test_job_limit(void)
{
	const unsigned int n = DRM_NOUVEAU_GLUE_MAX_JOBS;
	struct drm_nouveau_glue_svm_stats s0, s1;
	struct drm_nouveau_glue_op o = {
		.op = DRM_NOUVEAU_GLUE_OP_ATOMIC_ADD, .value = 1, .len = 4,
	};
	uint32_t *p = map_region(page_size), chan;
	int fd = -1, ret = FAIL;
	uint64_t *jobs = calloc(n + 1, sizeof(*jobs));
	int32_t status;
	unsigned int i;

	CHECK(p && jobs);
	p[0] = 0;
	o.va = (uintptr_t)p;
	CHECK_EQ(open_channel(&fd, &chan), 0);
	for (i = 0; i < n; i++)
		CHECK_EQ(exec_ops(fd, chan, &o, 1, &jobs[i]), 0);
	CHECK_EQ(stats(fd, chan, &s0), 0);
	CHECK_EQ(exec_ops(fd, chan, &o, 1, &jobs[n]), -EBUSY);
	CHECK_EQ(stats(fd, chan, &s1), 0);
	CHECK_EQ(s1.jobs, s0.jobs);
	CHECK_EQ(job_wait(fd, chan, jobs[0], &status, NULL), 0);
	CHECK_EQ(status, 0);
	CHECK_EQ(exec_ops(fd, chan, &o, 1, &jobs[n]), 0);
	CHECK_EQ(exec_ops(fd, chan, &o, 1, &jobs[0]), -EBUSY);
	for (i = 1; i <= n; i++) {
		CHECK_EQ(job_wait(fd, chan, jobs[i], &status, NULL), 0);
		CHECK_EQ(status, 0);
	}
	CHECK_EQ(p[0], n + 1);
	ret = PASS;
out:
	free(jobs);
	unmap_region(p, page_size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* A forked child holding the file may not touch the parent's channel. */
static int test_other_process(void)
{
	int fd = -1, ret = FAIL;
	uint32_t *p = map_region(page_size), chan;
	struct drm_nouveau_glue_svm_stats s;
	pid_t pid;

	CHECK(p);
	p[0] = 5;
	CHECK_EQ(open_channel(&fd, &chan), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		struct drm_nouveau_glue_op o = {
			.op = DRM_NOUVEAU_GLUE_OP_STORE, .value = 9,
			.va = (uintptr_t)p, .len = 4,
		};
		uint64_t job;

		if (exec_ops(fd, chan, &o, 1, &job) != -EACCES)
			_exit(1);
		if (svm_bind(fd, chan, DRM_NOUVEAU_GLUE_BIND_ATTR, p,
			     page_size, 0, 0, NULL) != -EACCES)
			_exit(2);
		_exit(stats(fd, chan, &s) ? 3 : 0);
	}
	CHECK_EQ(wait_child(pid), 0);
	CHECK_EQ(stats(fd, chan, &s), 0);
	CHECK_EQ(s.jobs, 0);
	CHECK_EQ(p[0], 5);
	ret = PASS;
out:
	unmap_region(p, page_size);
	if (fd >= 0)
		close(fd);
	return ret;
}

static const struct tap_test tests[] = {
	{ "node", test_node },
	{ "svm_init", test_svm_init },
	{ "store_load", test_store_load },
	{ "cancel_invalid", test_cancel_invalid },
	{ "fault_batching", test_fault_batching },
	{ "coalesce_failed", test_coalesce_failed },
	{ "overflow_recovery", test_overflow_recovery },
	{ "atomic_alternate_global", test_atomic_alternate_global },
	{ "atomic_alternate_host", test_atomic_alternate_host },
	{ "atomic_concurrent", test_atomic_concurrent },
	{ "close_pending", test_close_pending },
	{ "migrate", test_migrate },
	{ "migrate_copy_chan", test_migrate_copy_chan },
	{ "bad_bind", test_bad_bind },
	{ "bad_exec_wait", test_bad_exec_wait },
	{ "job_limit", test_job_limit },
	{ "other_process", test_other_process },
};

/* The simgpu unit of a render node: its device is the platform simgpu.N. */
static int node_simgpu_unit(const char *node)
{
	char link[128], target[256];
	ssize_t n;
	int unit;

	snprintf(link, sizeof(link), "/sys/class/drm/%s/device", node);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	return sscanf(basename(target), "simgpu.%d", &unit) == 1 ? unit : -1;
}

static int setup(void)
{
	int i;

	for (i = 0; i < MAX_NODES && !node_path[0]; i++) {
		char path[64], name[32] = "";
		struct drm_version v = {
			.name = name, .name_len = sizeof(name) - 1,
		};
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/renderD%d", 128 + i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!xioctl(fd, DRM_IOCTL_VERSION, &v) &&
		    !strcmp(name, DRIVER_NAME)) {
			snprintf(node_path, sizeof(node_path), "%s", path);
			node_unit = node_simgpu_unit(path + 9);
		}
		close(fd);
	}
	if (!node_path[0]) {
		printf("Bail out! no render node of driver %s\n", DRIVER_NAME);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), setup);
}
