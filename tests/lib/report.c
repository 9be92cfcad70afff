// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* How the C test programs report (report.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

int test_failures;

void test_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s: ", ok ? "ok  " : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
	if (!ok)
		test_failures++;
}

static const char *err_name(int ret)
{
	const char *name;

	if (!ret)
		return "0";
	name = ret < 0 ? strerrorname_np(-ret) : NULL;
	return name ? name : "?";
}

void test_check_ret(int got, int want, const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (got == want)
		test_check(true, "%s: %s", what, err_name(got));
	else
		test_check(false, "%s: got %s, want %s", what, err_name(got),
			   err_name(want));
}

void test_die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		strerror(err));
	exit(2);
}

double test_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
