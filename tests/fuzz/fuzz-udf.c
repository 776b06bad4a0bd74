/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the UDF reader: the input is an image; it is opened (block size found
 * from the anchors) and the whole tree walked, reading every file. Built as a libFuzzer
 * target with -Dfuzzing=true (clang); otherwise as a replay driver for the test suite:
 *	fuzz-udf [--mutations N] FILE...
 * runs each FILE and N deterministic mutations of it through the same function. UDF checks
 * a CRC over every descriptor, so most mutations change bytes of a descriptor and then make
 * its tag (and those of the FIDs in its block) valid again, reaching the parsers behind it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/log.h"
#include "replay-driver.h"
#include "udf/layout.h"
#include "udf/reader.h"

struct mem {
	const uint8_t *data;
	size_t size;
};

static int mem_read(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf)
{
	const struct mem *m = userdata;
	uint64_t off = lba * 2048, len = (uint64_t)n * 2048;

	if (lba > UINT64_MAX / 2048 || off >= m->size)
		return -ENXIO;
	memset(buf, 0, (size_t)len); /* the image may end mid-sector */
	memcpy(buf, m->data + off, (size_t)BFS_MIN(len, m->size - off));
	return 0;
}

#define DEPTH_MAX 16

struct mem;

struct walk {
	struct udf_reader *r;
	const struct mem *m;
	unsigned depth;
	uint64_t stack[DEPTH_MAX]; /* the directories being walked */
	unsigned long entries;
	uint64_t bytes; /* read so far: at most 16 MiB an input */
	uint8_t buf[65536];
};

static void read_file(struct walk *w, const struct udf_entry *e)
{
	uint64_t off = 0;

	while (off < e->size && w->bytes < (16u << 20)) {
		int64_t n = udf_reader_pread(w->r, e, off, w->buf, sizeof(w->buf));

		if (n <= 0)
			break;
		off += (uint64_t)n;
		w->bytes += (uint64_t)n;
	}
	/* random access: one byte is left at the end, never more */
	if (e->size > 0 && udf_reader_pread(w->r, e, e->size - 1, w->buf, 100) > 1)
		abort();
}

/*
 * Where an append would point at the file's data again: the blocks named must hold what
 * pread gives (the first block's worth), or an append would record another file's bytes.
 */
static void check_extent(struct walk *w, const struct mem *m, const struct udf_entry *e)
{
	uint64_t abs;
	size_t n = (size_t)BFS_MIN(e->size, (uint64_t)2048);
	uint8_t blk[2048];

	if (udf_reader_file_extent(w->r, e, &abs) < 0 || !n)
		return;
	if (mem_read((void *)m, abs, 1, blk) < 0 ||
	    udf_reader_pread(w->r, e, 0, w->buf, n) != (int64_t)n)
		return; /* beyond the input, or data that no longer reads */
	if (memcmp(blk, w->buf, n) != 0)
		abort();
}

static int visit(const struct udf_entry *e, void *userdata)
{
	struct walk *w = userdata;
	uint64_t key = (uint64_t)e->icb_part << 32 | e->icb_lbn;

	if (++w->entries > 5000)
		return 1;
	if (e->name_len != strlen(e->name) || memchr(e->name, '/', e->name_len) ||
	    !strcmp(e->name, ".") || !strcmp(e->name, ".."))
		abort(); /* names are sanitised */
	if (e->type == BFS_NODE_FILE) {
		read_file(w, e);
		check_extent(w, w->m, e);
	}
	if (e->type != BFS_NODE_DIR || w->depth == DEPTH_MAX)
		return 0;
	for (unsigned i = 0; i < w->depth; i++)
		if (w->stack[i] == key)
			return 0; /* a directory that names an ancestor */
	w->stack[w->depth++] = key;
	if (udf_reader_readdir(w->r, e, visit, w) > 0)
		return 1;
	w->depth--;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = {data, size};
	static struct walk w;
	struct bfs_diag diag = {0};
	struct udf_reader *r = NULL;
	struct udf_entry root, e;

	if (udf_reader_open(mem_read, &m, size / 2048, 0, 0, &diag, &r) < 0)
		return 0;
	{
		struct udf_run runs[8];
		size_t n = 0;
		uint64_t blocks = 0;

		for (unsigned copy = 0; copy < 2; copy++) /* an append's earlier metadata runs */
			if (udf_reader_metadata_runs(r, copy, runs, 8, &n, &blocks) == 0 && n > 8)
				abort();
	}
	if (udf_reader_root(r, &root) == 0) {
		w.r = r;
		w.m = &m;
		w.depth = 0;
		w.entries = 0;
		w.bytes = 0;
		(void)visit(&root, &w);
		udf_entry_done(&root);
	}
	if (udf_reader_lookup(r, "/a/b/../c", &e) == 0)
		udf_entry_done(&e);
	udf_reader_free(r);
	return 0;
}

#ifndef BFS_LIBFUZZER
/* Make the tag at p (of a descriptor of len bytes at most) valid again */
static void retag(uint8_t *p, size_t len)
{
	uint16_t crclen = bfs_get_le16(p + UDF_TAG_CRC_LEN);
	uint8_t sum = 0;

	if ((size_t)crclen + UDF_TAG_SIZE <= len)
		bfs_put_le16(p + UDF_TAG_CRC, udf_crc_itu(p + UDF_TAG_SIZE, crclen));
	for (int i = 0; i < UDF_TAG_SIZE; i++)
		if (i != UDF_TAG_CHECKSUM)
			sum = (uint8_t)(sum + p[i]);
	p[UDF_TAG_CHECKSUM] = sum;
}

static bool tag_ok(const uint8_t *p)
{
	uint8_t sum = 0;

	for (int i = 0; i < UDF_TAG_SIZE; i++)
		if (i != UDF_TAG_CHECKSUM)
			sum = (uint8_t)(sum + p[i]);
	return sum == p[UDF_TAG_CHECKSUM] &&
	       (bfs_get_le16(p + 2) == 2 || bfs_get_le16(p + 2) == 3) &&
	       bfs_get_le16(p) <= UDF_TAG_EFE;
}

/* A 512-byte unit holding a valid tag, chosen at random: its offset, or SIZE_MAX */
static size_t pick_descriptor(const uint8_t *data, size_t size, uint64_t *seed)
{
	size_t n = size / 512, start = n ? (size_t)(fuzz_next_rand(seed) % n) : 0;

	for (size_t i = 0; i < n; i++) {
		size_t off = ((start + i) % n) * 512;

		if (tag_ok(data + off) && bfs_get_le16(data + off + 12) != 0xFFFF)
			return off;
	}
	return SIZE_MAX;
}

size_t fuzz_mutate(uint8_t *mut, const uint8_t *data, size_t size, uint64_t *seed)
{
	unsigned nflip = 1 + (unsigned)(fuzz_next_rand(seed) % 8);
	size_t at = fuzz_next_rand(seed) % 4 ? pick_descriptor(data, size, seed) : SIZE_MAX;

	memcpy(mut, data, size);
	if (at == SIZE_MAX) {
		for (unsigned j = 0; j < nflip; j++)
			mut[fuzz_next_rand(seed) % size] = (uint8_t)fuzz_next_rand(seed);
		return size;
	}
	/* bytes of one descriptor (the first 512 of it), then its tag and its FIDs' again */
	for (unsigned j = 0; j < nflip; j++)
		mut[at + fuzz_next_rand(seed) % BFS_MIN((size_t)512, size - at)] =
			(uint8_t)fuzz_next_rand(seed);
	if (fuzz_next_rand(seed) % 4 == 0)
		return size; /* a broken tag now and then */
	for (size_t o = at + 4; o + UDF_TAG_SIZE <= BFS_MIN(size, at + 2048); o += 4)
		if (bfs_get_le16(mut + o) == UDF_TAG_FID && bfs_get_le16(mut + o + 2) >= 2 &&
		    bfs_get_le16(mut + o + 2) <= 3)
			retag(mut + o, BFS_MIN(size, at + 2048) - o);
	retag(mut + at, BFS_MIN(size - at, (size_t)4096));
	return size;
}

static void quiet(int level, const char *msg, void *userdata)
{
	(void)level, (void)msg, (void)userdata;
}

int main(int argc, char **argv)
{
	bfs_log_set_sink(quiet, NULL); /* hostile images make many warnings */
	return fuzz_replay_main(argc, argv, 200);
}
#endif
