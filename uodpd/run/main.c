// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * uodp-run [--devices N] [--netdev IF] -- CMD [ARGS...]
 *
 * Runs CMD with N emulated uodp devices: a private mount namespace holding
 * the sysfs tree and /dev/infiniband nodes libibverbs looks for, uodpd
 * serving them, the uodp provider named in RDMAV_DRIVERS, and kernel RDMA
 * netlink hidden from CMD.  Exits with CMD's status.
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
#include "supervise.h"
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
		"Usage: uodp-run [--devices N] [--netdev IF] [--no-queue-memfd]\n"
		"                [--no-doorbell-fd] [--context-share PERCENT]\n"
		"                -- CMD [ARGS...]\n"
		"Run CMD with emulated uodp RDMA devices served by uodpd.\n"
		"\n"
		"  -n, --devices N   number of devices uodp0..uodp<N-1> (1..%d, default 1)\n"
		"  -i, --netdev IF   netdev whose addresses give the GIDs (default %s)\n"
		"      --no-queue-memfd  queues in the programs' own memory, as on a\n"
		"                    kernel (slower: see uodp-run(1))\n"
		"      --no-doorbell-fd  doorbells are UAR writes the device polls\n"
		"                    for, as on hardware (see uodp-run(1))\n"
		"      --context-share PERCENT  what one context may hold of each\n"
		"                    max_qp, max_cq, ... (1..100, default %u)\n"
		"  -h, --help        show this help\n"
		"  -V, --version     show the version\n"
		"\n"
		"Environment: UODPD_PATH, UODP_PROVIDER_PATH, TMPDIR (see uodp-run(1)).\n",
		UODPD_MAX_DEVICES, RUN_DEFAULT_NETDEV, UD_DEFAULT_CONTEXT_SHARE);
}

/* Returns the index of CMD in argv, or -1 after printing why. */
static int parse_options(int argc, char **argv, struct run_state *st)
{
	static const struct option opts[] = {
		{ "devices", required_argument, NULL, 'n' },
		{ "netdev", required_argument, NULL, 'i' },
		{ "no-queue-memfd", no_argument, NULL, 'Q' },
		{ "no-doorbell-fd", no_argument, NULL, 'D' },
		{ "context-share", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long value;
	char *end;
	int c;

	/* '+': options end at CMD, whose own options are its business. */
	while ((c = getopt_long(argc, argv, "+n:i:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			value = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || value < 1 ||
			    value > UODPD_MAX_DEVICES) {
				run_err("--devices must be 1..%d, not '%s'",
					UODPD_MAX_DEVICES, optarg);
				return -1;
			}
			st->ndevices = (unsigned int)value;
			break;
		case 'i':
			st->netdev = optarg;
			break;
		case 'Q':
			st->no_queue_memfd = true;
			break;
		case 'D':
			st->no_doorbell_fd = true;
			break;
		case 'c':
			/* Checked here, so that a typo fails before CMD runs. */
			errno = 0;
			value = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || value < 1 ||
			    value > 100) {
				run_err("--context-share must be 1..100, not '%s'",
					optarg);
				return -1;
			}
			st->context_share = optarg;
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
	ret = resolve_daemon_path(st, bindir);
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

/* Everything up to a ready daemon; the caller tears down on failure. */
static int set_up(struct run_state *st)
{
	struct run_gid gids[UODPD_GID_TBL_LEN];
	int ngids;
	int ret;

	ngids = run_discover_gids(st->netdev, gids, UODPD_GID_TBL_LEN);
	if (ngids < 0)
		return ngids;
	if (ngids == 0)
		run_warn("netdev '%s' has no addresses: every GID is empty",
			 st->netdev);
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
	ret = run_write_sysfs(st->sysfs_root, st->ndevices, st->netdev, gids,
			      (unsigned int)ngids);
	if (!ret)
		ret = run_setup_dev(st->tmpdir, st->ndevices);
	if (!ret)
		ret = run_start_daemon(st);
	return ret;
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
		.netdev = RUN_DEFAULT_NETDEV,
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
	daemon_clean = run_stop_daemon(&st) && !daemon_died;
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
