/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UDF reader: what partition maps of type 2 need before a block can be read through them,
 * the sparing table (UDF 2.2.12), the metadata file and its mirror (2.2.13) and the
 * virtual allocation table (2.2.11 for 1.50, 2.2.10 for 2.00).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader-internal.h"

static int sparing_parse(struct udf_reader *r, struct udf_map *m, const uint8_t *b, size_t len,
			 uint64_t at)
{
	static const uint16_t ids[] = {UDF_TAG_SPARING};
	size_t n;

	if (udf_tag_check(r, b, len, ids, 1, (uint32_t)at, "sparing table", at) < 0)
		return r->diag->err;
	if (memcmp(b + UDF_ST_IDENT + UDF_REGID_ID, "*UDF Sparing Table", 18) != 0)
		return BFS_CORRUPT(
			r->diag,
			"UDF: sparing table at block %llu: no '*UDF Sparing Table' identifier",
			(unsigned long long)at);
	n = bfs_get_le16(b + UDF_ST_NENTRIES);
	if (UDF_ST_ENTRIES + n * 8 > len)
		return BFS_CORRUPT(
			r->diag, "UDF: sparing table at block %llu: %zu entries past its %zu bytes",
			(unsigned long long)at, n, len);
	m->spares = calloc(n ? n : 1, sizeof(*m->spares));
	if (!m->spares)
		return bfs_diag_set(r->diag, -ENOMEM, "UDF: sparing table of %zu entries", n);
	for (size_t i = 0; i < n; i++) {
		uint32_t orig = bfs_get_le32(b + UDF_ST_ENTRIES + 8 * i);

		if (orig >= 0xFFFFFFF0u) /* available or defective, maps nothing */
			continue;
		m->spares[m->nspares].orig = orig;
		m->spares[m->nspares++].mapped = bfs_get_le32(b + UDF_ST_ENTRIES + 8 * i + 4);
	}
	return 0;
}

/* The first of the (up to 4) sparing tables that reads and checks */
static int sparing_load(struct udf_reader *r, struct udf_map *m, const uint8_t *pm)
{
	uint32_t len = bfs_get_le32(pm + UDF_PMS_TABLE_LEN), nb;
	unsigned ntables = BFS_MIN(pm[UDF_PMS_NTABLES], 4u);
	_cleanup_free_ uint8_t *b = NULL;

	m->packet = bfs_get_le16(pm + UDF_PMS_PACKET);
	if (m->packet == 0 || len < UDF_ST_ENTRIES || len > UDF_SPARING_MAX)
		return BFS_CORRUPT(r->diag,
				   "UDF: sparable partition map: packet length %u, table size %u",
				   m->packet, len);
	nb = BFS_DIV_ROUND_UP(len, r->bs);
	b = malloc((size_t)nb * r->bs);
	if (!b)
		return bfs_diag_set(r->diag, -ENOMEM, "UDF: sparing table of %u bytes", len);
	for (unsigned i = 0; i < ntables; i++) {
		uint64_t at = bfs_get_le32(pm + UDF_PMS_TABLES + 4 * i);

		if (udf_read_abs(r, at, nb, b) == 0 && sparing_parse(r, m, b, len, at) == 0)
			return 0;
		if (i + 1 < ntables) {
			bfs_diag_warn(r->diag, "%s; trying the next copy",
				      bfs_diag_msg(r->diag, r->diag->err));
			bfs_diag_clear(r->diag);
		}
	}
	return r->diag->err
		       ? r->diag->err
		       : BFS_CORRUPT(r->diag, "UDF: sparable partition map lists no sparing table");
}

/* The metadata file (copy 0) or its mirror (1): the extents of its data */
static int metadata_file(struct udf_reader *r, struct udf_map *m, uint32_t lbn, unsigned copy)
{
	struct udf_entry e = {0};
	uint8_t want = copy ? UDF_FT_META_MIRROR : UDF_FT_META;

	if (udf_load_entry(r, m->under, lbn, &e) < 0)
		return r->diag->err;
	if (e.file_type != want || e.inline_data) {
		udf_entry_done(&e);
		return BFS_CORRUPT(
			r->diag,
			"UDF: metadata %s at block %u of partition %u: file type %u, expected %u",
			copy ? "mirror file" : "file", lbn, m->under, e.file_type, want);
	}
	m->meta[copy] = e.ext;
	m->nmeta[copy] = e.nextents;
	e.ext = NULL;
	udf_entry_done(&e);
	return 0;
}

static int metadata_load(struct udf_reader *r, struct udf_map *m, const uint8_t *pm)
{
	uint32_t main = bfs_get_le32(pm + UDF_PMM_FILE), mirror = bfs_get_le32(pm + UDF_PMM_MIRROR);
	int ret = metadata_file(r, m, main, 0);

	if (mirror != UINT32_MAX && mirror != main) {
		if (ret < 0) {
			bfs_diag_warn(r->diag, "%s; using the metadata mirror file",
				      bfs_diag_msg(r->diag, ret));
			bfs_diag_clear(r->diag);
			r->meta_copy = 1;
		}
		if (metadata_file(r, m, mirror, 1) == 0)
			m->has_mirror = true;
		else if (ret == 0) { /* the main file is fine: say so and go on */
			bfs_diag_warn(r->diag, "%s, ignoring", bfs_diag_msg(r->diag, r->diag->err));
			bfs_diag_clear(r->diag);
		}
		return r->diag->err;
	}
	return ret;
}

/* VAT 2.00 (file type 248, a header then entries) or 1.50 (entries, then the regid and
 * the previous VAT's block), read into m->vat */
static int vat_parse(struct udf_reader *r, struct udf_map *m, const uint8_t *d, size_t len, bool v2,
		     uint64_t at)
{
	size_t hdr = 0, end = len;

	if (v2) {
		hdr = len >= 152 ? bfs_get_le16(d) : SIZE_MAX;
		if (hdr < 152 || hdr > len)
			return BFS_CORRUPT(r->diag,
					   "UDF: VAT at block %llu: header length %zu of %zu bytes",
					   (unsigned long long)at, hdr, len);
	} else {
		if (len < 36 || memcmp(d + len - 36 + 1, "*UDF Virtual Alloc Tbl", 22) != 0)
			return BFS_CORRUPT(
				r->diag,
				"UDF: VAT 1.50 at block %llu: no '*UDF Virtual Alloc Tbl' identifier",
				(unsigned long long)at);
		end = len - 36;
	}
	m->nvat = (uint32_t)((end - hdr) / 4);
	m->vat = malloc(((size_t)m->nvat + 1) * 4);
	if (!m->vat)
		return bfs_diag_set(r->diag, -ENOMEM, "UDF: VAT of %u entries", m->nvat);
	for (uint32_t i = 0; i < m->nvat; i++)
		m->vat[i] = bfs_get_le32(d + hdr + 4 * (size_t)i);
	return 0;
}

static int vat_read(struct udf_reader *r, struct udf_map *m, struct udf_entry *e, uint64_t at)
{
	_cleanup_free_ uint8_t *d = NULL;
	int64_t n;

	if (e->size > UDF_VAT_MAX)
		return BFS_CORRUPT(r->diag, "UDF: VAT at block %llu: %llu bytes (at most %u)",
				   (unsigned long long)at, (unsigned long long)e->size,
				   UDF_VAT_MAX);
	d = malloc(e->size + 1);
	if (!d)
		return bfs_diag_set(r->diag, -ENOMEM, "UDF: VAT of %llu bytes",
				    (unsigned long long)e->size);
	n = udf_reader_pread(r, e, 0, d, (size_t)e->size);
	if (n < 0)
		return (int)n;
	return vat_parse(r, m, d, (size_t)n, e->file_type == UDF_FT_VAT20, at);
}

/* The VAT's ICB is the last block recorded (UDF 2.2.10): look back a few blocks from the
 * medium's end for an entry of type 248, or of type 0 (1.50) */
static int vat_load(struct udf_reader *r, struct udf_map *m)
{
	const struct udf_map *u = &r->maps[m->under];
	struct bfs_diag quiet = {0}, *saved = r->diag;

	for (uint64_t at = r->nblocks; at-- > u->start && r->nblocks - at <= 32;) {
		struct udf_entry e = {0};
		int ret;

		r->diag = &quiet;
		ret = udf_load_entry(r, m->under, (uint32_t)(at - u->start), &e);
		r->diag = saved;
		bfs_diag_clear(&quiet);
		if (ret == 0 && (e.file_type == UDF_FT_VAT20 || e.file_type == 0)) {
			bool v2 = e.file_type == UDF_FT_VAT20;

			ret = vat_read(r, m, &e, at);
			udf_entry_done(&e);
			if (ret == 0 || v2)
				return ret;
			bfs_diag_clear(r->diag);
			continue;
		}
		udf_entry_done(&e);
	}
	return BFS_CORRUPT(
		r->diag,
		"UDF: virtual partition: no VAT in the last 32 blocks of the medium (%llu blocks); for an earlier session, the medium ends where that session does",
		(unsigned long long)r->nblocks);
}

int udf_maps_load(struct udf_reader *r, const uint8_t *const *pms)
{
	/* the maps that others are read through first */
	for (unsigned i = 0; i < r->nmaps; i++)
		if (r->maps[i].kind == UDF_MAP_SPARABLE && sparing_load(r, &r->maps[i], pms[i]) < 0)
			return r->diag->err;
	for (unsigned i = 0; i < r->nmaps; i++) {
		struct udf_map *m = &r->maps[i];

		if (m->kind == UDF_MAP_METADATA && metadata_load(r, m, pms[i]) < 0)
			return r->diag->err;
		if (m->kind == UDF_MAP_VIRTUAL && vat_load(r, m) < 0)
			return r->diag->err;
	}
	return 0;
}

void udf_maps_free(struct udf_reader *r)
{
	for (unsigned i = 0; i < r->nmaps; i++) {
		free(r->maps[i].spares);
		free(r->maps[i].meta[0]);
		free(r->maps[i].meta[1]);
		free(r->maps[i].vat);
	}
}
