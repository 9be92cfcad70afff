/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * A raw uodp client for robustness tests: it speaks the command protocol of
 * rdma/uodp-abi.h to uodpd directly and writes mlx5 WQEs into its own queue
 * memory, bypassing the provider, so a test can hand the daemon anything a
 * buggy or hostile client could: malformed WQEs, garbage commands, bad fds.
 */
#ifndef UODP_TESTS_RAWDEV_H
#define UODP_TESTS_RAWDEV_H

#include <stddef.h>
#include <stdint.h>

#include "rdma/uodp-abi.h"
#include "rdma/uodp-odp-abi.h"

struct sock_dev {
	int sock;
	int doorbell_fd;
	int async_fd;
	struct uodp_shared_page *shared;
	size_t shared_size;
	uint32_t daemon_pid;
};

struct sock_cq {
	uint32_t cqn;
	uint32_t cnt;
	uint32_t ci;
	size_t size;
	uint8_t *mem;
	volatile uint32_t *dbrec;
};

struct sock_qp {
	uint32_t qpn;
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

/* Connection and framing. */
int sock_connect(struct sock_dev *dev);
int sock_open(struct sock_dev *dev, const char *ibdev);
void sock_close(struct sock_dev *dev);
int sock_send_msg(struct sock_dev *dev, const void *msg, size_t len,
		 const int *fds, int nfds);
/* Response length, 0 when the daemon closed the connection, or -errno. */
int sock_recv_msg(struct sock_dev *dev, void *buf, size_t len, int *fds,
		 int *nfds, int timeout_ms);
/* One command: the response status (0 or -errno), or a transport -errno. */
int sock_cmd(struct sock_dev *dev, uint32_t opcode, const void *body,
	    size_t body_len, const int *fds, int nfds, void *resp,
	    size_t resp_len);

/* The same, keeping up to *out_nfds received fds (set to how many). */
int sock_cmd_fds(struct sock_dev *dev, uint32_t opcode, const void *body,
		size_t body_len, const int *fds, int nfds, void *resp,
		size_t resp_len, int *out_fds, int *out_nfds);
/* QUERY_COUNTERS (rdma/uodp-odp-abi.h): 0 or -errno. */
int sock_query_counters(struct sock_dev *dev, uint32_t scope, uint32_t cursor,
		       struct uodp_query_counters_resp *out);

/* Objects. */
int sock_alloc_pd(struct sock_dev *dev, uint32_t *pdn);
int sock_reg_mr(struct sock_dev *dev, uint32_t pdn, void *addr, size_t len,
	       uint32_t access, uint32_t *key);
int sock_create_cq(struct sock_dev *dev, struct sock_cq *cq, uint32_t cnt);
void sock_free_cq(struct sock_cq *cq);
int sock_create_rc_qp(struct sock_dev *dev, struct sock_qp *qp, uint32_t pdn,
		     const struct sock_cq *cq);
void sock_free_qp(struct sock_qp *qp);
int sock_qp_to_rts(struct sock_dev *dev, struct sock_qp *qp, uint32_t dest_qpn,
		  uint8_t sgid_index);
int sock_destroy(struct sock_dev *dev, uint32_t opcode, uint32_t handle);
int sock_make_memfd(size_t size, int seal);

/* Datapath. */
void *sock_sq_wqe(struct sock_qp *qp, uint32_t bb);
void sock_post_send(struct sock_dev *dev, struct sock_qp *qp, uint8_t opcode,
		   uint64_t addr, uint32_t len, uint32_t lkey);
void sock_post_recv(struct sock_dev *dev, struct sock_qp *qp, uint64_t addr,
		   uint32_t len, uint32_t lkey);
void sock_ring_sq(struct sock_dev *dev, struct sock_qp *qp, uint32_t bbs);
/* 1 with the next CQE copied to out, 0 on timeout. */
int sock_poll_cq(struct sock_cq *cq, void *out64, int timeout_ms);

#endif /* UODP_TESTS_RAWDEV_H */
