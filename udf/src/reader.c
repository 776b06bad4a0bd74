/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UDF reader: opening and closing a volume, its root, and reading a file's bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader-internal.h"

void udf_entry_done(struct udf_entry *e)
{
	free(e->target);
	free(e->inline_data);
	free(e->ext);
	memset(e, 0, sizeof(*e));
}

int udf_reader_open(udf_read_fn read, void *userdata, uint64_t total_sectors,
		    uint64_t session_start, uint32_t block_size, struct bfs_diag *diag,
		    struct udf_reader **ret)
{
	struct udf_reader *r = calloc(1, sizeof(*r));
	int err;

	*ret = NULL;
	if (!r)
		return bfs_diag_set(diag, -ENOMEM, "UDF: reader");
	r->read = read;
	r->userdata = userdata;
	r->diag = diag ? diag : &r->own_diag;
	r->scratch = malloc(4096); /* the largest block */
	if (!r->scratch)
		err = bfs_diag_set(r->diag, -ENOMEM, "UDF: reader buffer");
	else
		err = udf_volume_open(r, total_sectors, session_start, block_size);
	if (err < 0) {
		udf_reader_free(r);
		return err;
	}
	*ret = r;
	return 0;
}

struct udf_reader *udf_reader_free(struct udf_reader *r)
{
	if (!r)
		return NULL;
	udf_maps_free(r);
	free(r->scratch);
	free(r);
	return NULL;
}

void udf_reader_set_diag(struct udf_reader *r, struct bfs_diag *diag)
{
	r->diag = diag ? diag : &r->own_diag;
}

void udf_reader_info(const struct udf_reader *r, struct udf_volume_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->volume_id, r->volume_id, sizeof(ret->volume_id));
	ret->block_size = r->bs;
	ret->udf_revision = r->revision;
	ret->anchor = r->anchor;
	ret->nmaps = r->nmaps;
	for (unsigned i = 0; i < r->nmaps; i++) {
		ret->has_sparable |= r->maps[i].kind == UDF_MAP_SPARABLE;
		ret->has_metadata |= r->maps[i].kind == UDF_MAP_METADATA;
		ret->has_vat |= r->maps[i].kind == UDF_MAP_VIRTUAL;
		if (r->maps[i].kind == UDF_MAP_PHYS && !ret->has_phys) {
			ret->has_phys = true;
			ret->phys_start = r->maps[i].start;
		}
	}
	ret->metadata_mirror_used = r->meta_copy == 1;
}

int udf_reader_metadata_runs(const struct udf_reader *r, unsigned copy, struct udf_run *ret,
			     size_t cap, size_t *n, uint64_t *blocks)
{
	const struct udf_map *m = NULL;

	for (unsigned i = 0; i < r->nmaps && !m; i++)
		if (r->maps[i].kind == UDF_MAP_METADATA)
			m = &r->maps[i];
	if (!m || copy > 1 || (copy && !m->has_mirror))
		return -ENOENT;
	if (m->nmeta[copy] > cap)
		return -E2BIG;
	*blocks = 0;
	for (size_t i = 0; i < m->nmeta[copy]; i++) {
		const struct udf_extent *x = &m->meta[copy][i];

		if (x->len % r->bs || (x->kind == UDF_EXT_RECORDED && x->part != m->under) ||
		    x->kind == UDF_EXT_UNRECORDED)
			return -EXDEV;
		ret[i] = (struct udf_run){.lbn = x->kind == UDF_EXT_SPARSE ? UDF_RUN_HOLE : x->lbn,
					  .blocks = x->len / r->bs};
		*blocks += ret[i].blocks;
	}
	*n = m->nmeta[copy];
	return 0;
}

int udf_reader_file_extent(struct udf_reader *r, const struct udf_entry *e, uint64_t *abs)
{
	uint64_t first = 0, next = 0;

	if (e->size == 0)
		return -ENODATA;
	if (r->bs != 2048 || e->inline_data || !e->nextents)
		return -EXDEV;
	for (size_t i = 0; i < e->nextents; i++) {
		const struct udf_extent *x = &e->ext[i];
		uint32_t nb = (uint32_t)((x->len + r->bs - 1) / r->bs), run = 0;
		uint64_t at;
		int q;

		if (x->kind != UDF_EXT_RECORDED || !nb)
			return -EXDEV;
		/* the extent must map to one run on the medium, and follow the previous one */
		q = udf_map_block(r, x->part, x->lbn, nb, &at, &run);
		if (q < 0)
			return q;
		if (run < nb || (i && at != next) || (i && e->ext[i - 1].len % r->bs))
			return -EXDEV;
		if (!i)
			first = at;
		next = at + nb;
	}
	*abs = first;
	return 0;
}

int udf_reader_root(struct udf_reader *r, struct udf_entry *ret)
{
	return udf_load_entry(r, r->root_part, r->root_lbn, ret);
}

/* The extent holding byte off (extents are in file order), or NULL */
static const struct udf_extent *extent_at(const struct udf_entry *e, uint64_t off)
{
	size_t lo = 0, hi = e->nextents;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct udf_extent *x = &e->ext[mid];

		if (off < x->off)
			hi = mid;
		else if (off - x->off >= x->len)
			lo = mid + 1;
		else
			return x;
	}
	return NULL;
}

/* Up to len bytes from within extent x at file offset off: the bytes copied */
static int64_t read_extent(struct udf_reader *r, const struct udf_extent *x, uint64_t off,
			   uint8_t *buf, size_t len)
{
	uint64_t in = off - x->off, abs;
	uint32_t boff = (uint32_t)(in % r->bs), run;
	size_t n = (size_t)BFS_MIN((uint64_t)len, x->len - in);

	if (x->kind != UDF_EXT_RECORDED) {
		memset(buf, 0, n);
		return (int64_t)n;
	}
	if (boff == 0 && n >= r->bs) {
		uint32_t want = (uint32_t)BFS_MIN(n / r->bs, (size_t)256);

		if (udf_map_block(r, x->part, (uint32_t)(x->lbn + in / r->bs), want, &abs, &run) <
			    0 ||
		    udf_read_abs(r, abs, run, buf) < 0)
			return r->diag->err;
		return (int64_t)run * r->bs;
	}
	if (udf_map_block(r, x->part, (uint32_t)(x->lbn + in / r->bs), 1, &abs, &run) < 0 ||
	    udf_read_abs(r, abs, 1, r->scratch) < 0)
		return r->diag->err;
	n = BFS_MIN(n, (size_t)(r->bs - boff));
	memcpy(buf, r->scratch + boff, n);
	return (int64_t)n;
}

int64_t udf_reader_pread(struct udf_reader *r, const struct udf_entry *e, uint64_t off, void *buf,
			 size_t len)
{
	uint8_t *p = buf;
	size_t done = 0;

	if (off >= e->size)
		return 0;
	len = (size_t)BFS_MIN((uint64_t)len, e->size - off);
	if (e->inline_data) {
		memcpy(buf, e->inline_data + off, len);
		return (int64_t)len;
	}
	while (done < len) {
		const struct udf_extent *x = extent_at(e, off + done);
		int64_t n;

		if (!x)
			return BFS_CORRUPT(
				r->diag,
				"UDF: file at block %u: no extent holds byte %llu of its %llu",
				e->icb_lbn, (unsigned long long)(off + done),
				(unsigned long long)e->size);
		n = read_extent(r, x, off + done, p + done, len - done);
		if (n < 0)
			return n;
		done += (size_t)n;
	}
	return (int64_t)done;
}
