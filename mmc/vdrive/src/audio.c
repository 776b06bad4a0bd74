/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The virtual drive's audio CD: CD-DA tracks of 2352-byte sectors in DIR/audio.img (block
 * LBA at (LBA + 150) * 2352, so that track 1's pregap at -150 has its place), the Q
 * sub-channel they imply, READ CD of audio, READ SUB-CHANNEL, READ TOC formats 4 (ATIP)
 * and 5 (CD-Text), and Session At Once of audio tracks from a cue sheet, with CD-Text sent
 * in the lead-in. Formats: boot-audio.md 4-7 (from MMC-5/6, ECMA-130 and libburn's
 * cookbook); each builder names its source.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/io.h"
#include "common/macro.h"
#include "mmc/layout.h"
#include "vdrive-internal.h"

static uint8_t bcd(unsigned v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/* Absolute MSF of lba (binary): LBA + 150; lead-in LBAs (< -150) + 450150. */
static void msf_of(int64_t lba, uint8_t msf[3])
{
	int64_t f = lba < -150 ? lba + 450150 : lba + 150;

	if (f < 0)
		f = 0;
	msf[0] = (uint8_t)BFS_MIN(f / (60 * 75), (int64_t)255);
	msf[1] = (uint8_t)(f / 75 % 60);
	msf[2] = (uint8_t)(f % 75);
}

static int64_t msf_lba(const uint8_t *msf)
{
	int64_t f = ((int64_t)msf[0] * 60 + msf[1]) * 75 + msf[2];

	return msf[0] >= 90 ? f - 450150 : f - 150;
}

/* CRC-16, polynomial 1021h, init 0, no reflection, inverted (boot-audio.md 5 and 6) */
static uint16_t crc16_inv(const uint8_t *p, size_t n)
{
	uint16_t c = 0;

	for (size_t i = 0; i < n; i++) {
		c ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			c = (uint16_t)(c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1);
	}
	return (uint16_t)~c;
}

/* ---- the audio image ------------------------------------------------------------------- */

static int audio_fd(struct vdrive *vd)
{
	char *p;

	if (vd->audio_fd >= 0)
		return vd->audio_fd;
	p = vd_path(vd->dir, "audio.img");
	if (!p)
		return -ENOMEM;
	vd->audio_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	free(p);
	return vd->audio_fd < 0 ? -errno : vd->audio_fd;
}

/*
 * disc.img reaches as far as the recorded blocks (the drive checks that when it opens):
 * grown, sparse, over what audio tracks take.
 */
static int grow_disc_img(struct vdrive *vd, uint64_t end)
{
	struct stat st;

	if (fstat(vd->img_fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < end * BLOCK && ftruncate(vd->img_fd, (off_t)(end * BLOCK)) < 0)
		return -errno;
	return 0;
}

int vd_audio_pwrite(struct vdrive *vd, int64_t lba, const uint8_t *buf, uint32_t n)
{
	int fd = audio_fd(vd), r;

	if (fd < 0)
		return fd;
	if (lba < -(int64_t)AUDIO_PREGAP)
		return -EINVAL;
	r = bfs_pwrite_all(fd, buf, (size_t)n * AUDIO_BLOCK,
			   (off_t)((lba + AUDIO_PREGAP) * AUDIO_BLOCK));
	if (r < 0)
		return r;
	return lba + n > 0 ? grow_disc_img(vd, (uint64_t)(lba + n)) : 0;
}

int vd_audio_pread(struct vdrive *vd, int64_t lba, uint8_t *buf, uint32_t n)
{
	size_t len = (size_t)n * AUDIO_BLOCK;
	int fd = audio_fd(vd);
	ssize_t got;

	if (fd < 0)
		return fd;
	if (lba < -(int64_t)AUDIO_PREGAP)
		return -EINVAL;
	got = bfs_pread_full(fd, buf, len, (off_t)((lba + AUDIO_PREGAP) * AUDIO_BLOCK));
	if (got < 0)
		return (int)got;
	memset(buf + got, 0, len - (size_t)got); /* never written (a TAO pregap): silence */
	return 0;
}

bool vd_code_ok(const char *s, size_t n)
{
	if (strlen(s) != n || (n != 12 && n != 13))
		return false;
	/* MCN: 13 digits; ISRC: CC OOO (letters or digits), YY SSSSS (digits) */
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') &&
		    !(n == 12 && i < 5 && s[i] >= 'A' && s[i] <= 'Z'))
			return false;
	return true;
}

/* ---- tracks ------------------------------------------------------------------------------ */

int vd_audio_track_at(const struct vdrive *vd, int64_t lba)
{
	for (unsigned i = 0; i < vd->ntracks; i++) {
		const struct vdrive_track *t = &vd->tracks[i];

		if (t->audio && lba >= (int64_t)t->start - t->pregap &&
		    lba < (int64_t)(t->start + t->size))
			return (int)i;
	}
	return -1;
}

bool vd_audio_in(const struct vdrive *vd, int64_t lba, uint32_t n)
{
	for (unsigned i = 0; i < vd->ntracks; i++) {
		const struct vdrive_track *t = &vd->tracks[i];

		if (t->audio && lba < (int64_t)(t->start + t->size) &&
		    lba + n > (int64_t)t->start - t->pregap)
			return true;
	}
	return false;
}

uint8_t vd_track_adr_ctl(const struct vdrive *vd, unsigned i)
{
	if (i >= vd->ntracks || !vd->tracks[i].audio)
		return MMC_TOC_ADR_CTL_DATA;
	return (uint8_t)(0x10 | (vd->tracks[i].ctl & 0x0B));
}

size_t vd_write_block_size(const struct vdrive *vd, int64_t lba)
{
	if (vd->sao)
		return lba < vd->sao->audio_start ? LEADIN_BLOCK
		       : lba < vd->sao->data_end  ? BLOCK
						  : AUDIO_BLOCK;
	if (vd->m->cls == MC_CD && vd->block_type == MMC_WP_BLOCK_RAW &&
	    vd->write_type != MMC_WP_TYPE_SAO)
		return AUDIO_BLOCK;
	return BLOCK;
}

void vd_audio_reset(struct vdrive *vd)
{
	if (vd->sao)
		free(vd->sao->packs);
	free(vd->sao);
	vd->sao = NULL;
	free(vd->cdtext);
	vd->cdtext = NULL;
	vd->cdtext_packs = 0;
	vd->mcn[0] = '\0';
}

/* ---- the Q sub-channel (boot-audio.md 6; ECMA-130 22.3) -------------------------------- */

/* ADR 2: the 13 MCN digits in BCD, then zero bits; AFRAME */
static void q_mcn(const char *mcn, uint8_t *q)
{
	for (unsigned i = 0; i < 13; i++)
		q[MMC_Q_MCN + i / 2] |= (uint8_t)((mcn[i] - '0') << (i % 2 ? 0 : 4));
}

/* ADR 3: I1-I5 as 6-bit codes (ASCII - 30h), 2 zero bits, I6-I12 as BCD, 4 zero bits */
static void q_isrc(const char *isrc, uint8_t *q)
{
	uint64_t bits = 0;

	for (unsigned i = 0; i < 5; i++)
		bits = bits << 6 | (uint64_t)((isrc[i] - 0x30) & 0x3F);
	bits <<= 2;
	for (unsigned i = 5; i < 12; i++)
		bits = bits << 4 | (uint64_t)(isrc[i] - '0');
	bits <<= 4;
	for (unsigned i = 0; i < 8; i++)
		q[MMC_Q_ISRC + i] = (uint8_t)(bits >> (56 - 8 * i));
}

/* The index of the track's body at offset off from INDEX 01: 1, or the last point <= off. */
static unsigned index_at(const struct vdrive_track *t, uint64_t off)
{
	unsigned x = 1;

	for (unsigned k = 0; k < t->nindex; k++)
		if (off >= t->index[k])
			x = k + 2;
	return x;
}

/*
 * The 12 Q bytes of block lba: in an audio track's body one frame in 100 carries the MCN
 * (ADR 2) when the disc has one and another the track's ISRC (ADR 3), the rest their
 * position (ADR 1): track and index (0 in the pregap, where the relative time counts down
 * to INDEX 01), relative and absolute time, all BCD. Data tracks and the lead-out likewise.
 */
static void q_of(const struct vdrive *vd, int64_t lba, uint8_t q[MMC_Q_SIZE])
{
	int i = vd_audio_track_at(vd, lba);
	const struct vdrive_track *t = NULL;
	uint8_t msf[3];
	int64_t rel;
	unsigned aframe;

	memset(q, 0, MMC_Q_SIZE);
	msf_of(lba, msf);
	aframe = msf[2];
	for (unsigned k = 0; i < 0 && k < vd->ntracks; k++)
		if (lba >= (int64_t)vd->tracks[k].start &&
		    lba < (int64_t)(vd->tracks[k].start + vd->tracks[k].size))
			i = (int)k;
	if (i >= 0)
		t = &vd->tracks[i];
	if (t && t->audio && lba >= (int64_t)t->start && (lba + 150) % 100 == 50 && vd->mcn[0]) {
		q[MMC_Q_CTL_ADR] = (uint8_t)(t->ctl << 4 | 0x02);
		q_mcn(vd->mcn, q);
		q[MMC_Q_AFRAME] = bcd(aframe);
	} else if (t && t->audio && lba >= (int64_t)t->start && (lba + 150) % 100 == 75 &&
		   t->isrc[0]) {
		q[MMC_Q_CTL_ADR] = (uint8_t)(t->ctl << 4 | 0x03);
		q_isrc(t->isrc, q);
		q[MMC_Q_AFRAME] = bcd(aframe);
	} else {
		q[MMC_Q_CTL_ADR] = (uint8_t)((t && t->audio ? t->ctl : t ? 0x04 : 0x00) << 4 | 1);
		q[MMC_Q_TNO] = t ? bcd((unsigned)i + 1) : 0xAA;
		rel = t ? lba - (int64_t)t->start : lba - (int64_t)vd->used_end;
		q[MMC_Q_INDEX] = t && rel < 0 ? 0 : t ? bcd(index_at(t, (uint64_t)rel)) : 1;
		rel = rel < 0 ? -rel : rel;
		q[MMC_Q_REL] = bcd((unsigned)(rel / 4500 % 100));
		q[MMC_Q_REL + 1] = bcd((unsigned)(rel / 75 % 60));
		q[MMC_Q_REL + 2] = bcd((unsigned)(rel % 75));
		for (unsigned k = 0; k < 3; k++)
			q[MMC_Q_ABS + k] = bcd(msf[k] % 100);
	}
	bfs_put_be16(q + MMC_Q_CRC, crc16_inv(q, MMC_Q_CRC));
}

/* Raw P-W (96 bytes, one bit of each channel a byte: P bit 7, Q bit 6, ...); P marks the
 * pause of a pregap */
static void raw_pw(const uint8_t q[MMC_Q_SIZE], bool pause, uint8_t *out)
{
	for (unsigned b = 0; b < MMC_READ_CD_RAW_SUB; b++)
		out[b] = (uint8_t)((pause ? 0x80 : 0) | ((q[b / 8] >> (7 - b % 8)) & 1) << 6);
}

/* ---- READ CD (MMC-6 6.19) of audio ---------------------------------------------------------- */

/* ---- raw mode 1 sectors (ECMA-130 14 and Annex A) --------------------------------------- */

/* The parts of a mode 1 sector READ CD selects: sync, header, user data, EDC and ECC */
static const struct {
	uint8_t bit;
	uint16_t at, len;
} mode1_parts[] = {
	{MMC_READ_CD_SYNC, 0, 12},
	{0x20, 12, 4}, /* Header Codes 01b or 11b: the 4-byte header (mode 1 has no subheader) */
	{MMC_READ_CD_USER_DATA, 16, 2048},
	{MMC_READ_CD_EDC_ECC, 2064, 288}, /* EDC, 8 zero bytes, P and Q parity */
};

/* EDC: CRC-32 of x^32 + x^31 + x^16 + x^15 + x^4 + x^3 + x + 1, least significant bit first */
static uint32_t edc(const uint8_t *p, size_t n)
{
	uint32_t c = 0;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int b = 0; b < 8; b++)
			c = c & 1 ? (c >> 1) ^ 0xD8018001u : c >> 1;
	}
	return c;
}

/* GF(2^8) of x^8 + x^4 + x^3 + x^2 + 1: multiplication by alpha */
static uint8_t gf_mul2(uint8_t a)
{
	return (uint8_t)(a << 1 ^ (a & 0x80 ? 0x1D : 0));
}

/*
 * One family of the Reed-Solomon Product Code (ECMA-130 Annex A): over the 2340 bytes from
 * the header on, as 16-bit words split in two byte planes, `major` vectors of `minor` bytes
 * each get two parity bytes p0, p1 making the codeword c (n = minor + 2 bytes) satisfy
 * sum(c_i) = 0 and sum(alpha^(n-1-i) c_i) = 0; P: 86 columns of 24, Q: 52 diagonals of 43.
 */
static void rspc(uint8_t *s, unsigned major, unsigned minor, unsigned mult, unsigned inc,
		 uint8_t *parity)
{
	unsigned size = major * minor;

	for (unsigned v = 0; v < major; v++) {
		unsigned idx = (v >> 1) * mult + (v & 1);
		uint8_t a = 0, b = 0, t;

		for (unsigned k = 0; k < minor; k++) {
			t = s[idx];
			idx += inc;
			if (idx >= size)
				idx -= size;
			a = gf_mul2(a ^ t); /* Horner: sum alpha^(minor-i) b_i */
			b ^= t;
		}
		/* b + p0 + p1 = 0 and alpha a + alpha p0 + p1 = 0: p0 = (alpha a + b) / (alpha + 1) */
		t = gf_mul2(a) ^ b;
		for (unsigned x = 0; x < 256; x++)
			if ((uint8_t)(gf_mul2((uint8_t)x) ^ x) == t) {
				parity[v] = (uint8_t)x;
				break;
			}
		parity[v + major] = (uint8_t)(parity[v] ^ b);
	}
}

/* The 2352 bytes of data block lba as a mode 1 sector. */
static int raw_mode1(struct vdrive *vd, int64_t lba, uint8_t *raw)
{
	uint8_t msf[3];
	int r;

	memset(raw, 0, AUDIO_BLOCK);
	memset(raw + 1, 0xFF, 10); /* sync: 00, ten FFh, 00 */
	msf_of(lba, msf);
	raw[12] = bcd(msf[0]), raw[13] = bcd(msf[1]), raw[14] = bcd(msf[2]), raw[15] = 0x01;
	r = vdrive_read_blocks(vd, (uint64_t)lba, 1, raw + 16);
	if (r < 0)
		return r;
	if (vd->corrupt_lba == (uint64_t)lba)
		raw[16 + 100] ^= 0x01;
	bfs_put_le32(raw + 2064, edc(raw, 2064));
	rspc(raw + 12, 86, 24, 2, 86, raw + 2076);	  /* P parity, 172 bytes */
	rspc(raw + 12, 52, 43, 86, 88, raw + 2076 + 172); /* Q parity, 104 bytes */
	return 0;
}

/* The bytes a READ CD returns per block for the CDB's selection; 0 for one not served. */
static size_t read_cd_stride(const uint8_t *cdb, bool audio)
{
	uint8_t main = cdb[MMC_READ_CD_CDB_MAIN], sub = cdb[MMC_READ_CD_CDB_SUBCHAN] & 0x07;
	size_t n = 0;

	if (audio) { /* CD-DA has no sync, header or EDC: any of them is the 2352 bytes */
		n = main & (MMC_READ_CD_SYNC | MMC_READ_CD_HEADERS | MMC_READ_CD_USER_DATA |
			    MMC_READ_CD_EDC_ECC)
			    ? AUDIO_BLOCK
			    : 0;
	} else {
		if ((main & MMC_READ_CD_HEADERS) == 0x40)
			return 0; /* the subheader alone: mode 2 only */
		for (size_t i = 0; i < BFS_ARRAY_SIZE(mode1_parts); i++)
			if (main & mode1_parts[i].bit)
				n += mode1_parts[i].len;
	}
	switch ((main & MMC_READ_CD_C2_MASK) >> 1) {
	case 1:
		n += MMC_READ_CD_C2_SIZE;
		break;
	case 2:
		n += MMC_READ_CD_C2_SIZE + 2;
		break;
	case 3:
		return 0;
	}
	if (sub == MMC_READ_CD_SUB_RAW || sub == MMC_READ_CD_SUB_RW)
		n += MMC_READ_CD_RAW_SUB;
	else if (sub == MMC_READ_CD_SUB_Q)
		n += MMC_READ_CD_Q_SUB;
	else if (sub)
		return 0;
	return n;
}

/* The main channel parts of data block lba that the CDB selects, in order, at out. */
static int mode1_main(struct vdrive *vd, const uint8_t *cdb, int64_t lba, uint8_t *out)
{
	uint8_t raw[AUDIO_BLOCK];
	size_t o = 0;
	int r = raw_mode1(vd, lba, raw);

	for (size_t i = 0; r == 0 && i < BFS_ARRAY_SIZE(mode1_parts); i++)
		if (cdb[MMC_READ_CD_CDB_MAIN] & mode1_parts[i].bit) {
			memcpy(out + o, raw + mode1_parts[i].at, mode1_parts[i].len);
			o += mode1_parts[i].len;
		}
	return r;
}

/* One block of READ CD at lba into out (stride bytes): main channel, C2 (no errors), sub */
static int read_cd_block(struct vdrive *vd, const uint8_t *cdb, int64_t lba, bool audio,
			 uint8_t *out, size_t stride)
{
	uint8_t sub = cdb[MMC_READ_CD_CDB_SUBCHAN] & 0x07, q[MMC_Q_SIZE];
	size_t main_len = stride, sub_len = sub == MMC_READ_CD_SUB_Q ? MMC_READ_CD_Q_SUB
					    : sub		     ? MMC_READ_CD_RAW_SUB
								     : 0;
	size_t data = audio && (cdb[MMC_READ_CD_CDB_MAIN] & ~MMC_READ_CD_C2_MASK) ? AUDIO_BLOCK
		      : audio							  ? 0
										  : BLOCK;
	int r = 0;

	main_len -= sub_len;
	memset(out, 0, stride);
	if (data == AUDIO_BLOCK)
		r = vd_audio_pread(vd, lba, out, 1);
	else if (!audio)
		r = mode1_main(vd, cdb, lba, out);
	if (r < 0)
		return r;
	q_of(vd, lba, q);
	if (sub == MMC_READ_CD_SUB_Q)
		memcpy(out + main_len, q, MMC_Q_SIZE);
	else if (sub == MMC_READ_CD_SUB_RAW)
		raw_pw(q, (q[MMC_Q_CTL_ADR] & 0x0F) == 1 && q[MMC_Q_INDEX] == 0, out + main_len);
	return 0;
}

/*
 * READ CD of audio blocks and of data blocks around them (user data only): Expected Sector
 * Type any (000b) or CD-DA (001b) for audio, else 05/64/00; the main channel as the CDB
 * selects (for CD-DA any selection is its 2352 bytes), C2 error bits (all clear), and the
 * sub-channel: raw P-W, formatted Q or R-W (empty). LBAs are signed (a first pregap at -150).
 */
void vd_read_cd(struct vdrive *vd, const uint8_t *cdb, enum vdrive_dir dir, void *buf, size_t len,
		struct vdrive_result *res)
{
	unsigned type = (cdb[MMC_READ_CD_CDB_TYPE] >> MMC_READ_CD_TYPE_SHIFT) & 0x07;
	int64_t lba = (int32_t)bfs_get_be32(cdb + MMC_CDB_LBA);
	uint32_t n = bfs_get_be24(cdb + MMC_READ_CD_CDB_LENGTH);
	uint8_t *out = buf;
	size_t o = 0;

	if (dir != VDRIVE_DIR_IN && n) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	for (uint32_t k = 0; k < n; k++) {
		int64_t b = lba + k;
		bool audio = vd_audio_track_at(vd, b) >= 0;
		size_t stride = read_cd_stride(cdb, audio);

		if (!audio && (b < 0 || (uint64_t)b >= vd->used_end || vd_audio_in(vd, b, 1))) {
			vd_check(res, vd, 0x05, 0x21, 0x00); /* LBA out of range */
			return;
		}
		if ((audio && type > MMC_READ_CD_TYPE_CDDA) ||
		    (!audio && type != MMC_READ_CD_TYPE_ANY && type != MMC_READ_CD_TYPE_MODE1)) {
			vd_check(res, vd, 0x05, 0x64, 0x00); /* illegal mode for this track */
			return;
		}
		if (!stride || o + stride > len) {
			vd_check(res, vd, 0x05, 0x24, 0x00);
			return;
		}
		if (read_cd_block(vd, cdb, b, audio, out + o, stride) < 0) {
			vd_check(res, vd, 0x03, 0x11, 0x00);
			return;
		}
		o += stride;
	}
	res->resid = len - o;
}

/* ---- READ SUB-CHANNEL (MMC-3), READ TOC formats 4 and 5 ----------------------------------- */

/* Format 01h, the current position: the head rests at LBA 0, the first track's INDEX 01. */
static size_t subch_position(const struct vdrive *vd, bool msf, uint8_t *r)
{
	uint8_t q[MMC_Q_SIZE];

	q_of(vd, 0, q);
	r[MMC_SUBCH_D_ADR_CTL] = (uint8_t)(0x10 | (q[MMC_Q_CTL_ADR] >> 4));
	r[MMC_SUBCH_D_TRACK] = vd->ntracks ? 1 : 0;
	r[MMC_SUBCH_D_INDEX] = 1;
	if (msf) {
		msf_of(0, r + MMC_SUBCH_D_ABS + 1);
		r[MMC_SUBCH_D_REL + 3] = 0;
	}
	return MMC_SUBCH_POS_SIZE;
}

void vd_read_subchannel(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			struct vdrive_result *res)
{
	uint8_t r[MMC_SUBCH_CODE_SIZE] = {0};
	unsigned fmt = cdb[MMC_SUBCH_CDB_FORMAT], tno = cdb[MMC_SUBCH_CDB_TRACK];
	size_t n = MMC_SUBCH_HEADER_SIZE;

	if (vd->m->cls != MC_CD || fmt < MMC_SUBCH_POSITION || fmt > MMC_SUBCH_ISRC ||
	    (fmt == MMC_SUBCH_ISRC && (tno == 0 || tno > vd->ntracks))) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	r[MMC_SUBCH_STATUS] = 0x15; /* no current audio status to return */
	if (cdb[MMC_SUBCH_CDB_SUBQ] & MMC_SUBCH_SUBQ) {
		r[MMC_SUBCH_D_FORMAT] = (uint8_t)fmt;
		if (fmt == MMC_SUBCH_POSITION) {
			n = subch_position(vd, cdb[MMC_SUBCH_CDB_MSF] & MMC_SUBCH_MSF, r);
		} else if (fmt == MMC_SUBCH_MCN) {
			if (vd->mcn[0]) {
				r[MMC_SUBCH_D_VALID] = 0x80;
				memcpy(r + MMC_SUBCH_D_TEXT, vd->mcn, 13);
			}
			n = MMC_SUBCH_CODE_SIZE;
		} else {
			const struct vdrive_track *t = &vd->tracks[tno - 1];

			r[MMC_SUBCH_D_ADR_CTL] = vd_track_adr_ctl(vd, tno - 1);
			r[MMC_SUBCH_D_TRACK] = (uint8_t)tno;
			if (t->audio && t->isrc[0]) {
				r[MMC_SUBCH_D_VALID] = 0x80;
				memcpy(r + MMC_SUBCH_D_TEXT, t->isrc, 12);
			}
			n = MMC_SUBCH_CODE_SIZE;
		}
	}
	bfs_put_be16(r + MMC_SUBCH_LENGTH, (uint16_t)(n - MMC_SUBCH_HEADER_SIZE));
	vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_CDB10_LENGTH), r, n);
}

/* Format 4, ATIP (MMC-6 6.26.3.6): the lead-in start of a common CD-R, the last possible
 * lead-out start at the capacity; CD-RW sets the disc type bit */
size_t vd_toc_atip(const struct vdrive *vd, uint8_t *out)
{
	memset(out, 0, MMC_ATIP_SIZE);
	bfs_put_be16(out + MMC_TOC_LENGTH, MMC_ATIP_SIZE - 2);
	out[MMC_TOC_HEADER_SIZE] = 0x50; /* indicative target writing power, reference speed */
	out[MMC_TOC_HEADER_SIZE + 1] = 0x00;
	out[MMC_ATIP_DISC] = vd->m->blankable ? 0x40 : 0x00;
	msf_of(ATIP_LEADIN_LBA, out + MMC_ATIP_LEADIN);
	msf_of((int64_t)vd->capacity, out + MMC_ATIP_LEADOUT);
	return MMC_ATIP_SIZE;
}

/* Format 5, CD-Text (MMC-6 6.26.3.7): the packs of the lead-in; a header alone when none */
void vd_toc_cdtext(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
		   struct vdrive_result *res)
{
	size_t n = MMC_TOC_HEADER_SIZE + vd->cdtext_packs * CDTEXT_PACK;
	uint8_t *r = calloc(1, n);

	if (!r) {
		vd_check(res, vd, 0x04, 0x00, 0x00);
		return;
	}
	bfs_put_be16(r + MMC_TOC_LENGTH, (uint16_t)(n - 2));
	if (vd->cdtext_packs)
		memcpy(r + MMC_TOC_HEADER_SIZE, vd->cdtext, vd->cdtext_packs * CDTEXT_PACK);
	vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_CDB10_LENGTH), r, n);
	free(r);
}

/* ---- SAO of audio: the cue sheet (MMC-6 6.33; boot-audio.md 4) ------------------------------ */

#define NONE INT64_MIN /* no such index point */

struct cue_parse {
	struct vd_sao *s;
	int64_t idx[VDRIVE_TRACKS_MAX][2 + VDRIVE_INDEXES_MAX]; /* INDEX 00.. LBAs, or NONE */
	bool audio, data;
	unsigned mode1_tracks; /* data tracks (Mode 1 from the host) */
	char isrc[13];
	unsigned isrc_tno, isrc_parts, mcn_parts;
};

/* An ADR 2 or 3 entry: MCN or ISRC characters, two entries each. false: malformed. */
static bool cue_code(struct cue_parse *c, const uint8_t *e)
{
	unsigned adr = e[MMC_CUE_CTL_ADR] & MMC_CUE_ADR_MASK;

	if (adr == MMC_CUE_ADR_MCN) {
		if (c->mcn_parts > 1)
			return false;
		memcpy(c->s->mcn + 7 * c->mcn_parts, e + 1, 7);
		if (++c->mcn_parts == 2) {
			c->s->mcn[13] = '\0';
			return vd_code_ok(c->s->mcn, 13);
		}
		return true;
	}
	if (c->isrc_parts == 2)
		c->isrc_parts = 0;
	if (c->isrc_parts == 1 && e[MMC_CUE_TNO] != c->isrc_tno)
		return false;
	c->isrc_tno = e[MMC_CUE_TNO];
	memcpy(c->isrc + 6 * c->isrc_parts, e + 2, 6);
	c->isrc_parts++;
	c->isrc[12] = '\0';
	return c->isrc_parts < 2 || vd_code_ok(c->isrc, 12);
}

/* A track's INDEX entry (ADR 1, TNO 1-99). false: out of order or malformed. */
static bool cue_index(struct cue_parse *c, const uint8_t *e)
{
	unsigned tno = e[MMC_CUE_TNO], x = e[MMC_CUE_INDEX];
	struct vd_sao *s = c->s;
	int64_t lba = msf_lba(e + MMC_CUE_MIN);

	bool audio = e[MMC_CUE_DATA_FORM] == MMC_CUE_FORM_AUDIO && !(e[MMC_CUE_CTL_ADR] & 0x40);
	/* Mode 1 from the host: a data track (mixed mode allows it as track 1 only) */
	bool mode1 = e[MMC_CUE_DATA_FORM] == MMC_CUE_FORM_MODE1 &&
		     (e[MMC_CUE_CTL_ADR] & 0x40); /* CONTROL 4: data */

	if (tno == 0 || tno > VDRIVE_TRACKS_MAX || x > 1 + VDRIVE_INDEXES_MAX)
		return false;
	if (audio)
		c->audio = true;
	else
		c->data = true;
	if (s->ntracks == 0 || tno != s->ntracks) { /* the next track */
		if (tno != s->ntracks + 1)
			return false;
		s->ntracks++;
		for (unsigned k = 0; k < 2 + VDRIVE_INDEXES_MAX; k++)
			c->idx[tno - 1][k] = NONE;
		s->tracks[tno - 1] = (struct vdrive_track){
			.audio = !mode1, .ctl = (uint8_t)((e[MMC_CUE_CTL_ADR] >> 4) & 0x0B)};
		if (c->isrc_parts == 2 && c->isrc_tno == tno)
			memcpy(s->tracks[tno - 1].isrc, c->isrc, 13);
		if (mode1)
			c->mode1_tracks++;
	}
	if (s->tracks[tno - 1].audio ? !audio : !mode1)
		return false; /* one track, two modes */
	if (c->idx[tno - 1][x] != NONE || (x > 1 && c->idx[tno - 1][x - 1] == NONE))
		return false;
	c->idx[tno - 1][x] = lba;
	return true;
}

/* The tracks of the parsed sheet from their index LBAs; false when they do not fit. */
static bool cue_tracks(struct cue_parse *c, int64_t first, int64_t end)
{
	struct vd_sao *s = c->s;
	int64_t prev = first;

	for (unsigned i = 0; i < s->ntracks; i++) {
		struct vdrive_track *t = &s->tracks[i];
		int64_t i0 = c->idx[i][0], i1 = c->idx[i][1];
		int64_t next = i + 1 < s->ntracks ? (c->idx[i + 1][0] != NONE ? c->idx[i + 1][0]
									      : c->idx[i + 1][1])
						  : end;

		/* INDEX 01 at or after LBA 0 (the pregap holds what comes before) */
		if (i1 == NONE || i1 < 0 || (i0 != NONE && i0 > i1) ||
		    (i0 != NONE ? i0 : i1) != prev || next <= i1)
			return false;
		t->start = (uint64_t)i1;
		t->pregap = (uint32_t)(i0 != NONE ? i1 - i0 : 0);
		t->size = (uint64_t)(next - i1);
		for (unsigned k = 2; k < 2 + VDRIVE_INDEXES_MAX && c->idx[i][k] != NONE; k++) {
			if (c->idx[i][k] <= (k == 2 ? i1 : c->idx[i][k - 1]) ||
			    c->idx[i][k] >= next)
				return false;
			t->index[t->nindex++] = (uint32_t)(c->idx[i][k] - i1);
		}
		prev = next;
	}
	return true;
}

/* Every entry of the sheet p[0..pl) into c; false: an entry 05/26/00 refuses. */
static bool cue_entries(struct cue_parse *c, const uint8_t *p, size_t pl, int64_t *first,
			int64_t *end)
{
	bool lead_in = false;

	*first = *end = INT64_MIN;
	for (size_t o = 0; o < pl; o += MMC_CUE_SIZE) {
		const uint8_t *e = p + o;
		unsigned adr = e[MMC_CUE_CTL_ADR] & MMC_CUE_ADR_MASK, tno = e[MMC_CUE_TNO];

		if (adr == MMC_CUE_ADR_MCN || adr == MMC_CUE_ADR_ISRC) {
			if (!cue_code(c, e))
				return false;
			continue;
		}
		/* a time (binary MSF); nothing after the lead-out */
		if (adr != MMC_CUE_ADR_TIME || *end != INT64_MIN || e[MMC_CUE_MIN] > 99 ||
		    e[MMC_CUE_SEC] > 59 || e[MMC_CUE_FRAME] > 74)
			return false;
		if (tno == MMC_CUE_TNO_LEADIN) {
			if (lead_in || c->s->ntracks)
				return false;
			lead_in = true;
			/* audio silence or Mode 1 zeros, with R-W (CD-Text) from the host */
			c->s->cdtext =
				e[MMC_CUE_DATA_FORM] == MMC_CUE_FORM_CDTEXT ||
				e[MMC_CUE_DATA_FORM] == (MMC_CUE_FORM_MODE1_ZERO | MMC_CUE_FORM_RW);
		} else if (tno == MMC_CUE_TNO_LEADOUT) {
			*end = msf_lba(e + MMC_CUE_MIN);
		} else {
			if (!lead_in || !cue_index(c, e))
				return false;
			if (*first == INT64_MIN)
				*first = msf_lba(e + MMC_CUE_MIN);
		}
	}
	return lead_in && *end != INT64_MIN && c->s->ntracks && c->mcn_parts != 1 &&
	       c->isrc_parts != 1;
}

/*
 * A mixed-mode sheet is what it may be: track 1 data (Mode 1) and the rest audio, with the
 * 2-s gap a change of mode needs (Yellow Book) before the first audio track, whose INDEX 00
 * is audio; no index points in the data track. An all-audio sheet passes.
 */
static bool cue_mixed_ok(const struct cue_parse *c)
{
	const struct vd_sao *s = c->s;

	if (!c->data)
		return true;
	return c->mode1_tracks == 1 && !s->tracks[0].audio && s->tracks[0].nindex == 0 &&
	       s->ntracks > 1 && s->tracks[1].pregap >= AUDIO_PREGAP;
}

/*
 * SEND CUE SHEET of audio tracks: the session from the NWA less 150 (track 1's INDEX 00 at
 * -150 on a blank disc), tracks numbered on from the disc's, CD-Text in the lead-in when
 * its data form has R-W (41h, 54h). false (nothing done) when the sheet has no audio track:
 * the data sheet's checks follow. A mixed-mode sheet (data track 1, then audio) is taken
 * (cue_mixed_ok); other mixes of audio and data are refused (05/26/00).
 */
bool vd_audio_cue_sheet(struct vdrive *vd, const uint8_t *p, size_t pl, struct vdrive_result *res)
{
	_cleanup_free_ struct cue_parse *c = calloc(1, sizeof(*c));
	int64_t first, end, at = (int64_t)vd_nwa(vd) - AUDIO_PREGAP;

	if (!c || !(c->s = calloc(1, sizeof(*c->s)))) {
		if (c)
			free(c->s);
		vd_check(res, vd, 0x04, 0x00, 0x00);
		return true;
	}
	if (!cue_entries(c, p, pl, &first, &end)) {
		bool audio = c->audio;

		free(c->s);
		if (!audio)
			return false;
		vd_check(res, vd, 0x05, 0x26, 0x00); /* invalid field in parameter list */
		return true;
	}
	if (!c->audio) {
		free(c->s);
		return false;
	}
	if (vd->ntracks || first != at || !cue_tracks(c, first, end) || !cue_mixed_ok(c) ||
	    end > (int64_t)vd->capacity) {
		/* audio SAO on a blank disc only (mmc.md 2.3: drives handle it badly after a
		 * session), its first block where the drive starts */
		free(c->s);
		vd_check(res, vd, 0x05, 0x26, 0x00);
		return true;
	}
	vd_audio_reset(vd);
	vd->sao = c->s;
	vd->sao->audio_start = (int32_t)first;
	vd->sao->end = (int32_t)end;
	vd->sao->data_end = c->s->tracks[0].audio
				    ? (int32_t)first
				    : (int32_t)(c->s->tracks[0].start + c->s->tracks[0].size);
	vd->sao->next = vd->sao->cdtext ? INT32_MIN : (int32_t)first;
	res->resid = 0;
	return true;
}

/* ---- SAO of audio: the writes --------------------------------------------------------------- */

/* 96 bytes of lead-in R-W: 4 packs of 24 six-bit symbols, 3 bytes each 4 symbols. */
static void leadin_block(struct vd_sao *s, const uint8_t *b)
{
	uint8_t pk[4 * CDTEXT_PACK];

	for (unsigned g = 0; g < LEADIN_BLOCK / 4; g++) {
		const uint8_t *y = b + 4 * g;
		uint32_t v = (uint32_t)(y[0] & 0x3F) << 18 | (uint32_t)(y[1] & 0x3F) << 12 |
			     (uint32_t)(y[2] & 0x3F) << 6 | (y[3] & 0x3F);

		pk[3 * g] = (uint8_t)(v >> 16), pk[3 * g + 1] = (uint8_t)(v >> 8);
		pk[3 * g + 2] = (uint8_t)v;
	}
	for (unsigned k = 0; k < 4 && !s->packs_done; k++) {
		const uint8_t *q = pk + CDTEXT_PACK * k;

		/* one round of the repeated list: it ends where its first pack comes again */
		if (s->npacks && memcmp(q, s->packs, CDTEXT_PACK) == 0) {
			s->packs_done = true;
			break;
		}
		if (s->npacks == CDTEXT_MAX_PACKS || (q[0] & 0xF0) != 0x80)
			continue; /* not a text pack: the drive ignores it */
		memcpy(s->packs + CDTEXT_PACK * s->npacks++, q, CDTEXT_PACK);
	}
}

/* The session is complete: its tracks, MCN and CD-Text recorded, the state saved. */
static void sao_commit(struct vdrive *vd, struct vdrive_result *res)
{
	struct vd_sao *s = vd->sao;
	unsigned session = vd_nsessions(vd) + 1;

	for (unsigned i = 0; i < s->ntracks; i++) {
		s->tracks[i].session = session;
		vd->tracks[vd->ntracks++] = s->tracks[i];
	}
	vd->status = vd->multisession ? DS_APPENDABLE : DS_COMPLETE;
	vd->used_end = (uint64_t)s->end;
	memcpy(vd->mcn, s->mcn, sizeof(vd->mcn));
	vd->cdtext = s->packs, s->packs = NULL;
	vd->cdtext_packs = s->npacks;
	free(s);
	vd->sao = NULL;
	if (grow_disc_img(vd, vd->used_end) < 0 || vd_state_save(vd, true) < 0)
		vd_check(res, vd, 0x03, 0x0C, 0x00);
}

/*
 * Blocks of a mixed-mode disc's data track: its pregap (before LBA 0) is the drive's to
 * record as zeros, the rest goes to disc.img where READ(10) finds it. -errno.
 */
static int sao_data(struct vdrive *vd, int64_t lba, uint32_t n, const uint8_t *buf)
{
	uint32_t skip = lba < 0 ? (uint32_t)BFS_MIN((int64_t)n, -lba) : 0;

	if (vd->test_write || skip == n)
		return 0;
	return vd_image_write(vd, (uint64_t)(lba + skip), buf + (size_t)skip * BLOCK, n - skip);
}

void vd_audio_write(struct vdrive *vd, int64_t lba, uint32_t n, const uint8_t *buf,
		    struct vdrive_result *res)
{
	struct vd_sao *s = vd->sao;
	bool leadin = lba < s->audio_start;
	bool data = !leadin && lba < s->data_end;

	if (s->next == INT32_MIN && leadin && lba >= ATIP_LEADIN_LBA)
		s->next = (int32_t)lba; /* the host starts the lead-in where it likes */
	/* one WRITE, one block size: it may not cross into the lead-in, data or audio beyond */
	if (lba != s->next ||
	    lba + n > (leadin ? s->audio_start
		       : data ? s->data_end
			      : s->end) ||
	    (leadin && !s->cdtext)) {
		vd_check(res, vd, 0x05, 0x21, 0x02); /* invalid address for write */
		return;
	}
	if (leadin) {
		if (!s->packs && !(s->packs = malloc(CDTEXT_MAX_PACKS * CDTEXT_PACK))) {
			vd_check(res, vd, 0x04, 0x00, 0x00);
			return;
		}
		for (uint32_t k = 0; k < n; k++)
			leadin_block(s, buf + (size_t)k * LEADIN_BLOCK);
	} else if (data ? sao_data(vd, lba, n, buf) < 0
			: !vd->test_write && vd_audio_pwrite(vd, lba, buf, n) < 0) {
		vd_check(res, vd, 0x03, 0x0C, 0x00);
		return;
	}
	s->next += (int32_t)n;
	if (s->next != s->end)
		return;
	if (vd->test_write) { /* simulation: nothing recorded */
		vd_audio_reset(vd);
		return;
	}
	sao_commit(vd, res);
}
