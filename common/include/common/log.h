/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging with syslog levels (STYLE.md rule 31). The sink is stderr by default; a
 * replacement sink must be thread-safe. The level threshold and sink are the only mutable
 * globals in the project.
 */
#ifndef BFS_COMMON_LOG_H
#define BFS_COMMON_LOG_H

#include <stdarg.h>
#include <syslog.h>

#include "common/macro.h"

typedef void (*bfs_log_fn)(int level, const char *msg, void *userdata);

void bfs_log(int level, const char *fmt, ...) BFS_PRINTF(2, 3);
void bfs_logv(int level, const char *fmt, va_list ap) BFS_PRINTF(2, 0);

/* Replace the sink (NULL restores stderr). */
void bfs_log_set_sink(bfs_log_fn fn, void *userdata);

/* Messages above this level (e.g. LOG_DEBUG) are dropped; default LOG_WARNING. */
void bfs_log_set_level(int level);
int bfs_log_get_level(void);

#endif
