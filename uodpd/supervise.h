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
 *  - write, ioctl and the fstat family on the fd numbers [UD_CMDFD_BASE,
 *    UD_CMDFD_BASE + UD_CMDFD_COUNT), where uodpd installs command fds.
 *    A trapped call on a number that holds another file runs untouched.
 * Every other system call runs at full speed.
 *
 * The service socket (service.c): uodp-run's command process installs the
 * filter, then hands its listener to uodpd with one UD_SERVICE_ATTACH
 * request (the listener in SCM_RIGHTS) and waits for the answer before it
 * executes the command.  One request per connection.
 */
#ifndef UODPD_SUPERVISE_H
#define UODPD_SUPERVISE_H

/* A 256-aligned block, so one masked compare in BPF selects it. */
#define UD_CMDFD_BASE 768
#define UD_CMDFD_COUNT 256
#define UD_CMDFD_MASK (~(unsigned long long)(UD_CMDFD_COUNT - 1))

/* The open flags libibverbs (util/open_cdev.c) and librdmacm use. */
#define UD_CDEV_OPEN_FLAGS (O_RDWR | O_CLOEXEC)

#include <stdint.h>

/* The environment variable uodp-run sets to the service socket's path. */
#define UD_SOCKET_ENV "UODP_SOCKET"

enum ud_service_opcode {
	UD_SERVICE_ATTACH = 0x75640001u,
};

struct ud_service_req {
	uint32_t opcode;		/* enum ud_service_opcode */
	uint32_t length;		/* bytes, this struct */
};

struct ud_service_resp {
	int32_t status;			/* 0 or -errno */
	uint32_t length;		/* bytes, this struct */
};

#endif /* UODPD_SUPERVISE_H */
