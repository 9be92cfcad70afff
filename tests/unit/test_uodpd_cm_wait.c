// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Unit test of the connection manager's waits (cm_wait.c), against the
 * figures the kernel's cm.c and cma.c give on RoCE (packet lifetime 16,
 * ack delay 16), and of the daemon's timer queues (timer.c) on a real
 * timerfd: timers fire once, in due order across queues, not before they
 * are due; a stopped or restarted one does not fire early or twice.
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "uodpd.h"
#include "check.h"

static void check_times(void)
{
	CHECK_EQ(ud_cm_time_ms(0), 1);
	CHECK_EQ(ud_cm_time_ms(8), 1);
	CHECK_EQ(ud_cm_time_ms(16), 256);
	CHECK_EQ(ud_cm_time_ms(20), 4096);
	CHECK_EQ(ud_cm_time_ms(24), 65536);
	/* cm_ack_timeout(): both branches and the cap at 31. */
	CHECK_EQ(ud_cm_ack_timeout(16, 16), 18);
	CHECK_EQ(ud_cm_ack_timeout(15, 16), 17);
	CHECK_EQ(ud_cm_ack_timeout(0, 16), 17);
	CHECK_EQ(ud_cm_ack_timeout(20, 16), 20);
	CHECK_EQ(ud_cm_ack_timeout(20, 18), 21);
	CHECK_EQ(ud_cm_ack_timeout(30, 30), 31);
	/* 4608 + 15 x (65536 + 512): an MRA'd REQ. */
	CHECK_EQ(ud_cm_wait_ms(UD_CM_WAIT_REP, 16), 995328);
	/* 4096 + 15 x (65536 + 1024): an MRA'd REP (ACK timeout 18). */
	CHECK_EQ(ud_cm_wait_ms(UD_CM_WAIT_RTU, 16), 1002496);
	CHECK_EQ(ud_cm_wait_ms(UD_CM_WAIT_RTU_UNANSWERED, 16), 65536);
	CHECK_EQ(ud_cm_wait_ms(UD_CM_WAIT_DREP, 16), 73728);
	CHECK_EQ(ud_cm_wait_ms(UD_CM_WAIT_DREP_PASSIVE, 16), 65536);
	CHECK_EQ(ud_cm_wait_ms(UD_CM_WAIT_SIDR_REP, 16), 65536);
	/* ACK_TIMEOUT 24 before the route: lifetime 23. */
	CHECK_EQ(ud_cm_wait_ms(UD_CM_WAIT_DREP, 23), 16 * (2 * 32768 + 4096));
	CHECK_EQ(ud_cm_wait_ms(UD_CM_WAIT_REP, 23),
		 2 * 32768 + 4096 + 15 * (65536 + 65536));
}

static int fired[8], nfired;
static struct ud_timer timers[4];

static void note(struct uodpd *d, struct ud_timer *t)
{
	(void)d;
	if (nfired < 8)
		fired[nfired++] = (int)(t - timers);
}

/* Wait for the timerfd and serve it, as the loop does. */
static void serve(struct uodpd *d, int timeout_ms)
{
	struct epoll_event ev;

	if (epoll_wait(d->epfd, &ev, 1, timeout_ms) == 1)
		ud_timers_expired(d);
}

static void check_timers(void)
{
	struct ud_timer_queue slow, fast;
	struct uodpd *d = calloc(1, sizeof(*d));
	uint64_t start;
	int i;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK_EQ(ud_timers_init(d), 0);
	ud_timer_queue_add(d, &slow, 60 * 1000000ull);
	ud_timer_queue_add(d, &fast, 20 * 1000000ull);
	for (i = 0; i < 4; i++)
		ud_timer_init(&timers[i], note);
	start = ud_now_ns();
	ud_timer_start(d, &slow, &timers[0]);	/* due at 60 ms */
	ud_timer_start(d, &slow, &timers[1]);	/* stopped */
	ud_timer_start(d, &fast, &timers[2]);	/* restarted: 40 ms */
	ud_timer_start(d, &fast, &timers[3]);	/* due at 20 ms */
	ud_timer_stop(&timers[1]);
	CHECK(!ud_timer_pending(&timers[1]));
	CHECK(ud_timer_pending(&timers[0]));
	usleep(10000);
	ud_timer_start(d, &fast, &timers[2]);	/* now after timers[3] */
	while (nfired < 3 && ud_now_ns() - start < 2000000000ull)
		serve(d, 100);
	CHECK_EQ(nfired, 3);
	CHECK_EQ(fired[0], 3);
	CHECK_EQ(fired[1], 2);
	CHECK_EQ(fired[2], 0);
	/* None before it was due: the last, the slow one, at 60 ms. */
	CHECK(ud_now_ns() - start >= 60 * 1000000ull);
	CHECK(!ud_timer_pending(&timers[0]));
	/* Nothing more: the stopped one never fires. */
	serve(d, 100);
	CHECK_EQ(nfired, 3);
	ud_timers_fini(d);
	close(d->epfd);
	free(d);
}

int main(void)
{
	check_times();
	check_timers();
	return check_report("test_uodpd_cm_wait");
}
