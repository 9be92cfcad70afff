// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * memcpy bandwidth of this machine, the yardstick for uodp's RDMA write
 * bandwidth: uodpd moves every payload with process_vm_readv/writev, i.e.
 * memory copies, so the copy bandwidth bounds what it can reach.
 *
 * usage: memcpy_bw [BLOCK_BYTES [TOTAL_MIB]]
 * prints: "memcpy_bw <GB/s> GB/s (block <n> B, <m> MiB copied)"
 * GB = 10^9 bytes, as perftest's --report_gbits figures divided by 8.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { WORKING_SET = 64 << 20 };	/* well beyond the caches */

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_size(const char *arg, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 0);
	return (errno || *end || !*out) ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
	unsigned long block = 65536, total_mib = 4096;
	size_t offset = 0, copied = 0, total;
	unsigned char *src, *dst;
	double start, elapsed;

	if ((argc > 1 && parse_size(argv[1], &block)) ||
	    (argc > 2 && parse_size(argv[2], &total_mib)) || argc > 3 ||
	    block > WORKING_SET) {
		fprintf(stderr, "usage: %s [BLOCK_BYTES [TOTAL_MIB]]\n", argv[0]);
		return 2;
	}
	src = malloc(WORKING_SET);
	dst = malloc(WORKING_SET);
	if (!src || !dst) {
		fprintf(stderr, "memcpy_bw: out of memory\n");
		free(src);
		free(dst);
		return 1;
	}
	/* Touch everything first: page faults are not copy bandwidth. */
	memset(src, 0x5a, WORKING_SET);
	memset(dst, 0, WORKING_SET);

	total = (size_t)total_mib << 20;
	start = now_seconds();
	while (copied < total) {
		if (offset + block > WORKING_SET)
			offset = 0;
		memcpy(dst + offset, src + offset, block);
		offset += block;
		copied += block;
	}
	elapsed = now_seconds() - start;
	/* Keep the copies observable so they cannot be optimised away. */
	if (dst[0] != 0x5a)
		fprintf(stderr, "memcpy_bw: copy check failed\n");
	printf("memcpy_bw %.2f GB/s (block %lu B, %zu MiB copied)\n",
	       copied / elapsed / 1e9, block, copied >> 20);
	free(src);
	free(dst);
	return 0;
}
