/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The virtual drive's commands beyond the core set of vdrive.c. Replies follow MMC-6
 * (T10/1836-D rev 2g).
 */
#include <string.h>

#include "common/bytes.h"
#include "common/macro.h"
#include "vdrive-internal.h"

void vd_exec_more(struct vdrive *vd, const uint8_t *cdb, size_t cdb_len, enum vdrive_dir dir,
		  void *buf, size_t len, struct vdrive_result *res)
{
	(void)cdb_len, (void)dir, (void)buf, (void)len;
	switch (cdb[0]) {
	default:
		vd_check(res, vd, 0x05, 0x20, 0x00); /* invalid command operation code */
		return;
	}
}
