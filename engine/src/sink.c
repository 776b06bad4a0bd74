/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Block sinks. See engine/sink.h.
 */
#include "engine/sink.h"

#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include "common/extent.h"
#include "common/macro.h"

int eng_sink_pwrite(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t w = pwrite(fd, p, BFS_MIN(len, (size_t)BFS_WRITE_PIECE), (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w, len -= (size_t)w, off += (uint64_t)w;
	}
	return 0;
}

int eng_sink_stream(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, BFS_MIN(len, (size_t)BFS_WRITE_PIECE));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w, len -= (size_t)w;
	}
	return 0;
}

static bool zero_block(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)(const void *)p;

	for (size_t i = 0; i < BFS_BLOCK_SIZE / 8; i++)
		if (q[i])
			return false;
	return true;
}

int eng_sink_sparse(int fd, const uint8_t *buf, size_t n, uint64_t pos)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		bool z = zero_block(buf + i * BFS_BLOCK_SIZE);
		int r;

		while (j < n && zero_block(buf + j * BFS_BLOCK_SIZE) == z)
			j++;
		if (!z) {
			r = eng_sink_pwrite(fd, buf + i * BFS_BLOCK_SIZE, (j - i) * BFS_BLOCK_SIZE,
					    (pos + i) * BFS_BLOCK_SIZE);
			if (r < 0)
				return r;
		}
		i = j;
	}
	return 0;
}
