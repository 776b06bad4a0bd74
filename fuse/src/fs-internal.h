/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the staging filesystem's files share (fs.c: the operations, the inode table, space;
 * fs-disc.c: the disc's nodes under the staged ones). Not an interface: fs.h is.
 */
#ifndef BFS_STG_FS_INTERNAL_H
#define BFS_STG_FS_INTERNAL_H

#define FUSE_USE_VERSION 312

#include <dirent.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "engine/policy.h"
#include "job.h"
#include "lower.h"

#define CTL_NAME     ".burnfs"
#define TIMEOUT	     5.0	 /* entry and attribute cache, seconds */
#define BLOCK	     2048u	 /* statfs unit: the disc's block */
#define CTL_MAX	     (64u << 10) /* bytes of one write to .burnfs/ctl */
#define CTL_LINE_MAX 4096u	 /* bytes of a command waiting for its newline */
#define REPLAN_EVERY 2.0	 /* statfs replans at most this often (seconds) */
/*
 * The largest file a session can hold: the ISO 9660 tree (level 3, which the engine uses on
 * BD and for files of 4 GiB and more) records a file in at most 255 extents of at most
 * 0xFFFFF800 bytes (iso9660/src/writer.c); the UDF tree allows more. A file may not grow past
 * it in the mount (EFBIG), as on a local file system past its maximum file size.
 */
#define FILE_MAX (255ull * 0xFFFFF800ull)

enum kind {
	K_FILE, /* a backing node */
	K_DISC, /* a node of the disc under the mount (lower.h), not staged */
	K_CTLDIR,
	K_CTL,
	K_STATUS,
	K_LOG,
	K_CHANGES,
};

struct inode {
	struct inode *next; /* hash chain */
	int fd;		    /* O_PATH | O_NOFOLLOW */
	uint8_t kind;	    /* enum kind */
	/*
	 * name is NULL and the last component of mpath is the name (a disc node: most of the
	 * inodes the kernel holds after a listing of a disc, kept small: inode_name()).
	 */
	bool name_in_mpath;
	bool has_lower;
	bool inline_path; /* the string at inode_inline() is one of dpath and mpath, not malloc'd */
	mode_t type;	  /* S_IFMT bits */
	stg_lid lid;
	dev_t dev;
	ino_t ino;
	uint64_t nlookup; /* under fs->lock */
	/*
	 * The name the kernel last knew the node by, in the directory (pdev, pino), or NULL:
	 * so that entries can be invalidated, those of the root when the job changed the tree
	 * behind the kernel's back, the least recently used ones when descriptors run short.
	 * The parent is found again by its identity, never kept as a pointer.
	 */
	char *name;
	dev_t pdev;
	ino_t pino;
	uint64_t used; /* fs->clock at the last lookup */
	/*
	 * The disc's node this inode shows (K_DISC) or, for a staged directory, the disc's
	 * directory merged under it (has_lower): its disc path, and its number lid in the lower
	 * layer's generation lgen (looked up again by path when the disc was read again).
	 * dpath is NULL while it equals mpath (inode_dpath()), the node where the disc has it.
	 */
	uint64_t lgen;
	char *dpath;
	/*
	 * The path the mount shows it at ("a/b", "" the root): kept for every directory (a
	 * child's disc node is found from it: engine/edits.h) and for disc nodes (the name they
	 * were last looked up by), moved by renames (inode_set_mpath()); NULL when not known.
	 */
	char *mpath;
};

/* Under fs->lock: the name the kernel last knew in by, or NULL. */
const char *inode_name(const struct inode *in);
/* Under fs->lock: in's disc path (has_lower). */
const char *inode_dpath(const struct inode *in);
/* Under fs->lock: in is shown at path p (malloc'd, taken). */
void inode_set_mpath(struct inode *in, char *p);
/* Under fs->lock: drop the strings that repeat mpath (after a lookup set them). */
void inode_compact(struct inode *in);
/*
 * A disc node's inode with room for its first mpath after it (inode_inline(), one allocation
 * for both: 16 bytes less a node than two), NULL when out of memory.
 */
struct inode *inode_new_disc(const char *mpath);
char *inode_inline(struct inode *in);
/* Free p, one of in's path strings, unless it is the inline one. */
void inode_free_path(struct inode *in, char *p);
/* Free in and its strings. */
void inode_free(struct inode *in);

/* The table key of disc nodes: a device number no backing node has. */
#define DISC_DEV ((dev_t)-1)
/* fi->fh of a disc file opened for reading: its data comes from the lower layer. */
#define DISC_FH UINT64_MAX

struct stg_fs {
	struct fuse_session *se;
	struct stg_job *job;
	const char *staging;
	struct inode root;
	int lock_fd; /* the staging directory, flock()ed: one mount per staging directory */
	struct inode ctldir, ctl, status, log, changes;
	uid_t owner;
	gid_t owner_gid;
	bool as_root;	  /* serving as root for others: new nodes go to the caller */
	unsigned session; /* an older session shown read-only (stg_fs_opts) */
	struct timespec started;
	atomic_bool unmounted; /* the kernel's side is gone: no more notifications */

	pthread_mutex_t lock; /* the inode table, the open special files, relief */
	struct special *specials;
	size_t fd_limit, fd_high; /* RLIMIT_NOFILE; relief above fd_high inodes */
	pthread_cond_t relief_cond;
	pthread_cond_t fd_freed; /* an inode let go of its descriptor */
	pthread_t relief;
	bool relief_running, relief_wanted, stopping;
	struct inode **table;
	size_t nbuckets, count, nodes; /* count: the inodes holding a descriptor */
	uint64_t clock;		       /* lookups so far */

	/* space */
	pthread_mutex_t plan_lock;
	atomic_bool dirty;	      /* the tree changed since the last plan */
	_Atomic int64_t delta;	      /* blocks added since the last plan (estimate) */
	_Atomic int64_t inflight;     /* blocks reserved by writes not finished yet */
	_Atomic uint64_t plan_blocks; /* the last plan, aligned, with overhead */
	_Atomic double plan_time;     /* CLOCK_MONOTONIC of the last plan attempt */
	struct eng_policy policy; /* the disc's, or guessed from its capacity (from_disc false) */
};

/*
 * What an open special file holds: the text at open (status, log), or for ctl the start of a
 * command whose newline has not come yet (under fs->lock).
 */
struct special {
	struct special *next; /* the open ones, under fs->lock */
	char *text;
	size_t len;
	char *pending;
	size_t plen;
};

/* One name of a listing that merges the disc's directory under a staged one. */
struct dent {
	char *name;
	bool disc;
	stg_lid lid;	/* disc: its node */
	struct stat st; /* disc: its attributes; staged: st_ino and the type bits */
};

struct dirp {
	pthread_mutex_t lock;
	DIR *dp; /* the staged directory, NULL for a directory of the disc alone */
	off_t offset;
	struct dirent *entry;
	/*
	 * A directory with the disc's under it is listed from a snapshot taken at opendir and
	 * at each rewind (offset 0): offsets are indices into it, stable while names come and
	 * go (the staged listing's own cookies cannot number the disc's names).
	 */
	bool merged;
	struct dent *v;
	size_t n, cap;
	uint64_t gen;
};

static inline struct inode *inode_of(struct stg_fs *fs, fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &fs->root : (struct inode *)(uintptr_t)ino;
}

static inline fuse_ino_t ino_of(struct stg_fs *fs, struct inode *in)
{
	return in == &fs->root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)in;
}

static inline void proc_path(char buf[static 32], int fd)
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

static inline struct stg_fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* ---- fs.c --------------------------------------------------------------------------- */

void fs_changed_node(struct stg_fs *fs, int64_t blocks);
int fs_lookup(struct stg_fs *fs, struct inode *dir, const char *name, struct fuse_entry_param *e);
void fs_fill_entry(struct stg_fs *fs, struct fuse_entry_param *e, struct inode *in,
		   const struct stat *st);
int fs_reserve(struct stg_fs *fs, uint64_t old_size, uint64_t new_size, int64_t *ret);
void fs_set_name(struct stg_fs *fs, struct inode *dir, struct inode *in, const char *name);
void fs_settle(struct stg_fs *fs, int64_t add, bool ok);
struct inode *fs_table_find(struct stg_fs *fs, dev_t dev, ino_t ino);
void fs_table_insert(struct stg_fs *fs, struct inode *in);
void fs_table_remove(struct stg_fs *fs, struct inode *in);
void fs_forget_one(struct stg_fs *fs, fuse_ino_t ino, uint64_t n);

/* ---- fs-disc.c ---------------------------------------------------------------------- */

int disc_copy_up(struct stg_fs *fs, struct inode *in);
void disc_dents_free(struct dirp *d);
int disc_lookup_merged(struct stg_fs *fs, struct inode *dir, const char *name,
		       struct fuse_entry_param *e);
struct stg_lower *disc_lower(struct stg_fs *fs);
void disc_read(fuse_req_t req, struct stg_fs *fs, struct inode *in, size_t size, off_t off);
int disc_readdir(fuse_req_t req, struct stg_fs *fs, struct inode *dir, struct dirp *d, char *buf,
		 size_t size, off_t off, bool plus, size_t *ret);
int disc_remove(struct stg_fs *fs, struct inode *dir, const char *name, bool isdir);
int disc_rename(struct stg_fs *fs, struct inode *dir, const char *name, struct inode *ndir,
		const char *newname, unsigned flags);
int disc_link(struct stg_fs *fs, struct inode *in, struct inode *dir, const char *newname);
int disc_setattr(fuse_req_t req, struct stg_fs *fs, struct inode *in, const struct stat *attr,
		 int valid);
int disc_stage_dir(struct stg_fs *fs, struct inode *dir);
void disc_note_path(struct stg_fs *fs, struct inode *dir, struct inode *in, const char *name);
void disc_renamed(struct stg_fs *fs, const char *from, const char *to);
int disc_child_path(struct stg_fs *fs, struct inode *dir, const char *name, char **ret);
int disc_access(fuse_req_t req, struct stg_fs *fs, struct inode *in, int mask);
bool disc_named(struct stg_fs *fs, struct inode *dir, const char *name);
int disc_node(struct stg_fs *fs, struct inode *in, uint64_t *gen, stg_lid *lid);
int disc_stat(struct stg_fs *fs, struct inode *in, struct stat *st);

#endif
