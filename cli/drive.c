/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drive commands: burnfs vdrive ..., burn, info, erase, eject, and verify --drive.
 * Exit codes as in burnfs.c: 0 success, 1 the job failed, 2 usage, 3 it cannot fit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "common/diag.h"
#include "engine/burn.h"
#include "engine/image.h"
#include "engine/verify.h"
#include "mmc/mmc.h"
#include "vdrive/vdrive.h"

static volatile sig_atomic_t cancelled;

static void on_signal(int sig)
{
	(void)sig;
	cancelled = 1;
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
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void burn_progress(const struct eng_burn_status *st, void *userdata)
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
static void log_progress(const struct eng_burn_status *st, void *userdata)
{
	struct burn_ui *ui = userdata;

	burn_progress(st, userdata);
	if (ui->log && st->phase == ENG_PHASE_WRITE)
		fprintf(ui->log, "write %llu/%llu ring %d drive %d\n", (unsigned long long)st->done,
			(unsigned long long)st->total, st->ring_fill, st->drive_fill);
}

static void print_bad(uint64_t first, uint64_t last, const char *files, void *userdata)
{
	(void)userdata;
	printf("damaged: blocks %llu-%llu: %s\n", (unsigned long long)first,
	       (unsigned long long)last, files);
}

static void burn_usage(FILE *f)
{
	fprintf(f,
		"Usage: burnfs burn SRC...|IMAGE --drive D [--verify none|quick|full] [--close]\n"
		"                  [--speed X] [--simulate] [--files] [--trace]\n"
		"\n"
		"Burn a session made of the directories and files SRC at the disc's next\n"
		"writable address, with its manifest /.burnfs/SHA256SUMS, then read it back\n"
		"(--verify, default full). The disc stays appendable unless --close.\n"
		"A single IMAGE (an ISO 9660 or UDF image file) is burnt as it is; --files\n"
		"burns it as a file instead. --speed X: X times the medium's 1x (e.g. 8 or\n"
		"8x), or max. --simulate: a test write (CD-R/RW, DVD-R/RW): nothing is\n"
		"recorded. Drive addresses: vdrive:DIR, /dev/srN, iscsi://HOST:PORT/IQN/LUN.\n");
}

static int cmd_burn(int argc, char **argv)
{
	static const struct option lo[] = {
		{"drive", required_argument, NULL, 'd'},
		{"verify", required_argument, NULL, 'v'},
		{"close", no_argument, NULL, 'c'},
		{"simulate", no_argument, NULL, 's'},
		{"trace", no_argument, NULL, 't'},
		{"speed", required_argument, NULL, 'S'},
		{"files", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct eng_burn_opts bo = {.verify = ENG_VERIFY_FULL, .cancel = &cancelled};
	struct eng_scan_opts so = {0};
	struct bfs_diag diag = {0};
	_cleanup_(mmc_drive_closep) struct mmc_drive *d = NULL;
	_cleanup_(bfs_node_freep) struct bfs_node *root = NULL;
	_cleanup_free_ struct eng_source *srcs = NULL;
	struct eng_burn_result res;
	struct burn_ui ui = {0};
	const char *drive = NULL, *e, *image = NULL;
	bool trace = false, files = false;
	struct stat st;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			drive = optarg;
			break;
		case 'v':
			if (strcmp(optarg, "none") == 0)
				bo.verify = ENG_VERIFY_NONE;
			else if (strcmp(optarg, "quick") == 0)
				bo.verify = ENG_VERIFY_QUICK;
			else if (strcmp(optarg, "full") == 0)
				bo.verify = ENG_VERIFY_FULL;
			else {
				fprintf(stderr, "burnfs burn: --verify: none, quick or full\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'c':
			bo.finalize = true;
			break;
		case 's':
			bo.simulate = true;
			break;
		case 'f':
			files = true;
			break;
		case 'S': {
			char *end;
			unsigned long x;

			if (strcmp(optarg, "max") == 0) {
				bo.speed_x = 0;
				break;
			}
			x = strtoul(optarg, &end, 10);
			if (end == optarg || (*end && strcmp(end, "x") != 0) || x == 0 || x > 64) {
				fprintf(stderr,
					"burnfs burn: --speed: '%s' is not a speed (a multiple "
					"of 1x from 1 to 64, like 8 or 8x, or max)\n",
					optarg);
				return CLI_EXIT_USAGE;
			}
			bo.speed_x = (unsigned)x;
			break;
		}
		case 't':
			trace = true;
			break;
		case 'h':
			burn_usage(stdout);
			return 0;
		default:
			burn_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (!drive || optind >= argc) {
		burn_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!files && argc - optind == 1 && stat(argv[optind], &st) == 0 && S_ISREG(st.st_mode) &&
	    eng_is_image_file(argv[optind]))
		image = argv[optind];
	e = getenv("SOURCE_DATE_EPOCH");
	if (e && *e) {
		so.have_epoch = bo.image.have_epoch = true;
		so.epoch = bo.image.epoch = strtoll(e, NULL, 10);
	}
	if (!image) {
		srcs = calloc((size_t)(argc - optind), sizeof(*srcs));
		if (!srcs)
			return CLI_EXIT_JOB;
		for (int i = optind; i < argc; i++)
			srcs[i - optind].path = argv[i];
		r = eng_scan(srcs, (size_t)(argc - optind), &so, &diag, &root);
		if (r < 0)
			return fail(&diag, r, "burn");
	}
	r = mmc_drive_open(drive, &diag, &d);
	if (r < 0)
		return fail(&diag, r, "burn");
	if (trace)
		mmc_drive_set_trace(d, stderr);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ui.tty = isatty(STDERR_FILENO);
	ui.t0 = now_s();
	bo.progress = burn_progress;
	bo.userdata = &ui;
	e = getenv("BURNFS_STATUS_LOG");
	if (e && *e) {
		ui.log = fopen(e, "we");
		if (!ui.log) {
			fprintf(stderr, "burnfs burn: BURNFS_STATUS_LOG '%s': %s\n", e,
				strerror(errno));
			return CLI_EXIT_JOB;
		}
		setvbuf(ui.log, NULL, _IOLBF, 0);
		bo.progress = log_progress;
	}
	if (image)
		fprintf(stderr, "burnfs burn: burning the image '%s' as it is\n", image);
	r = image ? eng_burn_image(d, image, &bo, print_bad, NULL, &res, &diag)
		  : eng_burn(d, root, &bo, print_bad, NULL, &res, &diag);
	if (ui.log)
		fclose(ui.log);
	if (ui.tty)
		fputc('\n', stderr);
	if (r < 0) {
		fprintf(stderr, "burnfs burn: %s\n", bfs_diag_msg(&diag, r));
		if (res.after.profile_name)
			fprintf(stderr, "burnfs burn: the disc now: %s, %s, %u session(s)\n",
				res.after.profile_name, mmc_disc_status_name(res.after.status),
				res.after.sessions);
		return r == -ENOSPC	 ? CLI_EXIT_LIMIT
		       : r == -ECANCELED ? CLI_EXIT_INTR
					 : CLI_EXIT_JOB;
	}
	if (bo.simulate) {
		fprintf(stderr,
			"burnfs burn: simulation of a session at block %llu, %llu blocks (%.1f "
			"MiB) went through; nothing was recorded, the %s is %s\n",
			(unsigned long long)res.start_lba, (unsigned long long)res.blocks,
			(double)res.blocks * 2048 / 1048576.0,
			res.after.profile_name ? res.after.profile_name : "disc",
			mmc_disc_status_name(res.after.status));
		return 0;
	}
	if (res.speed_kBps)
		fprintf(stderr, "burnfs burn: write speed %u kB/s (%.1fx)\n", res.speed_kBps,
			(double)res.speed_kBps / mmc_media_x1_kBps(&res.before));
	fprintf(stderr,
		"burnfs burn: session at block %llu, %llu blocks (%.1f MiB); verify: %s%llu "
		"chunks match; the %s is %s\n",
		(unsigned long long)res.start_lba, (unsigned long long)res.blocks,
		(double)res.blocks * 2048 / 1048576.0, bo.verify == ENG_VERIFY_NONE ? "none, " : "",
		(unsigned long long)res.verified_chunks,
		res.after.profile_name ? res.after.profile_name : "disc",
		mmc_disc_status_name(res.after.status));
	return 0;
}

/* ---- info, erase, eject, verify --drive ------------------------------------------------------ */

/* Options of the drive commands besides --drive; each command takes the ones it names. */
struct drive_args {
	const char *drive;
	bool json, full;
	const char *against;
};

enum { ARG_JSON = 1u << 0, ARG_FULL = 1u << 1, ARG_AGAINST = 1u << 2 };

static int open_drive(int argc, char **argv, unsigned takes, struct drive_args *a,
		      struct mmc_drive **ret, struct bfs_diag *diag)
{
	static const struct option opts[] = {
		{"drive", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
		{"full", no_argument, NULL, 'f'},	 {"against", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},	 {0},
	};
	const char *what = argv[0];
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'd')
			a->drive = optarg;
		else if (c == 'j' && (takes & ARG_JSON))
			a->json = true;
		else if (c == 'f' && (takes & ARG_FULL))
			a->full = true;
		else if (c == 'a' && (takes & ARG_AGAINST))
			a->against = optarg;
		else
			goto usage;
	}
	if (!a->drive || optind != argc)
		goto usage;
	r = mmc_drive_open(a->drive, diag, ret);
	if (r < 0)
		return fail(diag, r, what);
	return 0;
usage:
	fprintf(stderr, "Usage: burnfs %s --drive D%s%s%s\n", what,
		takes & ARG_JSON ? " [--json]" : "", takes & ARG_FULL ? " [--full]" : "",
		takes & ARG_AGAINST ? " [--against SRC|IMAGE]" : "");
	return CLI_EXIT_USAGE;
}

/* The sessions of the disc from its tracks: first block and length of each, in order. */
struct session_span {
	unsigned number;
	uint64_t start, length;
	bool open;
};

static size_t sessions_of(const struct mmc_track *t, size_t nt, struct session_span *out)
{
	size_t n = 0;

	for (size_t i = 0; i < nt; i++) {
		if (t[i].blank)
			continue; /* the invisible track where the next session goes */
		if (!n || out[n - 1].number != t[i].session)
			out[n++] =
				(struct session_span){.number = t[i].session, .start = t[i].start};
		out[n - 1].length = t[i].start + t[i].size - out[n - 1].start;
		out[n - 1].open |= t[i].nwa_valid;
	}
	return n;
}

static int cmd_info(int argc, char **argv)
{
	_cleanup_(mmc_drive_closep) struct mmc_drive *d = NULL;
	struct bfs_diag diag = {0};
	struct drive_args a = {0};
	struct mmc_media m;
	static struct mmc_track t[VDRIVE_TRACKS_MAX];
	struct session_span sp[VDRIVE_TRACKS_MAX];
	unsigned speeds[16];
	size_t nt = 0, ns, nspeeds = 0;
	unsigned x1;
	int r = open_drive(argc, argv, ARG_JSON, &a, &d, &diag);

	if (r)
		return r;
	r = mmc_media_probe(d, &m, &diag);
	if (r < 0)
		return fail(&diag, r, "info");
	if (!m.overwrite && m.status != MMC_DISC_BLANK) {
		r = mmc_read_tracks(d, &m, t, BFS_ARRAY_SIZE(t), &nt, &diag);
		if (r < 0)
			return fail(&diag, r, "info");
	}
	ns = sessions_of(t, nt, sp);
	/* a drive without GET PERFORMANCE lists no speeds; that is not an error */
	if (mmc_write_speeds(d, speeds, BFS_ARRAY_SIZE(speeds), &nspeeds, &diag) < 0)
		nspeeds = 0;
	x1 = mmc_media_x1_kBps(&m);
	if (a.json) {
		printf("{\"profile\": \"%s\", \"profile_number\": %u, \"status\": \"%s\", "
		       "\"sessions\": %u, \"next_writable\": %llu, \"free_blocks\": %llu, "
		       "\"capacity\": %llu, \"last_session_start\": %llu, \"erasable\": %s, "
		       "\"unformatted\": %s, \"session_list\": [",
		       m.profile_name, (unsigned)m.profile, mmc_disc_status_name(m.status),
		       m.sessions, (unsigned long long)m.nwa, (unsigned long long)m.free_blocks,
		       (unsigned long long)m.capacity, (unsigned long long)m.last_session_start,
		       m.erasable ? "true" : "false", m.unformatted ? "true" : "false");
		for (size_t i = 0; i < ns; i++)
			printf("%s{\"number\": %u, \"start\": %llu, \"length\": %llu, \"open\": %s}",
			       i ? ", " : "", sp[i].number, (unsigned long long)sp[i].start,
			       (unsigned long long)sp[i].length, sp[i].open ? "true" : "false");
		printf("], \"tracks\": [");
		for (size_t i = 0; i < nt; i++)
			printf("%s{\"number\": %u, \"session\": %u, \"start\": %llu, \"size\": %llu, "
			       "\"blank\": %s, \"reserved\": %s}",
			       i ? ", " : "", t[i].number, t[i].session,
			       (unsigned long long)t[i].start, (unsigned long long)t[i].size,
			       t[i].blank ? "true" : "false", t[i].reserved ? "true" : "false");
		printf("], \"write_speeds_kBps\": [");
		for (size_t i = 0; i < nspeeds; i++)
			printf("%s%u", i ? ", " : "", speeds[i]);
		printf("]}\n");
		return 0;
	}
	printf("medium: %s (%s%s%s, profile %04Xh)\nsessions: %u, last starts at block %llu\n"
	       "next writable address: %llu\nfree: %llu blocks (%.1f MiB) of %llu\n",
	       m.profile_name, mmc_disc_status_name(m.status), m.erasable ? ", erasable" : "",
	       m.unformatted ? ", unformatted: the first burn formats it" : "", (unsigned)m.profile,
	       m.sessions, (unsigned long long)m.last_session_start, (unsigned long long)m.nwa,
	       (unsigned long long)m.free_blocks, (double)m.free_blocks * 2048 / 1048576.0,
	       (unsigned long long)m.capacity);
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
	return 0;
}

static int cmd_erase_eject(int argc, char **argv)
{
	_cleanup_(mmc_drive_closep) struct mmc_drive *d = NULL;
	struct bfs_diag diag = {0};
	struct drive_args a = {0};
	struct mmc_media m;
	bool eject = strcmp(argv[0], "eject") == 0;
	int r = open_drive(argc, argv, eject ? 0 : ARG_FULL, &a, &d, &diag);

	if (r)
		return r;
	if (eject)
		return (r = mmc_eject(d, &diag)) < 0 ? fail(&diag, r, argv[0]) : 0;
	r = mmc_media_probe(d, &m, &diag);
	if (r == 0)
		r = mmc_erase(d, &m, a.full, &diag);
	if (r < 0)
		return fail(&diag, r, argv[0]);
	fprintf(stderr, "burnfs erase: %s %s\n", m.profile_name,
		m.overwrite ? (a.full ? "formatted, every block certified" : "formatted")
			    : (a.full ? "blanked, every block" : "blanked (minimal: TOC and PMA)"));
	return 0;
}

/* The drive a verify reads, and what the drive said about the latest READ that failed. */
struct drive_reader {
	struct mmc_drive *d;
	struct bfs_diag diag;
};

static int drive_read(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf)
{
	struct drive_reader *rd = userdata;

	int r;

	bfs_diag_clear(&rd->diag);
	r = mmc_read(rd->d, lba, n, buf, true, &rd->diag); /* split to the drive's transfer size */
	return r < 0 ? bfs_diag_set(&rd->diag, r, "%s", strerror(-r)) /* kept when set */ : 0;
}

/*
 * r came back from a verify that read through rd: when a READ failed with r, the reader's
 * "...: strerror" becomes "...: what the drive said" (the sense, decoded, and its remedy).
 */
static int with_drive_msg(struct bfs_diag *diag, int r, const struct drive_reader *rd)
{
	char msg[BFS_DIAG_MSG_MAX];
	const char *e = strerror(-r);
	size_t n, el = strlen(e);

	if (r >= 0 || rd->diag.err != r)
		return r;
	snprintf(msg, sizeof(msg), "%s", bfs_diag_msg(diag, r));
	n = strlen(msg);
	if (n >= el + 2 && strcmp(msg + n - el, e) == 0 && msg[n - el - 2] == ':')
		msg[n - el - 2] = '\0';
	else if (strcmp(msg, e) == 0)
		msg[0] = '\0';
	bfs_diag_clear(diag);
	if (!msg[0])
		return bfs_diag_set(diag, r, "%s", rd->diag.msg);
	return bfs_diag_set(diag, r, "%s: %s", msg, rd->diag.msg);
}

static void print_problem(const char *path, const char *what, void *userdata)
{
	(*(unsigned long *)userdata)++;
	printf("%s: %s\n", path, what);
}

/*
 * The disc's blocks from start against the image file at path, 1 MiB at a time: each
 * differing range is a line on stdout. 0 when equal, -EBADMSG when not.
 */
static int verify_image(struct drive_reader *rd, uint64_t start, const char *path,
			struct bfs_diag *diag)
{
	enum { CHUNK = 512 };
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *a = malloc((size_t)CHUNK * 2048 * 2);
	struct stat st;
	uint64_t blocks, bad = 0, first_bad = UINT64_MAX;

	if (fd < 0)
		return bfs_diag_set(diag, -errno, "%s: %s", path, strerror(errno));
	if (!a)
		return -ENOMEM;
	if (fstat(fd, &st) < 0)
		return bfs_diag_set(diag, -errno, "%s: %s", path, strerror(errno));
	if (st.st_size % 2048)
		return bfs_diag_set(diag, -EINVAL, "%s: not whole 2048-byte blocks", path);
	blocks = (uint64_t)st.st_size / 2048;
	for (uint64_t o = 0; o < blocks; o += CHUNK) {
		uint32_t n = (uint32_t)BFS_MIN((uint64_t)CHUNK, blocks - o);
		ssize_t got = pread(fd, a, (size_t)n * 2048, (off_t)(o * 2048));
		int r;

		if (got != (ssize_t)n * 2048)
			return bfs_diag_set(diag, got < 0 ? -errno : -EIO, "%s: read at block %llu",
					    path, (unsigned long long)o);
		r = drive_read(rd, start + o, n, a + (size_t)CHUNK * 2048);
		if (r < 0)
			return bfs_diag_set(diag, r, "the disc cannot be read at block %llu: %s",
					    (unsigned long long)(start + o), rd->diag.msg);
		for (uint32_t i = 0; i <= n; i++) {
			bool differs = i < n && memcmp(a + (size_t)i * 2048,
						       a + (size_t)(CHUNK + i) * 2048, 2048) != 0;

			if (differs && first_bad == UINT64_MAX)
				first_bad = start + o + i;
			if (!differs && first_bad != UINT64_MAX && (i < n || o + n == blocks)) {
				printf("blocks %llu-%llu: differ from %s\n",
				       (unsigned long long)first_bad,
				       (unsigned long long)(start + o + i - 1), path);
				bad += start + o + i - first_bad;
				first_bad = UINT64_MAX;
			}
		}
	}
	fprintf(stderr, "burnfs verify: %llu blocks from block %llu against %s: %llu differ\n",
		(unsigned long long)blocks, (unsigned long long)start, path,
		(unsigned long long)bad);
	return bad ? -EBADMSG : 0;
}

static int verify_drive(int argc, char **argv)
{
	_cleanup_(mmc_drive_closep) struct mmc_drive *d = NULL;
	struct bfs_diag diag = {0};
	struct drive_args a = {0};
	struct mmc_media m;
	static struct mmc_track t[VDRIVE_TRACKS_MAX];
	struct session_span sp[VDRIVE_TRACKS_MAX];
	size_t nt = 0, ns;
	unsigned checked = 0, failed = 0;
	int r = open_drive(argc, argv, ARG_AGAINST, &a, &d, &diag);
	struct drive_reader rd = {0};

	if (r)
		return r;
	rd.d = d;
	r = mmc_media_probe(d, &m, &diag);
	if (r < 0)
		return fail(&diag, r, "verify");
	if (m.status == MMC_DISC_BLANK || (m.overwrite && m.used_blocks == 0))
		return fail(&diag, bfs_diag_set(&diag, -ENODATA, "the disc is blank"), "verify");
	if (!m.overwrite) {
		r = mmc_read_tracks(d, &m, t, BFS_ARRAY_SIZE(t), &nt, &diag);
		if (r < 0)
			return fail(&diag, r, "verify");
	}
	/* overwrite media: one volume at block 0 whose descriptors point at the newest trees */
	ns = m.overwrite ? 1 : sessions_of(t, nt, sp);
	if (m.overwrite)
		sp[0] = (struct session_span){.number = 1, .start = 0, .length = m.used_blocks};
	if (ns == 0)
		return fail(&diag, bfs_diag_set(&diag, -ENODATA, "the disc has no closed session"),
			    "verify");
	if (a.against) {
		/* the newest session against a source tree or an image file */
		struct eng_verify_result res = {0};
		unsigned long problems = 0;
		uint64_t start = sp[ns - 1].start;
		struct stat st;

		if (stat(a.against, &st) < 0)
			return fail(
				&diag,
				bfs_diag_set(&diag, -errno, "%s: %s", a.against, strerror(errno)),
				"verify");
		if (S_ISDIR(st.st_mode)) {
			r = eng_verify_tree(drive_read, &rd, start, a.against, print_problem,
					    &problems, &res, &diag);
			r = with_drive_msg(&diag, r, &rd);
			if (r < 0 && r != -EBADMSG)
				return fail(&diag, r, "verify");
			fprintf(stderr,
				"burnfs verify: session at block %llu against %s: %llu files match, "
				"%llu differ, %llu missing, %llu extra\n",
				(unsigned long long)start, a.against,
				(unsigned long long)res.files_ok, (unsigned long long)res.files_bad,
				(unsigned long long)res.files_missing,
				(unsigned long long)res.files_extra);
		} else if (eng_is_image_file(a.against)) {
			r = verify_image(&rd, start, a.against, &diag);
			if (r < 0 && r != -EBADMSG)
				return fail(&diag, r, "verify");
		} else {
			return fail(
				&diag,
				bfs_diag_set(&diag, -EINVAL,
					     "%s: neither a directory nor an ISO 9660/UDF image",
					     a.against),
				"verify");
		}
		return r ? CLI_EXIT_JOB : 0;
	}
	/* every session against its own manifest */
	for (size_t i = 0; i < ns; i++) {
		struct eng_verify_result res = {0};
		unsigned long problems = 0;

		if (sp[i].open)
			continue;
		bfs_diag_clear(&diag); /* each session's own failure */
		r = eng_verify_manifest(drive_read, &rd, sp[i].start, print_problem, &problems,
					&res, &diag);
		r = with_drive_msg(&diag, r, &rd);
		if (r == -ENOENT) {
			fprintf(stderr,
				"burnfs verify: session %u at block %llu: no manifest (not written by "
				"burnfs): not checked; use --against SRC or IMAGE\n",
				sp[i].number, (unsigned long long)sp[i].start);
			continue;
		}
		if (r < 0 && r != -EBADMSG) {
			fprintf(stderr, "burnfs verify: session %u at block %llu: %s\n",
				sp[i].number, (unsigned long long)sp[i].start,
				bfs_diag_msg(&diag, r));
			failed++;
			continue;
		}
		checked++;
		failed += r != 0;
		fprintf(stderr,
			"burnfs verify: session %u at block %llu: %llu files match, %llu differ, "
			"%llu missing\n",
			sp[i].number, (unsigned long long)sp[i].start,
			(unsigned long long)res.files_ok, (unsigned long long)res.files_bad,
			(unsigned long long)res.files_missing);
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
