// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Message data movement.  Both sides of a transfer are scatter lists of
 * (key, va, len) checked against their MR piece by piece, so a transfer can
 * stop at any byte (a fault, an error) and resume from there later.
 */
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "odp.h"

/* Index of the segment holding byte off, and off's offset inside it. */
static bool sgl_locate(const struct ud_sgl *sgl, uint64_t off, uint32_t *idx,
		       uint64_t *in_seg)
{
	uint32_t i;

	for (i = 0; i < sgl->n; i++) {
		if (off < sgl->seg[i].len) {
			*idx = i;
			*in_seg = off;
			return true;
		}
		off -= sgl->seg[i].len;
	}
	return false;
}

/* Bytes available at off in one contiguous piece of this side. */
static uint64_t side_span(const struct ud_xfer_side *side, uint64_t off,
			  uint64_t len)
{
	uint64_t in_seg;
	uint32_t i;

	if (side->data)
		return len;
	if (!sgl_locate(side->sgl, off, &i, &in_seg))
		return 0;
	return side->sgl->seg[i].len - in_seg;
}

/*
 * Resolve one contiguous piece [off, off+len) of an MR-described side to
 * the owning MR and process address.
 */
static enum ud_mr_status side_resolve(struct uodpd *d,
				      const struct ud_xfer_side *side,
				      uint64_t off, uint64_t len,
				      struct ud_mr **mr, uint64_t *pva,
				      struct ud_xfer_status *st)
{
	const struct ud_seg *seg;
	enum ud_mr_status ret;
	uint64_t in_seg = 0, va;
	uint32_t i = 0;

	if (!sgl_locate(side->sgl, off, &i, &in_seg))
		return UD_MR_BAD_BOUNDS;	/* side_span() rules this out */
	seg = &side->sgl->seg[i];
	va = seg->va + in_seg;
	st->key = seg->key;
	ret = ud_mr_check(d, seg->key, side->pdn, va, len, side->access, mr,
			  &st->fault_va);
	if (ret == UD_MR_OK)
		*pva = ud_mr_pva(*mr, va);
	return ret;
}

static enum ud_xfer_result side_fail(struct ud_xfer_status *st,
				     enum ud_mr_status mr, bool src)
{
	st->mr = mr;
	if (mr == UD_MR_FAULT)
		st->result = src ? UD_XFER_SRC_FAULT : UD_XFER_DST_FAULT;
	else
		st->result = src ? UD_XFER_SRC_ERR : UD_XFER_DST_ERR;
	return st->result;
}

/*
 * The process no longer maps what the MR describes (munmap).  A pinned MR
 * fails the access; an ODP MR loses the translation and faults again, and
 * the fault engine then decides (it cannot map: resume with error).
 */
static enum ud_xfer_result mem_gone(struct uodpd *d, struct ud_mr *mr,
				    uint64_t pva, uint64_t len,
				    struct ud_xfer_status *st, bool src)
{
	uint64_t va = mr->iova + (pva - mr->addr);

	if (!mr->odp)
		return side_fail(st, UD_MR_BAD_BOUNDS, src);
	ud_odp_invalidate(d, mr, va, len);
	st->fault_va = va;
	return side_fail(st, UD_MR_FAULT, src);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Move one piece that is contiguous on both sides. */
static enum ud_xfer_result xfer_piece(struct uodpd *d,
				      const struct ud_xfer_side *src,
				      uint64_t src_off,
				      const struct ud_xfer_side *dst,
				      uint64_t dst_off, uint64_t piece,
				      struct ud_xfer_status *st)
{
	const uint8_t *from = d->bounce;
	struct ud_mr *smr, *dmr;
	enum ud_mr_status ret;
	uint64_t spva, dpva;

	if (src->data) {
		from = src->data + src_off;
	} else {
		ret = side_resolve(d, src, src_off, piece, &smr, &spva, st);
		if (ret != UD_MR_OK)
			return side_fail(st, ret, true);
	}
	ret = side_resolve(d, dst, dst_off, piece, &dmr, &dpva, st);
	if (ret != UD_MR_OK)
		return side_fail(st, ret, false);
	/* Read only once the destination is known to be writable. */
	if (!src->data && ud_mem_read(smr->ctx, spva, d->bounce, piece))
		return mem_gone(d, smr, spva, piece, st, true);
	if (ud_mem_write(dmr->ctx, dpva, from, piece))
		return mem_gone(d, dmr, dpva, piece, st, false);
	return UD_XFER_OK;
}

enum ud_xfer_result ud_xfer(struct uodpd *d, const struct ud_xfer_side *src,
			    uint64_t src_off, const struct ud_xfer_side *dst,
			    uint64_t dst_off, uint64_t len,
			    struct ud_xfer_status *st)
{
	uint64_t piece;

	memset(st, 0, sizeof(*st));
	while (len) {
		piece = min_u64(len, UD_BOUNCE_SIZE);
		piece = min_u64(piece, side_span(src, src_off, piece));
		piece = min_u64(piece, side_span(dst, dst_off, piece));
		if (!piece)	/* the caller checked the totals */
			return side_fail(st, UD_MR_BAD_BOUNDS, false);
		if (xfer_piece(d, src, src_off, dst, dst_off, piece, st))
			return st->result;
		d->engine_bytes += piece;	/* what the requester is charged */
		src_off += piece;
		dst_off += piece;
		len -= piece;
	}
	return UD_XFER_OK;
}
