/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CUE sheet parser: sheets as EAC and CDRWIN write them (one file with INDEX 00/01/02,
 * one file a track with the gaps appended to the previous file, PREGAP/POSTGAP, FLAGS,
 * ISRC, CATALOG, CD-Text fields, CRLF and a byte order mark), and hostile or broken sheets,
 * each refused with a message naming the sheet and the line.
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

static struct eng_cue_sheet *parse_ok(const char *text)
{
	struct eng_cue_sheet *s = NULL;
	struct bfs_diag d = {0};
	int r = eng_cue_parse(text, strlen(text), "t.cue", &s, &d);

	if (r < 0)
		fail_msg("parse failed: %s", bfs_diag_msg(&d, r));
	return s;
}

static void test_cue_single_file(void **state)
{
	static const char text[] = "\xEF\xBB\xBFREM GENRE Rock\r\n"
				   "REM DATE 1999\r\n"
				   "CATALOG 0123456789012\r\n"
				   "PERFORMER \"The Band\"\r\n"
				   "TITLE \"Album, with \xC3\xA9\"\r\n"
				   "FILE \"album.wav\" WAVE\r\n"
				   "  TRACK 01 AUDIO\r\n"
				   "    TITLE \"One\"\r\n"
				   "    PERFORMER \"The Band\"\r\n"
				   "    SONGWRITER \"Someone\"\r\n"
				   "    ISRC USABC2400001\r\n"
				   "    INDEX 01 00:00:00\r\n"
				   "  TRACK 02 AUDIO\r\n"
				   "    FLAGS DCP PRE SCMS\r\n"
				   "    PREGAP 00:01:00\r\n"
				   "    INDEX 00 04:10:30\r\n"
				   "    INDEX 01 04:12:30\r\n"
				   "    INDEX 02 05:00:74\r\n"
				   "    POSTGAP 00:00:10\r\n";
	_cleanup_(eng_cue_freep) struct eng_cue_sheet *s = parse_ok(text);
	const struct eng_cue_track *t;

	(void)state;
	assert_string_equal(s->catalog, "0123456789012");
	assert_string_equal(s->text[ENG_CDTEXT_TITLE], "Album, with \xC3\xA9");
	assert_string_equal(s->text[ENG_CDTEXT_PERFORMER], "The Band");
	assert_null(s->text[ENG_CDTEXT_SONGWRITER]);
	assert_int_equal(s->nfiles, 1);
	assert_string_equal(s->files[0].path, "album.wav");
	assert_int_equal(s->files[0].type, ENG_CUE_WAVE);
	assert_int_equal(s->ntracks, 2);
	t = &s->tracks[0];
	assert_int_equal(t->number, 1);
	assert_string_equal(t->text[ENG_CDTEXT_TITLE], "One");
	assert_string_equal(t->text[ENG_CDTEXT_SONGWRITER], "Someone");
	assert_string_equal(t->isrc, "USABC2400001");
	assert_int_equal(t->nindex, 1);
	assert_int_equal(t->index[0].offset, 0);
	t = &s->tracks[1];
	assert_int_equal(t->ctl, ENG_CD_CTL_COPY | ENG_CD_CTL_PRE);
	assert_int_equal(t->pregap, 75);
	assert_int_equal(t->postgap, 10);
	assert_int_equal(t->nindex, 3);
	assert_int_equal(t->index[0].number, 0);
	assert_int_equal(t->index[0].offset, (4 * 60 + 10) * 75 + 30);
	assert_int_equal(t->index[1].offset, (4 * 60 + 12) * 75 + 30);
	assert_int_equal(t->index[2].number, 2);
	assert_int_equal(t->index[2].offset, 5 * 60 * 75 + 74);
	assert_string_equal(t->isrc, "");
}

/* EAC "gaps appended to previous": INDEX 00 in the previous file, INDEX 01 at its start */
static void test_cue_gaps_appended(void **state)
{
	static const char text[] = "FILE \"01.flac\" WAVE\n"
				   "TRACK 03 AUDIO\n"
				   "INDEX 01 00:00:00\n"
				   "track 04 audio\n"
				   "index 00 03:00:00\n"
				   "file \"02.bin\" motorola\n"
				   "index 01 00:00:00\n"
				   "FILE 03.bin BINARY\n"
				   "TRACK 05 AUDIO\n"
				   "INDEX 01 00:00:00";
	_cleanup_(eng_cue_freep) struct eng_cue_sheet *s = parse_ok(text);

	(void)state;
	assert_int_equal(s->nfiles, 3);
	assert_int_equal(s->files[1].type, ENG_CUE_MOTOROLA);
	assert_string_equal(s->files[2].path, "03.bin");
	assert_int_equal(s->ntracks, 3);
	assert_int_equal(s->tracks[0].number, 3);
	assert_int_equal(s->tracks[1].index[0].file, 0);
	assert_int_equal(s->tracks[1].index[0].offset, 13500);
	assert_int_equal(s->tracks[1].index[1].file, 1);
	assert_int_equal(s->tracks[2].index[0].file, 2);
}

/* TITLE and PERFORMER without quotes: the rest of the line */
static void test_cue_bare_text(void **state)
{
	_cleanup_(eng_cue_freep) struct eng_cue_sheet *s = parse_ok(
		"PERFORMER The Band \t\nFILE a WAVE\nTRACK 01 AUDIO\nTITLE Song: \"live\"\n"
		"INDEX 01 00:00:00\n");

	(void)state;
	assert_string_equal(s->text[ENG_CDTEXT_PERFORMER], "The Band");
	assert_string_equal(s->tracks[0].text[ENG_CDTEXT_TITLE], "Song: \"live\"");
}

static void test_cue_errors(void **state)
{
	static const struct {
		const char *text;
		int err;
		const char *msg;
	} bad[] = {
		{"", -EINVAL, "t.cue: no TRACK"},
		{"TRACK 01 AUDIO\n", -EINVAL, "t.cue:1: TRACK before any FILE"},
		{"FILE \"a.wav\" WAVE\nTRACK 01 AUDIO\n", -EINVAL,
		 "t.cue: track 01 has no INDEX 01"},
		{"FILE \"a.wav WAVE\n", -EINVAL, "t.cue:1: unterminated quoted string"},
		{"FILE \"a.wav\" OGG\n", -EINVAL, "t.cue:1: unknown file type 'OGG'"},
		{"FILE a WAVE\nTRACK 1 AUDIO\nINDEX 01 00:00:00\nTRACK 3 AUDIO\n", -EINVAL,
		 "t.cue:4: track 03 follows track 01"},
		{"FILE a WAVE\nTRACK 100 AUDIO\n", -EINVAL,
		 "t.cue:2: track number '100' is not 1-99"},
		{"FILE a WAVE\nTRACK 00 AUDIO\n", -EINVAL, "t.cue:2: track number '00'"},
		{"FILE a BINARY\nTRACK 01 MODE1/2352\n", -EOPNOTSUPP,
		 "t.cue:2: track 01 is 'MODE1/2352'"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nINDEX 01 00:60:00\n", -EINVAL,
		 "t.cue:3: '00:60:00' is not a time"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nINDEX 01 00:00:75\n", -EINVAL,
		 "t.cue:3: '00:00:75'"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nINDEX 01 1:2\n", -EINVAL, "t.cue:3: '1:2'"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nINDEX 01 -1:00:00\n", -EINVAL,
		 "t.cue:3: '-1:00:00'"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nINDEX 02 00:00:00\n", -EINVAL,
		 "t.cue:3: track 01 starts with INDEX 02"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nINDEX 00 00:00:00\nINDEX 02 00:01:00\n", -EINVAL,
		 "t.cue:4: track 01: INDEX 02 follows INDEX 00"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nINDEX 01 00:10:00\nTRACK 02 AUDIO\nINDEX 01 00:05:00\n",
		 -EINVAL, "t.cue:5: track 02 INDEX 01 at 00:05:00 is not after"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nINDEX 00 00:00:00\nTRACK 02 AUDIO\n", -EINVAL,
		 "t.cue:4: track 01 has no INDEX 01"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nINDEX 00 00:00:00\n", -EINVAL,
		 "t.cue: track 01 has no INDEX 01"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nFLAGS DCP\n", -EINVAL,
		 "t.cue:4: FLAGS belongs after TRACK"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nFLAGS DATA\n", -EINVAL,
		 "t.cue:3: unknown flag 'DATA'"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nISRC US-AB1-24-00001\n", -EINVAL,
		 "t.cue:3: ISRC 'US-AB1-24-00001' is not"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nISRC usabc2400001\n", -EINVAL, "t.cue:3: ISRC"},
		{"CATALOG 12345\n", -EINVAL, "t.cue:1: CATALOG '12345' is not 13 digits"},
		{"ISRC USABC2400001\n", -EINVAL, "t.cue:1: ISRC before any TRACK"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nPREGAP 00:02:00\n", -EINVAL,
		 "t.cue:4: PREGAP after the track's INDEX lines"},
		{"FILE a WAVE\nTRACK 01 AUDIO\nPOSTGAP 00:02:00\n", -EINVAL,
		 "t.cue:3: POSTGAP before the track's INDEX lines"},
		{"PREGAP 00:02:00\n", -EINVAL, "t.cue:1: PREGAP before any TRACK"},
		{"FILE a WAVE extra\n", -EINVAL, "t.cue:1: unexpected 'extra'"},
		{"FILE\n", -EINVAL, "t.cue:1: missing file name"},
		{"FILE \"\" WAVE\n", -EINVAL, "t.cue:1: empty file name"},
		{"TITLE\n", -EINVAL, "t.cue:1: missing TITLE"},
		{"BOGUS x\n", -EINVAL, "t.cue:1: unknown command 'BOGUS'"},
		{"REM ok\n\nFILE a WAVE\n\x01\n", -EINVAL, "t.cue:4: unknown command"},
		{"REM a\0b\n", -EINVAL, "t.cue:1: NUL byte"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct eng_cue_sheet *s = NULL;
		struct bfs_diag d = {0};
		size_t len = strlen(bad[i].text);
		int r;

		if (strstr(bad[i].msg, "NUL"))
			len = 8;
		r = eng_cue_parse(bad[i].text, len, "t.cue", &s, &d);
		if (r != bad[i].err || !strstr(d.msg, bad[i].msg))
			fail_msg("sheet %zu: %d '%s', want %d '%s'", i, r, d.msg, bad[i].err,
				 bad[i].msg);
		assert_null(s);
	}
}

/* caps: an overlong line, a 100th track, a string over the CD-Text limit */
static void test_cue_limits(void **state)
{
	char *big = malloc(70000), *p = big;
	struct eng_cue_sheet *s = NULL;
	struct bfs_diag d = {0};

	(void)state;
	if (!big)
		abort();
	memset(big, 'x', 5000);
	memcpy(big, "REM ", 4);
	assert_int_equal(eng_cue_parse(big, 5000, "t.cue", &s, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "t.cue:1: line longer than 4096 bytes"));

	p += sprintf(p, "FILE a WAVE\n");
	for (int t = 1; t <= 100; t++)
		p += sprintf(p, "TRACK %02d AUDIO\nINDEX 01 %02d:00:00\n", t % 100 ? t : 99, t);
	bfs_diag_clear(&d);
	assert_int_equal(eng_cue_parse(big, (size_t)(p - big), "t.cue", &s, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "t.cue:200: track 99 follows track 99"));

	p = big + sprintf(big, "TITLE \"");
	memset(p, 'a', 1100);
	strcpy(p + 1100, "\"\n");
	bfs_diag_clear(&d);
	assert_int_equal(eng_cue_parse(big, strlen(big), "t.cue", &s, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "t.cue:1: string longer than 1023 bytes"));
	assert_null(s);
	free(big);
}

/* eng_cue_load: FILE names are relative to the sheet's directory */
static void test_cue_load_resolves(void **state)
{
	char dir[] = "/tmp/test-cue.XXXXXX", path[64];
	struct eng_cue_sheet *s = NULL;
	struct bfs_diag d = {0};
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/a.cue", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("FILE \"x y.wav\" WAVE\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n"
	      "FILE \"/abs.wav\" WAVE\nTRACK 02 AUDIO\nINDEX 01 00:00:00\n",
	      f);
	fclose(f);
	assert_int_equal(eng_cue_load(path, &s, &d), 0);
	assert_true(!strncmp(s->files[0].path, dir, strlen(dir)));
	assert_string_equal(s->files[0].path + strlen(dir), "/x y.wav");
	assert_string_equal(s->files[1].path, "/abs.wav");
	eng_cue_free(s);
	assert_int_equal(unlink(path), 0);
	(void)snprintf(path, sizeof(path), "%s/none.cue", dir);
	assert_int_equal(eng_cue_load(path, &s, &d), -ENOENT);
	assert_non_null(strstr(d.msg, "none.cue"));
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cue_single_file),	  cmocka_unit_test(test_cue_gaps_appended),
		cmocka_unit_test(test_cue_errors),	  cmocka_unit_test(test_cue_limits),
		cmocka_unit_test(test_cue_load_resolves), cmocka_unit_test(test_cue_bare_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
