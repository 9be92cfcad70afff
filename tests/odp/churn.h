/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The churn run (issue 10), shared by odp_stress churn (which checks it)
 * and mmu_bench (which prints its figures): an allocator that returns
 * memory with MADV_DONTNEED and hands it out again, in an ODP MR that RDMA
 * WRITEs keep landing in.  Each round writes 1 MiB into one part of the
 * target while the program drops and rewrites 256 KiB of another part,
 * then checks both: the written bytes arrived, the rewritten ones are the
 * program's (the device wrote nothing through a stale translation).
 */
#ifndef UODP_TESTS_ODP_CHURN_H
#define UODP_TESTS_ODP_CHURN_H

#include <stdbool.h>
#include <stdint.h>

struct odp_churn_result {
	uint64_t rounds;
	uint64_t bytes_written;		/* by RDMA WRITE, completed */
	uint64_t bytes_verified;	/* of those and the rewritten ones */
	uint64_t bytes_wrong;		/* not what they should be */
	uint64_t errors;		/* WRITEs that completed in error */
	uint64_t faults;		/* the device's, during the run */
	uint64_t invalidations;		/* pages */
	uint64_t mmu_events;
	double seconds;			/* of the rounds */
};

/*
 * rounds rounds on uodp0, the target in an explicit ODP MR or (implicit)
 * both buffers in one implicit ODP MR; 0, or an errno when it could not
 * run.
 */
int odp_churn(unsigned int rounds, unsigned int seed, bool implicit,
	      struct odp_churn_result *res);

#endif /* UODP_TESTS_ODP_CHURN_H */
