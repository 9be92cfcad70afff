// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The object commands of the command fd: QUERY_PORT, PD, MR and CQ, each a
 * kernel request (<rdma/ib_user_verbs.h>, mlx5's driver data) turned into
 * the device's own operation (ctl_*.c) and its answer turned back.  Handles
 * are the device numbers (PDN, MR key, CQN), checked against the context
 * on every use, as ib_uverbs checks its IDR handles.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl.h"
#include "rdma/uodp-emu-abi.h"
#include "uverbs.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL		/* Linux 6.9 */
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

int ud_uverbs_udata(const struct ud_udata *u, void *dst, size_t len)
{
	if (u->inlen < len)
		return -EINVAL;
	memcpy(dst, u->in, len);
	return 0;
}

int ud_uverbs_run(struct ud_ufile *f, struct uodpd *d,
		  int (*fn)(struct ud_cmd *), const void *req, uint32_t len,
		  void *resp, int fd)
{
	uint8_t out[UD_CMD_MAX_SIZE];
	struct ud_cmd k = {
		.d = d, .ctx = f->ctx, .req = req, .req_len = len,
		.resp = out, .fds = { fd }, .nfds = fd >= 0,
	};
	unsigned int i;
	int ret;

	ret = fn(&k);
	for (i = 0; i < k.nfds; i++)
		if (k.fds[i] >= 0)
			close(k.fds[i]);
	if (!ret && resp)
		memcpy(resp, out, k.resp_len);
	return ret;
}

int ud_uverbs_destroy(struct ud_ufile *f, struct uodpd *d,
		      int (*fn)(struct ud_cmd *), uint32_t handle, void *resp)
{
	struct ud_handle_req k = { .handle = handle };

	return ud_uverbs_run(f, d, fn, &k, sizeof(k), resp, -1);
}

int ud_uverbs_respond_created(struct ud_call *c, struct ud_ufile *f,
			      const struct ud_write_cmd *cmd,
			      const void *core, size_t core_len,
			      const void *drv, size_t drv_len,
			      int (*destroy)(struct ud_cmd *), uint32_t handle)
{
	int ret = ud_write_respond(c, cmd, core, core_len, drv, drv_len);

	if (ret)
		ud_uverbs_destroy(f, c->d, destroy, handle, NULL);
	return ret;
}

/*
 * The calling thread's pidfd: the thread group's leader may have exited
 * (its files are gone) while this thread runs.  Kernels before 6.9 have no
 * thread pidfds: the group's, then.
 */
static int caller_pidfd(struct ud_call *c)
{
	pid_t tgid;
	int pidfd;

	pidfd = (int)syscall(SYS_pidfd_open, c->pid, PIDFD_THREAD);
	if (pidfd >= 0 || errno != EINVAL)
		return pidfd < 0 ? -errno : pidfd;
	tgid = ud_call_tgid(c);
	if (tgid < 0)
		return tgid;
	pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
	return pidfd < 0 ? -errno : pidfd;
}

int ud_uverbs_fetch_fd(struct ud_call *c, int number)
{
	int pidfd, fd;

	pidfd = caller_pidfd(c);
	if (pidfd < 0)
		return pidfd;
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, number, 0);
	close(pidfd);
	return fd < 0 ? -EBADF : fd;
}

int ud_uverbs_queue_mem(struct ud_call *c, const struct ud_udata *u,
			size_t ref_off, uint64_t buf_addr, uint64_t db_addr,
			struct ud_queue_mem *mem, int *fd)
{
	struct uodp_qmem_ref ref = { .fd = -1 };

	*fd = -1;
	if (c->d->queue_memfd && u->inlen >= ref_off + sizeof(ref))
		memcpy(&ref, u->in + ref_off, sizeof(ref));
	if (ref.fd < 0) {
		/* The provider's own memory, as a kernel takes it. */
		*mem = (struct ud_queue_mem){ .buf = buf_addr,
					      .dbrec = db_addr };
		return 0;
	}
	*fd = ud_uverbs_fetch_fd(c, ref.fd);
	if (*fd < 0)
		return *fd;
	*mem = (struct ud_queue_mem){ .mmap_size = ref.size,
				      .buf = ref.buf_offset,
				      .dbrec = ref.dbrec_offset };
	return 0;
}

/* ---- QUERY_PORT ---- */

void ud_uverbs_port_resp(const struct ud_device *dev,
			 struct ib_uverbs_query_port_resp *resp)
{
	const struct ud_port_attr *p = &dev->port;

	*resp = (struct ib_uverbs_query_port_resp){
		.port_cap_flags = p->port_cap_flags,
		.max_msg_sz = p->max_msg_sz,
		.bad_pkey_cntr = p->bad_pkey_cntr,
		.qkey_viol_cntr = p->qkey_viol_cntr,
		.gid_tbl_len = p->gid_tbl_len,
		.pkey_tbl_len = p->pkey_tbl_len,
		.lid = p->lid,
		.sm_lid = p->sm_lid,
		.state = (uint8_t)p->state,
		.max_mtu = (uint8_t)p->max_mtu,
		.active_mtu = (uint8_t)p->active_mtu,
		.lmc = p->lmc,
		.max_vl_num = p->max_vl_num,
		.sm_sl = p->sm_sl,
		.subnet_timeout = p->subnet_timeout,
		.init_type_reply = p->init_type_reply,
		.active_width = p->active_width,
		.active_speed = p->active_speed,
		.phys_state = p->phys_state,
		.link_layer = p->link_layer,
		.flags = p->flags,
	};
}

int ud_wcmd_query_port(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_query_port *req = (const void *)cmd->core;
	struct ib_uverbs_query_port_resp resp;

	if (req->port_num < 1 || req->port_num > f->dev->attr.phys_port_cnt)
		return -EINVAL;
	ud_uverbs_port_resp(f->dev, &resp);
	return ud_write_respond(c, cmd, &resp, sizeof(resp), NULL, 0);
}

/* ---- PD ---- */

int ud_wcmd_alloc_pd(struct ud_call *c, struct ud_ufile *f,
		     const struct ud_write_cmd *cmd)
{
	struct ud_alloc_pd_resp out;
	struct ib_uverbs_alloc_pd_resp resp;
	struct mlx5_ib_alloc_pd_resp drv;
	int ret;

	ret = ud_uverbs_run(f, c->d, ud_cmd_alloc_pd, NULL, 0, &out, -1);
	if (ret)
		return ret;
	resp.pd_handle = out.pdn;
	drv.pdn = out.pdn;
	return ud_uverbs_respond_created(c, f, cmd, &resp, sizeof(resp), &drv,
			       sizeof(drv), ud_cmd_dealloc_pd, out.pdn);
}

int ud_wcmd_dealloc_pd(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_dealloc_pd *req = (const void *)cmd->core;

	return ud_uverbs_destroy(f, c->d, ud_cmd_dealloc_pd, req->pd_handle, NULL);
}

/* ---- MR ---- */

int ud_wcmd_reg_mr(struct ud_call *c, struct ud_ufile *f,
		   const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_reg_mr *req = (const void *)cmd->core;
	struct ud_reg_mr_req k = {
		.pdn = req->pd_handle,
		.access = req->access_flags,
		.addr = req->start,
		.length = req->length,
		.iova = req->hca_va,
	};
	struct ib_uverbs_reg_mr_resp resp;
	struct ud_reg_mr_resp out;
	int ret;

	/* What ib_umem_get asks of current; no context, no MR anyway. */
	if (!(k.access & IB_UVERBS_ACCESS_ON_DEMAND) && f->ctx) {
		ret = ud_pin_caller_limit(c, c->d, f->ctx, k.addr, k.length,
					  &k.memlock_pages);
		if (ret)
			return ret;
	}
	ret = ud_uverbs_run(f, c->d, ud_cmd_reg_mr, &k, sizeof(k), &out, -1);
	if (ret)
		return ret;
	resp.mr_handle = out.lkey;
	resp.lkey = out.lkey;
	resp.rkey = out.rkey;
	return ud_uverbs_respond_created(c, f, cmd, &resp, sizeof(resp), NULL, 0,
			       ud_cmd_dereg_mr, out.lkey);
}

int ud_wcmd_dereg_mr(struct ud_call *c, struct ud_ufile *f,
		     const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_dereg_mr *req = (const void *)cmd->core;

	return ud_uverbs_destroy(f, c->d, ud_cmd_dereg_mr, req->mr_handle, NULL);
}

/* ---- CQ ---- */

/* mlx5_ib_create_cq's ring size: cqe + 1 rounded up to a power of two. */
static uint32_t pow2_above(uint32_t cqe)
{
	uint32_t n = 1;

	while (n < cqe + 1)
		n <<= 1;
	return n;
}

int ud_uverbs_create_cq(struct ud_call *c, struct ud_ufile *f,
			const struct ud_cq_create *req,
			const struct ud_udata *u, struct ud_cq_created *out)
{
	struct mlx5_ib_create_cq udata;
	struct ud_create_cq_resp res;
	struct ud_create_cq_req k;
	int fd, ret;

	/* The core's checks first, as ib_uverbs makes them. */
	if (req->comp_vector >= UD_NUM_COMP_VECTORS)
		return -EINVAL;
	/*
	 * mlx5_ib takes both flags; this device has no completion
	 * timestamps and always reports an overrun.
	 */
	if (req->flags)
		return -EOPNOTSUPP;
	if (ud_uverbs_udata(u, &udata, sizeof(udata)) ||
	    req->cqe >= UD_NUM_MAX)
		return -EINVAL;
	k = (struct ud_create_cq_req){
		.user_handle = req->user_handle,
		.cqe_cnt = pow2_above(req->cqe),
		.cqe_size = udata.cqe_size,
		.comp_channel = req->comp_channel,
		.comp_vector = req->comp_vector,
	};
	ret = ud_uverbs_queue_mem(c, u,
				  offsetof(struct uodp_create_cq_drv, qmem),
				  udata.buf_addr, udata.db_addr, &k.mem, &fd);
	if (ret)
		return ret;
	ret = ud_uverbs_run(f, c->d, ud_cmd_create_cq, &k, sizeof(k), &res, fd);
	if (ret)
		return ret;
	*out = (struct ud_cq_created){
		.cqn = res.cqn,
		.cqe = k.cqe_cnt - 1,
		.drv = { .cqn = res.cqn },
	};
	return 0;
}

int ud_wcmd_create_cq(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_create_cq *req = (const void *)cmd->core;
	struct ud_cq_create k = {
		.user_handle = req->user_handle,
		.cqe = req->cqe,
		.comp_channel = req->comp_channel,
		.comp_vector = req->comp_vector,
	};
	struct ud_udata u = ud_write_udata(cmd);
	struct ib_uverbs_create_cq_resp resp;
	struct ud_cq_created out;
	int ret;

	ret = ud_uverbs_create_cq(c, f, &k, &u, &out);
	if (ret)
		return ret;
	resp.cq_handle = out.cqn;
	resp.cqe = out.cqe;
	return ud_uverbs_respond_created(c, f, cmd, &resp, sizeof(resp),
					 &out.drv, sizeof(out.drv),
					 ud_cmd_destroy_cq, out.cqn);
}

int ud_wcmd_destroy_cq(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_destroy_cq *req = (const void *)cmd->core;
	struct ud_destroy_cq_resp out;
	struct ib_uverbs_destroy_cq_resp resp;
	int ret;

	ret = ud_uverbs_destroy(f, c->d, ud_cmd_destroy_cq, req->cq_handle, &out);
	if (ret)
		return ret;
	resp.comp_events_reported = out.comp_events_reported;
	resp.async_events_reported = out.async_events_reported;
	/* The CQ is gone either way; a bad buffer only loses the counts. */
	return ud_write_respond(c, cmd, &resp, sizeof(resp), NULL, 0);
}
