/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The virtual drive through raw CDBs: the replies and sense codes of MMC-6 for the state
 * machine, write-once enforcement, overwrite media, unknown and short commands, and a
 * process killed while writing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/bytes.h"
#include "vdrive/vdrive.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/burnfs-vd.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *drive_dir(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static struct vdrive_result run(struct vdrive *vd, const uint8_t *cdb, size_t n, enum vdrive_dir d,
				void *buf, size_t len)
{
	struct vdrive_result r;

	vdrive_exec(vd, cdb, n, d, buf, len, &r);
	return r;
}

#define assert_sense(r, k, a, q)                      \
	do {                                          \
		assert_int_equal((r).status, 0x02);   \
		assert_int_equal((r).sense[2], (k));  \
		assert_int_equal((r).sense[12], (a)); \
		assert_int_equal((r).sense[13], (q)); \
	} while (0)

static struct vdrive *open_fresh(const char *name, const char *media, uint64_t cap)
{
	struct vdrive *vd = NULL;
	uint8_t tur[6] = {0};
	struct vdrive_result r;

	assert_int_equal(vdrive_create(drive_dir(name), media, cap), 0);
	assert_int_equal(vdrive_open(drive_dir(name), &vd), 0);
	r = run(vd, tur, 6, VDRIVE_DIR_NONE, NULL, 0);
	assert_sense(r, 0x06, 0x29, 0x00); /* unit attention after power on */
	r = run(vd, tur, 6, VDRIVE_DIR_NONE, NULL, 0);
	assert_int_equal(r.status, 0);
	return vd;
}

static struct vdrive_result write10(struct vdrive *vd, uint32_t lba, uint16_t n, uint8_t *buf)
{
	uint8_t cdb[10] = {0x2A};

	bfs_put_be32(cdb + 2, lba);
	bfs_put_be16(cdb + 7, n);
	return run(vd, cdb, 10, VDRIVE_DIR_OUT, buf, (size_t)n * 2048);
}

static void disc_info(struct vdrive *vd, uint8_t *b)
{
	uint8_t cdb[10] = {0x51};
	struct vdrive_result r;

	bfs_put_be16(cdb + 7, 34);
	r = run(vd, cdb, 10, VDRIVE_DIR_IN, b, 34);
	assert_int_equal(r.status, 0);
}

static void test_write_once(void **state)
{
	struct vdrive *vd = open_fresh("bdr", "bd-r", 4096);
	uint8_t *buf = calloc(32, 2048), b[48], cdb[10] = {0};
	struct vdrive_result r;

	(void)state;
	disc_info(vd, b);
	assert_int_equal(b[2] & 0x03, 0x00); /* blank */
	r = write10(vd, 0, 32, buf);
	assert_int_equal(r.status, 0);
	r = write10(vd, 0, 32, buf); /* again at a used LBA */
	assert_sense(r, 0x05, 0x21, 0x02);
	r = write10(vd, 64, 32, buf); /* a gap */
	assert_sense(r, 0x05, 0x21, 0x02);
	r = write10(vd, 32, 32, buf); /* at the NWA */
	assert_int_equal(r.status, 0);
	r = write10(vd, 4090, 32, buf); /* past the capacity */
	assert_sense(r, 0x05, 0x63, 0x00);
	disc_info(vd, b);
	assert_int_equal(b[2] & 0x03, 0x01); /* incomplete */
	/* READ TRACK INFORMATION of the open track: NWA 64, valid */
	cdb[0] = 0x52, cdb[1] = 0x01;
	bfs_put_be32(cdb + 2, 1);
	bfs_put_be16(cdb + 7, 48);
	r = run(vd, cdb, 10, VDRIVE_DIR_IN, b, 48);
	assert_int_equal(r.status, 0);
	assert_int_equal(b[7] & 0x01, 1);
	assert_int_equal(bfs_get_be32(b + 12), 64);
	/* close track + session: appendable, next session right after (BD) */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x5B, cdb[2] = 0x01;
	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	cdb[2] = 0x02;
	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	disc_info(vd, b);
	assert_int_equal(b[2] & 0x03, 0x01);	    /* appendable */
	assert_int_equal((b[2] >> 2) & 0x03, 0x03); /* last session complete */
	r = write10(vd, 64, 32, buf);
	assert_int_equal(r.status, 0);
	/* finalize: further writes refused */
	cdb[2] = 0x06;
	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	disc_info(vd, b);
	assert_int_equal(b[2] & 0x03, 0x02); /* complete */
	r = write10(vd, 96, 32, buf);
	assert_sense(r, 0x05, 0x72, 0x00);
	vdrive_close(vd);
	free(buf);
}

static void test_overwrite_and_commands(void **state)
{
	struct vdrive *vd = open_fresh("bdre", "bd-re", 4096);
	uint8_t *buf = calloc(32, 2048), b[64], cdb[16] = {0};
	struct vdrive_result r;

	(void)state;
	memset(buf, 0xAB, 32 * 2048);
	assert_int_equal(write10(vd, 1000, 32, buf).status, 0);
	assert_int_equal(write10(vd, 1000, 32, buf).status, 0); /* rewritable */
	assert_int_equal(write10(vd, 10, 1, buf).status, 0);	/* anywhere */
	/* GET CONFIGURATION: current profile BD-RE */
	cdb[0] = 0x46;
	bfs_put_be16(cdb + 7, 8);
	r = run(vd, cdb, 10, VDRIVE_DIR_IN, b, 8);
	assert_int_equal(r.status, 0);
	assert_int_equal(bfs_get_be16(b + 6), 0x43);
	/* unknown opcode, short CDB, allocation length honoured */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xE7;
	assert_sense(run(vd, cdb, 16, VDRIVE_DIR_NONE, NULL, 0), 0x05, 0x20, 0x00);
	cdb[0] = 0x2A;
	assert_sense(run(vd, cdb, 6, VDRIVE_DIR_OUT, buf, 2048), 0x05, 0x24, 0x00);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x12;
	bfs_put_be16(cdb + 3, 5);
	r = run(vd, cdb, 6, VDRIVE_DIR_IN, b, 36);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.resid, 31);
	/* READ back what was written */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x28;
	bfs_put_be32(cdb + 2, 1000);
	bfs_put_be16(cdb + 7, 1);
	memset(b, 0, sizeof(b));
	{
		uint8_t blk[2048];

		r = run(vd, cdb, 10, VDRIVE_DIR_IN, blk, 2048);
		assert_int_equal(r.status, 0);
		assert_int_equal(blk[0], 0xAB);
	}
	/* prevent removal blocks eject; no medium after eject */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x1E, cdb[4] = 1;
	assert_int_equal(run(vd, cdb, 6, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x1B, cdb[4] = 0x02;
	assert_sense(run(vd, cdb, 6, VDRIVE_DIR_NONE, NULL, 0), 0x05, 0x53, 0x02);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x1E;
	assert_int_equal(run(vd, cdb, 6, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x1B, cdb[4] = 0x02;
	assert_int_equal(run(vd, cdb, 6, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	memset(cdb, 0, sizeof(cdb));
	assert_sense(run(vd, cdb, 6, VDRIVE_DIR_NONE, NULL, 0), 0x02, 0x3A, 0x02);
	vdrive_close(vd);
	free(buf);
}

static void test_exclusive(void **state)
{
	struct vdrive *a = open_fresh("ex", "dvd+r", 2048), *b = NULL;

	(void)state;
	assert_int_equal(vdrive_open(drive_dir("ex"), &b), -EBUSY);
	vdrive_close(a);
	assert_int_equal(vdrive_open(drive_dir("ex"), &b), 0);
	vdrive_close(b);
	assert_int_equal(vdrive_create(drive_dir("ex"), "dvd+r", 0), -EEXIST);
	assert_int_equal(vdrive_create(drive_dir("x2"), "floppy", 0), -EINVAL);
}

/* kill -9 while writing, at several points: the reopened disc is consistent */
static void test_killed(void **state)
{
	(void)state;
	for (int round = 0; round < 5; round++) {
		char name[16];
		struct vdrive *vd = NULL;
		struct vdrive_info vi;
		pid_t pid;

		snprintf(name, sizeof(name), "kill%d", round);
		assert_int_equal(vdrive_create(drive_dir(name), "bd-r", 200000), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			uint8_t *buf = calloc(32, 2048);

			setenv("BURNFS_VDRIVE_COMMIT_BLOCKS", "64", 1);
			struct vdrive_result r;

			if (vdrive_open(drive_dir(name), &vd) < 0)
				_exit(1);
			vdrive_exec(vd, (uint8_t[6]){0}, 6, VDRIVE_DIR_NONE, NULL, 0, &r);
			for (uint32_t lba = 0;; lba += 32) {
				memset(buf, (int)(lba / 32), 32 * 2048);
				if (write10(vd, lba, 32, buf).status)
					_exit(2);
			}
		}
		usleep(20000 + 40000 * (useconds_t)round);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		assert_int_equal(vdrive_open(drive_dir(name), &vd), 0);
		vdrive_get_info(vd, &vi);
		assert_true(vi.ntracks == 1 && vi.nwa > 0); /* it got somewhere before the kill */
		/* the recorded NWA never points past data that reached the image */
		if (vi.ntracks) {
			uint8_t blk[2048];
			uint64_t last = vi.tracks[0].start + vi.tracks[0].size;

			assert_true(vi.tracks[0].open);
			assert_int_equal(vi.nwa, last);
			if (last) {
				assert_int_equal(vdrive_read_blocks(vd, last - 1, 1, blk), 0);
				assert_int_equal(blk[0], (uint8_t)((last - 1) / 32));
			}
		}
		/* and the drive goes on from there */
		{
			struct vdrive_result r;
			uint8_t *buf = calloc(32, 2048);

			vdrive_exec(vd, (uint8_t[6]){0}, 6, VDRIVE_DIR_NONE, NULL, 0, &r);
			assert_int_equal(write10(vd, (uint32_t)vi.nwa, 32, buf).status, 0);
			free(buf);
		}
		vdrive_close(vd);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct vdrive_result read10(struct vdrive *vd, uint32_t lba, uint16_t n, bool fua,
				   uint8_t *buf)
{
	uint8_t cdb[10] = {0x28};

	cdb[1] = fua ? 0x08 : 0;
	bfs_put_be32(cdb + 2, lba);
	bfs_put_be16(cdb + 7, n);
	return run(vd, cdb, 10, VDRIVE_DIR_IN, buf, (size_t)n * 2048);
}

/* Immed close: NOT READY 04/07 with progress until done; without Immed it takes as long */
static void test_long_operations(void **state)
{
	struct vdrive *vd;
	uint8_t *buf = calloc(32, 2048), cdb[10] = {0}, sense[18], q[36];
	struct vdrive_result r;
	double t0;

	(void)state;
	setenv("BURNFS_VDRIVE_LONGOP_MS", "300", 1);
	vd = open_fresh("long", "dvd-r", 4096);
	assert_int_equal(write10(vd, 0, 32, buf).status, 0);
	cdb[0] = 0x5B, cdb[1] = 0x01, cdb[2] = 0x01; /* CLOSE TRACK, Immed */
	t0 = now_s();
	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	assert_true(now_s() - t0 < 0.1);
	r = run(vd, (uint8_t[6]){0}, 6, VDRIVE_DIR_NONE, NULL, 0);
	assert_sense(r, 0x02, 0x04, 0x07);
	assert_int_equal(r.sense[15], 0x80); /* SKSV: the progress indication is valid */
	/* REQUEST SENSE: GOOD, with the same sense and progress */
	r = run(vd, (uint8_t[6]){0x03, 0, 0, 0, 18}, 6, VDRIVE_DIR_IN, sense, 18);
	assert_int_equal(r.status, 0);
	assert_int_equal(sense[2], 0x02);
	assert_int_equal(sense[12], 0x04);
	assert_int_equal(sense[13], 0x07);
	/* INQUIRY still answers; a write does not */
	r = run(vd, (uint8_t[6]){0x12, 0, 0, 0, 36}, 6, VDRIVE_DIR_IN, q, 36);
	assert_int_equal(r.status, 0);
	assert_sense(write10(vd, 32, 32, buf), 0x02, 0x04, 0x07);
	usleep(350000);
	assert_int_equal(run(vd, (uint8_t[6]){0}, 6, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	/* CLOSE SESSION without Immed: the command itself takes the time */
	cdb[1] = 0, cdb[2] = 0x02;
	t0 = now_s();
	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	assert_true(now_s() - t0 >= 0.29);
	assert_int_equal(run(vd, (uint8_t[6]){0}, 6, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	vdrive_close(vd);
	unsetenv("BURNFS_VDRIVE_LONGOP_MS");
	free(buf);
}

/* corrupt-read damages the medium: FUA reads see it, the cache hides it until a tray cycle */
static void test_cache_and_fua(void **state)
{
	struct vdrive *vd = open_fresh("cache", "bd-r", 4096);
	uint8_t *buf = malloc(32 * 2048), *got = malloc(2048);
	uint8_t eject[6] = {0x1B, 0, 0, 0, 0x02}, load[6] = {0x1B, 0, 0, 0, 0x03};
	struct vdrive_result r;

	(void)state;
	for (size_t i = 0; i < 32 * 2048; i++)
		buf[i] = (uint8_t)(i * 7);
	assert_int_equal(write10(vd, 0, 32, buf).status, 0);
	assert_int_equal(vdrive_fault(drive_dir("cache"), "corrupt-read@5"), 0);
	assert_int_equal(read10(vd, 5, 1, false, got).status, 0);
	assert_memory_equal(got, buf + 5 * 2048, 2048); /* from the cache */
	assert_int_equal(read10(vd, 5, 1, true, got).status, 0);
	assert_memory_not_equal(got, buf + 5 * 2048, 2048); /* from the medium */
	assert_int_equal(got[100] ^ buf[5 * 2048 + 100], 0x01);
	assert_int_equal(run(vd, eject, 6, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	assert_sense(run(vd, (uint8_t[6]){0}, 6, VDRIVE_DIR_NONE, NULL, 0), 0x02, 0x3A, 0x02);
	assert_int_equal(run(vd, load, 6, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	r = run(vd, (uint8_t[6]){0}, 6, VDRIVE_DIR_NONE, NULL, 0); /* evaluated once */
	assert_sense(r, 0x06, 0x28, 0x00);
	assert_int_equal(read10(vd, 5, 1, false, got).status, 0);
	assert_memory_not_equal(got, buf + 5 * 2048, 2048); /* the cache is gone */
	vdrive_close(vd);
	free(buf);
	free(got);
}

/* MODE SELECT page 05h with Test Write: CD-R/DVD-R write nothing; BD-R refuses it */
static void test_test_write(void **state)
{
	struct vdrive *cd = open_fresh("tw-cd", "cd-r", 4096),
		      *bd = open_fresh("tw-bd", "bd-r", 4096);
	uint8_t *buf = calloc(32, 2048), b[48], p[8 + 52] = {0}, cdb[10] = {0x55, 0x10};

	(void)state;
	bfs_put_be16(cdb + 7, sizeof(p));
	p[8] = 0x05, p[9] = 50, p[10] = 0x40 | 0x10 | 0x01, p[11] = 0xC0 | 0x04, p[12] = 0x08;
	assert_sense(run(bd, cdb, 10, VDRIVE_DIR_OUT, p, sizeof(p)), 0x05, 0x26, 0x00);
	assert_int_equal(run(cd, cdb, 10, VDRIVE_DIR_OUT, p, sizeof(p)).status, 0);
	assert_int_equal(write10(cd, 0, 32, buf).status, 0);
	assert_int_equal(write10(cd, 32, 32, buf).status, 0); /* the simulated NWA moved on */
	assert_sense(write10(cd, 0, 32, buf), 0x05, 0x21, 0x02);
	disc_info(cd, b);
	assert_int_equal(b[2] & 0x03, 0x00); /* still blank */
	p[10] = 0x40 | 0x01;		     /* Test Write off: the real NWA is 0 again */
	assert_int_equal(run(cd, cdb, 10, VDRIVE_DIR_OUT, p, sizeof(p)).status, 0);
	assert_int_equal(write10(cd, 0, 32, buf).status, 0);
	disc_info(cd, b);
	assert_int_equal(b[2] & 0x03, 0x01); /* incomplete: recorded */
	vdrive_close(cd);
	vdrive_close(bd);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_once),
		cmocka_unit_test(test_overwrite_and_commands),
		cmocka_unit_test(test_exclusive),
		cmocka_unit_test(test_killed),
		cmocka_unit_test(test_long_operations),
		cmocka_unit_test(test_cache_and_fua),
		cmocka_unit_test(test_test_write),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
