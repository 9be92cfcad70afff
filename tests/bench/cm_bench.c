// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Connection setup through rdma_cm (run inside uodp-run): a listener
 * process accepts N connections one after the other; the client times
 * each from rdma_resolve_addr to ESTABLISHED (address and route
 * resolution, an RC QP, the REQ/REP/RTU exchange, the QP's three
 * transitions) and prints the rate and the median.  A benchmark: it
 * prints figures, it passes or fails nothing but its own errors.
 *
 * usage: cm_bench [CONNECTIONS] [PORT]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <rdma/rdma_cma.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
	fprintf(stderr, "cm_bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* The next event, which must be want; it is acked, its ID returned. */
static struct rdma_cm_id *expect(struct rdma_event_channel *ch,
				 enum rdma_cm_event_type want)
{
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;

	if (rdma_get_cm_event(ch, &ev))
		die("rdma_get_cm_event");
	if (ev->event != want || ev->status) {
		fprintf(stderr, "cm_bench: %s (status %d), not %s\n",
			rdma_event_str(ev->event), ev->status,
			rdma_event_str(want));
		exit(2);
	}
	id = ev->id;
	rdma_ack_cm_event(ev);
	return id;
}

static void qp_attr(struct ibv_qp_init_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->qp_type = IBV_QPT_RC;
	a->cap.max_send_wr = 4;
	a->cap.max_recv_wr = 4;
	a->cap.max_send_sge = 1;
	a->cap.max_recv_sge = 1;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

static void serve(int n, int port, int ready)
{
	struct rdma_event_channel *ch = rdma_create_event_channel();
	struct sockaddr_in sin = loopback(port);
	struct rdma_cm_id *l, *c;
	struct ibv_qp_init_attr a;
	int i;

	if (!ch || rdma_create_id(ch, &l, NULL, RDMA_PS_TCP) ||
	    rdma_bind_addr(l, (struct sockaddr *)&sin) || rdma_listen(l, 16))
		die("listen");
	if (write(ready, "r", 1) != 1)
		die("ready");
	for (i = 0; i < n; i++) {
		c = expect(ch, RDMA_CM_EVENT_CONNECT_REQUEST);
		qp_attr(&a);
		if (rdma_create_qp(c, NULL, &a) || rdma_accept(c, NULL))
			die("accept");
		expect(ch, RDMA_CM_EVENT_ESTABLISHED);
	}
	exit(0);
}

static double connect_one(struct rdma_event_channel *ch, int port,
			  struct rdma_cm_id **out)
{
	struct sockaddr_in dst = loopback(port);
	struct ibv_qp_init_attr a;
	struct rdma_cm_id *id;
	double t0 = now_us();

	if (rdma_create_id(ch, &id, NULL, RDMA_PS_TCP) ||
	    rdma_resolve_addr(id, NULL, (struct sockaddr *)&dst, 2000))
		die("resolve");
	expect(ch, RDMA_CM_EVENT_ADDR_RESOLVED);
	if (rdma_resolve_route(id, 2000))
		die("route");
	expect(ch, RDMA_CM_EVENT_ROUTE_RESOLVED);
	qp_attr(&a);
	if (rdma_create_qp(id, NULL, &a) || rdma_connect(id, NULL))
		die("connect");
	expect(ch, RDMA_CM_EVENT_ESTABLISHED);
	*out = id;
	return now_us() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 500;
	int port = argc > 2 ? atoi(argv[2]) : 18780;
	struct rdma_event_channel *ch;
	struct rdma_cm_id **ids;
	double *t, total = 0;
	int p[2], status, i;
	pid_t pid;
	char b;

	if (n < 1 || pipe(p))
		die("setup");
	pid = fork();
	if (!pid)
		serve(n, port, p[1]);
	if (read(p[0], &b, 1) != 1)
		die("the listener");
	ch = rdma_create_event_channel();
	t = calloc(n, sizeof(*t));
	ids = calloc(n, sizeof(*ids));
	if (!ch || !t || !ids)
		die("alloc");
	for (i = 0; i < n; i++) {
		t[i] = connect_one(ch, port, &ids[i]);
		total += t[i];
	}
	waitpid(pid, &status, 0);
	qsort(t, n, sizeof(*t), cmp_double);
	printf("rdma_cm setup: %d connections, %.0f connections/s, median %.1f us, p99 %.1f us\n",
	       n, n / (total / 1e6), t[n / 2], t[(n * 99) / 100]);
	for (i = 0; i < n; i++) {
		rdma_destroy_qp(ids[i]);
		rdma_destroy_id(ids[i]);
	}
	rdma_destroy_event_channel(ch);
	free(ids);
	free(t);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 1;
}
