/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the staging mount's edits log (engine/edits.h): the input is the log file
 * as the staging directory holds it (a crash, a full disc or a hand may have damaged it). It
 * is opened (replayed, a torn line cut, compacted when due), its records listed, and the
 * rule checked on them: each MOVE or LINK target shows its record's node; then a few changes
 * are made, the log reopened, and the same records must come back. Built as a libFuzzer
 * target with -Dfuzzing=true (clang); otherwise as a replay driver for the test suite:
 * fuzz-edits [--mutations N] FILE... (the logs go to a directory of $TMPDIR).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/macro.h"
#include "engine/edits.h"
#include "replay-driver.h"

#define ID "s1@0+100:fuzz"

static int dirfd_get(void)
{
	static int fd = -1;
	char *dir;

	if (fd >= 0)
		return fd;
	if (asprintf(&dir, "%s/burnfs-fuzz-edits.XXXXXX",
		     getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") < 0 ||
	    !mkdtemp(dir))
		abort();
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		abort();
	return fd;
}

/* Every record as one string, and the rule's check on each target. */
struct dump {
	const struct eng_edits *e;
	char *s;
	size_t n, cap;
};

static int dump_one(const char *kind, const char *disc, const char *target,
		    const struct eng_attr *a, void *userdata)
{
	struct dump *d = userdata;
	size_t need = strlen(kind) + strlen(disc) + (target ? strlen(target) : 0) + 64;
	char *o = NULL;

	if (BFS_GROW(d->s, d->cap, d->n + need) < 0)
		return -ENOMEM;
	d->n += (size_t)snprintf(d->s + d->n, d->cap - d->n, "%s\t%s\t%s\t%x;", kind, disc,
				 target ? target : "", a ? a->mask : 0);
	if (!target)
		return 0;
	if (eng_edits_origin(d->e, target, &o) < 0)
		return -ENOMEM;
	if (!o || strcmp(o, disc) != 0)
		abort(); /* a target shows its own record's node */
	free(o);
	return 0;
}

static char *dump(const struct eng_edits *e)
{
	struct dump d = {.e = e};

	if (eng_edits_foreach(e, dump_one, &d) < 0 || BFS_GROW(d.s, d.cap, d.n + 1) < 0) {
		free(d.s);
		return NULL;
	}
	d.s[d.n] = '\0';
	return d.s;
}

static int in_dir(const char *name, const char *disc, void *userdata)
{
	(void)disc;
	(void)userdata;
	if (!*name || strchr(name, '/'))
		abort(); /* one component */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int dfd = dirfd_get(),
	    fd = openat(dfd, "edits", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct eng_edits *e = NULL;
	struct bfs_diag diag = {0};
	char *before = NULL, *after = NULL;
	int r;

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	r = eng_edits_open(dfd, "edits", ID, &diag, &e);
	if ((r == 0 || r == -EXDEV) != (e != NULL))
		abort(); /* *ret set exactly then */
	if (!e)
		return 0;
	(void)eng_edits_foreach_in(e, "", in_dir, NULL);
	if (r == 0) {
		/* changes of every kind, then the log read again: the same records */
		struct eng_attr a = {.mask = ENG_ATTR_MODE, .mode = 0700};

		/* refusals (-EEXIST where the log put a target already) are no failure */
		int q[] = {eng_edits_rename(e, "a", "b\tc", "a", &diag),
			   eng_edits_delete(e, "d", "d", &diag),
			   eng_edits_link(e, "f", "g\n", &diag),
			   eng_edits_set_attr(e, "b", &a, &diag)};

		for (size_t i = 0; i < sizeof(q) / sizeof(*q); i++)
			if (q[i] < 0 && q[i] != -EEXIST)
				abort();
		before = dump(e);
		e = eng_edits_free(e);
		if (eng_edits_open(dfd, "edits", ID, &diag, &e) < 0)
			abort(); /* what it wrote reads back */
		after = dump(e);
		if (before && after && strcmp(before, after) != 0)
			abort();
	} else {
		free(dump(e));
	}
	free(before);
	free(after);
	eng_edits_free(e);
	return 0;
}

#ifndef BFS_LIBFUZZER
/* Bytes changed, cut or doubled: mostly the bytes that structure a line (tab, newline, \). */
size_t fuzz_mutate(uint8_t *mut, const uint8_t *data, size_t size, uint64_t *seed)
{
	static const uint8_t special[] = {'\t', '\n', '\\', 'x', '-', '/', '0', 'm', 'l', 'R'};
	unsigned nflip = 1 + (unsigned)(fuzz_next_rand(seed) % 4);
	size_t len = size;

	memcpy(mut, data, size);
	if (!size)
		return 0;
	if (fuzz_next_rand(seed) % 4 == 0)
		len = (size_t)(fuzz_next_rand(seed) % size) + 1; /* torn */
	for (unsigned j = 0; j < nflip; j++) {
		uint64_t v = fuzz_next_rand(seed);

		mut[fuzz_next_rand(seed) % len] =
			v % 3 ? special[v % sizeof(special)] : (uint8_t)(v >> 8);
	}
	return len;
}

int main(int argc, char **argv)
{
	return fuzz_replay_main(argc, argv, 2000);
}
#endif
