/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sessions of a disc or an image file. See engine/sessions.h.
 */
#include "engine/sessions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/bytes.h"
#include "engine/drive.h"
#include "iso9660/layout.h"
#include "iso9660/reader.h"
#include "medium.h"
#include "mmc/mmc.h"

#define BLOCK	    2048u
#define VD_MAX	    64u	   /* ISO 9660 descriptors looked at in one session */
#define UDF_ANCHOR  256u   /* ECMA-167 3/8.4.2.1: block 256 of the session */
#define HEAD_BLOCKS 32u	   /* libisoburn: the first session of a growing image starts here */
#define UDF_PROBES  65536u /* 16-block steps looked at for the session after a UDF-only one */

size_t eng_sessions_of_tracks(const struct mmc_track *t, size_t nt, struct eng_session *out)
{
	size_t n = 0;

	for (size_t i = 0; i < nt; i++) {
		if (t[i].blank)
			continue; /* the invisible track where the next session goes */
		if (!n || out[n - 1].number != t[i].session)
			out[n++] = (struct eng_session){
				.number = t[i].session, .start = t[i].start, .audio = true};
		out[n - 1].length = t[i].start + t[i].size - out[n - 1].start;
		out[n - 1].open |= t[i].nwa_valid;
		out[n - 1].audio &= t[i].audio; /* mixed mode: a data track first, then audio */
	}
	return n;
}

/* ECMA-119 8.4.26.1: "YYYYMMDDHHMMSScc" and the offset from GMT in 15-minute units. */
static bool date17(const uint8_t *p, struct bfs_time *ret)
{
	struct tm tm = {0};
	int v[6], len[6] = {4, 2, 2, 2, 2, 2}, o = 0;

	for (int i = 0; i < 6; i++) {
		v[i] = 0;
		for (int k = 0; k < len[i]; k++, o++) {
			if (p[o] < '0' || p[o] > '9')
				return false; /* "not specified" is all '0' or all spaces / NULs */
			v[i] = v[i] * 10 + (p[o] - '0');
		}
	}
	if (v[0] == 0 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31)
		return false;
	tm = (struct tm){.tm_year = v[0] - 1900,
			 .tm_mon = v[1] - 1,
			 .tm_mday = v[2],
			 .tm_hour = v[3],
			 .tm_min = v[4],
			 .tm_sec = v[5]};
	*ret = (struct bfs_time){.sec = (int64_t)timegm(&tm) - (int8_t)p[16] * 15 * 60,
				 .nsec = (uint32_t)((p[14] - '0') * 10 + (p[15] - '0')) *
					 10000000u};
	return true;
}

/* The primary volume descriptor of the session at s into b: 0, -ENOENT when none. */
static int read_pvd(struct eng_medium *m, uint64_t s, uint8_t *b)
{
	for (uint64_t i = 0; i < VD_MAX && s + 16 + i < m->blocks; i++) {
		int r = eng_medium_read(m, s + 16 + i, 1, b);

		if (r < 0)
			return r;
		if (memcmp(b + ISO9660_VD_STD_ID, ISO9660_STD_ID, ISO9660_VD_STD_ID_LEN) != 0 ||
		    b[ISO9660_VD_TYPE] == ISO9660_VD_TYPE_TERMINATOR)
			break;
		if (b[ISO9660_VD_TYPE] == ISO9660_VD_TYPE_PRIMARY)
			return 0;
	}
	return -ENOENT;
}

/* Is a session at block s, ISO 9660 or UDF? */
static bool session_at(struct eng_medium *m, uint64_t s, uint8_t *b)
{
	if (s + 17 > m->blocks)
		return false;
	return read_pvd(m, s, b) == 0 || eng_disctree_has_udf(eng_medium_read, m, s);
}

/*
 * Where the session after a UDF-only one at s starts: mkudffs does not say (its partition
 * runs to the end of the disc), so the next 16-block boundary past the anchor with a
 * recognition sequence and an anchor of its own. 0 when none.
 */
static uint64_t udf_next(struct eng_medium *m, uint64_t s)
{
	uint64_t c = (s + UDF_ANCHOR + 1 + 15) / 16 * 16;

	for (unsigned i = 0; i < UDF_PROBES && c + UDF_ANCHOR < m->blocks; i++, c += 16)
		if (eng_disctree_has_udf(eng_medium_read, m, c))
			return c;
	return 0;
}

/* The next session after one that ends at block end: there, or at 16 or 32 past it. */
static uint64_t iso_next(struct eng_medium *m, uint64_t end, uint8_t *b)
{
	uint64_t c[3] = {end, (end + 15) / 16 * 16, (end + 31) / 32 * 32};

	for (int i = 0; i < 3; i++)
		if (session_at(m, c[i], b))
			return c[i];
	return 0;
}

/*
 * The session after the ISO 9660 one at s whose volume size is size, and in *end where
 * that volume ends. The size is the session's own length (libisofs, genisoimage) or its
 * absolute end (mkisofs -C of old), and the two cannot be told apart from the descriptor
 * alone: the absolute reading, which can only find a nearer session and so never skips
 * one, is tried first where it is possible (past s), then the own length. With no
 * session after it, the reading that fits in the medium.
 */
static uint64_t iso_after(struct eng_medium *m, uint64_t s, uint64_t size, uint8_t *b,
			  uint64_t *end)
{
	uint64_t next;

	if (size > s && (next = iso_next(m, size, b))) {
		*end = size;
		return next;
	}
	if ((next = iso_next(m, s + size, b))) {
		*end = s + size;
		return next;
	}
	*end = s + size <= m->blocks || size <= s ? s + size : size;
	return 0;
}

/*
 * Sessions packed in an image (or an overwritable disc), from start on: each one's volume
 * size leads to the next. A volume that says it is longer than the medium is cut short.
 */
static int chain(struct eng_medium *m, uint64_t start, struct eng_session *out, size_t max,
		 size_t *n, struct bfs_diag *diag)
{
	uint8_t b[BLOCK];
	uint64_t s = start, end, next;

	for (*n = 0; *n < max && s < m->blocks;) {
		bool iso = read_pvd(m, s, b) == 0;

		if (!iso && !eng_disctree_has_udf(eng_medium_read, m, s))
			break;
		if (iso)
			next = iso_after(m, s, bfs_get_le32(b + ISO9660_VD_VOLUME_SIZE), b, &end);
		else
			next = udf_next(m, s), end = m->blocks;
		if (end > m->blocks)
			return bfs_diag_set(diag, -ENODATA,
					    "'%s': session %zu (at block %llu) is cut short: its "
					    "volume ends at block %llu, the image has %llu blocks",
					    m->name, *n + 1, (unsigned long long)s,
					    (unsigned long long)end, (unsigned long long)m->blocks);
		out[*n] = (struct eng_session){.number = (unsigned)*n + 1, .start = s};
		/* an ISO 9660 volume says its length; a UDF-only one runs to the next session */
		out[*n].length = (iso || !next ? end : next) - s;
		++*n;
		if (!next || next <= s)
			break;
		s = next;
	}
	if (*n == 0)
		return BFS_CORRUPT(diag, "'%s': no ISO 9660 or UDF session found", m->name);
	return 0;
}

/*
 * libisoburn's growing images and overwritable discs: blocks 0-31 hold a copy of the
 * newest session's descriptors (its root lies past block 32) and the first session starts
 * at block 32. Where that is so, the chain starts at 32; else at 0.
 */
static uint64_t chain_start(struct eng_medium *m)
{
	uint8_t b[BLOCK];

	if (m->base)
		return m->base; /* a session made for a later block, alone in its file */
	if (read_pvd(m, 0, b) < 0 || bfs_get_le32(b + ISO9660_VD_ROOT_EXTENT) < HEAD_BLOCKS ||
	    bfs_get_le32(b + ISO9660_VD_VOLUME_SIZE) <= HEAD_BLOCKS)
		return 0;
	return read_pvd(m, HEAD_BLOCKS, b) == 0 ? HEAD_BLOCKS : 0;
}

/*
 * Is the descriptor at 16 a copy of the session's own one? Byte for byte but the volume
 * space size, which libisofs writes as the session's length in the session and as its
 * absolute end in the copy (formats.md §3.3).
 */
static bool head_copy(const uint8_t *head, const uint8_t *own)
{
	return memcmp(head, own, ISO9660_VD_VOLUME_SIZE) == 0 &&
	       memcmp(head + ISO9660_VD_VOLUME_SIZE + 8, own + ISO9660_VD_VOLUME_SIZE + 8,
		      BLOCK - ISO9660_VD_VOLUME_SIZE - 8) == 0;
}

/* A session's descriptors at c, its root past them and its volume past c (absolute). */
static bool candidate(struct eng_medium *m, uint64_t c, uint8_t *b)
{
	return read_pvd(m, c, b) == 0 && bfs_get_le32(b + ISO9660_VD_ROOT_EXTENT) > c + 16 &&
	       bfs_get_le32(b + ISO9660_VD_VOLUME_SIZE) > c;
}

/*
 * A medium grown from a first session at block 0 (burnfs on a blank overwritable disc or
 * image, growisofs): the head at 16 is a copy of the newest session's descriptors, so the
 * chain from 0 sees one volume up to the newest session's end. The sessions after the
 * first are found by looking at 16-block steps below the head's root directory for chains
 * of sessions, each piece starting where a session is found (the gaps between pieces are
 * those left by a writer's padding, as xorriso's 150 blocks), until a chain ends with the
 * session the head copies (its descriptor, head_copy()): that check keeps an ISO image
 * stored as a file from passing for a session. s[0] becomes the first session, its own
 * descriptors replaced by the head: it reads as the newest tree, so its length is the
 * newest volume's, and the sessions found follow it. Nothing found: the list stays.
 */
static void grown_from_0(struct eng_medium *m, struct eng_session *s, size_t *n)
{
	uint8_t head[BLOCK], b[BLOCK];
	uint64_t root, c = HEAD_BLOCKS;
	size_t k = 1;

	if (*n != 1 || s[0].start != 0 || read_pvd(m, 0, head) < 0)
		return;
	root = bfs_get_le32(head + ISO9660_VD_ROOT_EXTENT);
	while (c + 17 < root && c + 17 <= m->blocks && k < ENG_SESSIONS_MAX) {
		struct bfs_diag quiet = {0};
		const struct eng_session *last;
		size_t got = 0;

		if (!candidate(m, c, b) ||
		    chain(m, c, s + k, ENG_SESSIONS_MAX - k, &got, &quiet) < 0 || got == 0) {
			c += 16;
			continue;
		}
		k += got;
		last = &s[k - 1];
		if (read_pvd(m, last->start, b) == 0 && head_copy(head, b)) {
			s[0].length = last->start + last->length;
			s[0].head = true;
			for (size_t i = 1; i < k; i++)
				s[i].number = (unsigned)i + 1;
			*n = k;
			return;
		}
		c = BFS_MAX(BFS_ROUND_UP(last->start + last->length, 16u), c + 16);
	}
}

/* A disc's sessions from READ TRACK INFORMATION of every track (engine/drive.h). */
static int disc_sessions(struct eng_medium *m, struct eng_session *out, size_t *n,
			 struct bfs_diag *diag)
{
	_cleanup_free_ struct mmc_track *t = NULL;
	size_t nt = 0;
	int r = eng_drive_tracks(m->drive, &m->media, &t, &nt, diag);

	if (r < 0)
		return r;
	/* out has room for ENG_SESSIONS_MAX sessions: a session holds one track or more */
	*n = eng_sessions_of_tracks(t, BFS_MIN(nt, (size_t)ENG_SESSIONS_MAX), out);
	if (*n == 0)
		return bfs_diag_set(diag, -ENODATA, "%s: the disc has no recorded session",
				    m->name);
	return 0;
}

/* Volume id, date and file systems of one session, from its descriptors. */
static void describe(struct eng_medium *m, struct eng_session *s)
{
	struct iso9660_reader_opts o = {.session_start = s->start};
	_cleanup_(iso9660_reader_freep) struct iso9660_reader *r = NULL;
	struct iso9660_volume_info vi;
	struct bfs_diag quiet = {0};
	uint8_t b[BLOCK];

	if (s->audio)
		return; /* CD-DA: its sectors do not even read as blocks */
	if (eng_disctree_has_udf(eng_medium_read, m, s->start))
		s->fs |= ENG_FS_UDF;
	if (s->open || read_pvd(m, s->start, b) < 0)
		return;
	s->fs |= ENG_FS_ISO9660;
	s->has_created = date17(b + ISO9660_VD_CREATED, &s->created);
	if (iso9660_reader_open(eng_medium_read, m, &o, &quiet, &r) < 0) {
		memcpy(s->volume_id, b + ISO9660_VD_VOLUME_ID, ISO9660_VD_VOLUME_ID_LEN);
		for (int i = 31; i >= 0 && s->volume_id[i] == ' '; i--)
			s->volume_id[i] = '\0';
		return;
	}
	iso9660_reader_info(r, &vi);
	snprintf(s->volume_id, sizeof(s->volume_id), "%s", vi.volume_id);
	s->fs |= (vi.has_joliet ? ENG_FS_JOLIET : 0) | (vi.has_rockridge ? ENG_FS_ROCKRIDGE : 0);
}

int eng_sessions_list(struct eng_medium *m, struct eng_session **ret, size_t *n,
		      struct bfs_diag *diag)
{
	_cleanup_free_ struct eng_session *s = calloc(ENG_SESSIONS_MAX, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	if (m->drive && !m->media.overwrite) {
		r = disc_sessions(m, s, n, diag);
	} else {
		uint64_t c0 = chain_start(m);

		r = chain(m, c0, s, ENG_SESSIONS_MAX, n, diag);
		if (r == 0 && c0 == 0)
			grown_from_0(m, s, n);
	}
	if (r < 0)
		return r;
	for (size_t i = 0; i < *n; i++)
		describe(m, &s[i]);
	*ret = s;
	s = NULL;
	return 0;
}

const struct eng_session *eng_session_pick(const struct eng_session *s, size_t n, unsigned number,
					   struct bfs_diag *diag)
{
	if (number == 0)
		number = (unsigned)n;
	if (number < 1 || number > n) {
		bfs_diag_set(diag, -ENOENT, "no session %u: the medium has %zu session%s", number,
			     n, n == 1 ? "" : "s");
		return NULL;
	}
	return &s[number - 1];
}

struct counts {
	uint64_t files, dirs;
	uint64_t regular; /* what Joliet can hold too: regular files */
};

static int count_one(const char *path, const struct eng_dnode *d, void *userdata)
{
	struct counts *c = userdata;

	(void)path;
	if (d->type == BFS_NODE_DIR)
		c->dirs++;
	else
		c->files++;
	c->regular += d->type == BFS_NODE_FILE;
	return 0;
}

/* The files and directories of one of the session's trees. */
static int count_tree(struct eng_medium *m, struct eng_session *s, enum eng_tree_fs want,
		      enum eng_tree_fs *used, struct counts *c, struct bfs_diag *diag)
{
	_cleanup_(eng_disctree_freep) struct eng_disctree *t = NULL;
	struct eng_dnode root = {0};
	int r = eng_disctree_open(eng_medium_read, m, s->start, s->start + s->length, want, diag,
				  &t);

	if (r < 0)
		return r;
	*used = eng_disctree_fs(t);
	if (!s->volume_id[0]) /* UDF only: no ISO 9660 descriptor named it */
		eng_disctree_volume_id(t, s->volume_id, sizeof(s->volume_id));
	r = eng_disctree_lookup(t, "/", &root);
	if (r == 0)
		r = eng_disctree_walk(t, &root, count_one, NULL, c);
	eng_dnode_done(&root);
	return r;
}

int eng_session_count(struct eng_medium *m, struct eng_session *s, char *disagree,
		      size_t disagree_len, struct bfs_diag *diag)
{
	struct counts c = {0}, j = {0};
	enum eng_tree_fs used, other;
	int r;

	if (disagree_len)
		disagree[0] = '\0';
	if (s->open)
		return bfs_diag_set(diag, -ENODATA, "session %u is open: nothing to read yet",
				    s->number);
	if (s->audio)
		return bfs_diag_set(diag, -ENOTDIR, "session %u holds audio tracks: no files",
				    s->number);
	r = count_tree(m, s, ENG_TREE_AUTO, &used, &c, diag);
	if (r < 0)
		return r;
	s->counted = true;
	s->tree = used;
	s->files = c.files;
	s->dirs = c.dirs;
	if (used == ENG_TREE_UDF && (s->fs & ENG_FS_ROCKRIDGE)) {
		/* a hybrid: its Rock Ridge tree should hold what its UDF tree holds */
		r = count_tree(m, s, ENG_TREE_ROCKRIDGE, &other, &j, diag);
		if (r < 0)
			return r;
		if (j.files != c.files || j.dirs != c.dirs || j.regular != c.regular)
			snprintf(
				disagree, disagree_len,
				"session %u: the trees disagree: UDF has %llu files (%llu regular) "
				"and %llu directories, Rock Ridge %llu files (%llu regular) and "
				"%llu directories; the UDF tree is used",
				s->number, (unsigned long long)c.files,
				(unsigned long long)c.regular, (unsigned long long)c.dirs,
				(unsigned long long)j.files, (unsigned long long)j.regular,
				(unsigned long long)j.dirs);
		return 0;
	}
	if (used != ENG_TREE_ROCKRIDGE || !(s->fs & ENG_FS_JOLIET))
		return 0;
	/*
	 * Both trees there: they should hold the same directories, and the Joliet tree every
	 * regular file; what Joliet cannot hold (symbolic links, FIFOs, devices) libisofs
	 * leaves out and mkisofs writes as empty files.
	 */
	r = count_tree(m, s, ENG_TREE_JOLIET, &other, &j, diag);
	if (r < 0)
		return r;
	if (j.files < c.regular || j.files > c.files || j.dirs != c.dirs)
		snprintf(disagree, disagree_len,
			 "session %u: the trees disagree: Rock Ridge has %llu files (%llu "
			 "regular) and %llu directories, Joliet %llu files and %llu "
			 "directories; the Rock Ridge tree is used",
			 s->number, (unsigned long long)c.files, (unsigned long long)c.regular,
			 (unsigned long long)c.dirs, (unsigned long long)j.files,
			 (unsigned long long)j.dirs);
	return 0;
}
