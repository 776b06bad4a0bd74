/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UDF reader: blocks. Reads from the caller, a partition's block to a block of the volume
 * through its map (type 1, sparable, metadata, virtual), and descriptor tags checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader-internal.h"

/* Blocks of 512 or 1024 bytes are cut out of the 2048-byte sectors that hold them */
static int read_small(struct udf_reader *r, uint64_t block, uint32_t n, uint8_t *buf)
{
	uint64_t byte = block * r->bs, first = byte / 2048;
	uint64_t nsec = BFS_DIV_ROUND_UP(byte + (uint64_t)n * r->bs, 2048) - first;
	_cleanup_free_ uint8_t *b = malloc(nsec * 2048);
	int ret;

	if (!b)
		return -ENOMEM;
	ret = r->read(r->userdata, first, (uint32_t)nsec, b);
	if (ret == 0)
		memcpy(buf, b + byte % 2048, (size_t)n * r->bs);
	return ret;
}

int udf_read_abs(struct udf_reader *r, uint64_t block, uint32_t n, uint8_t *buf)
{
	int ret;

	if (block >= r->nblocks || n > r->nblocks - block)
		return BFS_CORRUPT(
			r->diag,
			"UDF: block %llu (+%u) is past the end of the medium (%llu blocks)",
			(unsigned long long)block, n, (unsigned long long)r->nblocks);
	if (r->bs >= 2048)
		ret = r->read(r->userdata, block * (r->bs / 2048), n * (r->bs / 2048), buf);
	else
		ret = read_small(r, block, n, buf);
	if (ret < 0)
		return bfs_diag_set(r->diag, ret, "UDF: reading block %llu: %s",
				    (unsigned long long)block, strerror(-ret));
	return 0;
}

static int map_phys(struct udf_reader *r, const struct udf_map *m, uint16_t part, uint32_t lbn,
		    uint32_t want, uint64_t *abs, uint32_t *run)
{
	if (lbn >= m->len)
		return BFS_CORRUPT(r->diag,
				   "UDF: block %u of partition %u is past its end (%llu blocks)",
				   lbn, part, (unsigned long long)m->len);
	*abs = m->start + lbn;
	*run = (uint32_t)BFS_MIN((uint64_t)want, m->len - lbn);
	return 0;
}

/* UDF 2.2.11: a packet whose first block is in the sparing table was moved whole */
static int map_sparable(struct udf_reader *r, const struct udf_map *m, uint16_t part, uint32_t lbn,
			uint32_t want, uint64_t *abs, uint32_t *run)
{
	uint32_t first = lbn - lbn % m->packet, left = m->packet - lbn % m->packet;

	for (size_t i = 0; i < m->nspares; i++) {
		if (m->spares[i].orig != first)
			continue;
		*abs = (uint64_t)m->spares[i].mapped + lbn % m->packet;
		*run = BFS_MIN(want, left);
		return 0;
	}
	if (map_phys(r, m, part, lbn, want, abs, run) < 0)
		return r->diag->err;
	*run = BFS_MIN(*run, left);
	return 0;
}

/* UDF 2.2.13: blocks of the metadata partition are blocks of the metadata file */
static int map_metadata(struct udf_reader *r, const struct udf_map *m, uint16_t part, uint32_t lbn,
			uint32_t want, uint64_t *abs, uint32_t *run)
{
	const struct udf_extent *x = m->meta[r->meta_copy];
	uint64_t off = (uint64_t)lbn * r->bs;

	for (size_t i = 0; i < m->nmeta[r->meta_copy]; i++) {
		uint64_t in, left;
		uint32_t prun;

		if (off < x[i].off || off - x[i].off >= x[i].len)
			continue;
		if (x[i].kind != UDF_EXT_RECORDED)
			break;
		in = (off - x[i].off) / r->bs;
		left = BFS_DIV_ROUND_UP((uint64_t)x[i].len, r->bs) - in;
		if (udf_map_block(r, m->under, (uint32_t)(x[i].lbn + in),
				  (uint32_t)BFS_MIN((uint64_t)want, left), abs, &prun) < 0)
			return r->diag->err;
		*run = prun;
		return 0;
	}
	return BFS_CORRUPT(
		r->diag,
		"UDF: block %u of metadata partition %u is not recorded in the metadata %s", lbn,
		part, r->meta_copy ? "mirror file" : "file");
}

int udf_map_block(struct udf_reader *r, uint16_t part, uint32_t lbn, uint32_t want, uint64_t *abs,
		  uint32_t *run)
{
	const struct udf_map *m;

	if (part >= r->nmaps)
		return BFS_CORRUPT(r->diag, "UDF: partition reference %u: the volume has %u maps",
				   part, r->nmaps);
	m = &r->maps[part];
	want = want ? want : 1;
	switch (m->kind) {
	case UDF_MAP_PHYS:
		return map_phys(r, m, part, lbn, want, abs, run);
	case UDF_MAP_SPARABLE:
		return map_sparable(r, m, part, lbn, want, abs, run);
	case UDF_MAP_METADATA:
		return map_metadata(r, m, part, lbn, want, abs, run);
	case UDF_MAP_VIRTUAL:
		if (lbn >= m->nvat || m->vat[lbn] == UINT32_MAX)
			return BFS_CORRUPT(
				r->diag,
				"UDF: block %u of virtual partition %u is not in the VAT (%u entries)",
				lbn, part, m->nvat);
		return udf_map_block(r, m->under, m->vat[lbn], 1, abs, run);
	}
	return BFS_CORRUPT(r->diag, "UDF: partition reference %u has no known map", part);
}

static const char *tag_name(uint16_t id)
{
	static const char *const vds[] = {"sparing table", "PVD", "AVDP", "VDP", "IUVD", "PD",
					  "LVD",	   "USD", "TD",	  "LVID"};
	static const char *const fs[] = {"FSD",	 "FID", "AED", "IE",  "TE", "FE",
					 "EAHD", "USE", "SBD", "PIE", "EFE"};

	if (id < BFS_ARRAY_SIZE(vds))
		return vds[id];
	if (id >= 256 && id - 256u < BFS_ARRAY_SIZE(fs))
		return fs[id - 256];
	return "unknown descriptor";
}

int udf_tag_check(struct udf_reader *r, const uint8_t *b, size_t avail, const uint16_t *ids,
		  size_t nids, uint32_t location, const char *what, uint64_t where)
{
	uint16_t id = bfs_get_le16(b + UDF_TAG_ID), crclen = bfs_get_le16(b + UDF_TAG_CRC_LEN);
	uint8_t sum = 0;
	size_t i;

	for (i = 0; i < UDF_TAG_SIZE; i++)
		if (i != UDF_TAG_CHECKSUM)
			sum = (uint8_t)(sum + b[i]);
	if (sum != b[UDF_TAG_CHECKSUM])
		return BFS_CORRUPT(r->diag, "UDF: %s at block %llu: bad tag checksum (%u, sum %u)",
				   what, (unsigned long long)where, b[UDF_TAG_CHECKSUM], sum);
	for (i = 0; i < nids && ids[i] != id; i++)
		;
	if (i == nids)
		return BFS_CORRUPT(
			r->diag, "UDF: %s at block %llu: tag %u (%s) where a %s was expected", what,
			(unsigned long long)where, id, tag_name(id), tag_name(ids[0]));
	if (bfs_get_le32(b + UDF_TAG_LOCATION) != location)
		return BFS_CORRUPT(r->diag,
				   "UDF: %s (%s) at block %llu: tag location %u, expected %u", what,
				   tag_name(id), (unsigned long long)where,
				   bfs_get_le32(b + UDF_TAG_LOCATION), location);
	if ((size_t)crclen + UDF_TAG_SIZE > avail)
		return BFS_CORRUPT(
			r->diag,
			"UDF: %s (%s) at block %llu: CRC length %u past the descriptor's space (%zu)",
			what, tag_name(id), (unsigned long long)where, crclen, avail);
	if (udf_crc_itu(b + UDF_TAG_SIZE, crclen) != bfs_get_le16(b + UDF_TAG_CRC))
		return BFS_CORRUPT(r->diag, "UDF: %s (%s) at block %llu: bad descriptor CRC", what,
				   tag_name(id), (unsigned long long)where);
	return id;
}

static int read_desc_once(struct udf_reader *r, uint16_t part, uint32_t lbn, const uint16_t *ids,
			  size_t nids, const char *what, uint8_t *b)
{
	uint64_t abs;
	uint32_t run;

	if (udf_map_block(r, part, lbn, 1, &abs, &run) < 0 || udf_read_abs(r, abs, 1, b) < 0)
		return r->diag->err;
	return udf_tag_check(r, b, r->bs, ids, nids, lbn, what, abs);
}

/* Whether part reaches the metadata file and its mirror could be tried instead */
static bool mirror_may_help(const struct udf_reader *r, uint16_t part)
{
	const struct udf_map *m = part < r->nmaps ? &r->maps[part] : NULL;

	return m && m->kind == UDF_MAP_METADATA && m->has_mirror && r->meta_copy == 0;
}

int udf_read_desc(struct udf_reader *r, uint16_t part, uint32_t lbn, const uint16_t *ids,
		  size_t nids, const char *what, uint8_t *b)
{
	int ret = read_desc_once(r, part, lbn, ids, nids, what, b);

	if (ret != -BFS_EFSCORRUPTED || !mirror_may_help(r, part))
		return ret;
	bfs_diag_warn(r->diag, "%s; reading the metadata mirror file from here on",
		      bfs_diag_msg(r->diag, ret));
	bfs_diag_clear(r->diag);
	r->meta_copy = 1;
	return read_desc_once(r, part, lbn, ids, nids, what, b);
}
