/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the staging mount changed of the disc's tree (ARCHITECTURE.md, multisession, "in the
 * mount"): the disc's last session is the read-only lower layer, staged files sit on top in
 * the staging directory, and these edits say what became of the disc's own nodes. They are
 * kept by disc path (the node's path in the last session, "a/b", no leading '/'; "" the
 * root), so a commit can apply them to the tree it reads back (eng_append_merge) and the
 * mount can show them (eng_edits_origin, eng_edits_foreach_in):
 *
 *	DELETE L      the name L of the disc's node is gone (a whiteout). A directory's nodes go
 *	              with it, except those that carry a MOVE or LINK of their own.
 *	MOVE L -> P   the node L shows at merged path P instead (rename without copying data:
 *	              the new session points at the old extents); a directory's nodes follow it.
 *	LINK L -> P   one more name P for the disc's regular file L (a hard link).
 *	ATTR L        mode, owner, group or times of L changed (metadata only).
 *
 * Resolution, the one rule both the mount and the commit use: the disc node shown at merged
 * path P (its origin) is the L of a MOVE or LINK whose target is P; else, when P's parent
 * has origin Lp, the node Lp/name, unless that one carries a DELETE or a MOVE (it shows
 * elsewhere or nowhere); the root's origin is the disc's root. Whether that disc path
 * exists is the disc tree's to say: edits never read the disc.
 *
 * Staged files shadow what the edits leave at the same path (directories merge), as the
 * append merge does for new sources (engine/append.h).
 *
 * Persistence: a log in a directory the caller gives (the staging directory's hidden
 * .burnfs/), one line per change, appended with write(2) (a kill -9 loses nothing the call
 * returned for; eng_edits_sync() makes it durable across power loss), a torn last line
 * ignored on load (and cut off the file), rewritten compactly (temporary file, fsync,
 * rename, fsync of the directory) when it holds more than 4 lines per live record and at
 * least 64 lines. The log's first line names the disc the edits were made against
 * (eng_disc_identity), so that another disc can be refused. The format is in
 * engine/src/edits-log.c. A change the log could not take (write(2) failed: the disc is
 * full) is in memory only: the call fails, and every later change fails with -EIO until
 * eng_edits_reset() or the log is opened again (which shows what the log holds).
 *
 * Paths are raw bytes: "a/b" without a leading or trailing '/', no empty, "." or ".."
 * component; a change given another spelling fails with -EINVAL. Changes that do not fit
 * the edits (a LINK or rename onto a merged path that already shows a disc node through a
 * MOVE or LINK: the caller deletes it first) fail with -EEXIST and change nothing.
 *
 * Not thread-safe: the caller locks, for queries too. eng_edits_origin(), eng_edits_in_place(),
 * eng_edits_attr(), eng_edits_foreach() and eng_edits_disc_id() only read (several threads may
 * run them at once under a shared lock); eng_edits_foreach_in() may rebuild an index after a
 * change (sorted targets) and needs the lock the changes take.
 *
 * Costs, for n records: origin O(depth) hash lookups; a change O(depth); a rename of a
 * directory that holds k targets also O(k), and foreach_in of one that holds some O(log n +
 * its targets), each plus O(n log n) once to rebuild the sorted index after changes; load
 * O(lines).
 */
#ifndef BFS_ENGINE_EDITS_H
#define BFS_ENGINE_EDITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"
#include "common/tree.h"

struct eng_edits;

/* Which attributes an ATTR edit sets. */
enum {
	ENG_ATTR_MODE = 1u << 0,
	ENG_ATTR_UID = 1u << 1,
	ENG_ATTR_GID = 1u << 2,
	ENG_ATTR_MTIME = 1u << 3,
	ENG_ATTR_ATIME = 1u << 4,
};

struct eng_attr {
	unsigned mask; /* ENG_ATTR_* */
	uint32_t mode; /* 07777 bits */
	uint32_t uid, gid;
	struct bfs_time mtime, atime;
};

/* The longest disc identity, with its NUL. */
#define ENG_DISC_ID_MAX 96u

/*
 * Open (or create, empty) the edits kept in directory dirfd under name (e.g. "edits"); dirfd
 * (duplicated: the caller keeps its own) must be opened for reading (O_RDONLY|O_DIRECTORY, not
 * O_PATH: the directory is fsync'ed after a compaction); name.tmp there is the compaction's.
 * disc_id: the identity of the disc in the drive now ("" when unknown: blank or unreadable).
 * An existing log made against another non-empty identity that still holds edits is
 * -EXDEV with a message naming both discs (the caller refuses the mount's changes until the
 * user discards or that disc comes back); *ret is then still set, with its edits readable,
 * so that status can list them, and every change fails with -EXDEV until eng_edits_reset().
 * disc_id "" (blank, unreadable) against a log that holds edits of a named disc is such a
 * refusal too. A log without edits, or made against "", takes disc_id. A log that cannot be parsed (not a torn last line) is
 * -EUCLEAN with the line number; an I/O failure the errno. An empty log takes disc_id.
 */
int eng_edits_open(int dirfd, const char *name, const char *disc_id, struct bfs_diag *diag,
		   struct eng_edits **ret) BFS_WARN_UNUSED;
/* Close the log (without syncing) and free. NULL-safe; returns NULL. */
struct eng_edits *eng_edits_free(struct eng_edits *e);
BFS_DEFINE_FREEP(struct eng_edits, eng_edits_free)

/* An empty set in memory only (tests, and a commit's copy): changes are not logged. */
int eng_edits_new(struct eng_edits **ret) BFS_WARN_UNUSED;
/*
 * A copy of e's edits in memory only (eng_edits_new), with e's disc identity: what a commit
 * applies while the mount goes on changing e. 0 or -ENOMEM.
 */
int eng_edits_dup(const struct eng_edits *e, struct eng_edits **ret) BFS_WARN_UNUSED;

/* The identity the edits were made against ("" none yet). */
const char *eng_edits_disc_id(const struct eng_edits *e);
/* Whether any edit is recorded. */
bool eng_edits_empty(const struct eng_edits *e);
/* fsync the log (before a commit reads it, at unmount). */
int eng_edits_sync(struct eng_edits *e, struct bfs_diag *diag) BFS_WARN_UNUSED;
/*
 * Forget every edit and start a new log against disc_id (discard; after a commit wrote them
 * into a session).
 */
int eng_edits_reset(struct eng_edits *e, const char *disc_id,
		    struct bfs_diag *diag) BFS_WARN_UNUSED;

/* ---- changes, in merged paths ("a/b", no leading '/') ----------------------------------- */

/*
 * The node at merged path `path`, whose origin is disc node `disc` (eng_edits_origin), is
 * unlinked or removed: its name goes (a MOVE or LINK that put it there is dropped; a MOVE
 * dropped turns into a DELETE of disc, so that it does not come back at its old place).
 */
int eng_edits_delete(struct eng_edits *e, const char *disc, const char *path,
		     struct bfs_diag *diag) BFS_WARN_UNUSED;
/*
 * Merged path from became to (rename(2); the caller has already deleted what `to` held).
 * disc: from's origin, or NULL when from has none (a staged node: only edits of nodes
 * under from move, e.g. disc nodes moved into a staged directory). Targets under from/
 * move under to/; a node renamed back to its own disc path loses its MOVE.
 */
int eng_edits_rename(struct eng_edits *e, const char *from, const char *to, const char *disc,
		     struct bfs_diag *diag) BFS_WARN_UNUSED;
/* A new name `path` for the disc's regular file disc (link(2)). */
int eng_edits_link(struct eng_edits *e, const char *disc, const char *path,
		   struct bfs_diag *diag) BFS_WARN_UNUSED;
/* Attributes of disc node disc changed: the fields in a->mask replace earlier ones. */
int eng_edits_set_attr(struct eng_edits *e, const char *disc, const struct eng_attr *a,
		       struct bfs_diag *diag) BFS_WARN_UNUSED;

/* ---- queries ------------------------------------------------------------------------ */

/*
 * The disc path shown at merged path `path` (the rule at the top), in a malloc'd *disc,
 * or *disc NULL when none. 0 or -ENOMEM.
 */
int eng_edits_origin(const struct eng_edits *e, const char *path, char **disc) BFS_WARN_UNUSED;
/* Whether disc node disc keeps its own name (no DELETE, no MOVE of its own). */
bool eng_edits_in_place(const struct eng_edits *e, const char *disc);
/* The attributes set on disc, or NULL. */
const struct eng_attr *eng_edits_attr(const struct eng_edits *e, const char *disc);
/*
 * The disc nodes a MOVE or LINK put directly in merged directory dir ("" the root):
 * fn(name in dir, disc path) for each, in name order; a non-zero return ends it and is
 * returned.
 */
typedef int (*eng_edits_in_fn)(const char *name, const char *disc, void *userdata);
int eng_edits_foreach_in(const struct eng_edits *e, const char *dir, eng_edits_in_fn fn,
			 void *userdata);

/*
 * Every record, for `burnfs status` and the commit's summary: fn(kind, disc, target or
 * NULL, attr or NULL), kind one of "delete", "move", "link", "attr"; in disc path order.
 */
typedef int (*eng_edits_each_fn)(const char *kind, const char *disc, const char *target,
				 const struct eng_attr *attr, void *userdata);
int eng_edits_foreach(const struct eng_edits *e, eng_edits_each_fn fn, void *userdata);

/* ---- the disc ----------------------------------------------------------------------- */

struct eng_medium;
/*
 * A name for the disc's content as it is now, to tie edits to it: the last session's start
 * and length and a SHA-256 of its volume descriptors (blocks start+16..start+31), e.g.
 * "s3@30912+22912:9f2c...". "" for a medium without a closed session (its only session
 * open, nothing readable in it yet); a blank disc has no medium to ask (eng_medium_of_drive
 * says -ENODATA): its identity is "" too, the caller's to pass. Another session appended
 * changes it. Errors: the session list or the descriptors cannot be read (the message says
 * which block).
 */
int eng_disc_identity(struct eng_medium *m, char id[static ENG_DISC_ID_MAX],
		      struct bfs_diag *diag) BFS_WARN_UNUSED;

#endif
