// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * TEMPORARY (lead, for helper E): placeholders of the device-side ODP
 * functions the engine calls, so the tree links until odp*.c implements
 * them.  Delete this file (and nothing else) when the real ones exist.
 */
#include <errno.h>

#include "odp.h"

int ud_odp_raise_wqe_fault(struct uodpd *d, struct ud_qp *qp,
			   struct ud_srq *srq, uint8_t type, uint32_t wq_num,
			   uint16_t wqe_index, uint32_t bytes_committed)
{
	(void)d; (void)qp; (void)srq; (void)type; (void)wq_num;
	(void)wqe_index; (void)bytes_committed;
	return -ENOTCONN;
}

int ud_odp_raise_rdma_fault(struct uodpd *d, struct ud_qp *responder,
			    uint32_t rkey, uint64_t va, uint32_t op_len,
			    uint32_t bytes_committed, uint16_t packet_length,
			    bool write)
{
	(void)d; (void)responder; (void)rkey; (void)va; (void)op_len;
	(void)bytes_committed; (void)packet_length; (void)write;
	return -ENOTCONN;
}

void ud_odp_invalidate(struct uodpd *d, struct ud_mr *mr, uint64_t va,
		       uint64_t len)
{
	(void)d; (void)mr; (void)va; (void)len;
}
