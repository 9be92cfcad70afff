/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The pure pieces of the fault engine: EQE decoding (eqe.c), WQE parsing
 * as the hardware reads WQEs (wqe_parse.c), RDMA fault ranges and range
 * coalescing (ranges.c).  No I/O, no locks; every input is untrusted bytes
 * and every failure is an errno, never a crash.
 */
#ifndef UODP_ODP_PARSE_H
#define UODP_ODP_PARSE_H

#include <stddef.h>

#include "odp/types.h"

/*
 * Decode one channel record's page-fault EQE.  Returns 0, or -EINVAL when
 * it is not a page-fault EQE of a subtype this engine serves (WQE, RDMA);
 * *f is filled as far as the bytes allow either way (the token, to resume
 * with error).
 */
int uodp_odp_decode_eqe(const uint8_t eqe[64], struct uodp_odp_fault *f);

/* True for a requester (send queue) WQE fault type. */
bool uodp_odp_fault_is_requester(uint8_t type);

/*
 * Parse WQE wqe_index of wq as the hardware does and append what it
 * accesses through ODP MRs to out, bytes_committed consumed from the
 * front.  Non-ODP and unknown lkeys count as mapped (skipped), as in Linux.
 * *next gets the index of the WQE after this one (SQ: in WQEBBs; RQ: +1;
 * SRQ: the next segment's link).
 *
 * Returns 0; -EINVAL for a malformed WQE (DS count 0 or past the queue,
 * another QP's number, a WQE index that does not match, an opcode the QP
 * cannot have, segments past the DS count); -EPERM for an ODP MR of another
 * PD; -EFAULT for a range outside its MR; -ENOSPC when out is full.
 */
int uodp_odp_parse_wqe(const struct uodp_odp_wq_view *wq, uint32_t wqe_index,
		       uint32_t bytes_committed,
		       const struct uodp_odp_mr_resolver *res,
		       struct uodp_odp_range_list *out, uint32_t *next);

/*
 * The range an RDMA responder fault needs: rkey's [va + committed,
 * va + op_len), op_len 0 meaning packet_length.  *mr gets the MR.  Returns
 * 0, -ENOENT (unknown rkey), -EINVAL (not an ODP MR), -EFAULT (out of the
 * MR), -ENOSPC.
 */
int uodp_odp_rdma_range(const struct uodp_odp_fault *f,
			const struct uodp_odp_mr_resolver *res,
			struct uodp_odp_range_list *out,
			struct uodp_odp_mr_info *mr);

/* Append [va, va + len) of mr; -EFAULT out of the MR, -ENOSPC full. */
int uodp_odp_range_add(struct uodp_odp_range_list *out,
		       const struct uodp_odp_mr_info *mr, uint64_t va,
		       uint64_t len, uint32_t flags);

/*
 * Merge the ranges of one MR key that overlap, touch or share a page
 * (the union stays inside the MR), OR-ing their flags; order by key and
 * va.  Returns the new count.
 */
uint32_t uodp_odp_coalesce(struct uodp_odp_range *r, uint32_t n);

/* Page-aligned process span [*start, *end) of a range. */
void uodp_odp_range_span(const struct uodp_odp_range *r, uint64_t *start,
			 uint64_t *end);

#endif /* UODP_ODP_PARSE_H */
