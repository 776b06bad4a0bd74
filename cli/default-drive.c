/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drive a command uses when none is given, one rule for every command (mount, info,
 * eject, verify --drive; drives names it): the only optical drive of the machine, else the
 * default virtual drive $XDG_STATE_HOME/burnfs/vdrive, a BD-R.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "common/diag.h"
#include "common/macro.h"
#include "mmc/discover.h"
#include "vdrive/vdrive.h"

char *cli_default_vdrive_dir(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *s = NULL;
	int r;

	/* $XDG_STATE_HOME counts only when absolute, as the spec says */
	if (state && state[0] == '/')
		r = asprintf(&s, "%s/burnfs/vdrive", state);
	else
		r = asprintf(&s, "%s/.local/state/burnfs/vdrive", home && *home ? home : "");
	return r < 0 ? NULL : s;
}

/* mkdir -p of dir's parent: vdrive_create makes dir itself, not its parents. */
static int make_parents(const char *dir)
{
	_cleanup_free_ char *p = strdup(dir);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

/* No optical drive: the default virtual one, made when create and missing. */
static int default_vdrive(const char *cmd, bool create, char **ret)
{
	_cleanup_free_ char *dir = cli_default_vdrive_dir();
	struct stat st;
	int r;

	if (!dir)
		return -ENOMEM;
	if (!create && stat(dir, &st) < 0) {
		fprintf(stderr,
			"burnfs %s: no drive given, no optical drive found, and the default virtual "
			"drive '%s' does not exist\n"
			"remedy: create it with `burnfs vdrive create --media %s %s` (burnfs mount "
			"creates it too), or give --drive D\n",
			cmd, dir, CLI_DEFAULT_VDRIVE_MEDIA, dir);
		return -ENOENT;
	}
	r = create ? make_parents(dir) : 0;
	if (r == 0 && create)
		r = vdrive_create(dir, CLI_DEFAULT_VDRIVE_MEDIA, 0);
	if (r == 0 && create)
		fprintf(stderr,
			"burnfs %s: no optical drive found: created the virtual drive '%s' with a "
			"blank BD-R\n",
			cmd, dir);
	else if (r == 0 || r == -EEXIST)
		fprintf(stderr, "burnfs %s: no drive given: using the virtual drive '%s'\n", cmd,
			dir);
	else {
		fprintf(stderr, "burnfs %s: cannot create the virtual drive '%s': %s\n", cmd, dir,
			strerror(-r));
		return r;
	}
	return asprintf(ret, "vdrive:%s", dir) < 0 ? -ENOMEM : 0;
}

int cli_default_drive(const char *cmd, bool create, char **ret)
{
	struct mmc_drive_list l = {0};
	struct bfs_diag diag = {0};
	int r = mmc_discover(NULL, 0, &l, &diag);

	if (r == 0 && l.n == 1) {
		fprintf(stderr, "burnfs %s: no drive given: using the only optical drive, '%s'\n",
			cmd, l.v[0].path);
		*ret = strdup(l.v[0].path);
		mmc_drive_list_free(&l);
		return *ret ? 0 : -ENOMEM;
	}
	if (r == 0 && l.n > 1) {
		fprintf(stderr,
			"burnfs %s: no drive given, and there are %zu optical drives: ", cmd, l.n);
		for (size_t i = 0; i < l.n; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", l.v[i].path);
		fprintf(stderr, "\nremedy: choose one with --drive\n");
		mmc_drive_list_free(&l);
		return -EINVAL;
	}
	mmc_drive_list_free(&l);
	return default_vdrive(cmd, create, ret);
}
