/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The burn job (ARCHITECTURE.md data flow 2-6): check the medium, plan the session at the
 * next writable address with its manifest, check the capacity before any write, stream the
 * image to the drive at its write alignment, close per policy, and read the session back to
 * compare chunk hashes with those taken while writing.
 */
#ifndef BFS_ENGINE_BURN_H
#define BFS_ENGINE_BURN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/tree.h"
#include "engine/append.h"
#include "engine/image.h"
#include "mmc/mmc.h"

enum eng_verify_mode {
	ENG_VERIFY_NONE,
	ENG_VERIFY_QUICK, /* first, last and 14 more chunks spread over the session */
	ENG_VERIFY_FULL,  /* every chunk */
};

enum eng_burn_phase {
	ENG_PHASE_WRITE,
	ENG_PHASE_CLOSE,
	ENG_PHASE_VERIFY,
};

struct eng_burn_status {
	enum eng_burn_phase phase;
	uint64_t done, total; /* blocks of the phase */
	int ring_fill;	      /* percent of the ring holding data, -1 unknown */
	int drive_fill;	      /* percent of the drive's buffer holding data, -1 unknown */
	int op_progress;      /* a long operation's progress in 1/65536 (closing), -1 none */
	unsigned x1_kBps;     /* the medium's 1x speed, for showing MB/s as a multiple */
};

/*
 * The job's progress, and its one way to be cancelled: called from the job's thread as the
 * session is written, closed and read back, and while the job waits for the drive (a long
 * operation, a full buffer, a command in flight: at least every 100 ms); a negative return
 * stops the job with -ECANCELED within that time. A caller cancelling from a signal handler
 * or another thread sets an atomic flag that this callback reads.
 */
typedef int (*eng_burn_progress_fn)(const struct eng_burn_status *st, void *userdata);

struct eng_edits;

struct eng_burn_opts {
	struct eng_image_opts image; /* media, file systems...; start_lba and manifest are set */
	enum eng_verify_mode verify;
	bool finalize; /* close the disc: no more sessions */
	bool simulate; /* test writes: nothing is recorded (CD-R/RW, DVD-R/RW) */
	/*
	 * A disc holding sessions: false (the default) carries the last session's whole tree
	 * into the new one, merged with root (engine/append.h); true writes root alone, so
	 * that readers of the new session see only it.
	 */
	bool new_tree;
	/*
	 * The staging mount's edits of the disc's tree (engine/edits.h), applied to the tree
	 * the merge reads back (eng_append_merge); NULL or empty: none. Borrowed, unchanged
	 * for the burn's length. Edits on a blank disc, or with new_tree, are refused.
	 */
	const struct eng_edits *edits;
	unsigned speed_x; /* write speed in multiples of the medium's 1x; 0 the fastest */
	eng_burn_progress_fn progress; /* may be NULL: no progress, no cancellation */
	void *userdata;
};

struct eng_burn_result {
	uint64_t start_lba, blocks; /* the session written (blocks include alignment padding) */
	uint64_t written;	    /* blocks of it the drive took, from start_lba */
	uint64_t verified_chunks, bad_chunks;
	unsigned speed_kBps; /* the write speed the drive was set to, 0 unknown */
	bool wrote;	     /* a WRITE was sent: the disc may have changed */
	bool closed;	     /* the session was closed (nothing to close on overwrite media) */
	bool new_disc;	     /* the disc can take no session: only another (blank) disc will do */
	bool appended;	     /* the disc's tree was merged into the session (append says how) */
	bool grown;	     /* overwrite media with sessions: the head was (to be) rewritten */
	bool udf_unseen;     /* grown: block 256 could not take the new anchor (grow.h) */
	struct eng_append_info append;
	struct mmc_media before, after;
	/* why after is unknown (after.profile_name NULL): the drive's answer, e.g. no medium */
	char after_why[256];
};

/*
 * What a disc holds and where the next session goes, for burn and info alike (one answer):
 * blocks recorded, capacity, and whether a burn can write a session now, at which block, with
 * how many free blocks.
 */
struct eng_disc_space {
	uint64_t capacity; /* blocks of the medium (recorded ones on a finalized disc) */
	uint64_t used;	   /* blocks recorded */
	bool writable;	   /* a burn writes its session at next */
	uint64_t next, free;
	bool new_disc; /* not writable, and never will be: another disc is needed */
};

/*
 * The space of medium m. 0 when a burn can write a session; else -EROFS (finalized),
 * -EIO (an incomplete session), -ENOTEMPTY (overwrite media holding data whose end was not
 * read: see eng_disc_space_read()), -ENXIO (no writable address), with the reason and the
 * remedy in diag (may be NULL); *ret is filled either way.
 */
int eng_disc_space(const struct mmc_media *m, struct eng_disc_space *ret, struct bfs_diag *diag);

/*
 * eng_disc_space() of the disc in drive d as probed into m, for burn, info and the mount
 * alike. Overwrite media have no table of contents: where their used space ends is read
 * from the sessions' descriptors (engine/grow.h), and m's next writable address, free and
 * used blocks become those of the next session (a session at the end of the used space
 * rounded up to ENG_GROW_STEP; block 0 when no session is found). Data that is no session
 * is -ENOTEMPTY (erase first); sessions that cannot be read, their reader's error.
 */
int eng_disc_space_read(struct mmc_drive *d, struct mmc_media *m, struct eng_disc_space *ret,
			struct bfs_diag *diag);

/* A damaged range found by verify and the files holding data in it. */
typedef void (*eng_bad_range_fn)(uint64_t first_lba, uint64_t last_lba, const char *files,
				 void *userdata);

/*
 * Burn the tree root (borrowed; the manifest is added to it) to drive d. -ENOSPC before
 * any write when the session does not fit (the message has both numbers), -EROFS for a
 * closed disc, -EBADMSG when verify found damage (each range reported through bad),
 * -ECANCELED when cancelled; other errors come from the drive with its sense and remedy.
 * *ret is filled as far as the job got; ret->after is the disc's state at the end, asked
 * without waiting for a busy drive (unknown, with after_why, when it cannot be told).
 */
int eng_burn(struct mmc_drive *d, struct bfs_node *root, const struct eng_burn_opts *opts,
	     eng_bad_range_fn bad, void *bad_userdata, struct eng_burn_result *ret,
	     struct bfs_diag *diag) BFS_WARN_UNUSED;

/* Whether path holds ISO 9660 or UDF volume descriptors at block 16. */
bool eng_is_image_file(const char *path);

/*
 * Burn the image file at path as it is (made by burnfs image or another tool). It must be
 * an ISO 9660 or UDF image whose addresses fit the disc's next writable address: an image
 * made for block 0 goes only onto a blank disc (-EXDEV otherwise, saying how to make one
 * for the NWA). Verify compares chunk hashes taken while writing, as for a tree.
 */
int eng_burn_image(struct mmc_drive *d, const char *path, const struct eng_burn_opts *opts,
		   eng_bad_range_fn bad, void *bad_userdata, struct eng_burn_result *ret,
		   struct bfs_diag *diag) BFS_WARN_UNUSED;

#endif
