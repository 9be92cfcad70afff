// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * uodp-run [--attach | --private] [--devices N] [--netdev IF[,IF...]] -- CMD [ARGS...]
 *
 * Runs CMD with N emulated uodp devices: a private mount namespace holding
 * the sysfs tree and /dev/infiniband nodes libibverbs looks for, uodpd
 * serving them, the uodp provider named in RDMAV_DRIVERS, and kernel RDMA
 * netlink hidden from CMD.  The uodpd is the shared one on the well-known
 * socket when one answers there (the devices of other terminals' commands
 * too), else one of its own.  Exits with CMD's status.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"
#include "uodpd/uodpd.h"

#define PROVIDER_ABI_SUFFIX "-rdmav34.so"	/* libibverbs appends it */

static void vreport(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "uodp-run: %s", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void run_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void run_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

int run_path(char *out, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	return len < 0 || len >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: uodp-run [--attach | --private] [--devices N] [--netdev IF[,IF...]]\n"
		"                [--no-queue-memfd] [--no-doorbell-fd]\n"
		"                [--context-share PERCENT] [--cm-timeout-divisor N]\n"
		"                -- CMD [ARGS...]\n"
		"Run CMD with emulated uodp RDMA devices served by uodpd: the shared\n"
		"uodpd at $" UD_DAEMON_SOCKET_ENV " (default " UD_DAEMON_SOCKET_DEFAULT ")\n"
		"when one answers there, else a private one.\n"
		"\n"
		"  -a, --attach      the shared uodpd's devices, or fail\n"
		"  -p, --private     a uodpd of our own, even if a shared one runs\n"
		"  -n, --devices N   number of devices uodp0..uodp<N-1> (1..%d, default 1)\n"
		"  -i, --netdev IF[,IF...]  the netdev each device is on, the last\n"
		"                    for the rest; its addresses give the GIDs\n"
		"                    (default %s)\n"
		"      --no-queue-memfd  queues in the programs' own memory, as on a\n"
		"                    kernel (slower: see uodp-run(1))\n"
		"      --no-doorbell-fd  doorbells are UAR writes the device polls\n"
		"                    for, as on hardware (see uodp-run(1))\n"
		"      --context-share PERCENT  what one context may hold of each\n"
		"                    max_qp, max_cq, ... (1..100, default %u)\n"
		"      --cm-timeout-divisor N  the connection manager's waits are\n"
		"                    the kernel's divided by N (1..%u, default 1;\n"
		"                    an emulator's extra for tests)\n"
		"  -h, --help        show this help\n"
		"  -V, --version     show the version\n"
		"\n"
		"The device options must match a shared uodpd's (or: --private).\n"
		"Environment: " UD_DAEMON_SOCKET_ENV ", UODPD_PATH, UODP_PROVIDER_PATH, TMPDIR\n"
		"(see uodp-run(1)).\n",
		UODPD_MAX_DEVICES, UD_DEFAULT_NETDEV, UD_DEFAULT_CONTEXT_SHARE,
		UD_CM_TIMEOUT_DIVISOR_MAX);
}

/* --attach and --private exclude each other. */
static bool set_mode(struct run_state *st, enum run_mode mode)
{
	if (st->mode != RUN_MODE_AUTO && st->mode != mode) {
		run_err("--attach and --private exclude each other");
		return false;
	}
	st->mode = mode;
	return true;
}

/* A decimal number in min..max, the whole of arg. */
static bool number_arg(const char *arg, unsigned long min, unsigned long max,
		       unsigned long *value)
{
	char *end;

	errno = 0;
	*value = strtoul(arg, &end, 10);
	return !errno && !*end && end != arg && *value >= min &&
	       *value <= max;
}

/* Returns the index of CMD in argv, or -1 after printing why. */
static int parse_options(int argc, char **argv, struct run_state *st)
{
	static const struct option opts[] = {
		{ "attach", no_argument, NULL, 'a' },
		{ "private", no_argument, NULL, 'p' },
		{ "devices", required_argument, NULL, 'n' },
		{ "netdev", required_argument, NULL, 'i' },
		{ "no-queue-memfd", no_argument, NULL, 'Q' },
		{ "no-doorbell-fd", no_argument, NULL, 'D' },
		{ "context-share", required_argument, NULL, 'c' },
		{ "cm-timeout-divisor", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long value;
	int c;

	/* '+': options end at CMD, whose own options are its business. */
	while ((c = getopt_long(argc, argv, "+apn:i:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
		case 'p':
			if (!set_mode(st, c == 'a' ? RUN_MODE_ATTACH :
						     RUN_MODE_PRIVATE))
				return -1;
			continue;
		case 'n':
			if (!number_arg(optarg, 1, UODPD_MAX_DEVICES, &value)) {
				run_err("--devices must be 1..%d, not '%s'",
					UODPD_MAX_DEVICES, optarg);
				return -1;
			}
			st->ndevices = (unsigned int)value;
			st->device_opts |= RUN_OPT_DEVICES;
			break;
		case 'i':
			if (!ud_netdev_list_ok(optarg)) {
				run_err("--netdev takes netdev names, comma-separated, not '%s'",
					optarg);
				return -1;
			}
			st->netdev = optarg;
			st->device_opts |= RUN_OPT_NETDEV;
			break;
		case 'Q':
			st->no_queue_memfd = true;
			st->device_opts |= RUN_OPT_NO_QUEUE_MEMFD;
			break;
		case 'D':
			st->no_doorbell_fd = true;
			st->device_opts |= RUN_OPT_NO_DOORBELL_FD;
			break;
		case 'c':
			/* Checked here, so that a typo fails before CMD runs. */
			if (!number_arg(optarg, 1, 100, &value)) {
				run_err("--context-share must be 1..100, not '%s'",
					optarg);
				return -1;
			}
			st->context_share = optarg;
			st->device_opts |= RUN_OPT_CONTEXT_SHARE;
			break;
		case 't':
			if (!number_arg(optarg, 1, UD_CM_TIMEOUT_DIVISOR_MAX,
					&value)) {
				run_err("--cm-timeout-divisor must be 1..%u, not '%s'",
					UD_CM_TIMEOUT_DIVISOR_MAX, optarg);
				return -1;
			}
			st->cm_timeout_divisor = optarg;
			st->device_opts |= RUN_OPT_CM_TIMEOUT_DIVISOR;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("uodp-run %s\n", UD_IDENTITY_FW_VER);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind >= argc) {
		run_err("no command given");
		usage(stderr);
		return -1;
	}
	return optind;
}

/*
 * Run from the build tree, uodpd sits next to uodp-run (build/bin) and the
 * plugin in ../lib; installed, they are where CMake put them, compiled in
 * (uodpd in sbindir, the plugin in libibverbs' provider directory).  The
 * build tree wins when its file is there, so that build/bin/uodp-run runs
 * the build's own daemon and provider even beside an installed package.
 */
#if !defined(UODP_INSTALL_UODPD) || !defined(UODP_INSTALL_PROVIDER)
#error "the build defines UODP_INSTALL_UODPD and UODP_INSTALL_PROVIDER"
#endif

static int resolve_daemon_path(struct run_state *st, const char *bindir)
{
	const char *env = getenv("UODPD_PATH");
	int ret;

	if (env && *env) {
		ret = run_path(st->daemon_path, "%s", env);
	} else {
		ret = run_path(st->daemon_path, "%s/uodpd", bindir);
		if (!ret && access(st->daemon_path, X_OK))
			ret = run_path(st->daemon_path, "%s",
				       UODP_INSTALL_UODPD);
	}
	if (ret)
		return ret;
	if (access(st->daemon_path, X_OK)) {
		run_err("uodpd not found at %s (%s); set UODPD_PATH",
			st->daemon_path, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

/* 0 if libibverbs would find a plugin file for the entry @path. */
static int provider_file_exists(const char *path)
{
	char file[PATH_MAX];

	if (run_path(file, "%s%s", path, PROVIDER_ABI_SUFFIX))
		return -ENAMETOOLONG;
	return access(file, R_OK) ? -errno : 0;
}

static int resolve_provider_path(struct run_state *st, const char *bindir)
{
	const char *env = getenv("UODP_PROVIDER_PATH");
	char lib[PATH_MAX], lib_abs[PATH_MAX];
	int ret;

	if (env && *env) {
		ret = run_path(st->provider_path, "%s", env);
	} else {
		ret = run_path(lib, "%s/../lib", bindir);
		if (ret)
			return ret;
		/* libibverbs takes only absolute paths as file names. */
		if (!realpath(lib, lib_abs))
			strcpy(lib_abs, lib);
		ret = run_path(st->provider_path, "%s/libuodp", lib_abs);
		if (!ret && provider_file_exists(st->provider_path))
			ret = run_path(st->provider_path, "%s",
				       UODP_INSTALL_PROVIDER);
	}
	if (ret)
		return ret;
	if (provider_file_exists(st->provider_path))
		run_warn("provider %s%s not found: libibverbs will not see uodp devices",
			 st->provider_path, PROVIDER_ABI_SUFFIX);
	return 0;
}

/* The plugin always; uodpd only when we start our own. */
static int resolve_paths(struct run_state *st)
{
	char exe[PATH_MAX];
	const char *bindir;
	ssize_t len;
	int ret;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0) {
		ret = -errno;
		run_err("cannot find my own executable: %s", strerror(errno));
		return ret;
	}
	exe[len] = '\0';
	bindir = dirname(exe);
	ret = st->attached ? 0 : resolve_daemon_path(st, bindir);
	if (!ret)
		ret = resolve_provider_path(st, bindir);
	if (ret == -ENAMETOOLONG)
		run_err("path too long");
	return ret;
}

static int make_tmpdir(struct run_state *st)
{
	const char *base = getenv("TMPDIR");
	int ret;

	if (!base || !*base)
		base = "/tmp";
	if (snprintf(st->tmpdir, PATH_MAX, "%s/uodp-run.XXXXXX", base) >=
	    PATH_MAX - 32)
		return -ENAMETOOLONG;
	if (!mkdtemp(st->tmpdir)) {
		ret = -errno;
		run_err("cannot create a directory in %s: %s", base,
			strerror(-ret));
		return ret;
	}
	st->tmpdir_created = true;
	/* From here on a SIGKILL must not leave the directory behind. */
	ret = run_start_janitor(st);
	if (ret) {
		run_err("cannot start the janitor of %s: %s", st->tmpdir,
			strerror(-ret));
		return ret;
	}
	/* Bounded above: the tmpdir leaves room for these names. */
	run_path(st->sysfs_root, "%s/sys", st->tmpdir);
	if (!st->attached)
		run_path(st->socket_path, "%s/uodpd.sock", st->tmpdir);
	return 0;
}

static int block_signals(struct run_state *st)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	st->signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
	return st->signal_fd < 0 ? -errno : 0;
}

static int set_command_env(const struct run_state *st)
{
	const char *old = getenv("RDMAV_DRIVERS");
	char *drivers;
	int ret;

	/* Keep whatever extra providers the caller named, after ours. */
	if (old && *old)
		ret = asprintf(&drivers, "%s:%s", st->provider_path, old);
	else
		ret = asprintf(&drivers, "%s", st->provider_path);
	if (ret < 0)
		return -ENOMEM;
	ret = setenv("RDMAV_DRIVERS", drivers, 1);
	free(drivers);
	if (!ret)
		ret = setenv("SYSFS_PATH", st->sysfs_root, 1);
	if (!ret)
		ret = setenv(UD_SOCKET_ENV, st->socket_path, 1);
	return ret ? -errno : 0;
}

static void __attribute__((noreturn))
exec_command(const struct run_state *st, char **cmd, pid_t parent)
{
	sigset_t none;
	int listener;

	/* CMD does not outlive uodp-run, which owns its devices. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(RUN_EXIT_FAILURE);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (set_command_env(st))
		_exit(RUN_EXIT_FAILURE);
	listener = run_install_filter();
	if (listener < 0 || run_attach_listener(st->socket_path, listener))
		_exit(RUN_EXIT_FAILURE);
	close(listener);
	execvp(cmd[0], cmd);
	fprintf(stderr, "uodp-run: cannot execute %s: %s\n", cmd[0],
		strerror(errno));
	_exit(errno == ENOENT ? RUN_EXIT_NOT_FOUND : RUN_EXIT_CANNOT_EXEC);
}

/* Reaps children; returns true once CMD has ended (status in *status). */
static bool reap_children(struct run_state *st, pid_t cmd_pid, int *status,
			  bool *daemon_died)
{
	char desc[96];
	bool cmd_done = false;
	int wstatus;
	pid_t pid;

	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		if (pid == cmd_pid) {
			*status = wstatus;
			cmd_done = true;
		} else if (pid == st->daemon_pid) {
			run_describe_status(wstatus, desc, sizeof(desc));
			run_warn("uodpd %s while the command runs; its devices are gone",
				 desc);
			st->daemon_pid = 0;
			*daemon_died = true;
		}
	}
	return cmd_done;
}

/* Runs CMD to its end; returns its wait status, or -errno. */
static int run_command(struct run_state *st, char **cmd, bool *daemon_died)
{
	struct signalfd_siginfo si;
	pid_t parent = getpid();
	int status = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		int ret = -errno;

		run_err("cannot fork: %s", strerror(errno));
		return ret;
	}
	if (pid == 0)
		exec_command(st, cmd, parent);
	for (;;) {
		ssize_t n = read(st->signal_fd, &si, sizeof(si));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(si)) {
			/* Cannot happen; do not leave CMD running unobserved. */
			run_err("reading signals failed: %s", strerror(errno));
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return status;
		}
		if (si.ssi_signo == SIGCHLD) {
			if (reap_children(st, pid, &status, daemon_died))
				return status;
		} else if (si.ssi_code != SI_KERNEL) {
			/* A terminal's signal already reached CMD's group. */
			kill(pid, (int)si.ssi_signo);
		}
	}
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return RUN_EXIT_FAILURE;
}

static const char *attach_hint(int err)
{
	switch (err) {
	case -ENOENT:
	case -ECONNREFUSED:
		return " (no shared uodpd runs there: see uodpd(8))";
	case -EACCES:
		return " (the socket's mode and group decide who may attach)";
	default:
		return "";
	}
}

/*
 * Asks the shared daemon what it serves: 1 when one answered (its socket
 * in st->socket_path), 0 to start a private one, or -errno.  Only no
 * daemon at all falls back silently: any other failure is worth a word.
 */
static int find_shared_daemon(struct run_state *st,
			      struct ud_service_info *info)
{
	const char *path = ud_daemon_socket();
	int ret;

	if (st->mode == RUN_MODE_PRIVATE)
		return 0;
	ret = run_query_daemon(path, info);
	if (!ret)
		return run_path(st->socket_path, "%s", path) ? -ENAMETOOLONG : 1;
	if (st->mode == RUN_MODE_ATTACH) {
		run_err("cannot attach to the uodpd at %s: %s%s", path,
			strerror(-ret), attach_hint(ret));
		return ret;
	}
	if (ret != -ENOENT && ret != -ECONNREFUSED)
		run_warn("not attaching to the uodpd at %s: %s%s; starting a private one",
			 path, strerror(-ret), attach_hint(ret));
	return 0;
}

static unsigned long context_share_value(const struct run_state *st)
{
	return st->context_share ? strtoul(st->context_share, NULL, 10) : 0;
}

/*
 * A shared daemon serves what it was started with: an option asking for
 * another device is refused rather than silently ignored.
 */
static int check_device_options(const struct run_state *st,
				const struct ud_service_info *info)
{
	const struct {
		unsigned int opt;
		const char *name;
		bool differs;
	} checks[] = {
		{ RUN_OPT_DEVICES, "--devices", st->ndevices != info->ndevices },
		{ RUN_OPT_NETDEV, "--netdev", strcmp(st->netdev, info->netdev) },
		{ RUN_OPT_NO_QUEUE_MEMFD, "--no-queue-memfd",
		  info->flags & UD_SERVICE_INFO_QUEUE_MEMFD },
		{ RUN_OPT_NO_DOORBELL_FD, "--no-doorbell-fd",
		  info->flags & UD_SERVICE_INFO_DOORBELL_FD },
		{ RUN_OPT_CONTEXT_SHARE, "--context-share",
		  context_share_value(st) != info->context_share },
		{ RUN_OPT_CM_TIMEOUT_DIVISOR, "--cm-timeout-divisor",
		  strtoul(st->cm_timeout_divisor ? st->cm_timeout_divisor : "1",
			  NULL, 10) != info->cm_timeout_divisor },
	};
	size_t i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (!(st->device_opts & checks[i].opt) || !checks[i].differs)
			continue;
		run_err("the uodpd at %s serves %u device(s) on %s, queue memfd %s, doorbell fd %s, context share %u%%, CM waits / %u: %s asks for another device (--private starts one)",
			st->socket_path, info->ndevices, info->netdev,
			info->flags & UD_SERVICE_INFO_QUEUE_MEMFD ? "on" : "off",
			info->flags & UD_SERVICE_INFO_DOORBELL_FD ? "on" : "off",
			info->context_share, info->cm_timeout_divisor,
			checks[i].name);
		return -EINVAL;
	}
	return 0;
}

/* Only root's daemon may serve other users: ptrace decides, not we. */
static int check_daemon_user(const struct run_state *st,
			     const struct ud_service_info *info)
{
	if (!info->daemon_uid || info->daemon_uid == geteuid())
		return 0;
	run_err("the uodpd at %s runs as uid %u: it cannot reach the memory of uid %u's commands (%s); start your own, or --private",
		st->socket_path, info->daemon_uid, (unsigned int)geteuid(),
		strerror(EPERM));
	return -EPERM;
}

/* The view of the devices: tmpdir, namespace, sysfs tree, /dev nodes. */
static int set_up_view(struct run_state *st,
		       const struct run_device_view *views)
{
	int ret;

	ret = resolve_paths(st);
	if (!ret)
		ret = make_tmpdir(st);
	if (!ret)
		ret = run_enter_mount_namespace();
	if (!ret)
		ret = run_mount_private_tmpdir(st->tmpdir);
	if (ret)
		return ret;
	st->tmpdir_mounted = true;
	ret = run_write_sysfs(st->sysfs_root, st->ndevices, views);
	if (!ret)
		ret = run_setup_dev(st->tmpdir, st->ndevices);
	return ret;
}

/* The shared daemon's devices, as its answer describes them. */
static int set_up_attached(struct run_state *st,
			   const struct ud_service_info *info)
{
	static struct run_device_view views[UODPD_MAX_DEVICES];
	struct run_device_view *v = &views[0];
	unsigned int i;
	int ret;

	ret = check_daemon_user(st, info);
	if (!ret)
		ret = check_device_options(st, info);
	if (ret)
		return ret;
	st->attached = true;
	st->ndevices = info->ndevices;
	/* Every device of a shared daemon is on its one netdev. */
	memcpy(v->netdev, info->netdev, sizeof(v->netdev));
	v->netdev[sizeof(v->netdev) - 1] = '\0';
	/* A netdev's table is dense: the first empty slot ends it. */
	for (v->ngids = 0; v->ngids < UD_SERVICE_GID_SLOTS &&
	     info->gids[v->ngids].valid; v->ngids++) {
		memcpy(v->gids[v->ngids].raw, info->gids[v->ngids].raw,
		       sizeof(v->gids[v->ngids].raw));
		v->gids[v->ngids].type = info->gids[v->ngids].type;
	}
	for (i = 1; i < st->ndevices; i++)
		views[i] = *v;
	return set_up_view(st, views);
}

/* Device i's netdev, from the --netdev list, and its GIDs. */
static int device_view(const struct run_state *st, unsigned int i,
		       struct run_device_view *v)
{
	int ngids;

	ud_netdev_list_at(st->netdev, i, v->netdev, sizeof(v->netdev));
	ngids = ud_netdev_gids(v->netdev, v->gids, UODPD_GID_TBL_LEN);
	if (ngids == -ENODEV)
		run_err("netdev '%s' not found; pick one with --netdev",
			v->netdev);
	else if (ngids < 0)
		run_err("cannot read the addresses of netdev '%s': %s",
			v->netdev, strerror(-ngids));
	if (ngids < 0)
		return ngids;
	if (ngids == 0 && (i == 0 || strcmp(v->netdev, v[-1].netdev)))
		run_warn("netdev '%s' has no addresses: every GID is empty",
			 v->netdev);
	v->ngids = (unsigned int)ngids;
	return 0;
}

static int set_up_private(struct run_state *st)
{
	static struct run_device_view views[UODPD_MAX_DEVICES];
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < st->ndevices; i++)
		ret = device_view(st, i, &views[i]);
	if (!ret)
		ret = set_up_view(st, views);
	if (!ret)
		ret = run_start_daemon(st);
	return ret;
}

/* Everything up to a daemon ready for CMD; the caller tears down on failure. */
static int set_up(struct run_state *st)
{
	struct ud_service_info info;
	int ret;

	ret = find_shared_daemon(st, &info);
	if (ret < 0)
		return ret;
	return ret ? set_up_attached(st, &info) : set_up_private(st);
}

static void tear_down(struct run_state *st)
{
	bool removed = false;

	if (st->tmpdir_mounted)
		run_unmount_private_tmpdir(st->tmpdir);
	if (st->tmpdir_created) {
		removed = !rmdir(st->tmpdir);
		/* The janitor retries from the host's namespace. */
		if (!removed && st->janitor_fd < 0)
			run_warn("cannot remove %s: %s", st->tmpdir,
				 strerror(errno));
	}
	run_stop_janitor(st, removed);
	if (st->signal_fd >= 0)
		close(st->signal_fd);
}

int main(int argc, char **argv)
{
	struct run_state st = {
		.ndevices = 1,
		.netdev = UD_DEFAULT_NETDEV,
		.signal_fd = -1,
		.janitor_fd = -1,
	};
	bool daemon_died = false;
	bool daemon_clean;
	int cmd_index, status, code;

	cmd_index = parse_options(argc, argv, &st);
	if (cmd_index < 0)
		return RUN_EXIT_FAILURE;
	if (block_signals(&st)) {
		run_err("cannot set up signal handling: %s", strerror(errno));
		return RUN_EXIT_FAILURE;
	}
	if (set_up(&st)) {
		run_stop_daemon(&st);
		tear_down(&st);
		return RUN_EXIT_FAILURE;
	}
	status = run_command(&st, argv + cmd_index, &daemon_died);
	/* A shared daemon outlives us; only our own is stopped and judged. */
	daemon_clean = st.attached || (run_stop_daemon(&st) && !daemon_died);
	tear_down(&st);
	if (status < 0)
		return RUN_EXIT_FAILURE;
	code = exit_code(status);
	/* A daemon failure (crash, sanitizer report) must not pass silently. */
	if (code == 0 && !daemon_clean) {
		run_err("the command succeeded but uodpd failed");
		return RUN_EXIT_FAILURE;
	}
	return code;
}
