/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The staging filesystem. See fs.h.
 *
 * Inodes: every inode the kernel knows of holds an O_PATH | O_NOFOLLOW descriptor of the
 * backing node, found by (st_dev, st_ino) in a hash table and counted by the kernel's
 * lookups; the fuse_ino_t is the struct's address. Every operation works relative to
 * those descriptors with *at() calls and one name component the kernel passed, checked
 * first: no '/', not "." or "..", so nothing the kernel sends can name a path outside the
 * staging directory. Symlinks are created and read as what they are and never followed by
 * this process: lookups use O_NOFOLLOW, and a node is reopened through /proc/self/fd (the
 * inode itself, not a path) only when it is not a symlink.
 *
 * Each inode also keeps the name the kernel last used for it and its parent's identity, so
 * that entries can be invalidated: the root's after the job changed the tree, the least
 * recently used ones when the descriptors come near RLIMIT_NOFILE (relief_main()).
 *
 * The disc (fs-disc.c): an inode is a backing node (K_FILE) or a node of the disc's last
 * session (K_DISC, read through lower.h) shown where the staging directory has no node of
 * that name; a staged directory over a disc directory of the same name merges the two
 * (has_lower). Whatever changes a disc node stages it first (a directory is made, a file
 * copied up), so the backing directory alone holds what the commit adds to the disc's tree;
 * what would take from the disc's tree (removing, renaming or linking a disc node) is
 * refused with EROFS and a line in the log.
 *
 * The control directory .burnfs/ and its four files are synthetic inodes that live as
 * long as the filesystem; lookups of them are not counted.
 *
 * Caching: entries (negative ones too) and attributes are cached for TIMEOUT; nothing but
 * this process changes the backing tree while it is mounted, and what the job changes is
 * invalidated. File contents are cached for handles that read; write-only handles go
 * straight through (set_caching()). Permissions: see stg_fs_run(). Requests: multithreaded
 * loop with a /dev/fuse clone per thread, 1 MiB writes spliced from the kernel into the
 * backing file, reads spliced back.
 *
 * Space: the projection of the staged session is a real plan (eng_scan + eng_image_new
 * with the options a burn uses). Between plans a running count of blocks (file data
 * growth, one block per new node for its metadata) keeps the estimate; a write that would
 * not fit by the estimate replans first when the tree changed, and fails with ENOSPC only
 * when the plan agrees. The kernel's writeback cache stays off: with it a write() would
 * succeed before this process saw it, and ENOSPC would come at close or never.
 */
#include "fs-internal.h"

#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <assert.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "engine/image.h"
#include "engine/policy.h"
#include "job.h"
#include "lower.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One component the kernel passed: never a path, never "." or "..". */
static int check_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	if (n > NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * The directory a name is created or removed in: a backing directory, and not the
 * control name at the root. 0 or -errno.
 */
static int check_dir_name(struct stg_fs *fs, struct inode *dir, const char *name)
{
	int r;

	if (dir->kind != K_FILE)
		return -EPERM;
	r = check_name(name);
	if (r < 0)
		return r;
	if (dir == &fs->root && strcmp(name, CTL_NAME) == 0)
		return -EPERM;
	return 0;
}

static bool frozen(struct stg_fs *fs)
{
	return stg_job_frozen(fs->job);
}

/*
 * Whether changes are refused with EROFS: while a commit runs, and while the disc in the
 * drive takes no more sessions (closed, full: stg_job_closed()), since nothing changed now
 * could ever be committed to it. Removals stay allowed then (removing=true): they only
 * empty the staging folder.
 */
static bool read_only(struct stg_fs *fs, bool removing)
{
	return fs->session || frozen(fs) || (!removing && stg_job_closed(fs->job, NULL, 0));
}

/* ---- inode table -------------------------------------------------------------------- */

static size_t bucket(const struct stg_fs *fs, dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;

	return (size_t)(h >> 17) & (fs->nbuckets - 1);
}

static void table_grow(struct stg_fs *fs)
{
	size_t n = fs->nbuckets * 2;
	struct inode **t = bfs_new(struct inode *, n);
	struct inode **old = fs->table;
	size_t oldn = fs->nbuckets;

	if (!t)
		return; /* longer chains, still correct */
	fs->table = t;
	fs->nbuckets = n;
	for (size_t i = 0; i < oldn; i++)
		for (struct inode *in = old[i], *next; in; in = next) {
			size_t b = bucket(fs, in->dev, in->ino);

			next = in->next;
			in->next = t[b];
			t[b] = in;
		}
	free(old);
}

/* Under fs->lock. */
struct inode *fs_table_find(struct stg_fs *fs, dev_t dev, ino_t ino)
{
	if (fs->root.dev == dev && fs->root.ino == ino)
		return &fs->root;
	for (struct inode *in = fs->table[bucket(fs, dev, ino)]; in; in = in->next)
		if (in->dev == dev && in->ino == ino)
			return in;
	return NULL;
}

void fs_table_remove(struct stg_fs *fs, struct inode *in)
{
	struct inode **p = &fs->table[bucket(fs, in->dev, in->ino)];

	while (*p && *p != in)
		p = &(*p)->next;
	if (*p) {
		*p = in->next;
		fs->nodes--;
		if (in->fd >= 0)
			fs->count--;
	}
}

/*
 * Under fs->lock: add in to the table (fs->count counts those holding a descriptor, nodes all:
 * the table grows with the disc's nodes too, which hold none).
 */
void fs_table_insert(struct stg_fs *fs, struct inode *in)
{
	size_t b;

	if (fs->nodes + 1 > 2 * fs->nbuckets)
		table_grow(fs);
	b = bucket(fs, in->dev, in->ino);
	in->next = fs->table[b];
	fs->table[b] = in;
	fs->nodes++;
	if (in->fd >= 0)
		fs->count++;
	if (fs->count > fs->fd_high && !fs->relief_wanted) {
		fs->relief_wanted = true;
		pthread_cond_signal(&fs->relief_cond);
	}
}

/* Under fs->lock: in is known as name in dir now. */
const char *inode_name(const struct inode *in)
{
	const char *slash;

	if (!in->name_in_mpath)
		return in->name;
	slash = strrchr(in->mpath, '/');
	return slash ? slash + 1 : in->mpath;
}

const char *inode_dpath(const struct inode *in)
{
	return in->dpath ? in->dpath : in->mpath;
}

struct inode *inode_new_disc(const char *mpath)
{
	size_t len = mpath ? strlen(mpath) + 1 : 0;
	struct inode *in = calloc(1, sizeof(*in) + len);

	if (in && mpath) {
		memcpy(inode_inline(in), mpath, len);
		in->mpath = inode_inline(in);
		in->inline_path = true;
	}
	return in;
}

char *inode_inline(struct inode *in)
{
	return (char *)(in + 1);
}

void inode_free_path(struct inode *in, char *p)
{
	if (!(in->inline_path && p == inode_inline(in)))
		free(p);
}

void inode_free(struct inode *in)
{
	free(in->name);
	inode_free_path(in, in->dpath);
	inode_free_path(in, in->mpath);
	free(in);
}

void inode_set_mpath(struct inode *in, char *p)
{
	if (in->name_in_mpath) { /* the name it has now, before the path moves */
		in->name = strdup(inode_name(in));
		in->name_in_mpath = false;
	}
	if (in->has_lower && !in->dpath) /* the disc's path, which mpath held */
		in->dpath = in->mpath;
	else
		inode_free_path(in, in->mpath);
	in->mpath = p;
}

/*
 * 100,000 disc nodes listed hold as many inodes, each with its name, its disc path and the
 * path it shows at: the three are one string in the common case, kept once.
 */
void inode_compact(struct inode *in)
{
	if (!in->mpath)
		return;
	if (in->kind == K_DISC && in->name) {
		const char *slash = strrchr(in->mpath, '/');

		if (strcmp(slash ? slash + 1 : in->mpath, in->name) == 0) {
			free(in->name);
			in->name = NULL;
			in->name_in_mpath = true;
		}
	}
	if (in->has_lower && in->dpath && strcmp(in->dpath, in->mpath) == 0) {
		inode_free_path(in, in->dpath);
		in->dpath = NULL;
	}
}

void fs_set_name(struct stg_fs *fs, struct inode *dir, struct inode *in, const char *name)
{
	const char *now = inode_name(in);

	in->used = ++fs->clock;
	if (in == &fs->root ||
	    (now && in->pdev == dir->dev && in->pino == dir->ino && strcmp(now, name) == 0))
		return;
	free(in->name);
	in->name_in_mpath = false;
	in->name = strdup(name); /* best effort: only for invalidation */
	in->pdev = dir->dev;
	in->pino = dir->ino;
}

void fs_fill_entry(struct stg_fs *fs, struct fuse_entry_param *e, struct inode *in,
		   const struct stat *st)
{
	*e = (struct fuse_entry_param){
		.ino = ino_of(fs, in),
		.attr = *st,
		.attr_timeout = in->kind == K_FILE || in->kind == K_DISC ? TIMEOUT : 0,
		.entry_timeout = TIMEOUT,
	};
}

/*
 * Out of descriptors (EMFILE): have the relief thread ask the kernel to let go of unused
 * inodes, and wait (at most 2 s) until some descriptors are free. True to try again.
 */
static bool wait_for_fds(struct stg_fs *fs)
{
	struct timespec until;
	size_t before;
	bool freed = false;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&fs->lock);
	before = fs->count;
	if (fs->relief_running) {
		fs->relief_wanted = true;
		pthread_cond_signal(&fs->relief_cond);
		while (!freed && pthread_cond_timedwait(&fs->fd_freed, &fs->lock, &until) == 0)
			freed = fs->count + 16 <= before;
		freed = freed || fs->count < before;
	}
	pthread_mutex_unlock(&fs->lock);
	return freed;
}

/* openat(), waiting for descriptors when out of them. */
static int openat_fds(struct stg_fs *fs, int dirfd, const char *name, int flags, mode_t mode)
{
	int fd;

	do
		fd = openat(dirfd, name, flags, mode);
	while (fd < 0 && errno == EMFILE && wait_for_fds(fs));
	if (fd < 0 && errno == EMFILE)
		bfs_log(LOG_ERR, "staging: out of file descriptors (%zu inodes held)", fs->count);
	return fd;
}

/*
 * Look name up in dir (a backing directory), count the lookup and fill e. -errno (e.ino
 * 0 for a name that does not exist).
 */
int fs_lookup(struct stg_fs *fs, struct inode *dir, const char *name, struct fuse_entry_param *e)
{
	struct inode *in;
	struct stat st;
	int fd;

	memset(e, 0, sizeof(*e));
	fd = openat_fds(fs, dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	pthread_mutex_lock(&fs->lock);
	in = fs_table_find(fs, st.st_dev, st.st_ino);
	if (in) {
		in->nlookup++;
		pthread_mutex_unlock(&fs->lock);
		close(fd);
	} else {
		in = calloc(1, sizeof(*in));
		if (!in) {
			pthread_mutex_unlock(&fs->lock);
			close(fd);
			return -ENOMEM;
		}
		*in = (struct inode){.fd = fd,
				     .kind = K_FILE,
				     .type = st.st_mode & S_IFMT,
				     .dev = st.st_dev,
				     .ino = st.st_ino,
				     .nlookup = 1};
		fs_table_insert(fs, in);
		pthread_mutex_unlock(&fs->lock);
	}
	pthread_mutex_lock(&fs->lock);
	fs_set_name(fs, dir, in, name);
	disc_note_path(fs, dir, in, name);
	inode_compact(in);
	pthread_mutex_unlock(&fs->lock);
	fs_fill_entry(fs, e, in, &st);
	return 0;
}

void fs_forget_one(struct stg_fs *fs, fuse_ino_t ino, uint64_t n)
{
	struct inode *in = inode_of(fs, ino);

	if ((in->kind != K_FILE && in->kind != K_DISC) || in == &fs->root)
		return;
	pthread_mutex_lock(&fs->lock);
	if (n > in->nlookup) /* a kernel bug; keep the inode rather than crash */
		n = in->nlookup;
	in->nlookup -= n;
	if (in->nlookup == 0) {
		fs_table_remove(fs, in);
		if (in->fd >= 0) {
			close(in->fd);
			pthread_cond_broadcast(&fs->fd_freed);
		}
		pthread_mutex_unlock(&fs->lock);
		inode_free(in);
		return;
	}
	pthread_mutex_unlock(&fs->lock);
}

/* ---- the control directory ---------------------------------------------------------- */

static char *special_text(struct stg_fs *fs, enum kind k)
{
	return k == K_STATUS	? stg_job_status(fs->job)
	       : k == K_LOG	? stg_job_log(fs->job)
	       : k == K_CHANGES ? stg_job_changes(fs->job)
				: NULL;
}

static void special_stat(struct stg_fs *fs, struct inode *in, struct stat *st)
{
	*st = (struct stat){
		.st_ino = in->ino,
		.st_uid = fs->owner,
		.st_gid = fs->owner_gid,
		.st_nlink = 1,
		.st_blksize = 4096,
		.st_atim = fs->started,
		.st_mtim = fs->started,
		.st_ctim = fs->started,
	};
	switch (in->kind) {
	case K_CTLDIR:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		break;
	case K_CTL:
		/* anyone may write; the job obeys only the owner's uid (job.h) */
		st->st_mode = S_IFREG | 0222;
		break;
	default: {
		char *t = special_text(fs, in->kind);

		st->st_mode = S_IFREG | 0444;
		st->st_size = t ? (off_t)strlen(t) : 0;
		free(t);
		break;
	}
	}
}

static void lookup_special(fuse_req_t req, struct stg_fs *fs, struct inode *in)
{
	struct fuse_entry_param e;
	struct stat st;

	special_stat(fs, in, &st);
	fs_fill_entry(fs, &e, in, &st);
	fuse_reply_entry(req, &e);
}

/* ---- space -------------------------------------------------------------------------- */

static uint64_t blocks_of(uint64_t bytes)
{
	return BFS_DIV_ROUND_UP(bytes, (uint64_t)BLOCK);
}

/*
 * Plan the staged tree as a burn would and record the result. Called with nothing held;
 * serialised by plan_lock. A tree that changes while it is scanned is counted twice (the
 * changes also stay in delta), which errs on the safe side, and stays dirty.
 */
static int replan(struct stg_fs *fs)
{
	struct eng_source src = {.path = fs->staging};
	/* a stray /.burnfs in the backing directory is hidden in the mount, and not burned */
	static const char *const hidden[] = {"/" CTL_NAME};
	struct eng_scan_opts so = {.excludes = hidden, .nexcludes = 1};
	struct eng_image_opts io = {
		.manifest = true,
		.hashes = true,
		.ring_bytes = 1u << 20,
	};
	_cleanup_(bfs_node_freep) struct bfs_node *root = NULL;
	_cleanup_(eng_image_freep) struct eng_image *img = NULL;
	struct bfs_diag diag = {0};
	struct eng_image_info info;
	int64_t d0;
	uint64_t blocks;
	int r;

	eng_policy_apply(&fs->policy, &io);
	pthread_mutex_lock(&fs->plan_lock);
	if (!atomic_load(&fs->dirty)) {
		pthread_mutex_unlock(&fs->plan_lock);
		return 0;
	}
	atomic_store(&fs->dirty, false);
	atomic_store(&fs->plan_time, now_s());
	d0 = atomic_load(&fs->delta);
	r = eng_scan(&src, 1, &so, &diag, &root);
	if (r == 0)
		r = eng_image_new(&io, root, &diag, &img);
	if (r < 0) {
		/* a name removed while scanned, say: keep the estimate, try again later */
		atomic_store(&fs->dirty, true);
		pthread_mutex_unlock(&fs->plan_lock);
		bfs_log(LOG_DEBUG, "staging projection: %s", bfs_diag_msg(&diag, r));
		return r;
	}
	eng_image_info(img, &info);
	blocks = info.blocks; /* padded to the write unit by the plan itself */
	/*
	 * On a disc with sessions the next one carries the disc's whole tree too: its trees and
	 * manifest cost what the last session's did (its blocks that are not its new data).
	 */
	{
		struct stg_lower_info li;

		stg_lower_info(disc_lower(fs), &li);
		blocks += li.meta_blocks;
	}
	atomic_store(&fs->plan_blocks, blocks);
	/* what came since the scan began stays; writes in flight may not have been seen */
	atomic_fetch_add(&fs->delta, atomic_load(&fs->inflight) - d0);
	pthread_mutex_unlock(&fs->plan_lock);
	stg_job_set_projected(fs->job, blocks);
	return 0;
}

static uint64_t projected(struct stg_fs *fs)
{
	int64_t p = (int64_t)atomic_load(&fs->plan_blocks) + atomic_load(&fs->delta);

	return p > 0 ? (uint64_t)p : 0;
}

/* The tree's shape changed: a node came or went (one block for its metadata, estimated). */
void fs_changed_node(struct stg_fs *fs, int64_t blocks)
{
	atomic_fetch_add(&fs->delta, blocks);
	atomic_store(&fs->dirty, true);
}

/*
 * Reserve the blocks a file growing from old_size to new_size needs, or -ENOSPC when the
 * projected session would not fit on the disc. Every successful fs_reserve() is followed by
 * fs_settle() once the change is made (ok) or not (failed).
 */
int fs_reserve(struct stg_fs *fs, uint64_t old_size, uint64_t new_size, int64_t *ret)
{
	int64_t add = (int64_t)blocks_of(new_size) - (int64_t)blocks_of(old_size);
	uint64_t total, free_blocks;

	*ret = 0;
	if (add == 0)
		return 0;
	atomic_store(&fs->dirty, true);
	if (add < 0) { /* a shrink is never refused; the next plan has it exactly */
		atomic_fetch_add(&fs->delta, add);
		return 0;
	}
	atomic_fetch_add(&fs->delta, add);
	atomic_fetch_add(&fs->inflight, add);
	*ret = add;
	stg_job_disc_space(fs->job, &total, &free_blocks);
	if (total == 0 || projected(fs) <= free_blocks)
		return 0;
	/* over by the estimate: ask the plan (which keeps what is in flight, this one too) */
	(void)replan(fs);
	if (projected(fs) <= free_blocks)
		return 0;
	atomic_fetch_sub(&fs->delta, add);
	atomic_fetch_sub(&fs->inflight, add);
	*ret = 0;
	return -ENOSPC;
}

/* The change fs_reserve() was asked for is made (ok) or failed. */
void fs_settle(struct stg_fs *fs, int64_t add, bool ok)
{
	if (add <= 0)
		return;
	atomic_fetch_sub(&fs->inflight, add);
	if (!ok)
		atomic_fetch_sub(&fs->delta, add);
}

static int64_t fd_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) < 0 ? -errno : (int64_t)st.st_size;
}

/*
 * Before a write to (or an allocation in) the staged file open as fi up to byte end: fs_reserve()
 * what growing it that far needs. 0, with *add for fs_settle(), or -errno: EBADF on anything but
 * a staged file, EROFS while a commit runs, ENOSPC.
 */
static int reserve_write(struct stg_fs *fs, const struct inode *in, const struct fuse_file_info *fi,
			 uint64_t end, int64_t *add)
{
	int64_t cur;

	*add = 0;
	if (in->kind != K_FILE)
		return -EBADF;
	if (read_only(fs, false))
		return -EROFS;
	if (end > FILE_MAX)
		return -EFBIG;
	cur = fd_size((int)fi->fh);
	if (cur < 0)
		return (int)cur;
	return end > (uint64_t)cur ? fs_reserve(fs, (uint64_t)cur, end, add) : 0;
}

/* ---- operations --------------------------------------------------------------------- */

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* splice both ways where the kernel can; no writeback cache (see the top) */
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
	if (conn->capable & FUSE_CAP_SPLICE_READ)
		conn->want |= FUSE_CAP_SPLICE_READ;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
		conn->want |= FUSE_CAP_PARALLEL_DIROPS;
	conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
	conn->max_write = 1u << 20; /* libfuse caps it to its buffer and the kernel's pages */
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *dir = inode_of(fs, parent);
	struct fuse_entry_param e;
	int r;

	if (dir == &fs->root && strcmp(name, CTL_NAME) == 0) {
		lookup_special(req, fs, &fs->ctldir);
		return;
	}
	if (dir->kind == K_CTLDIR) {
		if (strcmp(name, "ctl") == 0) {
			lookup_special(req, fs, &fs->ctl);
			return;
		}
		if (strcmp(name, "status") == 0) {
			lookup_special(req, fs, &fs->status);
			return;
		}
		if (strcmp(name, "log") == 0) {
			lookup_special(req, fs, &fs->log);
			return;
		}
		if (strcmp(name, "changes") == 0) {
			lookup_special(req, fs, &fs->changes);
			return;
		}
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (dir->kind != K_FILE && (dir->kind != K_DISC || dir->type != S_IFDIR)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	r = check_name(name);
	if (r == 0)
		r = disc_lookup_merged(fs, dir, name, &e);
	if (r == -ENOENT) {
		/* a negative entry, cached like the positive ones */
		e = (struct fuse_entry_param){.ino = 0, .entry_timeout = TIMEOUT};
		fuse_reply_entry(req, &e);
		return;
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fs_forget_one(fs_of(req), ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		fs_forget_one(fs_of(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static int stat_inode(struct inode *in, struct fuse_file_info *fi, struct stat *st)
{
	int r = fi && in->type == S_IFREG
			? fstat((int)fi->fh, st)
			: fstatat(in->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);

	return r < 0 ? -errno : 0;
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *in = inode_of(fs, ino);
	struct stat st;
	int r;

	if (in->kind != K_FILE && in->kind != K_DISC) {
		special_stat(fs, in, &st);
		fuse_reply_attr(req, &st, 0);
		return;
	}
	r = in->kind == K_DISC ? disc_stat(fs, in, &st) : stat_inode(in, fi, &st);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, TIMEOUT);
}

/*
 * setattr of a disc node: metadata only is an edit (answered here: true); a size change
 * copies the file up first and goes on as a staged file's (false). An error is answered
 * here (true).
 */
static bool setattr_disc(fuse_req_t req, struct stg_fs *fs, struct inode *in,
			 const struct stat *attr, int valid)
{
	struct stat st;
	int r;

	if (valid & FUSE_SET_ATTR_SIZE) { /* its data changes: staged first */
		r = in->type == S_IFREG ? disc_copy_up(fs, in) : -EINVAL;
		if (r < 0)
			fuse_reply_err(req, -r);
		return r < 0;
	}
	r = disc_setattr(req, fs, in, attr, valid);
	if (r == 0)
		r = disc_stat(fs, in, &st);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, TIMEOUT);
	return true;
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int valid,
		       struct fuse_file_info *fi)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *in = inode_of(fs, ino);
	char proc[32];
	int ffd = fi && in->type == S_IFREG ? (int)fi->fh : -1;
	int r = 0;

	if (in->kind != K_FILE && in->kind != K_DISC) {
		struct stat st;

		/* `echo ... > .burnfs/ctl` may truncate first: nothing to truncate */
		if (in->kind != K_CTL ||
		    (valid & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW |
			       FUSE_SET_ATTR_CTIME))) {
			fuse_reply_err(req, EPERM);
			return;
		}
		special_stat(fs, in, &st);
		fuse_reply_attr(req, &st, 0);
		return;
	}
	if (read_only(fs, false)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (in->kind == K_DISC && setattr_disc(req, fs, in, attr, valid))
		return;
	proc_path(proc, in->fd);
	if (valid & FUSE_SET_ATTR_MODE) {
		if (in->type == S_IFLNK)
			r = -EOPNOTSUPP;
		else if ((ffd >= 0 ? fchmod(ffd, attr->st_mode) : chmod(proc, attr->st_mode)) < 0)
			r = -errno;
	}
	if (r == 0 && (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))) {
		uid_t u = valid & FUSE_SET_ATTR_UID ? attr->st_uid : (uid_t)-1;
		gid_t g = valid & FUSE_SET_ATTR_GID ? attr->st_gid : (gid_t)-1;

		if (fchownat(in->fd, "", u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			r = -errno;
	}
	if (r == 0 && (valid & FUSE_SET_ATTR_SIZE)) {
		int64_t add = 0, old;
		int tfd = ffd;

		if (in->type != S_IFREG)
			r = -EINVAL;
		else if ((uint64_t)attr->st_size > FILE_MAX)
			r = -EFBIG;
		else if (tfd < 0 && (tfd = open(proc, O_WRONLY | O_CLOEXEC)) < 0)
			r = -errno;
		if (r == 0) {
			old = fd_size(tfd);
			r = old < 0 ? (int)old
				    : fs_reserve(fs, (uint64_t)old, (uint64_t)attr->st_size, &add);
			if (r == 0) {
				if (ftruncate(tfd, attr->st_size) < 0)
					r = -errno;
				fs_settle(fs, add, r == 0);
			}
		}
		if (tfd >= 0 && tfd != ffd)
			close(tfd);
	}
	if (r == 0 && (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME))) {
		struct timespec tv[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};

		if (valid & FUSE_SET_ATTR_ATIME_NOW)
			tv[0].tv_nsec = UTIME_NOW;
		else if (valid & FUSE_SET_ATTR_ATIME)
			tv[0] = attr->st_atim;
		if (valid & FUSE_SET_ATTR_MTIME_NOW)
			tv[1].tv_nsec = UTIME_NOW;
		else if (valid & FUSE_SET_ATTR_MTIME)
			tv[1] = attr->st_mtim;
		if (ffd >= 0)
			r = futimens(ffd, tv);
		else if (in->type == S_IFLNK)
			r = utimensat(in->fd, "", tv, AT_EMPTY_PATH);
		else
			r = utimensat(AT_FDCWD, proc, tv, 0);
		r = r < 0 ? -errno : 0;
	}
	if (r == 0) {
		struct stat st;

		r = stat_inode(in, fi, &st);
		if (r == 0) {
			fuse_reply_attr(req, &st, TIMEOUT);
			return;
		}
	}
	fuse_reply_err(req, -r);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *in = inode_of(fs, ino);
	char buf[PATH_MAX + 1];
	ssize_t n;

	if ((in->kind != K_FILE && in->kind != K_DISC) || in->type != S_IFLNK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (in->kind == K_DISC) {
		uint64_t gen;
		stg_lid lid;
		int r = disc_node(fs, in, &gen, &lid);

		if (r == 0)
			r = stg_lower_readlink(disc_lower(fs), gen, lid, buf, sizeof(buf));
		if (r < 0)
			fuse_reply_err(req, r == -ENOENT ? ESTALE : -r);
		else
			fuse_reply_readlink(req, buf);
		return;
	}
	n = readlinkat(in->fd, "", buf, sizeof(buf));
	if (n < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	if ((size_t)n >= sizeof(buf)) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	buf[n] = '\0';
	fuse_reply_readlink(req, buf);
}

/*
 * A node made by the request's process: when this daemon runs as root for other users
 * (allow_other), it goes to the caller, as it would on a local file system.
 */
static void give_to_caller(struct stg_fs *fs, fuse_req_t req, int dirfd, const char *name)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	if (fs->as_root && ctx->uid != 0)
		(void)fchownat(dirfd, name, ctx->uid, ctx->gid, AT_SYMLINK_NOFOLLOW);
}

/* Reply to a request that made name in dir (r: the making's result). */
static void reply_made(fuse_req_t req, struct stg_fs *fs, struct inode *dir, const char *name,
		       int r)
{
	struct fuse_entry_param e;

	if (r == 0) {
		give_to_caller(fs, req, dir->fd, name);
		fs_changed_node(fs, 1);
		r = fs_lookup(fs, dir, name, &e);
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

/*
 * Around the making of a node: the mode the kernel passes has the caller's umask applied
 * already (no FUSE_CAP_DONT_MASK), so the node is made with no umask; the daemon's own would
 * take bits away a second time (pjdfstest's chmod/12 created 04777 and got 04755). The
 * request thread's file-system attributes are unshared once, so that the umask is dropped
 * for that thread alone and only while it makes the node (threads it starts, the commit's,
 * keep the daemon's umask). False when it cannot be (the node then gets the umask).
 */
static bool umask_off(mode_t *old)
{
	static _Thread_local int unshared; /* 0 not yet, 1 done, -1 failed */

	if (unshared == 0) {
		unshared = unshare(CLONE_FS) == 0 ? 1 : -1;
		if (unshared < 0)
			bfs_log(LOG_WARNING, "staging: unshare(CLONE_FS): %m; new nodes get the "
					     "daemon's umask too");
	}
	if (unshared < 0)
		return false;
	*old = umask(0);
	return true;
}

static void umask_on(bool off, mode_t old)
{
	if (off)
		umask(old);
}

/* Common checks of an operation that makes or removes name in parent. */
enum change { MAKING, REMOVING, RENAMING };

static struct inode *modify_dir(fuse_req_t req, fuse_ino_t parent, const char *name,
				enum change how)
{
	bool removing = how == REMOVING;
	struct stg_fs *fs = fs_of(req);
	struct inode *dir = inode_of(fs, parent);
	int r = dir->kind == K_DISC ? check_name(name) : check_dir_name(fs, dir, name);

	if (r == 0 && read_only(fs, removing))
		r = -EROFS;
	if (r == 0 && how == MAKING && disc_named(fs, dir, name))
		r = -EEXIST;
	if (r == 0 && how == MAKING && dir->kind == K_DISC) /* made in a disc directory: staged */
		r = disc_stage_dir(fs, dir);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return NULL;
	}
	return dir;
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	struct inode *dir = modify_dir(req, parent, name, MAKING);
	mode_t old = 0;
	bool off;
	int r;

	if (!dir)
		return;
	off = umask_off(&old);
	r = mknodat(dir->fd, name, mode, rdev) < 0 ? -errno : 0;
	umask_on(off, old);
	reply_made(req, fs_of(req), dir, name, r);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct inode *dir = modify_dir(req, parent, name, MAKING);
	mode_t old = 0;
	bool off;
	int r;

	if (!dir)
		return;
	off = umask_off(&old);
	r = mkdirat(dir->fd, name, mode) < 0 ? -errno : 0;
	umask_on(off, old);
	reply_made(req, fs_of(req), dir, name, r);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct inode *dir = modify_dir(req, parent, name, MAKING);

	if (!dir)
		return;
	/* the target is stored as given: it is the kernel's to resolve, in the caller's view */
	reply_made(req, fs_of(req), dir, name, symlinkat(link, dir->fd, name) < 0 ? -errno : 0);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *in = inode_of(fs, ino);
	struct inode *dir = modify_dir(req, newparent, newname, MAKING);
	struct fuse_entry_param e;
	char proc[32];
	int r;

	if (!dir)
		return;
	if (in->kind == K_DISC) {
		r = disc_link(fs, in, dir, newname);
		if (r == 0) {
			struct stat st;

			r = disc_stat(fs, in, &st);
			if (r == 0) {
				pthread_mutex_lock(&fs->lock);
				in->nlookup++; /* the new entry is a lookup of the same inode */
				pthread_mutex_unlock(&fs->lock);
				fs_fill_entry(fs, &e, in, &st);
				fuse_reply_entry(req, &e);
				return;
			}
		}
		fuse_reply_err(req, -r);
		return;
	}
	if (in->kind != K_FILE || in == &fs->root) {
		fuse_reply_err(req, EPERM);
		return;
	}
	/* the inode itself through its /proc link (linkat of an O_PATH fd needs privilege) */
	proc_path(proc, in->fd);
	r = linkat(AT_FDCWD, proc, dir->fd, newname, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
	if (r == 0) {
		fs_changed_node(fs, 1);
		r = fs_lookup(fs, dir, newname, &e);
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

/* unlink(2), rmdir(2): the staged node, and a whiteout for the disc's (fs-disc.c). */
static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name, bool isdir)
{
	struct inode *dir = modify_dir(req, parent, name, REMOVING);
	int r;

	if (!dir)
		return;
	r = disc_remove(fs_of(req), dir, name, isdir);
	if (r == 0)
		fs_changed_node(fs_of(req), -1);
	fuse_reply_err(req, -r);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, false);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, true);
}

/* After a rename: remember the moved node's new name. */
static void note_name(struct stg_fs *fs, struct inode *dir, const char *name)
{
	struct stat st;
	struct inode *in;

	if (fstatat(dir->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	pthread_mutex_lock(&fs->lock);
	in = fs_table_find(fs, st.st_dev, st.st_ino);
	if (in)
		fs_set_name(fs, dir, in, name);
	pthread_mutex_unlock(&fs->lock);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *dir = modify_dir(req, parent, name, RENAMING), *ndir;
	int r;

	if (!dir)
		return;
	ndir = inode_of(fs, newparent);
	r = ndir->kind == K_DISC ? check_name(newname) : check_dir_name(fs, ndir, newname);
	if (r == 0 && ndir->kind != K_FILE && ndir->kind != K_DISC)
		r = -EPERM;
	if (r == 0 && (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE)))
		r = -EINVAL; /* RENAME_WHITEOUT is for overlay file systems */
	if (r == 0)
		r = disc_rename(fs, dir, name, ndir, newname, flags);
	if (r == 0) {
		atomic_store(&fs->dirty, true);
		note_name(fs, ndir, newname);
		if (flags & RENAME_EXCHANGE)
			note_name(fs, dir, name);
	}
	fuse_reply_err(req, -r);
}

/* Open flags for reopening a backing file through /proc: never create, never follow. */
static int reopen_flags(int flags)
{
	return (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW)) | O_CLOEXEC;
}

static bool writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

/*
 * How a handle goes to the kernel. The page cache is kept across opens: nothing changes
 * the backing files but this mount. A regular file opened for writing only has its writes
 * passed straight through (direct_io): no copy in the mount's page cache, and none of the
 * page-cache write path's getxattr("security.capability") before each write, which cost a
 * round trip per small file copied in. Such a handle cannot be mmap()ed anyway, and the
 * kernel drops the pages other handles cached for the range it writes.
 */
static void set_caching(struct fuse_file_info *fi, mode_t type)
{
	fi->keep_cache = 1;
	fi->noflush = 1; /* nothing to report at close (op_flush() is for ctl) */
	fi->direct_io = type == S_IFREG && (fi->flags & O_ACCMODE) == O_WRONLY;
}

static void open_special(fuse_req_t req, struct stg_fs *fs, struct inode *in,
			 struct fuse_file_info *fi)
{
	struct special *sp;

	if (in->kind == K_CTLDIR) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (in->kind == K_CTL ? (fi->flags & O_ACCMODE) != O_WRONLY
			      : (fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (in->kind != K_CTL) {
		sp->text = special_text(fs, in->kind);
		if (!sp->text) {
			free(sp);
			fuse_reply_err(req, ENOMEM);
			return;
		}
		sp->len = strlen(sp->text);
	}
	pthread_mutex_lock(&fs->lock);
	sp->next = fs->specials;
	fs->specials = sp;
	pthread_mutex_unlock(&fs->lock);
	fi->fh = (uint64_t)(uintptr_t)sp;
	fi->direct_io = 1; /* the size changes with every open: the kernel caches nothing */
	fi->keep_cache = 0;
	fi->noflush = in->kind != K_CTL; /* ctl: a command without its newline runs at close */
	fuse_reply_open(req, fi);
}

/* Whether the backing node of fd has no name left (removed behind the kernel's back). */
static bool removed(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_nlink == 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *in = inode_of(fs, ino);
	char proc[32];
	int64_t add = 0, old = 0;
	int fd;

	if (in->kind == K_DISC && !writes(fi->flags)) {
		/* read from the disc (lower.h); the kernel keeps what it read */
		if (in->type != S_IFREG) {
			fuse_reply_err(req, in->type == S_IFDIR ? EISDIR : EINVAL);
			return;
		}
		fi->fh = DISC_FH;
		fi->keep_cache = 1;
		fi->noflush = 1;
		fuse_reply_open(req, fi);
		return;
	}
	if (in->kind != K_FILE && in->kind != K_DISC) {
		open_special(req, fs, in, fi);
		return;
	}
	if (writes(fi->flags) && read_only(fs, false)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (in->kind == K_DISC) { /* written: a staged copy first */
		int r = in->type == S_IFREG ? disc_copy_up(fs, in) : -EINVAL;

		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
	}
	if (in->type != S_IFREG && in->type != S_IFDIR) {
		/* fifos and devices are opened by the kernel itself, never here */
		fuse_reply_err(req, EINVAL);
		return;
	}
	proc_path(proc, in->fd);
	if (fi->flags & O_TRUNC) {
		struct stat st;

		if (fstatat(in->fd, "", &st, AT_EMPTY_PATH) == 0)
			old = st.st_size;
	}
	fd = openat_fds(fs, AT_FDCWD, proc, reopen_flags(fi->flags), 0);
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	if (removed(fd)) {
		/*
		 * A name the kernel still caches for a staged file a commit (or discard) removed:
		 * ESTALE makes it look the name up again (LOOKUP_REVAL), which finds the disc's
		 * file now; a write must not go to the removed copy.
		 */
		close(fd);
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (fi->flags & O_TRUNC)
		(void)fs_reserve(fs, (uint64_t)old, 0,
				 &add); /* a shrink: never refused, no fs_settle */
	fi->fh = (uint64_t)fd;
	set_caching(fi, in->type);
	fuse_reply_open(req, fi);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *dir = modify_dir(req, parent, name, MAKING);
	struct fuse_entry_param e;
	mode_t old = 0;
	bool off;
	int fd, r;

	if (!dir)
		return;
	off = umask_off(&old);
	fd = openat_fds(fs, dir->fd, name,
			(fi->flags & ~O_NOCTTY) | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
	umask_on(off, old);
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	give_to_caller(fs, req, dir->fd, name);
	fs_changed_node(fs, 1);
	r = fs_lookup(fs, dir, name, &e);
	if (r < 0) {
		close(fd);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uint64_t)fd;
	set_caching(fi, S_IFREG);
	fuse_reply_create(req, &e, fi);
}

/*
 * A read of status or log: from the text taken at open, copied out under the lock, and
 * only from a handle that is still open (a handle is never trusted as a pointer alone).
 */
static void read_special(fuse_req_t req, struct stg_fs *fs, uint64_t fh, size_t size, off_t off)
{
	_cleanup_free_ char *buf = NULL;
	struct special *sp;
	size_t n = 0;

	pthread_mutex_lock(&fs->lock);
	for (sp = fs->specials; sp && (uint64_t)(uintptr_t)sp != fh; sp = sp->next)
		;
	if (sp && sp->text && off >= 0 && (uint64_t)off < sp->len) {
		n = BFS_MIN(size, sp->len - (size_t)off);
		buf = malloc(n);
		if (buf)
			memcpy(buf, sp->text + off, n);
	}
	pthread_mutex_unlock(&fs->lock);
	if (!sp || !sp->text) {
		if (!sp)
			bfs_log(LOG_WARNING, "staging: read of a closed control file, ignoring");
		fuse_reply_err(req, EBADF);
	} else if (n && !buf) {
		fuse_reply_err(req, ENOMEM);
	} else {
		fuse_reply_buf(req, buf, n);
	}
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *in = inode_of(fs, ino);
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	if (fi->fh == DISC_FH) {
		disc_read(req, fs, in, size, off);
		return;
	}
	if (in->kind != K_FILE) {
		read_special(req, fs, fi->fh, size, off);
		return;
	}
	/* spliced from the backing file to the kernel where it can be */
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = (int)fi->fh;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

/* Run each line of text (NUL-terminated, '\n'-separated) through the job: 0 or the first -errno. */
static int run_ctl_lines(struct stg_fs *fs, char *text, uid_t uid)
{
	int r = 0;

	for (char *line = text, *end; line && *line && r == 0; line = end) {
		end = strchr(line, '\n');
		if (end)
			*end++ = '\0';
		if (line[strspn(line, " \t\r")]) {
			struct bfs_diag diag = {0};

			r = stg_job_ctl(fs->job, line, uid, &diag);
			if (r < 0)
				bfs_log(LOG_INFO, "ctl '%s' from uid %u: %s", line, (unsigned)uid,
					bfs_diag_msg(&diag, r));
		}
	}
	return r;
}

/* The open ctl handle fh, under fs->lock; NULL when it is not open. */
static struct special *find_special(struct stg_fs *fs, uint64_t fh)
{
	struct special *sp;

	for (sp = fs->specials; sp && (uint64_t)(uintptr_t)sp != fh; sp = sp->next)
		;
	return sp;
}

/*
 * Add got bytes to what the handle holds of a command and take out the complete lines (up
 * to the last newline) as a malloc'd string, into *lines (NULL when none is complete). What
 * follows the last newline waits for the next write or the close. -errno: EBADF, ENOMEM,
 * EINVAL when the waiting command grows past CTL_LINE_MAX (it is dropped).
 */
static int ctl_take_lines(struct stg_fs *fs, uint64_t fh, const char *buf, size_t got, char **lines)
{
	struct special *sp;
	char *all, *nl;
	size_t n;
	int r = 0;

	*lines = NULL;
	pthread_mutex_lock(&fs->lock);
	sp = find_special(fs, fh);
	if (!sp) {
		pthread_mutex_unlock(&fs->lock);
		return -EBADF;
	}
	n = sp->plen + got;
	all = malloc(n + 1);
	if (!all) {
		pthread_mutex_unlock(&fs->lock);
		return -ENOMEM;
	}
	memcpy(all, sp->pending ? sp->pending : "", sp->plen);
	memcpy(all + sp->plen, buf, got);
	all[n] = '\0';
	free(sp->pending);
	sp->pending = NULL;
	sp->plen = 0;
	nl = memrchr(all, '\n', n);
	if ((size_t)(all + n - (nl ? nl + 1 : all)) > CTL_LINE_MAX) {
		r = -EINVAL; /* what waits for its newline is too long: all of it is dropped */
	} else if (nl && (size_t)(all + n - (nl + 1)) > 0) {
		sp->plen = (size_t)(all + n - (nl + 1));
		sp->pending = strdup(nl + 1);
		if (!sp->pending)
			sp->plen = 0, r = -ENOMEM;
		nl[1] = '\0';
	} else if (!nl) {
		sp->pending = TAKE_PTR(all);
		sp->plen = n;
	}
	pthread_mutex_unlock(&fs->lock);
	if (r == 0)
		*lines = TAKE_PTR(all);
	free(all);
	return r;
}

/*
 * A write to .burnfs/ctl: commands end at a newline and may come in several writes of one
 * handle (what follows the last newline waits; the close runs it, op_flush()). Commands
 * from a user other than the owner are refused at once (EPERM), and so is a write holding a
 * NUL byte (EINVAL), which no command has: both are logged.
 */
static void write_ctl(fuse_req_t req, struct stg_fs *fs, uint64_t fh, struct fuse_bufvec *in_buf)
{
	size_t size = fuse_buf_size(in_buf);
	struct fuse_bufvec mem = FUSE_BUFVEC_INIT(size);
	_cleanup_free_ char *text = NULL, *lines = NULL;
	uid_t uid = fuse_req_ctx(req)->uid;
	struct bfs_diag diag = {0};
	ssize_t got;
	int r;

	if (size > CTL_MAX) {
		fuse_reply_err(req, EFBIG);
		return;
	}
	text = malloc(size + 1);
	if (!text) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	mem.buf[0].mem = text;
	got = fuse_buf_copy(&mem, in_buf, 0);
	if (got < 0) {
		fuse_reply_err(req, (int)-got);
		return;
	}
	text[got] = '\0';
	if (uid != fs->owner) {
		/* the job refuses it, with the reason in its log */
		r = stg_job_ctl(fs->job, text, uid, &diag);
	} else if (memchr(text, '\0', (size_t)got)) {
		stg_job_note(fs->job,
			     "ctl: refused a write of %zd bytes holding a NUL byte (commands "
			     "are text, one a line)",
			     got);
		r = -EINVAL;
	} else {
		r = ctl_take_lines(fs, fh, text, (size_t)got, &lines);
		if (r == -EINVAL)
			stg_job_note(fs->job, "ctl: refused a command of more than %u bytes",
				     CTL_LINE_MAX);
		if (r == 0 && lines)
			r = run_ctl_lines(fs, lines, uid);
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_write(req, (size_t)got);
}

/* The close of a ctl handle runs the command still waiting for its newline; close() says how it went. */
static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stg_fs *fs = fs_of(req);
	_cleanup_free_ char *line = NULL;
	struct special *sp;

	if (inode_of(fs, ino)->kind != K_CTL) {
		fuse_reply_err(req, 0);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	sp = find_special(fs, fi->fh);
	if (sp) {
		line = TAKE_PTR(sp->pending);
		sp->plen = 0;
	}
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_err(req, line ? -run_ctl_lines(fs, line, fuse_req_ctx(req)->uid) : 0);
}

/*
 * A direct_io write (see set_caching()) by someone without CAP_FSETID clears the file's
 * set-user-ID and set-group-ID bits, as a local write would; the kernel asks for it with a
 * write flag that libfuse 3.14 does not pass on. A daemon running as the user has the
 * backing write clear them already; one running as root for others (allow_other) does it
 * here, for callers other than root.
 */
static void drop_suid(struct stg_fs *fs, fuse_req_t req, int fd)
{
	struct stat st;
	mode_t kill = 0;

	if (!fs->as_root || fuse_req_ctx(req)->uid == 0 || fstat(fd, &st) < 0)
		return;
	if (st.st_mode & S_ISUID)
		kill |= S_ISUID;
	if ((st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		kill |= S_ISGID;
	if (kill)
		(void)fchmod(fd, st.st_mode & 07777 & ~kill);
}

static void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in_buf, off_t off,
			 struct fuse_file_info *fi)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *in = inode_of(fs, ino);
	size_t size = fuse_buf_size(in_buf);
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(size);
	int64_t add;
	ssize_t n;
	int r;

	if (in->kind == K_CTL) {
		write_ctl(req, fs, fi->fh, in_buf);
		return;
	}
	if ((uint64_t)off < FILE_MAX && (uint64_t)off + size > FILE_MAX)
		out.buf[0].size = size = (size_t)(FILE_MAX - (uint64_t)off); /* up to the limit */
	r = reserve_write(fs, in, fi, (uint64_t)off + size, &add);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = (int)fi->fh;
	out.buf[0].pos = off;
	n = fuse_buf_copy(&out, in_buf, 0);
	fs_settle(fs, add, n >= 0);
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
		return;
	}
	if (n > 0 && (fi->flags & O_ACCMODE) == O_WRONLY)
		drop_suid(fs, req, (int)fi->fh);
	fuse_reply_write(req, (size_t)n);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *in = inode_of(fs, ino);

	if (in->kind != K_FILE && fi->fh != DISC_FH) {
		struct special **p, *sp = NULL;

		pthread_mutex_lock(&fs->lock);
		for (p = &fs->specials; *p && (uint64_t)(uintptr_t)*p != fi->fh; p = &(*p)->next)
			;
		if (*p) {
			sp = *p;
			*p = sp->next;
		}
		pthread_mutex_unlock(&fs->lock);
		if (sp) {
			free(sp->text);
			free(sp->pending);
		}
		free(sp);
	} else if (fi->fh != DISC_FH) {
		close((int)fi->fh);
	}
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct stg_fs *fs = fs_of(req);
	int fd = (int)fi->fh, r;

	if (inode_of(fs, ino)->kind != K_FILE || fi->fh == DISC_FH) {
		fuse_reply_err(req, 0);
		return;
	}
	r = datasync ? fdatasync(fd) : fsync(fd);
	fuse_reply_err(req, r < 0 ? errno : 0);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *in = inode_of(fs, ino);
	/* where the file may grow to: KEEP_SIZE never grows it */
	uint64_t end = mode & FALLOC_FL_KEEP_SIZE ? 0 : (uint64_t)off + (uint64_t)len;
	int64_t add;
	int r;

	r = reserve_write(fs, in, fi, end, &add);
	if (r == 0) {
		if (fallocate((int)fi->fh, mode, off, len) < 0)
			r = -errno;
		fs_settle(fs, add, r == 0);
	}
	if (r == 0 && (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE)))
		atomic_store(&fs->dirty, true); /* smaller: the next plan says by how much */
	fuse_reply_err(req, -r);
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	off_t r;

	if (fi->fh == DISC_FH) { /* a disc file has no holes: data to its end */
		struct stat st;
		int e = disc_stat(fs_of(req), inode_of(fs_of(req), ino), &st);

		if (e < 0)
			fuse_reply_err(req, -e);
		else if (off < 0 || off >= st.st_size ||
			 (whence != SEEK_DATA && whence != SEEK_HOLE))
			fuse_reply_err(req, off >= 0 && whence != SEEK_DATA && whence != SEEK_HOLE
						    ? EINVAL
						    : ENXIO);
		else
			fuse_reply_lseek(req, whence == SEEK_DATA ? off : st.st_size);
		return;
	}
	if (inode_of(fs_of(req), ino)->kind != K_FILE) {
		fuse_reply_err(req, ESPIPE);
		return;
	}
	r = lseek((int)fi->fh, off, whence);
	if (r < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, r);
}

/* ---- directories -------------------------------------------------------------------- */

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *in = inode_of(fs, ino);
	struct dirp *d;
	int fd;

	if (in->kind == K_CTLDIR) {
		fi->fh = 0;
		fuse_reply_open(req, fi);
		return;
	}
	if ((in->kind != K_FILE && in->kind != K_DISC) || in->type != S_IFDIR) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* with a disc loaded, any directory may show disc nodes (moved in, if not its own) */
	d->merged = in->kind == K_DISC || stg_lower_present(disc_lower(fs));
	if (in->kind == K_DISC) {
		pthread_mutex_init(&d->lock, NULL);
		fi->fh = (uint64_t)(uintptr_t)d;
		fuse_reply_open(req, fi);
		return;
	}
	fd = openat_fds(fs, in->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0 || !(d->dp = fdopendir(fd))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		free(d);
		fuse_reply_err(req, e);
		return;
	}
	pthread_mutex_init(&d->lock, NULL);
	fi->fh = (uint64_t)(uintptr_t)d;
	fi->cache_readdir = 0;
	fuse_reply_open(req, fi);
}

/* The control directory's listing: fixed offsets 1..6. */
static void readdir_ctl(fuse_req_t req, struct stg_fs *fs, size_t size, off_t off, bool plus)
{
	static const char *const names[] = {".", "..", "ctl", "status", "log", "changes"};
	struct inode *ins[] = {&fs->ctldir, &fs->root, &fs->ctl,
			       &fs->status, &fs->log,  &fs->changes};
	_cleanup_free_ char *buf = calloc(1, size);
	size_t pos = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (off_t i = off; i < (off_t)BFS_ARRAY_SIZE(names); i++) {
		struct fuse_entry_param e;
		struct stat st = {0};
		size_t n;

		if (ins[i] == &fs->root)
			st.st_mode = S_IFDIR;
		else
			special_stat(fs, ins[i], &st);
		if (plus) {
			/* "." and "..": no entry (ino 0); the specials are not counted */
			fs_fill_entry(fs, &e, ins[i], &st);
			if (i < 2)
				e.ino = 0;
			n = fuse_add_direntry_plus(req, buf + pos, size - pos, names[i], &e, i + 1);
		} else {
			n = fuse_add_direntry(req, buf + pos, size - pos, names[i], &st, i + 1);
		}
		if (n > size - pos)
			break;
		pos += n;
	}
	fuse_reply_buf(req, buf, pos);
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *dir = inode_of(fs, ino);
	struct dirp *d = (struct dirp *)(uintptr_t)fi->fh;
	_cleanup_free_ char *buf = NULL;
	size_t pos = 0;
	int err = 0;

	if (dir->kind == K_CTLDIR) {
		readdir_ctl(req, fs, size, off, plus);
		return;
	}
	buf = calloc(1, size);
	if (!buf || !d) {
		fuse_reply_err(req, buf ? EBADF : ENOMEM);
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (d->merged) {
		err = disc_readdir(req, fs, dir, d, buf, size, off, plus, &pos);
		goto unlock;
	}
	/*
	 * Offsets are the backing directory's own telldir cookies, which stay valid while
	 * entries come and go (ext4 hashes, tmpfs stable offsets): a listing that resumes at
	 * one neither repeats nor skips the entries that stayed.
	 */
	if (off != d->offset) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->offset = off;
	}
	for (;;) {
		struct fuse_entry_param e = {0};
		struct stat st = {0};
		const char *name;
		off_t next;
		size_t n;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = errno;
				break;
			}
		}
		name = d->entry->d_name;
		next = d->entry->d_off;
		if (dir == &fs->root && strcmp(name, CTL_NAME) == 0) {
			/* hidden; and a stray backing node of that name is never shown */
			d->entry = NULL;
			d->offset = next;
			continue;
		}
		if (plus) {
			bool dot = strcmp(name, ".") == 0 || strcmp(name, "..") == 0;

			if (dot) {
				e.attr.st_ino = d->entry->d_ino;
				e.attr.st_mode = (mode_t)d->entry->d_type << 12;
			} else {
				int r = fs_lookup(fs, dir, name, &e);

				if (r == -ENOENT) { /* removed meanwhile */
					d->entry = NULL;
					d->offset = next;
					continue;
				}
				if (r < 0) {
					err = -r;
					break;
				}
			}
			n = fuse_add_direntry_plus(req, buf + pos, size - pos, name, &e, next);
			if (n > size - pos) {
				if (!dot)
					fs_forget_one(fs, e.ino, 1);
				break;
			}
		} else {
			st.st_ino = d->entry->d_ino;
			st.st_mode = (mode_t)d->entry->d_type << 12;
			n = fuse_add_direntry(req, buf + pos, size - pos, name, &st, next);
			if (n > size - pos)
				break;
		}
		pos += n;
		d->entry = NULL;
		d->offset = next;
	}
unlock:
	/* before the reply: once it is out, a RELEASEDIR may free d on another thread */
	pthread_mutex_unlock(&d->lock);
	if (err && pos == 0)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, pos);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirp *d = (struct dirp *)(uintptr_t)fi->fh;

	(void)ino;
	if (d) {
		if (d->dp)
			closedir(d->dp);
		disc_dents_free(d);
		pthread_mutex_destroy(&d->lock);
		free(d);
	}
	fuse_reply_err(req, 0);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct dirp *d = (struct dirp *)(uintptr_t)fi->fh;
	int r;

	(void)ino;
	if (!d || !d->dp) {
		fuse_reply_err(req, 0);
		return;
	}
	r = datasync ? fdatasync(dirfd(d->dp)) : fsync(dirfd(d->dp));
	fuse_reply_err(req, r < 0 ? errno : 0);
}

/* access() and chdir() without default_permissions: the backing node's answer */
static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *in = inode_of(fs, ino);
	char proc[32];

	if (in->kind != K_FILE) {
		/* the control files, which only their owner reaches without allow_other */
		struct stat st;
		bool root = fuse_req_ctx(req)->uid == 0;
		bool ok;

		special_stat(fs, in, &st);
		ok = !(mask & X_OK) || (st.st_mode & S_IXUSR);
		if (!root)
			ok = ok && (!(mask & R_OK) || (st.st_mode & S_IRUSR)) &&
			     (!(mask & W_OK) || (st.st_mode & S_IWUSR));
		fuse_reply_err(req, ok ? 0 : EACCES);
		return;
	}
	if ((mask & W_OK) && read_only(fs, false)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (in->kind == K_DISC) {
		fuse_reply_err(req, disc_access(req, fs, in, mask));
		return;
	}
	proc_path(proc, in->fd);
	fuse_reply_err(req, faccessat(AT_FDCWD, proc, mask, AT_EACCESS) < 0 ? errno : 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct stg_fs *fs = fs_of(req);
	struct statvfs back = {0}, sv = {0};
	uint64_t total, free_blocks, used;

	(void)ino;
	if (atomic_load(&fs->dirty) && now_s() - atomic_load(&fs->plan_time) >= REPLAN_EVERY)
		(void)replan(fs);
	stg_job_disc_space(fs->job, &total, &free_blocks);
	used = projected(fs);
	(void)fstatvfs(fs->root.fd, &back);
	sv.f_bsize = BLOCK;
	sv.f_frsize = BLOCK;
	sv.f_blocks = total;
	sv.f_bfree = sv.f_bavail = free_blocks > used ? free_blocks - used : 0;
	if (stg_job_closed(fs->job, NULL, 0))
		sv.f_bfree = sv.f_bavail = 0; /* the disc takes no more sessions */
	sv.f_files = back.f_files;
	sv.f_ffree = sv.f_favail = back.f_ffree;
	sv.f_namemax = NAME_MAX;
	fuse_reply_statfs(req, &sv);
}

/* ---- extended attributes (stored on the backing nodes) ------------------------------ */

/*
 * The path through which an inode's xattrs are reached, or -ENOTSUP for the control files.
 * The /proc link of the O_PATH descriptor leads to the node itself, a symlink included (the
 * kernel does not follow a symlink it reaches by a /proc link), so every node type answers
 * as the backing file system answers for it: on a symlink, user.* reads give ENODATA and
 * writes EPERM, trusted.* and security.* work.
 */
static int xattr_path(struct inode *in, char proc[static 32])
{
	if (in->kind != K_FILE)
		return -ENOTSUP;
	proc_path(proc, in->fd);
	return 0;
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	struct stg_fs *fs = fs_of(req);
	struct inode *in = inode_of(fs, ino);
	char proc[32];
	int r = read_only(fs, false) ? -EROFS : 0;

	if (r == 0 && in->kind == K_DISC) /* an attribute the disc's node lacks: staged first */
		r = in->type == S_IFDIR ? disc_stage_dir(fs, in) : disc_copy_up(fs, in);
	if (r == 0)
		r = xattr_path(in, proc);
	if (r == 0 && setxattr(proc, name, value, size, flags) < 0)
		r = -errno;
	fuse_reply_err(req, -r);
}

/*
 * The reply to a getxattr or listxattr of size bytes (0: how many it takes): n is what the call
 * on the backing file put into buf, or -errno.
 */
static void reply_xattr(fuse_req_t req, size_t size, const char *buf, ssize_t n)
{
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

/*
 * A disc's node answers EOPNOTSUPP, not ENODATA: burnfs records no extended attributes on a
 * disc, so none can be there to read, and the answer lets a lister stop asking. `ls -l` asks
 * each file for security.selinux and system.posix_acl_access, two round trips a file that
 * were most of the first `ls -lR` of a disc's 100,000 files; on "not supported" coreutils
 * remembers the device and asks no more. A write still works: setxattr stages the node.
 */
static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	char proc[32];
	_cleanup_free_ char *buf = NULL;
	struct inode *in = inode_of(fs_of(req), ino);
	int r = xattr_path(in, proc);
	ssize_t n;

	if (in->kind == K_DISC) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (r < 0) {
		fuse_reply_err(req, r == -ENOTSUP ? ENODATA : -r);
		return;
	}
	buf = size > 0 ? malloc(size) : NULL;
	if (size > 0 && !buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = getxattr(proc, name, buf, size);
	reply_xattr(req, size, buf, n < 0 ? -errno : n);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char proc[32];
	_cleanup_free_ char *buf = NULL;
	int r = xattr_path(inode_of(fs_of(req), ino), proc);
	ssize_t n;

	if (r < 0) {
		reply_xattr(req, size, NULL, 0); /* nothing to list */
		return;
	}
	buf = size > 0 ? malloc(size) : NULL;
	if (size > 0 && !buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = listxattr(proc, buf, size);
	reply_xattr(req, size, buf, n < 0 ? -errno : n);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct stg_fs *fs = fs_of(req);
	char proc[32];
	int r = xattr_path(inode_of(fs, ino), proc);

	if (r == 0 && read_only(fs, false))
		r = -EROFS;
	if (r == 0 && removexattr(proc, name) < 0)
		r = -errno;
	fuse_reply_err(req, r == -ENOTSUP ? ENODATA : -r);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readlink = op_readlink,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.open = op_open,
	.create = op_create,
	.read = op_read,
	.write_buf = op_write_buf,
	/*
	 * Only ctl handles are flushed (a command without its newline runs at close): every
	 * write reaches a backing file before it is answered, so its close has nothing left
	 * to report, and its handle asks the kernel for no FLUSH (noflush).
	 */
	.flush = op_flush,
	.release = op_release,
	.fsync = op_fsync,
	.fallocate = op_fallocate,
	.lseek = op_lseek,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_releasedir,
	.fsyncdir = op_fsyncdir,
	.statfs = op_statfs,
	.access = op_access,
	.setxattr = op_setxattr,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.removexattr = op_removexattr,
};

/* ---- setup -------------------------------------------------------------------------- */

struct entry {
	fuse_ino_t parent;
	char *name;
};

/*
 * Under fs->lock: the entries of the inodes used at or before the clock value until (all:
 * UINT64_MAX) whose parent is root_only's, or any parent when NULL; with files_only, not
 * those of directories.
 */
static size_t collect_entries(struct stg_fs *fs, uint64_t until, const struct inode *root_only,
			      bool files_only, struct entry **ret)
{
	struct entry *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t b = 0; b < fs->nbuckets; b++)
		for (struct inode *in = fs->table[b]; in; in = in->next) {
			struct inode *parent;

			if (!inode_name(in) || in->used > until ||
			    (files_only && in->type == S_IFDIR))
				continue;
			if (root_only && (in->pdev != root_only->dev || in->pino != root_only->ino))
				continue;
			parent = fs_table_find(fs, in->pdev, in->pino);
			if (!parent || BFS_GROW(v, cap, n + 1) < 0)
				continue;
			v[n].parent = ino_of(fs, parent);
			if ((v[n].name = strdup(inode_name(in))))
				n++;
		}
	*ret = v;
	return n;
}

/*
 * Invalidate the entries (the kernel drops them, and what is below them and not in use,
 * then forgets those inodes). Never in a request's thread: the kernel takes the parent's
 * lock, which a request in flight may hold. A parent the kernel has forgotten meanwhile
 * is refused by the kernel (ENOENT): nothing is kept as a pointer.
 */
static void invalidate(struct stg_fs *fs, struct entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fs->se && !atomic_load(&fs->unmounted))
			(void)fuse_lowlevel_notify_inval_entry(fs->se, v[i].parent, v[i].name,
							       strlen(v[i].name));
		free(v[i].name);
	}
	free(v);
}

/* Drop the kernel's entries under the root: the whole tree it knows, unless in use. */
static void invalidate_root(struct stg_fs *fs)
{
	struct entry *v;
	size_t n;

	pthread_mutex_lock(&fs->lock);
	n = collect_entries(fs, UINT64_MAX, &fs->root, false, &v);
	pthread_mutex_unlock(&fs->lock);
	invalidate(fs, v, n);
	if (fs->se && !atomic_load(&fs->unmounted))
		(void)fuse_lowlevel_notify_inval_inode(fs->se, FUSE_ROOT_ID, 0, 0);
}

/* The job changed the staging directory (a commit removed the staged files, a discard). */
static void on_changed(void *userdata)
{
	struct stg_fs *fs = userdata;

	atomic_store(&fs->dirty, true);
	invalidate_root(fs);
	(void)replan(fs);
}

/*
 * Every inode the kernel holds costs a descriptor. When the inodes come near the limit
 * (a quarter of it stays for open files and libfuse's own, half of a small one), this
 * thread makes the kernel let go of the least recently used half (a copy of a large tree
 * leaves them all cached), files only and oldest first, so that the directories in use
 * now, which a request waiting for a descriptor may hold locked, come last.
 */
static void *relief_main(void *arg)
{
	struct stg_fs *fs = arg;

	pthread_mutex_lock(&fs->lock);
	for (;;) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		struct entry *v;
		size_t n;

		while (!fs->relief_wanted && !fs->stopping)
			pthread_cond_wait(&fs->relief_cond, &fs->lock);
		if (fs->stopping)
			break;
		bfs_log(LOG_DEBUG, "staging: %zu inodes hold descriptors (limit %zu): releasing",
			fs->count, fs->fd_limit);
		n = collect_entries(fs, fs->clock - BFS_MIN(fs->clock, (uint64_t)fs->count / 2),
				    NULL, true, &v);
		pthread_mutex_unlock(&fs->lock);
		invalidate(fs, v, n);
		nanosleep(&ts, NULL); /* the kernel's forgets come meanwhile */
		pthread_mutex_lock(&fs->lock);
		fs->relief_wanted = fs->count > fs->fd_high;
	}
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

/*
 * The disc's kind decides the file systems and so the overhead of the projection: the
 * engine's per-medium policy, as the burn takes it. Asked of the drive before the job takes
 * it; a drive that cannot tell (no disc yet) is guessed from its capacity later.
 */
static void probe_media(struct stg_fs *fs, const char *drive)
{
	struct bfs_diag diag = {0};
	int r = eng_policy_of_drive(drive, &fs->policy, &diag);

	if (r < 0) {
		bfs_log(LOG_DEBUG, "staging: media of '%s' unknown: %s", drive,
			bfs_diag_msg(&diag, r));
		eng_policy_of_capacity(UINT64_MAX, &fs->policy); /* until guess_media() */
	}
}

static void guess_media(struct stg_fs *fs)
{
	uint64_t total, free_blocks;

	if (fs->policy.from_disc)
		return;
	stg_job_disc_space(fs->job, &total, &free_blocks);
	eng_policy_of_capacity(total, &fs->policy);
}

static void special_init(struct inode *in, enum kind k, ino_t ino)
{
	*in = (struct inode){.fd = -1, .kind = k, .ino = ino, .nlookup = 1};
	in->type = k == K_CTLDIR ? S_IFDIR : S_IFREG;
}

static struct stg_fs *fs_free(struct stg_fs *fs)
{
	if (!fs)
		return NULL;
	/* first: the job's thread may call on_changed() until it ends */
	fs->job = stg_job_free(fs->job);
	for (size_t b = 0; b < fs->nbuckets; b++)
		for (struct inode *in = fs->table[b], *next; in; in = next) {
			next = in->next;
			if (in->fd >= 0)
				close(in->fd);
			inode_free(in);
		}
	free(fs->table);
	while (fs->specials) {
		struct special *sp = fs->specials;

		fs->specials = sp->next;
		free(sp->text);
		free(sp->pending);
		free(sp);
	}
	free(fs->root.name);
	free(fs->root.dpath);
	free(fs->root.mpath);
	if (fs->root.fd >= 0)
		close(fs->root.fd);
	if (fs->lock_fd >= 0)
		close(fs->lock_fd);
	pthread_mutex_destroy(&fs->lock);
	pthread_mutex_destroy(&fs->plan_lock);
	pthread_cond_destroy(&fs->relief_cond);
	pthread_cond_destroy(&fs->fd_freed);
	free(fs);
	return NULL;
}
BFS_DEFINE_FREEP(struct stg_fs, fs_free)

/*
 * Every inode the kernel holds keeps a descriptor open: take as many as allowed (as root,
 * the system's maximum). A tree larger than the limit fails with EMFILE, by name.
 */
static size_t raise_fd_limit(void)
{
	struct rlimit rl;
	FILE *f;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	if (geteuid() == 0 && (f = fopen("/proc/sys/fs/nr_open", "re"))) {
		unsigned long long max = 0;

		if (fscanf(f, "%llu", &max) == 1 && max > rl.rlim_max)
			rl.rlim_max = (rlim_t)max;
		fclose(f);
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	return getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
		       ? (size_t)rl.rlim_cur
		       : 1u << 20;
}

static int fs_new(const struct stg_fs_opts *o, struct bfs_diag *diag, struct stg_fs **ret)
{
	_cleanup_(fs_freep) struct stg_fs *fs = calloc(1, sizeof(*fs));
	struct stg_job_opts jo = {
		.staging_dir = o->staging_dir,
		.drive = o->drive,
		.state_dir = o->state_dir,
		.owner = getuid(),
		.session = o->session,
		.changed = on_changed,
	};
	struct stat st;
	int r;

	if (!fs)
		return -ENOMEM;
	fs->root.fd = -1;
	fs->lock_fd = -1;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_mutex_init(&fs->plan_lock, NULL);
	pthread_cond_init(&fs->relief_cond, NULL);
	pthread_cond_init(&fs->fd_freed, NULL);
	fs->nbuckets = 1024;
	fs->table = bfs_new(struct inode *, fs->nbuckets);
	if (!fs->table)
		return -ENOMEM;
	fs->staging = o->staging_dir;
	fs->owner = getuid();
	fs->owner_gid = getgid();
	fs->fd_limit = 1024;
	fs->as_root = geteuid() == 0 && o->allow_other;
	fs->session = o->session;
	clock_gettime(CLOCK_REALTIME, &fs->started);
	fs->root.fd = open(o->staging_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->root.fd < 0)
		return bfs_diag_set(diag, -errno, "staging directory '%s': %m", o->staging_dir);
	if (fstat(fs->root.fd, &st) < 0)
		return bfs_diag_set(diag, -errno, "staging directory '%s': %m", o->staging_dir);
	fs->lock_fd = open(o->staging_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fs->lock_fd < 0)
		return bfs_diag_set(diag, -errno, "staging directory '%s': %m", o->staging_dir);
	if (flock(fs->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return bfs_diag_set(
			diag, errno == EWOULDBLOCK ? -EBUSY : -errno, "staging directory '%s': %s",
			o->staging_dir,
			errno == EWOULDBLOCK
				? "another burnfs mount serves it (or the daemon of an "
				  "unmounted one is finishing its commit: `burnfs status` "
				  "works again once it is done)"
				: strerror(errno));
	fs->root.kind = K_FILE;
	fs->root.type = S_IFDIR;
	/* the disc's root is merged under the staging directory's (its lid: at first use) */
	fs->root.has_lower = true;
	fs->root.lgen = UINT64_MAX;
	fs->root.dpath = strdup("");
	fs->root.mpath = strdup("");
	if (!fs->root.dpath || !fs->root.mpath)
		return -ENOMEM;
	fs->root.dev = st.st_dev;
	fs->root.ino = st.st_ino;
	fs->root.nlookup = 2;
	/* synthetic serial numbers at the top of the range, away from the backing ones */
	special_init(&fs->ctldir, K_CTLDIR, (ino_t)-2);
	special_init(&fs->ctl, K_CTL, (ino_t)-3);
	special_init(&fs->status, K_STATUS, (ino_t)-4);
	special_init(&fs->log, K_LOG, (ino_t)-5);
	special_init(&fs->changes, K_CHANGES, (ino_t)-6);

	fs->fd_limit = raise_fd_limit();
	fs->fd_high = fs->fd_limit >= 4096 ? fs->fd_limit - fs->fd_limit / 4 : fs->fd_limit / 2;
	probe_media(fs, o->drive);
	jo.userdata = fs;
	r = stg_job_new(&jo, diag, &fs->job);
	if (r < 0)
		return r;
	guess_media(fs);
	atomic_store(&fs->dirty, true);
	(void)replan(fs);
	*ret = TAKE_PTR(fs);
	return 0;
}

static void log_to_syslog(int level, const char *msg, void *userdata)
{
	(void)userdata;
	syslog(level, "%s", msg);
}

/* Detached: report to the waiting parent (a byte: 0 ok, else errno, then the message). */
static void tell_parent(int *pfd, int err, const char *msg)
{
	unsigned char b = (unsigned char)BFS_MIN(err, 255);

	if (*pfd < 0)
		return;
	if (write(*pfd, &b, 1) == 1 && msg)
		(void)!write(*pfd, msg, strlen(msg));
	close(*pfd);
	*pfd = -1;
}

/* In the caller, without --foreground: wait for the child's word. */
static int wait_child(pid_t pid, int rfd, struct bfs_diag *diag)
{
	char msg[BFS_DIAG_MSG_MAX];
	unsigned char b = 0;
	size_t len = 0;
	ssize_t n;
	int status;

	do
		n = read(rfd, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) { /* the child died before saying anything */
		close(rfd);
		(void)waitpid(pid, &status, 0);
		return bfs_diag_set(diag, -EIO,
				    "the filesystem process ended before the mount was up");
	}
	while (len < sizeof(msg) - 1 && (n = read(rfd, msg + len, sizeof(msg) - 1 - len)) > 0)
		len += (size_t)n;
	msg[len] = '\0';
	close(rfd);
	if (b == 0)
		return 0; /* the mount is up; the child goes on alone */
	(void)waitpid(pid, &status, 0);
	return bfs_diag_set(diag, -(int)b, "%s", len ? msg : strerror(b));
}

/*
 * Signals (SIGINT, SIGTERM, SIGHUP) end the serving loop, as libfuse's own handlers would,
 * and are remembered: the loop that ends without one ended because the mount went away.
 */
/* set by the handler, read by the main loop and the job waiting for its commit: an atomic,
 * which is async-signal-safe when lock-free (static assert below) */
static atomic_int stop_signal;
static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler stores to stop_signal");
static struct fuse_session *signal_session;

static void on_stop_signal(int sig)
{
	atomic_store(&stop_signal, sig);
	if (signal_session)
		fuse_session_exit(signal_session);
}

static int set_signals(struct fuse_session *se, bool install)
{
	struct sigaction sa = {.sa_handler = install ? on_stop_signal : SIG_DFL};
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};

	signal_session = install ? se : NULL;
	if (install)
		(void)signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < BFS_ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	return 0;
}

/*
 * The serving loop has ended. By a signal: a commit under way is cancelled (stg_job_free()).
 * By the unmount (fusermount3 -u, umount, umount -l): a commit under way runs to its end
 * first, a later signal still cancelling it (stg_job_unmounted()).
 */
static void after_loop(struct stg_fs *fs)
{
	if (atomic_load(&stop_signal))
		return;
	atomic_store(&fs->unmounted, true);
	stg_job_unmounted(fs->job, &stop_signal);
}

int stg_fs_run(const struct stg_fs_opts *o, struct bfs_diag *diag)
{
	_cleanup_(fs_freep) struct stg_fs *fs = NULL;
	_cleanup_free_ char *mopts = NULL;
	struct fuse_loop_config *lc = NULL;
	bool fg = o->foreground || o->debug;
	int pfd = -1, r;

	if (!fg) {
		int p[2];
		pid_t pid;

		if (pipe2(p, O_CLOEXEC) < 0)
			return bfs_diag_set(diag, -errno, "pipe: %m");
		pid = fork();
		if (pid < 0)
			return bfs_diag_set(diag, -errno, "fork: %m");
		if (pid > 0) {
			close(p[1]);
			return wait_child(pid, p[0], diag);
		}
		close(p[0]);
		pfd = p[1];
		(void)setsid();
	}
	r = fs_new(o, diag, &fs);
	if (r < 0)
		goto fail;
	/*
	 * Permissions: with allow_other the kernel checks them (default_permissions), as
	 * this daemon may run as root for every user. Without it only the mounting user gets
	 * in, and this daemon, running as that user, meets the same checks on the backing
	 * tree itself: the kernel then also spares the GETATTR of the parent directory it
	 * sends before each lookup in a directory just changed (a round trip per file
	 * created). access() goes to op_access().
	 */
	if (asprintf(&mopts, "%sfsname=burnfs,subtype=burnfs",
		     o->allow_other ? "default_permissions,allow_other," : "") < 0) {
		r = -ENOMEM;
		goto fail;
	}
	{
		char *argv[] = {(char *)"burnfs", (char *)"-o", mopts, (char *)"-d", NULL};
		struct fuse_args args = FUSE_ARGS_INIT(o->debug ? 4 : 3, argv);

		fs->se = fuse_session_new(&args, &ops, sizeof(ops), fs);
		fuse_opt_free_args(&args);
	}
	if (!fs->se) {
		r = bfs_diag_set(diag, -EINVAL, "cannot set up the FUSE session");
		goto fail;
	}
	if (pthread_create(&fs->relief, NULL, relief_main, fs) == 0)
		fs->relief_running = true;
	atomic_store(&stop_signal, 0);
	if (set_signals(fs->se, true) < 0) {
		r = bfs_diag_set(diag, -EIO, "cannot install signal handlers");
		goto fail_session;
	}
	if (fuse_session_mount(fs->se, o->mountpoint) < 0) {
		r = bfs_diag_set(diag, access("/dev/fuse", R_OK | W_OK) < 0 ? -ENODEV : -EIO,
				 "cannot mount on '%s'%s", o->mountpoint,
				 access("/dev/fuse", R_OK | W_OK) < 0
					 ? ": /dev/fuse is missing or not accessible"
					 : " (fusermount3 said why above)");
		goto fail_signals;
	}
	if (o->ready)
		o->ready(o->mountpoint, o->userdata);
	if (!fg) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		openlog("burnfs", LOG_PID, LOG_DAEMON);
		bfs_log_set_sink(log_to_syslog, NULL);
		if (null >= 0) {
			(void)dup2(null, STDIN_FILENO);
			(void)dup2(null, STDOUT_FILENO);
			(void)dup2(null, STDERR_FILENO);
			close(null);
		}
		(void)!chdir("/");
		tell_parent(&pfd, 0, NULL);
	}
	lc = fuse_loop_cfg_create();
	if (!lc) {
		r = -ENOMEM;
		goto fail_mount;
	}
	fuse_loop_cfg_set_clone_fd(lc, 1);
	fuse_loop_cfg_set_idle_threads(lc, 8); /* no thread churn between bursts */
	fuse_loop_cfg_set_max_threads(lc, 16);
	r = fuse_session_loop_mt(fs->se, lc);
	fuse_loop_cfg_destroy(lc);
	after_loop(fs);
	fs->job = stg_job_free(fs->job); /* before the session its callback notifies goes */
	r = r < 0 ? bfs_diag_set(diag, r, "serving the mount: %s", strerror(-r)) : 0;
fail_mount:
	fuse_session_unmount(fs->se);
fail_signals:
	(void)set_signals(fs->se, false);
fail_session:
	if (fs->relief_running) {
		pthread_mutex_lock(&fs->lock);
		fs->stopping = true;
		pthread_cond_signal(&fs->relief_cond);
		pthread_mutex_unlock(&fs->lock);
		pthread_join(fs->relief, NULL);
	}
	fuse_session_destroy(fs->se);
	fs->se = NULL;
fail:
	fs = fs_free(TAKE_PTR(fs));
	if (!fg) {
		tell_parent(&pfd, -r, bfs_diag_msg(diag, r));
		_exit(r < 0 ? 1 : 0);
	}
	return r;
}
