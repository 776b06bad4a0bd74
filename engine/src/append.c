/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disc's tree under the new one: read back, its manifest's lines and the kept files'
 * hashes, grafted under the new sources. See engine/append.h and append-internal.h.
 */
#include "engine/append.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "append-internal.h"
#include "common/log.h"
#include "common/extent.h"
#include "engine/verify.h"
#include "iso9660/reader.h"
#include "udf/reader.h"

struct eng_append *eng_append_free(struct eng_append *a)
{
	if (!a)
		return NULL;
	append_copies_drop(a);
	for (size_t i = 0; i < a->nsha; i++)
		free(a->sha[i].disc);
	append_manifest_drop(&a->om);
	free(a->sha);
	free(a->dirs);
	free(a);
	return NULL;
}

void eng_append_info(const struct eng_append *a, struct eng_append_info *ret)
{
	*ret = a->info;
}

int append_sha_cmp(const void *pa, const void *pb)
{
	const struct kept_sha *x = pa, *y = pb;

	return x->node < y->node ? -1 : x->node > y->node;
}

static const uint8_t *prior_sha(const struct bfs_node *n, void *userdata)
{
	const struct eng_append *a = userdata;
	struct kept_sha key = {.node = n};
	const struct kept_sha *k =
		a->nsha ? bsearch(&key, a->sha, a->nsha, sizeof(key), append_sha_cmp) : NULL;

	return k ? k->sha : NULL;
}

void eng_append_apply(struct eng_append *a, bool one_run_metadata, struct eng_image_opts *io)
{
	/* 2.50: libudfread reads the rewritten head; it follows a linear metadata file only */
	a->prior.linear = one_run_metadata;
	/*
	 * The volume keeps its UDF revision unless one is asked for (an image made with --media
	 * bd and appended to without it): another revision writes every entry again
	 */
	if (!io->udf_rev && a->has_prior &&
	    (a->prior.revision == 0x0102 || a->prior.revision == 0x0201 ||
	     a->prior.revision == 0x0250))
		io->udf_rev = a->prior.revision;
	io->prior_sha = prior_sha;
	io->prior_userdata = a;
	io->has_udf_partition_start = true;
	io->udf_partition_start = a->info.partition_start;
	io->udf_prior = a->has_prior ? &a->prior : NULL;
	io->manifest_chunk = a->om.data ? append_manifest_chunk : NULL;
	io->manifest_userdata = a;
}

/* ---- the old manifest -------------------------------------------------------------------- */

static int line_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct old_line *)pa)->path, ((const struct old_line *)pb)->path);
}

static int line_add(const uint8_t sha[32], const char *name, void *userdata)
{
	struct merge *m = userdata;
	struct old_line *l;

	if (BFS_GROW(m->lines, m->lines_cap, m->nlines + 1) < 0)
		return -ENOMEM;
	l = &m->lines[m->nlines];
	l->path = strdup(name);
	if (!l->path)
		return -ENOMEM;
	memcpy(l->sha, sha, 32);
	m->nlines++;
	return 0;
}

/*
 * Whether manifest d was written with the session: its data lies in it. A session another
 * program appended after ours (xorriso, growisofs -M) carries our /.burnfs unchanged, its
 * data where our session wrote it and its lines those of our session's files, not of the
 * ones that program added or replaced: such lines would be recorded as the hashes of the
 * replacements. Data that cannot be located (embedded in a UDF ICB) is taken as the
 * session's.
 */
static bool manifest_of_session(struct merge *m, const struct eng_dnode *d)
{
	uint64_t lba;
	int r;

	if (d->iso && d->iso->nextents && !d->iso->compressed) {
		/* ours ends in a block of its session (the trailer), even when it keeps chunks */
		lba = d->iso->ext[d->iso->nextents - 1].lba;
		return lba >= m->s->start && lba - m->s->start < m->s->length;
	}
	r = eng_disctree_extent(m->t, d, &lba);

	bfs_diag_clear(m->diag);
	return r < 0 || (lba >= m->s->start && lba - m->s->start < m->s->length);
}

/*
 * The old session's manifest, when it has one of its own that reads and parses: its hashes
 * are those its burn verified. A damaged one is a warning, an earlier session's a note in
 * the log (the kept files are hashed from the disc).
 */
static int manifest_load(struct merge *m)
{
	struct eng_dnode d = {0};
	struct bfs_diag tmp = {0};
	_cleanup_free_ uint8_t *data = NULL;
	uint64_t got = 0;
	int r = eng_disctree_lookup(m->t, MANIFEST_PATH, &d);

	bfs_diag_clear(m->diag); /* a disc without a manifest is no failure */
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	if (d.type != BFS_NODE_FILE || d.size > MANIFEST_MAX)
		goto out;
	if (!manifest_of_session(m, &d)) {
		bfs_log(LOG_INFO,
			"session %u: its manifest is an earlier session's, which the "
			"program that wrote session %u carried over: not used",
			m->a->info.session, m->a->info.session);
		goto out;
	}
	data = malloc(d.size ? d.size : 1);
	if (!data) {
		eng_dnode_done(&d);
		return -ENOMEM;
	}
	while (got < d.size) {
		int64_t n = eng_disctree_pread(m->t, &d, got, data + got, d.size - got);

		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	bfs_diag_clear(m->diag);
	if (got == d.size && eng_manifest_parse(data, d.size, line_add, m, &tmp) == 0) {
		qsort(m->lines, m->nlines, sizeof(*m->lines), line_cmp);
		if (append_manifest_keep(m, &d, &data) < 0) {
			eng_dnode_done(&d);
			return -ENOMEM;
		}
	} else
		bfs_diag_warn(m->diag,
			      "session %u: its manifest does not read (%s); the files it "
			      "keeps are hashed from the disc",
			      m->a->info.session,
			      tmp.err ? bfs_diag_msg(&tmp, tmp.err) : "cut short");
out:
	eng_dnode_done(&d);
	return 0;
}

static const uint8_t *line_sha(const struct merge *m, const char *path)
{
	struct old_line key = {.path = (char *)path};
	const struct old_line *l;

	if (!m->nlines)
		return NULL; /* no manifest (bsearch wants a non-NULL array) */
	l = bsearch(&key, m->lines, m->nlines, sizeof(key), line_cmp);
	return l ? l->sha : NULL;
}

/* ---- the disc's files -------------------------------------------------------------------- */

/* The SHA-256 of d's bytes, read from the disc. */
static int hash_from_disc(struct merge *m, const struct eng_dnode *d, const char *path,
			  uint8_t out[32])
{
	uint64_t off = 0;

	if (!EVP_DigestInit_ex(m->md, EVP_sha256(), NULL))
		return -ENOMEM;
	while (off < d->size) {
		int64_t n = eng_disctree_pread(m->t, d, off, m->buf, COPY_BUF);

		if (n <= 0)
			return bfs_diag_prefix(m->diag, n < 0 ? (int)n : -EIO,
					       "'/%s' on the disc: cannot be read", path);
		(void)EVP_DigestUpdate(m->md, m->buf, (size_t)n);
		off += (uint64_t)n;
	}
	(void)EVP_DigestFinal_ex(m->md, out, NULL);
	return 0;
}

static int keep(struct merge *m, struct bfs_node *n, const struct eng_dnode *d, const char *path,
		uint64_t lba)
{
	struct eng_append *a = m->a;
	const uint8_t *sha = line_sha(m, path);
	struct kept_sha *k;

	if (BFS_GROW(a->sha, a->sha_cap, a->nsha + 1) < 0)
		return -ENOMEM;
	k = &a->sha[a->nsha];
	*k = (struct kept_sha){.node = n};
	if (d->udf) {
		k->has_icb = true;
		k->icb_part = d->udf->icb_part;
		k->icb = (struct udf_prior_icb){.lbn = d->udf->icb_lbn,
						.nlink = d->udf->nlink,
						.unique_id = d->udf->unique_id};
		a->prior.next_uid = BFS_MAX(a->prior.next_uid, d->udf->unique_id + 1);
	}
	if (sha) {
		memcpy(k->sha, sha, 32);
	} else {
		k->unhashed = true; /* hashed once grafting has left out what is replaced */
		k->disc = strdup(path);
		if (!k->disc)
			return -ENOMEM;
	}
	a->nsha++;
	n->flags |= BFS_NODE_PRIOR;
	n->data_lba = lba;
	a->info.kept++;
	return 0;
}

/*
 * A file of several extents in the ISO 9660 tree (another writer's multi-extent file, or one
 * fragmented by an earlier append) kept where it is, as sections (common/tree.h), when each
 * extent but the last is whole blocks and all lie below the merged session's end. -EXDEV
 * when it cannot be (compressed, a UDF tree's, too many extents): it is copied instead.
 */
static int file_sections(struct merge *m, struct bfs_node *n, const struct eng_dnode *d,
			 const char *path)
{
	const uint64_t end = m->s->start + m->s->length;
	struct bfs_section v[BFS_SECTIONS_MAX];
	uint64_t lowest = UINT64_MAX;
	size_t nv;
	int r;

	if (!d->iso || d->iso->compressed || d->iso->nextents < 2 ||
	    d->iso->nextents > BFS_SECTIONS_MAX)
		return -EXDEV;
	nv = d->iso->nextents;
	for (size_t i = 0; i < nv; i++) {
		const struct iso9660_extent *e = &d->iso->ext[i];
		uint64_t blocks = BFS_DIV_ROUND_UP(e->len, BFS_BLOCK_SIZE);

		if (blocks == 0 || (i + 1 < nv && e->len % BFS_BLOCK_SIZE))
			return -EXDEV;
		if (e->lba >= end || blocks > end - e->lba)
			return BFS_CORRUPT(
				m->diag,
				"'/%s' on the disc: its extent at block %llu (%llu bytes) "
				"lies past the end of session %u (block %llu)",
				path, (unsigned long long)e->lba, (unsigned long long)e->len,
				m->s->number, (unsigned long long)end);
		v[i] = (struct bfs_section){.lba = e->lba, .blocks = blocks};
		lowest = BFS_MIN(lowest, e->lba);
	}
	r = bfs_node_set_sections(n, v, nv);
	if (r == -EINVAL)
		return -EXDEV; /* the extents do not add up to its size */
	if (r < 0)
		return r;
	/* the lowest block: the UDF partition starts at or below it (append_partition_pick) */
	return keep(m, n, d, path, lowest);
}

static int file_data(struct merge *m, struct bfs_node *n, const struct eng_dnode *d,
		     const char *path)
{
	uint64_t lba;
	int r = eng_disctree_extent(m->t, d, &lba);

	if (r == -ENODATA)
		return 0;
	/* a new session may point only at blocks the disc holds: below the merged session's end */
	if (r == 0 &&
	    (lba >= m->s->start + m->s->length ||
	     BFS_DIV_ROUND_UP(d->size, BFS_BLOCK_SIZE) > m->s->start + m->s->length - lba))
		return BFS_CORRUPT(
			m->diag,
			"'/%s' on the disc: its data (block %llu, %llu bytes) lies past the "
			"end of session %u (block %llu)",
			path, (unsigned long long)lba, (unsigned long long)d->size, m->s->number,
			(unsigned long long)(m->s->start + m->s->length));
	if (r == 0)
		return keep(m, n, d, path, lba);
	if (r == -EXDEV) {
		r = file_sections(m, n, d, path);
		return r == -EXDEV ? append_copy(m, n, d, path) : r;
	}
	return bfs_diag_prefix(m->diag, r, "'/%s' on the disc", path);
}

static struct bfs_node *node_of(const struct eng_dnode *d)
{
	struct bfs_node *n = bfs_node_new(d->name, d->name_len, d->type);

	if (!n)
		return NULL;
	n->mode = d->mode;
	n->uid = d->uid;
	n->gid = d->gid;
	n->mtime = n->src_mtime = n->ctime = d->mtime;
	n->atime = d->atime;
	n->rdev_major = d->rdev_major;
	n->rdev_minor = d->rdev_minor;
	if (d->type == BFS_NODE_FILE) {
		n->size = d->size;
		if (d->nlink > 1) { /* one file under several names */
			n->src_dev = ENG_APPEND_DEV;
			n->src_ino = d->ino;
		}
	}
	if (d->type == BFS_NODE_SYMLINK) {
		n->target = strdup(d->target ? d->target : "");
		if (!n->target)
			return bfs_node_free(n);
		n->size = strlen(n->target);
	}
	return n;
}

static int visit(const char *path, const struct eng_dnode *d, void *userdata)
{
	struct merge *m = userdata;
	struct bfs_node *n;
	int r;

	if (m->depth == 1 && d->type == BFS_NODE_DIR && strcmp(path, ".burnfs") == 0)
		return ENG_DWALK_SKIP; /* the old manifest: the new session has its own */
	n = node_of(d);
	if (!n)
		return -ENOMEM;
	r = bfs_node_add_child(m->stack[m->depth - 1], n);
	if (r < 0) {
		bfs_node_free(n);
		return r == -EEXIST
			       ? bfs_diag_set(m->diag, -EUCLEAN, "'/%s' is on the disc twice", path)
			       : r;
	}
	m->a->info.nodes++;
	if (d->type == BFS_NODE_DIR)
		m->stack[m->depth++] = n;
	else if (d->type == BFS_NODE_FILE)
		return file_data(m, n, d, path);
	return 0;
}

static int leave(const char *path, const struct eng_dnode *d, void *userdata)
{
	struct merge *m = userdata;

	(void)path;
	(void)d;
	m->depth--;
	return 0;
}

/* ---- grafting ---------------------------------------------------------------------------- */

/* The disc's nodes under old into new, where new has no node of the name. */
int append_graft(struct eng_append *a, struct bfs_node *new, struct bfs_node *old,
		 struct bfs_diag *diag)
{
	append_dir_moved(a, old, new);
	while (old->nchildren) {
		struct bfs_node *o = old->children[old->nchildren - 1];
		struct bfs_node *n = bfs_node_find_child(new, o->name, o->name_len);
		int r;

		if (n && n->type == BFS_NODE_DIR && o->type == BFS_NODE_DIR) {
			r = append_graft(a, n, o, diag);
			if (r < 0)
				return r;
			bfs_node_free(bfs_node_detach(o));
			continue;
		}
		if (n) {
			_cleanup_free_ char *p = bfs_node_path(n);

			bfs_diag_warn(diag, "'%s' replaces the %s of that name on the disc",
				      p ? p : n->name,
				      o->type == BFS_NODE_DIR ? "directory" : "file");
			a->info.replaced++;
			bfs_node_free(bfs_node_detach(o));
			continue;
		}
		r = bfs_node_add_child(new, bfs_node_detach(o));
		if (r < 0)
			return r;
	}
	return 0;
}

static void merge_done(struct merge *m)
{
	append_udf_collect_drop(m); /* first: its thread may be reading ut */
	append_edits_done(m);
	for (size_t i = 0; i < m->nlines; i++)
		free(m->lines[i].path);
	free(m->lines);
	free(m->buf);
	EVP_MD_CTX_free(m->md);
	eng_disctree_free(m->t);
	eng_disctree_free(m->ut);
}

/* The disc's tree as nodes under a new root of its own. */
static int read_tree(struct merge *m, struct bfs_node *oroot)
{
	struct eng_dnode root = {0};
	int r = eng_disctree_lookup(m->t, "/", &root);

	if (r < 0)
		return r;
	r = manifest_load(m);
	m->stack[0] = oroot;
	m->depth = 1;
	if (r == 0)
		r = eng_disctree_walk(m->t, &root, visit, leave, m);
	eng_dnode_done(&root);
	return r;
}

/* Keep the hashes of the kept files still in the tree (those replaced were freed). */
static int live_mark(struct bfs_node *n, void *userdata)
{
	struct eng_append *a = userdata;
	struct kept_sha key = {.node = n};
	struct kept_sha *k;

	if (!(n->flags & BFS_NODE_PRIOR))
		return 0;
	k = bsearch(&key, a->sha, a->nsha, sizeof(key), append_sha_cmp);
	if (k)
		k->live = true;
	return 0;
}

static void sha_prune(struct eng_append *a, struct bfs_node *root)
{
	size_t o = 0;

	if (!a->nsha)
		return;
	qsort(a->sha, a->nsha, sizeof(*a->sha), append_sha_cmp);
	(void)bfs_node_walk(root, live_mark, a);
	for (size_t i = 0; i < a->nsha; i++) {
		if (a->sha[i].live)
			a->sha[o++] = a->sha[i];
		else
			free(a->sha[i].disc);
	}
	a->nsha = o;
	a->info.kept = o;
}

/* The kept files the old manifest had no line for, hashed from the disc. */
static int hash_unhashed(struct merge *m)
{
	struct eng_append *a = m->a;
	int r = 0;

	for (size_t i = 0; i < a->nsha && r == 0; i++) {
		struct kept_sha *k = &a->sha[i];
		_cleanup_free_ char *path = NULL;
		struct eng_dnode d = {0};

		if (!k->unhashed)
			continue;
		/* by its path on the disc: an edit may have moved or linked it elsewhere */
		if (asprintf(&path, "/%s", k->disc) < 0)
			return -ENOMEM;
		r = eng_disctree_lookup(m->t, path, &d);
		if (r == 0)
			r = hash_from_disc(m, &d, path + 1, k->sha);
		eng_dnode_done(&d);
		a->info.hashed++;
	}
	return r;
}

/*
 * The session's tree to merge: Rock Ridge where the session has it beside a valid UDF
 * volume, which is the tree ls and extract show. A hybrid session's UDF side can hold less
 * than its Rock Ridge side, and what the merge reads is all the new session records, so a
 * loss would be carried on by every later append: burnfs's own UDF leaves device nodes out
 * and records a name that is not UTF-8 with U+FFFD (Rock Ridge has its bytes); genisoimage
 * -udf records a symbolic link as an empty file. The volume name and the UDF partition
 * (the IMAPI layout keeps it) are taken from the UDF volume.
 */
static int tree_open(struct merge *m, eng_disctree_read_fn read, void *userdata,
		     const struct eng_session *s)
{
	struct eng_disctree *rr;
	int r = eng_disctree_open(read, userdata, s->start, s->start + s->length, ENG_TREE_AUTO,
				  m->diag, &m->t);

	if (r < 0)
		return r;
	eng_disctree_volume_id(m->t, m->a->info.volume_id, sizeof(m->a->info.volume_id));
	m->has_udf_part = eng_disctree_udf_partition(m->t, &m->udf_part);
	if (eng_disctree_fs(m->t) == ENG_TREE_UDF) {
		r = eng_disctree_open(read, userdata, s->start, s->start + s->length,
				      ENG_TREE_ROCKRIDGE, m->diag, &rr);
		if (r == -ENOMEM)
			return r;
		if (r < 0) { /* no Rock Ridge, or one that does not read: UDF's tree */
			bfs_diag_clear(m->diag);
		} else {
			m->ut = m->t; /* kept for its file entries */
			m->t = rr;
		}
	}
	m->a->info.tree = eng_disctree_fs(m->t);
	return 0;
}

/*
 * Whether the disc can be read from two threads at once: an image file's reads are preads;
 * a drive's go one by one, and would seek between the two trees.
 */
static bool concurrent_source(eng_disctree_read_fn read, void *userdata)
{
	return read == eng_medium_read && eng_medium_concurrent(userdata);
}

int eng_append_merge(eng_disctree_read_fn read, void *userdata, const struct eng_session *s,
		     const struct eng_session *first, const struct eng_edits *edits,
		     struct bfs_node *root, struct bfs_diag *diag, struct eng_append **ret)
{
	_cleanup_(eng_append_freep) struct eng_append *a = calloc(1, sizeof(*a));
	_cleanup_(bfs_node_freep) struct bfs_node *oroot = bfs_node_new("", 0, BFS_NODE_DIR);
	struct merge m = {.a = a, .s = s, .diag = diag, .edits = edits};
	int r;

	if (!a || !oroot)
		return -ENOMEM;
	a->info.session = s->number;
	append_sweep_stale();
	m.buf = malloc(COPY_BUF);
	m.md = EVP_MD_CTX_new();
	r = m.buf && m.md ? 0 : -ENOMEM;
	if (r == 0)
		r = tree_open(&m, read, userdata, s);
	if (r == 0)
		r = append_udf_collect(&m, concurrent_source(read, userdata));
	if (r == 0)
		r = read_tree(&m, oroot);
	if (r == 0)
		r = append_udf_entries_match(&m); /* by disc path: before the edits move nodes */
	if (r == 0)
		r = append_edits_before(&m, oroot);
	if (r == 0)
		r = append_edits_staged(&m, root);
	if (r == 0) {
		append_partition_pick(&m, first);
		append_prior_volume(&m);
		r = append_graft(a, root, oroot, diag);
	}
	if (r == 0)
		r = append_edits_after(&m, root);
	if (r == 0) {
		sha_prune(a, root);
		append_dirs_prune(a, root);
		r = hash_unhashed(&m);
	}
	if (r == 0)
		r = bfs_tree_finalize(root);
	merge_done(&m);
	if (r < 0 && m.edits_failed)
		return r; /* not the tree's failure: --new-tree is no remedy */
	if (r < 0)
		return r == -ENOMEM ? r
				    : bfs_diag_prefix(diag, r,
						      "session %u's tree (burn with --new-tree to "
						      "write a session without the disc's files)",
						      s->number);
	*ret = TAKE_PTR(a);
	return 0;
}
