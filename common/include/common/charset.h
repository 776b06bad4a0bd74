/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Character-set helpers shared by the writers: a UTF-8 decoder that never fails (an invalid
 * byte decodes to U+FFFD and is reported), and a small hash set of byte strings used to
 * resolve name collisions deterministically.
 */
#ifndef BFS_COMMON_CHARSET_H
#define BFS_COMMON_CHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

#define BFS_REPLACEMENT_CHAR 0xFFFDu

/*
 * Decode the code point at s[*pos], advancing *pos. Returns true for a valid, shortest-form
 * sequence; false for an invalid byte, which advances *pos by one and yields U+FFFD.
 */
bool bfs_utf8_next(const uint8_t *s, size_t len, size_t *pos, uint32_t *cp);

/* true when s[0..len) is valid UTF-8. */
bool bfs_utf8_valid(const char *s, size_t len);

/* Encode cp (<= 0x10FFFF) into out (4 bytes at least); returns the number of bytes. */
size_t bfs_utf8_put(uint32_t cp, uint8_t *out);

/* A set of byte strings (copies), open addressing. */
struct bfs_strset {
	struct bfs_strset_slot {
		uint8_t *s;
		size_t len;
		uint64_t hash;
	} * slots;
	size_t cap; /* power of two or 0 */
	size_t n;
};

/* 1 when s was added, 0 when it was already present, -ENOMEM. */
int bfs_strset_add(struct bfs_strset *set, const void *s, size_t len) BFS_WARN_UNUSED;
bool bfs_strset_contains(const struct bfs_strset *set, const void *s, size_t len);
void bfs_strset_done(struct bfs_strset *set);

#endif
