/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The replay driver shared by the file-input fuzz targets when they are not built for
 * libFuzzer: FUZZ-TARGET [--mutations N] FILE... runs LLVMFuzzerTestOneInput() on each FILE
 * and on N deterministic mutations of it, so that ASan/UBSan check the parser on hostile
 * input in every test run. A target supplies its mutation through fuzz_mutate().
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* xorshift64: the same sequence on every machine */
static inline uint64_t fuzz_next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Write one mutation of data[0..size) into mut (size bytes available) and return the length
 * to feed. Defined by each target.
 */
size_t fuzz_mutate(uint8_t *mut, const uint8_t *data, size_t size, uint64_t *seed);

/* Run the files named on the command line; default_mutations when --mutations is absent. */
int fuzz_replay_main(int argc, char **argv, unsigned long default_mutations);
