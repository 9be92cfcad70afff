// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* Completion queues: a CQE ring and a doorbell record (qmem.c). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"
#include "hw/mlx5/cqe.h"
#include "uverbs.h"

#define NUM_COMP_VECTORS 1		/* as GET_CONTEXT reports */


struct ud_cq *ud_cq_lookup(struct uodpd *d, uint32_t cqn)
{
	return ud_idr_find(&d->cqs, cqn);
}

struct ud_cq *ud_ctx_cq(struct uodpd *d, struct ud_ctx *ctx, uint32_t cqn)
{
	struct ud_cq *cq = ud_cq_lookup(d, cqn);

	return cq && cq->ctx == ctx ? cq : NULL;
}

void ud_cq_destroy(struct uodpd *d, struct ud_cq *cq)
{
	ud_channel_unbind_cq(cq);
	ud_idr_remove(&d->cqs, cq->cqn);
	list_del(&cq->ctx_link);
	ud_res_put(cq->ctx, UD_RES_CQ);
	ud_qmem_detach(&cq->mem);
	free(cq);
}

static int cq_map(struct ud_cq *cq, const struct ud_create_cq_req *req,
		  int fd, pid_t pid, uint32_t max_cqe)
{
	/* The provider rounds cqe + 1 up to a power of two. */
	if (!ud_pow2_le(req->cqe_cnt, (uint64_t)max_cqe + 1) ||
	    req->cqe_size != MLX5_CQE_SIZE)
		return -EINVAL;
	cq->cqe_cnt = req->cqe_cnt;
	return ud_qmem_attach(&cq->mem, &req->mem, fd, pid,
			      (uint64_t)req->cqe_cnt * MLX5_CQE_SIZE,
			      2 * sizeof(uint32_t), true);
}

int ud_cmd_create_cq(struct ud_cmd *c)
{
	const struct ud_create_cq_req *req = c->req;
	struct ud_create_cq_resp *resp = c->resp;
	struct ud_channel *channel = NULL;
	struct ud_cq *cq;
	int fd = ud_cmd_take_fd(c, 0);
	int ret;

	/* As ib_uverbs: the channel fd must be one of this file's. */
	if (req->comp_channel >= 0)
		channel = ud_channel_lookup(c->ctx, c->ctx->pid,
					    req->comp_channel);
	if (req->comp_channel >= 0 && !channel) {
		close(fd);
		return -EBADF;	/* not a channel of this file */
	}
	if (req->comp_vector >= NUM_COMP_VECTORS) {
		close(fd);
		return -EINVAL;
	}
	ret = ud_res_check(c->ctx, UD_RES_CQ);
	if (ret) {
		close(fd);
		return ret;
	}
	cq = calloc(1, sizeof(*cq));
	if (!cq) {
		close(fd);
		return -ENOMEM;
	}
	ret = cq_map(cq, req, fd, c->ctx->pid, c->ctx->dev->attr.max_cqe);
	close(fd);
	if (ret)
		goto err_free;
	cq->cqn = ud_idr_alloc(&c->d->cqs, cq);
	if (!cq->cqn) {
		ret = -ENOMEM;
		goto err_unmap;
	}
	cq->ctx = c->ctx;
	cq->user_handle = req->user_handle;
	cq->comp_vector = req->comp_vector;
	list_add_tail(&c->ctx->cqs, &cq->ctx_link);
	ud_res_get(c->ctx, UD_RES_CQ);
	if (channel)
		ud_channel_bind_cq(channel, cq);
	resp->cqn = cq->cqn;
	resp->reserved = 0;
	c->resp_len = sizeof(*resp);
	return 0;

err_unmap:
	ud_qmem_detach(&cq->mem);
err_free:
	free(cq);
	return ret;
}

int ud_cmd_destroy_cq(struct ud_cmd *c)
{
	const struct ud_handle_req *req = c->req;
	struct ud_cq *cq = ud_ctx_cq(c->d, c->ctx, req->handle);
	struct ud_destroy_cq_resp *resp = c->resp;

	if (!cq)
		return -ENOENT;
	if (cq->refs)
		return -EBUSY;
	resp->comp_events_reported = ud_channel_unbind_cq(cq);
	resp->async_events_reported = ud_async_take_back(cq->ctx,
							 cq->user_handle,
							 cq->async_events);
	c->resp_len = sizeof(*resp);
	ud_cq_destroy(c->d, cq);
	return 0;
}
