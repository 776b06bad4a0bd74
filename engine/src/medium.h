/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The inside of struct eng_medium, shared by medium.c and sessions.c. */
#ifndef BFS_ENGINE_MEDIUM_H
#define BFS_ENGINE_MEDIUM_H

#include "engine/imagefile.h"
#include "engine/sessions.h"
#include "mmc/mmc.h"

/*
 * A drive's small READs (a tree's entries and directories, one or a few blocks each) go
 * through a cache of windows of WIN_BLOCKS aligned blocks: one READ(10) of 128 KiB instead
 * of one per entry (a 100,000-file tree took 103,000 commands to read, each a seek on a
 * real drive). Image files have the page cache.
 */
#define MEDIUM_WIN_BLOCKS 64u
#define MEDIUM_WINS	  16u

struct medium_win {
	uint64_t lba;  /* first block, a multiple of MEDIUM_WIN_BLOCKS */
	uint32_t n;    /* blocks held (fewer at the end of the medium), 0: empty */
	uint64_t used; /* the medium's tick at the last hit, for the least recently used */
	uint8_t *buf;  /* MEDIUM_WIN_BLOCKS blocks, allocated on first use */
};

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
	struct medium_win win[MEDIUM_WINS];
	uint64_t tick;
};

#endif
