// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Page-fault EQE decoding (hw/mlx5/eqe.h), byte-level: the record comes
 * from the device side and is read through memcpy, never cast in place.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "hw/mlx5/eqe.h"
#include "odp/parse.h"

bool uodp_odp_fault_is_requester(uint8_t type)
{
	return type == MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE ||
	       type == MLX5_WQE_PF_TYPE_REQ_READ_OR_ATOMIC;
}

static void decode_wqe(const struct mlx5_eqe *e, struct uodp_odp_fault *f)
{
	uint32_t pftype_wq = be32toh(e->data.wqe.pftype_wq);

	f->bytes_committed = be32toh(e->data.wqe.bytes_committed);
	f->wqe_index = be16toh(e->data.wqe.wqe_index);
	f->packet_length = be16toh(e->data.wqe.packet_length);
	f->token = be32toh(e->data.wqe.token) & MLX5_PFAULT_TOKEN_MASK;
	f->type = (uint8_t)(pftype_wq >> MLX5_PFAULT_TYPE_SHIFT);
	f->wq_num = pftype_wq & MLX5_PFAULT_WQ_MASK;
}

static void decode_rdma(const struct mlx5_eqe *e, struct uodp_odp_fault *f)
{
	uint32_t pftype_token = be32toh(e->data.rdma.pftype_token);

	f->bytes_committed = be32toh(e->data.rdma.bytes_committed);
	f->rkey = be32toh(e->data.rdma.r_key);
	f->packet_length = be16toh(e->data.rdma.packet_length);
	f->rdma_op_len = be32toh(e->data.rdma.rdma_op_len);
	f->rdma_va = be64toh(e->data.rdma.rdma_va);
	f->type = (uint8_t)(pftype_token >> MLX5_PFAULT_TYPE_SHIFT);
	f->token = pftype_token & MLX5_PFAULT_TOKEN_MASK;
	f->wq_num = f->token;	/* RDMA faults resume by token */
}

int uodp_odp_decode_eqe(const uint8_t eqe[64], struct uodp_odp_fault *f)
{
	struct mlx5_eqe e;

	memcpy(&e, eqe, sizeof(e));
	memset(f, 0, sizeof(*f));
	f->subtype = e.sub_type;
	if (e.type != MLX5_EVENT_TYPE_PAGE_FAULT)
		return -EINVAL;
	switch (e.sub_type) {
	case MLX5_PFAULT_SUBTYPE_WQE:
		decode_wqe(&e, f);
		/* Types 0..3 only: anything else is a device we do not know. */
		return f->type <= MLX5_WQE_PF_TYPE_REQ_READ_OR_ATOMIC ?
			       0 : -EINVAL;
	case MLX5_PFAULT_SUBTYPE_RDMA:
		decode_rdma(&e, f);
		return 0;
	default:
		return -EINVAL;
	}
}
