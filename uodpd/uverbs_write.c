// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The write() command decoder, with the kernel's framing rules
 * (ib_uverbs_write): a struct ib_uverbs_cmd_hdr, in_words * 4 equal to the
 * bytes written, the core request of the command's size, the response
 * pointer as its first field, out_words * 4 bytes of room for the response
 * (core response first, driver data after it).  Extended commands
 * (IB_USER_VERBS_CMD_FLAG_EXTENDED) are not served yet: EOPNOTSUPP, as for
 * any command the table does not have.
 *
 * Pure (no I/O, no state): it runs under the libFuzzer harness.
 */
#include <errno.h>
#include <string.h>

#include "uverbs.h"

int ud_write_decode(const struct ud_write_desc *table, const void *buf,
		    size_t len, struct ud_write_cmd *cmd)
{
	const uint8_t *p = buf;
	struct ib_uverbs_cmd_hdr hdr;
	const struct ud_write_desc *desc;

	memset(cmd, 0, sizeof(*cmd));
	if (len < sizeof(hdr) || len > UD_WRITE_MAX_LEN)
		return -EINVAL;
	memcpy(&hdr, p, sizeof(hdr));
	cmd->command = hdr.command;
	if (hdr.command & ~(IB_USER_VERBS_CMD_FLAG_EXTENDED |
			    IB_USER_VERBS_CMD_COMMAND_MASK))
		return -EINVAL;
	if (hdr.command & IB_USER_VERBS_CMD_FLAG_EXTENDED)
		return -EOPNOTSUPP;
	if (hdr.command >= UD_WRITE_MAX_CMD || !table[hdr.command].fn)
		return -EOPNOTSUPP;
	desc = &table[hdr.command];
	if ((size_t)hdr.in_words * 4 != len)
		return -EINVAL;
	if (len < sizeof(hdr) + desc->req_size)
		return -EINVAL;
	cmd->desc = desc;
	cmd->core = p + sizeof(hdr);
	cmd->udata = cmd->core + desc->req_size;
	cmd->udata_len = (uint32_t)(len - sizeof(hdr) - desc->req_size);
	if (desc->resp_size) {
		/* Every command with a response starts with its pointer. */
		if (desc->req_size < sizeof(uint64_t))
			return -EINVAL;
		memcpy(&cmd->response, cmd->core, sizeof(cmd->response));
		cmd->response_len = (uint32_t)hdr.out_words * 4;
		if (cmd->response_len < desc->resp_size)
			return -ENOSPC;
	}
	return 0;
}
