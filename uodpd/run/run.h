/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * uodp-run: runs a command with emulated uodp devices.  Each file is one
 * concern: namespace.c (private mount namespace, /dev), sysfs.c (the
 * sysfs tree libibverbs reads), seccomp.c (the command's filter: no RDMA
 * netlink, the device's calls trapped for uodpd), attach.c (the service
 * socket: the shared daemon's description, the filter's listener),
 * daemon.c (a private uodpd's life cycle), janitor.c (the private
 * directory's host side, should uodp-run be killed) and main.c (options,
 * environment, the command).  The GIDs come from ../netdev_gids.c.
 */
#ifndef UODP_RUN_H
#define UODP_RUN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "identity.h"
#include "netdev_gids.h"
#include "supervise.h"
#include "uodpd/uodpd.h"

/* Exit codes of uodp-run's own failures, as timeout(1)/env(1) use them. */
#define RUN_EXIT_FAILURE 125
#define RUN_EXIT_CANNOT_EXEC 126
#define RUN_EXIT_NOT_FOUND 127

#define RUN_DAEMON_READY_TIMEOUT_MS 10000
#define RUN_DAEMON_STOP_TIMEOUT_MS 5000

/* Whose device the command gets (uodp-run(1), DEVICES). */
enum run_mode {
	RUN_MODE_AUTO,			/* the shared daemon's if one answers */
	RUN_MODE_ATTACH,		/* the shared daemon's, or fail */
	RUN_MODE_PRIVATE,		/* a uodpd of its own */
};

/* The device options given on the command line, for RUN_MODE_AUTO. */
enum run_device_opt {
	RUN_OPT_DEVICES = 1u << 0,
	RUN_OPT_NETDEV = 1u << 1,
	RUN_OPT_NO_QUEUE_MEMFD = 1u << 2,
	RUN_OPT_NO_DOORBELL_FD = 1u << 3,
	RUN_OPT_CONTEXT_SHARE = 1u << 4,
	RUN_OPT_CM_TIMEOUT_DIVISOR = 1u << 5,
};

/* Everything uodp-run creates, so that teardown knows what to undo. */
struct run_state {
	enum run_mode mode;
	unsigned int device_opts;	/* enum run_device_opt given */
	bool attached;			/* to the shared daemon */
	unsigned int ndevices;
	const char *netdev;
	bool no_queue_memfd;		/* uodpd --no-queue-memfd */
	bool no_doorbell_fd;		/* uodpd --no-doorbell-fd */
	const char *context_share;	/* uodpd --context-share, or NULL */
	const char *cm_timeout_divisor;	/* uodpd --cm-timeout-divisor, or NULL */
	char tmpdir[PATH_MAX];		/* private dir, a tmpfs in our ns */
	char sysfs_root[PATH_MAX];	/* <tmpdir>/sys */
	char socket_path[PATH_MAX];	/* <tmpdir>/uodpd.sock, or shared */
	char daemon_path[PATH_MAX];
	char provider_path[PATH_MAX];	/* RDMAV_DRIVERS entry */
	bool tmpdir_created;
	bool tmpdir_mounted;
	pid_t daemon_pid;		/* 0 when not running */
	pid_t janitor_pid;		/* janitor.c; 0 when none */
	int janitor_fd;			/* its pipe; -1 when none */
	int signal_fd;			/* SIGCHLD/SIGINT/SIGTERM/SIGHUP */
};

void run_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Formats a path into out[PATH_MAX]; 0, or -ENAMETOOLONG if cut. */
int run_path(char *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void run_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A device as the view shows it: its netdev and that netdev's GIDs. */
struct run_device_view {
	char netdev[16];		/* IF_NAMESIZE */
	struct ud_netdev_gid gids[UODPD_GID_TBL_LEN];
	unsigned int ngids;
};

/* sysfs.c: writes the sysfs tree of ndevices devices (views[]) under root. */
int run_write_sysfs(const char *root, unsigned int ndevices,
		    const struct run_device_view *views);

/* namespace.c */
int run_enter_mount_namespace(void);
int run_mount_private_tmpdir(const char *dir);
void run_unmount_private_tmpdir(const char *dir);
int run_setup_dev(const char *tmpdir, unsigned int ndevices);

/*
 * seccomp.c: installs the command's filter (no RDMA netlink; the device's
 * calls trapped for uodpd, see supervise.h); returns its listener or -errno.
 */
int run_install_filter(void);

/* attach.c: hands the listener to uodpd and waits until it serves it. */
int run_attach_listener(const char *socket_path, int listener);
/* attach.c: what the daemon at socket_path serves; 0 or -errno, silent. */
int run_query_daemon(const char *socket_path, struct ud_service_info *info);

/*
 * janitor.c: a child left in the host's mount namespace that removes the
 * private directory if uodp-run dies without doing so (SIGKILL).  Stop it
 * with removed = true once teardown removed the directory itself.
 */
int run_start_janitor(struct run_state *st);
void run_stop_janitor(struct run_state *st, bool removed);

/* daemon.c */
int run_start_daemon(struct run_state *st);
/* Stops uodpd; returns true if it exited cleanly. */
bool run_stop_daemon(struct run_state *st);
/* Describes a wait status ("exited with status 1", "killed by SIGSEGV"). */
void run_describe_status(int status, char *buf, size_t len);

#endif /* UODP_RUN_H */
