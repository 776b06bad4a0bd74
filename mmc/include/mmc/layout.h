/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SCSI-MMC wire layouts, declared once for the initiator (mmc/src), the virtual drive
 * (mmc/vdrive), the LD_PRELOAD shim and the test tools: operation codes, the CDB fields
 * burnfs sends or the drive reads, and the byte offsets of the reply and parameter data,
 * each with its clause of MMC-6 (T10/1836-D rev 2g) or SPC-4 (T10/1731-D); a field is named
 * as the spec's table names it. The command clauses mmc/ cited before are kept as they were;
 * those of the commands it did not cite follow the alphabetical order of MMC-6 clause 6 and
 * were not checked against the text of the standard (no copy of it is in the tree): the
 * command's name, next to each, is what identifies it. tests/mmc/test_layout.c holds the
 * spec's byte numbers a second time, typed from its tables, and compares.
 *
 * Offsets are from the start of the structure; multi-byte fields are big-endian and go
 * through bfs_get_be16/be24/be32 and bfs_put_* (STYLE.md rule 22), never a cast. The size
 * asserts tie each structure's last field to its size, so that a field moved by a typo
 * (or a size changed without its fields) fails the build.
 */
#ifndef BFS_MMC_LAYOUT_H
#define BFS_MMC_LAYOUT_H

#include <assert.h>

/* ---- operation codes (MMC-6 clause 6; SPC-4 and SBC-3 for the shared ones) ------------- */

enum mmc_op {
	MMC_OP_TEST_UNIT_READY = 0x00,	      /* SPC-4 6.33; MMC-6 6.42 */
	MMC_OP_REQUEST_SENSE = 0x03,	      /* SPC-4 6.27; MMC-6 6.30 */
	MMC_OP_FORMAT_UNIT = 0x04,	      /* MMC-6 6.5 */
	MMC_OP_INQUIRY = 0x12,		      /* SPC-4 6.4; MMC-6 6.9 */
	MMC_OP_START_STOP_UNIT = 0x1B,	      /* MMC-6 6.40 */
	MMC_OP_PREVENT_ALLOW = 0x1E,	      /* PREVENT ALLOW MEDIUM REMOVAL, MMC-6 6.14 */
	MMC_OP_READ_FORMAT_CAPACITIES = 0x23, /* MMC-6 6.24 */
	MMC_OP_READ_CAPACITY = 0x25,	      /* MMC-6 6.20 */
	MMC_OP_READ10 = 0x28,		      /* MMC-6 6.15 */
	MMC_OP_WRITE10 = 0x2A,		      /* MMC-6 6.45 */
	MMC_OP_WRITE_VERIFY10 = 0x2E,	      /* WRITE AND VERIFY (10), MMC-6 6.47 */
	MMC_OP_VERIFY10 = 0x2F,		      /* MMC-6 6.44 */
	MMC_OP_SYNC_CACHE = 0x35,	      /* SYNCHRONIZE CACHE (10), MMC-6 6.41 */
	MMC_OP_READ_SUBCHANNEL = 0x42,	      /* READ SUB-CHANNEL (MMC-3; clause not checked) */
	MMC_OP_READ_TOC = 0x43,		      /* READ TOC/PMA/ATIP, MMC-6 6.26 */
	MMC_OP_GET_CONFIGURATION = 0x46,      /* MMC-6 6.6 */
	MMC_OP_GESN = 0x4A,		      /* GET EVENT STATUS NOTIFICATION, MMC-6 6.7 */
	MMC_OP_READ_DISC_INFO = 0x51,	      /* READ DISC INFORMATION, MMC-6 6.22 */
	MMC_OP_READ_TRACK_INFO = 0x52,	      /* READ TRACK INFORMATION, MMC-6 6.27 */
	MMC_OP_RESERVE_TRACK = 0x53,	      /* MMC-6 6.31 */
	MMC_OP_SEND_OPC = 0x54,		      /* SEND OPC INFORMATION, MMC-6 6.36 */
	MMC_OP_MODE_SELECT10 = 0x55,	      /* SPC-4 6.10; MMC-6 6.12 */
	MMC_OP_MODE_SENSE10 = 0x5A,	      /* SPC-4 6.12; MMC-6 6.13 */
	MMC_OP_CLOSE_TRACK_SESSION = 0x5B,    /* MMC-6 6.3 */
	MMC_OP_READ_BUFFER_CAPACITY = 0x5C,   /* MMC-6 6.21 */
	MMC_OP_SEND_CUE_SHEET = 0x5D,	      /* MMC-6 6.33 */
	MMC_OP_BLANK = 0xA1,		      /* MMC-6 6.2 */
	MMC_OP_READ12 = 0xA8,		      /* MMC-6 6.16 */
	MMC_OP_WRITE12 = 0xAA,		      /* MMC-6 6.46 */
	MMC_OP_GET_PERFORMANCE = 0xAC,	      /* MMC-6 6.8 */
	MMC_OP_READ_DISC_STRUCTURE = 0xAD,    /* MMC-6 6.23 */
	MMC_OP_SET_STREAMING = 0xB6,	      /* MMC-6 6.39 */
	MMC_OP_SET_CD_SPEED = 0xBB,	      /* MMC-6 6.37 */
	MMC_OP_MECHANISM_STATUS = 0xBD,	      /* MMC-6 6.11 */
	MMC_OP_READ_CD = 0xBE,		      /* MMC-6 6.19 */
};

/* Profiles: GET CONFIGURATION's Current Profile and Profile List (MMC-6 5.3.1, the profile
 * table) */
enum mmc_profile {
	MMC_PROFILE_NONE = 0x0000,	    /* no medium */
	MMC_PROFILE_CD_ROM = 0x0008,	    /* CD-ROM (a pressed or finalized CD) */
	MMC_PROFILE_CD_R = 0x0009,	    /* CD-R */
	MMC_PROFILE_CD_RW = 0x000A,	    /* CD-RW */
	MMC_PROFILE_DVD_ROM = 0x0010,	    /* DVD-ROM */
	MMC_PROFILE_DVD_R = 0x0011,	    /* DVD-R sequential recording */
	MMC_PROFILE_DVD_RAM = 0x0012,	    /* DVD-RAM */
	MMC_PROFILE_DVD_RW_RO = 0x0013,	    /* DVD-RW restricted overwrite */
	MMC_PROFILE_DVD_RW = 0x0014,	    /* DVD-RW sequential recording */
	MMC_PROFILE_DVD_R_DL = 0x0015,	    /* DVD-R dual layer sequential recording */
	MMC_PROFILE_DVD_PLUS_RW = 0x001A,   /* DVD+RW */
	MMC_PROFILE_DVD_PLUS_R = 0x001B,    /* DVD+R */
	MMC_PROFILE_DVD_PLUS_R_DL = 0x002B, /* DVD+R dual layer */
	MMC_PROFILE_BD_ROM = 0x0040,	    /* BD-ROM: the first BD profile */
	MMC_PROFILE_BD_R = 0x0041,	    /* BD-R sequential recording (SRM) */
	MMC_PROFILE_BD_RE = 0x0043,	    /* BD-RE */
};

/* ---- CDB fields (the clause of each command above; byte 0 is always the opcode) -------- */

#define MMC_CDB6_SIZE  6
#define MMC_CDB10_SIZE 10
#define MMC_CDB12_SIZE 12

/* the common places of the 10- and 12-byte CDBs (READ(10), WRITE(10), VERIFY(10), ...) */
#define MMC_CDB_OPCODE	      0
#define MMC_CDB_FLAGS	      1	   /* READ, WRITE, VERIFY: DPO, FUA, BYTCHK */
#define MMC_CDB_LBA	      2	   /* u32: LOGICAL BLOCK ADDRESS */
#define MMC_CDB10_LENGTH      7	   /* u16: transfer, allocation or parameter list length */
#define MMC_CDB12_LENGTH      6	   /* u32: READ(12), WRITE(12) transfer length */
#define MMC_CDB_READ_FUA      0x08 /* byte 1 of READ(10/12): Force Unit Access */
#define MMC_CDB_VERIFY_BYTCHK 0x02 /* byte 1 of VERIFY(10): compare with the data sent */

/* INQUIRY (SPC-4 6.4.1) */
#define MMC_INQUIRY_CDB_ALLOC 3 /* u16 */
/* REQUEST SENSE (SPC-4 6.27) */
#define MMC_REQUEST_SENSE_CDB_ALLOC 4 /* u8 */
/* START STOP UNIT (MMC-6 6.40): byte 4 LoEj (bit 1) and Start (bit 0) */
#define MMC_START_STOP_CDB_FLAGS 4
#define MMC_START_STOP_LOEJ	 0x02
#define MMC_START_STOP_START	 0x01
/* PREVENT ALLOW MEDIUM REMOVAL (MMC-6 6.14): byte 4 bit 0 Prevent */
#define MMC_PREVENT_CDB_FLAGS 4
#define MMC_PREVENT_PREVENT   0x01
/* SYNCHRONIZE CACHE (MMC-6 6.41): byte 1 Immed */
#define MMC_SYNC_CACHE_CDB_FLAGS 1
#define MMC_SYNC_CACHE_IMMED	 0x02
/* FORMAT UNIT (MMC-6 6.5): byte 1 FmtData (bit 4), CmpList (bit 3), Format Code (2-0) */
#define MMC_FORMAT_CDB_FLAGS   1
#define MMC_FORMAT_FMTDATA     0x10
#define MMC_FORMAT_FORMAT_CODE 0x01 /* 001b, the only one MMC defines */
/* BLANK (MMC-6 6.2): byte 1 Immed (bit 4), Blanking Type (2-0) */
#define MMC_BLANK_CDB_FLAGS 1
#define MMC_BLANK_IMMED	    0x10
#define MMC_BLANK_TYPE_MASK 0x07
#define MMC_BLANK_FULL	    0x00 /* blank the disc */
#define MMC_BLANK_MINIMAL   0x01 /* minimally blank the disc (TOC, PMA) */
/* CLOSE TRACK/SESSION (MMC-6 6.3.2): Immed in byte 1, Close Function in byte 2, track */
#define MMC_CLOSE_CDB_FLAGS	1
#define MMC_CLOSE_IMMED		0x01
#define MMC_CLOSE_CDB_FUNCTION	2 /* bits 2-0 */
#define MMC_CLOSE_FUNCTION_MASK 0x07
#define MMC_CLOSE_CDB_TRACK	4 /* u16: track number */
#define MMC_CLOSE_TRACK		1 /* 001b: close the track (fragment, RZone) */
#define MMC_CLOSE_SESSION	2 /* 010b: close the session (border) */
#define MMC_CLOSE_FINALIZE_MIN	5 /* 101b: DVD+R, finalize with minimal radius */
#define MMC_CLOSE_FINALIZE	6 /* 110b: DVD+R, BD-R: close the session and finalize */
/* GET CONFIGURATION (MMC-6 6.6.2): RT in byte 1 (bits 1-0), Starting Feature Number */
#define MMC_GETCONF_CDB_FLAGS  1
#define MMC_GETCONF_CDB_RT     0x03 /* mask of byte 1 */
#define MMC_GETCONF_CDB_START  2    /* u16 */
#define MMC_GETCONF_RT_ALL     0x00 /* every feature */
#define MMC_GETCONF_RT_CURRENT 0x01 /* the current features */
#define MMC_GETCONF_RT_ONE     0x02 /* the starting feature only */
/* GET EVENT STATUS NOTIFICATION (MMC-6 6.7.2): Polled in byte 1, class request in 4 */
#define MMC_GESN_CDB_POLLED  1	  /* bit 0 */
#define MMC_GESN_CDB_CLASSES 4	  /* Notification Class Request: bit N asks class N */
#define MMC_GESN_REQ_MEDIA   0x10 /* class 4: media */
/* READ DISC INFORMATION (MMC-6 6.22.2): Data Type in byte 1 (bits 2-0), 000b standard */
#define MMC_DI_CDB_DATA_TYPE 1
/* READ TRACK INFORMATION (MMC-6 6.27.2): Address/Number Type in byte 1 (bits 1-0) */
#define MMC_TI_CDB_TYPE	       1
#define MMC_TI_CDB_TYPE_LBA    0x00
#define MMC_TI_CDB_TYPE_TRACK  0x01
#define MMC_TI_CDB_ADDRESS     2    /* u32: LBA or track number */
#define MMC_TI_INVISIBLE_TRACK 0xFF /* the invisible (incomplete, next) track */
/* READ TOC/PMA/ATIP (MMC-6 6.26.2): MSF in byte 1 (bit 1), Format in byte 2 (bits 3-0) */
#define MMC_TOC_CDB_MSF	       1
#define MMC_TOC_MSF	       0x02
#define MMC_TOC_CDB_FORMAT     2
#define MMC_TOC_CDB_TRACK      6    /* Track/Session Number: format 0 starts there */
#define MMC_TOC_FORMAT_TOC     0x00 /* formatted TOC */
#define MMC_TOC_FORMAT_SESSION 0x01 /* multi-session information */
#define MMC_TOC_FORMAT_FULL    0x02 /* Full TOC (raw, CD) */
#define MMC_TOC_FORMAT_ATIP    0x04 /* ATIP (CD-R/RW) */
#define MMC_TOC_FORMAT_CDTEXT  0x05 /* CD-Text of the lead-in */
/* MODE SENSE(10) (SPC-4 6.12): PC (bits 7-6) and Page Code (5-0) in byte 2 */
#define MMC_MODE_SENSE_CDB_PAGE 2
/* MODE SELECT(10) (SPC-4 6.10): PF in byte 1 */
#define MMC_MODE_SELECT_CDB_FLAGS 1
#define MMC_MODE_SELECT_PF	  0x10
/* READ BUFFER CAPACITY (MMC-6 6.21.2): Block in byte 1 (bit 0) */
#define MMC_RBC_CDB_BLOCK 1
/* GET PERFORMANCE (MMC-6 6.8.2): Data Type byte 1, Maximum Number of Descriptors, Type */
#define MMC_PERF_CDB_DATA_TYPE	  1 /* Write (bit 2), Except (bits 1-0) for type 00h */
#define MMC_PERF_CDB_MAX	  8 /* u16 */
#define MMC_PERF_CDB_TYPE	  10
#define MMC_PERF_TYPE_PERFORMANCE 0x00 /* performance data */
#define MMC_PERF_TYPE_WRITE_SPEED 0x03 /* write speed descriptors */
/* SET STREAMING (MMC-6 6.39.2): Type in byte 8, Parameter List Length */
#define MMC_STREAM_CDB_TYPE   8
#define MMC_STREAM_CDB_LENGTH 9 /* u16 */
/* SET CD SPEED (MMC-6 6.37.2): kB/s, FFFFh the fastest */
#define MMC_CD_SPEED_CDB_READ  2 /* u16 */
#define MMC_CD_SPEED_CDB_WRITE 4 /* u16 */
/* MECHANISM STATUS (MMC-6 6.11.2) and READ DISC STRUCTURE (MMC-6 6.23.2): allocation */
#define MMC_MECH_CDB_ALLOC 8 /* u16 */
#define MMC_RDS_CDB_MEDIA  1 /* Media Type, bits 3-0: 0h DVD, 1h BD */
#define MMC_RDS_CDB_FORMAT 7
#define MMC_RDS_CDB_ALLOC  8 /* u16 */
/* READ CD (MMC-6 6.19.2) */
#define MMC_READ_CD_CDB_TYPE	1 /* Expected Sector Type, bits 4-2 */
#define MMC_READ_CD_TYPE_SHIFT	2
#define MMC_READ_CD_TYPE_ANY	0x00 /* any type */
#define MMC_READ_CD_TYPE_CDDA	0x01 /* CD-DA only */
#define MMC_READ_CD_TYPE_MODE1	0x02 /* mode 1 only */
#define MMC_READ_CD_CDB_LENGTH	6    /* u24: Transfer Length in blocks */
#define MMC_READ_CD_CDB_MAIN	9    /* Sync, Header Codes, User Data, EDC/ECC, C2 */
#define MMC_READ_CD_SYNC	0x80
#define MMC_READ_CD_HEADERS	0x60 /* Header Codes: 01b header, 10b subheader, 11b all */
#define MMC_READ_CD_USER_DATA	0x10
#define MMC_READ_CD_EDC_ECC	0x08
#define MMC_READ_CD_C2_MASK	0x06 /* C2 Error Information: 01b 294 bytes, 10b 296 */
#define MMC_READ_CD_CDB_SUBCHAN 10   /* Sub-channel Data Selection, bits 2-0 */
#define MMC_READ_CD_SUB_RAW	0x01 /* raw P-W, 96 bytes */
#define MMC_READ_CD_SUB_Q	0x02 /* formatted Q, 16 bytes */
#define MMC_READ_CD_SUB_RW	0x04 /* corrected, de-interleaved R-W, 96 bytes */
#define MMC_READ_CD_C2_SIZE	294u
#define MMC_READ_CD_RAW_SUB	96u
#define MMC_READ_CD_Q_SUB	16u
/* READ SUB-CHANNEL (MMC-3): MSF (byte 1 bit 1), SubQ (byte 2 bit 6), format, track */
#define MMC_SUBCH_CDB_MSF    1
#define MMC_SUBCH_MSF	     0x02
#define MMC_SUBCH_CDB_SUBQ   2
#define MMC_SUBCH_SUBQ	     0x40
#define MMC_SUBCH_CDB_FORMAT 3
#define MMC_SUBCH_POSITION   0x01 /* CD current position */
#define MMC_SUBCH_MCN	     0x02 /* media catalogue number */
#define MMC_SUBCH_ISRC	     0x03 /* track international standard recording code */
#define MMC_SUBCH_CDB_TRACK  6
/* RESERVE TRACK (MMC-6 6.31.2): ARSV in byte 1 (bit 0), Reservation Size */
#define MMC_RESERVE_CDB_ARSV 1
#define MMC_RESERVE_CDB_SIZE 5 /* u32: blocks */
/* SEND CUE SHEET (MMC-6 6.33.2) */
#define MMC_CUE_CDB_LENGTH 6 /* u24: Cue Sheet Size in bytes */

/* ---- status (SAM-4 5.3.1) ---------------------------------------------------------------- */

#define MMC_STATUS_GOOD		   0x00
#define MMC_STATUS_CHECK_CONDITION 0x02 /* sense data describes why */
#define MMC_STATUS_BUSY		   0x08

/* ---- sense data (SPC-4 4.5) --------------------------------------------------------------- */

/* Fixed format, response codes 70h (current) and 71h (deferred), SPC-4 4.5.3 */
#define MMC_SENSE_RESPONSE	0 /* VALID (bit 7), RESPONSE CODE (6-0) */
#define MMC_SENSE_VALID		0x80
#define MMC_SENSE_CODE_MASK	0x7F
#define MMC_SENSE_CURRENT	0x70
#define MMC_SENSE_DEFERRED	0x71
#define MMC_SENSE_KEY		2 /* FILEMARK, EOM, ILI (bits 7-5), SENSE KEY (3-0) */
#define MMC_SENSE_KEY_MASK	0x0F
#define MMC_SENSE_INFO		3  /* u32: INFORMATION */
#define MMC_SENSE_ADD_LEN	7  /* ADDITIONAL SENSE LENGTH: the bytes after this one */
#define MMC_SENSE_CMD_INFO	8  /* u32: COMMAND-SPECIFIC INFORMATION */
#define MMC_SENSE_ASC		12 /* ADDITIONAL SENSE CODE */
#define MMC_SENSE_ASCQ		13 /* ADDITIONAL SENSE CODE QUALIFIER */
#define MMC_SENSE_FRU		14 /* FIELD REPLACEABLE UNIT CODE */
#define MMC_SENSE_SKS		15 /* SKSV (bit 7), SENSE KEY SPECIFIC (bytes 15-17) */
#define MMC_SENSE_SKSV		0x80
#define MMC_SENSE_PROGRESS	16 /* u16: PROGRESS INDICATION (SPC-4 4.5.2.4.5), of 65536 */
#define MMC_SENSE_FIELD_PTR	16 /* u16: FIELD POINTER (SPC-4 4.5.2.4.2), ILLEGAL REQUEST */
#define MMC_SENSE_FIXED_SIZE	18
#define MMC_SENSE_FIXED_ADD_LEN (MMC_SENSE_FIXED_SIZE - MMC_SENSE_ADD_LEN - 1)
static_assert(MMC_SENSE_PROGRESS + 2 == MMC_SENSE_FIXED_SIZE, "fixed sense is 18 bytes");
static_assert(MMC_SENSE_FIXED_ADD_LEN == 10, "fixed sense's additional length is 10");

/* Descriptor format, response codes 72h and 73h, SPC-4 4.5.2 */
#define MMC_DSENSE_CURRENT  0x72
#define MMC_DSENSE_DEFERRED 0x73
#define MMC_DSENSE_KEY	    1 /* SENSE KEY, bits 3-0 */
#define MMC_DSENSE_ASC	    2
#define MMC_DSENSE_ASCQ	    3
#define MMC_DSENSE_ADD_LEN  7
#define MMC_DSENSE_DESCS    8 /* the sense data descriptors: TYPE, ADDITIONAL LENGTH, ... */
/* descriptor types (SPC-4 4.5.2.2-4.5.2.7) and the places of their fields */
#define MMC_DSENSE_TYPE_INFO	 0x00 /* INFORMATION: VALID at +2, u64 at +4 */
#define MMC_DSENSE_TYPE_CMD_INFO 0x01 /* COMMAND-SPECIFIC INFORMATION: u64 at +4 */
#define MMC_DSENSE_TYPE_SKS	 0x02 /* SENSE KEY SPECIFIC: 3 bytes at +4 */
#define MMC_DSENSE_TYPE_FRU	 0x03 /* FIELD REPLACEABLE UNIT CODE at +3 */
#define MMC_DSENSE_TYPE_STREAM	 0x05 /* stream commands: FILEMARK, EOM, ILI at +3 */
#define MMC_DSENSE_TYPE_BLOCK	 0x06 /* block commands: ILI at +3 */
/* the places in a descriptor */
#define MMC_DSENSE_D_TYPE     0
#define MMC_DSENSE_D_LEN      1 /* ADDITIONAL LENGTH: the bytes after it */
#define MMC_DSENSE_D_VALID    2 /* information: VALID (bit 7) */
#define MMC_DSENSE_D_BYTE3    3 /* FRU code; stream and block: FILEMARK, EOM, ILI */
#define MMC_DSENSE_D_FIELD    4 /* information, command-specific: u64; sense key specific: 3 */
#define MMC_DSENSE_D_U64_SIZE (MMC_DSENSE_D_FIELD + 8)
#define MMC_DSENSE_D_SKS_SIZE (MMC_DSENSE_D_FIELD + 3)

/* ---- INQUIRY data (SPC-4 6.4.2) ----------------------------------------------------------- */

#define MMC_INQ_PERIPHERAL 0 /* PERIPHERAL QUALIFIER (bits 7-5), DEVICE TYPE (4-0) */
#define MMC_INQ_PDT_MASK   0x1F
#define MMC_INQ_PDT_MMC	   0x05 /* CD/DVD device */
#define MMC_INQ_RMB	   1	/* RMB (bit 7): removable medium */
#define MMC_INQ_VERSION	   2
#define MMC_INQ_FORMAT	   3 /* RESPONSE DATA FORMAT (bits 3-0) */
#define MMC_INQ_ADD_LEN	   4
#define MMC_INQ_VENDOR	   8  /* T10 VENDOR IDENTIFICATION, 8 ASCII */
#define MMC_INQ_PRODUCT	   16 /* PRODUCT IDENTIFICATION, 16 ASCII */
#define MMC_INQ_REVISION   32 /* PRODUCT REVISION LEVEL, 4 ASCII */
#define MMC_INQ_SIZE	   36 /* the standard data up to the revision */
static_assert(MMC_INQ_REVISION + 4 == MMC_INQ_SIZE, "standard INQUIRY data is 36 bytes");

/* ---- READ CAPACITY data (MMC-6 6.20.3) ---------------------------------------------------- */

#define MMC_CAP_LAST_LBA     0 /* u32: Logical Block Address (the last readable) */
#define MMC_CAP_BLOCK_LENGTH 4 /* u32: Block Length in Bytes */
#define MMC_CAP_SIZE	     8
static_assert(MMC_CAP_BLOCK_LENGTH + 4 == MMC_CAP_SIZE, "READ CAPACITY data is 8 bytes");

/* ---- Disc Information Block, standard (data type 000b), MMC-6 6.22.3.1 -------------------- */

#define MMC_DI_LENGTH		  0 /* u16: Disc Information Length (the bytes after it) */
#define MMC_DI_STATUS		  2 /* Erasable (bit 4), State of Last Session (3-2), Disc Status (1-0) */
#define MMC_DI_ERASABLE		  0x10
#define MMC_DI_LAST_SESSION_SHIFT 2    /* 00b empty, 01b incomplete, 11b complete */
#define MMC_DI_DISC_STATUS_MASK	  0x03 /* 00b blank, 01b incomplete, 10b complete, 11b others */
#define MMC_DI_FIRST_TRACK	  3    /* Number of First Track on Disc */
#define MMC_DI_SESSIONS_LSB	  4    /* Number of Sessions (LSB) */
#define MMC_DI_FIRST_TRACK_LS_LSB 5    /* First Track Number in Last Session (LSB) */
#define MMC_DI_LAST_TRACK_LS_LSB  6    /* Last Track Number in Last Session (LSB) */
#define MMC_DI_FLAGS		  7 /* DID_V, DBC_V, URU (bit 5), DAC_V, BG Format Status (1-0) */
#define MMC_DI_URU		  0x20
#define MMC_DI_BG_FORMAT_MASK	  0x03 /* 11b: background format completed */
#define MMC_DI_DISC_TYPE	  8
#define MMC_DI_SESSIONS_MSB	  9
#define MMC_DI_FIRST_TRACK_LS_MSB 10
#define MMC_DI_LAST_TRACK_LS_MSB  11
#define MMC_DI_DISC_ID		  12 /* u32 */
#define MMC_DI_LAST_LEADIN	  16 /* u32: Last Session Lead-in Start Address */
#define MMC_DI_LAST_LEADOUT	  20 /* u32: Last Possible Lead-out Start Address */
#define MMC_DI_BAR_CODE		  24 /* 8 bytes */
#define MMC_DI_APP_CODE		  32 /* Disc Application Code */
#define MMC_DI_OPC_TABLES	  33 /* Number of OPC Tables (the tables follow) */
#define MMC_DI_SIZE		  34
static_assert(MMC_DI_OPC_TABLES + 1 == MMC_DI_SIZE, "disc information is 34 bytes");
static_assert(MMC_DI_BAR_CODE + 8 == MMC_DI_APP_CODE, "the disc bar code is 8 bytes");

/* ---- Track Information Block, MMC-6 6.27.3 ------------------------------------------------ */

#define MMC_TI_LENGTH	   0	/* u16: Data Length (the bytes after it) */
#define MMC_TI_TRACK_LSB   2	/* Logical Track Number (LSB) */
#define MMC_TI_SESSION_LSB 3	/* Session Number (LSB) */
#define MMC_TI_TRACK_MODE  5	/* LJRS, Damage (bit 5), Copy (bit 4), Track Mode (3-0) */
#define MMC_TI_MODE_DATA   0x04 /* track mode 4: data, recorded uninterrupted */
#define MMC_TI_DATA_MODE   6	/* RT (bit 7), Blank (6), Packet/Inc (5), FP (4), Data Mode */
#define MMC_TI_RT	   0x80
#define MMC_TI_BLANK	   0x40
#define MMC_TI_PACKET	   0x20
#define MMC_TI_DATA_MODE_1 0x01
#define MMC_TI_VALID	   7 /* LRA_V (bit 1), NWA_V (bit 0) */
#define MMC_TI_NWA_V	   0x01
#define MMC_TI_START	   8  /* u32: Logical Track Start Address */
#define MMC_TI_NWA	   12 /* u32: Next Writable Address */
#define MMC_TI_FREE	   16 /* u32: Free Blocks */
#define MMC_TI_PACKET_SIZE 20 /* u32: Fixed Packet Size / Blocking Factor */
#define MMC_TI_SIZE_FIELD  24 /* u32: Logical Track Size */
#define MMC_TI_LRA	   28 /* u32: Last Recorded Address */
#define MMC_TI_TRACK_MSB   32 /* Logical Track Number (MSB) */
#define MMC_TI_SESSION_MSB 33 /* Session Number (MSB) */
#define MMC_TI_READ_COMPAT 36 /* u32: Read Compatibility LBA */
#define MMC_TI_NEXT_JUMP   40 /* u32: Next Layer Jump Address */
#define MMC_TI_LAST_JUMP   44 /* u32: Last Layer Jump Address */
#define MMC_TI_SIZE	   48
/* the fields up to Logical Track Size are mandatory (Data Length at least 26) */
#define MMC_TI_MANDATORY (MMC_TI_SIZE_FIELD + 4)
static_assert(MMC_TI_LAST_JUMP + 4 == MMC_TI_SIZE, "track information is 48 bytes");
static_assert(MMC_TI_MANDATORY == 28, "track information's mandatory part is 28 bytes");

/* ---- READ TOC/PMA/ATIP response, MMC-6 6.26.3 --------------------------------------------- */

#define MMC_TOC_LENGTH	    0 /* u16: TOC Data Length (the bytes after it) */
#define MMC_TOC_FIRST	    2 /* First Track Number / First Complete Session Number */
#define MMC_TOC_LAST	    3 /* Last Track Number / Last Complete Session Number */
#define MMC_TOC_HEADER_SIZE 4
/* formats 0 and 1: 8-byte track descriptors after the header (6.26.3.2, 6.26.3.3) */
#define MMC_TOC_D_ADR_CTL    1	  /* ADR (bits 7-4), CONTROL (3-0) */
#define MMC_TOC_ADR_CTL_DATA 0x14 /* ADR 1 (Q: position), CONTROL 4 (data, uninterrupted) */
#define MMC_TOC_D_TRACK	     2	  /* Track Number (AAh: the lead-out) */
#define MMC_TOC_D_ADDRESS    4	  /* u32: Track Start Address, LBA or 0/M/S/F */
#define MMC_TOC_D_SIZE	     8
#define MMC_TOC_LEADOUT	     0xAA
static_assert(MMC_TOC_D_ADDRESS + 4 == MMC_TOC_D_SIZE, "a TOC track descriptor is 8 bytes");
/* format 2, Full TOC: 11-byte descriptors (6.26.3.4) */
#define MMC_FTOC_SESSION       0
#define MMC_FTOC_ADR_CTL       1
#define MMC_FTOC_ADR_CTL_B0    0x50 /* ADR 5 (mode-5 Q), CONTROL 0 */
#define MMC_FTOC_TNO	       2
#define MMC_FTOC_POINT	       3 /* track number, or A0h/A1h/A2h/B0h */
#define MMC_FTOC_MSF	       4 /* Min, Sec, Frame (B0h: the next program area) */
#define MMC_FTOC_ZERO	       7 /* Zero (B0h: the number of mode-5 pointers) */
#define MMC_FTOC_PMSF	       8 /* PMIN, PSEC, PFRAME */
#define MMC_FTOC_SIZE	       11
#define MMC_FTOC_POINT_FIRST   0xA0 /* PMIN: the first track of the session */
#define MMC_FTOC_POINT_LAST    0xA1 /* PMIN: the last track */
#define MMC_FTOC_POINT_LEADOUT 0xA2 /* PMSF: the lead-out's start */
#define MMC_FTOC_POINT_NEXT    0xB0 /* the next session's program area */
static_assert(MMC_FTOC_PMSF + 3 == MMC_FTOC_SIZE, "a Full TOC descriptor is 11 bytes");

/* ---- GET CONFIGURATION response, MMC-6 6.6.3 and 5.2 -------------------------------------- */

#define MMC_CONF_LENGTH	     0 /* u32: Data Length (the bytes after it) */
#define MMC_CONF_PROFILE     6 /* u16: Current Profile */
#define MMC_CONF_HEADER_SIZE 8
static_assert(MMC_CONF_PROFILE + 2 == MMC_CONF_HEADER_SIZE, "the feature header is 8 bytes");
/* a feature descriptor's header (MMC-6 5.2.2) */
#define MMC_FEAT_CODE	       0 /* u16: Feature Code */
#define MMC_FEAT_FLAGS	       2 /* Version (bits 5-2), Persistent (bit 1), Current (bit 0) */
#define MMC_FEAT_PERSISTENT    0x02
#define MMC_FEAT_CURRENT       0x01
#define MMC_FEAT_VERSION_SHIFT 2
#define MMC_FEAT_ADD_LEN       3 /* Additional Length: the bytes after the header */
#define MMC_FEAT_HEADER_SIZE   4
/* feature codes (MMC-6 5.3) */
#define MMC_FEATURE_PROFILE_LIST 0x0000
#define MMC_FEATURE_CORE	 0x0001
#define MMC_FEATURE_REMOVABLE	 0x0003
#define MMC_FEATURE_RANDOM_WRITE 0x0020
#define MMC_FEATURE_INCREMENTAL	 0x0021
#define MMC_FEATURE_DVD_PLUS_R	 0x002B
#define MMC_FEATURE_BD_WRITE	 0x0041
/* Profile List (5.3.1): 4-byte profile descriptors after the feature header */
#define MMC_PROFD_NUMBER  0 /* u16: Profile Number */
#define MMC_PROFD_FLAGS	  2 /* CurrentP (bit 0) */
#define MMC_PROFD_CURRENT 0x01
#define MMC_PROFD_SIZE	  4
/* Core (5.3.2): Physical Interface Standard, u32 after the header */
#define MMC_CORE_INTERFACE 4
#define MMC_CORE_ATAPI	   0x00000002
#define MMC_CORE_SIZE	   12
/* Removable Medium (5.3.4): loading mechanism, Eject, Pvnt Jmpr, Lock */
#define MMC_REMOVABLE_FLAGS 4
#define MMC_REMOVABLE_SIZE  8

/* ---- mode parameters (SPC-4 7.5) and page 05h (MMC-6 7.5) -------------------------------- */

/* Mode parameter header(10), SPC-4 7.5.5 */
#define MMC_MODE_DATA_LENGTH 0 /* u16: the bytes after it */
#define MMC_MODE_BD_LENGTH   6 /* u16: Block Descriptor Length */
#define MMC_MODE_HEADER_SIZE 8
static_assert(MMC_MODE_BD_LENGTH + 2 == MMC_MODE_HEADER_SIZE, "mode header(10) is 8 bytes");
/* a page's first two bytes (SPC-4 7.5.7) */
#define MMC_PAGE_CODE	   0 /* PS (bit 7), SPF (6), Page Code (5-0) */
#define MMC_PAGE_CODE_MASK 0x3F
#define MMC_PAGE_LENGTH	   1 /* the bytes after it */
#define MMC_PAGE_ALL	   0x3F

/* Write Parameters page 05h, MMC-6 7.5 */
#define MMC_PAGE_WRITE_PARAMS 0x05
#define MMC_WP_TYPE	      2 /* BUFE (bit 6), LS_V (5), Test Write (4), Write Type (3-0) */
#define MMC_WP_BUFE	      0x40
#define MMC_WP_LS_V	      0x20
#define MMC_WP_TEST_WRITE     0x10
#define MMC_WP_TYPE_MASK      0x0F
#define MMC_WP_TYPE_PACKET    0x00 /* packet/incremental */
#define MMC_WP_TYPE_TAO	      0x01
#define MMC_WP_TYPE_SAO	      0x02
#define MMC_WP_TRACK	      3 /* Multi-session (bits 7-6), FP (5), Copy (4), Track Mode */
#define MMC_WP_MULTI_SHIFT    6 /* 00b: no next session, 11b: next session allowed */
#define MMC_WP_MULTI_NEXT     0x03
#define MMC_WP_FP	      0x20
#define MMC_WP_TRACK_DATA     0x04 /* track mode 4: data, uninterrupted */
#define MMC_WP_TRACK_INCR     0x05 /* track mode 5: data, incremental */
#define MMC_WP_BLOCK_TYPE     4	   /* Data Block Type (bits 3-0) */
#define MMC_WP_BLOCK_RAW      0x00 /* raw, 2352 bytes: CD-DA audio */
#define MMC_WP_BLOCK_MODE1    0x08 /* mode 1, 2048 bytes */
#define MMC_WP_TRACK_MASK     0x0F /* Track Mode: the CONTROL nibble of the track */
#define MMC_WP_VALID	      0x80 /* MCN, ISRC: byte 0 bit 7, MCVAL / TCVAL */
#define MMC_WP_LINK_SIZE      5
#define MMC_WP_SESSION_FORMAT 8
#define MMC_WP_PACKET_SIZE    10 /* u32 */
#define MMC_WP_AUDIO_PAUSE    14 /* u16 */
#define MMC_WP_MCN	      16 /* 16 bytes */
#define MMC_WP_ISRC	      32 /* 16 bytes */
#define MMC_WP_SUBHEADER      48 /* 4 bytes */
#define MMC_WP_SIZE	      52 /* Page Length 32h + 2 */
static_assert(MMC_WP_SUBHEADER + 4 == MMC_WP_SIZE, "page 05h is 52 bytes");
static_assert(MMC_WP_MCN + 16 == MMC_WP_ISRC && MMC_WP_ISRC + 16 == MMC_WP_SUBHEADER,
	      "page 05h's MCN and ISRC are 16 bytes each");

/* MM Capabilities and Mechanical Status page 2Ah (MMC-3 5.5.10, kept by drives) */
#define MMC_PAGE_CAPABILITIES	0x2A
#define MMC_CAP2A_READ		2  /* the media read */
#define MMC_CAP2A_WRITE		3  /* the media written, Test Write */
#define MMC_CAP2A_FLAGS4	4  /* BUF (bit 7), Multi Session (6), ... */
#define MMC_CAP2A_MECH		6  /* Loading Mechanism Type (7-5), Eject, Prevent Jumper, Lock */
#define MMC_CAP2A_MAX_READ	8  /* u16: obsolete Maximum Read Speed, kB/s */
#define MMC_CAP2A_BUFFER	12 /* u16: Buffer Size Supported, KiB */
#define MMC_CAP2A_CUR_READ	14 /* u16: obsolete Current Read Speed */
#define MMC_CAP2A_MAX_WRITE	18 /* u16: obsolete Maximum Write Speed */
#define MMC_CAP2A_CUR_WRITE_OLD 20 /* u16: obsolete Current Write Speed */
#define MMC_CAP2A_CUR_WRITE	28 /* u16: Current Write Speed Selected */
#define MMC_CAP2A_NSPEEDS	30 /* u16: Number of Logical Unit Write Speed Descriptors */
#define MMC_CAP2A_SPEEDS	32 /* 4-byte descriptors: the write speed, u16 at +2 */
#define MMC_CAP2A_SPEED_SIZE	4
#define MMC_CAP2A_SPEED_KBPS	2

/* ---- GET PERFORMANCE response, MMC-6 6.8.3 ------------------------------------------------ */

#define MMC_PERF_LENGTH	     0 /* u32: Performance Data Length (the bytes after it) */
#define MMC_PERF_FLAGS	     4 /* Write (bit 1), Except (bit 0) */
#define MMC_PERF_WRITE	     0x02
#define MMC_PERF_HEADER_SIZE 8
/* type 00h, nominal performance descriptor (6.8.3.2) */
#define MMC_PERF_D_START_LBA  0	 /* u32 */
#define MMC_PERF_D_START_PERF 4	 /* u32: kB/s */
#define MMC_PERF_D_END_LBA    8	 /* u32 */
#define MMC_PERF_D_END_PERF   12 /* u32 */
#define MMC_PERF_D_SIZE	      16
static_assert(MMC_PERF_D_END_PERF + 4 == MMC_PERF_D_SIZE, "a performance descriptor is 16");
/* type 03h, write speed descriptor (6.8.3.5) */
#define MMC_WSD_FLAGS	    0 /* WRC (bits 4-3), RDD (2), Exact (1), MRW (0) */
#define MMC_WSD_EXACT	    0x02
#define MMC_WSD_END_LBA	    4  /* u32 */
#define MMC_WSD_READ_SPEED  8  /* u32: kB/s */
#define MMC_WSD_WRITE_SPEED 12 /* u32: kB/s */
#define MMC_WSD_SIZE	    16
static_assert(MMC_WSD_WRITE_SPEED + 4 == MMC_WSD_SIZE, "a write speed descriptor is 16 bytes");

/* ---- SET STREAMING performance descriptor (type 00h), MMC-6 6.39.3.1 ---------------------- */

#define MMC_STREAM_FLAGS      0 /* WRC (4-3), RDD (2), Exact (1), RA (0) */
#define MMC_STREAM_RDD	      0x04
#define MMC_STREAM_START_LBA  4	 /* u32 */
#define MMC_STREAM_END_LBA    8	 /* u32 */
#define MMC_STREAM_READ_SIZE  12 /* u32: kB */
#define MMC_STREAM_READ_TIME  16 /* u32: ms */
#define MMC_STREAM_WRITE_SIZE 20 /* u32: kB */
#define MMC_STREAM_WRITE_TIME 24 /* u32: ms */
#define MMC_STREAM_SIZE	      28
static_assert(MMC_STREAM_WRITE_TIME + 4 == MMC_STREAM_SIZE, "a streaming descriptor is 28");

/* ---- READ BUFFER CAPACITY response, MMC-6 6.21.3 ------------------------------------------ */

#define MMC_RBC_LENGTH	   0 /* u16: Data Length (the bytes after it) */
#define MMC_RBC_BLOCK	   3 /* Block (bit 0): the available space is in blocks */
#define MMC_RBC_SIZE_FIELD 4 /* u32: Length of the Buffer, bytes */
#define MMC_RBC_FREE	   8 /* u32: Available Length of the Buffer (Block: blocks) */
#define MMC_RBC_SIZE	   12
static_assert(MMC_RBC_FREE + 4 == MMC_RBC_SIZE, "READ BUFFER CAPACITY data is 12 bytes");

/* ---- READ FORMAT CAPACITIES response, MMC-6 6.24.3 ---------------------------------------- */

#define MMC_FC_LIST_LENGTH 3 /* Capacity List Length: the descriptors' bytes */
#define MMC_FC_HEADER_SIZE 4
/* the Current/Maximum Capacity Descriptor (6.24.3.2) and the Formattable Capacity
 * Descriptors after it (6.24.3.3): 8 bytes each */
#define MMC_FC_D_BLOCKS 0 /* u32: Number of Blocks */
#define MMC_FC_D_TYPE \
	4 /* current/max: Descriptor Type (bits 1-0); formattable:
				  * Format Type (bits 7-2) */
#define MMC_FC_D_TYPE_UNFORMATTED 0x01
#define MMC_FC_D_TYPE_FORMATTED	  0x02
#define MMC_FC_D_TYPE_MASK	  0x03
#define MMC_FC_FORMAT_SHIFT	  2
#define MMC_FC_D_PARAM		  5 /* u24: Block Length / Type Dependent Parameter */
#define MMC_FC_D_SIZE		  8
#define MMC_FC_CURRENT		  MMC_FC_HEADER_SIZE /* the current/maximum descriptor */
static_assert(MMC_FC_D_PARAM + 3 == MMC_FC_D_SIZE, "a capacity descriptor is 8 bytes");

/* ---- FORMAT UNIT parameter list, MMC-6 6.5.3 ---------------------------------------------- */

/* Format List Header (6.5.3.2) */
#define MMC_FL_FLAGS	   1 /* FOV (bit 7), DCRT, TRY_OUT, IP, Immed (bit 1), VS (bit 0) */
#define MMC_FL_IMMED	   0x02
#define MMC_FL_DESC_LEN	   2 /* u16: Format Descriptor Length, 8 */
#define MMC_FL_HEADER_SIZE 4
/* the Format Descriptor (6.5.3.3) after it */
#define MMC_FL_BLOCKS	    (MMC_FL_HEADER_SIZE + 0) /* u32: Number of Blocks */
#define MMC_FL_TYPE	    (MMC_FL_HEADER_SIZE + 4) /* Format Type (bits 7-2), Format Subtype (1-0) */
#define MMC_FL_TYPE_SHIFT   2
#define MMC_FL_SUBTYPE_MASK 0x03
#define MMC_FL_PARAM	    (MMC_FL_HEADER_SIZE + 5) /* u24: Type Dependent Parameter */
#define MMC_FL_SIZE	    12
#define MMC_FL_DESC_SIZE    (MMC_FL_SIZE - MMC_FL_HEADER_SIZE)
static_assert(MMC_FL_PARAM + 3 == MMC_FL_SIZE, "the format list is 12 bytes");
/* format types (6.5.4) */
#define MMC_FORMAT_FULL		      0x00 /* full format (DVD-RAM, BD-RE quick) */
#define MMC_FORMAT_DVD_PLUS_RW	      0x26 /* DVD+RW full format */
#define MMC_FORMAT_BD_RE_SPARE	      0x30 /* BD-RE with spare areas */
#define MMC_FORMAT_BD_RE_NOSPARE      0x31 /* BD-RE without spare areas */
#define MMC_FORMAT_SUB_QUICK_REFORMAT 0x00
#define MMC_FORMAT_SUB_FULL_CERT      0x02 /* BD-RE 30h subtype 10b: full certification */

/* ---- GET EVENT STATUS NOTIFICATION response, MMC-6 6.7.3 ---------------------------------- */

#define MMC_GESN_LENGTH	     0 /* u16: Event Descriptor Length (the bytes after it) */
#define MMC_GESN_CLASS	     2 /* NEA (bit 7), Notification Class (2-0) */
#define MMC_GESN_NEA	     0x80
#define MMC_GESN_CLASS_MEDIA 0x04 /* class 4: media */
#define MMC_GESN_SUPPORTED   3	  /* Supported Event Classes: bit N class N (media: 10h) */
#define MMC_GESN_HEADER_SIZE 4
/* media event descriptor (6.7.3.5) */
#define MMC_GESN_EVENT	       4 /* Media Event Code (bits 3-0) */
#define MMC_GESN_MEDIA	       5 /* Media Present (bit 1), Door or Tray Open (bit 0) */
#define MMC_GESN_MEDIA_PRESENT 0x02
#define MMC_GESN_TRAY_OPEN     0x01
#define MMC_GESN_MEDIA_SIZE    8
#define MMC_GESN_EV_NEW_MEDIA  0x02
#define MMC_GESN_EV_REMOVAL    0x03

/* ---- MECHANISM STATUS response header, MMC-6 6.11.3 --------------------------------------- */

#define MMC_MECH_CHANGER   0 /* Fault, Changer State, Current Slot */
#define MMC_MECH_STATE	   1 /* Mechanism State (7-5), Door Open (bit 4) */
#define MMC_MECH_DOOR_OPEN 0x10
#define MMC_MECH_LBA	   2 /* u24: Current LBA (obsolete) */
#define MMC_MECH_SLOTS	   5
#define MMC_MECH_SLOT_LEN  6 /* u16: Length of Slot Tables */
#define MMC_MECH_SIZE	   8
static_assert(MMC_MECH_SLOT_LEN + 2 == MMC_MECH_SIZE, "the mechanism status header is 8");

/* ---- READ DISC STRUCTURE response, MMC-6 6.23.3 ------------------------------------------- */

#define MMC_RDS_LENGTH		0 /* u16: Disc Structure Data Length (the bytes after it) */
#define MMC_RDS_HEADER_SIZE	4
#define MMC_RDS_FORMAT_PHYSICAL 0x00
#define MMC_RDS_FORMAT_LIST	0xFF
/* DVD format 00h, Physical Format Information (6.23.3.2.1), after the header */
#define MMC_RDS_PHYS_BOOK      4  /* Disk Category / Book Type (7-4), Part Version (3-0) */
#define MMC_RDS_PHYS_SIZE_RATE 5  /* Disc Size (7-4), Maximum Rate (3-0) */
#define MMC_RDS_PHYS_LAYERS    6  /* Number of Layers - 1 (6-5), Track Path, Layer Type (3-0) */
#define MMC_RDS_PHYS_START     8  /* u32: Starting Physical Sector Number of Data Area */
#define MMC_RDS_PHYS_END       12 /* u32: End Physical Sector Number of Data Area */
#define MMC_RDS_PHYS_DATA      2048
/* format FFh, Disc Structure List (6.23.3.2.x): 4-byte descriptors after the header */
#define MMC_RDS_LIST_FORMAT 0 /* Format Code */
#define MMC_RDS_LIST_FLAGS  1 /* SDS (bit 7), RDS (bit 6) */
#define MMC_RDS_LIST_RDS    0x40
#define MMC_RDS_LIST_LEN    2 /* u16: Structure Length */
#define MMC_RDS_LIST_SIZE   4

/* ---- SEND CUE SHEET entries, MMC-6 6.33.3 ------------------------------------------------- */

#define MMC_CUE_CTL_ADR		0    /* CTL/ADR */
#define MMC_CUE_CTL_DATA	0x41 /* CTL 4 (data), ADR 1 */
#define MMC_CUE_TNO		1
#define MMC_CUE_TNO_LEADIN	0x00
#define MMC_CUE_TNO_LEADOUT	0xAA
#define MMC_CUE_INDEX		2
#define MMC_CUE_DATA_FORM	3
#define MMC_CUE_FORM_MODE1	0x10 /* CD-ROM mode 1, 2048 bytes from the host */
#define MMC_CUE_FORM_AUDIO	0x00 /* CD-DA, 2352 bytes from the host */
#define MMC_CUE_FORM_SILENT	0x01 /* CD-DA generated by the drive: lead-in, lead-out, pause */
#define MMC_CUE_FORM_CDTEXT	0x41 /* lead-in with CD-Text from the host (R-W packed) */
#define MMC_CUE_FORM_MODE1_ZERO 0x14 /* CD-ROM mode 1 zeros generated by the drive (lead-in) */
#define MMC_CUE_FORM_RW		0x40 /* bits 7-6: R-W (CD-Text) from the host, in the lead-in */
#define MMC_CUE_ADR_MASK	0x0F /* CTL/ADR: CONTROL (bits 7-4), ADR (3-0) */
#define MMC_CUE_ADR_TIME	0x01 /* ADR 1: a time (track, index, MSF) */
#define MMC_CUE_ADR_MCN		0x02 /* ADR 2: 7 MCN characters in bytes 1-7, two entries */
#define MMC_CUE_ADR_ISRC	0x03 /* ADR 3: TNO, then 6 ISRC characters, two entries */
#define MMC_CUE_CTL_SHIFT	4
#define MMC_CUE_SCMS		4
#define MMC_CUE_MIN		5
#define MMC_CUE_SEC		6
#define MMC_CUE_FRAME		7
#define MMC_CUE_SIZE		8
static_assert(MMC_CUE_FRAME + 1 == MMC_CUE_SIZE, "a cue sheet entry is 8 bytes");

/* ---- READ TOC format 4, ATIP (MMC-6 6.26.3.6), after the 4-byte header -------------------- */

#define MMC_ATIP_DISC	 6  /* Disc Type (bit 6: CD-RW), Disc Sub-Type, A1/A2/A3 valid */
#define MMC_ATIP_LEADIN	 8  /* Start Time of Lead-in: M, S, F at 8, 9, 10 */
#define MMC_ATIP_LEADOUT 12 /* Last Possible Start Time of Lead-out: M, S, F */
#define MMC_ATIP_SIZE	 28
static_assert(MMC_ATIP_LEADOUT + 3 < MMC_ATIP_SIZE, "the ATIP descriptor holds the lead-out");

/* ---- READ TOC format 5, CD-Text (MMC-6 6.26.3.7): 18-byte packs after the header ---------- */

#define MMC_CDTEXT_PACK_SIZE 18
#define MMC_CDTEXT_TYPE	     0	/* Pack Type 80h-8Fh */
#define MMC_CDTEXT_TRACK     1	/* track number (0: the album), bit 7 extension */
#define MMC_CDTEXT_SEQ	     2	/* sequence number */
#define MMC_CDTEXT_BLOCK     3	/* DBCC (7), block number (6-4), character position (3-0) */
#define MMC_CDTEXT_TEXT	     4	/* 12 bytes */
#define MMC_CDTEXT_CRC	     16 /* u16, inverted CRC-16 (x^16 + x^12 + x^5 + 1) of 0-15 */
static_assert(MMC_CDTEXT_CRC + 2 == MMC_CDTEXT_PACK_SIZE, "a CD-Text pack is 18 bytes");

/* ---- the Q sub-channel (ECMA-130 22.3; READ CD's formatted Q, boot-audio.md 6) ------------- */

#define MMC_Q_CTL_ADR	0  /* CONTROL (bits 7-4), ADR (3-0) */
#define MMC_Q_TNO	1  /* ADR 1: track, BCD (AAh lead-out) */
#define MMC_Q_INDEX	2  /* ADR 1: index, BCD */
#define MMC_Q_REL	3  /* ADR 1: the track-relative time, M S F in BCD */
#define MMC_Q_ZERO	6  /* 0 */
#define MMC_Q_ABS	7  /* ADR 1: the absolute time, M S F in BCD */
#define MMC_Q_MCN	1  /* ADR 2: 13 BCD digits in 1-7 (the last nibble 0), AFRAME in 9 */
#define MMC_Q_AFRAME	9  /* ADR 2 and 3: the absolute frame, BCD */
#define MMC_Q_ISRC	1  /* ADR 3: 5 six-bit characters, 2 zero bits, 7 BCD digits, 0 */
#define MMC_Q_CRC	10 /* u16: inverted CRC-16 of 0-9 */
#define MMC_Q_SIZE	12
#define MMC_Q_READ_SIZE 16 /* READ CD's formatted Q: 12 bytes and 4 of zero */
static_assert(MMC_Q_CRC + 2 == MMC_Q_SIZE, "the Q sub-channel is 96 bits");

/* ---- READ SUB-CHANNEL response (MMC-3; boot-audio.md 6) -------------------------------- */

#define MMC_SUBCH_STATUS      1 /* Audio Status: 15h no current audio status */
#define MMC_SUBCH_LENGTH      2 /* u16: Sub-channel Data Length (the bytes after the header) */
#define MMC_SUBCH_HEADER_SIZE 4
#define MMC_SUBCH_D_FORMAT    4	 /* Sub-channel Data Format Code */
#define MMC_SUBCH_D_ADR_CTL   5	 /* ADR (7-4), CONTROL (3-0) */
#define MMC_SUBCH_D_TRACK     6	 /* position, ISRC: track number */
#define MMC_SUBCH_D_INDEX     7	 /* position: index */
#define MMC_SUBCH_D_ABS	      8	 /* position: u32 absolute address */
#define MMC_SUBCH_D_REL	      12 /* position: u32 track-relative address */
#define MMC_SUBCH_D_VALID     8	 /* MCN, ISRC: MCVal / TCVal (bit 7) */
#define MMC_SUBCH_D_TEXT      9	 /* MCN 13 (+2) / ISRC 12 (+3) ASCII characters */
#define MMC_SUBCH_POS_SIZE    16
#define MMC_SUBCH_CODE_SIZE   24
static_assert(MMC_SUBCH_D_TEXT + 15 == MMC_SUBCH_CODE_SIZE, "MCN and ISRC data are 24 bytes");

#endif
