// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Looking at another process's fd through /proc without trusting it.
 *
 * stat() of /proc/PID/fd/N follows the link into the file's own
 * filesystem: a client's FUSE or hung NFS file there would block the
 * single-threaded device for everybody.  The link's text costs nothing and
 * names the kind of file, so only the kinds the device hands out (its
 * memfds: command fds, queue memory; pipes: event channels; sockets:
 * NETLINK_RDMA sockets) are stat()ed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uodpd.h"

static bool device_kind(const char *link)
{
	return !strncmp(link, "/memfd:", 7) || !strncmp(link, "pipe:[", 6) ||
	       !strncmp(link, "socket:[", 8);
}

int ud_proc_fd_stat(const char *pid, const char *fd, struct stat *st)
{
	char path[96], link[128];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, fd);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -errno;
	link[len] = '\0';
	if (!device_kind(link))
		return -EXDEV;
	return stat(path, st) ? -errno : 0;
}

int ud_pid_fd_stat(pid_t pid, int fd, struct stat *st)
{
	char p[16], n[16];

	snprintf(p, sizeof(p), "%d", (int)pid);
	snprintf(n, sizeof(n), "%d", fd);
	return ud_proc_fd_stat(p, n, st);
}

bool ud_fd_is_anon_inode(int fd, const char *kind)
{
	char path[64], link[64], want[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	snprintf(want, sizeof(want), "anon_inode:%s", kind);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return !strcmp(link, want);
}

void ud_pid_ns_of(pid_t pid, pid_t ns_tgid, struct ud_pid_ns *ns)
{
	char path[64];
	struct stat st;

	memset(ns, 0, sizeof(*ns));
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	if (stat(path, &st))
		return;
	ns->dev = st.st_dev;
	ns->ino = st.st_ino;
	ns->tgid = ns_tgid;
}

bool ud_pid_same_ns(pid_t pid, const char *kind)
{
	char mine_path[64], its_path[64];
	struct stat mine, its;

	snprintf(mine_path, sizeof(mine_path), "/proc/self/ns/%s", kind);
	snprintf(its_path, sizeof(its_path), "/proc/%d/ns/%s", (int)pid, kind);
	return !stat(mine_path, &mine) && !stat(its_path, &its) &&
	       mine.st_dev == its.st_dev && mine.st_ino == its.st_ino;
}
