/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Decoding inputs to CD-DA: a 44.1 kHz stereo WAV and FLAC made by sox read back sample for
 * sample as sox's own raw output; a 48 kHz mono WAV and FLAC are converted (with one
 * warning) to 44.1 kHz stereo: the length scales by 44100/48000, both channels are equal,
 * and the 1 kHz tone keeps its frequency and level; a MOTOROLA BIN is byte-swapped; reads
 * past the end are silence; FLAC comments give the CD-Text tags. Exits 77 without sox.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/diag.h"
#include "engine/audio.h"

static char dir[] = "/tmp/test-adecode.XXXXXX";

static void run(const char *fmt, ...) BFS_PRINTF(1, 2);
static void run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("'%s' failed", cmd);
}

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[128];
	FILE *f;
	uint8_t *b;
	long n;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static struct eng_audio_src *open_src(const char *name, enum eng_cue_ftype type, struct bfs_diag *d)
{
	struct eng_audio_src *s = NULL;
	char path[128];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(eng_audio_src_open(path, type, &s, d), 0);
	return s;
}

/* 44.1 kHz stereo: no conversion, the samples are the file's */
static void check_exact(const char *ext)
{
	char name[32];
	size_t rawlen;
	_cleanup_free_ uint8_t *raw = NULL, *buf = NULL;
	struct bfs_diag d = {0};
	struct eng_audio_src *s;

	/* a chord, different in each channel, 1.5 s */
	run("sox -n -r 44100 -c 2 -b 16 %s/cd.%s synth 1.5 sine 440 sine 660 gain -3", dir, ext);
	run("sox %s/cd.%s -t raw -e signed -b 16 -L %s/cd-%s.raw", dir, ext, dir, ext);
	(void)snprintf(name, sizeof(name), "cd-%s.raw", ext);
	raw = slurp(name, &rawlen);
	(void)snprintf(name, sizeof(name), "cd.%s", ext);
	s = open_src(name, ENG_CUE_WAVE, &d);
	assert_int_equal(d.nwarnings, 0);
	assert_int_equal(eng_audio_src_frames(s), 66150);
	assert_int_equal(rawlen, 66150 * 4);
	buf = malloc(rawlen + 400);
	assert_non_null(buf);
	memset(buf, 0x55, rawlen + 400);
	/* out of order, and past the end */
	assert_int_equal(eng_audio_src_read(s, 1000, 66150 - 1000 + 100, buf + 4000, &d), 0);
	assert_int_equal(eng_audio_src_read(s, 0, 1000, buf, &d), 0);
	assert_memory_equal(buf, raw, rawlen);
	for (size_t i = rawlen; i < rawlen + 400; i++)
		assert_int_equal(buf[i], 0);
	eng_audio_src_free(s);
}

static void test_adecode_cd_wav(void **state)
{
	(void)state;
	check_exact("wav");
}

static void test_adecode_cd_flac(void **state)
{
	(void)state;
	check_exact("flac");
}

/* 48 kHz mono: converted, with a warning */
static void check_converted(const char *ext)
{
	char name[32];
	struct bfs_diag d = {0};
	struct eng_audio_src *s;
	uint64_t n;
	_cleanup_free_ uint8_t *buf = NULL;
	unsigned crossings = 0;
	double sum = 0;
	int16_t prev = 0;

	run("sox -n -r 48000 -c 1 -b 16 %s/m48.%s synth 2 sine 1000 gain -6", dir, ext);
	(void)snprintf(name, sizeof(name), "m48.%s", ext);
	s = open_src(name, ENG_CUE_WAVE, &d);
	assert_int_equal(d.nwarnings, 1);
	n = eng_audio_src_frames(s);
	/* 96000 frames at 48 kHz are 88200 at 44.1 kHz; the converter may round the end */
	assert_true(n >= 88200 - 2 && n <= 88200 + 2);
	buf = malloc(n * 4);
	assert_non_null(buf);
	assert_int_equal(eng_audio_src_read(s, 0, n, buf, &d), 0);
	for (uint64_t i = 0; i < n; i++) {
		int16_t l = (int16_t)(buf[4 * i] | buf[4 * i + 1] << 8);
		int16_t r = (int16_t)(buf[4 * i + 2] | buf[4 * i + 3] << 8);

		assert_int_equal(l, r);
		if (i > 1000 && i < n - 1000) {
			sum += (double)l * l;
			crossings += (prev < 0) != (l < 0);
		}
		prev = l;
	}
	/* 1 kHz: 2 crossings a millisecond; -6 dB of full scale: RMS 0.5/sqrt(2) */
	assert_true(abs((int)crossings - 2 * 1000 * (int)(n - 2000) / 44100) <= 4);
	assert_true(fabs(sqrt(sum / (double)(n - 2001)) / 32768.0 - 0.5 / sqrt(2.0)) < 0.01);
	eng_audio_src_free(s);
}

static void test_adecode_48k_mono_wav(void **state)
{
	(void)state;
	check_converted("wav");
}

static void test_adecode_48k_mono_flac(void **state)
{
	(void)state;
	check_converted("flac");
}

/* 4 channels of one tone (undithered: equal) at 44.1 kHz: mixed down to stereo at the same
 * level, same length */
static void test_adecode_quad(void **state)
{
	struct bfs_diag d = {0};
	struct eng_audio_src *s;
	uint8_t buf[4 * 4410];
	double sum = 0;

	(void)state;
	run("sox -D -n -r 44100 -c 4 -b 16 %s/quad.wav synth 1 sine 1000 gain -6", dir);
	s = open_src("quad.wav", ENG_CUE_WAVE, &d);
	assert_int_equal(d.nwarnings, 1);
	assert_true(eng_audio_src_frames(s) >= 44100 - 2 && eng_audio_src_frames(s) <= 44100 + 2);
	assert_int_equal(eng_audio_src_read(s, 20000, 4410, buf, &d), 0);
	for (int i = 0; i < 4410; i++) {
		int16_t l = (int16_t)(buf[4 * i] | buf[4 * i + 1] << 8);
		int16_t r = (int16_t)(buf[4 * i + 2] | buf[4 * i + 3] << 8);

		assert_int_equal(l, r);
		sum += (double)l * l;
	}
	assert_true(fabs(sqrt(sum / 4410) / 32768.0 - 0.5 / sqrt(2.0)) < 0.01);
	eng_audio_src_free(s);
}

/* FLAC comments as CD-Text candidates; a file without them has none */
static void test_adecode_tags(void **state)
{
	struct bfs_diag d = {0};
	struct eng_audio_src *s;

	(void)state;
	run("sox -n --comment 'TITLE=Hello there' --add-comment 'ARTIST=The Band' "
	    "--add-comment 'ALBUM=Album X' -r 44100 -c 2 -b 16 %s/tag.flac synth 1 sine 440",
	    dir);
	s = open_src("tag.flac", ENG_CUE_WAVE, &d);
	assert_string_equal(eng_audio_src_tag(s, ENG_CDTEXT_TITLE, false), "Hello there");
	assert_string_equal(eng_audio_src_tag(s, ENG_CDTEXT_PERFORMER, false), "The Band");
	assert_string_equal(eng_audio_src_tag(s, ENG_CDTEXT_TITLE, true), "Album X");
	assert_null(eng_audio_src_tag(s, ENG_CDTEXT_SONGWRITER, false));
	eng_audio_src_free(s);
	run("sox -n -r 44100 -c 2 -b 16 %s/notag.flac synth 1 sine 440", dir);
	s = open_src("notag.flac", ENG_CUE_WAVE, &d);
	assert_null(eng_audio_src_tag(s, ENG_CDTEXT_TITLE, false));
	assert_null(eng_audio_src_tag(s, ENG_CDTEXT_TITLE, true));
	eng_audio_src_free(s);
}

/* CD-Text of files: the sheet's strings first, then each file's tags; the album's when all
 * tracks agree */
static void test_adecode_cdtext_of_tags(void **state)
{
	char p1[64], p2[64], p3[64];
	const char *paths[] = {p1, p2, p3};
	struct eng_audio_src *srcs[3];
	struct eng_cue_sheet *s = NULL;
	struct eng_cdtext *t = calloc(1, sizeof(*t));
	struct bfs_diag d = {0};

	(void)state;
	assert_non_null(t);
	run("sox -n --comment 'TITLE=Two' --add-comment 'ARTIST=The Band' "
	    "--add-comment 'ALBUM=Album X' -r 44100 -c 2 -b 16 %s/two.flac synth 1 sine 440",
	    dir);
	run("sox -n -r 44100 -c 2 -b 16 %s/notag.flac synth 1 sine 440", dir);
	(void)snprintf(p1, sizeof(p1), "%s/tag.flac", dir);
	(void)snprintf(p2, sizeof(p2), "%s/two.flac", dir);
	(void)snprintf(p3, sizeof(p3), "%s/notag.flac", dir);
	assert_int_equal(eng_cue_of_files(paths, 2, 150, &s, &d), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(eng_audio_src_open(paths[i], ENG_CUE_WAVE, &srcs[i], &d), 0);
	s->tracks[1].text[ENG_CDTEXT_TITLE] = strdup("Sheet's");

	eng_cdtext_of_sheet(s, srcs, t);
	assert_int_equal(t->first_track, 1);
	assert_int_equal(t->last_track, 2);
	assert_string_equal(t->text[1][ENG_CDTEXT_TITLE], "Hello there");
	assert_string_equal(t->text[2][ENG_CDTEXT_TITLE], "Sheet's");
	assert_string_equal(t->text[2][ENG_CDTEXT_PERFORMER], "The Band");
	assert_string_equal(t->text[0][ENG_CDTEXT_TITLE], "Album X");
	assert_string_equal(t->text[0][ENG_CDTEXT_PERFORMER], "The Band");
	/* without the sources: the sheet's only */
	eng_cdtext_of_sheet(s, NULL, t);
	assert_null(t->text[1][ENG_CDTEXT_TITLE]);
	assert_null(t->text[0][ENG_CDTEXT_TITLE]);
	/* a track without tags: no album strings */
	srcs[1] = eng_audio_src_free(srcs[1]);
	srcs[1] = srcs[2];
	eng_cdtext_of_sheet(s, srcs, t);
	assert_null(t->text[0][ENG_CDTEXT_TITLE]);
	assert_null(t->text[0][ENG_CDTEXT_PERFORMER]);
	assert_string_equal(t->text[1][ENG_CDTEXT_PERFORMER], "The Band");
	eng_audio_src_free(srcs[0]);
	eng_audio_src_free(srcs[2]);
	eng_cue_free(s);
	free(t);
}

static void test_adecode_motorola_and_errors(void **state)
{
	static const uint8_t be[8] = {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0};
	char path[128];
	uint8_t buf[12];
	struct bfs_diag d = {0};
	struct eng_audio_src *s = NULL;
	FILE *f;

	(void)state;
	(void)snprintf(path, sizeof(path), "%s/m.bin", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(be, 1, sizeof(be), f), sizeof(be));
	fclose(f);
	assert_int_equal(eng_audio_src_open(path, ENG_CUE_MOTOROLA, &s, &d), 0);
	assert_int_equal(eng_audio_src_frames(s), 2);
	assert_int_equal(eng_audio_src_read(s, 0, 3, buf, &d), 0);
	assert_memory_equal(buf, "\x34\x12\x78\x56\xBC\x9A\xF0\xDE\0\0\0\0", 12);
	eng_audio_src_free(s);
	s = NULL;
	/* not audio: libsndfile's message, naming the file */
	assert_int_equal(eng_audio_src_open(path, ENG_CUE_WAVE, &s, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "m.bin"));
	bfs_diag_clear(&d);
	(void)snprintf(path, sizeof(path), "%s/none.wav", dir);
	assert_int_equal(eng_audio_src_open(path, ENG_CUE_BINARY, &s, &d), -ENOENT);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adecode_cd_wav),
		cmocka_unit_test(test_adecode_cd_flac),
		cmocka_unit_test(test_adecode_48k_mono_wav),
		cmocka_unit_test(test_adecode_48k_mono_flac),
		cmocka_unit_test(test_adecode_quad),
		cmocka_unit_test(test_adecode_tags),
		cmocka_unit_test(test_adecode_cdtext_of_tags),
		cmocka_unit_test(test_adecode_motorola_and_errors),
	};
	char cmd[64];
	int r;

	if (system("command -v sox >/dev/null 2>&1") != 0)
		return 77;
	if (!mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	return r;
}
