/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tree model every file-system writer consumes.
 *
 * The engine builds it (from source directories, later from a staging folder or an imported
 * session) and owns it; the iso9660 and udf writers only read it, plus the per-writer
 * scratch slot they are given. It lives in common/ so that iso9660/ and udf/ can read it
 * without depending on engine/ (ARCHITECTURE.md dependency direction).
 *
 * Names are raw bytes as the source had them (usually UTF-8, possibly not); each writer maps
 * them to its own character set. Children are kept sorted by bfs_node_name_cmp() so that the
 * order, and so every address the plan assigns, is deterministic.
 *
 * Not thread-safe.
 */
#ifndef BFS_COMMON_TREE_H
#define BFS_COMMON_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

enum bfs_node_type {
	BFS_NODE_DIR,
	BFS_NODE_FILE,
	BFS_NODE_SYMLINK,
	BFS_NODE_CHR,
	BFS_NODE_BLK,
	BFS_NODE_FIFO,
	BFS_NODE_SOCK,
};

enum bfs_node_flags {
	BFS_NODE_HIDDEN = 1u << 0, /* set the hidden/existence flag in ISO, Joliet and UDF */
	BFS_NODE_SPARSE = 1u << 1, /* a regular file with fewer blocks allocated than its size
				      at the scan: its holes are looked for when it is read */
	BFS_NODE_PRIOR = 1u << 2,  /* a regular file whose data an earlier session of the medium
				      holds at data_lba (one contiguous extent): the plan keeps
				      the address and the stream writes nothing for it */
};

/*
 * One piece of a regular file stored in several extents (struct bfs_node.sections), in file
 * order. Every section but the last holds whole blocks; the last holds the rest of the size.
 * A section an earlier session holds names its absolute first block; a new one (is_new) lies
 * in the node's one contiguous new region at data_lba, lba blocks from its start: the plan
 * places that region and the stream writes it, and nothing else of the node.
 */
struct bfs_section {
	uint64_t lba;	 /* absolute; is_new: blocks from the node's data_lba */
	uint64_t blocks; /* > 0 */
	bool is_new;
};

/* Sections of one node at most: each is a directory record (ISO 9660) and an AD (UDF). */
#define BFS_SECTIONS_MAX 64u

/* Per-writer scratch slots in struct bfs_node. */
enum bfs_fs_slot {
	BFS_SLOT_UDF,
	BFS_SLOT_COUNT,
};

/*
 * A point in time: seconds since the epoch (may be negative) and nanoseconds. Packed to 12
 * bytes: a tree holds four per node.
 */
struct bfs_time {
	int64_t sec;
	uint32_t nsec;
} __attribute__((packed, aligned(4)));

/* Fields are grouped by size so that a node carries no padding: trees hold millions. */
struct bfs_node {
	struct bfs_node *parent; /* NULL for the root */
	struct bfs_node **children;

	char *name;   /* one component, raw bytes, NUL-terminated, allocated with the node; "" for
		      the root */
	char *target; /* symlink target, raw bytes, NUL-terminated */
	/*
	 * Where the node came from. Directories read from disk keep their path. A regular
	 * file keeps NULL when its path is its parent's src_path joined with its name (see
	 * bfs_node_src_path()), which is the common case and saves memory; otherwise its
	 * full path (a file given on the command line, or merged from a second source).
	 */
	char *src_path;
	/*
	 * Hard links: every node of a link group but the first (in tree order) points at the
	 * first, its primary. Only the primary carries data_lba; nlink counts the group's
	 * members inside this tree. Directories: 2 + number of subdirectories.
	 */
	struct bfs_node *link_primary;
	void *fs_priv[BFS_SLOT_COUNT]; /* per-writer scratch; the writer that sets it frees it */
	/*
	 * A regular file (link primary) stored in several extents: its sections in file
	 * order (bfs_node_set_sections), NULL for one contiguous extent at data_lba.
	 */
	struct bfs_section *sections;

	uint64_t size;	  /* regular file: bytes; symlink: strlen(target); otherwise 0 */
	uint64_t src_dev; /* identity of the source, for hard links and change checks */
	uint64_t src_ino;
	uint64_t ino; /* stable serial number, unique per tree, 1 for the root */
	/*
	 * Set by the plan: absolute LBA of the file's data (regular files with size > 0); set
	 * by the importer instead for BFS_NODE_PRIOR files.
	 */
	uint64_t data_lba;

	struct bfs_time mtime;
	struct bfs_time atime;
	struct bfs_time ctime;
	struct bfs_time src_mtime; /* the source's mtime at snapshot, before any clamping */

	enum bfs_node_type type;
	uint32_t mode; /* permission bits with setuid/setgid/sticky (07777), no type bits */
	uint32_t uid;
	uint32_t gid;
	uint32_t rdev_major; /* BFS_NODE_CHR / BFS_NODE_BLK */
	uint32_t rdev_minor;
	uint32_t nlink;
	uint32_t flags; /* enum bfs_node_flags */
	uint32_t name_len;
	uint32_t nchildren;
	uint32_t children_cap;
	uint32_t nsections;
};

/* Iterate over the children of a directory in their sorted order. */
#define bfs_node_foreach_child(child, dir, i) \
	for ((i) = 0; (i) < (dir)->nchildren && ((child) = (dir)->children[(i)], 1); (i)++)

/*
 * Allocate a node with a copy of name[0..name_len). Owned by the caller until added to a
 * parent, then by the parent. Returns NULL on out of memory.
 */
struct bfs_node *bfs_node_new(const char *name, size_t name_len, enum bfs_node_type type);

/* Free a node, its names, paths and every descendant. NULL-safe; returns NULL. */
struct bfs_node *bfs_node_free(struct bfs_node *n);
BFS_DEFINE_FREEP(struct bfs_node, bfs_node_free)

/* Byte-wise order of names (memcmp, shorter first on a common prefix). */
int bfs_node_name_cmp(const struct bfs_node *a, const struct bfs_node *b);

/*
 * Add child to dir, keeping children sorted. Takes ownership of child on success.
 * -EEXIST when dir already has a child of that name, -ENOMEM.
 */
int bfs_node_add_child(struct bfs_node *dir, struct bfs_node *child) BFS_WARN_UNUSED;

/* Look up a child by name; borrowed pointer, valid while the tree is not changed. */
struct bfs_node *bfs_node_find_child(const struct bfs_node *dir, const char *name, size_t name_len);

/* Remove child from its parent and return it (the caller owns it then). */
struct bfs_node *bfs_node_detach(struct bfs_node *child);

/* The node whose data this node shares: its link primary, or itself. */
static inline const struct bfs_node *bfs_node_data_node(const struct bfs_node *n)
{
	return n->link_primary ? n->link_primary : n;
}

/*
 * The source path of n into buf (cap bytes, NUL-terminated): n->src_path, or the parent's
 * joined with n's name by one '/'. Returns the length, -ENOENT when n has no source, or
 * -ENAMETOOLONG when buf is too small.
 */
int bfs_node_src_path(const struct bfs_node *n, char *buf, size_t cap) BFS_WARN_UNUSED;

/*
 * Store n's data as sections v[0..count) (copied; replaces any earlier ones): n must be a
 * regular file with a size; every section holds blocks, together exactly the blocks of its
 * size, and the new ones tile the new region in order (their lba 0, then each the end of
 * the one before). count 0 drops the sections. -EINVAL when they do not, -E2BIG above
 * BFS_SECTIONS_MAX, -ENOMEM.
 */
int bfs_node_set_sections(struct bfs_node *n, const struct bfs_section *v,
			  size_t count) BFS_WARN_UNUSED;

/*
 * Bytes of n's data the session writes: its size, or with sections the bytes of its new
 * ones (a new last section counted to the end of the size).
 */
uint64_t bfs_node_new_bytes(const struct bfs_node *n);

/*
 * Section i of n (i < nsections): its absolute first block (a new one placed at data_lba)
 * and its length in bytes.
 */
void bfs_node_section(const struct bfs_node *n, size_t i, uint64_t *lba, uint64_t *bytes);

/* Depth below the root: root 0, its children 1, ... */
unsigned bfs_node_depth(const struct bfs_node *n);

/*
 * The path of n from the root, "/a/b" ("/" for the root), raw bytes. Returns a malloc'd
 * string the caller frees, NULL on out of memory.
 */
char *bfs_node_path(const struct bfs_node *n);

/*
 * Visit every node in pre-order (a directory before its children, children in sorted
 * order), without recursion. A non-zero return from fn stops the walk and is returned.
 */
typedef int (*bfs_node_visit_fn)(struct bfs_node *n, void *userdata);
int bfs_node_walk(struct bfs_node *root, bfs_node_visit_fn fn, void *userdata);

/*
 * Finish a tree after it has been built: recompute nlink for directories and hard-link
 * groups, assign link_primary by tree order (among nodes with the same non-zero
 * src_dev/src_ino that are regular files), and number inodes 1..N in pre-order.
 * Returns 0 or -ENOMEM.
 */
int bfs_tree_finalize(struct bfs_node *root) BFS_WARN_UNUSED;

/* Counts over a tree. */
struct bfs_tree_stats {
	uint64_t dirs;	/* including the root */
	uint64_t files; /* regular files, hard links counted once per name */
	uint64_t symlinks;
	uint64_t specials;   /* device, fifo and socket nodes */
	uint64_t data_bytes; /* sum of sizes of link primaries */
	unsigned max_depth;
};
void bfs_tree_stats(struct bfs_node *root, struct bfs_tree_stats *ret);

#endif
