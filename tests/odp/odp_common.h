/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Shared pieces of the ODP stress tests and the ODP benchmark: verbs
 * resources on uodp0 (through the real provider), fresh anonymous memory,
 * and the device's ODP counters read through a raw connection of our own
 * (QUERY_COUNTERS, scope DEVICE), as a tool in another process would.
 */
#ifndef UODP_TESTS_ODP_COMMON_H
#define UODP_TESTS_ODP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "rdma/uodp-odp-abi.h"
#include "tests/lib/report.h"

#define ODP_DEV_NAME "uodp0"
#define ODP_PAGE 4096ul
#define ODP_ACCESS_ALL (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC)

/* One device context with a PD and a CQ. */
struct odp_side {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	uint8_t gid_index;
	union ibv_gid gid;
};

void odp_side_open(struct odp_side *s, int cq_depth);
void odp_side_close(struct odp_side *s);

struct ibv_qp *odp_rc_qp(struct odp_side *s, uint32_t max_wr);
/* INIT -> RTR -> RTS towards dest on the same device; 0 or errno. */
int odp_rc_connect(struct odp_side *s, struct ibv_qp *qp, uint32_t dest,
		   uint8_t timeout, uint8_t retry_cnt);

/* Anonymous memory no one touched yet (MAP_FAILED -> dies). */
void *odp_fresh(size_t len);
/* An ODP MR over [addr, addr+len); NULL with errno on failure. */
struct ibv_mr *odp_reg(struct odp_side *s, void *addr, size_t len,
		       unsigned int access);

/* Polls n completions into wc[]; how many arrived before the deadline. */
int odp_poll(struct ibv_cq *cq, struct ibv_wc *wc, int n, int timeout_ms);

int odp_post_send(struct ibv_qp *qp, uint64_t wr_id, enum ibv_wr_opcode op,
		  void *addr, uint32_t len, uint32_t lkey, uint64_t raddr,
		  uint32_t rkey);
int odp_post_recv(struct ibv_qp *qp, uint64_t wr_id, void *addr,
		  uint32_t len, uint32_t lkey);

void odp_fill(void *p, size_t len, unsigned int seed);

/* The device's counters; false (and a message) when they cannot be read. */
bool odp_counters(struct uodp_query_counters_resp *out);
/* Faults the device raised (all kinds). */
uint64_t odp_faults_raised(const struct uodp_odp_device_counters *d);
/* The per-MR record of key, searched over every page; false if absent. */
bool odp_mr_counters(uint32_t key, struct uodp_odp_mr_counters *out);
void odp_counters_close(void);

#endif /* UODP_TESTS_ODP_COMMON_H */
