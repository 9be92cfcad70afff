// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The faulting WQE, read from the application's own queue memory and
 * parsed the way the hardware reads it (hw/mlx5/wqe.h): send WQEs with
 * their control, XRC, address vector, remote address, atomic, data and
 * inline segments, wrapping at the end of the ring; receive WQEs up to the
 * invalid-lkey terminator; SRQ WQEs after their next segment.  The queue
 * belongs to the application, which may scribble on it: every length is
 * checked against the DS count and the ring before it is used.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "hw/mlx5/bytes.h"
#include "hw/mlx5/eqe.h"
#include "hw/mlx5/wqe.h"
#include "odp/parse.h"

enum {
	SQ_SHIFT = 6,			/* log2 MLX5_SEND_WQE_BB */
	MAX_WQE_BYTES = MLX5_WQE_CTRL_DS_MASK * MLX5_SEND_WQE_DS,
	MIN_RQ_SHIFT = 4,		/* one data segment */
	MAX_RQ_SHIFT = 16,
};

static bool is_pow2(uint32_t n)
{
	return n && !(n & (n - 1));
}

int uodp_odp_range_add(struct uodp_odp_range_list *out,
		       const struct uodp_odp_mr_info *mr, uint64_t va,
		       uint64_t len, uint32_t flags)
{
	struct uodp_odp_range *r;
	uint64_t off;

	if (!len)
		return 0;
	if (va < mr->iova || va + len < va)
		return -EFAULT;
	off = va - mr->iova;
	if (len > mr->length || off > mr->length - len)
		return -EFAULT;
	/* Keep page arithmetic on the process address from wrapping. */
	if (mr->addr + off + len < mr->addr + off ||
	    mr->addr + off + len > UINT64_MAX - UODP_ODP_PAGE_SIZE)
		return -EFAULT;
	if (out->n >= out->cap)
		return -ENOSPC;
	r = &out->r[out->n++];
	r->mr_key = mr->lkey;
	r->flags = flags;
	r->va = va;
	r->length = len;
	r->addr = mr->addr + off;
	r->mr_end = mr->length == UINT64_MAX ? UINT64_MAX :
						mr->iova + mr->length;
	return 0;
}

/* One scatter/gather entry: committed bytes first, then the MR checks. */
static int add_sge(const struct uodp_odp_wq_view *wq, uint32_t *committed,
		   uint64_t addr, uint64_t len, uint32_t lkey, bool write,
		   const struct uodp_odp_mr_resolver *res,
		   struct uodp_odp_range_list *out)
{
	struct uodp_odp_mr_info mr;
	uint32_t flags = write ? UODP_ODP_MAP_WRITE |
					 UODP_ODP_RANGE_POPULATE_WRITE : 0;

	if (*committed >= len) {
		*committed -= (uint32_t)len;
		return 0;
	}
	addr += *committed;
	len -= *committed;
	*committed = 0;
	/* As Linux: a key that is not an ODP MR's needs no mapping. */
	if (res->lookup(res->arg, lkey, false, &mr) || !mr.odp)
		return 0;
	if (mr.pdn != wq->pdn)
		return -EPERM;
	return uodp_odp_range_add(out, &mr, addr, len, flags);
}

/* Copy len bytes from ring offset off, wrapping as the hardware does. */
static void ring_copy(const uint8_t *ring, uint32_t ring_bytes, uint32_t off,
		      uint8_t *dst, uint32_t len)
{
	uint32_t first = ring_bytes - off < len ? ring_bytes - off : len;

	memcpy(dst, ring + off, first);
	memcpy(dst + first, ring, len - first);
}

/* Bytes of the segments between ctrl and the data; -EINVAL if none fit. */
static int send_header_size(const struct uodp_odp_wq_view *wq,
			    const uint8_t *wqe, uint32_t size, uint8_t opcode,
			    bool *write)
{
	uint32_t off = sizeof(struct mlx5_wqe_ctrl_seg);
	bool ud = wq->flags & UODP_ODP_WQ_UD;

	if (wq->flags & UODP_ODP_WQ_XRC)
		off += sizeof(struct mlx5_wqe_xrc_seg);
	if (ud) {
		if (off + MLX5_AV_BASE_SIZE > size)
			return -EINVAL;
		uint32_t dqp = mlx5_get_be32(wqe + off +
					offsetof(struct mlx5_wqe_av, dqp_dct));

		/* The kernel's parser honours the 16-byte base AV too. */
		off += (dqp & MLX5_EXTENDED_UD_AV) ? MLX5_AV_EXTENDED_SIZE :
						     MLX5_AV_BASE_SIZE;
	}
	*write = false;
	switch (opcode) {
	case MLX5_OPCODE_NOP:
	case MLX5_OPCODE_SEND:
	case MLX5_OPCODE_SEND_IMM:
		break;
	case MLX5_OPCODE_SEND_INVAL:
	case MLX5_OPCODE_RDMA_WRITE:
	case MLX5_OPCODE_RDMA_WRITE_IMM:
		if (ud)
			return -EINVAL;
		if (opcode != MLX5_OPCODE_SEND_INVAL)
			off += sizeof(struct mlx5_wqe_raddr_seg);
		break;
	case MLX5_OPCODE_RDMA_READ:
		if (ud)
			return -EINVAL;
		off += sizeof(struct mlx5_wqe_raddr_seg);
		*write = true;
		break;
	case MLX5_OPCODE_ATOMIC_CS:
	case MLX5_OPCODE_ATOMIC_FA:
		if (ud)
			return -EINVAL;
		off += sizeof(struct mlx5_wqe_raddr_seg) +
		       sizeof(struct mlx5_wqe_atomic_seg);
		*write = true;	/* the old value lands in the local SGE */
		break;
	default:
		return -EINVAL;
	}
	return off <= size ? (int)off : -EINVAL;
}

static int parse_send_data(const struct uodp_odp_wq_view *wq,
			   const uint8_t *wqe, uint32_t off, uint32_t size,
			   bool write, uint32_t committed,
			   const struct uodp_odp_mr_resolver *res,
			   struct uodp_odp_range_list *out)
{
	int err;

	while (off < size) {
		uint32_t bc = mlx5_get_be32(wqe + off);

		if (bc & MLX5_INLINE_SEG) {
			/* Inline data is in the WQE: nothing to map. */
			off += mlx5_inline_seg_size(bc & MLX5_INLINE_LEN_MASK);
			if (off > size)
				return -EINVAL;
			continue;
		}
		err = add_sge(wq, &committed, mlx5_get_be64(wqe + off + 8),
			      mlx5_data_seg_len(bc), mlx5_get_be32(wqe + off + 4),
			      write, res, out);
		if (err)
			return err;
		off += sizeof(struct mlx5_wqe_data_seg);
	}
	return 0;
}

static int parse_send(const struct uodp_odp_wq_view *wq, uint32_t index,
		      uint32_t committed,
		      const struct uodp_odp_mr_resolver *res,
		      struct uodp_odp_range_list *out, uint32_t *next)
{
	uint32_t ring_bytes = wq->wqe_cnt << SQ_SHIFT;
	uint32_t start = (index & (wq->wqe_cnt - 1)) << SQ_SHIFT;
	uint8_t wqe[MAX_WQE_BYTES];
	uint32_t op, qpn_ds, ds, size;
	bool write;
	int off;

	if (wq->wqe_cnt > (1u << 20))
		return -EINVAL;
	ring_copy(wq->buf, ring_bytes, start, wqe,
		  sizeof(struct mlx5_wqe_ctrl_seg));
	op = mlx5_get_be32(wqe);
	qpn_ds = mlx5_get_be32(wqe + 4);
	ds = qpn_ds & MLX5_WQE_CTRL_DS_MASK;
	size = ds * MLX5_SEND_WQE_DS;
	if (!ds || size > ring_bytes)
		return -EINVAL;
	if ((qpn_ds >> 8) != wq->num ||
	    ((op >> 8) & MLX5_WQE_INDEX_MASK) != (index & MLX5_WQE_INDEX_MASK))
		return -EINVAL;
	ring_copy(wq->buf, ring_bytes, start, wqe, size);
	off = send_header_size(wq, wqe, size, (uint8_t)(op & 0xff), &write);
	if (off < 0)
		return off;
	*next = index + mlx5_wqe_bbs(ds);
	return parse_send_data(wq, wqe, (uint32_t)off, size, write, committed,
			       res, out);
}

static int parse_recv(const struct uodp_odp_wq_view *wq, uint32_t index,
		      uint32_t committed,
		      const struct uodp_odp_mr_resolver *res,
		      struct uodp_odp_range_list *out, uint32_t *next)
{
	bool srq = wq->kind == UODP_ODP_WQ_SRQ;
	uint32_t stride = 1u << wq->wqe_shift;
	const uint8_t *wqe = wq->buf +
			     ((size_t)(index & (wq->wqe_cnt - 1)) << wq->wqe_shift);
	uint32_t off = 0;
	int err;

	if (wq->wqe_cnt > (1u << 20) ||
	    wq->wqe_shift < MIN_RQ_SHIFT + (srq ? 1 : 0) ||
	    wq->wqe_shift > MAX_RQ_SHIFT)
		return -EINVAL;
	if (srq) {
		*next = (uint32_t)wqe[2] << 8 | wqe[3];	/* next_wqe_index */
		off = sizeof(struct mlx5_wqe_srq_next_seg);
	} else {
		*next = index + 1;
	}
	for (; off < stride; off += sizeof(struct mlx5_wqe_data_seg)) {
		uint32_t lkey = mlx5_get_be32(wqe + off + 4);

		if (lkey == MLX5_INVALID_LKEY)
			break;	/* the terminator: a short scatter list */
		err = add_sge(wq, &committed, mlx5_get_be64(wqe + off + 8),
			      mlx5_data_seg_len(mlx5_get_be32(wqe + off)), lkey,
			      true, res, out);
		if (err)
			return err;
	}
	return 0;
}

int uodp_odp_parse_wqe(const struct uodp_odp_wq_view *wq, uint32_t wqe_index,
		       uint32_t bytes_committed,
		       const struct uodp_odp_mr_resolver *res,
		       struct uodp_odp_range_list *out, uint32_t *next)
{
	if (!wq->buf || !is_pow2(wq->wqe_cnt))
		return -EINVAL;
	switch (wq->kind) {
	case UODP_ODP_WQ_SQ:
		return parse_send(wq, wqe_index, bytes_committed, res, out,
				  next);
	case UODP_ODP_WQ_RQ:
	case UODP_ODP_WQ_SRQ:
		return parse_recv(wq, wqe_index, bytes_committed, res, out,
				  next);
	default:
		return -EINVAL;
	}
}
