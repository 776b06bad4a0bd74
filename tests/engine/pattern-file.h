/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A source file of the engine's stream tests: size bytes of a pattern that seed shifts,
 * (i * 131 + seed) % 251 at byte i, so that a byte read back tells where it came from.
 */
#ifndef BFS_TESTS_ENGINE_PATTERN_FILE_H
#define BFS_TESTS_ENGINE_PATTERN_FILE_H

#include <stdio.h>

static inline void put_file(const char *dir, const char *name, size_t size, unsigned seed)
{
	char p[1100];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	for (size_t i = 0; i < size; i++)
		fputc((int)((i * 131 + seed) % 251), f);
	fclose(f);
}

#endif
