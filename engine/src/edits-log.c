/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The log that keeps the staging mount's edits (engine/edits.h): a text file of one line per
 * change, fields separated by tabs, paths escaped so that any byte but NUL fits:
 *
 *	burnfs-edits 1 <TAB> disc identity        the first line
 *	D disc path                               eng_edits_delete
 *	R from to disc                            eng_edits_rename (disc "\-" for none)
 *	L disc path                               eng_edits_link
 *	A disc mask mode uid gid msec mnsec asec ansec   eng_edits_set_attr
 *	x disc | m disc target | l disc target    a record as it is (the compact log)
 *
 * Escapes: "\\" a backslash, "\t" a tab, "\n" a newline, "\xHH" any other byte below 0x20
 * and 0x7f. Loading replays the lines through the model (edits.c); a last line without its
 * newline was torn by a crash and is cut off. The log is written compactly again (its
 * records as they are) when it holds more than 4 lines per live record, and at least
 * COMPACT_MIN lines: a temporary file, fsync, rename over the log, fsync of the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "edits-internal.h"

#define MAGIC	    "burnfs-edits 1"
#define COMPACT_MIN 64u	       /* lines before a log is worth compacting */
#define FIELDS_MAX  10u	       /* the most an A line has */
#define LOG_MAX	    (1u << 30) /* a log longer than this is not ours */

/* ---- lines --------------------------------------------------------------------------------- */

struct buf {
	char *p;
	size_t n, cap;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
	if (BFS_GROW(b->p, b->cap, b->n + n + 1) < 0)
		return -ENOMEM;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

/* A tab, then s escaped ("\-" for NULL). */
static int buf_field(struct buf *b, const char *s)
{
	int r = buf_put(b, "\t", 1);

	if (!s)
		return r < 0 ? r : buf_put(b, "\\-", 2);
	for (; r == 0 && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[5];

		if (c == '\\')
			r = buf_put(b, "\\\\", 2);
		else if (c == '\t')
			r = buf_put(b, "\\t", 2);
		else if (c == '\n')
			r = buf_put(b, "\\n", 2);
		else if (c < 0x20 || c == 0x7f)
			r = buf_put(b, esc, (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c));
		else
			r = buf_put(b, (const char *)&c, 1);
	}
	return r;
}

static int buf_attr(struct buf *b, const struct eng_attr *a)
{
	char t[200];
	int n = snprintf(t, sizeof(t),
			 "\t%u\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu32 "\t%" PRId64 "\t%" PRIu32
			 "\t%" PRId64 "\t%" PRIu32,
			 a->mask, a->mode, a->uid, a->gid, a->mtime.sec, a->mtime.nsec,
			 a->atime.sec, a->atime.nsec);

	return buf_put(b, t, (size_t)n);
}

/* One line: op, fields a, b, c (those given), attr; its newline. */
static int line_make(struct buf *b, char op, const char *a, const char *fb, const char *fc, int nf,
		     const struct eng_attr *attr)
{
	int r = buf_put(b, &op, 1);

	if (r == 0 && nf >= 1)
		r = buf_field(b, a);
	if (r == 0 && nf >= 2)
		r = buf_field(b, fb);
	if (r == 0 && nf >= 3)
		r = buf_field(b, fc);
	if (r == 0 && attr)
		r = buf_attr(b, attr);
	return r < 0 ? r : buf_put(b, "\n", 1);
}

/* Undo buf_field in place; *null for "\-". -EINVAL on a bad escape or a NUL. */
static int unescape(char *s, bool *null)
{
	char *o = s;

	*null = strcmp(s, "\\-") == 0;
	if (*null)
		return 0;
	for (; *s; s++) {
		unsigned v;

		if (*s != '\\') {
			*o++ = *s;
			continue;
		}
		s++;
		if (*s == '\\' || *s == 't' || *s == 'n') {
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : '\\';
		} else if (*s == 'x' && sscanf(s + 1, "%2x", &v) == 1 && v && s[1] && s[2] &&
			   strspn(s + 1, "0123456789abcdefABCDEF") >= 2) {
			*o++ = (char)v;
			s += 2;
		} else {
			return -EINVAL;
		}
	}
	*o = '\0';
	return 0;
}

static int num(const char *s, int64_t lo, int64_t hi, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int attr_parse(char **f, struct eng_attr *a)
{
	int64_t v[8];

	for (int i = 0; i < 8; i++) {
		bool sec = i == 4 || i == 6;

		if (num(f[i], sec ? INT64_MIN : 0,
			sec		   ? INT64_MAX
			: i == 5 || i == 7 ? 999999999
					   : UINT32_MAX,
			&v[i]) < 0)
			return -EINVAL;
	}
	*a = (struct eng_attr){.mask = (unsigned)v[0],
			       .mode = (uint32_t)v[1],
			       .uid = (uint32_t)v[2],
			       .gid = (uint32_t)v[3],
			       .mtime = {.sec = v[4], .nsec = (uint32_t)v[5]},
			       .atime = {.sec = v[6], .nsec = (uint32_t)v[7]}};
	return 0;
}

/* The fields of a line of kind op: as many as it has, paths as the calls checked them. */
static bool fields_ok(char op, char **f, const bool *null, size_t n)
{
	switch (op) {
	case 'D':
	case 'L':
	case 'm':
	case 'l':
		return n == 3 && edits_path_ok(f[1], false) && edits_path_ok(f[2], false);
	case 'R':
		return n == 4 && edits_path_ok(f[1], false) && edits_path_ok(f[2], false) &&
		       (null[3] || edits_path_ok(f[3], false)) && !edits_under(f[2], f[1]);
	case 'A':
		return n == 10 && edits_path_ok(f[1], true);
	case 'x':
		return n == 2 && edits_path_ok(f[1], false);
	}
	return false;
}

/* One line (without its newline) replayed: 0, -EINVAL when it does not parse, -ENOMEM. */
static int line_replay(struct eng_edits *e, char *line)
{
	char *f[FIELDS_MAX + 1];
	bool null[FIELDS_MAX + 1];
	size_t n = 0;
	struct eng_attr a;
	int r;

	for (char *p = line; n <= FIELDS_MAX; n++) {
		f[n] = p;
		p = strchr(p, '\t');
		if (!p) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n > FIELDS_MAX || strlen(f[0]) != 1)
		return -EINVAL;
	for (size_t i = 1; i < n; i++)
		if (unescape(f[i], &null[i]) < 0 || (null[i] && !(f[0][0] == 'R' && i == 3)))
			return -EINVAL;
	if (!fields_ok(f[0][0], f, null, n))
		return -EINVAL;
	switch (f[0][0]) {
	case 'D':
		r = edits_do_delete(e, f[1], f[2]);
		break;
	case 'R':
		r = edits_do_rename(e, f[1], f[2], null[3] ? NULL : f[3]);
		break;
	case 'L':
		r = edits_do_link(e, f[1], f[2]);
		break;
	case 'A':
		r = attr_parse(&f[2], &a) == 0 ? edits_do_attr(e, f[1], &a) : -EINVAL;
		break;
	case 'x':
		r = edits_do_set(e, 'x', f[1], NULL);
		break;
	default: /* 'm', 'l' */
		r = edits_do_set(e, f[0][0], f[1], f[2]);
	}
	return r == -ENOMEM ? r : r < 0 ? -EINVAL : 0;
}

/* ---- the file ---------------------------------------------------------------------------- */

static int header_make(struct buf *b, const char *id)
{
	int r = buf_put(b, MAGIC, strlen(MAGIC));

	if (r == 0)
		r = buf_field(b, id);
	return r < 0 ? r : buf_put(b, "\n", 1);
}

/* The records as they are, after the first line. */
static int compact_make(const struct eng_edits *e, struct buf *b)
{
	_cleanup_free_ struct edit_rec **v = NULL;
	int r = edits_sorted(e, &v);

	for (size_t i = 0; r == 0 && i < e->recs.n; i++) {
		const struct edit_rec *x = v[i];

		if (x->deleted)
			r = line_make(b, 'x', x->disc, NULL, NULL, 1, NULL);
		if (r == 0 && x->move)
			r = line_make(b, 'm', x->disc, x->move, NULL, 2, NULL);
		for (uint32_t k = 0; r == 0 && k < x->nlinks; k++)
			r = line_make(b, 'l', x->disc, x->links[k], NULL, 2, NULL);
		if (r == 0 && x->attr.mask)
			r = line_make(b, 'A', x->disc, NULL, NULL, 1, &x->attr);
	}
	return r;
}

static int log_fail(struct eng_edits *e, struct bfs_diag *diag, int r, const char *what)
{
	return bfs_diag_set(diag, r, "the staged changes' log '%s': %s: %s", e->name, what,
			    strerror(-r));
}

/*
 * The log written again from the records (a temporary file, fsync, rename, fsync of the
 * directory), then reopened for appending.
 */
static int compact(struct eng_edits *e, struct bfs_diag *diag)
{
	struct buf b = {0};
	_cleanup_free_ char *tmp = NULL;
	int fd, r;

	if (asprintf(&tmp, "%s.tmp", e->name) < 0)
		return -ENOMEM;
	r = header_make(&b, e->disc_id);
	if (r == 0)
		r = compact_make(e, &b);
	if (r < 0) {
		free(b.p);
		return r;
	}
	fd = openat(e->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	r = fd < 0 ? -errno : bfs_write_all(fd, b.p, b.n);
	free(b.p);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(e->dirfd, tmp, e->dirfd, e->name) < 0)
		r = -errno;
	if (r == 0 && fsync(e->dirfd) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(e->dirfd, tmp, 0);
		return log_fail(e, diag, r, "cannot write it again");
	}
	if (e->fd >= 0)
		close(e->fd);
	e->fd = openat(e->dirfd, e->name, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (e->fd < 0)
		return log_fail(e, diag, -errno, "cannot open it");
	e->lines = e->live;
	return 0;
}

static bool compact_due(const struct eng_edits *e)
{
	return e->lines >= COMPACT_MIN && e->lines > 4 * e->live;
}

int edits_writable(const struct eng_edits *e, struct bfs_diag *diag)
{
	if (e->foreign)
		return bfs_diag_set(diag, -EXDEV,
				    "the staged changes were made against another disc (%s): "
				    "they cannot change until that disc is back or they are "
				    "discarded",
				    e->disc_id);
	if (e->broken)
		return bfs_diag_set(diag, -EIO,
				    "the staged changes' log '%s' could not take a change: no "
				    "more are taken until it is discarded or opened again",
				    e->name);
	return 0;
}

int edits_log(struct eng_edits *e, struct bfs_diag *diag, char op, const char *a, const char *b,
	      const char *c, const struct eng_attr *attr)
{
	struct buf l = {0};
	int r;

	if (e->replaying || e->fd < 0)
		return 0;
	r = line_make(&l, op, a, b, c, op == 'R' ? 3 : op == 'A' ? 1 : 2, attr);
	if (r == 0)
		r = bfs_write_all(e->fd, l.p, l.n);
	free(l.p);
	if (r < 0) {
		e->broken = r != -ENOMEM; /* the model has the change, the log has not */
		return r == -ENOMEM ? r : log_fail(e, diag, r, "cannot append to it");
	}
	e->lines++;
	return compact_due(e) ? compact(e, diag) : 0;
}

/* ---- load -------------------------------------------------------------------------------- */

static int read_all(int fd, struct buf *b)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size > LOG_MAX)
		return -EFBIG;
	if (BFS_GROW(b->p, b->cap, (size_t)st.st_size + 1) < 0)
		return -ENOMEM;
	b->n = 0;
	while (b->n < (size_t)st.st_size) {
		ssize_t n = pread(fd, b->p + b->n, (size_t)st.st_size - b->n, (off_t)b->n);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		b->n += (size_t)n;
	}
	b->p[b->n] = '\0';
	return 0;
}

/* The first line: the identity into e, or -EINVAL. */
static int header_parse(struct eng_edits *e, char *line)
{
	char *id = strchr(line, '\t');
	bool null;

	if (!id || (size_t)(id - line) != strlen(MAGIC) || strncmp(line, MAGIC, strlen(MAGIC)))
		return -EINVAL;
	id++;
	if (unescape(id, &null) < 0 || null || strlen(id) >= sizeof(e->disc_id))
		return -EINVAL;
	strcpy(e->disc_id, id);
	return 0;
}

/*
 * Replay the log's lines; a torn last line (no newline) is cut off the file. *fresh when the
 * file held no whole first line (a new log).
 */
static int replay(struct eng_edits *e, struct bfs_diag *diag, bool *fresh)
{
	struct buf b = {0};
	size_t at = 0, lineno = 0;
	int r = read_all(e->fd, &b);

	*fresh = false;
	e->replaying = true;
	while (r == 0) {
		char *nl = b.p ? memchr(b.p + at, '\n', b.n - at) : NULL;

		if (!nl)
			break;
		*nl = '\0';
		lineno++;
		if (strlen(b.p + at) != (size_t)(nl - (b.p + at)))
			r = -EINVAL; /* a NUL byte */
		else if (lineno == 1)
			r = header_parse(e, b.p + at);
		else
			r = line_replay(e, b.p + at);
		if (r == -EINVAL)
			r = bfs_diag_set(diag, -EUCLEAN,
					 "the staged changes' log '%s': line %zu does not parse "
					 "(remedy: discard the staged changes)",
					 e->name, lineno);
		at = (size_t)(nl - b.p) + 1;
	}
	e->replaying = false;
	free(b.p);
	if (r == 0 && at < b.n && ftruncate(e->fd, (off_t)at) < 0) /* the torn line */
		r = log_fail(e, diag, -errno, "cannot cut its torn last line");
	e->lines = lineno ? lineno - 1 : 0;
	*fresh = lineno == 0;
	return r;
}

static struct eng_edits *edits_alloc(void)
{
	struct eng_edits *e = calloc(1, sizeof(*e));

	if (e)
		e->dirfd = e->fd = -1;
	return e;
}

int eng_edits_new(struct eng_edits **ret)
{
	*ret = edits_alloc();
	return *ret ? 0 : -ENOMEM;
}

static int dup_one(const char *kind, const char *disc, const char *target,
		   const struct eng_attr *attr, void *userdata)
{
	struct eng_edits *c = userdata;

	if (kind[0] == 'a')
		return edits_do_attr(c, disc, attr) < 0 ? -ENOMEM : 0;
	return edits_do_set(c, kind[0] == 'd' ? 'x' : kind[0] == 'm' ? 'm' : 'l', disc, target);
}

int eng_edits_dup(const struct eng_edits *e, struct eng_edits **ret)
{
	_cleanup_(eng_edits_freep) struct eng_edits *c = edits_alloc();
	int r;

	if (!c)
		return -ENOMEM;
	memcpy(c->disc_id, e->disc_id, sizeof(c->disc_id));
	r = eng_edits_foreach(e, dup_one, c);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

struct eng_edits *eng_edits_free(struct eng_edits *e)
{
	if (!e)
		return NULL;
	edits_clear(e);
	if (e->fd >= 0)
		close(e->fd);
	if (e->dirfd >= 0)
		close(e->dirfd);
	free(e->name);
	free(e);
	return NULL;
}

/* Which disc the loaded edits belong to: taken over when they are none, else refused. */
static int identity_check(struct eng_edits *e, const char *disc_id, bool fresh,
			  struct bfs_diag *diag)
{
	if (!fresh && strcmp(e->disc_id, disc_id) == 0)
		return e->lines > 4 * e->live && e->lines >= COMPACT_MIN ? compact(e, diag) : 0;
	if (fresh || !*e->disc_id || eng_edits_empty(e)) {
		snprintf(e->disc_id, sizeof(e->disc_id), "%s", disc_id);
		return compact(e, diag); /* the first line names the disc now */
	}
	e->foreign = true;
	return bfs_diag_set(diag, -EXDEV,
			    "the staged changes were made against another disc (%s); the disc "
			    "in the drive is %s (remedy: put that disc back, or discard the "
			    "staged changes)",
			    e->disc_id, *disc_id ? disc_id : "blank or unreadable");
}

int eng_edits_open(int dirfd, const char *name, const char *disc_id, struct bfs_diag *diag,
		   struct eng_edits **ret)
{
	_cleanup_(eng_edits_freep) struct eng_edits *e = edits_alloc();
	_cleanup_free_ char *tmp = NULL;
	bool fresh;
	int r;

	if (!e)
		return -ENOMEM;
	if (strlen(disc_id) >= ENG_DISC_ID_MAX)
		return bfs_diag_set(diag, -EINVAL, "disc identity too long");
	e->name = strdup(name);
	if (!e->name || asprintf(&tmp, "%s.tmp", name) < 0)
		return -ENOMEM;
	e->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (e->dirfd < 0)
		return bfs_diag_set(diag, -errno, "the staged changes' directory: %m");
	(void)unlinkat(e->dirfd, tmp, 0); /* a compaction a crash cut short */
	e->fd = openat(e->dirfd, name, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (e->fd < 0)
		return log_fail(e, diag, -errno, "cannot open it");
	r = replay(e, diag, &fresh);
	if (r == 0)
		r = identity_check(e, disc_id, fresh, diag);
	if (r == 0 || r == -EXDEV)
		*ret = TAKE_PTR(e);
	return r;
}

int eng_edits_sync(struct eng_edits *e, struct bfs_diag *diag)
{
	if (e->fd >= 0 && fsync(e->fd) < 0)
		return log_fail(e, diag, -errno, "cannot sync it");
	return 0;
}

int eng_edits_reset(struct eng_edits *e, const char *disc_id, struct bfs_diag *diag)
{
	int r;

	if (strlen(disc_id) >= ENG_DISC_ID_MAX)
		return bfs_diag_set(diag, -EINVAL, "disc identity too long");
	edits_clear(e);
	snprintf(e->disc_id, sizeof(e->disc_id), "%s", disc_id);
	e->foreign = false;
	if (e->dirfd < 0)
		return 0;
	r = compact(e, diag);
	e->broken = r < 0 && r != -ENOMEM;
	return r;
}
