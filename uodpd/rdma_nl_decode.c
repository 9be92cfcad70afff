// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * A NETLINK_RDMA datagram's requests, decoded as the kernel reads them
 * (netlink_rcv_skb, rdma_nl_rcv_msg): messages one after another, each
 * starting at a 4-aligned offset; a header that does not fit ends the
 * walk silently.  The attributes are parsed by libnl against nldev's
 * policy, leniently as nla_parse_deprecated does (a too-short value is an
 * error, unknown attributes are skipped); a string must hold its NUL
 * within the policy's length.  Pure: fuzzed as fuzz.rdma_nl.
 */
#include <errno.h>
#include <string.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "rdma_nl.h"

int ud_nl_next_msg(const uint8_t *buf, size_t len, size_t *off,
		   struct ud_nl_msg *m)
{
	const struct nlmsghdr *nlh;
	size_t left, step;

	if (*off >= len || len - *off < NLMSG_HDRLEN)
		return 0;
	left = len - *off;
	nlh = (const struct nlmsghdr *)(buf + *off);
	if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > left)
		return 0;
	step = NLMSG_ALIGN(nlh->nlmsg_len);
	*off += step < left ? step : left;
	m->nlh = nlh;
	m->request = (nlh->nlmsg_flags & NLM_F_REQUEST) &&
		     nlh->nlmsg_type >= NLMSG_MIN_TYPE;
	m->client = RDMA_NL_GET_CLIENT(nlh->nlmsg_type);
	m->op = RDMA_NL_GET_OP(nlh->nlmsg_type);
	return 1;
}

/* What nldev reads from a request (nldev_policy's entries for them). */
static struct nla_policy nldev_policy[RDMA_NLDEV_ATTR_MAX] = {
	[RDMA_NLDEV_ATTR_DEV_INDEX] = { .type = NLA_U32 },
	[RDMA_NLDEV_ATTR_PORT_INDEX] = { .type = NLA_U32 },
	[RDMA_NLDEV_ATTR_STAT_RES] = { .type = NLA_U32 },
	[RDMA_NLDEV_ATTR_RES_LQPN] = { .type = NLA_U32 },
	[RDMA_NLDEV_ATTR_RES_CQN] = { .type = NLA_U32 },
	[RDMA_NLDEV_ATTR_RES_MRN] = { .type = NLA_U32 },
	[RDMA_NLDEV_ATTR_RES_PDN] = { .type = NLA_U32 },
	[RDMA_NLDEV_ATTR_RES_CTXN] = { .type = NLA_U32 },
	[RDMA_NLDEV_ATTR_RES_SRQN] = { .type = NLA_U32 },
	[RDMA_NLDEV_ATTR_RES_CM_IDN] = { .type = NLA_U32 },
};

/*
 * nldev's NLA_NUL_STRINGs and their .len (the most characters before the
 * NUL).  The kernel wants a NUL among the first len + 1 bytes, which
 * libnl's string types do not check as it does: they are checked here.
 */
static const struct {
	uint16_t type;
	uint16_t len;
} nldev_strings[] = {
	{ RDMA_NLDEV_ATTR_DEV_NAME, 64 },	/* IB_DEVICE_NAME_MAX */
	{ RDMA_NLDEV_ATTR_CHARDEV_TYPE, 32 },
};

static bool nul_string_ok(const struct nlattr *nla, uint16_t max)
{
	size_t len = (size_t)nla_len(nla);
	size_t look = len < max + 1u ? len : max + 1u;

	return look && memchr(nla_data(nla), '\0', look);
}

int ud_nl_parse_nldev(const struct ud_nl_msg *m, struct nlattr **tb)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)m->nlh;
	unsigned int i;

	memset(tb, 0, sizeof(*tb) * RDMA_NLDEV_ATTR_MAX);
	/* libnl's errors are its own numbers: the kernel says EINVAL. */
	if (nlmsg_parse(nlh, 0, tb, RDMA_NLDEV_ATTR_MAX - 1, nldev_policy))
		return -EINVAL;
	for (i = 0; i < sizeof(nldev_strings) / sizeof(nldev_strings[0]); i++) {
		const struct nlattr *nla = tb[nldev_strings[i].type];

		if (nla && !nul_string_ok(nla, nldev_strings[i].len))
			return -EINVAL;
	}
	return 0;
}
