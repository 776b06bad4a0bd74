/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CD-Text packs: the CRC on the published test vector, the packs of a small album derived by
 * hand from the format (reference boot-audio.md §5: strings album first, split over packs,
 * the track and characters-carried fields, empty strings for tracks once the album has one,
 * the three 8Fh size packs), ISO-8859-1 conversion, the 253-pack limit, and the lead-in's
 * six-bit interleave.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "engine/audio.h"

static void test_cdtext_crc_vector(void **state)
{
	static const uint8_t pack[16] = {0x8F, 0x00, 0x2A, 0x00, 0x01, 0x01, 0x03, 0x00,
					 0x06, 0x05, 0x04, 0x05, 0x07, 0x06, 0x01, 0x02};

	(void)state;
	assert_int_equal(eng_cdtext_crc(pack, sizeof(pack)), 0x4865);
}

static void test_cdtext_album(void **state)
{
	/* 16 bytes of each pack, by hand; the CRC is checked through eng_cdtext_crc */
	static const uint8_t want[6][16] = {
		/* 80h: "AB\0" (album), "C\0" (1), "DEFGHIJ" of track 2 */
		{0x80, 0, 0, 0, 'A', 'B', 0, 'C', 0, 'D', 'E', 'F', 'G', 'H', 'I', 'J'},
		/* "KLMNOPQ\0" of track 2, 7 of its characters were in the pack before */
		{0x80, 2, 1, 7, 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 0, 0, 0, 0, 0},
		/* 81h: "P\0" for the album, an empty string for each track */
		{0x81, 0, 2, 0, 'P', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		/* 8Fh: ISO-8859-1, tracks 1-2, 2 packs of 80h, 1 of 81h, 3 of 8Fh, last seq 5,
		 * English */
		{0x8F, 0, 3, 0, 0x00, 1, 2, 0, 2, 1, 0, 0, 0, 0, 0, 0},
		{0x8F, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 3, 5, 0, 0, 0},
		{0x8F, 2, 5, 0, 0, 0, 0, 0, 0x09, 0, 0, 0, 0, 0, 0, 0},
	};
	struct eng_cdtext t = {.first_track = 1, .last_track = 2};
	struct bfs_diag d = {0};
	uint8_t *packs = NULL;
	size_t n = 0;

	(void)state;
	t.text[0][ENG_CDTEXT_TITLE] = "AB";
	t.text[0][ENG_CDTEXT_PERFORMER] = "P";
	t.text[1][ENG_CDTEXT_TITLE] = "C";
	t.text[2][ENG_CDTEXT_TITLE] = "DEFGHIJKLMNOPQ";
	assert_int_equal(eng_cdtext_packs(&t, &packs, &n, &d), 0);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = packs + i * ENG_CDTEXT_PACK;
		uint16_t crc = eng_cdtext_crc(want[i], 16);

		assert_memory_equal(p, want[i], 16);
		assert_int_equal(p[16], crc >> 8);
		assert_int_equal(p[17], crc & 0xFF);
	}
	free(packs);
}

/* UTF-8 becomes ISO-8859-1; beyond it is refused; the tracks of 8Eh start at first_track */
static void test_cdtext_charset(void **state)
{
	struct eng_cdtext t = {.first_track = 5, .last_track = 5};
	struct bfs_diag d = {0};
	uint8_t *packs = NULL;
	size_t n = 0;

	(void)state;
	t.text[1][ENG_CDTEXT_SONGWRITER] = "Caf\xC3\xA9";
	t.upc_isrc[1] = "USABC2400001";
	assert_int_equal(eng_cdtext_packs(&t, &packs, &n, &d), 0);
	assert_int_equal(n, 1 + 2 + 3);
	/* 82h: "\0" album, "Caf\xE9\0" track 5 */
	assert_int_equal(packs[0], 0x82);
	assert_int_equal(packs[1], 0);
	assert_memory_equal(packs + 4, "\0Caf\xE9\0\0\0\0\0\0\0", 12);
	/* 8Eh: "\0", then the ISRC of track 5 starting in the first pack */
	assert_int_equal(packs[18], 0x8E);
	assert_memory_equal(packs + 18 + 4, "\0USABC240000", 12);
	assert_int_equal(packs[36 + 1], 5);
	assert_int_equal(packs[36 + 3], 11);
	free(packs);

	t.text[1][ENG_CDTEXT_SONGWRITER] = "\xE6\x97\xA5\xE6\x9C\xAC";
	assert_int_equal(eng_cdtext_packs(&t, &packs, &n, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "ISO-8859-1"));
}

static void test_cdtext_too_many(void **state)
{
	static const char title[] = "A title of forty characters, or near it";
	struct eng_cdtext t = {.first_track = 1, .last_track = 99};
	struct bfs_diag d = {0};
	uint8_t *packs = NULL;
	size_t n = 0;

	(void)state;
	for (int i = 1; i <= 99; i++)
		t.text[i][ENG_CDTEXT_TITLE] = title;
	assert_int_equal(eng_cdtext_packs(&t, &packs, &n, &d), -ENOSPC);
	assert_non_null(strstr(d.msg, "more than 253 packs"));
	assert_null(packs);
	/* 60 titles: 200 packs, fits */
	t.last_track = 60;
	bfs_diag_clear(&d);
	assert_int_equal(eng_cdtext_packs(&t, &packs, &n, &d), 0);
	assert_int_equal(n, BFS_DIV_ROUND_UP(1 + 60 * sizeof(title), 12) + 3);
	free(packs);
}

/* 3 bytes -> 4 six-bit symbols; sector k carries packs 4k..4k+3, repeating the list */
static void test_cdtext_leadin(void **state)
{
	uint8_t packs[5 * ENG_CDTEXT_PACK] = {0}, out[96];

	(void)state;
	for (int i = 0; i < 5; i++)
		packs[i * ENG_CDTEXT_PACK] = (uint8_t)(0x80 + i);
	packs[0] = 0x8F;
	packs[1] = 0x00;
	packs[2] = 0x2A;
	packs[17] = 0xFF;
	eng_cdtext_leadin(packs, 5, 0, out);
	assert_memory_equal(out, "\x23\x30\x00\x2A", 4);
	assert_memory_equal(out + 20, "\x00\x00\x03\x3F", 4);
	assert_int_equal(out[24], 0x81 >> 2);
	/* sector 1: packs 4, 0, 1, 2 */
	eng_cdtext_leadin(packs, 5, 1, out);
	assert_int_equal(out[0], 0x84 >> 2);
	assert_int_equal(out[1], (0x84 & 3) << 4);
	assert_memory_equal(out + 24, "\x23\x30\x00\x2A", 4);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_true(out[i] < 0x40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cdtext_crc_vector), cmocka_unit_test(test_cdtext_album),
		cmocka_unit_test(test_cdtext_charset),	  cmocka_unit_test(test_cdtext_too_many),
		cmocka_unit_test(test_cdtext_leadin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
