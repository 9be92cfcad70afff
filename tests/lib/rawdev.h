/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * A raw client of the command fd for the robustness and uAPI tests: it
 * opens /dev/infiniband/uverbs0 (inside uodp-run), speaks the kernel's own
 * write and ioctl ABI (<rdma/ib_user_verbs.h>, <rdma/rdma_user_ioctl.h>)
 * with mlx5's driver data and the emulator's queue-memory tail
 * (rdma/uodp-emu-abi.h), and writes mlx5 WQEs into its own queue memory,
 * bypassing libibverbs and the provider, so a test can hand the device
 * anything a buggy or hostile program could.
 */
#ifndef UODP_TESTS_RAWDEV_H
#define UODP_TESTS_RAWDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_ioctl.h>

#include "rdma/uodp-emu-abi.h"
#include "rdma/uodp-odp-abi.h"

#define RAW_DEV_PATH "/dev/infiniband/uverbs0"

struct raw_dev {
	int cmd_fd;
	int doorbell_fd;
	int async_fd;
	struct uodp_shared_page *shared;
	uint32_t device_pid;
	uint32_t emu_caps;		/* what GET_CONTEXT offered */
	/*
	 * Queues in a memfd shared with the device (set from emu_caps), or
	 * in anonymous memory named by address, as on a kernel.
	 */
	int memfd_queues;
};

struct raw_cq {
	uint32_t cqn;		/* also the handle */
	uint32_t cnt;
	uint32_t ci;
	size_t size;
	uint8_t *mem;
	volatile uint32_t *dbrec;
};

struct raw_qp {
	uint32_t qpn;		/* also the handle */
	uint32_t sq_cnt;	/* WQEBBs */
	uint32_t rq_cnt;
	uint32_t rq_shift;
	uint32_t sq_pi;		/* WQEBBs posted */
	uint32_t rq_pi;
	size_t size;
	uint8_t *mem;
	uint8_t *sq;
	uint8_t *rq;
	volatile uint32_t *dbrec;
};

struct raw_srq {
	uint32_t srqn;		/* also the handle */
	size_t size;
	uint8_t *mem;
};

/* The objects raw_destroy() knows. */
enum raw_obj {
	RAW_PD,
	RAW_MR,
	RAW_CQ,
	RAW_QP,
	RAW_SRQ,
	RAW_XRCD,
};

/*
 * Open the device and GET_CONTEXT, map the doorbell page and fetch the
 * doorbell: 0 or -errno.  raw_open_fd() does the rest on an open fd.
 */
int raw_open(struct raw_dev *dev);
int raw_open_fd(struct raw_dev *dev, int cmd_fd);
/* The same with GET_CONTEXT and ASYNC_EVENT_ALLOC by ioctl, as libibverbs. */
int raw_open_ioctl(struct raw_dev *dev);
/* Only open the command fd (no context yet): 0 or -errno. */
int raw_open_bare(struct raw_dev *dev);
void raw_close(struct raw_dev *dev);

/*
 * One legacy write command: body (in_len bytes, driver data included)
 * after the header; when out_len is non-zero the body starts with the
 * response pointer, which is set to resp.  0 or -errno.
 */
int raw_write(struct raw_dev *dev, uint32_t command, void *body,
	      size_t in_len, void *resp, size_t out_len);
/* One method call with n attributes (updated in place): 0 or -errno. */
int raw_ioctl(struct raw_dev *dev, uint16_t object, uint16_t method,
	      struct ib_uverbs_attr *attrs, unsigned int n);
/* Attributes the device reads (inline up to 8 bytes) and writes. */
struct ib_uverbs_attr raw_attr_in(uint16_t id, const void *p, size_t len);
struct ib_uverbs_attr raw_attr_out(uint16_t id, void *p, size_t len);
/* A CONST_IN (a u64, inline), an object handle, a new fd's room. */
struct ib_uverbs_attr raw_attr_const(uint16_t id, uint64_t value);
struct ib_uverbs_attr raw_attr_idr(uint16_t id, uint64_t handle);
struct ib_uverbs_attr raw_attr_new_fd(uint16_t id);

/* Objects: 0 or -errno. */
int raw_alloc_pd(struct raw_dev *dev, uint32_t *pd);
int raw_reg_mr(struct raw_dev *dev, uint32_t pd, void *addr, size_t len,
	       uint32_t access, uint32_t *key);
int raw_create_cq(struct raw_dev *dev, struct raw_cq *cq, uint32_t cnt);
void raw_free_cq(struct raw_cq *cq);
int raw_create_rc_qp(struct raw_dev *dev, struct raw_qp *qp, uint32_t pd,
		     const struct raw_cq *cq);
void raw_free_qp(struct raw_qp *qp);
/*
 * A queue's memory and mlx5's driver data (with the emulator's memfd
 * reference when the device offers it), for a create by write or by
 * ioctl: *drv_len is what to send, *fd the memfd to close once sent (or
 * -1).  0 or -errno.  The QP is raw_create_rc_qp's shape.
 */
int raw_cq_prepare(struct raw_dev *dev, struct raw_cq *cq, uint32_t cnt,
		   struct uodp_create_cq_drv *drv, size_t *drv_len, int *fd);
int raw_qp_prepare(struct raw_dev *dev, struct raw_qp *qp,
		   struct uodp_create_qp_drv *drv, size_t *drv_len, int *fd);
int raw_srq_prepare(struct raw_dev *dev, struct raw_srq *srq, uint32_t max_wr,
		    uint32_t max_sge, struct uodp_create_srq_drv *drv,
		    size_t *drv_len, int *fd);
void raw_free_srq(struct raw_srq *srq);
int raw_modify_qp(struct raw_dev *dev, struct ib_uverbs_modify_qp *cmd);
/* GID index of port 1 (QUERY_GID_ENTRY); 0 or -errno. */
int raw_query_gid(struct raw_dev *dev, uint32_t index, uint8_t gid[16]);
/* INIT, RTR, RTS to dest_qpn, the path from and to GID sgid_index. */
int raw_qp_to_rts(struct raw_dev *dev, struct raw_qp *qp, uint32_t dest_qpn,
		  uint8_t sgid_index);
/* The QP's state (enum ibv_qp_state), or -errno. */
int raw_qp_state(struct raw_dev *dev, uint32_t qpn);
int raw_destroy(struct raw_dev *dev, enum raw_obj kind, uint32_t handle);
/* The ODP counters method (rdma/uodp-odp-abi.h): 0 or -errno. */
int raw_query_counters(struct raw_dev *dev, uint32_t scope, uint32_t cursor,
		       struct uodp_query_counters_resp *out);
/* A memfd of size bytes, sealed against resizing when seal: fd or -errno. */
int raw_make_memfd(size_t size, int seal);

/* Datapath. */
void *raw_sq_wqe(struct raw_qp *qp, uint32_t bb);
void raw_post_send(struct raw_dev *dev, struct raw_qp *qp, uint8_t opcode,
		   uint64_t addr, uint32_t len, uint32_t lkey);
void raw_post_recv(struct raw_dev *dev, struct raw_qp *qp, uint64_t addr,
		   uint32_t len, uint32_t lkey);
void raw_ring_sq(struct raw_dev *dev, struct raw_qp *qp, uint32_t bbs);
/* 1 with the next CQE copied to out, 0 on timeout. */
int raw_poll_cq(struct raw_cq *cq, void *out64, int timeout_ms);
/*
 * Traffic: qp (RC, RESET) to RTS connected to itself, a SEND through it
 * with an MR of pd; true when both completions came on cq and the data.
 */
bool raw_loopback_send(struct raw_dev *dev, struct raw_qp *qp,
		       struct raw_cq *cq, uint32_t pd);

#endif /* UODP_TESTS_RAWDEV_H */
