/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MMC layer: a drive handle over a transport, CDB builders with bounds-checked reply
 * parsers, a sense table (key/ASC/ASCQ -> errno and a remedy for the user), media
 * detection and the write/close/read steps a burn needs.
 *
 * Transports: `vdrive:DIR`, the built-in virtual drive, in process; `/dev/srN` or
 * `/dev/sgN` (any /dev path), Linux SG_IO with an exclusive open and per-command timeouts;
 * `iscsi://HOST[:PORT]/IQN/LUN` (libiscsi, per-command timeouts too), when the build has it,
 * else opening it fails with -EOPNOTSUPP and says so. A command that times out fails with
 * -ETIMEDOUT naming it and the seconds measured; BURNFS_MMC_TIMEOUT_SECONDS sets every SG_IO
 * and iSCSI command's timeout (the in-process virtual drive answers at once). An
 * iSCSI session that timed out or lost its connection is closed (no automatic re-login):
 * later commands fail with -ENOTCONN saying why.
 *
 * Not thread-safe: one thread per drive handle.
 */
#ifndef BFS_MMC_H
#define BFS_MMC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/diag.h"
#include "common/macro.h"

struct mmc_drive;

enum mmc_dir {
	MMC_DIR_NONE,
	MMC_DIR_IN,  /* from the drive */
	MMC_DIR_OUT, /* to the drive */
};

struct mmc_sense {
	uint8_t key, asc, ascq;
	int progress;	 /* NOT READY progress indication in 1/65536, -1 when none */
	bool info_valid; /* VALID: info holds what the command names (the failed block) */
	uint32_t info;	 /* INFORMATION (SPC-4 4.5.3): for READ and WRITE, the block */
};

/* The fixed-format (70h/71h) sense in b[0..n): key, ASC, ASCQ, the progress and the
 * INFORMATION field. -EBADMSG when it is too short or of another format. */
int mmc_parse_sense(const uint8_t *b, size_t n, struct mmc_sense *ret);

/*
 * Open the drive at addr. -EINVAL for an address that is none of the forms above,
 * -EOPNOTSUPP for a transport this build lacks, -EBUSY when someone else has the drive;
 * for /dev paths also -ENOENT, -EACCES, -EPERM, -ENOTTY (not SCSI) and -EMEDIUMTYPE (not
 * an optical drive). The message in diag names addr.
 */
int mmc_drive_open(const char *addr, struct bfs_diag *diag, struct mmc_drive **ret) BFS_WARN_UNUSED;
struct mmc_drive *mmc_drive_close(struct mmc_drive *d);
BFS_DEFINE_FREEP(struct mmc_drive, mmc_drive_close)

/* The largest transfer of one READ or WRITE, in 2048-byte blocks (a multiple of 32). */
uint32_t mmc_drive_max_blocks(const struct mmc_drive *d);

/* Log every CDB, its status and sense to f (NULL: off). */
void mmc_drive_set_trace(struct mmc_drive *d, FILE *f);

/*
 * Called while the drive is busy with a long operation (NOT READY 04/xx), with the
 * command waited for and the progress in 1/65536 (-1 when the drive gives none).
 */
typedef void (*mmc_busy_fn)(const char *what, int progress, void *userdata);
void mmc_drive_set_busy(struct mmc_drive *d, mmc_busy_fn fn, void *userdata);

/*
 * A long operation that makes no progress for this many seconds fails with -ETIMEDOUT
 * (default 120; BURNFS_MMC_STUCK_SECONDS overrides it): the drive answering NOT READY
 * 04/01, 04/04, 04/07 or 04/08 without its progress indication rising, or, on WRITE, a
 * full buffer that does not drain. The time is measured (CLOCK_MONOTONIC), and the message
 * states the seconds waited.
 */
void mmc_drive_set_stuck_timeout(struct mmc_drive *d, unsigned seconds);

/*
 * Cancellation: fn (NULL: none) is called, on the thread running the command, before each
 * slice of every wait of the layer (a long operation, a full buffer, an iSCSI command in
 * flight: at least every 100 ms); a negative return ends the wait with -ECANCELED, its
 * message saying what was waited for and for how long. An iSCSI session whose command was
 * cancelled in flight is closed. A command already sent through SG_IO cannot be taken back:
 * it ends by itself or by its timeout. A caller that cancels from a signal handler or
 * another thread has fn read an atomic flag.
 */
typedef int (*mmc_poll_fn)(void *userdata);
void mmc_drive_set_poll(struct mmc_drive *d, mmc_poll_fn fn, void *userdata);

/*
 * wait false: a command that finds the drive busy with a long operation fails at once with
 * -EBUSY instead of waiting (for asking a drive's state after a failure); true: the default.
 */
void mmc_drive_set_busy_wait(struct mmc_drive *d, bool wait);

/* The directory of a virtual drive (vdrive:DIR, as given), NULL for other transports. */
const char *mmc_drive_vdrive_dir(const struct mmc_drive *d);

/*
 * Run one command. A unit attention is retried once; while the drive reports a long
 * operation in progress (02/04/01, 04, 07, 08) the command is re-issued after a pause
 * until it is accepted or the operation stops progressing (-ETIMEDOUT). On CHECK CONDITION returns the
 * errno of the sense table with the decoded sense and its remedy in diag, and the raw
 * sense in *reterr_sense (may be NULL).
 */
int mmc_exec(struct mmc_drive *d, const uint8_t *cdb, size_t cdb_len, enum mmc_dir dir, void *buf,
	     size_t len, struct mmc_sense *reterr_sense, struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * The sense table: errno for key/ASC/ASCQ, a short description and a remedy sentence for
 * the user (both static strings).
 */
int mmc_sense_lookup(const struct mmc_sense *s, const char **ret_text, const char **ret_remedy);

enum mmc_disc_status {
	MMC_DISC_BLANK,
	MMC_DISC_INCOMPLETE,
	MMC_DISC_APPENDABLE,
	MMC_DISC_COMPLETE,
	MMC_DISC_RANDOM, /* overwrite media */
};

struct mmc_media {
	uint16_t profile;
	const char *profile_name; /* "BD-R", ... */
	enum mmc_disc_status status;
	bool erasable;
	bool overwrite;	   /* random writes (DVD+RW, DVD-RAM, BD-RE) */
	bool unformatted;  /* overwrite media that need FORMAT UNIT before the first write */
	unsigned sessions; /* closed ones */
	uint64_t nwa;	   /* next writable address (0 on overwrite media) */
	bool nwa_valid;
	uint64_t free_blocks; /* from the NWA */
	uint64_t capacity;    /* nwa + free */
	uint64_t used_blocks; /* overwrite media: blocks in use (READ CAPACITY + 1), else nwa */
	uint64_t last_session_start;	  /* READ TOC format 1 */
	unsigned first_track, last_track; /* READ DISC INFORMATION: tracks on the disc */
};

/* One track as READ TRACK INFORMATION (MMC-6 6.27) reports it. */
struct mmc_track {
	unsigned number, session;
	bool blank;	/* nothing written in it yet (the invisible/incomplete track) */
	bool reserved;	/* RESERVE TRACK made it */
	bool nwa_valid; /* open for writing at nwa */
	bool audio;	/* CD-DA: its Track Mode (the Q CONTROL bits on CD) has no data bit */
	uint64_t start, size, nwa, free_blocks;
};

/* Parse a READ TRACK INFORMATION reply b[0..n). -EBADMSG when it is too short. */
int mmc_parse_track_info(const uint8_t *b, size_t n, struct mmc_track *ret);

/* Every track of the disc, first to last, at most max. */
int mmc_read_tracks(struct mmc_drive *d, const struct mmc_media *m, struct mmc_track *ret,
		    size_t max, size_t *ret_n, struct bfs_diag *diag) BFS_WARN_UNUSED;

/* The medium as GET CONFIGURATION, READ DISC/TRACK INFORMATION and READ TOC report it. */
int mmc_media_probe(struct mmc_drive *d, struct mmc_media *ret,
		    struct bfs_diag *diag) BFS_WARN_UNUSED;

const char *mmc_disc_status_name(enum mmc_disc_status s);

/* Wait until TEST UNIT READY succeeds (after an Immed command). */
int mmc_wait_ready(struct mmc_drive *d, const char *what, struct bfs_diag *diag) BFS_WARN_UNUSED;

/* READ BUFFER CAPACITY: the drive's write buffer and what is free in it, in bytes. */
int mmc_buffer_capacity(struct mmc_drive *d, uint32_t *ret_size, uint32_t *ret_free,
			struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * WRITE(10) of n blocks at lba (n <= 65535), in commands of at most
 * mmc_drive_max_blocks(). When the drive's buffer is full (02/04/08) the WRITE is
 * re-issued once half the buffer has drained (mmc.md 1.4). A failed command's message
 * names the block the drive named (sense INFORMATION, when VALID and inside the command),
 * else the command's block range.
 */
int mmc_write(struct mmc_drive *d, uint64_t lba, uint32_t n, const uint8_t *buf,
	      struct bfs_diag *diag) BFS_WARN_UNUSED;

/* READ(10) of n blocks at lba, FUA set when fua (past the drive's cache), in commands of at
 * most mmc_drive_max_blocks(); a failure names the block as mmc_write's does. */
int mmc_read(struct mmc_drive *d, uint64_t lba, uint32_t n, uint8_t *buf, bool fua,
	     struct bfs_diag *diag) BFS_WARN_UNUSED;

/* SYNCHRONIZE CACHE with Immed, then wait until the drive has written its buffer. */
int mmc_sync_cache(struct mmc_drive *d, struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * Mode page 05h: Test Write (simulation: the drive goes through the motions, the laser
 * stays off; CD-R/RW and DVD-R/RW only) and the multi-session field. -EOPNOTSUPP with a
 * message when the medium has no test writes.
 */
int mmc_set_test_write(struct mmc_drive *d, const struct mmc_media *m, bool on,
		       struct bfs_diag *diag) BFS_WARN_UNUSED;

/* Whether the medium supports test writes (MMC-6 7.5.4.2: CD-R/RW, DVD-R/RW). */
bool mmc_media_can_simulate(const struct mmc_media *m);

/*
 * Close what a burn wrote, per profile (mmc.md 1.2): close track, then close the session
 * leaving the disc appendable, or finalize it when finalize is set. Overwrite media have
 * nothing to close.
 */
int mmc_close(struct mmc_drive *d, const struct mmc_media *m, bool finalize,
	      struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * The write strategy of the medium before its first WRITE: mode page 05h for CD-R/RW (TAO,
 * multi-session) and DVD-R/RW (incremental, link 16, fixed packets), test writes when test
 * (-EOPNOTSUPP on media without them); nothing on DVD+R, BD-R (SRM) and overwrite media.
 */
int mmc_write_prepare(struct mmc_drive *d, const struct mmc_media *m, bool test,
		      struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * Erase: BLANK (CD-RW, DVD-RW; full blanks every block, else the minimal blank of TOC and
 * PMA) or FORMAT UNIT (overwrite media; full certifies every block on BD-RE).
 */
int mmc_erase(struct mmc_drive *d, const struct mmc_media *m, bool full,
	      struct bfs_diag *diag) BFS_WARN_UNUSED;

/* START STOP UNIT: eject (LoEj, Start=0). */
int mmc_eject(struct mmc_drive *d, struct bfs_diag *diag) BFS_WARN_UNUSED;

/* The medium's 1x speed in kB/s: CD 176, DVD 1385, BD 4496. */
unsigned mmc_media_x1_kBps(const struct mmc_media *m);

/*
 * The GET PERFORMANCE type 03h reply in b[0..n): the distinct write speeds of its
 * descriptors in kB/s, fastest first, at most max. -EBADMSG for a reply under 8 bytes.
 */
int mmc_parse_write_speeds(const uint8_t *b, size_t n, unsigned *kBps, size_t max, size_t *ret_n);

/* The write speeds the drive lists for the loaded medium (GET PERFORMANCE type 03h). */
int mmc_write_speeds(struct mmc_drive *d, unsigned *kBps, size_t max, size_t *ret_n,
		     struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * Set the write speed to x times the medium's 1x (0: the fastest), picking the fastest
 * listed speed not above it: SET CD SPEED on CD, SET STREAMING on DVD and BD. *ret_kBps
 * is the speed set, 0 when the drive lists none and x was 0 (nothing is sent).
 */
int mmc_set_write_speed(struct mmc_drive *d, const struct mmc_media *m, unsigned x,
			unsigned *ret_kBps, struct bfs_diag *diag) BFS_WARN_UNUSED;

#endif
