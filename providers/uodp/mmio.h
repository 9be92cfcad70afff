/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Doorbells.  The device polls doorbell records in queue memory while busy
 * and sets need_wakeup in the shared page before it sleeps; so a doorbell is
 * a store to the record, a full fence (the device's need_wakeup store and
 * rescan pair with it), and a system call only if the device is asleep.
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

/* After a doorbell record store: wake the device if it sleeps. */
static inline void uodp_kick(struct uodp_context *ctx)
{
	uint64_t one = 1;
	ssize_t n;

	atomic_thread_fence(memory_order_seq_cst);
	if (!__atomic_load_n(&ctx->shared->need_wakeup, __ATOMIC_RELAXED))
		return;
	n = write(ctx->doorbell_fd, &one, sizeof(one));
	(void)n;	/* EAGAIN: the counter is already non-zero */
}

#endif /* UODP_PROVIDER_MMIO_H */
