/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * ID allocator with lookup: maps integers of [min_id, max_id] to pointers.
 * IDs are handed out in increasing order and wrap only at the end of the
 * space, so a freed ID is not reused until every other one has been (a
 * stale number held by a peer, a fault record or a hostile client then
 * finds nothing instead of a stranger's object).  An ID lives in slot
 * (id - min_id) % cap of a power-of-two table that is at most half full;
 * doubling it never makes two live IDs share a slot.
 */
#ifndef UODPD_IDR_H
#define UODPD_IDR_H

#include <stdint.h>

struct ud_idr_slot {
	void *p;
	uint32_t id;
};

struct ud_idr {
	struct ud_idr_slot *slots;
	uint32_t cap;			/* slots allocated, a power of two */
	uint32_t min_id, max_id;	/* inclusive range of valid IDs */
	uint32_t next;			/* the next ID to try */
	uint32_t count;
};

void ud_idr_init(struct ud_idr *idr, uint32_t min_id, uint32_t max_id);
void ud_idr_destroy(struct ud_idr *idr);
/* Allocate an ID for p; return it, or 0 with errno ENOMEM/ENOSPC. */
uint32_t ud_idr_alloc(struct ud_idr *idr, void *p);
void *ud_idr_find(const struct ud_idr *idr, uint32_t id);
void ud_idr_remove(struct ud_idr *idr, uint32_t id);
/* The object in slot i < cap, or NULL: to visit all, in no ID order. */
static inline void *ud_idr_at(const struct ud_idr *idr, uint32_t i)
{
	return idr->slots[i].p;
}

#endif /* UODPD_IDR_H */
