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
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_verbs.h>

#include "uverbs.h"
#include "uverbs_create_attrs.h"
#include "uverbs_device_attrs.h"

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

/*
 * The shapes of the core methods, at their object and method ids (the
 * seeds are their requests as libibverbs builds them): CONST_IN, FLAGS_IN,
 * struct and typed outputs, UHW (QUERY_PORT, QUERY_GID_ENTRY,
 * INVOKE_WRITE, GET_CONTEXT), and CQ_DESTROY's IDR and response.
 */
static const struct ud_attr_spec invoke_write[] = {
	UD_ATTR_CONST(UVERBS_ATTR_WRITE_CMD, true),
	{ UVERBS_ATTR_CORE_IN, UD_ATTR_PTR_IN, false, 4, UD_WRITE_MAX_LEN },
	{ UVERBS_ATTR_CORE_OUT, UD_ATTR_PTR_OUT, false, 0, UD_PTR_MAX },
	UD_ATTR_UHW_IN(UD_WRITE_MAX_LEN),
	UD_ATTR_UHW_OUT,
};

static const struct ud_attr_spec get_context[] = {
	UD_ATTR_OUT_TYPE(UVERBS_ATTR_GET_CONTEXT_NUM_COMP_VECTORS, uint32_t,
			 false),
	UD_ATTR_OUT_TYPE(UVERBS_ATTR_GET_CONTEXT_CORE_SUPPORT, uint64_t,
			 false),
	UD_ATTR_UHW_IN(UD_PTR_MAX),
	UD_ATTR_UHW_OUT,
};

static const struct ud_attr_spec cq_destroy[] = {
	{ UVERBS_ATTR_DESTROY_CQ_HANDLE, UD_ATTR_IDR, true, 0, 0 },
	UD_ATTR_OUT_TYPE(UVERBS_ATTR_DESTROY_CQ_RESP,
			 struct ib_uverbs_destroy_cq_resp, true),
};

static const struct ud_ioctl_desc table[] = {
	{ 0x1000, 0x1000, no_handler, specs, 2, true },
	{ 7, 2, no_handler, specs, sizeof(specs) / sizeof(specs[0]), true },
	UD_IOCTL_METHOD(UVERBS_OBJECT_DEVICE, UVERBS_METHOD_QUERY_PORT,
			no_handler, query_port_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_DEVICE, UVERBS_METHOD_QUERY_GID_ENTRY,
			no_handler, query_gid_entry_attrs),
	UD_IOCTL_METHOD_NOCTX(UVERBS_OBJECT_DEVICE,
			      UVERBS_METHOD_INVOKE_WRITE, no_handler,
			      invoke_write),
	UD_IOCTL_METHOD_NOCTX(UVERBS_OBJECT_DEVICE, UVERBS_METHOD_GET_CONTEXT,
			      no_handler, get_context),
	UD_IOCTL_METHOD(UVERBS_OBJECT_CQ, UVERBS_METHOD_CQ_DESTROY, no_handler,
			cq_destroy),
	/* The creates' own specs (NEW, IDR/FD of an object, struct in). */
	UD_IOCTL_METHOD(UVERBS_OBJECT_CQ, UVERBS_METHOD_CQ_CREATE, no_handler,
			cq_create_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_QP, UVERBS_METHOD_QP_CREATE, no_handler,
			qp_create_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_SRQ, UVERBS_METHOD_SRQ_CREATE,
			no_handler, srq_create_attrs),
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
	if (!ud_ioctl_decode(table, sizeof(table) / sizeof(table[0]), copy,
			     size, &cmd)) {
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
			if (s->type == UD_ATTR_IDR && (a->len || a->data >> 32))
				abort();
			if (s->type == UD_ATTR_FD &&
			    (a->len || (int64_t)a->data != (int32_t)a->data))
				abort();
			if (s->type == UD_ATTR_IDR_NEW && a->len)
				abort();
		}
	}
	free(copy);
	return 0;
}
