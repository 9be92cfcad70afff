// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * A thread blocked in rdma_get_cm_event (GET_EVENT) is woken by a signal
 * as the kernel's interruptible sleep is, and holds its file as the
 * kernel's write does; run inside `uodp-run --cm-timeout-divisor DIV`,
 * where a connection nobody accepts gives the blocked thread an event
 * after 995.328 s / DIV (the CM's REQ timeout) to wait for.
 *
 *  - a process signal (setitimer) whose handler lacks SA_RESTART: the
 *    call fails with EINTR, long before that event;
 *  - with SA_RESTART: the handler runs at once, the call goes on and
 *    returns the event;
 *  - a signal to one thread (pthread_kill) of two: that thread's call
 *    fails with EINTR; of 257 threads in GET_EVENT of one file, one is
 *    EAGAIN (the bound is 256), and a signal to each wakes the others;
 *  - SIGSTOP stops a child blocked in the call, SIGCONT lets it go on to
 *    its event;
 *  - the channel's fd closed by another thread: the blocked call still
 *    gets the file's next event (a DREQ's DISCONNECTED), and only then is
 *    the file released (its ID's DREP reaches the peer).
 *
 * usage: uodp-cm-signals DIV PORT (PORT..PORT+7 are used)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cm_pair.h"
#include "lib/report.h"

#define REQ_TIMEOUT_MS 995328.0		/* the never-accepted REQ's wait */

/*
 * ThreadSanitizer runs an asynchronous signal's handler at the thread's
 * next interceptor, not when the kernel delivers it: after a restart the
 * thread is back in write(2), so there the handler runs only once that
 * returns, and when it ran tells nothing.
 */
#if defined(__SANITIZE_THREAD__)
#define HANDLERS_DEFERRED true
#else
#define HANDLERS_DEFERRED false
#endif
#define SIGNAL_AFTER_S 0.05

/* Set by the handler, in whichever thread took the signal: atomics. */
static int handled;
static int64_t handled_at_us;

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&handled_at_us, (int64_t)(test_now() * 1e6),
			 __ATOMIC_RELAXED);
	__atomic_fetch_add(&handled, 1, __ATOMIC_RELEASE);
}

static void set_handler(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		test_die("sigaction", errno);
	__atomic_store_n(&handled, 0, __ATOMIC_RELAXED);
}

static int handled_count(void)
{
	return __atomic_load_n(&handled, __ATOMIC_ACQUIRE);
}

static double handled_at(void)
{
	return __atomic_load_n(&handled_at_us, __ATOMIC_RELAXED) / 1e6;
}

static void alarm_in(double s)
{
	struct itimerval it = {
		.it_value.tv_sec = (time_t)s,
		.it_value.tv_usec = (suseconds_t)((s - (time_t)s) * 1e6),
	};

	if (setitimer(ITIMER_REAL, &it, NULL))
		test_die("setitimer", errno);
}

/* The blocked call: 0 and the event's type, or -errno. */
static int get_event(struct rdma_event_channel *ch, int *type)
{
	struct rdma_cm_event *ev;

	if (rdma_get_cm_event(ch, &ev))
		return -errno;
	*type = ev->event;
	rdma_ack_cm_event(ev);
	return 0;
}

static void interrupted(void)
{
	struct cm_pair p;
	int ret, type = -1;
	double t;

	cm_pair_requested(&p, RDMA_PS_TCP);
	set_handler(SIGALRM, 0);
	t = test_now();
	alarm_in(SIGNAL_AFTER_S);
	ret = get_event(p.ach, &type);
	test_check(ret == -EINTR && handled_count() == 1 &&
		   test_now() - t < cm_wait_s(REQ_TIMEOUT_MS) / 2,
		   "SIGALRM without SA_RESTART: GET_EVENT %s (event %d) after %.3f s, handler ran %d time(s)",
		   ret ? strerrorname_np(-ret) : "returned", type,
		   test_now() - t, handled_count());
	/* Nothing was lost: the event comes to the next call. */
	ret = get_event(p.ach, &type);
	test_check(!ret && type == RDMA_CM_EVENT_UNREACHABLE,
		   "after EINTR: the next GET_EVENT gets the event (%d)", type);
	cm_pair_close(&p);
}

static void restarted(void)
{
	struct cm_pair p;
	int ret, type = -1;
	double t;

	cm_pair_requested(&p, RDMA_PS_TCP);
	set_handler(SIGALRM, SA_RESTART);
	t = test_now();
	alarm_in(SIGNAL_AFTER_S);
	ret = get_event(p.ach, &type);
	test_check(!ret && type == RDMA_CM_EVENT_UNREACHABLE,
		   "SIGALRM with SA_RESTART: GET_EVENT restarted, got event %d (%s)",
		   type, ret ? strerrorname_np(-ret) : "0");
	test_check(handled_count() == 1 &&
		   (HANDLERS_DEFERRED ||
		    handled_at() - t < cm_wait_s(REQ_TIMEOUT_MS) / 2) &&
		   test_now() - t >= cm_wait_s(REQ_TIMEOUT_MS) * 0.98,
		   "SA_RESTART: the handler ran after %.3f s, the event came after %.3f s",
		   handled_at() - t, test_now() - t);
	cm_pair_close(&p);
}

struct blocked {
	struct rdma_event_channel *ch;
	int ret, type;
	double returned_at;
	int done;			/* atomic: the call returned */
};

static int returned;		/* calls of block() that returned */

static void *block(void *arg)
{
	struct blocked *b = arg;

	b->ret = get_event(b->ch, &b->type);
	b->returned_at = test_now();
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&returned, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Whether thread t ended within s seconds. */
static bool joined(pthread_t t, double s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)s;
	return !pthread_timedjoin_np(t, NULL, &ts);
}

static void thread_signal(void)
{
	struct blocked b = { .type = -1 };
	struct cm_pair p;
	pthread_t t;
	bool ended;

	cm_pair_requested(&p, RDMA_PS_TCP);
	set_handler(SIGUSR1, 0);
	b.ch = p.ach;
	if (pthread_create(&t, NULL, block, &b))
		test_die("pthread_create", EAGAIN);
	usleep(SIGNAL_AFTER_S * 1e6);
	pthread_kill(t, SIGUSR1);
	ended = joined(t, 30);
	test_check(ended && b.ret == -EINTR && handled_count() == 1,
		   "pthread_kill of a thread in GET_EVENT: %s, handler ran %d time(s)",
		   b.ret ? strerrorname_np(-b.ret) : "returned", handled_count());
	cm_pair_close(&p);
}

/*
 * UD_CM_FILE_MAX_WAITERS threads blocked in one file, whatever order they
 * came in: one more is EAGAIN; a signal to each wakes them all.
 */
#define MAX_WAITERS 256

static void waiter_bound(void)
{
	static struct blocked b[MAX_WAITERS + 1];
	static pthread_t t[MAX_WAITERS + 1];
	int i, refused = -1, interrupted = 0;
	struct cm_pair p;
	double end;

	/* No request: no event will come to the active side's file. */
	cm_pair_open(&p, RDMA_PS_TCP);
	set_handler(SIGUSR1, 0);
	returned = 0;
	for (i = 0; i <= MAX_WAITERS; i++) {
		b[i].ch = p.ach;
		if (pthread_create(&t[i], NULL, block, &b[i]))
			test_die("pthread_create", EAGAIN);
	}
	end = test_now() + 30;
	while (!__atomic_load_n(&returned, __ATOMIC_ACQUIRE) &&
	       test_now() < end)
		usleep(1000);
	for (i = 0; i <= MAX_WAITERS; i++)
		if (__atomic_load_n(&b[i].done, __ATOMIC_ACQUIRE) &&
		    refused < 0)
			refused = i;
	test_check(refused >= 0 && b[refused].ret == -EAGAIN &&
		   __atomic_load_n(&returned, __ATOMIC_ACQUIRE) == 1,
		   "%d threads in GET_EVENT of one file: one is EAGAIN (%s)",
		   MAX_WAITERS + 1, refused >= 0 && b[refused].ret ?
		   strerrorname_np(-b[refused].ret) : "none");
	for (i = 0; i <= MAX_WAITERS; i++)
		if (i != refused)
			pthread_kill(t[i], SIGUSR1);
	for (i = 0; i <= MAX_WAITERS; i++)
		if (joined(t[i], 30) && i != refused && b[i].ret == -EINTR)
			interrupted++;
	test_check(interrupted == MAX_WAITERS,
		   "a signal to each woke %d of %d with EINTR", interrupted,
		   MAX_WAITERS);
	cm_pair_close(&p);
}

/* /proc/PID/stat's state letter, or '?'. */
static char proc_state(pid_t pid)
{
	char path[64], state = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = '?';
	fclose(f);
	return state;
}

static bool wait_state(pid_t pid, char want, double s)
{
	double end = test_now() + s;

	while (proc_state(pid) != want && test_now() < end)
		usleep(5000);
	return proc_state(pid) == want;
}

/* The child's own pair: its GET_EVENT blocks until the REQ times out. */
static void __attribute__((noreturn)) blocked_child(int ready)
{
	struct cm_pair p;
	int type = -1;

	cm_pair_requested(&p, RDMA_PS_TCP);
	if (write(ready, "", 1) != 1)
		_exit(3);
	_exit(get_event(p.ach, &type) || type != RDMA_CM_EVENT_UNREACHABLE);
}

static void stop_continue(void)
{
	int status = 0, ready[2];
	bool stopped;
	pid_t child;
	char c;

	if (pipe(ready))
		test_die("pipe", errno);
	child = fork();
	if (child < 0)
		test_die("fork", errno);
	if (!child)
		blocked_child(ready[1]);
	cm_next_port++;		/* the child's */
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		test_die("the child's request", EPIPE);
	close(ready[0]);
	usleep(SIGNAL_AFTER_S * 1e6);
	kill(child, SIGSTOP);
	stopped = wait_state(child, 'T', 10);
	test_check(stopped, "SIGSTOP: the child blocked in GET_EVENT stopped (%c)",
		   proc_state(child));
	kill(child, SIGCONT);
	test_check(waitpid(child, &status, 0) == child &&
		   WIFEXITED(status) && !WEXITSTATUS(status),
		   "SIGCONT: the child went on to its event (status %#x)",
		   status);
}

static void closed_while_blocked(void)
{
	struct blocked b = { .type = -1 };
	struct cm_pair p;
	pthread_t t;
	bool ended;
	double t0;

	cm_pair_open(&p, RDMA_PS_TCP);
	cm_pair_connect(&p);
	b.ch = p.ach;
	if (pthread_create(&t, NULL, block, &b))
		test_die("pthread_create", EAGAIN);
	usleep(SIGNAL_AFTER_S * 1e6);
	/*
	 * What a kernel keeps until the write returns.  The raw system call:
	 * closing an fd another thread writes is the point here, not a race
	 * for ThreadSanitizer's close() interceptor to report.
	 */
	syscall(SYS_close, p.ach->fd);
	cm_expect_quiet(p.lch, SIGNAL_AFTER_S,
			"fd closed under a GET_EVENT: the file stays");
	t0 = test_now();
	test_check_ret(rdma_disconnect(p.passive) ? -errno : 0, 0,
		       "the peer's DREQ");
	ended = joined(t, 30);
	test_check(ended && !b.ret && b.type == RDMA_CM_EVENT_DISCONNECTED,
		   "the blocked GET_EVENT got the DREQ's DISCONNECTED (%d, %s)",
		   b.type, b.ret ? strerrorname_np(-b.ret) : "0");
	/* The release after it: the ID's destruction answers the DREQ. */
	cm_expect(p.lch, RDMA_CM_EVENT_DISCONNECTED, 0, p.passive, t0, 0,
		  "then the file's release: its DREP");
	test_check(test_now() - t0 < cm_wait_s(65536) * 0.9,
		   "the DREP came before the DREQ's timeout");
	cm_expect(p.lch, RDMA_CM_EVENT_TIMEWAIT_EXIT, 0, p.passive, 0, 0,
		  "the peer's time wait");
	/* The active side's file is gone: only the listener's to free. */
	rdma_destroy_id(p.passive);
	rdma_destroy_id(p.listener);
	rdma_destroy_event_channel(p.lch);
}

int main(int argc, char **argv)
{
	cm_parse_args(argc, argv);
	interrupted();
	restarted();
	thread_signal();
	waiter_bound();
	stop_continue();
	closed_while_blocked();
	printf("%d failure(s)\n", test_failures);
	return test_failures ? 1 : 0;
}
