/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sessions of a disc or of an image file, and the medium they are read from: the one
 * place that says where a session starts, how long it is and what it holds, for burnfs
 * sessions, ls and extract (and, later, the importer and the mount).
 *
 *	eng_medium_open()    a drive (--drive D) or an image file, as one block source
 *	eng_medium_read()    an eng_read_fn over it
 *	eng_sessions_list()  its sessions, first to last
 *	eng_session_count()  the session's tree: which one is used, its files and directories
 *
 * A disc's sessions come from READ TRACK INFORMATION (the tracks of each session, the
 * blank invisible track left out). An overwritable disc and an image file have no table of
 * contents: their sessions are found from the volume descriptors, each session's volume
 * size leading to the next one, as genisoimage -C and mkudffs pack them one after another
 * (the volume size is a session's own length, or its absolute end: see imagefile.h), and
 * as libisoburn lays out growing images and overwritable discs (blocks 0-31 a copy of the
 * newest session's descriptors, the first session at block 32, each next one at a 32-block
 * boundary), and as burnfs and growisofs grow them from a first session at block 0 (whose
 * descriptors at 16 then become the newest session's: grown_from_0() in sessions.c). A
 * file that holds only a session made for a later block N (burnfs image --start-lba N,
 * mkisofs -C) is read as the disc's blocks from N on.
 */
#ifndef BFS_ENGINE_SESSIONS_H
#define BFS_ENGINE_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"
#include "common/tree.h"
#include "engine/disctree.h"

/* File systems found in a session (flags). */
enum {
	ENG_FS_ISO9660 = 1u << 0,
	ENG_FS_JOLIET = 1u << 1,
	ENG_FS_ROCKRIDGE = 1u << 2,
	ENG_FS_UDF = 1u << 3, /* a volume recognition sequence and an anchor */
};

/* At most this many sessions are listed (a disc's tracks or an image's chain). */
#define ENG_SESSIONS_MAX 8192u

struct eng_session {
	unsigned number; /* 1 for the first */
	uint64_t start;	 /* absolute block */
	uint64_t length; /* blocks: its tracks, its volume's size, or up to the next session */
	unsigned fs;	 /* ENG_FS_* */
	bool open;	 /* a disc's session still open for writing (nothing readable yet) */
	bool audio;	 /* a CD's session of audio tracks only (CD-DA): no file system */
	/*
	 * The first session at block 0 of a grown overwritable disc or image, whose own
	 * descriptors were replaced by a copy of the newest session's (engine/grow.h): it
	 * reads as the newest session's tree, and its length is that volume's (from 0).
	 */
	bool head;
	char volume_id[33];
	struct bfs_time created; /* the primary (or UDF-only: none) descriptor's date */
	bool has_created;
	/* from eng_session_count() */
	bool counted;
	enum eng_tree_fs tree; /* the tree in use */
	uint64_t files, dirs;  /* non-directories and directories, the root left out */
};

struct eng_medium;
struct mmc_drive;
struct mmc_media;

/*
 * Open a drive (drive != NULL: /dev/..., vdrive:DIR, iscsi://...) or else the image file at
 * image (through eng_imagefile_open: FIFOs, directories and cut images refused). 0, or a
 * negative errno with a message that names the drive or the file.
 */
int eng_medium_open(const char *drive, const char *image, struct eng_medium **ret,
		    struct bfs_diag *diag) BFS_WARN_UNUSED;
/* The disc in an open drive d (borrowed: it stays open), probed as media says. */
int eng_medium_of_drive(struct mmc_drive *d, const struct mmc_media *media, struct eng_medium **ret,
			struct bfs_diag *diag) BFS_WARN_UNUSED;
struct eng_medium *eng_medium_free(struct eng_medium *m);
BFS_DEFINE_FREEP(struct eng_medium, eng_medium_free)

/* The drive's address or the image's path, for messages. */
const char *eng_medium_name(const struct eng_medium *m);

/* Readable blocks: an image's whole blocks, a disc's recorded ones. */
uint64_t eng_medium_blocks(const struct eng_medium *m);

/*
 * An eng_read_fn over an open medium: 0 or -errno; a drive's failure leaves what the drive
 * said (the sense, decoded) in eng_medium_read_error().
 */
int eng_medium_read(void *medium, uint64_t lba, uint32_t n, uint8_t *buf);
const char *eng_medium_read_error(const struct eng_medium *m);
/* The errno of that failure: 0 when the latest READ succeeded. */
int eng_medium_read_errno(const struct eng_medium *m);
/*
 * Whether eng_medium_read() may be called from two threads at once: an image file's reads
 * are preads; a drive's share one device and its read cache.
 */
bool eng_medium_concurrent(const struct eng_medium *m);

/*
 * fua true: a drive's READs set FUA, so that they return what the disc holds rather than
 * what the drive kept in its cache of the latest writes (verify: a burn's blocks the cache
 * still holds would read back good from a disc that lost them). Image files: no effect.
 */
void eng_medium_set_fua(struct eng_medium *m, bool fua);

/*
 * The sessions of the medium, first to last, in a malloc'd array (*ret, *n >= 1). -ENODATA
 * when a disc is blank or a session's descriptors say it goes past the end of the image
 * (cut short: the message names the session), -EUCLEAN when no session has volume
 * descriptors.
 */
int eng_sessions_list(struct eng_medium *m, struct eng_session **ret, size_t *n,
		      struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * The sessions of a disc from its tracks (struct mmc_track, t[0..nt)): the tracks of one
 * session joined, the blank (invisible) track left out. out has room for nt entries; the
 * count. Only number, start, length and open are set.
 */
struct mmc_track;
size_t eng_sessions_of_tracks(const struct mmc_track *t, size_t nt, struct eng_session *out);

/*
 * Session number (1-based; 0: the last) of s[0..n): NULL with a message naming how many
 * there are when there is none.
 */
const struct eng_session *eng_session_pick(const struct eng_session *s, size_t n, unsigned number,
					   struct bfs_diag *diag);

/*
 * Open the session's tree (eng_disctree_open: UDF, else Rock Ridge, else Joliet, else ISO
 * 9660), count its files and directories into s, and when the session has both a Rock
 * Ridge and a Joliet tree, count the Joliet one too: when their regular files or
 * directories differ (Joliet holds no symbolic links or special files), a warning in
 * disagree[0..disagree_len) for the caller to say ("" when they agree).
 */
int eng_session_count(struct eng_medium *m, struct eng_session *s, char *disagree,
		      size_t disagree_len, struct bfs_diag *diag) BFS_WARN_UNUSED;

#endif
