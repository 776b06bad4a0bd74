/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/bytes.h"
#include "common/cursor.h"
#include "common/diag.h"

static void test_bytes_round_trip(void **state)
{
	uint8_t b[8];

	(void)state;
	bfs_put_le16(b, 0x1234);
	assert_memory_equal(b, "\x34\x12", 2);
	assert_int_equal(bfs_get_le16(b), 0x1234);
	bfs_put_be32(b, 0x01020304);
	assert_memory_equal(b, "\x01\x02\x03\x04", 4);
	assert_int_equal(bfs_get_be32(b), 0x01020304);
	bfs_put_le64(b, 0x0102030405060708ull);
	assert_memory_equal(b, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
	assert_true(bfs_get_le64(b) == 0x0102030405060708ull);
	bfs_put_be64(b, 0x0102030405060708ull);
	assert_true(bfs_get_be64(b) == 0x0102030405060708ull);
	bfs_put_be24(b, 0xabcdef);
	assert_int_equal(bfs_get_be24(b), 0xabcdef);
}

static void test_cursor_bounds(void **state)
{
	const uint8_t data[4] = {1, 2, 3, 4};
	struct bfs_cursor c = bfs_cur_make(data, sizeof(data));

	(void)state;
	assert_true(bfs_cur_need(&c, 4));
	assert_false(bfs_cur_need(&c, 5));
	assert_true(bfs_cur_skip(&c, 3));
	assert_false(bfs_cur_skip(&c, 2));
	assert_int_equal(c.pos, 3);
	assert_int_equal(bfs_cur_left(&c), 1);
	assert_false(bfs_cur_need(&c, SIZE_MAX));
}

static void test_diag_first_failure_wins(void **state)
{
	struct bfs_diag d = {0};

	(void)state;
	assert_int_equal(bfs_diag_set(&d, -EIO, "first %d", 1), -EIO);
	assert_int_equal(BFS_CORRUPT(&d, "second"), -BFS_EFSCORRUPTED);
	assert_int_equal(d.err, -EIO);
	assert_string_equal(bfs_diag_msg(&d, -EIO), "first 1");
	bfs_diag_clear(&d);
	assert_string_equal(bfs_diag_msg(&d, -ENOENT), strerror(ENOENT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_round_trip),
		cmocka_unit_test(test_cursor_bounds),
		cmocka_unit_test(test_diag_first_failure_wins),
	};
	return cmocka_run_group_tests_name("bytes", tests, NULL, NULL);
}
