/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burnfs extract: files of a session's tree copied into a directory, with their modes,
 * times, symbolic links and hard links (owners too when run as root).
 *
 * Nothing is written outside DIR: every node is made with a *at() call relative to the
 * descriptor of the directory just made for its parent (opened O_NOFOLLOW), under one
 * name that the tree has made safe (no '/', no NUL, never "." or ".."), so no path is
 * resolved through anything the disc named. DIR must be new or empty, and every node is
 * made with O_EXCL / mkdirat / symlinkat, which fail on an existing name: nothing is
 * overwritten, and a name met twice (two PATHs that overlap) is said and left alone.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli.h"
#include "inspect.h"
#include "textout.h"

#define COPY_CHUNK (1u << 20)

/*
 * A file with several names: where its first name was made. Its inode number is Rock
 * Ridge's PX serial number, or without one (RRIP 1.10) the first block of its data, which
 * empty files of different link groups may share: the size, mode, owner and time must
 * match too, and a group takes no more names than its link count.
 */
struct link {
	uint64_t ino, size;
	uint32_t mode, uid, gid;
	uint32_t names; /* made so far */
	int64_t mtime;
	char *path; /* relative to DIR */
};

static bool same_file(const struct link *l, const struct eng_dnode *d)
{
	return l->names < d->nlink && l->ino == d->ino && l->size == d->size &&
	       l->mode == d->mode && l->uid == d->uid && l->gid == d->gid &&
	       l->mtime == d->mtime.sec;
}

struct ex {
	const struct insp_args *a;
	struct insp_open *o;
	int rootfd; /* DIR */
	int fds[ENG_DISCTREE_DEPTH_MAX + 2];
	unsigned depth; /* fds[depth] is the directory nodes are made in */
	char *rel;	/* the node's path relative to DIR */
	struct link *links;
	size_t nlinks;
	uint8_t *buf;
	unsigned long failed, made;
	bool root;
};

/* One failure: "burnfs extract: PATH: what" (PATH escaped), counted; the walk goes on. */
static int ex_fail(struct ex *x, const char *rel, const char *what, int err)
{
	fprintf(stderr, "burnfs extract: ");
	cli_text_put(stderr, rel);
	fputs(": ", stderr);
	cli_text_put(stderr, what); /* a reader's message may quote the disc's names */
	fprintf(stderr, "%s%s\n", err ? ": " : "", err ? strerror(err) : "");
	x->failed++;
	return 0;
}

/* A node that could not be made: an existing name is never overwritten, and says so. */
static int make_fail(struct ex *x, const char *what, int err)
{
	if (err == EEXIST)
		return ex_fail(x, x->rel, "exists already, not overwritten", 0);
	return ex_fail(x, x->rel, what, err);
}

/* Mode, owner and times of a node just made (fd, or name in dirfd for a symlink). */
static void set_attrs(struct ex *x, int fd, int dirfd, const char *name, const struct eng_dnode *d)
{
	struct timespec ts[2] = {{.tv_sec = d->atime.sec, .tv_nsec = d->atime.nsec},
				 {.tv_sec = d->mtime.sec, .tv_nsec = d->mtime.nsec}};
	bool link = d->type == BFS_NODE_SYMLINK;

	if (x->root && (link ? fchownat(dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW)
			     : fchown(fd, d->uid, d->gid)) < 0)
		ex_fail(x, x->rel, "cannot set its owner", errno);
	if (!link && fchmod(fd, d->mode & 07777) < 0)
		ex_fail(x, x->rel, "cannot set its mode", errno);
	if ((link ? utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) : futimens(fd, ts)) < 0)
		ex_fail(x, x->rel, "cannot set its times", errno);
}

static int copy_data(struct ex *x, int fd, const struct eng_dnode *d)
{
	for (uint64_t off = 0; off < d->size;) {
		int64_t n =
			eng_disctree_pread(x->o->t, d, off, x->buf,
					   (size_t)BFS_MIN((uint64_t)COPY_CHUNK, d->size - off));

		if (n < 0)
			return ex_fail(x, x->rel, bfs_diag_msg(&x->o->diag, (int)n), 0);
		if (n == 0)
			return ex_fail(x, x->rel, "shorter on the disc than its size", 0);
		for (int64_t w = 0; w < n;) {
			ssize_t g = pwrite(fd, x->buf + w, (size_t)(n - w), (off_t)(off + w));

			if (g < 0 && errno == EINTR)
				continue;
			if (g < 0)
				return ex_fail(x, x->rel, "cannot write", errno);
			w += g;
		}
		off += (uint64_t)n;
	}
	return 0;
}

/* The first name made of a hard-linked file with d's inode, or NULL (then remembered). */
static const char *link_of(struct ex *x, const struct eng_dnode *d)
{
	struct link *v;

	if (d->nlink < 2)
		return NULL;
	for (size_t i = 0; i < x->nlinks; i++)
		if (same_file(&x->links[i], d)) {
			x->links[i].names++;
			return x->links[i].path;
		}
	v = realloc(x->links, (x->nlinks + 1) * sizeof(*v));
	if (!v)
		return NULL;
	x->links = v;
	v[x->nlinks] = (struct link){.ino = d->ino,
				     .size = d->size,
				     .mode = d->mode,
				     .uid = d->uid,
				     .gid = d->gid,
				     .mtime = d->mtime.sec,
				     .names = 1,
				     .path = strdup(x->rel)};
	if (v[x->nlinks].path)
		x->nlinks++;
	return NULL;
}

static int make_file(struct ex *x, int dirfd, const struct eng_dnode *d)
{
	const char *first = link_of(x, d);
	int fd;

	if (first) {
		if (linkat(x->rootfd, first, dirfd, d->name, 0) < 0)
			return make_fail(x, "cannot make it a hard link", errno);
		return 0;
	}
	fd = openat(dirfd, d->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return make_fail(x, "cannot create", errno);
	copy_data(x, fd, d);
	set_attrs(x, fd, dirfd, d->name, d);
	if (close(fd) < 0)
		ex_fail(x, x->rel, "cannot write", errno);
	return 0;
}

/* A symlink, FIFO or device node. */
static int make_special(struct ex *x, int dirfd, const struct eng_dnode *d)
{
	int r;

	if (d->type == BFS_NODE_SYMLINK)
		r = symlinkat(d->target ? d->target : "", dirfd, d->name);
	else if (d->type == BFS_NODE_FIFO)
		r = mknodat(dirfd, d->name, S_IFIFO | 0600, 0);
	else if (d->type == BFS_NODE_SOCK)
		return ex_fail(x, x->rel, "a socket: not made (nothing can be listening)", 0);
	else if (!x->root)
		return ex_fail(x, x->rel, "a device node: made only when run as root", 0);
	else
		r = mknodat(dirfd, d->name, (d->type == BFS_NODE_CHR ? S_IFCHR : S_IFBLK) | 0600,
			    makedev(d->rdev_major, d->rdev_minor));
	if (r < 0)
		return make_fail(x, "cannot create", errno);
	if (d->type == BFS_NODE_SYMLINK) {
		set_attrs(x, -1, dirfd, d->name, d);
		return 0;
	}
	/* a FIFO or device just made: by name (opening a FIFO would block) */
	struct timespec ts[2] = {{.tv_sec = d->atime.sec, .tv_nsec = d->atime.nsec},
				 {.tv_sec = d->mtime.sec, .tv_nsec = d->mtime.nsec}};

	if (fchmodat(dirfd, d->name, d->mode & 07777, 0) < 0 ||
	    utimensat(dirfd, d->name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		ex_fail(x, x->rel, "cannot set its mode or times", errno);
	return 0;
}

/* A directory: made and opened as the one its nodes go into; ENG_DWALK_SKIP if not. */
static int make_dir(struct ex *x, int dirfd, const struct eng_dnode *d)
{
	int fd;

	if (x->depth + 1 >= BFS_ARRAY_SIZE(x->fds))
		return ex_fail(x, x->rel, "nested too deep", 0), ENG_DWALK_SKIP;
	if (mkdirat(dirfd, d->name, 0700) < 0)
		return make_fail(x, "cannot create", errno), ENG_DWALK_SKIP;
	fd = openat(dirfd, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ex_fail(x, x->rel, "cannot open the directory made", errno), ENG_DWALK_SKIP;
	x->fds[++x->depth] = fd;
	x->made++;
	return 0;
}

/* x->rel = prefix + path (the node's path in DIR). */
static int set_rel(struct ex *x, const char *prefix, const char *path)
{
	char *r = malloc(strlen(prefix) + strlen(path) + 2);

	if (!r)
		return -ENOMEM;
	sprintf(r, "%s%s%s", prefix, prefix[0] && path[0] ? "/" : "", path);
	free(x->rel);
	x->rel = r;
	return 0;
}

struct walk_ctx {
	struct ex *x;
	const char *prefix; /* the extracted PATH's name in DIR, "" for the root */
};

static int pre(const char *path, const struct eng_dnode *d, void *userdata)
{
	struct walk_ctx *w = userdata;
	struct ex *x = w->x;
	int dirfd = x->fds[x->depth];

	if (set_rel(x, w->prefix, path) < 0)
		return -ENOMEM;
	if (d->type == BFS_NODE_DIR)
		return make_dir(x, dirfd, d);
	x->made++;
	if (d->type == BFS_NODE_FILE)
		return make_file(x, dirfd, d);
	return make_special(x, dirfd, d);
}

/* After a directory's nodes: its own mode and times (writing in it changed them). */
static int post(const char *path, const struct eng_dnode *d, void *userdata)
{
	struct walk_ctx *w = userdata;
	struct ex *x = w->x;

	if (set_rel(x, w->prefix, path) < 0)
		return -ENOMEM;
	set_attrs(x, x->fds[x->depth], -1, NULL, d);
	close(x->fds[x->depth--]);
	return 0;
}

/* PATH as the user gave it: '/'-separated, no "." or ".." component. */
static bool path_ok(const char *p)
{
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");

		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		c += *c == '/';
	}
	return true;
}

/* The last component of p ("" for the root). */
static char *base_of(const char *p)
{
	size_t n = strlen(p), e;

	while (n > 0 && p[n - 1] == '/')
		n--;
	e = n;
	while (n > 0 && p[n - 1] != '/')
		n--;
	return strndup(p + n, e - n);
}

/* One PATH of the disc into DIR. */
static int extract_one(struct ex *x, const char *path)
{
	struct eng_dnode d = {0}, top;
	_cleanup_free_ char *name = base_of(path);
	struct walk_ctx w = {.x = x, .prefix = name ? name : ""};
	int r;

	if (!name)
		return -ENOMEM;
	bfs_diag_clear(&x->o->diag);
	r = eng_disctree_lookup(x->o->t, path, &d);
	if (r < 0)
		return ex_fail(x, path, bfs_diag_msg(&x->o->diag, r), 0);
	if (!name[0]) { /* the root: its nodes straight into DIR */
		r = d.type == BFS_NODE_DIR ? eng_disctree_walk(x->o->t, &d, pre, post, &w) : 0;
	} else {
		top = d;
		top.name = name;
		top.name_len = strlen(name);
		r = pre("", &top, &w);
		if (r == 0 && d.type == BFS_NODE_DIR)
			r = eng_disctree_walk(x->o->t, &d, pre, post, &w);
		if (r == 0 && d.type == BFS_NODE_DIR)
			r = post("", &top, &w);
	}
	eng_dnode_done(&d);
	if (r < 0)
		ex_fail(x, path, bfs_diag_msg(&x->o->diag, r), 0);
	while (x->depth > 0) /* a walk that stopped half-way */
		close(x->fds[x->depth--]);
	return 0;
}

/* Does the directory at fd hold anything besides "." and ".."? */
static bool dir_has_entries(int fd)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *e;
	bool any = false;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return true; /* cannot tell: do not write */
	}
	while (!any && (e = readdir(d)))
		any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return any;
}

/* DIR: made when missing; an existing one must be an empty directory. */
static int open_out(const struct insp_args *a, int *ret)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (mkdir(a->out, 0777) < 0 && errno != EEXIST)
		return cli_error(CLI_EXIT_JOB, a->cmd, "-o %s: cannot make the directory: %m",
				 a->out);
	fd = open(a->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cli_error(CLI_EXIT_JOB, a->cmd, "-o %s: %m", a->out);
	if (fstat(fd, &st) < 0)
		return cli_error(CLI_EXIT_JOB, a->cmd, "-o %s: %m", a->out);
	if (st.st_nlink > 2 || dir_has_entries(fd))
		return cli_error(CLI_EXIT_JOB, a->cmd,
				 "-o %s: not empty: nothing is extracted into a directory that "
				 "holds anything (nothing in it may be overwritten); remedy: give "
				 "a new or empty directory",
				 a->out);
	*ret = fd;
	fd = -1;
	return 0;
}

int insp_extract(const struct insp_args *a)
{
	struct insp_open o = {0};
	struct ex x = {.a = a, .o = &o, .rootfd = -1, .root = geteuid() == 0};
	int r;

	for (int i = 0; i < a->npaths; i++)
		if (!path_ok(a->paths[i]))
			return cli_usage_error(a->cmd,
					       "'%s': a PATH on the disc has no '.' or '..' in it "
					       "(extract writes only inside DIR)",
					       a->paths[i]);
	r = insp_open(a, &o);
	if (r == 0)
		r = open_out(a, &x.rootfd);
	x.buf = malloc(COPY_CHUNK);
	if (r == 0 && !x.buf)
		r = insp_fail(a, &o, -ENOMEM);
	x.fds[0] = x.rootfd;
	for (int i = 0; r == 0 && i < a->npaths; i++)
		extract_one(&x, a->paths[i]);
	if (r == 0)
		fprintf(stderr, "burnfs extract: %lu made in %s from session %u, %lu failed\n",
			x.made, a->out, o.s->number, x.failed);
	for (size_t i = 0; i < x.nlinks; i++)
		free(x.links[i].path);
	free(x.links);
	free(x.rel);
	free(x.buf);
	if (x.rootfd >= 0)
		close(x.rootfd);
	insp_close(&o);
	return r ? r : x.failed ? CLI_EXIT_JOB : 0;
}
