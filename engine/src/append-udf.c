/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the new UDF volume of an append keeps of the last session's (the IMAPI layout, formats.md
 * 5.1): the partition's start, and the file entries of unchanged files, found by path in the
 * session's UDF tree when the merge reads its Rock Ridge one. See append-internal.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "append-internal.h"
#include "udf/reader.h"

/* A regular file of the UDF tree, by path: where its entry and its data are. */
struct udf_file {
	char *path; /* from the root, without the leading '/' */
	uint64_t lba, size;
	uint16_t icb_part;
	struct udf_prior_icb icb;
};

/* A directory of the UDF tree, by path (the root's is ""). */
struct udf_dir {
	char *path;
	struct kept_dir k; /* node not set */
};

/*
 * What the UDF tree holds, gathered from it alone (append_udf_collect), so that it can be
 * gathered in a thread of its own while the merge reads the Rock Ridge tree: nothing here
 * is shared with that thread, the tree's failures go to diag, its highest unique ID to
 * next_uid until the two meet (append_udf_entries_match).
 */
struct udf_collect {
	struct udf_file *v;
	size_t n, cap;
	struct udf_dir *dirs;
	size_t ndirs, dirs_cap;
	struct eng_disctree *ut;
	uint64_t next_uid;
	struct bfs_diag diag;
	int r;
	pthread_t thread;
	bool threaded;
};

/* The UDF entry of a kept file, for the new volume to point at (udf/writer.h). */
int append_prior_icb(const struct bfs_node *n, void *userdata, struct udf_prior_icb *ret)
{
	const struct eng_append *a = userdata;
	struct kept_sha key = {.node = n};
	const struct kept_sha *k =
		a->nsha ? bsearch(&key, a->sha, a->nsha, sizeof(key), append_sha_cmp) : NULL;

	/* the partition holding metadata: the metadata map (1) on 2.50, else the physical */
	if (!k || !k->has_icb || k->fresh || k->icb_part != (a->prior.nmeta ? 1 : 0))
		return -ENOENT;
	*ret = k->icb;
	return 0;
}

static int dir_cmp(const void *pa, const void *pb)
{
	const struct kept_dir *x = pa, *y = pb;

	return x->node < y->node ? -1 : x->node > y->node;
}

static const struct kept_dir *dir_find(const struct eng_append *a, const struct bfs_node *n)
{
	struct kept_dir key = {.node = n};

	return a->ndirs ? bsearch(&key, a->dirs, a->ndirs, sizeof(key), dir_cmp) : NULL;
}

/* The UDF entry of a directory of the disc's tree (udf/writer.h). */
static int append_prior_dir(const struct bfs_node *n, void *userdata, struct udf_prior_dir *ret)
{
	const struct kept_dir *k = dir_find(userdata, n);

	if (!k)
		return -ENOENT;
	*ret = k->pd;
	/* what a kept (E)FE records of the directory, as the new tree has it */
	ret->same_entry = (n->mode & 07777) == k->mode && n->uid == k->uid && n->gid == k->gid &&
			  n->mtime.sec == k->mtime;
	return 0;
}

/*
 * Whether fids are the FIDs the disc's directory n has, by a 128-bit XXH3 of each (SHA-256
 * was 5% of an append of 100,000 files). A false "same" would keep the disc's directory:
 * it takes a disc crafted to collide with the very FIDs this append computes for it.
 */
static bool append_dir_same(const struct bfs_node *n, void *userdata, const uint8_t *fids,
			    size_t len)
{
	const struct kept_dir *k = dir_find(userdata, n);

	return k && XXH128_isEqual(XXH3_128bits(fids, len), k->fids_hash);
}

void append_dir_moved(struct eng_append *a, const struct bfs_node *old, const struct bfs_node *new)
{
	for (size_t i = 0; i < a->ndirs; i++)
		if (a->dirs[i].node == old) {
			a->dirs[i].node = new;
			return;
		}
}

static int dir_live(struct bfs_node *n, void *userdata)
{
	struct eng_append *a = userdata;
	struct kept_dir *k;

	if (n->type != BFS_NODE_DIR)
		return 0;
	k = (struct kept_dir *)dir_find(a, n);
	if (k)
		k->live = true;
	return 0;
}

void append_dirs_prune(struct eng_append *a, struct bfs_node *root)
{
	size_t o = 0;

	if (!a->ndirs)
		return;
	qsort(a->dirs, a->ndirs, sizeof(*a->dirs), dir_cmp);
	(void)bfs_node_walk(root, dir_live, a);
	for (size_t i = 0; i < a->ndirs; i++)
		if (a->dirs[i].live)
			a->dirs[o++] = a->dirs[i];
	a->ndirs = o;
}

/*
 * What the new UDF volume may keep of the last session's: its revision, partition start
 * and metadata file's runs (the entries themselves were noted file by file).
 */
void append_prior_volume(struct merge *m)
{
	struct eng_append *a = m->a;
	struct udf_reader *r = eng_disctree_udf_reader(m->ut ? m->ut : m->t);
	struct udf_volume_info vi;
	uint64_t blocks = 0, mblocks = 0;
	int q;

	if (!r)
		return;
	udf_reader_info(r, &vi);
	if (!vi.has_phys || vi.has_vat || vi.has_sparable || vi.block_size != 2048)
		return;
	a->prior.revision = vi.udf_revision;
	a->prior.part_start = vi.phys_start;
	a->prior.icb = append_prior_icb;
	a->prior.userdata = a;
	if (vi.has_metadata) {
		/* write-once 2.50: directories keep their blocks (eng_append_apply) */
		a->prior.dir = append_prior_dir;
		a->prior.dir_same = append_dir_same;
		q = udf_reader_metadata_runs(r, 0, a->prior.meta, UDF_PRIOR_RUNS_MAX,
					     &a->prior.nmeta, &blocks);
		if (q < 0)
			return; /* no reuse: every entry is written again */
		q = udf_reader_metadata_runs(r, 1, a->prior.mirror, UDF_PRIOR_RUNS_MAX,
					     &a->prior.nmirror, &mblocks);
		if (q == -ENOENT || (q == 0 && mblocks != blocks))
			a->prior.nmirror = 0;
		else if (q < 0)
			return;
		a->prior.meta_blocks = blocks;
	}
	a->has_prior = true;
}

static int udf_file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct udf_file *)a)->path, ((const struct udf_file *)b)->path);
}

/*
 * A directory of the UDF tree whose FIDs are one recorded run in the partition of its
 * entry, as our writer records them: its entry and the hash of its FIDs.
 */
static int udf_dir_add(struct udf_collect *f, const char *path, const struct udf_entry *e)
{
	struct udf_reader *r = eng_disctree_udf_reader(f->ut);
	const struct udf_extent *x = e->ext;
	_cleanup_free_ uint8_t *buf = NULL;
	struct udf_dir *d;

	/* in the metadata partition of 2.50 (map 1), as our writer records them */
	if (!r || e->icb_part != 1 || e->inline_data || e->nextents != 1 ||
	    x->kind != UDF_EXT_RECORDED || x->part != e->icb_part || x->len != e->size ||
	    !e->size || e->size > UDF_DIR_MAX)
		return 0;
	buf = malloc(e->size);
	if (!buf)
		return -ENOMEM;
	if (udf_reader_pread(r, e, 0, buf, e->size) != (int64_t)e->size) {
		bfs_diag_clear(&f->diag); /* not kept: written again */
		return 0;
	}
	if (BFS_GROW(f->dirs, f->dirs_cap, f->ndirs + 1) < 0)
		return -ENOMEM;
	d = &f->dirs[f->ndirs];
	*d = (struct udf_dir){.k = {.pd = {.lbn = e->icb_lbn,
					   .data_lbn = x->lbn,
					   .data_len = e->size,
					   .nlink = e->nlink,
					   .unique_id = e->unique_id},
				    .mode = e->mode,
				    .uid = e->uid,
				    .gid = e->gid,
				    .mtime = e->mtime.sec}};
	d->k.fids_hash = XXH3_128bits(buf, e->size);
	d->path = strdup(path);
	if (!d->path)
		return -ENOMEM;
	f->ndirs++;
	return 0;
}

static int udf_file_add(const char *path, const struct eng_dnode *d, void *userdata)
{
	struct udf_collect *f = userdata;
	struct udf_file *x;
	uint64_t lba;

	if (!d->udf)
		return 0;
	f->next_uid = BFS_MAX(f->next_uid, d->udf->unique_id + 1);
	if (d->type == BFS_NODE_DIR)
		return udf_dir_add(f, path, d->udf);
	if (d->type != BFS_NODE_FILE || eng_disctree_extent(f->ut, d, &lba) < 0)
		return 0; /* empty, or data that is not one run: no entry worth matching */
	if (BFS_GROW(f->v, f->cap, f->n + 1) < 0)
		return -ENOMEM;
	x = &f->v[f->n];
	*x = (struct udf_file){.lba = lba,
			       .size = d->size,
			       .icb_part = d->udf->icb_part,
			       .icb = {.lbn = d->udf->icb_lbn,
				       .nlink = d->udf->nlink,
				       .unique_id = d->udf->unique_id}};
	x->path = strdup(path);
	if (!x->path)
		return -ENOMEM;
	f->n++;
	return 0;
}

static int udf_dir_cmp(const void *a, const void *b)
{
	return strcmp(((const struct udf_dir *)a)->path, ((const struct udf_dir *)b)->path);
}

/* A directory of the disc's tree (as the merge read it) gets its UDF entry, by path. */
struct dir_match_ctx {
	struct eng_append *a;
	const struct udf_collect *f;
};

static int dir_match(struct bfs_node *n, void *userdata)
{
	struct dir_match_ctx *c = userdata;
	struct eng_append *a = c->a;
	_cleanup_free_ char *path = NULL;
	struct udf_dir key, *x;

	if (n->type != BFS_NODE_DIR)
		return 0;
	path = bfs_node_path(n);
	if (!path)
		return -ENOMEM;
	key.path = path + 1;
	x = bsearch(&key, c->f->dirs, c->f->ndirs, sizeof(key), udf_dir_cmp);
	if (!x)
		return 0;
	if (BFS_GROW(a->dirs, a->dirs_cap, a->ndirs + 1) < 0)
		return -ENOMEM;
	a->dirs[a->ndirs] = x->k;
	a->dirs[a->ndirs++].node = n;
	return 0;
}

/* The UDF tree's files and directories, each list sorted by path. */
static int collect(struct udf_collect *f)
{
	struct eng_dnode root = {0};
	int r = eng_disctree_lookup(f->ut, "/", &root);

	if (r == 0)
		r = eng_disctree_walk(f->ut, &root, udf_file_add, NULL, f);
	if (r == 0 && root.type == BFS_NODE_DIR && root.udf)
		r = udf_dir_add(f, "", root.udf);
	eng_dnode_done(&root);
	if (r == 0 && f->n)
		qsort(f->v, f->n, sizeof(*f->v), udf_file_cmp);
	if (r == 0 && f->ndirs)
		qsort(f->dirs, f->ndirs, sizeof(*f->dirs), udf_dir_cmp);
	return r;
}

static void *collect_main(void *arg)
{
	struct udf_collect *f = arg;

	f->r = collect(f);
	return NULL;
}

static void collect_free(struct udf_collect *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].path);
	free(f->v);
	for (size_t i = 0; i < f->ndirs; i++)
		free(f->dirs[i].path);
	free(f->dirs);
	free(f);
}

int append_udf_collect(struct merge *m, bool thread)
{
	struct udf_collect *f;

	if (!m->ut)
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->ut = m->ut;
	(void)eng_disctree_set_diag(f->ut, &f->diag);
	m->uc = f;
	if (thread && pthread_create(&f->thread, NULL, collect_main, f) == 0)
		f->threaded = true;
	else
		f->r = collect(f);
	return 0;
}

void append_udf_collect_drop(struct merge *m)
{
	struct udf_collect *f = TAKE_PTR(m->uc);

	if (!f)
		return;
	if (f->threaded)
		pthread_join(f->thread, NULL);
	(void)eng_disctree_set_diag(f->ut, m->diag);
	collect_free(f);
}

/* The kept files get the UDF entries of the same paths that name the same data. */
static void files_match(struct eng_append *a, const struct udf_collect *f, int *r)
{
	for (size_t i = 0; *r == 0 && i < a->nsha && f->n; i++) {
		struct kept_sha *k = &a->sha[i];
		_cleanup_free_ char *path = bfs_node_path(k->node);
		struct udf_file key, *x;

		if (!path)
			*r = -ENOMEM;
		if (*r < 0 || k->has_icb)
			continue;
		key.path = path + 1;
		x = bsearch(&key, f->v, f->n, sizeof(key), udf_file_cmp);
		if (x && x->lba == k->node->data_lba && x->size == k->node->size) {
			k->has_icb = true;
			k->icb_part = x->icb_part;
			k->icb = x->icb;
		}
	}
}

/*
 * A merge read through Rock Ridge (ut kept): the UDF entry of each kept file, found by its
 * path in the UDF tree and taken only when it names the same data (block and size), so
 * that the new volume points at the entry of that very file. The UDF tree's failures are
 * warnings: without them the entries are written again, nothing else changes.
 */
int append_udf_entries_match(struct merge *m)
{
	struct eng_append *a = m->a;
	struct udf_collect *f = TAKE_PTR(m->uc);
	struct dir_match_ctx c = {.a = a, .f = f};
	struct bfs_diag tmp = {0};
	int r;

	if (!f)
		return 0;
	if (f->threaded)
		pthread_join(f->thread, NULL);
	(void)eng_disctree_set_diag(f->ut, m->diag);
	m->diag->nwarnings += f->diag.nwarnings;
	r = f->r;
	if (r == 0) {
		a->prior.next_uid = BFS_MAX(a->prior.next_uid, f->next_uid);
		if (f->ndirs)
			r = bfs_node_walk(m->stack[0], dir_match, &c);
	}
	if (r == 0)
		files_match(a, f, &r);
	if (r < 0 && r != -ENOMEM) { /* the UDF side does not walk: its entries are not kept */
		bfs_diag_warn(&tmp, "session %u: UDF tree: %s; every UDF entry is written again",
			      a->info.session, f->r < 0 ? bfs_diag_msg(&f->diag, r) : strerror(-r));
		for (size_t i = 0; i < a->nsha; i++)
			a->sha[i].has_icb = false;
		a->ndirs = 0;
		r = 0;
	}
	collect_free(f);
	return r;
}

/*
 * The UDF partition: the old one kept when every kept file lies in it, else one block
 * below the lowest kept file's data. A disc without a UDF partition of its own (xorriso,
 * growisofs and genisoimage write none) has its files below 257 of a session that starts at
 * 0: starting the partition at the first session's start would be 0, which the UDF writer
 * takes for "right after the new session's anchor", leaving every kept file outside it. The
 * block below keeps file data off logical block 0, which libudfread (VLC, Kodi, libbluray)
 * takes for "no data" and reads as zeros. Never below the first session.
 */
void append_partition_pick(struct merge *m, const struct eng_session *first)
{
	struct eng_append *a = m->a;
	uint64_t p = m->has_udf_part ? m->udf_part : UINT64_MAX;

	for (size_t i = 0; i < a->nsha; i++)
		p = BFS_MIN(p, a->sha[i].node->data_lba - (a->sha[i].node->data_lba > 0));
	a->info.partition_start = p == UINT64_MAX ? 0 : BFS_MAX(p, first->start);
}
