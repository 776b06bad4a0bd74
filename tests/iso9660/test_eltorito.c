/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * El Torito and hybrid encoders (iso9660/eltorito.h, iso9660/hybrid.h) against bytes from
 * outside: the catalog xorriso 1.5.4 wrote for -b ... -e ... (reference/boot-audio.md §1,
 * observed), the spec's checksum rule, and GPT CRCs recomputed with zlib.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "common/bytes.h"
#include "iso9660/eltorito.h"
#include "iso9660/hybrid.h"

static void test_brvd(void **state)
{
	uint8_t b[2048];
	uint32_t cat = 0;

	(void)state;
	iso9660_eltorito_brvd(b, 294);
	assert_int_equal(b[0], 0);
	assert_memory_equal(b + 1, "CD001\x01", 6);
	assert_memory_equal(b + 7, "EL TORITO SPECIFICATION\0\0\0\0\0\0\0\0\0", 32);
	assert_int_equal(bfs_get_le32(b + 71), 294);
	for (size_t i = 75; i < sizeof(b); i++)
		assert_int_equal(b[i], 0);
	assert_true(iso9660_eltorito_is_brvd(b, &cat));
	assert_int_equal(cat, 294);
	b[7] = 'X';
	assert_false(iso9660_eltorito_is_brvd(b, &cat));
}

/* reference/boot-audio.md §1, "Observed catalog (BIOS+EFI)" */
static void test_catalog_bios_efi(void **state)
{
	static const uint8_t val[32] = {0x01, [28] = 0xAA, 0x55, 0x55, 0xAA};
	static const uint8_t def[12] = {0x88, 0, 0, 0, 0, 0, 0x04, 0x00, 0x23, 0x0C, 0, 0};
	static const uint8_t hdr[4] = {0x91, 0xEF, 0x01, 0x00};
	static const uint8_t efi[12] = {0x88, 0, 0, 0, 0, 0, 0x00, 0x30, 0x23, 0, 0, 0};
	const struct eltorito_entry e[2] = {
		{.platform = ELTORITO_PLATFORM_X86, .bootable = true, .sectors = 4, .lba = 3107},
		{.platform = ELTORITO_PLATFORM_EFI, .bootable = true, .sectors = 12288, .lba = 35},
	};
	struct eltorito_entry back[4];
	uint8_t b[2048];
	size_t n = 0;

	(void)state;
	assert_int_equal(iso9660_eltorito_catalog(b, e, 2), 0);
	assert_memory_equal(b, val, 32);
	assert_memory_equal(b + 32, def, 12);
	assert_memory_equal(b + 64, hdr, 4);
	assert_memory_equal(b + 96, efi, 12);
	for (size_t i = 128; i < sizeof(b); i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(iso9660_eltorito_parse(b, back, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(back[0].lba, 3107);
	assert_int_equal(back[0].sectors, 4);
	assert_int_equal(back[1].platform, ELTORITO_PLATFORM_EFI);
	assert_int_equal(back[1].lba, 35);
	assert_int_equal(back[1].sectors, 12288);
	assert_true(back[1].bootable);
}

/* -e alone: the validation entry carries EFh, no section follows; its words sum to 0 */
static void test_catalog_efi_only(void **state)
{
	const struct eltorito_entry e = {
		.platform = ELTORITO_PLATFORM_EFI, .bootable = true, .lba = 40};
	uint16_t sum = 0;
	uint8_t b[2048];
	size_t n = 0;
	struct eltorito_entry back;

	(void)state;
	assert_int_equal(iso9660_eltorito_catalog(b, &e, 1), 0);
	assert_int_equal(b[1], 0xEF);
	for (size_t i = 0; i < 32; i += 2)
		sum = (uint16_t)(sum + bfs_get_le16(b + i));
	assert_int_equal(sum, 0);
	assert_int_equal(b[64], 0);
	assert_int_equal(iso9660_eltorito_parse(b, &back, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(back.platform, 0xEF);
	b[28] ^= 1; /* checksum */
	assert_int_equal(iso9660_eltorito_parse(b, &back, 1, &n), -EUCLEAN);
	assert_int_equal(iso9660_eltorito_catalog(b, &e, 0), -EINVAL);
}

static void test_boot_info(void **state)
{
	uint8_t file[71], t[56];

	(void)state;
	memset(file, 0xEE, sizeof(file));
	bfs_put_le32(file + 64, 0x01020304);
	file[68] = 0x10, file[69] = 0x20, file[70] = 0x30; /* partial word, zero-padded */
	assert_int_equal(iso9660_eltorito_boot_info(file, sizeof(file), 16, 1320, t), 0);
	assert_int_equal(bfs_get_le32(t + 0), 16);
	assert_int_equal(bfs_get_le32(t + 4), 1320);
	assert_int_equal(bfs_get_le32(t + 8), 71);
	assert_int_equal(bfs_get_le32(t + 12), 0x01020304u + 0x00302010u);
	for (size_t i = 16; i < 56; i++)
		assert_int_equal(t[i], 0);
	assert_int_equal(iso9660_eltorito_boot_info(file, 63, 16, 1, t), -EINVAL);
}

static void test_mbr(void **state)
{
	uint8_t code[432], b[512];
	struct iso9660_hybrid h = {
		.mbr_code = code, .boot_lba = 1320, .disk_sig = 0x11223344, .sectors = 5644};

	(void)state;
	memset(code, 0x90, sizeof(code));
	iso9660_hybrid_mbr(b, &h);
	assert_memory_equal(b, code, 432);
	assert_int_equal(bfs_get_le64(b + 432), 1320 * 4);
	assert_int_equal(bfs_get_le32(b + 440), 0x11223344);
	assert_int_equal(bfs_get_le16(b + 444), 0);
	assert_int_equal(b[446], 0);	    /* not active */
	assert_int_equal(b[446 + 4], 0xEE); /* protective */
	assert_int_equal(bfs_get_le32(b + 446 + 8), 1);
	assert_int_equal(bfs_get_le32(b + 446 + 12), 5643);
	for (size_t i = 462; i < 510; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(b[510], 0x55);
	assert_int_equal(b[511], 0xAA);
	h.sectors = 1ull << 34; /* over 2 TiB: the entry says "as far as it goes" */
	iso9660_hybrid_mbr(b, &h);
	assert_int_equal(bfs_get_le32(b + 446 + 12), 0xFFFFFFFFu);
}

static void check_header(const uint8_t *hd, uint64_t my, uint64_t alt, uint64_t array,
			 const uint8_t *arr)
{
	uint8_t copy[92];

	assert_memory_equal(hd, "EFI PART\0\0\1\0\x5c\0\0\0", 16);
	memcpy(copy, hd, sizeof(copy));
	memset(copy + 16, 0, 4);
	assert_int_equal(bfs_get_le32(hd + 16), (uint32_t)crc32(0, copy, sizeof(copy)));
	assert_int_equal(bfs_get_le64(hd + 24), my);
	assert_int_equal(bfs_get_le64(hd + 32), alt);
	assert_int_equal(bfs_get_le64(hd + 40), 34);
	assert_int_equal(bfs_get_le64(hd + 48), 5644 - 34);
	assert_int_equal(bfs_get_le64(hd + 72), array);
	assert_int_equal(bfs_get_le32(hd + 80), 128);
	assert_int_equal(bfs_get_le32(hd + 84), 128);
	assert_int_equal(bfs_get_le32(hd + 88), (uint32_t)crc32(0, arr, 128 * 128));
	for (size_t i = 92; i < 512; i++)
		assert_int_equal(hd[i], 0);
}

static void test_gpt(void **state)
{
	static uint8_t pri[33 * 512], bak[33 * 512];
	struct iso9660_hybrid h = {.sectors = 5644, .esp_first = 1180, .esp_sectors = 4096};

	(void)state;
	memset(h.disk_guid, 0xD1, 16);
	memset(h.esp_guid, 0xE5, 16);
	assert_int_equal(iso9660_hybrid_gpt(pri, bak, &h), 0);
	check_header(pri, 1, 5643, 2, pri + 512);
	check_header(bak + 32 * 512, 5643, 1, 5643 - 32, bak);
	assert_memory_equal(pri + 512, bak, 128 * 128);
	/* C12A7328-F81F-11D2-BA4B-00A0C93EC93B, first three fields little-endian */
	assert_memory_equal(pri + 512, "\x28\x73\x2a\xc1\x1f\xf8\xd2\x11\xba\x4b\x00\xa0", 12);
	assert_int_equal(bfs_get_le64(pri + 512 + 32), 1180);
	assert_int_equal(bfs_get_le64(pri + 512 + 40), 1180 + 4096 - 1);
	assert_int_equal(pri[512 + 56], 'E');
	for (size_t i = 512 + 128; i < 33 * 512; i++)
		assert_int_equal(pri[i], 0);
	h.esp_first = 5644 - 34; /* past the last usable sector */
	assert_int_equal(iso9660_hybrid_gpt(pri, bak, &h), -EINVAL);
	h.esp_first = 0;
	h.sectors = 66;
	assert_int_equal(iso9660_hybrid_gpt(pri, bak, &h), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_brvd),
		cmocka_unit_test(test_catalog_bios_efi),
		cmocka_unit_test(test_catalog_efi_only),
		cmocka_unit_test(test_boot_info),
		cmocka_unit_test(test_mbr),
		cmocka_unit_test(test_gpt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
