// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * An rdma_cm file's life, as rdma_ucm gives it: open() of
 * /dev/infiniband/rdma_cm makes one (librdmacm's event channel), its IDs
 * belong to it, write() carries the commands, and poll() says POLLIN while
 * events wait.  Its release (last close anywhere, exec, exit) destroys its
 * IDs, and their peers hear of it as from a kernel that closed the file.
 *
 * The fd given to the process is the read end of a pipe of ours, at a
 * command fd number (so the filter traps write and fstat on it).  A byte
 * sits in the pipe exactly while events are queued, so poll, epoll and
 * select are the kernel's own; O_NONBLOCK is the file's own flag, which
 * GET_EVENT reads from /proc.  As for command fds, an inotify watch on the
 * pipe counts its open files, and the close of the last one the process
 * holds is the release.
 *
 * GET_EVENT on an empty queue blocks as in the kernel: its notification
 * stays unanswered (a waiter) until an event comes.  An event is taken
 * off the queue only once its waiter got it, so a caller killed meanwhile
 * loses nothing the next reader would see.  While there are waiters, a
 * watch timer looks at them (5 ms, doubling up to 160 ms): a signal that
 * would wake an interruptible sleep answers the call -ERESTARTSYS
 * (interrupt.c), a caller gone is forgotten.  A file closed everywhere
 * while a thread waits in it stays, as the kernel's write holds its file:
 * events still reach the waiter, and the release comes after the last
 * waiter was answered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "ctl.h"
#include "interrupt.h"
#include "ucma.h"
#include "uverbs.h"

#define RDMA_CM_NODE "/dev/infiniband/rdma_cm"
#define CM_HASH_SIZE (sizeof(((struct uodpd *)0)->cm_file_hash) / \
		      sizeof(((struct uodpd *)0)->cm_file_hash[0]))

/* A blocked GET_EVENT. */
struct ud_cm_waiter_rec {
	struct list_node link;
	struct ud_deferred call;
	pid_t pid;
	uint64_t response;
	uint32_t out;
	uint64_t write_len;		/* what write() returns */
};

static struct list_head *hash_head(struct uodpd *d, ino_t ino)
{
	return &d->cm_file_hash[ino % CM_HASH_SIZE];
}

/* The watch's periods, by step (UD_CM_WATCH_STEPS). */
#define CM_WATCH_FIRST_NS 5000000ull

static void file_watch(struct uodpd *d, struct ud_timer *t);

int ud_ucma_init(struct uodpd *d)
{
	unsigned int i;

	for (i = 0; i < UD_CM_WATCH_STEPS; i++)
		ud_timer_queue_add(d, &d->cm_watch[i],
				   i ? CM_WATCH_FIRST_NS << (i - 1) : 0);

	for (i = 0; i < CM_HASH_SIZE; i++)
		list_head_init(&d->cm_file_hash[i]);
	ud_idr_init(&d->cm_files, 1, UD_NUM_MAX);
	ud_idr_init(&d->cm_ids, 1, UD_NUM_MAX);
	ud_cm_addr_init(d);
	ud_cm_waits_init(d);
	return 0;
}

/* ---- the readable byte ---- */

static void set_readable(struct ud_cm_file *f, bool readable)
{
	char b = 0;

	if (readable == f->readable)
		return;
	if (readable ? write(f->wfd, &b, 1) == 1 : read(f->drain_fd, &b, 1) == 1)
		f->readable = readable;
}

/* ---- events ---- */

struct ud_cm_event *ud_cm_event_new(struct ud_cm_id *id, uint32_t event,
				    int32_t status)
{
	struct ud_cm_event *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->id = id;
	ev->resp.uid = id->uid;
	ev->resp.id = id->handle;
	ev->resp.event = event;
	ev->resp.status = (uint32_t)status;
	return ev;
}

void ud_cm_event_queue(struct uodpd *d, struct ud_cm_event *ev)
{
	struct ud_cm_file *f = ev->id->file;

	list_add_tail(&f->events, &ev->link);
	f->nevents++;
	set_readable(f, true);
	ud_ucma_wake(d, f);
}

static void event_free(struct uodpd *d, struct ud_cm_event *ev)
{
	/* An unreported request's ID was never the process's to know. */
	if (ev->conn_req)
		ud_cm_id_destroy(d, ev->conn_req);
	free(ev);
}

static void event_unlink(struct ud_cm_file *f, struct ud_cm_event *ev)
{
	list_del(&ev->link);
	f->nevents--;
	if (!f->nevents)
		set_readable(f, false);
}

void ud_cm_events_purge(struct uodpd *d, struct ud_cm_id *id)
{
	struct ud_cm_file *f = id->file;
	struct ud_cm_event *ev;

	list_for_each_safe(&f->events, ev, tmp, struct ud_cm_event, link) {
		if (ev->id != id)
			continue;
		event_unlink(f, ev);
		if (ev->conn_req && id->pending)
			id->pending--;
		event_free(d, ev);
	}
}

void ud_cm_events_drop_request(struct uodpd *d, struct ud_cm_id *id)
{
	struct ud_cm_id *l = id->listener;
	struct ud_cm_file *f = l->file;
	struct ud_cm_event *ev;

	(void)d;
	list_for_each_safe(&f->events, ev, tmp, struct ud_cm_event, link) {
		if (ev->conn_req != id)
			continue;
		event_unlink(f, ev);
		if (l->pending)
			l->pending--;
		free(ev);
	}
	id->listener = NULL;
}

int ud_cm_migrate(struct uodpd *d, struct ud_cm_id *id,
		  struct ud_cm_file *to)
{
	struct ud_cm_file *from = id->file;
	struct ud_cm_event *ev;

	if (to->nids >= UD_CM_FILE_MAX_IDS)
		return -ENOMEM;
	list_del(&id->file_link);
	from->nids--;
	list_add_tail(&to->ids, &id->file_link);
	to->nids++;
	id->file = to;
	/* Its events keep their order; the requests they carry go along. */
	list_for_each_safe(&from->events, ev, tmp, struct ud_cm_event, link) {
		if (ev->id != id)
			continue;
		event_unlink(from, ev);
		if (ev->conn_req) {
			list_del(&ev->conn_req->file_link);
			from->nids--;
			list_add_tail(&to->ids, &ev->conn_req->file_link);
			to->nids++;
			ev->conn_req->file = to;
		}
		list_add_tail(&to->events, &ev->link);
		to->nevents++;
	}
	if (to->nevents) {
		set_readable(to, true);
		ud_ucma_wake(d, to);
	}
	return 0;
}

/* What reporting ev does to its ID, as ucma_get_event(). */
static void event_reported(struct ud_cm_event *ev)
{
	struct ud_cm_id *id = ev->id;

	id->events_reported++;
	if (ev->conn_req) {
		/* The request is the process's now; the backlog has room. */
		if (id->pending)
			id->pending--;
		ev->conn_req->listener = NULL;
		ev->conn_req = NULL;
	}
}

static size_t resp_len(uint32_t out)
{
	return out < sizeof(struct rdma_ucm_event_resp) ?
		       out : sizeof(struct rdma_ucm_event_resp);
}

/*
 * Give the first event to a waiter: 0 (reported), -EFAULT (answered with
 * it, the event stays), -ENOENT (the waiter is gone, the event stays).
 */
static int deliver(struct uodpd *d, struct ud_cm_file *f,
		   struct ud_cm_waiter_rec *w)
{
	struct ud_cm_event *ev = list_entry(f->events.n.next,
					    struct ud_cm_event, link);
	int ret;

	if (ud_pid_write(w->pid, w->response, &ev->resp, resp_len(w->out))) {
		ud_call_answer_deferred(d, &w->call, 0, -EFAULT);
		return -EFAULT;
	}
	/* Off the queue (and poll's byte gone) before the reader runs on. */
	event_unlink(f, ev);
	ret = ud_call_answer_deferred(d, &w->call, (int64_t)w->write_len, 0);
	if (ret) {
		/* Nobody got it: it is the next reader's, first in line. */
		list_add_head(&f->events, &ev->link);
		f->nevents++;
		set_readable(f, true);
		return ret;
	}
	ud_dbg("rdma_cm file %u: event %u of ID %u to pid %d", f->id,
	       ev->resp.event, ev->id->handle, (int)w->pid);
	event_reported(ev);
	free(ev);
	return 0;
}

static void watch_at(struct uodpd *d, struct ud_cm_file *f, uint8_t step)
{
	f->watch_step = step;
	ud_timer_start(d, &d->cm_watch[step], &f->watch);
}

static void waiter_drop(struct uodpd *d, struct ud_cm_file *f,
			struct ud_cm_waiter_rec *w)
{
	list_del(&w->link);
	free(w);
	/*
	 * The last one of a closed file: released from the loop, not from
	 * within the CM operation whose event answered the waiter.
	 */
	if (!--f->nwaiters && f->closing)
		watch_at(d, f, 0);
}

void ud_ucma_wake(struct uodpd *d, struct ud_cm_file *f)
{
	struct ud_cm_waiter_rec *w;

	while (f->nevents && !list_empty(&f->waiters)) {
		w = list_entry(f->waiters.n.next, struct ud_cm_waiter_rec, link);
		deliver(d, f, w);
		waiter_drop(d, f, w);
	}
}

/* Whether the caller's file at fd has O_NONBLOCK (/proc/PID/fdinfo). */
static bool fd_nonblock(pid_t pid, int fd)
{
	char path[64], line[128];
	unsigned int flags = 0;
	bool found = false;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	fp = fopen(path, "re");
	if (!fp)
		return false;
	while (!found && fgets(line, sizeof(line), fp))
		found = sscanf(line, "flags: %o", &flags) == 1;
	fclose(fp);
	return flags & O_NONBLOCK;
}

/*
 * Forget waiters whose callers went away, so that the bound holds; with
 * signals, answer those a signal wakes.
 */
static void prune_waiters(struct uodpd *d, struct ud_cm_file *f,
			  bool signals)
{
	struct ud_cm_waiter_rec *w;

	list_for_each_safe(&f->waiters, w, tmp, struct ud_cm_waiter_rec,
			   link) {
		if (!ud_call_deferred_valid(d, &w->call)) {
			waiter_drop(d, f, w);
		} else if (signals && ud_thread_signalled(w->pid)) {
			ud_dbg("rdma_cm file %u: GET_EVENT of pid %d interrupted",
			       f->id, (int)w->pid);
			ud_call_answer_deferred(d, &w->call, 0, -UD_ERESTARTSYS);
			waiter_drop(d, f, w);
		}
	}
}

static void file_release(struct uodpd *d, struct ud_cm_file *f);

static void file_watch(struct uodpd *d, struct ud_timer *t)
{
	struct ud_cm_file *f = container_of(t, struct ud_cm_file, watch);

	prune_waiters(d, f, true);
	if (f->closing && !f->nwaiters) {
		file_release(d, f);
		return;
	}
	if (f->nwaiters)
		watch_at(d, f, f->watch_step + 1 < UD_CM_WATCH_STEPS ?
				       f->watch_step + 1 : f->watch_step);
}

/* Closed everywhere: released, unless a blocked write still holds it. */
static void file_closed(struct uodpd *d, struct ud_cm_file *f)
{
	prune_waiters(d, f, false);
	if (!f->nwaiters) {
		file_release(d, f);
		return;
	}
	ud_dbg("rdma_cm file %u closed; %u GET_EVENT(s) hold it", f->id,
	       f->nwaiters);
	f->closing = true;
}

static int add_waiter(struct ud_call *c, struct ud_cm_file *f,
		      const struct ud_ucma_cmd *cmd)
{
	struct ud_cm_waiter_rec *w;

	if (f->nwaiters >= UD_CM_FILE_MAX_WAITERS)
		prune_waiters(c->d, f, false);
	/* More threads blocked on one file than any program needs. */
	if (f->nwaiters >= UD_CM_FILE_MAX_WAITERS)
		return -EAGAIN;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->call.listener_id = c->listener_id;
	w->call.notif_id = c->id;
	w->pid = c->pid;
	w->response = cmd->u.get_event.response;
	w->out = cmd->out;
	w->write_len = c->args[2];
	list_add_tail(&f->waiters, &w->link);
	f->nwaiters++;
	/* A new waiter is looked at soon, whatever the others' pace. */
	watch_at(c->d, f, 1);
	ud_call_defer(c);
	return 0;
}

void ud_ucma_get_event(struct ud_call *c, struct ud_cm_file *f,
		       const struct ud_ucma_cmd *cmd)
{
	int ret;

	/* The kernel's minimum: the response up to its ECE tail. */
	if (cmd->out < offsetof(struct rdma_ucm_event_resp, reserved)) {
		ud_call_fail(c, -ENOSPC);
		return;
	}
	/* Queued behind the readers before it; it waits if nothing is there. */
	if (!f->nevents && fd_nonblock(c->pid, (int)c->args[0]))
		ret = -EAGAIN;
	else
		ret = add_waiter(c, f, cmd);
	if (ret) {
		ud_call_fail(c, ret);
		return;
	}
	ud_ucma_wake(c->d, f);
}

/* ---- open ---- */

static void node_stat(struct stat *node)
{
	if (!stat(RDMA_CM_NODE, node) && S_ISCHR(node->st_mode))
		return;
	memset(node, 0, sizeof(*node));
	node->st_mode = S_IFCHR | 0666;
	node->st_nlink = 1;
}

static int watch_pipe(struct uodpd *d, struct ud_cm_file *f, int rfd)
{
	char path[64];
	struct stat st;

	if (fstat(rfd, &st))
		return -errno;
	f->st_dev = st.st_dev;
	f->st_ino = st.st_ino;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", rfd);
	f->wd = inotify_add_watch(d->inotify_fd, path, IN_OPEN |
				  IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
	return f->wd < 0 ? -errno : 0;
}

static struct ud_cm_file *file_new(struct uodpd *d)
{
	struct ud_cm_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->wd = -1;
	f->wfd = -1;
	f->drain_fd = -1;
	list_head_init(&f->ids);
	list_head_init(&f->events);
	list_head_init(&f->waiters);
	ud_timer_init(&f->watch, file_watch);
	list_node_init(&f->hash_link);
	node_stat(&f->node);
	f->id = ud_idr_alloc(&d->cm_files, f);
	if (!f->id) {
		free(f);
		return NULL;
	}
	if (ud_fd_share_take(d, &f->fds, UD_CM_FILE_FDS)) {
		ud_idr_remove(&d->cm_files, f->id);
		free(f);
		return NULL;
	}
	return f;
}

static void file_free(struct uodpd *d, struct ud_cm_file *f)
{
	struct ud_cm_waiter_rec *w;

	/* The daemon's end: nobody answers those still blocked. */
	ud_timer_stop(&f->watch);
	while (!list_empty(&f->waiters)) {
		w = list_entry(f->waiters.n.next, struct ud_cm_waiter_rec, link);
		list_del(&w->link);
		free(w);
	}
	if (f->wd >= 0)
		inotify_rm_watch(d->inotify_fd, f->wd);
	if (f->wfd >= 0)
		close(f->wfd);
	if (f->drain_fd >= 0)
		close(f->drain_fd);
	list_del(&f->hash_link);
	ud_fd_share_give(d, &f->fds, UD_CM_FILE_FDS);
	ud_idr_remove(&d->cm_files, f->id);
	free(f);
}

static void file_release(struct uodpd *d, struct ud_cm_file *f)
{
	struct ud_cm_id *id;

	ud_dbg("rdma_cm file %u released", f->id);
	/* Each destroy purges its events (and the requests they carry). */
	while (!list_empty(&f->ids)) {
		id = list_entry(f->ids.n.next, struct ud_cm_id, file_link);
		ud_cm_id_destroy(d, id);
	}
	while (!list_empty(&f->events)) {
		struct ud_cm_event *ev = list_entry(f->events.n.next,
						    struct ud_cm_event, link);

		event_unlink(f, ev);
		free(ev);
	}
	file_free(d, f);
}

void ud_ucma_fini(struct uodpd *d)
{
	struct ud_cm_file *f;
	uint32_t i;

	for (i = 0; i < d->cm_files.cap; i++) {
		f = ud_idr_at(&d->cm_files, i);
		if (f)
			file_release(d, f);
	}
	ud_idr_destroy(&d->cm_files);
	ud_idr_destroy(&d->cm_ids);
}

/* The pipe's ends, ours nonblocking; the watch before anyone reopens it. */
static int file_pipe(struct uodpd *d, struct ud_cm_file *f, int *rfd)
{
	int p[2], ret;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	f->wfd = p[1];
	f->drain_fd = ud_reopen_nonblock(p[0]);
	ret = f->drain_fd < 0 ? -errno : 0;
	if (!ret && fcntl(f->wfd, F_SETFL, O_NONBLOCK))
		ret = -errno;
	if (!ret)
		ret = watch_pipe(d, f, p[0]);
	if (ret) {
		close(p[0]);
		return ret;
	}
	*rfd = p[0];
	return 0;
}

void ud_ucma_open(struct ud_call *c, int flags)
{
	struct uodpd *d = c->d;
	struct ud_cm_file *f;
	int rfd = -1, number, ret;
	struct ud_creds cr;
	pid_t tgid;

	ret = ud_call_creds(c, &cr);
	tgid = ret ? ret : cr.tgid;
	f = tgid < 0 ? NULL : file_new(d);
	if (!f) {
		ud_call_fail(c, tgid < 0 ? tgid : -ENFILE);
		return;
	}
	ud_pid_ns_of(c->pid, cr.ns_tgid, &f->pid_ns);
	f->uid = cr.euid;
	ret = file_pipe(d, f, &rfd);
	number = ret ? ret : ud_free_cmdfd_number(c->pid, tgid);
	if (number < 0) {
		ret = number;
		goto err;
	}
	/* The file given away was opened before the watch: count it. */
	f->opens = 1;
	list_add_tail(hash_head(d, f->st_ino), &f->hash_link);
	ret = ud_call_install_fd(c, rfd, number, flags & O_CLOEXEC, true);
	if (ret < 0)
		goto err;
	close(rfd);
	ud_dbg("rdma_cm file %u opened by pid %d as fd %d", f->id, (int)c->pid,
	       number);
	return;

err:
	if (rfd >= 0)
		close(rfd);
	file_free(d, f);
	ud_call_fail(c, ret);
}

/* ---- finding and releasing ---- */

struct ud_cm_file *ud_ucma_by_inode(struct uodpd *d, dev_t dev, ino_t ino)
{
	struct ud_cm_file *f;

	list_for_each(hash_head(d, ino), f, struct ud_cm_file, hash_link)
		if (f->st_ino == ino && f->st_dev == dev)
			return f;
	return NULL;
}

struct ud_cm_file *ud_ucma_lookup(struct uodpd *d, pid_t pid, int fd)
{
	struct stat st;

	if (ud_pid_fd_stat(pid, fd, &st))
		return NULL;
	return ud_ucma_by_inode(d, st.st_dev, st.st_ino);
}

void ud_ucma_inotify(struct uodpd *d, int wd, uint32_t mask)
{
	struct ud_cm_file *f;
	uint32_t i;

	for (i = 0; i < CM_HASH_SIZE; i++)
		list_for_each(&d->cm_file_hash[i], f, struct ud_cm_file,
			      hash_link) {
			if (f->wd != wd)
				continue;
			/* Reopened (/proc/PID/fd): no longer closing. */
			if (mask & IN_OPEN) {
				f->opens++;
				f->closing = false;
			}
			if ((mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) &&
			    !--f->opens)
				file_closed(d, f);
			return;
		}
}

/* ---- calls ---- */

void ud_ucma_write(struct ud_call *c, struct ud_cm_file *f)
{
	_Alignas(8) uint8_t buf[sizeof(struct rdma_ucm_cmd_hdr) +
				UD_UCMA_MAX_LEN];
	uint64_t addr = c->args[1], len = c->args[2];
	size_t n = len < sizeof(buf) ? len : sizeof(buf);
	struct ud_ucma_cmd cmd;
	int ret;

	if (ud_pid_read(c->pid, addr, buf, n)) {
		ud_call_fail(c, -EFAULT);
		return;
	}
	ret = ud_ucma_decode(buf, len, n, &cmd);
	if (!ret)
		ud_dbg("rdma_cm file %u: command %u by pid %d", f->id, cmd.cmd,
		       (int)c->pid);
	if (!ret && cmd.cmd == RDMA_USER_CM_CMD_GET_EVENT) {
		ud_ucma_get_event(c, f, &cmd);
		return;
	}
	if (!ret)
		ret = ud_ucma_run(c, f, &cmd);
	if (ret) {
		ud_dbg("rdma_cm file %u: command %u: %s", f->id, cmd.cmd,
		       strerror(-ret));
		ud_call_fail(c, ret);
	} else {
		ud_call_return(c, (int64_t)len);
	}
}
