// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Provider logging (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <unistd.h>

#include "log.h"

int uodp_log_level = UODP_LOG_ERR;
static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void uodp_log_init(void)
{
	const char *level = getenv("VERBS_LOG_LEVEL");
	const char *path = getenv("UODP_LOG_FILE");

	if (level)
		uodp_log_level = atoi(level);
	if (getenv("UODP_DEBUG"))
		uodp_log_level = UODP_LOG_DEBUG;
	if (!path)
		path = getenv("VERBS_LOG_FILE");
	if (path && !log_file)
		log_file = fopen(path, "ae");
}

void uodp_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "", "error", "warning", "info",
					     "debug" };
	FILE *out;
	va_list ap;

	if (level > uodp_log_level || level <= UODP_LOG_NONE)
		return;
	pthread_mutex_lock(&log_lock);
	out = log_file ? log_file : stderr;
	fprintf(out, "uodp[%d] %s: ", (int)getpid(), names[level]);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
	pthread_mutex_unlock(&log_lock);
}
