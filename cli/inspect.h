/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What burnfs sessions, ls and extract share (cli/inspect.c): their options, and the
 * medium, session and tree they open.
 */
#ifndef BFS_CLI_INSPECT_H
#define BFS_CLI_INSPECT_H

#include <stdbool.h>

#include "common/diag.h"
#include "engine/disctree.h"
#include "engine/sessions.h"

struct insp_args {
	const char *cmd; /* "sessions", "ls", "extract" */
	const char *drive, *image, *out;
	unsigned session; /* 0: the last */
	bool json, longfmt, recursive;
	char **paths;
	int npaths;
};

/* A session of a medium with its tree open. */
struct insp_open {
	struct eng_medium *m;
	struct eng_session *sessions;
	size_t nsessions;
	const struct eng_session *s;
	struct eng_disctree *t;
	struct bfs_diag diag; /* the tree's: every later failure is recorded here */
};

/* Open the medium, list its sessions and open the chosen one's tree: 0 or an exit code. */
int insp_open(const struct insp_args *a, struct insp_open *o);
void insp_close(struct insp_open *o);

/* "burnfs CMD: " + the diag's message (a drive's READ failure added): exit code 1. */
int insp_fail(const struct insp_args *a, struct insp_open *o, int r);

/* `burnfs ls`, with its arguments parsed (cli/ls.c). */
int cli_ls(const struct insp_args *a);

/* `burnfs extract`, with its arguments parsed (cli/extract.c). */
int insp_extract(const struct insp_args *a);

#endif
