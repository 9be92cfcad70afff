/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/* The connection manager's waits for an answer (cm_wait.c): pure times. */
#ifndef UODPD_CM_WAIT_H
#define UODPD_CM_WAIT_H

#include <stdint.h>

/* What an ID waits for; each its own timer queue per packet lifetime. */
enum ud_cm_wait {
	UD_CM_WAIT_NONE,
	UD_CM_WAIT_REP,			/* active: a REQ the listener MRA'd */
	UD_CM_WAIT_RTU,			/* passive: a REP the active side MRA'd */
	UD_CM_WAIT_RTU_UNANSWERED,	/* passive: a REP to a side timed out */
	UD_CM_WAIT_DREP,		/* the active side's DREQ */
	UD_CM_WAIT_DREP_PASSIVE,	/* the passive side's DREQ */
	UD_CM_WAIT_SIDR_REP,		/* a SIDR REQ */
	UD_CM_WAIT_NR,
};

/* Packet lifetimes 0..31 (IB CM times: 4.096 us * 2^t). */
#define UD_CM_LIFETIMES 32

/*
 * How often blocked GET_EVENTs are looked at for signals and dead callers
 * (ucma_file.c): step 0 at once, then 5 ms doubling up to 160 ms.
 */
#define UD_CM_WATCH_STEPS 7

/* cm_convert_to_ms(): IB CM time t in milliseconds, as cm.c rounds it. */
uint64_t ud_cm_time_ms(unsigned int t);
/* cm_ack_timeout(): the ACK timeout of a path through a CA's ack delay. */
uint8_t ud_cm_ack_timeout(uint8_t ca_ack_delay, uint8_t packet_life_time);
/* The whole wait, retries included, of one kind, in milliseconds. */
uint64_t ud_cm_wait_ms(enum ud_cm_wait wait, uint8_t lifetime);

#endif /* UODPD_CM_WAIT_H */
