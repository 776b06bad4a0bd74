/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burnfs commit MOUNTPOINT and burnfs status MOUNTPOINT: the staging mount's control files
 * (.burnfs/ctl, .burnfs/status, .burnfs/log; fuse/src/job.h) from the command line. commit
 * writes the command, then follows the status every 250 ms (a progress bar on a terminal)
 * and exits with the job's result: 0 done, 1 failed (message and remedy printed), 130 when
 * interrupted by SIGINT or SIGTERM, which first cancel the commit and wait for the disc's
 * state. MOUNTPOINT may be any path inside the mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "common/macro.h"

#define STATUS_MAX (4u << 20) /* a larger status file is not ours */
#define POLL_MS	   250

extern char **environ;

/* set by the signal handler (an atomic: async-signal-safe when lock-free) */
static atomic_int interrupted;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&interrupted, 1);
}

/* ---- the control files -------------------------------------------------------------------- */

/* The whole of a (synthetic, size-less) file: read until EOF. -errno on failure. */
static int read_all(const char *path, char **ret)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int fd;

	while ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (cap - len < 4096 && BFS_GROW(buf, cap, len + 65536) < 0) {
			close(fd);
			free(buf);
			return -ENOMEM;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;

			close(fd);
			free(buf);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > STATUS_MAX) {
			close(fd);
			free(buf);
			return -EFBIG;
		}
	}
	close(fd);
	buf[len] = '\0';
	*ret = buf;
	return 0;
}

/* The mount's status as JSON (the caller puts it); -errno, -EBADMSG when it is not JSON. */
static int read_status(const char *mnt, struct json_object **ret)
{
	char path[PATH_MAX + 32];
	_cleanup_free_ char *text = NULL;
	struct json_object *o;
	int r;

	snprintf(path, sizeof(path), "%s/.burnfs/status", mnt);
	r = read_all(path, &text);
	if (r < 0)
		return r;
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EBADMSG;
	}
	*ret = o;
	return 0;
}

static int write_ctl(const char *mnt, const char *line)
{
	char path[PATH_MAX + 32];
	size_t len = strlen(line);
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/.burnfs/ctl", mnt);
	while ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t w = write(fd, line, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			r = -errno;
		else if ((size_t)w != len)
			r = -EIO;
		break;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* The daemon's reason for refusing the last command: its newest "ctl: " log line. */
static void print_ctl_reason(const char *mnt, const char *what)
{
	char path[PATH_MAX + 32];
	_cleanup_free_ char *log = NULL;
	const char *last = NULL;

	snprintf(path, sizeof(path), "%s/.burnfs/log", mnt);
	if (read_all(path, &log) < 0)
		return;
	for (char *p = strstr(log, " ctl: "); p; p = strstr(p + 1, " ctl: "))
		last = p + 6;
	if (last)
		fprintf(stderr, "burnfs %s: %.*s\n", what, (int)strcspn(last, "\n"), last);
}

/*
 * The root of the burnfs mount that path lies in: the nearest directory, path or one of
 * its parents, that has .burnfs/status. Returns a malloc'd path, NULL (errno set) if none.
 */
static char *find_mount(const char *path)
{
	char *p = realpath(path, NULL);

	if (!p)
		return NULL;
	for (;;) {
		char probe[PATH_MAX + 32];
		struct stat st;
		char *slash;

		snprintf(probe, sizeof(probe), "%s/.burnfs/status", strcmp(p, "/") ? p : "");
		if (stat(probe, &st) == 0 && S_ISREG(st.st_mode))
			return p;
		slash = strrchr(p, '/');
		if (!slash || slash == p) {
			free(p);
			errno = ENOTDIR;
			return NULL;
		}
		*slash = '\0';
	}
}

/*
 * Say why path is not in a live burnfs mount: in one whose daemon has stopped (it answers
 * ENOTCONN: say how to clean it up), or in none. Returns the exit code.
 */
static int no_mount(const char *cmd, const char *path, int err)
{
	_cleanup_free_ char *abs = cli_abs_path(path);
	_cleanup_free_ char *m = NULL;
	bool dead = false;

	if (abs)
		m = cli_burnfs_mount_above(abs, &dead);
	if (m && dead) {
		fprintf(stderr,
			"burnfs %s: '%s' is in the burnfs mount '%s', whose daemon has stopped (killed "
			"or crashed)\n"
			"remedy: burnfs umount '%s', then mount it again (burnfs mount ...): its status "
			"tells what became of a commit that was running\n",
			cmd, path, m, m);
		return CLI_EXIT_JOB;
	}
	fprintf(stderr, "burnfs %s: '%s' is not in a burnfs mount (%s)\n", cmd, path,
		err == ENOTDIR ? "no .burnfs/status above it" : strerror(err));
	if (strcmp(cmd, "commit") == 0)
		fprintf(stderr, "remedy: mount one with `burnfs mount MOUNTPOINT`\n");
	return CLI_EXIT_JOB;
}

/* Columns for the progress line: the terminal's width less one, at most 120. */
static int term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return BFS_MIN((int)ws.ws_col - 1, 120);
	return 79;
}

/* ---- JSON fields ---------------------------------------------------------------------------- */

/* The member at a dotted path, NULL when absent or null. */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char key[64];

	while (o && *path) {
		size_t n = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)BFS_MIN(n, sizeof(key) - 1), path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return o && !json_object_is_type(o, json_type_null) ? o : NULL;
}

static const char *jstr(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	return v ? json_object_get_string(v) : NULL;
}

static double jnum(struct json_object *o, const char *path, double dflt)
{
	struct json_object *v = jget(o, path);

	return v ? json_object_get_double(v) : dflt;
}

static bool running(struct json_object *st)
{
	const char *s = jstr(st, "state");

	return s && (strcmp(s, "committing") == 0 || strcmp(s, "cancelling") == 0);
}

/* ---- rendering ------------------------------------------------------------------------------ */

/* One line of progress: "writing 42.0% 12.3/45.6 MiB 5.5 MB/s (1.2x) ETA 30 s ring 80% ..." */
static void progress_text(struct json_object *st, char *buf, size_t cap)
{
	const char *phase = jstr(st, "phase");
	double pct = jnum(st, "percent", 0), done = jnum(st, "bytes_done", 0);
	double total = jnum(st, "bytes_total", 0), mbs = jnum(st, "mb_per_s", 0);
	double x = jnum(st, "x_speed", -1), eta = jnum(st, "eta_s", -1);
	double ring = jnum(st, "ring_fill", -1), drv = jnum(st, "drive_fill", -1);
	size_t n;

	n = (size_t)snprintf(buf, cap, "%-10s", phase && *phase ? phase : "starting");
	if (total <= 0) {
		if (pct > 0 && n < cap)
			snprintf(buf + n, cap - n, " %5.1f%%", pct);
		return;
	}
	n += (size_t)snprintf(buf + n, cap - n, " %5.1f%%  %.1f/%.1f MiB", pct, done / 1048576.0,
			      total / 1048576.0);
	if (mbs > 0 && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "  %.1f MB/s", mbs);
	if (x >= 0 && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, " (%.1fx)", x);
	if (eta >= 0 && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "  ETA %.0f s", eta);
	if (ring >= 0 && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "  ring %.0f%%", ring);
	if (drv >= 0 && n < cap)
		snprintf(buf + n, cap - n, "  drive buffer %.0f%%", drv);
}

static void print_disc(FILE *f, const char *label, struct json_object *d)
{
	const char *profile = jstr(d, "profile");

	if (!d)
		return;
	if (!profile) {
		fprintf(f, "%s: unknown (%s)\n", label, jstr(d, "error") ? jstr(d, "error") : "?");
		return;
	}
	fprintf(f, "%s: %s, %s, %.0f session(s), %.0f of %.0f blocks free (%.1f MiB)\n", label,
		profile, jstr(d, "status") ? jstr(d, "status") : "?", jnum(d, "sessions", 0),
		jnum(d, "free_blocks", 0), jnum(d, "capacity_blocks", 0),
		jnum(d, "free_blocks", 0) * 2048 / 1048576.0);
}

static void print_result(FILE *f, struct json_object *res)
{
	struct json_object *bad = jget(res, "bad_ranges");
	const char *remedy = jstr(res, "remedy");

	for (size_t i = 0; bad && i < json_object_array_length(bad); i++) {
		struct json_object *b = json_object_array_get_idx(bad, i);

		fprintf(f, "damaged: blocks %.0f-%.0f: %s\n", jnum(b, "first_lba", 0),
			jnum(b, "last_lba", 0), jstr(b, "files") ? jstr(b, "files") : "");
	}
	if (remedy)
		fprintf(f, "remedy: %s\n", remedy);
}

/* A desktop notification, when notify-send is installed (package libnotify-bin). */
static void notify(bool ok, const char *mnt, const char *msg)
{
	char title[PATH_MAX + 64];
	/* posix_spawnp takes char *const argv[] and does not modify the strings */
	char *argv[] = {(char *)"notify-send",
			(char *)"--app-name=burnfs",
			(char *)"--icon",
			(char *)(ok ? "media-optical" : "dialog-error"),
			title,
			(char *)msg,
			NULL};
	pid_t pid;
	int st;

	snprintf(title, sizeof(title), "%s: %s", ok ? "Burnt" : "Burn failed", mnt);
	if (posix_spawnp(&pid, "notify-send", NULL, NULL, argv, environ) != 0) {
		fprintf(stderr, "burnfs commit: --notify: notify-send is not installed (Debian "
				"package libnotify-bin); no notification\n");
		return;
	}
	(void)waitpid(pid, &st, 0);
}

/* ---- burnfs commit -------------------------------------------------------------------------- */

static void commit_usage(FILE *f)
{
	fprintf(f,
		"Usage: burnfs commit MOUNTPOINT [--verify none|quick|full] [--close] [--speed X]\n"
		"                     [--simulate] [--notify] [--boot-bios PATH] [--boot-efi PATH]\n"
		"                     [--boot-catalog PATH] [--hybrid [--hybrid-mbr FILE]]\n"
		"                     [--boot-replay ISO]\n"
		"\n"
		"Burn what is staged in the burnfs mount at MOUNTPOINT (any path inside it) as a\n"
		"session, like `echo commit > MOUNTPOINT/.burnfs/ctl`, and follow it to the end.\n"
		"The mount is read-only meanwhile. On success the staged files are removed; on\n"
		"failure they stay as they were and the remedy is printed. --verify: read the\n"
		"session back (default full). --close: finalize the disc. --speed X: X times the\n"
		"medium's 1x (8 or 8x), or max. --simulate: a test write (CD-R/RW, DVD-R/RW).\n"
		"--notify: a desktop notification at the end (notify-send).\n"
		"Boot options, as burnfs image's, onto a blank disc only (a first session):\n"
		"--boot-bios, --boot-efi and --boot-catalog name files of the mount's tree, as\n"
		"paths in the mount (from the working directory, or MOUNTPOINT/isolinux/...) or\n"
		"as the disc's paths (/isolinux/isolinux.bin); --hybrid-mbr FILE and\n"
		"--boot-replay ISO are files of this machine, read by the mount's daemon.\n"
		"Ctrl-C cancels the commit and waits for the disc's state.\n"
		"\n"
		"       burnfs commit --cancel MOUNTPOINT\n"
		"Cancel the commit running there (from another terminal, or before `burnfs\n"
		"umount`, which lets a commit run to its end) and wait for the disc's state.\n"
		"Exit codes: 0 done, 1 failed, 2 usage, 130 interrupted.\n");
}

/* The status of the commit being followed can no longer be read (r): say why. */
static void status_lost(const char *mnt, int r)
{
	if (r == -ENOENT)
		fprintf(stderr,
			"burnfs commit: '%s' was unmounted during the commit: its daemon goes on "
			"with the commit to its end, then exits; mount it again once it has (`burnfs "
			"mount`) and `burnfs status` tells how the commit ended\n",
			mnt);
	else if (r == -ENOTCONN)
		fprintf(stderr,
			"burnfs commit: '%s': the burnfs daemon stopped during the commit (killed or "
			"crashed)\n"
			"remedy: burnfs umount '%s', mount it again (`burnfs mount`): `burnfs status` "
			"then tells what became of the commit and the disc\n",
			mnt, mnt);
	else
		fprintf(stderr,
			"burnfs commit: '%s': the status cannot be read (%s): the burnfs daemon "
			"stopped during the commit? Mount it again (`burnfs mount`) and see `burnfs "
			"status`\n",
			mnt, r == -EBADMSG ? "not JSON" : strerror(-r));
}

/* burnfs commit --cancel: cancel the running commit and wait for the disc's state. */
static int cancel_commit(const char *mnt)
{
	struct json_object *st = NULL, *res;
	int r = write_ctl(mnt, "cancel\n");

	if (r == -ESRCH) {
		fprintf(stderr, "burnfs commit: --cancel: no commit is running in '%s'\n", mnt);
		return CLI_EXIT_JOB;
	}
	if (r < 0) {
		fprintf(stderr, "burnfs commit: --cancel: the mount refused it: %s\n",
			strerror(-r));
		print_ctl_reason(mnt, "commit");
		return CLI_EXIT_JOB;
	}
	fprintf(stderr, "burnfs commit: cancelling; waiting for the drive\n");
	for (;;) {
		struct timespec ts = {0, POLL_MS * 1000000L};

		r = read_status(mnt, &st);
		if (r < 0) {
			fprintf(stderr, "burnfs commit: '%s': the status cannot be read: %s\n", mnt,
				r == -EBADMSG ? "not JSON" : strerror(-r));
			return CLI_EXIT_JOB;
		}
		if (!running(st))
			break;
		json_object_put(st);
		nanosleep(&ts, NULL);
	}
	res = jget(st, "last_result");
	fprintf(stderr, "burnfs commit: the commit ended: %s\n",
		jstr(res, "message") ? jstr(res, "message") : "(no message)");
	print_result(stderr, res);
	json_object_put(st);
	return 0;
}

/*
 * Follow the commit just started in mnt until it ends, with a progress line on a terminal
 * (else a line per phase); SIGINT or SIGTERM (interrupted) cancels it first. 0 with the final
 * status in *ret (the caller puts it), else the exit code, the reason printed.
 */
static int follow(const char *mnt, struct json_object **ret)
{
	struct json_object *st = NULL;
	char last_phase[64] = "", text[256];
	bool tty, sent_cancel = false;
	double our_id = -1;
	int width, r;

	tty = isatty(STDERR_FILENO);
	width = tty ? term_width() : 0;
	for (;;) {
		struct timespec ts = {0, POLL_MS * 1000000L};
		const char *phase;

		if (atomic_load(&interrupted) && !sent_cancel) {
			sent_cancel = true;
			r = write_ctl(mnt, "cancel\n");
			if (tty)
				fputc('\n', stderr);
			if (r < 0 && r != -ESRCH)
				fprintf(stderr, "burnfs commit: cancel: %s\n", strerror(-r));
			else
				fprintf(stderr,
					"burnfs commit: cancelling; waiting for the drive\n");
		}
		json_object_put(st);
		st = NULL;
		r = read_status(mnt, &st);
		if (r == -EINTR)
			continue; /* a signal: cancel, then read again */
		if (r < 0) {
			if (tty)
				fputc('\n', stderr);
			status_lost(mnt, r);
			return CLI_EXIT_JOB;
		}
		if (our_id < 0)
			our_id = jnum(st, "job.id",
				      0); /* the commit started when the write returned */
		if (jnum(st, "job.id", 0) != our_id) {
			/* not our job (another commit was started between our two steps) */
			if (tty)
				fputc('\n', stderr);
			fprintf(stderr,
				"burnfs commit: '%s': another commit (job %.0f) followed ours; see "
				"`burnfs status` and the log\n",
				mnt, jnum(st, "job.id", 0));
			json_object_put(st);
			return CLI_EXIT_JOB;
		}
		if (!running(st))
			break;
		phase = jstr(st, "phase");
		if (tty) {
			progress_text(st, text, sizeof(text));
			fprintf(stderr, "\r%-*.*s", width, width, text);
		} else if (phase && *phase && strcmp(phase, last_phase) != 0) {
			fprintf(stderr, "burnfs commit: %s\n", phase);
		}
		snprintf(last_phase, sizeof(last_phase), "%s", phase ? phase : "");
		nanosleep(&ts, NULL);
	}
	if (tty)
		fprintf(stderr, "\r%-*s\r", width, "");
	*ret = st;
	return 0;
}

/* --speed X: X or Xx with X from 1 to 64, or max; false (said) when it is not. */
static bool speed_ok(const char *arg)
{
	char *end;
	unsigned long x;

	if (strcmp(arg, "max") == 0)
		return true;
	x = strtoul(arg, &end, 10);
	if (end == arg || (*end && strcmp(end, "x") != 0) || x == 0 || x > 64 || arg[0] == '-' ||
	    arg[0] == '+') {
		fprintf(stderr,
			"burnfs commit: --speed: '%s' is not a speed (a multiple of 1x from 1 to 64, "
			"like 8 or 8x, or max)\n",
			arg);
		return false;
	}
	return true;
}

/* ---- boot options --------------------------------------------------------------------------- */

/* The boot options as given; the daemon judges their combination (and says why not). */
struct boot_args {
	const char *bios, *efi, *catalog, *hybrid_mbr, *replay;
	bool hybrid;
};

/*
 * The disc path of a file named for --boot-bios, --boot-efi or --boot-catalog: a path that
 * lies in the mount (from the working directory, or MOUNTPOINT/...; its directory resolved,
 * its last name kept, as the tree stores a symlink as one) made absolute from the mount's
 * root, else arg itself when it starts with '/' (a disc path, as burnfs image takes). The
 * file need not exist yet: the daemon's engine checks it. malloc'd, NULL (said) if neither.
 */
static char *tree_path(const char *mnt, const char *opt, const char *arg)
{
	_cleanup_free_ char *copy = strdup(arg), *dir = NULL;
	size_t ml = strlen(mnt);
	const char *base = copy;
	char *slash, *ret = NULL;
	int r = -1;

	if (!copy)
		return NULL;
	slash = strrchr(copy, '/');
	if (slash) {
		*slash = '\0';
		base = slash + 1;
	}
	dir = realpath(!slash ? "." : slash == copy ? "/" : copy, NULL);
	if (dir && *base && strcmp(base, ".") && strcmp(base, "..")) {
		if (strcmp(dir, mnt) == 0)
			r = asprintf(&ret, "/%s", base);
		else if (strncmp(dir, mnt, ml) == 0 && dir[ml] == '/')
			r = asprintf(&ret, "%s/%s", dir + ml, base);
		if (r >= 0)
			return ret;
	}
	if (arg[0] == '/')
		return strdup(arg);
	fprintf(stderr,
		"burnfs commit: %s '%s': not a file in the mount '%s' (nor a disc path, which "
		"starts with /)\n",
		opt, arg, mnt);
	return NULL;
}

/*
 * One "KEY=VALUE" word of the ctl line, the blanks and backslashes of VALUE escaped with a
 * backslash (the ctl grammar, job.h). false (said) for a newline, which no line can carry.
 */
static bool put_word(FILE *f, const char *opt, const char *key, const char *val)
{
	if (strchr(val, '\n')) {
		fprintf(stderr, "burnfs commit: %s: a path with a newline cannot be given\n", opt);
		return false;
	}
	fprintf(f, " %s=", key);
	for (; *val; val++) {
		if (*val == ' ' || *val == '\t' || *val == '\\')
			fputc('\\', f);
		fputc(*val, f);
	}
	return true;
}

/* The boot options' words for the ctl line into f; false (said) when one cannot be. */
static bool put_boot(FILE *f, const char *mnt, const struct boot_args *b)
{
	static const char *const opts[] = {"--boot-bios", "--boot-efi", "--boot-catalog",
					   "--hybrid-mbr", "--boot-replay"};
	const char *vals[] = {b->bios, b->efi, b->catalog, b->hybrid_mbr, b->replay};

	for (size_t i = 0; i < BFS_ARRAY_SIZE(vals); i++) {
		_cleanup_free_ char *p = NULL;

		if (!vals[i])
			continue;
		if (i < 3) {
			p = tree_path(mnt, opts[i], vals[i]);
		} else if (!(p = realpath(vals[i], NULL))) { /* the daemon's cwd is not ours */
			fprintf(stderr, "burnfs commit: %s '%s': %s\n", opts[i], vals[i],
				strerror(errno));
			return false;
		}
		if (!p || !put_word(f, opts[i], opts[i] + 2, p))
			return false;
	}
	if (b->hybrid)
		fputs(" hybrid", f);
	return true;
}

/* The end of a followed commit: its result (and the notification); the exit code. */
static int report(const char *mnt, struct json_object *st, bool notify_end)
{
	struct json_object *res = jget(st, "last_result");
	int code;

	if (jget(res, "ok") && json_object_get_boolean(jget(res, "ok"))) {
		fprintf(stderr, "burnfs commit: %s\n",
			jstr(res, "message") ? jstr(res, "message") : "done");
		code = 0;
	} else {
		fprintf(stderr, "burnfs commit: failed: %s\n",
			jstr(res, "message") ? jstr(res, "message") : "(no message)");
		print_result(stderr, res);
		code = atomic_load(&interrupted) ? CLI_EXIT_INTR : CLI_EXIT_JOB;
	}
	if (notify_end)
		notify(code == 0, mnt, jstr(res, "message") ? jstr(res, "message") : "");
	return code;
}

/* The ctl command of a commit, newline-terminated; NULL (said) when it cannot be made. */
static char *commit_line(const char *mnt, const char *verify, bool finalize, const char *speed,
			 bool simulate, const struct boot_args *boot)
{
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	bool ok;

	if (!f) {
		fprintf(stderr, "burnfs commit: %s\n", strerror(errno));
		return NULL;
	}
	fprintf(f, "commit verify=%s%s%s%s%s", verify, finalize ? " close" : "",
		speed ? " speed=" : "", speed ? speed : "", simulate ? " simulate" : "");
	ok = put_boot(f, mnt, boot);
	fputc('\n', f);
	if (fclose(f) != 0 || !ok) {
		free(line);
		return NULL;
	}
	return line;
}

struct commit_args {
	const char *verify, *speed;
	bool finalize, simulate, notify_end, cancel;
	struct boot_args boot;
};

/* An option of burnfs commit into a: 0, or the exit code of a bad one. */
static int commit_opt(int c, struct commit_args *a)
{
	switch (c) {
	case 'v':
		if (strcmp(optarg, "none") && strcmp(optarg, "quick") && strcmp(optarg, "full")) {
			fprintf(stderr,
				"burnfs commit: --verify: '%s' is not none, quick or full\n",
				optarg);
			return CLI_EXIT_USAGE;
		}
		a->verify = optarg;
		return 0;
	case 'S':
		if (!speed_ok(optarg))
			return CLI_EXIT_USAGE;
		a->speed = strcmp(optarg, "max") == 0 ? NULL : optarg;
		return 0;
	case 'c':
		a->finalize = true;
		return 0;
	case 's':
		a->simulate = true;
		return 0;
	case 'n':
		a->notify_end = true;
		return 0;
	case 'C':
		a->cancel = true;
		return 0;
	case 'B':
		a->boot.bios = optarg;
		return 0;
	case 'E':
		a->boot.efi = optarg;
		return 0;
	case 'K':
		a->boot.catalog = optarg;
		return 0;
	case 'H':
		a->boot.hybrid = true;
		return 0;
	case 'M':
		a->boot.hybrid_mbr = optarg;
		return 0;
	case 'R':
		a->boot.replay = optarg;
		return 0;
	}
	return CLI_EXIT_USAGE;
}

/* The command line of burnfs commit into a: -1 to go on, else the exit code (help, usage). */
static int commit_args(int argc, char **argv, struct commit_args *a)
{
	static const struct option lo[] = {
		{"verify", required_argument, NULL, 'v'},
		{"close", no_argument, NULL, 'c'},
		{"speed", required_argument, NULL, 'S'},
		{"simulate", no_argument, NULL, 's'},
		{"notify", no_argument, NULL, 'n'},
		{"cancel", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{"boot-bios", required_argument, NULL, 'B'},
		{"boot-efi", required_argument, NULL, 'E'},
		{"boot-catalog", required_argument, NULL, 'K'},
		{"hybrid", no_argument, NULL, 'H'},
		{"hybrid-mbr", required_argument, NULL, 'M'},
		{"boot-replay", required_argument, NULL, 'R'},
		{},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (c == 'h') {
			commit_usage(stdout);
			return 0;
		}
		if (c == ':' || c == '?') {
			fprintf(stderr,
				"burnfs commit: %s '%s'\n(burnfs commit --help tells more)\n",
				c == ':' ? "an argument is missing after" : "unknown option",
				argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
		if (commit_opt(c, a))
			return CLI_EXIT_USAGE;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "burnfs commit: %s\n(burnfs commit --help tells more)\n",
			optind == argc ? "no mount point given: burnfs commit MOUNTPOINT [OPTIONS]"
				       : "one mount point only");
		return CLI_EXIT_USAGE;
	}
	return -1;
}

static int cmd_commit(int argc, char **argv)
{
	struct commit_args a = {.verify = "full"};
	_cleanup_free_ char *mnt = NULL, *line = NULL;
	struct json_object *st = NULL;
	struct sigaction sa = {.sa_handler = on_signal};
	int r = commit_args(argc, argv, &a), code;

	if (r >= 0)
		return r;
	mnt = find_mount(argv[optind]);
	if (!mnt)
		return no_mount("commit", argv[optind], errno);
	r = read_status(mnt, &st);
	if (r < 0) {
		fprintf(stderr, "burnfs commit: '%s/.burnfs/status': %s\n", mnt,
			r == -EBADMSG ? "not a burnfs status" : strerror(-r));
		return CLI_EXIT_JOB;
	}
	json_object_put(st);
	st = NULL;
	if (a.cancel)
		return cancel_commit(mnt);
	line = commit_line(mnt, a.verify, a.finalize, a.speed, a.simulate, &a.boot);
	if (!line)
		return CLI_EXIT_USAGE;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = write_ctl(mnt, line);
	if (r < 0) {
		fprintf(stderr, "burnfs commit: '%s': the mount refused the commit: %s\n", mnt,
			strerror(-r));
		print_ctl_reason(mnt, "commit");
		return CLI_EXIT_JOB;
	}
	r = follow(mnt, &st);
	if (r)
		return r;
	code = report(mnt, st, a.notify_end);
	json_object_put(st);
	return code;
}

/* ---- burnfs status -------------------------------------------------------------------------- */

/*
 * What the next commit changes of the disc's tree (.burnfs/changes): the first lines, and
 * where the rest is.
 */
static void print_changes(const char *mnt)
{
	enum { SHOWN = 20 };
	_cleanup_free_ char *text = NULL;
	char p[PATH_MAX];
	size_t n = 0;

	snprintf(p, sizeof(p), "%s/.burnfs/changes", mnt);
	if (read_all(p, &text) < 0)
		return; /* a daemon of an older burnfs */
	for (char *line = text, *end; line && *line; line = end) {
		end = strchr(line, '\n');
		if (end)
			*end++ = '\0';
		if (line[0] == '#' && strncmp(line, "# refused", 9) != 0 &&
		    strncmp(line, "# and", 5) != 0)
			continue;
		if (n++ == 0)
			printf("next session changes:\n");
		if (n <= SHOWN)
			printf("  %s\n", line);
	}
	if (n == 0)
		printf("next session changes: nothing staged\n");
	else if (n > SHOWN)
		printf("  ... %zu lines more in %s\n", n - SHOWN, p);
}

static int cmd_status(int argc, char **argv)
{
	const char *path = NULL;
	_cleanup_free_ char *mnt = NULL;
	struct json_object *st = NULL, *res;
	bool json = false;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("Usage: burnfs status MOUNTPOINT [--json]\n"
			       "\n"
			       "What the burnfs mount at MOUNTPOINT (any path inside it) is doing: the\n"
			       "commit running and its progress, the disc, the staged session, the last\n"
			       "commit's result and remedy (also one interrupted by a crash or finished\n"
			       "after an unmount). --json: .burnfs/status as it is.\n"
			       "Exit codes: 0, 1 not a (live) burnfs mount, 2 usage.\n");
			return 0;
		} else if (argv[i][0] == '-' || path) {
			fprintf(stderr,
				"burnfs status: %s '%s'\n(burnfs status --help tells more)\n",
				argv[i][0] == '-' ? "unknown option"
						  : "one mount point only, not also",
				argv[i]);
			return CLI_EXIT_USAGE;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		fprintf(stderr, "burnfs status: no mount point given: burnfs status MOUNTPOINT "
				"[--json]\n");
		return CLI_EXIT_USAGE;
	}
	mnt = find_mount(path);
	if (!mnt)
		return no_mount("status", path, errno);
	if (json) {
		char p[PATH_MAX + 32];
		_cleanup_free_ char *text = NULL;

		snprintf(p, sizeof(p), "%s/.burnfs/status", mnt);
		r = read_all(p, &text);
		if (r < 0) {
			fprintf(stderr, "burnfs status: '%s': %s\n", p, strerror(-r));
			return CLI_EXIT_JOB;
		}
		fputs(text, stdout);
		return 0;
	}
	r = read_status(mnt, &st);
	if (r < 0) {
		fprintf(stderr, "burnfs status: '%s/.burnfs/status': %s\n", mnt,
			r == -EBADMSG ? "not a burnfs status" : strerror(-r));
		return CLI_EXIT_JOB;
	}
	printf("mount: %s\n", mnt);
	if (running(st)) {
		char text[256];

		progress_text(st, text, sizeof(text));
		printf("state: %s: %s\n", jstr(st, "state"), text);
	} else {
		printf("state: %s\n", jstr(st, "state") ? jstr(st, "state") : "?");
	}
	printf("drive: %s\n", jstr(st, "drive") ? jstr(st, "drive") : "?");
	print_disc(stdout, "disc", jget(st, "disc"));
	if (jstr(st, "read_only"))
		printf("read-only: %s\n", jstr(st, "read_only"));
	printf("staged: projected session %.0f blocks (%.1f MiB) in %s\n",
	       jnum(st, "projected_blocks", 0), jnum(st, "projected_blocks", 0) * 2048 / 1048576.0,
	       jstr(st, "staging") ? jstr(st, "staging") : "?");
	print_changes(mnt);
	res = jget(st, "last_result");
	if (res) {
		bool ok = jget(res, "ok") && json_object_get_boolean(jget(res, "ok"));

		const char *state = jstr(st, "state");

		printf("last commit (%s): %s: %s\n",
		       jstr(st, "job.started") ? jstr(st, "job.started") : "?",
		       ok					? "done"
		       : state && !strcmp(state, "interrupted") ? "interrupted"
								: "failed",
		       jstr(res, "message") ? jstr(res, "message") : "");
		print_result(stdout, res);
		print_disc(stdout, "disc after it", jget(res, "disc_state_after"));
	}
	json_object_put(st);
	return 0;
}

int cli_commit_main(int argc, char **argv)
{
	if (strcmp(argv[0], "status") == 0)
		return cmd_status(argc, argv);
	return cmd_commit(argc, argv);
}
