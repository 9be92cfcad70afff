/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * RDMA netlink (NETLINK_RDMA): what ib_core's netlink.c and nldev.c are in
 * a kernel, served to processes under uodp-run's seccomp filter.
 *
 *  rdma_nl_decode.c  a datagram's requests: framing and attributes (pure,
 *                    fuzzed as fuzz.rdma_nl)
 *
 * Not yet served: the socket is still refused by uodp-run's filter
 * (EPROTONOSUPPORT); the socket calls and the nldev commands come next.
 */
#ifndef UODPD_RDMA_NL_H
#define UODPD_RDMA_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <rdma/rdma_netlink.h>

/* ---- the decoder (rdma_nl_decode.c) ---- */

/* Bytes of one send: the socket's sk_sndbuf, as far as we take it. */
#define UD_NL_MAX_SEND (64u * 1024)

/*
 * One message of a datagram, as netlink_rcv_skb walks them: the header,
 * and for a request to ib_core its client and operation.
 */
struct ud_nl_msg {
	const struct nlmsghdr *nlh;	/* in the datagram */
	bool request;			/* NLM_F_REQUEST, a type past control */
	uint16_t client;		/* RDMA_NL_GET_CLIENT */
	uint16_t op;			/* RDMA_NL_GET_OP */
};

/*
 * The next message of buf[0, len) at *off: 1 and *m, 0 at the end (or at
 * a header that does not fit, where the kernel stops too).  *off moves to
 * the message after.
 */
int ud_nl_next_msg(const uint8_t *buf, size_t len, size_t *off,
		   struct ud_nl_msg *m);

/*
 * The attributes of an nldev request, by nldev's policy: tb[] (size
 * RDMA_NLDEV_ATTR_MAX) points into m's payload.  0 or -EINVAL.
 */
int ud_nl_parse_nldev(const struct ud_nl_msg *m, struct nlattr **tb);

#endif /* UODPD_RDMA_NL_H */
