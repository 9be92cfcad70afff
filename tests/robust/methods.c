// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The core ioctl methods of the command fd, checked with the raw client
 * (tests/lib/rawdev.h) against the kernel's attributes, sizes and errnos
 * (uverbs_std_types_device.c, _async_fd.c, _cq.c, _qp.c, _srq.c, _mr.c),
 * run inside uodp-run:
 *
 *   uodp-methods   GET_CONTEXT, ASYNC_EVENT_ALLOC, QUERY_CONTEXT,
 *                  QUERY_PORT, QUERY_GID_TABLE/ENTRY, INFO_HANDLES,
 *                  INVOKE_WRITE, the DESTROY methods and the CQ, QP
 *                  and SRQ CREATE methods (objects made by ioctl used
 *                  by write and the reverse, XRC): happy paths
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
#include <sys/mman.h>
#include <unistd.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_verbs.h>
#include <rdma/mlx5-abi.h>
#include <rdma/mlx5_user_ioctl_cmds.h>

#include <infiniband/verbs.h>

#include "hw/mlx5/wqe.h"
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

/* ---- the CREATE methods of CQ, QP and SRQ ---- */

/* How many handles of object the context has (INFO_HANDLES). */
static uint32_t handles_of(struct raw_dev *dev, uint64_t object)
{
	uint32_t list[64], total = 0;

	if (info_handles(dev, object, list, sizeof(list), &total, 3))
		return UINT32_MAX;
	return total;
}

static int comp_channel(struct raw_dev *dev)
{
	struct ib_uverbs_create_comp_channel c = { 0 };
	struct ib_uverbs_create_comp_channel_resp resp = { 0 };
	int ret;

	ret = raw_write(dev, IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL, &c,
			sizeof(c), &resp, sizeof(resp));
	return ret ? ret : (int)resp.fd;
}

static int open_xrcd(struct raw_dev *dev, uint32_t *xrcd)
{
	struct ib_uverbs_open_xrcd c = { .fd = (uint32_t)-1,
					 .oflags = O_CREAT };
	struct ib_uverbs_open_xrcd_resp resp = { 0 };
	int ret;

	ret = raw_write(dev, IB_USER_VERBS_CMD_OPEN_XRCD, &c, sizeof(c),
			&resp, sizeof(resp));
	*xrcd = resp.xrcd_handle;
	return ret;
}

/* A CQ_CREATE as libibverbs 44 builds it; the test changes attributes. */
enum { CQ_HANDLE, CQ_RESP_CQE, CQ_CQE, CQ_USER, CQ_VECTOR, CQ_UHW_IN,
       CQ_UHW_OUT, CQ_NATTRS };

struct cq_call {
	struct raw_cq cq;
	struct uodp_create_cq_drv drv;
	struct mlx5_ib_create_cq_resp resp;
	uint32_t resp_cqe;
	struct ib_uverbs_attr a[CQ_NATTRS + 4];
	unsigned int n;
	int fd;
};

static void cq_call_init(struct raw_dev *dev, struct cq_call *k,
			 uint32_t cnt)
{
	uint32_t cqe = cnt - 1, vector = 0;
	uint64_t user = 0x1234;
	size_t len;

	memset(k, 0, sizeof(*k));
	if (raw_cq_prepare(dev, &k->cq, cnt, &k->drv, &len, &k->fd))
		test_die("CQ memory", ENOMEM);
	k->resp_cqe = 0xa5a5a5a5;
	k->a[CQ_HANDLE] = raw_attr_idr(UVERBS_ATTR_CREATE_CQ_HANDLE, 0);
	k->a[CQ_RESP_CQE] = raw_attr_out(UVERBS_ATTR_CREATE_CQ_RESP_CQE,
					 &k->resp_cqe, sizeof(k->resp_cqe));
	k->a[CQ_CQE] = raw_attr_in(UVERBS_ATTR_CREATE_CQ_CQE, &cqe,
				   sizeof(cqe));
	k->a[CQ_USER] = raw_attr_in(UVERBS_ATTR_CREATE_CQ_USER_HANDLE, &user,
				    sizeof(user));
	k->a[CQ_VECTOR] = raw_attr_in(UVERBS_ATTR_CREATE_CQ_COMP_VECTOR,
				      &vector, sizeof(vector));
	k->a[CQ_UHW_IN] = raw_attr_in(UVERBS_ATTR_UHW_IN, &k->drv, len);
	k->a[CQ_UHW_OUT] = raw_attr_out(UVERBS_ATTR_UHW_OUT, &k->resp,
					sizeof(k->resp));
	k->n = CQ_NATTRS;
}

static int cq_call(struct raw_dev *dev, struct cq_call *k)
{
	int ret = raw_ioctl(dev, UVERBS_OBJECT_CQ, UVERBS_METHOD_CQ_CREATE,
			    k->a, k->n);

	if (!ret)
		k->cq.cqn = (uint32_t)k->a[CQ_HANDLE].data;
	return ret;
}

static void cq_call_fini(struct raw_dev *dev, struct cq_call *k, bool made)
{
	if (made)
		raw_destroy(dev, RAW_CQ, k->cq.cqn);
	if (k->fd >= 0)
		close(k->fd);
	raw_free_cq(&k->cq);
}

/* One hostile CQ_CREATE: the attribute at i replaced (n attributes). */
static void cq_bad(struct raw_dev *dev, unsigned int i,
		   struct ib_uverbs_attr attr, unsigned int n, int want,
		   const char *what)
{
	uint32_t before = handles_of(dev, UVERBS_OBJECT_CQ);
	struct cq_call k;
	int ret;

	cq_call_init(dev, &k, 8);
	k.a[i] = attr;
	k.n = n;
	ret = cq_call(dev, &k);
	test_check_ret(ret, want, "CQ_CREATE, %s", what);
	cq_call_fini(dev, &k, !ret);
	if (want)
		test_check(handles_of(dev, UVERBS_OBJECT_CQ) == before,
			   "  no CQ left behind");
}

static struct ib_uverbs_attr u32_attr(uint16_t id, uint32_t v)
{
	return raw_attr_in(id, &v, sizeof(v));
}

static struct ib_uverbs_attr fd_attr(uint16_t id, int64_t fd)
{
	struct ib_uverbs_attr a = raw_attr_idr(id, (uint64_t)fd);

	return a;
}

/*
 * The method call with the attribute array in a read-only page: the new
 * handle cannot be written back (the kernel's put_user fails).
 */
static int ioctl_readonly(struct raw_dev *dev, uint16_t object,
			  uint16_t method, const struct ib_uverbs_attr *a,
			  unsigned int n)
{
	struct ib_uverbs_ioctl_hdr *hdr;
	int ret;

	hdr = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hdr == MAP_FAILED)
		return -ENOMEM;
	memset(hdr, 0, sizeof(*hdr));
	hdr->length = (uint16_t)(sizeof(*hdr) + n * sizeof(*a));
	hdr->object_id = object;
	hdr->method_id = method;
	hdr->num_attrs = (uint16_t)n;
	memcpy(hdr + 1, a, n * sizeof(*a));
	mprotect(hdr, 4096, PROT_READ);
	ret = ioctl(dev->cmd_fd, RDMA_VERBS_IOCTL, hdr) ? -errno : 0;
	munmap(hdr, 4096);
	return ret;
}

static void cq_create_cases(struct raw_dev *dev, struct raw_dev *other)
{
	struct raw_dev bare;
	struct cq_call k;
	uint64_t wide = 7;
	int channel, foreign, pipefd[2];

	/* The happy path, as libibverbs sends it. */
	cq_call_init(dev, &k, 16);
	test_check_ret(cq_call(dev, &k), 0, "CQ_CREATE by ioctl");
	test_check(k.cq.cqn && k.resp.cqn == k.cq.cqn && k.resp_cqe == 15 &&
		   valid_output(&k.a[CQ_RESP_CQE]) &&
		   valid_output(&k.a[CQ_UHW_OUT]) &&
		   !valid_output(&k.a[CQ_CQE]),
		   "  handle %u is mlx5's cqn, 15 CQEs, outputs valid",
		   k.cq.cqn);
	test_check(handles_of(dev, UVERBS_OBJECT_CQ) == 1,
		   "  INFO_HANDLES lists it");
	cq_call_fini(dev, &k, true);
	test_check(handles_of(dev, UVERBS_OBJECT_CQ) == 0,
		   "  DESTROY_CQ by write takes it");

	/* A completion channel and the async event fd of this file. */
	channel = comp_channel(dev);
	foreign = comp_channel(other);
	if (channel < 0 || foreign < 0 || pipe(pipefd))
		test_die("channels", EIO);
	cq_call_init(dev, &k, 8);
	k.a[k.n++] = fd_attr(UVERBS_ATTR_CREATE_CQ_COMP_CHANNEL, channel);
	k.a[k.n++] = fd_attr(UVERBS_ATTR_CREATE_CQ_EVENT_FD, dev->async_fd);
	test_check_ret(cq_call(dev, &k), 0,
		       "CQ_CREATE on a completion channel, with EVENT_FD");
	cq_call_fini(dev, &k, true);
	cq_bad(dev, CQ_NATTRS, fd_attr(UVERBS_ATTR_CREATE_CQ_COMP_CHANNEL,
				       pipefd[0]), CQ_NATTRS + 1, -EBADF,
	       "COMP_CHANNEL a pipe of no channel");
	cq_bad(dev, CQ_NATTRS, fd_attr(UVERBS_ATTR_CREATE_CQ_COMP_CHANNEL,
				       foreign), CQ_NATTRS + 1, -EBADF,
	       "COMP_CHANNEL of another command fd");
	cq_bad(dev, CQ_NATTRS, fd_attr(UVERBS_ATTR_CREATE_CQ_COMP_CHANNEL,
				       -1), CQ_NATTRS + 1, -EBADF,
	       "COMP_CHANNEL fd -1");
	cq_bad(dev, CQ_NATTRS, fd_attr(UVERBS_ATTR_CREATE_CQ_COMP_CHANNEL,
				       1ll << 32), CQ_NATTRS + 1, -EINVAL,
	       "COMP_CHANNEL fd above an int");
	cq_bad(dev, CQ_NATTRS, fd_attr(UVERBS_ATTR_CREATE_CQ_EVENT_FD,
				       channel), CQ_NATTRS + 1, -EBADF,
	       "EVENT_FD a completion channel");
	close(pipefd[0]);
	close(pipefd[1]);
	close(channel);
	close(foreign);

	/* Sizes, mandatory and unknown attributes. */
	/* The last attribute (UHW_OUT) in the slot of a mandatory one. */
	cq_bad(dev, CQ_HANDLE, k.a[CQ_UHW_OUT], CQ_NATTRS - 1, -EINVAL,
	       "without HANDLE");
	cq_bad(dev, CQ_CQE, raw_attr_in(UVERBS_ATTR_CREATE_CQ_CQE, &wide, 8),
	       CQ_NATTRS, -EINVAL, "CQE of 8 bytes");
	cq_bad(dev, CQ_USER, raw_attr_in(UVERBS_ATTR_CREATE_CQ_USER_HANDLE,
					 &wide, 4), CQ_NATTRS, -EINVAL,
	       "USER_HANDLE of 4 bytes");
	cq_bad(dev, CQ_RESP_CQE, raw_attr_out(UVERBS_ATTR_CREATE_CQ_RESP_CQE,
					      &wide, 8), CQ_NATTRS, -EINVAL,
	       "RESP_CQE of 8 bytes");
	cq_bad(dev, CQ_NATTRS, raw_attr_const(0x99, 0), CQ_NATTRS + 1,
	       -EPROTONOSUPPORT, "unknown mandatory attribute");
	cq_bad(dev, CQ_HANDLE, (struct ib_uverbs_attr){
			.attr_id = UVERBS_ATTR_CREATE_CQ_HANDLE, .len = 4 },
	       CQ_NATTRS, -EINVAL, "HANDLE of length 4");
	/* The core's checks, then mlx5_ib's. */
	cq_bad(dev, CQ_VECTOR, u32_attr(UVERBS_ATTR_CREATE_CQ_COMP_VECTOR, 1),
	       CQ_NATTRS, -EINVAL, "comp_vector 1 of 1");
	cq_bad(dev, CQ_NATTRS, u32_attr(UVERBS_ATTR_CREATE_CQ_FLAGS, 1u << 7),
	       CQ_NATTRS + 1, -EINVAL, "an unknown flag");
	cq_bad(dev, CQ_NATTRS, u32_attr(UVERBS_ATTR_CREATE_CQ_FLAGS,
			IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION),
	       CQ_NATTRS + 1, -EOPNOTSUPP, "completion timestamps");
	cq_bad(dev, CQ_CQE, u32_attr(UVERBS_ATTR_CREATE_CQ_CQE, UINT32_MAX),
	       CQ_NATTRS, -EINVAL, "4G CQEs");
	cq_bad(dev, CQ_UHW_IN, raw_attr_in(UVERBS_ATTR_UHW_IN, &wide, 8),
	       CQ_NATTRS, -EINVAL, "mlx5's request of 8 bytes");
	cq_bad(dev, CQ_UHW_IN, raw_attr_in(UVERBS_ATTR_UHW_IN,
					   (void *)BAD_PTR, 64),
	       CQ_NATTRS, -EFAULT, "UHW_IN unmapped");
	cq_bad(dev, CQ_UHW_IN, k.a[CQ_UHW_OUT], CQ_NATTRS - 1, -EINVAL,
	       "without UHW_IN");
	/* Outputs that cannot be written: the CQ is undone. */
	cq_bad(dev, CQ_RESP_CQE, raw_attr_out(UVERBS_ATTR_CREATE_CQ_RESP_CQE,
					      (void *)BAD_PTR, 4),
	       CQ_NATTRS, -EFAULT, "RESP_CQE unmapped");
	cq_bad(dev, CQ_UHW_OUT, raw_attr_out(UVERBS_ATTR_UHW_OUT,
					     (void *)BAD_PTR, 8),
	       CQ_NATTRS, -EFAULT, "UHW_OUT unmapped");
	cq_call_init(dev, &k, 8);
	test_check_ret(ioctl_readonly(dev, UVERBS_OBJECT_CQ,
				      UVERBS_METHOD_CQ_CREATE, k.a, k.n),
		       -EFAULT, "CQ_CREATE, attributes read-only (no handle)");
	test_check(handles_of(dev, UVERBS_OBJECT_CQ) == 0,
		   "  no CQ left behind");
	cq_call_fini(dev, &k, false);
	/* The rings: named by address, or by the emulator's memfd. */
	cq_call_init(dev, &k, 8);
	if (k.fd >= 0)
		k.drv.qmem.fd = 1000;	/* no fd of ours */
	else	/* a hole where the ring was: as ib_umem_get, EFAULT */
		munmap(k.cq.mem, 4096);
	test_check_ret(cq_call(dev, &k), k.fd >= 0 ? -EBADF : -EFAULT,
		       "CQ_CREATE, ring not there (%s)",
		       k.fd >= 0 ? "memfd" : "address");
	cq_call_fini(dev, &k, false);
	test_check(handles_of(dev, UVERBS_OBJECT_CQ) == 0,
		   "  no CQ left behind");
	/* Before GET_CONTEXT nothing is made. */
	open_or_die(&bare, raw_open_bare);
	cq_call_init(dev, &k, 8);
	test_check_ret(cq_call(&bare, &k), -EINVAL,
		       "CQ_CREATE before GET_CONTEXT");
	cq_call_fini(dev, &k, false);
	raw_close(&bare);
}

/* A QP_CREATE as libibverbs 44 builds it for an RC QP. */
enum { QP_HANDLE, QP_TYPE, QP_USER, QP_CAP, QP_EVENT_FD, QP_RESP_CAP,
       QP_RESP_NUM, QP_UHW_IN, QP_UHW_OUT, QP_PD, QP_SEND_CQ, QP_RECV_CQ,
       QP_NATTRS };

struct qp_call {
	struct raw_qp qp;
	struct uodp_create_qp_drv drv;
	struct mlx5_ib_create_qp_resp resp;
	struct ib_uverbs_qp_cap cap, resp_cap;
	uint32_t qp_num;
	uint64_t user;
	struct ib_uverbs_attr a[QP_NATTRS + 4];
	unsigned int n;
	int fd;
};

static void qp_call_init(struct raw_dev *dev, struct qp_call *k,
			 uint32_t pd, uint32_t cqn)
{
	size_t len;

	memset(k, 0, sizeof(*k));
	if (raw_qp_prepare(dev, &k->qp, &k->drv, &len, &k->fd))
		test_die("QP memory", ENOMEM);
	k->cap = (struct ib_uverbs_qp_cap){
		.max_send_wr = k->qp.sq_cnt, .max_recv_wr = k->qp.rq_cnt,
		.max_send_sge = 2, .max_recv_sge = 2,
	};
	k->user = 0x5678;
	k->a[QP_HANDLE] = raw_attr_idr(UVERBS_ATTR_CREATE_QP_HANDLE, 0);
	k->a[QP_TYPE] = raw_attr_const(UVERBS_ATTR_CREATE_QP_TYPE,
				       IB_UVERBS_QPT_RC);
	k->a[QP_USER] = raw_attr_in(UVERBS_ATTR_CREATE_QP_USER_HANDLE,
				    &k->user, sizeof(k->user));
	k->a[QP_CAP] = raw_attr_in(UVERBS_ATTR_CREATE_QP_CAP, &k->cap,
				   sizeof(k->cap));
	k->a[QP_EVENT_FD] = fd_attr(UVERBS_ATTR_CREATE_QP_EVENT_FD,
				    dev->async_fd);
	k->a[QP_RESP_CAP] = raw_attr_out(UVERBS_ATTR_CREATE_QP_RESP_CAP,
					 &k->resp_cap, sizeof(k->resp_cap));
	k->a[QP_RESP_NUM] = raw_attr_out(UVERBS_ATTR_CREATE_QP_RESP_QP_NUM,
					 &k->qp_num, sizeof(k->qp_num));
	k->a[QP_UHW_IN] = raw_attr_in(UVERBS_ATTR_UHW_IN, &k->drv, len);
	k->a[QP_UHW_OUT] = raw_attr_out(UVERBS_ATTR_UHW_OUT, &k->resp,
					sizeof(k->resp));
	k->a[QP_PD] = raw_attr_idr(UVERBS_ATTR_CREATE_QP_PD_HANDLE, pd);
	k->a[QP_SEND_CQ] = raw_attr_idr(UVERBS_ATTR_CREATE_QP_SEND_CQ_HANDLE,
					cqn);
	k->a[QP_RECV_CQ] = raw_attr_idr(UVERBS_ATTR_CREATE_QP_RECV_CQ_HANDLE,
					cqn);
	k->n = QP_NATTRS;
}

static int qp_call(struct raw_dev *dev, struct qp_call *k)
{
	int ret = raw_ioctl(dev, UVERBS_OBJECT_QP, UVERBS_METHOD_QP_CREATE,
			    k->a, k->n);

	if (!ret)
		k->qp.qpn = (uint32_t)k->a[QP_HANDLE].data;
	return ret;
}

static void qp_call_fini(struct raw_dev *dev, struct qp_call *k, bool made)
{
	if (made)
		raw_destroy(dev, RAW_QP, k->qp.qpn);
	if (k->fd >= 0)
		close(k->fd);
	raw_free_qp(&k->qp);
}

/* One hostile QP_CREATE: attribute i replaced, n attributes. */
static void qp_bad(struct raw_dev *dev, uint32_t pd, uint32_t cqn,
		   unsigned int i, struct ib_uverbs_attr attr, unsigned int n,
		   int want, const char *what)
{
	uint32_t before = handles_of(dev, UVERBS_OBJECT_QP);
	struct qp_call k;
	int ret;

	qp_call_init(dev, &k, pd, cqn);
	k.a[i] = attr;
	k.n = n;
	ret = qp_call(dev, &k);
	test_check_ret(ret, want, "QP_CREATE, %s", what);
	qp_call_fini(dev, &k, !ret);
	if (want)
		test_check(handles_of(dev, UVERBS_OBJECT_QP) == before,
			   "  no QP left behind");
}

static void qp_create_cases(struct raw_dev *dev, struct raw_dev *other)
{
	uint32_t pd, foreign_pd, xrcd, cqn;
	struct ib_uverbs_qp_cap wide[2];
	struct raw_cq cq, cq2;
	struct cq_call kc;
	struct qp_call k;

	if (raw_alloc_pd(dev, &pd) || raw_alloc_pd(other, &foreign_pd) ||
	    open_xrcd(dev, &xrcd))
		test_die("objects", EIO);
	/* A CQ by ioctl, a QP by ioctl on it, traffic by write. */
	cq_call_init(dev, &kc, 64);
	if (cq_call(dev, &kc))
		test_die("CQ by ioctl", EIO);
	cqn = kc.cq.cqn;
	qp_call_init(dev, &k, pd, cqn);
	memset(&k.resp_cap, 0xa5, sizeof(k.resp_cap));
	test_check_ret(qp_call(dev, &k), 0, "QP_CREATE by ioctl (RC)");
	test_check(k.qp.qpn >= 0x100 && k.qp_num == k.qp.qpn &&
		   !memcmp(&k.resp_cap, &k.cap, sizeof(k.cap)) &&
		   valid_output(&k.a[QP_RESP_CAP]) &&
		   valid_output(&k.a[QP_RESP_NUM]) &&
		   valid_output(&k.a[QP_UHW_OUT]),
		   "  handle %u is the QPN, caps answered, outputs valid",
		   k.qp.qpn);
	test_check(raw_qp_state(dev, k.qp.qpn) == IBV_QPS_RESET,
		   "  QUERY_QP by write: RESET");
	test_check(raw_loopback_send(dev, &k.qp, &kc.cq, pd),
		   "  MODIFY_QP by write to RTS, a SEND to itself completes "
		   "on the ioctl CQ");
	qp_call_fini(dev, &k, true);
	test_check(handles_of(dev, UVERBS_OBJECT_QP) == 0,
		   "  DESTROY_QP by write takes it");
	/* The reverse: a CQ by write, a QP by ioctl on it. */
	if (raw_create_cq(dev, &cq, 64))
		test_die("CQ by write", EIO);
	qp_call_init(dev, &k, pd, cq.cqn);
	test_check_ret(qp_call(dev, &k), 0, "QP_CREATE on a CQ made by write");
	test_check(raw_loopback_send(dev, &k.qp, &cq, pd),
		   "  a SEND to itself completes on it");
	test_check_ret(raw_destroy(dev, RAW_CQ, cq.cqn), -EBUSY,
		   "  DESTROY_CQ by write while the QP uses it");
	qp_call_fini(dev, &k, true);
	raw_destroy(dev, RAW_CQ, cq.cqn);
	raw_free_cq(&cq);

	/* Handles: absent, foreign, stale, of no object of ours. */
	qp_bad(dev, pd, cqn, QP_PD, k.a[QP_UHW_OUT], QP_NATTRS, -EINVAL,
	       "UHW_OUT twice");
	qp_bad(dev, pd, cqn, QP_RECV_CQ, raw_attr_idr(
		       UVERBS_ATTR_CREATE_QP_PD_HANDLE, pd), QP_NATTRS - 1,
	       -ENOENT, "RC without a receive CQ");
	qp_bad(dev, foreign_pd, cqn, QP_HANDLE,
	       raw_attr_idr(UVERBS_ATTR_CREATE_QP_HANDLE, 0), QP_NATTRS,
	       -ENOENT, "another context's PD");
	if (raw_create_cq(dev, &cq2, 8))
		test_die("CQ", EIO);
	raw_destroy(dev, RAW_CQ, cq2.cqn);
	raw_free_cq(&cq2);
	qp_bad(dev, pd, cq2.cqn, QP_HANDLE,
	       raw_attr_idr(UVERBS_ATTR_CREATE_QP_HANDLE, 0), QP_NATTRS,
	       -ENOENT, "a stale CQ handle");
	qp_bad(dev, pd, cqn, QP_NATTRS, raw_attr_idr(
		       UVERBS_ATTR_CREATE_QP_IND_TABLE_HANDLE, 1),
	       QP_NATTRS + 1, -ENOENT, "an indirection table");
	qp_bad(dev, pd, cqn, QP_NATTRS, raw_attr_idr(
		       UVERBS_ATTR_CREATE_QP_XRCD_HANDLE, xrcd),
	       QP_NATTRS + 1, -EINVAL, "RC with an XRCD");
	qp_bad(dev, pd, cqn, QP_EVENT_FD, fd_attr(
		       UVERBS_ATTR_CREATE_QP_EVENT_FD, 0), QP_NATTRS, -EBADF,
	       "EVENT_FD not the async event fd");
	/* Type, flags, sizes. */
	qp_bad(dev, pd, cqn, QP_TYPE, raw_attr_const(
		       UVERBS_ATTR_CREATE_QP_TYPE, 77), QP_NATTRS, -EINVAL,
	       "type 77");
	qp_bad(dev, pd, cqn, QP_TYPE, raw_attr_const(
		       UVERBS_ATTR_CREATE_QP_TYPE, IB_UVERBS_QPT_RC |
		       1ull << 32), QP_NATTRS, -EINVAL, "type above u32");
	qp_bad(dev, pd, cqn, QP_TYPE, raw_attr_const(
		       UVERBS_ATTR_CREATE_QP_TYPE, IB_UVERBS_QPT_RAW_PACKET),
	       QP_NATTRS, -EOPNOTSUPP, "RAW_PACKET");
	qp_bad(dev, pd, cqn, QP_TYPE, raw_attr_const(
		       UVERBS_ATTR_CREATE_QP_TYPE, IB_UVERBS_QPT_UC), QP_NATTRS,
	       0, "UC");
	qp_bad(dev, pd, cqn, QP_NATTRS, u32_attr(UVERBS_ATTR_CREATE_QP_FLAGS,
						 1), QP_NATTRS + 1, -EINVAL,
	       "an unknown flag");
	qp_bad(dev, pd, cqn, QP_NATTRS, u32_attr(UVERBS_ATTR_CREATE_QP_FLAGS,
			IB_UVERBS_QP_CREATE_SCATTER_FCS), QP_NATTRS + 1,
	       -EINVAL, "SCATTER_FCS on RC");
	qp_bad(dev, pd, cqn, QP_NATTRS, u32_attr(UVERBS_ATTR_CREATE_QP_FLAGS,
			IB_UVERBS_QP_CREATE_SQ_SIG_ALL), QP_NATTRS + 1, 0,
	       "SQ_SIG_ALL");
	qp_bad(dev, pd, cqn, QP_NATTRS, u32_attr(
		       UVERBS_ATTR_CREATE_QP_SOURCE_QPN, 0x1234), QP_NATTRS + 1,
	       -EOPNOTSUPP, "a source QPN");
	qp_bad(dev, pd, cqn, QP_CAP, raw_attr_in(UVERBS_ATTR_CREATE_QP_CAP,
						 &k.cap, 16), QP_NATTRS,
	       -EINVAL, "CAP short of max_inline_data");
	memset(wide, 0, sizeof(wide));
	wide[0] = k.cap;
	qp_bad(dev, pd, cqn, QP_CAP, raw_attr_in(UVERBS_ATTR_CREATE_QP_CAP,
						 wide, sizeof(wide)),
	       QP_NATTRS, 0, "CAP longer, zeros after");
	((uint8_t *)wide)[sizeof(wide) - 1] = 1;
	qp_bad(dev, pd, cqn, QP_CAP, raw_attr_in(UVERBS_ATTR_CREATE_QP_CAP,
						 wide, sizeof(wide)),
	       QP_NATTRS, -EOPNOTSUPP, "CAP longer, not zeros");
	qp_bad(dev, pd, cqn, QP_CAP, raw_attr_in(UVERBS_ATTR_CREATE_QP_CAP,
						 (void *)BAD_PTR, 20),
	       QP_NATTRS, -EFAULT, "CAP unmapped");
	/* Outputs that cannot be written: the QP is undone. */
	qp_bad(dev, pd, cqn, QP_RESP_NUM, raw_attr_out(
		       UVERBS_ATTR_CREATE_QP_RESP_QP_NUM, (void *)BAD_PTR, 4),
	       QP_NATTRS, -EFAULT, "RESP_QP_NUM unmapped");
	qp_bad(dev, pd, cqn, QP_RESP_CAP, raw_attr_out(
		       UVERBS_ATTR_CREATE_QP_RESP_CAP, (void *)BAD_PTR, 20),
	       QP_NATTRS, -EFAULT, "RESP_CAP unmapped");
	qp_call_init(dev, &k, pd, cqn);
	test_check_ret(ioctl_readonly(dev, UVERBS_OBJECT_QP,
				      UVERBS_METHOD_QP_CREATE, k.a, k.n),
		       -EFAULT, "QP_CREATE, attributes read-only (no handle)");
	test_check(handles_of(dev, UVERBS_OBJECT_QP) == 0,
		   "  no QP left behind");
	qp_call_fini(dev, &k, false);
	cq_call_fini(dev, &kc, true);
	raw_destroy(dev, RAW_XRCD, xrcd);
	raw_destroy(dev, RAW_PD, pd);
	raw_destroy(other, RAW_PD, foreign_pd);
}

/* An SRQ_CREATE as libibverbs 44 builds it (a basic SRQ). */
enum { SRQ_HANDLE, SRQ_TYPE, SRQ_USER, SRQ_PD, SRQ_MAX_WR, SRQ_MAX_SGE,
       SRQ_LIMIT, SRQ_EVENT_FD, SRQ_RESP_WR, SRQ_RESP_SGE, SRQ_UHW_IN,
       SRQ_UHW_OUT, SRQ_NATTRS };

struct srq_call {
	struct raw_srq srq;
	struct uodp_create_srq_drv drv;
	struct mlx5_ib_create_srq_resp resp;
	uint32_t max_wr, max_sge, srq_num;
	uint64_t user;
	struct ib_uverbs_attr a[SRQ_NATTRS + 4];
	unsigned int n;
	int fd;
};

static void srq_call_init(struct raw_dev *dev, struct srq_call *k,
			  uint32_t pd, uint32_t max_wr, uint32_t max_sge)
{
	uint32_t limit = 0;
	size_t len;

	memset(k, 0, sizeof(*k));
	if (raw_srq_prepare(dev, &k->srq, max_wr, max_sge, &k->drv, &len,
			    &k->fd))
		test_die("SRQ memory", ENOMEM);
	k->user = 0x9abc;
	k->a[SRQ_HANDLE] = raw_attr_idr(UVERBS_ATTR_CREATE_SRQ_HANDLE, 0);
	k->a[SRQ_TYPE] = raw_attr_const(UVERBS_ATTR_CREATE_SRQ_TYPE,
					IB_UVERBS_SRQT_BASIC);
	k->a[SRQ_USER] = raw_attr_in(UVERBS_ATTR_CREATE_SRQ_USER_HANDLE,
				     &k->user, sizeof(k->user));
	k->a[SRQ_PD] = raw_attr_idr(UVERBS_ATTR_CREATE_SRQ_PD_HANDLE, pd);
	k->a[SRQ_MAX_WR] = u32_attr(UVERBS_ATTR_CREATE_SRQ_MAX_WR, max_wr);
	k->a[SRQ_MAX_SGE] = u32_attr(UVERBS_ATTR_CREATE_SRQ_MAX_SGE, max_sge);
	k->a[SRQ_LIMIT] = u32_attr(UVERBS_ATTR_CREATE_SRQ_LIMIT, limit);
	k->a[SRQ_EVENT_FD] = fd_attr(UVERBS_ATTR_CREATE_SRQ_EVENT_FD,
				     dev->async_fd);
	k->a[SRQ_RESP_WR] = raw_attr_out(UVERBS_ATTR_CREATE_SRQ_RESP_MAX_WR,
					 &k->max_wr, sizeof(k->max_wr));
	k->a[SRQ_RESP_SGE] = raw_attr_out(UVERBS_ATTR_CREATE_SRQ_RESP_MAX_SGE,
					  &k->max_sge, sizeof(k->max_sge));
	k->a[SRQ_UHW_IN] = raw_attr_in(UVERBS_ATTR_UHW_IN, &k->drv, len);
	k->a[SRQ_UHW_OUT] = raw_attr_out(UVERBS_ATTR_UHW_OUT, &k->resp,
					 sizeof(k->resp));
	k->n = SRQ_NATTRS;
}

/* Make it an XRC SRQ of xrcd, completing on cqn. */
static void srq_call_xrc(struct srq_call *k, uint32_t xrcd, uint32_t cqn)
{
	k->a[SRQ_TYPE] = raw_attr_const(UVERBS_ATTR_CREATE_SRQ_TYPE,
					IB_UVERBS_SRQT_XRC);
	k->a[k->n++] = raw_attr_idr(UVERBS_ATTR_CREATE_SRQ_XRCD_HANDLE, xrcd);
	k->a[k->n++] = raw_attr_idr(UVERBS_ATTR_CREATE_SRQ_CQ_HANDLE, cqn);
	k->a[k->n++] = raw_attr_out(UVERBS_ATTR_CREATE_SRQ_RESP_SRQ_NUM,
				    &k->srq_num, sizeof(k->srq_num));
}

static int srq_call(struct raw_dev *dev, struct srq_call *k)
{
	int ret = raw_ioctl(dev, UVERBS_OBJECT_SRQ, UVERBS_METHOD_SRQ_CREATE,
			    k->a, k->n);

	if (!ret)
		k->srq.srqn = (uint32_t)k->a[SRQ_HANDLE].data;
	return ret;
}

static void srq_call_fini(struct raw_dev *dev, struct srq_call *k,
			  bool made)
{
	if (made)
		raw_destroy(dev, RAW_SRQ, k->srq.srqn);
	if (k->fd >= 0)
		close(k->fd);
	raw_free_srq(&k->srq);
}

#define SRQ_UNCHANGED 99

/*
 * One hostile SRQ_CREATE (an XRC one of xrc[0], xrc[1]): attribute i
 * replaced or added, the last cut attributes dropped.
 */
static void srq_bad(struct raw_dev *dev, uint32_t pd, const uint32_t *xrc,
		    unsigned int i, struct ib_uverbs_attr attr, int cut,
		    int want, const char *what)
{
	uint32_t before = handles_of(dev, UVERBS_OBJECT_SRQ);
	struct srq_call k;
	int ret;

	srq_call_init(dev, &k, pd, 16, 2);
	if (xrc)
		srq_call_xrc(&k, xrc[0], xrc[1]);
	if (i < ARRAY_SIZE(k.a))
		k.a[i] = attr;
	if (i == k.n)
		k.n++;
	k.n -= cut;
	ret = srq_call(dev, &k);
	test_check_ret(ret, want, "SRQ_CREATE, %s", what);
	srq_call_fini(dev, &k, !ret);
	if (want)
		test_check(handles_of(dev, UVERBS_OBJECT_SRQ) == before,
			   "  no SRQ left behind");
}

static int query_srq(struct raw_dev *dev, uint32_t srqn,
		     struct ib_uverbs_query_srq_resp *resp)
{
	struct ib_uverbs_query_srq c = { .srq_handle = srqn };

	return raw_write(dev, IB_USER_VERBS_CMD_QUERY_SRQ, &c, sizeof(c),
			 resp, sizeof(*resp));
}

static void srq_create_cases(struct raw_dev *dev, struct raw_dev *other)
{
	struct ib_uverbs_modify_srq mod = { .attr_mask = IBV_SRQ_LIMIT,
					    .srq_limit = 4 };
	struct ib_uverbs_query_srq_resp q;
	uint32_t pd, foreign_pd, xrcd, xrc[2];
	struct srq_call k, kx;
	struct qp_call kq;
	struct raw_cq cq;

	if (raw_alloc_pd(dev, &pd) || raw_alloc_pd(other, &foreign_pd) ||
	    open_xrcd(dev, &xrcd) || raw_create_cq(dev, &cq, 16))
		test_die("objects", EIO);
	xrc[0] = xrcd;
	xrc[1] = cq.cqn;
	/* A basic SRQ by ioctl, queried, modified and used by write. */
	srq_call_init(dev, &k, pd, 100, 3);
	test_check_ret(srq_call(dev, &k), 0, "SRQ_CREATE by ioctl (basic)");
	test_check(k.srq.srqn && k.resp.srqn == k.srq.srqn &&
		   k.max_wr == 127 && k.max_sge == 3 &&
		   valid_output(&k.a[SRQ_RESP_WR]) &&
		   valid_output(&k.a[SRQ_UHW_OUT]),
		   "  handle %u is mlx5's srqn, 127 WRs (mlx5_ib's rule)",
		   k.srq.srqn);
	mod.srq_handle = k.srq.srqn;
	test_check_ret(raw_write(dev, IB_USER_VERBS_CMD_MODIFY_SRQ, &mod,
				 sizeof(mod), NULL, 0), 0,
		       "  MODIFY_SRQ by write");
	test_check(!query_srq(dev, k.srq.srqn, &q) && q.max_wr == 127 &&
		   q.max_sge == 3 && q.srq_limit == 4,
		   "  QUERY_SRQ by write: 127 WRs, 3 SGEs, limit 4");
	/* An RC QP by ioctl on it, and DESTROY_SRQ by write refused. */
	qp_call_init(dev, &kq, pd, cq.cqn);
	kq.a[kq.n++] = raw_attr_idr(UVERBS_ATTR_CREATE_QP_SRQ_HANDLE,
				    k.srq.srqn);
	kq.drv.mlx5.rq_wqe_count = 0;
	kq.drv.mlx5.rq_wqe_shift = 0;
	test_check_ret(qp_call(dev, &kq), 0, "QP_CREATE on the ioctl SRQ");
	test_check_ret(raw_destroy(dev, RAW_SRQ, k.srq.srqn), -EBUSY,
		       "  DESTROY_SRQ by write while the QP uses it");
	qp_call_fini(dev, &kq, true);
	srq_call_fini(dev, &k, true);
	test_check(handles_of(dev, UVERBS_OBJECT_SRQ) == 0,
		   "  then DESTROY_SRQ by write takes it");

	/* XRC: an XRC SRQ, and XRC target and initiator QPs by ioctl. */
	srq_call_init(dev, &kx, pd, 16, 1);
	srq_call_xrc(&kx, xrcd, cq.cqn);
	test_check_ret(srq_call(dev, &kx), 0, "SRQ_CREATE by ioctl (XRC)");
	test_check(kx.srq_num == kx.srq.srqn &&
		   valid_output(&kx.a[kx.n - 1]), "  RESP_SRQ_NUM %u",
		   kx.srq_num);
	qp_call_init(dev, &kq, pd, cq.cqn);
	kq.a[QP_TYPE] = raw_attr_const(UVERBS_ATTR_CREATE_QP_TYPE,
				       IB_UVERBS_QPT_XRC_TGT);
	kq.a[QP_PD] = raw_attr_idr(UVERBS_ATTR_CREATE_QP_XRCD_HANDLE, xrcd);
	kq.n = QP_SEND_CQ;
	kq.drv = (struct uodp_create_qp_drv){ .qmem.fd = -1 };
	memset(&kq.cap, 0, sizeof(kq.cap));
	test_check_ret(qp_call(dev, &kq), 0, "QP_CREATE XRC_TGT on the XRCD");
	test_check_ret(raw_destroy(dev, RAW_XRCD, xrcd), -EBUSY,
		       "  CLOSE_XRCD by write while they use it");
	qp_call_fini(dev, &kq, true);
	qp_call_init(dev, &kq, pd, cq.cqn);
	kq.a[QP_TYPE] = raw_attr_const(UVERBS_ATTR_CREATE_QP_TYPE,
				       IB_UVERBS_QPT_XRC_TGT);
	kq.a[QP_SEND_CQ] = raw_attr_idr(UVERBS_ATTR_CREATE_QP_XRCD_HANDLE,
					xrcd);
	kq.n = QP_RECV_CQ;
	test_check_ret(qp_call(dev, &kq), -EINVAL,
		       "QP_CREATE XRC_TGT with a PD");
	qp_call_fini(dev, &kq, false);
	qp_call_init(dev, &kq, pd, cq.cqn);
	kq.a[QP_TYPE] = raw_attr_const(UVERBS_ATTR_CREATE_QP_TYPE,
				       IB_UVERBS_QPT_XRC_TGT);
	kq.n = QP_PD;
	test_check_ret(qp_call(dev, &kq), -ENOENT,
		       "QP_CREATE XRC_TGT without an XRCD");
	qp_call_fini(dev, &kq, false);
	qp_call_init(dev, &kq, pd, cq.cqn);
	kq.a[QP_TYPE] = raw_attr_const(UVERBS_ATTR_CREATE_QP_TYPE,
				       IB_UVERBS_QPT_XRC_INI);
	kq.n = QP_RECV_CQ;
	kq.drv.mlx5.rq_wqe_count = 0;
	kq.drv.mlx5.rq_wqe_shift = 0;
	kq.cap.max_recv_wr = kq.cap.max_recv_sge = 0;
	test_check_ret(qp_call(dev, &kq), 0,
		       "QP_CREATE XRC_INI (PD and send CQ only)");
	qp_call_fini(dev, &kq, true);
	qp_call_init(dev, &kq, pd, cq.cqn);
	kq.a[kq.n++] = raw_attr_idr(UVERBS_ATTR_CREATE_QP_SRQ_HANDLE,
				    kx.srq.srqn);
	kq.drv.mlx5.rq_wqe_count = 0;
	test_check_ret(qp_call(dev, &kq), -EINVAL,
		       "QP_CREATE RC on an XRC SRQ");
	qp_call_fini(dev, &kq, false);
	srq_call_fini(dev, &kx, true);

	/* Hostile SRQs. */
	srq_bad(dev, foreign_pd, NULL, SRQ_UNCHANGED, k.a[0], 0, -ENOENT,
		"another context's PD");
	srq_bad(dev, pd, NULL, SRQ_PD, k.a[SRQ_UHW_OUT], 1, -EINVAL,
		"without a PD");
	srq_bad(dev, pd, NULL, SRQ_TYPE, raw_attr_const(
			UVERBS_ATTR_CREATE_SRQ_TYPE, 9), 0, -EINVAL, "type 9");
	srq_bad(dev, pd, NULL, SRQ_TYPE, raw_attr_const(
			UVERBS_ATTR_CREATE_SRQ_TYPE, IB_UVERBS_SRQT_XRC), 0,
		-ENOENT, "XRC without a CQ");
	srq_bad(dev, pd, NULL, SRQ_NATTRS, raw_attr_idr(
			UVERBS_ATTR_CREATE_SRQ_XRCD_HANDLE, xrcd), 0, 0,
		"basic, an XRCD ignored");
	srq_bad(dev, pd, xrc, SRQ_NATTRS + 2, k.a[SRQ_UHW_OUT], 1, -ENOENT,
		"XRC without RESP_SRQ_NUM (undone)");
	srq_bad(dev, pd, xrc, SRQ_NATTRS, u32_attr(
			UVERBS_ATTR_CREATE_SRQ_MAX_NUM_TAGS, 1), 0, -ENOENT,
		"XRC without an XRCD");
	srq_bad(dev, pd, xrc, SRQ_NATTRS + 1, raw_attr_idr(
			UVERBS_ATTR_CREATE_SRQ_CQ_HANDLE, 0xfffffe), 0,
		-ENOENT, "XRC on no CQ");
	srq_bad(dev, pd, NULL, SRQ_TYPE, raw_attr_const(
			UVERBS_ATTR_CREATE_SRQ_TYPE, IB_UVERBS_SRQT_TM), 0,
		-ENOENT, "tag matching without a CQ");
	srq_bad(dev, pd, NULL, SRQ_MAX_WR, u32_attr(
			UVERBS_ATTR_CREATE_SRQ_MAX_WR, UINT32_MAX), 0, -EINVAL,
		"4G WRs");
	srq_bad(dev, pd, NULL, SRQ_LIMIT, u32_attr(
			UVERBS_ATTR_CREATE_SRQ_LIMIT, 1000), 0, -EINVAL,
		"limit above max_wr");
	srq_bad(dev, pd, NULL, SRQ_MAX_SGE, raw_attr_const(
			UVERBS_ATTR_CREATE_SRQ_MAX_SGE, 2), 0, -EINVAL,
		"MAX_SGE of 8 bytes");
	srq_bad(dev, pd, NULL, SRQ_RESP_WR, raw_attr_out(
			UVERBS_ATTR_CREATE_SRQ_RESP_MAX_WR, (void *)BAD_PTR, 4),
		0, -EFAULT, "RESP_MAX_WR unmapped");
	srq_bad(dev, pd, NULL, SRQ_UHW_IN, raw_attr_in(UVERBS_ATTR_UHW_IN,
						       (void *)BAD_PTR, 40),
		0, -EFAULT, "UHW_IN unmapped");
	raw_destroy(dev, RAW_CQ, cq.cqn);
	raw_free_cq(&cq);
	test_check_ret(raw_destroy(dev, RAW_XRCD, xrcd), 0,
		       "CLOSE_XRCD once its SRQ and QP are gone");
	raw_destroy(dev, RAW_PD, pd);
	raw_destroy(other, RAW_PD, foreign_pd);
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
	{ UVERBS_OBJECT_CQ, UVERBS_METHOD_CQ_CREATE },
	{ UVERBS_OBJECT_QP, UVERBS_METHOD_QP_CREATE },
	{ UVERBS_OBJECT_SRQ, UVERBS_METHOD_SRQ_CREATE },
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
	cq_create_cases(&dev, &other);
	qp_create_cases(&dev, &other);
	srq_create_cases(&dev, &other);
	random_calls(&dev, 5000);
	test_check_ret(query_port_ioctl(&other, 1, &port, sizeof(port)), 0,
		       "5000 random method calls: another context is served");
	raw_close(&dev);
	raw_close(&other);
	printf("methods: %d failure(s)\n", test_failures);
	return test_failures ? 1 : 0;
}
