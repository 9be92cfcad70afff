// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * What uodp-run's seccomp filter costs a process: loops of ordinary system
 * calls, each figure the median of 5 runs of ns per call.  Run it once
 * outside uodp-run and once inside (tests/bench/syscall_cost.sh prints the
 * ratio): getppid (no argument checks), write to /dev/null (an fd-number
 * check: write is a filtered call), open+close of a file read-only (open is
 * checked by flags only) and open+close with O_RDWR | O_CLOEXEC (the
 * device's flags: each open goes to uodpd and comes back untouched).
 *
 * usage: syscall_cost FILE [ITERATIONS]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RUNS 5

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

enum loop_kind { GETPPID, WRITE_NULL, OPEN_RDONLY, OPEN_RDWR_CLOEXEC };

static void one_call(enum loop_kind kind, const char *file, int null_fd)
{
	char byte = 0;
	int fd;

	switch (kind) {
	case GETPPID:
		syscall(SYS_getppid);
		break;
	case WRITE_NULL:
		if (write(null_fd, &byte, 1) != 1)
			exit(1);
		break;
	case OPEN_RDONLY:
	case OPEN_RDWR_CLOEXEC:
		fd = open(file, kind == OPEN_RDONLY ? O_RDONLY :
			  O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			perror(file);
			exit(1);
		}
		close(fd);
		break;
	}
}

static double median_ns(enum loop_kind kind, const char *file, int null_fd,
			long iters)
{
	double runs[RUNS], start;
	long i;
	int r;

	for (r = 0; r < RUNS; r++) {
		start = now_ns();
		for (i = 0; i < iters; i++)
			one_call(kind, file, null_fd);
		runs[r] = (now_ns() - start) / iters;
	}
	qsort(runs, RUNS, sizeof(runs[0]), cmp_double);
	return runs[RUNS / 2];
}

int main(int argc, char **argv)
{
	long iters = argc > 2 ? atol(argv[2]) : 200000;
	int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (argc < 2 || null_fd < 0 || iters <= 0) {
		fprintf(stderr, "usage: syscall_cost FILE [ITERATIONS]\n");
		return 2;
	}
	printf("getppid %.1f\n", median_ns(GETPPID, argv[1], null_fd, iters));
	printf("write_devnull %.1f\n",
	       median_ns(WRITE_NULL, argv[1], null_fd, iters));
	printf("open_close_rdonly %.1f\n",
	       median_ns(OPEN_RDONLY, argv[1], null_fd, iters / 4));
	printf("open_close_rdwr_cloexec %.1f\n",
	       median_ns(OPEN_RDWR_CLOEXEC, argv[1], null_fd, iters / 20));
	return 0;
}
