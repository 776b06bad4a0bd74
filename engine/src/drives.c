/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drives of this machine and the default drive. See engine/drives.h.
 */
#include "engine/drives.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/diag.h"
#include "common/macro.h"
#include "engine/burn.h"
#include "mmc/discover.h"
#include "mmc/mmc.h"
#include "vdrive/vdrive.h"

int eng_drives_find(const char *sysfs, struct eng_drive_list *ret, struct bfs_diag *reterr_diag)
{
	*ret = (struct eng_drive_list){0};
	return mmc_discover(sysfs, sysfs ? MMC_DISCOVER_NO_UDEV : 0, ret, reterr_diag);
}

void eng_drive_list_free(struct eng_drive_list *l)
{
	mmc_drive_list_free(l);
	*l = (struct eng_drive_list){0};
}

int eng_drive_medium_probe(const char *addr, struct eng_drive_medium *ret,
			   struct bfs_diag *reterr_diag)
{
	_cleanup_(mmc_drive_closep) struct mmc_drive *d = NULL;
	struct eng_disc_space space = {0};
	struct mmc_media m = {0};
	int r = mmc_drive_open(addr, reterr_diag, &d);

	if (r == 0)
		r = mmc_media_probe(d, &m, reterr_diag);
	if (r < 0)
		return r;
	/* the space as info and burn count it; a disc whose space cannot be read still has
	 * its profile and status to show (the space then says no session can be written) */
	(void)eng_disc_space_read(d, &m, &space, NULL);
	*ret = (struct eng_drive_medium){
		.profile = m.profile,
		.profile_name = m.profile_name,
		.status = mmc_disc_status_name(m.status),
		.sessions = m.sessions,
		.erasable = m.erasable,
		.capacity = space.capacity,
		.free_blocks = space.free,
		.writable = space.writable,
	};
	return 0;
}

char *eng_default_vdrive_dir(void)
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
static int default_vdrive(bool create, struct eng_default_drive *ret, struct bfs_diag *diag)
{
	const char *dir;
	struct stat st;
	int r;

	ret->vdrive_dir = eng_default_vdrive_dir();
	if (!ret->vdrive_dir)
		return bfs_diag_set(diag, -ENOMEM, "out of memory");
	dir = ret->vdrive_dir;
	if (!create && stat(dir, &st) < 0)
		return bfs_diag_set(diag, -ENOENT,
				    "no drive given, no optical drive found, and the default "
				    "virtual drive '%s' does not exist\n"
				    "remedy: create it with `burnfs vdrive create --media %s %s` "
				    "(burnfs mount creates it too), or give --drive D",
				    dir, ENG_DEFAULT_VDRIVE_MEDIA, dir);
	if (create) {
		r = make_parents(dir);
		if (r == 0)
			r = vdrive_create(dir, ENG_DEFAULT_VDRIVE_MEDIA, 0);
		/* -EEXIST: there already, or made by a command that ran at the same time */
		if (r < 0 && r != -EEXIST)
			return bfs_diag_set(diag, r, "cannot create the virtual drive '%s': %s",
					    dir, strerror(-r));
		ret->created = r == 0;
	}
	if (asprintf(&ret->addr, "vdrive:%s", dir) < 0) {
		ret->addr = NULL;
		return bfs_diag_set(diag, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Several optical drives: which, for the user to choose from. */
static int several(const struct eng_drive_list *l, struct bfs_diag *diag)
{
	_cleanup_free_ char *names = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&names, &size);

	if (!f)
		return bfs_diag_set(diag, -ENOMEM, "out of memory");
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%s%s", i ? ", " : "", l->v[i].path);
	if (fclose(f) != 0)
		return bfs_diag_set(diag, -ENOMEM, "out of memory");
	return bfs_diag_set(diag, -EINVAL,
			    "no drive given, and there are %zu optical drives: %s\n"
			    "remedy: choose one with --drive",
			    l->n, names);
}

int eng_default_drive(const char *sysfs, bool create, struct eng_default_drive *ret,
		      struct bfs_diag *reterr_diag)
{
	int r;

	*ret = (struct eng_default_drive){0};
	r = eng_drives_find(sysfs, &ret->drives, reterr_diag);
	/* a discovery that failed finds no drive: the virtual one is still there to use */
	if (r == 0 && ret->drives.n == 1) {
		ret->addr = strdup(ret->drives.v[0].path);
		return ret->addr ? 0 : bfs_diag_set(reterr_diag, -ENOMEM, "out of memory");
	}
	if (r == 0 && ret->drives.n > 1)
		return several(&ret->drives, reterr_diag);
	bfs_diag_clear(reterr_diag);
	return default_vdrive(create, ret, reterr_diag);
}

void eng_default_drive_done(struct eng_default_drive *d)
{
	free(d->addr);
	free(d->vdrive_dir);
	eng_drive_list_free(&d->drives);
	*d = (struct eng_default_drive){0};
}
