/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Growing an image file in place (`burnfs image --append`). See engine/grow.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "append-internal.h"
#include "common/io.h"
#include "engine/grow.h"
#include "engine/sink.h"
#include "medium.h"

#define BLOCK 2048u

struct grow_file {
	int fd;		    /* read-write */
	uint64_t old_bytes; /* the file's size before: cut back to it on failure */
	bool head_written;  /* the head rewrite began: put the old one back on failure */
	struct eng_grow_head head;
	struct eng_grow_inplace inplace; /* written after the head */
	struct eng_grow_front front;
};

/* Blocks past the end of the file read as zeros, as unrecorded blocks of a disc do. */
static int fio_read(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf)
{
	struct grow_file *g = userdata;
	size_t len = (size_t)n * BLOCK;
	ssize_t got = bfs_pread_full(g->fd, buf, len, (off_t)(lba * BLOCK));

	if (got < 0)
		return (int)got;
	memset(buf + got, 0, len - (size_t)got);
	return 0;
}

static int fio_write(void *userdata, uint64_t lba, uint32_t n, const uint8_t *buf)
{
	struct grow_file *g = userdata;

	return eng_sink_pwrite(g->fd, buf, (size_t)n * BLOCK, lba * BLOCK);
}

static int fio_sync(void *userdata)
{
	struct grow_file *g = userdata;

	return fsync(g->fd) < 0 ? -errno : 0;
}

/* The session from the stream: the front held back, the rest at its blocks past the end. */
static int write_body(struct grow_file *g, struct eng_image *img, uint64_t start, uint64_t total,
		      eng_progress_fn progress, void *userdata, const char *path,
		      struct bfs_diag *diag)
{
	uint64_t pos = 0;
	int r = eng_stream_start(img);

	while (r == 0 && pos < total) {
		const uint8_t *p;
		ssize_t n = eng_stream_peek(img, 512, &p);
		size_t k;

		if (progress && progress(pos, total, userdata) < 0)
			return bfs_diag_set(diag, -EINTR, "interrupted");
		if (n <= 0)
			return n < 0 ? (int)n
				     : bfs_diag_set(diag, -EIO,
						    "internal error: stream ended early");
		k = eng_grow_front_take(&g->front, pos, p, (size_t)n);
		/* past the old end of the file: zero blocks can stay holes */
		if ((size_t)n > k)
			r = eng_sink_sparse(g->fd, p + k * BLOCK, (size_t)n - k, start + pos + k);
		if (r < 0)
			r = bfs_diag_set(diag, r, "'%s': write error: %s", path, strerror(-r));
		eng_stream_consume(img, (size_t)n);
		pos += (uint64_t)n;
	}
	if (r == 0 && ftruncate(g->fd, (off_t)((start + total) * BLOCK)) < 0)
		r = bfs_diag_set(diag, -errno, "'%s': %s", path, strerror(errno));
	return r;
}

/*
 * The fault tests' hook: BURNFS_TEST_GROW_STOP=kill:STEP or eio:STEP, STEP head, main or
 * mirror, kills the process (SIGKILL) or fails the append with EIO right after that step's
 * fsync, so that each state between two steps can be looked at (tests/integration/
 * append-overwrite.sh image-steps). Unset: nothing.
 */
static int test_step(const char *what)
{
	const char *e = getenv("BURNFS_TEST_GROW_STOP"), *c = e ? strchr(e, ':') : NULL;

	if (!c || strcmp(c + 1, what) != 0)
		return 0;
	if (strncmp(e, "kill:", 5) == 0)
		raise(SIGKILL);
	return -EIO;
}

/* The front, then the head, then the blocks written in place, each followed by fsync. */
static int write_ends(struct grow_file *g, struct eng_image *img, uint64_t start,
		      uint64_t first_start, struct bfs_node *root, const char *path,
		      struct bfs_diag *diag)
{
	struct eng_grow_io io = {fio_read, fio_write, fio_sync, g};
	/* the rest on disk before the front, the front before the head */
	int r = fsync(g->fd) < 0 ? -errno : 0;

	if (r == 0)
		r = eng_sink_pwrite(g->fd, g->front.buf, g->front.blocks * BLOCK, start * BLOCK);
	if (r == 0 && fsync(g->fd) < 0)
		r = -errno;
	if (r < 0)
		return bfs_diag_set(diag, r, "'%s': write error: %s", path, strerror(-r));
	r = eng_grow_head_plan(&io, &g->front, first_start, root, &g->head, diag);
	if (r == 0)
		r = eng_image_inplace(img, &g->inplace);
	if (r == 0)
		r = eng_grow_inplace_save(&io, &g->inplace, diag);
	if (r < 0)
		return r;
	g->head_written = true;
	r = eng_grow_head_write(&io, &g->head, diag);
	if (r == 0 && (r = test_step("head")) < 0)
		return bfs_diag_set(diag, r, "stopped after the head");
	return r < 0 ? r : eng_grow_inplace_write(&io, &g->inplace, test_step, diag);
}

/* After a failure: the old head back, the file cut to its old size (byte for byte again). */
static void undo(struct grow_file *g)
{
	struct eng_grow_io io = {fio_read, fio_write, fio_sync, g};
	struct bfs_diag quiet = {0};

	/* best effort: the failure being reported is the first one */
	if (eng_grow_inplace_restore(&io, &g->inplace, &quiet) < 0)
		bfs_diag_clear(&quiet);
	if (g->head_written && eng_grow_head_restore(&io, &g->head, &quiet) < 0)
		bfs_diag_clear(&quiet);
	if (ftruncate(g->fd, (off_t)g->old_bytes) < 0)
		bfs_diag_clear(&quiet);
	(void)fsync(g->fd);
}

/* The merge with the image's newest tree, and the options it needs. */
static int merge(struct eng_medium *med, const struct eng_session *s, size_t n,
		 struct bfs_node *root, struct eng_image_opts *io, struct eng_append **app,
		 struct eng_grow_result *res, struct bfs_diag *diag)
{
	int r = eng_append_merge(eng_medium_read, med, &s[n - 1], &s[0], NULL, root, diag, app);

	if (r < 0)
		return r;
	/* write_ends() writes the changed directories' entries over the earlier ones */
	(*app)->prior.inplace = true;
	eng_append_apply(*app, true, io); /* the head is rewritten: libudfread reads it */
	res->appended = true;
	eng_append_info(*app, &res->append);
	if (!io->volume_id && res->append.volume_id[0])
		io->volume_id = res->append.volume_id; /* the image keeps its name */
	return 0;
}

/* The image file opened for the append: its sessions and where the next one goes. */
static int open_image(const char *path, struct eng_medium **med, struct eng_session **s, size_t *n,
		      uint64_t *next, struct bfs_diag *diag)
{
	int r = eng_medium_open(NULL, path, med, diag);

	if (r < 0)
		return r;
	if ((*med)->base || (*med)->file.block_device || (*med)->file.bytes % BLOCK)
		return bfs_diag_set(diag, -EXDEV,
				    "'%s': %s: only an image file of a whole disc from block 0 "
				    "grows in place",
				    path,
				    (*med)->base ? "it holds a session made for a later block"
				    : (*med)->file.block_device ? "a block device"
								: "not whole 2048-byte blocks");
	r = eng_grow_where(*med, BFS_ROUND_UP((*med)->file.blocks, (uint64_t)ENG_GROW_STEP), s, n,
			   next, diag);
	if (r == 0 && *n == 0)
		r = BFS_CORRUPT(diag, "'%s': no ISO 9660 or UDF session found", path);
	return r;
}

/* Write the planned image into the file: body, front, head; undone on failure. */
static int grow_write(const char *path, struct eng_image *img, uint64_t next, uint64_t first_start,
		      struct bfs_node *root, eng_progress_fn progress, void *userdata,
		      struct eng_grow_result *res, struct bfs_diag *diag)
{
	struct grow_file g = {.fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY)};
	struct eng_image_info info;
	struct stat st;
	int r;

	if (g.fd < 0 || fstat(g.fd, &st) < 0) {
		r = bfs_diag_set(diag, -errno, "'%s': cannot open for writing: %s", path,
				 strerror(errno));
		if (g.fd >= 0)
			close(g.fd);
		return r;
	}
	g.old_bytes = (uint64_t)st.st_size;
	r = eng_grow_front_init(&g.front);
	eng_image_info(img, &info);
	if (r == 0)
		r = write_body(&g, img, next, info.blocks, progress, userdata, path, diag);
	if (r == 0)
		r = write_ends(&g, img, next, first_start, root, path, diag);
	if (r < 0)
		undo(&g);
	res->start = next;
	res->blocks = info.blocks;
	res->udf_unseen = g.head.udf_unseen;
	eng_grow_front_done(&g.front);
	eng_grow_inplace_done(&g.inplace);
	if (close(g.fd) < 0 && r == 0)
		r = bfs_diag_set(diag, -errno, "'%s': %s", path, strerror(errno));
	return r;
}

int eng_image_grow(const char *path, struct bfs_node *root, const struct eng_image_opts *opts,
		   bool new_tree, eng_progress_fn progress, void *userdata,
		   struct eng_grow_result *ret, struct bfs_diag *diag)
{
	_cleanup_(eng_append_freep) struct eng_append *app = NULL; /* outlives img */
	_cleanup_(eng_image_freep) struct eng_image *img = NULL;
	_cleanup_(eng_medium_freep) struct eng_medium *med = NULL;
	_cleanup_free_ struct eng_session *s = NULL;
	struct eng_image_opts io = *opts;
	size_t n = 0;
	uint64_t next = 0;
	int r;

	*ret = (struct eng_grow_result){0};
	r = open_image(path, &med, &s, &n, &next, diag);
	if (r < 0)
		return r;
	ret->old_blocks = med->file.blocks;
	if (!new_tree) {
		r = merge(med, s, n, root, &io, &app, ret, diag);
		if (r < 0)
			return r;
	}
	io.start_lba = next;
	io.manifest = true;
	r = eng_image_new(&io, root, diag, &img);
	if (r < 0)
		return r;
	r = grow_write(path, img, next, s[0].start, root, progress, userdata, ret, diag);
	ret->sessions = n + (r == 0);
	return r;
}
