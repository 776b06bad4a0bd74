/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hybrid images: the system area (ECMA-119 6.2.1, the image's first 32 KiB) made into a
 * disk label, so that the same image boots from a USB stick (reference/boot-audio.md §2).
 *
 *	sector 0	MBR: isohybrid boot code (432 bytes of a template such as syslinux's
 *			isohdpfx.bin), the boot file's address, a disk signature and a
 *			protective partition table (one EEh entry from sector 1)
 *	sector 1	GPT header (UEFI 2.x 5.3.2), its entry array at sectors 2-33
 *	end - 33	backup entry array, then the backup header in the image's last sector
 *
 * The GPT holds one partition, the EFI system partition over the El Torito EFI image inside
 * the ISO: UEFI firmware boots the stick from it, and nothing overlaps. The ISO 9660 tree
 * itself lies in unpartitioned space, which is what readers of the whole device expect.
 * Sectors are 512 bytes here; ISO blocks are 4 of them.
 */
#ifndef ISO9660_HYBRID_H
#define ISO9660_HYBRID_H

#include <assert.h>
#include <stdint.h>

#include "common/macro.h"

#define HYBRID_SECTOR 512u

/* MBR, as isohdpfx.S reads it (syslinux mbr/isohdpfx.S, isohybrid.c) */
#define HYBRID_MBR_CODE_LEN  432 /* bytes 0-431: the template's boot code */
#define HYBRID_MBR_BOOT_LBA  432 /* LE64: boot file LBA x 4, in 512-byte sectors */
#define HYBRID_MBR_DISK_SIG  440 /* LE32: disk signature */
#define HYBRID_MBR_RESERVED  444 /* LE16: 0 */
#define HYBRID_MBR_PART	     446 /* four 16-byte partition entries */
#define HYBRID_MBR_PART_SIZE 16u
#define HYBRID_MBR_SIG	     510 /* 55h AAh */

/* MBR partition entry (UEFI 2.x 5.2.1 table 5-2) */
#define HYBRID_PE_STATUS    0	  /* u8: 80h active */
#define HYBRID_PE_CHS_FIRST 1	  /* 3 bytes */
#define HYBRID_PE_TYPE	    4	  /* u8 */
#define HYBRID_PE_CHS_LAST  5	  /* 3 bytes */
#define HYBRID_PE_LBA	    8	  /* LE32: first sector */
#define HYBRID_PE_SECTORS   12	  /* LE32 */
#define HYBRID_TYPE_GPT	    0xEEu /* protective, UEFI 2.x 5.2.3 */

/* GPT header, UEFI 2.x 5.3.2 table 5-5 */
#define GPT_HDR_SIGNATURE  0  /* "EFI PART" */
#define GPT_HDR_REVISION   8  /* LE32: 00010000h */
#define GPT_HDR_SIZE	   12 /* LE32: 92 */
#define GPT_HDR_CRC	   16 /* LE32: CRC32 of the header, this field zero */
#define GPT_HDR_RESERVED   20 /* LE32: 0 */
#define GPT_HDR_MY_LBA	   24 /* LE64 */
#define GPT_HDR_ALT_LBA	   32 /* LE64 */
#define GPT_HDR_FIRST_USE  40 /* LE64: first usable LBA */
#define GPT_HDR_LAST_USE   48 /* LE64: last usable LBA */
#define GPT_HDR_DISK_GUID  56 /* 16 bytes */
#define GPT_HDR_ARRAY_LBA  72 /* LE64 */
#define GPT_HDR_NENTRIES   80 /* LE32 */
#define GPT_HDR_ENTRY_SIZE 84 /* LE32: 128 */
#define GPT_HDR_ARRAY_CRC  88 /* LE32: CRC32 of the whole array */
#define GPT_HDR_LEN	   92u
#define GPT_HDR_REVISION_1 0x00010000u

/* GPT partition entry, UEFI 2.x 5.3.3 table 5-6 */
#define GPT_PE_TYPE	  0  /* type GUID */
#define GPT_PE_GUID	  16 /* unique GUID */
#define GPT_PE_FIRST	  32 /* LE64 */
#define GPT_PE_LAST	  40 /* LE64, inclusive */
#define GPT_PE_ATTR	  48 /* LE64 */
#define GPT_PE_NAME	  56 /* 36 UTF-16LE units */
#define GPT_PE_SIZE	  128u
#define GPT_ENTRIES	  128u /* the minimum array, 16 KiB, UEFI 2.x 5.3.1 */
#define GPT_ARRAY_SECTORS (GPT_ENTRIES * GPT_PE_SIZE / HYBRID_SECTOR)
/* header + array at either end of the disk */
#define GPT_TABLE_SECTORS (1u + GPT_ARRAY_SECTORS)

static_assert(HYBRID_MBR_BOOT_LBA == HYBRID_MBR_CODE_LEN, "isohdpfx: LBA after the code");
static_assert(HYBRID_MBR_PART + 4 * HYBRID_MBR_PART_SIZE == HYBRID_MBR_SIG, "MBR: 4 entries");
static_assert(HYBRID_PE_SECTORS + 4 == HYBRID_MBR_PART_SIZE, "MBR partition entry");
static_assert(GPT_HDR_ARRAY_CRC + 4 == GPT_HDR_LEN, "UEFI 5.3.2: a 92-byte header");
static_assert(GPT_PE_NAME + 72 == GPT_PE_SIZE, "UEFI 5.3.3: a 128-byte entry");
static_assert(GPT_ARRAY_SECTORS == 32u, "16 KiB of entries");

struct iso9660_hybrid {
	const uint8_t *mbr_code; /* HYBRID_MBR_CODE_LEN bytes; NULL: zeros */
	uint64_t boot_lba;	 /* 2048-byte LBA of the BIOS boot file (isolinux.bin) */
	uint32_t disk_sig;
	uint64_t sectors;      /* the image's length in 512-byte sectors */
	uint64_t esp_first;    /* the EFI system partition's first sector; 0: none */
	uint64_t esp_sectors;  /* its length */
	uint8_t disk_guid[16]; /* GUIDs as stored (first three fields LE) */
	uint8_t esp_guid[16];
};

/* Sectors of the image the hybrid tables need at least (primary + backup + the MBR). */
#define HYBRID_MIN_SECTORS (1u + 2u * GPT_TABLE_SECTORS)

/* The MBR into b (512 bytes). */
void iso9660_hybrid_mbr(uint8_t *b, const struct iso9660_hybrid *h);

/*
 * The primary GPT (header then array, GPT_TABLE_SECTORS sectors at b, to be stored at
 * sector 1) and the backup (array then header, at the image's last GPT_TABLE_SECTORS).
 * -EINVAL when the image is shorter than HYBRID_MIN_SECTORS or the ESP lies outside the
 * usable sectors.
 */
int iso9660_hybrid_gpt(uint8_t *primary, uint8_t *backup,
		       const struct iso9660_hybrid *h) BFS_WARN_UNUSED;

/* The EFI system partition type GUID C12A7328-F81F-11D2-BA4B-00A0C93EC93B, as stored. */
extern const uint8_t iso9660_gpt_type_esp[16];

#endif
