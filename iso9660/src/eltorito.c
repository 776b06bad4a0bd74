/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * El Torito encoders and the catalog parser (iso9660/eltorito.h).
 */
#include <errno.h>
#include <string.h>

#include "common/bytes.h"
#include "common/diag.h"
#include "iso9660/eltorito.h"
#include "iso9660/layout.h"

void iso9660_eltorito_brvd(uint8_t *b, uint32_t catalog_lba)
{
	memset(b, 0, ELTORITO_BRVD_SIZE);
	b[ELTORITO_BRVD_TYPE] = ISO9660_VD_TYPE_BOOT;
	memcpy(b + ELTORITO_BRVD_STD_ID, ISO9660_STD_ID, ISO9660_VD_STD_ID_LEN);
	b[ELTORITO_BRVD_VERSION] = ISO9660_VD_VERSION_ONE;
	memcpy(b + ELTORITO_BRVD_SYSTEM_ID, ELTORITO_SYSTEM_ID, strlen(ELTORITO_SYSTEM_ID));
	bfs_put_le32(b + ELTORITO_BRVD_CATALOG, catalog_lba);
}

bool iso9660_eltorito_is_brvd(const uint8_t *b, uint32_t *ret_catalog)
{
	if (b[ELTORITO_BRVD_TYPE] != ISO9660_VD_TYPE_BOOT ||
	    memcmp(b + ELTORITO_BRVD_STD_ID, ISO9660_STD_ID, ISO9660_VD_STD_ID_LEN) != 0 ||
	    memcmp(b + ELTORITO_BRVD_SYSTEM_ID, ELTORITO_SYSTEM_ID, strlen(ELTORITO_SYSTEM_ID)) !=
		    0)
		return false;
	*ret_catalog = bfs_get_le32(b + ELTORITO_BRVD_CATALOG);
	return true;
}

/* ET 2.1: the 16 LE16 words of the validation entry sum to 0 */
static uint16_t word_sum(const uint8_t *p)
{
	uint16_t s = 0;

	for (size_t i = 0; i < ELTORITO_ENTRY_SIZE; i += 2)
		s = (uint16_t)(s + bfs_get_le16(p + i));
	return s;
}

static void put_entry(uint8_t *p, const struct eltorito_entry *e)
{
	p[ELTORITO_ENT_INDICATOR] = e->bootable ? ELTORITO_BOOTABLE : ELTORITO_NOT_BOOTABLE;
	p[ELTORITO_ENT_MEDIA] = e->media;
	bfs_put_le16(p + ELTORITO_ENT_SEGMENT, e->load_segment);
	p[ELTORITO_ENT_SYSTYPE] = e->system_type;
	bfs_put_le16(p + ELTORITO_ENT_SECTORS, e->sectors);
	bfs_put_le32(p + ELTORITO_ENT_LBA, e->lba);
}

int iso9660_eltorito_catalog(uint8_t *b, const struct eltorito_entry *e, size_t n)
{
	uint8_t *p = b;

	if (n == 0 || n > ELTORITO_MAX_ENTRIES)
		return -EINVAL;
	memset(b, 0, ISO9660_BLOCK_SIZE);
	p[ELTORITO_VAL_HEADER] = ELTORITO_HEADER_VALIDATION;
	p[ELTORITO_VAL_PLATFORM] = e[0].platform;
	p[ELTORITO_VAL_KEY55] = 0x55;
	p[ELTORITO_VAL_KEYAA] = 0xAA;
	bfs_put_le16(p + ELTORITO_VAL_CHECKSUM, (uint16_t)(0x10000u - word_sum(p)));
	p += ELTORITO_ENTRY_SIZE;
	put_entry(p, &e[0]);
	p += ELTORITO_ENTRY_SIZE;
	for (size_t i = 1; i < n; i++) {
		p[ELTORITO_SEC_INDICATOR] =
			i + 1 == n ? ELTORITO_SECTION_LAST : ELTORITO_SECTION_MORE;
		p[ELTORITO_SEC_PLATFORM] = e[i].platform;
		bfs_put_le16(p + ELTORITO_SEC_COUNT, 1);
		p += ELTORITO_ENTRY_SIZE;
		put_entry(p, &e[i]);
		p += ELTORITO_ENTRY_SIZE;
	}
	return 0;
}

static void get_entry(const uint8_t *p, uint8_t platform, struct eltorito_entry *e)
{
	*e = (struct eltorito_entry){
		.platform = platform,
		.media = p[ELTORITO_ENT_MEDIA] & 0x0f,
		.bootable = p[ELTORITO_ENT_INDICATOR] == ELTORITO_BOOTABLE,
		.load_segment = bfs_get_le16(p + ELTORITO_ENT_SEGMENT),
		.system_type = p[ELTORITO_ENT_SYSTYPE],
		.sectors = bfs_get_le16(p + ELTORITO_ENT_SECTORS),
		.lba = bfs_get_le32(p + ELTORITO_ENT_LBA),
	};
}

/*
 * The sections after the default entry; extension entries (44h, ET 2.5) are skipped with
 * the entry they extend.
 */
static int parse_sections(const uint8_t *b, size_t at, struct eltorito_entry *out, size_t max,
			  size_t *n)
{
	const size_t end = ISO9660_BLOCK_SIZE / ELTORITO_ENTRY_SIZE;

	while (at < end) {
		const uint8_t *h = b + at * ELTORITO_ENTRY_SIZE;
		uint16_t count;

		if (h[0] != ELTORITO_SECTION_MORE && h[0] != ELTORITO_SECTION_LAST)
			return 0; /* the catalog ends (zeros) */
		count = bfs_get_le16(h + ELTORITO_SEC_COUNT);
		at++;
		for (uint16_t k = 0; k < count; k++) {
			if (at >= end)
				return -BFS_EFSCORRUPTED;
			if (*n < max)
				get_entry(b + at * ELTORITO_ENTRY_SIZE, h[ELTORITO_SEC_PLATFORM],
					  &out[*n]);
			(*n)++;
			at++;
			while (at < end && b[at * ELTORITO_ENTRY_SIZE] == 0x44)
				at++;
		}
		if (h[0] == ELTORITO_SECTION_LAST)
			return 0;
	}
	return 0;
}

int iso9660_eltorito_parse(const uint8_t *b, struct eltorito_entry *out, size_t max, size_t *ret_n)
{
	size_t n = 0;
	int r;

	if (b[ELTORITO_VAL_HEADER] != ELTORITO_HEADER_VALIDATION || b[ELTORITO_VAL_KEY55] != 0x55 ||
	    b[ELTORITO_VAL_KEYAA] != 0xAA || word_sum(b) != 0)
		return -BFS_EFSCORRUPTED;
	if (max > 0)
		get_entry(b + ELTORITO_ENTRY_SIZE, b[ELTORITO_VAL_PLATFORM], &out[0]);
	n = 1;
	r = parse_sections(b, 2, out, max, &n);
	if (r < 0)
		return r;
	*ret_n = BFS_MIN(n, max);
	return 0;
}

int iso9660_eltorito_boot_info(const uint8_t *file, size_t len, uint32_t pvd_lba, uint32_t file_lba,
			       uint8_t table[56])
{
	uint32_t sum = 0;
	size_t i;

	if (len < ELTORITO_BI_END || len > UINT32_MAX)
		return -EINVAL;
	for (i = ELTORITO_BI_END; i + 4 <= len; i += 4)
		sum += bfs_get_le32(file + i);
	if (i < len) { /* a last partial word, zero-padded */
		uint8_t w[4] = {0};

		memcpy(w, file + i, len - i);
		sum += bfs_get_le32(w);
	}
	memset(table, 0, 56);
	bfs_put_le32(table + ELTORITO_BI_PVD - 8, pvd_lba);
	bfs_put_le32(table + ELTORITO_BI_FILE - 8, file_lba);
	bfs_put_le32(table + ELTORITO_BI_LENGTH - 8, (uint32_t)len);
	bfs_put_le32(table + ELTORITO_BI_CSUM - 8, sum);
	return 0;
}
