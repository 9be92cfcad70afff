// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Unit test of interrupt.c: which pending signals wake a blocked call, from
 * /proc/TID/status text (a thread's own unblocked ones; the process's when
 * the thread is the leader and does not block them), a status a process
 * named to look like a forgery, and this thread's real status.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "interrupt.h"
#include "check.h"

static const char *status(char *buf, size_t len, const char *name,
			  long tgid, const char *own, const char *shared,
			  const char *blocked)
{
	snprintf(buf, len,
		 "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%ld\n"
		 "Pid:\t%ld\nThreads:\t2\nSigQ:\t1/95000\nSigPnd:\t%s\n"
		 "ShdPnd:\t%s\nSigBlk:\t%s\nSigIgn:\t0000000000000000\n"
		 "SigCgt:\t0000000000002000\n", name, tgid, tgid + 1, own,
		 shared, blocked);
	return buf;
}

#define ZERO "0000000000000000"
#define SIGALRM_BIT "0000000000002000"

int main(void)
{
	char buf[1024];
	sigset_t set;

	/* Leader (tid == tgid): its own and the process's signals. */
	CHECK(!ud_signal_wakes(status(buf, sizeof(buf), "a", 100, ZERO, ZERO,
				      ZERO), 100));
	CHECK(ud_signal_wakes(status(buf, sizeof(buf), "a", 100, SIGALRM_BIT,
				     ZERO, ZERO), 100));
	CHECK(ud_signal_wakes(status(buf, sizeof(buf), "a", 100, ZERO,
				     SIGALRM_BIT, ZERO), 100));
	/* Blocked: no wake, pending or not. */
	CHECK(!ud_signal_wakes(status(buf, sizeof(buf), "a", 100, SIGALRM_BIT,
				      SIGALRM_BIT, SIGALRM_BIT), 100));
	/* Another thread (tid 101 of 100): its own only. */
	CHECK(ud_signal_wakes(status(buf, sizeof(buf), "a", 100, SIGALRM_BIT,
				     ZERO, ZERO), 101));
	CHECK(!ud_signal_wakes(status(buf, sizeof(buf), "a", 100, ZERO,
				      SIGALRM_BIT, ZERO), 101));
	/* A name cannot add lines (the kernel escapes its newline). */
	CHECK(!ud_signal_wakes(status(buf, sizeof(buf), "x\\nSigPnd:\tffff",
				      100, ZERO, ZERO, ZERO), 100));
	/* A status without the fields: no wake. */
	CHECK(!ud_signal_wakes("Name:\ta\n", 100));
	CHECK(!ud_signal_wakes("", 100));
	/* This thread: a pending SIGUSR1 it blocks does not count. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	CHECK(!ud_thread_signalled((pid_t)syscall(SYS_gettid)));
	pthread_kill(pthread_self(), SIGUSR1);
	CHECK(!ud_thread_signalled((pid_t)syscall(SYS_gettid)));
	CHECK(!ud_thread_signalled(-1));
	return check_report("test_uodpd_interrupt");
}
