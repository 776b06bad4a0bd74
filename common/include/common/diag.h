/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Failure detail carried beside a -errno return (STYLE.md rule 13): a context that parses
 * data or talks to a device holds a struct bfs_diag, and a failure is one line:
 *	return bfs_diag_set(d, -EINVAL, "'%s': name too long", name);
 * Not thread-safe: one diag per context.
 */
#ifndef BFS_COMMON_DIAG_H
#define BFS_COMMON_DIAG_H

#include <errno.h>

#include "common/macro.h"

/* Malformed on-disc data, as the kernel spells it. */
#define BFS_EFSCORRUPTED EUCLEAN

#define BFS_DIAG_MSG_MAX 1024

struct bfs_diag {
	int err;	  /* negative errno of the first recorded failure, 0 if none */
	const char *file; /* source location of the failure (static string) */
	int line;
	unsigned nwarnings;	    /* warnings recorded with bfs_diag_warn() */
	char msg[BFS_DIAG_MSG_MAX]; /* human message, NUL-terminated, "" if none */
};

/*
 * Record a failure and return err (a negative errno). The first failure wins: a later call
 * on a diag that already holds one only returns err, so the root cause is what is reported.
 * d may be NULL.
 */
int bfs_diag_set_at(struct bfs_diag *d, const char *file, int line, int err, const char *fmt, ...)
	BFS_PRINTF(5, 6);
#define bfs_diag_set(d, err, ...) bfs_diag_set_at((d), __FILE__, __LINE__, (err), __VA_ARGS__)
#define BFS_CORRUPT(d, ...)	  bfs_diag_set_at((d), __FILE__, __LINE__, -BFS_EFSCORRUPTED, __VA_ARGS__)

/*
 * Record a non-fatal problem: logs it at warning level through bfs_log() and counts it.
 * Messages end with ", ignoring" or say what fallback was taken. d may be NULL.
 */
void bfs_diag_warn(struct bfs_diag *d, const char *fmt, ...) BFS_PRINTF(2, 3);

/*
 * Add context in front of the recorded failure, in place: "CONTEXT: message" (the message
 * being strerror(-err) when none was recorded, which records err). Returns the recorded
 * error, or err. For callers that know where a failure happened without copying what it
 * was. d may be NULL.
 */
int bfs_diag_prefix(struct bfs_diag *d, int err, const char *fmt, ...) BFS_PRINTF(3, 4);

/* Forget any recorded failure (warnings count is kept). */
void bfs_diag_clear(struct bfs_diag *d);

/* The message of the recorded failure, or strerror(-err) when none was given. */
const char *bfs_diag_msg(const struct bfs_diag *d, int err);

#endif
