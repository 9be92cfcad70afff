// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The NETLINK_RDMA request decoder (uodpd/rdma_nl_decode.c) against
 * requests built with libnl, as libibverbs' util/rdma_nl.c and iproute2's
 * rdma build them, then the framing and attribute errors the kernel's
 * rdma_nl_rcv_skb and nla_parse refuse or skip.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "check.h"
#include "rdma_nl.h"

#define NLDEV_TYPE(op) RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, op)

/* Append msg to buf at *len, 4-aligned as a sender packs a datagram. */
static void append(uint8_t *buf, size_t *len, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	memcpy(buf + *len, nlh, nlh->nlmsg_len);
	*len += NLMSG_ALIGN(nlh->nlmsg_len);
	nlmsg_free(msg);
}

static struct nl_msg *chardev_req(uint32_t seq, const char *type)
{
	struct nl_msg *msg = nlmsg_alloc_simple(
		NLDEV_TYPE(RDMA_NLDEV_CMD_GET_CHARDEV), NLM_F_REQUEST);

	nlmsg_hdr(msg)->nlmsg_seq = seq;
	nla_put_u32(msg, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	nla_put_string(msg, RDMA_NLDEV_ATTR_CHARDEV_TYPE, type);
	return msg;
}

/* libibverbs' discovery: the GET dump, then GET_CHARDEV, one datagram. */
static void test_discovery_requests(void)
{
	_Alignas(4) uint8_t buf[512];
	struct nlattr *tb[RDMA_NLDEV_ATTR_MAX];
	struct ud_nl_msg m;
	size_t len = 0, off = 0;

	append(buf, &len, nlmsg_alloc_simple(NLDEV_TYPE(RDMA_NLDEV_CMD_GET),
					     NLM_F_REQUEST | NLM_F_DUMP));
	append(buf, &len, chardev_req(7, "uverbs"));

	CHECK_EQ(ud_nl_next_msg(buf, len, &off, &m), 1);
	CHECK(m.request);
	CHECK_EQ(m.client, RDMA_NL_NLDEV);
	CHECK_EQ(m.op, RDMA_NLDEV_CMD_GET);
	CHECK((m.nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP);
	CHECK_EQ(off, NLMSG_HDRLEN);
	CHECK_EQ(ud_nl_parse_nldev(&m, tb), 0);
	CHECK(!tb[RDMA_NLDEV_ATTR_DEV_INDEX]);

	CHECK_EQ(ud_nl_next_msg(buf, len, &off, &m), 1);
	CHECK_EQ(m.op, RDMA_NLDEV_CMD_GET_CHARDEV);
	CHECK_EQ(m.nlh->nlmsg_seq, 7);
	CHECK_EQ(ud_nl_parse_nldev(&m, tb), 0);
	CHECK(tb[RDMA_NLDEV_ATTR_DEV_INDEX] &&
	      nla_get_u32(tb[RDMA_NLDEV_ATTR_DEV_INDEX]) == 0);
	CHECK(tb[RDMA_NLDEV_ATTR_CHARDEV_TYPE] &&
	      !strcmp(nla_get_string(tb[RDMA_NLDEV_ATTR_CHARDEV_TYPE]),
		      "uverbs"));
	CHECK(!tb[RDMA_NLDEV_ATTR_PORT_INDEX]);
	CHECK_EQ(off, len);
	CHECK_EQ(ud_nl_next_msg(buf, len, &off, &m), 0);
}

/* Acks, errors and NOOPs are no requests: acked only, never served. */
static void test_not_requests(void)
{
	_Alignas(4) uint8_t buf[256];
	struct ud_nl_msg m;
	size_t len = 0, off = 0;

	append(buf, &len, nlmsg_alloc_simple(NLDEV_TYPE(RDMA_NLDEV_CMD_GET),
					     NLM_F_ACK));
	append(buf, &len, nlmsg_alloc_simple(NLMSG_NOOP,
					     NLM_F_REQUEST | NLM_F_ACK));
	CHECK_EQ(ud_nl_next_msg(buf, len, &off, &m), 1);
	CHECK(!m.request);
	CHECK_EQ(ud_nl_next_msg(buf, len, &off, &m), 1);
	CHECK(!m.request);
	CHECK_EQ(ud_nl_next_msg(buf, len, &off, &m), 0);
}

/* A header that does not fit ends the walk where the kernel stops. */
static void test_framing(void)
{
	_Alignas(4) uint8_t buf[256];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct ud_nl_msg m;
	size_t len = 0, off = 0;

	append(buf, &len, chardev_req(1, "rdma_cm"));
	/* A second message cut short: only the first is read. */
	append(buf, &len, chardev_req(2, "uverbs"));
	len -= 4;
	CHECK_EQ(ud_nl_next_msg(buf, len, &off, &m), 1);
	CHECK_EQ(m.nlh->nlmsg_seq, 1);
	CHECK_EQ(ud_nl_next_msg(buf, len, &off, &m), 0);

	/* A length past the datagram, or shorter than a header. */
	off = 0;
	nlh->nlmsg_len = (uint32_t)len + 4;
	CHECK_EQ(ud_nl_next_msg(buf, len, &off, &m), 0);
	nlh->nlmsg_len = NLMSG_HDRLEN - 1;
	CHECK_EQ(ud_nl_next_msg(buf, len, &off, &m), 0);
	/* Fewer bytes than a header. */
	CHECK_EQ(ud_nl_next_msg(buf, NLMSG_HDRLEN - 1, &off, &m), 0);
	CHECK_EQ(off, 0);

	/* An unaligned last length: the walk ends at the datagram's end. */
	off = 0;
	len = 0;
	append(buf, &len, chardev_req(3, "uverbs"));
	nlh->nlmsg_len -= 2;	/* the string's padding, no attribute cut */
	len = nlh->nlmsg_len;
	CHECK_EQ(ud_nl_next_msg(buf, len, &off, &m), 1);
	CHECK_EQ(off, len);
}

/* The next message of buf parses to want (0 or -EINVAL). */
static void expect_parse(const uint8_t *buf, size_t len, size_t *off,
			 int want)
{
	struct nlattr *tb[RDMA_NLDEV_ATTR_MAX];
	struct ud_nl_msg m;

	CHECK_EQ(ud_nl_next_msg(buf, len, off, &m), 1);
	CHECK_EQ(ud_nl_parse_nldev(&m, tb), want);
}

/* nldev's policy: a short u32 or an unterminated string is EINVAL. */
static void test_bad_attributes(void)
{
	_Alignas(4) uint8_t buf[256];
	struct nl_msg *msg;
	size_t len = 0, off = 0;
	uint16_t two = 2;
	char raw[6] = "uverbs";	/* no NUL */

	msg = nlmsg_alloc_simple(NLDEV_TYPE(RDMA_NLDEV_CMD_GET), NLM_F_REQUEST);
	nla_put(msg, RDMA_NLDEV_ATTR_DEV_INDEX, sizeof(two), &two);
	append(buf, &len, msg);
	msg = chardev_req(0, "x");
	append(buf, &len, msg);
	msg = nlmsg_alloc_simple(NLDEV_TYPE(RDMA_NLDEV_CMD_GET_CHARDEV),
				 NLM_F_REQUEST);
	nla_put(msg, RDMA_NLDEV_ATTR_CHARDEV_TYPE, sizeof(raw), raw);
	append(buf, &len, msg);

	expect_parse(buf, len, &off, -EINVAL);
	expect_parse(buf, len, &off, 0);
	expect_parse(buf, len, &off, -EINVAL);
}

/* A type name: at most 32 characters before its NUL, as nldev_policy. */
static void test_string_lengths(void)
{
	_Alignas(4) uint8_t buf[512];
	char name[40];
	size_t len = 0, off = 0;

	memset(name, 'a', sizeof(name));
	name[32] = '\0';
	append(buf, &len, chardev_req(1, name));
	name[32] = 'a';
	name[33] = '\0';
	append(buf, &len, chardev_req(2, name));
	expect_parse(buf, len, &off, 0);
	expect_parse(buf, len, &off, -EINVAL);
}

/* Attributes the policy does not name, or past its end, are skipped. */
static void test_unknown_attributes(void)
{
	_Alignas(4) uint8_t buf[256];
	struct nlattr *tb[RDMA_NLDEV_ATTR_MAX];
	struct nl_msg *msg;
	struct ud_nl_msg m;
	size_t len = 0, off = 0;
	uint32_t v = 9;

	msg = chardev_req(0, "uverbs");
	nla_put(msg, RDMA_NLDEV_ATTR_MAX + 10, sizeof(v), &v);
	nla_put_u32(msg, RDMA_NLDEV_ATTR_PORT_INDEX, 1);
	append(buf, &len, msg);
	CHECK_EQ(ud_nl_next_msg(buf, len, &off, &m), 1);
	CHECK_EQ(ud_nl_parse_nldev(&m, tb), 0);
	CHECK(tb[RDMA_NLDEV_ATTR_PORT_INDEX] &&
	      nla_get_u32(tb[RDMA_NLDEV_ATTR_PORT_INDEX]) == 1);
	CHECK(tb[RDMA_NLDEV_ATTR_CHARDEV_TYPE] != NULL);
}

int main(void)
{
	test_discovery_requests();
	test_not_requests();
	test_framing();
	test_bad_attributes();
	test_string_lengths();
	test_unknown_attributes();
	return check_report("test_uodpd_rdma_nl");
}
