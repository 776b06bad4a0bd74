/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The merge of an append (engine/append.h), over a disc held in memory: session 1 is made
 * by the engine from a directory, session 2 from another one merged with it. The merged
 * tree keeps session 1's files at their addresses (BFS_NODE_PRIOR) with the manifest's
 * hashes, leaves the old manifest out, lets a new file replace an old one (a warning), and
 * starts the UDF partition where session 1's did; session 2, read back through the disc
 * tree, holds every file with its bytes, and its UDF volume points at session 1's file
 * entries for the files kept. Without a manifest the kept files are hashed from
 * the disc; a disc that cannot be read fails the merge naming --new-tree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/tree.h"
#include "engine/append.h"
#include "engine/disctree.h"
#include "engine/image.h"
#include "udf/reader.h"

#define DISC_BLOCKS 16384u /* 32 MiB */

static char dir1[] = "/tmp/burnfs-append1.XXXXXX";
static char dir2[] = "/tmp/burnfs-append2.XXXXXX";
static uint8_t *disc;
static bool disc_broken;

static void put_file(const char *dir, const char *name, const char *text, size_t repeat)
{
	char p[1100];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	for (size_t i = 0; i < repeat; i++)
		fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char d[600];

	(void)state;
	if (!mkdtemp(dir1) || !mkdtemp(dir2))
		return -1;
	snprintf(d, sizeof(d), "%s/sub", dir1);
	mkdir(d, 0755);
	put_file(dir1, "a.txt", "one\n", 1);
	put_file(dir1, "big", "0123456789abcdef", 200000); /* 3.2 MB, several chunks */
	put_file(dir1, "sub/x", "x1\n", 1);
	snprintf(d, sizeof(d), "%s/sub", dir2);
	mkdir(d, 0755);
	put_file(dir2, "a.txt", "replaced\n", 1);
	put_file(dir2, "sub/y", "y2\n", 1);
	put_file(dir2, "new", "new\n", 1000);
	disc = calloc(DISC_BLOCKS, 2048);
	return disc ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir1, dir2);
	free(disc);
	return system(cmd);
}

static int disc_read(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf)
{
	(void)userdata;
	if (disc_broken)
		return -EIO;
	if (lba + n > DISC_BLOCKS)
		return -ENXIO;
	memcpy(buf, disc + lba * 2048, (size_t)n * 2048);
	return 0;
}

static struct bfs_node *scan(const char *dir)
{
	struct eng_source src = {.path = dir};
	struct eng_scan_opts so = {.have_epoch = true, .epoch = 1700000000};
	struct bfs_diag diag = {0};
	struct bfs_node *root = NULL;

	assert_int_equal(eng_scan(&src, 1, &so, &diag, &root), 0);
	return root;
}

/* Stream an image of root into the disc at io's start; its length in blocks. */
static uint64_t burn(struct bfs_node *root, struct eng_image_opts *io)
{
	struct bfs_diag diag = {0};
	struct eng_image *img = NULL;
	struct eng_image_info info;
	uint64_t at;
	ssize_t n;

	io->media = ENG_MEDIA_DVD;
	io->have_epoch = true;
	io->epoch = 1700000000;
	io->ring_bytes = 1u << 20;
	assert_int_equal(eng_image_new(io, root, &diag, &img), 0);
	eng_image_info(img, &info);
	assert_true(info.start_lba + info.blocks <= DISC_BLOCKS);
	assert_int_equal(eng_stream_start(img), 0);
	at = info.start_lba;
	while ((n = eng_stream_read(img, disc + at * 2048, 256)) > 0)
		at += (uint64_t)n;
	assert_int_equal(n, 0);
	eng_image_free(img);
	return info.blocks;
}

static void sha256(const void *p, size_t len, uint8_t out[32])
{
	unsigned l = 32;

	assert_int_equal(EVP_Digest(p, len, out, &l, EVP_sha256(), NULL), 1);
}

/* Bytes of path in the session at start, read back through the disc tree. */
static size_t read_back(uint64_t start, uint64_t end, const char *path, uint8_t *buf, size_t cap)
{
	struct bfs_diag diag = {0};
	struct eng_disctree *t = NULL;
	struct eng_dnode d = {0};
	int64_t n;

	assert_int_equal(eng_disctree_open(disc_read, NULL, start, end, ENG_TREE_AUTO, &diag, &t),
			 0);
	assert_int_equal(eng_disctree_fs(t), ENG_TREE_UDF);
	assert_int_equal(eng_disctree_lookup(t, path, &d), 0);
	n = eng_disctree_pread(t, &d, 0, buf, cap);
	assert_true(n >= 0);
	eng_dnode_done(&d);
	eng_disctree_free(t);
	return (size_t)n;
}

/* The absolute block of path's file entry in the session at start (partition at 257). */
static uint64_t entry_block(uint64_t start, uint64_t end, const char *path)
{
	struct bfs_diag diag = {0};
	struct eng_disctree *t = NULL;
	struct eng_dnode d = {0};
	uint64_t b;

	assert_int_equal(eng_disctree_open(disc_read, NULL, start, end, ENG_TREE_AUTO, &diag, &t),
			 0);
	assert_int_equal(eng_disctree_lookup(t, path, &d), 0);
	assert_non_null(d.udf);
	b = 257 + d.udf->icb_lbn;
	eng_dnode_done(&d);
	eng_disctree_free(t);
	return b;
}

static struct bfs_node *child(struct bfs_node *dir, const char *name)
{
	return bfs_node_find_child(dir, name, strlen(name));
}

static void test_merge(void **state, bool manifest)
{
	struct bfs_node *r1 = scan(dir1), *r2 = scan(dir2), *n;
	struct eng_image_opts io = {.manifest = manifest};
	struct eng_session s1 = {.number = 1, .start = 0};
	struct bfs_diag diag = {0};
	struct eng_append *a = NULL;
	struct eng_append_info info;
	uint8_t want[32], buf[64];
	static uint8_t big[3200000];
	uint64_t start2;

	(void)state;
	memset(disc, 0, (size_t)DISC_BLOCKS * 2048);
	s1.length = burn(r1, &io);
	assert_int_equal(eng_append_merge(disc_read, NULL, &s1, &s1, r2, &diag, &a), 0);
	eng_append_info(a, &info);
	assert_int_equal(info.session, 1);
	assert_int_equal(info.tree, ENG_TREE_ROCKRIDGE); /* a hybrid session: its fullest tree */
	assert_int_equal(info.replaced, 1);		 /* a.txt */
	assert_true(diag.nwarnings >= 1);
	assert_int_equal(info.kept, 2); /* big, sub/x */
	assert_int_equal(info.hashed, manifest ? 0 : 2);
	assert_int_equal(info.partition_start, 257); /* session 1's UDF partition */
	assert_null(child(r2, ".burnfs"));	     /* the old manifest stays behind */
	n = child(r2, "big");
	assert_non_null(n);
	assert_true(n->flags & BFS_NODE_PRIOR);
	assert_true(n->data_lba > 0 && n->data_lba < s1.length);
	assert_false(child(r2, "a.txt")->flags & BFS_NODE_PRIOR);
	assert_false(child(r2, "new")->flags & BFS_NODE_PRIOR);
	assert_non_null(child(child(r2, "sub"), "y"));
	assert_true(child(child(r2, "sub"), "x")->flags & BFS_NODE_PRIOR);

	/* session 2 after session 1, its manifest holding the kept files' hashes */
	io = (struct eng_image_opts){.manifest = true, .start_lba = s1.length};
	eng_append_apply(a, false, &io);
	assert_non_null(io.prior_sha);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t) "0123456789abcdef"[i % 16];
	sha256(big, sizeof(big), want);
	assert_memory_equal(io.prior_sha(n, io.prior_userdata), want, 32);
	start2 = s1.length;
	{
		uint64_t len2 = burn(r2, &io);
		static uint8_t back[3200001];

		assert_int_equal(read_back(start2, start2 + len2, "/big", back, sizeof(back)),
				 sizeof(big));
		assert_memory_equal(back, big, sizeof(big));
		assert_int_equal(read_back(start2, start2 + len2, "/a.txt", buf, sizeof(buf)), 9);
		assert_memory_equal(buf, "replaced\n", 9);
		assert_int_equal(read_back(start2, start2 + len2, "/sub/x", buf, sizeof(buf)), 3);
		assert_memory_equal(buf, "x1\n", 3);
		assert_int_equal(read_back(start2, start2 + len2, "/sub/y", buf, sizeof(buf)), 3);
		/* session 2 is small: the kept data was not written again */
		assert_true(len2 < s1.length);
		/* UDF 1.02: an unchanged file keeps its entry in session 1, a new one's is in 2 */
		assert_true(entry_block(start2, start2 + len2, "/big") < s1.length);
		assert_true(entry_block(start2, start2 + len2, "/sub/x") < s1.length);
		assert_true(entry_block(start2, start2 + len2, "/new") >= start2);
	}
	eng_append_free(a);
	bfs_node_free(r1);
	bfs_node_free(r2);
}

static void test_with_manifest(void **state)
{
	test_merge(state, true);
}

static void test_without_manifest(void **state)
{
	test_merge(state, false);
}

static void test_unreadable(void **state)
{
	struct bfs_node *r1 = scan(dir1), *r2 = scan(dir2);
	struct eng_image_opts io = {.manifest = true};
	struct eng_session s1 = {.number = 1, .start = 0};
	struct bfs_diag diag = {0};
	struct eng_append *a = NULL;

	(void)state;
	s1.length = burn(r1, &io);
	disc_broken = true;
	assert_true(eng_append_merge(disc_read, NULL, &s1, &s1, r2, &diag, &a) < 0);
	disc_broken = false;
	assert_null(a);
	assert_non_null(strstr(diag.msg, "--new-tree"));
	assert_non_null(strstr(diag.msg, "session 1"));
	/* the new tree is untouched */
	assert_null(child(r2, "big"));
	bfs_node_free(r1);
	bfs_node_free(r2);
}

/*
 * A file of two extents out of order (what another writer may leave, and what a sectioned
 * file of an earlier append is): kept where it is as sections, not copied, and read back
 * whole from the next session.
 */
static uint8_t frag_sha[32];

static const uint8_t *frag_prior_sha(const struct bfs_node *n, void *userdata)
{
	(void)n;
	(void)userdata;
	return frag_sha;
}

static void test_fragmented_kept(void **state)
{
	struct bfs_node *r1 = scan(dir1), *r2 = bfs_node_new("", 0, BFS_NODE_DIR), *r3 = scan(dir2);
	struct bfs_node *f = bfs_node_new("frag", 4, BFS_NODE_FILE), *n;
	struct eng_image_opts io = {.manifest = true};
	struct eng_session s1 = {.number = 1, .start = 0}, s2 = {.number = 2};
	struct bfs_diag diag = {0};
	struct eng_append *a = NULL;
	struct eng_append_info info;
	static uint8_t want[3201024], back[3201025];
	const uint64_t cut = 800 * 2048;
	uint64_t big_lba, len3;

	(void)state;
	memset(disc, 0, (size_t)DISC_BLOCKS * 2048);
	s1.length = burn(r1, &io);
	big_lba = child(r1, "big")->data_lba;
	/* session 2: frag is big's blocks from 800 on (its last one padded), then 0..799 */
	{
		const struct bfs_section v[] = {{.lba = big_lba + 800, .blocks = 763},
						{.lba = big_lba, .blocks = 800}};

		memcpy(want, disc + (big_lba + 800) * 2048, 763 * 2048);
		memcpy(want + 763 * 2048, disc + big_lba * 2048, cut);
		sha256(want, sizeof(want), frag_sha);
		f->size = sizeof(want);
		f->flags = BFS_NODE_PRIOR;
		f->mode = 0644;
		assert_int_equal(bfs_node_set_sections(f, v, 2), 0);
		assert_int_equal(bfs_node_add_child(r2, f), 0);
		assert_int_equal(bfs_tree_finalize(r2), 0);
	}
	io = (struct eng_image_opts){.manifest = true,
				     .start_lba = s1.length,
				     .prior_sha = frag_prior_sha,
				     .has_udf_partition_start = true,
				     .udf_partition_start = 257};
	s2.start = s1.length;
	s2.length = burn(r2, &io);
	assert_int_equal(read_back(s2.start, s2.start + s2.length, "/frag", back, sizeof(back)),
			 sizeof(want));
	assert_memory_equal(back, want, sizeof(want));

	/* session 3 over session 2: frag stays in its two extents */
	assert_int_equal(eng_append_merge(disc_read, NULL, &s2, &s1, r3, &diag, &a), 0);
	eng_append_info(a, &info);
	assert_int_equal(info.copied, 0);
	n = child(r3, "frag");
	assert_non_null(n);
	assert_true(n->flags & BFS_NODE_PRIOR);
	assert_int_equal(n->nsections, 2);
	assert_int_equal(n->sections[0].lba, big_lba + 800);
	assert_int_equal(n->sections[1].lba, big_lba);
	assert_false(n->sections[0].is_new || n->sections[1].is_new);
	io = (struct eng_image_opts){.manifest = true, .start_lba = s2.start + s2.length};
	eng_append_apply(a, false, &io);
	len3 = burn(r3, &io);
	assert_int_equal(read_back(io.start_lba, io.start_lba + len3, "/frag", back, sizeof(back)),
			 sizeof(want));
	assert_memory_equal(back, want, sizeof(want));
	assert_true(len3 < 763); /* its data was not written again */
	eng_append_free(a);
	bfs_node_free(r1);
	bfs_node_free(r2);
	bfs_node_free(r3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_with_manifest),
		cmocka_unit_test(test_without_manifest),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_fragmented_kept),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
