/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hybrid MBR and GPT (iso9660/hybrid.h). CRC32 is zlib's (the IEEE polynomial, as
 * UEFI 2.x 5.3.2 asks).
 */
#include <errno.h>
#include <string.h>
#include <zlib.h>

#include "common/bytes.h"
#include "iso9660/hybrid.h"

const uint8_t iso9660_gpt_type_esp[16] = {
	0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
	0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b,
};

void iso9660_hybrid_mbr(uint8_t *b, const struct iso9660_hybrid *h)
{
	uint8_t *pe = b + HYBRID_MBR_PART;
	uint64_t n = h->sectors - 1;

	memset(b, 0, HYBRID_SECTOR);
	if (h->mbr_code)
		memcpy(b, h->mbr_code, HYBRID_MBR_CODE_LEN);
	/* isohdpfx loads the boot file from here and checks its magic at byte 64 */
	bfs_put_le64(b + HYBRID_MBR_BOOT_LBA, h->boot_lba * 4);
	bfs_put_le32(b + HYBRID_MBR_DISK_SIG, h->disk_sig);
	/*
	 * One protective entry, UEFI 2.x 5.2.3: firmware then reads the GPT; a BIOS runs the
	 * boot code above whatever the table says. CHS: 0/0/2 to "not representable".
	 */
	pe[HYBRID_PE_STATUS] = 0;
	pe[HYBRID_PE_CHS_FIRST] = 0x00;
	pe[HYBRID_PE_CHS_FIRST + 1] = 0x02;
	pe[HYBRID_PE_CHS_FIRST + 2] = 0x00;
	pe[HYBRID_PE_TYPE] = HYBRID_TYPE_GPT;
	memset(pe + HYBRID_PE_CHS_LAST, 0xff, 3);
	bfs_put_le32(pe + HYBRID_PE_LBA, 1);
	bfs_put_le32(pe + HYBRID_PE_SECTORS, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
	b[HYBRID_MBR_SIG] = 0x55;
	b[HYBRID_MBR_SIG + 1] = 0xAA;
}

/* The entry array: the ESP, if any, then unused (zero) entries. */
static void gpt_array(uint8_t *a, const struct iso9660_hybrid *h)
{
	static const char name[] = "EFI boot";

	memset(a, 0, GPT_ARRAY_SECTORS * HYBRID_SECTOR);
	if (!h->esp_first)
		return;
	memcpy(a + GPT_PE_TYPE, iso9660_gpt_type_esp, 16);
	memcpy(a + GPT_PE_GUID, h->esp_guid, 16);
	bfs_put_le64(a + GPT_PE_FIRST, h->esp_first);
	bfs_put_le64(a + GPT_PE_LAST, h->esp_first + h->esp_sectors - 1);
	for (size_t i = 0; name[i]; i++)
		bfs_put_le16(a + GPT_PE_NAME + 2 * i, (uint16_t)name[i]);
}

static void gpt_header(uint8_t *hd, const struct iso9660_hybrid *h, uint64_t my, uint64_t alt,
		       uint64_t array, uint32_t array_crc)
{
	memset(hd, 0, HYBRID_SECTOR);
	memcpy(hd + GPT_HDR_SIGNATURE, "EFI PART", 8);
	bfs_put_le32(hd + GPT_HDR_REVISION, GPT_HDR_REVISION_1);
	bfs_put_le32(hd + GPT_HDR_SIZE, GPT_HDR_LEN);
	bfs_put_le64(hd + GPT_HDR_MY_LBA, my);
	bfs_put_le64(hd + GPT_HDR_ALT_LBA, alt);
	bfs_put_le64(hd + GPT_HDR_FIRST_USE, 1 + GPT_TABLE_SECTORS);
	bfs_put_le64(hd + GPT_HDR_LAST_USE, h->sectors - 1 - GPT_TABLE_SECTORS);
	memcpy(hd + GPT_HDR_DISK_GUID, h->disk_guid, 16);
	bfs_put_le64(hd + GPT_HDR_ARRAY_LBA, array);
	bfs_put_le32(hd + GPT_HDR_NENTRIES, GPT_ENTRIES);
	bfs_put_le32(hd + GPT_HDR_ENTRY_SIZE, GPT_PE_SIZE);
	bfs_put_le32(hd + GPT_HDR_ARRAY_CRC, array_crc);
	bfs_put_le32(hd + GPT_HDR_CRC, (uint32_t)crc32(0, hd, GPT_HDR_LEN));
}

int iso9660_hybrid_gpt(uint8_t *primary, uint8_t *backup, const struct iso9660_hybrid *h)
{
	const uint64_t last = h->sectors - 1;
	uint8_t *array = primary + HYBRID_SECTOR;
	uint32_t crc;

	if (h->sectors < HYBRID_MIN_SECTORS)
		return -EINVAL;
	if (h->esp_first && (h->esp_sectors == 0 || h->esp_first < 1 + GPT_TABLE_SECTORS ||
			     h->esp_first + h->esp_sectors > last - GPT_TABLE_SECTORS + 1))
		return -EINVAL;
	gpt_array(array, h);
	crc = (uint32_t)crc32(0, array, GPT_ARRAY_SECTORS * HYBRID_SECTOR);
	gpt_header(primary, h, 1, last, 2, crc);
	memcpy(backup, array, GPT_ARRAY_SECTORS * HYBRID_SECTOR);
	gpt_header(backup + GPT_ARRAY_SECTORS * HYBRID_SECTOR, h, last, 1, last - GPT_ARRAY_SECTORS,
		   crc);
	return 0;
}
