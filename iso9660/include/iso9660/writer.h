/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ISO 9660 (ECMA-119) + Joliet + Rock Ridge (RRIP 1.12 on SUSP 1.12) image writer.
 *
 * Plan-then-write, after libisofs: the engine creates the writer over a finalized
 * struct bfs_node tree, lets it take blocks from the shared block cursor in two steps
 * (volume descriptors at session start + 16, then path tables, directories and Rock Ridge
 * continuation areas), assigns file data itself (bfs_node.data_lba, absolute), sets the
 * volume size, and then asks the writer to render each extent it recorded, in LBA order.
 *
 * The writer never reads file data and never talks to a device. Not thread-safe.
 */
#ifndef ISO9660_WRITER_H
#define ISO9660_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/extent.h"
#include "common/tree.h"

struct iso9660_writer;

struct iso9660_writer_opts {
	bool joliet;	  /* write a Joliet SVD and tree */
	bool rockridge;	  /* write SUSP/RRIP entries in the primary tree */
	unsigned level;	  /* interchange level 2 or 3; 3 allows multi-extent files >= 4 GiB */
	bool rr_relocate; /* relocate directories deeper than 8 levels (CL/PL/RE) instead of
			     writing deep paths */
	bool boot_record; /* an El Torito boot record after the PVD (iso9660/eltorito.h) */
};

/*
 * Build the writer's in-memory model of the tree: ISO and Joliet names (mapped, collisions
 * resolved), record sizes, Rock Ridge entries. Borrows root and opts for the writer's life.
 * Errors: -EINVAL (bad options), -ENOMEM, -EFBIG (a file >= 4 GiB at level 2), -EMLINK (more
 * than 65535 directories: no valid path table), each with a message in diag naming the path.
 * On success *ret owns a new writer, freed with iso9660_writer_free().
 */
int iso9660_writer_new(const struct iso9660_writer_opts *opts, struct bfs_node *root,
		       struct bfs_diag *diag, struct iso9660_writer **ret) BFS_WARN_UNUSED;

/* Free the writer and the scratch it put in the tree's fs_priv slots. NULL-safe. */
struct iso9660_writer *iso9660_writer_free(struct iso9660_writer *w);
BFS_DEFINE_FREEP(struct iso9660_writer, iso9660_writer_free)

/*
 * Step 1: take the volume descriptors (PVD, Joliet SVD when enabled, set terminator) from
 * *cursor, which must be session start + 16. Advances *cursor.
 */
int iso9660_writer_plan_descriptors(struct iso9660_writer *w, uint64_t *cursor) BFS_WARN_UNUSED;

/*
 * Step 2: take path tables (L and M per tree), directories and continuation areas from
 * *cursor. Advances *cursor.
 */
int iso9660_writer_plan_meta(struct iso9660_writer *w, uint64_t *cursor) BFS_WARN_UNUSED;

/*
 * Step 3, after the engine has set data_lba on every file with data and knows the absolute
 * volume size: fix the facts that rendering needs. vi is borrowed until the writer is freed.
 */
int iso9660_writer_finish(struct iso9660_writer *w,
			  const struct bfs_volume_info *vi) BFS_WARN_UNUSED;

/* The El Torito catalog's LBA, for the boot record (opts.boot_record), before rendering. */
void iso9660_writer_set_boot_catalog(struct iso9660_writer *w, uint32_t lba);

/* The primary volume descriptor's LBA, after step 1 (the boot info table's bi_pvd). */
uint64_t iso9660_writer_pvd_lba(const struct iso9660_writer *w);

/* The extents recorded by the plan steps, sorted by LBA; borrowed, valid until free. */
const struct bfs_extent_list *iso9660_writer_extents(const struct iso9660_writer *w);

/*
 * Render extent e (one of iso9660_writer_extents()) into buf, which holds
 * e->nblocks * BFS_BLOCK_SIZE bytes. Every byte of buf is written. -EINVAL on a foreign
 * extent, -ENOMEM.
 */
int iso9660_writer_fill(struct iso9660_writer *w, const struct bfs_extent *e,
			uint8_t *buf) BFS_WARN_UNUSED;

#endif
