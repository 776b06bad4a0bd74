/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UDF reader: directories. File Identifier Descriptors (ECMA-167 4/14.4) are checked all
 * together first (tag, CRC, location, lengths), so that a directory read through a damaged
 * metadata file can be read again through its mirror before any entry is handed out; then
 * each one's ICB is read and its name made a safe UTF-8 name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader-internal.h"

/* The block a FID starting at byte off of directory dir is recorded in: its tag location */
static uint32_t fid_location(const struct udf_entry *dir, uint64_t off, uint32_t bs)
{
	for (size_t i = 0; i < dir->nextents && !dir->inline_data; i++)
		if (off >= dir->ext[i].off && off - dir->ext[i].off < dir->ext[i].len)
			return (uint32_t)(dir->ext[i].lbn + (off - dir->ext[i].off) / bs);
	return dir->icb_lbn;
}

static size_t fid_len(const uint8_t *f)
{
	return BFS_ROUND_UP(UDF_FID_SIZE + (size_t)bfs_get_le16(f + UDF_FID_L_IU) + f[UDF_FID_L_FI],
			    4u);
}

/* Every FID of the directory's data d (size bytes) well formed: their number */
static long fids_check(struct udf_reader *r, const struct udf_entry *dir, const uint8_t *d,
		       size_t size)
{
	static const uint16_t ids[] = {UDF_TAG_FID};
	size_t off = 0;
	long n = 0;

	while (off < size) {
		const uint8_t *f = d + off;
		uint32_t loc = fid_location(dir, off, r->bs);

		if (size - off < UDF_FID_SIZE || off + fid_len(f) > size)
			return BFS_CORRUPT(
				r->diag,
				"UDF: directory at block %u: FID at byte %zu runs past the directory's end (%zu bytes)",
				dir->icb_lbn, off, size);
		if (udf_tag_check(r, f, fid_len(f), ids, 1, loc, "FID", loc) < 0)
			return r->diag->err;
		if (++n > (long)UDF_DIR_ENTRIES_MAX)
			return BFS_CORRUPT(r->diag,
					   "UDF: directory at block %u: more than %u entries",
					   dir->icb_lbn, UDF_DIR_ENTRIES_MAX);
		off += fid_len(f);
	}
	return n;
}

/* A name a path can hold: no '/', no NUL, not "" or "." or ".."; *changed says so */
static void sanitise(char *name, size_t *len, bool *changed)
{
	for (size_t i = 0; i < *len; i++) {
		if (name[i] == '/' || name[i] == 0) {
			name[i] = '_';
			*changed = true;
		}
	}
	if (*len == 0 || (*len <= 2 && !strncmp(name, "..", *len))) {
		memcpy(name + *len, "_", 2);
		(*len)++;
		*changed = true;
	}
}

/* The name as recorded, for a message: NULs shown as \0 */
static void shown(const char *name, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 3 < cap; i++) {
		if (name[i]) {
			out[o++] = name[i];
		} else {
			out[o++] = '\\';
			out[o++] = '0';
		}
	}
	out[o] = 0;
}

static int fid_name(struct udf_reader *r, const struct udf_entry *dir, const uint8_t *f,
		    struct udf_entry *e)
{
	const uint8_t *id = f + UDF_FID_SIZE + bfs_get_le16(f + UDF_FID_L_IU);
	long n = udf_cs0_to_utf8(id, f[UDF_FID_L_FI], e->name, UDF_NAME_MAX - 1, &e->name_changed);
	char was[2 * UDF_NAME_MAX + 1];

	if (n < 0)
		return BFS_CORRUPT(r->diag,
				   "UDF: directory at block %u: a name with compression ID %u",
				   dir->icb_lbn, id[0]);
	e->name_len = (size_t)n;
	shown(e->name, e->name_len, was, sizeof(was));
	sanitise(e->name, &e->name_len, &e->name_changed);
	if (e->name_changed)
		bfs_diag_warn(
			r->diag,
			"UDF: directory at block %u: name '%s' listed as '%s' (a path cannot hold it)",
			dir->icb_lbn, was, e->name);
	return 0;
}

static int fids_emit(struct udf_reader *r, const struct udf_entry *dir, const uint8_t *d,
		     size_t size, udf_dir_fn fn, void *userdata)
{
	for (size_t off = 0; off < size; off += fid_len(d + off)) {
		const uint8_t *f = d + off;
		struct udf_entry e;
		int ret;

		if (f[UDF_FID_CHARS] & (UDF_FID_DELETED | UDF_FID_PARENT) ||
		    bfs_get_le32(f + UDF_FID_ICB) == 0)
			continue; /* deleted, the parent, or no ICB */
		ret = udf_load_entry(r, bfs_get_le16(f + UDF_FID_ICB + UDF_LONG_AD_PART),
				     bfs_get_le32(f + UDF_FID_ICB + UDF_LONG_AD_LBN), &e);
		if (ret == 0)
			ret = fid_name(r, dir, f, &e);
		e.hidden = f[UDF_FID_CHARS] & 1;
		if (ret == 0)
			ret = fn(&e, userdata);
		udf_entry_done(&e);
		if (ret)
			return ret;
	}
	return 0;
}

static int dir_data(struct udf_reader *r, const struct udf_entry *dir, uint8_t **ret)
{
	uint8_t *d = malloc(dir->size + 1);
	int64_t n;

	if (!d)
		return bfs_diag_set(r->diag, -ENOMEM, "UDF: directory of %llu bytes",
				    (unsigned long long)dir->size);
	n = udf_reader_pread(r, dir, 0, d, (size_t)dir->size);
	if (n >= 0 && (uint64_t)n != dir->size)
		n = BFS_CORRUPT(r->diag,
				"UDF: directory at block %u: %lld of its %llu bytes recorded",
				dir->icb_lbn, (long long)n, (unsigned long long)dir->size);
	if (n < 0) {
		free(d);
		return (int)n;
	}
	*ret = d;
	return 0;
}

int udf_reader_readdir(struct udf_reader *r, const struct udf_entry *dir, udf_dir_fn fn,
		       void *userdata)
{
	_cleanup_free_ uint8_t *d = NULL;
	const struct udf_map *m;
	int ret;

	if (dir->type != BFS_NODE_DIR)
		return bfs_diag_set(r->diag, -ENOTDIR, "UDF: '%s' is not a directory", dir->name);
	ret = dir_data(r, dir, &d);
	if (ret == 0 && (ret = (int)fids_check(r, dir, d, (size_t)dir->size)) >= 0)
		return fids_emit(r, dir, d, (size_t)dir->size, fn, userdata);
	m = dir->icb_part < r->nmaps ? &r->maps[dir->icb_part] : NULL;
	if (ret != -BFS_EFSCORRUPTED || !m || m->kind != UDF_MAP_METADATA || !m->has_mirror ||
	    r->meta_copy)
		return ret;
	bfs_diag_warn(r->diag, "%s; reading the metadata mirror file from here on",
		      bfs_diag_msg(r->diag, ret));
	bfs_diag_clear(r->diag);
	r->meta_copy = 1;
	free(d);
	d = NULL;
	ret = dir_data(r, dir, &d);
	if (ret == 0 && (ret = (int)fids_check(r, dir, d, (size_t)dir->size)) >= 0)
		return fids_emit(r, dir, d, (size_t)dir->size, fn, userdata);
	return ret;
}

struct find {
	const char *name;
	size_t len;
	bool found;
	uint16_t part;
	uint32_t lbn;
	char exact[UDF_NAME_MAX + 1];
};

static int find_one(const struct udf_entry *e, void *userdata)
{
	struct find *f = userdata;

	if (e->name_len != f->len || memcmp(e->name, f->name, f->len) != 0)
		return 0;
	f->found = true;
	f->part = e->icb_part;
	f->lbn = e->icb_lbn;
	memcpy(f->exact, e->name, e->name_len + 1);
	return 1;
}

int udf_reader_lookup(struct udf_reader *r, const char *path, struct udf_entry *ret)
{
	unsigned depth = 0;
	int err = udf_reader_root(r, ret);

	while (err == 0) {
		struct find f = {0};
		const char *c;

		while (*path == '/')
			path++;
		if (!*path)
			return 0;
		if (++depth > UDF_PATH_DEPTH_MAX)
			err = bfs_diag_set(r->diag, -ELOOP, "UDF: path of more than %u components",
					   UDF_PATH_DEPTH_MAX);
		c = strchrnul(path, '/');
		f.name = path;
		f.len = (size_t)(c - path);
		if (err == 0)
			err = udf_reader_readdir(r, ret, find_one, &f);
		udf_entry_done(ret);
		if (err < 0)
			return err;
		if (!f.found)
			return bfs_diag_set(r->diag, -ENOENT, "UDF: '%.*s' not found", (int)f.len,
					    path);
		err = udf_load_entry(r, f.part, f.lbn, ret);
		if (err == 0) {
			memcpy(ret->name, f.exact, f.len + 1);
			ret->name_len = f.len;
		}
		path = c;
	}
	return err;
}
