/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image options that `burnfs image` and `burnfs burn` share (--fs, --udf-rev,
 * --iso-level, --volid, --graft, --exclude, --rr-relocate, the boot options), parsed in one place: a command
 * splices cli_image_longopts into its own table and hands each getopt result to
 * cli_image_opt().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "textout.h"
#include "common/macro.h"
#include "engine/image.h"

const struct option cli_image_longopts[] = {
	{"fs", required_argument, NULL, CLI_IMAGEOPT_FS},
	{"udf-rev", required_argument, NULL, CLI_IMAGEOPT_UDF_REV},
	{"iso-level", required_argument, NULL, CLI_IMAGEOPT_ISO_LEVEL},
	{"volid", required_argument, NULL, CLI_IMAGEOPT_VOLID},
	{"graft", required_argument, NULL, CLI_IMAGEOPT_GRAFT},
	{"exclude", required_argument, NULL, CLI_IMAGEOPT_EXCLUDE},
	{"rr-relocate", no_argument, NULL, CLI_IMAGEOPT_RR_RELOCATE},
	{"boot-bios", required_argument, NULL, CLI_IMAGEOPT_BOOT_BIOS},
	{"boot-efi", required_argument, NULL, CLI_IMAGEOPT_BOOT_EFI},
	{"boot-catalog", required_argument, NULL, CLI_IMAGEOPT_BOOT_CATALOG},
	{"hybrid", no_argument, NULL, CLI_IMAGEOPT_HYBRID},
	{"hybrid-mbr", required_argument, NULL, CLI_IMAGEOPT_HYBRID_MBR},
	{"boot-replay", required_argument, NULL, CLI_IMAGEOPT_BOOT_REPLAY},
	{0},
};

const char cli_image_usage[] =
	"  --fs LIST          file systems, of iso9660,joliet,rockridge,udf (default: per\n"
	"                     medium)\n"
	"  --udf-rev REV      UDF revision: 1.02, 2.01 or 2.50 (default: per medium)\n"
	"  --iso-level N      ISO 9660 level 2 or 3 (default 2, 3 for files of 4 GiB or more)\n"
	"  --volid ID         the volume identifier, 1 to 32 characters\n"
	"  --graft SRC=/DEST  put SRC at /DEST in the image\n"
	"  --exclude GLOB     leave out names or image paths matching GLOB (fnmatch)\n"
	"  --rr-relocate      relocate deep directories (Rock Ridge RE/CL) instead of deep paths\n"
	"  --boot-bios PATH   El Torito BIOS boot: the image's file PATH (isolinux.bin), no\n"
	"                     emulation, 4 sectors loaded, boot info table patched in\n"
	"  --boot-efi PATH    El Torito UEFI boot: the image's FAT image file PATH\n"
	"  --boot-catalog PATH  show the boot catalog as the image's file PATH (default:\n"
	"                     hidden, in no directory)\n"
	"  --hybrid           also bootable as a disk (USB stick): an isohybrid MBR that\n"
	"                     starts --boot-bios, and a GPT whose EFI system partition is\n"
	"                     --boot-efi; the backup GPT ends the image\n"
	"  --hybrid-mbr FILE  the MBR code template (default " ENG_BOOT_MBR_DEFAULT ")\n"
	"  --boot-replay ISO  the boot setup of the bootable ISO (its boot files' paths,\n"
	"                     catalog, hybrid MBR code, volume id), made anew over this\n"
	"                     image's tree, which must hold those files (e.g. the ISO's\n"
	"                     tree extracted + new files); not with the other boot options\n";

int cli_image_args_init(struct cli_image_args *a, const char *cmd, int argc,
			struct eng_image_opts *image, struct eng_scan_opts *scan)
{
	*a = (struct cli_image_args){.cmd = cmd, .image = image, .scan = scan};
	/* every argument could be a source, an exclude or a graft */
	a->srcs = bfs_new(struct eng_source, (size_t)argc + 1);
	a->excludes = bfs_new(const char *, (size_t)argc + 1);
	if (!a->srcs || !a->excludes) {
		cli_image_args_done(a);
		return -ENOMEM;
	}
	return 0;
}

void cli_image_args_done(struct cli_image_args *a)
{
	free(a->srcs);
	free(a->excludes);
	if (a->replay)
		eng_boot_replay_done(a->replay);
	free(a->replay);
	a->replay = NULL;
	a->srcs = NULL;
	a->excludes = NULL;
}

size_t cli_longopts_join(const struct option *own, struct option *out, size_t max)
{
	size_t n = 0;

	for (const struct option *o = own; o->name && n + 1 < max; o++)
		out[n++] = *o;
	for (const struct option *o = cli_image_longopts; o->name && n + 1 < max; o++)
		out[n++] = *o;
	out[n] = (struct option){0};
	return n;
}

static int parse_fs(struct cli_image_args *a, const char *s)
{
	_cleanup_free_ char *copy = strdup(s);
	struct eng_image_opts *o = a->image;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "iso9660") == 0)
			o->iso9660 = true;
		else if (strcmp(t, "joliet") == 0)
			o->joliet = true;
		else if (strcmp(t, "rockridge") == 0)
			o->rockridge = true;
		else if (strcmp(t, "udf") == 0)
			o->udf = true;
		else
			return cli_error(
				-EINVAL, a->cmd,
				"--fs: unknown file system '%s' (iso9660, joliet, rockridge, udf)",
				t);
	}
	if ((o->joliet || o->rockridge) && !o->iso9660)
		return cli_error(-EINVAL, a->cmd, "--fs: joliet and rockridge need iso9660");
	if (!o->iso9660 && !o->udf)
		return cli_error(-EINVAL, a->cmd, "--fs: no file system given");
	return 0;
}

static int parse_udf_rev(struct cli_image_args *a, const char *s)
{
	if (strcmp(s, "1.02") == 0)
		a->image->udf_rev = 0x0102;
	else if (strcmp(s, "2.01") == 0)
		a->image->udf_rev = 0x0201;
	else if (strcmp(s, "2.50") == 0)
		a->image->udf_rev = 0x0250;
	else
		return cli_error(-EINVAL, a->cmd, "--udf-rev: '%s' is not 1.02, 2.01 or 2.50", s);
	return 0;
}

/* --boot-replay ISO: its setup read now, the options pointing into it */
static int parse_replay(struct cli_image_args *a, const char *iso)
{
	struct bfs_diag diag = {0};
	int r;

	if (a->replay)
		return cli_error(-EINVAL, a->cmd, "--boot-replay given twice");
	a->replay = calloc(1, sizeof(*a->replay));
	if (!a->replay)
		return -ENOMEM;
	r = eng_boot_replay_read(iso, a->replay, &diag);
	if (r < 0) {
		free(a->replay);
		a->replay = NULL;
		return cli_error(r == -ENOMEM ? r : -EINVAL, a->cmd, "%s", bfs_diag_msg(&diag, r));
	}
	eng_boot_replay_opts(a->replay, &a->image->boot);
	if (!a->image->volume_id && a->replay->volume_id[0]) /* a later --volid wins */
		a->image->volume_id = a->replay->volume_id;
	return 0;
}

static int parse_graft(struct cli_image_args *a, char *s)
{
	char *eq = strchr(s, '=');

	if (!eq || eq == s || eq[1] != '/' || !eq[2])
		return cli_error(-EINVAL, a->cmd, "--graft: '%s' is not SRC=/DEST", s);
	*eq = '\0';
	a->srcs[a->nsrcs++] = (struct eng_source){.path = s, .dest = eq + 1};
	return 0;
}

int cli_image_opt(struct cli_image_args *a, int c, char *arg)
{
	int r = 0;

	switch (c) {
	case CLI_IMAGEOPT_FS:
		r = parse_fs(a, arg);
		break;
	case CLI_IMAGEOPT_UDF_REV:
		r = parse_udf_rev(a, arg);
		break;
	case CLI_IMAGEOPT_ISO_LEVEL:
		if (strcmp(arg, "2") && strcmp(arg, "3"))
			return cli_error(-EINVAL, a->cmd, "--iso-level: '%s' is not 2 or 3", arg);
		a->image->iso_level = (unsigned)(arg[0] - '0');
		break;
	case CLI_IMAGEOPT_VOLID:
		if (!*arg || strlen(arg) > 32)
			return cli_error(-EINVAL, a->cmd, "--volid: '%s' is not 1 to 32 characters",
					 arg);
		a->image->volume_id = arg;
		break;
	case CLI_IMAGEOPT_GRAFT:
		r = parse_graft(a, arg);
		break;
	case CLI_IMAGEOPT_EXCLUDE:
		a->excludes[a->nexcludes++] = arg;
		a->scan->excludes = a->excludes;
		a->scan->nexcludes = a->nexcludes;
		break;
	case CLI_IMAGEOPT_RR_RELOCATE:
		a->image->rr_relocate = true;
		break;
	case CLI_IMAGEOPT_BOOT_REPLAY:
		r = parse_replay(a, arg);
		break;
	case CLI_IMAGEOPT_BOOT_BIOS:
		a->image->boot.bios = arg;
		a->boot_given = true;
		break;
	case CLI_IMAGEOPT_BOOT_EFI:
		a->image->boot.efi = arg;
		a->boot_given = true;
		break;
	case CLI_IMAGEOPT_BOOT_CATALOG:
		a->image->boot.catalog = arg;
		a->boot_given = true;
		break;
	case CLI_IMAGEOPT_HYBRID:
		a->image->boot.hybrid = true;
		a->boot_given = true;
		break;
	case CLI_IMAGEOPT_HYBRID_MBR:
		a->image->boot.hybrid_mbr = arg;
		a->boot_given = true;
		break;
	default:
		return 0; /* not an image option */
	}
	a->given++;
	return r < 0 ? r : 1;
}

void cli_image_add_source(struct cli_image_args *a, const char *path)
{
	a->srcs[a->nsrcs++] = (struct eng_source){.path = path};
}

int cli_image_args_check(const struct cli_image_args *a)
{
	const struct eng_image_opts *o = a->image;

	if (a->replay && a->boot_given)
		return cli_error(-EINVAL, a->cmd,
				 "--boot-replay: not with --boot-bios, --boot-efi, --boot-catalog, "
				 "--hybrid or --hybrid-mbr (the replayed ISO says them)");
	if (o->udf_rev && !o->udf && (o->iso9660 || o->joliet || o->rockridge))
		return cli_error(-EINVAL, a->cmd, "--udf-rev given but --fs has no udf");
	return 0;
}
