// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The private directory's host side.  Everything uodp-run writes (the
 * sysfs tree, uodpd's socket, /dev's mount points) lives in a tmpfs of its
 * own mount namespace and vanishes with it, but the directory the tmpfs
 * covers is a real, empty directory under $TMPDIR.  uodp-run's teardown
 * removes it; a SIGKILLed uodp-run cannot, and nobody inside the namespace
 * can either (there it is a mount point: rmdir says EBUSY).
 *
 * So the janitor, a child forked before uodp-run leaves the host's mount
 * namespace, waits on a pipe whose only writer is uodp-run.  A byte means
 * "teardown removed it"; end of file without one means uodp-run died, and
 * the janitor removes the directory, if it is still the one mkdtemp made,
 * from the host's namespace, where it is no mount point (the kernel then
 * detaches the tmpfs from the dead namespace as well).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

static void __attribute__((noreturn))
janitor(const char *dir, const struct stat *made, int done_fd)
{
	struct stat now;
	char byte;
	ssize_t n;
	int null_fd;

	/* Hold nothing of the command's: not its terminal, not its pipes. */
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, STDOUT_FILENO);
		dup2(null_fd, STDERR_FILENO);
		close(null_fd);
	}
	/* SIGINT/SIGTERM/SIGHUP stay blocked (uodp-run's mask): only
	 * uodp-run's end, or a SIGKILL of our own pid, ends us. */
	do {
		n = read(done_fd, &byte, 1);
	} while (n < 0 && errno == EINTR);
	/* Only ever the directory mkdtemp made, and only if it is empty. */
	if (n == 0 && !lstat(dir, &now) && S_ISDIR(now.st_mode) &&
	    now.st_dev == made->st_dev && now.st_ino == made->st_ino)
		rmdir(dir);
	_exit(0);
}

int run_start_janitor(struct run_state *st)
{
	struct stat made;
	int fds[2];
	pid_t pid;

	if (lstat(st->tmpdir, &made))
		return -errno;
	/* Close-on-exec: uodpd and CMD never hold the write end. */
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int ret = -errno;

		close(fds[0]);
		close(fds[1]);
		return ret;
	}
	if (pid == 0) {
		close(fds[1]);
		janitor(st->tmpdir, &made, fds[0]);
	}
	close(fds[0]);
	st->janitor_fd = fds[1];
	st->janitor_pid = pid;
	return 0;
}

void run_stop_janitor(struct run_state *st, bool removed)
{
	char byte = 0;

	if (st->janitor_fd < 0)
		return;
	/* Removed by us: the janitor must not remove a namesake later. */
	if (removed && write(st->janitor_fd, &byte, 1) != 1)
		run_warn("cannot release the janitor: %s", strerror(errno));
	close(st->janitor_fd);
	st->janitor_fd = -1;
	/* It ends at once now: uodp-run leaves no process behind. */
	waitpid(st->janitor_pid, NULL, 0);
	st->janitor_pid = 0;
}
