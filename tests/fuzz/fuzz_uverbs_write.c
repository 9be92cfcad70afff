// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * libFuzzer harness for the command fd's write() decoder: the bytes a
 * process writes to its command fd are untrusted.  The table is synthetic
 * (the decoder is table-driven), with the shapes real commands have: with
 * and without a response, small and large core requests, legacy and
 * extended.  Any crash,
 * sanitizer report or a decoded command outside the input is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uverbs.h"

static int no_handler(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_write_cmd *cmd)
{
	(void)c;
	(void)f;
	(void)cmd;
	return 0;
}

static const struct ud_write_desc table[UD_WRITE_MAX_CMD] = {
	[0] = { .fn = no_handler, .req_size = 8, .resp_size = 8 },
	[3] = { .fn = no_handler, .req_size = 8, .resp_size = 4 },
	[4] = { .fn = no_handler, .req_size = 8, .resp_size = 0 },
	[9] = { .fn = no_handler, .req_size = 40, .resp_size = 12 },
	[17] = { .fn = no_handler, .req_size = 8, .resp_size = 4 },
	[24] = { .fn = no_handler, .req_size = 64, .resp_size = 32 },
	[63] = { .fn = no_handler, .req_size = 0, .resp_size = 0 },
};

static const struct ud_write_desc ex_table[UD_WRITE_MAX_CMD] = {
	[1] = { .fn = no_handler, .req_size = 8, .resp_size = 176 },
	[2] = { .fn = no_handler, .req_size = 24, .resp_size = 0 },
	[18] = { .fn = no_handler, .req_size = 32, .resp_size = 8 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ud_write_cmd cmd;
	uint8_t *copy;

	/* An exact-size heap copy: ASan sees any read past the input. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (!ud_write_decode(table, ex_table, copy, size, &cmd)) {
		if (cmd.core < copy || cmd.udata + cmd.udata_len > copy + size ||
		    cmd.core + cmd.desc->req_size > copy + size ||
		    (cmd.response && cmd.resp_core_len < cmd.desc->resp_size) ||
		    cmd.resp_core_len > cmd.response_len)
			abort();
		/* Touch every byte the decoder says is ours. */
		if (cmd.udata_len)
			cmd.command ^= cmd.udata[cmd.udata_len - 1];
	}
	free(copy);
	return 0;
}
