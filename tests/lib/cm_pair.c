// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* rdma_cm test helpers over librdmacm (cm_pair.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cm_pair.h"
#include "lib/report.h"

#define EVENT_DEADLINE_S 60.0		/* a missing event fails, not hangs */

double cm_divisor = 1;
int cm_next_port;

void cm_parse_args(int argc, char **argv)
{
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DIVISOR PORT\n", argv[0]);
		exit(2);
	}
	cm_divisor = strtod(argv[1], &end);
	cm_next_port = atoi(argv[2]);
	if (*end || cm_divisor < 1 || cm_next_port <= 0) {
		fprintf(stderr, "%s: bad DIVISOR or PORT\n", argv[0]);
		exit(2);
	}
}

/* The kernel's wait of ms milliseconds, as this daemon divides it. */
double cm_wait_s(double ms)
{
	return ms / 1000.0 / cm_divisor;
}

bool cm_event_ready(struct rdma_event_channel *ch, double timeout_s)
{
	struct pollfd p = { .fd = ch->fd, .events = POLLIN };

	return poll(&p, 1, (int)(timeout_s * 1000)) == 1;
}

/*
 * The next event on ch, which must be want with status, on id (NULL: any)
 * and not before min_s after since; acked, its ID returned.
 */
struct rdma_cm_id *cm_expect(struct rdma_event_channel *ch,
			     enum rdma_cm_event_type want, int status,
			     struct rdma_cm_id *id, double since,
			     double min_s, const char *what)
{
	struct rdma_cm_event *ev;
	struct rdma_cm_id *got;
	double elapsed;
	char when[64] = "";

	if (!cm_event_ready(ch, EVENT_DEADLINE_S))
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
void cm_expect_timeout(struct rdma_event_channel *ch,
		       enum rdma_cm_event_type want, struct rdma_cm_id *id,
		       double since, double kernel_ms, const char *what)
{
	cm_expect(ch, want, -ETIMEDOUT, id, since, cm_wait_s(kernel_ms) * 0.98,
		  what);
}

void cm_expect_quiet(struct rdma_event_channel *ch, double for_s,
		     const char *what)
{
	struct rdma_cm_event *ev;
	bool ready = cm_event_ready(ch, for_s);

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
void cm_pair_open_acked(struct cm_pair *p, enum rdma_port_space ps,
			uint8_t ack_timeout)
{
	struct sockaddr_in sin = loopback(cm_next_port++);

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
	cm_expect(p->ach, RDMA_CM_EVENT_ADDR_RESOLVED, 0, p->active, 0, 0,
		  "address");
	if (ack_timeout &&
	    rdma_set_option(p->active, RDMA_OPTION_ID,
			    RDMA_OPTION_ID_ACK_TIMEOUT, &ack_timeout,
			    sizeof(ack_timeout)))
		test_die("RDMA_OPTION_ID_ACK_TIMEOUT", errno);
	if (rdma_resolve_route(p->active, 2000))
		test_die("rdma_resolve_route", errno);
	cm_expect(p->ach, RDMA_CM_EVENT_ROUTE_RESOLVED, 0, p->active, 0, 0,
		  "route");
}

void cm_pair_open(struct cm_pair *p, enum rdma_port_space ps)
{
	cm_pair_open_acked(p, ps, 0);
}

void cm_pair_close(struct cm_pair *p)
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
double cm_pair_request(struct cm_pair *p)
{
	struct rdma_conn_param c = conn_param();
	double t;

	t = test_now();
	if (rdma_connect(p->active, &c))
		test_die("rdma_connect", errno);
	p->passive = cm_expect(p->lch, RDMA_CM_EVENT_CONNECT_REQUEST, 0, NULL,
			       t, 0, "the listener's request");
	return t;
}

/* A new pair of port space ps, and its request: when it was sent. */
double cm_pair_requested(struct cm_pair *p, enum rdma_port_space ps)
{
	cm_pair_open(p, ps);
	return cm_pair_request(p);
}

void cm_pair_accept(struct cm_pair *p)
{
	struct rdma_conn_param c = conn_param();

	test_check_ret(rdma_accept(p->passive, &c) ? -errno : 0, 0,
		       "rdma_accept");
}

/* REQ, REP, RTU: both sides established. */
void cm_pair_connect(struct cm_pair *p)
{
	cm_pair_request(p);
	cm_pair_accept(p);
	cm_expect(p->ach, RDMA_CM_EVENT_CONNECT_RESPONSE, 0, p->active, 0, 0,
		  "active: the REP");
	test_check_ret(rdma_establish(p->active) ? -errno : 0, 0,
		       "rdma_establish (RTU)");
	cm_expect(p->lch, RDMA_CM_EVENT_ESTABLISHED, 0, p->passive, 0, 0,
		  "passive: the RTU");
}

