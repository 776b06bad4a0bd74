/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * On-disc layout of ECMA-119 (ISO 9660; clauses as its 2nd edition numbers them), Joliet and
 * SUSP 1.12 / RRIP 1.12 as burnfs writes and reads them: field offsets with the clause of
 * each, field lengths, fixed sizes with static asserts, and the both-byte-order encoders of
 * 7.2.3 and 7.3.3. Offsets are from the start of the structure and 0-based: the spec's
 * "BP n" is offset n - 1. Buffers are never cast to structs (STYLE.md rule 22): fields go
 * through common/bytes.h.
 */
#ifndef ISO9660_LAYOUT_H
#define ISO9660_LAYOUT_H

#include <assert.h>
#include <stdint.h>

#include "common/bytes.h"

#define ISO9660_BLOCK_SIZE 2048u /* logical sector and block size, 6.1.2 and 6.2.2 */
#define ISO9660_VD_FIRST   16u	 /* the descriptor set starts after the system area, 6.2.1 */

/* Volume descriptor types, 8.1.1 */
#define ISO9660_VD_TYPE_BOOT	   0u
#define ISO9660_VD_TYPE_PRIMARY	   1u
#define ISO9660_VD_TYPE_SUPPL	   2u /* supplementary (Joliet) or enhanced, 8.5 */
#define ISO9660_VD_TYPE_PARTITION  3u
#define ISO9660_VD_TYPE_TERMINATOR 255u

/* Every volume descriptor, 8.1: type, "CD001", version */
#define ISO9660_VD_TYPE	       0 /* u8, 8.1.1 */
#define ISO9660_VD_STD_ID      1 /* "CD001", 8.1.2 */
#define ISO9660_VD_STD_ID_LEN  5
#define ISO9660_VD_VERSION     6 /* u8: 1, 8.4.3 (8.3.3 for the terminator) */
#define ISO9660_STD_ID	       "CD001"
#define ISO9660_VD_VERSION_ONE 1u

/* Primary 8.4 and supplementary 8.5 volume descriptors: one layout */
#define ISO9660_VD_FLAGS	     7 /* u8: SVD volume flags 8.5.3, PVD unused 8.4.4 */
#define ISO9660_VD_SYSTEM_ID	     8 /* a-characters, 8.4.5 (SVD: a1, 8.5.4) */
#define ISO9660_VD_SYSTEM_ID_LEN     32
#define ISO9660_VD_VOLUME_ID	     40 /* d-characters, 8.4.6 (SVD: d1, 8.5.5) */
#define ISO9660_VD_VOLUME_ID_LEN     32
#define ISO9660_VD_UNUSED_72	     72 /* 8 zero bytes, 8.4.7 */
#define ISO9660_VD_VOLUME_SIZE	     80 /* 7.3.3 both-endian u32, blocks, 8.4.8 */
#define ISO9660_VD_ESCAPES	     88 /* SVD escape sequences, 8.5.6 (PVD unused, 8.4.9) */
#define ISO9660_VD_ESCAPES_LEN	     32
#define ISO9660_VD_SET_SIZE	     120 /* 7.2.3 both-endian u16, 8.4.10 */
#define ISO9660_VD_SEQUENCE	     124 /* 7.2.3, volume sequence number, 8.4.11 */
#define ISO9660_VD_BLOCK_SIZE	     128 /* 7.2.3, logical block size, 8.4.12 */
#define ISO9660_VD_PT_SIZE	     132 /* 7.3.3, path table size in bytes, 8.4.13 */
#define ISO9660_VD_PT_L		     140 /* 7.3.1 LE u32, type L path table, 8.4.14 */
#define ISO9660_VD_PT_L_OPT	     144 /* 7.3.1, optional type L path table, 8.4.15 */
#define ISO9660_VD_PT_M		     148 /* 7.3.2 BE u32, type M path table, 8.4.16 */
#define ISO9660_VD_PT_M_OPT	     152 /* 7.3.2, optional type M path table, 8.4.17 */
#define ISO9660_VD_ROOT		     156 /* the root's directory record (9.1), 8.4.18 */
#define ISO9660_VD_SET_ID	     190 /* volume set identifier, d-characters, 8.4.19 */
#define ISO9660_VD_SET_ID_LEN	     128
#define ISO9660_VD_PUBLISHER	     318 /* a-characters, 8.4.20 */
#define ISO9660_VD_PUBLISHER_LEN     128
#define ISO9660_VD_PREPARER	     446 /* data preparer, a-characters, 8.4.21 */
#define ISO9660_VD_PREPARER_LEN	     128
#define ISO9660_VD_APPLICATION	     574 /* a-characters, 8.4.22 */
#define ISO9660_VD_APPLICATION_LEN   128
#define ISO9660_VD_COPYRIGHT	     702 /* file identifier, 8.4.23 */
#define ISO9660_VD_COPYRIGHT_LEN     37
#define ISO9660_VD_ABSTRACT	     739 /* file identifier, 8.4.24 */
#define ISO9660_VD_ABSTRACT_LEN	     37
#define ISO9660_VD_BIBLIOGRAPHIC     776 /* file identifier, 8.4.25 */
#define ISO9660_VD_BIBLIOGRAPHIC_LEN 37
#define ISO9660_VD_CREATED	     813 /* 8.4.26.1 date, 8.4.26 */
#define ISO9660_VD_MODIFIED	     830 /* 8.4.27 */
#define ISO9660_VD_EXPIRES	     847 /* 8.4.28 */
#define ISO9660_VD_EFFECTIVE	     864 /* 8.4.29 */
#define ISO9660_VD_FS_VERSION	     881 /* u8: 1, file structure version, 8.4.30 */
#define ISO9660_VD_RESERVED_882	     882 /* u8: 0, 8.4.31 */
#define ISO9660_VD_APP_USE	     883 /* 8.4.32 */
#define ISO9660_VD_APP_USE_LEN	     512
#define ISO9660_VD_RESERVED_1395     1395 /* 653 zero bytes, 8.4.33 */
#define ISO9660_VD_RESERVED_1395_LEN 653
#define ISO9660_VD_SIZE		     2048u

/* Joliet: an SVD with escape sequences "%/@", "%/C" or "%/E" (UCS-2 level 1, 2, 3) */
#define JOLIET_ESC_0	  '%'
#define JOLIET_ESC_1	  '/'
#define JOLIET_ESC_LEVEL1 '@'
#define JOLIET_ESC_LEVEL2 'C'
#define JOLIET_ESC_LEVEL3 'E'

/* Dates: 7 bytes in a directory record (9.1.5), 17 digits and an offset (8.4.26.1) */
#define ISO9660_DATE7_LEN  7
#define ISO9660_DATE17_LEN 17

/* Directory record, 9.1 */
#define ISO9660_DR_LEN	      0	   /* u8: the whole record, 9.1.1 */
#define ISO9660_DR_XA_LEN     1	   /* u8: extended attribute record length, 9.1.2 */
#define ISO9660_DR_EXTENT     2	   /* 7.3.3 both-endian u32, location of extent, 9.1.3 */
#define ISO9660_DR_SIZE	      10   /* 7.3.3, data length in bytes, 9.1.4 */
#define ISO9660_DR_DATE	      18   /* 7 bytes, recording date and time, 9.1.5 */
#define ISO9660_DR_FLAGS      25   /* u8, file flags, 9.1.6 */
#define ISO9660_DR_UNIT_SIZE  26   /* u8, file unit size (interleaving), 9.1.7 */
#define ISO9660_DR_GAP	      27   /* u8, interleave gap size, 9.1.8 */
#define ISO9660_DR_VOLUME_SEQ 28   /* 7.2.3 both-endian u16, volume sequence number, 9.1.9 */
#define ISO9660_DR_NAME_LEN   32   /* u8, length of file identifier, 9.1.10 */
#define ISO9660_DR_NAME	      33   /* file identifier, 9.1.11; then padding 9.1.12 to even */
#define ISO9660_DR_FIXED      33u  /* bytes before the identifier */
#define ISO9660_DR_MAX	      255u /* its length is one byte, 9.1.1 */
#define ISO9660_ROOT_REC_SIZE 34u  /* the root record in a descriptor: identifier 0x00 */
#define ISO9660_DR_ID_DOT     0x00 /* "." and "..": one byte identifiers, 6.8.2.2 */
#define ISO9660_DR_ID_DOTDOT  0x01
/* The root directory's extent in a volume descriptor, the LE half (8.4.18, 9.1.3) */
#define ISO9660_VD_ROOT_EXTENT (ISO9660_VD_ROOT + ISO9660_DR_EXTENT)
/* File flags, 9.1.6 */
#define ISO9660_DRF_HIDDEN     0x01 /* existence */
#define ISO9660_DRF_DIR	       0x02
#define ISO9660_DRF_ASSOC      0x04
#define ISO9660_DRF_RECORD     0x08
#define ISO9660_DRF_PROTECTION 0x10
#define ISO9660_DRF_NOT_FINAL  0x80 /* multi-extent: another record of the file follows */

/* Path table record, 9.4 (type L: LE fields, 7.3.1 / 7.2.1; type M: BE, 7.3.2 / 7.2.2) */
#define ISO9660_PT_NAME_LEN 0 /* u8, length of directory identifier, 9.4.1 */
#define ISO9660_PT_XA_LEN   1 /* u8, extended attribute record length, 9.4.2 */
#define ISO9660_PT_EXTENT   2 /* u32, location of extent, 9.4.3 */
#define ISO9660_PT_PARENT   6 /* u16, parent directory number, 9.4.4 */
#define ISO9660_PT_NAME	    8 /* directory identifier, 9.4.5; padded to even, 9.4.6 */
#define ISO9660_PT_FIXED    8u

/* System Use entry, SUSP 1.12 4.1: signature, length, version, then the data */
#define SUSP_SIG	 0 /* two characters, 4.1.1 */
#define SUSP_LEN	 2 /* u8: the whole entry, 4.1.2 */
#define SUSP_VERSION	 3 /* u8: 1, 4.1.3 */
#define SUSP_HDR_SIZE	 4u
#define SUSP_VERSION_ONE 1u
/* CE, continuation area, SUSP 5.1: three 7.3.3 fields */
#define SUSP_CE_EXTENT 4  /* block */
#define SUSP_CE_OFFSET 12 /* bytes into it */
#define SUSP_CE_AREA   20 /* bytes of the area */
#define SUSP_CE_SIZE   28u
/* SP, SUSP indicator, SUSP 5.3: in the root's "." record, first */
#define SUSP_SP_CHECK	4 /* 0xBE 0xEF */
#define SUSP_SP_CHECK_0 0xBE
#define SUSP_SP_CHECK_1 0xEF
#define SUSP_SP_LEN_SKP 6 /* u8: bytes skipped at the start of every System Use area */
#define SUSP_SP_SIZE	7u
/* ER, extensions reference, SUSP 5.5 */
#define SUSP_ER_LEN_ID	4 /* u8 */
#define SUSP_ER_LEN_DES 5 /* u8 */
#define SUSP_ER_LEN_SRC 6 /* u8 */
#define SUSP_ER_EXT_VER 7 /* u8 */
#define SUSP_ER_ID	8 /* identifier, then descriptor, then source */
/* PX, POSIX file attributes, RRIP 1.12 4.1.1: 7.3.3 fields */
#define RRIP_PX_MODE	  4
#define RRIP_PX_LINKS	  12
#define RRIP_PX_UID	  20
#define RRIP_PX_GID	  28
#define RRIP_PX_INO	  36 /* file serial number, RRIP 1.12 only */
#define RRIP_PX_SIZE_1_10 36u
#define RRIP_PX_SIZE	  44u
/* PN, device number, RRIP 4.1.2: 7.3.3 fields */
#define RRIP_PN_HIGH 4
#define RRIP_PN_LOW  12
#define RRIP_PN_SIZE 20u
/* SL, symbolic link, RRIP 4.1.3: flags, then component records (4.1.3.1) */
#define RRIP_SL_FLAGS	   4	/* u8 */
#define RRIP_SL_CONTINUE   0x01 /* the link goes on in the next SL */
#define RRIP_SL_COMPONENTS 5
#define RRIP_SL_HDR_SIZE   5u
#define RRIP_SLC_FLAGS	   0 /* u8, of one component record */
#define RRIP_SLC_LEN	   1 /* u8 */
#define RRIP_SLC_CONTENT   2
#define RRIP_SLC_HDR_SIZE  2u
#define RRIP_SLC_CONTINUE  0x01
#define RRIP_SLC_CURRENT   0x02
#define RRIP_SLC_PARENT	   0x04
#define RRIP_SLC_ROOT	   0x08
/* NM, alternate name, RRIP 4.1.4 */
#define RRIP_NM_FLAGS	 4 /* u8 */
#define RRIP_NM_NAME	 5
#define RRIP_NM_HDR_SIZE 5u
#define RRIP_NM_CONTINUE 0x01
#define RRIP_NM_CURRENT	 0x02
#define RRIP_NM_PARENT	 0x04
/* CL child link 4.1.5.1, PL parent link 4.1.5.2: one 7.3.3 block; RE 4.1.5.3: no data */
#define RRIP_LINK_EXTENT 4
#define RRIP_LINK_SIZE	 12u
/* TF, time stamps, RRIP 4.1.6: flags, then one 7- or 17-byte date per flag set */
#define RRIP_TF_FLAGS	 4
#define RRIP_TF_DATES	 5
#define RRIP_TF_HDR_SIZE 5u
#define RRIP_TF_CREATION 0x01
#define RRIP_TF_MODIFY	 0x02
#define RRIP_TF_ACCESS	 0x04
#define RRIP_TF_ATTR	 0x08
#define RRIP_TF_BACKUP	 0x10
#define RRIP_TF_EXPIRE	 0x20
#define RRIP_TF_EFFECT	 0x40
#define RRIP_TF_LONG	 0x80 /* dates in the 17-byte form of 8.4.26.1 */
/* ZF, zisofs (not in RRIP; mkzftree, Linux fs/isofs/rock.c): algorithm, sizes */
#define RRIP_ZF_ALGORITHM    4 /* two characters: "pz" */
#define RRIP_ZF_HEADER_WORDS 6 /* u8: header size / 4 */
#define RRIP_ZF_BLOCK_LOG2   7 /* u8 */
#define RRIP_ZF_REAL_SIZE    8 /* 7.3.3, the uncompressed size */
#define RRIP_ZF_SIZE	     16u

/* Each field starts where the one before it ends: a typo breaks the chain at compile time. */
static_assert(ISO9660_VD_STD_ID + ISO9660_VD_STD_ID_LEN == ISO9660_VD_VERSION, "8.1");
static_assert(ISO9660_VD_SYSTEM_ID + ISO9660_VD_SYSTEM_ID_LEN == ISO9660_VD_VOLUME_ID, "8.4.5");
static_assert(ISO9660_VD_VOLUME_ID + ISO9660_VD_VOLUME_ID_LEN == ISO9660_VD_UNUSED_72, "8.4.6");
static_assert(ISO9660_VD_UNUSED_72 + 8 == ISO9660_VD_VOLUME_SIZE, "8.4.7");
static_assert(ISO9660_VD_VOLUME_SIZE + 8 == ISO9660_VD_ESCAPES, "8.4.8");
static_assert(ISO9660_VD_ESCAPES + ISO9660_VD_ESCAPES_LEN == ISO9660_VD_SET_SIZE, "8.5.6");
static_assert(ISO9660_VD_SET_SIZE + 4 == ISO9660_VD_SEQUENCE, "8.4.10");
static_assert(ISO9660_VD_SEQUENCE + 4 == ISO9660_VD_BLOCK_SIZE, "8.4.11");
static_assert(ISO9660_VD_BLOCK_SIZE + 4 == ISO9660_VD_PT_SIZE, "8.4.12");
static_assert(ISO9660_VD_PT_SIZE + 8 == ISO9660_VD_PT_L, "8.4.13");
static_assert(ISO9660_VD_PT_L + 4 == ISO9660_VD_PT_L_OPT, "8.4.14");
static_assert(ISO9660_VD_PT_L_OPT + 4 == ISO9660_VD_PT_M, "8.4.15");
static_assert(ISO9660_VD_PT_M + 4 == ISO9660_VD_PT_M_OPT, "8.4.16");
static_assert(ISO9660_VD_PT_M_OPT + 4 == ISO9660_VD_ROOT, "8.4.17");
static_assert(ISO9660_VD_ROOT + ISO9660_ROOT_REC_SIZE == ISO9660_VD_SET_ID, "8.4.18");
static_assert(ISO9660_VD_SET_ID + ISO9660_VD_SET_ID_LEN == ISO9660_VD_PUBLISHER, "8.4.19");
static_assert(ISO9660_VD_PUBLISHER + ISO9660_VD_PUBLISHER_LEN == ISO9660_VD_PREPARER, "8.4.20");
static_assert(ISO9660_VD_PREPARER + ISO9660_VD_PREPARER_LEN == ISO9660_VD_APPLICATION, "8.4.21");
static_assert(ISO9660_VD_APPLICATION + ISO9660_VD_APPLICATION_LEN == ISO9660_VD_COPYRIGHT,
	      "8.4.22");
static_assert(ISO9660_VD_COPYRIGHT + ISO9660_VD_COPYRIGHT_LEN == ISO9660_VD_ABSTRACT, "8.4.23");
static_assert(ISO9660_VD_ABSTRACT + ISO9660_VD_ABSTRACT_LEN == ISO9660_VD_BIBLIOGRAPHIC, "8.4.24");
static_assert(ISO9660_VD_BIBLIOGRAPHIC + ISO9660_VD_BIBLIOGRAPHIC_LEN == ISO9660_VD_CREATED,
	      "8.4.25");
static_assert(ISO9660_VD_CREATED + ISO9660_DATE17_LEN == ISO9660_VD_MODIFIED, "8.4.26");
static_assert(ISO9660_VD_MODIFIED + ISO9660_DATE17_LEN == ISO9660_VD_EXPIRES, "8.4.27");
static_assert(ISO9660_VD_EXPIRES + ISO9660_DATE17_LEN == ISO9660_VD_EFFECTIVE, "8.4.28");
static_assert(ISO9660_VD_EFFECTIVE + ISO9660_DATE17_LEN == ISO9660_VD_FS_VERSION, "8.4.29");
static_assert(ISO9660_VD_FS_VERSION + 1 == ISO9660_VD_RESERVED_882, "8.4.30");
static_assert(ISO9660_VD_RESERVED_882 + 1 == ISO9660_VD_APP_USE, "8.4.31");
static_assert(ISO9660_VD_APP_USE + ISO9660_VD_APP_USE_LEN == ISO9660_VD_RESERVED_1395, "8.4.32");
static_assert(ISO9660_VD_RESERVED_1395 + ISO9660_VD_RESERVED_1395_LEN == ISO9660_VD_SIZE,
	      "8.4.33: a volume descriptor is one 2048-byte sector");
static_assert(ISO9660_VD_SIZE == ISO9660_BLOCK_SIZE, "8.1");

static_assert(ISO9660_DR_EXTENT + 8 == ISO9660_DR_SIZE, "9.1.3");
static_assert(ISO9660_DR_SIZE + 8 == ISO9660_DR_DATE, "9.1.4");
static_assert(ISO9660_DR_DATE + ISO9660_DATE7_LEN == ISO9660_DR_FLAGS, "9.1.5");
static_assert(ISO9660_DR_FLAGS + 1 == ISO9660_DR_UNIT_SIZE && ISO9660_DR_GAP == 27, "9.1.6");
static_assert(ISO9660_DR_VOLUME_SEQ + 4 == ISO9660_DR_NAME_LEN, "9.1.9");
static_assert(ISO9660_DR_NAME_LEN + 1 == ISO9660_DR_NAME && ISO9660_DR_NAME == ISO9660_DR_FIXED,
	      "9.1.10");
static_assert(ISO9660_ROOT_REC_SIZE == ISO9660_DR_FIXED + 1, "8.4.18: 34 bytes");
static_assert(ISO9660_PT_EXTENT + 4 == ISO9660_PT_PARENT &&
		      ISO9660_PT_PARENT + 2 == ISO9660_PT_NAME,
	      "9.4");
static_assert(SUSP_CE_SIZE == SUSP_CE_AREA + 8 && SUSP_CE_AREA == SUSP_CE_OFFSET + 8, "SUSP 5.1");
static_assert(RRIP_PX_SIZE == RRIP_PX_INO + 8 && RRIP_PX_SIZE_1_10 == RRIP_PX_GID + 8,
	      "RRIP 4.1.1");
static_assert(RRIP_PN_SIZE == RRIP_PN_LOW + 8, "RRIP 4.1.2");
static_assert(SUSP_HDR_SIZE == SUSP_VERSION + 1 && SUSP_SP_SIZE == SUSP_SP_LEN_SKP + 1, "SUSP 4.1");
static_assert(ISO9660_PT_FIXED == ISO9660_PT_NAME && RRIP_LINK_SIZE == RRIP_LINK_EXTENT + 8,
	      "9.4, RRIP 4.1.5");
static_assert(RRIP_SL_HDR_SIZE == RRIP_SL_COMPONENTS && RRIP_SLC_HDR_SIZE == RRIP_SLC_CONTENT &&
		      RRIP_NM_HDR_SIZE == RRIP_NM_NAME && RRIP_TF_HDR_SIZE == RRIP_TF_DATES,
	      "RRIP 4.1.3, 4.1.4, 4.1.6: the variable part follows the flags");
static_assert(RRIP_ZF_SIZE == RRIP_ZF_REAL_SIZE + 8, "zisofs ZF");

/* 7.2.3: a 16-bit number both-byte order, LE then BE */
static inline void iso9660_put_723(uint8_t *p, uint16_t v)
{
	bfs_put_le16(p, v);
	bfs_put_be16(p + 2, v);
}

/* 7.3.3: a 32-bit number both-byte order, LE then BE */
static inline void iso9660_put_733(uint8_t *p, uint32_t v)
{
	bfs_put_le32(p, v);
	bfs_put_be32(p + 4, v);
}

#endif
