// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The interval index of odp_itree.h: a sorted array read as a balanced
 * binary tree, each node knowing the highest end below it, so a query
 * skips every subtree that ends before it.  Changes rebuild that in O(n).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "odp_itree.h"

static uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a > b ? a : b;

	return m > c ? m : c;
}

/* max_hi of the subtree over [l, r), whose root is its middle. */
static uint64_t rebuild(struct ud_itree *t, uint32_t l, uint32_t r)
{
	uint32_t mid;

	if (l >= r)
		return 0;
	mid = l + (r - l) / 2;
	t->max_hi[mid] = max3(t->v[mid].hi, rebuild(t, l, mid),
			      rebuild(t, mid + 1, r));
	return t->max_hi[mid];
}

static int reserve(struct ud_itree *t, uint32_t more)
{
	struct ud_itree_span *v;
	uint64_t *m;
	uint32_t cap;

	if (t->n + more <= t->cap)
		return 0;
	if (t->n > UINT32_MAX / 2 - more)
		return -ENOMEM;
	cap = t->cap ? t->cap : 8;
	while (cap < t->n + more)
		cap *= 2;
	v = realloc(t->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->v = v;
	m = realloc(t->max_hi, cap * sizeof(*m));
	if (!m)
		return -ENOMEM;
	t->max_hi = m;
	t->cap = cap;
	return 0;
}

/* First index whose span starts above lo (after all equal ones). */
static uint32_t upper_lo(const struct ud_itree *t, uint64_t lo)
{
	uint32_t l = 0, r = t->n;

	while (l < r) {
		uint32_t mid = l + (r - l) / 2;

		if (t->v[mid].lo <= lo)
			l = mid + 1;
		else
			r = mid;
	}
	return l;
}

/* Replace spans [i, j) with the cnt spans of with (enough room made). */
static void splice(struct ud_itree *t, uint32_t i, uint32_t j,
		   const struct ud_itree_span *with, uint32_t cnt)
{
	if (j < t->n)
		memmove(&t->v[i + cnt], &t->v[j],
			(t->n - j) * sizeof(t->v[0]));
	if (cnt)
		memcpy(&t->v[i], with, cnt * sizeof(with[0]));
	t->n = t->n - (j - i) + cnt;
	rebuild(t, 0, t->n);
}

int ud_itree_insert(struct ud_itree *t, uint64_t lo, uint64_t hi, void *item)
{
	struct ud_itree_span s = { .lo = lo, .hi = hi, .item = item };
	uint32_t at;

	if (lo >= hi)
		return -EINVAL;
	if (reserve(t, 1))
		return -ENOMEM;
	at = upper_lo(t, lo);
	splice(t, at, at, &s, 1);
	return 0;
}

bool ud_itree_remove(struct ud_itree *t, uint64_t lo, void *item)
{
	uint32_t i = upper_lo(t, lo);

	while (i-- > 0 && t->v[i].lo == lo) {
		if (t->v[i].item != item)
			continue;
		splice(t, i, i + 1, NULL, 0);
		return true;
	}
	return false;
}

static int query(const struct ud_itree *t, uint32_t l, uint32_t r,
		 uint64_t lo, uint64_t hi, ud_itree_fn fn, void *arg)
{
	uint32_t mid;
	int ret;

	if (l >= r)
		return 0;
	mid = l + (r - l) / 2;
	if (t->max_hi[mid] <= lo)
		return 0;	/* all of this subtree ends before lo */
	ret = query(t, l, mid, lo, hi, fn, arg);
	if (ret)
		return ret;
	if (t->v[mid].lo >= hi)
		return 0;	/* it and everything right start past hi */
	if (t->v[mid].hi > lo) {
		ret = fn(arg, &t->v[mid]);
		if (ret)
			return ret;
	}
	return query(t, mid + 1, r, lo, hi, fn, arg);
}

int ud_itree_query(const struct ud_itree *t, uint64_t lo, uint64_t hi,
		   ud_itree_fn fn, void *arg)
{
	if (lo >= hi)
		return 0;
	return query(t, 0, t->n, lo, hi, fn, arg);
}

void ud_itree_fini(struct ud_itree *t)
{
	free(t->v);
	free(t->max_hi);
	*t = (struct ud_itree){ 0 };
}

/* ---- range sets: disjoint spans, so their ends are sorted too ---- */

/* First span ending above a (or at a, if touching counts). */
static uint32_t first_ending_after(const struct ud_itree *t, uint64_t a,
				   bool touching)
{
	uint32_t l = 0, r = t->n;

	while (l < r) {
		uint32_t mid = l + (r - l) / 2;

		if (t->v[mid].hi < a || (!touching && t->v[mid].hi == a))
			l = mid + 1;
		else
			r = mid;
	}
	return l;
}

/* First span starting at or past a (or past it, if touching counts). */
static uint32_t first_starting_from(const struct ud_itree *t, uint64_t a,
				    bool touching)
{
	uint32_t l = 0, r = t->n;

	while (l < r) {
		uint32_t mid = l + (r - l) / 2;

		if (t->v[mid].lo < a || (touching && t->v[mid].lo == a))
			l = mid + 1;
		else
			r = mid;
	}
	return l;
}

int ud_rangeset_add(struct ud_itree *t, uint64_t lo, uint64_t hi)
{
	struct ud_itree_span s = { .lo = lo, .hi = hi };
	uint32_t i, j;

	if (lo >= hi)
		return -EINVAL;
	/* Spans [i, j) overlap or touch [lo, hi): they merge into one. */
	i = first_ending_after(t, lo, true);
	j = first_starting_from(t, hi, true);
	if (i < j) {
		if (t->v[i].lo < s.lo)
			s.lo = t->v[i].lo;
		if (t->v[j - 1].hi > s.hi)
			s.hi = t->v[j - 1].hi;
	} else if (reserve(t, 1)) {
		return -ENOMEM;
	}
	splice(t, i, j, &s, 1);
	return 0;
}

int ud_rangeset_del(struct ud_itree *t, uint64_t lo, uint64_t hi)
{
	struct ud_itree_span keep[2];
	uint32_t i, j, cnt = 0;

	if (lo >= hi)
		return 0;
	i = first_ending_after(t, lo, false);
	j = first_starting_from(t, hi, false);
	if (i >= j)
		return 0;
	if (t->v[i].lo < lo)
		keep[cnt++] = (struct ud_itree_span){ t->v[i].lo, lo, NULL };
	if (t->v[j - 1].hi > hi)
		keep[cnt++] = (struct ud_itree_span){ hi, t->v[j - 1].hi,
						      NULL };
	/* Splitting one span in two needs a slot more. */
	if (cnt > j - i && reserve(t, cnt - (j - i)))
		return -ENOMEM;
	splice(t, i, j, keep, cnt);
	return 0;
}

bool ud_rangeset_covers(const struct ud_itree *t, uint64_t lo, uint64_t hi)
{
	uint32_t i = first_ending_after(t, lo, false);

	if (lo >= hi)
		return true;
	return i < t->n && t->v[i].lo <= lo && t->v[i].hi >= hi;
}
