/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "common/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"

#define ARENA_CHUNK (64u * 1024)

struct bfs_arena_chunk {
	struct bfs_arena_chunk *next;
	max_align_t data[];
};

static void *arena_alloc(struct bfs_arena *a, size_t n, size_t align)
{
	struct bfs_arena_chunk *c;
	size_t size;

	if (!n)
		n = 1;
	a->used = BFS_MIN(BFS_ROUND_UP(a->used, align), a->cap);
	if (n > SIZE_MAX - sizeof(*c) - ARENA_CHUNK)
		return NULL;
	if (a->head && a->cap - a->used >= n) {
		void *p = (uint8_t *)a->head->data + a->used;

		a->used += n;
		return p;
	}
	size = BFS_MAX(n, (size_t)ARENA_CHUNK - sizeof(*c));
	c = calloc(1, sizeof(*c) + size);
	if (!c)
		return NULL;
	if (a->head && size == n && a->cap - a->used > 0) {
		/* a large request: keep filling the current chunk afterwards */
		c->next = a->head->next;
		a->head->next = c;
		return c->data;
	}
	c->next = a->head;
	a->head = c;
	a->cap = size;
	a->used = n;
	return c->data;
}

void *bfs_arena_alloc(struct bfs_arena *a, size_t n)
{
	return arena_alloc(a, n, 8);
}

void *bfs_arena_memdup(struct bfs_arena *a, const void *s, size_t n)
{
	void *p = arena_alloc(a, n, 1);

	if (p && n)
		memcpy(p, s, n);
	return p;
}

void bfs_arena_done(struct bfs_arena *a)
{
	while (a->head) {
		struct bfs_arena_chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
	a->used = a->cap = 0;
}
