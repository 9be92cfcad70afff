/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * uodp provider: the userspace driver of the emulated mlx5-class HCA that
 * uodpd serves.  Objects and their private state; one concern per file:
 * uodp.c (device, context), ioctl.c (method calls), buf.c (queue memory),
 * verbs.c (device queries, PD, MR, XRCD, AH), cq.c, srq.c, qp.c (control
 * path), qp_post.c (send/receive posting), wqe.c/cqe.c (byte formats),
 * odp_host.c (ODP around the fault engine of odp/), uodpdv.c (the uodpdv
 * API).
 */
#ifndef UODP_PROVIDER_H
#define UODP_PROVIDER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <infiniband/cmd_ioctl.h>
#include <infiniband/driver.h>
#include <infiniband/verbs.h>

#include "rdma/uodp-emu-abi.h"
#include "hw/mlx5/cqe.h"
#include "hw/mlx5/uar.h"
#include "hw/mlx5/wqe.h"
#include "log.h"
#include "odp/backend.h"
#include "odp/mr_table.h"
#include "odp_host.h"
#include "wqe.h"

#define UODP_PORT_NUM 1
#define UODP_NO_PDN UINT32_MAX		/* an XRC_RECV QP has no PD */

struct uodp_device {
	struct verbs_device verbs_dev;
};

/* Sparse map of 24-bit device numbers (QPN, SRQN) to provider objects. */
#define UODP_TABLE_SHIFT 12
#define UODP_TABLE_SIZE (1u << UODP_TABLE_SHIFT)
struct uodp_table {
	void **level[UODP_TABLE_SIZE];
};

/* The device's limits the verbs check, from the command fd at open. */
struct uodp_dev_limits {
	uint32_t max_qp_wr;
	uint32_t max_sge;
	uint32_t max_cqe;
	uint32_t max_srq_wr;
	uint32_t max_srq_sge;
	uint32_t max_inline_data;	/* GET_CONTEXT's emulator tail */
	uint32_t phys_port_cnt;
	uint64_t odp_general_caps;	/* enum ibv_odp_general_caps */
};

struct uodp_context {
	struct verbs_context ibv_ctx;
	/*
	 * Page 0 of the command fd: mlx5's first UAR, where doorbells are
	 * rung as on hardware; with the emulator's doorbell (doorbell_fd >= 0)
	 * the device instead says there whether it sleeps (need_wakeup).
	 */
	uint8_t *uar;
	const struct uodp_shared_page *shared;
	int doorbell_fd;		/* eventfd: wake the device, or -1 */
	uint32_t device_pid;		/* for PR_SET_PTRACER */
	bool queue_memfd;		/* UODP_EMU_CAP_QUEUE_MEMFD offered */
	bool populate_pinned;		/* UODP_EMU_CAP_POPULATE_PINNED asked */
	bool odp_uffd;			/* UODP_EMU_CAP_ODP_UFFD offered */
	struct uodp_dev_limits attr;	/* device limits, queried once */
	uint32_t gid_tbl_len;
	pthread_mutex_t table_lock;	/* writers of the tables below */
	struct uodp_table qp_table;
	struct uodp_table srq_table;
	/* ODP (odp_host.c) */
	struct uodp_odp_mr_table mr_table;
	pthread_rwlock_t wq_lock;	/* queue memory vs. the fault engine */
	pthread_mutex_t odp_lock;	/* engine start */
	struct uodp_odp_engine *odp_engine;
	struct uodp_odp_backend odp_backend;
};

struct uodp_pd {
	struct ibv_pd ibv_pd;
	uint32_t pdn;
};

struct uodp_mr {
	struct verbs_mr vmr;
	uint64_t iova;			/* the address the keys are used with */
};

struct uodp_xrcd {
	struct verbs_xrcd vxrcd;
	uint32_t xrcdn;
};

struct uodp_ah {
	struct ibv_ah ibv_ah;
	struct mlx5_wqe_av av;
	int extended;
};

/* Queue memory: anonymous, or a sealed memfd mapped here and in uodpd. */
struct uodp_qmem {
	void *addr;
	size_t size;
	int fd;				/* memfd until handed to uodpd, or -1 */
};

struct uodp_cq {
	struct verbs_cq vcq;
	pthread_spinlock_t lock;
	uint32_t cqn;
	uint8_t *buf;
	uint32_t cqe_cnt;		/* power of two */
	uint32_t cons_index;		/* free running */
	uint32_t arm_sn;		/* bumped by every completion event */
	volatile uint32_t *dbrec;	/* [0] cons_index, [1] arm word */
	struct uodp_qmem mem;
};

struct uodp_srq {
	struct verbs_srq vsrq;
	pthread_spinlock_t lock;
	uint32_t srqn;
	uint32_t pdn;			/* set before the SRQ is published */
	uint8_t *buf;
	uint32_t wqe_cnt;
	uint32_t wqe_shift;
	uint32_t max_gs;
	uint32_t max_wr;		/* reported: wqe_cnt - 1 */
	uint32_t head;			/* next free WQE to post into */
	uint32_t tail;			/* last free WQE (list end) */
	uint32_t counter;		/* WQEs posted, free running */
	uint64_t *wrid;
	volatile uint32_t *dbrec;	/* [0] = counter */
	struct uodp_qmem mem;
};

struct uodp_sq {
	pthread_spinlock_t lock;
	uint8_t *buf;
	uint32_t wqe_cnt;		/* WQEBBs, power of two, 0 = no SQ */
	uint32_t cur_post;		/* WQEBB counter, free running */
	uint32_t head;			/* WRs posted */
	uint32_t tail;			/* WRs completed (via wqe_head) */
	uint32_t max_post;		/* WRs that fit */
	uint32_t max_gs;
	uint32_t max_inline;
	uint64_t *wrid;			/* by WQEBB slot of WQE start */
	uint32_t *wqe_head;		/* head when the WQE was posted */
	uint32_t last_wqe;		/* its slot: the UAR doorbell copies it */
	uint32_t bf_offset;		/* the BlueFlame buffer rung next */
};

struct uodp_rq {
	pthread_spinlock_t lock;
	uint8_t *buf;
	uint32_t wqe_cnt;		/* power of two, 0 = no RQ */
	uint32_t wqe_shift;
	uint32_t max_gs;
	uint32_t head, tail;		/* WRs posted / completed */
	uint64_t *wrid;
};

/* State of the ibv_qp_ex (wr_start .. wr_complete) builder. */
struct uodp_wr_state {
	struct uodp_wqe wqe;
	bool open;			/* a WQE is being built */
	bool atomic;			/* its local SGE is 8 bytes */
	int err;
	uint32_t nreq;
	uint32_t start_post, start_head;
	uint64_t wr_id;
	uint8_t opcode;
	uint8_t fm_ce_se;
	uint32_t imm;
	uint32_t av_off;		/* reserved datagram segment, or 0 */
	uint32_t xrc_off;		/* reserved XRC segment, or 0 */
};

struct uodp_qp {
	struct verbs_qp vqp;
	uint32_t qpn;
	uint32_t pdn;			/* set before the QP is published */
	enum ibv_qp_type type;
	bool sq_sig_all;
	bool has_mem;
	uint64_t send_ops_flags;
	struct uodp_srq *srq;
	struct uodp_sq sq;
	struct uodp_rq rq;
	volatile uint32_t *dbrec;	/* [0] RQ counter, [1] SQ counter */
	struct uodp_qmem mem;
	struct uodp_wr_state wr;
};

static inline struct uodp_context *to_uctx(struct ibv_context *ibctx)
{
	return (struct uodp_context *)((uint8_t *)ibctx -
		offsetof(struct uodp_context, ibv_ctx.context));
}

static inline struct uodp_pd *to_upd(struct ibv_pd *pd)
{
	return (struct uodp_pd *)pd;
}

static inline struct uodp_cq *to_ucq(struct ibv_cq *cq)
{
	return (struct uodp_cq *)cq;
}

static inline struct uodp_srq *to_usrq(struct ibv_srq *srq)
{
	return (struct uodp_srq *)srq;
}

static inline struct uodp_qp *to_uqp(struct ibv_qp *qp)
{
	return (struct uodp_qp *)qp;
}

static inline struct uodp_qp *qpex_to_uqp(struct ibv_qp_ex *qpx)
{
	return (struct uodp_qp *)qpx;
}

static inline struct uodp_xrcd *to_uxrcd(struct ibv_xrcd *xrcd)
{
	return (struct uodp_xrcd *)xrcd;
}

static inline struct uodp_ah *to_uah(struct ibv_ah *ah)
{
	return (struct uodp_ah *)ah;
}

/* CLOCK_MONOTONIC in ns: when a command left, for the ODP statistics. */
static inline uint64_t uodp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint32_t uodp_roundup_pow2(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p)
		p <<= 1;
	return p;
}

static inline uint32_t uodp_ilog2(uint32_t n)
{
	uint32_t l = 0;

	while ((1u << l) < n)
		l++;
	return l;
}

/* uodp.c: the driver, to recognise our devices (uodpdv.c). */
extern const struct verbs_device_ops uodp_dev_ops;

/*
 * A destroy on the command fd: ENOSYS means uodpd is gone (no supervisor
 * answers the call), and a dead device took the object with it, so
 * teardown goes on.
 */
static inline int uodp_destroy_err(int err)
{
	return err == ENOSYS ? 0 : err;
}

/* ioctl.c: methods without an ibv_cmd_*; 0 or a positive errno. */
int uodp_ioctl(struct uodp_context *ctx, uint16_t object, uint16_t method,
	       struct ib_uverbs_attr *attrs, unsigned int n);
struct ib_uverbs_attr uodp_attr_in(uint16_t id, const void *p, size_t len);
struct ib_uverbs_attr uodp_attr_out(uint16_t id, void *p, size_t len);
/* mlx5dv_devx_general_cmd: a PRM mailbox through DEVX_OTHER. */
int uodp_devx_general(struct uodp_context *ctx, const void *in,
		      uint32_t inlen, void *out, uint32_t outlen);

/* buf.c: queue memory. */
int uodp_qmem_alloc(struct uodp_context *ctx, struct uodp_qmem *m,
		    size_t size, const char *name);
void uodp_qmem_ref(const struct uodp_qmem *m, uint64_t buf_offset,
		   uint64_t dbrec_offset, struct uodp_qmem_ref *ref);
void uodp_qmem_close_fd(struct uodp_qmem *m);
void uodp_qmem_free(struct uodp_qmem *m);

/* uodp.c: number tables (lookups are lock free, as in libmlx5). */
int uodp_table_store(struct uodp_context *ctx, struct uodp_table *t,
		     uint32_t num, void *obj);
void uodp_table_clear(struct uodp_context *ctx, struct uodp_table *t,
		      uint32_t num);
void *uodp_table_find(struct uodp_table *t, uint32_t num);

/* verbs.c */
int uodp_query_device_ex(struct ibv_context *context,
			 const struct ibv_query_device_ex_input *input,
			 struct ibv_device_attr_ex *attr, size_t attr_size);
int uodp_query_port(struct ibv_context *context, uint8_t port,
		    struct ibv_port_attr *attr);
struct ibv_pd *uodp_alloc_pd(struct ibv_context *context);
int uodp_dealloc_pd(struct ibv_pd *pd);
struct ibv_mr *uodp_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			   uint64_t hca_va, int access);
int uodp_dereg_mr(struct verbs_mr *vmr);
struct ibv_xrcd *uodp_open_xrcd(struct ibv_context *context,
				struct ibv_xrcd_init_attr *attr);
int uodp_close_xrcd(struct ibv_xrcd *xrcd);
struct ibv_ah *uodp_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr);
int uodp_destroy_ah(struct ibv_ah *ah);

/* cq.c */
struct ibv_cq *uodp_create_cq(struct ibv_context *context, int cqe,
			      struct ibv_comp_channel *channel,
			      int comp_vector);
int uodp_destroy_cq(struct ibv_cq *cq);
int uodp_poll_cq(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc);
int uodp_req_notify_cq(struct ibv_cq *cq, int solicited_only);
void uodp_cq_event(struct ibv_cq *cq);
void uodp_cq_clean(struct uodp_cq *cq, uint32_t qpn, struct uodp_srq *srq);

/* srq.c */
struct ibv_srq *uodp_create_srq(struct ibv_pd *pd,
				struct ibv_srq_init_attr *attr);
struct ibv_srq *uodp_create_srq_ex(struct ibv_context *context,
				   struct ibv_srq_init_attr_ex *attr);
int uodp_modify_srq(struct ibv_srq *srq, struct ibv_srq_attr *attr,
		    int attr_mask);
int uodp_query_srq(struct ibv_srq *srq, struct ibv_srq_attr *attr);
int uodp_destroy_srq(struct ibv_srq *srq);
int uodp_get_srq_num(struct ibv_srq *srq, uint32_t *srq_num);
int uodp_post_srq_recv(struct ibv_srq *srq, struct ibv_recv_wr *wr,
		       struct ibv_recv_wr **bad_wr);
void uodp_srq_free_wqe(struct uodp_srq *srq, uint32_t index);

/* qp.c */
struct ibv_qp *uodp_create_qp(struct ibv_pd *pd,
			      struct ibv_qp_init_attr *attr);
struct ibv_qp *uodp_create_qp_ex(struct ibv_context *context,
				 struct ibv_qp_init_attr_ex *attr);
int uodp_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr,
		   int attr_mask);
int uodp_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask,
		  struct ibv_qp_init_attr *init_attr);
int uodp_destroy_qp(struct ibv_qp *qp);
void uodp_qp_reset_indices(struct uodp_qp *qp);

/* qp_post.c */
int uodp_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr,
		   struct ibv_send_wr **bad_wr);
int uodp_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr,
		   struct ibv_recv_wr **bad_wr);
void uodp_qp_fill_wr_ops(struct uodp_qp *qp);

#endif /* UODP_PROVIDER_H */
