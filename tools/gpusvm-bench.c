// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * gpusvm-bench: the measurements of "make bench", through the kernel's
 * lib/test_hmm_uapi.h ABI. /dev/hmm_dmirrorN is served either by the
 * kernel's own test_hmm.ko or by drivers/mirror on one of our glue drivers
 * (mirror_compat=1), so the same program, the same ioctls and the same
 * buffers measure both. scripts/vm-bench runs it once per backend and
 * scripts/bench turns the "result" lines into the table.
 *
 * Tests (-t, comma-separated; default all):
 *   faultin_4k, faultin_thp  HMM_DMIRROR_READ of fresh anonymous memory, so
 *	every page is faulted in by the device (the zero page; with THP the
 *	huge zero page), MiB/s. 4k: MADV_NOHUGEPAGE; thp: 2 MiB aligned and
 *	MADV_HUGEPAGE, checked with a snapshot.
 *   migrate   CPU-written memory, 4 KiB pages: MIGRATE_TO_DEV (MiB/s; the
 *	ABI reads the data back into a buffer, checked), MIGRATE_TO_SYS, then
 *	to the device again and the CPU reading every page (each CPU fault
 *	on a device page migrates it home). Snapshots check where the pages
 *	are after each step; a step that left pages behind is reported.
 *   munmap    munmap of CPU-written memory the device mapped (READ) and of
 *	the same amount never touched by the device, mirror open for both,
 *	ms and the ratio mapped/untouched per repetition.
 *   mprotect  mprotect to read-only and back (5 times) of CPU-written
 *	memory the device never touched, with the mirror open and a 2 MiB
 *	buffer in the same 512 MiB window device-mapped, and with no mirror
 *	open; ms and the ratio per repetition.
 *   meta_4k, meta_thp  kernel memory per device-mapped 4 KiB page: every
 *	slab and kmalloc allocation made during a READ of CPU-written memory
 *	and still live 0.3 s after it, from the kmem trace events, sized as a
 *	kernel without debug options would size it; plus vmalloc growth.
 *	Debug-kernel infrastructure (kmemleak objects, DMA-API debug's radix
 *	tree, debugobjects) is listed apart and not counted. -p KEY@FILE
 *	adds the device page-table pages a driver allocates from the page
 *	allocator and counts in debugfs (the _pt rows).
 *   memcpy    memcpy of the same size between two prefaulted buffers.
 *
 * Each measurement is repeated -r times; the median, min and max are
 * printed as "result BACKEND NAME MEDIAN MIN MAX UNIT REPS". -P TEST
 * samples every CPU (perf_event_open, cpu-clock, with kernel call chains)
 * during the timed sections of TEST and prints the top functions by self
 * and by inclusive time ("profile" lines): the VM has no perf tool.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* tap.h's memory helpers; its harness is for the test programs. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tap.h"
#pragma GCC diagnostic pop

#include "test_hmm_uapi.h"

#define MIB		(1024.0 * 1024.0)
#define SZ_2M		(2UL << 20)
#define SZ_512M		(512UL << 20)
#define MAX_REPS	32
#define PATTERN		0x5eedf00d00000000ULL

static const char *dev_path = "/dev/hmm_dmirror0";
static const char *backend = "dev";
static size_t size = 256UL << 20;
static int reps = 5;
static const char *pt_key, *pt_file;
static const char *profile_test;
static int verbose;

/* The test running, for the profiler and the output lines. */
static const char *cur_test;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */

struct series {
	const char *name;
	const char *unit;
	double v[MAX_REPS];
	int n;
};

static void series_add(struct series *s, double v)
{
	if (s->n < MAX_REPS)
		s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void series_print(struct series *s)
{
	double v[MAX_REPS], med;

	if (!s->n)
		return;
	memcpy(v, s->v, s->n * sizeof(v[0]));
	qsort(v, s->n, sizeof(v[0]), cmp_double);
	med = s->n & 1 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
	printf("result %s %s %.4g %.4g %.4g %s %d\n", backend, s->name, med,
	       v[0], v[s->n - 1], s->unit, s->n);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void note(const char *fmt, ...)
{
	va_list ap;

	printf("note %s %s ", backend, cur_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A failed measurement: say why; the table shows it as missing. */
#define FAILED(fmt, ...) do {						\
	printf("error %s %s: " fmt " (errno %d)\n", backend, cur_test,	\
	       ##__VA_ARGS__, errno);					\
	goto out;							\
} while (0)

/* ------------------------------------------------------------------ */
/* Profiler: cpu-clock samples of every CPU with kernel call chains     */

#define PROF_MAX_CPUS	8
#define PROF_RING_PAGES	64
#define PROF_PERIOD_NS	2000000
#define PROF_PAIRS	8192

struct ksym {
	unsigned long addr;
	char *name;
	unsigned long self, incl, stamp;
};

static struct {
	int ncpu;
	int fd[PROF_MAX_CPUS];
	void *ring[PROF_MAX_CPUS];
	pthread_t thread;
	volatile int stop;
	pthread_mutex_t lock;
	struct ksym *syms;
	size_t nsyms;
	unsigned long samples, idle, user, unknown, stamp;
	/* (self, caller) pairs: who the hottest functions run for */
	struct { uint32_t self, caller; unsigned long n; } pairs[PROF_PAIRS];
} prof;

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Text symbols of the kernel and its modules, sorted by address. */
static int prof_load_kallsyms(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], name[256], mod[128], type;
	unsigned long addr;
	size_t cap = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		int n;

		mod[0] = '\0';
		n = sscanf(line, "%lx %c %255s %127s", &addr, &type, name, mod);
		if (n < 3 || !addr || (type != 't' && type != 'T'))
			continue;
		if (prof.nsyms == cap) {
			cap = cap ? 2 * cap : 65536;
			prof.syms = realloc(prof.syms, cap * sizeof(*prof.syms));
			if (!prof.syms)
				return -1;
		}
		memset(&prof.syms[prof.nsyms], 0, sizeof(*prof.syms));
		prof.syms[prof.nsyms].addr = addr;
		if (n == 4) {
			char buf[400];

			snprintf(buf, sizeof(buf), "%s %s", name, mod);
			prof.syms[prof.nsyms].name = strdup(buf);
		} else {
			prof.syms[prof.nsyms].name = strdup(name);
		}
		prof.nsyms++;
	}
	fclose(f);
	qsort(prof.syms, prof.nsyms, sizeof(*prof.syms), cmp_ksym);
	return prof.nsyms ? 0 : -1;
}

static struct ksym *prof_lookup(unsigned long ip)
{
	size_t lo = 0, hi = prof.nsyms;

	if (!prof.nsyms || ip < prof.syms[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (prof.syms[mid].addr <= ip)
			lo = mid;
		else
			hi = mid;
	}
	return &prof.syms[lo];
}

/*
 * Lock, IRQ and debug helpers a sample lands in on behalf of its caller:
 * an hrtimer sample that fell while interrupts were off is taken at the
 * unlock that turns them on again.
 */
static int prof_helper(const char *name)
{
	static const char * const prefixes[] = {
		"_raw_spin", "lock_", "__lock", "do_raw_spin", "spin_", "_raw_",
		"__raw", "debug_lockdep", "rcu_read_lock", "rcu_is_watching",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

static void prof_pair(uint32_t self, uint32_t caller)
{
	size_t i = ((self * 31u) ^ (caller * 2654435761u)) % PROF_PAIRS;
	size_t n;

	for (n = 0; n < PROF_PAIRS; n++, i = (i + 1) % PROF_PAIRS) {
		if (!prof.pairs[i].n) {
			prof.pairs[i].self = self;
			prof.pairs[i].caller = caller;
		}
		if (prof.pairs[i].self == self && prof.pairs[i].caller == caller) {
			prof.pairs[i].n++;
			return;
		}
	}
}

/* One PERF_RECORD_SAMPLE: ip, pid/tid, callchain. */
static void prof_sample(const uint64_t *rec)
{
	uint64_t ip = rec[0], nr = rec[2];
	uint32_t pid = (uint32_t)rec[1];
	const uint64_t *chain = rec + 3;
	struct ksym *s, *self, *caller = NULL;
	uint64_t i;

	prof.samples++;
	if (!pid) {
		prof.idle++;
		return;
	}
	if (ip < 0xffff800000000000ULL) {
		prof.user++;
		return;
	}
	s = prof_lookup(ip);
	if (!s) {
		prof.unknown++;
		return;
	}
	s->self++;
	self = s;
	prof.stamp++;
	for (i = 0; i < nr; i++) {
		if (chain[i] >= (uint64_t)PERF_CONTEXT_MAX)
			continue;
		s = prof_lookup(chain[i]);
		if (s && !caller && s != self && !prof_helper(s->name))
			caller = s;
		if (s && s->stamp != prof.stamp) {
			s->stamp = prof.stamp;
			s->incl++;
		}
	}
	if (caller)
		prof_pair(self - prof.syms, caller - prof.syms);
}

/* Consume what one CPU's ring holds. */
static void prof_drain(int cpu)
{
	struct perf_event_mmap_page *mp = prof.ring[cpu];
	size_t psz = page_size, dsz = PROF_RING_PAGES * psz;
	char *data = (char *)mp + psz;
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = mp->data_tail;
	static uint64_t buf[4096];

	while (tail < head) {
		struct perf_event_header hdr;
		size_t off = tail % dsz, i;
		char *dst = (char *)buf;

		for (i = 0; i < sizeof(hdr); i++)
			((char *)&hdr)[i] = data[(off + i) % dsz];
		if (hdr.size > sizeof(buf) || hdr.size < sizeof(hdr))
			break;
		for (i = 0; i < hdr.size; i++)
			dst[i] = data[(off + i) % dsz];
		if (hdr.type == PERF_RECORD_SAMPLE)
			prof_sample(buf + 1);
		tail += hdr.size;
	}
	__atomic_store_n(&mp->data_tail, head, __ATOMIC_RELEASE);
}

static void *prof_thread(void *arg)
{
	int cpu;

	(void)arg;
	while (!prof.stop) {
		pthread_mutex_lock(&prof.lock);
		for (cpu = 0; cpu < prof.ncpu; cpu++)
			prof_drain(cpu);
		pthread_mutex_unlock(&prof.lock);
		usleep(10000);
	}
	return NULL;
}

static int prof_open(void)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = PROF_PERIOD_NS,
		.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID |
			       PERF_SAMPLE_CALLCHAIN,
		.disabled = 1,
		.exclude_callchain_user = 1,
	};
	int cpu;

	if (prof_load_kallsyms()) {
		fprintf(stderr, "gpusvm-bench: no /proc/kallsyms\n");
		return -1;
	}
	prof.ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (prof.ncpu > PROF_MAX_CPUS)
		prof.ncpu = PROF_MAX_CPUS;
	for (cpu = 0; cpu < prof.ncpu; cpu++) {
		prof.fd[cpu] = syscall(__NR_perf_event_open, &attr, -1, cpu,
				       -1, 0);
		if (prof.fd[cpu] < 0) {
			perror("gpusvm-bench: perf_event_open");
			return -1;
		}
		prof.ring[cpu] = mmap(NULL, (PROF_RING_PAGES + 1) * page_size,
				      PROT_READ | PROT_WRITE, MAP_SHARED,
				      prof.fd[cpu], 0);
		if (prof.ring[cpu] == MAP_FAILED) {
			perror("gpusvm-bench: perf mmap");
			return -1;
		}
	}
	pthread_mutex_init(&prof.lock, NULL);
	return pthread_create(&prof.thread, NULL, prof_thread, NULL);
}

static int profiling(void)
{
	return profile_test && prof.ncpu && !strcmp(profile_test, cur_test);
}

static void prof_enable(int on)
{
	int cpu;

	if (!profiling())
		return;
	for (cpu = 0; cpu < prof.ncpu; cpu++)
		ioctl(prof.fd[cpu], on ? PERF_EVENT_IOC_ENABLE :
					 PERF_EVENT_IOC_DISABLE, 0);
}

static int cmp_self(const void *a, const void *b)
{
	const struct ksym *x = *(struct ksym * const *)a;
	const struct ksym *y = *(struct ksym * const *)b;

	return x->self < y->self ? 1 : x->self > y->self ? -1 : 0;
}

static int cmp_incl(const void *a, const void *b)
{
	const struct ksym *x = *(struct ksym * const *)a;
	const struct ksym *y = *(struct ksym * const *)b;

	return x->incl < y->incl ? 1 : x->incl > y->incl ? -1 : 0;
}

static int cmp_pair(const void *a, const void *b)
{
	const unsigned long x = ((const unsigned long *)a)[1];
	const unsigned long y = ((const unsigned long *)b)[1];

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The top (self, caller) pairs, for self time spent on a caller's behalf. */
static void prof_report_pairs(unsigned long busy)
{
	unsigned long (*v)[2] = calloc(PROF_PAIRS, sizeof(*v));
	size_t i, n = 0;

	if (!v)
		return;
	for (i = 0; i < PROF_PAIRS; i++)
		if (prof.pairs[i].n) {
			v[n][0] = i;
			v[n++][1] = prof.pairs[i].n;
		}
	qsort(v, n, sizeof(*v), cmp_pair);
	for (i = 0; i < n && i < 25; i++)
		printf("profile %s %s pair %5.1f%% %s <- %s\n", backend,
		       profile_test, 100.0 * v[i][1] / busy,
		       prof.syms[prof.pairs[v[i][0]].self].name,
		       prof.syms[prof.pairs[v[i][0]].caller].name);
	free(v);
}

static void prof_report(void)
{
	struct ksym **v;
	unsigned long busy;
	size_t i, n = 0;
	int cpu;

	prof.stop = 1;
	pthread_join(prof.thread, NULL);
	for (cpu = 0; cpu < prof.ncpu; cpu++)
		prof_drain(cpu);
	busy = prof.samples - prof.idle;
	printf("profile %s %s samples %lu (every %u us of CPU time), idle %lu, user %lu, unresolved %lu\n",
	       backend, profile_test, prof.samples, PROF_PERIOD_NS / 1000,
	       prof.idle, prof.user, prof.unknown);
	if (!busy)
		return;
	v = calloc(prof.nsyms, sizeof(*v));
	if (!v)
		return;
	for (i = 0; i < prof.nsyms; i++)
		if (prof.syms[i].self || prof.syms[i].incl)
			v[n++] = &prof.syms[i];
	qsort(v, n, sizeof(*v), cmp_self);
	for (i = 0; i < n && i < 30; i++)
		printf("profile %s %s self %5.1f%% %s\n", backend, profile_test,
		       100.0 * v[i]->self / busy, v[i]->name);
	prof_report_pairs(busy);
	qsort(v, n, sizeof(*v), cmp_incl);
	for (i = 0; i < n && i < 60; i++)
		printf("profile %s %s incl %5.1f%% %s\n", backend, profile_test,
		       100.0 * v[i]->incl / busy, v[i]->name);
	free(v);
}

/* Timed sections; the profiler samples only inside them. */
static double t_start;

static void timer_start(void)
{
	prof_enable(1);
	t_start = now();
}

static double timer_stop(void)
{
	double t = now() - t_start;

	prof_enable(0);
	return t;
}

/* ------------------------------------------------------------------ */
/* The device                                                          */

static int dev_open(void)
{
	int fd = open(dev_path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		printf("error %s %s: open %s: %s\n", backend, cur_test,
		       dev_path, strerror(errno));
	return fd;
}

static int dev_cmd(int fd, unsigned long req, void *addr, void *ptr,
		   size_t len, struct hmm_dmirror_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->addr = (uintptr_t)addr;
	cmd->ptr = (uintptr_t)ptr;
	cmd->npages = len / page_size;
	return ioctl(fd, req, cmd);
}

/* Snapshot [addr, addr + len): pages with PROT bits @mask equal to @want. */
static long dev_count(int fd, void *addr, size_t len, unsigned char mask,
		      unsigned char want)
{
	size_t n = len / page_size, i;
	struct hmm_dmirror_cmd cmd;
	unsigned char *prot = malloc(n);
	long hits = 0;

	if (!prot)
		return -1;
	if (dev_cmd(fd, HMM_DMIRROR_SNAPSHOT, addr, prot, len, &cmd)) {
		free(prot);
		return -1;
	}
	for (i = 0; i < n; i++)
		hits += (prot[i] & mask) == want;
	free(prot);
	return hits;
}

/* Is every page of [p, p + len) a device page of this device? */
static long dev_local_pages(int fd, void *p, size_t len)
{
	return dev_count(fd, p, len, 0xf0, HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL);
}

/* ------------------------------------------------------------------ */
/* Memory                                                              */

/* Anonymous memory aligned to 2 MiB, THP per @thp, not populated. */
static char *map_anon(size_t len, int thp)
{
	char *p = map_region_aligned(len, SZ_2M);

	if (p && madvise(p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		unmap_region(p, len);
		return NULL;
	}
	return p;
}

/* Write the pattern into the first word of each page: populates it. */
static void fill_pages(char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len / page_size; i++)
		*(uint64_t *)(p + i * page_size) = PATTERN ^ i;
}

/* Pages of @p whose first word is not the pattern (or zero, @zero). */
static size_t bad_pages(const char *p, size_t len, int zero)
{
	size_t i, bad = 0;

	for (i = 0; i < len / page_size; i++)
		bad += *(const volatile uint64_t *)(p + i * page_size) !=
		       (zero ? 0 : PATTERN ^ i);
	return bad;
}

/* A prefaulted buffer for the data the ABI returns. */
static char *map_buffer(size_t len)
{
	char *p = map_region(len);

	if (p)
		memset(p, 0xa5, len);
	return p;
}

static double mibps(size_t len, double secs)
{
	return len / MIB / secs;
}

/* ------------------------------------------------------------------ */
/* 1. Fault-in throughput                                              */

static void test_faultin(int thp)
{
	struct series s = { .name = cur_test, .unit = "MiB/s" };
	struct hmm_dmirror_cmd cmd;
	char *buf = map_buffer(size), *p = NULL;
	int fd = dev_open(), r;

	if (fd < 0 || !buf)
		FAILED("setup");
	for (r = 0; r < reps; r++) {
		double t;

		p = map_anon(size, thp);
		if (!p)
			FAILED("mmap");
		timer_start();
		if (dev_cmd(fd, HMM_DMIRROR_READ, p, buf, size, &cmd))
			FAILED("HMM_DMIRROR_READ");
		t = timer_stop();
		if (cmd.cpages != size / page_size || bad_pages(buf, size, 1))
			FAILED("READ returned %llu pages, or not zeroes",
			       (unsigned long long)cmd.cpages);
		if (!r) {
			long pmd = dev_count(fd, p, size, HMM_DMIRROR_PROT_PMD,
					     HMM_DMIRROR_PROT_PMD);

			note("device faults %llu; pages CPU-mapped by a PMD %ld of %zu",
			     (unsigned long long)cmd.faults, pmd,
			     size / page_size);
			if (thp != (pmd == (long)(size / page_size)))
				note("WARNING: THP %s expected", thp ? "" : "not");
		}
		series_add(&s, mibps(size, t));
		unmap_region(p, size);
		p = NULL;
		memset(buf, 0xa5, size);
	}
out:
	series_print(&s);
	if (p)
		unmap_region(p, size);
	if (buf)
		unmap_region(buf, size);
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------------------------ */
/* 2. Migration                                                        */

/* Where the pages are: say so when a step left some behind. */
static void check_placement(int fd, char *p, long want_local, const char *step)
{
	long local = dev_local_pages(fd, p, size);

	if (local != want_local)
		note("WARNING: after %s %ld of %zu pages in device memory (want %ld)",
		     step, local, size / page_size, want_local);
}

static void test_migrate(void)
{
	struct series to_dev = { .name = "migrate_to_dev", .unit = "MiB/s" };
	struct series to_sys = { .name = "migrate_to_sys", .unit = "MiB/s" };
	struct series cpu = { .name = "migrate_cpu_fault", .unit = "MiB/s" };
	long npages = size / page_size;
	struct hmm_dmirror_cmd cmd;
	char *buf = map_buffer(size), *p = NULL;
	int fd = dev_open(), r;
	double t;

	if (fd < 0 || !buf)
		FAILED("setup");
	for (r = 0; r < reps; r++) {
		p = map_anon(size, 0);
		if (!p)
			FAILED("mmap");
		fill_pages(p, size);

		timer_start();
		if (dev_cmd(fd, HMM_DMIRROR_MIGRATE_TO_DEV, p, buf, size, &cmd))
			FAILED("MIGRATE_TO_DEV");
		t = timer_stop();
		if (bad_pages(buf, size, 0))
			FAILED("MIGRATE_TO_DEV read back wrong data");
		series_add(&to_dev, mibps(size, t));
		check_placement(fd, p, npages, "MIGRATE_TO_DEV");

		timer_start();
		if (dev_cmd(fd, HMM_DMIRROR_MIGRATE_TO_SYS, p, buf, size, &cmd))
			FAILED("MIGRATE_TO_SYS");
		t = timer_stop();
		series_add(&to_sys, mibps(size, t));
		check_placement(fd, p, 0, "MIGRATE_TO_SYS");
		if (bad_pages(p, size, 0))
			FAILED("wrong data after MIGRATE_TO_SYS");

		if (dev_cmd(fd, HMM_DMIRROR_MIGRATE_TO_DEV, p, buf, size, &cmd))
			FAILED("MIGRATE_TO_DEV (again)");
		check_placement(fd, p, npages, "MIGRATE_TO_DEV (again)");
		timer_start();
		if (bad_pages(p, size, 0))
			FAILED("wrong data after CPU faults");
		t = timer_stop();
		series_add(&cpu, mibps(size, t));
		check_placement(fd, p, 0, "CPU faults");

		unmap_region(p, size);
		p = NULL;
	}
out:
	series_print(&to_dev);
	series_print(&to_sys);
	series_print(&cpu);
	if (p)
		unmap_region(p, size);
	if (buf)
		unmap_region(buf, size);
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------------------------ */
/* 3. Invalidation cost                                                */

/* Time of munmap() of CPU-written memory, device-mapped first or not. */
static int munmap_time(int fd, char *buf, int gpu, double *t)
{
	struct hmm_dmirror_cmd cmd;
	char *p = map_anon(size, 0);

	if (!p)
		return -1;
	fill_pages(p, size);
	if (gpu && dev_cmd(fd, HMM_DMIRROR_READ, p, buf, size, &cmd)) {
		unmap_region(p, size);
		return -1;
	}
	timer_start();
	munmap(p, size);
	*t = timer_stop();
	/* The guard pages; and let deferred work (GC) finish before the next */
	unmap_region(p, size);
	usleep(300000);
	return 0;
}

static void test_munmap(void)
{
	struct series mapped = { .name = "munmap_mapped", .unit = "ms" };
	struct series untouched = { .name = "munmap_untouched", .unit = "ms" };
	struct series ratio = { .name = "munmap_ratio", .unit = "x" };
	char *buf = map_buffer(size);
	int fd = dev_open(), r;

	if (fd < 0 || !buf)
		FAILED("setup");
	for (r = 0; r < reps; r++) {
		double tm, tu;

		if (munmap_time(fd, buf, 1, &tm))
			FAILED("device-mapped munmap");
		if (munmap_time(fd, buf, 0, &tu))
			FAILED("untouched munmap");
		series_add(&mapped, tm * 1e3);
		series_add(&untouched, tu * 1e3);
		series_add(&ratio, tm / tu);
	}
out:
	series_print(&mapped);
	series_print(&untouched);
	series_print(&ratio);
	if (buf)
		unmap_region(buf, size);
	if (fd >= 0)
		close(fd);
}

/* mprotect() calls per sample: a pair is short, and noisy on its own. */
#define MPROTECT_PAIRS	5

/* @p read-only and read-write again, MPROTECT_PAIRS times; -1 on error. */
static double mprotect_time(char *p)
{
	int i, err = 0;

	timer_start();
	for (i = 0; i < MPROTECT_PAIRS && !err; i++)
		err = mprotect(p, size, PROT_READ) ||
		      mprotect(p, size, PROT_READ | PROT_WRITE);
	return err ? -timer_stop() - 1 : timer_stop();
}

/*
 * A 512 MiB aligned window: a 2 MiB buffer the device maps at its start
 * and the memory to mprotect 4 MiB further, so one notifier of the core
 * (512 MiB by default) covers both.
 */
static void test_mprotect(void)
{
	struct series mirror = { .name = "mprotect_mirror", .unit = "ms" };
	struct series none = { .name = "mprotect_nomirror", .unit = "ms" };
	struct series ratio = { .name = "mprotect_ratio", .unit = "x" };
	size_t win = size + 4 * SZ_2M;
	char *base = MAP_FAILED, *a, *b, *buf = map_buffer(SZ_2M);
	struct hmm_dmirror_cmd cmd;
	int fd = -1, r;

	if (win > SZ_512M)
		FAILED("size too large for one 512 MiB window");
	base = mmap(NULL, 2 * SZ_512M, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED || !buf)
		FAILED("mmap");
	a = (char *)(((uintptr_t)base + SZ_512M - 1) & ~(SZ_512M - 1));
	b = a + 2 * SZ_2M;
	if (mprotect(a, SZ_2M, PROT_READ | PROT_WRITE) ||
	    mprotect(b, size, PROT_READ | PROT_WRITE) ||
	    madvise(b, size, MADV_NOHUGEPAGE))
		FAILED("mprotect");
	fill_pages(a, SZ_2M);
	fill_pages(b, size);

	for (r = 0; r < reps; r++) {
		double tm, tn;

		fd = dev_open();
		if (fd < 0)
			goto out;
		if (dev_cmd(fd, HMM_DMIRROR_READ, a, buf, SZ_2M, &cmd))
			FAILED("READ");
		tm = mprotect_time(b);
		close(fd);
		fd = -1;
		usleep(100000);
		tn = mprotect_time(b);
		if (tm < 0 || tn < 0)
			FAILED("mprotect");
		series_add(&mirror, tm * 1e3);
		series_add(&none, tn * 1e3);
		series_add(&ratio, tm / tn);
	}
out:
	series_print(&mirror);
	series_print(&none);
	series_print(&ratio);
	if (fd >= 0)
		close(fd);
	if (base != MAP_FAILED)
		munmap(base, 2 * SZ_512M);
	if (buf)
		unmap_region(buf, SZ_2M);
}

/* ------------------------------------------------------------------ */
/* 4. Metadata                                                         */

/*
 * Every slab and kmalloc allocation made while the device maps the memory
 * and not freed by the end, from the kmem trace events (call site, pointer,
 * size). Sizes are what a kernel without debug options would allocate: the
 * kmalloc size class of the requested size, or the cache's object size.
 * Allocations of debug infrastructure are counted apart (DEBUG_SITES).
 */
#define LIVE_BITS	21
#define MAX_SITES	2048

/*
 * Call sites that exist only in the debug kernel: kmemleak's object per
 * allocation, DMA-API debug's radix tree of mapped cachelines (the only
 * radix tree on these paths; the XArray allocates through xas_alloc), and
 * debugobjects' pool.
 */
static const char * const debug_sites[] = {
	"__alloc_object", "mem_pool_alloc", "create_object", "__create_object",
	"kmemleak_scan_area", "radix_tree_node_alloc", "fill_pool",
	"__debug_object_init",
};

static struct live {
	uint64_t ptr;
	uint32_t bytes;
	int32_t site;
} *live;

static struct site {
	char name[64];
	char sample[160];
	double bytes;
	long count;
	int debug;
} sites[MAX_SITES];
static int nsites;
static const char *tracefs;
/* tracing_on, open for the whole test: no file is allocated in between */
static int trace_on_fd = -1;

static int site_index(const char *name, size_t len)
{
	size_t i;
	int s;

	if (len >= sizeof(sites[0].name))
		len = sizeof(sites[0].name) - 1;
	for (s = 0; s < nsites; s++)
		if (!strncmp(sites[s].name, name, len) && !sites[s].name[len])
			return s;
	if (nsites == MAX_SITES)
		return MAX_SITES - 1;
	memcpy(sites[nsites].name, name, len);
	sites[nsites].name[len] = '\0';
	for (i = 0; i < ARRAY_SIZE(debug_sites); i++)
		sites[nsites].debug |= !strcmp(sites[nsites].name,
					       debug_sites[i]);
	return nsites++;
}

static struct live *live_slot(uint64_t ptr)
{
	size_t mask = (1UL << LIVE_BITS) - 1;
	size_t i = (ptr * 0x9e3779b97f4a7c15ULL) >> (64 - LIVE_BITS);

	while (live[i].ptr && live[i].ptr != ptr)
		i = (i + 1) & mask;
	return &live[i];
}

/* Remove a slot of the open-addressed table, keeping its chains intact. */
static void live_del(struct live *e)
{
	size_t mask = (1UL << LIVE_BITS) - 1;
	size_t i = e - live, j = i;

	live[i].ptr = 0;
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!live[j].ptr)
			return;
		k = (live[j].ptr * 0x9e3779b97f4a7c15ULL) >> (64 - LIVE_BITS);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			live[i] = live[j];
			live[j].ptr = 0;
			i = j;
		}
	}
}

/* The kmalloc size class of a request of @req bytes. */
static uint32_t kmalloc_class(unsigned long req)
{
	static const unsigned int cls[] = {
		8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
	};
	unsigned long p = page_size;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cls); i++)
		if (req <= cls[i])
			return cls[i];
	while (p < req)
		p <<= 1;
	return p;
}

static int trace_write(const char *file, const char *s)
{
	char path[256];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", tracefs, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -1;
	err = write(fd, s, strlen(s)) < 0 ? -1 : 0;
	close(fd);
	return err;
}

static const char * const kmem_events[] = {
	"kmem/kmalloc", "kmem/kfree", "kmem/kmem_cache_alloc",
	"kmem/kmem_cache_free",
};

static int trace_events(int on)
{
	char path[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kmem_events); i++) {
		snprintf(path, sizeof(path), "events/%s/enable", kmem_events[i]);
		if (trace_write(path, on ? "1" : "0"))
			return -1;
	}
	return 0;
}

static int trace_setup(void)
{
	static const char * const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	size_t i;
	char path[128];

	for (i = 0; i < ARRAY_SIZE(dirs) && !tracefs; i++) {
		snprintf(path, sizeof(path), "%s/trace", dirs[i]);
		if (!access(path, W_OK))
			tracefs = dirs[i];
	}
	if (!tracefs)
		return -1;
	snprintf(path, sizeof(path), "%s/tracing_on", tracefs);
	trace_on_fd = open(path, O_WRONLY);
	if (trace_on_fd < 0)
		return -1;
	if (!live)
		live = calloc(1UL << LIVE_BITS, sizeof(*live));
	/* A clock all CPUs share, so a free never sorts before its alloc */
	if (!live || trace_write("tracing_on", "0") ||
	    trace_write("trace_clock", "global") ||
	    trace_write("buffer_size_kb", "49152") || trace_write("trace", "") ||
	    trace_events(1))
		return -1;
	return 0;
}

/* Start or stop the trace through the open file. */
static void trace_on(int on)
{
	if (pwrite(trace_on_fd, on ? "1" : "0", 1, 0) != 1)
		perror("gpusvm-bench: tracing_on");
}

static void trace_teardown(void)
{
	trace_write("tracing_on", "0");
	if (trace_on_fd >= 0)
		close(trace_on_fd);
	trace_on_fd = -1;
	trace_events(0);
	trace_write("trace", "");
	trace_write("buffer_size_kb", "1408");
	trace_write("trace_clock", "local");
}

/* Value of "KEY=" in @line, as a string; NULL when missing. */
static const char *field(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? p + strlen(key) : NULL;
}

/* One event line of the trace. Returns -1 when the ring overflowed. */
static int trace_line(const char *line)
{
	const char *site = field(line, "call_site="), *ptr = field(line, " ptr=");
	const char *req = field(line, "bytes_req=");
	int alloc = !!strstr(line, ": kmalloc: ") ||
		    !!strstr(line, ": kmem_cache_alloc: ");
	uint64_t p;
	struct live *e;

	if (strstr(line, "LOST") && strstr(line, "EVENTS"))
		return -1;
	if (!site || !ptr)
		return 0;
	p = strtoull(ptr, NULL, 16);
	if (!p)
		return 0;
	e = live_slot(p);
	if (!alloc) {
		if (e->ptr)
			live_del(e);
		return 0;
	}
	if (!req)
		return 0;
	e->ptr = p;
	e->site = site_index(site, strcspn(site, "+ "));
	if (verbose && !sites[e->site].sample[0])
		snprintf(sites[e->site].sample, sizeof(sites[0].sample), "%s",
			 line);
	e->bytes = strstr(line, ": kmalloc: ") ?
		   kmalloc_class(strtoul(req, NULL, 10)) :
		   strtoul(req, NULL, 10);
	return 0;
}

/* Parse the trace; fills sites[] with what is still allocated. */
static int trace_collect(void)
{
	size_t mask = (1UL << LIVE_BITS) - 1, i;
	char path[256], *line = NULL;
	size_t cap = 0;
	int lost = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", tracefs);
	f = fopen(path, "r");
	if (!f)
		return -1;
	nsites = 0;
	memset(sites, 0, sizeof(sites));
	memset(live, 0, (mask + 1) * sizeof(*live));
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		lost |= trace_line(line);
	}
	free(line);
	fclose(f);
	for (i = 0; i <= mask; i++) {
		if (!live[i].ptr)
			continue;
		sites[live[i].site].bytes += live[i].bytes;
		sites[live[i].site].count++;
	}
	return lost ? -1 : 0;
}

static double vmalloc_used(void)
{
	char line[256];
	double v = 0;
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long kb;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmallocUsed: %lu kB", &kb) == 1)
			v = kb * 1024.0;
	if (f)
		fclose(f);
	return v;
}

/* Sum of "KEY N" over every line of FILE (a driver's debugfs counters). */
static double pt_read(void)
{
	FILE *f;
	char tok[128];
	double sum = 0;

	if (!pt_file)
		return 0;
	f = fopen(pt_file, "r");
	if (!f)
		return 0;
	while (fscanf(f, "%127s", tok) == 1) {
		long long v;

		if (strcmp(tok, pt_key))
			continue;
		if (fscanf(f, "%lld", &v) == 1)
			sum += v;
	}
	fclose(f);
	return sum;
}

static int cmp_site(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

/* Account one measurement: returns the metadata bytes. */
static double meta_sum(double npages, int print)
{
	double sum = 0, dbg = 0;
	char buf[512];
	size_t len = 0;
	int s;

	qsort(sites, nsites, sizeof(sites[0]), cmp_site);
	for (s = 0; s < nsites; s++) {
		if (sites[s].debug)
			dbg += sites[s].bytes;
		else
			sum += sites[s].bytes;
		if (print && verbose && sites[s].bytes)
			note("site %s: %s", sites[s].name,
			     strstr(sites[s].sample, "kmem") ?: sites[s].sample);
		if (print && s < 6 && sites[s].bytes && len < sizeof(buf))
			len += snprintf(buf + len, sizeof(buf) - len,
					"%s%s%s %.2f (%ld)", s ? ", " : "",
					sites[s].debug ? "debug:" : "",
					sites[s].name, sites[s].bytes / npages,
					sites[s].count);
	}
	if (print) {
		note("live allocations by call site, B/page (objects): %s",
		     nsites ? buf : "none");
		note("debug-kernel infrastructure excluded: %.2f B/page",
		     dbg / npages);
	}
	return sum;
}

/*
 * Each repetition on a fresh mirror (a fresh VM for ours): the glue keeps
 * its page-table pages until the VM goes, so a second READ on the same VM
 * would find them allocated already.
 */
static void test_meta(int thp)
{
	struct series heap = { .name = cur_test, .unit = "B/page" };
	struct series pt = { .unit = "B/page" };
	char ptname[64];
	double npages = (double)size / page_size;
	struct hmm_dmirror_cmd cmd;
	char *buf = map_buffer(size), *p = NULL;
	int fd = -1, r;

	snprintf(ptname, sizeof(ptname), "%s_pt", cur_test);
	pt.name = ptname;
	if (!buf)
		FAILED("setup");
	if (trace_setup())
		FAILED("kmem trace events (tracefs) not available");
	for (r = 0; r < reps; r++) {
		double vm0, vm1, pt0, pt1, bytes;
		int err;

		fd = dev_open();
		p = map_anon(size, thp);
		if (fd < 0 || !p)
			FAILED("open or mmap");
		fill_pages(p, size);
		vm0 = vmalloc_used();
		pt0 = pt_read();
		trace_write("trace", "");
		trace_on(1);
		err = dev_cmd(fd, HMM_DMIRROR_READ, p, buf, size, &cmd);
		/* Let deferred (RCU) frees of the command's allocations in */
		usleep(300000);
		trace_on(0);
		if (err)
			FAILED("READ");
		vm1 = vmalloc_used();
		pt1 = pt_read();
		if (trace_collect())
			FAILED("trace buffer overflowed or unreadable");
		bytes = meta_sum(npages, !r) + vm1 - vm0;
		series_add(&heap, bytes / npages);
		if (pt_file)
			series_add(&pt, (pt1 - pt0) * page_size / npages);
		if (!r) {
			long pmd = dev_count(fd, p, size, HMM_DMIRROR_PROT_PMD,
					     HMM_DMIRROR_PROT_PMD);

			note("vmalloc %+.2f B/page; pages the CPU maps with a PMD: %ld of %.0f",
			     (vm1 - vm0) / npages, pmd, npages);
		}
		unmap_region(p, size);
		p = NULL;
		close(fd);
		fd = -1;
	}
out:
	if (tracefs)
		trace_teardown();
	series_print(&heap);
	series_print(&pt);
	if (p)
		unmap_region(p, size);
	if (buf)
		unmap_region(buf, size);
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------------------------ */
/* 5. memcpy                                                           */

static void test_memcpy(void)
{
	struct series s = { .name = "memcpy", .unit = "MiB/s" };
	char *src = map_buffer(size), *dst = map_buffer(size);
	int r;

	if (!src || !dst)
		FAILED("mmap");
	fill_pages(src, size);
	for (r = 0; r < reps; r++) {
		double t;

		timer_start();
		memcpy(dst, src, size);
		t = timer_stop();
		if (bad_pages(dst, size, 0))
			FAILED("memcpy copied wrong data");
		series_add(&s, mibps(size, t));
		memset(dst, 0, size);
	}
out:
	series_print(&s);
	if (src)
		unmap_region(src, size);
	if (dst)
		unmap_region(dst, size);
}

/* ------------------------------------------------------------------ */

static void run_faultin_4k(void) { test_faultin(0); }
static void run_faultin_thp(void) { test_faultin(1); }
static void run_meta_4k(void) { test_meta(0); }
static void run_meta_thp(void) { test_meta(1); }

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "faultin_4k", run_faultin_4k },
	{ "faultin_thp", run_faultin_thp },
	{ "migrate", test_migrate },
	{ "munmap", test_munmap },
	{ "mprotect", test_mprotect },
	{ "meta_4k", run_meta_4k },
	{ "meta_thp", run_meta_thp },
	{ "memcpy", test_memcpy },
};

static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *s;

	if (!list)
		return strcmp(name, "memcpy") != 0;
	for (s = list; (s = strstr(s, name)); s += n)
		if ((s == list || s[-1] == ',') && (!s[n] || s[n] == ','))
			return 1;
	return 0;
}

static void usage(void)
{
	size_t i;

	fprintf(stderr,
		"usage: gpusvm-bench [-d DEV] [-b NAME] [-s MiB] [-r REPS] [-t TEST,...]\n"
		"                    [-p KEY@FILE] [-P TEST] [-v]\n"
		"tests (default all but memcpy):");
	for (i = 0; i < ARRAY_SIZE(tests); i++)
		fprintf(stderr, " %s", tests[i].name);
	fputc('\n', stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long taint;
	const char *list = NULL;
	size_t i;
	int c;

	while ((c = getopt(argc, argv, "d:b:s:r:t:p:P:v")) != -1) {
		switch (c) {
		case 'd':
			dev_path = optarg;
			break;
		case 'b':
			backend = optarg;
			break;
		case 's':
			size = strtoul(optarg, NULL, 0) << 20;
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 't':
			list = optarg;
			break;
		case 'p':
			pt_file = strchr(optarg, '@');
			if (!pt_file)
				usage();
			pt_key = strndup(optarg, pt_file - optarg);
			pt_file++;
			break;
		case 'P':
			profile_test = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !size || size % SZ_2M || reps < 1 ||
	    reps > MAX_REPS)
		usage();

	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (profile_test && prof_open())
		return 1;
	taint = kernel_taint();
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		double t;

		if (!listed(list, tests[i].name))
			continue;
		cur_test = tests[i].name;
		t = now();
		tests[i].fn();
		printf("time %s %s %.1f s\n", backend, cur_test, now() - t);
	}
	if (profile_test && prof.ncpu)
		prof_report();
	if (kernel_taint() & ~taint & SPLAT_TAINTS) {
		printf("error %s: kernel splat during the benchmark\n", backend);
		return 1;
	}
	return 0;
}
