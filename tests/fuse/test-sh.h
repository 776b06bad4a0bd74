/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fuse/ unit tests' shell step: a command made like printf, which must exit 0. */
#pragma once
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/macro.h"

static void sh(const char *fmt, ...) BFS_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}
