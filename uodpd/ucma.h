/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The rdma_cm device: what rdma_ucm (ucma.c) and the RDMA CM (cma.c, cm.c)
 * are in a kernel, served to processes under uodp-run's seccomp filter.
 *
 *  ucma_decode.c  the write() command decoder (pure, fuzzed)
 *  ucma_file.c    an rdma_cm file's life: open, release, fstat, write, the
 *                 event queue and the blocking GET_EVENT
 *  ucma_cmd.c     the commands, one function each
 *  cm_addr.c      addresses: sizes, ports, GIDs, the device an address is on
 *  cm_conn.c      the connection protocol between two IDs (REQ, REP, RTU,
 *                 REJ, DREQ, DREP, SIDR), its timeouts, and INIT_QP_ATTR
 *  cm_wait.c      how long each wait for an answer lasts (cm_wait.h)
 *
 * Both ends of every connection are IDs of this daemon, so the CM's MADs
 * are calls from one ID to its peer; each message queues the event the
 * kernel's CM would report on its receipt, in the order it would.
 */
#ifndef UODPD_UCMA_H
#define UODPD_UCMA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_cm.h>

#include "list.h"
#include "uodpd.h"

struct ud_call;

/* ---- the decoder (ucma_decode.c) ---- */
#define UD_UCMA_MAX_CMD (RDMA_USER_CM_CMD_JOIN_MCAST + 1)
#define UD_UCMA_MAX_LEN 512	/* bytes of one write: the largest command */

struct ud_ucma_cmd {
	uint32_t cmd;			/* RDMA_USER_CM_CMD_* */
	uint32_t out;			/* the response room the caller claims */
	uint32_t in_len;		/* what the caller sent after the header */
	/* The command, zero-filled past what was sent (see the decoder). */
	union {
		uint8_t raw[UD_UCMA_MAX_LEN];
		struct rdma_ucm_create_id create_id;
		struct rdma_ucm_destroy_id destroy_id;
		struct rdma_ucm_bind_ip bind_ip;
		struct rdma_ucm_bind bind;
		struct rdma_ucm_resolve_ip resolve_ip;
		struct rdma_ucm_resolve_addr resolve_addr;
		struct rdma_ucm_resolve_route resolve_route;
		struct rdma_ucm_query query;
		struct rdma_ucm_connect connect;
		struct rdma_ucm_listen listen;
		struct rdma_ucm_accept accept;
		struct rdma_ucm_reject reject;
		struct rdma_ucm_disconnect disconnect;
		struct rdma_ucm_init_qp_attr init_qp_attr;
		struct rdma_ucm_get_event get_event;
		struct rdma_ucm_set_option set_option;
		struct rdma_ucm_notify notify;
		struct rdma_ucm_join_ip_mcast join_ip_mcast;
		struct rdma_ucm_join_mcast join_mcast;
		struct rdma_ucm_migrate_id migrate_id;
	} u;
};

/*
 * Decode one write() of len bytes, of which buf holds the first avail
 * (at least min(len, sizeof(struct rdma_ucm_cmd_hdr) + UD_UCMA_MAX_LEN)),
 * as ucma_write() frames it: 0 and *cmd, or -EINVAL (short, bad header,
 * unknown number, a command shorter than the kernel requires), -ENOSYS (a
 * number the kernel has no handler for).  Pure: no I/O.
 */
int ud_ucma_decode(const void *buf, size_t len, size_t avail,
		   struct ud_ucma_cmd *cmd);

/*
 * The events, as the kernel's include/rdma/rdma_cm.h numbers them (not a
 * uAPI header; librdmacm's rdma_cma.h repeats them, but clashes with
 * <rdma/rdma_user_cm.h>).
 */
enum ud_cm_event_type {
	UD_CM_EVENT_ADDR_RESOLVED,
	UD_CM_EVENT_ADDR_ERROR,
	UD_CM_EVENT_ROUTE_RESOLVED,
	UD_CM_EVENT_ROUTE_ERROR,
	UD_CM_EVENT_CONNECT_REQUEST,
	UD_CM_EVENT_CONNECT_RESPONSE,
	UD_CM_EVENT_CONNECT_ERROR,
	UD_CM_EVENT_UNREACHABLE,
	UD_CM_EVENT_REJECTED,
	UD_CM_EVENT_ESTABLISHED,
	UD_CM_EVENT_DISCONNECTED,
	UD_CM_EVENT_DEVICE_REMOVAL,
	UD_CM_EVENT_MULTICAST_JOIN,
	UD_CM_EVENT_MULTICAST_ERROR,
	UD_CM_EVENT_ADDR_CHANGE,
	UD_CM_EVENT_TIMEWAIT_EXIT,
};

/* A RoCE route's path, as the kernel's cma_resolve_iboe_route sets it. */
#define UD_CM_HOP_LIMIT 64		/* ip4_dst_hoplimit's default */
#define UD_CM_PKT_LIFETIME 16		/* CMA_IBOE_PACKET_LIFETIME */

/* librdmacm's RDMA_UDP_QKEY: the qkey of RDMA_PS_UDP IDs. */
#define UD_CM_UDP_QKEY 0x01234567u

/* ---- IDs and files ---- */
enum ud_cm_state {
	UD_CM_IDLE,
	UD_CM_ADDR_QUERY,		/* RESOLVE_ADDR: its event is due */
	UD_CM_ADDR_BOUND,		/* BIND to a local address */
	UD_CM_ADDR_RESOLVED,
	UD_CM_ROUTE_QUERY,
	UD_CM_ROUTE_RESOLVED,
	UD_CM_LISTEN,
	UD_CM_REQ_SENT,			/* active: CONNECT, no answer yet */
	UD_CM_REQ_RCVD,			/* passive: a request to accept */
	UD_CM_REP_SENT,			/* passive: accepted, no RTU yet */
	UD_CM_REP_RCVD,			/* active: the answer came */
	UD_CM_ESTABLISHED,
	UD_CM_DREQ_SENT,		/* disconnecting, waiting for the peer */
	UD_CM_DREQ_RCVD,		/* the peer disconnects; we answer */
	UD_CM_DISCONNECTED,		/* both are done, or a REJ ended it */
};

struct ud_cm_file;

struct ud_cm_id {
	uint32_t handle;		/* d->cm_ids: what the process names */
	struct ud_cm_file *file;
	struct list_node file_link;
	uint64_t uid;			/* the process's own cookie */
	uint16_t ps;			/* enum rdma_ucm_port_space */
	uint8_t qp_type;		/* IBV_QPT_RC or IBV_QPT_UD */
	enum ud_cm_state state;
	struct sockaddr_storage src;
	struct sockaddr_storage dst;
	/* a bound port (cm_addr.c's table) */
	bool bound;
	struct list_node bind_link;
	/* the device and GIDs, once an address names them */
	struct ud_device *dev;
	uint8_t sgid_index;
	uint8_t sgid[16];
	uint8_t dgid[16];
	bool route;			/* RESOLVE_ROUTE ran */
	/* a listener's requests not yet reported (its backlog) */
	uint32_t backlog;
	uint32_t pending;
	/* the connection */
	struct ud_cm_id *listener;	/* a request's listener until reported */
	struct ud_cm_id *peer;		/* the other end, while there is one */
	uint32_t qpn, remote_qpn;
	uint32_t psn, remote_psn;	/* starting PSNs: ours, the peer's */
	uint32_t qkey;			/* UD: ours; remote_qkey the peer's */
	uint32_t remote_qkey;
	uint8_t srq;
	uint8_t responder_resources;	/* as the QP's max_dest_rd_atomic */
	uint8_t initiator_depth;	/* as the QP's max_rd_atomic */
	uint8_t retry_count, rnr_retry_count, flow_control;
	uint8_t path_mtu;		/* enum ibv_mtu */
	/* options */
	uint8_t tos;
	bool reuseaddr, afonly;
	uint8_t ack_timeout;		/* 0: the CM's own */
	uint8_t lifetime;		/* the path's packet lifetime */
	bool passive;			/* made by a REQ or SIDR REQ */
	/* the answer it waits for (cm_wait.c) */
	enum ud_cm_wait wait;
	struct ud_timer wait_timer;
	uint32_t events_reported;
};

/* A queued event: the kernel's struct ucma_event. */
struct ud_cm_event {
	struct list_node link;
	struct ud_cm_id *id;		/* whose event */
	struct ud_cm_id *conn_req;	/* CONNECT_REQUEST: the new ID */
	struct rdma_ucm_event_resp resp;
};

struct ud_cm_file {
	uint32_t id;			/* d->cm_files */
	dev_t st_dev;			/* the pipe behind the fd */
	ino_t st_ino;
	int wd;				/* inotify: opens and closes */
	unsigned int opens;
	struct list_node hash_link;
	struct stat node;		/* what fstat answers */
	struct ud_pid_ns pid_ns;	/* its opener's: its IDs' task */
	uid_t uid;			/* ... and euid */
	int wfd;			/* the pipe's write end */
	int drain_fd;			/* our reader, to take the byte back */
	bool readable;			/* the byte that makes poll say POLLIN */
	struct list_head ids;
	struct list_head events;
	uint32_t nevents;
	struct list_head waiters;
	uint32_t nwaiters;
	/* while there are waiters: their signals and ends (ucma_file.c) */
	struct ud_timer watch;
	uint8_t watch_step;
	bool closing;			/* closed everywhere; a waiter holds it */
	uint32_t nids;
	uint32_t fds;			/* the daemon's fds it holds */
};

/* Bounds: one file's IDs, its queued events, its blocked readers. */
#define UD_CM_FILE_MAX_IDS 4096u
#define UD_CM_FILE_MAX_WAITERS 256u
#define UD_CM_FILE_FDS 2u		/* write end and drain */

/* ---- ucma_file.c ---- */
int ud_ucma_init(struct uodpd *d);
void ud_ucma_fini(struct uodpd *d);
/* open() of /dev/infiniband/rdma_cm */
void ud_ucma_open(struct ud_call *c, int flags);
/* The rdma_cm file on this pipe inode, or NULL. */
struct ud_cm_file *ud_ucma_by_inode(struct uodpd *d, dev_t dev, ino_t ino);
/* The rdma_cm file at fd of the caller, or NULL. */
struct ud_cm_file *ud_ucma_lookup(struct uodpd *d, pid_t pid, int fd);
void ud_ucma_write(struct ud_call *c, struct ud_cm_file *f);
/* An inotify event of watch wd, if an rdma_cm file's: opens, release. */
void ud_ucma_inotify(struct uodpd *d, int wd, uint32_t mask);
/* Queue an event of id (id's file); its resp is filled by the caller. */
struct ud_cm_event *ud_cm_event_new(struct ud_cm_id *id, uint32_t event,
				    int32_t status);
void ud_cm_event_queue(struct uodpd *d, struct ud_cm_event *ev);
/* Forget id's unreported events; the requests they carry go too. */
void ud_cm_events_purge(struct uodpd *d, struct ud_cm_id *id);
/* Forget the unreported request that made id (id is being destroyed). */
void ud_cm_events_drop_request(struct uodpd *d, struct ud_cm_id *id);
/* Move id, its events and the requests they carry to file to. */
int ud_cm_migrate(struct uodpd *d, struct ud_cm_id *id,
		  struct ud_cm_file *to);
/* Answer the blocked GET_EVENTs that events are now there for. */
void ud_ucma_wake(struct uodpd *d, struct ud_cm_file *f);
/* GET_EVENT (ucma_cmd.c calls it: it may keep the call waiting). */
void ud_ucma_get_event(struct ud_call *c, struct ud_cm_file *f,
		       const struct ud_ucma_cmd *cmd);

/* ---- ucma_cmd.c ---- */
/* Run one decoded command: 0 or -errno (GET_EVENT answers itself). */
int ud_ucma_run(struct ud_call *c, struct ud_cm_file *f,
		const struct ud_ucma_cmd *cmd);
/* A new ID of f: NULL when f has its share. */
struct ud_cm_id *ud_cm_id_new(struct uodpd *d, struct ud_cm_file *f,
			      uint16_t ps, uint8_t qp_type);
/* Destroy id as the kernel's rdma_destroy_id: the peer hears of it. */
void ud_cm_id_destroy(struct uodpd *d, struct ud_cm_id *id);

/* ---- cm_wait.c ---- */
void ud_cm_waits_init(struct uodpd *d);
/* Start id's wait for an answer (one at a time: a new one replaces it). */
void ud_cm_wait_start(struct uodpd *d, struct ud_cm_id *id,
		      enum ud_cm_wait wait);
void ud_cm_wait_stop(struct ud_cm_id *id);

/* ---- cm_addr.c ---- */
/* rdma_addr_size(): the bytes of a sockaddr of this family, or 0. */
size_t ud_cm_addr_size(const struct sockaddr_storage *a);
bool ud_cm_addr_any(const struct sockaddr_storage *a);
uint16_t ud_cm_addr_port(const struct sockaddr_storage *a);
void ud_cm_addr_set_port(struct sockaddr_storage *a, uint16_t port);
/* The RoCE GID of an IP address (IPv4 mapped); false for another family. */
bool ud_cm_addr_gid(const struct sockaddr_storage *a, uint8_t gid[16]);
/*
 * The device and GID index that carry address a (a RoCE v2 GID, as the
 * kernel's CM prefers): 0, or -EADDRNOTAVAIL.
 */
int ud_cm_addr_device(struct uodpd *d, const struct sockaddr_storage *a,
		      struct ud_device **dev, uint8_t *gid_index);
/* Reserve id's source port (0: an ephemeral one): 0, -EADDRINUSE. */
int ud_cm_bind_port(struct uodpd *d, struct ud_cm_id *id);
void ud_cm_unbind_port(struct ud_cm_id *id);
/* The listener a request to id's destination reaches, or NULL. */
struct ud_cm_id *ud_cm_find_listener(struct uodpd *d,
				     const struct ud_cm_id *id);
void ud_cm_addr_init(struct uodpd *d);

/* ---- cm_conn.c ---- */
int ud_cm_connect(struct uodpd *d, struct ud_cm_id *id,
		  const struct rdma_ucm_conn_param *p);
int ud_cm_accept(struct uodpd *d, struct ud_cm_id *id,
		 const struct rdma_ucm_conn_param *p, uint64_t uid);
int ud_cm_reject(struct uodpd *d, struct ud_cm_id *id, const uint8_t *pdata,
		 uint8_t pdata_len);
int ud_cm_disconnect(struct uodpd *d, struct ud_cm_id *id);
/* The peer is told id is gone (destroy, or its process died). */
void ud_cm_leave(struct uodpd *d, struct ud_cm_id *id);
int ud_cm_init_qp_attr(const struct ud_cm_id *id, uint32_t qp_state,
		       struct ib_uverbs_qp_attr *resp);
/* id's wait for an answer ran out: the kernel CM's error event. */
void ud_cm_wait_expired(struct uodpd *d, struct ud_timer *t);

#endif /* UODPD_UCMA_H */
