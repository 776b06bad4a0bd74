/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burnfs vdrive SUBCOMMAND ...: create a virtual drive, show it, load (a blank disc) and
 * eject, export its disc, import an image into it, set its faults (engine/vdrive-admin.h,
 * over mmc/vdrive; its messages follow `burnfs vdrive SUB: `). Each
 * subcommand has its own usage (--help: on stdout, exit 0); usage errors say what is
 * wrong and exit 2; errors are `burnfs vdrive SUB: ...`. Exit codes as in burnfs.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine/imagefile.h"
#include "engine/vdrive-admin.h"
#include "common/diag.h"
#include "common/macro.h"

/* create's usage names the drive's media and capacities, which the engine gives */
static void create_usage(FILE *f)
{
	fprintf(f,
		"burnfs vdrive create --media NAME [--capacity BLOCKS] DIR\n"
		"  A new drive with a blank disc in DIR, which must be new or empty (nothing\n"
		"  in it is replaced). Media: %s\n"
		"  --capacity: the disc's size in 2048-byte blocks (default: the real disc's);\n"
		"  %s.\n",
		eng_vdrive_media_list(), eng_vdrive_capacity_summary());
}

static const struct {
	const char *name;
	const char *usage; /* NULL: create_usage() */
} subs[] = {
	{"create", NULL},
	{"info", "burnfs vdrive info DIR [--json]\n"
		 "  The disc in the drive: medium, capacity, status, sessions and tracks.\n"},
	{"load", "burnfs vdrive load DIR [--blank [--media NAME] [--capacity BLOCKS]]\n"
		 "  Close the tray. With --blank, put the disc in the drive on the shelf,\n"
		 "  DIR/shelf/N/ (its disc.img and state, moved whole, never deleted), and load a\n"
		 "  new blank disc: of the same medium and capacity, or of --media NAME.\n"},
	{"eject", "burnfs vdrive eject DIR\n"
		  "  Open the tray (refused while a program prevents medium removal).\n"},
	{"export", "burnfs vdrive export DIR -o IMG [--json]\n"
		   "  Copy what the disc recorded into the image file IMG.\n"},
	{"import-image",
	 "burnfs vdrive import-image DIR IMG [--sessions START,...] [--close] [--cut-ok]\n"
	 "  Record the image IMG onto the blank disc in the drive, sessions starting\n"
	 "  at the blocks START (default 0); --close finalizes the disc. An image\n"
	 "  shorter than its own volume is refused, unless --cut-ok: then it is recorded\n"
	 "  as it is, a damaged disc on purpose (for testing readers and verify).\n"},
	{"fault",
	 "burnfs vdrive fault DIR SPEC\n"
	 "  Add a fault (the drive applies it at its next command, also while in use):\n"
	 "  write-error@LBA corrupt-read@LBA remove@LBA opc-fail stuck:OPCODE\n"
	 "  slow:FACTOR (1-64), or clear (no faults). Changing them during a burn changes\n"
	 "  only what they govern from then on: the data already sent is recorded.\n"},
};

static void vdrive_usage(FILE *f, const char *sub)
{
	fprintf(f, "Usage:");
	for (size_t i = 0; i < BFS_ARRAY_SIZE(subs); i++)
		if (!sub || strcmp(sub, subs[i].name) == 0) {
			fputc(' ', f);
			if (subs[i].usage)
				fputs(subs[i].usage, f);
			else
				create_usage(f);
		}
	if (!sub)
		fprintf(f,
			"\nA virtual burner backed by files in DIR; use it as --drive vdrive:DIR.\n"
			"`burnfs vdrive SUBCOMMAND --help` describes each.\n");
}

/* "burnfs vdrive SUB: what" on stderr */
static void verror(const char *sub, const char *fmt, va_list ap)
{
	fprintf(stderr, "burnfs vdrive %s: ", sub);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* A usage error of subcommand sub: what is wrong, that subcommand's usage; exit 2. */
static int BFS_PRINTF(2, 3) usage_error(const char *sub, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(sub, fmt, ap);
	va_end(ap);
	vdrive_usage(stderr, sub);
	return CLI_EXIT_USAGE;
}

/* A job failure of subcommand sub; exit 1. */
static int BFS_PRINTF(2, 3) job_error(const char *sub, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(sub, fmt, ap);
	va_end(ap);
	return CLI_EXIT_JOB;
}

/* The engine's failure r of subcommand sub, said as it says it; exit 1. */
static int diag_error(const char *sub, const struct bfs_diag *diag, int r)
{
	return job_error(sub, "%s", bfs_diag_msg(diag, r));
}

/* Open the drive in dir, or say why not (damaged: what and the remedy); exit code or 0. */
static int open_drive(const char *sub, const char *dir, struct eng_vdrive **ret)
{
	struct bfs_diag diag = {0};
	int r = eng_vdrive_open(dir, ret, &diag);

	return r < 0 ? diag_error(sub, &diag, r) : 0;
}

/*
 * --capacity's BLOCKS for medium media: a decimal number in the medium's range. 0 when
 * fine, else the exit code of the usage error it printed.
 */
static int parse_capacity(const char *sub, const char *arg, const char *media, uint64_t *ret)
{
	uint64_t lo = 0, hi = 0, v = 0;
	bool num = arg[0] != '\0';

	for (const char *p = arg; *p && num; p++) {
		num = *p >= '0' && *p <= '9' && v <= (UINT64_MAX - (uint64_t)(*p - '0')) / 10;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (eng_vdrive_capacity_range(media, &lo, &hi) < 0)
		return usage_error(sub, "'%s' is not a medium (%s)", media,
				   eng_vdrive_media_list());
	if (!num || v < lo || v > hi)
		return usage_error(sub,
				   "--capacity: '%s' is not a capacity of a %s: give a number "
				   "of 2048-byte blocks from %llu to %llu",
				   arg, media, (unsigned long long)lo, (unsigned long long)hi);
	*ret = v;
	return 0;
}

static void print_info(const struct eng_vdrive_info *vi, bool json)
{
	if (json) {
		printf("{\"media\": \"%s\", \"profile\": %u, \"capacity\": %llu, \"loaded\": %s, "
		       "\"status\": \"%s\", \"next_writable\": %llu, \"sessions\": [",
		       vi->media, vi->profile, (unsigned long long)vi->capacity,
		       vi->loaded ? "true" : "false", vi->status, (unsigned long long)vi->nwa);
		for (unsigned s = 1, first = 1; s <= vi->nsessions; s++) {
			uint64_t start = 0, len = 0;
			bool any = false;

			for (unsigned i = 0; i < vi->ntracks; i++) {
				if (vi->tracks[i].session != s)
					continue;
				if (!any)
					start = vi->tracks[i].start;
				len = vi->tracks[i].start + vi->tracks[i].size - start;
				any = true;
			}
			if (!any)
				continue;
			printf("%s{\"start\": %llu, \"length\": %llu}", first ? "" : ", ",
			       (unsigned long long)start, (unsigned long long)len);
			first = 0;
		}
		printf("]}\n");
		return;
	}
	printf("media: %s (profile %04Xh), %s\n", vi->media, vi->profile,
	       vi->loaded ? "loaded" : "ejected");
	printf("capacity: %llu blocks (%.1f MiB)\n", (unsigned long long)vi->capacity,
	       (double)vi->capacity * 2048 / 1048576.0);
	printf("status: %s, %u session(s), next writable address %llu\n", vi->status, vi->nsessions,
	       (unsigned long long)vi->nwa);
	for (unsigned i = 0; i < vi->ntracks; i++)
		printf("track %u: session %u, start %llu, %llu blocks%s\n", i + 1,
		       vi->tracks[i].session, (unsigned long long)vi->tracks[i].start,
		       (unsigned long long)vi->tracks[i].size, vi->tracks[i].open ? ", open" : "");
}

/* burnfs vdrive export DIR -o IMG [--json]: the engine writes IMG whole or not at all */
static int vdrive_export(const char *dir, const char *out, bool json)
{
	_cleanup_(eng_vdrive_closep) struct eng_vdrive *vd = NULL;
	struct eng_vdrive_info vi;
	struct bfs_diag diag = {0};
	int r = open_drive("export", dir, &vd);

	if (r)
		return r;
	eng_vdrive_get_info(vd, &vi);
	r = eng_vdrive_export(vd, out, &diag);
	if (r < 0)
		return diag_error("export", &diag, r);
	print_info(&vi, json);
	return 0;
}

/* --sessions START,...: the block numbers into starts; their count, or -1. */
static int parse_starts(const char *list, uint64_t *starts)
{
	size_t n = 0;

	for (const char *p = list; *p;) {
		char *end;
		unsigned long long v;

		if (*p < '0' || *p > '9' || n == ENG_VDRIVE_TRACKS_MAX)
			return -1;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || (*end && *end != ',') || (*end == ',' && !end[1]))
			return -1;
		starts[n++] = v;
		p = *end ? end + 1 : end;
	}
	return n ? (int)n : -1;
}

/*
 * The image to import, opened and checked by the engine (not a FIFO or device that would
 * block, not a file cut short of its last session's volume): an fd, or -1 said on stderr.
 */
static int open_image(const char *img, uint64_t last_start, bool cut_ok)
{
	struct eng_imagefile f;
	struct bfs_diag diag = {0};
	int r = eng_imagefile_open(img, last_start, &f, &diag);

	if (r == -ENODATA && cut_ok) {
		/* the type was checked already: a regular file or a block device */
		fprintf(stderr, "burnfs vdrive import-image: %s; recorded as it is (--cut-ok)\n",
			bfs_diag_msg(&diag, r));
		r = open(img, O_RDONLY | O_CLOEXEC);
		if (r < 0)
			job_error("import-image", "'%s': %s", img, strerror(errno));
		return r;
	}
	if (r < 0) {
		job_error("import-image", "%s", bfs_diag_msg(&diag, r));
		return -1;
	}
	return f.fd; /* the caller closes it */
}

/* burnfs vdrive import-image DIR IMG [--sessions START,...] [--close] [--cut-ok] */
static int vdrive_import_image(int argc, char **argv)
{
	const char *dir = NULL, *img = NULL, *sessions = "0";
	uint64_t starts[ENG_VDRIVE_TRACKS_MAX];
	bool close_disc = false, cut_ok = false;
	_cleanup_(eng_vdrive_closep) struct eng_vdrive *vd = NULL;
	struct eng_vdrive_info vi;
	struct bfs_diag diag = {0};
	int fd, r, n;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--sessions") == 0 && i + 1 < argc)
			sessions = argv[++i];
		else if (strcmp(argv[i], "--close") == 0)
			close_disc = true;
		else if (strcmp(argv[i], "--cut-ok") == 0)
			cut_ok = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("import-image", "unknown option '%s'", argv[i]);
		else if (!dir)
			dir = argv[i];
		else if (!img)
			img = argv[i];
		else
			return usage_error("import-image", "one image at a time: '%s'", argv[i]);
	}
	if (!dir || !img)
		return usage_error("import-image", "no %s given",
				   !dir ? "drive directory DIR" : "image IMG");
	n = parse_starts(sessions, starts);
	if (n < 0)
		return usage_error("import-image",
				   "--sessions: '%s' is not a list of block numbers (START,...)",
				   sessions);
	fd = open_image(img, starts[n - 1], cut_ok);
	if (fd < 0)
		return CLI_EXIT_JOB;
	r = open_drive("import-image", dir, &vd);
	if (r) {
		close(fd);
		return r;
	}
	r = eng_vdrive_import(vd, img, fd, starts, (size_t)n, close_disc, &diag);
	close(fd);
	if (r < 0) {
		diag_error("import-image", &diag, r);
		return r == -ENOSPC ? CLI_EXIT_LIMIT : CLI_EXIT_JOB;
	}
	eng_vdrive_get_info(vd, &vi);
	print_info(&vi, false);
	return 0;
}

/* burnfs vdrive create --media NAME [--capacity BLOCKS] DIR */
static int vdrive_create_cmd(int argc, char **argv)
{
	static const struct option lo[] = {{"media", required_argument, NULL, 'm'},
					   {"capacity", required_argument, NULL, 'c'},
					   {}};
	const char *media = NULL, *capacity = NULL, *dir;
	struct bfs_diag diag = {0};
	uint64_t cap = 0;
	int c, r;

	optind = 2, opterr = 0;
	while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
		if (c == 'm')
			media = optarg;
		else if (c == 'c')
			capacity = optarg;
		else if (c == ':')
			return usage_error("create", "%s needs a value", argv[optind - 1]);
		else
			return usage_error("create", "unknown option '%s'", argv[optind - 1]);
	}
	if (!media)
		return usage_error("create", "no medium given: --media NAME (%s)",
				   eng_vdrive_media_list());
	if (optind == argc)
		return usage_error("create", "no drive directory DIR given");
	if (optind + 1 != argc)
		return usage_error("create", "one directory at a time: '%s'", argv[optind + 1]);
	dir = argv[optind];
	if (!eng_vdrive_media_known(media))
		return usage_error("create", "'%s' is not a medium (%s)", media,
				   eng_vdrive_media_list());
	if (capacity && (r = parse_capacity("create", capacity, media, &cap)))
		return r;
	r = eng_vdrive_create(dir, media, cap, &diag); /* cap 0: the real disc's */
	return r < 0 ? diag_error("create", &diag, r) : 0;
}

/* burnfs vdrive info DIR [--json], eject DIR, load DIR: the tray and what is in it */
static int vdrive_tray(const char *sub, const char *dir, bool json)
{
	_cleanup_(eng_vdrive_closep) struct eng_vdrive *vd = NULL;
	struct eng_vdrive_info vi;
	struct bfs_diag diag = {0};
	int r = open_drive(sub, dir, &vd);

	if (r)
		return r;
	if (strcmp(sub, "info") != 0) {
		r = eng_vdrive_set_loaded(vd, strcmp(sub, "load") == 0, &diag);
		if (r < 0)
			return diag_error(sub, &diag, r);
		return 0;
	}
	eng_vdrive_get_info(vd, &vi);
	print_info(&vi, json);
	return 0;
}

/* burnfs vdrive load DIR --blank [--media NAME] [--capacity BLOCKS] */
static int vdrive_load_blank_cmd(const char *dir, const char *media, const char *capacity)
{
	_cleanup_free_ char *shelf = NULL;
	_cleanup_(eng_vdrive_closep) struct eng_vdrive *vd = NULL;
	struct eng_vdrive_info vi;
	struct bfs_diag diag = {0};
	uint64_t cap = 0;
	int r;

	if (capacity && !media)
		return usage_error("load", "--capacity needs --media NAME");
	if (media && !eng_vdrive_media_known(media))
		return usage_error("load", "'%s' is not a medium (%s)", media,
				   eng_vdrive_media_list());
	if (capacity && (r = parse_capacity("load", capacity, media, &cap)))
		return r;
	r = eng_vdrive_load_blank(dir, media, cap, &shelf, &diag);
	if (r < 0)
		return diag_error("load", &diag, r);
	printf("the previous disc is on the shelf: '%s'\n", shelf);
	r = open_drive("load", dir, &vd);
	if (r)
		return r;
	eng_vdrive_get_info(vd, &vi);
	print_info(&vi, false);
	return 0;
}

/* burnfs vdrive info|load|eject DIR [...] */
static int vdrive_tray_cmd(int argc, char **argv)
{
	const char *sub = argv[1], *dir = NULL, *media = NULL, *capacity = NULL;
	bool json = false, blank = false, is_load = strcmp(sub, "load") == 0;

	for (int i = 2; i < argc; i++) {
		if (strcmp(sub, "info") == 0 && strcmp(argv[i], "--json") == 0)
			json = true;
		else if (is_load && strcmp(argv[i], "--blank") == 0)
			blank = true;
		else if (is_load &&
			 (strcmp(argv[i], "--media") == 0 || strcmp(argv[i], "--capacity") == 0)) {
			if (i + 1 == argc)
				return usage_error(sub, "%s needs a value", argv[i]);
			*(argv[i][2] == 'm' ? &media : &capacity) = argv[i + 1];
			i++;
		} else if (argv[i][0] == '-' && argv[i][1])
			return usage_error(sub, "unknown option '%s'", argv[i]);
		else if (dir)
			return usage_error(sub, "one drive at a time: '%s'", argv[i]);
		else
			dir = argv[i];
	}
	if (!dir)
		return usage_error(sub, "no drive directory DIR given");
	if ((media || capacity) && !blank)
		return usage_error(sub, "--media and --capacity go with --blank");
	if (blank)
		return vdrive_load_blank_cmd(dir, media, capacity);
	return vdrive_tray(sub, dir, json);
}

/* burnfs vdrive export DIR -o IMG [--json] */
static int vdrive_export_cmd(int argc, char **argv)
{
	const char *dir = NULL, *out = NULL;
	bool json = false;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
			if (i + 1 == argc)
				return usage_error("export", "%s needs a file name", argv[i]);
			out = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error("export", "unknown option '%s'", argv[i]);
		} else if (dir) {
			return usage_error("export", "one drive at a time: '%s'", argv[i]);
		} else {
			dir = argv[i];
		}
	}
	if (!dir)
		return usage_error("export", "no drive directory DIR given");
	if (!out)
		return usage_error("export", "no output given: -o IMG");
	return vdrive_export(dir, out, json);
}

/* burnfs vdrive fault DIR SPEC */
static int vdrive_fault_cmd(int argc, char **argv)
{
	struct bfs_diag diag = {0};
	int r;

	if (argc < 3)
		return usage_error("fault", "no drive directory DIR given");
	if (argc < 4)
		return usage_error("fault", "no fault SPEC given");
	if (argc > 4)
		return usage_error("fault", "one fault at a time: '%s'", argv[4]);
	r = eng_vdrive_fault(argv[2], argv[3], &diag);
	if (r == -EINVAL) /* a SPEC that is no fault: the user's mistake */
		return usage_error("fault", "%s", bfs_diag_msg(&diag, r));
	if (r < 0)
		return diag_error("fault", &diag, r);
	return 0;
}

int cli_vdrive_main(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	size_t i;

	if (!sub) {
		fprintf(stderr, "burnfs vdrive: no subcommand given\n");
		vdrive_usage(stderr, NULL);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
		vdrive_usage(stdout, NULL);
		return 0;
	}
	for (i = 0; i < BFS_ARRAY_SIZE(subs) && strcmp(sub, subs[i].name) != 0; i++)
		;
	if (i == BFS_ARRAY_SIZE(subs)) {
		fprintf(stderr, "burnfs vdrive: '%s' is not a subcommand\n", sub);
		vdrive_usage(stderr, NULL);
		return CLI_EXIT_USAGE;
	}
	for (int a = 2; a < argc; a++)
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			vdrive_usage(stdout, sub);
			return 0;
		}
	if (strcmp(sub, "create") == 0)
		return vdrive_create_cmd(argc, argv);
	if (strcmp(sub, "export") == 0)
		return vdrive_export_cmd(argc, argv);
	if (strcmp(sub, "import-image") == 0)
		return vdrive_import_image(argc, argv);
	if (strcmp(sub, "fault") == 0)
		return vdrive_fault_cmd(argc, argv);
	return vdrive_tray_cmd(argc, argv);
}
