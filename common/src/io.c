/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "common/io.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

int bfs_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int bfs_pwrite_all(int fd, const void *p, size_t n, off_t off)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = pwrite(fd, b, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		b += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

ssize_t bfs_pread_full(int fd, void *p, size_t n, off_t off)
{
	uint8_t *b = p;
	size_t done = 0;

	while (done < n) {
		ssize_t g = pread(fd, b + done, n - done, off + (off_t)done);

		if (g < 0 && errno == EINTR)
			continue;
		if (g < 0)
			return -errno;
		if (g == 0)
			break;
		done += (size_t)g;
	}
	return (ssize_t)done;
}
