/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disc under the staging mount. See lower.h.
 *
 * Reads of a file come in pieces of up to 1 MiB at growing offsets; looking its path up
 * again for each would read every directory on the way each time, so the nodes of the
 * files read last are kept (FILES of them, the oldest replaced).
 */
#include "lower.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "engine/disctree.h"
#include "engine/sessions.h"

#define FILES 8

struct open_file {
	char *path;
	struct eng_dnode node;
};

struct stg_lower {
	pthread_mutex_t lock;
	pthread_cond_t loaded; /* suspended became false */
	char *drive;
	bool suspended;
	struct eng_medium *m;
	struct eng_disctree *t;
	struct bfs_diag diag; /* the tree's, under lock */
	uint64_t generation;
	unsigned number, count;
	struct open_file files[FILES];
	unsigned next_file;
};

void stg_lnode_done(struct stg_lnode *n)
{
	free(n->name);
	free(n->target);
	memset(n, 0, sizeof(*n));
}

void stg_lnodes_free(struct stg_lnode *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		stg_lnode_done(&v[i]);
	free(v);
}

int stg_lower_new(const char *drive, struct stg_lower **ret)
{
	struct stg_lower *l = calloc(1, sizeof(*l));

	if (!l || !(l->drive = strdup(drive))) {
		free(l);
		return -ENOMEM;
	}
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->loaded, NULL);
	*ret = l;
	return 0;
}

/* Under lock: let go of the tree, the cached files and the drive. */
static void unload(struct stg_lower *l)
{
	for (unsigned i = 0; i < FILES; i++) {
		free(l->files[i].path);
		eng_dnode_done(&l->files[i].node);
		l->files[i].path = NULL;
	}
	l->t = eng_disctree_free(l->t);
	l->m = eng_medium_free(l->m);
	l->number = l->count = 0;
}

struct stg_lower *stg_lower_free(struct stg_lower *l)
{
	if (l) {
		unload(l);
		pthread_cond_destroy(&l->loaded);
		pthread_mutex_destroy(&l->lock);
		free(l->drive);
		free(l);
	}
	return NULL;
}

/* Under lock: open the medium and the session's tree. */
static int load_locked(struct stg_lower *l, unsigned session, struct bfs_diag *diag)
{
	_cleanup_free_ struct eng_session *s = NULL;
	const struct eng_session *pick;
	size_t n = 0;
	int r = eng_medium_open(l->drive, NULL, &l->m, diag);

	if (r == 0)
		r = eng_sessions_list(l->m, &s, &n, diag);
	if (r == -ENODATA && session == 0) {
		bfs_diag_clear(diag); /* blank: no tree, nothing to show */
		return 0;
	}
	if (r < 0)
		return r;
	/* the last closed session: an open one (being written) holds nothing to read yet */
	while (session == 0 && n > 0 && s[n - 1].open)
		n--;
	if (n == 0)
		return 0;
	pick = eng_session_pick(s, n, session, diag);
	if (!pick)
		return diag->err;
	bfs_diag_clear(&l->diag);
	r = eng_disctree_open_fullest(eng_medium_read, l->m, pick->start,
				      pick->start + pick->length, &l->diag, &l->t);
	if (r < 0)
		return bfs_diag_set(diag, r, "session %u of the disc in '%s': %s", pick->number,
				    l->drive, bfs_diag_msg(&l->diag, r));
	l->number = pick->number;
	l->count = (unsigned)n;
	return 0;
}

int stg_lower_load(struct stg_lower *l, unsigned session, struct bfs_diag *diag)
{
	int r;

	pthread_mutex_lock(&l->lock);
	unload(l);
	r = load_locked(l, session, diag);
	if (r < 0)
		unload(l);
	l->generation++;
	l->suspended = false;
	pthread_cond_broadcast(&l->loaded);
	pthread_mutex_unlock(&l->lock);
	return r;
}

void stg_lower_suspend(struct stg_lower *l)
{
	pthread_mutex_lock(&l->lock);
	unload(l);
	l->suspended = true;
	pthread_mutex_unlock(&l->lock);
}

/* Take the lock once no commit holds the drive. */
static void enter(struct stg_lower *l)
{
	pthread_mutex_lock(&l->lock);
	while (l->suspended)
		pthread_cond_wait(&l->loaded, &l->lock);
}

bool stg_lower_present(struct stg_lower *l)
{
	bool p;

	enter(l);
	p = l->t != NULL;
	pthread_mutex_unlock(&l->lock);
	return p;
}

uint64_t stg_lower_generation(struct stg_lower *l)
{
	uint64_t g;

	pthread_mutex_lock(&l->lock);
	g = l->generation;
	pthread_mutex_unlock(&l->lock);
	return g;
}

void stg_lower_session(struct stg_lower *l, unsigned *number, unsigned *count)
{
	enter(l);
	*number = l->number;
	*count = l->count;
	pthread_mutex_unlock(&l->lock);
}

static mode_t type_bits(enum bfs_node_type t)
{
	static const mode_t bits[] = {
		[BFS_NODE_DIR] = S_IFDIR,   [BFS_NODE_FILE] = S_IFREG, [BFS_NODE_SYMLINK] = S_IFLNK,
		[BFS_NODE_CHR] = S_IFCHR,   [BFS_NODE_BLK] = S_IFBLK,  [BFS_NODE_FIFO] = S_IFIFO,
		[BFS_NODE_SOCK] = S_IFSOCK,
	};

	return (size_t)t < BFS_ARRAY_SIZE(bits) ? bits[t] : S_IFREG;
}

/* The stat(2) view of a disc node, with a copy of its name and target. */
static int lnode_of(const struct eng_dnode *d, struct stg_lnode *ret)
{
	struct stat *st = &ret->st;

	memset(ret, 0, sizeof(*ret));
	ret->name = strndup(d->name, d->name_len);
	if (!ret->name || (d->target && !(ret->target = strdup(d->target)))) {
		stg_lnode_done(ret);
		return -ENOMEM;
	}
	st->st_ino = (ino_t)(d->ino | STG_LOWER_INO_BIT);
	st->st_mode = type_bits(d->type) | (d->mode & 07777);
	st->st_nlink = d->nlink ? d->nlink : 1;
	st->st_uid = d->uid;
	st->st_gid = d->gid;
	st->st_size = (off_t)d->size;
	st->st_blocks = (blkcnt_t)((d->size + 511) / 512);
	st->st_blksize = 2048;
	st->st_rdev = makedev(d->rdev_major, d->rdev_minor);
	st->st_mtim = (struct timespec){.tv_sec = d->mtime.sec, .tv_nsec = d->mtime.nsec};
	st->st_atim = (struct timespec){.tv_sec = d->atime.sec, .tv_nsec = d->atime.nsec};
	st->st_ctim = st->st_mtim;
	return 0;
}

/* Under lock: the node at path, from the tree. */
static int lookup_locked(struct stg_lower *l, const char *path, struct eng_dnode *ret)
{
	char *full;
	int r;

	if (!l->t)
		return -ENODEV;
	if (asprintf(&full, "/%s", path) < 0)
		return -ENOMEM;
	bfs_diag_clear(&l->diag);
	r = eng_disctree_lookup(l->t, full, ret);
	free(full);
	return r;
}

int stg_lower_stat(struct stg_lower *l, const char *path, struct stg_lnode *ret)
{
	struct eng_dnode d = {0};
	int r;

	enter(l);
	r = lookup_locked(l, path, &d);
	if (r == 0)
		r = lnode_of(&d, ret);
	eng_dnode_done(&d);
	pthread_mutex_unlock(&l->lock);
	return r;
}

/* Under lock: the listing of directory node d as stat(2) views. */
static int list_locked(struct stg_lower *l, const struct eng_dnode *d, struct stg_lnode **v,
		       size_t *n)
{
	struct eng_dnode *dv = NULL;
	struct stg_lnode *out;
	size_t dn = 0;
	int r = eng_disctree_list(l->t, d, &dv, &dn);

	if (r < 0)
		return r;
	out = calloc(dn ? dn : 1, sizeof(*out));
	if (!out) {
		eng_dnodes_free(dv, dn);
		return -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < dn; i++)
		r = lnode_of(&dv[i], &out[i]);
	eng_dnodes_free(dv, dn);
	if (r < 0) {
		stg_lnodes_free(out, dn);
		return r;
	}
	*v = out;
	*n = dn;
	return 0;
}

int stg_lower_list(struct stg_lower *l, const char *path, struct stg_lnode **v, size_t *n)
{
	struct eng_dnode d = {0};
	int r;

	enter(l);
	r = lookup_locked(l, path, &d);
	if (r == 0)
		r = d.type == BFS_NODE_DIR ? list_locked(l, &d, v, n) : -ENOTDIR;
	eng_dnode_done(&d);
	pthread_mutex_unlock(&l->lock);
	return r;
}

/* Under lock: the cached node of the file at path, looked up when it is not cached. */
static int file_locked(struct stg_lower *l, const char *path, struct eng_dnode **ret)
{
	struct open_file *f;
	int r;

	for (unsigned i = 0; i < FILES; i++)
		if (l->files[i].path && strcmp(l->files[i].path, path) == 0) {
			*ret = &l->files[i].node;
			return 0;
		}
	f = &l->files[l->next_file++ % FILES];
	free(f->path);
	eng_dnode_done(&f->node);
	f->path = NULL;
	r = lookup_locked(l, path, &f->node);
	if (r < 0)
		return r;
	if (f->node.type != BFS_NODE_FILE) {
		bool dir = f->node.type == BFS_NODE_DIR;

		eng_dnode_done(&f->node);
		return dir ? -EISDIR : -EINVAL;
	}
	f->path = strdup(path);
	if (!f->path) {
		eng_dnode_done(&f->node);
		return -ENOMEM;
	}
	*ret = &f->node;
	return 0;
}

int64_t stg_lower_pread(struct stg_lower *l, const char *path, uint64_t off, void *buf, size_t len)
{
	struct eng_dnode *d;
	int64_t r;

	enter(l);
	r = file_locked(l, path, &d);
	if (r == 0) {
		bfs_diag_clear(&l->diag);
		r = eng_disctree_pread(l->t, d, off, buf, len);
	}
	pthread_mutex_unlock(&l->lock);
	return r;
}
