/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/* The unit tests' one assertion: count a failure, say where, go on. */
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

#endif /* UODP_TESTS_CHECK_H */
