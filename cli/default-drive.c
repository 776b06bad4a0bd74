/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drive a command uses when none is given, one rule for every command (mount, info,
 * eject, verify --drive; drives names it): the only optical drive of the machine, else the
 * default virtual drive $XDG_STATE_HOME/burnfs/vdrive, a BD-R. The engine chooses
 * (engine/drives.h); this says on stderr which one, or why none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/diag.h"
#include "common/macro.h"
#include "engine/drives.h"

char *cli_default_vdrive_dir(void)
{
	return eng_default_vdrive_dir();
}

int cli_default_drive(const char *cmd, bool create, char **ret)
{
	struct eng_default_drive d;
	struct bfs_diag diag = {0};
	int r = eng_default_drive(NULL, create, &d, &diag);

	if (r < 0)
		fprintf(stderr, "burnfs %s: %s\n", cmd, bfs_diag_msg(&diag, r));
	else if (!d.vdrive_dir)
		fprintf(stderr, "burnfs %s: no drive given: using the only optical drive, '%s'\n",
			cmd, d.addr);
	else if (d.created)
		fprintf(stderr,
			"burnfs %s: no optical drive found: created the virtual drive '%s' with a "
			"blank BD-R\n",
			cmd, d.vdrive_dir);
	else
		fprintf(stderr, "burnfs %s: no drive given: using the virtual drive '%s'\n", cmd,
			d.vdrive_dir);
	if (r == 0) {
		*ret = d.addr;
		d.addr = NULL;
	}
	eng_default_drive_done(&d);
	return r;
}
