// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * gpusvm-fuzz: random and mutated ioctl sequences against each backend's
 * device nodes (tools/gpusvm-glue.h: a glue's render nodes, the test_hmm
 * mirror nodes), from several threads at once, mixed with what a process
 * does to its memory meanwhile (munmap, mmap, mprotect, madvise, fork) and
 * to its files (close, reopen, mmap of the node).
 *
 * Arguments start from a valid call and are mutated: fields set to
 * boundary values (0, ~0, 1 << 63, the end of the user address space,
 * unaligned, kernel and non-canonical addresses) or random bits; ids and
 * job handles are live ones, stale ones or noise; request numbers are the
 * backend's, neighbours of them with other sizes and directions, or random
 * in the driver's range. Addresses the device may write are always inside
 * the fuzzer's own pool or scratch buffers (with guard areas) or invalid,
 * so the fuzzer's own state stays intact.
 *
 * It fails on a kernel splat (taint), a hang (no progress in a thread for
 * -w seconds), an errno no ioctl of ours should return, a job status that
 * is not 0 or a negative errno, or if afterwards a fresh VM on each node
 * does not work. Bounded by -n calls in total and -t seconds. Prints TAP 13
 * (one test per backend, then "after") and "# count: N fuzz iterations".
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
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gpusvm-glue.h"
#include "tap.h"

#define MAX_BACKENDS	4
#define MAX_THREADS	16
#define SLOTS		6
#define NREGIONS	16
#define REGION_MAX	(1UL << 20)
#define SCRATCH		(4UL << 20)
#define USER_END	(1ULL << 47)

static const struct backend *bes[MAX_BACKENDS];
static unsigned int nbes;
static unsigned long opt_calls = 3000;
static double opt_seconds = 60;
static unsigned int opt_threads = 4;
static unsigned int opt_seed;
static double opt_watchdog = 90;

/* A file of a backend's unit, shared by all threads. */
struct slot {
	int fd;			/* -1 when closed */
	uint32_t vm;		/* the VM created at open, 0 for mirror */
	uint64_t jobs[8];	/* recent job handles */
};

/* An address range of the pool: mapped, protected or not mapped. */
struct region {
	char *start;
	size_t size;
	int state;		/* 0 unmapped, 1 mapped, -1 busy */
};

static struct {
	const struct backend *be;
	struct slot slots[SLOTS];
	pthread_mutex_t lock;	/* slots: open and close */
} nodes[MAX_BACKENDS];

static struct region regions[NREGIONS];
static char *pool;
static size_t pool_size;
static unsigned long calls;
static double deadline;
static int failed;

/* Errno histogram, and what a thread is doing now. */
static unsigned long errs[256];
struct worker {
	pthread_t t;
	unsigned int id;
	uint64_t seed;
	char *scratch;		/* SCRATCH bytes, then a guard of the same */
	unsigned long progress;
	const char *doing;
	double since;
};

static struct worker workers[MAX_THREADS];

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

static void fail(const char *fmt, const char *what, long v)
{
	printf("# FAIL: ");
	printf(fmt, what, v);
	printf("\n");
	__atomic_store_n(&failed, 1, __ATOMIC_SEQ_CST);
}

/* What an ioctl of ours may answer to anything. */
static int errno_ok(int e)
{
	switch (e) {
	case 0: case EINVAL: case EFAULT: case ENOENT: case ENOMEM:
	case EACCES: case EPERM: case EBUSY: case ETIME: case ENOTTY:
	case EIO: case EAGAIN: case EINTR: case ENODEV: case ENOSPC:
	case EOPNOTSUPP: case ECANCELED: case EBADF: case E2BIG:
	case ENXIO: case EOVERFLOW: case EEXIST: case EDEADLK:
		return 1;
	default:
		return 0;
	}
}

static void note_errno(const char *what, int e)
{
	__atomic_add_fetch(&errs[e & 255], 1, __ATOMIC_RELAXED);
	if (!errno_ok(e))
		fail("%s returned errno %ld", what, e);
}

/* A job's status from WAIT: 0 or a negative errno of a failed access. */
static void note_status(int st)
{
	if (st > 0 || st < -4095 || !errno_ok(-st))
		fail("%s: job status %ld", "WAIT", st);
}

/* An address: in the pool, its edges, or something invalid. */
static uint64_t pick_addr(uint64_t *s)
{
	struct region *r = &regions[below(s, NREGIONS)];
	long psz = page_size;

	switch (below(s, 12)) {
	case 0:
		return 0;
	case 1:
		return USER_END - psz * (1 + below(s, 3));
	case 2:
		return 0xffff888000000000ULL + below(s, 1 << 20) * psz;
	case 3:
		return 0x0000800000000000ULL + below(s, 16) * psz;
	case 4:
		return rnd(s);
	case 5:
		return (uintptr_t)r->start + below(s, r->size);
	default:
		return (uintptr_t)r->start + below(s, r->size / psz) * psz;
	}
}

static uint64_t pick_len(uint64_t *s)
{
	long psz = page_size;

	switch (below(s, 10)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL - below(s, 2 * psz);
	case 2:
		return 1ULL << 63;
	case 3:
		return 1 + below(s, 4 * psz);
	default:
		return psz * (1 + below(s, REGION_MAX / psz));
	}
}

/* Interesting values for a mutated field. */
static uint64_t boundary(uint64_t *s)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL,
		USER_END, USER_END - 4096,
	};

	return v[below(s, ARRAY_SIZE(v))];
}

/* Overwrite a few naturally aligned fields of @arg with noise. */
static void mutate(uint64_t *s, void *arg, size_t size)
{
	unsigned int k, n = 1 + below(s, 3);

	for (k = 0; k < n && size >= 4; k++) {
		size_t off = below(s, size / 4) * 4;
		uint64_t x = below(s, 2) ? boundary(s) : rnd(s);

		if (off + 8 <= size && off % 8 == 0 && below(s, 2))
			memcpy((char *)arg + off, &x, 8);
		else
			memcpy((char *)arg + off, &x, 4);
	}
}

static uint64_t pick_job(uint64_t *s, struct slot *sl)
{
	switch (below(s, 6)) {
	case 0:
		return rnd(s);
	case 1:
		return below(s, 4);
	default:
		return __atomic_load_n(&sl->jobs[below(s, 8)], __ATOMIC_RELAXED);
	}
}

static uint32_t pick_vm(uint64_t *s, struct slot *sl)
{
	switch (below(s, 8)) {
	case 0:
		return rnd(s);
	case 1:
		return below(s, 4);
	default:
		return __atomic_load_n(&sl->vm, __ATOMIC_RELAXED);
	}
}

/* A pointer the device may write through: scratch, edges or invalid. */
static uint64_t pick_ptr(uint64_t *s, struct worker *w)
{
	switch (below(s, 8)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)w->scratch + SCRATCH - page_size;
	case 2:
		return 0xffff888000000000ULL;
	case 3:
		return (uintptr_t)w->scratch + 1 + below(s, 4095);
	default:
		return (uintptr_t)w->scratch;
	}
}

/*
 * Random GPU ops into @ops; xe's and nouveau's op structs share this
 * layout (code, value, va, src, len). Returns how many.
 */
static unsigned int random_ops(uint64_t *s, struct drm_xe_glue_op *ops,
			       unsigned int max)
{
	unsigned int i, n = 1 + below(s, max);

	for (i = 0; i < n; i++)
		ops[i] = (struct drm_xe_glue_op){
			.code = below(s, 8), .value = rnd(s),
			.va = pick_addr(s), .len = pick_len(s) & ~3ULL,
			.src = below(s, 6) ? 0 : pick_addr(s),
		};
	if (below(s, 4))
		mutate(s, ops, n * sizeof(ops[0]));
	return n;
}

_Static_assert(sizeof(struct drm_xe_glue_op) == sizeof(struct drm_nouveau_glue_op),
	       "one op layout");

/* A request number near the driver's: another number, size, direction. */
static unsigned long neighbour(uint64_t *s, void *raw, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		((char *)raw)[i] = rnd(s);
	return _IOC(below(s, 4), DRM_IOCTL_BASE, DRM_COMMAND_BASE + below(s, 16),
		    below(s, 200));
}

/* xe_glue: one call of a random ioctl, with a valid-looking argument. */
static void xe_call(struct worker *w, struct slot *sl, int fd)
{
	uint64_t *s = &w->seed;
	union {
		struct drm_xe_glue_vm_create c;
		struct drm_xe_glue_vm_destroy d;
		struct drm_xe_glue_madvise m;
		struct drm_xe_glue_prefetch p;
		struct drm_xe_glue_exec e;
		struct drm_xe_glue_wait wt;
		struct drm_xe_glue_vm_stats st;
		char raw[256];
	} a;
	struct drm_xe_glue_op ops[9];
	unsigned int which = below(s, 9), n;
	unsigned long req;
	int ret;

	memset(&a, 0, sizeof(a));
	switch (which) {
	case 0:
		a.c.flags = DRM_XE_GLUE_VM_CREATE_FAULT_MODE;
		req = DRM_IOCTL_XE_GLUE_VM_CREATE;
		break;
	case 1:
		/* Rarely: destroying the slot's VM is a real event */
		a.d.vm_id = below(s, 20) ? pick_vm(s, sl) + 1 + below(s, 3) :
			    pick_vm(s, sl);
		req = DRM_IOCTL_XE_GLUE_VM_DESTROY;
		break;
	case 2:
		a.m = (struct drm_xe_glue_madvise){
			.vm_id = pick_vm(s, sl), .preferred_loc = below(s, 4),
			.start = pick_addr(s), .range = pick_len(s),
			.atomic = below(s, 4),
		};
		req = DRM_IOCTL_XE_GLUE_MADVISE;
		break;
	case 3:
		a.p = (struct drm_xe_glue_prefetch){
			.vm_id = pick_vm(s, sl), .location = below(s, 4),
			.start = pick_addr(s), .range = pick_len(s),
		};
		req = DRM_IOCTL_XE_GLUE_PREFETCH;
		break;
	case 4:
	case 5:
		n = random_ops(s, ops, 8);
		a.e = (struct drm_xe_glue_exec){
			.vm_id = pick_vm(s, sl), .num_ops = n,
			.ops = (uintptr_t)ops,
		};
		if (!below(s, 20))
			a.e.num_ops = boundary(s);
		if (!below(s, 20))
			a.e.ops = pick_addr(s);
		req = DRM_IOCTL_XE_GLUE_EXEC;
		break;
	case 6:
		a.wt = (struct drm_xe_glue_wait){
			.vm_id = pick_vm(s, sl), .job_id = pick_job(s, sl),
			.timeout_ns = below(s, 50) * 1000000LL,
		};
		req = DRM_IOCTL_XE_GLUE_WAIT;
		break;
	case 7:
		a.st.vm_id = pick_vm(s, sl);
		req = DRM_IOCTL_XE_GLUE_VM_STATS;
		break;
	default:
		req = neighbour(s, a.raw, sizeof(a.raw));
		break;
	}
	if (which != 4 && which != 5 && which != 6 && which < 8 &&
	    !below(s, 4))
		mutate(s, &a, _IOC_SIZE(req));
	/* Never wait long: a wait that does not end is a hang of ours */
	if (which == 6 && (a.wt.timeout_ns < 0 || a.wt.timeout_ns > 2000000000LL))
		a.wt.timeout_ns = 1000000;
	w->doing = which == 8 ? "xe random ioctl" :
		   xe_backend.ioctls[which <= 4 ? which : which - 1].name;
	ret = glue_ioctl(fd, req, &a);
	note_errno(w->doing, -ret);
	if (!ret && req == DRM_IOCTL_XE_GLUE_EXEC)
		__atomic_store_n(&sl->jobs[below(s, 8)], a.e.job_id,
				 __ATOMIC_RELAXED);
	if (!ret && req == DRM_IOCTL_XE_GLUE_WAIT)
		note_status(a.wt.status);
	if (!ret && req == DRM_IOCTL_XE_GLUE_VM_CREATE && below(s, 2)) {
		struct drm_xe_glue_vm_destroy d = { .vm_id = a.c.vm_id };

		note_errno("VM_DESTROY", -glue_ioctl(fd, DRM_IOCTL_XE_GLUE_VM_DESTROY, &d));
	}
}

/* nouveau_glue: the same for its channels. */
static void nv_call(struct worker *w, struct slot *sl, int fd)
{
	uint64_t *s = &w->seed;
	union {
		struct drm_nouveau_glue_svm_init i;
		struct drm_nouveau_glue_channel_free f;
		struct drm_nouveau_glue_svm_bind b;
		struct drm_nouveau_glue_exec e;
		struct drm_nouveau_glue_wait wt;
		struct drm_nouveau_glue_svm_stats st;
		char raw[256];
	} a;
	struct drm_xe_glue_op ops[9];
	unsigned int which = below(s, 8);
	uint64_t start = pick_addr(s);
	unsigned long req;
	int ret;

	memset(&a, 0, sizeof(a));
	switch (which) {
	case 0:
		a.i = (struct drm_nouveau_glue_svm_init){
			.flags = below(s, 2) ? DRM_NOUVEAU_GLUE_SVM_INIT_ALL : 0,
			.va_start = below(s, 2) ? 0 : start,
			.va_size = below(s, 2) ? 0 : pick_len(s),
		};
		req = DRM_IOCTL_NOUVEAU_GLUE_SVM_INIT;
		break;
	case 1:
		a.f.channel = below(s, 20) ? pick_vm(s, sl) + 1 + below(s, 3) :
			      pick_vm(s, sl);
		req = DRM_IOCTL_NOUVEAU_GLUE_CHANNEL_FREE;
		break;
	case 2:
		a.b = (struct drm_nouveau_glue_svm_bind){
			.channel = pick_vm(s, sl), .command = below(s, 3),
			.va_start = start, .va_end = start + pick_len(s),
			.target = below(s, 4), .atomic = below(s, 4),
		};
		req = DRM_IOCTL_NOUVEAU_GLUE_SVM_BIND;
		break;
	case 3:
	case 4:
		a.e = (struct drm_nouveau_glue_exec){
			.channel = pick_vm(s, sl), .num_ops = random_ops(s, ops, 8),
			.ops = (uintptr_t)ops,
		};
		if (!below(s, 20))
			a.e.num_ops = boundary(s);
		req = DRM_IOCTL_NOUVEAU_GLUE_EXEC;
		break;
	case 5:
		a.wt = (struct drm_nouveau_glue_wait){
			.channel = pick_vm(s, sl), .job = pick_job(s, sl),
			.timeout_ns = below(s, 50) * 1000000LL,
		};
		req = DRM_IOCTL_NOUVEAU_GLUE_WAIT;
		break;
	case 6:
		a.st.channel = pick_vm(s, sl);
		req = DRM_IOCTL_NOUVEAU_GLUE_SVM_STATS;
		break;
	default:
		req = neighbour(s, a.raw, sizeof(a.raw));
		break;
	}
	if (which < 7 && which != 3 && which != 4 && which != 5 && !below(s, 4))
		mutate(s, &a, _IOC_SIZE(req));
	w->doing = which == 7 ? "nouveau random ioctl" :
		   nouveau_backend.ioctls[which <= 3 ? which : which - 1].name;
	ret = glue_ioctl(fd, req, &a);
	note_errno(w->doing, -ret);
	if (!ret && req == DRM_IOCTL_NOUVEAU_GLUE_EXEC)
		__atomic_store_n(&sl->jobs[below(s, 8)], a.e.job, __ATOMIC_RELAXED);
	if (!ret && req == DRM_IOCTL_NOUVEAU_GLUE_WAIT)
		note_status(a.wt.status);
	if (!ret && req == DRM_IOCTL_NOUVEAU_GLUE_SVM_INIT && below(s, 2)) {
		struct drm_nouveau_glue_channel_free f = { .channel = a.i.channel };

		note_errno("CHANNEL_FREE",
			   -glue_ioctl(fd, DRM_IOCTL_NOUVEAU_GLUE_CHANNEL_FREE, &f));
	}
}

/*
 * A glue without a caller of its own yet: its ioctls with noise, the first
 * u32 (the VM or channel handle of every glue so far) mostly a live one.
 */
static void generic_call(struct worker *w, const struct backend *b,
			 struct slot *sl, int fd)
{
	uint64_t *s = &w->seed;
	const struct glue_ioctl *io = &b->ioctls[below(s, b->nioctls)];
	union {
		uint32_t id;
		char raw[256];
	} a;
	size_t i;

	for (i = 0; i < sizeof(a.raw); i += 8) {
		uint64_t x = below(s, 2) ? pick_addr(s) : boundary(s);

		memcpy(a.raw + i, &x, 8);
	}
	if (below(s, 4))
		a.id = pick_vm(s, sl);
	w->doing = io->name;
	note_errno(io->name, -glue_ioctl(fd, io->req, &a));
}

/* The mirror: one command, whole pages, device writes only to scratch. */
static void mirror_call(struct worker *w, int fd)
{
	uint64_t *s = &w->seed;
	const struct glue_ioctl *io = &mirror_backend.ioctls[below(s, mirror_backend.nioctls)];
	/* Room for whatever size a random request number claims */
	union {
		struct hmm_dmirror_cmd c;
		char raw[256];
	} a = { .c = {
		.addr = pick_addr(s), .ptr = pick_ptr(s, w),
		/* Huge but valid spans only take long: keep them invalid */
		.npages = below(s, 8) ? 1 + below(s, REGION_MAX / page_size) :
			  below(s, 2) ? boundary(s) | (1ULL << 40) : 0,
	} };
	unsigned long req = io->req;
	int ret;

	if (!below(s, 10))
		req = _IOC(below(s, 4), 'H', below(s, 12), below(s, 64));
	w->doing = io->name;
	ret = glue_ioctl(fd, req, &a);
	note_errno(io->name, -ret);
}

/* A slot of backend @b: open it if closed (it then has a fresh VM). */
static int slot_fd(unsigned int b, struct slot *sl, uint64_t *s)
{
	struct gpu g;
	int fd;

	pthread_mutex_lock(&nodes[b].lock);
	fd = sl->fd;
	if (fd < 0 && !gpu_open(&g, nodes[b].be, below(s, 2))) {
		sl->fd = g.fd;
		sl->vm = g.vm;
		fd = g.fd;
	}
	pthread_mutex_unlock(&nodes[b].lock);
	return fd;
}

static void slot_close(unsigned int b, struct slot *sl)
{
	pthread_mutex_lock(&nodes[b].lock);
	if (sl->fd >= 0)
		close(sl->fd);
	sl->fd = -1;
	sl->vm = 0;
	pthread_mutex_unlock(&nodes[b].lock);
}

/* Change the pool: what a process does to memory the GPU maps. */
static void memory_call(struct worker *w)
{
	uint64_t *s = &w->seed;
	struct region *r = &regions[below(s, NREGIONS)];
	int st = 1, ret = 0;

	if (!__atomic_compare_exchange_n(&r->state, &st, -1, 0,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		st = 0;
		if (!__atomic_compare_exchange_n(&r->state, &st, -1, 0,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			return;
		/* Unmapped: map it again, if nothing else took the hole */
		w->doing = "mmap";
		st = mmap(r->start, r->size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			  -1, 0) == r->start;
		__atomic_store_n(&r->state, st, __ATOMIC_SEQ_CST);
		return;
	}
	switch (below(s, 6)) {
	case 0:
		w->doing = "munmap";
		ret = munmap(r->start, r->size);
		st = ret ? 1 : 0;
		break;
	case 1:
		w->doing = "mprotect";
		ret = mprotect(r->start, r->size,
			       below(s, 2) ? PROT_READ : PROT_NONE);
		usleep(below(s, 2000));
		ret |= mprotect(r->start, r->size, PROT_READ | PROT_WRITE);
		break;
	case 2:
		w->doing = "madvise";
		ret = madvise(r->start, r->size, below(s, 2) ?
			      MADV_DONTNEED : MADV_HUGEPAGE);
		break;
	case 3: {
		pid_t pid;

		w->doing = "fork";
		pid = fork();
		if (!pid) {
			r->start[0] = 1;
			_exit(0);
		}
		if (pid > 0 && wait_child(pid))
			fail("%s: child failed %ld", "fork", pid);
		break;
	}
	default:
		w->doing = "CPU write";
		memset(r->start, (int)below(s, 256),
		       below(s, r->size / page_size + 1) * page_size);
		break;
	}
	if (ret)
		note_errno(w->doing, errno);
	__atomic_store_n(&r->state, st, __ATOMIC_SEQ_CST);
}

static void one_call(struct worker *w)
{
	uint64_t *s = &w->seed;
	unsigned int b = below(s, nbes), k = below(s, 100);
	struct slot *sl = &nodes[b].slots[below(s, SLOTS)];
	int fd;

	if (k < 15) {
		memory_call(w);
		return;
	}
	if (k < 18) {
		w->doing = "close";
		slot_close(b, sl);
		return;
	}
	fd = slot_fd(b, sl, s);
	if (fd < 0)
		return;
	if (k < 20) {
		/* mmap of the node: mirror inserts zeroed pages */
		size_t len = page_size * (1 + below(s, 4));
		char *m;

		w->doing = "mmap node";
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED) {
			m[0] = 1;
			munmap(m, len);
		}
		return;
	}
	if (nodes[b].be == &xe_backend)
		xe_call(w, sl, fd);
	else if (nodes[b].be == &nouveau_backend)
		nv_call(w, sl, fd);
	else if (nodes[b].be->driver)
		generic_call(w, nodes[b].be, sl, fd);
	else
		mirror_call(w, fd);
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	void *warm = malloc(64);

	/* This thread's malloc arena exists before the pool changes */
	free(warm);
	while (!__atomic_load_n(&failed, __ATOMIC_RELAXED) &&
	       __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) <= opt_calls &&
	       now_s() < deadline) {
		w->since = now_s();
		one_call(w);
		__atomic_add_fetch(&w->progress, 1, __ATOMIC_RELAXED);
	}
	w->doing = NULL;
	return NULL;
}

/* A thread that made no progress for opt_watchdog seconds is a hang. */
static void watch(unsigned int n)
{
	unsigned int i, running;

	do {
		running = 0;
		sleep(1);
		for (i = 0; i < n; i++) {
			const char *d = __atomic_load_n(&workers[i].doing,
							__ATOMIC_RELAXED);

			if (!d)
				continue;
			running++;
			if (now_s() - workers[i].since > opt_watchdog) {
				printf("# FAIL: thread %u stuck in %s for %.0f s\n",
				       i, d, now_s() - workers[i].since);
				printf("not ok - hang\n");
				fflush(stdout);
				_exit(3);
			}
		}
	} while (running);
}

static int make_pool(void)
{
	size_t off = 0, i;

	pool_size = 2 * NREGIONS * REGION_MAX;
	pool = mmap(NULL, pool_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (pool == MAP_FAILED)
		return -1;
	for (i = 0; i < NREGIONS; i++) {
		regions[i].size = i % 4 == 3 ? REGION_MAX :
				  page_size << (i % 6);
		/* A guard page between regions, 2 MiB alignment for some */
		off = (off + 2 * page_size + (i % 4 == 3 ? (2UL << 20) - 1 : 0)) &
		      ~(i % 4 == 3 ? (2UL << 20) - 1 : page_size - 1);
		regions[i].start = pool + off;
		off += regions[i].size;
		if (off > pool_size ||
		    mprotect(regions[i].start, regions[i].size,
			     PROT_READ | PROT_WRITE))
			return -1;
		regions[i].state = 1;
	}
	return 0;
}

static unsigned long total_calls;

static void total_calls_add(unsigned long n)
{
	total_calls += n;
}

static int fuzz_backend(unsigned int only)
{
	unsigned int i, saved = nbes, b;
	const struct backend *keep = bes[0];

	/* Backend @only alone, then all together */
	if (only < saved) {
		bes[0] = bes[only];
		nbes = 1;
	}
	for (b = 0; b < nbes; b++) {
		nodes[b].be = bes[b];
		pthread_mutex_init(&nodes[b].lock, NULL);
		for (i = 0; i < SLOTS; i++)
			nodes[b].slots[i].fd = -1;
	}
	deadline = now_s() + opt_seconds / (saved + 1);
	calls = 0;
	for (i = 0; i < opt_threads; i++) {
		workers[i].id = i;
		workers[i].seed = ((uint64_t)opt_seed << 20) + i * 7919 + only + 1;
		workers[i].doing = "start";
		workers[i].since = now_s();
		if (pthread_create(&workers[i].t, NULL, worker_fn, &workers[i]))
			return FAIL;
	}
	watch(opt_threads);
	for (i = 0; i < opt_threads; i++)
		pthread_join(workers[i].t, NULL);
	for (b = 0; b < nbes; b++)
		for (i = 0; i < SLOTS; i++)
			slot_close(b, &nodes[b].slots[i]);
	printf("# %lu calls\n", calls > opt_calls ? opt_calls : calls);
	total_calls_add(calls > opt_calls ? opt_calls : calls);
	bes[0] = keep;
	nbes = saved;
	return failed ? FAIL : PASS;
}

/* Each backend alone, its share of the calls and time. */
static int test_each(void)
{
	unsigned int b;
	int ret = PASS;

	for (b = 0; b < nbes && ret == PASS; b++) {
		printf("# %s alone\n", bes[b]->name);
		ret = fuzz_backend(b);
	}
	return ret;
}

/* Every backend at once, on the same pool. */
static int test_together(void)
{
	if (nbes < 2) {
		snprintf(skip_reason, sizeof(skip_reason), "one backend");
		return SKIP;
	}
	return fuzz_backend(nbes);
}

/* Afterwards a fresh VM on every unit stores and copies correctly. */
static int test_after(void)
{
	uint32_t *p = map_region(16 * page_size);
	unsigned int b, u, i, n = 16 * page_size / 4;
	int ret = FAIL;
	struct gpu g;

	CHECK(p);
	for (b = 0; b < nbes; b++) {
		for (u = 0; u < 2; u++) {
			if (gpu_open(&g, bes[b], u))
				continue;
			for (i = 0; i < n; i++)
				p[i] = i;
			i = gpu_run1(&g, GOP_COPY, 0, p + n / 2, p,
				     n * 2, NULL) ||
			    gpu_run1(&g, GOP_STORE, 9, p, NULL, page_size,
				     NULL);
			gpu_close(&g);
			CHECK(!i);
			for (i = 0; i < n; i++)
				CHECK(p[i] == (i < page_size / 4 ? 9 :
					       i < n / 2 ? i : i - n / 2));
			printf("# %s: unit %u works\n", g.node, u);
		}
	}
	ret = PASS;
out:
	unmap_region(p, 16 * page_size);
	return ret;
}

static const struct tap_test tests[] = {
	{ "each_backend", test_each },
	{ "all_backends", test_together },
	{ "after", test_after },
};

static int setup(void)
{
	unsigned int b, i;
	struct gpu g;
	int ret;

	for (b = 0; b < nbes; b++) {
		ret = gpu_open(&g, bes[b], 0);
		if (ret) {
			printf("Bail out! %s unit 0: %s\n", bes[b]->name,
			       strerror(-ret));
			return -1;
		}
		printf("# %s: %s\n", bes[b]->name, g.node);
		gpu_close(&g);
	}
	if (make_pool()) {
		printf("Bail out! no memory for the pool\n");
		return -1;
	}
	for (i = 0; i < opt_threads; i++) {
		workers[i].scratch = mmap(NULL, 2 * SCRATCH, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (workers[i].scratch == MAP_FAILED ||
		    mprotect(workers[i].scratch + SCRATCH, SCRATCH, PROT_NONE)) {
			printf("Bail out! no memory for scratch\n");
			return -1;
		}
	}
	printf("# seed %u, %u threads, at most %lu calls and %.0f s per part\n",
	       opt_seed, opt_threads, opt_calls, opt_seconds / (nbes + 1));
	return 0;
}

int main(int argc, char **argv)
{
	char *names = NULL, *tok;
	int opt, ret;
	unsigned int e;

	opt_seed = time(NULL);
	while ((opt = getopt(argc, argv, "b:n:t:j:s:w:")) != -1) {
		switch (opt) {
		case 'b':
			names = optarg;
			break;
		case 'n':
			opt_calls = strtoul(optarg, NULL, 0);
			break;
		case 't':
			opt_seconds = strtod(optarg, NULL);
			break;
		case 'j':
			opt_threads = strtoul(optarg, NULL, 0);
			break;
		case 's':
			opt_seed = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			opt_watchdog = strtod(optarg, NULL);
			break;
		default:
			opt_threads = 0;
		}
	}
	for (tok = strtok(names ? names : (char[]){ "xe,mirror" }, ",");
	     tok && nbes < MAX_BACKENDS; tok = strtok(NULL, ","))
		if (!(bes[nbes++] = backend_by_name(tok)))
			opt_threads = 0;
	if (!opt_threads || opt_threads > MAX_THREADS) {
		fprintf(stderr, "usage: %s [-b BACKEND,...] [-n CALLS] [-t SECONDS] [-j THREADS] [-s SEED] [-w WATCHDOG_S]\n",
			argv[0]);
		return 2;
	}
	/* Large mallocs from the heap: an mmap could take a pool hole */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	signal(SIGPIPE, SIG_IGN);
	argv[optind - 1] = argv[0];
	ret = tap_main(argc - optind + 1, argv + optind - 1, tests,
		       ARRAY_SIZE(tests), setup);
	printf("# errnos:");
	for (e = 0; e < 256; e++)
		if (errs[e])
			printf(" %s=%lu", e ? strerrorname_np(e) : "0", errs[e]);
	printf("\n# count: %lu fuzz iterations\n", total_calls);
	return ret;
}
