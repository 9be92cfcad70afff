// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * uodpd: the emulated mlx5-class HCA.  See man/uodpd.8.md.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "netdev_gids.h"
#include "supervise.h"
#include "uodpd.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: uodpd [--socket PATH] [--group NAME] [--devices N]\n"
		"             [--netdev IF[,IF...]] [--sysfs SYSFS_ROOT] [--ready-fd FD]\n"
		"             [--idle-spin-us N] [--no-queue-memfd]\n"
		"             [--no-doorbell-fd] [--context-share PERCENT]\n"
		"             [--quantum-kib N] [--cm-timeout-divisor N]\n"
		"default socket: $" UD_DAEMON_SOCKET_ENV ", else " UD_DAEMON_SOCKET_DEFAULT "\n"
		"environment: UODPD_IDLE_SPIN_US, UODPD_QUANTUM_KIB,\n"
		"             UODPD_LOG_LEVEL (0-3 or error, warning, info, debug)\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The engine's quantum in KiB, UD_QUANTUM_MIN to UD_QUANTUM_MAX. */
static int parse_quantum(const char *s, uint64_t *bytes)
{
	uint64_t kib;

	if (parse_u64(s, UD_QUANTUM_MAX >> 10, &kib) ||
	    kib < UD_QUANTUM_MIN >> 10)
		return -EINVAL;
	*bytes = kib << 10;
	return 0;
}

/* Defaults from the environment; a bad value is ignored with a warning. */
static void parse_env(struct ud_options *opt)
{
	const char *spin = getenv("UODPD_IDLE_SPIN_US");
	const char *quantum = getenv("UODPD_QUANTUM_KIB");
	uint64_t v;

	if (spin && *spin) {
		if (parse_u64(spin, 10000000, &v))
			ud_warn("ignoring UODPD_IDLE_SPIN_US=%s", spin);
		else
			opt->idle_spin_ns = v * 1000;
	}
	if (quantum && *quantum && parse_quantum(quantum, &opt->quantum))
		ud_warn("ignoring UODPD_QUANTUM_KIB=%s", quantum);
}

static int parse_args(int argc, char **argv, struct ud_options *opt)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },
		{ "sysfs", required_argument, NULL, 'S' },
		{ "netdev", required_argument, NULL, 'N' },
		{ "devices", required_argument, NULL, 'n' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "idle-spin-us", required_argument, NULL, 'i' },
		{ "no-queue-memfd", no_argument, NULL, 'Q' },
		{ "no-doorbell-fd", no_argument, NULL, 'D' },
		{ "context-share", required_argument, NULL, 'c' },
		{ "quantum-kib", required_argument, NULL, 'q' },
		{ "cm-timeout-divisor", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t v;
	int c;

	opt->ndevices = 1;
	opt->netdev = UD_DEFAULT_NETDEV;
	opt->ready_fd = -1;
	opt->context_share = UD_DEFAULT_CONTEXT_SHARE;
	opt->idle_spin_ns = UD_DEFAULT_IDLE_SPIN_NS;
	opt->quantum = UD_DEFAULT_QUANTUM;
	parse_env(opt);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt->socket_path = optarg;
			break;
		case 'g':
			opt->socket_group = optarg;
			break;
		case 'S':
			opt->sysfs_root = optarg;
			break;
		case 'N':
			if (!ud_netdev_list_ok(optarg))
				goto bad;
			opt->netdev = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, UODPD_MAX_DEVICES, &v) || !v)
				goto bad;
			opt->ndevices = v;
			break;
		case 'r':
			if (parse_u64(optarg, INT_MAX, &v))
				goto bad;
			opt->ready_fd = v;
			break;
		case 'i':
			if (parse_u64(optarg, 10000000, &v))
				goto bad;
			opt->idle_spin_ns = v * 1000;
			break;
		case 'Q':
			opt->no_queue_memfd = true;
			break;
		case 'D':
			opt->no_doorbell_fd = true;
			break;
		case 'c':
			if (parse_u64(optarg, 100, &v) || !v)
				goto bad;
			opt->context_share = v;
			break;
		case 'q':
			if (parse_quantum(optarg, &opt->quantum))
				goto bad;
			break;
		case 't':
			if (parse_u64(optarg, UD_CM_TIMEOUT_DIVISOR_MAX, &v) || !v)
				goto bad;
			opt->cm_timeout_divisor = v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	if (!opt->socket_path)
		opt->socket_path = ud_daemon_socket();
	/* What a shared daemon tells uodp-run describes one netdev. */
	if (ud_netdev_list_len(opt->netdev) > 1 && !opt->sysfs_root) {
		ud_err("--netdev %s: several netdevs need --sysfs (the view uodp-run writes)",
		       opt->netdev);
		return -EINVAL;
	}
	return 0;

bad:
	ud_err("invalid value for --%s: %s", argv[optind - 1] + 2, optarg);
	return -EINVAL;
}

/* Each context holds a socket, an eventfd and a pipe: allow many. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		ud_warn("cannot raise the fd limit: %s", strerror(errno));
}

static void signal_ready(int fd)
{
	char byte = 1;

	if (fd < 0)
		return;
	if (write(fd, &byte, 1) != 1)
		ud_warn("--ready-fd %d: %s", fd, strerror(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	struct ud_options opt = { 0 };
	struct uodpd *d;
	int ret;

	ud_log_init();
	if (parse_args(argc, argv, &opt))
		return 2;
	/* Peers vanish: a write to a dead client must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	d = malloc(sizeof(*d));
	if (!d) {
		ud_err("out of memory");
		return 1;
	}
	ret = ud_daemon_init(d, &opt);
	if (ret) {
		ud_err("cannot start: %s", strerror(-ret));
		goto out;
	}
	ud_info("listening on %s, %u device(s) on %s, idle spin %llu us, quantum %llu KiB",
		opt.socket_path, d->ndevices, opt.netdev,
		(unsigned long long)d->idle_spin_ns / 1000,
		(unsigned long long)d->quantum >> 10);
	if (d->cm_timeout_divisor > 1)
		ud_info("connection manager waits: the kernel's / %u",
			d->cm_timeout_divisor);
	ud_info("limits: a context %u%% of each max_*, %u of %u fds; %u command fds, %u queues a device",
		opt.context_share, d->file_fd_max, d->fd_budget, d->file_max,
		d->devices[0].res_max[UD_RES_QUEUE]);
	signal_ready(opt.ready_fd);
	ret = ud_daemon_run(d);
out:
	ud_daemon_fini(d);
	free(d);
	return ret ? 1 : 0;
}
