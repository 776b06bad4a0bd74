/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the virtual drive's source files share: the media table, the drive's state and the
 * helpers that build replies and sense. Not installed; see vdrive/vdrive.h for the API.
 */
#ifndef BFS_VDRIVE_INTERNAL_H
#define BFS_VDRIVE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vdrive/vdrive.h"

struct bfs_diag;

#define BLOCK	       2048u
#define CD_SESSION_GAP 11400u /* lead-out 6750 + lead-in 4500 + pregap 150 */

enum media_class { MC_CD, MC_DVD, MC_BD };

struct media {
	const char *name;
	uint16_t profile;
	uint64_t capacity;
	enum media_class cls;
	bool overwrite;	  /* random writes: DVD+RW, DVD-RAM, BD-RE */
	bool blankable;	  /* CD-RW, DVD-RW */
	unsigned x1_kBps; /* 1x in kB/s (1000 bytes): CD 176, DVD 1385, BD 4496 */
	unsigned max_x;	  /* the fastest write speed, in multiples of 1x */
	/* the largest capacity the medium's addressing expresses (vdrive_capacity_range) */
	uint64_t max_capacity;
};

/* The smallest capacity of any medium: room for a session of a few files and its
 * file system (ISO 9660 and UDF descriptors, the manifest), 2 MiB */
#define VD_CAPACITY_MIN 1024u

extern const struct media vd_media_table[];
extern const size_t vd_media_count;

enum disc_status { DS_BLANK, DS_INCOMPLETE, DS_APPENDABLE, DS_COMPLETE };

struct vdrive {
	char *dir;
	int lock_fd;
	int img_fd;
	const struct media *m;
	uint64_t capacity;
	bool loaded, prevent, multisession, written; /* written: overwrite media used */
	bool unformatted; /* overwrite media before their first FORMAT UNIT */
	enum disc_status status;
	unsigned ntracks;
	struct vdrive_track tracks[VDRIVE_TRACKS_MAX];
	uint64_t used_end;
	uint8_t ua_pending;	      /* a unit attention's ASC: 29h after open, 28h after load */
	uint64_t commit_blocks;	      /* state saved at least this often while writing */
	bool state_dirty;	      /* written since the state was last saved */
	uint8_t sense_key, asc, ascq; /* for REQUEST SENSE */
	/* speeds selected by SET CD SPEED / SET STREAMING, kB/s; 0: the fastest */
	unsigned read_kBps, write_kBps;
	/* the drive's write buffer: size and what is free now (READ BUFFER CAPACITY) */
	uint32_t buf_size, buf_free;
	/* GET EVENT STATUS NOTIFICATION: a media event not yet reported (0: none) */
	uint8_t media_event;
	/*
	 * A long operation (close, format, blank, flush): until op_end_ns (CLOCK_MONOTONIC)
	 * commands get NOT READY 04/op_ascq with progress; UINT64_MAX: stuck (a fault).
	 */
	uint64_t op_start_ns, op_end_ns;
	uint8_t op_ascq;
	uint64_t longop_ms; /* how long one takes (BURNFS_VDRIVE_LONGOP_MS, default 200) */
	/* the drive's read cache: the latest writes, served to READ without FUA */
	uint64_t cache_lo, cache_hi;
	/* the write buffer under slow:FACTOR: bytes in it at buf_t_ns, drained at the speed */
	uint64_t buf_fill, buf_t_ns;
	/* page 05h Test Write (simulation): writes are checked but nothing is recorded */
	bool test_write;
	uint64_t test_nwa; /* the simulated NWA while test writing */
	/* page 05h Write Type: 0 packet/incremental, 1 TAO, 2 SAO (CD) */
	uint8_t write_type;
	/* SAO after SEND CUE SHEET: the block past the session's last (0: no cue sheet) */
	uint64_t sao_end;
	/* SAO: blocks of the first track's pregap (cue sheet index 0 before index 1) that the
	 * host sends first, at the LBAs just before the NWA (-150 on a blank CD) */
	uint32_t sao_pregap;
	/* page 05h: Data Block Type (MMC_WP_BLOCK_RAW: audio), Track Mode, and the MCN and
	 * ISRC a TAO audio track takes ("" when not valid) */
	uint8_t block_type, track_mode;
	char wp_mcn[14], wp_isrc[13];
	/* SAO of audio tracks after SEND CUE SHEET, NULL when none is pending */
	struct vd_sao *sao;
	int audio_fd; /* DIR/audio.img, opened at the first audio block (-1: not yet) */
	/* the disc's MCN ("" for none) and the CD-Text packs of its lead-in */
	char mcn[14];
	uint8_t *cdtext;
	size_t cdtext_packs;
	/* faults */
	struct timespec faults_mtime;
	uint64_t faults_ino;				   /* 0: no faults file */
	uint64_t write_error_lba, corrupt_lba, remove_lba; /* UINT64_MAX: none */
	/* one-shot faults that fired (kind 'w' write-error, 'r' remove): a later change of
	 * the faults file does not arm them again; `fault clear` forgets them */
	struct {
		char kind;
		uint64_t lba;
	} fired[16];
	unsigned nfired;
	bool opc_fail;
	int stuck_op;	      /* -1: none */
	unsigned slow_factor; /* 0: unthrottled */
};

/* CHECK CONDITION with fixed-format sense key/ASC/ASCQ (also kept for REQUEST SENSE). */
void vd_check(struct vdrive_result *res, struct vdrive *vd, uint8_t key, uint8_t asc, uint8_t ascq);

/* Copy a reply of n bytes into buf (len bytes), honouring the allocation length alloc. */
void vd_reply(struct vdrive_result *res, void *buf, size_t len, size_t alloc, const uint8_t *data,
	      size_t n);

/* Sessions on the disc (the last track's session number), 0 when blank. */
unsigned vd_nsessions(const struct vdrive *vd);

/* The next writable address of sequential media, UINT64_MAX when none. */
uint64_t vd_nwa(const struct vdrive *vd);

/* "DIR/NAME", malloc()ed; NULL when out of memory. */
char *vd_path(const char *dir, const char *name);

/* The media table's entry of that name, NULL if none. */
const struct media *vd_media_by_name(const char *name);

/* Replace the state file atomically; durable also fsyncs data, state and directory. */
int vd_state_save(struct vdrive *vd, bool durable);

/*
 * Read dir/state into vd (media, capacity, flags, tracks) and check it against itself:
 * -EUCLEAN with what is damaged in diag, never a guess (vd->m is set when the medium could
 * be read). The caller checks the disc image against vd->used_end.
 */
int vd_state_load(struct vdrive *vd, struct bfs_diag *diag);

/* Take the drive's lock (dir/lock, flock): the fd, -EBUSY when another process has it. */
int vd_lock(const char *dir);

/*
 * Write n blocks at lba with the rules of the medium (NWA, capacity, closed disc, faults);
 * opens a track at the NWA of sequential media when none is open.
 */
void vd_write(struct vdrive *vd, uint64_t lba, uint32_t n, const uint8_t *buf,
	      struct vdrive_result *res);

/* ---- audio (audio.c) ------------------------------------------------------------------ */

#define AUDIO_BLOCK	 2352u
#define AUDIO_PREGAP	 150u
#define CDTEXT_PACK	 18u
#define CDTEXT_MAX_PACKS 2048u
#define LEADIN_BLOCK	 96u	  /* a lead-in block of CD-Text: 4 packs in 6-bit symbols */
#define ATIP_LEADIN_LBA	 (-11635) /* 97:26:65, a common CD-R's lead-in start */

/* A pending SAO session of audio tracks (SEND CUE SHEET). */
struct vd_sao {
	int32_t next;	     /* the block the host sends next */
	int32_t audio_start; /* the first track's INDEX 00 (-150 on a blank disc) */
	int32_t end;	     /* the lead-out */
	/* a mixed-mode disc's data track 1 (2048-byte blocks, those before LBA 0 its pregap)
	 * ends here; audio_start when the session is all audio */
	int32_t data_end;
	bool cdtext; /* the lead-in carries the host's CD-Text */
	unsigned ntracks;
	struct vdrive_track tracks[VDRIVE_TRACKS_MAX];
	char mcn[14];
	/* the CD-Text packs decoded from the lead-in: one round of the repeated list */
	uint8_t *packs;
	size_t npacks;
	bool packs_done; /* the list came round to its first pack again */
	uint8_t partial[CDTEXT_PACK * 4];
};

/* Bytes of one block of a WRITE at lba: 2352 for audio, 96 for a CD-Text lead-in, 2048. */
size_t vd_write_block_size(const struct vdrive *vd, int64_t lba);

/* The WRITE of an audio block size (TAO audio, SAO audio and its lead-in); res set. */
void vd_audio_write(struct vdrive *vd, int64_t lba, uint32_t n, const uint8_t *buf,
		    struct vdrive_result *res);

/* n 2048-byte blocks of buf into DIR/disc.img at lba; -errno. */
int vd_image_write(struct vdrive *vd, uint64_t lba, const uint8_t *buf, uint32_t n);

/* n 2352-byte blocks at lba (>= -150) into or out of DIR/audio.img; -errno. */
int vd_audio_pwrite(struct vdrive *vd, int64_t lba, const uint8_t *buf, uint32_t n);
int vd_audio_pread(struct vdrive *vd, int64_t lba, uint8_t *buf, uint32_t n);

/* The audio track (0-based) whose pregap or body holds lba, -1 when none. */
int vd_audio_track_at(const struct vdrive *vd, int64_t lba);

/* Whether [lba, lba + n) touches an audio track. */
bool vd_audio_in(const struct vdrive *vd, int64_t lba, uint32_t n);

/* The audio commands: READ CD, READ SUB-CHANNEL, READ TOC 4 and 5, audio SEND CUE SHEET
 * (true when the sheet is an audio one and was handled). */
void vd_read_cd(struct vdrive *vd, const uint8_t *cdb, enum vdrive_dir dir, void *buf, size_t len,
		struct vdrive_result *res);
void vd_read_subchannel(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			struct vdrive_result *res);
size_t vd_toc_atip(const struct vdrive *vd, uint8_t *out);
void vd_toc_cdtext(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
		   struct vdrive_result *res);
bool vd_audio_cue_sheet(struct vdrive *vd, const uint8_t *p, size_t pl, struct vdrive_result *res);

/* The ADR/CONTROL byte of track i in the TOC: 14h data, 10h | CONTROL audio. */
uint8_t vd_track_adr_ctl(const struct vdrive *vd, unsigned i);

/* Whether s is an MCN (n 13: digits) or an ISRC (n 12: 5 letters or digits, 7 digits). */
bool vd_code_ok(const char *s, size_t n);

/* Forget the audio state of the disc (blank, load): CD-Text, MCN, a pending SAO. */
void vd_audio_reset(struct vdrive *vd);

/*
 * The commands vdrive.c does not handle itself (commands.c): GET EVENT STATUS
 * NOTIFICATION, READ FORMAT CAPACITIES, mode page 2Ah, GET PERFORMANCE, ... Unknown
 * opcodes get ILLEGAL REQUEST 05/20/00.
 */
void vd_exec_more(struct vdrive *vd, const uint8_t *cdb, size_t cdb_len, enum vdrive_dir dir,
		  void *buf, size_t len, struct vdrive_result *res);

#endif
