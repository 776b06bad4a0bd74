/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/charset.h"

static void test_utf8_decode(void **state)
{
	const uint8_t s[] = "a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\xff\xc0\xaf";
	uint32_t want[] = {'a', 0xE9, 0x65E5, 0x1F600, 0xFFFD, 0xFFFD, 0xFFFD};
	bool valid[] = {true, true, true, true, false, false, false};
	size_t pos = 0, len = sizeof(s) - 1;

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		uint32_t cp;

		assert_int_equal(bfs_utf8_next(s, len, &pos, &cp), valid[i]);
		assert_int_equal(cp, want[i]);
	}
	assert_int_equal(pos, len);
	assert_true(bfs_utf8_valid("Grüße", strlen("Grüße")));
	assert_false(bfs_utf8_valid("\xed\xa0\x80", 3)); /* a lone surrogate */
}

static void test_utf8_put(void **state)
{
	uint8_t b[4];

	(void)state;
	assert_int_equal(bfs_utf8_put(0x1F600, b), 4);
	assert_memory_equal(b, "\xf0\x9f\x98\x80", 4);
	assert_int_equal(bfs_utf8_put(0xE9, b), 2);
	assert_memory_equal(b, "\xc3\xa9", 2);
}

static void test_strset(void **state)
{
	struct bfs_strset s = {0};
	char k[16];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(bfs_strset_add(&s, k, strlen(k)), 1);
	}
	assert_int_equal(bfs_strset_add(&s, "k7", 2), 0);
	assert_true(bfs_strset_contains(&s, "k999", 4));
	assert_false(bfs_strset_contains(&s, "k1000", 5));
	assert_int_equal(s.n, 1000);
	bfs_strset_done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_utf8_put),
		cmocka_unit_test(test_strset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
