/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burnfs ls: a directory (or one node) of a session's tree, as ls prints it: one name a
 * line, escaped (cli_text_put), -l with mode, links, owner, group, size and time, -R with
 * every directory below, each under a "PATH:" line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "inspect.h"
#include "textout.h"

static char type_char(enum bfs_node_type t)
{
	static const char c[] = {
		[BFS_NODE_DIR] = 'd',  [BFS_NODE_FILE] = '-', [BFS_NODE_SYMLINK] = 'l',
		[BFS_NODE_CHR] = 'c',  [BFS_NODE_BLK] = 'b',  [BFS_NODE_FIFO] = 'p',
		[BFS_NODE_SOCK] = 's',
	};
	return (unsigned)t < sizeof(c) ? c[t] : '?';
}

/* "drwxr-xr-x", with s/S, t/T as ls writes set-id and sticky bits. */
static void mode_str(const struct eng_dnode *d, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = type_char(d->type);
	for (int i = 0; i < 9; i++)
		out[1 + i] = d->mode & (0400u >> i) ? rwx[i] : '-';
	if (d->mode & 04000)
		out[3] = d->mode & 0100 ? 's' : 'S';
	if (d->mode & 02000)
		out[6] = d->mode & 0010 ? 's' : 'S';
	if (d->mode & 01000)
		out[9] = d->mode & 0001 ? 't' : 'T';
	out[10] = '\0';
}

static void print_node(const struct insp_args *a, const struct eng_dnode *d, const char *name)
{
	if (a->longfmt) {
		char mode[11], when[32];
		time_t t = (time_t)d->mtime.sec;
		struct tm tm;

		mode_str(d, mode);
		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		else
			snprintf(when, sizeof(when), "?");
		printf("%s %3u %5u %5u ", mode, d->nlink, d->uid, d->gid);
		if (d->type == BFS_NODE_CHR || d->type == BFS_NODE_BLK)
			printf("%5u, %5u", d->rdev_major, d->rdev_minor);
		else
			printf("%12" PRIu64, d->size);
		printf(" %s ", when);
	}
	cli_text_put(stdout, name);
	if (a->longfmt && d->target) {
		fputs(" -> ", stdout);
		cli_text_put(stdout, d->target);
	}
	putchar('\n');
}

static int list_dir(const struct insp_args *a, struct insp_open *o, const struct eng_dnode *dir)
{
	struct eng_dnode *v = NULL;
	size_t n = 0;
	int r = eng_disctree_list(o->t, dir, &v, &n);

	for (size_t i = 0; r == 0 && i < n; i++)
		print_node(a, &v[i], v[i].name);
	eng_dnodes_free(v, n);
	return r;
}

struct rec {
	const struct insp_args *a;
	const char *top; /* the PATH given, without a trailing '/' ("" for the root) */
};

/* -R: each directory's block of names, the one given first (each listed once). */
static int rec_dir(const char *path, const struct eng_dnode *dir, const struct eng_dnode *v,
		   size_t n, void *userdata)
{
	struct rec *c = userdata;

	(void)dir;
	if (path[0]) {
		putchar('\n');
		cli_text_put(stdout, c->top);
		putchar('/');
		cli_text_put(stdout, path);
	} else {
		cli_text_put(stdout, c->top[0] ? c->top : "/");
	}
	printf(":\n");
	for (size_t i = 0; i < n; i++)
		print_node(c->a, &v[i], v[i].name);
	return 0;
}

/* The PATH given, as "/a/b" without a trailing '/' ("" for the root). */
static char *top_of(const char *path)
{
	char *p = malloc(strlen(path) + 2);
	size_t n;

	if (!p)
		return NULL;
	snprintf(p, strlen(path) + 2, "%s%s", path[0] == '/' ? "" : "/", path);
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

int cli_ls(const struct insp_args *a)
{
	struct insp_open o = {0};
	struct eng_dnode node = {0};
	const char *path = a->npaths ? a->paths[0] : "/";
	_cleanup_free_ char *top = top_of(path);
	struct rec c = {.a = a, .top = top};
	int r = insp_open(a, &o);

	if (r)
		return insp_close(&o), r;
	if (!top)
		return insp_close(&o), insp_fail(a, &o, -ENOMEM);
	r = eng_disctree_lookup(o.t, path, &node);
	if (r == 0 && node.type != BFS_NODE_DIR) {
		print_node(a, &node, path);
	} else if (r == 0 && a->recursive) {
		r = eng_disctree_walk_dirs(o.t, &node, rec_dir, &c);
	} else if (r == 0) {
		r = list_dir(a, &o, &node);
	}
	eng_dnode_done(&node);
	if (r < 0)
		r = insp_fail(a, &o, r);
	insp_close(&o);
	return r;
}
