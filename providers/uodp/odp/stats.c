// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The engine's counters live in a "stats page": a memfd sealed against
 * resizing that the engine updates with relaxed atomic adds and hands to
 * the device side, which maps it read-only to answer QUERY_COUNTERS for
 * tools in other processes (uodp-stat) without asking us.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "odp/engine_int.h"

int uodp_odp_stats_create(struct uodp_odp_engine *e, int *fd_out)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = (sizeof(*e->stats) + page - 1) & ~(size_t)(page - 1);
	void *addr;
	int fd, err;

	fd = memfd_create("uodp-odp-stats", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		goto err_close;
	addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		goto err_close;
	e->stats = addr;
	e->stats_size = size;
	*fd_out = fd;
	return 0;

err_close:
	err = errno;
	close(fd);
	return -err;
}

void uodp_odp_stats_destroy(struct uodp_odp_engine *e)
{
	if (e->stats)
		munmap(e->stats, e->stats_size);
	e->stats = NULL;
}

uint64_t uodp_odp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Bucket i counts services shorter than 2^(i+8) ns; the last, the rest. */
void uodp_odp_stats_service_time(struct uodp_odp_engine *e, uint64_t ns)
{
	unsigned int bucket = 0;

	while (bucket < UODP_ODP_HIST_BUCKETS - 1 &&
	       ns >= (1ull << (bucket + 8)))
		bucket++;
	odp_count(e, service_hist[bucket], 1);
	odp_count(e, service_ns_total, ns);
}

void uodp_odp_engine_counters(const struct uodp_odp_engine *e,
			      struct uodp_odp_engine_counters *c)
{
	const uint64_t *src = (const uint64_t *)e->stats;
	uint64_t *dst = (uint64_t *)c;
	size_t i;

	for (i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
