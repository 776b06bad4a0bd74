/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening a disc image file: the one way every command that takes an image (verify, burn,
 * vdrive import-image) opens it, so that none of them blocks on a FIFO, reads a terminal or
 * takes a file cut short for a whole volume.
 *
 *	eng_imagefile_open()   checked open of PATH for the session at block S
 *	eng_imagefile_read()   an eng_read_fn over the open file
 *	eng_imagefile_close()
 *
 * What is refused, each with a message that names the path and what it is: anything but a
 * regular file or a block device (directories, FIFOs, sockets, character devices; checked
 * before open() and again on the open descriptor, which is opened O_NONBLOCK|O_NOCTTY so
 * that nothing can block or become a controlling terminal), an empty file, a session start
 * at or past the end, fewer blocks than the 17 of a volume descriptor area, no ISO 9660 or
 * UDF descriptor at block 16 of the session, and a file shorter than its own volume: the
 * ISO 9660 volume space size (read as the session's own length when it is not larger than
 * the session's start, libisofs' way, else as an absolute end, mkisofs -C's way), or for a
 * UDF-only volume the end of its partition and descriptor sequences. A file that holds
 * only a session made for a later block is size-checked by its caller, which knows that
 * block (made_for_later, eng_imagefile_check_size()).
 */
#ifndef BFS_ENGINE_IMAGEFILE_H
#define BFS_ENGINE_IMAGEFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"

struct eng_imagefile {
	int fd;		     /* read-only, blocking, close-on-exec; -1 when closed */
	uint64_t bytes;	     /* the file's (or device's) size */
	uint64_t blocks;     /* its whole 2048-byte blocks */
	uint64_t volume_end; /* one past the last block the session's volume says it has */
	bool iso9660;	     /* the session starts with ISO 9660 descriptors (else UDF) */
	bool block_device;
	/*
	 * The file holds one session made for a later block of a disc (burnfs image
	 * --start-lba, mkisofs -C: its root directory lies past the file's end), so its size
	 * can only be checked against where it will go: eng_imagefile_open() leaves that
	 * check to eng_imagefile_check_size() with that block.
	 */
	bool made_for_later;
};

/*
 * Open path for reading the session that starts at block session_start. 0, or a negative
 * errno with a message in diag (-EINVAL: not a regular file or block device, or empty;
 * -ENXIO: the session start is past the end; -EUCLEAN: no volume descriptors; -ENODATA:
 * the file is shorter than its volume). On failure ret->fd is -1.
 */
int eng_imagefile_open(const char *path, uint64_t session_start, struct eng_imagefile *ret,
		       struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * The size check of eng_imagefile_open() for a file whose first block goes to block base
 * of a disc: -ENODATA ("cut short: the file has N blocks, its volume says M") when the
 * file is shorter than its volume from base on.
 */
int eng_imagefile_check_size(const struct eng_imagefile *f, const char *path, uint64_t base,
			     struct bfs_diag *diag) BFS_WARN_UNUSED;

/* Read n blocks at block lba of an open image file (an eng_read_fn): 0 or -errno. */
int eng_imagefile_read(void *imagefile, uint64_t lba, uint32_t n, uint8_t *buf);

/* Close (idempotent). */
void eng_imagefile_close(struct eng_imagefile *f);

#endif
