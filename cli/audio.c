/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `burnfs audio`: an audio CD from files (one track each) or from a CUE sheet, disc-at-once
 * (the default: exact gaps, CD-Text, ISRC, MCN) or track-at-once, then read back and compared
 * sample for sample.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "common/diag.h"
#include "common/extent.h"
#include "engine/audio.h"
#include "engine/drive.h"
#include "engine/image.h"
#include "engine/sink.h"

static atomic_int cancelled;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&cancelled, 1);
}

struct audio_args {
	const char *drive, *cue;
	const char *data; /* --data DIR|ISO: a mixed-mode CD's data track 1 */
	enum eng_audio_mode mode;
	bool mode_given, cdtext, close, verify, simulate, trace, verify_only;
	double pregap; /* seconds, < 0: not given */
	const char *title, *performer, *mcn;
	const char *track_title[ENG_CD_MAX_TRACKS + 1], *isrc[ENG_CD_MAX_TRACKS + 1];
	const char *const *files;
	size_t nfiles;
};

static void audio_usage(FILE *f)
{
	fprintf(f,
		"Usage: burnfs audio [--drive D] TRACK... [options]\n"
		"       burnfs audio [--drive D] --cue FILE.cue [options]\n"
		"\n"
		"Burns an audio CD: each TRACK a file (WAV, FLAC, Ogg... through libsndfile, converted\n"
		"to 44.1 kHz stereo when it is not; *.bin/*.raw raw CD-DA), or the tracks of a CUE sheet.\n"
		"\n"
		"  --dao | --tao          disc-at-once (default: exact gaps, CD-Text) or track-at-once\n"
		"                         (2-s gaps, the disc stays appendable unless --close)\n"
		"  --pregap SECONDS       silence before tracks 2.. (DAO; default 2, 0 = gapless)\n"
		"  --cd-text              write CD-Text (DAO): the sheet's TITLE/PERFORMER/SONGWRITER\n"
		"  --title T, --performer P, --track-title N=T   CD-Text (imply --cd-text)\n"
		"  --isrc N=CODE          the ISRC of track N (CCOOOYYSSSSS)\n"
		"  --mcn CODE             the disc's catalog number (13 digits)\n"
		"  --close                finalize the disc (TAO; DAO always does)\n"
		"  --verify none|full     read every track back and compare (default full)\n"
		"  --simulate             a test write: the drive records nothing\n"
		"  --verify-only          burn nothing: compare the disc's tracks with the sources\n"
		"                         (burnt as --dao or --tao say)\n"
		"  --data DIR|ISO         a mixed-mode CD (DAO): track 1 the data (an ISO image, or\n"
		"                         one made of DIR), the audio tracks from 2 on\n"
		"  --trace                log every command sent to the drive on stderr\n");
}

/* "N=VALUE": N a track number 1-99 */
static int track_kv(const char *opt, char *arg, const char **table)
{
	char *eq = strchr(arg, '='), *end;
	long n;

	if (!eq)
		goto bad;
	*eq = '\0';
	n = strtol(arg, &end, 10);
	if (*end || end == arg || n < 1 || n > ENG_CD_MAX_TRACKS)
		goto bad;
	table[n] = eq + 1;
	return 0;
bad:
	fprintf(stderr, "burnfs audio: %s: '%s' is not N=VALUE with N a track number\n", opt, arg);
	return -EINVAL;
}

enum {
	OPT_DAO = 0x100,
	OPT_TAO,
	OPT_PREGAP,
	OPT_CDTEXT,
	OPT_TITLE,
	OPT_PERFORMER,
	OPT_TRACK_TITLE,
	OPT_ISRC,
	OPT_MCN,
	OPT_CLOSE,
	OPT_VERIFY,
	OPT_SIMULATE,
	OPT_CUE,
	OPT_DRIVE,
	OPT_TRACE,
	OPT_VERIFY_ONLY,
	OPT_DATA,
};

static int audio_opt(struct audio_args *a, int c, char *arg)
{
	char *end;

	switch (c) {
	case OPT_DAO:
	case OPT_TAO:
		if (a->mode_given && a->mode != (c == OPT_TAO ? ENG_AUDIO_TAO : ENG_AUDIO_SAO))
			return fprintf(stderr, "burnfs audio: --dao or --tao, not both\n"), -EINVAL;
		a->mode = c == OPT_TAO ? ENG_AUDIO_TAO : ENG_AUDIO_SAO;
		a->mode_given = true;
		return 0;
	case OPT_PREGAP:
		a->pregap = strtod(arg, &end);
		if (*end || end == arg || !(a->pregap >= 0 && a->pregap <= 300))
			return fprintf(stderr,
				       "burnfs audio: --pregap: '%s' is not 0-300 seconds\n", arg),
			       -EINVAL;
		return 0;
	case OPT_CDTEXT:
		a->cdtext = true;
		return 0;
	case OPT_TITLE:
		a->title = arg;
		a->cdtext = true;
		return 0;
	case OPT_PERFORMER:
		a->performer = arg;
		a->cdtext = true;
		return 0;
	case OPT_TRACK_TITLE:
		a->cdtext = true;
		return track_kv("--track-title", arg, a->track_title);
	case OPT_ISRC:
		return track_kv("--isrc", arg, a->isrc);
	case OPT_MCN:
		a->mcn = arg;
		return 0;
	case OPT_CLOSE:
		a->close = true;
		return 0;
	case OPT_VERIFY:
		if (strcmp(arg, "none") && strcmp(arg, "full"))
			return fprintf(stderr, "burnfs audio: --verify: '%s' is not none or full\n",
				       arg),
			       -EINVAL;
		a->verify = !strcmp(arg, "full");
		return 0;
	case OPT_SIMULATE:
		a->simulate = true;
		return 0;
	case OPT_CUE:
		a->cue = arg;
		return 0;
	case OPT_DRIVE:
		a->drive = arg;
		return 0;
	case OPT_TRACE:
		a->trace = true;
		return 0;
	case OPT_VERIFY_ONLY:
		a->verify_only = true;
		return 0;
	case OPT_DATA:
		a->data = arg;
		return 0;
	}
	return -EINVAL;
}

/* Checks of what the options say together. */
static int audio_check(const struct audio_args *a)
{
	const char *why = NULL;

	if (!a->cue == !a->nfiles)
		why = a->cue ? "--cue takes no TRACK files" : "no TRACK files and no --cue";
	else if (a->mode == ENG_AUDIO_TAO && a->cdtext)
		why = "CD-Text needs --dao";
	else if (a->mode == ENG_AUDIO_TAO && a->pregap >= 0 && a->pregap != 2)
		why = "--tao: the drive makes 2-s gaps (--pregap needs --dao)";
	else if (a->cue && a->pregap >= 0)
		why = "--pregap: the CUE sheet says the gaps";
	else if (a->verify_only && (a->simulate || a->close || !a->verify))
		why = "--verify-only: no --simulate, --close or --verify none";
	else if (a->data && a->mode == ENG_AUDIO_TAO)
		why = "--data: a mixed-mode CD is written --dao";
	else if (a->mcn && !eng_mcn_valid(a->mcn))
		why = "--mcn: not 13 digits";
	for (int n = 1; !why && n <= ENG_CD_MAX_TRACKS; n++) {
		if (a->isrc[n] && !eng_isrc_valid(a->isrc[n]))
			why = "--isrc: a code is not CCOOOYYSSSSS (5 of A-Z 0-9, then 7 digits)";
		else if ((a->isrc[n] || a->track_title[n]) && a->nfiles &&
			 (size_t)n > a->nfiles + (a->data ? 1 : 0))
			why = "--isrc/--track-title: no such track";
	}
	if (!why)
		return 0;
	fprintf(stderr, "burnfs audio: %s\n", why);
	return -EINVAL;
}

static int audio_parse(int argc, char **argv, struct audio_args *a)
{
	static const struct option opts[] = {
		{"dao", no_argument, NULL, OPT_DAO},
		{"tao", no_argument, NULL, OPT_TAO},
		{"pregap", required_argument, NULL, OPT_PREGAP},
		{"cd-text", no_argument, NULL, OPT_CDTEXT},
		{"title", required_argument, NULL, OPT_TITLE},
		{"performer", required_argument, NULL, OPT_PERFORMER},
		{"track-title", required_argument, NULL, OPT_TRACK_TITLE},
		{"isrc", required_argument, NULL, OPT_ISRC},
		{"mcn", required_argument, NULL, OPT_MCN},
		{"close", no_argument, NULL, OPT_CLOSE},
		{"verify", required_argument, NULL, OPT_VERIFY},
		{"simulate", no_argument, NULL, OPT_SIMULATE},
		{"cue", required_argument, NULL, OPT_CUE},
		{"drive", required_argument, NULL, OPT_DRIVE},
		{"trace", no_argument, NULL, OPT_TRACE},
		{"verify-only", no_argument, NULL, OPT_VERIFY_ONLY},
		{"data", required_argument, NULL, OPT_DATA},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	*a = (struct audio_args){.mode = ENG_AUDIO_SAO, .verify = true, .pregap = -1};
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			audio_usage(stdout);
			return 1;
		}
		if (c == '?' || audio_opt(a, c, optarg) < 0) {
			audio_usage(stderr);
			return -EINVAL;
		}
	}
	a->files = (const char *const *)argv + optind;
	a->nfiles = (size_t)(argc - optind);
	return audio_check(a);
}

static int set_text(char **dst, const char *v)
{
	if (!v)
		return 0;
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

/*
 * The ISO image of DIR for the data track, as `burnfs image --media cd` makes it (with its
 * manifest), into an unlinked file of $TMPDIR; *ret_fd stays open for the job, the file
 * named by /proc/self/fd/N. -errno with diag.
 */
static int make_iso(const char *dir, int *ret_fd, struct bfs_diag *diag)
{
	struct eng_image_opts io = {
		.media = ENG_MEDIA_CD, .ring_bytes = 1u << 20, .manifest = true};
	struct eng_image_info info;
	struct eng_source src = {.path = dir};
	struct eng_scan_opts so = {0};
	_cleanup_(bfs_node_freep) struct bfs_node *root = NULL;
	_cleanup_(eng_image_freep) struct eng_image *img = NULL;
	const char *tmp = getenv("TMPDIR");
	int fd, r;

	if ((r = eng_scan(&src, 1, &so, diag, &root)) < 0 ||
	    (r = eng_image_new(&io, root, diag, &img)) < 0)
		return bfs_diag_prefix(diag, r, "--data '%s'", dir);
	fd = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return bfs_diag_set(diag, -errno, "--data: a temporary file in %s: %m",
				    tmp && *tmp ? tmp : "/tmp");
	eng_image_info(img, &info);
	r = eng_sink_image(img, fd, true, "the data track's image", NULL, NULL, diag);
	if (r == 0 && ftruncate(fd, (off_t)(info.blocks * BFS_BLOCK_SIZE)) < 0)
		r = bfs_diag_set(diag, -errno, "the data track's image: %m");
	if (r < 0) {
		close(fd);
		return bfs_diag_prefix(diag, r, "--data: writing the image of '%s'", dir);
	}
	*ret_fd = fd;
	return 0;
}

/* --data: an ISO as it is, or one made of a directory (iso_fd >= 0 then). */
static int add_data(const char *data, struct eng_cue_sheet *s, int *iso_fd, struct bfs_diag *diag)
{
	char path[64];
	struct stat st;
	int r;

	if (stat(data, &st) < 0)
		return bfs_diag_set(diag, -errno, "--data '%s': %m", data);
	if (!S_ISDIR(st.st_mode))
		return eng_cue_add_data(s, data, diag);
	if ((r = make_iso(data, iso_fd, diag)) < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", *iso_fd);
	return eng_cue_add_data(s, path, diag);
}

/* The sheet to burn: the --cue one or one track a file, with the options' text and codes. */
static int make_sheet(const struct audio_args *a, struct eng_cue_sheet **ret, int *iso_fd,
		      struct bfs_diag *diag)
{
	_cleanup_(eng_cue_freep) struct eng_cue_sheet *s = NULL;
	uint32_t pregap = a->mode == ENG_AUDIO_TAO ? 0 : ENG_CD_LEADIN_GAP;
	int r;

	if (a->pregap >= 0 && a->mode == ENG_AUDIO_SAO)
		pregap = (uint32_t)lround(a->pregap * ENG_CD_FPS);
	r = a->cue ? eng_cue_load(a->cue, &s, diag)
		   : eng_cue_of_files(a->files, a->nfiles, pregap, &s, diag);
	if (r < 0 || (a->data && (r = add_data(a->data, s, iso_fd, diag)) < 0))
		return r;
	if ((r = set_text(&s->text[ENG_CDTEXT_TITLE], a->title)) < 0 ||
	    (r = set_text(&s->text[ENG_CDTEXT_PERFORMER], a->performer)) < 0)
		return r;
	if (a->mcn)
		memcpy(s->catalog, a->mcn, sizeof(s->catalog));
	for (size_t i = 0; i < s->ntracks; i++) {
		struct eng_cue_track *t = &s->tracks[i];

		if ((r = set_text(&t->text[ENG_CDTEXT_TITLE], a->track_title[t->number])) < 0)
			return r;
		if (a->isrc[t->number])
			memcpy(t->isrc, a->isrc[t->number], sizeof(t->isrc));
	}
	*ret = TAKE_PTR(s);
	return 0;
}

struct job {
	struct eng_cue_sheet *sheet;
	struct eng_audio_src **srcs;
	struct eng_audio_plan *plan;
	uint8_t *packs;
	size_t npacks;
	int iso_fd; /* --data DIR: the image made of it, -1 else */
};

static int make_cdtext(const struct eng_cue_sheet *s, const struct job *j, uint8_t **packs,
		       size_t *n, struct bfs_diag *diag)
{
	struct eng_cdtext *t = bfs_new(struct eng_cdtext, 1);
	int r;

	if (!t)
		return -ENOMEM;
	eng_cdtext_of_sheet(s, j ? j->srcs : NULL, t);
	r = eng_cdtext_packs(t, packs, n, diag);
	free(t);
	return r;
}

struct ui {
	bool tty;
	enum eng_audio_phase phase;
	unsigned track;
	int pct;
};

static int show_progress(const struct eng_audio_status *st, void *userdata)
{
	struct ui *ui = userdata;
	int pct = st->total ? (int)(st->done * 100 / st->total) : 0;

	if (ui->tty && (pct != ui->pct || st->track != ui->track || st->phase != ui->phase)) {
		fprintf(stderr, "\r%s track %02u: %3d%% ",
			st->phase == ENG_AUDIO_PHASE_WRITE ? "writing" : "verifying", st->track,
			pct);
		ui->pct = pct;
		ui->track = st->track;
		ui->phase = st->phase;
	}
	return atomic_load(&cancelled) ? -1 : 0;
}

static void job_done(struct job *j)
{
	eng_audio_plan_free(j->plan);
	for (size_t i = 0; j->srcs && i < j->sheet->nfiles; i++)
		eng_audio_src_free(j->srcs[i]);
	free(j->srcs);
	eng_cue_free(j->sheet);
	free(j->packs);
	if (j->iso_fd >= 0)
		close(j->iso_fd);
}

/* Sheet, decoded sources, plan and CD-Text: everything that can fail before the drive. */
static int job_prepare(const struct audio_args *a, struct job *j, struct bfs_diag *diag)
{
	int r;

	if ((r = make_sheet(a, &j->sheet, &j->iso_fd, diag)) < 0)
		return r;
	j->srcs = bfs_new(struct eng_audio_src *, j->sheet->nfiles);
	if (!j->srcs)
		return -ENOMEM;
	for (size_t i = 0; i < j->sheet->nfiles; i++)
		if ((r = eng_audio_src_open(j->sheet->files[i].path, j->sheet->files[i].type,
					    &j->srcs[i], diag)) < 0)
			return r;
	if ((r = eng_audio_plan_cue(j->sheet, j->srcs, &j->plan, diag)) < 0)
		return r;
	if (a->cdtext &&
	    (r = make_cdtext(j->sheet, a->cue ? NULL : j, &j->packs, &j->npacks, diag)) < 0)
		return r;
	return 0;
}

/* After a failed burn: the disc's state, so the user knows whether it is still usable. */
static void tell_disc(struct mmc_drive *d)
{
	struct bfs_diag diag = {0};
	struct mmc_media m;

	if (eng_drive_probe(d, &m, &diag) < 0)
		fprintf(stderr, "burnfs audio: the disc's state is unknown: %s\n",
			bfs_diag_msg(&diag, diag.err));
	else
		fprintf(stderr, "burnfs audio: the disc now: %s, %s\n",
			m.profile_name ? m.profile_name : "unknown medium",
			eng_disc_status_name(m.status));
}

static int audio_run(const struct audio_args *a, const char *drive)
{
	struct job j = {.iso_fd = -1};
	struct bfs_diag diag = {0};
	_cleanup_(eng_drive_closep) struct mmc_drive *d = NULL;
	struct ui ui = {.tty = isatty(STDERR_FILENO), .pct = -1};
	struct eng_audio_burn_opts o = {.mode = a->mode,
					.simulate = a->simulate,
					.close = a->close,
					.verify = a->verify,
					.progress = show_progress,
					.userdata = &ui};
	char len[16];
	int r;

	if ((r = job_prepare(a, &j, &diag)) < 0 || (r = eng_drive_open(drive, &diag, &d)) < 0)
		goto out;
	if (a->trace)
		eng_drive_set_trace(d, stderr);
	o.cdtext = j.packs;
	o.ncdtext = j.npacks;
	/* a real drive reads audio some samples early or late; a virtual one is exact */
	o.offset_search = eng_drive_vdrive_dir(d) ? 0 : 5000;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (a->verify_only) {
		r = eng_audio_verify(d, j.plan, &o, NULL, &diag);
		if (ui.tty && ui.pct >= 0)
			fputc('\n', stderr);
		if (r == 0)
			printf("verified %zu tracks: the disc holds their sources\n",
			       j.plan->ntracks);
		goto out;
	}
	r = eng_audio_burn(d, j.plan, &o, &diag);
	if (ui.tty && ui.pct >= 0)
		fputc('\n', stderr);
	if (r == 0)
		printf("%s %zu track%s (%s) %s%s%s\n", a->simulate ? "simulated" : "burnt",
		       j.plan->ntracks, j.plan->ntracks == 1 ? "" : "s",
		       eng_msf_format((uint32_t)j.plan->leadout, len, sizeof(len)),
		       a->mode == ENG_AUDIO_TAO ? "track-at-once" : "disc-at-once",
		       j.packs ? ", CD-Text" : "", a->verify && !a->simulate ? ", verified" : "");
out:
	job_done(&j);
	if (r == 0)
		return 0;
	fprintf(stderr, "burnfs audio: %s\n", bfs_diag_msg(&diag, r));
	if (d && !a->verify_only)
		tell_disc(d);
	if (r == -ECANCELED)
		return CLI_EXIT_INTR;
	return r == -ENOSPC ? CLI_EXIT_LIMIT : CLI_EXIT_JOB;
}

int cli_audio_main(int argc, char **argv)
{
	struct audio_args a;
	_cleanup_free_ char *drive = NULL;
	int r = audio_parse(argc, argv, &a);

	if (r != 0)
		return r > 0 ? 0 : CLI_EXIT_USAGE;
	if (!a.drive && cli_default_drive("audio", false, &drive) < 0)
		return CLI_EXIT_USAGE;
	return audio_run(&a, a.drive ? a.drive : drive);
}
