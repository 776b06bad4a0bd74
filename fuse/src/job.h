/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control plane of one staging mount (ARCHITECTURE.md, staging filesystem; data flow 1
 * and 7): the commands written to .burnfs/ctl, the commit job that burns the staging
 * directory, what .burnfs/status and .burnfs/log show, and the disc's space. fs.c (the
 * FUSE filesystem) owns one stg_job per mount and calls these; job.c implements them.
 * Thread-safe: every function may be called from any FUSE worker thread.
 */
#ifndef BFS_STG_JOB_H
#define BFS_STG_JOB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/diag.h"

struct stg_job;

struct stg_job_opts {
	const char *staging_dir; /* the backing directory (absolute) */
	const char *drive;	 /* a drive address: vdrive:DIR, /dev/srN, iscsi://... */
	const char *state_dir;	 /* where the job journal lives (absolute, created if absent) */
	uid_t owner;		 /* the mounting user: the only uid whose ctl commands count */
	unsigned session;	 /* the disc's session the mount shows: 0 the last (read-write) */
	/*
	 * Called (from the job's thread) after the job changed the staging directory behind
	 * the filesystem's back: staged files removed after a successful commit, or discard.
	 * The filesystem drops what it caches of the tree (fuse_lowlevel_notify_inval_*).
	 */
	void (*changed)(void *userdata);
	void *userdata;
};

/*
 * Open the control plane: read the journal of an earlier daemon (a commit that was
 * interrupted by a crash is reported in status as such, with the disc's state now) and
 * probe the drive for its capacity. Fails with a message naming the drive when it cannot
 * be opened.
 */
int stg_job_new(const struct stg_job_opts *opts, struct bfs_diag *diag, struct stg_job **ret);

/*
 * The mount is gone (unmounted: fusermount3 -u, umount, umount -l once unused) while the
 * daemon still runs. A commit under way is not cut short by it: this waits for the commit
 * to end, with the unmount noted in its log, result and journal (so that the next mount's
 * status tells the story), and returns then. A signal meanwhile (*stop becomes non-zero)
 * cancels the commit. Returns at once when no commit runs.
 */
void stg_job_unmounted(struct stg_job *j, const atomic_int *stop);

/* Cancel a running commit, wait for its thread, free. NULL-safe; returns NULL. */
struct stg_job *stg_job_free(struct stg_job *j);

/*
 * One line written to .burnfs/ctl by uid: `commit [verify=none|quick|full] [close]
 * [speed=X] [simulate] [boot-bios=PATH] [boot-efi=PATH] [boot-catalog=PATH] [hybrid]
 * [hybrid-mbr=FILE] [boot-replay=ISO]`, `cancel`, `discard`, `refresh`. Words are separated
 * by blanks; a backslash takes the next character as it is (`boot-bios=/my\ dir/x.bin`).
 * The boot options are burnfs image's: PATH a path of the mount's tree from its root (/...),
 * FILE and ISO absolute paths of the host that the daemon reads; only onto a blank disc. 0
 * when accepted (a commit then runs in the job's thread), else -errno with a message:
 * -EPERM for a uid other than the owner, -EINVAL for a bad line (boot options onto a disc
 * holding a session too), -ENOENT or -EACCES for a host file, -EBUSY for a commit while one
 * runs.
 */
int stg_job_ctl(struct stg_job *j, const char *line, uid_t uid, struct bfs_diag *diag);

/* One line for .burnfs/log (and the debug log), about something the filesystem refused. */
void stg_job_note(struct stg_job *j, const char *fmt, ...) BFS_PRINTF(2, 3);

/* Whether a commit runs: the filesystem answers EROFS to every modification meanwhile. */
bool stg_job_frozen(struct stg_job *j);

/*
 * Whether the disc in the drive (as last probed: at mount, refresh, after a commit) can take
 * no more sessions: a write-once disc that is closed (finalized), holds an unfinished session,
 * or has no free block. Nothing staged now could ever be committed to it, so the filesystem
 * refuses changes (EROFS) until another disc is loaded and `refresh` written. With why, the
 * reason and what to do (cap bytes, NUL-terminated).
 */
bool stg_job_closed(struct stg_job *j, char *why, size_t cap);

/*
 * The text of .burnfs/status (one JSON object and a newline: state, phase, percent,
 * bytes, MB/s, ETA, buffer fill, projected usage, last result with its remedy, disc
 * state) and of .burnfs/log (the job's messages, one a line). malloc'd, NUL-terminated.
 */
char *stg_job_status(struct stg_job *j);
char *stg_job_log(struct stg_job *j);
/*
 * The text of .burnfs/changes: what the next commit changes of the disc's tree, one line
 * each ("add /PATH", "replace /PATH", "remove /PATH", "move /FROM -> /TO", "link /FROM ->
 * /TO", "attr /PATH"), at most 10,000 lines and a count of the rest. malloc'd.
 */
char *stg_job_changes(struct stg_job *j);

/*
 * The disc as the staging filesystem reports it in statfs: total blocks of 2048 bytes on
 * the disc, and blocks free for the next session (the disc's free blocks, less nothing:
 * the filesystem subtracts its own projection of the staged session).
 */
void stg_job_disc_space(struct stg_job *j, uint64_t *total_blocks, uint64_t *free_blocks);

/*
 * The filesystem's projection of the staged session, kept up to date by fs.c as files
 * change, so that status shows it (blocks of 2048 bytes, file-system overhead included).
 */
void stg_job_set_projected(struct stg_job *j, uint64_t blocks);

/*
 * The disc under the mount (lower.h), owned by the job, which loads it at start, after a
 * commit wrote to the disc and at refresh, and keeps it off the drive while it uses it.
 */
struct stg_lower *stg_job_lower(struct stg_job *j);

#endif
