/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Verifying a session after the fact: against its own manifest (/.burnfs/SHA256SUMS, the
 * default: no source needed, years later), or file by file against a source tree. The
 * session is read through the ISO 9660 reader (Rock Ridge names, else Joliet) from any
 * block source: an image file, or a drive.
 */
#ifndef BFS_ENGINE_VERIFY_H
#define BFS_ENGINE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"

/* Read n 2048-byte blocks at absolute block lba: 0 or a negative errno. */
typedef int (*eng_read_fn)(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf);

/* One problem: path (on the disc, '/'-rooted) and what is wrong with it. */
typedef void (*eng_problem_fn)(const char *path, const char *what, void *userdata);

struct eng_verify_result {
	uint64_t files_ok;
	uint64_t files_bad;	/* content differs */
	uint64_t files_missing; /* listed (or in the source) but not on the disc */
	uint64_t files_extra;	/* on the disc, not in the source (--against a tree only) */
	uint64_t bytes;		/* file bytes read and hashed */
};

/*
 * Parse a manifest in `sha256sum` format (GNU escaping: a line starting with '\' has "\\"
 * and "\n" in its name). fn gets each entry's binary hash and name (NUL-terminated,
 * borrowed for the call); a non-zero return stops the parse and is returned. -EUCLEAN with
 * the line number for a malformed line; at most 10,000,000 lines of 64 KiB.
 */
typedef int (*eng_manifest_fn)(const uint8_t sha[32], const char *name, void *userdata);
int eng_manifest_parse(const uint8_t *buf, size_t len, eng_manifest_fn fn, void *userdata,
		       struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * Check every file listed in the session's manifest against its SHA-256, and that the
 * manifest exists. Problems go to fn; *ret counts. Returns 0 when everything matches,
 * -EBADMSG when a file differs or is missing (details through fn), -ENOENT when the
 * session has no manifest, another negative errno when the session cannot be read.
 */
int eng_verify_manifest(eng_read_fn read, void *userdata, uint64_t session_start, eng_problem_fn fn,
			void *fn_userdata, struct eng_verify_result *ret,
			struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * Compare the session's files with the tree at src: the same regular files (names as Rock
 * Ridge records them), sizes and contents; symlinks by target. Returns as
 * eng_verify_manifest() (-EBADMSG on any difference).
 */
int eng_verify_tree(eng_read_fn read, void *userdata, uint64_t session_start, const char *src,
		    eng_problem_fn fn, void *fn_userdata, struct eng_verify_result *ret,
		    struct bfs_diag *diag) BFS_WARN_UNUSED;

#endif
