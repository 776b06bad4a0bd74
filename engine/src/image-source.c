/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A file's source read for the image: by the producer of the stream (image.c) and by each
 * lane of the direct write (image-write.c), each with a struct img_src of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/tree.h"

#include "image-internal.h"

void img_src_init(struct img_src *s, struct bfs_diag *diag)
{
	*s = (struct img_src){.fd = -1, .dir_fd = -1, .diag = diag};
}

void img_src_release(struct img_src *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	s->fd = s->dir_fd = -1;
	s->dir_node = NULL;
}

/*
 * Open a file's source for reading. Its stat is not asked again here: the scan's is what
 * the plan was made from, and img_src_close() compares the file with it once it is read (a
 * file changed before or while it was read fails there; reads stop at the scanned size).
 * O_NONBLOCK: a file replaced by a FIFO meanwhile must not block the open.
 */
int img_src_open(struct img_src *s, struct bfs_node *f)
{
	int r;

	r = bfs_node_src_path(f, s->path, sizeof(s->path));
	if (r < 0) {
		_cleanup_free_ char *ip = bfs_node_path(f);

		return bfs_diag_set(s->diag, r, "'%s': no source path: %s", ip ? ip : f->name,
				    strerror(-r));
	}
	if (!f->src_path && f->parent != s->dir_node) {
		/* files of one directory come one after another: open them relative to it */
		if (s->dir_fd >= 0)
			close(s->dir_fd);
		s->dir_node = f->parent;
		s->dir_fd = open(f->parent->src_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (!f->src_path && s->dir_fd >= 0)
		s->fd = openat(s->dir_fd, f->name,
			       O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	else
		s->fd = open(s->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (s->fd < 0)
		return bfs_diag_set(s->diag, -errno, "'%s': cannot open: %m", s->path);
	if (f->size >= (1u << 20))
		(void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	s->hole_end = 0;
	/*
	 * Look for holes (SEEK_DATA/SEEK_HOLE) only when the file had fewer blocks allocated
	 * than its size at the scan: that saves two system calls per small file. Holes missed
	 * this way are read as zeros, which is what they are.
	 */
	s->data_end = f->flags & BFS_NODE_SPARSE ? 0 : f->size;
	return 0;
}

int img_src_close(struct img_src *s, const struct bfs_node *f)
{
	struct stat st;
	int r = 0;

	if (fstat(s->fd, &st) < 0)
		r = bfs_diag_set(s->diag, -errno, "'%s': %m", s->path);
	else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != f->size ||
		 st.st_mtim.tv_sec != f->src_mtime.sec ||
		 (uint32_t)st.st_mtim.tv_nsec != f->src_mtime.nsec)
		r = bfs_diag_set(s->diag, -ESTALE,
				 "'%s': changed while it was being read (size or mtime)", s->path);
	close(s->fd);
	s->fd = -1;
	return r;
}

void img_src_seek_data(struct img_src *s, const struct bfs_node *f, uint64_t off)
{
	off_t d = lseek(s->fd, (off_t)off, SEEK_DATA), h;

	if (d < 0) {
		if (errno != ENXIO)
			d = (off_t)off, h = (off_t)f->size; /* no SEEK_DATA here: all data */
		else
			d = (off_t)f->size, h = (off_t)f->size; /* a hole to the end */
	} else {
		h = lseek(s->fd, d, SEEK_HOLE);
		if (h < 0)
			h = (off_t)f->size;
	}
	s->hole_end = (uint64_t)d;
	s->data_end = BFS_MAX((uint64_t)h, (uint64_t)d);
	if (s->data_end == off && off < f->size)
		s->data_end = f->size; /* be safe: read the rest */
	if (s->hole_end > f->size)
		s->hole_end = f->size;
}

/* Read file bytes [off, off+len) into buf, skipping holes. */
int img_src_read(struct img_src *s, const struct bfs_node *f, uint64_t off, uint8_t *buf,
		 size_t len)
{
	while (len > 0) {
		size_t n;
		ssize_t got;

		if (off >= s->data_end)
			img_src_seek_data(s, f, off);
		if (off < s->hole_end) {
			n = (size_t)BFS_MIN((uint64_t)len, s->hole_end - off);
			memset(buf, 0, n);
		} else {
			n = (size_t)BFS_MIN((uint64_t)len, s->data_end - off);
			got = pread(s->fd, buf, n, (off_t)off);
			if (got < 0) {
				if (errno == EINTR)
					continue;
				return bfs_diag_set(s->diag, -errno, "'%s': read error: %m",
						    s->path);
			}
			if (got == 0)
				return bfs_diag_set(s->diag, -ESTALE,
						    "'%s': shrank while it was being read",
						    s->path);
			n = (size_t)got;
		}
		buf += n;
		off += n;
		len -= n;
	}
	return 0;
}
