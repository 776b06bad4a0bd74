/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the new UDF volume of an append keeps of the last session's (the IMAPI layout, formats.md
 * 5.1): the partition's start, and the file entries of unchanged files, found by path in the
 * session's UDF tree when the merge reads its Rock Ridge one. See append-internal.h.
 */
#include <errno.h>
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

struct udf_files {
	struct udf_file *v;
	size_t n, cap;
	struct merge *m;
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

static int udf_file_add(const char *path, const struct eng_dnode *d, void *userdata)
{
	struct udf_files *f = userdata;
	struct udf_file *x;
	uint64_t lba;

	if (!d->udf)
		return 0;
	f->m->a->prior.next_uid = BFS_MAX(f->m->a->prior.next_uid, d->udf->unique_id + 1);
	if (d->type != BFS_NODE_FILE || eng_disctree_extent(f->m->ut, d, &lba) < 0)
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

/*
 * A merge read through Rock Ridge (ut kept): the UDF entry of each kept file, found by its
 * path in the UDF tree and taken only when it names the same data (block and size), so
 * that the new volume points at the entry of that very file. The UDF tree's failures are
 * warnings: without them the entries are written again, nothing else changes.
 */
int append_udf_entries_match(struct merge *m)
{
	struct eng_append *a = m->a;
	struct udf_files f = {.m = m};
	struct eng_dnode root = {0};
	struct bfs_diag tmp = {0};
	int r;

	if (!m->ut || !a->nsha)
		return 0;
	r = eng_disctree_lookup(m->ut, "/", &root);
	if (r == 0)
		r = eng_disctree_walk(m->ut, &root, udf_file_add, NULL, &f);
	eng_dnode_done(&root);
	if (r == 0 && f.n)
		qsort(f.v, f.n, sizeof(*f.v), udf_file_cmp);
	for (size_t i = 0; r == 0 && i < a->nsha && f.n; i++) {
		struct kept_sha *k = &a->sha[i];
		_cleanup_free_ char *path = bfs_node_path(k->node);
		struct udf_file key, *x;

		if (!path)
			r = -ENOMEM;
		if (r < 0 || k->has_icb)
			continue;
		key.path = path + 1;
		x = bsearch(&key, f.v, f.n, sizeof(key), udf_file_cmp);
		if (x && x->lba == k->node->data_lba && x->size == k->node->size) {
			k->has_icb = true;
			k->icb_part = x->icb_part;
			k->icb = x->icb;
		}
	}
	for (size_t i = 0; i < f.n; i++)
		free(f.v[i].path);
	free(f.v);
	if (r == -ENOMEM)
		return r;
	if (r < 0) { /* the UDF side does not walk: its entries are not kept */
		bfs_diag_warn(&tmp, "session %u: UDF tree: %s; every UDF entry is written again",
			      a->info.session, bfs_diag_msg(m->diag, r));
		bfs_diag_clear(m->diag);
		for (size_t i = 0; i < a->nsha; i++)
			a->sha[i].has_icb = false;
	}
	return 0;
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
