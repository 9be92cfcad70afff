// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The MR table (mr_table.h): two chained hashes over one entry per MR.
 */
#include <errno.h>
#include <stdlib.h>

#include "odp/mr_table.h"

struct uodp_odp_mr_entry {
	struct uodp_odp_mr_entry *next_l, *next_r;
	struct uodp_odp_mr_info info;
};

static unsigned int bucket(uint32_t key)
{
	return (key * 2654435761u) >> 24;	/* 8 bits: 256 buckets */
}

void uodp_odp_mr_table_init(struct uodp_odp_mr_table *t)
{
	pthread_rwlock_init(&t->lock, NULL);
}

void uodp_odp_mr_table_destroy(struct uodp_odp_mr_table *t)
{
	struct uodp_odp_mr_entry *e, *next;
	unsigned int i;

	for (i = 0; i < UODP_MR_TABLE_BUCKETS; i++)
		for (e = t->by_lkey[i]; e; e = next) {
			next = e->next_l;
			free(e);
		}
	pthread_rwlock_destroy(&t->lock);
}

int uodp_odp_mr_table_add(struct uodp_odp_mr_table *t,
			  const struct uodp_odp_mr_info *mr)
{
	struct uodp_odp_mr_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->info = *mr;
	pthread_rwlock_wrlock(&t->lock);
	e->next_l = t->by_lkey[bucket(mr->lkey)];
	t->by_lkey[bucket(mr->lkey)] = e;
	e->next_r = t->by_rkey[bucket(mr->rkey)];
	t->by_rkey[bucket(mr->rkey)] = e;
	if (mr->odp)
		t->odp_mrs++;
	pthread_rwlock_unlock(&t->lock);
	return 0;
}

void uodp_odp_mr_table_del(struct uodp_odp_mr_table *t, uint32_t lkey)
{
	struct uodp_odp_mr_entry **p, *e = NULL;

	pthread_rwlock_wrlock(&t->lock);
	for (p = &t->by_lkey[bucket(lkey)]; *p; p = &(*p)->next_l)
		if ((*p)->info.lkey == lkey) {
			e = *p;
			*p = e->next_l;
			break;
		}
	if (e) {
		for (p = &t->by_rkey[bucket(e->info.rkey)]; *p;
		     p = &(*p)->next_r)
			if (*p == e) {
				*p = e->next_r;
				break;
			}
		if (e->info.odp)
			t->odp_mrs--;
	}
	pthread_rwlock_unlock(&t->lock);
	free(e);
}

int uodp_odp_mr_table_lookup(struct uodp_odp_mr_table *t, uint32_t key,
			     bool remote, struct uodp_odp_mr_info *mr)
{
	struct uodp_odp_mr_entry *e;
	int err = -ENOENT;

	pthread_rwlock_rdlock(&t->lock);
	if (remote) {
		for (e = t->by_rkey[bucket(key)]; e; e = e->next_r)
			if (e->info.rkey == key)
				break;
	} else {
		for (e = t->by_lkey[bucket(key)]; e; e = e->next_l)
			if (e->info.lkey == key)
				break;
	}
	if (e) {
		*mr = e->info;
		err = 0;
	}
	pthread_rwlock_unlock(&t->lock);
	return err;
}
