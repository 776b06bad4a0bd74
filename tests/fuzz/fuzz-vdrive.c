/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the virtual drive's command parser: the input is a sequence of commands
 * (1 byte CDB length, the CDB, 1 byte direction, 2 bytes data length, the data) run against
 * a small BD-R and a small BD-RE; after one input in 16 the BD-R's state file, bytes of it
 * changed by the input's last bytes, must open unchanged or be refused as damaged.
 * libFuzzer with -Dfuzzing=true; otherwise a replay driver: fuzz-vdrive [--runs N] makes N
 * seeded random sequences.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdrive/vdrive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];
static struct vdrive *drives[2];
static char dirs[2][128];
static unsigned generation;

static void fresh(void)
{
	static const char *media[2] = {"bd-r", "bd-re"};

	if (!base[0]) {
		snprintf(base, sizeof(base), "/tmp/burnfs-fuzz-vd.XXXXXX");
		if (!mkdtemp(base))
			abort();
		/* long operations of 1 ms: the busy paths run, the fuzzer does not wait */
		setenv("BURNFS_VDRIVE_LONGOP_MS", "1", 0);
	}
	for (int i = 0; i < 2; i++) {
		vdrive_close(drives[i]);
		snprintf(dirs[i], sizeof(dirs[i]), "%s/%s-%u", base, media[i], generation);
		if (vdrive_create(dirs[i], media[i], 2048) < 0 ||
		    vdrive_open(dirs[i], &drives[i]) < 0)
			abort();
	}
	generation++;
}

/*
 * The state parser on the BD-R's own state file with up to four of its bytes XORed by the
 * input's last bytes: the drive opens only if the file is unchanged, else it is refused
 * as damaged (-EUCLEAN); then the good file is put back.
 */
static void garble_state(const uint8_t *data, size_t size)
{
	char path[160], good[4096], bad[4096];
	FILE *f;
	size_t n;
	bool changed = false;
	int r;

	drives[0] = vdrive_close(drives[0]); /* saves the state */
	snprintf(path, sizeof(path), "%s/state", dirs[0]);
	f = fopen(path, "rb");
	if (!f)
		abort();
	n = fread(good, 1, sizeof(good), f);
	fclose(f);
	memcpy(bad, good, n);
	for (size_t i = 0; i + 1 < size && i < 8 && n; i += 2) {
		bad[data[size - 1 - i] % n] ^= (char)data[size - 2 - i];
		changed = changed || data[size - 2 - i];
	}
	changed = changed && memcmp(bad, good, n) != 0;
	for (int round = 0; round < 2; round++) {
		f = fopen(path, "wb");
		if (!f || fwrite(round ? good : bad, 1, n, f) != n || fclose(f) != 0)
			abort();
		r = vdrive_open(dirs[0], &drives[0]);
		if (round == 0 && (changed ? r != -EUCLEAN : r != 0))
			abort();
		if (round == 1 && r != 0)
			abort();
		if (round == 0 && r == 0)
			drives[0] = vdrive_close(drives[0]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536 + 16];
	size_t pos = 0;

	if (generation % 64 == 0 || !drives[0])
		fresh();
	else
		generation++;
	while (pos + 4 <= size) {
		uint8_t cl = data[pos] % 17;
		struct vdrive_result r;
		enum vdrive_dir dir;
		size_t len;

		if (pos + 1 + cl + 3 > size)
			break;
		dir = (enum vdrive_dir)(data[pos + 1 + cl] % 3);
		len = (size_t)(data[pos + 2 + cl] | data[pos + 3 + cl] << 8);
		memset(buf, 0x5A, len);
		vdrive_exec(drives[data[pos] & 0x80 ? 1 : 0], data + pos + 1, cl, dir,
			    len ? buf : NULL, len, &r);
		if (r.status != 0 && r.status != 2)
			abort();
		if (r.resid > len)
			abort();
		pos += 4 + cl;
	}
	if (size >= 2 && (data[size - 1] & 0x0F) == 0)
		garble_state(data, size);
	return 0;
}

#ifndef BFS_LIBFUZZER
int main(int argc, char **argv)
{
	unsigned long runs =
		argc == 3 && !strcmp(argv[1], "--runs") ? strtoul(argv[2], NULL, 10) : 3000;
	uint64_t s = 88172645463325252ull;
	static const uint8_t ops[] = {0x00, 0x03, 0x04, 0x12, 0x1B, 0x1E, 0x25, 0x28,
				      0x2A, 0x35, 0x43, 0x46, 0x51, 0x52, 0x55, 0x5A,
				      0x5B, 0xA1, 0xA8, 0xAA, 0xBB, 0xB6, 0xE7};
	uint8_t in[512];
	char cmd[128];

	for (unsigned long k = 0; k < runs; k++) {
		size_t n = 0;

		while (n + 24 < sizeof(in)) {
			uint8_t cl;

			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			cl = (uint8_t)(s % 17);
			in[n] = (uint8_t)(cl | (s & 0x80));
			for (uint8_t j = 0; j < cl; j++) {
				s ^= s << 13, s ^= s >> 7, s ^= s << 17;
				in[n + 1 + j] = (uint8_t)s;
			}
			if (cl)
				in[n + 1] = ops[s % sizeof(ops)]; /* mostly real opcodes */
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			in[n + 1 + cl] = (uint8_t)s;
			in[n + 2 + cl] = (uint8_t)(s >> 8);
			in[n + 3 + cl] = (uint8_t)(s >> 16 & 0x01); /* up to 128 KiB */
			n += 4 + cl;
		}
		LLVMFuzzerTestOneInput(in, n);
	}
	vdrive_close(drives[0]);
	vdrive_close(drives[1]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	printf("%lu command sequences\n", runs);
	return system(cmd) == 0 ? 0 : 1;
}
#endif
