/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MMC layer's waits and failure reports over the test transport (mmc-internal.h): a
 * drive stuck in a long operation or with a full buffer fails after the stuck time really
 * measured (a slow transport included), a cancel flag ends every wait within 100 ms, and a
 * failed READ or WRITE names the block of the sense INFORMATION field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/bytes.h"
#include "common/diag.h"
#include "mmc-internal.h"
#include "mmc/mmc.h"

/* What the fake drive does with each command. */
struct fake {
	unsigned exec_ms;      /* each command takes this long (a slow transport) */
	bool busy;	       /* every command but READ BUFFER CAPACITY: NOT READY 04/07 */
	bool buffer_full;      /* WRITE: 02/04/08 */
	bool no_rbc;	       /* READ BUFFER CAPACITY: 05/20/00 */
	uint8_t fail_key;      /* READ/WRITE covering fail_lba: CHECK CONDITION with this key */
	uint8_t fail_asc;      /* ... and ASC */
	uint32_t fail_lba;     /* the block failing */
	bool info_valid;       /* the sense names fail_lba in INFORMATION */
	unsigned cancel_after; /* set *cancel at this command (0: never) */
	atomic_int *cancel;
	unsigned calls;
	uint64_t cancel_ms;   /* when the flag was set */
	uint16_t mode_bd_len; /* MODE SENSE(10): the Block Descriptor Length answered */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void check(uint8_t *st, uint8_t sense[18], uint8_t key, uint8_t asc, uint8_t ascq)
{
	*st = 0x02;
	sense[0] = 0x70, sense[2] = key, sense[7] = 10, sense[12] = asc, sense[13] = ascq;
}

static int fake_exec(void *userdata, const uint8_t *cdb, size_t cdb_len, enum mmc_dir dir,
		     void *buf, size_t len, uint8_t *st, uint8_t sense[18], size_t *resid,
		     struct bfs_diag *diag)
{
	struct fake *f = userdata;

	(void)cdb_len, (void)dir, (void)diag, (void)resid;
	if (f->exec_ms) {
		struct timespec ts = {0, (long)f->exec_ms * 1000000};

		nanosleep(&ts, NULL);
	}
	if (++f->calls == f->cancel_after) {
		atomic_store(f->cancel, 1);
		f->cancel_ms = mono_ms();
	}
	if (cdb[0] == 0x5C) {
		if (f->no_rbc)
			check(st, sense, 0x05, 0x20, 0x00);
		else if (len >= 12)
			bfs_put_be32((uint8_t *)buf + 4, 1 << 20), bfs_put_be32((uint8_t *)buf, 10);
		return 0;
	}
	if (f->busy) {
		check(st, sense, 0x02, 0x04, 0x07);
		return 0;
	}
	if (cdb[0] == 0x5A && len >= 8) { /* a header, block descriptors said, then page 05h */
		bfs_put_be16((uint8_t *)buf + 6, f->mode_bd_len);
		((uint8_t *)buf)[8] = 0x05, ((uint8_t *)buf)[9] = 50;
		return 0;
	}
	if (cdb[0] == 0x2A && f->buffer_full) {
		check(st, sense, 0x02, 0x04, 0x08);
		return 0;
	}
	if ((cdb[0] == 0x2A || cdb[0] == 0x28) && f->fail_key) {
		uint32_t lba = bfs_get_be32(cdb + 2), n = bfs_get_be16(cdb + 7);

		if (f->fail_lba >= lba && f->fail_lba < lba + n) {
			check(st, sense, f->fail_key, f->fail_asc, 0);
			if (f->info_valid) {
				sense[0] |= 0x80;
				bfs_put_be32(sense + 3, f->fail_lba);
			}
		}
	}
	return 0;
}

static struct mmc_drive *drive(struct fake *f)
{
	struct mmc_drive *d = NULL;

	assert_int_equal(mmc_drive_open_test(fake_exec, f, 32, &d), 0);
	return d;
}

/* A stuck long operation fails after the stuck time on the clock, whatever a command costs. */
static void test_mmc_stuck_measured(void **state)
{
	static const unsigned exec_ms[] = {0, 40};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct fake f = {.busy = true, .exec_ms = exec_ms[i]};
		struct mmc_drive *d = drive(&f);
		struct bfs_diag diag = {0};
		uint8_t cdb[10] = {0x35, 0x02};
		uint64_t t0 = mono_ms(), el;
		int r;

		mmc_drive_set_stuck_timeout(d, 1);
		r = mmc_exec(d, cdb, 10, MMC_DIR_NONE, NULL, 0, NULL, &diag);
		el = mono_ms() - t0;
		assert_int_equal(r, -ETIMEDOUT);
		assert_true(el >= 1000 && el < 1300);
		assert_non_null(strstr(diag.msg, "for 1."));
		assert_non_null(strstr(diag.msg, "(limit 1 s)"));
		mmc_drive_close(d);
	}
}

/* A full buffer that never drains: with READ BUFFER CAPACITY and without it. */
static void test_mmc_buffer_full_stuck(void **state)
{
	(void)state;
	for (int no_rbc = 0; no_rbc < 2; no_rbc++) {
		struct fake f = {.buffer_full = true, .no_rbc = no_rbc};
		struct mmc_drive *d = drive(&f);
		struct bfs_diag diag = {0};
		static uint8_t buf[32 * 2048];
		uint64_t t0 = mono_ms(), el;
		int r;

		mmc_drive_set_stuck_timeout(d, 1);
		r = mmc_write(d, 0, 32, buf, &diag);
		el = mono_ms() - t0;
		assert_int_equal(r, -ETIMEDOUT);
		assert_true(el >= 1000 && el < 1300);
		assert_non_null(strstr(diag.msg, "has not drained for 1."));
		mmc_drive_close(d);
	}
}

/* The cancel flag ends a long-operation wait and a buffer wait within 100 ms. */
/* The drive's poll callback over an atomic flag, as a caller cancelling from elsewhere has. */
static int poll_flag(void *userdata)
{
	return atomic_load((atomic_int *)userdata) ? -1 : 0;
}

static void test_mmc_cancel_waits(void **state)
{
	(void)state;
	for (int full = 0; full < 2; full++) {
		atomic_int cancel = 0;
		struct fake f = {.busy = !full, .buffer_full = full, .cancel_after = 5};
		struct mmc_drive *d;
		struct bfs_diag diag = {0};
		static uint8_t buf[32 * 2048];
		int r;

		f.cancel = &cancel;
		d = drive(&f);
		mmc_drive_set_poll(d, poll_flag, &cancel);
		r = mmc_write(d, 0, 32, buf, &diag);
		assert_int_equal(r, -ECANCELED);
		assert_true(mono_ms() - f.cancel_ms < 100);
		assert_non_null(strstr(diag.msg, "cancelled while"));
		mmc_drive_close(d);
	}
}

/* Without waiting (for a state query), a busy drive answers -EBUSY at once. */
static void test_mmc_no_wait(void **state)
{
	struct fake f = {.busy = true};
	struct mmc_drive *d = drive(&f);
	struct bfs_diag diag = {0};
	uint8_t cdb[10] = {0x51};
	uint8_t b[34];
	uint64_t t0 = mono_ms();

	(void)state;
	mmc_drive_set_busy_wait(d, false);
	assert_int_equal(mmc_exec(d, cdb, 10, MMC_DIR_IN, b, sizeof(b), NULL, &diag), -EBUSY);
	assert_true(mono_ms() - t0 < 100);
	assert_int_equal(f.calls, 1);
	mmc_drive_close(d);
}

/* A failed WRITE or READ names the block of INFORMATION, in any command of a split one. */
static void test_mmc_failed_block_named(void **state)
{
	static const struct {
		bool write, valid;
		uint32_t lba;
		const char *want;
	} c[] = {
		{true, true, 100, "writing block 100: WRITE(10) failed: write error"},
		{true, true, 700, "writing block 700: WRITE(10) failed: write error"},
		{true, false, 700, "writing blocks 672-703 (the drive named none of them): "},
		{false, true, 40, "reading block 40: READ(10) failed: unrecovered read error"},
		{false, true, 1000, "reading block 1000: READ(10) failed: unrecovered read error"},
	};
	static uint8_t buf[1024 * 2048];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fake f = {.fail_key = 0x03,
				 .fail_asc = c[i].write ? 0x0C : 0x11,
				 .fail_lba = c[i].lba,
				 .info_valid = c[i].valid};
		struct mmc_drive *d = drive(&f);
		struct bfs_diag diag = {0};
		int r = c[i].write ? mmc_write(d, 0, 1024, buf, &diag)
				   : mmc_read(d, 0, 1024, buf, true, &diag);

		assert_int_equal(r, -EIO);
		if (strncmp(diag.msg, c[i].want, strlen(c[i].want)) != 0)
			fail_msg("case %zu: '%s'", i, diag.msg);
		mmc_drive_close(d);
	}
}

/* A BD-R whose next writable address and free blocks add up past 2^32 blocks. */
static int big_disc_exec(void *userdata, const uint8_t *cdb, size_t cdb_len, enum mmc_dir dir,
			 void *buf, size_t len, uint8_t *st, uint8_t sense[18], size_t *resid,
			 struct bfs_diag *diag)
{
	uint8_t *b = buf;

	(void)userdata, (void)cdb_len, (void)dir, (void)st, (void)sense, (void)resid, (void)diag;
	memset(buf, 0, len);
	switch (cdb[0]) {
	case 0x46: /* GET CONFIGURATION: BD-R */
		bfs_put_be16(b + 6, 0x41);
		break;
	case 0x51: /* READ DISC INFORMATION: appendable, 2 sessions (the empty one), 2 tracks */
		bfs_put_be16(b, 32);
		b[2] = 0x01 | 0x02 << 2, b[3] = 1, b[4] = 2, b[6] = 2;
		break;
	case 0x52: /* READ TRACK INFORMATION: NWA 0xFFFFFF00, 0x1000 free */
		bfs_put_be16(b, 46);
		b[7] = 0x01;
		bfs_put_be32(b + 8, 0xFFFFFF00u);
		bfs_put_be32(b + 12, 0xFFFFFF00u);
		bfs_put_be32(b + 16, 0x1000);
		break;
	default: /* READ TOC and the rest: zeros */
		break;
	}
	return 0;
}

/* Capacities are carried in 64 bits: NWA + free past 2^32 is not cut to 32. */
/*
 * MODE SENSE's Block Descriptor Length is the drive's word: page 05h is looked for after
 * the descriptors only once none are said (a length of 52 or 60 made burnfs read past its
 * 60-byte buffer, 1 and 8 bytes beyond; ASan caught it). Each is a protocol error.
 */
static void test_mmc_mode_sense_bd_len(void **state)
{
	static const uint16_t bd_len[] = {52, 60, 8, 0xFFFF};
	struct mmc_media m = {.profile = 0x09, .profile_name = "CD-R"};

	(void)state;
	for (size_t i = 0; i < sizeof(bd_len) / sizeof(bd_len[0]); i++) {
		struct fake f = {.mode_bd_len = bd_len[i]};
		struct mmc_drive *d = drive(&f);
		struct bfs_diag diag = {0};

		assert_int_equal(mmc_set_test_write(d, &m, true, &diag), -EPROTO);
		assert_non_null(strstr(bfs_diag_msg(&diag, -EPROTO), "no page 05h"));
		mmc_drive_close(d);
	}
	/* none: the page is right there, and Test Write goes back with MODE SELECT */
	{
		struct fake f = {0};
		struct mmc_drive *d = drive(&f);
		struct bfs_diag diag = {0};

		assert_int_equal(mmc_set_test_write(d, &m, true, &diag), 0);
		mmc_drive_close(d);
	}
}

static void test_mmc_capacity_64(void **state)
{
	struct mmc_drive *d = NULL;
	struct bfs_diag diag = {0};
	struct mmc_media m;

	(void)state;
	assert_int_equal(mmc_drive_open_test(big_disc_exec, NULL, 32, &d), 0);
	assert_int_equal(mmc_media_probe(d, &m, &diag), 0);
	assert_int_equal(m.nwa, 0xFFFFFF00u);
	assert_true(m.capacity == 0xFFFFFF00ull + 0x1000);
	assert_true(m.free_blocks == 0x1000);
	mmc_drive_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmc_stuck_measured),
		cmocka_unit_test(test_mmc_buffer_full_stuck),
		cmocka_unit_test(test_mmc_cancel_waits),
		cmocka_unit_test(test_mmc_no_wait),
		cmocka_unit_test(test_mmc_failed_block_named),
		cmocka_unit_test(test_mmc_capacity_64),
		cmocka_unit_test(test_mmc_mode_sense_bd_len),
	};

	return cmocka_run_group_tests_name("mmc", tests, NULL, NULL);
}
