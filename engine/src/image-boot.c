/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bootable images: the boot files' checks and the El Torito and hybrid structures
 * (image-boot.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/bytes.h"
#include "image-boot.h"
#include "iso9660/eltorito.h"

/* The node at an absolute image path, or NULL. */
static struct bfs_node *node_at(struct bfs_node *root, const char *path)
{
	struct bfs_node *n = root;
	const char *p = path;

	while (n && *p) {
		const char *e;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		if (n->type != BFS_NODE_DIR)
			return NULL;
		n = bfs_node_find_child(n, p, (size_t)(e - p));
		p = e;
	}
	return n;
}

/* A boot file named by an option: a regular file with data, in the tree. */
static int boot_file(struct bfs_node *root, const char *opt, const char *path,
		     struct bfs_node **ret, struct bfs_diag *diag)
{
	struct bfs_node *n;

	if (path[0] != '/')
		return bfs_diag_set(diag, -EINVAL, "%s '%s': not an image path (starts with /)",
				    opt, path);
	n = node_at(root, path);
	if (!n)
		return bfs_diag_set(diag, -EINVAL, "%s '%s': no such file in the image", opt, path);
	if (n->type != BFS_NODE_FILE)
		return bfs_diag_set(diag, -EINVAL, "%s '%s': not a regular file", opt, path);
	n = (struct bfs_node *)bfs_node_data_node(n);
	if (n->size == 0)
		return bfs_diag_set(diag, -EINVAL, "%s '%s': empty file", opt, path);
	*ret = n;
	return 0;
}

/* The first len bytes of a file's source (short files: what there is, *ret_len). */
static int read_head(const struct bfs_node *n, uint8_t *buf, size_t len, size_t *ret_len)
{
	char path[PATH_MAX + 256];
	size_t got = 0;
	int fd, r;

	r = bfs_node_src_path(n, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	while (got < len) {
		ssize_t k = read(fd, buf + got, len - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	*ret_len = got;
	return 0;
}

/* A FAT boot sector (Microsoft FAT spec, BPB): the EFI image must be one (UEFI 2.x 13.3). */
static bool is_fat(const uint8_t *b, size_t len)
{
	uint16_t bps;

	if (len < 512 || b[510] != 0x55 || b[511] != 0xAA)
		return false;
	bps = bfs_get_le16(b + 11);
	if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096)
		return false;
	if (b[13] == 0 || (b[13] & (b[13] - 1)) != 0) /* sectors per cluster: a power of 2 */
		return false;
	return memcmp(b + 54, "FAT", 3) == 0 || memcmp(b + 82, "FAT32", 5) == 0;
}

static int check_efi(struct eng_boot *b, const char *path, struct bfs_diag *diag)
{
	uint8_t head[512];
	size_t got;
	int r;

	r = read_head(b->efi, head, sizeof(head), &got);
	if (r < 0)
		return bfs_diag_set(diag, r, "--boot-efi '%s': cannot read it: %s", path,
				    strerror(-r));
	if (!is_fat(head, got))
		return bfs_diag_set(diag, -EINVAL,
				    "--boot-efi '%s': not a FAT file system image (UEFI firmware "
				    "mounts the EFI boot image as FAT; make one with mkfs.vfat)",
				    path);
	return 0;
}

static int check_bios(struct eng_boot *b, const char *path, bool hybrid, struct bfs_diag *diag)
{
	uint8_t head[ELTORITO_BI_END + 4];
	size_t got;
	int r;

	if (b->bios->size > ENG_BOOT_BIOS_MAX)
		return bfs_diag_set(diag, -EINVAL,
				    "--boot-bios '%s': %llu bytes, more than the %u MiB a "
				    "no-emulation boot file with a boot info table may have",
				    path, (unsigned long long)b->bios->size,
				    ENG_BOOT_BIOS_MAX >> 20);
	if (b->bios->size < ELTORITO_BI_END)
		return bfs_diag_set(diag, -EINVAL,
				    "--boot-bios '%s': %llu bytes, too short for a boot info table "
				    "(64)",
				    path, (unsigned long long)b->bios->size);
	if (!hybrid)
		return 0;
	r = read_head(b->bios, head, sizeof(head), &got);
	if (r < 0)
		return bfs_diag_set(diag, r, "--boot-bios '%s': cannot read it: %s", path,
				    strerror(-r));
	/* isohdpfx.S jumps into the file only past this magic (syslinux isolinux.asm) */
	if (got < sizeof(head) || bfs_get_le32(head + ELTORITO_BI_END) != 0x7078C0FBu)
		return bfs_diag_set(diag, -EINVAL,
				    "--hybrid: --boot-bios '%s' has no isohybrid entry (magic "
				    "7078C0FBh at byte 64), so the MBR cannot start it; use "
				    "isolinux.bin",
				    path);
	return 0;
}

static int read_mbr(struct eng_boot *b, const char *path, struct bfs_diag *diag)
{
	uint8_t buf[512];
	struct bfs_node n = {.src_path = (char *)path, .type = BFS_NODE_FILE};
	size_t got;
	int r;

	r = read_head(&n, buf, sizeof(buf), &got);
	if (r < 0)
		return bfs_diag_set(diag, r, "--hybrid-mbr '%s': %s", path, strerror(-r));
	if (got < HYBRID_MBR_CODE_LEN)
		return bfs_diag_set(diag, -EINVAL,
				    "--hybrid-mbr '%s': %zu bytes, an MBR template has at least "
				    "432 bytes of code",
				    path, got);
	memcpy(b->mbr_code, buf, HYBRID_MBR_CODE_LEN);
	return 0;
}

/* The shown catalog: a new 2048-byte file at its path, whose data the stream makes. */
static int catalog_node(struct eng_boot *b, struct bfs_node *root, const char *path,
			struct bfs_diag *diag)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *dir = NULL;
	struct bfs_node *d, *f;
	int r;

	if (path[0] != '/' || !slash[1])
		return bfs_diag_set(diag, -EINVAL, "--boot-catalog '%s': not an image file path",
				    path);
	dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	d = node_at(root, dir);
	if (!d || d->type != BFS_NODE_DIR)
		return bfs_diag_set(diag, -EINVAL,
				    "--boot-catalog '%s': its directory is not in the image", path);
	if (bfs_node_find_child(d, slash + 1, strlen(slash + 1)))
		return bfs_diag_set(diag, -EEXIST, "--boot-catalog '%s': the sources have it",
				    path);
	f = bfs_node_new(slash + 1, strlen(slash + 1), BFS_NODE_FILE);
	if (!f)
		return -ENOMEM;
	f->mode = 0444;
	f->mtime = f->atime = f->ctime = f->src_mtime = root->mtime;
	f->size = sizeof(b->catalog);
	r = bfs_node_add_child(d, f);
	if (r < 0) {
		bfs_node_free(f);
		return r;
	}
	b->cat = f;
	return bfs_tree_finalize(root);
}

int eng_boot_prepare(struct eng_boot *b, const struct eng_boot_opts *o, struct bfs_node *root,
		     uint64_t start_lba, struct bfs_diag *diag)
{
	int r = 0;

	*b = (struct eng_boot){.on = o->bios || o->efi || o->hybrid};
	if (!b->on)
		return o->catalog || o->hybrid_mbr
			       ? bfs_diag_set(diag, -EINVAL,
					      "--boot-catalog and --hybrid-mbr need a boot image "
					      "(--boot-bios or --boot-efi)")
			       : 0;
	if (start_lba != 0)
		return bfs_diag_set(diag, -EINVAL,
				    "boot options: only a first session (block 0) can be bootable");
	if (o->hybrid && !o->bios)
		return bfs_diag_set(
			diag, -EINVAL,
			"--hybrid needs --boot-bios (the MBR starts the BIOS boot file)");
	if (o->hybrid_mbr && !o->hybrid)
		return bfs_diag_set(diag, -EINVAL, "--hybrid-mbr needs --hybrid");
	b->hybrid = o->hybrid;
	if (o->bios) {
		r = boot_file(root, "--boot-bios", o->bios, &b->bios, diag);
		if (r == 0)
			r = check_bios(b, o->bios, o->hybrid, diag);
		if (r < 0)
			return r;
	}
	if (o->efi) {
		r = boot_file(root, "--boot-efi", o->efi, &b->efi, diag);
		if (r == 0)
			r = check_efi(b, o->efi, diag);
		if (r < 0)
			return r;
	}
	if (b->bios && b->bios == b->efi)
		return bfs_diag_set(diag, -EINVAL, "--boot-bios and --boot-efi name one file");
	if (o->hybrid) {
		if (o->mbr_code)
			memcpy(b->mbr_code, o->mbr_code, HYBRID_MBR_CODE_LEN);
		else
			r = read_mbr(b, o->hybrid_mbr ? o->hybrid_mbr : ENG_BOOT_MBR_DEFAULT, diag);
		if (r < 0)
			return r;
		b->sysarea = calloc(16, 2048);
		b->tail_blocks = ENG_BOOT_TAIL_BLOCKS;
		b->tail = calloc(b->tail_blocks, 2048);
		if (!b->sysarea || !b->tail)
			return -ENOMEM;
	}
	return o->catalog ? catalog_node(b, root, o->catalog, diag) : 0;
}

/* The boot info table of the BIOS file, read whole once (it is small: ENG_BOOT_BIOS_MAX). */
static int render_bi(struct eng_boot *b, uint64_t pvd_lba, struct bfs_diag *diag)
{
	size_t len = (size_t)b->bios->size, got;
	_cleanup_free_ uint8_t *buf = malloc(len);
	_cleanup_free_ char *ip = bfs_node_path(b->bios);
	int r;

	if (!buf || !ip)
		return -ENOMEM;
	r = read_head(b->bios, buf, len, &got);
	if (r < 0)
		return bfs_diag_set(diag, r, "--boot-bios '%s': cannot read it: %s", ip,
				    strerror(-r));
	if (got != len)
		return bfs_diag_set(diag, -ESTALE,
				    "'%s': changed since the scan (%zu bytes, not %zu)", ip, got,
				    len);
	return iso9660_eltorito_boot_info(buf, len, (uint32_t)pvd_lba, (uint32_t)b->bios->data_lba,
					  b->bi_table);
}

static int render_catalog(struct eng_boot *b)
{
	struct eltorito_entry e[2];
	size_t n = 0;

	if (b->bios)
		e[n++] = (struct eltorito_entry){.platform = ELTORITO_PLATFORM_X86,
						 .bootable = true,
						 .sectors = 4, /* as isolinux and GRUB expect */
						 .lba = (uint32_t)b->bios->data_lba};
	if (b->efi) {
		uint64_t s = BFS_DIV_ROUND_UP(b->efi->size, 512);

		/* UEFI 2.3 12.3.2.1: 0 means to the end of the medium */
		e[n++] = (struct eltorito_entry){.platform = ELTORITO_PLATFORM_EFI,
						 .bootable = true,
						 .sectors = s > 0xffff ? 0 : (uint16_t)s,
						 .lba = (uint32_t)b->efi->data_lba};
	}
	return iso9660_eltorito_catalog(b->catalog, e, n);
}

/* 16 bytes of a GUID from the volume's serial, as an RFC 4122 version 4 one. */
static void guid_from(uint64_t uuid, uint64_t salt, uint8_t g[16])
{
	XXH128_hash_t h = XXH3_128bits_withSeed(&uuid, sizeof(uuid), salt);

	bfs_put_le64(g, h.low64);
	bfs_put_le64(g + 8, h.high64);
	g[7] = (uint8_t)((g[7] & 0x0f) | 0x40); /* time_hi_and_version, stored LE */
	g[8] = (uint8_t)((g[8] & 0x3f) | 0x80);
}

static int render_hybrid(struct eng_boot *b, uint64_t end, uint64_t uuid)
{
	struct iso9660_hybrid h = {
		.mbr_code = b->mbr_code,
		.boot_lba = b->bios->data_lba,
		.disk_sig = (uint32_t)XXH3_64bits_withSeed(&uuid, sizeof(uuid), 1),
		.sectors = end * 4,
	};
	uint8_t *backup;
	int r;

	if (b->efi) {
		h.esp_first = b->efi->data_lba * 4;
		h.esp_sectors = BFS_DIV_ROUND_UP(b->efi->size, 512);
	}
	guid_from(uuid, 2, h.disk_guid);
	guid_from(uuid, 3, h.esp_guid);
	iso9660_hybrid_mbr(b->sysarea, &h);
	backup = b->tail + b->tail_blocks * 2048 - GPT_TABLE_SECTORS * HYBRID_SECTOR;
	r = iso9660_hybrid_gpt(b->sysarea + HYBRID_SECTOR, backup, &h);
	return r;
}

int eng_boot_render(struct eng_boot *b, uint64_t pvd_lba, uint64_t end, uint64_t uuid,
		    struct bfs_diag *diag)
{
	int r;

	if (!b->on)
		return 0;
	if (end > UINT32_MAX)
		return bfs_diag_set(diag, -EFBIG, "a bootable image is below 2^32 blocks");
	r = render_catalog(b);
	if (r < 0)
		return bfs_diag_set(diag, r, "internal error: boot catalog: %s", strerror(-r));
	if (b->bios) {
		r = render_bi(b, pvd_lba, diag);
		if (r < 0)
			return r;
	}
	if (b->hybrid) {
		r = render_hybrid(b, end, uuid);
		if (r < 0)
			return bfs_diag_set(diag, r,
					    "--hybrid: an image of %llu blocks is too "
					    "small for the GPT",
					    (unsigned long long)end);
	}
	return 0;
}

void eng_boot_done(struct eng_boot *b)
{
	free(b->sysarea);
	free(b->tail);
	b->sysarea = b->tail = NULL;
}
