// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * gpusvm-inject: the fault-injection sweep of the reliability tests (R11).
 * For each operation of a backend (tools/gpusvm-glue.h) - its uAPI paths,
 * the GPU fault path, CPU faults on device memory, munmap, fork and close -
 * it fails the N-th injection point the operation reaches, for N = 1, 2,
 * ... until the operation runs through without reaching the N-th one.
 * Every failure must give a clean error (or be recovered from: migration
 * is best effort), leave memory holding old or new data and nothing else,
 * and leave the process and the device usable: the same operation, run
 * again at once without injection, must work and have its full effect.
 *
 * Modes (-m):
 *   nth   /proc/thread-self/fail-nth: the N-th should_fail() of the task,
 *         any attribute: failslab and fail_page_alloc (set to include
 *         sleeping and order-0 allocations), the core's fail_alloc (its
 *         allocations and DMA mappings) and fail_seqno (a forced seqno
 *         collision). The kernel's exact "fail the N-th", with task
 *         filtering built in; it covers what runs in the caller's task.
 *   copy  simgpu's fail_copy: the N-th COPY method of the device's copy
 *         channel fails (the channel's engine runs on a workqueue: not
 *         task filtered).
 *   core  the core's fail_alloc, not task filtered: the N-th allocation
 *         or DMA mapping of the core anywhere, which reaches the GPU fault
 *         workers of asynchronous jobs that fail-nth cannot.
 *
 * Each N runs in a fresh child process, so a crash, a hang or SIGBUS is
 * seen and attributed. Prints TAP 13, one test per operation, and a
 * "# count: N injection points" line.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

#define DBG		"/sys/kernel/debug"
#define BUF_PAGES	16
/* Child exit codes: the outcome of one N. */
enum {
	OUT_ERROR = 0,		/* the injection fired, a clean error */
	OUT_RECOVERED = 1,	/* it fired and the operation still worked */
	OUT_DONE = 2,		/* nothing fired: the sweep is over */
	OUT_ZERO = 3,		/* CPU fault: zeroed data after a failed copy */
	OUT_EFAULT = 4,		/* nth: -EFAULT, see mm_fault_efault() */
	OUT_BAD = 10,		/* anything else: the test fails */
};

enum mode { MODE_NTH, MODE_COPY, MODE_CORE };

static const struct backend *be;
static enum mode opt_mode = MODE_NTH;
static const char *const mode_names[] = { "nth", "copy", "core" };
static unsigned int opt_max = 2000;
/* -v: the fault attributes print a stack at each injected failure */
static int opt_verbose;
static double opt_seconds = 120;
static unsigned long total_points;

/* State of one run of an operation, in the child. */
struct ctx {
	struct gpu g;
	uint32_t *buf;		/* BUF_PAGES pages of pattern(seed) */
	uint32_t *out;		/* result buffer */
	size_t size;
	unsigned int seed;
	uint32_t value;		/* what a store writes */
};

/**
 * struct inj_op - One operation to sweep
 * @name: Test name, after the backend's
 * @mirror: 1: only on page-granular (mirror) backends, 0: only on job
 *	backends, -1: on both
 * @prepare: Build the state the operation needs; 0 or -errno
 * @run: The operation; 0 or -errno (the job status for jobs)
 * @check: After @run returned @ret: 1 if memory is right for that outcome
 */
struct inj_op {
	const char *name;
	int mirror;
	int (*prepare)(struct ctx *c);
	int (*run)(struct ctx *c);
	int (*check)(struct ctx *c, int ret);
};

static uint32_t pattern(size_t i, unsigned int seed)
{
	uint32_t x = (uint32_t)i * 2654435761u + seed * 40503u + 1;

	return x ^ (x >> 15);
}

/* Words of @p hold pattern(@seed), or @v where @v_ok. */
static int check_words(const uint32_t *p, size_t n, unsigned int seed,
		       int v_ok, uint32_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != pattern(i, seed) && !(v_ok && p[i] == v)) {
			printf("# word %zu: 0x%08x, want 0x%08x%s\n", i, p[i],
			       pattern(i, seed), v_ok ? " or the new value" : "");
			return 0;
		}
	return 1;
}

static int all_words(const uint32_t *p, size_t n, uint32_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v) {
			printf("# word %zu: 0x%08x, want 0x%08x\n", i, p[i], v);
			return 0;
		}
	return 1;
}

/* A GPU load of the buffer sums to what the CPU holds. */
static int gpu_sum_ok(struct ctx *c)
{
	uint64_t sum = 0, want = 0;
	size_t i;

	for (i = 0; i < c->size / 4; i++)
		want += c->buf[i];
	if (gpu_run1(&c->g, GOP_LOAD, 0, c->buf, NULL, c->size, &sum))
		return 0;
	if (sum != want)
		printf("# GPU sum 0x%llx, CPU 0x%llx\n",
		       (unsigned long long)sum, (unsigned long long)want);
	return sum == want;
}

/* Operations. */

static int prep_buf(struct ctx *c)
{
	size_t i;

	c->size = BUF_PAGES * page_size;
	c->buf = map_region(c->size);
	c->out = map_region(c->size);
	if (!c->buf || !c->out)
		return -ENOMEM;
	for (i = 0; i < c->size / 4; i++) {
		c->buf[i] = pattern(i, c->seed);
		c->out[i] = 0;
	}
	c->value = 0xc0ffee00 | c->seed;
	return 0;
}

static int prep_gpu(struct ctx *c)
{
	int ret = prep_buf(c);

	return ret ?: gpu_open(&c->g, be, 0);
}

/* Buffer in VRAM and GPU-mapped. */
static int prep_vram(struct ctx *c)
{
	int ret = prep_gpu(c);

	return ret ?: be->prefetch(&c->g, c->buf, c->size, 1);
}

/* Buffer GPU-mapped in system memory. */
static int prep_mapped(struct ctx *c)
{
	int ret = prep_gpu(c);

	return ret ?: be->prefetch(&c->g, c->buf, c->size, 0);
}

/* Find the node first: a failed lookup would just pick another unit. */
static int prep_node(struct ctx *c)
{
	int ret = prep_gpu(c);

	gpu_close(&c->g);
	return ret;
}

static int run_open(struct ctx *c)
{
	gpu_close(&c->g);
	return be->attach(&c->g);
}

static int check_open(struct ctx *c, int ret)
{
	return ret || gpu_sum_ok(c);
}

static int run_place_dev(struct ctx *c)
{
	return be->prefetch(&c->g, c->buf, c->size, 1);
}

static int run_place_sys(struct ctx *c)
{
	return be->prefetch(&c->g, c->buf, c->size, 0);
}

/* Placement never changes data: the GPU and the CPU agree on it. */
static int check_place(struct ctx *c, int ret)
{
	(void)ret;
	return gpu_sum_ok(c) && check_words(c->buf, c->size / 4, c->seed, 0, 0);
}

static int run_store(struct ctx *c)
{
	return gpu_run1(&c->g, GOP_STORE, c->value, c->buf, NULL, c->size,
			NULL);
}

static int check_store(struct ctx *c, int ret)
{
	if (!ret)
		return all_words(c->buf, c->size / 4, c->value);
	return check_words(c->buf, c->size / 4, c->seed, 1, c->value);
}

static int run_copy_out(struct ctx *c)
{
	return gpu_run1(&c->g, GOP_COPY, 0, c->out, c->buf, c->size, NULL);
}

static int check_copy_out(struct ctx *c, int ret)
{
	size_t i;

	if (!check_words(c->buf, c->size / 4, c->seed, 0, 0))
		return 0;
	for (i = 0; i < c->size / 4; i++)
		if (c->out[i] != c->buf[i] && (!ret || c->out[i])) {
			printf("# copy word %zu: 0x%08x\n", i, c->out[i]);
			return 0;
		}
	return 1;
}

static int run_atomic(struct ctx *c)
{
	return gpu_run1(&c->g, GOP_ATOMIC_ADD, 1, c->buf, NULL, c->size, NULL);
}

static int check_atomic(struct ctx *c, int ret)
{
	size_t i;

	for (i = 0; i < c->size / 4; i++) {
		uint32_t w = pattern(i, c->seed);

		if (c->buf[i] != w + 1 && (!ret || c->buf[i] != w)) {
			printf("# word %zu: 0x%08x, want 0x%08x + 1\n", i,
			       c->buf[i], w);
			return 0;
		}
	}
	return 1;
}

/* The CPU reads the buffer back from VRAM: migrate_to_ram. */
static int run_cpu_read(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->size / 4; i++)
		c->out[i] = ((volatile uint32_t *)c->buf)[i];
	return 0;
}

/* R2: the right data, or zeroes (a failed copy), never stale data. */
static int check_cpu_read(struct ctx *c, int ret)
{
	size_t i, zero = 0;

	(void)ret;
	for (i = 0; i < c->size / 4; i++) {
		if (c->out[i] == pattern(i, c->seed))
			continue;
		if (c->out[i]) {
			printf("# CPU read word %zu: 0x%08x, want 0x%08x\n", i,
			       c->out[i], pattern(i, c->seed));
			return 0;
		}
		zero++;
	}
	return zero ? 2 : 1;
}

static int run_cpu_write(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->size / 4; i += 256)
		c->buf[i] = c->value;
	return 0;
}

static int check_cpu_write(struct ctx *c, int ret)
{
	size_t i;

	(void)ret;
	for (i = 0; i < c->size / 4; i++) {
		uint32_t want = i % 256 ? pattern(i, c->seed) : c->value;

		if (c->buf[i] != want && (i % 256 || c->buf[i])) {
			printf("# word %zu: 0x%08x, want 0x%08x\n", i,
			       c->buf[i], want);
			return 0;
		}
	}
	return gpu_sum_ok(c);
}

/* munmap of the middle of a GPU-mapped range: split VMA, invalidate. */
static int run_munmap(struct ctx *c)
{
	return munmap((char *)c->buf + 4 * page_size, 4 * page_size) ?
	       -errno : 0;
}

static int check_munmap(struct ctx *c, int ret)
{
	size_t w = page_size / 4;
	uint32_t *hi = c->buf + 8 * w;

	if (!check_words(c->buf, 4 * w, c->seed, 0, 0))
		return 0;
	if (!ret && !gpu_run1(&c->g, GOP_LOAD, 0, c->buf + 4 * w, NULL,
			      page_size, NULL)) {
		printf("# GPU load of an unmapped page worked\n");
		return 0;
	}
	for (size_t i = 0; i < (BUF_PAGES - 8) * w; i++)
		if (hi[i] != pattern(i + 8 * w, c->seed))
			return 0;
	return gpu_run1(&c->g, GOP_LOAD, 0, hi, NULL, 4 * page_size, NULL) == 0;
}

/* fork with device pages: the parent keeps its data whatever happens. */
static int run_fork(struct ctx *c)
{
	pid_t pid = fork();

	(void)c;
	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(0);
	return wait_child(pid) ? -ECHILD : 0;
}

static int check_fork(struct ctx *c, int ret)
{
	(void)ret;
	return check_words(c->buf, c->size / 4, c->seed, 0, 0) && gpu_sum_ok(c);
}

/* close with VRAM and GPU mappings: teardown, then the CPU has it all. */
static int run_close(struct ctx *c)
{
	gpu_close(&c->g);
	return 0;
}

static int check_close(struct ctx *c, int ret)
{
	(void)ret;
	if (!check_words(c->buf, c->size / 4, c->seed, 0, 0))
		return 0;
	return !be->attach(&c->g) && gpu_sum_ok(c);
}

/* Mirror-only commands. */

static int mirror_ioc(struct ctx *c, unsigned long req, void *ptr)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)c->buf, .ptr = (uintptr_t)ptr,
		.npages = c->size / page_size,
	};

	return glue_ioctl(c->g.fd, req, &cmd);
}

static int run_snapshot(struct ctx *c)
{
	return mirror_ioc(c, HMM_DMIRROR_SNAPSHOT, c->out);
}

static int check_snapshot(struct ctx *c, int ret)
{
	const uint8_t *s = (const uint8_t *)c->out;
	size_t i;

	for (i = 0; !ret && i < BUF_PAGES; i++)
		if (!(s[i] & (HMM_DMIRROR_PROT_READ | HMM_DMIRROR_PROT_WRITE))) {
			printf("# snapshot page %zu: 0x%02x\n", i, s[i]);
			return 0;
		}
	return check_words(c->buf, c->size / 4, c->seed, 0, 0);
}

static int run_exclusive(struct ctx *c)
{
	return mirror_ioc(c, HMM_DMIRROR_EXCLUSIVE, c->out);
}

static int run_release(struct ctx *c)
{
	return mirror_ioc(c, HMM_DMIRROR_RELEASE, c->out);
}

static const struct inj_op ops[] = {
	{ "open", -1, prep_node, run_open, check_open },
	{ "prefetch_system", -1, prep_gpu, run_place_sys, check_place },
	{ "prefetch_device", -1, prep_gpu, run_place_dev, check_place },
	{ "prefetch_back", -1, prep_vram, run_place_sys, check_place },
	{ "gpu_store", -1, prep_gpu, run_store, check_store },
	{ "gpu_store_vram", -1, prep_vram, run_store, check_store },
	{ "gpu_copy", -1, prep_gpu, run_copy_out, check_copy_out },
	{ "gpu_atomic", 0, prep_gpu, run_atomic, check_atomic },
	{ "cpu_read_vram", -1, prep_vram, run_cpu_read, check_cpu_read },
	{ "cpu_write_vram", -1, prep_vram, run_cpu_write, check_cpu_write },
	{ "munmap_mapped", -1, prep_mapped, run_munmap, check_munmap },
	{ "munmap_vram", -1, prep_vram, run_munmap, check_munmap },
	{ "fork_vram", -1, prep_vram, run_fork, check_fork },
	{ "close_vram", -1, prep_vram, run_close, check_close },
	{ "snapshot", 1, prep_mapped, run_snapshot, check_snapshot },
	{ "exclusive", 1, prep_gpu, run_exclusive, check_place },
	{ "release", 1, prep_vram, run_release, check_place },
};

/* Injection: arm before the operation, then say whether it fired. */

static const char *attr_dir(void)
{
	return opt_mode == MODE_COPY ? DBG "/simgpu/0/fail_copy" :
	       DBG "/drm_gpusvm/fail_alloc";
}

static int arm(unsigned int n)
{
	char path[96];

	if (opt_mode == MODE_NTH)
		return file_put_num("/proc/thread-self/fail-nth", n);
	snprintf(path, sizeof(path), "%s/space", attr_dir());
	if (file_put_num(path, n))
		return -EIO;
	snprintf(path, sizeof(path), "%s/times", attr_dir());
	return file_put_num(path, 1);
}

/* 1 if the armed failure happened; disarms in any case. */
static int disarm(void)
{
	char path[96];
	long left;

	if (opt_mode == MODE_NTH) {
		left = file_get_num("/proc/thread-self/fail-nth");
		file_put_num("/proc/thread-self/fail-nth", 0);
		return left == 0;
	}
	snprintf(path, sizeof(path), "%s/times", attr_dir());
	left = file_get_num(path);
	file_put_num(path, 0);
	return left == 0;
}

/* Errors an injected failure may give. */
static int clean_error(int ret)
{
	return ret == -ENOMEM || ret == -EIO || ret == -EBUSY ||
	       ret == -EAGAIN || ret == -EINTR || ret == -ENOSPC ||
	       ret == -ECANCELED;
}

/*
 * Fault in this much stack now, so that the injection points of the
 * operation are the kernel's work for it, not the first touch of a stack
 * page (which would just retry the fault).
 */
static void __attribute__((noinline)) prefault_stack(void)
{
	volatile char b[256 << 10];

	memset((char *)b, 0, sizeof(b));
}

/*
 * hmm_range_fault() turns every VM_FAULT_ERROR into -EFAULT, VM_FAULT_OOM
 * included, so a page allocation failing inside handle_mm_fault() under a
 * GPU fault reaches user space as -EFAULT. Only the nth mode can fail
 * those; the core's own failures (core mode) must not look like that.
 */
static int mm_fault_efault(int ret)
{
	return opt_mode == MODE_NTH && ret == -EFAULT;
}

/* One N in a child: the outcome as its exit code. */
static int child(const struct inj_op *op, unsigned int n)
{
	struct ctx c = { .g = { .fd = -1 }, .seed = n };
	int ret, first, fired, ok;

	ret = op->prepare(&c);
	if (ret) {
		printf("# %s: prepare: %s\n", op->name, strerror(-ret));
		return OUT_BAD;
	}
	prefault_stack();
	if (arm(n)) {
		printf("# cannot arm the injection\n");
		return OUT_BAD;
	}
	ret = op->run(&c);
	fired = disarm();
	if (ret && (!fired || !(clean_error(ret) || mm_fault_efault(ret)))) {
		printf("# %s N=%u: %s (%s)\n", op->name, n, strerror(-ret),
		       fired ? "not a clean error for an injected failure" :
		       "without an injected failure");
		return OUT_BAD;
	}
	ok = op->check(&c, ret);
	if (!ok) {
		printf("# %s N=%u: wrong memory contents after %s\n", op->name,
		       n, ret ? strerror(-ret) : "success");
		return OUT_BAD;
	}
	if (!fired)
		return OUT_DONE;
	first = ret;
	/* Still usable: the same again works in full. */
	if (op->run == run_close || op->run == run_open || op->run == run_fork) {
		ret = op->run(&c);
	} else {
		gpu_close(&c.g);
		unmap_region(c.buf, c.size);
		unmap_region(c.out, c.size);
		c.seed = n + 1000000;
		ret = op->prepare(&c) ?: op->run(&c);
	}
	if (ret || op->check(&c, 0) != 1) {
		printf("# %s N=%u: the operation failed again without injection: %s\n",
		       op->name, n, strerror(-ret));
		return OUT_BAD;
	}
	if (ok == 2)
		return OUT_ZERO;
	if (mm_fault_efault(first))
		return OUT_EFAULT;
	return first ? OUT_ERROR : OUT_RECOVERED;
}

static const struct inj_op *cur_op;

/* Sweep N = 1, 2, ... for the current operation. */
static int sweep(void)
{
	unsigned int n, counts[OUT_EFAULT + 1] = { 0 };
	double end = now_s() + opt_seconds;
	int status;
	pid_t pid;

	if ((cur_op->mirror == 1 && !be->page_ops) ||
	    (cur_op->mirror == 0 && be->page_ops) ||
	    (cur_op->run == run_atomic && !be->has_atomic)) {
		snprintf(skip_reason, sizeof(skip_reason), "not on %s",
			 be->name);
		return SKIP;
	}
	for (n = 1; n <= opt_max; n++) {
		if (now_s() > end) {
			printf("# time bound after %u points\n", n - 1);
			break;
		}
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return FAIL;
		if (!pid)
			_exit(child(cur_op, n));
		if (waitpid(pid, &status, 0) != pid)
			return FAIL;
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS &&
		    (cur_op->run == run_cpu_read ||
		     cur_op->run == run_cpu_write)) {
			counts[OUT_ZERO]++;
			continue;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) > OUT_EFAULT) {
			printf("# N=%u: child status 0x%x\n", n, status);
			return FAIL;
		}
		if (WEXITSTATUS(status) == OUT_DONE)
			break;
		counts[WEXITSTATUS(status)]++;
	}
	if (n > opt_max)
		printf("# stopped at %u points\n", opt_max);
	printf("# %s/%s: %u injection points: %u errors, %u recovered, %u zeroed or SIGBUS, %u -EFAULT from a fault\n",
	       be->name, cur_op->name, n - 1, counts[OUT_ERROR],
	       counts[OUT_RECOVERED], counts[OUT_ZERO], counts[OUT_EFAULT]);
	total_points += n - 1;
	return PASS;
}

/* A tap_test per operation; tap.h calls them without arguments. */
#define SWEEP_FN(i) static int sweep_##i(void) { cur_op = &ops[i]; return sweep(); }
SWEEP_FN(0) SWEEP_FN(1) SWEEP_FN(2) SWEEP_FN(3) SWEEP_FN(4) SWEEP_FN(5)
SWEEP_FN(6) SWEEP_FN(7) SWEEP_FN(8) SWEEP_FN(9) SWEEP_FN(10) SWEEP_FN(11)
SWEEP_FN(12) SWEEP_FN(13) SWEEP_FN(14) SWEEP_FN(15) SWEEP_FN(16)

static struct tap_test tests[] = {
	{ NULL, sweep_0 }, { NULL, sweep_1 }, { NULL, sweep_2 },
	{ NULL, sweep_3 }, { NULL, sweep_4 }, { NULL, sweep_5 },
	{ NULL, sweep_6 }, { NULL, sweep_7 }, { NULL, sweep_8 },
	{ NULL, sweep_9 }, { NULL, sweep_10 }, { NULL, sweep_11 },
	{ NULL, sweep_12 }, { NULL, sweep_13 }, { NULL, sweep_14 },
	{ NULL, sweep_15 }, { NULL, sweep_16 },
};

_Static_assert(ARRAY_SIZE(tests) == ARRAY_SIZE(ops), "one test per op");

/* The fault attributes: quiet, and including what the sweep must fail. */
static int setup(void)
{
	static const char *const quiet[] = {
		DBG "/failslab/verbose", DBG "/fail_page_alloc/verbose",
		DBG "/drm_gpusvm/fail_alloc/verbose",
		DBG "/drm_gpusvm/fail_seqno/verbose",
		DBG "/simgpu/0/fail_copy/verbose",
	};
	char node[40];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(quiet); i++)
		file_put(quiet[i], opt_verbose ? "2" : "0");
	if (file_put(DBG "/failslab/ignore-gfp-wait", "N") ||
	    file_put(DBG "/fail_page_alloc/ignore-gfp-wait", "N") ||
	    file_put(DBG "/fail_page_alloc/ignore-gfp-highmem", "N") ||
	    file_put(DBG "/fail_page_alloc/min-order", "0")) {
		printf("Bail out! no failslab/fail_page_alloc in debugfs\n");
		return -1;
	}
	if (opt_mode != MODE_NTH) {
		char path[96];

		snprintf(path, sizeof(path), "%s/probability", attr_dir());
		if (file_put(path, "100")) {
			printf("Bail out! no %s\n", attr_dir());
			return -1;
		}
		snprintf(path, sizeof(path), "%s/times", attr_dir());
		file_put(path, "0");
	}
	if (gpu_probe(be, node, sizeof(node)))
		return -1;
	printf("# backend %s (%s), mode %s\n", be->name, node,
	       mode_names[opt_mode]);
	return 0;
}

int main(int argc, char **argv)
{
	static char names[ARRAY_SIZE(ops)][48];
	int opt, ret;
	size_t i;

	be = &xe_backend;
	while ((opt = getopt(argc, argv, "b:m:n:t:v")) != -1) {
		switch (opt) {
		case 'b':
			be = backend_by_name(optarg);
			break;
		case 'm':
			for (i = 0; i < ARRAY_SIZE(mode_names); i++)
				if (!strcmp(optarg, mode_names[i]))
					opt_mode = i;
			break;
		case 'n':
			opt_max = strtoul(optarg, NULL, 0);
			break;
		case 't':
			opt_seconds = strtod(optarg, NULL);
			break;
		case 'v':
			opt_verbose = 1;
			break;
		default:
			be = NULL;
		}
	}
	if (!be) {
		fprintf(stderr, "usage: %s [-b BACKEND] [-m nth|copy|core] [-n MAX_N] [-t SECONDS_PER_OP] [-v] [OP]...\n",
			argv[0]);
		return 2;
	}
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		snprintf(names[i], sizeof(names[i]), "%s", ops[i].name);
		tests[i].name = names[i];
	}
	argv[optind - 1] = argv[0];
	ret = tap_main(argc - optind + 1, argv + optind - 1, tests,
		       ARRAY_SIZE(tests), setup);
	if (opt_mode != MODE_NTH) {
		char path[96];

		snprintf(path, sizeof(path), "%s/probability", attr_dir());
		file_put(path, "0");
	}
	printf("# count: %lu injection points\n", total_points);
	return ret;
}
