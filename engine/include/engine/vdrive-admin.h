/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Administration of a virtual drive (mmc/vdrive) for `burnfs vdrive`: create one, open it
 * to see what it holds, load and eject, put a new blank disc in, export the disc to an
 * image file, record an image onto it, set its faults. The media it can be made with and
 * their capacity ranges are the drive's own, reached through here.
 *
 * Failures return a negative errno with the message in reterr_diag: what is wrong, naming
 * the directory (and the image), and a "remedy: ..." line where the user can do something.
 * A caller prints it after its own "burnfs vdrive SUB: ".
 *
 * Not thread-safe: one thread per handle.
 */
#ifndef BFS_ENGINE_VDRIVE_ADMIN_H
#define BFS_ENGINE_VDRIVE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"

/* The media a drive can be made with, "cd-r cd-rw ... bd-re", one space apart (static). */
const char *eng_vdrive_media_list(void);

/* Whether media is one of them. */
bool eng_vdrive_media_known(const char *media);

/*
 * The capacities a drive of that medium may be made with, in 2048-byte blocks. -EINVAL for
 * an unknown media name.
 */
int eng_vdrive_capacity_range(const char *media, uint64_t *ret_min, uint64_t *ret_max);

/*
 * Those ranges in one phrase for a usage text, per family of media: "at least 1024, at most
 * 449849 on CD, 16580608 on DVD, 4294967295 on BD" (static).
 */
const char *eng_vdrive_capacity_summary(void);

/*
 * A new drive holding a blank disc of medium media in dir, which must be new or empty
 * (nothing in it is replaced); capacity 0: the real disc's. -EEXIST when dir is a drive
 * already, -ENOTEMPTY when it holds something else, -EINVAL for an unknown medium, -ERANGE
 * for a capacity outside its range.
 */
int eng_vdrive_create(const char *dir, const char *media, uint64_t capacity,
		      struct bfs_diag *reterr_diag) BFS_WARN_UNUSED;

/*
 * Put the disc in dir's drive on the shelf, dir/shelf/N/ (moved whole, never deleted), and
 * load a new blank one of medium media (NULL: the same medium and capacity). *ret_shelf:
 * the shelf's path, to free(). -ENOENT: no drive there, -EBUSY: in use, -EUCLEAN: too
 * damaged to say its medium when media is NULL; on failure the old disc stays in.
 */
int eng_vdrive_load_blank(const char *dir, const char *media, uint64_t capacity, char **ret_shelf,
			  struct bfs_diag *reterr_diag) BFS_WARN_UNUSED;

/*
 * Add a fault to dir's drive (SPEC as `burnfs vdrive fault --help` lists them; "clear"
 * removes them all); a drive in use sees it at its next command. -EINVAL for a SPEC that is
 * no fault, -ENOENT when dir holds no drive.
 */
int eng_vdrive_fault(const char *dir, const char *spec,
		     struct bfs_diag *reterr_diag) BFS_WARN_UNUSED;

struct eng_vdrive; /* an open virtual drive, taken exclusively */

/*
 * Open the drive in dir. -ENOENT when dir holds no drive, -EBUSY when another process has
 * it open, -EUCLEAN when it is damaged (what is wrong and the remedy in reterr_diag).
 */
int eng_vdrive_open(const char *dir, struct eng_vdrive **ret,
		    struct bfs_diag *reterr_diag) BFS_WARN_UNUSED;

/* Close; NULL-safe, returns NULL. */
struct eng_vdrive *eng_vdrive_close(struct eng_vdrive *vd);
BFS_DEFINE_FREEP(struct eng_vdrive, eng_vdrive_close)

#define ENG_VDRIVE_TRACKS_MAX 99 /* the drive's limit of tracks on a disc */

struct eng_vdrive_track {
	uint64_t start;
	uint64_t size; /* blocks written (closed) or so far (open) */
	unsigned session;
	bool open;
};

/* What is in the drive. */
struct eng_vdrive_info {
	char media[16]; /* "bd-r", ... */
	uint16_t profile;
	uint64_t capacity;  /* blocks */
	bool loaded;	    /* the tray is closed */
	const char *status; /* "blank", "appendable", "complete", "incomplete", "random",
			       "unformatted" (static) */
	unsigned nsessions;
	unsigned ntracks;
	struct eng_vdrive_track tracks[ENG_VDRIVE_TRACKS_MAX];
	uint64_t nwa;	   /* next writable address (sequential media) */
	uint64_t used_end; /* one past the last recorded block */
};
void eng_vdrive_get_info(const struct eng_vdrive *vd, struct eng_vdrive_info *ret);

/* Tray: load (true) or eject (false). -EBUSY while a program prevents medium removal. */
int eng_vdrive_set_loaded(struct eng_vdrive *vd, bool loaded,
			  struct bfs_diag *reterr_diag) BFS_WARN_UNUSED;

/*
 * What the disc recorded (blocks 0 to used_end) into the image file out, sparse where the
 * blocks are zeros: written to a temporary file beside it, renamed to out when whole.
 * -EMEDIUMTYPE (nothing written) for a disc with audio tracks: the image would lack them.
 */
int eng_vdrive_export(struct eng_vdrive *vd, const char *out,
		      struct bfs_diag *reterr_diag) BFS_WARN_UNUSED;

/*
 * Record the image in img_fd (named img in messages) onto the blank disc: sessions start
 * at the n blocks in starts (the first 0); close_disc finalizes it. -ENOTEMPTY for a disc
 * that is not blank, -ENOSPC for an image larger than the disc, -EINVAL for an image or
 * starts that do not fit.
 */
int eng_vdrive_import(struct eng_vdrive *vd, const char *img, int img_fd, const uint64_t *starts,
		      size_t n, bool close_disc, struct bfs_diag *reterr_diag) BFS_WARN_UNUSED;

#endif
