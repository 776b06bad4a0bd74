/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Byte-exact checks of the ISO 9660 writer's volume descriptors, path table and Rock Ridge
 * entries against ECMA-119 and RRIP 1.12, on small trees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/bytes.h"
#include "iso9660/writer.h"

static struct bfs_node *tree(void)
{
	struct bfs_node *root = bfs_node_new("", 0, BFS_NODE_DIR);
	struct bfs_node *f = bfs_node_new("hello.txt", 9, BFS_NODE_FILE);
	struct bfs_node *d = bfs_node_new("sub", 3, BFS_NODE_DIR);

	root->mode = d->mode = 0755;
	f->mode = 04755;
	f->size = 5;
	f->mtime.sec = 0; /* 1970-01-01 */
	assert_int_equal(bfs_node_add_child(root, f), 0);
	assert_int_equal(bfs_node_add_child(root, d), 0);
	assert_int_equal(bfs_tree_finalize(root), 0);
	return root;
}

/* find a SUSP entry with signature sig in a directory record */
static const uint8_t *susp(const uint8_t *rec, const char *sig)
{
	size_t len = rec[0], o = 33 + rec[32] + (rec[32] % 2 == 0);

	while (o + 4 <= len) {
		if (rec[o] == sig[0] && rec[o + 1] == sig[1])
			return rec + o;
		if (rec[o + 2] == 0)
			break;
		o += rec[o + 2];
	}
	return NULL;
}

static void test_layout(void **state)
{
	struct iso9660_writer_opts o = {.joliet = true, .rockridge = true, .level = 2};
	struct bfs_volume_info vi = {.volume_id = "TEST", .system_id = "LINUX", .application = "T"};
	struct bfs_node *root = tree();
	struct iso9660_writer *w = NULL;
	const struct bfs_extent_list *l;
	struct bfs_diag d = {0};
	uint64_t cur = 16;
	uint8_t *b;

	(void)state;
	assert_int_equal(iso9660_writer_new(&o, root, &d, &w), 0);
	assert_int_equal(iso9660_writer_plan_descriptors(w, &cur), 0);
	assert_int_equal(cur, 19); /* PVD, SVD, terminator */
	assert_int_equal(iso9660_writer_plan_meta(w, &cur), 0);
	root->children[0]->data_lba = cur; /* hello.txt */
	cur += 1;
	vi.volume_blocks = cur;
	assert_int_equal(iso9660_writer_finish(w, &vi), 0);
	l = iso9660_writer_extents(w);
	b = calloc(1, 2048 * 64);

	/* PVD */
	assert_int_equal(iso9660_writer_fill(w, &l->v[0], b), 0);
	assert_int_equal(b[0], 1);
	assert_memory_equal(b + 1, "CD001", 5);
	assert_int_equal(bfs_get_le32(b + 80), cur); /* volume space size, both byte orders */
	assert_int_equal(bfs_get_be32(b + 84), cur);
	assert_int_equal(bfs_get_le16(b + 128), 2048);
	assert_memory_equal(b + 40, "TEST                            ", 32);
	assert_int_equal(b[156], 34); /* root record */
	assert_int_equal(b[156 + 25], 0x02);
	assert_int_equal(b[881], 1);

	/* Joliet SVD: UCS-2 level 3 escape, UCS-2 BE volume id */
	assert_int_equal(iso9660_writer_fill(w, &l->v[1], b), 0);
	assert_int_equal(b[0], 2);
	assert_memory_equal(b + 88, "%/E", 3);
	assert_memory_equal(b + 40, "\0T\0E\0S\0T\0 ", 10);

	/* terminator */
	assert_int_equal(iso9660_writer_fill(w, &l->v[2], b), 0);
	assert_int_equal(b[0], 255);

	/* L path table of the primary tree: root (id 0x00, parent 1), then SUB */
	assert_int_equal(iso9660_writer_fill(w, &l->v[3], b), 0);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[8], 0);
	assert_int_equal(bfs_get_le16(b + 6), 1);
	assert_int_equal(b[10], 3);
	assert_memory_equal(b + 18, "SUB", 3);
	assert_int_equal(bfs_get_le16(b + 16), 1);

	/* root directory: ".", "..", HELLO.TXT;1, SUB with Rock Ridge */
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].kind == 5 /* directory */) {
			const uint8_t *r, *e;

			assert_int_equal(iso9660_writer_fill(w, &l->v[i], b), 0);
			r = b;
			e = susp(r, "SP");
			assert_non_null(e); /* SP first in the root's "." */
			assert_ptr_equal(e, r + 34);
			assert_int_equal(e[4], 0xBE);
			assert_int_equal(e[5], 0xEF);
			assert_non_null(susp(r, "CE")); /* ER goes to a continuation area */
			r += r[0];
			r += r[0]; /* skip ".." */
			assert_int_equal(r[32], 11);
			assert_memory_equal(r + 33, "HELLO.TXT;1", 11);
			assert_int_equal(bfs_get_le32(r + 2), root->children[0]->data_lba);
			assert_int_equal(bfs_get_le32(r + 10), 5);
			assert_int_equal(r[18], 70); /* 1970 */
			e = susp(r, "PX");
			assert_non_null(e);
			assert_int_equal(e[2], 44); /* RRIP 1.12 with inode number */
			assert_int_equal(bfs_get_le32(e + 4), 0104755);
			e = susp(r, "NM");
			assert_non_null(e);
			assert_memory_equal(e + 5, "hello.txt", 9);
			break;
		}
	}
	free(b);
	iso9660_writer_free(w);
	bfs_node_free(root);
}

/*
 * Rock Ridge relocation (RRIP 1.12 4.1.5) of a chain d1/d2/.../d10: d(k) is at level k+1,
 * so d8 (level 9) moves to RR_MOVED; d7 keeps a file record "D8" with CL.
 */
static void test_relocation(void **state)
{
	struct iso9660_writer_opts o = {.rockridge = true, .level = 2, .rr_relocate = true};
	struct bfs_volume_info vi = {.volume_id = "T", .system_id = "LINUX", .application = "T"};
	struct bfs_node *root = bfs_node_new("", 0, BFS_NODE_DIR), *p = root;
	struct iso9660_writer *w = NULL;
	const struct bfs_extent_list *l;
	struct bfs_diag d = {0};
	uint64_t cur = 16, lba_d8 = 0, lba_moved = 0, lba_d9 = 0, lba_re = 0;
	uint8_t *b = calloc(1, 2048 * 4);
	bool saw_cl = false, saw_re = false, saw_pl = false;

	(void)state;
	for (int i = 1; i <= 10; i++) {
		char n[8];
		struct bfs_node *c;

		snprintf(n, sizeof(n), "d%d", i);
		c = bfs_node_new(n, strlen(n), BFS_NODE_DIR);
		c->mode = 0755;
		assert_int_equal(bfs_node_add_child(p, c), 0);
		p = c;
	}
	assert_int_equal(bfs_tree_finalize(root), 0);
	assert_int_equal(iso9660_writer_new(&o, root, &d, &w), 0);
	assert_int_equal(iso9660_writer_plan_descriptors(w, &cur), 0);
	assert_int_equal(iso9660_writer_plan_meta(w, &cur), 0);
	vi.volume_blocks = cur;
	assert_int_equal(iso9660_writer_finish(w, &vi), 0);
	l = iso9660_writer_extents(w);

	/* path table: root, D1, _RR_MOVED (level 2, parent 1, after D1 by name), ... */
	assert_int_equal(iso9660_writer_fill(w, &l->v[2], b), 0); /* L table */
	{
		size_t o2 = 8 + 2, o3;

		assert_memory_equal(b + o2 + 8, "D1", 2);
		o3 = o2 + 8 + 2;
		assert_int_equal(bfs_get_le16(b + o3 + 6), 1); /* parent: the root */
		assert_memory_equal(b + o3 + 8, "_RR_MOVED", 9);
	}
	/* every directory: no level beyond 8; find the CL stand-in, RE and PL entries */
	for (size_t i = 0; i < l->n; i++) {
		const uint8_t *r, *e;
		size_t pos = 0;

		if (l->v[i].kind != 5)
			continue;
		assert_int_equal(iso9660_writer_fill(w, &l->v[i], b), 0);
		for (int k = 0; pos < 2048 && b[pos]; k++, pos += b[pos]) {
			r = b + pos;
			if (k == 1 && (e = susp(r, "PL"))) {
				saw_pl = true;
				lba_d8 = bfs_get_le32(e + 4); /* the original parent, D7 */
			}
			if (k >= 2 && (e = susp(r, "CL"))) {
				saw_cl = true;
				assert_int_equal(r[25] & 0x02, 0); /* a file record */
				assert_int_equal(bfs_get_le32(r + 10), 0);
				assert_memory_equal(r + 33, "D8", 2);
				lba_moved = bfs_get_le32(e + 4);
				lba_d9 = l->v[i].lba; /* the directory holding the stand-in: D7 */
			}
			if (k >= 2 && susp(r, "RE")) {
				saw_re = true;
				assert_int_equal(r[25] & 0x02, 0x02);
				assert_memory_equal(r + 33, "D8", 2);
				lba_re = bfs_get_le32(r + 2);
			}
			if (k >= 2 && r[32] == 9 && memcmp(r + 33, "_RR_MOVED", 9) == 0)
				assert_int_equal(r[25] & 0x01, 0x01); /* hidden */
		}
	}
	assert_true(saw_cl && saw_re && saw_pl);
	assert_int_equal(lba_d8, lba_d9); /* PL of the moved D8 names the stand-in's directory */
	assert_true(lba_moved != 0);
	assert_int_equal(lba_moved, lba_re); /* CL points at the moved directory */
	free(b);
	iso9660_writer_free(w);
	bfs_node_free(root);
}

/*
 * A file stored in sections (common/tree.h): one record per section in both trees, in file
 * order, each but the last with the multi-extent flag (ECMA-119 9.1.6 bit 7) and a whole
 * number of blocks; a section of 4 GiB and more split again; level 2 refuses it.
 */
static void check_section_records(const struct bfs_section *v, size_t nv, uint64_t size,
				  const uint64_t *want_lba, const uint32_t *want_size, size_t nwant)
{
	struct iso9660_writer_opts o = {.joliet = true, .rockridge = true, .level = 3};
	struct bfs_volume_info vi = {.volume_id = "T", .system_id = "LINUX", .application = "T"};
	struct bfs_node *root = tree();
	struct bfs_node *f = root->children[0];
	struct iso9660_writer *w = NULL;
	const struct bfs_extent_list *l;
	struct bfs_diag d = {0};
	uint64_t cur = 16;
	uint8_t *b = calloc(1, 2048 * 16);
	unsigned trees = 0;

	assert_non_null(b);
	f->size = size;
	assert_int_equal(bfs_node_set_sections(f, v, nv), 0);
	assert_int_equal(iso9660_writer_new(&o, root, &d, &w), 0);
	assert_int_equal(iso9660_writer_plan_descriptors(w, &cur), 0);
	assert_int_equal(iso9660_writer_plan_meta(w, &cur), 0);
	f->data_lba = cur++;
	vi.volume_blocks = cur;
	assert_int_equal(iso9660_writer_finish(w, &vi), 0);
	l = iso9660_writer_extents(w);
	for (size_t i = 0; i < l->n; i++) {
		const uint8_t *r = b, *first = NULL;
		size_t k = 0;

		if (l->v[i].kind != 5 /* directory */)
			continue;
		assert_int_equal(iso9660_writer_fill(w, &l->v[i], b), 0);
		/* the file's records: those that are not directories, after "." and ".." */
		for (r += r[0], r += r[0]; r[0]; r += r[0]) {
			if (r[25] & 0x02)
				continue;
			assert_true(k < nwant);
			if (!first)
				first = r;
			/* 0: the new region, at data_lba */
			assert_int_equal(bfs_get_le32(r + 2),
					 want_lba[k] ? want_lba[k] : f->data_lba);
			assert_int_equal(bfs_get_le32(r + 10), want_size[k]);
			assert_int_equal(r[25] & 0x80, k + 1 < nwant ? 0x80 : 0);
			if (k + 1 < nwant)
				assert_int_equal(want_size[k] % 2048, 0);
			assert_int_equal(r[32], first[32]); /* one name in every record */
			assert_memory_equal(r + 33, first + 33, r[32]);
			k++;
		}
		if (!first)
			continue; /* SUB */
		assert_int_equal(k, nwant);
		trees++;
	}
	assert_int_equal(trees, 2); /* ISO 9660 and Joliet */
	iso9660_writer_free(w);
	/* level 2 has one extent per file (ECMA-119 6.1.2) */
	o.level = 2;
	assert_int_equal(iso9660_writer_new(&o, root, &d, &w), -EFBIG);
	assert_non_null(strstr(d.msg, "sections"));
	assert_non_null(strstr(d.msg, "level 3"));
	free(b);
	bfs_node_free(root);
}

static void test_sections(void **state)
{
	/* two earlier extents, out of order on the medium, and the new region */
	const struct bfs_section a[] = {{.lba = 1000, .blocks = 2},
					{.lba = 500, .blocks = 1},
					{.blocks = 2, .is_new = true}};
	const uint64_t a_lba[] = {1000, 500, 0};
	const uint32_t a_size[] = {4096, 2048, 10000 - 6144};
	/* an earlier extent of 4 GiB + 4 KiB (two records) and a new one of 10 bytes */
	const struct bfs_section c[] = {{.lba = 1000, .blocks = (4ull << 30) / 2048 + 2},
					{.blocks = 1, .is_new = true}};
	const uint64_t c_lba[] = {1000, 1000 + 0xFFFFF800u / 2048, 0};
	const uint32_t c_size[] = {0xFFFFF800u, 2048 + 4096, 10};

	(void)state;
	check_section_records(a, 3, 10000, a_lba, a_size, 3);
	check_section_records(c, 2, (4ull << 30) + 4096 + 10, c_lba, c_size, 3);
}

static void test_level2_refuses_4g(void **state)
{
	struct iso9660_writer_opts o = {.rockridge = true, .level = 2};
	struct bfs_node *root = tree();
	struct iso9660_writer *w = NULL;
	struct bfs_diag d = {0};

	(void)state;
	root->children[0]->size = 4ull << 30;
	assert_int_equal(iso9660_writer_new(&o, root, &d, &w), -EFBIG);
	assert_non_null(strstr(d.msg, "/hello.txt"));
	o.level = 3;
	assert_int_equal(iso9660_writer_new(&o, root, &d, &w), 0);
	iso9660_writer_free(w);
	bfs_node_free(root);
}

/*
 * Without Rock Ridge no record has a System Use area: each is 33 bytes, its identifier and
 * the padding to an even length (ECMA-119 9.1.12), in the primary tree alone and with
 * Joliet. Both render records with no entries built at all (the scratch buffer is never
 * allocated), which must not hand memcpy a null source.
 */
static void check_plain_dirs(bool joliet)
{
	struct iso9660_writer_opts o = {.joliet = joliet, .level = 2};
	struct bfs_volume_info vi = {.volume_id = "T", .system_id = "LINUX", .application = "T"};
	struct bfs_node *root = tree();
	struct iso9660_writer *w = NULL;
	const struct bfs_extent_list *l;
	struct bfs_diag d = {0};
	uint64_t cur = 16;
	uint8_t *b = calloc(1, 2048 * 4);
	unsigned dirs = 0;

	assert_non_null(b);
	assert_int_equal(iso9660_writer_new(&o, root, &d, &w), 0);
	assert_int_equal(iso9660_writer_plan_descriptors(w, &cur), 0);
	assert_int_equal(iso9660_writer_plan_meta(w, &cur), 0);
	root->children[0]->data_lba = cur++;
	vi.volume_blocks = cur;
	assert_int_equal(iso9660_writer_finish(w, &vi), 0);
	l = iso9660_writer_extents(w);
	for (size_t i = 0; i < l->n; i++) {
		size_t pos = 0;

		assert_int_equal(iso9660_writer_fill(w, &l->v[i], b), 0);
		if (l->v[i].kind != 5 /* directory */)
			continue;
		dirs++;
		for (; pos < 2048 && b[pos]; pos += b[pos])
			assert_int_equal(b[pos], 33 + b[pos + 32] + (b[pos + 32] % 2 == 0));
	}
	assert_int_equal(dirs, joliet ? 4 : 2); /* root and SUB in each tree */
	free(b);
	iso9660_writer_free(w);
	bfs_node_free(root);
}

static void test_no_rockridge(void **state)
{
	(void)state;
	check_plain_dirs(false);
	check_plain_dirs(true);
}

/* a file node of 5 bytes under parent, its times (seconds) m, a, c */
static struct bfs_node *add_timed(struct bfs_node *parent, const char *name, int64_t m, int64_t a,
				  int64_t c)
{
	struct bfs_node *f = bfs_node_new(name, strlen(name), BFS_NODE_FILE);

	assert_non_null(f);
	f->mode = 0644;
	f->size = 5;
	f->mtime.sec = m;
	f->atime.sec = a;
	f->ctime.sec = c;
	assert_int_equal(bfs_node_add_child(parent, f), 0);
	return f;
}

struct tf_want {
	const char *name; /* the record's NM */
	uint8_t flags;
	uint8_t len;
	uint8_t second[3]; /* the seconds field of each date, in order */
};

/* the TF of each record of directory blocks b[0..size) named in want: as it says */
static unsigned check_tf(const uint8_t *b, size_t size, const struct tf_want *want, size_t nwant)
{
	unsigned seen = 0;

	for (size_t blk = 0; blk < size; blk += 2048)
		for (size_t pos = blk; pos < blk + 2048 && b[pos]; pos += b[pos]) {
			const uint8_t *tf = susp(b + pos, "TF"), *nm = susp(b + pos, "NM");

			assert_non_null(tf);
			for (size_t i = 0; nm && i < nwant; i++) {
				const struct tf_want *x = &want[i];

				if (nm[2] - 5u != strlen(x->name) ||
				    memcmp(nm + 5, x->name, nm[2] - 5u))
					continue;
				if (tf[4] != x->flags || tf[2] != x->len)
					fail_msg("%s: TF flags %#x of %u bytes, want %#x, %u",
						 x->name, tf[4], tf[2], x->flags, x->len);
				for (unsigned k = 0; k < (x->len - 5u) / 7; k++)
					assert_int_equal(tf[5 + 7 * k + 5], x->second[k]);
				/* the record's date is the modification time */
				assert_memory_equal(b + pos + 18, tf + 5, 7);
				seen++;
			}
		}
	return seen;
}

/*
 * TF holds the access and attribute change times only where they differ from the
 * modification time, which the record's date already holds and readers take for the
 * times left out: 12 bytes for a file whose times are equal (26 before). A directory of
 * 100 names like "f00.txt" made with SOURCE_DATE_EPOCH (every time the same) then fits in
 * 6 blocks, not 7: 1,000 blocks of the bench's 100,000-file session.
 */
static void test_tf_times(void **state)
{
	static const struct tf_want root_want[] = {
		{"same", 0x02, 12, {10}},      {"atime", 0x06, 19, {10, 20}},
		{"ctime", 0x0a, 19, {10, 30}}, {"both", 0x0e, 26, {10, 20, 30}},
		{"nsec", 0x02, 12, {10}}, /* below a second: the same in the 7-byte form */
	};
	static const struct tf_want sub_want[] = {{"f00.txt", 0x02, 12, {10}},
						  {"f99.txt", 0x02, 12, {10}}};
	struct iso9660_writer_opts o = {.joliet = true, .rockridge = true, .level = 2};
	struct bfs_volume_info vi = {.volume_id = "T", .system_id = "LINUX", .application = "T"};
	struct bfs_node *root = bfs_node_new("", 0, BFS_NODE_DIR);
	struct bfs_node *sub = bfs_node_new("sub", 3, BFS_NODE_DIR);
	struct iso9660_writer *w = NULL;
	const struct bfs_extent_list *l;
	struct bfs_diag d = {0};
	uint64_t cur = 16;
	uint8_t *b = calloc(1, 2048 * 64);
	unsigned dirs = 0;

	(void)state;
	assert_non_null(b);
	root->mtime.sec = root->atime.sec = root->ctime.sec = 10;
	sub->mtime = sub->atime = sub->ctime = root->mtime;
	assert_int_equal(bfs_node_add_child(root, sub), 0);
	add_timed(root, "same", 10, 10, 10);
	add_timed(root, "atime", 10, 20, 10);
	add_timed(root, "ctime", 10, 10, 30);
	add_timed(root, "both", 10, 20, 30);
	add_timed(root, "nsec", 10, 10, 10)->atime.nsec = 500000000;
	for (unsigned i = 0; i < 100; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%02u.txt", i);
		add_timed(sub, name, 10, 10, 10);
	}
	assert_int_equal(bfs_tree_finalize(root), 0);
	assert_int_equal(iso9660_writer_new(&o, root, &d, &w), 0);
	assert_int_equal(iso9660_writer_plan_descriptors(w, &cur), 0);
	assert_int_equal(iso9660_writer_plan_meta(w, &cur), 0);
	for (size_t i = 0; i < root->nchildren; i++)
		root->children[i]->data_lba = cur++;
	for (size_t i = 0; i < sub->nchildren; i++)
		sub->children[i]->data_lba = cur++;
	vi.volume_blocks = cur;
	assert_int_equal(iso9660_writer_finish(w, &vi), 0);
	l = iso9660_writer_extents(w);
	for (size_t i = 0; i < l->n; i++) {
		const struct bfs_extent *e = &l->v[i];

		if (e->kind != 5 /* directory */ || dirs++ >= 2)
			continue; /* the primary tree's root and SUB come first */
		assert_int_equal(iso9660_writer_fill(w, e, b), 0);
		if (dirs == 1) {
			assert_int_equal(check_tf(b, e->nblocks * 2048, root_want, 5), 5);
		} else {
			assert_int_equal(check_tf(b, e->nblocks * 2048, sub_want, 2), 2);
			assert_int_equal(e->nblocks, 6); /* 100 records of 110 bytes, 2 of 90 */
		}
	}
	assert_int_equal(dirs, 4);
	free(b);
	iso9660_writer_free(w);
	bfs_node_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),	   cmocka_unit_test(test_level2_refuses_4g),
		cmocka_unit_test(test_relocation), cmocka_unit_test(test_no_rockridge),
		cmocka_unit_test(test_sections),   cmocka_unit_test(test_tf_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
