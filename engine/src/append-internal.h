/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The inside of an append (engine/append.h), shared by its files: append.c reads the disc's
 * tree and grafts it (the merge), append-copy.c copies the files that cannot be pointed at
 * again out of the disc, append-udf.c finds what the new UDF volume keeps of the last one.
 */
#ifndef BFS_ENGINE_APPEND_INTERNAL_H
#define BFS_ENGINE_APPEND_INTERNAL_H

#include <xxhash.h>
#include <stdbool.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "engine/append.h"
#include "iso9660/reader.h"
#include "udf/writer.h"

#define MANIFEST_PATH "/.burnfs/SHA256SUMS"
#define MANIFEST_MAX  (256u << 20) /* bytes of an old manifest read */
#define COPY_BUF      (1u << 20)
#define TMP_PREFIX    "burnfs-append."	      /* the copies' directories in $TMPDIR */
#define TMP_NEW	      "burnfs-append-new."    /* ... before they are locked */
#define TMP_MARK      ".burnfs-append-copies" /* in each: what tells ours from another's */

/* The SHA-256 of one kept file, by node (sorted by node address once the tree is built). */
struct kept_sha {
	const struct bfs_node *node;
	uint8_t sha[32];
	bool live;     /* still in the tree after grafting */
	bool has_icb;  /* read from a UDF tree: its entry, which the new volume may keep */
	bool unhashed; /* no manifest line: to be hashed from the disc */
	bool fresh;    /* its attributes changed (an ATTR edit): its UDF entry is not kept */
	bool dead;     /* deleted by an edit: dropped before the graft */
	char *disc;    /* unhashed: its path on the disc (an edit may have moved the node) */
	uint16_t icb_part;
	struct udf_prior_icb icb;
};

/*
 * A directory of the disc's tree with its UDF entry (sorted by node address once the tree
 * is built): the new volume keeps its block number (udf/writer.h struct udf_prior_dir).
 */
struct kept_dir {
	const struct bfs_node *node;
	struct udf_prior_dir pd;
	uint32_t mode, uid, gid; /* the UDF entry's */
	int64_t mtime;		 /* ... seconds */
	XXH128_hash_t fids_hash; /* of its FIDs (XXH3, 128 bits: a check, not a seal) */
	bool live;
};

/* One line of the old manifest (sorted by path). */
struct old_line {
	char *path;
	uint8_t sha[32];
};

/* A file copied out of the disc, by its inode number on the disc (hard links share it). */
struct copied {
	uint64_t ino;
	char *path;
};

struct edit_item;
struct eng_edits;
/* A block of the last session's manifest, by the hash of its bytes. */
struct old_block {
	uint64_t hash;
	uint64_t block; /* its index in the manifest */
};

/* The last session's own manifest, whose chunks the new one may point at. */
struct old_manifest {
	uint8_t *data; /* its bytes, NULL when none is kept */
	uint64_t size;
	struct iso9660_extent *ext; /* where they lie, in file order */
	size_t next;
	struct old_block *idx; /* one per block, sorted by hash */
	size_t nidx;
	uint64_t end; /* the merged session's end: runs lie below it */
};

struct eng_append {
	struct eng_append_info info;
	struct udf_prior prior; /* the last session's UDF volume, when the tree was UDF's */
	bool has_prior;
	struct kept_sha *sha;
	size_t nsha, sha_cap;
	struct kept_dir *dirs;
	size_t ndirs, dirs_cap;
	char *tmpdir; /* the copies' directory, NULL until the first copy */
	int tmplock;  /* tmpdir opened, flock()ed while the copies are in use */
	struct copied *copies;
	size_t ncopies, copies_cap;
	struct old_manifest om;
};

/* The state of one merge: the disc's tree being read and the nodes being built. */
struct merge {
	struct eng_append *a;
	const struct eng_session *s; /* the session merged */
	struct eng_disctree *t;
	struct bfs_diag *diag;
	struct old_line *lines;
	size_t nlines, lines_cap;
	struct bfs_node *stack[ENG_DISCTREE_DEPTH_MAX + 2]; /* directories being filled */
	unsigned depth;
	uint8_t *buf; /* COPY_BUF bytes */
	EVP_MD_CTX *md;
	uint64_t udf_part; /* the session's UDF partition start, when has_udf_part */
	bool has_udf_part;
	/*
	 * The session's UDF tree when t is its Rock Ridge one: where the kept files' UDF
	 * entries are, for the new volume to point at (udf_entries_match)
	 */
	struct eng_disctree *ut;
	struct udf_collect *uc; /* what ut holds, being gathered (append_udf_collect) */
	/* the staging mount's edits (NULL: none), their records (append-edits.c) */
	const struct eng_edits *edits;
	struct edit_item *items;
	size_t nitems, items_cap;
	struct bfs_node **staged; /* the staged tree's nodes, sorted by address */
	size_t nstaged, staged_cap;
	uint64_t linked_ino; /* the last src_ino given to a file linked by an edit */
	bool edits_failed;   /* the edits do not fit the tree: their message says so */
};

/* Order of struct kept_sha by node address (bsearch of a kept file's entry). */
int append_sha_cmp(const void *pa, const void *pb);

/* append.c: the disc's nodes under old into new, where new has no node of the name */
int append_graft(struct eng_append *a, struct bfs_node *new, struct bfs_node *old,
		 struct bfs_diag *diag);

/* append-edits.c: the edits applied to the disc's tree oroot before the graft */
int append_edits_before(struct merge *m, struct bfs_node *oroot);
/* ... the staged tree's nodes noted, before the graft */
int append_edits_staged(struct merge *m, struct bfs_node *root);
/* ... the MOVE and LINK nodes at their targets in the merged tree, after the graft */
int append_edits_after(struct merge *m, struct bfs_node *root);
/* ... what they hold freed */
void append_edits_done(struct merge *m);

/* append-copy.c: d's bytes read from the disc into a temporary file, n's source from now on. */
int append_copy(struct merge *m, struct bfs_node *n, const struct eng_dnode *d, const char *path);
/* ... the copies a killed merge left in $TMPDIR removed (those no merge holds) */
void append_sweep_stale(void);
/* ... a's copies and their directory removed */
void append_copies_drop(struct eng_append *a);

/*
 * append-manifest.c: the old manifest d (*data, its bytes, taken) kept as a store of chunks
 * when its extents are known (an ISO 9660 tree's entry)
 */
int append_manifest_keep(struct merge *m, const struct eng_dnode *d, uint8_t **data);
/* ... eng_image_opts.manifest_chunk over it (userdata: the struct eng_append) */
int append_manifest_chunk(const uint8_t *bytes, size_t len, void *userdata, uint64_t *ret_lba);
/* ... freed */
void append_manifest_drop(struct old_manifest *om);

/* append-udf.c: the kept UDF entry of node n (udf_prior.icb) */
int append_prior_icb(const struct bfs_node *n, void *userdata, struct udf_prior_icb *ret);
/* ... the last session's UDF volume: revision, partition start, metadata runs */
void append_prior_volume(struct merge *m);
/*
 * ... what the UDF tree ut holds, gathered in a thread of its own when thread (the disc can
 * be read from two threads at once) while the merge reads the Rock Ridge tree
 */
int append_udf_collect(struct merge *m, bool thread);
/* ... then each kept file's and directory's UDF entry, matched by path */
int append_udf_entries_match(struct merge *m);
/* ... or, the merge failing, the thread joined and what it gathered dropped */
void append_udf_collect_drop(struct merge *m);
/* ... directory old merged into new: new keeps old's entry */
void append_dir_moved(struct eng_append *a, const struct bfs_node *old, const struct bfs_node *new);
/* ... the directories' entries of those still in the tree under root, sorted */
void append_dirs_prune(struct eng_append *a, struct bfs_node *root);
/* ... the new UDF partition's start */
void append_partition_pick(struct merge *m, const struct eng_session *first);

#endif
