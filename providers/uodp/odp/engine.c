// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The engine's life: the handshake, the counters page, the event channel
 * and the servicing thread, which polls the channel and a wake eventfd
 * (stop, queued advice), serves asynchronous advice a chunk at a time
 * between faults, and never touches the application's signals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "odp/engine_int.h"

static int engine_mr_lookup(void *arg, uint32_t key, bool remote,
			    struct uodp_odp_mr_info *mr)
{
	struct uodp_odp_engine *e = arg;

	return e->host.ops->mr_lookup(e->host.priv, key, remote, mr);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoull(s, &end, 0);
	/* K, M and G suffixes: UODP_ODP_READAHEAD=16M */
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	else if (*end == 'g' || *end == 'G')
		v <<= 30, end++;
	if (errno || *end) {
		uodp_warn("%s=%s is not a number: using %" PRIu64, name, s,
			  def);
		return def;
	}
	return v;
}

static void configure(struct uodp_odp_engine *e)
{
	const char *name = getenv("UODP_ODP_POLICY");

	e->policy = uodp_odp_policy_find(name && *name ? name :
					 UODP_ODP_DEFAULT_POLICY);
	if (!e->policy) {
		uodp_warn("UODP_ODP_POLICY=%s is not a policy (exact, lookahead): using %s",
			  name, UODP_ODP_DEFAULT_POLICY);
		e->policy = uodp_odp_policy_find(UODP_ODP_DEFAULT_POLICY);
	}
	e->params.readahead = env_u64("UODP_ODP_READAHEAD",
				      UODP_ODP_DEFAULT_READAHEAD);
	e->params.readahead_max = env_u64("UODP_ODP_READAHEAD_MAX",
					  UODP_ODP_DEFAULT_READAHEAD_MAX);
	if (e->params.readahead_max < e->params.readahead)
		e->params.readahead_max = e->params.readahead;
	e->params.max_wqes = (uint32_t)env_u64("UODP_ODP_LOOKAHEAD_WQES",
					       UODP_ODP_DEFAULT_LOOKAHEAD_WQES);
}

static void drain_wake(struct uodp_odp_engine *e)
{
	uint64_t v;
	ssize_t n;

	n = read(e->wake_fd, &v, sizeof(v));
	(void)n;
}

/* Read and serve records until the channel is empty; false: it closed. */
static bool serve_channel(struct uodp_odp_engine *e)
{
	struct uodp_odp_event ev[UODP_ODP_EVENT_BATCH];
	int n, i;

	for (;;) {
		n = e->be->ops->read_events(e->be, ev, UODP_ODP_EVENT_BATCH);
		if (n == 0)
			return true;
		if (n < 0) {
			if (n == -EPIPE)
				uodp_warn("ODP event channel closed by the device: faults are no longer served");
			else
				uodp_err("ODP event channel: %s", strerror(-n));
			return false;
		}
		for (i = 0; i < n; i++)
			uodp_odp_handle_event(e, &ev[i]);
	}
}

static void *engine_thread(void *arg)
{
	struct uodp_odp_engine *e = arg;
	struct pollfd pfd[2] = {
		{ .fd = e->event_fd, .events = POLLIN },
		{ .fd = e->wake_fd, .events = POLLIN },
	};

	bool advising = false;

	while (!__atomic_load_n(&e->stop, __ATOMIC_ACQUIRE)) {
		/* Advice left to serve: only look at the fds, then go on. */
		if (poll(pfd, 2, advising ? 0 : -1) < 0) {
			if (errno == EINTR)
				continue;
			uodp_err("ODP engine poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents) {
			drain_wake(e);
			uodp_odp_take_advise_jobs(e);
		}
		if (pfd[0].revents && !serve_channel(e))
			pfd[0].fd = -1;	/* keep serving advice until stop */
		/* Faults first, then a chunk of advice. */
		advising = uodp_odp_run_advise_chunk(e);
	}
	return NULL;
}

static int start_thread(struct uodp_odp_engine *e)
{
	sigset_t all, old;
	int err;

	/* The application's signal handlers must never run here. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&e->thread, NULL, engine_thread, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	pthread_setname_np(e->thread, "uodp-odp");
	e->thread_running = true;
	return 0;
}

static int open_channel(struct uodp_odp_engine *e)
{
	struct uodp_odp_api api = {
		.api_version = UODP_ODP_API_VERSION,
		.features = UODP_ODP_F_WQE_FAULTS | UODP_ODP_F_RDMA_FAULTS |
			    UODP_ODP_F_INVALIDATE | UODP_ODP_F_MAP_NO_FAULT |
			    UODP_ODP_F_IMPLICIT,
	};
	int stats_fd, err;

	err = uodp_odp_stats_create(e, &stats_fd);
	if (err)
		return err;
	err = e->be->ops->open_channel(e->be, &api, stats_fd, &e->event_fd);
	close(stats_fd);	/* the device has its own reference */
	if (err)
		return err;
	if (api.api_version != UODP_ODP_API_VERSION ||
	    api.event_size != sizeof(struct uodp_odp_event)) {
		uodp_err("the device speaks ODP API %u (%u-byte events), this engine %u (%zu)",
			 api.api_version, api.event_size, UODP_ODP_API_VERSION,
			 sizeof(struct uodp_odp_event));
		return -EPROTONOSUPPORT;
	}
	e->api = api;
	e->max_map_ranges = api.max_map_ranges;
	if (!e->max_map_ranges || e->max_map_ranges > UODP_ODP_MAX_MAP_RANGES)
		e->max_map_ranges = UODP_ODP_MAX_MAP_RANGES;
	return 0;
}

int uodp_odp_engine_start(const struct uodp_odp_host *host,
			  struct uodp_odp_backend *be,
			  struct uodp_odp_engine **out)
{
	struct uodp_odp_engine *e;
	int err;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->host = *host;
	e->be = be;
	e->resolver.lookup = engine_mr_lookup;
	e->resolver.arg = e;
	e->event_fd = -1;
	e->advise_tail = &e->advise_head;
	e->advising_tail = &e->advising;
	pthread_mutex_init(&e->advise_lock, NULL);
	configure(e);
	e->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->wake_fd < 0) {
		err = -errno;
		goto err_free;
	}
	err = open_channel(e);
	if (err)
		goto err_free;
	err = start_thread(e);
	if (err)
		goto err_free;
	uodp_dbg("ODP engine up: backend %s, policy %s, read-ahead %llu, features %#llx",
		 be->ops->name, e->policy->name,
		 (unsigned long long)e->params.readahead,
		 (unsigned long long)e->api.features);
	*out = e;
	return 0;

err_free:
	uodp_odp_engine_stop(e);
	return err;
}

void uodp_odp_engine_stop(struct uodp_odp_engine *e)
{
	uint64_t one = 1;
	ssize_t n;

	if (!e)
		return;
	if (e->thread_running) {
		__atomic_store_n(&e->stop, true, __ATOMIC_RELEASE);
		n = write(e->wake_fd, &one, sizeof(one));
		(void)n;
		pthread_join(e->thread, NULL);
	}
	uodp_odp_drop_advise_jobs(e);
	if (e->event_fd >= 0)
		e->be->ops->close(e->be);
	if (e->wake_fd >= 0)
		close(e->wake_fd);
	uodp_odp_stats_destroy(e);
	pthread_mutex_destroy(&e->advise_lock);
	free(e);
}

uint64_t uodp_odp_engine_features(const struct uodp_odp_engine *e)
{
	return e->api.features;
}
