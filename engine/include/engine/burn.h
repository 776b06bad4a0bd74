/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The burn job (ARCHITECTURE.md data flow 2-6): check the medium, plan the session at the
 * next writable address with its manifest, check the capacity before any write, stream the
 * image to the drive at its write alignment, close per policy, and read the session back to
 * compare chunk hashes with those taken while writing.
 */
#ifndef BFS_ENGINE_BURN_H
#define BFS_ENGINE_BURN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/tree.h"
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

typedef void (*eng_burn_progress_fn)(const struct eng_burn_status *st, void *userdata);

struct eng_burn_opts {
	struct eng_image_opts image; /* media, file systems...; start_lba and manifest are set */
	enum eng_verify_mode verify;
	bool finalize;	  /* close the disc: no more sessions */
	bool simulate;	  /* test writes: nothing is recorded (CD-R/RW, DVD-R/RW) */
	unsigned speed_x; /* write speed in multiples of the medium's 1x; 0 the fastest */
	eng_burn_progress_fn progress;
	void *userdata;
	const volatile sig_atomic_t *cancel;
};

struct eng_burn_result {
	uint64_t start_lba, blocks; /* the session written (blocks include alignment padding) */
	uint64_t verified_chunks, bad_chunks;
	unsigned speed_kBps; /* the write speed the drive was set to, 0 unknown */
	struct mmc_media before, after;
};

/* A damaged range found by verify and the files holding data in it. */
typedef void (*eng_bad_range_fn)(uint64_t first_lba, uint64_t last_lba, const char *files,
				 void *userdata);

/*
 * Burn the tree root (borrowed; the manifest is added to it) to drive d. -ENOSPC before
 * any write when the session does not fit (the message has both numbers), -EROFS for a
 * closed disc, -EBADMSG when verify found damage (each range reported through bad),
 * -ECANCELED when cancelled; other errors come from the drive with its sense and remedy.
 * *ret is filled as far as the job got.
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
