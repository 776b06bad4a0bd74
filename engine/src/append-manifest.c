/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The last session's manifest as a store of chunks (engine/manifest.h): a chunk of the new
 * manifest whose bytes it holds, block-aligned and in one run on the disc, is pointed at
 * instead of written again (eng_image_opts.manifest_chunk). Found by the hash of a chunk's
 * first block among those of every block of the old manifest, then compared byte for byte,
 * so any block-aligned run of it matches, whatever chunk boundaries its writer chose.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "append-internal.h"
#include "common/extent.h"
#include "iso9660/reader.h"

static int block_cmp(const void *pa, const void *pb)
{
	const struct old_block *a = pa, *b = pb;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a->block < b->block ? -1 : a->block > b->block;
}

void append_manifest_drop(struct old_manifest *om)
{
	free(om->data);
	free(om->ext);
	free(om->idx);
	*om = (struct old_manifest){0};
}

int append_manifest_keep(struct merge *m, const struct eng_dnode *d, uint8_t **data)
{
	struct old_manifest *om = &m->a->om;
	uint64_t nblocks = d->size / BFS_BLOCK_SIZE;

	/* where its blocks lie: the ISO 9660 tree's extents (a UDF-only tree: not kept) */
	if (!d->iso || !d->iso->nextents || d->iso->compressed || nblocks == 0)
		return 0;
	om->ext = malloc(d->iso->nextents * sizeof(*om->ext));
	om->idx = malloc(nblocks * sizeof(*om->idx));
	if (!om->ext || !om->idx) {
		append_manifest_drop(om);
		return -ENOMEM;
	}
	memcpy(om->ext, d->iso->ext, d->iso->nextents * sizeof(*om->ext));
	om->next = d->iso->nextents;
	for (uint64_t k = 0; k < nblocks; k++)
		om->idx[k] = (struct old_block){
			.hash = XXH3_64bits(*data + k * BFS_BLOCK_SIZE, BFS_BLOCK_SIZE),
			.block = k};
	qsort(om->idx, nblocks, sizeof(*om->idx), block_cmp);
	om->nidx = nblocks;
	om->size = d->size;
	om->end = m->s->start + m->s->length;
	om->data = *data;
	*data = NULL;
	return 0;
}

/* The disc block of block k of the old manifest, when blocks [k, k + n) are one run. */
static int run_lba(const struct old_manifest *om, uint64_t k, uint64_t n, uint64_t *ret)
{
	uint64_t off = 0, at = k * BFS_BLOCK_SIZE, lba = 0, want = n;
	bool found = false;

	for (size_t i = 0; i < om->next && want; i++) {
		const struct iso9660_extent *e = &om->ext[i];
		uint64_t blocks = BFS_DIV_ROUND_UP(e->len, BFS_BLOCK_SIZE), from, take;

		if (!found && at >= off + e->len) {
			off += e->len;
			continue;
		}
		from = found ? 0 : (at - off) / BFS_BLOCK_SIZE;
		if (!found)
			*ret = lba = e->lba + from;
		else if (e->lba != lba || om->ext[i - 1].len % BFS_BLOCK_SIZE)
			return -ENOENT; /* the run breaks here */
		found = true;
		take = BFS_MIN(want, blocks - from);
		want -= take;
		lba += take;
		off += e->len;
	}
	return found && want == 0 && lba <= om->end ? 0 : -ENOENT;
}

int append_manifest_chunk(const uint8_t *bytes, size_t len, void *userdata, uint64_t *ret_lba)
{
	const struct old_manifest *om = &((const struct eng_append *)userdata)->om;
	struct old_block key = {.hash = XXH3_64bits(bytes, BFS_BLOCK_SIZE)};
	size_t lo = 0, hi = om->nidx;

	if (len == 0 || len % BFS_BLOCK_SIZE || !om->nidx)
		return -ENOENT;
	while (lo < hi) { /* the first block of that hash */
		size_t mid = lo + (hi - lo) / 2;

		if (om->idx[mid].hash < key.hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < om->nidx && om->idx[lo].hash == key.hash; lo++) {
		uint64_t k = om->idx[lo].block;

		if (k * BFS_BLOCK_SIZE + len <= om->size &&
		    memcmp(om->data + k * BFS_BLOCK_SIZE, bytes, len) == 0 &&
		    run_lba(om, k, len / BFS_BLOCK_SIZE, ret_lba) == 0)
			return 0;
	}
	return -ENOENT;
}
