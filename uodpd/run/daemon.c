// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * A private uodpd's life cycle: start it with a ready pipe, wait for its
 * byte, and stop it with SIGTERM, then SIGKILL if it does not go.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

void run_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "stopped (status 0x%x)", status);
}

static void __attribute__((noreturn))
exec_daemon(const struct run_state *st, int ready_fd, pid_t parent)
{
	char devices[16], fd_text[16];
	char *argv[] = {
		(char *)st->daemon_path,
		"--socket", (char *)st->socket_path,
		"--sysfs", (char *)st->sysfs_root,
		"--devices", devices,
		"--netdev", (char *)st->netdev,
		"--ready-fd", fd_text,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, /* the options below */
	};
	int n = 11;
	sigset_t none;
	int null_fd;

	/* Not in uodp-run's process group: a terminal ^C is for CMD only. */
	setpgid(0, 0);
	/* A background process group must not read the terminal. */
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		close(null_fd);
	}
	/* If uodp-run dies (even by SIGKILL), the daemon goes too. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(RUN_EXIT_FAILURE);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The ready fd is the one descriptor uodpd inherits from here. */
	if (fcntl(ready_fd, F_SETFD, 0))
		_exit(RUN_EXIT_FAILURE);
	if (st->no_queue_memfd)
		argv[n++] = "--no-queue-memfd";
	if (st->no_doorbell_fd)
		argv[n++] = "--no-doorbell-fd";
	if (st->context_share) {
		argv[n++] = "--context-share";
		argv[n++] = (char *)st->context_share;
	}
	if (st->cm_timeout_divisor) {
		argv[n++] = "--cm-timeout-divisor";
		argv[n++] = (char *)st->cm_timeout_divisor;
	}
	snprintf(devices, sizeof(devices), "%u", st->ndevices);
	snprintf(fd_text, sizeof(fd_text), "%d", ready_fd);
	execv(st->daemon_path, argv);
	fprintf(stderr, "uodp-run: cannot execute %s: %s\n", st->daemon_path,
		strerror(errno));
	_exit(errno == ENOENT ? RUN_EXIT_NOT_FOUND : RUN_EXIT_CANNOT_EXEC);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void reap_failed_daemon(struct run_state *st, const char *why)
{
	char desc[96];
	int status;

	if (waitpid(st->daemon_pid, &status, 0) == st->daemon_pid) {
		run_describe_status(status, desc, sizeof(desc));
		run_err("uodpd %s %s", why, desc);
	} else {
		run_err("uodpd %s", why);
	}
	st->daemon_pid = 0;
}

/*
 * Waits for the ready byte, the daemon's end of the pipe (it died), the
 * timeout, or a termination signal to uodp-run.
 */
static int wait_ready(struct run_state *st, int ready_fd)
{
	long deadline = now_ms() + RUN_DAEMON_READY_TIMEOUT_MS;
	struct pollfd pfd[2] = {
		{ .fd = ready_fd, .events = POLLIN },
		{ .fd = st->signal_fd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	char byte;
	long left;
	int n;

	while ((left = deadline - now_ms()) > 0) {
		n = poll(pfd, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (pfd[1].revents & POLLIN &&
		    read(st->signal_fd, &si, sizeof(si)) == sizeof(si) &&
		    si.ssi_signo != SIGCHLD) {
			run_err("interrupted by signal %u while uodpd starts",
				si.ssi_signo);
			return -EINTR;
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(ready_fd, &byte, 1);
		if (n == 1)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		reap_failed_daemon(st, "did not become ready:");
		return -ECHILD;
	}
	run_err("uodpd did not become ready within %d s; stopping it",
		RUN_DAEMON_READY_TIMEOUT_MS / 1000);
	kill(st->daemon_pid, SIGKILL);
	waitpid(st->daemon_pid, NULL, 0);
	st->daemon_pid = 0;
	return -ETIMEDOUT;
}

int run_start_daemon(struct run_state *st)
{
	pid_t parent = getpid();
	int fds[2];
	pid_t pid;
	int ret;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		run_err("cannot fork uodpd: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(fds[0]);
		exec_daemon(st, fds[1], parent);
	}
	st->daemon_pid = pid;
	close(fds[1]);
	fds[1] = -1;
	ret = wait_ready(st, fds[0]);
out:
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return ret;
}

static bool wait_exit(pid_t pid, long timeout_ms, int *status)
{
	long deadline = now_ms() + timeout_ms;
	struct timespec tick = { .tv_nsec = 5 * 1000 * 1000 };

	do {
		pid_t got = waitpid(pid, status, WNOHANG);

		if (got == pid)
			return true;
		if (got < 0 && errno != EINTR)
			return true;	/* already reaped elsewhere */
		nanosleep(&tick, NULL);
	} while (now_ms() < deadline);
	return false;
}

bool run_stop_daemon(struct run_state *st)
{
	char desc[96];
	int status = 0;

	if (!st->daemon_pid)
		return false;
	kill(st->daemon_pid, SIGTERM);
	if (!wait_exit(st->daemon_pid, RUN_DAEMON_STOP_TIMEOUT_MS, &status)) {
		run_warn("uodpd did not exit %d s after SIGTERM; killing it",
			 RUN_DAEMON_STOP_TIMEOUT_MS / 1000);
		kill(st->daemon_pid, SIGKILL);
		waitpid(st->daemon_pid, NULL, 0);
		st->daemon_pid = 0;
		return false;
	}
	st->daemon_pid = 0;
	if ((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
	    (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM))
		return true;
	run_describe_status(status, desc, sizeof(desc));
	run_warn("uodpd %s at shutdown", desc);
	return false;
}
