/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Block sinks: where the engine's image blocks go when they go to a file or a pipe.
 *
 *	eng_sink_sparse()  n blocks at block pos of a regular file, all-zero blocks left as
 *	                   holes (the file must be extended to its size by the caller)
 *	eng_sink_nonzero() the same split of blocks into runs, each run given to a function
 *	eng_sink_stream()  bytes in order to a pipe or a file at its offset, zeros included
 *	eng_sink_pwrite()  bytes at a byte offset of a file
 *	eng_sink_image()   a whole image, streamed (hashes, manifest) into a file or a pipe
 *
 * Every write goes out in pieces of at most BFS_WRITE_PIECE (common/extent.h), the size
 * that keeps the page cache from making large folios on this project's VMs (see there).
 * 0 or -errno; EINTR is retried.
 */
#ifndef BFS_ENGINE_SINK_H
#define BFS_ENGINE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "engine/image.h"

int eng_sink_sparse(int fd, const uint8_t *buf, size_t n, uint64_t pos);
int eng_sink_stream(int fd, const uint8_t *p, size_t len);
int eng_sink_pwrite(int fd, const uint8_t *p, size_t len, uint64_t off);

/* Whether the 2048-byte block at p is all zeros. */
bool eng_block_is_zero(const uint8_t *p);

/*
 * The runs of non-zero blocks of buf[0..n blocks), each to put with the byte offset it has
 * when buf starts at byte at; zero blocks are left out. 0, or put's first failure.
 */
typedef int (*eng_sink_put_fn)(void *userdata, const uint8_t *p, size_t len, uint64_t at);
int eng_sink_nonzero(const uint8_t *buf, size_t n, uint64_t at, eng_sink_put_fn put,
		     void *userdata);

/*
 * The whole image img streamed into fd (eng_stream_start(), then every block): sparse (a
 * regular file, zero blocks left as holes; the caller sets its size) or in order (a pipe).
 * progress (may be NULL) gets the blocks done and the total after each MiB; a negative
 * return cancels with -ECANCELED. 0 or -errno with diag (a write error names
 * name).
 */
int eng_sink_image(struct eng_image *img, int fd, bool sparse, const char *name,
		   eng_progress_fn progress, void *userdata, struct bfs_diag *diag) BFS_WARN_UNUSED;

#endif
