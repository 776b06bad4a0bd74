/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MMC layer's test transport, for the fuzz target and unit tests only (not in mmc.h):
 * a drive whose every command is answered by a function, so the layer's handling of what a
 * drive sends back (reply parsing, sense, retries) can be driven with hostile replies.
 */
#ifndef BFS_MMC_INTERNAL_H
#define BFS_MMC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mmc/layout.h"
#include "mmc/mmc.h"

/*
 * Answer one command: *ret_status the SCSI status byte, ret_sense[] fixed-format sense
 * (for CHECK CONDITION), *ret_resid the bytes of buf[0..len) not transferred. A negative
 * errno is a transport failure (its message in diag).
 */
typedef int (*mmc_test_exec_fn)(void *userdata, const uint8_t *cdb, size_t cdb_len,
				enum mmc_dir dir, void *buf, size_t len, uint8_t *ret_status,
				uint8_t ret_sense[MMC_SENSE_FIXED_SIZE], size_t *ret_resid,
				struct bfs_diag *diag);

/* A drive over fn (userdata borrowed), transfers of max_blocks (a multiple of 32). */
int mmc_drive_open_test(mmc_test_exec_fn fn, void *userdata, uint32_t max_blocks,
			struct mmc_drive **ret) BFS_WARN_UNUSED;

/*
 * Shared by mmc.c and audio.c (not a test hook): WRITE(10) of n blocks of block_size bytes
 * at lba (a two's-complement LBA for CD lead-ins and pregaps), the drive's full buffer
 * (02/04/08) waited out; one command, n <= 65535.
 */
int mmc_write_sized(struct mmc_drive *d, uint32_t lba, uint32_t n, const uint8_t *buf,
		    size_t block_size, struct bfs_diag *diag) BFS_WARN_UNUSED;

#endif
