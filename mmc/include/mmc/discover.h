/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drive discovery: the optical drives of this machine, from libudev (block devices with
 * ID_CDROM=1, their vendor, model and the ID_CDROM_MEDIA* properties udev's cdrom_id
 * records) and from sysfs (/sys/class/block/sr*, /sys/class/scsi_generic/sg* with SCSI
 * peripheral type 5), so that a machine or container without a udev database still lists
 * its drives. Nothing is opened: what the media really are is for mmc_media_probe().
 *
 * Not thread-safe (libudev contexts are per call).
 */
#ifndef BFS_MMC_DISCOVER_H
#define BFS_MMC_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>

struct bfs_diag;

struct mmc_drive_entry {
	char path[64];	  /* "/dev/sr0", or "/dev/sgN" when no sr driver is bound */
	char sg_path[64]; /* the drive's SCSI generic node, "" when none */
	char vendor[64];  /* INQUIRY vendor and product, trimmed; "" when unknown */
	char model[128];
	bool from_udev; /* found in the udev database (else from sysfs only) */
	/* udev's view of the medium (from_udev only): */
	bool media;		 /* ID_CDROM_MEDIA=1 */
	char media_type[32];	 /* "dvd_plus_r" from ID_CDROM_MEDIA_DVD_PLUS_R=1, or "" */
	char media_state[16];	 /* ID_CDROM_MEDIA_STATE: "blank", "appendable", "complete" */
	unsigned media_sessions; /* ID_CDROM_MEDIA_SESSION_COUNT, 0 when not given */
};

struct mmc_drive_list {
	struct mmc_drive_entry *v; /* sorted by path, srN before sgN, numerically */
	size_t n;
};

enum {
	MMC_DISCOVER_NO_UDEV = 1 << 0, /* sysfs only */
};

/*
 * Fill *ret with the optical drives (n may be 0). sysfs is the sysfs mount point (NULL:
 * /sys; tests pass a fake tree, with MMC_DISCOVER_NO_UDEV). -ENOMEM is the only error;
 * an unreadable sysfs or a missing udev database just finds fewer drives. Free the list
 * with mmc_drive_list_free().
 */
int mmc_discover(const char *sysfs, unsigned flags, struct mmc_drive_list *ret,
		 struct bfs_diag *diag);
void mmc_drive_list_free(struct mmc_drive_list *l);

#endif
