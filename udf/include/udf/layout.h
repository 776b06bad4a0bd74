/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * On-disc layout of ECMA-167 3rd edition / OSTA UDF 2.60 as the UDF reader uses it: tag
 * identifiers, field offsets with the clause of each, fixed sizes with static asserts, and
 * the descriptor CRC. Offsets are from the start of the descriptor (its tag included).
 */
#ifndef UDF_LAYOUT_H
#define UDF_LAYOUT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A run of blocks of one partition: what a short_ad (ECMA-167 4/14.14.1) records of a
 * recorded extent, as the reader reports an earlier volume's metadata file and the writer
 * takes it to begin the next one.
 */
struct udf_run {
	uint32_t lbn;
	uint32_t blocks;
};

/* Tag identifiers (ECMA-167 3/7.2.1 and 4/7.2.1; 0 is UDF's sparing table, UDF 2.2.12) */
enum udf_tag_id {
	UDF_TAG_SPARING = 0,
	UDF_TAG_PVD = 1,
	UDF_TAG_AVDP = 2,
	UDF_TAG_VDP = 3,
	UDF_TAG_IUVD = 4,
	UDF_TAG_PD = 5,
	UDF_TAG_LVD = 6,
	UDF_TAG_USD = 7,
	UDF_TAG_TD = 8,
	UDF_TAG_LVID = 9,
	UDF_TAG_FSD = 256,
	UDF_TAG_FID = 257,
	UDF_TAG_AED = 258,
	UDF_TAG_IE = 259,
	UDF_TAG_TE = 260,
	UDF_TAG_FE = 261,
	UDF_TAG_EFE = 266,
};

/* Descriptor tag, ECMA-167 3/7.2 */
#define UDF_TAG_SIZE	 16
#define UDF_TAG_ID	 0  /* u16 */
#define UDF_TAG_VERSION	 2  /* u16: 2 (NSR02) or 3 (NSR03) */
#define UDF_TAG_CHECKSUM 4  /* u8: sum of bytes 0-3 and 5-15 */
#define UDF_TAG_CRC	 8  /* u16: CRC-ITU-T of the bytes after the tag (3/7.2.6) */
#define UDF_TAG_CRC_LEN	 10 /* u16 */
#define UDF_TAG_LOCATION 12 /* u32: the descriptor's own block */

/* Anchor Volume Descriptor Pointer, 3/10.2 */
#define UDF_AVDP_MAIN_VDS    16 /* extent_ad: length u32, location u32 */
#define UDF_AVDP_RESERVE_VDS 24

/* Every VDS member: its Volume Descriptor Sequence Number, 3/10.x.2 */
#define UDF_VD_SEQNUM 16
/* Volume Descriptor Pointer, 3/10.3 */
#define UDF_VDP_NEXT 20 /* extent_ad */

/* Primary Volume Descriptor, 3/10.1 */
#define UDF_PVD_VOLUME_ID 24 /* dstring[32] */

/* Partition Descriptor, 3/10.5 */
#define UDF_PD_NUMBER 22  /* u16 */
#define UDF_PD_ACCESS 184 /* u32: 1 read-only, 2 write-once, 3 rewritable, 4 overwritable */
#define UDF_PD_START  188 /* u32, a block of the volume */
#define UDF_PD_LENGTH 192 /* u32, blocks */

/* Logical Volume Descriptor, 3/10.6 */
#define UDF_LVD_VOLUME_ID  84  /* dstring[128] */
#define UDF_LVD_BLOCK_SIZE 212 /* u32 */
#define UDF_LVD_DOMAIN	   216 /* regid "*OSTA UDF Compliant", suffix: revision u16 (UDF 2.1.5.3) */
#define UDF_LVD_FSD	   248 /* long_ad */
#define UDF_LVD_MAP_LEN	   264 /* u32: bytes of the partition maps */
#define UDF_LVD_NMAPS	   268 /* u32 */
#define UDF_LVD_MAPS	   440

/* Partition maps, 3/10.7 and UDF 2.2.8-2.2.10 (offsets within a map) */
#define UDF_PM_TYPE	  0  /* u8: 1 or 2 */
#define UDF_PM_LEN	  1  /* u8: 6 or 64 */
#define UDF_PM1_PARTNUM	  4  /* u16 */
#define UDF_PM2_IDENT	  4  /* regid: "*UDF Virtual Partition", ... */
#define UDF_PM2_PARTNUM	  38 /* u16 */
#define UDF_PMS_PACKET	  40 /* sparable: u16 packet length (blocks) */
#define UDF_PMS_NTABLES	  42 /* u8 */
#define UDF_PMS_TABLE_LEN 44 /* u32 bytes */
#define UDF_PMS_TABLES	  48 /* u32[4], blocks of the volume */
#define UDF_PMM_FILE	  40 /* metadata: u32 metadata file ICB, block of the partition */
#define UDF_PMM_MIRROR	  44 /* u32 */
#define UDF_PMM_FLAGS	  58 /* u8: bit 0 duplicate metadata */

/* Sparing table, UDF 2.2.12 */
#define UDF_ST_NENTRIES 48 /* u16 */
#define UDF_ST_ENTRIES	56 /* {u32 original, u32 mapped} */

/* File Set Descriptor, 4/14.1 */
#define UDF_FSD_ROOT 400 /* long_ad */

/* ICB tag, 4/14.6, at 16 in every FE/EFE/IE */
#define UDF_ICB_STRATEGY  (16 + 4)  /* u16: 4 or 4096 */
#define UDF_ICB_FILE_TYPE (16 + 11) /* u8 */
#define UDF_ICB_FLAGS	  (16 + 18) /* u16: bits 0-2 the AD form */
/* Indirect Entry, 4/14.7 */
#define UDF_IE_ICB 36 /* long_ad */

/* File Entry 4/14.9 and Extended File Entry 4/14.17: the fields both have at one place */
#define UDF_FE_UID	36
#define UDF_FE_GID	40
#define UDF_FE_PERMS	44
#define UDF_FE_LINKS	48
#define UDF_FE_INFO_LEN 56
/* File Entry only */
#define UDF_FE_ATIME	 72
#define UDF_FE_MTIME	 84
#define UDF_FE_ATTRTIME	 96
#define UDF_FE_UNIQUE_ID 160
#define UDF_FE_L_EA	 168
#define UDF_FE_L_AD	 172
#define UDF_FE_SIZE	 176
/* Extended File Entry only */
#define UDF_EFE_ATIME	  80
#define UDF_EFE_MTIME	  92
#define UDF_EFE_BTIME	  104
#define UDF_EFE_ATTRTIME  116
#define UDF_EFE_UNIQUE_ID 200
#define UDF_EFE_L_EA	  208
#define UDF_EFE_L_AD	  212
#define UDF_EFE_SIZE	  216

/* Extended Attribute Header Descriptor 4/14.10.1, then the attributes 4/14.10.2 */
#define UDF_EAHD_SIZE	    24
#define UDF_EA_TYPE	    0  /* u32 */
#define UDF_EA_LEN	    8  /* u32: the whole attribute */
#define UDF_EA_DEVICE	    12 /* attribute type of a Device Specification, 4/14.10.7 */
#define UDF_EA_DEVICE_MAJOR 16 /* u32 */
#define UDF_EA_DEVICE_MINOR 20 /* u32 */
#define UDF_TAG_EAHD_ID	    262

/* Allocation Extent Descriptor, 4/14.5 */
#define UDF_AED_L_AD 20 /* u32 */
#define UDF_AED_SIZE 24

/* File Identifier Descriptor, 4/14.4 */
#define UDF_FID_CHARS 18 /* u8: 1 hidden, 2 directory, 4 deleted, 8 parent */
#define UDF_FID_L_FI  19 /* u8 */
#define UDF_FID_ICB   20 /* long_ad */
#define UDF_FID_L_IU  36 /* u16 */
#define UDF_FID_SIZE  38 /* then impl. use, then the identifier, padded to 4 */

/* Allocation descriptors, 4/14.14: short_ad 8, long_ad 16, ext_ad 20 bytes */
#define UDF_SHORT_AD_SIZE 8
#define UDF_LONG_AD_SIZE  16
#define UDF_EXT_AD_SIZE	  20
#define UDF_LONG_AD_LBN	  4  /* u32 */
#define UDF_LONG_AD_PART  8  /* u16 */
#define UDF_EXT_AD_LOC	  12 /* lb_addr: u32 block, u16 partition */

/* timestamp, 1/7.3 */
#define UDF_TIMESTAMP_SIZE 12

static_assert(UDF_LVD_MAPS == 440, "ECMA-167 3/10.6: partition maps at 440");
static_assert(UDF_FE_SIZE == 176, "ECMA-167 4/14.9: extended attributes at 176");
static_assert(UDF_EFE_SIZE == 216, "ECMA-167 4/14.17: extended attributes at 216");
static_assert(UDF_FID_SIZE == UDF_FID_L_IU + 2, "ECMA-167 4/14.4: impl. use after L_IU");
static_assert(UDF_LONG_AD_SIZE == 16 && UDF_SHORT_AD_SIZE == 8, "ECMA-167 4/14.14");

/* CRC-ITU-T (x^16 + x^12 + x^5 + 1, initial 0, MSB first) of n bytes, 1/7.2.6 */
uint16_t udf_crc_itu(const uint8_t *p, size_t n);

#endif
