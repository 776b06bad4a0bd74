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
#include "mmc/layout.h"
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
	uint8_t cdb[MMC_CDB10_SIZE] = {MMC_OP_READ_DISC_INFO}, b[MMC_DI_SIZE];

	bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(b));
	if (run(label, cdb, sizeof(cdb), MMC_DIR_IN, b, sizeof(b)))
		printf("status=%u last_session=%u erasable=%u sessions=%u last_track=%u",
		       b[MMC_DI_STATUS] & MMC_DI_DISC_STATUS_MASK,
		       (b[MMC_DI_STATUS] >> MMC_DI_LAST_SESSION_SHIFT) & 3,
		       !!(b[MMC_DI_STATUS] & MMC_DI_ERASABLE), b[MMC_DI_SESSIONS_LSB],
		       b[MMC_DI_LAST_TRACK_LS_LSB]);
	putchar('\n');
}

static void profile(const char *label)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_GET_CONFIGURATION,
				       [MMC_GETCONF_CDB_FLAGS] = MMC_GETCONF_RT_ONE};
	uint8_t b[64];
	/* feature 0000h (profile list) follows the header, its descriptors its own header */
	const uint8_t *list = b + MMC_CONF_HEADER_SIZE;
	const unsigned first = MMC_CONF_HEADER_SIZE + MMC_FEAT_HEADER_SIZE;

	bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(b));
	if (run(label, cdb, sizeof(cdb), MMC_DIR_IN, b, sizeof(b))) {
		printf("current=%04x profiles=", bfs_get_be16(b + MMC_CONF_PROFILE));
		for (unsigned o = first; o + MMC_PROFD_SIZE <= first + list[MMC_FEAT_ADD_LEN] &&
					 o + MMC_PROFD_SIZE <= sizeof(b);
		     o += MMC_PROFD_SIZE)
			printf("%04x%s,", bfs_get_be16(b + o + MMC_PROFD_NUMBER),
			       b[o + MMC_PROFD_FLAGS] & MMC_PROFD_CURRENT ? "*" : "");
	}
	putchar('\n');
}

static void track_info(const char *label, uint32_t tno)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_READ_TRACK_INFO,
				       [MMC_TI_CDB_TYPE] = MMC_TI_CDB_TYPE_TRACK};
	uint8_t b[MMC_TI_SIZE];

	bfs_put_be32(cdb + MMC_TI_CDB_ADDRESS, tno);
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(b));
	if (run(label, cdb, sizeof(cdb), MMC_DIR_IN, b, sizeof(b)))
		printf("track=%u session=%u blank=%u nwa_v=%u start=%u nwa=%u free=%u size=%u",
		       b[MMC_TI_TRACK_LSB], b[MMC_TI_SESSION_LSB],
		       !!(b[MMC_TI_DATA_MODE] & MMC_TI_BLANK), b[MMC_TI_VALID] & MMC_TI_NWA_V,
		       bfs_get_be32(b + MMC_TI_START), bfs_get_be32(b + MMC_TI_NWA),
		       bfs_get_be32(b + MMC_TI_FREE), bfs_get_be32(b + MMC_TI_SIZE_FIELD));
	putchar('\n');
}

static void toc(const char *label, uint8_t fmt)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {
		[MMC_CDB_OPCODE] = MMC_OP_READ_TOC, [MMC_TOC_CDB_FORMAT] = fmt};
	uint8_t b[64];

	bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(b));
	if (run(label, cdb, sizeof(cdb), MMC_DIR_IN, b, sizeof(b)))
		printf("length=%u first=%u last=%u start=%u", bfs_get_be16(b + MMC_TOC_LENGTH),
		       b[MMC_TOC_FIRST], b[MMC_TOC_LAST],
		       bfs_get_be32(b + MMC_TOC_HEADER_SIZE + MMC_TOC_D_ADDRESS));
	putchar('\n');
}

/* What identifies the drive and its disc: INQUIRY, configuration, disc and track, TOC. */
static void probe_identity(void)
{
	uint8_t b[2052], cdb[MMC_CDB12_SIZE];

	memset(cdb, 0, sizeof(cdb));
	cdb[MMC_CDB_OPCODE] = MMC_OP_INQUIRY;
	bfs_put_be16(cdb + MMC_INQUIRY_CDB_ALLOC, MMC_INQ_SIZE);
	if (run("inquiry", cdb, MMC_CDB6_SIZE, MMC_DIR_IN, b, MMC_INQ_SIZE))
		printf("pdt=%u rmb=%u", b[MMC_INQ_PERIPHERAL] & MMC_INQ_PDT_MASK,
		       b[MMC_INQ_RMB] >> 7);
	putchar('\n');
	profile("get-configuration");
	disc_info("disc-info");
	track_info("track-info-1", 1);
	memset(cdb, 0, sizeof(cdb));
	cdb[MMC_CDB_OPCODE] = MMC_OP_READ_CAPACITY;
	if (run("read-capacity", cdb, MMC_CDB10_SIZE, MMC_DIR_IN, b, MMC_CAP_SIZE))
		printf("last_lba=%u block=%u", bfs_get_be32(b + MMC_CAP_LAST_LBA),
		       bfs_get_be32(b + MMC_CAP_BLOCK_LENGTH));
	putchar('\n');
	toc("toc-0", MMC_TOC_FORMAT_TOC);
	toc("toc-1", MMC_TOC_FORMAT_SESSION);
	toc("toc-2", MMC_TOC_FORMAT_FULL);
}

/* Mode pages, performance, buffer, disc structure, events, formats, mechanism. */
static void probe_pages(void)
{
	uint8_t b[2052], cdb[MMC_CDB12_SIZE];
	const uint8_t *pg = b + MMC_MODE_HEADER_SIZE; /* no block descriptors */

	memset(cdb, 0, sizeof(cdb));
	cdb[MMC_CDB_OPCODE] = MMC_OP_MODE_SENSE10;
	cdb[MMC_MODE_SENSE_CDB_PAGE] = MMC_PAGE_WRITE_PARAMS;
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, MMC_MODE_HEADER_SIZE + MMC_WP_SIZE);
	if (run("mode-sense-05", cdb, MMC_CDB10_SIZE, MMC_DIR_IN, b,
		MMC_MODE_HEADER_SIZE + MMC_WP_SIZE))
		printf("write_type=%u bufe=%u multisession=%u track_mode=%u block_type=%u",
		       pg[MMC_WP_TYPE] & MMC_WP_TYPE_MASK, !!(pg[MMC_WP_TYPE] & MMC_WP_BUFE),
		       pg[MMC_WP_TRACK] >> MMC_WP_MULTI_SHIFT, pg[MMC_WP_TRACK] & 0x0F,
		       pg[MMC_WP_BLOCK_TYPE] & 0x0F);
	putchar('\n');
	cdb[MMC_MODE_SENSE_CDB_PAGE] = MMC_PAGE_CAPABILITIES;
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, 128);
	if (run("mode-sense-2a", cdb, MMC_CDB10_SIZE, MMC_DIR_IN, b, 128))
		printf("page=%02x buf=%u", pg[MMC_PAGE_CODE] & MMC_PAGE_CODE_MASK,
		       (pg[MMC_CAP2A_FLAGS4] >> 7) & 1);
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[MMC_CDB_OPCODE] = MMC_OP_GET_PERFORMANCE;
	cdb[MMC_PERF_CDB_TYPE] = MMC_PERF_TYPE_WRITE_SPEED;
	bfs_put_be16(cdb + MMC_PERF_CDB_MAX, 8);
	if (run("get-performance-03", cdb, MMC_CDB12_SIZE, MMC_DIR_IN, b,
		MMC_PERF_HEADER_SIZE + 8 * MMC_WSD_SIZE))
		printf("descriptors=%u",
		       (bfs_get_be32(b + MMC_PERF_LENGTH) - (MMC_PERF_HEADER_SIZE - 4)) /
			       MMC_WSD_SIZE);
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[MMC_CDB_OPCODE] = MMC_OP_READ_BUFFER_CAPACITY;
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, MMC_RBC_SIZE);
	if (run("read-buffer-capacity", cdb, MMC_CDB10_SIZE, MMC_DIR_IN, b, MMC_RBC_SIZE))
		printf("size_gt0=%u free_le_size=%u", bfs_get_be32(b + MMC_RBC_SIZE_FIELD) > 0,
		       bfs_get_be32(b + MMC_RBC_FREE) <= bfs_get_be32(b + MMC_RBC_SIZE_FIELD));
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[MMC_CDB_OPCODE] = MMC_OP_READ_DISC_STRUCTURE;
	bfs_put_be16(cdb + MMC_RDS_CDB_ALLOC, sizeof(b));
	if (run("disc-structure-00", cdb, MMC_CDB12_SIZE, MMC_DIR_IN, b, sizeof(b)))
		printf("book_type=%u", b[MMC_RDS_PHYS_BOOK] >> 4);
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[MMC_CDB_OPCODE] = MMC_OP_GESN;
	cdb[MMC_GESN_CDB_POLLED] = 0x01;
	cdb[MMC_GESN_CDB_CLASSES] = MMC_GESN_REQ_MEDIA;
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, MMC_GESN_MEDIA_SIZE);
	if (run("gesn-media", cdb, MMC_CDB10_SIZE, MMC_DIR_IN, b, MMC_GESN_MEDIA_SIZE))
		printf("class=%u", b[MMC_GESN_CLASS] & 7);
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[MMC_CDB_OPCODE] = MMC_OP_READ_FORMAT_CAPACITIES;
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, MMC_FC_HEADER_SIZE + MMC_FC_D_SIZE);
	if (run("format-capacities", cdb, MMC_CDB10_SIZE, MMC_DIR_IN, b,
		MMC_FC_HEADER_SIZE + MMC_FC_D_SIZE))
		printf("type=%u blocks=%u", b[MMC_FC_CURRENT + MMC_FC_D_TYPE] & MMC_FC_D_TYPE_MASK,
		       bfs_get_be32(b + MMC_FC_CURRENT + MMC_FC_D_BLOCKS));
	putchar('\n');
	memset(cdb, 0, sizeof(cdb));
	cdb[MMC_CDB_OPCODE] = MMC_OP_MECHANISM_STATUS;
	bfs_put_be16(cdb + MMC_MECH_CDB_ALLOC, MMC_MECH_SIZE);
	if (run("mechanism-status", cdb, MMC_CDB12_SIZE, MMC_DIR_IN, b, MMC_MECH_SIZE))
		printf("door_open=%u", !!(b[MMC_MECH_STATE] & MMC_MECH_DOOR_OPEN));
	putchar('\n');
}

/* A CDB of size n with the opcode op, the rest zero. */
static uint8_t *cdb_of(uint8_t *cdb, size_t n, uint8_t op)
{
	memset(cdb, 0, n);
	cdb[MMC_CDB_OPCODE] = op;
	return cdb;
}

/* Writes off and at the NWA, reads before and after closing, the closes, an unknown opcode. */
static void probe_writes(void)
{
	uint8_t b[2052], cdb[MMC_CDB10_SIZE];
	static uint8_t data[16 * 2048];

	/* writes: off the NWA (write-once: refused), at it, read back before the close */
	cdb_of(cdb, sizeof(cdb), MMC_OP_WRITE10);
	bfs_put_be32(cdb + MMC_CDB_LBA, 32);
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, 16);
	run("write-off-nwa", cdb, sizeof(cdb), MMC_DIR_OUT, data, sizeof(data));
	putchar('\n');
	memset(data, 0x5A, sizeof(data));
	bfs_put_be32(cdb + MMC_CDB_LBA, 0);
	run("write-at-nwa", cdb, sizeof(cdb), MMC_DIR_OUT, data, sizeof(data));
	putchar('\n');
	track_info("track-info-after-write", 1);
	cdb_of(cdb, sizeof(cdb), MMC_OP_READ10);
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, 1);
	if (run("read-before-close", cdb, sizeof(cdb), MMC_DIR_IN, b, 2048))
		printf("byte0=%02x", b[0]);
	putchar('\n');
	cdb_of(cdb, sizeof(cdb), MMC_OP_VERIFY10)[MMC_CDB_FLAGS] = MMC_CDB_VERIFY_BYTCHK;
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, 1);
	memset(data, 0xA5, 2048);
	run("verify-bytchk-wrong", cdb, sizeof(cdb), MMC_DIR_OUT, data, 2048);
	putchar('\n');
	run("sync-cache", cdb_of(cdb, sizeof(cdb), MMC_OP_SYNC_CACHE), sizeof(cdb), MMC_DIR_NONE,
	    NULL, 0);
	putchar('\n');
	cdb_of(cdb, sizeof(cdb), MMC_OP_CLOSE_TRACK_SESSION)[MMC_CLOSE_CDB_FUNCTION] =
		MMC_CLOSE_TRACK;
	bfs_put_be16(cdb + MMC_CLOSE_CDB_TRACK, 1);
	run("close-track", cdb, sizeof(cdb), MMC_DIR_NONE, NULL, 0);
	putchar('\n');
	cdb[MMC_CLOSE_CDB_FUNCTION] = MMC_CLOSE_SESSION;
	bfs_put_be16(cdb + MMC_CLOSE_CDB_TRACK, 0);
	run("close-session", cdb, sizeof(cdb), MMC_DIR_NONE, NULL, 0);
	putchar('\n');
	profile("get-configuration-after-close");
	disc_info("disc-info-after-close");
	toc("toc-1-after-close", MMC_TOC_FORMAT_SESSION);
	cdb_of(cdb, sizeof(cdb), MMC_OP_READ10);
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, 1);
	if (run("read-after-close", cdb, sizeof(cdb), MMC_DIR_IN, b, 2048))
		printf("byte0=%02x", b[0]);
	putchar('\n');
	/* E7h: vendor specific, no drive of MMC knows it */
	run("unknown-opcode", cdb_of(cdb, sizeof(cdb), 0xE7), sizeof(cdb), MMC_DIR_NONE, NULL, 0);
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
