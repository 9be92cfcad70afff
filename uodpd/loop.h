/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/* The event loop's fd registry (loop.c). */
#ifndef UODPD_LOOP_H
#define UODPD_LOOP_H

#include "uodpd.h"

enum ud_ep_kind {
	UD_EP_LISTEN = 1,
	UD_EP_SIGNAL,
	UD_EP_SERVICE,		/* id: a service connection's fd */
	UD_EP_CTX_KICK,		/* id: context id */
	UD_EP_ODP_CHANNEL,	/* id: context id (write end, odp_channel.c) */
	UD_EP_NOTIFY,		/* id: seccomp listener id (supervise.c) */
	UD_EP_INOTIFY,		/* command fd releases (uverbs.c) */
	UD_EP_CTX_OWNER,	/* id: context id, its owner's pidfd */
	UD_EP_CHANNEL,		/* id: channel id (comp_channel.c) */
	UD_EP_ODP_UFFD,		/* id: context id (odp_uffd.c) */
	UD_EP_NL_SOCK,		/* id: netlink socket id (rdma_nl_sock.c) */
	UD_EP_TIMER,		/* the timerfd (timer.c) */
};

/* Watch fd for input; events name (kind, id), never a pointer. */
int ud_loop_watch(struct uodpd *d, int fd, enum ud_ep_kind kind, uint32_t id);
/* Watch fd for events (EPOLLERR and EPOLLHUP are always reported). */
int ud_loop_watch_events(struct uodpd *d, int fd, uint32_t events,
			 enum ud_ep_kind kind, uint32_t id);
/* Change the events watched on fd. */
int ud_loop_modify(struct uodpd *d, int fd, uint32_t events,
		   enum ud_ep_kind kind, uint32_t id);
void ud_loop_unwatch(struct uodpd *d, int fd);

#endif /* UODPD_LOOP_H */
