// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The ODP methods of the command fd (rdma/uodp-odp-abi.h): mlx5's DEVX
 * event channel and its subscription to page faults, and the ODP object a
 * Linux patch would add next to DEVX (handshake, MAP with its resume,
 * counters).  Each turns into the device's own operation (ctl_odp.c,
 * odp_channel.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <rdma/mlx5_user_ioctl_cmds.h>
#include <rdma/mlx5_user_ioctl_verbs.h>

#include "ctl.h"
#include "hw/mlx5/eqe.h"
#include "odp_priv.h"
#include "rdma/uodp-emu-abi.h"
#include "rdma/uodp-odp-abi.h"
#include "uverbs.h"

#define MAX_EVENT_TYPES 8

/* ---- the DEVX event channel ---- */

static const struct ud_attr_spec event_fd_alloc_attrs[] = {
	{ MLX5_IB_ATTR_DEVX_ASYNC_EVENT_FD_ALLOC_HANDLE, UD_ATTR_NEW_FD, true,
	  0, 0 },
	{ MLX5_IB_ATTR_DEVX_ASYNC_EVENT_FD_ALLOC_FLAGS, UD_ATTR_PTR_IN, false,
	  4, 4 },
};

static int event_fd_alloc(struct ud_call *c, struct ud_ufile *f,
			  const struct ud_ioctl_cmd *cmd)
{
	struct ud_channel *ch;
	uint32_t flags = 0;
	int fd, ret;

	if (cmd->attrs[1].present &&
	    ud_ioctl_read_in(c, &cmd->attrs[1], &flags))
		return -EFAULT;
	/* Events without their data would lose the EQE: not offered. */
	if (flags)
		return flags & ~(uint32_t)MLX5_IB_UAPI_DEVX_CR_EV_CH_FLAGS_OMIT_DATA ?
		       -EINVAL : -EOPNOTSUPP;
	/* The attribute's room first: no fd for a broken array. */
	ret = ud_ioctl_set_data(c, cmd, &cmd->attrs[0], 0);
	if (ret)
		return ret;
	fd = ud_channel_create(c, f, UD_CHANNEL_DEVX_EVENT, &ch);
	if (fd < 0)
		return fd;
	return ud_ioctl_set_data(c, cmd, &cmd->attrs[0], (uint64_t)fd);
}

static const struct ud_attr_spec subscribe_attrs[] = {
	{ MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_FD_HANDLE, UD_ATTR_FD, true, 0,
	  0 },
	{ MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_OBJ_HANDLE, UD_ATTR_IDR, false, 0,
	  0 },
	{ MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_TYPE_NUM_LIST, UD_ATTR_PTR_IN, true,
	  2, 2 * MAX_EVENT_TYPES },
	{ MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_FD_NUM, UD_ATTR_PTR_IN, false, 4,
	  4 },
	{ MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_COOKIE, UD_ATTR_PTR_IN, false, 8,
	  8 },
};

/* The write end for ctx's ODP channel: our own, non-blocking. */
static int channel_writer(const struct ud_channel *ch)
{
	return fcntl(ch->wfd, F_DUPFD_CLOEXEC, 0);
}

static int subscribe_one(struct uodpd *d, struct ud_ufile *f,
			 const struct ud_channel *ch, uint16_t type,
			 uint64_t cookie)
{
	struct ud_odp_ctx *o = ud_odp_ctx_get(f->ctx);
	int wfd, ret;

	if (!o)
		return -ENOMEM;
	if (type == UODP_EVENT_TYPE_ODP_NOTICE) {
		/* Notices travel with the faults: on their channel only. */
		if (!ud_odp_channel_open_p(f->ctx) || o->chan_ino != ch->st_ino)
			return -EINVAL;
		ud_odp_channel_notices(f->ctx, cookie);
		return 0;
	}
	if (type != MLX5_EVENT_TYPE_PAGE_FAULT)
		return -EINVAL;		/* is_valid_events */
	if (!o->api_done)
		return -EPROTO;		/* the ODP handshake comes first */
	wfd = channel_writer(ch);
	if (wfd < 0)
		return -errno;
	ret = ud_odp_channel_attach(d, f->ctx, wfd, cookie, o->stats_fd);
	if (ret) {
		close(wfd);
		return ret;
	}
	o->chan_ino = ch->st_ino;
	ud_info("context %u: ODP faults on a DEVX event channel",
		f->ctx->id);
	return 0;
}

static int subscribe(struct ud_call *c, struct ud_ufile *f,
		     const struct ud_ioctl_cmd *cmd)
{
	const struct ud_ioctl_attr *list = &cmd->attrs[2];
	uint16_t types[MAX_EVENT_TYPES];
	struct ud_channel *ch;
	uint64_t cookie = 0;
	unsigned int i, notices;
	int ret;

	/* Page faults are the context's, of no one object. */
	if (cmd->attrs[1].present)
		return -EINVAL;
	if (cmd->attrs[3].present)
		return -EOPNOTSUPP;	/* redirection to an eventfd */
	if (list->len % sizeof(types[0]))
		return -EINVAL;
	ch = ud_channel_find(f, c->pid, (int)cmd->attrs[0].data,
			     UD_CHANNEL_DEVX_EVENT);
	if (!ch)
		return -EBADF;	/* not an event channel of this file */
	if (ud_ioctl_read_in(c, list, types) ||
	    (cmd->attrs[4].present &&
	     ud_ioctl_read_in(c, &cmd->attrs[4], &cookie)))
		return -EFAULT;
	/* Faults first, notices second: a list may name them in any order. */
	for (notices = 0; notices < 2; notices++) {
		for (i = 0; i < list->len / sizeof(types[0]); i++) {
			if ((types[i] == UODP_EVENT_TYPE_ODP_NOTICE) != notices)
				continue;
			ret = subscribe_one(c->d, f, ch, types[i], cookie);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---- UODP_IB_OBJECT_ODP ---- */

static const struct ud_attr_spec odp_api_attrs[] = {
	{ UODP_IB_ATTR_ODP_API_IN, UD_ATTR_PTR_IN, true,
	  sizeof(struct uodp_odp_api), sizeof(struct uodp_odp_api) },
	{ UODP_IB_ATTR_ODP_API_OUT, UD_ATTR_PTR_OUT, true,
	  sizeof(struct uodp_odp_api), sizeof(struct uodp_odp_api) },
	{ UODP_IB_ATTR_ODP_API_STATS_FD, UD_ATTR_FD, false, 0, 0 },
	{ UODP_IB_ATTR_ODP_API_UFFD, UD_ATTR_FD, false, 0, 0 },
};

/*
 * The MMU notifier the caller hands over (emulator only), checked before
 * the command runs so that a bad one fails ODP_API and changes nothing:
 * the fd, -1 without the attribute, or -errno (EBADF, EINVAL when it is
 * not a userfaultfd or one already set up, EBUSY when ctx has one).
 */
static int odp_api_uffd(struct ud_call *c, struct ud_ctx *ctx,
			const struct ud_ioctl_attr *attr)
{
	int uffd, ret;

	if (!attr->present)
		return -1;
	if (ctx->odp && ctx->odp->uffd >= 0)
		return -EBUSY;
	uffd = ud_uverbs_fetch_fd(c, (int)attr->data);
	if (uffd < 0)
		return uffd;
	ret = ud_odp_uffd_prepare(uffd);
	if (ret) {
		close(uffd);
		return ret;
	}
	return uffd;
}

static int odp_api(struct ud_call *c, struct ud_ufile *f,
		   const struct ud_ioctl_cmd *cmd)
{
	struct uodp_odp_api in, out;
	int stats_fd = -1, uffd, ret;
	struct ud_odp_ctx *o;

	if (ud_ioctl_read_in(c, &cmd->attrs[0], &in))
		return -EFAULT;
	uffd = odp_api_uffd(c, f->ctx, &cmd->attrs[3]);
	if (uffd < -1)
		return uffd;
	if (cmd->attrs[2].present) {
		stats_fd = ud_uverbs_fetch_fd(c, (int)cmd->attrs[2].data);
		ret = stats_fd < 0 ? stats_fd : ud_odp_stats_check(stats_fd);
		if (ret)
			goto err_close;
	}
	ret = ud_uverbs_run(f, c->d, ud_cmd_odp_api, &in, sizeof(in), &out,
			    -1);
	o = f->ctx->odp;
	if (!ret && !o)
		ret = -ENOMEM;
	if (ret)
		goto err_close;
	if (stats_fd >= 0) {
		if (o->stats_fd >= 0)
			close(o->stats_fd);
		o->stats_fd = stats_fd;
	}
	if (uffd >= 0)
		ud_odp_uffd_attach(c->d, f->ctx, uffd);
	else if (o->uffd < 0)
		ud_odp_uffd_absent(f->ctx);
	return ud_ioctl_write_out(c, cmd, &cmd->attrs[1], &out, sizeof(out));

err_close:
	if (stats_fd >= 0)
		close(stats_fd);
	if (uffd >= 0)
		close(uffd);
	return ret;
}

static const struct ud_attr_spec odp_map_attrs[] = {
	{ UODP_IB_ATTR_ODP_MAP_RANGES, UD_ATTR_PTR_IN, true, 0,
	  UODP_ODP_MAX_MAP_RANGES * sizeof(struct uodp_odp_map_range) },
	{ UODP_IB_ATTR_ODP_MAP_RESUME, UD_ATTR_PTR_IN, false,
	  sizeof(((struct ud_odp_map_req *)0)->resume),
	  sizeof(((struct ud_odp_map_req *)0)->resume) },
	/* The answer has grown: an older, shorter buffer gets its part. */
	{ UODP_IB_ATTR_ODP_MAP_RESP, UD_ATTR_PTR_OUT, true,
	  offsetof(struct uodp_odp_map_resp, range_done),
	  sizeof(struct uodp_odp_map_resp) },
};

static int odp_map(struct ud_call *c, struct ud_ufile *f,
		   const struct ud_ioctl_cmd *cmd)
{
	const struct ud_ioctl_attr *ranges = &cmd->attrs[0];
	struct ud_odp_map_req k = { 0 };
	struct uodp_odp_map_resp resp;
	int ret;

	if (ranges->len % sizeof(k.ranges[0]))
		return -EINVAL;
	k.nranges = ranges->len / sizeof(k.ranges[0]);
	if ((k.nranges && ud_ioctl_read_in(c, ranges, k.ranges)) ||
	    (cmd->attrs[1].present &&
	     ud_ioctl_read_in(c, &cmd->attrs[1], k.resume)))
		return -EFAULT;
	if (cmd->attrs[1].present)
		k.flags = UD_ODP_MAP_RESUME;
	ret = ud_uverbs_run(f, c->d, ud_cmd_odp_map, &k, sizeof(k), &resp, -1);
	if (ret)
		return ret;
	return ud_ioctl_write_out(c, cmd, &cmd->attrs[2], &resp,
				  sizeof(resp));
}

static const struct ud_attr_spec odp_counters_attrs[] = {
	{ UODP_IB_ATTR_ODP_COUNTERS_REQ, UD_ATTR_PTR_IN, true,
	  sizeof(struct uodp_query_counters_req),
	  sizeof(struct uodp_query_counters_req) },
	/* The answer has grown: an older, shorter buffer gets its part. */
	{ UODP_IB_ATTR_ODP_COUNTERS_RESP, UD_ATTR_PTR_OUT, true,
	  offsetof(struct uodp_query_counters_resp, flags),
	  sizeof(struct uodp_query_counters_resp) },
};

static int odp_query_counters(struct ud_call *c, struct ud_ufile *f,
			      const struct ud_ioctl_cmd *cmd)
{
	struct uodp_query_counters_req req;
	struct uodp_query_counters_resp resp;
	int ret;

	if (ud_ioctl_read_in(c, &cmd->attrs[0], &req))
		return -EFAULT;
	ret = ud_uverbs_run(f, c->d, ud_cmd_query_counters, &req, sizeof(req),
			    &resp, -1);
	if (ret)
		return ret;
	return ud_ioctl_write_out(c, cmd, &cmd->attrs[1], &resp,
				  sizeof(resp));
}

const struct ud_ioctl_desc ud_odp_methods[] = {
	UD_IOCTL_METHOD(MLX5_IB_OBJECT_DEVX_ASYNC_EVENT_FD,
			MLX5_IB_METHOD_DEVX_ASYNC_EVENT_FD_ALLOC,
			event_fd_alloc, event_fd_alloc_attrs),
	UD_IOCTL_METHOD(MLX5_IB_OBJECT_DEVX,
			MLX5_IB_METHOD_DEVX_SUBSCRIBE_EVENT, subscribe,
			subscribe_attrs),
	UD_IOCTL_METHOD(UODP_IB_OBJECT_ODP, UODP_IB_METHOD_ODP_API, odp_api,
			odp_api_attrs),
	UD_IOCTL_METHOD(UODP_IB_OBJECT_ODP, UODP_IB_METHOD_ODP_MAP, odp_map,
			odp_map_attrs),
	UD_IOCTL_METHOD(UODP_IB_OBJECT_ODP,
			UODP_IB_METHOD_ODP_QUERY_COUNTERS, odp_query_counters,
			odp_counters_attrs),
};

const unsigned int ud_odp_nmethods =
	sizeof(ud_odp_methods) / sizeof(ud_odp_methods[0]);
