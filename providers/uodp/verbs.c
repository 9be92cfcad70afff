// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Device and port queries, protection domains, memory regions, XRC domains
 * and address handles.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uodp.h"

static void fill_device_attr(const struct uodp_device_attr *a,
			     struct ibv_device_attr *d)
{
	memcpy(d->fw_ver, a->fw_ver, sizeof(d->fw_ver));
	d->fw_ver[sizeof(d->fw_ver) - 1] = 0;
	d->node_guid = a->node_guid;
	d->sys_image_guid = a->sys_image_guid;
	d->max_mr_size = a->max_mr_size;
	d->page_size_cap = a->page_size_cap;
	d->vendor_id = a->vendor_id;
	d->vendor_part_id = a->vendor_part_id;
	d->hw_ver = a->hw_ver;
	d->max_qp = (int)a->max_qp;
	d->max_qp_wr = (int)a->max_qp_wr;
	d->device_cap_flags = a->device_cap_flags;
	d->max_sge = (int)a->max_sge;
	d->max_sge_rd = (int)a->max_sge_rd;
	d->max_cq = (int)a->max_cq;
	d->max_cqe = (int)a->max_cqe;
	d->max_mr = (int)a->max_mr;
	d->max_pd = (int)a->max_pd;
	d->max_qp_rd_atom = (int)a->max_qp_rd_atom;
	d->max_ee_rd_atom = (int)a->max_ee_rd_atom;
	d->max_res_rd_atom = (int)a->max_res_rd_atom;
	d->max_qp_init_rd_atom = (int)a->max_qp_init_rd_atom;
	d->atomic_cap = (enum ibv_atomic_cap)a->atomic_cap;
	d->max_ah = (int)a->max_ah;
	d->max_srq = (int)a->max_srq;
	d->max_srq_wr = (int)a->max_srq_wr;
	d->max_srq_sge = (int)a->max_srq_sge;
	d->max_pkeys = a->max_pkeys;
	d->local_ca_ack_delay = a->local_ca_ack_delay;
	d->phys_port_cnt = a->phys_port_cnt;
}

int uodp_query_device_ex(struct ibv_context *context,
			 const struct ibv_query_device_ex_input *input,
			 struct ibv_device_attr_ex *attr, size_t attr_size)
{
	struct uodp_context *ctx = to_uctx(context);
	struct ibv_device_attr_ex ex = {};
	struct uodp_device_attr a;
	int err;

	if (input && input->comp_mask)
		return EINVAL;
	if (attr_size < sizeof(ex.orig_attr))
		return EINVAL;
	/* Fresh from the device: a test may compare against uodpd. */
	err = uodp_cmd(ctx, UODP_CMD_QUERY_DEVICE, NULL, 0, NULL, 0, &a,
		       sizeof(a), NULL, 0);
	if (err)
		return err;
	fill_device_attr(&a, &ex.orig_attr);
	/* As mlx5: the ibv bits come from the PRM ODP capability block. */
	uodp_odp_fill_caps(ctx, &a, &ex);
	ex.phys_port_cnt_ex = a.phys_port_cnt;
	if (attr_size <= sizeof(ex)) {
		memcpy(attr, &ex, attr_size);
	} else {	/* a newer caller: what we do not know is zero */
		memcpy(attr, &ex, sizeof(ex));
		memset((uint8_t *)attr + sizeof(ex), 0, attr_size - sizeof(ex));
	}
	return 0;
}

int uodp_query_port(struct ibv_context *context, uint8_t port,
		    struct ibv_port_attr *attr)
{
	struct uodp_query_port_req req = { .port_num = port };
	struct uodp_port_attr p;
	int err;

	if (port < 1 || port > to_uctx(context)->attr.phys_port_cnt)
		return EINVAL;
	err = uodp_cmd(to_uctx(context), UODP_CMD_QUERY_PORT, &req,
		       sizeof(req), NULL, 0, &p, sizeof(p), NULL, 0);
	if (err)
		return err;
	memset(attr, 0, sizeof(*attr));
	attr->state = (enum ibv_port_state)p.state;
	attr->max_mtu = (enum ibv_mtu)p.max_mtu;
	attr->active_mtu = (enum ibv_mtu)p.active_mtu;
	attr->gid_tbl_len = (int)p.gid_tbl_len;
	attr->port_cap_flags = p.port_cap_flags;
	attr->max_msg_sz = p.max_msg_sz;
	attr->bad_pkey_cntr = p.bad_pkey_cntr;
	attr->qkey_viol_cntr = p.qkey_viol_cntr;
	attr->pkey_tbl_len = p.pkey_tbl_len;
	attr->lid = p.lid;
	attr->sm_lid = p.sm_lid;
	attr->lmc = p.lmc;
	attr->max_vl_num = p.max_vl_num;
	attr->sm_sl = p.sm_sl;
	attr->subnet_timeout = p.subnet_timeout;
	attr->init_type_reply = p.init_type_reply;
	attr->active_width = p.active_width;
	attr->active_speed = p.active_speed;
	attr->phys_state = p.phys_state;
	attr->link_layer = p.link_layer;
	attr->flags = p.flags;
	attr->port_cap_flags2 = p.port_cap_flags2;
	return 0;
}

struct ibv_pd *uodp_alloc_pd(struct ibv_context *context)
{
	struct uodp_alloc_pd_resp resp;
	struct uodp_pd *pd;
	int err;

	pd = calloc(1, sizeof(*pd));
	if (!pd) {
		errno = ENOMEM;
		return NULL;
	}
	err = uodp_cmd(to_uctx(context), UODP_CMD_ALLOC_PD, NULL, 0, NULL, 0,
		       &resp, sizeof(resp), NULL, 0);
	if (err) {
		free(pd);
		errno = err;
		return NULL;
	}
	pd->pdn = resp.pdn;
	pd->ibv_pd.context = context;
	pd->ibv_pd.handle = resp.pdn;
	return &pd->ibv_pd;
}

int uodp_dealloc_pd(struct ibv_pd *ibpd)
{
	struct uodp_pd *pd = to_upd(ibpd);
	int err;

	err = uodp_cmd_destroy(to_uctx(ibpd->context), UODP_CMD_DEALLOC_PD,
			      pd->pdn);
	if (err)
		return err;
	free(pd);
	return 0;
}

static void fill_mr(struct uodp_mr *mr, struct ibv_pd *ibpd, void *addr,
		    size_t length, uint64_t hca_va, int access,
		    const struct uodp_reg_mr_resp *resp)
{
	mr->vmr.ibv_mr.context = ibpd->context;
	mr->vmr.ibv_mr.pd = ibpd;
	mr->vmr.ibv_mr.addr = addr;
	mr->vmr.ibv_mr.length = length;
	mr->vmr.ibv_mr.handle = resp->lkey;
	mr->vmr.ibv_mr.lkey = resp->lkey;
	mr->vmr.ibv_mr.rkey = resp->rkey;
	mr->vmr.mr_type = IBV_MR_TYPE_MR;
	mr->vmr.access = access;
	mr->iova = hca_va;
}

/*
 * With IBV_ACCESS_ON_DEMAND an ODP MR: explicit, or implicit for
 * (NULL, SIZE_MAX), the whole address space.  Its faults are served by the
 * context's fault engine, which starts here with the first ODP MR.
 */
struct ibv_mr *uodp_reg_mr(struct ibv_pd *ibpd, void *addr, size_t length,
			   uint64_t hca_va, int access)
{
	struct uodp_context *ctx = to_uctx(ibpd->context);
	bool odp = access & IBV_ACCESS_ON_DEMAND;
	bool implicit = odp && !addr && length == SIZE_MAX;
	struct uodp_reg_mr_req req = {
		.pdn = to_upd(ibpd)->pdn,
		/* Optional access bits are hints a device may ignore. */
		.access = (uint32_t)access &
			  ~(uint32_t)IBV_ACCESS_OPTIONAL_RANGE,
		.addr = (uintptr_t)addr,
		.length = implicit ? UINT64_MAX : length,
		.iova = implicit ? 0 : hca_va,
	};
	struct uodp_reg_mr_resp resp;
	struct uodp_mr *mr;
	int err;

	if (odp) {
		err = uodp_odp_start_engine(ctx);
		if (err)
			goto err_out;
	}
	mr = calloc(1, sizeof(*mr));
	if (!mr) {
		err = ENOMEM;
		goto err_out;
	}
	err = uodp_cmd(ctx, UODP_CMD_REG_MR, &req, sizeof(req), NULL, 0,
		       &resp, sizeof(resp), NULL, 0);
	if (err)
		goto err_free;
	fill_mr(mr, ibpd, addr, length, req.iova, access, &resp);
	err = uodp_odp_mr_add(ctx, mr, req.pdn, odp);
	if (err) {
		uodp_cmd_destroy(ctx, UODP_CMD_DEREG_MR, resp.lkey);
		goto err_free;
	}
	return &mr->vmr.ibv_mr;

err_free:
	free(mr);
err_out:
	errno = err;
	return NULL;
}

int uodp_dereg_mr(struct verbs_mr *vmr)
{
	struct uodp_context *ctx = to_uctx(vmr->ibv_mr.context);
	int err;

	err = uodp_cmd_destroy(ctx, UODP_CMD_DEREG_MR, vmr->ibv_mr.handle);
	if (err)
		return err;
	uodp_odp_mr_del(ctx, vmr->ibv_mr.lkey);
	free(vmr);
	return 0;
}

struct ibv_xrcd *uodp_open_xrcd(struct ibv_context *context,
				struct ibv_xrcd_init_attr *attr)
{
	struct uodp_open_xrcd_req req = {};
	struct uodp_open_xrcd_resp resp;
	struct uodp_xrcd *xrcd;
	int fd = -1, err;

	if (attr->comp_mask & ~(uint32_t)(IBV_XRCD_INIT_ATTR_FD |
					  IBV_XRCD_INIT_ATTR_OFLAGS)) {
		errno = EINVAL;
		return NULL;
	}
	if (attr->comp_mask & IBV_XRCD_INIT_ATTR_FD)
		fd = attr->fd;
	if (attr->comp_mask & IBV_XRCD_INIT_ATTR_OFLAGS)
		req.oflags = (uint32_t)attr->oflags;
	req.has_fd = fd >= 0;

	xrcd = calloc(1, sizeof(*xrcd));
	if (!xrcd) {
		errno = ENOMEM;
		return NULL;
	}
	err = uodp_cmd(to_uctx(context), UODP_CMD_OPEN_XRCD, &req, sizeof(req),
		       &fd, req.has_fd ? 1 : 0, &resp, sizeof(resp), NULL, 0);
	if (err) {
		free(xrcd);
		errno = err;
		return NULL;
	}
	xrcd->xrcdn = resp.xrcdn;
	xrcd->vxrcd.xrcd.context = context;
	xrcd->vxrcd.comp_mask = 1;	/* VERBS_XRCD_HANDLE */
	xrcd->vxrcd.handle = resp.xrcdn;
	return &xrcd->vxrcd.xrcd;
}

int uodp_close_xrcd(struct ibv_xrcd *ibxrcd)
{
	struct uodp_xrcd *xrcd = to_uxrcd(ibxrcd);
	int err;

	err = uodp_cmd_destroy(to_uctx(ibxrcd->context), UODP_CMD_CLOSE_XRCD,
			      xrcd->xrcdn);
	if (err)
		return err;
	free(xrcd);
	return 0;
}

struct ibv_ah *uodp_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr)
{
	struct uodp_context *ctx = to_uctx(pd->context);
	struct uodp_ah *ah;
	int err;

	if (attr->port_num < 1 || attr->port_num > ctx->attr.phys_port_cnt ||
	    (attr->is_global && attr->grh.sgid_index >= ctx->gid_tbl_len)) {
		errno = EINVAL;
		return NULL;
	}
	ah = calloc(1, sizeof(*ah));
	if (!ah) {
		errno = ENOMEM;
		return NULL;
	}
	err = uodp_av_build(&ah->av, attr, &ah->extended);
	if (err) {
		uodp_dbg("create_ah: a RoCE port needs a GRH (is_global)");
		free(ah);
		errno = err;
		return NULL;
	}
	ah->ibv_ah.context = pd->context;
	ah->ibv_ah.pd = pd;
	return &ah->ibv_ah;
}

int uodp_destroy_ah(struct ibv_ah *ah)
{
	free(to_uah(ah));
	return 0;
}
