/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audio track plan and its MMC cue sheet: the hand-built album of the reference
 * (boot-audio.md §4: MCN, ISRC, CD-Text lead-in, INDEX 00/01/02, lead-out) byte for byte;
 * a hidden track before track 1's INDEX 01; EAC's gaps appended to the previous file with
 * a file not a whole number of sectors; PREGAP/POSTGAP silence; the 4-second minimum, an
 * index past its file and the capacity check naming mm:ss:ff.
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

#include "common/diag.h"
#include "engine/audio.h"

#define MAX_SRCS 4

struct fx {
	char dir[32];
	struct eng_audio_src *srcs[MAX_SRCS];
	size_t nsrcs;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test-alayout.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char cmd[64];

	for (size_t i = 0; i < f->nsrcs; i++)
		eng_audio_src_free(f->srcs[i]);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	(void)!system(cmd);
	free(f);
	return 0;
}

/* A raw CD-DA file of `frames` stereo frames, opened as a source. */
static void add_bin(struct fx *f, const char *name, uint64_t frames)
{
	char path[64];
	struct bfs_diag d = {0};
	FILE *fp;

	(void)snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (uint64_t i = 0; i < frames; i++) {
		uint8_t s[4] = {(uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16), 1};

		assert_int_equal(fwrite(s, 4, 1, fp), 1);
	}
	fclose(fp);
	assert_true(f->nsrcs < MAX_SRCS);
	assert_int_equal(eng_audio_src_open(path, ENG_CUE_BINARY, &f->srcs[f->nsrcs++], &d), 0);
}

static struct eng_cue_sheet *sheet(const char *text)
{
	struct eng_cue_sheet *s = NULL;
	struct bfs_diag d = {0};

	assert_int_equal(eng_cue_parse(text, strlen(text), "t.cue", &s, &d), 0);
	return s;
}

static int plan(struct fx *f, const char *text, struct eng_audio_plan **p, struct bfs_diag *d)
{
	_cleanup_(eng_cue_freep) struct eng_cue_sheet *s = sheet(text);
	int r = eng_audio_plan_cue(s, f->srcs, p, d);

	if (r < 0)
		print_message("plan: %s\n", d->msg);
	return r;
}

static void test_alayout_reference_album(void **state)
{
	static const uint8_t want[] = {
		0x02, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, /* MCN "0123456" */
		0x02, 0x37, 0x38, 0x39, 0x30, 0x31, 0x32, 0x00, /* MCN "789012" */
		0x01, 0x00, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, /* lead-in with CD-Text */
		0x03, 0x01, 0x55, 0x53, 0x41, 0x42, 0x43, 0x32, /* ISRC t1 "USABC2" */
		0x03, 0x01, 0x34, 0x30, 0x30, 0x30, 0x30, 0x31, /* ISRC t1 "400001" */
		0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* t1 idx0 00:00:00 */
		0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, /* t1 idx1 LBA 0 */
		0x33, 0x02, 0x55, 0x53, 0x41, 0x42, 0x43, 0x32, /* ISRC t2, DCP+PRE */
		0x33, 0x02, 0x34, 0x30, 0x30, 0x30, 0x30, 0x32,
		0x31, 0x02, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, /* t2 idx0 LBA 300 */
		0x31, 0x02, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, /* t2 idx1 LBA 375 */
		0x31, 0x02, 0x02, 0x00, 0x00, 0x00, 0x0A, 0x00, /* t2 idx2 LBA 600 */
		0x01, 0xAA, 0x01, 0x01, 0x00, 0x00, 0x0D, 0x00, /* lead-out LBA 825 */
	};
	struct fx *f = *state;
	_cleanup_(eng_audio_plan_freep) struct eng_audio_plan *p = NULL;
	struct bfs_diag d = {0};
	_cleanup_free_ uint8_t *cue = NULL;
	size_t len = 0;

	add_bin(f, "a.bin", 825 * ENG_CD_SAMPLES);
	assert_int_equal(
		plan(f,
		     "CATALOG 0123456789012\nFILE a.bin BINARY\nTRACK 01 AUDIO\n"
		     "ISRC USABC2400001\nINDEX 01 00:00:00\nTRACK 02 AUDIO\nFLAGS DCP PRE\n"
		     "ISRC USABC2400002\nINDEX 00 00:04:00\nINDEX 01 00:05:00\n"
		     "INDEX 02 00:08:00\n",
		     &p, &d),
		0);
	assert_int_equal(p->ntracks, 2);
	assert_int_equal(p->tracks[0].pregap_lba, -150);
	assert_int_equal(p->tracks[0].start, 0);
	assert_int_equal(p->tracks[0].length, 300);
	assert_int_equal(p->tracks[1].pregap_lba, 300);
	assert_int_equal(p->tracks[1].start, 375);
	assert_int_equal(p->tracks[1].index[0], 600);
	assert_int_equal(p->leadout, 825);
	/* silence, then the file in one piece per index point */
	assert_int_equal(p->nruns, 5);
	assert_null(p->runs[0].src);
	assert_int_equal(p->runs[0].frames, 150 * ENG_CD_SAMPLES);
	assert_ptr_equal(p->runs[2].src, f->srcs[0]);
	assert_int_equal(p->runs[2].first, 300 * ENG_CD_SAMPLES);
	assert_int_equal(p->tracks[1].first_run, 2);
	assert_int_equal(p->tracks[1].nruns, 3);

	assert_int_equal(eng_audio_cue_sheet(p, true, &cue, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(cue, want, sizeof(want));
	free(TAKE_PTR(cue));
	/* without CD-Text the lead-in is drive-generated (01h) */
	assert_int_equal(eng_audio_cue_sheet(p, false, &cue, &len), 0);
	assert_int_equal(cue[16 + 3], 0x01);

	assert_int_equal(eng_audio_plan_check(p, 825, &d), 0);
	assert_int_equal(eng_audio_plan_check(p, 800, &d), -ENOSPC);
	assert_string_equal(d.msg, "the album is 00:11:00 long, the disc holds 00:10:50");
}

/* INDEX 00 of track 1 holds 30 s of audio: the hidden track; a short one gets silence */
static void test_alayout_hidden_track(void **state)
{
	struct fx *f = *state;
	struct eng_audio_plan *p = NULL;
	struct bfs_diag d = {0};

	add_bin(f, "h.bin", 3000 * ENG_CD_SAMPLES);
	assert_int_equal(plan(f,
			      "FILE h.bin BINARY\nTRACK 01 AUDIO\nINDEX 00 00:00:00\n"
			      "INDEX 01 00:30:00\n",
			      &p, &d),
			 0);
	assert_int_equal(p->tracks[0].pregap_lba, -150);
	assert_int_equal(p->tracks[0].start, 2250 - 150);
	assert_int_equal(p->leadout, 3000 - 150);
	assert_ptr_equal(p->runs[0].src, f->srcs[0]);
	p = eng_audio_plan_free(p);

	assert_int_equal(plan(f,
			      "FILE h.bin BINARY\nTRACK 01 AUDIO\nINDEX 00 00:00:01\n"
			      "INDEX 01 00:01:00\n",
			      &p, &d),
			 0);
	assert_int_equal(p->tracks[0].start, 0);
	assert_null(p->runs[0].src);
	assert_int_equal(p->runs[0].frames, 76 * ENG_CD_SAMPLES);
	assert_int_equal(p->runs[1].first, 1 * ENG_CD_SAMPLES);
	assert_int_equal(p->leadout, 3000 - 75);
	eng_audio_plan_free(p);
}

/* EAC: track 2's INDEX 00 at the end of file 1, INDEX 01 at the start of file 2 */
static void test_alayout_gaps_appended(void **state)
{
	struct fx *f = *state;
	_cleanup_(eng_audio_plan_freep) struct eng_audio_plan *p = NULL;
	struct bfs_diag d = {0};

	add_bin(f, "1.bin", 600 * ENG_CD_SAMPLES);
	add_bin(f, "2.bin", 400 * ENG_CD_SAMPLES + 100);
	assert_int_equal(plan(f,
			      "FILE 1.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n"
			      "TRACK 02 AUDIO\nINDEX 00 00:06:00\nFILE 2.bin BINARY\n"
			      "INDEX 01 00:00:00\nPOSTGAP 00:01:00\n",
			      &p, &d),
			 0);
	assert_int_equal(p->tracks[0].length, 450);
	assert_int_equal(p->tracks[1].pregap_lba, 450);
	assert_int_equal(p->tracks[1].start, 600);
	/* the half-filled last sector of 2.bin is padded; then the POSTGAP's silence */
	assert_int_equal(p->tracks[1].length, 401 + 75);
	assert_int_equal(p->leadout, 600 + 401 + 75);
	assert_int_equal(p->nruns, 5);
	assert_int_equal(p->runs[2].first, 450 * ENG_CD_SAMPLES);
	assert_int_equal(p->runs[2].frames, 150 * ENG_CD_SAMPLES);
	assert_ptr_equal(p->runs[3].src, f->srcs[1]);
	assert_int_equal(p->runs[3].frames, 401 * ENG_CD_SAMPLES);
	assert_null(p->runs[4].src);
}

/* PREGAP: generated silence counted as the track's INDEX 00 */
static void test_alayout_pregap(void **state)
{
	struct fx *f = *state;
	_cleanup_(eng_audio_plan_freep) struct eng_audio_plan *p = NULL;
	_cleanup_free_ uint8_t *cue = NULL;
	struct bfs_diag d = {0};
	size_t len;

	add_bin(f, "1.bin", 600 * ENG_CD_SAMPLES);
	add_bin(f, "2.bin", 300 * ENG_CD_SAMPLES);
	assert_int_equal(plan(f,
			      "FILE 1.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n"
			      "FILE 2.bin BINARY\nTRACK 02 AUDIO\nPREGAP 00:03:00\n"
			      "INDEX 01 00:00:00\n",
			      &p, &d),
			 0);
	assert_int_equal(p->tracks[1].pregap_lba, 600);
	assert_int_equal(p->tracks[1].start, 825);
	assert_int_equal(p->leadout, 1125);
	assert_int_equal(eng_audio_cue_sheet(p, false, &cue, &len), 0);
	/* lead-in, t1 idx 0 and 1, t2 idx 0 and 1, lead-out: no MCN, no ISRC */
	assert_int_equal(len, 6 * 8);
	assert_memory_equal(cue + 24, "\x01\x02\x00\x00\x00\x00\x0A\x00", 8);
	assert_memory_equal(cue + 32, "\x01\x02\x01\x00\x00\x00\x0D\x00", 8);
}

/*
 * A mixed-mode CD: data track 01 (an "ISO" of 310 blocks: 512 frames a block) from LBA 0
 * and its 150-block post-gap, the audio after it with the 2 s a change of mode needs, though
 * the sheet gives none; the cue sheet's data entries (CTL 4, form 10h, the lead-in 14h); a
 * small image padded to 4 s.
 */
static void test_alayout_mixed(void **state)
{
	static const uint8_t want[] = {
		0x41, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, /* lead-in: Mode 1 zeros */
		0x41, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, /* t1 idx0 LBA -150, Mode 1 */
		0x41, 0x01, 0x01, 0x10, 0x00, 0x00, 0x02, 0x00, /* t1 idx1 LBA 0 */
		0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x08, 0x0A, /* t2 idx0 LBA 460, audio */
		0x01, 0x02, 0x01, 0x00, 0x00, 0x00, 0x0A, 0x0A, /* t2 idx1 LBA 610 */
		0x01, 0xAA, 0x01, 0x01, 0x00, 0x00, 0x0F, 0x23, /* lead-out LBA 1010 */
	};
	struct fx *f = *state;
	_cleanup_(eng_audio_plan_freep) struct eng_audio_plan *p = NULL;
	_cleanup_free_ uint8_t *cue = NULL;
	struct bfs_diag d = {0};
	size_t len = 0;

	add_bin(f, "d.iso", 310 * 512);
	add_bin(f, "a.bin", 400 * ENG_CD_SAMPLES);
	add_bin(f, "s.iso", 200 * 512);
	assert_int_equal(plan(f,
			      "FILE d.iso BINARY\nTRACK 01 MODE1/2048\nINDEX 01 00:00:00\n"
			      "FILE a.bin BINARY\nTRACK 02 AUDIO\nINDEX 01 00:00:00\n",
			      &p, &d),
			 0);
	assert_ptr_equal(p->data, f->srcs[0]);
	assert_int_equal(p->data_blocks, 310 + 150); /* its post-gap: zeros */
	assert_int_equal(p->tracks[0].ctl, ENG_CD_CTL_DATA);
	assert_int_equal(p->tracks[0].pregap_lba, -150);
	assert_int_equal(p->tracks[0].start, 0);
	assert_int_equal(p->tracks[0].length, 460);
	assert_int_equal(p->tracks[0].nruns, 0);
	assert_int_equal(p->tracks[1].pregap_lba, 460);
	assert_int_equal(p->tracks[1].start, 610);
	assert_int_equal(p->leadout, 1010);
	/* the runs are the audio's only: 2 s of silence, then the file */
	assert_int_equal(p->nruns, 2);
	assert_null(p->runs[0].src);
	assert_int_equal(p->runs[0].frames, 150 * ENG_CD_SAMPLES);
	assert_int_equal(eng_audio_cue_sheet(p, false, &cue, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(cue, want, sizeof(want));
	free(TAKE_PTR(cue));
	/* with CD-Text the data lead-in carries R-W: 54h */
	assert_int_equal(eng_audio_cue_sheet(p, true, &cue, &len), 0);
	assert_int_equal(cue[3], 0x54);
	eng_audio_plan_free(TAKE_PTR(p));

	/* the sheet's first file is now the small image */
	f->srcs[3] = f->srcs[0], f->srcs[0] = f->srcs[2], f->srcs[2] = f->srcs[3];
	f->srcs[3] = NULL;
	assert_int_equal(plan(f,
			      "FILE s.iso BINARY\nTRACK 01 MODE1/2048\nINDEX 01 00:00:00\n"
			      "FILE a.bin BINARY\nTRACK 02 AUDIO\nPREGAP 00:03:00\n"
			      "INDEX 01 00:00:00\n",
			      &p, &d),
			 0);
	assert_int_equal(p->data_blocks, 300 + 150);	       /* 200, padded to 4 s */
	assert_int_equal(p->tracks[1].start, 300 + 150 + 225); /* a longer gap stays */
}

/* Data tracks a mixed-mode CD cannot have: track 02, a file not whole blocks, a shared file */
static void test_alayout_mixed_errors(void **state)
{
	static const char two[] = "FILE a.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n"
				  "FILE d.iso BINARY\nTRACK 02 MODE1/2048\nINDEX 01 00:00:00\n";
	struct fx *f = *state;
	struct eng_cue_sheet *s = NULL;
	struct eng_audio_plan *p = NULL;
	struct bfs_diag d = {0};

	assert_int_equal(eng_cue_parse(two, strlen(two), "t.cue", &s, &d), -EOPNOTSUPP);
	assert_non_null(strstr(d.msg, "track 02 is 'MODE1/2048'"));
	bfs_diag_clear(&d);
	add_bin(f, "odd.iso", 310 * 512 + 1);
	add_bin(f, "a.bin", 400 * ENG_CD_SAMPLES);
	assert_int_equal(plan(f,
			      "FILE odd.iso BINARY\nTRACK 01 MODE1/2048\nINDEX 01 00:00:00\n"
			      "FILE a.bin BINARY\nTRACK 02 AUDIO\nINDEX 01 00:00:00\n",
			      &p, &d),
			 -EINVAL);
	assert_non_null(strstr(d.msg, "a data track is whole 2048-byte blocks"));
	bfs_diag_clear(&d);
	/* the image and the audio in one file (srcs[0]) */
	assert_int_equal(plan(f,
			      "FILE one.bin BINARY\nTRACK 01 MODE1/2048\nINDEX 01 00:00:00\n"
			      "TRACK 02 AUDIO\nINDEX 01 00:04:00\n",
			      &p, &d),
			 -EINVAL);
	assert_non_null(strstr(d.msg, "a BINARY file of its own"));
	bfs_diag_clear(&d);
	/* a data track alone: no audio to follow it */
	add_bin(f, "a.iso", 310 * 512);
	f->srcs[3] = f->srcs[0], f->srcs[0] = f->srcs[2], f->srcs[2] = f->srcs[3];
	f->srcs[3] = NULL;
	assert_int_equal(
		plan(f, "FILE a.iso BINARY\nTRACK 01 MODE1/2048\nINDEX 01 00:00:00\n", &p, &d),
		-EINVAL);
	assert_non_null(strstr(d.msg, "a data track and no audio"));
	assert_null(p);
}

static void test_alayout_errors(void **state)
{
	struct fx *f = *state;
	struct eng_audio_plan *p = NULL;
	struct bfs_diag d = {0};

	add_bin(f, "s.bin", 200 * ENG_CD_SAMPLES);
	assert_int_equal(plan(f, "FILE s.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n", &p, &d),
			 -EINVAL);
	assert_string_equal(d.msg, "track 01 is 00:02:50 long: the least is 00:04:00");
	bfs_diag_clear(&d);
	assert_int_equal(plan(f, "FILE s.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:03:00\n", &p, &d),
			 -EINVAL);
	assert_non_null(strstr(d.msg, "track 01 INDEX 01 at 00:03:00 is past the end of 's.bin' "
				      "(00:02:50)"));
	assert_null(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alayout_reference_album, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_alayout_hidden_track, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_alayout_gaps_appended, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_alayout_pregap, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_alayout_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_alayout_mixed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_alayout_mixed_errors, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
