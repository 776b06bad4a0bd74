/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UDF (ECMA-167 3rd edition + OSTA UDF 1.02 / 2.01 / 2.50) image writer, for bridge images
 * whose file data is shared with the ISO 9660 trees.
 *
 * Plan-then-write like iso9660/writer.h. Order of the engine's calls, each taking blocks
 * from the shared absolute block cursor:
 *	iso9660 descriptors (S+16...)   -> udf_writer_plan_vrs    (BEA01, NSR0x, TEA01)
 *	udf_writer_plan_vds                (main VDS, reserve VDS, LVID at >= S+32; AVDP at
 *	                                    S+256; the partition starts at S+257 unless
 *	                                    opts.partition_start says otherwise)
 *	udf_writer_plan_meta               (FSD, ICBs, directory data; for 2.50 the metadata
 *	                                    file extent and its mirror, 32-block aligned)
 *	iso9660 meta, then file data       (engine; every data extent lies in the partition)
 *	udf_writer_plan_tail               (partition end; a closing AVDP as the last block of
 *	                                    the volume)
 *	udf_writer_finish, then extents/fill.
 *
 * Not thread-safe.
 */
#ifndef UDF_WRITER_H
#define UDF_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/extent.h"
#include "common/tree.h"
#include "udf/layout.h"

struct udf_writer;

/* The (E)FE of an unchanged file in the earlier volume. */
struct udf_prior_icb {
	uint32_t lbn;	    /* its block in the partition holding metadata */
	uint32_t nlink;	    /* its file link count */
	uint64_t unique_id; /* its unique id (FIDs carry the low 32 bits) */
};

/* Runs of an earlier metadata file an append can begin the new one with (an EFE's ADs). */
#define UDF_PRIOR_RUNS_MAX 200u

/*
 * The (E)FE of a directory of the earlier volume that is, by path, a directory of the new
 * tree (2.50 write-once appends): the new volume keeps its metadata-partition block.
 */
struct udf_prior_dir {
	uint32_t lbn;	    /* its (E)FE, in the metadata partition */
	uint32_t data_lbn;  /* its FIDs: one run of the metadata partition from this block */
	uint64_t data_len;  /* their bytes */
	uint32_t nlink;	    /* its link count as stat() gives it (the entry's + 1) */
	uint64_t unique_id; /* its unique id */
	bool same_entry;    /* the node's mode, owner and times are the entry's */
};

/*
 * What an append keeps of the earlier session's volume (engine/append.h), so that a session
 * costs its new data and the metadata that changed, not a file entry per file of the disc:
 * a FID of the new tree points at the earlier (E)FE of an unchanged regular file, and on
 * 2.50 write-once media at that of an unchanged directory (dir). That is done only when the
 * earlier volume has the new one's revision and physical partition start (every address in
 * the entry stays right), and, for 2.50, when the new metadata file can begin with the
 * earlier one's runs (so that their blocks keep their metadata-partition numbers; the
 * mirror likewise) in at most UDF_PRIOR_RUNS_MAX runs: a changed directory's block split
 * out of them (remapped) takes two more, the gap of a linear file one; past that, every
 * directory is written again (a note in the log), and past it without them every entry.
 */
struct udf_prior {
	uint16_t revision;   /* the earlier volume's */
	uint64_t part_start; /* its physical partition's first block (absolute) */
	uint64_t next_uid;   /* above every unique id it used */
	/* the entry of an unchanged file (BFS_NODE_PRIOR): 0 and *ret, or < 0 for a new one */
	int (*icb)(const struct bfs_node *n, void *userdata, struct udf_prior_icb *ret);
	void *userdata;
	/*
	 * 2.50: the earlier metadata file's runs and its mirror's, in the physical partition
	 * (lbn UDF_RUN_HOLE: blocks neither recorded nor allocated)
	 */
	struct udf_run meta[UDF_PRIOR_RUNS_MAX], mirror[UDF_PRIOR_RUNS_MAX];
	size_t nmeta, nmirror;
	uint64_t meta_blocks; /* the earlier metadata file's length */
	/*
	 * 2.50 on write-once media, or NULL: the earlier entry of directory n (0 and *ret, or
	 * < 0). Such a directory keeps its block number: unchanged (dir_same says its FIDs are
	 * the earlier ones, same_entry) nothing is written, changed its new (E)FE is written
	 * elsewhere and the new metadata file maps the old block number to it, so that neither
	 * its parent nor its subdirectories' ".." change.
	 */
	int (*dir)(const struct bfs_node *n, void *userdata, struct udf_prior_dir *ret);
	/* whether fids, len bytes, are byte for byte the earlier FIDs of directory n */
	bool (*dir_same)(const struct bfs_node *n, void *userdata, const uint8_t *fids, size_t len);
	/*
	 * 2.50 where the head is rewritten (overwritable media, image files): the new metadata
	 * file is linear, block k at the physical block of its first run + k (libudfread reads
	 * only the first allocation descriptor), the gaps "not recorded, not allocated"
	 */
	bool linear;
	/*
	 * linear, with dir: the caller writes the deferred blocks (udf_writer_deferred) after
	 * the head. A directory keeps its block as on write-once media, unchanged nothing is
	 * written, changed its new (E)FE is written over the earlier one, in the earlier
	 * metadata file and its mirror: a linear file can map no block elsewhere.
	 */
	bool inplace;
};

/* UDF revision as the spec's BCD: 0x0102, 0x0201, 0x0250. */
struct udf_writer_opts {
	uint16_t revision;
	/*
	 * With has_partition_start, the absolute first block of the partition (0 included);
	 * without, session start + 257, right after the anchor. An appended session (the IMAPI layout, formats.md 5.1) passes the first
	 * session's partition start, so that file data of earlier sessions (BFS_NODE_PRIOR)
	 * lies inside the one partition; the partition then also spans this session's own
	 * descriptors, which is legal for a read-only partition.
	 */
	bool has_partition_start;
	uint64_t partition_start;
	/* an append's earlier volume (borrowed until the writer is freed), or NULL */
	const struct udf_prior *prior;
};

/*
 * Build the writer's model of the tree (CS0 names, FIDs, ICB sizes). Borrows opts and
 * root for the writer's life. Errors: -EINVAL (unsupported revision), -ENOMEM; nodes UDF
 * cannot record (device, fifo and socket nodes) are skipped with a warning in diag.
 */
int udf_writer_new(const struct udf_writer_opts *opts, struct bfs_node *root, struct bfs_diag *diag,
		   struct udf_writer **ret) BFS_WARN_UNUSED;

/* Free the writer and its fs_priv scratch. NULL-safe. */
struct udf_writer *udf_writer_free(struct udf_writer *w);

/* Its failures and warnings go to diag from now on (made in one thread, used in another). */
void udf_writer_set_diag(struct udf_writer *w, struct bfs_diag *diag);
BFS_DEFINE_FREEP(struct udf_writer, udf_writer_free)

/* Volume Recognition Sequence: three blocks right after the ISO set terminator. */
int udf_writer_plan_vrs(struct udf_writer *w, uint64_t *cursor) BFS_WARN_UNUSED;

/*
 * Main and reserve VDS and the integrity sequence from max(*cursor, session_start + 32),
 * then the AVDP at session_start + 256. -ENOSPC (a bug) when they do not fit below it.
 * Leaves *cursor at session_start + 257, where the file set begins. -EINVAL when
 * opts.partition_start lies above that block.
 */
int udf_writer_plan_vds(struct udf_writer *w, uint64_t session_start,
			uint64_t *cursor) BFS_WARN_UNUSED;

/* File set, ICBs and directory data (or the 2.50 metadata file). Advances *cursor. */
int udf_writer_plan_meta(struct udf_writer *w, uint64_t *cursor) BFS_WARN_UNUSED;

/* After file data: the partition end and the closing AVDP. */
int udf_writer_plan_tail(struct udf_writer *w, uint64_t *cursor) BFS_WARN_UNUSED;

/* As iso9660_writer_finish(). */
int udf_writer_finish(struct udf_writer *w, const struct bfs_volume_info *vi) BFS_WARN_UNUSED;

/*
 * A block of the earlier volume that an append with prior.inplace writes over, after the
 * new head: a changed directory's new (E)FE, at its block of the earlier metadata file and
 * of the earlier mirror (UINT64_MAX when that is no block of its own). Absolute LBAs.
 */
struct udf_deferred {
	uint64_t lba, mirror_lba;
};

/* How many deferred blocks there are (after udf_writer_plan_meta). */
size_t udf_writer_ndeferred(const struct udf_writer *w);

/* The i-th deferred block: where, and its 2048 bytes into block. After udf_writer_finish. */
int udf_writer_deferred(struct udf_writer *w, size_t i, struct udf_deferred *ret,
			uint8_t *block) BFS_WARN_UNUSED;

/* As iso9660_writer_extents() / iso9660_writer_fill(). */
const struct bfs_extent_list *udf_writer_extents(const struct udf_writer *w);
int udf_writer_fill(struct udf_writer *w, const struct bfs_extent *e, uint8_t *buf) BFS_WARN_UNUSED;

#endif
