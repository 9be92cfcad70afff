/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * uodpd: the emulated mlx5-class HCA.  Object model shared by the control
 * path (ctl_*.c: socket, contexts, commands, teardown), the memory layer
 * (mem.c: MRs, translation tables, process_vm access) and the execution
 * engine (engine_*.c: WQE execution, transports, CQEs).
 *
 * The daemon is one thread: control commands run between datapath steps, so
 * objects never change under the engine.  Objects refer to each other by
 * device number and are looked up on every use, so a destroyed peer is simply
 * not found (no dangling pointers between contexts).
 */
#ifndef UODPD_H
#define UODPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "list.h"
#include "idr.h"
#include "cm_wait.h"
#include "timer.h"
#include "engine_types.h"	/* struct ud_req_state: the engine's per-QP progress */
#include "rdma/uodp-emu-abi.h"
#include "ctl_args.h"

/* Elements of an array (not of a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define UODPD_MAX_DEVICES 16
#define UODPD_GID_TBL_LEN 16
#define UODPD_PAGE_SHIFT 12
#define UODPD_PAGE_SIZE (1ull << UODPD_PAGE_SHIFT)
/* The device's local_ca_ack_delay (4.096 us * 2^16); the CM times by it. */
#define UODPD_LOCAL_CA_ACK_DELAY 16
#define UD_PIN_HASH 64			/* pinned-page accounts' buckets */

struct ud_ctx;
struct ud_odp_mr;
struct ud_odp_ctx;
struct ud_odp_dev;
struct ud_ufile;
struct ud_channel;
struct ud_pin_acct;

/*
 * A view of queue memory as the device reaches it: into the sealed memfd a
 * provider shared (the emulator's queue memory, mapped here), or the
 * provider's own memory, as mlx5_ib takes it (buf_addr, db_addr), reached
 * with process_vm_readv/writev where a device would DMA into the pages
 * ib_umem_get pinned.  qmem.c.
 */
struct ud_qbuf {
	uint8_t *local;			/* in the memfd mapping, or NULL */
	uint64_t pva;			/* else: the address in pid */
	uint64_t len;
	pid_t pid;
};

/* A queue's memory: its ring and its doorbell record. */
struct ud_qmem {
	void *map;			/* the memfd mapping, or NULL */
	size_t map_size;
	struct ud_qbuf ring;
	struct ud_qbuf db;
};

struct ud_gid {
	uint8_t raw[16];
	uint32_t type;			/* 0 IB/RoCE v1, 1 RoCE v2 */
	uint32_t ndev_ifindex;		/* its netdev, 0 if none */
	bool valid;
};

/*
 * The objects a device counts (limits.c): each is bounded device-wide by
 * the advertised max_* and per context by a share of it, so that one
 * context cannot take the device (or the daemon's memory maps: a queue
 * in a memfd is one mapping) from the others.  AHs are not here: as in
 * libmlx5 the provider builds them in its own memory, the device has none.
 */
enum ud_res {
	UD_RES_PD,
	UD_RES_MR,
	UD_RES_CQ,
	UD_RES_QP,
	UD_RES_SRQ,
	UD_RES_QUEUE,		/* CQs, QPs and SRQs: a memfd mapping each */
	UD_RES_NR,
};

struct ud_device {
	uint32_t index;
	char name[UD_IBDEV_NAME_MAX];
	char netdev[16];		/* IF_NAMESIZE: whose addresses its GIDs are */
	struct ud_device_attr attr;
	struct ud_port_attr port;
	struct ud_gid gids[UODPD_GID_TBL_LEN];
	uint32_t res_used[UD_RES_NR];	/* objects of all contexts */
	uint32_t res_max[UD_RES_NR];	/* of all contexts: max_* */
	uint32_t res_ctx_max[UD_RES_NR];	/* one context's share */
	uint32_t res_share;		/* percent */
};

struct ud_pd {
	uint32_t pdn;
	struct ud_ctx *ctx;
	struct list_node ctx_link;
	uint32_t refs;			/* MRs, SRQs, QPs using it */
};

/*
 * A memory region.  A pinned MR is present everywhere from registration
 * and needs no table (its cost is O(1) in its size: ud_mr_check asks
 * nothing per page); an ODP MR has odp_mr.c's translation table, whose
 * pages start absent and fault.
 */
struct ud_mr {
	uint32_t key;			/* lkey == rkey */
	uint32_t pdn;
	struct ud_ctx *ctx;
	struct list_node ctx_link;
	uint64_t iova;			/* keys address [iova, iova+length) */
	uint64_t addr;			/* process VA backing iova */
	uint64_t length;
	uint32_t access;		/* enum ibv_access_flags */
	bool odp;
	bool implicit;
	uint64_t npages;
	struct ud_pin_acct *pin;	/* pinned: its process's account */
	struct ud_odp_mr *odp_tbl;	/* ODP MRs: 2-bit entries (odp_priv.h) */
};

struct ud_cq {
	uint32_t cqn;
	struct ud_ctx *ctx;
	struct list_node ctx_link;
	uint64_t user_handle;
	struct ud_qmem mem;		/* ring: cqe_cnt * 64 bytes; db: [0]
					 * consumer index, [1] arm */
	uint32_t cqe_cnt;
	uint32_t pi;			/* producer counter */
	bool overrun;
	uint32_t refs;			/* QPs/SRQs using it */
	uint32_t async_events;		/* written for it */
	/* completion events (comp_channel.c) */
	struct ud_channel *channel;	/* NULL: no completion channel */
	struct list_node channel_link;	/* the channel's CQs */
	uint32_t comp_vector;
	uint32_t arm_seen;		/* arm doorbell record last acted on */
	bool armed;
	bool arm_solicited;		/* solicited and error CQEs only */
	uint32_t events_pending;	/* fired while the channel was full */
	uint32_t comp_events;		/* completion events written */
};

struct ud_xrcd {
	uint32_t xrcdn;
	uint32_t refs;			/* contexts that opened it */
	uint32_t users;			/* XRC SRQs and XRC_RECV QPs in it */
	dev_t dev;			/* inode it was opened through, if any */
	ino_t ino;
	bool has_inode;
	struct list_node link;		/* daemon xrcd list */
};

/* A queue stalled on a page fault until userspace resumes it (odp.h). */
struct ud_fault_ctx {
	bool stalled;
	uint32_t token;			/* device-issued, 24 bits */
	uint8_t type;			/* enum mlx5_wqe_pfault_type */
	uint8_t subtype;		/* enum mlx5_pfault_subtype */
	uint32_t wq_num;
	uint32_t requester_qpn;		/* responder faults: who waits (RNR) */
};

struct ud_srq {
	uint32_t srqn;
	struct ud_ctx *ctx;
	struct list_node ctx_link;
	uint64_t user_handle;
	uint32_t type;			/* enum ibv_srq_type */
	uint32_t pdn;
	uint32_t cqn;			/* XRC */
	uint32_t xrcdn;			/* XRC */
	struct ud_qmem mem;		/* db[0]: posted WQE counter */
	uint32_t wqe_cnt;
	uint32_t wqe_shift;
	uint32_t max_sge;
	uint32_t srq_limit;		/* armed when non-zero */
	uint16_t hw_head;		/* next WQE index to consume */
	uint32_t consumed;		/* WQEs consumed */
	bool error;
	uint32_t refs;			/* QPs using it */
	uint32_t async_events;		/* written for it */
	struct ud_fault_ctx fault;	/* responder WQE faults (RMP) */
};


struct ud_rq {
	struct ud_qbuf buf;		/* at the start of the QP's ring */
	uint32_t wqe_cnt;
	uint32_t wqe_shift;
	uint32_t consumed;		/* WQEs consumed (free running) */
};

struct ud_sq {
	struct ud_qbuf buf;		/* after the RQ, as mlx5 lays them */
	uint32_t wqe_cnt;		/* WQEBBs */
	uint32_t ci;			/* next WQEBB counter to execute */
	uint32_t flushed_to;		/* flush CQEs written up to here */
};

struct ud_qp {
	uint32_t qpn;
	struct ud_ctx *ctx;
	struct list_node ctx_link;
	struct list_node active_link;	/* its context's QPs with an SQ */
	uint64_t user_handle;
	uint32_t type;			/* enum ibv_qp_type */
	uint32_t state;			/* enum ibv_qp_state */
	uint32_t pdn;
	uint32_t send_cqn;
	uint32_t recv_cqn;
	uint32_t srqn;			/* or UD_NO_HANDLE */
	uint32_t xrcdn;			/* XRC_RECV */
	bool sq_sig_all;
	uint32_t max_send_sge;
	uint32_t max_recv_sge;
	uint32_t max_inline_data;
	struct ud_qmem mem;		/* db[0]: RQ counter, [1] SQ counter */
	struct ud_sq sq;
	struct ud_rq rq;
	struct ud_qp_attr attr;	/* as last modified */
	struct ud_req_state req;
	struct ud_fault_ctx sq_fault;	/* requester WQE faults */
	struct ud_fault_ctx rq_fault;	/* responder WQE faults (own RQ) */
	struct ud_fault_ctx rdma_fault;	/* RDMA responder faults (by rkey) */
	uint32_t async_events;		/* written for it */
};

/*
 * A process's pid namespace and its number there, as restrack records an
 * object's task: RDMA netlink shows an object only in it.  All zero: not
 * known (the process went first), visible nowhere.
 */
struct ud_pid_ns {
	dev_t dev;
	ino_t ino;
	pid_t tgid;			/* as that namespace numbers it */
};

struct ud_ctx {
	uint32_t id;
	struct ud_device *dev;
	pid_t pid;
	struct ud_pid_ns pid_ns;	/* its creator's */
	uid_t uid;			/* its command fd's opener's euid */
	bool net_admin;			/* ... who had CAP_NET_ADMIN */
	int kick_fd;			/* eventfd the provider writes */
	int async_wfd;			/* write end of the async event pipe */
	int async_drain_fd;		/* our own reader of it, non-blocking */
	struct uodp_shared_page *shared;
	struct list_node link;
	struct list_head pds, mrs, cqs, srqs, qps;
	struct ud_sched sched;		/* the engine's turns (engine.c) */
	uint32_t xrcds[64];		/* XRCD numbers this context holds */
	uint32_t nxrcds;
	uint32_t res_used[UD_RES_NR];	/* its objects (limits.c) */
	/* control path private */
	bool dead;			/* being torn down */
	struct ud_odp_ctx *odp;		/* ODP channel, faults (odp_priv.h) */
	/* The command fd the context lives on (uverbs.c), if any. */
	struct ud_ufile *ufile;
	int async_rfd;			/* read end of the async pipe, or -1 */
	int owner_pidfd;		/* the process whose memory it reaches */
	uint64_t pin_start_time;	/* its start time (pin.c), 0: unread */
};

struct uodpd {
	struct ud_device devices[UODPD_MAX_DEVICES];
	uint32_t ndevices;
	struct list_head ctxs;
	struct list_head sched_ctxs;	/* contexts with a QP with an SQ */
	uint64_t quantum;		/* bytes a context moves per round */
	uint64_t engine_bytes;		/* message bytes moved (ud_xfer) */
	uint64_t mixed_until_ns;	/* a light context shares with a heavy one */
	uint64_t cpu_contended_until_ns;	/* the loop was preempted */
	uint64_t contention_checked_ns;	/* loop.c's last look */
	uint64_t preemptions;		/* its thread's ru_nivcsw then */
	uint64_t bulk_due_ns;		/* heavy contexts' next turn, if shared */
	uint32_t light_rounds;		/* rounds in a row light ones moved */
	struct list_head xrcds;
	struct ud_idr pds, mrs, cqs, srqs, qps, xrcd_ids;
	uint8_t mr_variant;		/* key byte of the next MR (mem.c) */
	int epfd;
	int listen_fd;
	/* the supervisor (supervise.c, uverbs.c) */
	struct ud_idr listeners;	/* seccomp listeners of attached commands */
	struct ud_idr ufiles;		/* command fds */
	struct ud_idr channels;		/* completion and event channels */
	struct list_head ufile_hash[64];	/* by inode */
	int inotify_fd;			/* releases of command fds */
	int signal_fd;			/* SIGTERM/SIGINT */
	struct ud_idr ctx_ids;		/* context id -> struct ud_ctx */
	/* the rdma_cm device (ucma.h) */
	struct ud_idr cm_files;		/* rdma_cm files */
	struct ud_idr cm_ids;		/* every file's IDs: the handles */
	struct list_head cm_file_hash[16];	/* by inode */
	struct list_head cm_ports[64];	/* bound IDs by port */
	uint32_t cm_port_next;		/* the next ephemeral port to try */
	/* the CM's waits (cm_wait.c), by kind and packet lifetime */
	struct ud_timer_queue cm_waits[UD_CM_WAIT_NR][UD_CM_LIFETIMES];
	struct ud_timer_queue cm_watch[UD_CM_WATCH_STEPS];	/* waiters */
	uint32_t cm_timeout_divisor;	/* --cm-timeout-divisor */
	/* timers (timer.h) */
	int timer_fd;
	bool timer_armed;		/* ... for timer_armed_ns */
	uint64_t timer_armed_ns;
	struct list_head timer_queues;
	/* RDMA netlink (rdma_nl.h) */
	struct ud_idr nl_socks;		/* NETLINK_RDMA sockets */
	struct list_head nl_sock_hash[16];	/* by inode */
	struct list_head nl_port_hash[64];	/* bound ones, by port id */
	int32_t nl_rover;		/* netlink_autobind's next try */
	char sock_path[108];		/* unlinked at exit */
	char sock_dir[108];		/* made by us: removed at exit, or "" */
	char sysfs_root[4096];		/* GIDs from there; "" from netdev */
	char netdev[16];		/* device 0's netdev (the service's) */
	uint32_t context_share;		/* --context-share, percent */
	uint64_t idle_spin_ns;		/* busy-poll this long before sleeping */
	bool queue_memfd;		/* offer UODP_EMU_CAP_QUEUE_MEMFD */
	bool doorbell_fd;		/* offer UODP_IB_METHOD_EMU_DOORBELL */
	uint64_t poll_ns;		/* without it: the idle poll period */
	bool stop;
	uint8_t *bounce;		/* copy buffer, UD_BOUNCE_SIZE */
	struct ud_odp_dev *odp;		/* ODP tokens, counters (odp_priv.h) */
	/* fds the command fds' contexts and channels hold (limits.c) */
	uint32_t fd_budget;		/* all files together */
	uint32_t file_fd_max;		/* one file's share of it */
	uint32_t fds_used;
	uint32_t file_max;		/* command fds, for the map count */
	/* pinned pages by process (pin.c): ib_umem_get's pinned_vm */
	struct ud_pin_acct *pin_hash[UD_PIN_HASH];
};

#define UD_BOUNCE_SIZE (1u << 20)

/* ---- pinned pages per process (pin.c) ---- */
/*
 * Charge npages to ctx's process (as ib_umem_get adds them to the mm's
 * pinned_vm): 0 and *acct, or -ENOMEM when its pinned pages would pass
 * limit_pages (the caller's RLIMIT_MEMLOCK in pages, UD_PIN_UNLIMITED
 * when exempt), -ESRCH when the process is gone.  O(1) in npages.
 */
int ud_pin_charge(struct uodpd *d, struct ud_ctx *ctx, uint64_t npages,
		  uint64_t limit_pages, struct ud_pin_acct **acct);
/* Give them back (deregistration, teardown); the last MR frees acct. */
void ud_pin_uncharge(struct uodpd *d, struct ud_pin_acct *acct,
		     uint64_t npages);
/* Pages charged to tgid now, over all its accounts (stale ones too). */
uint64_t ud_pin_pages(struct uodpd *d, pid_t tgid);

/* ---- logging (log.c): stderr, "uodpd[pid]: level: message" ---- */
enum ud_log_level {
	UD_LOG_ERR = 0,
	UD_LOG_WARN,
	UD_LOG_INFO,
	UD_LOG_DEBUG,
};

extern int ud_log_level;
void ud_log_init(void);		/* reads UODPD_LOG_LEVEL */
void ud_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define ud_err(...) ud_log(UD_LOG_ERR, __VA_ARGS__)
#define ud_warn(...) ud_log(UD_LOG_WARN, __VA_ARGS__)
#define ud_info(...) ud_log(UD_LOG_INFO, __VA_ARGS__)
#define ud_dbg(...)							\
	do {								\
		if (ud_log_level >= UD_LOG_DEBUG)			\
			ud_log(UD_LOG_DEBUG, __VA_ARGS__);		\
	} while (0)

/* ---- daemon lifetime (loop.c) ---- */
#define UD_DEFAULT_NETDEV "lo"		/* as uodp-run's --netdev */

struct ud_options {
	const char *socket_path;
	const char *socket_group;	/* NULL: the daemon's own gid */
	const char *sysfs_root;		/* NULL: GIDs from netdev */
	const char *netdev;
	uint32_t ndevices;
	int ready_fd;			/* -1: none */
	uint64_t idle_spin_ns;
	bool no_queue_memfd;		/* rings in the providers' memory */
	bool no_doorbell_fd;		/* doorbells are UAR writes: poll */
	uint32_t context_share;		/* percent of each max_* a context gets */
	uint64_t quantum;		/* bytes, 0: UD_DEFAULT_QUANTUM */
	uint32_t cm_timeout_divisor;	/* 0 or 1: the kernel's CM timeouts */
};

/*
 * An emulator's extra for tests: every connection manager wait (cm_wait.c)
 * divided by up to this; 1 is the kernel's.
 */
#define UD_CM_TIMEOUT_DIVISOR_MAX 1000000u

/*
 * One context may hold this share of each advertised max_* by default: a
 * quarter is 4096 QPs, CQs and SRQs and 262144 MRs and PDs, far more than a
 * verbs program uses, yet four greedy contexts are needed to fill a device.
 */
#define UD_DEFAULT_CONTEXT_SHARE 25u

/*
 * Measured on the 2-core development machine with ib_write_lat (two clients
 * busy-polling): median 3.2 us with 0, 4.3 us with 2 us, 8.2 us with 10 us,
 * ~30 us with 50 us of spin.  A spinning daemon competes with the clients
 * for the cores; a sleeping one is woken with priority.  Bandwidth is the
 * same either way (the daemon never sleeps while it has work).
 */
#define UD_DEFAULT_IDLE_SPIN_NS 0ull

/*
 * The bytes each context with work may move per round of the engine
 * (engine.c), and so what a small WQE of another context waits behind at
 * most.  Measured on the 2-core machine (tests/bench/fairness.sh, medians
 * of 3, ibv_rc_pingpong -e -s 4096 next to a 1 GiB READ streamer): 85 us
 * per iteration with 64 KiB (1.6x alone), 255 us with 256 KiB (4x); the
 * streamer alone moves 3.1 GB/s with 64 KiB, 3.3 GB/s with 256 KiB.
 */
#define UD_DEFAULT_QUANTUM (64ull << 10)
#define UD_QUANTUM_MIN (16ull << 10)	/* above any UD message with its GRH */
#define UD_QUANTUM_MAX (4ull << 20)	/* UD_WQES_PER_POLL steps */

int ud_daemon_init(struct uodpd *d, const struct ud_options *opt);
/* Run until SIGTERM/SIGINT; 0 or a negative errno. */
int ud_daemon_run(struct uodpd *d);
void ud_daemon_fini(struct uodpd *d);

/* ---- devices (device.c) ---- */
/* Device index, built on netdev (its GIDs, its port's netdev). */
int ud_device_init(const struct uodpd *d, struct ud_device *dev,
		   uint32_t index, const char *netdev);
/* (Re)load the GID table, from sysfs or the netdev; valid GIDs or -errno. */
int ud_device_load_gids(const struct uodpd *d, struct ud_device *dev);
struct ud_device *ud_device_by_name(struct uodpd *d, const char *name);

/* ---- per-context and device-wide object limits (limits.c) ---- */
/* Each context's share of dev's max_*: share percent, at least 1. */
void ud_limits_init(struct ud_device *dev, uint32_t share);
/* Fewer queues (CQs, QPs, SRQs together) than max_*: the map budget. */
void ud_limits_cap_queues(struct ud_device *dev, uint32_t max);
/*
 * After ud_fd_budget_init: how many command fds may be open (file_max)
 * and each device's queues, from vm.max_map_count.
 */
void ud_map_budget_init(struct uodpd *d);
/*
 * Whether ctx may create one more r: 0, or -ENOMEM (its share or the
 * device is full), what mlx5 answers when the HCA is out of a resource.
 * Check before creating, then ud_res_get once made; ud_res_put on every
 * destroy (the object's destroy function, which teardown calls too).
 */
int ud_res_check(const struct ud_ctx *ctx, enum ud_res r);
void ud_res_get(struct ud_ctx *ctx, enum ud_res r);
void ud_res_put(struct ud_ctx *ctx, enum ud_res r);
/*
 * The daemon's fds: a context keeps UD_CTX_FDS (async pipe and its drain,
 * doorbell eventfd, pidfd), a completion channel 2 (pipe, drain), a DEVX
 * event channel 1.  The budget is RLIMIT_NOFILE less what the daemon
 * keeps for itself, so that a full budget never stops it serving the
 * contexts it has; one command fd (one context) takes share percent of
 * it.  ud_fds_take: 0, -EMFILE over the file's share (the process's own
 * limit, as get_unused_fd_flags answers), -ENFILE over the budget.
 */
#define UD_CTX_FDS 5u
void ud_fd_budget_init(struct uodpd *d, uint32_t share);
int ud_fds_take(struct uodpd *d, struct ud_ufile *f, uint32_t n);
void ud_fds_give(struct uodpd *d, struct ud_ufile *f, uint32_t n);
/* The same for any file of the device (held: the fds it holds). */
int ud_fd_share_take(struct uodpd *d, uint32_t *held, uint32_t n);
void ud_fd_share_give(struct uodpd *d, uint32_t *held, uint32_t n);

/* ---- QP state machine (qp_state.c) ---- */
/*
 * Whether a modify from cur to next with attr_mask (enum ibv_qp_attr_mask)
 * is valid for qp_type, as the IB spec's table of required and optional
 * attributes says (the kernel's ib_modify_qp_is_ok).
 */
bool ud_qp_modify_is_ok(uint32_t cur, uint32_t next, uint32_t qp_type,
			uint32_t attr_mask);

/* ---- the service socket (service.c, emulator only) ---- */
/* Listens on path, mode 0660, group @group (NULL: the daemon's gid). */
int ud_service_listen(struct uodpd *d, const char *path, const char *group);
void ud_service_accept(struct uodpd *d);
/* Serve connection id's one request and close it. */
void ud_service_input(struct uodpd *d, uint32_t id);

/* ---- contexts (ctl_context.c) ---- */
void ud_ctx_destroy(struct uodpd *d, struct ud_ctx *ctx);
/* Drain the doorbell eventfd of context id. */
void ud_ctx_kick(struct uodpd *d, uint32_t ctx_id);

/* ---- other processes' fds (proc_fd.c) ---- */
struct stat;
/*
 * stat() of /proc/PID/fd/FD, only if its link names a memfd or a pipe (the
 * kinds the device hands out): 0, -EXDEV for another kind, or -errno.
 */
int ud_proc_fd_stat(const char *pid, const char *fd, struct stat *st);
int ud_pid_fd_stat(pid_t pid, int fd, struct stat *st);
/* Whether pid is in our namespace of kind ("user", "net", "pid"). */
bool ud_pid_same_ns(pid_t pid, const char *kind);
/*
 * pid's pid namespace, and ns_tgid (the last number of its NStgid) as
 * its tgid there: what restrack records of an object's task.
 */
void ud_pid_ns_of(pid_t pid, pid_t ns_tgid, struct ud_pid_ns *ns);
/* Whether our own fd is an anonymous inode of kind ("[userfaultfd]"). */
bool ud_fd_is_anon_inode(int fd, const char *kind);

/* ---- time ---- */
uint64_t ud_now_ns(void);

/* ---- lookups: NULL when absent ---- */
struct ud_qp *ud_qp_lookup(struct uodpd *d, uint32_t qpn);
struct ud_cq *ud_cq_lookup(struct uodpd *d, uint32_t cqn);
struct ud_srq *ud_srq_lookup(struct uodpd *d, uint32_t srqn);
struct ud_mr *ud_mr_lookup(struct uodpd *d, uint32_t key);

/* ---- memory layer (mem.c) ---- */
enum ud_mr_status {
	UD_MR_OK = 0,
	UD_MR_FAULT,			/* a page is not present (ODP) */
	UD_MR_BAD_KEY,			/* no such MR */
	UD_MR_BAD_PD,			/* MR of another PD */
	UD_MR_BAD_BOUNDS,		/* range outside the MR */
	UD_MR_BAD_ACCESS,		/* access flags missing */
};

/*
 * Check that [va, va+len) under key is usable by pdn (an XRC target
 * passes the PD of the XRC SRQ the request names) with need_access
 * (IBV_ACCESS_* bits; 0 for local read).  On UD_MR_OK *mr is set; on
 * UD_MR_FAULT *fault_va is the first absent page's address.
 */
enum ud_mr_status ud_mr_check(struct uodpd *d, uint32_t key, uint32_t pdn,
			      uint64_t va, uint64_t len, uint32_t need_access,
			      struct ud_mr **mr, uint64_t *fault_va);

/*
 * Register [addr, addr+length) of ctx's process.  Pinned (no
 * IBV_ACCESS_ON_DEMAND): verify it is mapped with the permissions access
 * needs and charge its pages to the process, refused past memlock_pages
 * (the caller's RLIMIT_MEMLOCK in pages, UD_PIN_UNLIMITED for
 * CAP_IPC_LOCK: ud_pin_caller_limit); ODP MRs ignore it.  0 and *out, or
 * -EINVAL, -EFAULT, -ENOMEM, -ENOSPC, -ESRCH.
 */
#define UD_PIN_UNLIMITED UINT64_MAX
int ud_mr_register(struct uodpd *d, struct ud_ctx *ctx, uint32_t pdn,
		   uint64_t addr, uint64_t length, uint64_t iova,
		   uint32_t access, uint64_t memlock_pages,
		   struct ud_mr **out);
/* Unlink from the key table and the context, free. */
void ud_mr_destroy(struct uodpd *d, struct ud_mr *mr);
/*
 * Pages of [addr, addr+length) (ib_umem_num_pages), for a range whose end
 * rounded up to a page does not wrap (mr_validate's rule).
 */
uint64_t ud_mr_npages(uint64_t addr, uint64_t length);

/* ---- queue memory (qmem.c) ---- */
/*
 * Attach a queue's memory as where says (ctl_args.h): from the sealed memfd
 * fd (F_SEAL_SHRINK and F_SEAL_GROW required; the fd stays the caller's),
 * or with fd < 0 from pid's own memory, checked present and, for a ring the
 * device writes, writable, as ib_umem_get would fault it in.  The ring is
 * ring_len bytes aligned to 64, the doorbell record db_len aligned to
 * db_len; they may not overlap.  0, or -EINVAL, -EFAULT, -ENOMEM, -EACCES.
 */
int ud_qmem_attach(struct ud_qmem *mem, const struct ud_queue_mem *where,
		   int fd, pid_t pid, uint64_t ring_len, uint32_t db_len,
		   bool device_writes);
void ud_qmem_detach(struct ud_qmem *mem);

/* The part [off, off+len) of b (inside it: the caller checked). */
struct ud_qbuf ud_qbuf_sub(const struct ud_qbuf *b, uint64_t off,
			   uint64_t len);
/* Copy [off, off+len) of b; 0, -EINVAL outside it, -EFAULT, -ESRCH. */
int ud_qbuf_read(const struct ud_qbuf *b, uint64_t off, void *dst,
		 size_t len);
int ud_qbuf_write(const struct ud_qbuf *b, uint64_t off, const void *src,
		  size_t len);
/* Big-endian word idx of a doorbell record, host order, acquire. */
int ud_qbuf_load_be32(const struct ud_qbuf *b, unsigned int idx,
		      uint32_t *val);
/* One byte, ordered after everything written to b before it (release). */
int ud_qbuf_store_u8(const struct ud_qbuf *b, uint64_t off, uint8_t val);

/* Process VA that MR address va is backed by. */
static inline uint64_t ud_mr_pva(const struct ud_mr *mr, uint64_t va)
{
	return mr->addr + (va - mr->iova);
}

/*
 * Copy application memory with process_vm_readv/writev.  Return 0 or
 * -EFAULT (the pages are gone: munmap) or -ESRCH (the process is gone).
 */
int ud_mem_read(struct ud_ctx *ctx, uint64_t pva, void *dst, size_t len);
/*
 * A live thread of thread group tgid other than its leader, or 0: whom
 * process_vm names once the leader has exited before its threads.
 */
pid_t ud_live_thread(pid_t tgid);
/* The same for any process (or thread) pid. */
int ud_pid_read(pid_t pid, uint64_t pva, void *dst, size_t len);
int ud_pid_write(pid_t pid, uint64_t pva, const void *src, size_t len);
/* Several writes to pid in one process_vm_writev; 0 or -EFAULT/-ESRCH. */
struct ud_pid_iov {
	uint64_t pva;
	void *local;
	size_t len;
};
int ud_pid_writev(pid_t pid, const struct ud_pid_iov *iov, unsigned int n);
int ud_mem_write(struct ud_ctx *ctx, uint64_t pva, const void *src, size_t len);

/* ---- async events (ctl) ---- */
/*
 * Write an async event; *count (the object's async_events) counts those
 * written, which destroy reports as events_reported (ud_async_take_back).
 */
void ud_async_event(struct ud_ctx *ctx, uint64_t element, uint32_t type,
		    uint32_t *count);
/*
 * An object of element goes away: take its unread events out of the async
 * pipe; returns how many of count the process read.
 */
uint32_t ud_async_take_back(struct ud_ctx *ctx, uint64_t element,
			    uint32_t count);

/* ---- engine (engine_*.c) ---- */
/* Run datapath work; return true if anything progressed. */
bool ud_engine_poll(struct uodpd *d);
/* Earliest engine timer in ns (UINT64_MAX if none). */
uint64_t ud_engine_next_deadline(struct uodpd *d);
/* A light context shares the engine with a heavy one (engine.c). */
bool ud_engine_shared(const struct uodpd *d, uint64_t now);
/*
 * A QP with a send queue enters its context's turns when created and
 * leaves them when destroyed; a context is scheduled while it has one.
 */
void ud_engine_qp_add(struct uodpd *d, struct ud_qp *qp);
void ud_engine_qp_remove(struct uodpd *d, struct ud_qp *qp);
/* A modify_qp moved qp to new_state; the engine flushes on ERR, etc. */
void ud_engine_qp_state_changed(struct uodpd *d, struct ud_qp *qp,
				uint32_t old_state);
/* Move qp to the error state from the datapath, flushing its queues. */
void ud_engine_qp_to_error(struct uodpd *d, struct ud_qp *qp);
/*
 * qp's queue memory cannot be reached (the process unmapped it): to the
 * error state with IBV_EVENT_QP_FATAL, as a device's failed DMA read does.
 */
void ud_engine_qp_fatal(struct uodpd *d, struct ud_qp *qp);

#endif /* UODPD_H */
