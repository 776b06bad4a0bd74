/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Appending a session that carries the disc's whole tree (ARCHITECTURE.md, multisession):
 * the last session's tree is read back (Rock Ridge when present, as the UDF side of a hybrid
 * session can hold less; else UDF, Joliet, ISO 9660) and grafted under the new sources'
 * tree, so that the new session lists every file of the disc and every reader, which looks
 * only at the last session, sees them all.
 *
 *	eng_append_merge()   the disc's tree under the new one; what was kept, copied, replaced
 *	eng_append_apply()   the image options the merged tree needs (manifest hashes of the
 *	                     files already on the disc, the UDF partition start)
 *
 * What merging means, as growisofs -M and xorriso do it: directories merge; a new file at a
 * path the disc has replaces the disc's node there, with a warning; everything else of the
 * disc stays. The disc's /.burnfs (the old manifest) is left out: the new session gets its
 * own, covering the whole tree.
 *
 * Unchanged files keep their data where it is (BFS_NODE_PRIOR at the old address), so a
 * session costs its new data plus metadata. A file whose data cannot be pointed at again (a
 * zisofs-compressed file, UDF data embedded in its ICB or in several runs) is read from the
 * disc into a temporary directory and written into the new session like a new file. The
 * manifest needs the SHA-256 of every kept file: taken from the old session's manifest when
 * it has a line for the path and the manifest is the session's own (its data in the session:
 * another program's session carries an earlier one, whose lines may not match its files),
 * else hashed from the disc here.
 */
#ifndef BFS_ENGINE_APPEND_H
#define BFS_ENGINE_APPEND_H

#include <stdbool.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"
#include "common/tree.h"
#include "engine/disctree.h"
#include "engine/image.h"
#include "engine/sessions.h"

struct eng_append_info {
	unsigned session;	  /* the session whose tree was merged */
	enum eng_tree_fs tree;	  /* the file system it was read through */
	uint64_t kept;		  /* regular files (names) whose data stays where it is */
	uint64_t copied;	  /* ... whose data is copied into the new session */
	uint64_t hashed;	  /* kept files hashed from the disc (no manifest line) */
	uint64_t replaced;	  /* disc nodes replaced by a new source at the same path */
	uint64_t nodes;		  /* nodes of the disc's tree carried over (root left out) */
	uint64_t deleted;	  /* the staging mount's edits applied: DELETEs, */
	uint64_t moved;		  /* ... MOVEs (nodes renamed without copying data), */
	uint64_t linked;	  /* ... LINKs (new names of a disc's file), */
	uint64_t attr_changed;	  /* ... ATTRs */
	uint64_t partition_start; /* the UDF partition's first block (absolute) */
	char volume_id[128];	  /* the session's volume name, kept by the new session */
};

struct eng_append;
struct eng_edits;

/*
 * Graft the tree of session s (the medium's last closed session; first: the medium's first
 * session, whose start is the lowest address a UDF partition may need) read through
 * read/userdata, under root (the new sources' finalized tree, borrowed: nodes of the disc
 * are added to it, then it is finalized again). Replacements are warnings in diag. Errors: a
 * session whose tree cannot be read (the message says so and that --new-tree writes a session
 * without the disc's files), a read failure, -ENOMEM.
 *
 * edits (engine/edits.h; NULL: none): what the staging mount changed of the disc's tree,
 * applied to the tree read back before the new sources are grafted on it: attributes set,
 * deleted nodes left out, moved and linked nodes put at their targets after the graft (a
 * staged node at a target shadows the disc's, directories merge), their data where it is.
 * A record whose disc path the session lacks (the disc changed), a target whose directory is
 * not in the merged tree, or one where the disc's tree has a node already: an error that
 * names them (the edits' own, without the --new-tree remedy); nothing is to be written then.
 * Disc paths are those of the tree merged (Rock Ridge where the session has it, else UDF,
 * Joliet, ISO 9660), byte for byte. An ATTR of a file is every name's (its LINKs, the other
 * names the disc gives it); an ATTR of a directory that merges with a staged one wins over
 * the staged one's attributes. A moved file keeps its UDF entry (it holds no name); one
 * whose attributes or link count changed gets a new one.
 */
int eng_append_merge(eng_disctree_read_fn read, void *userdata, const struct eng_session *s,
		     const struct eng_session *first, const struct eng_edits *edits,
		     struct bfs_node *root, struct bfs_diag *diag,
		     struct eng_append **ret) BFS_WARN_UNUSED;

/* Free the merge's state and remove its temporary copies. NULL-safe. */
struct eng_append *eng_append_free(struct eng_append *a);
BFS_DEFINE_FREEP(struct eng_append, eng_append_free)

void eng_append_info(const struct eng_append *a, struct eng_append_info *ret);

/*
 * Set io's prior_sha, udf_partition_start and udf_prior (valid while a lives): the new UDF
 * volume keeps the file entries of unchanged files where the revision allows (udf/writer.h).
 * On UDF 2.50 that makes the new metadata file begin with the earlier one's runs, and on
 * write-once media keep the unchanged directories and remap the changed ones (a changed
 * directory's entry keeps its block number, mapped to its new place). libudfread (VLC,
 * libbluray) takes metadata block k to be the first run's block + k. A write-once disc
 * shows libudfread its first session only (it reads the anchor at 256 and knows no
 * sessions), so this costs it nothing there; where the head of the disc is rewritten to
 * point at the new session (overwritable media, image files), pass one_run_metadata: the
 * metadata file is then linear (the gaps neither recorded nor allocated) and nothing is
 * remapped, so libudfread reads every entry where it is.
 */
void eng_append_apply(struct eng_append *a, bool one_run_metadata, struct eng_image_opts *io);

/* The src_dev of nodes read from a disc (their src_ino is the disc's inode number). */
#define ENG_APPEND_DEV UINT64_C(0xB0F5D15C00000000)

#endif
