/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SG_IO transport (Linux /dev/srN block and /dev/sgN character devices): private to
 * mmc/. mmc.c routes a drive handle's commands here; the pure parts (sense conversion,
 * status mapping, timeouts, transfer limits) are separate functions so that the unit tests
 * reach them without a device.
 */
#ifndef BFS_MMC_SGIO_INTERNAL_H
#define BFS_MMC_SGIO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "mmc/layout.h"
#include "mmc/mmc.h"

struct mmc_sgio;

/*
 * Open path read-write with O_EXCL|O_NONBLOCK|O_CLOEXEC, check that it speaks SG_IO and
 * that INQUIRY reports an MMC device (peripheral type 05h), and find its largest transfer.
 * Errors name the path: -ENOENT no such node, -EACCES/-EPERM (with the node's owner,
 * group and mode), -EBUSY (mounted, with the mount point, or opened by another burner),
 * -ENOTTY not a SCSI device, -EMEDIUMTYPE not an optical drive.
 */
int mmc_sgio_open(const char *path, struct bfs_diag *diag, struct mmc_sgio **ret);
struct mmc_sgio *mmc_sgio_close(struct mmc_sgio *s);

/* The largest READ/WRITE of this device in 2048-byte blocks (mmc_sgio_round_blocks). */
uint32_t mmc_sgio_max_blocks(const struct mmc_sgio *s);

/*
 * One command with a timeout of timeout_ms. On return *ret_status is the SCSI status byte,
 * ret_sense[18] the sense in fixed format (zeros when the device gave none) and *ret_resid
 * the bytes not transferred; a data-in tail that did not arrive is zeroed. A failure below
 * the SCSI status (ioctl error, host adapter or driver status) returns a negative errno
 * with a message naming the command and the device.
 */
int mmc_sgio_exec(struct mmc_sgio *s, const uint8_t *cdb, size_t cdb_len, enum mmc_dir dir,
		  void *buf, size_t len, unsigned timeout_ms, uint8_t *ret_status,
		  uint8_t ret_sense[MMC_SENSE_FIXED_SIZE], size_t *ret_resid,
		  struct bfs_diag *diag);

/* ---- pure parts ------------------------------------------------------------------------ */

/*
 * Sense data in either format (fixed 70h/71h, descriptor 72h/73h, SPC-4 4.5) as the
 * 18-byte fixed format: key, ASC/ASCQ, the information and command-specific fields when
 * they fit in 32 bits, the sense-key-specific bytes (progress indication), FRU code and the
 * ILI/EOM/FILEMARK bits. -EBADMSG for another response code or a sense under 8 bytes.
 */
int mmc_sgio_sense_to_fixed(const uint8_t *in, size_t n, uint8_t out[MMC_SENSE_FIXED_SIZE]);

/*
 * The SG_IO host_status (DID_*) and driver_status (DRIVER_*, the DRIVER_SENSE bit
 * ignored) as an errno (0 when both say OK) and a static description.
 */
int mmc_sgio_status_errno(unsigned host_status, unsigned driver_status, const char **ret_text);

/* A byte count the HBA and driver accept in one command as 2048-byte blocks: rounded down
 * to a multiple of 32, at most 512; below 32 blocks a multiple of 16, else at least 1. */
uint32_t mmc_sgio_round_blocks(uint64_t bytes);

/*
 * The time to allow one command, by opcode: long for those that may run to completion on
 * the medium even with Immed (CLOSE TRACK/SESSION, SYNCHRONIZE CACHE, BLANK, FORMAT UNIT),
 * medium for data transfers and tray movement, 30 s otherwise. In milliseconds.
 */
unsigned mmc_cmd_timeout_ms(const uint8_t *cdb, size_t cdb_len);

#endif
