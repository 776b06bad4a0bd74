/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disc under the staging mount. See lower.h.
 *
 * The index: one array of nodes, a directory's nodes next to each other in name order (so a
 * name is found by bisection and a listing is a range), names and link targets in one
 * buffer. It is built from one eng_disctree_walk_dirs() of the session, which lists every
 * directory once (the order of ls -R: a directory before its subdirectories), so a
 * directory's own entry is always placed before its listing comes.
 *
 * A regular file whose data is one run of blocks stored as it reads is read straight from
 * the medium (its first block is in the index); others (zisofs, data in a UDF ICB or in
 * several runs) through the session's tree, opened for them.
 *
 * Locks: `lock` (a read-write lock) guards the index and the generation; `io` guards the
 * medium, the tree opened for reads and the suspension. A load takes both, io first.
 */
#include "lower.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "engine/disctree.h"
#include "engine/sessions.h"

#define NO_LBA	  UINT32_MAX
#define NO_TARGET UINT32_MAX
/*
 * Seconds without reads before the drive is closed: the mount holds it O_EXCL while open,
 * and every other user of the drive (a burner, `burnfs vdrive export`, a player) is turned
 * away or waits meanwhile. A read burst keeps it open; an idle mount lets it go at once.
 */
#define IDLE_CLOSE 0.25
#define NODES_MAX  (UINT32_MAX / 2)

/*
 * A node of the index, 72 bytes: a disc of 100,000 files is indexed in 7.2 MB. Fields only
 * some types have share room: a device's number is kept where a file's size would be (a
 * device's st_size is 0); a file's first block, a directory's first child and a symbolic
 * link's target share aux.
 * Block numbers fit 32 bits: ISO 9660 records them so, and the largest disc is 2^26 blocks.
 */
struct lnode {
	uint64_t ino;
	uint64_t size_or_rdev; /* S_ISCHR/S_ISBLK: makedev(), else st_size */
	int64_t mtime_s, atime_s;
	uint32_t mtime_ns, atime_ns;
	/*
	 * S_ISREG: the first block of a file that is one plain run, or NO_LBA; S_ISLNK: the
	 * target's offset into names, or NO_TARGET; S_ISDIR: its first node (node_first()).
	 */
	uint32_t aux;
	uint32_t parent, nchild; /* nchild: a directory's nodes, from its first on */
	uint32_t name;		 /* offset into names (NUL-terminated) */
	uint32_t mode;		 /* S_IF* | 07777 */
	uint32_t uid, gid, nlink;
};
_Static_assert(sizeof(struct lnode) == 72, "an index node is 72 bytes");

static bool is_dev(const struct lnode *n)
{
	return S_ISCHR(n->mode) || S_ISBLK(n->mode);
}

static uint64_t node_size(const struct lnode *n)
{
	return is_dev(n) ? 0 : n->size_or_rdev;
}

static uint32_t node_lba(const struct lnode *n)
{
	return S_ISREG(n->mode) ? n->aux : NO_LBA;
}

static uint32_t node_first(const struct lnode *n)
{
	return S_ISDIR(n->mode) ? n->aux : 0;
}

static uint32_t node_target(const struct lnode *n)
{
	return S_ISLNK(n->mode) ? n->aux : NO_TARGET;
}

struct nl_delta {
	uint64_t ino;
	int64_t d;
	const struct eng_attr *attr; /* an ATTR of one name of a hard-linked file: all its names' */
};

struct nlinks {
	pthread_mutex_t lock;
	bool valid;
	struct nl_delta *v;
	size_t n, cap;
};

struct stg_lower {
	pthread_rwlock_t lock;
	struct lnode *v;
	size_t n, cap, dirs;
	char *names;
	size_t names_len, names_cap;
	uint64_t generation;
	unsigned number, count;
	uint64_t start, end;	  /* the loaded session */
	uint64_t meta_blocks;	  /* its blocks that are not file data it wrote (meta_blocks()) */
	char id[ENG_DISC_ID_MAX]; /* the loaded disc's identity (eng_disc_identity) */
	struct eng_edits *edits;  /* NULL until the log is opened (at the first change) */
	char *edits_dir, *edits_name; /* where it is (stg_lower_edits_open) */
	struct nlinks *nl;	      /* link counts the edits changed, built when asked */
	bool stale;		      /* edits made against another disc */
	char stale_why[512];

	pthread_mutex_t io;
	pthread_cond_t io_cond; /* suspended became false; or the reaper is asked to stop */
	char *drive;
	bool suspended, stopping, reaper_running;
	struct eng_medium *m;
	struct eng_disctree *t; /* for files that are not one plain run */
	struct bfs_diag diag;	/* t's */
	double last_use;
	pthread_t reaper;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the drive, opened for reads and closed when idle -------------------------------- */

/* Under io. */
static void close_medium(struct stg_lower *l)
{
	l->t = eng_disctree_free(l->t);
	l->m = eng_medium_free(l->m);
}

static void *reaper_main(void *arg)
{
	struct stg_lower *l = arg;

	pthread_mutex_lock(&l->io);
	while (!l->stopping) {
		struct timespec until;
		double left;

		if (!l->m) { /* asleep until a read opens the drive (open_medium() wakes it) */
			pthread_cond_wait(&l->io_cond, &l->io);
			continue;
		}
		left = l->last_use + IDLE_CLOSE - now_s();
		if (left <= 0) {
			close_medium(l);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)(left * 1e9) + 1000000; /* 1 ms late: never early */
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&l->io_cond, &l->io, &until);
	}
	pthread_mutex_unlock(&l->io);
	return NULL;
}

/* Under io: the medium open, once no commit holds the drive. */
static int open_medium(struct stg_lower *l)
{
	struct bfs_diag diag = {0};
	int r;

	while (l->suspended)
		pthread_cond_wait(&l->io_cond, &l->io);
	l->last_use = now_s();
	if (l->m)
		return 0;
	r = eng_medium_open(l->drive, NULL, &l->m, &diag);
	if (r == 0)
		pthread_cond_broadcast(&l->io_cond); /* the reaper: a drive to let go of */
	return r;
}

void stg_lower_suspend(struct stg_lower *l)
{
	pthread_mutex_lock(&l->io);
	close_medium(l);
	l->suspended = true;
	pthread_mutex_unlock(&l->io);
}

void stg_lower_resume(struct stg_lower *l)
{
	pthread_mutex_lock(&l->io);
	l->suspended = false;
	pthread_cond_broadcast(&l->io_cond);
	pthread_mutex_unlock(&l->io);
}

/* ---- life --------------------------------------------------------------------------- */

int stg_lower_new(const char *drive, struct stg_lower **ret)
{
	struct stg_lower *l = calloc(1, sizeof(*l));

	if (!l || !(l->drive = strdup(drive))) {
		free(l);
		return -ENOMEM;
	}
	l->nl = calloc(1, sizeof(*l->nl));
	if (!l->nl) {
		free(l->drive);
		free(l);
		return -ENOMEM;
	}
	pthread_mutex_init(&l->nl->lock, NULL);
	pthread_rwlock_init(&l->lock, NULL);
	pthread_mutex_init(&l->io, NULL);
	pthread_cond_init(&l->io_cond, NULL);
	l->reaper_running = pthread_create(&l->reaper, NULL, reaper_main, l) == 0;
	*ret = l;
	return 0;
}

/* Under lock (write): drop the index. */
static void index_clear(struct stg_lower *l)
{
	free(l->v);
	free(l->names);
	l->v = NULL;
	l->names = NULL;
	l->n = l->cap = l->dirs = l->names_len = l->names_cap = 0;
	l->number = l->count = 0;
	l->meta_blocks = 0;
}

struct stg_lower *stg_lower_free(struct stg_lower *l)
{
	if (!l)
		return NULL;
	pthread_mutex_lock(&l->io);
	l->stopping = true;
	pthread_cond_broadcast(&l->io_cond);
	pthread_mutex_unlock(&l->io);
	if (l->reaper_running)
		pthread_join(l->reaper, NULL);
	close_medium(l);
	index_clear(l);
	eng_edits_free(l->edits);
	free(l->edits_dir);
	free(l->edits_name);
	pthread_mutex_destroy(&l->nl->lock);
	free(l->nl->v);
	free(l->nl);
	pthread_cond_destroy(&l->io_cond);
	pthread_mutex_destroy(&l->io);
	pthread_rwlock_destroy(&l->lock);
	free(l->drive);
	free(l);
	return NULL;
}

/* ---- building the index ------------------------------------------------------------- */

static int add_name(struct stg_lower *l, const char *s, size_t len, uint32_t *ret)
{
	if (l->names_len + len + 1 > l->names_cap) {
		size_t cap = BFS_MAX(l->names_cap * 2, l->names_len + len + 1 + 4096);
		char *p = cap < UINT32_MAX ? realloc(l->names, cap) : NULL;

		if (!p)
			return -ENOMEM;
		l->names = p;
		l->names_cap = cap;
	}
	*ret = (uint32_t)l->names_len;
	memcpy(l->names + l->names_len, s, len);
	l->names[l->names_len + len] = '\0';
	l->names_len += len + 1;
	return 0;
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

/* Fill node x from the disc's node d, a child of parent. */
static int set_node(struct stg_lower *l, struct eng_disctree *t, uint32_t x, uint32_t parent,
		    const struct eng_dnode *d)
{
	struct lnode *n = &l->v[x];
	int r;

	*n = (struct lnode){
		.ino = d->ino,
		.size_or_rdev = d->size,
		.aux = NO_LBA,
		.mtime_s = d->mtime.sec,
		.mtime_ns = d->mtime.nsec,
		.atime_s = d->atime.sec,
		.atime_ns = d->atime.nsec,
		.parent = parent,
		.mode = type_bits(d->type) | (d->mode & 07777),
		.uid = d->uid,
		.gid = d->gid,
		.nlink = d->nlink ? d->nlink : 1,
	};
	if (is_dev(n))
		n->size_or_rdev = makedev(d->rdev_major, d->rdev_minor);
	r = add_name(l, d->name, d->name_len, &l->v[x].name);
	if (r == 0 && d->target && S_ISLNK(n->mode))
		r = add_name(l, d->target, strlen(d->target), &l->v[x].aux);
	if (r == 0 && d->type == BFS_NODE_FILE && d->size) {
		uint64_t lba;

		if (eng_disctree_extent(t, d, &lba) == 0 && lba < NO_LBA)
			l->v[x].aux = (uint32_t)lba;
	}
	return r;
}

/* Bisect the nodes of directory dir for name[0..len). */
static int child_of(const struct stg_lower *l, uint32_t dir, const char *name, size_t len,
		    uint32_t *ret)
{
	const struct lnode *d = &l->v[dir];
	uint32_t lo = node_first(d), hi = node_first(d) + d->nchild;

	if (!S_ISDIR(d->mode))
		return -ENOTDIR;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const char *s = l->names + l->v[mid].name;
		size_t sl = strlen(s);
		int c = memcmp(s, name, BFS_MIN(sl, len));

		if (c == 0)
			c = sl < len ? -1 : sl > len;
		if (c == 0) {
			*ret = mid;
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

/* Under lock: the node at path. */
static int find_path(const struct stg_lower *l, const char *path, uint32_t *ret)
{
	uint32_t x = 0;

	if (!l->n)
		return -ENODEV;
	while (*path) {
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);
		int r = len ? child_of(l, x, path, len, &x) : 0;

		if (r < 0)
			return r;
		path += len + (slash != NULL);
	}
	*ret = x;
	return 0;
}

struct build {
	struct stg_lower *l;
	struct eng_disctree *t;
};

static int build_dir(const char *path, const struct eng_dnode *dir, const struct eng_dnode *v,
		     size_t n, void *userdata)
{
	struct build *b = userdata;
	struct stg_lower *l = b->l;
	uint32_t d;
	int r;

	(void)dir;
	r = find_path(l, path, &d);
	if (r < 0)
		return r == -ENOMEM ? r : -EUCLEAN; /* the walk gave a directory it never listed */
	if (l->n + n > NODES_MAX)
		return -EFBIG;
	if (l->n + n > l->cap) {
		size_t cap = BFS_MAX(l->cap * 2, l->n + n + 1024);
		struct lnode *p = realloc(l->v, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->v = p;
		l->cap = cap;
	}
	l->v[d].aux = (uint32_t)l->n;
	l->v[d].nchild = (uint32_t)n;
	l->dirs++;
	for (size_t i = 0; i < n; i++) {
		r = set_node(l, b->t, (uint32_t)(l->n + i), d, &v[i]);
		if (r < 0)
			return r;
	}
	l->n += n;
	return 0;
}

/* The index grew by doubling: what it does not use goes back (a mremap of its mapping). */
static void shrink_to_fit(struct stg_lower *l)
{
	struct lnode *v = realloc(l->v, l->n * sizeof(*v));
	char *names = realloc(l->names, l->names_len ? l->names_len : 1);

	if (v) {
		l->v = v;
		l->cap = l->n;
	}
	if (names) {
		l->names = names;
		l->names_cap = l->names_len ? l->names_len : 1;
	}
}

/* Under both locks: index the tree of session s. */
static int build(struct stg_lower *l, struct eng_disctree *t, struct bfs_diag *diag)
{
	struct build b = {.l = l, .t = t};
	struct eng_dnode root = {0};
	int r = eng_disctree_lookup(t, "/", &root);

	if (r < 0)
		return r;
	l->v = calloc(1, sizeof(*l->v));
	r = l->v ? 0 : -ENOMEM;
	if (r == 0) {
		l->n = l->cap = 1;
		r = set_node(l, t, 0, 0, &root);
	}
	if (r == 0)
		r = eng_disctree_walk_dirs(t, &root, build_dir, &b);
	eng_dnode_done(&root);
	if (r == 0)
		shrink_to_fit(l);
	if (r == -EFBIG)
		return bfs_diag_set(diag, r, "more than %u nodes", (unsigned)NODES_MAX);
	if (r == -ENOMEM)
		return bfs_diag_set(diag, r, "out of memory");
	return r;
}

/*
 * Under lock: the blocks of the loaded session that are not file data written in it: its
 * trees, manifest and padding, which the next session carrying the same tree needs again.
 * A file's data counts once however many names it has (they share its first block).
 */
struct run_len {
	uint64_t lba, blocks;
};

static int run_cmp(const void *a, const void *b)
{
	const struct run_len *x = a, *y = b;

	return x->lba < y->lba ? -1 : x->lba > y->lba;
}

static uint64_t meta_blocks(const struct stg_lower *l)
{
	uint64_t len = l->end - l->start, data = 0, last = NO_LBA;
	struct run_len *v = malloc((l->n ? l->n : 1) * sizeof(*v));
	size_t nv = 0;

	if (!v)
		return 0; /* out of memory: the projection counts the staged files only */
	for (size_t i = 0; i < l->n; i++) {
		const struct lnode *x = &l->v[i];
		uint32_t lba = node_lba(x);

		if (lba != NO_LBA && lba >= l->start && lba < l->end)
			v[nv++] = (struct run_len){lba, (node_size(x) + 2047) / 2048};
	}
	if (nv)
		qsort(v, nv, sizeof(*v), run_cmp);
	for (size_t i = 0; i < nv; last = v[i++].lba) /* hard links share their first block */
		if (v[i].lba != last)
			data += v[i].blocks;
	free(v);
	return data < len ? len - data : 0;
}

/* Under both locks: the medium, the sessions and the index of the one asked for. */
static int load_locked(struct stg_lower *l, unsigned session, struct bfs_diag *diag)
{
	_cleanup_free_ struct eng_session *s = NULL;
	const struct eng_session *pick;
	struct eng_disctree *t = NULL;
	size_t n = 0;
	int r = eng_medium_open(l->drive, NULL, &l->m, diag);

	l->id[0] = '\0';
	if (r == 0)
		r = eng_sessions_list(l->m, &s, &n, diag);
	if (r == -ENODATA && session == 0) {
		bfs_diag_clear(diag); /* blank: no tree, nothing to show */
		return 0;
	}
	if (r == 0)
		r = eng_disc_identity(l->m, l->id, diag);
	if (r < 0)
		return r;
	/*
	 * closed sessions only: an open one (being written) holds nothing to read yet; and by
	 * default the last with files, as a commit carries it (a CD's audio sessions have none)
	 */
	while (n > 0 && (s[n - 1].open || (session == 0 && s[n - 1].audio)))
		n--;
	if (n == 0 && session == 0)
		return 0;
	pick = eng_session_pick(s, n, session, diag);
	if (!pick)
		return diag->err;
	if (pick->audio)
		return bfs_diag_set(diag, -ENOTDIR,
				    "session %u holds audio tracks (CD-DA), no files",
				    pick->number);
	r = eng_disctree_open_fullest(eng_medium_read, l->m, pick->start,
				      pick->start + pick->length, diag, &t);
	if (r == 0)
		r = build(l, t, diag);
	eng_disctree_free(t);
	if (r < 0)
		return bfs_diag_prefix(diag, r, "session %u of the disc in '%s'", pick->number,
				       l->drive);
	l->number = pick->number;
	l->count = (unsigned)n;
	l->start = pick->start;
	l->end = pick->start + pick->length;
	l->meta_blocks = meta_blocks(l);
	return 0;
}

/*
 * Under lock (write): whether the edits belong to the disc loaded. Edits of another disc are
 * kept, and left out, until that disc comes back or they are discarded; an empty log simply
 * follows the disc.
 */
static void nl_invalidate(struct stg_lower *l);

static void edits_check(struct stg_lower *l)
{
	const char *was;

	nl_invalidate(l);
	if (!l->edits)
		return;
	was = eng_edits_disc_id(l->edits);
	l->stale = !eng_edits_empty(l->edits) && strcmp(was, l->id) != 0;
	if (l->stale)
		snprintf(l->stale_why, sizeof(l->stale_why),
			 "the staged changes of the disc's own files were made against another "
			 "disc (%s; the drive holds %s): put that disc back and write `refresh` "
			 "to .burnfs/ctl, or `discard` them",
			 was[0] ? was : "a blank one", l->id[0] ? l->id : "a blank one");
	else if (strcmp(was, l->id) != 0) {
		struct bfs_diag diag = {0};

		if (eng_edits_reset(l->edits, l->id, &diag) < 0)
			l->stale = false; /* the log failed: its changes fail, each with why */
	}
}

int stg_lower_load(struct stg_lower *l, unsigned session, struct bfs_diag *diag)
{
	int r;

	pthread_mutex_lock(&l->io);
	pthread_rwlock_wrlock(&l->lock);
	close_medium(l);
	index_clear(l);
	r = load_locked(l, session, diag);
	if (r < 0)
		index_clear(l);
	close_medium(l); /* until a read wants it */
	/*
	 * The disc's tree the index was built from is freed: its pages go back now. The inodes
	 * the mount makes next come from other threads' arenas, which would not reuse them
	 * (4 MB of a 100,000-file disc's load, measured).
	 */
	malloc_trim(0);
	l->generation++;
	edits_check(l);
	pthread_rwlock_unlock(&l->lock);
	pthread_mutex_unlock(&l->io);
	return r;
}

/* ---- queries ------------------------------------------------------------------------ */

/* Take the index for reading when gen is the loaded generation: 0, -ESTALE, -ENODEV. */
static int enter(struct stg_lower *l, uint64_t gen)
{
	pthread_rwlock_rdlock(&l->lock);
	if (!l->n || gen != l->generation) {
		int r = !l->n ? -ENODEV : -ESTALE;

		pthread_rwlock_unlock(&l->lock);
		return r;
	}
	return 0;
}

static void leave(struct stg_lower *l)
{
	pthread_rwlock_unlock(&l->lock);
}

bool stg_lower_present(struct stg_lower *l)
{
	bool p;

	pthread_rwlock_rdlock(&l->lock);
	p = l->n > 0;
	pthread_rwlock_unlock(&l->lock);
	return p;
}

void stg_lower_info(struct stg_lower *l, struct stg_lower_info *ret)
{
	pthread_rwlock_rdlock(&l->lock);
	*ret = (struct stg_lower_info){
		.number = l->number,
		.count = l->count,
		.start = l->n ? l->start : 0,
		.nodes = l->n,
		.dirs = l->dirs,
		.meta_blocks = l->meta_blocks,
	};
	pthread_rwlock_unlock(&l->lock);
}

uint64_t stg_lower_generation(struct stg_lower *l)
{
	uint64_t g;

	pthread_rwlock_rdlock(&l->lock);
	g = l->generation;
	pthread_rwlock_unlock(&l->lock);
	return g;
}

int stg_lower_find(struct stg_lower *l, const char *path, uint64_t *gen, stg_lid *ret)
{
	int r;

	pthread_rwlock_rdlock(&l->lock);
	r = find_path(l, path, ret);
	*gen = l->generation;
	pthread_rwlock_unlock(&l->lock);
	return r;
}

int stg_lower_child(struct stg_lower *l, uint64_t gen, stg_lid dir, const char *name, stg_lid *ret)
{
	int r = enter(l, gen);

	if (r < 0)
		return r;
	r = dir < l->n ? child_of(l, dir, name, strlen(name), ret) : -EINVAL;
	leave(l);
	return r;
}

static char *path_locked(const struct stg_lower *l, uint32_t id);

static void stat_of(const struct lnode *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t)(n->ino | STG_LOWER_INO_BIT);
	st->st_mode = n->mode;
	st->st_nlink = n->nlink;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_size = (off_t)node_size(n);
	st->st_blocks = (blkcnt_t)((node_size(n) + 511) / 512);
	st->st_blksize = 2048;
	st->st_rdev = is_dev(n) ? (dev_t)n->size_or_rdev : 0;
	st->st_mtim = (struct timespec){.tv_sec = n->mtime_s, .tv_nsec = n->mtime_ns};
	st->st_atim = (struct timespec){.tv_sec = n->atime_s, .tv_nsec = n->atime_ns};
	st->st_ctim = st->st_mtim;
}

/*
 * The link counts the edits change: a removed name of a regular file takes one from its
 * file's count, a LINK adds one; a removed directory takes one for each file under it that
 * keeps no name of its own elsewhere. And the ATTR of one name of a file with several: a
 * chmod through one name shows through all (they are one file, as the commit records it).
 * Built at the first stat after a change, under its own mutex (readers of the index hold
 * the read lock only).
 */
static int nl_cmp(const void *a, const void *b)
{
	const struct nl_delta *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void nl_add(struct nlinks *nl, uint64_t ino, int64_t d, const struct eng_attr *attr)
{
	if (BFS_GROW(nl->v, nl->cap, nl->n + 1) == 0)
		nl->v[nl->n++] = (struct nl_delta){ino, d, attr};
}

struct nl_walk {
	const struct stg_lower *l;
	struct nlinks *nl;
};

/* Under lock: the files under directory d that lose their name with it. */
static void nl_dir_gone(const struct stg_lower *l, struct nlinks *nl, uint32_t d, unsigned depth)
{
	for (uint32_t i = 0; depth < 1024 && i < l->v[d].nchild; i++) {
		uint32_t x = node_first(&l->v[d]) + i;
		char *p;

		if (S_ISDIR(l->v[x].mode)) {
			nl_dir_gone(l, nl, x, depth + 1);
			continue;
		}
		if (!S_ISREG(l->v[x].mode) || !(p = path_locked(l, x)))
			continue;
		if (eng_edits_in_place(l->edits, p)) /* no record of its own: goes with the dir */
			nl_add(nl, l->v[x].ino, -1, NULL);
		free(p);
	}
}

static int nl_record(const char *kind, const char *disc, const char *target,
		     const struct eng_attr *attr, void *userdata)
{
	struct nl_walk *w = userdata;
	uint32_t x;

	(void)target;
	if (find_path(w->l, disc, &x) < 0)
		return 0;
	if (!strcmp(kind, "link") && S_ISREG(w->l->v[x].mode))
		nl_add(w->nl, w->l->v[x].ino, 1, NULL);
	else if (!strcmp(kind, "delete") && S_ISREG(w->l->v[x].mode))
		nl_add(w->nl, w->l->v[x].ino, -1, NULL);
	else if (!strcmp(kind, "attr") && attr && S_ISREG(w->l->v[x].mode) && w->l->v[x].nlink > 1)
		nl_add(w->nl, w->l->v[x].ino, 0, attr);
	else if (!strcmp(kind, "delete") && S_ISDIR(w->l->v[x].mode))
		nl_dir_gone(w->l, w->nl, x, 0);
	return 0;
}

/*
 * Under lock: the change of file ino's link count; *attr (may be NULL) the ATTR one of its
 * names has, when it has several.
 */
static int64_t nl_delta(const struct stg_lower *l, uint64_t ino, const struct eng_attr **attr)
{
	struct nlinks *nl = l->nl;
	struct nl_delta key = {.ino = ino}, *hit;
	int64_t d = 0;

	if (attr)
		*attr = NULL;
	if (!nl)
		return 0;
	pthread_mutex_lock(&nl->lock);
	if (!nl->valid) {
		struct nl_walk w = {.l = l, .nl = nl};
		size_t k = 0;

		nl->n = 0;
		(void)eng_edits_foreach(l->edits, nl_record, &w);
		if (nl->n)
			qsort(nl->v, nl->n, sizeof(*nl->v), nl_cmp);
		for (size_t i = 0; i < nl->n; i++) /* one entry per ino, the deltas summed */
			if (k && nl->v[k - 1].ino == nl->v[i].ino) {
				nl->v[k - 1].d += nl->v[i].d;
				if (nl->v[i].attr)
					nl->v[k - 1].attr = nl->v[i].attr;
			} else {
				nl->v[k++] = nl->v[i];
			}
		nl->n = k;
		nl->valid = true;
	}
	hit = nl->n ? bsearch(&key, nl->v, nl->n, sizeof(key), nl_cmp) : NULL;
	if (hit)
		d = hit->d;
	if (hit && attr)
		*attr = hit->attr;
	pthread_mutex_unlock(&nl->lock);
	return d;
}

/* Under lock (write): the edits changed, so did link counts maybe. */
static void nl_invalidate(struct stg_lower *l)
{
	if (l->nl)
		l->nl->valid = false;
}

/* Under lock: node x's attributes, with those the edits changed. */
static void stat_edited(const struct stg_lower *l, uint32_t x, struct stat *st)
{
	const struct eng_attr *a = NULL, *link_attr = NULL;
	char *path;

	stat_of(&l->v[x], st);
	if (!l->edits || l->stale || eng_edits_empty(l->edits))
		return;
	if (S_ISREG(st->st_mode)) {
		int64_t n = (int64_t)st->st_nlink + nl_delta(l, l->v[x].ino, &link_attr);

		st->st_nlink = n > 0 ? (nlink_t)n : 1;
	}
	if (!(path = path_locked(l, x)))
		return;
	a = eng_edits_attr(l->edits, path);
	free(path);
	if (!a)
		a = link_attr; /* set through another name of the same file */
	if (!a)
		return;
	if (a->mask & ENG_ATTR_MODE)
		st->st_mode = (st->st_mode & S_IFMT) | (a->mode & 07777);
	if (a->mask & ENG_ATTR_UID)
		st->st_uid = a->uid;
	if (a->mask & ENG_ATTR_GID)
		st->st_gid = a->gid;
	if (a->mask & ENG_ATTR_MTIME)
		st->st_mtim = (struct timespec){.tv_sec = a->mtime.sec, .tv_nsec = a->mtime.nsec};
	if (a->mask & ENG_ATTR_ATIME)
		st->st_atim = (struct timespec){.tv_sec = a->atime.sec, .tv_nsec = a->atime.nsec};
	if (a->mask)
		st->st_ctim = st->st_mtim;
}

int stg_lower_stat(struct stg_lower *l, uint64_t gen, stg_lid id, struct stat *st)
{
	int r = enter(l, gen);

	if (r < 0)
		return r;
	if (id < l->n)
		stat_edited(l, id, st);
	else
		r = -EINVAL;
	leave(l);
	return r;
}

int stg_lower_readlink(struct stg_lower *l, uint64_t gen, stg_lid id, char *buf, size_t cap)
{
	int r = enter(l, gen);

	if (r < 0)
		return r;
	if (id >= l->n || node_target(&l->v[id]) == NO_TARGET)
		r = -EINVAL;
	else if (snprintf(buf, cap, "%s", l->names + node_target(&l->v[id])) >= (int)cap)
		r = -ENAMETOOLONG;
	leave(l);
	return r;
}

/* Under lock: the disc path of node id, malloc'd (NULL when out of memory). */
static char *path_locked(const struct stg_lower *l, uint32_t id)
{
	size_t len = 0;
	char *p;

	for (uint32_t x = id; x; x = l->v[x].parent)
		len += strlen(l->names + l->v[x].name) + 1;
	p = malloc(len + 1);
	if (p) {
		size_t end = len ? len - 1 : 0; /* no '/' after the last component */

		p[end] = '\0';
		for (uint32_t x = id; x; x = l->v[x].parent) {
			const char *s = l->names + l->v[x].name;
			size_t sl = strlen(s);

			end -= sl;
			memcpy(p + end, s, sl);
			if (end)
				p[--end] = '/';
		}
	}
	return p;
}

int stg_lower_path(struct stg_lower *l, uint64_t gen, stg_lid id, char **ret)
{
	int r = enter(l, gen);

	if (r < 0)
		return r;
	*ret = id < l->n ? path_locked(l, id) : NULL;
	r = id >= l->n ? -EINVAL : *ret ? 0 : -ENOMEM;
	leave(l);
	return r;
}

int stg_lower_links(struct stg_lower *l, uint64_t gen, stg_lid id, stg_lower_path_fn fn,
		    void *userdata)
{
	int r = enter(l, gen);

	if (r < 0)
		return r;
	if (id >= l->n || !S_ISREG(l->v[id].mode))
		r = -EINVAL;
	for (uint32_t x = 0; r == 0 && l->v[id].nlink > 1 && x < l->n; x++)
		if (l->v[x].ino == l->v[id].ino && S_ISREG(l->v[x].mode)) {
			char *p = path_locked(l, x);

			r = p ? fn(p, userdata) : -ENOMEM;
			free(p);
		}
	leave(l);
	return r;
}

int stg_lower_foreach(struct stg_lower *l, uint64_t gen, stg_lid dir, stg_lower_each_fn fn,
		      void *userdata)
{
	int r = enter(l, gen);

	if (r < 0)
		return r;
	if (dir >= l->n || !S_ISDIR(l->v[dir].mode))
		r = dir >= l->n ? -EINVAL : -ENOTDIR;
	for (uint32_t i = 0; r == 0 && i < l->v[dir].nchild; i++) {
		uint32_t x = node_first(&l->v[dir]) + i;
		struct stat st;

		stat_edited(l, x, &st);
		r = fn(l->names + l->v[x].name, x, &st, userdata);
	}
	leave(l);
	return r;
}

/* ---- file data ---------------------------------------------------------------------- */

/* Under io: len bytes at off of the plain run at block lba, through a bounce buffer. */
static int64_t read_run(struct stg_lower *l, uint64_t lba, uint64_t off, uint8_t *buf, size_t len)
{
	uint64_t first = off / 2048, last = (off + len + 2047) / 2048;
	uint8_t *b = malloc((size_t)(last - first) * 2048);
	int r;

	if (!b)
		return -ENOMEM;
	r = eng_medium_read(l->m, lba + first, (uint32_t)(last - first), b);
	if (r == 0)
		memcpy(buf, b + (off - first * 2048), len);
	free(b);
	return r < 0 ? r : (int64_t)len;
}

/* Under io: through the session's tree, for what is not one plain run. */
static int64_t read_tree(struct stg_lower *l, const char *path, uint64_t off, uint8_t *buf,
			 size_t len)
{
	struct eng_dnode d = {0};
	_cleanup_free_ char *full = NULL;
	int64_t r = 0;

	if (!l->t)
		r = eng_disctree_open_fullest(eng_medium_read, l->m, l->start, l->end, &l->diag,
					      &l->t);
	if (r == 0 && asprintf(&full, "/%s", path) < 0)
		r = -ENOMEM;
	if (r == 0)
		r = eng_disctree_lookup(l->t, full, &d);
	if (r == 0)
		r = eng_disctree_pread(l->t, &d, off, buf, len);
	eng_dnode_done(&d);
	return r;
}

int64_t stg_lower_pread(struct stg_lower *l, uint64_t gen, stg_lid id, uint64_t off, void *buf,
			size_t len)
{
	_cleanup_free_ char *path = NULL;
	uint32_t lba = NO_LBA;
	uint64_t size = 0;
	int64_t r = enter(l, gen);

	if (r < 0)
		return r;
	if (id >= l->n || !S_ISREG(l->v[id].mode))
		r = id < l->n && S_ISDIR(l->v[id].mode) ? -EISDIR : -EINVAL;
	else {
		lba = node_lba(&l->v[id]);
		size = node_size(&l->v[id]);
	}
	leave(l);
	if (r < 0 || off >= size)
		return r;
	len = (size_t)BFS_MIN((uint64_t)len, size - off);
	if (lba == NO_LBA && (r = stg_lower_path(l, gen, id, &path)) < 0)
		return r;
	pthread_mutex_lock(&l->io);
	r = open_medium(l);
	if (r == 0)
		r = lba != NO_LBA ? read_run(l, lba, off, buf, len)
				  : read_tree(l, path, off, buf, len);
	l->last_use = now_s();
	pthread_mutex_unlock(&l->io);
	return r;
}

/* ---- the user's edits ----------------------------------------------------------------- */

/* Under lock (write): open the log in l->edits_dir, made when missing. */
static int edits_open_locked(struct stg_lower *l, struct bfs_diag *diag)
{
	int fd, r;

	if (mkdir(l->edits_dir, 0700) < 0 && errno != EEXIST)
		return bfs_diag_set(diag, -errno, "'%s': %m", l->edits_dir);
	fd = open(l->edits_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return bfs_diag_set(diag, -errno, "'%s': %m", l->edits_dir);
	l->edits = eng_edits_free(l->edits);
	r = eng_edits_open(fd, l->edits_name, l->id, diag, &l->edits);
	close(fd);
	if (r == -EXDEV || r == 0)
		edits_check(l);
	if (r == -EXDEV && !l->stale) /* made against "": the loaded disc is another */
		r = 0;
	return r;
}

int stg_lower_edits_open(struct stg_lower *l, const char *dir, const char *name,
			 struct bfs_diag *diag)
{
	_cleanup_free_ char *log = NULL;
	int r = 0;

	pthread_rwlock_wrlock(&l->lock);
	free(l->edits_dir);
	free(l->edits_name);
	l->edits_dir = strdup(dir);
	l->edits_name = strdup(name);
	if (!l->edits_dir || !l->edits_name || asprintf(&log, "%s/%s", dir, name) < 0)
		r = -ENOMEM;
	else if (access(log, F_OK) == 0) /* else made at the first change */
		r = edits_open_locked(l, diag);
	pthread_rwlock_unlock(&l->lock);
	return r;
}

bool stg_lower_edits_stale(struct stg_lower *l, char *why, size_t cap)
{
	bool stale;

	pthread_rwlock_rdlock(&l->lock);
	stale = l->edits && l->stale;
	if (why && cap)
		snprintf(why, cap, "%s", stale ? l->stale_why : "");
	pthread_rwlock_unlock(&l->lock);
	return stale;
}

bool stg_lower_edits_empty(struct stg_lower *l)
{
	bool empty;

	pthread_rwlock_rdlock(&l->lock);
	empty = !l->edits || eng_edits_empty(l->edits);
	pthread_rwlock_unlock(&l->lock);
	return empty;
}

int stg_lower_edits_dup(struct stg_lower *l, struct eng_edits **ret)
{
	int r = 0;

	*ret = NULL;
	pthread_rwlock_rdlock(&l->lock);
	if (l->edits && !eng_edits_empty(l->edits))
		r = eng_edits_dup(l->edits, ret);
	pthread_rwlock_unlock(&l->lock);
	return r;
}

int stg_lower_edits_reset(struct stg_lower *l, struct bfs_diag *diag)
{
	int r = 0;

	pthread_rwlock_wrlock(&l->lock);
	nl_invalidate(l);
	if (l->edits)
		r = eng_edits_reset(l->edits, l->id, diag);
	l->stale = false;
	pthread_rwlock_unlock(&l->lock);
	return r;
}

int stg_lower_edits_sync(struct stg_lower *l, struct bfs_diag *diag)
{
	int r = 0;

	pthread_rwlock_wrlock(&l->lock);
	if (l->edits)
		r = eng_edits_sync(l->edits, diag);
	pthread_rwlock_unlock(&l->lock);
	return r;
}

int stg_lower_edits_foreach(struct stg_lower *l, eng_edits_each_fn fn, void *userdata)
{
	int r = 0;

	pthread_rwlock_rdlock(&l->lock);
	if (l->edits)
		r = eng_edits_foreach(l->edits, fn, userdata);
	pthread_rwlock_unlock(&l->lock);
	return r;
}

/* Under lock: whether the edits take part in what the mount shows. */
static bool edits_live(const struct stg_lower *l)
{
	return l->edits && !l->stale;
}

/* Under lock: the disc path shown at merged path mpath (malloc'd), or NULL and -ENOENT. */
static int origin_locked(const struct stg_lower *l, const char *mpath, char **ret)
{
	int r;

	*ret = NULL;
	if (!edits_live(l))
		return (*ret = strdup(mpath)) ? 0 : -ENOMEM;
	r = eng_edits_origin(l->edits, mpath, ret);
	return r < 0 ? r : *ret ? 0 : -ENOENT;
}

int stg_lower_origin(struct stg_lower *l, const char *mpath, uint64_t *gen, stg_lid *ret)
{
	_cleanup_free_ char *d = NULL;
	int r;

	pthread_rwlock_rdlock(&l->lock);
	*gen = l->generation;
	r = !l->n ? -ENODEV : origin_locked(l, mpath, &d);
	if (r == 0)
		r = find_path(l, d, ret);
	pthread_rwlock_unlock(&l->lock);
	return r == -ENOTDIR ? -ENOENT : r;
}

struct moved_in {
	struct stg_lower *l;
	stg_lower_each_fn fn;
	void *userdata;
};

static int list_moved(const char *name, const char *disc, void *userdata)
{
	struct moved_in *c = userdata;
	struct stat st;
	uint32_t x;

	if (find_path(c->l, disc, &x) < 0)
		return 0; /* the disc changed: the commit names it */
	stat_edited(c->l, x, &st);
	return c->fn(name, x, &st, c->userdata);
}

int stg_lower_list_merged(struct stg_lower *l, const char *mpath, stg_lower_each_fn fn,
			  void *userdata)
{
	struct moved_in c = {.l = l, .fn = fn, .userdata = userdata};
	_cleanup_free_ char *d = NULL;
	uint32_t dir;
	int r;

	pthread_rwlock_wrlock(&l->lock); /* foreach_in may rebuild the edits' index */
	r = !l->n ? -ENODEV : origin_locked(l, mpath, &d);
	if (r == 0 && find_path(l, d, &dir) == 0 && S_ISDIR(l->v[dir].mode))
		for (uint32_t i = 0; r == 0 && i < l->v[dir].nchild; i++) {
			uint32_t x = node_first(&l->v[dir]) + i;
			const char *name = l->names + l->v[x].name;
			struct stat st;

			if (edits_live(l)) {
				_cleanup_free_ char *p = path_locked(l, x);

				if (!p) {
					r = -ENOMEM;
					break;
				}
				if (!eng_edits_in_place(l->edits, p))
					continue;
			}
			stat_edited(l, x, &st);
			r = fn(name, x, &st, userdata);
		}
	if (r == -ENOENT)
		r = 0; /* no disc directory under it: only what was moved in */
	if (r == 0 && edits_live(l))
		r = eng_edits_foreach_in(l->edits, mpath, list_moved, &c);
	pthread_rwlock_unlock(&l->lock);
	return r == -ENODEV ? 0 : r;
}

/* Under lock (write): edits that can change now; -EROFS, -EXDEV with a message. */
static int edits_writable(struct stg_lower *l, struct bfs_diag *diag)
{
	if (!l->edits && l->edits_dir) {
		int r = edits_open_locked(l, diag);

		if (r < 0)
			return r;
	}
	if (!l->edits)
		return bfs_diag_set(diag, -EROFS, "the disc's files cannot change in this mount");
	if (l->stale)
		return bfs_diag_set(diag, -EXDEV, "%s", l->stale_why);
	return 0;
}

int stg_lower_delete(struct stg_lower *l, const char *mpath, struct bfs_diag *diag)
{
	_cleanup_free_ char *d = NULL;
	int r;

	pthread_rwlock_wrlock(&l->lock);
	nl_invalidate(l);
	r = edits_writable(l, diag);
	if (r == 0)
		r = origin_locked(l, mpath, &d);
	if (r == 0)
		r = eng_edits_delete(l->edits, d, mpath, diag);
	pthread_rwlock_unlock(&l->lock);
	return r;
}

int stg_lower_rename(struct stg_lower *l, const char *from, const char *to, struct bfs_diag *diag)
{
	_cleanup_free_ char *d = NULL;
	uint32_t x;
	int r;

	pthread_rwlock_wrlock(&l->lock);
	nl_invalidate(l);
	r = edits_writable(l, diag);
	if (r == 0) {
		r = l->n ? origin_locked(l, from, &d) : -ENOENT;
		if (r == 0 && find_path(l, d, &x) < 0) { /* not on the disc: a staged node */
			free(d);
			d = NULL;
		}
		r = r == -ENOENT ? 0 : r;
	}
	if (r == 0)
		r = eng_edits_rename(l->edits, from, to, d, diag);
	pthread_rwlock_unlock(&l->lock);
	return r;
}

/* A change of disc node id (write-locked, its disc path looked up): a LINK or an ATTR. */
static int change_node(struct stg_lower *l, uint64_t gen, stg_lid id, const char *to,
		       const struct eng_attr *a, struct bfs_diag *diag)
{
	_cleanup_free_ char *d = NULL;
	int r;

	pthread_rwlock_wrlock(&l->lock);
	nl_invalidate(l);
	r = gen != l->generation ? -ESTALE : id >= l->n ? -EINVAL : edits_writable(l, diag);
	if (r == 0 && !(d = path_locked(l, id)))
		r = -ENOMEM;
	if (r == 0)
		r = to ? eng_edits_link(l->edits, d, to, diag)
		       : eng_edits_set_attr(l->edits, d, a, diag);
	pthread_rwlock_unlock(&l->lock);
	return r;
}

int stg_lower_link(struct stg_lower *l, uint64_t gen, stg_lid id, const char *to,
		   struct bfs_diag *diag)
{
	return change_node(l, gen, id, to, NULL, diag);
}

int stg_lower_set_attr(struct stg_lower *l, uint64_t gen, stg_lid id, const struct eng_attr *a,
		       struct bfs_diag *diag)
{
	return change_node(l, gen, id, NULL, a, diag);
}
