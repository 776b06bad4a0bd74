/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bounds-checked parse cursor (STYLE.md rule 26). Every read is preceded by
 * bfs_cur_need(); a failed need leaves the cursor where it was.
 */
#ifndef BFS_COMMON_CURSOR_H
#define BFS_COMMON_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"

struct bfs_cursor {
	const uint8_t *base;
	size_t len;
	size_t pos;
};

static inline struct bfs_cursor bfs_cur_make(const uint8_t *base, size_t len)
{
	return (struct bfs_cursor){.base = base, .len = len, .pos = 0};
}

static inline size_t bfs_cur_left(const struct bfs_cursor *c)
{
	return c->len - c->pos;
}

/* true when n more bytes can be read */
static inline bool bfs_cur_need(const struct bfs_cursor *c, size_t n)
{
	return c->pos <= c->len && n <= c->len - c->pos;
}

static inline const uint8_t *bfs_cur_ptr(const struct bfs_cursor *c)
{
	return c->base + c->pos;
}

/* Advance by n; false (cursor unchanged) when fewer than n bytes are left. */
static inline bool bfs_cur_skip(struct bfs_cursor *c, size_t n)
{
	if (!bfs_cur_need(c, n))
		return false;
	c->pos += n;
	return true;
}

#endif
