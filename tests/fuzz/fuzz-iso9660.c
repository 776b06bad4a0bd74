/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the ISO 9660 / Joliet / Rock Ridge reader: the input is an image; every
 * view is opened and the whole tree walked, reading every file. Built as a libFuzzer target
 * with -Dfuzzing=true (clang); otherwise as a replay driver for the test suite:
 *	fuzz-iso9660 [--mutations N] FILE...
 * runs each FILE and N deterministic mutations of it (random bytes overwritten, seeded by
 * the file's index) through the same function, so that ASan/UBSan check the reader on
 * hostile input in every test run. A third of the mutations of an image holding zisofs
 * data aim at its first header and block pointers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "iso9660/reader.h"
#include "replay-driver.h"

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
	/* the image may end mid-block: the rest reads as zeros */
	memset(buf, 0, (size_t)len);
	memcpy(buf, m->data + off, (size_t)BFS_MIN(len, m->size - off));
	return 0;
}

struct walk {
	struct iso9660_reader *r;
	unsigned depth;
	unsigned long entries;
	uint8_t buf[65536];
};

static int visit(const struct iso9660_entry *e, void *userdata)
{
	struct walk *w = userdata;

	if (++w->entries > 5000)
		return 1;
	if (e->type == BFS_NODE_FILE) {
		uint64_t off = 0;

		while (off < e->size && off < (1u << 20)) {
			int64_t n = iso9660_reader_pread(w->r, e, off, w->buf, sizeof(w->buf));

			if (n <= 0)
				break;
			off += (uint64_t)n;
		}
		/* random access too: zisofs reads the block pointers of any block (a size
		 * the image controls) and inflates one block for a few bytes */
		if (e->size > 0 && iso9660_reader_pread(w->r, e, e->size / 2, w->buf, 3) >= 0 &&
		    iso9660_reader_pread(w->r, e, e->size - 1, w->buf, 100) > 1)
			abort(); /* one byte is left at the end, never more */
	} else if (e->type == BFS_NODE_DIR && w->depth < 16) {
		int r;

		w->depth++;
		r = iso9660_reader_readdir(w->r, e, visit, w);
		w->depth--;
		if (r > 0)
			return r;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum iso9660_view views[] = {ISO9660_VIEW_AUTO, ISO9660_VIEW_JOLIET,
						  ISO9660_VIEW_PLAIN};
	struct mem m = {data, size};
	static struct walk w;

	for (size_t v = 0; v < BFS_ARRAY_SIZE(views); v++) {
		struct iso9660_reader_opts o = {.view = views[v]};
		struct bfs_diag diag = {0};
		struct iso9660_reader *r = NULL;
		struct iso9660_entry root;

		if (iso9660_reader_open(mem_read, &m, &o, &diag, &r) < 0)
			continue;
		if (iso9660_reader_root(r, &root) == 0) {
			w.r = r;
			w.depth = 0;
			w.entries = 0;
			if (iso9660_reader_readdir(r, &root, visit, &w) < 0)
				w.entries = 0; /* an error is a fine outcome */
			iso9660_entry_done(&root);
		}
		iso9660_reader_free(r);
	}
	return 0;
}

#ifndef BFS_LIBFUZZER
size_t fuzz_mutate(uint8_t *mut, const uint8_t *data, size_t size, uint64_t *seed)
{
	unsigned nflip = 1 + (unsigned)(fuzz_next_rand(seed) % 8);

	static const uint8_t zf_magic[8] = {0x37, 0xE4, 0x53, 0x96, 0xC9, 0xDB, 0xD6, 0x07};
	const uint8_t *zf = memmem(data, size, zf_magic, sizeof(zf_magic));

	memcpy(mut, data, size);
	if (zf && fuzz_next_rand(seed) % 3 == 0) {
		/* a zisofs file: its header and block pointers (sizes, offsets, order) */
		size_t at = (size_t)(zf - data), span = BFS_MIN(size - at, (size_t)256);

		for (unsigned j = 0; j < nflip; j++)
			mut[at + fuzz_next_rand(seed) % span] = (uint8_t)fuzz_next_rand(seed);
		return size;
	}
	for (unsigned j = 0; j < nflip; j++) {
		/* aim at the metadata: the first 64 blocks most of the time */
		uint64_t lim = fuzz_next_rand(seed) % 4 ? BFS_MIN((uint64_t)size, 64u * 2048)
							: (uint64_t)size;

		mut[fuzz_next_rand(seed) % lim] = (uint8_t)fuzz_next_rand(seed);
	}
	return size;
}

static void quiet(int level, const char *msg, void *userdata)
{
	(void)level, (void)msg, (void)userdata;
}

int main(int argc, char **argv)
{
	/* quiet the reader's warnings (hostile images make many); sanitizer reports stay */
	bfs_log_set_sink(quiet, NULL);
	return fuzz_replay_main(argc, argv, 200);
}
#endif
