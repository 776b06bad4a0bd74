/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The string-keyed hash table of the edits (edits-internal.h): open addressing, linear
 * probing, backward-shift deletion (no tombstones: a table that sees many changes stays as
 * fast as a new one), at most half full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "edits-internal.h"

static uint64_t hash_of(const char *key)
{
	return XXH3_64bits(key, strlen(key));
}

/* The slot holding key, or the free one where it would go. */
static size_t slot_of(const struct edits_map *m, const char *key, uint64_t h)
{
	size_t mask = m->cap - 1, i = (size_t)h & mask;

	while (m->v[i].key && (m->v[i].h != h || strcmp(m->v[i].key, key) != 0))
		i = (i + 1) & mask;
	return i;
}

struct edits_ent *edits_map_find(const struct edits_map *m, const char *key)
{
	size_t i;

	if (!m->n)
		return NULL;
	i = slot_of(m, key, hash_of(key));
	return m->v[i].key ? &m->v[i] : NULL;
}

static int grow(struct edits_map *m)
{
	struct edits_ent *old = m->v;
	size_t nold = m->cap, cap = nold ? nold * 2 : 64;

	m->v = calloc(cap, sizeof(*m->v));
	if (!m->v) {
		m->v = old;
		return -ENOMEM;
	}
	m->cap = cap;
	for (size_t i = 0; i < nold; i++)
		if (old[i].key)
			m->v[slot_of(m, old[i].key, old[i].h)] = old[i];
	free(old);
	return 0;
}

int edits_map_put(struct edits_map *m, const char *key, void *val)
{
	uint64_t h = hash_of(key);
	size_t i;

	if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
		return -ENOMEM;
	i = slot_of(m, key, h);
	if (m->v[i].key)
		return -EEXIST;
	m->v[i] = (struct edits_ent){.key = key, .val = val, .h = h};
	m->n++;
	return 0;
}

void edits_map_del(struct edits_map *m, struct edits_ent *ent)
{
	size_t mask = m->cap - 1, i = (size_t)(ent - m->v), j = i;

	m->v[i] = (struct edits_ent){0};
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!m->v[j].key)
			break;
		home = (size_t)m->v[j].h & mask;
		/* j moves back into the hole at i unless its home lies cyclically in (i, j] */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			m->v[i] = m->v[j];
			m->v[j] = (struct edits_ent){0};
			i = j;
		}
	}
	m->n--;
}

void edits_map_done(struct edits_map *m, bool free_keys)
{
	for (size_t i = 0; free_keys && i < m->cap; i++)
		free((char *)m->v[i].key);
	free(m->v);
	*m = (struct edits_map){0};
}
