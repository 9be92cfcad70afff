/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/* How the C test programs report: one line per check, a failure count. */
#ifndef UODP_TESTS_REPORT_H
#define UODP_TESTS_REPORT_H

#include <stdbool.h>

/* Checks that failed so far. */
extern int test_failures;

/* Print "ok  : ..." or "FAIL: ..." and count a failure. */
void test_check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A command's result must be want (0 or -errno): a check, errno names. */
void test_check_ret(int got, int want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Say what failed and why (err: an errno), then exit with status 2. */
void __attribute__((noreturn)) test_die(const char *what, int err);
/* CLOCK_MONOTONIC in seconds. */
double test_now(void);

#endif /* UODP_TESTS_REPORT_H */
