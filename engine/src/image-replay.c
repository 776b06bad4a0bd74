/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --boot-replay: an existing ISO's boot setup read back with our own readers (engine/image.h
 * eng_boot_replay_read): the boot record, the catalog's entries, the image path of the
 * file at each entry's block (and of the catalog, when a tree shows it) and, for a hybrid
 * image, the MBR's boot code. What xorriso's "-boot_image any replay" keeps and
 * recomputes is in reference/boot-audio.md §3: everything address-bound is recomputed here
 * by planning the new image with the same options.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "engine/image.h"
#include "engine/imagefile.h"
#include "iso9660/eltorito.h"
#include "iso9660/hybrid.h"
#include "iso9660/reader.h"

#define VD_SCAN_MAX    64u /* volume descriptors looked at before the terminator */
#define WALK_DEPTH_MAX 64u /* directories deep, looking for the boot files */
#define WALK_NODES_MAX 1000000u

/* What the walk looks for: the files whose data starts at these blocks. */
struct replay_walk {
	struct iso9660_reader *r;
	uint32_t lba[3]; /* bios, efi, catalog; 0: not looked for */
	char *path[3];
	char prefix[4096];
	size_t plen;
	unsigned depth;
	size_t nodes;
	char volume_id[33];
};

static int walk_dir(struct replay_walk *w, const struct iso9660_entry *dir);

static int walk_visit(const struct iso9660_entry *e, void *userdata)
{
	struct replay_walk *w = userdata;
	size_t old = w->plen;
	int r = 0;

	if (++w->nodes > WALK_NODES_MAX)
		return -E2BIG;
	if (w->plen + 1 + e->name_len >= sizeof(w->prefix))
		return 0; /* a path longer than any boot file's */
	w->prefix[w->plen++] = '/';
	memcpy(w->prefix + w->plen, e->name, e->name_len);
	w->plen += e->name_len;
	w->prefix[w->plen] = '\0';
	if (e->type == BFS_NODE_FILE && e->nextents > 0) {
		for (size_t k = 0; k < 3; k++)
			if (w->lba[k] && !w->path[k] && e->ext[0].lba == w->lba[k] &&
			    !(w->path[k] = strdup(w->prefix)))
				r = -ENOMEM;
	} else if (e->type == BFS_NODE_DIR && w->depth < WALK_DEPTH_MAX) {
		w->depth++;
		r = walk_dir(w, e);
		w->depth--;
	}
	w->plen = old;
	w->prefix[old] = '\0';
	return r;
}

static int walk_dir(struct replay_walk *w, const struct iso9660_entry *dir)
{
	return iso9660_reader_readdir(w->r, dir, walk_visit, w);
}

/* The boot record's catalog block, from the descriptor set at 16. */
static int find_catalog(struct eng_imagefile *f, const char *iso, uint32_t *ret,
			struct bfs_diag *diag)
{
	uint8_t b[2048];

	for (uint32_t i = 16; i < 16 + VD_SCAN_MAX; i++) {
		int r = eng_imagefile_read(f, i, 1, b);

		if (r < 0)
			return bfs_diag_set(diag, r, "--boot-replay '%s': reading block %u: %s",
					    iso, i, strerror(-r));
		if (iso9660_eltorito_is_brvd(b, ret))
			return 0;
		if (b[0] == 255)
			break;
	}
	return bfs_diag_set(diag, -EINVAL, "--boot-replay '%s': no El Torito boot record", iso);
}

/* The catalog's BIOS and EFI entries (the only kinds this writer makes). */
static int read_entries(struct eng_imagefile *f, const char *iso, uint32_t cat,
			struct replay_walk *w, struct bfs_diag *diag)
{
	struct eltorito_entry e[ELTORITO_MAX_ENTRIES];
	uint8_t b[2048];
	size_t n = 0;
	int r;

	r = eng_imagefile_read(f, cat, 1, b);
	if (r == 0)
		r = iso9660_eltorito_parse(b, e, ELTORITO_MAX_ENTRIES, &n);
	if (r < 0)
		return bfs_diag_set(diag, r, "--boot-replay '%s': boot catalog at block %u: %s",
				    iso, cat, r == -BFS_EFSCORRUPTED ? "damaged" : strerror(-r));
	if (n == 0)
		return bfs_diag_set(diag, -EINVAL,
				    "--boot-replay '%s': its boot catalog has no entry", iso);
	for (size_t i = 0; i < n; i++) {
		int k = e[i].platform == ELTORITO_PLATFORM_X86	 ? 0
			: e[i].platform == ELTORITO_PLATFORM_EFI ? 1
								 : -1;

		if (k < 0 || e[i].media != ELTORITO_MEDIA_NOEMUL || w->lba[k])
			return bfs_diag_set(
				diag, -EOPNOTSUPP,
				"--boot-replay '%s': catalog entry %zu (platform %02Xh, "
				"emulation %u) is not one burnfs writes (one no-emulation "
				"BIOS and one EFI entry)",
				iso, i + 1, e[i].platform, e[i].media);
		/* found by their block in the tree: one in the system area would be "none" */
		if (e[i].lba < 16)
			return bfs_diag_set(
				diag, -BFS_EFSCORRUPTED,
				"--boot-replay '%s': catalog entry %zu points at block %u, "
				"in the system area, not at a file",
				iso, i + 1, e[i].lba);
		w->lba[k] = e[i].lba;
	}
	w->lba[2] = cat;
	return 0;
}

/* A hybrid image: an MBR whose boot field points at the BIOS file; keep its code. */
static int read_system_area(struct eng_imagefile *f, uint32_t bios_lba, struct eng_boot_replay *ret)
{
	uint8_t b[2048];
	int r = eng_imagefile_read(f, 0, 1, b);

	if (r < 0)
		return r;
	if (b[HYBRID_MBR_SIG] != 0x55 || b[HYBRID_MBR_SIG + 1] != 0xAA || !bios_lba ||
	    bfs_get_le64(b + HYBRID_MBR_BOOT_LBA) != (uint64_t)bios_lba * 4)
		return 0;
	ret->hybrid = true;
	memcpy(ret->mbr_code, b, HYBRID_MBR_CODE_LEN);
	return 0;
}

static int replay_walk(struct eng_imagefile *f, const char *iso, struct replay_walk *w,
		       struct bfs_diag *diag)
{
	const struct iso9660_reader_opts ro = {.view = ISO9660_VIEW_AUTO};
	_cleanup_(iso9660_reader_freep) struct iso9660_reader *rd = NULL;
	struct iso9660_entry root = {0};
	struct iso9660_volume_info vi;
	int r;

	r = iso9660_reader_open(eng_imagefile_read, f, &ro, diag, &rd);
	if (r < 0)
		return bfs_diag_prefix(diag, r, "--boot-replay '%s'", iso);
	iso9660_reader_info(rd, &vi);
	memcpy(w->volume_id, vi.volume_id, sizeof(w->volume_id));
	r = iso9660_reader_root(rd, &root);
	w->r = rd;
	if (r == 0)
		r = walk_dir(w, &root);
	iso9660_entry_done(&root);
	if (r < 0)
		return bfs_diag_prefix(diag, r, "--boot-replay '%s': reading its tree", iso);
	return 0;
}

int eng_boot_replay_read(const char *iso, struct eng_boot_replay *ret, struct bfs_diag *diag)
{
	struct eng_imagefile f;
	struct replay_walk w = {0};
	uint32_t cat = 0;
	int r;

	*ret = (struct eng_boot_replay){0};
	r = eng_imagefile_open(iso, 0, &f, diag);
	if (r < 0)
		return bfs_diag_prefix(diag, r, "--boot-replay");
	r = find_catalog(&f, iso, &cat, diag);
	if (r == 0)
		r = read_entries(&f, iso, cat, &w, diag);
	if (r == 0)
		r = replay_walk(&f, iso, &w, diag);
	if (r == 0 && ((w.lba[0] && !w.path[0]) || (w.lba[1] && !w.path[1])))
		r = bfs_diag_set(diag, -EOPNOTSUPP,
				 "--boot-replay '%s': a boot image is in no directory of its tree "
				 "(a hidden image: not kept)",
				 iso);
	if (r == 0)
		r = read_system_area(&f, w.lba[0], ret);
	eng_imagefile_close(&f);
	ret->bios = w.path[0];
	ret->efi = w.path[1];
	ret->catalog = w.path[2];
	memcpy(ret->volume_id, w.volume_id, sizeof(ret->volume_id));
	if (r < 0)
		eng_boot_replay_done(ret);
	return r;
}

void eng_boot_replay_done(struct eng_boot_replay *r)
{
	free(r->bios);
	free(r->efi);
	free(r->catalog);
	r->bios = r->efi = r->catalog = NULL;
}

void eng_boot_replay_opts(const struct eng_boot_replay *r, struct eng_boot_opts *o)
{
	*o = (struct eng_boot_opts){
		.bios = r->bios,
		.efi = r->efi,
		.catalog = r->catalog,
		.hybrid = r->hybrid,
		.mbr_code = r->hybrid ? r->mbr_code : NULL,
	};
}
