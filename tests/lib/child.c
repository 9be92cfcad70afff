// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "child.h"

pid_t test_spawn_self(const char *argv0, const char *mode, FILE **from,
		      FILE **to)
{
	int down[2], up[2];
	pid_t pid;

	if (pipe2(down, O_CLOEXEC))
		return -errno;
	if (pipe2(up, O_CLOEXEC)) {
		close(down[0]);
		close(down[1]);
		return -errno;
	}
	fflush(stdout);		/* the child must not repeat our output */
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		dup2(down[0], 0);
		dup2(up[1], 1);
		execl("/proc/self/exe", argv0, mode, (char *)NULL);
		_exit(127);
	}
	close(down[0]);
	close(up[1]);
	*from = fdopen(up[0], "r");
	*to = fdopen(down[1], "w");
	return pid;
}

bool test_read_line(FILE *f, char *line, size_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fileno(f), .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return false;
	return fgets(line, (int)len, f) != NULL;
}
