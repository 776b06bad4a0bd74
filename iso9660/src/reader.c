/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ISO 9660 / Joliet / Rock Ridge reader. See iso9660/reader.h.
 *
 * Validation order for a directory record (ECMA-119 9.1): the length byte (0 means "the
 * rest of this block is padding"), the fixed part (33 bytes) inside the block, the
 * identifier inside the record, then the System Use area, whose entries (SUSP 4.1) are each
 * checked to fit before their fields are read. Continuation areas (CE) are followed up to
 * ISO9660_CE_HOPS_MAX hops and ISO9660_CE_MAX bytes, so a CE loop ends with an error.
 */
#include "iso9660/reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/civil.h"
#include "common/bytes.h"
#include "common/charset.h"
#include "common/cursor.h"
#include "iso9660/layout.h"

#include <zlib.h>

#define BLOCK  ISO9660_BLOCK_SIZE
#define VD_MAX 64 /* descriptors looked at before giving up */

struct iso9660_reader {
	iso9660_read_fn read;
	void *userdata;
	struct bfs_diag *diag;
	struct iso9660_volume_info info;
	uint64_t session_start;
	/*
	 * One past the last block a record may point at: the session's start plus its volume
	 * space size. mkisofs -C and burnfs write that size absolute, libisofs as the
	 * session's own length; this bound is right for both (reads past the medium fail).
	 */
	uint64_t limit;
	uint8_t root_rec[ISO9660_ROOT_REC_SIZE]; /* the root record of the tree in use */
	bool rr;				 /* Rock Ridge entries are interpreted */
	bool joliet;				 /* names are UCS-2 */
	unsigned susp_skip;			 /* SP LEN_SKP */
	uint8_t block[BLOCK];			 /* scratch for one block */
	uint8_t *ce;				 /* continuation area buffer */
	struct zisofs_cache *zf;
};

/*
 * zisofs ("pz", RRIP ZF): the file's stored data starts with a header (the magic, the
 * uncompressed size, the header size / 4, log2 of the block size), then one 32-bit
 * little-endian pointer per block plus one for the end; block i is the zlib stream between
 * pointers i and i + 1, and an empty one is a block of zeros (mkzftree, libisofs, Linux
 * fs/isofs/compress.c). One block is inflated at a time, into a cache that serves the
 * sequential reads of a file.
 */
#define ZF_MAGIC    "\x37\xE4\x53\x96\xC9\xDB\xD6\x07"
#define ZF_LOG2_MIN 15u
#define ZF_LOG2_MAX 17u
#define ZF_IN_MAX   (2u << ZF_LOG2_MAX) /* far above zlib's worst case for one block */

struct zisofs_cache {
	z_stream z;
	bool z_ready;
	uint8_t in[ZF_IN_MAX];
	uint8_t out[1u << ZF_LOG2_MAX];
	bool valid; /* out holds block index of the file (lba, size) */
	uint64_t lba, size, index;
	size_t out_len;
	bool hdr_ok; /* the header of the file (hdr_lba, hdr_size) was checked */
	uint64_t hdr_lba, hdr_size;
};

/*
 * Where a directory record is, for messages: put into words only when one is made (a
 * snprintf() a record was 5% of reading a 100,000-file tree).
 */
struct rec_where {
	const char *fixed; /* the words, when not a place in a directory */
	uint64_t lba;
	size_t pos;
	char text[80];
};

static const char *where_str(struct rec_where *w)
{
	if (w->fixed)
		return w->fixed;
	snprintf(w->text, sizeof(w->text), "directory record at block %llu offset %zu",
		 (unsigned long long)w->lba, w->pos);
	return w->text;
}

static void zisofs_cache_free(struct zisofs_cache *c)
{
	if (!c)
		return;
	if (c->z_ready)
		inflateEnd(&c->z);
	free(c);
}

/* What the System Use area of one record says. */
struct susp_state {
	struct iso9660_entry *e;
	bool nm_done, nm_continue;
	bool sl_continue, sl_comp_continue;
	size_t target_len;
	bool relocated;	 /* RE: a moved directory inside the relocation directory */
	uint64_t cl_lba; /* CL: the real place of a moved directory, 0 if none */
	bool px;
	unsigned ce_hops;
	size_t ce_bytes;
	uint64_t zf_size; /* ZF: the uncompressed size */
	/* pending continuation */
	uint64_t ce_lba;
	uint32_t ce_off, ce_len;
};

static int rd(struct iso9660_reader *r, uint64_t lba, uint32_t n, uint8_t *buf)
{
	int e = r->read(r->userdata, lba, n, buf);

	if (e < 0)
		return bfs_diag_set(r->diag, e, "cannot read block %llu: %s",
				    (unsigned long long)lba, strerror(-e));
	return 0;
}

void iso9660_entry_done(struct iso9660_entry *e)
{
	free(e->target);
	free(e->ext);
	memset(e, 0, sizeof(*e));
}

/* timegm() of fields in range (month 0..11, day 1..31), by arithmetic (common/civil.h) */
static int64_t civil_seconds(const struct tm *tm)
{
	return bfs_days_from_civil((int64_t)tm->tm_year + 1900, (unsigned)tm->tm_mon + 1,
				   (unsigned)tm->tm_mday) *
		       86400 +
	       tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}

/* ECMA-119 9.1.5: seven bytes, years since 1900, offset from GMT in 15 min units */
static struct bfs_time date7(const uint8_t *p)
{
	struct tm tm = {
		.tm_year = p[0],
		.tm_mon = BFS_MIN(p[1] ? p[1] - 1 : 0, 11),
		.tm_mday = BFS_MIN(p[2] ? p[2] : 1, 31),
		.tm_hour = BFS_MIN(p[3], 23),
		.tm_min = BFS_MIN(p[4], 59),
		.tm_sec = BFS_MIN(p[5], 60),
	};
	int8_t gmtoff = (int8_t)p[6];
	int64_t t = civil_seconds(&tm);

	if (gmtoff >= -48 && gmtoff <= 52)
		t -= (int64_t)gmtoff * 15 * 60;
	return (struct bfs_time){.sec = t};
}

/* ECMA-119 8.4.26.1: seventeen bytes of digits, hundredths and a GMT offset */
static struct bfs_time date17(const uint8_t *p)
{
	int v[7] = {0};
	static const int w[7] = {4, 2, 2, 2, 2, 2, 2};
	struct tm tm;
	int64_t t;
	size_t o = 0;

	for (int i = 0; i < 7; i++) {
		for (int k = 0; k < w[i]; k++, o++) {
			if (p[o] < '0' || p[o] > '9')
				return (struct bfs_time){0};
			v[i] = v[i] * 10 + (p[o] - '0');
		}
	}
	tm = (struct tm){.tm_year = v[0] - 1900,
			 .tm_mon = BFS_MIN(v[1] ? v[1] - 1 : 0, 11),
			 .tm_mday = BFS_MIN(v[2] ? v[2] : 1, 31),
			 .tm_hour = BFS_MIN(v[3], 23),
			 .tm_min = BFS_MIN(v[4], 59),
			 .tm_sec = BFS_MIN(v[5], 60)};
	t = civil_seconds(&tm);
	if ((int8_t)p[16] >= -48 && (int8_t)p[16] <= 52)
		t -= (int64_t)(int8_t)p[16] * 15 * 60;
	return (struct bfs_time){.sec = t, .nsec = (uint32_t)v[6] * 10000000u};
}

/* ---- names --------------------------------------------------------------------------- */

static void name_plain(struct iso9660_entry *e, const uint8_t *id, size_t len)
{
	/* strip ";version" and a trailing '.' of an empty extension */
	const uint8_t *semi = memchr(id, ';', len);

	if (semi)
		len = (size_t)(semi - id);
	if (len > 1 && id[len - 1] == '.')
		len--;
	len = BFS_MIN(len, (size_t)ISO9660_NAME_MAX);
	memcpy(e->name, id, len);
	e->name[len] = '\0';
	e->name_len = len;
}

static void name_joliet(struct iso9660_entry *e, const uint8_t *id, size_t len)
{
	size_t o = 0;

	len &= ~(size_t)1;
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint32_t cp = bfs_get_be16(id + i);
		uint8_t u[4];
		size_t n;

		if (cp == ';' && i + 2 < len)
			break;					   /* version */
		if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < len) { /* UTF-16 pair */
			uint32_t lo = bfs_get_be16(id + i + 2);

			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			} else {
				cp = 0xFFFD;
			}
		} else if (cp >= 0xD800 && cp <= 0xDFFF) {
			cp = 0xFFFD;
		}
		n = bfs_utf8_put(cp, u);
		if (o + n > ISO9660_NAME_MAX)
			break;
		memcpy(e->name + o, u, n);
		o += n;
	}
	if (o > 1 && e->name[o - 1] == '.')
		o--;
	e->name[o] = '\0';
	e->name_len = o;
}

/* ---- System Use (SUSP / Rock Ridge) --------------------------------------------------- */

/* PX: POSIX file attributes (RRIP 4.1.1); p is the entry, len bytes */
static int rr_px(struct iso9660_reader *r, struct susp_state *st, const uint8_t *p, size_t len,
		 struct rec_where *where)
{
	struct iso9660_entry *e = st->e;

	if (len < RRIP_PX_SIZE_1_10)
		return BFS_CORRUPT(r->diag, "%s: PX entry of %zu bytes", where_str(where), len);
	e->mode = bfs_get_le32(p + RRIP_PX_MODE) & 07777;
	switch (bfs_get_le32(p + RRIP_PX_MODE) & 0170000) {
	case 0040000:
		e->type = BFS_NODE_DIR;
		break;
	case 0120000:
		e->type = BFS_NODE_SYMLINK;
		break;
	case 0020000:
		e->type = BFS_NODE_CHR;
		break;
	case 0060000:
		e->type = BFS_NODE_BLK;
		break;
	case 0010000:
		e->type = BFS_NODE_FIFO;
		break;
	case 0140000:
		e->type = BFS_NODE_SOCK;
		break;
	default:
		break; /* regular, or what the record's flags say */
	}
	e->nlink = bfs_get_le32(p + RRIP_PX_LINKS);
	e->uid = bfs_get_le32(p + RRIP_PX_UID);
	e->gid = bfs_get_le32(p + RRIP_PX_GID);
	if (len >= RRIP_PX_SIZE)
		e->ino = bfs_get_le32(p + RRIP_PX_INO);
	st->px = true;
	return 0;
}

/* NM: alternate name, possibly continued (RRIP 4.1.4) */
static int rr_nm(struct iso9660_reader *r, struct susp_state *st, const uint8_t *p, size_t len,
		 struct rec_where *where)
{
	struct iso9660_entry *e = st->e;
	uint8_t f;
	size_t n;

	if (len < RRIP_NM_HDR_SIZE)
		return BFS_CORRUPT(r->diag, "%s: NM entry of %zu bytes", where_str(where), len);
	if (st->nm_done && !st->nm_continue)
		return 0;
	if (!st->nm_done)
		e->name_len = 0;
	st->nm_done = true;
	f = p[RRIP_NM_FLAGS];
	st->nm_continue = f & RRIP_NM_CONTINUE;
	if (f & (RRIP_NM_CURRENT | RRIP_NM_PARENT))
		return 0; /* "." / ".." */
	n = BFS_MIN(len - RRIP_NM_HDR_SIZE, (size_t)ISO9660_NAME_MAX - e->name_len);
	memcpy(e->name + e->name_len, p + RRIP_NM_NAME, n);
	e->name_len += n;
	e->name[e->name_len] = '\0';
	return 0;
}

/* SL: symbolic link components (RRIP 4.1.3) */
static int rr_sl(struct iso9660_reader *r, struct susp_state *st, const uint8_t *p, size_t len,
		 struct rec_where *where)
{
	struct iso9660_entry *e = st->e;
	struct bfs_cursor c = bfs_cur_make(p, len);

	if (!bfs_cur_skip(&c, RRIP_SL_COMPONENTS))
		return BFS_CORRUPT(r->diag, "%s: SL entry of %zu bytes", where_str(where), len);
	if (!e->target) {
		e->target = calloc(1, ISO9660_TARGET_MAX + 1);
		if (!e->target)
			return -ENOMEM;
	}
	while (bfs_cur_left(&c) > 0) {
		const uint8_t *cp;
		uint8_t cf, cl;
		const char *add = NULL;
		size_t addl = 0;

		if (!bfs_cur_need(&c, RRIP_SLC_HDR_SIZE))
			return BFS_CORRUPT(r->diag, "%s: SL component header cut",
					   where_str(where));
		cf = bfs_cur_ptr(&c)[RRIP_SLC_FLAGS];
		cl = bfs_cur_ptr(&c)[RRIP_SLC_LEN];
		if (!bfs_cur_need(&c, RRIP_SLC_HDR_SIZE + cl))
			return BFS_CORRUPT(r->diag, "%s: SL component of %u bytes overruns",
					   where_str(where), cl);
		cp = bfs_cur_ptr(&c) + RRIP_SLC_CONTENT;
		(void)bfs_cur_skip(&c, RRIP_SLC_HDR_SIZE + cl);
		if (st->target_len && !st->sl_comp_continue &&
		    st->target_len < ISO9660_TARGET_MAX && e->target[st->target_len - 1] != '/')
			e->target[st->target_len++] = '/';
		if (cf & RRIP_SLC_CURRENT)
			add = ".", addl = 1;
		else if (cf & RRIP_SLC_PARENT)
			add = "..", addl = 2;
		else if (cf & RRIP_SLC_ROOT)
			add = "/", addl = 1;
		else
			add = (const char *)cp, addl = cl;
		addl = BFS_MIN(addl, (size_t)ISO9660_TARGET_MAX - st->target_len);
		memcpy(e->target + st->target_len, add, addl);
		st->target_len += addl;
		st->sl_comp_continue = cf & RRIP_SLC_CONTINUE;
	}
	st->sl_continue = p[RRIP_SL_FLAGS] & RRIP_SL_CONTINUE;
	e->target[st->target_len] = '\0';
	e->type = BFS_NODE_SYMLINK;
	return 0;
}

/* TF: time stamps (RRIP 4.1.6) */
static int rr_tf(struct iso9660_reader *r, struct susp_state *st, const uint8_t *p, size_t len,
		 struct rec_where *where)
{
	struct iso9660_entry *e = st->e;
	struct bfs_cursor c = bfs_cur_make(p, len);
	uint8_t f;
	size_t w;

	if (!bfs_cur_skip(&c, RRIP_TF_DATES))
		return BFS_CORRUPT(r->diag, "%s: TF entry of %zu bytes", where_str(where), len);
	f = p[RRIP_TF_FLAGS];
	w = f & RRIP_TF_LONG ? ISO9660_DATE17_LEN : ISO9660_DATE7_LEN;
	for (unsigned bit = RRIP_TF_CREATION; bit <= RRIP_TF_EFFECT; bit <<= 1) {
		struct bfs_time t;

		if (!(f & bit))
			continue;
		if (!bfs_cur_need(&c, w))
			return BFS_CORRUPT(r->diag, "%s: TF entry cut", where_str(where));
		t = w == ISO9660_DATE17_LEN ? date17(bfs_cur_ptr(&c)) : date7(bfs_cur_ptr(&c));
		(void)bfs_cur_skip(&c, w);
		if (bit == RRIP_TF_MODIFY)
			e->mtime = t;
		else if (bit == RRIP_TF_ACCESS)
			e->atime = t;
		else if (bit == RRIP_TF_ATTR)
			e->ctime = t;
	}
	return 0;
}

/* The entry at p has the signature sig (SUSP 4.1.1). */
static bool susp_sig(const uint8_t *p, const char sig[2])
{
	return p[SUSP_SIG] == (uint8_t)sig[0] && p[SUSP_SIG + 1] == (uint8_t)sig[1];
}

static int susp_entry(struct iso9660_reader *r, struct susp_state *st, const uint8_t *p, size_t len,
		      struct rec_where *where)
{
	struct iso9660_entry *e = st->e;

	if (susp_sig(p, "CE")) {
		if (len < SUSP_CE_SIZE)
			return BFS_CORRUPT(r->diag, "%s: CE entry of %zu bytes", where_str(where),
					   len);
		st->ce_lba = bfs_get_le32(p + SUSP_CE_EXTENT);
		st->ce_off = bfs_get_le32(p + SUSP_CE_OFFSET);
		st->ce_len = bfs_get_le32(p + SUSP_CE_AREA);
		return 0;
	}
	if (susp_sig(p, "ST"))
		return 1; /* end of the System Use area */
	if (!r->rr)
		return 0;
	if (susp_sig(p, "PX"))
		return rr_px(r, st, p, len, where);
	if (susp_sig(p, "NM"))
		return rr_nm(r, st, p, len, where);
	if (susp_sig(p, "SL"))
		return rr_sl(r, st, p, len, where);
	if (susp_sig(p, "TF"))
		return rr_tf(r, st, p, len, where);
	if (susp_sig(p, "PN")) {
		if (len < RRIP_PN_SIZE)
			return BFS_CORRUPT(r->diag, "%s: PN entry of %zu bytes", where_str(where),
					   len);
		e->rdev_major = bfs_get_le32(p + RRIP_PN_HIGH);
		e->rdev_minor = bfs_get_le32(p + RRIP_PN_LOW);
	} else if (susp_sig(p, "CL")) {
		if (len < RRIP_LINK_SIZE)
			return BFS_CORRUPT(r->diag, "%s: CL entry of %zu bytes", where_str(where),
					   len);
		st->cl_lba = bfs_get_le32(p + RRIP_LINK_EXTENT);
		e->type = BFS_NODE_DIR;
	} else if (susp_sig(p, "RE")) {
		st->relocated = true;
	} else if (susp_sig(p, "ZF")) {
		/* zisofs: algorithm, header size / 4, log2 block size, real size (7.3.3) */
		if (len < RRIP_ZF_SIZE)
			return BFS_CORRUPT(r->diag, "%s: ZF entry of %zu bytes", where_str(where),
					   len);
		e->compressed = true;
		memcpy(e->zf_algorithm, p + RRIP_ZF_ALGORITHM, 2);
		e->zf_header_words = p[RRIP_ZF_HEADER_WORDS];
		e->zf_block_log2 = p[RRIP_ZF_BLOCK_LOG2];
		st->zf_size = bfs_get_le32(p + RRIP_ZF_REAL_SIZE);
	}
	return 0;
}

/* Walk the entries of one System Use area. */
static int susp_area(struct iso9660_reader *r, struct susp_state *st, const uint8_t *p, size_t len,
		     struct rec_where *where)
{
	struct bfs_cursor c = bfs_cur_make(p, len);

	while (bfs_cur_left(&c) >= SUSP_HDR_SIZE) {
		const uint8_t *q = bfs_cur_ptr(&c), *sig = q + SUSP_SIG;
		uint8_t l = q[SUSP_LEN];
		int e;

		if (sig[0] == 0)
			break; /* padding */
		if (l < SUSP_HDR_SIZE || !bfs_cur_need(&c, l))
			return BFS_CORRUPT(r->diag, "%s: System Use entry '%c%c' of length %u",
					   where_str(where),
					   sig[0] >= 0x20 && sig[0] < 0x7f ? sig[0] : '?',
					   sig[1] >= 0x20 && sig[1] < 0x7f ? sig[1] : '?', l);
		e = susp_entry(r, st, q, l, where);
		if (e < 0)
			return e;
		if (e > 0)
			break;
		(void)bfs_cur_skip(&c, l);
	}
	return 0;
}

static int susp_all(struct iso9660_reader *r, struct susp_state *st, const uint8_t *p, size_t len,
		    struct rec_where *where)
{
	int e = susp_area(r, st, p, len, where);

	while (e == 0 && st->ce_len) {
		uint64_t lba = st->ce_lba;
		uint32_t off = st->ce_off, cl = st->ce_len;
		uint32_t nb;

		st->ce_len = 0;
		if (++st->ce_hops > ISO9660_CE_HOPS_MAX)
			return BFS_CORRUPT(r->diag,
					   "%s: more than %u continuation areas (a CE loop?)",
					   where_str(where), ISO9660_CE_HOPS_MAX);
		st->ce_bytes += cl;
		if (st->ce_bytes > ISO9660_CE_MAX || off >= BLOCK * 16u)
			return BFS_CORRUPT(
				r->diag,
				"%s: continuation area at block %llu offset %u, %u bytes, "
				"is out of bounds",
				where_str(where), (unsigned long long)lba, off, cl);
		if (lba >= r->limit)
			return BFS_CORRUPT(r->diag,
					   "%s: continuation area at block %llu is beyond the "
					   "volume (blocks up to %llu)",
					   where_str(where), (unsigned long long)lba,
					   (unsigned long long)r->limit);
		nb = (uint32_t)BFS_DIV_ROUND_UP((uint64_t)off + cl, BLOCK);
		if (!r->ce) {
			r->ce = malloc(ISO9660_CE_MAX + 16u * BLOCK + BLOCK);
			if (!r->ce)
				return -ENOMEM;
		}
		e = rd(r, lba, nb, r->ce);
		if (e < 0)
			return e;
		e = susp_area(r, st, r->ce + off, cl, where);
	}
	return e;
}

/* ---- records ----------------------------------------------------------------------------- */

/*
 * Decode the record at rec (rec_len bytes, already checked to be inside its block) into e.
 * Returns 0, or a negative errno. *ret_relocated tells a directory moved to RR_MOVED (to be
 * hidden from listings).
 */
static int decode_record(struct iso9660_reader *r, const uint8_t *rec, size_t rec_len,
			 struct iso9660_entry *e, bool *ret_relocated, struct rec_where *where)
{
	struct susp_state st = {.e = e};
	uint8_t fil = rec[ISO9660_DR_NAME_LEN];
	uint8_t flags = rec[ISO9660_DR_FLAGS];
	size_t su;
	int err;

	if (ISO9660_DR_FIXED + fil > rec_len)
		return BFS_CORRUPT(r->diag,
				   "%s: identifier of %u bytes overruns its %zu-byte record",
				   where_str(where), fil, rec_len);
	memset(e, 0, sizeof(*e));
	e->type = flags & ISO9660_DRF_DIR ? BFS_NODE_DIR : BFS_NODE_FILE;
	e->hidden = flags & ISO9660_DRF_HIDDEN;
	e->mode = e->type == BFS_NODE_DIR ? 0555 : 0444;
	e->nlink = 1;
	e->size = bfs_get_le32(rec + ISO9660_DR_SIZE);
	e->mtime = e->atime = e->ctime = date7(rec + ISO9660_DR_DATE);
	e->ino = bfs_get_le32(rec + ISO9660_DR_EXTENT);
	if (fil == 1 && (rec[ISO9660_DR_NAME] == ISO9660_DR_ID_DOT ||
			 rec[ISO9660_DR_NAME] == ISO9660_DR_ID_DOTDOT)) {
		e->name[0] = '\0';
		e->name_len = 0;
	} else if (r->joliet) {
		name_joliet(e, rec + ISO9660_DR_NAME, fil);
	} else {
		name_plain(e, rec + ISO9660_DR_NAME, fil);
	}
	su = ISO9660_DR_FIXED + fil + (fil % 2 == 0 ? 1 : 0); /* 9.1.12 padding */
	if (su + r->susp_skip < rec_len) {
		err = susp_all(r, &st, rec + su + r->susp_skip, rec_len - su - r->susp_skip, where);
		if (err < 0) {
			iso9660_entry_done(e);
			return err;
		}
	}
	if (st.px && e->type == BFS_NODE_FILE && (flags & ISO9660_DRF_DIR))
		e->type = BFS_NODE_DIR;
	e->ext = calloc(1, sizeof(*e->ext));
	if (!e->ext) {
		iso9660_entry_done(e);
		return -ENOMEM;
	}
	e->nextents = 1;
	e->ext[0] = (struct iso9660_extent){.lba = bfs_get_le32(rec + ISO9660_DR_EXTENT),
					    .len = e->size};
	if (e->compressed && e->type == BFS_NODE_FILE)
		e->size = st.zf_size; /* the extent keeps the compressed length */
	else
		e->compressed = false;
	if (st.cl_lba) {
		/* a moved directory: its extent is where CL points; the size comes from "." */
		const uint8_t *dot;

		err = rd(r, st.cl_lba, 1, r->block);
		if (err < 0) {
			iso9660_entry_done(e);
			return err;
		}
		dot = r->block;
		if (dot[ISO9660_DR_LEN] < ISO9660_DR_FIXED + 1) {
			iso9660_entry_done(e);
			return BFS_CORRUPT(r->diag,
					   "%s: CL points at block %llu, which holds no "
					   "directory",
					   where_str(where), (unsigned long long)st.cl_lba);
		}
		e->ext[0] = (struct iso9660_extent){.lba = st.cl_lba,
						    .len = bfs_get_le32(dot + ISO9660_DR_SIZE)};
		e->size = e->ext[0].len;
		e->type = BFS_NODE_DIR;
	}
	if (e->type != BFS_NODE_FILE && e->type != BFS_NODE_DIR) {
		e->size = e->type == BFS_NODE_SYMLINK && e->target ? strlen(e->target) : 0;
		free(e->ext);
		e->ext = NULL;
		e->nextents = 0;
	}
	if (ret_relocated)
		*ret_relocated = st.relocated;
	return 0;
}

/* The primary volume descriptor b: its root record into root, its name and size into r. */
static int vd_primary(struct iso9660_reader *r, const uint8_t *b, uint8_t *root)
{
	uint8_t rl = b[ISO9660_VD_ROOT + ISO9660_DR_LEN];
	size_t l = ISO9660_VD_VOLUME_ID_LEN;

	if (rl < ISO9660_ROOT_REC_SIZE)
		return BFS_CORRUPT(r->diag, "primary volume descriptor: root record of length %u",
				   rl);
	if (rl != ISO9660_ROOT_REC_SIZE)
		bfs_diag_warn(r->diag,
			      "primary volume descriptor: root record of length %u, not 34; using "
			      "its first 34 bytes",
			      rl);
	memcpy(root, b + ISO9660_VD_ROOT, ISO9660_ROOT_REC_SIZE);
	memcpy(r->info.volume_id, b + ISO9660_VD_VOLUME_ID, ISO9660_VD_VOLUME_ID_LEN);
	while (l > 0 && (r->info.volume_id[l - 1] == ' ' || !r->info.volume_id[l - 1]))
		l--;
	r->info.volume_id[l] = '\0';
	r->info.volume_blocks = bfs_get_le32(b + ISO9660_VD_VOLUME_SIZE);
	return 0;
}

/* A supplementary descriptor whose escape sequences name UCS-2 (Joliet) and a root. */
static bool vd_joliet(const uint8_t *b)
{
	const uint8_t *esc = b + ISO9660_VD_ESCAPES;

	return b[ISO9660_VD_TYPE] == ISO9660_VD_TYPE_SUPPL && esc[0] == JOLIET_ESC_0 &&
	       esc[1] == JOLIET_ESC_1 &&
	       (esc[2] == JOLIET_ESC_LEVEL1 || esc[2] == JOLIET_ESC_LEVEL2 ||
		esc[2] == JOLIET_ESC_LEVEL3) &&
	       b[ISO9660_VD_ROOT + ISO9660_DR_LEN] >= ISO9660_ROOT_REC_SIZE;
}

/* The volume descriptor set (8.1-8.5) up to its terminator: the PVD's and Joliet's roots. */
static int read_vds(struct iso9660_reader *r, uint8_t *pvd_root, uint8_t *svd_root)
{
	const uint8_t *b = r->block;
	uint64_t first = r->session_start + ISO9660_VD_FIRST;
	bool have_pvd = false;
	int e;

	for (unsigned i = 0; i < VD_MAX; i++) {
		e = rd(r, first + i, 1, r->block);
		if (e < 0)
			return e;
		if (memcmp(b + ISO9660_VD_STD_ID, ISO9660_STD_ID, ISO9660_VD_STD_ID_LEN) != 0 ||
		    b[ISO9660_VD_VERSION] != ISO9660_VD_VERSION_ONE) {
			if (i == 0)
				return BFS_CORRUPT(r->diag,
						   "no ISO 9660 volume descriptor at block %llu",
						   (unsigned long long)first);
			return BFS_CORRUPT(r->diag,
					   "volume descriptor set not terminated at block %llu",
					   (unsigned long long)(first + i));
		}
		if (b[ISO9660_VD_TYPE] == ISO9660_VD_TYPE_TERMINATOR)
			break;
		if (b[ISO9660_VD_TYPE] == ISO9660_VD_TYPE_PRIMARY && !have_pvd) {
			e = vd_primary(r, b, pvd_root);
			if (e < 0)
				return e;
			have_pvd = true;
		} else if (vd_joliet(b)) {
			memcpy(svd_root, b + ISO9660_VD_ROOT, ISO9660_ROOT_REC_SIZE);
			r->info.has_joliet = true;
		}
	}
	if (!have_pvd)
		return BFS_CORRUPT(r->diag,
				   "no primary volume descriptor in the session at block %llu",
				   (unsigned long long)r->session_start);
	return 0;
}

/* Rock Ridge: SP first in the System Use area of the root's "." record (SUSP 5.3). */
static int probe_susp(struct iso9660_reader *r, const uint8_t *pvd_root)
{
	const uint8_t *dot = r->block, *sp = dot + ISO9660_DR_FIXED + 1; /* "." is one byte */
	int e = rd(r, bfs_get_le32(pvd_root + ISO9660_DR_EXTENT), 1, r->block);

	if (e < 0)
		return e;
	if (dot[ISO9660_DR_LEN] >= ISO9660_DR_FIXED + 1 + SUSP_SP_SIZE &&
	    dot[ISO9660_DR_NAME_LEN] == 1 && susp_sig(sp, "SP") && sp[SUSP_LEN] >= SUSP_SP_SIZE &&
	    sp[SUSP_SP_CHECK] == SUSP_SP_CHECK_0 && sp[SUSP_SP_CHECK + 1] == SUSP_SP_CHECK_1) {
		r->info.has_rockridge = true;
		r->susp_skip = sp[SUSP_SP_LEN_SKP];
	}
	return 0;
}

int iso9660_reader_open(iso9660_read_fn read, void *userdata,
			const struct iso9660_reader_opts *opts, struct bfs_diag *diag,
			struct iso9660_reader **ret)
{
	_cleanup_(iso9660_reader_freep) struct iso9660_reader *r = NULL;
	uint8_t pvd_root[ISO9660_ROOT_REC_SIZE] = {0}, svd_root[ISO9660_ROOT_REC_SIZE] = {0};
	int e;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->read = read;
	r->userdata = userdata;
	r->diag = diag;
	r->session_start = opts ? opts->session_start : 0;
	e = read_vds(r, pvd_root, svd_root);
	if (e < 0)
		return e;
	if (r->info.volume_blocks == 0)
		return BFS_CORRUPT(diag, "primary volume descriptor: volume space size 0");
	r->limit = r->session_start + r->info.volume_blocks;
	memcpy(r->root_rec, pvd_root, ISO9660_ROOT_REC_SIZE);
	e = probe_susp(r, pvd_root);
	if (e < 0)
		return e;
	r->info.view = opts ? opts->view : ISO9660_VIEW_AUTO;
	if (r->info.view == ISO9660_VIEW_AUTO)
		r->info.view = r->info.has_rockridge ? ISO9660_VIEW_ROCKRIDGE
			       : r->info.has_joliet  ? ISO9660_VIEW_JOLIET
						     : ISO9660_VIEW_PLAIN;
	switch (r->info.view) {
	case ISO9660_VIEW_ROCKRIDGE:
		if (!r->info.has_rockridge)
			return bfs_diag_set(diag, -ENOENT, "the volume has no Rock Ridge entries");
		r->rr = true;
		break;
	case ISO9660_VIEW_JOLIET:
		if (!r->info.has_joliet)
			return bfs_diag_set(diag, -ENOENT, "the volume has no Joliet tree");
		memcpy(r->root_rec, svd_root, ISO9660_ROOT_REC_SIZE);
		r->joliet = true;
		r->susp_skip = 0;
		break;
	default:
		r->susp_skip = 0;
		break;
	}
	*ret = TAKE_PTR(r);
	return 0;
}

struct iso9660_reader *iso9660_reader_free(struct iso9660_reader *r)
{
	if (!r)
		return NULL;
	free(r->ce);
	zisofs_cache_free(r->zf);
	free(r);
	return NULL;
}

void iso9660_reader_info(const struct iso9660_reader *r, struct iso9660_volume_info *ret)
{
	*ret = r->info;
}

int iso9660_reader_root(struct iso9660_reader *r, struct iso9660_entry *ret)
{
	struct iso9660_entry e;
	uint8_t rec[ISO9660_ROOT_REC_SIZE];
	int err;

	memcpy(rec, r->root_rec, ISO9660_ROOT_REC_SIZE);
	err = decode_record(r, rec, ISO9660_ROOT_REC_SIZE, &e, NULL,
			    &(struct rec_where){.fixed = "root record"});
	if (err < 0)
		return err;
	e.type = BFS_NODE_DIR;
	if (r->rr) {
		/* the root's own Rock Ridge entries (mode, owner, times) are in its "." */
		struct iso9660_entry dot;
		uint32_t dl;

		err = rd(r, e.ext[0].lba, 1, r->block);
		if (err < 0) {
			iso9660_entry_done(&e);
			return err;
		}
		dl = r->block[ISO9660_DR_LEN];
		if (dl >= ISO9660_DR_FIXED + 1 &&
		    decode_record(r, r->block, dl, &dot, NULL,
				  &(struct rec_where){.fixed = "root '.'"}) == 0) {
			e.mode = dot.mode;
			e.uid = dot.uid;
			e.gid = dot.gid;
			e.nlink = dot.nlink;
			e.mtime = dot.mtime;
			e.atime = dot.atime;
			e.ctime = dot.ctime;
			e.ino = dot.ino;
			iso9660_entry_done(&dot);
		}
	}
	*ret = e;
	return 0;
}

int iso9660_reader_readdir(struct iso9660_reader *r, const struct iso9660_entry *dir,
			   iso9660_dir_fn fn, void *userdata)
{
	struct iso9660_entry cur = {0};
	bool have = false, more = false; /* more: cur's last record was not final */
	uint64_t lba, nblocks;
	int err = 0;
	struct rec_where where;

	if (dir->type != BFS_NODE_DIR || dir->nextents < 1)
		return -ENOTDIR;
	lba = dir->ext[0].lba;
	if (dir->ext[0].len > ISO9660_DIR_MAX)
		return BFS_CORRUPT(r->diag, "directory at block %llu: %llu bytes, more than %u",
				   (unsigned long long)lba, (unsigned long long)dir->ext[0].len,
				   ISO9660_DIR_MAX);
	nblocks = BFS_DIV_ROUND_UP(dir->ext[0].len, BLOCK);
	if (lba + nblocks > r->limit)
		return BFS_CORRUPT(
			r->diag,
			"directory at block %llu (%llu blocks) is beyond the volume (blocks up to "
			"%llu)",
			(unsigned long long)lba, (unsigned long long)nblocks,
			(unsigned long long)r->limit);
	for (uint64_t b = 0; b < nblocks && err == 0; b++) {
		uint8_t blk[BLOCK];
		size_t pos = 0;

		err = rd(r, lba + b, 1, blk);
		if (err < 0)
			break;
		while (pos < BLOCK) {
			size_t l = blk[pos];
			struct iso9660_entry e;
			bool reloc = false, not_final;

			if (l == 0)
				break; /* the rest of the block is padding */
			where = (struct rec_where){.lba = lba + b, .pos = pos};
			if (l < ISO9660_DR_FIXED + 1 || pos + l > BLOCK) {
				err = BFS_CORRUPT(r->diag, "%s: length %zu", where_str(&where), l);
				break;
			}
			if (blk[pos + ISO9660_DR_NAME_LEN] == 1 &&
			    (blk[pos + ISO9660_DR_NAME] == ISO9660_DR_ID_DOT ||
			     blk[pos + ISO9660_DR_NAME] == ISO9660_DR_ID_DOTDOT)) {
				pos += l; /* "." and ".." */
				continue;
			}
			not_final = blk[pos + ISO9660_DR_FLAGS] & ISO9660_DRF_NOT_FINAL;
			err = decode_record(r, blk + pos, l, &e, &reloc, &where);
			if (err < 0)
				break;
			pos += l;
			if (have && more && e.type == BFS_NODE_FILE && cur.type == BFS_NODE_FILE &&
			    e.name_len == cur.name_len &&
			    memcmp(e.name, cur.name, e.name_len) == 0) {
				/* the next part of a multi-extent file (ECMA-119 6.5.1) */
				struct iso9660_extent *x;

				if (cur.nextents >= ISO9660_EXTENTS_MAX) {
					iso9660_entry_done(&e);
					err = BFS_CORRUPT(r->diag,
							  "%s: more than %u extents in one file",
							  where_str(&where), ISO9660_EXTENTS_MAX);
					break;
				}
				x = realloc(cur.ext, (cur.nextents + 1) * sizeof(*x));
				if (!x) {
					iso9660_entry_done(&e);
					err = -ENOMEM;
					break;
				}
				cur.ext = x;
				cur.ext[cur.nextents++] = e.ext[0];
				if (!cur.compressed) /* else the size is the ZF's */
					cur.size += e.size;
				more = not_final;
				iso9660_entry_done(&e);
				continue;
			}
			if (have) {
				err = fn(&cur, userdata);
				iso9660_entry_done(&cur);
				have = false;
				if (err) {
					iso9660_entry_done(&e);
					break;
				}
			}
			if (reloc) { /* shown where its CL record is */
				iso9660_entry_done(&e);
				continue;
			}
			cur = e;
			have = true;
			more = not_final;
		}
	}
	if (have) {
		if (err == 0)
			err = fn(&cur, userdata);
		iso9660_entry_done(&cur);
	}
	return err;
}

struct lookup {
	const char *name;
	size_t len;
	struct iso9660_entry *found;
	bool hit;
};

static int lookup_fn(const struct iso9660_entry *e, void *userdata)
{
	struct lookup *l = userdata;
	struct iso9660_entry *f = l->found;

	if (e->name_len != l->len || memcmp(e->name, l->name, l->len) != 0)
		return 0;
	/* take a copy the caller owns */
	*f = *e;
	f->target = NULL;
	f->ext = NULL;
	if (e->target && !(f->target = strdup(e->target)))
		return -ENOMEM;
	if (e->nextents) {
		f->ext = malloc(e->nextents * sizeof(*f->ext));
		if (!f->ext) {
			free(f->target);
			return -ENOMEM;
		}
		memcpy(f->ext, e->ext, e->nextents * sizeof(*f->ext));
	}
	l->hit = true;
	return 1;
}

int iso9660_reader_lookup(struct iso9660_reader *r, const char *path, struct iso9660_entry *ret)
{
	struct iso9660_entry cur;
	const char *p = path;
	unsigned depth = 0;
	int err;

	err = iso9660_reader_root(r, &cur);
	if (err < 0)
		return err;
	for (;;) {
		struct iso9660_entry next;
		struct lookup l = {.found = &next};
		const char *c;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		c = strchr(p, '/');
		l.name = p;
		l.len = c ? (size_t)(c - p) : strlen(p);
		p += l.len;
		if (cur.type != BFS_NODE_DIR) {
			iso9660_entry_done(&cur);
			return bfs_diag_set(r->diag, -ENOTDIR, "'%s': not a directory on the disc",
					    path);
		}
		if (++depth > 1024) {
			iso9660_entry_done(&cur);
			return bfs_diag_set(r->diag, -ELOOP, "'%s': too deep", path);
		}
		err = iso9660_reader_readdir(r, &cur, lookup_fn, &l);
		iso9660_entry_done(&cur);
		if (err < 0)
			return err;
		if (!l.hit)
			return bfs_diag_set(r->diag, -ENOENT, "'%s': not on the disc", path);
		cur = next;
	}
	*ret = cur;
	return 0;
}

/* Bytes of the data as stored in e's extents (for zisofs: the compressed form). */
static int64_t raw_pread(struct iso9660_reader *r, const struct iso9660_entry *e, uint64_t off,
			 uint8_t *buf, size_t len)
{
	uint64_t base = 0;
	size_t done = 0;

	for (size_t i = 0; i < e->nextents && done < len; i++) {
		const struct iso9660_extent *x = &e->ext[i];

		if (off + done < base + x->len) {
			uint64_t in = off + done - base; /* offset inside this extent */

			while (in < x->len && done < len) {
				uint64_t blk = x->lba + in / BLOCK;
				size_t bo = (size_t)(in % BLOCK);
				uint64_t want = BFS_MIN((uint64_t)(len - done), x->len - in);
				size_t n;
				int err;

				if (blk >= r->limit)
					return BFS_CORRUPT(r->diag,
							   "'%s': data at block %llu is beyond the "
							   "volume (blocks up to %llu)",
							   e->name, (unsigned long long)blk,
							   (unsigned long long)r->limit);
				if (bo == 0 && want >= BLOCK) {
					/* whole blocks straight into buf, up to 1 MiB at a time */
					uint32_t nb =
						(uint32_t)BFS_MIN(want / BLOCK, (uint64_t)512);

					nb = (uint32_t)BFS_MIN((uint64_t)nb, r->limit - blk);
					err = rd(r, blk, nb, buf + done);
					if (err < 0)
						return err;
					n = (size_t)nb * BLOCK;
				} else {
					n = (size_t)BFS_MIN((uint64_t)(BLOCK - bo), want);
					err = rd(r, blk, 1, r->block);
					if (err < 0)
						return err;
					memcpy(buf + done, r->block + bo, n);
				}
				done += n;
				in += n;
			}
		}
		base += x->len;
	}
	return (int64_t)done;
}

/* The ZF entry names an algorithm and sizes that exist. */
static int zisofs_check(struct iso9660_reader *r, const struct iso9660_entry *e)
{
	if (memcmp(e->zf_algorithm, "pz", 2) != 0)
		return bfs_diag_set(r->diag, -EOPNOTSUPP,
				    "'%s': zisofs algorithm '%c%c' is not supported (only \"pz\")",
				    e->name, e->zf_algorithm[0] > 0x20 ? e->zf_algorithm[0] : '?',
				    e->zf_algorithm[1] > 0x20 ? e->zf_algorithm[1] : '?');
	if (e->zf_block_log2 < ZF_LOG2_MIN || e->zf_block_log2 > ZF_LOG2_MAX)
		return bfs_diag_set(r->diag, -EOPNOTSUPP,
				    "'%s': zisofs block size 2^%u: only 2^%u to 2^%u exist",
				    e->name, e->zf_block_log2, ZF_LOG2_MIN, ZF_LOG2_MAX);
	if (e->zf_header_words < 4)
		return BFS_CORRUPT(r->diag, "'%s': zisofs header of %u bytes, less than 16",
				   e->name, e->zf_header_words * 4u);
	return 0;
}

/* The header at the start of the stored data agrees with the ZF entry. */
static int zisofs_header(struct iso9660_reader *r, const struct iso9660_entry *e)
{
	uint8_t h[16];
	int64_t n = raw_pread(r, e, 0, h, sizeof(h));

	if (n < 0)
		return (int)n;
	if (n != (int64_t)sizeof(h) || memcmp(h, ZF_MAGIC, 8) != 0 ||
	    bfs_get_le32(h + 8) != e->size || h[12] != e->zf_header_words ||
	    h[13] != e->zf_block_log2)
		return BFS_CORRUPT(r->diag,
				   "'%s': zisofs header does not match its ZF entry (magic, size "
				   "%llu, block size 2^%u)",
				   e->name, (unsigned long long)e->size, e->zf_block_log2);
	return 0;
}

static uint64_t stored_size(const struct iso9660_entry *e)
{
	uint64_t n = 0;

	for (size_t i = 0; i < e->nextents; i++)
		n += e->ext[i].len;
	return n;
}

/* Block index of zisofs file e into r->zf->out. */
static int zisofs_block(struct iso9660_reader *r, const struct iso9660_entry *e, uint64_t index)
{
	struct zisofs_cache *c = r->zf;
	uint64_t hdr = e->zf_header_words * 4u, bs = 1ull << e->zf_block_log2;
	uint64_t nblocks = BFS_DIV_ROUND_UP(e->size, bs), table_end = hdr + 4 * (nblocks + 1);
	uint64_t want = BFS_MIN(bs, e->size - index * bs), stored = stored_size(e);
	uint8_t p[8];
	uint32_t p0, p1;
	int64_t n = raw_pread(r, e, hdr + 4 * index, p, sizeof(p));
	int z;

	if (n < 0)
		return (int)n;
	if (n != (int64_t)sizeof(p))
		return BFS_CORRUPT(r->diag, "'%s': zisofs block pointers cut at %llu bytes",
				   e->name, (unsigned long long)stored);
	p0 = bfs_get_le32(p);
	p1 = bfs_get_le32(p + 4);
	if (p1 < p0 || p0 < table_end || p1 > stored || p1 - p0 > ZF_IN_MAX)
		return BFS_CORRUPT(
			r->diag,
			"'%s': zisofs block %llu at bytes %u-%u: outside the %llu stored "
			"bytes after the pointer table, or out of order",
			e->name, (unsigned long long)index, p0, p1, (unsigned long long)stored);
	c->valid = false;
	if (p1 == p0) {
		memset(c->out, 0, want); /* an empty block: zeros */
	} else {
		n = raw_pread(r, e, p0, c->in, p1 - p0);
		if (n < 0)
			return (int)n;
		if (n != (int64_t)(p1 - p0))
			return BFS_CORRUPT(r->diag, "'%s': zisofs block %llu cut", e->name,
					   (unsigned long long)index);
		if (inflateReset(&c->z) != Z_OK)
			return -ENOMEM;
		c->z.next_in = c->in;
		c->z.avail_in = p1 - p0;
		c->z.next_out = c->out;
		c->z.avail_out = (uInt)bs;
		z = inflate(&c->z, Z_FINISH);
		if (z != Z_STREAM_END || c->z.total_out != want)
			return BFS_CORRUPT(r->diag,
					   "'%s': zisofs block %llu does not inflate to %llu bytes "
					   "(zlib: %s)",
					   e->name, (unsigned long long)index,
					   (unsigned long long)want,
					   z == Z_STREAM_END ? "another length"
					   : c->z.msg	     ? c->z.msg
							     : zError(z));
	}
	c->valid = true;
	c->lba = e->ext[0].lba, c->size = e->size, c->index = index, c->out_len = (size_t)want;
	return 0;
}

static int64_t zisofs_pread(struct iso9660_reader *r, const struct iso9660_entry *e, uint64_t off,
			    uint8_t *buf, size_t len)
{
	struct zisofs_cache *c;
	size_t done = 0;
	int err = zisofs_check(r, e);

	if (err < 0)
		return err;
	if (!r->zf) {
		r->zf = calloc(1, sizeof(*r->zf));
		if (!r->zf)
			return -ENOMEM;
		if (inflateInit(&r->zf->z) != Z_OK) {
			free(r->zf);
			r->zf = NULL;
			return -ENOMEM;
		}
		r->zf->z_ready = true;
	}
	c = r->zf;
	if (!c->hdr_ok || c->hdr_lba != e->ext[0].lba || c->hdr_size != e->size) {
		c->hdr_ok = false;
		err = zisofs_header(r, e);
		if (err < 0)
			return err;
		c->hdr_ok = true, c->hdr_lba = e->ext[0].lba, c->hdr_size = e->size;
	}
	while (done < len && off + done < e->size) {
		uint64_t pos = off + done, index = pos >> e->zf_block_log2;
		size_t in, n;

		if (!c->valid || c->lba != e->ext[0].lba || c->size != e->size ||
		    c->index != index) {
			err = zisofs_block(r, e, index);
			if (err < 0)
				return err;
		}
		in = (size_t)(pos - (index << e->zf_block_log2));
		n = BFS_MIN(len - done, c->out_len - in);
		memcpy(buf + done, c->out + in, n);
		done += n;
	}
	return (int64_t)done;
}

int64_t iso9660_reader_pread(struct iso9660_reader *r, const struct iso9660_entry *e, uint64_t off,
			     uint8_t *buf, size_t len)
{
	if (e->type != BFS_NODE_FILE)
		return -EISDIR;
	if (e->compressed)
		return zisofs_pread(r, e, off, buf, len);
	return raw_pread(r, e, off, buf, len);
}
