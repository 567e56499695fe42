/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * The TAP harness the user-space test programs share: a table of named
 * tests, each PASS, FAIL or SKIP, run in order or by name from the command
 * line, with a kernel splat during a test failing it. scripts/tap-count
 * counts the output. Also the memory and process helpers every test
 * program needs. Header-only: each program is one file.
 */

#ifndef __GPUSVM_TOOLS_TAP_H__
#define __GPUSVM_TOOLS_TAP_H__

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum { PASS, FAIL, SKIP };

static size_t page_size;
/* Why a test returned SKIP; printed after "# SKIP". */
static char skip_reason[128];

/* Report a failed check with its line and jump to the test's cleanup. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: check failed: %s (errno %d)\n",	\
		       __func__, __LINE__, #cond, errno);		\
		goto out;						\
	}								\
} while (0)

struct tap_test {
	const char *name;
	int (*fn)(void);
};

/*
 * Anonymous RW memory between two PROT_NONE guard pages, so that it never
 * merges with a neighbouring VMA: the core's fault windows then depend on
 * this mapping only. @align aligns the usable part (THP).
 */
static void *map_region_aligned(size_t size, size_t align)
{
	size_t total = size + 2 * page_size + align;
	char *base = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	char *p;

	if (base == MAP_FAILED)
		return NULL;
	p = base + page_size;
	if (align > page_size)
		p = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	/* Trim to exactly one guard page on each side. */
	if (p - page_size > base)
		munmap(base, p - page_size - base);
	if (base + total > p + size + page_size)
		munmap(p + size + page_size, base + total - (p + size + page_size));
	if (mprotect(p, size, PROT_READ | PROT_WRITE)) {
		munmap(p - page_size, size + 2 * page_size);
		return NULL;
	}
	return p;
}

static void *map_region(size_t size)
{
	return map_region_aligned(size, page_size);
}

static void unmap_region(void *p, size_t size)
{
	if (p)
		munmap((char *)p - page_size, size + 2 * page_size);
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		printf("# child status 0x%x\n", status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Kernel taint flags a splat sets: BAD_PAGE (KASAN), DIE, WARN. */
#define SPLAT_TAINTS	((1UL << 5) | (1UL << 7) | (1UL << 9))

static unsigned long kernel_taint(void)
{
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");
	unsigned long t = 0;

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = 0;
		fclose(f);
	}
	return t;
}

/*
 * Run one test; a kernel splat during it fails it even when the bytes were
 * right. Taints are sticky, so only the first splatting test is caught
 * here; scripts/vmrun still scans the whole console log.
 */
static int run_test(int (*fn)(void))
{
	unsigned long before = kernel_taint(), new;
	int r = fn();

	new = kernel_taint() & ~before & SPLAT_TAINTS;
	if (new) {
		printf("# kernel taint 0x%lx appeared: splat on the console\n",
		       new);
		r = FAIL;
	}
	return r;
}

/* Run every test, or only those named on the command line. */
static int selected(int argc, char **argv, const char *name)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return argc < 2;
}

/*
 * The whole program: check the names, print the plan, run @setup (which
 * prints "Bail out!" and returns non-zero when the device is missing),
 * then the selected tests. Returns the exit status.
 */
static int tap_main(int argc, char **argv, const struct tap_test *tests,
		    size_t n, int (*setup)(void))
{
	size_t i, plan = 0, num = 0;
	int failed = 0;

	for (i = 0; i < n; i++)
		plan += selected(argc, argv, tests[i].name);
	if (!plan || (argc > 1 && plan != (size_t)argc - 1)) {
		fprintf(stderr, "usage: %s [TEST]...\n", argv[0]);
		for (i = 0; i < n; i++)
			fprintf(stderr, "  %s\n", tests[i].name);
		return 2;
	}

	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%zu\n", plan);
	if (setup())
		return 1;

	for (i = 0; i < n; i++) {
		int r;

		if (!selected(argc, argv, tests[i].name))
			continue;
		skip_reason[0] = '\0';
		r = run_test(tests[i].fn);
		if (r == SKIP)
			printf("ok %zu %s # SKIP %s\n", ++num, tests[i].name,
			       skip_reason);
		else
			printf("%sok %zu %s\n", r == PASS ? "" : "not ",
			       ++num, tests[i].name);
		failed += r == FAIL;
	}
	return failed ? 1 : 0;
}

#endif /* __GPUSVM_TOOLS_TAP_H__ */
