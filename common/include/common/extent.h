/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The layout vocabulary shared by the writers and the engine.
 *
 * A writer plans by taking blocks from one block cursor (an absolute LBA the engine passes
 * in and the writer advances) and records each run of metadata blocks it will render as a
 * struct bfs_extent in its own list. Later the engine's producer asks the writer to render
 * a whole extent into a buffer of nblocks * BFS_BLOCK_SIZE bytes, in LBA order, so metadata
 * is produced on demand and never held in memory all at once.
 */
#ifndef BFS_COMMON_EXTENT_H
#define BFS_COMMON_EXTENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"
#include "common/tree.h"

#define BFS_BLOCK_SIZE 2048u

/*
 * Files take data in write()s of at most this size (the engine's sinks, the virtual
 * drive's image). On this project's Linux 6.18 VM, `burnfs burn` of 4 GiB to a virtual
 * BD-R without verify took 8.9-11.4 s writing each 1 MiB WRITE in one pwrite() and
 * 4.3-5.8 s in 128 KiB pieces (4 interleaved rounds; 64 KiB and 256 KiB pieces were slower
 * than 128 KiB). dd of 4 GiB showed the same: 3.0-3.4 s in 1 MiB or 256 KiB writes,
 * 1.2-1.4 s in 64 KiB or 128 KiB ones; larger writes make ext4 allocate large folios,
 * which this VM's host hands out slowly. (A single-threaded loop of pwrite()s from one hot
 * buffer showed no such difference: the cost appears with the other threads running.)
 */
#define BFS_WRITE_PIECE (128u * 1024u)

struct bfs_extent {
	uint64_t lba;	  /* absolute first block */
	uint64_t nblocks; /* > 0 */
	uint32_t kind;	  /* writer-defined */
	void *obj;	  /* writer-defined, borrowed */
};

struct bfs_extent_list {
	struct bfs_extent *v;
	size_t n;
	size_t cap;
};

/* Append an extent; -ENOMEM or -EINVAL (nblocks 0). */
int bfs_extent_list_add(struct bfs_extent_list *l, uint64_t lba, uint64_t nblocks, uint32_t kind,
			void *obj) BFS_WARN_UNUSED;
void bfs_extent_list_done(struct bfs_extent_list *l);

/*
 * Facts about the volume the writers need at render time. Strings are UTF-8 and borrowed
 * for the writer's lifetime.
 */
struct bfs_volume_info {
	const char *volume_id;	     /* e.g. "BURNFS_2026" */
	const char *publisher;	     /* may be NULL */
	const char *preparer;	     /* may be NULL */
	const char *application;     /* e.g. "BURNFS 0.1.0" */
	const char *system_id;	     /* e.g. "LINUX" */
	struct bfs_time create_time; /* volume creation/modification time */
	uint64_t uuid;		     /* deterministic 64-bit volume identity (UDF volume set id) */
	uint64_t session_start;	     /* absolute LBA of this session (0 for a fresh image) */
	uint64_t volume_blocks; /* absolute end of the volume: session_start + session length */
};

#endif
