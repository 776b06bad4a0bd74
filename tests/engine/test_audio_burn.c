/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Audio burns onto a virtual CD-R, read back through the MMC layer's own readers: a
 * disc-at-once with a hidden track (3 s of audio before track 1's INDEX 01), a gapless
 * track 2 with an INDEX 02, CD-Text, ISRC and MCN gives the planned TOC, the same CD-Text
 * packs, MCN and ISRC, and verifies; verify against the source shifted by 30 samples finds
 * that read offset when asked to search and fails naming the track without the search; a
 * plan longer than the disc is refused before writing, in mm:ss:ff; the progress callback
 * cancels.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/diag.h"
#include "engine/audio.h"
#include "engine/drive.h"
#include "engine/vdrive-admin.h"
#include "mmc/audio.h"

#define FILE_SECTORS 1200
#define SKIP	     30 /* frames the shifted source lacks at its start */

static char dir[] = "/tmp/test-aburn.XXXXXX";

/* a.bin: FILE_SECTORS of a pattern that no shift reproduces; b.bin: a.bin less SKIP frames */
static void make_sources(void)
{
	char path[64];
	FILE *a, *b;
	uint32_t x = 12345;

	(void)snprintf(path, sizeof(path), "%s/a.bin", dir);
	a = fopen(path, "w");
	(void)snprintf(path, sizeof(path), "%s/b.bin", dir);
	b = fopen(path, "w");
	assert_true(a && b);
	for (uint32_t i = 0; i < FILE_SECTORS * ENG_CD_SAMPLES; i++) {
		uint8_t s[4];

		x = x * 1103515245u + 12345u;
		memcpy(s, &x, 4);
		assert_int_equal(fwrite(s, 4, 1, a), 1);
		if (i >= SKIP)
			assert_int_equal(fwrite(s, 4, 1, b), 1);
	}
	fclose(a);
	fclose(b);
}

struct album {
	struct eng_cue_sheet *sheet;
	struct eng_audio_src *src;
	struct eng_audio_plan *plan;
};

static void album_open(struct album *al, const char *file)
{
	static const char text[] = "CATALOG 0123456789012\n"
				   "TITLE \"Album\"\n"
				   "FILE x BINARY\n"
				   "TRACK 01 AUDIO\n"
				   "TITLE \"One\"\n"
				   "ISRC USABC2400001\n"
				   "INDEX 00 00:00:00\n"
				   "INDEX 01 00:03:00\n"
				   "TRACK 02 AUDIO\n"
				   "TITLE \"Two\"\n"
				   "FLAGS DCP\n"
				   "INDEX 01 00:10:00\n"
				   "INDEX 02 00:12:00\n";
	struct bfs_diag d = {0};
	char path[64];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, file);
	assert_int_equal(eng_cue_parse(text, strlen(text), "t.cue", &al->sheet, &d), 0);
	assert_int_equal(eng_audio_src_open(path, ENG_CUE_BINARY, &al->src, &d), 0);
	assert_int_equal(eng_audio_plan_cue(al->sheet, &al->src, &al->plan, &d), 0);
}

static void album_close(struct album *al)
{
	eng_audio_plan_free(al->plan);
	eng_audio_src_free(al->src);
	eng_cue_free(al->sheet);
}

static void cdtext_of(const struct eng_cue_sheet *s, uint8_t **packs, size_t *n)
{
	static struct eng_cdtext t;
	struct bfs_diag d = {0};

	memset(&t, 0, sizeof(t));
	t.first_track = 1;
	t.last_track = 2;
	t.text[0][ENG_CDTEXT_TITLE] = s->text[ENG_CDTEXT_TITLE];
	t.text[1][ENG_CDTEXT_TITLE] = s->tracks[0].text[ENG_CDTEXT_TITLE];
	t.text[2][ENG_CDTEXT_TITLE] = s->tracks[1].text[ENG_CDTEXT_TITLE];
	assert_int_equal(eng_cdtext_packs(&t, packs, n, &d), 0);
}

static struct mmc_drive *new_cd(const char *name, uint64_t capacity)
{
	char path[64], addr[80];
	struct bfs_diag d = {0};
	struct mmc_drive *drv = NULL;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(eng_vdrive_create(path, "cd-r", capacity, &d), 0);
	(void)snprintf(addr, sizeof(addr), "vdrive:%s", path);
	if (eng_drive_open(addr, &d, &drv) < 0)
		fail_msg("open: %s", d.msg);
	return drv;
}

static void check_disc(struct mmc_drive *drv, const uint8_t *packs, size_t npacks)
{
	struct mmc_toc *toc = calloc(1, sizeof(*toc));
	uint8_t got[64 * MMC_CDTEXT_PACK];
	struct bfs_diag d = {0};
	char code[16];
	size_t n = 0;

	assert_non_null(toc);
	assert_int_equal(mmc_read_toc(drv, toc, &d), 0);
	assert_int_equal(toc->ntracks, 2);
	assert_int_equal(toc->tracks[0].start, 225 - 150);
	assert_int_equal(toc->tracks[1].start, 750 - 150);
	assert_int_equal(toc->tracks[1].ctl, MMC_AUDIO_CTL_COPY);
	assert_int_equal(toc->leadout, FILE_SECTORS - 150);
	free(toc);
	assert_int_equal(mmc_read_cdtext(drv, got, 64, &n, &d), 0);
	assert_int_equal(n, npacks);
	assert_memory_equal(got, packs, npacks * MMC_CDTEXT_PACK);
	assert_int_equal(mmc_read_mcn(drv, code, &d), 0);
	assert_string_equal(code, "0123456789012");
	assert_int_equal(mmc_read_isrc(drv, 1, code, &d), 0);
	assert_string_equal(code, "USABC2400001");
}

static void test_aburn_dao_readback(void **state)
{
	struct album al = {0}, shifted = {0};
	struct mmc_drive *drv = new_cd("dao", 0);
	struct bfs_diag d = {0};
	uint8_t *packs = NULL;
	size_t npacks = 0;
	int offset = 0;

	(void)state;
	album_open(&al, "a.bin");
	cdtext_of(al.sheet, &packs, &npacks);
	struct eng_audio_burn_opts o = {
		.mode = ENG_AUDIO_SAO, .verify = true, .cdtext = packs, .ncdtext = npacks};

	if (eng_audio_burn(drv, al.plan, &o, &d) < 0)
		fail_msg("burn: %s", d.msg);
	check_disc(drv, packs, npacks);

	/* the disc read as a drive with an offset of -30 samples would: found by the search */
	album_open(&shifted, "b.bin");
	o.offset_search = 100;
	if (eng_audio_verify(drv, shifted.plan, &o, &offset, &d) < 0)
		fail_msg("verify with the search: %s", d.msg);
	assert_int_equal(offset, -SKIP);
	o.offset_search = 0;
	assert_int_equal(eng_audio_verify(drv, shifted.plan, &o, &offset, &d), -EILSEQ);
	assert_string_equal(d.msg, "track 01 differs from its source at -00:03:00 in its pregap "
				   "(disc time 00:00:00)");
	bfs_diag_clear(&d);
	o.offset_search = 10;
	assert_int_equal(eng_audio_verify(drv, shifted.plan, &o, &offset, &d), -EILSEQ);
	assert_non_null(strstr(d.msg, "no read offset within 10 samples"));

	album_close(&shifted);
	album_close(&al);
	free(packs);
	eng_drive_close(drv);
}

static int stop_at_second(const struct eng_audio_status *st, void *userdata)
{
	unsigned *calls = userdata;

	assert_int_equal(st->phase, ENG_AUDIO_PHASE_WRITE);
	assert_true(st->done <= st->total);
	return ++*calls >= 2 ? -1 : 0;
}

/* the progress callback's negative answer stops the write */
static void test_aburn_cancel(void **state)
{
	struct album al = {0};
	struct mmc_drive *drv = new_cd("cancel", 0);
	struct bfs_diag d = {0};
	unsigned calls = 0;
	struct eng_audio_burn_opts o = {.mode = ENG_AUDIO_SAO,
					.verify = true,
					.progress = stop_at_second,
					.userdata = &calls};

	(void)state;
	album_open(&al, "a.bin");
	assert_int_equal(eng_audio_burn(drv, al.plan, &o, &d), -ECANCELED);
	assert_int_equal(calls, 2);
	album_close(&al);
	eng_drive_close(drv);
}

/* TAO cannot write a sheet's own pregaps or index points: refused before the disc */
static void test_aburn_tao_refuses_gaps(void **state)
{
	struct album al = {0};
	struct mmc_drive *drv = new_cd("taogaps", 0);
	struct bfs_diag d = {0};
	struct eng_audio_burn_opts o = {.mode = ENG_AUDIO_TAO};
	struct eng_audio_plan *p;

	(void)state;
	album_open(&al, "a.bin");
	assert_int_equal(eng_audio_burn(drv, al.plan, &o, &d), -EINVAL);
	assert_string_equal(d.msg, "track 01 has a pregap of its own: track-at-once cannot write "
				   "them (disc-at-once can)");
	/* track 1 as TAO lays it out: the index point of track 2 still refused */
	p = al.plan;
	p->runs[0].src = NULL;
	p->runs[0].frames = 150 * ENG_CD_SAMPLES;
	p->tracks[0].start = 0;
	bfs_diag_clear(&d);
	assert_int_equal(eng_audio_burn(drv, p, &o, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "track 02 has index points"));
	album_close(&al);
	eng_drive_close(drv);
}

static void test_aburn_too_long(void **state)
{
	struct album al = {0};
	struct mmc_drive *drv = NULL;
	struct bfs_diag d = {0};
	struct eng_audio_burn_opts o = {.mode = ENG_AUDIO_SAO};
	uint64_t lo, hi;

	(void)state;
	assert_int_equal(eng_vdrive_capacity_range("cd-r", &lo, &hi), 0);
	if (lo >= FILE_SECTORS - 150)
		skip();
	drv = new_cd("small", lo);
	album_open(&al, "a.bin");
	assert_int_equal(eng_audio_burn(drv, al.plan, &o, &d), -ENOSPC);
	assert_non_null(strstr(d.msg, "the album needs 00:14:00, the disc has"));
	album_close(&al);
	eng_drive_close(drv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aburn_dao_readback),
		cmocka_unit_test(test_aburn_cancel),
		cmocka_unit_test(test_aburn_tao_refuses_gaps),
		cmocka_unit_test(test_aburn_too_long),
	};
	char cmd[64];
	int r;

	if (!mkdtemp(dir))
		return 1;
	make_sources();
	setenv("BURNFS_VDRIVE_LONGOP_MS", "0", 1);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	return r;
}
