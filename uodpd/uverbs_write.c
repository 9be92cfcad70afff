// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The write() command decoder, with the kernel's framing rules
 * (ib_uverbs_write, verify_hdr):
 *  - legacy commands: a struct ib_uverbs_cmd_hdr, in_words * 4 equal to the
 *    bytes written, the core request of the command's size (ENOSPC if
 *    shorter), the response pointer as its first field, out_words * 4
 *    bytes of room for the core response (ENOSPC) and the driver's after;
 *  - extended commands (IB_USER_VERBS_CMD_FLAG_EXTENDED): the header, a
 *    struct ib_uverbs_ex_cmd_hdr with the response pointer, in_words and
 *    provider_in_words in 8-byte words for the core and the driver data,
 *    the same for the response.
 * Unknown commands answer EOPNOTSUPP.
 *
 * Pure (no I/O, no state): it runs under the libFuzzer harness.
 */
#include <errno.h>
#include <string.h>

#include "uverbs.h"

static int decode_legacy(const struct ud_write_desc *desc, const uint8_t *p,
			 size_t len, const struct ib_uverbs_cmd_hdr *hdr,
			 struct ud_write_cmd *cmd)
{
	if ((size_t)hdr->in_words * 4 != len)
		return -EINVAL;
	if (len < sizeof(*hdr) + desc->req_size)
		return -ENOSPC;
	cmd->core = p + sizeof(*hdr);
	cmd->udata = cmd->core + desc->req_size;
	cmd->udata_len = (uint32_t)(len - sizeof(*hdr) - desc->req_size);
	if (!desc->resp_size)
		return 0;
	/* Every command with a response starts with its pointer. */
	if (desc->req_size < sizeof(uint64_t))
		return -EINVAL;
	memcpy(&cmd->response, cmd->core, sizeof(cmd->response));
	cmd->response_len = (uint32_t)hdr->out_words * 4;
	cmd->resp_core_len = desc->resp_size;
	return cmd->response_len < desc->resp_size ? -ENOSPC : 0;
}

static int decode_ex(const struct ud_write_desc *desc, const uint8_t *p,
		     size_t len, const struct ib_uverbs_cmd_hdr *hdr,
		     struct ud_write_cmd *cmd)
{
	struct ib_uverbs_ex_cmd_hdr ex;
	size_t words;

	if (len < sizeof(*hdr) + sizeof(ex))
		return -EINVAL;
	memcpy(&ex, p + sizeof(*hdr), sizeof(ex));
	words = (size_t)hdr->in_words + ex.provider_in_words;
	if (words * 8 != len - sizeof(*hdr) - sizeof(ex) ||
	    ex.cmd_hdr_reserved)
		return -EINVAL;
	if ((size_t)hdr->in_words * 8 < desc->req_size)
		return -ENOSPC;
	cmd->core = p + sizeof(*hdr) + sizeof(ex);
	cmd->udata = cmd->core + (size_t)hdr->in_words * 8;
	cmd->udata_len = (uint32_t)ex.provider_in_words * 8;
	cmd->response = ex.response;
	if (!ex.response)
		return hdr->out_words || ex.provider_out_words ? -EINVAL : 0;
	if (!hdr->out_words && !ex.provider_out_words)
		return -EINVAL;
	cmd->resp_core_len = (uint32_t)hdr->out_words * 8;
	cmd->response_len = cmd->resp_core_len +
			    (uint32_t)ex.provider_out_words * 8;
	return cmd->resp_core_len < desc->resp_size ? -ENOSPC : 0;
}

int ud_write_decode(const struct ud_write_desc *table,
		    const struct ud_write_desc *ex_table, const void *buf,
		    size_t len, struct ud_write_cmd *cmd)
{
	const uint8_t *p = buf;
	struct ib_uverbs_cmd_hdr hdr;
	const struct ud_write_desc *desc;
	bool extended;
	int ret;

	memset(cmd, 0, sizeof(*cmd));
	if (len < sizeof(hdr) || len > UD_WRITE_MAX_LEN)
		return -EINVAL;
	memcpy(&hdr, p, sizeof(hdr));
	cmd->command = hdr.command;
	if (hdr.command & ~(IB_USER_VERBS_CMD_FLAG_EXTENDED |
			    IB_USER_VERBS_CMD_COMMAND_MASK))
		return -EINVAL;
	extended = hdr.command & IB_USER_VERBS_CMD_FLAG_EXTENDED;
	if ((hdr.command & IB_USER_VERBS_CMD_COMMAND_MASK) >= UD_WRITE_MAX_CMD)
		return -EOPNOTSUPP;
	desc = &(extended ? ex_table : table)
		[hdr.command & IB_USER_VERBS_CMD_COMMAND_MASK];
	if (!desc->fn)
		return -EOPNOTSUPP;
	ret = extended ? decode_ex(desc, p, len, &hdr, cmd) :
			 decode_legacy(desc, p, len, &hdr, cmd);
	if (!ret)
		cmd->desc = desc;
	return ret;
}
