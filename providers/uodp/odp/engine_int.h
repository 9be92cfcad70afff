/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The fault engine's private state, shared by its files: engine.c (setup,
 * thread, event dispatch), service.c (one fault), fetch.c (prefetch, MAP,
 * resume), advise.c (ibv_advise_mr), stats.c (the counters page).
 */
#ifndef UODP_ODP_ENGINE_INT_H
#define UODP_ODP_ENGINE_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "log.h"
#include "odp/engine.h"
#include "odp/parse.h"
#include "odp/policy.h"

enum {
	UODP_ODP_NEED_RANGES = 512,	/* one WQE's, or one RDMA fault's */
	UODP_ODP_EXTRA_RANGES = 1024,	/* what a policy may add */
	UODP_ODP_EVENT_BATCH = 16,
	UODP_ODP_BEHIND_RANGES = 16,	/* read-ahead mapped after resume */
};

/*
 * Read-ahead after a resume is mapped in chunks of this size: a huge page,
 * so a chunk of THP-backed memory is one page to populate and one MAP (a
 * smaller chunk would populate the whole huge page and then MAP its second
 * half in a round trip of its own), while the device, a chunk behind,
 * rarely catches up.
 */
#define UODP_ODP_READAHEAD_CHUNK (2ull << 20)

/*
 * Asynchronous advice is served this much at a time (madvise, then MAP),
 * faults in between: a TiB of advice must not hold the context's faults.
 */
#define UODP_ODP_ADVISE_CHUNK (32ull << 20)

struct uodp_odp_advise_job {
	struct uodp_odp_advise_job *next;
	uint32_t nranges;
	uint32_t cur;			/* the range being served */
	uint64_t done;			/* bytes of it served */
	struct uodp_odp_range ranges[];
};

struct uodp_odp_engine {
	struct uodp_odp_host host;
	struct uodp_odp_backend *be;
	struct uodp_odp_mr_resolver resolver;
	const struct uodp_odp_policy *policy;
	struct uodp_odp_policy_params params;
	struct uodp_odp_api api;
	uint32_t max_map_ranges;

	struct uodp_odp_engine_counters *stats;	/* the shared stats page */
	size_t stats_size;

	int event_fd;
	int wake_fd;			/* eventfd: stop, advise work */
	bool stop;
	bool thread_running;
	pthread_t thread;

	pthread_mutex_t advise_lock;
	struct uodp_odp_advise_job *advise_head, **advise_tail;
	/* Taken from the queue, served a chunk at a time (engine thread). */
	struct uodp_odp_advise_job *advising, **advising_tail;

	/* Scratch of the engine thread. */
	struct uodp_odp_range need[UODP_ODP_NEED_RANGES];
	struct uodp_odp_range extra[UODP_ODP_EXTRA_RANGES];
	struct uodp_odp_range behind[UODP_ODP_BEHIND_RANGES];
	/* The RDMA read-ahead stream (service.c). */
	struct uodp_odp_readahead readahead;
};

#define odp_count(e, field, v)                                                \
	__atomic_fetch_add(&(e)->stats->field, (v), __ATOMIC_RELAXED)

/* stats.c */
int uodp_odp_stats_create(struct uodp_odp_engine *e, int *fd);
void uodp_odp_stats_destroy(struct uodp_odp_engine *e);
uint64_t uodp_odp_now_ns(void);
void uodp_odp_stats_service_time(struct uodp_odp_engine *e, uint64_t ns);

/* service.c: one channel record. */
void uodp_odp_handle_event(struct uodp_odp_engine *e,
			   const struct uodp_odp_event *ev);

/*
 * fetch.c: prefetch and map need[0..nneed) (failure fails the call) and
 * extra[0..nextra) (failures dropped).  Coalesces both in place.  With f,
 * the last MAP also resumes f's queue (with error if a needed range
 * failed) and *resumed says whether it did; else the caller resumes.
 * 0 or -errno (-EAGAIN: raced an invalidation, the device faults again).
 */
int uodp_odp_fetch_and_map(struct uodp_odp_engine *e,
			   struct uodp_odp_range *need, uint32_t nneed,
			   struct uodp_odp_range *extra, uint32_t nextra,
			   const struct uodp_odp_fault *f, bool *resumed);
/* fetch.c: this thread's madvise time and last send since the last call. */
void uodp_odp_fetch_times(uint64_t *populate_ns, uint64_t *sent_ns);
/* fetch.c: map read-ahead after the resume, until the device catches up. */
void uodp_odp_map_behind(struct uodp_odp_engine *e, struct uodp_odp_range *r,
			 uint32_t n);
int uodp_odp_resume(struct uodp_odp_engine *e,
		    const struct uodp_odp_fault *f, bool error);

/*
 * advise.c: take the queued asynchronous advice (engine thread), and serve
 * one chunk of it; whether any is left to serve.
 */
void uodp_odp_take_advise_jobs(struct uodp_odp_engine *e);
bool uodp_odp_run_advise_chunk(struct uodp_odp_engine *e);
void uodp_odp_drop_advise_jobs(struct uodp_odp_engine *e);

#endif /* UODP_ODP_ENGINE_INT_H */
