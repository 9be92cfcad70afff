// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The ioctl() methods of the command fd (RDMA_VERBS_IOCTL), each an object
 * and method of <rdma/ib_user_ioctl_cmds.h> or mlx5's
 * <rdma/mlx5_user_ioctl_cmds.h> with the kernel's attributes.  A method not
 * here answers EPROTONOSUPPORT, and libibverbs takes the write() command.
 *
 * Outputs go where the kernel puts them: a PTR_OUT attribute's buffer, with
 * UVERBS_ATTR_F_VALID_OUTPUT set in the caller's attribute; a new object's
 * handle or fd in the attribute's data.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/mlx5_user_ioctl_cmds.h>

#include "ctl.h"
#include "rdma/uodp-emu-abi.h"
#include "rdma/uodp-odp-abi.h"
#include "uverbs.h"

/* ---- attributes in the caller's memory ---- */

/* Where attribute a lives in the caller's array. */
static uint64_t attr_addr(const struct ud_ioctl_cmd *cmd,
			  const struct ud_ioctl_attr *a)
{
	return cmd->hdr_addr + sizeof(struct ib_uverbs_ioctl_hdr) +
	       (uint64_t)a->index * sizeof(struct ib_uverbs_attr);
}

int ud_ioctl_read_in(struct ud_call *c, const struct ud_ioctl_attr *a,
		     void *dst)
{
	if (a->len <= sizeof(a->data)) {
		memcpy(dst, &a->data, a->len);
		return 0;
	}
	return ud_pid_read(c->pid, a->data, dst, a->len) ? -EFAULT : 0;
}

int ud_ioctl_set_data(struct ud_call *c, const struct ud_ioctl_cmd *cmd,
		      const struct ud_ioctl_attr *a, uint64_t value)
{
	if (ud_pid_write(c->pid, attr_addr(cmd, a) +
			 offsetof(struct ib_uverbs_attr, data), &value,
			 sizeof(value)))
		return -EFAULT;
	return 0;
}

int ud_ioctl_write_out(struct ud_call *c, const struct ud_ioctl_cmd *cmd,
		       const struct ud_ioctl_attr *a, const void *src,
		       size_t len)
{
	uint16_t flags = a->flags | UVERBS_ATTR_F_VALID_OUTPUT;
	struct ud_pid_iov iov[2] = {
		{ a->data, (void *)src, len < a->len ? len : a->len },
		{ attr_addr(cmd, a) + offsetof(struct ib_uverbs_attr, flags),
		  &flags, sizeof(flags) },
	};

	/* The output and its VALID_OUTPUT flag in one system call. */
	return ud_pid_writev(c->pid, iov, 2) ? -EFAULT : 0;
}

int ud_ioctl_install_fd(struct ud_call *c, const struct ud_ioctl_cmd *cmd,
			const struct ud_ioctl_attr *a, int fd)
{
	int number;

	if (fd < 0)
		return -EINVAL;
	/* The attribute's room first: no fd for a broken array. */
	if (ud_ioctl_set_data(c, cmd, a, 0))
		return -EFAULT;
	number = ud_call_install_fd(c, fd, -1, true, false);
	if (number < 0)
		return number;
	return ud_ioctl_set_data(c, cmd, a, (uint64_t)number);
}

int ud_ioctl_write_struct(struct ud_call *c, const struct ud_ioctl_cmd *cmd,
			  const struct ud_ioctl_attr *a, const void *src,
			  size_t len)
{
	uint8_t *buf;
	int ret;

	if (len >= a->len)
		return ud_ioctl_write_out(c, cmd, a, src, len);
	buf = calloc(1, a->len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, src, len);
	ret = ud_ioctl_write_out(c, cmd, a, buf, a->len);
	free(buf);
	return ret;
}

int ud_ioctl_read_struct(struct ud_call *c, const struct ud_ioctl_attr *a,
			 void *dst, size_t size)
{
	struct ud_ioctl_attr head = *a;
	uint8_t tail[256];
	size_t off, n, i;

	memset(dst, 0, size);
	if (head.len > size)
		head.len = (uint16_t)size;
	if (ud_ioctl_read_in(c, &head, dst))
		return -EFAULT;
	/* uverbs_is_attr_cleared: a longer struct than ours is all zero. */
	for (off = size; off < a->len; off += n) {
		n = a->len - off < sizeof(tail) ? a->len - off : sizeof(tail);
		if (a->len <= sizeof(a->data))
			memcpy(tail, (const uint8_t *)&a->data + off, n);
		else if (ud_pid_read(c->pid, a->data + off, tail, n))
			return -EFAULT;
		for (i = 0; i < n; i++)
			if (tail[i])
				return -EOPNOTSUPP;
	}
	return 0;
}

/* Whether handle names an object of type obj that ctx made or opened. */
static bool object_of(struct uodpd *d, struct ud_ctx *ctx, uint16_t obj,
		      uint32_t handle)
{
	switch (obj) {
	case UVERBS_OBJECT_PD:
		return ud_ctx_pd(d, ctx, handle);
	case UVERBS_OBJECT_CQ:
		return ud_ctx_cq(d, ctx, handle);
	case UVERBS_OBJECT_SRQ:
		return ud_ctx_srq(d, ctx, handle);
	case UVERBS_OBJECT_QP:
		return ud_ctx_qp(d, ctx, handle);
	case UVERBS_OBJECT_XRCD:
		return ud_ctx_xrcd(d, ctx, handle);
	}
	/* Objects this device makes none of (RWQ_IND_TBL, ...). */
	return false;
}

/* Whether fd of process pid is ctx's async event file (the one pipe). */
static bool async_fd_of(const struct ud_ctx *ctx, pid_t pid, int fd)
{
	struct stat ours, theirs;
	char path[64];

	if (ctx->async_rfd < 0 || fstat(ctx->async_rfd, &ours))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	return !stat(path, &theirs) && theirs.st_ino == ours.st_ino &&
	       theirs.st_dev == ours.st_dev;
}

/* lookup_get_idr_uobject, lookup_get_fd_uobject: ENOENT, EBADF. */
static int check_object(struct ud_call *c, struct ud_ufile *f,
			const struct ud_attr_spec *s,
			const struct ud_ioctl_attr *a)
{
	int fd = (int)(int64_t)a->data;

	uint16_t obj = ud_attr_spec_obj(s);

	if (s->type == UD_ATTR_IDR)
		return object_of(c->d, f->ctx, obj, (uint32_t)a->data) ?
		       0 : -ENOENT;
	if (obj == UVERBS_OBJECT_COMP_CHANNEL)
		return ud_channel_lookup(f->ctx, c->pid, fd) ? 0 : -EBADF;
	if (obj == UVERBS_OBJECT_ASYNC_EVENT)
		return async_fd_of(f->ctx, c->pid, fd) ? 0 : -EBADF;
	return -EBADF;
}

int ud_ioctl_check_objects(struct ud_call *c, struct ud_ufile *f,
			   const struct ud_ioctl_cmd *cmd)
{
	const struct ud_ioctl_desc *desc = cmd->desc;
	unsigned int idx, i;
	int ret;

	if (!f->ctx)
		return 0;
	for (idx = 0; idx < cmd->num_attrs; idx++) {
		for (i = 0; i < desc->nattrs; i++) {
			const struct ud_attr_spec *s = &desc->attrs[i];
			const struct ud_ioctl_attr *a = &cmd->attrs[i];

			if (!ud_attr_spec_obj(s) || !a->present ||
			    a->index != idx)
				continue;
			ret = check_object(c, f, s, a);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---- MLX5_IB_OBJECT_DEVX: the general command (DEVX_OTHER) ---- */

static const struct ud_attr_spec devx_other_attrs[] = {
	{ MLX5_IB_ATTR_DEVX_OTHER_CMD_IN, UD_ATTR_PTR_IN, true, 8,
	  UODP_GENERAL_CMD_MAX },
	{ MLX5_IB_ATTR_DEVX_OTHER_CMD_OUT, UD_ATTR_PTR_OUT, true, 8,
	  UODP_GENERAL_CMD_MAX },
};

/*
 * The PRM mailbox the device accepts from a context: QUERY_HCA_CAP and
 * PAGE_FAULT_RESUME of its own tokens (ctl_odp.c); other opcodes answer
 * BAD_OP in the mailbox, as firmware does.
 */
static int devx_other(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_ioctl_cmd *cmd)
{
	const struct ud_ioctl_attr *in = &cmd->attrs[0], *out = &cmd->attrs[1];
	struct ud_general_cmd k = { .inlen = in->len, .outlen = out->len };
	struct ud_general_cmd_resp resp;
	int ret;

	ret = ud_ioctl_read_in(c, in, k.in);
	if (!ret)
		ret = ud_uverbs_run(f, c->d, ud_cmd_general, &k, sizeof(k),
				    &resp, -1);
	if (!ret)
		ret = ud_ioctl_write_out(c, cmd, out, resp.out, out->len);
	return ret;
}

/* ---- UVERBS_OBJECT_MR: ADVISE_MR, the MTT update of ODP MRs ---- */

static const struct ud_attr_spec advise_mr_attrs[] = {
	{ UVERBS_ATTR_ADVISE_MR_PD_HANDLE, UD_ATTR_IDR, true, 0, 0 },
	{ UVERBS_ATTR_ADVISE_MR_ADVICE, UD_ATTR_PTR_IN, true, 1, 8 },
	{ UVERBS_ATTR_ADVISE_MR_FLAGS, UD_ATTR_PTR_IN, true, 4, 4 },
	{ UVERBS_ATTR_ADVISE_MR_SGE_LIST, UD_ATTR_PTR_IN, true,
	  sizeof(struct ib_uverbs_sge),
	  UODP_ODP_MAX_MAP_RANGES * sizeof(struct ib_uverbs_sge) },
};

static uint32_t advice_map_flags(uint64_t advice)
{
	switch (advice) {
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH:
		return 0;
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE:
		return UODP_ODP_MAP_WRITE;
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT:
		return UODP_ODP_MAP_NO_FAULT;
	}
	return UINT32_MAX;
}

/* As mlx5_ib_advise_mr_prefetch: each lkey an ODP MR of this PD. */
static int advise_ranges(struct ud_ufile *f, struct uodpd *d, uint32_t pdn,
			 const struct ib_uverbs_sge *sge, uint32_t n,
			 uint32_t flags, struct ud_odp_map_req *k)
{
	struct ud_mr *mr;
	uint32_t i;

	if (!ud_ctx_pd(d, f->ctx, pdn))
		return -ENOENT;	/* the IDR lookup's answer */
	for (i = 0; i < n; i++) {
		mr = ud_mr_lookup(d, sge[i].lkey);
		if (!mr || mr->ctx != f->ctx || mr->pdn != pdn || !mr->odp)
			return -ENOENT;
		k->ranges[i] = (struct uodp_odp_map_range){
			.mr_key = sge[i].lkey,
			.flags = flags,
			.va = sge[i].addr,
			.length = sge[i].length,
		};
	}
	k->nranges = n;
	return 0;
}

static int advise_mr(struct ud_call *c, struct ud_ufile *f,
		     const struct ud_ioctl_cmd *cmd)
{
	struct ib_uverbs_sge sge[UODP_ODP_MAX_MAP_RANGES];
	const struct ud_ioctl_attr *list = &cmd->attrs[3];
	struct ud_odp_map_req k = { 0 };
	struct uodp_odp_map_resp resp;
	uint64_t advice = 0;
	uint32_t flags = 0, map_flags;
	int ret;

	if (ud_ioctl_read_in(c, &cmd->attrs[1], &advice) ||
	    ud_ioctl_read_in(c, &cmd->attrs[2], &flags))
		return -EFAULT;
	map_flags = advice_map_flags(advice);
	if (map_flags == UINT32_MAX)
		return -EOPNOTSUPP;
	if ((flags & ~(uint32_t)IB_UVERBS_ADVISE_MR_FLAG_FLUSH) ||
	    list->len % sizeof(sge[0]))
		return -EINVAL;
	ret = ud_ioctl_read_in(c, list, sge);
	if (!ret)
		ret = advise_ranges(f, c->d, (uint32_t)cmd->attrs[0].data, sge,
				    list->len / sizeof(sge[0]), map_flags, &k);
	/*
	 * One slice of the device now, the rest in slices between other work
	 * (mlx5_ib queues non-FLUSH advice to a work queue): a FLUSH whose
	 * ranges are not all done yet answers EAGAIN, to be retried.
	 */
	k.flags = UD_ODP_MAP_BACKGROUND;
	if (!ret)
		ret = ud_uverbs_run(f, c->d, ud_cmd_odp_map, &k, sizeof(k),
				    &resp, -1);
	if (!ret && resp.status == -EAGAIN &&
	    !(flags & IB_UVERBS_ADVISE_MR_FLAG_FLUSH))
		return 0;
	return ret ? ret : resp.status;
}

/* ---- UODP_IB_OBJECT_EMU: the doorbell eventfd (emulator only) ---- */

static const struct ud_attr_spec doorbell_attrs[] = {
	{ UODP_IB_ATTR_EMU_DOORBELL_FD, UD_ATTR_NEW_FD, true, 0, 0 },
};

static int emu_doorbell(struct ud_call *c, struct ud_ufile *f,
			const struct ud_ioctl_cmd *cmd)
{
	/* Not offered: the method does not exist, as on a kernel. */
	if (!c->d->doorbell_fd)
		return -EPROTONOSUPPORT;
	return ud_ioctl_install_fd(c, cmd, &cmd->attrs[0], f->ctx->kick_fd);
}

const struct ud_ioctl_desc ud_ioctl_methods[] = {
	UD_IOCTL_METHOD(MLX5_IB_OBJECT_DEVX, MLX5_IB_METHOD_DEVX_OTHER,
			devx_other, devx_other_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_MR, UVERBS_METHOD_ADVISE_MR, advise_mr,
			advise_mr_attrs),
	UD_IOCTL_METHOD(UODP_IB_OBJECT_EMU, UODP_IB_METHOD_EMU_DOORBELL,
			emu_doorbell, doorbell_attrs),
};

const unsigned int ud_ioctl_nmethods =
	sizeof(ud_ioctl_methods) / sizeof(ud_ioctl_methods[0]);
