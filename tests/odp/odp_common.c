// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Shared pieces of the ODP stress tests and benchmark (see odp_common.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#include "tests/lib/verbs.h"
#include "odp_common.h"
#include "lib/rawdev.h"

static uint8_t find_gid(struct ibv_context *ctx, union ibv_gid *gid)
{
	int index = test_roce_v2_gid(ctx, ODP_DEV_NAME, gid);

	if (index < 0)
		test_die("no RoCE v2 GID", -index);
	return (uint8_t)index;
}

void odp_side_open(struct odp_side *s, int cq_depth)
{
	memset(s, 0, sizeof(*s));
	s->ctx = test_open_device(ODP_DEV_NAME);
	if (!s->ctx)
		test_die("open " ODP_DEV_NAME, errno ? errno : ENODEV);
	s->gid_index = find_gid(s->ctx, &s->gid);
	s->pd = ibv_alloc_pd(s->ctx);
	s->cq = ibv_create_cq(s->ctx, cq_depth, NULL, NULL, 0);
	if (!s->pd || !s->cq)
		test_die("verbs resources", errno);
}

void odp_side_close(struct odp_side *s)
{
	if (s->cq)
		ibv_destroy_cq(s->cq);
	if (s->pd)
		ibv_dealloc_pd(s->pd);
	if (s->ctx)
		ibv_close_device(s->ctx);
	memset(s, 0, sizeof(*s));
}

struct ibv_qp *odp_rc_qp(struct odp_side *s, uint32_t max_wr)
{
	struct ibv_qp_init_attr init = {
		.send_cq = s->cq, .recv_cq = s->cq, .qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = { .max_send_wr = max_wr, .max_recv_wr = max_wr,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_qp *qp = ibv_create_qp(s->pd, &init);

	if (!qp)
		test_die("ibv_create_qp", errno);
	return qp;
}

int odp_rc_connect(struct odp_side *s, struct ibv_qp *qp, uint32_t dest,
		   uint8_t timeout, uint8_t retry_cnt)
{
	return test_rc_connect(qp, dest, &s->gid, s->gid_index, ODP_ACCESS_ALL,
			       timeout, retry_cnt);
}

void *odp_fresh(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		test_die("mmap", errno);
	return p;
}

struct ibv_mr *odp_reg(struct odp_side *s, void *addr, size_t len,
		       unsigned int access)
{
	return ibv_reg_mr(s->pd, addr, len, access | IBV_ACCESS_ON_DEMAND);
}

int odp_poll(struct ibv_cq *cq, struct ibv_wc *wc, int n, int timeout_ms)
{
	double end = test_now() + timeout_ms / 1000.0;
	int got = 0, ret;

	while (got < n) {
		ret = ibv_poll_cq(cq, n - got, wc + got);
		if (ret < 0)
			return got;
		got += ret;
		if (ret)
			continue;
		if (test_now() > end)
			break;
		/* 2 cores: leave them to uodpd and the fault engines */
		sched_yield();
	}
	return got;
}

int odp_post_send(struct ibv_qp *qp, uint64_t wr_id, enum ibv_wr_opcode op,
		  void *addr, uint32_t len, uint32_t lkey, uint64_t raddr,
		  uint32_t rkey)
{
	struct ibv_sge sge = { .addr = (uintptr_t)addr, .length = len,
			       .lkey = lkey };
	struct ibv_send_wr wr = { .wr_id = wr_id, .sg_list = &sge,
				  .num_sge = 1, .opcode = op }, *bad;

	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	return ibv_post_send(qp, &wr, &bad);
}

int odp_post_recv(struct ibv_qp *qp, uint64_t wr_id, void *addr,
		  uint32_t len, uint32_t lkey)
{
	struct ibv_sge sge = { .addr = (uintptr_t)addr, .length = len,
			       .lkey = lkey };
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &sge,
				  .num_sge = 1 }, *bad;

	return ibv_post_recv(qp, &wr, &bad);
}

void odp_fill(void *p, size_t len, unsigned int seed)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 13 + seed * 7 + 1);
}

static struct raw_dev counters_dev;
static bool counters_open;

bool odp_counters(struct uodp_query_counters_resp *out)
{
	int ret;

	if (!counters_open) {
		ret = raw_open(&counters_dev);
		if (ret) {
			fprintf(stderr, "counters: open: %s\n", strerror(-ret));
			return false;
		}
		counters_open = true;
	}
	ret = raw_query_counters(&counters_dev, UODP_COUNTERS_DEVICE, 0, out);
	if (ret) {
		fprintf(stderr, "counters: QUERY_COUNTERS: %s\n",
			strerror(-ret));
		return false;
	}
	return true;
}

uint64_t odp_faults_raised(const struct uodp_odp_device_counters *d)
{
	return d->wqe_faults_requester + d->wqe_faults_responder +
	       d->rdma_faults;
}

bool odp_mr_counters(uint32_t key, struct uodp_odp_mr_counters *out)
{
	struct uodp_query_counters_resp resp;
	uint32_t cursor = 0, i;

	if (!odp_counters(&resp))
		return false;
	for (;;) {
		for (i = 0; i < resp.nmrs && i < UODP_COUNTERS_MRS_PER_QUERY;
		     i++) {
			if (resp.mrs[i].mr_key == key) {
				*out = resp.mrs[i];
				return true;
			}
		}
		if (!resp.next_cursor || resp.next_cursor == cursor)
			return false;
		cursor = resp.next_cursor;
		if (raw_query_counters(&counters_dev, UODP_COUNTERS_DEVICE,
				       cursor, &resp))
			return false;
	}
}

void odp_counters_close(void)
{
	if (counters_open)
		raw_close(&counters_dev);
	counters_open = false;
}
