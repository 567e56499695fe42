// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * gpusvm-selftest: drives /dev/drm_gpusvm_selftest (kunit/selftest) through
 * the CPU-side events a kernel thread cannot cause: munmap, mremap, fork
 * with COW, mprotect, madvise(MADV_DONTNEED), THP and prefetch, also on
 * memory migrated to the device's fake VRAM (CPU faults, ping-pong). The device
 * reaches memory only through page tables built with drm_gpusvm, so every
 * test checks the bytes it reads, not only return codes. Prints TAP 13 and
 * exits 1 if any test failed.
 *
 * Build it static (it runs in the VM's busybox initramfs), with
 * -Ikunit/selftest for the ioctl ABI.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drm_gpusvm_selftest_uapi.h"
#include "tap.h"

#define DEV_PATH	"/dev/drm_gpusvm_selftest"
#define SZ_2M		(2UL << 20)
/* The core's default notifier size: a window of its own for the race. */
#define SZ_512M		(512UL << 20)


/* Device ioctls; each returns 0 or -errno. */
static int dev_access(int fd, unsigned long req, const void *addr, size_t size,
		      const void *buf, uint64_t flags)
{
	struct drm_gpusvm_selftest_access a = {
		.addr = (uintptr_t)addr, .size = size,
		.buf = (uintptr_t)buf, .flags = flags,
	};

	return ioctl(fd, req, &a) ? -errno : 0;
}

static int dev_read(int fd, const void *addr, size_t size, void *buf)
{
	return dev_access(fd, DRM_GPUSVM_SELFTEST_READ, addr, size, buf, 0);
}

static int dev_write(int fd, void *addr, size_t size, const void *buf)
{
	return dev_access(fd, DRM_GPUSVM_SELFTEST_WRITE, addr, size, buf, 0);
}

static int dev_prefetch(int fd, const void *addr, size_t size, uint64_t flags)
{
	struct drm_gpusvm_selftest_prefetch p = {
		.addr = (uintptr_t)addr, .size = size, .flags = flags,
	};

	return ioctl(fd, DRM_GPUSVM_SELFTEST_PREFETCH, &p) ? -errno : 0;
}

static int dev_stats(int fd, struct drm_gpusvm_selftest_stats *s)
{
	return ioctl(fd, DRM_GPUSVM_SELFTEST_STATS, s) ? -errno : 0;
}

static int dev_migrate(int fd, const void *addr, size_t size, uint64_t flags)
{
	struct drm_gpusvm_selftest_migrate m = {
		.addr = (uintptr_t)addr, .size = size, .flags = flags,
	};

	return ioctl(fd, DRM_GPUSVM_SELFTEST_MIGRATE, &m) ? -errno : 0;
}

/* A position- and seed-dependent byte pattern, never all zero. */
static void fill(void *p, size_t size, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < size; i++)
		c[i] = (unsigned char)((i * 131 + (i >> 12) * 7 + seed) | 1);
}

/* Does @p hold the pattern of fill(@seed) at offset @off onwards? */
static int check_pattern(const void *p, size_t size, size_t off,
			 unsigned int seed)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < size; i++) {
		size_t j = i + off;

		if (c[i] != (unsigned char)((j * 131 + (j >> 12) * 7 + seed) | 1)) {
			printf("# byte %zu: got 0x%02x\n", j, c[i]);
			return 0;
		}
	}
	return 1;
}

static int all_zero(const void *p, size_t size)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < size; i++)
		if (c[i])
			return 0;
	return 1;
}

static int dev_open(void)
{
	return open(DEV_PATH, O_RDWR | O_CLOEXEC);
}

static int test_basic_read(void)
{
	size_t size = (1UL << 20) + 123, sub = 3 * page_size + 7;
	unsigned char *p = malloc(size), *out = malloc(size);
	struct drm_gpusvm_selftest_stats s;
	int fd = dev_open(), ret = FAIL;

	CHECK(fd >= 0 && p && out);
	fill(p, size, 1);
	memset(out, 0, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 1));

	/* Unaligned start and length, crossing page boundaries. */
	memset(out, 0, size);
	CHECK(dev_read(fd, p + 100, sub, out) == 0);
	CHECK(check_pattern(out, sub, 100, 1));
	CHECK(all_zero(out + sub, 64));

	CHECK(dev_stats(fd, &s) == 0);
	CHECK(s.faults > 0 && s.ranges_created > 0 && s.notifiers > 0);
	CHECK(s.pages_mapped >= size / page_size);
	CHECK(s.valid_ptes >= size / page_size);
	ret = PASS;
out:
	free(p);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int test_device_write(void)
{
	size_t size = 1UL << 20, fresh = 16 * page_size;
	unsigned char *p = malloc(size), *src = malloc(size);
	unsigned char *q = map_region(fresh);
	int fd = dev_open(), ret = FAIL;

	CHECK(fd >= 0 && p && src && q);
	memset(p, 0, size);
	fill(src, size, 2);
	CHECK(dev_write(fd, p, size, src) == 0);
	CHECK(check_pattern(p, size, 0, 2));

	/* Pages the CPU never touched: the device write faults them in. */
	CHECK(dev_write(fd, q + 5, fresh - 10, src) == 0);
	CHECK(check_pattern(q + 5, fresh - 10, 0, 2));
	CHECK(all_zero(q, 5) && all_zero(q + fresh - 5, 5));
	ret = PASS;
out:
	free(p);
	free(src);
	unmap_region(q, fresh);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int test_munmap_middle(void)
{
	size_t n = 64, size = n * page_size, hole = 24 * page_size;
	size_t hole_len = 16 * page_size, tail = hole + hole_len;
	struct drm_gpusvm_selftest_stats s0, s1, s2;
	unsigned char *p = map_region(size), *out = malloc(size);
	int fd = dev_open(), ret = FAIL;

	CHECK(fd >= 0 && p && out);
	fill(p, size, 3);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 3));
	CHECK(dev_stats(fd, &s0) == 0);
	CHECK(s0.valid_ptes == n);

	CHECK(munmap(p + hole, hole_len) == 0);
	CHECK(dev_stats(fd, &s1) == 0);
	CHECK(s1.device_invalidations > s0.device_invalidations);
	CHECK(s1.valid_ptes < s0.valid_ptes);

	CHECK(dev_read(fd, p + hole, page_size, out) == -EFAULT);
	CHECK(dev_read(fd, p + hole + hole_len - 1, 1, out) == -EFAULT);
	CHECK(dev_read(fd, p, size, out) == -EFAULT);

	memset(out, 0, size);
	CHECK(dev_read(fd, p, hole, out) == 0);
	CHECK(check_pattern(out, hole, 0, 3));
	CHECK(dev_read(fd, p + tail, size - tail, out) == 0);
	CHECK(check_pattern(out, size - tail, tail, 3));
	CHECK(dev_stats(fd, &s2) == 0);
	/* The ranges the hole cut were collected, the rest refaulted. */
	CHECK(s2.gc_ranges > s0.gc_ranges);
	CHECK(s2.valid_ptes == n - hole_len / page_size);
	ret = PASS;
out:
	/* The hole is unmapped already; munmap of the whole span is fine. */
	unmap_region(p, size);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int test_mremap(void)
{
	size_t size = 32 * page_size;
	struct drm_gpusvm_selftest_stats s0, s1;
	unsigned char *p = map_region(size), *target = map_region(size);
	unsigned char *out = malloc(size);
	int fd = dev_open(), ret = FAIL;

	CHECK(fd >= 0 && p && target && out);
	fill(p, size, 4);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 4));
	CHECK(dev_stats(fd, &s0) == 0);

	CHECK(mremap(p, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, target) ==
	      target);
	CHECK(dev_stats(fd, &s1) == 0);
	CHECK(s1.device_invalidations > s0.device_invalidations);
	CHECK(s1.valid_ptes == 0);

	memset(out, 0, size);
	CHECK(dev_read(fd, target, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 4));
	CHECK(dev_read(fd, p, page_size, out) == -EFAULT);
	CHECK(dev_read(fd, p + size - 1, 1, out) == -EFAULT);
	ret = PASS;
out:
	/* The old middle is unmapped; its guards are still there. */
	unmap_region(p, size);
	unmap_region(target, size);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * The forked child, sharing the parent's pages copy-on-write: waits for
 * @go_fd if any, checks it sees @seed, that the device (bound to the
 * parent's mm) refuses it, then writes @new_seed into its own copy.
 */
static int fork_child(int fd, unsigned char *p, size_t size, unsigned int seed,
		      unsigned int new_seed, int go_fd)
{
	unsigned char out[16];
	char c;

	if (go_fd >= 0 && read(go_fd, &c, 1) != 1)
		return 1;
	if (!check_pattern(p, size, 0, seed))
		return 2;
	if (dev_read(fd, p, sizeof(out), out) != -EBADF)
		return 3;
	fill(p, size, new_seed);
	return check_pattern(p, size, 0, new_seed) ? 0 : 4;
}

/*
 * Fork, the child writes its copy and exits, then the parent writes on the
 * CPU: the device must see the parent's new bytes, never the pre-fork ones.
 */
static int test_fork_cow_child_first(void)
{
	size_t size = 16 * page_size;
	struct drm_gpusvm_selftest_stats s0, s1;
	unsigned char *p = map_region(size), *out = malloc(size);
	int fd = dev_open(), ret = FAIL;
	pid_t pid;

	CHECK(fd >= 0 && p && out);
	fill(p, size, 5);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 5));
	CHECK(dev_stats(fd, &s0) == 0);

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(fork_child(fd, p, size, 5, 6, -1));
	CHECK(wait_child(pid) == 0);
	CHECK(check_pattern(p, size, 0, 5));

	fill(p, size, 7);
	memset(out, 0, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 7));
	CHECK(dev_stats(fd, &s1) == 0);
	CHECK(s1.device_invalidations > s0.device_invalidations);
	ret = PASS;
out:
	unmap_region(p, size);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * The parent writes while the child still shares the pages, so the parent
 * gets new copies and the pre-fork pages stay with the child: a device PTE
 * that survived the fork would read the child's (stale) bytes.
 */
static int test_fork_cow_parent_first(void)
{
	size_t size = 16 * page_size;
	struct drm_gpusvm_selftest_stats s0, s1;
	unsigned char *p = map_region(size), *out = malloc(size);
	int fd = dev_open(), ret = FAIL, go[2] = { -1, -1 };
	pid_t pid = -1;

	CHECK(fd >= 0 && p && out && pipe(go) == 0);
	fill(p, size, 8);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 8));
	CHECK(dev_stats(fd, &s0) == 0);

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* Without the write end, a parent that fails gives the child EOF. */
		close(go[1]);
		_exit(fork_child(fd, p, size, 8, 9, go[0]));
	}

	fill(p, size, 10);
	memset(out, 0, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 10));
	CHECK(write(go[1], "g", 1) == 1);
	CHECK(wait_child(pid) == 0);
	pid = -1;

	memset(out, 0, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 10));
	CHECK(check_pattern(p, size, 0, 10));
	CHECK(dev_stats(fd, &s1) == 0);
	CHECK(s1.device_invalidations > s0.device_invalidations);
	ret = PASS;
out:
	if (pid > 0) {
		close(go[1]);
		go[1] = -1;
		wait_child(pid);
	}
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	unmap_region(p, size);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int test_mprotect_readonly(void)
{
	size_t size = 16 * page_size;
	unsigned char *p = map_region(size), *out = malloc(size);
	unsigned char *src = malloc(size);
	int fd = dev_open(), ret = FAIL;

	CHECK(fd >= 0 && p && out && src);
	fill(p, size, 11);
	fill(src, size, 12);
	/* A device write of the same bytes: the device holds writable PTEs. */
	CHECK(dev_write(fd, p, size, p) == 0);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 11));

	CHECK(mprotect(p, size, PROT_READ) == 0);
	CHECK(dev_write(fd, p, size, src) == -EPERM);
	CHECK(dev_write(fd, p + size - 8, 8, src) == -EPERM);
	CHECK(check_pattern(p, size, 0, 11));
	memset(out, 0, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 11));

	CHECK(mprotect(p, size, PROT_READ | PROT_WRITE) == 0);
	CHECK(dev_write(fd, p, size, src) == 0);
	CHECK(check_pattern(p, size, 0, 12));
	memset(out, 0, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 12));
	ret = PASS;
out:
	unmap_region(p, size);
	free(out);
	free(src);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int test_madvise_dontneed(void)
{
	size_t size = 16 * page_size, off = 4 * page_size, len = 8 * page_size;
	struct drm_gpusvm_selftest_stats s0, s1;
	unsigned char *p = map_region(size), *out = malloc(size);
	int fd = dev_open(), ret = FAIL;

	CHECK(fd >= 0 && p && out);
	fill(p, size, 13);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 13));
	CHECK(dev_stats(fd, &s0) == 0);

	CHECK(madvise(p + off, len, MADV_DONTNEED) == 0);
	memset(out, 0xa5, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, off, 0, 13));
	CHECK(all_zero(out + off, len));
	CHECK(check_pattern(out + off + len, size - off - len, off + len, 13));
	CHECK(all_zero(p + off, len));
	CHECK(dev_stats(fd, &s1) == 0);
	CHECK(s1.device_invalidations > s0.device_invalidations);
	ret = PASS;
out:
	unmap_region(p, size);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* AnonHugePages of the VMA holding @addr, in kB, or -1. */
static long anon_huge_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long start, end;
	char line[256];
	long kb = -1;
	int in = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = start <= (uintptr_t)addr && (uintptr_t)addr < end;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static int test_thp_order(void)
{
	size_t size = 2 * SZ_2M;
	unsigned char *p = map_region(size), *a, *out = malloc(SZ_2M);
	struct drm_gpusvm_selftest_stats s;
	int fd = dev_open(), ret = FAIL;

	CHECK(fd >= 0 && p && out);
	a = (unsigned char *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
	/* Fails without THP; the smaps check below then skips. */
	madvise(a, SZ_2M, MADV_HUGEPAGE);
	fill(a, SZ_2M, 14);
	if (anon_huge_kb(a) < 2048) {
		snprintf(skip_reason, sizeof(skip_reason),
			 "no THP for the region (AnonHugePages %ld kB)",
			 anon_huge_kb(a));
		ret = SKIP;
		goto out;
	}

	CHECK(dev_read(fd, a, SZ_2M, out) == 0);
	CHECK(check_pattern(out, SZ_2M, 0, 14));
	CHECK(dev_stats(fd, &s) == 0);
	printf("# last bind max order %llu, pages mapped %llu\n",
	       (unsigned long long)s.last_bind_max_order,
	       (unsigned long long)s.pages_mapped);
	CHECK(s.last_bind_max_order == 9);
	CHECK(s.valid_ptes == SZ_2M / page_size);
	ret = PASS;
out:
	unmap_region(p, size);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Are the pages of [p, p + n pages) resident as @odd_resident says? */
static int residency_is(unsigned char *p, size_t n, int odd_resident)
{
	unsigned char vec[64];
	size_t i;

	if (n > sizeof(vec) || mincore(p, n * page_size, vec))
		return 0;
	for (i = 0; i < n; i++) {
		int want = !(i & 1) || odd_resident;

		if ((vec[i] & 1) != want) {
			printf("# page %zu resident %d\n", i, vec[i] & 1);
			return 0;
		}
	}
	return 1;
}

/* Prefetch maps only present pages and never faults in the others (R16). */
static int test_prefetch_partial(void)
{
	size_t n = 64, size = n * page_size, i;
	struct drm_gpusvm_selftest_stats s0, s1;
	unsigned char *p = map_region(size), *out = malloc(page_size);
	int fd = dev_open(), ret = FAIL;

	CHECK(fd >= 0 && p && out);
	for (i = 0; i < n; i += 2)
		fill(p + i * page_size, page_size, 15);
	CHECK(residency_is(p, n, 0));

	CHECK(dev_prefetch(fd, p, size, 0) == 0);
	CHECK(residency_is(p, n, 0));
	CHECK(dev_stats(fd, &s0) == 0);
	CHECK(s0.valid_ptes == n / 2);
	CHECK(s0.pages_mapped == n / 2);

	/* Served by the prefetched PTEs, without collecting pages again. */
	for (i = 0; i < n; i += 2) {
		memset(out, 0, page_size);
		CHECK(dev_read(fd, p + i * page_size, page_size, out) == 0);
		CHECK(check_pattern(out, page_size, 0, 15));
	}
	CHECK(dev_stats(fd, &s1) == 0);
	CHECK(s1.pages_mapped == s0.pages_mapped);
	CHECK(residency_is(p, n, 0));

	/* A device read of a hole faults it in. */
	memset(out, 0xa5, page_size);
	CHECK(dev_read(fd, p + page_size, page_size, out) == 0);
	CHECK(all_zero(out, page_size));
	ret = PASS;
out:
	unmap_region(p, size);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int test_bad_input(void)
{
	size_t size = 4 * page_size;
	unsigned char *p = map_region(size), *out = malloc(size);
	struct drm_gpusvm_selftest_stats s;
	int fd = dev_open(), ret = FAIL;

	CHECK(fd >= 0 && p && out);
	fill(p, size, 16);
	memset(out, 0xa5, size);

	CHECK(dev_access(fd, DRM_GPUSVM_SELFTEST_READ, p, size, out, 1) == -EINVAL);
	CHECK(dev_access(fd, DRM_GPUSVM_SELFTEST_WRITE, p, size, out,
			 1ULL << 63) == -EINVAL);
	CHECK(dev_read(fd, p, 0, out) == -EINVAL);
	CHECK(dev_write(fd, p, 0, out) == -EINVAL);
	CHECK(dev_read(fd, (void *)(UINTPTR_MAX - 10), 100, out) == -EINVAL);
	CHECK(dev_write(fd, p, SIZE_MAX, out) == -EINVAL);
	CHECK(dev_prefetch(fd, p + 1, page_size, 0) == -EINVAL);
	CHECK(dev_prefetch(fd, p, page_size + 1, 0) == -EINVAL);
	CHECK(dev_prefetch(fd, p, 0, 0) == -EINVAL);
	CHECK(dev_prefetch(fd, p, page_size, 2) == -EINVAL);
	CHECK(dev_prefetch(fd, (void *)(UINTPTR_MAX & ~(page_size - 1)),
			   page_size, 0) == -EINVAL);
	CHECK(dev_write(fd, p, size, NULL) == -EFAULT);
	CHECK(dev_read(fd, p, size, (void *)-page_size) == -EFAULT);
	CHECK(ioctl(fd, DRM_GPUSVM_SELFTEST_READ, NULL) == -1 && errno == EFAULT);
	CHECK(ioctl(fd, DRM_GPUSVM_SELFTEST_PREFETCH, NULL) == -1 &&
	      errno == EFAULT);
	CHECK(ioctl(fd, _IO('H', 0x7f)) == -1 && errno == ENOTTY);
	CHECK(dev_stats(fd, NULL) == -EFAULT);

	/* Nothing reached the device, nothing was copied. */
	CHECK(dev_stats(fd, &s) == 0);
	CHECK(s.faults == 0 && s.valid_ptes == 0);
	CHECK(check_pattern(p, size, 0, 16));
	for (size_t i = 0; i < size; i++)
		CHECK(out[i] == 0xa5);

	/* The device reads first, then fails to copy out to NULL. */
	CHECK(dev_read(fd, p, size, NULL) == -EFAULT);

	/* A PROT_NONE page (the guard) is not device-readable either. */
	CHECK(dev_read(fd, p - 1, 1, out) == -EFAULT);
	CHECK(out[0] == 0xa5);
	ret = PASS;
out:
	unmap_region(p, size);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* The CPU side of the race: map, fill and unmap one page, over and over. */
struct churn {
	unsigned char *addr;
	int stop;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	unsigned int i = 0;

	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		void *p = mmap(c->addr, page_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		if (p == MAP_FAILED)
			return (void *)1;
		memset(p, (int)(i++ % 255) + 1, page_size);
		munmap(p, page_size);
	}
	return NULL;
}

/* A page the device read while the CPU churned: zeros and one fill byte. */
static int race_page_ok(const unsigned char *out)
{
	unsigned char v = 0;
	size_t i;

	for (i = 0; i < page_size; i++) {
		if (out[i] && v && out[i] != v)
			return 0;
		v = out[i] ? out[i] : v;
	}
	return 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Device reads of one page for @secs seconds while another thread maps and
 * unmaps it. With @anchor, a second device-mapped page keeps the notifier
 * alive; without, the page's notifier goes with its last range. The core's
 * GC work removes unmapped ranges without the driver's lock, so a range
 * handed out by find_or_insert may leave the tree (and its notifier be
 * freed) before the driver's get_pages: that must fail or retry, never map
 * pages no notifier watches. Failures show as kernel splats (KASAN, the
 * core's WARN in range release, this device's WARN in range_free).
 */
static int race_one(int fd, unsigned char *win, int anchor, double secs)
{
	struct churn c = { .addr = win };
	unsigned long ok = 0, efault = 0;
	unsigned char *out = malloc(page_size);
	int ret = FAIL, started = 0, err;
	double end;
	void *tret = NULL;
	pthread_t t;

	CHECK(out);
	if (anchor) {
		CHECK(mmap(win + SZ_2M, page_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		      win + SZ_2M);
		fill(win + SZ_2M, page_size, 17);
		CHECK(dev_read(fd, win + SZ_2M, page_size, out) == 0);
	}
	CHECK(pthread_create(&t, NULL, churn_thread, &c) == 0);
	started = 1;
	for (end = now() + secs; now() < end; ) {
		err = dev_read(fd, win, page_size, out);
		if (err == -EFAULT) {
			efault++;
			continue;
		}
		CHECK(err == 0);
		CHECK(race_page_ok(out));
		ok++;
	}
	printf("# anchor %d: %lu reads, %lu EFAULT\n", anchor, ok, efault);
	ret = PASS;
out:
	if (started) {
		__atomic_store_n(&c.stop, 1, __ATOMIC_RELAXED);
		pthread_join(t, &tret);
		if (tret)
			ret = FAIL;
	}
	free(out);
	return ret;
}

static int test_race_unmap_fault(void)
{
	size_t size = 3 * SZ_512M;
	unsigned char *res = mmap(NULL, size, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				  -1, 0);
	unsigned char *win;
	int fd = dev_open(), ret = FAIL;

	CHECK(fd >= 0 && res != MAP_FAILED);
	/* Two notifier windows of their own, in a PROT_NONE reservation. */
	win = (unsigned char *)(((uintptr_t)res + SZ_512M - 1) & ~(SZ_512M - 1));
	CHECK(race_one(fd, win, 1, 4.0) == PASS);
	CHECK(race_one(fd, win + SZ_512M, 0, 4.0) == PASS);
	ret = PASS;
out:
	if (res != MAP_FAILED)
		munmap(res, size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * @size bytes of anonymous RW memory aligned to @align (a power of two, at
 * least a page), between PROT_NONE guards: one range of the core's 64 KiB
 * window when @size is 64 KiB. Freed with unmap_aligned(@res, @res_size).
 */
static void *map_aligned(size_t size, size_t align, void **res,
			 size_t *res_size)
{
	size_t total = size + align + 2 * page_size;
	char *r = mmap(NULL, total, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p;

	*res = NULL;
	if (r == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)r + page_size + align - 1) & ~(align - 1));
	if (mprotect(p, size, PROT_READ | PROT_WRITE)) {
		munmap(r, total);
		return NULL;
	}
	*res = r;
	*res_size = total;
	return p;
}

static void unmap_aligned(void *res, size_t res_size)
{
	if (res)
		munmap(res, res_size);
}

#define SZ_64K		(64UL << 10)

/* The core's thrash_threshold module parameter, 3 by default. */
static unsigned long core_thrash_threshold(void)
{
	FILE *f = fopen("/sys/module/drm_gpusvm/parameters/thrash_threshold",
			"r");
	unsigned long t = 3;

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = 3;
		fclose(f);
	}
	return t;
}

static void print_stats(const char *what, const struct drm_gpusvm_selftest_stats *s)
{
	printf("# %s: migrated %llu refused %llu thrash %llu to_ram %llu cpu_faults %llu devmem_ptes %llu valid_ptes %llu\n",
	       what, (unsigned long long)s->pages_migrated,
	       (unsigned long long)s->migrate_refused,
	       (unsigned long long)s->thrash_events,
	       (unsigned long long)s->pages_to_ram,
	       (unsigned long long)s->cpu_faults,
	       (unsigned long long)s->devmem_ptes,
	       (unsigned long long)s->valid_ptes);
}

/*
 * CPU data to VRAM and back: the device reads it through VRAM PTEs, writes
 * there, and a CPU read fault brings the device's bytes home.
 */
static int test_migrate_roundtrip(void)
{
	size_t n = 16, size = n * page_size, half = size / 2, res_size = 0;
	struct drm_gpusvm_selftest_stats s0, s1, s2, s3;
	unsigned char *out = malloc(size), *src = malloc(size), *p;
	int fd = dev_open(), ret = FAIL;
	void *res;

	p = map_aligned(size, SZ_64K, &res, &res_size);
	CHECK(fd >= 0 && p && out && src);
	fill(p, size, 20);
	CHECK(dev_stats(fd, &s0) == 0);
	CHECK(dev_migrate(fd, p, size, 0) == 0);
	CHECK(dev_stats(fd, &s1) == 0);
	print_stats("migrated", &s1);
	CHECK(s1.pages_migrated - s0.pages_migrated == n);
	CHECK(s1.migrate_refused == 0);

	/* The device reads the pattern from VRAM, through VRAM PTEs. */
	memset(out, 0, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 20));
	CHECK(dev_stats(fd, &s2) == 0);
	print_stats("device read", &s2);
	CHECK(s2.devmem_ptes == n);
	CHECK(s2.cpu_faults == s1.cpu_faults);

	/* A device write lands in VRAM; the CPU must see it after its fault. */
	fill(src, half, 21);
	CHECK(dev_write(fd, p + half, half, src) == 0);
	CHECK(dev_stats(fd, &s2) == 0);
	CHECK(s2.devmem_ptes == n && s2.cpu_faults == s1.cpu_faults);

	CHECK(check_pattern(p, half, 0, 20));
	CHECK(check_pattern(p + half, half, 0, 21));
	CHECK(dev_stats(fd, &s3) == 0);
	print_stats("cpu read", &s3);
	CHECK(s3.cpu_faults > s2.cpu_faults);
	CHECK(s3.pages_to_ram - s2.pages_to_ram >= n);
	CHECK(s3.devmem_ptes == 0);

	/* Back in system memory: the device agrees with the CPU. */
	memset(out, 0, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, half, 0, 20));
	CHECK(check_pattern(out + half, half, 0, 21));
	CHECK(dev_stats(fd, &s3) == 0);
	CHECK(s3.devmem_ptes == 0 && s3.valid_ptes == n);
	ret = PASS;
out:
	unmap_aligned(res, res_size);
	free(out);
	free(src);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Fork while the data is in VRAM: the child's CPU read faults it home and
 * its write COWs its own copy; the parent keeps the original, on the CPU
 * and on the device.
 */
static int test_migrate_fork_cow(void)
{
	size_t n = 16, size = n * page_size, res_size = 0;
	struct drm_gpusvm_selftest_stats s0, s1;
	unsigned char *out = malloc(size), *p;
	int fd = dev_open(), ret = FAIL;
	void *res;
	pid_t pid;

	p = map_aligned(size, SZ_64K, &res, &res_size);
	CHECK(fd >= 0 && p && out);
	fill(p, size, 22);
	CHECK(dev_migrate(fd, p, size, 0) == 0);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 22));
	CHECK(dev_stats(fd, &s0) == 0);
	CHECK(s0.pages_migrated == n && s0.devmem_ptes == n);

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(fork_child(fd, p, size, 22, 23, -1));
	CHECK(wait_child(pid) == 0);
	CHECK(dev_stats(fd, &s1) == 0);
	print_stats("after child", &s1);
	CHECK(s1.cpu_faults > s0.cpu_faults);
	CHECK(s1.device_invalidations > s0.device_invalidations);

	memset(out, 0, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 22));
	CHECK(check_pattern(p, size, 0, 22));
	memset(out, 0, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 22));
	ret = PASS;
out:
	unmap_aligned(res, res_size);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Fork leaves the parent's VRAM entries read-only (COW) while the child
 * still shares them. A device write in the parent must still succeed (by
 * taking the data home, as a CPU write would), with the child keeping the
 * pre-fork bytes.
 */
static int test_migrate_fork_write(void)
{
	size_t n = 16, size = n * page_size, res_size = 0;
	unsigned char *out = malloc(size), *src = malloc(size), *p;
	int fd = dev_open(), ret = FAIL, go[2] = { -1, -1 }, err;
	pid_t pid = -1;
	void *res;

	p = map_aligned(size, SZ_64K, &res, &res_size);
	CHECK(fd >= 0 && p && out && src && pipe(go) == 0);
	fill(p, size, 27);
	fill(src, size, 28);
	CHECK(dev_migrate(fd, p, size, 0) == 0);

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		_exit(fork_child(fd, p, size, 27, 29, go[0]));
	}
	err = dev_write(fd, p, size, src);
	printf("# device write after fork: %d\n", err);
	CHECK(err == 0);
	memset(out, 0, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 28));
	CHECK(write(go[1], "g", 1) == 1);
	CHECK(wait_child(pid) == 0);
	pid = -1;
	CHECK(check_pattern(p, size, 0, 28));
	ret = PASS;
out:
	if (pid > 0) {
		close(go[1]);
		go[1] = -1;
		wait_child(pid);
	}
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	unmap_aligned(res, res_size);
	free(out);
	free(src);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* mremap moves the VRAM entries: the data follows to the new address. */
static int test_migrate_mremap(void)
{
	size_t n = 16, size = n * page_size, res_size = 0, tres_size = 0;
	struct drm_gpusvm_selftest_stats s0, s1;
	unsigned char *out = malloc(size), *p, *target;
	int fd = dev_open(), ret = FAIL;
	void *res, *tres;

	p = map_aligned(size, SZ_64K, &res, &res_size);
	target = map_aligned(size, SZ_64K, &tres, &tres_size);
	CHECK(fd >= 0 && p && target && out);
	fill(p, size, 24);
	CHECK(dev_migrate(fd, p, size, 0) == 0);
	CHECK(dev_stats(fd, &s0) == 0);
	CHECK(s0.pages_migrated == n);

	CHECK(mremap(p, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, target) ==
	      target);

	/* Device first, while the data is still in VRAM, then the CPU. */
	memset(out, 0, size);
	CHECK(dev_read(fd, target, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 24));
	CHECK(dev_stats(fd, &s1) == 0);
	print_stats("device read at target", &s1);
	CHECK(s1.devmem_ptes == n);
	CHECK(s1.cpu_faults == s0.cpu_faults);
	CHECK(check_pattern(target, size, 0, 24));
	memset(out, 0, size);
	CHECK(dev_read(fd, target, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 24));

	CHECK(dev_read(fd, p, page_size, out) == -EFAULT);
	CHECK(dev_read(fd, p + size - 1, 1, out) == -EFAULT);
	ret = PASS;
out:
	unmap_aligned(res, res_size);
	unmap_aligned(tres, tres_size);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Ping-pong: migrate, then the CPU takes every page back, quickly. After
 * thrash_threshold bounces the core keeps the range in system memory.
 */
static int test_migrate_thrash(void)
{
	size_t n = 16, size = n * page_size, res_size = 0, i;
	unsigned long t = core_thrash_threshold(), round, refused_at = 0;
	struct drm_gpusvm_selftest_stats s0, s, prev;
	unsigned char *out = malloc(size), *p;
	int fd = dev_open(), ret = FAIL;
	void *res;

	p = map_aligned(size, SZ_64K, &res, &res_size);
	CHECK(fd >= 0 && p && out);
	fill(p, size, 25);
	CHECK(dev_stats(fd, &s0) == 0);
	prev = s0;
	for (round = 1; round <= t + 2 && !refused_at; round++) {
		CHECK(dev_migrate(fd, p, size, 0) == 0);
		CHECK(dev_stats(fd, &s) == 0);
		if (s.migrate_refused > prev.migrate_refused) {
			refused_at = round;
			CHECK(s.pages_migrated == prev.pages_migrated);
			break;
		}
		CHECK(s.pages_migrated - prev.pages_migrated == n);
		/* Touch every page on the CPU: each comes home. */
		for (i = 0; i < n; i++)
			CHECK(check_pattern(p + i * page_size, page_size,
					    i * page_size, 25));
		CHECK(dev_stats(fd, &prev) == 0);
		CHECK(prev.cpu_faults > s.cpu_faults);
	}
	print_stats("thrash", &s);
	printf("# threshold %lu, refused at round %lu\n", t, refused_at);
	CHECK(refused_at && refused_at <= t + 2);
	CHECK(s.thrash_events >= 1);
	CHECK(s.pages_migrated - s0.pages_migrated == (refused_at - 1) * n);

	/* Still refused, and the data is right on both sides, in RAM. */
	CHECK(dev_migrate(fd, p, size, 0) == 0);
	CHECK(dev_stats(fd, &prev) == 0);
	CHECK(prev.migrate_refused > s.migrate_refused);
	CHECK(prev.pages_migrated == s.pages_migrated);
	memset(out, 0, size);
	CHECK(dev_read(fd, p, size, out) == 0);
	CHECK(check_pattern(out, size, 0, 25));
	CHECK(dev_stats(fd, &s) == 0);
	CHECK(s.devmem_ptes == 0 && s.valid_ptes == n);
	CHECK(s.cpu_faults == prev.cpu_faults);
	CHECK(check_pattern(p, size, 0, 25));
	ret = PASS;
out:
	unmap_aligned(res, res_size);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int test_migrate_bad_input(void)
{
	size_t size = 4 * page_size;
	unsigned char *p = map_region(size), *gone = map_region(size);
	struct drm_gpusvm_selftest_stats s;
	int fd = dev_open(), ret = FAIL;

	/* A span that was mapped once and is not any more. */
	unmap_region(gone, size);
	CHECK(fd >= 0 && p && gone);
	fill(p, size, 26);

	CHECK(dev_migrate(fd, p, size, 1) == -EINVAL);
	CHECK(dev_migrate(fd, p, size, 1ULL << 63) == -EINVAL);
	CHECK(dev_migrate(fd, p, 0, 0) == -EINVAL);
	CHECK(dev_migrate(fd, p + 1, page_size, 0) == -EINVAL);
	CHECK(dev_migrate(fd, p, page_size + 1, 0) == -EINVAL);
	CHECK(dev_migrate(fd, p, SIZE_MAX & ~(page_size - 1), 0) == -EINVAL);
	CHECK(dev_migrate(fd, (void *)(UINTPTR_MAX & ~(page_size - 1)),
			  page_size, 0) == -EINVAL);
	CHECK(ioctl(fd, DRM_GPUSVM_SELFTEST_MIGRATE, NULL) == -1 &&
	      errno == EFAULT);
	CHECK(ioctl(fd, DRM_GPUSVM_SELFTEST_MIGRATE, (void *)-page_size) == -1 &&
	      errno == EFAULT);

	/* Nothing reached the device. */
	CHECK(dev_stats(fd, &s) == 0);
	CHECK(s.faults == 0 && s.pages_migrated == 0 && s.migrate_refused == 0);

	/* Unmapped memory cannot be migrated. */
	CHECK(dev_migrate(fd, gone, size, 0) == -EFAULT);
	CHECK(dev_stats(fd, &s) == 0);
	CHECK(s.pages_migrated == 0);
	CHECK(check_pattern(p, size, 0, 26));
	ret = PASS;
out:
	unmap_region(p, size);
	if (fd >= 0)
		close(fd);
	return ret;
}

static const struct tap_test tests[] = {
	{ "basic_read", test_basic_read },
	{ "device_write", test_device_write },
	{ "munmap_middle", test_munmap_middle },
	{ "mremap", test_mremap },
	{ "fork_cow_child_first", test_fork_cow_child_first },
	{ "fork_cow_parent_first", test_fork_cow_parent_first },
	{ "mprotect_readonly", test_mprotect_readonly },
	{ "madvise_dontneed", test_madvise_dontneed },
	{ "thp_order", test_thp_order },
	{ "prefetch_partial", test_prefetch_partial },
	{ "bad_input", test_bad_input },
	{ "race_unmap_fault", test_race_unmap_fault },
	{ "migrate_roundtrip", test_migrate_roundtrip },
	{ "migrate_fork_cow", test_migrate_fork_cow },
	{ "migrate_fork_write", test_migrate_fork_write },
	{ "migrate_mremap", test_migrate_mremap },
	{ "migrate_thrash", test_migrate_thrash },
	{ "migrate_bad_input", test_migrate_bad_input },
};

/* The test device must be there, else nothing can run. */
static int setup(void)
{
	int fd = dev_open();

	if (fd < 0) {
		printf("Bail out! %s: %s\n", DEV_PATH, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), setup);
}
