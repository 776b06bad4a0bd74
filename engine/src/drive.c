/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A drive for fuse/ and cli/. See engine/drive.h: most of these are the MMC layer's own
 * calls, passed through so that the layers above the engine reach the drive through it.
 */
#include "engine/drive.h"

#include <errno.h>
#include <stdlib.h>

int eng_drive_open(const char *addr, struct bfs_diag *diag, struct mmc_drive **ret)
{
	return mmc_drive_open(addr, diag, ret);
}

struct mmc_drive *eng_drive_close(struct mmc_drive *d)
{
	return mmc_drive_close(d);
}

void eng_drive_set_trace(struct mmc_drive *d, FILE *f)
{
	mmc_drive_set_trace(d, f);
}

const char *eng_drive_vdrive_dir(const struct mmc_drive *d)
{
	return mmc_drive_vdrive_dir(d);
}

int eng_drive_probe(struct mmc_drive *d, struct mmc_media *ret, struct bfs_diag *diag)
{
	return mmc_media_probe(d, ret, diag);
}

int eng_drive_tracks(struct mmc_drive *d, const struct mmc_media *m, struct mmc_track **ret,
		     size_t *n, struct bfs_diag *diag)
{
	/* the disc's tracks are numbered up to its last one (READ DISC INFORMATION) */
	size_t max = (size_t)m->last_track + 1;
	_cleanup_free_ struct mmc_track *t = NULL;
	int r;

	*ret = NULL;
	*n = 0;
	if (m->overwrite || m->status == MMC_DISC_BLANK)
		return 0;
	t = calloc(max, sizeof(*t));
	if (!t)
		return -ENOMEM;
	r = mmc_read_tracks(d, m, t, max, n, diag);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(t);
	return 0;
}

int eng_drive_erase(struct mmc_drive *d, const struct mmc_media *m, bool full,
		    struct bfs_diag *diag)
{
	return mmc_erase(d, m, full, diag);
}

int eng_drive_eject(struct mmc_drive *d, struct bfs_diag *diag)
{
	return mmc_eject(d, diag);
}

int eng_drive_write_speeds(struct mmc_drive *d, unsigned *kBps, size_t max, size_t *n,
			   struct bfs_diag *diag)
{
	return mmc_write_speeds(d, kBps, max, n, diag);
}

unsigned eng_media_x1_kBps(const struct mmc_media *m)
{
	return mmc_media_x1_kBps(m);
}

const char *eng_disc_status_name(enum mmc_disc_status s)
{
	return mmc_disc_status_name(s);
}
