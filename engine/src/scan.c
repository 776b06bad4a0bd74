/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Snapshot of source paths into a struct bfs_node tree (data flow step 1 for images).
 * Iterative: a work list of directories still to read, so deep trees cannot exhaust the
 * stack.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "engine/image.h"

#define OUT_DEPTH_MAX 4096u /* directories from the output up to / */

struct pending {
	struct bfs_node *dir;
	char *path;
};

/* The identities the sources must not have (see eng_scan_opts.output). */
struct out_guard {
	const char *path;
	bool exists; /* the output file exists: its identity */
	dev_t dev;
	ino_t ino;
	struct {
		dev_t dev;
		ino_t ino;
	} dirs[OUT_DEPTH_MAX]; /* the output's directory, then its ancestors up to / */
	size_t ndirs;
};

struct scan {
	const struct eng_scan_opts *opts;
	struct out_guard *guard;
	struct bfs_diag *diag;
	struct pending *work;
	size_t nwork;
	size_t work_cap;
	struct bfs_time now;
};

static struct bfs_time ts(const struct timespec *t)
{
	return (struct bfs_time){.sec = (int64_t)t->tv_sec, .nsec = (uint32_t)t->tv_nsec};
}

static struct bfs_time clamp(const struct scan *s, struct bfs_time t)
{
	if (s->opts->have_epoch && t.sec >= s->opts->epoch)
		return (struct bfs_time){.sec = s->opts->epoch, .nsec = 0};
	return t;
}

static bool excluded(const struct scan *s, const char *name, const char *image_path)
{
	for (size_t i = 0; i < s->opts->nexcludes; i++) {
		const char *g = s->opts->excludes[i];

		if (fnmatch(g, name, 0) == 0 || fnmatch(g, image_path, FNM_PATHNAME) == 0)
			return true;
	}
	return false;
}

/* Fill a node's metadata from st; reads the link target of symlinks. */
static int node_fill(struct scan *s, struct bfs_node *n, const char *path, const struct stat *st)
{
	n->mode = st->st_mode & 07777;
	n->uid = st->st_uid;
	n->gid = st->st_gid;
	n->src_mtime = ts(&st->st_mtim);
	n->mtime = clamp(s, n->src_mtime);
	if (s->opts->have_epoch) {
		n->atime = n->mtime;
		n->ctime = n->mtime;
	} else {
		n->atime = ts(&st->st_atim);
		n->ctime = ts(&st->st_ctim);
	}
	n->src_dev = st->st_dev;
	n->src_ino = st->st_ino;
	switch (n->type) {
	case BFS_NODE_FILE:
		n->size = (uint64_t)st->st_size;
		if ((uint64_t)st->st_blocks * 512 < n->size)
			n->flags |= BFS_NODE_SPARSE;
		break;
	case BFS_NODE_SYMLINK: {
		size_t cap = (size_t)st->st_size + 1;
		ssize_t l;

		if (cap < 64)
			cap = 64;
		for (;;) {
			free(n->target);
			n->target = malloc(cap);
			if (!n->target)
				return -ENOMEM;
			l = readlink(path, n->target, cap);
			if (l < 0)
				return bfs_diag_set(s->diag, -errno, "'%s': cannot read link: %m",
						    path);
			if ((size_t)l < cap)
				break;
			cap *= 2;
		}
		n->target[l] = '\0';
		n->size = (uint64_t)l;
		break;
	}
	case BFS_NODE_CHR:
	case BFS_NODE_BLK:
		n->rdev_major = major(st->st_rdev);
		n->rdev_minor = minor(st->st_rdev);
		break;
	default:
		break;
	}
	return 0;
}

static enum bfs_node_type type_of(mode_t m)
{
	if (S_ISDIR(m))
		return BFS_NODE_DIR;
	if (S_ISLNK(m))
		return BFS_NODE_SYMLINK;
	if (S_ISCHR(m))
		return BFS_NODE_CHR;
	if (S_ISBLK(m))
		return BFS_NODE_BLK;
	if (S_ISFIFO(m))
		return BFS_NODE_FIFO;
	if (S_ISSOCK(m))
		return BFS_NODE_SOCK;
	return BFS_NODE_FILE;
}

static int push(struct scan *s, struct bfs_node *dir, const char *path)
{
	char *p;

	if (BFS_GROW(s->work, s->work_cap, s->nwork + 1) < 0)
		return -ENOMEM;
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	s->work[s->nwork++] = (struct pending){.dir = dir, .path = p};
	return 0;
}

/*
 * Record where n (to become a child of dir) comes from: always for directories, and for
 * files only when bfs_node_src_path() could not derive it from dir.
 */
static int set_src_path(const struct bfs_node *dir, struct bfs_node *n, const char *path)
{
	if (n->type != BFS_NODE_DIR && n->type != BFS_NODE_FILE)
		return 0;
	if (n->type == BFS_NODE_FILE && dir->src_path) {
		size_t dl = strlen(dir->src_path), pl = strlen(path);
		bool slash = dl && dir->src_path[dl - 1] != '/';

		if (pl == dl + slash + n->name_len && memcmp(path, dir->src_path, dl) == 0 &&
		    (!slash || path[dl] == '/') &&
		    memcmp(path + dl + slash, n->name, n->name_len) == 0)
			return 0;
	}
	n->src_path = strdup(path);
	return n->src_path ? 0 : -ENOMEM;
}

/* The output's directory and its ancestors, by identity (".." from each, up to /). */
static int guard_dirs(struct out_guard *g, const char *dir, struct bfs_diag *diag)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return bfs_diag_set(diag, -errno, "'%s': cannot write the output there: '%s': %m",
				    g->path, dir);
	while (g->ndirs < OUT_DEPTH_MAX) {
		struct stat st;
		int up;

		if (fstat(fd, &st) < 0)
			break;
		if (g->ndirs && g->dirs[g->ndirs - 1].dev == st.st_dev &&
		    g->dirs[g->ndirs - 1].ino == st.st_ino)
			break; /* "/" is its own parent */
		g->dirs[g->ndirs].dev = st.st_dev;
		g->dirs[g->ndirs++].ino = st.st_ino;
		up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = up;
		if (fd < 0)
			return bfs_diag_set(diag, -errno, "'%s': cannot walk up from '%s': %m",
					    g->path, dir);
	}
	close(fd);
	return 0;
}

static int guard_init(struct out_guard *g, const char *out, struct bfs_diag *diag)
{
	_cleanup_free_ char *dir = NULL;
	struct stat st;
	char *slash;

	g->path = out;
	if (strcmp(out, "-") == 0) {
		/* standard output: a regular file there must not be a source */
		if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode))
			g->exists = true, g->dev = st.st_dev, g->ino = st.st_ino;
		return 0;
	}
	if (stat(out, &st) == 0) {
		g->exists = true, g->dev = st.st_dev, g->ino = st.st_ino;
		if (S_ISDIR(st.st_mode))
			return guard_dirs(g, out, diag);
		if (!S_ISREG(st.st_mode)) /* the rename into place would replace the node */
			return bfs_diag_set(diag, -EINVAL,
					    "'%s': not a regular file (a device, FIFO or socket), "
					    "which writing the image would replace; give a file's "
					    "path, or -o - to write to standard output",
					    out);
	}
	dir = strdup(out);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash)
		return guard_dirs(g, ".", diag);
	slash[slash == dir ? 1 : 0] = '\0';
	return guard_dirs(g, dir, diag);
}

/* A source object at path, with identity st: is it the output, or above it? */
static int guard_check(const struct scan *s, const char *path, const struct stat *st)
{
	const struct out_guard *g = s->guard;

	if (!g)
		return 0;
	if (g->exists && st->st_dev == g->dev && st->st_ino == g->ino)
		return bfs_diag_set(s->diag, -EINVAL,
				    "'%s': the output is the source '%s' (the same file): writing "
				    "the image would destroy it; choose an output outside the "
				    "sources",
				    g->path, path);
	if (!S_ISDIR(st->st_mode))
		return 0;
	for (size_t i = 0; i < g->ndirs; i++)
		if (st->st_dev == g->dirs[i].dev && st->st_ino == g->dirs[i].ino)
			return bfs_diag_set(s->diag, -EINVAL,
					    "'%s': the output is inside the source directory "
					    "'%s'; choose an output outside the sources",
					    g->path, path);
	return 0;
}

/* Is (dev, ino) the identity of dir or one of its ancestors? */
static struct bfs_node *ancestor_with(struct bfs_node *dir, dev_t dev, ino_t ino)
{
	for (; dir; dir = dir->parent)
		if (dir->src_dev == (uint64_t)dev && dir->src_ino == (uint64_t)ino && dir->src_ino)
			return dir;
	return NULL;
}

/*
 * Add the object at path (already lstat'ed into st) as child name of dir. When dir already
 * has a directory of that name and path is a directory, the two merge.
 */
static int add_entry(struct scan *s, struct bfs_node *dir, const char *name, size_t name_len,
		     const char *path, const struct stat *st)
{
	_cleanup_(bfs_node_freep) struct bfs_node *n = NULL;
	struct bfs_node *old;
	int r;

	r = guard_check(s, path, st);
	if (r < 0)
		return r;
	old = bfs_node_find_child(dir, name, name_len);
	if (old) {
		_cleanup_free_ char *ip = bfs_node_path(old);

		if (old->type == BFS_NODE_DIR && S_ISDIR(st->st_mode))
			return push(s, old, path);
		return bfs_diag_set(s->diag, -EEXIST,
				    "'%s': given twice in the image (again by '%s')",
				    ip ? ip : name, path);
	}
	if (S_ISDIR(st->st_mode)) {
		struct bfs_node *a = ancestor_with(dir, st->st_dev, st->st_ino);

		if (a) {
			_cleanup_free_ char *ap = bfs_node_path(a);

			return bfs_diag_set(s->diag, -ELOOP,
					    "'%s': directory loop, it is the same directory as "
					    "the image's '%s'",
					    path, ap ? ap : "?");
		}
	}
	n = bfs_node_new(name, name_len, type_of(st->st_mode));
	if (!n)
		return -ENOMEM;
	r = node_fill(s, n, path, st);
	if (r < 0)
		return r;
	r = set_src_path(dir, n, path);
	if (r < 0)
		return r;
	if (n->type == BFS_NODE_DIR) {
		r = push(s, n, path);
		if (r < 0)
			return r;
	}
	r = bfs_node_add_child(dir, n);
	if (r < 0)
		return r;
	TAKE_PTR(n);
	return 0;
}

static int read_dir(struct scan *s, struct bfs_node *dir, const char *path)
{
	_cleanup_free_ char *child = NULL, *dp = NULL;
	size_t plen = strlen(path), cap = plen + 258;
	DIR *d;
	struct dirent *de;
	int r = 0;

	d = opendir(path);
	if (!d)
		return bfs_diag_set(s->diag, -errno, "'%s': cannot read directory: %m", path);
	child = malloc(cap);
	if (s->opts->nexcludes)
		dp = bfs_node_path(dir); /* image path of dir, for --exclude */
	if (!child || (s->opts->nexcludes && !dp)) {
		closedir(d);
		return -ENOMEM;
	}
	for (;;) {
		struct stat st;
		size_t nl;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				r = bfs_diag_set(s->diag, -errno, "'%s': cannot read directory: %m",
						 path);
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		nl = strlen(de->d_name);
		snprintf(child, cap, "%s%s%s", path, plen && path[plen - 1] == '/' ? "" : "/",
			 de->d_name);
		if (s->opts->nexcludes) {
			_cleanup_free_ char *ip = NULL;

			if (asprintf(&ip, "%s%s%s", dp, strcmp(dp, "/") ? "/" : "", de->d_name) <
			    0) {
				r = -ENOMEM;
				break;
			}
			if (excluded(s, de->d_name, ip))
				continue;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = bfs_diag_set(s->diag, -errno, "'%s': %m", child);
			break;
		}
		r = add_entry(s, dir, de->d_name, nl, child, &st);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

/* The directory at image path dest, created (mkdir -p) as needed. */
static int make_dirs(struct scan *s, struct bfs_node *root, const char *dest,
		     struct bfs_node **ret_parent, const char **ret_name, size_t *ret_len)
{
	struct bfs_node *dir = root;
	const char *p = dest;

	for (;;) {
		const char *c, *e;
		struct bfs_node *n;
		int r;

		while (*p == '/')
			p++;
		c = p;
		e = strchr(c, '/');
		if (!e)
			e = c + strlen(c);
		p = e;
		while (*p == '/')
			p++;
		if (!*p) { /* last component */
			if (e == c || (e - c == 1 && c[0] == '.') ||
			    (e - c == 2 && c[0] == '.' && c[1] == '.'))
				return bfs_diag_set(s->diag, -EINVAL, "'%s': bad image path", dest);
			*ret_parent = dir;
			*ret_name = c;
			*ret_len = (size_t)(e - c);
			return 0;
		}
		if ((e - c == 1 && c[0] == '.') || (e - c == 2 && c[0] == '.' && c[1] == '.'))
			return bfs_diag_set(s->diag, -EINVAL, "'%s': bad image path", dest);
		n = bfs_node_find_child(dir, c, (size_t)(e - c));
		if (n && n->type != BFS_NODE_DIR)
			return bfs_diag_set(s->diag, -ENOTDIR, "'%s': a file is in the way", dest);
		if (!n) {
			n = bfs_node_new(c, (size_t)(e - c), BFS_NODE_DIR);
			if (!n)
				return -ENOMEM;
			n->mode = 0755;
			n->mtime = n->atime = n->ctime = n->src_mtime = s->now;
			r = bfs_node_add_child(dir, n);
			if (r < 0) {
				bfs_node_free(n);
				return r;
			}
		}
		dir = n;
	}
}

int eng_scan(const struct eng_source *srcs, size_t nsrcs, const struct eng_scan_opts *opts,
	     struct bfs_diag *diag, struct bfs_node **ret)
{
	_cleanup_(bfs_node_freep) struct bfs_node *root = NULL;
	struct scan s = {.opts = opts, .diag = diag};
	struct timespec now;
	int r = 0;

	if (opts->output) {
		s.guard = calloc(1, sizeof(*s.guard));
		if (!s.guard)
			return -ENOMEM;
		r = guard_init(s.guard, opts->output, diag);
		if (r < 0) {
			free(s.guard);
			return r;
		}
	}
	clock_gettime(CLOCK_REALTIME, &now);
	s.now = opts->have_epoch ? (struct bfs_time){.sec = opts->epoch} : ts(&now);
	root = bfs_node_new("", 0, BFS_NODE_DIR);
	if (!root)
		return -ENOMEM;
	root->mode = 0755;
	root->mtime = root->atime = root->ctime = root->src_mtime = s.now;

	for (size_t i = 0; i < nsrcs && r == 0; i++) {
		const char *path = srcs[i].path, *dest = srcs[i].dest;
		struct stat st;

		if (stat(path, &st) < 0) {
			r = bfs_diag_set(diag, -errno, "'%s': %m", path);
			break;
		}
		r = guard_check(&s, path, &st);
		if (r < 0)
			break;
		if (!dest && S_ISDIR(st.st_mode)) {
			/* merge the directory's contents into the root */
			if (root->src_ino == 0) {
				r = node_fill(&s, root, path, &st);
				if (r == 0 && !(root->src_path = strdup(path)))
					r = -ENOMEM;
				if (r < 0)
					break;
			}
			r = push(&s, root, path);
		} else {
			const char *name = NULL;
			size_t nl = 0;
			struct bfs_node *parent = NULL;
			_cleanup_free_ char *d = NULL;

			if (!dest) {
				const char *b;
				size_t l = strlen(path);

				while (l > 1 && path[l - 1] == '/')
					l--;
				b = memrchr(path, '/', l - 1);
				b = b ? b + 1 : path;
				if (asprintf(&d, "/%.*s", (int)(path + l - b), b) < 0) {
					r = -ENOMEM;
					break;
				}
				dest = d;
			}
			r = make_dirs(&s, root, dest, &parent, &name, &nl);
			if (r == 0)
				r = add_entry(&s, parent, name, nl, path, &st);
		}
		while (r == 0 && s.nwork > 0) {
			struct pending p = s.work[--s.nwork];

			r = read_dir(&s, p.dir, p.path);
			free(p.path);
		}
	}
	while (s.nwork > 0)
		free(s.work[--s.nwork].path);
	free(s.work);
	free(s.guard);
	if (r < 0)
		return r;
	r = bfs_tree_finalize(root);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(root);
	return 0;
}
