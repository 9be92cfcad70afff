// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The command fd's write() decoder against hand-built byte fixtures: the
 * commands exactly as libibverbs 44 writes them, then every framing error
 * the kernel refuses, with the kernel's errno.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "uverbs.h"

#define RESP_ADDR 0x7f0012345678ull

static int decode(const void *buf, size_t len, struct ud_write_cmd *cmd)
{
	return ud_write_decode(ud_write_cmds, ud_write_ex_cmds, buf, len, cmd);
}

/* hdr, then the response pointer, then driver data of drv_len bytes. */
static size_t build(uint8_t *buf, uint32_t command, uint16_t in_words,
		    uint16_t out_words, size_t drv_len)
{
	struct ib_uverbs_cmd_hdr hdr = {
		.command = command,
		.in_words = in_words,
		.out_words = out_words,
	};
	uint64_t resp = RESP_ADDR;
	size_t i;

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), &resp, sizeof(resp));
	for (i = 0; i < drv_len; i++)
		buf[sizeof(hdr) + 8 + i] = (uint8_t)(0xa0 + i);
	return sizeof(hdr) + 8 + drv_len;
}

static void test_create_comp_channel(void)
{
	struct ud_write_cmd cmd;
	uint8_t buf[64];
	size_t len;

	/* ibv_create_comp_channel: 16 bytes, in_words 4, out_words 1. */
	len = build(buf, IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL, 4, 1, 0);
	CHECK(len == 16);
	CHECK(decode(buf, len, &cmd) == 0);
	CHECK(cmd.command == IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL);
	CHECK(cmd.desc == &ud_write_cmds[IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL]);
	CHECK(cmd.response == RESP_ADDR);
	CHECK(cmd.response_len == 4);
	CHECK(cmd.udata_len == 0);
	CHECK(cmd.desc->needs_context);
}

static void test_get_context(void)
{
	struct ud_write_cmd cmd;
	uint8_t buf[128];
	size_t len;

	/* 32 bytes of driver request; a response of 8 + 72 bytes. */
	len = build(buf, IB_USER_VERBS_CMD_GET_CONTEXT, 12, 20, 32);
	CHECK(decode(buf, len, &cmd) == 0);
	CHECK(cmd.udata_len == 32);
	CHECK(cmd.udata == buf + 16);
	CHECK(cmd.udata[0] == 0xa0 && cmd.udata[31] == 0xa0 + 31);
	CHECK(cmd.response_len == 80);
	CHECK(!cmd.desc->needs_context);
}

static void test_framing_errors(void)
{
	struct ud_write_cmd cmd;
	uint8_t buf[UD_WRITE_MAX_LEN + 8];
	size_t len;

	len = build(buf, IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL, 4, 1, 0);
	/* Shorter than a header. */
	CHECK(decode(buf, 7, &cmd) == -EINVAL);
	CHECK(decode(buf, 0, &cmd) == -EINVAL);
	/* in_words does not match the bytes written. */
	CHECK(decode(buf, len + 4, &cmd) == -EINVAL);
	build(buf, IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL, 5, 1, 0);
	CHECK(decode(buf, len, &cmd) == -EINVAL);
	/* The header alone: the core request is short (the kernel: ENOSPC). */
	len = build(buf, IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL, 2, 1, 0);
	CHECK(decode(buf, 8, &cmd) == -ENOSPC);
	/* No room for the core response. */
	len = build(buf, IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL, 4, 0, 0);
	CHECK(decode(buf, len, &cmd) == -ENOSPC);
	/* Bits outside the command and the extended flag. */
	len = build(buf, 0x100 | IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL, 4, 1,
		    0);
	CHECK(decode(buf, len, &cmd) == -EINVAL);
	/* Commands this device does not serve, extended ones included. */
	len = build(buf, IB_USER_VERBS_CMD_CREATE_AH, 4, 1, 0);
	CHECK(decode(buf, len, &cmd) == -EOPNOTSUPP);
	len = build(buf, 0xff, 4, 1, 0);
	CHECK(decode(buf, len, &cmd) == -EOPNOTSUPP);
	len = build(buf, IB_USER_VERBS_CMD_FLAG_EXTENDED | 0x40, 4, 1, 0);
	CHECK(decode(buf, len, &cmd) == -EOPNOTSUPP);
	/* Longer than any command. */
	memset(buf, 0, sizeof(buf));
	len = build(buf, IB_USER_VERBS_CMD_GET_CONTEXT,
		    (UD_WRITE_MAX_LEN + 4) / 4, 20, UD_WRITE_MAX_LEN - 12);
	CHECK(decode(buf, len, &cmd) == -EINVAL);
}

/* EX_QUERY_DEVICE as ibv_cmd_query_device_any writes it: 32 bytes. */
static size_t build_ex_query(uint8_t *buf, uint16_t out_words,
			     uint64_t response, uint32_t reserved)
{
	struct ib_uverbs_cmd_hdr hdr = {
		.command = IB_USER_VERBS_CMD_FLAG_EXTENDED |
			   IB_USER_VERBS_EX_CMD_QUERY_DEVICE,
		.in_words = 1,
		.out_words = out_words,
	};
	struct ib_uverbs_ex_cmd_hdr ex = {
		.response = response,
		.cmd_hdr_reserved = reserved,
	};
	struct ib_uverbs_ex_query_device core = { 0 };

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), &ex, sizeof(ex));
	memcpy(buf + sizeof(hdr) + sizeof(ex), &core, sizeof(core));
	return sizeof(hdr) + sizeof(ex) + sizeof(core);
}

static void test_extended(void)
{
	uint16_t words = sizeof(struct ib_uverbs_ex_query_device_resp) / 8;
	struct ud_write_cmd cmd;
	uint8_t buf[64];
	size_t len;

	len = build_ex_query(buf, words, RESP_ADDR, 0);
	CHECK(len == 32);
	CHECK(decode(buf, len, &cmd) == 0);
	CHECK(cmd.desc == &ud_write_ex_cmds[IB_USER_VERBS_EX_CMD_QUERY_DEVICE]);
	CHECK(cmd.response == RESP_ADDR);
	CHECK(cmd.resp_core_len == words * 8u);
	CHECK(cmd.response_len == words * 8u);
	CHECK(cmd.core == buf + 24 && cmd.udata_len == 0);
	/* Words that do not add up, a reserved field, room without target. */
	CHECK(decode(buf, len - 8, &cmd) == -EINVAL);
	len = build_ex_query(buf, words, RESP_ADDR, 1);
	CHECK(decode(buf, len, &cmd) == -EINVAL);
	len = build_ex_query(buf, words, 0, 0);
	CHECK(decode(buf, len, &cmd) == -EINVAL);
	/* Less room than the command's core response: ENOSPC. */
	len = build_ex_query(buf, 2, RESP_ADDR, 0);
	CHECK(decode(buf, len, &cmd) == -ENOSPC);
	/* Shorter than both headers. */
	CHECK(decode(buf, 16, &cmd) == -EINVAL);
}

/* Every entry of the table can be decoded at its minimum size. */
static void test_table_shapes(void)
{
	struct ud_write_cmd cmd;
	uint8_t buf[UD_WRITE_MAX_LEN];
	uint32_t i;

	for (i = 0; i < UD_WRITE_MAX_CMD; i++) {
		const struct ud_write_desc *d = &ud_write_cmds[i];
		size_t len = sizeof(struct ib_uverbs_cmd_hdr) + d->req_size;

		if (!d->fn)
			continue;
		CHECK(len % 4 == 0);
		memset(buf, 0, sizeof(buf));
		build(buf, i, (uint16_t)(len / 4),
		      (uint16_t)((d->resp_size + 3) / 4), 0);
		CHECK(decode(buf, len, &cmd) == 0);
	}
}

int main(void)
{
	test_create_comp_channel();
	test_get_context();
	test_framing_errors();
	test_extended();
	test_table_shapes();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
