/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * rdma_cm test helpers over librdmacm: a listener and an active ID on
 * loopback, each with its own event channel, and checks of the events
 * they get, timed against the daemon's --cm-timeout-divisor.
 */
#ifndef UODP_TESTS_CM_PAIR_H
#define UODP_TESTS_CM_PAIR_H

#include <stdbool.h>
#include <stdint.h>
#include <rdma/rdma_cma.h>

/* The daemon's divisor of the kernel's CM waits; the next port to use. */
extern double cm_divisor;
extern int cm_next_port;

/* Both from the command line, DIVISOR PORT, or exit with status 2. */
void cm_parse_args(int argc, char **argv);

struct cm_pair {
	struct rdma_event_channel *lch, *ach;	/* the two sides' channels */
	struct rdma_cm_id *listener, *active, *passive;
	enum rdma_port_space ps;
};


/* The kernel's wait of ms milliseconds, as the daemon divides it. */
double cm_wait_s(double ms);
/* Whether an event is waiting on ch within timeout_s. */
bool cm_event_ready(struct rdma_event_channel *ch, double timeout_s);
/*
 * The next event on ch, which must be want with status, on id (NULL: any)
 * and not before min_s after since (0: untimed); acked, its ID returned.
 */
struct rdma_cm_id *cm_expect(struct rdma_event_channel *ch,
			     enum rdma_cm_event_type want, int status,
			     struct rdma_cm_id *id, double since, double min_s,
			     const char *what);
/* The -ETIMEDOUT event of a wait the kernel times at kernel_ms. */
void cm_expect_timeout(struct rdma_event_channel *ch,
		       enum rdma_cm_event_type want, struct rdma_cm_id *id,
		       double since, double kernel_ms, const char *what);
/* No event on ch for for_s. */
void cm_expect_quiet(struct rdma_event_channel *ch, double for_s,
		     const char *what);
/* A pair of port space ps on a new port, the route resolved (with
 * ack_timeout, 0: none, set before it). */
void cm_pair_open_acked(struct cm_pair *p, enum rdma_port_space ps,
			uint8_t ack_timeout);
void cm_pair_open(struct cm_pair *p, enum rdma_port_space ps);
void cm_pair_close(struct cm_pair *p);
/* CONNECT and the listener's CONNECT_REQUEST (p->passive): when sent. */
double cm_pair_request(struct cm_pair *p);
double cm_pair_requested(struct cm_pair *p, enum rdma_port_space ps);
void cm_pair_accept(struct cm_pair *p);
/* REQ, REP, RTU: both sides established. */
void cm_pair_connect(struct cm_pair *p);

#endif /* UODP_TESTS_CM_PAIR_H */
