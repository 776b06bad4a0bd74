/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "common/charset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool bfs_utf8_next(const uint8_t *s, size_t len, size_t *pos, uint32_t *cp)
{
	size_t i = *pos, n;
	uint32_t c = s[i], min;

	if (c < 0x80) {
		*cp = c;
		*pos = i + 1;
		return true;
	}
	if ((c & 0xE0) == 0xC0) {
		n = 1, c &= 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 2, c &= 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 3, c &= 0x07, min = 0x10000;
	} else {
		goto bad;
	}
	if (n > len - i - 1)
		goto bad;
	for (size_t k = 1; k <= n; k++) {
		if ((s[i + k] & 0xC0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i + k] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		goto bad;
	*cp = c;
	*pos = i + n + 1;
	return true;
bad:
	*cp = BFS_REPLACEMENT_CHAR;
	*pos = i + 1;
	return false;
}

bool bfs_utf8_valid(const char *s, size_t len)
{
	size_t pos = 0;
	uint32_t cp;

	while (pos < len)
		if (!bfs_utf8_next((const uint8_t *)s, len, &pos, &cp))
			return false;
	return true;
}

size_t bfs_utf8_put(uint32_t cp, uint8_t *out)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xC0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xE0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (uint8_t)(0xF0 | (cp >> 18));
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

/* FNV-1a, 64 bit */
static uint64_t strset_hash(const uint8_t *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static struct bfs_strset_slot *strset_find(const struct bfs_strset *set, const uint8_t *s,
					   size_t len, uint64_t h)
{
	size_t i = (size_t)h & (set->cap - 1);

	for (;;) {
		struct bfs_strset_slot *sl = &set->slots[i];

		if (!sl->s)
			return sl;
		if (sl->hash == h && sl->len == len && memcmp(sl->s, s, len) == 0)
			return sl;
		i = (i + 1) & (set->cap - 1);
	}
}

static int strset_rehash(struct bfs_strset *set)
{
	size_t ncap = set->cap ? set->cap * 2 : 16;
	struct bfs_strset old = *set;

	set->slots = bfs_new(struct bfs_strset_slot, ncap);
	if (!set->slots) {
		*set = old;
		return -ENOMEM;
	}
	set->cap = ncap;
	for (size_t i = 0; i < old.cap; i++) {
		if (old.slots[i].s)
			*strset_find(set, old.slots[i].s, old.slots[i].len, old.slots[i].hash) =
				old.slots[i];
	}
	free(old.slots);
	return 0;
}

int bfs_strset_add(struct bfs_strset *set, const void *s, size_t len)
{
	uint64_t h = strset_hash(s, len);
	struct bfs_strset_slot *sl;
	int r;

	if ((set->n + 1) * 2 > set->cap) {
		r = strset_rehash(set);
		if (r < 0)
			return r;
	}
	sl = strset_find(set, s, len, h);
	if (sl->s)
		return 0;
	sl->s = malloc(len ? len : 1);
	if (!sl->s)
		return -ENOMEM;
	memcpy(sl->s, s, len);
	sl->len = len;
	sl->hash = h;
	set->n++;
	return 1;
}

bool bfs_strset_contains(const struct bfs_strset *set, const void *s, size_t len)
{
	if (!set->cap)
		return false;
	return strset_find(set, s, len, strset_hash(s, len))->s != NULL;
}

void bfs_strset_done(struct bfs_strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i].s);
	free(set->slots);
	*set = (struct bfs_strset){0};
}
