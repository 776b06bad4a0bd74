/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UDF bridge writer (ECMA-167 3rd edition, OSTA UDF 1.02, 2.01 and 2.50). See
 * udf/writer.h for the calling sequence and ../shared/reference/formats.md section 4 for the
 * structures.
 *
 * One type-1 partition starts right after the AVDP at session start + 256 and runs to the
 * end of the file data, read-only access type; file data is shared with the ISO trees.
 * 1.02 and 2.01 keep the file set, ICBs and directories in the physical partition; 2.50
 * keeps them in a metadata partition whose metadata file and mirror file (separate copies,
 * duplicate flag set) are 32-block aligned, the mirror right after the metadata file.
 *
 * Every node gets one metadata extent: its (E)FE block, followed by its directory data or
 * symlink data when that does not fit in the ICB. Hard links share the primary's ICB.
 * Device nodes need extended attributes and are skipped with a warning; FIFOs and sockets
 * are recorded.
 */
#include "udf/writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "common/bytes.h"
#include "common/charset.h"
#include "udf/layout.h"

#define UDF_MAX_EXTENT 0x3FFFF800ull /* below 2^30, whole blocks */
#define UDF_ALIGN_250  32u
#define UDF_NAME_MAX   255u /* bytes of a CS0 file identifier, compression id included */

enum udf_kind {
	UDF_EXT_VRS,
	UDF_EXT_VDS,  /* obj: (void *)0 main, 1 reserve */
	UDF_EXT_LVID, /* LVID + TD */
	UDF_EXT_AVDP,
	UDF_EXT_META_FE,    /* 2.50 metadata file EFE; obj 0 main, 1 mirror */
	UDF_EXT_FSD,	    /* FSD + TD; obj 0 main, 1 mirror */
	UDF_EXT_NODES,	    /* nodes back to back; obj: index in nodes of the first one */
	UDF_EXT_NODES_MIRR, /* 2.50 mirror copy of such a run */
};

/* Node runs are cut at this many blocks (512 KiB) unless one node is larger. */
#define UDF_RUN_BLOCKS 256u

/* One per recorded node; 40 bytes, grouped by size. */
struct udf_node {
	struct bfs_node *node;
	/*
	 * CS0 identifier in the parent, in the writer's arena; NULL when it is the 8-bit form
	 * of the node's own name (compression ID 8 + the name's bytes), which saves a copy
	 * for most names.
	 */
	const uint8_t *name;
	uint64_t data_len; /* directory FIDs / symlink components bytes */
	uint32_t lbn;	   /* (E)FE block, in the partition holding metadata */
	uint32_t uid;	   /* unique id (a 64-bit field on disc) */
	uint32_t blocks;   /* FE + data blocks */
	uint8_t name_len;
	bool embedded; /* data in the ICB */
	bool kept;     /* the earlier volume's entry at lbn (opts.prior): nothing to write */
};

struct udf_writer {
	struct udf_writer_opts opts;
	struct bfs_node *root;
	struct bfs_diag *diag;
	const struct bfs_volume_info *vi;
	struct bfs_extent_list extents;
	bool v2; /* 2.x: NSR03, EFE, descriptor version 3 */
	bool meta;
	uint64_t vrs_lba, vds_lba, rvds_lba, lvid_lba, avdp_lba, end_avdp_lba;
	uint64_t part_start, part_len;
	uint64_t meta_at;     /* the block after the anchor, where the file set begins */
	uint32_t fsd_lbn;     /* the file set descriptor's block, from meta_base */
	uint64_t meta_fe_lba; /* 2.50: physical LBA of the metadata file EFE */
	uint64_t meta_start, meta_blocks; /* 2.50: metadata file extent (absolute) */
	uint64_t mirror_start;
	/*
	 * Absolute LBA that LBN 0 of the metadata partition (or partition) would have if it
	 * were contiguous: an append's new metadata begins after the earlier file's blocks.
	 */
	uint64_t meta_base;
	bool reuse;		    /* opts.prior's entries are kept */
	uint64_t prior_meta_blocks; /* 2.50 with reuse: the earlier metadata file's length */
	uint64_t next_uid;
	uint64_t nfiles, ndirs;
	struct bfs_arena arena; /* names */
	struct udf_node *nodes; /* pre-order */
	size_t nnodes;
	size_t nodes_cap; /* counted before they are made: nodes never move */
	unsigned skipped;
};

/* ---- encoders ------------------------------------------------------------------------ */

/* Finish a descriptor tag at p; len is the whole descriptor size. */
static void tag_put(const struct udf_writer *w, uint8_t *p, uint16_t id, uint32_t loc, size_t len)
{
	uint8_t sum = 0;

	bfs_put_le16(p + 0, id);
	bfs_put_le16(p + 2, w->v2 ? 3 : 2);
	p[5] = 0;
	bfs_put_le16(p + 6, 1); /* serial */
	bfs_put_le16(p + 10, (uint16_t)(len - 16));
	bfs_put_le32(p + 12, loc);
	bfs_put_le16(p + 8, udf_crc_itu(p + 16, len - 16));
	for (int i = 0; i < 16; i++)
		if (i != 4)
			sum = (uint8_t)(sum + p[i]);
	p[4] = sum;
}

static void regid(uint8_t *p, const char *id, const uint8_t *suffix, size_t slen)
{
	memset(p, 0, 32);
	memcpy(p + 1, id, BFS_MIN(strlen(id), 23u));
	if (suffix)
		memcpy(p + 24, suffix, BFS_MIN(slen, 8u));
}

static void regid_udf(const struct udf_writer *w, uint8_t *p, const char *id)
{
	uint8_t s[8] = {0};

	bfs_put_le16(s, w->opts.revision);
	s[2] = 4; /* OS class UNIX */
	s[3] = 5; /* Linux */
	regid(p, id, s, sizeof(s));
}

static void regid_domain(const struct udf_writer *w, uint8_t *p)
{
	uint8_t s[8] = {0};

	bfs_put_le16(s, w->opts.revision);
	s[2] = 3; /* hard and soft write-protect */
	regid(p, "*OSTA UDF Compliant", s, sizeof(s));
}

static void regid_impl(uint8_t *p)
{
	uint8_t s[8] = {4, 5}; /* UNIX, Linux */

	regid(p, "*burnfs", s, sizeof(s));
}

static void charspec(uint8_t *p)
{
	memset(p, 0, 64);
	memcpy(p + 1, "OSTA Compressed Unicode", 23);
}

static void timestamp(uint8_t *p, const struct bfs_time *t)
{
	struct tm tm;
	time_t s = (time_t)t->sec;
	long y;

	memset(p, 0, 12);
	bfs_put_le16(p, 0x1000); /* local time, UTC offset 0 */
	if (!gmtime_r(&s, &tm))
		memset(&tm, 0, sizeof(tm));
	y = (long)tm.tm_year + 1900;
	if (y < 1 || y > 9999) {
		bfs_put_le16(p + 2, y < 1 ? 1 : 9999);
		p[4] = y < 1 ? 1 : 12;
		p[5] = y < 1 ? 1 : 31;
		return;
	}
	bfs_put_le16(p + 2, (uint16_t)y);
	p[4] = (uint8_t)(tm.tm_mon + 1);
	p[5] = (uint8_t)tm.tm_mday;
	p[6] = (uint8_t)tm.tm_hour;
	p[7] = (uint8_t)tm.tm_min;
	p[8] = (uint8_t)tm.tm_sec;
	p[9] = (uint8_t)(t->nsec / 10000000u);
	p[10] = (uint8_t)(t->nsec / 100000u % 100u);
	p[11] = (uint8_t)(t->nsec / 1000u % 100u);
}

/*
 * OSTA CS0 from raw (UTF-8) bytes: 8-bit form when every code point is <= U+00FF, else
 * 16-bit (UTF-16 BE). At most max bytes including the compression id; the tail of a longer
 * name is cut at a character boundary and *lossy is set (also for invalid UTF-8).
 */
static size_t cs0(const char *s, size_t len, uint8_t *out, size_t max, bool *lossy)
{
	size_t pos = 0, o = 1;
	bool wide = false;
	uint32_t cp;

	if (lossy)
		*lossy = false;
	while (pos < len) {
		if (!bfs_utf8_next((const uint8_t *)s, len, &pos, &cp) && lossy)
			*lossy = true;
		if (cp > 0xFF)
			wide = true;
	}
	out[0] = wide ? 16 : 8;
	pos = 0;
	while (pos < len) {
		(void)bfs_utf8_next((const uint8_t *)s, len, &pos, &cp);
		if (!wide) {
			if (o + 1 > max)
				goto cut;
			out[o++] = (uint8_t)cp;
		} else if (cp > 0xFFFF) {
			if (o + 4 > max)
				goto cut;
			cp -= 0x10000;
			bfs_put_be16(out + o, (uint16_t)(0xD800 | (cp >> 10)));
			bfs_put_be16(out + o + 2, (uint16_t)(0xDC00 | (cp & 0x3FF)));
			o += 4;
		} else {
			if (o + 2 > max)
				goto cut;
			bfs_put_be16(out + o, (uint16_t)cp);
			o += 2;
		}
	}
	return o;
cut:
	if (lossy)
		*lossy = true;
	return o;
}

/* A dstring field of n bytes. */
static void dstring(uint8_t *p, size_t n, const char *s)
{
	size_t l;

	memset(p, 0, n);
	if (!s || !*s)
		return;
	l = cs0(s, strlen(s), p, n - 1, NULL);
	p[n - 1] = (uint8_t)l;
}

static void long_ad(uint8_t *p, uint32_t len, uint32_t lbn, uint16_t part, uint32_t uid)
{
	memset(p, 0, 16);
	bfs_put_le32(p, len);
	bfs_put_le32(p + 4, lbn);
	bfs_put_le16(p + 8, part);
	bfs_put_le32(p + 12, uid);
}

/* ---- model ----------------------------------------------------------------------------- */

static struct udf_node *unode(const struct bfs_node *n)
{
	return n->fs_priv[BFS_SLOT_UDF];
}

static bool recorded(const struct bfs_node *n)
{
	return n->type != BFS_NODE_CHR && n->type != BFS_NODE_BLK;
}

static size_t fid_len(size_t name_len)
{
	return BFS_ROUND_UP(38 + name_len, 4u);
}

/* Symlink data: ECMA-167 4/14.16 path components. Returns the length; out may be NULL. */
static size_t symlink_data(const char *t, uint8_t *out)
{
	size_t tl = strlen(t), i = 0, o = 0;

	if (tl > 0 && t[0] == '/') {
		if (out)
			memset(out + o, 0, 4), out[o] = 1;
		o += 4;
		i = 1;
	}
	while (i < tl) {
		size_t clen = 0;
		const char *c = t + i;
		uint8_t buf[UDF_NAME_MAX];
		size_t l;

		while (i + clen < tl && t[i + clen] != '/')
			clen++;
		i += clen + 1;
		if (clen == 0)
			continue;
		if (clen == 1 && c[0] == '.') {
			if (out)
				memset(out + o, 0, 4), out[o] = 4;
			o += 4;
			continue;
		}
		if (clen == 2 && c[0] == '.' && c[1] == '.') {
			if (out)
				memset(out + o, 0, 4), out[o] = 3;
			o += 4;
			continue;
		}
		l = cs0(c, clen, buf, UDF_NAME_MAX, NULL);
		if (out) {
			out[o] = 5;
			out[o + 1] = (uint8_t)l;
			bfs_put_le16(out + o + 2, 0);
			memcpy(out + o + 4, buf, l);
		}
		o += 4 + l;
	}
	return o;
}

static size_t icb_header(const struct udf_writer *w)
{
	return w->v2 ? 216 : 176;
}

static int add_node(struct udf_writer *w, struct bfs_node *n)
{
	struct udf_node *u;

	if (w->nnodes == w->nodes_cap)
		return -EINVAL; /* the tree changed since it was counted */
	u = &w->nodes[w->nnodes++];
	u->node = n;
	n->fs_priv[BFS_SLOT_UDF] = u;
	return 0;
}

static int count(struct bfs_node *n, void *userdata)
{
	if (recorded(n))
		(*(size_t *)userdata)++;
	return 0;
}

static int visit(struct bfs_node *n, void *userdata)
{
	struct udf_writer *w = userdata;

	if (!recorded(n)) {
		_cleanup_free_ char *path = bfs_node_path(n);

		bfs_diag_warn(w->diag, "'%s': device node not recorded in UDF (Rock Ridge has it)",
			      path ? path : n->name);
		w->skipped++;
		return 0;
	}
	return add_node(w, n);
}

/* CS0 names of a directory's children, unique, with "~N" suffixes where needed. */
static int name_children(struct udf_writer *w, struct bfs_node *dir)
{
	struct bfs_strset seen = {0};
	struct bfs_node *c;
	size_t i;
	int r = 0;

	bfs_node_foreach_child(c, dir, i) {
		struct udf_node *u = unode(c);
		uint8_t name[UDF_NAME_MAX];
		bool lossy = false;

		if (!u)
			continue;
		for (unsigned sfx = 0;; sfx++) {
			char tmp[16];
			size_t l, tl;
			int added;

			if (sfx == 0) {
				l = cs0(c->name, c->name_len, name, UDF_NAME_MAX, &lossy);
			} else {
				/* cut the name so that the suffix fits in 255 bytes */
				tl = (size_t)snprintf(tmp, sizeof(tmp), "~%u", sfx);
				l = cs0(c->name, c->name_len, name,
					UDF_NAME_MAX - tl * (name[0] == 16 ? 2 : 1), NULL);
				for (size_t k = 0; k < tl; k++) {
					if (name[0] == 16) {
						bfs_put_be16(name + l, (uint16_t)tmp[k]);
						l += 2;
					} else {
						name[l++] = (uint8_t)tmp[k];
					}
				}
			}
			added = bfs_strset_add(&seen, name, l);
			if (added < 0) {
				r = -ENOMEM;
				goto out;
			}
			if (added && name[0] == 8 && l == (size_t)c->name_len + 1 &&
			    memcmp(name + 1, c->name, c->name_len) == 0) {
				u->name = NULL;
				u->name_len = (uint8_t)l;
				break;
			}
			if (added) {
				u->name = bfs_arena_memdup(&w->arena, name, l);
				if (!u->name) {
					r = -ENOMEM;
					goto out;
				}
				u->name_len = (uint8_t)l;
				break;
			}
		}
		if (lossy) {
			_cleanup_free_ char *path = bfs_node_path(c);

			bfs_diag_warn(w->diag,
				      "'%s': name is too long or not valid UTF-8 for UDF, "
				      "recorded shortened or with U+FFFD",
				      path ? path : c->name);
		}
	}
out:
	bfs_strset_done(&seen);
	return r;
}

/* Whether opts.prior's entries can be kept, and the first unique id of new entries. */
static void prior_setup(struct udf_writer *w, uint64_t *uid)
{
	const struct udf_prior *p = w->opts.prior;

	if (!p)
		return;
	*uid = BFS_MAX(*uid, p->next_uid);
	w->reuse = p->icb && p->revision == w->opts.revision && w->opts.has_partition_start &&
		   p->part_start == w->opts.partition_start &&
		   (!w->meta ||
		    (p->nmeta && p->nmeta < UDF_PRIOR_RUNS_MAX && p->nmirror < UDF_PRIOR_RUNS_MAX));
	if (w->reuse && w->meta)
		w->prior_meta_blocks = p->meta_blocks;
}

/* An unchanged file whose earlier entry is still right (its link count too): kept. */
static bool keep_entry(struct udf_writer *w, struct udf_node *u)
{
	const struct bfs_node *n = u->node;
	struct udf_prior_icb pi;

	if (!w->reuse || n->type != BFS_NODE_FILE || !(n->flags & BFS_NODE_PRIOR) ||
	    w->opts.prior->icb(n, w->opts.prior->userdata, &pi) < 0 || pi.nlink != n->nlink)
		return false;
	if (w->meta && pi.lbn >= w->prior_meta_blocks)
		return false; /* not in the earlier metadata file: a damaged volume */
	u->lbn = pi.lbn;
	u->uid = (uint32_t)pi.unique_id;
	u->kept = true;
	return true;
}

int udf_writer_new(const struct udf_writer_opts *opts, struct bfs_node *root, struct bfs_diag *diag,
		   struct udf_writer **ret)
{
	_cleanup_(udf_writer_freep) struct udf_writer *w = NULL;
	uint64_t uid = 16;
	int r;

	if (!opts ||
	    (opts->revision != 0x0102 && opts->revision != 0x0201 && opts->revision != 0x0250))
		return bfs_diag_set(diag, -EINVAL, "UDF: revision must be 1.02, 2.01 or 2.50");
	w = bfs_new(struct udf_writer, 1);
	if (!w)
		return -ENOMEM;
	w->opts = *opts;
	w->root = root;
	w->diag = diag;
	w->v2 = opts->revision >= 0x0200;
	w->meta = opts->revision >= 0x0250;
	prior_setup(w, &uid);
	(void)bfs_node_walk(root, count, &w->nodes_cap);
	w->nodes = bfs_new(struct udf_node, w->nodes_cap);
	if (!w->nodes)
		return -ENOMEM;
	r = bfs_node_walk(root, visit, w);
	if (r < 0)
		return r;
	for (size_t i = 0; i < w->nnodes; i++) {
		struct udf_node *u = &w->nodes[i];
		struct bfs_node *n = u->node, *c;
		size_t k;

		if (n->link_primary || keep_entry(w, u)) {
			u->blocks = 0; /* shares the primary's ICB, or the earlier volume's */
			w->nfiles++;
			continue;
		}
		u->uid = n == root ? 0 : uid++;
		u->blocks = 1;
		if (n->type == BFS_NODE_DIR) {
			r = name_children(w, n);
			if (r < 0)
				return r;
			u->data_len = 40; /* parent FID */
			bfs_node_foreach_child(c, n, k) {
				if (!unode(c))
					continue;
				u->data_len += fid_len(unode(c)->name_len);
			}
			u->blocks += (uint32_t)BFS_DIV_ROUND_UP(u->data_len, BFS_BLOCK_SIZE);
			w->ndirs++;
		} else if (n->type == BFS_NODE_SYMLINK) {
			u->data_len = symlink_data(n->target ? n->target : "", NULL);
			u->embedded = u->data_len <= BFS_BLOCK_SIZE - icb_header(w);
			if (!u->embedded)
				u->blocks +=
					(uint32_t)BFS_DIV_ROUND_UP(u->data_len, BFS_BLOCK_SIZE);
			w->nfiles++;
		} else {
			if (n->type == BFS_NODE_FILE &&
			    BFS_DIV_ROUND_UP(n->size, UDF_MAX_EXTENT) * (w->meta ? 16 : 8) >
				    BFS_BLOCK_SIZE - icb_header(w)) {
				_cleanup_free_ char *path = bfs_node_path(n);

				return bfs_diag_set(diag, -EFBIG, "'%s': file too large for UDF",
						    path ? path : n->name);
			}
			w->nfiles++;
		}
	}
	w->next_uid = uid;
	*ret = TAKE_PTR(w);
	return 0;
}

struct udf_writer *udf_writer_free(struct udf_writer *w)
{
	if (!w)
		return NULL;
	for (size_t i = 0; i < w->nnodes; i++) {
		w->nodes[i].node->fs_priv[BFS_SLOT_UDF] = NULL;
	}
	free(w->nodes);
	bfs_arena_done(&w->arena);
	bfs_extent_list_done(&w->extents);
	free(w);
	return NULL;
}

/* ---- plan -------------------------------------------------------------------------------- */

int udf_writer_plan_vrs(struct udf_writer *w, uint64_t *cursor)
{
	w->vrs_lba = *cursor;
	*cursor += 3;
	return bfs_extent_list_add(&w->extents, w->vrs_lba, 3, UDF_EXT_VRS, NULL);
}

int udf_writer_plan_vds(struct udf_writer *w, uint64_t session_start, uint64_t *cursor)
{
	int r;

	w->vds_lba = BFS_MAX(*cursor, session_start + 32);
	w->rvds_lba = w->vds_lba + 16;
	w->lvid_lba = w->rvds_lba + 16;
	w->avdp_lba = session_start + 256;
	if (w->lvid_lba + 2 > w->avdp_lba)
		return bfs_diag_set(w->diag, -ENOSPC, "UDF: no room for the VDS below block %llu",
				    (unsigned long long)w->avdp_lba);
	r = bfs_extent_list_add(&w->extents, w->vds_lba, 6, UDF_EXT_VDS, (void *)0);
	if (r == 0)
		r = bfs_extent_list_add(&w->extents, w->rvds_lba, 6, UDF_EXT_VDS, (void *)1);
	if (r == 0)
		r = bfs_extent_list_add(&w->extents, w->lvid_lba, 2, UDF_EXT_LVID, NULL);
	if (r == 0)
		r = bfs_extent_list_add(&w->extents, w->avdp_lba, 1, UDF_EXT_AVDP, NULL);
	*cursor = w->avdp_lba + 1;
	w->meta_at = *cursor;
	w->part_start = w->opts.has_partition_start ? w->opts.partition_start : *cursor;
	if (w->part_start > *cursor)
		return bfs_diag_set(w->diag, -EINVAL,
				    "UDF: partition start %llu lies after the session's anchor",
				    (unsigned long long)w->part_start);
	return r;
}

int udf_writer_plan_meta(struct udf_writer *w, uint64_t *cursor)
{
	uint64_t at;
	int r;

	if (*cursor != w->meta_at)
		return -EINVAL;
	if (w->meta) {
		w->meta_fe_lba = *cursor;
		r = bfs_extent_list_add(&w->extents, *cursor, 2, UDF_EXT_META_FE, NULL);
		if (r < 0)
			return r;
		*cursor += 2;
		*cursor = BFS_ROUND_UP(*cursor, UDF_ALIGN_250);
		w->meta_start = *cursor;
	}
	/*
	 * LBN 0: the metadata file's first block (an append's new blocks follow the earlier
	 * file's), else the partition's (an append's starts in the first session)
	 */
	w->meta_base = w->meta ? *cursor - w->prior_meta_blocks : w->part_start;
	w->fsd_lbn = (uint32_t)(*cursor - w->meta_base);
	at = *cursor;
	r = bfs_extent_list_add(&w->extents, at, 2, UDF_EXT_FSD, (void *)0);
	if (r < 0)
		return r;
	at += 2;
	for (size_t i = 0; i < w->nnodes;) {
		/* one extent per run of nodes: a few hundred, not one per file */
		uint64_t start = at;
		size_t first = i;

		for (; i < w->nnodes; i++) {
			struct udf_node *u = &w->nodes[i];

			if (at > start && at - start + u->blocks > UDF_RUN_BLOCKS)
				break;
			if (!u->kept)
				u->lbn = at - w->meta_base;
			at += u->blocks;
		}
		if (at > start) {
			r = bfs_extent_list_add(&w->extents, start, at - start, UDF_EXT_NODES,
						(void *)(uintptr_t)first);
			if (r < 0)
				return r;
		}
	}
	if (w->meta) {
		/*
		 * The mirror follows the metadata file rather than the file data: 7-Zip treats
		 * anything but zeros and anchors after the last file extent as a damaged
		 * volume, and a separate copy still survives a bad block in the main one.
		 */
		w->meta_blocks = BFS_ROUND_UP(at - w->meta_start, UDF_ALIGN_250);
		w->mirror_start = w->meta_start + w->meta_blocks;
		r = bfs_extent_list_add(&w->extents, w->mirror_start, 2, UDF_EXT_FSD, (void *)1);
		if (r < 0)
			return r;
		for (size_t i = 0; i < w->extents.n; i++) {
			const struct bfs_extent *e = &w->extents.v[i];

			if (e->kind != UDF_EXT_NODES)
				continue;
			r = bfs_extent_list_add(&w->extents,
						w->mirror_start + (e->lba - w->meta_start),
						e->nblocks, UDF_EXT_NODES_MIRR, e->obj);
			if (r < 0)
				return r;
		}
		at = w->mirror_start + w->meta_blocks;
	}
	*cursor = at;
	return 0;
}

int udf_writer_plan_tail(struct udf_writer *w, uint64_t *cursor)
{
	w->part_len = *cursor - w->part_start;
	w->end_avdp_lba = *cursor;
	*cursor += 1;
	if (*cursor > UINT32_MAX)
		return bfs_diag_set(w->diag, -EFBIG, "UDF: volume beyond 2^32 blocks");
	return bfs_extent_list_add(&w->extents, w->end_avdp_lba, 1, UDF_EXT_AVDP, NULL);
}

int udf_writer_finish(struct udf_writer *w, const struct bfs_volume_info *vi)
{
	for (size_t i = 0; i < w->nnodes; i++) {
		const struct bfs_node *n = w->nodes[i].node;

		if (n->type == BFS_NODE_FILE && n->size > 0 && !n->link_primary &&
		    (n->data_lba < w->part_start ||
		     n->data_lba + BFS_DIV_ROUND_UP(n->size, BFS_BLOCK_SIZE) >
			     w->part_start + w->part_len))
			return bfs_diag_set(w->diag, -EINVAL,
					    "UDF: file data of '%s' outside the partition",
					    n->name);
	}
	w->vi = vi;
	return 0;
}

const struct bfs_extent_list *udf_writer_extents(const struct udf_writer *w)
{
	return &w->extents;
}

/* ---- fill ---------------------------------------------------------------------------------- */

static uint16_t meta_ref(const struct udf_writer *w)
{
	return w->meta ? 1 : 0;
}

static void fill_vrs(struct udf_writer *w, uint8_t *b)
{
	static const char *const ids[3] = {"BEA01", NULL, "TEA01"};

	for (int i = 0; i < 3; i++) {
		uint8_t *p = b + i * BFS_BLOCK_SIZE;

		p[0] = 0;
		memcpy(p + 1, ids[i] ? ids[i] : (w->v2 ? "NSR03" : "NSR02"), 5);
		p[6] = 1;
	}
}

static void fill_vds(struct udf_writer *w, uint64_t lba, uint8_t *b)
{
	const struct bfs_volume_info *vi = w->vi;
	uint8_t *p;
	char vsid[64];
	uint32_t mtl = w->meta ? 6 + 64 : 6;

	/* PVD */
	p = b;
	bfs_put_le32(p + 16, 0);
	bfs_put_le32(p + 20, 0);
	dstring(p + 24, 32, vi->volume_id);
	bfs_put_le16(p + 56, 1);
	bfs_put_le16(p + 58, 1);
	bfs_put_le16(p + 60, 2);
	bfs_put_le16(p + 62, 3);
	bfs_put_le32(p + 64, 1);
	bfs_put_le32(p + 68, 1);
	snprintf(vsid, sizeof(vsid), "%016llX%s", (unsigned long long)vi->uuid, vi->volume_id);
	dstring(p + 72, 128, vsid);
	charspec(p + 200);
	charspec(p + 264);
	regid(p + 344, "*burnfs", NULL, 0);
	timestamp(p + 376, &vi->create_time);
	regid_impl(p + 388);
	bfs_put_le16(p + 488, 1);
	tag_put(w, p, UDF_TAG_PVD, (uint32_t)lba, 512);

	/* IUVD */
	p = b + BFS_BLOCK_SIZE;
	bfs_put_le32(p + 16, 1);
	regid_udf(w, p + 20, "*UDF LV Info");
	charspec(p + 52);
	dstring(p + 116, 128, vi->volume_id);
	dstring(p + 244, 36, vi->preparer);
	dstring(p + 280, 36, NULL);
	dstring(p + 316, 36, NULL);
	regid_impl(p + 352);
	tag_put(w, p, UDF_TAG_IUVD, (uint32_t)lba + 1, 512);

	/* PD */
	p = b + 2 * BFS_BLOCK_SIZE;
	bfs_put_le32(p + 16, 2);
	bfs_put_le16(p + 20, 1);
	bfs_put_le16(p + 22, 0);
	regid(p + 24, w->v2 ? "+NSR03" : "+NSR02", NULL, 0);
	bfs_put_le32(p + 184, 1); /* read-only */
	bfs_put_le32(p + 188, (uint32_t)w->part_start);
	bfs_put_le32(p + 192, (uint32_t)w->part_len);
	regid_impl(p + 196);
	tag_put(w, p, UDF_TAG_PD, (uint32_t)lba + 2, 512);

	/* LVD */
	p = b + 3 * BFS_BLOCK_SIZE;
	bfs_put_le32(p + 16, 3);
	charspec(p + 20);
	dstring(p + 84, 128, vi->volume_id);
	bfs_put_le32(p + 212, BFS_BLOCK_SIZE);
	regid_domain(w, p + 216);
	long_ad(p + 248, BFS_BLOCK_SIZE, w->fsd_lbn, meta_ref(w), 0);
	bfs_put_le32(p + 264, mtl);
	bfs_put_le32(p + 268, w->meta ? 2 : 1);
	regid_impl(p + 272);
	bfs_put_le32(p + 432, 2 * BFS_BLOCK_SIZE);
	bfs_put_le32(p + 436, (uint32_t)w->lvid_lba);
	p[440] = 1;
	p[441] = 6;
	bfs_put_le16(p + 442, 1);
	bfs_put_le16(p + 444, 0);
	if (w->meta) {
		uint8_t *m = p + 446;

		m[0] = 2;
		m[1] = 64;
		regid_udf(w, m + 4, "*UDF Metadata Partition");
		bfs_put_le16(m + 36, 1);
		bfs_put_le16(m + 38, 0);
		bfs_put_le32(m + 40, (uint32_t)(w->meta_fe_lba - w->part_start));
		bfs_put_le32(m + 44, (uint32_t)(w->meta_fe_lba + 1 - w->part_start));
		bfs_put_le32(m + 48, 0xFFFFFFFF);
		bfs_put_le32(m + 52, UDF_ALIGN_250);
		bfs_put_le16(m + 56, UDF_ALIGN_250);
		m[58] = 1; /* duplicate metadata: the mirror is its own copy */
	}
	tag_put(w, p, UDF_TAG_LVD, (uint32_t)lba + 3, 440 + mtl);

	/* USD */
	p = b + 4 * BFS_BLOCK_SIZE;
	bfs_put_le32(p + 16, 4);
	tag_put(w, p, UDF_TAG_USD, (uint32_t)lba + 4, 24);

	/* TD */
	p = b + 5 * BFS_BLOCK_SIZE;
	tag_put(w, p, UDF_TAG_TD, (uint32_t)lba + 5, 512);
}

static void fill_lvid(struct udf_writer *w, uint8_t *b)
{
	uint32_t n = w->meta ? 2 : 1;
	uint8_t *iu;

	timestamp(b + 16, &w->vi->create_time);
	bfs_put_le32(b + 28, 1); /* closed */
	bfs_put_le64(b + 40, w->next_uid);
	bfs_put_le32(b + 72, n);
	bfs_put_le32(b + 76, 46);
	/* free space 0 everywhere; sizes */
	bfs_put_le32(b + 80 + 4 * n, (uint32_t)w->part_len);
	if (w->meta)
		bfs_put_le32(b + 80 + 4 * n + 4, (uint32_t)w->meta_blocks);
	iu = b + 80 + 8 * n;
	regid_impl(iu);
	bfs_put_le32(iu + 32, (uint32_t)w->nfiles);
	bfs_put_le32(iu + 36, (uint32_t)w->ndirs);
	bfs_put_le16(iu + 40, w->opts.revision);
	bfs_put_le16(iu + 42, w->opts.revision);
	bfs_put_le16(iu + 44, w->opts.revision);
	tag_put(w, b, UDF_TAG_LVID, (uint32_t)w->lvid_lba, 80 + 8 * n + 46);
	tag_put(w, b + BFS_BLOCK_SIZE, UDF_TAG_TD, (uint32_t)w->lvid_lba + 1, 512);
}

static void fill_avdp(struct udf_writer *w, uint64_t lba, uint8_t *b)
{
	bfs_put_le32(b + 16, 16 * BFS_BLOCK_SIZE);
	bfs_put_le32(b + 20, (uint32_t)w->vds_lba);
	bfs_put_le32(b + 24, 16 * BFS_BLOCK_SIZE);
	bfs_put_le32(b + 28, (uint32_t)w->rvds_lba);
	tag_put(w, b, UDF_TAG_AVDP, (uint32_t)lba, 512);
}

static void fill_fsd(struct udf_writer *w, uint8_t *b)
{
	const struct bfs_volume_info *vi = w->vi;

	timestamp(b + 16, &vi->create_time);
	bfs_put_le16(b + 28, 3);
	bfs_put_le16(b + 30, 3);
	bfs_put_le32(b + 32, 1);
	bfs_put_le32(b + 36, 1);
	charspec(b + 48);
	dstring(b + 112, 128, vi->volume_id);
	charspec(b + 240);
	dstring(b + 304, 32, vi->volume_id);
	long_ad(b + 400, BFS_BLOCK_SIZE, (uint32_t)unode(w->root)->lbn, meta_ref(w), 0);
	regid_domain(w, b + 416);
	tag_put(w, b, UDF_TAG_FSD, w->fsd_lbn, 512);
	tag_put(w, b + BFS_BLOCK_SIZE, UDF_TAG_TD, w->fsd_lbn + 1, 512);
}

static uint32_t permissions(uint32_t mode)
{
	/* ECMA-167 4/14.9.5: other bits 0-4, group 5-9, owner 10-14 (X W R ChAttr Delete) */
	return (mode & 07) | ((mode & 070) << 2) | ((mode & 0700) << 4);
}

static uint8_t file_type(const struct bfs_node *n)
{
	switch (n->type) {
	case BFS_NODE_DIR:
		return 4;
	case BFS_NODE_SYMLINK:
		return 12;
	case BFS_NODE_FIFO:
		return 9;
	case BFS_NODE_SOCK:
		return 10;
	default:
		return 5;
	}
}

/*
 * Render an (E)FE. ads/nads: allocation descriptors (already encoded) or embedded data
 * with ad_type 3. lbn is the block's address in its partition.
 */
static void fill_fe(struct udf_writer *w, const struct bfs_node *n, const struct udf_node *u,
		    uint8_t *b, uint32_t lbn, uint16_t ad_type, const uint8_t *ad, size_t ad_len,
		    uint64_t info_len, uint64_t lbr)
{
	size_t h = icb_header(w);
	uint16_t flags = ad_type;
	uint32_t links = n->type == BFS_NODE_DIR ? n->nlink - 1 : n->nlink;

	if (n->mode & 04000)
		flags |= 1u << 6;
	if (n->mode & 02000)
		flags |= 1u << 7;
	if (n->mode & 01000)
		flags |= 1u << 8;
	memset(b, 0, BFS_BLOCK_SIZE);
	/* ICB tag */
	bfs_put_le16(b + 16 + 4, 4);
	bfs_put_le16(b + 16 + 8, 1);
	b[16 + 11] = file_type(n);
	bfs_put_le16(b + 16 + 18, flags);
	bfs_put_le32(b + 36, n->uid);
	bfs_put_le32(b + 40, n->gid);
	bfs_put_le32(b + 44, permissions(n->mode));
	bfs_put_le16(b + 48, (uint16_t)BFS_MIN(links, 0xFFFFu));
	bfs_put_le64(b + 56, info_len);
	if (w->v2) {
		bfs_put_le64(b + 64, info_len);
		bfs_put_le64(b + 72, lbr);
		timestamp(b + 80, &n->atime);
		timestamp(b + 92, &n->mtime);
		timestamp(b + 104, &n->mtime);
		timestamp(b + 116, &n->ctime);
		bfs_put_le32(b + 128, 1);
		regid_impl(b + 168);
		bfs_put_le64(b + 200, u->uid);
		bfs_put_le32(b + 212, (uint32_t)ad_len);
	} else {
		bfs_put_le64(b + 64, lbr);
		timestamp(b + 72, &n->atime);
		timestamp(b + 84, &n->mtime);
		timestamp(b + 96, &n->ctime);
		bfs_put_le32(b + 108, 1);
		regid_impl(b + 128);
		bfs_put_le64(b + 160, u->uid);
		bfs_put_le32(b + 172, (uint32_t)ad_len);
	}
	memcpy(b + h, ad, ad_len);
	tag_put(w, b, w->v2 ? UDF_TAG_EFE : UDF_TAG_FE, lbn, h + ad_len);
}

/* Short ADs for a run of blocks at LBN lbn holding len bytes. */
static size_t short_ads(uint8_t *ad, uint64_t lbn, uint64_t len)
{
	size_t o = 0;

	while (len > 0) {
		uint64_t l = BFS_MIN(len, UDF_MAX_EXTENT);

		bfs_put_le32(ad + o, (uint32_t)l);
		bfs_put_le32(ad + o + 4, (uint32_t)lbn);
		o += 8;
		lbn += l / BFS_BLOCK_SIZE;
		len -= l;
	}
	return o;
}

static size_t long_ads(uint8_t *ad, uint64_t lbn, uint64_t len, uint16_t part)
{
	size_t o = 0;

	while (len > 0) {
		uint64_t l = BFS_MIN(len, UDF_MAX_EXTENT);

		long_ad(ad + o, (uint32_t)l, (uint32_t)lbn, part, 0);
		o += 16;
		lbn += l / BFS_BLOCK_SIZE;
		len -= l;
	}
	return o;
}

static size_t put_fid(struct udf_writer *w, uint8_t *p, uint32_t tag_lbn, uint8_t chars,
		      const uint8_t *name, uint8_t name_len, const char *target_name,
		      const struct udf_node *target)
{
	size_t len = fid_len(name_len);

	memset(p, 0, len);
	bfs_put_le16(p + 16, 1);
	p[18] = chars;
	p[19] = name_len;
	long_ad(p + 20, BFS_BLOCK_SIZE, (uint32_t)target->lbn, meta_ref(w), (uint32_t)target->uid);
	bfs_put_le16(p + 36, 0);
	if (name) {
		memcpy(p + 38, name, name_len);
	} else if (name_len) { /* 8-bit form of the node's name */
		p[38] = 8;
		memcpy(p + 39, target_name, name_len - 1u);
	}
	tag_put(w, p, UDF_TAG_FID, tag_lbn, len);
	return len;
}

static int fill_node(struct udf_writer *w, struct udf_node *u, uint8_t *b)
{
	const struct bfs_node *n = u->node;
	uint8_t ad[BFS_BLOCK_SIZE] = {0};
	uint32_t lbn = (uint32_t)u->lbn;
	size_t adl = 0;

	memset(b, 0, (size_t)u->blocks * BFS_BLOCK_SIZE);
	if (n->type == BFS_NODE_DIR) {
		const struct bfs_node *c;
		const struct udf_node *parent = unode(n->parent ? n->parent : n);
		uint8_t *d = b + BFS_BLOCK_SIZE;
		size_t o = 0, k;

		o += put_fid(w, d, lbn + 1, 0x0A, NULL, 0, NULL, parent);
		bfs_node_foreach_child(c, n, k) {
			const struct udf_node *cu = unode(c);
			uint8_t chars = 0;

			if (!cu)
				continue;
			if (c->type == BFS_NODE_DIR)
				chars |= 0x02;
			if (c->flags & BFS_NODE_HIDDEN)
				chars |= 0x01;
			o += put_fid(w, d + o, lbn + 1 + (uint32_t)(o / BFS_BLOCK_SIZE), chars,
				     cu->name, cu->name_len, c->name, unode(bfs_node_data_node(c)));
		}
		adl = short_ads(ad, lbn + 1, u->data_len);
		fill_fe(w, n, u, b, lbn, 0, ad, adl, u->data_len,
			BFS_DIV_ROUND_UP(u->data_len, BFS_BLOCK_SIZE));
		return 0;
	}
	if (n->type == BFS_NODE_SYMLINK) {
		if (u->embedded) {
			(void)symlink_data(n->target ? n->target : "", ad);
			fill_fe(w, n, u, b, lbn, 3, ad, u->data_len, u->data_len, 0);
		} else {
			(void)symlink_data(n->target ? n->target : "", b + BFS_BLOCK_SIZE);
			adl = short_ads(ad, lbn + 1, u->data_len);
			fill_fe(w, n, u, b, lbn, 0, ad, adl, u->data_len,
				BFS_DIV_ROUND_UP(u->data_len, BFS_BLOCK_SIZE));
		}
		return 0;
	}
	if (n->type == BFS_NODE_FILE && n->size > 0) {
		uint64_t plbn = n->data_lba - w->part_start;

		if (w->meta)
			adl = long_ads(ad, plbn, n->size, 0);
		else
			adl = short_ads(ad, plbn, n->size);
		fill_fe(w, n, u, b, lbn, w->meta ? 1 : 0, ad, adl, n->size,
			BFS_DIV_ROUND_UP(n->size, BFS_BLOCK_SIZE));
		return 0;
	}
	fill_fe(w, n, u, b, lbn, 0, ad, 0, 0, 0);
	return 0;
}

/*
 * The short_ads of the metadata file (copy 0) or its mirror (1) into ad: an append's
 * earlier runs first, so that their blocks keep their numbers, then this session's extent.
 * Returns the bytes used.
 */
static size_t meta_ads(const struct udf_writer *w, unsigned copy, uint8_t *ad)
{
	const struct udf_prior *p = w->opts.prior;
	const struct udf_run *runs = NULL;
	size_t n = 0, o = 0;

	if (w->prior_meta_blocks) {
		/* an earlier volume without a mirror: its main file stands in for it */
		runs = copy && p->nmirror ? p->mirror : p->meta;
		n = copy && p->nmirror ? p->nmirror : p->nmeta;
	}
	for (size_t i = 0; i < n; i++, o += 8) {
		bfs_put_le32(ad + o, runs[i].blocks * BFS_BLOCK_SIZE);
		bfs_put_le32(ad + o + 4, runs[i].lbn);
	}
	bfs_put_le32(ad + o, (uint32_t)(w->meta_blocks * BFS_BLOCK_SIZE));
	bfs_put_le32(ad + o + 4,
		     (uint32_t)((copy ? w->mirror_start : w->meta_start) - w->part_start));
	return o + 8;
}

static void fill_meta_fe(struct udf_writer *w, uint8_t *b)
{
	uint64_t blocks = w->prior_meta_blocks + w->meta_blocks;

	for (unsigned i = 0; i < 2; i++) {
		uint8_t *p = b + i * BFS_BLOCK_SIZE;
		uint8_t ad[8 * (UDF_PRIOR_RUNS_MAX + 1)];
		struct bfs_node fake = {
			.type = BFS_NODE_FILE, .nlink = 1, .mtime = w->vi->create_time};
		struct udf_node u = {0};
		size_t adl = meta_ads(w, i, ad);

		fake.atime = fake.ctime = fake.mtime;
		fill_fe(w, &fake, &u, p, (uint32_t)(w->meta_fe_lba + i - w->part_start), 0, ad, adl,
			blocks * BFS_BLOCK_SIZE, blocks);
		p[16 + 11] = i ? 251 : 250;
		tag_put(w, p, UDF_TAG_EFE, (uint32_t)(w->meta_fe_lba + i - w->part_start),
			216 + adl);
	}
}

static int fill_nodes(struct udf_writer *w, const struct bfs_extent *e, uint8_t *buf)
{
	uint64_t done = 0;

	for (size_t i = (uintptr_t)e->obj; i < w->nnodes && done < e->nblocks; i++) {
		struct udf_node *u = &w->nodes[i];
		int r;

		if (!u->blocks)
			continue;
		r = fill_node(w, u, buf + done * BFS_BLOCK_SIZE);
		if (r < 0)
			return r;
		done += u->blocks;
	}
	return done == e->nblocks ? 0 : -EINVAL;
}

int udf_writer_fill(struct udf_writer *w, const struct bfs_extent *e, uint8_t *buf)
{
	memset(buf, 0, e->nblocks * BFS_BLOCK_SIZE);
	if (!w->vi)
		return -EINVAL;
	switch (e->kind) {
	case UDF_EXT_VRS:
		fill_vrs(w, buf);
		return 0;
	case UDF_EXT_VDS:
		fill_vds(w, e->lba, buf);
		return 0;
	case UDF_EXT_LVID:
		fill_lvid(w, buf);
		return 0;
	case UDF_EXT_AVDP:
		fill_avdp(w, e->lba, buf);
		return 0;
	case UDF_EXT_META_FE:
		fill_meta_fe(w, buf);
		return 0;
	case UDF_EXT_FSD:
		fill_fsd(w, buf);
		return 0;
	case UDF_EXT_NODES:
	case UDF_EXT_NODES_MIRR:
		return fill_nodes(w, e, buf);
	default:
		return -EINVAL;
	}
}
