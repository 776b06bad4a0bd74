/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disc under the staging mount (ARCHITECTURE.md, multisession, "in the mount"): the tree
 * of its last session (or of the one `burnfs mount --session N` names), read from the drive
 * through the engine's medium, as the read-only lower layer the staged files sit on.
 *
 * The tree is the one the next commit carries over (eng_disctree_open_fullest), so what the
 * mount shows is what the new session will hold. Nodes are named by their disc path ("a/b",
 * no leading '/'; "" the root), which stays right for as long as the tree is loaded: a load
 * (after a commit, a refresh, another disc) bumps the generation, and the mount looks its
 * disc nodes up again.
 *
 * The drive is shared with the commit, which opens it itself: stg_lower_suspend() lets go of
 * it first, and every call made meanwhile waits for the next stg_lower_load() (or gets
 * -ENODEV when that load finds no disc), so the two never meet as EBUSY.
 *
 * Thread-safe: one lock around the readers, which are not.
 */
#ifndef BFS_STG_LOWER_H
#define BFS_STG_LOWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "common/diag.h"
#include "common/macro.h"

/* Inode numbers of disc nodes carry this bit, so that they never equal a staged file's. */
#define STG_LOWER_INO_BIT (UINT64_C(1) << 62)

struct stg_lower;

/* One node of the disc's tree as stat(2) shows it. */
struct stg_lnode {
	char *name; /* one component, malloc'd ("" for the root) */
	struct stat st;
	char *target; /* a symbolic link's target, malloc'd; NULL otherwise */
};
void stg_lnode_done(struct stg_lnode *n);
void stg_lnodes_free(struct stg_lnode *v, size_t n);

/* A lower layer for the drive at drive (borrowed); nothing is opened yet. */
int stg_lower_new(const char *drive, struct stg_lower **ret) BFS_WARN_UNUSED;
struct stg_lower *stg_lower_free(struct stg_lower *l);
BFS_DEFINE_FREEP(struct stg_lower, stg_lower_free)

/*
 * Open the drive and the tree of session `session` (0: the last closed one), letting go of
 * what was loaded. A blank disc, or one whose only session is still open, loads as no tree
 * (0; stg_lower_present() false). Errors name the drive or the session; the layer then holds
 * no tree and calls fail with -ENODEV until a load succeeds.
 */
int stg_lower_load(struct stg_lower *l, unsigned session, struct bfs_diag *diag) BFS_WARN_UNUSED;
/* Close the drive (a commit is about to open it); calls wait for the next load. */
void stg_lower_suspend(struct stg_lower *l);

/* Whether a tree is loaded. */
bool stg_lower_present(struct stg_lower *l);
/* Bumped by every load. */
uint64_t stg_lower_generation(struct stg_lower *l);
/* The loaded session's number (1-based) and how many the disc holds; 0 and 0 without one. */
void stg_lower_session(struct stg_lower *l, unsigned *number, unsigned *count);

/* The node at disc path path: -ENOENT, -ENOTDIR, -ENODEV (no tree), -EIO. */
int stg_lower_stat(struct stg_lower *l, const char *path, struct stg_lnode *ret) BFS_WARN_UNUSED;
/* The nodes of directory path, sorted by name bytes (*v malloc'd: stg_lnodes_free). */
int stg_lower_list(struct stg_lower *l, const char *path, struct stg_lnode **v,
		   size_t *n) BFS_WARN_UNUSED;
/* Up to len bytes of regular file path at off: the count (0 at the end) or -errno. */
int64_t stg_lower_pread(struct stg_lower *l, const char *path, uint64_t off, void *buf,
			size_t len) BFS_WARN_UNUSED;

#endif
