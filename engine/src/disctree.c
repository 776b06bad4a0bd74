/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tree of one session, whichever file system holds it. See engine/disctree.h.
 */
#include "engine/disctree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "engine/sink.h"
#include "iso9660/layout.h"
#include "iso9660/reader.h"
#include "udf/reader.h"

#define BLOCK	   2048u
#define UDF_ANCHOR 256u /* ECMA-167 3/8.4.2.1 */
#define VRS_MAX	   16u	/* volume structure descriptors looked at for NSR02/NSR03 */

struct eng_disctree {
	enum eng_tree_fs fs;
	struct iso9660_reader *iso;
	struct udf_reader *udf; /* set when the tree is UDF's (then iso is NULL) */
	struct bfs_diag *diag;	/* the caller's, for every failure */
};

const char *eng_tree_fs_name(enum eng_tree_fs fs)
{
	switch (fs) {
	case ENG_TREE_UDF:
		return "udf";
	case ENG_TREE_ROCKRIDGE:
		return "rockridge";
	case ENG_TREE_JOLIET:
		return "joliet";
	case ENG_TREE_ISO9660:
		return "iso9660";
	case ENG_TREE_AUTO:
		break;
	}
	return "auto";
}

void eng_dnode_done(struct eng_dnode *d)
{
	if (d->iso) {
		iso9660_entry_done(d->iso);
		free(d->iso);
	}
	if (d->udf) {
		udf_entry_done(d->udf);
		free(d->udf);
	}
	memset(d, 0, sizeof(*d));
}

/*
 * The node over an owned UDF entry e (taken). The file's ICB is its identity: the names of
 * one hard-linked file point at one ICB (ECMA-167 4/14.4.5), so it is their inode number.
 */
static void dnode_from_udf(struct eng_dnode *d, struct udf_entry *e)
{
	*d = (struct eng_dnode){
		.name = e->name,
		.name_len = e->name_len,
		.type = e->type,
		.mode = e->mode,
		.uid = e->uid,
		.gid = e->gid,
		.nlink = e->nlink,
		.ino = ((uint64_t)e->icb_part << 32 | e->icb_lbn) + 1,
		.size = e->size,
		.mtime = e->mtime,
		.atime = e->atime,
		.rdev_major = e->rdev_major,
		.rdev_minor = e->rdev_minor,
		.target = e->target,
		.udf = e,
	};
	/* a symbolic link's size is its target's length, as stat() gives it (UDF records the
	 * size of its path components, 4/14.16) */
	if (e->type == BFS_NODE_SYMLINK && e->target)
		d->size = strlen(e->target);
}

/* A deep copy of a borrowed UDF entry: NULL when out of memory. */
static struct udf_entry *udf_entry_dup(const struct udf_entry *e)
{
	struct udf_entry *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	*c = *e;
	c->target = NULL;
	c->inline_data = NULL;
	c->ext = NULL;
	if (e->target && !(c->target = strdup(e->target)))
		goto oom;
	if (e->inline_data) {
		c->inline_data = malloc(e->size + 1); /* in-ICB data: less than a block */
		if (!c->inline_data)
			goto oom;
		memcpy(c->inline_data, e->inline_data, e->size);
	}
	if (e->nextents) {
		c->ext = malloc(e->nextents * sizeof(*c->ext));
		if (!c->ext)
			goto oom;
		memcpy(c->ext, e->ext, e->nextents * sizeof(*c->ext));
	}
	return c;
oom:
	udf_entry_done(c);
	free(c);
	return NULL;
}

/* The node over an owned reader entry e (taken). */
static void dnode_from_iso(struct eng_dnode *d, struct iso9660_entry *e)
{
	*d = (struct eng_dnode){
		.name = e->name,
		.name_len = e->name_len,
		.type = e->type,
		.mode = e->mode,
		.uid = e->uid,
		.gid = e->gid,
		.nlink = e->nlink,
		.ino = e->ino,
		.size = e->size,
		.mtime = e->mtime,
		.atime = e->atime,
		.rdev_major = e->rdev_major,
		.rdev_minor = e->rdev_minor,
		.target = e->target,
		.iso = e,
	};
}

/* A deep copy of a borrowed reader entry: NULL when out of memory. */
static struct iso9660_entry *iso_entry_dup(const struct iso9660_entry *e)
{
	struct iso9660_entry *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	*c = *e;
	c->target = NULL;
	c->ext = NULL;
	if (e->target && !(c->target = strdup(e->target)))
		goto oom;
	if (e->nextents) {
		c->ext = malloc(e->nextents * sizeof(*c->ext));
		if (!c->ext)
			goto oom;
		memcpy(c->ext, e->ext, e->nextents * sizeof(*c->ext));
	}
	return c;
oom:
	iso9660_entry_done(c);
	free(c);
	return NULL;
}

bool eng_disctree_has_udf(eng_disctree_read_fn read, void *userdata, uint64_t start)
{
	static const uint32_t sizes[] = {2048, 4096, 1024, 512}; /* logical block sizes */
	uint8_t b[BLOCK];
	bool nsr = false;

	for (unsigned i = 0; i < VRS_MAX && !nsr; i++) {
		if (read(userdata, start + 16 + i, 1, b) < 0)
			break;
		if (memcmp(b + 1, "NSR02", 5) == 0 || memcmp(b + 1, "NSR03", 5) == 0)
			nsr = true;
		else if (memcmp(b + 1, "BEA01", 5) != 0 && memcmp(b + 1, "CD001", 5) != 0 &&
			 memcmp(b + 1, "TEA01", 5) != 0 && memcmp(b + 1, "BOOT2", 5) != 0 &&
			 !eng_block_is_zero(b)) /* a 4096-byte descriptor's second half */
			break;
	}
	if (!nsr)
		return false;
	/* the anchor at block 256 of the volume's block size names its own block (3/7.2.1) */
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint64_t at = start * BLOCK + (uint64_t)UDF_ANCHOR * sizes[k];

		if (read(userdata, at / BLOCK, 1, b) == 0 && bfs_get_le16(b) == 2 &&
		    bfs_get_le32(b + 12) == at / sizes[k])
			return true;
	}
	return false;
}

static const enum iso9660_view views[] = {
	[ENG_TREE_ROCKRIDGE] = ISO9660_VIEW_ROCKRIDGE,
	[ENG_TREE_JOLIET] = ISO9660_VIEW_JOLIET,
	[ENG_TREE_ISO9660] = ISO9660_VIEW_PLAIN,
};

/* The ISO 9660 side: the view asked for, or the best present (Rock Ridge, Joliet, plain). */
static int open_iso(struct eng_disctree *t, eng_disctree_read_fn read, void *userdata,
		    uint64_t start, enum eng_tree_fs want, struct bfs_diag *diag)
{
	struct iso9660_reader_opts o = {.session_start = start, .view = ISO9660_VIEW_AUTO};
	struct iso9660_volume_info vi;
	int r;

	if (want != ENG_TREE_AUTO)
		o.view = views[want];
	r = iso9660_reader_open(read, userdata, &o, diag, &t->iso);
	if (r == -ENOENT)
		return bfs_diag_set(diag, r, "the session at block %llu has no %s tree",
				    (unsigned long long)start, eng_tree_fs_name(want));
	if (r < 0)
		return r;
	iso9660_reader_info(t->iso, &vi);
	t->fs = vi.view == ISO9660_VIEW_ROCKRIDGE ? ENG_TREE_ROCKRIDGE
		: vi.view == ISO9660_VIEW_JOLIET  ? ENG_TREE_JOLIET
						  : ENG_TREE_ISO9660;
	return 0;
}

/*
 * The UDF side. The session's end bounds the medium the reader looks at (its anchors at
 * N-256 and N-1, a VAT in the last block); not known: just past the session's anchor.
 */
static int open_udf(struct eng_disctree *t, eng_disctree_read_fn read, void *userdata,
		    uint64_t start, uint64_t end, struct bfs_diag *diag)
{
	uint64_t total = end > start + UDF_ANCHOR ? end : start + UDF_ANCHOR + 1;
	int r = udf_reader_open(read, userdata, total, start, 0, diag, &t->udf);

	if (r < 0)
		return r;
	t->fs = ENG_TREE_UDF;
	return 0;
}

/*
 * The one choice of a session's tree: UDF when valid, else Rock Ridge, else Joliet, else
 * ISO 9660. A hybrid session whose UDF volume fails the reader's checks is read through
 * ISO 9660, with a warning that names what is wrong with the UDF side.
 */
int eng_disctree_open(eng_disctree_read_fn read, void *userdata, uint64_t start, uint64_t end,
		      enum eng_tree_fs want, struct bfs_diag *diag, struct eng_disctree **ret)
{
	_cleanup_(eng_disctree_freep) struct eng_disctree *t = calloc(1, sizeof(*t));
	uint8_t b[BLOCK];
	bool iso, udf;
	int r;

	if (!t)
		return -ENOMEM;
	t->diag = diag;
	r = read(userdata, start + 16, 1, b);
	if (r < 0)
		return bfs_diag_set(
			diag, r, "the session at block %llu: cannot read block %llu: %s",
			(unsigned long long)start, (unsigned long long)(start + 16), strerror(-r));
	iso = memcmp(b + ISO9660_VD_STD_ID, ISO9660_STD_ID, ISO9660_VD_STD_ID_LEN) == 0;
	udf = eng_disctree_has_udf(read, userdata, start);
	if (want == ENG_TREE_UDF && !udf)
		return bfs_diag_set(diag, -ENOENT, "the session at block %llu has no udf tree",
				    (unsigned long long)start);
	if ((want == ENG_TREE_UDF || want == ENG_TREE_AUTO) && udf) {
		struct bfs_diag ud = {0};

		r = open_udf(t, read, userdata, start, end,
			     iso && want == ENG_TREE_AUTO ? &ud : diag);
		if (r == 0) /* ud ends with this block: the tree's failures go to the caller's */
			udf_reader_set_diag(t->udf, diag);
		if (r == 0 || !iso || want == ENG_TREE_UDF)
			goto done;
		bfs_diag_warn(diag,
			      "the session at block %llu: its UDF volume is not read (%s); "
			      "its ISO 9660 tree is",
			      (unsigned long long)start, bfs_diag_msg(&ud, r));
	}
	r = open_iso(t, read, userdata, start, want, diag);
done:
	if (r < 0)
		return r;
	*ret = t;
	t = NULL;
	return 0;
}

int eng_disctree_open_fullest(eng_disctree_read_fn read, void *userdata, uint64_t start,
			      uint64_t end, struct bfs_diag *diag, struct eng_disctree **ret)
{
	_cleanup_(eng_disctree_freep) struct eng_disctree *t = NULL;
	int r = eng_disctree_open(read, userdata, start, end, ENG_TREE_AUTO, diag, &t);

	if (r < 0)
		return r;
	if (t->fs == ENG_TREE_UDF) {
		struct eng_disctree *rr = NULL;

		r = eng_disctree_open(read, userdata, start, end, ENG_TREE_ROCKRIDGE, diag, &rr);
		if (r == -ENOMEM)
			return r;
		if (r == 0) {
			eng_disctree_free(t);
			t = rr;
		} else {
			bfs_diag_clear(diag); /* no Rock Ridge, or one that does not read */
		}
	}
	*ret = t;
	t = NULL;
	return 0;
}

struct eng_disctree *eng_disctree_free(struct eng_disctree *t)
{
	if (t) {
		iso9660_reader_free(t->iso);
		udf_reader_free(t->udf);
		free(t);
	}
	return NULL;
}

enum eng_tree_fs eng_disctree_fs(const struct eng_disctree *t)
{
	return t->fs;
}

void eng_disctree_volume_id(const struct eng_disctree *t, char *buf, size_t len)
{
	const char *id;
	size_t n;

	if (!len)
		return;
	if (t->udf) {
		struct udf_volume_info vi;

		udf_reader_info(t->udf, &vi);
		id = vi.volume_id;
		n = strlen(id);
		if (n >= len) /* no cut inside a UTF-8 sequence */
			for (n = len - 1; n > 0 && ((unsigned char)id[n] & 0xC0) == 0x80; n--)
				;
		memcpy(buf, id, n);
		buf[n] = '\0';
		return;
	} else {
		struct iso9660_volume_info vi;

		iso9660_reader_info(t->iso, &vi);
		snprintf(buf, len, "%s", vi.volume_id);
	}
}

/* The not-found and not-a-directory failures of a lookup, said with the path. */
static int lookup_failed(struct eng_disctree *t, const char *path, int r)
{
	if (r == -ENOENT || r == -ENOTDIR) {
		bfs_diag_clear(t->diag); /* the reader's words for it ("UDF: 'x' not found") */
		return bfs_diag_set(t->diag, r, "%s: %s", path,
				    r == -ENOENT ? "no such file or directory on the disc"
						 : "not a directory on the disc");
	}
	return r;
}

int eng_disctree_lookup(struct eng_disctree *t, const char *path, struct eng_dnode *ret)
{
	int r;

	if (t->udf) {
		struct udf_entry *e = calloc(1, sizeof(*e));

		if (!e)
			return -ENOMEM;
		r = udf_reader_lookup(t->udf, path, e);
		if (r < 0) {
			udf_entry_done(e);
			free(e);
			return lookup_failed(t, path, r);
		}
		dnode_from_udf(ret, e);
		return 0;
	} else {
		struct iso9660_entry *e = calloc(1, sizeof(*e));

		if (!e)
			return -ENOMEM;
		r = iso9660_reader_lookup(t->iso, path, e);
		if (r < 0) {
			free(e);
			return lookup_failed(t, path, r);
		}
		dnode_from_iso(ret, e);
		return 0;
	}
}

int64_t eng_disctree_pread(struct eng_disctree *t, const struct eng_dnode *d, uint64_t off,
			   uint8_t *buf, size_t len)
{
	if (t->udf)
		return udf_reader_pread(t->udf, d->udf, off, buf, len);
	return iso9660_reader_pread(t->iso, d->iso, off, buf, len);
}

/* An ISO 9660 file's extents, one after another on the medium, uncompressed. */
static int iso_extent(const struct iso9660_entry *e, uint64_t *ret)
{
	if (e->compressed || !e->nextents)
		return -EXDEV;
	for (size_t i = 1; i < e->nextents; i++)
		if (e->ext[i - 1].len % BLOCK ||
		    e->ext[i].lba != e->ext[i - 1].lba + e->ext[i - 1].len / BLOCK)
			return -EXDEV;
	*ret = e->ext[0].lba;
	return 0;
}

int eng_disctree_extent(struct eng_disctree *t, const struct eng_dnode *d, uint64_t *ret)
{
	if (d->type != BFS_NODE_FILE || d->size == 0)
		return -ENODATA;
	if (t->udf)
		return udf_reader_file_extent(t->udf, d->udf, ret);
	return iso_extent(d->iso, ret);
}

struct udf_reader *eng_disctree_udf_reader(const struct eng_disctree *t)
{
	return t->udf;
}

int eng_disctree_set_diag(struct eng_disctree *t, struct bfs_diag *diag)
{
	if (t->iso)
		return -EOPNOTSUPP; /* the ISO 9660 reader keeps the diagnostic it was opened with */
	t->diag = diag;
	udf_reader_set_diag(t->udf, diag);
	return 0;
}

bool eng_disctree_udf_partition(const struct eng_disctree *t, uint64_t *ret)
{
	struct udf_volume_info vi;

	if (!t->udf)
		return false;
	udf_reader_info(t->udf, &vi);
	*ret = vi.phys_start;
	return vi.has_phys && !vi.has_vat;
}

struct list_ctx {
	struct eng_disctree *t;
	struct eng_dnode *v;
	size_t n, cap;
};

/* name for a log line: printable ASCII kept, every other byte as \xNN, cut at 60 bytes */
static const char *printable(const char *name, size_t len, char out[256])
{
	size_t o = 0;

	for (size_t i = 0; i < len && i < 60; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
	}
	snprintf(out + o, 256 - o, "%s", len > 60 ? "..." : "");
	return out;
}

/*
 * A name safe as one path component: '/' and NUL become '_' (a warning); false for "",
 * "." and "..", which are left out (a warning).
 */
static bool name_safe(struct eng_disctree *t, struct iso9660_entry *e)
{
	bool changed = false;
	char shown[256];

	if (e->name_len == 0 || (e->name_len == 1 && e->name[0] == '.') ||
	    (e->name_len == 2 && e->name[0] == '.' && e->name[1] == '.')) {
		bfs_diag_warn(t->diag, "a directory entry named '%.*s' is left out: not a name",
			      (int)e->name_len, e->name); /* "", "." or "..": nothing to escape */
		return false;
	}
	for (size_t i = 0; i < e->name_len; i++)
		if (e->name[i] == '/' || e->name[i] == '\0') {
			e->name[i] = '_';
			changed = true;
		}
	e->name[e->name_len] = '\0';
	if (changed)
		bfs_diag_warn(t->diag, "a name with '/' or NUL in it is read as '%s'",
			      printable(e->name, e->name_len, shown));
	return true;
}

/* Room for one more node in the listing: 0 or -ENOMEM. */
static int list_grow(struct list_ctx *c)
{
	size_t cap = c->cap ? c->cap * 2 : 16;
	struct eng_dnode *v;

	if (c->n < c->cap)
		return 0;
	v = realloc(c->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->v = v;
	c->cap = cap;
	return 0;
}

static int list_one(const struct iso9660_entry *e, void *userdata)
{
	struct list_ctx *c = userdata;
	struct iso9660_entry *d;

	if (list_grow(c) < 0)
		return -ENOMEM;
	d = iso_entry_dup(e);
	if (!d)
		return -ENOMEM;
	if (!name_safe(c->t, d)) {
		iso9660_entry_done(d);
		free(d);
		return 0;
	}
	dnode_from_iso(&c->v[c->n++], d);
	return 0;
}

/* A UDF entry: its name was made safe by the reader ('/', NUL, "." and ".." replaced). */
static int list_one_udf(const struct udf_entry *e, void *userdata)
{
	struct list_ctx *c = userdata;
	struct udf_entry *d;

	if (e->name_len == 0)
		return 0; /* the parent's FID */
	if (list_grow(c) < 0)
		return -ENOMEM;
	d = udf_entry_dup(e);
	if (!d)
		return -ENOMEM;
	dnode_from_udf(&c->v[c->n++], d);
	return 0;
}

static int dnode_cmp(const void *a, const void *b)
{
	const struct eng_dnode *x = a, *y = b;
	int c = memcmp(x->name, y->name, BFS_MIN(x->name_len, y->name_len));

	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

void eng_dnodes_free(struct eng_dnode *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++)
		eng_dnode_done(&d[i]);
	free(d);
}

int eng_disctree_list(struct eng_disctree *t, const struct eng_dnode *dir, struct eng_dnode **ret,
		      size_t *n)
{
	struct list_ctx c = {.t = t};
	int r;

	if (dir->type != BFS_NODE_DIR)
		return bfs_diag_set(t->diag, -ENOTDIR, "'%s': not a directory", dir->name);
	r = t->udf ? udf_reader_readdir(t->udf, dir->udf, list_one_udf, &c)
		   : iso9660_reader_readdir(t->iso, dir->iso, list_one, &c);
	if (r < 0) {
		eng_dnodes_free(c.v, c.n);
		return r;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), dnode_cmp);
	*ret = c.v;
	*n = c.n;
	return 0;
}

/* The directories a walk has entered, by first block: a second visit is a loop. */
struct seen {
	uint64_t *slot; /* 0 free; a block + 1 */
	size_t cap, n;
};

/* 1 when key was added, 0 when it was there already, -ENOMEM. */
static int seen_add(struct seen *s, uint64_t key)
{
	if (2 * (s->n + 1) > s->cap) {
		struct seen g = {.cap = s->cap ? s->cap * 2 : 256};

		g.slot = calloc(g.cap, sizeof(*g.slot));
		if (!g.slot)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i])
				(void)seen_add(&g, s->slot[i] - 1);
		free(s->slot);
		*s = g;
	}
	for (size_t i = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) % s->cap;;
	     i = (i + 1) % s->cap) {
		if (s->slot[i] == key + 1)
			return 0;
		if (!s->slot[i]) {
			s->slot[i] = key + 1;
			s->n++;
			return 1;
		}
	}
}

struct walk {
	struct eng_disctree *t;
	eng_dwalk_fn fn, post;
	eng_dlist_fn list; /* eng_disctree_walk_dirs() */
	void *userdata;
	struct seen seen;
	char *path; /* "a/b" of the node being visited */
	size_t len, cap;
	unsigned depth;
};

/* path + "/" + name (no "/" at the top); the old length in *old. */
static int path_push(struct walk *w, const struct eng_dnode *d, size_t *old)
{
	size_t need = w->len + 1 + d->name_len + 1;

	if (need > w->cap) {
		char *p = realloc(w->path, need * 2);

		if (!p)
			return -ENOMEM;
		w->path = p;
		w->cap = need * 2;
	}
	*old = w->len;
	if (w->len)
		w->path[w->len++] = '/';
	memcpy(w->path + w->len, d->name, d->name_len);
	w->len += d->name_len;
	w->path[w->len] = '\0';
	return 0;
}

static int walk_dir(struct walk *w, const struct eng_dnode *dir);

static int walk_node(struct walk *w, const struct eng_dnode *d)
{
	size_t old = w->len; /* path_push() may fail before setting it */
	int r = path_push(w, d, &old);

	if (r == 0 && w->fn)
		r = w->fn(w->path, d, w->userdata);
	if (r == ENG_DWALK_SKIP)
		r = 0;
	else if (r == 0 && d->type == BFS_NODE_DIR) {
		r = walk_dir(w, d);
		if (r == 0 && w->post)
			r = w->post(w->path, d, w->userdata);
	}
	w->len = old;
	w->path[old] = '\0';
	return r;
}

/* What identifies a directory for the loop check: its ICB (UDF) or first block (ISO). */
static bool dir_key(const struct eng_dnode *dir, uint64_t *key)
{
	if (dir->udf) {
		*key = (uint64_t)dir->udf->icb_part << 32 | dir->udf->icb_lbn;
		return true;
	}
	if (dir->iso && dir->iso->nextents) {
		*key = dir->iso->ext[0].lba;
		return true;
	}
	return false;
}

static int walk_dir(struct walk *w, const struct eng_dnode *dir)
{
	struct eng_dnode *v = NULL;
	uint64_t key = 0;
	size_t n = 0;
	int r;

	if (w->depth >= ENG_DISCTREE_DEPTH_MAX)
		return BFS_CORRUPT(w->t->diag, "/%s: directories nested deeper than %u", w->path,
				   ENG_DISCTREE_DEPTH_MAX);
	r = dir_key(dir, &key) ? seen_add(&w->seen, key) : 1;
	if (r == 0)
		return BFS_CORRUPT(w->t->diag,
				   "/%s: the directory at %s %llu is met a second time (a loop)",
				   w->path, dir->udf ? "ICB" : "block", (unsigned long long)key);
	if (r < 0)
		return r;
	r = eng_disctree_list(w->t, dir, &v, &n);
	if (r == 0 && w->list)
		r = w->list(w->path, dir, v, n, w->userdata);
	w->depth++;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = walk_node(w, &v[i]);
	w->depth--;
	eng_dnodes_free(v, n);
	return r;
}

static int walk_run(struct walk *w, const struct eng_dnode *dir)
{
	int r;

	w->path = calloc(1, 256);
	if (!w->path)
		return -ENOMEM;
	w->cap = 256;
	r = walk_dir(w, dir);
	free(w->path);
	free(w->seen.slot);
	return r;
}

int eng_disctree_walk_dirs(struct eng_disctree *t, const struct eng_dnode *dir, eng_dlist_fn fn,
			   void *userdata)
{
	struct walk w = {.t = t, .list = fn, .userdata = userdata};

	return walk_run(&w, dir);
}

int eng_disctree_walk(struct eng_disctree *t, const struct eng_dnode *dir, eng_dwalk_fn fn,
		      eng_dwalk_fn post, void *userdata)
{
	struct walk w = {.t = t, .fn = fn, .post = post, .userdata = userdata};

	return walk_run(&w, dir);
}
