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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/macro.h"
#include "vdrive/vdrive.h"
#include "vdrive-internal.h" /* the defence-in-depth test reaches inside */

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

/* FORMAT UNIT with one full-capacity descriptor of the given format type */
static struct vdrive_result format_unit(struct vdrive *vd, uint8_t type, uint32_t blocks)
{
	uint8_t cdb[6] = {0x04, 0x11}, list[12] = {0, 0, 0, 8};

	bfs_put_be32(list + 4, blocks);
	list[8] = (uint8_t)(type << 2);
	return run(vd, cdb, 6, VDRIVE_DIR_OUT, list, sizeof(list));
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
	assert_int_equal(b[2] & 0x03, 0x01); /* appendable */
	/* the last session is the empty next one, counted in the sessions (libburn subtracts
	 * it unless its state is complete, and showed a second, empty session) */
	assert_int_equal((b[2] >> 2) & 0x03, 0x00);
	assert_int_equal(b[4], 2);
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

/* DVD+RW: READ DISC INFORMATION tells the background format's state (byte 7) */
static void test_dvd_plus_rw_bg_format(void **state)
{
	struct vdrive *vd = open_fresh("bgfmt", "dvd+rw", 4096);
	uint8_t b[48];

	(void)state;
	disc_info(vd, b);
	assert_int_equal(b[7] & 0x03, 0x00); /* not formatted */
	assert_int_equal(format_unit(vd, 0x26, 4096).status, 0);
	disc_info(vd, b);
	assert_int_equal(b[7] & 0x03, 0x03); /* completed: libburn must not format again */
	assert_int_equal(b[2] & 0x03, 0x03);
	vdrive_close(vd);
}

static void test_overwrite_and_commands(void **state)
{
	struct vdrive *vd = open_fresh("bdre", "bd-re", 4096);
	uint8_t *buf = calloc(32, 2048), b[64], cdb[16] = {0};
	struct vdrive_result r;

	(void)state;
	memset(buf, 0xAB, 32 * 2048);
	/* new overwrite media are blank until formatted; writes get MEDIUM NOT FORMATTED */
	disc_info(vd, b);
	assert_int_equal(b[2] & 0x03, 0x00);
	assert_sense(write10(vd, 1000, 32, buf), 0x05, 0x30, 0x10);
	assert_int_equal(format_unit(vd, 0x00, 4096).status, 0);
	disc_info(vd, b);
	assert_int_equal(b[2] & 0x03, 0x03); /* random writable */
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
		int go[2];
		char c;
		pid_t pid;

		snprintf(name, sizeof(name), "kill%d", round);
		assert_int_equal(vdrive_create(drive_dir(name), "bd-r", 200000), 0);
		assert_int_equal(pipe(go), 0);
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
				if (lba == 96 && write(go[1], "", 1) != 1) /* past a commit */
					_exit(3);
			}
		}
		/* the kill comes a while after the child passed its first commit, however slow
		 * a loaded machine makes it (a fixed 20 ms was sometimes before any) */
		close(go[1]);
		assert_int_equal(read(go[0], &c, 1), 1);
		close(go[0]);
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

/* Send a CDB of n bytes with a reply of up to len bytes into b; the status. */
static struct vdrive_result in(struct vdrive *vd, const uint8_t *cdb, size_t n, void *b, size_t len)
{
	memset(b, 0, len);
	return run(vd, cdb, n, VDRIVE_DIR_IN, b, len);
}

static void close_session(struct vdrive *vd)
{
	uint8_t cdb[10] = {0x5B, 0, 0x01};

	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	cdb[2] = 0x02;
	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_NONE, NULL, 0).status, 0);
}

static void mode_select_05(struct vdrive *vd, uint8_t write_type, bool multisession,
			   uint8_t want_key)
{
	uint8_t p[8 + 52] = {0}, cdb[10] = {0x55, 0x10};
	struct vdrive_result r;

	bfs_put_be16(cdb + 7, sizeof(p));
	p[8] = 0x05, p[9] = 50, p[10] = (uint8_t)(0x40 | write_type);
	p[11] = (uint8_t)((multisession ? 0xC0 : 0) | 0x04), p[12] = 0x08;
	r = run(vd, cdb, 10, VDRIVE_DIR_OUT, p, sizeof(p));
	if (want_key)
		assert_sense(r, want_key, 0x26, 0x00);
	else
		assert_int_equal(r.status, 0);
}

/* READ TOC formats 0/1 in LBA and MSF form and the Full TOC of a two-session CD-R */
static void test_toc(void **state)
{
	struct vdrive *vd = open_fresh("toc", "cd-r", 30000);
	uint8_t *buf = calloc(32, 2048), b[512], cdb[10] = {0x43};
	struct vdrive_result r;
	uint64_t s2;

	(void)state;
	mode_select_05(vd, 0x01, true, 0);
	assert_int_equal(write10(vd, 0, 20, buf).status, 0);
	close_session(vd);
	/* the second session starts after lead-out, lead-in and pregap: 6750 + 4500 + 150 */
	s2 = 20 + 11400;
	assert_int_equal(write10(vd, (uint32_t)s2, 10, buf).status, 0);
	close_session(vd);
	/* format 0, LBA: tracks 1 and 2, lead-out AAh after track 2 */
	bfs_put_be16(cdb + 7, sizeof(b));
	r = in(vd, cdb, 10, b, sizeof(b));
	assert_int_equal(r.status, 0);
	assert_int_equal(bfs_get_be16(b), 2 + 3 * 8);
	assert_int_equal(b[6], 1);
	assert_int_equal(bfs_get_be32(b + 8), 0);
	assert_int_equal(b[14], 2);
	assert_int_equal(bfs_get_be32(b + 16), s2);
	assert_int_equal(b[22], 0xAA);
	assert_int_equal(bfs_get_be32(b + 24), s2 + 10);
	/* format 1, MSF: the last session's first track at LBA s2 = (s2 + 150) frames */
	cdb[1] = 0x02, cdb[2] = 0x01;
	r = in(vd, cdb, 10, b, sizeof(b));
	assert_int_equal(r.status, 0);
	assert_int_equal(b[3], 2); /* last complete session */
	assert_int_equal(b[9], (s2 + 150) / 4500);
	assert_int_equal(b[10], (s2 + 150) / 75 % 60);
	assert_int_equal(b[11], (s2 + 150) % 75);
	/* format 2: sessions 1-2; A0/A1/A2 + one track each, B0 in the appendable last */
	cdb[1] = 0, cdb[2] = 0x02;
	r = in(vd, cdb, 10, b, sizeof(b));
	assert_int_equal(r.status, 0);
	assert_int_equal(b[2], 1);
	assert_int_equal(b[3], 2);
	assert_int_equal(bfs_get_be16(b), 2 + 11 * 9);
	{
		const uint8_t *d = b + 4;
		bool saw_b0 = false, saw_t2 = false, saw_a2 = false;

		for (unsigned i = 0; i < 9; i++, d += 11) {
			if (d[3] == 0xB0) {
				assert_int_equal(d[0], 2);
				assert_int_equal(d[1] >> 4, 5); /* ADR 5 */
				saw_b0 = true;
			}
			if (d[3] == 0x02) {
				uint64_t f = ((uint64_t)d[8] * 60 + d[9]) * 75 + d[10];

				assert_int_equal(d[0], 2);
				assert_int_equal(f - 150, s2);
				saw_t2 = true;
			}
			if (d[3] == 0xA2 && d[0] == 1) {
				uint64_t f = ((uint64_t)d[8] * 60 + d[9]) * 75 + d[10];

				assert_int_equal(f - 150, 20); /* session 1's lead-out */
				saw_a2 = true;
			}
		}
		assert_true(saw_b0 && saw_t2 && saw_a2);
	}
	vdrive_close(vd);
	vd = open_fresh("toc-dvd", "dvd+r", 30000);
	assert_sense(in(vd, cdb, 10, b, sizeof(b)), 0x05, 0x24, 0x00); /* Full TOC: CD only */
	vdrive_close(vd);
	free(buf);
}

/* Mode page 2Ah, GET PERFORMANCE, SET STREAMING, SET CD SPEED */
static void test_speeds(void **state)
{
	struct vdrive *vd = open_fresh("speed", "bd-r", 30000);
	uint8_t b[256], cdb[12] = {0x5A, 0, 0x2A}, sp[28] = {0};
	struct vdrive_result r;
	uint32_t slowest;

	(void)state;
	bfs_put_be16(cdb + 7, sizeof(b));
	r = in(vd, cdb, 10, b, sizeof(b));
	assert_int_equal(r.status, 0);
	assert_int_equal(b[8] & 0x3F, 0x2A);
	assert_true(b[8 + 4] & 0x80); /* BUF: underrun protection */
	{
		unsigned top = bfs_get_be16(b + 8 + 28), n = bfs_get_be16(b + 8 + 30);

		assert_true(n >= 2);
		assert_int_equal(top % 4496, 0); /* multiples of BD 1x */
		assert_int_equal(bfs_get_be16(b + 8 + 32 + 2), top);
	}
	/* GET PERFORMANCE type 03h: write speed descriptors, fastest first */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xAC, cdb[10] = 0x03;
	bfs_put_be16(cdb + 8, 8);
	r = in(vd, cdb, 12, b, sizeof(b));
	assert_int_equal(r.status, 0);
	{
		unsigned n = (bfs_get_be32(b) - 4) / 16;

		assert_true(n >= 2);
		assert_true(bfs_get_be32(b + 8 + 12) > bfs_get_be32(b + 8 + 16 + 12));
		assert_int_equal(bfs_get_be32(b + 8 + 16 + 12) % 4496, 0);
		slowest = bfs_get_be32(b + 8 + 16 * (n - 1) + 12);
	}
	/* SET STREAMING to the slowest listed speed (kB/s = KB per 1000 ms): page 2Ah has it */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xB6;
	bfs_put_be16(cdb + 9, sizeof(sp));
	bfs_put_be32(sp + 8, 29999);
	bfs_put_be32(sp + 12, slowest), bfs_put_be32(sp + 16, 1000);
	bfs_put_be32(sp + 20, slowest), bfs_put_be32(sp + 24, 1000);
	assert_int_equal(run(vd, cdb, 12, VDRIVE_DIR_OUT, sp, sizeof(sp)).status, 0);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x5A, cdb[2] = 0x2A;
	bfs_put_be16(cdb + 7, sizeof(b));
	assert_int_equal(in(vd, cdb, 10, b, sizeof(b)).status, 0);
	assert_int_equal(bfs_get_be16(b + 8 + 28), slowest);
	/* a zero write time is an invalid parameter list */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xB6;
	bfs_put_be16(cdb + 9, sizeof(sp));
	bfs_put_be32(sp + 24, 0);
	assert_sense(run(vd, cdb, 12, VDRIVE_DIR_OUT, sp, sizeof(sp)), 0x05, 0x26, 0x00);
	vdrive_close(vd);
	/* SET CD SPEED in kB/s: 10x asked, 8x listed below it is set */
	vd = open_fresh("speed-cd", "cd-r", 30000);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xBB;
	bfs_put_be16(cdb + 2, 0xFFFF);
	bfs_put_be16(cdb + 4, 10 * 176 + 10);
	assert_int_equal(run(vd, cdb, 12, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x5A, cdb[2] = 0x2A;
	bfs_put_be16(cdb + 7, sizeof(b));
	assert_int_equal(in(vd, cdb, 10, b, sizeof(b)).status, 0);
	assert_true(bfs_get_be16(b + 8 + 28) <= 10 * 176);
	assert_int_equal(bfs_get_be16(b + 8 + 28) % 176, 0);
	vdrive_close(vd);
}

/* GESN, READ FORMAT CAPACITIES, READ BUFFER CAPACITY, MECHANISM STATUS, READ DISC STRUCTURE */
static void test_status_commands(void **state)
{
	struct vdrive *vd = open_fresh("status", "dvd+r", 30000);
	uint8_t b[2100], cdb[12] = {0x4A, 0x01};
	struct vdrive_result r;

	(void)state;
	/* polled media events: new media after load, then none */
	cdb[4] = 0x10;
	bfs_put_be16(cdb + 7, 8);
	assert_int_equal(in(vd, cdb, 10, b, 8).status, 0);
	assert_int_equal(b[2] & 0x07, 0x04); /* media class */
	assert_int_equal(b[4] & 0x0F, 0x02); /* NewMedia */
	assert_int_equal(b[5] & 0x02, 0x02); /* media present */
	assert_int_equal(in(vd, cdb, 10, b, 8).status, 0);
	assert_int_equal(b[4] & 0x0F, 0x00);
	cdb[1] = 0; /* asynchronous: not supported */
	assert_sense(in(vd, cdb, 10, b, 8), 0x05, 0x24, 0x00);
	/* READ FORMAT CAPACITIES of a blank DVD+R: unformatted, the capacity */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x23;
	bfs_put_be16(cdb + 7, 252);
	assert_int_equal(in(vd, cdb, 10, b, 252).status, 0);
	assert_int_equal(bfs_get_be32(b + 4), 30000);
	assert_int_equal(b[8] & 0x03, 0x01);
	assert_int_equal(bfs_get_be24(b + 9), 2048);
	/* READ BUFFER CAPACITY: empty buffer, bytes and blocks forms */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x5C;
	bfs_put_be16(cdb + 7, 12);
	assert_int_equal(in(vd, cdb, 10, b, 12).status, 0);
	assert_true(bfs_get_be32(b + 4) > 0);
	assert_int_equal(bfs_get_be32(b + 8), bfs_get_be32(b + 4));
	cdb[1] = 0x01;
	assert_int_equal(in(vd, cdb, 10, b, 12).status, 0);
	assert_int_equal(b[3] & 0x01, 1);
	/* MECHANISM STATUS: door closed */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xBD;
	bfs_put_be16(cdb + 8, 8);
	assert_int_equal(in(vd, cdb, 12, b, 8).status, 0);
	assert_int_equal(b[1] & 0x10, 0);
	/* READ DISC STRUCTURE format 00h: DVD+R book type 0Ah, recordable layer */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xAD;
	bfs_put_be16(cdb + 8, 2052);
	r = in(vd, cdb, 12, b, 2052);
	assert_int_equal(r.status, 0);
	assert_int_equal(b[4] >> 4, 0x0A);
	assert_int_equal(b[6] & 0x0F, 0x02);
	assert_int_equal(bfs_get_be32(b + 12) - bfs_get_be32(b + 8) + 1, 30000);
	cdb[1] = 0x01; /* BD structures of a DVD: incompatible */
	assert_sense(in(vd, cdb, 12, b, 2052), 0x05, 0x30, 0x02);
	vdrive_close(vd);
	/* READ FORMAT CAPACITIES of a BD-RE: unformatted, then formatted; types 00h, 30h */
	vd = open_fresh("status-re", "bd-re", 30000);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x23;
	bfs_put_be16(cdb + 7, 252);
	assert_int_equal(in(vd, cdb, 10, b, 252).status, 0);
	assert_int_equal(b[8] & 0x03, 0x01);
	assert_int_equal(format_unit(vd, 0x30, 30000).status, 0);
	assert_int_equal(in(vd, cdb, 10, b, 252).status, 0);
	assert_int_equal(b[8] & 0x03, 0x02);
	assert_true(b[3] >= 16);
	assert_int_equal(b[12 + 4] >> 2, 0x00);
	assert_int_equal(b[20 + 4] >> 2, 0x30);
	vdrive_close(vd);
}

/* Fill the stack below the caller with v: what a reply built on the stack did not set. */
static __attribute__((noinline)) void paint_stack(uint8_t v)
{
	volatile uint8_t junk[32768];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = v;
}

/* The reply to cdb after the stack was painted with v. */
static struct vdrive_result painted(struct vdrive *vd, const uint8_t *cdb, size_t n, uint8_t v,
				    uint8_t *b, size_t len)
{
	memset(b, 0xEE, len);
	paint_stack(v);
	return run(vd, cdb, n, VDRIVE_DIR_IN, b, len);
}

/*
 * Every byte of a reply is set by the drive, reserved ones to zero: the same command answers
 * the same bytes whatever its stack held before (GET CONFIGURATION's reserved bytes, its
 * profile list's feature code MSB and its features' data carried the stack's garbage).
 */
static void test_replies_set_every_byte(void **state)
{
	static const uint8_t cdbs[][12] = {
		{0x46, 0x00, 0, 0, 0, 0, 0, 0x01, 0x00},    /* every feature */
		{0x46, 0x01, 0, 0, 0, 0, 0, 0x01, 0x00},    /* the current ones */
		{0x46, 0x02, 0, 0x00, 0, 0, 0, 0x01, 0x00}, /* profile list only */
		{0x46, 0x02, 0, 0x01, 0, 0, 0, 0x01, 0x00}, /* core only */
		{0x46, 0x02, 0, 0x2B, 0, 0, 0, 0x01, 0x00}, /* DVD+R only */
		{0x51, 0, 0, 0, 0, 0, 0, 0, 34},	    /* disc information */
		{0x52, 0x01, 0, 0, 0, 0x01, 0, 0, 48},	    /* track information */
		{0x43, 0, 0x00, 0, 0, 0, 0, 0x04, 0x00},    /* TOC */
		{0x43, 0, 0x01, 0, 0, 0, 0, 0, 12},	    /* session information */
		{0x5A, 0, 0x3F, 0, 0, 0, 0, 0x01, 0x00},    /* mode pages 05h, 2Ah */
		{0xAC, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0x03},    /* write speeds */
		{0xAC, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0x00},    /* performance */
		{0x5C, 0, 0, 0, 0, 0, 0, 0, 12},	    /* buffer capacity */
		{0x23, 0, 0, 0, 0, 0, 0, 0, 252},	    /* format capacities */
		{0x12, 0, 0, 0, 36},			    /* INQUIRY */
		{0x25},					    /* READ CAPACITY */
		{0xBD, 0, 0, 0, 0, 0, 0, 0, 0, 8},	    /* mechanism status */
		{0xAD, 0, 0, 0, 0, 0, 0, 0xFF, 0x01, 0x00}, /* structure list */
	};
	struct vdrive *vd = open_fresh("garbage", "dvd+r", 30000);
	uint8_t a[512], b[512], cdb[10] = {0x2A};
	static uint8_t data[16 * 2048];

	(void)state;
	/* a recorded track and the empty next one: every builder has something to say */
	bfs_put_be16(cdb + 7, 16);
	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_OUT, data, sizeof(data)).status, 0);
	for (size_t i = 0; i < BFS_ARRAY_SIZE(cdbs); i++) {
		size_t n = cdbs[i][0] < 0x20 ? 6 : cdbs[i][0] < 0xA0 ? 10 : 12;
		struct vdrive_result ra = painted(vd, cdbs[i], n, 0x00, a, sizeof(a));
		struct vdrive_result rb = painted(vd, cdbs[i], n, 0xA5, b, sizeof(b));

		assert_int_equal(ra.status, 0);
		assert_int_equal(rb.status, 0);
		assert_int_equal(ra.resid, rb.resid);
		if (memcmp(a, b, sizeof(a) - ra.resid) != 0) {
			for (size_t k = 0; k < sizeof(a) - ra.resid; k++)
				if (a[k] != b[k])
					print_error("command %02Xh: byte %zu is %02X or %02X\n",
						    cdbs[i][0], k, a[k], b[k]);
			fail();
		}
	}
	vdrive_close(vd);
}

/* VERIFY(10), WRITE AND VERIFY(10), READ CD, BLANK and FORMAT UNIT types */
static void test_verify_and_read_cd(void **state)
{
	struct vdrive *vd = open_fresh("verify", "cd-rw", 30000);
	uint8_t *buf = malloc(4 * 2048), *rd = malloc(4 * 2048), cdb[12] = {0x2E};
	struct vdrive_result r;

	(void)state;
	for (size_t i = 0; i < 4 * 2048; i++)
		buf[i] = (uint8_t)(i * 7);
	/* WRITE AND VERIFY at the NWA */
	bfs_put_be16(cdb + 7, 4);
	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_OUT, buf, 4 * 2048).status, 0);
	/* VERIFY with BYTCHK: equal, then one byte off: miscompare */
	cdb[0] = 0x2F, cdb[1] = 0x02;
	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_OUT, buf, 4 * 2048).status, 0);
	buf[3 * 2048 + 9] ^= 0xFF;
	assert_sense(run(vd, cdb, 10, VDRIVE_DIR_OUT, buf, 4 * 2048), 0x0E, 0x1D, 0x00);
	buf[3 * 2048 + 9] ^= 0xFF;
	/* medium verification past what is written */
	cdb[1] = 0;
	bfs_put_be32(cdb + 2, 2);
	assert_sense(run(vd, cdb, 10, VDRIVE_DIR_NONE, NULL, 0), 0x05, 0x21, 0x00);
	/* READ CD: user data of mode 1 sectors */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xBE, cdb[1] = 0x02 << 2, cdb[9] = 0x10;
	bfs_put_be24(cdb + 6, 4);
	r = in(vd, cdb, 12, rd, 4 * 2048);
	assert_int_equal(r.status, 0);
	assert_memory_equal(rd, buf, 4 * 2048);
	cdb[9] = 0xF8; /* sync, headers, EDC: raw sectors not emulated */
	assert_sense(in(vd, cdb, 12, rd, 4 * 2048), 0x05, 0x24, 0x00);
	/* BLANK type 2 (a track): not emulated; type 1 (minimal) blanks the disc */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xA1, cdb[1] = 0x02;
	assert_sense(run(vd, cdb, 12, VDRIVE_DIR_NONE, NULL, 0), 0x05, 0x24, 0x00);
	cdb[1] = 0x01;
	assert_int_equal(run(vd, cdb, 12, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	{
		uint8_t di[34];

		disc_info(vd, di);
		assert_int_equal(di[2] & 0x03, 0x00);
	}
	vdrive_close(vd);
	/* READ CD on a DVD: illegal mode for this track */
	vd = open_fresh("verify-dvd", "dvd-r", 30000);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xBE, cdb[9] = 0x10;
	bfs_put_be24(cdb + 6, 1);
	assert_sense(in(vd, cdb, 12, rd, 2048), 0x05, 0x64, 0x00);
	vdrive_close(vd);
	/* FORMAT UNIT: a DVD+RW takes format type 26h only */
	vd = open_fresh("verify-rw", "dvd+rw", 30000);
	{
		uint8_t list[12] = {0, 0x02, 0, 8};

		memset(cdb, 0, sizeof(cdb));
		cdb[0] = 0x04, cdb[1] = 0x11;
		bfs_put_be32(list + 4, 30000);
		list[8] = 0x00;
		assert_sense(run(vd, cdb, 6, VDRIVE_DIR_OUT, list, 12), 0x05, 0x26, 0x00);
		list[8] = 0x26 << 2;
		assert_int_equal(run(vd, cdb, 6, VDRIVE_DIR_OUT, list, 12).status, 0);
	}
	vdrive_close(vd);
	free(buf);
	free(rd);
}

/* RESERVE TRACK and SEND CUE SHEET (SAO) */
static void test_reserve_and_sao(void **state)
{
	struct vdrive *vd = open_fresh("rsv", "dvd-r", 30000);
	uint8_t *buf = calloc(64, 2048), b[48], cdb[10] = {0x53};
	struct vdrive_result r;

	(void)state;
	bfs_put_be32(cdb + 5, 48);
	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	/* a second reservation while the first track is open: sequence error */
	assert_sense(run(vd, cdb, 10, VDRIVE_DIR_NONE, NULL, 0), 0x05, 0x2C, 0x00);
	/* READ TRACK INFORMATION: RT set, start 0 */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x52, cdb[1] = 0x01;
	bfs_put_be32(cdb + 2, 1);
	bfs_put_be16(cdb + 7, 48);
	assert_int_equal(in(vd, cdb, 10, b, 48).status, 0);
	assert_int_equal(b[6] & 0x80, 0x80);
	assert_int_equal(bfs_get_be32(b + 8), 0);
	/* writes fill the reservation and may not run past it */
	assert_int_equal(write10(vd, 0, 32, buf).status, 0);
	assert_sense(write10(vd, 32, 32, buf), 0x05, 0x21, 0x02);
	assert_int_equal(write10(vd, 32, 16, buf).status, 0);
	vdrive_close(vd);

	/* SAO on a CD-R: cue sheet rejected in TAO mode, accepted in SAO mode */
	vd = open_fresh("sao", "cd-r", 30000);
	{
		uint8_t cue[24] = {
			0x41, 0x00, 0x00, 0x10, 0x00, 0, 0, 0, /* lead-in */
			0x41, 0x01, 0x01, 0x10, 0x00, 0, 2, 0, /* track 1 at 00:02:00 */
			0x41, 0xAA, 0x01, 0x10, 0x00, 0, 2, 40 /* lead-out after 40 blocks */
		};
		uint8_t scs[10] = {0x5D};

		bfs_put_be24(scs + 6, sizeof(cue));
		r = run(vd, scs, 10, VDRIVE_DIR_OUT, cue, sizeof(cue));
		assert_sense(r, 0x05, 0x2C, 0x00);
		mode_select_05(vd, 0x02, false, 0);
		cue[9] = 0x00; /* track number 0 in the middle: invalid */
		assert_sense(run(vd, scs, 10, VDRIVE_DIR_OUT, cue, sizeof(cue)), 0x05, 0x26, 0x00);
		cue[9] = 0x01;
		assert_int_equal(run(vd, scs, 10, VDRIVE_DIR_OUT, cue, sizeof(cue)).status, 0);
		assert_int_equal(write10(vd, 0, 32, buf).status, 0);
		assert_int_equal(write10(vd, 32, 8, buf).status, 0);
		/* the session closed itself at the lead-out: the disc is complete */
		disc_info(vd, b);
		assert_int_equal(b[2] & 0x03, 0x02);
		assert_sense(write10(vd, 40, 1, buf), 0x05, 0x72, 0x00);
	}
	vdrive_close(vd);

	/* SAO with the first track's pregap in the cue sheet (index 0 at 00:00:00, as libburn
	 * sends it): the host writes it first, from LBA -150; only the blocks from index 1 on
	 * are user data */
	vd = open_fresh("sao-pregap", "cd-r", 30000);
	{
		uint8_t cue[32] = {
			0x41, 0x00, 0x00, 0x14, 0x00, 0, 0, 0,	/* lead-in */
			0x41, 0x01, 0x00, 0x10, 0x00, 0, 0, 0,	/* track 1 index 0 at 00:00:00 */
			0x41, 0x01, 0x01, 0x10, 0x00, 0, 2, 0,	/* index 1 at 00:02:00 (LBA 0) */
			0x41, 0xAA, 0x01, 0x14, 0x00, 0, 2, 40, /* lead-out after 40 blocks */
		};
		uint8_t scs[10] = {0x5D}, got[2048];

		mode_select_05(vd, 0x02, false, 0);
		bfs_put_be24(scs + 6, sizeof(cue));
		assert_int_equal(run(vd, scs, 10, VDRIVE_DIR_OUT, cue, sizeof(cue)).status, 0);
		memset(buf, 0xA5, 64 * 2048);
		assert_int_equal(write10(vd, (uint32_t)-150, 64, buf).status, 0);
		assert_int_equal(write10(vd, (uint32_t)-86, 64, buf).status, 0);
		/* 22 blocks of pregap, then the first 10 of the track */
		memset(buf + 22 * 2048, 0x5A, 10 * 2048);
		assert_int_equal(write10(vd, (uint32_t)-22, 32, buf).status, 0);
		assert_int_equal(write10(vd, 10, 30, buf).status, 0);
		assert_int_equal(vdrive_read_blocks(vd, 0, 1, got), 0);
		assert_int_equal(got[0], 0x5A);
		disc_info(vd, b);
		assert_int_equal(b[2] & 0x03, 0x02); /* closed at the lead-out */
	}
	vdrive_close(vd);
	vd = open_fresh("sao-dvd", "dvd+r", 30000);
	mode_select_05(vd, 0x02, false, 0x05); /* SAO: CD only here */
	vdrive_close(vd);
	free(buf);
}

/* the whole of a small file, malloc()ed; its length in *len */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = malloc(65536);

	assert_non_null(f);
	assert_non_null(b);
	*len = fread(b, 1, 65536, f);
	fclose(f);
	return b;
}

static void spill(const char *path, const char *b, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
}

/* A drive that opened on a garbled state never describes an impossible disc. */
static void assert_sane(struct vdrive *vd)
{
	struct vdrive_info vi;

	vdrive_get_info(vd, &vi);
	assert_true(vi.ntracks <= VDRIVE_TRACKS_MAX);
	assert_true(vi.used_end <= vi.capacity);
	for (unsigned i = 0; i < vi.ntracks; i++) {
		assert_true(vi.tracks[i].start + vi.tracks[i].size <= vi.capacity);
		assert_true(!i ||
			    vi.tracks[i].start >= vi.tracks[i - 1].start + vi.tracks[i - 1].size);
	}
}

/*
 * The state parser takes any bytes: random changes, cuts and insertions of a real state
 * file (checksummed: all refused), random files and random lines of the old format (no
 * checksum: refused, or a disc that agrees with itself); never a crash (ASan) or a hang.
 */
static void test_state_garbled(void **state)
{
	static const char *words[] = {"media bd-r", "media cd-r",   "capacity ",     "loaded ",
				      "prevent ",   "status ",	    "written ",	     "used_end ",
				      "track ",	    "unformatted ", "multisession ", "tracks "};
	char path[192], *good, *b;
	struct vdrive *vd = NULL;
	uint8_t *data = calloc(64, 2048);
	size_t len;

	(void)state;
	srand(11);
	vd = open_fresh("garble", "bd-r", 4096);
	assert_int_equal(write10(vd, 0, 64, data).status, 0);
	vdrive_close(vd);
	snprintf(path, sizeof(path), "%s/state", drive_dir("garble"));
	good = slurp(path, &len);
	b = malloc(65536);
	for (int round = 0; round < 3000; round++) {
		size_t n = len;
		int kind = round % 5, r;

		memcpy(b, good, len);
		if (kind == 0) { /* bytes changed */
			for (int k = 1 + rand() % 3; k > 0; k--)
				b[rand() % len] ^= (char)(1 + rand() % 255);
		} else if (kind == 1) { /* cut */
			n = (size_t)rand() % len;
		} else if (kind == 2) { /* bytes inserted */
			size_t at = (size_t)rand() % len, k = 1 + (size_t)rand() % 8;

			memmove(b + at + k, b + at, len - at);
			for (size_t i = 0; i < k; i++)
				b[at + i] = (char)rand();
			n = len + k;
		} else if (kind == 3) { /* random bytes */
			n = (size_t)rand() % 600;
			for (size_t i = 0; i < n; i++)
				b[i] = (char)rand();
		} else { /* the old format: random lines of its words and numbers */
			n = (size_t)snprintf(b, 65536, "burnfs-vdrive 1\n");
			for (int k = rand() % 16; k > 0 && n < 60000; k--)
				n += (size_t)snprintf(b + n, 65536 - n, "%s%d %d %d %d %d\n",
						      words[rand() % 12], rand() % 5000 - 10,
						      rand() % 3, rand() % 3, rand() % 2,
						      rand() % 2);
		}
		spill(path, b, n);
		r = vdrive_open(drive_dir("garble"), &vd);
		if (kind < 4 && (n != len || memcmp(b, good, len) != 0))
			assert_int_equal(r, -EUCLEAN);
		assert_true(r == 0 || r == -EUCLEAN);
		if (r == 0) {
			assert_sane(vd);
			vd = vdrive_close(vd);
		}
	}
	spill(path, good, len);
	assert_int_equal(vdrive_open(drive_dir("garble"), &vd), 0);
	vdrive_close(vd);
	free(b);
	free(good);
	free(data);
}

/* create: never over a file it did not make; capacities per medium */
static void test_create_refuses(void **state)
{
	char p[192];
	FILE *f;

	(void)state;
	mkdir(drive_dir("mine"), 0755);
	snprintf(p, sizeof(p), "%s/disc.img", drive_dir("mine"));
	f = fopen(p, "w");
	fputs("precious", f);
	fclose(f);
	assert_int_equal(vdrive_create(drive_dir("mine"), "cd-r", 0), -ENOTEMPTY);
	f = fopen(p, "r");
	assert_non_null(f);
	assert_int_equal(fgetc(f), 'p');
	fclose(f);
	assert_int_equal(vdrive_create(drive_dir("fresh"), "cd-r", 0), 0);
	assert_int_equal(vdrive_create(drive_dir("fresh"), "cd-r", 0), -EEXIST);
	assert_int_equal(vdrive_create(drive_dir("c1"), "bd-r", 1023), -ERANGE);
	assert_int_equal(vdrive_create(drive_dir("c2"), "bd-r", 1ull << 32), -ERANGE);
	assert_int_equal(vdrive_create(drive_dir("c3"), "cd-r", 449850), -ERANGE);
	assert_int_equal(vdrive_create(drive_dir("c4"), "dvd+r", 16580609), -ERANGE);
	assert_int_equal(access(drive_dir("c2"), F_OK), -1); /* nothing made */
	assert_int_equal(vdrive_create(drive_dir("c5"), "bd-r", 0xFFFFFFFFu), 0);
}

static uint32_t buffer_free(struct vdrive *vd)
{
	uint8_t cdb[10] = {0x5C}, b[12];

	bfs_put_be16(cdb + 7, sizeof(b));
	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_IN, b, sizeof(b)).status, 0);
	return bfs_get_be32(b + 8);
}

/*
 * Faults changed while the drive is in use: the write buffer keeps its accounting (clearing
 * slow:N used to leave it full for good), and a one-shot fault that fired does not fire
 * again when the faults file changes.
 */
static void test_fault_changes(void **state)
{
	uint8_t *buf = calloc(32, 2048);
	struct vdrive *vd;
	struct vdrive_result r;
	uint32_t lba = 0, full, bad;
	char spec[64];

	(void)state;
	vd = open_fresh("fchange", "bd-r", 100000);
	assert_int_equal(vdrive_fault(drive_dir("fchange"), "slow:1"), 0);
	do { /* fill the buffer: 4.5 MB/s drains less than the loop writes */
		r = write10(vd, lba, 32, buf);
		lba += r.status ? 0 : 32;
	} while (r.status == 0 && lba < 20000);
	assert_sense(r, 0x02, 0x04, 0x08);
	full = buffer_free(vd);
	assert_true(full < (4u << 20) / 2);
	/* slower: the data in the buffer stays in it */
	assert_int_equal(vdrive_fault(drive_dir("fchange"), "slow:1"), 0);
	assert_true(buffer_free(vd) < (4u << 20) / 2);
	/* cleared: unthrottled, the buffer empties and the WRITE goes in */
	assert_int_equal(vdrive_fault(drive_dir("fchange"), "clear"), 0);
	assert_int_equal(buffer_free(vd), 4u << 20);
	assert_int_equal(write10(vd, lba, 32, buf).status, 0);
	lba += 32;
	/*
	 * a write error ahead fires once, at its block, named in the sense (ahead of where the
	 * buffer filled, which depends on how fast this loop ran against the drain: under
	 * load it filled past a fixed block 2100, and the fault was never reached)
	 */
	bad = lba + 100;
	snprintf(spec, sizeof(spec), "write-error@%u", bad);
	assert_int_equal(vdrive_fault(drive_dir("fchange"), spec), 0);
	for (; lba + 32 <= bad; lba += 32)
		assert_int_equal(write10(vd, lba, 32, buf).status, 0);
	r = write10(vd, lba, 32, buf);
	assert_sense(r, 0x03, 0x0C, 0x00);
	assert_int_equal(r.sense[0], 0xF0); /* VALID: the INFORMATION field holds the LBA */
	assert_int_equal(bfs_get_be32(r.sense + 3), bad);
	/* another fault added (the file changes): the fired one stays fired */
	assert_int_equal(vdrive_fault(drive_dir("fchange"), "slow:64"), 0);
	r = write10(vd, lba, 32, buf);
	if (r.status) /* what the drive said, to tell a timing flake from a real one */
		print_message("WRITE at %u after slow:64: sense %02X/%02X/%02X, buffer free %u\n",
			      lba, r.sense[2] & 0x0F, r.sense[12], r.sense[13], buffer_free(vd));
	assert_int_equal(r.status, 0);
	vdrive_close(vd);
	free(buf);
}

/*
 * Defence in depth: should the drive's idea of the NWA ever fall below what a write-once
 * disc recorded (a bug; the state checks refuse such a file), the WRITE path still refuses
 * to write there, on CD-R, DVD+R and BD-R alike.
 */
static void test_write_once_floor(void **state)
{
	static const char *media[] = {"cd-r", "dvd+r", "bd-r"};
	uint8_t *buf = malloc(32 * 2048), back[2048];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char name[32];
		struct vdrive *vd;

		snprintf(name, sizeof(name), "floor-%s", media[i]);
		vd = open_fresh(name, media[i], 0);
		memset(buf, 0xA5, 32 * 2048);
		assert_int_equal(write10(vd, 0, 32, buf).status, 0);
		vd->tracks[0].size = 8; /* the bug: the NWA now says 8 */
		memset(buf, 0x5A, 32 * 2048);
		assert_sense(write10(vd, 8, 4, buf), 0x05, 0x21, 0x02);
		assert_int_equal(vdrive_read_blocks(vd, 8, 1, back), 0);
		assert_int_equal(back[0], 0xA5);
		vd->tracks[0].size = 32;
		vdrive_close(vd);
	}
	free(buf);
}

/* vdrive_create or (blank) vdrive_load_blank on dir in a child whose files may not grow
 * past 64 bytes: the state file's write fails half-way; the child's result */
static int with_small_files(const char *d, bool blank)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {64, 64};
		char *shelf = NULL;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		_exit(-(blank ? vdrive_load_blank(d, NULL, 0, &shelf)
			      : vdrive_create(d, "bd-r", 0)));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? -WEXITSTATUS(st) : -EINTR;
}

/* A create or load --blank that fails half-way removes what it made, and only that. */
static void test_create_halfway(void **state)
{
	char p[192];
	struct vdrive *vd;

	(void)state;
	/* a new directory: gone again */
	assert_int_equal(with_small_files(drive_dir("half-new"), false), -EFBIG);
	assert_int_equal(access(drive_dir("half-new"), F_OK), -1);
	/* an existing empty directory: kept, empty */
	assert_int_equal(mkdir(drive_dir("half-empty"), 0755), 0);
	assert_int_equal(with_small_files(drive_dir("half-empty"), false), -EFBIG);
	assert_int_equal(rmdir(drive_dir("half-empty")), 0); /* fails unless empty */
	/* load --blank: the disc in the drive back in place, no shelf left */
	vd = open_fresh("half-load", "bd-r", 4096);
	assert_int_equal(write10(vd, 0, 1, (uint8_t[2048]){1}).status, 0);
	vdrive_close(vd);
	assert_int_equal(with_small_files(drive_dir("half-load"), true), -EFBIG);
	snprintf(p, sizeof(p), "%s/shelf", drive_dir("half-load"));
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(vdrive_open(drive_dir("half-load"), &vd), 0);
	{
		struct vdrive_info vi;

		vdrive_get_info(vd, &vi);
		assert_int_equal(vi.ntracks, 1);
		assert_int_equal(vi.used_end, 1);
	}
	vdrive_close(vd);
}

/* ---- audio CDs ------------------------------------------------------------------------ */

/* Page 05h for audio: write type, raw 2352 blocks, CONTROL, an MCN and an ISRC (or NULL) */
static void page05_audio(struct vdrive *vd, uint8_t type, uint8_t ctl, const char *mcn,
			 const char *isrc)
{
	uint8_t p[8 + 52] = {0}, cdb[10] = {0x55, 0x10};

	bfs_put_be16(cdb + 7, sizeof(p));
	p[8] = 0x05, p[9] = 50, p[10] = (uint8_t)(0x40 | type), p[11] = ctl, p[12] = 0x00;
	if (mcn)
		p[8 + 16] = 0x80, memcpy(p + 8 + 17, mcn, 13);
	if (isrc)
		p[8 + 32] = 0x80, memcpy(p + 8 + 33, isrc, 12);
	assert_int_equal(run(vd, cdb, 10, VDRIVE_DIR_OUT, p, sizeof(p)).status, 0);
}

static struct vdrive_result write_audio(struct vdrive *vd, int32_t lba, uint16_t n, uint8_t *buf)
{
	uint8_t cdb[10] = {0x2A};

	for (size_t i = 0; i < (size_t)n * 2352; i++) /* each block's own pattern */
		buf[i] = (uint8_t)((uint32_t)(lba + (int32_t)(i / 2352)) * 3 + i % 2352 * 7 + 1);
	bfs_put_be32(cdb + 2, (uint32_t)lba);
	bfs_put_be16(cdb + 7, n);
	return run(vd, cdb, 10, VDRIVE_DIR_OUT, buf, (size_t)n * 2352);
}

/* READ CD of one block at lba: expected sector type, main channel byte, sub-channel */
static struct vdrive_result read_cd1(struct vdrive *vd, int32_t lba, uint8_t type, uint8_t main,
				     uint8_t sub, uint8_t *b, size_t len)
{
	uint8_t cdb[12] = {0xBE, (uint8_t)(type << 2)};

	bfs_put_be32(cdb + 2, (uint32_t)lba);
	bfs_put_be24(cdb + 6, 1);
	cdb[9] = main, cdb[10] = sub;
	return in(vd, cdb, 12, b, len);
}

/* The Q CRC as ECMA-130 22.3.5 has it, computed here a second time: CRC-16 1021h, inverted */
static uint16_t q_crc(const uint8_t *q)
{
	uint16_t c = 0;

	for (int i = 0; i < 10; i++)
		for (int b = 7; b >= 0; b--) {
			bool top = ((c >> 15) & 1) ^ ((q[i] >> b) & 1);

			c = (uint16_t)(c << 1);
			if (top)
				c ^= 0x1021;
		}
	return (uint16_t)~c;
}

/* The formatted Q (READ CD sub-channel 010b) of block lba */
static void q_at(struct vdrive *vd, int32_t lba, uint8_t *q)
{
	uint8_t b[2352 + 16];

	assert_int_equal(read_cd1(vd, lba, 1, 0x10, 0x02, b, sizeof(b)).status, 0);
	memcpy(q, b + 2352, 16);
	assert_int_equal(bfs_get_be16(q + 10), q_crc(q));
}

/* The TAO disc of test_audio_tao damaged: its audio image cut short or gone, an unknown
 * line after its tracks; the state's audio lines as written */
static void audio_damaged(void)
{
	char st[256], img[128], away[128];
	struct vdrive *vd = NULL;

	/* the audio image cut short, or gone: damaged, refused */
	snprintf(img, sizeof(img), "%s", drive_dir("atao/audio.img"));
	snprintf(away, sizeof(away), "%s", drive_dir("audio.img"));
	assert_int_equal(truncate(img, 2352 * 800), 0);
	assert_int_equal(vdrive_open(drive_dir("atao"), &vd), -EUCLEAN);
	assert_int_equal(rename(img, away), 0);
	assert_int_equal(vdrive_open(drive_dir("atao"), &vd), -EUCLEAN);
	assert_int_equal(rename(away, img), 0);
	assert_int_equal(truncate(img, 2352 * 900), 0);
	assert_int_equal(vdrive_open(drive_dir("atao"), &vd), 0);
	vdrive_close(vd);
	/* an unknown line after the tracks: damaged, refused */
	{
		char *p = drive_dir("atao/state");
		FILE *f = fopen(p, "r+");
		size_t n;

		assert_non_null(f);
		n = fread(st, 1, sizeof(st) - 1, f);
		st[n] = '\0';
		assert_non_null(strstr(st, "audio 1 0 150 FRZ039800212 -\naudio 2 1 150 - -\n"));
		assert_non_null(strstr(st, "mcn 0000000000017\n"));
		*strstr(st, "audio 2 1") = 'A'; /* an unknown line */
		rewind(f);
		fwrite(st, 1, n, f);
		fclose(f);
		assert_int_equal(vdrive_open(drive_dir("atao"), &vd), -EUCLEAN);
	}
}

/*
 * TAO audio: page 05h block type 0, 2352-byte WRITEs, the drive's 2 s pregap before the
 * second track (the NWA past it, SYNCHRONIZE CACHE ending the track), READ(10) refused,
 * READ CD of CD-DA; the Q sub-channel of a pregap (index 0, counting down), of a body, of
 * the MCN and ISRC frames; TOC from track 2, READ SUB-CHANNEL; all of it after a reopen;
 * a state whose audio line is damaged is refused
 */
static void test_audio_tao(void **state)
{
	struct vdrive *vd = open_fresh("atao", "cd-r", 30000);
	uint8_t *buf = calloc(300, 2352), b[2352 + 96], cdb[10] = {0x52, 0x01};
	uint8_t q[16], sync[10] = {0x35}, close[10] = {0x5B, 0, 0x02};

	(void)state;
	page05_audio(vd, 0x01, 0x00, "0000000000017", "FRZ039800212");
	assert_int_equal(write_audio(vd, 0, 300, buf).status, 0);
	assert_int_equal(run(vd, sync, 10, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	page05_audio(vd, 0x01, 0x01, NULL, NULL); /* pre-emphasis */
	bfs_put_be32(cdb + 2, 0xFF);
	bfs_put_be16(cdb + 7, 48);
	assert_int_equal(in(vd, cdb, 10, b, 48).status, 0);
	assert_int_equal(bfs_get_be32(b + 12), 450); /* 300 + the 150-block pregap */
	assert_sense(write_audio(vd, 300, 1, buf), 0x05, 0x21, 0x02);
	assert_int_equal(write_audio(vd, 450, 300, buf).status, 0);
	assert_int_equal(run(vd, sync, 10, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	assert_int_equal(run(vd, close, 10, VDRIVE_DIR_NONE, NULL, 0).status, 0);
	vdrive_close(vd);
	assert_int_equal(vdrive_open(drive_dir("atao"), &vd), 0);
	(void)run(vd, sync, 10, VDRIVE_DIR_NONE, NULL, 0); /* the power-on unit attention */

	/* 2048-byte reads of CD-DA: illegal mode; READ CD as CD-DA, not as mode 1 */
	assert_sense(read10(vd, 0, 1, false, b), 0x05, 0x64, 0x00);
	assert_sense(read_cd1(vd, 460, 2, 0x10, 0, b, 2352), 0x05, 0x64, 0x00);
	assert_int_equal(read_cd1(vd, 460, 1, 0xF8, 0, b, 2352).status, 0);
	(void)write_audio(vd, 460, 1, buf); /* refused (complete disc), fills buf as written */
	assert_memory_equal(b, buf, 2352);
	assert_int_equal(read_cd1(vd, 320, 0, 0x10, 0, b, 2352).status, 0);
	memset(buf, 0, 2352);
	assert_memory_equal(b, buf, 2352); /* the pregap the drive laid down: silence */
	/* Q: track 2's pregap counts down to INDEX 01; the body counts up; BCD throughout */
	q_at(vd, 350, q);
	assert_memory_equal(
		q, ((uint8_t[]){0x11, 0x02, 0x00, 0x00, 0x01, 0x25, 0, 0x00, 0x06, 0x50}), 10);
	q_at(vd, 460, q);
	assert_memory_equal(
		q, ((uint8_t[]){0x11, 0x02, 0x01, 0x00, 0x00, 0x10, 0, 0x00, 0x08, 0x10}), 10);
	/* one frame in 100 the MCN (ADR 2), another the ISRC (ADR 3: 6-bit letters, BCD) */
	q_at(vd, 0, q);
	assert_memory_equal(
		q, ((uint8_t[]){0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x70, 0, 0x00}), 10);
	q_at(vd, 25, q);
	assert_memory_equal(
		q, ((uint8_t[]){0x03, 0x5A, 0x2A, 0x80, 0x0C, 0x98, 0x00, 0x21, 0x20, 0x25}), 10);
	/* raw P-W: Q in bit 6 of each of the 96 bytes, P set in a pause */
	assert_int_equal(read_cd1(vd, 350, 1, 0x10, 0x01, b, 2352 + 96).status, 0);
	assert_int_equal(b[2352] & 0xC0, 0x80 | ((0x11 >> 7) & 1) << 6);
	assert_int_equal((b[2352 + 7] >> 6) & 1, 1); /* the ADR's last bit */
	/* READ TRACK INFORMATION of track 2: Track Mode its CONTROL, no data mode */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x52, cdb[1] = 0x01, cdb[5] = 2, cdb[8] = 48;
	assert_int_equal(in(vd, cdb, 10, b, 48).status, 0);
	assert_int_equal(b[5] & 0x0F, 0x01);
	assert_int_equal(b[6] & 0x0F, 0x0F);
	assert_int_equal(bfs_get_be32(b + 8), 450);
	/* READ TOC format 0 from track 2: its descriptor first, CONTROL pre-emphasis */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x43, cdb[6] = 2;
	bfs_put_be16(cdb + 7, 64);
	assert_int_equal(in(vd, cdb, 10, b, 64).status, 0);
	assert_int_equal(bfs_get_be16(b), 2 + 2 * 8);
	assert_int_equal(b[4 + 1], 0x11);
	assert_int_equal(b[4 + 2], 2);
	assert_int_equal(bfs_get_be32(b + 8), 450);
	assert_int_equal(b[12 + 2], 0xAA);
	cdb[6] = 3; /* no such track */
	assert_sense(in(vd, cdb, 10, b, 64), 0x05, 0x24, 0x00);
	/* READ SUB-CHANNEL: the ISRC of track 1, none on track 2, the MCN */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x42, cdb[2] = 0x40, cdb[3] = 0x03, cdb[6] = 1, cdb[8] = 24;
	assert_int_equal(in(vd, cdb, 10, b, 24).status, 0);
	assert_int_equal(b[8] & 0x80, 0x80);
	assert_memory_equal(b + 9, "FRZ039800212", 12);
	cdb[6] = 2;
	assert_int_equal(in(vd, cdb, 10, b, 24).status, 0);
	assert_int_equal(b[8] & 0x80, 0);
	cdb[3] = 0x02;
	assert_int_equal(in(vd, cdb, 10, b, 24).status, 0);
	assert_memory_equal(b + 9, "0000000000017", 13);
	vdrive_close(vd);

	audio_damaged();
	free(buf);
}

/*
 * SAO of audio: the cue sheet's pregaps (track 1's with a second of audio before its INDEX
 * 01, track 2's 75 blocks), an index point, the session recorded at its last block; WRITEs
 * off the next block refused; sheets that mix data and audio, that do not start at -150, or
 * on a written disc, refused
 */
static void test_audio_sao(void **state)
{
	static const uint8_t cue[] = {
		0x01, 0x00, 0x00, 0x01, 0x00, 0, 0,  0, /* lead-in, no CD-Text */
		0x01, 0x01, 0x00, 0x00, 0x00, 0, 0,  0, /* t1 INDEX 00 at -150 */
		0x01, 0x01, 0x01, 0x00, 0x00, 0, 3,  0, /* t1 INDEX 01 at 75 */
		0x21, 0x02, 0x00, 0x00, 0x00, 0, 8,  0, /* t2 INDEX 00 at 450 (copy) */
		0x21, 0x02, 0x01, 0x00, 0x00, 0, 9,  0, /* t2 INDEX 01 at 525 */
		0x21, 0x02, 0x02, 0x00, 0x00, 0, 10, 0, /* t2 INDEX 02 at 600 */
		0x01, 0xAA, 0x01, 0x01, 0x00, 0, 14, 0, /* lead-out at 900 */
	};
	uint8_t *buf = calloc(100, 2352), b[2352 + 16], c[sizeof(cue)], scs[10] = {0x5D};
	struct vdrive *vd = open_fresh("asao", "cd-r", 30000);
	uint8_t q[16];

	(void)state;
	bfs_put_be24(scs + 6, sizeof(cue));
	page05_audio(vd, 0x02, 0, NULL, NULL);
	memcpy(c, cue, sizeof(c));
	c[8 + 6] = 1; /* t1 INDEX 00 at 00:01:00: not where the drive starts */
	assert_sense(run(vd, scs, 10, VDRIVE_DIR_OUT, c, sizeof(c)), 0x05, 0x26, 0x00);
	memcpy(c, cue, sizeof(c));
	c[24] = 0x41, c[27] = 0x10; /* t2 INDEX 00 as data */
	assert_sense(run(vd, scs, 10, VDRIVE_DIR_OUT, c, sizeof(c)), 0x05, 0x26, 0x00);
	for (unsigned e = 24; e < 48; e += 8) /* all of track 2 data: only track 1 may be */
		c[e] = 0x41, c[e + 3] = 0x10;
	assert_sense(run(vd, scs, 10, VDRIVE_DIR_OUT, c, sizeof(c)), 0x05, 0x26, 0x00);
	{ /* mixed mode: data track 1, audio track 2 after a pregap of 75, then of 150 */
		static const uint8_t mixed[] = {
			0x41, 0x00, 0x00, 0x14, 0x00, 0, 0,  0, /* lead-in, Mode 1 zeros */
			0x41, 0x01, 0x00, 0x10, 0x00, 0, 0,  0, /* t1 INDEX 00 at -150, Mode 1 */
			0x41, 0x01, 0x01, 0x10, 0x00, 0, 2,  0, /* t1 INDEX 01 at 0 */
			0x01, 0x02, 0x00, 0x00, 0x00, 0, 6,  0, /* t2 INDEX 00 at 300, audio */
			0x01, 0x02, 0x01, 0x00, 0x00, 0, 7,  0, /* t2 INDEX 01 at 375 */
			0x01, 0xAA, 0x01, 0x01, 0x00, 0, 14, 0, /* lead-out at 900 */
		};
		uint8_t m[sizeof(mixed)], scs3[10] = {0x5D};

		memcpy(m, mixed, sizeof(m));
		bfs_put_be24(scs3 + 6, sizeof(m));
		assert_sense(run(vd, scs3, 10, VDRIVE_DIR_OUT, m, sizeof(m)), 0x05, 0x26, 0x00);
		m[32 + 6] = 8; /* t2 INDEX 01 at 450: the 2 s a change of mode needs */
		assert_int_equal(run(vd, scs3, 10, VDRIVE_DIR_OUT, m, sizeof(m)).status, 0);
		/* the data track takes 2048-byte blocks from -150: of a 2352-byte buffer, 304
		 * bytes are left over */
		assert_int_equal(write_audio(vd, -150, 1, buf).resid, 2352 - 2048);
	}
	{ /* an ISRC that is not CCOOOYYSSSSS: refused, never recorded */
		uint8_t isrc[16 + sizeof(cue)] = {0x03, 0x01, 'u', 'S', 'A', 'B', 'C', '2',
						  0x03, 0x01, '4', '0', '0', '0', '0', '1'};
		uint8_t scs2[10] = {0x5D};

		memcpy(isrc + 16, cue, sizeof(cue));
		bfs_put_be24(scs2 + 6, sizeof(isrc));
		assert_sense(run(vd, scs2, 10, VDRIVE_DIR_OUT, isrc, sizeof(isrc)), 0x05, 0x26,
			     0x00);
	}
	assert_int_equal(run(vd, scs, 10, VDRIVE_DIR_OUT, (void *)cue, sizeof(cue)).status, 0);
	{ /* WRITE AND VERIFY (2048-byte blocks) while the audio session is sent: refused */
		uint8_t wv[10] = {0x2E};

		bfs_put_be32(wv + 2, (uint32_t)-150);
		bfs_put_be16(wv + 7, 1);
		assert_sense(run(vd, wv, 10, VDRIVE_DIR_OUT, buf, 2048), 0x05, 0x24, 0x00);
	}
	for (int32_t lba = -150; lba < 900; lba += 100) {
		uint16_t n = (uint16_t)BFS_MIN(900 - lba, 100);

		assert_sense(write_audio(vd, lba + 1, 1, buf), 0x05, 0x21, 0x02);
		assert_int_equal(write_audio(vd, lba, n, buf).status, 0);
	}
	disc_info(vd, b);
	assert_int_equal(b[2] & 0x03, 0x02); /* complete at the lead-out */
	/* the second of audio before track 1's INDEX 01 reads back (LBA 10 is in it) */
	assert_int_equal(read_cd1(vd, 10, 1, 0x10, 0, b, 2352).status, 0);
	(void)write_audio(vd, 10, 1, buf);
	assert_memory_equal(b, buf, 2352);
	q_at(vd, 10, q);
	assert_int_equal(q[1], 0x01), assert_int_equal(q[2], 0x00);
	assert_memory_equal(q + 3, ((uint8_t[]){0x00, 0x00, 0x65}), 3); /* 65 blocks to go */
	q_at(vd, 500, q); /* track 2's pregap, CONTROL copy */
	assert_memory_equal(q, ((uint8_t[]){0x21, 0x02, 0x00, 0x00, 0x00, 0x25}), 6);
	q_at(vd, 610, q); /* after INDEX 02 */
	assert_memory_equal(q, ((uint8_t[]){0x21, 0x02, 0x02, 0x00, 0x01, 0x10}), 6);
	/* a second SAO on the written disc: refused */
	page05_audio(vd, 0x02, 0, NULL, NULL);
	assert_sense(run(vd, scs, 10, VDRIVE_DIR_OUT, (void *)cue, sizeof(cue)), 0x05, 0x26, 0x00);
	vdrive_close(vd);
	free(buf);
}

/* GF(2^8) of x^8 + x^4 + x^3 + x^2 + 1, computed here a second time */
static uint8_t gf_mul(uint8_t a, uint8_t b)
{
	uint8_t r = 0;

	for (; b; b >>= 1, a = (uint8_t)(a << 1 ^ (a & 0x80 ? 0x1D : 0)))
		if (b & 1)
			r ^= a;
	return r;
}

/* The two syndromes of a Reed-Solomon codeword of n bytes at s[idx(0..n-1)]: both 0 */
static void rs_ok(const uint8_t *s, const unsigned *idx, unsigned n)
{
	uint8_t s0 = 0, s1 = 0;

	for (unsigned i = 0; i < n; i++) {
		uint8_t w = s[idx[i]];

		for (unsigned k = 0; k < n - 1 - i; k++)
			w = gf_mul(w, 2);
		s0 ^= s[idx[i]], s1 ^= w;
	}
	assert_int_equal(s0, 0);
	assert_int_equal(s1, 0);
}

/*
 * READ CD of a data block as a raw mode 1 sector (cdrdao read-toc asks so, byte 9 F8h): sync,
 * the BCD header, the user data, the EDC (CRC-32 checked bit by bit, most significant
 * first over the reversed bits) and P and Q parity whose every codeword has zero syndromes
 * (ECMA-130 Annex A); the selected parts alone (header and data, 2052 bytes)
 */
static void test_read_cd_raw_data(void **state)
{
	struct vdrive *vd = open_fresh("rawdata", "cd-r", 30000);
	uint8_t *buf = calloc(32, 2048), b[2352 + 16], *s = b + 12;
	unsigned idx[45];
	uint32_t c = 0xFFFFFFFFu, crc = 0;

	(void)state;
	for (unsigned i = 0; i < 32 * 2048; i++)
		buf[i] = (uint8_t)(i * 31 + i / 2048);
	mode_select_05(vd, 0x01, false, 0);
	assert_int_equal(write10(vd, 0, 32, buf).status, 0);
	assert_int_equal(read_cd1(vd, 17, 0, 0xF8, 0x02, b, sizeof(b)).status, 0);
	assert_memory_equal(
		b, ((uint8_t[]){0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0}),
		12);
	assert_memory_equal(b + 12, ((uint8_t[]){0x00, 0x02, 0x17, 0x01}), 4); /* 00:02:17 */
	assert_memory_equal(b + 16, buf + 17 * 2048, 2048);
	/* EDC: x^32 + x^31 + x^16 + x^15 + x^4 + x^3 + x + 1 over bytes 0-2063, bits in the
	 * order they go, least significant first; the remainder's bit k is the stored bit k */
	for (unsigned i = 0; i < 2064 * 8; i++) {
		bool in = (b[i / 8] >> (i % 8)) & 1, top = crc >> 31;

		crc = crc << 1 | in;
		if (top)
			crc ^= 0x8001801Bu;
	}
	for (unsigned i = 0; i < 32; i++) { /* the 32 zero bits after the message */
		bool top = crc >> 31;

		crc <<= 1;
		if (top)
			crc ^= 0x8001801Bu;
	}
	for (unsigned k = 0; k < 32; k++) /* reversed: stored least significant bit first */
		c = (c & ~(1u << k)) | (((crc >> (31 - k)) & 1) << k);
	assert_int_equal(bfs_get_le32(b + 2064), c);
	assert_memory_equal(b + 2068, ((uint8_t[8]){0}), 8);
	/* P: 86 columns of the 2236 bytes from the header (24 rows and 2 of parity) */
	for (unsigned v = 0; v < 86; v++) {
		for (unsigned i = 0; i < 26; i++)
			idx[i] = v + 86 * i;
		rs_ok(s, idx, 26);
	}
	/* Q: 52 diagonals of 43 bytes over those 2236, then their 2 parity bytes */
	for (unsigned v = 0; v < 52; v++) {
		for (unsigned i = 0; i < 43; i++)
			idx[i] = ((v >> 1) * 86 + (v & 1) + 88 * i) % 2236;
		idx[43] = 2236 + v, idx[44] = 2236 + 52 + v;
		rs_ok(s, idx, 45);
	}
	/* the header and the user data alone */
	assert_int_equal(read_cd1(vd, 17, 2, 0x30, 0, b, 2052).status, 0);
	assert_memory_equal(b, ((uint8_t[]){0x00, 0x02, 0x17, 0x01}), 4);
	assert_memory_equal(b + 4, buf + 17 * 2048, 2048);
	vdrive_close(vd);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_once),
		cmocka_unit_test(test_overwrite_and_commands),
		cmocka_unit_test(test_dvd_plus_rw_bg_format),
		cmocka_unit_test(test_exclusive),
		cmocka_unit_test(test_killed),
		cmocka_unit_test(test_long_operations),
		cmocka_unit_test(test_cache_and_fua),
		cmocka_unit_test(test_test_write),
		cmocka_unit_test(test_toc),
		cmocka_unit_test(test_speeds),
		cmocka_unit_test(test_status_commands),
		cmocka_unit_test(test_replies_set_every_byte),
		cmocka_unit_test(test_verify_and_read_cd),
		cmocka_unit_test(test_reserve_and_sao),
		cmocka_unit_test(test_state_garbled),
		cmocka_unit_test(test_create_refuses),
		cmocka_unit_test(test_fault_changes),
		cmocka_unit_test(test_write_once_floor),
		cmocka_unit_test(test_create_halfway),
		cmocka_unit_test(test_audio_tao),
		cmocka_unit_test(test_audio_sao),
		cmocka_unit_test(test_read_cd_raw_data),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
