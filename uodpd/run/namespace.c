// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The private mount namespace: a tmpfs over the private directory (so its
 * contents vanish with the namespace) and a /dev that is the host's plus
 * /dev/infiniband/uverbsK nodes.  Nothing here is visible on the host.
 *
 * /dev is rebuilt rather than overlaid so the same code works for root and
 * for an ordinary user in a user namespace, where mknod is refused and
 * mounts are nodev: every host entry is bind-mounted back from the host's
 * devtmpfs (binds keep working device nodes), and each uverbsK node is a
 * bind mount of /dev/full, which libibverbs opens as the "command fd".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

static int write_proc_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

/* A user namespace in which the caller keeps its own uid and gid. */
static int enter_user_namespace(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	int ret;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS)) {
		ret = -errno;
		run_err("cannot create a user + mount namespace: %s%s",
			strerror(errno), errno == EPERM || errno == ENOSPC ?
			" (are unprivileged user namespaces disabled?)" : "");
		return ret;
	}
	/* An unprivileged gid_map needs setgroups denied first. */
	ret = write_proc_file("/proc/self/setgroups", "deny");
	if (!ret) {
		snprintf(map, sizeof(map), "%u %u 1", (unsigned int)uid,
			 (unsigned int)uid);
		ret = write_proc_file("/proc/self/uid_map", map);
	}
	if (!ret) {
		snprintf(map, sizeof(map), "%u %u 1", (unsigned int)gid,
			 (unsigned int)gid);
		ret = write_proc_file("/proc/self/gid_map", map);
	}
	if (ret)
		run_err("cannot map uid %u / gid %u into the user namespace: %s",
			(unsigned int)uid, (unsigned int)gid, strerror(-ret));
	return ret;
}

int run_enter_mount_namespace(void)
{
	int ret;

	if (geteuid() == 0) {
		if (unshare(CLONE_NEWNS)) {
			ret = -errno;
			run_err("cannot create a mount namespace: %s",
				strerror(errno));
			return ret;
		}
	} else {
		ret = enter_user_namespace();
		if (ret)
			return ret;
	}
	/* Nothing mounted from here on may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		ret = -errno;
		run_err("cannot make the mount tree private: %s",
			strerror(errno));
		return ret;
	}
	return 0;
}

int run_mount_private_tmpdir(const char *dir)
{
	/* The sysfs tree of 16 devices takes about 12 MiB of 4 KiB pages. */
	if (mount("uodp-run", dir, "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0755,size=64m")) {
		int ret = -errno;

		run_err("cannot mount a tmpfs on %s: %s", dir, strerror(errno));
		return ret;
	}
	return 0;
}

void run_unmount_private_tmpdir(const char *dir)
{
	if (umount2(dir, MNT_DETACH))
		run_warn("cannot unmount %s: %s", dir, strerror(errno));
}

/* An empty regular file to bind a non-directory onto. */
static int make_mountpoint_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int bind_mount(const char *src, const char *dst)
{
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL))
		return -errno;
	return 0;
}

/* Recreates one host /dev entry at dst: symlink copy, or a bind mount. */
static int copy_dev_entry(const char *src, const char *dst)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t len;
	int ret;

	if (lstat(src, &st))
		return -errno;
	if (S_ISLNK(st.st_mode)) {
		len = readlink(src, target, sizeof(target) - 1);
		if (len < 0)
			return -errno;
		target[len] = '\0';
		return symlink(target, dst) ? -errno : 0;
	}
	if (S_ISDIR(st.st_mode))
		ret = mkdir(dst, st.st_mode & 07777) ? -errno : 0;
	else
		ret = make_mountpoint_file(dst);
	return ret ? ret : bind_mount(src, dst);
}

/* Our nodes: the uverbs ones, and rdma_cm (the device serves it). */
static bool is_our_node(const char *name, unsigned int ndevices)
{
	char ours[32];
	unsigned int i;

	if (!strcmp(name, "rdma_cm"))
		return true;
	for (i = 0; i < ndevices; i++) {
		ud_identity_uverbs_name(i, ours, sizeof(ours));
		if (!strcmp(name, ours))
			return true;
	}
	return false;
}

/*
 * Copies every entry of src_dir into dst_dir.  In "infiniband" the host's
 * own entries (a real HCA's umad...) come back too, except names our
 * nodes take.  A host entry that cannot be copied only warns: the
 * command may not need it.
 */
static int copy_dev_dir(const char *src_dir, const char *dst_dir,
			unsigned int ndevices, bool infiniband)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int ret;

	dir = opendir(src_dir);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (infiniband && is_our_node(de->d_name, ndevices))
			continue;
		ret = run_path(src, "%s/%s", src_dir, de->d_name);
		if (!ret)
			ret = run_path(dst, "%s/%s", dst_dir, de->d_name);
		if (ret)
			continue;	/* no /dev name is that long */
		if (!infiniband && !strcmp(de->d_name, "infiniband")) {
			ret = mkdir(dst, 0755) ? -errno : 0;
			if (!ret)
				ret = copy_dev_dir(src, dst, ndevices, true);
		} else {
			ret = copy_dev_entry(src, dst);
		}
		if (ret)
			run_warn("cannot recreate /dev entry %s: %s", dst,
				 strerror(-ret));
	}
	closedir(dir);
	return 0;
}

/* One node of ours: /dev/full bound there, the fd uodpd answers for. */
static int make_node(const char *full, const char *name)
{
	char node[PATH_MAX];
	int ret;

	ret = run_path(node, "/dev/infiniband/%s", name);
	if (!ret)
		ret = make_mountpoint_file(node);
	if (!ret)
		ret = bind_mount(full, node);
	if (ret)
		run_err("cannot create %s: %s", node, strerror(-ret));
	return ret;
}

static int make_uverbs_nodes(const char *host_dev, unsigned int ndevices)
{
	char full[PATH_MAX], name[32];
	unsigned int i;
	int ret;

	if (mkdir("/dev/infiniband", 0755) && errno != EEXIST)
		return -errno;
	ret = run_path(full, "%s/full", host_dev);
	if (ret)
		return ret;
	for (i = 0; !ret && i < ndevices; i++) {
		ud_identity_uverbs_name(i, name, sizeof(name));
		ret = make_node(full, name);
	}
	return ret ? ret : make_node(full, "rdma_cm");
}

int run_setup_dev(const char *tmpdir, unsigned int ndevices)
{
	char host_dev[PATH_MAX];
	int ret;

	/* Keep the host's /dev reachable once a tmpfs covers /dev. */
	ret = run_path(host_dev, "%s/host-dev", tmpdir);
	if (ret)
		return ret;
	if (mkdir(host_dev, 0700))
		return -errno;
	ret = bind_mount("/dev", host_dev);
	if (ret) {
		run_err("cannot bind the host /dev: %s", strerror(-ret));
		goto err_rmdir;
	}
	if (mount("uodp-dev", "/dev", "tmpfs", MS_NOSUID, "mode=0755")) {
		ret = -errno;
		run_err("cannot mount a tmpfs on /dev: %s", strerror(errno));
		goto err_umount;
	}
	ret = copy_dev_dir(host_dev, "/dev", ndevices, false);
	if (ret)
		run_err("cannot read the host /dev: %s", strerror(-ret));
	if (!ret)
		ret = make_uverbs_nodes(host_dev, ndevices);
err_umount:
	/* The entries stay bound; only this extra view of /dev goes. */
	if (umount2(host_dev, MNT_DETACH))
		run_warn("cannot unmount %s: %s", host_dev, strerror(errno));
err_rmdir:
	rmdir(host_dev);
	return ret;
}
