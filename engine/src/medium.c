/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A drive or an image file as one block source for the session list and the tree reader.
 * See engine/sessions.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/extent.h"
#include "common/macro.h"
#include "engine/imagefile.h"
#include "iso9660/layout.h"
#include "medium.h"
#include "mmc/mmc.h"

#define LATER_SCAN 65536u /* blocks looked at for the root of a session made for later */

struct eng_medium *eng_medium_free(struct eng_medium *m)
{
	if (m) {
		eng_imagefile_close(&m->file);
		if (!m->borrowed)
			mmc_drive_close(m->drive);
		for (unsigned i = 0; i < MEDIUM_WINS; i++)
			free(m->win[i].buf);
		free(m->name);
		free(m);
	}
	return NULL;
}

/* What a disc holds, from its probe: an overwritable one reports it, others end at the NWA. */
static int drive_blocks(struct eng_medium *m, const char *addr, struct bfs_diag *diag)
{
	if (m->media.status == MMC_DISC_BLANK || (m->media.overwrite && !m->media.used_blocks))
		return bfs_diag_set(diag, -ENODATA, "%s: the disc is blank: it has no session",
				    addr);
	m->blocks = m->media.overwrite	 ? m->media.used_blocks
		    : m->media.nwa_valid ? m->media.nwa
					 : m->media.capacity;
	return 0;
}

static int open_drive(struct eng_medium *m, const char *addr, struct bfs_diag *diag)
{
	int r = mmc_drive_open(addr, diag, &m->drive);

	if (r == 0)
		r = mmc_media_probe(m->drive, &m->media, diag);
	return r < 0 ? r : drive_blocks(m, addr, diag);
}

int eng_medium_of_drive(struct mmc_drive *d, const struct mmc_media *media, struct eng_medium **ret,
			struct bfs_diag *diag)
{
	_cleanup_(eng_medium_freep) struct eng_medium *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->file.fd = -1;
	m->drive = d;
	m->borrowed = true;
	m->media = *media;
	m->name = strdup("the disc");
	if (!m->name)
		return -ENOMEM;
	r = drive_blocks(m, m->name, diag);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(m);
	return 0;
}

/* Is file block k a directory whose first record, "." (ECMA-119 6.8.2.2), names block root? */
static bool root_at(struct eng_medium *m, uint64_t k, uint64_t root)
{
	uint8_t b[2048];

	return k < m->file.blocks && eng_imagefile_read(&m->file, k, 1, b) == 0 &&
	       b[ISO9660_DR_LEN] >= ISO9660_ROOT_REC_SIZE && b[ISO9660_DR_NAME_LEN] == 1 &&
	       b[ISO9660_DR_NAME] == ISO9660_DR_ID_DOT &&
	       bfs_get_le32(b + ISO9660_DR_EXTENT) == root;
}

/*
 * A file that holds one session made for block N of a disc (burnfs image --start-lba N,
 * mkisofs -C): read as the disc's blocks from N on. N is where the root directory, whose
 * "." record names its own absolute block, lies in the file: first where the volume size
 * says (libisofs and burnfs write the absolute end N + length, so N is that end less the
 * file's blocks), else found among the first LATER_SCAN blocks (genisoimage writes the
 * session's own length). Not found: the file is an image for block 0, cut short.
 */
static int later_base(struct eng_medium *m, const char *image, struct bfs_diag *diag)
{
	uint8_t b[2048];
	uint64_t root, end = m->file.volume_end, k = 0;
	int r = eng_imagefile_read(&m->file, 16, 1, b);

	if (r < 0)
		return bfs_diag_set(diag, r, "'%s': cannot read block 16: %s", image, strerror(-r));
	root = bfs_get_le32(b + ISO9660_VD_ROOT_EXTENT);
	if (end > m->file.blocks && root >= end - m->file.blocks &&
	    root_at(m, root - (end - m->file.blocks), root))
		k = root - (end - m->file.blocks);
	for (uint64_t i = 17; !k && i < BFS_MIN(m->file.blocks, (uint64_t)LATER_SCAN) && i <= root;
	     i++)
		if (root_at(m, i, root))
			k = i;
	if (!k)
		return bfs_diag_set(diag, -ENODATA,
				    "'%s': cut short: the file has %llu blocks, its volume says "
				    "%llu",
				    image, (unsigned long long)m->file.blocks,
				    (unsigned long long)end);
	m->base = root - k;
	return 0;
}

int eng_medium_open(const char *drive, const char *image, struct eng_medium **ret,
		    struct bfs_diag *diag)
{
	_cleanup_(eng_medium_freep) struct eng_medium *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->file.fd = -1;
	m->name = strdup(drive ? drive : image);
	if (!m->name)
		return -ENOMEM;
	if (drive) {
		r = open_drive(m, drive, diag);
	} else {
		r = eng_imagefile_open(image, 0, &m->file, diag);
		if (r == 0 && m->file.made_for_later)
			r = later_base(m, image, diag);
		m->blocks = m->base + m->file.blocks;
	}
	if (r < 0)
		return r;
	*ret = m;
	m = NULL;
	return 0;
}

const char *eng_medium_name(const struct eng_medium *m)
{
	return m->name;
}

uint64_t eng_medium_blocks(const struct eng_medium *m)
{
	return m->blocks;
}

/* n blocks at lba from the drive, as asked: 0 or -errno, what the drive said in rdiag. */
static int drive_read(struct eng_medium *m, uint64_t lba, uint32_t n, uint8_t *buf)
{
	int r;

	/* a drive stuck in a READ (or one whose command timed out) waited its whole limit:
	 * each further READ of a session list or a tree would wait as long again, minutes */
	if (m->timed_out)
		return -ETIMEDOUT;
	bfs_diag_clear(&m->rdiag);
	r = mmc_read(m->drive, lba, n, buf, m->fua, &m->rdiag);
	m->timed_out = r == -ETIMEDOUT;
	return r < 0 ? bfs_diag_set(&m->rdiag, r, "%s", strerror(-r)) /* kept when set */ : 0;
}

/*
 * The window holding block lba, read in when it is not held (into the least recently used
 * slot); NULL when the whole window cannot be read (a damaged block in it, or no memory):
 * the caller then reads just what it wants, so that a bad block elsewhere in the window
 * costs nothing.
 */
static struct medium_win *win_get(struct eng_medium *m, uint64_t lba)
{
	uint64_t first = lba - lba % MEDIUM_WIN_BLOCKS;
	struct medium_win *w = &m->win[0];

	for (unsigned i = 0; i < MEDIUM_WINS; i++) {
		if (m->win[i].n && m->win[i].lba == first) {
			m->win[i].used = ++m->tick;
			return &m->win[i];
		}
		if (m->win[i].used < w->used)
			w = &m->win[i];
	}
	if (first >= m->blocks)
		return NULL;
	if (!w->buf)
		w->buf = malloc((size_t)MEDIUM_WIN_BLOCKS * BFS_BLOCK_SIZE);
	w->n = 0;
	if (!w->buf)
		return NULL;
	w->lba = first;
	w->n = (uint32_t)BFS_MIN((uint64_t)MEDIUM_WIN_BLOCKS, m->blocks - first);
	if (drive_read(m, w->lba, w->n, w->buf) < 0) {
		w->n = 0;
		return NULL;
	}
	w->used = ++m->tick;
	return w;
}

/* Small reads through the windows; a part no window can give, from the drive as asked. */
static int cached_read(struct eng_medium *m, uint64_t lba, uint32_t n, uint8_t *buf)
{
	while (n) {
		struct medium_win *w = win_get(m, lba);
		uint32_t k;

		if (!w) /* lba < m->blocks: a window got holds it */
			return drive_read(m, lba, n, buf);
		k = (uint32_t)BFS_MIN((uint64_t)n, w->lba + w->n - lba);
		memcpy(buf, w->buf + (lba - w->lba) * BFS_BLOCK_SIZE, (size_t)k * BFS_BLOCK_SIZE);
		lba += k;
		buf += (size_t)k * BFS_BLOCK_SIZE;
		n -= k;
	}
	return 0;
}

int eng_medium_read(void *medium, uint64_t lba, uint32_t n, uint8_t *buf)
{
	struct eng_medium *m = medium;

	if (!m->drive)
		return lba < m->base ? -ENXIO : eng_imagefile_read(&m->file, lba - m->base, n, buf);
	if (n < MEDIUM_WIN_BLOCKS && lba + n <= m->blocks)
		return cached_read(m, lba, n, buf);
	return drive_read(m, lba, n, buf);
}

bool eng_medium_concurrent(const struct eng_medium *m)
{
	return !m->drive;
}

const char *eng_medium_read_error(const struct eng_medium *m)
{
	return m->rdiag.msg;
}

int eng_medium_read_errno(const struct eng_medium *m)
{
	return m->rdiag.err;
}

void eng_medium_set_fua(struct eng_medium *m, bool fua)
{
	/* what the windows hold may have come from the drive's cache: read again */
	if (fua && !m->fua)
		for (unsigned i = 0; i < MEDIUM_WINS; i++)
			m->win[i].n = 0;
	m->fua = fua;
}
