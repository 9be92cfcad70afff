// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The thin ODP uAPI (rdma/uodp-odp-abi.h) on the command fd, driven by
 * hand with the raw client (tests/lib/rawdev), without the provider's fault
 * engine: the test is its own fault handler.
 *
 *   odp_uapi control  the handshake and feature negotiation (and the
 *                     notifier fd it refuses); the DEVX event
 *                     channel, its subscription and the stats page; PRM
 *                     mailboxes through DEVX_OTHER (QUERY_HCA_CAP's ODP
 *                     block, unknown opcodes, bad sizes, resumes of tokens
 *                     never issued); ODP MR registration, explicit and
 *                     implicit; the counters and their MR paging
 *   odp_uapi map      MAP validation (ENOENT, EINVAL, EPERM, EFAULT,
 *                     another context's MR, huge lengths) and semantics
 *                     (upgrades, implicit children, batches, OPTIONAL,
 *                     NO_FAULT, the resume mailbox), ADVISE_MR, counters
 *   odp_uapi faults   real page faults: one with no channel, or without the
 *                     feature, fails its WQE; the EQE bytes of requester,
 *                     responder and RDMA faults; RESUME refused for a wrong
 *                     token, queue or type, from another context and from
 *                     another process; MAP + RESUME and MAP-with-RESUME
 *                     completing the WQE, or failing it when a range
 *                     fails; batched reads; the INVALIDATE notice; the
 *                     channel's close resuming pending faults with error
 *
 * Run inside uodp-run; exit status 0 when every check passed.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/mlx5_user_ioctl_cmds.h>
#include <rdma/mlx5_user_ioctl_verbs.h>

#include "hw/mlx5/cmd.h"
#include "hw/mlx5/cqe.h"
#include "hw/mlx5/eqe.h"
#include "hw/mlx5/wqe.h"
#include "tests/lib/child.h"
#include "odp_common.h"
#include "lib/rawdev.h"

#define DEADLINE_MS 10000
#define LEN (4 * ODP_PAGE)
#define ODP_LW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND)
#define ODP_RW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |	\
		IBV_ACCESS_REMOTE_READ | IBV_ACCESS_ON_DEMAND)
#define ALL_FEATURES (UODP_ODP_F_WQE_FAULTS | UODP_ODP_F_RDMA_FAULTS |	\
		      UODP_ODP_F_INVALIDATE | UODP_ODP_F_MAP_NO_FAULT |	\
		      UODP_ODP_F_IMPLICIT)
/* Our subscriptions' cookies: what a record is. */
#define COOKIE_FAULT 0xfa017c00c1e5ull
#define COOKIE_NOTICE 0x40717cec00c1ull

/* One record of the event channel: the DEVX header, then 64 bytes. */
struct record {
	uint64_t cookie;
	union {
		struct mlx5_eqe eqe;
		struct uodp_odp_notice notice;
		uint8_t raw[64];
	};
};

static_assert(sizeof(struct record) == UODP_ODP_EVENT_RECORD_SIZE, "record");
static_assert(offsetof(struct record, raw) ==
	      offsetof(struct mlx5_ib_uapi_devx_async_event_hdr, out_data),
	      "the data follows the cookie");

static uint8_t sgid_index;

/* ------------------------------------------------------------------ */
/* one context: a command fd with a PD                                 */

struct octx {
	struct raw_dev dev;
	uint32_t pd;
	int chan;		/* the event channel; -1: none */
};

static void octx_open(struct octx *c)
{
	int ret = raw_open(&c->dev);

	if (!ret)
		ret = raw_alloc_pd(&c->dev, &c->pd);
	if (ret)
		test_die("open " RAW_DEV_PATH " (inside uodp-run?)", -ret);
	c->chan = -1;
}

static void octx_close(struct octx *c)
{
	if (c->chan >= 0)
		close(c->chan);
	c->chan = -1;
	raw_close(&c->dev);
}

/* IDR and fd attributes: the value in data, no length. */
static struct ib_uverbs_attr attr_val(uint16_t id, uint64_t value)
{
	return (struct ib_uverbs_attr){
		.attr_id = id,
		.flags = UVERBS_ATTR_F_MANDATORY,
		.data = value,
	};
}

static int odp_api(struct octx *c, const struct uodp_odp_api *in,
		   int stats_fd, struct uodp_odp_api *out)
{
	struct ib_uverbs_attr attrs[3] = {
		raw_attr_in(UODP_IB_ATTR_ODP_API_IN, in, sizeof(*in)),
		raw_attr_out(UODP_IB_ATTR_ODP_API_OUT, out, sizeof(*out)),
		attr_val(UODP_IB_ATTR_ODP_API_STATS_FD, (uint64_t)stats_fd),
	};

	memset(out, 0xee, sizeof(*out));
	return raw_ioctl(&c->dev, UODP_IB_OBJECT_ODP, UODP_IB_METHOD_ODP_API,
			 attrs, stats_fd >= 0 ? 3 : 2);
}

/* The handshake of the current version, wanting features. */
static int handshake(struct octx *c, uint64_t features, int stats_fd,
		     struct uodp_odp_api *out)
{
	struct uodp_odp_api in = { .api_version = UODP_ODP_API_VERSION,
				   .features = features };

	return odp_api(c, &in, stats_fd, out);
}

/* A DEVX event channel: its fd, or -errno. */
static int event_fd_alloc(struct octx *c, uint32_t flags)
{
	struct ib_uverbs_attr attrs[2] = {
		attr_val(MLX5_IB_ATTR_DEVX_ASYNC_EVENT_FD_ALLOC_HANDLE, 0),
		raw_attr_in(MLX5_IB_ATTR_DEVX_ASYNC_EVENT_FD_ALLOC_FLAGS,
			    &flags, sizeof(flags)),
	};
	int ret = raw_ioctl(&c->dev, MLX5_IB_OBJECT_DEVX_ASYNC_EVENT_FD,
			    MLX5_IB_METHOD_DEVX_ASYNC_EVENT_FD_ALLOC, attrs, 2);

	return ret ? ret : (int)attrs[0].data;
}

/* mlx5dv_devx_subscribe_devx_event(fd, NULL, type, cookie), plus extras. */
static int subscribe_attrs(struct octx *c, int fd, uint16_t type,
			   uint64_t cookie, const struct ib_uverbs_attr *extra)
{
	struct ib_uverbs_attr attrs[4] = {
		attr_val(MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_FD_HANDLE,
			 (uint64_t)fd),
		raw_attr_in(MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_TYPE_NUM_LIST,
			    &type, sizeof(type)),
		raw_attr_in(MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_COOKIE, &cookie,
			    sizeof(cookie)),
	};

	if (extra)
		attrs[3] = *extra;
	return raw_ioctl(&c->dev, MLX5_IB_OBJECT_DEVX,
			 MLX5_IB_METHOD_DEVX_SUBSCRIBE_EVENT, attrs,
			 extra ? 4 : 3);
}

static int subscribe(struct octx *c, int fd, uint16_t type, uint64_t cookie)
{
	return subscribe_attrs(c, fd, type, cookie, NULL);
}

/*
 * Handshake (features), an event channel subscribed to page faults and,
 * when granted, to notices: what the provider's backend does.
 */
static void open_channel(struct octx *c, uint64_t features, int stats_fd)
{
	struct uodp_odp_api api;
	int ret = handshake(c, features, stats_fd, &api);

	if (!ret)
		ret = c->chan = event_fd_alloc(c, 0);
	if (ret >= 0)
		ret = subscribe(c, c->chan, MLX5_EVENT_TYPE_PAGE_FAULT,
				COOKIE_FAULT);
	if (!ret && (api.features & UODP_ODP_F_INVALIDATE))
		ret = subscribe(c, c->chan, UODP_EVENT_TYPE_ODP_NOTICE,
				COOKIE_NOTICE);
	if (ret < 0)
		test_die("ODP event channel", -ret);
}

/* Up to max records within timeout_ms, in one read: how many, or -1. */
static int read_records(int fd, struct record *r, unsigned int max,
			int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t got;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	got = read(fd, r, max * sizeof(*r));
	if (got <= 0 || got % sizeof(*r))
		return -1;
	return (int)(got / sizeof(*r));
}

static bool read_record(int fd, struct record *r)
{
	return read_records(fd, r, 1, DEADLINE_MS) == 1;
}

/* DEVX_OTHER: the PRM mailboxes in and out; 0 or -errno. */
static int devx_other(struct octx *c, const void *in, uint32_t inlen,
		      void *out, uint32_t outlen, uint16_t *out_flags)
{
	struct ib_uverbs_attr attrs[2] = {
		raw_attr_in(MLX5_IB_ATTR_DEVX_OTHER_CMD_IN, in, inlen),
		raw_attr_out(MLX5_IB_ATTR_DEVX_OTHER_CMD_OUT, out, outlen),
	};
	int ret = raw_ioctl(&c->dev, MLX5_IB_OBJECT_DEVX,
			    MLX5_IB_METHOD_DEVX_OTHER, attrs, 2);

	if (out_flags)
		*out_flags = attrs[1].flags;
	return ret;
}

static struct mlx5_page_fault_resume_in resume_in(uint32_t token, uint32_t wq,
						  uint8_t type, bool error)
{
	return (struct mlx5_page_fault_resume_in){
		.opcode = htobe16(MLX5_CMD_OP_PAGE_FAULT_RESUME),
		.err_type_wq = htobe32((error ? MLX5_PF_RESUME_ERROR : 0) |
				       (uint32_t)(type & MLX5_PF_RESUME_TYPE_MASK)
				       << MLX5_PF_RESUME_TYPE_SHIFT |
				       (wq & MLX5_PF_RESUME_WQ_MASK)),
		.token = htobe32(token & MLX5_PFAULT_TOKEN_MASK),
	};
}

/* PAGE_FAULT_RESUME: the PRM status, or 0x100 + errno of the call. */
static int resume(struct octx *c, uint32_t token, uint32_t wq, uint8_t type,
		  bool error)
{
	struct mlx5_page_fault_resume_in in = resume_in(token, wq, type,
							 error);
	struct mlx5_cmd_out_hdr out;
	int ret = devx_other(c, &in, sizeof(in), &out, sizeof(out), NULL);

	return ret ? 0x100 - ret : out.status;
}

/* ODP_MAP of n ranges, with resume[16] when not NULL: 0 or -errno. */
static int map_ranges(struct octx *c, const struct uodp_odp_map_range *r,
		      uint32_t n, const void *resume_mbox,
		      struct uodp_odp_map_resp *resp)
{
	struct ib_uverbs_attr attrs[3] = {
		raw_attr_in(UODP_IB_ATTR_ODP_MAP_RANGES, r, n * sizeof(*r)),
		raw_attr_out(UODP_IB_ATTR_ODP_MAP_RESP, resp, sizeof(*resp)),
		raw_attr_in(UODP_IB_ATTR_ODP_MAP_RESUME, resume_mbox,
			    sizeof(struct mlx5_page_fault_resume_in)),
	};

	memset(resp, 0xee, sizeof(*resp));
	return raw_ioctl(&c->dev, UODP_IB_OBJECT_ODP, UODP_IB_METHOD_ODP_MAP,
			 attrs, resume_mbox ? 3 : 2);
}

/*
 * MAP of one range: the call's -errno, else the range's status (pages
 * made present in *mapped).
 */
static int map1(struct octx *c, uint32_t key, uint32_t flags, uint64_t va,
		uint64_t len, uint64_t *mapped)
{
	struct uodp_odp_map_range r = { .mr_key = key, .flags = flags,
					.va = va, .length = len };
	struct uodp_odp_map_resp resp;
	int ret = map_ranges(c, &r, 1, NULL, &resp);

	if (ret)
		return ret;
	if (resp.ranges_done != !resp.status)
		test_check(false, "MAP of 0x%x: %u range(s) done, status %d",
			   key, resp.ranges_done, resp.status);
	if (mapped)
		*mapped = resp.pages_mapped;
	return resp.status;
}

static void counters(struct octx *c, uint32_t scope, uint32_t cursor,
		     struct uodp_query_counters_resp *r)
{
	int ret = raw_query_counters(&c->dev, scope, cursor, r);

	if (ret)
		test_die("ODP_QUERY_COUNTERS", -ret);
}

/* The counters of ODP MR key, over every page of the listing. */
static bool mr_counters(struct octx *c, uint32_t scope, uint32_t key,
			struct uodp_odp_mr_counters *out)
{
	struct uodp_query_counters_resp r;
	uint32_t cursor = 0, i;

	memset(out, 0, sizeof(*out));
	do {
		counters(c, scope, cursor, &r);
		for (i = 0; i < r.nmrs && i < UODP_COUNTERS_MRS_PER_QUERY; i++)
			if (r.mrs[i].mr_key == key) {
				*out = r.mrs[i];
				return true;
			}
		if (r.next_cursor && r.next_cursor <= cursor)
			return false;	/* the cursor must advance */
		cursor = r.next_cursor;
	} while (cursor);
	return false;
}

static uint64_t pages_present(struct octx *c, uint32_t key)
{
	struct uodp_odp_mr_counters m = { 0 };

	return mr_counters(c, UODP_COUNTERS_CONTEXT, key, &m) ?
	       m.pages_present : UINT64_MAX;
}

/* REG_MR with its own iova (the handle is the lkey): 0 or -errno. */
static int reg(struct octx *c, uint64_t addr, uint64_t len, uint64_t iova,
	       uint32_t access, uint32_t *key)
{
	struct ib_uverbs_reg_mr cmd = {
		.start = addr, .length = len, .hca_va = iova,
		.pd_handle = c->pd, .access_flags = access,
	};
	struct ib_uverbs_reg_mr_resp resp;
	int ret = raw_write(&c->dev, IB_USER_VERBS_CMD_REG_MR, &cmd,
			    sizeof(cmd), &resp, sizeof(resp));

	if (!ret && key)
		*key = resp.lkey;
	return ret;
}

static int reg_at(struct octx *c, void *addr, uint64_t len, uint32_t access,
		  uint32_t *key)
{
	return reg(c, (uintptr_t)addr, len, (uintptr_t)addr, access, key);
}

static int dereg(struct octx *c, uint32_t key)
{
	return raw_destroy(&c->dev, RAW_MR, key);
}

static void *map_pages(size_t n, int prot)
{
	void *p = mmap(NULL, n * ODP_PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		test_die("mmap", errno);
	return p;
}

static uint32_t be32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

/* ------------------------------------------------------------------ */
/* odp_uapi control                                                    */

/* EX_QUERY_DEVICE, the extended write command: 0 or -errno. */
static int ex_query_device(struct octx *c,
			   struct ib_uverbs_ex_query_device_resp *resp)
{
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		struct ib_uverbs_ex_cmd_hdr ex;
		struct ib_uverbs_ex_query_device core;
	} cmd = {
		.hdr = { .command = IB_USER_VERBS_CMD_FLAG_EXTENDED |
				    IB_USER_VERBS_EX_CMD_QUERY_DEVICE,
			 .in_words = sizeof(cmd.core) / 8,
			 .out_words = sizeof(*resp) / 8 },
		.ex = { .response = (uintptr_t)resp },
	};

	static_assert(sizeof(*resp) % 8 == 0, "response in 8-byte words");
	memset(resp, 0, sizeof(*resp));
	return write(c->dev.cmd_fd, &cmd, sizeof(cmd)) == sizeof(cmd) ?
	       0 : -errno;
}

static void test_caps(void)
{
	struct ib_uverbs_ex_query_device_resp dev;
	struct mlx5_cmd_out_hdr *hdr;
	uint8_t in[16] = { 0 }, out[256];
	const uint8_t *cap = out + sizeof(*hdr);
	uint16_t op_mod, flags;
	struct octx c;
	int ret;

	octx_open(&c);
	ret = ex_query_device(&c, &dev);
	test_check(!ret && dev.odp_caps.general_caps ==
		   (IBV_ODP_SUPPORT | IBV_ODP_SUPPORT_IMPLICIT),
		   "EX_QUERY_DEVICE: %d, ODP general caps 0x%llx", ret,
		   (unsigned long long)dev.odp_caps.general_caps);
	test_check(dev.odp_caps.per_transport_caps.rc_odp_caps ==
		   (IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV |
		    IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_READ |
		    IBV_ODP_SUPPORT_ATOMIC | IBV_ODP_SUPPORT_SRQ_RECV) &&
		   dev.odp_caps.per_transport_caps.uc_odp_caps == 0 &&
		   dev.odp_caps.per_transport_caps.ud_odp_caps ==
		   (IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV |
		    IBV_ODP_SUPPORT_SRQ_RECV) &&
		   dev.xrc_odp_caps == (IBV_ODP_SUPPORT_SEND |
		    IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_READ |
		    IBV_ODP_SUPPORT_ATOMIC | IBV_ODP_SUPPORT_SRQ_RECV),
		   "EX_QUERY_DEVICE: ODP caps rc 0x%x uc 0x%x ud 0x%x xrc 0x%x",
		   dev.odp_caps.per_transport_caps.rc_odp_caps,
		   dev.odp_caps.per_transport_caps.uc_odp_caps,
		   dev.odp_caps.per_transport_caps.ud_odp_caps,
		   dev.xrc_odp_caps);

	/* QUERY_HCA_CAP, ODP block, maximum (0x4) and current (0x5). */
	hdr = (void *)out;
	in[0] = MLX5_CMD_OP_QUERY_HCA_CAP >> 8;
	in[1] = MLX5_CMD_OP_QUERY_HCA_CAP & 0xff;
	for (op_mod = 4; op_mod <= 5; op_mod++) {
		in[7] = (uint8_t)op_mod;
		memset(out, 0xee, sizeof(out));
		ret = devx_other(&c, in, sizeof(in), out, sizeof(out), &flags);
		test_check(!ret && hdr->status == MLX5_CMD_STAT_OK &&
			   !hdr->syndrome && (flags & UVERBS_ATTR_F_VALID_OUTPUT),
			   "QUERY_HCA_CAP op_mod %u: %d, status 0x%x, syndrome "
			   "0x%x, output flagged valid", op_mod, ret,
			   hdr->status, be32toh(hdr->syndrome));
		test_check(be32_at(cap) == 0 &&
			   be32_at(cap + MLX5_ODP_CAP_RC_OFF) == 0xfc000000 &&
			   be32_at(cap + MLX5_ODP_CAP_UC_OFF) == 0 &&
			   be32_at(cap + MLX5_ODP_CAP_UD_OFF) ==
			   (MLX5_ODP_CAP_SEND | MLX5_ODP_CAP_RECEIVE |
			    MLX5_ODP_CAP_SRQ_RECEIVE) &&
			   be32_at(cap + MLX5_ODP_CAP_XRC_OFF) ==
			   (MLX5_ODP_CAP_SEND | MLX5_ODP_CAP_WRITE |
			    MLX5_ODP_CAP_READ | MLX5_ODP_CAP_ATOMIC |
			    MLX5_ODP_CAP_SRQ_RECEIVE) &&
			   be32_at(cap + MLX5_ODP_CAP_DC_OFF) == 0,
			   "QUERY_HCA_CAP op_mod %u: ODP block rc 0x%08x uc "
			   "0x%08x ud 0x%08x xrc 0x%08x dc 0x%08x", op_mod,
			   be32_at(cap + MLX5_ODP_CAP_RC_OFF),
			   be32_at(cap + MLX5_ODP_CAP_UC_OFF),
			   be32_at(cap + MLX5_ODP_CAP_UD_OFF),
			   be32_at(cap + MLX5_ODP_CAP_XRC_OFF),
			   be32_at(cap + MLX5_ODP_CAP_DC_OFF));
	}
	/* The output stops at its length: nothing written past it. */
	in[7] = 5;
	memset(out, 0xee, sizeof(out));
	ret = devx_other(&c, in, sizeof(in), out,
			 sizeof(*hdr) + MLX5_ODP_CAP_UD_OFF, NULL);
	test_check(!ret && be32_at(cap + MLX5_ODP_CAP_RC_OFF) == 0xfc000000 &&
		   be32_at(cap + MLX5_ODP_CAP_UD_OFF) == 0xeeeeeeee,
		   "QUERY_HCA_CAP into a short output: %d, rc 0x%08x, nothing "
		   "past the end (0x%08x)", ret,
		   be32_at(cap + MLX5_ODP_CAP_RC_OFF),
		   be32_at(cap + MLX5_ODP_CAP_UD_OFF));
	/* Another capability type: not served. */
	in[7] = 1;
	ret = devx_other(&c, in, sizeof(in), out, sizeof(out), NULL);
	test_check(!ret && hdr->status == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "QUERY_HCA_CAP of another type: %d, status 0x%x", ret,
		   hdr->status);
	octx_close(&c);
}

static void test_general_bad(void)
{
	struct mlx5_page_fault_resume_in rin = { 0 };
	struct uodp_query_counters_resp cnt;
	uint8_t in[300] = { 0 }, out[300];
	struct mlx5_cmd_out_hdr *hdr = (void *)out;
	struct ib_uverbs_attr only_in;
	struct octx c;
	int ret, st;

	octx_open(&c);
	/* Unknown opcodes: BAD_OP in the PRM header, the call succeeds. */
	in[0] = 0x09;
	in[1] = 0x99;
	ret = devx_other(&c, in, 16, out, 16, NULL);
	test_check(!ret && hdr->status == MLX5_CMD_STAT_BAD_OP_ERR &&
		   hdr->syndrome, "opcode 0x999: %d, status 0x%x, syndrome "
		   "0x%x", ret, hdr->status, be32toh(hdr->syndrome));
	in[0] = in[1] = 0;
	ret = devx_other(&c, in, 8, out, 16, NULL);
	test_check(!ret && hdr->status == MLX5_CMD_STAT_BAD_OP_ERR,
		   "opcode 0 in an 8-byte mailbox: %d, status 0x%x", ret,
		   hdr->status);
	/* Malformed mailboxes: the call fails. */
	ret = devx_other(&c, in, 4, out, 16, NULL);
	test_check(ret == -EINVAL, "a 4-byte input mailbox: %d", ret);
	ret = devx_other(&c, in, 257, out, 16, NULL);
	test_check(ret == -EINVAL, "a 257-byte input mailbox: %d", ret);
	ret = devx_other(&c, in, 16, out, 8, NULL);
	test_check(ret == -EINVAL, "an 8-byte output (no room for the "
		   "header): %d", ret);
	ret = devx_other(&c, in, 16, out, 257, NULL);
	test_check(ret == -EINVAL, "a 257-byte output mailbox: %d", ret);
	only_in = raw_attr_in(MLX5_IB_ATTR_DEVX_OTHER_CMD_IN, in, 16);
	ret = raw_ioctl(&c.dev, MLX5_IB_OBJECT_DEVX, MLX5_IB_METHOD_DEVX_OTHER,
			&only_in, 1);
	test_check(ret == -EINVAL, "no output mailbox: %d", ret);

	/* Resumes of tokens never issued, or too short: refused, counted. */
	st = resume(&c, 0x123456, 0x100, 1, false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "RESUME of a token never issued: 0x%x", st);
	st = resume(&c, 0, 0, 0, true);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "RESUME of token 0 with the error bit: 0x%x", st);
	rin.opcode = htobe16(MLX5_CMD_OP_PAGE_FAULT_RESUME);
	ret = devx_other(&c, &rin, 12, out, 16, NULL);
	test_check(!ret && hdr->status == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "a 12-byte RESUME: %d, status 0x%x", ret, hdr->status);
	counters(&c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	test_check(cnt.dev.resumes_refused == 3 && cnt.dev.resumes == 0,
		   "counted: %llu refused (want 3), %llu accepted",
		   (unsigned long long)cnt.dev.resumes_refused,
		   (unsigned long long)cnt.dev.resumes);
	octx_close(&c);
}

static void test_handshake(void)
{
	struct uodp_odp_api api, req = { .api_version = 0 };
	struct ib_uverbs_attr attrs[2];
	struct octx c;
	int ret;

	octx_open(&c);
	ret = odp_api(&c, &req, -1, &api);
	test_check(ret == -EINVAL, "ODP_API of version 0: %d", ret);
	req.api_version = UODP_ODP_API_VERSION;
	req.reserved = 1;
	ret = odp_api(&c, &req, -1, &api);
	test_check(ret == -EINVAL, "ODP_API with reserved set: %d", ret);
	attrs[0] = raw_attr_in(UODP_IB_ATTR_ODP_API_IN, &req, 8);
	attrs[1] = raw_attr_out(UODP_IB_ATTR_ODP_API_OUT, &api, sizeof(api));
	ret = raw_ioctl(&c.dev, UODP_IB_OBJECT_ODP, UODP_IB_METHOD_ODP_API,
			attrs, 2);
	test_check(ret == -EINVAL, "ODP_API with a short request: %d", ret);

	/* A newer caller gets our version; unknown features are not granted. */
	req.api_version = 7;
	req.reserved = 0;
	req.features = UODP_ODP_F_WQE_FAULTS | UODP_ODP_F_INVALIDATE |
		       1ull << 40 | 1ull << 62;
	ret = odp_api(&c, &req, -1, &api);
	test_check(!ret && api.api_version == UODP_ODP_API_VERSION &&
		   api.features == (UODP_ODP_F_WQE_FAULTS |
				    UODP_ODP_F_INVALIDATE),
		   "ODP_API of version 7: %d, version %u, granted 0x%llx (a "
		   "subset, unknown bits refused)", ret, api.api_version,
		   (unsigned long long)api.features);
	test_check(api.event_size == UODP_ODP_EVENT_RECORD_SIZE &&
		   api.max_map_ranges == UODP_ODP_MAX_MAP_RANGES &&
		   !api.reserved,
		   "ODP_API: event size %u (the DEVX record), max_map_ranges "
		   "%u", api.event_size, api.max_map_ranges);
	/* Repeated until the channel exists. */
	ret = handshake(&c, ~0ull, -1, &api);
	test_check(!ret && api.features == ALL_FEATURES,
		   "ODP_API again, wanting everything: %d, granted 0x%llx",
		   ret, (unsigned long long)api.features);
	octx_close(&c);
}

/* ODP_API handing over fd as the MMU notifier (ODP_API_UFFD). */
static int odp_api_uffd(struct octx *c, int fd)
{
	struct uodp_odp_api in = { .api_version = UODP_ODP_API_VERSION,
				   .features = ~0ull }, out;
	struct ib_uverbs_attr attrs[3] = {
		raw_attr_in(UODP_IB_ATTR_ODP_API_IN, &in, sizeof(in)),
		raw_attr_out(UODP_IB_ATTR_ODP_API_OUT, &out, sizeof(out)),
		attr_val(UODP_IB_ATTR_ODP_API_UFFD, (uint64_t)fd),
	};

	return raw_ioctl(&c->dev, UODP_IB_OBJECT_ODP, UODP_IB_METHOD_ODP_API,
			 attrs, 3);
}

static int new_uffd(void)
{
	return (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK |
			    UFFD_USER_MODE_ONLY);
}

/*
 * The notifier's fd, checked before ODP_API does anything: not an fd,
 * not a userfaultfd, one already set up, a second one: refused with
 * errno, and the context still takes a good one.
 */
static void test_handshake_uffd(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int pipefd[2], used, ret;
	struct octx c;

	octx_open(&c);
	ret = odp_api_uffd(&c, 1000);
	test_check(ret == -EBADF, "ODP_API_UFFD of no fd: %d", ret);
	test_check(!pipe2(pipefd, O_CLOEXEC), "pipe");
	ret = odp_api_uffd(&c, pipefd[0]);
	test_check(ret == -EINVAL, "ODP_API_UFFD of a pipe: %d", ret);
	used = new_uffd();
	test_check(used >= 0 && !ioctl(used, UFFDIO_API, &api),
		   "a userfaultfd set up by its maker");
	ret = odp_api_uffd(&c, used);
	test_check(ret == -EINVAL, "ODP_API_UFFD of one set up: %d", ret);
	ret = odp_api_uffd(&c, new_uffd());
	test_check(!ret, "ODP_API_UFFD of a fresh one: %d", ret);
	ret = odp_api_uffd(&c, new_uffd());
	test_check(ret == -EBUSY, "ODP_API_UFFD again: %d", ret);
	close(used);
	close(pipefd[0]);
	close(pipefd[1]);
	octx_close(&c);
}

/* Close the channel, then wait for the device to see it gone. */
static int reopen_channel(struct octx *c)
{
	int i, ret = -EEXIST;

	close(c->chan);
	c->chan = event_fd_alloc(c, 0);
	for (i = 0; i < 100 && ret == -EEXIST; i++) {
		ret = subscribe(c, c->chan, MLX5_EVENT_TYPE_PAGE_FAULT,
				COOKIE_FAULT);
		if (ret == -EEXIST)
			usleep(10 * 1000);
	}
	return ret;
}

/*
 * The handshake handing over stats_fd, then the fault subscription on
 * c->chan: the first failure.  The device checks the page when the
 * subscription maps it, not in the handshake.
 */
static int with_stats_page(struct octx *c, int stats_fd)
{
	struct uodp_odp_api api;
	int ret = handshake(c, ALL_FEATURES, stats_fd, &api);

	return ret ? ret : subscribe(c, c->chan, MLX5_EVENT_TYPE_PAGE_FAULT,
				     COOKIE_FAULT);
}

static void test_channel(void)
{
	struct uodp_odp_api api;
	struct ib_uverbs_attr obj = attr_val(
		MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_OBJ_HANDLE, 1);
	uint32_t fd_num = 0;
	struct ib_uverbs_attr redirect = raw_attr_in(
		MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_FD_NUM, &fd_num,
		sizeof(fd_num));
	struct octx c, other;
	int fd, pfd[2], ret, chan2, i;
	char buf[UODP_ODP_EVENT_RECORD_SIZE];

	octx_open(&c);
	octx_open(&other);
	ret = event_fd_alloc(&c, MLX5_IB_UAPI_DEVX_CR_EV_CH_FLAGS_OMIT_DATA);
	test_check(ret == -EOPNOTSUPP, "an event channel without data "
		   "(OMIT_DATA): %d (want -EOPNOTSUPP)", ret);
	ret = event_fd_alloc(&c, 1u << 5);
	test_check(ret == -EINVAL, "an event channel with unknown flags: %d",
		   ret);
	c.chan = event_fd_alloc(&c, 0);
	test_check(c.chan >= 0 && (fcntl(c.chan, F_GETFD) & FD_CLOEXEC) &&
		   !(fcntl(c.chan, F_GETFL) & O_NONBLOCK),
		   "an event channel: fd %d, close-on-exec, blocking", c.chan);
	if (c.chan < 0)
		test_die("event channel", -c.chan);
	/* Page faults need the handshake first. */
	ret = subscribe(&c, c.chan, MLX5_EVENT_TYPE_PAGE_FAULT, COOKIE_FAULT);
	test_check(ret == -EPROTO, "page faults before the handshake: %d "
		   "(want -EPROTO)", ret);
	if (handshake(&c, ALL_FEATURES, -1, &api))
		test_die("ODP_API", EIO);

	/* What the subscription refuses. */
	ret = subscribe(&c, c.chan, 0x01, COOKIE_FAULT);
	test_check(ret == -EINVAL, "subscribing to event type 1: %d", ret);
	ret = subscribe_attrs(&c, c.chan, MLX5_EVENT_TYPE_PAGE_FAULT,
			      COOKIE_FAULT, &obj);
	test_check(ret == -EINVAL, "page faults of one object: %d (they are "
		   "the context's)", ret);
	ret = subscribe_attrs(&c, c.chan, MLX5_EVENT_TYPE_PAGE_FAULT,
			      COOKIE_FAULT, &redirect);
	test_check(ret == -EOPNOTSUPP, "page faults redirected to an "
		   "eventfd: %d", ret);
	if (pipe2(pfd, O_CLOEXEC))
		test_die("pipe", errno);
	ret = subscribe(&c, pfd[0], MLX5_EVENT_TYPE_PAGE_FAULT, COOKIE_FAULT);
	test_check(ret == -EBADF, "a pipe of ours as the channel: %d", ret);
	ret = subscribe(&c, c.dev.cmd_fd, MLX5_EVENT_TYPE_PAGE_FAULT,
			COOKIE_FAULT);
	test_check(ret == -EBADF, "the command fd as the channel: %d", ret);
	if (handshake(&other, ALL_FEATURES, -1, &api))
		test_die("ODP_API", EIO);
	ret = subscribe(&other, c.chan, MLX5_EVENT_TYPE_PAGE_FAULT,
			COOKIE_FAULT);
	test_check(ret == -EBADF, "another context's event channel: %d", ret);

	/* The stats page: a memfd sealed against resizing, big enough. */
	fd = raw_make_memfd(ODP_PAGE, 0);
	ret = handshake(&c, ALL_FEATURES, fd, &api);
	test_check(ret == -EINVAL, "handshake, unsealed stats page: %d",
		   ret);
	close(fd);
	fd = raw_make_memfd(64, 1);
	ret = handshake(&c, ALL_FEATURES, fd, &api);
	test_check(ret == -EINVAL, "handshake, 64-byte stats page: %d",
		   ret);
	close(fd);
	ret = handshake(&c, ALL_FEATURES, pfd[1], &api);
	test_check(ret == -EINVAL, "handshake, a pipe as stats page: %d",
		   ret);
	close(pfd[0]);
	close(pfd[1]);
	ret = with_stats_page(&c, pfd[1]);
	test_check(ret == -EBADF, "a closed fd as the stats page: %d", ret);
	fd = raw_make_memfd(ODP_PAGE, 1);
	ret = with_stats_page(&c, fd);
	test_check(!ret, "a sealed stats page: page faults subscribed (%d)",
		   ret);
	ret = subscribe(&c, c.chan, UODP_EVENT_TYPE_ODP_NOTICE, COOKIE_NOTICE);
	test_check(!ret, "notices subscribed: %d", ret);

	/* One per context; the handshake is fixed while it is open. */
	ret = subscribe(&c, c.chan, MLX5_EVENT_TYPE_PAGE_FAULT, COOKIE_FAULT);
	test_check(ret == -EEXIST, "page faults subscribed twice: %d", ret);
	chan2 = event_fd_alloc(&c, 0);
	ret = subscribe(&c, chan2, MLX5_EVENT_TYPE_PAGE_FAULT, COOKIE_FAULT);
	test_check(ret == -EEXIST, "a second fault channel: %d", ret);
	/* A closed event channel is freed: the file's limit is never met. */
	for (i = 0, ret = 0; i < 1100 && ret >= 0; i++) {
		ret = event_fd_alloc(&c, 0);
		if (ret >= 0)
			close(ret);
	}
	test_check(ret >= 0, "1100 event channels opened and closed: %d",
		   ret);
	/* Notices travel with the faults, not to a channel of their own. */
	ret = subscribe(&c, chan2, UODP_EVENT_TYPE_ODP_NOTICE, COOKIE_NOTICE);
	test_check(ret == -EINVAL, "notices on a channel without faults: %d",
		   ret);
	close(chan2);
	ret = handshake(&c, ALL_FEATURES, -1, &api);
	test_check(ret == -EBUSY, "ODP_API with the channel open: %d", ret);
	/* Empty, and the caller may make it non-blocking. */
	ret = fcntl(c.chan, F_SETFL, O_NONBLOCK) ? -errno :
	      (int)read(c.chan, buf, sizeof(buf));
	test_check(ret == -1 && errno == EAGAIN,
		   "an empty non-blocking channel reads EAGAIN");
	/* Closing it lets the context open another. */
	ret = reopen_channel(&c);
	test_check(!ret, "after the close, a new fault channel: %d", ret);
	close(fd);
	octx_close(&other);
	octx_close(&c);
}

/* The engine counters come from the stats page, the caller's or summed. */
static void test_stats_page(void)
{
	struct uodp_odp_engine_counters *st[2];
	struct uodp_query_counters_resp r, before;
	struct octx c[2];
	int fd[2], i;
	uint64_t d;

	for (i = 0; i < 2; i++) {
		octx_open(&c[i]);
		fd[i] = raw_make_memfd(ODP_PAGE, 1);
		st[i] = mmap(NULL, ODP_PAGE, PROT_READ | PROT_WRITE,
			     MAP_SHARED, fd[i], 0);
		if (fd[i] < 0 || st[i] == MAP_FAILED)
			test_die("stats page", errno);
		open_channel(&c[i], ALL_FEATURES, fd[i]);
	}
	counters(&c[0], UODP_COUNTERS_DEVICE, 0, &before);
	st[0]->faults_serviced = 7;
	st[0]->service_hist[3] = 2;
	st[1]->faults_serviced = 5;
	counters(&c[0], UODP_COUNTERS_CONTEXT, 0, &r);
	test_check(r.engine.faults_serviced == 7 &&
		   r.engine.service_hist[3] == 2,
		   "context scope: the caller's stats page (%llu serviced)",
		   (unsigned long long)r.engine.faults_serviced);
	for (i = 0; i < 2; i++) {
		/* A context gone keeps counting for the device. */
		if (i)
			octx_close(&c[1]);
		counters(&c[0], UODP_COUNTERS_DEVICE, 0, &r);
		d = r.engine.faults_serviced - before.engine.faults_serviced;
		test_check(d == 12, "device scope%s: both contexts' pages "
			   "summed (+%llu)", i ? ", one context gone" : "",
			   (unsigned long long)d);
	}
	octx_close(&c[0]);
	for (i = 0; i < 2; i++) {
		munmap(st[i], ODP_PAGE);
		close(fd[i]);
	}
}

static void test_registration(void)
{
	uint8_t *buf = map_pages(16, PROT_READ | PROT_WRITE);
	struct uodp_query_counters_resp r;
	struct uodp_odp_mr_counters m = { 0 };
	uint32_t key, ikey, k2, i;
	bool listed;
	uint64_t n;
	struct octx c;
	int ret;

	octx_open(&c);
	/* Touched before registration: present; the rest absent. */
	for (i = 0; i < 4; i++)
		buf[i * ODP_PAGE] = 1;
	buf[9 * ODP_PAGE + 100] = 1;
	ret = reg_at(&c, buf, 16 * ODP_PAGE, ODP_RW, &key);
	test_check(!ret, "an explicit ODP MR registers: %d", ret);
	listed = mr_counters(&c, UODP_COUNTERS_CONTEXT, key, &m);
	test_check(listed && m.pages_present == 5 && m.length == 16 * ODP_PAGE &&
		   m.owner_pid == (uint32_t)getpid() && !m.faults &&
		   !m.pages_mapped,
		   "it is listed: %llu pages present (want 5, the resident "
		   "ones), length %llu, owner %u", (unsigned long long)
		   m.pages_present, (unsigned long long)m.length, m.owner_pid);
	/* Unaligned, with another iova: the pages it touches. */
	ret = reg(&c, (uintptr_t)buf + 100, 2 * ODP_PAGE, 0x10000, ODP_RW, &k2);
	n = pages_present(&c, k2);
	test_check(!ret && n == 3, "unaligned, iova 0x10000: %d, %llu pages "
		   "present (want 3)", ret, (unsigned long long)n);
	dereg(&c, k2);
	/* An ODP MR need not be mapped yet (nothing is pinned). */
	ret = reg(&c, 0x10000000000ull, 1ull << 30, 0x10000000000ull, ODP_RW,
		  &k2);
	n = pages_present(&c, k2);
	test_check(!ret && n == 0, "1 GiB of nothing: %d, %llu present", ret,
		   (unsigned long long)n);
	dereg(&c, k2);
	/* Implicit: the whole address space, iova 0, nothing present. */
	ret = reg(&c, 0, UINT64_MAX, 0, ODP_RW, &ikey);
	listed = !ret && mr_counters(&c, UODP_COUNTERS_CONTEXT, ikey, &m);
	test_check(listed && m.length == UINT64_MAX && !m.pages_present,
		   "an implicit ODP MR: %d, length 0x%llx, %llu present", ret,
		   (unsigned long long)m.length,
		   (unsigned long long)m.pages_present);
	ret = reg(&c, 0, UINT64_MAX, 0x1000, ODP_RW, NULL);
	test_check(ret == -EINVAL, "implicit at iova 0x1000: %d", ret);
	ret = reg(&c, 0, UINT64_MAX, 0, IBV_ACCESS_LOCAL_WRITE, NULL);
	test_check(ret == -EINVAL, "implicit without ON_DEMAND: %d", ret);
	ret = reg_at(&c, buf, 16 * ODP_PAGE, IBV_ACCESS_REMOTE_WRITE |
		     IBV_ACCESS_ON_DEMAND, NULL);
	test_check(ret == -EINVAL, "REMOTE_WRITE without LOCAL_WRITE: %d",
		   ret);
	/* Counters: live ODP MRs. */
	counters(&c, UODP_COUNTERS_CONTEXT, 0, &r);
	test_check(r.dev.odp_mrs == 2, "2 live ODP MRs counted (%llu)",
		   (unsigned long long)r.dev.odp_mrs);
	dereg(&c, ikey);
	counters(&c, UODP_COUNTERS_CONTEXT, 0, &r);
	test_check(r.dev.odp_mrs == 1 && r.nmrs == 1 && !r.next_cursor,
		   "after DEREG_MR: %llu live, %u listed, cursor %u",
		   (unsigned long long)r.dev.odp_mrs, r.nmrs, r.next_cursor);
	octx_close(&c);
	munmap(buf, 16 * ODP_PAGE);
}

/* Cursor paging over many MRs; the scopes; a bad scope. */
static void test_counter_paging(void)
{
	uint8_t *buf = map_pages(1, PROT_READ | PROT_WRITE);
	struct uodp_query_counters_req bad = { .scope = 2 };
	struct uodp_query_counters_resp r;
	uint32_t key, okey, cursor = 0, seen = 0, i;
	bool ascending = true, paged = true;
	struct uodp_odp_mr_counters m = { 0 };
	struct ib_uverbs_attr attrs[2];
	struct octx c, other;
	int ret;

	octx_open(&c);
	octx_open(&other);
	for (i = 0; i < 20; i++)
		if (reg_at(&c, buf, ODP_PAGE, ODP_RW, &key))
			test_die("REG_MR", EIO);
	if (reg_at(&other, buf, ODP_PAGE, ODP_RW, &okey))
		test_die("REG_MR", EIO);
	do {
		counters(&c, UODP_COUNTERS_CONTEXT, cursor, &r);
		paged &= r.nmrs <= UODP_COUNTERS_MRS_PER_QUERY;
		for (i = 0; i < r.nmrs && i < UODP_COUNTERS_MRS_PER_QUERY;
		     i++) {
			ascending &= r.mrs[i].mr_key > cursor;
			seen++;
		}
		if (r.next_cursor)
			paged &= r.nmrs && r.next_cursor ==
				 r.mrs[r.nmrs - 1].mr_key;
		cursor = r.next_cursor;
	} while (cursor && seen <= 20);
	test_check(seen == 20 && ascending && paged, "20 MRs in pages of at "
		   "most %u, keys above the cursor, the cursor the last key: "
		   "%u seen", UODP_COUNTERS_MRS_PER_QUERY, seen);
	test_check(mr_counters(&c, UODP_COUNTERS_DEVICE, okey, &m) &&
		   !mr_counters(&c, UODP_COUNTERS_CONTEXT, okey, &m),
		   "another context's MR: listed for the device, not for "
		   "the context");
	counters(&c, UODP_COUNTERS_DEVICE, 0, &r);
	test_check(r.dev.odp_mrs >= 21, "device scope: both contexts' MRs "
		   "(%llu)", (unsigned long long)r.dev.odp_mrs);
	attrs[0] = raw_attr_in(UODP_IB_ATTR_ODP_COUNTERS_REQ, &bad,
			       sizeof(bad));
	attrs[1] = raw_attr_out(UODP_IB_ATTR_ODP_COUNTERS_RESP, &r, sizeof(r));
	ret = raw_ioctl(&c.dev, UODP_IB_OBJECT_ODP,
			UODP_IB_METHOD_ODP_QUERY_COUNTERS, attrs, 2);
	test_check(ret == -EINVAL, "counters of scope 2: %d", ret);
	octx_close(&other);
	octx_close(&c);
	munmap(buf, ODP_PAGE);
}

static void run_control(void)
{
	test_caps();
	test_general_bad();
	test_handshake();
	test_handshake_uffd();
	test_channel();
	test_stats_page();
	test_registration();
	test_counter_paging();
}

/* ------------------------------------------------------------------ */
/* odp_uapi map                                                        */

/* The MRs test_map works on. */
struct map_keys {
	uint32_t key;		/* explicit, read-write */
	uint32_t ikey;		/* implicit */
	uint32_t rokey;		/* explicit, read-only */
	uint32_t pkey;		/* pinned */
	uint32_t okey;		/* another context's */
};

static void test_map_validation(struct octx *c, const struct map_keys *k,
				uint8_t *buf, uint8_t *ro, uint8_t *hole)
{
	enum { HOLE = -1, RO = -2 };	/* va: those mappings */
	static const struct {
		const char *what;
		int key;	/* 0 key, 1 ikey, 2 rokey, 3 pkey, 4 okey, 5 bad */
		uint32_t flags;
		int64_t va;	/* from buf, or absolute when abs */
		bool abs;
		uint64_t len;
		int want;
	} cases[] = {
		{ "an unknown key", 5, 0, 0, false, ODP_PAGE, -ENOENT },
		{ "another context's MR", 4, 0, 0, false, ODP_PAGE, -ENOENT },
		{ "a pinned MR", 3, 0, 0, false, ODP_PAGE, -EINVAL },
		{ "an unknown range flag", 0, 1u << 7, 0, false, ODP_PAGE,
		  -EINVAL },
		{ "length 0", 0, 0, 0, false, 0, -EINVAL },
		{ "before the MR", 0, 0, -1, false, ODP_PAGE, -EINVAL },
		{ "past the MR's end", 0, 0, 15 * ODP_PAGE, false,
		  ODP_PAGE + 1, -EINVAL },
		{ "a huge length", 0, 0, 0, false, UINT64_MAX, -EINVAL },
		{ "a length wrapping the MR", 0, 0, ODP_PAGE, false,
		  UINT64_MAX - ODP_PAGE + 2, -EINVAL },
		{ "implicit, a length wrapping the address space", 1, 0,
		  0x1000, true, UINT64_MAX, -EINVAL },
		{ "WRITE through a read-only MR", 2, UODP_ODP_MAP_WRITE, 0,
		  false, ODP_PAGE, -EPERM },
		{ "implicit, over an unmapped page", 1, 0, HOLE, true,
		  4 * ODP_PAGE, -EFAULT },
		{ "implicit, WRITE of a read-only mapping", 1,
		  UODP_ODP_MAP_WRITE, RO, true, ODP_PAGE, -EFAULT },
		{ "implicit, at 2^60", 1, 0, 1ll << 60, true, ODP_PAGE,
		  -EFAULT },
		{ "implicit, the last page (past its UINT64_MAX bytes)", 1, 0,
		  -(int64_t)ODP_PAGE, true, ODP_PAGE, -EINVAL },
	};
	const uint32_t keys[6] = { k->key, k->ikey, k->rokey, k->pkey,
				   k->okey, 0x12345600 };
	uint64_t at;
	unsigned int i;
	int ret;

	/* Validation, in the order the uAPI documents. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].abs)
			at = (uintptr_t)buf + (uint64_t)cases[i].va;
		else if (cases[i].va == HOLE)
			at = (uintptr_t)hole;
		else if (cases[i].va == RO)
			at = (uintptr_t)ro;
		else
			at = (uint64_t)cases[i].va;
		ret = map1(c, keys[cases[i].key], cases[i].flags, at,
			   cases[i].len, NULL);
		test_check(ret == cases[i].want, "MAP of %s: %d (want %d)",
			   cases[i].what, ret, cases[i].want);
	}
}

/* MAP's semantics, its validation, batches and NO_FAULT; the counters. */
static void test_map(void)
{
	uint8_t *buf = map_pages(16, PROT_READ | PROT_WRITE);
	uint8_t *ro = map_pages(4, PROT_READ);
	uint8_t *hole = map_pages(4, PROT_READ | PROT_WRITE);
	uint8_t *nf = map_pages(8, PROT_READ | PROT_WRITE);
	struct uodp_query_counters_resp cnt;
	struct uodp_odp_map_range rg[UODP_ODP_MAX_MAP_RANGES + 1];
	struct mlx5_page_fault_resume_in rin;
	struct uodp_odp_mr_counters m = { 0 };
	bool listed;
	struct uodp_odp_map_resp resp;
	struct map_keys k;
	struct octx c, other;
	uint32_t key, ikey, rokey, okey, nfkey, i;
	uint64_t va = (uintptr_t)buf, n = 0;
	volatile uint8_t sink;
	int ret;

	octx_open(&c);
	octx_open(&other);
	munmap(hole + ODP_PAGE, ODP_PAGE);
	sink = ro[0];
	(void)sink;
	buf[0] = 1;
	ret = reg_at(&c, buf, 16 * ODP_PAGE, ODP_RW, &k.key);
	ret = ret ? ret : reg(&c, 0, UINT64_MAX, 0, ODP_RW, &k.ikey);
	ret = ret ? ret : reg_at(&c, buf, 16 * ODP_PAGE, IBV_ACCESS_REMOTE_READ |
				 IBV_ACCESS_ON_DEMAND, &k.rokey);
	ret = ret ? ret : reg_at(&c, buf, 16 * ODP_PAGE,
				 IBV_ACCESS_LOCAL_WRITE, &k.pkey);
	ret = ret ? ret : reg_at(&other, buf, 16 * ODP_PAGE, ODP_RW, &k.okey);
	if (ret)
		test_die("REG_MR", -ret);
	key = k.key;
	ikey = k.ikey;
	rokey = k.rokey;
	okey = k.okey;
	test_map_validation(&c, &k, buf, ro, hole);
	n = pages_present(&c, key);
	test_check(n == 1, "after the refused MAPs, %llu page present (the "
		   "one resident at registration)", (unsigned long long)n);

	/* Read, then write: a read-only entry is upgraded. */
	ret = map1(&c, key, 0, va + 4 * ODP_PAGE, 4 * ODP_PAGE, &n);
	test_check(!ret && n == 4 && pages_present(&c, key) == 5,
		   "MAP of 4 pages: %d, %llu mapped", ret,
		   (unsigned long long)n);
	ret = map1(&c, key, 0, va + 4 * ODP_PAGE, 4 * ODP_PAGE, &n);
	test_check(!ret && n == 0, "the same MAP again: %d, %llu mapped", ret,
		   (unsigned long long)n);
	ret = map1(&c, key, UODP_ODP_MAP_WRITE, va + 4 * ODP_PAGE + 10,
		   ODP_PAGE, &n);
	test_check(!ret && n == 2 && pages_present(&c, key) == 5,
		   "MAP WRITE across 2 of them: %d, %llu upgraded", ret,
		   (unsigned long long)n);
	/* A read-only MR maps for read; a read-only mapping too. */
	ret = map1(&c, rokey, 0, va, 16 * ODP_PAGE, &n);
	test_check(!ret && n == 15, "MAP through a read-only MR: %d, %llu "
		   "mapped (want 15)", ret, (unsigned long long)n);
	ret = map1(&c, ikey, 0, (uintptr_t)ro, 4 * ODP_PAGE, &n);
	test_check(!ret && n == 4, "MAP of a read-only mapping: %d, %llu", ret,
		   (unsigned long long)n);
	/* Implicit: children made on demand. */
	ret = map1(&c, ikey, UODP_ODP_MAP_WRITE, va, 16 * ODP_PAGE, &n);
	test_check(!ret && n == 16 && pages_present(&c, ikey) == 20,
		   "implicit MAP WRITE of 16 pages: %d, %llu mapped, %llu "
		   "present", ret, (unsigned long long)n,
		   (unsigned long long)pages_present(&c, ikey));

	/* A batch stops at its first failure. */
	memset(rg, 0, sizeof(rg));
	rg[0] = (struct uodp_odp_map_range){ .mr_key = key,
		.va = va + 8 * ODP_PAGE, .length = ODP_PAGE };
	rg[1] = (struct uodp_odp_map_range){ .mr_key = okey, .va = va,
		.length = ODP_PAGE };
	rg[2] = (struct uodp_odp_map_range){ .mr_key = key,
		.va = va + 9 * ODP_PAGE, .length = ODP_PAGE };
	ret = map_ranges(&c, rg, 3, NULL, &resp);
	test_check(!ret && resp.ranges_done == 1 && resp.status == -ENOENT &&
		   resp.pages_mapped == 1,
		   "a batch failing at its second range: %d, %u done, status "
		   "%d, %llu mapped", ret, resp.ranges_done, resp.status,
		   (unsigned long long)resp.pages_mapped);
	/* Sizes: at most 32 ranges, whole ones. */
	for (i = 3; i <= UODP_ODP_MAX_MAP_RANGES; i++)
		rg[i] = rg[0];
	ret = map_ranges(&c, rg, UODP_ODP_MAX_MAP_RANGES + 1, NULL, &resp);
	test_check(ret == -EINVAL, "MAP of 33 ranges: %d", ret);
	{
		struct ib_uverbs_attr attrs[2] = {
			raw_attr_in(UODP_IB_ATTR_ODP_MAP_RANGES, rg,
				    sizeof(rg[0]) + 8),
			raw_attr_out(UODP_IB_ATTR_ODP_MAP_RESP, &resp,
				     sizeof(resp)),
		};

		ret = raw_ioctl(&c.dev, UODP_IB_OBJECT_ODP,
				UODP_IB_METHOD_ODP_MAP, attrs, 2);
		test_check(ret == -EINVAL, "MAP of 1.33 ranges: %d", ret);
	}
	ret = map_ranges(&c, rg, 0, NULL, &resp);
	test_check(!ret && !resp.ranges_done && !resp.status,
		   "MAP of no range: %d, %u done", ret, resp.ranges_done);
	/* An OPTIONAL range that fails is skipped, not fatal. */
	rg[1].flags = UODP_ODP_MAP_OPTIONAL;
	ret = map_ranges(&c, rg, 3, NULL, &resp);
	test_check(!ret && resp.ranges_done == 3 && !resp.status &&
		   resp.pages_mapped == 1,
		   "a failing OPTIONAL range is skipped: %d, %u done, status "
		   "%d, %llu mapped", ret, resp.ranges_done, resp.status,
		   (unsigned long long)resp.pages_mapped);
	/* The resume mailbox: a token never issued is refused. */
	rin = resume_in(0x7b, 0, 0, false);
	ret = map_ranges(&c, rg, 3, &rin, &resp);
	test_check(!ret && !resp.status && resp.resume_out[0] ==
		   MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "MAP with the RESUME of a token never issued: %d, status "
		   "%d, resume status 0x%x", ret, resp.status,
		   resp.resume_out[0]);
	rin.opcode = htobe16(MLX5_CMD_OP_QUERY_HCA_CAP);
	ret = map_ranges(&c, rg, 0, &rin, &resp);
	test_check(!ret && resp.resume_out[0] == MLX5_CMD_STAT_BAD_OP_ERR,
		   "MAP with another command as its resume: %d, status 0x%x",
		   ret, resp.resume_out[0]);
	{
		struct ib_uverbs_attr attrs[3] = {
			raw_attr_in(UODP_IB_ATTR_ODP_MAP_RANGES, rg,
				    sizeof(rg[0])),
			raw_attr_out(UODP_IB_ATTR_ODP_MAP_RESP, &resp,
				     sizeof(resp)),
			raw_attr_in(UODP_IB_ATTR_ODP_MAP_RESUME, &rin, 8),
		};

		ret = raw_ioctl(&c.dev, UODP_IB_OBJECT_ODP,
				UODP_IB_METHOD_ODP_MAP, attrs, 3);
		test_check(ret == -EINVAL, "MAP with an 8-byte resume: %d",
			   ret);
		attrs[1].len = 8;
		ret = raw_ioctl(&c.dev, UODP_IB_OBJECT_ODP,
				UODP_IB_METHOD_ODP_MAP, attrs, 2);
		test_check(ret == -EINVAL, "MAP with a short response: %d",
			   ret);
	}

	/* NO_FAULT: only what is resident now; holes are no error. */
	if (reg_at(&c, nf, 8 * ODP_PAGE, ODP_RW, &nfkey))
		test_die("REG_MR", EIO);
	for (i = 0; i < 8; i += 3)
		nf[i * ODP_PAGE] = 2;
	ret = map1(&c, nfkey, UODP_ODP_MAP_NO_FAULT, (uintptr_t)nf,
		   8 * ODP_PAGE, &n);
	test_check(!ret && n == 3 && pages_present(&c, nfkey) == 3,
		   "NO_FAULT maps the 3 resident pages: %d, %llu", ret,
		   (unsigned long long)n);
	ret = map1(&c, ikey, UODP_ODP_MAP_NO_FAULT, (uintptr_t)hole,
		   4 * ODP_PAGE, &n);
	test_check(!ret && n == 0, "NO_FAULT over a hole and absent pages: "
		   "%d, %llu", ret, (unsigned long long)n);
	hole[0] = 1;
	ret = map1(&c, ikey, UODP_ODP_MAP_NO_FAULT, (uintptr_t)hole,
		   4 * ODP_PAGE, &n);
	test_check(!ret && n == 1, "NO_FAULT once a page is touched: %d, %llu",
		   ret, (unsigned long long)n);
	ret = map1(&c, rokey, UODP_ODP_MAP_NO_FAULT | UODP_ODP_MAP_WRITE, va,
		   ODP_PAGE, &n);
	test_check(ret == -EPERM, "NO_FAULT WRITE through a read-only MR: %d",
		   ret);

	/* Counters: per MR, per context, per device. */
	listed = mr_counters(&c, UODP_COUNTERS_CONTEXT, key, &m);
	test_check(listed &&
		   m.pages_mapped == 4 + 2 + 1 + 1 && m.pages_present == 7,
		   "MR counters: %llu pages mapped (want 8), %llu present "
		   "(want 7)", (unsigned long long)m.pages_mapped,
		   (unsigned long long)m.pages_present);
	counters(&c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	test_check(cnt.dev.pages_mapped == 4 + 2 + 15 + 4 + 16 + 1 + 1 + 3 + 1
		   && cnt.dev.map_ranges == 10 + 2 + 2 &&
		   cnt.dev.odp_mrs == 4 && cnt.nmrs == 4,
		   "context counters: %llu pages mapped (want 47), %llu "
		   "ranges (want 14), %llu ODP MRs, %u listed",
		   (unsigned long long)cnt.dev.pages_mapped,
		   (unsigned long long)cnt.dev.map_ranges,
		   (unsigned long long)cnt.dev.odp_mrs, cnt.nmrs);
	counters(&c, UODP_COUNTERS_DEVICE, 0, &cnt);
	test_check(cnt.dev.odp_mrs >= 5 &&
		   mr_counters(&c, UODP_COUNTERS_DEVICE, okey, &m),
		   "device counters: %llu ODP MRs, the other context's listed",
		   (unsigned long long)cnt.dev.odp_mrs);
	octx_close(&other);
	octx_close(&c);
	munmap(buf, 16 * ODP_PAGE);
	munmap(ro, 4 * ODP_PAGE);
	munmap(hole, ODP_PAGE);
	munmap(hole + 2 * ODP_PAGE, 2 * ODP_PAGE);
	munmap(nf, 8 * ODP_PAGE);
}

/* UVERBS_METHOD_ADVISE_MR: 0 or -errno. */
static int advise(struct octx *c, uint32_t pd, uint32_t advice,
		  uint32_t flags, const struct ib_uverbs_sge *sge, size_t len)
{
	struct ib_uverbs_attr attrs[4] = {
		attr_val(UVERBS_ATTR_ADVISE_MR_PD_HANDLE, pd),
		raw_attr_in(UVERBS_ATTR_ADVISE_MR_ADVICE, &advice,
			    sizeof(advice)),
		raw_attr_in(UVERBS_ATTR_ADVISE_MR_FLAGS, &flags,
			    sizeof(flags)),
		raw_attr_in(UVERBS_ATTR_ADVISE_MR_SGE_LIST, sge, len),
	};

	return raw_ioctl(&c->dev, UVERBS_OBJECT_MR, UVERBS_METHOD_ADVISE_MR,
			 attrs, 4);
}

static int advise1(struct octx *c, uint32_t pd, uint32_t advice,
		   uint32_t lkey, void *addr, uint32_t len)
{
	struct ib_uverbs_sge sge = { .addr = (uintptr_t)addr, .length = len,
				     .lkey = lkey };

	return advise(c, pd, advice, IB_UVERBS_ADVISE_MR_FLAG_FLUSH, &sge,
		      sizeof(sge));
}

static void test_advise(void)
{
	uint8_t *buf = map_pages(8, PROT_READ | PROT_WRITE);
	uint8_t *pinned = map_pages(1, PROT_READ | PROT_WRITE);
	struct ib_uverbs_sge sge[2];
	uint32_t key, pkey, okey, k2, pd2, none;
	struct octx c, other;
	uint64_t n;
	int ret;

	octx_open(&c);
	octx_open(&other);
	munmap(buf + 7 * ODP_PAGE, ODP_PAGE);
	ret = reg_at(&c, buf, 7 * ODP_PAGE, ODP_RW, &key);
	/* Registering a pinned MR faults its pages in: memory of its own. */
	ret = ret ? ret : reg_at(&c, pinned, ODP_PAGE, IBV_ACCESS_LOCAL_WRITE,
				 &pkey);
	ret = ret ? ret : reg_at(&other, buf, 7 * ODP_PAGE, ODP_RW, &okey);
	ret = ret ? ret : raw_alloc_pd(&c.dev, &pd2);
	ret = ret ? ret : reg(&c, (uintptr_t)buf, 8 * ODP_PAGE, (uintptr_t)buf,
			      ODP_RW, &none);
	if (ret)
		test_die("ADVISE_MR setup", -ret);
	dereg(&c, none);	/* a key that was */

	ret = advise1(&c, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH, key, buf,
		      2 * ODP_PAGE);
	n = pages_present(&c, key);
	test_check(!ret && n == 2, "ADVISE_MR PREFETCH of 2 fresh pages: %d, "
		   "%llu present", ret, (unsigned long long)n);
	buf[5 * ODP_PAGE] = 1;
	ret = advise1(&c, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
		      key, buf + 4 * ODP_PAGE, 3 * ODP_PAGE);
	n = pages_present(&c, key);
	test_check(!ret && n == 3, "PREFETCH_NO_FAULT maps the resident page "
		   "only: %d, %llu present", ret, (unsigned long long)n);
	sge[0] = (struct ib_uverbs_sge){ .addr = (uintptr_t)buf,
		.length = ODP_PAGE, .lkey = key };
	sge[1] = (struct ib_uverbs_sge){ .addr = (uintptr_t)buf +
		2 * ODP_PAGE, .length = 2 * ODP_PAGE, .lkey = key };
	ret = advise(&c, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE,
		     IB_UVERBS_ADVISE_MR_FLAG_FLUSH, sge, sizeof(sge));
	n = pages_present(&c, key);
	test_check(!ret && n == 5, "PREFETCH_WRITE of two SGEs: %d, %llu "
		   "present", ret, (unsigned long long)n);
	ret = advise(&c, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH, 0, sge,
		     sizeof(sge[0]));
	test_check(!ret, "PREFETCH without FLUSH: %d (within one slice)",
		   ret);

	/* What is not an ODP MR of this PD and context. */
	ret = advise1(&c, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH, pkey,
		      pinned, ODP_PAGE);
	test_check(ret == -ENOENT, "ADVISE_MR of a pinned MR: %d", ret);
	ret = advise1(&c, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH, okey, buf,
		      ODP_PAGE);
	test_check(ret == -ENOENT, "ADVISE_MR of another context's MR: %d",
		   ret);
	ret = advise1(&c, pd2, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH, key, buf,
		      ODP_PAGE);
	test_check(ret == -ENOENT, "ADVISE_MR through another PD: %d", ret);
	ret = advise1(&other, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH, okey,
		      buf, ODP_PAGE);
	test_check(ret == -ENOENT, "ADVISE_MR through another context's PD: "
		   "%d", ret);
	ret = advise1(&c, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH, none, buf,
		      ODP_PAGE);
	test_check(ret == -ENOENT, "ADVISE_MR of a deregistered key: %d", ret);
	/* Bad requests. */
	ret = advise1(&c, c.pd, 7, key, buf, ODP_PAGE);
	test_check(ret == -EOPNOTSUPP, "ADVISE_MR advice 7: %d", ret);
	ret = advise(&c, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH, 1u << 4,
		     sge, sizeof(sge[0]));
	test_check(ret == -EINVAL, "ADVISE_MR with unknown flags: %d", ret);
	ret = advise(&c, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH,
		     IB_UVERBS_ADVISE_MR_FLAG_FLUSH, sge, sizeof(sge[0]) + 4);
	test_check(ret == -EINVAL, "ADVISE_MR with 1.25 SGEs: %d", ret);
	/* A range the MAP refuses: its status is the answer. */
	ret = advise1(&c, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH, key, buf,
		      8 * ODP_PAGE);
	test_check(ret == -EINVAL, "ADVISE_MR past the MR's end: %d", ret);
	if (!reg_at(&c, buf, 8 * ODP_PAGE, ODP_RW, &k2)) {
		ret = advise1(&c, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH, k2,
			      buf + 6 * ODP_PAGE, 2 * ODP_PAGE);
		test_check(ret == -EFAULT, "ADVISE_MR over an unmapped page: "
			   "%d", ret);
		dereg(&c, k2);
	}
	octx_close(&other);
	octx_close(&c);
	munmap(buf, 7 * ODP_PAGE);
	munmap(pinned, ODP_PAGE);
}

static void run_map(void)
{
	test_map();
	test_advise();
}

/* ------------------------------------------------------------------ */
/* odp_uapi faults                                                     */

/* A context with a CQ, two RC QPs connected to each other, a pinned MR. */
struct qenv {
	struct octx c;
	struct raw_cq cq;
	struct raw_qp a, b;
	uint8_t *pinned;
	uint32_t pinned_key;
};

enum { NO_CHANNEL = 0 };

/* With a channel of the features given, or NO_CHANNEL (no handshake). */
static void qenv_open(struct qenv *e, uint64_t features)
{
	int ret;

	memset(e, 0, sizeof(*e));
	octx_open(&e->c);
	if (features != NO_CHANNEL)
		open_channel(&e->c, features, -1);
	ret = raw_create_cq(&e->c.dev, &e->cq, 64);
	if (!ret)
		ret = raw_create_rc_qp(&e->c.dev, &e->a, e->c.pd, &e->cq);
	if (!ret)
		ret = raw_create_rc_qp(&e->c.dev, &e->b, e->c.pd, &e->cq);
	if (!ret)
		ret = raw_qp_to_rts(&e->c.dev, &e->a, e->b.qpn, sgid_index);
	if (!ret)
		ret = raw_qp_to_rts(&e->c.dev, &e->b, e->a.qpn, sgid_index);
	e->pinned = aligned_alloc(ODP_PAGE, LEN);
	if (!e->pinned)
		ret = -ENOMEM;
	if (!ret) {
		memset(e->pinned, 0, LEN);
		ret = reg_at(&e->c, e->pinned, LEN, IBV_ACCESS_LOCAL_WRITE |
			     IBV_ACCESS_REMOTE_WRITE, &e->pinned_key);
	}
	if (ret)
		test_die("raw ODP environment", -ret);
}

static void qenv_close(struct qenv *e)
{
	octx_close(&e->c);
	raw_free_qp(&e->a);
	raw_free_qp(&e->b);
	raw_free_cq(&e->cq);
	free(e->pinned);
}

static uint8_t cqe_opcode(const uint8_t *cqe)
{
	return cqe[63] >> 4;
}

/* The next two completions (send, receive) are successful. */
static bool two_good_cqes(struct qenv *e)
{
	uint8_t cqe[64];
	int i;

	for (i = 0; i < 2; i++)
		if (!raw_poll_cq(&e->cq, cqe, DEADLINE_MS) ||
		    cqe_opcode(cqe) >= MLX5_CQE_REQ_ERR)
			return false;
	return true;
}

/* The next completion is the faulting WQE's, resumed with error. */
static void check_aborted(struct qenv *e, const char *what)
{
	uint8_t cqe[64];
	const struct mlx5_err_cqe *err = (const void *)cqe;

	if (!raw_poll_cq(&e->cq, cqe, DEADLINE_MS)) {
		test_check(false, "%s: no completion, the queue stalled", what);
		return;
	}
	test_check(cqe_opcode(cqe) == MLX5_CQE_REQ_ERR &&
		   err->syndrome == MLX5_CQE_SYNDROME_REMOTE_ABORTED_ERR &&
		   err->vendor_err_synd == MLX5_CQE_VENDOR_SYNDROME_ODP_PFAULT,
		   "%s: the WQE completes in error (opcode %u syndrome 0x%x "
		   "vendor 0x%x)", what, cqe_opcode(cqe), err->syndrome,
		   err->vendor_err_synd);
}

static void post_rdma_write(struct qenv *e, uint64_t raddr, uint32_t rkey,
			    uint64_t laddr, uint32_t len, uint32_t lkey)
{
	uint8_t *wqe = raw_sq_wqe(&e->a, e->a.sq_pi);
	struct mlx5_wqe_ctrl_seg *ctrl = (void *)wqe;
	struct mlx5_wqe_raddr_seg *raddr_seg = (void *)(ctrl + 1);
	struct mlx5_wqe_data_seg *data = (void *)(raddr_seg + 1);

	memset(wqe, 0, MLX5_SEND_WQE_BB);
	ctrl->opmod_idx_opcode = htobe32(((e->a.sq_pi & 0xffff) << 8) |
					 MLX5_OPCODE_RDMA_WRITE);
	ctrl->qpn_ds = htobe32((e->a.qpn << 8) | 3);
	ctrl->fm_ce_se = MLX5_WQE_CTRL_CQ_UPDATE;
	raddr_seg->raddr = htobe64(raddr);
	raddr_seg->rkey = htobe32(rkey);
	data->byte_count = htobe32(len);
	data->lkey = htobe32(lkey);
	data->addr = htobe64(laddr);
	raw_ring_sq(&e->c.dev, &e->a, 1);
}

/* A WQE page fault: what it says, checked byte by byte. */
struct wqe_fault {
	uint32_t token, wq;
	uint8_t type;
};

static bool check_wqe_record(const struct record *r, uint32_t qpn,
			     uint8_t type, uint16_t index,
			     struct wqe_fault *out)
{
	const struct mlx5_eqe *eqe = &r->eqe;
	uint32_t pf = be32toh(eqe->data.wqe.pftype_wq);
	bool zero = !eqe->rsvd0 && !eqe->rsvd2 && !eqe->signature;
	unsigned int i;

	for (i = 0; i < sizeof(eqe->rsvd4); i++)
		zero &= !eqe->rsvd4[i];
	out->token = be32toh(eqe->data.wqe.token);
	out->wq = pf & MLX5_PFAULT_WQ_MASK;
	out->type = (uint8_t)(pf >> MLX5_PFAULT_TYPE_SHIFT);
	test_check(r->cookie == COOKIE_FAULT &&
		   eqe->type == MLX5_EVENT_TYPE_PAGE_FAULT &&
		   eqe->sub_type == MLX5_PFAULT_SUBTYPE_WQE &&
		   !eqe->owner && zero,
		   "WQE fault record: cookie 0x%llx, EQE type 0x%02x subtype "
		   "%u owner %u, reserved bytes zero %d",
		   (unsigned long long)r->cookie, eqe->type, eqe->sub_type,
		   eqe->owner, zero);
	test_check(out->type == type && out->wq == qpn &&
		   be16toh(eqe->data.wqe.wqe_index) == index &&
		   !eqe->data.wqe.bytes_committed &&
		   !eqe->data.wqe.packet_length &&
		   out->token && out->token <= MLX5_PFAULT_TOKEN_MASK,
		   "WQE fault: type %u (want %u), wq 0x%x (want 0x%x), wqe "
		   "index %u (want %u), committed %u, token 0x%x", out->type,
		   type, out->wq, qpn, be16toh(eqe->data.wqe.wqe_index), index,
		   be32toh(eqe->data.wqe.bytes_committed), out->token);
	return r->cookie == COOKIE_FAULT && out->wq == qpn;
}

/* The faults ODP MR key counts. */
static void check_mr_faults(struct octx *c, uint32_t key, uint64_t want)
{
	struct uodp_odp_mr_counters m = { 0 };
	bool listed = mr_counters(c, UODP_COUNTERS_CONTEXT, key, &m);

	test_check(listed && m.faults == want, "MR 0x%x counts %llu fault(s) "
		   "(want %llu)", key, (unsigned long long)m.faults,
		   (unsigned long long)want);
}

static void test_no_channel(void)
{
	uint8_t *buf = odp_fresh(LEN), cqe[64];
	struct record r;
	struct qenv e;
	uint32_t key;
	int i;

	/* No handshake, no channel; then a channel without WQE faults. */
	for (i = 0; i < 2; i++) {
		qenv_open(&e, i ? UODP_ODP_F_RDMA_FAULTS : NO_CHANNEL);
		if (reg_at(&e.c, buf, LEN, ODP_LW, &key))
			test_die("REG_MR", EIO);
		raw_post_recv(&e.c.dev, &e.b, (uintptr_t)e.pinned, LEN,
			      e.pinned_key);
		raw_post_send(&e.c.dev, &e.a, MLX5_OPCODE_SEND, (uintptr_t)buf,
			      100, key);
		test_check(raw_poll_cq(&e.cq, cqe, DEADLINE_MS) &&
			   cqe_opcode(cqe) == MLX5_CQE_REQ_ERR,
			   "%s: a faulting WQE completes in error, no stall",
			   i ? "WQE faults not granted" : "no channel");
		if (i)
			test_check(read_records(e.c.chan, &r, 1, 100) < 0,
				   "WQE faults not granted: no record");
		qenv_close(&e);
	}
	munmap(buf, LEN);
}

/*
 * Another process's view of a fault: "TOKEN WQ TYPE KEY VA" on stdin, its
 * own context's answers on stdout (RESUME, MAP, MAP-with-RESUME, ADVISE).
 */
static int run_intruder(void)
{
	struct mlx5_page_fault_resume_in rin;
	struct uodp_odp_map_range rg = { .length = 64 };
	struct uodp_odp_map_resp resp;
	unsigned int token, wq, type, key;
	unsigned long long va;
	struct octx c;
	int st, map, adv;

	if (scanf("%x %x %x %x %llx", &token, &wq, &type, &key, &va) != 5)
		return 2;
	octx_open(&c);
	open_channel(&c, ALL_FEATURES, -1);
	st = resume(&c, token, wq, (uint8_t)type, false);
	map = map1(&c, key, 0, va, 64, NULL);
	rg.mr_key = key;
	rg.va = va;
	rin = resume_in(token, wq, (uint8_t)type, false);
	if (map_ranges(&c, &rg, 1, &rin, &resp))
		resp.resume_out[0] = 0xff;
	adv = advise1(&c, c.pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH, key,
		      (void *)(uintptr_t)va, 64);
	printf("%d %d %d %d %d\n", st, map, resp.status, resp.resume_out[0],
	       adv);
	fflush(stdout);
	octx_close(&c);
	return 0;
}

/* A process of its own tries the fault (see run_intruder). */
static void intrude(const char *argv0, const struct wqe_fault *f,
		    uint32_t key, uint64_t va)
{
	int st = -1, map = 0, mst = 0, rst = -1, adv = 0, status;
	FILE *from, *to;
	char line[128];
	pid_t pid;

	pid = test_spawn_self(argv0, "intruder", &from, &to);
	if (pid < 0)
		test_die("spawn", -pid);
	fprintf(to, "%x %x %x %x %llx\n", f->token, f->wq, f->type, key,
		(unsigned long long)va);
	fclose(to);
	if (!test_read_line(from, line, sizeof(line), DEADLINE_MS) ||
	    sscanf(line, "%d %d %d %d %d", &st, &map, &mst, &rst, &adv) != 5)
		test_check(false, "another process: no answer");
	fclose(from);
	waitpid(pid, &status, 0);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "RESUME from another process: 0x%x", st);
	test_check(map == -ENOENT && mst == -ENOENT &&
		   rst == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "another process's MAP of our MR: %d; with our RESUME: %d, "
		   "resume 0x%x", map, mst, rst);
	test_check(adv == -ENOENT, "another process's ADVISE_MR of our MR: "
		   "%d", adv);
}

/*
 * A requester WQE fault from first to last: the record, the stalled
 * queue, the refused resumes (wrong token, queue, type, context,
 * process), MAP + RESUME; MAP-with-RESUME; the INVALIDATE notice; the
 * channel's close resuming the last one with error.
 */
static void test_requester(const char *argv0)
{
	struct uodp_query_counters_resp cnt;
	uint8_t *buf = odp_fresh(LEN), cqe[64];
	struct mlx5_page_fault_resume_in rin;
	struct uodp_odp_map_range rg[2];
	struct uodp_odp_mr_counters m = { 0 };
	bool listed;
	struct uodp_odp_map_resp mr;
	struct wqe_fault f;
	struct octx other;
	struct record r;
	struct qenv e;
	uint32_t key;
	uint64_t n;
	int st, i;

	qenv_open(&e, ALL_FEATURES);
	octx_open(&other);
	open_channel(&other, ALL_FEATURES, -1);
	if (reg_at(&e.c, buf, LEN, ODP_LW, &key))
		test_die("REG_MR", EIO);
	odp_fill(buf, 3000, 1);		/* resident, not translated */
	raw_post_recv(&e.c.dev, &e.b, (uintptr_t)e.pinned, LEN, e.pinned_key);
	raw_post_send(&e.c.dev, &e.a, MLX5_OPCODE_SEND, (uintptr_t)buf, 3000,
		      key);
	if (!read_record(e.c.chan, &r)) {
		test_check(false, "a page-fault record arrives on the channel");
		goto out;
	}
	if (!check_wqe_record(&r, e.a.qpn, MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE,
			      0, &f))
		goto out;
	test_check(!raw_poll_cq(&e.cq, cqe, 200),
		   "the faulting queue is stalled until resumed");

	/* Refused: wrong token, queue, type; another context, process. */
	st = resume(&e.c, f.token ^ 1, f.wq, f.type, false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "RESUME with a token never issued: 0x%x", st);
	st = resume(&e.c, f.token, e.b.qpn, f.type, false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "RESUME naming another queue: 0x%x", st);
	st = resume(&e.c, f.token, f.wq, MLX5_WQE_PF_TYPE_REQ_READ_OR_ATOMIC,
		    false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "RESUME of another fault type: 0x%x", st);
	st = resume(&other, f.token, f.wq, f.type, false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "RESUME from another context: 0x%x", st);
	st = map1(&other, key, 0, (uintptr_t)buf, 3000, NULL);
	test_check(st == -ENOENT, "another context's MAP of our MR: %d", st);
	intrude(argv0, &f, key, (uintptr_t)buf);
	counters(&other, UODP_COUNTERS_CONTEXT, 0, &cnt);
	test_check(cnt.dev.resumes_refused == 1, "the other context's refusal "
		   "is counted against it (%llu)",
		   (unsigned long long)cnt.dev.resumes_refused);
	counters(&e.c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	test_check(cnt.dev.resumes_refused == 3 && !cnt.dev.resumes &&
		   cnt.dev.wqe_faults_requester == 1,
		   "ours: %llu refused (want 3), %llu accepted, %llu "
		   "requester fault(s)",
		   (unsigned long long)cnt.dev.resumes_refused,
		   (unsigned long long)cnt.dev.resumes,
		   (unsigned long long)cnt.dev.wqe_faults_requester);
	check_mr_faults(&e.c, key, 1);

	/* MAP, then RESUME: the send completes; the token is then spent. */
	st = map1(&e.c, key, 0, (uintptr_t)buf, 3000, &n);
	test_check(!st && n == 1, "MAP of the faulting range: %d, %llu page",
		   st, (unsigned long long)n);
	st = resume(&e.c, f.token, f.wq, f.type, false);
	test_check(st == MLX5_CMD_STAT_OK, "RESUME of the fault: 0x%x", st);
	test_check(two_good_cqes(&e) && !memcmp(buf, e.pinned, 3000),
		   "after MAP + RESUME the send completes, data intact");
	st = resume(&e.c, f.token, f.wq, f.type, false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "RESUME of a token already resumed: 0x%x", st);

	/* MAP-with-RESUME, one call; read-ahead as an OPTIONAL range. */
	odp_fill(buf + ODP_PAGE, 3 * ODP_PAGE, 2);
	raw_post_recv(&e.c.dev, &e.b, (uintptr_t)e.pinned, LEN, e.pinned_key);
	raw_post_send(&e.c.dev, &e.a, MLX5_OPCODE_SEND,
		      (uintptr_t)buf + ODP_PAGE, 100, key);
	if (!read_record(e.c.chan, &r) ||
	    !check_wqe_record(&r, e.a.qpn, MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE,
			      1, &f)) {
		test_check(false, "a second fault is delivered");
		goto out;
	}
	rg[0] = (struct uodp_odp_map_range){ .mr_key = key,
		.va = (uintptr_t)buf + ODP_PAGE, .length = 100 };
	rg[1] = (struct uodp_odp_map_range){ .mr_key = key,
		.flags = UODP_ODP_MAP_OPTIONAL,
		.va = (uintptr_t)buf + 2 * ODP_PAGE, .length = 2 * ODP_PAGE };
	rin = resume_in(f.token, f.wq, f.type, false);
	st = map_ranges(&e.c, rg, 2, &rin, &mr);
	test_check(!st && mr.ranges_done == 2 && !mr.status &&
		   mr.pages_mapped == 3 && mr.resume_out[0] == MLX5_CMD_STAT_OK,
		   "MAP-with-RESUME: %d, %u done, status %d, %llu mapped, "
		   "resume 0x%x", st, mr.ranges_done, mr.status,
		   (unsigned long long)mr.pages_mapped, mr.resume_out[0]);
	test_check(two_good_cqes(&e) && !memcmp(buf + ODP_PAGE, e.pinned, 100),
		   "after MAP-with-RESUME the send completes, data intact");
	counters(&e.c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	test_check(cnt.dev.resumes == 2 && !cnt.dev.resumes_error,
		   "%llu resumes accepted (want 2), %llu with error",
		   (unsigned long long)cnt.dev.resumes,
		   (unsigned long long)cnt.dev.resumes_error);

	/* Pages mapped, then gone: an INVALIDATE notice, then the fault. */
	munmap(buf + 2 * ODP_PAGE, 2 * ODP_PAGE);
	raw_post_recv(&e.c.dev, &e.b, (uintptr_t)e.pinned, LEN, e.pinned_key);
	raw_post_send(&e.c.dev, &e.a, MLX5_OPCODE_SEND,
		      (uintptr_t)buf + 2 * ODP_PAGE, 64, key);
	if (!read_record(e.c.chan, &r)) {
		test_check(false, "a record after the munmap");
		goto out;
	}
	test_check(r.cookie == COOKIE_NOTICE &&
		   r.notice.kind == UODP_ODP_NOTICE_INVALIDATE &&
		   r.notice.mr_key == key &&
		   r.notice.va <= (uintptr_t)buf + 2 * ODP_PAGE &&
		   r.notice.va + r.notice.length > (uintptr_t)buf +
		   2 * ODP_PAGE,
		   "an INVALIDATE notice: cookie 0x%llx kind %u key 0x%x "
		   "[0x%llx, +0x%llx)", (unsigned long long)r.cookie,
		   r.notice.kind, r.notice.mr_key,
		   (unsigned long long)r.notice.va,
		   (unsigned long long)r.notice.length);
	if (r.cookie == COOKIE_NOTICE && !read_record(e.c.chan, &r)) {
		test_check(false, "then the fault");
		goto out;
	}
	check_wqe_record(&r, e.a.qpn, MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE, 2,
			 &f);
	listed = mr_counters(&e.c, UODP_COUNTERS_CONTEXT, key, &m);
	test_check(listed &&
		   m.invalidations == 1 && m.pages_present == 3,
		   "the MR counts %llu invalidated page(s), %llu present",
		   (unsigned long long)m.invalidations,
		   (unsigned long long)m.pages_present);

	/* The channel closes with the fault pending: resumed with error. */
	close(e.c.chan);
	e.c.chan = -1;
	check_aborted(&e, "channel closed");
	for (i = 0; i < 100; i++) {
		counters(&e.c, UODP_COUNTERS_CONTEXT, 0, &cnt);
		if (cnt.dev.resumed_on_close)
			break;
		usleep(10 * 1000);
	}
	test_check(cnt.dev.resumed_on_close == 1, "resumed_on_close counted "
		   "it (%llu)", (unsigned long long)cnt.dev.resumed_on_close);
	st = resume(&e.c, f.token, f.wq, f.type, false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "RESUME after the close: 0x%x", st);
out:
	octx_close(&other);
	qenv_close(&e);
	munmap(buf, 2 * ODP_PAGE);
}

/* A receive into absent pages: a responder WQE fault on the RQ. */
static void test_responder(void)
{
	struct uodp_query_counters_resp cnt;
	uint8_t *buf = odp_fresh(LEN);
	struct wqe_fault f;
	struct record r;
	struct qenv e;
	uint32_t key;
	int st;

	qenv_open(&e, ALL_FEATURES);
	if (reg_at(&e.c, buf, LEN, ODP_LW, &key))
		test_die("REG_MR", EIO);
	odp_fill(e.pinned, 2000, 3);
	raw_post_recv(&e.c.dev, &e.b, (uintptr_t)buf, LEN, key);
	raw_post_send(&e.c.dev, &e.a, MLX5_OPCODE_SEND, (uintptr_t)e.pinned,
		      2000, e.pinned_key);
	if (!read_record(e.c.chan, &r)) {
		test_check(false, "a responder fault record arrives");
		goto out;
	}
	if (!check_wqe_record(&r, e.b.qpn, MLX5_WQE_PF_TYPE_RESP, 0, &f))
		goto out;
	st = resume(&e.c, f.token, f.wq, MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE,
		    false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR,
		   "RESUME of the responder fault as a requester's: 0x%x", st);
	st = map1(&e.c, key, UODP_ODP_MAP_WRITE, (uintptr_t)buf, 2000, NULL);
	test_check(!st, "MAP WRITE of the receive buffer: %d", st);
	st = resume(&e.c, f.token, f.wq, f.type, false);
	test_check(st == MLX5_CMD_STAT_OK, "RESUME of the responder fault: 0x%x",
		   st);
	test_check(two_good_cqes(&e) && !memcmp(buf, e.pinned, 2000),
		   "the send and the receive complete, data intact");
	counters(&e.c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	test_check(cnt.dev.wqe_faults_responder == 1 &&
		   !cnt.dev.wqe_faults_requester,
		   "counted as a responder fault (%llu)",
		   (unsigned long long)cnt.dev.wqe_faults_responder);
out:
	qenv_close(&e);
	munmap(buf, LEN);
}

/* The QP a completion names (the same word in both frames). */
static uint32_t cqe_qpn(const uint8_t *cqe)
{
	const struct mlx5_cqe64 *c = (const void *)cqe;

	return be32toh(c->sop_drop_qpn) & MLX5_CQE_QPN_MASK;
}

/* Back to RESET: the device's queues start over, and so do ours. */
static int qp_reset(struct qenv *e, struct raw_qp *qp)
{
	struct ib_uverbs_modify_qp a = { .qp_handle = qp->qpn,
					 .qp_state = IBV_QPS_RESET,
					 .attr_mask = IBV_QP_STATE };
	int ret = raw_modify_qp(&e->c.dev, &a);

	qp->sq_pi = qp->rq_pi = 0;
	qp->dbrec[0] = qp->dbrec[1] = 0;
	return ret;
}

/*
 * Wait for the successful completions of want[0] and want[1] (QPNs); any
 * error completion of either fails the check.  Completions of other QPs
 * are skipped.
 */
static bool both_complete(struct qenv *e, const uint32_t want[2])
{
	bool done[2] = { false, false };
	uint8_t cqe[64];
	int i;

	while (!done[0] || !done[1]) {
		if (!raw_poll_cq(&e->cq, cqe, DEADLINE_MS))
			return false;
		for (i = 0; i < 2; i++) {
			if (cqe_qpn(cqe) != want[i])
				continue;
			if (cqe_opcode(cqe) >= MLX5_CQE_REQ_ERR)
				return false;
			done[i] = true;
		}
	}
	return true;
}

/*
 * A responder stalled on a fault names the requester that waits on it.
 * That requester is reset and connected elsewhere before the responder's
 * owner resumes the fault with error: the error fails the responder, not
 * the requester's new life (issue 8: destroy and reset clear every
 * reference; a resume fails only a requester still connected to it).
 */
static void test_stale_requester(void)
{
	uint8_t *buf = odp_fresh(LEN);
	struct wqe_fault f;
	struct raw_qp c;
	struct record r;
	struct qenv e;
	uint32_t key, want[2];
	int st;

	qenv_open(&e, ALL_FEATURES);
	if (reg_at(&e.c, buf, LEN, ODP_LW, &key) ||
	    raw_create_rc_qp(&e.c.dev, &c, e.c.pd, &e.cq))
		test_die("REG_MR, CREATE_QP", EIO);
	raw_post_recv(&e.c.dev, &e.b, (uintptr_t)buf, LEN, key);
	raw_post_send(&e.c.dev, &e.a, MLX5_OPCODE_SEND, (uintptr_t)e.pinned,
		      100, e.pinned_key);
	if (!read_record(e.c.chan, &r) ||
	    !check_wqe_record(&r, e.b.qpn, MLX5_WQE_PF_TYPE_RESP, 0, &f)) {
		test_check(false, "b's receive faults, a waits on it");
		goto out;
	}
	/* a starts over towards c, and waits there (no receive: RNR). */
	st = qp_reset(&e, &e.a);
	if (!st)
		st = raw_qp_to_rts(&e.c.dev, &c, e.a.qpn, sgid_index);
	if (!st)
		st = raw_qp_to_rts(&e.c.dev, &e.a, c.qpn, sgid_index);
	test_check(!st, "a reset and connected to c: %d", st);
	raw_post_send(&e.c.dev, &e.a, MLX5_OPCODE_SEND, (uintptr_t)e.pinned,
		      100, e.pinned_key);
	usleep(20 * 1000);
	st = resume(&e.c, f.token, f.wq, f.type, true);
	test_check(st == MLX5_CMD_STAT_OK, "b's fault resumed with error: 0x%x",
		   st);
	usleep(20 * 1000);
	raw_post_recv(&e.c.dev, &c, (uintptr_t)e.pinned + ODP_PAGE, ODP_PAGE,
		      e.pinned_key);
	want[0] = e.a.qpn;
	want[1] = c.qpn;
	test_check(both_complete(&e, want), "a's send to c and c's receive "
		   "complete without error: the stale error failed nobody");
	test_check(raw_qp_state(&e.c.dev, e.a.qpn) == IBV_QPS_RTS &&
		   raw_qp_state(&e.c.dev, e.b.qpn) == IBV_QPS_ERR,
		   "a still RTS (%d), b in error (%d)",
		   raw_qp_state(&e.c.dev, e.a.qpn),
		   raw_qp_state(&e.c.dev, e.b.qpn));
out:
	raw_destroy(&e.c.dev, RAW_QP, c.qpn);
	raw_free_qp(&c);
	qenv_close(&e);
	munmap(buf, LEN);
}

/* An RDMA WRITE into absent pages: a responder fault by rkey. */
static void test_rdma(void)
{
	struct uodp_query_counters_resp cnt;
	uint8_t *tgt = odp_fresh(2 * ODP_PAGE), cqe[64];
	const struct mlx5_eqe *eqe;
	uint32_t key, token, type;
	struct record r;
	struct qenv e;
	int st, i;

	qenv_open(&e, ALL_FEATURES);
	if (reg_at(&e.c, tgt, 2 * ODP_PAGE, ODP_RW, &key))
		test_die("REG_MR", EIO);
	memset(e.pinned, 0x5a, LEN);
	post_rdma_write(&e, (uintptr_t)tgt + 8, key, (uintptr_t)e.pinned, 64,
			e.pinned_key);
	if (!read_record(e.c.chan, &r)) {
		test_check(false, "an RDMA fault record arrives");
		goto out;
	}
	eqe = &r.eqe;
	token = be32toh(eqe->data.rdma.pftype_token) & MLX5_PFAULT_TOKEN_MASK;
	type = be32toh(eqe->data.rdma.pftype_token) >> MLX5_PFAULT_TYPE_SHIFT;
	test_check(r.cookie == COOKIE_FAULT &&
		   eqe->type == MLX5_EVENT_TYPE_PAGE_FAULT &&
		   eqe->sub_type == MLX5_PFAULT_SUBTYPE_RDMA && !eqe->owner &&
		   be32toh(eqe->data.rdma.r_key) == key &&
		   be64toh(eqe->data.rdma.rdma_va) == (uintptr_t)tgt + 8 &&
		   be32toh(eqe->data.rdma.rdma_op_len) == 64 &&
		   !eqe->data.rdma.bytes_committed && token &&
		   type == (MLX5_PFAULT_RDMA | MLX5_PFAULT_WRITE),
		   "RDMA fault record: subtype %u rkey 0x%x va 0x%llx len %u "
		   "committed %u type %u token 0x%x", eqe->sub_type,
		   be32toh(eqe->data.rdma.r_key),
		   (unsigned long long)be64toh(eqe->data.rdma.rdma_va),
		   be32toh(eqe->data.rdma.rdma_op_len),
		   be32toh(eqe->data.rdma.bytes_committed), type, token);
	st = resume(&e.c, token, e.b.qpn, (uint8_t)type, false);
	test_check(st == MLX5_CMD_STAT_BAD_PARAM_ERR, "RESUME of the RDMA "
		   "fault naming the QP (the WQ is the token): 0x%x", st);
	st = map1(&e.c, key, UODP_ODP_MAP_WRITE, (uintptr_t)tgt, ODP_PAGE,
		  NULL);
	test_check(!st, "MAP WRITE of the target: %d", st);
	st = resume(&e.c, token, token, (uint8_t)type, false);
	test_check(st == MLX5_CMD_STAT_OK, "RESUME of the RDMA fault: 0x%x",
		   st);
	test_check(raw_poll_cq(&e.cq, cqe, DEADLINE_MS) &&
		   cqe_opcode(cqe) < MLX5_CQE_REQ_ERR,
		   "the RDMA WRITE completes");
	for (i = 0; i < 200 && tgt[8 + 63] != 0x5a; i++)
		usleep(10 * 1000);
	test_check(tgt[7] == 0 && tgt[8] == 0x5a && tgt[8 + 63] == 0x5a &&
		   tgt[8 + 64] == 0, "exactly the 64 bytes landed");
	counters(&e.c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	test_check(cnt.dev.rdma_faults == 1 && cnt.dev.resumes == 1,
		   "%llu RDMA fault(s), %llu resume(s)",
		   (unsigned long long)cnt.dev.rdma_faults,
		   (unsigned long long)cnt.dev.resumes);
	check_mr_faults(&e.c, key, 1);
out:
	qenv_close(&e);
	munmap(tgt, 2 * ODP_PAGE);
}

/*
 * Two faults pending at once arrive in one read; MAP-with-RESUME whose
 * range fails resumes with error; the other is resumed normally.
 */
static void test_batch(void)
{
	uint8_t *buf = odp_fresh(LEN);
	struct uodp_query_counters_resp cnt;
	struct mlx5_page_fault_resume_in rin;
	struct uodp_odp_map_range rg;
	struct uodp_odp_map_resp mr;
	struct wqe_fault f[2];
	struct record r[4];
	struct qenv e;
	uint32_t key[2];
	int i, got = 0, st;

	qenv_open(&e, ALL_FEATURES);
	if (reg_at(&e.c, buf, LEN, ODP_LW, &key[0]) ||
	    reg_at(&e.c, buf, LEN, ODP_LW, &key[1]))
		test_die("REG_MR", EIO);
	odp_fill(buf, LEN, 4);
	/* a sends to b and b to a: both SQs fault. */
	raw_post_recv(&e.c.dev, &e.b, (uintptr_t)e.pinned, ODP_PAGE,
		      e.pinned_key);
	raw_post_recv(&e.c.dev, &e.a, (uintptr_t)e.pinned + ODP_PAGE,
		      ODP_PAGE, e.pinned_key);
	raw_post_send(&e.c.dev, &e.a, MLX5_OPCODE_SEND, (uintptr_t)buf,
		      100, key[0]);
	raw_post_send(&e.c.dev, &e.b, MLX5_OPCODE_SEND,
		      (uintptr_t)buf + ODP_PAGE, 100, key[1]);
	for (i = 0; i < 200; i++) {
		counters(&e.c, UODP_COUNTERS_CONTEXT, 0, &cnt);
		if (cnt.dev.wqe_faults_requester == 2)
			break;
		usleep(5 * 1000);
	}
	got = read_records(e.c.chan, r, 4, DEADLINE_MS);
	test_check(got == 2, "two pending faults, one read: %d records", got);
	if (got != 2)
		goto out;
	/* Either may come first: f[0] is a's, f[1] b's. */
	i = (be32toh(r[0].eqe.data.wqe.pftype_wq) & MLX5_PFAULT_WQ_MASK) ==
	    e.b.qpn;
	check_wqe_record(&r[i], e.a.qpn,
			 MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE, 0, &f[0]);
	check_wqe_record(&r[!i], e.b.qpn,
			 MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE, 0, &f[1]);
	test_check(f[0].token != f[1].token, "distinct tokens 0x%x, 0x%x",
		   f[0].token, f[1].token);

	/* a's resume rides a MAP whose range fails: forced to error. */
	rg = (struct uodp_odp_map_range){ .mr_key = key[0] ^ 0x5a5a00,
		.va = (uintptr_t)buf, .length = 100 };
	rin = resume_in(f[0].token, f[0].wq, f[0].type, false);
	st = map_ranges(&e.c, &rg, 1, &rin, &mr);
	test_check(!st && mr.status == -ENOENT && !mr.ranges_done &&
		   mr.resume_out[0] == MLX5_CMD_STAT_OK,
		   "MAP-with-RESUME of a failing range: %d, status %d, resume "
		   "0x%x", st, mr.status, mr.resume_out[0]);
	check_aborted(&e, "resume forced to error");
	/* b's, plainly: its send completes. */
	st = map1(&e.c, key[1], 0, (uintptr_t)buf + ODP_PAGE, 100, NULL);
	if (!st)
		st = resume(&e.c, f[1].token, f[1].wq, f[1].type, false);
	test_check(st == MLX5_CMD_STAT_OK, "MAP + RESUME of the other: 0x%x",
		   st);
	counters(&e.c, UODP_COUNTERS_CONTEXT, 0, &cnt);
	test_check(cnt.dev.resumes == 2 && cnt.dev.resumes_error == 1,
		   "%llu resumes, %llu with error (want 2, 1)",
		   (unsigned long long)cnt.dev.resumes,
		   (unsigned long long)cnt.dev.resumes_error);
out:
	qenv_close(&e);
	munmap(buf, LEN);
}

static void run_faults(const char *argv0)
{
	test_no_channel();
	test_requester(argv0);
	test_responder();
	test_stale_requester();
	test_rdma();
	test_batch();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct odp_side probe;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "intruder"))
		return run_intruder();
	if (strcmp(mode, "control") && strcmp(mode, "map") &&
	    strcmp(mode, "faults")) {
		fprintf(stderr, "usage: odp_uapi control|map|faults (inside "
			"uodp-run)\n");
		return 2;
	}
	if (!strcmp(mode, "faults")) {
		odp_side_open(&probe, 16);
		sgid_index = probe.gid_index;
		odp_side_close(&probe);
	}
	if (!strcmp(mode, "control"))
		run_control();
	else if (!strcmp(mode, "map"))
		run_map();
	else
		run_faults(argv[0]);
	printf("odp_uapi %s: %d failure(s)\n", mode, test_failures);
	return test_failures ? 1 : 0;
}
