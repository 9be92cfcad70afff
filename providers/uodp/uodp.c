// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * uodp provider: registration with libibverbs, the device and the context.
 *
 * libibverbs finds uodpN through sysfs (device/modalias "uodp:uodpN") and
 * opens /dev/infiniband/uverbsN: the command fd, which speaks the kernel's
 * uverbs ABI (under uodp-run, uodpd answers it).  The context is its
 * GET_CONTEXT, with mlx5's driver data.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "uodp.h"

static void uodp_free_context(struct ibv_context *ibctx);

static const struct verbs_context_ops uodp_ctx_ops = {
	.advise_mr = uodp_advise_mr,
	.alloc_pd = uodp_alloc_pd,
	.close_xrcd = uodp_close_xrcd,
	.create_ah = uodp_create_ah,
	.create_cq = uodp_create_cq,
	.cq_event = uodp_cq_event,
	.create_qp = uodp_create_qp,
	.create_qp_ex = uodp_create_qp_ex,
	.create_srq = uodp_create_srq,
	.create_srq_ex = uodp_create_srq_ex,
	.dealloc_pd = uodp_dealloc_pd,
	.dereg_mr = uodp_dereg_mr,
	.free_context = uodp_free_context,
	.destroy_ah = uodp_destroy_ah,
	.destroy_cq = uodp_destroy_cq,
	.destroy_qp = uodp_destroy_qp,
	.destroy_srq = uodp_destroy_srq,
	.get_srq_num = uodp_get_srq_num,
	.modify_qp = uodp_modify_qp,
	.modify_srq = uodp_modify_srq,
	.open_xrcd = uodp_open_xrcd,
	.poll_cq = uodp_poll_cq,
	.post_recv = uodp_post_recv,
	.post_send = uodp_post_send,
	.post_srq_recv = uodp_post_srq_recv,
	.query_device_ex = uodp_query_device_ex,
	.query_port = uodp_query_port,
	.query_qp = uodp_query_qp,
	.query_srq = uodp_query_srq,
	.reg_mr = uodp_reg_mr,
	.req_notify_cq = uodp_req_notify_cq,
};

/* ---- number tables ---- */

int uodp_table_store(struct uodp_context *ctx, struct uodp_table *t,
		     uint32_t num, void *obj)
{
	uint32_t top = (num >> UODP_TABLE_SHIFT) & (UODP_TABLE_SIZE - 1);
	void **level;
	int err = 0;

	pthread_mutex_lock(&ctx->table_lock);
	level = t->level[top];
	if (!level) {
		level = calloc(UODP_TABLE_SIZE, sizeof(*level));
		if (!level) {
			err = ENOMEM;
			goto out;
		}
		__atomic_store_n(&t->level[top], level, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&level[num & (UODP_TABLE_SIZE - 1)], obj,
			 __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&ctx->table_lock);
	return err;
}

void uodp_table_clear(struct uodp_context *ctx, struct uodp_table *t,
		      uint32_t num)
{
	uint32_t top = (num >> UODP_TABLE_SHIFT) & (UODP_TABLE_SIZE - 1);

	pthread_mutex_lock(&ctx->table_lock);
	if (t->level[top])
		__atomic_store_n(&t->level[top][num & (UODP_TABLE_SIZE - 1)],
				 NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ctx->table_lock);
}

void *uodp_table_find(struct uodp_table *t, uint32_t num)
{
	uint32_t top = (num >> UODP_TABLE_SHIFT) & (UODP_TABLE_SIZE - 1);
	void **level = __atomic_load_n(&t->level[top], __ATOMIC_ACQUIRE);

	if (num > MLX5_CQE_QPN_MASK || !level)
		return NULL;
	return __atomic_load_n(&level[num & (UODP_TABLE_SIZE - 1)],
			       __ATOMIC_ACQUIRE);
}

static void table_free(struct uodp_table *t)
{
	uint32_t i;

	for (i = 0; i < UODP_TABLE_SIZE; i++)
		free(t->level[i]);
}

/* ---- context ---- */

/*
 * GET_CONTEXT's response: struct ib_uverbs_get_context_resp (its fields
 * here: the kernel's type ends in a flexible array), then mlx5's data.
 */
struct uodp_get_context_resp {
	uint32_t async_fd;
	uint32_t num_comp_vectors;
	struct uodp_alloc_ucontext_resp drv;
};

static_assert(offsetof(struct uodp_get_context_resp, drv) ==
	      sizeof(struct ib_uverbs_get_context_resp), "GET_CONTEXT resp");

/*
 * GET_CONTEXT on the command fd, as libmlx5 asks it; libibverbs takes the
 * async event fd from the response.
 */
static int get_context(struct uodp_context *ctx)
{
	struct {
		struct ibv_get_context ibv_cmd;
		struct mlx5_ib_alloc_ucontext_req_v2 drv;
	} cmd = {
		.drv = {
			.max_cqe_version = 1,
		},
	};
	struct uodp_get_context_resp resp = {};
	int err;

	err = ibv_cmd_get_context(&ctx->ibv_ctx, &cmd.ibv_cmd, sizeof(cmd),
				  (struct ib_uverbs_get_context_resp *)&resp,
				  sizeof(resp));
	if (err) {
		uodp_err("GET_CONTEXT on the command fd failed: %s",
			 strerror(err));
		return err;
	}
	ctx->attr.max_inline_data = resp.drv.max_inline_data;
	ctx->device_pid = resp.drv.device_pid;
	ctx->queue_memfd = resp.drv.emu_caps & UODP_EMU_CAP_QUEUE_MEMFD;
	ctx->populate_pinned = resp.drv.emu_caps & UODP_EMU_CAP_POPULATE_PINNED;
	ctx->odp_uffd = resp.drv.emu_caps & UODP_EMU_CAP_ODP_UFFD;
	return 0;
}

static int query_limits(struct uodp_context *ctx)
{
	struct ib_uverbs_ex_query_device_resp resp;
	struct uodp_dev_limits *l = &ctx->attr;
	struct ibv_device_attr_ex ex;
	struct ibv_port_attr port;
	struct ibv_query_port cmd;
	size_t resp_size = sizeof(resp);
	int err;

	err = ibv_cmd_query_device_any(&ctx->ibv_ctx.context, NULL, &ex,
				       sizeof(ex), &resp, &resp_size);
	if (err)
		return err;
	l->max_qp_wr = (uint32_t)ex.orig_attr.max_qp_wr;
	l->max_sge = (uint32_t)ex.orig_attr.max_sge;
	l->max_cqe = (uint32_t)ex.orig_attr.max_cqe;
	l->max_srq_wr = (uint32_t)ex.orig_attr.max_srq_wr;
	l->max_srq_sge = (uint32_t)ex.orig_attr.max_srq_sge;
	l->phys_port_cnt = ex.orig_attr.phys_port_cnt;
	l->odp_general_caps = ex.odp_caps.general_caps;
	err = ibv_cmd_query_port(&ctx->ibv_ctx.context, UODP_PORT_NUM, &port,
				 &cmd, sizeof(cmd));
	if (err)
		return err;
	ctx->gid_tbl_len = (uint32_t)port.gid_tbl_len;
	return 0;
}

/* Emulator only: the doorbell eventfd (a UAR write on hardware). */
static int get_doorbell(struct uodp_context *ctx)
{
	struct ib_uverbs_attr attr = {
		.attr_id = UODP_IB_ATTR_EMU_DOORBELL_FD,
		.flags = UVERBS_ATTR_F_MANDATORY,
	};
	int err;

	err = uodp_ioctl(ctx, UODP_IB_OBJECT_EMU, UODP_IB_METHOD_EMU_DOORBELL,
			 &attr, 1);
	if (!err)
		ctx->doorbell_fd = (int)attr.data;
	return err;
}

/*
 * The command fd is the device: GET_CONTEXT, the doorbell page at mmap
 * offset 0 (where the device says whether it sleeps), the doorbell.
 */
static int open_device(struct uodp_context *ctx)
{
	int cmd_fd = ctx->ibv_ctx.context.cmd_fd;
	void *page;
	int err;

	err = get_context(ctx);
	if (err)
		return err;
	page = mmap(NULL, MLX5_UAR_PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, cmd_fd, UODP_DOORBELL_PAGE_OFFSET);
	if (page == MAP_FAILED)
		return errno;
	ctx->uar = page;
	ctx->shared = page;
	err = get_doorbell(ctx);
	/* Not offered: doorbells are UAR writes, as on hardware. */
	if (err && err != EPROTONOSUPPORT && err != EOPNOTSUPP)
		return err;
	return query_limits(ctx);
}

static struct verbs_context *uodp_alloc_context(struct ibv_device *ibdev,
						int cmd_fd, void *private_data)
{
	struct uodp_context *ctx;
	int err;

	(void)private_data;
	ctx = verbs_init_and_alloc_context(ibdev, cmd_fd, ctx, ibv_ctx,
					   RDMA_DRIVER_UNKNOWN);
	if (!ctx)
		return NULL;
	ctx->doorbell_fd = -1;
	pthread_mutex_init(&ctx->table_lock, NULL);
	uodp_odp_context_init(ctx);
	verbs_set_ops(&ctx->ibv_ctx, &uodp_ctx_ops);
	ctx->ibv_ctx.context.num_comp_vectors = 1;

	err = open_device(ctx);
	if (err)
		goto err_free;
	/*
	 * uodpd reads and writes our memory through MRs with
	 * process_vm_readv/writev; under Yama ptrace_scope 1 that needs our
	 * consent.  Without Yama this fails harmlessly.
	 */
	if (ctx->device_pid)
		prctl(PR_SET_PTRACER, (unsigned long)ctx->device_pid, 0, 0, 0);
	uodp_dbg("context open on %s", ibdev->name);
	return &ctx->ibv_ctx;

err_free:
	uodp_free_context(&ctx->ibv_ctx.context);
	errno = err;
	return NULL;
}

static void uodp_free_context(struct ibv_context *ibctx)
{
	struct uodp_context *ctx = to_uctx(ibctx);

	/* The engine uses the command fd: stop it first. */
	uodp_odp_context_fini(ctx);
	if (ctx->uar)
		munmap(ctx->uar, MLX5_UAR_PAGE_SIZE);
	if (ctx->doorbell_fd >= 0)
		close(ctx->doorbell_fd);
	table_free(&ctx->qp_table);
	table_free(&ctx->srq_table);
	pthread_mutex_destroy(&ctx->table_lock);
	/* This closes the command and async fds. */
	verbs_uninit_context(&ctx->ibv_ctx);
	free(ctx);
}

/* ---- device and registration ---- */

static struct verbs_device *uodp_alloc_device(struct verbs_sysfs_dev *sysfs)
{
	struct uodp_device *dev;

	(void)sysfs;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->verbs_dev.core_support = IB_UVERBS_CORE_SUPPORT_OPTIONAL_MR_ACCESS;
	return &dev->verbs_dev;
}

static void uodp_uninit_device(struct verbs_device *vdev)
{
	free(vdev);
}

static const struct verbs_match_ent uodp_match_table[] = {
	{ .u.modalias = "uodp:*", .kind = VERBS_MATCH_MODALIAS },
	{ .kind = VERBS_MATCH_SENTINEL },
};

const struct verbs_device_ops uodp_dev_ops = {
	.name = "uodp",
	.match_min_abi_version = 0,
	.match_max_abi_version = INT32_MAX,
	.match_table = uodp_match_table,
	.alloc_device = uodp_alloc_device,
	.uninit_device = uodp_uninit_device,
	.alloc_context = uodp_alloc_context,
};

static void __attribute__((constructor)) uodp_register_driver(void)
{
	uodp_log_init();
	verbs_register_driver_34(&uodp_dev_ops);
}
