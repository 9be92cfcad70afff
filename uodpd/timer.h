/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The daemon's timers: a timerfd in the loop's epoll set, and queues of
 * timers of one period each.  Timers of one period are due in the order
 * they were started, so a queue is a FIFO: starting, stopping and finding
 * the next due timer are O(1) and need no memory (the connection manager's
 * waits are of a few fixed lengths; a queue per length).
 */
#ifndef UODPD_TIMER_H
#define UODPD_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "list.h"

struct uodpd;
struct ud_timer;

typedef void ud_timer_fn(struct uodpd *d, struct ud_timer *t);

struct ud_timer {
	struct list_node link;		/* in its queue while pending */
	uint64_t due_ns;		/* ud_now_ns() */
	ud_timer_fn *fire;
};

struct ud_timer_queue {
	struct list_head pending;	/* by due_ns, earliest first */
	uint64_t period_ns;
	struct list_node link;		/* d->timer_queues */
};

int ud_timers_init(struct uodpd *d);
void ud_timers_fini(struct uodpd *d);
/* A queue whose timers fire period_ns after they are started. */
void ud_timer_queue_add(struct uodpd *d, struct ud_timer_queue *q,
			uint64_t period_ns);
void ud_timer_init(struct ud_timer *t, ud_timer_fn *fire);
/* (Re)start t in q: it fires once, q's period from now, unless stopped. */
void ud_timer_start(struct uodpd *d, struct ud_timer_queue *q,
		    struct ud_timer *t);
void ud_timer_stop(struct ud_timer *t);
bool ud_timer_pending(const struct ud_timer *t);
/* The timerfd is readable: fire what is due, arm for the next. */
void ud_timers_expired(struct uodpd *d);

#endif /* UODPD_TIMER_H */
