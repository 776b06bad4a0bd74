/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The inside of struct eng_medium, shared by medium.c and sessions.c. */
#ifndef BFS_ENGINE_MEDIUM_H
#define BFS_ENGINE_MEDIUM_H

#include "engine/imagefile.h"
#include "engine/sessions.h"
#include "mmc/mmc.h"

struct eng_medium {
	char *name;
	struct eng_imagefile file; /* an image: fd >= 0 */
	struct mmc_drive *drive;   /* a drive */
	bool borrowed;		   /* the drive is the caller's (eng_medium_of_drive) */
	struct mmc_media media;	   /* the drive's medium */
	uint64_t base;		   /* an image made for a later block: the block of its first */
	uint64_t blocks;	   /* readable blocks */
	struct bfs_diag rdiag;	   /* what the drive said about the latest failed READ */
	bool timed_out;		   /* a READ timed out (rdiag says how): later ones fail at once */
	bool fua;		   /* a drive's READs go past its cache (eng_medium_set_fua) */
};

#endif
