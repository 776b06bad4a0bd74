/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MMC layer's audio functions (mmc/audio.h): the cue sheet of boot-audio.md's
 * hand-built example byte for byte, the CD-Text CRC's published vector, the layout's
 * checks, the TOC parsers on replies that contradict themselves; and whole burns onto the
 * virtual drive (vdrive:DIR): SAO with pregaps, an index point, ISRC, MCN and CD-Text, TAO
 * with its 2-second pregaps, each read back after the drive was closed and opened again
 * (READ TOC formats 0/1/2/5, READ SUB-CHANNEL, READ CD) sample for sample.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/diag.h"
#include "mmc/audio.h"
#include "mmc/mmc.h"
#include "vdrive/vdrive.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	setenv("BURNFS_VDRIVE_LONGOP_MS", "0", 1);
	snprintf(dir, sizeof(dir), "/tmp/burnfs-audio.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A new CD-R in DIR/name, opened through the MMC layer. */
static struct mmc_drive *new_cd(const char *name, char *addr, size_t n)
{
	struct bfs_diag diag = {0};
	struct mmc_drive *d = NULL;
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(vdrive_create(p, "cd-r", 60000), 0);
	snprintf(addr, n, "vdrive:%s", p);
	assert_int_equal(mmc_drive_open(addr, &diag, &d), 0);
	return d;
}

static struct mmc_drive *reopen(struct mmc_drive *d, const char *addr)
{
	struct bfs_diag diag = {0};

	mmc_drive_close(d);
	d = NULL;
	assert_int_equal(mmc_drive_open(addr, &diag, &d), 0);
	return d;
}

/* Audio of block b: a pattern that never ends a block in 7Fh (cdparanoia's probe). */
static void fill(uint8_t *p, int32_t b, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		for (unsigned i = 0; i < MMC_AUDIO_BLOCK; i++)
			p[(size_t)k * MMC_AUDIO_BLOCK + i] =
				(uint8_t)((uint32_t)(b + (int32_t)k) * 7 + i * 13 + 1) & 0x7E;
}

/* r must be 0; else the diagnostics say why */
static void ok(int r, struct bfs_diag *diag)
{
	if (r != 0)
		print_error("%s\n", bfs_diag_msg(diag, r));
	assert_int_equal(r, 0);
	bfs_diag_clear(diag);
}

/* ---- pure functions ------------------------------------------------------------------------ */

/* boot-audio.md 4: t1 LBA 0-299, t2 INDEX 00/01/02 at 300/375/600 with DCP and PRE, the
 * lead-out at 825, MCN and ISRC entries, the lead-in carrying CD-Text */
static void test_cue_sheet_example(void **state)
{
	static const uint8_t want[][8] = {
		{0x02, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36},
		{0x02, 0x37, 0x38, 0x39, 0x30, 0x31, 0x32, 0x00},
		{0x01, 0x00, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00},
		{0x03, 0x01, 0x55, 0x53, 0x41, 0x42, 0x43, 0x32},
		{0x03, 0x01, 0x34, 0x30, 0x30, 0x30, 0x30, 0x31},
		{0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
		{0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00},
		{0x33, 0x02, 0x55, 0x53, 0x41, 0x42, 0x43, 0x32},
		{0x33, 0x02, 0x34, 0x30, 0x30, 0x30, 0x30, 0x32},
		{0x31, 0x02, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00},
		{0x31, 0x02, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00},
		{0x31, 0x02, 0x02, 0x00, 0x00, 0x00, 0x0A, 0x00},
		{0x01, 0xAA, 0x01, 0x01, 0x00, 0x00, 0x0D, 0x00},
	};
	struct mmc_audio_layout *l = calloc(1, sizeof(*l));
	struct bfs_diag diag = {0};
	uint8_t b[512];
	size_t n = 0;

	(void)state;
	assert_non_null(l);
	l->first = 1, l->ntracks = 2, l->cdtext = true;
	strcpy(l->mcn, "0123456789012");
	l->tracks[0] = (struct mmc_audio_track){.pregap = 150, .length = 300};
	strcpy(l->tracks[0].isrc, "USABC2400001");
	l->tracks[1] =
		(struct mmc_audio_track){.ctl = MMC_AUDIO_CTL_PREEMPHASIS | MMC_AUDIO_CTL_COPY,
					 .pregap = 75,
					 .length = 450,
					 .nindex = 1,
					 .index = {225}};
	strcpy(l->tracks[1].isrc, "USABC2400002");
	ok(mmc_audio_cue_sheet(l, b, sizeof(b), &n, &diag), &diag);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(mmc_audio_layout_blocks(l), 975);
	assert_int_equal(mmc_audio_layout_start(l, 0), 0);
	assert_int_equal(mmc_audio_layout_start(l, 1), 375);
	assert_int_equal(mmc_audio_layout_start(l, 2), 825);
	/* too small a buffer; a second track under 4 s; an index past its track */
	assert_int_equal(mmc_audio_cue_sheet(l, b, 64, &n, &diag), -ENOBUFS);
	l->tracks[1].length = 200;
	bfs_diag_clear(&diag);
	assert_int_equal(mmc_audio_cue_sheet(l, b, sizeof(b), &n, &diag), -EINVAL);
	assert_non_null(strstr(bfs_diag_msg(&diag, -EINVAL), "track 2"));
	l->tracks[1].length = 450, l->tracks[1].index[0] = 450;
	assert_int_equal(mmc_audio_cue_sheet(l, b, sizeof(b), &n, &diag), -EINVAL);
	l->tracks[1].index[0] = 225, l->tracks[0].pregap = 100;
	assert_int_equal(mmc_audio_cue_sheet(l, b, sizeof(b), &n, &diag), -EINVAL);
	l->tracks[0].pregap = 150;
	strcpy(l->tracks[0].isrc, "us-bc2400001");
	assert_int_equal(mmc_audio_cue_sheet(l, b, sizeof(b), &n, &diag), -EINVAL);
	free(l);
}

static void test_pure(void **state)
{
	/* the CD-Text CRC's published vector (boot-audio.md 5) */
	uint8_t pack[18] = {0x8F, 0x00, 0x2A, 0x00, 0x01, 0x01, 0x03, 0x00,
			    0x06, 0x05, 0x04, 0x05, 0x07, 0x06, 0x01, 0x02};
	uint8_t msf[3];
	char t[9];

	(void)state;
	mmc_cdtext_pack_seal(pack);
	assert_int_equal(pack[16], 0x48);
	assert_int_equal(pack[17], 0x65);
	mmc_lba_to_msf(0, msf);
	assert_memory_equal(msf, ((uint8_t[]){0, 2, 0}), 3);
	mmc_lba_to_msf(-11635, msf);
	assert_memory_equal(msf, ((uint8_t[]){97, 26, 65}), 3);
	assert_int_equal(mmc_msf_to_lba(97, 26, 65), -11635);
	assert_int_equal(mmc_msf_to_lba(0, 0, 0), -150);
	assert_string_equal(mmc_audio_time(4500 * 3 + 75 * 7 + 12, t), "03:07:12");
	assert_true(mmc_isrc_valid("GBAYE6700001"));
	assert_false(mmc_isrc_valid("GBAYE67000A1"));
	assert_false(mmc_isrc_valid("GBAYE670001"));
	assert_true(mmc_mcn_valid("0123456789012"));
	assert_false(mmc_mcn_valid("012345678901X"));
}

/* Replies that contradict themselves: -EPROTO, never a TOC */
static void test_toc_parsers(void **state)
{
	uint8_t b[4 + 3 * 8] = {0x00, 0x1A, 1, 2};
	struct mmc_toc *t = calloc(1, sizeof(*t));
	struct bfs_diag diag = {0};

	(void)state;
	assert_non_null(t);
	/* tracks 1 at 0 and 2 at 500, lead-out at 900 */
	b[4 + 1] = 0x10, b[4 + 2] = 1;
	b[12 + 1] = 0x12, b[12 + 2] = 2, bfs_put_be32(b + 12 + 4, 500);
	b[20 + 1] = 0x10, b[20 + 2] = 0xAA, bfs_put_be32(b + 20 + 4, 900);
	ok(mmc_parse_toc0(b, sizeof(b), t, &diag), &diag);
	assert_int_equal(t->ntracks, 2);
	assert_int_equal(t->tracks[0].length, 500);
	assert_int_equal(t->tracks[1].length, 400);
	assert_int_equal(t->tracks[1].ctl, MMC_AUDIO_CTL_COPY);
	assert_int_equal(t->leadout, 900);
	/* a second track before the first, a lead-out before a track, a cut reply */
	bfs_put_be32(b + 12 + 4, (uint32_t)-5);
	assert_int_equal(mmc_parse_toc0(b, sizeof(b), t, &diag), -EPROTO);
	bfs_put_be32(b + 12 + 4, 500), bfs_put_be32(b + 20 + 4, 400);
	assert_int_equal(mmc_parse_toc0(b, sizeof(b), t, &diag), -EPROTO);
	assert_int_equal(mmc_parse_toc0(b, 6, t, &diag), -EPROTO);
	b[20 + 2] = 3; /* no lead-out at all */
	bfs_put_be32(b + 20 + 4, 900);
	assert_int_equal(mmc_parse_toc0(b, sizeof(b), t, &diag), -EPROTO);
	/* an address on no CD (fuzz-mmc: its length overflowed); a hidden track's pregap is one */
	b[20 + 2] = 0xAA;
	bfs_put_be32(b + 4 + 4, 0x80000000u);
	diag = (struct bfs_diag){0};
	assert_int_equal(mmc_parse_toc0(b, sizeof(b), t, &diag), -EPROTO);
	assert_non_null(strstr(diag.msg, "on no CD"));
	bfs_put_be32(b + 4 + 4, (uint32_t)-150);
	ok(mmc_parse_toc0(b, sizeof(b), t, &diag), &diag);
	assert_int_equal(t->tracks[0].length, 650);
	free(t);
}

/* ---- burns onto the virtual drive ------------------------------------------------------------ */

/* The CD-Text of the SAO test: album title, two track titles, sealed. */
static size_t cdtext(uint8_t *packs)
{
	static const char text[] = "Album\0One\0Two\0";
	size_t n = 0;

	for (unsigned k = 0; k * 12 < sizeof(text) - 1; k++, n++) {
		uint8_t *p = packs + n * 18;

		memset(p, 0, 18);
		p[0] = 0x80, p[1] = 0, p[2] = (uint8_t)n, p[3] = 0;
		memcpy(p + 4, text + k * 12, BFS_MIN(12, sizeof(text) - 1 - k * 12));
		mmc_cdtext_pack_seal(p);
	}
	return n;
}

static void write_layout(struct mmc_drive *d, const struct mmc_audio_layout *l, uint8_t *buf)
{
	struct bfs_diag diag = {0};
	int32_t lba = -150, end = -150 + (int32_t)mmc_audio_layout_blocks(l);

	while (lba < end) {
		uint32_t n = (uint32_t)BFS_MIN(end - lba, 100);

		fill(buf, lba, n);
		ok(mmc_audio_write(d, lba, n, buf, &diag), &diag);
		lba += (int32_t)n;
	}
}

/* Every audio block of [from, to) reads back as written. */
static void check_audio(struct mmc_drive *d, int32_t from, int32_t to, uint8_t *buf, uint8_t *want)
{
	struct bfs_diag diag = {0};

	for (int32_t lba = from; lba < to;) {
		uint32_t n = (uint32_t)BFS_MIN(to - lba, 100);

		ok(mmc_audio_read(d, lba, n, buf, &diag), &diag);
		fill(want, lba, n);
		assert_memory_equal(buf, want, (size_t)n * MMC_AUDIO_BLOCK);
		lba += (int32_t)n;
	}
}

static void test_sao(void **state)
{
	struct mmc_audio_layout *l = calloc(1, sizeof(*l));
	struct mmc_toc *toc = calloc(1, sizeof(*toc));
	uint8_t *buf = malloc(100 * MMC_AUDIO_BLOCK), *want = malloc(100 * MMC_AUDIO_BLOCK);
	uint8_t packs[8 * 18], got[16 * 18];
	struct bfs_diag diag = {0};
	char addr[160], code[16];
	struct mmc_drive *d = new_cd("sao", addr, sizeof(addr));
	size_t np = cdtext(packs), ngot = 0;

	(void)state;
	assert_true(l && toc && buf && want);
	/* a 3 s first pregap (a second of hidden audio), a 1 s pregap, a gapless third */
	l->first = 1, l->ntracks = 3, l->cdtext = true;
	strcpy(l->mcn, "4006381333931");
	l->tracks[0] = (struct mmc_audio_track){.pregap = 225, .length = 400};
	strcpy(l->tracks[0].isrc, "DEA123456789");
	l->tracks[1] = (struct mmc_audio_track){.ctl = MMC_AUDIO_CTL_COPY,
						.pregap = 75,
						.length = 330,
						.nindex = 1,
						.index = {100}};
	l->tracks[2] = (struct mmc_audio_track){.pregap = 0, .length = 310};
	ok(mmc_audio_set_sao(d, false, false, &diag), &diag);
	ok(mmc_audio_send_cue_sheet(d, l, &diag), &diag);
	ok(mmc_audio_write_leadin(d, packs, np, &diag), &diag);
	write_layout(d, l, buf);
	ok(mmc_sync_cache(d, &diag), &diag);
	d = reopen(d, addr);

	ok(mmc_read_toc(d, toc, &diag), &diag);
	assert_int_equal(toc->ntracks, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(toc->tracks[i].number, i + 1);
		assert_int_equal(toc->tracks[i].start, mmc_audio_layout_start(l, i));
		assert_int_equal(toc->tracks[i].session, 1);
		assert_int_equal(toc->tracks[i].ctl, l->tracks[i].ctl);
	}
	assert_int_equal(toc->tracks[0].length, 75 + 400); /* up to track 2's INDEX 01 */
	assert_int_equal(toc->leadout, mmc_audio_layout_start(l, 3));
	assert_int_equal(toc->tracks[2].length, 310);
	ok(mmc_read_mcn(d, code, &diag), &diag);
	assert_string_equal(code, "4006381333931");
	ok(mmc_read_isrc(d, 1, code, &diag), &diag);
	assert_string_equal(code, "DEA123456789");
	ok(mmc_read_isrc(d, 2, code, &diag), &diag);
	assert_string_equal(code, "");
	ok(mmc_read_cdtext(d, got, 16, &ngot, &diag), &diag);
	assert_int_equal(ngot, np);
	assert_memory_equal(got, packs, np * 18);
	/* every block from the hidden audio of the first pregap to the lead-out */
	check_audio(d, -150, mmc_audio_layout_start(l, 3), buf, want);
	mmc_drive_close(d);
	free(l), free(toc), free(buf), free(want);
}

/* Mode 1 data of block b (2048 bytes a block) */
static void fill_data(uint8_t *p, int32_t b, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		for (unsigned i = 0; i < MMC_DATA_BLOCK; i++)
			p[(size_t)k * MMC_DATA_BLOCK + i] =
				(uint8_t)((uint32_t)(b + (int32_t)k) * 5 + i * 3 + 2);
}

/*
 * A mixed-mode CD, SAO: data track 1 (CONTROL 4, Mode 1, 2048-byte blocks from -150), audio
 * track 2 after a 2-s pregap. The TOC gives the data track's CONTROL, READ(10) its blocks,
 * READ CD the audio; the cue sheet rules (data only as track 1, 2 s after it), and a WRITE
 * crossing from the data track into the audio is refused.
 */
static void test_sao_mixed(void **state)
{
	struct mmc_audio_layout *l = calloc(1, sizeof(*l));
	struct mmc_toc *toc = calloc(1, sizeof(*toc));
	uint8_t *buf = malloc(100 * MMC_AUDIO_BLOCK), *want = malloc(100 * MMC_AUDIO_BLOCK);
	struct bfs_diag diag = {0};
	char addr[160];
	struct mmc_drive *d = new_cd("mixed", addr, sizeof(addr));
	uint8_t cue[256];
	size_t n;

	(void)state;
	assert_true(l && toc && buf && want);
	l->first = 1, l->ntracks = 2;
	l->tracks[0] =
		(struct mmc_audio_track){.ctl = MMC_AUDIO_CTL_DATA, .pregap = 150, .length = 320};
	l->tracks[1] = (struct mmc_audio_track){.pregap = 149, .length = 300};
	assert_int_equal(mmc_audio_cue_sheet(l, cue, sizeof(cue), &n, &diag), -EINVAL);
	assert_non_null(strstr(bfs_diag_msg(&diag, -EINVAL), "after the data track"));
	bfs_diag_clear(&diag);
	l->tracks[1].pregap = 150;
	ok(mmc_audio_cue_sheet(l, cue, sizeof(cue), &n, &diag), &diag);
	assert_memory_equal(cue, "\x41\x00\x00\x14\x00\x00\x00\x00", 8); /* lead-in */
	assert_memory_equal(cue + 8, "\x41\x01\x00\x10\x00\x00\x00\x00", 8);
	assert_memory_equal(cue + 16, "\x41\x01\x01\x10\x00\x00\x02\x00", 8);
	assert_memory_equal(cue + 24, "\x01\x02\x00\x00\x00\x00\x06\x14", 8); /* 320 */

	ok(mmc_audio_set_sao(d, false, false, &diag), &diag);
	ok(mmc_audio_send_cue_sheet(d, l, &diag), &diag);
	for (int32_t b = -150; b < 320; b += 94) {
		fill_data(buf, b, (uint32_t)BFS_MIN(94, 320 - b));
		ok(mmc_audio_write_data(d, b, (uint32_t)BFS_MIN(94, 320 - b), buf, &diag), &diag);
	}
	/* the audio is 2352-byte blocks: one WRITE of data past the data track is refused */
	fill(buf, 320, 100);
	assert_int_not_equal(mmc_audio_write_data(d, 320, 1, buf, &diag), 0);
	bfs_diag_clear(&diag);
	for (int32_t b = 320; b < 770; b += 90) {
		fill(buf, b, 90);
		ok(mmc_audio_write(d, b, 90, buf, &diag), &diag);
	}
	ok(mmc_sync_cache(d, &diag), &diag);
	d = reopen(d, addr);

	ok(mmc_read_toc(d, toc, &diag), &diag);
	assert_int_equal(toc->ntracks, 2);
	assert_true(toc->tracks[0].ctl & MMC_AUDIO_CTL_DATA);
	assert_int_equal(toc->tracks[0].start, 0);
	assert_false(toc->tracks[1].ctl & MMC_AUDIO_CTL_DATA);
	assert_int_equal(toc->tracks[1].start, 470);
	assert_int_equal(toc->leadout, 770);
	for (uint32_t b = 0; b < 320; b += 64) {
		ok(mmc_read(d, b, 64, buf, false, &diag), &diag);
		fill_data(want, (int32_t)b, 64);
		assert_memory_equal(buf, want, 64 * MMC_DATA_BLOCK);
	}
	check_audio(d, 320, 770, buf, want);
	/* audio reads of the data track, data reads of the audio: the drive says no */
	assert_int_not_equal(mmc_audio_read(d, 10, 1, buf, &diag), 0);
	bfs_diag_clear(&diag);
	assert_int_not_equal(mmc_read(d, 500, 1, buf, false, &diag), 0);
	bfs_diag_clear(&diag);
	mmc_drive_close(d);
	free(l), free(toc), free(buf), free(want);
}

static void test_tao(void **state)
{
	struct mmc_toc *toc = calloc(1, sizeof(*toc));
	uint8_t *buf = malloc(100 * MMC_AUDIO_BLOCK), *want = malloc(100 * MMC_AUDIO_BLOCK);
	struct bfs_diag diag = {0};
	char addr[160], code[16];
	struct mmc_drive *d = new_cd("tao", addr, sizeof(addr));
	static const uint32_t len[2] = {320, 450};
	int32_t start[2];
	size_t ngot = 9;

	(void)state;
	assert_true(toc && buf && want);
	for (unsigned i = 0; i < 2; i++) {
		struct mmc_audio_tao p = {.ctl = i ? MMC_AUDIO_CTL_PREEMPHASIS : 0};
		struct mmc_media m;

		if (i == 0)
			strcpy(p.isrc, "FRZ039800212"), strcpy(p.mcn, "0000000000017");
		ok(mmc_audio_set_tao(d, &p, &diag), &diag);
		ok(mmc_media_probe(d, &m, &diag), &diag);
		assert_true(m.nwa_valid);
		start[i] = (int32_t)m.nwa;
		for (uint32_t o = 0; o < len[i]; o += 100) {
			uint32_t n = BFS_MIN(len[i] - o, 100u);

			fill(buf, start[i] + (int32_t)o, n);
			assert_int_equal(mmc_audio_write(d, start[i] + (int32_t)o, n, buf, &diag),
					 0);
		}
		ok(mmc_sync_cache(d, &diag), &diag);
		ok(mmc_audio_close_track(d, &diag), &diag);
	}
	ok(mmc_audio_close_session(d, &diag), &diag);
	/* the drive laid down 2 s of pregap before the second track */
	assert_int_equal(start[0], 0);
	assert_int_equal(start[1], 320 + 150);
	d = reopen(d, addr);
	ok(mmc_read_toc(d, toc, &diag), &diag);
	assert_int_equal(toc->ntracks, 2);
	assert_int_equal(toc->tracks[1].start, start[1]);
	assert_int_equal(toc->tracks[1].ctl, MMC_AUDIO_CTL_PREEMPHASIS);
	assert_int_equal(toc->tracks[0].length, 320 + 150);
	assert_int_equal(toc->leadout, start[1] + 450);
	ok(mmc_read_isrc(d, 1, code, &diag), &diag);
	assert_string_equal(code, "FRZ039800212");
	ok(mmc_read_mcn(d, code, &diag), &diag);
	assert_string_equal(code, "0000000000017");
	ok(mmc_read_cdtext(d, buf, 16, &ngot, &diag), &diag);
	assert_int_equal(ngot, 0);
	check_audio(d, 0, 320, buf, want);
	check_audio(d, start[1], start[1] + 450, buf, want);
	/* the pregap the drive wrote is digital silence */
	for (int32_t lba = 320; lba < start[1]; lba += 50) {
		ok(mmc_audio_read(d, lba, 50, buf, &diag), &diag);
		memset(want, 0, 50 * MMC_AUDIO_BLOCK);
		assert_memory_equal(buf, want, 50 * MMC_AUDIO_BLOCK);
	}
	mmc_drive_close(d);
	free(toc), free(buf), free(want);
}

/* --simulate: TAO and SAO with Test Write go through every step and record nothing */
static void test_simulate(void **state)
{
	struct mmc_audio_layout *l = calloc(1, sizeof(*l));
	uint8_t *buf = malloc(100 * MMC_AUDIO_BLOCK), packs[8 * 18];
	struct bfs_diag diag = {0};
	char addr[160];
	struct mmc_drive *d = new_cd("sim", addr, sizeof(addr));
	struct mmc_media m;

	(void)state;
	assert_true(l && buf);
	for (unsigned i = 0; i < 2; i++) {
		struct mmc_audio_tao p = {.test = true};

		ok(mmc_audio_set_tao(d, &p, &diag), &diag);
		ok(mmc_media_probe(d, &m, &diag), &diag);
		for (uint32_t o = 0; o < 300; o += 100) {
			fill(buf, (int32_t)(m.nwa + o), 100);
			ok(mmc_audio_write(d, (int32_t)(m.nwa + o), 100, buf, &diag), &diag);
		}
		ok(mmc_sync_cache(d, &diag), &diag);
		ok(mmc_audio_close_track(d, &diag), &diag);
	}
	ok(mmc_audio_close_session(d, &diag), &diag);
	ok(mmc_media_probe(d, &m, &diag), &diag);
	assert_int_equal(m.status, MMC_DISC_BLANK);
	l->first = 1, l->ntracks = 1, l->cdtext = true;
	l->tracks[0] = (struct mmc_audio_track){.pregap = 150, .length = 300};
	ok(mmc_audio_set_sao(d, true, false, &diag), &diag);
	ok(mmc_audio_send_cue_sheet(d, l, &diag), &diag);
	ok(mmc_audio_write_leadin(d, packs, cdtext(packs), &diag), &diag);
	write_layout(d, l, buf);
	ok(mmc_sync_cache(d, &diag), &diag);
	ok(mmc_media_probe(d, &m, &diag), &diag);
	assert_int_equal(m.status, MMC_DISC_BLANK);
	mmc_drive_close(d);
	free(l), free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cue_sheet_example), cmocka_unit_test(test_pure),
		cmocka_unit_test(test_toc_parsers),	  cmocka_unit_test(test_sao),
		cmocka_unit_test(test_sao_mixed),	  cmocka_unit_test(test_tao),
		cmocka_unit_test(test_simulate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
