// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * gpusvm-oom: the OOM reaper must be able to reap a process whose memory
 * the GPU maps and whose data lives in device memory (R7).
 *
 * The OOM killer hands a victim to the reaper 2 s after killing it
 * (OOM_REAPER_DELAY in mm/oom_kill.c), and the reaper skips an mm whose
 * exit_mmap() has already started (MMF_OOM_SKIP). A single-threaded victim
 * exits within that time, so the reaper never runs: that is what an
 * earlier manual try saw. A victim that cannot exit quickly is what the
 * reaper is for, so this test makes one, deterministically:
 *
 *   1. The victim child maps buffer A and prefetches it to VRAM, maps
 *      buffer B and has the GPU map it in system memory.
 *   2. The parent sets simgpu's copy_delay_us to a few seconds.
 *   3. A second thread of the victim reads A: a CPU fault on device memory,
 *      whose migrate_to_ram waits uninterruptibly for the delayed copy job
 *      (D state). While it sleeps, the thread group cannot finish exiting,
 *      so the mm's last user never drops it and exit_mmap() cannot start.
 *   4. With that thread in D state, the victim (oom_score_adj 1000)
 *      touches a region it mapped beforehand until the OOM killer kills
 *      it. Only page faults: an mmap() now would wait for mmap_lock behind
 *      the sleeping fault, so the kill would come only after the copy.
 *      Most of the VM's memory is parked in the hugetlb pool first, so
 *      this takes a second or two, not minutes under TCG.
 *   5. 2 s later the reaper unmaps the victim's memory: every VMA through
 *      the MMU notifiers in non-blocking mode, which reach the core's and
 *      the glue's invalidate_nonblock for the GPU-mapped buffer B.
 *
 * It passes only if the kernel log says "oom_reaper: reaped process PID"
 * for the victim, the victim died of SIGKILL, the device still works for
 * the parent (jobs, prefetch to VRAM, CPU read-back), VRAM is all free
 * again and kmemleak finds nothing. Prints TAP 13.
 *
 * Options: -b BACKEND, -d COPY_DELAY_MS (default 12000), -r MiB left free
 * by parking memory in the hugetlb pool (default 192).
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gpusvm-glue.h"
#include "tap.h"

#define BUF_SIZE	(4UL << 20)
#define DELAY_PARAM	"/sys/module/simgpu/parameters/copy_delay_us"
#define HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define KMEMLEAK	"/sys/kernel/debug/kmemleak"

static const struct backend *be;
static long opt_delay_ms = 12000;
static long opt_reserve_mib = 192;

/* A "Name: value kB" line of /proc/meminfo, in kB. */
static long meminfo(const char *name)
{
	return file_stat("/proc/meminfo", name, ':');
}

/* The victim: see the file comment. Never returns. */
struct victim {
	uint32_t *a;
	pid_t tid;
};

static void *victim_reader(void *arg)
{
	struct victim *v = arg;

	__atomic_store_n(&v->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	/* CPU fault on VRAM: blocks in the delayed copy */
	return (void *)(uintptr_t)((volatile uint32_t *)v->a)[0];
}

static char task_state(pid_t tid)
{
	char path[64], b[256], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	b[n] = 0;
	p = strrchr(b, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

static void victim(int ready, int go)
{
	struct victim v = { .a = map_region(BUF_SIZE) };
	uint32_t *b = map_region(BUF_SIZE);
	/*
	 * All the memory it will touch, mapped now: mmap() takes mmap_lock
	 * for writing, which waits for the reader's fault to finish.
	 */
	size_t hog_size = (size_t)meminfo("MemTotal") << 10;
	char *hog = mmap(NULL, hog_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct gpu g;
	pthread_t t;
	double end;
	char c = 0;
	size_t i;

	if (!v.a || !b || hog == MAP_FAILED || gpu_open(&g, be, 0))
		_exit(10);
	for (i = 0; i < BUF_SIZE / 4; i++)
		v.a[i] = b[i] = i;
	if (be->prefetch(&g, v.a, BUF_SIZE, 1) ||
	    gpu_run1(&g, GOP_STORE, 0x5a5a5a5a, b, NULL, BUF_SIZE, NULL))
		_exit(11);
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1)
		_exit(12);

	if (file_put_num("/proc/self/oom_score_adj", 1000) ||
	    pthread_create(&t, NULL, victim_reader, &v))
		_exit(13);
	end = now_s() + 10;
	while (now_s() < end && (!__atomic_load_n(&v.tid, __ATOMIC_SEQ_CST) ||
				 task_state(v.tid) != 'D'))
		usleep(10000);
	if (task_state(v.tid) != 'D')
		_exit(14);
	if (write(ready, "s", 1) != 1)
		_exit(15);
	/* Page faults only: per-VMA locks, never a wait for mmap_lock */
	for (i = 0; i < hog_size; i += page_size)
		hog[i] = 1;
	_exit(16);
}

/* Scan /dev/kmsg records from @fd for the reaper's verdict on @pid. */
static int kmsg_scan(int fd, pid_t pid, int *killed, int *reaped,
		     int *unable)
{
	char rec[1024], want[64], kill_s[64], unable_s[64];
	ssize_t n;

	snprintf(want, sizeof(want), "oom_reaper: reaped process %d ", pid);
	snprintf(kill_s, sizeof(kill_s), "Killed process %d ", pid);
	snprintf(unable_s, sizeof(unable_s), "unable to reap pid:%d ", pid);
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || errno == EPIPE) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		if (strstr(rec, want)) {
			*reaped = 1;
			printf("# %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
		}
		if (strstr(rec, kill_s))
			*killed = 1;
		if (strstr(rec, unable_s)) {
			*unable = 1;
			printf("# %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
		}
	}
	return 0;
}

/* The core's view of the non-blocking invalidations, for the log. */
static void print_nonblock(void)
{
	DIR *d = opendir("/sys/kernel/debug/drm_gpusvm");
	struct dirent *e;
	char path[300];

	if (!d)
		return;
	while ((e = readdir(d))) {
		long long ok, refused;

		snprintf(path, sizeof(path), "/sys/kernel/debug/drm_gpusvm/%s/stats",
			 e->d_name);
		ok = file_stat(path, "nonblock_ok", ' ');
		refused = file_stat(path, "nonblock_refused", ' ');
		if (ok >= 0)
			printf("# %s: nonblock_ok %lld, nonblock_refused %lld\n",
			       e->d_name, ok, refused);
	}
	closedir(d);
}

/* kmemleak: nothing suspected (scan twice, objects must be 5 s old). */
static int no_leaks(void)
{
	char b[4096];
	ssize_t n;
	int fd;

	if (access(KMEMLEAK, W_OK))
		return 1;
	sleep(6);
	fd = open(KMEMLEAK, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 1;
	if (write(fd, "scan", 4) != 4 || write(fd, "scan", 4) != 4) {
		close(fd);
		return 1;
	}
	lseek(fd, 0, SEEK_SET);
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	b[n] = 0;
	printf("# kmemleak:\n# %.1000s\n", b);
	return 0;
}

/* The device still works: store, copy, prefetch to VRAM and read back. */
static int device_works(void)
{
	uint32_t *p = map_region(BUF_SIZE), *q = map_region(BUF_SIZE);
	struct gpu g = { .fd = -1 };
	int ok = 0;
	size_t i;

	if (!p || !q || gpu_open(&g, be, 0))
		goto out;
	for (i = 0; i < BUF_SIZE / 4; i++)
		p[i] = i * 5;
	if (be->prefetch(&g, p, BUF_SIZE, 1) ||
	    gpu_run1(&g, GOP_COPY, 0, q, p, BUF_SIZE, NULL) ||
	    gpu_run1(&g, GOP_ADD, 1, p, NULL, BUF_SIZE, NULL))
		goto out;
	for (i = 0; i < BUF_SIZE / 4; i++)
		if (q[i] != i * 5 || p[i] != i * 5 + 1) {
			printf("# word %zu: 0x%x 0x%x\n", i, q[i], p[i]);
			goto out;
		}
	ok = 1;
out:
	gpu_close(&g);
	unmap_region(p, BUF_SIZE);
	unmap_region(q, BUF_SIZE);
	return ok;
}

/* Park all but opt_reserve_mib of free memory in the hugetlb pool. */
static long squeeze(void)
{
	long before = file_get_num(HUGEPAGES), hp = meminfo("Hugepagesize");
	long free_kb = meminfo("MemFree"), add;

	if (before < 0 || hp <= 0 || free_kb < 0)
		return -1;
	add = (free_kb - opt_reserve_mib * 1024) / hp;
	if (add > 0)
		file_put_num(HUGEPAGES, before + add);
	printf("# %ld MiB free, %ld huge pages parked, %ld MiB left\n",
	       free_kb / 1024, file_get_num(HUGEPAGES) - before,
	       meminfo("MemFree") / 1024);
	return before;
}

static int test_oom_reap(void)
{
	int ready[2] = { -1, -1 }, go[2] = { -1, -1 }, kfd = -1;
	int ret = FAIL, status = 0, killed = 0, reaped = 0, unable = 0;
	long old_adj = file_get_num("/proc/self/oom_score_adj"), hugepages = -1;
	long long vram0 = vram_free(0);
	double t_stuck, end;
	pid_t pid = -1;
	char c = 0;

	CHECK(!pipe(ready) && !pipe(go));
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(kfd >= 0);
	lseek(kfd, 0, SEEK_END);
	CHECK(!file_put_num("/proc/self/oom_score_adj", -1000));
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		close(ready[0]);
		close(go[1]);
		victim(ready[1], go[0]);
	}
	/* Only the victim writes "ready": its death must read as EOF */
	close(ready[1]);
	close(go[0]);
	ready[1] = go[0] = -1;
	CHECK(read(ready[0], &c, 1) == 1 && c == 'r');
	CHECK(!file_put_num(DELAY_PARAM, opt_delay_ms * 1000));
	hugepages = squeeze();
	CHECK(write(go[1], "g", 1) == 1);
	CHECK(read(ready[0], &c, 1) == 1 && c == 's');
	t_stuck = now_s();
	printf("# victim %d: a thread is in D state in migrate_to_ram\n", pid);

	end = now_s() + 120;
	while (waitpid(pid, &status, WNOHANG) == 0 && now_s() < end) {
		kmsg_scan(kfd, pid, &killed, &reaped, &unable);
		if (reaped == 1) {
			print_nonblock();
			reaped = 2;
		}
		usleep(20000);
	}
	kmsg_scan(kfd, pid, &killed, &reaped, &unable);
	printf("# victim ended %.1f s after blocking: %s %d; killed %d, reaped %d\n",
	       now_s() - t_stuck, WIFSIGNALED(status) ? "signal" : "status",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
	       killed, !!reaped);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	pid = -1;
	CHECK(killed);
	CHECK(!unable);
	CHECK(reaped);
	ret = PASS;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		wait_child(pid);
	}
	if (hugepages >= 0)
		file_put_num(HUGEPAGES, hugepages);
	file_put_num(DELAY_PARAM, 0);
	if (old_adj >= -1000)
		file_put_num("/proc/self/oom_score_adj", old_adj);
	if (ret == PASS && !device_works()) {
		printf("# the device does not work after the OOM kill\n");
		ret = FAIL;
	}
	end = now_s() + 30;
	while (vram0 >= 0 && vram_free(0) != vram0 && now_s() < end)
		usleep(100000);
	if (vram0 >= 0 && vram_free(0) != vram0) {
		printf("# VRAM free pages %lld, %lld before\n", vram_free(0), vram0);
		ret = FAIL;
	}
	if (ret == PASS && !no_leaks())
		ret = FAIL;
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	if (kfd >= 0)
		close(kfd);
	return ret;
}

static const struct tap_test tests[] = {
	{ "oom_reap", test_oom_reap },
};

static int setup(void)
{
	char node[40];

	if (gpu_probe(be, node, sizeof(node)))
		return -1;
	if (access(DELAY_PARAM, W_OK)) {
		printf("Bail out! no %s\n", DELAY_PARAM);
		return -1;
	}
	printf("# backend %s (%s), copy delay %ld ms\n", be->name, node,
	       opt_delay_ms);
	return 0;
}

int main(int argc, char **argv)
{
	int opt;

	be = &xe_backend;
	while ((opt = getopt(argc, argv, "b:d:r:")) != -1) {
		switch (opt) {
		case 'b':
			be = backend_by_name(optarg);
			break;
		case 'd':
			opt_delay_ms = strtol(optarg, NULL, 0);
			break;
		case 'r':
			opt_reserve_mib = strtol(optarg, NULL, 0);
			break;
		default:
			be = NULL;
		}
	}
	if (!be) {
		fprintf(stderr, "usage: %s [-b BACKEND] [-d COPY_DELAY_MS] [-r RESERVE_MIB]\n",
			argv[0]);
		return 2;
	}
	argv[optind - 1] = argv[0];
	return tap_main(argc - optind + 1, argv + optind - 1, tests,
			ARRAY_SIZE(tests), setup);
}
