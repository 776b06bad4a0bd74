/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image written straight into a file (eng_image_write_fd(), image-write.c): the same
 * bytes as the stream, with and without the manifest, around the page cache and through
 * it; holes of a sparse file stay holes; a cancel stops it soon; a write error is named; a
 * file system that refuses a direct write gets the rest through the page cache. Linked with
 * --wrap=pwrite64 (tests/engine/meson.build) for that refusal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/tree.h"
#include "engine/image.h"
#include "pattern-file.h"

static char tmpl[] = "/tmp/burnfs-imgwrite.XXXXXX";

/* --wrap=pwrite64: when refuse_direct, a write to a descriptor opened O_DIRECT fails EINVAL */
ssize_t __real_pwrite64(int fd, const void *p, size_t n, off_t off);
ssize_t __wrap_pwrite64(int fd, const void *p, size_t n, off_t off);
static bool refuse_direct;
static unsigned refused;

ssize_t __wrap_pwrite64(int fd, const void *p, size_t n, off_t off)
{
	int fl = fcntl(fd, F_GETFL);

	if (refuse_direct && fl >= 0 && (fl & O_DIRECT)) {
		__atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
		errno = EINVAL;
		return -1;
	}
	return __real_pwrite64(fd, p, n, off);
}
static char sparse_tmpl[] = "/tmp/burnfs-imgwrite-sparse.XXXXXX";

/* A file of size bytes, all hole but 4 KiB of data at data_at. */
static void put_sparse(const char *dir, const char *name, off_t size, off_t data_at)
{
	char p[1100], buf[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(ftruncate(fd, size), 0);
	assert_int_equal(pwrite(fd, buf, sizeof(buf), data_at), (ssize_t)sizeof(buf));
	close(fd);
}

static int setup(void **state)
{
	char d[512];

	(void)state;
	if (!mkdtemp(tmpl) || !mkdtemp(sparse_tmpl))
		return -1;
	snprintf(d, sizeof(d), "%s/many", tmpl);
	mkdir(d, 0755);
	put_file(tmpl, "a", 5000, 1);
	put_file(tmpl, "big", 9 * 1024 * 1024 + 77, 2); /* three buffers of a lane */
	for (unsigned i = 0; i < 300; i++) {		/* runs of small files: units */
		char n[16];

		snprintf(n, sizeof(n), "f%03u", i);
		put_file(d, n, i * 97 % 7000, i);
	}
	put_file(d, "empty", 0, 4);
	put_sparse(tmpl, "sparse", 10 << 20, 5 << 20);
	/* cancel: 4 GiB of holes, seconds of hashing zeros */
	put_sparse(sparse_tmpl, "huge", (off_t)4 << 30, 1 << 20);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", tmpl, sparse_tmpl);
	return system(cmd) == 0 ? 0 : -1;
}

struct built {
	struct bfs_node *root;
	struct eng_image *img;
	struct eng_image_info info;
	struct bfs_diag diag;
};

static void build(struct built *b, const char *dir, bool manifest, bool page_cache)
{
	struct eng_source src = {.path = dir};
	struct eng_scan_opts so = {.have_epoch = true, .epoch = 1700000000};
	struct eng_image_opts io = {.media = ENG_MEDIA_DVD,
				    .have_epoch = true,
				    .epoch = 1700000000,
				    .manifest = manifest,
				    .page_cache = page_cache};

	memset(b, 0, sizeof(*b));
	assert_int_equal(eng_scan(&src, 1, &so, &b->diag, &b->root), 0);
	assert_int_equal(eng_image_new(&io, b->root, &b->diag, &b->img), 0);
	eng_image_info(b->img, &b->info);
}

static void built_done(struct built *b)
{
	eng_image_free(b->img);
	bfs_node_free(b->root);
}

/* The image through the stream, in memory. */
static uint8_t *streamed(bool manifest, uint64_t *ret_blocks)
{
	struct built b;
	uint8_t *all;
	uint64_t got = 0;

	build(&b, tmpl, manifest, false);
	all = malloc(b.info.blocks * 2048);
	assert_non_null(all);
	assert_int_equal(eng_stream_start(b.img), 0);
	for (;;) {
		ssize_t n = eng_stream_read(b.img, all + got * 2048, 300);

		assert_true(n >= 0);
		if (n == 0)
			break;
		got += (uint64_t)n;
	}
	assert_int_equal(got, b.info.blocks);
	*ret_blocks = got;
	built_done(&b);
	return all;
}

struct progress {
	uint64_t last, total;
	unsigned calls;
	int answer;
};

static int on_progress(uint64_t done, uint64_t total, void *userdata)
{
	struct progress *p = userdata;

	assert_true(done <= total);
	p->last = done;
	p->total = total;
	p->calls++;
	return p->answer;
}

/* The image written into a new file; its bytes (and the file's descriptor in *ret_fd). */
static uint8_t *written(bool manifest, bool page_cache, uint64_t *ret_blocks, int *ret_fd)
{
	char path[] = "/tmp/burnfs-imgwrite-out.XXXXXX";
	struct progress p = {0};
	struct built b;
	uint8_t *all;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	build(&b, tmpl, manifest, page_cache);
	assert_int_equal(eng_image_write_fd(b.img, fd, on_progress, &p), 0);
	assert_int_equal(ftruncate(fd, (off_t)(b.info.blocks * 2048)), 0);
	assert_int_equal(p.last, b.info.blocks); /* the last call says all done */
	all = malloc(b.info.blocks * 2048);
	assert_non_null(all);
	assert_int_equal(pread(fd, all, b.info.blocks * 2048, 0), (ssize_t)(b.info.blocks * 2048));
	*ret_blocks = b.info.blocks;
	*ret_fd = fd;
	built_done(&b);
	return all;
}

static void same_bytes(bool manifest, bool page_cache)
{
	uint64_t ns, nw;
	uint8_t *s = streamed(manifest, &ns);
	int fd;
	uint8_t *w = written(manifest, page_cache, &nw, &fd);

	assert_int_equal(ns, nw);
	assert_memory_equal(s, w, ns * 2048);
	close(fd);
	free(s);
	free(w);
}

static void test_manifest_direct(void **state)
{
	(void)state;
	same_bytes(true, false);
}

static void test_manifest_page_cache(void **state)
{
	(void)state;
	same_bytes(true, true);
}

static void test_copy_direct(void **state)
{
	(void)state;
	same_bytes(false, false);
}

static void test_copy_in_kernel(void **state)
{
	(void)state;
	same_bytes(false, true);
}

/* Direct writes refused (a file system wanting other alignment): the same bytes all the same. */
static void test_direct_refused(void **state)
{
	(void)state;
	refuse_direct = true;
	refused = 0;
	same_bytes(true, false);
	same_bytes(false, false);
	refuse_direct = false;
	assert_true(refused >= 2); /* once per image: then every write takes the page cache */
}

/* The sparse file's hole is a hole of the image too (where the file system keeps holes). */
static void test_holes_stay(void **state)
{
	char p[600];
	uint64_t n;
	int fd, sfd;
	uint8_t *w;
	struct built b;
	const struct bfs_node *f;
	off_t at, hole;

	(void)state;
	snprintf(p, sizeof(p), "%s/sparse", tmpl);
	sfd = open(p, O_RDONLY);
	assert_true(sfd >= 0);
	hole = lseek(sfd, 0, SEEK_HOLE);
	close(sfd);
	if (hole != 0)
		skip(); /* this file system does not show holes */
	for (int pc = 0; pc < 2; pc++) {
		w = written(true, pc, &n, &fd);
		build(&b, tmpl, true, pc);
		f = bfs_node_find_child(b.root, "sparse", 6);
		assert_non_null(f);
		at = (off_t)(f->data_lba * 2048);
		/* its first MiB is zeros, not written: a hole in the image */
		assert_true(lseek(fd, at + 4096, SEEK_DATA) >= at + (1 << 20));
		assert_int_equal(w[at + (5 << 20)], 0x5a);
		built_done(&b);
		close(fd);
		free(w);
	}
}

/* A negative answer from progress stops the lanes within a tick or two. */
static void test_cancel(void **state)
{
	char path[] = "/tmp/burnfs-imgwrite-out.XXXXXX";
	struct progress p = {.answer = -1};
	struct built b;
	struct timespec t0, t1;
	int fd = mkstemp(path), r;

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	build(&b, sparse_tmpl, true, false);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = eng_image_write_fd(b.img, fd, on_progress, &p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(r, -ECANCELED);
	assert_int_equal(p.calls, 1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	assert_non_null(strstr(bfs_diag_msg(&b.diag, r), "interrupted"));
	built_done(&b);
	close(fd);
}

/* A write that fails (a full device) fails the image, saying why. */
static void test_write_error(void **state)
{
	struct built b;
	int fd = open("/dev/full", O_WRONLY), r;

	(void)state;
	if (fd < 0)
		skip();
	build(&b, tmpl, true, false);
	r = eng_image_write_fd(b.img, fd, NULL, NULL);
	assert_int_equal(r, -ENOSPC);
	assert_non_null(strstr(bfs_diag_msg(&b.diag, r), "write error"));
	built_done(&b);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest_direct), cmocka_unit_test(test_manifest_page_cache),
		cmocka_unit_test(test_copy_direct),	cmocka_unit_test(test_copy_in_kernel),
		cmocka_unit_test(test_holes_stay),	cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_write_error),	cmocka_unit_test(test_direct_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
