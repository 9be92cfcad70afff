/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The command fd: what ib_uverbs is in a kernel, served to processes under
 * uodp-run's seccomp filter (supervise.c traps their calls).
 *
 *  supervise.c      listeners, one trapped call, answers and fd installs
 *  uverbs.c         a command fd's life: open, release, fstat, write, ioctl
 *  uverbs_write.c   the write() command decoder (pure, fuzzed)
 *  uverbs_cmd.c     the write commands this device serves
 *  uverbs_ioctl.c   the RDMA_VERBS_IOCTL decoder (pure, fuzzed)
 *  uverbs_device.c  methods of the device and the async event fd
 *  uverbs_destroy.c the DESTROY methods of the core objects
 *  uverbs_create.c  the CREATE methods of CQ, QP and SRQ
 *  uverbs_methods.c DEVX, ADVISE_MR, the doorbell; uverbs_odp.c ODP's
 *  comp_channel.c   completion channels, CQ arming, completion events
 */
#ifndef UODPD_UVERBS_H
#define UODPD_UVERBS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_verbs.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_ioctl_cmds.h>

#include "identity.h"
#include "rdma/uodp-emu-abi.h"
#include "uodpd.h"

/* ---- one trapped system call (supervise.c) ---- */
struct ud_call {
	struct uodpd *d;
	int listener;			/* seccomp notify fd */
	uint32_t listener_id;		/* its number in d->listeners */
	uint64_t id;			/* notification id */
	pid_t pid;			/* the calling thread */
	uid_t uid;			/* who attached its command tree */
	int nr;				/* system call number */
	uint64_t args[6];
	bool answered;
};

/* Answer the call: run it untouched, return val, or fail with -err. */
void ud_call_continue(struct ud_call *c);
void ud_call_return(struct ud_call *c, int64_t val);
void ud_call_fail(struct ud_call *c, int neg_errno);
/*
 * Install fd into the caller: at newfd (>= 0) or the lowest free number,
 * close-on-exec if asked.  With send the call returns the number and is
 * answered.  The number, or -errno.
 */
int ud_call_install_fd(struct ud_call *c, int fd, int newfd, bool cloexec,
		       bool send);
/*
 * A call kept waiting (a blocking read of events): answered later, when
 * what it waits for comes, by its listener's number, never its fd (the
 * listener may be gone and its number reused by then).
 */
struct ud_deferred {
	uint32_t listener_id;
	uint64_t notif_id;
};
/* The call is answered later: returning from the handler leaves it be. */
void ud_call_defer(struct ud_call *c);
/* Answer it: 0, or -ENOENT when the caller is gone or was interrupted. */
int ud_call_answer_deferred(struct uodpd *d, const struct ud_deferred *w,
			    int64_t val, int neg_errno);
bool ud_call_deferred_valid(struct uodpd *d, const struct ud_deferred *w);
/* Whether the caller is still waiting for this answer (pid reuse). */
bool ud_call_valid(const struct ud_call *c);
/* The caller's thread group id, or -errno. */
pid_t ud_call_tgid(const struct ud_call *c);
/*
 * Whether the calling thread has capability cap (CAP_*) in the device's
 * user namespace (uodpd's own), as ns_capable() asks.
 */
bool ud_call_capable(const struct ud_call *c, int cap);

/* Who the caller is, as an open() of a device node records it (f_cred). */
struct ud_creds {
	pid_t tgid;
	uid_t euid;			/* as uodpd's user namespace maps it */
	unsigned long long cap_eff;	/* CapEff */
	bool our_user_ns;		/* so its capabilities are ours */
	bool net_admin;			/* CAP_NET_ADMIN, in uodpd's namespace */
	pid_t ns_tgid;			/* its tgid in its own pid namespace */
};

/* The caller's credentials from /proc: 0 or -errno. */
int ud_call_creds(const struct ud_call *c, struct ud_creds *cr);
/*
 * What the caller may pin into ctx's process (pin.c): its RLIMIT_MEMLOCK
 * in pages, or UD_PIN_UNLIMITED if [addr, addr+length) would pass it and
 * the caller has CAP_IPC_LOCK, as ib_umem_get asks rlimit() and
 * capable() of current.  0, or -ESRCH, -EPERM.
 */
int ud_pin_caller_limit(const struct ud_call *c, struct uodpd *d,
			const struct ud_ctx *ctx, uint64_t addr,
			uint64_t length, uint64_t *limit_pages);

/* Attach a listener handed over the service socket (owner uid). */
int ud_supervise_attach(struct uodpd *d, int fd, uid_t uid);
void ud_supervise_ready(struct uodpd *d, uint32_t id, uint32_t events);
void ud_supervise_fini(struct uodpd *d);

/* ---- command fds (uverbs.c) ---- */
struct ud_ufile {
	uint32_t id;
	struct ud_device *dev;
	dev_t st_dev;			/* the memfd behind the fd */
	ino_t st_ino;
	int wd;				/* inotify: opens and closes */
	unsigned int opens;		/* open files on the memfd, ours excepted */
	bool unsure;			/* opens lost with an inotify overflow */
	bool held;			/* uverbs_holders.c's scan found it */
	uid_t uid;			/* the opener's euid (its f_cred) */
	bool net_admin;			/* the opener had CAP_NET_ADMIN */
	struct list_node hash_link;
	struct stat node;		/* what fstat answers: the device node */
	struct uodp_shared_page *page;	/* offset 0 of the file: doorbells */
	struct ud_ctx *ctx;		/* after GET_CONTEXT */
	struct list_head channels;
	uint32_t fds;			/* the daemon's fds it holds (limits.c) */
};

/* The command fd file on this memfd inode, or NULL. */
struct ud_ufile *ud_uverbs_by_inode(struct uodpd *d, dev_t dev, ino_t ino);
/* Release f: its context, its channels, the device's view of it. */
void ud_uverbs_release(struct uodpd *d, struct ud_ufile *f);
/*
 * uverbs_holders.c: after inotify lost events, release every file no
 * process holds and mark the others unsure; recheck the unsure ones.
 */
void ud_uverbs_recount(struct uodpd *d);
void ud_uverbs_recheck(struct uodpd *d);

int ud_uverbs_init(struct uodpd *d);
void ud_uverbs_fini(struct uodpd *d);
/* open of /dev/infiniband/uverbs<index> */
void ud_uverbs_open(struct ud_call *c, uint32_t index, int flags);
void ud_uverbs_write(struct ud_call *c, struct ud_ufile *f);
void ud_uverbs_ioctl(struct ud_call *c, struct ud_ufile *f);
/* Answer an fstat-family call with node's stat (or statx) at buf. */
void ud_answer_fstat(struct ud_call *c, const struct stat *node, uint64_t buf,
		     bool want_statx);
/*
 * The highest command fd number free in the caller and below its
 * RLIMIT_NOFILE, or -EMFILE: where the device's fds go, so that the
 * filter traps calls on them.
 */
int ud_free_cmdfd_number(pid_t pid, pid_t tgid);
/*
 * The ioctls the VFS answers itself for every file (FIOCLEX, FIONCLEX,
 * FIONBIO, FIOASYNC): trapped ones run untouched.
 */
bool ud_vfs_ioctl(uint32_t cmd);
/* Releases read from the inotify fd. */
void ud_uverbs_released(struct uodpd *d);
/* The context's command fd is gone, or the context is (ctl_context.c). */
void ud_uverbs_ctx_gone(struct ud_ctx *ctx);

/* ---- write() commands (uverbs_write.c, uverbs_cmd.c) ---- */
struct ud_write_cmd;
typedef int (*ud_write_fn)(struct ud_call *c, struct ud_ufile *f,
			   const struct ud_write_cmd *cmd);

struct ud_write_desc {
	ud_write_fn fn;
	uint16_t req_size;		/* core request after the header */
	uint16_t resp_size;		/* core response; 0: none */
	bool needs_context;		/* only after GET_CONTEXT */
};

#define UD_WRITE_MAX_CMD 64		/* IB_USER_VERBS_CMD_* below this */
#define UD_WRITE_MAX_LEN 4096		/* bytes of one command */

struct ud_write_cmd {
	uint32_t command;
	const struct ud_write_desc *desc;
	const uint8_t *core;		/* desc->req_size bytes */
	const uint8_t *udata;		/* driver data after the core */
	uint32_t udata_len;
	uint64_t response;		/* caller's response buffer, or 0 */
	uint32_t response_len;		/* its size */
	uint32_t resp_core_len;		/* room for the core; driver after */
	uint64_t drv_response;		/* room for the driver's response */
	uint32_t drv_response_len;	/* (after the core, or UHW_OUT) */
};

/* The legacy commands, and the extended ones (their own numbers). */
extern const struct ud_write_desc ud_write_cmds[UD_WRITE_MAX_CMD];
extern const struct ud_write_desc ud_write_ex_cmds[UD_WRITE_MAX_CMD];

/*
 * Decode one write() of len bytes at buf against the tables; 0 and *cmd,
 * or -EINVAL (framing), -EOPNOTSUPP (unknown command), -ENOSPC (core
 * request or response room too small).  Pure: no I/O.
 */
int ud_write_decode(const struct ud_write_desc *table,
		    const struct ud_write_desc *ex_table, const void *buf,
		    size_t len, struct ud_write_cmd *cmd);
/*
 * The same for a command that UVERBS_METHOD_INVOKE_WRITE carries, whose
 * core request is core_len bytes and whose core response has room
 * out_len: -EINVAL (command bits), -EOPNOTSUPP, -ENOSPC, as
 * ib_uverbs_handler_UVERBS_METHOD_INVOKE_WRITE.  Sets command and desc.
 */
int ud_write_decode_invoke(const struct ud_write_desc *table,
			   const struct ud_write_desc *ex_table,
			   uint64_t command, size_t core_len, size_t out_len,
			   struct ud_write_cmd *cmd);

/*
 * Write the core response (cut to the room the caller has for it, which
 * the decoder checked covers the command's core; the rest of the room
 * zeroed) and the driver data into its room (truncated); 0 or -EFAULT.
 */
int ud_write_respond(struct ud_call *c, const struct ud_write_cmd *cmd,
		     const void *core, size_t core_len, const void *drv,
		     size_t drv_len);

/* uverbs_cmd.c: what GET_CONTEXT makes, by write() or by ioctl() */
#define UD_NUM_COMP_VECTORS 1
/*
 * A new context on the command fd (one per file: -EINVAL if it has one),
 * bound to it; the async event pipe is made, not installed.  0 or -errno.
 */
int ud_uverbs_new_context(struct ud_call *c, struct ud_ufile *f);
/*
 * mlx5's driver response of GET_CONTEXT and QUERY_CONTEXT, and the
 * emulator's tail, for a caller with len bytes of room for mlx5's part.
 */
void ud_uverbs_ucontext_resp(const struct uodpd *d,
			     const struct ud_device *dev,
			     struct uodp_alloc_ucontext_resp *resp, size_t len);

/* uverbs_objs.c: helpers of the object commands */
struct ud_cmd;
/*
 * A command's driver data, as ib_udata has it: what the caller sent after
 * the core request (write) or in UVERBS_ATTR_UHW_IN (ioctl).
 */
struct ud_udata {
	const uint8_t *in;
	uint32_t inlen;
};

/* The write command's driver data. */
static inline struct ud_udata ud_write_udata(const struct ud_write_cmd *cmd)
{
	return (struct ud_udata){ .in = cmd->udata, .inlen = cmd->udata_len };
}

/* The first len bytes of the driver data, or -EINVAL if shorter. */
int ud_uverbs_udata(const struct ud_udata *u, void *dst, size_t len);
/* Run one of the device's operations (ctl_*.c) for the file's context. */
int ud_uverbs_run(struct ud_ufile *f, struct uodpd *d,
		  int (*fn)(struct ud_cmd *), const void *req, uint32_t len,
		  void *resp, int fd);
/* The same for the destroy-by-handle operations. */
int ud_uverbs_destroy(struct ud_ufile *f, struct uodpd *d,
		      int (*fn)(struct ud_cmd *), uint32_t handle, void *resp);
/*
 * Answer a create; if the answer cannot be written, nobody will ever know
 * the handle, so the object is destroyed again.
 */
int ud_uverbs_respond_created(struct ud_call *c, struct ud_ufile *f,
			      const struct ud_write_cmd *cmd,
			      const void *core, size_t core_len,
			      const void *drv, size_t drv_len,
			      int (*destroy)(struct ud_cmd *), uint32_t handle);
/* The caller's fd number as a file of ours (emulator only), or -errno. */
int ud_uverbs_fetch_fd(struct ud_call *c, int number);
/*
 * A create command's queue memory: mlx5's buf_addr and db_addr, or the
 * emulator's memfd reference at ref_off in the driver data when the device
 * offers it and the command carries one (*fd then holds the memfd).
 */
int ud_uverbs_queue_mem(struct ud_call *c, const struct ud_udata *u,
			size_t ref_off, uint64_t buf_addr, uint64_t db_addr,
			struct ud_queue_mem *mem, int *fd);

/*
 * The creates both forms share (uverbs_objs.c, uverbs_qp.c): the core's
 * request however it came, mlx5's driver data and the emulator's queue
 * memory reference turned into the device's operation, and what the
 * answers need.  The object exists on success; the caller answers, and
 * destroys it again if the answer cannot be written.
 */
struct ud_cq_create {
	uint64_t user_handle;
	uint32_t cqe;
	int32_t comp_channel;		/* the caller's fd number, or -1 */
	uint32_t comp_vector;
	uint32_t flags;			/* IB_UVERBS_CQ_FLAGS_* (ioctl only) */
};

struct ud_cq_created {
	uint32_t cqn;			/* also the handle */
	uint32_t cqe;			/* what the CQ holds */
	struct mlx5_ib_create_cq_resp drv;
};

int ud_uverbs_create_cq(struct ud_call *c, struct ud_ufile *f,
			const struct ud_cq_create *req,
			const struct ud_udata *u, struct ud_cq_created *out);

struct ud_qp_create {
	uint64_t user_handle;
	uint32_t qp_type;		/* enum ibv_qp_type */
	uint32_t pdn;			/* handles, or UD_NO_HANDLE for none */
	uint32_t xrcdn;			/* XRC_RECV only */
	uint32_t send_cqn, recv_cqn, srqn;
	struct ib_uverbs_qp_cap cap;
	bool sq_sig_all;
};

struct ud_qp_created {
	uint32_t qpn;			/* also the handle */
	struct ib_uverbs_qp_cap cap;	/* what the QP has */
	struct mlx5_ib_create_qp_resp drv;
};

int ud_uverbs_create_qp(struct ud_call *c, struct ud_ufile *f,
			const struct ud_qp_create *req,
			const struct ud_udata *u, struct ud_qp_created *out);

/* SRQs: ud_create_srq_req with the core's fields, and its shape asked. */
struct ud_srq_created {
	uint32_t srqn;			/* also the handle */
	uint32_t max_wr, max_sge;	/* what the SRQ has */
	struct mlx5_ib_create_srq_resp drv;
};

struct ud_create_srq_req;
int ud_uverbs_create_srq(struct ud_call *c, struct ud_ufile *f,
			 const struct ud_udata *u, uint32_t max_wr,
			 uint32_t max_sge, struct ud_create_srq_req *k,
			 struct ud_srq_created *out);

/* The port's attributes as QUERY_PORT answers them. */
void ud_uverbs_port_resp(const struct ud_device *dev,
			 struct ib_uverbs_query_port_resp *resp);

/* uverbs_objs.c, uverbs_qp.c: the object commands */
int ud_wcmd_query_port(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd);
int ud_wcmd_alloc_pd(struct ud_call *c, struct ud_ufile *f,
		     const struct ud_write_cmd *cmd);
int ud_wcmd_dealloc_pd(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd);
int ud_wcmd_reg_mr(struct ud_call *c, struct ud_ufile *f,
		   const struct ud_write_cmd *cmd);
int ud_wcmd_dereg_mr(struct ud_call *c, struct ud_ufile *f,
		     const struct ud_write_cmd *cmd);
int ud_wcmd_create_cq(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_write_cmd *cmd);
int ud_wcmd_destroy_cq(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd);
int ud_wcmd_create_qp(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_write_cmd *cmd);
int ud_wcmd_modify_qp(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_write_cmd *cmd);
int ud_wcmd_query_qp(struct ud_call *c, struct ud_ufile *f,
		     const struct ud_write_cmd *cmd);
int ud_wcmd_destroy_qp(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd);
int ud_wcmd_create_srq(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd);
int ud_wcmd_create_xsrq(struct ud_call *c, struct ud_ufile *f,
			const struct ud_write_cmd *cmd);
int ud_wcmd_modify_srq(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd);
int ud_wcmd_query_srq(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_write_cmd *cmd);
int ud_wcmd_destroy_srq(struct ud_call *c, struct ud_ufile *f,
			const struct ud_write_cmd *cmd);
int ud_wcmd_open_xrcd(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_write_cmd *cmd);
int ud_wcmd_close_xrcd(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd);

/* ---- ioctl() methods (uverbs_ioctl.c, uverbs_methods.c) ---- */
enum ud_attr_type {
	UD_ATTR_PTR_IN = 1,		/* inline when len <= 8 */
	UD_ATTR_PTR_OUT,
	UD_ATTR_IDR,			/* an object handle */
	UD_ATTR_FD,			/* an fd of the caller */
	UD_ATTR_NEW_FD,			/* an fd the method installs */
	UD_ATTR_IDR_NEW,		/* the handle of the object made */
};

struct ud_attr_spec {
	uint16_t id;
	uint8_t type;			/* enum ud_attr_type */
	bool mandatory;
	/*
	 * Pointers: their lengths.  IDR and FD attributes have none, and
	 * min_len names the UVERBS_OBJECT_* the handle or fd must be of this
	 * file, looked up before the method runs (ENOENT, EBADF) as the
	 * kernel's attribute processing does; 0: the method looks.
	 */
	uint16_t min_len, max_len;
};

/* The object an IDR or FD attribute's spec names (see above), or 0. */
static inline uint16_t ud_attr_spec_obj(const struct ud_attr_spec *s)
{
	return s->type == UD_ATTR_IDR || s->type == UD_ATTR_FD ? s->min_len : 0;
}

struct ud_ioctl_cmd;
typedef int (*ud_ioctl_fn)(struct ud_call *c, struct ud_ufile *f,
			   const struct ud_ioctl_cmd *cmd);

struct ud_ioctl_desc {
	uint16_t object;
	uint16_t method;
	ud_ioctl_fn fn;
	const struct ud_attr_spec *attrs;
	unsigned int nattrs;
	bool needs_context;
};

#define UD_IOCTL_MAX_ATTRS 20		/* per method */
#define UD_IOCTL_MAX_LEN (sizeof(struct ib_uverbs_ioctl_hdr) + \
			  64 * sizeof(struct ib_uverbs_attr))

struct ud_ioctl_attr {
	bool present;
	unsigned int index;		/* in the caller's array */
	uint16_t flags;			/* as the caller set them */
	uint16_t len;
	uint64_t data;			/* inline bytes, pointer, handle, fd */
};

struct ud_ioctl_cmd {
	const struct ud_ioctl_desc *desc;
	unsigned int num_attrs;
	uint64_t hdr_addr;		/* the caller's header */
	struct ud_ioctl_attr attrs[UD_IOCTL_MAX_ATTRS];	/* by spec */
};

/*
 * A table entry: a method of obj and its attribute specs, for a file with
 * a context (-EINVAL before GET_CONTEXT) or for any file (NOCTX).
 */
#define UD_IOCTL_METHOD_ENTRY(obj, meth, handler, specs, ctx)		\
	{								\
		.object = obj, .method = meth, .fn = handler,		\
		.attrs = specs,						\
		.nattrs = sizeof(specs) / sizeof(specs[0]) +		\
			  0 * sizeof(char[sizeof(specs) / sizeof(specs[0]) \
					 <= UD_IOCTL_MAX_ATTRS ? 1 : -1]), \
		.needs_context = ctx,					\
	}
#define UD_IOCTL_METHOD(obj, meth, handler, specs)			\
	UD_IOCTL_METHOD_ENTRY(obj, meth, handler, specs, true)
#define UD_IOCTL_METHOD_NOCTX(obj, meth, handler, specs)		\
	UD_IOCTL_METHOD_ENTRY(obj, meth, handler, specs, false)

/* Attribute specs as the kernel's UVERBS_ATTR_* declare them. */
#define UD_PTR_MAX 0xffff		/* UVERBS_ATTR_MIN_SIZE: no limit */
/* UVERBS_ATTR_CONST_IN: a u64, inline. */
#define UD_ATTR_CONST(id, mand)						\
	{ id, UD_ATTR_PTR_IN, mand, sizeof(uint64_t), sizeof(uint64_t) }
/* UVERBS_ATTR_FLAGS_IN: a u32 or a u64, inline. */
#define UD_ATTR_FLAGS(id, mand)						\
	{ id, UD_ATTR_PTR_IN, mand, sizeof(uint32_t), sizeof(uint64_t) }
/* UVERBS_ATTR_TYPE(type) of an output: exactly the type. */
#define UD_ATTR_OUT_TYPE(id, type, mand)				\
	{ id, UD_ATTR_PTR_OUT, mand, sizeof(type), sizeof(type) }
/* UVERBS_ATTR_STRUCT(type, last) of an output: at least up to last. */
#define UD_ATTR_OUT_STRUCT(id, type, last, mand)			\
	{ id, UD_ATTR_PTR_OUT, mand,					\
	  offsetof(type, last) + sizeof(((type *)0)->last), UD_PTR_MAX }
/* UVERBS_ATTR_TYPE(type) of an input: exactly the type. */
#define UD_ATTR_IN_TYPE(id, type, mand)					\
	{ id, UD_ATTR_PTR_IN, mand, sizeof(type), sizeof(type) }
/*
 * UVERBS_ATTR_STRUCT(type, last) of an input: at least up to last, any
 * length, what is beyond the type zero (ud_ioctl_read_struct checks).
 */
#define UD_ATTR_IN_STRUCT(id, type, last, mand)				\
	{ id, UD_ATTR_PTR_IN, mand,					\
	  offsetof(type, last) + sizeof(((type *)0)->last), UD_PTR_MAX }
/* UVERBS_ATTR_IDR(id, obj, UVERBS_ACCESS_NEW, UA_MANDATORY). */
#define UD_ATTR_NEW_OBJ(id) { id, UD_ATTR_IDR_NEW, true, 0, 0 }
/* UVERBS_ATTR_IDR(id, obj, UVERBS_ACCESS_READ): one of this file's. */
#define UD_ATTR_IDR_OF(id, object, mand)				\
	{ id, UD_ATTR_IDR, mand, object, 0 }
/* UVERBS_ATTR_FD(id, obj, UVERBS_ACCESS_READ): an fd of this file's. */
#define UD_ATTR_FD_OF(id, object, mand)					\
	{ id, UD_ATTR_FD, mand, object, 0 }
/* UVERBS_ATTR_UHW(): the driver's data in and out. */
#define UD_ATTR_UHW_IN(max)						\
	{ UVERBS_ATTR_UHW_IN, UD_ATTR_PTR_IN, false, 0, max }
#define UD_ATTR_UHW_OUT						\
	{ UVERBS_ATTR_UHW_OUT, UD_ATTR_PTR_OUT, false, 0, UD_PTR_MAX }

/* The method tables, one an object family; uverbs.c looks in each. */
extern const struct ud_ioctl_desc ud_ioctl_methods[];
extern const unsigned int ud_ioctl_nmethods;

/*
 * Decode a header and its attributes (len bytes at buf) against table;
 * 0 and *cmd, or -EINVAL, -EPROTONOSUPPORT (unknown method or mandatory
 * attribute: libibverbs then falls back to write()).  Pure: no I/O.
 */
int ud_ioctl_decode(const struct ud_ioctl_desc *table, unsigned int ntable,
		    const void *buf, size_t len, struct ud_ioctl_cmd *cmd);
/* The attribute id of the command, NULL if absent. */
const struct ud_ioctl_attr *ud_ioctl_attr(const struct ud_ioctl_cmd *cmd,
					  uint16_t id);
/* Whether table has the method. */
bool ud_ioctl_has(const struct ud_ioctl_desc *table, unsigned int ntable,
		  uint16_t object, uint16_t method);

/* The ODP methods (uverbs_odp.c): a table of their own. */
extern const struct ud_ioctl_desc ud_odp_methods[];
extern const unsigned int ud_odp_nmethods;
/* UVERBS_OBJECT_DEVICE and ASYNC_EVENT (uverbs_device.c). */
extern const struct ud_ioctl_desc ud_device_methods[];
extern const unsigned int ud_device_nmethods;
/* The DESTROY methods of PD, MR, XRCD, CQ, QP, SRQ (uverbs_destroy.c). */
extern const struct ud_ioctl_desc ud_destroy_methods[];
extern const unsigned int ud_destroy_nmethods;
/* The CREATE methods of CQ, QP and SRQ (uverbs_create.c). */
extern const struct ud_ioctl_desc ud_create_methods[];
extern const unsigned int ud_create_nmethods;

/* uverbs_methods.c: attributes in the caller's memory. */
/* A PTR_IN's bytes (inline up to 8), exactly a->len of them. */
int ud_ioctl_read_in(struct ud_call *c, const struct ud_ioctl_attr *a,
		     void *dst);
/* Write a PTR_OUT (cut to its length) and mark it valid. */
int ud_ioctl_write_out(struct ud_call *c, const struct ud_ioctl_cmd *cmd,
		       const struct ud_ioctl_attr *a, const void *src,
		       size_t len);
/* A new object's handle or fd, into the attribute's data. */
int ud_ioctl_set_data(struct ud_call *c, const struct ud_ioctl_cmd *cmd,
		      const struct ud_ioctl_attr *a, uint64_t value);
/*
 * A NEW_FD attribute: a copy of our fd installed in the caller
 * (close-on-exec), its number in the attribute's data; -EINVAL if fd < 0.
 */
int ud_ioctl_install_fd(struct ud_call *c, const struct ud_ioctl_cmd *cmd,
			const struct ud_ioctl_attr *a, int fd);
/*
 * As uverbs_copy_to_struct_or_zero: a PTR_OUT gets len bytes of src (cut
 * to its length), zeros after them, and VALID_OUTPUT.
 */
int ud_ioctl_write_struct(struct ud_call *c, const struct ud_ioctl_cmd *cmd,
			  const struct ud_ioctl_attr *a, const void *src,
			  size_t len);
/*
 * As uverbs_get_const: the value of the CONST_IN attribute id; -EINVAL
 * above max, -ENOENT when absent.
 */
int ud_ioctl_get_const(const struct ud_ioctl_cmd *cmd, uint16_t id,
		       uint64_t max, uint64_t *out);
/*
 * As uverbs_copy_from_or_zero of a UVERBS_ATTR_STRUCT input: size bytes
 * into dst (a shorter input zero-filled); an input longer than size must
 * be zero beyond it (-EOPNOTSUPP).  -EFAULT for an unreadable pointer.
 */
int ud_ioctl_read_struct(struct ud_call *c, const struct ud_ioctl_attr *a,
			 void *dst, size_t size);
/*
 * The IDR and FD attributes whose spec names an object: each must be one
 * of this file's (-ENOENT for a handle, -EBADF for an fd), in the order
 * the caller gave them, as the kernel looks them up.
 */
int ud_ioctl_check_objects(struct ud_call *c, struct ud_ufile *f,
			   const struct ud_ioctl_cmd *cmd);
/* As uverbs_get_flags32/64: absent is 0, a bit outside allowed -EINVAL. */
int ud_ioctl_get_flags(const struct ud_ioctl_cmd *cmd, uint16_t id,
		       uint64_t allowed, uint64_t *out);

/* ---- completion channels (comp_channel.c) ---- */
/* A pipe of records the device writes and the process reads. */
enum ud_channel_kind {
	UD_CHANNEL_COMP = 1,		/* a completion channel */
	UD_CHANNEL_DEVX_EVENT,		/* a DEVX event channel */
};

struct ud_channel {
	uint32_t id;
	enum ud_channel_kind kind;
	struct ud_ufile *ufile;
	struct list_node link;		/* the ufile's channels */
	struct list_head cqs;		/* CQs bound to it */
	int wfd;			/* write end, non-blocking */
	int drain_fd;			/* our own reader, non-blocking */
	dev_t st_dev;			/* the pipe, to find it by fd */
	ino_t st_ino;
};

int ud_cmd_create_comp_channel(struct ud_call *c, struct ud_ufile *f,
			       const struct ud_write_cmd *cmd);
/* A channel of kind installed in the caller (close-on-exec): its fd. */
int ud_channel_create(struct ud_call *c, struct ud_ufile *f,
		      enum ud_channel_kind kind, struct ud_channel **out);
void ud_channel_destroy(struct uodpd *d, struct ud_channel *ch);
/*
 * epoll on channel id's write end: a completion channel has room again
 * (write what waited for it), an event channel lost its reader (free it).
 */
void ud_channel_ready(struct uodpd *d, uint32_t id, uint32_t events);
/* The completion channel behind fd in process pid, if it is ctx's. */
struct ud_channel *ud_channel_lookup(struct ud_ctx *ctx, pid_t pid, int fd);
/* The channel of kind behind fd in process pid, if it is f's. */
struct ud_channel *ud_channel_find(struct ud_ufile *f, pid_t pid, int fd,
				   enum ud_channel_kind kind);
void ud_channel_bind_cq(struct ud_channel *ch, struct ud_cq *cq);
/* A second, non-blocking reader of the pipe (or file) behind fd. */
int ud_reopen_nonblock(int fd);
/*
 * Take the unread records (of rec_size bytes, starting with a u64 element)
 * of element out of a pipe, through our reader drain_fd; the others go
 * back in order through wfd.  Returns how many were taken.
 */
uint32_t ud_pipe_take_back(int drain_fd, int wfd, size_t rec_size,
			   uint64_t element);
/*
 * Unbind a CQ that goes away: its unread events are taken out of the
 * channel; returns the events the process read (comp_events_reported).
 */
uint32_t ud_channel_unbind_cq(struct ud_cq *cq);
/*
 * Look at the arm doorbell record (a new arm?); after a CQE push
 * (pushed), fire if armed for it; write events that waited for room.
 */
void ud_cq_check_arm(struct ud_cq *cq, bool pushed, bool solicited_cqe);
/* Arms rung on every CQ of ctx (its doorbell eventfd rang). */
void ud_ctx_check_arms(struct ud_ctx *ctx);

#endif /* UODPD_UVERBS_H */
