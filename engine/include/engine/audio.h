/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Audio CD mastering (issue 14 §1): CUE sheets as rippers write them, decoding of the input
 * files to CD-DA (44.1 kHz, 16-bit, stereo, little-endian), CD-Text packs, and the track
 * plan with its MMC cue sheet. Times are in CD frames (sectors of 2352 bytes, 75 a second);
 * an LBA is a disc address where MSF 00:02:00 is 0. Nothing here is thread-safe.
 */
#ifndef BFS_ENGINE_AUDIO_H
#define BFS_ENGINE_AUDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

struct bfs_diag;

#define ENG_CD_FPS	  75   /* sectors a second */
#define ENG_CD_SECTOR	  2352 /* bytes of an audio sector */
#define ENG_CD_DATA_BLOCK 2048 /* bytes of a Mode 1 sector's user data */
#define ENG_CD_SAMPLES	  588  /* stereo sample frames of an audio sector */
#define ENG_CD_RATE	  44100
#define ENG_CD_MAX_TRACKS 99
#define ENG_CD_MAX_INDEX  99
#define ENG_CD_MIN_TRACK  300 /* sectors: 4 s, MMC-5 6.33.3.6 */
#define ENG_CD_LEADIN_GAP 150 /* the 2-second pregap of track 1 (and of TAO tracks) */
/* the post-gap a data track followed by an audio track ends with: 2 s in its own mode */
#define ENG_CD_DATA_POSTGAP 150
#define ENG_CD_74MIN	    333000 /* sectors of a 74-minute disc, for plans without a disc */

/* Q CONTROL nibble of a track (ECMA-130 22.3.3.1; reference boot-audio.md §4) */
enum eng_cd_ctl {
	ENG_CD_CTL_PRE = 1u << 0,  /* pre-emphasis */
	ENG_CD_CTL_COPY = 1u << 1, /* digital copy permitted */
	ENG_CD_CTL_DATA = 1u << 2,
	ENG_CD_CTL_4CH = 1u << 3,
};

/* The CD-Text string kinds a CUE sheet or the command line can give (pack types 80h-85h). */
enum eng_cdtext_kind {
	ENG_CDTEXT_TITLE,
	ENG_CDTEXT_PERFORMER,
	ENG_CDTEXT_SONGWRITER,
	ENG_CDTEXT_COMPOSER,
	ENG_CDTEXT_ARRANGER,
	ENG_CDTEXT_MESSAGE,
	ENG_CDTEXT_NKINDS,
};

/* "mm:ss:ff" of a count of sectors into buf (at least 12 bytes); returns buf. */
char *eng_msf_format(uint32_t sectors, char *buf, size_t len);

/* ---- CUE sheets (CDRWIN; reference boot-audio.md §8) ---- */

enum eng_cue_ftype {
	ENG_CUE_BINARY,	  /* raw little-endian CD-DA */
	ENG_CUE_MOTOROLA, /* raw big-endian CD-DA */
	ENG_CUE_WAVE,	  /* anything libsndfile reads (WAV, FLAC, Ogg...) */
	ENG_CUE_AIFF,
};

struct eng_cue_file {
	char *path; /* as written in the sheet, or resolved by eng_cue_load() */
	enum eng_cue_ftype type;
};

struct eng_cue_index {
	unsigned number; /* 0 = pregap, 1 = track start, 2-99 */
	unsigned file;	 /* index into the sheet's files */
	uint32_t offset; /* sectors from the start of that file */
};

struct eng_cue_track {
	unsigned number;
	unsigned ctl;  /* enum eng_cd_ctl from FLAGS; ENG_CD_CTL_DATA for MODE1/2048 */
	char isrc[13]; /* "" when none */
	char *text[ENG_CDTEXT_NKINDS];
	uint32_t pregap, postgap; /* generated silence (PREGAP, POSTGAP), sectors */
	unsigned nindex;
	struct eng_cue_index index[ENG_CD_MAX_INDEX + 1];
};

struct eng_cue_sheet {
	char catalog[14]; /* MCN, 13 digits, "" when none */
	char *text[ENG_CDTEXT_NKINDS];
	size_t nfiles, ntracks;
	struct eng_cue_file *files;
	struct eng_cue_track *tracks;
};

/*
 * Parse a CUE sheet held in text[0..len) (no NUL needed). name is used in messages only:
 * "NAME:LINE: what is wrong". Returns 0 and a sheet the caller frees with eng_cue_free(),
 * -EINVAL (diag says file and line) for a malformed sheet, -EOPNOTSUPP for a data track
 * that is not track 1 of a mixed-mode CD (`TRACK 01 MODE1/2048` from a BINARY file, the
 * only data track burnt), -ENOMEM.
 */
int eng_cue_parse(const char *text, size_t len, const char *name, struct eng_cue_sheet **ret,
		  struct bfs_diag *diag) BFS_WARN_UNUSED;

/* Whether s is an ISRC (CCOOOYYSSSSS: 5 of [0-9A-Z], 7 digits) / an MCN (13 digits). */
bool eng_isrc_valid(const char *s);
bool eng_mcn_valid(const char *s);

/* Read and parse the sheet at path; FILE names are resolved against its directory. */
int eng_cue_load(const char *path, struct eng_cue_sheet **ret,
		 struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * A sheet of one track a file, as `burnfs audio TRACK...` gives them: each INDEX 01 at the
 * start of its file, `pregap` sectors of silence before tracks 2.. (track 1 has its 2 s).
 * Files named *.bin, *.raw or *.pcm are raw little-endian CD-DA, *.cdr big-endian; others
 * go to libsndfile. -EINVAL for none or more than 99 files, -ENOMEM.
 */
int eng_cue_of_files(const char *const *paths, size_t n, uint32_t pregap,
		     struct eng_cue_sheet **ret, struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * Make s a mixed-mode CD: the ISO image at iso_path (2048-byte blocks) becomes data track 1
 * (MODE1/2048, its own FILE, BINARY) and the audio tracks move to 2..; the first of them gets
 * the 2-s pregap that follows a data track. -EINVAL when s already has a data track or 99
 * tracks, -ENOMEM.
 */
int eng_cue_add_data(struct eng_cue_sheet *s, const char *iso_path,
		     struct bfs_diag *diag) BFS_WARN_UNUSED;

struct eng_cue_sheet *eng_cue_free(struct eng_cue_sheet *s);
BFS_DEFINE_FREEP(struct eng_cue_sheet, eng_cue_free)

/* ---- decoding (libsndfile, libsamplerate) ---- */

struct eng_audio_src;

/*
 * Open an audio file as CD-DA. Raw types (BINARY, MOTOROLA) are read as they are; others go
 * through libsndfile, and when they are not 44.1 kHz stereo they are converted once (mono
 * doubled, more channels mixed down, resampled by libsamplerate) into an unlinked temporary
 * file of $TMPDIR, with a warning in diag. Returns 0 and the source (free with
 * eng_audio_src_free()), -ENOENT/-EACCES, -EINVAL for a file libsndfile cannot read, -EIO.
 */
int eng_audio_src_open(const char *path, enum eng_cue_ftype type, struct eng_audio_src **ret,
		       struct bfs_diag *diag) BFS_WARN_UNUSED;
struct eng_audio_src *eng_audio_src_free(struct eng_audio_src *s);
BFS_DEFINE_FREEP(struct eng_audio_src, eng_audio_src_free)

/*
 * The file's own tag for a CD-Text kind (libsndfile's title, artist; FLAC and Ogg comments,
 * WAV INFO chunks), or NULL: ENG_CDTEXT_TITLE, ENG_CDTEXT_PERFORMER, and for the album
 * (album = true) its title. Valid while s is.
 */
const char *eng_audio_src_tag(const struct eng_audio_src *s, enum eng_cdtext_kind k, bool album);

/* Length in stereo sample frames (the file's length as CD-DA, after any conversion). */
uint64_t eng_audio_src_frames(const struct eng_audio_src *s);

/*
 * Read n stereo frames from frame `first` as CD-DA bytes (4 a frame, LE) into buf; frames
 * past the end read as silence. Returns 0, -EIO.
 */
int eng_audio_src_read(struct eng_audio_src *s, uint64_t first, size_t n, uint8_t *buf,
		       struct bfs_diag *diag) BFS_WARN_UNUSED;

/* ---- CD-Text (reference boot-audio.md §5) ---- */

#define ENG_CDTEXT_PACK	     18
#define ENG_CDTEXT_MAX_PACKS 256 /* one block (one language) */

struct eng_cdtext {
	unsigned first_track, last_track;
	/* [0] the album, [n] track first_track + n - 1; NULL = none; ISO-8859-1 or UTF-8 */
	const char *text[ENG_CD_MAX_TRACKS + 1][ENG_CDTEXT_NKINDS];
	const char *upc_isrc[ENG_CD_MAX_TRACKS + 1]; /* 8Eh: [0] UPC/EAN (MCN), [n] ISRC */
};

/*
 * The CD-Text of a sheet: its album and track strings; with srcs (the sheet's files, open),
 * what the sheet leaves out comes from the files' tags: each track's title and performer
 * (from the file of its INDEX 01), the album's title and performer when every track's file
 * agrees. The strings are borrowed from the sheet and the sources.
 */
void eng_cdtext_of_sheet(const struct eng_cue_sheet *s, struct eng_audio_src *const *srcs,
			 struct eng_cdtext *ret);

/* CRC of a pack's first 16 bytes: CCITT polynomial 1021h, init 0, inverted. */
uint16_t eng_cdtext_crc(const uint8_t *p, size_t n);

/*
 * The packs of one block (English, ISO-8859-1) for t: the text packs in type order, then the
 * three 8Fh size packs, each with its CRC. Writes *ret_n packs of 18 bytes into a buffer the
 * caller frees. Returns 0, -EINVAL for text not representable in ISO-8859-1, -ENOSPC when
 * the text needs more than 253 packs, -ENOMEM.
 */
int eng_cdtext_packs(const struct eng_cdtext *t, uint8_t **ret_packs, size_t *ret_n,
		     struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * The 96 bytes of R-W subchannel of lead-in sector `sector`: packs 4*sector.. (repeating the
 * list), each 18-byte pack spread into 24 six-bit symbols.
 */
void eng_cdtext_leadin(const uint8_t *packs, size_t npacks, uint64_t sector, uint8_t out[96]);

/* ---- the plan: tracks on the disc, and the MMC cue sheet ---- */

/* A run of the program area: audio of a source, or digital silence when src is NULL. */
struct eng_audio_run {
	struct eng_audio_src *src; /* borrowed */
	uint64_t first;		   /* first stereo frame in src */
	uint64_t frames;	   /* a multiple of 588 except where a file ends (padded) */
};

struct eng_audio_ptrack {
	unsigned number;
	unsigned ctl;
	char isrc[13];
	int32_t pregap_lba; /* INDEX 00 (== start when there is no pregap) */
	int32_t start;	    /* INDEX 01 */
	uint32_t length;    /* sectors from INDEX 01 to the next track's INDEX 00 / lead-out */
	unsigned nindex;    /* further index points 02.. */
	int32_t index[ENG_CD_MAX_INDEX - 1];
	size_t first_run, nruns; /* its runs, INDEX 00 on, in the plan's runs */
};

struct eng_audio_plan {
	char mcn[14];
	/*
	 * A mixed-mode CD's data track 1 (tracks[0], CONTROL ENG_CD_CTL_DATA, no runs): its
	 * file as a raw source whose bytes are the ISO's (BINARY sources read unchanged, 512
	 * frames a 2048-byte block), data_blocks long from LBA 0, after a pregap of 150 blocks
	 * of zeros. NULL for an audio-only plan; the runs then start at tracks[1]'s INDEX 00.
	 */
	struct eng_audio_src *data; /* borrowed */
	uint32_t data_blocks;
	size_t ntracks;
	struct eng_audio_ptrack tracks[ENG_CD_MAX_TRACKS];
	int32_t leadout; /* LBA */
	size_t nruns;
	struct eng_audio_run *runs; /* from LBA tracks[0].pregap_lba to the lead-out */
};

struct eng_audio_plan *eng_audio_plan_free(struct eng_audio_plan *p);
BFS_DEFINE_FREEP(struct eng_audio_plan, eng_audio_plan_free)

/*
 * Plan a disc-at-once from a parsed sheet whose files are open in srcs (one per
 * sheet->files, borrowed for the plan's life). Track 1 starts at LBA -150 (a longer pregap
 * of track 1 moves its INDEX 01 later, as a hidden track). A data track 1 (mixed mode) is its
 * file's 2048-byte blocks from LBA 0; the audio track after it gets silence up to a pregap of
 * 2 s (Yellow Book: a change of track mode needs 2 s of gap; the gap is kept as the audio
 * track's INDEX 00, audio silence, as cdrdao and wodim do). Rejects (-EINVAL, naming the
 * track) tracks under 4 s, index points out of order or past their file, a data file that is
 * not whole 2048-byte blocks. Returns 0, -EINVAL, -ENOMEM.
 */
int eng_audio_plan_cue(const struct eng_cue_sheet *sheet, struct eng_audio_src *const *srcs,
		       struct eng_audio_plan **ret, struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * Check the plan against a disc of `capacity` sectors from LBA 0 (the lead-out must start
 * at or before it). -ENOSPC names both lengths in mm:ss:ff.
 */
int eng_audio_plan_check(const struct eng_audio_plan *p, uint32_t capacity,
			 struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * The SEND CUE SHEET bytes (MMC-6 6.33; 8 per entry) of a DAO of p: MCN, the lead-in (form
 * 41h with CD-Text, else 01h), per track ISRC, INDEX 00, 01, 02..., and the lead-out.
 * Writes into a buffer the caller frees. Returns 0, -ENOMEM.
 */
int eng_audio_cue_sheet(const struct eng_audio_plan *p, bool cdtext, uint8_t **ret,
			size_t *ret_len) BFS_WARN_UNUSED;

/* ---- burning and verifying (mmc/audio.h) ---- */

struct mmc_drive;

enum eng_audio_mode {
	ENG_AUDIO_SAO, /* disc-at-once: the plan's pregaps and index points, CD-Text, ISRC, MCN */
	ENG_AUDIO_TAO, /* track-at-once: one WRITE sequence a track, 2-s pregaps by the drive */
};

enum eng_audio_phase {
	ENG_AUDIO_PHASE_WRITE,
	ENG_AUDIO_PHASE_VERIFY,
};

struct eng_audio_status {
	enum eng_audio_phase phase;
	unsigned track;	      /* being written or read */
	uint64_t done, total; /* sectors of the phase */
};

/* Called every few sectors from the job's thread; a negative return cancels (-ECANCELED). */
typedef int (*eng_audio_progress_fn)(const struct eng_audio_status *st, void *userdata);

struct eng_audio_burn_opts {
	enum eng_audio_mode mode;
	bool simulate; /* test write: the drive records nothing (verify is then skipped) */
	bool close;    /* TAO: finalize the disc; else it stays appendable. SAO always closes */
	bool verify;
	const uint8_t *cdtext; /* SAO: sealed packs (eng_cdtext_packs) for the lead-in, or NULL */
	size_t ncdtext;
	/*
	 * Verify: samples either side of 0 to search for the drive's read offset (a real
	 * drive reads audio a fixed number of samples early or late); 0 compares as read.
	 */
	unsigned offset_search;
	eng_audio_progress_fn progress;
	void *userdata;
};

/*
 * Burn the plan onto the blank (SAO) or blank/appendable (TAO) CD in d, after checking that
 * it fits; then, with o->verify, eng_audio_verify(). TAO writes each track's audio from its
 * INDEX 01 (the plan's pregaps are the drive's 2 s of silence, so plans for TAO have none
 * but track 1's; -EINVAL naming the track for one with pregaps or index points of its
 * own; -EINVAL too for a mixed-mode plan: its data track needs the cue sheet). SAO writes a
 * data track 1 in 2048-byte blocks from its pregap at -150 (zeros), then the audio.
 * Returns 0, -ENOSPC (lengths in mm:ss:ff), -EMEDIUMTYPE for a disc that is
 * not a writable CD, -EILSEQ when verify finds a difference, -ECANCELED, -EIO...
 */
int eng_audio_burn(struct mmc_drive *d, const struct eng_audio_plan *p,
		   const struct eng_audio_burn_opts *o, struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * Read the plan's tracks back with READ CD and compare them sample for sample with their
 * sources: SAO from each track's INDEX 00, TAO from INDEX 01 of the disc's last audio
 * tracks (as the TOC places them; a data session after them is passed over); a mixed-mode
 * plan's data track is read with READ(10) and compared with its image first ("data track 01
 * differs from its image at block N"). The first difference fails with -EILSEQ and a message naming the
 * track and the time in it (mm:ss:ff from INDEX 01) and on the disc. *ret_offset (may be
 * NULL): the read offset used, in samples.
 */
int eng_audio_verify(struct mmc_drive *d, const struct eng_audio_plan *p,
		     const struct eng_audio_burn_opts *o, int *ret_offset,
		     struct bfs_diag *diag) BFS_WARN_UNUSED;

/* ---- a CD's audio as its drive reports it (audio-info.c) ---------------------------- */

struct eng_audio_track_info {
	unsigned number;
	int32_t start;	 /* INDEX 01, LBA */
	uint32_t length; /* sectors */
	uint8_t ctl;	 /* enum eng_cd_ctl */
	char isrc[13];	 /* "" for none */
};

struct eng_audio_disc {
	unsigned ntracks; /* audio tracks: the disc's data tracks are left out */
	struct eng_audio_track_info tracks[ENG_CD_MAX_TRACKS];
	uint64_t blocks; /* of the audio tracks */
	char mcn[14];	 /* "" for none */
	size_t cdtext_packs;
};

/*
 * The audio tracks of the CD in d (READ TOC, READ SUB-CHANNEL, CD-Text), for a listing:
 * ntracks 0 for a disc without audio, or one whose drive answers none of it (not an
 * error). profile: the medium's (only CDs, 0009h and 000Ah, are asked). -ENOMEM.
 */
int eng_audio_disc_read(struct mmc_drive *d, unsigned profile,
			struct eng_audio_disc *ret) BFS_WARN_UNUSED;

#endif
