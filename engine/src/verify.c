/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Verification of a written session. See engine/verify.h.
 *
 * Both checks walk the disc's tree once (iteratively bounded: depth 64, 10 million
 * entries) and read each file once; the manifest is held as a hash table of its entries.
 */
#include "engine/verify.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/charset.h"
#include "iso9660/reader.h"

#define MANIFEST_PATH	 "/.burnfs/SHA256SUMS"
#define MANIFEST_MAX	 (256u << 20)
#define MANIFEST_LINES	 10000000u
#define MANIFEST_LINE	 65536u
#define WALK_DEPTH_MAX	 64u
#define WALK_ENTRIES_MAX 10000000u
#define CHUNK		 (1u << 20)

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int eng_manifest_parse(const uint8_t *buf, size_t len, eng_manifest_fn fn, void *userdata,
		       struct bfs_diag *diag)
{
	size_t pos = 0;
	unsigned long line = 0;
	char *name = malloc(MANIFEST_LINE + 1);
	int r = 0;

	if (!name)
		return -ENOMEM;
	while (pos < len && r == 0) {
		const uint8_t *eol = memchr(buf + pos, '\n', len - pos);
		size_t l = eol ? (size_t)(eol - (buf + pos)) : len - pos;
		const uint8_t *p = buf + pos;
		uint8_t sha[32];
		bool esc = false;
		size_t o = 0, i;

		line++;
		pos += l + (eol ? 1 : 0);
		if (line > MANIFEST_LINES || l > MANIFEST_LINE) {
			r = BFS_CORRUPT(diag, "manifest line %lu: too many lines or too long",
					line);
			break;
		}
		if (l == 0 || p[0] == '#')
			continue; /* a comment: a chunk's padding (engine/manifest.h), as sha256sum */
		if (p[0] == '\\')
			esc = true, p++, l--;
		if (l < 64 + 2 + 1 || p[64] != ' ' || (p[65] != ' ' && p[65] != '*')) {
			r = BFS_CORRUPT(diag, "manifest line %lu: not \"HASH  NAME\"", line);
			break;
		}
		for (i = 0; i < 32; i++) {
			int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);

			if (hi < 0 || lo < 0)
				break;
			sha[i] = (uint8_t)(hi << 4 | lo);
		}
		if (i < 32) {
			r = BFS_CORRUPT(diag, "manifest line %lu: the hash is not 64 hex digits",
					line);
			break;
		}
		for (i = 66; i < l; i++) {
			if (esc && p[i] == '\\') {
				if (i + 1 >= l || (p[i + 1] != '\\' && p[i + 1] != 'n')) {
					r = BFS_CORRUPT(diag, "manifest line %lu: bad escape",
							line);
					break;
				}
				name[o++] = p[i + 1] == 'n' ? '\n' : '\\';
				i++;
			} else {
				if (p[i] == '\0') {
					r = BFS_CORRUPT(diag, "manifest line %lu: NUL in the name",
							line);
					break;
				}
				name[o++] = (char)p[i];
			}
		}
		if (r < 0)
			break;
		name[o] = '\0';
		r = fn(sha, name, userdata);
	}
	free(name);
	return r;
}

/* ---- the disc side ------------------------------------------------------------------- */

struct disc {
	struct iso9660_reader *r;
	struct bfs_diag *diag;
	eng_problem_fn fn;
	void *fn_userdata;
	struct eng_verify_result *res;
	uint8_t *buf;
	EVP_MD_CTX *md;
};

static void problem(struct disc *d, const char *path, const char *fmt, ...) BFS_PRINTF(3, 4);
static void problem(struct disc *d, const char *path, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (d->fn)
		d->fn(path, what, d->fn_userdata);
}

static int disc_open(struct disc *d, eng_read_fn read, void *userdata, uint64_t session_start)
{
	struct iso9660_reader_opts o = {.session_start = session_start};
	int r;

	d->buf = malloc(CHUNK);
	d->md = EVP_MD_CTX_new();
	if (!d->buf || !d->md)
		return -ENOMEM;
	r = iso9660_reader_open((iso9660_read_fn)read, userdata, &o, d->diag, &d->r);
	return r;
}

static void disc_close(struct disc *d)
{
	iso9660_reader_free(d->r);
	free(d->buf);
	EVP_MD_CTX_free(d->md);
}

static int disc_sha(struct disc *d, const struct iso9660_entry *e, const char *path,
		    uint8_t out[32])
{
	uint64_t off = 0;

	if (!EVP_DigestInit_ex(d->md, EVP_sha256(), NULL))
		return -ENOMEM;
	while (off < e->size) {
		int64_t n = iso9660_reader_pread(d->r, e, off, d->buf, CHUNK);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return bfs_diag_set(d->diag, -EIO,
					    "'%s': data ends after %llu of %llu bytes", path,
					    (unsigned long long)off, (unsigned long long)e->size);
		(void)EVP_DigestUpdate(d->md, d->buf, (size_t)n);
		off += (uint64_t)n;
		d->res->bytes += (uint64_t)n;
	}
	(void)EVP_DigestFinal_ex(d->md, out, NULL);
	return 0;
}

/* Depth-first walk of the disc, calling visit(d, entry, path) for every entry. */
typedef int (*walk_fn)(struct disc *d, const struct iso9660_entry *e, const char *path,
		       void *userdata);

struct walk {
	struct disc *d;
	walk_fn fn;
	void *userdata;
	char path[8192];
	size_t plen;
	unsigned depth;
	unsigned long entries;
};

static int walk_visit(const struct iso9660_entry *e, void *userdata)
{
	struct walk *w = userdata;
	size_t old = w->plen;
	int r;

	if (++w->entries > WALK_ENTRIES_MAX)
		return bfs_diag_set(w->d->diag, -E2BIG, "more than %u entries on the disc",
				    WALK_ENTRIES_MAX);
	if (w->plen + 1 + e->name_len >= sizeof(w->path))
		return bfs_diag_set(w->d->diag, -ENAMETOOLONG, "'%s': path too long", w->path);
	w->path[w->plen] = '/';
	memcpy(w->path + w->plen + 1, e->name, e->name_len);
	w->plen += 1 + e->name_len;
	w->path[w->plen] = '\0';
	r = w->fn(w->d, e, w->path, w->userdata);
	if (r == 0 && e->type == BFS_NODE_DIR) {
		if (w->depth >= WALK_DEPTH_MAX) {
			r = BFS_CORRUPT(w->d->diag, "'%s': deeper than %u levels", w->path,
					WALK_DEPTH_MAX);
		} else {
			w->depth++;
			r = iso9660_reader_readdir(w->d->r, e, walk_visit, w);
			w->depth--;
		}
	}
	w->plen = old;
	w->path[old] = '\0';
	return r;
}

static int disc_walk(struct disc *d, walk_fn fn, void *userdata)
{
	struct walk w = {.d = d, .fn = fn, .userdata = userdata};
	struct iso9660_entry root;
	int r = iso9660_reader_root(d->r, &root);

	if (r < 0)
		return r;
	r = iso9660_reader_readdir(d->r, &root, walk_visit, &w);
	iso9660_entry_done(&root);
	return r;
}

/* ---- against the manifest ------------------------------------------------------------- */

struct mentry {
	char *name; /* without the leading '/' */
	uint8_t sha[32];
	bool seen;
};

struct manifest {
	struct mentry *v;
	size_t n, cap;
	size_t *index; /* open addressing over v, SIZE_MAX = empty */
	size_t icap;
};

static int manifest_add(const uint8_t sha[32], const char *name, void *userdata)
{
	struct manifest *m = userdata;

	if (BFS_GROW(m->v, m->cap, m->n + 1) < 0)
		return -ENOMEM;
	m->v[m->n].name = strdup(name);
	if (!m->v[m->n].name)
		return -ENOMEM;
	memcpy(m->v[m->n].sha, sha, 32);
	m->v[m->n].seen = false;
	m->n++;
	return 0;
}

static size_t *manifest_slot(const struct manifest *m, const char *name)
{
	size_t i = (size_t)XXH3_64bits(name, strlen(name)) & (m->icap - 1);

	while (m->index[i] != SIZE_MAX && strcmp(m->v[m->index[i]].name, name) != 0)
		i = (i + 1) & (m->icap - 1);
	return &m->index[i];
}

static int manifest_index(struct manifest *m)
{
	m->icap = 16;
	while (m->icap < m->n * 2)
		m->icap *= 2;
	m->index = malloc(m->icap * sizeof(*m->index));
	if (!m->index)
		return -ENOMEM;
	memset(m->index, 0xff, m->icap * sizeof(*m->index));
	for (size_t i = 0; i < m->n; i++) {
		size_t *s = manifest_slot(m, m->v[i].name);

		if (*s == SIZE_MAX)
			*s = i;
	}
	return 0;
}

static void manifest_done(struct manifest *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	free(m->index);
}

static int check_listed(struct disc *d, const struct iso9660_entry *e, const char *path,
			void *userdata)
{
	struct manifest *m = userdata;
	size_t *s;
	uint8_t sha[32];
	int r;

	if (e->type != BFS_NODE_FILE || strcmp(path, MANIFEST_PATH) == 0)
		return 0;
	s = manifest_slot(m, path + 1);
	if (*s == SIZE_MAX)
		return 0; /* not this session's: an older session's file, or not listed */
	m->v[*s].seen = true;
	r = disc_sha(d, e, path, sha);
	if (r == -EIO || r == -BFS_EFSCORRUPTED || r == -EOPNOTSUPP) {
		problem(d, path, "cannot be read: %s", bfs_diag_msg(d->diag, r));
		bfs_diag_clear(d->diag);
		d->res->files_bad++;
		return 0;
	}
	if (r < 0)
		return r;
	if (memcmp(sha, m->v[*s].sha, 32) != 0) {
		problem(d, path, "content differs from the manifest (SHA-256)");
		d->res->files_bad++;
	} else {
		d->res->files_ok++;
	}
	return 0;
}

int eng_verify_manifest(eng_read_fn read, void *userdata, uint64_t session_start, eng_problem_fn fn,
			void *fn_userdata, struct eng_verify_result *ret, struct bfs_diag *diag)
{
	struct eng_verify_result res = {0};
	struct disc d = {.diag = diag, .fn = fn, .fn_userdata = fn_userdata, .res = &res};
	struct manifest m = {0};
	struct iso9660_entry me = {0};
	uint8_t *text = NULL;
	uint64_t off = 0;
	int r;

	r = disc_open(&d, read, userdata, session_start);
	if (r < 0)
		goto out;
	r = iso9660_reader_lookup(d.r, MANIFEST_PATH, &me);
	if (r == -ENOENT) {
		bfs_diag_clear(diag);
		r = bfs_diag_set(diag, -ENOENT, "the session at block %llu has no manifest (%s)",
				 (unsigned long long)session_start, MANIFEST_PATH);
		goto out;
	}
	if (r < 0)
		goto out;
	/* ours ends in a block of the session (the trailer, engine/manifest.h) */
	if (me.nextents && me.ext[me.nextents - 1].lba < session_start) {
		/*
		 * xorriso and growisofs -M carry an earlier session's /.burnfs over unchanged,
		 * even when they replace files it lists: it describes that session, not this one
		 */
		r = bfs_diag_set(diag, -ENOENT,
				 "the session at block %llu has no manifest of its own (%s lies at "
				 "block %llu, in an earlier session, carried over by the program "
				 "that wrote this one)",
				 (unsigned long long)session_start, MANIFEST_PATH,
				 (unsigned long long)me.ext[me.nextents - 1].lba);
		goto out;
	}
	if (me.type != BFS_NODE_FILE || me.size > MANIFEST_MAX) {
		r = BFS_CORRUPT(diag, "%s: not a file, or larger than %u MiB", MANIFEST_PATH,
				MANIFEST_MAX >> 20);
		goto out;
	}
	text = malloc(me.size ? me.size : 1);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	while (off < me.size) {
		int64_t n =
			iso9660_reader_pread(d.r, &me, off, text + off, (size_t)(me.size - off));

		if (n <= 0) {
			r = n < 0 ? (int)n
				  : BFS_CORRUPT(diag, "%s: shorter than its size", MANIFEST_PATH);
			goto out;
		}
		off += (uint64_t)n;
	}
	r = eng_manifest_parse(text, me.size, manifest_add, &m, diag);
	if (r == 0)
		r = manifest_index(&m);
	if (r == 0)
		r = disc_walk(&d, check_listed, &m);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < m.n; i++) {
		if (!m.v[i].seen && *manifest_slot(&m, m.v[i].name) == i) {
			char p[8192];

			snprintf(p, sizeof(p), "/%s", m.v[i].name);
			problem(&d, p, "listed in the manifest, not on the disc");
			res.files_missing++;
		}
	}
	r = res.files_bad || res.files_missing ? -EBADMSG : 0;
out:
	iso9660_entry_done(&me);
	free(text);
	manifest_done(&m);
	disc_close(&d);
	if (ret)
		*ret = res;
	return r;
}

/* ---- against a source tree ------------------------------------------------------------ */

struct tree_ctx {
	const char *src;
	struct bfs_strset seen; /* disc paths */
	uint8_t *sbuf;
};

static int file_sha(const char *path, uint8_t *buf, EVP_MD_CTX *md, uint8_t out[32])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		close(fd);
		return -ENOMEM;
	}
	while ((n = read(fd, buf, CHUNK)) > 0)
		(void)EVP_DigestUpdate(md, buf, (size_t)n);
	close(fd);
	if (n < 0)
		return -errno;
	(void)EVP_DigestFinal_ex(md, out, NULL);
	return 0;
}

static int check_against(struct disc *d, const struct iso9660_entry *e, const char *path,
			 void *userdata)
{
	struct tree_ctx *t = userdata;
	char sp[8192 + PATH_MAX];
	struct stat st;
	int r;

	if (strcmp(path, "/.burnfs") == 0 || strncmp(path, "/.burnfs/", 9) == 0)
		return 0;
	r = bfs_strset_add(&t->seen, path, strlen(path));
	if (r < 0)
		return r;
	snprintf(sp, sizeof(sp), "%s%s", t->src, path);
	if (lstat(sp, &st) < 0) {
		problem(d, path, "on the disc, not in the source");
		d->res->files_extra++;
		return 0;
	}
	if (e->type == BFS_NODE_DIR) {
		if (!S_ISDIR(st.st_mode)) {
			problem(d, path, "a directory on the disc, not in the source");
			d->res->files_bad++;
		}
		return 0;
	}
	if (e->type == BFS_NODE_SYMLINK) {
		char target[PATH_MAX];
		ssize_t l = S_ISLNK(st.st_mode) ? readlink(sp, target, sizeof(target) - 1) : -1;

		if (l < 0 || !e->target || (size_t)l != strlen(e->target) ||
		    memcmp(target, e->target, (size_t)l) != 0) {
			problem(d, path, "symlink target differs");
			d->res->files_bad++;
		} else {
			d->res->files_ok++;
		}
		return 0;
	}
	if (e->type != BFS_NODE_FILE)
		return 0;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size) {
		problem(d, path, "size differs: %llu bytes on the disc, %llu in the source",
			(unsigned long long)e->size, (unsigned long long)st.st_size);
		d->res->files_bad++;
		return 0;
	}
	{
		uint8_t a[32], b[32];

		r = disc_sha(d, e, path, a);
		if (r == -EIO || r == -BFS_EFSCORRUPTED || r == -EOPNOTSUPP) {
			problem(d, path, "cannot be read: %s", bfs_diag_msg(d->diag, r));
			bfs_diag_clear(d->diag);
			d->res->files_bad++;
			return 0;
		}
		if (r < 0)
			return r;
		r = file_sha(sp, t->sbuf, d->md, b);
		if (r < 0)
			return bfs_diag_set(d->diag, r, "'%s': %s", sp, strerror(-r));
		if (memcmp(a, b, 32) != 0) {
			problem(d, path, "content differs from the source");
			d->res->files_bad++;
		} else {
			d->res->files_ok++;
		}
	}
	return 0;
}

/* Files of the source that the disc does not have (iterative walk). */
static int find_missing(struct disc *d, struct tree_ctx *t)
{
	struct pending {
		char *rel;
		unsigned depth;
	} *stack = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	if (BFS_GROW(stack, cap, 1) < 0)
		return -ENOMEM;
	stack[n++] = (struct pending){.rel = strdup("")};
	if (!stack[0].rel) {
		free(stack);
		return -ENOMEM;
	}
	while (n > 0) {
		struct pending p = stack[--n];
		char dp[8192 + PATH_MAX];
		DIR *dir;
		struct dirent *de;

		snprintf(dp, sizeof(dp), "%s%s", t->src, p.rel);
		dir = opendir(dp);
		if (!dir) {
			r = bfs_diag_set(d->diag, -errno, "'%s': %m", dp);
			free(p.rel);
			break;
		}
		while (r == 0 && (de = readdir(dir))) {
			char *rel;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (asprintf(&rel, "%s/%s", p.rel, de->d_name) < 0) {
				r = -ENOMEM;
				break;
			}
			if (!bfs_strset_contains(&t->seen, rel, strlen(rel))) {
				problem(d, rel, "in the source, not on the disc");
				d->res->files_missing++;
				free(rel);
			} else if (de->d_type == DT_DIR && p.depth < WALK_DEPTH_MAX) {
				if (BFS_GROW(stack, cap, n + 1) < 0) {
					free(rel);
					r = -ENOMEM;
					break;
				}
				stack[n++] = (struct pending){.rel = rel, .depth = p.depth + 1};
			} else {
				free(rel);
			}
		}
		closedir(dir);
		free(p.rel);
	}
	while (n > 0)
		free(stack[--n].rel);
	free(stack);
	return r;
}

int eng_verify_tree(eng_read_fn read, void *userdata, uint64_t session_start, const char *src,
		    eng_problem_fn fn, void *fn_userdata, struct eng_verify_result *ret,
		    struct bfs_diag *diag)
{
	struct eng_verify_result res = {0};
	struct disc d = {.diag = diag, .fn = fn, .fn_userdata = fn_userdata, .res = &res};
	struct tree_ctx t = {.src = src};
	struct stat st;
	int r;

	if (stat(src, &st) < 0 || !S_ISDIR(st.st_mode))
		return bfs_diag_set(diag, -ENOTDIR, "'%s': not a directory", src);
	t.sbuf = malloc(CHUNK);
	if (!t.sbuf)
		return -ENOMEM;
	r = disc_open(&d, read, userdata, session_start);
	if (r == 0)
		r = disc_walk(&d, check_against, &t);
	if (r == 0)
		r = find_missing(&d, &t);
	if (r == 0)
		r = res.files_bad || res.files_missing || res.files_extra ? -EBADMSG : 0;
	bfs_strset_done(&t.seen);
	free(t.sbuf);
	disc_close(&d);
	if (ret)
		*ret = res;
	return r;
}
