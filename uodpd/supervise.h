/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The contract between uodp-run's seccomp filter and uodpd, the supervisor
 * that answers what the filter traps (emulator only: a kernel needs none of
 * it).
 *
 * BPF sees numbers, never strings, so the filter traps
 *  - open/openat with exactly the flags libibverbs opens a device with
 *    (O_RDWR | O_CLOEXEC), and every openat2: uodpd reads the path and
 *    answers /dev/infiniband/uverbsN itself, anything else runs untouched;
 *  - socket(AF_NETLINK, *, NETLINK_RDMA): uodpd serves RDMA netlink
 *    (rdma_nl.h);
 *  - read, write, ioctl, the fstat family and the socket calls on the fd
 *    numbers [UD_CMDFD_BASE, UD_CMDFD_BASE + UD_CMDFD_COUNT), where uodpd
 *    installs command fds, rdma_cm files and netlink sockets.  A trapped
 *    call on a number that holds another file runs untouched.
 * Every other system call runs at full speed.
 *
 * The service socket (service.c): uodp-run's command process installs the
 * filter, then hands its listener to uodpd with one UD_SERVICE_ATTACH
 * request (the listener in SCM_RIGHTS) and waits for the answer before it
 * executes the command.  Before that, a uodp-run attaching to a shared
 * daemon asks it with UD_SERVICE_QUERY what it serves (struct
 * ud_service_info), to build a sysfs view of the same devices.  One request
 * per connection; each answer starts with struct ud_service_resp, whose
 * length is the whole answer's.
 */
#ifndef UODPD_SUPERVISE_H
#define UODPD_SUPERVISE_H

/* A 256-aligned block, so one masked compare in BPF selects it. */
#define UD_CMDFD_BASE 768
#define UD_CMDFD_COUNT 256
#define UD_CMDFD_MASK (~(unsigned long long)(UD_CMDFD_COUNT - 1))

/* The rdma_cm device node librdmacm opens (with UD_CDEV_OPEN_FLAGS). */
#define UD_RDMA_CM_PATH "/dev/infiniband/rdma_cm"

/* The open flags libibverbs (util/open_cdev.c) and librdmacm use. */
#define UD_CDEV_OPEN_FLAGS (O_RDWR | O_CLOEXEC)

#include <stdint.h>
#include <stdlib.h>

/* The environment variable uodp-run sets to the service socket's path. */
#define UD_SOCKET_ENV "UODP_SOCKET"

/*
 * The shared daemon's socket: where uodpd listens without --socket and
 * where uodp-run looks for a daemon to attach to.  The variable overrides
 * the compiled-in path (CMake's UODP_DAEMON_SOCKET) for both.
 */
#define UD_DAEMON_SOCKET_ENV "UODP_DAEMON_SOCKET"
#ifndef UD_DAEMON_SOCKET_DEFAULT
#define UD_DAEMON_SOCKET_DEFAULT "/run/uodp/uodpd.sock"
#endif

static inline const char *ud_daemon_socket(void)
{
	const char *env = getenv(UD_DAEMON_SOCKET_ENV);

	return env && *env ? env : UD_DAEMON_SOCKET_DEFAULT;
}

enum ud_service_opcode {
	UD_SERVICE_ATTACH = 0x75640001u,	/* the listener; no answer body */
	UD_SERVICE_QUERY = 0x75640002u,		/* no fd; struct ud_service_info */
};

struct ud_service_req {
	uint32_t opcode;		/* enum ud_service_opcode */
	uint32_t length;		/* bytes, this struct */
};

struct ud_service_resp {
	int32_t status;			/* 0 or -errno */
	uint32_t length;		/* bytes, the whole answer */
};

#define UD_SERVICE_NETDEV_LEN 16	/* IFNAMSIZ */
#define UD_SERVICE_GID_SLOTS 16		/* UODPD_GID_TBL_LEN */

enum ud_service_info_flags {
	UD_SERVICE_INFO_QUEUE_MEMFD = 1u << 0,	/* not --no-queue-memfd */
	UD_SERVICE_INFO_DOORBELL_FD = 1u << 1,	/* not --no-doorbell-fd */
};

struct ud_service_gid {
	uint8_t raw[16];
	uint32_t type;			/* enum ud_identity_gid_type */
	uint32_t valid;			/* 0: an empty slot */
};

/*
 * What a daemon serves: its devices uodp0..uodp<ndevices-1> (node GUIDs
 * and the rest of their identity follow from the index, identity.h), the
 * GID table every device shares, and the options that shape the device.
 */
struct ud_service_info {
	struct ud_service_resp hdr;
	uint32_t ndevices;
	uint32_t flags;			/* enum ud_service_info_flags */
	uint32_t context_share;		/* percent */
	uint32_t daemon_uid;		/* it serves this uid only, unless 0 */
	uint32_t cm_timeout_divisor;	/* its CM waits are the kernel's / this */
	char netdev[UD_SERVICE_NETDEV_LEN];	/* NUL-terminated */
	struct ud_service_gid gids[UD_SERVICE_GID_SLOTS];
};

#endif /* UODPD_SUPERVISE_H */
