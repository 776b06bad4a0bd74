/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for --boot-replay's reader (engine/image.h eng_boot_replay_read()): the boot
 * setup of an ISO the user names, often a rescue disc from the internet. It reads the
 * volume descriptors, the El Torito boot record and catalog (iso9660_eltorito_parse()),
 * walks the tree for the boot files' paths and reads a hybrid's MBR. The input is the
 * image, written to a temporary file; the catalog parser also runs on each of the input's
 * first 64 blocks as if it were a catalog. libFuzzer with -Dfuzzing=true; otherwise a
 * replay driver: fuzz-boot [--mutations N] FILE... runs each image and N seeded mutations,
 * most of them aimed at what the reader reads: the system area (MBR, GPT), the primary
 * volume descriptor, the boot record and the catalog it points at.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/diag.h"
#include "common/log.h"
#include "common/macro.h"
#include "engine/image.h"
#include "iso9660/eltorito.h"
#include "replay-driver.h"

#define MAX_INPUT (8u << 20)
#define BLOCK	  2048u

/* The temporary file each input is written to (made once, removed at exit). */
static char path[] = "/tmp/fuzz-boot.XXXXXX";
static int fd = -1;

static void remove_file(void)
{
	(void)unlink(path);
}

static void to_file(const uint8_t *data, size_t size)
{
	if (fd < 0) {
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		atexit(remove_file);
	}
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
}

static void parse_catalogs(const uint8_t *data, size_t size)
{
	struct eltorito_entry e[ELTORITO_MAX_ENTRIES];

	for (size_t off = 0; off + BLOCK <= size && off < 64 * BLOCK; off += BLOCK) {
		size_t n = SIZE_MAX;

		if (iso9660_eltorito_parse(data + off, e, ELTORITO_MAX_ENTRIES, &n) == 0 &&
		    (n == 0 || n > ELTORITO_MAX_ENTRIES))
			abort();
	}
}

static void check_path(const char *p)
{
	if (p && (p[0] != '/' || strlen(p) >= 4096))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eng_boot_replay rp = {0};
	struct eng_boot_opts o = {0};
	struct bfs_diag d = {0};

	if (size > MAX_INPUT)
		return 0;
	bfs_log_set_level(LOG_CRIT);
	parse_catalogs(data, size);
	to_file(data, size);
	if (eng_boot_replay_read(path, &rp, &d) < 0) {
		if (!d.msg[0])
			abort(); /* a refusal must say why */
		return 0;
	}
	/* what was read back is fit to plan an image with */
	check_path(rp.bios);
	check_path(rp.efi);
	check_path(rp.catalog);
	if (!rp.bios && !rp.efi)
		abort(); /* a setup with no boot image is refused, not replayed */
	if (memchr(rp.volume_id, '\0', sizeof(rp.volume_id)) == NULL)
		abort();
	eng_boot_replay_opts(&rp, &o);
	eng_boot_replay_done(&rp);
	return 0;
}

#ifndef BFS_LIBFUZZER
/* Where a mutation goes: the blocks the reader reads first, or anywhere. */
static size_t pick_offset(const uint8_t *data, size_t size, uint64_t *seed)
{
	uint32_t cat = size >= 18 * BLOCK ? bfs_get_le32(data + 17 * BLOCK + 0x47) : 0;

	switch (fuzz_next_rand(seed) % 6) {
	case 0: /* MBR and GPT header */
		return fuzz_next_rand(seed) % BFS_MIN(size, (size_t)1024);
	case 1: /* GPT entries and the rest of the system area */
		return fuzz_next_rand(seed) % BFS_MIN(size, (size_t)16 * BLOCK);
	case 2: /* primary volume descriptor */
		return BFS_MIN(size - 1, 16 * BLOCK + fuzz_next_rand(seed) % BLOCK);
	case 3: /* boot record */
		return BFS_MIN(size - 1, 17 * BLOCK + fuzz_next_rand(seed) % BLOCK);
	case 4: /* the catalog it points at: its validation entry and first two entries */
		if (cat && (uint64_t)cat * BLOCK + BLOCK <= size)
			return (size_t)cat * BLOCK + fuzz_next_rand(seed) % 128;
		/* fall through */
	default:
		return fuzz_next_rand(seed) % size;
	}
}

/* Bytes overwritten (values readers trip on, or random), and sometimes the image cut short. */
size_t fuzz_mutate(uint8_t *mut, const uint8_t *data, size_t size, uint64_t *seed)
{
	static const uint8_t values[] = {0x00, 0x01, 0x7f, 0x80, 0xef, 0xff, 0x55, 0xaa, 0x88};
	unsigned nflip = 1 + (unsigned)(fuzz_next_rand(seed) % 8);
	size_t len = size;

	memcpy(mut, data, size);
	if (!size)
		return 0;
	for (unsigned j = 0; j < nflip; j++) {
		size_t at = pick_offset(data, size, seed);
		uint64_t how = fuzz_next_rand(seed) % 16;

		if (at >= len)
			continue;
		if (how == 0)
			len = at + 1; /* cut short */
		else if (how < 8)
			mut[at] = values[fuzz_next_rand(seed) % sizeof(values)];
		else
			mut[at] = (uint8_t)fuzz_next_rand(seed);
	}
	return len;
}

int main(int argc, char **argv)
{
	return fuzz_replay_main(argc, argv, 2000);
}
#endif
