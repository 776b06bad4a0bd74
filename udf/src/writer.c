/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UDF bridge writer (ECMA-167 3rd edition, OSTA UDF 1.02, 2.01 and 2.50). See
 * udf/writer.h for the calling sequence, udf/layout.h for every field written (the reader
 * reads the same names) and ../shared/reference/formats.md section 4 for the structures.
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

#include "common/civil.h"
#include "common/arena.h"
#include "common/bytes.h"
#include "common/charset.h"
#include "common/log.h"
#include "udf/layout.h"

#define UDF_MAX_EXTENT 0x3FFFF800ull /* below 2^30, whole blocks */
#define UDF_ALIGN_250  32u
#define UDF_NAME_MAX   255u	  /* bytes of a CS0 file identifier, compression id included */
#define UDF_AD_HOLE    (2u << 30) /* extent type: neither recorded nor allocated, 4/14.14.1.1 */

enum udf_kind {
	UDF_EXT_VRS,
	UDF_EXT_VDS,  /* obj: (void *)0 main, 1 reserve */
	UDF_EXT_LVID, /* LVID + TD */
	UDF_EXT_AVDP,
	UDF_EXT_META_FE,    /* 2.50 metadata file EFE; obj 0 main, 1 mirror */
	UDF_EXT_FSD,	    /* FSD + TD; obj 0 main, 1 mirror */
	UDF_EXT_NODES,	    /* nodes back to back; obj: index in nodes of the first one */
	UDF_EXT_NODES_MIRR, /* 2.50 mirror copy of such a run */
	UDF_EXT_REMAP,	    /* 2.50: the (E)FEs of changed directories (w->remaps); obj 0, 1 */
};

/* Node runs are cut at this many blocks (512 KiB) unless one node is larger. */
#define UDF_RUN_BLOCKS 256u

/* One per recorded node; 48 bytes, grouped by size. */
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
	uint32_t blocks;   /* FE + data blocks; a remapped directory's data blocks */
	uint32_t data_lbn; /* a directory's FIDs (lbn + 1 unless remapped) */
	uint8_t name_len;
	bool embedded; /* data in the ICB */
	bool kept;     /* the earlier volume's entry at lbn (opts.prior): nothing to write */
	bool fixed;    /* a directory with the earlier volume's lbn and unique id (prior.dir) */
	/*
	 * ... whose new (E)FE lies in the remap extent, or is written in place (inplace), its
	 * FIDs in the runs
	 */
	bool remapped;
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
	bool remap;		    /* ... and its directories' block numbers (prior.dir) */
	bool linear;		    /* ... in a linear metadata file (prior.linear) */
	uint64_t prior_meta_blocks; /* 2.50 with reuse: the earlier metadata file's length */
	uint64_t lin_gap;	    /* linear: blocks between the earlier file's end and ours */
	bool inplace;		    /* ... changed ones written in place (prior.inplace) */
	struct udf_node **remaps;   /* the remapped directories, by their lbn */
	size_t nremap;
	size_t ndeferred; /* inplace: remaps holds the directories written in place instead */
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

	bfs_put_le16(p + UDF_TAG_ID, id);
	bfs_put_le16(p + UDF_TAG_VERSION, w->v2 ? 3 : 2);
	p[UDF_TAG_RESERVED] = 0;
	bfs_put_le16(p + UDF_TAG_SERIAL, 1);
	bfs_put_le16(p + UDF_TAG_CRC_LEN, (uint16_t)(len - UDF_TAG_SIZE));
	bfs_put_le32(p + UDF_TAG_LOCATION, loc);
	bfs_put_le16(p + UDF_TAG_CRC, udf_crc_itu(p + UDF_TAG_SIZE, len - UDF_TAG_SIZE));
	for (int i = 0; i < UDF_TAG_SIZE; i++)
		if (i != UDF_TAG_CHECKSUM)
			sum = (uint8_t)(sum + p[i]);
	p[UDF_TAG_CHECKSUM] = sum;
}

static void regid(uint8_t *p, const char *id, const uint8_t *suffix, size_t slen)
{
	memset(p, 0, UDF_REGID_SIZE);
	memcpy(p + UDF_REGID_ID, id, BFS_MIN(strlen(id), (size_t)UDF_REGID_ID_LEN));
	if (suffix)
		memcpy(p + UDF_REGID_SUFFIX, suffix, BFS_MIN(slen, (size_t)UDF_REGID_SUFFIX_LEN));
}

static void regid_udf(const struct udf_writer *w, uint8_t *p, const char *id)
{
	uint8_t s[UDF_REGID_SUFFIX_LEN] = {0};

	bfs_put_le16(s + UDF_UDF_SUFFIX_REV, w->opts.revision);
	s[UDF_UDF_SUFFIX_OS_CLASS] = UDF_OS_CLASS_UNIX;
	s[UDF_UDF_SUFFIX_OS_ID] = UDF_OS_ID_LINUX;
	regid(p, id, s, sizeof(s));
}

static void regid_domain(const struct udf_writer *w, uint8_t *p)
{
	uint8_t s[UDF_REGID_SUFFIX_LEN] = {0};

	bfs_put_le16(s + UDF_DOMAIN_SUFFIX_REV, w->opts.revision);
	s[UDF_DOMAIN_SUFFIX_FLAGS] = 3; /* hard and soft write-protect */
	regid(p, "*OSTA UDF Compliant", s, sizeof(s));
}

static void regid_impl(uint8_t *p)
{
	uint8_t s[UDF_REGID_SUFFIX_LEN] = {[UDF_IMPL_SUFFIX_OS_CLASS] = UDF_OS_CLASS_UNIX,
					   [UDF_IMPL_SUFFIX_OS_ID] = UDF_OS_ID_LINUX};

	regid(p, "*burnfs", s, sizeof(s));
}

static void charspec(uint8_t *p)
{
	memset(p, 0, UDF_CHARSPEC_SIZE);
	p[UDF_CHARSPEC_TYPE] = 0; /* CS0 */
	memcpy(p + UDF_CHARSPEC_INFO, "OSTA Compressed Unicode", 23);
}

static void timestamp(uint8_t *p, const struct bfs_time *t)
{
	struct bfs_civil c;
	int64_t y;

	memset(p, 0, UDF_TIMESTAMP_SIZE);
	bfs_put_le16(p + UDF_TS_TYPE_TZ, 0x1000); /* local time, UTC offset 0 */
	bfs_civil_from_time(t->sec, &c);	  /* gmtime_r() by arithmetic: 8% of an append */
	y = c.year;
	if (y < 1 || y > 9999) {
		bfs_put_le16(p + UDF_TS_YEAR, y < 1 ? 1 : 9999);
		p[UDF_TS_MONTH] = y < 1 ? 1 : 12;
		p[UDF_TS_DAY] = y < 1 ? 1 : 31;
		return;
	}
	bfs_put_le16(p + UDF_TS_YEAR, (uint16_t)y);
	p[UDF_TS_MONTH] = (uint8_t)c.month;
	p[UDF_TS_DAY] = (uint8_t)c.day;
	p[UDF_TS_HOUR] = (uint8_t)c.hour;
	p[UDF_TS_MINUTE] = (uint8_t)c.minute;
	p[UDF_TS_SECOND] = (uint8_t)c.second;
	p[UDF_TS_CENTISEC] = (uint8_t)(t->nsec / 10000000u);
	p[UDF_TS_HUNDRED_US] = (uint8_t)(t->nsec / 100000u % 100u);
	p[UDF_TS_MICROSEC] = (uint8_t)(t->nsec / 1000u % 100u);
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
	out[0] = wide ? UDF_CS0_16BIT : UDF_CS0_8BIT;
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
	memset(p, 0, UDF_LONG_AD_SIZE);
	bfs_put_le32(p + UDF_AD_LEN, len);
	bfs_put_le32(p + UDF_LONG_AD_LBN, lbn);
	bfs_put_le16(p + UDF_LONG_AD_PART, part);
	bfs_put_le32(p + UDF_LONG_AD_UNIQUE_ID, uid);
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
	return BFS_ROUND_UP(UDF_FID_SIZE + name_len, 4u);
}

/* One path component (4/14.16.1) at out + o, when out is not NULL; returns the end. */
static size_t component_put(uint8_t *out, size_t o, enum udf_pc_type type, const uint8_t *id,
			    size_t l)
{
	if (out) {
		out[o + UDF_PC_TYPE] = (uint8_t)type;
		out[o + UDF_PC_L_CI] = (uint8_t)l;
		bfs_put_le16(out + o + UDF_PC_VERSION, 0);
		if (l)
			memcpy(out + o + UDF_PC_SIZE, id, l);
	}
	return o + UDF_PC_SIZE + l;
}

/* Symlink data: ECMA-167 4/14.16 path components. Returns the length; out may be NULL. */
static size_t symlink_data(const char *t, uint8_t *out)
{
	size_t tl = strlen(t), i = 0, o = 0;

	if (tl > 0 && t[0] == '/') {
		o = component_put(out, o, UDF_PC_ROOT, NULL, 0);
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
			o = component_put(out, o, UDF_PC_CURRENT, NULL, 0);
			continue;
		}
		if (clen == 2 && c[0] == '.' && c[1] == '.') {
			o = component_put(out, o, UDF_PC_PARENT, NULL, 0);
			continue;
		}
		l = cs0(c, clen, buf, UDF_NAME_MAX, NULL);
		o = component_put(out, o, UDF_PC_NAMED, buf, l);
	}
	return o;
}

static size_t icb_header(const struct udf_writer *w)
{
	return w->v2 ? UDF_EFE_SIZE : UDF_FE_SIZE;
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
					UDF_NAME_MAX - tl * (name[0] == UDF_CS0_16BIT ? 2 : 1),
					NULL);
				for (size_t k = 0; k < tl; k++) {
					if (name[0] == UDF_CS0_16BIT) {
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
			if (added && name[0] == UDF_CS0_8BIT && l == (size_t)c->name_len + 1 &&
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

/*
 * Whether the earlier metadata file is linear: its first run recorded, and each recorded
 * block k at the first run's block + k (what libudfread reads, prior.linear).
 */
static bool prior_is_linear(const struct udf_prior *p)
{
	uint64_t off = 0;

	if (!p->nmeta || p->meta[0].lbn == UDF_RUN_HOLE)
		return false;
	for (size_t i = 0; i < p->nmeta; i++) {
		if (p->meta[i].lbn != UDF_RUN_HOLE && p->meta[i].lbn != p->meta[0].lbn + off)
			return false;
		off += p->meta[i].blocks;
	}
	return true;
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
		    (p->nmeta && p->nmeta < UDF_PRIOR_RUNS_MAX && p->nmirror < UDF_PRIOR_RUNS_MAX &&
		     (!p->linear || prior_is_linear(p))));
	if (!w->reuse || !w->meta)
		return;
	w->prior_meta_blocks = p->meta_blocks;
	w->linear = p->linear;
	w->remap = p->dir && p->dir_same && (!p->linear || p->inplace);
	w->inplace = p->linear && w->remap;
}

/* A directory that was one of the earlier volume's keeps its block and unique id. */
static bool dir_fix(struct udf_writer *w, struct udf_node *u)
{
	struct udf_prior_dir pd;

	if (!w->remap || w->opts.prior->dir(u->node, w->opts.prior->userdata, &pd) < 0 ||
	    pd.lbn >= w->prior_meta_blocks)
		return false;
	u->lbn = pd.lbn;
	u->uid = (uint32_t)pd.unique_id;
	u->fixed = true;
	return true;
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
		if (n->type != BFS_NODE_DIR || !dir_fix(w, u))
			u->uid = n == root ? 0 : uid++;
		u->blocks = 1;
		if (n->type == BFS_NODE_DIR) {
			r = name_children(w, n);
			if (r < 0)
				return r;
			u->data_len = fid_len(0); /* parent FID */
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
			    BFS_DIV_ROUND_UP(n->size, UDF_MAX_EXTENT) *
					    (w->meta ? UDF_LONG_AD_SIZE : UDF_SHORT_AD_SIZE) >
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

void udf_writer_set_diag(struct udf_writer *w, struct bfs_diag *diag)
{
	w->diag = diag;
}

struct udf_writer *udf_writer_free(struct udf_writer *w)
{
	if (!w)
		return NULL;
	for (size_t i = 0; i < w->nnodes; i++) {
		w->nodes[i].node->fs_priv[BFS_SLOT_UDF] = NULL;
	}
	free(w->nodes);
	free(w->remaps);
	bfs_arena_done(&w->arena);
	bfs_extent_list_done(&w->extents);
	free(w);
	return NULL;
}

static uint16_t meta_ref(const struct udf_writer *w)
{
	return w->meta ? 1 : 0;
}

static size_t put_fid(struct udf_writer *w, uint8_t *p, uint32_t tag_lbn, uint8_t chars,
		      const uint8_t *name, uint8_t name_len, const char *target_name,
		      const struct udf_node *target)
{
	size_t len = fid_len(name_len);

	memset(p, 0, len);
	bfs_put_le16(p + UDF_FID_VERSION, 1);
	p[UDF_FID_CHARS] = chars;
	p[UDF_FID_L_FI] = name_len;
	long_ad(p + UDF_FID_ICB, BFS_BLOCK_SIZE, (uint32_t)target->lbn, meta_ref(w),
		(uint32_t)target->uid);
	bfs_put_le16(p + UDF_FID_L_IU, 0);
	if (name) {
		memcpy(p + UDF_FID_SIZE, name, name_len);
	} else if (name_len) { /* 8-bit form of the node's name */
		p[UDF_FID_SIZE] = UDF_CS0_8BIT;
		memcpy(p + UDF_FID_SIZE + 1, target_name, name_len - 1u);
	}
	tag_put(w, p, UDF_TAG_FID, tag_lbn, len);
	return len;
}

/* Directory n's FIDs (its data_len bytes) at d, the first in block data_lbn. */
static void dir_fids(struct udf_writer *w, const struct bfs_node *n, uint32_t data_lbn, uint8_t *d)
{
	const struct bfs_node *c;
	const struct udf_node *parent = unode(n->parent ? n->parent : n);
	size_t o = 0, k;

	o += put_fid(w, d, data_lbn, UDF_FID_DIRECTORY | UDF_FID_PARENT, NULL, 0, NULL, parent);
	bfs_node_foreach_child(c, n, k) {
		const struct udf_node *cu = unode(c);
		uint8_t chars = 0;

		if (!cu)
			continue;
		if (c->type == BFS_NODE_DIR)
			chars |= UDF_FID_DIRECTORY;
		if (c->flags & BFS_NODE_HIDDEN)
			chars |= UDF_FID_HIDDEN;
		o += put_fid(w, d + o, data_lbn + (uint32_t)(o / BFS_BLOCK_SIZE), chars, cu->name,
			     cu->name_len, c->name, unode(bfs_node_data_node(c)));
	}
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

/* ---- the metadata file of an append (2.50) ------------------------------------------------- */

/* The runs of a metadata file, in the order of its blocks (lbn UDF_RUN_HOLE: a gap). */
struct meta_runs {
	struct udf_run v[UDF_PRIOR_RUNS_MAX];
	size_t n;
	bool full; /* more than UDF_PRIOR_RUNS_MAX: the next append could not read them */
};

#define RUN_BLOCKS_MAX (UDF_MAX_EXTENT / BFS_BLOCK_SIZE)

/* blocks at physical lbn (or a gap) appended to l, merged with the last run where it follows */
static void runs_add(struct meta_runs *l, uint32_t lbn, uint64_t blocks)
{
	bool hole = lbn == UDF_RUN_HOLE;

	while (blocks > 0) {
		struct udf_run *last = l->n ? &l->v[l->n - 1] : NULL;
		uint64_t take;

		if (last && (last->lbn == UDF_RUN_HOLE) == hole &&
		    (hole || (uint64_t)last->lbn + last->blocks == lbn) &&
		    last->blocks < RUN_BLOCKS_MAX) {
			take = BFS_MIN(blocks, RUN_BLOCKS_MAX - last->blocks);
			last->blocks += (uint32_t)take;
		} else if (l->n == UDF_PRIOR_RUNS_MAX) {
			l->full = true;
			return;
		} else {
			take = BFS_MIN(blocks, RUN_BLOCKS_MAX);
			l->v[l->n++] = (struct udf_run){.lbn = lbn, .blocks = (uint32_t)take};
		}
		blocks -= take;
		if (!hole)
			lbn += (uint32_t)take;
	}
}

/* The physical block (in the partition) of the i-th remapped (E)FE, in copy 0 or 1 */
static uint32_t remap_lbn(const struct udf_writer *w, unsigned copy, size_t i)
{
	return (uint32_t)((copy ? w->mirror_start : w->meta_start) + i - w->part_start);
}

/*
 * An earlier run r, metadata blocks [off, off + r->blocks), into l: the blocks of remapped
 * directories (from *k on, by block) point at their new (E)FEs instead.
 */
static void run_split(const struct udf_writer *w, unsigned copy, const struct udf_run *r,
		      uint64_t off, size_t *k, struct meta_runs *l)
{
	bool hole = r->lbn == UDF_RUN_HOLE;
	uint64_t at = off, end = off + r->blocks;

	for (; *k < w->nremap && w->remaps[*k]->lbn < end; ++*k) {
		uint32_t lbn = w->remaps[*k]->lbn;

		runs_add(l, hole ? UDF_RUN_HOLE : (uint32_t)(r->lbn + (at - off)), lbn - at);
		runs_add(l, remap_lbn(w, copy, *k), 1);
		at = lbn + 1u;
	}
	runs_add(l, hole ? UDF_RUN_HOLE : (uint32_t)(r->lbn + (at - off)), end - at);
}

/*
 * The runs of the metadata file (copy 0) or its mirror (1): an append's earlier runs
 * first, so that their blocks keep their numbers (those of remapped directories mapped to
 * their new entries), the gap of a linear file, then this session's extent after the
 * remapped entries.
 */
static void meta_runs(const struct udf_writer *w, unsigned copy, struct meta_runs *l)
{
	const struct udf_prior *p = w->opts.prior;
	const struct udf_run *runs = NULL;
	size_t n = 0, k = 0;
	uint64_t off = 0;

	l->n = 0;
	l->full = false;
	if (w->prior_meta_blocks) {
		/* an earlier volume without a mirror: its main file stands in for it */
		runs = copy && p->nmirror ? p->mirror : p->meta;
		n = copy && p->nmirror ? p->nmirror : p->nmeta;
	}
	for (size_t i = 0; i < n; i++) {
		run_split(w, copy, &runs[i], off, &k, l);
		off += runs[i].blocks;
	}
	runs_add(l, UDF_RUN_HOLE, w->lin_gap);
	runs_add(l, remap_lbn(w, copy, w->nremap), w->meta_blocks - w->nremap);
}

/* Directory u written again at a new block, as before remapping (its unique id stays) */
static void dir_unfix(struct udf_node *u)
{
	u->blocks = 1 + (uint32_t)BFS_DIV_ROUND_UP(u->data_len, BFS_BLOCK_SIZE);
	u->kept = u->fixed = u->remapped = false;
}

/* Every entry written again, as without an earlier volume (the unique ids stay) */
static void reuse_drop(struct udf_writer *w)
{
	for (size_t i = 0; i < w->nnodes; i++) {
		struct udf_node *u = &w->nodes[i];

		if (u->fixed)
			dir_unfix(u);
		else if (u->kept) {
			u->kept = false;
			u->blocks = 1; /* a regular file's (E)FE */
		}
	}
	w->reuse = w->remap = w->linear = w->inplace = false;
	w->prior_meta_blocks = w->lin_gap = 0;
	w->nremap = w->ndeferred = 0;
}

/*
 * Whether the new metadata file's runs (and its mirror's) fit in what the next append
 * reads. Before the layout: this session's extent has a stand-in length, and two runs are
 * left for merges the layout may not make or a long extent's second run.
 */
static bool runs_fit(struct udf_writer *w)
{
	uint64_t mb = w->meta_blocks, ms = w->mirror_start;
	struct meta_runs l;
	bool fit = true;

	w->meta_blocks = w->nremap + 1;
	w->mirror_start = w->meta_start;
	for (unsigned copy = 0; copy < 2 && fit; copy++) {
		meta_runs(w, copy, &l);
		fit = !l.full && l.n + 2 <= UDF_PRIOR_RUNS_MAX;
	}
	w->meta_blocks = mb;
	w->mirror_start = ms;
	return fit;
}

/* Whether every FID of directory u points at an entry whose block is the earlier one */
static bool dir_targets_fixed(const struct udf_node *u)
{
	const struct bfs_node *n = u->node, *c;
	const struct udf_node *parent = unode(n->parent ? n->parent : n);
	size_t k;

	if (!parent->fixed)
		return false;
	bfs_node_foreach_child(c, n, k) {
		const struct udf_node *t = unode(c) ? unode(bfs_node_data_node(c)) : NULL;

		if (t && !t->fixed && !t->kept)
			return false;
	}
	return true;
}

/* Whether fixed directory u is its earlier entry, FIDs and all: then it is kept as it is. */
static int dir_unchanged(struct udf_writer *w, struct udf_node *u)
{
	const struct udf_prior *p = w->opts.prior;
	const struct bfs_node *n = u->node;
	_cleanup_free_ uint8_t *fids = NULL;
	struct udf_prior_dir pd;

	if (p->dir(n, p->userdata, &pd) < 0 || !pd.same_entry || pd.data_len != u->data_len ||
	    pd.nlink != n->nlink || !dir_targets_fixed(u))
		return 0;
	fids = calloc(1, u->data_len);
	if (!fids)
		return -ENOMEM;
	dir_fids(w, n, pd.data_lbn, fids);
	if (!p->dir_same(n, p->userdata, fids, u->data_len))
		return 0;
	u->data_lbn = pd.data_lbn;
	return 1;
}

static int remap_cmp(const void *a, const void *b)
{
	uint32_t x = (*(struct udf_node *const *)a)->lbn, y = (*(struct udf_node *const *)b)->lbn;

	return x < y ? -1 : x > y;
}

/*
 * The fixed directories kept as they are or remapped (w->remaps, by block), when the new
 * metadata file's runs fit in what the next append reads; else every directory written again.
 */
static int dirs_plan(struct udf_writer *w)
{
	bool fit = true;
	int r;

	if (!w->remap)
		return 0;
	w->remaps = bfs_new(struct udf_node *, w->nnodes);
	if (!w->remaps)
		return -ENOMEM;
	for (size_t i = 0; i < w->nnodes; i++) {
		struct udf_node *u = &w->nodes[i];

		if (!u->fixed)
			continue;
		r = dir_unchanged(w, u);
		if (r < 0)
			return r;
		if (r > 0) {
			u->kept = true;
			u->blocks = 0;
		} else {
			u->remapped = true;
			u->blocks -= 1; /* its data only: the (E)FE is in the remap extent */
			w->remaps[w->nremap++] = u;
		}
	}
	qsort(w->remaps, w->nremap, sizeof(*w->remaps), remap_cmp);
	for (size_t i = 1; i < w->nremap && fit; i++)
		fit = w->remaps[i]->lbn != w->remaps[i - 1]->lbn;
	if (fit && w->inplace) { /* no remap extent: their blocks are written over */
		w->ndeferred = w->nremap;
		w->nremap = 0;
		return 0;
	}
	if (fit && runs_fit(w))
		return 0;
	bfs_log(LOG_NOTICE,
		"UDF: %zu changed directories would take the metadata file past %u runs; "
		"every directory is written again",
		w->nremap, UDF_PRIOR_RUNS_MAX);
	for (size_t i = 0; i < w->nnodes; i++)
		if (w->nodes[i].fixed)
			dir_unfix(&w->nodes[i]);
	w->nremap = 0;
	w->remap = w->inplace = false;
	return 0;
}

/*
 * LBN 0 of the metadata partition (or partition) as an absolute block, were it contiguous:
 * the block after the remapped entries less the earlier file's length (an append's new
 * blocks follow the earlier file's), the earlier file's first block when linear (then
 * lin_gap blocks lie between its end and the new ones), else the partition's first (an
 * append's starts in the first session).
 */
static void meta_base_set(struct udf_writer *w, uint64_t cursor)
{
	if (!w->meta) {
		w->meta_base = w->part_start;
		return;
	}
	if (w->linear) {
		w->meta_base = w->part_start + w->opts.prior->meta[0].lbn;
		if (w->meta_base + w->prior_meta_blocks <= cursor) {
			w->lin_gap = cursor - w->meta_base - w->prior_meta_blocks;
			if (runs_fit(w))
				return;
		}
		bfs_log(LOG_NOTICE,
			"UDF: the earlier metadata file cannot be continued linearly "
			"(%zu runs); every entry is written again",
			w->opts.prior->nmeta);
		reuse_drop(w);
	}
	w->meta_base = cursor - w->prior_meta_blocks;
}

/* The node runs from *cursor on: an extent per run of nodes, a few hundred, not one per file */
static int nodes_plan(struct udf_writer *w, uint64_t *cursor)
{
	uint64_t at = *cursor;

	for (size_t i = 0; i < w->nnodes;) {
		uint64_t start = at;
		size_t first = i;
		int r;

		for (; i < w->nnodes; i++) {
			struct udf_node *u = &w->nodes[i];

			if (at > start && at - start + u->blocks > UDF_RUN_BLOCKS)
				break;
			if (!u->kept && !u->fixed)
				u->lbn = (uint32_t)(at - w->meta_base);
			if (!u->kept)
				u->data_lbn =
					u->remapped ? (uint32_t)(at - w->meta_base) : u->lbn + 1;
			at += u->blocks;
		}
		if (at > start) {
			r = bfs_extent_list_add(&w->extents, start, at - start, UDF_EXT_NODES,
						(void *)(uintptr_t)first);
			if (r < 0)
				return r;
		}
	}
	*cursor = at;
	return 0;
}

/*
 * The mirror follows the metadata file rather than the file data: 7-Zip treats anything
 * but zeros and anchors after the last file extent as a damaged volume, and a separate
 * copy still survives a bad block in the main one.
 */
static int mirror_plan(struct udf_writer *w, uint64_t at)
{
	struct meta_runs l;
	size_t n = w->extents.n;
	int r;

	w->meta_blocks = BFS_ROUND_UP(at - w->meta_start, UDF_ALIGN_250);
	w->mirror_start = w->meta_start + w->meta_blocks;
	for (unsigned copy = 0; copy < 2; copy++) {
		meta_runs(w, copy, &l);
		if (l.full)
			return bfs_diag_set(w->diag, -E2BIG,
					    "UDF: the metadata file needs more than %u runs",
					    UDF_PRIOR_RUNS_MAX);
	}
	for (size_t i = 0; i < n; i++) {
		const struct bfs_extent *e = &w->extents.v[i];
		enum udf_kind k = e->kind;

		if (k != UDF_EXT_NODES && k != UDF_EXT_FSD && k != UDF_EXT_REMAP)
			continue;
		r = bfs_extent_list_add(&w->extents, w->mirror_start + (e->lba - w->meta_start),
					e->nblocks, k == UDF_EXT_NODES ? UDF_EXT_NODES_MIRR : k,
					k == UDF_EXT_NODES ? e->obj : (void *)1);
		if (r < 0)
			return r;
	}
	return 0;
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
	r = dirs_plan(w);
	if (r < 0)
		return r;
	if (w->nremap) {
		r = bfs_extent_list_add(&w->extents, *cursor, w->nremap, UDF_EXT_REMAP, (void *)0);
		if (r < 0)
			return r;
		*cursor += w->nremap;
	}
	meta_base_set(w, *cursor);
	w->fsd_lbn = (uint32_t)(*cursor - w->meta_base);
	r = bfs_extent_list_add(&w->extents, *cursor, 2, UDF_EXT_FSD, (void *)0);
	at = *cursor + 2;
	if (r == 0)
		r = nodes_plan(w, &at);
	if (r < 0)
		return r;
	if (w->meta) {
		r = mirror_plan(w, at);
		if (r < 0)
			return r;
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

/* A run of file n's data inside the partition. */
static int run_check(struct udf_writer *w, const struct bfs_node *n, uint64_t lba, uint64_t bytes)
{
	if (lba < w->part_start ||
	    lba + BFS_DIV_ROUND_UP(bytes, BFS_BLOCK_SIZE) > w->part_start + w->part_len)
		return bfs_diag_set(w->diag, -EINVAL,
				    "UDF: file data of '%s' outside the partition", n->name);
	return 0;
}

/*
 * Regular file n's data (one run, or each of its sections) inside the partition, and its
 * ADs within its entry's block.
 */
static int file_data_check(struct udf_writer *w, const struct bfs_node *n)
{
	size_t ad_size = w->meta ? UDF_LONG_AD_SIZE : UDF_SHORT_AD_SIZE;
	uint64_t ads = 0;
	int r = 0;

	if (!n->nsections)
		return run_check(w, n, n->data_lba, n->size);
	for (size_t i = 0; i < n->nsections && r == 0; i++) {
		uint64_t lba, bytes;

		bfs_node_section(n, i, &lba, &bytes);
		r = run_check(w, n, lba, bytes);
		ads += BFS_DIV_ROUND_UP(bytes, UDF_MAX_EXTENT);
	}
	if (r == 0 && icb_header(w) + ads * ad_size > BFS_BLOCK_SIZE)
		r = bfs_diag_set(w->diag, -EFBIG,
				 "UDF: '%s' is stored in %llu extents, more than its file entry "
				 "holds",
				 n->name, (unsigned long long)ads);
	return r;
}

int udf_writer_finish(struct udf_writer *w, const struct bfs_volume_info *vi)
{
	for (size_t i = 0; i < w->nnodes; i++) {
		const struct bfs_node *n = w->nodes[i].node;
		int r;

		if (n->type == BFS_NODE_FILE && n->size > 0 && !n->link_primary) {
			r = file_data_check(w, n);
			if (r < 0)
				return r;
		}
	}
	w->vi = vi;
	return 0;
}

const struct bfs_extent_list *udf_writer_extents(const struct udf_writer *w)
{
	return &w->extents;
}

/* ---- fill ---------------------------------------------------------------------------------- */

static void fill_vrs(struct udf_writer *w, uint8_t *b)
{
	static const char *const ids[3] = {"BEA01", NULL, "TEA01"};

	for (int i = 0; i < 3; i++) {
		uint8_t *p = b + i * BFS_BLOCK_SIZE;

		p[UDF_VSD_TYPE] = 0;
		memcpy(p + UDF_VSD_ID, ids[i] ? ids[i] : (w->v2 ? "NSR03" : "NSR02"),
		       UDF_VSD_ID_LEN);
		p[UDF_VSD_VERSION] = 1;
	}
}

static void fill_pvd(struct udf_writer *w, uint32_t lba, uint8_t *p)
{
	const struct bfs_volume_info *vi = w->vi;
	char vsid[64];

	bfs_put_le32(p + UDF_VD_SEQNUM, 0);
	bfs_put_le32(p + UDF_PVD_NUMBER, 0);
	dstring(p + UDF_PVD_VOLUME_ID, UDF_PVD_VOLUME_ID_LEN, vi->volume_id);
	bfs_put_le16(p + UDF_PVD_VOLSEQ, 1);
	bfs_put_le16(p + UDF_PVD_MAX_VOLSEQ, 1);
	bfs_put_le16(p + UDF_PVD_LEVEL, 2);
	bfs_put_le16(p + UDF_PVD_MAX_LEVEL, 3);
	bfs_put_le32(p + UDF_PVD_CHARSETS, 1);
	bfs_put_le32(p + UDF_PVD_MAX_CHARSETS, 1);
	snprintf(vsid, sizeof(vsid), "%016llX%s", (unsigned long long)vi->uuid, vi->volume_id);
	dstring(p + UDF_PVD_VOLSET_ID, UDF_PVD_VOLSET_ID_LEN, vsid);
	charspec(p + UDF_PVD_DESC_CHARSET);
	charspec(p + UDF_PVD_EXPL_CHARSET);
	regid(p + UDF_PVD_APP_ID, "*burnfs", NULL, 0);
	timestamp(p + UDF_PVD_RECORDED, &vi->create_time);
	regid_impl(p + UDF_PVD_IMPL_ID);
	bfs_put_le16(p + UDF_PVD_FLAGS, 1);
	tag_put(w, p, UDF_TAG_PVD, lba, UDF_PVD_SIZE);
}

static void fill_iuvd(struct udf_writer *w, uint32_t lba, uint8_t *p)
{
	const struct bfs_volume_info *vi = w->vi;

	bfs_put_le32(p + UDF_VD_SEQNUM, 1);
	regid_udf(w, p + UDF_IUVD_IMPL_ID, "*UDF LV Info");
	charspec(p + UDF_IUVD_LVI_CHARSET);
	dstring(p + UDF_IUVD_LV_ID, UDF_IUVD_LV_ID_LEN, vi->volume_id);
	dstring(p + UDF_IUVD_LV_INFO1, UDF_IUVD_LV_INFO_LEN, vi->preparer);
	dstring(p + UDF_IUVD_LV_INFO2, UDF_IUVD_LV_INFO_LEN, NULL);
	dstring(p + UDF_IUVD_LV_INFO3, UDF_IUVD_LV_INFO_LEN, NULL);
	regid_impl(p + UDF_IUVD_LVI_IMPL_ID);
	tag_put(w, p, UDF_TAG_IUVD, lba, UDF_IUVD_SIZE);
}

static void fill_pd(struct udf_writer *w, uint32_t lba, uint8_t *p)
{
	bfs_put_le32(p + UDF_VD_SEQNUM, 2);
	bfs_put_le16(p + UDF_PD_FLAGS, 1);
	bfs_put_le16(p + UDF_PD_NUMBER, 0);
	regid(p + UDF_PD_CONTENTS, w->v2 ? "+NSR03" : "+NSR02", NULL, 0);
	bfs_put_le32(p + UDF_PD_ACCESS, 1); /* read-only */
	bfs_put_le32(p + UDF_PD_START, (uint32_t)w->part_start);
	bfs_put_le32(p + UDF_PD_LENGTH, (uint32_t)w->part_len);
	regid_impl(p + UDF_PD_IMPL_ID);
	tag_put(w, p, UDF_TAG_PD, lba, UDF_PD_SIZE);
}

/* The 2.50 metadata partition map (UDF 2.2.10) at m, over partition 0 */
static void metadata_map(struct udf_writer *w, uint8_t *m)
{
	m[UDF_PM_TYPE] = 2;
	m[UDF_PM_LEN] = UDF_PM2_SIZE;
	regid_udf(w, m + UDF_PM2_IDENT, "*UDF Metadata Partition");
	bfs_put_le16(m + UDF_PM2_VOLSEQ, 1);
	bfs_put_le16(m + UDF_PM2_PARTNUM, 0);
	bfs_put_le32(m + UDF_PMM_FILE, (uint32_t)(w->meta_fe_lba - w->part_start));
	bfs_put_le32(m + UDF_PMM_MIRROR, (uint32_t)(w->meta_fe_lba + 1 - w->part_start));
	bfs_put_le32(m + UDF_PMM_BITMAP, 0xFFFFFFFF);
	bfs_put_le32(m + UDF_PMM_ALLOC, UDF_ALIGN_250);
	bfs_put_le16(m + UDF_PMM_ALIGN, UDF_ALIGN_250);
	m[UDF_PMM_FLAGS] = 1; /* duplicate metadata: the mirror is its own copy */
}

static void fill_lvd(struct udf_writer *w, uint32_t lba, uint8_t *p)
{
	uint32_t mtl = w->meta ? UDF_PM1_SIZE + UDF_PM2_SIZE : UDF_PM1_SIZE;
	uint8_t *m = p + UDF_LVD_MAPS;

	bfs_put_le32(p + UDF_VD_SEQNUM, 3);
	charspec(p + UDF_LVD_CHARSET);
	dstring(p + UDF_LVD_VOLUME_ID, UDF_LVD_VOLUME_ID_LEN, w->vi->volume_id);
	bfs_put_le32(p + UDF_LVD_BLOCK_SIZE, BFS_BLOCK_SIZE);
	regid_domain(w, p + UDF_LVD_DOMAIN);
	long_ad(p + UDF_LVD_FSD, BFS_BLOCK_SIZE, w->fsd_lbn, meta_ref(w), 0);
	bfs_put_le32(p + UDF_LVD_MAP_LEN, mtl);
	bfs_put_le32(p + UDF_LVD_NMAPS, w->meta ? 2 : 1);
	regid_impl(p + UDF_LVD_IMPL_ID);
	bfs_put_le32(p + UDF_LVD_INTEGRITY + UDF_EXTENT_AD_LEN, 2 * BFS_BLOCK_SIZE);
	bfs_put_le32(p + UDF_LVD_INTEGRITY + UDF_EXTENT_AD_LOC, (uint32_t)w->lvid_lba);
	/* map 0: type 1, the physical partition */
	m[UDF_PM_TYPE] = 1;
	m[UDF_PM_LEN] = UDF_PM1_SIZE;
	bfs_put_le16(m + UDF_PM1_VOLSEQ, 1);
	bfs_put_le16(m + UDF_PM1_PARTNUM, 0);
	if (w->meta)
		metadata_map(w, m + UDF_PM1_SIZE);
	tag_put(w, p, UDF_TAG_LVD, lba, UDF_LVD_MAPS + mtl);
}

/* The volume descriptor sequence at lba: PVD IUVD PD LVD USD TD, a block each */
static void fill_vds(struct udf_writer *w, uint64_t lba, uint8_t *b)
{
	uint32_t at = (uint32_t)lba;

	fill_pvd(w, at, b);
	fill_iuvd(w, at + 1, b + BFS_BLOCK_SIZE);
	fill_pd(w, at + 2, b + 2 * BFS_BLOCK_SIZE);
	fill_lvd(w, at + 3, b + 3 * BFS_BLOCK_SIZE);
	bfs_put_le32(b + 4 * BFS_BLOCK_SIZE + UDF_VD_SEQNUM, 4);
	bfs_put_le32(b + 4 * BFS_BLOCK_SIZE + UDF_USD_NADS, 0);
	tag_put(w, b + 4 * BFS_BLOCK_SIZE, UDF_TAG_USD, at + 4, UDF_USD_SIZE);
	tag_put(w, b + 5 * BFS_BLOCK_SIZE, UDF_TAG_TD, at + 5, UDF_TD_SIZE);
}

static void fill_lvid(struct udf_writer *w, uint8_t *b)
{
	uint32_t n = w->meta ? 2 : 1;
	uint8_t *iu = b + UDF_LVID_TABLES + 8 * n;

	timestamp(b + UDF_LVID_RECORDED, &w->vi->create_time);
	bfs_put_le32(b + UDF_LVID_TYPE, 1); /* closed */
	bfs_put_le64(b + UDF_LVID_UNIQUE_ID, w->next_uid);
	bfs_put_le32(b + UDF_LVID_NPARTS, n);
	bfs_put_le32(b + UDF_LVID_L_IU, UDF_LVIDIU_SIZE);
	/* free space 0 everywhere; sizes */
	bfs_put_le32(b + UDF_LVID_TABLES + 4 * n, (uint32_t)w->part_len);
	if (w->meta)
		bfs_put_le32(b + UDF_LVID_TABLES + 4 * n + 4, (uint32_t)w->meta_blocks);
	regid_impl(iu + UDF_LVIDIU_IMPL_ID);
	bfs_put_le32(iu + UDF_LVIDIU_NFILES, (uint32_t)w->nfiles);
	bfs_put_le32(iu + UDF_LVIDIU_NDIRS, (uint32_t)w->ndirs);
	bfs_put_le16(iu + UDF_LVIDIU_MIN_READ, w->opts.revision);
	bfs_put_le16(iu + UDF_LVIDIU_MIN_WRITE, w->opts.revision);
	bfs_put_le16(iu + UDF_LVIDIU_MAX_WRITE, w->opts.revision);
	tag_put(w, b, UDF_TAG_LVID, (uint32_t)w->lvid_lba, (size_t)(iu - b) + UDF_LVIDIU_SIZE);
	tag_put(w, b + BFS_BLOCK_SIZE, UDF_TAG_TD, (uint32_t)w->lvid_lba + 1, UDF_TD_SIZE);
}

static void fill_avdp(struct udf_writer *w, uint64_t lba, uint8_t *b)
{
	uint8_t *main_vds = b + UDF_AVDP_MAIN_VDS, *reserve = b + UDF_AVDP_RESERVE_VDS;

	bfs_put_le32(main_vds + UDF_EXTENT_AD_LEN, 16 * BFS_BLOCK_SIZE);
	bfs_put_le32(main_vds + UDF_EXTENT_AD_LOC, (uint32_t)w->vds_lba);
	bfs_put_le32(reserve + UDF_EXTENT_AD_LEN, 16 * BFS_BLOCK_SIZE);
	bfs_put_le32(reserve + UDF_EXTENT_AD_LOC, (uint32_t)w->rvds_lba);
	tag_put(w, b, UDF_TAG_AVDP, (uint32_t)lba, UDF_AVDP_SIZE);
}

static void fill_fsd(struct udf_writer *w, uint8_t *b)
{
	const struct bfs_volume_info *vi = w->vi;

	timestamp(b + UDF_FSD_RECORDED, &vi->create_time);
	bfs_put_le16(b + UDF_FSD_LEVEL, 3);
	bfs_put_le16(b + UDF_FSD_MAX_LEVEL, 3);
	bfs_put_le32(b + UDF_FSD_CHARSETS, 1);
	bfs_put_le32(b + UDF_FSD_MAX_CHARSETS, 1);
	charspec(b + UDF_FSD_LV_CHARSET);
	dstring(b + UDF_FSD_LV_ID, UDF_FSD_LV_ID_LEN, vi->volume_id);
	charspec(b + UDF_FSD_FS_CHARSET);
	dstring(b + UDF_FSD_FS_ID, UDF_FSD_FS_ID_LEN, vi->volume_id);
	long_ad(b + UDF_FSD_ROOT, BFS_BLOCK_SIZE, (uint32_t)unode(w->root)->lbn, meta_ref(w), 0);
	regid_domain(w, b + UDF_FSD_DOMAIN);
	tag_put(w, b, UDF_TAG_FSD, w->fsd_lbn, UDF_FSD_SIZE);
	tag_put(w, b + BFS_BLOCK_SIZE, UDF_TAG_TD, w->fsd_lbn + 1, UDF_TD_SIZE);
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
		return UDF_FT_DIR;
	case BFS_NODE_SYMLINK:
		return UDF_FT_SYMLINK;
	case BFS_NODE_FIFO:
		return UDF_FT_FIFO;
	case BFS_NODE_SOCK:
		return UDF_FT_SOCK;
	default:
		return UDF_FT_FILE;
	}
}

/* The fields of an EFE (4/14.17) after those it shares with an FE */
static void efe_tail(const struct bfs_node *n, const struct udf_node *u, uint8_t *b, size_t ad_len,
		     uint64_t info_len, uint64_t lbr)
{
	bfs_put_le64(b + UDF_EFE_OBJECT_SIZE, info_len);
	bfs_put_le64(b + UDF_EFE_BLOCKS, lbr);
	timestamp(b + UDF_EFE_ATIME, &n->atime);
	timestamp(b + UDF_EFE_MTIME, &n->mtime);
	timestamp(b + UDF_EFE_BTIME, &n->mtime);
	timestamp(b + UDF_EFE_ATTRTIME, &n->ctime);
	bfs_put_le32(b + UDF_EFE_CHECKPOINT, 1);
	regid_impl(b + UDF_EFE_IMPL_ID);
	bfs_put_le64(b + UDF_EFE_UNIQUE_ID, u->uid);
	bfs_put_le32(b + UDF_EFE_L_AD, (uint32_t)ad_len);
}

/* The fields of an FE (4/14.9) after those it shares with an EFE */
static void fe_tail(const struct bfs_node *n, const struct udf_node *u, uint8_t *b, size_t ad_len,
		    uint64_t lbr)
{
	bfs_put_le64(b + UDF_FE_BLOCKS, lbr);
	timestamp(b + UDF_FE_ATIME, &n->atime);
	timestamp(b + UDF_FE_MTIME, &n->mtime);
	timestamp(b + UDF_FE_ATTRTIME, &n->ctime);
	bfs_put_le32(b + UDF_FE_CHECKPOINT, 1);
	regid_impl(b + UDF_FE_IMPL_ID);
	bfs_put_le64(b + UDF_FE_UNIQUE_ID, u->uid);
	bfs_put_le32(b + UDF_FE_L_AD, (uint32_t)ad_len);
}

/*
 * Render an (E)FE. ads/nads: allocation descriptors (already encoded) or embedded data
 * with ad_type UDF_AD_EMBEDDED. lbn is the block's address in its partition.
 */
static void fill_fe(struct udf_writer *w, const struct bfs_node *n, const struct udf_node *u,
		    uint8_t *b, uint32_t lbn, enum udf_ad_form ad_type, const uint8_t *ad,
		    size_t ad_len, uint64_t info_len, uint64_t lbr)
{
	size_t h = icb_header(w);
	uint16_t flags = (uint16_t)ad_type;
	uint32_t links = n->type == BFS_NODE_DIR ? n->nlink - 1 : n->nlink;

	if (n->mode & 04000)
		flags |= UDF_ICB_SETUID;
	if (n->mode & 02000)
		flags |= UDF_ICB_SETGID;
	if (n->mode & 01000)
		flags |= UDF_ICB_STICKY;
	memset(b, 0, BFS_BLOCK_SIZE);
	bfs_put_le16(b + UDF_ICB_STRATEGY, 4);
	bfs_put_le16(b + UDF_ICB_MAX_ENTRIES, 1);
	b[UDF_ICB_FILE_TYPE] = file_type(n);
	bfs_put_le16(b + UDF_ICB_FLAGS, flags);
	bfs_put_le32(b + UDF_FE_UID, n->uid);
	bfs_put_le32(b + UDF_FE_GID, n->gid);
	bfs_put_le32(b + UDF_FE_PERMS, permissions(n->mode));
	bfs_put_le16(b + UDF_FE_LINKS, (uint16_t)BFS_MIN(links, 0xFFFFu));
	bfs_put_le64(b + UDF_FE_INFO_LEN, info_len);
	if (w->v2)
		efe_tail(n, u, b, ad_len, info_len, lbr);
	else
		fe_tail(n, u, b, ad_len, lbr);
	memcpy(b + h, ad, ad_len);
	tag_put(w, b, w->v2 ? UDF_TAG_EFE : UDF_TAG_FE, lbn, h + ad_len);
}

/* Short ADs for a run of blocks at LBN lbn holding len bytes. */
static size_t short_ads(uint8_t *ad, uint64_t lbn, uint64_t len)
{
	size_t o = 0;

	while (len > 0) {
		uint64_t l = BFS_MIN(len, UDF_MAX_EXTENT);

		bfs_put_le32(ad + o + UDF_AD_LEN, (uint32_t)l);
		bfs_put_le32(ad + o + UDF_SHORT_AD_POS, (uint32_t)lbn);
		o += UDF_SHORT_AD_SIZE;
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
		o += UDF_LONG_AD_SIZE;
		lbn += l / BFS_BLOCK_SIZE;
		len -= l;
	}
	return o;
}

/* A directory's (E)FE: its FIDs at data_lbn */
static void dir_fe(struct udf_writer *w, const struct udf_node *u, uint8_t *b)
{
	uint8_t ad[BFS_BLOCK_SIZE] = {0};
	size_t adl = short_ads(ad, u->data_lbn, u->data_len);

	fill_fe(w, u->node, u, b, u->lbn, UDF_AD_SHORT, ad, adl, u->data_len,
		BFS_DIV_ROUND_UP(u->data_len, BFS_BLOCK_SIZE));
}

size_t udf_writer_ndeferred(const struct udf_writer *w)
{
	return w->ndeferred;
}

/* The absolute block of metadata block lbn in the earlier runs r[0..n), or UINT64_MAX */
static uint64_t prior_block(const struct udf_writer *w, const struct udf_run *r, size_t n,
			    uint32_t lbn)
{
	uint64_t off = 0;

	for (size_t i = 0; i < n; off += r[i].blocks, i++)
		if (lbn < off + r[i].blocks)
			return r[i].lbn == UDF_RUN_HOLE ? UINT64_MAX
							: w->part_start + r[i].lbn + (lbn - off);
	return UINT64_MAX;
}

int udf_writer_deferred(struct udf_writer *w, size_t i, struct udf_deferred *ret, uint8_t *block)
{
	const struct udf_prior *p = w->opts.prior;
	const struct udf_node *u;

	if (!w->vi || i >= w->ndeferred)
		return -EINVAL;
	u = w->remaps[i];
	ret->lba = prior_block(w, p->meta, p->nmeta, u->lbn);
	/* an earlier volume without a mirror file: its main one stands in for it */
	ret->mirror_lba = p->nmirror ? prior_block(w, p->mirror, p->nmirror, u->lbn) : UINT64_MAX;
	if (ret->lba == UINT64_MAX)
		return -EINVAL; /* dir_fix() took blocks of the earlier file only */
	dir_fe(w, u, block);
	return 0;
}

/* The remapped directories' (E)FEs, a block each in the order of w->remaps */
static void fill_remap(struct udf_writer *w, uint8_t *b)
{
	for (size_t i = 0; i < w->nremap; i++)
		dir_fe(w, w->remaps[i], b + i * BFS_BLOCK_SIZE);
}

/* One run of a file's data at absolute block lba, len bytes: its ADs into ad. */
static size_t data_ads(const struct udf_writer *w, uint8_t *ad, uint64_t lba, uint64_t len)
{
	return w->meta ? long_ads(ad, lba - w->part_start, len, 0)
		       : short_ads(ad, lba - w->part_start, len);
}

/*
 * A regular file's ADs: one run at data_lba, or one per section in file order (an earlier
 * session's extents and this one's new region, common/tree.h); udf_writer_finish() checked
 * that they fit the entry.
 */
static size_t file_ads(const struct udf_writer *w, const struct bfs_node *n, uint8_t *ad)
{
	size_t o = 0;

	if (!n->nsections)
		return data_ads(w, ad, n->data_lba, n->size);
	for (size_t i = 0; i < n->nsections; i++) {
		uint64_t lba, bytes;

		bfs_node_section(n, i, &lba, &bytes);
		o += data_ads(w, ad + o, lba, bytes);
	}
	return o;
}

static int fill_node(struct udf_writer *w, struct udf_node *u, uint8_t *b)
{
	const struct bfs_node *n = u->node;
	uint8_t ad[BFS_BLOCK_SIZE] = {0};
	uint32_t lbn = (uint32_t)u->lbn;
	size_t adl = 0;

	memset(b, 0, (size_t)u->blocks * BFS_BLOCK_SIZE);
	if (n->type == BFS_NODE_DIR) {
		if (u->remapped) { /* its (E)FE is in the remap extent */
			dir_fids(w, n, u->data_lbn, b);
			return 0;
		}
		dir_fe(w, u, b);
		dir_fids(w, n, u->data_lbn, b + BFS_BLOCK_SIZE);
		return 0;
	}
	if (n->type == BFS_NODE_SYMLINK) {
		if (u->embedded) {
			(void)symlink_data(n->target ? n->target : "", ad);
			fill_fe(w, n, u, b, lbn, UDF_AD_EMBEDDED, ad, u->data_len, u->data_len, 0);
		} else {
			(void)symlink_data(n->target ? n->target : "", b + BFS_BLOCK_SIZE);
			adl = short_ads(ad, lbn + 1, u->data_len);
			fill_fe(w, n, u, b, lbn, UDF_AD_SHORT, ad, adl, u->data_len,
				BFS_DIV_ROUND_UP(u->data_len, BFS_BLOCK_SIZE));
		}
		return 0;
	}
	if (n->type == BFS_NODE_FILE && n->size > 0) {
		adl = file_ads(w, n, ad);
		fill_fe(w, n, u, b, lbn, w->meta ? UDF_AD_LONG : UDF_AD_SHORT, ad, adl, n->size,
			BFS_DIV_ROUND_UP(n->size, BFS_BLOCK_SIZE));
		return 0;
	}
	fill_fe(w, n, u, b, lbn, UDF_AD_SHORT, ad, 0, 0, 0);
	return 0;
}

static int fill_meta_fe(struct udf_writer *w, uint8_t *b)
{
	for (unsigned i = 0; i < 2; i++) {
		uint8_t *p = b + i * BFS_BLOCK_SIZE;
		uint8_t ad[UDF_SHORT_AD_SIZE * UDF_PRIOR_RUNS_MAX];
		struct bfs_node fake = {
			.type = BFS_NODE_FILE, .nlink = 1, .mtime = w->vi->create_time};
		struct udf_node u = {0};
		struct meta_runs l;
		uint64_t blocks = 0, recorded = 0;
		size_t adl = 0;

		meta_runs(w, i, &l);
		if (l.full)
			return -EINVAL; /* plan_meta counted them */
		for (size_t k = 0; k < l.n; k++, adl += UDF_SHORT_AD_SIZE) {
			bool hole = l.v[k].lbn == UDF_RUN_HOLE;

			bfs_put_le32(ad + adl + UDF_AD_LEN,
				     l.v[k].blocks * BFS_BLOCK_SIZE | (hole ? UDF_AD_HOLE : 0));
			bfs_put_le32(ad + adl + UDF_SHORT_AD_POS, hole ? 0 : l.v[k].lbn);
			blocks += l.v[k].blocks;
			recorded += hole ? 0 : l.v[k].blocks;
		}
		fake.atime = fake.ctime = fake.mtime;
		fill_fe(w, &fake, &u, p, (uint32_t)(w->meta_fe_lba + i - w->part_start),
			UDF_AD_SHORT, ad, adl, blocks * BFS_BLOCK_SIZE, recorded);
		p[UDF_ICB_FILE_TYPE] = i ? UDF_FT_META_MIRROR : UDF_FT_META;
		tag_put(w, p, UDF_TAG_EFE, (uint32_t)(w->meta_fe_lba + i - w->part_start),
			UDF_EFE_SIZE + adl);
	}
	return 0;
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
		return fill_meta_fe(w, buf);
	case UDF_EXT_FSD:
		fill_fsd(w, buf);
		return 0;
	case UDF_EXT_NODES:
	case UDF_EXT_NODES_MIRR:
		return fill_nodes(w, e, buf);
	case UDF_EXT_REMAP:
		fill_remap(w, buf);
		return 0;
	default:
		return -EINVAL;
	}
}
