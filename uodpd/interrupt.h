/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Signals for a call uodpd keeps waiting (interrupt.c): whether the thread
 * would have been woken with -ERESTARTSYS, as an interruptible sleep in
 * the kernel would (ucma's GET_EVENT waits so).
 */
#ifndef UODPD_INTERRUPT_H
#define UODPD_INTERRUPT_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * The kernel's "restart the call if the handler says SA_RESTART, else
 * EINTR" (include/linux/errno.h: not a uAPI value).  Answered to a trapped
 * call, the kernel's own signal code decides as for a sleeping one.
 */
#define UD_ERESTARTSYS 512

/*
 * From the text of /proc/TID/status: whether thread tid has an unblocked
 * signal pending that is surely its own to take (its private ones; the
 * process's shared ones when it is the group leader, which kill(2),
 * alarm(2) and a terminal signal the process with).  Pure.
 */
bool ud_signal_wakes(const char *status, pid_t tid);
/* The same, read from /proc/TID/status; false if unreadable. */
bool ud_thread_signalled(pid_t tid);

#endif /* UODPD_INTERRUPT_H */
