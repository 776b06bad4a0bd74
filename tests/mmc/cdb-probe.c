/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cdb-probe DRIVE: send one fixed script of CDBs to a drive with a blank DVD+R and print,
 * for each, a line `LABEL<TAB>STATUS<TAB>FIELDS`: STATUS is "good" or the sense key/ASC/
 * ASCQ, FIELDS the reply fields MMC-6 defines for it, decoded. tgt-compare.sh runs it on
 * tgt and on the virtual drive and compares the lines. The script ends with writes and a
 * close, so it changes the medium.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/diag.h"
#include "mmc/mmc.h"

static struct mmc_drive *d;

/* Run a CDB; print the label and status; 1 when good (the reply is in buf). */
static int run(const char *label, const uint8_t *cdb, size_t n, enum mmc_dir dir, void *buf,
	       size_t len)
{
	struct mmc_sense s = {.progress = -1};
	struct bfs_diag diag = {0};
	int r;

	if (dir == MMC_DIR_IN)
		memset(buf, 0, len);
	r = mmc_exec(d, cdb, n, dir, buf, len, &s, &diag);
	printf("%s\t", label);
	if (r == 0) {
		printf("good\t");
		return 1;
	}
	if (s.key || s.asc)
		printf("%x/%02x/%02x\t", s.key, s.asc, s.ascq);
	else
		printf("error %d\t", r);
	return 0;
}

static void disc_info(const char *label)
{
	uint8_t cdb[10] = {0x51}, b[34];

	bfs_put_be16(cdb + 7, sizeof(b));
	if (run(label, cdb, 10, MMC_DIR_IN, b, sizeof(b)))
		printf("status=%u last_session=%u erasable=%u sessions=%u last_track=%u", b[2] & 3,
		       (b[2] >> 2) & 3, (b[2] >> 4) & 1, b[4], b[6]);
	putchar('\n');
}

static void profile(const char *label)
{
	uint8_t cdb[10] = {0x46, 0x02}, b[64];

	bfs_put_be16(cdb + 7, sizeof(b));
	if (run(label, cdb, 10, MMC_DIR_IN, b, sizeof(b))) {
		printf("current=%04x profiles=", bfs_get_be16(b + 6));
		/* feature 0000h (profile list) follows the 8-byte header */
		for (unsigned o = 12; o + 4 <= 12u + b[11] && o + 4 <= sizeof(b); o += 4)
			printf("%04x%s,", bfs_get_be16(b + o), b[o + 2] & 1 ? "*" : "");
	}
	putchar('\n');
}

static void track_info(const char *label, uint32_t tno)
{
	uint8_t cdb[10] = {0x52, 0x01}, b[48];

	bfs_put_be32(cdb + 2, tno);
	bfs_put_be16(cdb + 7, sizeof(b));
	if (run(label, cdb, 10, MMC_DIR_IN, b, sizeof(b)))
		printf("track=%u session=%u blank=%u nwa_v=%u start=%u nwa=%u free=%u size=%u",
		       b[2], b[3], (b[6] >> 6) & 1, b[7] & 1, bfs_get_be32(b + 8),
		       bfs_get_be32(b + 12), bfs_get_be32(b + 16), bfs_get_be32(b + 24));
	putchar('\n');
}

static void toc(const char *label, uint8_t fmt)
{
	uint8_t cdb[10] = {0x43, 0, fmt}, b[64];

	bfs_put_be16(cdb + 7, sizeof(b));
	if (run(label, cdb, 10, MMC_DIR_IN, b, sizeof(b)))
		printf("length=%u first=%u last=%u start=%u", bfs_get_be16(b), b[2], b[3],
		       bfs_get_be32(b + 8));
	putchar('\n');
}

/* What identifies the drive and its disc: INQUIRY, configuration, disc and track, TOC. */
static void probe_identity(void)
{
	uint8_t b[2052], cdb[12];

	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x12, cdb[4] = 36;
	if (run("inquiry", cdb, 6, MMC_DIR_IN, b, 36))
		printf("pdt=%u rmb=%u", b[0] & 0x1F, b[1] >> 7);
	putchar('\n');
	profile("get-configuration");
	disc_info("disc-info");
	track_info("track-info-1", 1);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x25;
	if (run("read-capacity", cdb, 10, MMC_DIR_IN, b, 8))
		printf("last_lba=%u block=%u", bfs_get_be32(b), bfs_get_be32(b + 4));
	putchar('\n');
	toc("toc-0", 0);
	toc("toc-1", 1);
	toc("toc-2", 2);
}

/* Mode pages, performance, buffer, disc structure, events, formats, mechanism. */
static void probe_pages(void)
{
	uint8_t b[2052], cdb[12];

	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x5A, cdb[2] = 0x05;
	bfs_put_be16(cdb + 7, 60);
	if (run("mode-sense-05", cdb, 10, MMC_DIR_IN, b, 60))
		printf("write_type=%u bufe=%u multisession=%u track_mode=%u block_type=%u",
		       b[10] & 0x0F, (b[10] >> 6) & 1, b[11] >> 6, b[11] & 0x0F, b[12] & 0x0F);
	putchar('\n');
	cdb[2] = 0x2A;
	bfs_put_be16(cdb + 7, 128);
	if (run("mode-sense-2a", cdb, 10, MMC_DIR_IN, b, 128))
		printf("page=%02x buf=%u", b[8] & 0x3F, (b[12] >> 7) & 1);
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xAC, cdb[10] = 0x03;
	bfs_put_be16(cdb + 8, 8);
	if (run("get-performance-03", cdb, 12, MMC_DIR_IN, b, 8 + 8 * 16))
		printf("descriptors=%u", (bfs_get_be32(b) - 4) / 16);
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x5C;
	bfs_put_be16(cdb + 7, 12);
	if (run("read-buffer-capacity", cdb, 10, MMC_DIR_IN, b, 12))
		printf("size_gt0=%u free_le_size=%u", bfs_get_be32(b + 4) > 0,
		       bfs_get_be32(b + 8) <= bfs_get_be32(b + 4));
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xAD;
	bfs_put_be16(cdb + 8, sizeof(b));
	if (run("disc-structure-00", cdb, 12, MMC_DIR_IN, b, sizeof(b)))
		printf("book_type=%u", b[4] >> 4);
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x4A, cdb[1] = 0x01, cdb[4] = 0x10;
	bfs_put_be16(cdb + 7, 8);
	if (run("gesn-media", cdb, 10, MMC_DIR_IN, b, 8))
		printf("class=%u", b[2] & 7);
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x23;
	bfs_put_be16(cdb + 7, 12);
	if (run("format-capacities", cdb, 10, MMC_DIR_IN, b, 12))
		printf("type=%u blocks=%u", b[8] & 3, bfs_get_be32(b + 4));
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xBD;
	bfs_put_be16(cdb + 8, 8);
	if (run("mechanism-status", cdb, 12, MMC_DIR_IN, b, 8))
		printf("door_open=%u", (b[1] >> 4) & 1);
	putchar('\n');
}

/* Writes off and at the NWA, reads before and after closing, the closes, an unknown opcode. */
static void probe_writes(void)
{
	uint8_t b[2052], cdb[12];
	static uint8_t data[16 * 2048];

	/* writes: off the NWA (write-once: refused), at it, read back before the close */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x2A;
	bfs_put_be32(cdb + 2, 32);
	bfs_put_be16(cdb + 7, 16);
	run("write-off-nwa", cdb, 10, MMC_DIR_OUT, data, sizeof(data));
	putchar('\n');
	memset(data, 0x5A, sizeof(data));
	bfs_put_be32(cdb + 2, 0);
	run("write-at-nwa", cdb, 10, MMC_DIR_OUT, data, sizeof(data));
	putchar('\n');
	track_info("track-info-after-write", 1);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x28;
	bfs_put_be16(cdb + 7, 1);
	if (run("read-before-close", cdb, 10, MMC_DIR_IN, b, 2048))
		printf("byte0=%02x", b[0]);
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x2F, cdb[1] = 0x02;
	bfs_put_be16(cdb + 7, 1);
	memset(data, 0xA5, 2048);
	run("verify-bytchk-wrong", cdb, 10, MMC_DIR_OUT, data, 2048);
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x35;
	run("sync-cache", cdb, 10, MMC_DIR_NONE, NULL, 0);
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x5B, cdb[2] = 0x01;
	bfs_put_be16(cdb + 4, 1);
	run("close-track", cdb, 10, MMC_DIR_NONE, NULL, 0);
	putchar('\n');
	cdb[2] = 0x02;
	bfs_put_be16(cdb + 4, 0);
	run("close-session", cdb, 10, MMC_DIR_NONE, NULL, 0);
	putchar('\n');
	profile("get-configuration-after-close");
	disc_info("disc-info-after-close");
	toc("toc-1-after-close", 1);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x28;
	bfs_put_be16(cdb + 7, 1);
	if (run("read-after-close", cdb, 10, MMC_DIR_IN, b, 2048))
		printf("byte0=%02x", b[0]);
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xE7;
	run("unknown-opcode", cdb, 10, MMC_DIR_NONE, NULL, 0);
	putchar('\n');
}

int main(int argc, char **argv)
{
	struct bfs_diag diag = {0};

	if (argc != 2) {
		fprintf(stderr, "usage: cdb-probe DRIVE\n");
		return 2;
	}
	if (mmc_drive_open(argv[1], &diag, &d) < 0) {
		fprintf(stderr, "cdb-probe: %s\n", bfs_diag_msg(&diag, -EIO));
		return 1;
	}
	probe_identity();
	probe_pages();
	probe_writes();
	mmc_drive_close(d);
	return 0;
}
