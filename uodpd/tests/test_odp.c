// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Device side of the thin ODP uAPI, over the raw command protocol (no
 * provider): ODP MR registration (explicit and implicit) and initial
 * presence, MAP validation and semantics, NO_FAULT, the handshake, the
 * event channel (EEXIST, stats page checks), GENERAL (QUERY_HCA_CAP bytes,
 * bogus opcodes, refused resumes), QUERY_COUNTERS, and, with the engine,
 * real page faults: the EQE bytes, resumes from the wrong context or with
 * the wrong wq refused, the right one accepted, and everything pending
 * resumed with error when the channel closes.
 *
 * usage: uodpd_odp_test PATH_TO_UODPD
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "rdma/uodp-abi.h"
#include "rdma/uodp-odp-abi.h"
#include "hw/mlx5/cmd.h"
#include "hw/mlx5/eqe.h"
#include "harness.h"

#define PAGE 4096ul

/* ---- protocol ---- */

/* A context on uodp0 with one PD, c->pdn, for its MRs and QPs. */
static void odp_client_open(struct client *c)
{
	client_open(c);
	c->pdn = alloc_pd(c);
}

/* An MR in the client's PD. */
static int reg_mr(struct client *c, uint64_t addr, uint64_t len,
		  uint64_t iova, uint32_t access, uint32_t *key)
{
	return reg_mr_iova(c, c->pdn, addr, len, iova, access, key);
}

static int dereg_mr(struct client *c, uint32_t key)
{
	return handle_cmd(c->sock, UODP_CMD_DEREG_MR, key);
}

static int odp_api(struct client *c, uint64_t want, struct uodp_odp_api *out)
{
	struct uodp_odp_api req = { .api_version = UODP_ODP_API_VERSION,
				    .features = want };

	return cmd(c->sock, UODP_CMD_ODP_API, &req, sizeof(req), out,
		   sizeof(*out));
}

static int stats_memfd(size_t size, unsigned int seals)
{
	return memfd_with_seals("odp-stats", size, seals);
}

static int create_channel(struct client *c, int stats_fd, int *chan)
{
	int rfds[HARNESS_MAX_FDS], n = 0, ret;

	ret = cmd_full(c->sock, UODP_CMD_ODP_CREATE_CHANNEL, NULL, 0,
		       &stats_fd, 1, NULL, 0, rfds, &n);
	CHECK_EQ(n, ret ? 0 : 1);
	if (!ret)
		*chan = rfds[0];
	return ret;
}

/* A working channel with a stats page the test can write. */
static void open_channel(struct client *c)
{
	struct uodp_odp_api api;

	CHECK_EQ(odp_api(c, ~0ull, &api), 0);
	c->stats_fd = stats_memfd(PAGE, F_SEAL_SHRINK | F_SEAL_GROW);
	c->stats_size = PAGE;
	c->stats = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			c->stats_fd, 0);
	CHECK(c->stats != MAP_FAILED, "mmap stats");
	CHECK_EQ(create_channel(c, c->stats_fd, &c->chan), 0);
}

static int map1(struct client *c, uint32_t key, uint32_t flags, uint64_t va,
		uint64_t len, struct uodp_odp_map_resp *resp)
{
	struct uodp_odp_map_req req = { .nranges = 1 };

	req.ranges[0] = (struct uodp_odp_map_range){ .mr_key = key,
		.flags = flags, .va = va, .length = len };
	memset(resp, 0xee, sizeof(*resp));
	/* Only the ranges used travel. */
	return cmd(c->sock, UODP_CMD_ODP_MAP, &req,
		   offsetof(struct uodp_odp_map_req, ranges) +
		   sizeof(req.ranges[0]), resp, sizeof(*resp));
}

/* MAP of one range: its status (the command itself must succeed). */
static int map_status(struct client *c, uint32_t key, uint32_t flags,
		      uint64_t va, uint64_t len, uint64_t *mapped)
{
	struct uodp_odp_map_resp resp;

	CHECK_EQ(map1(c, key, flags, va, len, &resp), 0);
	CHECK_EQ(resp.ranges_done, resp.status ? 0 : 1);
	if (mapped)
		*mapped = resp.pages_mapped;
	return resp.status;
}

static void query_counters(struct client *c, uint32_t scope, uint32_t cursor,
			   struct uodp_query_counters_resp *resp)
{
	struct uodp_query_counters_req req = { .scope = scope,
					       .mr_cursor = cursor };

	CHECK_EQ(cmd(c->sock, UODP_CMD_QUERY_COUNTERS, &req, sizeof(req),
		     resp, sizeof(*resp)), 0);
}

/* The counters of ODP MR key (walking every page of the listing). */
static bool mr_counters(struct client *c, uint32_t scope, uint32_t key,
			struct uodp_odp_mr_counters *out)
{
	struct uodp_query_counters_resp resp;
	uint32_t cursor = 0, i;

	do {
		query_counters(c, scope, cursor, &resp);
		for (i = 0; i < resp.nmrs; i++)
			if (resp.mrs[i].mr_key == key) {
				*out = resp.mrs[i];
				return true;
			}
		cursor = resp.next_cursor;
	} while (cursor);
	return false;
}

static uint64_t pages_present(struct client *c, uint32_t key)
{
	struct uodp_odp_mr_counters m;

	if (!mr_counters(c, UODP_COUNTERS_CONTEXT, key, &m))
		return UINT64_MAX;
	return m.pages_present;
}

static int general(struct client *c, const void *in, uint32_t inlen,
		   uint32_t outlen, struct uodp_general_cmd_resp *resp)
{
	struct uodp_general_cmd req = { .inlen = inlen, .outlen = outlen };

	memcpy(req.in, in, inlen < sizeof(req.in) ? inlen : sizeof(req.in));
	memset(resp, 0xee, sizeof(*resp));
	return cmd(c->sock, UODP_CMD_GENERAL, &req, sizeof(req), resp,
		   sizeof(*resp));
}

static uint32_t be32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

/* PAGE_FAULT_RESUME: the PRM status it gets. */
static uint8_t resume(struct client *c, uint32_t token, uint32_t wq,
		      uint8_t type, bool error)
{
	struct mlx5_page_fault_resume_in in = {
		.opcode = htobe16(MLX5_CMD_OP_PAGE_FAULT_RESUME),
		.err_type_wq = htobe32((error ? MLX5_PF_RESUME_ERROR : 0) |
				       (uint32_t)type << 24 | wq),
		.token = htobe32(token),
	};
	struct uodp_general_cmd_resp resp;

	CHECK_EQ(general(c, &in, sizeof(in), 16, &resp), 0);
	return resp.out[0];
}

static void *map_pages(size_t n, int prot)
{
	void *p = mmap(NULL, n * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);

	if (p == MAP_FAILED)
		exit(1);
	return p;
}

#define ODP_RW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |	\
		IBV_ACCESS_REMOTE_READ | IBV_ACCESS_ON_DEMAND)

/* ---- tests ---- */

static void test_caps(void)
{
	struct uodp_device_attr attr;
	struct uodp_general_cmd_resp resp;
	uint8_t in[16] = { 0 };
	struct client c;
	uint16_t op_mod;

	odp_client_open(&c);
	CHECK_EQ(cmd(c.sock, UODP_CMD_QUERY_DEVICE, NULL, 0, &attr,
		     sizeof(attr)), 0);
	CHECK_EQ(attr.odp_general_caps,
		 IBV_ODP_SUPPORT | IBV_ODP_SUPPORT_IMPLICIT);
	CHECK_EQ(attr.odp_rc_caps, IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV |
		 IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_READ |
		 IBV_ODP_SUPPORT_ATOMIC | IBV_ODP_SUPPORT_SRQ_RECV);
	CHECK_EQ(attr.odp_uc_caps, 0);
	CHECK_EQ(attr.odp_ud_caps, IBV_ODP_SUPPORT_SEND |
		 IBV_ODP_SUPPORT_RECV | IBV_ODP_SUPPORT_SRQ_RECV);
	CHECK_EQ(attr.odp_xrc_caps, IBV_ODP_SUPPORT_SEND |
		 IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_READ |
		 IBV_ODP_SUPPORT_ATOMIC | IBV_ODP_SUPPORT_SRQ_RECV);

	/* QUERY_HCA_CAP, ODP block, current (0x5) and maximum (0x4). */
	in[0] = MLX5_CMD_OP_QUERY_HCA_CAP >> 8;
	in[1] = MLX5_CMD_OP_QUERY_HCA_CAP & 0xff;
	for (op_mod = 4; op_mod <= 5; op_mod++) {
		in[7] = (uint8_t)op_mod;
		CHECK_EQ(general(&c, in, 16, 256, &resp), 0);
		CHECK_EQ(resp.out[0], MLX5_CMD_STAT_OK);
		CHECK_EQ(be32_at(resp.out + 4), 0);
		CHECK_EQ(be32_at(resp.out + 16 + MLX5_ODP_CAP_RC_OFF),
			 0xfc000000);
		CHECK_EQ(be32_at(resp.out + 16 + MLX5_ODP_CAP_UC_OFF), 0);
		CHECK_EQ(be32_at(resp.out + 16 + MLX5_ODP_CAP_UD_OFF),
			 MLX5_ODP_CAP_SEND | MLX5_ODP_CAP_RECEIVE |
			 MLX5_ODP_CAP_SRQ_RECEIVE);
		CHECK_EQ(be32_at(resp.out + 16 + MLX5_ODP_CAP_XRC_OFF),
			 MLX5_ODP_CAP_SEND | MLX5_ODP_CAP_WRITE |
			 MLX5_ODP_CAP_READ | MLX5_ODP_CAP_ATOMIC |
			 MLX5_ODP_CAP_SRQ_RECEIVE);
		CHECK_EQ(be32_at(resp.out + 16 + MLX5_ODP_CAP_DC_OFF), 0);
		CHECK_EQ(be32_at(resp.out + 16), 0);
	}
	/* Output cut at outlen: nothing past it. */
	in[7] = 5;
	CHECK_EQ(general(&c, in, 16, 16 + MLX5_ODP_CAP_UD_OFF, &resp), 0);
	CHECK_EQ(be32_at(resp.out + 16 + MLX5_ODP_CAP_RC_OFF), 0xfc000000);
	CHECK_EQ(be32_at(resp.out + 16 + MLX5_ODP_CAP_UD_OFF), 0);
	/* Another capability type: not served. */
	in[7] = 1;
	CHECK_EQ(general(&c, in, 16, 256, &resp), 0);
	CHECK_EQ(resp.out[0], MLX5_CMD_STAT_BAD_PARAM_ERR);
	client_close(&c);
}

static void test_general_bad(void)
{
	struct uodp_query_counters_resp cnt;
	struct uodp_general_cmd_resp resp;
	uint8_t in[256] = { 0 };
	struct client c;

	odp_client_open(&c);
	/* Unknown opcodes: BAD_OP in the PRM header, the command succeeds. */
	in[0] = 0x09;
	in[1] = 0x99;
	CHECK_EQ(general(&c, in, 16, 16, &resp), 0);
	CHECK_EQ(resp.out[0], MLX5_CMD_STAT_BAD_OP_ERR);
	CHECK(be32_at(resp.out + 4) != 0, "a syndrome");
	in[0] = 0;
	in[1] = 0;
	CHECK_EQ(general(&c, in, 8, 16, &resp), 0);
	CHECK_EQ(resp.out[0], MLX5_CMD_STAT_BAD_OP_ERR);
	/* Malformed mailboxes. */
	CHECK_EQ(general(&c, in, 4, 16, &resp), -EINVAL);
	CHECK_EQ(general(&c, in, 257, 16, &resp), -EINVAL);
	CHECK_EQ(general(&c, in, 16, 8, &resp), -EINVAL);
	CHECK_EQ(general(&c, in, 16, 257, &resp), -EINVAL);
	CHECK_EQ(cmd(c.sock, UODP_CMD_GENERAL, in, 16, NULL, 0), -EINVAL);

	/* Resumes of tokens never issued, or too short: refused, counted. */
	CHECK_EQ(resume(&c, 0x123456, 0x100, 1, false),
		 MLX5_CMD_STAT_BAD_PARAM_ERR);
	CHECK_EQ(resume(&c, 0, 0, 0, true), MLX5_CMD_STAT_BAD_PARAM_ERR);
	in[0] = MLX5_CMD_OP_PAGE_FAULT_RESUME >> 8;
	in[1] = MLX5_CMD_OP_PAGE_FAULT_RESUME & 0xff;
	CHECK_EQ(general(&c, in, 12, 16, &resp), 0);
	CHECK_EQ(resp.out[0], MLX5_CMD_STAT_BAD_PARAM_ERR);
	query_counters(&c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	CHECK_EQ(cnt.dev.resumes_refused, 3);
	CHECK_EQ(cnt.dev.resumes, 0);
	client_close(&c);
}

static void test_api_channel(void)
{
	struct uodp_odp_api api, req = { .api_version = 0 };
	struct client c;
	struct stat st;
	int fd, chan = -1, chan2 = -1;
	char buf[80];

	odp_client_open(&c);
	/* The channel needs the handshake first. */
	fd = stats_memfd(PAGE, F_SEAL_SHRINK | F_SEAL_GROW);
	CHECK_EQ(create_channel(&c, fd, &chan), -EPROTO);
	CHECK_EQ(cmd(c.sock, UODP_CMD_ODP_API, &req, sizeof(req), &api,
		     sizeof(api)), -EINVAL);
	req.api_version = 1;
	req.reserved = 1;
	CHECK_EQ(cmd(c.sock, UODP_CMD_ODP_API, &req, sizeof(req), &api,
		     sizeof(api)), -EINVAL);
	/* A newer caller gets our version; unknown features are not granted. */
	req.api_version = 7;
	req.reserved = 0;
	req.features = UODP_ODP_F_WQE_FAULTS | UODP_ODP_F_INVALIDATE |
		       1ull << 40;
	CHECK_EQ(cmd(c.sock, UODP_CMD_ODP_API, &req, sizeof(req), &api,
		     sizeof(api)), 0);
	CHECK_EQ(api.api_version, UODP_ODP_API_VERSION);
	CHECK_EQ(api.features, UODP_ODP_F_WQE_FAULTS | UODP_ODP_F_INVALIDATE);
	CHECK_EQ(api.event_size, sizeof(struct uodp_odp_event));
	CHECK_EQ(api.max_map_ranges, UODP_ODP_MAX_MAP_RANGES);
	CHECK_EQ(odp_api(&c, ~0ull, &api), 0);
	CHECK_EQ(api.features, 0x1f);

	/* The stats page: a sealed memfd, big enough. */
	CHECK_EQ(cmd_full(c.sock, UODP_CMD_ODP_CREATE_CHANNEL, NULL, 0, NULL,
			  0, NULL, 0, NULL, NULL), -EBADF);
	close(fd);
	fd = stats_memfd(PAGE, 0);
	CHECK_EQ(create_channel(&c, fd, &chan), -EINVAL);
	close(fd);
	fd = stats_memfd(64, F_SEAL_SHRINK | F_SEAL_GROW);
	CHECK_EQ(create_channel(&c, fd, &chan), -EINVAL);
	close(fd);
	CHECK_EQ(create_channel(&c, c.sock, &chan), -EINVAL);
	fd = stats_memfd(PAGE, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	CHECK_EQ(create_channel(&c, fd, &chan), 0);
	CHECK(fstat(chan, &st) == 0 && S_ISFIFO(st.st_mode), "a pipe");
	/* One per context; the handshake is fixed while it is open. */
	CHECK_EQ(create_channel(&c, fd, &chan2), -EEXIST);
	CHECK_EQ(odp_api(&c, ~0ull, &api), -EBUSY);
	/* Empty, and the caller may make its end non-blocking. */
	CHECK_EQ(fcntl(chan, F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(read(chan, buf, sizeof(buf)), -1);
	CHECK_EQ(errno, EAGAIN);
	/* Closing it lets the context open another. */
	close(chan);
	usleep(100 * 1000);
	CHECK_EQ(create_channel(&c, fd, &chan), 0);
	close(chan);
	close(fd);
	client_close(&c);
}

static void test_registration(void)
{
	uint8_t *buf = map_pages(16, PROT_READ | PROT_WRITE);
	struct uodp_odp_mr_counters m;
	struct client c;
	uint32_t key, ikey, rkey, i;

	odp_client_open(&c);
	/* Touched before registration: present; the rest absent. */
	for (i = 0; i < 4; i++)
		buf[i * PAGE] = 1;
	buf[9 * PAGE + 100] = 1;
	CHECK_EQ(reg_mr(&c, (uintptr_t)buf, 16 * PAGE, (uintptr_t)buf, ODP_RW,
			&key), 0);
	CHECK_EQ(pages_present(&c, key), 5);
	CHECK(mr_counters(&c, UODP_COUNTERS_CONTEXT, key, &m), "listed");
	CHECK_EQ(m.length, 16 * PAGE);
	CHECK_EQ(m.owner_pid, getpid());
	CHECK_EQ(m.faults, 0);
	CHECK_EQ(m.pages_mapped, 0);
	/* Unaligned, with another iova: the pages it touches. */
	CHECK_EQ(reg_mr(&c, (uintptr_t)buf + 100, 2 * PAGE, 0x10000, ODP_RW,
			&rkey), 0);
	CHECK_EQ(pages_present(&c, rkey), 3);
	CHECK_EQ(dereg_mr(&c, rkey), 0);
	/* An ODP MR need not be mapped yet (nothing is pinned). */
	CHECK_EQ(reg_mr(&c, 0x10000000000ull, 1ull << 30, 0x10000000000ull,
			ODP_RW, &rkey), 0);
	CHECK_EQ(pages_present(&c, rkey), 0);
	CHECK_EQ(dereg_mr(&c, rkey), 0);
	/* Implicit: the whole address space, iova 0, nothing present. */
	CHECK_EQ(reg_mr(&c, 0, UINT64_MAX, 0, ODP_RW, &ikey), 0);
	CHECK(mr_counters(&c, UODP_COUNTERS_CONTEXT, ikey, &m), "listed");
	CHECK_EQ(m.length, UINT64_MAX);
	CHECK_EQ(m.pages_present, 0);
	CHECK_EQ(reg_mr(&c, 0, UINT64_MAX, 0x1000, ODP_RW, NULL), -EINVAL);
	CHECK_EQ(reg_mr(&c, 0, UINT64_MAX, 0, IBV_ACCESS_LOCAL_WRITE, NULL),
		 -EINVAL);
	CHECK_EQ(reg_mr(&c, (uintptr_t)buf, 16 * PAGE, (uintptr_t)buf,
			IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_ON_DEMAND, NULL),
		 -EINVAL);
	/* Counters: live ODP MRs. */
	{
		struct uodp_query_counters_resp r;

		query_counters(&c, UODP_COUNTERS_CONTEXT, 0, &r);
		CHECK_EQ(r.dev.odp_mrs, 2);
		CHECK_EQ(dereg_mr(&c, ikey), 0);
		query_counters(&c, UODP_COUNTERS_CONTEXT, 0, &r);
		CHECK_EQ(r.dev.odp_mrs, 1);
		CHECK_EQ(r.nmrs, 1);
		CHECK_EQ(r.next_cursor, 0);
	}
	client_close(&c);
	munmap(buf, 16 * PAGE);
}

static void test_map(void)
{
	uint8_t *buf = map_pages(16, PROT_READ | PROT_WRITE);
	uint8_t *ro = map_pages(4, PROT_READ);
	uint8_t *hole = map_pages(4, PROT_READ | PROT_WRITE);
	uint8_t *nf = map_pages(8, PROT_READ | PROT_WRITE);
	struct uodp_query_counters_resp cnt;
	struct uodp_odp_mr_counters m;
	struct uodp_odp_map_resp resp;
	struct client c, other;
	uint32_t key, ikey, rokey, pkey, okey, nfkey, i;
	uint64_t va = (uintptr_t)buf, n = 0;
	volatile uint8_t sink;

	odp_client_open(&c);
	odp_client_open(&other);
	munmap(hole + PAGE, PAGE);
	sink = ro[0];
	(void)sink;
	buf[0] = 1;
	CHECK_EQ(reg_mr(&c, va, 16 * PAGE, va, ODP_RW, &key), 0);
	CHECK_EQ(reg_mr(&c, 0, UINT64_MAX, 0, ODP_RW, &ikey), 0);
	CHECK_EQ(reg_mr(&c, va, 16 * PAGE, va,
			IBV_ACCESS_REMOTE_READ | IBV_ACCESS_ON_DEMAND, &rokey),
		 0);
	CHECK_EQ(reg_mr(&c, va, 16 * PAGE, va, IBV_ACCESS_LOCAL_WRITE, &pkey),
		 0);
	CHECK_EQ(reg_mr(&other, va, 16 * PAGE, va, ODP_RW, &okey), 0);

	/* Validation, in order. */
	CHECK_EQ(map_status(&c, 0x12345600, 0, va, PAGE, NULL), -ENOENT);
	CHECK_EQ(map_status(&c, okey, 0, va, PAGE, NULL), -ENOENT);
	CHECK_EQ(map_status(&c, pkey, 0, va, PAGE, NULL), -EINVAL);
	CHECK_EQ(map_status(&c, key, 1u << 7, va, PAGE, NULL), -EINVAL);
	CHECK_EQ(map_status(&c, key, 0, va, 0, NULL), -EINVAL);
	CHECK_EQ(map_status(&c, key, 0, va - 1, PAGE, NULL), -EINVAL);
	CHECK_EQ(map_status(&c, key, 0, va + 15 * PAGE, PAGE + 1, NULL),
		 -EINVAL);
	CHECK_EQ(map_status(&c, rokey, UODP_ODP_MAP_WRITE, va, PAGE, NULL),
		 -EPERM);
	CHECK_EQ(map_status(&c, ikey, 0, (uintptr_t)hole, 4 * PAGE, NULL),
		 -EFAULT);
	CHECK_EQ(map_status(&c, ikey, UODP_ODP_MAP_WRITE, (uintptr_t)ro,
			    PAGE, NULL), -EFAULT);
	CHECK_EQ(map_status(&c, ikey, 0, 1ull << 60, PAGE, NULL), -EFAULT);
	CHECK_EQ(pages_present(&c, key), 1);

	/* Read, then write: a read-only entry is upgraded. */
	CHECK_EQ(map_status(&c, key, 0, va + 4 * PAGE, 4 * PAGE, &n), 0);
	CHECK_EQ(n, 4);
	CHECK_EQ(pages_present(&c, key), 5);
	CHECK_EQ(map_status(&c, key, 0, va + 4 * PAGE, 4 * PAGE, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(map_status(&c, key, UODP_ODP_MAP_WRITE, va + 4 * PAGE + 10,
			    PAGE, &n), 0);
	CHECK_EQ(n, 2);
	CHECK_EQ(pages_present(&c, key), 5);
	/* A read-only mapping maps for read through a read-only MR. */
	CHECK_EQ(map_status(&c, rokey, 0, va, 16 * PAGE, &n), 0);
	CHECK_EQ(n, 15);	/* page 0 was present at registration */
	CHECK_EQ(map_status(&c, ikey, 0, (uintptr_t)ro, 4 * PAGE, &n), 0);
	CHECK_EQ(n, 4);
	/* Implicit: children made on demand. */
	CHECK_EQ(map_status(&c, ikey, UODP_ODP_MAP_WRITE, va, 16 * PAGE, &n),
		 0);
	CHECK_EQ(n, 16);
	CHECK_EQ(pages_present(&c, ikey), 20);

	/* A batch stops at its first failure. */
	{
		struct uodp_odp_map_req req = { .nranges = 3 };

		req.ranges[0] = (struct uodp_odp_map_range){
			.mr_key = key, .va = va + 8 * PAGE, .length = PAGE };
		req.ranges[1] = (struct uodp_odp_map_range){
			.mr_key = okey, .va = va, .length = PAGE };
		req.ranges[2] = (struct uodp_odp_map_range){
			.mr_key = key, .va = va + 9 * PAGE, .length = PAGE };
		CHECK_EQ(cmd(c.sock, UODP_CMD_ODP_MAP, &req, sizeof(req),
			     &resp, sizeof(resp)), 0);
		CHECK_EQ(resp.ranges_done, 1);
		CHECK_EQ(resp.status, -ENOENT);
		CHECK_EQ(resp.pages_mapped, 1);
		/* Sizes: at most 32 ranges, all of them sent. */
		req.nranges = 33;
		CHECK_EQ(cmd(c.sock, UODP_CMD_ODP_MAP, &req, sizeof(req),
			     &resp, sizeof(resp)), -EINVAL);
		req.nranges = 2;
		CHECK_EQ(cmd(c.sock, UODP_CMD_ODP_MAP, &req,
			     offsetof(struct uodp_odp_map_req, ranges) +
			     sizeof(req.ranges[0]), &resp, sizeof(resp)),
			 -EINVAL);
		req.nranges = 0;
		CHECK_EQ(cmd(c.sock, UODP_CMD_ODP_MAP, &req,
			     offsetof(struct uodp_odp_map_req, ranges), &resp,
			     sizeof(resp)), 0);
		CHECK_EQ(resp.ranges_done, 0);
		req.flags = 0x80;	/* no such flag */
		CHECK_EQ(cmd(c.sock, UODP_CMD_ODP_MAP, &req, sizeof(req),
			     &resp, sizeof(resp)), -EINVAL);
		req.flags = 0;
		/* An OPTIONAL range that fails is skipped, not fatal. */
		req.nranges = 3;
		req.ranges[1].flags = UODP_ODP_MAP_OPTIONAL;
		CHECK_EQ(cmd(c.sock, UODP_CMD_ODP_MAP, &req, sizeof(req),
			     &resp, sizeof(resp)), 0);
		CHECK_EQ(resp.ranges_done, 3);
		CHECK_EQ(resp.status, 0);
		CHECK_EQ(resp.pages_mapped, 1);
		/* MAP_RESUME with a token never issued: the resume is refused. */
		req.flags = UODP_ODP_MAP_RESUME;
		req.resume[0] = MLX5_CMD_OP_PAGE_FAULT_RESUME >> 8;
		req.resume[1] = MLX5_CMD_OP_PAGE_FAULT_RESUME & 0xff;
		req.resume[15] = 0x7b;
		CHECK_EQ(cmd(c.sock, UODP_CMD_ODP_MAP, &req, sizeof(req),
			     &resp, sizeof(resp)), 0);
		CHECK_EQ(resp.status, 0);
		CHECK_EQ(resp.resume_out[0], MLX5_CMD_STAT_BAD_PARAM_ERR);
	}

	/* NO_FAULT: only what is resident now; holes are no error. */
	CHECK_EQ(reg_mr(&c, (uintptr_t)nf, 8 * PAGE, (uintptr_t)nf, ODP_RW,
			&nfkey), 0);
	for (i = 0; i < 8; i += 3)
		nf[i * PAGE] = 2;
	CHECK_EQ(map_status(&c, nfkey, UODP_ODP_MAP_NO_FAULT, (uintptr_t)nf,
			    8 * PAGE, &n), 0);
	CHECK_EQ(n, 3);
	CHECK_EQ(pages_present(&c, nfkey), 3);
	CHECK_EQ(map_status(&c, ikey, UODP_ODP_MAP_NO_FAULT, (uintptr_t)hole,
			    4 * PAGE, &n), 0);
	CHECK_EQ(n, 0);
	hole[0] = 1;
	CHECK_EQ(map_status(&c, ikey, UODP_ODP_MAP_NO_FAULT, (uintptr_t)hole,
			    4 * PAGE, &n), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(map_status(&c, rokey, UODP_ODP_MAP_NO_FAULT |
			    UODP_ODP_MAP_WRITE, va, PAGE, &n), -EPERM);

	/* Counters: per MR, per context, per device. */
	CHECK(mr_counters(&c, UODP_COUNTERS_CONTEXT, key, &m), "listed");
	/* ... + 1: page 9, mapped by the batch whose optional range failed */
	CHECK_EQ(m.pages_mapped, 4 + 2 + 1 + 1);
	CHECK_EQ(m.pages_present, 7);
	query_counters(&c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	CHECK_EQ(cnt.dev.pages_mapped, 4 + 2 + 15 + 4 + 16 + 1 + 1 + 3 + 1);
	/* 10, + 2 and 2 applied by the two batches with an optional range */
	CHECK_EQ(cnt.dev.map_ranges, 10 + 2 + 2);
	CHECK_EQ(cnt.dev.odp_mrs, 4);
	CHECK_EQ(cnt.nmrs, 4);
	query_counters(&c, UODP_COUNTERS_DEVICE, 0, &cnt);
	CHECK(cnt.dev.odp_mrs >= 4, "device: both contexts' MRs");
	CHECK(mr_counters(&c, UODP_COUNTERS_DEVICE, okey, &m),
	      "device scope lists the other context's MR");
	CHECK(!mr_counters(&c, UODP_COUNTERS_CONTEXT, okey, &m),
	      "context scope does not");
	{
		struct uodp_query_counters_req bad = { .scope = 2 };

		CHECK_EQ(cmd(c.sock, UODP_CMD_QUERY_COUNTERS, &bad,
			     sizeof(bad), &cnt, sizeof(cnt)), -EINVAL);
	}
	client_close(&other);
	client_close(&c);
	munmap(buf, 16 * PAGE);
	munmap(ro, 4 * PAGE);
	munmap(hole, PAGE);
	munmap(hole + 2 * PAGE, 2 * PAGE);
	munmap(nf, 8 * PAGE);
}

/* Cursor paging over many MRs. */
static void test_counter_paging(void)
{
	uint8_t *buf = map_pages(1, PROT_READ | PROT_WRITE);
	struct uodp_query_counters_resp r;
	uint32_t keys[20], cursor = 0, seen = 0, i;
	struct client c;

	odp_client_open(&c);
	for (i = 0; i < 20; i++)
		CHECK_EQ(reg_mr(&c, (uintptr_t)buf, PAGE, (uintptr_t)buf,
				ODP_RW, &keys[i]), 0);
	do {
		query_counters(&c, UODP_COUNTERS_CONTEXT, cursor, &r);
		CHECK(r.nmrs <= UODP_COUNTERS_MRS_PER_QUERY, "page size");
		for (i = 0; i < r.nmrs; i++) {
			CHECK(r.mrs[i].mr_key > cursor, "ascending");
			seen++;
		}
		if (r.next_cursor)
			CHECK_EQ(r.next_cursor, r.mrs[r.nmrs - 1].mr_key);
		cursor = r.next_cursor;
	} while (cursor);
	CHECK_EQ(seen, 20);
	client_close(&c);
	munmap(buf, PAGE);
}

/* ---- with the engine: real faults ---- */

struct rc_qp {
	int memfd;
	uint8_t *mem;
	uint32_t qpn, cqn;
	uint32_t sq_pi;
};

enum {
	QP_SQ_OFF = 0,
	QP_RQ_OFF = 64 * 64,
	QP_DB_OFF = 64 * 64 + 64 * 32,
	QP_MEM = QP_DB_OFF + 64,
	CQ_CNT = 64,
};

/* An RC QP connected to itself, in RTS. */
static void rc_qp_create(struct client *c, struct rc_qp *q)
{
	struct uodp_create_cq_req cq = {
		.comp_channel = -1,
		.mmap_size = CQ_CNT * 64 + 64, .cqe_cnt = CQ_CNT,
		.cqe_size = 64, .dbrec_offset = CQ_CNT * 64,
	};
	struct uodp_create_qp_req req = {
		.mmap_size = QP_MEM, .sq_offset = QP_SQ_OFF,
		.rq_offset = QP_RQ_OFF, .dbrec_offset = QP_DB_OFF,
		.qp_type = IBV_QPT_RC, .pdn = c->pdn,
		.srqn = UODP_NO_HANDLE, .xrcdn = UODP_NO_HANDLE,
		.sq_wqe_cnt = 64, .rq_wqe_cnt = 64, .rq_wqe_shift = 5,
		.max_send_sge = 2, .max_recv_sge = 2,
	};
	struct uodp_create_cq_resp cqr = { 0 };
	struct uodp_create_qp_resp qpr = { 0 };
	struct uodp_qp_attr a = { 0 };
	int fd = queue_memfd(cq.mmap_size, true);
	uint8_t *cqmem;

	CHECK_EQ(cmd_full(c->sock, UODP_CMD_CREATE_CQ, &cq, sizeof(cq), &fd,
			  1, &cqr, sizeof(cqr), NULL, NULL), 0);
	cqmem = mmap(NULL, cq.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     fd, 0);
	memset(cqmem, 0xf0, CQ_CNT * 64);	/* software owns no CQE */
	munmap(cqmem, cq.mmap_size);
	close(fd);
	q->cqn = cqr.cqn;
	req.send_cqn = req.recv_cqn = q->cqn;
	q->memfd = queue_memfd(QP_MEM, true);
	q->mem = mmap(NULL, QP_MEM, PROT_READ | PROT_WRITE, MAP_SHARED,
		      q->memfd, 0);
	CHECK_EQ(cmd_full(c->sock, UODP_CMD_CREATE_QP, &req, sizeof(req),
			  &q->memfd, 1, &qpr, sizeof(qpr), NULL, NULL), 0);
	q->qpn = qpr.qpn;
	q->sq_pi = 0;
	a.qp_state = IBV_QPS_INIT;
	a.port_num = 1;
	a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
	CHECK_EQ(modify_qp(c, q->qpn, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			IBV_QP_PORT | IBV_QP_ACCESS_FLAGS, &a), 0);
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = q->qpn;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 1;
	a.ah_attr.is_global = 1;
	a.ah_attr.port_num = 1;
	CHECK_EQ(modify_qp(c, q->qpn, IBV_QP_STATE | IBV_QP_AV |
			IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER, &a),
		 0);
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	CHECK_EQ(modify_qp(c, q->qpn, IBV_QP_STATE | IBV_QP_TIMEOUT |
			IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			IBV_QP_MAX_QP_RD_ATOMIC, &a), 0);
}

static void rc_qp_destroy(struct client *c, struct rc_qp *q)
{
	struct uodp_handle_req req = { .handle = q->qpn };

	CHECK_EQ(cmd(c->sock, UODP_CMD_DESTROY_QP, &req, sizeof(req), NULL,
		     0), 0);
	req.handle = q->cqn;
	CHECK_EQ(cmd(c->sock, UODP_CMD_DESTROY_CQ, &req, sizeof(req), NULL,
		     0), 0);
	munmap(q->mem, QP_MEM);
	close(q->memfd);
}

/* Post an RDMA WRITE of len bytes from (lkey, src) to (rkey, dst), signaled. */
static void post_write(struct client *c, struct rc_qp *q, uint32_t lkey,
		       uint64_t src, uint32_t rkey, uint64_t dst, uint32_t len)
{
	uint8_t *wqe = q->mem + QP_SQ_OFF + (q->sq_pi % 64) * 64;
	uint32_t v32;
	uint64_t v64;
	uint64_t one = 1;

	memset(wqe, 0, 64);
	v32 = htobe32((q->sq_pi & 0xffff) << 8 | 0x08);	/* RDMA_WRITE */
	memcpy(wqe, &v32, 4);
	v32 = htobe32(q->qpn << 8 | 3);
	memcpy(wqe + 4, &v32, 4);
	wqe[11] = 0x08;					/* CQE always */
	v64 = htobe64(dst);
	memcpy(wqe + 16, &v64, 8);
	v32 = htobe32(rkey);
	memcpy(wqe + 24, &v32, 4);
	v32 = htobe32(len);
	memcpy(wqe + 32, &v32, 4);
	v32 = htobe32(lkey);
	memcpy(wqe + 36, &v32, 4);
	v64 = htobe64(src);
	memcpy(wqe + 40, &v64, 8);
	q->sq_pi++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	v32 = htobe32(q->sq_pi & 0xffff);
	memcpy(q->mem + QP_DB_OFF + 4, &v32, 4);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (write(c->kick_fd, &one, sizeof(one)) != sizeof(one))
		CHECK(0, "kick");
}

/* Read one event from the channel within 5 s. */
static bool read_event(int chan, struct uodp_odp_event *ev)
{
	struct pollfd pfd = { .fd = chan, .events = POLLIN };

	if (poll(&pfd, 1, 5000) != 1)
		return false;
	return read(chan, ev, sizeof(*ev)) == sizeof(*ev);
}

static void test_faults(void)
{
	uint8_t *src = map_pages(4, PROT_READ | PROT_WRITE);
	uint8_t *dst = malloc(4 * PAGE);
	uint8_t *tgt = map_pages(2, PROT_READ | PROT_WRITE);
	uint32_t tkey = 0, rtoken, rtype;
	struct uodp_query_counters_resp cnt;
	struct uodp_odp_mr_counters m;
	struct uodp_odp_event ev;
	struct mlx5_eqe eqe;
	struct client c, other;
	uint32_t okey, pkey, token, wq;
	struct rc_qp q;
	uint8_t type;
	int i;

	odp_client_open(&c);
	odp_client_open(&other);
	open_channel(&c);
	open_channel(&other);
	memset(dst, 0, 4 * PAGE);
	CHECK_EQ(reg_mr(&c, (uintptr_t)src, 4 * PAGE, (uintptr_t)src, ODP_RW,
			&okey), 0);
	CHECK_EQ(reg_mr(&c, (uintptr_t)dst, 4 * PAGE, (uintptr_t)dst,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE, &pkey),
		 0);
	CHECK_EQ(pages_present(&c, okey), 0);
	rc_qp_create(&c, &q);

	/* The source is absent: a requester WQE fault, the SQ stalls. */
	post_write(&c, &q, okey, (uintptr_t)src + 100, pkey, (uintptr_t)dst,
		   2 * PAGE);
	if (!read_event(c.chan, &ev)) {
		CHECK(0, "no fault event: does the engine raise faults yet?");
		goto out;
	}
	CHECK_EQ(ev.type, UODP_ODP_EVENT_PAGE_FAULT);
	memcpy(&eqe, ev.eqe, sizeof(eqe));
	CHECK_EQ(eqe.type, MLX5_EVENT_TYPE_PAGE_FAULT);
	CHECK_EQ(eqe.sub_type, MLX5_PFAULT_SUBTYPE_WQE);
	CHECK_EQ(eqe.owner, 0);
	CHECK_EQ(eqe.rsvd0, 0);
	for (i = 4; i < 32; i++)
		CHECK_EQ(ev.eqe[i], 0);
	token = be32toh(eqe.data.wqe.token);
	CHECK_EQ(token, ev.token);
	CHECK(token && token <= 0xffffff, "token 0x%x", token);
	wq = be32toh(eqe.data.wqe.pftype_wq) & 0xffffff;
	type = be32toh(eqe.data.wqe.pftype_wq) >> 24;
	CHECK_EQ(wq, q.qpn);
	CHECK_EQ(type, MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE);
	CHECK_EQ(be16toh(eqe.data.wqe.wqe_index), 0);
	CHECK_EQ(be32toh(eqe.data.wqe.bytes_committed), 0);

	/* Wrong context, wrong wq, wrong type: refused. */
	CHECK_EQ(resume(&other, token, wq, type, false),
		 MLX5_CMD_STAT_BAD_PARAM_ERR);
	CHECK_EQ(resume(&c, token, wq + 1, type, false),
		 MLX5_CMD_STAT_BAD_PARAM_ERR);
	CHECK_EQ(resume(&c, token, wq, 3, false), MLX5_CMD_STAT_BAD_PARAM_ERR);
	query_counters(&other, UODP_COUNTERS_CONTEXT, 0, &cnt);
	CHECK_EQ(cnt.dev.resumes_refused, 1);
	query_counters(&c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	CHECK_EQ(cnt.dev.resumes_refused, 2);
	CHECK_EQ(cnt.dev.wqe_faults_requester, 1);
	CHECK(mr_counters(&c, UODP_COUNTERS_CONTEXT, okey, &m), "listed");
	CHECK_EQ(m.faults, 1);

	/* Map, resume: the write completes; the token is then spent. */
	CHECK_EQ(map_status(&c, okey, 0, (uintptr_t)src, 4 * PAGE, NULL), 0);
	memset(src, 0x5a, 4 * PAGE);
	CHECK_EQ(resume(&c, token, wq, type, false), MLX5_CMD_STAT_OK);
	CHECK_EQ(resume(&c, token, wq, type, false),
		 MLX5_CMD_STAT_BAD_PARAM_ERR);
	for (i = 0; i < 200 && dst[2 * PAGE - 1] != 0x5a; i++)
		usleep(10 * 1000);
	CHECK_EQ(dst[0], 0x5a);
	CHECK_EQ(dst[2 * PAGE - 1], 0x5a);
	query_counters(&c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	CHECK_EQ(cnt.dev.resumes, 1);
	CHECK_EQ(cnt.dev.resumes_error, 0);
	/* The engine counters come from the stats page. */
	c.stats->faults_serviced = 7;
	c.stats->service_hist[3] = 2;
	query_counters(&c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	CHECK_EQ(cnt.engine.faults_serviced, 7);
	CHECK_EQ(cnt.engine.service_hist[3], 2);
	other.stats->faults_serviced = 5;
	query_counters(&c, UODP_COUNTERS_DEVICE, 0, &cnt);
	CHECK_EQ(cnt.engine.faults_serviced, 12);

	/* An RDMA responder fault, by rkey: resumed with wq = token. */
	CHECK_EQ(reg_mr(&c, (uintptr_t)tgt, 2 * PAGE, (uintptr_t)tgt, ODP_RW,
			&tkey), 0);
	post_write(&c, &q, pkey, (uintptr_t)dst, tkey, (uintptr_t)tgt + 8,
		   64);
	CHECK(read_event(c.chan, &ev), "an RDMA fault");
	memcpy(&eqe, ev.eqe, sizeof(eqe));
	CHECK_EQ(eqe.type, MLX5_EVENT_TYPE_PAGE_FAULT);
	CHECK_EQ(eqe.sub_type, MLX5_PFAULT_SUBTYPE_RDMA);
	CHECK_EQ(be32toh(eqe.data.rdma.r_key), tkey);
	CHECK_EQ(be64toh(eqe.data.rdma.rdma_va), (uintptr_t)tgt + 8);
	CHECK_EQ(be32toh(eqe.data.rdma.rdma_op_len), 64);
	CHECK_EQ(be32toh(eqe.data.rdma.bytes_committed), 0);
	rtoken = be32toh(eqe.data.rdma.pftype_token) & 0xffffff;
	rtype = be32toh(eqe.data.rdma.pftype_token) >> 24;
	CHECK_EQ(rtoken, ev.token);
	CHECK_EQ(rtype, MLX5_PFAULT_RDMA | MLX5_PFAULT_WRITE);
	CHECK_EQ(resume(&c, rtoken, q.qpn, rtype, false),
		 MLX5_CMD_STAT_BAD_PARAM_ERR);
	CHECK_EQ(map_status(&c, tkey, UODP_ODP_MAP_WRITE, (uintptr_t)tgt,
			    PAGE, NULL), 0);
	CHECK_EQ(resume(&c, rtoken, rtoken, rtype, false), MLX5_CMD_STAT_OK);
	for (i = 0; i < 200 && tgt[8 + 63] != 0x5a; i++)
		usleep(10 * 1000);
	CHECK_EQ(tgt[8], 0x5a);
	CHECK_EQ(tgt[8 + 63], 0x5a);
	CHECK_EQ(tgt[8 + 64], 0);
	query_counters(&c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	CHECK_EQ(cnt.dev.rdma_faults, 1);
	CHECK_EQ(cnt.dev.resumes, 2);
	CHECK(mr_counters(&c, UODP_COUNTERS_CONTEXT, tkey, &m), "listed");
	CHECK_EQ(m.faults, 1);

	/* A fault left pending when the channel closes: resumed with error. */
	CHECK_EQ(madvise(src, 4 * PAGE, MADV_DONTNEED), 0);
	munmap(src, 4 * PAGE);	/* the engine finds it gone: invalidation */
	post_write(&c, &q, okey, (uintptr_t)src, pkey, (uintptr_t)dst, 64);
	CHECK(read_event(c.chan, &ev), "a second event");
	if (ev.type == UODP_ODP_EVENT_INVALIDATE) {
		CHECK_EQ(ev.invalidate.mr_key, okey);
		CHECK(read_event(c.chan, &ev), "then the fault");
	}
	CHECK_EQ(ev.type, UODP_ODP_EVENT_PAGE_FAULT);
	close(c.chan);
	c.chan = -1;
	for (i = 0; i < 100; i++) {
		query_counters(&c, UODP_COUNTERS_CONTEXT, 0, &cnt);
		if (cnt.dev.resumed_on_close)
			break;
		usleep(10 * 1000);
	}
	CHECK_EQ(cnt.dev.resumed_on_close, 1);
	CHECK_EQ(resume(&c, (uint32_t)ev.token, wq, type, false),
		 MLX5_CMD_STAT_BAD_PARAM_ERR);
out:
	rc_qp_destroy(&c, &q);
	client_close(&other);
	client_close(&c);
	free(dst);
	munmap(tgt, 2 * PAGE);
}

int main(int argc, char **argv)
{
	const char *uodpd = harness_init(argc, argv, "odp");

	start_daemon(uodpd, 1);
	test_caps();
	test_general_bad();
	test_api_channel();
	test_registration();
	test_map();
	test_counter_paging();
	test_faults();
	stop_daemon();
	harness_cleanup();
	return harness_report(argv[0]);
}
