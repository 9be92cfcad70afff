// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The supervisor: answers the system calls uodp-run's seccomp filter traps
 * (supervise.h).  Each attached command tree has one listener; a trapped
 * call is received, served or let through (CONTINUE), and answered once.
 * The caller's memory is read and written with process_vm_readv/writev,
 * fds are installed with SECCOMP_IOCTL_NOTIF_ADDFD.  A call that is not
 * ours runs untouched, as if the filter were not there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>

#include "loop.h"
#include "rdma_nl.h"
#include "supervise.h"
#include "ucma.h"
#include "uverbs.h"

#define DEV_PATH_PREFIX "/dev/infiniband/"

struct ud_listener {
	uint32_t id;
	int fd;
	uid_t uid;
};

/* ---- answers ---- */

static void respond(struct ud_call *c, int64_t val, int error, uint32_t flags)
{
	struct seccomp_notif_resp resp = {
		.id = c->id,
		.val = val,
		.error = error,
		.flags = flags,
	};

	if (c->answered)
		return;
	c->answered = true;
	/* ENOENT: the caller is gone or was interrupted; nothing to do. */
	if (ioctl(c->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) &&
	    errno != ENOENT)
		ud_warn("pid %d: cannot answer system call %d: %s",
			(int)c->pid, c->nr, strerror(errno));
}

void ud_call_continue(struct ud_call *c)
{
	respond(c, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

void ud_call_return(struct ud_call *c, int64_t val)
{
	respond(c, val, 0, 0);
}

void ud_call_fail(struct ud_call *c, int neg_errno)
{
	respond(c, 0, neg_errno, 0);
}

int ud_call_install_fd(struct ud_call *c, int fd, int newfd, bool cloexec,
		       bool send)
{
	struct seccomp_notif_addfd addfd = {
		.id = c->id,
		.srcfd = (uint32_t)fd,
		.newfd = newfd >= 0 ? (uint32_t)newfd : 0,
		.newfd_flags = cloexec ? O_CLOEXEC : 0,
	};
	int ret;

	if (newfd >= 0)
		addfd.flags |= SECCOMP_ADDFD_FLAG_SETFD;
	if (send)
		addfd.flags |= SECCOMP_ADDFD_FLAG_SEND;
	ret = ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
	if (ret < 0)
		return -errno;
	if (send)
		c->answered = true;
	return ret;
}

void ud_call_defer(struct ud_call *c)
{
	c->answered = true;
}

int ud_call_answer_deferred(struct uodpd *d, const struct ud_deferred *w,
			    int64_t val, int neg_errno)
{
	struct ud_listener *l = ud_idr_find(&d->listeners, w->listener_id);
	struct seccomp_notif_resp resp = {
		.id = w->notif_id,
		.val = val,
		.error = neg_errno,
	};

	/* Its command tree is gone, and the caller with it. */
	if (!l)
		return -ENOENT;
	return ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) ? -errno : 0;
}

bool ud_call_deferred_valid(struct uodpd *d, const struct ud_deferred *w)
{
	struct ud_listener *l = ud_idr_find(&d->listeners, w->listener_id);

	return l && !ioctl(l->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &w->notif_id);
}

bool ud_call_valid(const struct ud_call *c)
{
	return !ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &c->id);
}

/* The last of the numbers in s: NStgid's innermost namespace's. */
static long last_number(const char *s)
{
	long n = -1;
	char *end;

	for (;;) {
		long v = strtol(s, &end, 10);

		if (end == s)
			return n;
		n = v;
		s = end;
	}
}

int ud_call_creds(const struct ud_call *c, struct ud_creds *cr)
{
	unsigned long long cap_eff = 0;
	unsigned long ruid, euid = ULONG_MAX;
	char path[64], line[128];
	long tgid = -1, ns_tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Tgid: %ld", &tgid) == 1)
			continue;
		/* Uid: real, effective, saved, fs; as our namespace maps them */
		if (sscanf(line, "Uid: %lu %lu", &ruid, &euid) == 2)
			continue;
		if (!strncmp(line, "NStgid:", 7)) {
			ns_tgid = last_number(line + 7);
			continue;
		}
		if (sscanf(line, "CapEff: %llx", &cap_eff) == 1)
			break;
	}
	fclose(f);
	if (tgid <= 0 || euid == ULONG_MAX)
		return -ESRCH;
	cr->tgid = (pid_t)tgid;
	cr->euid = (uid_t)euid;
	cr->cap_eff = cap_eff;
	cr->ns_tgid = ns_tgid > 0 ? (pid_t)ns_tgid : cr->tgid;
	/* In our user namespace, its capabilities are ours. */
	cr->our_user_ns = ud_pid_same_ns(c->pid, "user");
	/*
	 * RDMA netlink shows keys only to netlink_capable(CAP_NET_ADMIN),
	 * which is capable() in the initial namespace: a capability held in
	 * a namespace of the caller's own making counts for nothing here.
	 */
	cr->net_admin = cap_eff & (1ull << CAP_NET_ADMIN) && cr->our_user_ns;
	return 0;
}

pid_t ud_call_tgid(const struct ud_call *c)
{
	struct ud_creds cr;
	int ret = ud_call_creds(c, &cr);

	return ret ? ret : cr.tgid;
}

bool ud_call_capable(const struct ud_call *c, int cap)
{
	struct ud_creds cr;

	if (cap < 0 || cap > 63 || ud_call_creds(c, &cr))
		return false;
	/*
	 * A capability held in a namespace of its own is none in ours; and
	 * the answer counts only if the thread that asked is still the one
	 * waiting (the pid was not reused while we read).
	 */
	return (cr.cap_eff >> cap & 1) && cr.our_user_ns && ud_call_valid(c);
}

/* ---- opens ---- */

/* The caller's NUL-terminated string at addr into buf; 0 or -errno. */
static int read_string(pid_t pid, uint64_t addr, char *buf, size_t size)
{
	size_t got = 0, chunk;

	while (got < size) {
		/* Never across a page end: the next page may be unmapped. */
		chunk = 4096 - ((addr + got) & 4095);
		if (chunk > size - got)
			chunk = size - got;
		if (ud_pid_read(pid, addr + got, buf + got, chunk))
			return -EFAULT;
		if (memchr(buf + got, '\0', chunk))
			return 0;
		got += chunk;
	}
	return -ENAMETOOLONG;
}

/* The device index if path names one of our uverbs nodes, else -1. */
static int uverbs_index(struct uodpd *d, const char *path)
{
	const char *name = path + strlen(DEV_PATH_PREFIX);
	char ours[32];
	uint32_t i;

	if (strncmp(path, DEV_PATH_PREFIX, strlen(DEV_PATH_PREFIX)))
		return -1;
	for (i = 0; i < d->ndevices; i++) {
		ud_identity_uverbs_name(i, ours, sizeof(ours));
		if (!strcmp(name, ours))
			return (int)i;
	}
	return -1;
}

static void handle_open(struct ud_call *c, uint64_t path_addr, uint64_t flags)
{
	char path[256];
	int index;

	if (read_string(c->pid, path_addr, path, sizeof(path))) {
		ud_call_continue(c);	/* not ours: the kernel says why */
		return;
	}
	index = uverbs_index(c->d, path);
	/* Reading the path raced with pid reuse: answer nobody. */
	if ((index < 0 && strcmp(path, UD_RDMA_CM_PATH)) || !ud_call_valid(c)) {
		ud_call_continue(c);
		return;
	}
	if (index < 0)
		ud_ucma_open(c, (int)flags);
	else
		ud_uverbs_open(c, (uint32_t)index, (int)flags);
}

static void handle_openat2(struct ud_call *c)
{
	struct open_how how;

	/* Only the device's open flags, as the BPF rule has for openat. */
	if (c->args[3] < sizeof(how) ||
	    ud_pid_read(c->pid, c->args[2], &how, sizeof(how)) ||
	    (how.flags & ~(uint64_t)0100000) != UD_CDEV_OPEN_FLAGS) {
		ud_call_continue(c);
		return;
	}
	handle_open(c, c->args[1], how.flags);
}

/* ---- calls on an fd number ---- */

static bool empty_path(struct ud_call *c, uint64_t addr, uint64_t flags)
{
	char ch;

	/* Since Linux 6.11 a NULL path with AT_EMPTY_PATH is "" too. */
	return (flags & AT_EMPTY_PATH) &&
	       (!addr || (!ud_pid_read(c->pid, addr, &ch, 1) && ch == '\0'));
}

/*
 * The fstat family on fd: fstat(fd, buf), newfstatat(fd, "", buf,
 * AT_EMPTY_PATH), statx(fd, "", flags, mask, buf).  Whether c is one, and
 * where its buffer is.
 */
static bool fstat_call(struct ud_call *c, uint64_t *buf, bool *statx)
{
	*statx = false;
	switch (c->nr) {
	case SYS_fstat:
		*buf = c->args[1];
		return true;
	case SYS_newfstatat:
		*buf = c->args[2];
		return empty_path(c, c->args[1], c->args[3]);
	case SYS_statx:
		*buf = c->args[4];
		*statx = true;
		return empty_path(c, c->args[1], c->args[2]);
	default:
		return false;
	}
}

/*
 * A call on a command fd number: a command fd's, an rdma_cm file's, a
 * netlink socket's.
 */
static void handle_fd_call(struct ud_call *c)
{
	struct ud_cm_file *cm = NULL;
	struct ud_nl_sock *nl = NULL;
	struct ud_ufile *f = NULL;
	struct stat st;
	uint64_t buf;
	bool statx;

	if (!ud_pid_fd_stat(c->pid, (int)c->args[0], &st)) {
		f = ud_uverbs_by_inode(c->d, st.st_dev, st.st_ino);
		cm = f ? NULL : ud_ucma_by_inode(c->d, st.st_dev, st.st_ino);
		if (!f && !cm)
			nl = ud_nl_by_inode(c->d, st.st_dev, st.st_ino);
	}
	/* The lookup read /proc/PID: trust it only if PID is still the caller. */
	if ((!f && !cm && !nl) || !ud_call_valid(c)) {
		ud_call_continue(c);
		return;
	}
	if (nl)
		ud_nl_call(c, nl);
	else if (c->nr == SYS_read)
		ud_call_fail(c, -EINVAL);	/* neither reads: no read op */
	else if (fstat_call(c, &buf, &statx))
		ud_answer_fstat(c, f ? &f->node : &cm->node, buf, statx);
	else if (c->nr == SYS_write && f)
		ud_uverbs_write(c, f);
	else if (c->nr == SYS_write)
		ud_ucma_write(c, cm);
	else if (c->nr == SYS_ioctl && f)
		ud_uverbs_ioctl(c, f);
	/* rdma_ucm has no ioctl; the VFS's own ones run. */
	else if (c->nr == SYS_ioctl && !ud_vfs_ioctl((uint32_t)c->args[1]))
		ud_call_fail(c, -ENOTTY);
	ud_call_continue(c);	/* no-op once answered */
}

static void handle_call(struct ud_call *c)
{
	switch (c->nr) {
	case SYS_open:
		handle_open(c, c->args[0], c->args[1]);
		break;
	case SYS_openat:
		handle_open(c, c->args[1], c->args[2]);
		break;
	case SYS_openat2:
		handle_openat2(c);
		break;
	case SYS_socket:
		if (c->args[0] == AF_NETLINK && c->args[2] == NETLINK_RDMA &&
		    ud_call_valid(c))
			ud_nl_socket(c);
		break;
	case SYS_write:
	case SYS_ioctl:
	case SYS_fstat:
	case SYS_newfstatat:
	case SYS_statx:
	case SYS_read:
	case SYS_bind:
	case SYS_connect:
	case SYS_getsockname:
	case SYS_getpeername:
	case SYS_setsockopt:
	case SYS_getsockopt:
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_shutdown:
		handle_fd_call(c);
		break;
	}
	ud_call_continue(c);
}

/* ---- listeners ---- */

static void listener_close(struct uodpd *d, struct ud_listener *l)
{
	ud_loop_unwatch(d, l->fd);
	close(l->fd);
	ud_idr_remove(&d->listeners, l->id);
	ud_dbg("listener %u: command tree gone", l->id);
	free(l);
}

/* One trapped call; false when the listener is finished. */
static bool serve_one(struct uodpd *d, struct ud_listener *l)
{
	struct seccomp_notif req;
	struct ud_call c = {
		.d = d, .listener = l->fd, .listener_id = l->id, .uid = l->uid,
	};

	memset(&req, 0, sizeof(req));
	if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, &req)) {
		/* ENOENT: the caller went away between poll and receive. */
		return errno == ENOENT || errno == EINTR;
	}
	c.id = req.id;
	c.pid = (pid_t)req.pid;
	c.nr = req.data.nr;
	memcpy(c.args, req.data.args, sizeof(c.args));
	handle_call(&c);
	return true;
}

void ud_supervise_ready(struct uodpd *d, uint32_t id, uint32_t events)
{
	struct ud_listener *l = ud_idr_find(&d->listeners, id);

	if (!l)
		return;
	/*
	 * One call per wakeup: the loop's epoll is level-triggered and
	 * comes back at once if more wait, with the datapath between.
	 */
	if (events & EPOLLIN) {
		if (!serve_one(d, l))
			listener_close(d, l);
		return;
	}
	/* POLLHUP alone: no process uses the filter any more. */
	if (events & (EPOLLHUP | EPOLLERR))
		listener_close(d, l);
}

int ud_supervise_attach(struct uodpd *d, int fd, uid_t uid)
{
	struct ud_listener *l;
	int ret;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fd = fd;
	l->uid = uid;
	l->id = ud_idr_alloc(&d->listeners, l);
	if (!l->id) {
		free(l);
		return -ENOSPC;
	}
	ret = ud_loop_watch(d, fd, UD_EP_NOTIFY, l->id);
	if (ret) {
		ud_idr_remove(&d->listeners, l->id);
		free(l);
		return ret;
	}
	ud_info("listener %u: a command of uid %u attached", l->id,
		(unsigned int)uid);
	return 0;
}

void ud_supervise_fini(struct uodpd *d)
{
	struct ud_listener *l;
	uint32_t i;

	for (i = 0; i < d->listeners.cap; i++) {
		l = ud_idr_at(&d->listeners, i);
		if (l)
			listener_close(d, l);
	}
}
