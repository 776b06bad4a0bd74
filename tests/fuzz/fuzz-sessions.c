/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for what an append reads of a disc: the input is an image file; its sessions
 * are listed (the volume descriptor chain, a grown image's head, sessions made for a later
 * block), each session's tree is opened and counted, and the last session's tree is merged
 * under an empty new tree as a burn would (engine/append.h: kept extents, the old
 * manifest's lines, UDF entries matched by path, files copied from the disc). Built as a
 * libFuzzer target with -Dfuzzing=true (clang); otherwise as a replay driver for the test
 * suite: fuzz-sessions [--mutations N] FILE... (copies go to $TMPDIR).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tree.h"
#include "engine/append.h"
#include "engine/sessions.h"
#include "replay-driver.h"

/* The input as a file (the medium opens images by path), in memory. */
static int input_file(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz-sessions", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* Merge the session's tree under an empty one, as an append onto this disc would. */
static void merge(struct eng_medium *med, const struct eng_session *s,
		  const struct eng_session *first)
{
	struct bfs_node *root = bfs_node_new("", 0, BFS_NODE_DIR);
	struct bfs_diag diag = {0};
	struct eng_append *a = NULL;
	struct eng_append_info info;

	if (!root)
		return;
	root->mode = 0755;
	if (bfs_tree_finalize(root) == 0 &&
	    eng_append_merge(eng_medium_read, med, s, first, NULL, root, &diag, &a) == 0) {
		eng_append_info(a, &info);
		/* what is kept lies in the disc, below the session that merges it */
		if (info.kept && info.partition_start > s->start + s->length)
			abort();
	}
	eng_append_free(a);
	bfs_node_free(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = input_file(data, size, path, sizeof(path));
	struct eng_medium *med = NULL;
	struct eng_session *s = NULL;
	struct bfs_diag diag = {0};
	size_t n = 0;

	if (fd < 0)
		return 0;
	if (eng_medium_open(NULL, path, &med, &diag) == 0 &&
	    eng_sessions_list(med, &s, &n, &diag) == 0) {
		if (!n || n > ENG_SESSIONS_MAX)
			abort();
		for (size_t i = 0; i < n && i < 8; i++) {
			char disagree[256];
			struct bfs_diag d = {0};

			if (i && s[i].start < s[i - 1].start)
				abort(); /* sessions come first to last */
			if (eng_session_count(med, &s[i], disagree, sizeof(disagree), &d) == 0 &&
			    !s[i].counted)
				abort();
		}
		merge(med, &s[n - 1], &s[0]);
	}
	free(s);
	eng_medium_free(med);
	close(fd);
	return 0;
}

#ifndef BFS_LIBFUZZER
/* A few bytes changed, mostly in the first 300 blocks (descriptors, anchors, directories). */
size_t fuzz_mutate(uint8_t *mut, const uint8_t *data, size_t size, uint64_t *seed)
{
	unsigned nflip = 1 + (unsigned)(fuzz_next_rand(seed) % 8);

	memcpy(mut, data, size);
	if (!size)
		return 0;
	for (unsigned j = 0; j < nflip; j++) {
		uint64_t lim = fuzz_next_rand(seed) % 4 ? BFS_MIN((uint64_t)size, 300u * 2048)
							: (uint64_t)size;

		mut[fuzz_next_rand(seed) % lim] = (uint8_t)fuzz_next_rand(seed);
	}
	return size;
}

static void quiet(int level, const char *msg, void *userdata)
{
	(void)level, (void)msg, (void)userdata;
}

int main(int argc, char **argv)
{
	bfs_log_set_sink(quiet, NULL); /* hostile images make many warnings */
	return fuzz_replay_main(argc, argv, 100);
}
#endif
