/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The virtual drive: an in-process SCSI-MMC target (CDB in, data + status + sense out)
 * backed by a directory holding the disc image (as long as what was recorded; the rest
 * reads as zeros) and the disc's state.
 *
 *	vdrive_create()  a blank medium of a given kind in a new directory
 *	vdrive_open()    take the drive (exclusive, like O_EXCL on a real one)
 *	vdrive_exec()    one command
 *	vdrive_close()   release it
 *
 * It models what a burner relies on: the current profile, the disc state machine (blank,
 * incomplete, appendable, complete), tracks and sessions with their next writable address,
 * write-once enforcement (a WRITE off the NWA gets 05/21/02, past the capacity 05/63/00),
 * close functions per profile, random writes on overwrite media, a unit attention after
 * open, tray and removal lock, long operations (Immed: NOT READY 04/04, 04/07, 04/08 with
 * progress; without it the command takes that long, BURNFS_VDRIVE_LONGOP_MS, default 200),
 * a read cache that FUA bypasses, test writes on CD-R/RW and DVD-R/RW, and scripted faults
 * read from DIR/faults. State is replaced
 * atomically (write, fsync, rename) after the image data it refers to is on disk, so a
 * process killed at any point leaves a consistent disc. The state file ends in a checksum
 * line and is checked against itself and the disc image when the drive opens: a damaged
 * drive is refused (-EUCLEAN, "damaged" and the remedy in the diagnostics), never guessed
 * at, and a write-once disc's recorded blocks are never written again.
 *
 * Audio CDs (CD-R/RW): page 05h Data Block Type 0 makes TAO tracks of 2352-byte CD-DA
 * sectors, each after a 2-second pregap the drive lays down; SEND CUE SHEET with audio
 * tracks takes an SAO session (pregaps, index points, ISRC and MCN entries, CD-Text written
 * into the lead-in). Audio reads back with READ CD (with the Q sub-channel the tracks imply:
 * track, index, relative and absolute time, MCN and ISRC frames), READ TOC formats 0-2 and
 * 4 (ATIP), 5 (CD-Text), and READ SUB-CHANNEL; READ(10) of audio answers 05/64/00.
 *
 * Commands it does not emulate yet answer ILLEGAL REQUEST 05/20/00, as a real drive answers
 * an unknown opcode. Not thread-safe.
 */
#ifndef BFS_VDRIVE_H
#define BFS_VDRIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vdrive_dir {
	VDRIVE_DIR_NONE,
	VDRIVE_DIR_IN,	/* data from the drive */
	VDRIVE_DIR_OUT, /* data to the drive */
};

struct vdrive_result {
	uint8_t status;	   /* SCSI status: 0x00 GOOD, 0x02 CHECK CONDITION */
	uint8_t sense[18]; /* fixed-format sense (70h) when status is CHECK CONDITION */
	size_t sense_len;
	size_t resid; /* bytes of len not transferred */
};

struct vdrive;

/* The media a drive can be created with: "cd-r", "cd-rw", ..., "bd-re"; NULL-terminated. */
extern const char *const vdrive_media_names[];

/*
 * The capacities a drive of that medium may be created with, in blocks: at least room for
 * a session, at most what the medium's addressing can express (CD: MSF, DVD: 24-bit
 * physical sector numbers, BD: 32-bit LBAs). -EINVAL for an unknown media name.
 */
int vdrive_capacity_range(const char *media, uint64_t *ret_min, uint64_t *ret_max);

/*
 * Create a drive holding a blank medium of the named kind in directory dir, which must be
 * missing (it is created) or empty: -EEXIST if it already holds a drive, -ENOTEMPTY if it
 * holds anything else, -ENOTDIR. Every file is created new (O_EXCL): nothing there is
 * replaced, and a failure removes only what this call made. capacity_sectors 0 gives the
 * real disc's capacity; -ERANGE outside vdrive_capacity_range(). -EINVAL for an unknown
 * media name.
 */
int vdrive_create(const char *dir, const char *media, uint64_t capacity_sectors);

/*
 * Put the disc in dir's drive on the shelf, dir/shelf/N/ (its disc.img and state, moved
 * whole, damaged or not), and load a new blank one of the named medium (NULL: the same
 * medium and capacity as the shelved disc). *ret_shelf: the shelf's path, malloc()ed,
 * the caller frees it. -ENOENT when dir holds no drive, -EBUSY while it is open, -EINVAL
 * for an unknown medium, -EUCLEAN when the state is too damaged to say the medium and
 * media is NULL, -ERANGE for a capacity outside the medium's range. On failure the old
 * disc is back in place.
 */
int vdrive_load_blank(const char *dir, const char *media, uint64_t capacity_sectors,
		      char **ret_shelf);

/*
 * Open the drive in dir. -EBUSY when another process has it open, -ENOENT when dir holds
 * no drive, -EUCLEAN when it is damaged (the state file fails its checksum or does not
 * agree with itself or the disc image, or the image is missing); reterr_diag (may be NULL)
 * then says what is wrong and what the user can do. The drive is not changed.
 */
struct bfs_diag;
int vdrive_open_diag(const char *dir, struct vdrive **ret, struct bfs_diag *reterr_diag);
int vdrive_open(const char *dir, struct vdrive **ret);
/*
 * vdrive_open_diag, waiting up to wait_ms for a holder that lets go soon: burnfs's own
 * commands wait VDRIVE_WAIT_MS (a staging mount opens the drive to read a file and closes it
 * a second after its last read, fuse/src/lower.h); the LD_PRELOAD shim does not, so the
 * programs it serves see EBUSY at once, as from O_EXCL on a real drive.
 */
#define VDRIVE_WAIT_MS 2500u
int vdrive_open_wait(const char *dir, unsigned wait_ms, struct vdrive **ret,
		     struct bfs_diag *reterr_diag);

/* Close; NULL-safe, returns NULL. */
struct vdrive *vdrive_close(struct vdrive *vd);

/* Execute one command. buf holds len bytes in the direction dir. */
void vdrive_exec(struct vdrive *vd, const uint8_t *cdb, size_t cdb_len, enum vdrive_dir dir,
		 void *buf, size_t len, struct vdrive_result *res);

/* What is in the drive, for `burnfs vdrive info` and export. */
#define VDRIVE_INDEXES_MAX 32 /* index points 02.. of an audio track */

struct vdrive_track {
	uint64_t start; /* data: the first block; audio: INDEX 01 */
	uint64_t size;	/* blocks written (closed) or so far (open); audio: from INDEX 01 */
	unsigned session;
	bool open;
	uint64_t reserved; /* RESERVE TRACK: its size in blocks, 0 when not reserved */
	/* audio (CD-DA) tracks: 2352-byte sectors, kept in DIR/audio.img */
	bool audio;
	uint8_t ctl;	 /* audio: the CONTROL nibble (pre-emphasis 1, copy 2, 4-channel 8) */
	uint32_t pregap; /* audio: the blocks of INDEX 00 right before start */
	unsigned nindex;
	uint32_t index[VDRIVE_INDEXES_MAX]; /* audio: INDEX 02.. as offsets from start */
	char isrc[13];			    /* audio: "" or the 12-character ISRC */
};

#define VDRIVE_TRACKS_MAX 99

struct vdrive_info {
	char media[16];
	uint16_t profile;
	uint64_t capacity;
	bool loaded;
	const char *
		status; /* "blank", "appendable", "complete", "incomplete", "random", "unformatted" */
	unsigned nsessions;
	unsigned ntracks;
	struct vdrive_track tracks[VDRIVE_TRACKS_MAX];
	uint64_t nwa;	       /* next writable address (sequential media) */
	uint64_t used_end;     /* one past the last written block */
	char mcn[14];	       /* the disc's media catalogue number, "" for none */
	unsigned cdtext_packs; /* CD-Text packs in the lead-in */
};
void vdrive_get_info(const struct vdrive *vd, struct vdrive_info *ret);

/* Tray: load (true) or eject (false). -EBUSY while removal is prevented. */
int vdrive_set_loaded(struct vdrive *vd, bool loaded);

/*
 * Load a blank disc with the image in img_fd (made by burnfs or another tool): sessions
 * start at the n blocks in starts (the first 0), each one closed track reaching to the
 * next (less the lead-out/lead-in gap on CD); the disc is then appendable, or complete
 * when close_disc. Overwrite media take the bytes and ignore starts. -ENOTEMPTY for a
 * disc that is not blank, -ENOSPC for an image larger than the disc, -EINVAL for a file
 * or starts that do not fit; *ret_why then says which.
 */
int vdrive_import(struct vdrive *vd, int img_fd, const uint64_t *starts, size_t n, bool close_disc,
		  const char **ret_why);

/* Read blocks of the medium directly (export); -ENXIO past the capacity. */
int vdrive_read_blocks(struct vdrive *vd, uint64_t lba, uint32_t n, uint8_t *buf);

/*
 * Faults, stored in dir/faults (so a drive opened later, or already open, sees them at its
 * next command). SPEC is one of:
 *	write-error@LBA    the WRITE covering LBA fails with 03/0C/00 (once)
 *	corrupt-read@LBA   a READ of LBA from the medium returns one flipped bit; the drive's
 *	                   cache (the latest 64 MiB written) still serves good data to READ
 *	                   without FUA, until a tray cycle
 *	remove@LBA         the medium is removed when the write reaches LBA: what came before
 *	                   is recorded, the session stays open, the tray is open (02/3A/02)
 *	opc-fail           the first WRITE of a track fails with 03/73/03 (power calibration)
 *	stuck:OPCODE       that command (hex) starts an operation that never ends: NOT READY
 *	                   04/07 without progress until the fault is cleared
 *	slow:FACTOR        writes drain from a 4 MiB buffer at FACTOR x the medium's 1x speed;
 *	                   a WRITE into a full buffer gets 02/04/08 (1 <= FACTOR <= 64)
 *	clear              no faults
 * -EINVAL for another spec, -ENOENT when dir holds no drive.
 */
int vdrive_fault(const char *dir, const char *spec);

#endif
