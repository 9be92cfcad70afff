// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * One timerfd, armed (absolute, CLOCK_MONOTONIC as ud_now_ns) for the
 * earliest pending timer of all queues.  It is armed lazily: starting a
 * timer re-arms only when it is due before what the fd waits for, and a
 * stopped timer leaves the fd armed; an expiry that finds nothing due just
 * arms for the next.  One expiry fires at most UD_TIMER_BATCH timers of a
 * queue, so that a burst of deadlines (a thousand connections timing out
 * at once) is spread over loop passes as any other work is.
 */
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loop.h"
#include "timer.h"
#include "uodpd.h"

#define UD_TIMER_BATCH 64u

static void arm_fd(struct uodpd *d, uint64_t due_ns)
{
	struct itimerspec its = {
		.it_value.tv_sec = (time_t)(due_ns / 1000000000ull),
		.it_value.tv_nsec = (long)(due_ns % 1000000000ull),
	};

	/* 0 would disarm: a due time of 0 is long past anyway. */
	if (!due_ns)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(d->timer_fd, TFD_TIMER_ABSTIME, &its, NULL)) {
		ud_err("timerfd_settime: %s", strerror(errno));
		return;
	}
	d->timer_armed_ns = due_ns;
	d->timer_armed = true;
}

static struct ud_timer *first(const struct ud_timer_queue *q)
{
	if (list_empty(&q->pending))
		return NULL;
	return list_entry(q->pending.n.next, struct ud_timer, link);
}

static void arm_next(struct uodpd *d)
{
	uint64_t next = UINT64_MAX;
	struct ud_timer_queue *q;
	struct ud_timer *t;

	list_for_each(&d->timer_queues, q, struct ud_timer_queue, link) {
		t = first(q);
		if (t && t->due_ns < next)
			next = t->due_ns;
	}
	if (next != UINT64_MAX)
		arm_fd(d, next);
}

int ud_timers_init(struct uodpd *d)
{
	int ret;

	list_head_init(&d->timer_queues);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->timer_fd < 0)
		return -errno;
	ret = ud_loop_watch(d, d->timer_fd, UD_EP_TIMER, 0);
	if (ret) {
		close(d->timer_fd);
		d->timer_fd = -1;
	}
	return ret;
}

void ud_timers_fini(struct uodpd *d)
{
	if (d->timer_fd < 0)
		return;
	ud_loop_unwatch(d, d->timer_fd);
	close(d->timer_fd);
	d->timer_fd = -1;
}

void ud_timer_queue_add(struct uodpd *d, struct ud_timer_queue *q,
			uint64_t period_ns)
{
	list_head_init(&q->pending);
	q->period_ns = period_ns;
	list_add_tail(&d->timer_queues, &q->link);
}

void ud_timer_init(struct ud_timer *t, ud_timer_fn *fire)
{
	list_node_init(&t->link);
	t->due_ns = 0;
	t->fire = fire;
}

void ud_timer_start(struct uodpd *d, struct ud_timer_queue *q,
		    struct ud_timer *t)
{
	list_del(&t->link);
	t->due_ns = ud_now_ns() + q->period_ns;
	list_add_tail(&q->pending, &t->link);
	if (!d->timer_armed || t->due_ns < d->timer_armed_ns)
		arm_fd(d, t->due_ns);
}

void ud_timer_stop(struct ud_timer *t)
{
	list_del(&t->link);
}

bool ud_timer_pending(const struct ud_timer *t)
{
	return t->link.next != &t->link;
}

/* Fire q's due timers, UD_TIMER_BATCH at most. */
static void fire_due(struct uodpd *d, struct ud_timer_queue *q, uint64_t now)
{
	struct ud_timer *t;
	unsigned int n;

	for (n = 0; n < UD_TIMER_BATCH; n++) {
		t = first(q);
		if (!t || t->due_ns > now)
			return;
		/* Unlinked first: the fire may start it again, or free it. */
		list_del(&t->link);
		t->fire(d, t);
	}
}

void ud_timers_expired(struct uodpd *d)
{
	struct ud_timer_queue *q;
	uint64_t expirations, now = ud_now_ns();

	/* Nonblocking: EAGAIN when a re-arm raced the wakeup. */
	if (read(d->timer_fd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		ud_err("timerfd read: %s", strerror(errno));
	d->timer_armed = false;
	list_for_each(&d->timer_queues, q, struct ud_timer_queue, link)
		fire_due(d, q, now);
	arm_next(d);
}
