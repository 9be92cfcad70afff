// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * ibv_advise_mr: PREFETCH maps read-only, PREFETCH_WRITE writable (EPERM
 * unless the MR takes writes), PREFETCH_NO_FAULT maps only pages already
 * resident, without prefetching.  Every SGE is checked up front as Linux
 * does (EINVAL bad arguments, ENOENT an lkey that is no ODP MR, EPERM
 * another PD's MR, EFAULT outside the MR); with IBV_ADVISE_MR_FLAG_FLUSH
 * the work is done before returning, otherwise it is queued to the engine
 * thread, which serves it a chunk at a time between faults, and its
 * errors are only counted (prefetch_errors).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "odp/engine_int.h"

int uodp_odp_advise_check_args(enum ibv_advise_mr_advice advice,
			       uint32_t flags, const struct ibv_sge *sg,
			       uint32_t num_sge)
{
	if (advice != IBV_ADVISE_MR_ADVICE_PREFETCH &&
	    advice != IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE &&
	    advice != IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT)
		return EINVAL;
	if (flags & ~(uint32_t)IBV_ADVISE_MR_FLAG_FLUSH)
		return EINVAL;
	if (!num_sge || !sg)
		return EINVAL;
	return 0;
}

static uint32_t advice_flags(enum ibv_advise_mr_advice advice,
			     const struct uodp_odp_mr_info *mr)
{
	switch (advice) {
	case IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE:
		return UODP_ODP_MAP_WRITE | UODP_ODP_RANGE_POPULATE_WRITE;
	case IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT:
		/* Resident pages keep their rights, as Linux's snapshot. */
		return UODP_ODP_MAP_NO_FAULT |
		       (uodp_odp_mr_writable(mr->access) ? UODP_ODP_MAP_WRITE :
							   0);
	default:
		return 0;	/* read-only mapping */
	}
}

static int sge_range(struct uodp_odp_engine *e, uint32_t pdn,
		     enum ibv_advise_mr_advice advice,
		     const struct ibv_sge *sge, struct uodp_odp_range_list *out)
{
	struct uodp_odp_mr_info mr;

	if (e->host.ops->mr_lookup(e->host.priv, sge->lkey, false, &mr) ||
	    !mr.odp || mr.lkey != sge->lkey)
		return ENOENT;
	if (mr.pdn != pdn)
		return EPERM;
	if (advice == IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE &&
	    !uodp_odp_mr_writable(mr.access))
		return EPERM;
	switch (uodp_odp_range_add(out, &mr, sge->addr, sge->length,
				   advice_flags(advice, &mr))) {
	case 0:
		return 0;
	case -ENOSPC:
		return ENOMEM;
	default:
		return EFAULT;
	}
}

static void queue_job(struct uodp_odp_engine *e, struct uodp_odp_advise_job *j)
{
	uint64_t one = 1;
	ssize_t n;

	pthread_mutex_lock(&e->advise_lock);
	*e->advise_tail = j;
	e->advise_tail = &j->next;
	pthread_mutex_unlock(&e->advise_lock);
	n = write(e->wake_fd, &one, sizeof(one));
	(void)n;	/* EAGAIN: a wake is already pending */
}

int uodp_odp_engine_advise(struct uodp_odp_engine *e, uint32_t pdn,
			   enum ibv_advise_mr_advice advice, uint32_t flags,
			   const struct ibv_sge *sg, uint32_t num_sge)
{
	struct uodp_odp_advise_job *j;
	struct uodp_odp_range_list list;
	uint32_t i;
	int err;

	err = uodp_odp_advise_check_args(advice, flags, sg, num_sge);
	if (err)
		return err;
	j = calloc(1, sizeof(*j) + sizeof(j->ranges[0]) * num_sge);
	if (!j)
		return ENOMEM;
	list = (struct uodp_odp_range_list){ j->ranges, 0, num_sge };
	for (i = 0; i < num_sge && !err; i++)
		err = sge_range(e, pdn, advice, &sg[i], &list);
	odp_count(e, advise_calls, 1);
	if (err)
		goto out;
	j->nranges = list.n;
	if (!(flags & IBV_ADVISE_MR_FLAG_FLUSH)) {
		queue_job(e, j);
		return 0;
	}
	err = -uodp_odp_fetch_and_map(e, j->ranges, j->nranges, NULL, 0,
					     NULL, NULL);
	if (err == EAGAIN)	/* raced an invalidation: try once more */
		err = -uodp_odp_fetch_and_map(e, j->ranges, j->nranges, NULL,
					      0, NULL, NULL);
out:
	free(j);
	return err;
}

static struct uodp_odp_advise_job *take_jobs(struct uodp_odp_engine *e)
{
	struct uodp_odp_advise_job *head;

	pthread_mutex_lock(&e->advise_lock);
	head = e->advise_head;
	e->advise_head = NULL;
	e->advise_tail = &e->advise_head;
	pthread_mutex_unlock(&e->advise_lock);
	return head;
}

void uodp_odp_take_advise_jobs(struct uodp_odp_engine *e)
{
	struct uodp_odp_advise_job *j = take_jobs(e);

	for (; j; j = j->next) {
		/* One stretch per MR region, as a synchronous advice maps. */
		j->nranges = uodp_odp_coalesce(j->ranges, j->nranges);
		*e->advising_tail = j;
		e->advising_tail = &j->next;
	}
}

/* The head job is done (or failed): the next one's turn. */
static void advise_job_done(struct uodp_odp_engine *e)
{
	struct uodp_odp_advise_job *j = e->advising;

	e->advising = j->next;
	if (!e->advising)
		e->advising_tail = &e->advising;
	free(j);
}

bool uodp_odp_run_advise_chunk(struct uodp_odp_engine *e)
{
	struct uodp_odp_advise_job *j = e->advising;
	struct uodp_odp_range chunk;
	uint64_t left;
	int err;

	if (!j)
		return false;
	chunk = j->ranges[j->cur];
	left = chunk.length - j->done;
	chunk.va += j->done;
	chunk.addr += j->done;
	chunk.length = left < UODP_ODP_ADVISE_CHUNK ? left :
						    UODP_ODP_ADVISE_CHUNK;
	err = uodp_odp_fetch_and_map(e, &chunk, 1, NULL, 0, NULL, NULL);
	if (err) {
		odp_count(e, prefetch_errors, 1);
		uodp_dbg("asynchronous ibv_advise_mr failed: %s",
			 strerror(-err));
		advise_job_done(e);
		return e->advising;
	}
	j->done += chunk.length;
	if (j->done == j->ranges[j->cur].length) {
		j->done = 0;
		if (++j->cur == j->nranges)
			advise_job_done(e);
	}
	return e->advising;
}

void uodp_odp_drop_advise_jobs(struct uodp_odp_engine *e)
{
	struct uodp_odp_advise_job *j = take_jobs(e), *next;

	for (; j; j = next) {
		next = j->next;
		free(j);
	}
	while (e->advising)
		advise_job_done(e);
}
