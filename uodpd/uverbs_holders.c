// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Who still holds a command fd's file, when the inotify watch cannot say.
 *
 * uverbs.c counts the opens and closes the watch reports; when the inotify
 * queue overflows (IN_Q_OVERFLOW: a process opening and closing a command
 * fd through /proc faster than the device reads) events are gone and the
 * counts mean nothing.  Then every process's fds and mappings are looked
 * at: a file nobody holds is released now, one somebody holds is marked
 * unsure, and each later close of it is checked the same way.  A file in
 * flight in an SCM_RIGHTS message is in no process: that one edge is
 * released early, where a kernel would wait for the message.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ctl.h"
#include "uverbs.h"

static void mark(struct uodpd *d, dev_t dev, ino_t ino)
{
	struct ud_ufile *f = ud_uverbs_by_inode(d, dev, ino);

	if (f)
		f->held = true;
}

static void scan_fds(struct uodpd *d, const char *pid)
{
	char path[300];
	struct dirent *e;
	struct stat st;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.' &&
		    !ud_proc_fd_stat(pid, e->d_name, &st))
			mark(d, st.st_dev, st.st_ino);
	closedir(dir);
}

/* A mapping keeps its file too: "start-end perms off MAJ:MIN inode path". */
static void scan_maps(struct uodpd *d, const char *pid)
{
	unsigned int maj, min;
	unsigned long ino;
	char path[64], line[512];
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	maps = fopen(path, "re");
	if (!maps)
		return;
	while (fgets(line, sizeof(line), maps))
		if (sscanf(line, "%*s %*s %*s %x:%x %lu", &maj, &min, &ino) == 3 &&
		    ino)
			mark(d, makedev(maj, min), (ino_t)ino);
	fclose(maps);
}

static void scan_all(struct uodpd *d)
{
	char self[16];
	struct dirent *e;
	DIR *proc = opendir("/proc");

	if (!proc)
		return;
	snprintf(self, sizeof(self), "%d", (int)getpid());
	while ((e = readdir(proc))) {
		if (!isdigit((unsigned char)e->d_name[0]) ||
		    !strcmp(e->d_name, self))
			continue;	/* our own mapping of each file */
		scan_fds(d, e->d_name);
		scan_maps(d, e->d_name);
	}
	closedir(proc);
}

static void scan_marked(struct uodpd *d, bool all)
{
	struct ud_ufile *f;
	uint32_t i;

	for (i = 0; i < d->ufiles.cap; i++) {
		f = ud_idr_at(&d->ufiles, i);
		if (f && (all || f->unsure))
			f->held = false;
	}
	scan_all(d);
	for (i = 0; i < d->ufiles.cap; i++) {
		f = ud_idr_at(&d->ufiles, i);
		if (!f || !(all || f->unsure))
			continue;
		if (f->held)
			f->unsure = true;
		else
			ud_uverbs_release(d, f);
	}
}

void ud_uverbs_recount(struct uodpd *d)
{
	ud_warn("inotify lost events: looking for the holders of every command fd");
	scan_marked(d, true);
}

void ud_uverbs_recheck(struct uodpd *d)
{
	scan_marked(d, false);
}
