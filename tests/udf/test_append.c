/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UDF 2.50 appends (udf/writer.h struct udf_prior): a first session written into a memory
 * image, read back with the reader as engine/src/append-udf.c reads it, then a second
 * session written after it with that earlier volume. On write-once media a directory that
 * did not change is kept where it is, one that did keeps its block number and only its new
 * entry and FIDs are written (its parent is not); on overwritable media the metadata file
 * is linear, block k at the first run's block + k, the gaps neither recorded nor allocated.
 * Every check reads the second session back through its own metadata file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/bytes.h"
#include "udf/layout.h"
#include "udf/reader.h"
#include "udf/writer.h"

#define BS	2048u
#define NBLOCKS 4096u
#define PART	257u /* the first session's partition start, kept by the second */
#define NOLD	300u

static uint8_t *img;

static int mem_read(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf)
{
	(void)userdata;
	if (lba >= NBLOCKS || n > NBLOCKS - lba)
		return -ENXIO;
	memcpy(buf, img + lba * BS, (size_t)n * BS);
	return 0;
}

/* ---- trees ------------------------------------------------------------------------------- */

/* A tree from paths ("a/b/" a directory, "a/b/x" a file); old: the files to flag kept */
static struct bfs_node *tree(const char *const *paths, const char *const *old)
{
	struct bfs_node *root = bfs_node_new("", 0, BFS_NODE_DIR);

	root->mode = 0755;
	for (; *paths; paths++) {
		const char *p = *paths, *slash;
		struct bfs_node *dir = root, *n;

		while ((slash = strchr(p, '/')) && slash[1]) {
			dir = bfs_node_find_child(dir, p, (size_t)(slash - p));
			assert_non_null(dir);
			p = slash + 1;
		}
		n = bfs_node_new(p, strcspn(p, "/"), slash ? BFS_NODE_DIR : BFS_NODE_FILE);
		n->mode = slash ? 0755 : 0644;
		n->mtime.sec = 1700000000;
		for (const char *const *o = old; o && *o; o++)
			if (!slash && strcmp(*o, *paths) == 0)
				n->flags |= BFS_NODE_PRIOR;
		assert_int_equal(bfs_node_add_child(dir, n), 0);
	}
	root->mtime.sec = 1700000000;
	assert_int_equal(bfs_tree_finalize(root), 0);
	return root;
}

static const char *const t1[] = {"a/",	  "a/b/", "a/b/c/", "a/b/c/x", "a/s/",
				 "a/s/y", "k/",	  "k/z",    NULL};
static const char *const t1_files[] = {"a/b/c/x", "a/s/y", "k/z", NULL};

/* ---- sessions ---------------------------------------------------------------------------- */

/*
 * One session at start with the earlier volume p (NULL for the first): its end. Its
 * deferred blocks (prior.inplace) are written after it when deferred is set, kept in
 * deferred_img (may be NULL) otherwise; *ndeferred (may be NULL) counts them.
 */
static uint64_t session_x(struct bfs_node *root, uint64_t start, const struct udf_prior *p,
			  bool deferred, size_t *ndeferred)
{
	struct udf_writer_opts o = {.revision = 0x0250,
				    .has_partition_start = start > 0,
				    .partition_start = PART,
				    .prior = p};
	struct bfs_volume_info vi = {.volume_id = "T", .uuid = 1};
	struct udf_writer *w = NULL;
	const struct bfs_extent_list *l;
	struct bfs_diag diag = {0};
	uint64_t cur = start + 19;

	assert_int_equal(udf_writer_new(&o, root, &diag, &w), 0);
	assert_int_equal(udf_writer_plan_vrs(w, &cur), 0);
	assert_int_equal(udf_writer_plan_vds(w, start, &cur), 0);
	assert_int_equal(udf_writer_plan_meta(w, &cur), 0);
	assert_int_equal(udf_writer_plan_tail(w, &cur), 0);
	assert_true(cur <= NBLOCKS);
	vi.volume_blocks = cur;
	assert_int_equal(udf_writer_finish(w, &vi), 0);
	l = udf_writer_extents(w);
	for (size_t i = 0; i < l->n; i++) {
		assert_true(l->v[i].lba >= start); /* nothing of the earlier session rewritten */
		assert_int_equal(udf_writer_fill(w, &l->v[i], img + l->v[i].lba * BS), 0);
	}
	if (ndeferred)
		*ndeferred = udf_writer_ndeferred(w);
	for (size_t i = 0; deferred && i < udf_writer_ndeferred(w); i++) {
		struct udf_deferred d;
		uint8_t b[BS];

		assert_int_equal(udf_writer_deferred(w, i, &d, b), 0);
		/* over an earlier session's block, in the earlier metadata file and its mirror */
		assert_true(d.lba >= PART && d.lba < start);
		assert_true(d.mirror_lba >= PART && d.mirror_lba < start && d.mirror_lba != d.lba);
		memcpy(img + d.lba * BS, b, BS);
		memcpy(img + d.mirror_lba * BS, b, BS);
	}
	udf_writer_free(w);
	return cur;
}

static uint64_t session(struct bfs_node *root, uint64_t start, const struct udf_prior *p)
{
	return session_x(root, start, p, false, NULL);
}

/* What the earlier session holds at a path, as append-udf.c notes it */
struct old {
	char path[128];
	struct udf_entry e;
	uint32_t data_lbn; /* a directory's FIDs */
	uint8_t *fids;	   /* ... and their bytes */
};

struct prior_ctx {
	struct udf_prior p;
	struct old *v; /* NOLD */
	unsigned n;
	struct udf_reader *r;
	const char *prefix;
};

static struct udf_reader *open_session(uint64_t start, uint64_t end)
{
	struct udf_reader *r = NULL;
	struct bfs_diag diag = {0};

	assert_int_equal(udf_reader_open(mem_read, NULL, end, start, 2048, &diag, &r), 0);
	return r;
}

static int note(const struct udf_entry *e, void *userdata);

static void note_entry(struct prior_ctx *c, const char *path, const struct udf_entry *e)
{
	struct old *o = &c->v[c->n];
	const char *saved = c->prefix;

	assert_true(++c->n <= NOLD);
	snprintf(o->path, sizeof(o->path), "%s", path);
	o->e = *e;
	o->e.ext = NULL;
	o->e.target = NULL;
	o->e.inline_data = NULL;
	if (e->type != BFS_NODE_DIR)
		return;
	assert_int_equal(e->nextents, 1);
	o->e.nextents = 0;
	o->data_lbn = e->ext[0].lbn;
	o->fids = malloc(e->size);
	assert_int_equal(udf_reader_pread(c->r, e, 0, o->fids, e->size), (int64_t)e->size);
	c->prefix = o->path;
	assert_int_equal(udf_reader_readdir(c->r, e, note, c), 0);
	c->prefix = saved;
}

static int note(const struct udf_entry *e, void *userdata)
{
	struct prior_ctx *c = userdata;
	char path[128];

	snprintf(path, sizeof(path), "%s%s%.16s", c->prefix, *c->prefix ? "/" : "", e->name);
	note_entry(c, path, e);
	return 0;
}

static const struct old *old_of(const struct prior_ctx *c, const struct bfs_node *n)
{
	char *path = bfs_node_path(n);
	const struct old *found = NULL;

	for (unsigned i = 0; i < c->n && !found; i++)
		if (strcmp(c->v[i].path, path + 1) == 0 && c->v[i].e.type == n->type)
			found = &c->v[i];
	free(path);
	return found;
}

static int prior_icb(const struct bfs_node *n, void *userdata, struct udf_prior_icb *ret)
{
	const struct old *o = old_of(userdata, n);

	if (!o)
		return -ENOENT;
	*ret = (struct udf_prior_icb){
		.lbn = o->e.icb_lbn, .nlink = o->e.nlink, .unique_id = o->e.unique_id};
	return 0;
}

static int prior_dir(const struct bfs_node *n, void *userdata, struct udf_prior_dir *ret)
{
	const struct old *o = old_of(userdata, n);

	if (!o)
		return -ENOENT;
	*ret = (struct udf_prior_dir){.lbn = o->e.icb_lbn,
				      .data_lbn = o->data_lbn,
				      .data_len = o->e.size,
				      .nlink = o->e.nlink,
				      .unique_id = o->e.unique_id,
				      .same_entry = (n->mode & 07777) == o->e.mode &&
						    n->mtime.sec == o->e.mtime.sec};
	return 0;
}

static bool prior_dir_same(const struct bfs_node *n, void *userdata, const uint8_t *fids,
			   size_t len)
{
	const struct old *o = old_of(userdata, n);

	return o && o->e.size == len && memcmp(o->fids, fids, len) == 0;
}

/* The earlier session at start..end as the engine hands it to the writer */
static void prior_read(struct prior_ctx *c, uint64_t start, uint64_t end, bool linear)
{
	struct udf_entry root;
	uint64_t blocks = 0, mblocks = 0;

	memset(c, 0, sizeof(*c));
	c->v = calloc(NOLD, sizeof(*c->v));
	assert_non_null(c->v);
	c->r = open_session(start, end);
	c->prefix = "";
	assert_int_equal(udf_reader_root(c->r, &root), 0);
	note_entry(c, "", &root);
	udf_entry_done(&root);
	for (unsigned i = 0; i < c->n; i++)
		c->p.next_uid = BFS_MAX(c->p.next_uid, c->v[i].e.unique_id + 1);
	c->p.revision = 0x0250;
	c->p.part_start = PART;
	c->p.icb = prior_icb;
	c->p.dir = linear ? NULL : prior_dir;
	c->p.dir_same = prior_dir_same;
	c->p.linear = linear;
	c->p.userdata = c;
	assert_int_equal(udf_reader_metadata_runs(c->r, 0, c->p.meta, UDF_PRIOR_RUNS_MAX,
						  &c->p.nmeta, &blocks),
			 0);
	assert_int_equal(udf_reader_metadata_runs(c->r, 1, c->p.mirror, UDF_PRIOR_RUNS_MAX,
						  &c->p.nmirror, &mblocks),
			 0);
	assert_int_equal(blocks, mblocks);
	c->p.meta_blocks = blocks;
}

static void prior_done(struct prior_ctx *c)
{
	for (unsigned i = 0; i < c->n; i++)
		free(c->v[i].fids);
	free(c->v);
	udf_reader_free(c->r);
}

/* ---- the second session, read back ------------------------------------------------------ */

struct after {
	struct udf_reader *r;
	struct udf_run runs[UDF_PRIOR_RUNS_MAX];
	size_t nruns;
	uint64_t start;
};

static void after_open(struct after *a, uint64_t start, uint64_t end)
{
	uint64_t blocks;

	a->r = open_session(start, end);
	a->start = start;
	assert_int_equal(
		udf_reader_metadata_runs(a->r, 0, a->runs, UDF_PRIOR_RUNS_MAX, &a->nruns, &blocks),
		0);
}

/* The absolute block that metadata block lbn of the second session maps to */
static uint64_t phys(const struct after *a, uint32_t lbn)
{
	uint64_t off = 0;

	for (size_t i = 0; i < a->nruns; off += a->runs[i++].blocks)
		if (lbn >= off && lbn - off < a->runs[i].blocks) {
			assert_int_not_equal(a->runs[i].lbn, UDF_RUN_HOLE);
			return PART + a->runs[i].lbn + (lbn - off);
		}
	fail_msg("metadata block %u past the metadata file", lbn);
	return 0;
}

/* The entry at path in the second session: its block, and whether it was written in it */
static uint32_t entry_at(const struct after *a, const char *path, bool *written,
			 struct udf_entry *ret)
{
	struct udf_entry e;
	uint32_t lbn;

	assert_int_equal(udf_reader_lookup(a->r, path, &e), 0);
	lbn = e.icb_lbn;
	*written = phys(a, lbn) >= a->start;
	if (ret)
		*ret = e;
	else
		udf_entry_done(&e);
	return lbn;
}

static uint32_t old_lbn(const struct prior_ctx *c, const char *path)
{
	for (unsigned i = 0; i < c->n; i++)
		if (strcmp(c->v[i].path, path[1] ? path + 1 : "") == 0)
			return c->v[i].e.icb_lbn;
	fail_msg("%s not in the first session", path);
	return 0;
}

/* path was kept (same block, not written again) or remapped (same block, written) */
static void expect_dir(const struct after *a, const struct prior_ctx *c, const char *path,
		       bool written)
{
	bool w;

	assert_int_equal(entry_at(a, path, &w, NULL), old_lbn(c, path));
	if (w != written)
		fail_msg("%s: %s, expected %s", path, w ? "written" : "kept",
			 written ? "written" : "kept");
}

/* The block the ".." FID of directory path names */
static uint32_t parent_fid(const struct after *a, const char *path)
{
	struct udf_entry e;
	uint8_t fid[64];
	bool w;

	(void)entry_at(a, path, &w, &e);
	assert_true(udf_reader_pread(a->r, &e, 0, fid, sizeof(fid)) >= 40); /* one FID at least */
	udf_entry_done(&e);
	assert_int_equal(bfs_get_le16(fid), 257); /* FID tag */
	assert_true(fid[18] & 8);		  /* the parent's */
	return bfs_get_le32(fid + 20 + 4);	  /* its ICB long_ad: the block */
}

static void after_close(struct after *a)
{
	udf_reader_free(a->r);
}

struct two {
	struct prior_ctx c;
	struct after a;
	uint64_t s2, e2;
};

/* Session 1 of t1, then session 2 of tree2 (files flagged kept: t1's) after a gap */
static void two_sessions(struct two *t, const char *const *tree2, bool linear)
{
	struct bfs_node *r1 = tree(t1, NULL), *r2 = tree(tree2, t1_files);
	uint64_t e1;

	img = calloc(NBLOCKS, BS);
	e1 = session(r1, 0, NULL);
	prior_read(&t->c, 0, e1, linear);
	t->s2 = e1 + 100; /* file data of the second session, or another program's */
	t->e2 = session(r2, t->s2, &t->c.p);
	after_open(&t->a, t->s2, t->e2);
	bfs_node_free(r1);
	bfs_node_free(r2);
}

static void two_done(struct two *t)
{
	after_close(&t->a);
	prior_done(&t->c);
	free(img);
}

/* ---- write-once: kept and remapped directories ------------------------------------------ */

static void test_deep_change(void **state)
{
	static const char *const t2[] = {"a/",	 "a/b/",  "a/b/c/", "a/b/c/x", "a/b/c/new",
					 "a/s/", "a/s/y", "k/",	    "k/z",     NULL};
	struct two t;
	bool w;

	(void)state;
	two_sessions(&t, t2, false);
	expect_dir(&t.a, &t.c, "/a/b/c", true); /* the one that changed */
	expect_dir(&t.a, &t.c, "/a/b", false);	/* its parent is not written again */
	expect_dir(&t.a, &t.c, "/a", false);
	expect_dir(&t.a, &t.c, "/", false);
	expect_dir(&t.a, &t.c, "/a/s", false);
	expect_dir(&t.a, &t.c, "/k", false);
	assert_int_equal(entry_at(&t.a, "/a/b/c/x", &w, NULL), old_lbn(&t.c, "/a/b/c/x"));
	assert_false(w);
	(void)entry_at(&t.a, "/a/b/c/new", &w, NULL);
	assert_true(w);
	assert_int_equal(parent_fid(&t.a, "/a/b/c"), old_lbn(&t.c, "/a/b"));
	/* the old run split around c's entry: one block mapped into the new session */
	assert_true(t.a.nruns >= 3);
	two_done(&t);
}

static void test_deleted_file(void **state)
{
	static const char *const t2[] = {"a/",	 "a/b/",  "a/b/c/", "a/b/c/x",
					 "a/s/", "a/s/y", "k/",	    NULL};
	struct udf_entry e;
	struct two t;
	bool w;

	(void)state;
	two_sessions(&t, t2, false);
	expect_dir(&t.a, &t.c, "/k", true);
	expect_dir(&t.a, &t.c, "/", false);
	expect_dir(&t.a, &t.c, "/a", false);
	expect_dir(&t.a, &t.c, "/a/b/c", false);
	assert_int_equal(udf_reader_lookup(t.a.r, "/k/z", &e), -ENOENT);
	assert_int_equal(parent_fid(&t.a, "/k"), old_lbn(&t.c, "/"));
	(void)entry_at(&t.a, "/a/s/y", &w, NULL);
	assert_false(w);
	two_done(&t);
}

static void test_renamed_dir(void **state)
{
	static const char *const t2[] = {"a/",	  "a/b/", "a/b/c/", "a/b/c/x", "a/t/",
					 "a/t/y", "k/",	  "k/z",    NULL};
	struct udf_entry e;
	struct two t;
	uint32_t lbn;
	bool w;

	(void)state;
	two_sessions(&t, t2, false);
	expect_dir(&t.a, &t.c, "/a", true); /* a FID of another name */
	expect_dir(&t.a, &t.c, "/", false);
	expect_dir(&t.a, &t.c, "/a/b", false);
	expect_dir(&t.a, &t.c, "/k", false);
	lbn = entry_at(&t.a, "/a/t", &w, NULL);
	assert_true(w);
	for (unsigned i = 0; i < t.c.n; i++) /* a new block number, not an old one's */
		assert_int_not_equal(lbn, t.c.v[i].e.icb_lbn);
	assert_int_equal(parent_fid(&t.a, "/a/t"), old_lbn(&t.c, "/a"));
	assert_int_equal(udf_reader_lookup(t.a.r, "/a/s", &e), -ENOENT);
	two_done(&t);
}

static void test_dir_replaced_by_file(void **state)
{
	/* k, a directory, is now a file; a/s/y, a file, is now a directory */
	static const char *const t2[] = {"a/",	 "a/b/",   "a/b/c/", "a/b/c/x",
					 "a/s/", "a/s/y/", "k",	     NULL};
	struct udf_entry e;
	struct two t;
	bool w;

	(void)state;
	two_sessions(&t, t2, false);
	expect_dir(&t.a, &t.c, "/", true);
	expect_dir(&t.a, &t.c, "/a/s", true);
	expect_dir(&t.a, &t.c, "/a", false);
	expect_dir(&t.a, &t.c, "/a/b/c", false);
	(void)entry_at(&t.a, "/k", &w, &e);
	assert_true(w);
	assert_int_equal(e.type, BFS_NODE_FILE);
	udf_entry_done(&e);
	(void)entry_at(&t.a, "/a/s/y", &w, &e);
	assert_true(w);
	assert_int_equal(e.type, BFS_NODE_DIR);
	udf_entry_done(&e);
	assert_int_equal(parent_fid(&t.a, "/a/s/y"), old_lbn(&t.c, "/a/s"));
	two_done(&t);
}

/* ---- overwritable media: a linear metadata file ----------------------------------------- */

/* Every recorded block k at the first run's block + k, and at least one gap */
static void expect_linear(const struct udf_run *runs, size_t n, unsigned holes_min)
{
	uint64_t off = 0;
	unsigned holes = 0;

	assert_int_not_equal(runs[0].lbn, UDF_RUN_HOLE);
	for (size_t i = 0; i < n; off += runs[i++].blocks) {
		if (runs[i].lbn == UDF_RUN_HOLE) {
			holes++;
			continue;
		}
		assert_int_equal(runs[i].lbn, runs[0].lbn + off);
	}
	assert_true(holes >= holes_min);
}

/* The metadata file's ADs as recorded at the EFE of block at: gaps of type 2, position 0 */
static void expect_hole_ads(uint64_t at)
{
	const uint8_t *p = img + at * BS;
	uint32_t lea = bfs_get_le32(p + 208), lad = bfs_get_le32(p + 212);
	unsigned holes = 0;

	assert_int_equal(bfs_get_le16(p), 266); /* EFE */
	assert_int_equal(p[16 + 11], 250);	/* metadata file */
	for (uint32_t o = 0; o < lad; o += 8) {
		uint32_t len = bfs_get_le32(p + 216 + lea + o);

		if (len >> 30 == 0)
			continue;
		assert_int_equal(len >> 30, 2); /* not recorded, not allocated */
		assert_int_equal(bfs_get_le32(p + 216 + lea + o + 4), 0);
		holes++;
	}
	assert_true(holes >= 1);
}

static void test_linear(void **state)
{
	static const char *const t2[] = {"a/",	 "a/b/",  "a/b/c/", "a/b/c/x", "a/b/c/new",
					 "a/s/", "a/s/y", "k/",	    "k/z",     NULL};
	static const char *const t3[] = {"a/",	  "a/b/", "a/b/c/", "a/b/c/x", "a/b/c/new", "a/s/",
					 "a/s/y", "k/",	  "k/z",    "k/3",     NULL};
	static const char *const t3_files[] = {"a/b/c/x", "a/b/c/new", "a/s/y", "k/z", NULL};
	struct udf_run mirror[UDF_PRIOR_RUNS_MAX];
	struct prior_ctx c3;
	struct bfs_node *r3;
	struct after a3;
	struct two t;
	uint64_t blocks, mblocks, s3, e3;
	size_t nm;
	bool w;

	(void)state;
	two_sessions(&t, t2, true);
	expect_linear(t.a.runs, t.a.nruns, 1);
	expect_hole_ads(t.s2 + 257);
	assert_int_equal(
		udf_reader_metadata_runs(t.a.r, 1, mirror, UDF_PRIOR_RUNS_MAX, &nm, &mblocks), 0);
	assert_int_equal(udf_reader_metadata_runs(t.a.r, 0, t.a.runs, UDF_PRIOR_RUNS_MAX,
						  &t.a.nruns, &blocks),
			 0);
	assert_int_equal(blocks, mblocks); /* the mirror numbers its blocks alike */
	/* files keep their entries; directories are written again (no remapping) */
	assert_int_equal(entry_at(&t.a, "/a/b/c/x", &w, NULL), old_lbn(&t.c, "/a/b/c/x"));
	assert_false(w);
	(void)entry_at(&t.a, "/a/b/c/new", &w, NULL);
	assert_true(w);
	(void)entry_at(&t.a, "/a/b", &w, NULL);
	assert_true(w);
	/* a third session on the second: still linear, one gap more */
	r3 = tree(t3, t3_files);
	s3 = t.e2 + 100;
	prior_read(&c3, t.s2, t.e2, true);
	e3 = session(r3, s3, &c3.p);
	after_open(&a3, s3, e3);
	expect_linear(a3.runs, a3.nruns, 2);
	(void)entry_at(&a3, "/k/3", &w, NULL);
	assert_true(w);
	assert_int_equal(entry_at(&a3, "/a/b/c/new", &w, NULL), old_lbn(&c3, "/a/b/c/new"));
	assert_false(w);
	after_close(&a3);
	prior_done(&c3);
	bfs_node_free(r3);
	two_done(&t);
}

/*
 * Overwritable media with prior.inplace: directories keep their blocks as on write-once
 * media, the one that changed gets its new entry written over its earlier one (main and
 * mirror) after the session; until then the new volume shows the earlier tree.
 */
static void test_linear_inplace(void **state)
{
	static const char *const t2[] = {"a/",	 "a/b/",  "a/b/c/", "a/b/c/x", "a/b/c/new",
					 "a/s/", "a/s/y", "k/",	    "k/z",     NULL};
	struct bfs_node *r1 = tree(t1, NULL), *r2 = tree(t2, t1_files);
	struct udf_entry e;
	struct prior_ctx c;
	struct after a;
	uint64_t e1, s2, e2;
	size_t nd;
	bool w;

	(void)state;
	img = calloc(NBLOCKS, BS);
	e1 = session(r1, 0, NULL);
	prior_read(&c, 0, e1, true);
	c.p.dir = prior_dir;
	c.p.inplace = true;
	s2 = e1 + 100;
	/* the head rewritten, the entries not yet: the earlier tree through the new volume */
	e2 = session_x(r2, s2, &c.p, false, &nd);
	assert_int_equal(nd, 1); /* /a/b/c only */
	after_open(&a, s2, e2);
	expect_linear(a.runs, a.nruns, 1);
	assert_int_equal(udf_reader_lookup(a.r, "/a/b/c/new", &e), -ENOENT);
	assert_int_equal(udf_reader_lookup(a.r, "/a/b/c/x", &e), 0);
	udf_entry_done(&e);
	after_close(&a);
	/* and written: the new tree, every directory at its earlier block, none in the session */
	assert_int_equal(session_x(r2, s2, &c.p, true, NULL), e2);
	after_open(&a, s2, e2);
	for (const char *const *d =
		     (const char *const[]){"/", "/a", "/a/b", "/a/b/c", "/a/s", "/k", NULL};
	     *d; d++)
		expect_dir(&a, &c, *d, false);
	(void)entry_at(&a, "/a/b/c/new", &w, NULL);
	assert_true(w);
	assert_int_equal(entry_at(&a, "/a/b/c/x", &w, NULL), old_lbn(&c, "/a/b/c/x"));
	assert_false(w);
	assert_int_equal(parent_fid(&a, "/a/b/c"), old_lbn(&c, "/a/b"));
	after_close(&a);
	prior_done(&c);
	bfs_node_free(r1);
	bfs_node_free(r2);
	free(img);
}

/* ---- past the runs the next append reads -------------------------------------------------- */

/*
 * Runs v[0..*n) (one, as our first session has it) made want: single blocks moved to every
 * other block from free on (runs that cannot merge), then the rest where it was
 */
static void scatter(struct udf_run *v, size_t *n, size_t want, uint64_t free_at)
{
	struct udf_run rest = v[0];

	assert_int_equal(*n, 1);
	for (size_t i = 0; i + 1 < want; i++) {
		uint64_t to = free_at + 2 * i;

		memcpy(img + to * BS, img + (PART + rest.lbn) * BS, BS);
		v[i] = (struct udf_run){.lbn = (uint32_t)(to - PART), .blocks = 1};
		rest.lbn++;
		rest.blocks--;
	}
	v[want - 1] = rest;
	*n = want;
}

/*
 * Runs v[0..*n) (one) made want linear ones, block k at v[0].lbn + k: single blocks, every
 * other one a gap but block keep, then the rest
 */
static void gaps(struct udf_run *v, size_t *n, size_t want, uint32_t keep)
{
	struct udf_run all = v[0];
	uint32_t k = 0;
	size_t i = 0;

	assert_int_equal(*n, 1);
	for (; i + 1 < want; i++, k++) {
		bool hole = i % 2 && k != keep;

		v[i] = (struct udf_run){.lbn = hole ? UDF_RUN_HOLE : all.lbn + k, .blocks = 1};
	}
	v[i++] = (struct udf_run){.lbn = all.lbn + k, .blocks = all.blocks - k};
	*n = i;
}

/* d000..d119, each with a file f; the files of the second session's tree flagged kept */
static struct bfs_node *wide(bool more)
{
	char *paths[2 * 120 + 2] = {NULL}, *files[121] = {NULL};
	struct bfs_node *root;
	size_t n = 0;

	for (unsigned i = 0; i < 120; i++) {
		assert_true(asprintf(&paths[n++], "d%03u/", i) > 0);
		assert_true(asprintf(&files[i], "d%03u/f", i) > 0);
		paths[n++] = strdup(files[i]);
	}
	if (more)
		paths[n++] = strdup("d119/new");
	root = tree((const char *const *)paths, (const char *const *)files);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	for (unsigned i = 0; i < 120; i++)
		free(files[i]);
	return root;
}

/*
 * An earlier metadata file of UDF_PRIOR_RUNS_MAX - 1 runs. Write-once: remapping d119
 * (in its last run) would split it past them, so every directory is written again at a
 * new block and the files keep their entries. Overwritable: a linear file needs a gap run
 * more, so every entry is written again (d000/f, the one file kept, too).
 */
static void overflow(bool linear)
{
	struct bfs_node *r1 = wide(false), *r2 = wide(true);
	struct prior_ctx c;
	struct after a;
	uint64_t e1, e2, s2;
	uint32_t lbn;
	bool w;

	img = calloc(NBLOCKS, BS);
	e1 = session(r1, 0, NULL);
	prior_read(&c, 0, e1, linear);
	if (linear) {
		gaps(c.p.meta, &c.p.nmeta, 199, old_lbn(&c, "/d000/f"));
		gaps(c.p.mirror, &c.p.nmirror, 199, old_lbn(&c, "/d000/f"));
	} else {
		scatter(c.p.meta, &c.p.nmeta, 199, e1 + 10);
		scatter(c.p.mirror, &c.p.nmirror, 199, e1 + 11);
	}
	s2 = e1 + 500;
	e2 = session(r2, s2, &c.p);
	after_open(&a, s2, e2);
	lbn = entry_at(&a, "/d119", &w, NULL);
	assert_true(w);
	if (!linear) /* not remapped: a new block (a fresh linear file numbers them alike) */
		assert_int_not_equal(lbn, old_lbn(&c, "/d119"));
	(void)entry_at(&a, "/d000", &w, NULL);
	assert_true(w);
	lbn = entry_at(&a, "/d000/f", &w, NULL);
	assert_true(linear ? w : !w && lbn == old_lbn(&c, "/d000/f"));
	(void)entry_at(&a, "/d119/new", &w, NULL);
	assert_true(a.nruns <= UDF_PRIOR_RUNS_MAX);
	after_close(&a);
	prior_done(&c);
	bfs_node_free(r1);
	bfs_node_free(r2);
	free(img);
}

static void test_runs_overflow(void **state)
{
	(void)state;
	overflow(false);
}

static void test_runs_overflow_linear(void **state)
{
	(void)state;
	overflow(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deep_change),   cmocka_unit_test(test_deleted_file),
		cmocka_unit_test(test_renamed_dir),   cmocka_unit_test(test_dir_replaced_by_file),
		cmocka_unit_test(test_linear),	      cmocka_unit_test(test_linear_inplace),
		cmocka_unit_test(test_runs_overflow), cmocka_unit_test(test_runs_overflow_linear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
