/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burnfs sessions, ls and extract: the sessions of a disc or an image file, the tree of
 * one of them, and files copied out of it. The medium, its sessions and the choice of a
 * session's tree are the engine's (engine/sessions.h, engine/disctree.h); this file reads
 * the options and prints. Extraction is cli/extract.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "inspect.h"
#include "textout.h"

enum { INSP_HELP = -1 };

static void usage(FILE *f, const char *cmd)
{
	if (strcmp(cmd, "sessions") == 0)
		fprintf(f,
			"Usage: burnfs sessions --drive D|IMAGE [--json]\n"
			"\n"
			"The sessions of the disc in drive D or of the image file IMAGE: number,\n"
			"first block, length, file systems, volume id, date, the tree read\n"
			"(UDF, else Rock Ridge, else Joliet, else ISO 9660) and its files.\n");
	else if (strcmp(cmd, "ls") == 0)
		fprintf(f,
			"Usage: burnfs ls --drive D|IMAGE [--session N] [-l] [-R] [PATH]\n"
			"\n"
			"List PATH (default /) in session N (default: the last) of the disc in\n"
			"drive D or of IMAGE. -l: mode, links, owner, group, size, time; -R: every\n"
			"directory below. Names are escaped as burnfs writes them everywhere.\n");
	else
		fprintf(f,
			"Usage: burnfs extract --drive D|IMAGE [--session N] PATH... -o DIR\n"
			"\n"
			"Copy PATH (a file or a whole directory; / for everything) out of session N\n"
			"(default: the last) into DIR, which must be new or empty: nothing in it is\n"
			"overwritten. Modes, times, symbolic links and hard links are kept (owners\n"
			"too when run as root); zisofs files come out inflated.\n");
	fprintf(f,
		"Drive addresses: vdrive:DIR, /dev/srN, /dev/sgN, iscsi://HOST[:PORT]/IQN/LUN.\n");
}

static int parse_session(const struct insp_args *a, const char *arg, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v == 0 || v > UINT_MAX)
		return cli_usage_error(a->cmd, "--session '%s': not a session number (1, 2, ...)",
				       arg);
	*ret = (unsigned)v;
	return 0;
}

/* One option c of command a->cmd: 0, INSP_HELP, or an exit code. */
static int take_opt(struct insp_args *a, int c, char **argv)
{
	bool ls = strcmp(a->cmd, "ls") == 0, ex = strcmp(a->cmd, "extract") == 0;

	if (c == 'd')
		a->drive = optarg;
	else if (c == 's' && (ls || ex))
		return parse_session(a, optarg, &a->session);
	else if (c == 'j' && strcmp(a->cmd, "sessions") == 0)
		a->json = true;
	else if (c == 'l' && ls)
		a->longfmt = true;
	else if (c == 'R' && ls)
		a->recursive = true;
	else if (c == 'o' && ex)
		a->out = optarg;
	else if (c == 'h') {
		usage(stdout, a->cmd);
		return INSP_HELP;
	} else if (c == ':')
		return cli_usage_error(a->cmd, "missing the value of %s", argv[optind - 1]);
	else
		return cli_usage_error(a->cmd, "unknown option '%s'", argv[optind - 1]);
	return 0;
}

/* The positional arguments: IMAGE (without --drive) and the command's PATHs. */
static int take_args(struct insp_args *a, int argc, char **argv)
{
	if (!a->drive) {
		if (optind >= argc)
			return cli_usage_error(a->cmd, "no disc given: --drive D or an IMAGE file");
		a->image = argv[optind++];
	}
	a->paths = argv + optind;
	a->npaths = argc - optind;
	if (strcmp(a->cmd, "sessions") == 0 && a->npaths)
		return cli_usage_error(a->cmd, "unexpected argument '%s'", a->paths[0]);
	if (strcmp(a->cmd, "ls") == 0 && a->npaths > 1)
		return cli_usage_error(a->cmd, "one PATH at most, got '%s' and '%s'", a->paths[0],
				       a->paths[1]);
	if (strcmp(a->cmd, "extract") == 0 && !a->npaths)
		return cli_usage_error(a->cmd, "no PATH given: what to extract (/ for all)");
	if (strcmp(a->cmd, "extract") == 0 && !a->out)
		return cli_usage_error(a->cmd, "no output directory given: -o DIR");
	return 0;
}

static int parse(int argc, char **argv, struct insp_args *a)
{
	static const struct option opts[] = {
		{"drive", required_argument, NULL, 'd'}, {"session", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},	 {"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},	 {0},
	};
	int c, r;

	*a = (struct insp_args){.cmd = argv[0]};
	optind = 1;
	opterr = 0; /* our own messages, with the command's name */
	while ((c = getopt_long(argc, argv, ":hlRo:", opts, NULL)) != -1)
		if ((r = take_opt(a, c, argv)) != 0)
			return r;
	return take_args(a, argc, argv);
}

/* A message from outside (names from the disc, paths): escaped, one line. */
static void say(const char *cmd, const char *msg)
{
	fprintf(stderr, "burnfs %s: ", cmd);
	cli_text_put(stderr, msg);
	fputc('\n', stderr);
}

int insp_fail(const struct insp_args *a, struct insp_open *o, int r)
{
	const char *rd = o->m ? eng_medium_read_error(o->m) : "";
	char msg[BFS_DIAG_MSG_MAX * 2];

	snprintf(msg, sizeof(msg), "%s%s%s", bfs_diag_msg(&o->diag, r), rd[0] ? ": drive: " : "",
		 rd);
	say(a->cmd, msg);
	return r == -EINTR ? CLI_EXIT_INTR : CLI_EXIT_JOB;
}

void insp_close(struct insp_open *o)
{
	eng_disctree_free(o->t);
	free(o->sessions);
	eng_medium_free(o->m);
	o->t = NULL;
	o->sessions = NULL;
	o->m = NULL;
}

static int open_medium(const struct insp_args *a, struct insp_open *o)
{
	int r = eng_medium_open(a->drive, a->image, &o->m, &o->diag);

	if (r == 0)
		r = eng_sessions_list(o->m, &o->sessions, &o->nsessions, &o->diag);
	return r < 0 ? insp_fail(a, o, r) : 0;
}

int insp_open(const struct insp_args *a, struct insp_open *o)
{
	int r = open_medium(a, o);

	if (r)
		return r;
	o->s = eng_session_pick(o->sessions, o->nsessions, a->session, &o->diag);
	if (!o->s)
		return insp_fail(a, o, o->diag.err);
	if (o->s->open)
		return insp_fail(a, o,
				 bfs_diag_set(&o->diag, -ENODATA,
					      "session %u is still open: nothing in it to read",
					      o->s->number));
	if (o->s->audio)
		return insp_fail(a, o,
				 bfs_diag_set(&o->diag, -ENOTDIR,
					      "session %u holds audio tracks (CD-DA), no files",
					      o->s->number));
	r = eng_disctree_open(eng_medium_read, o->m, o->s->start, o->s->start + o->s->length,
			      ENG_TREE_AUTO, &o->diag, &o->t);
	return r < 0 ? insp_fail(a, o, r) : 0;
}

/* "iso9660,joliet,rockridge,udf" */
static void fs_names(unsigned fs, char *buf, size_t len)
{
	static const char *const names[] = {"iso9660", "joliet", "rockridge", "udf"};
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < 4; i++)
		if (fs & (1u << i))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "", names[i]);
}

static void date_str(const struct eng_session *s, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)s->created.sec;

	if (!s->has_created || !gmtime_r(&t, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void session_json(const struct eng_session *s, const char *why)
{
	static const char *const names[] = {"iso9660", "joliet", "rockridge", "udf"};
	char date[40];

	date_str(s, date, sizeof(date));
	printf("{\"number\": %u, \"start\": %" PRIu64 ", \"length\": %" PRIu64
	       ", \"open\": %s, \"head\": %s, \"audio\": %s, \"file_systems\": [",
	       s->number, s->start, s->length, s->open ? "true" : "false",
	       s->head ? "true" : "false", s->audio ? "true" : "false");
	for (unsigned i = 0, k = 0; i < 4; i++)
		if (s->fs & (1u << i))
			printf("%s\"%s\"", k++ ? ", " : "", names[i]);
	printf("], ");
	cli_json_name(stdout, "volume_id", s->volume_id);
	printf(", \"created\": ");
	if (s->has_created)
		printf("\"%s\"", date);
	else
		printf("null");
	if (s->counted)
		printf(", \"tree\": \"%s\", \"files\": %" PRIu64 ", \"directories\": %" PRIu64
		       ", \"not_read_because\": null}",
		       eng_tree_fs_name(s->tree), s->files, s->dirs);
	else
		printf(", \"tree\": null, \"files\": null, \"directories\": null, "
		       "\"not_read_because\": "),
			cli_json_str(stdout, why, strlen(why)), printf("}");
}

static void session_text(const struct eng_session *s, const char *why)
{
	char fs[64], date[40];

	fs_names(s->fs, fs, sizeof(fs));
	date_str(s, date, sizeof(date));
	printf("session %u: start %" PRIu64 ", %" PRIu64 " blocks, %s, volume '", s->number,
	       s->start, s->length,
	       s->audio ? "audio (CD-DA)"
	       : fs[0]	? fs
			: "no file system");
	cli_text_put(stdout, s->volume_id);
	printf("', created %s", date);
	if (s->head) /* engine/sessions.h */
		printf(", its descriptors now the newest session's (the head of a grown medium)");
	if (s->counted)
		printf(", %s tree: %" PRIu64 " files, %" PRIu64 " directories\n",
		       eng_tree_fs_name(s->tree), s->files, s->dirs);
	else {
		printf(", tree not read: ");
		cli_text_put(stdout, why);
		putchar('\n');
	}
}

static int cmd_sessions(const struct insp_args *a)
{
	struct insp_open o = {0};
	int r = open_medium(a, &o), failed = 0;

	if (r)
		return insp_close(&o), r;
	if (a->json)
		printf("{\"medium\": "),
			cli_json_str(stdout, eng_medium_name(o.m), strlen(eng_medium_name(o.m))),
			printf(", \"sessions\": [");
	for (size_t i = 0; i < o.nsessions; i++) {
		struct eng_session *s = &o.sessions[i];
		char disagree[512];

		bfs_diag_clear(&o.diag);
		r = eng_session_count(o.m, s, disagree, sizeof(disagree), &o.diag);
		/* a UDF-only session is not damage: its tree waits for the UDF reader; nor is
		 * an audio one, which has none */
		failed += r < 0 && r != -EOPNOTSUPP && !s->open && !s->audio;
		if (r < 0 && r != -EOPNOTSUPP && !s->open && !s->audio)
			say(a->cmd, bfs_diag_msg(&o.diag, r));
		if (disagree[0])
			say(a->cmd, disagree);
		if (a->json)
			printf("%s", i ? ", " : ""),
				session_json(s, r < 0 ? bfs_diag_msg(&o.diag, r) : "");
		else
			session_text(s, r < 0 ? bfs_diag_msg(&o.diag, r) : "");
	}
	if (a->json)
		printf("]}\n");
	insp_close(&o);
	return failed ? CLI_EXIT_JOB : 0;
}

int cli_inspect_main(int argc, char **argv)
{
	struct insp_args a;
	int r = parse(argc, argv, &a);

	if (r)
		return r == INSP_HELP ? 0 : r;
	if (strcmp(a.cmd, "sessions") == 0)
		return cmd_sessions(&a);
	if (strcmp(a.cmd, "ls") == 0)
		return cli_ls(&a);
	return insp_extract(&a);
}
