// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idr.h"

#define IDR_MIN_CAP 64u

void ud_idr_init(struct ud_idr *idr, uint32_t min_id, uint32_t max_id)
{
	memset(idr, 0, sizeof(*idr));
	idr->min_id = min_id;
	idr->max_id = max_id;
	idr->next = min_id;
}

void ud_idr_destroy(struct ud_idr *idr)
{
	free(idr->slots);
	idr->slots = NULL;
	idr->cap = 0;
	idr->count = 0;
}

static uint32_t idr_span(const struct ud_idr *idr)
{
	return idr->max_id - idr->min_id + 1;
}

static uint32_t idr_slot(const struct ud_idr *idr, uint32_t id)
{
	return (id - idr->min_id) & (idr->cap - 1);
}

/*
 * Double the table.  Live IDs that shared slot s modulo cap would have
 * collided there already, so each moves to s or s + cap alone.
 */
static int idr_grow(struct ud_idr *idr)
{
	uint32_t cap = idr->cap ? idr->cap * 2 : IDR_MIN_CAP;
	struct ud_idr_slot *slots;
	uint32_t i, old = idr->cap;

	if (!cap || cap / 2 > idr_span(idr))
		return -ENOSPC;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	idr->cap = cap;
	for (i = 0; i < old; i++)
		if (idr->slots[i].p)
			slots[idr_slot(idr, idr->slots[i].id)] = idr->slots[i];
	free(idr->slots);
	idr->slots = slots;
	return 0;
}

static uint32_t idr_advance(const struct ud_idr *idr, uint32_t id)
{
	return id >= idr->max_id ? idr->min_id : id + 1;
}

uint32_t ud_idr_alloc(struct ud_idr *idr, void *p)
{
	struct ud_idr_slot *s;
	uint32_t i, id;
	int ret;

	/* At most half full: a free slot is a few IDs away. */
	if (idr->count >= idr_span(idr)) {
		errno = ENOSPC;
		return 0;
	}
	if ((idr->count + 1) * 2 > idr->cap) {
		ret = idr_grow(idr);
		if (ret && idr->count >= idr->cap) {
			errno = -ret;
			return 0;
		}
	}
	/* cap consecutive IDs meet every slot once. */
	id = idr->next;
	for (i = 0; i < idr->cap; i++, id = idr_advance(idr, id)) {
		s = &idr->slots[idr_slot(idr, id)];
		if (s->p)
			continue;
		s->p = p;
		s->id = id;
		idr->count++;
		idr->next = idr_advance(idr, id);
		return id;
	}
	errno = ENOSPC;
	return 0;
}

void *ud_idr_find(const struct ud_idr *idr, uint32_t id)
{
	const struct ud_idr_slot *s;

	if (!idr->cap || id < idr->min_id || id > idr->max_id)
		return NULL;
	s = &idr->slots[idr_slot(idr, id)];
	return s->p && s->id == id ? s->p : NULL;
}

void ud_idr_remove(struct ud_idr *idr, uint32_t id)
{
	if (!ud_idr_find(idr, id))
		return;
	idr->slots[idr_slot(idr, id)].p = NULL;
	idr->count--;
}
