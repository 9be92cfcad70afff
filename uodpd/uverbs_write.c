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
 * Unknown commands answer EOPNOTSUPP.  UVERBS_METHOD_INVOKE_WRITE carries
 * the same commands in ioctl attributes: ud_write_decode_invoke() checks
 * them as the kernel's method does.
 *
 * Pure (no I/O, no state): it runs under the libFuzzer harness.
 */
#include <errno.h>
#include <string.h>

#include "uverbs.h"

/* The driver's response follows the core's room in the one buffer. */
static void set_drv_response(struct ud_write_cmd *cmd)
{
	cmd->drv_response = cmd->response + cmd->resp_core_len;
	cmd->drv_response_len = cmd->response_len - cmd->resp_core_len;
}

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
	if (cmd->response_len < desc->resp_size)
		return -ENOSPC;
	set_drv_response(cmd);
	return 0;
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
	if (cmd->resp_core_len < desc->resp_size)
		return -ENOSPC;
	set_drv_response(cmd);
	return 0;
}

/* As uapi_get_method: the command's entry, -EINVAL or -EOPNOTSUPP. */
static int find_desc(const struct ud_write_desc *table,
		     const struct ud_write_desc *ex_table, uint64_t command,
		     const struct ud_write_desc **out)
{
	const struct ud_write_desc *desc;
	uint32_t index = command & IB_USER_VERBS_CMD_COMMAND_MASK;

	if (command & ~(uint64_t)(IB_USER_VERBS_CMD_FLAG_EXTENDED |
				  IB_USER_VERBS_CMD_COMMAND_MASK))
		return -EINVAL;
	if (index >= UD_WRITE_MAX_CMD)
		return -EOPNOTSUPP;
	desc = command & IB_USER_VERBS_CMD_FLAG_EXTENDED ? &ex_table[index] :
							    &table[index];
	if (!desc->fn)
		return -EOPNOTSUPP;
	*out = desc;
	return 0;
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
	ret = find_desc(table, ex_table, hdr.command, &desc);
	if (ret)
		return ret;
	extended = hdr.command & IB_USER_VERBS_CMD_FLAG_EXTENDED;
	ret = extended ? decode_ex(desc, p, len, &hdr, cmd) :
			 decode_legacy(desc, p, len, &hdr, cmd);
	if (!ret)
		cmd->desc = desc;
	return ret;
}

int ud_write_decode_invoke(const struct ud_write_desc *table,
			   const struct ud_write_desc *ex_table,
			   uint64_t command, size_t core_len, size_t out_len,
			   struct ud_write_cmd *cmd)
{
	const struct ud_write_desc *desc;
	int ret;

	memset(cmd, 0, sizeof(*cmd));
	cmd->command = (uint32_t)command;
	ret = find_desc(table, ex_table, command, &desc);
	if (ret)
		return ret;
	if (core_len < desc->req_size || out_len < desc->resp_size)
		return -ENOSPC;
	cmd->desc = desc;
	return 0;
}
