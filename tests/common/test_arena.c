/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/tree.h"

static void test_arena_alignment_and_zero(void **state)
{
	struct bfs_arena a = {0};

	(void)state;
	for (size_t i = 1; i < 5000; i++) {
		uint8_t *p = bfs_arena_alloc(&a, i % 97 + 1);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 8, 0);
		for (size_t k = 0; k < i % 97 + 1; k++)
			assert_int_equal(p[k], 0);
		memset(p, 0xa5, i % 97 + 1); /* ASan catches an overlap or overflow */
	}
	bfs_arena_done(&a);
	assert_null(a.head);
}

static void test_arena_memdup_packed_and_large(void **state)
{
	struct bfs_arena a = {0};
	const char *s1, *s2, *big;
	static char src[200000];

	(void)state;
	memset(src, 'x', sizeof(src));
	s1 = bfs_arena_memdup(&a, "abc", 3);
	s2 = bfs_arena_memdup(&a, "defg", 4);
	assert_ptr_equal(s2, s1 + 3);		      /* byte strings are packed */
	big = bfs_arena_memdup(&a, src, sizeof(src)); /* larger than a chunk */
	assert_memory_equal(big, src, sizeof(src));
	/* the current chunk keeps being used after a large request */
	assert_ptr_equal(bfs_arena_memdup(&a, "h", 1), s2 + 4);
	assert_memory_equal(s1, "abcdefgh", 8);
	bfs_arena_done(&a);
}

static void test_src_path_derived(void **state)
{
	_cleanup_(bfs_node_freep) struct bfs_node *root = bfs_node_new("", 0, BFS_NODE_DIR);
	struct bfs_node *d = bfs_node_new("d", 1, BFS_NODE_DIR);
	struct bfs_node *f = bfs_node_new("f.txt", 5, BFS_NODE_FILE);
	struct bfs_node *g = bfs_node_new("g", 1, BFS_NODE_FILE);
	char buf[64];

	(void)state;
	assert_int_equal(bfs_node_add_child(root, d), 0);
	assert_int_equal(bfs_node_add_child(d, f), 0);
	assert_int_equal(bfs_node_add_child(root, g), 0);
	assert_int_equal(bfs_node_src_path(f, buf, sizeof(buf)), -ENOENT);
	d->src_path = strdup("/srv/data/");
	assert_int_equal(bfs_node_src_path(f, buf, sizeof(buf)), 15);
	assert_string_equal(buf, "/srv/data/f.txt");
	free(d->src_path);
	d->src_path = strdup("/srv/data");
	assert_int_equal(bfs_node_src_path(f, buf, sizeof(buf)), 15);
	assert_string_equal(buf, "/srv/data/f.txt");
	assert_int_equal(bfs_node_src_path(f, buf, 15), -ENAMETOOLONG);
	g->src_path = strdup("/elsewhere/x");
	assert_int_equal(bfs_node_src_path(g, buf, sizeof(buf)), 12);
	assert_string_equal(buf, "/elsewhere/x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena_alignment_and_zero),
		cmocka_unit_test(test_arena_memdup_packed_and_large),
		cmocka_unit_test(test_src_path_derived),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
