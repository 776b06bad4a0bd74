/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-medium policy: every MMC profile burnfs writes maps to its media kind and write
 * unit, the start block is the NWA only when valid, and the guess by capacity picks the
 * kind a disc of that size is (the real capacities of CD-R 80, DVD+R, DVD+R DL, BD-R).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "engine/policy.h"
#include "mmc/mmc.h"

static void test_profiles(void **state)
{
	static const struct {
		uint16_t profile;
		enum eng_media media;
		unsigned unit;
	} want[] = {
		{0x0009, ENG_MEDIA_CD, 1},   {0x000A, ENG_MEDIA_CD, 1},
		{0x0011, ENG_MEDIA_DVD, 16}, {0x0012, ENG_MEDIA_DVD, 16},
		{0x0013, ENG_MEDIA_DVD, 16}, {0x0014, ENG_MEDIA_DVD, 16},
		{0x001A, ENG_MEDIA_DVD, 16}, {0x001B, ENG_MEDIA_DVD, 16},
		{0x002B, ENG_MEDIA_DVD, 16}, {0x0041, ENG_MEDIA_BD, 32},
		{0x0043, ENG_MEDIA_BD, 32},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct mmc_media m = {.profile = want[i].profile, .nwa = 4711, .nwa_valid = true};
		struct eng_policy p;
		struct eng_image_opts io = {0};

		eng_policy_of_medium(&m, &p);
		assert_int_equal(p.media, want[i].media);
		assert_int_equal(p.write_unit, want[i].unit);
		assert_int_equal(p.start_lba, 4711);
		assert_true(p.from_disc);
		eng_policy_apply(&p, &io);
		assert_int_equal(io.media, want[i].media);
		assert_int_equal(io.align, want[i].unit);
		assert_int_equal(io.start_lba, 4711);
	}
}

static void test_no_nwa(void **state)
{
	struct mmc_media m = {.profile = 0x0041, .nwa = 999, .nwa_valid = false};
	struct eng_policy p;

	(void)state;
	eng_policy_of_medium(&m, &p);
	assert_int_equal(p.start_lba, 0);
}

static void test_capacity(void **state)
{
	static const struct {
		uint64_t blocks;
		enum eng_media media;
	} want[] = {
		{359847, ENG_MEDIA_CD},	    {440000, ENG_MEDIA_CD},   {440001, ENG_MEDIA_DVD},
		{2295104, ENG_MEDIA_DVD},   {4173824, ENG_MEDIA_DVD}, {12219392, ENG_MEDIA_BD},
		{UINT64_MAX, ENG_MEDIA_BD}, {0, ENG_MEDIA_CD},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct eng_policy p;

		eng_policy_of_capacity(want[i].blocks, &p);
		assert_int_equal(p.media, want[i].media);
		assert_false(p.from_disc);
		assert_true(p.write_unit >= 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_no_nwa),
		cmocka_unit_test(test_capacity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
