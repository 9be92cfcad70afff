/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/* Intrusive doubly linked lists. */
#ifndef UODPD_LIST_H
#define UODPD_LIST_H

#include <stddef.h>
#include <stdbool.h>

struct list_node {
	struct list_node *next, *prev;
};

struct list_head {
	struct list_node n;
};

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

static inline void list_head_init(struct list_head *h)
{
	h->n.next = h->n.prev = &h->n;
}

static inline void list_node_init(struct list_node *n)
{
	n->next = n->prev = n;
}

static inline bool list_empty(const struct list_head *h)
{
	return h->n.next == &h->n;
}

static inline void list_add_tail(struct list_head *h, struct list_node *n)
{
	n->prev = h->n.prev;
	n->next = &h->n;
	h->n.prev->next = n;
	h->n.prev = n;
}

static inline void list_add_head(struct list_head *h, struct list_node *n)
{
	n->next = h->n.next;
	n->prev = &h->n;
	h->n.next->prev = n;
	h->n.next = n;
}

/* Unlink n; n is left self-linked so a second del is harmless. */
static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_node_init(n);
}

/*
 * Rotate h so that the entry after n comes first and n last; the circular
 * order stays.  n must be on h.
 */
static inline void list_rotate_after(struct list_head *h, struct list_node *n)
{
	if (n->next == &h->n)
		return;			/* n is last already */
	h->n.prev->next = h->n.next;
	h->n.next->prev = h->n.prev;
	h->n.next = n->next;
	h->n.prev = n;
	n->next->prev = &h->n;
	n->next = &h->n;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)

#define list_for_each(h, pos, type, member)				\
	for (struct list_node *pos##_n_ = (h)->n.next;			\
	     pos##_n_ != &(h)->n &&					\
	     ((pos = list_entry(pos##_n_, type, member)), 1);		\
	     pos##_n_ = pos##_n_->next)

/* Safe against removal of the current entry. */
#define list_for_each_safe(h, pos, tmp, type, member)			\
	for (struct list_node *pos##_n_ = (h)->n.next,			\
	     *tmp = pos##_n_->next;					\
	     pos##_n_ != &(h)->n &&					\
	     ((pos = list_entry(pos##_n_, type, member)), 1);		\
	     pos##_n_ = tmp, tmp = pos##_n_->next)

#endif /* UODPD_LIST_H */
