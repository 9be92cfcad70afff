// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The core ioctl methods of the command fd, checked with the raw client
 * (tests/lib/rawdev.h) against the kernel's attributes, sizes and errnos
 * (uverbs_std_types_device.c, _async_fd.c, _cq.c, _qp.c, _srq.c, _mr.c),
 * run inside uodp-run:
 *
 *   uodp-methods   GET_CONTEXT, ASYNC_EVENT_ALLOC, QUERY_CONTEXT,
 *                  QUERY_PORT, QUERY_GID_TABLE/ENTRY, INFO_HANDLES,
 *                  INVOKE_WRITE and the DESTROY methods: happy paths
 *                  decoded against hand-built bytes and the write
 *                  commands' answers, then wrong sizes, missing and
 *                  unknown attributes, bad pointers, stale and foreign
 *                  handles, and random method calls; the device serves on.
 *
 * Exit status 0 when every check passed; each check is printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_verbs.h>
#include <rdma/mlx5-abi.h>
#include <rdma/mlx5_user_ioctl_cmds.h>

#include <infiniband/verbs.h>

#include "lib/rawdev.h"
#include "lib/report.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BAD_PTR 0x10ull		/* never mapped */

static void open_or_die(struct raw_dev *dev, int (*open_fn)(struct raw_dev *))
{
	int ret = open_fn(dev);

	if (ret)
		test_die("open " RAW_DEV_PATH, -ret);
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

static bool valid_output(const struct ib_uverbs_attr *a)
{
	return a->flags & UVERBS_ATTR_F_VALID_OUTPUT;
}

/* ---- GET_CONTEXT, ASYNC_EVENT_ALLOC, QUERY_CONTEXT ---- */

static int query_port_ioctl(struct raw_dev *dev, uint64_t port, void *resp,
			    size_t len)
{
	struct ib_uverbs_attr a[] = {
		raw_attr_const(UVERBS_ATTR_QUERY_PORT_PORT_NUM, port),
		raw_attr_out(UVERBS_ATTR_QUERY_PORT_RESP, resp, len),
	};

	return raw_ioctl(dev, UVERBS_OBJECT_DEVICE, UVERBS_METHOD_QUERY_PORT,
			 a, 2);
}

/* Before GET_CONTEXT: only the methods of no context answer. */
static void before_context(void)
{
	struct ib_uverbs_query_port_resp_ex port;
	struct raw_dev dev;
	uint32_t list[4], total = 99;
	struct ib_uverbs_attr fd = raw_attr_new_fd(
		UVERBS_ATTR_ASYNC_EVENT_ALLOC_FD_HANDLE);
	struct ib_uverbs_attr info[] = {
		raw_attr_const(UVERBS_ATTR_INFO_OBJECT_ID, UVERBS_OBJECT_PD),
		raw_attr_out(UVERBS_ATTR_INFO_TOTAL_HANDLES, &total,
			     sizeof(total)),
		raw_attr_out(UVERBS_ATTR_INFO_HANDLES_LIST, list, sizeof(list)),
	};
	struct ib_uverbs_attr probe =
		raw_attr_const(UVERBS_ATTR_WRITE_CMD,
			       IB_USER_VERBS_CMD_QUERY_DEVICE);

	open_or_die(&dev, raw_open_bare);
	test_check_ret(query_port_ioctl(&dev, 1, &port, sizeof(port)), -EINVAL,
		       "QUERY_PORT before GET_CONTEXT");
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_ASYNC_EVENT,
				 UVERBS_METHOD_ASYNC_EVENT_ALLOC, &fd, 1),
		       -EINVAL, "ASYNC_EVENT_ALLOC before GET_CONTEXT");
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_INFO_HANDLES, info, 3), 0,
		       "INFO_HANDLES before GET_CONTEXT");
	test_check(total == 0, "  no handles (%u)", total);
	/* libibverbs' probe: an empty QUERY_DEVICE is ENOSPC. */
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_INVOKE_WRITE, &probe, 1),
		       -ENOSPC, "INVOKE_WRITE probe (QUERY_DEVICE, no core)");
	raw_close(&dev);
}

static void get_context_cases(void)
{
	struct mlx5_ib_alloc_ucontext_req_v2 req = { .total_num_bfregs = 1 };
	struct uodp_alloc_ucontext_resp drv, uctx[2];
	uint32_t num_comp = 0;
	uint64_t core = 0, wide = 0;
	struct ib_uverbs_attr a[] = {
		raw_attr_out(UVERBS_ATTR_GET_CONTEXT_NUM_COMP_VECTORS,
			     &num_comp, sizeof(num_comp)),
		raw_attr_out(UVERBS_ATTR_GET_CONTEXT_CORE_SUPPORT, &core,
			     sizeof(core)),
		raw_attr_in(UVERBS_ATTR_UHW_IN, &req, sizeof(req)),
		raw_attr_out(UVERBS_ATTR_UHW_OUT, &drv, sizeof(drv)),
	};
	struct ib_uverbs_attr q[] = {
		raw_attr_out(MLX5_IB_ATTR_QUERY_CONTEXT_RESP_UCTX, uctx,
			     sizeof(uctx)),
	};
	struct ib_uverbs_attr fd = raw_attr_new_fd(
		UVERBS_ATTR_ASYNC_EVENT_ALLOC_FD_HANDLE);
	struct ib_uverbs_attr bad;
	struct raw_dev dev;
	char byte;

	open_or_die(&dev, raw_open_bare);
	/* Wrong sizes and pointers: no context is left behind. */
	bad = raw_attr_out(UVERBS_ATTR_GET_CONTEXT_CORE_SUPPORT, &wide, 4);
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_GET_CONTEXT, &bad, 1), -EINVAL,
		       "GET_CONTEXT, CORE_SUPPORT of 4 bytes");
	bad = raw_attr_out(UVERBS_ATTR_UHW_OUT, (void *)BAD_PTR, sizeof(drv));
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_GET_CONTEXT, &bad, 1), -EFAULT,
		       "GET_CONTEXT, UHW_OUT unmapped");
	bad = raw_attr_in(UVERBS_ATTR_UHW_IN, (void *)BAD_PTR, sizeof(req));
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_GET_CONTEXT, &bad, 1), -EFAULT,
		       "GET_CONTEXT, UHW_IN unmapped");
	bad = raw_attr_const(0x99, 0);
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_GET_CONTEXT, &bad, 1),
		       -EPROTONOSUPPORT, "GET_CONTEXT, unknown mandatory attr");
	memset(&drv, 0xa5, sizeof(drv));
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_GET_CONTEXT, a, 4), 0,
		       "GET_CONTEXT by ioctl");
	test_check(num_comp == 1 && core ==
		   IB_UVERBS_CORE_SUPPORT_OPTIONAL_MR_ACCESS,
		   "  num_comp_vectors 1, core_support OPTIONAL_MR_ACCESS");
	test_check(valid_output(&a[0]) && valid_output(&a[1]) &&
		   valid_output(&a[3]) && !valid_output(&a[2]),
		   "  VALID_OUTPUT on the outputs only");
	test_check(drv.mlx5.response_length == sizeof(drv.mlx5) &&
		   drv.mlx5.num_ports == 1 && drv.mlx5.cqe_version == 1 &&
		   drv.mlx5.num_uars_per_page == 1 && drv.device_pid &&
		   drv.max_inline_data,
		   "  mlx5's alloc_ucontext response and the emulator's tail");
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_GET_CONTEXT, a, 4), -EINVAL,
		       "GET_CONTEXT twice");
	/* The async event fd: a pipe nothing is written to yet. */
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_ASYNC_EVENT,
				 UVERBS_METHOD_ASYNC_EVENT_ALLOC, &fd, 1), 0,
		       "ASYNC_EVENT_ALLOC");
	dev.async_fd = (int)fd.data;
	fcntl(dev.async_fd, F_SETFL, O_NONBLOCK);
	test_check(dev.async_fd >= 0 && read(dev.async_fd, &byte, 1) < 0 &&
		   errno == EAGAIN, "  an fd with no event (fd %d)",
		   dev.async_fd);
	bad = fd;
	bad.len = 4;
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_ASYNC_EVENT,
				 UVERBS_METHOD_ASYNC_EVENT_ALLOC, &bad, 1),
		       -EINVAL, "ASYNC_EVENT_ALLOC, fd attr of length 4");
	/* QUERY_CONTEXT answers what GET_CONTEXT did, zeros after. */
	memset(uctx, 0xa5, sizeof(uctx));
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_QUERY_CONTEXT, q, 1), 0,
		       "QUERY_CONTEXT");
	test_check(!memcmp(&uctx[0].mlx5, &drv.mlx5, sizeof(drv.mlx5)) &&
		   uctx[0].device_pid == drv.device_pid &&
		   all_zero(&uctx[1], sizeof(uctx[1])) && valid_output(&q[0]),
		   "  mlx5's response again, the rest zeroed");
	q[0].len = sizeof(struct mlx5_ib_alloc_ucontext_resp) - 4;
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_QUERY_CONTEXT, q, 1), -EINVAL,
		       "QUERY_CONTEXT, RESP_UCTX short of dump_fill_mkey");
	test_check_ret(raw_ioctl(&dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_QUERY_CONTEXT, q, 0), -EINVAL,
		       "QUERY_CONTEXT without RESP_UCTX");
	raw_close(&dev);
}

/* ---- QUERY_PORT ---- */

/*
 * The request as bytes, built by hand: the header (length 0x38, object
 * DEVICE 0, method QUERY_PORT 2, two attributes, reserved1, driver_id,
 * reserved2), PORT_NUM 0 inline (len 8, MANDATORY, value 1), RESP 1
 * (len 48, MANDATORY, the pointer).
 */
static int query_port_bytes(struct raw_dev *dev, void *resp)
{
	uint64_t p = (uintptr_t)resp;
	_Alignas(8) uint8_t buf[] = {
		0x38, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x30, 0x00, 0x01, 0x00, 0x00, 0x00,
		0, 0, 0, 0, 0, 0, 0, 0,
	};
	uint16_t flags;
	int ret;

	memcpy(&buf[48], &p, sizeof(p));
	ret = ioctl(dev->cmd_fd, RDMA_VERBS_IOCTL, buf) ? -errno : 0;
	memcpy(&flags, &buf[44], sizeof(flags));
	if (!ret && !(flags & UVERBS_ATTR_F_VALID_OUTPUT))
		return -EBADMSG;
	return ret;
}

static void query_port_cases(struct raw_dev *dev)
{
	struct ib_uverbs_query_port cmd = { .port_num = 1 };
	struct ib_uverbs_query_port_resp legacy;
	struct ib_uverbs_query_port_resp_ex ex[2];
	struct ib_uverbs_attr a[3];
	uint64_t zero = 0;

	memset(&legacy, 0, sizeof(legacy));
	if (raw_write(dev, IB_USER_VERBS_CMD_QUERY_PORT, &cmd, sizeof(cmd),
		      &legacy, sizeof(legacy)))
		test_die("QUERY_PORT by write", errno);
	memset(ex, 0xa5, sizeof(ex));
	test_check_ret(query_port_bytes(dev, ex), 0,
		       "QUERY_PORT from hand-built bytes");
	test_check(!memcmp(&ex[0].legacy_resp, &legacy, sizeof(legacy)) &&
		   all_zero(ex[0].reserved, sizeof(ex[0].reserved)),
		   "  the write command's answer, then port_cap_flags2");
	memset(ex, 0xa5, sizeof(ex));
	test_check_ret(query_port_ioctl(dev, 1, ex, sizeof(ex)), 0,
		       "QUERY_PORT, RESP of 96 bytes");
	test_check(all_zero(&ex[1], sizeof(ex[1])), "  zeros after the struct");
	test_check_ret(query_port_ioctl(dev, 1, ex, sizeof(legacy)), -EINVAL,
		       "QUERY_PORT, RESP of the legacy size");
	test_check_ret(query_port_ioctl(dev, 0, ex, sizeof(ex[0])), -EINVAL,
		       "QUERY_PORT, port 0");
	test_check_ret(query_port_ioctl(dev, 2, ex, sizeof(ex[0])), -EINVAL,
		       "QUERY_PORT, port 2");
	test_check_ret(query_port_ioctl(dev, 257, ex, sizeof(ex[0])), -EINVAL,
		       "QUERY_PORT, port 257 (above u8)");
	test_check_ret(query_port_ioctl(dev, 1, (void *)BAD_PTR, sizeof(ex[0])),
		       -EFAULT, "QUERY_PORT, RESP unmapped");
	a[0] = raw_attr_in(UVERBS_ATTR_QUERY_PORT_PORT_NUM, &zero, 4);
	a[1] = raw_attr_out(UVERBS_ATTR_QUERY_PORT_RESP, ex, sizeof(ex[0]));
	test_check_ret(raw_ioctl(dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_QUERY_PORT, a, 2), -EINVAL,
		       "QUERY_PORT, PORT_NUM of 4 bytes");
	a[0] = raw_attr_const(UVERBS_ATTR_QUERY_PORT_PORT_NUM, 1);
	test_check_ret(raw_ioctl(dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_QUERY_PORT, a, 1), -EINVAL,
		       "QUERY_PORT without RESP");
	a[2] = raw_attr_const(0x77, 0);
	test_check_ret(raw_ioctl(dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_QUERY_PORT, a, 3),
		       -EPROTONOSUPPORT, "QUERY_PORT, unknown mandatory attr");
	a[2].flags = 0;
	test_check_ret(raw_ioctl(dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_QUERY_PORT, a, 3), 0,
		       "QUERY_PORT, unknown optional attr ignored");
	a[2] = a[0];
	test_check_ret(raw_ioctl(dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_QUERY_PORT, a, 3), -EINVAL,
		       "QUERY_PORT, PORT_NUM twice");
}

/* ---- QUERY_GID_ENTRY, QUERY_GID_TABLE ---- */

static int gid_entry(struct raw_dev *dev, uint64_t port, uint64_t index,
		     uint64_t flags, void *out, size_t len)
{
	struct ib_uverbs_attr a[] = {
		raw_attr_const(UVERBS_ATTR_QUERY_GID_ENTRY_PORT, port),
		raw_attr_const(UVERBS_ATTR_QUERY_GID_ENTRY_GID_INDEX, index),
		raw_attr_in(UVERBS_ATTR_QUERY_GID_ENTRY_FLAGS, &flags, 4),
		raw_attr_out(UVERBS_ATTR_QUERY_GID_ENTRY_RESP_ENTRY, out, len),
	};

	return raw_ioctl(dev, UVERBS_OBJECT_DEVICE,
			 UVERBS_METHOD_QUERY_GID_ENTRY, a, 4);
}

static int gid_table(struct raw_dev *dev, uint64_t entry_size, void *out,
		     size_t len, uint64_t *num, unsigned int nattrs)
{
	struct ib_uverbs_attr a[] = {
		raw_attr_const(UVERBS_ATTR_QUERY_GID_TABLE_ENTRY_SIZE,
			       entry_size),
		raw_attr_out(UVERBS_ATTR_QUERY_GID_TABLE_RESP_ENTRIES, out,
			     len),
		raw_attr_out(UVERBS_ATTR_QUERY_GID_TABLE_RESP_NUM_ENTRIES, num,
			     sizeof(*num)),
		raw_attr_const(UVERBS_ATTR_QUERY_GID_TABLE_FLAGS, 1),
	};

	return raw_ioctl(dev, UVERBS_OBJECT_DEVICE,
			 UVERBS_METHOD_QUERY_GID_TABLE, a, nattrs);
}

/* The fixture: GIDs 0/1 the link-local address as RoCE v1/v2 (README). */
static void gid_cases(struct raw_dev *dev)
{
	struct ib_uverbs_gid_entry e[2], t[16];
	uint8_t wide[16 * 40], narrow[16 * 16];
	uint64_t num = 0;
	unsigned int i;
	int ret;

	memset(e, 0xa5, sizeof(e));
	test_check_ret(gid_entry(dev, 1, 0, 0, e, sizeof(e)), 0,
		       "QUERY_GID_ENTRY 0, RESP of 64 bytes");
	test_check(((const uint8_t *)e[0].gid)[0] == 0xfe &&
		   ((const uint8_t *)e[0].gid)[1] == 0x80 &&
		   e[0].gid_index == 0 && e[0].port_num == 1 &&
		   e[0].gid_type == IB_UVERBS_GID_TYPE_ROCE_V1 &&
		   all_zero(&e[1], sizeof(e[1])),
		   "  fe80::, port 1, RoCE v1, zeros after (ifindex %u)",
		   e[0].netdev_ifindex);
	test_check_ret(gid_entry(dev, 1, 1, 0, e, sizeof(e[0])), 0,
		       "QUERY_GID_ENTRY 1");
	test_check(e[0].gid_type == IB_UVERBS_GID_TYPE_ROCE_V2 &&
		   e[0].gid_index == 1, "  RoCE v2");
	test_check_ret(gid_entry(dev, 1, 15, 0, e, sizeof(e[0])), -ENODATA,
		       "QUERY_GID_ENTRY of an empty slot");
	test_check_ret(gid_entry(dev, 1, 16, 0, e, sizeof(e[0])), -EINVAL,
		       "QUERY_GID_ENTRY past the table");
	test_check_ret(gid_entry(dev, 2, 0, 0, e, sizeof(e[0])), -EINVAL,
		       "QUERY_GID_ENTRY of port 2");
	test_check_ret(gid_entry(dev, 1, 0, 1, e, sizeof(e[0])), -EINVAL,
		       "QUERY_GID_ENTRY with flags");
	test_check_ret(gid_entry(dev, 1, 0, 0, e, sizeof(e[0]) - 4), -EINVAL,
		       "QUERY_GID_ENTRY, RESP short of netdev_ifindex");
	test_check_ret(gid_entry(dev, 1ull << 32, 0, 0, e, sizeof(e[0])),
		       -EINVAL, "QUERY_GID_ENTRY, port above u32");

	ret = gid_table(dev, sizeof(t[0]), t, sizeof(t), &num, 3);
	test_check_ret(ret, 0, "QUERY_GID_TABLE");
	test_check(num >= 2 && num <= 16, "  %llu entries",
		   (unsigned long long)num);
	for (i = 0; !ret && i < num; i++) {
		if (gid_entry(dev, 1, t[i].gid_index, 0, e, sizeof(e[0])) ||
		    memcmp(e, &t[i], sizeof(e[0])))
			break;
	}
	test_check(!ret && i == num, "  each as QUERY_GID_ENTRY has it");
	memset(wide, 0xa5, sizeof(wide));
	test_check_ret(gid_table(dev, 40, wide, sizeof(wide), &num, 3), 0,
		       "QUERY_GID_TABLE, entries of 40 bytes");
	test_check(!memcmp(wide + 40, &t[1], sizeof(t[1])) &&
		   all_zero(wide + 32, 8), "  each entry padded with zeros");
	test_check_ret(gid_table(dev, 16, narrow, sizeof(narrow), &num, 3), 0,
		       "QUERY_GID_TABLE, entries of 16 bytes");
	test_check(!memcmp(narrow + 16, t[1].gid, 16), "  each the GID alone");
	test_check_ret(gid_table(dev, 0, t, sizeof(t), &num, 3), -EINVAL,
		       "QUERY_GID_TABLE, entry size 0");
	test_check_ret(gid_table(dev, 32, t, 40, &num, 3), -EINVAL,
		       "QUERY_GID_TABLE, room not whole entries");
	test_check_ret(gid_table(dev, 32, t, 32, &num, 3), -EINVAL,
		       "QUERY_GID_TABLE, room for fewer than the GIDs");
	test_check_ret(gid_table(dev, 32, t, sizeof(t), &num, 4), -EINVAL,
		       "QUERY_GID_TABLE with flags");
	test_check_ret(gid_table(dev, 32, t, sizeof(t), &num, 2), -EINVAL,
		       "QUERY_GID_TABLE without NUM_ENTRIES");
}

/* ---- INFO_HANDLES ---- */

static int info_handles(struct raw_dev *dev, uint64_t object, uint32_t *list,
			size_t len, uint32_t *total, unsigned int nattrs)
{
	struct ib_uverbs_attr a[] = {
		raw_attr_const(UVERBS_ATTR_INFO_OBJECT_ID, object),
		raw_attr_out(UVERBS_ATTR_INFO_HANDLES_LIST, list, len),
		raw_attr_out(UVERBS_ATTR_INFO_TOTAL_HANDLES, total,
			     sizeof(*total)),
	};

	return raw_ioctl(dev, UVERBS_OBJECT_DEVICE, UVERBS_METHOD_INFO_HANDLES,
			 a, nattrs);
}

static void info_handles_cases(struct raw_dev *dev)
{
	uint32_t pd[2], list[8], total = 0;
	struct raw_cq cq;

	if (raw_alloc_pd(dev, &pd[0]) || raw_alloc_pd(dev, &pd[1]) ||
	    raw_create_cq(dev, &cq, 8))
		test_die("objects", EIO);
	test_check_ret(info_handles(dev, UVERBS_OBJECT_PD, list, sizeof(list),
				    &total, 3), 0, "INFO_HANDLES of PDs");
	test_check(total == 2 && list[0] == pd[0] && list[1] == pd[1],
		   "  both PDs, in order");
	test_check_ret(info_handles(dev, UVERBS_OBJECT_PD, list, 4, &total, 3),
		       0, "INFO_HANDLES, room for one");
	test_check(total == 1, "  one handle");
	test_check_ret(info_handles(dev, UVERBS_OBJECT_CQ, list, sizeof(list),
				    &total, 3), 0, "INFO_HANDLES of CQs");
	test_check(total == 1 && list[0] == cq.cqn, "  the CQ");
	test_check_ret(info_handles(dev, UVERBS_OBJECT_QP, list, sizeof(list),
				    &total, 3), 0, "INFO_HANDLES of QPs");
	test_check(total == 0, "  none");
	test_check_ret(info_handles(dev, UVERBS_OBJECT_PD, list, sizeof(list),
				    &total, 2), -ENOENT,
		       "INFO_HANDLES without TOTAL (the kernel's ENOENT)");
	test_check_ret(info_handles(dev, UVERBS_OBJECT_PD, list, 6, &total, 3),
		       -EINVAL, "INFO_HANDLES, list of 6 bytes");
	test_check_ret(info_handles(dev, 0x999, list, sizeof(list), &total, 3),
		       -EINVAL, "INFO_HANDLES of no such object");
	test_check_ret(info_handles(dev, UVERBS_OBJECT_PD, (void *)BAD_PTR,
				    sizeof(list), &total, 3), -EFAULT,
		       "INFO_HANDLES, list unmapped");
	raw_destroy(dev, RAW_CQ, cq.cqn);
	raw_free_cq(&cq);
	raw_destroy(dev, RAW_PD, pd[0]);
	raw_destroy(dev, RAW_PD, pd[1]);
}

/* ---- INVOKE_WRITE ---- */

static int invoke(struct raw_dev *dev, uint64_t command, void *in,
		  size_t in_len, void *out, size_t out_len, void *uhw_out,
		  size_t uhw_len, struct ib_uverbs_attr *a)
{
	unsigned int n = 0;

	a[n++] = raw_attr_const(UVERBS_ATTR_WRITE_CMD, command);
	if (in_len)
		a[n++] = raw_attr_in(UVERBS_ATTR_CORE_IN, in, in_len);
	if (out_len)
		a[n++] = raw_attr_out(UVERBS_ATTR_CORE_OUT, out, out_len);
	if (uhw_len)
		a[n++] = raw_attr_out(UVERBS_ATTR_UHW_OUT, uhw_out, uhw_len);
	return raw_ioctl(dev, UVERBS_OBJECT_DEVICE, UVERBS_METHOD_INVOKE_WRITE,
			 a, n);
}

static void invoke_write_cases(struct raw_dev *dev)
{
	struct ib_uverbs_query_port qp_cmd = { .port_num = 1 };
	struct ib_uverbs_query_port_resp by_write, by_ioctl;
	struct ib_uverbs_alloc_pd pd_cmd = { 0 };
	struct ib_uverbs_alloc_pd_resp pd = { 0 };
	struct mlx5_ib_alloc_pd_resp drv = { 0 };
	struct ib_uverbs_dealloc_pd dealloc = { 0 };
	uint8_t padded[sizeof(qp_cmd) + 8] = { 0 };
	uint32_t list[4], total;
	struct ib_uverbs_attr a[5];

	test_check_ret(invoke(dev, IB_USER_VERBS_CMD_ALLOC_PD, &pd_cmd,
			      sizeof(pd_cmd), &pd, sizeof(pd), &drv,
			      sizeof(drv), a), 0, "INVOKE_WRITE ALLOC_PD");
	test_check(pd.pd_handle && drv.pdn == pd.pd_handle &&
		   valid_output(&a[2]) && valid_output(&a[3]),
		   "  handle %u, mlx5's pdn in UHW_OUT, outputs valid",
		   pd.pd_handle);
	test_check(!info_handles(dev, UVERBS_OBJECT_PD, list, sizeof(list),
				 &total, 3) && total == 1 &&
		   list[0] == pd.pd_handle, "  INFO_HANDLES lists it");
	dealloc.pd_handle = pd.pd_handle;
	test_check_ret(invoke(dev, IB_USER_VERBS_CMD_DEALLOC_PD, &dealloc,
			      sizeof(dealloc), NULL, 0, NULL, 0, a), 0,
		       "INVOKE_WRITE DEALLOC_PD");
	test_check_ret(invoke(dev, IB_USER_VERBS_CMD_DEALLOC_PD, &dealloc,
			      sizeof(dealloc), NULL, 0, NULL, 0, a), -ENOENT,
		       "INVOKE_WRITE DEALLOC_PD again");
	/* A core response the same as write()'s. */
	memset(&by_write, 0, sizeof(by_write));
	raw_write(dev, IB_USER_VERBS_CMD_QUERY_PORT, &qp_cmd, sizeof(qp_cmd),
		  &by_write, sizeof(by_write));
	memset(&by_ioctl, 0xa5, sizeof(by_ioctl));
	test_check_ret(invoke(dev, IB_USER_VERBS_CMD_QUERY_PORT, &qp_cmd,
			      sizeof(qp_cmd), &by_ioctl, sizeof(by_ioctl), NULL,
			      0, a), 0, "INVOKE_WRITE QUERY_PORT");
	test_check(!memcmp(&by_write, &by_ioctl, sizeof(by_ioctl)),
		   "  the write command's answer");
	memcpy(padded, &qp_cmd, sizeof(qp_cmd));
	test_check_ret(invoke(dev, IB_USER_VERBS_CMD_QUERY_PORT, padded,
			      sizeof(padded), &by_ioctl, sizeof(by_ioctl), NULL,
			      0, a), 0, "INVOKE_WRITE, core longer, zeros");
	padded[sizeof(padded) - 1] = 1;
	test_check_ret(invoke(dev, IB_USER_VERBS_CMD_QUERY_PORT, padded,
			      sizeof(padded), &by_ioctl, sizeof(by_ioctl), NULL,
			      0, a), -EOPNOTSUPP,
		       "INVOKE_WRITE, core longer, not zeros");
	test_check_ret(invoke(dev, IB_USER_VERBS_CMD_QUERY_PORT, &qp_cmd,
			      sizeof(qp_cmd), &by_ioctl, sizeof(by_ioctl) - 4,
			      NULL, 0, a), -ENOSPC,
		       "INVOKE_WRITE, core response too small");
	test_check_ret(invoke(dev, IB_USER_VERBS_CMD_QUERY_PORT, &qp_cmd,
			      sizeof(qp_cmd), (void *)BAD_PTR,
			      sizeof(by_ioctl), NULL, 0, a), -EFAULT,
		       "INVOKE_WRITE, core response unmapped");
	test_check_ret(invoke(dev, IB_USER_VERBS_CMD_ALLOC_PD, &pd_cmd,
			      sizeof(pd_cmd), (void *)BAD_PTR, sizeof(pd), NULL,
			      0, a), -EFAULT,
		       "INVOKE_WRITE ALLOC_PD, response unmapped");
	test_check(!info_handles(dev, UVERBS_OBJECT_PD, list, sizeof(list),
				 &total, 3) && total == 0,
		   "  no PD left behind");
	test_check_ret(invoke(dev, 60, NULL, 0, NULL, 0, NULL, 0, a),
		       -EOPNOTSUPP, "INVOKE_WRITE of command 60");
	test_check_ret(invoke(dev, 1u << 30, NULL, 0, NULL, 0, NULL, 0, a),
		       -EINVAL, "INVOKE_WRITE, command with stray bits");
	test_check_ret(invoke(dev, 1ull << 32, NULL, 0, NULL, 0, NULL, 0, a),
		       -EINVAL, "INVOKE_WRITE, command above u32");
	test_check_ret(raw_ioctl(dev, UVERBS_OBJECT_DEVICE,
				 UVERBS_METHOD_INVOKE_WRITE, a, 0), -EINVAL,
		       "INVOKE_WRITE without WRITE_CMD");
}

/* ---- the DESTROY methods ---- */

static int destroy_with(struct raw_dev *dev, uint16_t object,
			uint16_t method, uint16_t handle_id, uint64_t handle,
			uint16_t resp_id, void *resp, size_t len)
{
	struct ib_uverbs_attr a[] = {
		raw_attr_idr(handle_id, handle),
		raw_attr_out(resp_id, resp, len),
	};

	return raw_ioctl(dev, object, method, a, len ? 2 : 1);
}

static int destroy_pd(struct raw_dev *dev, uint64_t pd)
{
	return destroy_with(dev, UVERBS_OBJECT_PD, UVERBS_METHOD_PD_DESTROY,
			    UVERBS_ATTR_DESTROY_PD_HANDLE, pd, 0, NULL, 0);
}

static int destroy_cq(struct raw_dev *dev, uint64_t cq, void *resp,
		      size_t len)
{
	return destroy_with(dev, UVERBS_OBJECT_CQ, UVERBS_METHOD_CQ_DESTROY,
			    UVERBS_ATTR_DESTROY_CQ_HANDLE, cq,
			    UVERBS_ATTR_DESTROY_CQ_RESP, resp, len);
}

static void destroy_cases(struct raw_dev *dev, struct raw_dev *other)
{
	struct ib_uverbs_destroy_cq_resp cq_resp;
	uint32_t pd, mr, foreign_pd, events = 99;
	struct ib_uverbs_attr a;
	struct raw_cq cq, cq2;
	struct raw_qp qp;
	static char buf[4096];

	if (raw_alloc_pd(dev, &pd) || raw_reg_mr(dev, pd, buf, sizeof(buf),
						 IBV_ACCESS_LOCAL_WRITE, &mr) ||
	    raw_create_cq(dev, &cq, 8) || raw_create_cq(dev, &cq2, 8) ||
	    raw_create_rc_qp(dev, &qp, pd, &cq) ||
	    raw_alloc_pd(other, &foreign_pd))
		test_die("objects", EIO);
	test_check_ret(destroy_pd(dev, pd), -EBUSY, "PD_DESTROY with an MR");
	test_check_ret(destroy_pd(dev, foreign_pd), -ENOENT,
		       "PD_DESTROY of another context's PD");
	test_check_ret(destroy_pd(dev, pd | 1ull << 32), -EINVAL,
		       "PD_DESTROY, handle above 32 bits");
	a = raw_attr_idr(UVERBS_ATTR_DESTROY_PD_HANDLE, pd);
	a.len = 8;
	test_check_ret(raw_ioctl(dev, UVERBS_OBJECT_PD,
				 UVERBS_METHOD_PD_DESTROY, &a, 1), -EINVAL,
		       "PD_DESTROY, IDR attr of length 8");
	test_check_ret(raw_ioctl(dev, UVERBS_OBJECT_PD,
				 UVERBS_METHOD_PD_DESTROY, &a, 0), -EINVAL,
		       "PD_DESTROY without its handle");
	test_check_ret(destroy_cq(dev, cq.cqn, &cq_resp, sizeof(cq_resp)),
		       -EBUSY, "CQ_DESTROY of a CQ a QP uses");
	test_check_ret(destroy_cq(dev, cq2.cqn, &cq_resp, 0), -EINVAL,
		       "CQ_DESTROY without RESP");
	test_check_ret(destroy_cq(dev, cq2.cqn, &cq_resp, 4), -EINVAL,
		       "CQ_DESTROY, RESP of 4 bytes");
	test_check_ret(destroy_with(dev, UVERBS_OBJECT_QP,
				    UVERBS_METHOD_QP_DESTROY,
				    UVERBS_ATTR_DESTROY_QP_HANDLE, qp.qpn,
				    UVERBS_ATTR_DESTROY_QP_RESP, &events,
				    sizeof(events)), 0, "QP_DESTROY");
	test_check(events == 0, "  no events reported");
	raw_free_qp(&qp);
	memset(&cq_resp, 0xa5, sizeof(cq_resp));
	test_check_ret(destroy_cq(dev, cq.cqn, &cq_resp, sizeof(cq_resp)), 0,
		       "CQ_DESTROY once the QP is gone");
	test_check(!cq_resp.comp_events_reported &&
		   !cq_resp.async_events_reported, "  counts 0 and 0");
	test_check_ret(destroy_cq(dev, cq.cqn, &cq_resp, sizeof(cq_resp)),
		       -ENOENT, "CQ_DESTROY of a stale handle");
	test_check_ret(destroy_cq(dev, cq2.cqn, (void *)BAD_PTR,
				  sizeof(cq_resp)), -EFAULT,
		       "CQ_DESTROY, RESP unmapped");
	test_check_ret(destroy_cq(dev, cq2.cqn, &cq_resp, sizeof(cq_resp)),
		       -ENOENT, "  the CQ went all the same");
	test_check_ret(destroy_with(dev, UVERBS_OBJECT_MR,
				    UVERBS_METHOD_MR_DESTROY,
				    UVERBS_ATTR_DESTROY_MR_HANDLE, mr, 0, NULL,
				    0), 0, "MR_DESTROY");
	test_check_ret(destroy_pd(dev, pd), 0, "PD_DESTROY");
	test_check_ret(destroy_pd(dev, pd), -ENOENT, "PD_DESTROY again");
	test_check_ret(destroy_with(dev, UVERBS_OBJECT_SRQ,
				    UVERBS_METHOD_SRQ_DESTROY,
				    UVERBS_ATTR_DESTROY_SRQ_HANDLE, 12345,
				    UVERBS_ATTR_DESTROY_SRQ_RESP, &events,
				    sizeof(events)), -ENOENT,
		       "SRQ_DESTROY of no SRQ");
	test_check_ret(destroy_with(dev, UVERBS_OBJECT_XRCD,
				    UVERBS_METHOD_XRCD_DESTROY,
				    UVERBS_ATTR_DESTROY_XRCD_HANDLE, 1, 0,
				    NULL, 0), -ENOENT, "XRCD_DESTROY of no XRCD");
	test_check_ret(destroy_pd(other, foreign_pd), 0,
		       "the other context's PD is intact");
	raw_free_cq(&cq);
	raw_free_cq(&cq2);
}

/* ---- random calls ---- */

static const struct {
	uint16_t object, method;
} methods[] = {
	{ UVERBS_OBJECT_DEVICE, UVERBS_METHOD_GET_CONTEXT },
	{ UVERBS_OBJECT_DEVICE, UVERBS_METHOD_QUERY_CONTEXT },
	{ UVERBS_OBJECT_DEVICE, UVERBS_METHOD_QUERY_PORT },
	{ UVERBS_OBJECT_DEVICE, UVERBS_METHOD_QUERY_GID_TABLE },
	{ UVERBS_OBJECT_DEVICE, UVERBS_METHOD_QUERY_GID_ENTRY },
	{ UVERBS_OBJECT_DEVICE, UVERBS_METHOD_INFO_HANDLES },
	{ UVERBS_OBJECT_DEVICE, UVERBS_METHOD_INVOKE_WRITE },
	{ UVERBS_OBJECT_ASYNC_EVENT, UVERBS_METHOD_ASYNC_EVENT_ALLOC },
	{ UVERBS_OBJECT_PD, UVERBS_METHOD_PD_DESTROY },
	{ UVERBS_OBJECT_MR, UVERBS_METHOD_MR_DESTROY },
	{ UVERBS_OBJECT_CQ, UVERBS_METHOD_CQ_DESTROY },
	{ UVERBS_OBJECT_QP, UVERBS_METHOD_QP_DESTROY },
	{ UVERBS_OBJECT_SRQ, UVERBS_METHOD_SRQ_DESTROY },
	{ UVERBS_OBJECT_XRCD, UVERBS_METHOD_XRCD_DESTROY },
};

/* Random attributes: ids, lengths and pointers near the real ones. */
static void random_calls(struct raw_dev *dev, unsigned int count)
{
	static uint8_t room[4096];
	static const uint64_t ptrs[] = { 0, BAD_PTR, 1ull << 47 };
	struct ib_uverbs_attr a[6];
	unsigned int i, j, n, m;
	uint32_t r;

	srandom(4242);
	for (i = 0; i < count; i++) {
		m = (unsigned int)random() % ARRAY_SIZE(methods);
		n = (unsigned int)random() % ARRAY_SIZE(a);
		for (j = 0; j < n; j++) {
			r = (uint32_t)random();
			a[j] = (struct ib_uverbs_attr){
				.attr_id = r & 8 ? 0x1000 + (r & 1) : r % 5,
				.len = (uint16_t)((r >> 4) % 3 ? (r >> 8) % 80 :
						  0),
				.flags = (uint16_t)((r >> 16) & 1),
				.data = r & 0x100000 ?
					ptrs[(r >> 21) % ARRAY_SIZE(ptrs)] :
					(uintptr_t)room + ((r >> 21) % 64),
			};
		}
		raw_ioctl(dev, methods[m].object, methods[m].method, a, n);
	}
}

int main(int argc, char **argv)
{
	struct ib_uverbs_query_port_resp_ex port;
	struct raw_dev dev, other;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(RAW_DEV_PATH, F_OK)) {
		fprintf(stderr, "%s: run me inside uodp-run\n", argv[0]);
		return 2;
	}
	(void)argc;
	before_context();
	get_context_cases();
	open_or_die(&dev, raw_open_ioctl);
	open_or_die(&other, raw_open);
	query_port_cases(&dev);
	gid_cases(&dev);
	info_handles_cases(&dev);
	invoke_write_cases(&dev);
	destroy_cases(&dev, &other);
	random_calls(&dev, 5000);
	test_check_ret(query_port_ioctl(&other, 1, &port, sizeof(port)), 0,
		       "5000 random method calls: another context is served");
	raw_close(&dev);
	raw_close(&other);
	printf("methods: %d failure(s)\n", test_failures);
	return test_failures ? 1 : 0;
}
