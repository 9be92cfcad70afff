// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idr.h"

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
}

static int idr_grow(struct ud_idr *idr)
{
	uint32_t span = idr->max_id - idr->min_id + 1;
	uint32_t cap = idr->cap ? idr->cap * 2 : 64;
	void **slots;

	if (cap > span)
		cap = span;
	if (cap <= idr->cap)
		return -ENOSPC;
	slots = realloc(idr->slots, cap * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	memset(slots + idr->cap, 0, (cap - idr->cap) * sizeof(*slots));
	idr->slots = slots;
	idr->cap = cap;
	return 0;
}

uint32_t ud_idr_alloc(struct ud_idr *idr, void *p)
{
	uint32_t i, slot;
	int ret;

	if (idr->count * 2 >= idr->cap) {
		ret = idr_grow(idr);
		if (ret && idr->count == idr->cap) {
			errno = -ret;
			return 0;
		}
	}
	for (i = 0; i < idr->cap; i++) {
		slot = (idr->next - idr->min_id + i) % idr->cap;
		if (!idr->slots[slot]) {
			idr->slots[slot] = p;
			idr->count++;
			idr->next = idr->min_id + (slot + 1) % idr->cap;
			return idr->min_id + slot;
		}
	}
	errno = ENOSPC;
	return 0;
}

void *ud_idr_find(const struct ud_idr *idr, uint32_t id)
{
	if (id < idr->min_id || id - idr->min_id >= idr->cap)
		return NULL;
	return idr->slots[id - idr->min_id];
}

void ud_idr_remove(struct ud_idr *idr, uint32_t id)
{
	if (!ud_idr_find(idr, id))
		return;
	idr->slots[id - idr->min_id] = NULL;
	idr->count--;
}
