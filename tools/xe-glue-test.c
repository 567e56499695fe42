// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * xe-glue-test: TAP tests of the xe_glue uAPI (drivers/xe-glue/xe_glue_drm.h)
 * on the first render node whose driver is xe_glue. Good input must have
 * the documented effect, checked by content (what the CPU reads after a GPU
 * store, what a GPU load sums up, where pages went according to VM_STATS);
 * bad input must return the documented errno and change nothing (the
 * counters a call could move, and the memory it could write, are compared
 * before and after). Prints TAP 13 and exits 1 if any test failed.
 *
 * Build it static (it runs in the VM's busybox initramfs) with
 * -Idrivers/xe-glue and a <drm/drm.h> from the kernel's headers_install.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xe_glue_drm.h"
#include "tap.h"

#define DRIVER_NAME	"xe_glue"
#define SZ_2M		(2UL << 20)
/* x86-64 with 4-level paging (the VM boots with no5lvl). */
#define USER_VA_END	(1ULL << 47)
/* Long enough for anything the tests submit under qemu TCG. */
#define WAIT_NS		(120LL * 1000000000LL)
/* A render node number that cannot be another test's. */
#define MAX_NODES	64

static char node_path[64];
static int node_count;

/* Like CHECK, but says what an ioctl or job returned when it is wrong. */
#define CHECK_EQ(got, want) do {					\
	long long g__ = (got), w__ = (want);				\
	if (g__ != w__) {						\
		printf("# %s:%d: %s = %lld, want %lld\n",		\
		       __func__, __LINE__, #got, g__, w__);		\
		goto out;						\
	}								\
} while (0)

/* Errno of a failed call in a child, or of a call that may fail two ways. */
#define CHECK_ERR2(got, e1, e2) do {					\
	long long g__ = (got), a__ = (e1), b__ = (e2);			\
	if (g__ != -a__ && g__ != -b__) {				\
		printf("# %s:%d: %s = %lld, want -%lld or -%lld\n",	\
		       __func__, __LINE__, #got, g__, a__, b__);	\
		goto out;						\
	}								\
} while (0)

/* ioctl wrappers: 0 or -errno. */

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int vm_create(int fd, uint32_t flags, uint32_t *vm)
{
	struct drm_xe_glue_vm_create c = { .flags = flags };
	int ret = xioctl(fd, DRM_IOCTL_XE_GLUE_VM_CREATE, &c);

	if (!ret)
		*vm = c.vm_id;
	return ret;
}

static int vm_destroy(int fd, uint32_t vm)
{
	struct drm_xe_glue_vm_destroy d = { .vm_id = vm };

	return xioctl(fd, DRM_IOCTL_XE_GLUE_VM_DESTROY, &d);
}

static int do_madvise(int fd, uint32_t vm, const void *start, uint64_t range,
		      uint32_t loc, uint32_t atomic)
{
	struct drm_xe_glue_madvise m = {
		.vm_id = vm, .preferred_loc = loc, .start = (uintptr_t)start,
		.range = range, .atomic = atomic,
	};

	return xioctl(fd, DRM_IOCTL_XE_GLUE_MADVISE, &m);
}

static int do_prefetch(int fd, uint32_t vm, const void *start, uint64_t range,
		       uint32_t loc)
{
	struct drm_xe_glue_prefetch p = {
		.vm_id = vm, .location = loc, .start = (uintptr_t)start,
		.range = range,
	};

	return xioctl(fd, DRM_IOCTL_XE_GLUE_PREFETCH, &p);
}

static int do_exec(int fd, uint32_t vm, const struct drm_xe_glue_op *ops,
		   uint32_t n, uint64_t *job)
{
	struct drm_xe_glue_exec e = {
		.vm_id = vm, .num_ops = n, .ops = (uintptr_t)ops,
	};
	int ret = xioctl(fd, DRM_IOCTL_XE_GLUE_EXEC, &e);

	if (!ret)
		*job = e.job_id;
	return ret;
}

static int do_wait(int fd, uint32_t vm, uint64_t job, int64_t timeout,
		   int32_t *status, uint64_t *result)
{
	struct drm_xe_glue_wait w = {
		.vm_id = vm, .job_id = job, .timeout_ns = timeout,
		.status = 0x7eadbeef,
	};
	int ret = xioctl(fd, DRM_IOCTL_XE_GLUE_WAIT, &w);

	if (!ret) {
		if (status)
			*status = w.status;
		if (result)
			*result = w.result;
	}
	return ret;
}

static int get_stats(int fd, uint32_t vm, struct drm_xe_glue_vm_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->vm_id = vm;
	return xioctl(fd, DRM_IOCTL_XE_GLUE_VM_STATS, s);
}

static struct drm_xe_glue_op op(uint32_t code, uint32_t value, const void *va,
				const void *src, uint64_t len)
{
	struct drm_xe_glue_op o = {
		.code = code, .value = value, .va = (uintptr_t)va,
		.src = (uintptr_t)src, .len = len,
	};

	return o;
}

/*
 * Submit @n ops and wait for them. Returns the ioctl error, or the job's
 * status (0 or its negative errno) with the load sum in @result.
 */
static int run_ops(int fd, uint32_t vm, const struct drm_xe_glue_op *ops,
		   uint32_t n, uint64_t *result)
{
	int32_t status = 0;
	uint64_t job;
	int ret;

	ret = do_exec(fd, vm, ops, n, &job);
	if (ret)
		return ret;
	ret = do_wait(fd, vm, job, WAIT_NS, &status, result);
	if (ret) {
		printf("# wait for job %llu: %s\n", (unsigned long long)job,
		       strerror(-ret));
		return -ENOTRECOVERABLE;
	}
	return status;
}

static int run1(int fd, uint32_t vm, uint32_t code, uint32_t value,
		const void *va, const void *src, uint64_t len,
		uint64_t *result)
{
	struct drm_xe_glue_op o = op(code, value, va, src, len);

	return run_ops(fd, vm, &o, 1, result);
}

/* A test's device: its own open file and one VM in fault mode. */
struct fx {
	int fd;
	uint32_t vm;
};

#define FX_INIT	{ .fd = -1, .vm = 0 }

static int fx_open(struct fx *f)
{
	f->vm = 0;
	f->fd = open(node_path, O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	return vm_create(f->fd, DRM_XE_GLUE_VM_CREATE_FAULT_MODE, &f->vm);
}

static void fx_close(struct fx *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/*
 * The counters a call that should fail could move. TLB flushes and
 * invalidations are left out: khugepaged or compaction may cause those at
 * any time. So are migrations to RAM, which are device wide: any CPU
 * access to any page in VRAM moves them (glibc's heap, say, after a GPU
 * job on a heap buffer had it migrated).
 */
static int stats_same(const struct drm_xe_glue_vm_stats *a,
		      const struct drm_xe_glue_vm_stats *b)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
#define F(x) { #x, offsetof(struct drm_xe_glue_vm_stats, x) }
		F(gpu_faults), F(pages_mapped), F(migrations_to_vram),
		F(bytes_to_vram), F(jobs), F(jobs_failed), F(evictions),
#undef F
	};
	int same = 1;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(f); i++) {
		uint64_t x = *(const uint64_t *)((const char *)a + f[i].off);
		uint64_t y = *(const uint64_t *)((const char *)b + f[i].off);

		if (x != y) {
			printf("# stats.%s changed: %llu -> %llu\n", f[i].name,
			       (unsigned long long)x, (unsigned long long)y);
			same = 0;
		}
	}
	return same;
}

static uint32_t pattern(size_t i, unsigned int seed)
{
	uint32_t x = (uint32_t)i * 2654435761u + seed * 40503u + 1;

	return x ^ (x >> 13);
}

static void fill(uint32_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pattern(i, seed);
}

/* Does @p[0..n) hold fill(@seed)? Reports the first wrong word. */
static int check_fill(const uint32_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != pattern(i, seed)) {
			printf("# word %zu: 0x%08x, want 0x%08x\n", i, p[i],
			       pattern(i, seed));
			return 0;
		}
	}
	return 1;
}

/* Does @p[from..to) hold what fill(@seed) put there? */
static int check_fill_range(const uint32_t *p, size_t from, size_t to,
			    unsigned int seed)
{
	size_t i;

	for (i = from; i < to; i++) {
		if (p[i] != pattern(i, seed)) {
			printf("# word %zu: 0x%08x, want 0x%08x\n", i, p[i],
			       pattern(i, seed));
			return 0;
		}
	}
	return 1;
}

static int check_value(const uint32_t *p, size_t n, uint32_t v)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != v) {
			printf("# word %zu: 0x%08x, want 0x%08x\n", i, p[i], v);
			return 0;
		}
	}
	return 1;
}

static uint64_t sum32(const uint32_t *p, size_t n)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += p[i];
	return s;
}

/* An address range that nothing maps: mapped, then unmapped again. */
static void *hole(size_t size)
{
	void *p = map_region(size);

	if (p)
		unmap_region(p, size);
	return p;
}

/* Tests. */

static int test_version(void)
{
	char name[32] = "";
	struct drm_version v = {
		.name = name, .name_len = sizeof(name) - 1,
	};
	int fd = open(node_path, O_RDWR | O_CLOEXEC), ret = FAIL;

	CHECK(fd >= 0);
	CHECK_EQ(xioctl(fd, DRM_IOCTL_VERSION, &v), 0);
	CHECK(!strcmp(name, DRIVER_NAME));
	CHECK(!strncmp(node_path, "/dev/dri/renderD", 16));
	printf("# %s: %s %d.%d.%d, %d xe_glue node(s)\n", node_path, name,
	       v.version_major, v.version_minor, v.version_patchlevel,
	       node_count);
	ret = PASS;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

static int test_vm_create_destroy(void)
{
	struct drm_xe_glue_vm_stats s, zero;
	int fd = open(node_path, O_RDWR | O_CLOEXEC), ret = FAIL;
	uint32_t a = 0, b = 0;

	CHECK(fd >= 0);
	CHECK_EQ(vm_create(fd, DRM_XE_GLUE_VM_CREATE_FAULT_MODE, &a), 0);
	CHECK_EQ(vm_create(fd, DRM_XE_GLUE_VM_CREATE_FAULT_MODE, &b), 0);
	CHECK(a != 0 && b != 0 && a != b);

	/* A new VM has done nothing. */
	memset(&zero, 0, sizeof(zero));
	CHECK_EQ(get_stats(fd, a, &s), 0);
	zero.vm_id = a;
	CHECK(!memcmp(&s, &zero, sizeof(s)) || stats_same(&s, &zero));
	CHECK(s.gpu_faults == 0 && s.jobs == 0 && s.pages_mapped == 0);

	CHECK_EQ(vm_destroy(fd, a), 0);
	CHECK_EQ(get_stats(fd, a, &s), -ENOENT);
	CHECK_EQ(vm_destroy(fd, a), -ENOENT);
	CHECK_EQ(get_stats(fd, b, &s), 0);
	CHECK_EQ(vm_destroy(fd, b), 0);
	ret = PASS;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* STORE over odd spans: the CPU sees exactly the stored words. */
static int test_store(void)
{
	size_t n = 3 * SZ_2M / 4;
	uint32_t *p = malloc(n * 4);
	struct drm_xe_glue_vm_stats s0, s1;
	struct drm_xe_glue_op ops[3];
	uint64_t result = 1;
	struct fx f = FX_INIT;
	int ret = FAIL;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 1);
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);
	/* Word 0 alone, a span crossing pages, one ending at the end. */
	ops[0] = op(DRM_XE_GLUE_OP_STORE, 0xa0a0a0a0, p, NULL, 4);
	ops[1] = op(DRM_XE_GLUE_OP_STORE, 0xb1b1b1b1, p + 1000, NULL,
		    4 * 3000);
	ops[2] = op(DRM_XE_GLUE_OP_STORE, 0xc2c2c2c2, p + n - 5000, NULL,
		    4 * 5000);
	CHECK_EQ(run_ops(f.fd, f.vm, ops, 3, &result), 0);
	CHECK_EQ(result, 0);

	CHECK_EQ(p[0], 0xa0a0a0a0);
	CHECK(check_fill_range(p, 1, 1000, 1));
	CHECK(check_value(p + 1000, 3000, 0xb1b1b1b1));
	CHECK(check_fill_range(p, 4000, n - 5000, 1));
	CHECK(check_value(p + n - 5000, 5000, 0xc2c2c2c2));

	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK(s1.gpu_faults > s0.gpu_faults);
	CHECK(s1.pages_mapped > s0.pages_mapped);
	CHECK_EQ(s1.jobs, s0.jobs + 1);
	CHECK_EQ(s1.jobs_failed, s0.jobs_failed);
	ret = PASS;
out:
	fx_close(&f);
	free(p);
	return ret;
}

/* LOAD returns the sum the CPU computes, over odd and large spans. */
static int test_load(void)
{
	size_t n = 5 * SZ_2M / 4;
	uint32_t *p = malloc(n * 4);
	struct drm_xe_glue_op ops[4];
	uint64_t result = 0, want;
	struct fx f = FX_INIT;
	int ret = FAIL;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 2);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, n * 4,
		      &result), 0);
	CHECK_EQ(result, sum32(p, n));

	/* Several loads in one job add up. */
	ops[0] = op(DRM_XE_GLUE_OP_LOAD, 0, p + 7, NULL, 4);
	ops[1] = op(DRM_XE_GLUE_OP_LOAD, 0, p + 1023, NULL, 4 * 2);
	ops[2] = op(DRM_XE_GLUE_OP_LOAD, 0, p + 300000, NULL, 4 * 250000);
	ops[3] = op(DRM_XE_GLUE_OP_LOAD, 0, p + n - 1, NULL, 4);
	want = p[7] + (uint64_t)p[1023] + p[1024] + sum32(p + 300000, 250000) +
	       p[n - 1];
	CHECK_EQ(run_ops(f.fd, f.vm, ops, 4, &result), 0);
	CHECK_EQ(result, want);

	/* The CPU changes a word; the GPU sees the change. */
	p[300001] += 12345;
	CHECK_EQ(run_ops(f.fd, f.vm, ops, 4, &result), 0);
	CHECK_EQ(result, want + 12345);
	ret = PASS;
out:
	fx_close(&f);
	free(p);
	return ret;
}

/* ADD, MEMSET and COPY against a CPU model of the same ops. */
static int test_add_memset_copy(void)
{
	size_t n = SZ_2M / 4, i;
	uint32_t *p = malloc(n * 4), *model = malloc(n * 4);
	struct drm_xe_glue_op ops[4];
	struct fx f = FX_INIT;
	int ret = FAIL;

	CHECK(p && model);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 3);
	memcpy(model, p, n * 4);

	ops[0] = op(DRM_XE_GLUE_OP_ADD, 0x01010101, p + 10, NULL, 4 * 20000);
	/* Byte granular: an odd start and length. */
	ops[1] = op(DRM_XE_GLUE_OP_MEMSET, 0x3c7, (char *)p + 100001, NULL,
		    8193);
	/* Copy from a part ops[0] changed: ops run in order. */
	ops[2] = op(DRM_XE_GLUE_OP_COPY, 0, p + 300000, p + 15000, 4 * 10000);
	ops[3] = op(DRM_XE_GLUE_OP_ADD, 0xfffffffe, p + 300000, NULL, 4 * 5);
	for (i = 10; i < 20010; i++)
		model[i] += 0x01010101;
	memset((char *)model + 100001, 0xc7, 8193);
	memcpy(model + 300000, model + 15000, 4 * 10000);
	for (i = 300000; i < 300005; i++)
		model[i] += 0xfffffffe;

	CHECK_EQ(run_ops(f.fd, f.vm, ops, 4, NULL), 0);
	for (i = 0; i < n; i++) {
		if (p[i] != model[i]) {
			printf("# word %zu: 0x%08x, want 0x%08x\n", i, p[i],
			       model[i]);
			CHECK(0);
		}
	}
	ret = PASS;
out:
	fx_close(&f);
	free(p);
	free(model);
	return ret;
}

/* DRM_XE_GLUE_MAX_OPS ops in one job, each with its own effect. */
static int test_max_ops(void)
{
	struct drm_xe_glue_op ops[DRM_XE_GLUE_MAX_OPS];
	uint32_t *p = map_region(DRM_XE_GLUE_MAX_OPS * page_size);
	struct fx f = FX_INIT;
	int ret = FAIL;
	size_t i, w = page_size / 4;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	for (i = 0; i < DRM_XE_GLUE_MAX_OPS; i++)
		ops[i] = op(DRM_XE_GLUE_OP_STORE, 1000 + i, p + i * w + i % w,
			    NULL, 4);
	CHECK_EQ(run_ops(f.fd, f.vm, ops, DRM_XE_GLUE_MAX_OPS, NULL), 0);
	for (i = 0; i < DRM_XE_GLUE_MAX_OPS; i++)
		CHECK_EQ(p[i * w + i % w], 1000 + i);
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, DRM_XE_GLUE_MAX_OPS * page_size);
	return ret;
}

/*
 * PREFETCH to the device moves the pages to VRAM and binds them: a load
 * then runs without a fault and sees the CPU's data, and the CPU reading
 * afterwards gets its data back from VRAM.
 */
static int test_prefetch_device(void)
{
	size_t size = 2 * SZ_2M, n = size / 4, npages = size / page_size;
	uint32_t *p = map_region_aligned(size, SZ_2M);
	struct drm_xe_glue_vm_stats s0, s1, s2, s3;
	struct fx f = FX_INIT;
	uint64_t result = 0;
	int ret = FAIL;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 4);
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);
	CHECK_EQ(do_prefetch(f.fd, f.vm, p, size, DRM_XE_GLUE_LOC_DEVICE), 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK_EQ(s1.migrations_to_vram - s0.migrations_to_vram, npages);
	CHECK_EQ(s1.bytes_to_vram - s0.bytes_to_vram, size);
	CHECK(s1.pages_mapped - s0.pages_mapped >= npages);

	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, size,
		      &result), 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s2), 0);
	CHECK_EQ(s2.gpu_faults, s1.gpu_faults);
	CHECK_EQ(s2.migrations_to_vram, s1.migrations_to_vram);

	/* The CPU reads through CPU faults on device pages. */
	CHECK(check_fill(p, n, 4));
	CHECK_EQ(result, sum32(p, n));
	CHECK_EQ(get_stats(f.fd, f.vm, &s3), 0);
	CHECK_EQ(s3.migrations_to_ram - s2.migrations_to_ram, npages);
	CHECK_EQ(s3.bytes_to_ram - s2.bytes_to_ram, size);
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/* PREFETCH to system memory binds without migrating. */
static int test_prefetch_system(void)
{
	size_t size = SZ_2M + 16 * page_size, n = size / 4;
	size_t npages = size / page_size;
	uint32_t *p = map_region(size);
	struct drm_xe_glue_vm_stats s0, s1, s2;
	struct fx f = FX_INIT;
	uint64_t result = 0;
	int ret = FAIL;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 5);
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);
	CHECK_EQ(do_prefetch(f.fd, f.vm, p, size, DRM_XE_GLUE_LOC_SYSTEM), 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK(s1.pages_mapped - s0.pages_mapped >= npages);
	CHECK_EQ(s1.migrations_to_vram, s0.migrations_to_vram);

	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, size,
		      &result), 0);
	CHECK_EQ(result, sum32(p, n));
	CHECK_EQ(get_stats(f.fd, f.vm, &s2), 0);
	CHECK_EQ(s2.gpu_faults, s1.gpu_faults);
	CHECK_EQ(s2.migrations_to_vram, s0.migrations_to_vram);
	CHECK_EQ(s2.migrations_to_ram, s0.migrations_to_ram);
	CHECK(check_fill(p, n, 5));
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/*
 * MADVISE preferred location: device makes GPU faults migrate, system
 * keeps the pages in system memory; the data is right either way.
 */
static int test_madvise_location(void)
{
	size_t size = SZ_2M, n = size / 4, npages = size / page_size;
	uint32_t *sys = map_region_aligned(size, SZ_2M);
	uint32_t *dev = map_region_aligned(size, SZ_2M);
	struct drm_xe_glue_vm_stats s0, s1, s2, s3;
	struct fx f = FX_INIT;
	int ret = FAIL;

	CHECK(sys && dev);
	CHECK_EQ(fx_open(&f), 0);
	fill(sys, n, 6);
	fill(dev, n, 6);
	CHECK_EQ(do_madvise(f.fd, f.vm, sys, size, DRM_XE_GLUE_LOC_SYSTEM,
			    DRM_XE_GLUE_ATOMIC_DEFAULT), 0);
	CHECK_EQ(do_madvise(f.fd, f.vm, dev, size, DRM_XE_GLUE_LOC_DEVICE,
			    DRM_XE_GLUE_ATOMIC_DEFAULT), 0);

	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_ADD, 7, sys, NULL, size, NULL),
		 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK(s1.gpu_faults > s0.gpu_faults);
	CHECK_EQ(s1.migrations_to_vram, s0.migrations_to_vram);

	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_ADD, 7, dev, NULL, size, NULL),
		 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s2), 0);
	CHECK(s2.gpu_faults > s1.gpu_faults);
	CHECK_EQ(s2.migrations_to_vram - s1.migrations_to_vram, npages);

	/* sys was never in VRAM, so reading it moves nothing back. */
	for (size_t i = 0; i < n; i++)
		if (sys[i] != pattern(i, 6) + 7 || dev[i] != pattern(i, 6) + 7) {
			printf("# word %zu: sys 0x%x dev 0x%x want 0x%x\n", i,
			       sys[i], dev[i], pattern(i, 6) + 7);
			CHECK(0);
		}
	CHECK_EQ(get_stats(f.fd, f.vm, &s3), 0);
	CHECK_EQ(s3.migrations_to_ram - s2.migrations_to_ram, npages);
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(sys, size);
	unmap_region(dev, size);
	return ret;
}

/*
 * ATOMIC_ADD jobs on one page while the CPU writes the other words of the
 * page between the jobs: no job's add and no CPU write may be lost.
 * @loc/@atomic select where the page lives for the GPU's atomics; @rounds
 * stays under the core's thrash threshold when each round migrates.
 */
static int atomic_interleave(uint32_t loc, uint32_t atomic, size_t rounds,
			     int want_vram)
{
	size_t w = page_size / 4, i;
	uint32_t *p = map_region(page_size);
	struct drm_xe_glue_vm_stats s0, s1;
	struct drm_xe_glue_op ops[2];
	struct fx f = FX_INIT;
	int ret = FAIL;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	memset(p, 0, page_size);
	CHECK_EQ(do_madvise(f.fd, f.vm, p, page_size, loc, atomic), 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);
	ops[0] = op(DRM_XE_GLUE_OP_ATOMIC_ADD, 1, p, NULL, 4);
	ops[1] = op(DRM_XE_GLUE_OP_ATOMIC_ADD, 3, p + w - 2, NULL, 8);
	for (i = 0; i < rounds; i++) {
		CHECK_EQ(run_ops(f.fd, f.vm, ops, 2, NULL), 0);
		/* Words 1..w-3 belong to the CPU. */
		p[1 + i] = 100 + i;
		p[w / 2] = i;
	}
	CHECK_EQ(p[0], rounds);
	CHECK_EQ(p[w - 2], 3 * rounds);
	CHECK_EQ(p[w - 1], 3 * rounds);
	for (i = 1; i < w - 2; i++) {
		uint32_t want = i <= rounds ? 100 + i - 1 : 0;

		if (i == w / 2)
			want = rounds - 1;
		CHECK_EQ(p[i], want);
	}
	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK_EQ(s1.jobs_failed, s0.jobs_failed);
	if (want_vram)
		CHECK(s1.migrations_to_vram > s0.migrations_to_vram);
	else
		CHECK_EQ(s1.migrations_to_vram, s0.migrations_to_vram);
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, page_size);
	return ret;
}

/* System memory, device-exclusive access: nothing migrates. */
static int test_atomic_system(void)
{
	return atomic_interleave(DRM_XE_GLUE_LOC_SYSTEM,
				 DRM_XE_GLUE_ATOMIC_GLOBAL, 24, 0);
}

/* Device memory required: each round migrates there and back. */
static int test_atomic_device(void)
{
	return atomic_interleave(DRM_XE_GLUE_LOC_DEFAULT,
				 DRM_XE_GLUE_ATOMIC_DEVICE, 3, 1);
}

struct hammer {
	uint32_t *word, *other;
	int stop;
	unsigned long incs;
};

/* The CPU side of test_atomic_concurrent: atomic increments, with pauses. */
static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;
	struct timespec ts = { 0, 1000 * 1000 };

	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED)) {
		__atomic_fetch_add(h->word, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(h->other, (uint32_t)h->incs, __ATOMIC_RELAXED);
		h->incs++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/*
 * GPU and CPU atomically increment the same word at the same time (system
 * memory, device-exclusive access): the total is the sum of both.
 */
static int test_atomic_concurrent(void)
{
	size_t rounds = 40, i;
	uint32_t *p = map_region(page_size);
	struct hammer h = { 0 };
	struct drm_xe_glue_op ops[2];
	struct fx f = FX_INIT;
	pthread_t t;
	int ret = FAIL, started = 0;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	memset(p, 0, page_size);
	CHECK_EQ(do_madvise(f.fd, f.vm, p, page_size, DRM_XE_GLUE_LOC_SYSTEM,
			    DRM_XE_GLUE_ATOMIC_GLOBAL), 0);
	h.word = p + 2;
	h.other = p + 9;
	CHECK(pthread_create(&t, NULL, hammer_fn, &h) == 0);
	started = 1;
	ops[0] = op(DRM_XE_GLUE_OP_ATOMIC_ADD, 1, p, NULL, 4);
	ops[1] = op(DRM_XE_GLUE_OP_ATOMIC_ADD, 1, p + 2, NULL, 4);
	for (i = 0; i < rounds; i++)
		CHECK_EQ(run_ops(f.fd, f.vm, ops, 2, NULL), 0);
	__atomic_store_n(&h.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	started = 0;
	printf("# %lu CPU increments beside %zu GPU ones\n", h.incs, rounds);
	CHECK_EQ(p[0], rounds);
	CHECK_EQ(p[2], rounds + h.incs);
	CHECK_EQ(p[9], h.incs - 1);
	ret = PASS;
out:
	if (started) {
		__atomic_store_n(&h.stop, 1, __ATOMIC_RELAXED);
		pthread_join(t, NULL);
	}
	fx_close(&f);
	unmap_region(p, page_size);
	return ret;
}

/* A GPU access to unmapped memory cancels the job; the VM keeps working. */
static int test_unmapped_efault(void)
{
	size_t size = 64 * page_size;
	uint32_t *p = map_region(size), *gone = hole(size);
	struct drm_xe_glue_vm_stats s0, s1;
	struct drm_xe_glue_op ops[2];
	struct fx f = FX_INIT;
	uint64_t result = 0;
	int ret = FAIL;

	CHECK(p && gone);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, size / 4, 7);
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_STORE, 1, gone, NULL, 4, NULL),
		 -EFAULT);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, gone + 100, NULL, 64,
		      NULL), -EFAULT);
	/* A copy from a hole into good memory. */
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_COPY, 0, p, gone, page_size,
		      NULL), -EFAULT);
	/* A span running from good memory into the guard page above it. */
	ops[0] = op(DRM_XE_GLUE_OP_LOAD, 0, p, NULL, 8);
	ops[1] = op(DRM_XE_GLUE_OP_STORE, 5, p + size / 4 - 2, NULL, 16);
	CHECK_ERR2(run_ops(f.fd, f.vm, ops, 2, NULL), EFAULT, EPERM);
	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK_EQ(s1.jobs_failed - s0.jobs_failed, 4);
	CHECK_EQ(s1.jobs - s0.jobs, 4);
	/* Not user memory at all: refused at submission or cancelled. */
	CHECK_ERR2(run1(f.fd, f.vm, DRM_XE_GLUE_OP_STORE, 1,
			(void *)(uintptr_t)USER_VA_END, NULL, 4, NULL),
		   EFAULT, EINVAL);
	CHECK_ERR2(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, NULL, NULL, 4, NULL),
		   EFAULT, EINVAL);

	/* Good memory was not written by the copy, and the VM still works. */
	CHECK(check_fill(p, size / 4 - 2, 7));
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, size - 8,
		      &result), 0);
	CHECK_EQ(result, sum32(p, size / 4 - 2));
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_STORE, 9, p, NULL, 4, NULL), 0);
	CHECK_EQ(p[0], 9);
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/*
 * Write access to read-only memory: the job fails with -EPERM and the
 * memory is unchanged; reads work; after mprotect RW, writes work.
 */
static int test_readonly_eperm(void)
{
	size_t size = 32 * page_size, n = size / 4;
	uint32_t *p = map_region(size);
	struct fx f = FX_INIT;
	uint64_t result = 0;
	int ret = FAIL;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 8);
	/* Bound writable first, so the write-protect has to zap it. */
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_ADD, 0, p, NULL, size, NULL),
		 0);
	CHECK(mprotect(p, size, PROT_READ) == 0);

	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, size,
		      &result), 0);
	CHECK_EQ(result, sum32(p, n));
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_STORE, 1, p + 5, NULL, 4,
		      NULL), -EPERM);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_ATOMIC_ADD, 1, p + 6, NULL, 4,
		      NULL), -EPERM);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_MEMSET, 0, p, NULL, size,
		      NULL), -EPERM);
	CHECK(check_fill(p, n, 8));

	CHECK(mprotect(p, size, PROT_READ | PROT_WRITE) == 0);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_STORE, 1, p + 5, NULL, 4, NULL),
		 0);
	CHECK_EQ(p[5], 1);
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/*
 * munmap after GPU use, then new memory at the same address: the GPU must
 * fault again and see the new (zero) pages, not the old ones.
 */
static int test_munmap_refault(void)
{
	size_t size = SZ_2M, n = size / 4;
	uint32_t *p = map_region_aligned(size, SZ_2M), *q;
	struct drm_xe_glue_vm_stats s0, s1, s2;
	struct fx f = FX_INIT;
	uint64_t result = 1;
	int ret = FAIL;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	/*
	 * In system memory, so that the CPU reading it back does not zap the
	 * GPU's entries before the munmap does.
	 */
	CHECK_EQ(do_madvise(f.fd, f.vm, p, size, DRM_XE_GLUE_LOC_SYSTEM,
			    DRM_XE_GLUE_ATOMIC_DEFAULT), 0);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_STORE, 0x11, p, NULL, size,
		      NULL), 0);
	CHECK(check_value(p, n, 0x11));
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, size,
		      &result), 0);
	CHECK_EQ(result, 0x11ULL * n);
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);

	CHECK(munmap(p, size) == 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK(s1.invalidations > s0.invalidations);
	CHECK(s1.tlb_flushes > s0.tlb_flushes);
	q = mmap(p, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(q == p);

	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, size,
		      &result), 0);
	CHECK_EQ(result, 0);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_STORE, 0x22, p + 1, NULL, 4,
		      NULL), 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s2), 0);
	CHECK(s2.gpu_faults > s1.gpu_faults);
	CHECK_EQ(p[0], 0);
	CHECK_EQ(p[1], 0x22);
	CHECK(check_value(p + 2, n - 2, 0));
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/* A hole punched in a GPU-mapped span: the rest stays usable. */
static int test_munmap_middle(void)
{
	size_t size = 64 * page_size, n = size / 4, w = page_size / 4;
	size_t hole_off = 16 * page_size, hole_len = 8 * page_size;
	uint32_t *p = map_region(size);
	struct fx f = FX_INIT;
	uint64_t result = 0;
	int ret = FAIL;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 9);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, size,
		      &result), 0);
	CHECK(munmap((char *)p + hole_off, hole_len) == 0);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0,
		      (char *)p + hole_off + page_size, NULL, 4, NULL),
		 -EFAULT);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, size, NULL),
		 -EFAULT);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, hole_off,
		      &result), 0);
	CHECK_EQ(result, sum32(p, hole_off / 4));
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_ADD, 1,
		      (char *)p + hole_off + hole_len, NULL,
		      size - hole_off - hole_len, NULL), 0);
	for (size_t i = (hole_off + hole_len) / 4; i < n; i++)
		if (p[i] != pattern(i, 9) + 1) {
			printf("# word %zu (page %zu): 0x%x\n", i, i / w, p[i]);
			CHECK(0);
		}
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/* mremap moves GPU-mapped memory: the old VA faults, the new one has the data. */
static int test_mremap(void)
{
	size_t size = 32 * page_size, n = size / 4;
	uint32_t *p = map_region(size), *target = map_region(size), *q;
	struct drm_xe_glue_vm_stats s0, s1;
	struct fx f = FX_INIT;
	uint64_t result = 0;
	int ret = FAIL;

	CHECK(p && target);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 15);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_ADD, 2, p, NULL, size, NULL),
		 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);
	q = mremap(p, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	CHECK(q == target);
	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK(s1.invalidations > s0.invalidations);

	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, 4, NULL),
		 -EFAULT);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_ADD, 1, q, NULL, size, NULL),
		 0);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, q, NULL, size,
		      &result), 0);
	CHECK_EQ(result, sum32(q, n));
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(q[i], pattern(i, 15) + 3);
	ret = PASS;
out:
	fx_close(&f);
	/* p's middle is gone; its guard pages are still there. */
	unmap_region(p, size);
	unmap_region(target, size);
	return ret;
}

/*
 * MADV_DONTNEED drops the pages under the GPU's feet, in system memory and
 * in VRAM: the GPU must then read the fresh zero pages.
 */
static int test_madv_dontneed(void)
{
	size_t size = SZ_2M, n = size / 4;
	uint32_t *sys = map_region_aligned(size, SZ_2M);
	uint32_t *dev = map_region_aligned(size, SZ_2M);
	struct drm_xe_glue_vm_stats s0, s1;
	struct fx f = FX_INIT;
	uint64_t result = 0;
	int ret = FAIL;

	CHECK(sys && dev);
	CHECK_EQ(fx_open(&f), 0);
	fill(sys, n, 16);
	fill(dev, n, 16);
	CHECK_EQ(do_madvise(f.fd, f.vm, sys, size, DRM_XE_GLUE_LOC_SYSTEM,
			    DRM_XE_GLUE_ATOMIC_DEFAULT), 0);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, sys, NULL, size,
		      &result), 0);
	CHECK_EQ(result, sum32(sys, n));
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);
	CHECK_EQ(do_prefetch(f.fd, f.vm, dev, size, DRM_XE_GLUE_LOC_DEVICE), 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK_EQ(s1.migrations_to_vram - s0.migrations_to_vram, size / page_size);

	CHECK(madvise(sys, size, MADV_DONTNEED) == 0);
	CHECK(madvise(dev, size, MADV_DONTNEED) == 0);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, sys, NULL, size,
		      &result), 0);
	CHECK_EQ(result, 0);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, dev, NULL, size,
		      &result), 0);
	CHECK_EQ(result, 0);
	CHECK(check_value(sys, n, 0));
	CHECK(check_value(dev, n, 0));
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(sys, size);
	unmap_region(dev, size);
	return ret;
}

/*
 * After fork the parent's pages are shared copy-on-write: a GPU store of
 * the parent must break COW for the parent, and the child must keep the
 * pre-fork bytes.
 */
static int test_fork_cow_gpu_write(void)
{
	size_t size = 16 * page_size, n = size / 4;
	uint32_t *p = map_region(size);
	int go[2] = { -1, -1 }, ret = FAIL;
	struct fx f = FX_INIT;
	uint64_t result = 0;
	pid_t pid = -1;
	char c;

	CHECK(p && pipe(go) == 0);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 10);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, size,
		      &result), 0);

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		/* Has the parent's GPU write reached the child's copy? */
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(check_fill(p, n, 10) ? 0 : 2);
	}
	close(go[0]);
	go[0] = -1;
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_STORE, 0xfeed, p, NULL, size,
		      NULL), 0);
	CHECK(check_value(p, n, 0xfeed));
	CHECK(write(go[1], "g", 1) == 1);
	CHECK_EQ(wait_child(pid), 0);
	pid = -1;
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, size,
		      &result), 0);
	CHECK_EQ(result, 0xfeedULL * n);
	ret = PASS;
out:
	if (pid > 0) {
		close(go[1]);
		go[1] = -1;
		wait_child(pid);
	}
	close(go[0]);
	close(go[1]);
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/*
 * The child of a fork gets the file but not the VM: the VM mirrors the
 * parent's mm. Every VM call from the child fails and changes nothing; the
 * child can create a VM of its own, which reaches the child's memory only.
 */
static int child_vm_calls(struct fx *f, uint32_t *p, size_t size)
{
	struct drm_xe_glue_vm_stats s;
	uint32_t own = 0;
	uint64_t job;
	struct drm_xe_glue_op o = op(DRM_XE_GLUE_OP_STORE, 0xbad, p, NULL, 4);

	CHECK_ERR2(do_exec(f->fd, f->vm, &o, 1, &job), EACCES, EINVAL);
	CHECK_ERR2(do_madvise(f->fd, f->vm, p, size, DRM_XE_GLUE_LOC_DEVICE, 0),
		   EACCES, EINVAL);
	CHECK_ERR2(do_prefetch(f->fd, f->vm, p, size, DRM_XE_GLUE_LOC_DEVICE),
		   EACCES, EINVAL);
	/*
	 * Stats may be readable from the child, and the VM belongs to the
	 * file, which the child shares: no check of either.
	 */
	(void)get_stats(f->fd, f->vm, &s);
	if (!check_fill(p, size / 4, 11))
		return 10;

	/* Its own VM, on the inherited file, mirrors the child. */
	CHECK_EQ(vm_create(f->fd, DRM_XE_GLUE_VM_CREATE_FAULT_MODE, &own), 0);
	CHECK_EQ(run1(f->fd, own, DRM_XE_GLUE_OP_STORE, 0xc41d, p, NULL, 4,
		      NULL), 0);
	if (p[0] != 0xc41d)
		return 11;
	CHECK_EQ(vm_destroy(f->fd, own), 0);
	return 0;
out:
	return 12;
}

static int test_fork_child_vm(void)
{
	size_t size = 8 * page_size, n = size / 4;
	uint32_t *p = map_region(size);
	struct drm_xe_glue_vm_stats s0, s1;
	struct fx f = FX_INIT;
	int ret = FAIL;
	pid_t pid;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 11);
	/*
	 * In system memory: the child's CPU reads would otherwise migrate
	 * pages back from VRAM, which the device-wide migrations_to_ram
	 * counts.
	 */
	CHECK_EQ(do_madvise(f.fd, f.vm, p, size, DRM_XE_GLUE_LOC_SYSTEM,
			    DRM_XE_GLUE_ATOMIC_DEFAULT), 0);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_ADD, 0, p, NULL, size, NULL),
		 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(child_vm_calls(&f, p, size));
	CHECK_EQ(wait_child(pid), 0);

	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK(stats_same(&s0, &s1));
	CHECK(check_fill(p, n, 11));
	/* The parent's VM still works. */
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_STORE, 3, p, NULL, 4, NULL), 0);
	CHECK_EQ(p[0], 3);
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/*
 * A job long enough to be still running right after submission under
 * TCG: fresh memory, every page faulted (and by default migrated).
 */
static int submit_long(struct fx *f, uint32_t *p, size_t size, uint64_t *job)
{
	static struct drm_xe_glue_op ops[64];
	size_t chunk = size / ARRAY_SIZE(ops), i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		ops[i] = op(DRM_XE_GLUE_OP_MEMSET, 0x5a, (char *)p + i * chunk,
			    NULL, chunk);
	return do_exec(f->fd, f->vm, ops, ARRAY_SIZE(ops), job);
}

/* WAIT with a timeout on a running job: -ETIME, and the handle stays. */
static int test_wait_timeout(void)
{
	size_t size = 32 * SZ_2M;
	uint32_t *p = map_region(size);
	uint64_t job = 0, result = 0;
	struct drm_xe_glue_op o;
	struct fx f = FX_INIT;
	int32_t status = 1;
	int ret = FAIL, r;
	unsigned int i;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	CHECK_EQ(submit_long(&f, p, size, &job), 0);
	CHECK(job != 0);
	CHECK_EQ(do_wait(f.fd, f.vm, job, 0, &status, NULL), -ETIME);
	CHECK_EQ(do_wait(f.fd, f.vm, job, 1000, &status, NULL), -ETIME);
	CHECK_EQ(do_wait(f.fd, f.vm, job, -1, &status, NULL), 0);
	CHECK_EQ(status, 0);
	/* Retired. */
	CHECK_EQ(do_wait(f.fd, f.vm, job, 0, &status, NULL), -ENOENT);
	CHECK(check_value(p, 16, 0x5a5a5a5a));
	CHECK(check_value(p + size / 4 - 16, 16, 0x5a5a5a5a));

	/* A zero timeout on a job that is done succeeds: poll for it. */
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_STORE, 6, p, NULL, 4, NULL), 0);
	o = op(DRM_XE_GLUE_OP_LOAD, 0, p, NULL, 4);
	CHECK_EQ(do_exec(f.fd, f.vm, &o, 1, &job), 0);
	for (i = 0; i < 60000; i++) {
		r = do_wait(f.fd, f.vm, job, 0, &status, &result);
		if (r != -ETIME)
			break;
		usleep(1000);
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(status, 0);
	CHECK_EQ(result, 6);
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/* Each byte either untouched (0) or set by the job (0x5a). */
static int zero_or_5a(const uint32_t *p, size_t size)
{
	const unsigned char *c = (const unsigned char *)p;
	size_t i;

	for (i = 0; i < size; i++) {
		if (c[i] != 0 && c[i] != 0x5a) {
			printf("# byte %zu: 0x%02x\n", i, c[i]);
			return 0;
		}
	}
	return 1;
}

struct waiter {
	struct fx *f;
	uint64_t job;
	int ret;
	int32_t status;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	w->ret = do_wait(w->f->fd, w->f->vm, w->job, WAIT_NS, &w->status, NULL);
	return NULL;
}

/*
 * VM_DESTROY while another thread waits for a job of the VM: the waiter
 * returns (the job was cancelled, or finished first), it does not hang.
 */
static int test_destroy_while_waiting(void)
{
	size_t size = 32 * SZ_2M;
	uint32_t *p = map_region(size);
	struct fx f = FX_INIT;
	struct waiter w = { .f = &f, .ret = 1, .status = 1 };
	int ret = FAIL, started = 0;
	pthread_t t;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	CHECK_EQ(submit_long(&f, p, size, &w.job), 0);
	CHECK(pthread_create(&t, NULL, waiter_fn, &w) == 0);
	started = 1;
	/* Let the waiter block (a race either way is fine). */
	usleep(20000);
	CHECK_EQ(vm_destroy(f.fd, f.vm), 0);
	pthread_join(t, NULL);
	started = 0;
	printf("# waiter: %d, status %d\n", w.ret, w.status);
	CHECK(w.ret == -ENOENT || (w.ret == 0 && w.status <= 0));
	CHECK(zero_or_5a(p, size));
	ret = PASS;
out:
	if (started) {
		vm_destroy(f.fd, f.vm);
		pthread_join(t, NULL);
	}
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

struct submitter {
	struct fx *f;
	uint32_t *p;
	size_t n;
	uint32_t rounds;
	int ret;
};

/* Add 1 to every word of its own buffer, one job per round. */
static void *submitter_fn(void *arg)
{
	struct submitter *s = arg;
	uint32_t i;

	for (i = 0; i < s->rounds && !s->ret; i++)
		s->ret = run1(s->f->fd, s->f->vm, DRM_XE_GLUE_OP_ADD, 1, s->p,
			      NULL, s->n * 4, NULL);
	return NULL;
}

/* Threads of one process submit to one VM at the same time. */
static int test_threads_one_vm(void)
{
	size_t size = SZ_2M, n = size / 4, i, j;
	struct submitter s[4];
	uint32_t *p = map_region(4 * size);
	struct fx f = FX_INIT;
	pthread_t t[4];
	int ret = FAIL, started = 0;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, 4 * n, 17);
	for (i = 0; i < 4; i++) {
		s[i] = (struct submitter){
			.f = &f, .p = p + i * n, .n = n, .rounds = 6,
		};
		CHECK(pthread_create(&t[i], NULL, submitter_fn, &s[i]) == 0);
		started++;
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	started = 0;
	for (i = 0; i < 4; i++)
		CHECK_EQ(s[i].ret, 0);
	for (j = 0; j < 4 * n; j++)
		CHECK_EQ(p[j], pattern(j, 17) + 6);
	ret = PASS;
out:
	while (started--)
		pthread_join(t[started], NULL);
	fx_close(&f);
	unmap_region(p, 4 * size);
	return ret;
}

struct remapper {
	uint32_t *p;
	size_t size;
	int stop;
	unsigned int cycles;
	int ret;
};

/* munmap and mmap the buffer again and again, each time with new data. */
static void *remapper_fn(void *arg)
{
	struct remapper *r = arg;
	size_t n = r->size / 4, i;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		void *q;

		q = mmap(r->p, r->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (q != r->p) {
			r->ret = -1;
			break;
		}
		for (i = 0; i < n; i += 1024)
			r->p[i] = r->cycles;
		r->cycles++;
		usleep(2000);
	}
	return NULL;
}

/*
 * GPU jobs on a buffer that another thread keeps replacing: each job
 * completes (0, or -EFAULT if it hit the moment the buffer was gone), the
 * kernel stays sane, and afterwards the GPU sees exactly the last data.
 */
static int test_race_remap_exec(void)
{
	size_t size = 16 * page_size, n = size / 4;
	uint32_t *p = map_region(size);
	struct remapper r = { .p = p, .size = size };
	unsigned int i, ok = 0, efault = 0;
	struct fx f = FX_INIT;
	uint64_t result = 0;
	int ret = FAIL, started = 0, st;
	pthread_t t;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	CHECK(pthread_create(&t, NULL, remapper_fn, &r) == 0);
	started = 1;
	for (i = 0; i < 200; i++) {
		st = run1(f.fd, f.vm, i & 1 ? DRM_XE_GLUE_OP_LOAD :
			  DRM_XE_GLUE_OP_ADD, 1, p, NULL, size, NULL);
		if (st == 0)
			ok++;
		else if (st == -EFAULT)
			efault++;
		else
			CHECK_EQ(st, 0);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	started = 0;
	printf("# %u jobs ok, %u -EFAULT, %u remaps\n", ok, efault, r.cycles);
	CHECK_EQ(r.ret, 0);
	CHECK(ok > 0);

	fill(p, n, 18);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, size,
		      &result), 0);
	CHECK_EQ(result, sum32(p, n));
	ret = PASS;
out:
	if (started) {
		__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
		pthread_join(t, NULL);
	}
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/* VM_DESTROY with jobs in flight cancels them; the handles are gone. */
static int test_destroy_pending(void)
{
	size_t size = 32 * SZ_2M;
	uint32_t *p = map_region(size), vm2 = 0;
	struct drm_xe_glue_vm_stats s;
	uint64_t job1 = 0, job2 = 0;
	struct fx f = FX_INIT;
	int ret = FAIL;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	CHECK_EQ(submit_long(&f, p, size / 2, &job1), 0);
	CHECK_EQ(submit_long(&f, p + size / 8, size / 2, &job2), 0);
	CHECK_EQ(vm_destroy(f.fd, f.vm), 0);
	CHECK_EQ(do_wait(f.fd, f.vm, job1, 0, NULL, NULL), -ENOENT);
	CHECK_EQ(do_wait(f.fd, f.vm, job2, -1, NULL, NULL), -ENOENT);
	CHECK_EQ(get_stats(f.fd, f.vm, &s), -ENOENT);
	CHECK(zero_or_5a(p, size));

	/* The file goes on working. */
	CHECK_EQ(vm_create(f.fd, DRM_XE_GLUE_VM_CREATE_FAULT_MODE, &vm2), 0);
	CHECK_EQ(run1(f.fd, vm2, DRM_XE_GLUE_OP_STORE, 4, p, NULL, 4, NULL), 0);
	CHECK_EQ(p[0], 4);
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/* Closing the file, or exiting, with jobs in flight. */
static int test_close_exit_pending(void)
{
	size_t size = 16 * SZ_2M;
	uint32_t *p = map_region(size);
	struct fx f = FX_INIT;
	uint64_t job = 0;
	int ret = FAIL;
	pid_t pid;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	CHECK_EQ(submit_long(&f, p, size, &job), 0);
	fx_close(&f);
	CHECK(zero_or_5a(p, size));

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct fx g = FX_INIT;
		uint32_t *q = map_region(size);

		if (!q || fx_open(&g) || submit_long(&g, q, size, &job))
			_exit(1);
		/* Exit: mm teardown and file release race the job. */
		_exit(0);
	}
	CHECK_EQ(wait_child(pid), 0);

	CHECK_EQ(fx_open(&f), 0);
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_STORE, 8, p, NULL, 4, NULL), 0);
	CHECK_EQ(p[0], 8);
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/* Two VMs on one file, and one per file: handles do not cross. */
static int test_vm_isolation(void)
{
	size_t size = 4 * page_size;
	uint32_t *p = map_region(size), vm2 = 0;
	struct drm_xe_glue_vm_stats s1, s2;
	struct fx f = FX_INIT, g = FX_INIT;
	struct drm_xe_glue_op o;
	uint64_t job = 0, result = 0;
	int32_t status = 1;
	int ret = FAIL;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	CHECK_EQ(fx_open(&g), 0);
	CHECK_EQ(vm_create(f.fd, DRM_XE_GLUE_VM_CREATE_FAULT_MODE, &vm2), 0);
	o = op(DRM_XE_GLUE_OP_STORE, 21, p, NULL, 4);
	CHECK_EQ(do_exec(f.fd, f.vm, &o, 1, &job), 0);
	/* Not a job of vm2, nor of a VM on another file. */
	CHECK_EQ(do_wait(f.fd, vm2, job, 0, &status, NULL), -ENOENT);
	if (g.vm != f.vm)
		CHECK_EQ(get_stats(g.fd, f.vm, &s1), -ENOENT);
	else
		CHECK_EQ(do_wait(g.fd, g.vm, job, 0, &status, NULL), -ENOENT);
	CHECK_EQ(do_wait(f.fd, f.vm, job, WAIT_NS, &status, NULL), 0);
	CHECK_EQ(status, 0);
	CHECK_EQ(p[0], 21);

	CHECK_EQ(run1(f.fd, vm2, DRM_XE_GLUE_OP_STORE, 22, p + 1, NULL, 4, NULL),
		 0);
	CHECK_EQ(run1(f.fd, vm2, DRM_XE_GLUE_OP_STORE, 23, p + 2, NULL, 4, NULL),
		 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK_EQ(get_stats(f.fd, vm2, &s2), 0);
	CHECK_EQ(s1.jobs, 1);
	CHECK_EQ(s2.jobs, 2);
	CHECK(p[1] == 22 && p[2] == 23);

	/* The other file's VM is independent and sees the same memory. */
	CHECK_EQ(run1(g.fd, g.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, 12, &result),
		 0);
	CHECK_EQ(result, 21 + 22 + 23);
	CHECK_EQ(vm_destroy(f.fd, vm2), 0);
	ret = PASS;
out:
	fx_close(&f);
	fx_close(&g);
	unmap_region(p, size);
	return ret;
}

/* Two devices on one buffer: each sees the other's writes. */
static int test_two_devices(void)
{
	char second[64] = "";
	size_t size = SZ_2M, n = size / 4;
	uint32_t *p = map_region_aligned(size, SZ_2M), vm1 = 0;
	struct fx f = FX_INIT;
	uint64_t result = 0;
	int fd1 = -1, ret = FAIL, i;

	CHECK(p);
	for (i = 0; i < MAX_NODES && !second[0]; i++) {
		char path[64], name[32] = "";
		struct drm_version v = { .name = name,
					 .name_len = sizeof(name) - 1 };
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/renderD%d", 128 + i);
		if (!strcmp(path, node_path))
			continue;
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!xioctl(fd, DRM_IOCTL_VERSION, &v) &&
		    !strcmp(name, DRIVER_NAME))
			snprintf(second, sizeof(second), "%s", path);
		close(fd);
	}
	if (!second[0]) {
		snprintf(skip_reason, sizeof(skip_reason),
			 "one xe_glue device");
		ret = SKIP;
		goto out;
	}
	CHECK_EQ(fx_open(&f), 0);
	fd1 = open(second, O_RDWR | O_CLOEXEC);
	CHECK(fd1 >= 0);
	CHECK_EQ(vm_create(fd1, DRM_XE_GLUE_VM_CREATE_FAULT_MODE, &vm1), 0);
	CHECK_EQ(do_madvise(f.fd, f.vm, p, size, DRM_XE_GLUE_LOC_DEVICE, 0), 0);
	CHECK_EQ(do_madvise(fd1, vm1, p, size, DRM_XE_GLUE_LOC_DEVICE, 0), 0);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_ADD, 1, p, NULL, size,
			      NULL), 0);
		CHECK_EQ(run1(fd1, vm1, DRM_XE_GLUE_OP_ADD, 2, p, NULL, size,
			      NULL), 0);
	}
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_LOAD, 0, p, NULL, size,
		      &result), 0);
	CHECK_EQ(result, 9ULL * n);
	CHECK(check_value(p, n, 9));
	ret = PASS;
out:
	if (fd1 >= 0)
		close(fd1);
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/* Bad input. */

/* NULL and unmapped argument pointers, and an ioctl number past the end. */
static int test_bad_pointers(void)
{
	static const unsigned long reqs[] = {
		DRM_IOCTL_XE_GLUE_VM_CREATE, DRM_IOCTL_XE_GLUE_VM_DESTROY,
		DRM_IOCTL_XE_GLUE_MADVISE, DRM_IOCTL_XE_GLUE_PREFETCH,
		DRM_IOCTL_XE_GLUE_EXEC, DRM_IOCTL_XE_GLUE_WAIT,
		DRM_IOCTL_XE_GLUE_VM_STATS,
	};
	void *gone = hole(page_size);
	struct drm_xe_glue_vm_stats s0, s1;
	struct fx f = FX_INIT;
	int ret = FAIL;
	size_t i;

	CHECK(gone);
	CHECK_EQ(fx_open(&f), 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);
	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		CHECK_EQ(xioctl(f.fd, reqs[i], NULL), -EFAULT);
		CHECK_EQ(xioctl(f.fd, reqs[i], gone), -EFAULT);
		CHECK_EQ(xioctl(f.fd, reqs[i], (void *)(uintptr_t)USER_VA_END),
			 -EFAULT);
	}
	CHECK_EQ(xioctl(f.fd, DRM_IOWR(DRM_COMMAND_BASE + 7,
				       struct drm_xe_glue_vm_stats), &s1),
		 -EINVAL);
	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK(stats_same(&s0, &s1));
	ret = PASS;
out:
	fx_close(&f);
	return ret;
}

static int test_bad_vm_create(void)
{
	struct drm_xe_glue_vm_create c;
	int fd = open(node_path, O_RDWR | O_CLOEXEC), ret = FAIL;
	static const uint32_t bad[] = { 0, 2, 1u | 2u, 1u | (1u << 31), ~0u };
	struct drm_xe_glue_vm_stats s;
	size_t i;

	CHECK(fd >= 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		c.flags = bad[i];
		c.vm_id = 0x7fff1234;
		CHECK_EQ(xioctl(fd, DRM_IOCTL_XE_GLUE_VM_CREATE, &c), -EINVAL);
		/* No handle came back, and none was made. */
		CHECK_EQ(c.vm_id, 0x7fff1234);
	}
	for (i = 1; i < 8; i++)
		CHECK_EQ(get_stats(fd, i, &s), -ENOENT);
	ret = PASS;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

static int test_bad_vm_destroy(void)
{
	struct drm_xe_glue_vm_destroy d;
	struct drm_xe_glue_vm_stats s;
	struct fx f = FX_INIT;
	int ret = FAIL;

	CHECK_EQ(fx_open(&f), 0);
	CHECK_EQ(vm_destroy(f.fd, 0), -ENOENT);
	CHECK_EQ(vm_destroy(f.fd, f.vm + 1000), -ENOENT);
	CHECK_EQ(vm_destroy(f.fd, ~0u), -ENOENT);
	d.vm_id = f.vm;
	d.pad = 1;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_VM_DESTROY, &d), -EINVAL);
	d.pad = 1u << 31;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_VM_DESTROY, &d), -EINVAL);
	/* Still there. */
	CHECK_EQ(get_stats(f.fd, f.vm, &s), 0);
	CHECK_EQ(vm_destroy(f.fd, f.vm), 0);
	ret = PASS;
out:
	fx_close(&f);
	return ret;
}

/* A span MADVISE and PREFETCH must refuse. */
struct bad_span {
	const char *what;
	uint64_t start;
	uint64_t range;
	/* Leaves the user address space: PREFETCH may call it unmapped. */
	int beyond;
};

#define NR_BAD_SPANS	10

/* The bad spans, relative to a good @p of @size. */
static void bad_spans(const char *p, size_t size, struct bad_span *b)
{
	uint64_t s = (uintptr_t)p, pg = page_size;
	const struct bad_span list[NR_BAD_SPANS] = {
		{ "unaligned start", s + 8, size, 0 },
		{ "zero range", s, 0, 0 },
		{ "unaligned range", s, size - 4, 0 },
		{ "range + 1", s, size + 1, 0 },
		{ "wrapping", s, -pg, 0 },
		{ "wrapping to 0", s, -s, 0 },
		{ "huge range", s, 1ULL << 63, 1 },
		{ "at the user VA end", USER_VA_END, pg, 1 },
		{ "crossing the user VA end", USER_VA_END - 2 * pg, 4 * pg, 1 },
		{ "the page at TASK_SIZE", USER_VA_END - pg, pg, 1 },
	};

	memcpy(b, list, sizeof(list));
}

/*
 * Every MADVISE error, each trying to make the span prefer the device,
 * then a job on the span: it must still stay in system memory.
 */
static int test_bad_madvise(void)
{
	size_t size = 16 * page_size, n = size / 4;
	uint32_t *p = map_region(size);
	struct drm_xe_glue_vm_stats s0, s1;
	struct bad_span spans[NR_BAD_SPANS];
	struct drm_xe_glue_madvise m;
	struct fx f = FX_INIT;
	int ret = FAIL, r;
	unsigned int k;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 12);
	CHECK_EQ(do_madvise(f.fd, f.vm, p, size, DRM_XE_GLUE_LOC_SYSTEM,
			    DRM_XE_GLUE_ATOMIC_DEFAULT), 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);

	bad_spans((char *)p, size, spans);
	for (k = 0; k < NR_BAD_SPANS; k++) {
		m = (struct drm_xe_glue_madvise){
			.vm_id = f.vm, .preferred_loc = DRM_XE_GLUE_LOC_DEVICE,
			.start = spans[k].start, .range = spans[k].range,
		};
		r = xioctl(f.fd, DRM_IOCTL_XE_GLUE_MADVISE, &m);
		if (r != -EINVAL) {
			printf("# madvise %s: %d\n", spans[k].what, r);
			CHECK(0);
		}
	}
	m = (struct drm_xe_glue_madvise){
		.vm_id = f.vm, .preferred_loc = DRM_XE_GLUE_LOC_DEVICE,
		.start = (uintptr_t)p, .range = size,
	};
	m.preferred_loc = 3;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_MADVISE, &m), -EINVAL);
	m.preferred_loc = ~0u;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_MADVISE, &m), -EINVAL);
	m.preferred_loc = DRM_XE_GLUE_LOC_DEVICE;
	m.atomic = 3;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_MADVISE, &m), -EINVAL);
	m.atomic = 0;
	m.pad = 1;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_MADVISE, &m), -EINVAL);
	m.pad = 0;
	m.vm_id = f.vm + 1000;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_MADVISE, &m), -ENOENT);
	m.vm_id = 0;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_MADVISE, &m), -ENOENT);

	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK(stats_same(&s0, &s1));
	CHECK_EQ(run1(f.fd, f.vm, DRM_XE_GLUE_OP_ADD, 1, p, NULL, size, NULL),
		 0);
	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK(s1.gpu_faults > s0.gpu_faults);
	CHECK_EQ(s1.migrations_to_vram, s0.migrations_to_vram);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(p[i], pattern(i, 12) + 1);
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/* Every PREFETCH error: nothing is bound, nothing moves. */
static int test_bad_prefetch(void)
{
	size_t size = 16 * page_size, n = size / 4;
	uint32_t *p = map_region(size), *gone = hole(size);
	struct drm_xe_glue_vm_stats s0, s1;
	struct bad_span spans[NR_BAD_SPANS];
	struct drm_xe_glue_prefetch pf;
	struct fx f = FX_INIT;
	int ret = FAIL, r;
	unsigned int k;

	CHECK(p && gone);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 13);
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);

	bad_spans((char *)p, size, spans);
	for (k = 0; k < NR_BAD_SPANS; k++) {
		pf = (struct drm_xe_glue_prefetch){
			.vm_id = f.vm, .location = DRM_XE_GLUE_LOC_DEVICE,
			.start = spans[k].start, .range = spans[k].range,
		};
		r = xioctl(f.fd, DRM_IOCTL_XE_GLUE_PREFETCH, &pf);
		if (r != -EINVAL && (!spans[k].beyond || r != -EFAULT)) {
			printf("# prefetch %s: %d\n", spans[k].what, r);
			CHECK(0);
		}
	}
	pf = (struct drm_xe_glue_prefetch){
		.vm_id = f.vm, .start = (uintptr_t)p, .range = size,
	};
	pf.location = DRM_XE_GLUE_LOC_DEFAULT;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_PREFETCH, &pf), -EINVAL);
	pf.location = 3;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_PREFETCH, &pf), -EINVAL);
	pf.location = DRM_XE_GLUE_LOC_DEVICE;
	pf.vm_id = f.vm + 1000;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_PREFETCH, &pf), -ENOENT);
	pf.vm_id = 0;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_PREFETCH, &pf), -ENOENT);
	/* Unmapped memory. */
	CHECK_EQ(do_prefetch(f.fd, f.vm, gone, size, DRM_XE_GLUE_LOC_DEVICE),
		 -EFAULT);
	CHECK_EQ(do_prefetch(f.fd, f.vm, gone, size, DRM_XE_GLUE_LOC_SYSTEM),
		 -EFAULT);

	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK(stats_same(&s0, &s1));
	CHECK(check_fill(p, n, 13));
	/* Part mapped, part not: an error too. */
	CHECK_EQ(do_prefetch(f.fd, f.vm, (char *)p + size - page_size,
			     2 * page_size, DRM_XE_GLUE_LOC_DEVICE), -EFAULT);
	CHECK(check_fill(p, n, 13));
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/* Submit a copy of @o as op @bad of an otherwise good 3-op job. */
static int exec_with_bad_op(struct fx *f, uint32_t *p,
			    const struct drm_xe_glue_op *o, unsigned int bad)
{
	struct drm_xe_glue_op ops[3];
	uint64_t job = 0;
	unsigned int i;

	for (i = 0; i < 3; i++)
		ops[i] = op(DRM_XE_GLUE_OP_STORE, 0xdead, p + i, NULL, 4);
	ops[bad] = *o;
	return do_exec(f->fd, f->vm, ops, 3, &job);
}

/*
 * Every EXEC error, each in a job whose other ops would store: the job is
 * refused as a whole, no op runs, no job is counted.
 */
static int test_bad_exec(void)
{
	size_t size = 4 * page_size, n = size / 4;
	uint32_t *p = map_region(size);
	char *gone = hole(page_size);
	struct drm_xe_glue_op bad[20], *big = NULL, *edge;
	struct drm_xe_glue_vm_stats s0, s1;
	struct drm_xe_glue_exec e;
	struct fx f = FX_INIT;
	uint64_t wrap = -(uint64_t)page_size;
	int ret = FAIL, nbad = 0, i;

	CHECK(p && gone);
	CHECK_EQ(fx_open(&f), 0);
	fill(p, n, 14);
	CHECK_EQ(get_stats(f.fd, f.vm, &s0), 0);

	bad[nbad++] = op(6, 0, p, NULL, 4);
	bad[nbad++] = op(~0u, 0, p, NULL, 4);
	bad[nbad++] = op(DRM_XE_GLUE_OP_STORE, 0, p, NULL, 0);
	bad[nbad++] = op(DRM_XE_GLUE_OP_MEMSET, 0, p, NULL, 0);
	bad[nbad++] = op(DRM_XE_GLUE_OP_COPY, 0, p, p + 8, 0);
	bad[nbad++] = op(DRM_XE_GLUE_OP_STORE, 0, p, NULL, 6);
	bad[nbad++] = op(DRM_XE_GLUE_OP_ADD, 0, p, NULL, 3);
	bad[nbad++] = op(DRM_XE_GLUE_OP_ATOMIC_ADD, 0, (char *)p + 2, NULL, 4);
	bad[nbad++] = op(DRM_XE_GLUE_OP_LOAD, 0, (char *)p + 1, NULL, 4);
	bad[nbad++] = op(DRM_XE_GLUE_OP_STORE, 0, (void *)(uintptr_t)wrap,
			 NULL, 2 * page_size);
	bad[nbad++] = op(DRM_XE_GLUE_OP_MEMSET, 0, (void *)(uintptr_t)wrap,
			 NULL, page_size + 1);
	bad[nbad++] = op(DRM_XE_GLUE_OP_COPY, 0, p, (void *)(uintptr_t)wrap,
			 2 * page_size);
	bad[nbad++] = op(DRM_XE_GLUE_OP_LOAD, 0, p, NULL, ~0ULL - 3);
	/* A source on an op that has none ("else 0"). */
	bad[nbad++] = op(DRM_XE_GLUE_OP_STORE, 0, p, p + 8, 4);
	/* Beyond the user address space. */
	bad[nbad++] = op(DRM_XE_GLUE_OP_STORE, 0, (void *)(uintptr_t)USER_VA_END,
			 NULL, 4);
	bad[nbad++] = op(DRM_XE_GLUE_OP_COPY, 0, p, (void *)(uintptr_t)USER_VA_END,
			 4);

	for (i = 0; i < nbad; i++) {
		int r = exec_with_bad_op(&f, p, &bad[i], i % 3);

		if (r != -EINVAL || !check_fill(p, n, 14)) {
			printf("# bad op %d (code %u va 0x%llx len %llu): %d\n",
			       i, bad[i].code, (unsigned long long)bad[i].va,
			       (unsigned long long)bad[i].len, r);
			CHECK(0);
		}
	}

	/* Counts. */
	e = (struct drm_xe_glue_exec){ .vm_id = f.vm, .ops = (uintptr_t)bad };
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_EXEC, &e), -EINVAL);
	e.num_ops = DRM_XE_GLUE_MAX_OPS + 1;
	big = calloc(e.num_ops, sizeof(*big));
	CHECK(big);
	for (i = 0; i < (int)e.num_ops; i++)
		big[i] = op(DRM_XE_GLUE_OP_STORE, 0xdead, p, NULL, 4);
	e.ops = (uintptr_t)big;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_EXEC, &e), -EINVAL);
	e.num_ops = ~0u;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_EXEC, &e), -EINVAL);

	/* Op arrays the kernel cannot read. */
	e.num_ops = 1;
	e.ops = 0;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_EXEC, &e), -EFAULT);
	e.ops = (uintptr_t)gone;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_EXEC, &e), -EFAULT);
	e.ops = USER_VA_END;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_EXEC, &e), -EFAULT);
	/* Good ops, the last one running off the end of the mapping. */
	edge = (struct drm_xe_glue_op *)((char *)p + size) - 2;
	edge[0] = op(DRM_XE_GLUE_OP_STORE, 0xdead, p, NULL, 4);
	edge[1] = op(DRM_XE_GLUE_OP_STORE, 0xdead, p, NULL, 4);
	e.ops = (uintptr_t)edge;
	e.num_ops = 3;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_EXEC, &e), -EFAULT);
	fill(p, n, 14);

	/* Unknown VMs. */
	e.ops = (uintptr_t)big;
	e.num_ops = 1;
	e.vm_id = f.vm + 1000;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_EXEC, &e), -ENOENT);
	e.vm_id = 0;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_EXEC, &e), -ENOENT);

	CHECK_EQ(get_stats(f.fd, f.vm, &s1), 0);
	CHECK(stats_same(&s0, &s1));
	CHECK(check_fill(p, n, 14));
	ret = PASS;
out:
	free(big);
	fx_close(&f);
	unmap_region(p, size);
	return ret;
}

/* Every WAIT error; the handle survives them and a good wait retires it. */
static int test_bad_wait(void)
{
	uint32_t *p = map_region(page_size), vm2 = 0;
	struct drm_xe_glue_op o;
	struct drm_xe_glue_wait w;
	struct fx f = FX_INIT;
	uint64_t job = 0;
	int ret = FAIL;

	CHECK(p);
	CHECK_EQ(fx_open(&f), 0);
	CHECK_EQ(vm_create(f.fd, DRM_XE_GLUE_VM_CREATE_FAULT_MODE, &vm2), 0);
	o = op(DRM_XE_GLUE_OP_STORE, 77, p, NULL, 4);
	CHECK_EQ(do_exec(f.fd, f.vm, &o, 1, &job), 0);
	CHECK(job != 0);

	w = (struct drm_xe_glue_wait){
		.vm_id = f.vm, .job_id = job, .timeout_ns = WAIT_NS,
	};
	w.pad = 1;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_WAIT, &w), -EINVAL);
	w.pad = 0;
	w.pad2 = 1;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_WAIT, &w), -EINVAL);
	w.pad2 = 0;
	w.job_id = 0;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_WAIT, &w), -ENOENT);
	w.job_id = job + 1000;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_WAIT, &w), -ENOENT);
	w.job_id = ~0ULL;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_WAIT, &w), -ENOENT);
	w.job_id = job;
	w.vm_id = vm2;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_WAIT, &w), -ENOENT);
	w.vm_id = f.vm + 1000;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_WAIT, &w), -ENOENT);

	w = (struct drm_xe_glue_wait){
		.vm_id = f.vm, .job_id = job, .timeout_ns = WAIT_NS,
		.status = 99,
	};
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_WAIT, &w), 0);
	CHECK_EQ(w.status, 0);
	CHECK_EQ(w.result, 0);
	CHECK_EQ(p[0], 77);
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_WAIT, &w), -ENOENT);
	ret = PASS;
out:
	fx_close(&f);
	unmap_region(p, page_size);
	return ret;
}

static int test_bad_stats(void)
{
	struct drm_xe_glue_vm_stats s;
	struct fx f = FX_INIT;
	int ret = FAIL;

	CHECK_EQ(fx_open(&f), 0);
	memset(&s, 0, sizeof(s));
	s.vm_id = f.vm;
	s.pad = 1;
	CHECK_EQ(xioctl(f.fd, DRM_IOCTL_XE_GLUE_VM_STATS, &s), -EINVAL);
	CHECK_EQ(get_stats(f.fd, 0, &s), -ENOENT);
	CHECK_EQ(get_stats(f.fd, f.vm + 1000, &s), -ENOENT);
	CHECK_EQ(get_stats(f.fd, f.vm, &s), 0);
	CHECK_EQ(s.vm_id, f.vm);
	ret = PASS;
out:
	fx_close(&f);
	return ret;
}

static const struct tap_test tests[] = {
	{ "version", test_version },
	{ "vm_create_destroy", test_vm_create_destroy },
	{ "store", test_store },
	{ "load", test_load },
	{ "add_memset_copy", test_add_memset_copy },
	{ "max_ops", test_max_ops },
	{ "prefetch_device", test_prefetch_device },
	{ "prefetch_system", test_prefetch_system },
	{ "madvise_location", test_madvise_location },
	{ "atomic_system", test_atomic_system },
	{ "atomic_device", test_atomic_device },
	{ "atomic_concurrent", test_atomic_concurrent },
	{ "unmapped_efault", test_unmapped_efault },
	{ "readonly_eperm", test_readonly_eperm },
	{ "munmap_refault", test_munmap_refault },
	{ "munmap_middle", test_munmap_middle },
	{ "mremap", test_mremap },
	{ "madv_dontneed", test_madv_dontneed },
	{ "fork_cow_gpu_write", test_fork_cow_gpu_write },
	{ "fork_child_vm", test_fork_child_vm },
	{ "wait_timeout", test_wait_timeout },
	{ "destroy_pending", test_destroy_pending },
	{ "destroy_while_waiting", test_destroy_while_waiting },
	{ "close_exit_pending", test_close_exit_pending },
	{ "vm_isolation", test_vm_isolation },
	{ "threads_one_vm", test_threads_one_vm },
	{ "race_remap_exec", test_race_remap_exec },
	{ "two_devices", test_two_devices },
	{ "bad_pointers", test_bad_pointers },
	{ "bad_vm_create", test_bad_vm_create },
	{ "bad_vm_destroy", test_bad_vm_destroy },
	{ "bad_madvise", test_bad_madvise },
	{ "bad_prefetch", test_bad_prefetch },
	{ "bad_exec", test_bad_exec },
	{ "bad_wait", test_bad_wait },
	{ "bad_stats", test_bad_stats },
};

/* The first render node of DRIVER_NAME; counts them all in node_count. */
static int find_node(void)
{
	int i;

	for (i = 0; i < MAX_NODES; i++) {
		char path[64], name[32] = "";
		struct drm_version v = { .name = name,
					 .name_len = sizeof(name) - 1 };
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/renderD%d", 128 + i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!xioctl(fd, DRM_IOCTL_VERSION, &v) &&
		    !strcmp(name, DRIVER_NAME)) {
			if (!node_count++)
				snprintf(node_path, sizeof(node_path), "%s",
					 path);
		}
		close(fd);
	}
	return node_count ? 0 : -ENODEV;
}

/* A render node of the glue must be there, else nothing can run. */
static int setup(void)
{
	if (find_node()) {
		printf("Bail out! no render node of driver %s\n", DRIVER_NAME);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), setup);
}
