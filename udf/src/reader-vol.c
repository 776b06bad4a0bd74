/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UDF reader: the volume. Anchors (ECMA-167 3/8.4.2), the main or reserve Volume
 * Descriptor Sequence (3/8.4.3), the Logical Volume Descriptor's partition maps (3/10.7,
 * UDF 2.2.8-2.2.10), the File Set Descriptor (4/14.1) and the root directory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader-internal.h"

#define PDS_MAX 8u

/* What a VDS holds that the reader uses: the prevailing descriptors (highest VDS number) */
struct vds {
	uint8_t *pvd, *lvd; /* r->bs bytes each, owned */
	uint32_t pvd_seq, lvd_seq;
	struct {
		uint16_t num;
		uint32_t seq, start, len;
	} pd[PDS_MAX];
	unsigned npd;
	bool have_pvd, have_lvd;
};

static void vds_done(struct vds *v)
{
	free(v->pvd);
	free(v->lvd);
	memset(v, 0, sizeof(*v));
}

static int anchor_at(struct udf_reader *r, uint64_t at, uint8_t *b)
{
	static const uint16_t ids[] = {UDF_TAG_AVDP};

	if (udf_read_abs(r, at, 1, b) < 0)
		return r->diag->err;
	return udf_tag_check(r, b, r->bs, ids, 1, (uint32_t)at, "anchor", at);
}

/* The first valid anchor for block size bs: *main and *reserve VDS extents */
static int find_anchor(struct udf_reader *r, uint32_t bs, uint64_t total, uint64_t start,
		       uint8_t *b)
{
	uint64_t cand[3];

	r->bs = bs;
	r->nblocks = total * 2048 / bs;
	r->session = start * 2048 / bs;
	cand[0] = r->session + 256;
	cand[1] = r->nblocks >= 257 ? r->nblocks - 257 : UINT64_MAX;
	cand[2] = r->nblocks ? r->nblocks - 1 : UINT64_MAX;
	for (unsigned i = 0; i < 3; i++) {
		if (cand[i] >= r->nblocks || cand[i] > UINT32_MAX)
			continue;
		if (anchor_at(r, cand[i], b) >= 0) {
			r->anchor = cand[i];
			return 0;
		}
		bfs_diag_clear(r->diag);
	}
	return -ENOENT;
}

static int keep_pd(struct udf_reader *r, struct vds *v, const uint8_t *b, uint64_t at)
{
	uint16_t num = bfs_get_le16(b + UDF_PD_NUMBER);
	uint32_t seq = bfs_get_le32(b + UDF_VD_SEQNUM);
	unsigned i;

	for (i = 0; i < v->npd && v->pd[i].num != num; i++)
		;
	if (i == v->npd) {
		if (v->npd == PDS_MAX)
			return BFS_CORRUPT(r->diag,
					   "UDF: PD at block %llu: more than %u partitions",
					   (unsigned long long)at, PDS_MAX);
		v->npd++;
	} else if (seq < v->pd[i].seq) {
		return 0;
	}
	v->pd[i].num = num;
	v->pd[i].seq = seq;
	v->pd[i].start = bfs_get_le32(b + UDF_PD_START);
	v->pd[i].len = bfs_get_le32(b + UDF_PD_LENGTH);
	return 0;
}

static int keep_copy(struct udf_reader *r, uint8_t **dst, uint32_t *dseq, bool *have,
		     const uint8_t *b)
{
	uint32_t seq = bfs_get_le32(b + UDF_VD_SEQNUM);

	if (*have && seq < *dseq)
		return 0;
	if (!*dst && !(*dst = malloc(r->bs)))
		return bfs_diag_set(r->diag, -ENOMEM, "UDF: volume descriptor copy");
	memcpy(*dst, b, r->bs);
	*dseq = seq;
	*have = true;
	return 0;
}

/*
 * One descriptor of a sequence: 1 at its end (TD, or an unrecorded block), 0 to go on,
 * 2 when it is a VDP (next extent in *next), or an error.
 */
static int vds_one(struct udf_reader *r, struct vds *v, const uint8_t *b, uint64_t at,
		   uint64_t *next_loc, uint32_t *next_len)
{
	static const uint16_t ids[] = {UDF_TAG_PVD, UDF_TAG_VDP, UDF_TAG_IUVD, UDF_TAG_PD,
				       UDF_TAG_LVD, UDF_TAG_USD, UDF_TAG_TD};
	int id;

	if (bfs_get_le16(b) == 0 && b[UDF_TAG_CHECKSUM] == 0)
		return 1; /* an empty block ends a sequence that has no TD */
	id = udf_tag_check(r, b, r->bs, ids, BFS_ARRAY_SIZE(ids), (uint32_t)at, "volume descriptor",
			   at);
	switch (id) {
	case UDF_TAG_TD:
		return 1;
	case UDF_TAG_VDP:
		*next_len = bfs_get_le32(b + UDF_VDP_NEXT);
		*next_loc = bfs_get_le32(b + UDF_VDP_NEXT + 4);
		return 2;
	case UDF_TAG_PVD:
		return keep_copy(r, &v->pvd, &v->pvd_seq, &v->have_pvd, b);
	case UDF_TAG_LVD:
		return keep_copy(r, &v->lvd, &v->lvd_seq, &v->have_lvd, b);
	case UDF_TAG_PD:
		return keep_pd(r, v, b, at);
	}
	return id < 0 ? id : 0;
}

/* Read a whole VDS from (loc, len bytes), following VDPs at most UDF_VDS_HOPS_MAX times */
static int vds_read(struct udf_reader *r, struct vds *v, uint64_t loc, uint32_t len, uint8_t *b)
{
	uint64_t seen[UDF_VDS_HOPS_MAX + 1];
	unsigned hops = 0, blocks = 0;

	seen[0] = loc;
	for (uint64_t at = loc, end = loc + len / r->bs;;) {
		uint64_t nloc = 0;
		uint32_t nlen = 0;
		int ret;

		if (at >= end)
			return 0; /* the extent ends the sequence */
		if (++blocks > UDF_VDS_BLOCKS_MAX)
			return BFS_CORRUPT(
				r->diag,
				"UDF: volume descriptor sequence at block %llu: more than %u blocks",
				(unsigned long long)loc, UDF_VDS_BLOCKS_MAX);
		if (udf_read_abs(r, at, 1, b) < 0)
			return r->diag->err;
		ret = vds_one(r, v, b, at, &nloc, &nlen);
		if (ret < 0 || ret == 1)
			return ret < 0 ? ret : 0;
		at++;
		if (ret != 2)
			continue;
		for (unsigned i = 0; i <= hops; i++)
			if (seen[i] == nloc)
				return BFS_CORRUPT(
					r->diag, "UDF: VDP at block %llu points back at block %llu",
					(unsigned long long)(at - 1), (unsigned long long)nloc);
		if (hops == UDF_VDS_HOPS_MAX)
			return BFS_CORRUPT(
				r->diag,
				"UDF: volume descriptor sequence at block %llu: more than %u pointers",
				(unsigned long long)loc, UDF_VDS_HOPS_MAX);
		seen[++hops] = nloc;
		at = nloc;
		end = nloc + nlen / r->bs;
	}
}

/* A map's partition descriptor: its start and length, checked against the medium */
static int map_partition(struct udf_reader *r, struct udf_map *m, const struct vds *v, unsigned idx)
{
	for (unsigned i = 0; i < v->npd; i++) {
		if (v->pd[i].num != m->partnum)
			continue;
		m->start = v->pd[i].start;
		m->len = v->pd[i].len;
		if (m->start >= r->nblocks)
			return BFS_CORRUPT(
				r->diag,
				"UDF: partition %u starts at block %llu, past the medium (%llu blocks)",
				m->partnum, (unsigned long long)m->start,
				(unsigned long long)r->nblocks);
		return 0;
	}
	return BFS_CORRUPT(r->diag,
			   "UDF: partition map %u names partition %u, which no PD describes", idx,
			   m->partnum);
}

static int map_parse(struct udf_reader *r, struct udf_map *m, const uint8_t *pm, size_t left,
		     unsigned idx)
{
	if (left < 2 || pm[UDF_PM_LEN] < 6 || pm[UDF_PM_LEN] > left)
		return BFS_CORRUPT(r->diag,
				   "UDF: LVD: partition map %u of length %u runs past the table",
				   idx, left < 2 ? 0 : pm[UDF_PM_LEN]);
	if (pm[UDF_PM_TYPE] == 1 && pm[UDF_PM_LEN] == 6) {
		m->kind = UDF_MAP_PHYS;
		m->partnum = bfs_get_le16(pm + UDF_PM1_PARTNUM);
		return 0;
	}
	if (pm[UDF_PM_TYPE] != 2 || pm[UDF_PM_LEN] != 64)
		return BFS_CORRUPT(r->diag, "UDF: LVD: partition map %u: type %u length %u", idx,
				   pm[UDF_PM_TYPE], pm[UDF_PM_LEN]);
	m->partnum = bfs_get_le16(pm + UDF_PM2_PARTNUM);
	if (!memcmp(pm + UDF_PM2_IDENT + 1, "*UDF Virtual Partition", 22))
		m->kind = UDF_MAP_VIRTUAL;
	else if (!memcmp(pm + UDF_PM2_IDENT + 1, "*UDF Sparable Partition", 23))
		m->kind = UDF_MAP_SPARABLE;
	else if (!memcmp(pm + UDF_PM2_IDENT + 1, "*UDF Metadata Partition", 23))
		m->kind = UDF_MAP_METADATA;
	else
		return BFS_CORRUPT(r->diag,
				   "UDF: LVD: partition map %u: unknown type 2 map '%.23s'", idx,
				   (const char *)pm + UDF_PM2_IDENT + 1);
	return 0;
}

/* Virtual and metadata maps lie on the type 1 or sparable map of the same partition */
static int map_under(struct udf_reader *r, struct udf_map *m, unsigned idx)
{
	if (m->kind != UDF_MAP_VIRTUAL && m->kind != UDF_MAP_METADATA)
		return 0;
	for (unsigned i = 0; i < r->nmaps; i++) {
		const struct udf_map *u = &r->maps[i];

		if ((u->kind == UDF_MAP_PHYS || u->kind == UDF_MAP_SPARABLE) &&
		    u->partnum == m->partnum) {
			m->under = (uint16_t)i;
			return 0;
		}
	}
	return BFS_CORRUPT(r->diag,
			   "UDF: partition map %u has no type 1 map of partition %u under it", idx,
			   m->partnum);
}

static int lvd_parse(struct udf_reader *r, const struct vds *v, const uint8_t **pms)
{
	const uint8_t *l = v->lvd;
	uint32_t maplen = bfs_get_le32(l + UDF_LVD_MAP_LEN), n = bfs_get_le32(l + UDF_LVD_NMAPS);
	size_t o = UDF_LVD_MAPS;

	if (bfs_get_le32(l + UDF_LVD_BLOCK_SIZE) != r->bs)
		return BFS_CORRUPT(
			r->diag,
			"UDF: LVD: logical block size %u on a volume anchored in %u-byte blocks",
			bfs_get_le32(l + UDF_LVD_BLOCK_SIZE), r->bs);
	if (n == 0 || n > UDF_MAPS_MAX || maplen > r->bs - UDF_LVD_MAPS)
		return BFS_CORRUPT(r->diag,
				   "UDF: LVD: %u partition maps in %u bytes (at most %u maps)", n,
				   maplen, UDF_MAPS_MAX);
	r->revision = bfs_get_le16(l + UDF_LVD_DOMAIN + 24);
	udf_dstring(l + UDF_LVD_VOLUME_ID, 128, r->volume_id, sizeof(r->volume_id));
	r->fsd_lbn = bfs_get_le32(l + UDF_LVD_FSD + UDF_LONG_AD_LBN);
	r->fsd_part = bfs_get_le16(l + UDF_LVD_FSD + UDF_LONG_AD_PART);
	r->nmaps = n;
	for (unsigned i = 0; i < n; i++) {
		if (map_parse(r, &r->maps[i], l + o, UDF_LVD_MAPS + maplen - o, i) < 0)
			return r->diag->err;
		pms[i] = l + o;
		o += l[o + UDF_PM_LEN];
	}
	for (unsigned i = 0; i < n; i++)
		if (map_under(r, &r->maps[i], i) < 0 || map_partition(r, &r->maps[i], v, i) < 0)
			return r->diag->err;
	return 0;
}

/* The main VDS, else the reserve one; then the LVD's maps and what they need */
static int volume_load(struct udf_reader *r, const uint8_t *avdp, uint8_t *b)
{
	struct vds v = {0};
	const uint8_t *pms[UDF_MAPS_MAX];
	int ret = 0;

	for (unsigned copy = 0; copy < 2; copy++) {
		unsigned at = copy ? UDF_AVDP_RESERVE_VDS : UDF_AVDP_MAIN_VDS;

		vds_done(&v);
		ret = vds_read(r, &v, bfs_get_le32(avdp + at + UDF_EXTENT_AD_LOC),
			       bfs_get_le32(avdp + at + UDF_EXTENT_AD_LEN), b);
		if (ret == 0 && !v.have_lvd)
			ret = BFS_CORRUPT(r->diag,
					  "UDF: the %s volume descriptor sequence has no LVD",
					  copy ? "reserve" : "main");
		if (ret == 0 || copy == 1)
			break;
		bfs_diag_warn(r->diag, "%s; trying the reserve sequence",
			      bfs_diag_msg(r->diag, ret));
		bfs_diag_clear(r->diag);
	}
	if (ret == 0)
		ret = lvd_parse(r, &v, pms);
	if (ret == 0)
		ret = udf_maps_load(r, pms);
	if (ret == 0 && !r->volume_id[0] && v.have_pvd)
		udf_dstring(v.pvd + UDF_PVD_VOLUME_ID, 32, r->volume_id, sizeof(r->volume_id));
	vds_done(&v);
	return ret;
}

static int fileset_load(struct udf_reader *r, uint8_t *b)
{
	static const uint16_t ids[] = {UDF_TAG_FSD};
	struct udf_entry root = {0};
	int ret;

	if (udf_read_desc(r, r->fsd_part, r->fsd_lbn, ids, 1, "file set descriptor", b) < 0)
		return r->diag->err;
	r->root_lbn = bfs_get_le32(b + UDF_FSD_ROOT + UDF_LONG_AD_LBN);
	r->root_part = bfs_get_le16(b + UDF_FSD_ROOT + UDF_LONG_AD_PART);
	ret = udf_load_entry(r, r->root_part, r->root_lbn, &root);
	if (ret == 0 && root.type != BFS_NODE_DIR)
		ret = BFS_CORRUPT(
			r->diag,
			"UDF: the root ICB at block %u of partition %u is not a directory (file type %u)",
			r->root_lbn, r->root_part, root.file_type);
	udf_entry_done(&root);
	return ret;
}

int udf_volume_open(struct udf_reader *r, uint64_t total, uint64_t start, uint32_t block_size)
{
	_cleanup_free_ uint8_t *b = malloc(2 * 4096); /* the anchor, then a scratch block */
	bool found = false;

	if (!b)
		return bfs_diag_set(r->diag, -ENOMEM, "UDF: reader buffer");
	if (block_size && block_size != 512 && block_size != 1024 && block_size != 2048 &&
	    block_size != 4096)
		return bfs_diag_set(r->diag, -EINVAL,
				    "UDF: block size %u (512, 1024, 2048 or 4096)", block_size);
	static const uint32_t sizes[] = {2048, 4096, 512, 1024};

	if (total > UINT64_MAX / 2048 / 4 || start > total)
		return bfs_diag_set(r->diag, -EINVAL,
				    "UDF: session at sector %llu of a %llu-sector medium",
				    (unsigned long long)start, (unsigned long long)total);
	for (unsigned i = 0; i < BFS_ARRAY_SIZE(sizes) && !found; i++)
		if ((!block_size || sizes[i] == block_size) && start * 2048 % sizes[i] == 0)
			found = find_anchor(r, sizes[i], total, start, b) == 0;
	if (!found)
		return BFS_CORRUPT(
			r->diag,
			"UDF: no anchor volume descriptor at the session's block 256, or at N-256 or N-1 (N = %llu sectors)",
			(unsigned long long)total);
	if (volume_load(r, b, b + 4096) < 0)
		return r->diag->err;
	return fileset_load(r, b + 4096);
}
