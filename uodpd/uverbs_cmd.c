// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The write() commands of the command fd, each a typed request and response
 * of <rdma/ib_user_verbs.h> with mlx5's driver data (<rdma/mlx5-abi.h>).
 * The table below is the dispatch: core sizes are checked by the decoder
 * before a handler runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "rdma/uodp-emu-abi.h"
#include "uverbs.h"

/*
 * What mlx5_ib would say of this device in mlx5_ib_alloc_ucontext_resp,
 * then the emulator's tail.
 */
void ud_uverbs_ucontext_resp(const struct uodpd *d,
			     const struct ud_device *dev,
			     struct uodp_alloc_ucontext_resp *drv, size_t len)
{
	struct mlx5_ib_alloc_ucontext_resp *resp = &drv->mlx5;

	memset(drv, 0, sizeof(*drv));
	resp->qp_tab_size = 1u << 24;
	resp->bf_reg_size = 512;
	resp->cache_line_size = 64;
	resp->max_sq_desc_sz = 512;
	resp->max_rq_desc_sz = 512;
	resp->max_send_wqebb = dev->attr.max_qp_wr;
	resp->max_recv_wr = dev->attr.max_qp_wr;
	resp->max_srq_recv_wr = dev->attr.max_srq_wr;
	resp->num_ports = dev->attr.phys_port_cnt;
	resp->cqe_version = 1;
	resp->log_uar_size = 12;
	resp->num_uars_per_page = 1;
	resp->response_length = (uint32_t)(len < sizeof(*resp) ?
					   len : sizeof(*resp));
	drv->max_inline_data = dev->attr.max_inline_data;
	drv->device_pid = (uint32_t)getpid();
	drv->emu_caps = d->queue_memfd ? UODP_EMU_CAP_QUEUE_MEMFD : 0;
	/* The device cannot fault a pinned MR's pages in: always asked. */
	drv->emu_caps |= UODP_EMU_CAP_POPULATE_PINNED;
	/* Invalidation by a userfaultfd the provider hands over (odp_uffd.c). */
	drv->emu_caps |= UODP_EMU_CAP_ODP_UFFD;
}

/*
 * A context of the command fd alone: its async event pipe, its doorbell,
 * the file's page for need_wakeup.
 */
static struct ud_ctx *new_context(struct ud_call *c, struct ud_ufile *f,
				  const struct ud_creds *cr)
{
	struct ud_ctx *ctx = ud_ctx_new(c->d, cr->tgid, f->uid);

	if (!ctx)
		return NULL;
	/* Its task, as restrack records the caller of alloc_ucontext. */
	ud_pid_ns_of(c->pid, cr->ns_tgid, &ctx->pid_ns);
	ctx->net_admin = f->net_admin;
	ctx->dev = f->dev;
	if (!f->dev->gids[0].valid)
		ud_device_load_gids(c->d, f->dev);
	ctx->shared = f->page;
	if (ud_ctx_open_async(ctx) || ud_ctx_open_doorbell(c->d, ctx) ||
	    ud_ctx_watch_owner(c->d, ctx)) {
		ud_ctx_destroy(c->d, ctx);
		return NULL;
	}
	ud_info("context %u: pid %d opened %s on its command fd", ctx->id,
		(int)cr->tgid, f->dev->name);
	return ctx;
}

int ud_uverbs_new_context(struct ud_call *c, struct ud_ufile *f)
{
	struct ud_creds cr;
	struct ud_ctx *ctx;
	int ret;

	if (f->ctx)
		return -EINVAL;		/* one context per file */
	ret = ud_call_creds(c, &cr);
	if (ret)
		return ret;
	ret = ud_fds_take(c->d, f, UD_CTX_FDS);
	if (ret)
		return ret;
	/* mlx5's request sizes bfregs: one UAR page is all there is here. */
	ctx = new_context(c, f, &cr);
	if (!ctx) {
		ud_fds_give(c->d, f, UD_CTX_FDS);
		return -ENOMEM;
	}
	ctx->ufile = f;
	f->ctx = ctx;
	ud_dbg("command fd %u: context %u", f->id, ctx->id);
	return 0;
}

static int get_context(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd)
{
	struct ib_uverbs_get_context_resp resp = {
		.num_comp_vectors = UD_NUM_COMP_VECTORS,
	};
	struct uodp_alloc_ucontext_resp drv;
	int fd;

	fd = ud_uverbs_new_context(c, f);
	if (fd)
		return fd;
	/* The answer's room first: no fd is installed for a broken buffer. */
	memset(&drv, 0, sizeof(drv));
	fd = ud_write_respond(c, cmd, &resp, sizeof(resp), &drv, sizeof(drv));
	if (!fd)
		fd = f->ctx->async_rfd >= 0 ?
		     ud_call_install_fd(c, f->ctx->async_rfd, -1, true,
					false) : -EINVAL;
	if (fd < 0)
		goto err_destroy;
	resp.async_fd = (uint32_t)fd;
	ud_uverbs_ucontext_resp(c->d, f->dev, &drv, cmd->drv_response_len);
	if (ud_write_respond(c, cmd, &resp, sizeof(resp), &drv, sizeof(drv)))
		return -EFAULT;	/* it was writable a moment ago */
	return 0;

err_destroy:
	ud_ctx_destroy(c->d, f->ctx);	/* unbinds the file too */
	return fd;
}

/* "a.b.c" as the kernel's u64: a << 32 | b << 16 | c. */
static uint64_t raw_fw_ver(const char *text)
{
	unsigned int a = 0, b = 0, c = 0;

	sscanf(text, "%u.%u.%u", &a, &b, &c);
	return (uint64_t)a << 32 | (uint64_t)(b & 0xffff) << 16 | (c & 0xffff);
}

static void fill_device_resp(const struct ud_device_attr *a,
			     struct ib_uverbs_query_device_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->fw_ver = raw_fw_ver(a->fw_ver);
	r->node_guid = a->node_guid;
	r->sys_image_guid = a->sys_image_guid;
	r->max_mr_size = a->max_mr_size;
	r->page_size_cap = a->page_size_cap;
	r->vendor_id = a->vendor_id;
	r->vendor_part_id = a->vendor_part_id;
	r->hw_ver = a->hw_ver;
	r->max_qp = a->max_qp;
	r->max_qp_wr = a->max_qp_wr;
	r->device_cap_flags = a->device_cap_flags;
	r->max_sge = a->max_sge;
	r->max_sge_rd = a->max_sge_rd;
	r->max_cq = a->max_cq;
	r->max_cqe = a->max_cqe;
	r->max_mr = a->max_mr;
	r->max_pd = a->max_pd;
	r->max_qp_rd_atom = a->max_qp_rd_atom;
	r->max_ee_rd_atom = a->max_ee_rd_atom;
	r->max_res_rd_atom = a->max_res_rd_atom;
	r->max_qp_init_rd_atom = a->max_qp_init_rd_atom;
	r->atomic_cap = a->atomic_cap;
	r->max_ah = a->max_ah;
	r->max_srq = a->max_srq;
	r->max_srq_wr = a->max_srq_wr;
	r->max_srq_sge = a->max_srq_sge;
	r->max_pkeys = a->max_pkeys;
	r->local_ca_ack_delay = a->local_ca_ack_delay;
	r->phys_port_cnt = a->phys_port_cnt;
}

static int query_device(struct ud_call *c, struct ud_ufile *f,
			const struct ud_write_cmd *cmd)
{
	struct ib_uverbs_query_device_resp resp;

	fill_device_resp(&f->dev->attr, &resp);
	return ud_write_respond(c, cmd, &resp, sizeof(resp), NULL, 0);
}

/* EX_QUERY_DEVICE: the base attributes, then ODP's, as mlx5_ib fills it. */
static int ex_query_device(struct ud_call *c, struct ud_ufile *f,
			   const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_ex_query_device *req = (const void *)cmd->core;
	const struct ud_device_attr *a = &f->dev->attr;
	struct ib_uverbs_ex_query_device_resp resp;

	if (req->comp_mask || req->reserved)
		return -EINVAL;
	memset(&resp, 0, sizeof(resp));
	fill_device_resp(a, &resp.base);
	resp.odp_caps.general_caps = a->odp_general_caps;
	resp.odp_caps.per_transport_caps.rc_odp_caps = a->odp_rc_caps;
	resp.odp_caps.per_transport_caps.uc_odp_caps = a->odp_uc_caps;
	resp.odp_caps.per_transport_caps.ud_odp_caps = a->odp_ud_caps;
	resp.xrc_odp_caps = a->odp_xrc_caps;
	resp.response_length = cmd->resp_core_len < sizeof(resp) ?
			       cmd->resp_core_len : sizeof(resp);
	return ud_write_respond(c, cmd, &resp, sizeof(resp), NULL, 0);
}

#define WRITE_CMD(name, handler, req, resp, ctx_needed)			\
	[IB_USER_VERBS_CMD_##name] = {					\
		.fn = handler,						\
		.req_size = sizeof(struct req),				\
		.resp_size = sizeof(struct resp),			\
		.needs_context = ctx_needed,				\
	}

/* A command without a response. */
#define WRITE_CMD_NR(name, handler, req)				\
	[IB_USER_VERBS_CMD_##name] = {					\
		.fn = handler,						\
		.req_size = sizeof(struct req),				\
		.needs_context = true,					\
	}

const struct ud_write_desc ud_write_cmds[UD_WRITE_MAX_CMD] = {
	WRITE_CMD(GET_CONTEXT, get_context, ib_uverbs_get_context,
		  ib_uverbs_get_context_resp, false),
	WRITE_CMD(QUERY_DEVICE, query_device, ib_uverbs_query_device,
		  ib_uverbs_query_device_resp, true),
	WRITE_CMD(QUERY_PORT, ud_wcmd_query_port, ib_uverbs_query_port,
		  ib_uverbs_query_port_resp, true),
	WRITE_CMD(ALLOC_PD, ud_wcmd_alloc_pd, ib_uverbs_alloc_pd,
		  ib_uverbs_alloc_pd_resp, true),
	WRITE_CMD_NR(DEALLOC_PD, ud_wcmd_dealloc_pd, ib_uverbs_dealloc_pd),
	WRITE_CMD(REG_MR, ud_wcmd_reg_mr, ib_uverbs_reg_mr,
		  ib_uverbs_reg_mr_resp, true),
	WRITE_CMD_NR(DEREG_MR, ud_wcmd_dereg_mr, ib_uverbs_dereg_mr),
	WRITE_CMD(CREATE_COMP_CHANNEL, ud_cmd_create_comp_channel,
		  ib_uverbs_create_comp_channel,
		  ib_uverbs_create_comp_channel_resp, true),
	WRITE_CMD(CREATE_CQ, ud_wcmd_create_cq, ib_uverbs_create_cq,
		  ib_uverbs_create_cq_resp, true),
	WRITE_CMD(DESTROY_CQ, ud_wcmd_destroy_cq, ib_uverbs_destroy_cq,
		  ib_uverbs_destroy_cq_resp, true),
	WRITE_CMD(CREATE_QP, ud_wcmd_create_qp, ib_uverbs_create_qp,
		  ib_uverbs_create_qp_resp, true),
	WRITE_CMD(QUERY_QP, ud_wcmd_query_qp, ib_uverbs_query_qp,
		  ib_uverbs_query_qp_resp, true),
	WRITE_CMD_NR(MODIFY_QP, ud_wcmd_modify_qp, ib_uverbs_modify_qp),
	WRITE_CMD(DESTROY_QP, ud_wcmd_destroy_qp, ib_uverbs_destroy_qp,
		  ib_uverbs_destroy_qp_resp, true),
	WRITE_CMD(CREATE_SRQ, ud_wcmd_create_srq, ib_uverbs_create_srq,
		  ib_uverbs_create_srq_resp, true),
	WRITE_CMD_NR(MODIFY_SRQ, ud_wcmd_modify_srq, ib_uverbs_modify_srq),
	WRITE_CMD(QUERY_SRQ, ud_wcmd_query_srq, ib_uverbs_query_srq,
		  ib_uverbs_query_srq_resp, true),
	WRITE_CMD(DESTROY_SRQ, ud_wcmd_destroy_srq, ib_uverbs_destroy_srq,
		  ib_uverbs_destroy_srq_resp, true),
	WRITE_CMD(OPEN_XRCD, ud_wcmd_open_xrcd, ib_uverbs_open_xrcd,
		  ib_uverbs_open_xrcd_resp, true),
	WRITE_CMD_NR(CLOSE_XRCD, ud_wcmd_close_xrcd, ib_uverbs_close_xrcd),
	WRITE_CMD(CREATE_XSRQ, ud_wcmd_create_xsrq, ib_uverbs_create_xsrq,
		  ib_uverbs_create_srq_resp, true),
};

/* The kernel's minimum: the core up to response_length. */
const struct ud_write_desc ud_write_ex_cmds[UD_WRITE_MAX_CMD] = {
	[IB_USER_VERBS_EX_CMD_QUERY_DEVICE] = {
		.fn = ex_query_device,
		.req_size = sizeof(struct ib_uverbs_ex_query_device),
		.resp_size = offsetof(struct ib_uverbs_ex_query_device_resp,
				      odp_caps),
		.needs_context = true,
	},
};
