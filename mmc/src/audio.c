/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Audio CDs through the MMC layer. See mmc/audio.h; the formats are those of boot-audio.md
 * 4-7 and mmc.md 1.3, 2.2, 2.3, their fields in mmc/layout.h.
 */
#include "mmc/audio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/macro.h"
#include "mmc-internal.h"
#include "mmc/layout.h"
#include "mmc/mmc.h"

#define LEADIN_PACKS 4u /* CD-Text packs in a 96-byte lead-in block */

void mmc_lba_to_msf(int32_t lba, uint8_t ret_msf[3])
{
	int64_t f = lba < -150 ? (int64_t)lba + 450150 : (int64_t)lba + 150;

	if (f < 0)
		f = 0;
	ret_msf[0] = (uint8_t)BFS_MIN(f / 4500, (int64_t)255);
	ret_msf[1] = (uint8_t)(f / 75 % 60);
	ret_msf[2] = (uint8_t)(f % 75);
}

int32_t mmc_msf_to_lba(uint8_t m, uint8_t s, uint8_t f)
{
	int32_t v = ((int32_t)m * 60 + s) * 75 + f;

	return m >= 90 ? v - 450150 : v - 150;
}

const char *mmc_audio_time(uint32_t blocks, char buf[9])
{
	snprintf(buf, 9, "%02u:%02u:%02u", BFS_MIN(blocks / 4500, 99u), blocks / 75 % 60,
		 blocks % 75);
	return buf;
}

bool mmc_isrc_valid(const char *s)
{
	if (!s || strlen(s) != MMC_AUDIO_ISRC_LEN)
		return false;
	for (unsigned i = 0; i < MMC_AUDIO_ISRC_LEN; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && !(i < 5 && s[i] >= 'A' && s[i] <= 'Z'))
			return false;
	return true;
}

bool mmc_mcn_valid(const char *s)
{
	return s && strlen(s) == MMC_AUDIO_MCN_LEN && strspn(s, "0123456789") == MMC_AUDIO_MCN_LEN;
}

/* ---- page 05h ------------------------------------------------------------------------------ */

static int select_page05(struct mmc_drive *d, uint8_t *p, size_t n, struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_MODE_SELECT10,
				       [MMC_MODE_SELECT_CDB_FLAGS] = MMC_MODE_SELECT_PF};
	uint8_t *w = p + MMC_MODE_HEADER_SIZE;

	w[MMC_PAGE_CODE] = MMC_PAGE_WRITE_PARAMS, w[MMC_PAGE_LENGTH] = MMC_WP_SIZE - 2;
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, (uint16_t)n);
	return mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_OUT, p, n, NULL, diag);
}

int mmc_audio_set_tao(struct mmc_drive *d, const struct mmc_audio_tao *p, struct bfs_diag *diag)
{
	uint8_t b[MMC_MODE_HEADER_SIZE + MMC_WP_SIZE] = {0}, *w = b + MMC_MODE_HEADER_SIZE;

	if (p->ctl & ~(MMC_AUDIO_CTL_PREEMPHASIS | MMC_AUDIO_CTL_COPY | MMC_AUDIO_CTL_4CH))
		return bfs_diag_set(diag, -EINVAL, "CONTROL %#x is not that of an audio track",
				    p->ctl);
	if (p->isrc[0] && !mmc_isrc_valid(p->isrc))
		return bfs_diag_set(diag, -EINVAL,
				    "ISRC '%s' is not 12 characters CCOOOYYSSSSS (country and "
				    "owner letters or digits, year and serial digits)",
				    p->isrc);
	if (p->mcn[0] && !mmc_mcn_valid(p->mcn))
		return bfs_diag_set(diag, -EINVAL, "MCN '%s' is not 13 digits", p->mcn);
	/* TAO, BUFE; Multi-session; Track Mode = CONTROL; raw 2352; CD-DA session; 2 s pause */
	w[MMC_WP_TYPE] = MMC_WP_BUFE | MMC_WP_TYPE_TAO | (p->test ? MMC_WP_TEST_WRITE : 0);
	w[MMC_WP_TRACK] =
		(uint8_t)((p->multi ? MMC_WP_MULTI_NEXT << MMC_WP_MULTI_SHIFT : 0) | p->ctl);
	w[MMC_WP_BLOCK_TYPE] = MMC_WP_BLOCK_RAW;
	bfs_put_be16(w + MMC_WP_AUDIO_PAUSE, MMC_AUDIO_PREGAP);
	if (p->mcn[0]) {
		w[MMC_WP_MCN] = MMC_WP_VALID;
		memcpy(w + MMC_WP_MCN + 1, p->mcn, MMC_AUDIO_MCN_LEN);
	}
	if (p->isrc[0]) {
		w[MMC_WP_ISRC] = MMC_WP_VALID;
		memcpy(w + MMC_WP_ISRC + 1, p->isrc, MMC_AUDIO_ISRC_LEN);
	}
	return select_page05(d, b, sizeof(b), diag);
}

int mmc_audio_set_sao(struct mmc_drive *d, bool test, bool multi, struct bfs_diag *diag)
{
	uint8_t b[MMC_MODE_HEADER_SIZE + MMC_WP_SIZE] = {0}, *w = b + MMC_MODE_HEADER_SIZE;

	w[MMC_WP_TYPE] = MMC_WP_BUFE | MMC_WP_TYPE_SAO | (test ? MMC_WP_TEST_WRITE : 0);
	w[MMC_WP_TRACK] = multi ? MMC_WP_MULTI_NEXT << MMC_WP_MULTI_SHIFT : 0;
	w[MMC_WP_BLOCK_TYPE] = MMC_WP_BLOCK_RAW;
	bfs_put_be16(w + MMC_WP_AUDIO_PAUSE, MMC_AUDIO_PREGAP);
	return select_page05(d, b, sizeof(b), diag);
}

/* ---- the SAO layout and its cue sheet ------------------------------------------------------- */

uint64_t mmc_audio_layout_blocks(const struct mmc_audio_layout *l)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < l->ntracks && i < MMC_AUDIO_TRACKS_MAX; i++)
		n += (uint64_t)l->tracks[i].pregap + l->tracks[i].length;
	return n;
}

int32_t mmc_audio_layout_start(const struct mmc_audio_layout *l, unsigned i)
{
	int64_t lba = -(int64_t)MMC_AUDIO_PREGAP;

	for (unsigned k = 0; k < i && k < l->ntracks; k++)
		lba += (int64_t)l->tracks[k].pregap + l->tracks[k].length;
	if (i < l->ntracks)
		lba += l->tracks[i].pregap;
	return (int32_t)lba;
}

/*
 * Track i's CONTROL: audio, or data (Mode 1) for track 1 of a mixed-mode disc, without index
 * points; the audio track after it has a pregap of 2 s at least (a change of mode).
 */
static int track_mode_check(const struct mmc_audio_layout *l, unsigned i, struct bfs_diag *diag)
{
	const struct mmc_audio_track *t = &l->tracks[i];
	unsigned no = l->first + i;
	uint8_t audio = MMC_AUDIO_CTL_PREEMPHASIS | MMC_AUDIO_CTL_COPY | MMC_AUDIO_CTL_4CH;

	if (t->ctl & MMC_AUDIO_CTL_DATA) {
		if (no != 1 || (t->ctl & ~(MMC_AUDIO_CTL_DATA | MMC_AUDIO_CTL_COPY)) || t->nindex)
			return bfs_diag_set(diag, -EINVAL,
					    "track %u: CONTROL %#x: only track 1 may be data "
					    "(Mode 1, no index points)",
					    no, t->ctl);
		return 0;
	}
	if (t->ctl & ~audio)
		return bfs_diag_set(diag, -EINVAL, "track %u: CONTROL %#x is not audio", no,
				    t->ctl);
	if (i && (l->tracks[i - 1].ctl & MMC_AUDIO_CTL_DATA) && t->pregap < MMC_AUDIO_PREGAP)
		return bfs_diag_set(diag, -EINVAL,
				    "track %u: a pregap of %u blocks after the data track; at "
				    "least 150 (2 s)",
				    no, t->pregap);
	return 0;
}

/* The rules of mmc/audio.h's layout: -EINVAL naming the track and the field. */
static int layout_check(const struct mmc_audio_layout *l, struct bfs_diag *diag)
{
	int r;

	if (l->ntracks == 0 || l->ntracks > MMC_AUDIO_TRACKS_MAX || l->first == 0 ||
	    l->first + l->ntracks - 1 > MMC_AUDIO_TRACKS_MAX)
		return bfs_diag_set(diag, -EINVAL,
				    "%u tracks from number %u: a CD holds tracks 1-99", l->ntracks,
				    l->first);
	if (l->mcn[0] && !mmc_mcn_valid(l->mcn))
		return bfs_diag_set(diag, -EINVAL, "MCN '%s' is not 13 digits", l->mcn);
	for (unsigned i = 0; i < l->ntracks; i++) {
		const struct mmc_audio_track *t = &l->tracks[i];
		unsigned no = l->first + i;

		if (i == 0 && t->pregap < MMC_AUDIO_PREGAP)
			return bfs_diag_set(diag, -EINVAL,
					    "track %u: a pregap of %u blocks; the first track's is "
					    "at least 150 (2 s)",
					    no, t->pregap);
		if ((uint64_t)t->length + (i ? t->pregap : 0) < MMC_AUDIO_TRACK_MIN)
			return bfs_diag_set(diag, -EINVAL,
					    "track %u: %u blocks; a track is at least 300 (4 s)",
					    no, t->length);
		if ((r = track_mode_check(l, i, diag)) < 0)
			return r;
		if (t->isrc[0] && !mmc_isrc_valid(t->isrc))
			return bfs_diag_set(diag, -EINVAL, "track %u: ISRC '%s' is malformed", no,
					    t->isrc);
		if (t->nindex > MMC_AUDIO_INDEXES_MAX)
			return bfs_diag_set(diag, -EINVAL, "track %u: %u index points, at most %u",
					    no, t->nindex, MMC_AUDIO_INDEXES_MAX);
		for (unsigned k = 0; k < t->nindex; k++)
			if (t->index[k] == 0 || t->index[k] >= t->length ||
			    (k && t->index[k] <= t->index[k - 1]))
				return bfs_diag_set(
					diag, -EINVAL,
					"track %u: index %u at block %u of %u is out of "
					"order",
					no, k + 2, t->index[k], t->length);
	}
	if (mmc_audio_layout_blocks(l) > 99u * 4500 + 59 * 75 + 74)
		return bfs_diag_set(diag, -EINVAL, "the disc would be longer than 99:59:74");
	return 0;
}

/* One cue sheet entry at e. */
static void cue_entry(uint8_t *e, uint8_t ctl_adr, uint8_t tno, uint8_t index, uint8_t form,
		      int32_t lba)
{
	e[MMC_CUE_CTL_ADR] = ctl_adr;
	e[MMC_CUE_TNO] = tno;
	e[MMC_CUE_INDEX] = index;
	e[MMC_CUE_DATA_FORM] = form;
	e[MMC_CUE_SCMS] = 0;
	mmc_lba_to_msf(lba, e + MMC_CUE_MIN);
}

/* The two entries of a code (ADR 2: MCN 13 digits; ADR 3: TNO then the ISRC's 12). */
static size_t cue_code(uint8_t *e, uint8_t adr, uint8_t ctl, uint8_t tno, const char *code)
{
	memset(e, 0, 2 * MMC_CUE_SIZE);
	for (unsigned k = 0; k < 2; k++, e += MMC_CUE_SIZE) {
		e[MMC_CUE_CTL_ADR] = (uint8_t)(ctl << MMC_CUE_CTL_SHIFT | adr);
		if (adr == MMC_CUE_ADR_MCN) {
			memcpy(e + 1, code + 7 * k, k ? 6 : 7); /* 13 digits, then a zero */
		} else {
			e[MMC_CUE_TNO] = tno;
			memcpy(e + 2, code + 6 * k, 6);
		}
	}
	return 2 * MMC_CUE_SIZE;
}

int mmc_audio_cue_sheet(const struct mmc_audio_layout *l, uint8_t *buf, size_t cap, size_t *ret_len,
			struct bfs_diag *diag)
{
	size_t need = (size_t)(3 + 2) * MMC_CUE_SIZE, o = 0;
	int32_t lba = -(int32_t)MMC_AUDIO_PREGAP;
	int r = layout_check(l, diag);
	bool data1;

	if (r < 0)
		return r;
	data1 = l->tracks[0].ctl & MMC_AUDIO_CTL_DATA;
	for (unsigned i = 0; i < l->ntracks; i++)
		need += (size_t)(4 + l->tracks[i].nindex) * MMC_CUE_SIZE;
	if (cap < need)
		return bfs_diag_set(diag, -ENOBUFS, "the cue sheet takes %zu bytes, %zu given",
				    need, cap);
	if (l->mcn[0])
		o += cue_code(buf + o, MMC_CUE_ADR_MCN, 0, 0, l->mcn);
	/* the lead-in in track 1's mode: drive-made audio silence or Mode 1 zeros */
	cue_entry(buf + o, (uint8_t)(l->tracks[0].ctl << 4 | MMC_CUE_ADR_TIME), MMC_CUE_TNO_LEADIN,
		  0,
		  (uint8_t)((data1 ? MMC_CUE_FORM_MODE1_ZERO : MMC_CUE_FORM_SILENT) |
			    (l->cdtext ? MMC_CUE_FORM_RW : 0)),
		  0);
	memset(buf + o + MMC_CUE_MIN, 0, 3); /* the lead-in at MSF 0 (libburn's cookbook) */
	o += MMC_CUE_SIZE;
	for (unsigned i = 0; i < l->ntracks; i++) {
		const struct mmc_audio_track *t = &l->tracks[i];
		uint8_t tno = (uint8_t)(l->first + i), ca = (uint8_t)(t->ctl << 4 | 1);
		/* the host sends every block, a data track's (pregap too) as 2048 bytes */
		uint8_t form =
			t->ctl & MMC_AUDIO_CTL_DATA ? MMC_CUE_FORM_MODE1 : MMC_CUE_FORM_AUDIO;

		if (t->isrc[0])
			o += cue_code(buf + o, MMC_CUE_ADR_ISRC, t->ctl, tno, t->isrc);
		if (t->pregap) { /* the host sends the pregap's audio (data form 00h) */
			cue_entry(buf + o, ca, tno, 0, form, lba);
			o += MMC_CUE_SIZE;
		}
		lba += (int32_t)t->pregap;
		cue_entry(buf + o, ca, tno, 1, form, lba);
		o += MMC_CUE_SIZE;
		for (unsigned k = 0; k < t->nindex; k++, o += MMC_CUE_SIZE)
			cue_entry(buf + o, ca, tno, (uint8_t)(k + 2), MMC_CUE_FORM_AUDIO,
				  lba + (int32_t)t->index[k]);
		lba += (int32_t)t->length;
	}
	/* the lead-out, generated by the drive; CONTROL 0 as in boot-audio.md's example */
	cue_entry(buf + o, MMC_CUE_ADR_TIME, MMC_CUE_TNO_LEADOUT, 1, MMC_CUE_FORM_SILENT, lba);
	o += MMC_CUE_SIZE;
	*ret_len = o;
	return 0;
}

int mmc_audio_send_cue_sheet(struct mmc_drive *d, const struct mmc_audio_layout *l,
			     struct bfs_diag *diag)
{
	size_t cap = (size_t)(3 + 2 + MMC_AUDIO_TRACKS_MAX * (4 + MMC_AUDIO_INDEXES_MAX)) *
		     MMC_CUE_SIZE,
	       n;
	_cleanup_free_ uint8_t *b = malloc(cap);
	uint8_t cdb[MMC_CDB10_SIZE] = {MMC_OP_SEND_CUE_SHEET};
	int r;

	if (!b)
		return -ENOMEM;
	r = mmc_audio_cue_sheet(l, b, cap, &n, diag);
	if (r < 0)
		return r;
	bfs_put_be24(cdb + MMC_CUE_CDB_LENGTH, (uint32_t)n);
	return mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_OUT, b, n, NULL, diag);
}

/* ---- CD-Text and the lead-in ---------------------------------------------------------------- */

uint16_t mmc_cdtext_crc(const uint8_t pack[16])
{
	uint16_t c = 0;

	for (unsigned i = 0; i < 16; i++) {
		c ^= (uint16_t)(pack[i] << 8);
		for (int b = 0; b < 8; b++)
			c = (uint16_t)(c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1);
	}
	return (uint16_t)~c;
}

void mmc_cdtext_pack_seal(uint8_t pack[MMC_CDTEXT_PACK])
{
	bfs_put_be16(pack + MMC_CDTEXT_CRC, mmc_cdtext_crc(pack));
}

int mmc_audio_leadin_start(struct mmc_drive *d, int32_t *ret_lba, struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_READ_TOC,
				       [MMC_TOC_CDB_MSF] = MMC_TOC_MSF,
				       [MMC_TOC_CDB_FORMAT] = MMC_TOC_FORMAT_ATIP};
	uint8_t b[MMC_ATIP_SIZE] = {0};
	int r;

	bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(b));
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, b, sizeof(b), NULL, diag);
	if (r < 0)
		return r;
	if (bfs_get_be16(b + MMC_TOC_LENGTH) + 2u < MMC_ATIP_LEADIN + 3 ||
	    b[MMC_ATIP_LEADIN] < 90 || b[MMC_ATIP_LEADIN + 1] > 59 || b[MMC_ATIP_LEADIN + 2] > 74)
		return bfs_diag_set(
			diag, -EPROTO, "the drive's ATIP gives no lead-in start (%02u:%02u:%02u)",
			b[MMC_ATIP_LEADIN], b[MMC_ATIP_LEADIN + 1], b[MMC_ATIP_LEADIN + 2]);
	*ret_lba =
		mmc_msf_to_lba(b[MMC_ATIP_LEADIN], b[MMC_ATIP_LEADIN + 1], b[MMC_ATIP_LEADIN + 2]);
	return 0;
}

/* Pack p (18 bytes) as 24 six-bit R-W symbols at out: 3 bytes make 4 symbols. */
static void spread_pack(const uint8_t *p, uint8_t *out)
{
	for (unsigned g = 0; g < MMC_CDTEXT_PACK / 3; g++) {
		uint32_t v = (uint32_t)p[3 * g] << 16 | (uint32_t)p[3 * g + 1] << 8 | p[3 * g + 2];

		for (unsigned k = 0; k < 4; k++)
			out[4 * g + k] = (uint8_t)((v >> (18 - 6 * k)) & 0x3F);
	}
}

int mmc_audio_write_leadin(struct mmc_drive *d, const uint8_t *packs, size_t npacks,
			   struct bfs_diag *diag)
{
	enum { CHUNK = 256 }; /* lead-in blocks a WRITE */
	_cleanup_free_ uint8_t *b = malloc((size_t)CHUNK * MMC_AUDIO_LEADIN_BLOCK);
	int32_t start, end = -(int32_t)MMC_AUDIO_PREGAP;
	size_t next = 0;
	int r;

	if (npacks == 0 || npacks > MMC_CDTEXT_PACKS_MAX)
		return bfs_diag_set(diag, -EINVAL, "%zu CD-Text packs (1-%u)", npacks,
				    MMC_CDTEXT_PACKS_MAX);
	if (!b)
		return -ENOMEM;
	r = mmc_audio_leadin_start(d, &start, diag);
	if (r < 0)
		return r;
	/* the packs repeat, in order, from the lead-in's start up to the first pregap */
	for (int32_t lba = start; lba < end;) {
		uint32_t n = (uint32_t)BFS_MIN((int64_t)CHUNK, (int64_t)end - lba);

		for (uint32_t k = 0; k < n * LEADIN_PACKS; k++, next = (next + 1) % npacks)
			spread_pack(packs + next * MMC_CDTEXT_PACK, b + (size_t)k * 24);
		r = mmc_write_sized(d, (uint32_t)lba, n, b, MMC_AUDIO_LEADIN_BLOCK, diag);
		if (r < 0)
			return bfs_diag_prefix(diag, r, "writing the CD-Text lead-in at %d", lba);
		lba += (int32_t)n;
	}
	return 0;
}

/* ---- writing and reading audio blocks ------------------------------------------------------- */

/* Audio blocks one command carries: as many bytes as the transport's largest transfer. */
static uint32_t audio_piece(const struct mmc_drive *d)
{
	return BFS_MAX(mmc_drive_max_blocks(d) * 2048u / MMC_AUDIO_BLOCK, 1u);
}

int mmc_audio_write(struct mmc_drive *d, int32_t lba, uint32_t n, const uint8_t *buf,
		    struct bfs_diag *diag)
{
	for (uint32_t done = 0, k; done < n; done += k) {
		int r;

		k = BFS_MIN(n - done, audio_piece(d));
		r = mmc_write_sized(d, (uint32_t)(lba + (int32_t)done), k,
				    buf + (size_t)done * MMC_AUDIO_BLOCK, MMC_AUDIO_BLOCK, diag);
		if (r < 0) {
			char t[9];

			return bfs_diag_prefix(
				diag, r, "writing audio at block %d (%s)", lba + (int32_t)done,
				mmc_audio_time((uint32_t)(lba + (int32_t)done + 150), t));
		}
	}
	return 0;
}

int mmc_audio_write_data(struct mmc_drive *d, int32_t lba, uint32_t n, const uint8_t *buf,
			 struct bfs_diag *diag)
{
	uint32_t piece = BFS_MAX(mmc_drive_max_blocks(d), 1u);

	for (uint32_t done = 0, k; done < n; done += k) {
		int r;

		k = BFS_MIN(n - done, piece);
		r = mmc_write_sized(d, (uint32_t)(lba + (int32_t)done), k,
				    buf + (size_t)done * MMC_DATA_BLOCK, MMC_DATA_BLOCK, diag);
		if (r < 0)
			return bfs_diag_prefix(diag, r, "writing the data track at block %d",
					       lba + (int32_t)done);
	}
	return 0;
}

int mmc_audio_read(struct mmc_drive *d, int32_t lba, uint32_t n, uint8_t *buf,
		   struct bfs_diag *diag)
{
	for (uint32_t done = 0, k; done < n; done += k) {
		uint8_t cdb[MMC_CDB12_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_READ_CD};
		int r;

		k = BFS_MIN(n - done, audio_piece(d));
		cdb[MMC_READ_CD_CDB_TYPE] = MMC_READ_CD_TYPE_CDDA << MMC_READ_CD_TYPE_SHIFT;
		bfs_put_be32(cdb + MMC_CDB_LBA, (uint32_t)(lba + (int32_t)done));
		bfs_put_be24(cdb + MMC_READ_CD_CDB_LENGTH, k);
		cdb[MMC_READ_CD_CDB_MAIN] = MMC_READ_CD_USER_DATA;
		r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, buf + (size_t)done * MMC_AUDIO_BLOCK,
			     (size_t)k * MMC_AUDIO_BLOCK, NULL, diag);
		if (r < 0)
			return bfs_diag_prefix(diag, r, "READ CD of audio blocks %d-%d",
					       lba + (int32_t)done, lba + (int32_t)(done + k) - 1);
	}
	return 0;
}

/* CLOSE TRACK/SESSION with Immed, then the wait for the drive. */
static int close_fn(struct mmc_drive *d, uint8_t func, const char *what, struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_CLOSE_TRACK_SESSION,
				       [MMC_CLOSE_CDB_FLAGS] = MMC_CLOSE_IMMED};
	int r;

	cdb[MMC_CLOSE_CDB_FUNCTION] = func;
	if (func == MMC_CLOSE_TRACK)
		bfs_put_be16(cdb + MMC_CLOSE_CDB_TRACK, MMC_TI_INVISIBLE_TRACK);
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_NONE, NULL, 0, NULL, diag);
	return r < 0 ? r : mmc_wait_ready(d, what, diag);
}

int mmc_audio_close_track(struct mmc_drive *d, struct bfs_diag *diag)
{
	return close_fn(d, MMC_CLOSE_TRACK, "closing the audio track", diag);
}

int mmc_audio_close_session(struct mmc_drive *d, struct bfs_diag *diag)
{
	return close_fn(d, MMC_CLOSE_SESSION, "closing the audio session", diag);
}

/* ---- READ TOC ---------------------------------------------------------------------------- */

/* The bytes of a TOC reply that its length field and the transfer both cover. */
static size_t toc_len(const uint8_t *b, size_t n)
{
	return n < MMC_TOC_HEADER_SIZE ? 0 : BFS_MIN(n, (size_t)bfs_get_be16(b) + 2);
}

/*
 * Addresses a CD can have, in the LBA form of READ TOC: from the lead-in of the longest
 * (-45150, 90:00:00 in MSF) to far past the 99 minutes of any disc. A reply outside them is
 * no CD's, and the lengths below could not be computed from it.
 */
#define TOC_LBA_MIN (-45150)
#define TOC_LBA_MAX (1 << 24)

static bool toc_lba_ok(int32_t lba)
{
	return lba >= TOC_LBA_MIN && lba < TOC_LBA_MAX;
}

/* Each track's length: to the next track of its session, or to the session's lead-out. */
static void toc_lengths(struct mmc_toc *t, const int32_t *leadout, unsigned nleadout)
{
	for (unsigned i = 0; i < t->ntracks; i++) {
		struct mmc_toc_track *k = &t->tracks[i];
		int64_t end = t->leadout;

		if (i + 1 < t->ntracks && t->tracks[i + 1].session == k->session)
			end = t->tracks[i + 1].start;
		else if (k->session >= 1 && k->session <= nleadout && leadout[k->session - 1])
			end = leadout[k->session - 1];
		k->length = end > k->start ? (uint32_t)(end - k->start) : 0;
	}
}

int mmc_parse_toc0(const uint8_t *b, size_t n, struct mmc_toc *ret, struct bfs_diag *diag)
{
	size_t len = toc_len(b, n);
	bool lead_out = false;

	memset(ret, 0, sizeof(*ret));
	if (len < MMC_TOC_HEADER_SIZE + MMC_TOC_D_SIZE)
		return bfs_diag_set(diag, -EPROTO, "READ TOC: a reply of %zu bytes", n);
	ret->first = b[MMC_TOC_FIRST], ret->last = b[MMC_TOC_LAST];
	for (size_t o = MMC_TOC_HEADER_SIZE; o + MMC_TOC_D_SIZE <= len; o += MMC_TOC_D_SIZE) {
		const uint8_t *e = b + o;
		unsigned no = e[MMC_TOC_D_TRACK];
		int32_t start = (int32_t)bfs_get_be32(e + MMC_TOC_D_ADDRESS);

		if (!toc_lba_ok(start))
			return bfs_diag_set(diag, -EPROTO,
					    "READ TOC: track %u at block %d, on no CD", no, start);
		if (no == MMC_TOC_LEADOUT) {
			ret->leadout = start, lead_out = true;
			continue;
		}
		if (no == 0 || no > MMC_AUDIO_TRACKS_MAX || lead_out ||
		    (ret->ntracks && (no <= ret->tracks[ret->ntracks - 1].number ||
				      start < ret->tracks[ret->ntracks - 1].start)))
			return bfs_diag_set(diag, -EPROTO, "READ TOC: track %u at %d out of order",
					    no, start);
		ret->tracks[ret->ntracks++] =
			(struct mmc_toc_track){.number = no,
					       .session = 1,
					       .ctl = e[MMC_TOC_D_ADR_CTL] & 0x0F,
					       .start = start};
	}
	if (!lead_out || (ret->ntracks && ret->leadout < ret->tracks[ret->ntracks - 1].start))
		return bfs_diag_set(diag, -EPROTO, "READ TOC: no lead-out after the tracks");
	ret->sessions = 1;
	ret->last_session_start = ret->ntracks ? ret->tracks[0].start : 0;
	toc_lengths(ret, NULL, 0);
	return 0;
}

int mmc_parse_toc1(const uint8_t *b, size_t n, struct mmc_toc *toc, struct bfs_diag *diag)
{
	if (toc_len(b, n) < MMC_TOC_HEADER_SIZE + MMC_TOC_D_SIZE)
		return bfs_diag_set(diag, -EPROTO, "READ TOC format 1: a reply of %zu bytes", n);
	toc->sessions = b[MMC_TOC_LAST];
	toc->last_session_start =
		(int32_t)bfs_get_be32(b + MMC_TOC_HEADER_SIZE + MMC_TOC_D_ADDRESS);
	return 0;
}

int mmc_parse_toc2(const uint8_t *b, size_t n, struct mmc_toc *toc, struct bfs_diag *diag)
{
	int32_t leadout[MMC_AUDIO_TRACKS_MAX] = {0};
	size_t len = toc_len(b, n);

	if (len < MMC_TOC_HEADER_SIZE)
		return bfs_diag_set(diag, -EPROTO, "READ TOC format 2: a reply of %zu bytes", n);
	for (size_t o = MMC_TOC_HEADER_SIZE; o + MMC_FTOC_SIZE <= len; o += MMC_FTOC_SIZE) {
		const uint8_t *e = b + o;
		unsigned s = e[MMC_FTOC_SESSION], point = e[MMC_FTOC_POINT];

		if ((e[MMC_FTOC_ADR_CTL] >> 4) != 1)
			continue; /* only ADR 1 points: tracks and A0h-A2h */
		if (s == 0 || s > MMC_AUDIO_TRACKS_MAX)
			return bfs_diag_set(diag, -EPROTO, "READ TOC format 2: session %u", s);
		if (point == MMC_FTOC_POINT_LEADOUT)
			leadout[s - 1] = mmc_msf_to_lba(e[MMC_FTOC_PMSF], e[MMC_FTOC_PMSF + 1],
							e[MMC_FTOC_PMSF + 2]);
		for (unsigned i = 0; point >= 1 && point <= 99 && i < toc->ntracks; i++)
			if (toc->tracks[i].number == point)
				toc->tracks[i].session = s;
	}
	for (unsigned i = 1; i < toc->ntracks; i++)
		if (toc->tracks[i].session < toc->tracks[i - 1].session)
			return bfs_diag_set(diag, -EPROTO,
					    "READ TOC format 2: track %u in session %u after %u",
					    toc->tracks[i].number, toc->tracks[i].session,
					    toc->tracks[i - 1].session);
	toc_lengths(toc, leadout, MMC_AUDIO_TRACKS_MAX);
	return 0;
}

/* READ TOC of format fmt (msf: MSF addresses) into b (n bytes); *ret_n the bytes received. */
static int read_toc(struct mmc_drive *d, uint8_t fmt, bool msf, uint8_t *b, size_t n,
		    struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_READ_TOC};

	cdb[MMC_TOC_CDB_MSF] = msf ? MMC_TOC_MSF : 0;
	cdb[MMC_TOC_CDB_FORMAT] = fmt;
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, (uint16_t)n);
	memset(b, 0, n);
	return mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, b, n, NULL, diag);
}

int mmc_read_toc(struct mmc_drive *d, struct mmc_toc *ret, struct bfs_diag *diag)
{
	enum { N = MMC_TOC_HEADER_SIZE + 256 * MMC_FTOC_SIZE }; /* 99 tracks, their sessions */
	_cleanup_free_ uint8_t *b = malloc(N);
	_cleanup_free_ struct mmc_toc *t = malloc(sizeof(*t));
	struct bfs_diag ignored = {0};
	int r;

	if (!b || !t)
		return -ENOMEM;
	r = read_toc(d, MMC_TOC_FORMAT_TOC, false, b, N, diag);
	if (r == 0)
		r = mmc_parse_toc0(b, N, t, diag);
	if (r < 0)
		return r;
	/* the session facts: a drive without formats 1 or 2 has one session */
	if (read_toc(d, MMC_TOC_FORMAT_SESSION, false, b, N, &ignored) == 0)
		(void)mmc_parse_toc1(b, N, t, &ignored);
	if (read_toc(d, MMC_TOC_FORMAT_FULL, true, b, N, &ignored) == 0) {
		r = mmc_parse_toc2(b, N, t, diag);
		if (r < 0)
			return r;
	}
	*ret = *t;
	return 0;
}

int mmc_read_cdtext(struct mmc_drive *d, uint8_t *packs, size_t cap, size_t *ret_n,
		    struct bfs_diag *diag)
{
	enum { N = MMC_TOC_HEADER_SIZE + MMC_CDTEXT_PACKS_MAX * MMC_CDTEXT_PACK };
	_cleanup_free_ uint8_t *b = malloc(N);
	struct mmc_sense s = {0};
	uint8_t cdb[MMC_CDB10_SIZE] = {
		[MMC_CDB_OPCODE] = MMC_OP_READ_TOC, [MMC_TOC_CDB_FORMAT] = MMC_TOC_FORMAT_CDTEXT};
	size_t len, k;
	int r;

	if (!b)
		return -ENOMEM;
	memset(b, 0, N);
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, N);
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, b, N, &s, diag);
	if (r < 0 && s.key == 0x05 && s.asc == 0x24) { /* no CD-Text on the disc */
		bfs_diag_clear(diag);
		*ret_n = 0;
		return 0;
	}
	if (r < 0)
		return r;
	len = toc_len(b, N);
	k = len < MMC_TOC_HEADER_SIZE ? 0 : (len - MMC_TOC_HEADER_SIZE) / MMC_CDTEXT_PACK;
	if (k > cap)
		return bfs_diag_set(diag, -ENOBUFS, "the disc has %zu CD-Text packs, room for %zu",
				    k, cap);
	memcpy(packs, b + MMC_TOC_HEADER_SIZE, k * MMC_CDTEXT_PACK);
	*ret_n = k;
	return 0;
}

/* ---- READ SUB-CHANNEL ----------------------------------------------------------------------- */

/* Format fmt (MCN, ISRC of track): the code into ret (len characters), "" when not valid. */
static int read_code(struct mmc_drive *d, uint8_t fmt, unsigned track, char *ret, size_t len,
		     struct bfs_diag *diag)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_READ_SUBCHANNEL,
					       [MMC_SUBCH_CDB_SUBQ] = MMC_SUBCH_SUBQ};
		uint8_t b[MMC_SUBCH_CODE_SIZE] = {0};
		int r;

		cdb[MMC_SUBCH_CDB_FORMAT] = fmt;
		cdb[MMC_SUBCH_CDB_TRACK] = (uint8_t)track;
		bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(b));
		r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, b, sizeof(b), NULL, diag);
		if (r < 0)
			return r;
		ret[0] = '\0';
		/* MCVal / TCVal; drives may say not valid at first (boot-audio.md 6) */
		if ((size_t)bfs_get_be16(b + MMC_SUBCH_LENGTH) + MMC_SUBCH_HEADER_SIZE >=
			    MMC_SUBCH_D_TEXT + len &&
		    (b[MMC_SUBCH_D_VALID] & 0x80)) {
			memcpy(ret, b + MMC_SUBCH_D_TEXT, len);
			ret[len] = '\0';
			if (fmt == MMC_SUBCH_MCN ? mmc_mcn_valid(ret) : mmc_isrc_valid(ret))
				return 0;
			return bfs_diag_set(diag, -EPROTO,
					    "READ SUB-CHANNEL: %s '%.*s' is malformed",
					    fmt == MMC_SUBCH_MCN ? "MCN" : "ISRC", (int)len, ret);
		}
	}
	return 0;
}

int mmc_read_mcn(struct mmc_drive *d, char ret[MMC_AUDIO_MCN_LEN + 1], struct bfs_diag *diag)
{
	return read_code(d, MMC_SUBCH_MCN, 0, ret, MMC_AUDIO_MCN_LEN, diag);
}

int mmc_read_isrc(struct mmc_drive *d, unsigned track, char ret[MMC_AUDIO_ISRC_LEN + 1],
		  struct bfs_diag *diag)
{
	return read_code(d, MMC_SUBCH_ISRC, track, ret, MMC_AUDIO_ISRC_LEN, diag);
}
