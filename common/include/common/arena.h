/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bump allocator for many small objects that live and die together (per-writer node
 * models, names). Memory comes in 64 KiB chunks (larger requests get their own chunk) and is
 * released all at once by bfs_arena_done(). bfs_arena_alloc() memory is 8-byte aligned and
 * zeroed; bfs_arena_memdup() copies are byte strings, packed without alignment.
 *
 * Not thread-safe.
 */
#ifndef BFS_COMMON_ARENA_H
#define BFS_COMMON_ARENA_H

#include <stddef.h>

struct bfs_arena_chunk;

struct bfs_arena {
	struct bfs_arena_chunk *head; /* newest chunk first */
	size_t used;		      /* bytes used in head */
	size_t cap;		      /* bytes available in head */
};

/* n zeroed bytes that stay valid until bfs_arena_done(); NULL on out of memory. */
void *bfs_arena_alloc(struct bfs_arena *a, size_t n);

/* A copy of s[0..n) in the arena (not NUL-terminated); NULL on out of memory. */
void *bfs_arena_memdup(struct bfs_arena *a, const void *s, size_t n);

/* Release every allocation; the arena can be used again afterwards. */
void bfs_arena_done(struct bfs_arena *a);

#endif
