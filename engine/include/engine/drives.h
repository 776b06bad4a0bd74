/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drives of this machine for the commands above the engine (burnfs drives, and every
 * command that takes --drive and may go without it): the optical drives with what udev
 * says of their media, the medium a drive really holds (opened briefly and probed, its
 * space as burn and info count it), and the drive a command uses when none is given.
 *
 *	eng_drives_find()	  the optical drives (libudev, else sysfs)
 *	eng_drive_medium_probe()  what one drive holds
 *	eng_default_vdrive_dir()  $XDG_STATE_HOME/burnfs/vdrive
 *	eng_default_drive()	  the only optical drive, else the default virtual drive
 *
 * Not thread-safe (discovery's libudev contexts are per call).
 */
#ifndef BFS_ENGINE_DRIVES_H
#define BFS_ENGINE_DRIVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"
#include "mmc/discover.h"

/* The medium of the default virtual drive, the one eng_default_drive() creates. */
#define ENG_DEFAULT_VDRIVE_MEDIA "bd-r"

/*
 * An optical drive as discovery found it (nothing was opened), and a list of them: the
 * discovery's own declarations (mmc/discover.h), the one place their fields are described;
 * cli/ names the types and reaches them through the functions below.
 */
#define eng_drive_entry mmc_drive_entry
#define eng_drive_list	mmc_drive_list

/*
 * Fill *ret with the optical drives (n may be 0). sysfs NULL: this machine's (udev, then
 * /sys); else a sysfs tree at that path and no udev (tests pass a fake one). -ENOMEM is
 * the only error. Free the list with eng_drive_list_free().
 */
int eng_drives_find(const char *sysfs, struct eng_drive_list *ret,
		    struct bfs_diag *reterr_diag) BFS_WARN_UNUSED;
void eng_drive_list_free(struct eng_drive_list *l);

/* The medium in a drive, as burnfs info and burn see it. */
struct eng_drive_medium {
	uint16_t profile;	  /* the MMC profile number, 0x0041 for BD-R */
	const char *profile_name; /* "BD-R", ... (static) */
	const char *status;	  /* "blank", "incomplete", "appendable", "complete", "random" */
	unsigned sessions;	  /* closed ones */
	bool erasable;
	uint64_t capacity;    /* blocks of the medium (recorded ones on a finalized disc) */
	uint64_t free_blocks; /* where the next session goes, to the end */
	bool writable;	      /* a burn can write a session on it */
};

/*
 * Open the drive at addr (any --drive address), probe its medium and close it. 0 with *ret
 * filled; else the error, and in reterr_diag what it was (-ENOMEDIUM: no medium, -ENOENT
 * for a vdrive: address with no drive there, -EBUSY when another process has the drive).
 */
int eng_drive_medium_probe(const char *addr, struct eng_drive_medium *ret,
			   struct bfs_diag *reterr_diag) BFS_WARN_UNUSED;

/*
 * The default virtual drive's directory, $XDG_STATE_HOME/burnfs/vdrive ($XDG_STATE_HOME
 * when absolute, as the XDG spec says, else ~/.local/state), malloc'd; NULL: out of memory.
 */
char *eng_default_vdrive_dir(void);

/* The drive a command uses when none is given. */
struct eng_default_drive {
	char *addr;	  /* "/dev/..." or "vdrive:DIR"; NULL when none was chosen */
	char *vdrive_dir; /* no optical drive: the default virtual drive's DIR, else NULL */
	bool created;	  /* the default virtual drive was made by this call */
	struct eng_drive_list drives; /* the optical drives found */
};

/*
 * The only optical drive (drives found as eng_drives_find(sysfs) finds them), else the
 * default virtual drive: with create, made (a blank ENG_DEFAULT_VDRIVE_MEDIA, its parent
 * directories too) when missing. -EINVAL when there are several optical drives (the user
 * must choose; ret->drives lists them), -ENOENT when the default virtual drive does not
 * exist and create is false, another error when it cannot be made; reterr_diag says which,
 * with the remedy. Release *ret with eng_default_drive_done() either way.
 */
int eng_default_drive(const char *sysfs, bool create, struct eng_default_drive *ret,
		      struct bfs_diag *reterr_diag) BFS_WARN_UNUSED;
void eng_default_drive_done(struct eng_default_drive *d);

#endif
