/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * On-disc layout of ECMA-167 3rd edition / OSTA UDF 2.60, shared by the UDF reader and the
 * UDF writer: tag identifiers, field offsets with the clause of each, fixed sizes with static
 * asserts, and the descriptor CRC. Offsets are from the start of the descriptor (its tag
 * included), or of the structure named (a regid, a timestamp, an allocation descriptor).
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
	uint32_t lbn; /* UDF_RUN_HOLE: neither recorded nor allocated (4/14.14.1.1, type 2) */
	uint32_t blocks;
};
#define UDF_RUN_HOLE UINT32_MAX

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
#define UDF_TAG_RESERVED 5  /* u8, 0 */
#define UDF_TAG_SERIAL	 6  /* u16: tag serial number (3/7.2.5) */
#define UDF_TAG_CRC	 8  /* u16: CRC-ITU-T of the bytes after the tag (3/7.2.6) */
#define UDF_TAG_CRC_LEN	 10 /* u16 */
#define UDF_TAG_LOCATION 12 /* u32: the descriptor's own block */

/* Character set specification (charspec), 1/7.2.1; UDF 2.1.2: type 0, "OSTA Compressed Unicode" */
#define UDF_CHARSPEC_SIZE 64
#define UDF_CHARSPEC_TYPE 0 /* u8 */
#define UDF_CHARSPEC_INFO 1 /* 63 bytes */

/* Entity identifier (regid), 1/7.4; its suffixes, UDF 2.1.5.3 */
#define UDF_REGID_SIZE	     32
#define UDF_REGID_FLAGS	     0 /* u8 */
#define UDF_REGID_ID	     1 /* 23 bytes */
#define UDF_REGID_ID_LEN     23
#define UDF_REGID_SUFFIX     24 /* 8 bytes */
#define UDF_REGID_SUFFIX_LEN 8
/* Domain identifier suffix: the UDF revision, then the domain flags (bit 0 hard, 1 soft WP) */
#define UDF_DOMAIN_SUFFIX_REV	0 /* u16 */
#define UDF_DOMAIN_SUFFIX_FLAGS 2 /* u8 */
/* UDF identifier suffix: the UDF revision, then the OS (UDF 6.3) */
#define UDF_UDF_SUFFIX_REV	0 /* u16 */
#define UDF_UDF_SUFFIX_OS_CLASS 2 /* u8 */
#define UDF_UDF_SUFFIX_OS_ID	3 /* u8 */
/* Implementation identifier suffix: the OS, then implementation use */
#define UDF_IMPL_SUFFIX_OS_CLASS 0 /* u8 */
#define UDF_IMPL_SUFFIX_OS_ID	 1 /* u8 */
/* UDF 6.3: OS class UNIX, OS identifier Linux */
#define UDF_OS_CLASS_UNIX 4
#define UDF_OS_ID_LINUX	  5

/* Volume structure descriptor (BEA01, NSR02/NSR03, TEA01), 2/9.1 */
#define UDF_VSD_TYPE	0 /* u8, 0 */
#define UDF_VSD_ID	1 /* 5 bytes */
#define UDF_VSD_ID_LEN	5
#define UDF_VSD_VERSION 6 /* u8, 1 */

/* extent_ad, 3/7.1 */
#define UDF_EXTENT_AD_SIZE 8
#define UDF_EXTENT_AD_LEN  0 /* u32 bytes */
#define UDF_EXTENT_AD_LOC  4 /* u32 block */

/* Anchor Volume Descriptor Pointer, 3/10.2 */
#define UDF_AVDP_MAIN_VDS    16 /* extent_ad: length u32, location u32 */
#define UDF_AVDP_RESERVE_VDS 24
#define UDF_AVDP_SIZE	     512

/* Every VDS member: its Volume Descriptor Sequence Number, 3/10.x.2 */
#define UDF_VD_SEQNUM 16
/* Volume Descriptor Pointer, 3/10.3 */
#define UDF_VDP_NEXT 20 /* extent_ad */

/* Primary Volume Descriptor, 3/10.1 */
#define UDF_PVD_NUMBER	      20 /* u32: Primary Volume Descriptor Number */
#define UDF_PVD_VOLUME_ID     24 /* dstring[32] */
#define UDF_PVD_VOLUME_ID_LEN 32
#define UDF_PVD_VOLSEQ	      56 /* u16: Volume Sequence Number */
#define UDF_PVD_MAX_VOLSEQ    58 /* u16 */
#define UDF_PVD_LEVEL	      60 /* u16: Interchange Level */
#define UDF_PVD_MAX_LEVEL     62 /* u16 */
#define UDF_PVD_CHARSETS      64 /* u32: Character Set List */
#define UDF_PVD_MAX_CHARSETS  68 /* u32 */
#define UDF_PVD_VOLSET_ID     72 /* dstring[128] */
#define UDF_PVD_VOLSET_ID_LEN 128
#define UDF_PVD_DESC_CHARSET  200 /* charspec */
#define UDF_PVD_EXPL_CHARSET  264 /* charspec */
#define UDF_PVD_APP_ID	      344 /* regid */
#define UDF_PVD_RECORDED      376 /* timestamp */
#define UDF_PVD_IMPL_ID	      388 /* regid */
#define UDF_PVD_FLAGS	      488 /* u16: bit 0, the volume set identifier is common */
#define UDF_PVD_SIZE	      512

/* Implementation Use Volume Descriptor 3/10.4, holding UDF's LV Information (UDF 2.2.7.2) */
#define UDF_IUVD_IMPL_ID     20	 /* regid "*UDF LV Info" */
#define UDF_IUVD_LVI_CHARSET 52	 /* charspec */
#define UDF_IUVD_LV_ID	     116 /* dstring[128] */
#define UDF_IUVD_LV_ID_LEN   128
#define UDF_IUVD_LV_INFO1    244 /* dstring[36] */
#define UDF_IUVD_LV_INFO2    280 /* dstring[36] */
#define UDF_IUVD_LV_INFO3    316 /* dstring[36] */
#define UDF_IUVD_LV_INFO_LEN 36
#define UDF_IUVD_LVI_IMPL_ID 352 /* regid */
#define UDF_IUVD_SIZE	     512

/* Partition Descriptor, 3/10.5 */
#define UDF_PD_FLAGS	20  /* u16: bit 0 allocated */
#define UDF_PD_NUMBER	22  /* u16 */
#define UDF_PD_CONTENTS 24  /* regid "+NSR02" or "+NSR03" */
#define UDF_PD_ACCESS	184 /* u32: 1 read-only, 2 write-once, 3 rewritable, 4 overwritable */
#define UDF_PD_START	188 /* u32, a block of the volume */
#define UDF_PD_LENGTH	192 /* u32, blocks */
#define UDF_PD_IMPL_ID	196 /* regid */
#define UDF_PD_SIZE	512

/* Logical Volume Descriptor, 3/10.6 */
#define UDF_LVD_CHARSET	      20 /* charspec */
#define UDF_LVD_VOLUME_ID     84 /* dstring[128] */
#define UDF_LVD_VOLUME_ID_LEN 128
#define UDF_LVD_BLOCK_SIZE    212 /* u32 */
#define UDF_LVD_DOMAIN	      216 /* regid "*OSTA UDF Compliant", UDF_DOMAIN_SUFFIX_* */
#define UDF_LVD_FSD	      248 /* long_ad: Logical Volume Contents Use, UDF 2.2.4.4 */
#define UDF_LVD_MAP_LEN	      264 /* u32: bytes of the partition maps */
#define UDF_LVD_NMAPS	      268 /* u32 */
#define UDF_LVD_IMPL_ID	      272 /* regid */
#define UDF_LVD_INTEGRITY     432 /* extent_ad: Integrity Sequence Extent */
#define UDF_LVD_MAPS	      440

/* Partition maps, 3/10.7 and UDF 2.2.8-2.2.10 (offsets within a map) */
#define UDF_PM_TYPE	  0 /* u8: 1 or 2 */
#define UDF_PM_LEN	  1 /* u8: 6 or 64 */
#define UDF_PM1_VOLSEQ	  2 /* u16: Volume Sequence Number */
#define UDF_PM1_PARTNUM	  4 /* u16 */
#define UDF_PM1_SIZE	  6
#define UDF_PM2_IDENT	  4  /* regid: "*UDF Virtual Partition", ... */
#define UDF_PM2_VOLSEQ	  36 /* u16 */
#define UDF_PM2_PARTNUM	  38 /* u16 */
#define UDF_PM2_SIZE	  64
#define UDF_PMS_PACKET	  40 /* sparable: u16 packet length (blocks) */
#define UDF_PMS_NTABLES	  42 /* u8 */
#define UDF_PMS_TABLE_LEN 44 /* u32 bytes */
#define UDF_PMS_TABLES	  48 /* u32[4], blocks of the volume */
#define UDF_PMM_FILE	  40 /* metadata: u32 metadata file ICB, block of the partition */
#define UDF_PMM_MIRROR	  44 /* u32 */
#define UDF_PMM_BITMAP	  48 /* u32: the bitmap file's ICB, 0xFFFFFFFF for none */
#define UDF_PMM_ALLOC	  52 /* u32: Allocation Unit Size, blocks */
#define UDF_PMM_ALIGN	  56 /* u16: Alignment Unit Size, blocks */
#define UDF_PMM_FLAGS	  58 /* u8: bit 0 duplicate metadata */

/* Unallocated Space Descriptor 3/10.8, Terminating Descriptor 3/10.9 */
#define UDF_USD_NADS 20 /* u32: number of allocation descriptors (extent_ad) after it */
#define UDF_USD_SIZE 24 /* without them */
#define UDF_TD_SIZE  512

/* Logical Volume Integrity Descriptor, 3/10.10 */
#define UDF_LVID_RECORDED  16 /* timestamp */
#define UDF_LVID_TYPE	   28 /* u32: 0 open, 1 closed */
#define UDF_LVID_NEXT	   32 /* extent_ad: Next Integrity Extent */
#define UDF_LVID_UNIQUE_ID 40 /* u64: the LV Header Descriptor's next unique id (4/14.15) */
#define UDF_LVID_NPARTS	   72 /* u32: number of partitions (n) */
#define UDF_LVID_L_IU	   76 /* u32 */
#define UDF_LVID_TABLES	   80 /* u32[n] free space, u32[n] sizes, then implementation use */
/* ... its implementation use, UDF 2.2.6.4 */
#define UDF_LVIDIU_IMPL_ID   0	/* regid */
#define UDF_LVIDIU_NFILES    32 /* u32 */
#define UDF_LVIDIU_NDIRS     36 /* u32 */
#define UDF_LVIDIU_MIN_READ  40 /* u16: minimum UDF read revision */
#define UDF_LVIDIU_MIN_WRITE 42 /* u16 */
#define UDF_LVIDIU_MAX_WRITE 44 /* u16 */
#define UDF_LVIDIU_SIZE	     46

/* Sparing table, UDF 2.2.12 */
#define UDF_ST_IDENT	16 /* regid "*UDF Sparing Table" */
#define UDF_ST_NENTRIES 48 /* u16 */
#define UDF_ST_ENTRIES	56 /* {u32 original, u32 mapped} */

/* File Set Descriptor, 4/14.1 */
#define UDF_FSD_RECORDED     16	 /* timestamp */
#define UDF_FSD_LEVEL	     28	 /* u16: Interchange Level */
#define UDF_FSD_MAX_LEVEL    30	 /* u16 */
#define UDF_FSD_CHARSETS     32	 /* u32: Character Set List */
#define UDF_FSD_MAX_CHARSETS 36	 /* u32 */
#define UDF_FSD_NUMBER	     40	 /* u32: File Set Number */
#define UDF_FSD_FSD_NUMBER   44	 /* u32: File Set Descriptor Number */
#define UDF_FSD_LV_CHARSET   48	 /* charspec */
#define UDF_FSD_LV_ID	     112 /* dstring[128] */
#define UDF_FSD_LV_ID_LEN    128
#define UDF_FSD_FS_CHARSET   240 /* charspec */
#define UDF_FSD_FS_ID	     304 /* dstring[32] */
#define UDF_FSD_FS_ID_LEN    32
#define UDF_FSD_ROOT	     400 /* long_ad */
#define UDF_FSD_DOMAIN	     416 /* regid */
#define UDF_FSD_SIZE	     512

/* ICB tag, 4/14.6, at 16 in every FE/EFE/IE */
#define UDF_ICB_STRATEGY    (16 + 4)  /* u16: 4 or 4096 */
#define UDF_ICB_MAX_ENTRIES (16 + 8)  /* u16: Maximum Number of Entries */
#define UDF_ICB_FILE_TYPE   (16 + 11) /* u8, enum udf_file_type */
#define UDF_ICB_FLAGS	    (16 + 18) /* u16: bits 0-2 the AD form, then the bits below */
#define UDF_ICB_SETUID	    (1u << 6)
#define UDF_ICB_SETGID	    (1u << 7)
#define UDF_ICB_STICKY	    (1u << 8)

/* Allocation descriptor form in the ICB flags, 4/14.6.8 */
enum udf_ad_form {
	UDF_AD_SHORT = 0,
	UDF_AD_LONG = 1,
	UDF_AD_EXT = 2,
	UDF_AD_EMBEDDED = 3,
};

/* File types of the ICB tag, 4/14.6.6 and UDF 2.3.5.2 */
enum udf_file_type {
	UDF_FT_DIR = 4,
	UDF_FT_FILE = 5,
	UDF_FT_BLK = 6,
	UDF_FT_CHR = 7,
	UDF_FT_FIFO = 9,
	UDF_FT_SOCK = 10,
	UDF_FT_SYMLINK = 12,
	UDF_FT_VAT20 = 248,
	UDF_FT_META = 250,
	UDF_FT_META_MIRROR = 251,
};
/* Indirect Entry, 4/14.7 */
#define UDF_IE_ICB 36 /* long_ad */

/* File Entry 4/14.9 and Extended File Entry 4/14.17: the fields both have at one place */
#define UDF_FE_UID	36
#define UDF_FE_GID	40
#define UDF_FE_PERMS	44
#define UDF_FE_LINKS	48 /* u16 */
#define UDF_FE_INFO_LEN 56 /* u64 */
/* File Entry only */
#define UDF_FE_BLOCKS	  64 /* u64: Logical Blocks Recorded */
#define UDF_FE_ATIME	  72
#define UDF_FE_MTIME	  84
#define UDF_FE_ATTRTIME	  96
#define UDF_FE_CHECKPOINT 108 /* u32 */
#define UDF_FE_IMPL_ID	  128 /* regid */
#define UDF_FE_UNIQUE_ID  160
#define UDF_FE_L_EA	  168
#define UDF_FE_L_AD	  172
#define UDF_FE_SIZE	  176
/* Extended File Entry only */
#define UDF_EFE_OBJECT_SIZE 64 /* u64 */
#define UDF_EFE_BLOCKS	    72 /* u64: Logical Blocks Recorded */
#define UDF_EFE_ATIME	    80
#define UDF_EFE_MTIME	    92
#define UDF_EFE_BTIME	    104
#define UDF_EFE_ATTRTIME    116
#define UDF_EFE_CHECKPOINT  128 /* u32 */
#define UDF_EFE_IMPL_ID	    168 /* regid */
#define UDF_EFE_UNIQUE_ID   200
#define UDF_EFE_L_EA	    208
#define UDF_EFE_L_AD	    212
#define UDF_EFE_SIZE	    216

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
#define UDF_FID_VERSION	  16 /* u16: File Version Number */
#define UDF_FID_CHARS	  18 /* u8: 1 hidden, 2 directory, 4 deleted, 8 parent */
#define UDF_FID_L_FI	  19 /* u8 */
#define UDF_FID_ICB	  20 /* long_ad */
#define UDF_FID_L_IU	  36 /* u16 */
#define UDF_FID_SIZE	  38 /* then impl. use, then the identifier, padded to 4 */
#define UDF_FID_HIDDEN	  0x01
#define UDF_FID_DIRECTORY 0x02
#define UDF_FID_DELETED	  0x04
#define UDF_FID_PARENT	  0x08

/* Allocation descriptors, 4/14.14: short_ad 8, long_ad 16, ext_ad 20 bytes */
#define UDF_SHORT_AD_SIZE  8
#define UDF_LONG_AD_SIZE   16
#define UDF_EXT_AD_SIZE	   20
#define UDF_AD_LEN	   0  /* u32 of all three: bytes, the top 2 bits the extent type */
#define UDF_AD_NEXT_EXTENT 3  /* that type for the next extent of ADs, 4/14.14.1.1 */
#define UDF_SHORT_AD_POS   4  /* u32; a long_ad's block is at the same place */
#define UDF_LONG_AD_LBN	   4  /* u32 */
#define UDF_LONG_AD_PART   8  /* u16 */
#define UDF_LONG_AD_IMPL   10 /* 6 bytes: UDF 2.3.10.1 ADImpUse, flags u16 then 4 bytes */
/* u32 in the ADImpUse: in a FID's ICB, the low 32 bits of the unique id (UDF 2.3.4.3) */
#define UDF_LONG_AD_UNIQUE_ID 12
#define UDF_EXT_AD_LOC	      12 /* lb_addr: u32 block, u16 partition */

/* OSTA CS0 (UDF 2.1.1): the compression ID, the first byte of every CS0 string */
enum udf_cs0_id {
	UDF_CS0_8BIT = 8,   /* one byte a character, U+0000-U+00FF */
	UDF_CS0_16BIT = 16, /* UTF-16 big-endian units */
};

/* Path component of a symbolic link's data, 4/14.16.1 */
#define UDF_PC_TYPE    0 /* u8, enum udf_pc_type */
#define UDF_PC_L_CI    1 /* u8: length of the identifier */
#define UDF_PC_VERSION 2 /* u16: Component File Version Number */
#define UDF_PC_SIZE    4 /* then the identifier (CS0) */
enum udf_pc_type {
	UDF_PC_ROOT = 1, /* with an identifier: the implementation's name for a root */
	UDF_PC_ROOT_MEDIUM = 2,
	UDF_PC_PARENT = 3,
	UDF_PC_CURRENT = 4,
	UDF_PC_NAMED = 5,
};

/* timestamp, 1/7.3 */
#define UDF_TIMESTAMP_SIZE 12
#define UDF_TS_TYPE_TZ	   0  /* u16: type (bits 12-15, 1 local time), minutes east of UTC */
#define UDF_TS_YEAR	   2  /* i16 */
#define UDF_TS_MONTH	   4  /* u8 */
#define UDF_TS_DAY	   5  /* u8 */
#define UDF_TS_HOUR	   6  /* u8 */
#define UDF_TS_MINUTE	   7  /* u8 */
#define UDF_TS_SECOND	   8  /* u8 */
#define UDF_TS_CENTISEC	   9  /* u8 */
#define UDF_TS_HUNDRED_US  10 /* u8: hundreds of microseconds */
#define UDF_TS_MICROSEC	   11 /* u8 */

static_assert(UDF_LVD_MAPS == 440, "ECMA-167 3/10.6: partition maps at 440");
static_assert(UDF_FE_SIZE == 176, "ECMA-167 4/14.9: extended attributes at 176");
static_assert(UDF_EFE_SIZE == 216, "ECMA-167 4/14.17: extended attributes at 216");
static_assert(UDF_FID_SIZE == UDF_FID_L_IU + 2, "ECMA-167 4/14.4: impl. use after L_IU");
static_assert(UDF_LONG_AD_SIZE == 16 && UDF_SHORT_AD_SIZE == 8, "ECMA-167 4/14.14");
static_assert(UDF_SHORT_AD_POS == UDF_LONG_AD_LBN, "ECMA-167 4/14.14: the block after the length");
static_assert(UDF_ST_NENTRIES == UDF_ST_IDENT + UDF_REGID_SIZE, "UDF 2.2.12");
/* Each field ends where the next begins: a mistyped offset above breaks the build here */
static_assert(UDF_REGID_SUFFIX == UDF_REGID_ID + UDF_REGID_ID_LEN &&
		      UDF_REGID_SIZE == UDF_REGID_SUFFIX + UDF_REGID_SUFFIX_LEN,
	      "ECMA-167 1/7.4: regid of 32 bytes");
static_assert(UDF_TS_MICROSEC + 1 == UDF_TIMESTAMP_SIZE, "ECMA-167 1/7.3");
static_assert(UDF_AVDP_RESERVE_VDS == UDF_AVDP_MAIN_VDS + UDF_EXTENT_AD_SIZE, "ECMA-167 3/10.2");
static_assert(UDF_PVD_VOLSEQ == UDF_PVD_VOLUME_ID + UDF_PVD_VOLUME_ID_LEN &&
		      UDF_PVD_DESC_CHARSET == UDF_PVD_VOLSET_ID + UDF_PVD_VOLSET_ID_LEN &&
		      UDF_PVD_EXPL_CHARSET == UDF_PVD_DESC_CHARSET + UDF_CHARSPEC_SIZE &&
		      UDF_PVD_RECORDED == UDF_PVD_APP_ID + UDF_REGID_SIZE &&
		      UDF_PVD_IMPL_ID == UDF_PVD_RECORDED + UDF_TIMESTAMP_SIZE,
	      "ECMA-167 3/10.1");
static_assert(UDF_IUVD_LVI_CHARSET == UDF_IUVD_IMPL_ID + UDF_REGID_SIZE &&
		      UDF_IUVD_LV_ID == UDF_IUVD_LVI_CHARSET + UDF_CHARSPEC_SIZE &&
		      UDF_IUVD_LV_INFO1 == UDF_IUVD_LV_ID + UDF_IUVD_LV_ID_LEN &&
		      UDF_IUVD_LV_INFO2 == UDF_IUVD_LV_INFO1 + UDF_IUVD_LV_INFO_LEN &&
		      UDF_IUVD_LV_INFO3 == UDF_IUVD_LV_INFO2 + UDF_IUVD_LV_INFO_LEN &&
		      UDF_IUVD_LVI_IMPL_ID == UDF_IUVD_LV_INFO3 + UDF_IUVD_LV_INFO_LEN,
	      "UDF 2.2.7.2");
static_assert(UDF_PD_ACCESS == UDF_PD_CONTENTS + UDF_REGID_SIZE + 128 &&
		      UDF_PD_IMPL_ID == UDF_PD_LENGTH + 4,
	      "ECMA-167 3/10.5: 128 bytes of Partition Contents Use");
static_assert(UDF_LVD_VOLUME_ID == UDF_LVD_CHARSET + UDF_CHARSPEC_SIZE &&
		      UDF_LVD_BLOCK_SIZE == UDF_LVD_VOLUME_ID + UDF_LVD_VOLUME_ID_LEN &&
		      UDF_LVD_DOMAIN == UDF_LVD_BLOCK_SIZE + 4 &&
		      UDF_LVD_FSD == UDF_LVD_DOMAIN + UDF_REGID_SIZE &&
		      UDF_LVD_MAP_LEN == UDF_LVD_FSD + UDF_LONG_AD_SIZE &&
		      UDF_LVD_IMPL_ID == UDF_LVD_NMAPS + 4 &&
		      UDF_LVD_MAPS == UDF_LVD_INTEGRITY + UDF_EXTENT_AD_SIZE,
	      "ECMA-167 3/10.6");
static_assert(UDF_PM2_VOLSEQ == UDF_PM2_IDENT + UDF_REGID_SIZE &&
		      UDF_PMM_FILE == UDF_PM2_PARTNUM + 2 && UDF_PMM_MIRROR == UDF_PMM_FILE + 4 &&
		      UDF_PMM_BITMAP == UDF_PMM_MIRROR + 4 && UDF_PMM_ALLOC == UDF_PMM_BITMAP + 4 &&
		      UDF_PMM_ALIGN == UDF_PMM_ALLOC + 4 && UDF_PMM_FLAGS == UDF_PMM_ALIGN + 2 &&
		      UDF_PM2_SIZE == UDF_PMM_FLAGS + 6,
	      "UDF 2.2.10: metadata partition map of 64 bytes");
static_assert(UDF_LVID_UNIQUE_ID == UDF_LVID_NEXT + UDF_EXTENT_AD_SIZE &&
		      UDF_LVID_NPARTS == UDF_LVID_UNIQUE_ID + 32 &&
		      UDF_LVID_TABLES == UDF_LVID_L_IU + 4 &&
		      UDF_LVIDIU_NFILES == UDF_LVIDIU_IMPL_ID + UDF_REGID_SIZE,
	      "ECMA-167 3/10.10, UDF 2.2.6.4");
static_assert(UDF_FSD_LV_ID == UDF_FSD_LV_CHARSET + UDF_CHARSPEC_SIZE &&
		      UDF_FSD_FS_CHARSET == UDF_FSD_LV_ID + UDF_FSD_LV_ID_LEN &&
		      UDF_FSD_FS_ID == UDF_FSD_FS_CHARSET + UDF_CHARSPEC_SIZE &&
		      UDF_FSD_ROOT == UDF_FSD_FS_ID + 3 * UDF_FSD_FS_ID_LEN &&
		      UDF_FSD_DOMAIN == UDF_FSD_ROOT + UDF_LONG_AD_SIZE,
	      "ECMA-167 4/14.1: copyright and abstract file ids between FS id and root");
static_assert(UDF_FE_MTIME == UDF_FE_ATIME + UDF_TIMESTAMP_SIZE &&
		      UDF_FE_CHECKPOINT == UDF_FE_ATTRTIME + UDF_TIMESTAMP_SIZE &&
		      UDF_FE_UNIQUE_ID == UDF_FE_IMPL_ID + UDF_REGID_SIZE &&
		      UDF_FE_L_EA == UDF_FE_UNIQUE_ID + 8 && UDF_FE_L_AD == UDF_FE_L_EA + 4 &&
		      UDF_FE_SIZE == UDF_FE_L_AD + 4,
	      "ECMA-167 4/14.9");
static_assert(UDF_EFE_MTIME == UDF_EFE_ATIME + UDF_TIMESTAMP_SIZE &&
		      UDF_EFE_BTIME == UDF_EFE_MTIME + UDF_TIMESTAMP_SIZE &&
		      UDF_EFE_CHECKPOINT == UDF_EFE_ATTRTIME + UDF_TIMESTAMP_SIZE &&
		      UDF_EFE_UNIQUE_ID == UDF_EFE_IMPL_ID + UDF_REGID_SIZE &&
		      UDF_EFE_L_EA == UDF_EFE_UNIQUE_ID + 8 && UDF_EFE_L_AD == UDF_EFE_L_EA + 4 &&
		      UDF_EFE_SIZE == UDF_EFE_L_AD + 4,
	      "ECMA-167 4/14.17");
static_assert(UDF_FID_ICB == UDF_FID_L_FI + 1 && UDF_FID_L_IU == UDF_FID_ICB + UDF_LONG_AD_SIZE,
	      "ECMA-167 4/14.4");
static_assert(UDF_LONG_AD_UNIQUE_ID == UDF_LONG_AD_IMPL + 2 &&
		      UDF_LONG_AD_SIZE == UDF_LONG_AD_IMPL + 6,
	      "ECMA-167 4/14.14.2, UDF 2.3.10.1");

/* CRC-ITU-T (x^16 + x^12 + x^5 + 1, initial 0, MSB first) of n bytes, 1/7.2.6 */
uint16_t udf_crc_itu(const uint8_t *p, size_t n);

#endif
