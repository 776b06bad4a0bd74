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

#include "common/bytes.h"
#include "common/charset.h"
#include "common/cursor.h"

#include <zlib.h>

#define BLOCK 2048u

/* ECMA-119 9.1: directory record */
#define DR_LEN	      0
#define DR_EXT_LEN    1
#define DR_LBA	      2 /* 7.3.3, both byte orders */
#define DR_SIZE	      10
#define DR_DATE	      18 /* 7 bytes, 9.1.5 */
#define DR_FLAGS      25
#define DR_FI_LEN     32
#define DR_FI	      33
#define DR_FIXED      33u
#define DRF_HIDDEN    0x01
#define DRF_DIR	      0x02
#define DRF_NOT_FINAL 0x80

/* ECMA-119 8.4: volume descriptors */
#define VD_TYPE_PVD  1
#define VD_TYPE_SVD  2
#define VD_TYPE_TERM 255
#define VD_MAX	     64 /* descriptors looked at before giving up */

/* RRIP 1.12 4.1.5 TF flags */
#define TF_CREATE 0x01
#define TF_MODIFY 0x02
#define TF_ACCESS 0x04
#define TF_ATTR	  0x08
#define TF_LONG	  0x80

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
	uint8_t root_rec[34]; /* the root record of the tree in use */
	bool rr;	      /* Rock Ridge entries are interpreted */
	bool joliet;	      /* names are UCS-2 */
	unsigned susp_skip;   /* SP LEN_SKP */
	uint8_t block[BLOCK]; /* scratch for one block */
	uint8_t *ce;	      /* continuation area buffer */
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
	int64_t t = (int64_t)timegm(&tm);

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
	t = (int64_t)timegm(&tm);
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

/* PX: POSIX file attributes (RRIP 4.1.1) */
static int rr_px(struct iso9660_reader *r, struct susp_state *st, const uint8_t *d, size_t dl,
		 const char *where)
{
	struct iso9660_entry *e = st->e;
	size_t len = dl + 4;

	if (dl < 32)
		return BFS_CORRUPT(r->diag, "%s: PX entry of %zu bytes", where, len);
	e->mode = bfs_get_le32(d) & 07777;
	switch (bfs_get_le32(d) & 0170000) {
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
	e->nlink = bfs_get_le32(d + 8);
	e->uid = bfs_get_le32(d + 16);
	e->gid = bfs_get_le32(d + 24);
	if (dl >= 40)
		e->ino = bfs_get_le32(d + 32);
	st->px = true;
	return 0;
}

/* NM: alternate name, possibly continued (RRIP 4.1.4) */
static int rr_nm(struct iso9660_reader *r, struct susp_state *st, const uint8_t *d, size_t dl,
		 const char *where)
{
	struct iso9660_entry *e = st->e;
	size_t len = dl + 4;
	size_t n;

	if (dl < 1)
		return BFS_CORRUPT(r->diag, "%s: NM entry of %zu bytes", where, len);
	if (st->nm_done && !st->nm_continue)
		return 0;
	if (!st->nm_done)
		e->name_len = 0;
	st->nm_done = true;
	st->nm_continue = d[0] & 0x01;
	if (d[0] & 0x06)
		return 0; /* "." / ".." */
	n = BFS_MIN(dl - 1, (size_t)ISO9660_NAME_MAX - e->name_len);
	memcpy(e->name + e->name_len, d + 1, n);
	e->name_len += n;
	e->name[e->name_len] = '\0';
	return 0;
}

/* SL: symbolic link components (RRIP 4.1.3) */
static int rr_sl(struct iso9660_reader *r, struct susp_state *st, const uint8_t *d, size_t dl,
		 const char *where)
{
	struct iso9660_entry *e = st->e;
	size_t len = dl + 4;
	struct bfs_cursor c = bfs_cur_make(d, dl);

	if (!bfs_cur_skip(&c, 1))
		return BFS_CORRUPT(r->diag, "%s: SL entry of %zu bytes", where, len);
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

		if (!bfs_cur_need(&c, 2))
			return BFS_CORRUPT(r->diag, "%s: SL component header cut", where);
		cf = bfs_cur_ptr(&c)[0];
		cl = bfs_cur_ptr(&c)[1];
		if (!bfs_cur_need(&c, 2u + cl))
			return BFS_CORRUPT(r->diag, "%s: SL component of %u bytes overruns", where,
					   cl);
		cp = bfs_cur_ptr(&c) + 2;
		(void)bfs_cur_skip(&c, 2u + cl);
		if (st->target_len && !st->sl_comp_continue &&
		    st->target_len < ISO9660_TARGET_MAX && e->target[st->target_len - 1] != '/')
			e->target[st->target_len++] = '/';
		if (cf & 0x02)
			add = ".", addl = 1;
		else if (cf & 0x04)
			add = "..", addl = 2;
		else if (cf & 0x08)
			add = "/", addl = 1;
		else
			add = (const char *)cp, addl = cl;
		addl = BFS_MIN(addl, (size_t)ISO9660_TARGET_MAX - st->target_len);
		memcpy(e->target + st->target_len, add, addl);
		st->target_len += addl;
		st->sl_comp_continue = cf & 0x01;
	}
	st->sl_continue = d[0] & 0x01;
	e->target[st->target_len] = '\0';
	e->type = BFS_NODE_SYMLINK;
	return 0;
}

/* TF: time stamps (RRIP 4.1.6) */
static int rr_tf(struct iso9660_reader *r, struct susp_state *st, const uint8_t *d, size_t dl,
		 const char *where)
{
	struct iso9660_entry *e = st->e;
	size_t len = dl + 4;
	struct bfs_cursor c = bfs_cur_make(d, dl);
	uint8_t f;
	size_t w;

	if (!bfs_cur_need(&c, 1))
		return BFS_CORRUPT(r->diag, "%s: TF entry of %zu bytes", where, len);
	f = d[0];
	w = f & TF_LONG ? 17 : 7;
	(void)bfs_cur_skip(&c, 1);
	for (unsigned bit = 0x01; bit <= 0x40; bit <<= 1) {
		struct bfs_time t;

		if (!(f & bit))
			continue;
		if (!bfs_cur_need(&c, w))
			return BFS_CORRUPT(r->diag, "%s: TF entry cut", where);
		t = w == 17 ? date17(bfs_cur_ptr(&c)) : date7(bfs_cur_ptr(&c));
		(void)bfs_cur_skip(&c, w);
		if (bit == TF_MODIFY)
			e->mtime = t;
		else if (bit == TF_ACCESS)
			e->atime = t;
		else if (bit == TF_ATTR)
			e->ctime = t;
	}
	return 0;
}

static int susp_entry(struct iso9660_reader *r, struct susp_state *st, const uint8_t *p, size_t len,
		      const char *where)
{
	struct iso9660_entry *e = st->e;
	const uint8_t *d = p + 4;
	size_t dl = len - 4;

	if (p[0] == 'C' && p[1] == 'E') {
		if (len < 28)
			return BFS_CORRUPT(r->diag, "%s: CE entry of %zu bytes", where, len);
		st->ce_lba = bfs_get_le32(d);
		st->ce_off = bfs_get_le32(d + 8);
		st->ce_len = bfs_get_le32(d + 16);
		return 0;
	}
	if (p[0] == 'S' && p[1] == 'T')
		return 1; /* end of the System Use area */
	if (!r->rr)
		return 0;
	if (p[0] == 'P' && p[1] == 'X')
		return rr_px(r, st, d, dl, where);
	if (p[0] == 'N' && p[1] == 'M')
		return rr_nm(r, st, d, dl, where);
	if (p[0] == 'S' && p[1] == 'L')
		return rr_sl(r, st, d, dl, where);
	if (p[0] == 'T' && p[1] == 'F')
		return rr_tf(r, st, d, dl, where);
	if (p[0] == 'P' && p[1] == 'N') {
		if (dl < 16)
			return BFS_CORRUPT(r->diag, "%s: PN entry of %zu bytes", where, len);
		e->rdev_major = bfs_get_le32(d);
		e->rdev_minor = bfs_get_le32(d + 8);
	} else if (p[0] == 'C' && p[1] == 'L') {
		if (dl < 8)
			return BFS_CORRUPT(r->diag, "%s: CL entry of %zu bytes", where, len);
		st->cl_lba = bfs_get_le32(d);
		e->type = BFS_NODE_DIR;
	} else if (p[0] == 'R' && p[1] == 'E') {
		st->relocated = true;
	} else if (p[0] == 'Z' && p[1] == 'F') {
		/* zisofs: algorithm, header size / 4, log2 block size, real size (7.3.3) */
		if (dl < 12)
			return BFS_CORRUPT(r->diag, "%s: ZF entry of %zu bytes", where, len);
		e->compressed = true;
		memcpy(e->zf_algorithm, d, 2);
		e->zf_header_words = d[2];
		e->zf_block_log2 = d[3];
		st->zf_size = bfs_get_le32(d + 4);
	}
	return 0;
}

/* Walk the entries of one System Use area. */
static int susp_area(struct iso9660_reader *r, struct susp_state *st, const uint8_t *p, size_t len,
		     const char *where)
{
	struct bfs_cursor c = bfs_cur_make(p, len);

	while (bfs_cur_left(&c) >= 4) {
		const uint8_t *q = bfs_cur_ptr(&c);
		uint8_t l = q[2];
		int e;

		if (q[0] == 0)
			break; /* padding */
		if (l < 4 || !bfs_cur_need(&c, l))
			return BFS_CORRUPT(r->diag, "%s: System Use entry '%c%c' of length %u",
					   where, q[0] >= 0x20 && q[0] < 0x7f ? q[0] : '?',
					   q[1] >= 0x20 && q[1] < 0x7f ? q[1] : '?', l);
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
		    const char *where)
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
					   where, ISO9660_CE_HOPS_MAX);
		st->ce_bytes += cl;
		if (st->ce_bytes > ISO9660_CE_MAX || off >= BLOCK * 16u)
			return BFS_CORRUPT(
				r->diag,
				"%s: continuation area at block %llu offset %u, %u bytes, "
				"is out of bounds",
				where, (unsigned long long)lba, off, cl);
		if (lba >= r->limit)
			return BFS_CORRUPT(r->diag,
					   "%s: continuation area at block %llu is beyond the "
					   "volume (blocks up to %llu)",
					   where, (unsigned long long)lba,
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
			 struct iso9660_entry *e, bool *ret_relocated, const char *where)
{
	struct susp_state st = {.e = e};
	uint8_t fil = rec[DR_FI_LEN];
	uint8_t flags = rec[DR_FLAGS];
	size_t su;
	int err;

	if (DR_FIXED + fil > rec_len)
		return BFS_CORRUPT(r->diag,
				   "%s: identifier of %u bytes overruns its %zu-byte record", where,
				   fil, rec_len);
	memset(e, 0, sizeof(*e));
	e->type = flags & DRF_DIR ? BFS_NODE_DIR : BFS_NODE_FILE;
	e->hidden = flags & DRF_HIDDEN;
	e->mode = e->type == BFS_NODE_DIR ? 0555 : 0444;
	e->nlink = 1;
	e->size = bfs_get_le32(rec + DR_SIZE);
	e->mtime = e->atime = e->ctime = date7(rec + DR_DATE);
	e->ino = bfs_get_le32(rec + DR_LBA);
	if (fil == 1 && (rec[DR_FI] == 0 || rec[DR_FI] == 1)) {
		e->name[0] = '\0';
		e->name_len = 0;
	} else if (r->joliet) {
		name_joliet(e, rec + DR_FI, fil);
	} else {
		name_plain(e, rec + DR_FI, fil);
	}
	su = DR_FIXED + fil + (fil % 2 == 0 ? 1 : 0);
	if (su + r->susp_skip < rec_len) {
		err = susp_all(r, &st, rec + su + r->susp_skip, rec_len - su - r->susp_skip, where);
		if (err < 0) {
			iso9660_entry_done(e);
			return err;
		}
	}
	if (st.px && e->type == BFS_NODE_FILE && (flags & DRF_DIR))
		e->type = BFS_NODE_DIR;
	e->ext = calloc(1, sizeof(*e->ext));
	if (!e->ext) {
		iso9660_entry_done(e);
		return -ENOMEM;
	}
	e->nextents = 1;
	e->ext[0] = (struct iso9660_extent){.lba = bfs_get_le32(rec + DR_LBA), .len = e->size};
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
		if (dot[DR_LEN] < DR_FIXED + 1) {
			iso9660_entry_done(e);
			return BFS_CORRUPT(r->diag,
					   "%s: CL points at block %llu, which holds no "
					   "directory",
					   where, (unsigned long long)st.cl_lba);
		}
		e->ext[0] = (struct iso9660_extent){.lba = st.cl_lba,
						    .len = bfs_get_le32(dot + DR_SIZE)};
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

int iso9660_reader_open(iso9660_read_fn read, void *userdata,
			const struct iso9660_reader_opts *opts, struct bfs_diag *diag,
			struct iso9660_reader **ret)
{
	_cleanup_(iso9660_reader_freep) struct iso9660_reader *r = NULL;
	uint8_t pvd_root[34] = {0}, svd_root[34] = {0};
	bool have_pvd = false;
	int e;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->read = read;
	r->userdata = userdata;
	r->diag = diag;
	r->session_start = opts ? opts->session_start : 0;
	for (unsigned i = 0; i < VD_MAX; i++) {
		const uint8_t *b = r->block;

		e = rd(r, r->session_start + 16 + i, 1, r->block);
		if (e < 0)
			return e;
		if (memcmp(b + 1, "CD001", 5) != 0 || b[6] != 1) {
			if (i == 0)
				return BFS_CORRUPT(diag,
						   "no ISO 9660 volume descriptor at block %llu",
						   (unsigned long long)(r->session_start + 16));
			return BFS_CORRUPT(diag,
					   "volume descriptor set not terminated at block %llu",
					   (unsigned long long)(r->session_start + 16 + i));
		}
		if (b[0] == VD_TYPE_TERM)
			break;
		if (b[0] == VD_TYPE_PVD && !have_pvd) {
			size_t l = 32;

			if (b[156] < 34)
				return BFS_CORRUPT(diag,
						   "primary volume descriptor: root record of "
						   "length %u",
						   b[156]);
			if (b[156] != 34)
				bfs_diag_warn(
					diag,
					"primary volume descriptor: root record of length %u, "
					"not 34; using its first 34 bytes",
					b[156]);
			memcpy(pvd_root, b + 156, 34);
			memcpy(r->info.volume_id, b + 40, 32);
			while (l > 0 &&
			       (r->info.volume_id[l - 1] == ' ' || !r->info.volume_id[l - 1]))
				l--;
			r->info.volume_id[l] = '\0';
			r->info.volume_blocks = bfs_get_le32(b + 80);
			have_pvd = true;
		} else if (b[0] == VD_TYPE_SVD && b[88] == '%' && b[89] == '/' &&
			   (b[90] == '@' || b[90] == 'C' || b[90] == 'E') && b[156] >= 34) {
			memcpy(svd_root, b + 156, 34);
			r->info.has_joliet = true;
		}
	}
	if (!have_pvd)
		return BFS_CORRUPT(diag,
				   "no primary volume descriptor in the session at block %llu",
				   (unsigned long long)r->session_start);
	if (r->info.volume_blocks == 0)
		return BFS_CORRUPT(diag, "primary volume descriptor: volume space size 0");
	r->limit = r->session_start + r->info.volume_blocks;

	/* Rock Ridge: SP in the root's "." record (SUSP 5.3) */
	memcpy(r->root_rec, pvd_root, 34);
	e = rd(r, bfs_get_le32(pvd_root + DR_LBA), 1, r->block);
	if (e < 0)
		return e;
	{
		const uint8_t *dot = r->block;
		size_t dl = dot[DR_LEN];

		if (dl >= DR_FIXED + 1 + 7 && dot[DR_FI_LEN] == 1) {
			const uint8_t *sp = dot + 34;

			if (sp[0] == 'S' && sp[1] == 'P' && sp[2] >= 7 && sp[4] == 0xBE &&
			    sp[5] == 0xEF) {
				r->info.has_rockridge = true;
				r->susp_skip = sp[6];
			}
		}
	}
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
		memcpy(r->root_rec, svd_root, 34);
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
	uint8_t rec[34];
	int err;

	memcpy(rec, r->root_rec, 34);
	err = decode_record(r, rec, 34, &e, NULL, "root record");
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
		dl = r->block[DR_LEN];
		if (dl >= DR_FIXED + 1 &&
		    decode_record(r, r->block, dl, &dot, NULL, "root '.'") == 0) {
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
	char where[96];

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
			snprintf(where, sizeof(where), "directory record at block %llu offset %zu",
				 (unsigned long long)(lba + b), pos);
			if (l < DR_FIXED + 1 || pos + l > BLOCK) {
				err = BFS_CORRUPT(r->diag, "%s: length %zu", where, l);
				break;
			}
			if (blk[pos + DR_FI_LEN] == 1 &&
			    (blk[pos + DR_FI] == 0 || blk[pos + DR_FI] == 1)) {
				pos += l; /* "." and ".." */
				continue;
			}
			not_final = blk[pos + DR_FLAGS] & DRF_NOT_FINAL;
			err = decode_record(r, blk + pos, l, &e, &reloc, where);
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
							  where, ISO9660_EXTENTS_MAX);
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
