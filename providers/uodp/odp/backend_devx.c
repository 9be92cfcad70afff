// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The fault engine's backend: the thin ODP uAPI as the uverbs methods a
 * Linux patch would add (rdma/uodp-odp-abi.h), on the context's command
 * fd through execute_ioctl():
 *  - the handshake is UODP_IB_METHOD_ODP_API;
 *  - faults arrive on a DEVX event channel (MLX5_IB_METHOD_DEVX_ASYNC_
 *    EVENT_FD_ALLOC) subscribed to page faults (0x0c) and to ODP notices,
 *    records of a cookie and 64 bytes, read in batches;
 *  - MAP, with or without its resume, is UODP_IB_METHOD_ODP_MAP;
 *  - PRM commands (RESUME, QUERY_HCA_CAP) are DEVX_OTHER.
 * The records are turned into the engine's struct uodp_odp_event here, so
 * the engine knows the uAPI's meaning and not its transport.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <rdma/mlx5_user_ioctl_cmds.h>

#include "hw/mlx5/eqe.h"
#include "odp/backend.h"
#include "odp/engine_int.h"
#include "odp_host.h"
#include "log.h"
#include "uodp.h"

/* Our subscriptions' cookies: what a record is. */
enum {
	COOKIE_FAULT = 1,
	COOKIE_NOTICE = 2,
};

struct devx_record {
	uint64_t cookie;
	uint8_t data[64];
};

static_assert(sizeof(struct devx_record) == UODP_ODP_EVENT_RECORD_SIZE,
	      "DEVX event record");

static struct uodp_context *be_ctx(struct uodp_odp_backend *be)
{
	return be->priv;
}

static struct ib_uverbs_attr attr_fd(uint16_t id, int fd)
{
	return (struct ib_uverbs_attr){
		.attr_id = id,
		.flags = UVERBS_ATTR_F_MANDATORY,
		.data = (uint64_t)fd,
	};
}

static int odp_api(struct uodp_context *ctx, struct uodp_odp_api *api,
		   int stats_fd, int uffd)
{
	struct uodp_odp_api want = *api;
	struct ib_uverbs_attr attrs[4] = {
		uodp_attr_in(UODP_IB_ATTR_ODP_API_IN, &want, sizeof(want)),
		uodp_attr_out(UODP_IB_ATTR_ODP_API_OUT, api, sizeof(*api)),
	};
	unsigned int n = 2;

	if (stats_fd >= 0)
		attrs[n++] = attr_fd(UODP_IB_ATTR_ODP_API_STATS_FD, stats_fd);
	if (uffd >= 0) {
		/* Optional: a kernel ignores it (its MMU notifier needs none). */
		attrs[n] = attr_fd(UODP_IB_ATTR_ODP_API_UFFD, uffd);
		attrs[n++].flags = 0;
	}
	return uodp_ioctl(ctx, UODP_IB_OBJECT_ODP, UODP_IB_METHOD_ODP_API,
			  attrs, n);
}

/*
 * The device side's MMU notifier: a userfaultfd of this process, which
 * only a process can make for its own mm (odp_uffd.c in uodpd reads it).
 * UODP_ODP_UFFD=0 goes without (a program that uses userfaultfd itself on
 * its ODP memory); invalidations are then found on access only.
 */
static int make_uffd(struct uodp_context *ctx)
{
	const char *env = getenv("UODP_ODP_UFFD");
	int fd;

	if (!ctx->odp_uffd || (env && !strcmp(env, "0")))
		return -1;
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK |
			  UFFD_USER_MODE_ONLY);
	if (fd < 0)
		uodp_dbg("userfaultfd: %s: invalidation found on access only",
			 strerror(errno));
	return fd;
}

static int alloc_event_fd(struct uodp_context *ctx, int *fd)
{
	uint32_t flags = 0;
	struct ib_uverbs_attr attrs[2] = {
		attr_fd(MLX5_IB_ATTR_DEVX_ASYNC_EVENT_FD_ALLOC_HANDLE, 0),
		uodp_attr_in(MLX5_IB_ATTR_DEVX_ASYNC_EVENT_FD_ALLOC_FLAGS,
			     &flags, sizeof(flags)),
	};
	int err;

	err = uodp_ioctl(ctx, MLX5_IB_OBJECT_DEVX_ASYNC_EVENT_FD,
			 MLX5_IB_METHOD_DEVX_ASYNC_EVENT_FD_ALLOC, attrs, 2);
	if (!err)
		*fd = (int)attrs[0].data;
	return err;
}

/* mlx5dv_devx_subscribe_devx_event(channel, NULL, type, cookie). */
static int subscribe(struct uodp_context *ctx, int fd, uint16_t type,
		     uint64_t cookie)
{
	struct ib_uverbs_attr attrs[3] = {
		attr_fd(MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_FD_HANDLE, fd),
		uodp_attr_in(MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_TYPE_NUM_LIST,
			     &type, sizeof(type)),
		uodp_attr_in(MLX5_IB_ATTR_DEVX_SUBSCRIBE_EVENT_COOKIE, &cookie,
			     sizeof(cookie)),
	};

	return uodp_ioctl(ctx, MLX5_IB_OBJECT_DEVX,
			  MLX5_IB_METHOD_DEVX_SUBSCRIBE_EVENT, attrs, 3);
}

static int devx_open_channel(struct uodp_odp_backend *be,
			     struct uodp_odp_api *api, int stats_fd,
			     int *event_fd)
{
	struct uodp_context *ctx = be_ctx(be);
	int fd = -1, err, flags, uffd;

	uffd = make_uffd(ctx);
	err = odp_api(ctx, api, stats_fd, uffd);
	if (err == EINVAL && uffd >= 0) {
		/* A kernel too old for the events it needs: go without. */
		uodp_dbg("the device refused the userfaultfd: invalidation found on access only");
		err = odp_api(ctx, api, stats_fd, -1);
	}
	/* The device keeps its own: ours would outlive a dead device. */
	if (uffd >= 0)
		close(uffd);
	if (!err && api->event_size != UODP_ODP_EVENT_RECORD_SIZE)
		err = EPROTO;
	if (!err)
		err = alloc_event_fd(ctx, &fd);
	if (!err)
		err = subscribe(ctx, fd, MLX5_EVENT_TYPE_PAGE_FAULT,
				COOKIE_FAULT);
	if (!err && (api->features & UODP_ODP_F_INVALIDATE))
		err = subscribe(ctx, fd, UODP_EVENT_TYPE_ODP_NOTICE,
				COOKIE_NOTICE);
	flags = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
	if (!err && (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK)))
		err = errno;
	if (err) {
		if (fd >= 0)
			close(fd);
		return -err;
	}
	/* The engine reads decoded records: its own size, not the wire's. */
	api->event_size = sizeof(struct uodp_odp_event);
	be->event_fd = fd;
	*event_fd = fd;
	return 0;
}

static void decode_notice(const uint8_t *data, struct uodp_odp_event *ev)
{
	struct uodp_odp_notice n;

	memcpy(&n, data, sizeof(n));
	if (n.kind == UODP_ODP_NOTICE_INVALIDATE) {
		ev->type = UODP_ODP_EVENT_INVALIDATE;
		ev->invalidate.mr_key = n.mr_key;
		ev->invalidate.va = n.va;
		ev->invalidate.length = n.length;
	} else {
		ev->type = UODP_ODP_EVENT_OVERFLOW;
		ev->overflow.lost = n.lost;
	}
}

static int devx_read_events(struct uodp_odp_backend *be,
			    struct uodp_odp_event *ev, unsigned int max)
{
	struct devx_record rec[UODP_ODP_EVENT_BATCH];
	unsigned int i, n;
	ssize_t got;

	if (max > UODP_ODP_EVENT_BATCH)
		max = UODP_ODP_EVENT_BATCH;
	do {
		got = read(be->event_fd, rec, sizeof(rec[0]) * max);
	} while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (got == 0)
		return -EPIPE;		/* the device closed the channel */
	if (got % sizeof(rec[0]))
		return -EPROTO;		/* records are never split */
	n = (unsigned int)(got / sizeof(rec[0]));
	for (i = 0; i < n; i++) {
		memset(&ev[i], 0, sizeof(ev[i]));
		if (rec[i].cookie == COOKIE_FAULT) {
			/* The token is the EQE's own. */
			ev[i].type = UODP_ODP_EVENT_PAGE_FAULT;
			memcpy(ev[i].eqe, rec[i].data, sizeof(ev[i].eqe));
		} else {
			decode_notice(rec[i].data, &ev[i]);
		}
	}
	return (int)n;
}

static int devx_map(struct uodp_odp_backend *be,
		    const struct uodp_odp_map_range *r, uint32_t n,
		    const void *resume_in, struct uodp_odp_map_resp *resp,
		    uint64_t *sent_ns)
{
	struct ib_uverbs_attr attrs[3] = {
		uodp_attr_in(UODP_IB_ATTR_ODP_MAP_RANGES, r, sizeof(*r) * n),
		uodp_attr_out(UODP_IB_ATTR_ODP_MAP_RESP, resp, sizeof(*resp)),
	};
	unsigned int nattrs = 2;

	if (n > UODP_ODP_MAX_MAP_RANGES)
		return -EINVAL;
	if (resume_in)
		attrs[nattrs++] = uodp_attr_in(UODP_IB_ATTR_ODP_MAP_RESUME,
					       resume_in,
					       sizeof(resp->resume_out));
	if (sent_ns)
		*sent_ns = uodp_now_ns();
	return -uodp_ioctl(be_ctx(be), UODP_IB_OBJECT_ODP,
			   UODP_IB_METHOD_ODP_MAP, attrs, nattrs);
}

static int devx_general_cmd(struct uodp_odp_backend *be, const void *in,
			    uint32_t inlen, void *out, uint32_t outlen,
			    uint64_t *sent_ns)
{
	if (inlen > UODP_GENERAL_CMD_MAX || outlen > UODP_GENERAL_CMD_MAX)
		return -EINVAL;
	if (sent_ns)
		*sent_ns = uodp_now_ns();
	/* DEVX_OTHER, as mlx5dv_devx_general_cmd issues it. */
	return -uodp_devx_general(be_ctx(be), in, inlen, out, outlen);
}

static void devx_close(struct uodp_odp_backend *be)
{
	if (be->event_fd >= 0)
		close(be->event_fd);
	be->event_fd = -1;
}

static const struct uodp_odp_backend_ops devx_backend_ops = {
	.name = "devx",
	.open_channel = devx_open_channel,
	.read_events = devx_read_events,
	.map = devx_map,
	.general_cmd = devx_general_cmd,
	.close = devx_close,
};

void uodp_odp_backend_devx_init(struct uodp_odp_backend *be,
				struct uodp_context *ctx)
{
	be->ops = &devx_backend_ops;
	be->priv = ctx;
	be->event_fd = -1;
}
