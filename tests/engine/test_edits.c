/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The staging mount's edits of the disc's tree (engine/edits.h): the resolution rule after
 * each kind of change (a delete of a moved node, a rename back, a rename of a directory that
 * moves the targets under it, a delete of a directory whose child moved out, a link of a
 * deleted file, attributes), and the log: replay gives the state back, a torn last line is
 * cut at every byte of it, a line that does not parse is named, compaction keeps the log
 * small, another disc's log is refused with its edits readable. Paths are raw bytes.
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
#include "engine/edits.h"
#include "edits-ref.h"

#define ID_A "s1@0+100:aaaa"
#define ID_B "s2@100+50:bbbb"

static char dir[] = "/tmp/burnfs-edits.XXXXXX";
static int dfd = -1;

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	close(dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* ---- helpers ------------------------------------------------------------------------------ */

struct dump {
	char s[65536];
	size_t n;
};

static int dump_one(const char *kind, const char *disc, const char *target,
		    const struct eng_attr *a, void *userdata)
{
	struct dump *d = userdata;

	d->n += (size_t)snprintf(d->s + d->n, sizeof(d->s) - d->n, "%s %s", kind, disc);
	if (target)
		d->n += (size_t)snprintf(d->s + d->n, sizeof(d->s) - d->n, " -> %s", target);
	if (a)
		d->n += (size_t)snprintf(d->s + d->n, sizeof(d->s) - d->n, " %x %o %u %u %lld",
					 a->mask, a->mode, a->uid, a->gid, (long long)a->mtime.sec);
	d->n += (size_t)snprintf(d->s + d->n, sizeof(d->s) - d->n, ";");
	return 0;
}

/* Every record as one string, "kind disc -> target;" in disc path order. */
static char *dump(const struct eng_edits *e)
{
	static struct dump d;

	d.n = 0;
	d.s[0] = '\0';
	assert_int_equal(eng_edits_foreach(e, dump_one, &d), 0);
	return d.s;
}

static void origin_is(const struct eng_edits *e, const char *path, const char *want)
{
	char *got = NULL;

	assert_int_equal(eng_edits_origin(e, path, &got), 0);
	if (!want) {
		if (got)
			fail_msg("origin of '%s': '%s', want none", path, got);
	} else {
		if (!got)
			fail_msg("origin of '%s': none, want '%s'", path, want);
		assert_string_equal(got, want);
	}
	free(got);
}

static struct eng_edits *mem(void)
{
	struct eng_edits *e = NULL;

	assert_int_equal(eng_edits_new(&e), 0);
	return e;
}

static struct bfs_diag diag;

#define OK(x) assert_int_equal((x), 0)

/* ---- the model ---------------------------------------------------------------------------- */

static void test_no_edits(void **state)
{
	struct eng_edits *e = mem();

	(void)state;
	assert_true(eng_edits_empty(e));
	origin_is(e, "", "");
	origin_is(e, "a/b", "a/b");
	assert_true(eng_edits_in_place(e, "a"));
	OK(eng_edits_delete(e, "a", "a", &diag));
	origin_is(e, "a", NULL);
	origin_is(e, "a/b", NULL); /* a directory's nodes go with it */
	origin_is(e, "ab", "ab");
	origin_is(e, "", "");
	assert_false(eng_edits_in_place(e, "a"));
	assert_string_equal(dump(e), "delete a;");
	eng_edits_free(e);
}

static void test_delete_moved(void **state)
{
	struct eng_edits *e = mem();

	(void)state;
	OK(eng_edits_rename(e, "a", "b", "a", &diag));
	origin_is(e, "b", "a");
	origin_is(e, "b/x", "a/x");
	origin_is(e, "a", NULL);
	assert_false(eng_edits_in_place(e, "a"));
	OK(eng_edits_delete(e, "a", "b", &diag));
	origin_is(e, "b", "b");	 /* the disc's own b, if the disc has one: not a */
	origin_is(e, "a", NULL); /* does not come back at its old place */
	assert_string_equal(dump(e), "delete a;");
	/* the same, one level down and moved twice */
	OK(eng_edits_rename(e, "d/f", "g", "d/f", &diag));
	OK(eng_edits_rename(e, "g", "h", "d/f", &diag));
	origin_is(e, "h", "d/f");
	origin_is(e, "g", "g");
	OK(eng_edits_delete(e, "d/f", "h", &diag));
	origin_is(e, "h", "h");
	origin_is(e, "d/f", NULL);
	assert_string_equal(dump(e), "delete a;delete d/f;");
	eng_edits_free(e);
}

static void test_rename_back(void **state)
{
	struct eng_edits *e = mem();

	(void)state;
	OK(eng_edits_rename(e, "a", "b", "a", &diag));
	OK(eng_edits_rename(e, "b", "a", "a", &diag));
	assert_true(eng_edits_empty(e));
	assert_string_equal(dump(e), "");
	/* back home by way of its parent: d/x to e/x, then d renamed to e */
	OK(eng_edits_rename(e, "d/x", "y", "d/x", &diag));
	OK(eng_edits_rename(e, "d", "e", "d", &diag));
	OK(eng_edits_rename(e, "y", "e/x", "d/x", &diag));
	assert_string_equal(dump(e), "move d -> e;");
	origin_is(e, "e/x", "d/x");
	OK(eng_edits_rename(e, "e", "d", "d", &diag));
	assert_true(eng_edits_empty(e));
	eng_edits_free(e);
}

static int list_one(const char *name, const char *disc, void *userdata)
{
	struct dump *d = userdata;

	d->n += (size_t)snprintf(d->s + d->n, sizeof(d->s) - d->n, "%s=%s;", name, disc);
	return 0;
}

static char *list_in(const struct eng_edits *e, const char *d)
{
	static struct dump out;

	out.n = 0;
	out.s[0] = '\0';
	assert_int_equal(eng_edits_foreach_in(e, d, list_one, &out), 0);
	return out.s;
}

static void test_rename_dir_moves_targets(void **state)
{
	struct eng_edits *e = mem();

	(void)state;
	OK(eng_edits_link(e, "f", "d/g", &diag));
	OK(eng_edits_rename(e, "x", "d/x", "x", &diag));
	OK(eng_edits_rename(e, "d/sub/k", "d/sub/k2", "d/sub/k", &diag));
	OK(eng_edits_rename(e, "d", "e", "d", &diag));
	assert_string_equal(list_in(e, "e"), "g=f;x=x;");
	assert_string_equal(list_in(e, "e/sub"), "k2=d/sub/k;");
	assert_string_equal(list_in(e, ""), "e=d;");
	assert_string_equal(list_in(e, "d"), "");
	origin_is(e, "e/x", "x");
	origin_is(e, "e/g", "f");
	origin_is(e, "e/other", "d/other");
	origin_is(e, "e/sub/k2", "d/sub/k");
	origin_is(e, "e/sub/k", NULL);
	origin_is(e, "d", NULL);
	origin_is(e, "d/x", NULL);
	origin_is(e, "f", "f");
	/* a staged directory (no origin) carries the disc's nodes moved into it */
	OK(eng_edits_rename(e, "e/x", "s/x", "x", &diag));
	OK(eng_edits_rename(e, "s", "t", NULL, &diag));
	origin_is(e, "t/x", "x");
	origin_is(e, "s/x", "s/x");
	assert_string_equal(list_in(e, "t"), "x=x;");
	/* byte order, deeper targets skipped: a, a-c, b at the root */
	OK(eng_edits_rename(e, "p", "a", "p", &diag));
	OK(eng_edits_rename(e, "q", "a/b", "q", &diag));
	OK(eng_edits_rename(e, "r", "a-c", "r", &diag));
	assert_string_equal(list_in(e, ""), "a=p;a-c=r;e=d;");
	eng_edits_free(e);
}

static void test_delete_dir_moved_child(void **state)
{
	struct eng_edits *e = mem();

	(void)state;
	OK(eng_edits_rename(e, "d/c", "c2", "d/c", &diag));
	OK(eng_edits_link(e, "d/f", "f2", &diag));
	OK(eng_edits_delete(e, "d/f", "d/f", &diag));
	OK(eng_edits_delete(e, "d", "d", &diag));
	origin_is(e, "c2", "d/c");
	origin_is(e, "f2", "d/f");
	origin_is(e, "d", NULL);
	origin_is(e, "d/c", NULL);
	assert_string_equal(dump(e), "delete d;move d/c -> c2;delete d/f;link d/f -> f2;");
	/* mkdir over the whiteout: a staged directory, none of the disc's nodes in it */
	origin_is(e, "d/f", NULL);
	eng_edits_free(e);
}

static void test_link_of_deleted(void **state)
{
	struct eng_edits *e = mem();

	(void)state;
	OK(eng_edits_link(e, "f", "g", &diag));
	OK(eng_edits_delete(e, "f", "f", &diag));
	origin_is(e, "g", "f");
	origin_is(e, "f", NULL);
	assert_false(eng_edits_in_place(e, "f"));
	/* renamed onto its own name: the file is back where it was, no edit left */
	OK(eng_edits_rename(e, "g", "f", "f", &diag));
	assert_true(eng_edits_empty(e));
	origin_is(e, "f", "f");
	/* both names gone */
	OK(eng_edits_link(e, "d/f", "h", &diag));
	OK(eng_edits_delete(e, "d/f", "d/f", &diag));
	OK(eng_edits_delete(e, "d/f", "h", &diag));
	origin_is(e, "h", "h");
	assert_string_equal(dump(e), "delete d/f;");
	/* a target that already shows a disc node */
	OK(eng_edits_link(e, "k", "l", &diag));
	assert_int_equal(eng_edits_link(e, "m", "l", &diag), -EEXIST);
	eng_edits_free(e);
}

static void test_attr(void **state)
{
	struct eng_edits *e = mem();
	struct eng_attr a = {.mask = ENG_ATTR_MODE, .mode = 0100640};
	const struct eng_attr *got;

	(void)state;
	assert_null(eng_edits_attr(e, "x"));
	OK(eng_edits_set_attr(e, "x", &a, &diag));
	a = (struct eng_attr){.mask = ENG_ATTR_UID | ENG_ATTR_MTIME, .uid = 7, .mtime = {5, 6}};
	OK(eng_edits_set_attr(e, "x", &a, &diag));
	a = (struct eng_attr){.mask = ENG_ATTR_MODE, .mode = 0751};
	OK(eng_edits_set_attr(e, "", &a, &diag)); /* the root's */
	got = eng_edits_attr(e, "x");
	assert_non_null(got);
	assert_int_equal(got->mask, ENG_ATTR_MODE | ENG_ATTR_UID | ENG_ATTR_MTIME);
	assert_int_equal(got->mode, 0640);
	assert_int_equal(got->uid, 7);
	assert_int_equal(got->mtime.sec, 5);
	assert_int_equal(got->mtime.nsec, 6);
	assert_true(eng_edits_in_place(e, "x")); /* attributes do not move it */
	origin_is(e, "x", "x");
	assert_non_null(eng_edits_attr(e, ""));
	assert_null(eng_edits_attr(e, "y"));
	assert_int_equal(eng_edits_delete(e, "/x", "x", &diag), -EINVAL);
	assert_int_equal(eng_edits_rename(e, "a//b", "c", "a", &diag), -EINVAL);
	assert_int_equal(eng_edits_rename(e, "a", "a/b", "a", &diag), -EINVAL);
	eng_edits_free(e);
}

static struct eng_edits *open_log(const char *name, const char *id);

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * 100,000 records stay fast: lookups (a hash by disc path, one by target), changes (no
 * array shifted per target added), the log's replay, a readdir of a directory with targets.
 */
static void test_many(void **state)
{
	struct eng_edits *e = open_log("many", ID_A);
	char p[64], q[64];
	struct timespec t0;
	double made, looked, loaded;
	struct dump d = {0};

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 50000; i++) {
		/* targets in an order unlike their sorted one */
		int k = (i * 7919) % 50000;

		snprintf(p, sizeof(p), "d%03d/f%05d", k % 1000, k);
		snprintf(q, sizeof(q), "n%03d/f%05d", k % 1000, k);
		OK(eng_edits_delete(e, p, p, &diag));
		OK(eng_edits_link(e, p, q, &diag));
	}
	made = since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100000; i++) {
		char *o = NULL;

		snprintf(p, sizeof(p), "n%03d/f%05d", i % 1000, i % 50000);
		OK(eng_edits_origin(e, p, &o));
		assert_non_null(o);
		free(o);
	}
	looked = since(&t0);
	eng_edits_free(e);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = open_log("many", ID_A);
	loaded = since(&t0);
	OK(eng_edits_foreach_in(e, "n007", list_one, &d));
	assert_non_null(strstr(d.s, "f00007=d007/f00007;f01007=d007/f01007;"));
	print_message("100,000 records: made in %.2f s, 100,000 lookups %.2f s, log replayed in "
		      "%.2f s\n",
		      made, looked, loaded);
	/* a linear scan per lookup or an array shifted per change: minutes */
	assert_true(made < 20 && looked < 10 && loaded < 20);
	eng_edits_free(e);
}

/* ---- the rule against a reference: random changes, the mount's view checked after each -- */

static int seen_add(const char *name, const char *disc, void *userdata)
{
	char *list = userdata;

	(void)disc;
	strcat(list, name);
	strcat(list, "/");
	return 0;
}

/* What the mount shows of d (its disc nodes in place, the targets in it, its staged ones). */
static void check_dir(const struct eng_edits *e, const struct rnode *d, const char *path)
{
	char from_disc[512] = "", targets[512] = "", want[512] = "", got[1024];
	char *o = NULL;
	int nwant = 0, ngot = 0;

	OK(eng_edits_origin(e, path, &o));
	if (o && disc_has(o) && disc_is_dir(o))
		for (size_t i = 0; i < sizeof(disc_paths) / sizeof(*disc_paths); i++) {
			const char *c = disc_paths[i];
			size_t ol = strlen(o);

			size_t at = ol ? ol + 1 : 0; /* the root's children: no '/' */

			if (strncmp(c, o, ol) == 0 && (!ol || c[ol] == '/') &&
			    !strchr(c + at, '/') && eng_edits_in_place(e, c))
				seen_add(c + at, NULL, from_disc);
		}
	free(o);
	OK(eng_edits_foreach_in(e, path, seen_add, targets));
	snprintf(got, sizeof(got), "%s%s", from_disc, targets);
	for (int i = 0; i < d->nkids; i++)
		if (d->kids[i]->staged)
			seen_add(d->kids[i]->name, NULL, got);
	for (char *c = got; *c; c++)
		ngot += *c == '/';
	for (int i = 0; i < d->nkids; i++) {
		char key[16];

		snprintf(key, sizeof(key), "%s/", d->kids[i]->name);
		if (!strstr(got, key) || (strstr(got, key) != got && !strstr(got, key)[-1]))
			fail_msg("'%s': the mount does not show '%s' (shows '%s')", path,
				 d->kids[i]->name, got);
		strcat(want, key);
		nwant++;
	}
	if (ngot != nwant)
		fail_msg("'%s': the mount shows '%s', the user made '%s'", path, got, want);
}

/* Every node's origin and every directory's listing as the reference says. */
static void check_all(const struct eng_edits *e, struct rnode *root)
{
	static struct rnode *v[4096];
	int n = nodes_of(root, v, 0);

	for (int i = 0; i < n; i++) {
		char path[256];
		char *o = NULL;

		rpath(v[i], path, sizeof(path));
		OK(eng_edits_origin(e, path, &o));
		if (o && !disc_has(o))
			o = (free(o), NULL); /* a name the disc does not have: none */
		if (v[i]->staged ? o != NULL : !o || strcmp(o, v[i]->origin) != 0)
			fail_msg("origin of '%s': '%s', want '%s'", path, o ? o : "(none)",
				 v[i]->staged ? "(none)" : v[i]->origin);
		free(o);
		if (v[i]->dir)
			check_dir(e, v[i], path);
	}
}

static void test_random_against_reference(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 100; seed++) {
		struct eng_edits *e = NULL, *back = NULL;
		struct rnode *root;
		char name[32];

		snprintf(name, sizeof(name), "random-%u", seed);
		e = open_log(name, ID_A);
		srand(seed);
		root = ref_init();
		for (int k = 0; k < 150; k++) {
			random_change(e, root);
			check_all(e, root);
		}
		eng_edits_free(e);
		back = open_log(name, ID_A); /* the log replayed: the same view */
		check_all(back, root);
		eng_edits_free(back);
	}
}

/* ---- the log ------------------------------------------------------------------------------ */

static struct eng_edits *open_log(const char *name, const char *id)
{
	struct eng_edits *e = NULL;

	diag = (struct bfs_diag){0};
	assert_int_equal(eng_edits_open(dfd, name, id, &diag, &e), 0);
	return e;
}

static char *slurp(const char *name, size_t *len)
{
	char p[300];
	FILE *f;
	char *buf = malloc(1 << 22);

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "rb");
	assert_non_null(f);
	*len = fread(buf, 1, (1 << 22) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void spit(const char *name, const char *data, size_t len)
{
	char p[300];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Names with every byte a log must escape, and some it need not. */
static const char *const odd[] = {"tab\there",	    "new\nline", "back\\slash", "ctl\x01\x7f",
				  "\xff\xfe latin", "x\\t",	 "\\-",		"-"};

/* Changes of every kind, some undone, on both e (logged) and m (memory). */
static void changes(struct eng_edits *e, struct eng_edits *m)
{
	struct eng_attr a = {
		.mask = ENG_ATTR_MODE | ENG_ATTR_ATIME, .mode = 0600, .atime = {-3, 9}};
	char to[64];

	for (size_t i = 0; i < sizeof(odd) / sizeof(*odd); i++) {
		struct eng_edits *both[] = {e, m};

		snprintf(to, sizeof(to), "moved/%s", odd[i]);
		for (int k = 0; k < 2; k++) {
			OK(eng_edits_rename(both[k], odd[i], to, odd[i], &diag));
			OK(eng_edits_set_attr(both[k], odd[i], &a, &diag));
		}
	}
	for (int k = 0; k < 2; k++) {
		struct eng_edits *x = k ? m : e;

		OK(eng_edits_rename(x, "moved", "gone\tdir", NULL, &diag));
		OK(eng_edits_link(x, "l", "l2", &diag));
		OK(eng_edits_delete(x, "l", "l", &diag));
		OK(eng_edits_delete(x, "d/e", "d/e", &diag));
		OK(eng_edits_rename(x, "r", "r2", "r", &diag));
		OK(eng_edits_rename(x, "r2", "r", "r", &diag));
	}
}

static void test_log_replay(void **state)
{
	struct eng_edits *e = open_log("replay", ID_A), *m = mem();
	_cleanup_free_ char *want = NULL;

	(void)state;
	changes(e, m);
	want = strdup(dump(e));
	assert_string_equal(dump(m), want);
	assert_non_null(strstr(want, "move tab\there -> gone\tdir/tab\there;"));
	OK(eng_edits_sync(e, &diag));
	/* a commit's copy: the same edits, in memory, apart from the original */
	{
		struct eng_edits *c = NULL;

		OK(eng_edits_dup(e, &c));
		assert_string_equal(dump(c), want);
		assert_string_equal(eng_edits_disc_id(c), ID_A);
		OK(eng_edits_delete(c, "zz", "zz", &diag));
		assert_string_equal(dump(e), want);
		eng_edits_free(c);
	}
	eng_edits_free(e);
	e = open_log("replay", ID_A);
	assert_string_equal(dump(e), want);
	assert_string_equal(eng_edits_disc_id(e), ID_A);
	origin_is(e, "gone\tdir/new\nline", "new\nline");
	origin_is(e, "l2", "l");
	eng_edits_free(e);
	eng_edits_free(m);
}

/* The log cut at every byte of its last line: that change alone is lost, and cut off. */
static void test_log_torn(void **state)
{
	struct eng_edits *e = open_log("torn", ID_A);
	_cleanup_free_ char *before = NULL, *after = NULL, *full = NULL;
	size_t len, last;

	(void)state;
	OK(eng_edits_rename(e, "a\tb", "c\nd", "a\tb", &diag));
	before = strdup(dump(e));
	OK(eng_edits_link(e, "x\\y", "dir/x\\y 2", &diag));
	after = strdup(dump(e));
	eng_edits_free(e);
	full = slurp("torn", &len);
	assert_true(len > 2 && full[len - 1] == '\n');
	for (last = len - 1; last > 0 && full[last - 1] != '\n'; last--)
		;
	for (size_t cut = last; cut <= len; cut++) {
		_cleanup_free_ char *back = NULL;
		size_t blen;

		spit("torn", full, cut);
		e = open_log("torn", ID_A);
		assert_string_equal(dump(e), cut == len ? after : before);
		eng_edits_free(e);
		back = slurp("torn", &blen);
		assert_int_equal(blen, cut == len ? len : last); /* the torn line cut off */
	}
	/* a change after a torn line starts a line of its own */
	spit("torn", full, len - 3);
	e = open_log("torn", ID_A);
	OK(eng_edits_delete(e, "z", "z", &diag));
	eng_edits_free(e);
	e = open_log("torn", ID_A);
	assert_non_null(strstr(dump(e), "delete z;"));
	eng_edits_free(e);
}

static void bad_log(const char *content, const char *where)
{
	struct eng_edits *e = NULL;

	spit("bad", content, strlen(content));
	diag = (struct bfs_diag){0};
	assert_int_equal(eng_edits_open(dfd, "bad", ID_A, &diag, &e), -EUCLEAN);
	assert_null(e);
	if (!strstr(diag.msg, where))
		fail_msg("'%s' does not name %s", diag.msg, where);
}

static void test_log_bad_line(void **state)
{
	(void)state;
	bad_log("burnfs-edits 1\t" ID_A "\nD\ta\ta\nZ\tb\tb\nD\tc\tc\n", "line 3");
	bad_log("burnfs-edits 1\t" ID_A "\nD\tbad\\qescape\tx\n", "line 2");
	bad_log("burnfs-edits 1\t" ID_A "\nD\ta\ta\nA\tx\t1\t2\n", "line 3");
	bad_log("burnfs-edits 1\t" ID_A "\nm\ta\tb\nm\tc\tb\n", "line 3"); /* b twice */
	bad_log("not a log\nD\ta\ta\n", "line 1");
	bad_log("burnfs-edits 1\t" ID_A "\nD\ta\\x00\ta\n", "line 2");
	/* paths the calls would have refused (found by fuzz-edits: the rule broke on them) */
	bad_log("burnfs-edits 1\t" ID_A "\nD\ta\ta\nL\tf\te//\n", "line 3");
	bad_log("burnfs-edits 1\t" ID_A "\nR\tb\t/\tb\n", "line 2");
	bad_log("burnfs-edits 1\t" ID_A "\nR\ta\tb/\t\n", "line 2");
	bad_log("burnfs-edits 1\t" ID_A "\nm\ta/./b\tc\n", "line 2");
	bad_log("burnfs-edits 1\t" ID_A "\nR\ta\ta/b\ta\n", "line 2"); /* under itself */
	bad_log("burnfs-edits 1\t" ID_A "\nx\t\n", "line 2");	       /* the root */
}

/* An ATTR line that sets nothing (mask 0, or bits not known) changes nothing. */
static void test_log_attr_nothing(void **state)
{
	static const char *const logs[] = {
		"burnfs-edits 1\t" ID_A "\nA\tq\t0\t448\t0\t0\t0\t0\t0\t0\n",
		"burnfs-edits 1\t" ID_A "\nA\tq\t64\t448\t0\t0\t0\t0\t0\t0\nD\tq\tq\n"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct eng_edits *e;

		spit("nothing", logs[i], strlen(logs[i]));
		e = open_log("nothing", ID_A); /* was a use-after-free (fuzz-edits) */
		assert_null(eng_edits_attr(e, "q"));
		assert_string_equal(dump(e), i ? "delete q;" : "");
		eng_edits_free(e);
	}
}

static size_t lines_of(const char *name)
{
	size_t len, n = 0;
	char *s = slurp(name, &len);

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	free(s);
	return n;
}

static void test_log_compaction(void **state)
{
	struct eng_edits *e = open_log("compact", ID_A);
	_cleanup_free_ char *want = NULL;
	struct stat st;
	char p[300];

	(void)state;
	OK(eng_edits_delete(e, "keep", "keep", &diag));
	for (int i = 0; i < 1000; i++) {
		OK(eng_edits_rename(e, "a/f", "b", "a/f", &diag));
		OK(eng_edits_rename(e, "b", "a/f", "a/f", &diag));
		assert_true(lines_of("compact") <= 1 + 64 + 1);
	}
	OK(eng_edits_rename(e, "a/f", "c", "a/f", &diag));
	want = strdup(dump(e));
	assert_string_equal(want, "move a/f -> c;delete keep;");
	eng_edits_free(e);
	snprintf(p, sizeof(p), "%s/compact.tmp", dir);
	assert_int_equal(stat(p, &st), -1); /* the temporary file renamed, none left */
	e = open_log("compact", ID_A);
	assert_string_equal(dump(e), want);
	eng_edits_free(e);
	/* a long log from before (a kill between a change and its compaction) is compacted */
	{
		char big[20000];
		size_t n = (size_t)snprintf(big, sizeof(big), "burnfs-edits 1\t%s\n", ID_A);

		for (int i = 0; i < 300; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "R\tx\ty\tx\nR\ty\tx\tx\n");
		spit("compact", big, n);
	}
	e = open_log("compact", ID_A);
	assert_true(eng_edits_empty(e));
	assert_int_equal(lines_of("compact"), 1);
	eng_edits_free(e);
}

static void test_log_other_disc(void **state)
{
	struct eng_edits *e = open_log("other", ID_A), *f = NULL;

	(void)state;
	OK(eng_edits_rename(e, "a", "b", "a", &diag));
	eng_edits_free(e);
	/* another disc, and a blank one: refused, the edits readable, no change taken */
	for (int k = 0; k < 2; k++) {
		diag = (struct bfs_diag){0};
		assert_int_equal(eng_edits_open(dfd, "other", k ? "" : ID_B, &diag, &f), -EXDEV);
		assert_non_null(f);
		assert_non_null(strstr(diag.msg, ID_A));
		assert_non_null(strstr(diag.msg, k ? "blank" : ID_B));
		assert_string_equal(dump(f), "move a -> b;");
		assert_string_equal(eng_edits_disc_id(f), ID_A);
		assert_int_equal(eng_edits_delete(f, "c", "c", &diag), -EXDEV);
		f = eng_edits_free(f);
	}
	e = open_log("other", ID_A); /* that disc back: the edits are there */
	assert_string_equal(dump(e), "move a -> b;");
	/* discarded: another disc takes the log */
	OK(eng_edits_reset(e, ID_B, &diag));
	assert_true(eng_edits_empty(e));
	eng_edits_free(e);
	e = open_log("other", ID_B);
	assert_true(eng_edits_empty(e));
	eng_edits_free(e);
	/* a log without edits is taken over by the disc in the drive */
	e = open_log("other", ID_A);
	assert_string_equal(eng_edits_disc_id(e), ID_A);
	eng_edits_free(e);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_edits),
		cmocka_unit_test(test_delete_moved),
		cmocka_unit_test(test_rename_back),
		cmocka_unit_test(test_rename_dir_moves_targets),
		cmocka_unit_test(test_delete_dir_moved_child),
		cmocka_unit_test(test_link_of_deleted),
		cmocka_unit_test(test_attr),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_log_replay),
		cmocka_unit_test(test_log_torn),
		cmocka_unit_test(test_log_bad_line),
		cmocka_unit_test(test_log_attr_nothing),
		cmocka_unit_test(test_log_compaction),
		cmocka_unit_test(test_log_other_disc),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]); /* one case, e.g. test_many */
	return cmocka_run_group_tests(tests, setup, teardown);
}
