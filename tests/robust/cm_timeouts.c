// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The connection manager's timeouts through librdmacm, run inside
 * `uodp-run --cm-timeout-divisor DIV`: a side that never answers gets the
 * error event the kernel's CM gives once its waits and retries ran out
 * (cm_wait.c has the times), never before, exactly once, and an answer in
 * time stops the wait.
 *
 *  - a listener that never accepts: the active side UNREACHABLE
 *    -ETIMEDOUT after the MRA'd REQ's 995.328 s / DIV; an accept after
 *    that is a REP nobody answers: UNREACHABLE on the passive side after
 *    65.536 s / DIV, well before an MRA'd REP's wait;
 *  - an active side that never sends the RTU: the passive side
 *    UNREACHABLE after 1002.496 s / DIV, then the late RTU is no error;
 *  - a DREQ never answered: DISCONNECTED -ETIMEDOUT after 73.728 s / DIV
 *    (the active side's) or 65.536 s / DIV (the passive side's), then
 *    TIMEWAIT_EXIT; the late DREP ends the other side's connection; with
 *    ACK_TIMEOUT 24 set before the route, the packet lifetime is 23 and
 *    the active side's DREQ waits 1114.112 s / DIV;
 *  - a SIDR REQ never answered: UNREACHABLE -ETIMEDOUT after
 *    65.536 s / DIV; one whose request is destroyed unanswered:
 *    UNREACHABLE with SIDR status 2 (rejected), at once;
 *  - a connection set up in time: no event at all once every wait passed;
 *    a passive side NOTIFY established: no RTU timeout, the late RTU a
 *    duplicate.
 *
 * usage: uodp-cm-timeouts DIV PORT (PORT..PORT+7 are used)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rdma/rdma_cma.h>

#include "lib/cm_pair.h"
#include "lib/report.h"

#define CM_SIDR_REJECT 2		/* IB_SIDR_REJECT */

static void never_accepted(void)
{
	struct cm_pair p;
	double t;

	t = cm_pair_requested(&p, RDMA_PS_TCP);
	cm_expect_timeout(p.ach, RDMA_CM_EVENT_UNREACHABLE, p.active, t,
			  995328, "never accepted: active");
	/* The active side's CM is idle: the REP goes unanswered. */
	t = test_now();
	cm_pair_accept(&p);
	cm_expect_timeout(p.lch, RDMA_CM_EVENT_UNREACHABLE, p.passive, t,
			  65536, "accepted late: passive");
	test_check(test_now() - t < cm_wait_s(1002496) / 2,
		   "accepted late: the REP's wait was not stretched by an MRA");
	cm_expect_quiet(p.ach, 0.05, "accepted late: active");
	cm_pair_close(&p);
}

static void no_rtu(void)
{
	struct cm_pair p;
	double t;

	cm_pair_open(&p, RDMA_PS_TCP);
	cm_pair_request(&p);
	t = test_now();
	cm_pair_accept(&p);
	cm_expect(p.ach, RDMA_CM_EVENT_CONNECT_RESPONSE, 0, p.active, 0, 0,
		  "no RTU: the REP");
	cm_expect_timeout(p.lch, RDMA_CM_EVENT_UNREACHABLE, p.passive, t,
			  1002496, "no RTU: passive");
	test_check_ret(rdma_establish(p.active) ? -errno : 0, 0,
		       "no RTU: the late RTU");
	cm_expect_quiet(p.lch, 0.05, "no RTU: passive after the late RTU");
	cm_pair_close(&p);
}

/*
 * from_active: the active side disconnects, else the passive one; with
 * ack_timeout set before the route, whose lifetime times the active side.
 */
static void no_drep(bool from_active, uint8_t ack_timeout, double wait_ms)
{
	const char *what = from_active ? "no DREP (active's DREQ)" :
					 "no DREP (passive's DREQ)";
	struct rdma_event_channel *ch, *peer_ch;
	struct rdma_cm_id *id, *peer;
	struct cm_pair p;
	double t;

	cm_pair_open_acked(&p, RDMA_PS_TCP, ack_timeout);
	if (ack_timeout) {
		what = "no DREP (active's DREQ, ACK timeout set)";
		test_check(p.active->route.path_rec->packet_life_time ==
			   ack_timeout - 1,
			   "%s: the path's packet lifetime %u", what,
			   p.active->route.path_rec->packet_life_time);
	}
	cm_pair_connect(&p);
	ch = from_active ? p.ach : p.lch;
	peer_ch = from_active ? p.lch : p.ach;
	id = from_active ? p.active : p.passive;
	peer = from_active ? p.passive : p.active;
	t = test_now();
	test_check_ret(rdma_disconnect(id) ? -errno : 0, 0, "%s: DREQ", what);
	cm_expect(peer_ch, RDMA_CM_EVENT_DISCONNECTED, 0, peer, 0, 0, what);
	cm_expect_timeout(ch, RDMA_CM_EVENT_DISCONNECTED, id, t,
			  wait_ms, what);
	cm_expect(ch, RDMA_CM_EVENT_TIMEWAIT_EXIT, 0, id, 0, 0, what);
	/* The late DREP: the peer's own time wait, nothing for us. */
	test_check_ret(rdma_disconnect(peer) ? -errno : 0, 0,
		       "%s: the late DREP", what);
	cm_expect(peer_ch, RDMA_CM_EVENT_TIMEWAIT_EXIT, 0, peer, 0, 0, what);
	cm_expect_quiet(ch, 0.05, what);
	cm_pair_close(&p);
}

static void sidr_unanswered(void)
{
	struct cm_pair p;
	double t;

	t = cm_pair_requested(&p, RDMA_PS_UDP);
	cm_expect_timeout(p.ach, RDMA_CM_EVENT_UNREACHABLE, p.active, t,
			  65536, "SIDR REQ never answered");
	cm_pair_close(&p);

	t = cm_pair_requested(&p, RDMA_PS_UDP);
	rdma_destroy_id(p.passive);
	p.passive = NULL;
	cm_expect(p.ach, RDMA_CM_EVENT_UNREACHABLE, CM_SIDR_REJECT, p.active, t,
		  0, "SIDR request destroyed unanswered");
	cm_expect_quiet(p.ach, cm_wait_s(65536) * 1.5,
			"SIDR request destroyed: no timeout after");
	cm_pair_close(&p);
}

/*
 * NOTIFY COMM_EST on the passive side (a receive before the RTU): it is
 * established, its wait for the RTU stops, and the RTU that follows is a
 * duplicate it does not hear of.
 */
static void notified_established(void)
{
	struct cm_pair p;

	cm_pair_open(&p, RDMA_PS_TCP);
	cm_pair_request(&p);
	cm_pair_accept(&p);
	test_check_ret(rdma_notify(p.passive, IBV_EVENT_COMM_EST) ? -errno : 0,
		       0, "NOTIFY COMM_EST before the RTU");
	cm_expect(p.lch, RDMA_CM_EVENT_ESTABLISHED, 0, p.passive, 0, 0,
		  "NOTIFY: passive established");
	cm_expect_quiet(p.lch, cm_wait_s(1002496) * 1.2,
			"NOTIFY: no RTU timeout after it");
	cm_expect(p.ach, RDMA_CM_EVENT_CONNECT_RESPONSE, 0, p.active, 0, 0,
		  "NOTIFY: the active side's REP");
	test_check_ret(rdma_establish(p.active) ? -errno : 0, 0,
		       "NOTIFY: the active side's RTU");
	cm_expect_quiet(p.lch, 0.05, "NOTIFY: the RTU is a duplicate");
	cm_pair_close(&p);
}

/* Every wait stopped by its answer: nothing fires once they passed. */
static void answered_in_time(void)
{
	struct cm_pair p;

	cm_pair_open(&p, RDMA_PS_TCP);
	cm_pair_connect(&p);
	cm_expect_quiet(p.ach, cm_wait_s(1002496) * 1.2,
			"connected in time: active");
	cm_expect_quiet(p.lch, 0, "connected in time: passive");
	test_check_ret(rdma_disconnect(p.active) ? -errno : 0, 0,
		       "connected in time: DREQ");
	cm_expect(p.lch, RDMA_CM_EVENT_DISCONNECTED, 0, p.passive, 0, 0,
		  "connected in time: passive DREQ");
	test_check_ret(rdma_disconnect(p.passive) ? -errno : 0, 0,
		       "connected in time: DREP");
	cm_expect(p.ach, RDMA_CM_EVENT_DISCONNECTED, 0, p.active, 0, 0,
		  "connected in time: active DREP");
	cm_expect(p.ach, RDMA_CM_EVENT_TIMEWAIT_EXIT, 0, p.active, 0, 0,
		  "connected in time: active time wait");
	cm_expect(p.lch, RDMA_CM_EVENT_TIMEWAIT_EXIT, 0, p.passive, 0, 0,
		  "connected in time: passive time wait");
	cm_expect_quiet(p.ach, cm_wait_s(73728) * 1.5,
			"disconnected in time: active");
	cm_pair_close(&p);
}

int main(int argc, char **argv)
{
	cm_parse_args(argc, argv);
	never_accepted();
	no_rtu();
	no_drep(true, 0, 73728);
	no_drep(false, 0, 65536);
	/* 16 x (2 x 2^(23-8) + 2^(20-8)) ms: the lifetime is the option's. */
	no_drep(true, 24, 16 * (2 * 32768 + 4096));
	sidr_unanswered();
	answered_in_time();
	notified_established();
	printf("%d failure(s)\n", test_failures);
	return test_failures ? 1 : 0;
}
