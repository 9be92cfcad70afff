/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Provider logging.  Level from UODP_DEBUG (any value: debug) or
 * VERBS_LOG_LEVEL (0 none .. 4 debug, as libibverbs); errors that explain
 * why a device cannot be opened are printed by default.  Output goes to
 * UODP_LOG_FILE, else VERBS_LOG_FILE, else stderr.
 */
#ifndef UODP_PROVIDER_LOG_H
#define UODP_PROVIDER_LOG_H

enum uodp_log_level {
	UODP_LOG_NONE = 0,
	UODP_LOG_ERR = 1,
	UODP_LOG_WARN = 2,
	UODP_LOG_INFO = 3,
	UODP_LOG_DEBUG = 4,
};

extern int uodp_log_level;

void uodp_log_init(void);
void uodp_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define uodp_err(fmt, ...)                                                    \
	uodp_log(UODP_LOG_ERR, fmt, ##__VA_ARGS__)
#define uodp_warn(fmt, ...)                                                   \
	uodp_log(UODP_LOG_WARN, fmt, ##__VA_ARGS__)
#define uodp_dbg(fmt, ...)                                                    \
	do {                                                                  \
		if (uodp_log_level >= UODP_LOG_DEBUG)                         \
			uodp_log(UODP_LOG_DEBUG, fmt, ##__VA_ARGS__);         \
	} while (0)

#endif /* UODP_PROVIDER_LOG_H */
