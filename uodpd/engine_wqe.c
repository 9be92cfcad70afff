// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Decoding of mlx5 send and receive WQEs.  The engine copies a WQE out of
 * the shared ring before decoding it, so a client rewriting its queue while
 * the device reads cannot make a field change between check and use.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "engine.h"

int ud_sq_copy_wqe(const struct ud_qbuf *sq, uint32_t wqe_cnt, uint32_t ci,
		   uint32_t posted_bbs, uint8_t *buf)
{
	const struct mlx5_wqe_ctrl_seg *ctrl;
	uint32_t slot = ci & (wqe_cnt - 1);
	uint32_t ds, nbbs, first;
	int ret;

	ret = ud_qbuf_read(sq, (uint64_t)slot * MLX5_SEND_WQE_BB, buf,
			   MLX5_SEND_WQE_BB);
	if (ret)
		return ret;
	ctrl = (const struct mlx5_wqe_ctrl_seg *)buf;
	ds = be32toh(ctrl->qpn_ds) & MLX5_WQE_CTRL_DS_MASK;
	if (!ds)
		return -EINVAL;
	nbbs = mlx5_wqe_bbs(ds);
	if (nbbs > posted_bbs || nbbs > wqe_cnt)
		return -EINVAL;
	/* The WQE may run past the end of the ring and continue at its start. */
	first = wqe_cnt - slot;
	if (first > nbbs)
		first = nbbs;
	if (first > 1)
		ret = ud_qbuf_read(sq, (uint64_t)(slot + 1) * MLX5_SEND_WQE_BB,
				   buf + MLX5_SEND_WQE_BB,
				   (size_t)(first - 1) * MLX5_SEND_WQE_BB);
	if (!ret && nbbs > first)
		ret = ud_qbuf_read(sq, 0, buf + (size_t)first * MLX5_SEND_WQE_BB,
				   (size_t)(nbbs - first) * MLX5_SEND_WQE_BB);
	return ret ? ret : (int)nbbs;
}

static bool opcode_valid_for(uint8_t opcode, uint32_t qp_type)
{
	switch (opcode) {
	case MLX5_OPCODE_NOP:
	case MLX5_OPCODE_SEND:
	case MLX5_OPCODE_SEND_IMM:
		return true;
	case MLX5_OPCODE_RDMA_WRITE:
	case MLX5_OPCODE_RDMA_WRITE_IMM:
		return qp_type == IBV_QPT_RC || qp_type == IBV_QPT_UC ||
		       qp_type == IBV_QPT_XRC_SEND;
	case MLX5_OPCODE_RDMA_READ:
	case MLX5_OPCODE_ATOMIC_CS:
	case MLX5_OPCODE_ATOMIC_FA:
		/* Reads and atomics need a response: UC has none. */
		return qp_type == IBV_QPT_RC || qp_type == IBV_QPT_XRC_SEND;
	default:
		return false;
	}
}

static void parse_av(const struct mlx5_wqe_av *av, bool extended,
		     struct ud_send_wqe *w)
{
	uint32_t gid_fl;

	w->has_av = true;
	w->av_dqpn = be32toh(av->dqp_dct) & MLX5_AV_QPN_MASK;
	w->av_qkey = be32toh(av->key.qkey.qkey);
	if (!extended)
		return;
	gid_fl = be32toh(av->grh_gid_fl);
	w->av_grh = gid_fl & MLX5_AV_GRH_FLAG;
	w->av_sgid_index = (gid_fl >> MLX5_AV_SGID_INDEX_SHIFT) &
			   MLX5_AV_SGID_INDEX_MASK;
	w->av_flow_label = gid_fl & MLX5_AV_FLOW_LABEL_MASK;
	w->av_tclass = av->tclass;
	w->av_hop_limit = av->hop_limit;
	memcpy(w->av_rgid, av->rgid, sizeof(w->av_rgid));
}

/* Decode the data part: one inline segment, or data segments. */
static int parse_data(const uint8_t *p, uint32_t left, struct ud_send_wqe *w)
{
	const struct mlx5_wqe_data_seg *dseg;
	uint32_t bc;

	if (left >= sizeof(uint32_t)) {
		memcpy(&bc, p, sizeof(bc));
		bc = be32toh(bc);
		if (bc & MLX5_INLINE_SEG) {
			w->is_inline = true;
			w->inline_len = bc & ~MLX5_INLINE_SEG;
			if (w->inline_len + sizeof(bc) > left)
				return -EINVAL;
			w->inline_data = p + sizeof(bc);
			w->sgl.total = w->inline_len;
			return 0;
		}
	}
	for (; left >= sizeof(*dseg); left -= sizeof(*dseg), p += sizeof(*dseg)) {
		struct ud_seg *seg;

		if (w->sgl.n == UD_MAX_SGE)
			return -EMSGSIZE;
		dseg = (const struct mlx5_wqe_data_seg *)p;
		seg = &w->sgl.seg[w->sgl.n++];
		seg->key = be32toh(dseg->lkey);
		seg->va = be64toh(dseg->addr);
		seg->len = mlx5_data_seg_len(be32toh(dseg->byte_count));
		w->sgl.total += seg->len;
	}
	return 0;
}

int ud_parse_send_wqe(const uint8_t *buf, uint32_t nbbs, uint32_t qp_type,
		      struct ud_send_wqe *w)
{
	const struct mlx5_wqe_ctrl_seg *ctrl = (const void *)buf;
	uint32_t v, len, off = sizeof(*ctrl);

	memset(w, 0, offsetof(struct ud_send_wqe, sgl));
	w->sgl.n = 0;
	w->sgl.total = 0;
	v = be32toh(ctrl->opmod_idx_opcode);
	w->opcode = v & 0xff;
	w->wqe_index = (v >> 8) & MLX5_WQE_INDEX_MASK;
	w->opmod = v >> 24;
	v = be32toh(ctrl->qpn_ds);
	w->qpn = v >> 8;
	w->ds = v & MLX5_WQE_CTRL_DS_MASK;
	w->fm_ce_se = ctrl->fm_ce_se;
	w->imm_be = ctrl->imm;
	w->nbbs = nbbs;
	len = (uint32_t)w->ds * MLX5_SEND_WQE_DS;
	if (!w->ds || len > nbbs * MLX5_SEND_WQE_BB)
		return -EINVAL;
	if (!opcode_valid_for(w->opcode, qp_type))
		return -EINVAL;

	if (qp_type == IBV_QPT_XRC_SEND) {
		const struct mlx5_wqe_xrc_seg *xrc = (const void *)(buf + off);

		if (off + sizeof(*xrc) > len)
			return -EINVAL;
		w->has_xrc = true;
		w->xrc_srqn = be32toh(xrc->xrc_srqn) & 0xffffff;
		off += sizeof(*xrc);
	}
	if (qp_type == IBV_QPT_UD) {
		const struct mlx5_wqe_av *av = (const void *)(buf + off);
		bool ext;

		if (off + MLX5_AV_BASE_SIZE > len)
			return -EINVAL;
		ext = be32toh(av->dqp_dct) & MLX5_EXTENDED_UD_AV;
		if (ext && off + MLX5_AV_EXTENDED_SIZE > len)
			return -EINVAL;
		parse_av(av, ext, w);
		off += ext ? MLX5_AV_EXTENDED_SIZE : MLX5_AV_BASE_SIZE;
	}
	switch (w->opcode) {
	case MLX5_OPCODE_RDMA_WRITE:
	case MLX5_OPCODE_RDMA_WRITE_IMM:
	case MLX5_OPCODE_RDMA_READ:
	case MLX5_OPCODE_ATOMIC_CS:
	case MLX5_OPCODE_ATOMIC_FA: {
		const struct mlx5_wqe_raddr_seg *r = (const void *)(buf + off);

		if (off + sizeof(*r) > len)
			return -EINVAL;
		w->has_raddr = true;
		w->raddr = be64toh(r->raddr);
		w->rkey = be32toh(r->rkey);
		off += sizeof(*r);
		break;
	}
	default:
		break;
	}
	if (w->opcode == MLX5_OPCODE_ATOMIC_CS ||
	    w->opcode == MLX5_OPCODE_ATOMIC_FA) {
		const struct mlx5_wqe_atomic_seg *a = (const void *)(buf + off);

		if (off + sizeof(*a) > len)
			return -EINVAL;
		w->has_atomic = true;
		w->swap_add = be64toh(a->swap_add);
		w->compare = be64toh(a->compare);
		off += sizeof(*a);
	}
	return parse_data(buf + off, len - off, w);
}

int ud_parse_recv_wqe(const uint8_t *wqe, uint32_t stride, uint32_t skip,
		      uint32_t max_sge, struct ud_sgl *sgl)
{
	const struct mlx5_wqe_data_seg *dseg;
	uint32_t off, lkey;

	sgl->n = 0;
	sgl->total = 0;
	if (skip > stride)
		return -EINVAL;
	for (off = skip; off + sizeof(*dseg) <= stride; off += sizeof(*dseg)) {
		dseg = (const struct mlx5_wqe_data_seg *)(wqe + off);
		lkey = be32toh(dseg->lkey);
		if (lkey == MLX5_INVALID_LKEY)
			break;
		if (sgl->n == max_sge || sgl->n == UD_MAX_SGE)
			return -EINVAL;
		sgl->seg[sgl->n].key = lkey;
		sgl->seg[sgl->n].va = be64toh(dseg->addr);
		sgl->seg[sgl->n].len = mlx5_data_seg_len(be32toh(dseg->byte_count));
		sgl->total += sgl->seg[sgl->n].len;
		sgl->n++;
	}
	return 0;
}
