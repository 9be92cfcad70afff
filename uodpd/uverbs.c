// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * A command fd's life, as ib_uverbs gives it: open() of
 * /dev/infiniband/uverbsN makes one, every process that inherits or dups it
 * shares it, and it is released when the last reference goes (close, exec
 * of a close-on-exec fd, exit), whoever holds it.
 *
 * The fd installed in the caller is a file uodpd opened on a memfd of its
 * own (so mmap works natively).  uodpd keeps no reference to that file: an
 * inotify watch reports its release (IN_CLOSE_*), which is exactly the
 * kernel's release of the uverbs file.  A reopen through /proc/PID/fd/N
 * makes a second file on the memfd, so the watch counts opens as well and
 * the release is the close of the last file.  (The reopened file is a plain
 * file on the memfd; a kernel would give it a fresh, unbound uverbs file.)
 * If the watch's queue overflows, uverbs_holders.c finds the holders.
 * A trapped call on a command fd number is matched to its file by inode
 * (stat of /proc/PID/fd/N), so a dup, a fork or a reused number are all
 * seen as they are.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/stat.h>
#include <rdma/rdma_user_ioctl.h>

#include "ctl.h"
#include "loop.h"
#include "supervise.h"
#include "ucma.h"
#include "uverbs.h"

#define UFILE_SIZE 4096u		/* device pages: the doorbell page */
#define UFILE_HASH_SIZE (sizeof(((struct uodpd *)0)->ufile_hash) / \
			 sizeof(((struct uodpd *)0)->ufile_hash[0]))

static struct list_head *hash_head(struct uodpd *d, ino_t ino)
{
	return &d->ufile_hash[ino % UFILE_HASH_SIZE];
}

int ud_uverbs_init(struct uodpd *d)
{
	unsigned int i;

	for (i = 0; i < UFILE_HASH_SIZE; i++)
		list_head_init(&d->ufile_hash[i]);
	ud_idr_init(&d->ufiles, 1, UD_NUM_MAX);
	ud_idr_init(&d->listeners, 1, UD_NUM_MAX);
	ud_idr_init(&d->channels, 1, UD_NUM_MAX);
	d->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (d->inotify_fd < 0)
		return -errno;
	return ud_loop_watch(d, d->inotify_fd, UD_EP_INOTIFY, 0);
}

void ud_uverbs_release(struct uodpd *d, struct ud_ufile *f)
{
	struct ud_channel *ch;

	if (f->ctx)
		ud_ctx_destroy(d, f->ctx);
	list_for_each_safe(&f->channels, ch, tmp, struct ud_channel, link)
		ud_channel_destroy(d, ch);
	if (f->wd >= 0)
		inotify_rm_watch(d->inotify_fd, f->wd);
	if (f->page)
		munmap(f->page, UFILE_SIZE);
	list_del(&f->hash_link);
	ud_idr_remove(&d->ufiles, f->id);
	ud_dbg("command fd %u released", f->id);
	free(f);
}

void ud_uverbs_fini(struct uodpd *d)
{
	struct ud_ufile *f;
	uint32_t i;

	for (i = 0; i < d->ufiles.cap; i++) {
		f = ud_idr_at(&d->ufiles, i);
		if (f)
			ud_uverbs_release(d, f);
	}
	ud_idr_destroy(&d->ufiles);
	ud_idr_destroy(&d->listeners);
	ud_idr_destroy(&d->channels);
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
}

void ud_uverbs_ctx_gone(struct ud_ctx *ctx)
{
	if (ctx->ufile)
		ctx->ufile->ctx = NULL;
	ctx->ufile = NULL;
}

/* ---- open ---- */

/* A memfd of ours, sealed so nobody can resize it under a mapping. */
static int make_memfd(uint32_t index)
{
	char name[32];
	int fd;

	snprintf(name, sizeof(name), "uverbs%u", index);
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, UFILE_SIZE) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

int ud_free_cmdfd_number(pid_t pid, pid_t tgid)
{
	char path[64], link[PATH_MAX];
	int n = UD_CMDFD_BASE + UD_CMDFD_COUNT - 1;
	struct rlimit rl;

	if (!prlimit(tgid, RLIMIT_NOFILE, NULL, &rl) && rl.rlim_cur <= (rlim_t)n)
		n = (int)rl.rlim_cur - 1;
	for (; n >= UD_CMDFD_BASE; n--) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, n);
		if (readlink(path, link, sizeof(link)) < 0 && errno == ENOENT)
			return n;
	}
	return -EMFILE;
}

static struct ud_ufile *ufile_new(struct uodpd *d, uint32_t index, int memfd,
				  const struct ud_creds *cr)
{
	char path[64], node[64], name[32];
	struct ud_ufile *f;
	struct stat st;

	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->wd = -1;
	list_head_init(&f->channels);
	list_node_init(&f->hash_link);
	f->id = ud_idr_alloc(&d->ufiles, f);
	if (!f->id)
		goto err_free;
	if (fstat(memfd, &st))
		goto err_remove;
	f->dev = &d->devices[index];
	f->st_dev = st.st_dev;
	f->st_ino = st.st_ino;
	f->uid = cr->euid;
	f->net_admin = cr->net_admin;
	/* fstat answers what stat() of the node says. */
	ud_identity_uverbs_name(index, name, sizeof(name));
	snprintf(node, sizeof(node), "/dev/infiniband/%s", name);
	if (stat(node, &f->node) || !S_ISCHR(f->node.st_mode)) {
		memset(&f->node, 0, sizeof(f->node));
		f->node.st_mode = S_IFCHR | 0666;
		f->node.st_nlink = 1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	/* The doorbell page, mmap offset 0 of the fd (mlx5's first UAR). */
	f->page = mmap(NULL, UFILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       memfd, 0);
	if (f->page == MAP_FAILED) {
		f->page = NULL;
		goto err_remove;
	}
	/* Until the device says it is polling, every doorbell must kick. */
	f->page->need_wakeup = 1;
	/* The file given away was opened before the watch: count it here. */
	f->opens = 1;
	f->wd = inotify_add_watch(d->inotify_fd, path, IN_OPEN |
				  IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
	if (f->wd < 0)
		goto err_unmap;
	list_add_tail(hash_head(d, f->st_ino), &f->hash_link);
	return f;

err_unmap:
	munmap(f->page, UFILE_SIZE);
err_remove:
	ud_idr_remove(&d->ufiles, f->id);
err_free:
	free(f);
	return NULL;
}

/* The file to give away: our own open of the memfd, watched for release. */
static int open_give_file(int memfd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return open(path, O_RDWR | O_CLOEXEC);
}

void ud_uverbs_open(struct ud_call *c, uint32_t index, int flags)
{
	struct ud_ufile *f = NULL;
	int memfd, give = -1, number, ret;
	struct ud_creds cr;

	/*
	 * The opener's credentials, kept with the file as the kernel keeps
	 * f_cred: what it may see of other users' objects (ctl_odp.c).  The
	 * process is still waiting in this open(), so the pid is its own.
	 */
	ret = ud_call_creds(c, &cr);
	/* The daemon's maps are bounded (limits.c): the kernel's ENFILE. */
	if (!ret && c->d->ufiles.count >= c->d->file_max)
		ret = -ENFILE;
	memfd = ret ? -1 : make_memfd(index);
	if (ret || memfd < 0) {
		ud_call_fail(c, ret ? ret : memfd);
		return;
	}
	give = open_give_file(memfd);
	ret = give < 0 ? -errno : 0;
	number = ret ? ret : ud_free_cmdfd_number(c->pid, cr.tgid);
	f = number < 0 ? NULL : ufile_new(c->d, index, memfd, &cr);
	if (give < 0 || number < 0 || !f) {
		ret = ret ? ret : number < 0 ? number : -ENOMEM;
		goto err;
	}
	ret = ud_call_install_fd(c, give, number, flags & O_CLOEXEC, true);
	if (ret < 0)
		goto err;
	close(give);
	close(memfd);
	ud_dbg("command fd %u: %s opened by pid %d as fd %d", f->id,
	       f->dev->name, (int)c->pid, number);
	return;

err:
	if (f)
		ud_uverbs_release(c->d, f);
	if (give >= 0)
		close(give);
	close(memfd);
	ud_call_fail(c, ret);
}

/* ---- finding and releasing ---- */

struct ud_ufile *ud_uverbs_by_inode(struct uodpd *d, dev_t dev, ino_t ino)
{
	struct ud_ufile *f;

	list_for_each(hash_head(d, ino), f, struct ud_ufile, hash_link)
		if (f->st_ino == ino && f->st_dev == dev)
			return f;
	return NULL;
}

static struct ud_ufile *ufile_by_wd(struct uodpd *d, int wd)
{
	struct ud_ufile *f;
	unsigned int i;

	for (i = 0; i < UFILE_HASH_SIZE; i++)
		list_for_each(&d->ufile_hash[i], f, struct ud_ufile, hash_link)
			if (f->wd == wd)
				return f;
	return NULL;
}

static void ufile_event(struct uodpd *d, struct ud_ufile *f, uint32_t mask)
{
	bool closed = mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);

	if (f->unsure) {
		/* Its count was lost: a close may have been the last. */
		if (closed)
			ud_uverbs_recheck(d);
		return;
	}
	if (mask & IN_OPEN)
		f->opens++;
	if (!closed || --f->opens)
		return;
	ud_uverbs_release(d, f);
}

void ud_uverbs_released(struct uodpd *d)
{
	union {
		struct inotify_event ev;
		char buf[4096];
	} u;
	struct inotify_event *ev;
	struct ud_ufile *f;
	bool lost = false;
	ssize_t n, off;

	while ((n = read(d->inotify_fd, u.buf, sizeof(u.buf))) > 0) {
		for (off = 0; off + (ssize_t)sizeof(*ev) <= n;
		     off += sizeof(*ev) + ev->len) {
			ev = (struct inotify_event *)(u.buf + off);
			lost |= ev->mask & IN_Q_OVERFLOW;
			f = ufile_by_wd(d, ev->wd);
			if (f)
				ufile_event(d, f, ev->mask);
			else
				ud_ucma_inotify(d, ev->wd, ev->mask);
		}
	}
	/* After the queue is read: what the scan sees is the present. */
	if (lost)
		ud_uverbs_recount(d);
}

/* ---- fstat ---- */

static void fill_statx(const struct stat *st, struct statx *sx)
{
	memset(sx, 0, sizeof(*sx));
	sx->stx_mask = STATX_BASIC_STATS;
	sx->stx_blksize = (uint32_t)st->st_blksize;
	sx->stx_nlink = (uint32_t)st->st_nlink;
	sx->stx_uid = st->st_uid;
	sx->stx_gid = st->st_gid;
	sx->stx_mode = (uint16_t)st->st_mode;
	sx->stx_ino = st->st_ino;
	sx->stx_atime.tv_sec = st->st_atim.tv_sec;
	sx->stx_mtime.tv_sec = st->st_mtim.tv_sec;
	sx->stx_ctime.tv_sec = st->st_ctim.tv_sec;
	sx->stx_rdev_major = major(st->st_rdev);
	sx->stx_rdev_minor = minor(st->st_rdev);
	sx->stx_dev_major = major(st->st_dev);
	sx->stx_dev_minor = minor(st->st_dev);
}

void ud_answer_fstat(struct ud_call *c, const struct stat *node, uint64_t buf,
		     bool want_statx)
{
	struct statx sx;
	int ret;

	if (want_statx) {
		fill_statx(node, &sx);
		ret = ud_pid_write(c->pid, buf, &sx, sizeof(sx));
	} else {
		ret = ud_pid_write(c->pid, buf, node, sizeof(*node));
	}
	if (ret)
		ud_call_fail(c, -EFAULT);
	else
		ud_call_return(c, 0);
}

/* ---- write() and ioctl() ---- */

void ud_uverbs_write(struct ud_call *c, struct ud_ufile *f)
{
	uint64_t buf = c->args[1], len = c->args[2];
	_Alignas(8) uint8_t req[UD_WRITE_MAX_LEN];
	struct ud_write_cmd cmd;
	int ret;

	if (len > sizeof(req)) {
		ud_call_fail(c, -EINVAL);
		return;
	}
	if (ud_pid_read(c->pid, buf, req, len)) {
		ud_call_fail(c, -EFAULT);
		return;
	}
	ret = ud_write_decode(ud_write_cmds, ud_write_ex_cmds, req, len,
			      &cmd);
	if (!ret && cmd.desc->needs_context && !f->ctx)
		ret = -EINVAL;
	if (!ret)
		ret = cmd.desc->fn(c, f, &cmd);
	if (ret)
		ud_dbg("command fd %u: write command %u: %s", f->id,
		       cmd.command, strerror(-ret));
	if (ret)
		ud_call_fail(c, ret);
	else
		ud_call_return(c, (int64_t)len);
}

/* Every object family's methods. */
static const struct {
	const struct ud_ioctl_desc *methods;
	const unsigned int *nmethods;
} method_tables[] = {
	{ ud_device_methods, &ud_device_nmethods },
	{ ud_destroy_methods, &ud_destroy_nmethods },
	{ ud_create_methods, &ud_create_nmethods },
	{ ud_odp_methods, &ud_odp_nmethods },
	{ ud_ioctl_methods, &ud_ioctl_nmethods },
};

static int run_ioctl(struct ud_call *c, struct ud_ufile *f, uint64_t addr)
{
	_Alignas(8) uint8_t buf[UD_IOCTL_MAX_LEN];
	struct ib_uverbs_ioctl_hdr hdr;
	struct ud_ioctl_cmd cmd;
	unsigned int i;
	int ret;

	size_t page_left = 4096 - (addr & 4095), first;

	/* Usually the header and its attributes in one read, in its page. */
	first = page_left < sizeof(buf) ? page_left : sizeof(buf);
	if (first < sizeof(hdr))
		first = sizeof(hdr);
	if (ud_pid_read(c->pid, addr, buf, first))
		return -EFAULT;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.length < sizeof(hdr) || hdr.length > sizeof(buf))
		return -EINVAL;
	if (hdr.length > first &&
	    ud_pid_read(c->pid, addr + first, buf + first, hdr.length - first))
		return -EFAULT;
	for (i = 0; i + 1 < ARRAY_SIZE(method_tables); i++)
		if (ud_ioctl_has(method_tables[i].methods,
				 *method_tables[i].nmethods, hdr.object_id,
				 hdr.method_id))
			break;
	/* The last table answers for methods nobody has. */
	ret = ud_ioctl_decode(method_tables[i].methods,
			      *method_tables[i].nmethods, buf, hdr.length,
			      &cmd);
	ud_dbg("command fd %u: method %#x of object %#x", f->id,
	       hdr.method_id, hdr.object_id);
	if (ret)
		return ret;
	if (cmd.desc->needs_context && !f->ctx)
		return -EINVAL;
	cmd.hdr_addr = addr;
	ret = ud_ioctl_check_objects(c, f, &cmd);
	if (ret)
		return ret;
	return cmd.desc->fn(c, f, &cmd);
}

/*
 * RDMA_VERBS_IOCTL: the method framework.  A method uodpd does not serve
 * answers EPROTONOSUPPORT, and libibverbs takes the write() command.
 */
bool ud_vfs_ioctl(uint32_t cmd)
{
	return cmd == FIOCLEX || cmd == FIONCLEX || cmd == FIONBIO ||
	       cmd == FIOASYNC;
}

void ud_uverbs_ioctl(struct ud_call *c, struct ud_ufile *f)
{
	uint32_t cmd = (uint32_t)c->args[1];
	int ret;

	/* The VFS's own, before any driver: let the kernel do them. */
	if (ud_vfs_ioctl(cmd)) {
		ud_call_continue(c);
		return;
	}
	if (cmd != (uint32_t)RDMA_VERBS_IOCTL) {
		ud_call_fail(c, -ENOTTY);
		return;
	}
	ret = run_ioctl(c, f, c->args[2]);
	if (ret)
		ud_dbg("command fd %u: ioctl: %s", f->id, strerror(-ret));
	if (ret)
		ud_call_fail(c, ret);
	else
		ud_call_return(c, 0);
}

int ud_write_respond(struct ud_call *c, const struct ud_write_cmd *cmd,
		     const void *core, size_t core_len, const void *drv,
		     size_t drv_len)
{
	static const uint8_t zeros[256];
	size_t room = cmd->resp_core_len, n;

	if (core_len > room)
		core_len = room;
	if (ud_pid_write(c->pid, cmd->response, core, core_len))
		return -EFAULT;
	/* As uverbs_response(): room the kernel's core does not fill is 0. */
	for (; room > core_len; core_len += n) {
		n = room - core_len < sizeof(zeros) ? room - core_len :
						      sizeof(zeros);
		if (ud_pid_write(c->pid, cmd->response + core_len, zeros, n))
			return -EFAULT;
	}
	if (drv_len > cmd->drv_response_len)
		drv_len = cmd->drv_response_len;
	if (drv_len &&
	    ud_pid_write(c->pid, cmd->drv_response, drv, drv_len))
		return -EFAULT;
	return 0;
}
