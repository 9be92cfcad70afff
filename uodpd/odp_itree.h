/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * An interval index: what Linux's interval tree is to ib_umem_odp
 * notifiers.  A query costs O((k + 1) log n) for the k intervals it hits,
 * whatever n; inserting and removing cost O(n) (registration, not the
 * invalidation path).  Pure: tested and fuzzed on its own.
 */
#ifndef UODPD_ODP_ITREE_H
#define UODPD_ODP_ITREE_H

#include <stdbool.h>
#include <stdint.h>

struct ud_itree_span {
	uint64_t lo, hi;		/* [lo, hi), lo < hi */
	void *item;
};

struct ud_itree {
	struct ud_itree_span *v;	/* sorted by lo */
	/*
	 * v read as a balanced binary tree (the root of [l, r) is its
	 * middle): the highest hi in the subtree rooted at each index.
	 */
	uint64_t *max_hi;
	uint32_t n, cap;
};

/* 0, -EINVAL (lo >= hi) or -ENOMEM. */
int ud_itree_insert(struct ud_itree *t, uint64_t lo, uint64_t hi, void *item);
/* Remove the span [lo, ...) of item: whether it was there. */
bool ud_itree_remove(struct ud_itree *t, uint64_t lo, void *item);

/*
 * fn(arg, span) for every span overlapping [lo, hi), in order of lo;
 * fn returning nonzero stops the walk and is returned.  fn must not
 * change t.
 */
typedef int (*ud_itree_fn)(void *arg, const struct ud_itree_span *s);
int ud_itree_query(const struct ud_itree *t, uint64_t lo, uint64_t hi,
		   ud_itree_fn fn, void *arg);

void ud_itree_fini(struct ud_itree *t);

/*
 * A set of addresses as disjoint, non-adjacent spans (item NULL) in a
 * ud_itree: what of a process a notifier covers.
 */
int ud_rangeset_add(struct ud_itree *t, uint64_t lo, uint64_t hi);
int ud_rangeset_del(struct ud_itree *t, uint64_t lo, uint64_t hi);
/* Whether all of [lo, hi) is in the set. */
bool ud_rangeset_covers(const struct ud_itree *t, uint64_t lo, uint64_t hi);

#endif /* UODPD_ODP_ITREE_H */
