/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burnfs drives [--json]: the optical drives of this machine (libudev, else sysfs), each
 * opened briefly through the engine (engine/drives.h) to say what medium it holds. With none, the default
 * virtual drive is named, and whether it exists. Exit 0; 2 for a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "textout.h"
#include "common/diag.h"
#include "common/macro.h"
#include "engine/drives.h"

/* s as a JSON string on stdout (textout.h: escapes, bytes that are not UTF-8 as \\u00NN) */
static void json_str(const char *s)
{
	cli_json_str(stdout, s, strlen(s));
}

struct probe {
	int err; /* 0: medium probed; else why not */
	char msg[BFS_DIAG_MSG_MAX];
	struct eng_drive_medium m;
};

static void probe(const char *addr, struct probe *p)
{
	struct bfs_diag diag = {0};

	memset(p, 0, sizeof(*p));
	p->err = eng_drive_medium_probe(addr, &p->m, &diag);
	if (p->err < 0)
		snprintf(p->msg, sizeof(p->msg), "%s", bfs_diag_msg(&diag, p->err));
}

static void print_medium_text(const struct probe *p)
{
	if (p->err == -ENOMEDIUM)
		printf("no medium");
	else if (p->err < 0)
		printf("(%s)", p->msg);
	else
		printf("%s, %s, %.1f MiB free%s", p->m.profile_name, p->m.status,
		       (double)p->m.free_blocks * 2048 / 1048576.0,
		       p->m.writable ? "" : " (no session can be written: see burnfs info)");
}

static void print_medium_json(const struct probe *p)
{
	if (p->err < 0) {
		printf("\"medium\": null, \"error\": ");
		json_str(p->err == -ENOMEDIUM ? "no medium" : p->msg);
		return;
	}
	printf("\"medium\": {\"profile\": ");
	json_str(p->m.profile_name);
	printf(", \"profile_number\": %u, \"status\": \"%s\", \"sessions\": %u, "
	       "\"free_blocks\": %llu, \"capacity\": %llu, \"erasable\": %s}, \"error\": null",
	       (unsigned)p->m.profile, p->m.status, p->m.sessions,
	       (unsigned long long)p->m.free_blocks, (unsigned long long)p->m.capacity,
	       p->m.erasable ? "true" : "false");
}

static void print_drive(const struct eng_drive_entry *e, bool json, bool first)
{
	struct probe p;

	probe(e->path, &p);
	if (!json) {
		printf("%s", e->path);
		if (e->sg_path[0])
			printf(" (%s)", e->sg_path);
		printf("  %s%s%s  ", e->vendor[0] ? e->vendor : "?", e->model[0] ? " " : "",
		       e->model);
		print_medium_text(&p);
		putchar('\n');
		return;
	}
	printf("%s\n  {\"address\": ", first ? "" : ",");
	json_str(e->path);
	printf(", \"sg\": ");
	if (e->sg_path[0])
		json_str(e->sg_path);
	else
		printf("null");
	printf(", \"vendor\": ");
	json_str(e->vendor);
	printf(", \"model\": ");
	json_str(e->model);
	printf(", \"virtual\": false, \"found_by\": \"%s\", ", e->from_udev ? "udev" : "sysfs");
	if (e->from_udev) {
		printf("\"udev_media\": {\"present\": %s, \"type\": ", e->media ? "true" : "false");
		json_str(e->media_type);
		printf(", \"state\": ");
		json_str(e->media_state);
		printf(", \"sessions\": %u}, ", e->media_sessions);
	}
	print_medium_json(&p);
	putchar('}');
}

/*
 * No physical drive: name the default virtual drive (the one burnfs mount uses, and info,
 * eject and verify --drive without --drive) and what it holds, if it exists.
 */
static void print_default(bool json)
{
	_cleanup_free_ char *d = eng_default_vdrive_dir();
	char dir[4096], addr[4200];
	struct stat st;
	bool exists;
	struct probe p = {0};

	snprintf(dir, sizeof(dir), "%s", d ? d : "");
	snprintf(addr, sizeof(addr), "vdrive:%s", dir);
	exists = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
	if (exists)
		probe(addr, &p);
	/* a directory that is no virtual drive counts as missing */
	if (exists && p.err == -ENOENT)
		exists = false;
	if (!json) {
		printf("no optical drive found; the default drive is the virtual drive %s ", addr);
		if (!exists) {
			char parent[4096];
			char *slash;

			snprintf(parent, sizeof(parent), "%s", dir);
			slash = strrchr(parent, '/');
			if (slash)
				*slash = 0;
			/* vdrive create makes DIR, not its parents; mount makes both */
			printf("(it does not exist; `burnfs mount MOUNTPOINT` creates it, or "
			       "`%s%s%sburnfs vdrive create --media %s %s`)\n",
			       stat(parent, &st) < 0 ? "mkdir -p " : "",
			       stat(parent, &st) < 0 ? parent : "",
			       stat(parent, &st) < 0 ? " && " : "", ENG_DEFAULT_VDRIVE_MEDIA, dir);
			return;
		}
		printf("(");
		print_medium_text(&p);
		printf(")\n");
		return;
	}
	printf("\n  {\"address\": ");
	json_str(addr);
	printf(", \"sg\": null, \"vendor\": \"burnfs\", \"model\": \"virtual drive\", "
	       "\"virtual\": true, \"default\": true, \"exists\": %s, ",
	       exists ? "true" : "false");
	if (exists)
		print_medium_json(&p);
	else
		printf("\"medium\": null, \"error\": \"it does not exist\"");
	putchar('}');
}

static void drives_usage(FILE *f)
{
	fprintf(f, "Usage: burnfs drives [--json]\n"
		   "\n"
		   "The optical drives of this machine and their media; with none, the default\n"
		   "virtual drive $XDG_STATE_HOME/burnfs/vdrive (a BD-R), which burnfs mount,\n"
		   "info, eject and verify --drive use when no --drive is given.\n");
}

int cli_drives_main(int argc, char **argv)
{
	struct eng_drive_list l = {0};
	struct bfs_diag diag = {0};
	bool json = false;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			drives_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "burnfs drives: unknown argument '%s'\n", argv[i]);
			drives_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	r = eng_drives_find(NULL, &l, &diag);
	if (r < 0) {
		fprintf(stderr, "burnfs drives: %s\n", bfs_diag_msg(&diag, r));
		return CLI_EXIT_JOB;
	}
	if (json)
		putchar('[');
	for (size_t i = 0; i < l.n; i++)
		print_drive(&l.v[i], json, i == 0);
	if (!l.n)
		print_default(json);
	if (json)
		printf("\n]\n");
	eng_drive_list_free(&l);
	return 0;
}
