/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The virtual drive's files: the state file (written, read and checked), creating a drive
 * and loading a blank disc. See vdrive/vdrive.h.
 *
 * The state file, version 2 (3 when the disc holds audio), is text, one item a line, in
 * this order:
 *
 *	burnfs-vdrive 2|3
 *	media NAME              a name of the media table
 *	capacity N              blocks
 *	loaded|prevent|multisession 0|1
 *	status 0-3              blank, incomplete, appendable, complete (sequential media)
 *	written 0|1             overwrite media: something was written
 *	used_end N              one past the last block recorded
 *	unformatted 0|1         overwrite media before their first FORMAT UNIT
 *	tracks N                the number of track lines that follow
 *	track START SIZE SESSION OPEN RESERVED
 *	audio N CTL PREGAP ISRC INDEXES   version 3: track N (from 1) is audio (CD-DA, its
 *	                        sectors in audio.img): its CONTROL nibble, pregap blocks,
 *	                        ISRC or -, INDEX 02.. offsets from INDEX 01 (a,b,...) or -
 *	mcn DIGITS              version 3: the disc's MCN, when it has one
 *	cdtext HEX              version 3: a CD-Text pack of the lead-in (36 hex digits)
 *	crc32 XXXXXXXX          CRC-32 (IEEE 802.3) of every byte before this line
 *
 * The last line is the commit marker: a file cut anywhere, a changed byte, a lost or an
 * extra line all fail it. What it describes is then checked against itself (tracks in
 * order inside the capacity, sessions numbered from 1, only the last track open, ...) and
 * against the disc image, which must hold every block recorded. Version 1 (no tracks
 * count, no checksum; written before the checksum came) is read when it passes the same
 * checks, and the next save writes version 2.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common/io.h"
#include "common/diag.h"
#include "common/macro.h"
#include "vdrive-internal.h"

#define STATE_MAX  (128u * 1024u) /* 99 tracks and 2048 CD-Text packs (90 KiB) */
#define STATE_LINE 256u

char *vd_path(const char *dir, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

const struct media *vd_media_by_name(const char *name)
{
	for (size_t i = 0; i < vd_media_count; i++)
		if (strcmp(vd_media_table[i].name, name) == 0)
			return &vd_media_table[i];
	return NULL;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* CRC-32 of IEEE 802.3, zlib's */
static uint32_t crc32_ieee(const char *p, size_t n)
{
	return (uint32_t)crc32(0L, (const Bytef *)p, (uInt)n);
}

/* ---- writing ---------------------------------------------------------------------------- */

/* Version 3's audio lines (see the top) into buf; their length, or -ENOMEM. */
static int audio_format(const struct vdrive *vd, char *buf, size_t size)
{
	size_t o = 0;
	int n;

	for (unsigned i = 0; i < vd->ntracks; i++) {
		const struct vdrive_track *t = &vd->tracks[i];
		char idx[VDRIVE_INDEXES_MAX * 11 + 2] = "-";
		size_t k = 0;

		if (!t->audio)
			continue;
		for (unsigned j = 0; j < t->nindex; j++)
			k += (size_t)snprintf(idx + k, sizeof(idx) - k, "%s%u", j ? "," : "",
					      t->index[j]);
		n = snprintf(buf + o, size - o, "audio %u %u %u %s %s\n", i + 1, t->ctl, t->pregap,
			     t->isrc[0] ? t->isrc : "-", idx);
		if (n < 0 || (size_t)n >= size - o)
			return -ENOMEM;
		o += (size_t)n;
	}
	if (vd->mcn[0]) {
		n = snprintf(buf + o, size - o, "mcn %s\n", vd->mcn);
		if (n < 0 || (size_t)n >= size - o)
			return -ENOMEM;
		o += (size_t)n;
	}
	for (size_t i = 0; i < vd->cdtext_packs; i++) {
		if (size - o < 8 + 2 * CDTEXT_PACK)
			return -ENOMEM;
		o += (size_t)snprintf(buf + o, size - o, "cdtext ");
		for (unsigned j = 0; j < CDTEXT_PACK; j++)
			o += (size_t)snprintf(buf + o, size - o, "%02x",
					      vd->cdtext[i * CDTEXT_PACK + j]);
		buf[o++] = '\n';
	}
	return (int)o;
}

/* The state as text, with its checksum line; the length, or -ENOMEM. */
static int state_format(const struct vdrive *vd, char *buf, size_t size)
{
	bool audio = vd->mcn[0] || vd->cdtext_packs;
	size_t o;
	int n;

	for (unsigned i = 0; i < vd->ntracks; i++)
		audio = audio || vd->tracks[i].audio;
	n = snprintf(buf, size,
		     "burnfs-vdrive %d\nmedia %s\ncapacity %llu\nloaded %d\nprevent %d\n"
		     "multisession %d\nstatus %d\nwritten %d\nused_end %llu\nunformatted %d\n"
		     "tracks %u\n",
		     audio ? 3 : 2, vd->m->name, (unsigned long long)vd->capacity, vd->loaded,
		     vd->prevent, vd->multisession, (int)vd->status, vd->written,
		     (unsigned long long)vd->used_end, vd->unformatted, vd->ntracks);
	if (n < 0 || (size_t)n >= size)
		return -ENOMEM;
	o = (size_t)n;
	for (unsigned i = 0; i < vd->ntracks; i++) {
		const struct vdrive_track *t = &vd->tracks[i];

		n = snprintf(buf + o, size - o, "track %llu %llu %u %d %llu\n",
			     (unsigned long long)t->start, (unsigned long long)t->size, t->session,
			     t->open, (unsigned long long)t->reserved);
		if (n < 0 || (size_t)n >= size - o)
			return -ENOMEM;
		o += (size_t)n;
	}
	n = audio ? audio_format(vd, buf + o, size - o) : 0;
	if (n < 0)
		return n;
	o += (size_t)n;
	n = snprintf(buf + o, size - o, "crc32 %08x\n", crc32_ieee(buf, o));
	if (n < 0 || (size_t)n >= size - o)
		return -ENOMEM;
	return (int)(o + (size_t)n);
}

/*
 * Write the state to dir/state.tmp (a new file: a stale one of a killed process is removed
 * first) and put it in place: rename() replaces the drive's state, link() (excl, for a new
 * drive) never replaces a file that is already there.
 */
static int state_write(struct vdrive *vd, bool durable, bool excl)
{
	_cleanup_free_ char *tmp = vd_path(vd->dir, "state.tmp");
	_cleanup_free_ char *fin = vd_path(vd->dir, "state");
	_cleanup_free_ char *text = malloc(STATE_MAX);
	int fd, len, r;

	if (!tmp || !fin || !text)
		return -ENOMEM;
	len = state_format(vd, text, STATE_MAX);
	if (len < 0)
		return len;
	if (durable && vd->img_fd >= 0 && fdatasync(vd->img_fd) < 0)
		return -errno;
	if (!excl && unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = bfs_write_all(fd, text, (size_t)len);
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && excl) {
		r = link(tmp, fin) < 0 ? -errno : 0;
		(void)unlink(tmp);
	} else if (r == 0 && rename(tmp, fin) < 0) {
		r = -errno;
	}
	if (r < 0)
		(void)unlink(tmp); /* ours: made above with O_EXCL */
	if (r == 0 && durable)
		r = fsync_dir(vd->dir);
	if (r == 0)
		vd->state_dirty = false;
	return r;
}

/*
 * Replace dir/state atomically (rename), which is enough for a killed process: what it
 * wrote is in the page cache. durable also survives a machine crash: the image data is
 * synced before the state that refers to it, the state and the directory after. Sync
 * points (SYNCHRONIZE CACHE, close, format, blank) are durable, intermediate ones not.
 */
int vd_state_save(struct vdrive *vd, bool durable)
{
	return state_write(vd, durable, false);
}

/* ---- reading ------------------------------------------------------------------------------ */

enum {
	K_CAPACITY,
	K_LOADED,
	K_PREVENT,
	K_MULTISESSION,
	K_STATUS,
	K_WRITTEN,
	K_USED_END,
	K_UNFORMATTED,
	K_TRACKS,
	K_COUNT,
};

static const struct {
	const char *name;
	uint64_t max;
} keys[K_COUNT] = {
	[K_CAPACITY] = {"capacity", UINT64_MAX},
	[K_LOADED] = {"loaded", 1},
	[K_PREVENT] = {"prevent", 1},
	[K_MULTISESSION] = {"multisession", 1},
	[K_STATUS] = {"status", DS_COMPLETE},
	[K_WRITTEN] = {"written", 1},
	[K_USED_END] = {"used_end", UINT64_MAX},
	[K_UNFORMATTED] = {"unformatted", 1},
	[K_TRACKS] = {"tracks", VDRIVE_TRACKS_MAX},
};

/* What the lines say, before it is checked and taken into the drive. */
struct parsed {
	unsigned version;
	const struct media *m;
	uint64_t v[K_COUNT];
	bool seen[K_COUNT];
	unsigned ntracks;
	struct vdrive_track tracks[VDRIVE_TRACKS_MAX];
	bool crc_ok; /* version 2: the checksum line came and matched */
	/* version 3 */
	char mcn[14];
	uint8_t cdtext[CDTEXT_MAX_PACKS * CDTEXT_PACK];
	size_t cdtext_packs;
	bool audio_seen; /* an audio, mcn or cdtext line came: no track line after it */
};

/* A decimal number of at most max, nothing else: no sign, space or other character. */
static bool parse_num(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return false;
	*ret = v;
	return true;
}

/* Split a line at single spaces into at most max words; the count, or -1. */
static int split(char *line, char **w, int max)
{
	int n = 0;

	for (char *p = line;;) {
		char *sp = strchr(p, ' ');

		if (n == max || sp == p || !*p)
			return -1;
		w[n++] = p;
		if (!sp)
			return n;
		*sp = '\0';
		p = sp + 1;
	}
}

static int parse_track(struct parsed *ps, char **w, int nw, unsigned lineno, struct bfs_diag *diag)
{
	uint64_t a[5] = {0};

	/* version 1 files from before RESERVE TRACK have no reservation: none */
	if (nw != 6 && !(ps->version == 1 && nw == 5))
		return BFS_CORRUPT(diag, "line %u: a track line with %d fields", lineno, nw - 1);
	for (int i = 1; i < nw; i++)
		if (!parse_num(w[i], i == 4 ? 1 : i == 3 ? 0xFFFFFFFFu : UINT64_MAX, &a[i - 1]))
			return BFS_CORRUPT(diag, "line %u: '%s' is not a valid track field", lineno,
					   w[i]);
	if (ps->ntracks >= VDRIVE_TRACKS_MAX ||
	    (ps->version >= 2 && ps->ntracks >= ps->v[K_TRACKS]))
		return BFS_CORRUPT(diag, "line %u: more track lines than %s", lineno,
				   ps->version == 2 ? "the tracks line says" : "a disc has");
	ps->tracks[ps->ntracks++] = (struct vdrive_track){.start = a[0],
							  .size = a[1],
							  .session = (unsigned)a[2],
							  .open = a[3],
							  .reserved = a[4]};
	return 0;
}

/* The INDEX 02.. offsets of an audio line: "-" or a,b,c rising, each > 0 */
static bool parse_indexes(char *w, struct vdrive_track *t)
{
	uint64_t v, prev = 0;

	if (strcmp(w, "-") == 0)
		return true;
	for (char *save = NULL, *x = strtok_r(w, ",", &save); x; x = strtok_r(NULL, ",", &save)) {
		if (t->nindex == VDRIVE_INDEXES_MAX || !parse_num(x, UINT32_MAX, &v) || v <= prev)
			return false;
		t->index[t->nindex++] = (uint32_t)v, prev = v;
	}
	return true;
}

/* audio N CTL PREGAP ISRC INDEXES (version 3, after the track lines) */
static int parse_audio(struct parsed *ps, char **w, int nw, unsigned lineno, struct bfs_diag *diag)
{
	uint64_t tno, ctl, pregap;
	struct vdrive_track *t;

	if (nw != 6 || !parse_num(w[1], ps->ntracks, &tno) || tno == 0 ||
	    !parse_num(w[2], 0x0B, &ctl) || (ctl & 0x04) || !parse_num(w[3], UINT32_MAX, &pregap))
		return BFS_CORRUPT(diag, "line %u: not a valid audio line", lineno);
	t = &ps->tracks[tno - 1];
	if (t->audio || t->reserved || (strcmp(w[4], "-") != 0 && !vd_code_ok(w[4], 12)) ||
	    !parse_indexes(w[5], t) || (t->nindex && t->index[t->nindex - 1] >= t->size) ||
	    pregap > t->start + 150)
		return BFS_CORRUPT(diag, "line %u: not a valid audio line for track %llu", lineno,
				   (unsigned long long)tno);
	t->audio = true, t->ctl = (uint8_t)ctl, t->pregap = (uint32_t)pregap;
	if (strcmp(w[4], "-") != 0)
		memcpy(t->isrc, w[4], 13);
	return 0;
}

/* mcn DIGITS, cdtext HEX: the disc's MCN and a CD-Text pack (version 3) */
static int parse_disc_audio(struct parsed *ps, char **w, unsigned lineno, struct bfs_diag *diag)
{
	size_t n = strlen(w[1]);

	if (strcmp(w[0], "mcn") == 0) {
		if (ps->mcn[0] || !vd_code_ok(w[1], 13) || ps->cdtext_packs)
			return BFS_CORRUPT(diag, "line %u: not a valid mcn line", lineno);
		memcpy(ps->mcn, w[1], 14);
		return 0;
	}
	if (n != 2 * CDTEXT_PACK || strspn(w[1], "0123456789abcdef") != n ||
	    ps->cdtext_packs == CDTEXT_MAX_PACKS)
		return BFS_CORRUPT(diag, "line %u: not a valid cdtext line", lineno);
	for (size_t i = 0; i < CDTEXT_PACK; i++) {
		char h[3] = {w[1][2 * i], w[1][2 * i + 1], '\0'};

		ps->cdtext[ps->cdtext_packs * CDTEXT_PACK + i] = (uint8_t)strtoul(h, NULL, 16);
	}
	ps->cdtext_packs++;
	return 0;
}

/* One line after the header. Version 2 has its items in a fixed order. */
static int parse_line(struct parsed *ps, char *line, unsigned lineno, struct bfs_diag *diag)
{
	char *w[7];
	int nw = split(line, w, 7);
	size_t k;

	if (nw < 2)
		return BFS_CORRUPT(diag, "line %u is not a state line", lineno);
	if (ps->version == 3 && (strcmp(w[0], "audio") == 0 || strcmp(w[0], "mcn") == 0 ||
				 strcmp(w[0], "cdtext") == 0)) {
		if (!ps->seen[K_TRACKS] || ps->ntracks != ps->v[K_TRACKS])
			return BFS_CORRUPT(diag, "line %u: %s before the last track line", lineno,
					   w[0]);
		ps->audio_seen = true;
		if (strcmp(w[0], "audio") == 0)
			return parse_audio(ps, w, nw, lineno, diag);
		if (nw != 2 || (strcmp(w[0], "mcn") == 0 && ps->cdtext_packs))
			return BFS_CORRUPT(diag, "line %u is not a state line", lineno);
		return parse_disc_audio(ps, w, lineno, diag);
	}
	if (strcmp(w[0], "track") == 0) {
		if (ps->version == 2 && !ps->seen[K_TRACKS])
			return BFS_CORRUPT(diag, "line %u: a track line before the tracks line",
					   lineno);
		return parse_track(ps, w, nw, lineno, diag);
	}
	if (nw != 2)
		return BFS_CORRUPT(diag, "line %u is not a state line", lineno);
	if (strcmp(w[0], "media") == 0) {
		if (ps->m || (ps->version == 2 && lineno != 2))
			return BFS_CORRUPT(diag, "line %u: media out of place", lineno);
		ps->m = vd_media_by_name(w[1]);
		if (!ps->m)
			return BFS_CORRUPT(diag, "line %u: '%s' is not a medium", lineno, w[1]);
		return 0;
	}
	for (k = 0; k < K_COUNT && strcmp(w[0], keys[k].name) != 0; k++)
		;
	if (k == K_COUNT || (ps->version == 1 && k == K_TRACKS))
		return BFS_CORRUPT(diag, "line %u is not a state line", lineno);
	if (ps->seen[k] || (ps->version >= 2 && (lineno != 3 + k || ps->ntracks)))
		return BFS_CORRUPT(diag, "line %u: %s out of place", lineno, keys[k].name);
	if (!parse_num(w[1], keys[k].max, &ps->v[k]))
		return BFS_CORRUPT(diag, "line %u: '%s' is not a valid %s", lineno, w[1],
				   keys[k].name);
	ps->seen[k] = true;
	return 0;
}

/* The checksum line of version 2, which must be the last. */
static int parse_crc(struct parsed *ps, const char *text, size_t off, const char *line, bool last,
		     struct bfs_diag *diag)
{
	char want[16];

	if (!last)
		return BFS_CORRUPT(diag, "lines follow the checksum line");
	snprintf(want, sizeof(want), "crc32 %08x", crc32_ieee(text, off));
	if (strcmp(line, want) != 0)
		return BFS_CORRUPT(diag, "its checksum does not match its contents (a changed "
					 "or lost byte or line)");
	ps->crc_ok = true;
	return 0;
}

/* The lines of text (len bytes) into ps: every line whole, known, well-formed. */
static int parse_text(struct parsed *ps, const char *text, size_t len, struct bfs_diag *diag)
{
	char line[STATE_LINE];
	unsigned lineno = 0;

	for (size_t off = 0, next; off < len; off = next) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		int r;

		lineno++;
		if (!nl)
			return BFS_CORRUPT(diag, "it ends in the middle of line %u (cut short)",
					   lineno);
		if (n >= sizeof(line) || memchr(text + off, '\0', n))
			return BFS_CORRUPT(diag, "line %u is not a state line", lineno);
		memcpy(line, text + off, n);
		line[n] = '\0';
		next = off + n + 1;
		if (lineno == 1) {
			ps->version = strcmp(line, "burnfs-vdrive 3") == 0   ? 3
				      : strcmp(line, "burnfs-vdrive 2") == 0 ? 2
				      : strcmp(line, "burnfs-vdrive 1") == 0 ? 1
									     : 0;
			if (!ps->version)
				return BFS_CORRUPT(diag, "it does not begin as a state file");
			continue;
		}
		if (ps->version >= 2 && strncmp(line, "crc32 ", 6) == 0)
			r = parse_crc(ps, text, off, line, next == len, diag);
		else
			r = parse_line(ps, line, lineno, diag);
		if (r < 0)
			return r;
	}
	if (ps->version >= 2 && !ps->crc_ok)
		return BFS_CORRUPT(diag,
				   "it ends after line %u without its checksum line (cut "
				   "short)",
				   lineno);
	return 0;
}

/* Every item present; in version 2 as many tracks as it says. */
static int check_complete(const struct parsed *ps, struct bfs_diag *diag)
{
	if (!ps->m)
		return BFS_CORRUPT(diag, "it names no medium");
	for (size_t k = 0; k < K_COUNT; k++) {
		/* version 1 files from before it have formatted overwrite media */
		if (ps->version == 1 && (k == K_UNFORMATTED || k == K_TRACKS))
			continue;
		if (!ps->seen[k])
			return BFS_CORRUPT(diag, "it has no %s line", keys[k].name);
	}
	if (ps->version >= 2 && ps->ntracks != ps->v[K_TRACKS])
		return BFS_CORRUPT(diag, "it lists %u tracks, its tracks line says %llu",
				   ps->ntracks, (unsigned long long)ps->v[K_TRACKS]);
	return 0;
}

/* Tracks in order inside the capacity, sessions 1, 2, ..., only the last one open. */
static int check_tracks(const struct parsed *ps, struct bfs_diag *diag)
{
	uint64_t cap = ps->v[K_CAPACITY], prev_end = 0;
	unsigned prev_s = 0;

	for (unsigned i = 0; i < ps->ntracks; i++) {
		const struct vdrive_track *t = &ps->tracks[i];

		if (t->start > cap || t->size > cap - t->start || t->reserved > cap - t->start)
			return BFS_CORRUPT(diag,
					   "track %u (%llu blocks at %llu) reaches past the "
					   "capacity of %llu blocks",
					   i + 1, (unsigned long long)t->size,
					   (unsigned long long)t->start, (unsigned long long)cap);
		if (i && t->start < prev_end)
			return BFS_CORRUPT(diag, "track %u starts at %llu, inside track %u", i + 1,
					   (unsigned long long)t->start, i);
		if (t->session != prev_s + 1 && (t->session != prev_s || i == 0))
			return BFS_CORRUPT(diag, "track %u is in session %u after session %u",
					   i + 1, t->session, prev_s);
		if (t->open && (i + 1 != ps->ntracks || ps->v[K_STATUS] != DS_INCOMPLETE))
			return BFS_CORRUPT(diag,
					   "track %u is open, but it is not the last track "
					   "of an incomplete disc",
					   i + 1);
		prev_end = t->start + t->size, prev_s = t->session;
	}
	return 0;
}

/* What the disc holds agrees with its status and the tracks. */
static int check_disc(const struct parsed *ps, struct bfs_diag *diag)
{
	uint64_t lo = 0, hi = 0, used = ps->v[K_USED_END];
	const struct vdrive_track *last = ps->ntracks ? &ps->tracks[ps->ntracks - 1] : NULL;

	(void)vdrive_capacity_range(ps->m->name, &lo, &hi);
	if (ps->v[K_CAPACITY] < lo || ps->v[K_CAPACITY] > hi)
		return BFS_CORRUPT(diag, "a capacity of %llu blocks, not one a %s can have",
				   (unsigned long long)ps->v[K_CAPACITY], ps->m->name);
	if (used > ps->v[K_CAPACITY])
		return BFS_CORRUPT(diag, "%llu blocks recorded on a disc of %llu",
				   (unsigned long long)used, (unsigned long long)ps->v[K_CAPACITY]);
	if (ps->m->overwrite) {
		if (ps->ntracks || ps->v[K_STATUS] != DS_COMPLETE)
			return BFS_CORRUPT(diag, "tracks or a disc status on a %s", ps->m->name);
		return 0;
	}
	if (ps->v[K_UNFORMATTED] || ps->v[K_WRITTEN])
		return BFS_CORRUPT(diag, "an overwrite medium's flags on a %s", ps->m->name);
	if ((ps->v[K_STATUS] == DS_BLANK) != (ps->ntracks == 0))
		return BFS_CORRUPT(diag, "a %s disc with %u tracks",
				   ps->v[K_STATUS] == DS_BLANK ? "blank" : "written", ps->ntracks);
	/* the next writable address lies at or past the end of the recorded data */
	if (last ? used > last->start + last->size : used != 0)
		return BFS_CORRUPT(diag,
				   "data recorded up to block %llu, past the end of the "
				   "last track (%llu)",
				   (unsigned long long)used,
				   (unsigned long long)(last ? last->start + last->size : 0));
	return 0;
}

/* dir/state, whole, into a buffer of STATE_MAX; its length or -errno. */
static int read_state(const char *dir, char *buf, struct bfs_diag *diag)
{
	_cleanup_free_ char *p = vd_path(dir, "state");
	_cleanup_close_ int fd = -1;
	size_t len = 0;

	if (!p)
		return -ENOMEM;
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT
			       ? -ENOENT
			       : BFS_CORRUPT(diag, "it cannot be read: %s", strerror(errno));
	for (;;) {
		ssize_t g = read(fd, buf + len, STATE_MAX - len);

		if (g < 0 && errno == EINTR)
			continue;
		if (g < 0)
			return BFS_CORRUPT(diag, "it cannot be read: %s", strerror(errno));
		if (g == 0)
			break;
		len += (size_t)g;
		if (len == STATE_MAX)
			return BFS_CORRUPT(diag, "it is larger than a state file can be");
	}
	return (int)len;
}

int vd_state_load(struct vdrive *vd, struct bfs_diag *diag)
{
	_cleanup_free_ char *text = malloc(STATE_MAX);
	_cleanup_free_ struct parsed *ps = calloc(1, sizeof(*ps));
	int len, r;

	if (!text || !ps)
		return -ENOMEM;
	len = read_state(vd->dir, text, diag);
	if (len < 0)
		return len;
	r = parse_text(ps, text, (size_t)len, diag);
	vd->m = ps->m; /* known even when the rest is damaged: load --blank uses it */
	if (r < 0)
		return r;
	r = check_complete(ps, diag);
	if (r == 0)
		r = check_tracks(ps, diag);
	if (r == 0)
		r = check_disc(ps, diag);
	if (r < 0)
		return r;
	vd->capacity = ps->v[K_CAPACITY];
	vd->loaded = ps->v[K_LOADED], vd->prevent = ps->v[K_PREVENT];
	vd->multisession = ps->v[K_MULTISESSION];
	vd->status = (enum disc_status)ps->v[K_STATUS];
	vd->written = ps->v[K_WRITTEN], vd->used_end = ps->v[K_USED_END];
	vd->unformatted = ps->v[K_UNFORMATTED];
	vd->ntracks = ps->ntracks;
	memcpy(vd->tracks, ps->tracks, sizeof(vd->tracks));
	memcpy(vd->mcn, ps->mcn, sizeof(vd->mcn));
	free(vd->cdtext);
	vd->cdtext = NULL, vd->cdtext_packs = 0;
	if (ps->cdtext_packs) {
		vd->cdtext = malloc(ps->cdtext_packs * CDTEXT_PACK);
		if (!vd->cdtext)
			return -ENOMEM;
		memcpy(vd->cdtext, ps->cdtext, ps->cdtext_packs * CDTEXT_PACK);
		vd->cdtext_packs = ps->cdtext_packs;
	}
	return 0;
}

/* ---- creating a drive, loading a blank disc ----------------------------------------------- */

int vdrive_capacity_range(const char *media, uint64_t *ret_min, uint64_t *ret_max)
{
	const struct media *m = vd_media_by_name(media);

	if (!m)
		return -EINVAL;
	*ret_min = VD_CAPACITY_MIN;
	*ret_max = m->max_capacity;
	return 0;
}

int vd_lock(const char *dir)
{
	_cleanup_free_ char *p = vd_path(dir, "lock");
	int fd;

	if (!p)
		return -ENOMEM;
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* -EEXIST when dir holds a drive (its state file), -ENOTEMPTY when it holds anything else. */
static int dir_usable(const char *dir)
{
	_cleanup_free_ char *st = vd_path(dir, "state");
	struct stat sb;
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (!st)
		return -ENOMEM;
	if (lstat(st, &sb) == 0)
		return -EEXIST;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d)) && r == 0)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			r = -ENOTEMPTY;
	closedir(d);
	return r;
}

/* A blank disc of medium m in dir: disc.img and state, both new files (O_EXCL, link). */
static int blank_disc(const char *dir, const struct media *m, uint64_t cap)
{
	_cleanup_free_ char *img = vd_path(dir, "disc.img");
	struct vdrive vd = {
		.dir = (char *)dir,
		.lock_fd = -1,
		.m = m,
		.capacity = cap ? cap : m->capacity,
		.loaded = true,
		.multisession = true,
		.status = m->overwrite ? DS_COMPLETE : DS_BLANK,
		.unformatted = m->overwrite, /* formatted before first use */
	};
	int r;

	if (!img)
		return -ENOMEM;
	vd.img_fd = open(img, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (vd.img_fd < 0)
		return -errno;
	r = state_write(&vd, true, true);
	close(vd.img_fd);
	if (r < 0)
		(void)unlink(img); /* ours: created above */
	return r;
}

int vdrive_create(const char *dir, const char *media, uint64_t capacity_sectors)
{
	const struct media *m = vd_media_by_name(media);
	bool made = false;
	int r;

	if (!m)
		return -EINVAL;
	if (capacity_sectors &&
	    (capacity_sectors < VD_CAPACITY_MIN || capacity_sectors > m->max_capacity))
		return -ERANGE;
	if (mkdir(dir, 0755) == 0)
		made = true;
	else if (errno != EEXIST)
		return -errno;
	r = made ? 0 : dir_usable(dir);
	if (r == 0)
		r = blank_disc(dir, m, capacity_sectors);
	if (r < 0 && made)
		(void)rmdir(dir); /* only the directory this call made, empty again */
	return r;
}

/* The first free dir/shelf/N (made here): its path, malloc()ed, or NULL with errno. */
static char *shelf_new(const char *dir)
{
	_cleanup_free_ char *shelf = vd_path(dir, "shelf");

	if (!shelf || (mkdir(shelf, 0755) < 0 && errno != EEXIST))
		return NULL;
	for (unsigned n = 1; n < 100000; n++) {
		char *p = NULL;

		if (asprintf(&p, "%s/%u", shelf, n) < 0)
			return NULL;
		if (mkdir(p, 0755) == 0)
			return p;
		free(p);
		if (errno != EEXIST)
			return NULL;
	}
	errno = ENOSPC;
	return NULL;
}

/* Move dir/NAME to to/NAME if there is one; 1 when moved, 0 when absent, or -errno. */
static int move_file(const char *dir, const char *to, const char *name)
{
	_cleanup_free_ char *a = vd_path(dir, name), *b = vd_path(to, name);

	if (!a || !b)
		return -ENOMEM;
	if (rename(a, b) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

int vdrive_load_blank(const char *dir, const char *media, uint64_t capacity_sectors,
		      char **ret_shelf)
{
	struct vdrive old = {.dir = (char *)dir};
	struct bfs_diag diag = {0};
	_cleanup_free_ char *st = vd_path(dir, "state"), *shelf = NULL;
	_cleanup_close_ int lock = -1;
	const struct media *m;
	int r, moved_img, moved_audio, moved_st;

	if (!st)
		return -ENOMEM;
	if (access(st, F_OK) < 0)
		return -ENOENT;
	lock = vd_lock(dir);
	if (lock < 0)
		return lock;
	/* the disc in the drive may be damaged: its medium is enough (or --media) */
	(void)vd_state_load(&old, &diag);
	free(old.cdtext); /* only its medium and capacity matter here */
	m = media ? vd_media_by_name(media) : old.m;
	if (!m)
		return media ? -EINVAL : -EUCLEAN;
	if (!capacity_sectors && m == old.m && old.capacity)
		capacity_sectors = old.capacity; /* the same kind of disc as before */
	if (capacity_sectors &&
	    (capacity_sectors < VD_CAPACITY_MIN || capacity_sectors > m->max_capacity))
		return -ERANGE;
	shelf = shelf_new(dir);
	if (!shelf)
		return -errno;
	moved_img = move_file(dir, shelf, "disc.img");
	moved_audio = moved_img < 0 ? 0 : move_file(dir, shelf, "audio.img");
	moved_st = moved_img < 0 || moved_audio < 0 ? 0 : move_file(dir, shelf, "state");
	r = moved_img < 0 ? moved_img : moved_audio < 0 ? moved_audio : moved_st < 0 ? moved_st : 0;
	if (r == 0)
		r = blank_disc(dir, m, capacity_sectors);
	if (r == 0) {
		*ret_shelf = TAKE_PTR(shelf);
		return fsync_dir(dir);
	}
	/* put the old disc back as it was */
	if (moved_st > 0)
		(void)move_file(shelf, dir, "state");
	if (moved_audio > 0)
		(void)move_file(shelf, dir, "audio.img");
	if (moved_img > 0)
		(void)move_file(shelf, dir, "disc.img");
	(void)rmdir(shelf);
	{
		_cleanup_free_ char *top = vd_path(dir, "shelf");

		if (top)
			(void)rmdir(top); /* only if empty: the drive's own shelf, made above */
	}
	return r;
}
