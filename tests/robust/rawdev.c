// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * A raw uodp client (see rawdev.h).  Everything here is written from the
 * command ABI and the mlx5 layouts; nothing of the provider is used.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "hw/mlx5/cqe.h"
#include "hw/mlx5/wqe.h"
#include "rawdev.h"

#define PAGE 4096u

static size_t page_align(size_t n)
{
	return (n + PAGE - 1) & ~(size_t)(PAGE - 1);
}

int sock_connect(struct sock_dev *dev)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *path = getenv(UODP_SOCKET_ENV);

	memset(dev, 0, sizeof(*dev));
	dev->sock = dev->doorbell_fd = dev->async_fd = -1;
	if (!path || strlen(path) >= sizeof(addr.sun_path))
		return -ENOENT;
	strcpy(addr.sun_path, path);
	dev->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (dev->sock < 0)
		return -errno;
	if (connect(dev->sock, (struct sockaddr *)&addr, sizeof(addr))) {
		int ret = -errno;

		close(dev->sock);
		dev->sock = -1;
		return ret;
	}
	return 0;
}

int sock_send_msg(struct sock_dev *dev, const void *msg, size_t len,
		 const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)] = { 0 };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (nfds > 8)
		return -EINVAL;
	if (nfds > 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	if (sendmsg(dev->sock, &mh, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

int sock_recv_msg(struct sock_dev *dev, void *buf, size_t len, int *fds,
		 int *nfds, int timeout_ms)
{
	char cbuf[CMSG_SPACE(sizeof(int) * UODP_MAX_FDS)];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct pollfd pfd = { .fd = dev->sock, .events = POLLIN };
	struct cmsghdr *cm;
	int got = 0, n, ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	n = recvmsg(dev->sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == ECONNRESET ? 0 : -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		int count, i;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < count; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (fds && nfds && got < *nfds)
				fds[got++] = fd;
			else
				close(fd);
		}
	}
	if (nfds)
		*nfds = got;
	return n;
}

int sock_cmd(struct sock_dev *dev, uint32_t opcode, const void *body,
	    size_t body_len, const int *fds, int nfds, void *resp,
	    size_t resp_len)
{
	return sock_cmd_fds(dev, opcode, body, body_len, fds, nfds, resp,
			   resp_len, NULL, NULL);
}

int sock_cmd_fds(struct sock_dev *dev, uint32_t opcode, const void *body,
		size_t body_len, const int *fds, int nfds, void *resp,
		size_t resp_len, int *out_fds, int *out_nfds)
{
	uint8_t msg[UODP_MAX_CMD_SIZE], rbuf[UODP_MAX_CMD_SIZE];
	struct uodp_cmd_hdr *hdr = (void *)msg;
	struct uodp_resp_hdr rh;
	int n, ret, rfds[UODP_MAX_FDS], rnfds = UODP_MAX_FDS, i, kept = 0;

	if (body_len + sizeof(*hdr) > sizeof(msg))
		return -E2BIG;
	hdr->opcode = opcode;
	hdr->length = sizeof(*hdr) + body_len;
	if (body_len)
		memcpy(msg + sizeof(*hdr), body, body_len);
	ret = sock_send_msg(dev, msg, hdr->length, fds, nfds);
	if (ret)
		return ret;
	n = sock_recv_msg(dev, rbuf, sizeof(rbuf), rfds, &rnfds, 10000);
	if (n <= 0)
		return n ? n : -EPIPE;
	if ((size_t)n < sizeof(rh))
		return -EPROTO;
	memcpy(&rh, rbuf, sizeof(rh));
	if (!rh.status && resp_len) {
		memset(resp, 0, resp_len);
		memcpy(resp, rbuf + sizeof(rh),
		       (size_t)n - sizeof(rh) < resp_len ?
		       (size_t)n - sizeof(rh) : resp_len);
	}
	/* Only OPEN_CONTEXT answers with fds; keep them there. */
	if (opcode == UODP_CMD_OPEN_CONTEXT && !rh.status && rnfds == 3) {
		dev->shared_size = 0;
		dev->doorbell_fd = rfds[1];
		dev->async_fd = rfds[2];
		dev->shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				   MAP_SHARED, rfds[0], 0);
		close(rfds[0]);
		if (dev->shared == MAP_FAILED) {
			dev->shared = NULL;
			return -ENOMEM;
		}
		dev->shared_size = PAGE;
		return 0;
	}
	for (i = 0; i < rnfds; i++) {
		if (out_fds && out_nfds && kept < *out_nfds)
			out_fds[kept++] = rfds[i];
		else
			close(rfds[i]);
	}
	if (out_nfds)
		*out_nfds = kept;
	return rh.status;
}

int sock_query_counters(struct sock_dev *dev, uint32_t scope, uint32_t cursor,
		       struct uodp_query_counters_resp *out)
{
	struct uodp_query_counters_req req = { .scope = scope,
					       .mr_cursor = cursor };

	return sock_cmd(dev, UODP_CMD_QUERY_COUNTERS, &req, sizeof(req), NULL,
		       0, out, sizeof(*out));
}

int sock_open(struct sock_dev *dev, const char *ibdev)
{
	struct uodp_open_context_req req = { .abi_version = UODP_ABI_VERSION };
	struct uodp_open_context_resp resp;
	int ret;

	ret = sock_connect(dev);
	if (ret)
		return ret;
	strncpy(req.ibdev, ibdev, sizeof(req.ibdev) - 1);
	ret = sock_cmd(dev, UODP_CMD_OPEN_CONTEXT, &req, sizeof(req), NULL, 0,
		      &resp, sizeof(resp));
	if (ret) {
		sock_close(dev);
		return ret;
	}
	dev->daemon_pid = resp.daemon_pid;
	/* Where Yama restricts ptrace, the daemon needs our consent. */
	prctl(PR_SET_PTRACER, (unsigned long)resp.daemon_pid, 0, 0, 0);
	return 0;
}

void sock_close(struct sock_dev *dev)
{
	if (dev->shared)
		munmap(dev->shared, dev->shared_size);
	if (dev->doorbell_fd >= 0)
		close(dev->doorbell_fd);
	if (dev->async_fd >= 0)
		close(dev->async_fd);
	if (dev->sock >= 0)
		close(dev->sock);
	dev->shared = NULL;
	dev->sock = dev->doorbell_fd = dev->async_fd = -1;
}

int sock_alloc_pd(struct sock_dev *dev, uint32_t *pdn)
{
	struct uodp_alloc_pd_resp resp;
	int ret;

	ret = sock_cmd(dev, UODP_CMD_ALLOC_PD, NULL, 0, NULL, 0, &resp,
		      sizeof(resp));
	if (!ret)
		*pdn = resp.pdn;
	return ret;
}

int sock_reg_mr(struct sock_dev *dev, uint32_t pdn, void *addr, size_t len,
	       uint32_t access, uint32_t *key)
{
	struct uodp_reg_mr_req req = {
		.pdn = pdn, .access = access, .addr = (uintptr_t)addr,
		.length = len, .iova = (uintptr_t)addr,
	};
	struct uodp_reg_mr_resp resp;
	int ret;

	ret = sock_cmd(dev, UODP_CMD_REG_MR, &req, sizeof(req), NULL, 0, &resp,
		      sizeof(resp));
	if (!ret)
		*key = resp.lkey;
	return ret;
}

int sock_make_memfd(size_t size, int seal)
{
	int fd = memfd_create("uodp-robust", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) ||
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

int sock_create_cq(struct sock_dev *dev, struct sock_cq *cq, uint32_t cnt)
{
	struct uodp_create_cq_req req = { .comp_channel = -1 };
	struct uodp_create_cq_resp resp;
	uint32_t i;
	int fd, ret;

	memset(cq, 0, sizeof(*cq));
	cq->cnt = cnt;
	cq->size = page_align((size_t)cnt * MLX5_CQE_SIZE + 64);
	fd = sock_make_memfd(cq->size, 1);
	if (fd < 0)
		return fd;
	cq->mem = map_memfd(fd, cq->size);
	if (!cq->mem) {
		close(fd);
		return -ENOMEM;
	}
	for (i = 0; i < cnt; i++)
		cq->mem[i * MLX5_CQE_SIZE + 63] = MLX5_CQE_INVALID_OP_OWN;
	cq->dbrec = (volatile uint32_t *)(cq->mem + (size_t)cnt * MLX5_CQE_SIZE);
	req.user_handle = 1;
	req.mmap_size = cq->size;
	req.cqe_cnt = cnt;
	req.cqe_size = MLX5_CQE_SIZE;
	req.buf_offset = 0;
	req.dbrec_offset = (uint64_t)cnt * MLX5_CQE_SIZE;
	ret = sock_cmd(dev, UODP_CMD_CREATE_CQ, &req, sizeof(req), &fd, 1,
		      &resp, sizeof(resp));
	close(fd);
	if (ret) {
		sock_free_cq(cq);
		return ret;
	}
	cq->cqn = resp.cqn;
	return 0;
}

void sock_free_cq(struct sock_cq *cq)
{
	if (cq->mem)
		munmap(cq->mem, cq->size);
	cq->mem = NULL;
}

int sock_create_rc_qp(struct sock_dev *dev, struct sock_qp *qp, uint32_t pdn,
		     const struct sock_cq *cq)
{
	struct uodp_create_qp_req req = { 0 };
	struct uodp_create_qp_resp resp;
	size_t rq_len, sq_off, db_off;
	int fd, ret;

	memset(qp, 0, sizeof(*qp));
	qp->sq_cnt = 64;
	qp->rq_cnt = 16;
	qp->rq_shift = 5;	/* two data segments */
	rq_len = (size_t)qp->rq_cnt << qp->rq_shift;
	sq_off = page_align(rq_len);
	db_off = sq_off + (size_t)qp->sq_cnt * MLX5_SEND_WQE_BB;
	qp->size = page_align(db_off + 64);
	fd = sock_make_memfd(qp->size, 1);
	if (fd < 0)
		return fd;
	qp->mem = map_memfd(fd, qp->size);
	if (!qp->mem) {
		close(fd);
		return -ENOMEM;
	}
	qp->rq = qp->mem;
	qp->sq = qp->mem + sq_off;
	qp->dbrec = (volatile uint32_t *)(qp->mem + db_off);
	req.user_handle = 2;
	req.mmap_size = qp->size;
	req.sq_offset = sq_off;
	req.rq_offset = 0;
	req.dbrec_offset = db_off;
	req.qp_type = IBV_QPT_RC;
	req.flags = UODP_QP_SQ_SIG_ALL;
	req.pdn = pdn;
	req.send_cqn = cq->cqn;
	req.recv_cqn = cq->cqn;
	req.srqn = UODP_NO_HANDLE;
	req.xrcdn = UODP_NO_HANDLE;
	req.sq_wqe_cnt = qp->sq_cnt;
	req.rq_wqe_cnt = qp->rq_cnt;
	req.rq_wqe_shift = qp->rq_shift;
	req.max_send_sge = 2;
	req.max_recv_sge = 2;
	ret = sock_cmd(dev, UODP_CMD_CREATE_QP, &req, sizeof(req), &fd, 1,
		      &resp, sizeof(resp));
	close(fd);
	if (ret) {
		sock_free_qp(qp);
		return ret;
	}
	qp->qpn = resp.qpn;
	return 0;
}

void sock_free_qp(struct sock_qp *qp)
{
	if (qp->mem)
		munmap(qp->mem, qp->size);
	qp->mem = NULL;
}

static int modify(struct sock_dev *dev, uint32_t qpn, uint32_t mask,
		  const struct uodp_qp_attr *attr)
{
	struct uodp_modify_qp_req req = { .qpn = qpn, .attr_mask = mask };

	req.attr = *attr;
	return sock_cmd(dev, UODP_CMD_MODIFY_QP, &req, sizeof(req), NULL, 0,
		       NULL, 0);
}

int sock_qp_to_rts(struct sock_dev *dev, struct sock_qp *qp, uint32_t dest_qpn,
		  uint8_t sgid_index)
{
	struct uodp_qp_attr a = { 0 };
	int ret;

	a.qp_state = IBV_QPS_INIT;
	a.port_num = 1;
	a.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			    IBV_ACCESS_REMOTE_READ;
	ret = modify(dev, qp->qpn, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
		     IBV_QP_PORT | IBV_QP_ACCESS_FLAGS, &a);
	if (ret)
		return ret;
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = dest_qpn;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 1;
	a.ah_attr.is_global = 1;
	a.ah_attr.port_num = 1;
	a.ah_attr.sgid_index = sgid_index;
	a.ah_attr.hop_limit = 64;
	ret = modify(dev, qp->qpn, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
		     IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
		     IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER, &a);
	if (ret)
		return ret;
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 8;
	a.retry_cnt = 3;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	return modify(dev, qp->qpn, IBV_QP_STATE | IBV_QP_TIMEOUT |
		      IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
		      IBV_QP_MAX_QP_RD_ATOMIC, &a);
}

int sock_destroy(struct sock_dev *dev, uint32_t opcode, uint32_t handle)
{
	struct uodp_handle_req req = { .handle = handle };

	return sock_cmd(dev, opcode, &req, sizeof(req), NULL, 0, NULL, 0);
}

void *sock_sq_wqe(struct sock_qp *qp, uint32_t bb)
{
	return qp->sq + (size_t)(bb & (qp->sq_cnt - 1)) * MLX5_SEND_WQE_BB;
}

static void kick(struct sock_dev *dev)
{
	uint64_t one = 1;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&dev->shared->need_wakeup, __ATOMIC_RELAXED) &&
	    write(dev->doorbell_fd, &one, sizeof(one)) != sizeof(one))
		return;		/* the daemon polls anyway while busy */
}

void sock_ring_sq(struct sock_dev *dev, struct sock_qp *qp, uint32_t bbs)
{
	qp->sq_pi += bbs;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	qp->dbrec[1] = htobe32(qp->sq_pi & 0xffff);
	kick(dev);
}

void sock_post_send(struct sock_dev *dev, struct sock_qp *qp, uint8_t opcode,
		   uint64_t addr, uint32_t len, uint32_t lkey)
{
	uint8_t *wqe = sock_sq_wqe(qp, qp->sq_pi);
	struct mlx5_wqe_ctrl_seg *ctrl = (void *)wqe;
	struct mlx5_wqe_data_seg *data = (void *)(wqe + sizeof(*ctrl));

	memset(wqe, 0, MLX5_SEND_WQE_BB);
	ctrl->opmod_idx_opcode = htobe32(((qp->sq_pi & 0xffff) << 8) | opcode);
	ctrl->qpn_ds = htobe32((qp->qpn << 8) | 2);
	ctrl->fm_ce_se = MLX5_WQE_CTRL_CQ_UPDATE;
	data->byte_count = htobe32(len);
	data->lkey = htobe32(lkey);
	data->addr = htobe64(addr);
	sock_ring_sq(dev, qp, 1);
}

void sock_post_recv(struct sock_dev *dev, struct sock_qp *qp, uint64_t addr,
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
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int sock_poll_cq(struct sock_cq *cq, void *out64, int timeout_ms)
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
