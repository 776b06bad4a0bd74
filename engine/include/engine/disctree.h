/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tree of one session, whichever file system holds it: the one choice "UDF when
 * valid, else Rock Ridge, else Joliet, else ISO 9660" (eng_disctree_open), and the nodes
 * of that tree in one form for every reader, so that ls, extract and the importer do not
 * know which reader is behind it.
 *
 *	eng_disctree_open()     the session's tree, saying which file system it used
 *	eng_disctree_lookup()   a node by path
 *	eng_disctree_list()     a directory's nodes, sorted, as owned copies
 *	eng_disctree_pread()    bytes of a regular file (zisofs inflated)
 *	eng_disctree_walk()     every node under a directory, depth first, bounded
 *
 * The readers behind it: udf/ (UDF 1.02-2.60) and iso9660/ (with Rock Ridge and Joliet).
 */
#ifndef BFS_ENGINE_DISCTREE_H
#define BFS_ENGINE_DISCTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"
#include "common/tree.h"

/* Read n 2048-byte blocks at absolute block lba: 0 or a negative errno. */
typedef int (*eng_disctree_read_fn)(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf);

enum eng_tree_fs {
	ENG_TREE_AUTO, /* eng_disctree_open(): the best one present */
	ENG_TREE_UDF,
	ENG_TREE_ROCKRIDGE,
	ENG_TREE_JOLIET,
	ENG_TREE_ISO9660,
};

/* "udf", "rockridge", "joliet", "iso9660" */
const char *eng_tree_fs_name(enum eng_tree_fs fs);

/* Depth of a tree walked (a directory nested deeper is a damaged or hostile image). */
#define ENG_DISCTREE_DEPTH_MAX 1024u

struct iso9660_entry;
struct udf_entry;

/* One node of a session's tree. name and target point into the reader's entry. */
struct eng_dnode {
	const char *name; /* raw bytes (Rock Ridge) or UTF-8 (Joliet); "" for the root */
	size_t name_len;
	enum bfs_node_type type;
	uint32_t mode; /* 07777 bits */
	uint32_t uid, gid, nlink;
	uint64_t ino; /* the same for the names of one hard-linked file */
	uint64_t size;
	struct bfs_time mtime, atime;
	uint32_t rdev_major, rdev_minor;
	const char *target;	   /* symlink target, NULL otherwise */
	struct iso9660_entry *iso; /* the reader's own entry, owned (ISO 9660 trees) */
	struct udf_entry *udf;	   /* the reader's own entry, owned (UDF trees) */
};

void eng_dnode_done(struct eng_dnode *d);

struct eng_disctree;

/*
 * UDF is in the session at start when its volume recognition sequence (ISO 9660
 * descriptors may come first) names NSR02 or NSR03 (ECMA-167 2/9.1) and an anchor (tag 2)
 * sits at block 256 of the session.
 */
bool eng_disctree_has_udf(eng_disctree_read_fn read, void *userdata, uint64_t start);

/*
 * The tree of the session at block start, which ends before block end (its last block
 * + 1: the UDF reader looks for anchors and a VAT at the end; 0 when not known: the
 * session's anchor at start + 256 only), read through read/userdata (borrowed until
 * eng_disctree_free). want: ENG_TREE_AUTO for the first present and valid of UDF, Rock
 * Ridge, Joliet, ISO 9660 (a UDF volume that fails its checks is reported as a warning and
 * the ISO 9660 side read, when there is one), or one of them (-ENOENT when absent). diag is
 * kept: every later call on the tree records its failure there.
 */
int eng_disctree_open(eng_disctree_read_fn read, void *userdata, uint64_t start, uint64_t end,
		      enum eng_tree_fs want, struct bfs_diag *diag,
		      struct eng_disctree **ret) BFS_WARN_UNUSED;
/*
 * The tree an append carries over and the staging mount shows (they must agree: what the
 * mount shows is what the next session holds): Rock Ridge where the session has it beside a
 * valid UDF volume, as a hybrid session's UDF side can hold less (device nodes, names that
 * are not UTF-8); else what eng_disctree_open(ENG_TREE_AUTO) picks.
 */
int eng_disctree_open_fullest(eng_disctree_read_fn read, void *userdata, uint64_t start,
			      uint64_t end, struct bfs_diag *diag,
			      struct eng_disctree **ret) BFS_WARN_UNUSED;
struct eng_disctree *eng_disctree_free(struct eng_disctree *t);
BFS_DEFINE_FREEP(struct eng_disctree, eng_disctree_free)

/* The file system whose tree is in use. */
enum eng_tree_fs eng_disctree_fs(const struct eng_disctree *t);

/*
 * The volume's name as the tree's file system records it (UDF: the logical volume
 * identifier; ISO 9660: the primary or Joliet volume identifier), in UTF-8, cut at a
 * character boundary to fit len bytes with its NUL.
 */
void eng_disctree_volume_id(const struct eng_disctree *t, char *buf, size_t len);

/* The node at path ('/'-separated, "/" the root): -ENOENT, -ENOTDIR, -EUCLEAN. */
int eng_disctree_lookup(struct eng_disctree *t, const char *path,
			struct eng_dnode *ret) BFS_WARN_UNUSED;

/* Up to len bytes of regular file d at off: the count (0 at the end) or -errno. */
int64_t eng_disctree_pread(struct eng_disctree *t, const struct eng_dnode *d, uint64_t off,
			   uint8_t *buf, size_t len) BFS_WARN_UNUSED;

/*
 * Where the data of regular file d lies, when an append can point at it again: *ret its
 * first absolute block, the data one run of whole blocks, stored as it reads (not zisofs,
 * not embedded in a UDF ICB, not sparse). -EXDEV when it cannot (its bytes must be copied
 * into the new session), -ENODATA for an empty file, another negative errno on damage.
 */
int eng_disctree_extent(struct eng_disctree *t, const struct eng_dnode *d,
			uint64_t *ret) BFS_WARN_UNUSED;

/*
 * The UDF tree's physical partition start (absolute block), when the tree is UDF's with a
 * type-1 partition and no VAT: an appended session keeps it (the IMAPI layout).
 */
bool eng_disctree_udf_partition(const struct eng_disctree *t, uint64_t *ret);

/* The UDF reader behind the tree (borrowed), NULL when the tree is not UDF's. */
struct udf_reader;
struct udf_reader *eng_disctree_udf_reader(const struct eng_disctree *t);

/*
 * A UDF tree's failures go to diag from now on (so that another thread can walk it with a
 * diagnostic of its own); -EOPNOTSUPP for an ISO 9660 tree, whose reader keeps its own.
 */
int eng_disctree_set_diag(struct eng_disctree *t, struct bfs_diag *diag);

/*
 * The nodes of directory dir as owned copies, sorted by name bytes. Names are made safe
 * to use as one path component: a '/' or NUL byte in one becomes '_', and a node named
 * "", "." or ".." is left out; each with a warning (*ret malloc'd, each
 * released with eng_dnode_done, then the array with eng_dnodes_free).
 */
int eng_disctree_list(struct eng_disctree *t, const struct eng_dnode *dir, struct eng_dnode **ret,
		      size_t *n) BFS_WARN_UNUSED;
void eng_dnodes_free(struct eng_dnode *d, size_t n);

/*
 * Every node under dir, depth first, a directory before its nodes: fn(path, node) with the
 * path from dir ("a/b"), and post (may be NULL) after a directory's nodes. fn returning
 * ENG_DWALK_SKIP for a directory leaves its nodes (and its post) out; another non-zero
 * return ends the walk and is returned. A directory met
 * twice (a loop or a shared extent) and nesting deeper than ENG_DISCTREE_DEPTH_MAX end the
 * walk with -EUCLEAN and a message.
 */
enum { ENG_DWALK_SKIP = 1 };
typedef int (*eng_dwalk_fn)(const char *path, const struct eng_dnode *d, void *userdata);
int eng_disctree_walk(struct eng_disctree *t, const struct eng_dnode *dir, eng_dwalk_fn fn,
		      eng_dwalk_fn post, void *userdata) BFS_WARN_UNUSED;

/*
 * Every directory under dir and dir itself, each listed once: fn(path, directory, its
 * nodes v[0..n) as eng_disctree_list gives them), dir first (path ""), then its
 * subdirectories in name order, each before its own (the order of ls -R). Bounded as
 * eng_disctree_walk; a non-zero return from fn ends the walk and is returned.
 */
typedef int (*eng_dlist_fn)(const char *path, const struct eng_dnode *dir,
			    const struct eng_dnode *v, size_t n, void *userdata);
int eng_disctree_walk_dirs(struct eng_disctree *t, const struct eng_dnode *dir, eng_dlist_fn fn,
			   void *userdata) BFS_WARN_UNUSED;

#endif
