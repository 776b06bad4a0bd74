/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plan and stream of one image (data flow steps 2 and 3).
 *
 * The plan takes every block from one cursor, in this order (S = session start, 0 here):
 *	S+0..15		system area (zeros)
 *	S+16..		ISO PVD, Joliet SVD, terminator; UDF BEA01/NSR0x/TEA01
 *	..S+256		UDF main/reserve VDS, LVID; AVDP at S+256 (UDF only)
 *	..		UDF FSD/ICBs/directories, ISO path tables/directories/CE areas
 *	..		file data, link primaries in tree pre-order, each block aligned
 *	..		UDF partition end and closing AVDP (the 2.50 mirror follows the metadata file)
 * and turns it into a list of segments sorted by LBA. The producer thread renders the
 * segments into a ring of 1 MiB slots; eng_stream_read() copies them out.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include "config.h"

#include "common/bytes.h"
#include "common/extent.h"
#include "common/log.h"
#include "engine/grow.h"
#include "engine/image.h"
#include "engine/manifest.h"
#include "engine/sink.h"
#include "image-boot.h"
#include "iso9660/writer.h"
#include "udf/writer.h"

#include "image-internal.h"

static int seg_add(struct eng_image *img, uint64_t lba, uint64_t n, enum seg_kind kind,
		   const struct bfs_extent *e)
{
	if (BFS_GROW(img->segs, img->segs_cap, img->nsegs + 1) < 0)
		return -ENOMEM;
	img->segs[img->nsegs++] = (struct seg){.lba = lba, .kind = kind, .nblocks = n, .ext = e};
	return 0;
}

static int seg_cmp(const void *pa, const void *pb)
{
	const struct seg *a = pa, *b = pb;

	return a->lba < b->lba ? -1 : a->lba > b->lba;
}

struct data_plan {
	struct eng_image *img;
	uint64_t *cursor;
	bool last; /* planning the manifest */
};

static int plan_file(struct bfs_node *n, void *userdata)
{
	struct data_plan *dp = userdata;
	struct eng_image *img = dp->img;
	uint64_t nb;

	if (n->type != BFS_NODE_FILE || n->link_primary || n->size == 0 ||
	    (n->flags & BFS_NODE_PRIOR))
		return 0; /* no data, another name's, or already on the medium */
	if (n == img->manifest && !dp->last)
		return 0; /* planned after every other file */
	nb = BFS_DIV_ROUND_UP(bfs_node_new_bytes(n), BFS_BLOCK_SIZE); /* sections: the new ones */
	n->data_lba = *dp->cursor;
	*dp->cursor += nb;
	if (BFS_GROW(img->files, img->files_cap, img->nfiles + 1) < 0)
		return -ENOMEM;
	img->files[img->nfiles++] = n;
	/* extend the open data run, or start one */
	if (img->nsegs && img->segs[img->nsegs - 1].kind == SEG_DATA &&
	    img->segs[img->nsegs - 1].lba + img->segs[img->nsegs - 1].nblocks == n->data_lba) {
		img->segs[img->nsegs - 1].nblocks += nb;
		return 0;
	}
	if (seg_add(img, n->data_lba, nb, SEG_DATA, NULL) < 0)
		return -ENOMEM;
	img->segs[img->nsegs - 1].first = img->nfiles - 1;
	return 0;
}

static void volume_id(struct eng_image *img)
{
	const char *v = img->opts.volume_id ? img->opts.volume_id : "BURNFS";

	snprintf(img->volume_id, sizeof(img->volume_id), "%s", v);
}

/* A file that needs several ISO 9660 records (level 3): 4 GiB or more, or in sections. */
static int find_big(struct bfs_node *n, void *userdata)
{
	if (n->type == BFS_NODE_FILE && (n->size >= 4ull * 1024 * 1024 * 1024 || n->nsections > 1))
		*(bool *)userdata = true;
	return 0;
}

static int add_extents(struct eng_image *img, const struct bfs_extent_list *l, enum seg_kind kind)
{
	int r = 0;

	for (size_t i = 0; i < l->n && r == 0; i++)
		r = seg_add(img, l->v[i].lba, l->v[i].nblocks, kind, &l->v[i]);
	return r;
}

static int plan_gaps(struct eng_image *img, uint64_t cursor);

static int seg_mem(struct eng_image *img, uint64_t lba, uint64_t n, const uint8_t *mem)
{
	int r = seg_add(img, lba, n, SEG_MEM, NULL);

	if (r == 0)
		img->segs[img->nsegs - 1].mem = mem;
	return r;
}

/* The hidden boot catalog's block, before the file data (a shown one is a file). */
static int plan_boot_catalog(struct eng_image *img, uint64_t *cursor)
{
	if (!img->boot.on || img->boot.cat)
		return 0;
	img->boot.cat_lba = (*cursor)++;
	return seg_mem(img, img->boot.cat_lba, 1, img->boot.catalog);
}

/*
 * Hybrid: the blocks after the last planned one (UDF's closing anchor), the backup GPT in
 * the last of them. With UDF, 256 of them: the closing anchor is then at N - 256, N the
 * last block, one of the places ECMA-167 3/8.4.2.1 has readers look (the GPT's header
 * takes block N).
 */
static uint64_t boot_tail_blocks(const struct eng_image *img)
{
	if (!img->boot.hybrid)
		return 0;
	return img->udf ? 256 : img->boot.tail_blocks;
}

static int plan_boot_tail(struct eng_image *img, uint64_t *cursor)
{
	uint64_t n = boot_tail_blocks(img);

	if (!n)
		return 0;
	*cursor += n; /* zeros before the tables: plan_gaps() fills them */
	return seg_mem(img, *cursor - img->boot.tail_blocks, img->boot.tail_blocks, img->boot.tail);
}

/* Every address fixed: the boot record's pointer, the catalog, boot info table, MBR, GPTs. */
static int plan_boot_render(struct eng_image *img)
{
	uint64_t cat;

	if (!img->boot.on)
		return 0;
	cat = img->boot.cat ? img->boot.cat->data_lba : img->boot.cat_lba;
	iso9660_writer_set_boot_catalog(img->iso, (uint32_t)cat);
	return eng_boot_render(&img->boot, iso9660_writer_pvd_lba(img->iso), img->vi.volume_blocks,
			       img->vi.uuid, img->diag);
}

static int plan(struct eng_image *img)
{
	const uint64_t start = img->opts.start_lba;
	uint64_t cursor = start;
	struct data_plan dp = {.img = img, .cursor = &cursor};
	/*
	 * A manifest in sections (earlier sessions' chunks, then its new one): the ISO 9660
	 * path tables and directories follow it. libarchive (bsdtar) reads a multi-extent
	 * file's extents one after another when it reaches the first, and cannot go back for
	 * a directory it has passed: directories between the first and the last extent would
	 * be lost to it.
	 */
	bool meta_last = img->manifest && img->manifest->nsections;
	int r;

	r = img->boot.hybrid ? seg_mem(img, start, 16, img->boot.sysarea)
			     : seg_add(img, start, 16, SEG_ZERO, NULL);
	if (r < 0)
		return r;
	cursor = start + 16;
	if (img->iso) {
		r = iso9660_writer_plan_descriptors(img->iso, &cursor);
		if (r < 0)
			return r;
	}
	if (img->udf) {
		r = udf_writer_plan_vrs(img->udf, &cursor);
		if (r == 0)
			r = udf_writer_plan_vds(img->udf, start, &cursor);
		if (r == 0)
			r = udf_writer_plan_meta(img->udf, &cursor);
		if (r < 0)
			return r;
	}
	if (img->iso && !meta_last) {
		r = iso9660_writer_plan_meta(img->iso, &cursor);
		if (r < 0)
			return r;
	}
	r = plan_boot_catalog(img, &cursor);
	if (r < 0)
		return r;
	/* every regular file, an upper bound of those with data: one allocation */
	img->files = bfs_new(struct bfs_node *, BFS_MAX(img->info.stats.files, (uint64_t)1));
	if (!img->files)
		return -ENOMEM;
	img->files_cap = BFS_MAX(img->info.stats.files, (uint64_t)1);
	r = bfs_node_walk(img->root, plan_file, &dp);
	if (r == 0 && img->manifest) {
		dp.last = true;
		r = plan_file(img->manifest, &dp);
	}
	if (r == 0 && img->iso && meta_last)
		r = iso9660_writer_plan_meta(img->iso, &cursor);
	if (r < 0)
		return r;
	if (img->opts.align > 1) { /* pad to the write unit, the closing anchor and a
				      hybrid's tail included */
		uint64_t len = cursor - start + (img->udf ? 1 : 0) + boot_tail_blocks(img);

		cursor += BFS_ROUND_UP(len, (uint64_t)img->opts.align) - len;
	}
	if (img->udf) {
		r = udf_writer_plan_tail(img->udf, &cursor);
		if (r < 0)
			return r;
	}
	r = plan_boot_tail(img, &cursor);
	if (r < 0)
		return r;
	img->vi.volume_blocks = cursor;
	if (img->iso) {
		r = iso9660_writer_finish(img->iso, &img->vi);
		if (r == 0)
			r = add_extents(img, iso9660_writer_extents(img->iso), SEG_ISO);
		if (r < 0)
			return r;
	}
	if (img->udf) {
		r = udf_writer_finish(img->udf, &img->vi);
		if (r == 0)
			r = add_extents(img, udf_writer_extents(img->udf), SEG_UDF);
		if (r < 0)
			return r;
	}
	r = plan_boot_render(img);
	if (r < 0)
		return r;
	return plan_gaps(img, cursor);
}

/* The segments in block order, gaps up to cursor filled with zeros; overlaps are bugs. */
static int plan_gaps(struct eng_image *img, uint64_t cursor)
{
	const uint64_t start = img->opts.start_lba;
	uint64_t at;
	size_t n;
	int r;

	qsort(img->segs, img->nsegs, sizeof(*img->segs), seg_cmp);
	n = img->nsegs;
	at = start;
	for (size_t i = 0; i < n; i++) {
		struct seg *s = &img->segs[i];

		if (s->lba < at)
			return bfs_diag_set(img->diag, -EIO,
					    "internal error: plan overlap at block %llu",
					    (unsigned long long)s->lba);
		if (s->lba > at) {
			r = seg_add(img, at, s->lba - at, SEG_ZERO, NULL);
			if (r < 0)
				return r;
			s = &img->segs[i];
		}
		at = s->lba + s->nblocks;
	}
	/* without UDF's closing anchor, the padding to the write unit ends the session */
	if (at < cursor && !img->udf) {
		r = seg_add(img, at, cursor - at, SEG_ZERO, NULL);
		if (r < 0)
			return r;
		at = cursor;
	}
	if (at != cursor)
		return bfs_diag_set(img->diag, -EIO, "internal error: plan ends at %llu, not %llu",
				    (unsigned long long)at, (unsigned long long)cursor);
	qsort(img->segs, img->nsegs, sizeof(*img->segs), seg_cmp);
	img->info.start_lba = start;
	img->info.blocks = cursor - start;
	return 0;
}

/* ---- manifest ------------------------------------------------------------------------ */

#define MANIFEST_DIR  ".burnfs"
#define MANIFEST_FILE "SHA256SUMS"
#define CHUNK_NEW     UINT64_MAX /* mreuse[]: the chunk is written by this session */

static const uint8_t empty_sha[32] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
	0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
	0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

static const uint8_t *file_sha(const struct eng_image *img, const struct bfs_node *n)
{
	size_t lo = 0, hi = img->nfiles;

	n = bfs_node_data_node(n);
	if (n->size == 0 || !img->sha)
		return empty_sha;
	if (n->flags & BFS_NODE_PRIOR) {
		const uint8_t *p = img->opts.prior_sha
					   ? img->opts.prior_sha(n, img->opts.prior_userdata)
					   : NULL;

		return p ? p : empty_sha; /* the importer hashed every prior file it kept */
	}
	while (lo < hi) { /* files are in data_lba order */
		size_t mid = lo + (hi - lo) / 2;

		if (img->files[mid]->data_lba < n->data_lba)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < img->nfiles && img->files[lo] == n ? img->sha[lo] : empty_sha;
}

/* A file's SHA-256 when the plan knows it (empty, or on the medium), else NULL. */
static const uint8_t *plan_sha(const struct eng_image *img, const struct bfs_node *n)
{
	n = bfs_node_data_node(n);
	if (n->size == 0)
		return empty_sha;
	if ((n->flags & BFS_NODE_PRIOR) && img->opts.prior_sha)
		return img->opts.prior_sha(n, img->opts.prior_userdata);
	return NULL;
}

/* The manifest's files in line order, each line's length and whether it ends a chunk. */
struct manifest_walk {
	struct eng_image *img;
	uint32_t *len;
	bool *ends;
	size_t cap;
};

static int manifest_visit(struct bfs_node *n, void *userdata)
{
	struct manifest_walk *m = userdata;
	struct eng_image *img = m->img;
	_cleanup_free_ char *path = NULL;
	size_t len;

	if (n->type != BFS_NODE_FILE || n == img->manifest)
		return 0;
	path = bfs_node_path(n);
	if (!path)
		return -ENOMEM;
	len = eng_manifest_line(path + 1, empty_sha, NULL);
	if (len > UINT32_MAX)
		return -ENAMETOOLONG;
	if (img->nmlines == m->cap) {
		size_t cap = BFS_MAX(m->cap * 2, (size_t)1024);
		void *a = realloc(img->mlines, cap * sizeof(*img->mlines));

		if (a)
			img->mlines = a;
		a = a ? realloc(m->len, cap * sizeof(*m->len)) : NULL;
		if (a)
			m->len = a;
		a = a ? realloc(m->ends, cap * sizeof(*m->ends)) : NULL;
		if (!a)
			return -ENOMEM;
		m->ends = a;
		m->cap = cap;
	}
	img->mlines[img->nmlines] = n;
	m->len[img->nmlines] = (uint32_t)len;
	m->ends[img->nmlines++] = eng_manifest_ends_chunk(path + 1);
	return 0;
}

/*
 * Chunk c's bytes (lines and padding) into out; with plan, -EAGAIN when a line's hash is
 * not known yet (a file this session writes).
 */
static int chunk_render(struct eng_image *img, const struct eng_manifest_chunk *c, bool plan,
			char *out)
{
	uint64_t o = 0;

	for (size_t i = c->first; i < c->first + c->nlines; i++) {
		const struct bfs_node *n = img->mlines[i];
		const uint8_t *sha = plan ? plan_sha(img, n) : file_sha(img, n);
		_cleanup_free_ char *path = NULL;

		if (!sha)
			return -EAGAIN;
		path = bfs_node_path(n);
		if (!path)
			return -ENOMEM;
		o += eng_manifest_line(path + 1, sha, out + o);
	}
	if (o != c->content)
		return bfs_diag_set(img->diag, -EIO,
				    "internal error: manifest chunk of %llu bytes, "
				    "planned %llu",
				    (unsigned long long)o, (unsigned long long)c->content);
	(void)eng_manifest_pad(c->content, out + o);
	return 0;
}

/*
 * The chunks whose bytes the plan knows and an earlier session holds: mreuse[] their
 * first block there (CHUNK_NEW for the others).
 */
static int chunks_match(struct eng_image *img)
{
	_cleanup_free_ char *buf = NULL;
	uint64_t most = 1;

	/* a line longer than ENG_MANIFEST_CHUNK_MAX is a chunk alone, as large as it takes */
	for (size_t i = 0; i < img->nmchunks; i++)
		most = BFS_MAX(most, img->mchunks[i].blocks);
	buf = malloc(most * BFS_BLOCK_SIZE);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < img->nmchunks; i++) {
		const struct eng_manifest_chunk *c = &img->mchunks[i];
		int r = chunk_render(img, c, true, buf);

		img->mreuse[i] = CHUNK_NEW;
		if (r == -EAGAIN)
			continue;
		if (r < 0)
			return r;
		if (img->opts.manifest_chunk((const uint8_t *)buf, c->blocks * BFS_BLOCK_SIZE,
					     img->opts.manifest_userdata, &img->mreuse[i]) < 0)
			img->mreuse[i] = CHUNK_NEW;
	}
	return 0;
}

/* Kept chunks by their block on the medium. */
static int kept_cmp(const void *pa, const void *pb, void *userdata)
{
	const uint64_t *reuse = userdata;
	uint64_t a = reuse[*(const size_t *)pa], b = reuse[*(const size_t *)pb];

	return a < b ? -1 : a > b;
}

/*
 * The kept chunks' runs on the medium (chunks one after another there make one section):
 * into v when not NULL, with kept[0..nkept) the kept chunks in block order; returns their
 * count.
 */
static size_t kept_runs(const struct eng_image *img, const size_t *kept, size_t nkept,
			struct bfs_section *v)
{
	size_t n = 0;

	for (size_t k = 0; k < nkept; k++) {
		size_t i = kept[k];

		if (n &&
		    img->mreuse[i] == img->mreuse[kept[k - 1]] + img->mchunks[kept[k - 1]].blocks) {
			if (v)
				v[n - 1].blocks += img->mchunks[i].blocks;
			continue;
		}
		if (v)
			v[n] = (struct bfs_section){.lba = img->mreuse[i],
						    .blocks = img->mchunks[i].blocks};
		n++;
	}
	return n;
}

/* The kept chunks in block order into kept (nmchunks entries): their count. */
static size_t kept_sorted(const struct eng_image *img, size_t *kept)
{
	size_t n = 0;

	for (size_t i = 0; i < img->nmchunks; i++)
		if (img->mreuse[i] != CHUNK_NEW)
			kept[n++] = i;
	qsort_r(kept, n, sizeof(*kept), kept_cmp, img->mreuse);
	return n;
}

/*
 * Sections of a manifest at most: one run of kept chunks and the new one. pycdlib (1.12)
 * follows a multi-extent file from its first record to the last only (dr.py _add_child
 * links each further record to the first), losing those between.
 */
#define MANIFEST_SECTIONS 2u

/*
 * Within MANIFEST_SECTIONS with the new one: the shortest runs of kept chunks are written
 * again until the rest fit.
 */
static void chunks_cap(struct eng_image *img, size_t *kept)
{
	size_t nkept = kept_sorted(img, kept);

	while (kept_runs(img, kept, nkept, NULL) + 1 > MANIFEST_SECTIONS) {
		size_t best = 0, best_len = 0;
		uint64_t best_blocks = UINT64_MAX;

		for (size_t k = 0; k < nkept;) {
			size_t j = k + 1;
			uint64_t blocks = img->mchunks[kept[k]].blocks;

			while (j < nkept &&
			       img->mreuse[kept[j]] ==
				       img->mreuse[kept[j - 1]] + img->mchunks[kept[j - 1]].blocks)
				blocks += img->mchunks[kept[j++]].blocks;
			if (blocks < best_blocks)
				best = k, best_len = j - k, best_blocks = blocks;
			k = j;
		}
		for (size_t k = best; k < best + best_len; k++)
			img->mreuse[kept[k]] = CHUNK_NEW;
		nkept = kept_sorted(img, kept);
	}
}

/*
 * The manifest's sections, when it keeps chunks of an earlier session: the kept ones in
 * their order on the medium, then one new section (the new chunks in tree order, the
 * trailer). Its extents ascend, as libarchive (bsdtar) needs: it reads a multi-extent
 * file's extents one after another and cannot go back. So the lines of a kept chunk stay
 * together and in tree order, but the chunks are in the order of the blocks that hold them.
 */
static int manifest_sections(struct eng_image *img, struct bfs_node *f)
{
	struct bfs_section v[MANIFEST_SECTIONS];
	_cleanup_free_ size_t *kept = NULL;
	uint64_t new_blocks = 1; /* the trailer */
	size_t n, nkept;
	int r;

	img->mreuse = bfs_new(uint64_t, BFS_MAX(img->nmchunks, (size_t)1));
	kept = bfs_new(size_t, BFS_MAX(img->nmchunks, (size_t)1));
	if (!img->mreuse || !kept)
		return -ENOMEM;
	for (size_t i = 0; i < img->nmchunks; i++)
		img->mreuse[i] = CHUNK_NEW;
	if (!img->opts.manifest_chunk || !img->sections_ok)
		return 0;
	r = chunks_match(img);
	if (r < 0)
		return r;
	chunks_cap(img, kept);
	for (size_t i = 0; i < img->nmchunks; i++) {
		if (img->mreuse[i] != CHUNK_NEW)
			img->info.manifest_kept += img->mchunks[i].blocks;
		else
			new_blocks += img->mchunks[i].blocks;
	}
	bfs_log(LOG_INFO, "manifest: %llu blocks, %llu of them kept from an earlier session",
		(unsigned long long)img->info.manifest_blocks,
		(unsigned long long)img->info.manifest_kept);
	if (!img->info.manifest_kept)
		return 0;
	nkept = kept_sorted(img, kept);
	n = kept_runs(img, kept, nkept, v);
	v[n++] = (struct bfs_section){.lba = 0, .blocks = new_blocks, .is_new = true};
	return bfs_node_set_sections(f, v, n);
}

static int manifest_node(struct eng_image *img, uint64_t size)
{
	struct bfs_time t = img->vi.create_time;
	struct bfs_node *d, *f;
	int r;

	d = bfs_node_new(MANIFEST_DIR, strlen(MANIFEST_DIR), BFS_NODE_DIR);
	if (!d)
		return -ENOMEM;
	d->mode = 0555;
	d->mtime = d->atime = d->ctime = d->src_mtime = t;
	d->flags = BFS_NODE_HIDDEN;
	r = bfs_node_add_child(img->root, d);
	if (r < 0) {
		bfs_node_free(d);
		return r;
	}
	f = bfs_node_new(MANIFEST_FILE, strlen(MANIFEST_FILE), BFS_NODE_FILE);
	if (!f)
		return -ENOMEM;
	f->mode = 0444;
	f->mtime = f->atime = f->ctime = f->src_mtime = t;
	f->flags = BFS_NODE_HIDDEN;
	f->size = size;
	r = bfs_node_add_child(d, f);
	if (r < 0) {
		bfs_node_free(f);
		return r;
	}
	img->manifest = f;
	return 0;
}

/*
 * The manifest's node, its chunks (engine/manifest.h) and which of them an earlier session
 * holds. Its bytes are made once every other file has been hashed (manifest_make).
 */
static int manifest_add(struct eng_image *img)
{
	struct manifest_walk m = {.img = img};
	uint64_t size = BFS_BLOCK_SIZE; /* the trailer */
	int r;

	if (bfs_node_find_child(img->root, MANIFEST_DIR, strlen(MANIFEST_DIR)))
		return bfs_diag_set(img->diag, -EEXIST,
				    "'/" MANIFEST_DIR
				    "': reserved for the manifest, but the sources "
				    "have it");
	r = bfs_node_walk(img->root, manifest_visit, &m);
	if (r == 0)
		r = eng_manifest_chunks(m.len, m.ends, img->nmlines, &img->mchunks, &img->nmchunks);
	free(m.len);
	free(m.ends);
	if (r < 0)
		return r;
	for (size_t i = 0; i < img->nmchunks; i++)
		size += img->mchunks[i].blocks * BFS_BLOCK_SIZE;
	img->info.manifest_blocks = size / BFS_BLOCK_SIZE;
	r = manifest_node(img, size);
	if (r == 0)
		r = manifest_sections(img, img->manifest);
	if (r < 0)
		return r;
	return bfs_tree_finalize(img->root);
}

/* The manifest's new bytes (its chunks no earlier session holds, the trailer), once every
 * other file has been hashed. */
int img_meta_reserve(struct eng_image *img, size_t need)
{
	uint8_t *m;

	if (need <= img->meta_cap)
		return 0;
	m = realloc(img->meta, need);
	if (!m)
		return -ENOMEM;
	img->meta = m;
	img->meta_cap = need;
	return 0;
}

size_t img_manifest_parts(const struct eng_image *img)
{
	return img->nmchunks + 1;
}

size_t img_manifest_part_len(const struct eng_image *img, size_t i)
{
	if (i == img->nmchunks)
		return BFS_BLOCK_SIZE; /* the trailer */
	return img->mreuse[i] == CHUNK_NEW ? (size_t)img->mchunks[i].blocks * BFS_BLOCK_SIZE : 0;
}

int img_manifest_part(struct eng_image *img, size_t i, uint8_t *out)
{
	if (i == img->nmchunks) {
		eng_manifest_trailer(img->opts.start_lba, (char *)out);
		return 0;
	}
	return chunk_render(img, &img->mchunks[i], false, (char *)out);
}

int img_manifest_make(struct eng_image *img)
{
	uint64_t bytes = bfs_node_new_bytes(img->manifest), o = 0;
	int r;

	free(img->manifest_data);
	img->manifest_data = malloc(bytes);
	if (!img->manifest_data)
		return -ENOMEM;
	for (size_t i = 0; i < img_manifest_parts(img); i++) {
		size_t len = img_manifest_part_len(img, i);

		if (!len)
			continue;
		if (o + len > bytes)
			break;
		r = img_manifest_part(img, i, img->manifest_data + o);
		if (r < 0)
			return r;
		o += len;
	}
	if (o != bytes)
		return bfs_diag_set(&img->pdiag, -EIO,
				    "internal error: manifest is %llu new bytes, planned %llu",
				    (unsigned long long)o, (unsigned long long)bytes);
	return 0;
}

const struct eng_hash128 *eng_image_chunk_hashes(const struct eng_image *img, size_t *ret_n)
{
	*ret_n = img->nchunks;
	return img->chunks;
}

void eng_image_files_in(const struct eng_image *img, uint64_t lba, uint64_t n, eng_file_range_fn fn,
			void *userdata)
{
	size_t lo = 0, hi = img->nfiles;

	/* first file whose data ends after lba */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bfs_node *f = img->files[mid];

		if (f->data_lba + BFS_DIV_ROUND_UP(bfs_node_new_bytes(f), BFS_BLOCK_SIZE) <= lba)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < img->nfiles && img->files[lo]->data_lba < lba + n; lo++) {
		const struct bfs_node *f = img->files[lo];

		fn(f, f->data_lba,
		   f->data_lba + BFS_DIV_ROUND_UP(bfs_node_new_bytes(f), BFS_BLOCK_SIZE) - 1,
		   userdata);
	}
}

/*
 * The UDF writer, made in a thread of its own while the ISO 9660 writer is made: both only
 * read the tree, each into structures of its own (2.1 and 1.3 of an append's 4.2 G
 * instructions for 100,000 files). Its failures and warnings go to diag until it is joined.
 */
struct udf_job {
	struct udf_writer_opts uo;
	struct bfs_node *root;
	struct bfs_diag diag;
	struct udf_writer *w;
	int r;
};

static void *udf_job_main(void *arg)
{
	struct udf_job *j = arg;

	j->r = udf_writer_new(&j->uo, j->root, &j->diag, &j->w);
	return NULL;
}

/* The UDF writer of the job, joined: its diagnostic becomes img's. */
static int udf_job_join(struct eng_image *img, struct udf_job *j, pthread_t *thread)
{
	if (thread)
		pthread_join(*thread, NULL);
	img->diag->nwarnings += j->diag.nwarnings;
	if (j->r < 0 && !img->diag->err) {
		j->diag.nwarnings = img->diag->nwarnings;
		*img->diag = j->diag;
	}
	if (j->w)
		udf_writer_set_diag(j->w, img->diag);
	img->udf = j->w;
	return j->r;
}

/* The ISO 9660 and UDF writers the options ask for, over root. */
static int writers_new(struct eng_image *img, struct bfs_node *root)
{
	const struct eng_image_opts *o = &img->opts;
	struct udf_job j = {.uo = {.revision = o->udf_rev,
				   .has_partition_start = o->has_udf_partition_start,
				   .partition_start = o->udf_partition_start,
				   .prior = o->udf_prior},
			    .root = root};
	pthread_t thread;
	bool threaded = false;
	int r = 0, q = 0;

	if (o->udf && o->iso9660)
		threaded = pthread_create(&thread, NULL, udf_job_main, &j) == 0;
	if (o->iso9660) {
		struct iso9660_writer_opts io = {
			.joliet = o->joliet,
			.rockridge = o->rockridge,
			.level = o->iso_level,
			.rr_relocate = o->rr_relocate,
			.boot_record = img->boot.on,
		};

		r = iso9660_writer_new(&io, root, img->diag, &img->iso);
	}
	if (o->udf) {
		if (!threaded)
			udf_job_main(&j);
		q = udf_job_join(img, &j, threaded ? &thread : NULL);
	}
	return r < 0 ? r : q;
}

int eng_image_new(const struct eng_image_opts *opts, struct bfs_node *root, struct bfs_diag *diag,
		  struct eng_image **ret)
{
	_cleanup_(eng_image_freep) struct eng_image *img = NULL;
	struct eng_image_opts *o;
	bool big = false;
	int r;

	img = bfs_new(struct eng_image, 1);
	if (!img)
		return -ENOMEM;
	img_src_init(&img->src, &img->pdiag);
	img->root = root;
	img->diag = diag;
	img->opts = *opts;
	o = &img->opts;
	pthread_mutex_init(&img->lock, NULL);
	pthread_cond_init(&img->can_put, NULL);
	pthread_cond_init(&img->can_get, NULL);

	if (!o->iso9660 && !o->joliet && !o->rockridge && !o->udf) {
		o->iso9660 = o->joliet = o->rockridge = true;
		o->udf = o->media != ENG_MEDIA_CD;
	}
	if ((o->joliet || o->rockridge) && !o->iso9660)
		return bfs_diag_set(diag, -EINVAL, "joliet and rockridge need iso9660");
	(void)bfs_node_walk(root, find_big, &big);
	/* the manifest may keep an earlier session's chunks (multi-extent) unless 2 is asked */
	img->sections_ok = !o->iso9660 || o->iso_level != 2;
	if (!o->iso_level)
		o->iso_level = o->media == ENG_MEDIA_BD || big ? 3 : 2;
	if (!o->udf_rev)
		o->udf_rev = o->media == ENG_MEDIA_BD ? 0x0250 : 0x0102;
	r = eng_boot_prepare(&img->boot, &o->boot, root, o->start_lba, diag);
	if (r < 0)
		return r;
	if (img->boot.on && !o->iso9660)
		return bfs_diag_set(diag, -EINVAL, "boot options need iso9660 (El Torito) in --fs");
	bfs_tree_stats(root, &img->info.stats);

	volume_id(img);
	snprintf(img->application, sizeof(img->application), "BURNFS %s", BFS_VERSION);
	img->vi.volume_id = img->volume_id;
	img->vi.application = img->application;
	img->vi.preparer = img->application;
	img->vi.system_id = "LINUX";
	if (o->have_epoch) {
		img->vi.create_time = (struct bfs_time){.sec = o->epoch};
	} else {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		img->vi.create_time =
			(struct bfs_time){.sec = now.tv_sec, .nsec = (uint32_t)now.tv_nsec};
	}
	{
		/*
		 * The volume's serial from its date and name, as bytes spelled out: a struct
		 * here hashed its padding too, stack garbage that made two runs with the same
		 * SOURCE_DATE_EPOCH differ
		 */
		uint8_t seed[8 + 4 + sizeof(img->volume_id)];

		bfs_put_le64(seed, (uint64_t)img->vi.create_time.sec);
		bfs_put_le32(seed + 8, img->vi.create_time.nsec);
		memcpy(seed + 12, img->volume_id, sizeof(img->volume_id));
		img->vi.uuid = XXH3_64bits(seed, sizeof(seed));
	}
	img->want_chunks = o->hashes;
	if (o->manifest) {
		o->hashes = true;
		r = manifest_add(img);
		if (r < 0)
			return r;
		if (img->manifest->nsections)
			o->iso_level = 3;
		bfs_tree_stats(root, &img->info.stats);
	}

	r = writers_new(img, root);
	if (r < 0)
		return r;
	r = plan(img);
	if (r < 0)
		return r;
	img->info.iso9660 = o->iso9660;
	img->info.joliet = o->joliet;
	img->info.rockridge = o->rockridge;
	img->info.udf = o->udf;
	img->info.iso_level = o->iso9660 ? o->iso_level : 0;
	img->info.udf_rev = o->udf ? o->udf_rev : 0;
	*ret = TAKE_PTR(img);
	return 0;
}

void eng_image_info(const struct eng_image *img, struct eng_image_info *ret)
{
	*ret = img->info;
}

/* ---- producer ------------------------------------------------------------------------- */

/* One piece of file's data into its SHA-256 (the producer's or the hasher's context). */
static void sha_apply(struct eng_image *img, const struct slot_file *sf, const uint8_t *p)
{
	EVP_MD_CTX *md = img->md[sf->hasher];

	if (sf->first)
		(void)EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	(void)EVP_DigestUpdate(md, p, sf->bytes);
	if (sf->last)
		(void)EVP_DigestFinal_ex(md, img->sha[sf->file], NULL);
}

/*
 * A piece of the current file at p, noted for its hasher thread. A new file goes to the
 * hasher given the fewest bytes so far: a rule of the plan alone, so the same files go to
 * the same thread every run (the digests do not depend on it anyway).
 */
static void sha_note(struct eng_image *img, const uint8_t *p, size_t bytes, bool first, bool last)
{
	struct slot *sl = img->cur_slot;

	if (!img->hashing)
		return;
	if (first) {
		img->cur_hasher = 0;
		for (unsigned i = 1; i < NHASHERS; i++)
			if (img->hload[i] < img->hload[img->cur_hasher])
				img->cur_hasher = i;
		img->hload[img->cur_hasher] += bfs_node_new_bytes(img->files[img->cur_file]);
	}
	sl->sf[sl->nsf++] = (struct slot_file){
		.file = (uint32_t)img->cur_file,
		.off = (uint32_t)(p - sl->data),
		.bytes = (uint32_t)bytes,
		.hasher = (uint8_t)img->cur_hasher,
		.first = first,
		.last = last,
	};
}

/* Slots every hasher is done with (with none: all produced). */
static size_t all_hashed(const struct eng_image *img)
{
	size_t n = img->head;

	for (unsigned i = 0; i < img->nhashers; i++)
		n = BFS_MIN(n, img->hashed[i]);
	return n;
}

/*
 * Every file's SHA-256 up to the producer's position is final: wait for the hashers to
 * finish the published slots, then hash the pieces of the slot being filled here (with
 * the hashers' contexts, which wait for the next slot meanwhile).
 */
static int sha_settle(struct eng_image *img)
{
	struct slot *sl = img->cur_slot;
	bool stop;

	if (!img->hashing)
		return 0;
	pthread_mutex_lock(&img->lock);
	while (all_hashed(img) != img->head && !img->stop)
		pthread_cond_wait(&img->can_put, &img->lock);
	stop = img->stop;
	pthread_mutex_unlock(&img->lock);
	if (stop)
		return -ECANCELED;
	for (size_t i = 0; i < sl->nsf; i++)
		sha_apply(img, &sl->sf[i], sl->data + sl->sf[i].off);
	sl->nsf = 0;
	return 0;
}

/*
 * The next blocks of the SEG_DATA segment s, one file at a time, into dst (room for *n
 * blocks; *n becomes those made).
 */
static int produce_data(struct eng_image *img, const struct seg *s, uint8_t *dst, size_t *pn)
{
	size_t n = *pn;
	int r;

	struct bfs_node *f;
	uint64_t off, fblocks, fsize;
	size_t bytes;

	if (img->seg_off == 0)
		img->cur_file = s->first;
	f = img->files[img->cur_file];
	off = (s->lba + img->seg_off - f->data_lba) * BFS_BLOCK_SIZE;
	fsize = bfs_node_new_bytes(f); /* sections: the new region */
	fblocks = BFS_DIV_ROUND_UP(fsize, BFS_BLOCK_SIZE);
	/* one file at a time */
	n = (size_t)BFS_MIN((uint64_t)n, fblocks - off / BFS_BLOCK_SIZE);
	bytes = (size_t)BFS_MIN((uint64_t)n * BFS_BLOCK_SIZE, fsize - off);
	if (f == img->manifest) {
		if (off == 0) {
			r = sha_settle(img);
			if (r == 0)
				r = img_manifest_make(img);
			if (r < 0)
				return r;
		}
		memcpy(dst, img->manifest_data + off, bytes);
	} else if (f == img->boot.cat) {
		memcpy(dst, img->boot.catalog, bytes);
		sha_note(img, dst, bytes, true, true);
	} else {
		if (off == 0) {
			r = img_src_open(&img->src, f);
			if (r < 0)
				return r;
		}
		r = img_src_read(&img->src, f, off, dst, bytes);
		if (r < 0)
			return r;
		if (f == img->boot.bios && off == 0) /* hashed as stored */
			memcpy(dst + 8, img->boot.bi_table, sizeof(img->boot.bi_table));
		sha_note(img, dst, bytes, off == 0, off / BFS_BLOCK_SIZE + n == fblocks);
	}
	memset(dst + bytes, 0, n * BFS_BLOCK_SIZE - bytes);
	if (off / BFS_BLOCK_SIZE + n == fblocks) {
		if (f != img->manifest && f != img->boot.cat) {
			r = img_src_close(&img->src, f);
			if (r < 0)
				return r;
		}
		img->cur_file++;
	}
	*pn = n;
	return 0;
}

/* Produce up to max blocks into buf from the current position; returns blocks made. */
static ssize_t produce(struct eng_image *img, uint8_t *buf, size_t max)
{
	size_t made = 0;
	int r;

	while (made < max && img->cur_seg < img->nsegs) {
		struct seg *s = &img->segs[img->cur_seg];
		size_t n = (size_t)BFS_MIN((uint64_t)(max - made), s->nblocks - img->seg_off);
		uint8_t *dst = buf + made * BFS_BLOCK_SIZE;

		switch (s->kind) {
		case SEG_ZERO:
			memset(dst, 0, n * BFS_BLOCK_SIZE);
			break;
		case SEG_MEM:
			memcpy(dst, s->mem + img->seg_off * BFS_BLOCK_SIZE, n * BFS_BLOCK_SIZE);
			break;
		case SEG_ISO:
		case SEG_UDF:
			if (img->seg_off == 0) {
				size_t need = (size_t)s->nblocks * BFS_BLOCK_SIZE;

				if (img_meta_reserve(img, need) < 0)
					return -ENOMEM;
				r = s->kind == SEG_ISO
					    ? iso9660_writer_fill(img->iso, s->ext, img->meta)
					    : udf_writer_fill(img->udf, s->ext, img->meta);
				if (r < 0)
					return bfs_diag_set(&img->pdiag, r,
							    "rendering metadata at block %llu: %s",
							    (unsigned long long)s->lba,
							    bfs_diag_msg(img->diag, r));
			}
			memcpy(dst, img->meta + img->seg_off * BFS_BLOCK_SIZE, n * BFS_BLOCK_SIZE);
			break;
		case SEG_DATA:
			r = produce_data(img, s, dst, &n);
			if (r < 0)
				return r;
			break;
		}
		made += n;
		img->seg_off += n;
		if (img->seg_off == s->nblocks) {
			img->cur_seg++;
			img->seg_off = 0;
		}
	}
	return (ssize_t)made;
}

/*
 * The XXH3 of the chunks in n blocks just produced at p (slots tile chunks: a chunk ends at
 * a slot end). The producer's alone: the lock that publishes the slot orders it before
 * any reader of the chunks delivered.
 */
static void chunk_hash(struct eng_image *img, const uint8_t *p, size_t n)
{
	(void)XXH3_128bits_update(img->xxh, p, n * BFS_BLOCK_SIZE);
	img->produced += (uint64_t)n;
	if (img->produced % ENG_CHUNK_BLOCKS == 0 || img->produced == img->info.blocks) {
		XXH128_hash_t h = XXH3_128bits_digest(img->xxh);

		img->chunks[(img->produced - 1) / ENG_CHUNK_BLOCKS] =
			(struct eng_hash128){.hi = h.high64, .lo = h.low64};
		(void)XXH3_128bits_reset(img->xxh);
	}
}

static void *producer(void *arg)
{
	struct eng_image *img = arg;

	for (;;) {
		struct slot *sl;
		ssize_t n;

		pthread_mutex_lock(&img->lock);
		while (img->head - BFS_MIN(img->tail, all_hashed(img)) == img->nslots && !img->stop)
			pthread_cond_wait(&img->can_put, &img->lock);
		if (img->stop) {
			pthread_mutex_unlock(&img->lock);
			break;
		}
		sl = &img->slots[img->head % img->nslots];
		pthread_mutex_unlock(&img->lock);

		sl->nsf = 0;
		img->cur_slot = sl;
		n = produce(img, sl->data, img->slot_blocks);
		if (n > 0 && img->chunks) /* before the slot is published, outside the lock */
			chunk_hash(img, sl->data, (size_t)n);

		pthread_mutex_lock(&img->lock);
		if (n < 0) {
			img->err = (int)n;
			img->done = true;
		} else if (n == 0) {
			img->done = true;
		} else {
			sl->nblocks = (size_t)n;
			img->head++;
		}
		pthread_cond_broadcast(&img->can_get);
		pthread_mutex_unlock(&img->lock);
		if (n <= 0)
			break;
	}
	return NULL;
}

static void *hasher(void *arg)
{
	const struct hasher_arg *ha = arg;
	struct eng_image *img = ha->img;
	size_t *hashed = &img->hashed[ha->idx];

	for (;;) {
		struct slot *sl;

		pthread_mutex_lock(&img->lock);
		while (*hashed == img->head && !img->done && !img->stop)
			pthread_cond_wait(&img->can_get, &img->lock);
		if (img->stop || *hashed == img->head) { /* stopped, or all done */
			pthread_mutex_unlock(&img->lock);
			break;
		}
		sl = &img->slots[*hashed % img->nslots];
		pthread_mutex_unlock(&img->lock);

		/* the slot's pieces stay as they are until every hasher is past it */
		for (size_t i = 0; i < sl->nsf; i++)
			if (sl->sf[i].hasher == ha->idx)
				sha_apply(img, &sl->sf[i], sl->data + sl->sf[i].off);

		pthread_mutex_lock(&img->lock);
		(*hashed)++;
		pthread_cond_broadcast(&img->can_put);
		pthread_mutex_unlock(&img->lock);
	}
	return NULL;
}

/* Stop and join the hasher threads started (the producer is not running). */
static void hashers_stop(struct eng_image *img)
{
	pthread_mutex_lock(&img->lock);
	img->stop = true;
	pthread_cond_broadcast(&img->can_get);
	pthread_mutex_unlock(&img->lock);
	for (unsigned i = 0; i < img->nhashers; i++)
		pthread_join(img->hash_thread[i], NULL);
	img->nhashers = 0;
	img->hashing = false;
}

/* Start the hasher threads when there is a manifest to hash the files for. */
static int hashers_start(struct eng_image *img)
{
	int r;

	if (!img->md[0])
		return 0;
	for (unsigned i = 0; i < NHASHERS; i++) {
		img->hargs[i] = (struct hasher_arg){.img = img, .idx = i};
		r = -pthread_create(&img->hash_thread[i], NULL, hasher, &img->hargs[i]);
		if (r < 0) {
			hashers_stop(img);
			return bfs_diag_set(img->diag, r, "cannot start the hasher threads");
		}
		img->nhashers++;
	}
	img->hashing = true;
	return 0;
}

int eng_stream_start(struct eng_image *img)
{
	size_t ring = img->opts.ring_bytes ? img->opts.ring_bytes : 64u << 20;
	uint64_t need;
	int r;

	if (img->started)
		return -EALREADY;
	if (img->want_chunks) {
		img->nchunks = BFS_DIV_ROUND_UP(img->info.blocks, ENG_CHUNK_BLOCKS);
		img->chunks = bfs_new(struct eng_hash128, BFS_MAX(img->nchunks, (size_t)1));
		img->xxh = XXH3_createState();
		if (!img->chunks || !img->xxh)
			return -ENOMEM;
		(void)XXH3_128bits_reset(img->xxh);
	}
	if (img->manifest) {
		img->sha = calloc(BFS_MAX(img->nfiles, (size_t)1), sizeof(*img->sha));
		if (!img->sha)
			return -ENOMEM;
		for (unsigned i = 0; i < NHASHERS; i++) {
			img->md[i] = EVP_MD_CTX_new();
			if (!img->md[i])
				return -ENOMEM;
		}
	}
	img->slot_blocks = ring < (4u << 20) ? ENG_CHUNK_BLOCKS / 2 : ENG_CHUNK_BLOCKS;
	need = img->info.blocks / img->slot_blocks + 1;
	img->nslots = BFS_MAX(ring / (img->slot_blocks * BFS_BLOCK_SIZE), (size_t)2);
	if (need < img->nslots)
		img->nslots = BFS_MAX((size_t)need, (size_t)2);
	img->slots = bfs_new(struct slot, img->nslots);
	if (!img->slots)
		return -ENOMEM;
	for (size_t i = 0; i < img->nslots; i++) {
		img->slots[i].data = malloc(img->slot_blocks * BFS_BLOCK_SIZE);
		/* a piece per file: a file has at least a block of data in the slot */
		img->slots[i].sf = img->md[0] ? bfs_new(struct slot_file, img->slot_blocks) : NULL;
		if (!img->slots[i].data || (img->md[0] && !img->slots[i].sf))
			return -ENOMEM;
	}
	r = hashers_start(img);
	if (r < 0)
		return r;
	r = -pthread_create(&img->thread, NULL, producer, img);
	if (r < 0) {
		hashers_stop(img);
		return bfs_diag_set(img->diag, r, "cannot start the producer thread");
	}
	img->started = true;
	return 0;
}

ssize_t eng_stream_peek(struct eng_image *img, size_t nblocks, const uint8_t **ret_buf)
{
	struct slot *sl;

	if (!img->started || nblocks == 0)
		return -EINVAL;
	pthread_mutex_lock(&img->lock);
	while (img->head == img->tail && !img->done)
		pthread_cond_wait(&img->can_get, &img->lock);
	if (img->head == img->tail) { /* done */
		int err = img->err;

		pthread_mutex_unlock(&img->lock);
		if (err) {
			bfs_diag_set(img->diag, err, "%s", bfs_diag_msg(&img->pdiag, err));
			return err;
		}
		return 0;
	}
	sl = &img->slots[img->tail % img->nslots];
	pthread_mutex_unlock(&img->lock);
	*ret_buf = sl->data + img->rpos * BFS_BLOCK_SIZE;
	return (ssize_t)BFS_MIN(nblocks, sl->nblocks - img->rpos);
}

unsigned eng_stream_fill(struct eng_image *img)
{
	unsigned pct;

	if (!img->started)
		return 0;
	pthread_mutex_lock(&img->lock);
	pct = (unsigned)((img->head - img->tail) * 100 / img->nslots);
	pthread_mutex_unlock(&img->lock);
	return pct;
}

void eng_stream_consume(struct eng_image *img, size_t n)
{
	struct slot *sl = &img->slots[img->tail % img->nslots];

	img->rpos += n;
	img->delivered += n;
	if (img->rpos == sl->nblocks) {
		pthread_mutex_lock(&img->lock);
		img->rpos = 0;
		img->tail++;
		pthread_cond_broadcast(&img->can_put);
		pthread_mutex_unlock(&img->lock);
	}
}

ssize_t eng_stream_read(struct eng_image *img, uint8_t *buf, size_t nblocks)
{
	size_t got = 0;

	if (!img->started)
		return -EINVAL;
	pthread_mutex_lock(&img->lock);
	while (got < nblocks) {
		struct slot *sl;
		size_t n;

		while (img->head == img->tail && !img->done)
			pthread_cond_wait(&img->can_get, &img->lock);
		if (img->head == img->tail) { /* done */
			if (img->err && got == 0) {
				int err = img->err;

				pthread_mutex_unlock(&img->lock);
				bfs_diag_set(img->diag, err, "%s", bfs_diag_msg(&img->pdiag, err));
				return err;
			}
			break;
		}
		sl = &img->slots[img->tail % img->nslots];
		pthread_mutex_unlock(&img->lock);
		n = BFS_MIN(nblocks - got, sl->nblocks - img->rpos);
		memcpy(buf + got * BFS_BLOCK_SIZE, sl->data + img->rpos * BFS_BLOCK_SIZE,
		       n * BFS_BLOCK_SIZE);
		got += n;
		img->rpos += n;
		pthread_mutex_lock(&img->lock);
		if (img->rpos == sl->nblocks) {
			img->rpos = 0;
			img->tail++;
			pthread_cond_broadcast(&img->can_put);
		}
	}
	pthread_mutex_unlock(&img->lock);
	img->delivered += got;
	return (ssize_t)got;
}

uint64_t eng_stream_pos(const struct eng_image *img)
{
	return img->delivered;
}

struct eng_image *eng_image_free(struct eng_image *img)
{
	if (!img)
		return NULL;
	if (img->started) {
		pthread_mutex_lock(&img->lock);
		img->stop = true;
		pthread_cond_broadcast(&img->can_put);
		pthread_cond_broadcast(&img->can_get);
		pthread_mutex_unlock(&img->lock);
		pthread_join(img->thread, NULL);
		for (unsigned i = 0; i < img->nhashers; i++)
			pthread_join(img->hash_thread[i], NULL);
	}
	img_src_release(&img->src);
	for (size_t i = 0; img->slots && i < img->nslots; i++) {
		free(img->slots[i].data);
		free(img->slots[i].sf);
	}
	free(img->slots);
	free(img->meta);
	free(img->segs);
	free(img->files);
	free(img->chunks);
	free(img->sha);
	for (unsigned i = 0; i < NHASHERS; i++)
		EVP_MD_CTX_free(img->md[i]);
	XXH3_freeState(img->xxh);
	free(img->manifest_data);
	free(img->mlines);
	free(img->mchunks);
	free(img->mreuse);
	iso9660_writer_free(img->iso);
	udf_writer_free(img->udf);
	pthread_mutex_destroy(&img->lock);
	pthread_cond_destroy(&img->can_put);
	pthread_cond_destroy(&img->can_get);
	eng_boot_done(&img->boot);
	free(img);
	return NULL;
}

int eng_image_inplace(struct eng_image *img, struct eng_grow_inplace *ret)
{
	size_t n = img->udf ? udf_writer_ndeferred(img->udf) : 0;

	*ret = (struct eng_grow_inplace){0};
	if (!n)
		return 0;
	ret->v = calloc(n, sizeof(*ret->v));
	if (!ret->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct udf_deferred d;
		int r = udf_writer_deferred(img->udf, i, &d, ret->v[i].data);

		if (r < 0) {
			eng_grow_inplace_done(ret);
			return r;
		}
		ret->v[i].lba = d.lba;
		ret->v[i].mirror_lba = d.mirror_lba;
	}
	ret->n = n;
	return 0;
}
