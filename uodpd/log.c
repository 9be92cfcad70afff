// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Logging to stderr.  Each line is written with one write(2) so lines of
 * the daemon and of the processes sharing its stderr do not interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "uodpd.h"

int ud_log_level = UD_LOG_WARN;

static const char *const level_names[] = {
	[UD_LOG_ERR] = "error",
	[UD_LOG_WARN] = "warning",
	[UD_LOG_INFO] = "info",
	[UD_LOG_DEBUG] = "debug",
};

void ud_log_init(void)
{
	const char *env = getenv("UODPD_LOG_LEVEL");
	char *end;
	long v;
	int i;

	if (!env || !*env)
		return;
	for (i = 0; i <= UD_LOG_DEBUG; i++) {
		if (!strcasecmp(env, level_names[i]) ||
		    (i == UD_LOG_ERR && !strcasecmp(env, "err")) ||
		    (i == UD_LOG_WARN && !strcasecmp(env, "warn"))) {
			ud_log_level = i;
			return;
		}
	}
	v = strtol(env, &end, 10);
	if (*end || v < UD_LOG_ERR) {
		ud_warn("ignoring UODPD_LOG_LEVEL=%s (want 0-3 or error, warning, info, debug)",
			env);
		return;
	}
	ud_log_level = v > UD_LOG_DEBUG ? UD_LOG_DEBUG : (int)v;
}

void ud_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, m;

	if (level > ud_log_level)
		return;
	if (level < UD_LOG_ERR)
		level = UD_LOG_ERR;
	if (level > UD_LOG_DEBUG)
		level = UD_LOG_DEBUG;
	n = snprintf(line, sizeof(line), "uodpd[%d]: %s: ", (int)getpid(),
		     level_names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;		/* nowhere left to report it */
}
