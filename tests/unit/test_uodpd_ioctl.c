// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The command fd's RDMA_VERBS_IOCTL decoder against hand-built byte
 * fixtures: DEVX_OTHER and ADVISE_MR as libibverbs 44 lays them out, then
 * every rule the kernel enforces, with the kernel's errno.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/mlx5_user_ioctl_cmds.h>

#include "check.h"
#include "uverbs.h"

/* struct ib_uverbs_ioctl_hdr's fields: its attrs[] is flexible. */
struct fixture_hdr {
	uint16_t length, object_id, method_id, num_attrs;
	uint64_t reserved1;
	uint32_t driver_id, reserved2;
};

static_assert(sizeof(struct fixture_hdr) == sizeof(struct ib_uverbs_ioctl_hdr),
	      "ioctl header");

struct fixture {
	struct fixture_hdr hdr;
	struct ib_uverbs_attr attrs[6];
};

static size_t build(struct fixture *f, uint16_t object, uint16_t method,
		    const struct ib_uverbs_attr *attrs, uint16_t n)
{
	memset(f, 0, sizeof(*f));
	f->hdr.object_id = object;
	f->hdr.method_id = method;
	f->hdr.num_attrs = n;
	f->hdr.length = (uint16_t)(sizeof(f->hdr) + n * sizeof(attrs[0]));
	memcpy(f->attrs, attrs, n * sizeof(attrs[0]));
	return f->hdr.length;
}

static int decode(const struct fixture *f, size_t len,
		  struct ud_ioctl_cmd *cmd)
{
	return ud_ioctl_decode(ud_ioctl_methods, ud_ioctl_nmethods, f, len,
			       cmd);
}

/* mlx5dv_devx_general_cmd: CMD_IN and CMD_OUT, both by pointer. */
static const struct ib_uverbs_attr devx_attrs[] = {
	{ .attr_id = MLX5_IB_ATTR_DEVX_OTHER_CMD_IN, .len = 16,
	  .flags = UVERBS_ATTR_F_MANDATORY, .data = 0x7f0000001000ull },
	{ .attr_id = MLX5_IB_ATTR_DEVX_OTHER_CMD_OUT, .len = 64,
	  .flags = UVERBS_ATTR_F_MANDATORY, .data = 0x7f0000002000ull },
};

static void test_devx_other(void)
{
	const struct ud_ioctl_attr *in, *out;
	struct ud_ioctl_cmd cmd;
	struct fixture f;
	size_t len;

	len = build(&f, MLX5_IB_OBJECT_DEVX, MLX5_IB_METHOD_DEVX_OTHER,
		    devx_attrs, 2);
	CHECK(len == 24 + 32);
	CHECK(decode(&f, len, &cmd) == 0);
	in = ud_ioctl_attr(&cmd, MLX5_IB_ATTR_DEVX_OTHER_CMD_IN);
	out = ud_ioctl_attr(&cmd, MLX5_IB_ATTR_DEVX_OTHER_CMD_OUT);
	CHECK(in && in->len == 16 && in->data == 0x7f0000001000ull &&
	      in->index == 0);
	CHECK(out && out->len == 64 && out->index == 1);
	CHECK(cmd.desc->needs_context);
	/* Reordered attributes decode the same. */
	f.attrs[0] = devx_attrs[1];
	f.attrs[1] = devx_attrs[0];
	CHECK(decode(&f, len, &cmd) == 0);
	CHECK(ud_ioctl_attr(&cmd, MLX5_IB_ATTR_DEVX_OTHER_CMD_IN)->index == 1);
}

/* ibv_cmd_advise_mr: PD, advice inline, flags inline, the SGE list. */
static void test_advise_mr(void)
{
	const struct ib_uverbs_attr attrs[] = {
		{ .attr_id = UVERBS_ATTR_ADVISE_MR_PD_HANDLE,
		  .flags = UVERBS_ATTR_F_MANDATORY, .data = 7 },
		{ .attr_id = UVERBS_ATTR_ADVISE_MR_ADVICE, .len = 8,
		  .flags = UVERBS_ATTR_F_MANDATORY, .data = 1 },
		{ .attr_id = UVERBS_ATTR_ADVISE_MR_FLAGS, .len = 4,
		  .flags = UVERBS_ATTR_F_MANDATORY, .data = 1 },
		{ .attr_id = UVERBS_ATTR_ADVISE_MR_SGE_LIST, .len = 32,
		  .flags = UVERBS_ATTR_F_MANDATORY, .data = 0x7f0000003000ull },
	};
	struct ud_ioctl_cmd cmd;
	struct fixture f;
	size_t len;

	len = build(&f, UVERBS_OBJECT_MR, UVERBS_METHOD_ADVISE_MR, attrs, 4);
	CHECK(decode(&f, len, &cmd) == 0);
	CHECK(ud_ioctl_attr(&cmd, UVERBS_ATTR_ADVISE_MR_PD_HANDLE)->data == 7);
	/* An IDR with a length, an SGE list shorter than one SGE. */
	f.attrs[0].len = 4;
	CHECK(decode(&f, len, &cmd) == -EINVAL);
	f.attrs[0].len = 0;
	f.attrs[3].len = 8;
	CHECK(decode(&f, len, &cmd) == -EINVAL);
	/* The SGE list missing: a mandatory attribute of the method. */
	len = build(&f, UVERBS_OBJECT_MR, UVERBS_METHOD_ADVISE_MR, attrs, 3);
	CHECK(decode(&f, len, &cmd) == -EINVAL);
}

static void test_rules(void)
{
	struct ib_uverbs_attr extra = {
		.attr_id = 0x1234, .len = 4, .data = 0,
	};
	struct ud_ioctl_cmd cmd;
	struct fixture f;
	size_t len;

	len = build(&f, MLX5_IB_OBJECT_DEVX, MLX5_IB_METHOD_DEVX_OTHER,
		    devx_attrs, 2);
	/* Framing: length and num_attrs must agree with the bytes. */
	CHECK(decode(&f, len - 16, &cmd) == -EINVAL);
	CHECK(decode(&f, 8, &cmd) == -EINVAL);
	f.hdr.length += 16;
	CHECK(decode(&f, len, &cmd) == -EINVAL);
	f.hdr.length -= 16;
	/* Reserved header fields. */
	f.hdr.reserved1 = 1;
	CHECK(decode(&f, len, &cmd) == -EPROTONOSUPPORT);
	f.hdr.reserved1 = 0;
	f.hdr.reserved2 = 1;
	CHECK(decode(&f, len, &cmd) == -EPROTONOSUPPORT);
	f.hdr.reserved2 = 0;
	/* Unknown object or method: libibverbs falls back to write(). */
	f.hdr.object_id = UVERBS_OBJECT_DEVICE;
	f.hdr.method_id = UVERBS_METHOD_GET_CONTEXT;
	CHECK(decode(&f, len, &cmd) == -EPROTONOSUPPORT);
	f.hdr.object_id = MLX5_IB_OBJECT_DEVX;
	f.hdr.method_id = MLX5_IB_METHOD_DEVX_OTHER;
	/* Flags and reserved attribute fields. */
	f.attrs[0].flags |= 0x4;
	CHECK(decode(&f, len, &cmd) == -EINVAL);
	f.attrs[0].flags = UVERBS_ATTR_F_MANDATORY;
	f.attrs[0].attr_data.reserved = 1;
	CHECK(decode(&f, len, &cmd) == -EINVAL);
	f.attrs[0].attr_data.reserved = 0;
	/* Twice the same attribute. */
	f.attrs[1] = f.attrs[0];
	CHECK(decode(&f, len, &cmd) == -EINVAL);
	f.attrs[1] = devx_attrs[1];
	/* Pointer lengths outside the spec. */
	f.attrs[0].len = 4;
	CHECK(decode(&f, len, &cmd) == -EINVAL);
	f.attrs[0].len = 4096;
	CHECK(decode(&f, len, &cmd) == -EINVAL);
	f.attrs[0].len = 16;
	/* An unknown attribute: ignored, unless mandatory. */
	f.attrs[2] = extra;
	f.hdr.num_attrs = 3;
	f.hdr.length += sizeof(extra);
	len += sizeof(extra);
	CHECK(decode(&f, len, &cmd) == 0);
	f.attrs[2].flags = UVERBS_ATTR_F_MANDATORY;
	CHECK(decode(&f, len, &cmd) == -EPROTONOSUPPORT);
}

int main(void)
{
	test_devx_other();
	test_advise_mr();
	test_rules();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
