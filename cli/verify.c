/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burnfs verify IMAGE [--session LBA] [--against SRC] [--json]
 *
 * Check a session of an image file against its own manifest (/.burnfs/SHA256SUMS, the
 * default) or file by file against a source tree. Problems are listed one per line on
 * stdout ("PATH: what", names escaped as textout.h says), the summary on stderr; with
 * --json, stdout is one JSON document holding the problems and the summary.
 * Exit 0 when everything matches, 1 on any difference or read error, 2 on usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/diag.h"
#include "engine/imagefile.h"
#include "engine/sessions.h"
#include "engine/verify.h"
#include "textout.h"

struct verify_args {
	const char *image;
	const char *against;
	uint64_t session;
	bool session_given;
	bool json;
};

struct report {
	bool json;
	unsigned long problems;
};

static void print_problem(const char *path, const char *what, void *userdata)
{
	struct report *rep = userdata;

	if (rep->json) {
		fputs(rep->problems ? ",\n  {" : "\n  {", stdout);
		cli_json_name(stdout, "path", path);
		fputs(", \"what\": ", stdout);
		cli_json_str(stdout, what, strlen(what));
		fputc('}', stdout);
	} else {
		cli_text_put(stdout, path);
		fputs(": ", stdout);
		cli_text_put(stdout, what);
		fputc('\n', stdout);
	}
	rep->problems++;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: burnfs verify IMAGE [--session LBA] [--against SRC] [--json]\n"
		"       burnfs verify --drive D [--session LBA] [--against SRC|IMAGE]\n"
		"\n"
		"Check a session of IMAGE against its manifest /.burnfs/SHA256SUMS (in every\n"
		"`burnfs image` unless --no-manifest, and on every burn), or file by file\n"
		"against the directory SRC; an image of several sessions (grown with `burnfs\n"
		"image --append`, or a disc's) has every session checked against its own\n"
		"manifest unless --session or --against picks one. Differences are listed on\n"
		"stdout, one per line;\n"
		"control characters and bytes that are not UTF-8 in names are shown as \\n,\n"
		"\\t, \\r, \\xNN, and a backslash as \\\\.\n"
		"\n"
		"      --session LBA   only the session starting at block LBA (default: every\n"
		"                      session; --against: 0)\n"
		"      --against SRC   compare with the directory SRC instead of the manifest\n"
		"      --json          print one JSON document on stdout: {\"problems\": [{\"path\",\n"
		"                      \"what\"}...], \"ok\", \"files_ok\", ...}; a byte of a name\n"
		"                      that is not UTF-8 is \\u00NN, and such a name also comes\n"
		"                      as \"path_b64\", its exact bytes in base64\n"
		"\n"
		"Exit codes: 0 everything matches, 1 a difference or read error, 2 usage.\n");
}

/* 0 to go on, or the exit code (--help: 0 through *done). */
static int parse_args(int argc, char **argv, struct verify_args *a, bool *done)
{
	static const struct option longopts[] = {
		{"session", required_argument, NULL, 's'},
		{"against", required_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': {
			char *end;

			errno = 0;
			a->session = strtoull(optarg, &end, 10);
			a->session_given = true;
			if (errno || end == optarg || *end || optarg[0] == '-')
				return cli_usage_error(
					"verify", "--session: '%s' is not a block number", optarg);
			break;
		}
		case 'a':
			a->against = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			usage(stdout);
			*done = true;
			return 0;
		case ':':
			return cli_usage_error("verify", "%s needs an argument", argv[optind - 1]);
		default:
			return cli_usage_error("verify", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_usage_error("verify", "no IMAGE given (an image file, or --drive D)");
	if (optind + 1 < argc)
		return cli_usage_error("verify", "one IMAGE only: '%s' is one too many",
				       argv[optind + 1]);
	a->image = argv[optind];
	return 0;
}

static void json_summary(int r, const struct eng_verify_result *res, const struct bfs_diag *diag)
{
	printf("],\n \"ok\": %s, \"files_ok\": %llu, \"files_bad\": %llu, \"files_missing\": "
	       "%llu, \"files_extra\": %llu, \"bytes\": %llu",
	       r == 0 ? "true" : "false", (unsigned long long)res->files_ok,
	       (unsigned long long)res->files_bad, (unsigned long long)res->files_missing,
	       (unsigned long long)res->files_extra, (unsigned long long)res->bytes);
	if (r < 0 && r != -EBADMSG) {
		const char *msg = bfs_diag_msg(diag, r);

		fputs(", \"error\": ", stdout);
		cli_json_str(stdout, msg, strlen(msg));
	}
	fputs("}\n", stdout);
}

/* image: the path to name first, NULL when the message names it (the open's own) */
static void text_error(int r, const struct bfs_diag *diag, const char *image)
{
	fputs("burnfs verify: ", stderr);
	if (image) {
		fputc('\'', stderr);
		cli_text_put(stderr, image);
		fputs("': ", stderr);
	}
	cli_text_put(stderr, bfs_diag_msg(diag, r));
	fputc('\n', stderr);
	if (r == -ENOENT)
		fputs("remedy: compare with the source instead (--against SRC); images made by "
		      "`burnfs image` carry the manifest unless --no-manifest was given\n",
		      stderr);
}

static int verify_done(const struct verify_args *a, int r, const struct eng_verify_result *res,
		       const struct bfs_diag *diag);

/*
 * Every session of a multisession image against its own manifest, the results summed into
 * res: 0, -EBADMSG on a difference, another error when a session cannot be checked (each
 * said on stderr with its session). A session without a manifest of its own (another
 * program's) is named and left out, as verify --drive does; -ENOENT when none has one.
 * 1 in *single when the image has one session only (nothing checked: the caller's
 * one-session path does it, with its messages).
 */
static int verify_sessions(const struct verify_args *a, struct report *rep,
			   struct eng_verify_result *res, bool *single, struct bfs_diag *diag)
{
	_cleanup_(eng_medium_freep) struct eng_medium *med = NULL;
	_cleanup_free_ struct eng_session *s = NULL;
	size_t n = 0;
	int r = eng_medium_open(NULL, a->image, &med, diag), bad = 0;
	size_t unchecked = 0;

	if (r == 0)
		r = eng_sessions_list(med, &s, &n, diag);
	*single = r < 0 || n < 2;
	if (*single) {
		bfs_diag_clear(diag);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct eng_verify_result one = {0};

		bfs_diag_clear(diag);
		r = eng_verify_manifest(eng_medium_read, med, s[i].start, print_problem, rep, &one,
					diag);
		res->files_ok += one.files_ok, res->files_bad += one.files_bad;
		res->files_missing += one.files_missing, res->bytes += one.bytes;
		if (r == -ENOENT) { /* written by another program, as verify --drive says */
			fprintf(stderr, "burnfs verify: session %u at block %llu: ", s[i].number,
				(unsigned long long)s[i].start);
			cli_text_put(stderr, bfs_diag_msg(diag, r));
			fputs(": not checked\n", stderr);
			unchecked++;
			continue;
		}
		if (r < 0 && r != -EBADMSG) {
			fprintf(stderr, "burnfs verify: session %u at block %llu: ", s[i].number,
				(unsigned long long)s[i].start);
			cli_text_put(stderr, bfs_diag_msg(diag, r));
			fputc('\n', stderr);
			bad = bad ? bad : r;
			continue;
		}
		bad = bad ? bad : r;
		fprintf(stderr,
			"burnfs verify: session %u at block %llu: %llu files match, %llu differ, "
			"%llu missing\n",
			s[i].number, (unsigned long long)s[i].start,
			(unsigned long long)one.files_ok, (unsigned long long)one.files_bad,
			(unsigned long long)one.files_missing);
	}
	bfs_diag_clear(diag);
	if (unchecked == n) /* no session has a manifest of its own */
		return bfs_diag_set(diag, -ENOENT, "no session has a manifest of its own");
	return bad == 0 || bad == -EBADMSG
		       ? bad
		       : bfs_diag_set(diag, bad, "not every session could be checked");
}

int cli_verify_main(int argc, char **argv)
{
	struct verify_args a = {0};
	struct bfs_diag diag = {0};
	struct eng_verify_result res = {0};
	struct eng_imagefile img;
	struct report rep = {0};
	bool done = false, opened;
	int r = parse_args(argc, argv, &a, &done);

	if (r || done)
		return r;
	rep.json = a.json;
	if (a.json)
		fputs("{\"problems\": [", stdout);
	if (!a.session_given && !a.against) {
		bool single;

		r = verify_sessions(&a, &rep, &res, &single, &diag);
		if (!single)
			return verify_done(&a, r, &res, &diag);
	}
	r = eng_imagefile_open(a.image, a.session, &img, &diag);
	opened = r == 0;
	if (r == 0 && img.made_for_later)
		r = bfs_diag_set(
			&diag, -ENXIO,
			"'%s': a session made for a later block of a disc (burnfs image "
			"--start-lba, mkisofs -C): its addresses lie past the file's end; "
			"verify it on the disc (--drive D), or in an image of the whole disc "
			"with --session",
			a.image);
	if (r == 0 && !img.iso9660)
		r = bfs_diag_set(
			&diag, -EOPNOTSUPP,
			"'%s': a UDF-only session; verify reads sessions through their ISO "
			"9660 tree (every burnfs image has one unless made with --fs udf)",
			a.image);
	if (r == 0 && a.against)
		r = eng_verify_tree(eng_imagefile_read, &img, a.session, a.against, print_problem,
				    &rep, &res, &diag);
	else if (r == 0)
		r = eng_verify_manifest(eng_imagefile_read, &img, a.session, print_problem, &rep,
					&res, &diag);
	eng_imagefile_close(&img);
	if (r < 0 && r != -EBADMSG) {
		if (a.json)
			json_summary(r, &res, &diag);
		text_error(r, &diag, opened && !img.made_for_later && img.iso9660 ? a.image : NULL);
		return CLI_EXIT_JOB;
	}
	return verify_done(&a, r, &res, &diag);
}

/* The summary (JSON's end, or the line on stderr) and the exit code. */
static int verify_done(const struct verify_args *a, int r, const struct eng_verify_result *res,
		       const struct bfs_diag *diag)
{
	if (a->json)
		json_summary(r, res, diag);
	if (r < 0 && r != -EBADMSG) {
		text_error(r, diag, NULL);
		return CLI_EXIT_JOB;
	}
	fprintf(stderr,
		"burnfs verify: %llu files match (%.1f MiB read)%s%llu differ, %llu missing, "
		"%llu extra\n",
		(unsigned long long)res->files_ok, (double)res->bytes / 1048576.0, r ? "; " : ", ",
		(unsigned long long)res->files_bad, (unsigned long long)res->files_missing,
		(unsigned long long)res->files_extra);
	return r ? CLI_EXIT_JOB : 0;
}
