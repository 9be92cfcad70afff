// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * libFuzzer harness for the fault engine's pure parts: the EQE decoder,
 * the WQE parser (send, receive and SRQ queues of any shape), the RDMA
 * fault range, the lookahead policy and coalescing.  The input is the
 * device's EQE and the application's queue memory, both untrusted: any
 * crash, hang, sanitizer report or inconsistent output is a bug.
 *
 * Input layout: 64 bytes of EQE, 8 bytes of queue shape, then the ring.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "odp/parse.h"
#include "odp/policy.h"

/* Keys: low byte 0x11 ODP in PD 1, 0x22 pinned, 0x33 ODP of PD 2, 0x44
 * implicit; anything else unknown. */
static int lookup(void *arg, uint32_t key, bool remote,
		  struct uodp_odp_mr_info *mr)
{
	(void)arg;
	(void)remote;
	memset(mr, 0, sizeof(*mr));
	mr->lkey = key;
	mr->rkey = key;
	mr->pdn = 1;
	mr->access = 0xf;
	mr->odp = true;
	switch (key & 0xff) {
	case 0x11:
		mr->addr = 0x7f0000000000ull;
		mr->iova = (uint64_t)(key >> 8) << 12;
		mr->length = 1ull << 30;
		return 0;
	case 0x22:
		mr->odp = false;
		mr->length = 4096;
		return 0;
	case 0x33:
		mr->pdn = 2;
		mr->length = 1ull << 20;
		return 0;
	case 0x44:
		mr->length = UINT64_MAX;
		return 0;
	default:
		return -2;
	}
}

static const struct uodp_odp_mr_resolver resolver = { lookup, NULL };

static void check_ranges(const struct uodp_odp_range_list *l)
{
	uint32_t i;

	for (i = 0; i < l->n; i++)
		if (!l->r[i].length ||
		    l->r[i].addr + l->r[i].length < l->r[i].addr)
			abort();
}

static void run_wqe(const struct uodp_odp_fault *f, const uint8_t *shape,
		    const uint8_t *ring, size_t ring_len)
{
	static struct uodp_odp_range need[512], extra[1024];
	struct uodp_odp_range_list n = { need, 0, 512 };
	struct uodp_odp_range_list x = { extra, 0, 1024 };
	struct uodp_odp_policy_params p = { .readahead = 1 << 20,
					    .max_wqes = 64 };
	enum uodp_odp_wq_kind kind = (enum uodp_odp_wq_kind)(shape[0] % 3);
	struct uodp_odp_wq_view wq = {
		.kind = kind,
		.flags = shape[1] & 3,
		.buf = ring,
		.wqe_shift = kind == UODP_ODP_WQ_SQ ? 6u : shape[2] % 18u,
		.num = f->wq_num,
		.pdn = 1,
		.producer = (uint32_t)shape[4] << 8 | shape[5],
	};
	uint32_t next = 0;

	/* the largest power-of-two ring the input fills */
	wq.wqe_cnt = 1;
	while (((size_t)wq.wqe_cnt << (wq.wqe_shift + 1)) <= ring_len &&
	       wq.wqe_cnt < (1u << 16))
		wq.wqe_cnt <<= 1;
	if (((size_t)wq.wqe_cnt << wq.wqe_shift) > ring_len)
		return;
	if (shape[3] & 1)
		wq.wqe_cnt |= shape[3] & 0x6;	/* sometimes not 2^n */
	if (uodp_odp_parse_wqe(&wq, f->wqe_index, f->bytes_committed,
			       &resolver, &n, &next) == 0)
		uodp_odp_policy_lookahead.wqe_extra(&p, &wq, next, &resolver,
						    &x);
	check_ranges(&n);
	check_ranges(&x);
	n.n = uodp_odp_coalesce(n.r, n.n);
	x.n = uodp_odp_coalesce(x.r, x.n);
	check_ranges(&n);
	check_ranges(&x);
}

static void run_rdma(const struct uodp_odp_fault *f)
{
	struct uodp_odp_range r[2];
	struct uodp_odp_range_list l = { r, 0, 2 };
	struct uodp_odp_policy_params p = { .readahead = 1 << 22 };
	struct uodp_odp_mr_info mr;

	if (uodp_odp_rdma_range(f, &resolver, &l, &mr) == 0 && l.n == 1)
		uodp_odp_policy_lookahead.rdma_extra(&p, &mr, &r[0], &l);
	check_ranges(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uodp_odp_fault f;
	uint8_t *ring;
	size_t ring_len;

	if (size < 64 + 8)
		return 0;
	if (uodp_odp_decode_eqe(data, &f))
		f.subtype = 0;	/* parse the queue anyway */
	if (f.subtype == 1) {
		run_rdma(&f);
		return 0;
	}
	/* A heap copy exactly the ring's size: ASan sees any overrun. */
	ring_len = size - 72;
	ring = malloc(ring_len ? ring_len : 1);
	if (!ring)
		return 0;
	memcpy(ring, data + 72, ring_len);
	run_wqe(&f, data + 64, ring, ring_len);
	free(ring);
	return 0;
}
