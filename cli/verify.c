/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burnfs verify IMAGE [--session LBA] [--against SRC] [--json]
 *
 * Check a session of an image file against its own manifest (/.burnfs/SHA256SUMS, the
 * default) or file by file against a source tree. Problems are listed one per line on
 * stdout ("PATH: what"), the summary on stderr (or as JSON on stdout with --json).
 * Exit 0 when everything matches, 1 on any difference or read error, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "common/diag.h"
#include "engine/verify.h"

struct image_file {
	int fd;
	uint64_t blocks;
};

static int image_read(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf)
{
	struct image_file *f = userdata;
	size_t len = (size_t)n * 2048, done = 0;

	if (lba > f->blocks || n > f->blocks - lba)
		return -ENXIO;
	while (done < len) {
		ssize_t g = pread(f->fd, buf + done, len - done, (off_t)(lba * 2048 + done));

		if (g < 0 && errno == EINTR)
			continue;
		if (g <= 0)
			return g < 0 ? -errno : -ENXIO;
		done += (size_t)g;
	}
	return 0;
}

static void print_problem(const char *path, const char *what, void *userdata)
{
	unsigned long *n = userdata;

	(*n)++;
	printf("%s: %s\n", path, what);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: burnfs verify IMAGE [--session LBA] [--against SRC] [--json]\n"
		   "\n"
		   "Check a session of IMAGE against its manifest /.burnfs/SHA256SUMS (made by\n"
		   "`burnfs image --manifest` and by every burn), or file by file against the\n"
		   "directory SRC. Differences are listed on stdout, one per line.\n"
		   "\n"
		   "      --session LBA   the session starting at block LBA (default 0)\n"
		   "      --against SRC   compare with the directory SRC instead of the manifest\n"
		   "      --json          print the summary as JSON on stdout\n"
		   "\n"
		   "Exit codes: 0 everything matches, 1 a difference or read error, 2 usage.\n");
}

int cli_verify_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"session", required_argument, NULL, 's'},
		{"against", required_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct bfs_diag diag = {0};
	struct eng_verify_result res;
	struct image_file img;
	const char *against = NULL;
	uint64_t session = 0;
	unsigned long problems = 0;
	bool json = false;
	struct stat st;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': {
			char *end;

			errno = 0;
			session = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				fprintf(stderr,
					"burnfs verify: --session: '%s' is not a block number\n",
					optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case 'a':
			against = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	img.fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (img.fd < 0 || fstat(img.fd, &st) < 0) {
		fprintf(stderr, "burnfs verify: '%s': %m\n", argv[optind]);
		return CLI_EXIT_JOB;
	}
	img.blocks = (uint64_t)st.st_size / 2048;
	if (against)
		r = eng_verify_tree(image_read, &img, session, against, print_problem, &problems,
				    &res, &diag);
	else
		r = eng_verify_manifest(image_read, &img, session, print_problem, &problems, &res,
					&diag);
	close(img.fd);
	if (json) {
		printf("{\"ok\": %s, \"files_ok\": %llu, \"files_bad\": %llu, \"files_missing\": "
		       "%llu, \"files_extra\": %llu, \"bytes\": %llu}\n",
		       r == 0 ? "true" : "false", (unsigned long long)res.files_ok,
		       (unsigned long long)res.files_bad, (unsigned long long)res.files_missing,
		       (unsigned long long)res.files_extra, (unsigned long long)res.bytes);
	}
	if (r < 0 && r != -EBADMSG) {
		fprintf(stderr, "burnfs verify: '%s': %s\n", argv[optind], bfs_diag_msg(&diag, r));
		return CLI_EXIT_JOB;
	}
	fprintf(stderr,
		"burnfs verify: %llu files match (%.1f MiB read)%s%llu differ, %llu missing, "
		"%llu extra\n",
		(unsigned long long)res.files_ok, (double)res.bytes / 1048576.0, r ? "; " : ", ",
		(unsigned long long)res.files_bad, (unsigned long long)res.files_missing,
		(unsigned long long)res.files_extra);
	return r ? CLI_EXIT_JOB : 0;
}
