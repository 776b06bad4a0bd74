/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disc under the staging mount (fuse/src/lower.h) over a virtual BD-R that `burnfs burn`
 * wrote two sessions to: the last session's tree (the first's files carried over), an older
 * session by number, a blank disc, reads of file data, the generation, and the drive let go
 * during a commit (suspend) and taken again by the next load.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "test-sh.h"

#include "engine/edits.h"
#include "lower.h"

struct fixture {
	char dir[64];
	char drive[128];
	char vd[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *b = getenv("BURNFS");

	if (!f || !b)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/burnfs-lower.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->vd, sizeof(f->vd), "%s/vd", f->dir);
	snprintf(f->drive, sizeof(f->drive), "vdrive:%s", f->vd);
	sh("set -e; cd '%s'; mkdir -p a/sub b; printf one > a/one.txt; printf 'x%%.0s' $(seq 5000) "
	   "> a/sub/big.bin; ln -s one.txt a/link; printf two > b/two.txt;"
	   "'%s' vdrive create vd --media bd-r >/dev/null;"
	   "'%s' burn a --drive vdrive:vd --verify none >/dev/null 2>&1;"
	   "'%s' burn b --drive vdrive:vd --verify none >/dev/null 2>&1",
	   f->dir, b, b, b);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	free(f);
	return system(cmd) == 0 ? 0 : -1;
}

static struct stg_lower *load(struct fixture *f, unsigned session)
{
	struct stg_lower *l = NULL;
	struct bfs_diag diag = {0};

	assert_int_equal(stg_lower_new(f->drive, &l), 0);
	assert_int_equal(stg_lower_load(l, session, &diag), 0);
	return l;
}

struct names {
	char buf[256];
	size_t o;
};

static int add_name(const char *name, stg_lid id, const struct stat *st, void *userdata)
{
	struct names *n = userdata;

	(void)id;
	(void)st;
	n->o += (size_t)snprintf(n->buf + n->o, sizeof(n->buf) - n->o, "%s%s", n->o ? "," : "",
				 name);
	return 0;
}

/* The node at path in the loaded generation. */
static stg_lid at(struct stg_lower *l, const char *path, uint64_t *gen)
{
	stg_lid id = 0;

	assert_int_equal(stg_lower_find(l, path, gen, &id), 0);
	return id;
}

/* The last session shows both sessions' files (the append carried the first's tree). */
static void test_last_session(void **state)
{
	_cleanup_(stg_lower_freep) struct stg_lower *l = load(*state, 0);
	struct names nm = {0};
	uint64_t gen;
	struct stg_lower_info li;
	struct stat st;
	char buf[64], *path = NULL;
	stg_lid id, sub;

	assert_true(stg_lower_present(l));
	stg_lower_info(l, &li);
	assert_int_equal(li.number, 2);
	assert_int_equal(li.count, 2);
	/* its trees and manifest: the session less the one block of two.txt's data */
	assert_true(li.meta_blocks > 16 && li.meta_blocks < 1024);
	assert_int_equal(
		stg_lower_foreach(l, stg_lower_generation(l), STG_LOWER_ROOT, add_name, &nm), 0);
	assert_string_equal(nm.buf, ".burnfs,link,one.txt,sub,two.txt");
	assert_int_equal(li.dirs, 3); /* the root, .burnfs, sub */

	id = at(l, "link", &gen);
	assert_int_equal(stg_lower_stat(l, gen, id, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_true(st.st_ino & STG_LOWER_INO_BIT);
	assert_int_equal(stg_lower_readlink(l, gen, id, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "one.txt");
	assert_int_equal(stg_lower_readlink(l, gen, id, buf, 4), -ENAMETOOLONG);
	assert_int_equal(stg_lower_readlink(l, gen, STG_LOWER_ROOT, buf, sizeof(buf)), -EINVAL);

	sub = at(l, "sub", &gen);
	assert_int_equal(stg_lower_stat(l, gen, sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(stg_lower_child(l, gen, sub, "big.bin", &id), 0);
	assert_int_equal(stg_lower_path(l, gen, id, &path), 0);
	assert_string_equal(path, "sub/big.bin");
	free(path);
	assert_int_equal(stg_lower_path(l, gen, STG_LOWER_ROOT, &path), 0);
	assert_string_equal(path, "");
	free(path);
	assert_int_equal(stg_lower_stat(l, gen, STG_LOWER_ROOT, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* names that are prefixes of others, and what is not there */
	assert_int_equal(stg_lower_child(l, gen, STG_LOWER_ROOT, "one", &id), -ENOENT);
	assert_int_equal(stg_lower_child(l, gen, STG_LOWER_ROOT, "one.txt2", &id), -ENOENT);
	assert_int_equal(stg_lower_child(l, gen, STG_LOWER_ROOT, "", &id), -ENOENT);
	assert_int_equal(stg_lower_find(l, "nothere", &gen, &id), -ENOENT);
	assert_int_equal(stg_lower_find(l, "one.txt/x", &gen, &id), -ENOTDIR);
	id = at(l, "one.txt", &gen);
	assert_int_equal(stg_lower_foreach(l, gen, id, add_name, &nm), -ENOTDIR);
	/* the numbers of another load are refused, not misread */
	assert_int_equal(stg_lower_stat(l, gen + 1, id, &st), -ESTALE);
}

/* File data, in pieces at growing offsets, past the end, and of what is not a file. */
static void test_pread(void **state)
{
	_cleanup_(stg_lower_freep) struct stg_lower *l = load(*state, 0);
	char buf[3000];
	uint64_t total = 0, gen;
	stg_lid one = at(l, "one.txt", &gen), big = at(l, "sub/big.bin", &gen);
	int64_t got;

	assert_int_equal(stg_lower_pread(l, gen, one, 0, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "one", 3);
	assert_int_equal(stg_lower_pread(l, gen, one, 1, buf, 1), 1);
	assert_int_equal(buf[0], 'n');
	while ((got = stg_lower_pread(l, gen, big, total, buf, sizeof(buf))) > 0) {
		for (int64_t i = 0; i < got; i++)
			assert_int_equal(buf[i], 'x');
		total += (uint64_t)got;
	}
	assert_int_equal(got, 0);
	assert_int_equal(total, 5000);
	assert_int_equal(stg_lower_pread(l, gen, at(l, "sub", &gen), 0, buf, 1), -EISDIR);
	assert_int_equal(stg_lower_pread(l, gen, at(l, "link", &gen), 0, buf, 1), -EINVAL);
}

/* An older session by number: the first holds no two.txt. */
static void test_older_session(void **state)
{
	_cleanup_(stg_lower_freep) struct stg_lower *l = load(*state, 1);
	struct stg_lower_info li;
	uint64_t gen;
	stg_lid id;

	stg_lower_info(l, &li);
	assert_int_equal(li.number, 1);
	assert_int_equal(stg_lower_find(l, "two.txt", &gen, &id), -ENOENT);
	assert_int_equal(stg_lower_find(l, "one.txt", &gen, &id), 0);
}

/* A session the disc lacks is an error that says how many there are. */
static void test_no_such_session(void **state)
{
	struct fixture *f = *state;
	_cleanup_(stg_lower_freep) struct stg_lower *l = NULL;
	struct bfs_diag diag = {0};
	uint64_t gen;
	stg_lid id;

	assert_int_equal(stg_lower_new(f->drive, &l), 0);
	assert_true(stg_lower_load(l, 7, &diag) < 0);
	assert_non_null(strstr(bfs_diag_msg(&diag, -1), "2"));
	assert_false(stg_lower_present(l));
	assert_int_equal(stg_lower_find(l, "", &gen, &id), -ENODEV);
}

/* A blank disc loads as no tree; a missing drive fails with its name. */
static void test_blank_and_missing(void **state)
{
	struct fixture *f = *state;
	_cleanup_(stg_lower_freep) struct stg_lower *l = NULL, *m = NULL;
	struct bfs_diag diag = {0};
	char drive[160];

	sh("'%s' vdrive create '%s/blank' --media dvd+r >/dev/null", getenv("BURNFS"), f->dir);
	snprintf(drive, sizeof(drive), "vdrive:%s/blank", f->dir);
	assert_int_equal(stg_lower_new(drive, &l), 0);
	assert_int_equal(stg_lower_load(l, 0, &diag), 0);
	assert_false(stg_lower_present(l));

	snprintf(drive, sizeof(drive), "vdrive:%s/nothere", f->dir);
	assert_int_equal(stg_lower_new(drive, &m), 0);
	assert_true(stg_lower_load(m, 0, &diag) < 0);
	assert_non_null(strstr(bfs_diag_msg(&diag, -1), "nothere"));
}

/*
 * The drive is free between reads (other programs can take it) and while suspended; the
 * next load comes back with a new generation and the disc's new tree.
 */
static void test_drive_shared(void **state)
{
	struct fixture *f = *state;
	_cleanup_(stg_lower_freep) struct stg_lower *l = load(f, 0);
	struct bfs_diag diag = {0};
	uint64_t g = stg_lower_generation(l), gen;
	char buf[8];
	stg_lid id;

	/* a read opens the drive; the CLI gets it once the read is a second old */
	assert_int_equal(stg_lower_pread(l, g, at(l, "one.txt", &gen), 0, buf, 8), 3);
	sleep(3);
	sh("'%s' info --drive '%s' >/dev/null", getenv("BURNFS"), f->drive);

	stg_lower_suspend(l);
	sh("set -e; cd '%s'; mkdir -p c; printf three > c/three.txt; '%s' burn c --drive '%s' "
	   "--verify none >/dev/null 2>&1",
	   f->dir, getenv("BURNFS"), f->drive);
	stg_lower_resume(l);
	assert_int_equal(stg_lower_load(l, 0, &diag), 0);
	assert_true(stg_lower_generation(l) > g);
	id = at(l, "three.txt", &gen);
	assert_int_equal(stg_lower_pread(l, gen, id, 0, buf, 8), 5);
	assert_memory_equal(buf, "three", 5);
	assert_int_equal(stg_lower_find(l, "one.txt", &gen, &id), 0);
}

/* A zisofs-compressed file (xorriso's, through vdrive import-image) reads inflated. */
static void test_zisofs(void **state)
{
	struct fixture *f = *state;
	_cleanup_(stg_lower_freep) struct stg_lower *l = NULL;
	struct bfs_diag diag = {0};
	char drive[160], buf[4096];
	uint64_t gen, total = 0;
	int64_t got;
	stg_lid id;

	sh("set -e; cd '%s'; mkdir -p z; yes zisofs | head -c 200000 > z/z.txt;"
	   "xorriso -no_rc -outdev z.iso -zisofs level=9 -map z / -set_filter_r --zisofs / -- "
	   "-commit >/dev/null 2>&1;"
	   "'%s' vdrive create zv --media dvd+r >/dev/null;"
	   "'%s' vdrive import-image zv z.iso >/dev/null",
	   f->dir, getenv("BURNFS"), getenv("BURNFS"));
	snprintf(drive, sizeof(drive), "vdrive:%s/zv", f->dir);
	assert_int_equal(stg_lower_new(drive, &l), 0);
	assert_int_equal(stg_lower_load(l, 0, &diag), 0);
	id = at(l, "z.txt", &gen);
	while ((got = stg_lower_pread(l, gen, id, total, buf, sizeof(buf))) > 0) {
		for (int64_t i = 0; i < got; i++)
			assert_int_equal(buf[i], "zisofs\n"[(total + (uint64_t)i) % 7]);
		total += (uint64_t)got;
	}
	assert_int_equal(got, 0);
	assert_int_equal(total, 200000);
}

/*
 * A chmod through one name of a hard-linked disc file shows through its other name too, as
 * the commit records it (one file), also after the edits are read back from their log.
 */
static void test_link_attr(void **state)
{
	struct fixture *f = *state;
	struct eng_attr a = {.mask = ENG_ATTR_MODE, .mode = 0600};
	struct bfs_diag diag = {0};
	char drive[160];
	uint64_t gen;
	struct stat st;

	sh("set -e; cd '%s'; mkdir -p h/x h/y; printf data > h/x/f; ln h/x/f h/y/g;"
	   "'%s' vdrive create hv --media bd-r >/dev/null;"
	   "'%s' burn h --drive vdrive:hv --verify none >/dev/null 2>&1",
	   f->dir, getenv("BURNFS"), getenv("BURNFS"));
	snprintf(drive, sizeof(drive), "vdrive:%s/hv", f->dir);
	for (int round = 0; round < 2; round++) {
		_cleanup_(stg_lower_freep) struct stg_lower *l = NULL;

		assert_int_equal(stg_lower_new(drive, &l), 0);
		assert_int_equal(stg_lower_load(l, 0, &diag), 0);
		assert_int_equal(stg_lower_edits_open(l, f->dir, "hv.edits", &diag), 0);
		if (round == 0)
			assert_int_equal(stg_lower_set_attr(l, stg_lower_generation(l),
							    at(l, "x/f", &gen), &a, &diag),
					 0);
		assert_int_equal(stg_lower_stat(l, gen, at(l, "y/g", &gen), &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_int_equal(st.st_nlink, 2);
		assert_int_equal(stg_lower_stat(l, gen, at(l, "x/f", &gen), &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_session),
		cmocka_unit_test(test_pread),
		cmocka_unit_test(test_older_session),
		cmocka_unit_test(test_no_such_session),
		cmocka_unit_test(test_blank_and_missing),
		cmocka_unit_test(test_drive_shared),
		cmocka_unit_test(test_zisofs),
		cmocka_unit_test(test_link_attr),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
