// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * How long the CM waits for an answer, as the kernel's IB CM (cm.c) and
 * RDMA CM (cma.c) time it on RoCE.  An IB CM time t is 4.096 us * 2^t,
 * which cm.c rounds to 2^(t-8) ms (cm_convert_to_ms).  A message is sent
 * with a timeout and 15 retries (CMA_MAX_CM_RETRIES); no answer to the
 * last is the error event.  Both ends are IDs of this daemon, so nothing
 * is lost: what the kernel resends and what each resend is answered with
 * are known when the message is sent, and one timer per ID waits out the
 * sum.
 *
 *  - The active side's REQ waits 2 packet lifetimes plus the remote CM
 *    response timeout (CMA_CM_RESPONSE_TIMEOUT, 20).  The listener's CM
 *    delays its MRA (CMA_CM_MRA_SETTING: IB_CM_MRA_FLAG_DELAY | 24), so the
 *    first resend is what it answers, with an MRA of service timeout 24;
 *    every later wait is that plus the path's ACK timeout (cm_mra_handler,
 *    and ib_modify_mad keeps it for the remaining retries).  16.6 minutes.
 *  - The passive side's REP waits the REQ's local CM response timeout
 *    (20), then the active CM's MRA (sent on the REP, delayed the same way)
 *    stretches the rest as above with the passive path's ACK timeout.  A
 *    REP nobody answers (the active side timed out) waits 16 x 20.
 *  - A DREQ waits its side's base timeout, 16 times (no MRA).
 *  - A SIDR REQ waits 16 x 2^(20-8) ms (cma_resolve_ib_udp).
 *
 * The packet lifetime is CMA_IBOE_PACKET_LIFETIME (16), or the ID's
 * ACK_TIMEOUT less one when that was set before RESOLVE_ROUTE
 * (cma_resolve_iboe_route).  --cm-timeout-divisor divides every wait, for
 * tests that wait one out.
 */
#include "ucma.h"
#include "uodpd.h"

#define CM_RESPONSE_TIMEOUT 20		/* CMA_CM_RESPONSE_TIMEOUT */
#define CM_MRA_SERVICE_TIMEOUT 24	/* CMA_CM_MRA_SETTING's time */
#define CM_MAX_RETRIES 15u		/* CMA_MAX_CM_RETRIES */

uint64_t ud_cm_time_ms(unsigned int t)
{
	return 1ull << (t > 8 ? t - 8 : 0);
}

/* cm_ack_timeout(): a path's ACK timeout from its lifetime and a delay. */
uint8_t ud_cm_ack_timeout(uint8_t ca_ack_delay, uint8_t packet_life_time)
{
	unsigned int t = packet_life_time + 1u;

	if (t >= ca_ack_delay)
		t += ca_ack_delay >= t - 1;
	else
		t = ca_ack_delay + (t >= ca_ack_delay - 1u);
	return t > 31 ? 31 : (uint8_t)t;
}

/* What each message of the active side (the REQ's sender) first waits. */
static uint64_t active_base_ms(uint8_t lifetime)
{
	return 2 * ud_cm_time_ms(lifetime) + ud_cm_time_ms(CM_RESPONSE_TIMEOUT);
}

/* ... and of the passive side: the REQ's local CM response timeout. */
static uint64_t passive_base_ms(void)
{
	return ud_cm_time_ms(CM_RESPONSE_TIMEOUT);
}

/* A wait an MRA of the peer stretched after the first try. */
static uint64_t mraed_ms(uint64_t first_ms, uint8_t av_timeout)
{
	return first_ms + CM_MAX_RETRIES *
	       (ud_cm_time_ms(CM_MRA_SERVICE_TIMEOUT) + ud_cm_time_ms(av_timeout));
}

uint64_t ud_cm_wait_ms(enum ud_cm_wait wait, uint8_t lifetime)
{
	switch (wait) {
	case UD_CM_WAIT_REP:
		/* cm_init_av_by_path: the active path's timeout. */
		return mraed_ms(active_base_ms(lifetime), lifetime + 1);
	case UD_CM_WAIT_RTU:
		/* The REQ's local ACK timeout is the passive path's. */
		return mraed_ms(passive_base_ms(),
				ud_cm_ack_timeout(UODPD_LOCAL_CA_ACK_DELAY,
						  lifetime));
	case UD_CM_WAIT_RTU_UNANSWERED:
	case UD_CM_WAIT_DREP_PASSIVE:
	case UD_CM_WAIT_SIDR_REP:
		return (CM_MAX_RETRIES + 1) * passive_base_ms();
	case UD_CM_WAIT_DREP:
		return (CM_MAX_RETRIES + 1) * active_base_ms(lifetime);
	default:
		return 0;
	}
}

void ud_cm_waits_init(struct uodpd *d)
{
	unsigned int w, l;
	uint64_t ns;

	for (w = 1; w < UD_CM_WAIT_NR; w++) {
		for (l = 0; l < UD_CM_LIFETIMES; l++) {
			ns = ud_cm_wait_ms(w, (uint8_t)l) * 1000000ull /
			     d->cm_timeout_divisor;
			ud_timer_queue_add(d, &d->cm_waits[w][l], ns);
		}
	}
}

void ud_cm_wait_start(struct uodpd *d, struct ud_cm_id *id,
		      enum ud_cm_wait wait)
{
	id->wait = wait;
	ud_timer_start(d, &d->cm_waits[wait][id->lifetime], &id->wait_timer);
}

void ud_cm_wait_stop(struct ud_cm_id *id)
{
	ud_timer_stop(&id->wait_timer);
	id->wait = UD_CM_WAIT_NONE;
}
