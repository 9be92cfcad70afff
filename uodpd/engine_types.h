/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Engine state embedded in the daemon's objects: a parsed scatter list, the
 * progress of the send WQE a QP is executing and a context's share of the
 * engine.  The control path only zeroes it (QP create, RESET) and enters
 * QPs through ud_engine_qp_add/remove; the engine owns its contents.
 */
#ifndef UODPD_ENGINE_TYPES_H
#define UODPD_ENGINE_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "list.h"

#define UD_MAX_SGE 64			/* a 16-WQEBB WQE holds at most 63 DS */

/* One MR-described piece of a message: [va, va+len) under key. */
struct ud_seg {
	uint32_t key;
	uint64_t va;
	uint64_t len;
};

struct ud_sgl {
	uint32_t n;
	uint64_t total;
	struct ud_seg seg[UD_MAX_SGE];
};

/* The responder's receive WQE a SEND or WRITE_WITH_IMM has claimed. */
struct ud_recv_claim {
	bool valid;
	uint32_t qpn;			/* receiving QP */
	uint32_t srqn;			/* or UD_NO_HANDLE */
	uint32_t pdn;			/* PD the scatter list is checked against */
	uint32_t cqn;			/* CQ the completion goes to */
	uint16_t wqe_counter;		/* reported in the CQE */
	struct ud_sgl sgl;
};

/* Progress of the send WQE being executed; resumable between steps. */
struct ud_req_state {
	bool active;			/* a WQE is in progress */
	uint32_t wqe_ci;		/* SQ counter of that WQE */
	uint64_t bytes_done;
	uint8_t retries_left;		/* transport retries */
	uint8_t rnr_retries_left;
	uint64_t wait_until_ns;		/* RNR or retry back-off */
	struct ud_recv_claim claim;
};

/*
 * A context's place in the engine's deficit round robin (engine.c): every
 * poll is a round that gives each context with a send queue its turn, and
 * the bytes it may move in it.
 */
struct ud_sched {
	struct list_node link;		/* the daemon's scheduled contexts */
	struct list_head qps;		/* its QPs with a send queue, in turn */
	int64_t deficit;		/* bytes it may still move this round */
	bool bulk;			/* its last turn spent its quantum */
};

#endif /* UODPD_ENGINE_TYPES_H */
