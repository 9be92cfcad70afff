/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The fault engine's vocabulary: a decoded fault, a view of a work queue,
 * what the engine knows of an MR, and the ranges it maps.  Pure data: the
 * decoder, the WQE parser, the range helpers and the prefetch policies work
 * on these alone, with no device, context or lock, so unit tests and the
 * fuzzer drive them with byte fixtures.
 */
#ifndef UODP_ODP_TYPES_H
#define UODP_ODP_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#include "rdma/uodp-odp-abi.h"

#define UODP_ODP_PAGE_SIZE 4096ull

/* A page fault as the EQE describes it (host order). */
struct uodp_odp_fault {
	uint8_t subtype;		/* enum mlx5_pfault_subtype */
	uint8_t type;			/* fault type / flags, EQE 31:24 */
	uint16_t wqe_index;		/* WQE faults */
	uint16_t packet_length;
	uint32_t token;			/* 24 bits */
	uint32_t wq_num;		/* WQE: QPN or SRQN; RDMA: the token */
	uint32_t bytes_committed;
	uint32_t rkey;			/* RDMA faults */
	uint32_t rdma_op_len;
	uint64_t rdma_va;
};

enum uodp_odp_wq_kind {
	UODP_ODP_WQ_SQ,			/* send queue: 64-byte WQEBBs */
	UODP_ODP_WQ_RQ,			/* receive queue: data segments */
	UODP_ODP_WQ_SRQ,		/* SRQ: next segment, data segments */
};

enum uodp_odp_wq_flags {
	UODP_ODP_WQ_UD = 1 << 0,	/* send WQEs carry an address vector */
	UODP_ODP_WQ_XRC = 1 << 1,	/* send WQEs carry an XRC segment */
};

/*
 * A work queue as the hardware sees it: its ring, and the producer the
 * owner has published (SQ: the WQEBB counter; RQ: the WQE counter; SRQ:
 * the index of the first free WQE, the end of the posted list).
 */
struct uodp_odp_wq_view {
	enum uodp_odp_wq_kind kind;
	uint32_t flags;			/* enum uodp_odp_wq_flags */
	const uint8_t *buf;
	uint32_t wqe_cnt;		/* SQ: WQEBBs; RQ/SRQ: WQEs; power of 2 */
	uint32_t wqe_shift;		/* log2 of the stride (SQ: 6) */
	uint32_t num;			/* QPN or SRQN */
	uint32_t pdn;			/* the queue's protection domain */
	uint32_t producer;
};

/* What the engine knows of a memory region. */
struct uodp_odp_mr_info {
	uint32_t lkey;
	uint32_t rkey;
	uint32_t pdn;
	uint32_t access;		/* enum ibv_access_flags */
	uint64_t addr;			/* process address of iova */
	uint64_t iova;
	uint64_t length;		/* UINT64_MAX: implicit */
	bool odp;
};

/* Finds an MR by lkey (remote false) or rkey; 0 or -ENOENT. */
struct uodp_odp_mr_resolver {
	int (*lookup)(void *arg, uint32_t key, bool remote,
		      struct uodp_odp_mr_info *mr);
	void *arg;
};

/* A range the device must be able to access: MAP input plus prefetch. */
struct uodp_odp_range {
	uint32_t mr_key;		/* the key the ODP MR is mapped by */
	uint32_t flags;			/* enum uodp_odp_map_flags */
	uint64_t va;			/* in the MR's (iova) address space */
	uint64_t length;
	uint64_t addr;			/* process address of va */
	uint64_t mr_end;		/* iova + length of the MR (clip) */
};

/*
 * Engine-private range flag next to enum uodp_odp_map_flags: the device
 * will write here, so prefetch for write (never sent with MAP).
 */
#define UODP_ODP_RANGE_POPULATE_WRITE (1u << 31)
#define UODP_ODP_MAP_FLAGS_MASK (UODP_ODP_MAP_WRITE | UODP_ODP_MAP_NO_FAULT)

struct uodp_odp_range_list {
	struct uodp_odp_range *r;
	uint32_t n;
	uint32_t cap;
};

static inline bool uodp_odp_mr_writable(uint32_t access)
{
	return access & (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			 IBV_ACCESS_REMOTE_ATOMIC);
}

#endif /* UODP_ODP_TYPES_H */
