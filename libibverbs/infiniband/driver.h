/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The libibverbs private provider ABI, IBVERBS_PRIVATE_34 (rdma-core 44).
 *
 * Distributions ship no infiniband/driver.h, so this is our own minimal
 * declaration of what a provider plugin needs: the registration structures,
 * the provider halves of the verbs objects and the library entry points
 * exported under IBVERBS_PRIVATE_34.  Every layout the library reads is
 * checked against the public verbs.h with static assertions below; a
 * libibverbs with another private ABI refuses the plugin at load time
 * (the symbol version does not resolve), so a silent mismatch cannot run.
 */
#ifndef UODP_INFINIBAND_DRIVER_H
#define UODP_INFINIBAND_DRIVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>
#include <rdma/ib_user_verbs.h>

/* ---- device matching and registration ---- */

enum verbs_match_kind {
	VERBS_MATCH_SENTINEL = 0,
	VERBS_MATCH_PCI = 1,
	VERBS_MATCH_MODALIAS = 2,
	VERBS_MATCH_DRIVER_ID = 3,
};

struct verbs_match_ent {
	void *driver_data;
	union {
		const char *modalias;
		uint64_t driver_id;
	} u;
	uint16_t vendor;
	uint16_t device;
	uint8_t kind;
};

/* Opaque: read its files with ibv_read_ibdev_sysfs_file(). */
struct verbs_sysfs_dev;
struct verbs_device;
struct verbs_context;

struct verbs_device_ops {
	const char *name;
	uint32_t match_min_abi_version;
	uint32_t match_max_abi_version;
	const struct verbs_match_ent *match_table;
	const struct verbs_device_ops **static_providers;
	bool (*match_device)(struct verbs_sysfs_dev *sysfs_dev);
	struct verbs_context *(*alloc_context)(struct ibv_device *device,
					       int cmd_fd, void *private_data);
	struct verbs_context *(*import_context)(struct ibv_device *device,
						int cmd_fd);
	struct verbs_device *(*alloc_device)(struct verbs_sysfs_dev *sysfs_dev);
	void (*uninit_device)(struct verbs_device *device);
};

struct verbs_list_node {
	struct verbs_list_node *next, *prev;
};

struct verbs_device {
	struct ibv_device device;	/* must be first */
	const struct verbs_device_ops *ops;
	atomic_int refcount;
	struct verbs_list_node entry;
	struct verbs_sysfs_dev *sysfs;
	uint64_t core_support;
};

/* ---- provider halves of the verbs objects ---- */

enum ibv_mr_type {
	IBV_MR_TYPE_MR = 0,
	IBV_MR_TYPE_NULL_MR,
	IBV_MR_TYPE_IMPORTED_MR,
	IBV_MR_TYPE_DMABUF_MR,
};

struct verbs_mr {
	struct ibv_mr ibv_mr;
	enum ibv_mr_type mr_type;
	int access;
};

struct verbs_xrcd {
	struct ibv_xrcd xrcd;
	uint32_t comp_mask;
	uint32_t handle;
};

struct verbs_srq {
	struct ibv_srq srq;
	enum ibv_srq_type srq_type;
	struct verbs_xrcd *xrcd;
	struct ibv_cq *cq;
	uint32_t srq_num;
};

enum verbs_qp_mask {
	VERBS_QP_XRCD = 1 << 0,
	VERBS_QP_EX = 1 << 1,	/* ibv_qp_to_qp_ex() answers qp_ex */
};

struct verbs_qp {
	union {
		struct ibv_qp qp;
		struct ibv_qp_ex qp_ex;
	};
	uint32_t comp_mask;
	struct verbs_xrcd *xrcd;
};

struct verbs_cq {
	union {
		struct ibv_cq cq;
		struct ibv_cq_ex cq_ex;
	};
};

/* ---- the provider's operations, 76 pointers in this exact order ---- */

/* Entries this provider never fills; only their size and place matter. */
typedef void (*verbs_unused_op)(void);

struct verbs_context_ops {
	int (*advise_mr)(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
			 uint32_t flags, struct ibv_sge *sg_list,
			 uint32_t num_sges);
	verbs_unused_op alloc_dm;
	verbs_unused_op alloc_mw;
	verbs_unused_op alloc_null_mr;
	verbs_unused_op alloc_parent_domain;
	struct ibv_pd *(*alloc_pd)(struct ibv_context *context);
	verbs_unused_op alloc_td;
	void (*async_event)(struct ibv_context *context,
			    struct ibv_async_event *event);
	verbs_unused_op attach_counters_point_flow;
	verbs_unused_op attach_mcast;
	verbs_unused_op bind_mw;
	int (*close_xrcd)(struct ibv_xrcd *xrcd);
	void (*cq_event)(struct ibv_cq *cq);
	struct ibv_ah *(*create_ah)(struct ibv_pd *pd,
				    struct ibv_ah_attr *attr);
	verbs_unused_op create_counters;
	struct ibv_cq *(*create_cq)(struct ibv_context *context, int cqe,
				    struct ibv_comp_channel *channel,
				    int comp_vector);
	struct ibv_cq_ex *(*create_cq_ex)(struct ibv_context *context,
					  struct ibv_cq_init_attr_ex *attr);
	verbs_unused_op create_flow;
	verbs_unused_op create_flow_action_esp;
	struct ibv_qp *(*create_qp)(struct ibv_pd *pd,
				    struct ibv_qp_init_attr *attr);
	struct ibv_qp *(*create_qp_ex)(struct ibv_context *context,
				       struct ibv_qp_init_attr_ex *attr);
	verbs_unused_op create_rwq_ind_table;
	struct ibv_srq *(*create_srq)(struct ibv_pd *pd,
				      struct ibv_srq_init_attr *attr);
	struct ibv_srq *(*create_srq_ex)(struct ibv_context *context,
					 struct ibv_srq_init_attr_ex *attr);
	verbs_unused_op create_wq;
	verbs_unused_op dealloc_mw;
	int (*dealloc_pd)(struct ibv_pd *pd);
	verbs_unused_op dealloc_td;
	int (*dereg_mr)(struct verbs_mr *vmr);
	int (*destroy_ah)(struct ibv_ah *ah);
	verbs_unused_op destroy_counters;
	int (*destroy_cq)(struct ibv_cq *cq);
	verbs_unused_op destroy_flow;
	verbs_unused_op destroy_flow_action;
	int (*destroy_qp)(struct ibv_qp *qp);
	verbs_unused_op destroy_rwq_ind_table;
	int (*destroy_srq)(struct ibv_srq *srq);
	verbs_unused_op destroy_wq;
	verbs_unused_op detach_mcast;
	void (*free_context)(struct ibv_context *context);
	verbs_unused_op free_dm;
	int (*get_srq_num)(struct ibv_srq *srq, uint32_t *srq_num);
	verbs_unused_op import_dm;
	verbs_unused_op import_mr;
	verbs_unused_op import_pd;
	verbs_unused_op modify_cq;
	verbs_unused_op modify_flow_action_esp;
	int (*modify_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			 int attr_mask);
	verbs_unused_op modify_qp_rate_limit;
	int (*modify_srq)(struct ibv_srq *srq, struct ibv_srq_attr *attr,
			  int attr_mask);
	verbs_unused_op modify_wq;
	verbs_unused_op open_qp;
	struct ibv_xrcd *(*open_xrcd)(struct ibv_context *context,
				      struct ibv_xrcd_init_attr *attr);
	int (*poll_cq)(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc);
	int (*post_recv)(struct ibv_qp *qp, struct ibv_recv_wr *wr,
			 struct ibv_recv_wr **bad_wr);
	int (*post_send)(struct ibv_qp *qp, struct ibv_send_wr *wr,
			 struct ibv_send_wr **bad_wr);
	verbs_unused_op post_srq_ops;
	int (*post_srq_recv)(struct ibv_srq *srq, struct ibv_recv_wr *wr,
			     struct ibv_recv_wr **bad_wr);
	int (*query_device_ex)(struct ibv_context *context,
			       const struct ibv_query_device_ex_input *input,
			       struct ibv_device_attr_ex *attr,
			       size_t attr_size);
	verbs_unused_op query_ece;
	int (*query_port)(struct ibv_context *context, uint8_t port_num,
			  struct ibv_port_attr *port_attr);
	int (*query_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			int attr_mask, struct ibv_qp_init_attr *init_attr);
	verbs_unused_op query_qp_data_in_order;
	verbs_unused_op query_rt_values;
	int (*query_srq)(struct ibv_srq *srq, struct ibv_srq_attr *attr);
	verbs_unused_op read_counters;
	verbs_unused_op reg_dm_mr;
	verbs_unused_op reg_dmabuf_mr;
	struct ibv_mr *(*reg_mr)(struct ibv_pd *pd, void *addr, size_t length,
				 uint64_t hca_va, int access);
	int (*req_notify_cq)(struct ibv_cq *cq, int solicited_only);
	verbs_unused_op rereg_mr;
	verbs_unused_op resize_cq;
	verbs_unused_op set_ece;
	verbs_unused_op unimport_dm;
	verbs_unused_op unimport_mr;
	verbs_unused_op unimport_pd;
};

/*
 * Exported as IBVERBS_1.1 but declared only in rdma-core's driver.h: keep
 * [base, base+size) out of children when ibv_fork_init() was called.
 */
int ibv_dontfork_range(void *base, size_t size);
int ibv_dofork_range(void *base, size_t size);

/* ---- library entry points (symbol version IBVERBS_PRIVATE_34) ---- */

/*
 * Write commands libibverbs builds (its kern-abi.h): the header, then the
 * core request, then the driver's data.  The response pointer is filled
 * by ibv_cmd_*.
 */
struct ibv_get_context {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
};

int ibv_cmd_get_context(struct verbs_context *context,
			struct ibv_get_context *cmd, size_t cmd_size,
			struct ib_uverbs_get_context_resp *resp,
			size_t resp_size);

int ibv_cmd_query_device_any(struct ibv_context *context,
			     const struct ibv_query_device_ex_input *input,
			     struct ibv_device_attr_ex *attr, size_t attr_size,
			     struct ib_uverbs_ex_query_device_resp *resp,
			     size_t *resp_size);

struct ibv_query_port {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u8 port_num;
	__u8 reserved[7];
};

int ibv_cmd_query_port(struct ibv_context *context, uint8_t port_num,
		       struct ibv_port_attr *port_attr,
		       struct ibv_query_port *cmd, size_t cmd_size);

struct ibv_alloc_pd {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
};

int ibv_cmd_alloc_pd(struct ibv_context *context, struct ibv_pd *pd,
		     struct ibv_alloc_pd *cmd, size_t cmd_size,
		     struct ib_uverbs_alloc_pd_resp *resp, size_t resp_size);
int ibv_cmd_dealloc_pd(struct ibv_pd *pd);

struct ibv_reg_mr {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 hca_va;
	__u32 pd_handle;
	__u32 access_flags;
};

int ibv_cmd_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
		   uint64_t hca_va, int access, struct verbs_mr *vmr,
		   struct ibv_reg_mr *cmd, size_t cmd_size,
		   struct ib_uverbs_reg_mr_resp *resp, size_t resp_size);
int ibv_cmd_dereg_mr(struct verbs_mr *vmr);

struct ibv_create_cq {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__aligned_u64 user_handle;
	__u32 cqe;
	__u32 comp_vector;
	__s32 comp_channel;
	__u32 reserved;
};

int ibv_cmd_create_cq(struct ibv_context *context, int cqe,
		      struct ibv_comp_channel *channel, int comp_vector,
		      struct ibv_cq *cq, struct ibv_create_cq *cmd,
		      size_t cmd_size, struct ib_uverbs_create_cq_resp *resp,
		      size_t resp_size);
/* Waits until every event the process read of the CQ is acknowledged. */
int ibv_cmd_destroy_cq(struct ibv_cq *cq);

struct ibv_create_qp {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__aligned_u64 user_handle;
	__u32 pd_handle;
	__u32 send_cq_handle;
	__u32 recv_cq_handle;
	__u32 srq_handle;
	__u32 max_send_wr;
	__u32 max_recv_wr;
	__u32 max_send_sge;
	__u32 max_recv_sge;
	__u32 max_inline_data;
	__u8 sq_sig_all;
	__u8 qp_type;
	__u8 is_srq;
	__u8 reserved;
};

int ibv_cmd_create_qp_ex(struct ibv_context *context, struct verbs_qp *qp,
			 struct ibv_qp_init_attr_ex *attr_ex,
			 struct ibv_create_qp *cmd, size_t cmd_size,
			 struct ib_uverbs_create_qp_resp *resp,
			 size_t resp_size);

struct ibv_modify_qp {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_modify_qp core;
};

int ibv_cmd_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr,
		      int attr_mask, struct ibv_modify_qp *cmd,
		      size_t cmd_size);

struct ibv_query_qp {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u32 qp_handle;
	__u32 attr_mask;
};

int ibv_cmd_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *qp_attr,
		     int attr_mask, struct ibv_qp_init_attr *qp_init_attr,
		     struct ibv_query_qp *cmd, size_t cmd_size);
/* Waits until every async event the process read of the QP is acked. */
int ibv_cmd_destroy_qp(struct ibv_qp *qp);

struct ibv_create_xsrq {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__aligned_u64 user_handle;
	__u32 srq_type;
	__u32 pd_handle;
	__u32 max_wr;
	__u32 max_sge;
	__u32 srq_limit;
	__u32 max_num_tags;
	__u32 xrcd_handle;
	__u32 cq_handle;
};

int ibv_cmd_create_srq_ex(struct ibv_context *context, struct verbs_srq *srq,
			  struct ibv_srq_init_attr_ex *attr_ex,
			  struct ibv_create_xsrq *cmd, size_t cmd_size,
			  struct ib_uverbs_create_srq_resp *resp,
			  size_t resp_size);

struct ibv_modify_srq {
	struct ib_uverbs_cmd_hdr hdr;
	__u32 srq_handle;
	__u32 attr_mask;
	__u32 max_wr;
	__u32 srq_limit;
};

int ibv_cmd_modify_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr,
		       int srq_attr_mask, struct ibv_modify_srq *cmd,
		       size_t cmd_size);

struct ibv_query_srq {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u32 srq_handle;
	__u32 reserved;
};

int ibv_cmd_query_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr,
		      struct ibv_query_srq *cmd, size_t cmd_size);
int ibv_cmd_destroy_srq(struct ibv_srq *srq);

struct ibv_open_xrcd {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u32 fd;
	__u32 oflags;
};

int ibv_cmd_open_xrcd(struct ibv_context *context, struct verbs_xrcd *xrcd,
		      int vxrcd_size, struct ibv_xrcd_init_attr *attr,
		      struct ibv_open_xrcd *cmd, size_t cmd_size,
		      struct ib_uverbs_open_xrcd_resp *resp, size_t resp_size);
int ibv_cmd_close_xrcd(struct verbs_xrcd *xrcd);

void verbs_register_driver_34(const struct verbs_device_ops *ops);

void *_verbs_init_and_alloc_context(struct ibv_device *device, int cmd_fd,
				    size_t alloc_size,
				    struct verbs_context *context_offset,
				    uint32_t driver_id);
void verbs_uninit_context(struct verbs_context *context);
void verbs_set_ops(struct verbs_context *vctx,
		   const struct verbs_context_ops *ops);
void verbs_init_cq(struct ibv_cq *cq, struct ibv_context *context,
		   struct ibv_comp_channel *channel, void *cq_context);
int ibv_read_ibdev_sysfs_file(char *buf, size_t size,
			      struct verbs_sysfs_dev *sysfs_dev,
			      const char *fnfmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Allocate the provider context type drv_type whose struct verbs_context
 * member is ctx_member (it must end with struct ibv_context, so it is the
 * provider struct's last member in practice).
 */
#define verbs_init_and_alloc_context(ibdev, cmd_fd, drv_ctx, ctx_member,      \
				     driver_id)                               \
	((typeof(drv_ctx))_verbs_init_and_alloc_context(                      \
		ibdev, cmd_fd, sizeof(*(drv_ctx)),                            \
		&((typeof(drv_ctx))NULL)->ctx_member, driver_id))

static inline struct verbs_device *verbs_get_device(struct ibv_device *dev)
{
	return (struct verbs_device *)dev;
}

static inline struct verbs_mr *verbs_get_mr(struct ibv_mr *mr)
{
	return (struct verbs_mr *)mr;
}

/*
 * IB_UVERBS_CORE_SUPPORT_OPTIONAL_MR_ACCESS (core_support) and
 * RDMA_DRIVER_UNKNOWN come from the public ib_user_ioctl_verbs.h.
 */

/* ---- layout checks against the public header (x86-64, LP64) ---- */

_Static_assert(sizeof(struct verbs_match_ent) == 24, "verbs_match_ent");
_Static_assert(sizeof(struct verbs_device_ops) == 72, "verbs_device_ops");
_Static_assert(offsetof(struct verbs_device, ops) == sizeof(struct ibv_device),
	      "verbs_device.ops follows ibv_device");
_Static_assert(offsetof(struct verbs_device, core_support) ==
		      sizeof(struct ibv_device) + 40,
	      "verbs_device.core_support");
_Static_assert(sizeof(struct verbs_context_ops) == 76 * sizeof(void *),
	      "verbs_context_ops has 76 entries");
_Static_assert(offsetof(struct verbs_context_ops, alloc_pd) == 5 * 8, "ops");
_Static_assert(offsetof(struct verbs_context_ops, free_context) == 39 * 8,
	      "ops");
_Static_assert(offsetof(struct verbs_context_ops, query_device_ex) == 58 * 8,
	      "ops");
_Static_assert(offsetof(struct verbs_context_ops, reg_mr) == 68 * 8, "ops");
_Static_assert(offsetof(struct verbs_mr, mr_type) == sizeof(struct ibv_mr),
	      "verbs_mr");
_Static_assert(sizeof(struct verbs_mr) == sizeof(struct ibv_mr) + 8,
	      "verbs_mr");
_Static_assert(offsetof(struct verbs_qp, comp_mask) ==
		      sizeof(struct ibv_qp_ex),
	      "verbs_qp.comp_mask follows ibv_qp_ex");
_Static_assert(offsetof(struct verbs_qp, qp_ex.qp_base) == 0, "verbs_qp");
_Static_assert(sizeof(struct verbs_xrcd) == sizeof(struct ibv_xrcd) + 8,
	      "verbs_xrcd");
_Static_assert(offsetof(struct verbs_srq, srq_type) == sizeof(struct ibv_srq),
	      "verbs_srq");
_Static_assert(offsetof(struct verbs_context, context) ==
		      sizeof(struct verbs_context) - sizeof(struct ibv_context),
	      "struct ibv_context is the last member of verbs_context");

_Static_assert(sizeof(struct ibv_get_context) == 16, "ibv_get_context");
_Static_assert(sizeof(struct ibv_query_port) == 24, "ibv_query_port");
_Static_assert(sizeof(struct ibv_alloc_pd) == 16, "ibv_alloc_pd");
_Static_assert(sizeof(struct ibv_reg_mr) == 48, "ibv_reg_mr");
_Static_assert(sizeof(struct ibv_create_cq) == 40, "ibv_create_cq");
_Static_assert(sizeof(struct ibv_create_qp) ==
	       sizeof(struct ib_uverbs_cmd_hdr) +
	       offsetof(struct ib_uverbs_create_qp, driver_data),
	       "ibv_create_qp");
_Static_assert(sizeof(struct ibv_modify_qp) == 8 + 112, "ibv_modify_qp");
_Static_assert(sizeof(struct ibv_query_qp) == 24, "ibv_query_qp");
_Static_assert(sizeof(struct ibv_create_xsrq) ==
	       sizeof(struct ib_uverbs_cmd_hdr) +
	       offsetof(struct ib_uverbs_create_xsrq, driver_data),
	       "ibv_create_xsrq");
_Static_assert(sizeof(struct ibv_modify_srq) == 24, "ibv_modify_srq");
_Static_assert(sizeof(struct ibv_query_srq) == 24, "ibv_query_srq");
_Static_assert(sizeof(struct ibv_open_xrcd) == 24, "ibv_open_xrcd");

#endif /* UODP_INFINIBAND_DRIVER_H */
