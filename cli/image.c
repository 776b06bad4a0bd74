/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `burnfs image SRC... -o OUT`: scan the sources, plan the image, write it to a file
 * (temporary file + rename, zero blocks left as holes) or stream it to standard output.
 * `burnfs image --append IMAGE SRC...` grows an existing image in place (engine/grow.h).
 * The image options it shares with `burnfs burn` are parsed by cli/imageopts.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#include "common/extent.h"
#include "common/log.h"
#include "engine/grow.h"
#include "engine/image.h"
#include "engine/sink.h"
#include "textout.h"

enum {
	EXIT_JOB = CLI_EXIT_JOB,
	EXIT_USAGE = CLI_EXIT_USAGE,
	EXIT_LIMIT = CLI_EXIT_LIMIT,
	EXIT_INTR = CLI_EXIT_INTR,
};

/* set by SIGINT/SIGTERM, read by this thread and the progress callbacks' answers */
static atomic_int interrupted;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&interrupted, 1);
}

static void image_usage(FILE *f)
{
	fprintf(f,
		"Usage: burnfs image SRC... -o OUT [options]\n"
		"       burnfs image --append IMAGE SRC... [--new-tree] [options]\n"
		"\n"
		"Build a hybrid ISO 9660 / Joliet / Rock Ridge / UDF image from directories and "
		"files.\n"
		"A directory SRC is merged into the image root; a file SRC goes to /NAME. OUT may\n"
		"not be a source nor lie inside a source directory.\n"
		"\n"
		"  -o, --output OUT   image file to write (temporary file + rename); '-' streams\n"
		"                     the image to standard output (not to a terminal)\n"
		"  --media cd|dvd|bd  per-media defaults (default: dvd)\n"
		"  --append IMAGE     add a session to the image file IMAGE in place, as on an\n"
		"                     overwritable disc: the image's newest tree merged with\n"
		"                     SRC (a file at an existing path replaces it), written after\n"
		"                     the used space, then the descriptors at block 16 and the\n"
		"                     anchor at 256 rewritten last; a failure leaves IMAGE as it\n"
		"                     was. Not with -o or --start-lba\n"
		"  --new-tree         with --append: the new session holds SRC only\n");
	fputs(cli_image_usage, f);
	fprintf(f,
		"  --start-lba N      address the image for a session starting at block N of\n"
		"                     a disc (like mkisofs -C); OUT holds the session only\n"
		"  --no-manifest      leave out /.burnfs/SHA256SUMS, the hidden manifest of\n"
		"                     `sha256sum -c` lines for every file that `burnfs verify`\n"
		"                     checks (in every image by default; --manifest is\n"
		"                     accepted and changes nothing)\n"
		"  --json             print a JSON summary on stdout (names as JSON strings; a\n"
		"                     byte that is not UTF-8 as \\u00NN, see `verify --help`)\n"
		"  -q, --quiet        no progress, no warnings\n"
		"\n"
		"SOURCE_DATE_EPOCH, when set, fixes every time stamp: same tree, same bytes.\n"
		"\n"
		"Exit codes: 0 success, 1 the job failed, 2 usage error, 3 the sources cannot be\n"
		"represented, 130 interrupted.\n");
}

static int exit_for(int err)
{
	switch (err) {
	case -EMLINK:
	case -EFBIG:
	case -ENAMETOOLONG:
	case -EEXIST:
	case -ELOOP:
	case -ENOSPC:
		return EXIT_LIMIT;
	case -EINTR:
		return EXIT_INTR;
	default:
		return EXIT_JOB;
	}
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void progress(uint64_t done, uint64_t total, double t0, bool final)
{
	double el = now_s() - t0, rate = el > 0 ? (double)done * BFS_BLOCK_SIZE / el : 0;
	double eta = rate > 0 ? (double)(total - done) * BFS_BLOCK_SIZE / rate : 0;
	int pct = total ? (int)(done * 100 / total) : 100, bar = pct * 30 / 100;
	char b[31];

	memset(b, '=', (size_t)bar);
	memset(b + bar, ' ', (size_t)(30 - bar));
	b[30] = '\0';
	fprintf(stderr, "\r[%s] %3d%%  %.1f / %.1f MiB  %.1f MB/s  ETA %d:%02d%s", b, pct,
		(double)done * BFS_BLOCK_SIZE / 1048576.0,
		(double)total * BFS_BLOCK_SIZE / 1048576.0, rate / 1e6, (int)eta / 60,
		(int)eta % 60, final ? "\n" : "  ");
}

/*
 * Which way to write an image file: straight into it (image-write.c: file data read,
 * hashed and written by a few threads at once, each file at its place, around the page
 * cache), or the stream, which hands blocks over in order (the way of a burn; a pipe).
 * Straight is the way unless the chunks' hashes are asked for. BURNFS_IMAGE_PATH forces
 * one, for the tests that check every way gives the same bytes: stream, direct, or
 * buffered (direct through the page cache).
 */
static const char *forced_path(void)
{
	const char *force = getenv("BURNFS_IMAGE_PATH");

	return force && *force ? force : NULL;
}

static bool direct_path(const struct eng_image_opts *io)
{
	const char *force = forced_path();

	return force ? strcmp(force, "stream") != 0 : !io->hashes;
}

struct progress_ctx {
	double t0;
	double last;
	bool tty;
};

/* The engine's progress on the terminal; a signal received stops the job (-1). */
static int progress_cb(uint64_t done, uint64_t total, void *userdata)
{
	struct progress_ctx *pc = userdata;

	if (pc->tty && done < total && now_s() - pc->last >= 0.25) {
		pc->last = now_s();
		progress(done, total, pc->t0, false);
	}
	return atomic_load(&interrupted) ? -1 : 0;
}

/* A failure, its names escaped for the terminal (textout.h). */
static void image_error(const struct bfs_diag *diag, int r)
{
	fputs("burnfs image: ", stderr);
	cli_text_put(stderr, bfs_diag_msg(diag, r));
	fputc('\n', stderr);
}

/* -o -: the image streamed to standard output, zeros written out, no temporary file. */
static int image_to_stdout(struct eng_image *img, const struct eng_image_info *info, bool quiet)
{
	struct bfs_diag diag = {0};
	bool tty = !quiet && isatty(STDERR_FILENO);
	double t0 = now_s();
	int r;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN); /* a closed pipe is EPIPE, reported */
	r = eng_sink_image(img, STDOUT_FILENO, false, "standard output", progress_cb,
			   &(struct progress_ctx){.t0 = t0, .tty = tty}, &diag);
	r = r == -ECANCELED ? -EINTR : r;
	if (r < 0) {
		if (tty)
			fputc('\n', stderr);
		image_error(&diag, r);
		return exit_for(r);
	}
	if (tty)
		progress(info->blocks, info->blocks, t0, true);
	return 0;
}

/* --append's arguments: 0, or the exit code of a usage error. */
static int check_append_args(const char *out, bool start_lba, size_t nsrcs)
{
	if (out)
		return cli_usage_error("image", "--append grows IMAGE in place: -o is not taken "
						"with it");
	if (start_lba)
		return cli_usage_error("image", "--append puts the session after the image's "
						"used space: --start-lba is not taken with it");
	if (nsrcs == 0)
		return cli_usage_error("image",
				       "no SRC given (the directories and files to add to the "
				       "image)");
	return 0;
}

/* The output and the sources as given: 0, or the exit code of a usage error. */
static int check_output_args(const char *out, size_t nsrcs, bool json)
{
	if (!out)
		return cli_usage_error("image",
				       "no output given (-o OUT, or -o - for standard output)");
	if (nsrcs == 0)
		return cli_usage_error("image",
				       "no SRC given (the directories and files to put in the "
				       "image)");
	if (strcmp(out, "-") == 0 && isatty(STDOUT_FILENO))
		return cli_usage_error("image",
				       "-o -: standard output is a terminal; redirect it to "
				       "a file or a pipe (burnfs image SRC -o - | CMD)");
	if (strcmp(out, "-") == 0 && json)
		return cli_usage_error("image", "--json needs -o FILE: with -o - standard output "
						"carries the image");
	return 0;
}

/* What `burnfs image` was asked for. */
struct image_cmd {
	struct eng_image_opts io;
	struct eng_scan_opts so;
	struct cli_image_args ia;
	const char *out;
	const char *append; /* --append IMAGE */
	bool new_tree, start_lba;
	bool json, quiet;
};

static int parse_media(const char *s, enum eng_media *ret)
{
	if (strcmp(s, "cd") == 0)
		*ret = ENG_MEDIA_CD;
	else if (strcmp(s, "dvd") == 0)
		*ret = ENG_MEDIA_DVD;
	else if (strcmp(s, "bd") == 0)
		*ret = ENG_MEDIA_BD;
	else
		return cli_usage_error("image", "--media: '%s' is not cd, dvd or bd", s);
	return 0;
}

static int parse_start_lba(const char *s, uint64_t *ret)
{
	char *end;

	errno = 0;
	*ret = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || *ret > UINT32_MAX)
		return cli_usage_error("image", "--start-lba: '%s' is not a block number", s);
	return 0;
}

/* SOURCE_DATE_EPOCH, when set, into both option sets: 0, or the exit code of a usage error. */
static int parse_epoch(struct image_cmd *ic)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (!sde || !*sde)
		return 0;
	errno = 0;
	v = strtoll(sde, &end, 10);
	if (errno || *end || end == sde)
		return cli_usage_error("image", "SOURCE_DATE_EPOCH='%s' is not a number", sde);
	ic->so.have_epoch = ic->io.have_epoch = true;
	ic->so.epoch = ic->io.epoch = v;
	return 0;
}

/* One getopt result of image's own options: 0, -1 for --help, or an exit code. */
static int image_opt(struct image_cmd *ic, int c, char **argv)
{
	switch (c) {
	case 'o':
		ic->out = optarg;
		return 0;
	case 'm':
		return parse_media(optarg, &ic->io.media);
	case 'j':
		ic->json = true;
		return 0;
	case 'M':
		ic->io.manifest = true;
		return 0;
	case 'N':
		ic->io.manifest = false;
		return 0;
	case 'S':
		ic->start_lba = true;
		return parse_start_lba(optarg, &ic->io.start_lba);
	case 'A':
		ic->append = optarg;
		return 0;
	case 'T':
		ic->new_tree = true;
		return 0;
	case 'q':
		ic->quiet = true;
		return 0;
	case 'h':
		image_usage(stdout);
		return -1;
	case ':':
		return cli_usage_error("image", "%s needs an argument", argv[optind - 1]);
	default:
		return cli_usage_error("image", "unknown option '%s'", argv[optind - 1]);
	}
}

/* The command line into ic: 0 to go on, else the exit code (0 after --help is -1). */
static int image_parse(struct image_cmd *ic, int argc, char **argv)
{
	static const struct option own[] = {
		{"output", required_argument, NULL, 'o'},
		{"media", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{"manifest", no_argument, NULL, 'M'},
		{"no-manifest", no_argument, NULL, 'N'},
		{"start-lba", required_argument, NULL, 'S'},
		{"append", required_argument, NULL, 'A'},
		{"new-tree", no_argument, NULL, 'T'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct option lo[32];
	int c, r;

	(void)cli_longopts_join(own, lo, BFS_ARRAY_SIZE(lo));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qh", lo, NULL)) != -1) {
		r = cli_image_opt(&ic->ia, c, optarg);
		if (r < 0)
			return r == -ENOMEM ? EXIT_JOB : EXIT_USAGE;
		if (r == 0 && (r = image_opt(ic, c, argv)) != 0)
			return r;
	}
	for (int i = optind; i < argc; i++)
		cli_image_add_source(&ic->ia, argv[i]);
	if (ic->new_tree && !ic->append)
		return cli_usage_error("image", "--new-tree is for --append IMAGE");
	r = ic->append ? check_append_args(ic->out, ic->start_lba, ic->ia.nsrcs)
		       : check_output_args(ic->out, ic->ia.nsrcs, ic->json);
	if (r)
		return r;
	if (cli_image_args_check(&ic->ia) < 0)
		return EXIT_USAGE;
	return parse_epoch(ic);
}

static void print_json(const struct eng_image_info *info, const char *out, unsigned nwarnings,
		       double seconds)
{
	const char *sep = "";

	printf("{\"output\": ");
	cli_json_str(stdout, out, strlen(out));
	printf(", \"blocks\": %llu, \"bytes\": %llu, \"file_systems\": [",
	       (unsigned long long)info->blocks, (unsigned long long)info->blocks * BFS_BLOCK_SIZE);
	if (info->iso9660)
		printf("%s\"iso9660\"", sep), sep = ", ";
	if (info->joliet)
		printf("%s\"joliet\"", sep), sep = ", ";
	if (info->rockridge)
		printf("%s\"rockridge\"", sep), sep = ", ";
	if (info->udf)
		printf("%s\"udf\"", sep);
	printf("], \"iso_level\": %u, \"udf_revision\": \"%x.%02x\", \"files\": %llu, "
	       "\"directories\": %llu, \"symlinks\": %llu, \"specials\": %llu, "
	       "\"data_bytes\": %llu, \"warnings\": %u, \"seconds\": %.3f}\n",
	       info->iso_level, info->udf_rev >> 8, info->udf_rev & 0xff,
	       (unsigned long long)info->stats.files, (unsigned long long)info->stats.dirs,
	       (unsigned long long)info->stats.symlinks, (unsigned long long)info->stats.specials,
	       (unsigned long long)info->stats.data_bytes, nwarnings, seconds);
}

/* A temporary file next to out, with the mode a new file gets; -1 said on stderr. */
static int open_temp(const char *out, char **ret_tmp)
{
	_cleanup_free_ char *d1 = strdup(out), *d2 = strdup(out);
	mode_t um;
	int fd;

	*ret_tmp = NULL;
	if (!d1 || !d2 || asprintf(ret_tmp, "%s/.%s.burnfs-XXXXXX", dirname(d1), basename(d2)) < 0)
		return -1;
	fd = mkostemp(*ret_tmp, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "burnfs image: '%s': cannot create: %m\n", out);
		free(*ret_tmp);
		*ret_tmp = NULL;
		return -1;
	}
	um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	return fd;
}

/* Write the image into fd (a new file), straight or by the stream. */
static int write_image_fd(const struct image_cmd *ic, struct eng_image *img, int fd, bool tty,
			  double t0, struct bfs_diag *diag)
{
	int r;

	if (direct_path(&ic->io)) {
		struct progress_ctx pc = {.t0 = t0, .tty = tty};

		r = eng_image_write_fd(img, fd, progress_cb, &pc);
		return r == -ECANCELED ? -EINTR : r;
	}
	r = eng_sink_image(img, fd, true, ic->out, progress_cb,
			   &(struct progress_ctx){.t0 = t0, .tty = tty}, diag);
	return r == -ECANCELED ? -EINTR : r;
}

/* The image into the file out (temporary file, then renamed into place): an exit code. */
static int image_to_file(struct image_cmd *ic, struct eng_image *img,
			 const struct eng_image_info *info, struct bfs_diag *diag)
{
	_cleanup_free_ char *tmp = NULL;
	bool tty = !ic->quiet && isatty(STDERR_FILENO);
	double t0 = now_s();
	int fd, r;

	fd = open_temp(ic->out, &tmp);
	if (fd < 0)
		return EXIT_JOB;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	r = write_image_fd(ic, img, fd, tty, t0, diag);
	if (r == 0 && ftruncate(fd, (off_t)(info->blocks * BFS_BLOCK_SIZE)) < 0)
		r = bfs_diag_set(diag, -errno, "'%s': %m", ic->out);
	if (close(fd) < 0 && r == 0)
		r = bfs_diag_set(diag, -errno, "'%s': %m", ic->out);
	if (r == 0 && rename(tmp, ic->out) < 0)
		r = bfs_diag_set(diag, -errno, "'%s': cannot rename into place: %m", ic->out);
	if (r < 0) {
		(void)unlink(tmp);
		if (tty)
			fputc('\n', stderr);
		image_error(diag, r);
		return exit_for(r);
	}
	if (tty)
		progress(info->blocks, info->blocks, t0, true);
	if (ic->json)
		print_json(info, ic->out, diag->nwarnings, now_s() - t0);
	return 0;
}

/* What --append did, on stderr (and the JSON summary on stdout). */
static void grow_report(const struct image_cmd *ic, const struct eng_grow_result *g,
			unsigned nwarnings, double seconds)
{
	const struct eng_append_info *ai = &g->append;

	if (g->appended && !ic->quiet)
		fprintf(stderr,
			"burnfs image: the image's tree (session %u, %s) is carried over: %llu "
			"files stay where they are, %llu copied, %llu replaced\n",
			ai->session, eng_tree_fs_name(ai->tree), (unsigned long long)ai->kept,
			(unsigned long long)ai->copied, (unsigned long long)ai->replaced);
	if (g->udf_unseen)
		fprintf(stderr, "burnfs image: warning: block 256 of the image is no UDF anchor "
				"(its first session has no UDF): the new session's UDF volume is "
				"read at its own anchor only; its ISO 9660 tree is what readers "
				"see\n");
	if (!ic->quiet)
		fprintf(stderr, "burnfs image: session %zu at block %llu, %llu blocks (%.1f MiB)\n",
			g->sessions, (unsigned long long)g->start, (unsigned long long)g->blocks,
			(double)g->blocks * BFS_BLOCK_SIZE / 1048576.0);
	if (!ic->json)
		return;
	printf("{\"image\": ");
	cli_json_str(stdout, ic->append, strlen(ic->append));
	printf(", \"session\": %zu, \"start\": %llu, \"blocks\": %llu, \"merged\": %s, "
	       "\"kept\": %llu, \"copied\": %llu, \"replaced\": %llu, \"warnings\": %u, "
	       "\"seconds\": %.3f}\n",
	       g->sessions, (unsigned long long)g->start, (unsigned long long)g->blocks,
	       g->appended ? "true" : "false", (unsigned long long)ai->kept,
	       (unsigned long long)ai->copied, (unsigned long long)ai->replaced, nwarnings,
	       seconds);
}

/* --append IMAGE: the scanned tree grown into the image in place; an exit code. */
static int image_append(struct image_cmd *ic, struct bfs_node *root, struct bfs_diag *diag)
{
	struct progress_ctx pc = {.t0 = now_s(), .tty = !ic->quiet && isatty(STDERR_FILENO)};
	struct eng_grow_result g;
	int r;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	r = eng_image_grow(ic->append, root, &ic->io, ic->new_tree, progress_cb, &pc, &g, diag);
	if (pc.tty)
		fputc('\n', stderr);
	if (r < 0) {
		image_error(diag, r);
		fprintf(stderr, "burnfs image: '%s' was left as it was\n", ic->append);
		return exit_for(r);
	}
	grow_report(ic, &g, diag->nwarnings, now_s() - pc.t0);
	return 0;
}

int cli_image_main(int argc, char **argv)
{
	struct image_cmd ic = {
		.io = {.media = ENG_MEDIA_DVD, .ring_bytes = 1u << 20, .manifest = true},
	};
	_cleanup_(bfs_node_freep) struct bfs_node *root = NULL;
	_cleanup_(eng_image_freep) struct eng_image *img = NULL;
	struct bfs_diag diag = {0};
	struct eng_image_info info;
	int r;

	if (cli_image_args_init(&ic.ia, "image", argc, &ic.io, &ic.so) < 0)
		return EXIT_JOB;
	r = image_parse(&ic, argc, argv);
	if (r != 0) {
		cli_image_args_done(&ic.ia);
		return r < 0 ? 0 : r;
	}
	if (ic.quiet)
		bfs_log_set_level(LOG_ERR);
	/* refused when it is a source or inside one, before any write */
	ic.so.output = ic.append ? ic.append : ic.out;
	r = eng_scan(ic.ia.srcs, ic.ia.nsrcs, &ic.so, &diag, &root);
	if (r < 0) {
		/* -EINVAL: the output is a source or inside one, a usage error */
		cli_image_args_done(&ic.ia);
		image_error(&diag, r);
		return r == -EINVAL ? EXIT_USAGE : exit_for(r);
	}
	if (ic.append) {
		r = image_append(&ic, root, &diag);
		cli_image_args_done(&ic.ia);
		return r;
	}
	ic.io.page_cache = forced_path() && strcmp(forced_path(), "buffered") == 0;
	r = eng_image_new(&ic.io, root, &diag, &img);
	if (r < 0) {
		cli_image_args_done(&ic.ia);
		image_error(&diag, r);
		return exit_for(r);
	}
	eng_image_info(img, &info);
	if (strcmp(ic.out, "-") == 0)
		r = image_to_stdout(img, &info, ic.quiet);
	else
		r = image_to_file(&ic, img, &info, &diag);
	cli_image_args_done(&ic.ia);
	return r;
}
