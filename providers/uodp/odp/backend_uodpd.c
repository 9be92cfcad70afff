// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The uodpd backend of the fault engine: the thin ODP uAPI as commands on
 * the context's uodpd socket (UODP_CMD_ODP_API, ODP_CREATE_CHANNEL,
 * ODP_MAP, GENERAL) and the event channel fd uodpd returns.  uodpd serves
 * one command at a time per connection and never blocks in one, so the
 * engine shares the socket (and its lock) with the application's verbs
 * without deadlock: a resume waits at most for one application command.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "odp/backend.h"
#include "odp_host.h"
#include "uodp.h"

static struct uodp_context *be_ctx(struct uodp_odp_backend *be)
{
	return be->priv;
}

static int uodpd_open_channel(struct uodp_odp_backend *be,
			      struct uodp_odp_api *api, int stats_fd,
			      int *event_fd)
{
	struct uodp_context *ctx = be_ctx(be);
	struct uodp_odp_api want = *api;
	int fd, err, flags;

	err = uodp_cmd(ctx, UODP_CMD_ODP_API, &want, sizeof(want), NULL, 0,
		       api, sizeof(*api), NULL, 0);
	if (err)
		return -err;
	err = uodp_cmd(ctx, UODP_CMD_ODP_CREATE_CHANNEL, NULL, 0, &stats_fd,
		       stats_fd >= 0 ? 1 : 0, NULL, 0, &fd, 1);
	if (err)
		return -err;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC)) {
		err = errno;
		close(fd);
		return -err;
	}
	be->event_fd = fd;
	*event_fd = fd;
	return 0;
}

static int uodpd_read_events(struct uodp_odp_backend *be,
			     struct uodp_odp_event *ev, unsigned int max)
{
	ssize_t n;

	do {
		n = read(be->event_fd, ev, sizeof(*ev) * max);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return -EPIPE;		/* uodpd closed the channel */
	if (n % sizeof(*ev))
		return -EPROTO;		/* records are never split */
	return (int)(n / sizeof(*ev));
}

static int uodpd_map(struct uodp_odp_backend *be,
		     const struct uodp_odp_map_range *r, uint32_t n,
		     const void *resume_in, struct uodp_odp_map_resp *resp,
		     uint64_t *sent_ns)
{
	struct uodp_odp_map_req req = { .nranges = n };
	int err;

	if (n > UODP_ODP_MAX_MAP_RANGES)
		return -EINVAL;
	if (resume_in) {
		req.flags = UODP_ODP_MAP_RESUME;
		memcpy(req.resume, resume_in, sizeof(req.resume));
	}
	memcpy(req.ranges, r, sizeof(*r) * n);
	/* Only the ranges used travel. */
	err = uodp_cmd_sent(be_ctx(be), UODP_CMD_ODP_MAP, &req,
			    offsetof(struct uodp_odp_map_req, ranges) +
			    sizeof(*r) * n, NULL, 0, resp, sizeof(*resp), NULL,
			    0, sent_ns);
	return -err;
}

static int uodpd_general_cmd(struct uodp_odp_backend *be, const void *in,
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

static void uodpd_close(struct uodp_odp_backend *be)
{
	if (be->event_fd >= 0)
		close(be->event_fd);
	be->event_fd = -1;
}

static const struct uodp_odp_backend_ops uodpd_backend_ops = {
	.name = "uodpd",
	.open_channel = uodpd_open_channel,
	.read_events = uodpd_read_events,
	.map = uodpd_map,
	.general_cmd = uodpd_general_cmd,
	.close = uodpd_close,
};

void uodp_odp_backend_uodpd_init(struct uodp_odp_backend *be,
				 struct uodp_context *ctx)
{
	be->ops = &uodpd_backend_ops;
	be->priv = ctx;
	be->event_fd = -1;
}
