/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * ID allocator with lookup: maps small integers to pointers.  IDs are handed
 * out cyclically so a freed ID is not reused at once (a stale handle from a
 * dead peer then finds nothing instead of a stranger's object).
 */
#ifndef UODPD_IDR_H
#define UODPD_IDR_H

#include <stdint.h>

struct ud_idr {
	void **slots;
	uint32_t cap;			/* slots allocated */
	uint32_t min_id, max_id;	/* inclusive range of valid IDs */
	uint32_t next;			/* where the next search starts */
	uint32_t count;
};

void ud_idr_init(struct ud_idr *idr, uint32_t min_id, uint32_t max_id);
void ud_idr_destroy(struct ud_idr *idr);
/* Allocate an ID for p; return it, or 0 with errno ENOMEM/ENOSPC. */
uint32_t ud_idr_alloc(struct ud_idr *idr, void *p);
void *ud_idr_find(const struct ud_idr *idr, uint32_t id);
void ud_idr_remove(struct ud_idr *idr, uint32_t id);

#endif /* UODPD_IDR_H */
