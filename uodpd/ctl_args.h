/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The device's own operations (ctl_*.c) take these arguments and answer
 * these results: what a command of the command fd becomes once its kernel
 * structs (uverbs_*.c) are decoded and checked.  Internal to uodpd: no
 * client ever sees these layouts.  Handles are the device numbers (PD
 * number, MR key, CQN, SRQN, QPN, XRCD number), checked against the owner
 * on every use.
 */
#ifndef UODPD_CTL_ARGS_H
#define UODPD_CTL_ARGS_H

#include <assert.h>
#include <stdint.h>

#include "rdma/uodp-odp-abi.h"

#define UD_CMD_MAX_SIZE 1024		/* the largest argument or result */
#define UD_CMD_MAX_FDS 4
#define UD_IBDEV_NAME_MAX 64
#define UD_NO_HANDLE 0xffffffffu

struct ud_device_attr {
	char fw_ver[64];
	uint64_t node_guid;		/* big-endian, as ibv_device_attr */
	uint64_t sys_image_guid;	/* big-endian */
	uint64_t max_mr_size;
	uint64_t page_size_cap;
	uint32_t vendor_id;
	uint32_t vendor_part_id;
	uint32_t hw_ver;
	uint32_t max_qp;
	uint32_t max_qp_wr;
	uint32_t device_cap_flags;
	uint32_t max_sge;
	uint32_t max_sge_rd;
	uint32_t max_cq;
	uint32_t max_cqe;
	uint32_t max_mr;
	uint32_t max_pd;
	uint32_t max_qp_rd_atom;
	uint32_t max_ee_rd_atom;
	uint32_t max_res_rd_atom;
	uint32_t max_qp_init_rd_atom;
	uint32_t atomic_cap;		/* enum ibv_atomic_cap */
	uint32_t max_srq;
	uint32_t max_srq_wr;
	uint32_t max_srq_sge;
	uint32_t max_ah;
	uint32_t max_inline_data;
	uint32_t max_msg_sz;
	uint16_t max_pkeys;
	uint8_t local_ca_ack_delay;
	uint8_t phys_port_cnt;
	/* ODP, struct ibv_odp_caps and xrc_odp_caps bit values */
	uint64_t odp_general_caps;
	uint32_t odp_rc_caps;
	uint32_t odp_uc_caps;
	uint32_t odp_ud_caps;
	uint32_t odp_xrc_caps;
	uint32_t reserved[8];
};

struct ud_query_port_req {
	uint32_t port_num;
	uint32_t reserved;
};

struct ud_port_attr {
	uint32_t state;			/* enum ibv_port_state */
	uint32_t max_mtu;		/* enum ibv_mtu */
	uint32_t active_mtu;
	uint32_t gid_tbl_len;
	uint32_t port_cap_flags;
	uint32_t max_msg_sz;
	uint32_t bad_pkey_cntr;
	uint32_t qkey_viol_cntr;
	uint16_t pkey_tbl_len;
	uint16_t lid;
	uint16_t sm_lid;
	uint8_t lmc;
	uint8_t max_vl_num;
	uint8_t sm_sl;
	uint8_t subnet_timeout;
	uint8_t init_type_reply;
	uint8_t active_width;
	uint8_t active_speed;
	uint8_t phys_state;
	uint8_t link_layer;		/* IBV_LINK_LAYER_* */
	uint8_t flags;
	uint16_t port_cap_flags2;
	uint16_t reserved;
};

struct ud_handle_req {		/* DEALLOC_PD, DEREG_MR, DESTROY_*, CLOSE_XRCD, QUERY_* */
	uint32_t handle;
	uint32_t reserved;
};

struct ud_alloc_pd_resp {
	uint32_t pdn;
	uint32_t reserved;
};

/*
 * With IBV_ACCESS_ON_DEMAND the MR is an ODP MR: pages start absent except
 * those already resident, and a missing translation raises a page fault.
 * addr 0 with length UINT64_MAX is an implicit ODP MR over the whole
 * address space (iova must be 0).
 */
struct ud_reg_mr_req {
	uint32_t pdn;
	uint32_t access;		/* enum ibv_access_flags */
	uint64_t addr;			/* process virtual address */
	uint64_t length;
	uint64_t iova;			/* address the keys are used with */
	uint64_t memlock_pages;		/* pinned: the caller's limit (pin.c) */
};

struct ud_reg_mr_resp {
	uint32_t lkey;			/* also the handle */
	uint32_t rkey;
};

/*
 * Where a queue's ring and doorbell record are.  With the command's fd (the
 * emulator's shared queue memory) they are offsets into that memfd of
 * mmap_size bytes; with no fd they are addresses in the caller's memory, as
 * mlx5_ib's buf_addr and db_addr.
 */
struct ud_queue_mem {
	uint64_t mmap_size;
	uint64_t buf;
	uint64_t dbrec;
};

/* CREATE_CQ: optionally one fd, the memfd of the ring and doorbell record. */
struct ud_create_cq_req {
	uint64_t user_handle;		/* async event element */
	struct ud_queue_mem mem;	/* db [0] consumer index, [1] arm */
	uint32_t cqe_cnt;		/* power of two */
	uint32_t cqe_size;		/* 64 */
	int32_t comp_channel;		/* channel fd number, or -1 */
	uint32_t comp_vector;
};

struct ud_create_cq_resp {
	uint32_t cqn;
	uint32_t reserved;
};

/* DESTROY_QP, DESTROY_SRQ: async events the process read (as the kernel). */
struct ud_destroy_resp {
	uint32_t events_reported;
	uint32_t reserved;
};

/* As ib_uverbs_destroy_cq_resp: events destroy must wait to be acked. */
struct ud_destroy_cq_resp {
	uint32_t comp_events_reported;
	uint32_t async_events_reported;
};

/* OPEN_XRCD: optionally one fd; XRCDs opened through one inode are shared. */
struct ud_open_xrcd_req {
	uint32_t oflags;		/* O_CREAT, O_EXCL */
	uint32_t has_fd;
};

struct ud_open_xrcd_resp {
	uint32_t xrcdn;
	uint32_t reserved;
};

/* CREATE_SRQ: optionally one fd, the memfd of the WQEs and doorbell record. */
struct ud_create_srq_req {
	uint64_t user_handle;
	struct ud_queue_mem mem;	/* db[0] = posted WQE counter */
	uint32_t srq_type;		/* enum ibv_srq_type */
	uint32_t pdn;
	uint32_t cqn;			/* XRC SRQs only, else UD_NO_HANDLE */
	uint32_t xrcdn;			/* XRC SRQs only, else UD_NO_HANDLE */
	uint32_t wqe_cnt;		/* power of two */
	uint32_t wqe_shift;		/* log2 stride */
	uint32_t max_sge;
	uint32_t srq_limit;
};

struct ud_create_srq_resp {
	uint32_t srqn;
	uint32_t reserved;
};

struct ud_modify_srq_req {
	uint32_t srqn;
	uint32_t attr_mask;		/* IBV_SRQ_MAX_WR, IBV_SRQ_LIMIT */
	uint32_t max_wr;
	uint32_t srq_limit;
};

struct ud_query_srq_resp {
	uint32_t max_wr;
	uint32_t max_sge;
	uint32_t srq_limit;
	uint32_t reserved;
};

enum ud_qp_create_flags {
	UD_QP_SQ_SIG_ALL = 1 << 0,
};

/*
 * CREATE_QP: optionally one fd (never for XRC_RECV QPs, which have no
 * queues), the memfd of the ring and the doorbell record (db[0] RQ
 * counter, db[1] SQ counter).  The ring is mlx5's: the RQ, then the SQ.
 */
struct ud_create_qp_req {
	uint64_t user_handle;
	struct ud_queue_mem mem;
	uint32_t qp_type;		/* enum ibv_qp_type */
	uint32_t flags;			/* enum ud_qp_create_flags */
	uint32_t pdn;
	uint32_t send_cqn;
	uint32_t recv_cqn;
	uint32_t srqn;			/* or UD_NO_HANDLE */
	uint32_t xrcdn;			/* XRC_RECV only, or UD_NO_HANDLE */
	uint32_t sq_wqe_cnt;		/* WQEBBs, power of two, 0 if none */
	uint32_t rq_wqe_cnt;		/* power of two, 0 if none */
	uint32_t rq_wqe_shift;		/* log2 RQ stride */
	uint32_t max_send_sge;
	uint32_t max_recv_sge;
	uint32_t max_inline_data;
	uint32_t reserved;
};

struct ud_create_qp_resp {
	uint32_t qpn;
	uint32_t reserved;
};

/* Address vector, the fields of struct ibv_ah_attr the device uses. */
struct ud_ah_attr {
	uint8_t dgid[16];
	uint32_t flow_label;
	uint16_t dlid;
	uint8_t sgid_index;
	uint8_t hop_limit;
	uint8_t traffic_class;
	uint8_t sl;
	uint8_t is_global;
	uint8_t port_num;
	uint8_t static_rate;
	uint8_t reserved[3];
};

/* The fields of struct ibv_qp_attr; attr_mask is enum ibv_qp_attr_mask. */
struct ud_qp_attr {
	uint32_t qp_state;
	uint32_t cur_qp_state;
	uint32_t path_mtu;
	uint32_t qkey;
	uint32_t rq_psn;
	uint32_t sq_psn;
	uint32_t dest_qp_num;
	uint32_t qp_access_flags;
	struct ud_ah_attr ah_attr;
	uint16_t pkey_index;
	uint8_t sq_draining;
	uint8_t max_rd_atomic;
	uint8_t max_dest_rd_atomic;
	uint8_t min_rnr_timer;
	uint8_t port_num;
	uint8_t timeout;
	uint8_t retry_cnt;
	uint8_t rnr_retry;
	uint8_t en_sqd_async_notify;
	uint8_t reserved;
};

/* The high bit of a Q_Key: a controlled Q_Key (IB_QP_SET_QKEY). */
#define UD_QKEY_CONTROLLED 0x80000000u

enum ud_modify_qp_flags {
	/* The caller may set a controlled Q_Key (CAP_NET_RAW). */
	UD_MODIFY_QP_PRIVILEGED_QKEY = 1 << 0,
};

struct ud_modify_qp_req {
	uint32_t qpn;
	uint32_t attr_mask;
	struct ud_qp_attr attr;
	uint32_t flags;			/* enum ud_modify_qp_flags */
};

struct ud_query_qp_resp {
	struct ud_qp_attr attr;
	uint32_t max_send_wr;
	uint32_t max_recv_wr;
	uint32_t max_send_sge;
	uint32_t max_recv_sge;
	uint32_t max_inline_data;
	uint32_t sq_sig_all;
};

/* GENERAL: a DEVX-style PRM command; in and out are big-endian mailboxes. */
struct ud_general_cmd {
	uint32_t inlen;			/* bytes of in[] used */
	uint32_t outlen;		/* bytes of out wanted */
	uint8_t in[256];
};

struct ud_general_cmd_resp {
	uint8_t out[256];
};

static_assert(sizeof(struct ud_ah_attr) == 32, "ah attr");

static_assert(sizeof(struct ud_qp_attr) == 76, "qp attr");

/* MAP: ranges, and a resume mailbox with UD_ODP_MAP_RESUME. */
enum ud_odp_map_req_flags {
	/*
	 * After the ranges, execute resume[] (a PAGE_FAULT_RESUME mailbox,
	 * validated exactly as through DEVX_OTHER), with its error bit forced
	 * on if a required range failed: userfaultfd's "resolve and wake"
	 * in one call.  Without it, MAPs batch and one RESUME follows.
	 */
	UD_ODP_MAP_RESUME = 1 << 0,
	/*
	 * What one slice of the device leaves undone is queued and served
	 * in slices between other work: ADVISE_MR's prefetch work queue.
	 */
	UD_ODP_MAP_BACKGROUND = 1 << 1,
};

struct ud_odp_map_req {
	uint32_t nranges;
	uint32_t flags;		/* enum ud_odp_map_req_flags */
	uint8_t resume[16];	/* struct mlx5_page_fault_resume_in */
	struct uodp_odp_map_range ranges[UODP_ODP_MAX_MAP_RANGES];
};

#endif /* UODPD_CTL_ARGS_H */
