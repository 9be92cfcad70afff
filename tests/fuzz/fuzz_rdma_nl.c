// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * libFuzzer harness for the NETLINK_RDMA request decoder
 * (uodpd/rdma_nl_decode.c): what a process sends on its RDMA netlink
 * socket is untrusted.  The daemon takes at most UD_NL_MAX_SEND bytes of
 * a send, walks its messages and parses each nldev request's attributes.
 * Any crash, sanitizer report, a message outside the datagram, a walk
 * that does not move on, or an attribute outside its message is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/attr.h>

#include "rdma_nl.h"

static void check_attrs(const struct ud_nl_msg *m, struct nlattr **tb)
{
	const uint8_t *lo = (const uint8_t *)m->nlh + NLMSG_HDRLEN;
	const uint8_t *hi = (const uint8_t *)m->nlh + m->nlh->nlmsg_len;
	volatile uint8_t sink = 0;
	unsigned int i;
	int j;

	for (i = 0; i < RDMA_NLDEV_ATTR_MAX; i++) {
		const uint8_t *a = (const uint8_t *)tb[i];

		if (!a)
			continue;
		if (a < lo || a + NLA_HDRLEN + nla_len(tb[i]) > hi)
			abort();
		/* Read every byte the daemon may read: ASan checks bounds. */
		for (j = 0; j < nla_len(tb[i]); j++)
			sink ^= ((const uint8_t *)nla_data(tb[i]))[j];
	}
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = size < UD_NL_MAX_SEND ? size : UD_NL_MAX_SEND;
	struct nlattr *tb[RDMA_NLDEV_ATTR_MAX];
	struct ud_nl_msg m;
	size_t off = 0, before;
	uint8_t *copy;

	/* An exact-size heap copy, 4-aligned as a kernel skb's data is. */
	copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, len);
	for (;;) {
		before = off;
		if (!ud_nl_next_msg(copy, len, &off, &m))
			break;
		if ((const uint8_t *)m.nlh != copy + before || off <= before ||
		    off > len || before + m.nlh->nlmsg_len > len ||
		    m.nlh->nlmsg_len < NLMSG_HDRLEN)
			abort();
		if (m.request && m.client == RDMA_NL_NLDEV &&
		    !ud_nl_parse_nldev(&m, tb))
			check_attrs(&m, tb);
	}
	free(copy);
	return 0;
}
