/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A drive, for fuse/ and cli/, which use the engine and common/ only (ARCHITECTURE.md,
 * dependency direction): open and close one, probe its disc, list the disc's tracks, erase
 * it, eject it, the write speeds the drive lists, and the names of the disc's states.
 *
 * The types are the MMC layer's (struct mmc_drive, struct mmc_media, struct mmc_track, enum
 * mmc_disc_status and its MMC_DISC_* states), as every engine function that takes a drive
 * passes them (engine/burn.h); what lies below them is reached through these functions
 * only. Reading a disc's blocks and its sessions: engine/sessions.h (eng_medium_of_drive).
 */
#ifndef BFS_ENGINE_DRIVE_H
#define BFS_ENGINE_DRIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/diag.h"
#include "common/macro.h"
#include "mmc/mmc.h"

/*
 * Open the drive at addr: vdrive:DIR, /dev/srN or /dev/sgN, iscsi://HOST[:PORT]/IQN/LUN.
 * -EBUSY when another program has it; other errors (no such drive, not an optical one, a
 * transport this build lacks) with a message in diag that names addr.
 */
int eng_drive_open(const char *addr, struct bfs_diag *diag, struct mmc_drive **ret) BFS_WARN_UNUSED;
/* Close d (NULL-safe); NULL. */
struct mmc_drive *eng_drive_close(struct mmc_drive *d);
BFS_DEFINE_FREEP(struct mmc_drive, eng_drive_close)

/* Log every command sent to d, its status and sense, to f (NULL: off). */
void eng_drive_set_trace(struct mmc_drive *d, FILE *f);

/* The directory of a virtual drive (vdrive:DIR, DIR as given), NULL for other drives. */
const char *eng_drive_vdrive_dir(const struct mmc_drive *d);

/* The disc in d: its profile, state, sessions, next writable address, free blocks... */
int eng_drive_probe(struct mmc_drive *d, struct mmc_media *ret,
		    struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * The tracks of the disc in d, probed as m says, first to last, every one the disc reports,
 * in a malloc'd array (*ret, *n; NULL and 0 when there are none): a blank disc has none,
 * and overwrite media have no table of contents (their sessions: eng_sessions_list()).
 * A disc's sessions are its tracks joined: eng_sessions_of_tracks().
 */
int eng_drive_tracks(struct mmc_drive *d, const struct mmc_media *m, struct mmc_track **ret,
		     size_t *n, struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * Erase the rewritable disc in d, probed as m says: BLANK on CD-RW and DVD-RW (full: every
 * block, else the table of contents), FORMAT UNIT on overwrite media (full: certify every
 * block on BD-RE). A write-once disc fails with the reason.
 */
int eng_drive_erase(struct mmc_drive *d, const struct mmc_media *m, bool full,
		    struct bfs_diag *diag) BFS_WARN_UNUSED;

/* Open the tray. */
int eng_drive_eject(struct mmc_drive *d, struct bfs_diag *diag) BFS_WARN_UNUSED;

/* The write speeds the drive lists for its disc, in kB/s, fastest first, at most max. */
int eng_drive_write_speeds(struct mmc_drive *d, unsigned *kBps, size_t max, size_t *n,
			   struct bfs_diag *diag) BFS_WARN_UNUSED;

/* The medium's 1x speed in kB/s (CD 176, DVD 1385, BD 4496), for speeds as multiples. */
unsigned eng_media_x1_kBps(const struct mmc_media *m);

/* "blank", "incomplete", "appendable", "complete", "rewritable" (overwrite media). */
const char *eng_disc_status_name(enum mmc_disc_status s);

#endif
