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
#include "mmc/layout.h"
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
	uint8_t r[MMC_GESN_MEDIA_SIZE] = {0};
	size_t n = MMC_GESN_HEADER_SIZE;

	if (!(cdb[MMC_GESN_CDB_POLLED] & 0x01)) {
		vd_check(res, vd, 0x05, 0x24, 0x00); /* asynchronous operation: not supported */
		return;
	}
	r[MMC_GESN_SUPPORTED] = MMC_GESN_REQ_MEDIA; /* the media class only */
	if (cdb[MMC_GESN_CDB_CLASSES] & MMC_GESN_REQ_MEDIA) {
		r[MMC_GESN_CLASS] = MMC_GESN_CLASS_MEDIA;
		r[MMC_GESN_EVENT] = vd->media_event;
		r[MMC_GESN_MEDIA] = vd->loaded ? MMC_GESN_MEDIA_PRESENT : MMC_GESN_TRAY_OPEN;
		vd->media_event = 0;
		n = MMC_GESN_MEDIA_SIZE;
	} else {
		r[MMC_GESN_CLASS] = MMC_GESN_NEA; /* no event of a requested class */
	}
	bfs_put_be16(r + MMC_GESN_LENGTH, (uint16_t)(n - 2));
	vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_CDB10_LENGTH), r, n);
}

/* READ FORMAT CAPACITIES (MMC-6 6.24) */
static void format_capacities(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			      struct vdrive_result *res)
{
	uint8_t r[MMC_FC_HEADER_SIZE + 4 * MMC_FC_D_SIZE] = {0};
	uint8_t *cur = r + MMC_FC_CURRENT;
	size_t o = MMC_FC_CURRENT + MMC_FC_D_SIZE;
	uint16_t p = vd->m->profile;
	bool blank = vd->m->overwrite ? vd->unformatted : vd->status == DS_BLANK;

	/* current/maximum capacity: overwrite and written media formatted, blank ones not */
	bfs_put_be32(cur + MMC_FC_D_BLOCKS, (uint32_t)vd->capacity);
	cur[MMC_FC_D_TYPE] = blank ? MMC_FC_D_TYPE_UNFORMATTED : MMC_FC_D_TYPE_FORMATTED;
	bfs_put_be24(cur + MMC_FC_D_PARAM, BLOCK);
	if (vd->m->overwrite) { /* formattable descriptors: the format types of 6.5.4 */
		uint8_t types[3];
		size_t nt = 0;

		if (p == MMC_PROFILE_DVD_PLUS_RW)
			types[nt++] = MMC_FORMAT_DVD_PLUS_RW;
		else if (p == MMC_PROFILE_DVD_RAM)
			types[nt++] = MMC_FORMAT_FULL;
		else
			types[nt++] = MMC_FORMAT_FULL, types[nt++] = MMC_FORMAT_BD_RE_SPARE,
			types[nt++] = MMC_FORMAT_BD_RE_NOSPARE;
		for (size_t i = 0; i < nt; i++, o += MMC_FC_D_SIZE) {
			bfs_put_be32(r + o + MMC_FC_D_BLOCKS, (uint32_t)vd->capacity);
			r[o + MMC_FC_D_TYPE] = (uint8_t)(types[i] << MMC_FC_FORMAT_SHIFT);
			bfs_put_be24(r + o + MMC_FC_D_PARAM,
				     types[i] == MMC_FORMAT_DVD_PLUS_RW ? 0 : BLOCK);
		}
	}
	r[MMC_FC_LIST_LENGTH] = (uint8_t)(o - MMC_FC_HEADER_SIZE);
	vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_CDB10_LENGTH), r, o);
}

/* Mode page 05h, Write Parameters (MMC-6 7.5): MMC_WP_SIZE bytes at p */
static void page05(const struct vdrive *vd, uint8_t *p)
{
	memset(p, 0, MMC_WP_SIZE);
	p[MMC_PAGE_CODE] = MMC_PAGE_WRITE_PARAMS;
	p[MMC_PAGE_LENGTH] = MMC_WP_SIZE - 2;
	p[MMC_WP_TYPE] =
		(uint8_t)(MMC_WP_BUFE | (vd->test_write ? MMC_WP_TEST_WRITE : 0) | vd->write_type);
	p[MMC_WP_TRACK] =
		(uint8_t)((vd->multisession ? MMC_WP_MULTI_NEXT : 0) << MMC_WP_MULTI_SHIFT |
			  vd->track_mode);
	p[MMC_WP_BLOCK_TYPE] = vd->block_type;
	bfs_put_be16(p + MMC_WP_AUDIO_PAUSE, AUDIO_PREGAP);
	if (vd->wp_mcn[0]) {
		p[MMC_WP_MCN] = MMC_WP_VALID;
		memcpy(p + MMC_WP_MCN + 1, vd->wp_mcn, 13);
	}
	if (vd->wp_isrc[0]) {
		p[MMC_WP_ISRC] = MMC_WP_VALID;
		memcpy(p + MMC_WP_ISRC + 1, vd->wp_isrc, 12);
	}
}

/* Mode page 2Ah, MM Capabilities and Mechanical Status (MMC-3 5.5.10, kept by drives) */
static size_t page2a(const struct vdrive *vd, uint8_t *p)
{
	unsigned x[8];
	size_t n = speeds_x(vd, x), len = MMC_CAP2A_SPEEDS + MMC_CAP2A_SPEED_SIZE * n;
	unsigned max = vd->m->max_x * vd->m->x1_kBps;

	memset(p, 0, len);
	p[MMC_PAGE_CODE] = MMC_PAGE_CAPABILITIES;
	p[MMC_PAGE_LENGTH] = (uint8_t)(len - 2);
	p[MMC_CAP2A_READ] = 0x3B;   /* reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM */
	p[MMC_CAP2A_WRITE] = 0x37;  /* writes CD-R, CD-RW, DVD-R, DVD-RAM; test write */
	p[MMC_CAP2A_FLAGS4] = 0xC0; /* BUF (underrun free), multi-session */
	/* CD-DA commands supported, CD-DA stream accurate (cdparanoia needs the first), ISRC
	 * and UPC (MCN) read (cd-info asks for them only then) */
	p[MMC_CAP2A_FLAGS4 + 1] = 0x63;
	/* tray, eject, lock */
	p[MMC_CAP2A_MECH] = (uint8_t)(0x20 | 0x08 | (vd->prevent ? 0x02 : 0) | 0x01);
	bfs_put_be16(p + MMC_CAP2A_MAX_READ, (uint16_t)BFS_MIN(max, 0xFFFFu));
	bfs_put_be16(p + MMC_CAP2A_BUFFER, (uint16_t)(vd->buf_size / 1024));
	bfs_put_be16(p + MMC_CAP2A_CUR_READ,
		     (uint16_t)BFS_MIN(vd->read_kBps ? vd->read_kBps : max, 0xFFFFu));
	bfs_put_be16(p + MMC_CAP2A_MAX_WRITE, (uint16_t)BFS_MIN(max, 0xFFFFu));
	bfs_put_be16(p + MMC_CAP2A_CUR_WRITE_OLD, (uint16_t)BFS_MIN(cur_write_kBps(vd), 0xFFFFu));
	bfs_put_be16(p + MMC_CAP2A_CUR_WRITE, (uint16_t)BFS_MIN(cur_write_kBps(vd), 0xFFFFu));
	bfs_put_be16(p + MMC_CAP2A_NSPEEDS, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		bfs_put_be16(p + MMC_CAP2A_SPEEDS + MMC_CAP2A_SPEED_SIZE * i + MMC_CAP2A_SPEED_KBPS,
			     (uint16_t)BFS_MIN(x[i] * vd->m->x1_kBps, 0xFFFFu));
	return len;
}

/* MODE SENSE(10) (SPC-4 6.12): pages 05h, 2Ah, or 3Fh for both; current values only */
static void mode_sense(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
		       struct vdrive_result *res)
{
	uint8_t r[MMC_MODE_HEADER_SIZE + MMC_WP_SIZE + 64];
	unsigned page = cdb[MMC_MODE_SENSE_CDB_PAGE] & MMC_PAGE_CODE_MASK;
	unsigned pc = cdb[MMC_MODE_SENSE_CDB_PAGE] >> 6;
	size_t o = MMC_MODE_HEADER_SIZE;

	if ((page != MMC_PAGE_WRITE_PARAMS && page != MMC_PAGE_CAPABILITIES &&
	     page != MMC_PAGE_ALL) ||
	    pc == 0x03) {
		vd_check(res, vd, 0x05, 0x24, 0x00); /* saved values: not supported */
		return;
	}
	memset(r, 0, MMC_MODE_HEADER_SIZE);
	if (page == MMC_PAGE_WRITE_PARAMS || page == MMC_PAGE_ALL)
		page05(vd, r + o), o += MMC_WP_SIZE;
	if (page == MMC_PAGE_CAPABILITIES || page == MMC_PAGE_ALL)
		o += page2a(vd, r + o);
	bfs_put_be16(r + MMC_MODE_DATA_LENGTH, (uint16_t)(o - 2));
	vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_CDB10_LENGTH), r, o);
}

/* GET PERFORMANCE (MMC-6 6.8): type 00h performance, type 03h write speeds */
static void get_performance(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			    struct vdrive_result *res)
{
	uint8_t r[MMC_PERF_HEADER_SIZE + 8 * MMC_WSD_SIZE] = {0};
	unsigned x[8];
	size_t n = speeds_x(vd, x), o = MMC_PERF_HEADER_SIZE;
	size_t max = bfs_get_be16(cdb + MMC_PERF_CDB_MAX);
	uint32_t end = (uint32_t)(vd->capacity - 1);

	if (cdb[MMC_PERF_CDB_TYPE] == MMC_PERF_TYPE_PERFORMANCE) {
		/* one descriptor over the disc at the selected speed */
		bool write = cdb[MMC_PERF_CDB_DATA_TYPE] & 0x04;
		unsigned s = write	     ? cur_write_kBps(vd)
			     : vd->read_kBps ? vd->read_kBps
					     : vd->m->max_x * vd->m->x1_kBps;

		if (cdb[MMC_PERF_CDB_DATA_TYPE] & 0x03) {
			vd_check(res, vd, 0x05, 0x24, 0x00); /* exception lists: none kept */
			return;
		}
		r[MMC_PERF_FLAGS] = write ? MMC_PERF_WRITE : 0;
		if (max) {
			bfs_put_be32(r + o + MMC_PERF_D_START_PERF, s);
			bfs_put_be32(r + o + MMC_PERF_D_END_LBA, end);
			bfs_put_be32(r + o + MMC_PERF_D_END_PERF, s);
			o += MMC_PERF_D_SIZE;
		}
	} else if (cdb[MMC_PERF_CDB_TYPE] == MMC_PERF_TYPE_WRITE_SPEED) {
		for (size_t i = 0; i < n && i < max; i++, o += MMC_WSD_SIZE) {
			r[o + MMC_WSD_FLAGS] = MMC_WSD_EXACT;
			bfs_put_be32(r + o + MMC_WSD_END_LBA, end);
			bfs_put_be32(r + o + MMC_WSD_READ_SPEED, vd->m->max_x * vd->m->x1_kBps);
			bfs_put_be32(r + o + MMC_WSD_WRITE_SPEED, x[i] * vd->m->x1_kBps);
		}
	} else {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	bfs_put_be32(r + MMC_PERF_LENGTH, (uint32_t)(o - 4));
	vd_reply(res, buf, len, o, r, o);
}

/* SET STREAMING (MMC-6 6.39), type 00h performance descriptor */
static void set_streaming(struct vdrive *vd, const uint8_t *cdb, enum vdrive_dir dir,
			  const uint8_t *p, size_t len, struct vdrive_result *res)
{
	size_t pl = bfs_get_be16(cdb + MMC_STREAM_CDB_LENGTH);
	uint32_t rs, rt, ws, wt;

	if (cdb[MMC_STREAM_CDB_TYPE] != 0x00 || pl < MMC_STREAM_SIZE || dir != VDRIVE_DIR_OUT ||
	    len < MMC_STREAM_SIZE) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	res->resid = len - MMC_STREAM_SIZE;
	if (p[MMC_STREAM_FLAGS] & MMC_STREAM_RDD) { /* back to the drive's defaults */
		vd->read_kBps = vd->write_kBps = 0;
		return;
	}
	rs = bfs_get_be32(p + MMC_STREAM_READ_SIZE), rt = bfs_get_be32(p + MMC_STREAM_READ_TIME);
	ws = bfs_get_be32(p + MMC_STREAM_WRITE_SIZE), wt = bfs_get_be32(p + MMC_STREAM_WRITE_TIME);
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
	uint8_t r[MMC_RBC_SIZE] = {0};

	bfs_put_be16(r + MMC_RBC_LENGTH, MMC_RBC_SIZE - 2);
	if (cdb[MMC_RBC_CDB_BLOCK] & 0x01) { /* Block: available space in blocks */
		r[MMC_RBC_BLOCK] = 0x01;
		bfs_put_be32(r + MMC_RBC_FREE, vd->buf_free / BLOCK);
	} else {
		bfs_put_be32(r + MMC_RBC_SIZE_FIELD, vd->buf_size);
		bfs_put_be32(r + MMC_RBC_FREE, vd->buf_free);
	}
	vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_CDB10_LENGTH), r, sizeof(r));
}

/* MECHANISM STATUS (MMC-6 6.11): no changer, door open while ejected */
static void mechanism_status(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			     struct vdrive_result *res)
{
	uint8_t r[MMC_MECH_SIZE] = {0};

	r[MMC_MECH_STATE] = vd->loaded ? 0 : MMC_MECH_DOOR_OPEN;
	bfs_put_be24(r + MMC_MECH_LBA, (uint32_t)BFS_MIN(vd->used_end, 0xFFFFFFull));
	vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_MECH_CDB_ALLOC), r, sizeof(r));
}

/* READ DISC STRUCTURE (MMC-6 6.23): DVD physical format (00h) and the list (FFh) */
static void disc_structure(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			   struct vdrive_result *res)
{
	uint8_t r[MMC_RDS_HEADER_SIZE + MMC_RDS_PHYS_DATA];
	unsigned mt = cdb[MMC_RDS_CDB_MEDIA] & 0x0F, fmt = cdb[MMC_RDS_CDB_FORMAT];
	bool dvd = vd->m->cls == MC_DVD, bd = vd->m->cls == MC_BD;
	size_t n;

	if ((mt == 0 && !dvd) || (mt == 1 && !bd) || mt > 1) {
		vd_check(res, vd, 0x05, 0x30, 0x02); /* cannot read medium: incompatible format */
		return;
	}
	memset(r, 0, sizeof(r));
	if (fmt == MMC_RDS_FORMAT_LIST) { /* what this medium answers: 00h (DVD) and FFh */
		n = MMC_RDS_HEADER_SIZE;
		if (dvd) {
			r[n + MMC_RDS_LIST_FORMAT] = MMC_RDS_FORMAT_PHYSICAL;
			r[n + MMC_RDS_LIST_FLAGS] = MMC_RDS_LIST_RDS;
			bfs_put_be16(r + n + MMC_RDS_LIST_LEN, MMC_RDS_PHYS_DATA + 2);
			n += MMC_RDS_LIST_SIZE;
		}
		r[n + MMC_RDS_LIST_FORMAT] = MMC_RDS_FORMAT_LIST;
		r[n + MMC_RDS_LIST_FLAGS] = MMC_RDS_LIST_RDS;
		bfs_put_be16(r + n + MMC_RDS_LIST_LEN, 0);
		n += MMC_RDS_LIST_SIZE;
	} else if (fmt == MMC_RDS_FORMAT_PHYSICAL && dvd) {
		static const uint8_t book[][2] = {
			{MMC_PROFILE_DVD_R, 2},		 {MMC_PROFILE_DVD_RW, 3},
			{MMC_PROFILE_DVD_PLUS_RW, 9},	 {MMC_PROFILE_DVD_PLUS_R, 10},
			{MMC_PROFILE_DVD_PLUS_R_DL, 14}, {MMC_PROFILE_DVD_RAM, 1}};
		uint8_t bt = 0;

		for (size_t i = 0; i < BFS_ARRAY_SIZE(book); i++)
			if (book[i][0] == vd->m->profile)
				bt = book[i][1];
		r[MMC_RDS_PHYS_BOOK] = (uint8_t)(bt << 4 | 0x01); /* book type, version */
		r[MMC_RDS_PHYS_SIZE_RATE] = 0x02;		  /* 120 mm, 10.08 Mb/s */
		r[MMC_RDS_PHYS_LAYERS] =
			(uint8_t)((vd->m->profile == MMC_PROFILE_DVD_PLUS_R_DL ? 1 : 0) << 5 |
				  (vd->m->overwrite || vd->m->blankable ? 0x04 : 0x02));
		bfs_put_be32(r + MMC_RDS_PHYS_START, 0x030000);
		bfs_put_be32(r + MMC_RDS_PHYS_END, (uint32_t)(0x030000 + vd->capacity - 1));
		n = MMC_RDS_HEADER_SIZE + MMC_RDS_PHYS_DATA;
	} else {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	bfs_put_be16(r + MMC_RDS_LENGTH, (uint16_t)(n - 2));
	vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_RDS_CDB_ALLOC), r, n);
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
	uint64_t lba = bfs_get_be32(cdb + MMC_CDB_LBA);
	uint32_t n = bfs_get_be16(cdb + MMC_CDB10_LENGTH);
	bool bytchk = cdb[MMC_CDB_FLAGS] & MMC_CDB_VERIFY_BYTCHK;
	bool write = cdb[MMC_CDB_OPCODE] == MMC_OP_WRITE_VERIFY10;

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
	unsigned type = (cdb[MMC_READ_CD_CDB_TYPE] >> 2) & 0x07;
	uint64_t lba = bfs_get_be32(cdb + MMC_CDB_LBA);
	uint32_t n = bfs_get_be24(cdb + MMC_READ_CD_CDB_LENGTH);

	if (vd->m->cls != MC_CD) {
		vd_check(res, vd, 0x05, 0x64, 0x00);
		return;
	}
	if (vd_audio_in(vd, (int32_t)(uint32_t)lba, n) || (int32_t)(uint32_t)lba < 0 ||
	    cdb[MMC_READ_CD_CDB_MAIN] != MMC_READ_CD_USER_DATA || cdb[MMC_READ_CD_CDB_SUBCHAN]) {
		vd_read_cd(vd, cdb, dir, buf, len, res); /* audio, sub-channels */
		return;
	}
	if ((type != 0 && type != 2) || cdb[MMC_READ_CD_CDB_MAIN] != MMC_READ_CD_USER_DATA ||
	    (cdb[MMC_READ_CD_CDB_SUBCHAN] & 0x07) || dir != VDRIVE_DIR_IN ||
	    len < (size_t)n * BLOCK) {
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
	uint64_t size = bfs_get_be32(cdb + MMC_RESERVE_CDB_SIZE), at = vd_nwa(vd);

	if (vd->m->overwrite || (cdb[MMC_RESERVE_CDB_ARSV] & 0x01)) {
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

/* A cue sheet entry's absolute MSF address in frames (75 a second). */
static uint64_t cue_frames(const uint8_t *e)
{
	return ((uint64_t)e[MMC_CUE_MIN] * 60 + e[MMC_CUE_SEC]) * 75 + e[MMC_CUE_FRAME];
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
	size_t pl = bfs_get_be24(cdb + MMC_CUE_CDB_LENGTH);
	const uint8_t *first, *second;
	unsigned last_tno = 0;
	uint64_t end;

	if (vd->m->cls != MC_CD || vd->write_type != MMC_WP_TYPE_SAO ||
	    vd->status == DS_INCOMPLETE) {
		vd_check(res, vd, 0x05, 0x2C, 0x00); /* not in SAO mode: sequence error */
		return;
	}
	/* a lead-in, a track, a lead-out at least */
	if (dir != VDRIVE_DIR_OUT || len < pl || pl < 3 * MMC_CUE_SIZE || pl % MMC_CUE_SIZE) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	if (vd_audio_cue_sheet(vd, p, pl, res)) { /* audio tracks: audio.c */
		if (res->status == 0)
			res->resid = len - pl;
		return;
	}
	for (size_t o = 0; o < pl; o += MMC_CUE_SIZE) {
		const uint8_t *e = p + o;
		bool lead_in = o == 0, lead_out = o + MMC_CUE_SIZE == pl;
		unsigned tno = e[MMC_CUE_TNO];

		if ((lead_in && tno != MMC_CUE_TNO_LEADIN) ||
		    (lead_out && tno != MMC_CUE_TNO_LEADOUT) ||
		    (!lead_in && !lead_out &&
		     (tno == 0 || tno > 0x99 || (tno & 0x0F) > 9 || tno < last_tno ||
		      e[MMC_CUE_CTL_ADR] != MMC_CUE_CTL_DATA ||
		      e[MMC_CUE_DATA_FORM] != MMC_CUE_FORM_MODE1)) ||
		    e[MMC_CUE_MIN] > 99 || e[MMC_CUE_SEC] > 59 || e[MMC_CUE_FRAME] > 74) {
			vd_check(res, vd, 0x05, 0x26, 0x00); /* invalid field in parameter list */
			return;
		}
		if (!lead_in && !lead_out)
			last_tno = tno;
	}
	if (last_tno == 0) {
		vd_check(res, vd, 0x05, 0x26, 0x00); /* no track */
		return;
	}
	/* the lead-out's absolute MSF, less the 2 s (150 blocks) before LBA 0 */
	end = cue_frames(p + pl - MMC_CUE_SIZE);
	if (end <= 150 || vd_nwa(vd) + (end - 150) > vd->capacity) {
		vd_check(res, vd, 0x05, 0x26, 0x00);
		return;
	}
	vd->sao_end = vd_nwa(vd) + (end - 150);
	vd->sao_pregap = 0;
	/* the first track's index 0 (its pregap) right before its index 1 */
	first = p + MMC_CUE_SIZE, second = first + MMC_CUE_SIZE;
	if (first[MMC_CUE_INDEX] == 0x00 && pl >= 4 * MMC_CUE_SIZE &&
	    second[MMC_CUE_TNO] == first[MMC_CUE_TNO] && second[MMC_CUE_INDEX] == 0x01) {
		uint64_t i0 = cue_frames(first), i1 = cue_frames(second);

		if (i1 > i0)
			vd->sao_pregap = (uint32_t)(i1 - i0);
	}
	res->resid = len - pl;
}

void vd_exec_more(struct vdrive *vd, const uint8_t *cdb, size_t cdb_len, enum vdrive_dir dir,
		  void *buf, size_t len, struct vdrive_result *res)
{
	(void)cdb_len;
	switch (cdb[MMC_CDB_OPCODE]) {
	case MMC_OP_GESN:
		gesn(vd, cdb, buf, len, res);
		return;
	case MMC_OP_READ_FORMAT_CAPACITIES:
		format_capacities(vd, cdb, buf, len, res);
		return;
	case MMC_OP_MODE_SENSE10:
		mode_sense(vd, cdb, buf, len, res);
		return;
	case MMC_OP_GET_PERFORMANCE:
		get_performance(vd, cdb, buf, len, res);
		return;
	case MMC_OP_SET_CD_SPEED: /* kB/s, FFFFh the fastest */
		vd->read_kBps = pick_speed(vd, bfs_get_be16(cdb + MMC_CD_SPEED_CDB_READ));
		vd->write_kBps = pick_speed(vd, bfs_get_be16(cdb + MMC_CD_SPEED_CDB_WRITE));
		return;
	case MMC_OP_SET_STREAMING:
		set_streaming(vd, cdb, dir, buf, len, res);
		return;
	case MMC_OP_READ_BUFFER_CAPACITY:
		buffer_capacity(vd, cdb, buf, len, res);
		return;
	case MMC_OP_MECHANISM_STATUS:
		mechanism_status(vd, cdb, buf, len, res);
		return;
	case MMC_OP_READ_DISC_STRUCTURE:
		disc_structure(vd, cdb, buf, len, res);
		return;
	case MMC_OP_WRITE_VERIFY10:
	case MMC_OP_VERIFY10:
		verify10(vd, cdb, dir, buf, len, res);
		return;
	case MMC_OP_READ_CD:
		read_cd(vd, cdb, dir, buf, len, res);
		return;
	case MMC_OP_RESERVE_TRACK:
		reserve_track(vd, cdb, res);
		return;
	case MMC_OP_SEND_CUE_SHEET:
		send_cue_sheet(vd, cdb, dir, buf, len, res);
		return;
	case MMC_OP_READ_SUBCHANNEL:
		vd_read_subchannel(vd, cdb, buf, len, res);
		return;
	default:
		vd_check(res, vd, 0x05, 0x20, 0x00); /* invalid command operation code */
		return;
	}
}
