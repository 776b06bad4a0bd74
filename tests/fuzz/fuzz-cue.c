/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the CUE sheet parser (engine/audio.h): a sheet is untrusted text from
 * the internet next to the files it names. A sheet that parses is planned too (every FILE
 * is one raw source of 10 s), and its cue sheet bytes and CD-Text packs are built, so the
 * index arithmetic runs on whatever the parser let through. libFuzzer with -Dfuzzing=true;
 * otherwise a replay driver: fuzz-cue [--mutations N] FILE... runs each file and N seeded
 * mutations of it (characters a sheet is made of, and lines repeated).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/macro.h"
#include "engine/audio.h"
#include "replay-driver.h"

#define MAX_INPUT (64u << 10)

/* One silent raw file of 750 sectors, opened once, standing in for every FILE. */
static struct eng_audio_src *source(void)
{
	static struct eng_audio_src *src;
	char path[] = "/tmp/fuzz-cue.XXXXXX";
	struct bfs_diag d = {0};
	int fd;

	if (src)
		return src;
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, 750 * ENG_CD_SECTOR) < 0 ||
	    eng_audio_src_open(path, ENG_CUE_BINARY, &src, &d) < 0)
		abort();
	(void)unlink(path);
	(void)close(fd);
	return src;
}

static void plan_and_build(const struct eng_cue_sheet *s)
{
	struct eng_audio_src *srcs[256];
	struct eng_audio_plan *p = NULL;
	struct eng_cdtext t = {.first_track = s->tracks[0].number,
			       .last_track = s->tracks[s->ntracks - 1].number};
	struct bfs_diag d = {0};
	uint8_t *buf = NULL;
	size_t n;

	for (size_t i = 0; i < 256; i++)
		srcs[i] = source();
	if (eng_audio_plan_cue(s, srcs, &p, &d) < 0) {
		if (!d.msg[0])
			abort(); /* a failure must say why */
		return;
	}
	if (eng_audio_cue_sheet(p, true, &buf, &n) == 0 && (n % 8 || n < 24))
		abort();
	free(buf);
	buf = NULL;
	for (int k = 0; k < ENG_CDTEXT_NKINDS; k++)
		t.text[0][k] = s->text[k];
	for (size_t i = 0; i < s->ntracks; i++)
		for (int k = 0; k < ENG_CDTEXT_NKINDS; k++)
			t.text[i + 1][k] = s->tracks[i].text[k];
	if (eng_cdtext_packs(&t, &buf, &n, &d) == 0 && (n < 3 || n > ENG_CDTEXT_MAX_PACKS))
		abort();
	free(buf);
	eng_audio_plan_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eng_cue_sheet *s = NULL;
	struct bfs_diag d = {0};

	if (size > MAX_INPUT)
		return 0;
	if (eng_cue_parse((const char *)data, size, "fuzz.cue", &s, &d) < 0) {
		if (!d.msg[0])
			abort();
		return 0;
	}
	plan_and_build(s);
	eng_cue_free(s);
	return 0;
}

#ifndef BFS_LIBFUZZER
/* The start of a random line of mut[0..len) and its length with the newline. */
static size_t pick_line(const uint8_t *mut, size_t len, uint64_t *seed, size_t *ret_n)
{
	size_t at = fuzz_next_rand(seed) % len, end;

	while (at > 0 && mut[at - 1] != '\n')
		at--;
	end = at;
	while (end < len && mut[end++] != '\n')
		;
	*ret_n = end - at;
	return at;
}

/*
 * Characters a sheet is made of in place of others, a cut, and whole lines dropped or
 * repeated elsewhere (commands out of order: INDEX before TRACK, FLAGS after INDEX...).
 */
size_t fuzz_mutate(uint8_t *mut, const uint8_t *data, size_t size, uint64_t *seed)
{
	static const char alphabet[] = "0123456789:\" \n\r\t0159ABCIXZ";
	unsigned nflip = 1 + (unsigned)(fuzz_next_rand(seed) % 6);
	size_t len = size, at, n;

	memcpy(mut, data, size);
	for (unsigned j = 0; j < nflip && len; j++) {
		uint64_t how = fuzz_next_rand(seed) % 6;

		at = fuzz_next_rand(seed) % len;
		if (how == 0) {
			mut[at] = (uint8_t)fuzz_next_rand(seed);
		} else if (how < 3) {
			mut[at] = (uint8_t)alphabet[fuzz_next_rand(seed) % (sizeof(alphabet) - 1)];
		} else if (how == 3) {
			len = at + 1; /* cut short */
		} else {
			/* drop a line; or (5) move it: drop it and put it back elsewhere */
			uint8_t line[256];

			at = pick_line(mut, len, seed, &n);
			n = BFS_MIN(n, sizeof(line));
			memcpy(line, mut + at, n);
			memmove(mut + at, mut + at + n, len - at - n);
			len -= n;
			if (how == 5 && len) {
				at = pick_line(mut, len, seed, &(size_t){0});
				memmove(mut + at + n, mut + at, len - at);
				memcpy(mut + at, line, n);
				len += n;
			}
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	return fuzz_replay_main(argc, argv, 3000);
}
#endif
