/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UDF reader: allocation descriptors (ECMA-167 4/14.14: short_ad, long_ad, ext_ad) and
 * chains of Allocation Extent Descriptors (4/14.5), into a file's list of extents. A chain
 * is followed at most UDF_AED_HOPS_MAX times and never to a block it has been to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader-internal.h"

struct ad_walk {
	struct udf_reader *r;
	struct udf_entry *e;
	size_t cap;
	uint64_t off; /* bytes of the file the extents so far hold */
	uint64_t *seen;
	unsigned hops;
	uint8_t *blk; /* the AED being read */
};

/* A recorded extent lies within its partition and the medium (64-bit arithmetic) */
static int extent_check(struct ad_walk *w, uint16_t part, uint32_t lbn, uint32_t len)
{
	struct udf_reader *r = w->r;
	const struct udf_map *m = part < r->nmaps ? &r->maps[part] : NULL;
	uint64_t nb = BFS_DIV_ROUND_UP((uint64_t)len, r->bs);

	if (!m)
		return BFS_CORRUPT(r->diag,
				   "UDF: ICB at block %u: extent in partition reference %u of %u",
				   w->e->icb_lbn, part, r->nmaps);
	if (m->kind != UDF_MAP_PHYS && m->kind != UDF_MAP_SPARABLE)
		return 0; /* checked block by block when read */
	if ((uint64_t)lbn + nb > m->len || m->start + lbn + nb > r->nblocks)
		return BFS_CORRUPT(
			r->diag,
			"UDF: ICB at block %u: extent of %u bytes at block %u of partition %u runs past %s",
			w->e->icb_lbn, len, lbn, part,
			(uint64_t)lbn + nb > m->len ? "the partition" : "the medium");
	return 0;
}

static int add_extent(struct ad_walk *w, uint32_t raw, uint32_t lbn, uint16_t part)
{
	struct udf_entry *e = w->e;
	struct udf_extent *x;
	uint32_t len = raw & 0x3FFFFFFFu;

	if (w->off >= e->size)
		return 0; /* allocated past the end of the file: nothing to read there */
	if (raw >> 30 == UDF_EXT_RECORDED && extent_check(w, part, lbn, len) < 0)
		return w->r->diag->err;
	if (e->nextents == UDF_EXTENTS_MAX)
		return BFS_CORRUPT(w->r->diag, "UDF: ICB at block %u: more than %u extents",
				   e->icb_lbn, UDF_EXTENTS_MAX);
	if (e->nextents == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;

		x = realloc(e->ext, cap * sizeof(*x));
		if (!x)
			return bfs_diag_set(w->r->diag, -ENOMEM, "UDF: %zu extents", cap);
		e->ext = x;
		w->cap = cap;
	}
	x = &e->ext[e->nextents++];
	*x = (struct udf_extent){
		.off = w->off, .len = len, .lbn = lbn, .part = part, .kind = (uint8_t)(raw >> 30)};
	w->off += len;
	return 0;
}

/* The next AED of the chain at (part, lbn): its descriptors in *ad, *len */
static int next_aed(struct ad_walk *w, uint16_t part, uint32_t lbn, uint32_t space,
		    const uint8_t **ad, size_t *len)
{
	static const uint16_t ids[] = {UDF_TAG_AED};
	struct udf_reader *r = w->r;
	uint64_t key = (uint64_t)part << 32 | lbn;
	uint32_t lad;

	for (unsigned i = 0; i < w->hops; i++)
		if (w->seen[i] == key)
			return BFS_CORRUPT(
				r->diag,
				"UDF: ICB at block %u: allocation extent descriptors loop back to block %u of partition %u",
				w->e->icb_lbn, lbn, part);
	if (w->hops == UDF_AED_HOPS_MAX)
		return BFS_CORRUPT(
			r->diag, "UDF: ICB at block %u: more than %u allocation extent descriptors",
			w->e->icb_lbn, UDF_AED_HOPS_MAX);
	if (!w->seen && !(w->seen = malloc(UDF_AED_HOPS_MAX * sizeof(*w->seen))))
		return bfs_diag_set(r->diag, -ENOMEM, "UDF: allocation extent descriptor chain");
	w->seen[w->hops++] = key;
	if (udf_read_desc(r, part, lbn, ids, 1, "allocation extent descriptor", w->blk) < 0)
		return r->diag->err;
	lad = bfs_get_le32(w->blk + UDF_AED_L_AD);
	if ((uint64_t)UDF_AED_SIZE + lad > BFS_MIN(space ? space : r->bs, r->bs))
		return BFS_CORRUPT(
			r->diag,
			"UDF: AED at block %u of partition %u: %u bytes of descriptors past its extent",
			lbn, part, lad);
	*ad = w->blk + UDF_AED_SIZE;
	*len = lad;
	return 0;
}

static int walk(struct ad_walk *w, const uint8_t *ad, size_t len, unsigned form, uint16_t part)
{
	static const size_t sizes[] = {UDF_SHORT_AD_SIZE, UDF_LONG_AD_SIZE, UDF_EXT_AD_SIZE};
	size_t adsz = sizes[form];

	for (size_t o = 0; o + adsz <= len;) {
		const uint8_t *p = ad + o;
		uint32_t raw = bfs_get_le32(p + UDF_AD_LEN),
			 lbn = bfs_get_le32(p + UDF_SHORT_AD_POS);
		uint16_t apart = part;

		if (form == UDF_AD_LONG)
			apart = bfs_get_le16(p + UDF_LONG_AD_PART);
		if (form == UDF_AD_EXT) {
			lbn = bfs_get_le32(p + UDF_EXT_AD_LOC);
			apart = bfs_get_le16(p + UDF_EXT_AD_LOC + 4);
		}
		if ((raw & 0x3FFFFFFFu) == 0)
			return 0; /* a zero length ends the descriptors (4/12) */
		if (raw >> 30 == UDF_AD_NEXT_EXTENT) {
			if (next_aed(w, apart, lbn, raw & 0x3FFFFFFFu, &ad, &len) < 0)
				return w->r->diag->err;
			o = 0;
			continue;
		}
		if (add_extent(w, raw, lbn, apart) < 0)
			return w->r->diag->err;
		o += adsz;
	}
	return 0;
}

int udf_load_ads(struct udf_reader *r, struct udf_entry *e, const uint8_t *ad, size_t len,
		 unsigned form, uint16_t part)
{
	struct ad_walk w = {.r = r, .e = e};
	int ret;

	if (form > UDF_AD_EXT)
		return BFS_CORRUPT(r->diag, "UDF: ICB at block %u: allocation descriptor form %u",
				   e->icb_lbn, form);
	w.blk = malloc(r->bs);
	if (!w.blk)
		ret = bfs_diag_set(r->diag, -ENOMEM, "UDF: allocation descriptor walk");
	else
		ret = walk(&w, ad, len, form, part);
	free(w.seen);
	free(w.blk);
	return ret;
}
