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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(int argc, char **argv)
{
	unsigned long mutations = 2000;
	int i = 1;

	if (i + 1 < argc && !strcmp(argv[i], "--mutations"))
		mutations = strtoul(argv[i + 1], NULL, 10), i += 2;
	for (int f = i; f < argc; f++) {
		FILE *fp = fopen(argv[f], "rb");
		uint64_t seed = 0x2545F4914F6CDD1Dull * (uint64_t)(f + 1);
		uint8_t *data, *mut;
		long size;

		if (!fp || fseek(fp, 0, SEEK_END) < 0 || (size = ftell(fp)) <= 0) {
			printf("%s: cannot read\n", argv[f]);
			return 1;
		}
		rewind(fp);
		data = malloc((size_t)size);
		mut = malloc((size_t)size);
		if (!data || !mut || fread(data, 1, (size_t)size, fp) != (size_t)size)
			return 1;
		fclose(fp);
		LLVMFuzzerTestOneInput(data, (size_t)size);
		for (unsigned long k = 0; k < mutations; k++) {
			size_t len = (size_t)(next_rand(&seed) % (uint64_t)size) + 1;

			memcpy(mut, data, len);
			for (unsigned j = 0; j < 1 + next_rand(&seed) % 6; j++)
				mut[next_rand(&seed) % len] = (uint8_t)next_rand(&seed);
			LLVMFuzzerTestOneInput(mut, len);
		}
		printf("%s: %lu mutations\n", argv[f], mutations);
		free(data);
		free(mut);
	}
	return 0;
}
#endif
