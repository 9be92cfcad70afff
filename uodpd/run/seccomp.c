// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Kernel RDMA netlink must be unavailable to the command: libibverbs asks it
 * first and, when it answers (a host with real RDMA), never reads
 * $SYSFS_PATH, so uodp devices would stay invisible.  A seccomp filter makes
 * socket(AF_NETLINK, *, NETLINK_RDMA) fail with EPROTONOSUPPORT, as on a
 * kernel without RDMA; every other socket is untouched.
 *
 * Only the native system call ABI is filtered.  A 32-bit (i386 socketcall)
 * process could not load the 64-bit provider anyway.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>

#include "run.h"

#if defined(__x86_64__)
#define RUN_AUDIT_ARCH AUDIT_ARCH_X86_64
#define RUN_X32_SYSCALL_BIT 0x40000000u	/* x32 ABI: same numbers | bit */
#elif defined(__aarch64__)
#define RUN_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LOW_WORD(n) (offsetof(struct seccomp_data, args[n]))
#else
#define ARG_LOW_WORD(n) (offsetof(struct seccomp_data, args[n]) + 4)
#endif

#ifdef RUN_AUDIT_ARCH
int run_block_rdma_netlink(void)
{
	struct sock_filter filter[] = {
		/* Other ABIs pass: see the comment at the top. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RUN_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
#ifdef RUN_X32_SYSCALL_BIT
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			 __NR_socket | RUN_X32_SYSCALL_BIT, 1, 0),
#else
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 1, 0),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 5),
		/* socket(domain, type, protocol) */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW_WORD(0)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW_WORD(2)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NETLINK_RDMA, 0, 1),
		BPF_STMT(BPF_RET | BPF_K,
			 SECCOMP_RET_ERRNO | (EPROTONOSUPPORT & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};
	int ret;

	/* Lets an unprivileged process install a filter; no setuid gains. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		ret = -errno;
		run_err("cannot set no_new_privs: %s", strerror(-ret));
		return ret;
	}
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		ret = -errno;
		run_err("cannot install the seccomp filter: %s",
			strerror(-ret));
		return ret;
	}
	return 0;
}
#else
int run_block_rdma_netlink(void)
{
	run_err("hiding RDMA netlink is not implemented for this architecture");
	return -ENOSYS;
}
#endif
