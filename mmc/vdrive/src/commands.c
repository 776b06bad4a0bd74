/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The virtual drive's commands beyond the core set of vdrive.c: event status, format
 * capacities, mode pages 05h/2Ah, speeds, buffer capacity, mechanism status, disc
 * structures, VERIFY, WRITE AND VERIFY, READ CD, RESERVE TRACK and SEND CUE SHEET.
 * Layouts follow MMC-6 (T10/1836-D rev 2g); each builder names its clause.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/macro.h"
#include "vdrive-internal.h"

/* The write speeds of the loaded medium, fastest first, in multiples of 1x. */
static size_t speeds_x(const struct vdrive *vd, unsigned *x)
{
	static const unsigned steps[] = {48, 40, 32, 24, 16, 12, 10, 8, 6, 4, 2, 1};
	size_t n = 0;

	for (size_t i = 0; i < BFS_ARRAY_SIZE(steps) && n < 8; i++)
		if (steps[i] <= vd->m->max_x)
			x[n++] = steps[i];
	return n;
}

/* The fastest listed speed not above kBps (0 or FFFFh: the fastest), in kB/s. */
static unsigned pick_speed(const struct vdrive *vd, unsigned kBps)
{
	unsigned x[8];
	size_t n = speeds_x(vd, x), i = 0;

	if (kBps == 0 || kBps == 0xFFFF)
		return 0;
	while (i + 1 < n && x[i] * vd->m->x1_kBps > kBps + vd->m->x1_kBps / 2)
		i++;
	return x[i] * vd->m->x1_kBps;
}

static unsigned cur_write_kBps(const struct vdrive *vd)
{
	return vd->write_kBps ? vd->write_kBps : vd->m->max_x * vd->m->x1_kBps;
}

/* GET EVENT STATUS NOTIFICATION (MMC-6 6.7), polled, media class */
static void gesn(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
		 struct vdrive_result *res)
{
	uint8_t r[8] = {0};
	size_t n = 4;

	if (!(cdb[1] & 0x01)) {
		vd_check(res, vd, 0x05, 0x24, 0x00); /* asynchronous operation: not supported */
		return;
	}
	r[3] = 0x10; /* supported: media */
	if (cdb[4] & 0x10) {
		r[2] = 0x04; /* media class */
		r[4] = vd->media_event;
		r[5] = (uint8_t)((vd->loaded ? 0x02 : 0) | (vd->loaded ? 0 : 0x01));
		vd->media_event = 0;
		n = 8;
	} else {
		r[2] = 0x80; /* NEA: no event of a requested class */
	}
	bfs_put_be16(r, (uint16_t)(n - 2));
	vd_reply(res, buf, len, bfs_get_be16(cdb + 7), r, n);
}

/* READ FORMAT CAPACITIES (MMC-6 6.24) */
static void format_capacities(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			      struct vdrive_result *res)
{
	uint8_t r[4 + 8 * 4] = {0};
	size_t o = 12;
	uint16_t p = vd->m->profile;
	bool blank = vd->m->overwrite ? vd->unformatted : vd->status == DS_BLANK;

	/* current/maximum capacity: overwrite and written media formatted, blank ones not */
	bfs_put_be32(r + 4, (uint32_t)vd->capacity);
	r[8] = blank ? 0x01 : 0x02;
	bfs_put_be24(r + 9, BLOCK);
	if (vd->m->overwrite) { /* formattable descriptors: the format types of 6.5.4 */
		uint8_t types[3];
		size_t nt = 0;

		if (p == 0x1A)
			types[nt++] = 0x26; /* DVD+RW full format */
		else if (p == 0x12)
			types[nt++] = 0x00; /* DVD-RAM full format */
		else
			types[nt++] = 0x00, types[nt++] = 0x30, types[nt++] = 0x31; /* BD-RE */
		for (size_t i = 0; i < nt; i++, o += 8) {
			bfs_put_be32(r + o, (uint32_t)vd->capacity);
			r[o + 4] = (uint8_t)(types[i] << 2);
			bfs_put_be24(r + o + 5, types[i] == 0x26 ? 0 : BLOCK);
		}
	}
	r[3] = (uint8_t)(o - 4);
	vd_reply(res, buf, len, bfs_get_be16(cdb + 7), r, o);
}

/* Mode page 05h, Write Parameters (MMC-6 7.5): 52 bytes at p */
static void page05(const struct vdrive *vd, uint8_t *p)
{
	memset(p, 0, 52);
	p[0] = 0x05;
	p[1] = 50;
	p[2] = (uint8_t)(0x40 | (vd->test_write ? 0x10 : 0) | vd->write_type); /* BUFE */
	p[3] = (uint8_t)((vd->multisession ? 0x03 : 0) << 6 | 0x04);	       /* data track */
	p[4] = 0x08;							       /* mode 1 */
}

/* Mode page 2Ah, MM Capabilities and Mechanical Status (MMC-3 5.5.10, kept by drives) */
static size_t page2a(const struct vdrive *vd, uint8_t *p)
{
	unsigned x[8];
	size_t n = speeds_x(vd, x), len = 32 + 4 * n;

	memset(p, 0, len);
	p[0] = 0x2A;
	p[1] = (uint8_t)(len - 2);
	p[2] = 0x3B; /* reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM */
	p[3] = 0x37; /* writes CD-R, CD-RW, DVD-R, DVD-RAM; test write */
	p[4] = 0xC0; /* BUF (underrun free), multi-session */
	p[6] = (uint8_t)(0x20 | 0x08 | (vd->prevent ? 0x02 : 0) | 0x01); /* tray, eject, lock */
	bfs_put_be16(p + 8, (uint16_t)BFS_MIN(vd->m->max_x * vd->m->x1_kBps, 0xFFFFu));
	bfs_put_be16(p + 12, (uint16_t)(vd->buf_size / 1024));
	bfs_put_be16(p + 14, (uint16_t)BFS_MIN(vd->read_kBps ? vd->read_kBps
							     : vd->m->max_x * vd->m->x1_kBps,
					       0xFFFFu));
	bfs_put_be16(p + 18, (uint16_t)BFS_MIN(vd->m->max_x * vd->m->x1_kBps, 0xFFFFu));
	bfs_put_be16(p + 20, (uint16_t)BFS_MIN(cur_write_kBps(vd), 0xFFFFu));
	bfs_put_be16(p + 28, (uint16_t)BFS_MIN(cur_write_kBps(vd), 0xFFFFu));
	bfs_put_be16(p + 30, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		bfs_put_be16(p + 32 + 4 * i + 2, (uint16_t)BFS_MIN(x[i] * vd->m->x1_kBps, 0xFFFFu));
	return len;
}

/* MODE SENSE(10) (SPC-4 6.12): pages 05h, 2Ah, or 3Fh for both; current values only */
static void mode_sense(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
		       struct vdrive_result *res)
{
	uint8_t r[8 + 52 + 64];
	unsigned page = cdb[2] & 0x3F, pc = cdb[2] >> 6;
	size_t o = 8;

	if ((page != 0x05 && page != 0x2A && page != 0x3F) || pc == 0x03) {
		vd_check(res, vd, 0x05, 0x24, 0x00); /* saved values: not supported */
		return;
	}
	memset(r, 0, 8);
	if (page == 0x05 || page == 0x3F)
		page05(vd, r + o), o += 52;
	if (page == 0x2A || page == 0x3F)
		o += page2a(vd, r + o);
	bfs_put_be16(r, (uint16_t)(o - 2));
	vd_reply(res, buf, len, bfs_get_be16(cdb + 7), r, o);
}

/* GET PERFORMANCE (MMC-6 6.8): type 00h performance, type 03h write speeds */
static void get_performance(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			    struct vdrive_result *res)
{
	uint8_t r[8 + 16 * 8] = {0};
	unsigned x[8];
	size_t n = speeds_x(vd, x), o = 8, max = bfs_get_be16(cdb + 8);
	uint32_t end = (uint32_t)(vd->capacity - 1);

	if (cdb[10] == 0x00) { /* one descriptor over the disc at the selected speed */
		bool write = cdb[1] & 0x04;
		unsigned s = write	     ? cur_write_kBps(vd)
			     : vd->read_kBps ? vd->read_kBps
					     : vd->m->max_x * vd->m->x1_kBps;

		if (cdb[1] & 0x03) {
			vd_check(res, vd, 0x05, 0x24, 0x00); /* exception lists: none kept */
			return;
		}
		r[4] = write ? 0x02 : 0;
		if (max) {
			bfs_put_be32(r + o + 4, s);
			bfs_put_be32(r + o + 8, end);
			bfs_put_be32(r + o + 12, s);
			o += 16;
		}
	} else if (cdb[10] == 0x03) {
		for (size_t i = 0; i < n && i < max; i++, o += 16) {
			r[o] = 0x02; /* Exact */
			bfs_put_be32(r + o + 4, end);
			bfs_put_be32(r + o + 8, vd->m->max_x * vd->m->x1_kBps);
			bfs_put_be32(r + o + 12, x[i] * vd->m->x1_kBps);
		}
	} else {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	bfs_put_be32(r, (uint32_t)(o - 4));
	vd_reply(res, buf, len, o, r, o);
}

/* SET STREAMING (MMC-6 6.39), type 00h performance descriptor */
static void set_streaming(struct vdrive *vd, const uint8_t *cdb, enum vdrive_dir dir,
			  const uint8_t *p, size_t len, struct vdrive_result *res)
{
	size_t pl = bfs_get_be16(cdb + 9);
	uint32_t rs, rt, ws, wt;

	if (cdb[8] != 0x00 || pl < 28 || dir != VDRIVE_DIR_OUT || len < 28) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	res->resid = len - 28;
	if (p[0] & 0x04) { /* RDD: back to the drive's defaults */
		vd->read_kBps = vd->write_kBps = 0;
		return;
	}
	rs = bfs_get_be32(p + 12), rt = bfs_get_be32(p + 16);
	ws = bfs_get_be32(p + 20), wt = bfs_get_be32(p + 24);
	if (rt == 0 || wt == 0) {
		vd_check(res, vd, 0x05, 0x26, 0x00); /* invalid field in parameter list */
		return;
	}
	vd->read_kBps = pick_speed(vd, (unsigned)BFS_MIN((uint64_t)rs * 1000 / rt, 0xFFFEull));
	vd->write_kBps = pick_speed(vd, (unsigned)BFS_MIN((uint64_t)ws * 1000 / wt, 0xFFFEull));
}

/* READ BUFFER CAPACITY (MMC-6 6.21) */
static void buffer_capacity(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			    struct vdrive_result *res)
{
	uint8_t r[12] = {0};

	bfs_put_be16(r, 10);
	if (cdb[1] & 0x01) { /* Block: available space in blocks */
		r[3] = 0x01;
		bfs_put_be32(r + 8, vd->buf_free / BLOCK);
	} else {
		bfs_put_be32(r + 4, vd->buf_size);
		bfs_put_be32(r + 8, vd->buf_free);
	}
	vd_reply(res, buf, len, bfs_get_be16(cdb + 7), r, sizeof(r));
}

/* MECHANISM STATUS (MMC-6 6.11): no changer, door open while ejected */
static void mechanism_status(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			     struct vdrive_result *res)
{
	uint8_t r[8] = {0};

	r[1] = vd->loaded ? 0 : 0x10;
	bfs_put_be24(r + 2, (uint32_t)BFS_MIN(vd->used_end, 0xFFFFFFull));
	vd_reply(res, buf, len, bfs_get_be16(cdb + 8), r, sizeof(r));
}

/* READ DISC STRUCTURE (MMC-6 6.23): DVD physical format (00h) and the list (FFh) */
static void disc_structure(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			   struct vdrive_result *res)
{
	uint8_t r[4 + 2048];
	unsigned mt = cdb[1] & 0x0F, fmt = cdb[7];
	bool dvd = vd->m->cls == MC_DVD, bd = vd->m->cls == MC_BD;
	size_t n;

	if ((mt == 0 && !dvd) || (mt == 1 && !bd) || mt > 1) {
		vd_check(res, vd, 0x05, 0x30, 0x02); /* cannot read medium: incompatible format */
		return;
	}
	memset(r, 0, sizeof(r));
	if (fmt == 0xFF) { /* the structures this medium answers: 00h (DVD) and FFh */
		n = 4;
		if (dvd) {
			r[n] = 0x00, r[n + 1] = 0x40; /* RDS */
			bfs_put_be16(r + n + 2, 2048 + 2);
			n += 4;
		}
		r[n] = 0xFF, r[n + 1] = 0x40;
		bfs_put_be16(r + n + 2, 0);
		n += 4;
	} else if (fmt == 0x00 && dvd) {
		static const uint8_t book[][2] = {{0x11, 2},  {0x14, 3},  {0x1A, 9},
						  {0x1B, 10}, {0x2B, 14}, {0x12, 1}};
		uint8_t bt = 0;

		for (size_t i = 0; i < BFS_ARRAY_SIZE(book); i++)
			if (book[i][0] == vd->m->profile)
				bt = book[i][1];
		r[4] = (uint8_t)(bt << 4 | 0x01);			 /* book type, version */
		r[5] = 0x02;						 /* 120 mm, 10.08 Mb/s */
		r[6] = (uint8_t)((vd->m->profile == 0x2B ? 1 : 0) << 5 | /* layers - 1 */
				 (vd->m->overwrite || vd->m->blankable ? 0x04 : 0x02));
		bfs_put_be32(r + 8, 0x030000); /* data area start */
		bfs_put_be32(r + 12, (uint32_t)(0x030000 + vd->capacity - 1));
		n = 4 + 2048;
	} else {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	bfs_put_be16(r, (uint16_t)(n - 2));
	vd_reply(res, buf, len, bfs_get_be16(cdb + 8), r, n);
}

/* The end of what can be read: overwrite media all of it, sequential ones what is written */
static uint64_t readable_end(const struct vdrive *vd)
{
	return vd->m->overwrite ? vd->capacity : vd->used_end;
}

/*
 * Compare blocks [lba, lba + n) of the medium (with the corrupt-read fault applied, as a
 * read from the medium) with data; NULL data only checks they can be read.
 */
static void medium_check(struct vdrive *vd, uint64_t lba, uint32_t n, const uint8_t *data,
			 struct vdrive_result *res)
{
	uint8_t *b;

	if (lba + n > readable_end(vd)) {
		vd_check(res, vd, 0x05, 0x21, 0x00);
		return;
	}
	if (vd->corrupt_lba >= lba && vd->corrupt_lba < lba + n && !data) {
		vd_check(res, vd, 0x03, 0x11, 0x00); /* the damaged block does not read */
		return;
	}
	if (!data)
		return;
	b = malloc((size_t)n * BLOCK);
	if (!b || vdrive_read_blocks(vd, lba, n, b) < 0) {
		free(b);
		vd_check(res, vd, 0x03, 0x11, 0x00);
		return;
	}
	if (vd->corrupt_lba >= lba && vd->corrupt_lba < lba + n)
		b[(vd->corrupt_lba - lba) * BLOCK + 100] ^= 0x01;
	if (memcmp(b, data, (size_t)n * BLOCK) != 0)
		vd_check(res, vd, 0x0E, 0x1D, 0x00); /* miscompare during verify */
	free(b);
}

/* VERIFY(10) (MMC-6 6.44) and WRITE AND VERIFY(10) (6.47) */
static void verify10(struct vdrive *vd, const uint8_t *cdb, enum vdrive_dir dir, const void *buf,
		     size_t len, struct vdrive_result *res)
{
	uint64_t lba = bfs_get_be32(cdb + 2);
	uint32_t n = bfs_get_be16(cdb + 7);
	bool bytchk = cdb[1] & 0x02, write = cdb[0] == 0x2E;

	if ((bytchk || write) && (dir != VDRIVE_DIR_OUT || len < (size_t)n * BLOCK)) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	if (write) {
		vd_write(vd, lba, n, buf, res);
		if (res->status)
			return;
		if (vd->test_write) { /* nothing recorded, nothing to verify */
			res->resid = len - (size_t)n * BLOCK;
			return;
		}
	}
	medium_check(vd, lba, n, bytchk || write ? buf : NULL, res);
	if (res->status == 0)
		res->resid = (bytchk || write) ? len - (size_t)n * BLOCK : len;
}

/*
 * READ CD (MMC-6 6.19): the user data of mode 1 / Form-less data sectors (expected type
 * 0 or 2, main channel user data only, no subchannels), LBA form. CD media only: on DVD
 * and BD the command answers 05/64/00 (illegal mode for this track), as drives do.
 */
static void read_cd(struct vdrive *vd, const uint8_t *cdb, enum vdrive_dir dir, void *buf,
		    size_t len, struct vdrive_result *res)
{
	unsigned type = (cdb[1] >> 2) & 0x07;
	uint64_t lba = bfs_get_be32(cdb + 2);
	uint32_t n = bfs_get_be24(cdb + 6);

	if (vd->m->cls != MC_CD) {
		vd_check(res, vd, 0x05, 0x64, 0x00);
		return;
	}
	if ((type != 0 && type != 2) || cdb[9] != 0x10 || (cdb[10] & 0x07) ||
	    dir != VDRIVE_DIR_IN || len < (size_t)n * BLOCK) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	if (lba + n > readable_end(vd)) {
		vd_check(res, vd, 0x05, 0x21, 0x00);
		return;
	}
	if (vdrive_read_blocks(vd, lba, n, buf) < 0) {
		vd_check(res, vd, 0x03, 0x11, 0x00);
		return;
	}
	if (vd->corrupt_lba >= lba && vd->corrupt_lba < lba + n)
		((uint8_t *)buf)[(vd->corrupt_lba - lba) * BLOCK + 100] ^= 0x01;
	res->resid = len - (size_t)n * BLOCK;
}

/*
 * RESERVE TRACK (MMC-6 6.31), size form: a track of the given size at the NWA of a
 * sequential medium with no open track. Writes then fill it from its start; closing it
 * early leaves the rest of the reservation to it (unrecorded). One reservation at a time.
 */
static void reserve_track(struct vdrive *vd, const uint8_t *cdb, struct vdrive_result *res)
{
	uint64_t size = bfs_get_be32(cdb + 5), at = vd_nwa(vd);

	if (vd->m->overwrite || (cdb[1] & 0x01)) {
		vd_check(res, vd, 0x05, 0x24, 0x00); /* no reservations; ARSV form unsupported */
		return;
	}
	if (at == UINT64_MAX || (vd->ntracks && vd->tracks[vd->ntracks - 1].open)) {
		vd_check(res, vd, 0x05, 0x2C, 0x00); /* command sequence error */
		return;
	}
	if (size == 0 || at + size > vd->capacity || vd->ntracks >= VDRIVE_TRACKS_MAX) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	vd->tracks[vd->ntracks++] = (struct vdrive_track){
		.start = at,
		.session = vd_nsessions(vd) + (vd->status == DS_INCOMPLETE ? 0 : 1),
		.open = true,
		.reserved = size,
	};
	vd->status = DS_INCOMPLETE;
	if (vd_state_save(vd, true) < 0)
		vd_check(res, vd, 0x03, 0x0C, 0x00);
}

/*
 * SEND CUE SHEET (MMC-6 6.33) for Session At Once on CD: 8-byte entries, a lead-in (TNO
 * 00h), data tracks (CTL/ADR 41h, data form 10h: mode 1, 2048 bytes from the host) in
 * rising order, and the lead-out (TNO AAh) whose MSF gives the session's length. After a
 * valid sheet the session is written from the NWA and closes by itself at the lead-out.
 * When the first track's index 0 comes before its index 1, the host sends that pregap
 * first, from the NWA less its length (LBA -150 on a blank disc, as libburn does); the
 * drive takes it and records no user data for it. Not emulated: audio tracks, other data
 * forms, ISRC/MCN entries: they get 05/26/00.
 */
static void send_cue_sheet(struct vdrive *vd, const uint8_t *cdb, enum vdrive_dir dir,
			   const uint8_t *p, size_t len, struct vdrive_result *res)
{
	size_t pl = bfs_get_be24(cdb + 6);
	unsigned last_tno = 0;
	uint64_t end;

	if (vd->m->cls != MC_CD || vd->write_type != 0x02 || vd->status == DS_INCOMPLETE) {
		vd_check(res, vd, 0x05, 0x2C, 0x00); /* not in SAO mode: sequence error */
		return;
	}
	if (dir != VDRIVE_DIR_OUT || len < pl || pl < 24 || pl % 8) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	for (size_t o = 0; o < pl; o += 8) {
		const uint8_t *e = p + o;
		bool first = o == 0, last = o + 8 == pl;
		unsigned tno = e[1];

		if ((first && tno != 0x00) || (last && tno != 0xAA) ||
		    (!first && !last &&
		     (tno == 0 || tno > 0x99 || (tno & 0x0F) > 9 || tno < last_tno ||
		      e[0] != 0x41 || e[3] != 0x10)) ||
		    e[5] > 99 || e[6] > 59 || e[7] > 74) {
			vd_check(res, vd, 0x05, 0x26, 0x00); /* invalid field in parameter list */
			return;
		}
		if (!first && !last)
			last_tno = tno;
	}
	if (last_tno == 0) {
		vd_check(res, vd, 0x05, 0x26, 0x00); /* no track */
		return;
	}
	/* the lead-out's absolute MSF, less the 2 s (150 blocks) before LBA 0 */
	end = ((uint64_t)p[pl - 3] * 60 + p[pl - 2]) * 75 + p[pl - 1];
	if (end <= 150 || vd_nwa(vd) + (end - 150) > vd->capacity) {
		vd_check(res, vd, 0x05, 0x26, 0x00);
		return;
	}
	vd->sao_end = vd_nwa(vd) + (end - 150);
	vd->sao_pregap = 0;
	if (p[10] == 0x00 && pl >= 32 && p[17] == p[9] && p[18] == 0x01) {
		uint64_t i0 = ((uint64_t)p[13] * 60 + p[14]) * 75 + p[15];
		uint64_t i1 = ((uint64_t)p[21] * 60 + p[22]) * 75 + p[23];

		if (i1 > i0)
			vd->sao_pregap = (uint32_t)(i1 - i0);
	}
	res->resid = len - pl;
}

void vd_exec_more(struct vdrive *vd, const uint8_t *cdb, size_t cdb_len, enum vdrive_dir dir,
		  void *buf, size_t len, struct vdrive_result *res)
{
	(void)cdb_len;
	switch (cdb[0]) {
	case 0x4A:
		gesn(vd, cdb, buf, len, res);
		return;
	case 0x23:
		format_capacities(vd, cdb, buf, len, res);
		return;
	case 0x5A:
		mode_sense(vd, cdb, buf, len, res);
		return;
	case 0xAC:
		get_performance(vd, cdb, buf, len, res);
		return;
	case 0xBB: /* SET CD SPEED (MMC-6 6.37), kB/s, FFFFh the fastest */
		vd->read_kBps = pick_speed(vd, bfs_get_be16(cdb + 2));
		vd->write_kBps = pick_speed(vd, bfs_get_be16(cdb + 4));
		return;
	case 0xB6:
		set_streaming(vd, cdb, dir, buf, len, res);
		return;
	case 0x5C:
		buffer_capacity(vd, cdb, buf, len, res);
		return;
	case 0xBD:
		mechanism_status(vd, cdb, buf, len, res);
		return;
	case 0xAD:
		disc_structure(vd, cdb, buf, len, res);
		return;
	case 0x2E:
	case 0x2F:
		verify10(vd, cdb, dir, buf, len, res);
		return;
	case 0xBE:
		read_cd(vd, cdb, dir, buf, len, res);
		return;
	case 0x53:
		reserve_track(vd, cdb, res);
		return;
	case 0x5D:
		send_cue_sheet(vd, cdb, dir, buf, len, res);
		return;
	default:
		vd_check(res, vd, 0x05, 0x20, 0x00); /* invalid command operation code */
		return;
	}
}
