// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Completion channels and CQ arming, as mlx5 hardware and ib_uverbs do it.
 *
 * A channel is a pipe: the process reads struct ib_uverbs_comp_event_desc
 * records ({cq_handle}) from its end, so read, poll, epoll and O_NONBLOCK
 * are the kernel's own.  uodpd keeps the write end and a reader of its own,
 * with which a destroyed CQ's unread events are taken back out, as
 * ib_uverbs_release_ucq does, so no record ever names a freed CQ.
 *
 * Arming is mlx5's: the provider writes the arm doorbell record
 * (dbrec[1] = sn << 28 | cmd | ci, big-endian) and rings the doorbell.  A
 * record that differs from the last one acted on is a new arm; the CQ then
 * fires once, on the next CQE added (solicited arms: the next solicited or
 * error CQE), as ibv_req_notify_cq(3) says.  Every CQE push looks at the
 * record right after the CQE became visible, so a CQE added after the arm
 * was written always sees it;
 * CQEs that were there before the arm raise nothing (the process polls
 * after arming).  Each event bumps the provider's sn, so the next arm is
 * always new.
 *
 * An event never waits on the process: when the pipe is full it is
 * counted on its CQ and written when the process has read some (epoll,
 * edge-triggered EPOLLOUT on the write end), as the kernel queues its
 * event entries, so a program that reads late loses none.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "loop.h"
#include "hw/mlx5/cqe.h"
#include "uverbs.h"

#define MAX_CHANNELS_PER_FILE 1024u
#define PIPE_CHUNK 65536u	/* a default pipe's size */

/* ---- creation ---- */

/*
 * The daemon's fds a channel holds: the write end, and a completion
 * channel's drain (an event channel has none: see ud_channel_create).
 */
static uint32_t channel_fds(enum ud_channel_kind kind)
{
	return kind == UD_CHANNEL_COMP ? 2 : 1;
}

static int channel_count(const struct ud_ufile *f)
{
	const struct ud_channel *ch;
	unsigned int n = 0;

	list_for_each(&f->channels, ch, struct ud_channel, link)
		n += ch->ufile == f;
	return (int)n;
}

int ud_reopen_nonblock(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

static struct ud_channel *channel_new(struct ud_ufile *f, int pipefd[2])
{
	struct ud_channel *ch;
	struct stat st;

	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	list_head_init(&ch->cqs);
	ch->ufile = f;
	ch->wfd = pipefd[1];
	ch->drain_fd = ud_reopen_nonblock(pipefd[0]);
	if (ch->drain_fd < 0 || fstat(pipefd[0], &st) ||
	    fcntl(ch->wfd, F_SETFL, O_NONBLOCK)) {
		if (ch->drain_fd >= 0)
			close(ch->drain_fd);
		free(ch);
		return NULL;
	}
	ch->st_dev = st.st_dev;
	ch->st_ino = st.st_ino;
	list_add_tail(&f->channels, &ch->link);
	return ch;
}

int ud_channel_create(struct ud_call *c, struct ud_ufile *f,
		      enum ud_channel_kind kind, struct ud_channel **out)
{
	struct ud_channel *ch;
	int pipefd[2], fd;

	if ((unsigned int)channel_count(f) >= MAX_CHANNELS_PER_FILE)
		return -EMFILE;
	fd = ud_fds_take(c->d, f, channel_fds(kind));
	if (fd)
		return fd;
	if (pipe2(pipefd, O_CLOEXEC)) {
		fd = -errno;
		ud_fds_give(c->d, f, channel_fds(kind));
		return fd;
	}
	ch = channel_new(f, pipefd);
	if (!ch) {
		close(pipefd[0]);
		close(pipefd[1]);
		ud_fds_give(c->d, f, channel_fds(kind));
		return -ENOMEM;
	}
	/* From here on, ud_channel_destroy gives the fds back. */
	ch->kind = kind;
	/*
	 * Only completion channels have events to take back.  An event
	 * channel must have no reader of ours: the process closing its end
	 * is how the device learns the channel is gone (EPOLLERR).
	 */
	if (kind != UD_CHANNEL_COMP) {
		close(ch->drain_fd);
		ch->drain_fd = -1;
	}
	/* Like the kernel's anon inode fd: close-on-exec, blocking. */
	fd = ud_call_install_fd(c, pipefd[0], -1, true, false);
	close(pipefd[0]);
	if (fd < 0)
		goto err_destroy;
	/*
	 * A completion channel: edge-triggered EPOLLOUT, a wakeup each time
	 * a full pipe gets room.  An event channel has no reader of ours:
	 * EPOLLERR says the process closed it, and it is freed, as the
	 * kernel frees the file.
	 */
	ch->id = ud_idr_alloc(&c->d->channels, ch);
	if (!ch->id || ud_loop_watch_events(c->d, ch->wfd,
					    kind == UD_CHANNEL_COMP ?
					    EPOLLOUT | EPOLLET : 0,
					    UD_EP_CHANNEL, ch->id)) {
		fd = -ENOMEM;
		goto err_destroy;	/* the installed fd reads EOF */
	}
	*out = ch;
	return fd;

err_destroy:
	ud_channel_destroy(c->d, ch);
	return fd;
}

int ud_cmd_create_comp_channel(struct ud_call *c, struct ud_ufile *f,
			       const struct ud_write_cmd *cmd)
{
	struct ib_uverbs_create_comp_channel_resp resp = { 0 };
	struct ud_channel *ch;
	int fd;

	/* The answer's room first: no fd is installed for a broken buffer. */
	if (ud_write_respond(c, cmd, &resp, sizeof(resp), NULL, 0))
		return -EFAULT;
	fd = ud_channel_create(c, f, UD_CHANNEL_COMP, &ch);
	if (fd < 0)
		return fd;
	resp.fd = (uint32_t)fd;
	if (ud_write_respond(c, cmd, &resp, sizeof(resp), NULL, 0))
		return -EFAULT;	/* it was writable a moment ago */
	return 0;
}

void ud_channel_destroy(struct uodpd *d, struct ud_channel *ch)
{
	struct ud_cq *cq;

	list_for_each_safe(&ch->cqs, cq, tmp, struct ud_cq, channel_link) {
		list_del(&cq->channel_link);
		cq->channel = NULL;
	}
	list_del(&ch->link);
	if (ch->id)
		ud_idr_remove(&d->channels, ch->id);
	close(ch->wfd);		/* and out of epoll: nobody else holds it */
	if (ch->drain_fd >= 0)
		close(ch->drain_fd);
	ud_fds_give(d, ch->ufile, channel_fds(ch->kind));
	free(ch);
}

struct ud_channel *ud_channel_find(struct ud_ufile *f, pid_t pid, int fd,
				   enum ud_channel_kind kind)
{
	struct ud_channel *ch;
	struct stat st;

	if (!f || fd < 0 || ud_pid_fd_stat(pid, fd, &st))
		return NULL;
	list_for_each(&f->channels, ch, struct ud_channel, link)
		if (ch->st_ino == st.st_ino && ch->st_dev == st.st_dev &&
		    ch->kind == kind)
			return ch;
	return NULL;
}

struct ud_channel *ud_channel_lookup(struct ud_ctx *ctx, pid_t pid, int fd)
{
	return ud_channel_find(ctx->ufile, pid, fd, UD_CHANNEL_COMP);
}

void ud_channel_bind_cq(struct ud_channel *ch, struct ud_cq *cq)
{
	cq->channel = ch;
	cq->arm_seen = 0;	/* what a new CQ's record holds */
	ud_qbuf_load_be32(&cq->mem.db, MLX5_CQ_ARM_DB, &cq->arm_seen);
	list_add_tail(&ch->cqs, &cq->channel_link);
}

/* ---- events ---- */

static bool write_event(struct ud_cq *cq)
{
	struct ib_uverbs_comp_event_desc ev = { .cq_handle = cq->user_handle };

	/* 8 bytes, below PIPE_BUF: written whole or not at all. */
	if (write(cq->channel->wfd, &ev, sizeof(ev)) != sizeof(ev))
		return false;
	cq->comp_events++;
	return true;
}

/* Events that waited for room first, in order. */
static void flush_pending(struct ud_cq *cq)
{
	while (cq->events_pending && write_event(cq))
		cq->events_pending--;
}

/* The event, or one more waiting for room. */
static void fire(struct ud_cq *cq)
{
	cq->armed = false;
	flush_pending(cq);
	if (cq->events_pending || !write_event(cq))
		cq->events_pending++;
}

void ud_channel_ready(struct uodpd *d, uint32_t id, uint32_t events)
{
	struct ud_channel *ch = ud_idr_find(&d->channels, id);
	struct ud_cq *cq;

	if (!ch)
		return;		/* destroyed earlier in this batch */
	if (ch->kind != UD_CHANNEL_COMP) {
		if (events & (EPOLLERR | EPOLLHUP))
			ud_channel_destroy(d, ch);
		return;
	}
	list_for_each(&ch->cqs, cq, struct ud_cq, channel_link)
		flush_pending(cq);
}

/* Everything unread in the pipe, whole records, into *buf (malloc'd). */
static size_t read_all(int drain_fd, size_t rec_size, uint8_t **buf)
{
	size_t len = 0, cap = 0;
	uint8_t *p = NULL, *q;
	ssize_t got;

	for (;;) {
		if (cap - len < PIPE_CHUNK) {
			q = realloc(p, cap + PIPE_CHUNK);
			if (!q)
				break;
			p = q;
			cap += PIPE_CHUNK;
		}
		got = read(drain_fd, p + len, cap - len);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	*buf = p;
	/* Writers write whole records (below PIPE_BUF), readers read them. */
	return len - len % rec_size;
}

uint32_t ud_pipe_take_back(int drain_fd, int wfd, size_t rec_size,
			   uint64_t element)
{
	size_t len, off, kept = 0;
	uint32_t removed = 0;
	uint8_t *buf;
	uint64_t el;

	if (rec_size < sizeof(el))
		return 0;
	len = read_all(drain_fd, rec_size, &buf);
	for (off = 0; off < len; off += rec_size) {
		memcpy(&el, buf + off, sizeof(el));
		if (el == element) {
			removed++;
			continue;
		}
		memmove(buf + kept, buf + off, rec_size);
		kept += rec_size;
	}
	if (kept && write(wfd, buf, kept) != (ssize_t)kept)
		ud_warn("events of other objects lost: %s", strerror(errno));
	free(buf);
	return removed;
}

uint32_t ud_channel_unbind_cq(struct ud_cq *cq)
{
	uint32_t removed;

	if (!cq->channel)
		return 0;
	removed = ud_pipe_take_back(cq->channel->drain_fd, cq->channel->wfd,
				    sizeof(struct ib_uverbs_comp_event_desc),
				    cq->user_handle);
	if (removed > cq->comp_events)
		removed = cq->comp_events;
	list_del(&cq->channel_link);
	cq->channel = NULL;
	return cq->comp_events - removed;
}

/* A new arm record is a new arm (solicited or not). */
static void notice_arm(struct ud_cq *cq)
{
	uint32_t arm;

	if (ud_qbuf_load_be32(&cq->mem.db, MLX5_CQ_ARM_DB, &arm) ||
	    arm == cq->arm_seen)
		return;
	cq->arm_seen = arm;
	cq->armed = true;
	cq->arm_solicited = (arm & MLX5_CQ_ARM_CMD_MASK) ==
			    MLX5_CQ_DB_REQ_NOT_SOL;
}

void ud_cq_check_arm(struct ud_cq *cq, bool pushed, bool solicited_cqe)
{
	if (!cq->channel)
		return;
	/* The arm first: what waits for room can wait a little longer. */
	notice_arm(cq);
	if (pushed && cq->armed && (!cq->arm_solicited || solicited_cqe))
		fire(cq);
	else
		flush_pending(cq);
}

void ud_ctx_check_arms(struct ud_ctx *ctx)
{
	struct ud_cq *cq;

	list_for_each(&ctx->cqs, cq, struct ud_cq, ctx_link)
		ud_cq_check_arm(cq, false, false);
}
