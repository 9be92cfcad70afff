/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The host's MR table: key -> PD, addresses, length, access, ODP, looked
 * up by lkey or rkey.  Lookups copy the entry out under a read lock, so an
 * MR deregistered meanwhile is never touched after it is gone.
 */
#ifndef UODP_ODP_MR_TABLE_H
#define UODP_ODP_MR_TABLE_H

#include <pthread.h>

#include "odp/types.h"

#define UODP_MR_TABLE_BUCKETS 256

struct uodp_odp_mr_entry;

struct uodp_odp_mr_table {
	pthread_rwlock_t lock;
	struct uodp_odp_mr_entry *by_lkey[UODP_MR_TABLE_BUCKETS];
	struct uodp_odp_mr_entry *by_rkey[UODP_MR_TABLE_BUCKETS];
	uint32_t odp_mrs;
};

void uodp_odp_mr_table_init(struct uodp_odp_mr_table *t);
void uodp_odp_mr_table_destroy(struct uodp_odp_mr_table *t);
/* 0 or -ENOMEM. */
int uodp_odp_mr_table_add(struct uodp_odp_mr_table *t,
			  const struct uodp_odp_mr_info *mr);
void uodp_odp_mr_table_del(struct uodp_odp_mr_table *t, uint32_t lkey);
/* 0 or -ENOENT. */
int uodp_odp_mr_table_lookup(struct uodp_odp_mr_table *t, uint32_t key,
			     bool remote, struct uodp_odp_mr_info *mr);

#endif /* UODP_ODP_MR_TABLE_H */
