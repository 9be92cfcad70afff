// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * libFuzzer harness for the rdma_cm write() decoder (uodpd/ucma_decode.c):
 * the bytes a process writes to its rdma_cm fd are untrusted.  The daemon
 * reads at most a header and UD_UCMA_MAX_LEN bytes of a write, so the
 * harness hands the decoder the same cut of the input.  Any crash,
 * sanitizer report, or a decoded command the framing should have refused
 * is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ucma.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t cap = sizeof(struct rdma_ucm_cmd_hdr) + UD_UCMA_MAX_LEN;
	size_t avail = size < cap ? size : cap;
	struct rdma_ucm_cmd_hdr hdr;
	struct ud_ucma_cmd cmd;
	uint8_t *copy;

	/* An exact-size heap copy: ASan sees any read past what was read. */
	copy = malloc(avail ? avail : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, avail);
	if (!ud_ucma_decode(copy, size, avail, &cmd)) {
		memcpy(&hdr, copy, sizeof(hdr));
		if (cmd.cmd >= UD_UCMA_MAX_CMD || cmd.cmd != hdr.cmd ||
		    cmd.in_len != hdr.in || cmd.out != hdr.out ||
		    sizeof(hdr) + cmd.in_len > size)
			abort();
	}
	free(copy);
	return 0;
}
