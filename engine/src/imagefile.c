/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening a disc image file. See engine/imagefile.h.
 */
#include "engine/imagefile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/io.h"
#include "common/macro.h"
#include "iso9660/layout.h"
#include "udf/layout.h"

#define BLOCK	    2048u
#define VD_AREA	    17u	 /* blocks 0-15 system area, 16 the first volume descriptor */
#define VD_MAX	    64u	 /* ISO 9660 descriptors looked at for the primary one */
#define UDF_ANCHOR  256u /* ECMA-167 3/8.4.2.1: the first anchor volume descriptor */
#define UDF_VDS_MAX 64u	 /* blocks of a volume descriptor sequence looked at */

/* 43801 -> "43,801": block counts in messages are read by people. */
static const char *grouped(char buf[32], uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v), o = 0;

	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

static const char *what_is(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO (named pipe)";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISLNK(m))
		return "a symbolic link";
	return "not a regular file";
}

/*
 * Open without blocking: the type is checked before open() (so that no device is opened
 * only to be refused) and again on the descriptor (the path may have been replaced).
 */
static int open_checked(const char *path, struct eng_imagefile *f, struct bfs_diag *diag)
{
	struct stat before, st;
	int flags;

	if (stat(path, &before) < 0)
		return bfs_diag_set(diag, -errno, "'%s': %m", path);
	if (!S_ISREG(before.st_mode) && !S_ISBLK(before.st_mode))
		return bfs_diag_set(diag, -EINVAL,
				    "'%s': %s, not a disc image (a regular file or a block device)",
				    path, what_is(before.st_mode));
	f->fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (f->fd < 0)
		return bfs_diag_set(diag, -errno, "'%s': %m", path);
	if (fstat(f->fd, &st) < 0)
		return bfs_diag_set(diag, -errno, "'%s': %m", path);
	if ((!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) || st.st_ino != before.st_ino ||
	    st.st_dev != before.st_dev)
		return bfs_diag_set(diag, -EINVAL,
				    "'%s': replaced while it was opened (now %s); not read", path,
				    S_ISREG(st.st_mode) ? "another file" : what_is(st.st_mode));
	flags = fcntl(f->fd, F_GETFL);
	if (flags < 0 || fcntl(f->fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return bfs_diag_set(diag, -errno, "'%s': %m", path);
	f->block_device = S_ISBLK(st.st_mode);
	if (f->block_device) {
		uint64_t bytes = 0;

		if (ioctl(f->fd, BLKGETSIZE64, &bytes) < 0)
			return bfs_diag_set(diag, -errno, "'%s': cannot get the device's size: %m",
					    path);
		f->bytes = bytes;
	} else {
		f->bytes = (uint64_t)st.st_size;
	}
	f->blocks = f->bytes / BLOCK;
	return 0;
}

int eng_imagefile_read(void *imagefile, uint64_t lba, uint32_t n, uint8_t *buf)
{
	struct eng_imagefile *f = imagefile;
	size_t len = (size_t)n * BLOCK;
	ssize_t got;

	if (lba > f->blocks || n > f->blocks - lba)
		return -ENXIO;
	got = bfs_pread_full(f->fd, buf, len, (off_t)(lba * BLOCK));
	if (got < 0)
		return (int)got;
	return (size_t)got < len ? -ENXIO : 0; /* the file shrank since it was opened */
}

/*
 * The end of an ISO 9660 volume: its primary descriptor's volume space size, and where its
 * root directory is (a file that holds only a session made for a later block, like
 * `burnfs image --start-lba N` or mkisofs -C, has it past its own end).
 */
static int iso_end(struct eng_imagefile *f, uint64_t s, uint8_t *b, uint64_t *ret)
{
	for (uint64_t i = 0; i < VD_MAX && s + 16 + i < f->blocks; i++) {
		int r = eng_imagefile_read(f, s + 16 + i, 1, b);
		uint64_t size;

		if (r < 0)
			return r;
		if (memcmp(b + ISO9660_VD_STD_ID, ISO9660_STD_ID, ISO9660_VD_STD_ID_LEN) != 0 ||
		    b[ISO9660_VD_TYPE] == ISO9660_VD_TYPE_TERMINATOR)
			break;
		if (b[ISO9660_VD_TYPE] != ISO9660_VD_TYPE_PRIMARY)
			continue;
		size = bfs_get_le32(b + ISO9660_VD_VOLUME_SIZE);
		/* libisofs writes a session's own length, mkisofs -C the absolute end */
		*ret = size > s ? size : s + size;
		f->made_for_later = s == 0 && bfs_get_le32(b + ISO9660_VD_ROOT_EXTENT) >= f->blocks;
		return 0;
	}
	return -ENOENT;
}

/*
 * The end of a UDF volume, in 2048-byte blocks: its anchor, its descriptor sequences and
 * its partitions, in the volume's own logical blocks (2048 on optical media; 512, 1024 or
 * 4096 on images of other devices: the anchor at block 256 of that size names its own
 * location). A write-once partition is left out: it spans the whole disc, recorded or not
 * (ECMA-167 4/10.5), so it says nothing about how long an image of the disc is.
 */
static int udf_end(struct eng_imagefile *f, uint64_t s, uint8_t *b, uint64_t *ret)
{
	static const uint32_t sizes[] = {2048, 4096, 1024, 512};
	uint64_t end = s + UDF_ANCHOR + 1, vds[2][2];
	uint32_t bs = 0;
	int r;

	for (size_t i = 0; i < BFS_ARRAY_SIZE(sizes) && !bs; i++) {
		uint64_t at = s * BLOCK + (uint64_t)UDF_ANCHOR * sizes[i]; /* bytes */

		if (at / BLOCK >= f->blocks)
			continue;
		r = eng_imagefile_read(f, at / BLOCK, 1, b);
		if (r < 0)
			return r;
		if (bfs_get_le16(b + UDF_TAG_ID) == UDF_TAG_AVDP &&
		    bfs_get_le32(b + UDF_TAG_LOCATION) == at / sizes[i])
			bs = sizes[i];
	}
	if (!bs)
		return f->blocks < end ? (*ret = end, 0) /* too short for the anchor: cut */
				       : -EBADMSG;	 /* no anchor volume descriptor pointer */
	for (int k = 0; k < 2; k++) {
		uint32_t len = bfs_get_le32(b + UDF_AVDP_MAIN_VDS + 8 * k);

		vds[k][0] = bfs_get_le32(b + UDF_AVDP_MAIN_VDS + 8 * k + 4);
		vds[k][1] = BFS_MIN(BFS_DIV_ROUND_UP(len, bs), (uint64_t)UDF_VDS_MAX);
		end = BFS_MAX(end, BFS_DIV_ROUND_UP((vds[k][0] + vds[k][1]) * bs, BLOCK));
	}
	for (uint64_t i = 0; i < vds[0][1]; i++) {
		uint64_t byte = (vds[0][0] + i) * bs;
		const uint8_t *d;

		if (byte / BLOCK >= f->blocks)
			break;
		r = eng_imagefile_read(f, byte / BLOCK, 1, b);
		if (r < 0)
			return r;
		d = b + byte % BLOCK; /* a smaller logical block inside the 2048-byte one */
		if (bfs_get_le16(d + UDF_TAG_ID) == UDF_TAG_TD)
			break;
		if (bfs_get_le16(d + UDF_TAG_ID) == UDF_TAG_PD &&
		    bfs_get_le32(d + UDF_PD_ACCESS) != 2) {
			uint64_t pend = (uint64_t)bfs_get_le32(d + UDF_PD_START) +
					bfs_get_le32(d + UDF_PD_LENGTH);

			end = BFS_MAX(end, BFS_DIV_ROUND_UP(pend * bs, BLOCK));
		}
	}
	*ret = end;
	return 0;
}

static int check_volume(struct eng_imagefile *f, const char *path, uint64_t s,
			struct bfs_diag *diag)
{
	uint8_t b[BLOCK];
	int r = eng_imagefile_read(f, s + 16, 1, b);

	if (r < 0)
		return bfs_diag_set(diag, r, "'%s': cannot read block %llu: %s", path,
				    (unsigned long long)(s + 16), strerror(-r));
	if (memcmp(b + ISO9660_VD_STD_ID, ISO9660_STD_ID, ISO9660_VD_STD_ID_LEN) == 0) {
		f->iso9660 = true;
		r = iso_end(f, s, b, &f->volume_end);
	} else if (memcmp(b + 1, "BEA01", 5) == 0 || memcmp(b + 1, "NSR0", 4) == 0) {
		r = udf_end(f, s, b, &f->volume_end);
	} else {
		r = -ENOENT;
	}
	if (r == -ENOENT)
		return BFS_CORRUPT(
			diag,
			"'%s': no ISO 9660 or UDF volume descriptor at block %llu (block "
			"16 of the session at block %llu): not a disc image, or no "
			"session starts there",
			path, (unsigned long long)(s + 16), (unsigned long long)s);
	if (r == -EBADMSG)
		return BFS_CORRUPT(diag,
				   "'%s': a UDF volume without its anchor at block %llu: damaged, "
				   "or not a disc image",
				   path, (unsigned long long)(s + UDF_ANCHOR));
	if (r < 0)
		return bfs_diag_set(diag, r, "'%s': %s", path, strerror(-r));
	return f->made_for_later ? 0 : eng_imagefile_check_size(f, path, 0, diag);
}

int eng_imagefile_check_size(const struct eng_imagefile *f, const char *path, uint64_t base,
			     struct bfs_diag *diag)
{
	/* an absolute end (past base) counts from base; a session's own length from 0 */
	uint64_t need = f->volume_end > base ? f->volume_end - base : f->volume_end;
	char g1[32], g2[32];

	if (f->blocks < need)
		return bfs_diag_set(diag, -ENODATA,
				    "'%s': cut short: the file has %s blocks, its volume says %s",
				    path, grouped(g1, f->blocks), grouped(g2, need));
	return 0;
}

int eng_imagefile_open(const char *path, uint64_t session_start, struct eng_imagefile *ret,
		       struct bfs_diag *diag)
{
	struct eng_imagefile f = {.fd = -1};
	char g1[32], g2[32];
	int r = open_checked(path, &f, diag);

	if (r == 0 && f.bytes == 0)
		r = bfs_diag_set(diag, -EINVAL, "'%s': empty (0 bytes), not a disc image", path);
	else if (r == 0 && session_start > 0 && session_start >= f.blocks)
		r = bfs_diag_set(diag, -ENXIO,
				 "'%s': no session at block %s: the image has %s blocks", path,
				 grouped(g1, session_start), grouped(g2, f.blocks));
	else if (r == 0 && f.blocks - session_start < VD_AREA)
		r = bfs_diag_set(diag, -ENODATA,
				 "'%s': only %s bytes from block %llu on, fewer than the %u "
				 "blocks (%s bytes) of a volume descriptor area: not a disc image, "
				 "or one cut short",
				 path, grouped(g1, f.bytes - session_start * BLOCK),
				 (unsigned long long)session_start, VD_AREA,
				 grouped(g2, (uint64_t)VD_AREA * BLOCK));
	if (r == 0)
		r = check_volume(&f, path, session_start, diag);
	if (r < 0) {
		eng_imagefile_close(&f);
		*ret = f;
		return r;
	}
	*ret = f;
	return 0;
}

void eng_imagefile_close(struct eng_imagefile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}
