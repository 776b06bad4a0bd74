/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Diagnostics: the first failure wins; bfs_diag_prefix adds context in front of it in place
 * (also on top of a failure recorded without a message, and onto an empty diag, which it
 * records), keeps the first error code, cuts at the end when the result is too long, and
 * takes NULL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/diag.h"

static void test_first_wins(void **state)
{
	struct bfs_diag d = {0};

	(void)state;
	assert_int_equal(bfs_diag_set(&d, -EIO, "first"), -EIO);
	assert_int_equal(bfs_diag_set(&d, -ENOSPC, "second"), -ENOSPC);
	assert_int_equal(d.err, -EIO);
	assert_string_equal(bfs_diag_msg(&d, -EIO), "first");
}

static void test_prefix(void **state)
{
	struct bfs_diag d = {0};

	(void)state;
	bfs_diag_set(&d, -EIO, "medium error (sense 3/11/00)");
	assert_int_equal(bfs_diag_prefix(&d, -EIO, "reading block %u", 700u), -EIO);
	assert_int_equal(bfs_diag_prefix(&d, -EBADMSG, "verify"), -EIO);
	assert_string_equal(d.msg, "verify: reading block 700: medium error (sense 3/11/00)");
}

static void test_prefix_empty(void **state)
{
	struct bfs_diag d = {0};

	(void)state;
	assert_int_equal(bfs_diag_prefix(&d, -ENOSPC, "discard"), -ENOSPC);
	assert_int_equal(d.err, -ENOSPC);
	assert_string_equal(d.msg, "discard: No space left on device");
	assert_int_equal(bfs_diag_prefix(NULL, -EIO, "x"), -EIO);
}

static void test_prefix_long(void **state)
{
	struct bfs_diag d = {0};
	char big[2 * BFS_DIAG_MSG_MAX];

	(void)state;
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bfs_diag_set(&d, -EIO, "%s", big);
	bfs_diag_prefix(&d, -EIO, "context");
	assert_int_equal(strlen(d.msg), BFS_DIAG_MSG_MAX - 1);
	assert_memory_equal(d.msg, "context: mmm", 12);
	memset(big, 'p', sizeof(big) - 1);
	bfs_diag_prefix(&d, -EIO, "%s", big); /* a prefix longer than the message room */
	assert_int_equal(strlen(d.msg), BFS_DIAG_MSG_MAX - 1);
	assert_int_equal(d.msg[0], 'p');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_wins),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_prefix_empty),
		cmocka_unit_test(test_prefix_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
