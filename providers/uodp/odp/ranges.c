// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Ranges: the one an RDMA responder fault needs, page spans for prefetch,
 * and coalescing before MAP (one range per stretch of an MR, so a WQE of
 * many small SGEs in one buffer costs one MAP entry).
 */
#include <errno.h>
#include <stdlib.h>

#include "hw/mlx5/eqe.h"
#include "odp/parse.h"

static uint64_t page_down(uint64_t a)
{
	return a & ~(UODP_ODP_PAGE_SIZE - 1);
}

static uint64_t page_up(uint64_t a)
{
	return (a + UODP_ODP_PAGE_SIZE - 1) & ~(UODP_ODP_PAGE_SIZE - 1);
}

void uodp_odp_range_span(const struct uodp_odp_range *r, uint64_t *start,
			 uint64_t *end)
{
	*start = page_down(r->addr);
	*end = page_up(r->addr + r->length);
}

int uodp_odp_rdma_range(const struct uodp_odp_fault *f,
			const struct uodp_odp_mr_resolver *res,
			struct uodp_odp_range_list *out,
			struct uodp_odp_mr_info *mr)
{
	uint64_t len = f->rdma_op_len ? f->rdma_op_len : f->packet_length;
	uint64_t remaining;
	uint32_t flags = 0;

	if (res->lookup(res->arg, f->rkey, true, mr))
		return -ENOENT;
	if (!mr->odp)
		return -EINVAL;
	remaining = len > f->bytes_committed ? len - f->bytes_committed : 0;
	if (!remaining)		/* the device still wants the packet's bytes */
		remaining = f->packet_length ? f->packet_length : 1;
	/*
	 * Map writable whenever the MR takes remote writes, as Linux maps a
	 * writable umem: a read-only mapping could only fault again.
	 * Populate for write only when the access is one.
	 */
	if (mr->access & (IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC))
		flags |= UODP_ODP_MAP_WRITE;
	if (f->type & MLX5_PFAULT_WRITE)
		flags |= UODP_ODP_MAP_WRITE | UODP_ODP_RANGE_POPULATE_WRITE;
	return uodp_odp_range_add(out, mr, f->rdma_va + f->bytes_committed,
				  remaining, flags);
}

static int range_cmp(const void *a, const void *b)
{
	const struct uodp_odp_range *x = a, *y = b;

	if (x->mr_key != y->mr_key)
		return x->mr_key < y->mr_key ? -1 : 1;
	if (x->va != y->va)
		return x->va < y->va ? -1 : 1;
	return 0;
}

uint32_t uodp_odp_coalesce(struct uodp_odp_range *r, uint32_t n)
{
	uint32_t i, out = 0;

	if (n < 2)
		return n;
	qsort(r, n, sizeof(*r), range_cmp);
	for (i = 1; i < n; i++) {
		struct uodp_odp_range *cur = &r[out];
		uint64_t end = cur->addr + cur->length;

		/*
		 * Same MR and sharing a page or touching: the union is one
		 * stretch of the MR (va and addr differ by a constant).
		 */
		if (r[i].mr_key == cur->mr_key &&
		    page_down(r[i].addr) <= page_up(end)) {
			uint64_t new_end = r[i].addr + r[i].length;

			if (new_end > end)
				cur->length = new_end - cur->addr;
			cur->flags |= r[i].flags;
			continue;
		}
		r[++out] = r[i];
	}
	return out + 1;
}
