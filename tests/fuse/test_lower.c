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

#include "lower.h"

struct fixture {
	char dir[64];
	char drive[128];
	char vd[96];
};

static void sh(const char *fmt, ...) BFS_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

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

static const char *names(const struct stg_lnode *v, size_t n, char *buf, size_t cap)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? "," : "", v[i].name);
	return buf;
}

/* The last session shows both sessions' files (the append carried the first's tree). */
static void test_last_session(void **state)
{
	_cleanup_(stg_lower_freep) struct stg_lower *l = load(*state, 0);
	struct stg_lnode *v = NULL, n = {0};
	size_t nv = 0;
	unsigned number, count;
	char buf[256];

	assert_true(stg_lower_present(l));
	stg_lower_session(l, &number, &count);
	assert_int_equal(number, 2);
	assert_int_equal(count, 2);
	assert_int_equal(stg_lower_list(l, "", &v, &nv), 0);
	assert_string_equal(names(v, nv, buf, sizeof(buf)), ".burnfs,link,one.txt,sub,two.txt");
	stg_lnodes_free(v, nv);

	assert_int_equal(stg_lower_stat(l, "link", &n), 0);
	assert_true(S_ISLNK(n.st.st_mode));
	assert_string_equal(n.target, "one.txt");
	assert_true(n.st.st_ino & STG_LOWER_INO_BIT);
	stg_lnode_done(&n);
	assert_int_equal(stg_lower_stat(l, "sub", &n), 0);
	assert_true(S_ISDIR(n.st.st_mode));
	stg_lnode_done(&n);
	assert_int_equal(stg_lower_stat(l, "", &n), 0);
	assert_true(S_ISDIR(n.st.st_mode));
	stg_lnode_done(&n);
	assert_int_equal(stg_lower_stat(l, "nothere", &n), -ENOENT);
	assert_int_equal(stg_lower_stat(l, "one.txt/x", &n), -ENOTDIR);
	assert_int_equal(stg_lower_list(l, "one.txt", &v, &nv), -ENOTDIR);
}

/* File data, in pieces at growing offsets, past the end, and of what is not a file. */
static void test_pread(void **state)
{
	_cleanup_(stg_lower_freep) struct stg_lower *l = load(*state, 0);
	char buf[3000];
	uint64_t total = 0;
	int64_t got;

	assert_int_equal(stg_lower_pread(l, "one.txt", 0, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "one", 3);
	while ((got = stg_lower_pread(l, "sub/big.bin", total, buf, sizeof(buf))) > 0) {
		for (int64_t i = 0; i < got; i++)
			assert_int_equal(buf[i], 'x');
		total += (uint64_t)got;
	}
	assert_int_equal(got, 0);
	assert_int_equal(total, 5000);
	assert_int_equal(stg_lower_pread(l, "sub", 0, buf, 1), -EISDIR);
	assert_int_equal(stg_lower_pread(l, "gone", 0, buf, 1), -ENOENT);
	/* more files than the cache holds, read in turns: each still reads right */
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 12; i++) {
			const char *p = i % 2 ? "one.txt" : "two.txt";

			assert_int_equal(stg_lower_pread(l, p, 0, buf, 8), 3);
			assert_memory_equal(buf, i % 2 ? "one" : "two", 3);
		}
}

/* An older session by number: the first holds no two.txt. */
static void test_older_session(void **state)
{
	_cleanup_(stg_lower_freep) struct stg_lower *l = load(*state, 1);
	struct stg_lnode n = {0};
	unsigned number, count;

	stg_lower_session(l, &number, &count);
	assert_int_equal(number, 1);
	assert_int_equal(stg_lower_stat(l, "two.txt", &n), -ENOENT);
	assert_int_equal(stg_lower_stat(l, "one.txt", &n), 0);
	stg_lnode_done(&n);
}

/* A session the disc lacks is an error that says how many there are. */
static void test_no_such_session(void **state)
{
	struct fixture *f = *state;
	_cleanup_(stg_lower_freep) struct stg_lower *l = NULL;
	struct bfs_diag diag = {0};
	struct stg_lnode n = {0};

	assert_int_equal(stg_lower_new(f->drive, &l), 0);
	assert_true(stg_lower_load(l, 7, &diag) < 0);
	assert_non_null(strstr(bfs_diag_msg(&diag, -1), "2"));
	assert_false(stg_lower_present(l));
	assert_int_equal(stg_lower_stat(l, "", &n), -ENODEV);
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
 * While suspended (a commit holds the drive) the drive is closed: the CLI can take it; the
 * next load comes back with a new generation and the disc's new tree.
 */
static void test_suspend_reload(void **state)
{
	struct fixture *f = *state;
	_cleanup_(stg_lower_freep) struct stg_lower *l = load(f, 0);
	struct bfs_diag diag = {0};
	struct stg_lnode n = {0};
	uint64_t g = stg_lower_generation(l);

	stg_lower_suspend(l);
	sh("set -e; cd '%s'; mkdir -p c; printf three > c/three.txt; '%s' burn c --drive '%s' "
	   "--verify none >/dev/null 2>&1",
	   f->dir, getenv("BURNFS"), f->drive);
	assert_int_equal(stg_lower_load(l, 0, &diag), 0);
	assert_true(stg_lower_generation(l) > g);
	assert_int_equal(stg_lower_stat(l, "three.txt", &n), 0);
	assert_int_equal(n.st.st_size, 5);
	stg_lnode_done(&n);
	assert_int_equal(stg_lower_stat(l, "one.txt", &n), 0);
	stg_lnode_done(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_session),	  cmocka_unit_test(test_pread),
		cmocka_unit_test(test_older_session),	  cmocka_unit_test(test_no_such_session),
		cmocka_unit_test(test_blank_and_missing), cmocka_unit_test(test_suspend_reload),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
