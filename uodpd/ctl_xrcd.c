// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * XRC domains.  An XRCD opened through a file is found again by its inode,
 * by any context, as the kernel does: O_CREAT makes one when none exists,
 * O_EXCL refuses an existing one.  Without a file every open makes a new,
 * private XRCD.  An XRCD lives while a context holds it open or an XRC SRQ
 * or XRC_RECV QP uses it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ctl.h"

static struct ud_xrcd *xrcd_find_inode(struct uodpd *d, dev_t dev, ino_t ino)
{
	struct ud_xrcd *x;

	list_for_each_safe(&d->xrcds, x, tmp, struct ud_xrcd, link)
		if (x->has_inode && x->dev == dev && x->ino == ino)
			return x;
	return NULL;
}

static struct ud_xrcd *xrcd_new(struct uodpd *d)
{
	struct ud_xrcd *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->xrcdn = ud_idr_alloc(&d->xrcd_ids, x);
	if (!x->xrcdn) {
		free(x);
		return NULL;
	}
	list_add_tail(&d->xrcds, &x->link);
	return x;
}

static void xrcd_free_if_unused(struct uodpd *d, struct ud_xrcd *x)
{
	if (x->refs || x->users)
		return;
	ud_idr_remove(&d->xrcd_ids, x->xrcdn);
	list_del(&x->link);
	free(x);
}

void ud_xrcd_get_user(struct ud_xrcd *x)
{
	x->users++;
}

void ud_xrcd_put_user(struct uodpd *d, struct ud_xrcd *x)
{
	x->users--;
	xrcd_free_if_unused(d, x);
}

static int ctx_xrcd_slot(const struct ud_ctx *ctx, uint32_t xrcdn)
{
	uint32_t i;

	for (i = 0; i < ctx->nxrcds; i++)
		if (ctx->xrcds[i] == xrcdn)
			return i;
	return -1;
}

struct ud_xrcd *ud_ctx_xrcd(struct uodpd *d, struct ud_ctx *ctx,
			    uint32_t xrcdn)
{
	if (ctx_xrcd_slot(ctx, xrcdn) < 0)
		return NULL;
	return ud_idr_find(&d->xrcd_ids, xrcdn);
}

/* The XRCD an open with this file and oflags names (maybe a new one). */
static int xrcd_for_file(struct uodpd *d, int fd, uint32_t oflags,
			 struct ud_xrcd **out)
{
	struct ud_xrcd *x;
	struct statx st;
	dev_t dev;

	/*
	 * The client's file may be on FUSE or NFS: cached attributes only, a
	 * server that does not answer must not block the device.  The inode
	 * is all the kernel's XRCD uses.
	 */
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &st))
		return -EBADF;
	dev = makedev(st.stx_dev_major, st.stx_dev_minor);
	x = xrcd_find_inode(d, dev, st.stx_ino);
	if (x && (oflags & O_EXCL))
		return -EINVAL;
	if (!x && !(oflags & O_CREAT))
		return -EAGAIN;	/* what the kernel answers */
	if (!x) {
		x = xrcd_new(d);
		if (!x)
			return -ENOMEM;
		x->has_inode = true;
		x->dev = dev;
		x->ino = st.stx_ino;
	}
	*out = x;
	return 0;
}

int ud_cmd_open_xrcd(struct ud_cmd *c)
{
	const struct ud_open_xrcd_req *req = c->req;
	struct ud_open_xrcd_resp *resp = c->resp;
	struct ud_ctx *ctx = c->ctx;
	struct ud_xrcd *x;
	int fd, ret;

	if (req->has_fd > 1 || req->has_fd != c->nfds)
		return -EBADF;
	/* Other oflags bits are ignored, as ib_uverbs_open_xrcd does. */
	if (ctx->nxrcds == sizeof(ctx->xrcds) / sizeof(ctx->xrcds[0]))
		return -EMFILE;
	if (req->has_fd) {
		fd = ud_cmd_take_fd(c, 0);
		ret = xrcd_for_file(c->d, fd, req->oflags, &x);
		close(fd);
		if (ret)
			return ret;
	} else {
		x = xrcd_new(c->d);
		if (!x)
			return -ENOMEM;
	}
	x->refs++;
	ctx->xrcds[ctx->nxrcds++] = x->xrcdn;
	resp->xrcdn = x->xrcdn;
	resp->reserved = 0;
	c->resp_len = sizeof(*resp);
	return 0;
}

/* Drop ctx's hold on slot i. */
static void ctx_xrcd_release(struct uodpd *d, struct ud_ctx *ctx, int i)
{
	struct ud_xrcd *x = ud_idr_find(&d->xrcd_ids, ctx->xrcds[i]);

	ctx->xrcds[i] = ctx->xrcds[--ctx->nxrcds];
	if (!x)
		return;
	x->refs--;
	xrcd_free_if_unused(d, x);
}

static bool ctx_uses_xrcd(const struct ud_ctx *ctx, uint32_t xrcdn)
{
	const struct ud_srq *srq;
	const struct ud_qp *qp;

	list_for_each(&ctx->srqs, srq, struct ud_srq, ctx_link)
		if (srq->xrcdn == xrcdn)
			return true;
	list_for_each(&ctx->qps, qp, struct ud_qp, ctx_link)
		if (qp->xrcdn == xrcdn)
			return true;
	return false;
}

int ud_cmd_close_xrcd(struct ud_cmd *c)
{
	const struct ud_handle_req *req = c->req;
	int i = ctx_xrcd_slot(c->ctx, req->handle);

	if (i < 0)
		return -ENOENT;
	/*
	 * This context's SRQs and target QPs hold its handle, as they hold
	 * the kernel's uobject: while they exist it cannot be closed.
	 * Other contexts' users of a shared XRCD are theirs.
	 */
	if (ctx_uses_xrcd(c->ctx, req->handle))
		return -EBUSY;
	ctx_xrcd_release(c->d, c->ctx, i);
	return 0;
}

void ud_ctx_close_xrcds(struct uodpd *d, struct ud_ctx *ctx)
{
	while (ctx->nxrcds)
		ctx_xrcd_release(d, ctx, ctx->nxrcds - 1);
}
