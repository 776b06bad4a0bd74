/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image stream's hashes: chunk XXH3-128 values equal those of the bytes delivered,
 * whatever the ring size; files_in names the file at an LBA; a session addressed at a start
 * block keeps its length and hashes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/diag.h"
#include "common/tree.h"
#include "engine/image.h"
#include "pattern-file.h"

static char tmpl[] = "/tmp/burnfs-stream.XXXXXX";

static int setup(void **state)
{
	char d[512];

	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(d, sizeof(d), "%s/sub", tmpl);
	mkdir(d, 0755);
	put_file(tmpl, "a", 5000, 1);
	put_file(tmpl, "big", 3 * 1024 * 1024 + 77, 2); /* spans chunks */
	put_file(d, "c", 2048, 3);
	put_file(d, "empty", 0, 4);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	return system(cmd) == 0 ? 0 : -1;
}

struct found {
	const char *want;
	int hits;
};

static void on_file(const struct bfs_node *f, uint64_t first, uint64_t last, void *userdata)
{
	struct found *fd = userdata;

	assert_true(first <= last);
	if (strcmp(f->name, fd->want) == 0)
		fd->hits++;
}

/* The image through a ring of ring bytes from block start; chunk hashes when hashes. */
static void check(size_t ring, uint64_t start, bool hashes)
{
	struct eng_source src = {.path = tmpl};
	struct eng_scan_opts so = {.have_epoch = true, .epoch = 1700000000};
	struct eng_image_opts io = {.media = ENG_MEDIA_DVD,
				    .have_epoch = true,
				    .epoch = 1700000000,
				    .ring_bytes = ring,
				    .start_lba = start,
				    .manifest = true,
				    .hashes = hashes};
	struct bfs_diag diag = {0};
	_cleanup_(bfs_node_freep) struct bfs_node *root = NULL;
	_cleanup_(eng_image_freep) struct eng_image *img = NULL;
	struct eng_image_info info;
	const struct eng_hash128 *h;
	size_t nh, nchunks;
	uint8_t *all;
	uint64_t got = 0;
	struct found fd = {.want = "big"};
	const struct bfs_node *big;

	assert_int_equal(eng_scan(&src, 1, &so, &diag, &root), 0);
	assert_int_equal(eng_image_new(&io, root, &diag, &img), 0);
	eng_image_info(img, &info);
	assert_int_equal(info.start_lba, start);
	all = malloc(info.blocks * 2048);
	assert_non_null(all);
	assert_int_equal(eng_stream_start(img), 0);
	for (;;) {
		ssize_t n = eng_stream_read(img, all + got * 2048, 300);

		assert_true(n >= 0);
		if (n == 0)
			break;
		got += (uint64_t)n;
	}
	assert_int_equal(got, info.blocks);
	h = eng_image_chunk_hashes(img, &nh);
	/* a manifest alone needs the files' SHA-256, not the chunks' XXH3 */
	nchunks = hashes ? (info.blocks + ENG_CHUNK_BLOCKS - 1) / ENG_CHUNK_BLOCKS : 0;
	assert_int_equal(nh, nchunks);
	assert_true(hashes == (h != NULL));
	for (size_t i = 0; i < nchunks; i++) {
		size_t len = (size_t)((i + 1) * ENG_CHUNK_BLOCKS <= info.blocks
					      ? ENG_CHUNK_BLOCKS
					      : info.blocks - i * ENG_CHUNK_BLOCKS) *
			     2048;
		XXH128_hash_t x = XXH3_128bits(all + i * ENG_CHUNK_BLOCKS * 2048, len);

		assert_true(h[i].hi == x.high64 && h[i].lo == x.low64);
	}
	/* the file holding the middle of "big" */
	big = bfs_node_find_child(root, "big", 3);
	assert_non_null(big);
	assert_true(big->data_lba >= start);
	assert_memory_equal(all + (big->data_lba - start) * 2048 + 1000,
			    (uint8_t[]){(uint8_t)((1000 * 131 + 2) % 251)}, 1);
	eng_image_files_in(img, big->data_lba + 700, 3, on_file, &fd);
	assert_int_equal(fd.hits, 1);
	fd = (struct found){.want = "SHA256SUMS"}; /* the manifest is planned last */
	eng_image_files_in(img, 0, start + info.blocks, on_file, &fd);
	assert_int_equal(fd.hits, 1);
	free(all);
}

static void test_hashes_small_ring(void **state)
{
	(void)state;
	check(1u << 20, 0, true);
}

static void test_hashes_large_ring(void **state)
{
	(void)state;
	check(64u << 20, 0, true);
}

static void test_hashes_at_start_block(void **state)
{
	(void)state;
	check(2u << 20, 12345, true);
}

static void test_manifest_without_chunks(void **state)
{
	(void)state;
	check(2u << 20, 0, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashes_small_ring),
		cmocka_unit_test(test_hashes_large_ring),
		cmocka_unit_test(test_hashes_at_start_block),
		cmocka_unit_test(test_manifest_without_chunks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
