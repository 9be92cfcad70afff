/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Internals of the control path: one command being served, and the helpers
 * the per-object command files share.
 */
#ifndef UODPD_CTL_H
#define UODPD_CTL_H

#include "uodpd.h"

/* Object numbers: 24-bit spaces; QPNs skip the special QPs 0 and 1. */
#define UD_PDN_MIN 1
#define UD_MR_ID_MIN 2			/* key 0x100 is MLX5_INVALID_LKEY */
#define UD_CQN_MIN 1
#define UD_SRQN_MIN 1
#define UD_QPN_MIN 0x100
#define UD_XRCDN_MIN 1
#define UD_NUM_MAX 0xffffff
#define UD_CTX_ID_MAX 0xffffff

/* One operation: its arguments, its result, the fds it was handed. */
struct ud_cmd {
	struct uodpd *d;
	struct ud_ctx *ctx;
	const void *req;		/* arguments (ctl_args.h) */
	uint32_t req_len;
	int fds[UD_CMD_MAX_FDS];	/* -1 once taken or closed */
	unsigned int nfds;
	void *resp;			/* result (ctl_args.h) */
	uint32_t resp_len;
};

/* Take ownership of fd i (or -1). */
static inline int ud_cmd_take_fd(struct ud_cmd *c, unsigned int i)
{
	int fd;

	if (i >= c->nfds)
		return -1;
	fd = c->fds[i];
	c->fds[i] = -1;
	return fd;
}

/* Handlers: 0 or a negative errno; fill c->resp/resp_len on success. */
int ud_cmd_alloc_pd(struct ud_cmd *c);
int ud_cmd_dealloc_pd(struct ud_cmd *c);
int ud_cmd_reg_mr(struct ud_cmd *c);
int ud_cmd_dereg_mr(struct ud_cmd *c);
int ud_cmd_create_cq(struct ud_cmd *c);
int ud_cmd_destroy_cq(struct ud_cmd *c);
int ud_cmd_open_xrcd(struct ud_cmd *c);
int ud_cmd_close_xrcd(struct ud_cmd *c);
int ud_cmd_create_srq(struct ud_cmd *c);
int ud_cmd_modify_srq(struct ud_cmd *c);
int ud_cmd_query_srq(struct ud_cmd *c);
int ud_cmd_destroy_srq(struct ud_cmd *c);
int ud_cmd_create_qp(struct ud_cmd *c);
int ud_cmd_modify_qp(struct ud_cmd *c);
int ud_cmd_query_qp(struct ud_cmd *c);
int ud_cmd_destroy_qp(struct ud_cmd *c);
/* ctl_odp.c: the thin ODP uAPI */
int ud_cmd_odp_api(struct ud_cmd *c);
int ud_cmd_odp_map(struct ud_cmd *c);
int ud_cmd_general(struct ud_cmd *c);
int ud_cmd_query_counters(struct ud_cmd *c);

/* Objects of ctx by number: NULL when absent or another context's. */
struct ud_pd *ud_ctx_pd(struct uodpd *d, struct ud_ctx *ctx, uint32_t pdn);
struct ud_cq *ud_ctx_cq(struct uodpd *d, struct ud_ctx *ctx, uint32_t cqn);
struct ud_srq *ud_ctx_srq(struct uodpd *d, struct ud_ctx *ctx, uint32_t srqn);
struct ud_qp *ud_ctx_qp(struct uodpd *d, struct ud_ctx *ctx, uint32_t qpn);
/* The XRCD if ctx holds it open. */
struct ud_xrcd *ud_ctx_xrcd(struct uodpd *d, struct ud_ctx *ctx,
			    uint32_t xrcdn);
void ud_xrcd_get_user(struct ud_xrcd *x);
void ud_xrcd_put_user(struct uodpd *d, struct ud_xrcd *x);

/* A context of process pid (uid), in the daemon's lists; NULL: ENOMEM. */
struct ud_ctx *ud_ctx_new(struct uodpd *d, pid_t pid, uid_t uid);
/* Its async event pipe (async_rfd is the reader to hand out). */
int ud_ctx_open_async(struct ud_ctx *ctx);
/* Its doorbell eventfd, watched. */
int ud_ctx_open_doorbell(struct uodpd *d, struct ud_ctx *ctx);
/* End it when its owner process exits (a pidfd, watched). */
int ud_ctx_watch_owner(struct uodpd *d, struct ud_ctx *ctx);
void ud_ctx_owner_exited(struct uodpd *d, uint32_t ctx_id);

/* Teardown of a dying context: no reference checks. */
void ud_pd_destroy(struct uodpd *d, struct ud_pd *pd);
void ud_cq_destroy(struct uodpd *d, struct ud_cq *cq);
void ud_srq_destroy(struct uodpd *d, struct ud_srq *srq);
void ud_qp_destroy(struct uodpd *d, struct ud_qp *qp);
void ud_ctx_close_xrcds(struct uodpd *d, struct ud_ctx *ctx);

/* Whether v is a power of two between 1 and max. */
static inline bool ud_pow2_le(uint64_t v, uint64_t max)
{
	return v && !(v & (v - 1)) && v <= max;
}

#endif /* UODPD_CTL_H */
