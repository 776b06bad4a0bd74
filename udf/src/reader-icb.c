/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UDF reader: ICBs. File Entries and Extended File Entries (ECMA-167 4/14.9, 4/14.17),
 * indirect entries of strategy 4096 (4/14.7), and the allocation descriptors with their
 * chains of Allocation Extent Descriptors (4/14.5, 4/14.14).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/civil.h"
#include "reader-internal.h"

/* 1/7.3: type and time zone, year, month, day, hour, minute, second, centi-, hundreds of
 * micro-, microseconds; the zone in minutes east of UTC (-2047: none given) */
static struct bfs_time timestamp(const uint8_t *p)
{
	uint16_t tz = bfs_get_le16(p + UDF_TS_TYPE_TZ);
	int32_t y = (int16_t)bfs_get_le16(p + UDF_TS_YEAR), m = p[UDF_TS_MONTH], d = p[UDF_TS_DAY];
	int32_t off = 0;
	struct bfs_time t = {0};
	int64_t days;

	if (m < 1 || m > 12 || d < 1 || d > 31)
		return t;
	if ((tz >> 12) == 1) {
		off = tz & 0x0FFF;
		off = off >= 0x800 ? off - 0x1000 : off;
		off = off == -2047 ? 0 : off;
	}
	days = bfs_days_from_civil(y, (unsigned)m, (unsigned)d);
	t.sec = days * 86400 + BFS_MIN(p[UDF_TS_HOUR], 23u) * 3600 +
		BFS_MIN(p[UDF_TS_MINUTE], 59u) * 60 + BFS_MIN(p[UDF_TS_SECOND], 60u) -
		(int64_t)off * 60;
	t.nsec = (uint32_t)(BFS_MIN(p[UDF_TS_CENTISEC], 99u) * 10000000u +
			    BFS_MIN(p[UDF_TS_HUNDRED_US], 99u) * 100000u +
			    BFS_MIN(p[UDF_TS_MICROSEC], 99u) * 1000u);
	return t;
}

static enum bfs_node_type node_type(uint8_t ft)
{
	switch (ft) {
	case UDF_FT_DIR:
		return BFS_NODE_DIR;
	case UDF_FT_BLK:
		return BFS_NODE_BLK;
	case UDF_FT_CHR:
		return BFS_NODE_CHR;
	case UDF_FT_FIFO:
		return BFS_NODE_FIFO;
	case UDF_FT_SOCK:
		return BFS_NODE_SOCK;
	case UDF_FT_SYMLINK:
		return BFS_NODE_SYMLINK;
	default: /* 5, 0 (unspecified), 249 (real-time), and the VAT and metadata files */
		return BFS_NODE_FILE;
	}
}

/* 4/14.9.5: other bits 0-2, group 5-7, owner 10-12 (execute, write, read) */
static uint32_t mode_of(uint32_t perms, uint16_t flags)
{
	uint32_t mode = (perms & 07) | ((perms >> 5) & 07) << 3 | ((perms >> 10) & 07) << 6;

	mode |= flags & (1u << 6) ? 04000 : 0;
	mode |= flags & (1u << 7) ? 02000 : 0;
	mode |= flags & (1u << 8) ? 01000 : 0;
	return mode;
}

static void fe_times(const uint8_t *b, bool efe, struct udf_entry *e)
{
	e->atime = timestamp(b + (efe ? UDF_EFE_ATIME : UDF_FE_ATIME));
	e->mtime = timestamp(b + (efe ? UDF_EFE_MTIME : UDF_FE_MTIME));
	e->ctime = timestamp(b + (efe ? UDF_EFE_ATTRTIME : UDF_FE_ATTRTIME));
	if (efe)
		e->btime = timestamp(b + UDF_EFE_BTIME);
}

/* A device's numbers from the Device Specification among its extended attributes; an
 * attribute area that does not check out leaves them 0 with a warning */
static void fe_device(struct udf_reader *r, const uint8_t *ea, uint32_t lea, struct udf_entry *e)
{
	static const uint16_t ids[] = {UDF_TAG_EAHD_ID};
	struct bfs_diag quiet = {0}, *saved = r->diag;
	int ret;

	if (lea < UDF_EAHD_SIZE) {
		bfs_diag_warn(
			r->diag,
			"UDF: device at block %u: no extended attributes, so no device numbers",
			e->icb_lbn);
		return;
	}
	r->diag = &quiet;
	ret = udf_tag_check(r, ea, lea, ids, 1, e->icb_lbn, "extended attribute header",
			    e->icb_lbn);
	r->diag = saved;
	for (uint32_t o = UDF_EAHD_SIZE; ret >= 0 && o + 12 <= lea;) {
		uint32_t len = bfs_get_le32(ea + o + UDF_EA_LEN);

		if (len < 12 || len > lea - o)
			break;
		if (bfs_get_le32(ea + o + UDF_EA_TYPE) == UDF_EA_DEVICE && len >= 24) {
			e->rdev_major = bfs_get_le32(ea + o + UDF_EA_DEVICE_MAJOR);
			e->rdev_minor = bfs_get_le32(ea + o + UDF_EA_DEVICE_MINOR);
			return;
		}
		o += len;
	}
	bfs_diag_warn(r->diag, "UDF: device at block %u: %s, so no device numbers", e->icb_lbn,
		      ret < 0 ? bfs_diag_msg(&quiet, ret) : "no device specification attribute");
}

static int fe_data(struct udf_reader *r, const uint8_t *b, struct udf_entry *e, uint64_t at)
{
	size_t base = e->efe ? UDF_EFE_SIZE : UDF_FE_SIZE;
	uint32_t lea = bfs_get_le32(b + (e->efe ? UDF_EFE_L_EA : UDF_FE_L_EA));
	uint32_t lad = bfs_get_le32(b + (e->efe ? UDF_EFE_L_AD : UDF_FE_L_AD));
	unsigned form = bfs_get_le16(b + UDF_ICB_FLAGS) & 7;

	if ((uint64_t)base + lea + lad > r->bs)
		return BFS_CORRUPT(
			r->diag,
			"UDF: %s at block %llu: %u bytes of extended attributes and %u of allocation descriptors past its block",
			e->efe ? "EFE" : "FE", (unsigned long long)at, lea, lad);
	if (e->type == BFS_NODE_CHR || e->type == BFS_NODE_BLK)
		fe_device(r, b + base, lea, e);
	if (form != UDF_AD_EMBEDDED)
		return udf_load_ads(r, e, b + base + lea, lad, form, e->icb_part);
	if (e->size > lad)
		return BFS_CORRUPT(r->diag,
				   "UDF: %s at block %llu: %llu bytes of embedded data in %u bytes",
				   e->efe ? "EFE" : "FE", (unsigned long long)at,
				   (unsigned long long)e->size, lad);
	e->inline_data = malloc(e->size + 1);
	if (!e->inline_data)
		return bfs_diag_set(r->diag, -ENOMEM, "UDF: embedded data");
	memcpy(e->inline_data, b + base + lea, (size_t)e->size);
	return 0;
}

static int fe_parse(struct udf_reader *r, const uint8_t *b, int id, struct udf_entry *e,
		    uint64_t at)
{
	uint16_t strategy = bfs_get_le16(b + UDF_ICB_STRATEGY);
	uint16_t links = bfs_get_le16(b + UDF_FE_LINKS);

	if (strategy != 4 && strategy != 4096)
		return BFS_CORRUPT(
			r->diag, "UDF: %s at block %llu: ICB strategy %u (4 and 4096 are read)",
			id == UDF_TAG_EFE ? "EFE" : "FE", (unsigned long long)at, strategy);
	e->efe = id == UDF_TAG_EFE;
	e->file_type = b[UDF_ICB_FILE_TYPE];
	e->type = node_type(e->file_type);
	e->uid = bfs_get_le32(b + UDF_FE_UID);
	e->gid = bfs_get_le32(b + UDF_FE_GID);
	e->mode = mode_of(bfs_get_le32(b + UDF_FE_PERMS), bfs_get_le16(b + UDF_ICB_FLAGS));
	/* a directory's count leaves out its own "." (UDF 2.3.6.1), as Linux reads it */
	e->nlink = (uint32_t)links + (e->type == BFS_NODE_DIR);
	e->size = bfs_get_le64(b + UDF_FE_INFO_LEN);
	e->unique_id = bfs_get_le64(b + (e->efe ? UDF_EFE_UNIQUE_ID : UDF_FE_UNIQUE_ID));
	fe_times(b, e->efe, e);
	if (e->type == BFS_NODE_DIR && e->size > UDF_DIR_MAX)
		return BFS_CORRUPT(r->diag, "UDF: directory at block %llu: %llu bytes (at most %u)",
				   (unsigned long long)at, (unsigned long long)e->size,
				   UDF_DIR_MAX);
	return fe_data(r, b, e, at);
}

/* Strategy 4096 (4/A.6): an indirect entry in the next block points at a newer ICB */
static bool next_indirect(struct udf_reader *r, uint16_t part, uint32_t lbn, uint16_t *npart,
			  uint32_t *nlbn)
{
	static const uint16_t ids[] = {UDF_TAG_IE};
	struct bfs_diag quiet = {0}, *saved = r->diag;
	_cleanup_free_ uint8_t *b = malloc(r->bs);
	int ret;

	if (!b || lbn == UINT32_MAX)
		return false;
	r->diag = &quiet;
	ret = udf_read_desc(r, part, lbn + 1, ids, 1, "indirect entry", b);
	r->diag = saved;
	if (ret < 0)
		return false;
	*nlbn = bfs_get_le32(b + UDF_IE_ICB + UDF_LONG_AD_LBN);
	*npart = bfs_get_le16(b + UDF_IE_ICB + UDF_LONG_AD_PART);
	return bfs_get_le32(b + UDF_IE_ICB) != 0; /* an empty pointer ends the chain */
}

int udf_load_entry(struct udf_reader *r, uint16_t part, uint32_t lbn, struct udf_entry *e)
{
	static const uint16_t ids[] = {UDF_TAG_FE, UDF_TAG_EFE, UDF_TAG_IE};
	_cleanup_free_ uint8_t *b = malloc(r->bs);
	uint64_t seen[UDF_ICB_HOPS_MAX];

	memset(e, 0, sizeof(*e));
	if (!b)
		return bfs_diag_set(r->diag, -ENOMEM, "UDF: ICB buffer");
	for (unsigned hops = 0;; hops++) {
		uint64_t key = (uint64_t)part << 32 | lbn;
		int id;

		for (unsigned i = 0; i < hops; i++)
			if (seen[i] == key)
				return BFS_CORRUPT(
					r->diag,
					"UDF: indirect entries loop back to block %u of partition %u",
					lbn, part);
		if (hops == UDF_ICB_HOPS_MAX)
			return BFS_CORRUPT(r->diag,
					   "UDF: more than %u indirect entries for one ICB",
					   UDF_ICB_HOPS_MAX);
		seen[hops] = key;
		id = udf_read_desc(r, part, lbn, ids, BFS_ARRAY_SIZE(ids), "ICB", b);
		if (id < 0)
			return id;
		if (id == UDF_TAG_IE) {
			lbn = bfs_get_le32(b + UDF_IE_ICB + UDF_LONG_AD_LBN);
			part = bfs_get_le16(b + UDF_IE_ICB + UDF_LONG_AD_PART);
			continue;
		}
		if (bfs_get_le16(b + UDF_ICB_STRATEGY) == 4096 &&
		    next_indirect(r, part, lbn, &part, &lbn))
			continue;
		e->icb_part = part;
		e->icb_lbn = lbn;
		if (fe_parse(r, b, id, e, lbn) < 0)
			return r->diag->err;
		return e->type == BFS_NODE_SYMLINK ? udf_symlink_target(r, e) : 0;
	}
}
