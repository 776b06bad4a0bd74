/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "replay-driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * FUZZ_SAVE=FILE: each mutation is written there before it runs, so that after a crash the
 * file holds the input that made it (to replay it alone: the target with --mutations 0 FILE).
 */
static void save_input(const uint8_t *p, size_t n)
{
	const char *path = getenv("FUZZ_SAVE");
	FILE *f = path && *path ? fopen(path, "wb") : NULL;

	if (f) {
		if (fwrite(p, 1, n, f) != n)
			perror(path);
		fclose(f);
	}
}

static int replay_file(const char *path, unsigned long mutations, uint64_t seed)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data = NULL, *mut = NULL;
	long size = 0;
	int r = -1;

	if (!fp || fseek(fp, 0, SEEK_END) < 0 || (size = ftell(fp)) <= 0)
		goto out;
	rewind(fp);
	data = malloc((size_t)size);
	mut = malloc((size_t)size);
	if (!data || !mut || fread(data, 1, (size_t)size, fp) != (size_t)size)
		goto out;
	LLVMFuzzerTestOneInput(data, (size_t)size);
	for (unsigned long k = 0; k < mutations; k++) {
		size_t n = fuzz_mutate(mut, data, (size_t)size, &seed);

		save_input(mut, n);
		LLVMFuzzerTestOneInput(mut, n);
	}
	printf("%s: %lu mutations\n", path, mutations);
	r = 0;
out:
	if (r < 0)
		printf("%s: cannot read\n", path);
	if (fp)
		fclose(fp);
	free(data);
	free(mut);
	return r;
}

int fuzz_replay_main(int argc, char **argv, unsigned long default_mutations)
{
	unsigned long mutations = default_mutations;
	int i = 1;

	if (i + 1 < argc && !strcmp(argv[i], "--mutations"))
		mutations = strtoul(argv[i + 1], NULL, 10), i += 2;
	for (int f = i; f < argc; f++)
		if (replay_file(argv[f], mutations, 0x9E3779B97F4A7C15ull * (uint64_t)(f + 1)) < 0)
			return 1;
	return 0;
}
