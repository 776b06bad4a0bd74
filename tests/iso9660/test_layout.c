/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iso9660/layout.h against the specifications' own numbers: every offset is the spec's
 * "BP" (1-based byte position) less one, every size its length. The header's static asserts
 * check that fields follow one another; this is where a field that moved as a whole, or
 * a wrong clause number copied into a constant, is caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iso9660/layout.h"

struct field {
	const char *name;
	long offset; /* the header's */
	long bp;     /* the spec's first byte position, 1-based */
};

#define F(name, bp)                       \
	{                                 \
#name, (long)(name), (bp) \
	}

static void check(const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i].offset != f[i].bp - 1)
			print_error("%s: offset %ld, the spec's BP %ld is offset %ld\n", f[i].name,
				    f[i].offset, f[i].bp, f[i].bp - 1);
		assert_int_equal(f[i].offset, f[i].bp - 1);
	}
}

/* ECMA-119 8.1, 8.4 and 8.5: the primary and supplementary volume descriptors */
static void test_volume_descriptor(void **state)
{
	static const struct field f[] = {
		F(ISO9660_VD_TYPE, 1),
		F(ISO9660_VD_STD_ID, 2),
		F(ISO9660_VD_VERSION, 7),
		F(ISO9660_VD_FLAGS, 8),
		F(ISO9660_VD_SYSTEM_ID, 9),
		F(ISO9660_VD_VOLUME_ID, 41),
		F(ISO9660_VD_UNUSED_72, 73),
		F(ISO9660_VD_VOLUME_SIZE, 81),
		F(ISO9660_VD_ESCAPES, 89),
		F(ISO9660_VD_SET_SIZE, 121),
		F(ISO9660_VD_SEQUENCE, 125),
		F(ISO9660_VD_BLOCK_SIZE, 129),
		F(ISO9660_VD_PT_SIZE, 133),
		F(ISO9660_VD_PT_L, 141),
		F(ISO9660_VD_PT_L_OPT, 145),
		F(ISO9660_VD_PT_M, 149),
		F(ISO9660_VD_PT_M_OPT, 153),
		F(ISO9660_VD_ROOT, 157),
		F(ISO9660_VD_SET_ID, 191),
		F(ISO9660_VD_PUBLISHER, 319),
		F(ISO9660_VD_PREPARER, 447),
		F(ISO9660_VD_APPLICATION, 575),
		F(ISO9660_VD_COPYRIGHT, 703),
		F(ISO9660_VD_ABSTRACT, 740),
		F(ISO9660_VD_BIBLIOGRAPHIC, 777),
		F(ISO9660_VD_CREATED, 814),
		F(ISO9660_VD_MODIFIED, 831),
		F(ISO9660_VD_EXPIRES, 848),
		F(ISO9660_VD_EFFECTIVE, 865),
		F(ISO9660_VD_FS_VERSION, 882),
		F(ISO9660_VD_RESERVED_882, 883),
		F(ISO9660_VD_APP_USE, 884),
		F(ISO9660_VD_RESERVED_1395, 1396),
	};

	(void)state;
	check(f, sizeof(f) / sizeof(f[0]));
	/* the figures the brief and the engine used to spell out */
	assert_int_equal(ISO9660_VD_ROOT, 156);
	assert_int_equal(ISO9660_VD_ROOT_EXTENT, 158);
	assert_int_equal(ISO9660_VD_VOLUME_SIZE, 80);
	assert_int_equal(ISO9660_VD_CREATED, 813);
	assert_int_equal(ISO9660_VD_FS_VERSION, 881);
	assert_int_equal(ISO9660_VD_SIZE, 2048);
	assert_int_equal(ISO9660_VD_FIRST, 16);
	assert_int_equal(ISO9660_VD_TYPE_PRIMARY, 1);
	assert_int_equal(ISO9660_VD_TYPE_SUPPL, 2);
	assert_int_equal(ISO9660_VD_TYPE_TERMINATOR, 255);
	assert_int_equal(strlen(ISO9660_STD_ID), ISO9660_VD_STD_ID_LEN);
	assert_int_equal(ISO9660_VD_SYSTEM_ID_LEN, 32);
	assert_int_equal(ISO9660_VD_VOLUME_ID_LEN, 32);
	assert_int_equal(ISO9660_VD_ESCAPES_LEN, 32);
	assert_int_equal(ISO9660_VD_PUBLISHER_LEN, 128);
	assert_int_equal(ISO9660_VD_COPYRIGHT_LEN, 37);
	assert_int_equal(ISO9660_DATE17_LEN, 17);
	assert_int_equal(ISO9660_VD_APP_USE_LEN, 512);
}

/* ECMA-119 9.1 and 9.4: the directory record and the path table record */
static void test_records(void **state)
{
	static const struct field f[] = {
		F(ISO9660_DR_LEN, 1),	     F(ISO9660_DR_XA_LEN, 2), F(ISO9660_DR_EXTENT, 3),
		F(ISO9660_DR_SIZE, 11),	     F(ISO9660_DR_DATE, 19),  F(ISO9660_DR_FLAGS, 26),
		F(ISO9660_DR_UNIT_SIZE, 27), F(ISO9660_DR_GAP, 28),   F(ISO9660_DR_VOLUME_SEQ, 29),
		F(ISO9660_DR_NAME_LEN, 33),  F(ISO9660_DR_NAME, 34),  F(ISO9660_PT_NAME_LEN, 1),
		F(ISO9660_PT_XA_LEN, 2),     F(ISO9660_PT_EXTENT, 3), F(ISO9660_PT_PARENT, 7),
		F(ISO9660_PT_NAME, 9),
	};

	(void)state;
	check(f, sizeof(f) / sizeof(f[0]));
	assert_int_equal(ISO9660_DR_NAME, 33);
	assert_int_equal(ISO9660_DR_FIXED, 33);
	assert_int_equal(ISO9660_ROOT_REC_SIZE, 34);
	assert_int_equal(ISO9660_DATE7_LEN, 7);
	assert_int_equal(ISO9660_PT_FIXED, 8);
	assert_int_equal(ISO9660_DRF_HIDDEN, 0x01);
	assert_int_equal(ISO9660_DRF_DIR, 0x02);
	assert_int_equal(ISO9660_DRF_NOT_FINAL, 0x80);
}

/* SUSP 1.12 4.1, 5.1, 5.3, 5.5 and RRIP 1.12 4.1.1-4.1.6; zisofs' ZF */
static void test_system_use(void **state)
{
	static const struct field f[] = {
		F(SUSP_SIG, 1),		  F(SUSP_LEN, 3),
		F(SUSP_VERSION, 4),	  F(SUSP_CE_EXTENT, 5),
		F(SUSP_CE_OFFSET, 13),	  F(SUSP_CE_AREA, 21),
		F(SUSP_SP_CHECK, 5),	  F(SUSP_SP_LEN_SKP, 7),
		F(SUSP_ER_LEN_ID, 5),	  F(SUSP_ER_LEN_DES, 6),
		F(SUSP_ER_LEN_SRC, 7),	  F(SUSP_ER_EXT_VER, 8),
		F(SUSP_ER_ID, 9),	  F(RRIP_PX_MODE, 5),
		F(RRIP_PX_LINKS, 13),	  F(RRIP_PX_UID, 21),
		F(RRIP_PX_GID, 29),	  F(RRIP_PX_INO, 37),
		F(RRIP_PN_HIGH, 5),	  F(RRIP_PN_LOW, 13),
		F(RRIP_SL_FLAGS, 5),	  F(RRIP_SL_COMPONENTS, 6),
		F(RRIP_SLC_FLAGS, 1),	  F(RRIP_SLC_LEN, 2),
		F(RRIP_SLC_CONTENT, 3),	  F(RRIP_NM_FLAGS, 5),
		F(RRIP_NM_NAME, 6),	  F(RRIP_LINK_EXTENT, 5),
		F(RRIP_TF_FLAGS, 5),	  F(RRIP_TF_DATES, 6),
		F(RRIP_ZF_ALGORITHM, 5),  F(RRIP_ZF_HEADER_WORDS, 7),
		F(RRIP_ZF_BLOCK_LOG2, 8), F(RRIP_ZF_REAL_SIZE, 9),
	};

	(void)state;
	check(f, sizeof(f) / sizeof(f[0]));
	assert_int_equal(SUSP_HDR_SIZE, 4);
	assert_int_equal(SUSP_CE_SIZE, 28);
	assert_int_equal(SUSP_SP_SIZE, 7);
	assert_int_equal(RRIP_PX_SIZE, 44);
	assert_int_equal(RRIP_PX_SIZE_1_10, 36);
	assert_int_equal(RRIP_PN_SIZE, 20);
	assert_int_equal(RRIP_LINK_SIZE, 12);
	assert_int_equal(RRIP_ZF_SIZE, 16);
	assert_int_equal(RRIP_SLC_ROOT, 0x08);
	assert_int_equal(RRIP_TF_LONG, 0x80);
}

/* 7.2.3 and 7.3.3: little-endian half first, then big-endian */
static void test_both_byte_orders(void **state)
{
	uint8_t b[8];

	(void)state;
	iso9660_put_723(b, 0x1234);
	assert_memory_equal(b, "\x34\x12\x12\x34", 4);
	iso9660_put_733(b, 0x12345678);
	assert_memory_equal(b, "\x78\x56\x34\x12\x12\x34\x56\x78", 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_volume_descriptor),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_system_use),
		cmocka_unit_test(test_both_byte_orders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
