/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ISO 9660 + Joliet + Rock Ridge writer. See iso9660/writer.h for the calling sequence.
 *
 * Model: one struct iso_tree per hierarchy (primary, Joliet). Each holds its directories in
 * path-table order; each directory its records in ECMA-119 9.3 order. Sizes are fixed in
 * iso9660_writer_new(); addresses in the plan steps; bytes are produced only by fill(), from
 * deterministic functions of the model, so nothing is kept that can be recomputed.
 *
 * Rock Ridge entries of a record are built into a scratch buffer, then split: what fits in
 * the 255-byte record stays inline, the rest goes to continuation areas (CE), which are
 * packed per directory into blocks right after that directory's extent. The split and the
 * packing are recomputed identically at plan and at fill time.
 *
 * Directories deeper than 8 levels are written as deep paths by default (readers on Linux,
 * BSD, macOS and Windows accept them). With opts->rr_relocate the primary tree follows
 * ECMA-119 6.8.2.1 instead: a directory that would sit at level 9 or deeper (the root is
 * level 1) moves to the hidden directory /RR_MOVED (RRIP 1.12 4.1.5: its record there
 * carries RE, a zero-length file record with CL stands in its old place, and its ".."
 * carries PL), so that Rock Ridge readers see the original tree. Joliet keeps deep paths.
 */
#include "iso9660/writer.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/civil.h"
#include "common/arena.h"
#include "common/bytes.h"
#include "common/charset.h"
#include "common/log.h"
#include "iso9660/eltorito.h"
#include "iso9660/layout.h"

/* The largest extent of one record of a multi-extent file: block aligned, below 4 GiB. */
#define ISO_MAX_EXTENT	     0xFFFFF800ull
#define ISO_MAX_DIRS	     65535u
#define ISO_MAX_LEVEL	     8u	 /* ECMA-119 6.8.2.1, the root being level 1 */
#define ISO_NAME_MAX_L2	     30u /* name + extension, level 2 and 3 */
#define ISO_DIRNAME_MAX	     31u
#define JOLIET_NAME_MAX	     64u /* UCS-2 characters */
#define RR_NM_MAX	     250u
#define RR_SL_COMPONENTS_MAX 248u /* bytes of component area per SL entry */

enum iso_kind {
	ISO_EXT_PVD,
	ISO_EXT_SVD,
	ISO_EXT_TERM,
	ISO_EXT_PT_L,
	ISO_EXT_PT_M,
	ISO_EXT_DIR,
	ISO_EXT_CE,
	ISO_EXT_BRVD, /* last: the tests name kinds by number */
};

struct iso_dir;
struct iso_tree;

/* One directory record (besides "." and ".."). */
/* One per name and tree (two per file with Joliet): 24 bytes. */
struct iso_rec {
	struct bfs_node *node;
	uint8_t *id;	 /* file identifier bytes (d-characters or UCS-2 BE) */
	uint32_t dir_nr; /* node is a directory: its number in the same tree (index + 1) */
	uint8_t id_len;
	uint8_t part;	/* multi-extent: index of this record's extent */
	uint8_t nparts; /* multi-extent: number of records of the file (1 otherwise) */
	uint8_t reloc;	/* RELOC_*: a relocated directory's stand-in or moved record */
	uint8_t split;	/* id_split() of id: where its extension starts (for sorting) */
};

enum {
	RELOC_NONE,
	RELOC_CL, /* the file record with CL left where a relocated directory was */
	RELOC_RE, /* the relocated directory's record in RR_MOVED */
};

struct iso_dir {
	struct bfs_node *node;
	struct iso_dir *parent;
	const struct iso_tree *tree;
	const uint8_t *id; /* identifier in the parent (path table), NULL for the root */
	uint8_t id_len;
	struct iso_rec *recs;
	size_t nrecs;
	uint32_t number; /* path table number, 1 for the root */
	uint32_t size;	 /* bytes, a multiple of the block size */
	uint32_t ce_blocks;
	uint64_t lba;
	uint64_t ce_lba;
	unsigned level;		     /* path table level: 1 for the root */
	struct iso_dir *orig_parent; /* relocated: the directory it was moved out of (PL) */
};

struct iso_tree {
	bool joliet;
	bool rr;
	bool reloc;	       /* Rock Ridge relocation of deep directories */
	struct iso_dir *moved; /* RR_MOVED, when something was relocated */
	struct iso_dir **dirs; /* path table order */
	size_t ndirs;
	size_t dirs_cap;
	uint32_t pt_size;
	uint64_t pt_l_lba;
	uint64_t pt_m_lba;
};

struct iso9660_writer {
	struct iso9660_writer_opts opts;
	struct bfs_node *root;
	struct bfs_diag *diag;
	const struct bfs_volume_info *vi;
	struct iso_tree trees[2];
	unsigned ntrees;
	struct bfs_extent_list extents;
	uint64_t pvd_lba;
	uint32_t boot_catalog;	/* the El Torito catalog's LBA (opts.boot_record) */
	struct bfs_arena arena; /* identifiers of the records */
	uint8_t *susp;		/* scratch for building one record's system use entries */
	size_t susp_cap;
	struct bfs_node *rr_moved; /* synthetic node of the relocation directory, owned */
	unsigned joliet_skipped;
};

/* ---- small encoders ---------------------------------------------------------------- */

/* gmtime_r()'s fields, by arithmetic (common/civil.h: the C library's costs 8% of a write) */
static void time_split(const struct bfs_time *t, struct tm *tm)
{
	struct bfs_civil c;

	bfs_civil_from_time(t->sec, &c);
	*tm = (struct tm){
		.tm_year = (int)BFS_MAX(BFS_MIN(c.year - 1900, (int64_t)INT_MAX), (int64_t)INT_MIN),
		.tm_mon = (int)c.month - 1,
		.tm_mday = (int)c.day,
		.tm_hour = (int)c.hour,
		.tm_min = (int)c.minute,
		.tm_sec = (int)c.second,
		.tm_wday = (int)c.weekday};
}

/* ECMA-119 9.1.5: 7-byte recording date, GMT; years clamped to 1900..2155. */
static void put_time7(uint8_t *p, const struct bfs_time *t)
{
	struct tm tm;
	int64_t y;

	time_split(t, &tm);
	y = (int64_t)tm.tm_year;
	if (t->sec < -2208988800LL || y < 0) {
		memcpy(p, (const uint8_t[ISO9660_DATE7_LEN]){0, 1, 1, 0, 0, 0, 0},
		       ISO9660_DATE7_LEN);
		return;
	}
	if (y > 255) {
		memcpy(p, (const uint8_t[ISO9660_DATE7_LEN]){255, 12, 31, 23, 59, 59, 0},
		       ISO9660_DATE7_LEN);
		return;
	}
	p[0] = (uint8_t)y;
	p[1] = (uint8_t)(tm.tm_mon + 1);
	p[2] = (uint8_t)tm.tm_mday;
	p[3] = (uint8_t)tm.tm_hour;
	p[4] = (uint8_t)tm.tm_min;
	p[5] = (uint8_t)tm.tm_sec;
	p[6] = 0;
}

/* ECMA-119 8.4.26.1: 17-byte digit date; t NULL means "not specified". */
static void put_time17(uint8_t *p, const struct bfs_time *t)
{
	struct tm tm;
	char b[32];
	long y;

	if (!t) {
		memset(p, '0', 16);
		p[16] = 0;
		return;
	}
	time_split(t, &tm);
	y = (long)tm.tm_year + 1900;
	if (y < 1)
		y = 1;
	if (y > 9999)
		y = 9999;
	snprintf(b, sizeof(b), "%04ld%02d%02d%02d%02d%02d%02u", y, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(t->nsec / 10000000u) % 100u);
	memcpy(p, b, 16);
	p[16] = 0;
}

static bool is_dchar(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static uint8_t to_dchar(uint8_t c)
{
	if (c >= 'a' && c <= 'z')
		return (uint8_t)(c - 'a' + 'A');
	return is_dchar(c) ? c : '_';
}

static uint8_t to_achar(uint8_t c)
{
	if (c >= 'a' && c <= 'z')
		return (uint8_t)(c - 'a' + 'A');
	if (is_dchar(c) || strchr(" !\"%&'()*+,-./:;<=>?", c))
		return c;
	return '_';
}

/* A padded identifier field of d- or a-characters. */
static void put_ident(uint8_t *p, size_t field, const char *s, bool dchars)
{
	size_t n = s ? strlen(s) : 0;

	memset(p, ' ', field);
	for (size_t i = 0; i < n && i < field; i++)
		p[i] = dchars ? to_dchar((uint8_t)s[i]) : to_achar((uint8_t)s[i]);
}

/* The same field in UCS-2 BE for the Joliet SVD (field bytes, even). */
static void put_ident_ucs2(uint8_t *p, size_t field, const char *s)
{
	size_t n = s ? strlen(s) : 0, pos = 0, o = 0;
	uint32_t cp;

	for (size_t i = 0; i + 1 < field; i += 2)
		bfs_put_be16(p + i, 0x0020);
	while (pos < n && o + 2 <= field) {
		(void)bfs_utf8_next((const uint8_t *)s, n, &pos, &cp);
		if (cp > 0xFFFF || cp < 0x20 || strchr("*/:;?\\", (int)cp))
			cp = '_';
		bfs_put_be16(p + o, (uint16_t)cp);
		o += 2;
	}
}

/* ---- names ------------------------------------------------------------------------- */

/*
 * ISO 9660 level 2/3 identifier for a node: d-characters, "NAME.EXT;1" for files,
 * "NAME" for directories; suffix n > 0 makes "NAME_n". Returns the length.
 */
static size_t iso_name(const struct bfs_node *n, unsigned suffix, uint8_t *out)
{
	const uint8_t *s = (const uint8_t *)n->name;
	size_t len = n->name_len, dot = len, blen, elen, o = 0;
	char sfx[16] = "";
	size_t slen;

	if (suffix)
		snprintf(sfx, sizeof(sfx), "_%u", suffix);
	slen = strlen(sfx);
	if (n->type == BFS_NODE_DIR) {
		blen = BFS_MIN(len, ISO_DIRNAME_MAX - slen);
		for (size_t i = 0; i < blen; i++)
			out[o++] = to_dchar(s[i]);
		memcpy(out + o, sfx, slen);
		o += slen;
		if (!o)
			out[o++] = '_';
		return o;
	}
	for (size_t i = len; i > 0; i--) {
		if (s[i - 1] == '.') {
			dot = i - 1;
			break;
		}
	}
	elen = dot < len ? BFS_MIN(len - dot - 1, 8u) : 0;
	blen = BFS_MIN(dot, ISO_NAME_MAX_L2 - elen - slen);
	for (size_t i = 0; i < blen; i++)
		out[o++] = to_dchar(s[i]);
	memcpy(out + o, sfx, slen);
	o += slen;
	if (!o && !elen)
		out[o++] = '_';
	out[o++] = '.';
	for (size_t i = 0; i < elen; i++)
		out[o++] = to_dchar(s[dot + 1 + i]);
	out[o++] = ';';
	out[o++] = '1';
	return o;
}

static bool joliet_bad(uint32_t cp)
{
	return cp < 0x20 || cp > 0xFFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == '*' ||
	       cp == '/' || cp == ':' || cp == ';' || cp == '?' || cp == '\\' ||
	       cp == BFS_REPLACEMENT_CHAR;
}

/*
 * Joliet identifier: UCS-2 BE, at most 64 characters, the extension kept when it is short,
 * characters outside UCS-2 and forbidden ones mapped to '_'; suffix n > 0 adds "~n" before
 * the extension. Returns the length in bytes; *lossy tells whether the name was changed.
 */
static size_t joliet_name(const struct bfs_node *n, unsigned suffix, uint8_t *out, bool *lossy)
{
	uint32_t cps[1024];
	size_t ncp = 0, pos = 0, dot, base, ext, o = 0;
	char sfx[16] = "";
	size_t slen;

	*lossy = false;
	while (pos < n->name_len && ncp < BFS_ARRAY_SIZE(cps)) {
		uint32_t cp;

		(void)bfs_utf8_next((const uint8_t *)n->name, n->name_len, &pos, &cp);
		if (joliet_bad(cp)) {
			cp = '_';
			*lossy = true;
		}
		cps[ncp++] = cp;
	}
	if (suffix)
		snprintf(sfx, sizeof(sfx), "~%u", suffix);
	slen = strlen(sfx);
	dot = ncp;
	if (n->type != BFS_NODE_DIR) {
		for (size_t i = ncp; i > 1; i--) {
			if (cps[i - 1] == '.') {
				dot = i - 1;
				break;
			}
		}
	}
	ext = ncp - dot; /* including the dot */
	if (ext > 16) {	 /* not an extension worth keeping apart */
		dot = ncp;
		ext = 0;
	}
	base = BFS_MIN(dot, JOLIET_NAME_MAX - ext - slen);
	if (base < dot || ncp > JOLIET_NAME_MAX)
		*lossy = true;
	for (size_t i = 0; i < base; i++, o += 2)
		bfs_put_be16(out + o, (uint16_t)cps[i]);
	for (size_t i = 0; i < slen; i++, o += 2)
		bfs_put_be16(out + o, (uint16_t)sfx[i]);
	for (size_t i = 0; i < ext; i++, o += 2)
		bfs_put_be16(out + o, (uint16_t)cps[dot + i]);
	return o;
}

/* Case-folded key for Joliet collisions (Windows compares names without case). */
static void joliet_fold(const uint8_t *id, size_t len, uint8_t *out)
{
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint16_t c = bfs_get_be16(id + i);

		if (c >= 'a' && c <= 'z')
			c = (uint16_t)(c - 'a' + 'A');
		bfs_put_be16(out + i, c);
	}
}

/* ECMA-119 9.3: compare name parts (padded), then extensions; unit is 1 or 2 bytes. */
static size_t id_split(const uint8_t *id, size_t len, size_t unit, bool file)
{
	if (!file)
		return len;
	for (size_t i = len; i >= unit; i -= unit) {
		if (id[i - unit] == (unit == 1 ? ';' : 0) && (unit == 1 || id[i - 1] == ';'))
			len = i - unit;
	}
	for (size_t i = len; i >= unit; i -= unit) {
		bool isdot = unit == 1 ? id[i - 1] == '.' : (id[i - 2] == 0 && id[i - 1] == '.');

		if (isdot)
			return i - unit;
	}
	return len;
}

static int pad_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, BFS_MIN(al, bl));

	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

static int rec_cmp(const void *pa, const void *pb)
{
	const struct iso_rec *a = pa, *b = pb;
	size_t ad = a->split, bd = b->split;
	int c = pad_cmp(a->id, ad, b->id, bd);

	if (c)
		return c;
	c = pad_cmp(a->id + ad, a->id_len - ad, b->id + bd, b->id_len - bd);
	if (c)
		return c;
	return (int)a->part - (int)b->part;
}

/* One record slot of a directory: "." (i == 0), ".." (i == 1), or recs[i - 2]. */
struct slot {
	const struct bfs_node *node; /* what the record describes */
	const uint8_t *id;
	uint8_t id_len;
	int kind; /* 0 child, 1 ".", 2 ".." */
	const struct iso_dir *dir;
	const struct iso_rec *rec;
	const struct iso_dir *cl; /* stand-in of a relocated directory: where it went */
	const struct iso_dir *pl; /* ".." of a relocated directory: where it came from */
	bool re;		  /* the relocated directory's own record */
};

/* ---- Rock Ridge ---------------------------------------------------------------------- */

static int susp_reserve(struct iso9660_writer *w, size_t *len, size_t more)
{
	if (*len + more > w->susp_cap) {
		size_t ncap = BFS_MAX(w->susp_cap * 2, *len + more + 4096);
		uint8_t *p = realloc(w->susp, ncap);

		if (!p)
			return -ENOMEM;
		w->susp = p;
		w->susp_cap = ncap;
	}
	return 0;
}

static uint8_t *susp_add(struct iso9660_writer *w, size_t *len, const char sig[2], size_t elen)
{
	uint8_t *p;

	if (susp_reserve(w, len, elen) < 0)
		return NULL;
	p = w->susp + *len;
	memset(p, 0, elen);
	p[SUSP_SIG] = (uint8_t)sig[0];
	p[SUSP_SIG + 1] = (uint8_t)sig[1];
	p[SUSP_LEN] = (uint8_t)elen;
	p[SUSP_VERSION] = SUSP_VERSION_ONE;
	*len += elen;
	return p;
}

static const char rr_er_id[] = "IEEE_P1282";
static const char rr_er_des[] =
	"THE IEEE P1282 PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
static const char rr_er_src[] = "PLEASE CONTACT THE IEEE STANDARDS DEPARTMENT, PISCATAWAY, NJ, "
				"USA FOR THE P1282 SPECIFICATION";

static uint32_t rr_mode(const struct bfs_node *n)
{
	static const uint32_t type_bits[] = {
		[BFS_NODE_DIR] = 0040000,  [BFS_NODE_FILE] = 0100000, [BFS_NODE_SYMLINK] = 0120000,
		[BFS_NODE_CHR] = 0020000,  [BFS_NODE_BLK] = 0060000,  [BFS_NODE_FIFO] = 0010000,
		[BFS_NODE_SOCK] = 0140000,
	};
	return type_bits[n->type] | (n->mode & 07777);
}

struct sl_state {
	size_t sl_off; /* offset of the open SL entry in w->susp, SIZE_MAX if none */
	size_t area;   /* component bytes in it */
};

static int sl_component(struct iso9660_writer *w, size_t *len, struct sl_state *st, uint8_t cflags,
			const char *c, size_t clen)
{
	do {
		size_t piece = BFS_MIN(clen, RR_SL_COMPONENTS_MAX - RRIP_SLC_HDR_SIZE);
		uint8_t *p;

		if (st->sl_off == SIZE_MAX ||
		    st->area + RRIP_SLC_HDR_SIZE + piece > RR_SL_COMPONENTS_MAX) {
			if (st->sl_off != SIZE_MAX) /* CONTINUE in the next SL */
				w->susp[st->sl_off + RRIP_SL_FLAGS] = RRIP_SL_CONTINUE;
			if (susp_reserve(w, len, RRIP_SL_HDR_SIZE + RR_SL_COMPONENTS_MAX) < 0)
				return -ENOMEM;
			st->sl_off = *len;
			(void)susp_add(w, len, "SL", RRIP_SL_HDR_SIZE);
			st->area = 0;
		}
		p = w->susp + *len;
		p[RRIP_SLC_FLAGS] = (uint8_t)(cflags | (piece < clen ? RRIP_SLC_CONTINUE : 0));
		p[RRIP_SLC_LEN] = (uint8_t)piece;
		memcpy(p + RRIP_SLC_CONTENT, c, piece);
		*len += RRIP_SLC_HDR_SIZE + piece;
		st->area += RRIP_SLC_HDR_SIZE + piece;
		w->susp[st->sl_off + SUSP_LEN] = (uint8_t)(RRIP_SL_HDR_SIZE + st->area);
		c += piece;
		clen -= piece;
	} while (clen > 0);
	return 0;
}

/* SL entries for a symlink target: ROOT, CURRENT, PARENT and named components. */
static int rr_sl(struct iso9660_writer *w, size_t *len, const struct bfs_node *n)
{
	const char *t = n->target ? n->target : "";
	size_t tl = strlen(t), i = 0;
	struct sl_state st = {.sl_off = SIZE_MAX};
	int r;

	if (tl > 0 && t[0] == '/') {
		r = sl_component(w, len, &st, RRIP_SLC_ROOT, "", 0);
		if (r < 0)
			return r;
		i = 1;
	}
	while (i < tl) {
		size_t clen = 0;
		const char *c = t + i;
		uint8_t cflags = 0;

		while (i + clen < tl && t[i + clen] != '/')
			clen++;
		i += clen + 1;
		if (clen == 0)
			continue;
		if (clen == 1 && c[0] == '.')
			cflags = RRIP_SLC_CURRENT, clen = 0;
		else if (clen == 2 && c[0] == '.' && c[1] == '.')
			cflags = RRIP_SLC_PARENT, clen = 0;
		r = sl_component(w, len, &st, cflags, c, clen);
		if (r < 0)
			return r;
	}
	if (st.sl_off == SIZE_MAX) /* empty target: one empty component */
		return sl_component(w, len, &st, 0, "", 0);
	return 0;
}

/*
 * TF (RRIP 4.1.6): the modification time, and the access and attribute change times where
 * they differ from it in the 7-byte form. The record's own date is the modification time,
 * and readers take it for the times TF leaves out (Linux isofs, libarchive, libisofs,
 * burnfs): an omitted time reads back the same, 7 bytes less per record for each.
 */
static int rr_tf(struct iso9660_writer *w, size_t *len, const struct bfs_node *n)
{
	uint8_t m[ISO9660_DATE7_LEN], a[ISO9660_DATE7_LEN], c[ISO9660_DATE7_LEN];
	bool wa, wc;
	uint8_t *p, *q;

	put_time7(m, &n->mtime);
	put_time7(a, &n->atime);
	put_time7(c, &n->ctime);
	wa = memcmp(a, m, sizeof(m)) != 0;
	wc = memcmp(c, m, sizeof(m)) != 0;
	p = susp_add(w, len, "TF", RRIP_TF_HDR_SIZE + (1u + wa + wc) * ISO9660_DATE7_LEN);
	if (!p)
		return -ENOMEM;
	/* the times in the order of their flags */
	p[RRIP_TF_FLAGS] = RRIP_TF_MODIFY | (wa ? RRIP_TF_ACCESS : 0) | (wc ? RRIP_TF_ATTR : 0);
	q = p + RRIP_TF_DATES;
	memcpy(q, m, sizeof(m));
	q += sizeof(m);
	if (wa) {
		memcpy(q, a, sizeof(a));
		q += sizeof(a);
	}
	if (wc)
		memcpy(q, c, sizeof(c));
	return 0;
}

/*
 * Build the system use entries of one record into w->susp. kind: 0 a child, 1 ".", 2 "..".
 * n is the node the record describes.
 */
static int rr_build(struct iso9660_writer *w, const struct slot *s, bool root_dot, size_t *ret_len)
{
	const struct bfs_node *n = s->node;
	const struct bfs_node *dn = bfs_node_data_node(n);
	int kind = s->kind;
	size_t len = 0;
	uint8_t *p;

	if (root_dot) {
		p = susp_add(w, &len, "SP", SUSP_SP_SIZE);
		if (!p)
			return -ENOMEM;
		p[SUSP_SP_CHECK] = SUSP_SP_CHECK_0;
		p[SUSP_SP_CHECK + 1] = SUSP_SP_CHECK_1;
	}
	p = susp_add(w, &len, "PX", RRIP_PX_SIZE);
	if (!p)
		return -ENOMEM;
	iso9660_put_733(p + RRIP_PX_MODE, rr_mode(n));
	iso9660_put_733(p + RRIP_PX_LINKS, n->nlink);
	iso9660_put_733(p + RRIP_PX_UID, n->uid);
	iso9660_put_733(p + RRIP_PX_GID, n->gid);
	iso9660_put_733(p + RRIP_PX_INO, (uint32_t)dn->ino);
	if (rr_tf(w, &len, n) < 0)
		return -ENOMEM;
	if (n->type == BFS_NODE_CHR || n->type == BFS_NODE_BLK) {
		p = susp_add(w, &len, "PN", RRIP_PN_SIZE);
		if (!p)
			return -ENOMEM;
		iso9660_put_733(p + RRIP_PN_HIGH, n->rdev_major);
		iso9660_put_733(p + RRIP_PN_LOW, n->rdev_minor);
	}
	if (kind == 0) {
		size_t off = 0;

		do {
			size_t piece = BFS_MIN(n->name_len - off, RR_NM_MAX);

			p = susp_add(w, &len, "NM", RRIP_NM_HDR_SIZE + piece);
			if (!p)
				return -ENOMEM;
			p[RRIP_NM_FLAGS] = off + piece < n->name_len ? RRIP_NM_CONTINUE : 0;
			memcpy(p + RRIP_NM_NAME, n->name + off, piece);
			off += piece;
		} while (off < n->name_len);
		if (n->type == BFS_NODE_SYMLINK && rr_sl(w, &len, n) < 0)
			return -ENOMEM;
	}
	/* RRIP 1.12 4.1.5: relocation; the block numbers are filled in at render time */
	if (s->cl) {
		p = susp_add(w, &len, "CL", RRIP_LINK_SIZE);
		if (!p)
			return -ENOMEM;
		iso9660_put_733(p + RRIP_LINK_EXTENT, (uint32_t)s->cl->lba);
	}
	if (s->pl) {
		p = susp_add(w, &len, "PL", RRIP_LINK_SIZE);
		if (!p)
			return -ENOMEM;
		iso9660_put_733(p + RRIP_LINK_EXTENT, (uint32_t)s->pl->lba);
	}
	if (s->re && !susp_add(w, &len, "RE", SUSP_HDR_SIZE))
		return -ENOMEM;
	if (root_dot) {
		size_t li = strlen(rr_er_id), ld = strlen(rr_er_des), ls = strlen(rr_er_src);

		p = susp_add(w, &len, "ER", SUSP_ER_ID + li + ld + ls);
		if (!p)
			return -ENOMEM;
		p[SUSP_ER_LEN_ID] = (uint8_t)li;
		p[SUSP_ER_LEN_DES] = (uint8_t)ld;
		p[SUSP_ER_LEN_SRC] = (uint8_t)ls;
		p[SUSP_ER_EXT_VER] = 1;
		memcpy(p + SUSP_ER_ID, rr_er_id, li);
		memcpy(p + SUSP_ER_ID + li, rr_er_des, ld);
		memcpy(p + SUSP_ER_ID + li + ld, rr_er_src, ls);
	}
	*ret_len = len;
	return 0;
}

/*
 * Split of a record's entries (w->susp[0..len)) between the record and continuation chunks.
 * inline_len: bytes kept in the record (CE excluded); chunks: the lengths of the
 * continuation chunks, each including its own trailing CE when another chunk follows.
 */
struct susp_split {
	size_t inline_len;
	size_t nchunks;
	size_t chunk_start[64]; /* offsets into w->susp */
	size_t chunk_len[64];	/* bytes of entries, without the trailing CE */
};

static int susp_split(const uint8_t *s, size_t len, size_t budget, struct susp_split *sp)
{
	size_t pos = 0, used = 0;

	memset(sp, 0, sizeof(*sp));
	if (len <= budget) {
		sp->inline_len = len;
		return 0;
	}
	while (pos < len && used + s[pos + SUSP_LEN] + SUSP_CE_SIZE <= budget) {
		used += s[pos + SUSP_LEN];
		pos += s[pos + SUSP_LEN];
	}
	sp->inline_len = used;
	while (pos < len) {
		size_t c = 0, start = pos;

		if (sp->nchunks == BFS_ARRAY_SIZE(sp->chunk_len))
			return -E2BIG;
		while (pos < len) {
			size_t e = s[pos + SUSP_LEN];
			bool last = pos + e == len;

			if (c + e + (last ? 0 : SUSP_CE_SIZE) > BFS_BLOCK_SIZE)
				break;
			c += e;
			pos += e;
		}
		sp->chunk_start[sp->nchunks] = start;
		sp->chunk_len[sp->nchunks++] = c;
	}
	return 0;
}

static size_t chunk_total(const struct susp_split *sp, size_t k)
{
	return sp->chunk_len[k] + (k + 1 < sp->nchunks ? SUSP_CE_SIZE : 0);
}

/* Place chunks of one record in a directory's continuation area, advancing *ce_pos. */
static void ce_place(const struct susp_split *sp, uint64_t *ce_pos, uint64_t *offs)
{
	for (size_t k = 0; k < sp->nchunks; k++) {
		size_t t = chunk_total(sp, k);

		if (t > BFS_BLOCK_SIZE - *ce_pos % BFS_BLOCK_SIZE)
			*ce_pos = BFS_ROUND_UP(*ce_pos, BFS_BLOCK_SIZE);
		offs[k] = *ce_pos;
		*ce_pos += t;
	}
}

static void put_ce(uint8_t *p, uint64_t ce_lba, uint64_t off, size_t len)
{
	p[SUSP_SIG] = 'C';
	p[SUSP_SIG + 1] = 'E';
	p[SUSP_LEN] = SUSP_CE_SIZE;
	p[SUSP_VERSION] = SUSP_VERSION_ONE;
	iso9660_put_733(p + SUSP_CE_EXTENT, (uint32_t)(ce_lba + off / BFS_BLOCK_SIZE));
	iso9660_put_733(p + SUSP_CE_OFFSET, (uint32_t)(off % BFS_BLOCK_SIZE));
	iso9660_put_733(p + SUSP_CE_AREA, (uint32_t)len);
}

/* ---- records ------------------------------------------------------------------------- */

static void dir_slot(const struct iso_dir *d, size_t i, struct slot *s)
{
	static const uint8_t dot[1] = {ISO9660_DR_ID_DOT}, dotdot[1] = {ISO9660_DR_ID_DOTDOT};

	memset(s, 0, sizeof(*s));
	if (i == 0) {
		s->node = d->node, s->id = dot, s->id_len = 1, s->kind = 1, s->dir = d;
	} else if (i == 1) {
		const struct iso_dir *p = d->parent ? d->parent : d;

		s->node = p->node, s->id = dotdot, s->id_len = 1, s->kind = 2, s->dir = p;
		s->pl = d->orig_parent;
	} else {
		const struct iso_rec *r = &d->recs[i - 2];
		const struct iso_dir *sub = r->dir_nr ? d->tree->dirs[r->dir_nr - 1] : NULL;

		s->node = r->node, s->id = r->id, s->id_len = r->id_len, s->rec = r;
		if (r->reloc == RELOC_CL)
			s->cl = sub; /* a file record; the directory lives in RR_MOVED */
		else
			s->dir = sub;
		s->re = r->reloc == RELOC_RE;
	}
}

static size_t rec_base_len(uint8_t id_len)
{
	return ISO9660_DR_FIXED + id_len + (id_len % 2 == 0 ? 1 : 0); /* 9.1.12 padding */
}

/*
 * Size of one record and its continuation chunks; builds the entries into w->susp.
 */
static int slot_layout(struct iso9660_writer *w, const struct iso_tree *t, const struct iso_dir *d,
		       const struct slot *s, size_t *rec_len, struct susp_split *sp)
{
	size_t base = rec_base_len(s->id_len), len = 0;
	int r;

	memset(sp, 0, sizeof(*sp));
	if (!t->rr) {
		*rec_len = base;
		return 0;
	}
	r = rr_build(w, s, s->kind == 1 && !d->parent, &len);
	if (r < 0)
		return r;
	r = susp_split(w->susp, len, (ISO9660_DR_MAX - base) & ~1u, sp);
	if (r < 0)
		return bfs_diag_set(w->diag, -ENAMETOOLONG, "Rock Ridge entries of '%s' too long",
				    s->node->name);
	*rec_len = base + sp->inline_len + (sp->nchunks ? SUSP_CE_SIZE : 0);
	*rec_len += *rec_len & 1;
	return 0;
}

static void put_dirrec(uint8_t *p, size_t rec_len, const struct slot *s, uint64_t lba,
		       uint32_t size, uint8_t flags)
{
	p[ISO9660_DR_LEN] = (uint8_t)rec_len;
	p[ISO9660_DR_XA_LEN] = 0;
	iso9660_put_733(p + ISO9660_DR_EXTENT, (uint32_t)lba);
	iso9660_put_733(p + ISO9660_DR_SIZE, size);
	put_time7(p + ISO9660_DR_DATE, &s->node->mtime);
	p[ISO9660_DR_FLAGS] = flags;
	p[ISO9660_DR_UNIT_SIZE] = 0;
	p[ISO9660_DR_GAP] = 0;
	iso9660_put_723(p + ISO9660_DR_VOLUME_SEQ, 1);
	p[ISO9660_DR_NAME_LEN] = s->id_len;
	memcpy(p + ISO9660_DR_NAME, s->id, s->id_len);
}

/*
 * Records of a regular file's data (ECMA-119 9.1.6 bit 7, multi-extent): one per section
 * (common/tree.h) or, for one extent, per ISO_MAX_EXTENT bytes of it; a section above
 * that is split the same way. Each but the last is a whole number of blocks.
 */
static uint64_t file_parts(const struct bfs_node *dn)
{
	uint64_t parts = 0;

	if (!dn->nsections)
		return BFS_MAX(BFS_DIV_ROUND_UP(dn->size, ISO_MAX_EXTENT), (uint64_t)1);
	for (size_t i = 0; i < dn->nsections; i++) {
		uint64_t lba, bytes;

		bfs_node_section(dn, i, &lba, &bytes);
		parts += BFS_MAX(BFS_DIV_ROUND_UP(bytes, ISO_MAX_EXTENT), (uint64_t)1);
	}
	return parts;
}

/* The extent of record part of file dn's data (see file_parts()). */
static void file_part(const struct bfs_node *dn, unsigned part, uint64_t *lba, uint32_t *size)
{
	uint64_t start = dn->data_lba, bytes = dn->size;

	for (size_t i = 0; i < dn->nsections; i++) {
		uint64_t n;

		bfs_node_section(dn, i, &start, &bytes);
		n = BFS_MAX(BFS_DIV_ROUND_UP(bytes, ISO_MAX_EXTENT), (uint64_t)1);
		if (part < n)
			break;
		part -= (unsigned)n;
	}
	*lba = start + (uint64_t)part * (ISO_MAX_EXTENT / BFS_BLOCK_SIZE);
	*size = (uint32_t)BFS_MIN(bytes - (uint64_t)part * ISO_MAX_EXTENT, ISO_MAX_EXTENT);
}

static void slot_extent(const struct slot *s, uint64_t *lba, uint32_t *size, uint8_t *flags)
{
	const struct bfs_node *n = s->node;

	*flags = (n->flags & BFS_NODE_HIDDEN) && s->kind == 0 ? ISO9660_DRF_HIDDEN : 0;
	if (s->dir) {
		*lba = s->dir->lba;
		*size = s->dir->size;
		*flags |= ISO9660_DRF_DIR;
		return;
	}
	*lba = 0;
	*size = 0;
	if (n->type == BFS_NODE_FILE && n->size > 0) {
		file_part(bfs_node_data_node(n), s->rec->part, lba, size);
		if (s->rec->part + 1 < s->rec->nparts)
			*flags |= ISO9660_DRF_NOT_FINAL;
	}
}

/*
 * Walk a directory's records, computing layout; with out set, render the directory extent
 * (out_dir, d->size bytes) and/or its continuation area (out_ce, ce_blocks blocks).
 */
static int dir_render(struct iso9660_writer *w, const struct iso_tree *t, struct iso_dir *d,
		      uint8_t *out_dir, uint8_t *out_ce, uint64_t *ret_size, uint64_t *ret_ce)
{
	uint64_t pos = 0, ce_pos = 0;
	size_t nslots = d->nrecs + 2;
	struct susp_split sp;
	uint64_t offs[64];

	for (size_t i = 0; i < nslots; i++) {
		struct slot s;
		size_t rl = 0;
		int r;

		dir_slot(d, i, &s);
		r = slot_layout(w, t, d, &s, &rl, &sp);
		if (r < 0)
			return r;
		if (rl > BFS_BLOCK_SIZE - pos % BFS_BLOCK_SIZE)
			pos = BFS_ROUND_UP(pos, BFS_BLOCK_SIZE);
		ce_place(&sp, &ce_pos, offs);
		if (out_dir) {
			uint8_t *p = out_dir + pos;
			uint64_t lba;
			uint32_t size;
			uint8_t flags;
			size_t o = rec_base_len(s.id_len);

			slot_extent(&s, &lba, &size, &flags);
			put_dirrec(p, rl, &s, lba, size, flags);
			if (sp.inline_len) /* without Rock Ridge w->susp is never allocated */
				memcpy(p + o, w->susp, sp.inline_len);
			if (sp.nchunks)
				put_ce(p + o + sp.inline_len, d->ce_lba, offs[0],
				       chunk_total(&sp, 0));
		}
		if (out_ce) {
			for (size_t k = 0; k < sp.nchunks; k++) {
				uint8_t *p = out_ce + offs[k];

				memcpy(p, w->susp + sp.chunk_start[k], sp.chunk_len[k]);
				if (k + 1 < sp.nchunks)
					put_ce(p + sp.chunk_len[k], d->ce_lba, offs[k + 1],
					       chunk_total(&sp, k + 1));
			}
		}
		pos += rl;
	}
	*ret_size = BFS_ROUND_UP(pos, BFS_BLOCK_SIZE);
	*ret_ce = BFS_DIV_ROUND_UP(ce_pos, BFS_BLOCK_SIZE);
	return 0;
}

/* ---- model ------------------------------------------------------------------------- */

static void dir_free(struct iso_dir *d)
{
	if (!d)
		return;
	free(d->recs);
	free(d);
}

static int tree_add_dir(struct iso9660_writer *w, struct iso_tree *t, struct bfs_node *n,
			struct iso_dir *parent, struct iso_dir **ret)
{
	struct iso_dir *d;

	if (t->ndirs >= ISO_MAX_DIRS) {
		_cleanup_free_ char *path = bfs_node_path(n);

		return bfs_diag_set(w->diag, -EMLINK,
				    "'%s': more than %u directories, more than an ISO 9660 path "
				    "table can hold",
				    path ? path : n->name, ISO_MAX_DIRS);
	}
	if (BFS_GROW(t->dirs, t->dirs_cap, t->ndirs + 1) < 0)
		return -ENOMEM;
	d = bfs_new(struct iso_dir, 1);
	if (!d)
		return -ENOMEM;
	d->node = n;
	d->parent = parent;
	d->tree = t;
	d->level = parent ? parent->level + 1 : 1;
	d->number = (uint32_t)t->ndirs + 1;
	t->dirs[t->ndirs++] = d;
	*ret = d;
	return 0;
}

static bool tree_records(const struct iso_tree *t, const struct bfs_node *c)
{
	if (c->type == BFS_NODE_DIR || c->type == BFS_NODE_FILE)
		return true;
	return t->rr && !t->joliet;
}

/*
 * How many records file c takes: more than one needs level 3 (multi-extent files, ECMA-119
 * 6.1: levels 1 and 2 have one file section per file), and 255 at most.
 */
static int file_records(struct iso9660_writer *w, const struct bfs_node *c, unsigned *ret)
{
	const struct bfs_node *dn = bfs_node_data_node(c);
	uint64_t parts = file_parts(dn);
	_cleanup_free_ char *path = NULL;

	*ret = (unsigned)BFS_MIN(parts, 256u);
	if (parts == 1 || (w->opts.level >= 3 && parts <= 255))
		return 0;
	path = bfs_node_path(c);
	if (parts > 255)
		return bfs_diag_set(w->diag, -EFBIG, "'%s': file too large (%llu extents)",
				    path ? path : c->name, (unsigned long long)parts);
	if (dn->nsections)
		return bfs_diag_set(w->diag, -EFBIG,
				    "'%s': stored in %u sections, which needs ISO 9660 level 3 "
				    "(multi-extent files)",
				    path ? path : c->name, dn->nsections);
	return bfs_diag_set(w->diag, -EFBIG,
			    "'%s': %llu bytes needs ISO 9660 level 3 (files of 4 GiB and more)",
			    path ? path : c->name, (unsigned long long)c->size);
}

/* Records of one directory: names mapped, collisions resolved, sorted. */
static int dir_build(struct iso9660_writer *w, struct iso_tree *t, struct iso_dir *d)
{
	const struct bfs_node *dn = d->node;
	struct bfs_strset seen = {0};
	struct bfs_node *c;
	size_t i, nrecs = 0;
	int r = 0;

	for (i = 0; i < dn->nchildren; i++) {
		c = dn->children[i];
		if (!tree_records(t, c))
			continue;
		nrecs += c->type == BFS_NODE_FILE ? (size_t)file_parts(bfs_node_data_node(c)) : 1;
	}
	if (t->reloc && w->rr_moved && !d->parent)
		nrecs++; /* RR_MOVED */
	d->recs = bfs_new(struct iso_rec, nrecs);
	if (!d->recs)
		return -ENOMEM;
	for (i = 0; i < dn->nchildren + (nrecs > 0 && t->reloc && w->rr_moved && !d->parent); i++) {
		c = i < dn->nchildren ? dn->children[i] : w->rr_moved;
		uint8_t id[256], key[256];
		size_t len = 0;
		unsigned nparts = 1;
		bool lossy = false;

		if (!tree_records(t, c)) {
			if (t->joliet)
				w->joliet_skipped++;
			else {
				_cleanup_free_ char *path = bfs_node_path(c);

				bfs_diag_warn(w->diag,
					      "'%s': special file needs Rock Ridge, not recorded "
					      "in the ISO 9660 tree",
					      path ? path : c->name);
			}
			continue;
		}
		if (c->type == BFS_NODE_FILE) {
			r = file_records(w, c, &nparts);
			if (r < 0)
				goto out;
		}
		for (unsigned sfx = 0;; sfx++) {
			int added;

			if (t->joliet) {
				len = joliet_name(c, sfx, id, &lossy);
				joliet_fold(id, len, key);
			} else {
				len = iso_name(c, sfx, id);
				memcpy(key, id, len);
			}
			added = bfs_strset_add(&seen, key, len);
			if (added < 0) {
				r = -ENOMEM;
				goto out;
			}
			if (added)
				break;
		}
		for (unsigned p = 0; p < nparts; p++) {
			struct iso_rec *rec = &d->recs[d->nrecs++];

			rec->node = c;
			rec->id_len = (uint8_t)len;
			rec->part = (uint8_t)p;
			rec->nparts = (uint8_t)nparts;
			if (t->reloc && c->type == BFS_NODE_DIR && dn == w->rr_moved)
				rec->reloc = RELOC_RE;
			else if (t->reloc && c->type == BFS_NODE_DIR &&
				 d->level + 1 > ISO_MAX_LEVEL)
				rec->reloc = RELOC_CL;
			if (p == 0) {
				rec->id = bfs_arena_memdup(&w->arena, id, len);
				if (!rec->id) {
					r = -ENOMEM;
					goto out;
				}
			} else {
				rec->id = d->recs[d->nrecs - 2].id;
			}
		}
	}
	{
		size_t unit = t->joliet ? 2 : 1;

		for (size_t k = 0; k < d->nrecs; k++) {
			struct iso_rec *x = &d->recs[k];

			x->split = (uint8_t)id_split(x->id, x->id_len, unit,
						     x->node->type != BFS_NODE_DIR);
		}
		qsort(d->recs, d->nrecs, sizeof(*d->recs), rec_cmp);
	}
out:
	bfs_strset_done(&seen);
	return r;
}

/*
 * Rock Ridge relocation, before the tree is built: find the directories that would sit
 * deeper than ISO_MAX_LEVEL (a relocated one starts again at level 3, under RR_MOVED at
 * level 2) and make the synthetic RR_MOVED node whose children they are. Iterative.
 */
static int reloc_plan(struct iso9660_writer *w)
{
	struct item {
		struct bfs_node *n;
		unsigned level;
	} *stack = NULL;
	size_t n = 0, cap = 0;
	struct bfs_node **moved = NULL;
	size_t nmoved = 0, moved_cap = 0;
	uint64_t max_ino = w->root->ino;
	int r = 0;

	if (BFS_GROW(stack, cap, 1) < 0)
		return -ENOMEM;
	stack[n++] = (struct item){w->root, 1};
	while (n > 0 && r == 0) {
		struct item it = stack[--n];
		struct bfs_node *c;
		size_t i;

		bfs_node_foreach_child(c, it.n, i) {
			unsigned level = it.level + 1;

			max_ino = BFS_MAX(max_ino, c->ino);
			if (c->type != BFS_NODE_DIR)
				continue;
			if (level > ISO_MAX_LEVEL) {
				if (BFS_GROW(moved, moved_cap, nmoved + 1) < 0) {
					r = -ENOMEM;
					break;
				}
				moved[nmoved++] = c;
				level = 3;
			}
			if (BFS_GROW(stack, cap, n + 1) < 0) {
				r = -ENOMEM;
				break;
			}
			stack[n++] = (struct item){c, level};
		}
	}
	free(stack);
	if (r < 0 || nmoved == 0) {
		free(moved);
		return r;
	}
	w->rr_moved = bfs_node_new(".rr_moved", 9, BFS_NODE_DIR);
	if (!w->rr_moved) {
		free(moved);
		return -ENOMEM;
	}
	/* not a child of the tree: it borrows the moved nodes without becoming their parent */
	w->rr_moved->children = moved;
	w->rr_moved->nchildren = (uint32_t)nmoved;
	w->rr_moved->children_cap = (uint32_t)nmoved;
	w->rr_moved->mode = 0555;
	w->rr_moved->uid = w->root->uid;
	w->rr_moved->gid = w->root->gid;
	w->rr_moved->mtime = w->rr_moved->atime = w->rr_moved->ctime = w->root->mtime;
	w->rr_moved->nlink = 2 + (uint32_t)nmoved;
	w->rr_moved->ino = max_ino + 1;
	w->rr_moved->flags = BFS_NODE_HIDDEN;
	return 0;
}

static int tree_build(struct iso9660_writer *w, struct iso_tree *t)
{
	struct iso_dir *root;
	int r;

	r = tree_add_dir(w, t, w->root, NULL, &root);
	if (r < 0)
		return r;
	/* breadth first: path table order falls out of the queue */
	for (size_t q = 0; q < t->ndirs; q++) {
		struct iso_dir *d = t->dirs[q];

		r = dir_build(w, t, d);
		if (r < 0)
			return r;
		for (size_t i = 0; i < d->nrecs; i++) {
			struct iso_rec *rec = &d->recs[i];

			if (rec->node->type != BFS_NODE_DIR || rec->reloc == RELOC_CL)
				continue;
			struct iso_dir *sub;

			r = tree_add_dir(w, t, rec->node, d, &sub);
			if (r < 0)
				return r;
			rec->dir_nr = sub->number;
			sub->id = rec->id;
			sub->id_len = rec->id_len;
			if (rec->node == w->rr_moved)
				t->moved = sub;
		}
	}
	if (!t->moved)
		return 0;
	/* each stand-in points at its moved directory, which points back (CL / PL) */
	for (size_t q = 0; q < t->ndirs; q++) {
		struct iso_dir *d = t->dirs[q];

		for (size_t i = 0; i < d->nrecs; i++) {
			struct iso_rec *rec = &d->recs[i];

			if (rec->reloc != RELOC_CL)
				continue;
			for (size_t k = 0; k < t->moved->nrecs; k++) {
				const struct iso_rec *m = &t->moved->recs[k];

				if (m->node == rec->node) {
					rec->dir_nr = m->dir_nr;
					t->dirs[m->dir_nr - 1]->orig_parent = d;
					break;
				}
			}
			if (!rec->dir_nr)
				return bfs_diag_set(
					w->diag, -EIO,
					"internal error: relocated '%s' not in RR_MOVED",
					rec->node->name);
		}
	}
	return 0;
}

static uint32_t pt_rec_len(const struct iso_dir *d)
{
	size_t l = d->id ? d->id_len : 1;

	return (uint32_t)(ISO9660_PT_FIXED + l + (l & 1));
}

int iso9660_writer_new(const struct iso9660_writer_opts *opts, struct bfs_node *root,
		       struct bfs_diag *diag, struct iso9660_writer **ret)
{
	_cleanup_(iso9660_writer_freep) struct iso9660_writer *w = NULL;
	int r;

	if (!opts || !root || root->type != BFS_NODE_DIR || (opts->level != 2 && opts->level != 3))
		return bfs_diag_set(diag, -EINVAL, "ISO 9660: interchange level must be 2 or 3");
	if (opts->rr_relocate && !opts->rockridge)
		return bfs_diag_set(diag, -EINVAL,
				    "ISO 9660: directory relocation needs Rock Ridge (CL/PL/RE)");
	w = bfs_new(struct iso9660_writer, 1);
	if (!w)
		return -ENOMEM;
	w->opts = *opts;
	w->root = root;
	w->diag = diag;
	w->trees[0].rr = opts->rockridge;
	w->trees[0].reloc = opts->rr_relocate;
	w->ntrees = 1;
	if (opts->rr_relocate) {
		r = reloc_plan(w);
		if (r < 0)
			return r;
	}
	if (opts->joliet) {
		w->trees[1].joliet = true;
		w->ntrees = 2;
	}
	for (unsigned i = 0; i < w->ntrees; i++) {
		struct iso_tree *t = &w->trees[i];

		r = tree_build(w, t);
		if (r < 0)
			return r;
		for (size_t k = 0; k < t->ndirs; k++)
			t->pt_size += pt_rec_len(t->dirs[k]);
	}
	if (w->joliet_skipped)
		bfs_log(LOG_INFO,
			"Joliet: %u symlinks and special files have no Joliet form and "
			"appear only in the Rock Ridge tree",
			w->joliet_skipped);
	*ret = TAKE_PTR(w);
	return 0;
}

struct iso9660_writer *iso9660_writer_free(struct iso9660_writer *w)
{
	if (!w)
		return NULL;
	for (unsigned i = 0; i < 2; i++) {
		for (size_t k = 0; k < w->trees[i].ndirs; k++)
			dir_free(w->trees[i].dirs[k]);
		free(w->trees[i].dirs);
	}
	bfs_extent_list_done(&w->extents);
	bfs_arena_done(&w->arena);
	free(w->susp);
	if (w->rr_moved) {
		free(w->rr_moved->children); /* borrowed nodes: not theirs to free */
		free(w->rr_moved);
	}
	free(w);
	return NULL;
}

int iso9660_writer_plan_descriptors(struct iso9660_writer *w, uint64_t *cursor)
{
	int r;

	w->pvd_lba = *cursor;
	r = bfs_extent_list_add(&w->extents, (*cursor)++, 1, ISO_EXT_PVD, NULL);
	/* El Torito 2.0: the boot record right after the PVD, at session start + 17 */
	if (r == 0 && w->opts.boot_record)
		r = bfs_extent_list_add(&w->extents, (*cursor)++, 1, ISO_EXT_BRVD, NULL);
	if (r == 0 && w->opts.joliet)
		r = bfs_extent_list_add(&w->extents, (*cursor)++, 1, ISO_EXT_SVD, &w->trees[1]);
	if (r == 0)
		r = bfs_extent_list_add(&w->extents, (*cursor)++, 1, ISO_EXT_TERM, NULL);
	return r;
}

int iso9660_writer_plan_meta(struct iso9660_writer *w, uint64_t *cursor)
{
	int r;

	for (unsigned i = 0; i < w->ntrees; i++) {
		struct iso_tree *t = &w->trees[i];
		uint64_t ptb = BFS_DIV_ROUND_UP(t->pt_size, BFS_BLOCK_SIZE);

		t->pt_l_lba = *cursor;
		r = bfs_extent_list_add(&w->extents, *cursor, ptb, ISO_EXT_PT_L, t);
		if (r < 0)
			return r;
		*cursor += ptb;
		t->pt_m_lba = *cursor;
		r = bfs_extent_list_add(&w->extents, *cursor, ptb, ISO_EXT_PT_M, t);
		if (r < 0)
			return r;
		*cursor += ptb;
	}
	/* sizes first (records of a directory point at subdirectory sizes only) */
	for (unsigned i = 0; i < w->ntrees; i++) {
		struct iso_tree *t = &w->trees[i];

		for (size_t k = 0; k < t->ndirs; k++) {
			struct iso_dir *d = t->dirs[k];
			uint64_t size, ce;

			r = dir_render(w, t, d, NULL, NULL, &size, &ce);
			if (r < 0)
				return r;
			if (size > UINT32_MAX)
				return bfs_diag_set(w->diag, -EFBIG, "'%s': directory too large",
						    d->node->name);
			d->size = (uint32_t)size;
			d->ce_blocks = (uint32_t)ce;
		}
		for (size_t k = 0; k < t->ndirs; k++) {
			struct iso_dir *d = t->dirs[k];

			d->lba = *cursor;
			r = bfs_extent_list_add(&w->extents, *cursor, d->size / BFS_BLOCK_SIZE,
						ISO_EXT_DIR, d);
			if (r < 0)
				return r;
			*cursor += d->size / BFS_BLOCK_SIZE;
			if (d->ce_blocks) {
				d->ce_lba = *cursor;
				r = bfs_extent_list_add(&w->extents, *cursor, d->ce_blocks,
							ISO_EXT_CE, d);
				if (r < 0)
					return r;
				*cursor += d->ce_blocks;
			}
		}
	}
	if (*cursor > UINT32_MAX)
		return bfs_diag_set(w->diag, -EFBIG, "ISO 9660: metadata beyond 2^32 blocks");
	return 0;
}

int iso9660_writer_finish(struct iso9660_writer *w, const struct bfs_volume_info *vi)
{
	if (vi->volume_blocks > UINT32_MAX)
		return bfs_diag_set(w->diag, -EFBIG, "ISO 9660: volume of %llu blocks too large",
				    (unsigned long long)vi->volume_blocks);
	w->vi = vi;
	return 0;
}

void iso9660_writer_set_boot_catalog(struct iso9660_writer *w, uint32_t lba)
{
	w->boot_catalog = lba;
}

uint64_t iso9660_writer_pvd_lba(const struct iso9660_writer *w)
{
	return w->pvd_lba;
}

const struct bfs_extent_list *iso9660_writer_extents(const struct iso9660_writer *w)
{
	return &w->extents;
}

/* The identifiers of a PVD (8.4.5-8.4.25): d- or a-characters as each field asks. */
static void fill_vd_ids(const struct bfs_volume_info *vi, uint8_t *b)
{
	put_ident(b + ISO9660_VD_SYSTEM_ID, ISO9660_VD_SYSTEM_ID_LEN, vi->system_id, false);
	put_ident(b + ISO9660_VD_VOLUME_ID, ISO9660_VD_VOLUME_ID_LEN, vi->volume_id, true);
	put_ident(b + ISO9660_VD_SET_ID, ISO9660_VD_SET_ID_LEN, vi->volume_id, true);
	put_ident(b + ISO9660_VD_PUBLISHER, ISO9660_VD_PUBLISHER_LEN, vi->publisher, false);
	put_ident(b + ISO9660_VD_PREPARER, ISO9660_VD_PREPARER_LEN, vi->preparer, false);
	put_ident(b + ISO9660_VD_APPLICATION, ISO9660_VD_APPLICATION_LEN, vi->application, false);
	put_ident(b + ISO9660_VD_COPYRIGHT, ISO9660_VD_COPYRIGHT_LEN, NULL, true);
	put_ident(b + ISO9660_VD_ABSTRACT, ISO9660_VD_ABSTRACT_LEN, NULL, true);
	put_ident(b + ISO9660_VD_BIBLIOGRAPHIC, ISO9660_VD_BIBLIOGRAPHIC_LEN, NULL, true);
}

/* The same fields of the Joliet SVD (8.5.4-8.5.5) in UCS-2 level 3, named by its escapes. */
static void fill_vd_ids_ucs2(const struct bfs_volume_info *vi, uint8_t *b)
{
	put_ident_ucs2(b + ISO9660_VD_SYSTEM_ID, ISO9660_VD_SYSTEM_ID_LEN, vi->system_id);
	put_ident_ucs2(b + ISO9660_VD_VOLUME_ID, ISO9660_VD_VOLUME_ID_LEN, vi->volume_id);
	b[ISO9660_VD_ESCAPES] = JOLIET_ESC_0;
	b[ISO9660_VD_ESCAPES + 1] = JOLIET_ESC_1;
	b[ISO9660_VD_ESCAPES + 2] = JOLIET_ESC_LEVEL3;
	put_ident_ucs2(b + ISO9660_VD_SET_ID, ISO9660_VD_SET_ID_LEN, vi->volume_id);
	put_ident_ucs2(b + ISO9660_VD_PUBLISHER, ISO9660_VD_PUBLISHER_LEN, vi->publisher);
	put_ident_ucs2(b + ISO9660_VD_PREPARER, ISO9660_VD_PREPARER_LEN, vi->preparer);
	put_ident_ucs2(b + ISO9660_VD_APPLICATION, ISO9660_VD_APPLICATION_LEN, vi->application);
	put_ident_ucs2(b + ISO9660_VD_COPYRIGHT, ISO9660_VD_COPYRIGHT_LEN, NULL);
	put_ident_ucs2(b + ISO9660_VD_ABSTRACT, ISO9660_VD_ABSTRACT_LEN, NULL);
	put_ident_ucs2(b + ISO9660_VD_BIBLIOGRAPHIC, ISO9660_VD_BIBLIOGRAPHIC_LEN, NULL);
}

static int fill_vd(struct iso9660_writer *w, const struct iso_tree *t, uint8_t *b)
{
	const struct bfs_volume_info *vi = w->vi;
	const struct iso_dir *root = t->dirs[0];
	struct slot s;
	uint8_t flags;
	uint64_t lba;
	uint32_t size;

	b[ISO9660_VD_TYPE] = t->joliet ? ISO9660_VD_TYPE_SUPPL : ISO9660_VD_TYPE_PRIMARY;
	memcpy(b + ISO9660_VD_STD_ID, ISO9660_STD_ID, ISO9660_VD_STD_ID_LEN);
	b[ISO9660_VD_VERSION] = ISO9660_VD_VERSION_ONE;
	if (t->joliet)
		fill_vd_ids_ucs2(vi, b);
	else
		fill_vd_ids(vi, b);
	iso9660_put_733(b + ISO9660_VD_VOLUME_SIZE, (uint32_t)vi->volume_blocks);
	iso9660_put_723(b + ISO9660_VD_SET_SIZE, 1);
	iso9660_put_723(b + ISO9660_VD_SEQUENCE, 1);
	iso9660_put_723(b + ISO9660_VD_BLOCK_SIZE, BFS_BLOCK_SIZE);
	iso9660_put_733(b + ISO9660_VD_PT_SIZE, t->pt_size);
	bfs_put_le32(b + ISO9660_VD_PT_L, (uint32_t)t->pt_l_lba);
	bfs_put_be32(b + ISO9660_VD_PT_M, (uint32_t)t->pt_m_lba);
	dir_slot(root, 0, &s);
	slot_extent(&s, &lba, &size, &flags);
	put_dirrec(b + ISO9660_VD_ROOT, ISO9660_ROOT_REC_SIZE, &s, lba, size, flags);
	put_time17(b + ISO9660_VD_CREATED, &vi->create_time);
	put_time17(b + ISO9660_VD_MODIFIED, &vi->create_time);
	put_time17(b + ISO9660_VD_EXPIRES, NULL);
	put_time17(b + ISO9660_VD_EFFECTIVE, &vi->create_time);
	b[ISO9660_VD_FS_VERSION] = 1;
	return 0;
}

static const uint8_t *pt_ident(const struct iso_dir *d, uint8_t *len)
{
	static const uint8_t root_id[1] = {0};

	if (d->id) {
		*len = d->id_len;
		return d->id;
	}
	*len = 1;
	return root_id;
}

static void fill_pt(const struct iso_tree *t, bool msb, uint8_t *b)
{
	size_t o = 0;

	for (size_t k = 0; k < t->ndirs; k++) {
		const struct iso_dir *d = t->dirs[k];
		uint8_t l;
		const uint8_t *id = pt_ident(d, &l);
		uint16_t parent = (uint16_t)(d->parent ? d->parent->number : 1);

		b[o + ISO9660_PT_NAME_LEN] = l;
		b[o + ISO9660_PT_XA_LEN] = 0;
		if (msb) {
			bfs_put_be32(b + o + ISO9660_PT_EXTENT, (uint32_t)d->lba);
			bfs_put_be16(b + o + ISO9660_PT_PARENT, parent);
		} else {
			bfs_put_le32(b + o + ISO9660_PT_EXTENT, (uint32_t)d->lba);
			bfs_put_le16(b + o + ISO9660_PT_PARENT, parent);
		}
		memcpy(b + o + ISO9660_PT_NAME, id, l);
		o += ISO9660_PT_FIXED + l + (l & 1);
	}
}

int iso9660_writer_fill(struct iso9660_writer *w, const struct bfs_extent *e, uint8_t *buf)
{
	uint64_t size, ce;

	memset(buf, 0, e->nblocks * BFS_BLOCK_SIZE);
	if (!w->vi)
		return -EINVAL;
	switch (e->kind) {
	case ISO_EXT_PVD:
		return fill_vd(w, &w->trees[0], buf);
	case ISO_EXT_BRVD:
		iso9660_eltorito_brvd(buf, w->boot_catalog);
		return 0;
	case ISO_EXT_SVD:
		return fill_vd(w, e->obj, buf);
	case ISO_EXT_TERM:
		buf[ISO9660_VD_TYPE] = ISO9660_VD_TYPE_TERMINATOR; /* 8.3 */
		memcpy(buf + ISO9660_VD_STD_ID, ISO9660_STD_ID, ISO9660_VD_STD_ID_LEN);
		buf[ISO9660_VD_VERSION] = ISO9660_VD_VERSION_ONE;
		return 0;
	case ISO_EXT_PT_L:
	case ISO_EXT_PT_M:
		fill_pt(e->obj, e->kind == ISO_EXT_PT_M, buf);
		return 0;
	case ISO_EXT_DIR:
	case ISO_EXT_CE: {
		struct iso_dir *d = e->obj;

		return dir_render(w, d->tree, d, e->kind == ISO_EXT_DIR ? buf : NULL,
				  e->kind == ISO_EXT_CE ? buf : NULL, &size, &ce);
	}
	default:
		return -EINVAL;
	}
}
