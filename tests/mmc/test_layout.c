/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mmc/layout.h against the numbers of the specifications, typed here from the tables of
 * MMC-6 and SPC-4 and nowhere else. The initiator, the virtual drive and the tools all use
 * the header, so an offset mistyped there is wrong on both sides alike and they still agree
 * with each other: this is where such a typo is caught. The virtual drive's answers are also
 * read here at the spec's byte numbers, and the initiator's reading of them checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/diag.h"
#include "common/macro.h"
#include "mmc/layout.h"
#include "mmc/mmc.h"
#include "vdrive/vdrive.h"

struct field {
	const char *name;
	unsigned have, spec;
};

#define F(name, spec)                           \
	{                                       \
#name, (unsigned)(name), (spec) \
	}

/* Every declaration against its number; each mismatch is printed, then the test fails. */
static void check(const struct field *f, size_t n)
{
	unsigned bad = 0;

	for (size_t i = 0; i < n; i++) {
		if (f[i].have == f[i].spec)
			continue;
		print_error("%s is %u, the spec says %u\n", f[i].name, f[i].have, f[i].spec);
		bad++;
	}
	assert_int_equal(bad, 0);
}

/* Operation codes: MMC-6 clause 6, SPC-4 clause 6 */
static void test_opcodes(void **state)
{
	static const struct field f[] = {
		F(MMC_OP_TEST_UNIT_READY, 0x00),
		F(MMC_OP_REQUEST_SENSE, 0x03),
		F(MMC_OP_FORMAT_UNIT, 0x04),
		F(MMC_OP_INQUIRY, 0x12),
		F(MMC_OP_START_STOP_UNIT, 0x1B),
		F(MMC_OP_PREVENT_ALLOW, 0x1E),
		F(MMC_OP_READ_FORMAT_CAPACITIES, 0x23),
		F(MMC_OP_READ_CAPACITY, 0x25),
		F(MMC_OP_READ10, 0x28),
		F(MMC_OP_WRITE10, 0x2A),
		F(MMC_OP_WRITE_VERIFY10, 0x2E),
		F(MMC_OP_VERIFY10, 0x2F),
		F(MMC_OP_SYNC_CACHE, 0x35),
		F(MMC_OP_READ_TOC, 0x43),
		F(MMC_OP_GET_CONFIGURATION, 0x46),
		F(MMC_OP_GESN, 0x4A),
		F(MMC_OP_READ_DISC_INFO, 0x51),
		F(MMC_OP_READ_TRACK_INFO, 0x52),
		F(MMC_OP_RESERVE_TRACK, 0x53),
		F(MMC_OP_SEND_OPC, 0x54),
		F(MMC_OP_MODE_SELECT10, 0x55),
		F(MMC_OP_MODE_SENSE10, 0x5A),
		F(MMC_OP_CLOSE_TRACK_SESSION, 0x5B),
		F(MMC_OP_READ_BUFFER_CAPACITY, 0x5C),
		F(MMC_OP_SEND_CUE_SHEET, 0x5D),
		F(MMC_OP_BLANK, 0xA1),
		F(MMC_OP_READ12, 0xA8),
		F(MMC_OP_WRITE12, 0xAA),
		F(MMC_OP_GET_PERFORMANCE, 0xAC),
		F(MMC_OP_READ_DISC_STRUCTURE, 0xAD),
		F(MMC_OP_SET_STREAMING, 0xB6),
		F(MMC_OP_SET_CD_SPEED, 0xBB),
		F(MMC_OP_MECHANISM_STATUS, 0xBD),
		F(MMC_OP_READ_CD, 0xBE),
		F(MMC_PROFILE_CD_R, 0x0009),
		F(MMC_PROFILE_DVD_PLUS_RW, 0x001A),
		F(MMC_PROFILE_DVD_PLUS_R_DL, 0x002B),
		F(MMC_PROFILE_BD_R, 0x0041),
		F(MMC_PROFILE_BD_RE, 0x0043),
	};

	(void)state;
	check(f, BFS_ARRAY_SIZE(f));
}

/* CDB fields: the byte of each in its command's CDB table */
static void test_cdb_fields(void **state)
{
	static const struct field f[] = {
		F(MMC_CDB_LBA, 2),
		F(MMC_CDB10_LENGTH, 7),
		F(MMC_CDB12_LENGTH, 6),
		F(MMC_INQUIRY_CDB_ALLOC, 3),
		F(MMC_REQUEST_SENSE_CDB_ALLOC, 4),
		F(MMC_START_STOP_CDB_FLAGS, 4),
		F(MMC_TI_CDB_ADDRESS, 2),
		F(MMC_CLOSE_CDB_FUNCTION, 2),
		F(MMC_CLOSE_CDB_TRACK, 4),
		F(MMC_GETCONF_CDB_START, 2),
		F(MMC_GESN_CDB_CLASSES, 4),
		F(MMC_TOC_CDB_FORMAT, 2),
		F(MMC_MODE_SENSE_CDB_PAGE, 2),
		F(MMC_PERF_CDB_MAX, 8),
		F(MMC_PERF_CDB_TYPE, 10),
		F(MMC_STREAM_CDB_TYPE, 8),
		F(MMC_STREAM_CDB_LENGTH, 9),
		F(MMC_CD_SPEED_CDB_WRITE, 4),
		F(MMC_MECH_CDB_ALLOC, 8),
		F(MMC_RDS_CDB_FORMAT, 7),
		F(MMC_RDS_CDB_ALLOC, 8),
		F(MMC_READ_CD_CDB_LENGTH, 6),
		F(MMC_READ_CD_CDB_MAIN, 9),
		F(MMC_RESERVE_CDB_SIZE, 5),
		F(MMC_CUE_CDB_LENGTH, 6),
		F(MMC_CDB_READ_FUA, 0x08),
		F(MMC_FORMAT_FMTDATA, 0x10),
		F(MMC_BLANK_IMMED, 0x10),
		F(MMC_CLOSE_IMMED, 0x01),
		F(MMC_SYNC_CACHE_IMMED, 0x02),
	};

	(void)state;
	check(f, BFS_ARRAY_SIZE(f));
}

/* Reply and parameter data, here and below: the first byte of each field in its table, and
 * the sizes. Sense data, INQUIRY, READ CAPACITY */
static void test_reply_fields(void **state)
{
	static const struct field f[] = {
		/* fixed-format sense, SPC-4 4.5.3 */
		F(MMC_SENSE_KEY, 2),
		F(MMC_SENSE_INFO, 3),
		F(MMC_SENSE_ADD_LEN, 7),
		F(MMC_SENSE_CMD_INFO, 8),
		F(MMC_SENSE_ASC, 12),
		F(MMC_SENSE_ASCQ, 13),
		F(MMC_SENSE_FRU, 14),
		F(MMC_SENSE_SKS, 15),
		F(MMC_SENSE_PROGRESS, 16),
		F(MMC_SENSE_FIXED_SIZE, 18),
		F(MMC_SENSE_FIXED_ADD_LEN, 10),
		/* descriptor-format sense, SPC-4 4.5.2 */
		F(MMC_DSENSE_KEY, 1),
		F(MMC_DSENSE_ASC, 2),
		F(MMC_DSENSE_ASCQ, 3),
		F(MMC_DSENSE_ADD_LEN, 7),
		/* standard INQUIRY data, SPC-4 6.4.2 */
		F(MMC_INQ_VENDOR, 8),
		F(MMC_INQ_PRODUCT, 16),
		F(MMC_INQ_REVISION, 32),
		F(MMC_INQ_SIZE, 36),
		/* READ CAPACITY */
		F(MMC_CAP_BLOCK_LENGTH, 4),
		F(MMC_CAP_SIZE, 8),
	};

	(void)state;
	check(f, BFS_ARRAY_SIZE(f));
}

/* The disc and track information blocks, the TOC */
static void test_disc_fields(void **state)
{
	static const struct field f[] = {
		/* Disc Information Block */
		F(MMC_DI_STATUS, 2),
		F(MMC_DI_FIRST_TRACK, 3),
		F(MMC_DI_SESSIONS_LSB, 4),
		F(MMC_DI_FIRST_TRACK_LS_LSB, 5),
		F(MMC_DI_LAST_TRACK_LS_LSB, 6),
		F(MMC_DI_FLAGS, 7),
		F(MMC_DI_DISC_TYPE, 8),
		F(MMC_DI_SESSIONS_MSB, 9),
		F(MMC_DI_FIRST_TRACK_LS_MSB, 10),
		F(MMC_DI_LAST_TRACK_LS_MSB, 11),
		F(MMC_DI_DISC_ID, 12),
		F(MMC_DI_LAST_LEADIN, 16),
		F(MMC_DI_LAST_LEADOUT, 20),
		F(MMC_DI_BAR_CODE, 24),
		F(MMC_DI_APP_CODE, 32),
		F(MMC_DI_OPC_TABLES, 33),
		F(MMC_DI_SIZE, 34),
		/* Track Information Block */
		F(MMC_TI_TRACK_LSB, 2),
		F(MMC_TI_SESSION_LSB, 3),
		F(MMC_TI_TRACK_MODE, 5),
		F(MMC_TI_DATA_MODE, 6),
		F(MMC_TI_VALID, 7),
		F(MMC_TI_START, 8),
		F(MMC_TI_NWA, 12),
		F(MMC_TI_FREE, 16),
		F(MMC_TI_PACKET_SIZE, 20),
		F(MMC_TI_SIZE_FIELD, 24),
		F(MMC_TI_LRA, 28),
		F(MMC_TI_TRACK_MSB, 32),
		F(MMC_TI_SESSION_MSB, 33),
		F(MMC_TI_READ_COMPAT, 36),
		F(MMC_TI_NEXT_JUMP, 40),
		F(MMC_TI_LAST_JUMP, 44),
		F(MMC_TI_SIZE, 48),
		F(MMC_TI_BLANK, 0x40),
		F(MMC_TI_RT, 0x80),
		/* READ TOC/PMA/ATIP: formats 0/1 and the Full TOC */
		F(MMC_TOC_FIRST, 2),
		F(MMC_TOC_LAST, 3),
		F(MMC_TOC_D_ADR_CTL, 1),
		F(MMC_TOC_D_TRACK, 2),
		F(MMC_TOC_D_ADDRESS, 4),
		F(MMC_TOC_D_SIZE, 8),
		F(MMC_FTOC_POINT, 3),
		F(MMC_FTOC_ZERO, 7),
		F(MMC_FTOC_PMSF, 8),
		F(MMC_FTOC_SIZE, 11),
	};

	(void)state;
	check(f, BFS_ARRAY_SIZE(f));
}

/* Configuration, mode pages, speeds, capacities, events, structures, cue sheets */
static void test_other_fields(void **state)
{
	static const struct field f[] = {
		/* GET CONFIGURATION */
		F(MMC_CONF_PROFILE, 6),
		F(MMC_CONF_HEADER_SIZE, 8),
		F(MMC_FEAT_ADD_LEN, 3),
		F(MMC_FEAT_HEADER_SIZE, 4),
		F(MMC_PROFD_SIZE, 4),
		/* mode parameter header(10) and page 05h */
		F(MMC_MODE_BD_LENGTH, 6),
		F(MMC_MODE_HEADER_SIZE, 8),
		F(MMC_WP_TYPE, 2),
		F(MMC_WP_TRACK, 3),
		F(MMC_WP_BLOCK_TYPE, 4),
		F(MMC_WP_LINK_SIZE, 5),
		F(MMC_WP_SESSION_FORMAT, 8),
		F(MMC_WP_PACKET_SIZE, 10),
		F(MMC_WP_SIZE, 52),
		F(MMC_WP_TEST_WRITE, 0x10),
		F(MMC_WP_BUFE, 0x40),
		/* GET PERFORMANCE, SET STREAMING */
		F(MMC_PERF_HEADER_SIZE, 8),
		F(MMC_WSD_END_LBA, 4),
		F(MMC_WSD_READ_SPEED, 8),
		F(MMC_WSD_WRITE_SPEED, 12),
		F(MMC_WSD_SIZE, 16),
		F(MMC_STREAM_END_LBA, 8),
		F(MMC_STREAM_READ_SIZE, 12),
		F(MMC_STREAM_READ_TIME, 16),
		F(MMC_STREAM_WRITE_SIZE, 20),
		F(MMC_STREAM_WRITE_TIME, 24),
		F(MMC_STREAM_SIZE, 28),
		/* READ BUFFER CAPACITY, READ FORMAT CAPACITIES, FORMAT UNIT's list */
		F(MMC_RBC_SIZE_FIELD, 4),
		F(MMC_RBC_FREE, 8),
		F(MMC_RBC_SIZE, 12),
		F(MMC_FC_LIST_LENGTH, 3),
		F(MMC_FC_CURRENT + MMC_FC_D_TYPE, 8),
		F(MMC_FC_D_PARAM, 5),
		F(MMC_FC_D_SIZE, 8),
		F(MMC_FL_FLAGS, 1),
		F(MMC_FL_DESC_LEN, 2),
		F(MMC_FL_BLOCKS, 4),
		F(MMC_FL_TYPE, 8),
		F(MMC_FL_SIZE, 12),
		/* GESN media event, MECHANISM STATUS, READ DISC STRUCTURE, cue sheet */
		F(MMC_GESN_EVENT, 4),
		F(MMC_GESN_MEDIA, 5),
		F(MMC_MECH_LBA, 2),
		F(MMC_MECH_SIZE, 8),
		F(MMC_RDS_PHYS_START, 8),
		F(MMC_RDS_PHYS_END, 12),
		F(MMC_CUE_TNO, 1),
		F(MMC_CUE_DATA_FORM, 3),
		F(MMC_CUE_MIN, 5),
		F(MMC_CUE_SIZE, 8),
	};

	(void)state;
	check(f, BFS_ARRAY_SIZE(f));
}

/* Audio (boot-audio.md 4-7, from MMC-5/6, ECMA-130 and libburn's cookbook) */
static void test_audio_fields(void **state)
{
	static const struct field f[] = {
		/* READ CD, READ SUB-CHANNEL, READ TOC formats 4 and 5 */
		F(MMC_OP_READ_CD, 0xBE),
		F(MMC_OP_READ_SUBCHANNEL, 0x42),
		F(MMC_READ_CD_CDB_MAIN, 9),
		F(MMC_READ_CD_CDB_SUBCHAN, 10),
		F(MMC_READ_CD_TYPE_CDDA << MMC_READ_CD_TYPE_SHIFT, 0x04),
		F(MMC_READ_CD_C2_SIZE, 294),
		F(MMC_SUBCH_CDB_SUBQ, 2),
		F(MMC_SUBCH_SUBQ, 0x40),
		F(MMC_SUBCH_CDB_FORMAT, 3),
		F(MMC_SUBCH_CDB_TRACK, 6),
		F(MMC_SUBCH_D_VALID, 8),
		F(MMC_SUBCH_D_TEXT, 9),
		F(MMC_TOC_FORMAT_ATIP, 4),
		F(MMC_TOC_FORMAT_CDTEXT, 5),
		F(MMC_TOC_CDB_TRACK, 6),
		F(MMC_ATIP_LEADIN, 8),
		F(MMC_ATIP_LEADOUT, 12),
		/* page 05h's MCN and ISRC, Audio Pause Length; cue sheet data forms */
		F(MMC_WP_AUDIO_PAUSE, 14),
		F(MMC_WP_MCN, 16),
		F(MMC_WP_ISRC, 32),
		F(MMC_CUE_FORM_AUDIO, 0x00),
		F(MMC_CUE_FORM_SILENT, 0x01),
		F(MMC_CUE_FORM_CDTEXT, 0x41),
		/* CD-Text pack, Q sub-channel */
		F(MMC_CDTEXT_BLOCK, 3),
		F(MMC_CDTEXT_CRC, 16),
		F(MMC_CDTEXT_PACK_SIZE, 18),
		F(MMC_Q_REL, 3),
		F(MMC_Q_ABS, 7),
		F(MMC_Q_AFRAME, 9),
		F(MMC_Q_CRC, 10),
		F(MMC_Q_SIZE, 12),
	};

	(void)state;
	check(f, BFS_ARRAY_SIZE(f));
}

/*
 * The virtual drive's answers read at the spec's byte numbers (not the header's), and the
 * initiator's reading of the same drive: a blank DVD+R of 30000 blocks.
 */
static void test_drive_per_spec(void **state)
{
	char dir[] = "/tmp/burnfs-layout.XXXXXX", addr[64], cmd[128];
	struct bfs_diag diag = {0};
	struct mmc_drive *d = NULL;
	struct mmc_media m;
	uint8_t b[64], cdb[10] = {0};
	static uint8_t blk[2048];
	struct mmc_sense s = {0};

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(vdrive_create(dir, "dvd+r", 30000), 0);
	snprintf(addr, sizeof(addr), "vdrive:%s", dir);
	assert_int_equal(mmc_drive_open(addr, &diag, &d), 0);
	assert_int_equal(mmc_media_probe(d, &m, &diag), 0); /* past the unit attention */
	assert_int_equal(m.profile, 0x1B);
	assert_int_equal(m.status, MMC_DISC_BLANK);
	assert_int_equal(m.capacity, 30000);
	/* READ DISC INFORMATION: byte 2 blank, byte 7 URU, bytes 20-23 the last lead-out */
	cdb[0] = 0x51, cdb[8] = 34;
	assert_int_equal(mmc_exec(d, cdb, 10, MMC_DIR_IN, b, 34, NULL, &diag), 0);
	assert_int_equal(b[1], 32);
	assert_int_equal(b[2], 0x00);
	assert_int_equal(b[7] & 0x20, 0x20);
	assert_int_equal(bfs_get_be32(b + 20), 29999);
	/* READ TRACK INFORMATION of track 1: NWA valid at 0, 30000 free, size 30000 */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x52, cdb[1] = 0x01, cdb[5] = 1, cdb[8] = 48;
	assert_int_equal(mmc_exec(d, cdb, 10, MMC_DIR_IN, b, 48, NULL, &diag), 0);
	assert_int_equal(b[1], 46);
	assert_int_equal(b[2], 1);
	assert_int_equal(b[6] & 0x40, 0x40);
	assert_int_equal(b[7] & 0x01, 1);
	assert_int_equal(bfs_get_be32(b + 12), 0);
	assert_int_equal(bfs_get_be32(b + 16), 30000);
	assert_int_equal(bfs_get_be32(b + 24), 30000);
	/* GET CONFIGURATION: the current profile in bytes 6-7 */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x46, cdb[1] = 0x01, cdb[8] = 8;
	assert_int_equal(mmc_exec(d, cdb, 10, MMC_DIR_IN, b, 8, NULL, &diag), 0);
	assert_int_equal(bfs_get_be16(b + 6), 0x001B);
	/* READ(10) past what is recorded: 05/21/00, sense bytes 2, 12 and 13; REQUEST SENSE's
	 * fixed format gives it again, response code 70h, additional length 10 */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x28, cdb[5] = 100, cdb[8] = 1;
	assert_int_equal(mmc_exec(d, cdb, 10, MMC_DIR_IN, blk, sizeof(blk), &s, &diag), -ENXIO);
	assert_int_equal(s.key, 0x05);
	assert_int_equal(s.asc, 0x21);
	bfs_diag_clear(&diag);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x03, cdb[4] = 18;
	assert_int_equal(mmc_exec(d, cdb, 6, MMC_DIR_IN, b, 18, NULL, &diag), 0);
	assert_int_equal(b[0] & 0x7F, 0x70);
	assert_int_equal(b[2] & 0x0F, 0x05);
	assert_int_equal(b[7], 10);
	assert_int_equal(b[12], 0x21);
	assert_int_equal(b[13], 0x00);
	mmc_drive_close(d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opcodes),	     cmocka_unit_test(test_cdb_fields),
		cmocka_unit_test(test_reply_fields), cmocka_unit_test(test_disc_fields),
		cmocka_unit_test(test_other_fields), cmocka_unit_test(test_drive_per_spec),
		cmocka_unit_test(test_audio_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
