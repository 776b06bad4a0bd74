/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/tree.h"

static struct bfs_node *mk(struct bfs_node *dir, const char *name, enum bfs_node_type t)
{
	struct bfs_node *n = bfs_node_new(name, strlen(name), t);

	assert_non_null(n);
	if (dir)
		assert_int_equal(bfs_node_add_child(dir, n), 0);
	return n;
}

static void test_tree_children_sorted_bytewise(void **state)
{
	_cleanup_(bfs_node_freep) struct bfs_node *root = mk(NULL, "", BFS_NODE_DIR);
	const char *want[] = {"A", "B", "a", "ab", "b", "\xc3\xa9"};

	(void)state;
	mk(root, "b", BFS_NODE_FILE);
	mk(root, "\xc3\xa9", BFS_NODE_FILE);
	mk(root, "ab", BFS_NODE_FILE);
	mk(root, "A", BFS_NODE_FILE);
	mk(root, "a", BFS_NODE_DIR);
	mk(root, "B", BFS_NODE_FILE);
	assert_int_equal(root->nchildren, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(root->children[i]->name, want[i]);
}

static void test_tree_duplicate_rejected(void **state)
{
	_cleanup_(bfs_node_freep) struct bfs_node *root = mk(NULL, "", BFS_NODE_DIR);
	struct bfs_node *dup = bfs_node_new("x", 1, BFS_NODE_FILE);

	(void)state;
	mk(root, "x", BFS_NODE_FILE);
	assert_int_equal(bfs_node_add_child(root, dup), -EEXIST);
	bfs_node_free(dup);
	assert_non_null(bfs_node_find_child(root, "x", 1));
	assert_null(bfs_node_find_child(root, "y", 1));
}

struct order {
	char seen[64][16];
	size_t n;
};

static int record(struct bfs_node *n, void *ud)
{
	struct order *o = ud;

	strcpy(o->seen[o->n++], n->parent ? n->name : "/");
	return 0;
}

static void test_tree_walk_preorder_and_finalize(void **state)
{
	_cleanup_(bfs_node_freep) struct bfs_node *root = mk(NULL, "", BFS_NODE_DIR);
	struct bfs_node *a = mk(root, "a", BFS_NODE_DIR), *b = mk(root, "b", BFS_NODE_DIR);
	struct bfs_node *f1 = mk(a, "f1", BFS_NODE_FILE), *f2 = mk(b, "f2", BFS_NODE_FILE);
	struct bfs_node *c = mk(a, "c", BFS_NODE_DIR);
	struct order o = {0};
	struct bfs_tree_stats st;
	char *p;

	(void)state;
	mk(c, "deep", BFS_NODE_FILE);
	f1->src_dev = f2->src_dev = 7;
	f1->src_ino = f2->src_ino = 99;
	f1->size = f2->size = 10;
	assert_int_equal(bfs_node_walk(root, record, &o), 0);
	assert_int_equal(o.n, 7);
	assert_string_equal(o.seen[0], "/");
	assert_string_equal(o.seen[1], "a");
	assert_string_equal(o.seen[2], "c");
	assert_string_equal(o.seen[3], "deep");
	assert_string_equal(o.seen[4], "f1");
	assert_string_equal(o.seen[5], "b");
	assert_string_equal(o.seen[6], "f2");

	assert_int_equal(bfs_tree_finalize(root), 0);
	assert_int_equal(root->ino, 1);
	assert_int_equal(root->nlink, 4);
	assert_int_equal(a->nlink, 3);
	assert_null(f1->link_primary);
	assert_ptr_equal(f2->link_primary, f1);
	assert_int_equal(f1->nlink, 2);
	assert_int_equal(f2->nlink, 2);

	bfs_tree_stats(root, &st);
	assert_int_equal(st.dirs, 4);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.data_bytes, 10);
	assert_int_equal(st.max_depth, 3);

	p = bfs_node_path(c->children[0]);
	assert_string_equal(p, "/a/c/deep");
	free(p);
}

/* Sections (several extents of one file): what bfs_node_set_sections() takes and gives. */
static void test_tree_sections(void **state)
{
	_cleanup_(bfs_node_freep) struct bfs_node *f = mk(NULL, "f", BFS_NODE_FILE);
	const struct bfs_section ok[] = {{.lba = 900, .blocks = 2},
					 {.lba = 0, .blocks = 1, .is_new = true},
					 {.lba = 50, .blocks = 1},
					 {.lba = 1, .blocks = 2, .is_new = true}};
	const struct bfs_section bad_sum[] = {{.lba = 900, .blocks = 2},
					      {.blocks = 3, .is_new = true}};
	const struct bfs_section bad_gap[] = {{.lba = 1, .blocks = 5, .is_new = true},
					      {.lba = 900, .blocks = 1}};
	const struct bfs_section bad_zero[] = {{.lba = 900, .blocks = 0},
					       {.blocks = 6, .is_new = true}};
	struct bfs_section many[BFS_SECTIONS_MAX + 1];
	uint64_t lba, bytes;

	(void)state;
	f->size = 5 * 2048 + 7; /* 6 blocks */
	f->data_lba = 4000;
	assert_int_equal(bfs_node_new_bytes(f), f->size);
	assert_int_equal(bfs_node_set_sections(f, ok, 4), 0);
	assert_int_equal(f->nsections, 4);
	assert_int_equal(bfs_node_new_bytes(f), 2048 + 2048 + 7); /* the new ones, to the end */
	bfs_node_section(f, 0, &lba, &bytes);
	assert_int_equal(lba, 900);
	assert_int_equal(bytes, 4096);
	bfs_node_section(f, 1, &lba, &bytes);
	assert_int_equal(lba, 4000);
	assert_int_equal(bytes, 2048);
	bfs_node_section(f, 3, &lba, &bytes);
	assert_int_equal(lba, 4001);
	assert_int_equal(bytes, 2048 + 7);
	assert_int_equal(bfs_node_set_sections(f, bad_sum, 2), -EINVAL);
	assert_int_equal(bfs_node_set_sections(f, bad_gap, 2), -EINVAL);
	assert_int_equal(bfs_node_set_sections(f, bad_zero, 2), -EINVAL);
	assert_int_equal(f->nsections, 4); /* a refusal keeps what was there */
	for (size_t i = 0; i < BFS_ARRAY_SIZE(many); i++)
		many[i] = (struct bfs_section){.lba = 10 + i, .blocks = 1};
	f->size = BFS_ARRAY_SIZE(many) * 2048;
	assert_int_equal(bfs_node_set_sections(f, many, BFS_ARRAY_SIZE(many)), -E2BIG);
	assert_int_equal(bfs_node_set_sections(f, many, BFS_ARRAY_SIZE(many) - 1), -EINVAL);
	f->size -= 2048;
	assert_int_equal(bfs_node_set_sections(f, many, BFS_ARRAY_SIZE(many) - 1), 0);
	assert_int_equal(bfs_node_new_bytes(f), 0);
	assert_int_equal(bfs_node_set_sections(f, NULL, 0), 0);
	assert_null(f->sections);
	assert_int_equal(bfs_node_new_bytes(f), f->size);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_children_sorted_bytewise),
		cmocka_unit_test(test_tree_duplicate_rejected),
		cmocka_unit_test(test_tree_walk_preorder_and_finalize),
		cmocka_unit_test(test_tree_sections),
	};
	return cmocka_run_group_tests_name("tree", tests, NULL, NULL);
}
