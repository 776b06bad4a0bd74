/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The files of the disc an append cannot point at again (zisofs, UDF data embedded in its
 * entry or in several runs): their bytes read from the disc into a temporary directory of
 * $TMPDIR, which the new session writes like any source. See append-internal.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "append-internal.h"
#include "common/log.h"

void append_copies_drop(struct eng_append *a)
{
	for (size_t i = 0; i < a->ncopies; i++) {
		(void)unlink(a->copies[i].path);
		free(a->copies[i].path);
	}
	if (a->tmpdir) {
		(void)unlinkat(a->tmplock, TMP_MARK, 0);
		(void)rmdir(a->tmpdir);
		close(a->tmplock);
	}
	free(a->tmpdir);
	free(a->copies);
}

static const char *tmp_base(void)
{
	const char *base = getenv("TMPDIR");

	return base && *base ? base : "/tmp";
}

/*
 * The copies' directory: made as burnfs-append-new.XXXXXX, locked, then renamed to
 * burnfs-append.XXXXXX, so that sweep_stale() never finds a live one unlocked. The lock
 * (flock, on the directory) is held until eng_append_free() removes the copies.
 */
static int tmpdir_make(struct eng_append *a)
{
	_cleanup_free_ char *tmpl = NULL, *name = NULL;
	int fd, r;

	if (a->tmpdir)
		return 0;
	if (asprintf(&tmpl, "%s/" TMP_NEW "XXXXXX", tmp_base()) < 0)
		return -ENOMEM;
	if (!mkdtemp(tmpl))
		return -errno;
	if (asprintf(&name, "%s/" TMP_PREFIX "%s", tmp_base(), strrchr(tmpl, '.') + 1) < 0) {
		(void)rmdir(tmpl);
		return -ENOMEM;
	}
	fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = fd < 0 ? -errno : 0;
	if (r == 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
		r = -errno;
	if (r == 0) { /* the mark, before the name that sweep_stale() looks at */
		int m = openat(fd, TMP_MARK, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		r = m < 0 ? -errno : 0;
		if (m >= 0)
			close(m);
	}
	if (r == 0 && rename(tmpl, name) < 0)
		r = -errno;
	if (r < 0) {
		if (fd >= 0) {
			(void)unlinkat(fd, TMP_MARK, 0);
			close(fd);
		}
		(void)rmdir(tmpl);
		return r;
	}
	a->tmplock = fd;
	a->tmpdir = TAKE_PTR(name);
	return 0;
}

/* A name copy_out() gives a copy: a number. */
static bool copy_name(const char *n)
{
	return *n && strspn(n, "0123456789") == strlen(n);
}

/* The copies of the copies' directory dfd and its mark: regular files named as ours only. */
static void sweep_files(int dfd)
{
	int fd = dup(dfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	struct stat st;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)))
		if ((copy_name(e->d_name) || strcmp(e->d_name, TMP_MARK) == 0) &&
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			(void)unlinkat(dfd, e->d_name, 0);
	closedir(d);
}

/*
 * A merge killed (SIGKILL, a power loss, the daemon killed during a commit) cannot remove
 * its copies: they would stay in $TMPDIR for good, as large as the files copied. Remove
 * every burnfs-append.* directory of ours (our user's, holding the mark) whose lock can be
 * taken: its owner is gone (a running merge holds its lock, whatever its process or PID
 * namespace). Only the numbered copies and the mark are removed, then the directory if
 * that empties it: a directory of that name made by something else is left as it is.
 */
void append_sweep_stale(void)
{
	DIR *d = opendir(tmp_base());
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		int fd;

		if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
		    faccessat(fd, TMP_MARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0) {
			sweep_files(fd);
			if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) == 0)
				bfs_log(LOG_INFO,
					"removed '%s/%s', the copies of a merge that was killed",
					tmp_base(), e->d_name);
		}
		close(fd);
	}
	closedir(d);
}

/* d's bytes from the disc into a new file of the temporary directory; its path in *ret. */
static int copy_out(struct merge *m, const struct eng_dnode *d, const char *path, char **ret)
{
	struct eng_append *a = m->a;
	_cleanup_free_ char *p = NULL;
	uint64_t off = 0;
	int fd, r = tmpdir_make(a);

	if (r < 0)
		return bfs_diag_set(m->diag, r, "cannot make a temporary directory for '/%s': %s",
				    path, strerror(-r));
	if (asprintf(&p, "%s/%zu", a->tmpdir, a->ncopies) < 0)
		return -ENOMEM;
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return bfs_diag_set(m->diag, -errno, "'%s': %m", p);
	while (r == 0 && off < d->size) {
		int64_t n = eng_disctree_pread(m->t, d, off, m->buf, COPY_BUF);

		if (n <= 0)
			r = bfs_diag_prefix(m->diag, n < 0 ? (int)n : -EIO,
					    "'/%s' on the disc: cannot be read", path);
		else if (write(fd, m->buf, (size_t)n) != n)
			r = bfs_diag_set(m->diag, -errno ? -errno : -EIO, "'%s': %m", p);
		off += n > 0 ? (uint64_t)n : 0;
	}
	if (close(fd) < 0 && r == 0)
		r = bfs_diag_set(m->diag, -errno, "'%s': %m", p);
	if (r == 0 && BFS_GROW(a->copies, a->copies_cap, a->ncopies + 1) < 0)
		r = -ENOMEM;
	if (r < 0) {
		(void)unlink(p);
		return r;
	}
	a->copies[a->ncopies++] = (struct copied){.ino = d->ino, .path = TAKE_PTR(p)};
	*ret = a->copies[a->ncopies - 1].path;
	return 0;
}

/*
 * A file whose data cannot be pointed at again: its source becomes a copy read from the
 * disc (one per hard-linked file), with the mtime the scan would have seen.
 */
int append_copy(struct merge *m, struct bfs_node *n, const struct eng_dnode *d, const char *path)
{
	struct eng_append *a = m->a;
	const char *src = NULL;
	struct stat st;
	int r;

	for (size_t i = 0; d->nlink > 1 && i < a->ncopies && !src; i++)
		if (a->copies[i].ino == d->ino)
			src = a->copies[i].path;
	if (!src) {
		char *p = NULL; /* set when copy_out succeeds; gcc -O2 cannot tell */

		r = copy_out(m, d, path, &p);
		if (r < 0)
			return r;
		src = p;
	}
	if (stat(src, &st) < 0)
		return bfs_diag_set(m->diag, -errno, "'%s': %m", src);
	n->src_path = strdup(src);
	if (!n->src_path)
		return -ENOMEM;
	n->src_mtime =
		(struct bfs_time){.sec = st.st_mtim.tv_sec, .nsec = (uint32_t)st.st_mtim.tv_nsec};
	a->info.copied++;
	return 0;
}
