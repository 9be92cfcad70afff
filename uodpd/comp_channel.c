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
 * record first, so a CQE added after the arm was written always sees it;
 * CQEs that were there before the arm raise nothing (the process polls
 * after arming).  Each event bumps the provider's sn, so the next arm is
 * always new.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "hw/mlx5/cqe.h"
#include "uverbs.h"

#define MAX_CHANNELS_PER_FILE 1024u
#define DRAIN_BATCH 512u

/* ---- creation ---- */

static int channel_count(const struct ud_ufile *f)
{
	const struct ud_channel *ch;
	unsigned int n = 0;

	list_for_each(&f->channels, ch, struct ud_channel, link)
		n += ch->ufile == f;
	return (int)n;
}

static int reopen_nonblock(int fd)
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
	ch->drain_fd = reopen_nonblock(pipefd[0]);
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

int ud_cmd_create_comp_channel(struct ud_call *c, struct ud_ufile *f,
			       const struct ud_write_cmd *cmd)
{
	struct ib_uverbs_create_comp_channel_resp resp;
	struct ud_channel *ch;
	int pipefd[2], fd;

	if ((unsigned int)channel_count(f) >= MAX_CHANNELS_PER_FILE)
		return -EMFILE;
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	ch = channel_new(f, pipefd);
	if (!ch) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -ENOMEM;
	}
	/* Like the kernel's anon inode fd: close-on-exec, blocking. */
	fd = ud_call_install_fd(c, pipefd[0], -1, true, false);
	close(pipefd[0]);
	if (fd < 0) {
		ud_channel_destroy(ch);
		return fd;
	}
	resp.fd = (uint32_t)fd;
	if (ud_write_respond(c, cmd, &resp, sizeof(resp), NULL, 0))
		return -EFAULT;	/* the fd stays: the caller broke its buffer */
	return 0;
}

void ud_channel_destroy(struct ud_channel *ch)
{
	struct ud_cq *cq;

	list_for_each_safe(&ch->cqs, cq, tmp, struct ud_cq, channel_link) {
		list_del(&cq->channel_link);
		cq->channel = NULL;
	}
	list_del(&ch->link);
	close(ch->wfd);
	close(ch->drain_fd);
	free(ch);
}

struct ud_channel *ud_channel_lookup(struct ud_ctx *ctx, pid_t pid, int fd)
{
	struct ud_channel *ch;
	char path[64];
	struct stat st;

	if (!ctx->ufile || fd < 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	if (stat(path, &st))
		return NULL;
	list_for_each(&ctx->ufile->channels, ch, struct ud_channel, link)
		if (ch->st_ino == st.st_ino && ch->st_dev == st.st_dev)
			return ch;
	return NULL;
}

void ud_channel_bind_cq(struct ud_channel *ch, struct ud_cq *cq)
{
	cq->channel = ch;
	cq->arm_seen = be32toh(cq->dbrec[MLX5_CQ_ARM_DB]);
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

static void fire(struct ud_cq *cq)
{
	cq->armed = false;
	cq->event_pending = !write_event(cq);
}

/* Pull every record out of the channel, put back all but cq's. */
static uint32_t take_back_events(struct ud_channel *ch, struct ud_cq *cq)
{
	struct ib_uverbs_comp_event_desc ev[DRAIN_BATCH];
	uint32_t removed = 0, kept = 0, i;
	ssize_t n;

	n = read(ch->drain_fd, ev, sizeof(ev));
	if (n <= 0)
		return 0;
	n /= (ssize_t)sizeof(ev[0]);
	for (i = 0; i < (uint32_t)n; i++) {
		if (ev[i].cq_handle == cq->user_handle)
			removed++;
		else
			ev[kept++] = ev[i];
	}
	if (kept && write(ch->wfd, ev, kept * sizeof(ev[0])) < 0)
		ud_warn("completion channel: events of other CQs lost: %s",
			strerror(errno));
	return removed;
}

uint32_t ud_channel_unbind_cq(struct ud_cq *cq)
{
	uint32_t removed;

	if (!cq->channel)
		return 0;
	removed = take_back_events(cq->channel, cq);
	if (removed > cq->comp_events)
		removed = cq->comp_events;
	list_del(&cq->channel_link);
	cq->channel = NULL;
	return cq->comp_events - removed;
}

void ud_cq_check_arm(struct ud_cq *cq, bool pushed, bool solicited_cqe)
{
	uint32_t arm;

	if (!cq->channel)
		return;
	if (cq->event_pending) {
		cq->event_pending = !write_event(cq);
		return;
	}
	arm = be32toh(cq->dbrec[MLX5_CQ_ARM_DB]);
	if (arm != cq->arm_seen) {
		cq->arm_seen = arm;
		cq->armed = true;
		cq->arm_solicited = (arm & MLX5_CQ_ARM_CMD_MASK) ==
				    MLX5_CQ_DB_REQ_NOT_SOL;
	}
	if (pushed && cq->armed && (!cq->arm_solicited || solicited_cqe))
		fire(cq);
}

void ud_ctx_check_arms(struct ud_ctx *ctx)
{
	struct ud_cq *cq;

	list_for_each(&ctx->cqs, cq, struct ud_cq, ctx_link)
		ud_cq_check_arm(cq, false, false);
}
