// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * A raw client of the command fd (see rawdev.h).  Everything here is
 * written from the kernel's uverbs ABI, mlx5's driver data and the mlx5
 * layouts; nothing of libibverbs or the provider is used.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/mlx5-abi.h>

#include <infiniband/verbs.h>

#include "hw/mlx5/cqe.h"
#include "hw/mlx5/wqe.h"
#include "rawdev.h"

#define PAGE 4096u
#define MAX_CMD 1024
#define MAX_ATTRS 20

static size_t page_align(size_t n)
{
	return (n + PAGE - 1) & ~(size_t)(PAGE - 1);
}

int raw_write(struct raw_dev *dev, uint32_t command, void *body,
	      size_t in_len, void *resp, size_t out_len)
{
	uint64_t buf[MAX_CMD / sizeof(uint64_t)];
	struct ib_uverbs_cmd_hdr *hdr = (void *)buf;
	size_t len = sizeof(*hdr) + in_len;

	if (len > sizeof(buf) || len % 4 || out_len % 4 ||
	    out_len / 4 > 0xffff || (out_len && in_len < sizeof(uint64_t)))
		return -EINVAL;
	if (out_len) {
		uint64_t p = (uintptr_t)resp;

		memcpy(body, &p, sizeof(p));
	}
	hdr->command = command;
	hdr->in_words = (uint16_t)(len / 4);
	hdr->out_words = (uint16_t)(out_len / 4);
	memcpy(hdr + 1, body, in_len);
	if (write(dev->cmd_fd, buf, len) != (ssize_t)len)
		return -errno;
	return 0;
}

int raw_ioctl(struct raw_dev *dev, uint16_t object, uint16_t method,
	      struct ib_uverbs_attr *attrs, unsigned int n)
{
	uint64_t buf[(sizeof(struct ib_uverbs_ioctl_hdr) +
		      MAX_ATTRS * sizeof(struct ib_uverbs_attr)) / 8];
	struct ib_uverbs_ioctl_hdr *hdr = (void *)buf;
	int ret;

	if (n > MAX_ATTRS)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	hdr->length = (uint16_t)(sizeof(*hdr) + n * sizeof(*attrs));
	hdr->object_id = object;
	hdr->method_id = method;
	hdr->num_attrs = (uint16_t)n;
	memcpy(hdr + 1, attrs, n * sizeof(*attrs));
	ret = ioctl(dev->cmd_fd, RDMA_VERBS_IOCTL, buf) ? -errno : 0;
	memcpy(attrs, hdr + 1, n * sizeof(*attrs));
	return ret;
}

struct ib_uverbs_attr raw_attr_in(uint16_t id, const void *p, size_t len)
{
	struct ib_uverbs_attr a = {
		.attr_id = id,
		.len = (uint16_t)len,
		.flags = UVERBS_ATTR_F_MANDATORY,
	};

	if (len <= sizeof(a.data))
		memcpy(&a.data, p, len);
	else
		a.data = (uintptr_t)p;
	return a;
}

struct ib_uverbs_attr raw_attr_out(uint16_t id, void *p, size_t len)
{
	return (struct ib_uverbs_attr){
		.attr_id = id,
		.len = (uint16_t)len,
		.flags = UVERBS_ATTR_F_MANDATORY,
		.data = (uintptr_t)p,
	};
}

struct ib_uverbs_attr raw_attr_const(uint16_t id, uint64_t value)
{
	return raw_attr_in(id, &value, sizeof(value));
}

struct ib_uverbs_attr raw_attr_idr(uint16_t id, uint64_t handle)
{
	return (struct ib_uverbs_attr){
		.attr_id = id,
		.flags = UVERBS_ATTR_F_MANDATORY,
		.data = handle,
	};
}

struct ib_uverbs_attr raw_attr_new_fd(uint16_t id)
{
	return raw_attr_idr(id, 0);
}

static int get_context(struct raw_dev *dev)
{
	struct {
		struct ib_uverbs_get_context core;
		struct mlx5_ib_alloc_ucontext_req_v2 drv;
	} cmd = { .drv = { .total_num_bfregs = 1, .num_low_latency_bfregs = 0 } };
	struct {
		struct ib_uverbs_get_context_resp core;
		struct uodp_alloc_ucontext_resp drv;
	} resp;
	int ret;

	memset(&resp, 0, sizeof(resp));
	ret = raw_write(dev, IB_USER_VERBS_CMD_GET_CONTEXT, &cmd, sizeof(cmd),
			&resp, sizeof(resp));
	if (ret)
		return ret;
	dev->async_fd = (int)resp.core.async_fd;
	dev->device_pid = resp.drv.device_pid;
	dev->emu_caps = resp.drv.emu_caps;
	dev->memfd_queues = !!(dev->emu_caps & UODP_EMU_CAP_QUEUE_MEMFD);
	return 0;
}

static int get_doorbell(struct raw_dev *dev)
{
	struct ib_uverbs_attr attr = {
		.attr_id = UODP_IB_ATTR_EMU_DOORBELL_FD,
		.flags = UVERBS_ATTR_F_MANDATORY,
	};
	int ret = raw_ioctl(dev, UODP_IB_OBJECT_EMU,
			    UODP_IB_METHOD_EMU_DOORBELL, &attr, 1);

	if (!ret)
		dev->doorbell_fd = (int)attr.data;
	return ret;
}

/*
 * GET_CONTEXT as libibverbs sends it to a kernel with the ioctl methods:
 * the core's outputs, mlx5's driver data in UHW; then the async event fd
 * by ASYNC_EVENT_ALLOC.
 */
static int get_context_ioctl(struct raw_dev *dev)
{
	struct mlx5_ib_alloc_ucontext_req_v2 req = {
		.total_num_bfregs = 1,
	};
	struct uodp_alloc_ucontext_resp drv = { 0 };
	uint32_t num_comp = 0;
	uint64_t core_support = 0;
	struct ib_uverbs_attr attrs[] = {
		raw_attr_out(UVERBS_ATTR_GET_CONTEXT_NUM_COMP_VECTORS,
			     &num_comp, sizeof(num_comp)),
		raw_attr_out(UVERBS_ATTR_GET_CONTEXT_CORE_SUPPORT,
			     &core_support, sizeof(core_support)),
		raw_attr_in(UVERBS_ATTR_UHW_IN, &req, sizeof(req)),
		raw_attr_out(UVERBS_ATTR_UHW_OUT, &drv, sizeof(drv)),
	};
	struct ib_uverbs_attr fd = raw_attr_new_fd(
		UVERBS_ATTR_ASYNC_EVENT_ALLOC_FD_HANDLE);
	int ret;

	ret = raw_ioctl(dev, UVERBS_OBJECT_DEVICE, UVERBS_METHOD_GET_CONTEXT,
			attrs, 4);
	if (ret)
		return ret;
	dev->device_pid = drv.device_pid;
	/* The emulator's tail is the same on both paths. */
	dev->emu_caps = drv.emu_caps;
	dev->memfd_queues = !!(dev->emu_caps & UODP_EMU_CAP_QUEUE_MEMFD);
	ret = raw_ioctl(dev, UVERBS_OBJECT_ASYNC_EVENT,
			UVERBS_METHOD_ASYNC_EVENT_ALLOC, &fd, 1);
	if (!ret)
		dev->async_fd = (int)fd.data;
	return ret;
}

static int open_fd(struct raw_dev *dev, int cmd_fd,
		   int (*context)(struct raw_dev *dev))
{
	void *page;
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->cmd_fd = cmd_fd;
	dev->doorbell_fd = dev->async_fd = -1;
	ret = context(dev);
	if (ret)
		goto err;
	page = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, cmd_fd,
		    UODP_DOORBELL_PAGE_OFFSET);
	if (page == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	dev->shared = page;
	ret = get_doorbell(dev);
	/* Not offered (uodpd --no-doorbell-fd): the device polls. */
	if (ret && ret != -EPROTONOSUPPORT)
		goto err;
	/* Where Yama restricts ptrace, the device needs our consent. */
	prctl(PR_SET_PTRACER, (unsigned long)dev->device_pid, 0, 0, 0);
	return 0;

err:
	raw_close(dev);
	return ret;
}

int raw_open_fd(struct raw_dev *dev, int cmd_fd)
{
	return open_fd(dev, cmd_fd, get_context);
}

int raw_open_bare(struct raw_dev *dev)
{
	memset(dev, 0, sizeof(*dev));
	dev->doorbell_fd = dev->async_fd = -1;
	dev->cmd_fd = open(RAW_DEV_PATH, O_RDWR | O_CLOEXEC);
	return dev->cmd_fd < 0 ? -errno : 0;
}

int raw_open(struct raw_dev *dev)
{
	int ret = raw_open_bare(dev);

	return ret ? ret : raw_open_fd(dev, dev->cmd_fd);
}

int raw_open_ioctl(struct raw_dev *dev)
{
	int ret = raw_open_bare(dev);

	return ret ? ret : open_fd(dev, dev->cmd_fd, get_context_ioctl);
}

void raw_close(struct raw_dev *dev)
{
	if (dev->shared)
		munmap(dev->shared, PAGE);
	if (dev->doorbell_fd >= 0)
		close(dev->doorbell_fd);
	if (dev->async_fd >= 0)
		close(dev->async_fd);
	if (dev->cmd_fd >= 0)
		close(dev->cmd_fd);	/* the device tears the context down */
	dev->shared = NULL;
	dev->cmd_fd = dev->doorbell_fd = dev->async_fd = -1;
}

int raw_alloc_pd(struct raw_dev *dev, uint32_t *pd)
{
	struct {
		struct ib_uverbs_alloc_pd core;
	} cmd = {};
	struct {
		struct ib_uverbs_alloc_pd_resp core;
		struct mlx5_ib_alloc_pd_resp drv;
	} resp;
	int ret;

	ret = raw_write(dev, IB_USER_VERBS_CMD_ALLOC_PD, &cmd, sizeof(cmd),
			&resp, sizeof(resp));
	if (!ret)
		*pd = resp.core.pd_handle;
	return ret;
}

int raw_reg_mr(struct raw_dev *dev, uint32_t pd, void *addr, size_t len,
	       uint32_t access, uint32_t *key)
{
	struct ib_uverbs_reg_mr cmd = {
		.start = (uintptr_t)addr,
		.length = len,
		.hca_va = (uintptr_t)addr,
		.pd_handle = pd,
		.access_flags = access,
	};
	struct ib_uverbs_reg_mr_resp resp;
	int ret;

	ret = raw_write(dev, IB_USER_VERBS_CMD_REG_MR, &cmd, sizeof(cmd),
			&resp, sizeof(resp));
	if (!ret)
		*key = resp.lkey;
	return ret;
}

int raw_make_memfd(size_t size, int seal)
{
	int fd = memfd_create("uodp-raw", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) ||
	    (seal && fcntl(fd, F_ADD_SEALS,
			   F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

static void *map_memfd(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * A queue's memory: a sealed memfd (its fd returned, to be sent and then
 * closed), or anonymous memory (-1 returned: the addresses name it).
 */
static int queue_mem(const struct raw_dev *dev, size_t size, uint8_t **mem)
{
	void *p;
	int fd;

	if (!dev->memfd_queues) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		*mem = p == MAP_FAILED ? NULL : p;
		return *mem ? -1 : -ENOMEM;
	}
	fd = raw_make_memfd(size, 1);
	if (fd < 0)
		return fd;
	*mem = map_memfd(fd, size);
	if (!*mem) {
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

/* The command's size: without a memfd, mlx5's driver data alone. */
static size_t cmd_size(size_t full, size_t ref_off, int fd)
{
	return fd >= 0 ? full : ref_off;
}

int raw_cq_prepare(struct raw_dev *dev, struct raw_cq *cq, uint32_t cnt,
		   struct uodp_create_cq_drv *drv, size_t *drv_len, int *fd)
{
	uint32_t i;

	memset(cq, 0, sizeof(*cq));
	memset(drv, 0, sizeof(*drv));
	cq->cnt = cnt;
	cq->size = page_align((size_t)cnt * MLX5_CQE_SIZE + 64);
	*fd = queue_mem(dev, cq->size, &cq->mem);
	if (!cq->mem)
		return *fd;
	for (i = 0; i < cnt; i++)
		cq->mem[i * MLX5_CQE_SIZE + 63] = MLX5_CQE_INVALID_OP_OWN;
	cq->dbrec = (volatile uint32_t *)(cq->mem + (size_t)cnt * MLX5_CQE_SIZE);
	drv->mlx5.buf_addr = (uintptr_t)cq->mem;
	drv->mlx5.db_addr = (uintptr_t)cq->dbrec;
	drv->mlx5.cqe_size = MLX5_CQE_SIZE;
	drv->qmem.fd = *fd;
	drv->qmem.size = cq->size;
	drv->qmem.dbrec_offset = (uint64_t)cnt * MLX5_CQE_SIZE;
	*drv_len = cmd_size(sizeof(*drv), offsetof(typeof(*drv), qmem), *fd);
	return 0;
}

int raw_create_cq(struct raw_dev *dev, struct raw_cq *cq, uint32_t cnt)
{
	struct {
		struct ib_uverbs_create_cq core;
		struct uodp_create_cq_drv drv;
	} cmd;
	struct {
		struct ib_uverbs_create_cq_resp core;
		struct mlx5_ib_create_cq_resp drv;
	} resp;
	size_t drv_len;
	int fd, ret;

	memset(&cmd, 0, sizeof(cmd));
	ret = raw_cq_prepare(dev, cq, cnt, &cmd.drv, &drv_len, &fd);
	if (ret)
		return ret;
	cmd.core.user_handle = 1;
	cmd.core.cqe = cnt - 1;
	cmd.core.comp_channel = -1;
	ret = raw_write(dev, IB_USER_VERBS_CMD_CREATE_CQ, &cmd,
			sizeof(cmd.core) + drv_len, &resp, sizeof(resp));
	if (fd >= 0)
		close(fd);
	if (ret) {
		raw_free_cq(cq);
		return ret;
	}
	cq->cqn = resp.core.cq_handle;
	return 0;
}

void raw_free_cq(struct raw_cq *cq)
{
	if (cq->mem)
		munmap(cq->mem, cq->size);
	cq->mem = NULL;
}

/* The queues, RQ then SQ, then the doorbell record: mlx5's layout. */
static int alloc_qp_mem(const struct raw_dev *dev, struct raw_qp *qp,
			size_t *db_off)
{
	size_t rq_bytes, sq_bytes;
	int fd;

	qp->sq_cnt = 64;
	qp->rq_cnt = 16;
	qp->rq_shift = 5;	/* two data segments */
	sq_bytes = (size_t)qp->sq_cnt * MLX5_SEND_WQE_BB;
	rq_bytes = (size_t)qp->rq_cnt << qp->rq_shift;
	*db_off = sq_bytes + rq_bytes;
	qp->size = page_align(*db_off + 64);
	fd = queue_mem(dev, qp->size, &qp->mem);
	if (!qp->mem)
		return fd;
	qp->rq = qp->mem;
	qp->sq = qp->mem + rq_bytes;
	qp->dbrec = (volatile uint32_t *)(qp->mem + *db_off);
	return fd;
}

int raw_qp_prepare(struct raw_dev *dev, struct raw_qp *qp,
		   struct uodp_create_qp_drv *drv, size_t *drv_len, int *fd)
{
	size_t db_off;

	memset(qp, 0, sizeof(*qp));
	memset(drv, 0, sizeof(*drv));
	*fd = alloc_qp_mem(dev, qp, &db_off);
	if (!qp->mem)
		return *fd;
	drv->mlx5.buf_addr = (uintptr_t)qp->mem;
	drv->mlx5.db_addr = (uintptr_t)qp->dbrec;
	drv->mlx5.sq_wqe_count = qp->sq_cnt;
	drv->mlx5.rq_wqe_count = qp->rq_cnt;
	drv->mlx5.rq_wqe_shift = qp->rq_shift;
	drv->qmem.fd = *fd;
	drv->qmem.size = qp->size;
	drv->qmem.buf_offset = 0;
	drv->qmem.dbrec_offset = db_off;
	*drv_len = cmd_size(sizeof(*drv), offsetof(typeof(*drv), qmem), *fd);
	return 0;
}

int raw_create_rc_qp(struct raw_dev *dev, struct raw_qp *qp, uint32_t pd,
		     const struct raw_cq *cq)
{
	struct {
		struct ib_uverbs_create_qp core;
		struct uodp_create_qp_drv drv;
	} cmd;
	struct {
		struct ib_uverbs_create_qp_resp core;
		struct mlx5_ib_create_qp_resp drv;
	} resp;
	size_t drv_len;
	int fd, ret;

	memset(&cmd, 0, sizeof(cmd));
	ret = raw_qp_prepare(dev, qp, &cmd.drv, &drv_len, &fd);
	if (ret)
		return ret;
	cmd.core.user_handle = 2;
	cmd.core.pd_handle = pd;
	cmd.core.send_cq_handle = cq->cqn;
	cmd.core.recv_cq_handle = cq->cqn;
	cmd.core.max_send_wr = qp->sq_cnt;
	cmd.core.max_recv_wr = qp->rq_cnt;
	cmd.core.max_send_sge = 2;
	cmd.core.max_recv_sge = 2;
	cmd.core.sq_sig_all = 1;
	cmd.core.qp_type = IBV_QPT_RC;
	ret = raw_write(dev, IB_USER_VERBS_CMD_CREATE_QP, &cmd,
			sizeof(cmd.core) + drv_len, &resp, sizeof(resp));
	if (fd >= 0)
		close(fd);
	if (ret) {
		raw_free_qp(qp);
		return ret;
	}
	qp->qpn = resp.core.qpn;
	return 0;
}

/* mlx5_ib's SRQ: max_wr + 1 WQEs, a stride for max_sge, then the dbrec. */
int raw_srq_prepare(struct raw_dev *dev, struct raw_srq *srq, uint32_t max_wr,
		    uint32_t max_sge, struct uodp_create_srq_drv *drv,
		    size_t *drv_len, int *fd)
{
	uint32_t cnt = 1, shift = 5;
	size_t ring;

	memset(srq, 0, sizeof(*srq));
	memset(drv, 0, sizeof(*drv));
	while (cnt < max_wr + 1)
		cnt <<= 1;
	while ((1u << shift) < 16 + 16 * max_sge)
		shift++;
	ring = (size_t)cnt << shift;
	srq->size = page_align(ring + 64);
	*fd = queue_mem(dev, srq->size, &srq->mem);
	if (!srq->mem)
		return *fd;
	drv->mlx5.buf_addr = (uintptr_t)srq->mem;
	drv->mlx5.db_addr = (uintptr_t)(srq->mem + ring);
	drv->qmem.fd = *fd;
	drv->qmem.size = srq->size;
	drv->qmem.dbrec_offset = ring;
	*drv_len = cmd_size(sizeof(*drv), offsetof(typeof(*drv), qmem), *fd);
	return 0;
}

void raw_free_srq(struct raw_srq *srq)
{
	if (srq->mem)
		munmap(srq->mem, srq->size);
	srq->mem = NULL;
}

void raw_free_qp(struct raw_qp *qp)
{
	if (qp->mem)
		munmap(qp->mem, qp->size);
	qp->mem = NULL;
}

int raw_modify_qp(struct raw_dev *dev, struct ib_uverbs_modify_qp *cmd)
{
	return raw_write(dev, IB_USER_VERBS_CMD_MODIFY_QP, cmd, sizeof(*cmd),
			 NULL, 0);
}

int raw_query_gid(struct raw_dev *dev, uint32_t index, uint8_t gid[16])
{
	struct ib_uverbs_gid_entry e;
	uint32_t flags = 0;
	struct ib_uverbs_attr a[] = {
		raw_attr_const(UVERBS_ATTR_QUERY_GID_ENTRY_PORT, 1),
		raw_attr_const(UVERBS_ATTR_QUERY_GID_ENTRY_GID_INDEX, index),
		raw_attr_in(UVERBS_ATTR_QUERY_GID_ENTRY_FLAGS, &flags, 4),
		raw_attr_out(UVERBS_ATTR_QUERY_GID_ENTRY_RESP_ENTRY, &e,
			     sizeof(e)),
	};
	int ret;

	ret = raw_ioctl(dev, UVERBS_OBJECT_DEVICE,
			UVERBS_METHOD_QUERY_GID_ENTRY, a, 4);
	if (!ret)
		memcpy(gid, &e.gid, 16);
	return ret;
}

int raw_qp_to_rts(struct raw_dev *dev, struct raw_qp *qp, uint32_t dest_qpn,
		  uint8_t sgid_index)
{
	struct ib_uverbs_modify_qp a = { .qp_handle = qp->qpn };
	int ret;

	/* Both ends on this device and GID: the path leads back here. */
	ret = raw_query_gid(dev, sgid_index, a.dest.dgid);
	if (ret)
		return ret;

	a.qp_state = IBV_QPS_INIT;
	a.port_num = 1;
	a.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			    IBV_ACCESS_REMOTE_READ;
	a.attr_mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
		      IBV_QP_ACCESS_FLAGS;
	ret = raw_modify_qp(dev, &a);
	if (ret)
		return ret;
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = dest_qpn;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 1;
	a.dest.is_global = 1;
	a.dest.port_num = 1;
	a.dest.sgid_index = sgid_index;
	a.dest.hop_limit = 64;
	a.attr_mask = IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
		      IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
		      IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	ret = raw_modify_qp(dev, &a);
	if (ret)
		return ret;
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 8;
	a.retry_cnt = 3;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	a.attr_mask = IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
		      IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC;
	return raw_modify_qp(dev, &a);
}

int raw_qp_state(struct raw_dev *dev, uint32_t qpn)
{
	struct ib_uverbs_query_qp cmd = { .qp_handle = qpn,
					  .attr_mask = IBV_QP_STATE };
	struct ib_uverbs_query_qp_resp resp;
	int ret;

	ret = raw_write(dev, IB_USER_VERBS_CMD_QUERY_QP, &cmd, sizeof(cmd),
			&resp, sizeof(resp));
	return ret ? ret : resp.qp_state;
}

int raw_destroy(struct raw_dev *dev, enum raw_obj kind, uint32_t handle)
{
	union {
		struct ib_uverbs_dealloc_pd pd;
		struct ib_uverbs_dereg_mr mr;
		struct ib_uverbs_destroy_cq cq;
		struct ib_uverbs_destroy_qp qp;
		struct ib_uverbs_destroy_srq srq;
		struct ib_uverbs_close_xrcd xrcd;
	} cmd;
	union {
		struct ib_uverbs_destroy_cq_resp cq;
		struct ib_uverbs_destroy_qp_resp qp;
		struct ib_uverbs_destroy_srq_resp srq;
	} resp;

	memset(&cmd, 0, sizeof(cmd));
	switch (kind) {
	case RAW_PD:
		cmd.pd.pd_handle = handle;
		return raw_write(dev, IB_USER_VERBS_CMD_DEALLOC_PD, &cmd,
				 sizeof(cmd.pd), NULL, 0);
	case RAW_MR:
		cmd.mr.mr_handle = handle;
		return raw_write(dev, IB_USER_VERBS_CMD_DEREG_MR, &cmd,
				 sizeof(cmd.mr), NULL, 0);
	case RAW_CQ:
		cmd.cq.cq_handle = handle;
		return raw_write(dev, IB_USER_VERBS_CMD_DESTROY_CQ, &cmd,
				 sizeof(cmd.cq), &resp, sizeof(resp.cq));
	case RAW_QP:
		cmd.qp.qp_handle = handle;
		return raw_write(dev, IB_USER_VERBS_CMD_DESTROY_QP, &cmd,
				 sizeof(cmd.qp), &resp, sizeof(resp.qp));
	case RAW_SRQ:
		cmd.srq.srq_handle = handle;
		return raw_write(dev, IB_USER_VERBS_CMD_DESTROY_SRQ, &cmd,
				 sizeof(cmd.srq), &resp, sizeof(resp.srq));
	case RAW_XRCD:
		cmd.xrcd.xrcd_handle = handle;
		return raw_write(dev, IB_USER_VERBS_CMD_CLOSE_XRCD, &cmd,
				 sizeof(cmd.xrcd), NULL, 0);
	}
	return -EINVAL;
}

int raw_query_counters(struct raw_dev *dev, uint32_t scope, uint32_t cursor,
		       struct uodp_query_counters_resp *out)
{
	struct uodp_query_counters_req req = { .scope = scope,
					       .mr_cursor = cursor };
	struct ib_uverbs_attr attrs[2] = {
		raw_attr_in(UODP_IB_ATTR_ODP_COUNTERS_REQ, &req, sizeof(req)),
		raw_attr_out(UODP_IB_ATTR_ODP_COUNTERS_RESP, out, sizeof(*out)),
	};

	return raw_ioctl(dev, UODP_IB_OBJECT_ODP,
			 UODP_IB_METHOD_ODP_QUERY_COUNTERS, attrs, 2);
}

void *raw_sq_wqe(struct raw_qp *qp, uint32_t bb)
{
	return qp->sq + (size_t)(bb & (qp->sq_cnt - 1)) * MLX5_SEND_WQE_BB;
}

static void kick(struct raw_dev *dev)
{
	uint64_t one = 1;

	if (dev->doorbell_fd < 0)
		return;		/* no eventfd: the device polls for doorbells */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&dev->shared->need_wakeup, __ATOMIC_RELAXED) &&
	    write(dev->doorbell_fd, &one, sizeof(one)) != sizeof(one))
		return;		/* the device polls anyway while busy */
}

void raw_ring_sq(struct raw_dev *dev, struct raw_qp *qp, uint32_t bbs)
{
	qp->sq_pi += bbs;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	qp->dbrec[1] = htobe32(qp->sq_pi & 0xffff);
	kick(dev);
}

void raw_post_send(struct raw_dev *dev, struct raw_qp *qp, uint8_t opcode,
		   uint64_t addr, uint32_t len, uint32_t lkey)
{
	uint8_t *wqe = raw_sq_wqe(qp, qp->sq_pi);
	struct mlx5_wqe_ctrl_seg *ctrl = (void *)wqe;
	struct mlx5_wqe_data_seg *data = (void *)(wqe + sizeof(*ctrl));

	memset(wqe, 0, MLX5_SEND_WQE_BB);
	ctrl->opmod_idx_opcode = htobe32(((qp->sq_pi & 0xffff) << 8) | opcode);
	ctrl->qpn_ds = htobe32((qp->qpn << 8) | 2);
	ctrl->fm_ce_se = MLX5_WQE_CTRL_CQ_UPDATE;
	data->byte_count = htobe32(len);
	data->lkey = htobe32(lkey);
	data->addr = htobe64(addr);
	raw_ring_sq(dev, qp, 1);
}

void raw_post_recv(struct raw_dev *dev, struct raw_qp *qp, uint64_t addr,
		   uint32_t len, uint32_t lkey)
{
	uint8_t *wqe = qp->rq + ((size_t)(qp->rq_pi & (qp->rq_cnt - 1)) <<
				 qp->rq_shift);
	struct mlx5_wqe_data_seg *data = (void *)wqe;

	data[0].byte_count = htobe32(len);
	data[0].lkey = htobe32(lkey);
	data[0].addr = htobe64(addr);
	data[1].byte_count = 0;
	data[1].lkey = htobe32(MLX5_INVALID_LKEY);
	data[1].addr = 0;
	qp->rq_pi++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	qp->dbrec[0] = htobe32(qp->rq_pi & 0xffff);
	kick(dev);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int raw_poll_cq(struct raw_cq *cq, void *out64, int timeout_ms)
{
	double end = now() + timeout_ms / 1000.0;
	struct mlx5_cqe64 *cqe;

	for (;;) {
		cqe = (void *)(cq->mem +
			       (size_t)(cq->ci & (cq->cnt - 1)) * MLX5_CQE_SIZE);
		if (mlx5_cqe_sw_owned(cqe, cq->ci, cq->cnt)) {
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			memcpy(out64, cqe, MLX5_CQE_SIZE);
			cq->ci++;
			*cq->dbrec = htobe32(cq->ci & MLX5_CQE_CI_MASK);
			return 1;
		}
		if (now() > end)
			return 0;
		usleep(50);
	}
}

/* An RC QP to itself, a SEND through it, both completions on cq. */
bool raw_loopback_send(struct raw_dev *dev, struct raw_qp *qp,
		       struct raw_cq *cq, uint32_t pd)
{
	static char buf[2][64];
	uint8_t cqe[64];
	uint32_t mr;
	int got = 0;

	if (raw_reg_mr(dev, pd, buf, sizeof(buf), IBV_ACCESS_LOCAL_WRITE, &mr))
		return false;
	strcpy(buf[0], "a SEND to itself");
	memset(buf[1], 0, sizeof(buf[1]));
	if (!raw_qp_to_rts(dev, qp, qp->qpn, 1)) {
		raw_post_recv(dev, qp, (uintptr_t)buf[1], sizeof(buf[1]), mr);
		raw_post_send(dev, qp, MLX5_OPCODE_SEND, (uintptr_t)buf[0],
			      sizeof(buf[0]), mr);
		while (got < 2 && raw_poll_cq(cq, cqe, 2000))
			got++;
	}
	raw_destroy(dev, RAW_MR, mr);
	return got == 2 && !strcmp(buf[1], buf[0]);
}
