/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "common/log.h"

#include <stdio.h>

/* The only mutable globals of the project (STYLE.md rule 20). */
static bfs_log_fn log_sink;
static void *log_userdata;
static int log_level = LOG_WARNING;

static const char *level_prefix(int level)
{
	switch (level) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

void bfs_logv(int level, const char *fmt, va_list ap)
{
	char buf[2048];

	if (level > log_level)
		return;
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_sink) {
		log_sink(level, buf, log_userdata);
		return;
	}
	/* one fprintf so lines from several threads do not interleave */
	(void)fprintf(stderr, "burnfs: %s%s\n", level_prefix(level), buf);
}

void bfs_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bfs_logv(level, fmt, ap);
	va_end(ap);
}

void bfs_log_set_sink(bfs_log_fn fn, void *userdata)
{
	log_sink = fn;
	log_userdata = userdata;
}

void bfs_log_set_level(int level)
{
	log_level = level;
}

int bfs_log_get_level(void)
{
	return log_level;
}
