// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Device and port queries, protection domains, memory regions, XRC domains
 * and address handles.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uodp.h"

/* As libmlx5: the kernel's u64 firmware version as major.minor.sub. */
static void format_fw_ver(uint64_t raw, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u", (unsigned int)(raw >> 32),
		 (unsigned int)((raw >> 16) & 0xffff),
		 (unsigned int)(raw & 0xffff));
}

int uodp_query_device_ex(struct ibv_context *context,
			 const struct ibv_query_device_ex_input *input,
			 struct ibv_device_attr_ex *attr, size_t attr_size)
{
	struct uodp_context *ctx = to_uctx(context);
	struct ib_uverbs_ex_query_device_resp resp;
	size_t resp_size = sizeof(resp);
	struct ibv_device_attr_ex ex;
	int err;

	if (attr_size < sizeof(ex.orig_attr))
		return EINVAL;
	/* Fresh from the device: a test may compare against uodpd. */
	err = ibv_cmd_query_device_any(context, input, &ex, sizeof(ex), &resp,
				       &resp_size);
	if (err)
		return err;
	format_fw_ver(resp.base.fw_ver, ex.orig_attr.fw_ver,
		      sizeof(ex.orig_attr.fw_ver));
	/* As mlx5: the ibv bits come from the PRM ODP capability block. */
	uodp_odp_fill_caps(ctx, ex.odp_caps.general_caps, &ex);
	ex.phys_port_cnt_ex = ex.orig_attr.phys_port_cnt;
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
	struct ibv_query_port cmd;

	if (port < 1 || port > to_uctx(context)->attr.phys_port_cnt)
		return EINVAL;
	memset(attr, 0, sizeof(*attr));
	return ibv_cmd_query_port(context, port, attr, &cmd, sizeof(cmd));
}

/* ALLOC_PD's response: ib_uverbs_alloc_pd_resp, then mlx5's. */
struct uodp_alloc_pd_resp_cmd {
	uint32_t pd_handle;
	struct mlx5_ib_alloc_pd_resp mlx5;
};

struct ibv_pd *uodp_alloc_pd(struct ibv_context *context)
{
	struct uodp_alloc_pd_resp_cmd resp;
	struct ibv_alloc_pd cmd;
	struct uodp_pd *pd;
	int err;

	pd = calloc(1, sizeof(*pd));
	if (!pd) {
		errno = ENOMEM;
		return NULL;
	}
	err = ibv_cmd_alloc_pd(context, &pd->ibv_pd, &cmd, sizeof(cmd),
			       (struct ib_uverbs_alloc_pd_resp *)&resp,
			       sizeof(resp));
	if (err) {
		free(pd);
		errno = err;
		return NULL;
	}
	pd->pdn = resp.mlx5.pdn;
	return &pd->ibv_pd;
}

int uodp_dealloc_pd(struct ibv_pd *ibpd)
{
	int err;

	err = uodp_destroy_err(ibv_cmd_dealloc_pd(ibpd));
	if (err)
		return err;
	free(to_upd(ibpd));
	return 0;
}

static void fill_mr(struct uodp_mr *mr, struct ibv_pd *ibpd, void *addr,
		    size_t length, uint64_t hca_va, int access,
		    const struct ib_uverbs_reg_mr_resp *resp)
{
	mr->vmr.ibv_mr.context = ibpd->context;
	mr->vmr.ibv_mr.pd = ibpd;
	mr->vmr.ibv_mr.addr = addr;
	mr->vmr.ibv_mr.length = length;
	mr->vmr.ibv_mr.handle = resp->mr_handle;
	mr->vmr.ibv_mr.lkey = resp->lkey;
	mr->vmr.ibv_mr.rkey = resp->rkey;
	mr->vmr.mr_type = IBV_MR_TYPE_MR;
	mr->vmr.access = access;
	mr->iova = hca_va;
}

/*
 * Emulator only (UODP_EMU_CAP_POPULATE_PINNED): fault a pinned MR's pages
 * in as get_user_pages does at REG_MR on a kernel (a write fault for
 * writable access, else a read fault), which a device in another process
 * cannot do without racing the program's stores.  After the device took
 * the registration, so that its checks and RLIMIT_MEMLOCK refuse first,
 * as ib_umem_get's do, before any page is touched.  0 or get_user_pages'
 * errno: ENOMEM out of memory, EFAULT for a page that cannot be had.
 */
static int populate_pinned(void *addr, size_t length, int access)
{
	const int writable = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			     IBV_ACCESS_REMOTE_ATOMIC | IBV_ACCESS_MW_BIND;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)addr & ~(page - 1);
	uintptr_t end = ((uintptr_t)addr + length + page - 1) & ~(page - 1);
	int advice = access & writable ? MADV_POPULATE_WRITE :
					 MADV_POPULATE_READ;

	while (madvise((void *)start, end - start, advice)) {
		if (errno == EINTR || errno == EAGAIN)
			continue;
		return errno == ENOMEM ? ENOMEM : EFAULT;
	}
	return 0;
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
	/* Optional access bits are hints a device may ignore. */
	int dev_access = access & ~IBV_ACCESS_OPTIONAL_RANGE;
	uint64_t iova = implicit ? 0 : hca_va;
	struct ib_uverbs_reg_mr_resp resp;
	struct ibv_reg_mr cmd;
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
	err = ibv_cmd_reg_mr(ibpd, addr, implicit ? SIZE_MAX : length, iova,
			     dev_access, &mr->vmr, &cmd, sizeof(cmd), &resp,
			     sizeof(resp));
	if (err)
		goto err_free;
	fill_mr(mr, ibpd, addr, length, iova, access, &resp);
	if (!odp && ctx->populate_pinned) {
		err = populate_pinned(addr, length, dev_access);
		if (err) {
			ibv_cmd_dereg_mr(&mr->vmr);
			goto err_free;
		}
	}
	err = uodp_odp_mr_add(ctx, mr, to_upd(ibpd)->pdn, odp);
	if (err) {
		ibv_cmd_dereg_mr(&mr->vmr);
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

	err = uodp_destroy_err(ibv_cmd_dereg_mr(vmr));
	if (err)
		return err;
	uodp_odp_mr_del(ctx, vmr->ibv_mr.lkey);
	free(vmr);
	return 0;
}

/* OPEN_XRCD's response: ib_uverbs_open_xrcd_resp's field. */
struct uodp_open_xrcd_resp_cmd {
	uint32_t xrcd_handle;
};

struct ibv_xrcd *uodp_open_xrcd(struct ibv_context *context,
				struct ibv_xrcd_init_attr *attr)
{
	struct ibv_xrcd_init_attr init = {
		/* The kernel's ABI always has both: fd -1 is "no file". */
		.comp_mask = IBV_XRCD_INIT_ATTR_FD | IBV_XRCD_INIT_ATTR_OFLAGS,
		.fd = -1,
	};
	struct uodp_open_xrcd_resp_cmd resp;
	struct ibv_open_xrcd cmd;
	struct uodp_xrcd *xrcd;
	int err;

	if (attr->comp_mask & ~(uint32_t)(IBV_XRCD_INIT_ATTR_FD |
					  IBV_XRCD_INIT_ATTR_OFLAGS)) {
		errno = EINVAL;
		return NULL;
	}
	if (attr->comp_mask & IBV_XRCD_INIT_ATTR_FD)
		init.fd = attr->fd;
	if (attr->comp_mask & IBV_XRCD_INIT_ATTR_OFLAGS)
		init.oflags = attr->oflags;
	xrcd = calloc(1, sizeof(*xrcd));
	if (!xrcd) {
		errno = ENOMEM;
		return NULL;
	}
	err = ibv_cmd_open_xrcd(context, &xrcd->vxrcd, sizeof(xrcd->vxrcd),
				&init, &cmd, sizeof(cmd),
				(struct ib_uverbs_open_xrcd_resp *)&resp,
				sizeof(resp));
	if (err) {
		free(xrcd);
		errno = err;
		return NULL;
	}
	xrcd->xrcdn = resp.xrcd_handle;
	return &xrcd->vxrcd.xrcd;
}

int uodp_close_xrcd(struct ibv_xrcd *ibxrcd)
{
	struct uodp_xrcd *xrcd = to_uxrcd(ibxrcd);
	int err;

	err = uodp_destroy_err(ibv_cmd_close_xrcd(&xrcd->vxrcd));
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
