/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-medium policy, in one place (ARCHITECTURE.md, "what the engine owns"): what a
 * session on a medium is made of and how it is laid out. The burner, the staging mount's
 * space projection and the image options all take it from here.
 *
 *	eng_policy_of_medium()    from a probed disc (its MMC profile and next writable address)
 *	eng_policy_of_capacity()  a guess when no disc can be asked (only its size is known)
 *	eng_policy_of_drive()     open a drive, probe its disc, close it
 *	eng_policy_apply()        into the image options: media kind, write unit, start block
 *
 * The media kind decides the file systems, the UDF revision and the ISO level (image.h's
 * per-media defaults); the write unit is the medium's ECC block or cluster: CD 1 block
 * (2 KiB), DVD 16 (32 KiB), BD 32 (64 KiB). A session is padded to it, so the closing UDF
 * anchor is its last block.
 */
#ifndef BFS_ENGINE_POLICY_H
#define BFS_ENGINE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/diag.h"
#include "engine/image.h"

struct mmc_media;

struct eng_policy {
	enum eng_media media;
	unsigned write_unit; /* blocks */
	uint64_t start_lba;  /* the next session's first block (0 when not known) */
	bool from_disc;	     /* read from the disc; false: guessed */
};

void eng_policy_of_medium(const struct mmc_media *m, struct eng_policy *ret);
void eng_policy_of_capacity(uint64_t capacity_blocks, struct eng_policy *ret);
/* 0, or -errno with diag (the drive cannot be opened or has no readable disc) */
int eng_policy_of_drive(const char *drive, struct eng_policy *ret, struct bfs_diag *diag);
void eng_policy_apply(const struct eng_policy *p, struct eng_image_opts *io);

#endif
