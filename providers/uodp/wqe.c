// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * mlx5 send/receive WQE encoding into caller-provided rings (see wqe.h).
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "wqe.h"

void uodp_wqe_begin(struct uodp_wqe *w, void *sq, uint32_t wqe_cnt,
		    uint32_t index)
{
	w->sq = sq;
	w->sq_mask = wqe_cnt * MLX5_SEND_WQE_BB - 1;
	w->start = (index & (wqe_cnt - 1)) * MLX5_SEND_WQE_BB;
	w->size = 0;
	uodp_wqe_reserve(w, sizeof(struct mlx5_wqe_ctrl_seg));
}

void *uodp_wqe_addr(const struct uodp_wqe *w, uint32_t off)
{
	return w->sq + ((w->start + off) & w->sq_mask);
}

void uodp_wqe_write(const struct uodp_wqe *w, uint32_t off, const void *src,
		    size_t len)
{
	uint32_t pos = (w->start + off) & w->sq_mask;
	size_t room = (size_t)w->sq_mask + 1 - pos;
	size_t first = len < room ? len : room;

	if (!len)
		return;
	memcpy(w->sq + pos, src, first);
	if (first < len)
		memcpy(w->sq, (const uint8_t *)src + first, len - first);
}

static void wqe_zero(const struct uodp_wqe *w, uint32_t off, size_t len)
{
	static const uint8_t zeroes[MLX5_SEND_WQE_BB];

	while (len) {
		size_t n = len < sizeof(zeroes) ? len : sizeof(zeroes);

		uodp_wqe_write(w, off, zeroes, n);
		off += n;
		len -= n;
	}
}

uint32_t uodp_wqe_reserve(struct uodp_wqe *w, uint32_t len)
{
	uint32_t off = w->size;

	len = (len + MLX5_SEND_WQE_DS - 1) & ~(uint32_t)(MLX5_SEND_WQE_DS - 1);
	wqe_zero(w, off, len);
	w->size += len;
	return off;
}

void uodp_wqe_set_xrc(const struct uodp_wqe *w, uint32_t off,
		      uint32_t xrc_srqn)
{
	struct mlx5_wqe_xrc_seg seg = { .xrc_srqn = htobe32(xrc_srqn) };

	uodp_wqe_write(w, off, &seg, sizeof(seg));
}

void uodp_wqe_add_xrc(struct uodp_wqe *w, uint32_t xrc_srqn)
{
	uint32_t off = uodp_wqe_reserve(w, sizeof(struct mlx5_wqe_xrc_seg));

	uodp_wqe_set_xrc(w, off, xrc_srqn);
}

void uodp_wqe_set_av(const struct uodp_wqe *w, uint32_t off,
		     const struct mlx5_wqe_av *av, int extended,
		     uint32_t remote_qpn, uint32_t qkey)
{
	struct mlx5_wqe_av seg = *av;
	uint32_t dqp = remote_qpn & MLX5_AV_QPN_MASK;

	if (extended)
		dqp |= MLX5_EXTENDED_UD_AV;
	seg.dqp_dct = htobe32(dqp);
	seg.key.qkey.qkey = htobe32(qkey);
	seg.key.qkey.reserved = 0;
	uodp_wqe_write(w, off, &seg,
		       extended ? MLX5_AV_EXTENDED_SIZE : MLX5_AV_BASE_SIZE);
}

void uodp_wqe_add_av(struct uodp_wqe *w, const struct mlx5_wqe_av *av,
		     int extended, uint32_t remote_qpn, uint32_t qkey)
{
	uint32_t len = extended ? MLX5_AV_EXTENDED_SIZE : MLX5_AV_BASE_SIZE;

	uodp_wqe_set_av(w, uodp_wqe_reserve(w, len), av, extended, remote_qpn,
			qkey);
}

void uodp_wqe_add_raddr(struct uodp_wqe *w, uint64_t raddr, uint32_t rkey)
{
	struct mlx5_wqe_raddr_seg seg = {
		.raddr = htobe64(raddr),
		.rkey = htobe32(rkey),
	};

	uodp_wqe_write(w, uodp_wqe_reserve(w, sizeof(seg)), &seg, sizeof(seg));
}

void uodp_wqe_add_atomic(struct uodp_wqe *w, uint64_t swap_add,
			 uint64_t compare)
{
	struct mlx5_wqe_atomic_seg seg = {
		.swap_add = htobe64(swap_add),
		.compare = htobe64(compare),
	};

	uodp_wqe_write(w, uodp_wqe_reserve(w, sizeof(seg)), &seg, sizeof(seg));
}

void uodp_wqe_add_data(struct uodp_wqe *w, uint64_t addr, uint32_t length,
		       uint32_t lkey)
{
	struct mlx5_wqe_data_seg seg = {
		.byte_count = htobe32(length),
		.lkey = htobe32(lkey),
		.addr = htobe64(addr),
	};

	uodp_wqe_write(w, uodp_wqe_reserve(w, sizeof(seg)), &seg, sizeof(seg));
}

int uodp_wqe_add_inline(struct uodp_wqe *w, const struct ibv_data_buf *bufs,
			size_t nbufs, uint32_t max_inline)
{
	struct mlx5_wqe_inline_seg hdr;
	uint64_t total = 0;
	uint32_t off, pos;
	size_t i;

	for (i = 0; i < nbufs; i++)
		total += bufs[i].length;
	if (total > max_inline)
		return ENOMEM;
	if (!total)
		return 0;

	off = uodp_wqe_reserve(w, mlx5_inline_seg_size((uint32_t)total));
	hdr.byte_count = htobe32((uint32_t)total | MLX5_INLINE_SEG);
	uodp_wqe_write(w, off, &hdr, sizeof(hdr));
	pos = off + sizeof(hdr);
	for (i = 0; i < nbufs; i++) {
		uodp_wqe_write(w, pos, bufs[i].addr, bufs[i].length);
		pos += bufs[i].length;
	}
	return 0;
}

uint32_t uodp_wqe_finish(struct uodp_wqe *w, uint8_t opcode, uint32_t index,
			 uint32_t qpn, uint8_t fm_ce_se, uint32_t imm_be)
{
	struct mlx5_wqe_ctrl_seg *ctrl = uodp_wqe_addr(w, 0);
	uint32_t ds = w->size / MLX5_SEND_WQE_DS;

	ctrl->opmod_idx_opcode =
		htobe32(((index & MLX5_WQE_INDEX_MASK) << 8) | opcode);
	ctrl->qpn_ds = htobe32((qpn << 8) | (ds & MLX5_WQE_CTRL_DS_MASK));
	ctrl->signature = 0;
	ctrl->rsvd[0] = 0;
	ctrl->rsvd[1] = 0;
	ctrl->fm_ce_se = fm_ce_se;
	ctrl->imm = imm_be;
	return mlx5_wqe_bbs(ds);
}

int uodp_wr_opcode_to_mlx5(enum ibv_wr_opcode opcode)
{
	switch (opcode) {
	case IBV_WR_RDMA_WRITE:
		return MLX5_OPCODE_RDMA_WRITE;
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		return MLX5_OPCODE_RDMA_WRITE_IMM;
	case IBV_WR_SEND:
		return MLX5_OPCODE_SEND;
	case IBV_WR_SEND_WITH_IMM:
		return MLX5_OPCODE_SEND_IMM;
	case IBV_WR_RDMA_READ:
		return MLX5_OPCODE_RDMA_READ;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
		return MLX5_OPCODE_ATOMIC_CS;
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		return MLX5_OPCODE_ATOMIC_FA;
	default:
		return -1;
	}
}

uint8_t uodp_send_flags_to_fm_ce_se(unsigned int send_flags, int sig_all)
{
	uint8_t fm_ce_se = 0;

	if (sig_all || (send_flags & IBV_SEND_SIGNALED))
		fm_ce_se |= MLX5_WQE_CTRL_CQ_UPDATE;
	if (send_flags & IBV_SEND_SOLICITED)
		fm_ce_se |= MLX5_WQE_CTRL_SOLICITED;
	if (send_flags & IBV_SEND_FENCE)
		fm_ce_se |= MLX5_WQE_CTRL_FENCE;
	return fm_ce_se;
}

int uodp_av_build(struct mlx5_wqe_av *av, const struct ibv_ah_attr *attr,
		  int *extended)
{
	uint32_t grh;

	memset(av, 0, sizeof(*av));
	/* A RoCE port routes by GID: without a GRH there is no address. */
	if (!attr->is_global)
		return EINVAL;

	av->stat_rate_sl = (uint8_t)((attr->static_rate << 4) |
				     ((attr->sl & 0x7) << 1));
	av->rlid = htobe16(attr->dlid);
	av->tclass = attr->grh.traffic_class;
	av->hop_limit = attr->grh.hop_limit;
	grh = MLX5_AV_GRH_FLAG |
	      ((uint32_t)(attr->grh.sgid_index & MLX5_AV_SGID_INDEX_MASK)
	       << MLX5_AV_SGID_INDEX_SHIFT) |
	      (attr->grh.flow_label & MLX5_AV_FLOW_LABEL_MASK);
	av->grh_gid_fl = htobe32(grh);
	memcpy(av->rgid, attr->grh.dgid.raw, sizeof(av->rgid));
	*extended = 1;
	return 0;
}

static void set_data_seg(struct mlx5_wqe_data_seg *seg, uint32_t length,
			 uint32_t lkey, uint64_t addr)
{
	seg->byte_count = htobe32(length);
	seg->lkey = htobe32(lkey);
	seg->addr = htobe64(addr);
}

static uint32_t build_scatter(struct mlx5_wqe_data_seg *seg, uint32_t max_gs,
			      const struct ibv_sge *sg, int num_sge)
{
	uint32_t n = 0;
	int i;

	for (i = 0; i < num_sge && n < max_gs; i++) {
		/* byte_count 0 would mean 2 GiB to the device: skip. */
		if (!sg[i].length)
			continue;
		set_data_seg(&seg[n++], sg[i].length, sg[i].lkey, sg[i].addr);
	}
	if (n < max_gs)
		set_data_seg(&seg[n], 0, MLX5_INVALID_LKEY, 0);
	return n;
}

uint32_t uodp_rwqe_build(void *wqe, uint32_t max_gs, const struct ibv_sge *sg,
			 int num_sge)
{
	return build_scatter(wqe, max_gs, sg, num_sge);
}

uint16_t uodp_srq_wqe_next(const void *wqe)
{
	const struct mlx5_wqe_srq_next_seg *next = wqe;

	return be16toh(next->next_wqe_index);
}

void uodp_srq_wqe_set_next(void *wqe, uint16_t next_index)
{
	struct mlx5_wqe_srq_next_seg *next = wqe;

	next->next_wqe_index = htobe16(next_index);
}

void uodp_srq_init_free_list(void *buf, uint32_t wqe_cnt, uint32_t wqe_shift)
{
	uint32_t i;

	for (i = 0; i < wqe_cnt; i++) {
		uint8_t *wqe = (uint8_t *)buf + ((size_t)i << wqe_shift);

		memset(wqe, 0, sizeof(struct mlx5_wqe_srq_next_seg));
		uodp_srq_wqe_set_next(wqe, (uint16_t)((i + 1) & (wqe_cnt - 1)));
	}
}

uint32_t uodp_srq_wqe_build(void *wqe, uint32_t max_gs,
			    const struct ibv_sge *sg, int num_sge)
{
	struct mlx5_wqe_data_seg *seg = (struct mlx5_wqe_data_seg *)
		((uint8_t *)wqe + sizeof(struct mlx5_wqe_srq_next_seg));

	return build_scatter(seg, max_gs, sg, num_sge);
}
