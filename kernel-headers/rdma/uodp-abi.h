/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR Linux-OpenIB) */
/*
 * The uodp verbs command ABI over uodpd's SOCK_SEQPACKET unix socket:
 * emulator-only and transitional.  The command fd (/dev/infiniband/uverbsN,
 * served by uodpd with the kernel's own <rdma/ib_user_verbs.h> and
 * <rdma/mlx5-abi.h> ABI) already carries GET_CONTEXT and completion
 * channels; the commands below move there one by one, and this header goes
 * when the last one has.  uodpd answers each request with one response.  Datapath queues live in memfds the
 * provider creates, sends with the create command (SCM_RIGHTS) and seals
 * against shrinking, exactly as a hardware provider hands queue buffers to the
 * kernel: from then on both sides read and write the real mlx5 formats of
 * hw/mlx5/ in that memory.
 *
 * Every request starts with struct uodp_cmd_hdr, every response with struct
 * uodp_resp_hdr.  status is 0 or a negative errno.  All fields are host
 * endian (both ends run on the same machine); hardware formats stay
 * big-endian.  Handles are the device numbers (PD number, MR key, CQN, SRQN,
 * QPN, XRCD number) and are checked against the owner on every use.
 */
#ifndef UODP_ABI_H
#define UODP_ABI_H

#include <stdint.h>
#include <assert.h>
#include <rdma/mlx5-abi.h>

#define UODP_ABI_VERSION 2
#define UODP_SOCKET_ENV "UODP_SOCKET"	/* path of uodpd's socket */
#define UODP_MAX_CMD_SIZE 1024		/* bigger requests are refused */
#define UODP_MAX_FDS 4
#define UODP_IBDEV_NAME_MAX 64
#define UODP_NO_HANDLE 0xffffffffu

enum uodp_cmd_opcode {
	UODP_CMD_OPEN_CONTEXT = 1,
	UODP_CMD_QUERY_DEVICE,
	UODP_CMD_QUERY_PORT,
	UODP_CMD_ALLOC_PD,
	UODP_CMD_DEALLOC_PD,
	UODP_CMD_REG_MR,
	UODP_CMD_DEREG_MR,
	UODP_CMD_CREATE_CQ,
	UODP_CMD_DESTROY_CQ,
	UODP_CMD_OPEN_XRCD,
	UODP_CMD_CLOSE_XRCD,
	UODP_CMD_CREATE_SRQ,
	UODP_CMD_MODIFY_SRQ,
	UODP_CMD_QUERY_SRQ,
	UODP_CMD_DESTROY_SRQ,
	UODP_CMD_CREATE_QP,
	UODP_CMD_MODIFY_QP,
	UODP_CMD_QUERY_QP,
	UODP_CMD_DESTROY_QP,
	/* ODP: the thin uAPI of rdma/uodp-odp-abi.h */
	UODP_CMD_ODP_API,		/* struct uodp_odp_api both ways */
	UODP_CMD_ODP_CREATE_CHANNEL,	/* -> event channel fd */
	UODP_CMD_ODP_MAP,		/* struct uodp_odp_map_req -> _resp */
	UODP_CMD_GENERAL,		/* PRM mailbox, struct uodp_general_cmd */
	UODP_CMD_QUERY_COUNTERS,	/* struct uodp_query_counters_req -> ... */
	UODP_CMD_MAX,
};

struct uodp_cmd_hdr {
	uint32_t opcode;		/* enum uodp_cmd_opcode */
	uint32_t length;		/* bytes, header included */
};

struct uodp_resp_hdr {
	int32_t status;			/* 0 or -errno */
	uint32_t length;		/* bytes, header included */
};

/*
 * OPEN_CONTEXT: the first command on a connection.  The response carries
 * three fds, in this order: the context's shared page (a memfd holding struct
 * uodp_shared_page, map it shared), the doorbell eventfd (write 1 to wake the
 * device when need_wakeup is set) and the read end of the async event pipe
 * (records are struct uodp_async_event, the layout libibverbs reads from
 * context->async_fd).
 */
struct uodp_open_context_req {
	uint32_t abi_version;
	uint32_t reserved;
	char ibdev[UODP_IBDEV_NAME_MAX];	/* "uodp0" */
};

struct uodp_open_context_resp {
	uint32_t abi_version;
	uint32_t context_id;
	uint32_t daemon_pid;		/* for PR_SET_PTRACER */
	uint32_t shared_page_size;
	uint64_t bind_token;		/* for GET_CONTEXT, see below */
};

/*
 * The command fd's GET_CONTEXT (IB_USER_VERBS_CMD_GET_CONTEXT, served by
 * uodpd as a kernel would) takes mlx5's request and, after it, the token
 * OPEN_CONTEXT returned: the command fd's context is then this
 * connection's, and completion channels created on the command fd serve its
 * CQs.  Without a token GET_CONTEXT makes a context of its own.  Transitional:
 * the verbs still on this socket move to the command fd one by one.
 */
struct uodp_alloc_ucontext_req {
	struct mlx5_ib_alloc_ucontext_req_v2 mlx5;
	__aligned_u64 bind_token;
};

/*
 * GET_CONTEXT's driver response: mlx5's, then, emulator only, the inline
 * limit (until the provider reads the PRM general caps through DEVX) and
 * the device's pid (the provider names it with PR_SET_PTRACER so that it
 * may reach its memory under Yama).
 */
struct uodp_alloc_ucontext_resp {
	struct mlx5_ib_alloc_ucontext_resp mlx5;
	__u32 max_inline_data;
	__u32 device_pid;
};

/*
 * Emulator only, on the command fd: the doorbell.  The device polls the
 * doorbell records while busy and sets need_wakeup in the page at mmap
 * offset 0 of the command fd (struct uodp_shared_page; mlx5's first UAR
 * page) before it sleeps; a provider that then rang a doorbell writes this
 * eventfd, where hardware has a UAR write.
 */
#define UODP_IB_OBJECT_EMU 0x1081		/* in mlx5's driver namespace */
enum uodp_ib_emu_methods {
	UODP_IB_METHOD_EMU_DOORBELL = 0x1000,
};
enum uodp_ib_emu_doorbell_attrs {
	UODP_IB_ATTR_EMU_DOORBELL_FD = 0x1000,	/* out: the eventfd */
};
#define UODP_DOORBELL_PAGE_OFFSET 0

enum { UODP_OPEN_CONTEXT_NFDS = 3 };

/*
 * The per-context page the device shares with the provider.  Doorbells are
 * doorbell records in queue memory; the device polls them while busy and
 * sets need_wakeup before it sleeps.  A provider that rang a doorbell
 * (store, then a full fence) and then sees need_wakeup set writes the
 * doorbell eventfd: so a busy device costs no system call per post, an idle
 * one no CPU (the io_uring SQPOLL protocol).
 */
struct uodp_shared_page {
	uint32_t need_wakeup;
	uint32_t reserved[15];
};

/* Exactly struct ib_uverbs_async_event_desc: libibverbs reads these. */
struct uodp_async_event {
	uint64_t element;		/* user_handle, or port number */
	uint32_t event_type;		/* enum ibv_event_type */
	uint32_t reserved;
};

struct uodp_device_attr {
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

struct uodp_query_port_req {
	uint32_t port_num;
	uint32_t reserved;
};

struct uodp_port_attr {
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

struct uodp_handle_req {		/* DEALLOC_PD, DEREG_MR, DESTROY_*, CLOSE_XRCD, QUERY_* */
	uint32_t handle;
	uint32_t reserved;
};

struct uodp_alloc_pd_resp {
	uint32_t pdn;
	uint32_t reserved;
};

/*
 * With IBV_ACCESS_ON_DEMAND the MR is an ODP MR: pages start absent except
 * those already resident, and a missing translation raises a page fault.
 * addr 0 with length UINT64_MAX is an implicit ODP MR over the whole
 * address space (iova must be 0).
 */
struct uodp_reg_mr_req {
	uint32_t pdn;
	uint32_t access;		/* enum ibv_access_flags */
	uint64_t addr;			/* process virtual address */
	uint64_t length;
	uint64_t iova;			/* address the keys are used with */
};

struct uodp_reg_mr_resp {
	uint32_t lkey;			/* also the handle */
	uint32_t rkey;
};

/* CREATE_CQ: one fd, the memfd holding the CQE ring and the doorbell record. */
struct uodp_create_cq_req {
	uint64_t user_handle;		/* async event element */
	uint64_t mmap_size;		/* memfd size */
	uint32_t cqe_cnt;		/* power of two */
	uint32_t cqe_size;		/* 64 */
	uint64_t buf_offset;		/* CQE ring */
	uint64_t dbrec_offset;		/* [0] consumer index, [1] arm */
	int32_t comp_channel;		/* channel fd number, or -1 */
	uint32_t comp_vector;
};

struct uodp_create_cq_resp {
	uint32_t cqn;
	uint32_t reserved;
};

/*
 * Emulator only: a queue's memory is a sealed memfd shared with the device
 * (a kernel pins the provider's anonymous buffer instead).  On the command
 * fd it follows mlx5's driver data: the memfd's number in the caller (the
 * device takes its own reference), its size and where the ring and the
 * doorbell record are in it.
 */
struct uodp_qmem_ref {
	__s32 fd;
	__u32 reserved;
	__aligned_u64 size;
	__aligned_u64 buf_offset;
	__aligned_u64 dbrec_offset;
};

/* CREATE_CQ's driver data on the command fd. */
struct uodp_create_cq_drv {
	struct mlx5_ib_create_cq mlx5;
	struct uodp_qmem_ref qmem;
};

/*
 * CREATE_QP's driver data on the command fd: mlx5's (queue sizes), then
 * the memfd; qmem.buf_offset is the SQ, rq_offset the RQ.  fd -1: no
 * queues (XRC_RECV).
 */
struct uodp_create_qp_drv {
	struct mlx5_ib_create_qp mlx5;
	struct uodp_qmem_ref qmem;
	__aligned_u64 rq_offset;
};

/* CREATE_SRQ and CREATE_XSRQ's driver data: mlx5's, the memfd, its shape. */
struct uodp_create_srq_drv {
	struct mlx5_ib_create_srq mlx5;
	struct uodp_qmem_ref qmem;
	__u32 wqe_cnt;			/* power of two */
	__u32 wqe_shift;		/* log2 stride */
	__u32 max_sge;
	__u32 reserved;
};

/* DESTROY_QP, DESTROY_SRQ: async events the process read (as the kernel). */
struct uodp_destroy_resp {
	uint32_t events_reported;
	uint32_t reserved;
};

/* As ib_uverbs_destroy_cq_resp: events destroy must wait to be acked. */
struct uodp_destroy_cq_resp {
	uint32_t comp_events_reported;
	uint32_t async_events_reported;
};

/* OPEN_XRCD: optionally one fd; XRCDs opened through one inode are shared. */
struct uodp_open_xrcd_req {
	uint32_t oflags;		/* O_CREAT, O_EXCL */
	uint32_t has_fd;
};

struct uodp_open_xrcd_resp {
	uint32_t xrcdn;
	uint32_t reserved;
};

/* CREATE_SRQ: one fd, the memfd holding the SRQ WQEs and doorbell record. */
struct uodp_create_srq_req {
	uint64_t user_handle;
	uint64_t mmap_size;
	uint64_t buf_offset;
	uint64_t dbrec_offset;		/* dbrec[0] = posted WQE counter */
	uint32_t srq_type;		/* enum ibv_srq_type */
	uint32_t pdn;
	uint32_t cqn;			/* XRC SRQs only, else UODP_NO_HANDLE */
	uint32_t xrcdn;			/* XRC SRQs only, else UODP_NO_HANDLE */
	uint32_t wqe_cnt;		/* power of two */
	uint32_t wqe_shift;		/* log2 stride */
	uint32_t max_sge;
	uint32_t srq_limit;
};

struct uodp_create_srq_resp {
	uint32_t srqn;
	uint32_t reserved;
};

struct uodp_modify_srq_req {
	uint32_t srqn;
	uint32_t attr_mask;		/* IBV_SRQ_MAX_WR, IBV_SRQ_LIMIT */
	uint32_t max_wr;
	uint32_t srq_limit;
};

struct uodp_query_srq_resp {
	uint32_t max_wr;
	uint32_t max_sge;
	uint32_t srq_limit;
	uint32_t reserved;
};

enum uodp_qp_create_flags {
	UODP_QP_SQ_SIG_ALL = 1 << 0,
};

/*
 * CREATE_QP: one fd (none for XRC_RECV QPs), the memfd holding the RQ ring,
 * the SQ ring and the doorbell record (dbrec[0] RQ counter, dbrec[1] SQ
 * counter), at the offsets given.
 */
struct uodp_create_qp_req {
	uint64_t user_handle;
	uint64_t mmap_size;
	uint64_t sq_offset;
	uint64_t rq_offset;
	uint64_t dbrec_offset;
	uint32_t qp_type;		/* enum ibv_qp_type */
	uint32_t flags;			/* enum uodp_qp_create_flags */
	uint32_t pdn;
	uint32_t send_cqn;
	uint32_t recv_cqn;
	uint32_t srqn;			/* or UODP_NO_HANDLE */
	uint32_t xrcdn;			/* XRC_RECV only, or UODP_NO_HANDLE */
	uint32_t sq_wqe_cnt;		/* WQEBBs, power of two, 0 if none */
	uint32_t rq_wqe_cnt;		/* power of two, 0 if none */
	uint32_t rq_wqe_shift;		/* log2 RQ stride */
	uint32_t max_send_sge;
	uint32_t max_recv_sge;
	uint32_t max_inline_data;
	uint32_t reserved;
};

struct uodp_create_qp_resp {
	uint32_t qpn;
	uint32_t reserved;
};

/* Address vector, the fields of struct ibv_ah_attr the device uses. */
struct uodp_ah_attr {
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
struct uodp_qp_attr {
	uint32_t qp_state;
	uint32_t cur_qp_state;
	uint32_t path_mtu;
	uint32_t qkey;
	uint32_t rq_psn;
	uint32_t sq_psn;
	uint32_t dest_qp_num;
	uint32_t qp_access_flags;
	struct uodp_ah_attr ah_attr;
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

struct uodp_modify_qp_req {
	uint32_t qpn;
	uint32_t attr_mask;
	struct uodp_qp_attr attr;
};

struct uodp_query_qp_resp {
	struct uodp_qp_attr attr;
	uint32_t max_send_wr;
	uint32_t max_recv_wr;
	uint32_t max_send_sge;
	uint32_t max_recv_sge;
	uint32_t max_inline_data;
	uint32_t sq_sig_all;
};

/* GENERAL: a DEVX-style PRM command; in and out are big-endian mailboxes. */
struct uodp_general_cmd {
	uint32_t inlen;			/* bytes of in[] used */
	uint32_t outlen;		/* bytes of out wanted */
	uint8_t in[256];
};

struct uodp_general_cmd_resp {
	uint8_t out[256];
};

static_assert(sizeof(struct uodp_async_event) == 16, "async event");
static_assert(sizeof(struct uodp_ah_attr) == 32, "ah attr");
static_assert(sizeof(struct uodp_qp_attr) == 76, "qp attr");

#endif /* UODP_ABI_H */
