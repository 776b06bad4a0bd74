/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's block sinks: a sparse write puts every non-zero block where it belongs and
 * leaves runs of zero blocks as holes (SEEK_DATA/SEEK_HOLE on the file system under /tmp),
 * across writes larger than one piece; a stream write delivers every byte in order through
 * a pipe, zeros included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/extent.h"
#include "engine/sink.h"

enum { NBLOCKS = 400 }; /* 800 KiB: several pieces */

/* blocks 0-9 data, 10-199 zero, 200-329 data (more than one piece), 330-399 zero */
static uint8_t *pattern(void)
{
	uint8_t *b = calloc(NBLOCKS, BFS_BLOCK_SIZE);

	assert_non_null(b);
	for (size_t i = 0; i < NBLOCKS; i++)
		if (i < 10 || (i >= 200 && i < 330))
			memset(b + i * BFS_BLOCK_SIZE, (int)(i % 250) + 1, BFS_BLOCK_SIZE);
	return b;
}

static void test_sparse(void **state)
{
	char path[] = "/tmp/burnfs-sink.XXXXXX";
	int fd = mkstemp(path);
	uint8_t *b = pattern(), *back = malloc((size_t)NBLOCKS * BFS_BLOCK_SIZE);
	off_t data, hole;

	(void)state;
	assert_true(fd >= 0 && back);
	unlink(path);
	/* written at block 5 of the file, as a session's blocks are */
	assert_int_equal(eng_sink_sparse(fd, b, NBLOCKS, 5), 0);
	assert_int_equal(ftruncate(fd, (off_t)(NBLOCKS + 5) * BFS_BLOCK_SIZE), 0);
	assert_int_equal(pread(fd, back, (size_t)NBLOCKS * BFS_BLOCK_SIZE, 5 * BFS_BLOCK_SIZE),
			 (ssize_t)NBLOCKS * BFS_BLOCK_SIZE);
	assert_memory_equal(back, b, (size_t)NBLOCKS * BFS_BLOCK_SIZE);
	/* the zero runs are holes (where the file system keeps holes at 4 KiB granularity) */
	data = lseek(fd, 0, SEEK_DATA);
	hole = lseek(fd, data, SEEK_HOLE);
	if (data >= 0 && hole >= 0 && hole < (off_t)(NBLOCKS + 5) * BFS_BLOCK_SIZE) {
		assert_true(data >= 4 * BFS_BLOCK_SIZE && data <= 5 * BFS_BLOCK_SIZE);
		assert_true(hole >= 15 * BFS_BLOCK_SIZE && hole <= 16 * BFS_BLOCK_SIZE);
		assert_true(lseek(fd, hole, SEEK_DATA) >= 204 * BFS_BLOCK_SIZE);
	}
	close(fd);
	free(b);
	free(back);
}

struct reader {
	int fd;
	uint8_t *got;
	size_t len;
};

static void *drain(void *arg)
{
	struct reader *rd = arg;
	size_t o = 0;
	ssize_t n;

	while (o < rd->len && (n = read(rd->fd, rd->got + o, rd->len - o)) > 0)
		o += (size_t)n;
	rd->len = o;
	return NULL;
}

static void test_stream(void **state)
{
	uint8_t *b = pattern();
	size_t len = (size_t)NBLOCKS * BFS_BLOCK_SIZE;
	struct reader rd = {.got = malloc(len), .len = len};
	pthread_t t;
	int p[2];

	(void)state;
	assert_non_null(rd.got);
	assert_int_equal(pipe(p), 0);
	rd.fd = p[0];
	assert_int_equal(pthread_create(&t, NULL, drain, &rd), 0);
	assert_int_equal(eng_sink_stream(p[1], b, len), 0);
	close(p[1]);
	pthread_join(t, NULL);
	close(p[0]);
	assert_int_equal(rd.len, len);
	assert_memory_equal(rd.got, b, len);
	free(rd.got);
	free(b);
}

/* a closed pipe is an error the caller sees, not a crash (SIGPIPE ignored, as the CLI does) */
static void test_stream_epipe(void **state)
{
	uint8_t b[BFS_BLOCK_SIZE] = {1};
	int p[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(eng_sink_stream(p[1], b, sizeof(b)), -EPIPE);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sparse),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_stream_epipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
