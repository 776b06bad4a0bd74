/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CUE sheet parser (CDRWIN format as rippers write it; reference boot-audio.md §8):
 *
 *	CATALOG 0123456789012		disc: MCN, 13 digits
 *	TITLE|PERFORMER|SONGWRITER "x"	disc before the first TRACK, else the track's
 *	FILE "name" BINARY|MOTOROLA|WAVE|AIFF|MP3
 *	  TRACK nn AUDIO		nn 1-99, consecutive (the first may be above 1)
 *	    FLAGS DCP 4CH PRE SCMS	before the first INDEX
 *	    ISRC CCOOOYYSSSSS
 *	    PREGAP mm:ss:ff		generated silence before INDEX 00/01
 *	    INDEX nn mm:ss:ff		offset in the current FILE; 00 or 01 first, then +1
 *	    POSTGAP mm:ss:ff		generated silence after the track
 *	REM ...				comments (and EAC's REM GENRE/DATE)
 *
 * The sheet is untrusted text: every count has a cap and every failure names the sheet and
 * the line.
 */
#include "engine/audio.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/diag.h"

#define CUE_MAX_FILES 256
#define CUE_MAX_LINE  4096
#define CUE_MAX_TEXT  1024	 /* bytes of a TITLE, PERFORMER, SONGWRITER */
#define CUE_MAX_BYTES (1u << 20) /* a sheet of a whole album is a few KiB */
#define CUE_MAX_MIN   999	 /* minutes of an index offset into a file */

struct cue_ctx {
	const char *name;
	unsigned line;
	struct eng_cue_sheet *s;
	struct bfs_diag *diag;
	bool have_file;
};

static int cue_err(struct cue_ctx *c, int err, const char *fmt, ...) BFS_PRINTF(3, 4);
static int cue_err(struct cue_ctx *c, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bfs_diag_set(c->diag, err, "%s:%u: %s", c->name, c->line, msg);
}

/* The next word of the line, or a "quoted string"; *p moves past it. 0 at the line's end. */
static int next_token(struct cue_ctx *c, const char **p, char *tok, size_t cap)
{
	const char *q = *p;
	size_t n = 0;

	while (*q == ' ' || *q == '\t')
		q++;
	if (!*q) {
		*p = q;
		return 0;
	}
	if (*q == '"') {
		const char *end = strchr(q + 1, '"');

		if (!end)
			return cue_err(c, -EINVAL, "unterminated quoted string");
		n = (size_t)(end - q - 1);
		if (n >= cap)
			return cue_err(c, -EINVAL, "string longer than %zu bytes", cap - 1);
		memcpy(tok, q + 1, n);
		*p = end + 1;
	} else {
		while (q[n] && q[n] != ' ' && q[n] != '\t')
			n++;
		if (n >= cap)
			return cue_err(c, -EINVAL, "word longer than %zu bytes", cap - 1);
		memcpy(tok, q, n);
		*p = q + n;
	}
	tok[n] = '\0';
	return 1;
}

/* A required token; names what is missing. */
static int need_token(struct cue_ctx *c, const char **p, char *tok, size_t cap, const char *what)
{
	int r = next_token(c, p, tok, cap);

	if (r == 0)
		return cue_err(c, -EINVAL, "missing %s", what);
	return r < 0 ? r : 0;
}

static int no_more(struct cue_ctx *c, const char **p)
{
	char extra[CUE_MAX_LINE];
	int r = next_token(c, p, extra, sizeof(extra));

	if (r > 0)
		return cue_err(c, -EINVAL, "unexpected '%s' at the end of the line", extra);
	return r;
}

static int parse_uint(const char *t, unsigned max, unsigned *ret)
{
	unsigned long v = 0;

	if (!*t || strlen(t) > 3)
		return -EINVAL;
	for (; *t; t++) {
		if (!isdigit((unsigned char)*t))
			return -EINVAL;
		v = v * 10 + (unsigned)(*t - '0');
	}
	if (v > max)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* "mm:ss:ff" into sectors */
static int parse_msf(struct cue_ctx *c, const char *t, uint32_t *ret)
{
	char m[8], s[8], f[8];
	unsigned mm, ss, ff;
	int n = -1;

	if (sscanf(t, "%7[0-9]:%7[0-9]:%7[0-9]%n", m, s, f, &n) != 3 || n < 0 || t[n] ||
	    parse_uint(m, CUE_MAX_MIN, &mm) < 0 || parse_uint(s, 59, &ss) < 0 ||
	    parse_uint(f, ENG_CD_FPS - 1, &ff) < 0)
		return cue_err(c, -EINVAL, "'%s' is not a time mm:ss:ff (ss < 60, ff < 75)", t);
	*ret = ((uint32_t)mm * 60 + ss) * ENG_CD_FPS + ff;
	return 0;
}

/* An INDEX 00 alone does not start a track */
static bool has_start(const struct eng_cue_track *t)
{
	return t->nindex > 1 || (t->nindex == 1 && t->index[0].number == 1);
}

static struct eng_cue_track *cur_track(struct eng_cue_sheet *s)
{
	return s->ntracks ? &s->tracks[s->ntracks - 1] : NULL;
}

static int cmd_file(struct cue_ctx *c, const char **p)
{
	static const struct {
		const char *name;
		enum eng_cue_ftype type;
	} types[] = {
		{"BINARY", ENG_CUE_BINARY}, {"MOTOROLA", ENG_CUE_MOTOROLA}, {"WAVE", ENG_CUE_WAVE},
		{"AIFF", ENG_CUE_AIFF},	    {"MP3", ENG_CUE_WAVE}, /* libsndfile >= 1.1 reads MP3 */
	};
	char path[PATH_MAX], type[32];
	struct eng_cue_file *f;
	int r;

	if ((r = need_token(c, p, path, sizeof(path), "file name")) < 0 ||
	    (r = need_token(c, p, type, sizeof(type), "file type")) < 0 || (r = no_more(c, p)) < 0)
		return r;
	if (!*path)
		return cue_err(c, -EINVAL, "empty file name");
	if (c->s->nfiles >= CUE_MAX_FILES)
		return cue_err(c, -EINVAL, "more than %d FILE lines", CUE_MAX_FILES);
	for (size_t i = 0; i < BFS_ARRAY_SIZE(types); i++) {
		if (strcasecmp(type, types[i].name))
			continue;
		f = &c->s->files[c->s->nfiles];
		f->path = strdup(path);
		if (!f->path)
			return -ENOMEM;
		f->type = types[i].type;
		c->s->nfiles++;
		c->have_file = true;
		return 0;
	}
	return cue_err(c, -EINVAL, "unknown file type '%s' (BINARY, MOTOROLA, WAVE, AIFF, MP3)",
		       type);
}

static int cmd_track(struct cue_ctx *c, const char **p)
{
	struct eng_cue_sheet *s = c->s;
	struct eng_cue_track *prev = cur_track(s), *t;
	char num[8], mode[32];
	bool data = false;
	unsigned n;
	int r;

	if ((r = need_token(c, p, num, sizeof(num), "track number")) < 0 ||
	    (r = need_token(c, p, mode, sizeof(mode), "track mode")) < 0 || (r = no_more(c, p)) < 0)
		return r;
	if (!c->have_file)
		return cue_err(c, -EINVAL, "TRACK before any FILE");
	if (parse_uint(num, ENG_CD_MAX_TRACKS, &n) < 0 || n == 0)
		return cue_err(c, -EINVAL, "track number '%s' is not 1-99", num);
	if (prev && n != prev->number + 1)
		return cue_err(c, -EINVAL, "track %02u follows track %02u (tracks are consecutive)",
			       n, prev->number);
	if (prev && !has_start(prev))
		return cue_err(c, -EINVAL, "track %02u has no INDEX 01", prev->number);
	/* a mixed-mode CD: a Mode 1 data track first, then audio (the planner checks its file) */
	if (!prev && n == 1 && !strcasecmp(mode, "MODE1/2048"))
		data = true;
	else if (strcasecmp(mode, "AUDIO"))
		return cue_err(c, -EOPNOTSUPP,
			       "track %02u is '%s': only AUDIO tracks and a MODE1/2048 track 01 "
			       "(mixed mode) are burnt",
			       n, mode);
	if (s->ntracks >= ENG_CD_MAX_TRACKS)
		return cue_err(c, -EINVAL, "more than 99 tracks");
	t = &s->tracks[s->ntracks++];
	t->number = n;
	t->ctl = data ? ENG_CD_CTL_DATA : 0;
	return 0;
}

/* Is the index point at (file, off) after the point before it, where both are in one file? */
static const struct eng_cue_index *last_index(const struct eng_cue_sheet *s)
{
	for (size_t i = s->ntracks; i-- > 0;)
		if (s->tracks[i].nindex)
			return &s->tracks[i].index[s->tracks[i].nindex - 1];
	return NULL;
}

static int cmd_index(struct cue_ctx *c, const char **p)
{
	struct eng_cue_track *t = cur_track(c->s);
	const struct eng_cue_index *before = last_index(c->s);
	char num[8], msf[32];
	unsigned n, file = (unsigned)c->s->nfiles - 1;
	uint32_t off;
	int r;

	if ((r = need_token(c, p, num, sizeof(num), "index number")) < 0 ||
	    (r = need_token(c, p, msf, sizeof(msf), "index time")) < 0 || (r = no_more(c, p)) < 0)
		return r;
	if (!t)
		return cue_err(c, -EINVAL, "INDEX before any TRACK");
	if (parse_uint(num, ENG_CD_MAX_INDEX, &n) < 0)
		return cue_err(c, -EINVAL, "index number '%s' is not 0-99", num);
	if ((r = parse_msf(c, msf, &off)) < 0)
		return r;
	if (t->nindex == 0 && n > 1)
		return cue_err(c, -EINVAL, "track %02u starts with INDEX %02u (00 or 01 first)",
			       t->number, n);
	if (t->nindex && n != t->index[t->nindex - 1].number + 1)
		return cue_err(c, -EINVAL, "track %02u: INDEX %02u follows INDEX %02u", t->number,
			       n, t->index[t->nindex - 1].number);
	if (before && before->file == file && off <= before->offset)
		return cue_err(c, -EINVAL,
			       "track %02u INDEX %02u at %s is not after the index before it",
			       t->number, n, msf);
	t->index[t->nindex++] = (struct eng_cue_index){.number = n, .file = file, .offset = off};
	return 0;
}

static int cmd_gap(struct cue_ctx *c, const char **p, bool post)
{
	struct eng_cue_track *t = cur_track(c->s);
	char msf[32];
	uint32_t v;
	int r;

	if ((r = need_token(c, p, msf, sizeof(msf), "gap length")) < 0 || (r = no_more(c, p)) < 0 ||
	    (r = parse_msf(c, msf, &v)) < 0)
		return r;
	if (!t)
		return cue_err(c, -EINVAL, "%s before any TRACK", post ? "POSTGAP" : "PREGAP");
	if (post != (t->nindex > 0))
		return cue_err(c, -EINVAL,
			       post ? "POSTGAP before the track's INDEX lines"
				    : "PREGAP after the track's INDEX lines");
	if (post)
		t->postgap = v;
	else
		t->pregap = v;
	return 0;
}

static int cmd_flags(struct cue_ctx *c, const char **p)
{
	struct eng_cue_track *t = cur_track(c->s);
	char f[32];
	int r;

	if (!t || t->nindex)
		return cue_err(c, -EINVAL, "FLAGS belongs after TRACK, before its INDEX lines");
	while ((r = next_token(c, p, f, sizeof(f))) > 0) {
		if (!strcasecmp(f, "DCP"))
			t->ctl |= ENG_CD_CTL_COPY;
		else if (!strcasecmp(f, "4CH"))
			t->ctl |= ENG_CD_CTL_4CH;
		else if (!strcasecmp(f, "PRE"))
			t->ctl |= ENG_CD_CTL_PRE;
		else if (strcasecmp(f, "SCMS")) /* serial copy management: the drive's business */
			return cue_err(c, -EINVAL, "unknown flag '%s' (DCP, 4CH, PRE, SCMS)", f);
	}
	return r;
}

/* CCOOOYYSSSSS: country and owner letters or digits, year and serial digits */
bool eng_isrc_valid(const char *s)
{
	if (strlen(s) != 12)
		return false;
	for (int i = 0; i < 12; i++)
		if (!(isdigit((unsigned char)s[i]) || (i < 5 && isupper((unsigned char)s[i]))))
			return false;
	return true;
}

bool eng_mcn_valid(const char *s)
{
	return strlen(s) == 13 && strspn(s, "0123456789") == 13;
}

static int cmd_code(struct cue_ctx *c, const char **p, bool isrc)
{
	struct eng_cue_track *t = cur_track(c->s);
	char v[32];
	int r;

	if ((r = need_token(c, p, v, sizeof(v), isrc ? "ISRC" : "catalog number")) < 0 ||
	    (r = no_more(c, p)) < 0)
		return r;
	if (isrc) {
		if (!t)
			return cue_err(c, -EINVAL, "ISRC before any TRACK");
		if (!eng_isrc_valid(v))
			return cue_err(c, -EINVAL, "ISRC '%s' is not CCOOOYYSSSSS", v);
		memcpy(t->isrc, v, 13);
		return 0;
	}
	if (!eng_mcn_valid(v))
		return cue_err(c, -EINVAL, "CATALOG '%s' is not 13 digits", v);
	memcpy(c->s->catalog, v, 14);
	return 0;
}

/*
 * TITLE "x": quoted as CDRWIN says; some taggers write the words bare (TITLE My Song), which
 * is taken as the rest of the line, trailing blanks dropped.
 */
static int cmd_text(struct cue_ctx *c, const char **p, enum eng_cdtext_kind k, const char *cmd)
{
	struct eng_cue_track *t = cur_track(c->s);
	char v[CUE_MAX_TEXT];
	char **dst = t ? &t->text[k] : &c->s->text[k];
	const char *q = *p + strspn(*p, " \t");
	size_t n = strlen(q);
	int r;

	if (*q && *q != '"') {
		while (n && (q[n - 1] == ' ' || q[n - 1] == '\t'))
			n--;
		if (n >= sizeof(v))
			return cue_err(c, -EINVAL, "string longer than %zu bytes", sizeof(v) - 1);
		memcpy(v, q, n);
		v[n] = '\0';
	} else if ((r = need_token(c, p, v, sizeof(v), cmd)) < 0 || (r = no_more(c, p)) < 0) {
		return r;
	}
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static int parse_line(struct cue_ctx *c, const char *line)
{
	char cmd[32];
	const char *p = line;
	int r = next_token(c, &p, cmd, sizeof(cmd));

	if (r <= 0)
		return r == 0 ? 0 : cue_err(c, -EINVAL, "unknown command");
	if (!strcasecmp(cmd, "REM"))
		return 0;
	if (!strcasecmp(cmd, "FILE"))
		return cmd_file(c, &p);
	if (!strcasecmp(cmd, "TRACK"))
		return cmd_track(c, &p);
	if (!strcasecmp(cmd, "INDEX"))
		return cmd_index(c, &p);
	if (!strcasecmp(cmd, "PREGAP") || !strcasecmp(cmd, "POSTGAP"))
		return cmd_gap(c, &p, toupper((unsigned char)cmd[1]) == 'O');
	if (!strcasecmp(cmd, "FLAGS"))
		return cmd_flags(c, &p);
	if (!strcasecmp(cmd, "ISRC") || !strcasecmp(cmd, "CATALOG"))
		return cmd_code(c, &p, toupper((unsigned char)cmd[0]) == 'I');
	if (!strcasecmp(cmd, "TITLE"))
		return cmd_text(c, &p, ENG_CDTEXT_TITLE, cmd);
	if (!strcasecmp(cmd, "PERFORMER"))
		return cmd_text(c, &p, ENG_CDTEXT_PERFORMER, cmd);
	if (!strcasecmp(cmd, "SONGWRITER"))
		return cmd_text(c, &p, ENG_CDTEXT_SONGWRITER, cmd);
	if (!strcasecmp(cmd, "CDTEXTFILE")) {
		bfs_diag_warn(c->diag, "%s:%u: CDTEXTFILE is not read, ignoring", c->name, c->line);
		return 0;
	}
	return cue_err(c, -EINVAL, "unknown command '%s'", cmd);
}

struct eng_cue_sheet *eng_cue_free(struct eng_cue_sheet *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->nfiles; i++)
		free(s->files[i].path);
	for (size_t i = 0; i < s->ntracks; i++)
		for (int k = 0; k < ENG_CDTEXT_NKINDS; k++)
			free(s->tracks[i].text[k]);
	for (int k = 0; k < ENG_CDTEXT_NKINDS; k++)
		free(s->text[k]);
	free(s->files);
	free(s->tracks);
	free(s);
	return NULL;
}

static int sheet_new(struct eng_cue_sheet **ret)
{
	_cleanup_(eng_cue_freep) struct eng_cue_sheet *s = bfs_new(struct eng_cue_sheet, 1);

	if (!s)
		return -ENOMEM;
	s->files = bfs_new(struct eng_cue_file, CUE_MAX_FILES);
	s->tracks = bfs_new(struct eng_cue_track, ENG_CD_MAX_TRACKS);
	if (!s->files || !s->tracks)
		return -ENOMEM;
	*ret = TAKE_PTR(s);
	return 0;
}

/* Split into lines (LF, CRLF or CR), skipping a UTF-8 byte order mark. */
static int parse_lines(struct cue_ctx *c, const char *text, size_t len)
{
	char line[CUE_MAX_LINE];
	size_t i = 0;

	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len) {
		size_t n = 0;
		int r;

		c->line++;
		while (i < len && text[i] != '\n' && text[i] != '\r') {
			if (text[i] == '\0')
				return cue_err(c, -EINVAL, "NUL byte: not a text file");
			if (n + 1 >= sizeof(line))
				return cue_err(c, -EINVAL, "line longer than %d bytes",
					       CUE_MAX_LINE);
			line[n++] = text[i++];
		}
		line[n] = '\0';
		if (i < len && text[i] == '\r')
			i++;
		if (i < len && text[i] == '\n')
			i++;
		if ((r = parse_line(c, line)) < 0)
			return r;
	}
	return 0;
}

int eng_cue_parse(const char *text, size_t len, const char *name, struct eng_cue_sheet **ret,
		  struct bfs_diag *diag)
{
	_cleanup_(eng_cue_freep) struct eng_cue_sheet *s = NULL;
	struct cue_ctx c = {.name = name ? name : "cue sheet", .diag = diag};
	int r;

	if (len > CUE_MAX_BYTES)
		return bfs_diag_set(diag, -EINVAL, "%s: larger than %u bytes: not a CUE sheet",
				    c.name, CUE_MAX_BYTES);
	if ((r = sheet_new(&s)) < 0)
		return r;
	c.s = s;
	if ((r = parse_lines(&c, text, len)) < 0)
		return r;
	if (!s->ntracks)
		return bfs_diag_set(diag, -EINVAL, "%s: no TRACK", c.name);
	if (!has_start(&s->tracks[s->ntracks - 1]))
		return bfs_diag_set(diag, -EINVAL, "%s: track %02u has no INDEX 01", c.name,
				    s->tracks[s->ntracks - 1].number);
	*ret = TAKE_PTR(s);
	return 0;
}

/* FILE names relative to the sheet's directory, as rippers write them */
static int resolve_paths(struct eng_cue_sheet *s, const char *cue_path)
{
	const char *slash = strrchr(cue_path, '/');

	if (!slash)
		return 0;
	for (size_t i = 0; i < s->nfiles; i++) {
		char *p;

		if (s->files[i].path[0] == '/')
			continue;
		if (asprintf(&p, "%.*s/%s", (int)(slash - cue_path), cue_path, s->files[i].path) <
		    0)
			return -ENOMEM;
		free(s->files[i].path);
		s->files[i].path = p;
	}
	return 0;
}

int eng_cue_load(const char *path, struct eng_cue_sheet **ret, struct bfs_diag *diag)
{
	_cleanup_(eng_cue_freep) struct eng_cue_sheet *s = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t n = 0;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0)
		return bfs_diag_set(diag, -errno, "'%s': %m", path);
	if ((uint64_t)st.st_size > CUE_MAX_BYTES)
		return bfs_diag_set(diag, -EINVAL, "'%s': larger than %u bytes: not a CUE sheet",
				    path, CUE_MAX_BYTES);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (n < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);

		if (k <= 0)
			return bfs_diag_set(diag, k < 0 ? -errno : -EIO, "'%s': read failed", path);
		n += (size_t)k;
	}
	if ((r = eng_cue_parse(buf, n, path, &s, diag)) < 0 || (r = resolve_paths(s, path)) < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

static enum eng_cue_ftype type_of_name(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot &&
	    (!strcasecmp(dot, ".bin") || !strcasecmp(dot, ".raw") || !strcasecmp(dot, ".pcm")))
		return ENG_CUE_BINARY;
	if (dot && !strcasecmp(dot, ".cdr"))
		return ENG_CUE_MOTOROLA;
	return ENG_CUE_WAVE;
}

int eng_cue_of_files(const char *const *paths, size_t n, uint32_t pregap,
		     struct eng_cue_sheet **ret, struct bfs_diag *diag)
{
	_cleanup_(eng_cue_freep) struct eng_cue_sheet *s = NULL;
	int r;

	if (n == 0 || n > ENG_CD_MAX_TRACKS)
		return bfs_diag_set(diag, -EINVAL, "%zu tracks: a disc holds 1-99", n);
	if ((r = sheet_new(&s)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct eng_cue_track *t = &s->tracks[i];

		s->files[i] = (struct eng_cue_file){.path = strdup(paths[i]),
						    .type = type_of_name(paths[i])};
		if (!s->files[i].path)
			return -ENOMEM;
		s->nfiles++;
		t->number = (unsigned)i + 1;
		t->pregap = i ? pregap : 0;
		t->nindex = 1;
		t->index[0] = (struct eng_cue_index){.number = 1, .file = (unsigned)i};
		s->ntracks++;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

int eng_cue_add_data(struct eng_cue_sheet *s, const char *iso_path, struct bfs_diag *diag)
{
	char *path;

	if ((s->ntracks && (s->tracks[0].ctl & ENG_CD_CTL_DATA)) ||
	    s->ntracks >= ENG_CD_MAX_TRACKS || s->nfiles >= CUE_MAX_FILES)
		return bfs_diag_set(
			diag, -EINVAL,
			"a data track needs track 1 and room for one more of 99 tracks");
	path = strdup(iso_path);
	if (!path)
		return -ENOMEM;
	memmove(s->files + 1, s->files, s->nfiles * sizeof(*s->files));
	s->files[0] = (struct eng_cue_file){.path = path, .type = ENG_CUE_BINARY};
	s->nfiles++;
	memmove(s->tracks + 1, s->tracks, s->ntracks * sizeof(*s->tracks));
	s->tracks[0] = (struct eng_cue_track){.number = 1, .ctl = ENG_CD_CTL_DATA, .nindex = 1};
	s->tracks[0].index[0] = (struct eng_cue_index){.number = 1, .file = 0};
	s->ntracks++;
	for (size_t i = 1; i < s->ntracks; i++) {
		s->tracks[i].number++;
		for (unsigned k = 0; k < s->tracks[i].nindex; k++)
			s->tracks[i].index[k].file++;
	}
	/* the planner pads it to 2 s; a longer --pregap stays as it is */
	return 0;
}
