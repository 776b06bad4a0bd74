/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Byte-exact checks of the UDF writer against ECMA-167 / OSTA UDF: anchor, descriptor
 * tags (checksum, CRC length, location), VRS, partition and the file set, for 1.02 and 2.50.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/bytes.h"
#include "udf/writer.h"

/* CRC-ITU-T (x^16 + x^12 + x^5 + 1), init 0, written out independently of the writer */
static uint16_t crc(const uint8_t *p, size_t n)
{
	uint32_t c = 0;

	for (size_t i = 0; i < n; i++)
		for (int b = 7; b >= 0; b--) {
			uint32_t bit = ((p[i] >> b) & 1) ^ ((c >> 15) & 1);

			c = ((c << 1) & 0xFFFF) ^ (bit ? 0x1021 : 0);
		}
	return (uint16_t)c;
}

static void check_tag(const uint8_t *p, uint16_t id, uint32_t loc)
{
	uint8_t sum = 0;

	for (int i = 0; i < 16; i++)
		if (i != 4)
			sum = (uint8_t)(sum + p[i]);
	assert_int_equal(bfs_get_le16(p), id);
	assert_int_equal(p[4], sum);
	assert_int_equal(p[5], 0);
	assert_int_equal(bfs_get_le32(p + 12), loc);
	assert_int_equal(bfs_get_le16(p + 8), crc(p + 16, bfs_get_le16(p + 10)));
}

static void run(uint16_t rev)
{
	struct udf_writer_opts o = {.revision = rev};
	struct bfs_volume_info vi = {.volume_id = "TEST", .uuid = 0x1234};
	struct bfs_node *root = bfs_node_new("", 0, BFS_NODE_DIR);
	struct bfs_node *f = bfs_node_new("f", 1, BFS_NODE_FILE);
	struct udf_writer *w = NULL;
	const struct bfs_extent_list *l;
	struct bfs_diag d = {0};
	uint64_t cur = 19, part;
	uint8_t *b = calloc(64, 2048);

	f->size = 3;
	assert_int_equal(bfs_node_add_child(root, f), 0);
	assert_int_equal(bfs_tree_finalize(root), 0);
	assert_int_equal(udf_writer_new(&o, root, &d, &w), 0);
	assert_int_equal(udf_writer_plan_vrs(w, &cur), 0);
	assert_int_equal(udf_writer_plan_vds(w, 0, &cur), 0);
	assert_int_equal(cur, 257);
	part = cur;
	assert_int_equal(udf_writer_plan_meta(w, &cur), 0);
	if (rev >= 0x0250)
		assert_int_equal(cur % 32, 0); /* metadata and mirror 32-block aligned */
	f->data_lba = cur++;
	assert_int_equal(udf_writer_plan_tail(w, &cur), 0);
	vi.volume_blocks = cur;
	assert_int_equal(udf_writer_finish(w, &vi), 0);
	l = udf_writer_extents(w);
	for (size_t i = 0; i < l->n; i++) {
		const struct bfs_extent *e = &l->v[i];

		assert_true(e->nblocks <= 64);
		assert_int_equal(udf_writer_fill(w, e, b), 0);
		if (e->lba == 19) { /* VRS */
			assert_memory_equal(b + 1, "BEA01", 5);
			assert_memory_equal(b + 2049, rev >= 0x0200 ? "NSR03" : "NSR02", 5);
			assert_memory_equal(b + 4097, "TEA01", 5);
		} else if (e->lba == 32) { /* main VDS: PVD IUVD PD LVD USD TD */
			static const uint16_t ids[] = {1, 4, 5, 6, 7, 8};

			for (int k = 0; k < 6; k++)
				check_tag(b + k * 2048, ids[k], 32 + k);
			assert_int_equal(bfs_get_le16(b + 2), rev >= 0x0200 ? 3 : 2);
			assert_int_equal(bfs_get_le32(b + 2 * 2048 + 188), part); /* PD start */
			assert_int_equal(bfs_get_le32(b + 2 * 2048 + 184), 1);	  /* read-only */
			assert_int_equal(bfs_get_le32(b + 3 * 2048 + 268), rev >= 0x0250 ? 2 : 1);
			assert_memory_equal(b + 3 * 2048 + 217, "*OSTA UDF Compliant", 19);
			assert_int_equal(bfs_get_le16(b + 3 * 2048 + 216 + 24), rev);
		} else if (e->lba == 256 || e->lba == cur - 1) { /* anchors */
			check_tag(b, 2, (uint32_t)e->lba);
			assert_int_equal(bfs_get_le16(b + 10), 496);
			assert_int_equal(bfs_get_le32(b + 20), 32);
			assert_int_equal(bfs_get_le32(b + 28), 48);
		}
	}
	assert_int_equal(l->v[l->n - 1].lba, cur - 1); /* closing anchor is the last block */
	free(b);
	udf_writer_free(w);
	bfs_node_free(root);
}

static void test_102(void **state)
{
	(void)state;
	run(0x0102);
}

static void test_201(void **state)
{
	(void)state;
	run(0x0201);
}

static void test_250(void **state)
{
	(void)state;
	run(0x0250);
}

static void test_bad_revision(void **state)
{
	struct udf_writer_opts o = {.revision = 0x0260};
	struct bfs_node *root = bfs_node_new("", 0, BFS_NODE_DIR);
	struct udf_writer *w = NULL;
	struct bfs_diag d = {0};

	(void)state;
	assert_int_equal(udf_writer_new(&o, root, &d, &w), -EINVAL);
	bfs_node_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_102),
		cmocka_unit_test(test_201),
		cmocka_unit_test(test_250),
		cmocka_unit_test(test_bad_revision),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
