// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The thin ODP uAPI (rdma/uodp-odp-abi.h) driven by hand, without the
 * provider's fault engine: a raw client that is its own fault handler.
 *
 *   handshake, a fault without a channel (the WQE fails), the page-fault
 *   EQE bytes of WQE and RDMA faults, MAP validation (ENOENT, EINVAL, EPERM,
 *   EFAULT), RESUME refused (wrong token, wrong queue, another context),
 *   MAP + RESUME completing the WQE, and the channel's close resuming the
 *   pending fault with error (REMOTE_ABORTED / vendor 0x93), so no queue
 *   stays stalled.
 *
 * Run inside uodp-run; exit status 0 when every check passed.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hw/mlx5/cmd.h"
#include "hw/mlx5/cqe.h"
#include "hw/mlx5/eqe.h"
#include "hw/mlx5/wqe.h"
#include "odp_common.h"
#include "rawdev.h"

#define DEADLINE_MS 10000
#define LEN (4 * ODP_PAGE)

struct env {
	struct sock_dev dev;
	uint32_t pdn;
	struct sock_cq cq;
	struct sock_qp a, b;
	int channel;		/* -1: none */
	uint8_t *pinned;
	uint32_t pinned_key;
};

static uint8_t sgid_index;

static int handshake(struct env *e, struct uodp_odp_api *api)
{
	memset(api, 0, sizeof(*api));
	api->api_version = UODP_ODP_API_VERSION;
	api->features = UODP_ODP_F_WQE_FAULTS | UODP_ODP_F_RDMA_FAULTS |
			UODP_ODP_F_INVALIDATE | UODP_ODP_F_MAP_NO_FAULT |
			UODP_ODP_F_IMPLICIT | (1ull << 62);
	return sock_cmd(&e->dev, UODP_CMD_ODP_API, api, sizeof(*api), NULL, 0,
		       api, sizeof(*api));
}

static int create_channel(struct env *e)
{
	int stats = sock_make_memfd(ODP_PAGE, 1), fds[1] = { -1 }, nfds = 1;
	int ret;

	if (stats < 0)
		return stats;
	ret = sock_cmd_fds(&e->dev, UODP_CMD_ODP_CREATE_CHANNEL, NULL, 0,
			  &stats, 1, NULL, 0, fds, &nfds);
	close(stats);
	if (ret)
		return ret;
	if (nfds != 1)
		return -EPROTO;
	e->channel = fds[0];
	return 0;
}

static void env_open(struct env *e, bool with_channel)
{
	struct uodp_odp_api api;
	int ret;

	memset(e, 0, sizeof(*e));
	e->channel = -1;
	ret = sock_open(&e->dev, ODP_DEV_NAME);
	if (!ret)
		ret = handshake(e, &api);
	if (!ret && with_channel)
		ret = create_channel(e);
	if (!ret)
		ret = sock_alloc_pd(&e->dev, &e->pdn);
	if (!ret)
		ret = sock_create_cq(&e->dev, &e->cq, 64);
	if (!ret)
		ret = sock_create_rc_qp(&e->dev, &e->a, e->pdn, &e->cq);
	if (!ret)
		ret = sock_create_rc_qp(&e->dev, &e->b, e->pdn, &e->cq);
	if (!ret)
		ret = sock_qp_to_rts(&e->dev, &e->a, e->b.qpn, sgid_index);
	if (!ret)
		ret = sock_qp_to_rts(&e->dev, &e->b, e->a.qpn, sgid_index);
	e->pinned = aligned_alloc(ODP_PAGE, LEN);
	if (!e->pinned)
		ret = -ENOMEM;
	if (!ret) {
		memset(e->pinned, 0, LEN);
		ret = sock_reg_mr(&e->dev, e->pdn, e->pinned, LEN,
				 IBV_ACCESS_LOCAL_WRITE |
				 IBV_ACCESS_REMOTE_WRITE, &e->pinned_key);
	}
	if (ret)
		test_die("raw ODP environment", -ret);
}

static void env_close(struct env *e)
{
	if (e->channel >= 0)
		close(e->channel);
	sock_close(&e->dev);
	sock_free_qp(&e->a);
	sock_free_qp(&e->b);
	sock_free_cq(&e->cq);
	free(e->pinned);
}

/* An ODP MR over fresh memory through the raw command; 0 or -errno. */
static int reg_odp(struct env *e, void *addr, size_t len, uint32_t access,
		   uint32_t *key)
{
	return sock_reg_mr(&e->dev, e->pdn, addr, len,
			  access | IBV_ACCESS_ON_DEMAND, key);
}

/* One event record from the channel; false on timeout. */
static bool read_event(struct env *e, struct uodp_odp_event *ev)
{
	struct pollfd pfd = { .fd = e->channel, .events = POLLIN };

	if (poll(&pfd, 1, DEADLINE_MS) <= 0)
		return false;
	return read(e->channel, ev, sizeof(*ev)) == sizeof(*ev);
}

/* PAGE_FAULT_RESUME through GENERAL: the PRM status byte, or 0x100+err. */
static int resume(struct env *e, uint32_t token, uint32_t type, uint32_t wq,
		  bool error)
{
	struct uodp_general_cmd cmd = { .inlen = 16, .outlen = 16 };
	struct mlx5_page_fault_resume_in in = { 0 };
	struct uodp_general_cmd_resp out;
	int ret;

	in.opcode = htobe16(MLX5_CMD_OP_PAGE_FAULT_RESUME);
	in.err_type_wq = htobe32((error ? MLX5_PF_RESUME_ERROR : 0) |
				 (type & MLX5_PF_RESUME_TYPE_MASK) <<
				 MLX5_PF_RESUME_TYPE_SHIFT |
				 (wq & MLX5_PF_RESUME_WQ_MASK));
	in.token = htobe32(token & MLX5_PFAULT_TOKEN_MASK);
	memcpy(cmd.in, &in, sizeof(in));
	ret = sock_cmd(&e->dev, UODP_CMD_GENERAL, &cmd, sizeof(cmd), NULL, 0,
		      &out, sizeof(out));
	if (ret)
		return 0x100 - ret;
	return out.out[0];
}

static int map(struct env *e, uint32_t key, uint32_t flags, uint64_t va,
	       uint64_t len, struct uodp_odp_map_resp *resp)
{
	struct uodp_odp_map_req req = { .nranges = 1 };
	int ret;

	req.ranges[0] = (struct uodp_odp_map_range){ .mr_key = key,
		.flags = flags, .va = va, .length = len };
	memset(resp, 0, sizeof(*resp));
	ret = sock_cmd(&e->dev, UODP_CMD_ODP_MAP, &req, sizeof(req), NULL, 0,
		      resp, sizeof(*resp));
	return ret ? ret : resp->status;
}

static uint8_t cqe_opcode(const uint8_t *cqe)
{
	return cqe[63] >> 4;
}

/* ------------------------------------------------------------------ */

static void test_handshake(void)
{
	struct uodp_odp_api api;
	struct env e;

	memset(&e, 0, sizeof(e));
	if (sock_open(&e.dev, ODP_DEV_NAME))
		test_die("raw open", EIO);
	test_check(!handshake(&e, &api), "ODP_API handshake answers");
	test_check(api.api_version == UODP_ODP_API_VERSION &&
		  api.event_size == sizeof(struct uodp_odp_event),
		  "handshake: version %u, event size %u", api.api_version,
		  api.event_size);
	test_check(!(api.features & (1ull << 62)) &&
		  (api.features & (UODP_ODP_F_WQE_FAULTS |
				   UODP_ODP_F_RDMA_FAULTS |
				   UODP_ODP_F_MAP_NO_FAULT |
				   UODP_ODP_F_IMPLICIT)) ==
		  (UODP_ODP_F_WQE_FAULTS | UODP_ODP_F_RDMA_FAULTS |
		   UODP_ODP_F_MAP_NO_FAULT | UODP_ODP_F_IMPLICIT),
		  "handshake: granted 0x%llx (a subset, unknown bits refused)",
		  (unsigned long long)api.features);
	test_check(api.max_map_ranges >= 1 &&
		  api.max_map_ranges <= UODP_ODP_MAX_MAP_RANGES,
		  "handshake: max_map_ranges %u", api.max_map_ranges);
	sock_close(&e.dev);
}

static void test_no_channel(void)
{
	uint8_t *buf = odp_fresh(LEN), cqe[64];
	uint32_t key;
	struct env e;

	env_open(&e, false);
	test_check(!reg_odp(&e, buf, LEN, IBV_ACCESS_LOCAL_WRITE, &key),
		  "no channel: ODP MR registers");
	sock_post_recv(&e.dev, &e.b, (uintptr_t)e.pinned, LEN, e.pinned_key);
	sock_post_send(&e.dev, &e.a, MLX5_OPCODE_SEND, (uintptr_t)buf, 100, key);
	test_check(sock_poll_cq(&e.cq, cqe, DEADLINE_MS) &&
		  cqe_opcode(cqe) == MLX5_CQE_REQ_ERR,
		  "no channel: a faulting WQE completes in error, no stall");
	env_close(&e);
	munmap(buf, LEN);
}

static void check_wqe_eqe(const struct uodp_odp_event *ev, uint32_t qpn,
			  uint8_t type, uint16_t index)
{
	const struct mlx5_eqe *eqe = (const void *)ev->eqe;
	uint32_t pf = be32toh(eqe->data.wqe.pftype_wq);

	test_check(ev->type == UODP_ODP_EVENT_PAGE_FAULT &&
		  eqe->type == MLX5_EVENT_TYPE_PAGE_FAULT &&
		  eqe->sub_type == MLX5_PFAULT_SUBTYPE_WQE && eqe->owner == 0,
		  "WQE fault record: event %u, EQE type 0x%02x subtype %u "
		  "owner %u", ev->type, eqe->type, eqe->sub_type, eqe->owner);
	test_check((pf >> MLX5_PFAULT_TYPE_SHIFT) == type &&
		  (pf & MLX5_PFAULT_WQ_MASK) == qpn &&
		  be16toh(eqe->data.wqe.wqe_index) == index,
		  "WQE fault: type %u (want %u), wq 0x%x (want 0x%x), wqe "
		  "index %u (want %u)", pf >> MLX5_PFAULT_TYPE_SHIFT, type,
		  pf & MLX5_PFAULT_WQ_MASK, qpn,
		  be16toh(eqe->data.wqe.wqe_index), index);
	test_check((be32toh(eqe->data.wqe.token) & MLX5_PFAULT_TOKEN_MASK) ==
		  (ev->token & MLX5_PFAULT_TOKEN_MASK),
		  "WQE fault: EQE token 0x%x = record token 0x%llx",
		  be32toh(eqe->data.wqe.token),
		  (unsigned long long)ev->token);
}

static void test_map_errors(struct env *e, uint32_t key, uint8_t *buf)
{
	struct uodp_odp_map_resp r;
	uint8_t *gone = odp_fresh(2 * ODP_PAGE);
	uint32_t ro_key, pinned_key = e->pinned_key, gone_key;
	int ret;

	ret = map(e, key ^ 0x5a5a00, 0, (uintptr_t)buf, ODP_PAGE, &r);
	test_check(ret == -ENOENT && !r.ranges_done,
		  "MAP unknown key: %d (want -ENOENT)", ret);
	ret = map(e, key, 0, (uintptr_t)buf + LEN - ODP_PAGE, 2 * ODP_PAGE,
		  &r);
	test_check(ret == -EINVAL, "MAP past the MR end: %d (want -EINVAL)",
		  ret);
	ret = map(e, pinned_key, 0, (uintptr_t)e->pinned, ODP_PAGE, &r);
	test_check(ret == -EINVAL, "MAP of a pinned MR: %d (want -EINVAL)",
		  ret);
	if (!reg_odp(e, buf, LEN, IBV_ACCESS_REMOTE_READ, &ro_key)) {
		ret = map(e, ro_key, UODP_ODP_MAP_WRITE, (uintptr_t)buf,
			  ODP_PAGE, &r);
		test_check(ret == -EPERM, "MAP WRITE of a read-only MR: %d "
			  "(want -EPERM)", ret);
		sock_destroy(&e->dev, UODP_CMD_DEREG_MR, ro_key);
	}
	if (!reg_odp(e, gone, 2 * ODP_PAGE, IBV_ACCESS_LOCAL_WRITE,
		     &gone_key)) {
		munmap(gone + ODP_PAGE, ODP_PAGE);
		ret = map(e, gone_key, 0, (uintptr_t)gone, 2 * ODP_PAGE, &r);
		test_check(ret == -EFAULT, "MAP over an unmapped page: %d "
			  "(want -EFAULT)", ret);
		sock_destroy(&e->dev, UODP_CMD_DEREG_MR, gone_key);
	}
	munmap(gone, ODP_PAGE);
}

static void test_fault_resume_close(void)
{
	struct uodp_query_counters_resp c0, c1;
	uint8_t *buf = odp_fresh(LEN), cqe[64];
	struct uodp_odp_map_resp mr;
	struct uodp_odp_event ev;
	struct env e, other;
	uint32_t key, token;
	int st;

	env_open(&e, true);
	test_check(!reg_odp(&e, buf, LEN, IBV_ACCESS_LOCAL_WRITE, &key),
		  "ODP MR registers over fresh memory");
	odp_fill(buf, 3000, 1);
	if (!odp_counters(&c0))
		test_die("counters", EIO);
	sock_post_recv(&e.dev, &e.b, (uintptr_t)e.pinned, LEN, e.pinned_key);
	sock_post_send(&e.dev, &e.a, MLX5_OPCODE_SEND, (uintptr_t)buf, 3000, key);
	if (!read_event(&e, &ev)) {
		test_check(false, "a page-fault record arrives on the channel");
		goto out;
	}
	check_wqe_eqe(&ev, e.a.qpn, MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE, 0);
	token = ev.token & MLX5_PFAULT_TOKEN_MASK;
	test_check(!sock_poll_cq(&e.cq, cqe, 200),
		  "the faulting queue is stalled until resumed");

	test_map_errors(&e, key, buf);

	st = resume(&e, token ^ 1, MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE,
		    e.a.qpn, false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		  "RESUME with a token never issued: status 0x%x", st);
	st = resume(&e, token, MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE, e.b.qpn,
		    false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		  "RESUME naming another queue: status 0x%x", st);
	env_open(&other, true);
	st = resume(&other, token, MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE,
		    e.a.qpn, false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		  "RESUME from another context: status 0x%x", st);
	env_close(&other);

	st = map(&e, key, 0, (uintptr_t)buf, 3000, &mr);
	test_check(!st && mr.ranges_done == 1 && mr.pages_mapped >= 1,
		  "MAP of the faulting range: %d, %u range(s), %llu pages", st,
		  mr.ranges_done, (unsigned long long)mr.pages_mapped);
	st = resume(&e, token, MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE, e.a.qpn,
		    false);
	test_check(st == MLX5_CMD_STAT_OK, "RESUME of the real fault: 0x%x",
		  st);
	test_check(sock_poll_cq(&e.cq, cqe, DEADLINE_MS) &&
		  cqe_opcode(cqe) < MLX5_CQE_REQ_ERR &&
		  sock_poll_cq(&e.cq, cqe, DEADLINE_MS) &&
		  cqe_opcode(cqe) < MLX5_CQE_REQ_ERR &&
		  !memcmp(buf, e.pinned, 3000),
		  "after MAP + RESUME the send completes, data intact");
	st = resume(&e, token, MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE, e.a.qpn,
		    false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		  "RESUME of a token already resumed: status 0x%x", st);

	/* a second fault, then the channel closes: resumed with error */
	sock_post_recv(&e.dev, &e.b, (uintptr_t)e.pinned, LEN, e.pinned_key);
	sock_post_send(&e.dev, &e.a, MLX5_OPCODE_SEND,
		      (uintptr_t)buf + 2 * ODP_PAGE, 100, key);
	test_check(read_event(&e, &ev), "a second fault is delivered");
	close(e.channel);
	e.channel = -1;
	if (sock_poll_cq(&e.cq, cqe, DEADLINE_MS)) {
		const struct mlx5_err_cqe *err = (const void *)cqe;

		test_check(cqe_opcode(cqe) == MLX5_CQE_REQ_ERR &&
			  err->syndrome == MLX5_CQE_SYNDROME_REMOTE_ABORTED_ERR &&
			  err->vendor_err_synd ==
			  MLX5_CQE_VENDOR_SYNDROME_ODP_PFAULT,
			  "channel closed: the pending WQE completes in error "
			  "(opcode %u syndrome 0x%x vendor 0x%x)",
			  cqe_opcode(cqe), err->syndrome, err->vendor_err_synd);
	} else {
		test_check(false, "channel closed: the pending WQE completes "
			  "(no completion: the queue stalled)");
	}
	if (odp_counters(&c1)) {
		test_check(c1.dev.resumed_on_close > c0.dev.resumed_on_close,
			  "resumed_on_close counted the fault");
		test_check(c1.dev.resumes_refused - c0.dev.resumes_refused >= 4,
			  "the 4 bad RESUMEs were counted as refused (%llu)",
			  (unsigned long long)(c1.dev.resumes_refused -
					       c0.dev.resumes_refused));
	}
out:
	sock_destroy(&e.dev, UODP_CMD_DEREG_MR, key);
	env_close(&e);
	munmap(buf, LEN);
}

static void test_rdma_fault(void)
{
	uint8_t *buf = odp_fresh(LEN), cqe[64];
	struct uodp_odp_map_resp mr;
	const struct mlx5_eqe *eqe;
	struct uodp_odp_event ev;
	uint32_t key, pf, token;
	struct env e;
	int st;

	env_open(&e, true);
	if (reg_odp(&e, buf, LEN, IBV_ACCESS_LOCAL_WRITE |
		    IBV_ACCESS_REMOTE_WRITE, &key))
		test_die("reg ODP", EIO);
	odp_fill(e.pinned, LEN, 9);
	{
		uint8_t *wqe = sock_sq_wqe(&e.a, e.a.sq_pi);
		struct mlx5_wqe_ctrl_seg *ctrl = (void *)wqe;
		struct mlx5_wqe_raddr_seg *raddr = (void *)(ctrl + 1);
		struct mlx5_wqe_data_seg *data = (void *)(raddr + 1);

		memset(wqe, 0, MLX5_SEND_WQE_BB);
		ctrl->opmod_idx_opcode = htobe32(((e.a.sq_pi & 0xffff) << 8) |
						 MLX5_OPCODE_RDMA_WRITE);
		ctrl->qpn_ds = htobe32((e.a.qpn << 8) | 3);
		ctrl->fm_ce_se = MLX5_WQE_CTRL_CQ_UPDATE;
		raddr->raddr = htobe64((uintptr_t)buf + 100);
		raddr->rkey = htobe32(key);
		data->byte_count = htobe32(2 * ODP_PAGE);
		data->lkey = htobe32(e.pinned_key);
		data->addr = htobe64((uintptr_t)e.pinned);
		sock_ring_sq(&e.dev, &e.a, 1);
	}
	if (!read_event(&e, &ev)) {
		test_check(false, "an RDMA fault record arrives");
		goto out;
	}
	eqe = (const void *)ev.eqe;
	pf = be32toh(eqe->data.rdma.pftype_token);
	token = pf & MLX5_PFAULT_TOKEN_MASK;
	test_check(eqe->type == MLX5_EVENT_TYPE_PAGE_FAULT &&
		  eqe->sub_type == MLX5_PFAULT_SUBTYPE_RDMA &&
		  be32toh(eqe->data.rdma.r_key) == key &&
		  be64toh(eqe->data.rdma.rdma_va) >= (uintptr_t)buf + 100 &&
		  be64toh(eqe->data.rdma.rdma_va) < (uintptr_t)buf + 100 +
		  2 * ODP_PAGE && token == (ev.token & MLX5_PFAULT_TOKEN_MASK),
		  "RDMA fault EQE: subtype %u rkey 0x%x va 0x%llx len %u "
		  "token 0x%x", eqe->sub_type, be32toh(eqe->data.rdma.r_key),
		  (unsigned long long)be64toh(eqe->data.rdma.rdma_va),
		  be32toh(eqe->data.rdma.rdma_op_len), token);
	st = map(&e, key, UODP_ODP_MAP_WRITE, (uintptr_t)buf, LEN, &mr);
	test_check(!st, "MAP WRITE of the whole target: %d", st);
	st = resume(&e, token, pf >> MLX5_PFAULT_TYPE_SHIFT, token, false);
	test_check(st == MLX5_CMD_STAT_OK, "RESUME of the RDMA fault: 0x%x",
		  st);
	test_check(sock_poll_cq(&e.cq, cqe, DEADLINE_MS) &&
		  cqe_opcode(cqe) < MLX5_CQE_REQ_ERR &&
		  !memcmp(buf + 100, e.pinned, 2 * ODP_PAGE),
		  "the RDMA write completes into the mapped target");
out:
	env_close(&e);
	munmap(buf, LEN);
}

int main(void)
{
	struct odp_side probe;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!getenv("UODP_SOCKET")) {
		fprintf(stderr, "odp_uapi: run me inside uodp-run\n");
		return 2;
	}
	odp_side_open(&probe, 16);
	sgid_index = probe.gid_index;
	odp_side_close(&probe);
	test_handshake();
	test_no_channel();
	test_fault_resume_close();
	test_rdma_fault();
	odp_counters_close();
	printf("odp_uapi: %d failure(s)\n", test_failures);
	return test_failures ? 1 : 0;
}
