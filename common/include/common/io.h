/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Small file-descriptor helpers shared by every layer. */
#include <stddef.h>
#include <sys/types.h>

/*
 * Write all n bytes of p to fd, again after a short write or EINTR: 0, or -errno (-EIO when
 * write() wrote nothing without saying why).
 */
int bfs_write_all(int fd, const void *p, size_t n);

/* Write all n bytes of p at offset off of fd (pwrite() until done): 0 or -errno, as above. */
int bfs_pwrite_all(int fd, const void *p, size_t n, off_t off);

/*
 * Read n bytes at offset off of fd into p (pread() again after a short read or EINTR), up to
 * the end of the file: the count read (less than n only at the end), or -errno.
 */
ssize_t bfs_pread_full(int fd, void *p, size_t n, off_t off);
