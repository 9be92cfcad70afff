// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The daemon's single thread.  While there is work it alternates datapath
 * steps (ud_engine_poll) with a non-blocking look at the control fds.  After
 * idle_spin_ns without progress it announces that it will sleep (need_wakeup
 * in every context's shared page, then a full fence), looks at the doorbell
 * records once more, and only then blocks in epoll: a provider that rang a
 * doorbell either is seen by that last look or sees need_wakeup and writes
 * the doorbell eventfd (the io_uring SQPOLL protocol).  Idle costs no CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "engine.h"
#include "loop.h"
#include "netdev_gids.h"
#include "odp_priv.h"
#include "rdma_nl.h"
#include "timer.h"
#include "ucma.h"
#include "uverbs.h"

#define EVENTS_PER_WAIT 64
#define CONTROL_CHECK_NS 20000ull	/* look at control fds this often */

int ud_loop_watch_events(struct uodpd *d, int fd, uint32_t events,
			 enum ud_ep_kind kind, uint32_t id)
{
	struct epoll_event ev = {
		.events = events,
		.data.u64 = (uint64_t)kind << 32 | id,
	};

	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return 0;
}

int ud_loop_watch(struct uodpd *d, int fd, enum ud_ep_kind kind, uint32_t id)
{
	return ud_loop_watch_events(d, fd, EPOLLIN, kind, id);
}

int ud_loop_modify(struct uodpd *d, int fd, uint32_t events,
		   enum ud_ep_kind kind, uint32_t id)
{
	struct epoll_event ev = {
		.events = events,
		.data.u64 = (uint64_t)kind << 32 | id,
	};

	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, fd, &ev))
		return -errno;
	return 0;
}

void ud_loop_unwatch(struct uodpd *d, int fd)
{
	if (fd >= 0)
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void set_need_wakeup(struct uodpd *d, uint32_t v)
{
	struct ud_ctx *ctx;

	list_for_each_safe(&d->ctxs, ctx, tmp, struct ud_ctx, link)
		if (ctx->shared)
			__atomic_store_n(&ctx->shared->need_wakeup, v,
					 __ATOMIC_RELAXED);
}

static void handle_signal(struct uodpd *d)
{
	struct signalfd_siginfo si;

	if (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		ud_info("signal %u: shutting down", si.ssi_signo);
		d->stop = true;
	}
}

/*
 * Serve ready control fds, waiting at most *timeout (NULL: forever; zero:
 * not at all).  Nanosecond timeouts (epoll_pwait2): an RNR back-off of
 * 10 us must not become a millisecond.  Returns the events handled.
 */
static int handle_events(struct uodpd *d, const struct timespec *timeout)
{
	struct epoll_event ev[EVENTS_PER_WAIT];
	int i, n;

	n = epoll_pwait2(d->epfd, ev, EVENTS_PER_WAIT, timeout, NULL);
	if (n < 0) {
		if (errno != EINTR)
			ud_err("epoll_pwait2: %s", strerror(errno));
		return 0;
	}
	for (i = 0; i < n; i++) {
		uint32_t id = (uint32_t)ev[i].data.u64;

		switch (ev[i].data.u64 >> 32) {
		case UD_EP_LISTEN:
			ud_service_accept(d);
			break;
		case UD_EP_SIGNAL:
			handle_signal(d);
			break;
		case UD_EP_SERVICE:
			ud_service_input(d, id);
			break;
		case UD_EP_CTX_KICK:
			ud_ctx_kick(d, id);
			break;
		case UD_EP_ODP_CHANNEL:
			ud_odp_channel_ready(d, id, ev[i].events);
			break;
		case UD_EP_NOTIFY:
			ud_supervise_ready(d, id, ev[i].events);
			break;
		case UD_EP_INOTIFY:
			ud_uverbs_released(d);
			break;
		case UD_EP_CTX_OWNER:
			ud_ctx_owner_exited(d, id);
			break;
		case UD_EP_CHANNEL:
			ud_channel_ready(d, id, ev[i].events);
			break;
		case UD_EP_ODP_UFFD:
			ud_odp_uffd_ready(d, id, ev[i].events);
			break;
		case UD_EP_NL_SOCK:
			ud_nl_sock_ready(d, id, ev[i].events);
			break;
		case UD_EP_TIMER:
			ud_timers_expired(d);
			break;
		}
	}
	return n;
}

/*
 * Without the doorbell eventfd a doorbell is a UAR write nobody hears, as
 * on hardware: while contexts are open the device looks again after
 * poll_ns, which doubles from UD_POLL_MIN_NS on every idle look up to
 * UD_POLL_MAX_NS (a ping-pong is served fast, an idle device costs a
 * wakeup a millisecond) and starts over once there was work.
 */
#define UD_POLL_MIN_NS 5000ull
#define UD_POLL_MAX_NS 1000000ull

static uint64_t next_poll_ns(struct uodpd *d)
{
	uint64_t ns = d->poll_ns ? d->poll_ns : UD_POLL_MIN_NS;

	if (d->doorbell_fd || list_empty(&d->ctxs))
		return UINT64_MAX;
	d->poll_ns = ns * 2 > UD_POLL_MAX_NS ? UD_POLL_MAX_NS : ns * 2;
	return ns;
}

/* Time until the engine's next deadline or poll in *ts; NULL for none. */
/* The timeout to sleep until deadline (ud_now_ns; UINT64_MAX: none). */
static const struct timespec *until(uint64_t deadline, uint64_t now,
				    struct timespec *ts)
{
	uint64_t ns;

	if (deadline == UINT64_MAX)
		return NULL;
	ns = deadline > now ? deadline - now : 0;
	ts->tv_sec = (time_t)(ns / 1000000000ull);
	ts->tv_nsec = (long)(ns % 1000000000ull);
	return ts;
}

static const struct timespec *sleep_timeout(struct uodpd *d,
					    struct timespec *ts)
{
	uint64_t deadline = ud_engine_next_deadline(d);
	uint64_t now, poll = next_poll_ns(d);

	now = ud_now_ns();
	if (poll != UINT64_MAX && (deadline == UINT64_MAX ||
				   deadline > now + poll))
		deadline = now + poll;
	return until(deadline, now, ts);
}

static void check_all_arms(struct uodpd *d)
{
	struct ud_ctx *ctx;

	list_for_each_safe(&d->ctxs, ctx, tmp, struct ud_ctx, link)
		ud_ctx_check_arms(ctx);
}

/*
 * Announce a sleep, look at the records once more, and block until
 * something happens or the timeout if that look found nothing: any work
 * for an idle loop, light work for a loop sharing the CPU (whose rounds
 * always count a waiting stream as work).
 */
static void sleep_announced(struct uodpd *d, bool sharing,
			    const struct timespec *(*timeout)(struct uodpd *,
							      struct timespec *))
{
	struct timespec ts;
	bool progress;

	set_need_wakeup(d, 1);
	atomic_thread_fence(memory_order_seq_cst);
	progress = ud_engine_poll(d);
	if (sharing ? !d->light_rounds : !progress)
		handle_events(d, timeout(d, &ts));
	set_need_wakeup(d, 0);
	if (!d->doorbell_fd)
		check_all_arms(d);	/* arms too were rung unheard */
}

/*
 * Sharing the CPU with the clients.  A NIC moves bytes without the host's
 * cores; this device moves them with one.  Busy with a stream, the loop
 * never sleeps, and on a small machine the processes of a ping-pong that
 * busy-poll beside it then run only in turns of the scheduler's tick:
 * each message waited a tick (measured: 8 ms per ping-pong iteration
 * next to a 1 GiB READ stream, 180 times its alone figure).  So while a
 * light context (it ran out of work in its turn) and a heavy one (it
 * spent its quantum) share the engine on CPUs the loop competes for
 * (engine.c: d->mixed_until_ns), the stream's turns are rationed and the
 * loop, after UD_SHARE_SLICE_NS of work, sleeps until a doorbell, a
 * transport timer or the end of the sharing, announced as any sleep
 * (need_wakeup, a fence, a last look at the records: without that look a
 * doorbell rung just before need_wakeup went unheard until the pause
 * ended, measured 6 ms per iteration of a ping-pong waiting for events).
 * It does not wake up for the stream: a timer wakeup takes a core from a
 * ping-pong process in the middle of its conversation, and
 * measured, a wakeup every 1.8 ms for one quantum of the stream made the
 * ping-pong 12 times slower where riding on its doorbells costs 3 times
 * (about what a plain spinning process costs it).  Without the doorbell
 * eventfd nothing can end a pause, which then lasts UD_SHARE_POLL_NS.
 * A lone stream, or streams only, never pause.  tests/bench/fairness.sh
 * measures it.
 */
#define UD_SHARE_SLICE_NS 20000ull
#define UD_SHARE_POLL_NS 200000ull

/* A pause lasts until the next transport timer or the end of the sharing. */
static const struct timespec *share_timeout(struct uodpd *d,
					    struct timespec *ts)
{
	uint64_t end = ud_engine_next_deadline(d), now = ud_now_ns();

	if (end > d->mixed_until_ns)
		end = d->mixed_until_ns;
	if (!d->doorbell_fd && end > now + UD_SHARE_POLL_NS)
		end = now + UD_SHARE_POLL_NS;
	return until(end, now, ts);
}

/* After a pass that made progress: pause if it is time to share. */
static void maybe_share_cpu(struct uodpd *d, uint64_t now,
			    uint64_t *busy_since)
{
	if (!ud_engine_shared(d, now)) {
		*busy_since = 0;
		return;
	}
	if (!*busy_since) {
		*busy_since = now;
	} else if (now - *busy_since >= UD_SHARE_SLICE_NS) {
		sleep_announced(d, true, share_timeout);
		*busy_since = 0;
	}
}

/*
 * Whether the loop competes for the CPUs: its thread was preempted (an
 * involuntary context switch) in the last UD_CONTENDED_HOLD_NS.  Only then
 * does its copying take a core from the applications, and only then does
 * the engine ration a stream beside a ping-pong; on a machine with cores
 * to spare both run at full speed.  Looked at every UD_CONTENDED_CHECK_NS
 * while busy (getrusage(2), RUSAGE_THREAD).
 */
#define UD_CONTENDED_CHECK_NS 1000000ull
#define UD_CONTENDED_HOLD_NS 1000000000ull

static void check_contention(struct uodpd *d, uint64_t now)
{
	struct rusage ru;

	if (now - d->contention_checked_ns < UD_CONTENDED_CHECK_NS)
		return;
	d->contention_checked_ns = now;
	if (getrusage(RUSAGE_THREAD, &ru))
		return;
	if ((uint64_t)ru.ru_nivcsw != d->preemptions)
		d->cpu_contended_until_ns = now + UD_CONTENDED_HOLD_NS;
	d->preemptions = (uint64_t)ru.ru_nivcsw;
}

int ud_daemon_run(struct uodpd *d)
{
	static const struct timespec no_wait;
	uint64_t now, last_progress = 0, last_check = 0, busy_since = 0;

	while (!d->stop) {
		bool progressed = ud_engine_poll(d);

		/* ADVISE_MR's prefetch, one slice a pass: between other work. */
		if (ud_odp_prefetch_run(d))
			progressed = true;

		now = ud_now_ns();
		/*
		 * Busy: a look at the control fds now and then.  Idle: on every
		 * pass, which also delays sleeping by one pass; that catches
		 * the doorbell a ping-pong peer rings right after its
		 * completion (measured: ib_write_lat median 3 us, 13 us
		 * without).
		 */
		if (!progressed || now - last_check >= CONTROL_CHECK_NS) {
			last_check = now;
			if (handle_events(d, &no_wait) > 0)
				progressed = true;
		}
		if (progressed) {
			last_progress = now;
			d->poll_ns = 0;
			check_contention(d, now);
			maybe_share_cpu(d, now, &busy_since);
			continue;
		}
		busy_since = 0;
		if (now - last_progress < d->idle_spin_ns)
			continue;
		sleep_announced(d, false, sleep_timeout);
		last_progress = last_check = ud_now_ns();
	}
	return 0;
}

/* ---- setup and teardown ---- */

static int setup_signals(struct uodpd *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	d->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->signal_fd < 0)
		return -errno;
	return ud_loop_watch(d, d->signal_fd, UD_EP_SIGNAL, 0);
}

static void init_tables(struct uodpd *d)
{
	list_head_init(&d->ctxs);
	list_head_init(&d->sched_ctxs);
	list_head_init(&d->xrcds);
	ud_idr_init(&d->pds, UD_PDN_MIN, UD_NUM_MAX);
	ud_idr_init(&d->mrs, UD_MR_ID_MIN, UD_NUM_MAX);
	ud_idr_init(&d->cqs, UD_CQN_MIN, UD_NUM_MAX);
	ud_idr_init(&d->srqs, UD_SRQN_MIN, UD_NUM_MAX);
	ud_idr_init(&d->qps, UD_QPN_MIN, UD_NUM_MAX);
	ud_idr_init(&d->xrcd_ids, UD_XRCDN_MIN, UD_NUM_MAX);
	ud_idr_init(&d->ctx_ids, 1, UD_CTX_ID_MAX);
}

int ud_daemon_init(struct uodpd *d, const struct ud_options *opt)
{
	uint32_t i;
	int ret;

	memset(d, 0, sizeof(*d));
	d->epfd = d->listen_fd = d->signal_fd = d->inotify_fd = -1;
	d->timer_fd = -1;
	init_tables(d);
	if (!opt->ndevices || opt->ndevices > UODPD_MAX_DEVICES ||
	    (opt->sysfs_root &&
	     strlen(opt->sysfs_root) >= sizeof(d->sysfs_root)) ||
	    !ud_netdev_list_ok(opt->netdev) ||
	    (ud_netdev_list_len(opt->netdev) > 1 && !opt->sysfs_root))
		return -EINVAL;
	if (opt->sysfs_root)
		strcpy(d->sysfs_root, opt->sysfs_root);
	ud_netdev_list_at(opt->netdev, 0, d->netdev, sizeof(d->netdev));
	d->context_share = opt->context_share ? opt->context_share :
			   UD_DEFAULT_CONTEXT_SHARE;
	d->idle_spin_ns = opt->idle_spin_ns;
	d->quantum = opt->quantum ? opt->quantum : UD_DEFAULT_QUANTUM;
	d->cm_timeout_divisor = opt->cm_timeout_divisor ?
				opt->cm_timeout_divisor : 1;
	d->queue_memfd = !opt->no_queue_memfd;
	d->doorbell_fd = !opt->no_doorbell_fd;
	d->ndevices = opt->ndevices;
	for (i = 0; i < d->ndevices; i++) {
		char netdev[sizeof(d->netdev)];

		ud_netdev_list_at(opt->netdev, i, netdev, sizeof(netdev));
		ret = ud_device_init(d, &d->devices[i], i, netdev);
		if (ret)
			return ret;
		ud_limits_init(&d->devices[i], d->context_share);
	}
	/* After main() raised RLIMIT_NOFILE. */
	ud_fd_budget_init(d, d->context_share);
	ud_map_budget_init(d);
	d->bounce = malloc(UD_BOUNCE_SIZE);
	if (!d->bounce)
		return -ENOMEM;
	ret = ud_odp_init(d);
	if (ret)
		return ret;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;
	ret = setup_signals(d);
	if (!ret)
		ret = ud_timers_init(d);
	if (!ret)
		ret = ud_uverbs_init(d);
	if (!ret)
		ret = ud_ucma_init(d);
	if (!ret)
		ret = ud_nl_init(d);
	if (ret)
		return ret;
	return ud_service_listen(d, opt->socket_path, opt->socket_group);
}

void ud_daemon_fini(struct uodpd *d)
{
	struct ud_ctx *ctx;
	struct ud_xrcd *x;

	ud_supervise_fini(d);
	ud_nl_fini(d);
	ud_ucma_fini(d);
	ud_uverbs_fini(d);
	ud_timers_fini(d);
	list_for_each_safe(&d->ctxs, ctx, t1, struct ud_ctx, link)
		ud_ctx_destroy(d, ctx);
	/* Nothing should be left; free it anyway. */
	list_for_each_safe(&d->xrcds, x, t2, struct ud_xrcd, link) {
		list_del(&x->link);
		free(x);
	}
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		unlink(d->sock_path);
	}
	if (d->sock_dir[0])
		rmdir(d->sock_dir);
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	if (d->epfd >= 0)
		close(d->epfd);
	free(d->bounce);
	ud_odp_fini(d);
	ud_idr_destroy(&d->pds);
	ud_idr_destroy(&d->mrs);
	ud_idr_destroy(&d->cqs);
	ud_idr_destroy(&d->srqs);
	ud_idr_destroy(&d->qps);
	ud_idr_destroy(&d->xrcd_ids);
	ud_idr_destroy(&d->ctx_ids);
}
