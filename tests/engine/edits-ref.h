/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A reference for the staging mount's edits (engine/edits.h), shared by test_edits.c and
 * test_append.c: the merged tree as the user made it, node by node (a disc node's origin,
 * or staged), on a small disc tree, and random changes told to the edits and to it alike.
 * Included once per test program; cmocka first.
 */
#ifndef BFS_TESTS_EDITS_REF_H
#define BFS_TESTS_EDITS_REF_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "engine/edits.h"

#define REF_UNUSED __attribute__((unused))
#define REF_OK(x)  assert_int_equal((x), 0)

static struct bfs_diag ref_diag;

/* A node of the merged tree as the user sees it: origin NULL for a staged one. */
struct rnode {
	char name[8];
	char origin[64];
	bool staged, dir;
	struct rnode *parent;
	struct rnode *kids[32];
	int nkids;
};

static struct rnode rpool[4096];
static int nrpool;

REF_UNUSED static struct rnode *rnew(struct rnode *parent, const char *name, const char *origin,
				     bool is_dir)
{
	struct rnode *n = &rpool[nrpool++];

	assert_true(nrpool < 4096);
	*n = (struct rnode){.dir = is_dir, .parent = parent, .staged = !origin};
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->origin, sizeof(n->origin), "%s", origin ? origin : "");
	if (parent) {
		assert_true(parent->nkids < 32);
		parent->kids[parent->nkids++] = n;
	}
	return n;
}

REF_UNUSED static void rdetach(struct rnode *n)
{
	struct rnode *p = n->parent;

	for (int i = 0; i < p->nkids; i++)
		if (p->kids[i] == n) {
			p->kids[i] = p->kids[--p->nkids];
			break;
		}
	n->parent = NULL;
}

REF_UNUSED static void rpath(const struct rnode *n, char *buf, size_t cap)
{
	char tmp[256];

	buf[0] = '\0';
	for (; n->parent; n = n->parent) {
		snprintf(tmp, sizeof(tmp), "%s%s%s", n->name, *buf ? "/" : "", buf);
		snprintf(buf, cap, "%s", tmp);
	}
}

REF_UNUSED static struct rnode *rkid(const struct rnode *d, const char *name)
{
	for (int i = 0; i < d->nkids; i++)
		if (strcmp(d->kids[i]->name, name) == 0)
			return d->kids[i];
	return NULL;
}

/* The disc: a, b, c, each with x, y and s/z. */
static const char *const disc_paths[] = {"a", "a/x", "a/y", "a/s", "a/s/z",
					 "b", "b/x", "b/y", "b/s", "b/s/z",
					 "c", "c/x", "c/y", "c/s", "c/s/z"};

REF_UNUSED static bool disc_has(const char *p)
{
	if (!*p)
		return true; /* the root */
	for (size_t i = 0; i < sizeof(disc_paths) / sizeof(*disc_paths); i++)
		if (strcmp(disc_paths[i], p) == 0)
			return true;
	return false;
}

REF_UNUSED static bool disc_is_dir(const char *p)
{
	return strlen(p) <= 1 || strcmp(p + strlen(p) - 2, "/s") == 0;
}

REF_UNUSED static int nodes_of(struct rnode *n, struct rnode **v, int nv)
{
	v[nv++] = n;
	for (int i = 0; i < n->nkids; i++)
		nv = nodes_of(n->kids[i], v, nv);
	return nv;
}

static const char *const rnames[] = {"x", "y", "s", "z", "a", "b", "n", "m"};

REF_UNUSED static bool under_node(const struct rnode *n, const struct rnode *d)
{
	for (; d; d = d->parent)
		if (d == n)
			return true;
	return false;
}

/* One random change made by the user, told to the edits and the reference alike. */
REF_UNUSED static void random_change(struct eng_edits *e, struct rnode *root)
{
	static struct rnode *v[4096];
	int n = nodes_of(root, v, 0), op = rand() % 5;
	struct rnode *x = v[1 + rand() % (n - 1 > 0 ? n - 1 : 1)], *d = v[rand() % n], *t;
	const char *name = rnames[rand() % 8];
	char from[256], to[300], dp[256];

	if (n < 2 || !d->dir)
		return;
	rpath(x, from, sizeof(from));
	rpath(d, dp, sizeof(dp));
	snprintf(to, sizeof(to), "%s%s%s", dp, *dp ? "/" : "", name);
	t = rkid(d, name);
	if (op == 0 || op == 1) { /* rename(2), over a file or an empty directory */
		if (under_node(x, d) || t == x || (t && (t->dir != x->dir || t->nkids)))
			return;
		if (t) {
			REF_OK(eng_edits_delete(e, t->staged ? NULL : t->origin, to, &ref_diag));
			rdetach(t);
		}
		REF_OK(eng_edits_rename(e, from, to, x->staged ? NULL : x->origin, &ref_diag));
		rdetach(x);
		snprintf(x->name, sizeof(x->name), "%s", name);
		x->parent = d;
		d->kids[d->nkids++] = x;
	} else if (op == 2) { /* unlink(2), rmdir(2) */
		if (x->nkids)
			return;
		REF_OK(eng_edits_delete(e, x->staged ? NULL : x->origin, from, &ref_diag));
		rdetach(x);
	} else if (op == 3) { /* link(2) of a disc file */
		if (t || x->dir || x->staged)
			return;
		REF_OK(eng_edits_link(e, x->origin, to, &ref_diag));
		rnew(d, name, x->origin, false);
	} else if (!t) { /* mkdir(2), creat(2): staged */
		rnew(d, name, NULL, rand() % 2);
	}
}

/* The reference over the disc as it is: every disc path at its own place. */
REF_UNUSED static struct rnode *ref_init(void)
{
	struct rnode *root;

	nrpool = 0;
	root = rnew(NULL, "", "", true);
	for (size_t i = 0; i < sizeof(disc_paths) / sizeof(*disc_paths); i++) {
		const char *p = disc_paths[i], *slash = strrchr(p, '/');
		struct rnode *parent = root;
		char top[2] = {p[0], 0};

		if (slash) {
			parent = rkid(root, top);
			if (slash - p > 1)
				parent = rkid(parent, "s");
		}
		rnew(parent, slash ? slash + 1 : p, p, disc_is_dir(p));
	}
	return root;
}

#endif
