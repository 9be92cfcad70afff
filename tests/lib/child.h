/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/* A test program's second process: itself, run in another mode. */
#ifndef UODP_TESTS_CHILD_H
#define UODP_TESTS_CHILD_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Run /proc/self/exe as "argv0 mode" with its stdin and stdout on pipes:
 * *to writes its stdin, *from reads its stdout.  The pid, or -errno.
 */
pid_t test_spawn_self(const char *argv0, const char *mode, FILE **from,
		      FILE **to);

/* One line from f within timeout_ms; false on timeout or end of file. */
bool test_read_line(FILE *f, char *line, size_t len, int timeout_ms);

#endif /* UODP_TESTS_CHILD_H */
