/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Doorbells.  A doorbell is a store to the record, then, as on hardware, a
 * 64-bit MMIO store to the UAR page (the SQ's and the CQ arm's; receive
 * queues have none: the device reads their records when a message comes).
 * With the emulator's doorbell instead the device polls the records while
 * busy and sets need_wakeup in the shared page before it sleeps: a full
 * fence after the record (the device's need_wakeup store and rescan pair
 * with it), and a system call only if the device is asleep.
 */
#ifndef UODP_PROVIDER_MMIO_H
#define UODP_PROVIDER_MMIO_H

#include <endian.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "uodp.h"

/* Order WQE/CQE memory accesses before the doorbell record store. */
static inline void uodp_wmb(void)
{
	atomic_thread_fence(memory_order_release);
}

/* Order the owner-bit read of a CQE before reading the rest of it. */
static inline void uodp_rmb(void)
{
	atomic_thread_fence(memory_order_acquire);
}

/*
 * A producer index the fault engine thread reads while the posting thread
 * moves it: a release store, so the WQEs below it are complete for the
 * engine's acquire load (odp_host.c) before it parses them.
 */
static inline void uodp_store_u32(uint32_t *p, uint32_t val)
{
	__atomic_store_n(p, val, __ATOMIC_RELEASE);
}

static inline void uodp_dbrec_store(volatile uint32_t *rec, uint32_t val)
{
	uodp_wmb();
	*rec = htobe32(val);
}

/* The emulator's doorbell: wake the device if it sleeps. */
static inline void uodp_kick(struct uodp_context *ctx)
{
	uint64_t one = 1;
	ssize_t n;

	if (ctx->doorbell_fd < 0)
		return;		/* the device reads the records itself */
	atomic_thread_fence(memory_order_seq_cst);
	if (!__atomic_load_n(&ctx->shared->need_wakeup, __ATOMIC_RELAXED))
		return;
	n = write(ctx->doorbell_fd, &one, sizeof(one));
	(void)n;	/* EAGAIN: the counter is already non-zero */
}

/*
 * One 64-bit doorbell word (already big-endian) at off of the UAR, after
 * every store before it: mlx5's mmio_write64_be after udma_to_device_barrier.
 */
static inline void uodp_uar_write64(struct uodp_context *ctx, unsigned int off,
				    uint64_t word)
{
	atomic_thread_fence(memory_order_seq_cst);
	__atomic_store_n((uint64_t *)(ctx->uar + off), word, __ATOMIC_RELAXED);
}

#endif /* UODP_PROVIDER_MMIO_H */
