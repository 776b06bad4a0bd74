/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the manifest parser (a disc's /.burnfs/SHA256SUMS is untrusted input).
 * libFuzzer with -Dfuzzing=true; otherwise a replay driver: fuzz-manifest [--mutations N]
 * FILE... runs each file and N seeded mutations of it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/verify.h"
#include "replay-driver.h"

static int count(const uint8_t sha[32], const char *name, void *userdata)
{
	(void)sha;
	*(size_t *)userdata += strlen(name);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bfs_diag diag = {0};
	size_t total = 0;

	if (eng_manifest_parse(data, size, count, &total, &diag) < 0 && diag.msg[0] == '\0')
		abort(); /* a failure must say why */
	return 0;
}

#ifndef BFS_LIBFUZZER
size_t fuzz_mutate(uint8_t *mut, const uint8_t *data, size_t size, uint64_t *seed)
{
	size_t len = (size_t)(fuzz_next_rand(seed) % (uint64_t)size) + 1;
	unsigned nflip = 1 + (unsigned)(fuzz_next_rand(seed) % 6);

	memcpy(mut, data, len);
	for (unsigned j = 0; j < nflip; j++)
		mut[fuzz_next_rand(seed) % len] = (uint8_t)fuzz_next_rand(seed);
	return len;
}

int main(int argc, char **argv)
{
	return fuzz_replay_main(argc, argv, 2000);
}
#endif
