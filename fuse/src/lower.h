/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disc under the staging mount (ARCHITECTURE.md, multisession, "in the mount"): the tree
 * of its last session (or of the one `burnfs mount --session N` names) as the read-only lower
 * layer the staged files sit on.
 *
 * The tree is the one the next commit carries over (eng_disctree_open_fullest), so what the
 * mount shows is what the new session will hold. A load reads it whole, once, into a compact
 * index (names, attributes, where each file's data lies): lookups, listings and attributes
 * never touch the drive afterwards, so `ls -lR` costs one walk of the disc, and listing the
 * mount still works while a commit holds the drive. Nodes are numbers into that index
 * (stg_lid, the root 0), valid until the next load; a load (after a commit, a refresh,
 * another disc) bumps the generation, and the mount looks its disc nodes up again.
 *
 * File data is read from the drive when asked. The drive is opened then and closed again
 * after a second without reads, so that other programs (burnfs info, vdrive load, a burner
 * application) find it free while nothing is read. A commit, which opens the drive itself,
 * calls stg_lower_suspend() first: reads made meanwhile wait for stg_lower_resume() and the
 * two never meet as EBUSY.
 *
 * Thread-safe.
 */
#ifndef BFS_STG_LOWER_H
#define BFS_STG_LOWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "common/diag.h"
#include "common/macro.h"
#include "engine/edits.h"

/* Inode numbers of disc nodes carry this bit, so that they never equal a staged file's. */
#define STG_LOWER_INO_BIT (UINT64_C(1) << 62)

/* A node of the loaded tree. */
typedef uint32_t stg_lid;
#define STG_LOWER_ROOT ((stg_lid)0)

struct stg_lower;

/* A lower layer for the drive at drive; nothing is read yet (no tree). */
int stg_lower_new(const char *drive, struct stg_lower **ret) BFS_WARN_UNUSED;
struct stg_lower *stg_lower_free(struct stg_lower *l);
BFS_DEFINE_FREEP(struct stg_lower, stg_lower_free)

/*
 * Read the tree of session `session` (0: the last closed one) into the index, replacing what
 * was loaded, and close the drive again. A blank disc, or one whose only session is still
 * open, loads as no tree (0; stg_lower_present() false). Errors name the drive or the
 * session; the layer then holds no tree.
 */
int stg_lower_load(struct stg_lower *l, unsigned session, struct bfs_diag *diag) BFS_WARN_UNUSED;
/* Close the drive and keep reads from opening it (a commit is about to); resume lets them. */
void stg_lower_suspend(struct stg_lower *l);
void stg_lower_resume(struct stg_lower *l);

/* Whether a tree is loaded. */
bool stg_lower_present(struct stg_lower *l);
/* Bumped by every load. */
uint64_t stg_lower_generation(struct stg_lower *l);
/* What is loaded. */
struct stg_lower_info {
	unsigned number, count; /* the session (1-based) and the closed sessions; 0 without */
	uint64_t start;		/* its first block */
	uint64_t nodes, dirs;	/* of the tree, the root counted */
	/*
	 * The session's blocks that are not file data it wrote (its trees, manifest, padding):
	 * what the next session, which carries the same tree, needs again besides staged data.
	 */
	uint64_t meta_blocks;
};
void stg_lower_info(struct stg_lower *l, struct stg_lower_info *ret);

/*
 * The node at disc path path ("a/b", no leading '/'; "" the root), or the child name of
 * directory dir: 0, -ENOENT, -ENOTDIR, -ENODEV (no tree), -ESTALE (gen is not the loaded
 * generation: the node numbers of another load).
 */
int stg_lower_find(struct stg_lower *l, const char *path, uint64_t *gen,
		   stg_lid *ret) BFS_WARN_UNUSED;
int stg_lower_child(struct stg_lower *l, uint64_t gen, stg_lid dir, const char *name,
		    stg_lid *ret) BFS_WARN_UNUSED;
/* Its attributes as stat(2) gives them (st_ino with STG_LOWER_INO_BIT). */
int stg_lower_stat(struct stg_lower *l, uint64_t gen, stg_lid id, struct stat *st) BFS_WARN_UNUSED;
/* A symbolic link's target into buf (NUL-terminated): -EINVAL for another node, -ENAMETOOLONG. */
int stg_lower_readlink(struct stg_lower *l, uint64_t gen, stg_lid id, char *buf,
		       size_t cap) BFS_WARN_UNUSED;
/* Its disc path, malloc'd ("" the root). */
int stg_lower_path(struct stg_lower *l, uint64_t gen, stg_lid id, char **ret) BFS_WARN_UNUSED;

/* One entry of a directory listing: the node's name is valid until the callback returns. */
typedef int (*stg_lower_each_fn)(const char *name, stg_lid id, const struct stat *st,
				 void *userdata);
/* Every node of directory dir in name order: fn's non-zero return ends it and is returned. */
int stg_lower_foreach(struct stg_lower *l, uint64_t gen, stg_lid dir, stg_lower_each_fn fn,
		      void *userdata);

/*
 * Every name of regular file id that has several (its hard links on the disc: the nodes with
 * its serial number, id's own too), each as a disc path: fn's non-zero return ends it and is
 * returned.
 */
typedef int (*stg_lower_path_fn)(const char *path, void *userdata);
int stg_lower_links(struct stg_lower *l, uint64_t gen, stg_lid id, stg_lower_path_fn fn,
		    void *userdata);

/* ---- the user's edits of the disc's tree (engine/edits.h) ---------------------------- */

/*
 * The edits log name in directory dir, made against the loaded disc: opened when it exists,
 * else made (with dir) at the first change, so that a mount nobody changed the disc's files
 * in leaves the staging directory as it was. 0, or -EXDEV when it holds edits made against
 * another disc, with the message in diag (the edits are then left out of what the mount
 * shows, changes of disc nodes and commits fail until stg_lower_edits_reset() or that disc
 * is loaded again).
 */
int stg_lower_edits_open(struct stg_lower *l, const char *dir, const char *name,
			 struct bfs_diag *diag) BFS_WARN_UNUSED;
/* Whether the edits were made against another disc than the one loaded; why into buf. */
bool stg_lower_edits_stale(struct stg_lower *l, char *why, size_t cap);
/* Whether there are edits. */
bool stg_lower_edits_empty(struct stg_lower *l);
/* An in-memory copy for a commit (NULL *ret when there are none). */
int stg_lower_edits_dup(struct stg_lower *l, struct eng_edits **ret) BFS_WARN_UNUSED;
/* Forget them, starting again against the loaded disc (after a commit, discard). */
int stg_lower_edits_reset(struct stg_lower *l, struct bfs_diag *diag) BFS_WARN_UNUSED;
int stg_lower_edits_sync(struct stg_lower *l, struct bfs_diag *diag) BFS_WARN_UNUSED;
/* Every edit (eng_edits_foreach). */
int stg_lower_edits_foreach(struct stg_lower *l, eng_edits_each_fn fn, void *userdata);

/*
 * The disc node shown at merged path mpath (the edits' resolution rule, then the index):
 * 0 with *gen and *ret, -ENOENT when none, -ENODEV without a tree.
 */
int stg_lower_origin(struct stg_lower *l, const char *mpath, uint64_t *gen,
		     stg_lid *ret) BFS_WARN_UNUSED;
/*
 * The disc nodes shown in merged directory mpath: its origin's nodes that keep their name,
 * and those a rename or link put there; fn(name, node, attributes with the edits' ones),
 * in no particular order.
 */
int stg_lower_list_merged(struct stg_lower *l, const char *mpath, stg_lower_each_fn fn,
			  void *userdata);
/* The disc node at merged path mpath goes (unlink, rmdir: a whiteout). */
int stg_lower_delete(struct stg_lower *l, const char *mpath, struct bfs_diag *diag) BFS_WARN_UNUSED;
/* Merged path from became to; the disc nodes it shows or holds follow. */
int stg_lower_rename(struct stg_lower *l, const char *from, const char *to,
		     struct bfs_diag *diag) BFS_WARN_UNUSED;
/* Merged path to is one more name of disc file id. */
int stg_lower_link(struct stg_lower *l, uint64_t gen, stg_lid id, const char *to,
		   struct bfs_diag *diag) BFS_WARN_UNUSED;
/* Attributes of disc node id changed (metadata only: nothing is copied). */
int stg_lower_set_attr(struct stg_lower *l, uint64_t gen, stg_lid id, const struct eng_attr *a,
		       struct bfs_diag *diag) BFS_WARN_UNUSED;

/* Up to len bytes of regular file id at off: the count (0 at the end) or -errno. */
int64_t stg_lower_pread(struct stg_lower *l, uint64_t gen, stg_lid id, uint64_t off, void *buf,
			size_t len) BFS_WARN_UNUSED;

#endif
