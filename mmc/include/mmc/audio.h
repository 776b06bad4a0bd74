/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Audio CDs through the MMC layer (boot-audio.md 4-7, mmc.md 1.3, 2.2, 2.3): the write
 * parameters of Track At Once and Session At Once audio, the SAO cue sheet, writing and
 * reading 2352-byte audio sectors, the TOC (READ TOC/PMA/ATIP formats 0, 1, 2), CD-Text
 * (format 5) and the sub-channel's MCN and ISRC (READ SUB-CHANNEL).
 *
 * Addresses are LBAs, signed: LBA 0 is MSF 00:02:00, the pregap of track 1 of a first session
 * is LBA -150..-1 and the CD-Text lead-in lies before it. An audio sector ("block" below) is
 * 2352 bytes: 588 stereo frames of signed 16-bit little-endian samples, left then right, as
 * in a 44.1 kHz WAV file's data.
 *
 * The burn flows the engine follows with these functions:
 *
 * TAO, one track per WRITE sequence (mmc.md 2.2), each track:
 *	mmc_audio_set_tao()        page 05h: TAO, audio, block type 0, its ISRC/MCN
 *	mmc_media_probe()          (mmc.h) .nwa: the drive already laid down the 2 s pregap
 *	mmc_audio_write()          the track's blocks from the NWA, at least 300
 *	mmc_sync_cache()           (mmc.h)
 *	mmc_audio_close_track()
 *   then once: mmc_audio_close_session() (finalizes unless the last page 05h said multi).
 *
 * SAO, the whole session at once (mmc.md 2.3; only on a blank CD; a mixed-mode CD's data
 * track 1 is written with mmc_audio_write_data(), its pregap from -150 too):
 *	mmc_audio_set_sao()        page 05h: SAO
 *	mmc_audio_send_cue_sheet() the layout: pregaps, index points, ISRC, MCN, CD-Text flag
 *	mmc_audio_write_leadin()   only when layout.cdtext: the packs, repeated in the lead-in
 *	mmc_audio_write()          from LBA -150 on, every block of the layout in order:
 *	                           track 1's pregap, its body, track 2's pregap, ... exactly
 *	                           mmc_audio_layout_blocks() of them
 *	mmc_sync_cache()           (mmc.h) no CLOSE: the drive writes the lead-out itself
 *
 * Not thread-safe (one thread per drive handle, as mmc.h).
 */
#ifndef BFS_MMC_AUDIO_H
#define BFS_MMC_AUDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"

struct mmc_drive;

#define MMC_AUDIO_BLOCK	       2352u /* bytes of an audio sector */
#define MMC_DATA_BLOCK	       2048u /* bytes of a Mode 1 sector (a mixed-mode data track) */
#define MMC_AUDIO_FPS	       75u   /* sectors (CD frames) a second */
#define MMC_AUDIO_PREGAP       150u  /* the 2-second pregap: track 1's, and TAO's */
#define MMC_AUDIO_TRACK_MIN    300u  /* the shortest track, 4 s (MMC-5 6.33.3.6) */
#define MMC_AUDIO_TRACKS_MAX   99u
#define MMC_AUDIO_INDEXES_MAX  32u /* index points 02.. a track may have (up to 33) */
#define MMC_AUDIO_ISRC_LEN     12u /* CCOOOYYSSSSS */
#define MMC_AUDIO_MCN_LEN      13u /* digits (UPC/EAN) */
#define MMC_CDTEXT_PACK	       18u /* bytes of a CD-Text pack, its CRC included */
#define MMC_CDTEXT_PACKS_MAX   2048u
#define MMC_AUDIO_LEADIN_BLOCK 96u /* bytes of a lead-in block sent for CD-Text: 4 packs */

/* The CONTROL nibble of a track (Q sub-channel, TOC ADR/CONTROL, cue sheet CTL, page 05h
 * Track Mode; boot-audio.md 4 and 6) */
#define MMC_AUDIO_CTL_PREEMPHASIS 0x01
#define MMC_AUDIO_CTL_COPY	  0x02 /* digital copy permitted */
#define MMC_AUDIO_CTL_DATA	  0x04 /* a data track (never set for audio) */
#define MMC_AUDIO_CTL_4CH	  0x08 /* four-channel audio */

/* Absolute MSF of an LBA (LBA + 150; the lead-in, LBA < -150, + 450150): m, s, f binary. */
void mmc_lba_to_msf(int32_t lba, uint8_t ret_msf[3]);
/* The LBA of an absolute MSF (binary; M >= 90 is the lead-in). */
int32_t mmc_msf_to_lba(uint8_t m, uint8_t s, uint8_t f);
/* "mm:ss:ff" of a count of blocks (a track-relative time or a length), in buf[9]. */
const char *mmc_audio_time(uint32_t blocks, char buf[9]);

/* ---- writing ------------------------------------------------------------------------------ */

/* Page 05h for one TAO audio track (mmc.md 1.3). */
struct mmc_audio_tao {
	bool test;   /* Test Write: the drive goes through the motions, records nothing */
	bool multi;  /* Multi-session 11b: the session may be closed leaving the disc appendable;
		     * false: closing it finalizes the disc */
	uint8_t ctl; /* MMC_AUDIO_CTL_PREEMPHASIS | MMC_AUDIO_CTL_COPY */
	char isrc[MMC_AUDIO_ISRC_LEN + 1]; /* "" for none; else 12 of [0-9A-Z] */
	char mcn[MMC_AUDIO_MCN_LEN + 1];   /* "" for none; else 13 digits */
};

/*
 * MODE SELECT page 05h: write type TAO, BUFE, Track Mode = ctl (audio), Data Block Type 0
 * (2352 raw), session format 00h, Audio Pause Length 150, the MCN (byte 16) and ISRC (byte
 * 32) with their valid bits when given. Send it before each track: the ISRC is the track's.
 * -EINVAL (nothing sent) for an ISRC or MCN that is malformed, or ctl with DATA set.
 */
int mmc_audio_set_tao(struct mmc_drive *d, const struct mmc_audio_tao *p,
		      struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * MODE SELECT page 05h: write type SAO, BUFE, Test Write when test, Multi-session 11b when
 * multi (an audio session then a data session: Enhanced CD), else 00b. Track mode and block
 * type are what the cue sheet says.
 */
int mmc_audio_set_sao(struct mmc_drive *d, bool test, bool multi,
		      struct bfs_diag *diag) BFS_WARN_UNUSED;

/* One track of an SAO session, as its cue sheet describes it. */
struct mmc_audio_track {
	/* CONTROL nibble: MMC_AUDIO_CTL_PREEMPHASIS | MMC_AUDIO_CTL_COPY; MMC_AUDIO_CTL_DATA
	 * (with COPY only) for track 1 of a mixed-mode CD: Mode 1, 2048-byte blocks, its
	 * pregap too (zeros), no index points; the audio track after it needs a pregap >= 150 */
	uint8_t ctl;
	uint32_t pregap; /* blocks of INDEX 00 before INDEX 01; track 1: >= 150 (more than 150
			  * is audio before track 1, a hidden track); others: 0 = gapless */
	uint32_t length; /* blocks from INDEX 01 to the next track's INDEX 00 (the last: to
			  * the lead-out); >= 300 with the pregap included for tracks 2.. */
	unsigned nindex; /* index points 02, 03, ... */
	uint32_t index[MMC_AUDIO_INDEXES_MAX]; /* their offsets from INDEX 01 in blocks,
						* increasing, each > 0 and < length */
	char isrc[MMC_AUDIO_ISRC_LEN + 1];     /* "" for none */
};

/*
 * A session of audio tracks written SAO from LBA -150 on: track 1's INDEX 00 at -150, its
 * INDEX 01 at pregap - 150 (0 for the usual 2 s), each next track's INDEX 00 right after the
 * previous track's last block; the lead-out after the last track.
 */
struct mmc_audio_layout {
	unsigned first;	  /* the first track's number (1) */
	unsigned ntracks; /* 1..99, first + ntracks - 1 <= 99 */
	struct mmc_audio_track tracks[MMC_AUDIO_TRACKS_MAX];
	char mcn[MMC_AUDIO_MCN_LEN + 1]; /* "" for none */
	bool cdtext; /* the host sends CD-Text in the lead-in (mmc_audio_write_leadin) */
};

/* Blocks the host writes from LBA -150 for the layout: every pregap and track body. */
uint64_t mmc_audio_layout_blocks(const struct mmc_audio_layout *l);
/* The LBA of track i's (0-based) INDEX 01 in the layout; of the lead-out for i = ntracks. */
int32_t mmc_audio_layout_start(const struct mmc_audio_layout *l, unsigned i);

/*
 * The cue sheet of the layout (MMC-6 6.33.3; boot-audio.md 4): MCN x2 (ADR 2), the lead-in
 * (TNO 0, data form 01h, or 41h when cdtext), per track ISRC x2 (ADR 3), INDEX 00 (data
 * form 00h: the host sends the pregap's audio, silence or not), INDEX 01, 02.., and the
 * lead-out (TNO AAh, form 01h); TNO, index and MSF binary, MSF absolute. Into buf (cap
 * bytes, 8 per entry; (3 + 2 + 99 * (4 + 32)) * 8 always suffice), *ret_len its size.
 * -EINVAL naming the track and field for a layout that breaks the rules above (a track
 * too short, an index out of order, a malformed ISRC/MCN, more than 99 tracks, a disc longer
 * than 99:59:74), -ENOBUFS when cap is too small.
 */
int mmc_audio_cue_sheet(const struct mmc_audio_layout *l, uint8_t *buf, size_t cap, size_t *ret_len,
			struct bfs_diag *diag) BFS_WARN_UNUSED;

/* mmc_audio_cue_sheet() and SEND CUE SHEET (after mmc_audio_set_sao()). */
int mmc_audio_send_cue_sheet(struct mmc_drive *d, const struct mmc_audio_layout *l,
			     struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * The CRC of a CD-Text pack (boot-audio.md 5): CRC-16 polynomial 1021h, init 0, of bytes
 * 0..15, inverted; stored big-endian in bytes 16-17 (mmc_cdtext_pack_seal does that).
 */
uint16_t mmc_cdtext_crc(const uint8_t pack[16]);
void mmc_cdtext_pack_seal(uint8_t pack[MMC_CDTEXT_PACK]);

/*
 * SAO with CD-Text, after SEND CUE SHEET: the lead-in from its start (READ TOC format 4,
 * ATIP: the M >= 90 lead-in start, e.g. -11635) to LBA -151, WRITE(10)s of 96-byte blocks,
 * each 4 packs spread into 6-bit R-W symbols (boot-audio.md 4), the npacks packs repeated
 * in order. The packs are sealed (mmc_cdtext_pack_seal) by the caller. -EINVAL for 0 or
 * more than MMC_CDTEXT_PACKS_MAX packs, -EPROTO for an ATIP without a lead-in start.
 */
int mmc_audio_write_leadin(struct mmc_drive *d, const uint8_t *packs, size_t npacks,
			   struct bfs_diag *diag) BFS_WARN_UNUSED;

/* The lead-in start of the medium: READ TOC format 4 (ATIP) bytes 8-10, as an LBA. */
int mmc_audio_leadin_start(struct mmc_drive *d, int32_t *ret_lba,
			   struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * WRITE(10) of n audio blocks (2352 bytes each) at lba (negative in SAO's pregap), in
 * commands the transport takes; a full drive buffer (02/04/08) is waited out as mmc_write()
 * does. A failure names the block.
 */
int mmc_audio_write(struct mmc_drive *d, int32_t lba, uint32_t n, const uint8_t *buf,
		    struct bfs_diag *diag) BFS_WARN_UNUSED;

/* WRITE(10) of n Mode 1 blocks (2048 bytes) at lba (negative in the pregap): SAO's data track. */
int mmc_audio_write_data(struct mmc_drive *d, int32_t lba, uint32_t n, const uint8_t *buf,
			 struct bfs_diag *diag) BFS_WARN_UNUSED;

/* TAO: CLOSE TRACK (001b) of the invisible track's predecessor, the one just written. */
int mmc_audio_close_track(struct mmc_drive *d, struct bfs_diag *diag) BFS_WARN_UNUSED;
/* TAO: CLOSE SESSION (010b): appendable or finalized as page 05h's Multi-session said. */
int mmc_audio_close_session(struct mmc_drive *d, struct bfs_diag *diag) BFS_WARN_UNUSED;

/* ---- reading ------------------------------------------------------------------------------ */

/*
 * READ CD (BEh) of n blocks at lba: Expected Sector Type CD-DA, user data only (2352 bytes
 * each, no sub-channel), into buf (n * 2352 bytes). -EIO-class errors name the block; a data
 * track answers 05/64/00 (illegal mode), returned as the sense table says.
 */
int mmc_audio_read(struct mmc_drive *d, int32_t lba, uint32_t n, uint8_t *buf,
		   struct bfs_diag *diag) BFS_WARN_UNUSED;

struct mmc_toc_track {
	unsigned number;  /* 1..99 */
	unsigned session; /* from format 2; 1 when the drive gives no Full TOC */
	uint8_t ctl;	  /* CONTROL nibble: MMC_AUDIO_CTL_DATA clear for audio */
	int32_t start;	  /* INDEX 01 */
	uint32_t length;  /* blocks to the next track's start, or to its session's lead-out */
};

struct mmc_toc {
	unsigned first, last; /* track numbers */
	unsigned ntracks;
	struct mmc_toc_track tracks[MMC_AUDIO_TRACKS_MAX];
	int32_t leadout;	    /* format 0 track AAh: the last session's lead-out */
	unsigned sessions;	    /* format 1: the last complete session's number */
	int32_t last_session_start; /* format 1: its first track's start */
};

/*
 * READ TOC formats 0 (LBA), 1 and 2 (MSF: each track's session, each session's lead-out
 * from A2h for the lengths); a drive without formats 1 or 2 gives one session. A blank disc
 * gives no tracks, or the error its drive answers (05/24/00 through the sense table).
 * -EPROTO for a reply that contradicts itself (tracks out of order, a lead-out before a
 * track). Data tracks are listed too (CONTROL with MMC_AUDIO_CTL_DATA).
 */
int mmc_read_toc(struct mmc_drive *d, struct mmc_toc *ret, struct bfs_diag *diag) BFS_WARN_UNUSED;

/* The parsers of the above, for tests: b[0..n) the reply of format 0 / 1 / 2. -EPROTO. */
int mmc_parse_toc0(const uint8_t *b, size_t n, struct mmc_toc *ret, struct bfs_diag *diag);
int mmc_parse_toc1(const uint8_t *b, size_t n, struct mmc_toc *toc, struct bfs_diag *diag);
int mmc_parse_toc2(const uint8_t *b, size_t n, struct mmc_toc *toc, struct bfs_diag *diag);

/*
 * READ TOC format 5: the CD-Text packs of the lead-in into packs (cap packs of 18 bytes),
 * *ret_n of them (0 when the disc has none: the drive answers 05/24/00 or an empty list).
 * Packs are returned as read, CRCs not checked (mmc_cdtext_crc does that).
 */
int mmc_read_cdtext(struct mmc_drive *d, uint8_t *packs, size_t cap, size_t *ret_n,
		    struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * READ SUB-CHANNEL (42h), SubQ, format 02h: the disc's MCN into ret (13 digits and NUL),
 * "" when the drive says MCVal 0 (none recorded; retried once, as drives may report it late).
 */
int mmc_read_mcn(struct mmc_drive *d, char ret[MMC_AUDIO_MCN_LEN + 1],
		 struct bfs_diag *diag) BFS_WARN_UNUSED;
/* READ SUB-CHANNEL format 03h for track: its ISRC, "" when TCVal is 0. */
int mmc_read_isrc(struct mmc_drive *d, unsigned track, char ret[MMC_AUDIO_ISRC_LEN + 1],
		  struct bfs_diag *diag) BFS_WARN_UNUSED;

/* Whether s is 12 of [0-9A-Z] with the first 5 [0-9A-Z] and the last 7 digits (an ISRC). */
bool mmc_isrc_valid(const char *s);
/* Whether s is 13 digits (an MCN). */
bool mmc_mcn_valid(const char *s);

#endif
