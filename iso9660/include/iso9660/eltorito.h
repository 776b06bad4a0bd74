/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * El Torito ("Bootable CD-ROM Format Specification" 1.0, Phoenix/IBM 1995): the boot record
 * volume descriptor, the boot catalog and the boot info table that isolinux reads
 * (reference/boot-audio.md §1). Layouts are declared once here, a clause per field (ET n.n
 * is the specification's section), and encoded through common/bytes.h, never by casting.
 *
 * The catalog this writer makes: the validation entry, the initial/default entry (the first
 * boot image), then one section (header + one entry) per further image, the last header
 * 91h, as mkisofs does for -b ... -eltorito-alt-boot -e ...
 */
#ifndef ISO9660_ELTORITO_H
#define ISO9660_ELTORITO_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

/* Boot record volume descriptor, ET 2.0 (an ECMA-119 8.2 boot record, type 0) */
#define ELTORITO_BRVD_TYPE	 0 /* u8: 0, ECMA-119 8.2.1 */
#define ELTORITO_BRVD_STD_ID	 1 /* "CD001" */
#define ELTORITO_BRVD_VERSION	 6 /* u8: 1 */
#define ELTORITO_BRVD_SYSTEM_ID	 7 /* "EL TORITO SPECIFICATION", zero padded, ET 2.0 */
#define ELTORITO_BRVD_SYSTEM_LEN 32
#define ELTORITO_BRVD_UNUSED_39	 39 /* 32 zero bytes, ET 2.0 */
#define ELTORITO_BRVD_CATALOG	 71 /* LE32: absolute LBA of the boot catalog, ET 2.0 */
#define ELTORITO_BRVD_SIZE	 2048u
#define ELTORITO_SYSTEM_ID	 "EL TORITO SPECIFICATION"

/* Catalog entries: 32 bytes each, 64 in one 2048-byte sector, ET 2.0 */
#define ELTORITO_ENTRY_SIZE 32u

/* Validation entry, ET 2.1 */
#define ELTORITO_VAL_HEADER   0 /* u8: 01h */
#define ELTORITO_VAL_PLATFORM 1 /* u8: platform of the default entry */
#define ELTORITO_VAL_RESERVED 2 /* LE16: 0 */
#define ELTORITO_VAL_ID	      4 /* ID string of the manufacturer, 24 bytes */
#define ELTORITO_VAL_ID_LEN   24
#define ELTORITO_VAL_CHECKSUM 28 /* LE16: the entry's 16 words sum to 0 */
#define ELTORITO_VAL_KEY55    30 /* u8: 55h */
#define ELTORITO_VAL_KEYAA    31 /* u8: AAh */

/* Initial/default entry ET 2.2 and section entry ET 2.4: one layout */
#define ELTORITO_ENT_INDICATOR 0  /* u8: 88h bootable, 00h not */
#define ELTORITO_ENT_MEDIA     1  /* u8: emulation (bits 0-3); section: bit 5 extension */
#define ELTORITO_ENT_SEGMENT   2  /* LE16: load segment, 0 = 07C0h */
#define ELTORITO_ENT_SYSTYPE   4  /* u8: partition type of an emulated hard disk */
#define ELTORITO_ENT_UNUSED_5  5  /* u8: 0 */
#define ELTORITO_ENT_SECTORS   6  /* LE16: virtual 512-byte sectors to load */
#define ELTORITO_ENT_LBA       8  /* LE32: first 2048-byte block of the image */
#define ELTORITO_ENT_CRITERIA  12 /* u8: selection criteria type (section entry, ET 2.4) */
#define ELTORITO_ENT_VENDOR    13 /* 19 bytes of vendor criteria, ET 2.4 */

/* Section header entry, ET 2.3 */
#define ELTORITO_SEC_INDICATOR 0 /* u8: 90h more headers follow, 91h last */
#define ELTORITO_SEC_PLATFORM  1 /* u8 */
#define ELTORITO_SEC_COUNT     2 /* LE16: section entries that follow */
#define ELTORITO_SEC_ID	       4 /* 28 bytes */

#define ELTORITO_HEADER_VALIDATION 0x01u
#define ELTORITO_BOOTABLE	   0x88u
#define ELTORITO_NOT_BOOTABLE	   0x00u
#define ELTORITO_SECTION_MORE	   0x90u
#define ELTORITO_SECTION_LAST	   0x91u
#define ELTORITO_MEDIA_NOEMUL	   0u /* ET 2.2, media type 0 */

/* Platform IDs, ET 2.1 (+ EFh, UEFI 2.3 12.3.2.1) */
#define ELTORITO_PLATFORM_X86 0x00u
#define ELTORITO_PLATFORM_PPC 0x01u
#define ELTORITO_PLATFORM_MAC 0x02u
#define ELTORITO_PLATFORM_EFI 0xEFu

/*
 * Boot info table (mkisofs -boot-info-table; syslinux core/isolinux.asm): bytes 8-63 of the
 * boot file as stored in the image.
 */
#define ELTORITO_BI_PVD	     8	/* LE32: LBA of the primary volume descriptor */
#define ELTORITO_BI_FILE     12 /* LE32: LBA of the boot file */
#define ELTORITO_BI_LENGTH   16 /* LE32: the file's length in bytes */
#define ELTORITO_BI_CSUM     20 /* LE32: sum of the LE32 words from byte 64 to the end */
#define ELTORITO_BI_RESERVED 24 /* 40 zero bytes */
#define ELTORITO_BI_END	     64

static_assert(ELTORITO_BRVD_SYSTEM_ID + ELTORITO_BRVD_SYSTEM_LEN == ELTORITO_BRVD_UNUSED_39,
	      "ET 2.0: the boot system identifier is 32 bytes");
static_assert(ELTORITO_BRVD_UNUSED_39 + 32 == ELTORITO_BRVD_CATALOG, "ET 2.0");
static_assert(ELTORITO_VAL_ID + ELTORITO_VAL_ID_LEN == ELTORITO_VAL_CHECKSUM, "ET 2.1");
static_assert(ELTORITO_VAL_KEYAA + 1 == ELTORITO_ENTRY_SIZE, "ET 2.1: 32-byte entries");
static_assert(ELTORITO_ENT_LBA + 4 == ELTORITO_ENT_CRITERIA, "ET 2.2");
static_assert(ELTORITO_ENT_VENDOR + 19 == ELTORITO_ENTRY_SIZE, "ET 2.4");
static_assert(ELTORITO_SEC_ID + 28 == ELTORITO_ENTRY_SIZE, "ET 2.3");
static_assert(ELTORITO_BI_RESERVED + 40 == ELTORITO_BI_END, "boot info table: 56 bytes");
static_assert(2048u / ELTORITO_ENTRY_SIZE == 64u, "ET 2.0: 64 entries a sector");

/* One boot image of the catalog. */
struct eltorito_entry {
	uint8_t platform; /* ELTORITO_PLATFORM_* */
	uint8_t media;	  /* ELTORITO_MEDIA_NOEMUL (the only one written) */
	bool bootable;
	uint16_t load_segment; /* 0: the default 07C0h */
	uint8_t system_type;
	uint16_t sectors; /* virtual 512-byte sectors */
	uint32_t lba;
};

/* Entries the one catalog sector holds: validation + default + (header + entry) per more. */
#define ELTORITO_MAX_ENTRIES 32u

/* The boot record volume descriptor pointing at the catalog (2048 bytes at b). */
void iso9660_eltorito_brvd(uint8_t *b, uint32_t catalog_lba);

/*
 * The catalog sector (2048 bytes at b) for e[0..n): e[0] is the default entry, its platform
 * the validation entry's; each further entry gets a section of its own. -EINVAL for n == 0
 * or n > ELTORITO_MAX_ENTRIES.
 */
int iso9660_eltorito_catalog(uint8_t *b, const struct eltorito_entry *e, size_t n) BFS_WARN_UNUSED;

/*
 * Read a catalog sector back: its entries into out[0..max), their number in *ret_n.
 * -EUCLEAN for a bad validation entry (header, keys, checksum) or a malformed section.
 */
int iso9660_eltorito_parse(const uint8_t *b, struct eltorito_entry *out, size_t max,
			   size_t *ret_n) BFS_WARN_UNUSED;

/* Whether a block is an El Torito boot record volume descriptor; its catalog LBA if so. */
bool iso9660_eltorito_is_brvd(const uint8_t *b, uint32_t *ret_catalog);

/*
 * The boot info table of a boot file: the 56 bytes that replace file[8..64) in the image,
 * into table. len >= 64 (else -EINVAL); the checksum covers file[64..len), a last partial
 * word zero-padded.
 */
int iso9660_eltorito_boot_info(const uint8_t *file, size_t len, uint32_t pvd_lba, uint32_t file_lba,
			       uint8_t table[56]) BFS_WARN_UNUSED;

#endif
