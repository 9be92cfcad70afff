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
 * The service socket: uodp-run's command process installs the filter, then
 * hands its listener to uodpd with one UD_ATTACH message (struct
 * uodp_cmd_hdr framing, the listener in SCM_RIGHTS) and waits for the
 * struct uodp_resp_hdr answer before it executes the command.
 */
#ifndef UODPD_SUPERVISE_H
#define UODPD_SUPERVISE_H

/* A 256-aligned block, so one masked compare in BPF selects it. */
#define UD_CMDFD_BASE 768
#define UD_CMDFD_COUNT 256
#define UD_CMDFD_MASK (~(unsigned long long)(UD_CMDFD_COUNT - 1))

/* The open flags libibverbs (util/open_cdev.c) and librdmacm use. */
#define UD_CDEV_OPEN_FLAGS (O_RDWR | O_CLOEXEC)

/* Service-socket opcode, outside the range of the provider's commands. */
#define UD_ATTACH_OPCODE 0x75640001u

#endif /* UODPD_SUPERVISE_H */
