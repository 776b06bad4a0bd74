/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The staging filesystem (ARCHITECTURE.md, staging filesystem): a libfuse3 low-level,
 * inode-based passthrough to a backing directory, with the hidden control directory
 * .burnfs/ at its root (ctl, status, log: see job.h), statfs that reports the disc, the
 * ENOSPC rule against the projected session and the freeze during a commit.
 */
#ifndef BFS_STG_FS_H
#define BFS_STG_FS_H

#include <stdbool.h>

#include "common/diag.h"

struct stg_fs_opts {
	const char *mountpoint;	 /* an existing directory */
	const char *staging_dir; /* the backing directory (absolute, exists) */
	const char *drive;	 /* drive address for the control plane */
	const char *state_dir;	 /* the job journal's directory (absolute) */
	unsigned session;	 /* 0: the disc's last session under the staged files; N: session
				    N alone, read-only (burnfs mount --session N) */
	bool foreground;	 /* stay attached to the terminal */
	bool allow_other;	 /* let other users in (the ctl file still obeys only the owner) */
	bool debug;		 /* libfuse's request trace on stderr (implies foreground) */
	/*
	 * Called in the serving process once the mount is up, before it detaches (for the
	 * caller to record where the daemon is); may be NULL.
	 */
	void (*ready)(const char *mountpoint, void *userdata);
	void *userdata;
};

/*
 * Mount and serve until unmounted or signalled (SIGINT, SIGTERM, SIGHUP). Without
 * opts->foreground the serving process is a child that detaches once the mount is up: the
 * call returns 0 in the caller as soon as the mount works, or -errno with the reason in
 * diag when it could not be set up (the drive, the staging directory, the mount itself), and
 * the child never returns. In the foreground it returns after the unmount: 0, or -errno.
 */
int stg_fs_run(const struct stg_fs_opts *opts, struct bfs_diag *diag) BFS_WARN_UNUSED;

#endif
