/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Byte-exact checks of the UDF writer against ECMA-167 / OSTA UDF: anchor, descriptor
 * tags (checksum, CRC length, location), VRS, partition and the file set, for 1.02 and 2.50.
 * The numbers are typed here from the standards, not taken from udf/layout.h, which the
 * writer and the reader share: a typo there, or a field written under a wrong name, is
 * caught here and not by a round trip through the reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/bytes.h"
#include "udf/layout.h"
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

/*
 * A one-file volume (the file's data at one block after the metadata) rendered whole into
 * memory as a disc would hold it. Returns the buffer, *nblocks its blocks, *data the file's.
 */
static uint8_t *render(uint16_t rev, uint64_t *nblocks, uint64_t *data)
{
	struct udf_writer_opts o = {.revision = rev};
	struct bfs_volume_info vi = {.volume_id = "TEST", .uuid = 0x1234};
	struct bfs_node *root = bfs_node_new("", 0, BFS_NODE_DIR);
	struct bfs_node *f = bfs_node_new("f", 1, BFS_NODE_FILE);
	struct udf_writer *w = NULL;
	const struct bfs_extent_list *l;
	struct bfs_diag d = {0};
	uint64_t cur = 19;
	uint8_t *img;

	f->size = 3;
	assert_int_equal(bfs_node_add_child(root, f), 0);
	assert_int_equal(bfs_tree_finalize(root), 0);
	assert_int_equal(udf_writer_new(&o, root, &d, &w), 0);
	assert_int_equal(udf_writer_plan_vrs(w, &cur), 0);
	assert_int_equal(udf_writer_plan_vds(w, 0, &cur), 0);
	assert_int_equal(udf_writer_plan_meta(w, &cur), 0);
	*data = f->data_lba = cur++;
	assert_int_equal(udf_writer_plan_tail(w, &cur), 0);
	vi.volume_blocks = *nblocks = cur;
	assert_int_equal(udf_writer_finish(w, &vi), 0);
	img = calloc(cur, 2048);
	assert_non_null(img);
	l = udf_writer_extents(w);
	for (size_t i = 0; i < l->n; i++)
		assert_int_equal(udf_writer_fill(w, &l->v[i], img + l->v[i].lba * 2048), 0);
	udf_writer_free(w);
	bfs_node_free(root);
	return img;
}

/*
 * An (E)FE at p: ECMA-167 4/14.9 puts L_EA at 168, L_AD at 172 and the descriptors at 176;
 * 4/14.17 (EFE) at 208, 212 and 216. One AD of ad_size bytes; returns where it is.
 */
static const uint8_t *check_fe(const uint8_t *p, bool efe, uint8_t file_type, uint32_t ad_size)
{
	uint32_t l_ea = efe ? 208 : 168, l_ad = efe ? 212 : 172, ads = efe ? 216 : 176;

	assert_int_equal(bfs_get_le16(p), efe ? 266 : 261);
	assert_int_equal(p[16 + 11], file_type); /* ICB tag 4/14.6 at 16, file type at 11 */
	assert_int_equal(bfs_get_le32(p + l_ea), 0);
	assert_int_equal(bfs_get_le32(p + l_ad), ad_size);
	assert_int_equal(bfs_get_le16(p + 10), ads + ad_size - 16); /* the tag's CRC length */
	check_tag(p, efe ? 266 : 261, bfs_get_le32(p + 12));
	return p + ads;
}

/*
 * 2.50: the LVD's second map (at 440 + 6) is the metadata partition map of UDF 2.2.10:
 * metadata file at 40, mirror at 44, bitmap at 48 (none), each an EFE of file type 250 and
 * 251 whose one short_ad gives the file's extent. Returns the metadata file's first block.
 */
static uint64_t check_meta_map(const uint8_t *img, const uint8_t *lvd, uint64_t part)
{
	const uint8_t *m = lvd + 446, *ad, *mirror;

	assert_int_equal(bfs_get_le32(lvd + 264), 6 + 64); /* map table length */
	assert_int_equal(lvd[440], 1);
	assert_int_equal(lvd[441], 6);
	assert_int_equal(m[0], 2);
	assert_int_equal(m[1], 64);
	assert_memory_equal(m + 5, "*UDF Metadata Partition", 23);
	assert_int_equal(bfs_get_le32(m + 48), 0xFFFFFFFF);
	assert_int_equal(m[58] & 1, 1); /* duplicate metadata */
	mirror = check_fe(img + (part + bfs_get_le32(m + 44)) * 2048, true, 251, 8);
	ad = check_fe(img + (part + bfs_get_le32(m + 40)) * 2048, true, 250, 8);
	assert_int_not_equal(bfs_get_le32(mirror + 4), bfs_get_le32(ad + 4)); /* own copy */
	return part + bfs_get_le32(ad + 4);
}

/*
 * From the LVD (main VDS block 3) through the file set to the one file's data, at the
 * places ECMA-167 and UDF give, as a reader that knows only the standards would go.
 */
static void walk(uint16_t rev)
{
	bool efe = rev >= 0x0200, meta = rev >= 0x0250;
	uint64_t nblocks, data, part, base;
	uint8_t *img = render(rev, &nblocks, &data);
	const uint8_t *lvd = img + 35 * 2048, *fsd, *root, *fid, *fe, *ad;

	part = bfs_get_le32(img + 34 * 2048 + 188); /* PD 3/10.5: starting location */
	base = meta ? check_meta_map(img, lvd, part) : part;
	/* LVD 3/10.6: Logical Volume Contents Use at 248, the FSD's long_ad (UDF 2.2.4.4) */
	assert_int_equal(bfs_get_le32(lvd + 248), 2048);
	assert_int_equal(bfs_get_le16(lvd + 248 + 8), meta ? 1 : 0);
	fsd = img + (base + bfs_get_le32(lvd + 248 + 4)) * 2048;
	check_tag(fsd, 256, bfs_get_le32(lvd + 248 + 4));
	/* FSD 4/14.1: the root's ICB at 400 */
	root = img + (base + bfs_get_le32(fsd + 400 + 4)) * 2048;
	ad = check_fe(root, efe, 4, 8);
	/* the directory: a parent FID (4/14.4: characteristics at 18), then f's */
	fid = img + (base + bfs_get_le32(ad + 4)) * 2048;
	check_tag(fid, 257, bfs_get_le32(ad + 4));
	assert_int_equal(fid[18], 0x0A);
	fid += 40;
	check_tag(fid, 257, bfs_get_le32(ad + 4));
	assert_int_equal(fid[19], 2); /* L_FI: compression id 8 and "f" */
	assert_int_equal(fid[38], 8);
	assert_int_equal(fid[39], 'f');
	fe = img + (base + bfs_get_le32(fid + 20 + 4)) * 2048;
	ad = check_fe(fe, efe, 5, meta ? 16 : 8); /* 2.50: long_ads, in the physical partition */
	assert_int_equal(bfs_get_le64(fe + 56), 3);
	assert_int_equal(bfs_get_le32(ad), 3);
	assert_int_equal(part + bfs_get_le32(ad + 4), data);
	if (meta)
		assert_int_equal(bfs_get_le16(ad + 8), 0);
	assert_true(data < nblocks);
	free(img);
}

/*
 * A file stored in sections (common/tree.h): its (E)FE holds one AD per section in file
 * order (short_ads, long_ads in 2.50), each but the last whole blocks, the new region's at
 * data_lba; a section outside the partition is refused.
 */
static void sections(uint16_t rev)
{
	struct udf_writer_opts o = {.revision = rev};
	struct bfs_volume_info vi = {.volume_id = "TEST", .uuid = 0x1234};
	struct bfs_node *root = bfs_node_new("", 0, BFS_NODE_DIR);
	struct bfs_node *f = bfs_node_new("f", 1, BFS_NODE_FILE);
	bool efe = rev >= 0x0200, meta = rev >= 0x0250;
	size_t ad_size = meta ? 16 : 8;
	struct udf_writer *w = NULL;
	const struct bfs_extent_list *l;
	struct bfs_diag d = {0};
	uint64_t cur = 19, part;
	uint8_t *img;
	bool seen = false;

	f->size = 3 * 2048 + 5;
	assert_int_equal(bfs_node_add_child(root, f), 0);
	assert_int_equal(bfs_tree_finalize(root), 0);
	assert_int_equal(udf_writer_new(&o, root, &d, &w), 0);
	assert_int_equal(udf_writer_plan_vrs(w, &cur), 0);
	assert_int_equal(udf_writer_plan_vds(w, 0, &cur), 0);
	part = cur;
	{
		/* two earlier runs in the partition, the later one first, then the new block */
		const struct bfs_section v[] = {{.lba = part + 2, .blocks = 2},
						{.lba = part + 1, .blocks = 1},
						{.blocks = 1, .is_new = true}};

		assert_int_equal(bfs_node_set_sections(f, v, 3), 0);
	}
	assert_int_equal(udf_writer_plan_meta(w, &cur), 0);
	f->data_lba = cur++;
	assert_int_equal(udf_writer_plan_tail(w, &cur), 0);
	vi.volume_blocks = cur;
	assert_int_equal(udf_writer_finish(w, &vi), 0);
	img = calloc(cur, 2048);
	assert_non_null(img);
	l = udf_writer_extents(w);
	for (size_t i = 0; i < l->n; i++)
		assert_int_equal(udf_writer_fill(w, &l->v[i], img + l->v[i].lba * 2048), 0);
	for (uint64_t k = part; k < cur; k++) {
		const uint8_t *p = img + k * 2048, *ad;
		static const uint32_t len[] = {4096, 2048, 5};
		uint64_t at[3];

		if (bfs_get_le16(p) != (efe ? 266 : 261) || p[16 + 11] != 5)
			continue; /* not the file's entry */
		ad = check_fe(p, efe, 5, (uint32_t)(3 * ad_size));
		at[0] = part + 2, at[1] = part + 1, at[2] = f->data_lba;
		assert_int_equal(bfs_get_le64(p + 56), 3 * 2048 + 5); /* information length */
		for (size_t j = 0; j < 3; j++) {
			assert_int_equal(bfs_get_le32(ad + j * ad_size), len[j]);
			assert_int_equal(part + bfs_get_le32(ad + j * ad_size + 4), at[j]);
			if (meta)
				assert_int_equal(bfs_get_le16(ad + j * ad_size + 8), 0);
		}
		seen = true;
	}
	assert_true(seen);
	free(img);
	udf_writer_free(w);
	/* a section below the partition */
	{
		const struct bfs_section v[] = {{.lba = 100, .blocks = 3},
						{.blocks = 1, .is_new = true}};

		assert_int_equal(bfs_node_set_sections(f, v, 2), 0);
	}
	cur = 19;
	assert_int_equal(udf_writer_new(&o, root, &d, &w), 0);
	assert_int_equal(udf_writer_plan_vrs(w, &cur), 0);
	assert_int_equal(udf_writer_plan_vds(w, 0, &cur), 0);
	assert_int_equal(udf_writer_plan_meta(w, &cur), 0);
	f->data_lba = cur++;
	assert_int_equal(udf_writer_plan_tail(w, &cur), 0);
	vi.volume_blocks = cur;
	assert_int_equal(udf_writer_finish(w, &vi), -EINVAL);
	assert_non_null(strstr(d.msg, "outside the partition"));
	udf_writer_free(w);
	bfs_node_free(root);
}

static void test_sections_102(void **state)
{
	(void)state;
	sections(0x0102);
}

static void test_sections_250(void **state)
{
	(void)state;
	sections(0x0250);
}

static void test_walk_102(void **state)
{
	(void)state;
	walk(0x0102);
}

static void test_walk_201(void **state)
{
	(void)state;
	walk(0x0201);
}

static void test_walk_250(void **state)
{
	(void)state;
	walk(0x0250);
}

/* The writer's names against the standards' numbers, typed here */
static void test_layout_numbers(void **state)
{
	static const struct {
		const char *name;
		unsigned have, spec;
	} f[] = {
		{"UDF_FE_L_EA", UDF_FE_L_EA, 168},
		{"UDF_FE_L_AD", UDF_FE_L_AD, 172},
		{"UDF_FE_SIZE", UDF_FE_SIZE, 176},
		{"UDF_FE_UNIQUE_ID", UDF_FE_UNIQUE_ID, 160},
		{"UDF_FE_IMPL_ID", UDF_FE_IMPL_ID, 128},
		{"UDF_EFE_L_EA", UDF_EFE_L_EA, 208},
		{"UDF_EFE_L_AD", UDF_EFE_L_AD, 212},
		{"UDF_EFE_SIZE", UDF_EFE_SIZE, 216},
		{"UDF_EFE_OBJECT_SIZE", UDF_EFE_OBJECT_SIZE, 64},
		{"UDF_EFE_BTIME", UDF_EFE_BTIME, 104},
		{"UDF_LVD_FSD", UDF_LVD_FSD, 248},
		{"UDF_LVD_MAP_LEN", UDF_LVD_MAP_LEN, 264},
		{"UDF_LVD_INTEGRITY", UDF_LVD_INTEGRITY, 432},
		{"UDF_LVD_MAPS", UDF_LVD_MAPS, 440},
		{"UDF_PMM_FILE", UDF_PMM_FILE, 40},
		{"UDF_PMM_MIRROR", UDF_PMM_MIRROR, 44},
		{"UDF_PMM_BITMAP", UDF_PMM_BITMAP, 48},
		{"UDF_PMM_FLAGS", UDF_PMM_FLAGS, 58},
		{"UDF_PVD_RECORDED", UDF_PVD_RECORDED, 376},
		{"UDF_LVID_TABLES", UDF_LVID_TABLES, 80},
		{"UDF_FSD_ROOT", UDF_FSD_ROOT, 400},
		{"UDF_FSD_DOMAIN", UDF_FSD_DOMAIN, 416},
		{"UDF_FID_ICB", UDF_FID_ICB, 20},
		{"UDF_LONG_AD_UNIQUE_ID", UDF_LONG_AD_UNIQUE_ID, 12},
	};
	unsigned bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].have != f[i].spec) {
			print_error("%s is %u, the standard says %u\n", f[i].name, f[i].have,
				    f[i].spec);
			bad++;
		}
	assert_int_equal(bad, 0);
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

/* The descriptor CRC, eight bytes at a time, against the bit-by-bit definition above. */
static void test_crc(void **state)
{
	uint8_t b[600];

	(void)state;
	srand(3);
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)rand();
	for (size_t off = 0; off < 9; off++)
		for (size_t n = 0; n + off <= sizeof(b); n += 1 + n / 7)
			assert_int_equal(udf_crc_itu(b + off, n), crc(b + off, n));
	/* the check value of CRC-16/XMODEM */
	assert_int_equal(udf_crc_itu((const uint8_t *)"123456789", 9), 0x31C3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_102),	     cmocka_unit_test(test_201),
		cmocka_unit_test(test_250),	     cmocka_unit_test(test_bad_revision),
		cmocka_unit_test(test_walk_102),     cmocka_unit_test(test_walk_201),
		cmocka_unit_test(test_walk_250),     cmocka_unit_test(test_layout_numbers),
		cmocka_unit_test(test_sections_102), cmocka_unit_test(test_sections_250),
		cmocka_unit_test(test_crc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
