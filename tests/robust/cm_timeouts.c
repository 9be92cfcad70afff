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
 *  - a connection set up in time: no event at all once every wait passed.
 *
 * usage: uodp-cm-timeouts DIV PORT (PORT..PORT+7 are used)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rdma/rdma_cma.h>

#include "lib/report.h"

#define CM_SIDR_REJECT 2		/* IB_SIDR_REJECT */
#define EVENT_DEADLINE_S 60.0		/* a missing event fails, not hangs */

static double divisor;
static int next_port;

struct pair {
	struct rdma_event_channel *lch, *ach;	/* the two sides' channels */
	struct rdma_cm_id *listener, *active, *passive;
	enum rdma_port_space ps;
};

/* The kernel's wait of ms milliseconds, as this daemon divides it. */
static double wait_s(double ms)
{
	return ms / 1000.0 / divisor;
}

static bool event_ready(struct rdma_event_channel *ch, double timeout_s)
{
	struct pollfd p = { .fd = ch->fd, .events = POLLIN };

	return poll(&p, 1, (int)(timeout_s * 1000)) == 1;
}

/*
 * The next event on ch, which must be want with status, on id (NULL: any)
 * and not before min_s after since; acked, its ID returned.
 */
static struct rdma_cm_id *expect(struct rdma_event_channel *ch,
				 enum rdma_cm_event_type want, int status,
				 struct rdma_cm_id *id, double since,
				 double min_s, const char *what)
{
	struct rdma_cm_event *ev;
	struct rdma_cm_id *got;
	double elapsed;
	char when[64] = "";

	if (!event_ready(ch, EVENT_DEADLINE_S))
		test_die(what, ETIMEDOUT);
	if (rdma_get_cm_event(ch, &ev))
		test_die("rdma_get_cm_event", errno);
	elapsed = since ? test_now() - since : 0;
	if (since)
		snprintf(when, sizeof(when), " after %.3f s (not before %.3f s)",
			 elapsed, min_s);
	got = ev->id;
	test_check(ev->event == want && ev->status == status &&
		   (!id || got == id) && elapsed >= min_s,
		   "%s: %s status %d%s (want %s status %d%s)", what,
		   rdma_event_str(ev->event), ev->status, when,
		   rdma_event_str(want), status,
		   !id || got == id ? "" : ", on its own ID");
	rdma_ack_cm_event(ev);
	return got;
}

/*
 * The error event (-ETIMEDOUT) of a wait the kernel times at kernel_ms,
 * not before (less 2%: since is taken after the command, the daemon's
 * timer before).
 */
static void expect_timeout(struct rdma_event_channel *ch,
			   enum rdma_cm_event_type want, struct rdma_cm_id *id,
			   double since, double kernel_ms, const char *what)
{
	expect(ch, want, -ETIMEDOUT, id, since, wait_s(kernel_ms) * 0.98,
	       what);
}

static void expect_quiet(struct rdma_event_channel *ch, double for_s,
			 const char *what)
{
	struct rdma_cm_event *ev;
	bool ready = event_ready(ch, for_s);

	if (ready && !rdma_get_cm_event(ch, &ev)) {
		test_check(false, "%s: unexpected %s status %d", what,
			   rdma_event_str(ev->event), ev->status);
		rdma_ack_cm_event(ev);
		return;
	}
	test_check(!ready, "%s: no event in %.3f s", what, for_s);
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

/*
 * A listener and an active ID with its route resolved, on a new port;
 * ack_timeout (0: none) set before the route.
 */
static void pair_open_acked(struct pair *p, enum rdma_port_space ps,
			    uint8_t ack_timeout)
{
	struct sockaddr_in sin = loopback(next_port++);

	memset(p, 0, sizeof(*p));
	p->ps = ps;
	p->lch = rdma_create_event_channel();
	p->ach = rdma_create_event_channel();
	if (!p->lch || !p->ach)
		test_die("rdma_create_event_channel", errno);
	if (rdma_create_id(p->lch, &p->listener, NULL, ps) ||
	    rdma_bind_addr(p->listener, (struct sockaddr *)&sin) ||
	    rdma_listen(p->listener, 4))
		test_die("listener", errno);
	if (rdma_create_id(p->ach, &p->active, NULL, ps) ||
	    rdma_resolve_addr(p->active, NULL, (struct sockaddr *)&sin, 2000))
		test_die("rdma_resolve_addr", errno);
	expect(p->ach, RDMA_CM_EVENT_ADDR_RESOLVED, 0, p->active, 0, 0,
	       "address");
	if (ack_timeout &&
	    rdma_set_option(p->active, RDMA_OPTION_ID,
			    RDMA_OPTION_ID_ACK_TIMEOUT, &ack_timeout,
			    sizeof(ack_timeout)))
		test_die("RDMA_OPTION_ID_ACK_TIMEOUT", errno);
	if (rdma_resolve_route(p->active, 2000))
		test_die("rdma_resolve_route", errno);
	expect(p->ach, RDMA_CM_EVENT_ROUTE_RESOLVED, 0, p->active, 0, 0,
	       "route");
}

static void pair_open(struct pair *p, enum rdma_port_space ps)
{
	pair_open_acked(p, ps, 0);
}

static void pair_close(struct pair *p)
{
	if (p->passive)
		rdma_destroy_id(p->passive);
	rdma_destroy_id(p->active);
	rdma_destroy_id(p->listener);
	rdma_destroy_event_channel(p->ach);
	rdma_destroy_event_channel(p->lch);
}

static struct rdma_conn_param conn_param(void)
{
	struct rdma_conn_param c = {
		.responder_resources = 1,
		.initiator_depth = 1,
		.retry_count = 7,
		.rnr_retry_count = 7,
	};

	return c;
}

/* CONNECT, and the listener's CONNECT_REQUEST: p->passive. */
static double pair_request(struct pair *p)
{
	struct rdma_conn_param c = conn_param();
	double t;

	t = test_now();
	if (rdma_connect(p->active, &c))
		test_die("rdma_connect", errno);
	p->passive = expect(p->lch, RDMA_CM_EVENT_CONNECT_REQUEST, 0, NULL,
			    t, 0, "the listener's request");
	return t;
}

/* A new pair of port space ps, and its request: when it was sent. */
static double pair_requested(struct pair *p, enum rdma_port_space ps)
{
	pair_open(p, ps);
	return pair_request(p);
}

static void pair_accept(struct pair *p)
{
	struct rdma_conn_param c = conn_param();

	test_check_ret(rdma_accept(p->passive, &c) ? -errno : 0, 0,
		       "rdma_accept");
}

/* REQ, REP, RTU: both sides established. */
static void pair_connect(struct pair *p)
{
	pair_request(p);
	pair_accept(p);
	expect(p->ach, RDMA_CM_EVENT_CONNECT_RESPONSE, 0, p->active, 0, 0,
	       "active: the REP");
	test_check_ret(rdma_establish(p->active) ? -errno : 0, 0,
		       "rdma_establish (RTU)");
	expect(p->lch, RDMA_CM_EVENT_ESTABLISHED, 0, p->passive, 0, 0,
	       "passive: the RTU");
}

static void never_accepted(void)
{
	struct pair p;
	double t;

	t = pair_requested(&p, RDMA_PS_TCP);
	expect_timeout(p.ach, RDMA_CM_EVENT_UNREACHABLE, p.active, t,
		       995328, "never accepted: active");
	/* The active side's CM is idle: the REP goes unanswered. */
	t = test_now();
	pair_accept(&p);
	expect_timeout(p.lch, RDMA_CM_EVENT_UNREACHABLE, p.passive, t,
		       65536, "accepted late: passive");
	test_check(test_now() - t < wait_s(1002496) / 2,
		   "accepted late: the REP's wait was not stretched by an MRA");
	expect_quiet(p.ach, 0.05, "accepted late: active");
	pair_close(&p);
}

static void no_rtu(void)
{
	struct pair p;
	double t;

	pair_open(&p, RDMA_PS_TCP);
	pair_request(&p);
	t = test_now();
	pair_accept(&p);
	expect(p.ach, RDMA_CM_EVENT_CONNECT_RESPONSE, 0, p.active, 0, 0,
	       "no RTU: the REP");
	expect_timeout(p.lch, RDMA_CM_EVENT_UNREACHABLE, p.passive, t,
		       1002496, "no RTU: passive");
	test_check_ret(rdma_establish(p.active) ? -errno : 0, 0,
		       "no RTU: the late RTU");
	expect_quiet(p.lch, 0.05, "no RTU: passive after the late RTU");
	pair_close(&p);
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
	struct pair p;
	double t;

	pair_open_acked(&p, RDMA_PS_TCP, ack_timeout);
	if (ack_timeout) {
		what = "no DREP (active's DREQ, ACK timeout set)";
		test_check(p.active->route.path_rec->packet_life_time ==
			   ack_timeout - 1,
			   "%s: the path's packet lifetime %u", what,
			   p.active->route.path_rec->packet_life_time);
	}
	pair_connect(&p);
	ch = from_active ? p.ach : p.lch;
	peer_ch = from_active ? p.lch : p.ach;
	id = from_active ? p.active : p.passive;
	peer = from_active ? p.passive : p.active;
	t = test_now();
	test_check_ret(rdma_disconnect(id) ? -errno : 0, 0, "%s: DREQ", what);
	expect(peer_ch, RDMA_CM_EVENT_DISCONNECTED, 0, peer, 0, 0, what);
	expect_timeout(ch, RDMA_CM_EVENT_DISCONNECTED, id, t,
		       wait_ms, what);
	expect(ch, RDMA_CM_EVENT_TIMEWAIT_EXIT, 0, id, 0, 0, what);
	/* The late DREP: the peer's own time wait, nothing for us. */
	test_check_ret(rdma_disconnect(peer) ? -errno : 0, 0,
		       "%s: the late DREP", what);
	expect(peer_ch, RDMA_CM_EVENT_TIMEWAIT_EXIT, 0, peer, 0, 0, what);
	expect_quiet(ch, 0.05, what);
	pair_close(&p);
}

static void sidr_unanswered(void)
{
	struct pair p;
	double t;

	t = pair_requested(&p, RDMA_PS_UDP);
	expect_timeout(p.ach, RDMA_CM_EVENT_UNREACHABLE, p.active, t,
		       65536, "SIDR REQ never answered");
	pair_close(&p);

	t = pair_requested(&p, RDMA_PS_UDP);
	rdma_destroy_id(p.passive);
	p.passive = NULL;
	expect(p.ach, RDMA_CM_EVENT_UNREACHABLE, CM_SIDR_REJECT, p.active, t,
	       0, "SIDR request destroyed unanswered");
	expect_quiet(p.ach, wait_s(65536) * 1.5,
		     "SIDR request destroyed: no timeout after");
	pair_close(&p);
}

/* Every wait stopped by its answer: nothing fires once they passed. */
static void answered_in_time(void)
{
	struct pair p;

	pair_open(&p, RDMA_PS_TCP);
	pair_connect(&p);
	expect_quiet(p.ach, wait_s(1002496) * 1.2,
		     "connected in time: active");
	expect_quiet(p.lch, 0, "connected in time: passive");
	test_check_ret(rdma_disconnect(p.active) ? -errno : 0, 0,
		       "connected in time: DREQ");
	expect(p.lch, RDMA_CM_EVENT_DISCONNECTED, 0, p.passive, 0, 0,
	       "connected in time: passive DREQ");
	test_check_ret(rdma_disconnect(p.passive) ? -errno : 0, 0,
		       "connected in time: DREP");
	expect(p.ach, RDMA_CM_EVENT_DISCONNECTED, 0, p.active, 0, 0,
	       "connected in time: active DREP");
	expect(p.ach, RDMA_CM_EVENT_TIMEWAIT_EXIT, 0, p.active, 0, 0,
	       "connected in time: active time wait");
	expect(p.lch, RDMA_CM_EVENT_TIMEWAIT_EXIT, 0, p.passive, 0, 0,
	       "connected in time: passive time wait");
	expect_quiet(p.ach, wait_s(73728) * 1.5,
		     "disconnected in time: active");
	pair_close(&p);
}

int main(int argc, char **argv)
{
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DIVISOR PORT\n", argv[0]);
		return 2;
	}
	divisor = strtod(argv[1], &end);
	next_port = atoi(argv[2]);
	if (*end || divisor < 1 || next_port <= 0) {
		fprintf(stderr, "%s: bad DIVISOR or PORT\n", argv[0]);
		return 2;
	}
	never_accepted();
	no_rtu();
	no_drep(true, 0, 73728);
	no_drep(false, 0, 65536);
	/* 16 x (2 x 2^(23-8) + 2^(20-8)) ms: the lifetime is the option's. */
	no_drep(true, 24, 16 * (2 * 32768 + 4096));
	sidr_unanswered();
	answered_in_time();
	printf("%d failure(s)\n", test_failures);
	return test_failures ? 1 : 0;
}
