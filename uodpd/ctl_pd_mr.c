// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* Protection domains and memory regions (the MR table itself is mem.c). */
#include <errno.h>
#include <stdlib.h>

#include "ctl.h"

struct ud_pd *ud_ctx_pd(struct uodpd *d, struct ud_ctx *ctx, uint32_t pdn)
{
	struct ud_pd *pd = ud_idr_find(&d->pds, pdn);

	return pd && pd->ctx == ctx ? pd : NULL;
}

void ud_pd_destroy(struct uodpd *d, struct ud_pd *pd)
{
	ud_idr_remove(&d->pds, pd->pdn);
	list_del(&pd->ctx_link);
	ud_res_put(pd->ctx, UD_RES_PD);
	free(pd);
}

int ud_cmd_alloc_pd(struct ud_cmd *c)
{
	struct ud_alloc_pd_resp *resp = c->resp;
	struct ud_pd *pd;
	int ret = ud_res_check(c->ctx, UD_RES_PD);

	if (ret)
		return ret;
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return -ENOMEM;
	pd->pdn = ud_idr_alloc(&c->d->pds, pd);
	if (!pd->pdn) {
		free(pd);
		return -ENOMEM;
	}
	pd->ctx = c->ctx;
	list_add_tail(&c->ctx->pds, &pd->ctx_link);
	ud_res_get(c->ctx, UD_RES_PD);
	resp->pdn = pd->pdn;
	resp->reserved = 0;
	c->resp_len = sizeof(*resp);
	return 0;
}

int ud_cmd_dealloc_pd(struct ud_cmd *c)
{
	const struct ud_handle_req *req = c->req;
	struct ud_pd *pd = ud_ctx_pd(c->d, c->ctx, req->handle);

	if (!pd)
		return -ENOENT;
	if (pd->refs)
		return -EBUSY;
	ud_pd_destroy(c->d, pd);
	return 0;
}

int ud_cmd_reg_mr(struct ud_cmd *c)
{
	const struct ud_reg_mr_req *req = c->req;
	struct ud_reg_mr_resp *resp = c->resp;
	struct ud_pd *pd = ud_ctx_pd(c->d, c->ctx, req->pdn);
	struct ud_mr *mr;
	int ret;

	if (!pd)
		return -EINVAL;
	ret = ud_mr_register(c->d, c->ctx, pd->pdn, req->addr, req->length,
			     req->iova, req->access, req->memlock_pages, &mr);
	if (ret)
		return ret;
	pd->refs++;
	resp->lkey = mr->key;
	resp->rkey = mr->key;
	c->resp_len = sizeof(*resp);
	return 0;
}

int ud_cmd_dereg_mr(struct ud_cmd *c)
{
	const struct ud_handle_req *req = c->req;
	struct ud_mr *mr = ud_mr_lookup(c->d, req->handle);
	struct ud_pd *pd;

	if (!mr || mr->ctx != c->ctx)
		return -ENOENT;
	pd = ud_ctx_pd(c->d, c->ctx, mr->pdn);
	if (pd)
		pd->refs--;
	ud_mr_destroy(c->d, mr);
	return 0;
}
