/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Block sinks. See engine/sink.h.
 */
#include "engine/sink.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
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

bool eng_block_is_zero(const uint8_t *p)
{
	/* each byte equal to the next, the first zero: any alignment, libc's memcmp speed */
	return p[0] == 0 && memcmp(p, p + 1, BFS_BLOCK_SIZE - 1) == 0;
}

int eng_sink_nonzero(const uint8_t *buf, size_t n, uint64_t at, eng_sink_put_fn put, void *userdata)
{
	size_t i = 0;

	while (i < n) {
		bool z = eng_block_is_zero(buf + i * BFS_BLOCK_SIZE);
		size_t j = i + 1;
		int r;

		while (j < n && eng_block_is_zero(buf + j * BFS_BLOCK_SIZE) == z)
			j++;
		if (!z) {
			r = put(userdata, buf + i * BFS_BLOCK_SIZE, (j - i) * BFS_BLOCK_SIZE,
				at + i * BFS_BLOCK_SIZE);
			if (r < 0)
				return r;
		}
		i = j;
	}
	return 0;
}

static int put_pwrite(void *userdata, const uint8_t *p, size_t len, uint64_t at)
{
	return eng_sink_pwrite(*(const int *)userdata, p, len, at);
}

int eng_sink_sparse(int fd, const uint8_t *buf, size_t n, uint64_t pos)
{
	return eng_sink_nonzero(buf, n, pos * BFS_BLOCK_SIZE, put_pwrite, &fd);
}

int eng_sink_image(struct eng_image *img, int fd, bool sparse, const char *name,
		   eng_progress_fn progress, void *userdata, struct bfs_diag *diag)
{
	struct eng_image_info info;
	const uint8_t *buf;
	uint64_t pos = 0;
	int r = eng_stream_start(img);

	if (r < 0)
		return r;
	eng_image_info(img, &info);
	while (pos < info.blocks) {
		ssize_t n = eng_stream_peek(img, ENG_CHUNK_BLOCKS, &buf);

		if (n <= 0) {
			r = (int)n;
			break;
		}
		r = sparse ? eng_sink_sparse(fd, buf, (size_t)n, pos)
			   : eng_sink_stream(fd, buf, (size_t)n * BFS_BLOCK_SIZE);
		eng_stream_consume(img, (size_t)n);
		if (r < 0) {
			bfs_diag_clear(diag);
			return bfs_diag_set(diag, r, "'%s': write error: %s", name, strerror(-r));
		}
		pos += (uint64_t)n;
		if (progress && progress(pos, info.blocks, userdata) < 0)
			return bfs_diag_set(diag, -ECANCELED, "cancelled");
	}
	if (r < 0)
		return r;
	if (pos != info.blocks)
		return bfs_diag_set(diag, -EIO, "internal error: streamed %llu blocks of %llu",
				    (unsigned long long)pos, (unsigned long long)info.blocks);
	return 0;
}
