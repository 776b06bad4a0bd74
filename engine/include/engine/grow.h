/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Growing overwritable media (DVD+RW, DVD-RAM, BD-RE, formatted DVD-RW) and image files
 * (ARCHITECTURE.md, multisession; formats.md §3.4, §5.2). They have no table of contents:
 * every reader looks at the descriptors at block 16 and the UDF anchor at block 256. A new
 * session goes after the used space, and only then the head (blocks 16... and 256) becomes
 * a copy of the new session's descriptors (their addresses are absolute, so a plain copy
 * works), so that a failure before that leaves the previous tree readable.
 *
 *	eng_grow_where()       the medium's sessions and where the next one goes
 *	eng_grow_front_*()     holding back a session's first blocks (its descriptors and
 *	                       anchor) so that they are written after the rest of it
 *	eng_grow_head_plan()   what the head rewrite writes, refused when it would overwrite
 *	                       file data of the new tree
 *	eng_grow_head_write()  the rewrite; eng_grow_head_check() reads it back
 *	eng_image_grow()       all of it on an image file: `burnfs image --append`
 *
 *	eng_grow_inplace_*()   the blocks written over after the head: the new (E)FEs of
 *	                       the UDF directories that changed (udf_prior.inplace)
 *
 * Order of the writes, each followed by a sync (SYNCHRONIZE CACHE, fsync): the session
 * from its block ENG_GROW_FRONT on; its first ENG_GROW_FRONT blocks (until they are there,
 * nothing finds an interrupted session: neither the session list nor the next append);
 * the head; the changed directories' (E)FEs over their earlier ones in the metadata file;
 * the same in its mirror.
 *
 * Why each state is readable. Until the head: the old volume, whose blocks nothing wrote.
 * After it: the new volume, whose metadata file maps the earlier one's blocks where they
 * were, whose root is the earlier root's block, still holding the earlier root's entry:
 * every directory is an earlier one, whose FIDs name earlier entries, all intact: the
 * earlier UDF tree (the ISO 9660 and Joliet trees are already the new ones). While the
 * entries are written over: each block is a whole earlier or a whole new entry (a kill
 * ends between pwrite calls; a power cut may tear a block as it may the head's, and a
 * drive's read-modify-write of an ECC block may damage its neighbours), a new entry's
 * FIDs name entries that exist (new ones, kept ones, or directories by their fixed
 * blocks, each an earlier or a new entry): a tree of earlier and new directories, which
 * the next append merges like any other (a directory that differs from the new tree is
 * written again).
 * After the main file: the new tree; the mirror, still the earlier entries until its own
 * step, is read only where the metadata file cannot be mapped (Linux; a torn entry's bad
 * CRC is an I/O error, not a turn to the mirror), and then gives the earlier directories.
 * Undoing a failure puts the entries back before the head: the earlier head does not map
 * the new FIDs those entries name. Overwritable drives: engine/burn.c does not set
 * udf_prior.inplace yet (every directory is written again there).
 */
#ifndef BFS_ENGINE_GROW_H
#define BFS_ENGINE_GROW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"
#include "common/tree.h"
#include "engine/append.h"
#include "engine/image.h"
#include "engine/sessions.h"

/* Sessions start at multiples of this (libisoburn's step; DVD's 16 and BD's 32 divide it). */
#define ENG_GROW_STEP 32u
/* A session's blocks written last: the volume descriptors (from 16) up to the anchor. */
#define ENG_GROW_FRONT 257u
/* Head blocks from 16 that a rewrite may replace: ISO 9660 descriptors and UDF's VRS. */
#define ENG_GROW_HEAD_MAX 16u

/*
 * The sessions of m (*ret malloc'd, *n of them; *n 0 when it holds none: a blank medium)
 * and the block where the next session goes (*next: the end of the last one rounded up to
 * ENG_GROW_STEP, and not before block min_next). Errors: sessions that cannot be read (the
 * message says so).
 */
int eng_grow_where(struct eng_medium *m, uint64_t min_next, struct eng_session **ret, size_t *n,
		   uint64_t *next, struct bfs_diag *diag) BFS_WARN_UNUSED;

/* The first ENG_GROW_FRONT blocks of a session, held back while the rest is written. */
struct eng_grow_front {
	uint8_t *buf;	 /* ENG_GROW_FRONT blocks */
	uint64_t blocks; /* held so far (at most ENG_GROW_FRONT) */
};

int eng_grow_front_init(struct eng_grow_front *f) BFS_WARN_UNUSED;
void eng_grow_front_done(struct eng_grow_front *f);
/*
 * Blocks [pos, pos + n) of the session, from p: those of the front are copied into f; the
 * count of leading blocks taken (the caller writes the rest, from pos + that count).
 */
size_t eng_grow_front_take(struct eng_grow_front *f, uint64_t pos, const uint8_t *p, size_t n);

/* The block I/O a head rewrite goes through (a drive, or an image file). */
struct eng_grow_io {
	int (*read)(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf);
	int (*write)(void *userdata, uint64_t lba, uint32_t n, const uint8_t *buf);
	int (*sync)(void *userdata);
	void *userdata;
};

/* What a head rewrite writes: blocks 16..16 + nblocks and, when anchor, block 256. */
struct eng_grow_head {
	uint8_t blocks[ENG_GROW_HEAD_MAX][2048]; /* the new head from block 16 */
	uint32_t nblocks;			 /* the new session's descriptors */
	uint32_t nwrite;      /* blocks written from 16: the old head's, if longer */
	uint8_t anchor[2048]; /* block 256 to write (new AVDP, or zeros) */
	bool write_anchor;
	bool udf_unseen; /* the session has UDF, but block 256 is no anchor to replace */
	uint8_t saved[ENG_GROW_HEAD_MAX + 1][2048]; /* the old head, to put back on failure */
};

/*
 * Plan the head for the session at s, whose front f holds, on the medium read through io
 * whose first session starts at first_start; root is the new tree (its BFS_NODE_PRIOR
 * files' data must not be overwritten). -EXDEV when the head cannot be rewritten without
 * overwriting data (nothing was written then), -EIO on a read failure.
 */
int eng_grow_head_plan(const struct eng_grow_io *io, const struct eng_grow_front *f,
		       uint64_t first_start, struct bfs_node *root, struct eng_grow_head *h,
		       struct bfs_diag *diag) BFS_WARN_UNUSED;

/* Write the planned head, then sync. */
int eng_grow_head_write(const struct eng_grow_io *io, const struct eng_grow_head *h,
			struct bfs_diag *diag) BFS_WARN_UNUSED;

/* Put the old head back (after a failed rewrite), then sync. */
int eng_grow_head_restore(const struct eng_grow_io *io, const struct eng_grow_head *h,
			  struct bfs_diag *diag) BFS_WARN_UNUSED;

/* Read the head back: -EBADMSG, naming the first block, when it is not what was planned. */
int eng_grow_head_check(const struct eng_grow_io *io, const struct eng_grow_head *h,
			struct bfs_diag *diag) BFS_WARN_UNUSED;

/* A block written over after the head (udf/writer.h struct udf_deferred). */
struct eng_grow_block {
	uint64_t lba, mirror_lba; /* mirror_lba UINT64_MAX: none */
	uint8_t data[2048];
	uint8_t saved[2048], saved_mirror[2048]; /* what they held, to put back on failure */
};

/* The blocks an append writes in place, and how far that went. */
struct eng_grow_inplace {
	struct eng_grow_block *v;
	size_t n;
	bool main_begun, mirror_begun; /* put the earlier blocks back on failure */
};

/*
 * The deferred blocks of img (engine/image.c), *ret empty when there are none. After the
 * image's stream ended (its writers finished). -ENOMEM, -EINVAL (a bug).
 */
int eng_image_inplace(struct eng_image *img, struct eng_grow_inplace *ret) BFS_WARN_UNUSED;
void eng_grow_inplace_done(struct eng_grow_inplace *ip);

/* Read what the blocks hold now (before the head is written: nothing to undo yet). */
int eng_grow_inplace_save(const struct eng_grow_io *io, struct eng_grow_inplace *ip,
			  struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * After the head: the blocks in the metadata file, sync, then in its mirror, sync. step
 * (may be NULL) is called after each sync with "main" and "mirror"; a negative return
 * stops there with it (the fault tests' hook).
 */
int eng_grow_inplace_write(const struct eng_grow_io *io, struct eng_grow_inplace *ip,
			   int (*step)(const char *what), struct bfs_diag *diag) BFS_WARN_UNUSED;

/* After a failure: the saved blocks back where writing began (mirror, then main), sync. */
int eng_grow_inplace_restore(const struct eng_grow_io *io, const struct eng_grow_inplace *ip,
			     struct bfs_diag *diag) BFS_WARN_UNUSED;

/* What eng_image_grow() did. */
struct eng_grow_result {
	uint64_t start, blocks; /* the session appended */
	uint64_t old_blocks;	/* the file's blocks before */
	bool appended;		/* the image's tree was merged (append says how) */
	struct eng_append_info append;
	bool udf_unseen; /* see struct eng_grow_head */
	size_t sessions; /* sessions now */
};

/*
 * Append a session holding root (the new sources' finalized tree, borrowed) merged with the
 * image's newest tree (unless new_tree) to the image file at path, growing it in place:
 * the session after the used space, fsync, the head rewritten, fsync. opts are the image
 * options (start_lba, manifest and the merge's are set here). A refusal or a failure leaves
 * the file byte for byte as it was (it is cut back and its head put back); a kill leaves
 * the previous tree readable. progress (may be NULL) gets the blocks written, at least
 * every MiB; a negative return stops it with -EINTR (image.h's eng_progress_fn).
 */
int eng_image_grow(const char *path, struct bfs_node *root, const struct eng_image_opts *opts,
		   bool new_tree, eng_progress_fn progress, void *userdata,
		   struct eng_grow_result *ret, struct bfs_diag *diag) BFS_WARN_UNUSED;

#endif
