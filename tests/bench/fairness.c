// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The streamer of the fairness benchmark (tests/bench/fairness.sh): on
 * uodp0 (run inside uodp-run), in a context of its own, two RC QPs
 * connected to each other stream RDMA READs of 1 GiB, each made of 16 SGEs
 * of 64 MiB, with DEPTH of them in flight, until SECONDS pass or
 * SIGTERM/SIGINT arrives.  It busy-polls its CQ, or with "events" waits on
 * a completion channel (so that the CPU it would spin on is the others').
 * It prints "streaming" once the first READ is posted, then its bandwidth.
 *
 * The buffer is registered without ODP (uodp's "pinned": every page is
 * mapped and checked at ibv_reg_mr): what is measured is how the device
 * shares itself between contexts, and ODP would add the service of the
 * first pass's page faults by the provider's fault thread, one more
 * process on the CPUs the ping-pong needs.  One 1 GiB buffer is both the
 * READ's remote source and its local destination (the bytes read are the
 * bytes already there), which keeps the footprint at 1 GiB.
 *
 * usage: fairness [SECONDS [DEPTH [busy|events]]]   (30, 2, busy)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <infiniband/verbs.h>

#include "lib/verbs.h"

#define SGE_BYTES (64ull << 20)
#define SGES 16
#define READ_BYTES (SGES * SGE_BYTES)	/* 1 GiB, the device's max_msg_sz */
#define MAX_DEPTH 8

struct streamer {
	struct ibv_context *ctx;
	struct ibv_comp_channel *channel;	/* NULL: busy polling */
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *reader, *target;
	struct ibv_mr *mr;
	uint8_t *buf;
	union ibv_gid gid;
	int gid_index;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "fairness: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct ibv_qp *new_qp(struct streamer *s)
{
	struct ibv_qp_init_attr init = {
		.send_cq = s->cq,
		.recv_cq = s->cq,
		.cap = { .max_send_wr = MAX_DEPTH, .max_recv_wr = 1,
			 .max_send_sge = SGES, .max_recv_sge = 1 },
		.qp_type = IBV_QPT_RC,
	};
	struct ibv_qp *qp = ibv_create_qp(s->pd, &init);

	if (!qp)
		die("ibv_create_qp");
	return qp;
}

static void setup(struct streamer *s, const char *dev_name, bool events)
{
	s->ctx = test_open_device(dev_name);
	if (!s->ctx)
		die(dev_name);
	s->gid_index = test_roce_v2_gid(s->ctx, dev_name, &s->gid);
	if (s->gid_index < 0) {
		errno = -s->gid_index;
		die("RoCE v2 GID");
	}
	if (events) {
		s->channel = ibv_create_comp_channel(s->ctx);
		if (!s->channel)
			die("ibv_create_comp_channel");
	}
	s->pd = ibv_alloc_pd(s->ctx);
	s->cq = s->pd ? ibv_create_cq(s->ctx, 2 * MAX_DEPTH, NULL, s->channel,
				      0) : NULL;
	if (!s->cq)
		die("ibv_alloc_pd/ibv_create_cq");
	s->buf = mmap(NULL, READ_BYTES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->buf == MAP_FAILED)
		die("mmap 1 GiB");
	memset(s->buf, 0x5a, READ_BYTES);	/* mapped, as reg_mr checks */
	s->mr = ibv_reg_mr(s->pd, s->buf, READ_BYTES, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_READ);
	if (!s->mr)
		die("ibv_reg_mr 1 GiB");
	s->reader = new_qp(s);
	s->target = new_qp(s);
	errno = test_rc_connect(s->reader, s->target->qp_num, &s->gid,
				s->gid_index, 0, 14, 7);
	if (!errno)
		errno = test_rc_connect(s->target, s->reader->qp_num, &s->gid,
					s->gid_index, IBV_ACCESS_REMOTE_READ,
					14, 7);
	if (errno)
		die("connecting the QPs");
}

static void post_read(struct streamer *s)
{
	struct ibv_sge sge[SGES];
	struct ibv_send_wr wr = {
		.sg_list = sge,
		.num_sge = SGES,
		.opcode = IBV_WR_RDMA_READ,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = (uintptr_t)s->buf,
			     .rkey = s->mr->rkey },
	}, *bad;
	int i;

	for (i = 0; i < SGES; i++)
		sge[i] = (struct ibv_sge){
			.addr = (uintptr_t)s->buf + i * SGE_BYTES,
			.length = SGE_BYTES,
			.lkey = s->mr->lkey,
		};
	errno = ibv_post_send(s->reader, &wr, &bad);
	if (errno)
		die("ibv_post_send");
}

/*
 * Poll once more after arming: a completion that came before the arm
 * fires nothing.  Sleep only if there was none.
 */
static int arm_and_poll(struct streamer *s, struct ibv_wc *wc)
{
	struct ibv_cq *cq;
	void *cq_ctx;
	int n;

	if (ibv_req_notify_cq(s->cq, 0))
		die("ibv_req_notify_cq");
	n = ibv_poll_cq(s->cq, 1, wc);
	if (n)
		return n;
	if (ibv_get_cq_event(s->channel, &cq, &cq_ctx))
		die("ibv_get_cq_event");
	ibv_ack_cq_events(cq, 1);
	return 0;
}

/* Wait for one completion; a failed READ ends the run. */
static void reap_one(struct streamer *s)
{
	struct ibv_wc wc;
	int n;

	while (!(n = ibv_poll_cq(s->cq, 1, &wc)))
		if (s->channel && (n = arm_and_poll(s, &wc)))
			break;
	if (n < 0 || wc.status != IBV_WC_SUCCESS) {
		fprintf(stderr, "fairness: READ failed: %s\n",
			n < 0 ? "ibv_poll_cq" : ibv_wc_status_str(wc.status));
		exit(1);
	}
}

/* Stream until the time is up or a signal; returns the READs completed. */
static unsigned long stream(struct streamer *s, double seconds, int depth)
{
	double end = now_s() + seconds;
	unsigned long done = 0;
	int i;

	for (i = 0; i < depth; i++)
		post_read(s);
	printf("streaming\n");
	fflush(stdout);
	while (!stop_requested && now_s() < end) {
		reap_one(s);
		done++;
		post_read(s);
	}
	for (i = 0; i < depth; i++)
		reap_one(s);	/* in flight: counted, they moved the bytes */
	return done + depth;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 30;
	int depth = argc > 2 ? atoi(argv[2]) : 2;
	const char *mode = argc > 3 ? argv[3] : "busy";
	const char *dev = getenv("UODP_DEV") ? getenv("UODP_DEV") : "uodp0";
	struct streamer s = { 0 };
	unsigned long reads;
	double t0, t;

	if (seconds <= 0 || depth < 1 || depth > MAX_DEPTH ||
	    (strcmp(mode, "busy") && strcmp(mode, "events"))) {
		fprintf(stderr,
			"usage: fairness [SECONDS [DEPTH 1..%d [busy|events]]]\n",
			MAX_DEPTH);
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setup(&s, dev, !strcmp(mode, "events"));
	t0 = now_s();
	reads = stream(&s, seconds, depth);
	t = now_s() - t0;
	printf("streamer: %lu READs of 1 GiB in %.2f s = %.2f GB/s\n", reads, t,
	       reads * (double)READ_BYTES / t / 1e9);
	ibv_destroy_qp(s.reader);
	ibv_destroy_qp(s.target);
	ibv_dereg_mr(s.mr);
	munmap(s.buf, READ_BYTES);
	ibv_destroy_cq(s.cq);
	ibv_dealloc_pd(s.pd);
	if (s.channel)
		ibv_destroy_comp_channel(s.channel);
	ibv_close_device(s.ctx);
	return 0;
}
