// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * libFuzzer harness for the command fd's RDMA_VERBS_IOCTL decoder: the
 * header and attributes a process passes are untrusted.  The method table
 * is synthetic (the decoder is table-driven), with every attribute type.
 * Any crash, sanitizer report or a decoded attribute the spec does not
 * allow is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uverbs.h"

static int no_handler(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_ioctl_cmd *cmd)
{
	(void)c;
	(void)f;
	(void)cmd;
	return 0;
}

static const struct ud_attr_spec specs[] = {
	{ 0x1000, UD_ATTR_PTR_IN, true, 8, 256 },
	{ 0x1001, UD_ATTR_PTR_OUT, true, 8, 256 },
	{ 0, UD_ATTR_IDR, false, 0, 0 },
	{ 1, UD_ATTR_FD, false, 0, 0 },
	{ 2, UD_ATTR_NEW_FD, false, 0, 0 },
	{ 3, UD_ATTR_PTR_IN, false, 4, 4 },
};

static const struct ud_ioctl_desc table[] = {
	{ 0x1000, 0x1000, no_handler, specs, 2, true },
	{ 7, 2, no_handler, specs, sizeof(specs) / sizeof(specs[0]), true },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ud_ioctl_cmd cmd;
	unsigned int i;
	uint8_t *copy;

	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (!ud_ioctl_decode(table, 2, copy, size, &cmd)) {
		for (i = 0; i < cmd.desc->nattrs; i++) {
			const struct ud_attr_spec *s = &cmd.desc->attrs[i];
			const struct ud_ioctl_attr *a = &cmd.attrs[i];

			if (s->mandatory && !a->present)
				abort();
			if (!a->present)
				continue;
			if (a->index >= cmd.num_attrs)
				abort();
			if ((s->type == UD_ATTR_PTR_IN ||
			     s->type == UD_ATTR_PTR_OUT) &&
			    (a->len < s->min_len || a->len > s->max_len))
				abort();
		}
	}
	free(copy);
	return 0;
}
