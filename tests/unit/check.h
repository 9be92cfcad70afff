/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/* The unit tests' assertions: count a failure, say where, go on. */
#ifndef UODP_TESTS_CHECK_H
#define UODP_TESTS_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",	\
				__FILE__, __LINE__, #cond);		\
			failures++;					\
		}							\
	} while (0)

/* Both sides evaluated once; both expressions and values are printed. */
#define CHECK_EQ(a, b)							\
	do {								\
		long long a_ = (long long)(a), b_ = (long long)(b);	\
		if (a_ != b_) {						\
			fprintf(stderr,					\
				"%s:%d: CHECK_EQ(%s, %s): %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);	\
			failures++;					\
		}							\
	} while (0)

/* Print "prog: N failure(s)"; the exit status for main. */
static inline int check_report(const char *prog)
{
	printf("%s: %d failure(s)\n", prog, failures);
	return failures ? 1 : 0;
}

#endif /* UODP_TESTS_CHECK_H */
