// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * A call uodpd keeps waiting (a blocked GET_EVENT) sleeps killable in
 * uodp-run's filter, so a signal stays pending until uodpd answers; the
 * kernel's ucma sleeps interruptibly and is woken.  uodpd looks at the
 * waiting thread's pending signals and answers -ERESTARTSYS for it; the
 * kernel then restarts the call (SA_RESTART, or no handler) or fails it
 * with EINTR, exactly as after an interruptible sleep.
 *
 * That answer is safe only when the thread has TIF_SIGPENDING, or the
 * value would reach the program: a signal pending for the thread itself
 * (tgkill, pthread_kill) and not blocked, or one pending for the process
 * when the thread is its leader and does not block it: complete_signal()
 * gives a process signal to the thread it was sent to, the leader, when
 * that one wants it (it sleeps, without a signal already).  A process
 * signal another thread takes is that thread's business, as in a kernel
 * where the sleeper was not the one chosen.
 *
 * The lines of /proc/TID/status cannot be forged: the one line a process
 * writes (Name) has its newlines escaped.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interrupt.h"

/* The value of the line "key\t..." of status, or false if none. */
static bool field(const char *status, const char *key, const char **value)
{
	size_t len = strlen(key);
	const char *line = status;

	while (line && *line) {
		if (!strncmp(line, key, len) && line[len] == ':') {
			*value = line + len + 1;
			return true;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

static bool hex_field(const char *status, const char *key, uint64_t *v)
{
	const char *s;
	char *end;

	if (!field(status, key, &s))
		return false;
	*v = strtoull(s, &end, 16);
	return end != s;
}

static bool dec_field(const char *status, const char *key, long *v)
{
	const char *s;
	char *end;

	if (!field(status, key, &s))
		return false;
	*v = strtol(s, &end, 10);
	return end != s;
}

bool ud_signal_wakes(const char *status, pid_t tid)
{
	uint64_t own, shared, blocked;
	long tgid;

	if (!hex_field(status, "SigPnd", &own) ||
	    !hex_field(status, "ShdPnd", &shared) ||
	    !hex_field(status, "SigBlk", &blocked) ||
	    !dec_field(status, "Tgid", &tgid))
		return false;
	if (own & ~blocked)
		return true;
	return tgid == tid && (shared & ~blocked);
}

bool ud_thread_signalled(pid_t tid)
{
	char path[48], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return ud_signal_wakes(buf, tid);
}
