// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * mlx5 CQE decoding into struct ibv_wc (see cqe.h).
 */
#include <endian.h>
#include <string.h>

#include "cqe.h"
#include "hw/mlx5/wqe.h"

enum ibv_wc_status uodp_cqe_syndrome_to_status(uint8_t syndrome)
{
	switch (syndrome) {
	case MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR:
		return IBV_WC_LOC_LEN_ERR;
	case MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR:
		return IBV_WC_LOC_QP_OP_ERR;
	case MLX5_CQE_SYNDROME_LOCAL_PROT_ERR:
		return IBV_WC_LOC_PROT_ERR;
	case MLX5_CQE_SYNDROME_WR_FLUSH_ERR:
		return IBV_WC_WR_FLUSH_ERR;
	case MLX5_CQE_SYNDROME_MW_BIND_ERR:
		return IBV_WC_MW_BIND_ERR;
	case MLX5_CQE_SYNDROME_BAD_RESP_ERR:
		return IBV_WC_BAD_RESP_ERR;
	case MLX5_CQE_SYNDROME_LOCAL_ACCESS_ERR:
		return IBV_WC_LOC_ACCESS_ERR;
	case MLX5_CQE_SYNDROME_REMOTE_INVAL_REQ_ERR:
		return IBV_WC_REM_INV_REQ_ERR;
	case MLX5_CQE_SYNDROME_REMOTE_ACCESS_ERR:
		return IBV_WC_REM_ACCESS_ERR;
	case MLX5_CQE_SYNDROME_REMOTE_OP_ERR:
		return IBV_WC_REM_OP_ERR;
	case MLX5_CQE_SYNDROME_TRANSPORT_RETRY_EXC_ERR:
		return IBV_WC_RETRY_EXC_ERR;
	case MLX5_CQE_SYNDROME_RNR_RETRY_EXC_ERR:
		return IBV_WC_RNR_RETRY_EXC_ERR;
	case MLX5_CQE_SYNDROME_REMOTE_ABORTED_ERR:
		return IBV_WC_REM_ABORT_ERR;
	default:
		return IBV_WC_GENERAL_ERR;
	}
}

enum ibv_wc_opcode uodp_cqe_send_opcode_to_wc(uint8_t wqe_opcode)
{
	switch (wqe_opcode) {
	case MLX5_OPCODE_RDMA_WRITE:
	case MLX5_OPCODE_RDMA_WRITE_IMM:
		return IBV_WC_RDMA_WRITE;
	case MLX5_OPCODE_RDMA_READ:
		return IBV_WC_RDMA_READ;
	case MLX5_OPCODE_ATOMIC_CS:
	case MLX5_OPCODE_ATOMIC_MASKED_CS:
		return IBV_WC_COMP_SWAP;
	case MLX5_OPCODE_ATOMIC_FA:
	case MLX5_OPCODE_ATOMIC_MASKED_FA:
		return IBV_WC_FETCH_ADD;
	case MLX5_OPCODE_LOCAL_INVAL:
		return IBV_WC_LOCAL_INV;
	case MLX5_OPCODE_SEND:
	case MLX5_OPCODE_SEND_IMM:
	case MLX5_OPCODE_SEND_INVAL:
	default:
		return IBV_WC_SEND;
	}
}

static void decode_req(const struct mlx5_cqe64 *cqe, struct ibv_wc *wc)
{
	uint8_t sop = be32toh(cqe->sop_drop_qpn) >> 24;

	wc->opcode = uodp_cqe_send_opcode_to_wc(sop);
	switch (wc->opcode) {
	case IBV_WC_RDMA_READ:
		wc->byte_len = be32toh(cqe->byte_cnt);
		break;
	case IBV_WC_COMP_SWAP:
	case IBV_WC_FETCH_ADD:
		wc->byte_len = MLX5_ATOMIC_SIZE;
		break;
	default:
		break;
	}
}

static void decode_resp(const struct mlx5_cqe64 *cqe, uint8_t opcode,
			struct ibv_wc *wc)
{
	uint32_t flags_rqpn = be32toh(cqe->flags_rqpn);

	wc->byte_len = be32toh(cqe->byte_cnt);
	switch (opcode) {
	case MLX5_CQE_RESP_WR_IMM:
		wc->opcode = IBV_WC_RECV_RDMA_WITH_IMM;
		wc->wc_flags |= IBV_WC_WITH_IMM;
		wc->imm_data = cqe->imm_inval_pkey;
		break;
	case MLX5_CQE_RESP_SEND_IMM:
		wc->opcode = IBV_WC_RECV;
		wc->wc_flags |= IBV_WC_WITH_IMM;
		wc->imm_data = cqe->imm_inval_pkey;
		break;
	case MLX5_CQE_RESP_SEND_INV:
		wc->opcode = IBV_WC_RECV;
		wc->wc_flags |= IBV_WC_WITH_INV;
		wc->invalidated_rkey = be32toh(cqe->imm_inval_pkey);
		break;
	default:
		wc->opcode = IBV_WC_RECV;
		break;
	}
	wc->src_qp = flags_rqpn & MLX5_CQE_QPN_MASK;
	wc->sl = (flags_rqpn >> MLX5_CQE_SL_SHIFT) & 0xf;
	if ((flags_rqpn >> MLX5_CQE_GRH_SHIFT) & MLX5_CQE_GRH_MASK)
		wc->wc_flags |= IBV_WC_GRH;
	wc->slid = be16toh(cqe->slid);
	wc->pkey_index = 0;
	wc->dlid_path_bits = 0;
}

bool uodp_cqe_decode(const struct mlx5_cqe64 *cqe, struct ibv_wc *wc,
		     struct uodp_cqe_info *info)
{
	const struct mlx5_err_cqe *ecqe = (const struct mlx5_err_cqe *)cqe;
	uint8_t opcode = mlx5_cqe_opcode(cqe);
	uint32_t qpn_word = be32toh(cqe->sop_drop_qpn);

	memset(info, 0, sizeof(*info));
	info->opcode = opcode;
	info->qpn = qpn_word & MLX5_CQE_QPN_MASK;
	info->srqn = be32toh(cqe->srqn_uidx) & MLX5_CQE_QPN_MASK;
	info->wqe_counter = be16toh(cqe->wqe_counter);

	wc->qp_num = info->qpn;
	wc->wc_flags = 0;
	wc->vendor_err = 0;
	wc->byte_len = 0;
	wc->imm_data = 0;
	wc->src_qp = 0;
	wc->slid = 0;
	wc->sl = 0;
	wc->pkey_index = 0;
	wc->dlid_path_bits = 0;
	wc->status = IBV_WC_SUCCESS;

	switch (opcode) {
	case MLX5_CQE_REQ:
		info->is_send = true;
		decode_req(cqe, wc);
		return true;
	case MLX5_CQE_RESP_WR_IMM:
	case MLX5_CQE_RESP_SEND:
	case MLX5_CQE_RESP_SEND_IMM:
	case MLX5_CQE_RESP_SEND_INV:
		decode_resp(cqe, opcode, wc);
		return true;
	case MLX5_CQE_REQ_ERR:
	case MLX5_CQE_RESP_ERR:
		info->is_error = true;
		info->is_send = opcode == MLX5_CQE_REQ_ERR;
		info->srqn = be32toh(ecqe->srqn) & MLX5_CQE_QPN_MASK;
		wc->status = uodp_cqe_syndrome_to_status(ecqe->syndrome);
		wc->vendor_err = ecqe->vendor_err_synd;
		/* The opcode of an error completion is undefined; be useful. */
		if (info->is_send)
			wc->opcode = uodp_cqe_send_opcode_to_wc(
				be32toh(ecqe->s_wqe_opcode_qpn) >> 24);
		else
			wc->opcode = IBV_WC_RECV;
		return true;
	default:
		info->is_error = true;
		wc->status = IBV_WC_GENERAL_ERR;
		return false;
	}
}
