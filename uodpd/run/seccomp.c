// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The command's seccomp filter, built with libseccomp:
 *  - the calls of uodpd/supervise.h are handed to uodpd by user
 *    notification: the device's open, socket(AF_NETLINK, *, NETLINK_RDMA)
 *    (uodpd serves RDMA netlink: the host kernel's, if it has one, is not
 *    asked), and write/ioctl/fstat and the socket calls on the command fd
 *    numbers.  uodpd lets through whatever is not its own.
 * Other ABIs (x32, i386) pass untouched: a 32-bit process could not load
 * the 64-bit provider anyway.
 *
 * libseccomp 2.5 cannot ask for SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, so
 * the program is exported from libseccomp and loaded here: once uodpd has
 * taken a command, only a fatal signal may abandon it (a restarted write
 * would otherwise run a create command twice).
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>

#include "run.h"
#include "supervise.h"

#define ANY_LARGEFILE_MASK (~(unsigned long long)0100000)	/* O_LARGEFILE */

static int add_fd_rule(scmp_filter_ctx f, int nr, unsigned int arg)
{
	struct scmp_arg_cmp cmp = {
		.arg = arg,
		.op = SCMP_CMP_MASKED_EQ,
		.datum_a = UD_CMDFD_MASK,
		.datum_b = UD_CMDFD_BASE,
	};

	return seccomp_rule_add_array(f, SCMP_ACT_NOTIFY, nr, 1, &cmp);
}

static int add_rules(scmp_filter_ctx f)
{
	static const int fd_calls[] = {
		SCMP_SYS(write), SCMP_SYS(ioctl), SCMP_SYS(fstat),
		SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(read),
		/* a NETLINK_RDMA socket's (uodpd/rdma_nl.h) */
		SCMP_SYS(bind), SCMP_SYS(connect), SCMP_SYS(getsockname),
		SCMP_SYS(getpeername), SCMP_SYS(setsockopt),
		SCMP_SYS(getsockopt), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
		SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(shutdown),
	};
	unsigned int i;
	int ret;

	ret = seccomp_rule_add(f, SCMP_ACT_NOTIFY,
			       SCMP_SYS(socket), 2,
			       SCMP_A0(SCMP_CMP_EQ, AF_NETLINK, 0),
			       SCMP_A2(SCMP_CMP_EQ, NETLINK_RDMA, 0));
	if (!ret)
		ret = seccomp_rule_add(f, SCMP_ACT_NOTIFY, SCMP_SYS(openat), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ,
					       ANY_LARGEFILE_MASK,
					       UD_CDEV_OPEN_FLAGS));
	if (!ret)
		ret = seccomp_rule_add(f, SCMP_ACT_NOTIFY, SCMP_SYS(open), 1,
				       SCMP_A1(SCMP_CMP_MASKED_EQ,
					       ANY_LARGEFILE_MASK,
					       UD_CDEV_OPEN_FLAGS));
	/* openat2's flags are in a struct BPF cannot read. */
	if (!ret)
		ret = seccomp_rule_add(f, SCMP_ACT_NOTIFY, SCMP_SYS(openat2), 0);
	for (i = 0; !ret && i < sizeof(fd_calls) / sizeof(fd_calls[0]); i++)
		ret = add_fd_rule(f, fd_calls[i], 0);
	return ret;
}

/* The filter as a BPF program in *prog (free prog->filter). */
static int build_program(struct sock_fprog *prog)
{
	scmp_filter_ctx f;
	struct stat st;
	int fd = -1, ret;

	f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f)
		return -ENOMEM;
	ret = seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	/* A binary tree of system call numbers: few checks per call. */
	if (!ret)
		ret = seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (!ret)
		ret = add_rules(f);
	if (ret)
		goto out;
	fd = memfd_create("uodp-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = seccomp_export_bpf(f, fd);
	if (ret)
		goto out;
	if (fstat(fd, &st) || st.st_size <= 0 ||
	    st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		ret = -EPROTO;
		goto out;
	}
	prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	prog->filter = malloc(st.st_size);
	if (!prog->filter) {
		ret = -ENOMEM;
		goto out;
	}
	if (pread(fd, prog->filter, st.st_size, 0) != st.st_size) {
		ret = -EIO;
		free(prog->filter);
	}
out:
	if (fd >= 0)
		close(fd);
	seccomp_release(f);
	return ret;
}

static int load_program(struct sock_fprog *prog)
{
	/*
	 * SPEC_ALLOW: the filter emulates a device, it does not sandbox the
	 * command, so the command keeps the speculation settings it had
	 * (a filter otherwise forces store-bypass mitigation on, which slows
	 * every instruction stream of the process, not just system calls).
	 */
	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_SPEC_ALLOW |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	long fd;

	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	if (fd < 0 && errno == EINVAL) {
		/* Before Linux 5.19: signals may abandon a trapped call. */
		flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	}
	return fd < 0 ? -errno : (int)fd;
}

int run_install_filter(void)
{
	struct sock_fprog prog;
	int ret;

	/* Lets an unprivileged process install a filter; no setuid gains. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		ret = -errno;
		run_err("cannot set no_new_privs: %s", strerror(-ret));
		return ret;
	}
	ret = build_program(&prog);
	if (ret) {
		run_err("cannot build the seccomp filter: %s", strerror(-ret));
		return ret;
	}
	ret = load_program(&prog);
	free(prog.filter);
	if (ret < 0)
		run_err("cannot install the seccomp filter: %s",
			strerror(-ret));
	return ret;
}
