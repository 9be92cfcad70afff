// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The notifier's interval index (uodpd/odp_itree.c) against a plain list:
 * random inserts, removals and queries must find exactly the spans a
 * linear scan finds, and range sets must hold exactly the union of what
 * was added less what was deleted (checked page by page).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "odp_itree.h"

#define MAX_SPANS 300
#define SPACE 4096			/* addresses [0, SPACE) */

struct model {
	struct ud_itree_span s[MAX_SPANS];
	unsigned int n;
};

struct hits {
	uint8_t seen[MAX_SPANS];
	unsigned int calls;
	uint64_t last_lo;
	bool ordered;
};

static int record(void *arg, const struct ud_itree_span *s)
{
	struct hits *h = arg;
	unsigned int id = (unsigned int)(uintptr_t)s->item;

	h->seen[id]++;
	if (h->calls++ && s->lo < h->last_lo)
		h->ordered = false;
	h->last_lo = s->lo;
	return 0;
}

static int stop_at_first(void *arg, const struct ud_itree_span *s)
{
	(void)s;
	++*(int *)arg;
	return 7;
}

static void check_query(const struct ud_itree *t, const struct model *m,
			uint64_t lo, uint64_t hi)
{
	struct hits h = { .ordered = true };
	unsigned int i, want = 0;

	ud_itree_query(t, lo, hi, record, &h);
	for (i = 0; i < m->n; i++) {
		unsigned int id = (unsigned int)(uintptr_t)m->s[i].item;
		bool overlaps = m->s[i].lo < hi && lo < m->s[i].hi;

		want += overlaps;
		CHECK_EQ(h.seen[id], overlaps);
	}
	CHECK_EQ(h.calls, want);
	CHECK(h.ordered);
}

static void test_index(void)
{
	struct ud_itree t = { 0 };
	struct model m = { .n = 0 };
	unsigned int round, ids = 0;
	int calls = 0;

	CHECK_EQ(ud_itree_insert(&t, 5, 5, NULL), -EINVAL);
	for (round = 0; round < 20000; round++) {
		uint64_t lo = (uint64_t)rand() % SPACE;
		uint64_t hi = lo + 1 + (uint64_t)rand() % (rand() % 8 ?
							    64 : SPACE);
		int op = rand() % 4;

		if (op == 0 && m.n < MAX_SPANS && ids < MAX_SPANS) {
			void *item = (void *)(uintptr_t)ids++;

			CHECK_EQ(ud_itree_insert(&t, lo, hi, item), 0);
			m.s[m.n++] = (struct ud_itree_span){ lo, hi, item };
		} else if (op == 1 && m.n) {
			unsigned int i = (unsigned int)rand() % m.n;

			CHECK(ud_itree_remove(&t, m.s[i].lo, m.s[i].item));
			CHECK(!ud_itree_remove(&t, m.s[i].lo, m.s[i].item));
			m.s[i] = m.s[--m.n];
		} else {
			check_query(&t, &m, lo, hi);
		}
		if (ids == MAX_SPANS && !m.n)
			ids = 0;	/* ids are reused once all are gone */
	}
	CHECK_EQ(t.n, m.n);
	/* A nonzero answer stops the walk at once and is returned. */
	if (m.n) {
		CHECK_EQ(ud_itree_query(&t, 0, SPACE * 2, stop_at_first,
					&calls), 7);
		CHECK_EQ(calls, 1);
	}
	CHECK_EQ(ud_itree_query(&t, 9, 9, stop_at_first, &calls), 0);
	ud_itree_fini(&t);
}

/* Every span disjoint from and not touching the next; pages as in bits. */
static void check_set(const struct ud_itree *t, const uint8_t *in)
{
	uint64_t a, covered = 0;
	uint32_t i;

	for (i = 0; i < t->n; i++) {
		CHECK(t->v[i].lo < t->v[i].hi);
		if (i)
			CHECK(t->v[i - 1].hi < t->v[i].lo);
	}
	for (a = 0; a < SPACE; a++) {
		CHECK_EQ(ud_rangeset_covers(t, a, a + 1), in[a]);
		covered += in[a];
	}
	for (i = 0; i < t->n; i++)
		covered -= t->v[i].hi - t->v[i].lo;
	CHECK_EQ(covered, 0);
}

static void test_rangeset(void)
{
	static uint8_t in[SPACE];
	struct ud_itree t = { 0 };
	unsigned int round;

	memset(in, 0, sizeof(in));
	for (round = 0; round < 3000; round++) {
		uint64_t lo = (uint64_t)rand() % (SPACE - 1);
		uint64_t hi = lo + 1 + (uint64_t)rand() % 40;
		uint64_t a;
		bool all = true;

		if (hi > SPACE)
			hi = SPACE;
		if (rand() % 2) {
			CHECK_EQ(ud_rangeset_add(&t, lo, hi), 0);
			memset(in + lo, 1, hi - lo);
		} else {
			CHECK_EQ(ud_rangeset_del(&t, lo, hi), 0);
			memset(in + lo, 0, hi - lo);
		}
		lo = (uint64_t)rand() % (SPACE - 1);
		hi = lo + 1 + (uint64_t)rand() % 100;
		if (hi > SPACE)
			hi = SPACE;
		for (a = lo; a < hi; a++)
			all = all && in[a];
		CHECK_EQ(ud_rangeset_covers(&t, lo, hi), all);
		if (round % 100 == 0)
			check_set(&t, in);
	}
	check_set(&t, in);
	CHECK_EQ(ud_rangeset_add(&t, 3, 3), -EINVAL);
	ud_itree_fini(&t);
}

int main(void)
{
	srand(1);
	test_index();
	test_rangeset();
	return check_report("test_uodpd_itree");
}
