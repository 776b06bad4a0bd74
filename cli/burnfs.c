/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The burnfs command.
 *
 * Exit codes (also in README.md and `burnfs --help`):
 *	0	success
 *	1	the job failed (a source unreadable or changed while read, an I/O error)
 *	2	usage error (bad option or argument)
 *	3	the sources cannot be represented (path table or size limits, name clash)
 *	130	interrupted (SIGINT/SIGTERM); nothing is left behind
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#include "cli.h"

#include "common/extent.h"
#include "common/log.h"
#include "engine/image.h"
#include "textout.h"

enum {
	EXIT_JOB = 1,
	EXIT_USAGE = 2,
	EXIT_LIMIT = 3,
	EXIT_INTR = 130,
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: burnfs image SRC... -o OUT [options]\n"
		"       burnfs verify IMAGE [--session LBA] [--against SRC] [--json]\n"
		"       burnfs burn SRC... --drive D [--verify none|quick|full] [--close]\n"
		"       burnfs info|erase|eject|verify --drive D\n"
		"       burnfs drives [--json]\n"
		"       burnfs mount [--drive D] [--staging DIR] [--allow-other] MOUNTPOINT\n"
		"       burnfs umount MOUNTPOINT\n"
		"       burnfs commit MOUNTPOINT [--verify none|quick|full] [--close] [--speed X]\n"
		"                     [--simulate] [--notify]\n"
		"       burnfs status MOUNTPOINT [--json]\n"
		"       burnfs vdrive create|info|export|load|eject|fault ...\n"
		"       burnfs --version\n"
		"\n"
		"`burnfs COMMAND --help` prints the options of COMMAND.\n"
		"\n"
		"Exit codes: 0 success, 1 the job failed, 2 usage error, 3 the sources cannot be\n"
		"represented, 130 interrupted.\n");
}

static void image_usage(FILE *f)
{
	fprintf(f,
		"Usage: burnfs image SRC... -o OUT [options]\n"
		"\n"
		"Build a hybrid ISO 9660 / Joliet / Rock Ridge / UDF image from directories and "
		"files.\n"
		"A directory SRC is merged into the image root; a file SRC goes to /NAME. OUT may\n"
		"not be a source nor lie inside a source directory.\n"
		"\n"
		"  -o, --output OUT        image file to write (temporary file + rename); '-' streams\n"
		"                          the image to standard output (not to a terminal)\n"
		"      --media cd|dvd|bd   per-media defaults (default: dvd)\n"
		"      --fs LIST           file systems: iso9660,joliet,rockridge,udf\n"
		"      --udf-rev REV       1.02, 2.01 or 2.50\n"
		"      --iso-level N       2 or 3 (default: 2, 3 for BD or files >= 4 GiB)\n"
		"      --volid NAME        volume identifier (default: BURNFS)\n"
		"      --graft SRC=/DEST   put SRC at /DEST in the image (repeatable)\n"
		"      --exclude GLOB      leave out names or image paths matching GLOB\n"
		"      --start-lba N       address the image for a session starting at block N of\n"
		"                          a disc (like mkisofs -C); OUT holds the session only\n"
		"      --rr-relocate       move directories deeper than 8 levels to a hidden\n"
		"                          /.rr_moved (Rock Ridge CL/PL/RE) instead of writing\n"
		"                          deep paths (the default)\n"
		"      --no-manifest       leave out /.burnfs/SHA256SUMS, the hidden manifest of\n"
		"                          `sha256sum -c` lines for every file that `burnfs verify`\n"
		"                          checks (in every image by default; --manifest is\n"
		"                          accepted and changes nothing)\n"
		"      --json              print a JSON summary on stdout (names as JSON strings; a\n"
		"                          byte that is not UTF-8 as \\u00NN, see `verify --help`)\n"
		"  -q, --quiet             no progress, no warnings\n"
		"\n"
		"SOURCE_DATE_EPOCH, when set, fixes every time stamp: same tree, same bytes.\n"
		"\n"
		"Exit codes: 0 success, 1 the job failed, 2 usage error, 3 the sources cannot be\n"
		"represented, 130 interrupted.\n");
}

static int image_usage_error(const char *fmt, ...) BFS_PRINTF(1, 2);
static int image_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("burnfs image: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'burnfs image --help'.\n", stderr);
	return EXIT_USAGE;
}

static int parse_fs(const char *s, struct eng_image_opts *o)
{
	_cleanup_free_ char *copy = strdup(s);
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
		else {
			fprintf(stderr, "burnfs image: --fs: unknown file system '%s'\n", t);
			return -EINVAL;
		}
	}
	if ((o->joliet || o->rockridge) && !o->iso9660) {
		fprintf(stderr, "burnfs image: --fs: joliet and rockridge need iso9660\n");
		return -EINVAL;
	}
	if (!o->iso9660 && !o->udf) {
		fprintf(stderr, "burnfs image: --fs: no file system given\n");
		return -EINVAL;
	}
	return 0;
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
 * Which way to write an image file: copying file data inside the kernel wins for large
 * files (one copy instead of two); the two-thread stream wins for many small ones (one
 * thread opens and reads while the other writes). BURNFS_IMAGE_PATH=direct|stream forces
 * one, for the tests that check both give the same bytes.
 */
static bool direct_path(const struct eng_image_info *info)
{
	const char *force = getenv("BURNFS_IMAGE_PATH");

	if (force && strcmp(force, "direct") == 0)
		return true;
	if (force && strcmp(force, "stream") == 0)
		return false;
	return info->stats.files && info->stats.data_bytes / info->stats.files >= (1u << 20);
}

struct progress_ctx {
	double t0;
	double last;
	bool tty;
};

static void progress_cb(uint64_t done, uint64_t total, void *userdata)
{
	struct progress_ctx *pc = userdata;

	if (pc->tty && done < total && now_s() - pc->last >= 0.25) {
		pc->last = now_s();
		progress(done, total, pc->t0, false);
	}
}

static bool zero_block(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)(const void *)p;

	for (size_t i = 0; i < BFS_BLOCK_SIZE / 8; i++)
		if (q[i])
			return false;
	return true;
}

/* Write n blocks at block offset pos, leaving all-zero blocks as holes. */
static int write_sparse(int fd, const uint8_t *buf, size_t n, uint64_t pos)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		bool z = zero_block(buf + i * BFS_BLOCK_SIZE);

		while (j < n && zero_block(buf + j * BFS_BLOCK_SIZE) == z)
			j++;
		if (!z) {
			const uint8_t *p = buf + i * BFS_BLOCK_SIZE;
			size_t len = (j - i) * BFS_BLOCK_SIZE;
			off_t off = (off_t)((pos + i) * BFS_BLOCK_SIZE);

			while (len > 0) {
				ssize_t w = pwrite(fd, p, len, off);

				if (w < 0) {
					if (errno == EINTR)
						continue;
					return -errno;
				}
				p += w, len -= (size_t)w, off += w;
			}
		}
		i = j;
	}
	return 0;
}

/* Write all of buf to a pipe or file at its current offset. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w, len -= (size_t)w;
	}
	return 0;
}

/*
 * Pull the image's blocks from the stream (already started) into fd until total: at their
 * block offsets with all-zero blocks left as holes (sparse, a file), or in order with the
 * zeros written (a pipe, which cannot seek).
 */
static int stream_blocks(struct eng_image *img, uint64_t total, int fd, bool sparse,
			 const char *name, bool tty, double t0, struct bfs_diag *diag)
{
	const uint8_t *buf;
	uint64_t pos = 0;
	double last = 0;
	int r;

	while (pos < total) {
		ssize_t n;

		if (interrupted)
			return bfs_diag_set(diag, -EINTR, "interrupted");
		n = eng_stream_peek(img, 512, &buf);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		r = sparse ? write_sparse(fd, buf, (size_t)n, pos)
			   : write_all(fd, buf, (size_t)n * BFS_BLOCK_SIZE);
		eng_stream_consume(img, (size_t)n);
		if (r < 0) {
			bfs_diag_clear(diag);
			return bfs_diag_set(diag, r, "'%s': write error: %s", name, strerror(-r));
		}
		pos += (uint64_t)n;
		if (tty && now_s() - last >= 0.25) {
			last = now_s();
			progress(pos, total, t0, false);
		}
	}
	if (pos != total)
		return bfs_diag_set(diag, -EIO, "internal error: streamed %llu blocks of %llu",
				    (unsigned long long)pos, (unsigned long long)total);
	return 0;
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
	r = eng_stream_start(img);
	if (r == 0)
		r = stream_blocks(img, info->blocks, STDOUT_FILENO, false, "standard output", tty,
				  t0, &diag);
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

/* The output and the sources as given: 0, or the exit code of a usage error. */
static int check_output_args(const char *out, size_t nsrcs, bool json)
{
	if (!out)
		return image_usage_error("no output given (-o OUT, or -o - for standard output)");
	if (nsrcs == 0)
		return image_usage_error("no SRC given (the directories and files to put in the "
					 "image)");
	if (strcmp(out, "-") == 0 && isatty(STDOUT_FILENO))
		return image_usage_error("-o -: standard output is a terminal; redirect it to "
					 "a file or a pipe (burnfs image SRC -o - | CMD)");
	if (strcmp(out, "-") == 0 && json)
		return image_usage_error("--json needs -o FILE: with -o - standard output "
					 "carries the image");
	return 0;
}

static int cmd_image(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"media", required_argument, NULL, 'm'},
		{"fs", required_argument, NULL, 'f'},
		{"udf-rev", required_argument, NULL, 'u'},
		{"iso-level", required_argument, NULL, 'l'},
		{"volid", required_argument, NULL, 'V'},
		{"graft", required_argument, NULL, 'g'},
		{"exclude", required_argument, NULL, 'x'},
		{"json", no_argument, NULL, 'j'},
		{"manifest", no_argument, NULL, 'M'},
		{"no-manifest", no_argument, NULL, 'N'},
		{"start-lba", required_argument, NULL, 'S'},
		{"rr-relocate", no_argument, NULL, 'R'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct eng_image_opts io = {
		.media = ENG_MEDIA_DVD, .ring_bytes = 1u << 20, .manifest = true};
	struct eng_scan_opts so = {0};
	_cleanup_free_ struct eng_source *srcs = NULL;
	_cleanup_free_ const char **excl = NULL;
	_cleanup_(bfs_node_freep) struct bfs_node *root = NULL;
	_cleanup_(eng_image_freep) struct eng_image *img = NULL;
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	struct bfs_diag diag = {0};
	struct eng_image_info info;
	const char *out = NULL, *sde;
	size_t nsrcs = 0, nexcl = 0;
	bool json = false, quiet = false, tty = false;
	double t0;
	uint64_t pos = 0;
	int c, r;

	srcs = bfs_new(struct eng_source, (size_t)argc);
	excl = bfs_new(const char *, (size_t)argc);
	if (!srcs || !excl)
		return EXIT_JOB;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "cd") == 0)
				io.media = ENG_MEDIA_CD;
			else if (strcmp(optarg, "dvd") == 0)
				io.media = ENG_MEDIA_DVD;
			else if (strcmp(optarg, "bd") == 0)
				io.media = ENG_MEDIA_BD;
			else {
				fprintf(stderr,
					"burnfs image: --media: '%s' is not cd, dvd or bd\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			if (parse_fs(optarg, &io) < 0)
				return EXIT_USAGE;
			break;
		case 'u':
			if (strcmp(optarg, "1.02") == 0)
				io.udf_rev = 0x0102;
			else if (strcmp(optarg, "2.01") == 0)
				io.udf_rev = 0x0201;
			else if (strcmp(optarg, "2.50") == 0)
				io.udf_rev = 0x0250;
			else {
				fprintf(stderr,
					"burnfs image: --udf-rev: '%s' is not 1.02, 2.01 or 2.50\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'l':
			if (strcmp(optarg, "2") && strcmp(optarg, "3")) {
				fprintf(stderr, "burnfs image: --iso-level: '%s' is not 2 or 3\n",
					optarg);
				return EXIT_USAGE;
			}
			io.iso_level = (unsigned)atoi(optarg);
			break;
		case 'V':
			if (!*optarg || strlen(optarg) > 32) {
				fprintf(stderr, "burnfs image: --volid: 1 to 32 characters\n");
				return EXIT_USAGE;
			}
			io.volume_id = optarg;
			break;
		case 'g': {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || eq[1] != '/' || !eq[2]) {
				fprintf(stderr, "burnfs image: --graft: '%s' is not SRC=/DEST\n",
					optarg);
				return EXIT_USAGE;
			}
			*eq = '\0';
			srcs[nsrcs++] = (struct eng_source){.path = optarg, .dest = eq + 1};
			break;
		}
		case 'x':
			excl[nexcl++] = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'M':
			io.manifest = true;
			break;
		case 'N':
			io.manifest = false;
			break;
		case 'R':
			io.rr_relocate = true;
			break;
		case 'S': {
			char *end;

			errno = 0;
			io.start_lba = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    io.start_lba > UINT32_MAX) {
				fprintf(stderr,
					"burnfs image: --start-lba: '%s' is not a block number\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'q':
			quiet = true;
			break;
		case 'h':
			image_usage(stdout);
			return 0;
		case ':':
			return image_usage_error("%s needs an argument", argv[optind - 1]);
		default:
			return image_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++)
		srcs[nsrcs++] = (struct eng_source){.path = argv[i]};
	r = check_output_args(out, nsrcs, json);
	if (r)
		return r;
	if (io.udf_rev && !io.udf && (io.iso9660 || io.joliet || io.rockridge)) {
		fprintf(stderr, "burnfs image: --udf-rev given but --fs has no udf\n");
		return EXIT_USAGE;
	}
	sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(sde, &end, 10);
		if (errno || *end || end == sde) {
			fprintf(stderr, "burnfs image: SOURCE_DATE_EPOCH='%s' is not a number\n",
				sde);
			return EXIT_USAGE;
		}
		so.have_epoch = io.have_epoch = true;
		so.epoch = io.epoch = v;
	}
	if (quiet)
		bfs_log_set_level(LOG_ERR);
	so.excludes = excl;
	so.nexcludes = nexcl;
	so.output = out; /* refused when it is a source or inside one, before any write */

	r = eng_scan(srcs, nsrcs, &so, &diag, &root);
	if (r < 0) {
		image_error(&diag, r);
		return r == -EINVAL ? EXIT_USAGE : exit_for(r);
	}
	r = eng_image_new(&io, root, &diag, &img);
	if (r < 0) {
		image_error(&diag, r);
		return exit_for(r);
	}
	eng_image_info(img, &info);
	if (strcmp(out, "-") == 0)
		return image_to_stdout(img, &info, quiet);

	{
		_cleanup_free_ char *d1 = strdup(out), *d2 = strdup(out);

		if (!d1 || !d2 ||
		    asprintf(&tmp, "%s/.%s.burnfs-XXXXXX", dirname(d1), basename(d2)) < 0)
			return EXIT_JOB;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "burnfs image: '%s': cannot create: %m\n", out);
		free(tmp);
		tmp = NULL;
		return EXIT_JOB;
	}
	{
		mode_t um = umask(0);

		umask(um);
		(void)fchmod(fd, 0666 & ~um);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	tty = !quiet && isatty(STDERR_FILENO);
	t0 = now_s();
	if (!io.hashes && !io.manifest && direct_path(&info)) {
		/* no hashes wanted: file data is copied inside the kernel */
		struct progress_ctx pc = {.t0 = t0, .tty = tty};

		r = eng_image_write_fd(img, fd, &interrupted, progress_cb, &pc);
		if (r == -ECANCELED)
			r = -EINTR;
		if (r < 0)
			goto fail;
		pos = info.blocks;
	} else {
		r = eng_stream_start(img);
		if (r < 0)
			goto fail;
	}
	if (pos < info.blocks) {
		r = stream_blocks(img, info.blocks, fd, true, out, tty, t0, &diag);
		if (r < 0)
			goto fail;
		pos = info.blocks;
	}
	if (ftruncate(fd, (off_t)(pos * BFS_BLOCK_SIZE)) < 0 || close(fd) < 0) {
		fd = -1;
		r = bfs_diag_set(&diag, -errno, "'%s': %m", out);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, out) < 0) {
		r = bfs_diag_set(&diag, -errno, "'%s': cannot rename into place: %m", out);
		goto fail;
	}
	if (tty)
		progress(pos, info.blocks, t0, true);
	if (json) {
		printf("{\"output\": ");
		cli_json_str(stdout, out, strlen(out));
		printf(", \"blocks\": %llu, \"bytes\": %llu, \"file_systems\": [",
		       (unsigned long long)info.blocks,
		       (unsigned long long)info.blocks * BFS_BLOCK_SIZE);
		{
			const char *sep = "";

			if (info.iso9660)
				printf("%s\"iso9660\"", sep), sep = ", ";
			if (info.joliet)
				printf("%s\"joliet\"", sep), sep = ", ";
			if (info.rockridge)
				printf("%s\"rockridge\"", sep), sep = ", ";
			if (info.udf)
				printf("%s\"udf\"", sep);
		}
		printf("], \"iso_level\": %u, \"udf_revision\": \"%x.%02x\", \"files\": %llu, "
		       "\"directories\": %llu, \"symlinks\": %llu, \"specials\": %llu, "
		       "\"data_bytes\": %llu, \"warnings\": %u, \"seconds\": %.3f}\n",
		       info.iso_level, info.udf_rev >> 8, info.udf_rev & 0xff,
		       (unsigned long long)info.stats.files, (unsigned long long)info.stats.dirs,
		       (unsigned long long)info.stats.symlinks,
		       (unsigned long long)info.stats.specials,
		       (unsigned long long)info.stats.data_bytes, diag.nwarnings, now_s() - t0);
	}
	free(tmp);
	tmp = NULL;
	return 0;
fail:
	if (tmp)
		(void)unlink(tmp);
	if (tty)
		fputc('\n', stderr);
	image_error(&diag, r);
	return exit_for(r);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("burnfs %s\n", BFS_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "image") == 0)
		return cmd_image(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0) {
		for (int i = 2; i < argc; i++)
			if (strncmp(argv[i], "--drive", 7) == 0)
				return cli_drive_main(argc - 1, argv + 1);
		return cli_verify_main(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "drives") == 0)
		return cli_drives_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "mount") == 0 || strcmp(argv[1], "umount") == 0)
		return cli_mount_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "commit") == 0 || strcmp(argv[1], "status") == 0)
		return cli_commit_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "vdrive") || !strcmp(argv[1], "burn") || !strcmp(argv[1], "info") ||
	    !strcmp(argv[1], "erase") || !strcmp(argv[1], "eject"))
		return cli_drive_main(argc - 1, argv + 1);
	fprintf(stderr,
		"burnfs: '%s' is not a burnfs command (this build has: image, verify, burn, info, "
		"erase, eject, vdrive, drives, mount, umount, commit, status)\n",
		argv[1]);
	return EXIT_USAGE;
}
