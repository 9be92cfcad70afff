// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Making ranges present: prefetch the process's pages with madvise
 * (MADV_POPULATE_WRITE where the device will write, MADV_POPULATE_READ
 * otherwise), then MAP them, coalesced and batched, and finally RESUME the
 * queue with one PRM PAGE_FAULT_RESUME.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>

#include "hw/mlx5/cmd.h"
#include "hw/mlx5/eqe.h"
#include "odp/engine_int.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/*
 * Per calling thread (the engine's, an application thread in a synchronous
 * ibv_advise_mr): how long madvise populated pages,
 * and when the last MAP or resume reached the device, since the last
 * uodp_odp_fetch_times().
 */
static __thread uint64_t tl_populate_ns, tl_sent_ns;

void uodp_odp_fetch_times(uint64_t *populate_ns, uint64_t *sent_ns)
{
	if (populate_ns)
		*populate_ns = tl_populate_ns;
	if (sent_ns)
		*sent_ns = tl_sent_ns;
	tl_populate_ns = 0;
	tl_sent_ns = 0;
}

/* Fault the process's pages in, so MAP finds them resident. */
static int prefetch(struct uodp_odp_engine *e, const struct uodp_odp_range *r,
		    bool required)
{
	bool write = r->flags & UODP_ODP_RANGE_POPULATE_WRITE;
	uint64_t start, end, t0 = uodp_odp_now_ns();
	int err, ret;

	if (r->flags & UODP_ODP_MAP_NO_FAULT)
		return 0;
	uodp_odp_range_span(r, &start, &end);
	odp_count(e, prefetch_calls, 1);
	ret = madvise((void *)(uintptr_t)start, end - start,
		      write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
	err = errno;
	/* Page population is the kernel's work, not the service's. */
	tl_populate_ns += uodp_odp_now_ns() - t0;
	if (!ret) {
		odp_count(e, prefetch_bytes, end - start);
		return 0;
	}
	odp_count(e, prefetch_errors, 1);
	if (required)
		uodp_err("ODP prefetch of %#llx+%#llx (MR key %#x, %s) failed: %s%s",
			 (unsigned long long)r->addr,
			 (unsigned long long)r->length, r->mr_key,
			 write ? "write" : "read", strerror(err),
			 err == ENOMEM ? " (not mapped in this process)" : "");
	/* Memory the process does not have is a fault nobody can serve. */
	return -EFAULT;
}

static void resume_mailbox(const struct uodp_odp_fault *f, bool error,
			   struct mlx5_page_fault_resume_in *in)
{
	memset(in, 0, sizeof(*in));
	in->opcode = htobe16(MLX5_CMD_OP_PAGE_FAULT_RESUME);
	in->err_type_wq = htobe32((error ? MLX5_PF_RESUME_ERROR : 0) |
				  (uint32_t)(f->type & MLX5_PF_RESUME_TYPE_MASK)
					  << MLX5_PF_RESUME_TYPE_SHIFT |
				  (f->wq_num & MLX5_PF_RESUME_WQ_MASK));
	in->token = htobe32(f->token & MLX5_PFAULT_TOKEN_MASK);
}

static int resume_status(const struct uodp_odp_fault *f,
			 const struct mlx5_cmd_out_hdr *out)
{
	if (out->status == MLX5_CMD_STAT_OK)
		return 0;
	uodp_err("ODP resume of token %#x (wq %#x) refused: status %#x syndrome %#x",
		 f->token, f->wq_num, out->status, be32toh(out->syndrome));
	return -EINVAL;
}

/* The ranges to MAP, in order: a's (required), then b's (optional). */
struct map_list {
	const struct uodp_odp_range *a, *b;
	uint32_t na, nb, next;
	uint64_t skip;		/* bytes of range next the device did */
};

/* The next range to MAP into *m, its position in *pos. */
static bool map_list_next(struct map_list *l, struct uodp_odp_map_range *m,
			  uint32_t *pos)
{
	const struct uodp_odp_range *r;
	bool optional;

	do {
		if (l->next >= l->na + l->nb)
			return false;
		optional = l->next >= l->na;
		r = optional ? &l->b[l->next - l->na] : &l->a[l->next];
		*pos = l->next++;
		if (l->skip >= r->length)	/* done, or dropped by prefetch */
			l->skip = 0;
		else
			break;
	} while (true);
	m->mr_key = r->mr_key;
	m->flags = (r->flags & UODP_ODP_MAP_FLAGS_MASK) |
		   (optional ? UODP_ODP_MAP_OPTIONAL : 0);
	m->va = r->va + l->skip;
	m->length = r->length - l->skip;
	l->skip = 0;
	return true;
}

static void log_refused(const struct uodp_odp_map_range *m, int err)
{
	if (err != -EAGAIN)
		uodp_err("ODP MAP of %#llx+%#llx (MR key %#x%s) refused: %s",
			 (unsigned long long)m->va,
			 (unsigned long long)m->length, m->mr_key,
			 m->flags & UODP_ODP_MAP_WRITE ? ", write" : "",
			 strerror(-err));
}

/*
 * Calls in a row in which the device reported no progress before a MAP
 * gives up (a kernel's -EAGAIN of a race is retried as often).
 */
#define MAP_STALLS_MAX 16

/*
 * The device stopped within the batch (-EAGAIN: it does a bounded amount
 * of work per call, or raced an invalidation): the list continues from
 * where it stopped.  False when it made no progress too often.
 */
static bool map_continue(struct map_list *l, const uint32_t *pos, uint32_t k,
			 const struct uodp_odp_map_resp *resp,
			 unsigned int *stalls)
{
	if (resp->ranges_done >= k) {
		*stalls = 0;
		return true;	/* the whole batch, then it stopped */
	}
	l->next = pos[resp->ranges_done];
	l->skip = resp->range_done;
	if (resp->ranges_done || resp->range_done || resp->pages_mapped)
		*stalls = 0;
	else if (++*stalls >= MAP_STALLS_MAX)
		return false;
	return true;
}

/*
 * MAP the list in batches; with f, the last batch also resumes f's queue
 * (the device sets the error bit itself if a required range failed) and
 * *resumed says so.  A failed optional range is skipped by the device.
 * The device may stop early (-EAGAIN): the rest follows in more calls, and
 * if the resume went with a call that stopped early, its queue runs and
 * faults again on what is not mapped yet, if it gets there first.
 */
static int map_ranges(struct uodp_odp_engine *e, struct map_list *l,
		      const struct uodp_odp_fault *f, bool *resumed)
{
	struct uodp_odp_map_range batch[UODP_ODP_MAX_MAP_RANGES];
	uint32_t pos[UODP_ODP_MAX_MAP_RANGES], k;
	struct mlx5_page_fault_resume_in in;
	struct uodp_odp_map_resp resp;
	unsigned int stalls = 0;
	bool more = true, last;
	int err;

	if (resumed)
		*resumed = false;
	while (more) {
		for (k = 0; k < e->max_map_ranges &&
			    (more = map_list_next(l, &batch[k], &pos[k])); k++)
			;
		last = !more || l->next >= l->na + l->nb;
		if (!k && !(last && f))
			break;
		if (last && f)
			resume_mailbox(f, false, &in);
		memset(&resp, 0, sizeof(resp));
		err = e->be->ops->map(e->be, batch, k, last && f ? &in : NULL,
				      &resp, &tl_sent_ns);
		odp_count(e, map_calls, 1);
		if (err) {
			uodp_err("ODP MAP command failed: %s", strerror(-err));
			return err;
		}
		odp_count(e, pages_mapped, resp.pages_mapped);
		err = 0;
		if (last && f) {
			*resumed = true;
			err = resume_status(f, (const void *)resp.resume_out);
			f = NULL;	/* it went: the rest maps behind it */
		}
		if (resp.status == -EAGAIN &&
		    map_continue(l, pos, k, &resp, &stalls)) {
			more = true;
			if (err)
				return err;
			continue;
		}
		if (resp.status) {
			err = resp.status < 0 && resp.status > -4096 ?
			      resp.status : -EPROTO;
			log_refused(&batch[resp.ranges_done < k ?
					   resp.ranges_done : 0], err);
			return err;
		}
		if (err || (last && !more))
			return err;
	}
	return 0;
}

int uodp_odp_fetch_and_map(struct uodp_odp_engine *e,
			   struct uodp_odp_range *need, uint32_t nneed,
			   struct uodp_odp_range *extra, uint32_t nextra,
			   const struct uodp_odp_fault *f, bool *resumed)
{
	struct map_list l;
	uint32_t i;
	int err;

	if (resumed)
		*resumed = false;
	nneed = uodp_odp_coalesce(need, nneed);
	nextra = uodp_odp_coalesce(extra, nextra);
	for (i = 0; i < nneed; i++) {
		err = prefetch(e, &need[i], true);
		if (err)
			return err;
	}
	for (i = 0; i < nextra; i++)
		if (prefetch(e, &extra[i], false))
			extra[i].length = 0;	/* dropped */
	/* Needed and extra ranges share batches: usually one round trip. */
	l = (struct map_list){ .a = need, .na = nneed, .b = extra,
			       .nb = nextra };
	return map_ranges(e, &l, f, resumed);
}

static bool events_pending(struct uodp_odp_engine *e)
{
	struct pollfd pfd = { .fd = e->event_fd, .events = POLLIN };

	return e->event_fd >= 0 && poll(&pfd, 1, 0) > 0;
}

/* Up to the next chunk boundary (a huge page's) of the process's address. */
static uint64_t chunk_length(uint64_t addr, uint64_t left)
{
	uint64_t room = UODP_ODP_READAHEAD_CHUNK -
			addr % UODP_ODP_READAHEAD_CHUNK;

	return left < room ? left : room;
}

/*
 * Read-ahead after the resume: the queue runs again while we map the
 * window in chunks, in the order the device will reach them, so a stream
 * of RDMA into fresh memory finds its pages mapped without stalling for
 * the whole window.  A new event means the device caught up (or something
 * else needs us): stop, the next fault starts a window of its own.
 */
void uodp_odp_map_behind(struct uodp_odp_engine *e, struct uodp_odp_range *r,
			 uint32_t n)
{
	struct uodp_odp_range chunk;
	struct map_list l;
	uint32_t i;

	n = uodp_odp_coalesce(r, n);
	for (i = 0; i < n; i++) {
		uint64_t done = 0;

		chunk = r[i];
		while (done < r[i].length) {
			if (events_pending(e))
				return;
			chunk.va = r[i].va + done;
			chunk.addr = r[i].addr + done;
			chunk.length = chunk_length(chunk.addr,
						    r[i].length - done);
			l = (struct map_list){ .b = &chunk, .nb = 1 };
			if (prefetch(e, &chunk, false) ||
			    map_ranges(e, &l, NULL, NULL))
				break;	/* past what the process has */
			done += chunk.length;
		}
	}
}

int uodp_odp_resume(struct uodp_odp_engine *e, const struct uodp_odp_fault *f,
		    bool error)
{
	struct mlx5_page_fault_resume_in in;
	struct mlx5_cmd_out_hdr out;
	int err;

	resume_mailbox(f, error, &in);
	memset(&out, 0, sizeof(out));
	err = e->be->ops->general_cmd(e->be, &in, sizeof(in), &out,
				      sizeof(out), &tl_sent_ns);
	if (err) {
		uodp_err("ODP resume of token %#x failed: %s", f->token,
			 strerror(-err));
		return err;
	}
	return resume_status(f, &out);
}
