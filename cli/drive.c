/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drive commands: burnfs vdrive ..., burn, info, erase, eject, and verify --drive.
 * Exit codes as in burnfs.c: 0 success, 1 the job failed, 2 usage, 3 it cannot fit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "textout.h"
#include "common/diag.h"
#include "engine/audio.h"
#include "engine/burn.h"
#include "engine/drive.h"
#include "engine/image.h"
#include "engine/imagefile.h"
#include "engine/sessions.h"
#include "engine/verify.h"

static atomic_int cancelled;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&cancelled, 1);
}

static int fail(struct bfs_diag *diag, int r, const char *what)
{
	fprintf(stderr, "burnfs %s: %s\n", what, bfs_diag_msg(diag, r));
	return r == -ENOSPC ? CLI_EXIT_LIMIT : CLI_EXIT_JOB;
}

/* ---- burnfs burn ------------------------------------------------------------------------------ */

struct burn_ui {
	bool tty;
	double t0, last;
	enum eng_burn_phase phase;
	uint64_t done0;
	FILE *log;
	uint64_t logged; /* the blocks done at the last log line */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void show_progress(const struct eng_burn_status *st, void *userdata)
{
	static const char *names[] = {"writing", "closing", "verifying"};
	struct burn_ui *ui = userdata;
	double t = now_s(), el, mbs;

	if (!ui->tty || t - ui->last < 0.25)
		return;
	ui->last = t;
	if (st->phase == ENG_PHASE_CLOSE) {
		if (st->op_progress >= 0)
			fprintf(stderr, "\rclosing   %5.1f%%%-60s", st->op_progress * 100.0 / 65536,
				"");
		else
			fprintf(stderr, "\rclosing...%-66s", "");
		return;
	}
	if (!st->total)
		return;
	if (st->phase != ui->phase)
		ui->phase = st->phase, ui->t0 = t, ui->done0 = st->done;
	el = t - ui->t0 > 0.01 ? t - ui->t0 : 0.01;
	mbs = (double)(st->done - ui->done0) * 2048 / 1e6 / el;
	fprintf(stderr, "\r%-9s %5.1f%%  %.1f/%.1f MiB  %.1f MB/s", names[st->phase],
		100.0 * (double)st->done / (double)st->total, (double)st->done * 2048 / 1048576.0,
		(double)st->total * 2048 / 1048576.0, mbs);
	if (st->x1_kBps)
		fprintf(stderr, " (%.1fx)", mbs * 1000 / st->x1_kBps);
	if (mbs > 0 && st->done > ui->done0)
		fprintf(stderr, "  ETA %.0f s", (double)(st->total - st->done) * 2048 / 1e6 / mbs);
	if (st->phase == ENG_PHASE_WRITE && st->ring_fill >= 0)
		fprintf(stderr, "  ring %d%%", st->ring_fill);
	if (st->phase == ENG_PHASE_WRITE && st->drive_fill >= 0)
		fprintf(stderr, "  drive buffer %d%%", st->drive_fill);
	fprintf(stderr, "   ");
}

/*
 * BURNFS_STATUS_LOG=FILE: one line per progress report with the buffer fills, for tests
 * and scripts that watch a burn without a terminal.
 */
/* The burn's progress on the terminal; SIGINT or SIGTERM (cancelled) stop it. */
static int burn_progress(const struct eng_burn_status *st, void *userdata)
{
	show_progress(st, userdata);
	return atomic_load(&cancelled) ? -1 : 0;
}

/* ...and a line to BURNFS_STATUS_LOG when the write moved (not at every wait slice). */
static int log_progress(const struct eng_burn_status *st, void *userdata)
{
	struct burn_ui *ui = userdata;

	if (ui->log && st->phase == ENG_PHASE_WRITE && st->done != ui->logged) {
		ui->logged = st->done;
		fprintf(ui->log, "write %llu/%llu ring %d drive %d\n", (unsigned long long)st->done,
			(unsigned long long)st->total, st->ring_fill, st->drive_fill);
	}
	return burn_progress(st, userdata);
}

static void print_bad(uint64_t first, uint64_t last, const char *files, void *userdata)
{
	(void)userdata;
	printf("damaged: blocks %llu-%llu: ", (unsigned long long)first, (unsigned long long)last);
	cli_text_put(stdout, files);
	putchar('\n');
}

/*
 * After a failed burn: the disc's state as far as it can be told (asked at the end, else
 * what it was before and what the drive took), and what can be done with it.
 */
static void print_disc_now(const struct eng_burn_result *res, const char *drive, const char *vdir,
			   bool simulate)
{
	const struct mmc_media *a = &res->after, *b = &res->before;
	bool left_open = res->written && !res->closed && !b->overwrite && !simulate;

	if (a->profile_name) {
		fprintf(stderr,
			"burnfs burn: the disc now: %s, %s, %u closed session(s), %llu blocks "
			"recorded%s\n",
			a->profile_name, eng_disc_status_name(a->status), a->sessions,
			(unsigned long long)a->used_blocks,
			a->status == MMC_DISC_INCOMPLETE ? " (its last session is open)" : "");
	} else {
		fprintf(stderr, "burnfs burn: the disc now: unknown: %s\n", res->after_why);
		if (b->profile_name && res->wrote && res->written)
			fprintf(stderr,
				"burnfs burn: before this burn it was a %s, %s, with %u closed "
				"session(s); the drive took %llu blocks of the new session from "
				"block %llu%s\n",
				b->profile_name, eng_disc_status_name(b->status), b->sessions,
				(unsigned long long)res->written,
				(unsigned long long)res->start_lba,
				left_open ? ", and the session was not closed: the disc holds an "
					    "incomplete session"
					  : "");
		else if (b->profile_name && res->wrote)
			fprintf(stderr,
				"burnfs burn: before this burn it was a %s, %s, with %u closed "
				"session(s); the first WRITE (at block %llu) did not complete, so "
				"part of it may be recorded\n",
				b->profile_name, eng_disc_status_name(b->status), b->sessions,
				(unsigned long long)res->start_lba);
		if (b->profile_name && res->wrote && !res->written && !b->erasable &&
		    !b->overwrite && !simulate)
			fprintf(stderr,
				"burnfs burn: if the drive recorded any of it, this write-once %s "
				"now holds an unclosed session and takes no more sessions\n",
				b->profile_name);
	}
	if (res->new_disc && vdir)
		fprintf(stderr,
			"remedy: this disc takes no more sessions: load a blank one with "
			"`burnfs vdrive load %s --blank` and burn again\n",
			vdir);
	else if (res->new_disc)
		fprintf(stderr, "remedy: this disc takes no more sessions: load a blank disc "
				"and burn again\n");
	else if (left_open || (a->profile_name && a->status == MMC_DISC_INCOMPLETE))
		fprintf(stderr,
			"remedy: erase the disc (`burnfs erase --drive %s`), then burn again\n",
			drive);
	else if (!a->profile_name && res->wrote && vdir)
		fprintf(stderr,
			"remedy: once the drive answers again (a removed disc goes back with "
			"`burnfs vdrive load %s`), `burnfs info --drive %s` tells what it holds\n",
			vdir, drive);
	else if (!a->profile_name && res->wrote)
		fprintf(stderr,
			"remedy: once the drive answers again, `burnfs info --drive %s` tells what "
			"the disc holds\n",
			drive);
}

static void burn_usage(FILE *f)
{
	fprintf(f,
		"Usage: burnfs burn SRC...|IMAGE --drive D [--verify none|quick|full] [--close]\n"
		"                  [--speed X] [--simulate] [--new-tree] [--files] [--trace]\n"
		"                  [IMAGE OPTIONS]\n"
		"\n"
		"Burn a session made of the directories and files SRC at the disc's next\n"
		"writable address, with its manifest /.burnfs/SHA256SUMS, then read it back\n"
		"(--verify, default full). The disc stays appendable unless --close.\n"
		"On a disc that holds sessions the new one carries the disc's whole tree:\n"
		"directories merge, a file at a path the disc has replaces it (a warning),\n"
		"files already on the disc are not written again. --new-tree: the session\n"
		"holds only SRC (readers, which read the last session, see only it).\n"
		"A single IMAGE (an ISO 9660 or UDF image file) is burnt as it is; --files\n"
		"burns it as a file instead. --speed X: X times the medium's 1x (e.g. 8 or\n"
		"8x), or max. --simulate: a test write (CD-R/RW, DVD-R/RW): nothing is\n"
		"recorded. Drive addresses: vdrive:DIR, /dev/srN, iscsi://HOST:PORT/IQN/LUN.\n"
		"\n"
		"Image options (as burnfs image; file systems and revisions default per medium):\n"
		"%s",
		cli_image_usage);
}

/* What burnfs burn was asked to do. */
struct burn_args {
	const char *drive;
	bool trace, files;
	struct eng_burn_opts bo;
	struct eng_scan_opts so;
	struct cli_image_args ia;
};

static int parse_speed(const char *arg, unsigned *ret)
{
	char *end;
	unsigned long x;

	if (strcmp(arg, "max") == 0) {
		*ret = 0;
		return 0;
	}
	x = strtoul(arg, &end, 10);
	if (end == arg || (*end && strcmp(end, "x") != 0) || x == 0 || x > 64) {
		fprintf(stderr,
			"burnfs burn: --speed: '%s' is not a speed (a multiple of 1x from 1 to 64, "
			"like 8 or 8x, or max)\n",
			arg);
		return -EINVAL;
	}
	*ret = (unsigned)x;
	return 0;
}

static int parse_verify(const char *arg, enum eng_verify_mode *ret)
{
	if (strcmp(arg, "none") == 0)
		*ret = ENG_VERIFY_NONE;
	else if (strcmp(arg, "quick") == 0)
		*ret = ENG_VERIFY_QUICK;
	else if (strcmp(arg, "full") == 0)
		*ret = ENG_VERIFY_FULL;
	else {
		fprintf(stderr, "burnfs burn: --verify: '%s' is not none, quick or full\n", arg);
		return -EINVAL;
	}
	return 0;
}

/* One option of burnfs burn: 0 taken, 1 --help, -EINVAL a usage error (said). */
static int burn_opt(struct burn_args *b, int c, char **argv)
{
	int r = cli_image_opt(&b->ia, c, optarg);

	if (r != 0)
		return r < 0 ? r : 0;
	switch (c) {
	case 'd':
		b->drive = optarg;
		return 0;
	case 'v':
		return parse_verify(optarg, &b->bo.verify);
	case 'c':
		b->bo.finalize = true;
		return 0;
	case 's':
		b->bo.simulate = true;
		return 0;
	case 'N':
		b->bo.new_tree = true;
		return 0;
	case 'f':
		b->files = true;
		return 0;
	case 'S':
		return parse_speed(optarg, &b->bo.speed_x);
	case 't':
		b->trace = true;
		return 0;
	case 'h':
		return 1;
	default:
		fprintf(stderr, "burnfs burn: %s '%s'\n",
			c == ':' ? "missing the value of" : "unknown option", argv[optind - 1]);
		return -EINVAL;
	}
}

/* The options and sources of burnfs burn: 0, or an exit code (-1: --help was printed). */
static int burn_parse(int argc, char **argv, struct burn_args *b)
{
	static const struct option own[] = {
		{"drive", required_argument, NULL, 'd'}, {"verify", required_argument, NULL, 'v'},
		{"close", no_argument, NULL, 'c'},	 {"simulate", no_argument, NULL, 's'},
		{"new-tree", no_argument, NULL, 'N'},	 {"trace", no_argument, NULL, 't'},
		{"speed", required_argument, NULL, 'S'}, {"files", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},	 {0},
	};
	struct option lo[32];
	int c, r;

	(void)cli_longopts_join(own, lo, BFS_ARRAY_SIZE(lo));
	optind = 1;
	opterr = 0; /* our own messages, with the command's name */
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		r = burn_opt(b, c, argv);
		if (r == 1) {
			burn_usage(stdout);
			return -1;
		}
		if (r < 0)
			goto usage;
	}
	for (int i = optind; i < argc; i++)
		cli_image_add_source(&b->ia, argv[i]);
	if (!b->ia.nsrcs) {
		fprintf(stderr, "burnfs burn: no SRC or IMAGE given: what to burn\n");
		goto usage;
	}
	if (!b->drive) {
		_cleanup_free_ char *dir = cli_default_vdrive_dir();

		fprintf(stderr,
			"burnfs burn: no drive given: --drive D (burn never picks a drive by itself; "
			"mount's default is vdrive:%s)\n",
			dir ? dir : "$XDG_STATE_HOME/burnfs/vdrive");
		goto usage;
	}
	if (cli_image_args_check(&b->ia) < 0)
		goto usage;
	return 0;
usage:
	burn_usage(stderr);
	return CLI_EXIT_USAGE;
}

/* SOURCE_DATE_EPOCH, when set, for the scan and the image: -EINVAL when no number (said). */
static int burn_epoch(struct burn_args *b)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (!e || !*e)
		return 0;
	errno = 0;
	v = strtoll(e, &end, 10);
	if (errno || *end) {
		fprintf(stderr, "burnfs burn: SOURCE_DATE_EPOCH='%s' is not a number\n", e);
		return -EINVAL;
	}
	b->so.have_epoch = b->bo.image.have_epoch = true;
	b->so.epoch = b->bo.image.epoch = v;
	return 0;
}

/*
 * The tree to burn. A tree holding /.burnfs (a burnfs disc copied back, with its manifest)
 * is refused with what to do: the burn writes its own manifest there.
 */
static int burn_scan(struct burn_args *b, struct bfs_node **ret)
{
	struct bfs_diag diag = {0};
	int r = eng_scan(b->ia.srcs, b->ia.nsrcs, &b->so, &diag, ret);

	if (r < 0)
		return fail(&diag, r, "burn");
	if (bfs_node_find_child(*ret, ".burnfs", strlen(".burnfs"))) {
		fprintf(stderr,
			"burnfs burn: the sources have a '/.burnfs' (a burnfs disc copied back, "
			"with its manifest?): it is reserved for the manifest this burn writes\n"
			"remedy: leave it out with --exclude /.burnfs (the new manifest lists every "
			"file again), or put the tree below a directory with --graft SRC=/DIR\n");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* The progress display and BURNFS_STATUS_LOG; signals cancel from here on. */
static int burn_ui_start(struct burn_args *b, struct burn_ui *ui)
{
	const char *e = getenv("BURNFS_STATUS_LOG");

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ui->tty = isatty(STDERR_FILENO);
	ui->t0 = now_s();
	b->bo.progress = burn_progress;
	b->bo.userdata = ui;
	if (!e || !*e)
		return 0;
	ui->log = fopen(e, "we");
	if (!ui->log) {
		fprintf(stderr, "burnfs burn: BURNFS_STATUS_LOG '%s': %s\n", e, strerror(errno));
		return -errno;
	}
	setvbuf(ui->log, NULL, _IOLBF, 0);
	b->bo.progress = log_progress;
	return 0;
}

static void burn_report(const struct burn_args *b, const struct eng_burn_result *res)
{
	if (b->bo.simulate) {
		fprintf(stderr,
			"burnfs burn: simulation of a session at block %llu, %llu blocks (%.1f "
			"MiB) went through; nothing was recorded, the %s is %s\n",
			(unsigned long long)res->start_lba, (unsigned long long)res->blocks,
			(double)res->blocks * 2048 / 1048576.0,
			res->after.profile_name ? res->after.profile_name : "disc",
			eng_disc_status_name(res->after.status));
		return;
	}
	if (res->appended)
		fprintf(stderr,
			"burnfs burn: the disc's tree (session %u, %s) is carried over: %llu "
			"files stay where they are, %llu copied, %llu replaced\n",
			res->append.session, eng_tree_fs_name(res->append.tree),
			(unsigned long long)res->append.kept,
			(unsigned long long)res->append.copied,
			(unsigned long long)res->append.replaced);
	if (res->udf_unseen) /* engine/grow.h */
		fprintf(stderr,
			"burnfs burn: warning: block 256 of the %s is no UDF anchor (its "
			"first session has no UDF): the new session's UDF volume is read at "
			"its own anchor only; its ISO 9660 tree is what readers see\n",
			res->before.profile_name);
	if (res->speed_kBps)
		fprintf(stderr, "burnfs burn: write speed %u kB/s (%.1fx)\n", res->speed_kBps,
			(double)res->speed_kBps / eng_media_x1_kBps(&res->before));
	fprintf(stderr,
		"burnfs burn: session at block %llu, %llu blocks (%.1f MiB); verify: %s%llu "
		"chunks match; the %s is %s\n",
		(unsigned long long)res->start_lba, (unsigned long long)res->blocks,
		(double)res->blocks * 2048 / 1048576.0,
		b->bo.verify == ENG_VERIFY_NONE ? "none, " : "",
		(unsigned long long)res->verified_chunks,
		res->after.profile_name ? res->after.profile_name : "disc",
		eng_disc_status_name(res->after.status));
}

/* The burn itself, the sources scanned (root) or an image file. */
static int burn_run(struct burn_args *b, struct bfs_node *root, const char *image)
{
	_cleanup_(eng_drive_closep) struct mmc_drive *d = NULL;
	struct bfs_diag diag = {0};
	struct eng_burn_result res = {0};
	struct burn_ui ui = {0};
	int r;

	r = eng_drive_open(b->drive, &diag, &d);
	if (r < 0)
		return fail(&diag, r, "burn");
	if (b->trace)
		eng_drive_set_trace(d, stderr);
	if (burn_ui_start(b, &ui) < 0)
		return CLI_EXIT_JOB;
	if (image)
		fprintf(stderr, "burnfs burn: burning the image '%s' as it is\n", image);
	r = image ? eng_burn_image(d, image, &b->bo, print_bad, NULL, &res, &diag)
		  : eng_burn(d, root, &b->bo, print_bad, NULL, &res, &diag);
	if (ui.log)
		fclose(ui.log);
	if (ui.tty)
		fputc('\n', stderr);
	if (r < 0) {
		fprintf(stderr, "burnfs burn: %s\n", bfs_diag_msg(&diag, r));
		print_disc_now(&res, b->drive, eng_drive_vdrive_dir(d), b->bo.simulate);
		return r == -ENOSPC	 ? CLI_EXIT_LIMIT
		       : r == -ECANCELED ? CLI_EXIT_INTR
					 : CLI_EXIT_JOB;
	}
	burn_report(b, &res);
	return 0;
}

static int cmd_burn(int argc, char **argv)
{
	struct burn_args b = {.bo = {.verify = ENG_VERIFY_FULL}};
	_cleanup_(bfs_node_freep) struct bfs_node *root = NULL;
	const char *image = NULL;
	struct stat st;
	int r;

	if (cli_image_args_init(&b.ia, "burn", argc, &b.bo.image, &b.so) < 0)
		return CLI_EXIT_JOB;
	r = burn_parse(argc, argv, &b);
	if (r == 0)
		r = burn_epoch(&b) < 0 ? CLI_EXIT_USAGE : 0;
	/* one positional file holding an image, no image option: burnt as it is */
	if (r == 0 && !b.files && b.ia.nsrcs == 1 && !b.ia.srcs[0].dest && !b.ia.given &&
	    stat(b.ia.srcs[0].path, &st) == 0 && S_ISREG(st.st_mode) &&
	    eng_is_image_file(b.ia.srcs[0].path))
		image = b.ia.srcs[0].path;
	if (r == 0 && !image)
		r = burn_scan(&b, &root);
	if (r == 0)
		r = burn_run(&b, root, image);
	cli_image_args_done(&b.ia);
	return r < 0 ? 0 : r; /* -1: --help */
}

/* ---- info, erase, eject, verify --drive ------------------------------------------------------ */

/* Options of the drive commands besides --drive; each command takes the ones it names. */
struct drive_args {
	const char *drive;
	bool json, full;
	const char *against;
	bool has_session;
	uint64_t session; /* verify --session LBA: the session starting there */
	char dflt[4200];  /* mount's default drive, when none was given */
};

enum { OPEN_HELP = -1 }; /* open_drive(): --help was printed */

enum { ARG_JSON = 1u << 0, ARG_FULL = 1u << 1, ARG_AGAINST = 1u << 2, ARG_SESSION = 1u << 3 };

static void drive_cmd_usage(FILE *f, const char *what)
{
	if (strcmp(what, "info") == 0)
		fprintf(f,
			"Usage: burnfs info [--drive D] [--json]\n"
			"\n"
			"The medium in drive D: its kind and state, what it holds, where the next\n"
			"session goes and how much is free (or why none can be written), its\n"
			"sessions, tracks and write speeds.\n");
	else if (strcmp(what, "erase") == 0)
		fprintf(f, "Usage: burnfs erase --drive D [--full]\n"
			   "\n"
			   "Erase the rewritable disc in drive D (CD-RW, DVD-RW: BLANK; DVD+RW,\n"
			   "DVD-RAM, BD-RE: FORMAT UNIT). --full blanks or certifies every block.\n"
			   "--drive is required: erase never picks a drive by itself.\n");
	else if (strcmp(what, "eject") == 0)
		fprintf(f, "Usage: burnfs eject [--drive D]\n\nOpen the tray of drive D.\n");
	else
		fprintf(f,
			"Usage: burnfs verify --drive D [--session LBA] [--against SRC|IMAGE]\n"
			"\n"
			"Check every closed session of the disc in drive D against its manifest,\n"
			"or the newest session against a source tree or an image file.\n"
			"--session LBA: only the session starting at block LBA (burnfs sessions\n"
			"lists them).\n");
	if (strcmp(what, "erase") != 0)
		fprintf(f,
			"\nWithout --drive: the drive burnfs mount uses (the only optical drive,\n"
			"else the virtual drive $XDG_STATE_HOME/burnfs/vdrive).\n");
	fprintf(f,
		"Drive addresses: vdrive:DIR, /dev/srN, /dev/sgN, iscsi://HOST[:PORT]/IQN/LUN.\n");
}

/*
 * The options of a drive command; 0 and the drive opened, or an exit code (0 for --help).
 * Without --drive, mount's default drive, except for erase.
 */
static int parse_drive_args(int argc, char **argv, unsigned takes, struct drive_args *a)
{
	static const struct option opts[] = {
		{"drive", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"full", no_argument, NULL, 'f'},
		{"against", required_argument, NULL, 'a'},
		{"session", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *what = argv[0];
	_cleanup_free_ char *dflt = NULL;
	int c, r;

	optind = 1;
	opterr = 0; /* our own messages, with the command's name */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'd')
			a->drive = optarg;
		else if (c == 'j' && (takes & ARG_JSON))
			a->json = true;
		else if (c == 'f' && (takes & ARG_FULL))
			a->full = true;
		else if (c == 'a' && (takes & ARG_AGAINST))
			a->against = optarg;
		else if (c == 's' && (takes & ARG_SESSION)) {
			char *end;

			errno = 0;
			a->session = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				fprintf(stderr,
					"burnfs %s: --session: '%s' is not a block number\n", what,
					optarg);
				goto usage;
			}
			a->has_session = true;
		} else if (c == 'h') {
			drive_cmd_usage(stdout, what);
			return OPEN_HELP;
		} else {
			fprintf(stderr, "burnfs %s: %s '%s'\n", what,
				c == ':' ? "missing the value of" : "unknown option",
				argv[optind - 1]);
			goto usage;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "burnfs %s: unexpected argument '%s'\n", what, argv[optind]);
		goto usage;
	}
	if (!a->drive && strcmp(what, "erase") == 0) {
		dflt = cli_default_vdrive_dir();
		fprintf(stderr,
			"burnfs erase: no drive given: --drive D (erase never picks a drive by "
			"itself; mount's default is vdrive:%s)\n",
			dflt ? dflt : "$XDG_STATE_HOME/burnfs/vdrive");
		goto usage;
	}
	if (!a->drive) {
		r = cli_default_drive(what, false, &dflt);
		if (r < 0)
			return r == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_JOB;
		snprintf(a->dflt, sizeof(a->dflt), "%s", dflt);
		a->drive = a->dflt;
	}
	return 0;
usage:
	drive_cmd_usage(stderr, what);
	return CLI_EXIT_USAGE;
}

/* parse_drive_args(), then open the drive: 0, OPEN_HELP, or an exit code (said). */
static int open_drive(int argc, char **argv, unsigned takes, struct drive_args *a,
		      struct mmc_drive **ret, struct bfs_diag *diag)
{
	int r = parse_drive_args(argc, argv, takes, a);

	if (r)
		return r;
	r = eng_drive_open(a->drive, diag, ret);
	return r < 0 ? fail(diag, r, argv[0]) : 0;
}

/* s as a JSON string on stdout (textout.h: escapes, bytes that are not UTF-8 as \\u00NN) */
static void json_str(const char *s)
{
	cli_json_str(stdout, s, strlen(s));
}

static void print_info_json(const struct mmc_media *m, const struct eng_disc_space *space,
			    const struct bfs_diag *why, const struct eng_session *sp, size_t ns,
			    const struct mmc_track *t, size_t nt, const unsigned *speeds,
			    size_t nspeeds)
{
	printf("{\"profile\": \"%s\", \"profile_number\": %u, \"status\": \"%s\", "
	       "\"sessions\": %u, \"capacity\": %llu, \"used_blocks\": %llu, \"writable\": %s, ",
	       m->profile_name, (unsigned)m->profile, eng_disc_status_name(m->status), m->sessions,
	       (unsigned long long)space->capacity, (unsigned long long)space->used,
	       space->writable ? "true" : "false");
	if (space->writable)
		printf("\"next_writable\": %llu, \"not_writable_because\": null, ",
		       (unsigned long long)space->next);
	else
		printf("\"next_writable\": null, \"not_writable_because\": "), json_str(why->msg),
			printf(", ");
	printf("\"free_blocks\": %llu, \"new_disc_needed\": %s, \"last_session_start\": %llu, "
	       "\"erasable\": %s, \"unformatted\": %s, \"session_list\": [",
	       (unsigned long long)space->free, space->new_disc ? "true" : "false",
	       (unsigned long long)m->last_session_start, m->erasable ? "true" : "false",
	       m->unformatted ? "true" : "false");
	for (size_t i = 0; i < ns; i++)
		printf("%s{\"number\": %u, \"start\": %llu, \"length\": %llu, \"open\": %s}",
		       i ? ", " : "", sp[i].number, (unsigned long long)sp[i].start,
		       (unsigned long long)sp[i].length, sp[i].open ? "true" : "false");
	printf("], \"tracks\": [");
	for (size_t i = 0; i < nt; i++)
		printf("%s{\"number\": %u, \"session\": %u, \"start\": %llu, \"size\": %llu, "
		       "\"blank\": %s, \"reserved\": %s}",
		       i ? ", " : "", t[i].number, t[i].session, (unsigned long long)t[i].start,
		       (unsigned long long)t[i].size, t[i].blank ? "true" : "false",
		       t[i].reserved ? "true" : "false");
	printf("], \"write_speeds_kBps\": [");
	for (size_t i = 0; i < nspeeds; i++)
		printf("%s%u", i ? ", " : "", speeds[i]);
	printf("]}\n");
}

static void print_info_text(const struct mmc_media *m, const struct eng_disc_space *space,
			    const struct bfs_diag *why, const struct eng_session *sp, size_t ns,
			    const struct mmc_track *t, size_t nt, const unsigned *speeds,
			    size_t nspeeds, unsigned x1)
{
	printf("medium: %s (%s%s%s, profile %04Xh)\nsessions: %u closed, the last starts at block "
	       "%llu\nrecorded: %llu blocks (%.1f MiB) of %llu\n",
	       m->profile_name, eng_disc_status_name(m->status), m->erasable ? ", erasable" : "",
	       m->unformatted ? ", unformatted: the first burn formats it" : "",
	       (unsigned)m->profile, m->sessions, (unsigned long long)m->last_session_start,
	       (unsigned long long)space->used, (double)space->used * 2048 / 1048576.0,
	       (unsigned long long)space->capacity);
	if (space->writable)
		printf("next session: at block %llu, %llu blocks free (%.1f MiB)\n",
		       (unsigned long long)space->next, (unsigned long long)space->free,
		       (double)space->free * 2048 / 1048576.0);
	else
		printf("next session: none (no writable address): %s\n", why->msg);
	for (size_t i = 0; i < ns; i++)
		printf("session %u: blocks %llu-%llu (%llu blocks, %.1f MiB)%s\n", sp[i].number,
		       (unsigned long long)sp[i].start,
		       (unsigned long long)(sp[i].start + sp[i].length - 1),
		       (unsigned long long)sp[i].length, (double)sp[i].length * 2048 / 1048576.0,
		       sp[i].open ? ", open" : "");
	for (size_t i = 0; i < nt; i++)
		printf("  track %u: session %u, start %llu, %llu blocks%s%s%s\n", t[i].number,
		       t[i].session, (unsigned long long)t[i].start, (unsigned long long)t[i].size,
		       t[i].nwa_valid ? ", open" : "", t[i].reserved ? ", reserved" : "",
		       t[i].blank ? ", blank" : "");
	if (nspeeds) {
		printf("write speeds:");
		for (size_t i = 0; i < nspeeds; i++)
			printf(" %.0fx", x1 ? (double)speeds[i] / x1 : 0.0);
		printf(" (%u kB/s at 1x)\n", x1);
	} else {
		printf("write speeds: the drive lists none\n");
	}
}

/*
 * The audio tracks of a CD: their times in mm:ss:ff, CONTROL flags and ISRC, the disc's MCN
 * and CD-Text packs. Nothing for a disc without audio (engine/audio.h).
 */
static void print_audio(struct mmc_drive *d, const struct mmc_media *m)
{
	_cleanup_free_ struct eng_audio_disc *a = malloc(sizeof(*a));
	char t1[16], t2[16];

	if (!a || eng_audio_disc_read(d, m->profile, a) < 0 || !a->ntracks)
		return;
	printf("audio: %u track(s), %s (mm:ss:ff), MCN %s, CD-Text %zu pack(s)\n", a->ntracks,
	       eng_msf_format((uint32_t)a->blocks, t1, sizeof(t1)), a->mcn[0] ? a->mcn : "none",
	       a->cdtext_packs);
	for (unsigned i = 0; i < a->ntracks; i++) {
		const struct eng_audio_track_info *t = &a->tracks[i];

		printf("  audio track %u: at %s, %s long%s%s%s%s\n", t->number,
		       eng_msf_format((uint32_t)(t->start + 150), t1, sizeof(t1)),
		       eng_msf_format(t->length, t2, sizeof(t2)),
		       t->ctl & ENG_CD_CTL_PRE ? ", pre-emphasis" : "",
		       t->ctl & ENG_CD_CTL_COPY ? ", copy permitted" : "",
		       t->isrc[0] ? ", ISRC " : "", t->isrc);
	}
}

static int cmd_info(int argc, char **argv)
{
	_cleanup_(eng_drive_closep) struct mmc_drive *d = NULL;
	_cleanup_free_ struct mmc_track *t = NULL;
	_cleanup_free_ struct eng_session *sp = NULL;
	struct bfs_diag diag = {0};
	struct drive_args a = {0};
	struct mmc_media m;
	unsigned speeds[16];
	size_t nt = 0, ns, nspeeds = 0;
	unsigned x1;
	struct eng_disc_space space;
	int r = open_drive(argc, argv, ARG_JSON, &a, &d, &diag);

	if (r)
		return r == OPEN_HELP ? 0 : r;
	r = eng_drive_probe(d, &m, &diag);
	if (r == 0)
		r = eng_drive_tracks(d, &m, &t, &nt, &diag); /* none: blank, overwrite media */
	if (r < 0)
		return fail(&diag, r, "info");
	sp = calloc(nt ? nt : 1, sizeof(*sp)); /* a session holds one track or more */
	if (!sp)
		return fail(&diag, -ENOMEM, "info");
	ns = eng_sessions_of_tracks(t, nt, sp);
	/* a drive without GET PERFORMANCE lists no speeds; that is not an error */
	if (eng_drive_write_speeds(d, speeds, BFS_ARRAY_SIZE(speeds), &nspeeds, &diag) < 0)
		nspeeds = 0;
	x1 = eng_media_x1_kBps(&m);
	bfs_diag_clear(&diag);
	/* what burn will say, word for word (overwrite media: where their sessions end) */
	(void)eng_disc_space_read(d, &m, &space, &diag);
	if (a.json)
		print_info_json(&m, &space, &diag, sp, ns, t, nt, speeds, nspeeds);
	else
		print_info_text(&m, &space, &diag, sp, ns, t, nt, speeds, nspeeds, x1);
	if (!a.json)
		print_audio(d, &m);
	return 0;
}

static int cmd_erase_eject(int argc, char **argv)
{
	_cleanup_(eng_drive_closep) struct mmc_drive *d = NULL;
	struct bfs_diag diag = {0};
	struct drive_args a = {0};
	struct mmc_media m;
	bool eject = strcmp(argv[0], "eject") == 0;
	int r = open_drive(argc, argv, eject ? 0 : ARG_FULL, &a, &d, &diag);

	if (r)
		return r == OPEN_HELP ? 0 : r;
	if (eject)
		return (r = eng_drive_eject(d, &diag)) < 0 ? fail(&diag, r, argv[0]) : 0;
	r = eng_drive_probe(d, &m, &diag);
	if (r == 0)
		r = eng_drive_erase(d, &m, a.full, &diag);
	if (r < 0)
		return fail(&diag, r, argv[0]);
	fprintf(stderr, "burnfs erase: %s %s\n", m.profile_name,
		m.overwrite ? (a.full ? "formatted, every block certified" : "formatted")
			    : (a.full ? "blanked, every block" : "blanked (minimal: TOC and PMA)"));
	return 0;
}

/*
 * r came back from a verify that read the medium med: when a READ failed with r, the
 * reader's "...: strerror" becomes "...: what the drive said" (the sense, decoded, and its
 * remedy).
 */
static int with_drive_msg(struct bfs_diag *diag, int r, const struct eng_medium *med)
{
	char msg[BFS_DIAG_MSG_MAX];
	const char *e = strerror(-r);
	size_t n, el = strlen(e);

	if (r >= 0 || eng_medium_read_errno(med) != r)
		return r;
	snprintf(msg, sizeof(msg), "%s", bfs_diag_msg(diag, r));
	n = strlen(msg);
	if (n >= el + 2 && strcmp(msg + n - el, e) == 0 && msg[n - el - 2] == ':')
		msg[n - el - 2] = '\0';
	else if (strcmp(msg, e) == 0)
		msg[0] = '\0';
	bfs_diag_clear(diag);
	if (!msg[0])
		return bfs_diag_set(diag, r, "%s", eng_medium_read_error(med));
	return bfs_diag_set(diag, r, "%s: %s", msg, eng_medium_read_error(med));
}

static void print_problem(const char *path, const char *what, void *userdata)
{
	(*(unsigned long *)userdata)++;
	cli_text_put(stdout, path);
	printf(": %s\n", what);
}

/*
 * The disc's blocks from start against the image file at path, 1 MiB at a time: each
 * differing range is a line on stdout. 0 when equal, -EBADMSG when not.
 */
static int verify_image(struct eng_medium *med, uint64_t start, const char *path,
			struct bfs_diag *diag)
{
	enum { CHUNK = 512 };
	_cleanup_(eng_imagefile_close) struct eng_imagefile f = {.fd = -1};
	_cleanup_free_ uint8_t *a = malloc((size_t)CHUNK * 2048 * 2);
	uint64_t bad = 0, first_bad = UINT64_MAX;
	int r;

	if (!a)
		return -ENOMEM;
	r = eng_imagefile_open(path, 0, &f, diag);
	if (r == 0 && f.made_for_later)
		r = eng_imagefile_check_size(&f, path, start, diag);
	if (r < 0)
		return r;
	if (f.bytes % 2048)
		return bfs_diag_set(diag, -EINVAL, "%s: not whole 2048-byte blocks", path);
	for (uint64_t o = 0; o < f.blocks; o += CHUNK) {
		uint32_t n = (uint32_t)BFS_MIN((uint64_t)CHUNK, f.blocks - o);

		r = eng_imagefile_read(&f, o, n, a);
		if (r < 0)
			return bfs_diag_set(diag, r, "%s: read at block %llu: %s", path,
					    (unsigned long long)o, strerror(-r));
		r = eng_medium_read(med, start + o, n, a + (size_t)CHUNK * 2048);
		if (r < 0)
			return bfs_diag_set(diag, r, "the disc cannot be read at block %llu: %s",
					    (unsigned long long)(start + o),
					    eng_medium_read_error(med));
		for (uint32_t i = 0; i <= n; i++) {
			bool differs = i < n && memcmp(a + (size_t)i * 2048,
						       a + (size_t)(CHUNK + i) * 2048, 2048) != 0;

			if (differs && first_bad == UINT64_MAX)
				first_bad = start + o + i;
			if (!differs && first_bad != UINT64_MAX && (i < n || o + n == f.blocks)) {
				printf("blocks %llu-%llu: differ from ",
				       (unsigned long long)first_bad,
				       (unsigned long long)(start + o + i - 1));
				cli_text_put(stdout, path);
				putchar('\n');
				bad += start + o + i - first_bad;
				first_bad = UINT64_MAX;
			}
		}
	}
	fprintf(stderr, "burnfs verify: %llu blocks from block %llu against ",
		(unsigned long long)f.blocks, (unsigned long long)start);
	cli_text_put(stderr, path);
	fprintf(stderr, ": %llu differ\n", (unsigned long long)bad);
	return bad ? -EBADMSG : 0;
}

/* The newest session (at start) against a source tree or an image file. */
static int verify_against(struct eng_medium *med, uint64_t start, const char *against)
{
	struct bfs_diag diag = {0};
	struct eng_verify_result res = {0};
	unsigned long problems = 0;
	struct stat st;
	int r;

	if (stat(against, &st) < 0)
		return fail(&diag, bfs_diag_set(&diag, -errno, "%s: %s", against, strerror(errno)),
			    "verify");
	if (S_ISDIR(st.st_mode)) {
		r = eng_verify_tree(eng_medium_read, med, start, against, print_problem, &problems,
				    &res, &diag);
		r = with_drive_msg(&diag, r, med);
		if (r < 0 && r != -EBADMSG)
			return fail(&diag, r, "verify");
		fprintf(stderr,
			"burnfs verify: session at block %llu against %s: %llu files match, "
			"%llu differ, %llu missing, %llu extra\n",
			(unsigned long long)start, against, (unsigned long long)res.files_ok,
			(unsigned long long)res.files_bad, (unsigned long long)res.files_missing,
			(unsigned long long)res.files_extra);
	} else {
		/* not a directory: an image, opened and checked by eng_imagefile_open() */
		r = verify_image(med, start, against, &diag);
		if (r < 0 && r != -EBADMSG)
			return fail(&diag, r, "verify");
	}
	return r ? CLI_EXIT_JOB : 0;
}

/*
 * The disc in the drive as a medium read past the drive's cache (FUA: verify checks what
 * the disc holds, not the blocks the drive kept of a burn) and its sessions, as burnfs
 * sessions and ls list them (engine/sessions.h): 0, or an exit code (said).
 */
static int verify_open(struct mmc_drive *d, struct eng_medium **med, struct eng_session **sp,
		       size_t *ns)
{
	struct bfs_diag diag = {0};
	struct mmc_media m;
	int r = eng_drive_probe(d, &m, &diag);

	if (r < 0)
		return fail(&diag, r, "verify");
	if (m.status == MMC_DISC_BLANK || (m.overwrite && m.used_blocks == 0))
		return fail(&diag, bfs_diag_set(&diag, -ENODATA, "the disc is blank"), "verify");
	r = eng_medium_of_drive(d, &m, med, &diag);
	if (r == 0) {
		eng_medium_set_fua(*med, true);
		r = eng_sessions_list(*med, sp, ns, &diag);
	}
	return r < 0 ? fail(&diag, r, "verify") : 0;
}

/* Session s against its own manifest: 1 checked, 0 no manifest, -1 failed (each said). */
static int verify_session(struct eng_medium *med, const struct eng_session *s, bool *bad)
{
	struct bfs_diag diag = {0};
	struct eng_verify_result res = {0};
	unsigned long problems = 0;
	int r = eng_verify_manifest(eng_medium_read, med, s->start, print_problem, &problems, &res,
				    &diag);

	r = with_drive_msg(&diag, r, med);
	if (r == -ENOENT) {
		fprintf(stderr,
			"burnfs verify: session %u at block %llu: no manifest (not written by "
			"burnfs): not checked; use --against SRC or IMAGE\n",
			s->number, (unsigned long long)s->start);
		return 0;
	}
	if (r < 0 && r != -EBADMSG) {
		fprintf(stderr, "burnfs verify: session %u at block %llu: %s\n", s->number,
			(unsigned long long)s->start, bfs_diag_msg(&diag, r));
		return -1;
	}
	*bad = r != 0;
	fprintf(stderr,
		"burnfs verify: session %u at block %llu: %llu files match, %llu differ, %llu "
		"missing\n",
		s->number, (unsigned long long)s->start, (unsigned long long)res.files_ok,
		(unsigned long long)res.files_bad, (unsigned long long)res.files_missing);
	return 1;
}

/* The session of s[0..n) that starts at block lba: its index, or -ENOENT naming the starts. */
static int session_at(const struct eng_session *s, size_t n, uint64_t lba, size_t *ret,
		      struct bfs_diag *diag)
{
	char starts[256] = "";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i].start == lba && !s[i].open) {
			*ret = i;
			return 0;
		}
		if (o < sizeof(starts) && !s[i].open)
			o += (size_t)snprintf(starts + o, sizeof(starts) - o, "%s%llu",
					      o ? ", " : "", (unsigned long long)s[i].start);
	}
	return bfs_diag_set(
		diag, -ENOENT,
		"--session %llu: no closed session starts there (the disc's sessions start at "
		"%s)",
		(unsigned long long)lba, starts);
}

static int verify_drive(int argc, char **argv)
{
	_cleanup_(eng_drive_closep) struct mmc_drive *d = NULL;
	_cleanup_(eng_medium_freep) struct eng_medium *med = NULL; /* freed before d */
	_cleanup_free_ struct eng_session *sp = NULL;
	struct bfs_diag diag = {0};
	struct drive_args a = {0};
	size_t ns = 0;
	unsigned checked = 0, failed = 0;
	int r = open_drive(argc, argv, ARG_AGAINST | ARG_SESSION, &a, &d, &diag);
	size_t pick = 0;

	if (r)
		return r == OPEN_HELP ? 0 : r;
	r = verify_open(d, &med, &sp, &ns);
	if (r)
		return r;
	if (a.has_session) {
		r = session_at(sp, ns, a.session, &pick, &diag);
		if (r < 0)
			return fail(&diag, r, "verify");
	}
	if (a.against)
		return verify_against(med, a.has_session ? sp[pick].start : sp[ns - 1].start,
				      a.against);
	/* every session (or the one asked for) against its own manifest */
	for (size_t i = 0; i < ns; i++) {
		bool bad = false;

		if (sp[i].open || (a.has_session && i != pick))
			continue;
		r = verify_session(med, &sp[i], &bad);
		checked += r > 0;
		failed += r < 0 || bad;
	}
	if (!checked && !failed)
		return fail(&diag,
			    bfs_diag_set(&diag, -ENOENT,
					 "no session has a manifest; use --against SRC or IMAGE"),
			    "verify");
	return failed ? CLI_EXIT_JOB : 0;
}

int cli_drive_main(int argc, char **argv)
{
	if (strcmp(argv[0], "vdrive") == 0)
		return cli_vdrive_main(argc, argv);
	if (strcmp(argv[0], "burn") == 0)
		return cmd_burn(argc, argv);
	if (strcmp(argv[0], "info") == 0)
		return cmd_info(argc, argv);
	if (strcmp(argv[0], "verify") == 0)
		return verify_drive(argc, argv);
	return cmd_erase_eject(argc, argv);
}
