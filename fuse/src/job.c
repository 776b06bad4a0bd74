/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control plane of one staging mount. See job.h.
 *
 * Threads and locks: j->lock guards the job's state, progress, result, disc and log (every
 * field after it in struct stg_job); FUSE workers take it briefly to read status or queue a
 * command. j->drive_lock serializes the use of the drive (a probe for `refresh`, or the
 * commit thread); the drive is open only while it is used, so other programs (`burnfs info
 * --drive`, `burnfs vdrive load`) can take it between jobs. A commit runs in its own thread,
 * which is joined before the next one starts and by stg_job_free().
 *
 * The journal, STATE_DIR/journal, makes a commit crash-safe to report: it is replaced
 * atomically (temporary file, fsync, rename, fsync of the directory) when a commit starts
 * (state=started, with the drive, the staged tree's counts and the disc before), when the
 * session has been burnt (state=burned, before the staged files are removed) and when the
 * job ends (done, failed). A daemon that finds state=started was killed during a commit: it
 * reports the job as interrupted, with the disc's state now and a remedy, and records that.
 * Staged files are only removed after a burn (and its verify) succeeded.
 *
 *	LINE	FIELD (key=value; values escape \ as \\ and a newline as \n)
 *	1	burnfs-journal 1
 *	2	state=started|burned|done|failed|interrupted
 *	3...	job= started= ended= (unix times) drive= staging= files= bytes= verify= close=
 *		simulate= speed=
 *	...	before_* after_* (the disc: known profile status erasable overwrite sessions
 *		capacity free nwa why)
 *	...	ok= message= remedy=, and one bad=FIRST LAST =FILES per damaged range
 */
#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "common/tree.h"
#include "engine/burn.h"
#include "engine/drive.h"
#include "engine/image.h"
#include "lower.h"

#define LOG_MAX	       (64u << 10) /* bytes of .burnfs/log kept: the newest lines */
#define BAD_MAX	       64u	   /* damaged ranges kept in a result */
#define JOURNAL_MAX    (1u << 20)  /* a larger journal file is not ours */
#define OPEN_TRIES     20	   /* drive busy at a commit's start: retries 100 ms apart */
#define JOURNAL_NAME   "journal"
#define JOURNAL_HEADER "burnfs-journal 1"
#define CTL_WORDS_MAX  4096u /* bytes of one command: room for the boot options' paths */

enum job_state {
	ST_IDLE,
	ST_COMMITTING,
	ST_CANCELLING,
	ST_DONE,
	ST_FAILED,
	ST_INTERRUPTED,
};

static const char *const state_names[] = {
	[ST_IDLE] = "idle", [ST_COMMITTING] = "committing", [ST_CANCELLING] = "cancelling",
	[ST_DONE] = "done", [ST_FAILED] = "failed",	    [ST_INTERRUPTED] = "interrupted",
};

static const char *const verify_names[] = {
	[ENG_VERIFY_NONE] = "none",
	[ENG_VERIFY_QUICK] = "quick",
	[ENG_VERIFY_FULL] = "full",
};

/* The disc as a probe saw it. */
struct disc {
	bool known;
	char profile[24];
	enum mmc_disc_status status;
	bool erasable, overwrite;
	bool new_disc; /* only another disc takes a session (eng_disc_space) */
	unsigned sessions;
	uint64_t capacity, free_blocks, nwa;
	char why[256]; /* !known: why not (no medium, the drive in use, ...) */
};

struct bad_range {
	uint64_t first, last;
	char *files;
};

/* The outcome of a commit, as status shows it under last_result. */
struct result {
	bool have, ok;
	char *message, *remedy;
	struct disc after;
	struct bad_range *bad;
	size_t nbad, bad_cap;
};

/*
 * A commit's boot options (issue 14 §2, as burnfs image's): image paths of the mount's tree
 * (bios, efi, catalog) and host files the daemon reads itself (hybrid_mbr, replay: absolute,
 * as the daemon's working directory is not the writer's). Owned strings; the replayed ISO is
 * read when the command is accepted, so that a bad one is refused at once.
 */
struct commit_boot {
	char *bios, *efi, *catalog, *hybrid_mbr, *replay;
	bool hybrid;
	struct eng_boot_replay *rp; /* replay's setup, read by boot_check() */
};

/*
 * The boot options that name a file, one row each: the control word (`boot-bios=PATH`;
 * burnfs commit's --boot-bios), the key under job.boot in the status and, prefixed with
 * "boot_", in the journal. hybrid, a flag, is the one more.
 */
static const struct boot_field {
	const char *word, *key;
	size_t off;
} boot_fields[] = {
	{"boot-bios", "bios", offsetof(struct commit_boot, bios)},
	{"boot-efi", "efi", offsetof(struct commit_boot, efi)},
	{"boot-catalog", "catalog", offsetof(struct commit_boot, catalog)},
	{"hybrid-mbr", "hybrid_mbr", offsetof(struct commit_boot, hybrid_mbr)},
	{"boot-replay", "replay", offsetof(struct commit_boot, replay)},
};

static char **boot_field_ptr(const struct commit_boot *b, const struct boot_field *bf)
{
	return (char **)((char *)b + bf->off);
}

struct commit_opts {
	enum eng_verify_mode verify;
	bool finalize, simulate;
	unsigned speed_x; /* 0: the fastest */
	struct commit_boot boot;
};

struct stg_job {
	char *staging_dir, *drive, *state_dir, *journal;
	uid_t owner;
	unsigned session;	 /* the session the mount shows (0: the last) */
	bool edits_open;	 /* the log of the disc's changes is open (edits_open()) */
	uint64_t written_at;	 /* an interrupted commit's session start, or UINT64_MAX */
	struct stg_lower *lower; /* the disc under the mount; its drive use obeys drive_lock */
	void (*changed)(void *userdata);
	void *userdata;

	pthread_mutex_t drive_lock;
	pthread_t thread;
	bool joinable;	   /* a commit thread was started and not joined yet */
	atomic_int cancel; /* set by the ctl thread; on_progress() answers the burn with it */

	pthread_mutex_t lock; /* guards everything below */
	enum job_state state;
	bool discarding;
	unsigned job_id; /* commits since the daemon started */
	struct commit_opts copts;
	time_t started, ended;
	uint64_t files, bytes; /* the staged tree of the current or last commit */
	const char *phase;     /* static string; "" when idle */
	uint64_t done, total;  /* blocks of the phase */
	double phase_t0, rate; /* rate: bytes per second over the phase */
	uint64_t phase_done0;
	int ring_fill, drive_fill, op_progress;
	unsigned x1_kBps;
	uint64_t projected;
	struct disc disc;
	struct result last;
	char *log;
	size_t log_len;
	/* the mount was unmounted during the commit, in this phase ("" when not) */
	char unmounted_in[48];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void result_clear(struct result *r)
{
	free(r->message);
	free(r->remedy);
	for (size_t i = 0; i < r->nbad; i++)
		free(r->bad[i].files);
	free(r->bad);
	*r = (struct result){0};
}

static int result_add_bad(struct result *r, uint64_t first, uint64_t last, const char *files)
{
	char *f;

	if (r->nbad >= BAD_MAX)
		return 0;
	f = strdup(files ? files : "");
	if (!f || BFS_GROW(r->bad, r->bad_cap, r->nbad + 1) < 0) {
		free(f);
		return -ENOMEM;
	}
	r->bad[r->nbad++] = (struct bad_range){first, last, f};
	return 0;
}

/* ---- log ---------------------------------------------------------------------------------- */

/* Append one timestamped line, dropping the oldest lines past LOG_MAX. j->lock held. */
static void log_locked(struct stg_job *j, const char *fmt, va_list ap) BFS_PRINTF(2, 0);
static void log_locked(struct stg_job *j, const char *fmt, va_list ap)
{
	char line[2048], stamp[32];
	struct tm tm;
	time_t t = time(NULL);
	size_t n, len;
	int k;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	k = vsnprintf(line, sizeof(line), fmt, ap);
	if (k < 0)
		return;
	n = BFS_MIN((size_t)k, sizeof(line) - 1);
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n')
			line[i] = ' ';
	len = strlen(stamp) + n + 1;
	if (!j->log && !(j->log = malloc(LOG_MAX)))
		return;
	if (j->log_len + len > LOG_MAX) {
		/* drop whole lines from the front until the new one fits */
		size_t drop = j->log_len + len - LOG_MAX;
		char *nl =
			drop < j->log_len ? memchr(j->log + drop, '\n', j->log_len - drop) : NULL;

		drop = nl ? (size_t)(nl - j->log) + 1 : j->log_len;
		memmove(j->log, j->log + drop, j->log_len - drop);
		j->log_len -= drop;
	}
	if (len > LOG_MAX)
		return;
	memcpy(j->log + j->log_len, stamp, strlen(stamp));
	j->log_len += strlen(stamp);
	memcpy(j->log + j->log_len, line, n);
	j->log_len += n;
	j->log[j->log_len++] = '\n';
}

/* log_locked() with arguments. */
static void log_l(struct stg_job *j, const char *fmt, ...) BFS_PRINTF(2, 3);
static void log_l(struct stg_job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_locked(j, fmt, ap);
	va_end(ap);
}

/* A line in the job's log (the status file's), under j->lock. */
static void log_line(struct stg_job *j, const char *fmt, va_list ap)
{
	pthread_mutex_lock(&j->lock);
	log_locked(j, fmt, ap);
	pthread_mutex_unlock(&j->lock);
}

/* The job's log and the daemon's debug log. */
static void job_log(struct stg_job *j, const char *fmt, ...) BFS_PRINTF(2, 3);
static void job_log(struct stg_job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(j, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	bfs_logv(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void stg_job_note(struct stg_job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(j, fmt, ap);
	va_end(ap);
}

/* ---- the drive ----------------------------------------------------------------------------- */

static void disc_from_media(struct mmc_drive *drive, struct disc *d, struct mmc_media *m)
{
	struct eng_disc_space sp;

	/* the burn's own judgement of the disc (overwrite media: where their sessions end) */
	(void)eng_disc_space_read(drive, m, &sp, NULL);
	*d = (struct disc){
		.known = true,
		.status = m->status,
		.erasable = m->erasable,
		.overwrite = m->overwrite,
		.new_disc = sp.new_disc,
		.sessions = m->sessions,
		.capacity = m->capacity,
		.free_blocks = m->free_blocks,
		.nwa = m->nwa,
	};
	snprintf(d->profile, sizeof(d->profile), "%s", m->profile_name ? m->profile_name : "?");
}

static void disc_unknown(struct disc *d, const char *why)
{
	*d = (struct disc){0};
	snprintf(d->why, sizeof(d->why), "%s", why);
}

/* Probe the medium in an open drive into *ret (known or with the reason it is not). */
static void probe_open(struct mmc_drive *d, struct disc *ret)
{
	struct bfs_diag diag = {0};
	struct mmc_media m;
	int r = eng_drive_probe(d, &m, &diag);

	if (r < 0)
		disc_unknown(ret, bfs_diag_msg(&diag, r));
	else
		disc_from_media(d, ret, &m);
}

/*
 * Open the drive, probe it and close it again. -errno with a message naming the drive
 * when it cannot be opened; a drive without a readable medium is a success with
 * ret->known false. j->drive_lock held.
 */
static int probe_drive(struct stg_job *j, struct disc *ret, struct bfs_diag *diag)
{
	struct bfs_diag odiag = {0};
	struct mmc_drive *d = NULL;
	int r;

	if (j->lower) /* the mount's reads let go of the drive meanwhile */
		stg_lower_suspend(j->lower);
	r = eng_drive_open(j->drive, &odiag, &d);
	if (r == 0) {
		probe_open(d, ret);
		eng_drive_close(d);
	}
	if (j->lower)
		stg_lower_resume(j->lower);
	if (r < 0)
		return bfs_diag_set(diag, r, "drive '%s': %s", j->drive,
				    r == -EBUSY ? "in use by another program"
						: bfs_diag_msg(&odiag, r));
	return 0;
}

static int edits_open(struct stg_job *j, struct bfs_diag *diag);

/*
 * A commit wrote its session at block start and then failed (the verify, a kill of the
 * daemon): that session holds the mount's changes of the disc's files already, so they are
 * done, and later changes are made against it. Only when the disc's last session is that one
 * (another program's session would not hold them).
 */
static void edits_written(struct stg_job *j, uint64_t start)
{
	struct stg_lower_info li;
	struct bfs_diag diag = {0};
	int r;

	if (!j->lower || !stg_lower_edits_stale(j->lower, NULL, 0))
		return;
	stg_lower_info(j->lower, &li);
	if (!li.number || li.start != start)
		return;
	r = stg_lower_edits_reset(j->lower, &diag);
	if (r < 0)
		job_log(j, "the changes of the disc's files: %s", bfs_diag_msg(&diag, r));
	else
		job_log(j,
			"the changes of the disc's files are in session %u (at block %" PRIu64
			"), which the commit wrote: they are done",
			li.number, start);
}

/*
 * Read the disc's tree again (after a commit, a refresh): what the mount shows under the
 * staged files. A tree that cannot be read is logged; the mount then shows none. Under
 * j->drive_lock.
 */
static void lower_reload(struct stg_job *j)
{
	struct bfs_diag diag = {0};
	struct stg_lower_info li;
	int r;

	if (!j->lower)
		return;
	r = stg_lower_load(j->lower, j->session, &diag);
	if (r < 0) {
		job_log(j, "the disc's files cannot be shown: %s", bfs_diag_msg(&diag, r));
		return;
	}
	stg_lower_info(j->lower, &li);
	if (li.number)
		job_log(j, "showing session %u of %u of the disc", li.number, li.count);
	if (j->edits_open)
		return;
	bfs_diag_clear(&diag);
	r = edits_open(j, &diag);
	if (r < 0)
		job_log(j, "the disc's files cannot change in the mount: %s",
			bfs_diag_msg(&diag, r));
}

static void disc_describe(const struct disc *d, char *buf, size_t cap)
{
	if (!d->known)
		snprintf(buf, cap, "unknown (%s)", d->why);
	else
		snprintf(buf, cap, "%s, %s, %u session(s), %" PRIu64 " of %" PRIu64 " blocks free",
			 d->profile, eng_disc_status_name(d->status), d->sessions, d->free_blocks,
			 d->capacity);
}

/*
 * Why the disc d takes no more sessions (see stg_job_closed()), with what to do, into buf;
 * false when it takes one. Erasable discs are not judged here: a burn may erase them.
 */
static bool disc_closed(const struct disc *d, const char *drive, char *buf, size_t cap)
{
	const char *what;
	bool vd = strncmp(drive, "vdrive:", 7) == 0;

	/* what a burn refuses for good (eng_disc_space), or a write-once disc with no room */
	if (!d->known || !(d->new_disc || (!d->erasable && !d->overwrite && d->free_blocks == 0)))
		return false;
	if (d->status == MMC_DISC_COMPLETE)
		what = "is closed (finalized): it takes no more sessions";
	else if (d->status == MMC_DISC_INCOMPLETE)
		what = "holds an unfinished session: it takes no more sessions";
	else
		what = "is full: it has no free block for another session";
	if (buf)
		snprintf(
			buf, cap,
			"the %s in the drive %s, so nothing staged could be committed to it and the "
			"mount is read-only (reads and removals work); remedy: load a blank disc%s%s%s, "
			"then write `refresh` to .burnfs/ctl",
			d->profile, what, vd ? " (`burnfs vdrive load " : "", vd ? drive + 7 : "",
			vd ? " --blank`)" : "");
	return true;
}

/* Log that the mount is read-only for the disc now in the drive, if it is. j->lock held. */
static void log_if_closed(struct stg_job *j)
{
	char why[512];

	if (disc_closed(&j->disc, j->drive, why, sizeof(why)))
		log_l(j, "read-only: %s", why);
}

/* ---- journal ------------------------------------------------------------------------------- */

static void put_escaped(FILE *f, const char *key, const char *v)
{
	fprintf(f, "%s=", key);
	for (; v && *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('\n', f);
}

static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1] == 'n')
			*o++ = '\n', s++;
		else if (*s == '\\' && s[1] == '\\')
			*o++ = '\\', s++;
		else
			*o++ = *s;
	}
	*o = '\0';
}

static void put_disc(FILE *f, const char *pfx, const struct disc *d)
{
	char key[32];

	fprintf(f, "%s_known=%d\n", pfx, d->known);
	snprintf(key, sizeof(key), "%s_profile", pfx);
	put_escaped(f, key, d->profile);
	fprintf(f, "%s_status=%d\n%s_erasable=%d\n%s_overwrite=%d\n%s_sessions=%u\n", pfx,
		(int)d->status, pfx, d->erasable, pfx, d->overwrite, pfx, d->sessions);
	fprintf(f, "%s_capacity=%" PRIu64 "\n%s_free=%" PRIu64 "\n%s_nwa=%" PRIu64 "\n", pfx,
		d->capacity, pfx, d->free_blocks, pfx, d->nwa);
	snprintf(key, sizeof(key), "%s_why", pfx);
	put_escaped(f, key, d->why);
}

/* The commit's boot options in the journal: boot_bios=PATH... and boot_hybrid=1. */
static void journal_put_boot(FILE *f, const struct commit_boot *b)
{
	for (size_t i = 0; i < BFS_ARRAY_SIZE(boot_fields); i++) {
		const char *v = *boot_field_ptr(b, &boot_fields[i]);
		char key[32];

		snprintf(key, sizeof(key), "boot_%s", boot_fields[i].key);
		if (v)
			put_escaped(f, key, v);
	}
	if (b->hybrid)
		fputs("boot_hybrid=1\n", f);
}

/* What a commit writes into its journal, besides the job's fields. */
struct journal_entry {
	const char *state;
	const struct disc *before;
	const struct result *res; /* NULL while started */
};

/*
 * Replace the journal atomically with e and the job's fields (read under j->lock, which the
 * caller does not hold; the file is written and synced without it).
 */
static int journal_write(struct stg_job *j, const struct journal_entry *e, struct bfs_diag *diag)
{
	_cleanup_free_ char *tmp = NULL, *text = NULL;
	size_t len = 0;
	FILE *f;
	int fd, dfd, r = 0;

	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&j->lock);
	fprintf(f, JOURNAL_HEADER "\nstate=%s\njob=%u\nstarted=%lld\nended=%lld\n", e->state,
		j->job_id, (long long)j->started, (long long)j->ended);
	put_escaped(f, "drive", j->drive);
	put_escaped(f, "staging", j->staging_dir);
	fprintf(f, "files=%" PRIu64 "\nbytes=%" PRIu64 "\nverify=%s\nclose=%d\nsimulate=%d\n",
		j->files, j->bytes, verify_names[j->copts.verify], j->copts.finalize,
		j->copts.simulate);
	fprintf(f, "speed=%u\n", j->copts.speed_x);
	journal_put_boot(f, &j->copts.boot);
	if (e->before)
		put_disc(f, "before", e->before);
	if (e->res) {
		fprintf(f, "ok=%d\n", e->res->ok);
		put_escaped(f, "message", e->res->message);
		put_escaped(f, "remedy", e->res->remedy);
		put_disc(f, "after", &e->res->after);
		for (size_t i = 0; i < e->res->nbad; i++) {
			char key[64];

			snprintf(key, sizeof(key), "bad=%" PRIu64 " %" PRIu64 " ",
				 e->res->bad[i].first, e->res->bad[i].last);
			fputs(key, f);
			put_escaped(f, "", e->res->bad[i].files);
		}
	}
	pthread_mutex_unlock(&j->lock);
	if (fclose(f) != 0)
		return -ENOMEM;
	if (asprintf(&tmp, "%s/.journal.XXXXXX", j->state_dir) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return bfs_diag_set(diag, -errno, "journal in '%s': %s", j->state_dir,
				    strerror(errno));
	for (size_t done = 0; done < len && r == 0;) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			r = -errno;
		else
			done += (size_t)w;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, j->journal) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return bfs_diag_set(diag, r, "journal '%s': %s", j->journal, strerror(-r));
	}
	dfd = open(j->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* A journal read back: its lines, split into key and value in place. */
struct kv {
	const char *key, *val;
};

struct journal {
	char *text;
	struct kv *kv;
	size_t n, cap;
};

static void journal_done(struct journal *jn)
{
	free(jn->text);
	free(jn->kv);
	*jn = (struct journal){0};
}

/* -ENOENT when there is none, -EBADMSG when the file is not a journal. */
static int journal_read(const char *path, struct journal *ret)
{
	struct journal jn = {0};
	size_t len = 0;
	char *line, *save = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > JOURNAL_MAX) {
		close(fd);
		return -EBADMSG;
	}
	jn.text = malloc((size_t)st.st_size + 1);
	if (!jn.text) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size) {
		ssize_t g = read(fd, jn.text + len, (size_t)st.st_size - len);

		if (g < 0 && errno == EINTR)
			continue;
		if (g <= 0)
			break;
		len += (size_t)g;
	}
	close(fd);
	jn.text[len] = '\0';
	if (strncmp(jn.text, JOURNAL_HEADER "\n", strlen(JOURNAL_HEADER) + 1) != 0) {
		journal_done(&jn);
		return -EBADMSG;
	}
	for (line = strtok_r(jn.text + strlen(JOURNAL_HEADER) + 1, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		if (BFS_GROW(jn.kv, jn.cap, jn.n + 1) < 0) {
			journal_done(&jn);
			return -ENOMEM;
		}
		*eq = '\0';
		unescape(eq + 1);
		jn.kv[jn.n++] = (struct kv){line, eq + 1};
	}
	*ret = jn;
	return 0;
}

static const char *jget(const struct journal *jn, const char *key)
{
	for (size_t i = 0; i < jn->n; i++)
		if (strcmp(jn->kv[i].key, key) == 0)
			return jn->kv[i].val;
	return NULL;
}

static uint64_t jnum(const struct journal *jn, const char *key)
{
	const char *v = jget(jn, key);

	return v ? strtoull(v, NULL, 10) : 0;
}

/* The boot options journal_put_boot() wrote, into b (empty). */
static void jboot(const struct journal *jn, struct commit_boot *b)
{
	for (size_t i = 0; i < BFS_ARRAY_SIZE(boot_fields); i++) {
		char key[32];
		const char *v;

		snprintf(key, sizeof(key), "boot_%s", boot_fields[i].key);
		v = jget(jn, key);
		if (v && *v)
			*boot_field_ptr(b, &boot_fields[i]) = strdup(v);
	}
	b->hybrid = jnum(jn, "boot_hybrid") != 0;
}

static void jdisc(const struct journal *jn, const char *pfx, struct disc *d)
{
	char key[32];
	const char *v;

	*d = (struct disc){0};
	snprintf(key, sizeof(key), "%s_known", pfx);
	d->known = jnum(jn, key) != 0;
	snprintf(key, sizeof(key), "%s_profile", pfx);
	if ((v = jget(jn, key)))
		snprintf(d->profile, sizeof(d->profile), "%s", v);
	snprintf(key, sizeof(key), "%s_status", pfx);
	d->status = (enum mmc_disc_status)BFS_MIN(jnum(jn, key), (uint64_t)MMC_DISC_RANDOM);
	snprintf(key, sizeof(key), "%s_erasable", pfx);
	d->erasable = jnum(jn, key) != 0;
	snprintf(key, sizeof(key), "%s_overwrite", pfx);
	d->overwrite = jnum(jn, key) != 0;
	snprintf(key, sizeof(key), "%s_sessions", pfx);
	d->sessions = (unsigned)BFS_MIN(jnum(jn, key), (uint64_t)UINT32_MAX);
	snprintf(key, sizeof(key), "%s_capacity", pfx);
	d->capacity = jnum(jn, key);
	snprintf(key, sizeof(key), "%s_free", pfx);
	d->free_blocks = jnum(jn, key);
	snprintf(key, sizeof(key), "%s_nwa", pfx);
	d->nwa = jnum(jn, key);
	snprintf(key, sizeof(key), "%s_why", pfx);
	if ((v = jget(jn, key)))
		snprintf(d->why, sizeof(d->why), "%s", v);
}

static char *str_printf(const char *fmt, ...) BFS_PRINTF(1, 2);
static char *str_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* ---- remedies ------------------------------------------------------------------------------- */

/*
 * What the user should do after a commit that did not succeed, from the error and the disc
 * before and after. Returns a malloc'd sentence (NULL on out of memory).
 */
static char *make_remedy(int err, const struct disc *before, const struct disc *after,
			 const char *drive)
{
	char *s = NULL;
	bool written = after->known && before->known &&
		       (after->status == MMC_DISC_INCOMPLETE || after->nwa != before->nwa ||
			after->sessions != before->sessions);
	const char *kept = "the staged files are intact";
	bool vd = strncmp(drive, "vdrive:", 7) == 0;

	if (err == -EBUSY)
		s = str_printf("another program is using the drive: commit again when it is "
			       "done; %s",
			       kept);
	else if (err == -ENOSPC)
		s = str_printf("remove some staged files or load a disc with more space (then "
			       "write `refresh` to .burnfs/ctl), and commit again; nothing was "
			       "written");
	else if (err == -EROFS)
		s = str_printf(
			"the %s takes no more sessions: load a blank disc, write `refresh` to "
			".burnfs/ctl and commit again; %s",
			after->known ? after->profile : "disc", kept);
	else if (err == -ETIMEDOUT)
		s = str_printf(
			"the drive seems stuck: wait, then eject the disc or power-cycle the "
			"drive, check the disc with `burnfs info --drive %s`; if it holds an "
			"unfinished session, commit again onto a blank disc; %s",
			drive, kept);
	else if (!after->known)
		s = str_printf("the disc's state is unknown (%s): load the disc%s%s%s, check it "
			       "with `burnfs info --drive %s`, write `refresh` to .burnfs/ctl, and "
			       "commit again (onto a blank disc if this one holds a partly written "
			       "session); %s",
			       after->why, vd ? " (`burnfs vdrive load " : "", vd ? drive + 7 : "",
			       vd ? "`)" : "", drive, kept);
	else if (after->status == MMC_DISC_INCOMPLETE)
		s = str_printf(
			"the %s now holds an unfinished session and cannot take another: "
			"load a blank disc, write `refresh` to .burnfs/ctl and commit again; "
			"%s",
			after->profile, kept);
	else if (err == -EBADMSG)
		s = str_printf("the session was written but reads back damaged in the listed block "
			       "ranges, so the staged files were kept: load a new disc (or clean "
			       "this one and lower the speed), write `refresh` and commit again");
	else if (written && after->overwrite)
		s = str_printf("the %s holds part of the session: erase it with `burnfs erase "
			       "--drive %s`, then commit again; %s",
			       after->profile, drive, kept);
	else if (written)
		s = str_printf("the %s has changed (%s, %u session(s)): check it with `burnfs info "
			       "--drive %s`; commit again onto a blank disc; %s",
			       after->profile, eng_disc_status_name(after->status), after->sessions,
			       drive, kept);
	else if (err == -ECANCELED)
		s = str_printf("nothing was recorded on the disc: commit again when ready; %s",
			       kept);
	else
		s = str_printf("nothing was recorded on the %s: commit again, or try another disc "
			       "or a lower speed if it fails again; %s",
			       after->profile, kept);
	return s;
}

/* ---- removing the staged files -------------------------------------------------------------- */

/*
 * Open the directory at path (relative, '/'-separated components) beneath root, never
 * following a symlink: O_PATH descriptors, one component at a time.
 */
static int open_beneath(int root, const char *path, size_t len)
{
	int fd = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	while (fd >= 0 && len > 0) {
		const char *slash = memchr(path, '/', len);
		size_t n = slash ? (size_t)(slash - path) : len;
		char comp[256];
		int nfd;

		if (n == 0 || n >= sizeof(comp)) {
			close(fd);
			return n ? -ENAMETOOLONG : -EINVAL;
		}
		memcpy(comp, path, n);
		comp[n] = '\0';
		nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = nfd;
		path += n + (slash ? 1 : 0);
		len -= n + (slash ? 1 : 0);
	}
	return fd < 0 ? -errno : fd;
}

struct node_vec {
	struct bfs_node **v;
	size_t n, cap;
};

static int collect(struct bfs_node *n, void *userdata)
{
	struct node_vec *c = userdata;

	if (BFS_GROW(c->v, c->cap, c->n + 1) < 0)
		return -ENOMEM;
	c->v[c->n++] = n;
	return 0;
}

static bool same_node(const struct bfs_node *n, const struct stat *st)
{
	static const mode_t types[] = {
		[BFS_NODE_DIR] = S_IFDIR,   [BFS_NODE_FILE] = S_IFREG, [BFS_NODE_SYMLINK] = S_IFLNK,
		[BFS_NODE_CHR] = S_IFCHR,   [BFS_NODE_BLK] = S_IFBLK,  [BFS_NODE_FIFO] = S_IFIFO,
		[BFS_NODE_SOCK] = S_IFSOCK,
	};

	if ((uint64_t)st->st_dev != n->src_dev || (uint64_t)st->st_ino != n->src_ino ||
	    (st->st_mode & S_IFMT) != types[n->type])
		return false;
	/* a file changed after it was burnt is not what is on the disc: keep it */
	return n->type != BFS_NODE_FILE ||
	       ((uint64_t)st->st_size == n->size && st->st_mtim.tv_sec == n->src_mtime.sec &&
		(uint32_t)st->st_mtim.tv_nsec == n->src_mtime.nsec);
}

/*
 * Remove the nodes of the snapshot root (scanned from the staging directory) from the
 * staging directory, children before their directory; the staging directory itself stays.
 * A name that is no longer the node the snapshot saw (another inode, another type, a file
 * changed since) is kept, and so is a directory that is not empty then. Returns the number
 * kept (>= 0) or -errno; *ret_removed counts what was removed.
 */
static int remove_snapshot(struct stg_job *j, struct bfs_node *root, uint64_t *ret_removed)
{
	struct node_vec c = {0};
	int rootfd, r, kept = 0;
	uint64_t removed = 0;

	rootfd = open(j->staging_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	r = bfs_node_walk(root, collect, &c);
	for (size_t i = c.n; r == 0 && i-- > 1;) { /* reverse pre-order; [0] is the root */
		struct bfs_node *n = c.v[i];
		_cleanup_free_ char *p = NULL;
		const char *name;
		struct stat st;
		size_t plen;
		int dfd;

		if ((!n->src_ino && !n->src_dev) || n->src_dev == ENG_APPEND_DEV)
			continue; /* added by the burn (the manifest, the disc's own tree) */
		p = bfs_node_path(n);
		if (!p) {
			r = -ENOMEM;
			break;
		}
		name = strrchr(p, '/') + 1;
		plen = (size_t)(name - p); /* "/a/b/c": the parent is "a/b", 3 bytes at p + 1 */
		dfd = open_beneath(rootfd, p + 1, plen > 1 ? plen - 2 : 0);
		if (dfd < 0) {
			kept++;
			continue;
		}
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !same_node(n, &st)) {
			job_log(j, "'%s' changed after it was burnt, kept", p);
			kept++;
		} else if (unlinkat(dfd, name, n->type == BFS_NODE_DIR ? AT_REMOVEDIR : 0) < 0) {
			if (errno != ENOTEMPTY && errno != EEXIST)
				job_log(j, "cannot remove the staged '%s': %s, kept", p,
					strerror(errno));
			kept++;
		} else {
			removed++;
		}
		close(dfd);
	}
	free(c.v);
	close(rootfd);
	*ret_removed = removed;
	return r < 0 ? r : kept;
}

/* Snapshot the staging directory (without a stray /.burnfs, which the mount hides). */
static int scan_staging(struct stg_job *j, struct bfs_node **ret, struct bfs_diag *diag)
{
	static const char *const excl[] = {"/.burnfs"};
	struct eng_source src = {.path = j->staging_dir}; /* merged at / */
	struct eng_scan_opts so = {.excludes = excl, .nexcludes = BFS_ARRAY_SIZE(excl)};
	const char *e = getenv("SOURCE_DATE_EPOCH");

	if (e && *e) {
		so.have_epoch = true;
		so.epoch = strtoll(e, NULL, 10);
	}
	return eng_scan(&src, 1, &so, diag, ret);
}

/* ---- the commit thread ---------------------------------------------------------------------- */

/* The burn's progress into the job's status; a cancel asked by the ctl thread stops it. */
static int on_progress(const struct eng_burn_status *st, void *userdata)
{
	static const char *const names[] = {
		[ENG_PHASE_WRITE] = "writing",
		[ENG_PHASE_CLOSE] = "closing",
		[ENG_PHASE_VERIFY] = "verifying",
	};
	struct stg_job *j = userdata;
	const char *name = names[st->phase];
	double t = now_s();
	bool changed;

	pthread_mutex_lock(&j->lock);
	changed = j->phase != name;
	if (changed) {
		j->phase = name;
		j->phase_t0 = t;
		j->phase_done0 = st->done;
		j->rate = 0;
	}
	/* closing reports a long operation's progress, not blocks */
	j->done = st->phase == ENG_PHASE_CLOSE ? 0 : st->done;
	j->total = st->phase == ENG_PHASE_CLOSE ? 0 : st->total;
	if (t - j->phase_t0 > 0.2 && st->done > j->phase_done0)
		j->rate = (double)(st->done - j->phase_done0) * 2048 / (t - j->phase_t0);
	if (st->phase == ENG_PHASE_WRITE) {
		j->ring_fill = st->ring_fill;
		j->drive_fill = st->drive_fill;
	} else {
		j->ring_fill = j->drive_fill = -1;
	}
	j->op_progress = st->op_progress;
	j->x1_kBps = st->x1_kBps;
	pthread_mutex_unlock(&j->lock);
	if (changed && st->phase == ENG_PHASE_CLOSE)
		job_log(j, "closing the track and session%s",
			j->copts.finalize ? ", finalizing" : "");
	else if (changed)
		job_log(j, "%s %.1f MiB", name, (double)st->total * 2048 / 1048576.0);
	return atomic_load(&j->cancel) ? -1 : 0;
}

struct run {
	struct stg_job *j;
	struct result res;
	bool probed; /* res.after is the drive's answer after the burn */
	int nomem;
};

static void on_bad(uint64_t first, uint64_t last, const char *files, void *userdata)
{
	struct run *rn = userdata;

	job_log(rn->j, "damaged: blocks %" PRIu64 "-%" PRIu64 ": %s", first, last, files);
	if (result_add_bad(&rn->res, first, last, files) < 0)
		rn->nomem = 1;
}

/* Set the phase shown while the engine is not reporting. */
static void set_phase(struct stg_job *j, const char *phase)
{
	pthread_mutex_lock(&j->lock);
	j->phase = phase;
	j->done = j->total = 0;
	j->rate = 0;
	j->ring_fill = j->drive_fill = j->op_progress = -1;
	pthread_mutex_unlock(&j->lock);
}

/* The end of a commit: publish the result, journal it, and leave the committing state. */
static void finish(struct stg_job *j, struct run *rn, bool ok, const struct disc *before)
{
	struct bfs_diag jd = {0};
	struct journal_entry e = {
		.state = ok ? "done" : "failed", .before = before, .res = &rn->res};
	int r;

	char unmounted_in[sizeof(j->unmounted_in)];

	rn->res.have = true;
	rn->res.ok = ok;
	pthread_mutex_lock(&j->lock);
	j->ended = time(NULL);
	memcpy(unmounted_in, j->unmounted_in, sizeof(unmounted_in));
	pthread_mutex_unlock(&j->lock);
	if (*unmounted_in) {
		char *m = str_printf("%s (the mount was unmounted during the commit, while %s: the "
				     "commit ran to its end, then the daemon exited)",
				     rn->res.message ? rn->res.message : "", unmounted_in);

		if (m) {
			free(rn->res.message);
			rn->res.message = m;
		}
	}
	r = journal_write(j, &e, &jd);
	pthread_mutex_lock(&j->lock);
	if (rn->probed)
		j->disc = rn->res.after;
	if (r < 0)
		log_l(j, "%s", bfs_diag_msg(&jd, r));
	log_l(j, "%s: %s", ok ? "done" : "failed", rn->res.message ? rn->res.message : "");
	if (!ok && rn->res.remedy)
		log_l(j, "remedy: %s", rn->res.remedy);
	log_if_closed(j);
	result_clear(&j->last);
	j->last = rn->res;
	rn->res = (struct result){0};
	j->phase = "";
	j->done = j->total = 0;
	j->rate = 0;
	j->ring_fill = j->drive_fill = j->op_progress = -1;
	/* last: once the state is final the thread no longer touches the job */
	j->state = ok ? ST_DONE : ST_FAILED;
	pthread_mutex_unlock(&j->lock);
}

static void set_message(struct run *rn, const char *fmt, ...) BFS_PRINTF(2, 3);
static void set_message(struct run *rn, const char *fmt, ...)
{
	va_list ap;

	free(rn->res.message);
	va_start(ap, fmt);
	if (vasprintf(&rn->res.message, fmt, ap) < 0)
		rn->res.message = NULL;
	va_end(ap);
}

static int open_drive(struct stg_job *j, struct mmc_drive **ret, struct bfs_diag *diag)
{
	int r;

	for (unsigned i = 0;; i++) {
		struct timespec ts = {0, 100 * 1000 * 1000};

		bfs_diag_clear(diag);
		r = eng_drive_open(j->drive, diag, ret);
		if (r != -EBUSY || i + 1 >= OPEN_TRIES || j->cancel)
			break;
		nanosleep(&ts, NULL);
	}
	if (r == -EBUSY) {
		bfs_diag_clear(diag);
		bfs_diag_set(diag, r, "drive '%s': in use by another program", j->drive);
	}
	return r;
}

/* Scan the staging folder into *root: 0, or -1 with the message and remedy in rn. */
static int commit_scan(struct stg_job *j, struct run *rn, struct bfs_node **root,
		       struct bfs_tree_stats *ts)
{
	struct bfs_diag diag = {0};
	char why[512];
	int r;

	pthread_mutex_lock(&j->lock);
	j->phase = "scanning";
	pthread_mutex_unlock(&j->lock);
	r = scan_staging(j, root, &diag);
	if (r < 0) {
		set_message(rn, "reading the staging directory '%s': %s", j->staging_dir,
			    bfs_diag_msg(&diag, r));
		rn->res.remedy = strdup("fix the problem named, then commit again; nothing was "
					"written and the staged files are as they were");
		return -1;
	}
	/* the staging directory is private (0700); the disc's root is for every reader */
	(*root)->mode |= 0555;
	bfs_tree_stats(*root, ts);
	pthread_mutex_lock(&j->lock);
	j->files = ts->files;
	j->bytes = ts->data_bytes;
	pthread_mutex_unlock(&j->lock);
	if (ts->dirs + ts->files + ts->symlinks + ts->specials <= 1 &&
	    (!j->lower || stg_lower_edits_empty(j->lower))) {
		set_message(rn, "nothing to commit: the staging folder is empty");
		rn->res.remedy = strdup("copy the files to burn into the mount, then commit");
		return -1;
	}
	if (j->lower && stg_lower_edits_stale(j->lower, why, sizeof(why))) {
		set_message(rn, "%s", why);
		rn->res.remedy = strdup("nothing was written; the staged files and changes are "
					"kept");
		return -1;
	}
	job_log(j, "staged: %" PRIu64 " files, %" PRIu64 " directories, %.1f MiB", ts->files,
		ts->dirs - 1, (double)ts->data_bytes / 1048576.0);
	return 0;
}

static bool boot_given(const struct commit_boot *b)
{
	return b->bios || b->efi || b->catalog || b->hybrid || b->hybrid_mbr || b->replay;
}

/* The engine's boot options of the commit (borrowing b's strings). */
static void boot_image_opts(const struct commit_boot *b, struct eng_image_opts *io)
{
	if (b->rp) {
		eng_boot_replay_opts(b->rp, &io->boot);
		if (b->rp->volume_id[0]) /* loaders may search for the volume by it */
			io->volume_id = b->rp->volume_id;
		return;
	}
	io->boot = (struct eng_boot_opts){
		.bios = b->bios,
		.efi = b->efi,
		.catalog = b->catalog,
		.hybrid = b->hybrid,
		.hybrid_mbr = b->hybrid_mbr,
	};
}

/*
 * Open the drive, journal the start (durable before anything is written: a new daemon must
 * learn of this commit) and burn. 0, or -1 with the message and remedy in rn. j->drive_lock
 * is held for the drive's time.
 */
static int commit_burn(struct stg_job *j, struct run *rn, struct bfs_node *root,
		       struct disc *before, struct eng_burn_opts *bo, struct eng_burn_result *res)
{
	struct bfs_diag diag = {0};
	struct mmc_drive *d = NULL;
	struct eng_edits *edits = NULL;
	char desc[512];
	int r;

	pthread_mutex_lock(&j->drive_lock);
	set_phase(j, "preparing");
	if (j->lower) /* the mount's reads wait for the burn (lower.h) */
		stg_lower_suspend(j->lower);
	r = j->cancel ? bfs_diag_set(&diag, -ECANCELED, "cancelled before anything was written")
		      : open_drive(j, &d, &diag);
	if (r < 0) {
		if (j->lower)
			stg_lower_resume(j->lower);
		pthread_mutex_unlock(&j->drive_lock);
		set_message(rn, "%s", bfs_diag_msg(&diag, r));
		rn->res.remedy = make_remedy(r, before, &rn->res.after, j->drive);
		return -1;
	}
	probe_open(d, before);
	pthread_mutex_lock(&j->lock);
	if (before->known)
		j->disc = *before;
	pthread_mutex_unlock(&j->lock);
	r = journal_write(j, &(struct journal_entry){.state = "started", .before = before}, &diag);
	if (r < 0) {
		set_message(rn, "%s: not burning without it", bfs_diag_msg(&diag, r));
		eng_drive_close(d);
		if (j->lower)
			stg_lower_resume(j->lower);
		pthread_mutex_unlock(&j->drive_lock);
		rn->res.after = *before;
		rn->res.remedy = strdup("make the state directory writable (or free space on its "
					"file system), then commit again; nothing was written");
		return -1;
	}
	disc_describe(before, desc, sizeof(desc));
	job_log(j, "the disc before: %s", desc);
	*bo = (struct eng_burn_opts){
		.verify = j->copts.verify,
		.finalize = j->copts.finalize,
		.simulate = j->copts.simulate,
		.speed_x = j->copts.speed_x,
		.progress = on_progress,
		.userdata = j,
	};
	boot_image_opts(&j->copts.boot, &bo->image);
	set_phase(j, "planning");
	/* the mount's changes of the disc's own files, as they are now (the mount is frozen) */
	r = j->lower ? stg_lower_edits_sync(j->lower, &diag) : 0;
	if (r == 0 && j->lower)
		r = stg_lower_edits_dup(j->lower, &edits);
	bo->edits = edits;
	if (r == 0)
		r = eng_burn(d, root, bo, on_bad, rn, res, &diag);
	bo->edits = NULL;
	eng_edits_free(edits);
	probe_open(d, &rn->res.after); /* the disc now, with the reason when it cannot be read */
	rn->probed = true;
	eng_drive_close(d);
	if (j->lower) {
		stg_lower_resume(j->lower);
		if (res->wrote) /* the disc's tree is the new session's now */
			lower_reload(j);
		if (r < 0 && res->wrote)
			edits_written(j, res->start_lba);
	}
	pthread_mutex_unlock(&j->drive_lock);
	if (rn->nomem)
		job_log(j, "out of memory recording the damaged ranges; the log has them all");
	if (r < 0) {
		set_message(rn, "%s", bfs_diag_msg(&diag, r));
		/* the engine refuses boot options it cannot honour before any write */
		rn->res.remedy =
			r == -EINVAL && !res->wrote && boot_given(&j->copts.boot)
				? str_printf(
					  "fix the boot option named (its file must be in the "
					  "mount's tree at that path), then commit again; nothing "
					  "was written and the staged files are intact")
				: make_remedy(r, before, &rn->res.after, j->drive);
		return -1;
	}
	return 0;
}

/* After a verified burn: journal it, remove the snapshot's staged files, say what was done. */
static void commit_done(struct stg_job *j, struct run *rn, struct bfs_node *root,
			const struct disc *before, const struct bfs_tree_stats *ts,
			const struct eng_burn_opts *bo, const struct eng_burn_result *res)
{
	struct journal_entry e = {.state = "burned", .before = before, .res = &rn->res};
	struct bfs_diag jd = {0};
	char desc[512], note[160] = "", carried[320] = "";
	uint64_t removed = 0;
	int r, kept;

	r = journal_write(j, &e, &jd);
	if (r < 0)
		job_log(j, "%s", bfs_diag_msg(&jd, r));
	set_phase(j, "removing staged files");
	kept = remove_snapshot(j, root, &removed);
	if (j->lower && (r = stg_lower_edits_reset(j->lower, &jd)) < 0)
		job_log(j,
			"the staged changes of the disc's files are on the disc now, but their "
			"log could not be emptied: %s; write `discard` to .burnfs/ctl",
			bfs_diag_msg(&jd, r));
	if (j->changed)
		j->changed(j->userdata);
	disc_describe(&rn->res.after, desc, sizeof(desc));
	if (kept < 0)
		snprintf(note, sizeof(note), "; removing the staged files failed: %s",
			 strerror(-kept));
	else if (kept > 0)
		snprintf(note, sizeof(note),
			 "; %d staged entries were kept (changed or added meanwhile: see the log)",
			 kept);
	if (res->appended) /* the disc's tree is in the new session too: say so, as burn does */
		snprintf(carried, sizeof(carried),
			 " with the disc's tree (session %u: %" PRIu64 " files kept where they "
			 "are, %" PRIu64 " copied, %" PRIu64 " replaced, %" PRIu64
			 " removed, %" PRIu64 " moved, %" PRIu64 " linked, %" PRIu64
			 " changed attributes)",
			 res->append.session, res->append.kept, res->append.copied,
			 res->append.replaced, res->append.deleted, res->append.moved,
			 res->append.linked, res->append.attr_changed);
	set_message(rn,
		    "burnt %" PRIu64 " file%s (%.1f MiB)%s as a session at block %" PRIu64
		    ", %" PRIu64 " blocks; verify %s: %" PRIu64 " chunks match; the disc now: %s; "
		    "%" PRIu64 " staged entries were removed%s",
		    ts->files, ts->files == 1 ? "" : "s", (double)ts->data_bytes / 1048576.0,
		    carried, res->start_lba, res->blocks, verify_names[bo->verify],
		    res->verified_chunks, desc, removed, note);
}

static void *commit_main(void *arg)
{
	struct stg_job *j = arg;
	struct run rn = {.j = j};
	_cleanup_(bfs_node_freep) struct bfs_node *root = NULL;
	struct disc before = {0};
	struct eng_burn_result res = {0};
	struct bfs_tree_stats ts;
	struct eng_burn_opts bo;
	bool ok = false;

	disc_unknown(&before, "not probed: the commit stopped before");
	pthread_mutex_lock(&j->lock);
	rn.res.after = j->disc; /* until the drive says otherwise */
	pthread_mutex_unlock(&j->lock);
	if (commit_scan(j, &rn, &root, &ts) == 0 &&
	    commit_burn(j, &rn, root, &before, &bo, &res) == 0) {
		if (bo.simulate)
			set_message(&rn,
				    "simulation of a session at block %" PRIu64 ", %" PRIu64
				    " blocks (%.1f MiB) went through; nothing was recorded and the "
				    "staged files were kept",
				    res.start_lba, res.blocks,
				    (double)res.blocks * 2048 / 1048576.0);
		else
			commit_done(j, &rn, root, &before, &ts, &bo, &res);
		ok = true;
	}
	finish(j, &rn, ok, &before);
	return NULL;
}

/* ---- control -------------------------------------------------------------------------------- */

static void boot_clear(struct commit_boot *b)
{
	free(b->bios);
	free(b->efi);
	free(b->catalog);
	free(b->hybrid_mbr);
	free(b->replay);
	if (b->rp)
		eng_boot_replay_done(b->rp);
	free(b->rp);
	*b = (struct commit_boot){0};
}

/*
 * One word of a commit that is a boot option (boot-bios=PATH, boot-efi=PATH,
 * boot-catalog=PATH, hybrid, hybrid-mbr=FILE, boot-replay=ISO) into b: 1 when it was one,
 * 0 when it is none, -EINVAL (said) when it is one given twice or without its value.
 */
static int parse_boot_word(const char *t, struct commit_boot *b, struct bfs_diag *diag)
{
	if (strcmp(t, "hybrid") == 0) {
		if (b->hybrid)
			return bfs_diag_set(diag, -EINVAL, "commit: 'hybrid' given twice");
		b->hybrid = true;
		return 1;
	}
	for (size_t i = 0; i < BFS_ARRAY_SIZE(boot_fields); i++) {
		size_t kl = strlen(boot_fields[i].word);
		char **v = boot_field_ptr(b, &boot_fields[i]);

		if (strncmp(t, boot_fields[i].word, kl) != 0 || t[kl] != '=')
			continue;
		if (*v)
			return bfs_diag_set(diag, -EINVAL, "commit: '%.*s' given twice", (int)kl,
					    t);
		if (!t[kl + 1])
			return bfs_diag_set(diag, -EINVAL, "commit: '%s' names no path", t);
		*v = strdup(t + kl + 1);
		return *v ? 1 : -ENOMEM;
	}
	return 0;
}

/*
 * What can be told of the boot options before the commit starts, so that the writer hears
 * it (the CLI prints the refusal): the words' combination and form, the host files, the
 * replayed ISO's setup (read now), and the disc: the image code boots only a session at
 * block 0, and a later session's boot record is one that most BIOSes never read (they boot
 * the first session), so a disc holding sessions is refused rather than made to look
 * bootable. The image paths' files are checked by the engine when it plans the session.
 */
static int boot_check(struct stg_job *j, struct commit_boot *b, struct bfs_diag *diag)
{
	const char *host[] = {b->hybrid_mbr, b->replay};
	struct disc d;
	int r;

	if (!boot_given(b))
		return 0;
	if (b->replay && (b->bios || b->efi || b->catalog || b->hybrid || b->hybrid_mbr))
		return bfs_diag_set(diag, -EINVAL,
				    "commit: boot-replay= is not given with boot-bios=, boot-efi=, "
				    "boot-catalog=, hybrid or hybrid-mbr= (the replayed ISO says "
				    "them)");
	if (b->hybrid && !b->bios)
		return bfs_diag_set(diag, -EINVAL,
				    "commit: hybrid needs boot-bios= (the MBR starts the BIOS boot "
				    "file)");
	if (b->hybrid_mbr && !b->hybrid)
		return bfs_diag_set(diag, -EINVAL, "commit: hybrid-mbr= needs hybrid");
	if (b->catalog && !b->bios && !b->efi)
		return bfs_diag_set(diag, -EINVAL,
				    "commit: boot-catalog= needs a boot image (boot-bios= or "
				    "boot-efi=)");
	for (size_t i = 0; i < BFS_ARRAY_SIZE(host); i++) {
		if (host[i] && host[i][0] != '/')
			return bfs_diag_set(diag, -EINVAL,
					    "commit: %s '%s' is a file of the host: give its "
					    "absolute path (the daemon reads it)",
					    i ? "boot-replay=" : "hybrid-mbr=", host[i]);
		if (host[i] && access(host[i], R_OK) < 0) {
			int e = errno;

			return bfs_diag_set(diag, -e, "commit: %s '%s': %s",
					    i ? "boot-replay=" : "hybrid-mbr=", host[i],
					    strerror(e));
		}
	}
	pthread_mutex_lock(&j->lock);
	d = j->disc;
	pthread_mutex_unlock(&j->lock);
	if (d.known && (d.sessions > 0 || d.nwa > 0))
		return bfs_diag_set(diag, -EINVAL,
				    "commit: boot options need a blank disc: this %s holds %u "
				    "session(s), and only a first session can boot (most BIOSes "
				    "read the boot record of the first session only); burn the "
				    "staged files without boot options, or load a blank disc and "
				    "write `refresh`",
				    d.profile, d.sessions);
	if (b->replay) {
		b->rp = calloc(1, sizeof(*b->rp));
		if (!b->rp)
			return -ENOMEM;
		r = eng_boot_replay_read(b->replay, b->rp, diag);
		if (r < 0) {
			free(b->rp);
			b->rp = NULL;
			return r;
		}
	}
	return 0;
}

/* The boot options for the log: " boot-bios=/x boot-efi=/y ...", or "" without them. */
static void boot_describe(const struct commit_boot *b, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < BFS_ARRAY_SIZE(boot_fields) && n < cap; i++) {
		const char *v = *boot_field_ptr(b, &boot_fields[i]);

		if (v)
			n += (size_t)snprintf(buf + n, cap - n, ", %s %s", boot_fields[i].word, v);
	}
	if (b->hybrid && n < cap)
		snprintf(buf + n, cap - n, ", hybrid");
}

static int parse_commit(char **tok, size_t n, struct commit_opts *o, struct bfs_diag *diag)
{
	*o = (struct commit_opts){.verify = ENG_VERIFY_FULL};
	for (size_t i = 1; i < n; i++) {
		const char *t = tok[i];
		int r = parse_boot_word(t, &o->boot, diag);

		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (strcmp(t, "verify=none") == 0)
			o->verify = ENG_VERIFY_NONE;
		else if (strcmp(t, "verify=quick") == 0)
			o->verify = ENG_VERIFY_QUICK;
		else if (strcmp(t, "verify=full") == 0)
			o->verify = ENG_VERIFY_FULL;
		else if (strcmp(t, "close") == 0)
			o->finalize = true;
		else if (strcmp(t, "simulate") == 0)
			o->simulate = true;
		else if (strcmp(t, "speed=max") == 0)
			o->speed_x = 0;
		else if (strncmp(t, "speed=", 6) == 0) {
			char *end;
			unsigned long x = strtoul(t + 6, &end, 10);

			if (end == t + 6 || (*end && strcmp(end, "x") != 0) || x == 0 || x > 64 ||
			    t[6] == '-' || t[6] == '+')
				return bfs_diag_set(diag, -EINVAL,
						    "commit: '%s' is not a speed (speed=X with X a "
						    "multiple of 1x from 1 to 64, like 8 or 8x, or "
						    "speed=max)",
						    t);
			o->speed_x = (unsigned)x;
		} else
			return bfs_diag_set(
				diag, -EINVAL,
				"commit: '%s' is not an option (verify=none|quick|full, "
				"close, speed=X, simulate, boot-bios=PATH, boot-efi=PATH, "
				"boot-catalog=PATH, hybrid, hybrid-mbr=FILE, boot-replay=ISO)",
				t);
	}
	return 0;
}

/* Start the commit o says; o's boot options become the job's (o->boot is emptied) then. */
static int start_commit(struct stg_job *j, struct commit_opts *o, struct bfs_diag *diag)
{
	char speed[16] = "max", boot[1024];
	int r;

	if (j->session)
		return bfs_diag_set(diag, -EROFS,
				    "commit: this mount shows session %u of the disc, read-only; "
				    "mount without --session to stage and commit changes",
				    j->session);
	if (o->speed_x)
		snprintf(speed, sizeof(speed), "%ux", o->speed_x);
	pthread_mutex_lock(&j->lock);
	if (j->state == ST_COMMITTING || j->state == ST_CANCELLING || j->discarding) {
		pthread_mutex_unlock(&j->lock);
		return bfs_diag_set(diag, -EBUSY, "commit: a %s is running",
				    j->discarding ? "discard" : "commit");
	}
	if (j->joinable) {
		/* the last commit is in its final state: its thread takes no more locks */
		pthread_join(j->thread, NULL);
		j->joinable = false;
	}
	j->state = ST_COMMITTING;
	j->cancel = 0;
	j->job_id++;
	boot_clear(&j->copts.boot); /* the last commit's: its thread has ended */
	j->copts = *o;
	o->boot = (struct commit_boot){0};
	j->started = time(NULL);
	j->ended = 0;
	j->files = j->bytes = 0;
	j->phase = "starting";
	j->done = j->total = 0;
	j->rate = 0;
	j->ring_fill = j->drive_fill = j->op_progress = -1;
	boot_describe(&j->copts.boot, boot, sizeof(boot));
	log_l(j, "commit %u: verify=%s%s%s, speed %s%s", j->job_id, verify_names[j->copts.verify],
	      j->copts.finalize ? ", close" : "", j->copts.simulate ? ", simulate" : "", speed,
	      boot);
	r = -pthread_create(&j->thread, NULL, commit_main, j);
	if (r < 0) {
		j->state = ST_FAILED;
		j->phase = "";
		log_l(j, "cannot start the commit thread: %s", strerror(-r));
		pthread_mutex_unlock(&j->lock);
		return bfs_diag_set(diag, r, "commit: cannot start its thread: %s", strerror(-r));
	}
	j->joinable = true;
	pthread_mutex_unlock(&j->lock);
	return 0;
}

static bool busy(struct stg_job *j)
{
	bool b;

	pthread_mutex_lock(&j->lock);
	b = j->state == ST_COMMITTING || j->state == ST_CANCELLING;
	pthread_mutex_unlock(&j->lock);
	return b;
}

static int do_discard(struct stg_job *j, struct bfs_diag *diag)
{
	_cleanup_(bfs_node_freep) struct bfs_node *root = NULL;
	uint64_t removed = 0;
	int r, kept;

	pthread_mutex_lock(&j->lock);
	if (j->state == ST_COMMITTING || j->state == ST_CANCELLING || j->discarding) {
		pthread_mutex_unlock(&j->lock);
		return bfs_diag_set(diag, -EBUSY, "discard: a %s is running%s",
				    j->discarding ? "discard" : "commit",
				    j->discarding ? "" : "; cancel it first");
	}
	j->discarding = true; /* no commit starts meanwhile */
	pthread_mutex_unlock(&j->lock);
	r = scan_staging(j, &root, diag);
	kept = r < 0 ? r : remove_snapshot(j, root, &removed);
	if (r == 0 && j->lower)
		r = stg_lower_edits_reset(j->lower, diag);
	pthread_mutex_lock(&j->lock);
	j->discarding = false;
	pthread_mutex_unlock(&j->lock);
	if (r < 0)
		return bfs_diag_prefix(diag, r, "discard");
	if (j->changed)
		j->changed(j->userdata);
	if (kept < 0)
		return bfs_diag_set(diag, kept, "discard: %s (%" PRIu64 " entries removed)",
				    strerror(-kept), removed);
	job_log(j, "discard: %" PRIu64 " staged entries removed%s", removed,
		kept ? ", some kept (see above)" : "");
	return 0;
}

static int do_refresh(struct stg_job *j, struct bfs_diag *diag)
{
	struct disc d;
	char desc[512];
	int r;

	if (busy(j))
		return bfs_diag_set(diag, -EBUSY, "refresh: a commit is running");
	pthread_mutex_lock(&j->drive_lock);
	r = probe_drive(j, &d, diag);
	if (r == 0)
		lower_reload(j); /* another disc, or the same one written meanwhile */
	pthread_mutex_unlock(&j->drive_lock);
	if (r < 0)
		return r;
	disc_describe(&d, desc, sizeof(desc));
	pthread_mutex_lock(&j->lock);
	j->disc = d;
	log_l(j, "refresh: the disc: %s", desc);
	log_if_closed(j);
	pthread_mutex_unlock(&j->lock);
	if (j->changed) /* the disc's files shown may have changed */
		j->changed(j->userdata);
	return 0;
}

/*
 * Split a command into words, in place: blanks (space, tab) separate them, and a backslash
 * takes the next character as it is (a path's space, tab or backslash: `boot-bios=/my\ dir/x`).
 * -EINVAL (said) for too many words or a backslash that ends the line.
 */
static int split_words(char *s, char **tok, size_t cap, size_t *ret_n, struct bfs_diag *diag)
{
	size_t n = 0;

	for (;;) {
		char *o;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (n == cap)
			return bfs_diag_set(diag, -EINVAL, "too many words");
		tok[n++] = o = s;
		for (; *s && *s != ' ' && *s != '\t'; s++) {
			if (*s == '\\' && !*++s)
				return bfs_diag_set(
					diag, -EINVAL,
					"a backslash ends the command (it escapes the "
					"next character: '\\ ' a space, '\\\\' itself)");
			*o++ = *s;
		}
		if (*s) /* the blank after the word */
			s++;
		*o = '\0';
	}
	*ret_n = n;
	return 0;
}

int stg_job_ctl(struct stg_job *j, const char *line, uid_t uid, struct bfs_diag *diag)
{
	char buf[CTL_WORDS_MAX + 1], *tok[16];
	size_t len = strlen(line), n = 0;
	int r;

	if (uid != j->owner) {
		job_log(j,
			"ctl: refused a command from uid %u: only the mount's owner (uid %u) "
			"controls it",
			(unsigned)uid, (unsigned)j->owner);
		return bfs_diag_set(diag, -EPERM,
				    "only the owner of the mount (uid %u) may write commands to it",
				    (unsigned)j->owner);
	}
	/* trailing blanks are split_words()'s: one may be escaped, the end of a path */
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len >= sizeof(buf))
		r = bfs_diag_set(diag, -EINVAL, "a command of %zu bytes is too long", len);
	else if (memchr(line, '\n', len) || memchr(line, '\0', len))
		r = bfs_diag_set(diag, -EINVAL, "one command a line, without NUL bytes");
	else
		r = 0;
	if (r < 0)
		goto out;
	memcpy(buf, line, len);
	buf[len] = '\0';
	r = split_words(buf, tok, BFS_ARRAY_SIZE(tok), &n, diag);
	if (r < 0)
		goto out;
	if (n == 0) {
		r = bfs_diag_set(diag, -EINVAL,
				 "empty command (commit, cancel, discard or refresh)");
	} else if (strcmp(tok[0], "commit") == 0) {
		struct commit_opts o;

		r = parse_commit(tok, n, &o, diag);
		if (r == 0)
			r = boot_check(j, &o.boot, diag);
		if (r == 0)
			r = start_commit(j, &o, diag);
		boot_clear(&o.boot);
	} else if (strcmp(tok[0], "cancel") != 0 && strcmp(tok[0], "discard") != 0 &&
		   strcmp(tok[0], "refresh") != 0) {
		r = bfs_diag_set(diag, -EINVAL,
				 "'%s' is not a command (commit, cancel, discard, refresh)",
				 tok[0]);
	} else if (n > 1) {
		r = bfs_diag_set(diag, -EINVAL, "%s: '%s' is not an argument it takes", tok[0],
				 tok[1]);
	} else if (strcmp(tok[0], "cancel") == 0) {
		pthread_mutex_lock(&j->lock);
		if (j->state == ST_COMMITTING) {
			j->state = ST_CANCELLING;
			j->cancel = 1;
			log_l(j, "cancel: stopping the commit at its next step");
		} else if (j->state != ST_CANCELLING) {
			r = bfs_diag_set(diag, -ESRCH, "cancel: no commit is running");
		}
		pthread_mutex_unlock(&j->lock);
	} else if (strcmp(tok[0], "discard") == 0) {
		r = do_discard(j, diag);
	} else {
		r = do_refresh(j, diag);
	}
out:
	if (r < 0)
		job_log(j, "ctl: %s", bfs_diag_msg(diag, r));
	return r;
}

bool stg_job_frozen(struct stg_job *j)
{
	return busy(j);
}

bool stg_job_closed(struct stg_job *j, char *why, size_t cap)
{
	bool c;

	pthread_mutex_lock(&j->lock);
	c = disc_closed(&j->disc, j->drive, why, cap);
	pthread_mutex_unlock(&j->lock);
	return c;
}

void stg_job_unmounted(struct stg_job *j, const atomic_int *stop)
{
	bool cancelled = false;

	pthread_mutex_lock(&j->lock);
	if (j->state != ST_COMMITTING && j->state != ST_CANCELLING) {
		pthread_mutex_unlock(&j->lock);
		return;
	}
	snprintf(j->unmounted_in, sizeof(j->unmounted_in), "%s",
		 j->phase && *j->phase ? j->phase : "starting");
	log_l(j,
	      "the mount was unmounted during commit %u (while %s): the commit goes on to its "
	      "end, then the daemon exits",
	      j->job_id, j->unmounted_in);
	pthread_mutex_unlock(&j->lock);
	bfs_log(LOG_NOTICE, "unmounted during a commit: finishing it before exiting");
	while (busy(j)) {
		struct timespec ts = {0, 100 * 1000 * 1000};

		if (atomic_load(stop) && !cancelled) {
			pthread_mutex_lock(&j->lock);
			if (j->state == ST_COMMITTING) {
				j->state = ST_CANCELLING;
				j->cancel = 1;
				log_l(j, "cancel: the daemon got signal %d", atomic_load(stop));
			}
			pthread_mutex_unlock(&j->lock);
			cancelled = true;
		}
		nanosleep(&ts, NULL);
	}
}

/* ---- opening ------------------------------------------------------------------------------ */

static int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST)
				return -errno;
			*s = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static void fmt_time(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* A commit that the journal says started, seen by a new daemon: what to do now. */
static char *interrupted_remedy(const struct disc *before, const struct disc *now,
				const char *drive)
{
	char *s = NULL;
	const char *kept = "the staged files are intact";

	if (!now->known)
		s = str_printf(
			"the disc cannot be read now (%s): load it, check it with `burnfs "
			"info --drive %s` and write `refresh` to .burnfs/ctl; a partly "
			"written write-once disc takes no more sessions: commit again onto a "
			"blank one; %s",
			now->why, drive, kept);
	else if (now->status == MMC_DISC_INCOMPLETE)
		s = str_printf(
			"the %s holds the unfinished session and cannot take another: load a "
			"blank disc, write `refresh` to .burnfs/ctl and commit again; %s",
			now->profile, kept);
	else if (before->known && (now->nwa != before->nwa || now->sessions != before->sessions))
		s = str_printf("the session may have been completed before the daemon stopped: "
			       "check it with `burnfs verify --drive %s`; if it verifies, write "
			       "`discard` to .burnfs/ctl, else commit again onto a blank disc; %s",
			       drive, kept);
	else if (now->overwrite && now->status != MMC_DISC_BLANK)
		s = str_printf("the %s may hold part of the session: erase it with `burnfs erase "
			       "--drive %s`, then commit again; %s",
			       now->profile, drive, kept);
	else
		s = str_printf("nothing was recorded on the %s: commit again; %s", now->profile,
			       kept);
	return s;
}

/* Take over what the journal of an earlier daemon says (j is not shared yet). */
static void restore(struct stg_job *j, const struct journal *jn)
{
	const char *st = jget(jn, "state"), *v;
	struct disc before;
	struct bfs_diag jd = {0};
	char when[64], desc[512], boot[1024];
	int r;

	if (!st)
		return;
	j->job_id = (unsigned)BFS_MIN(jnum(jn, "job"), (uint64_t)UINT32_MAX);
	j->started = (time_t)jnum(jn, "started");
	j->ended = (time_t)jnum(jn, "ended");
	j->files = jnum(jn, "files");
	j->bytes = jnum(jn, "bytes");
	v = jget(jn, "verify");
	j->copts.verify = v && strcmp(v, "none") == 0	 ? ENG_VERIFY_NONE
			  : v && strcmp(v, "quick") == 0 ? ENG_VERIFY_QUICK
							 : ENG_VERIFY_FULL;
	j->copts.finalize = jnum(jn, "close") != 0;
	j->copts.simulate = jnum(jn, "simulate") != 0;
	j->copts.speed_x = (unsigned)BFS_MIN(jnum(jn, "speed"), (uint64_t)64);
	jboot(jn, &j->copts.boot);
	boot_describe(&j->copts.boot, boot, sizeof(boot));
	jdisc(jn, "before", &before);
	/* where its session went: a session there now holds the mount's changes too */
	j->written_at = before.known && (!strcmp(st, "started") || !strcmp(st, "burned"))
				? before.nwa
				: UINT64_MAX;
	fmt_time(j->started, when, sizeof(when));
	result_clear(&j->last);
	j->last.have = true;
	if (strcmp(st, "started") == 0) {
		struct journal_entry e = {
			.state = "interrupted", .before = &before, .res = &j->last};

		disc_describe(&j->disc, desc, sizeof(desc));
		j->state = ST_INTERRUPTED;
		j->ended = time(NULL);
		j->last.after = j->disc;
		if (asprintf(&j->last.message,
			     "the commit started at %s (%" PRIu64
			     " files, %.1f MiB onto '%s'%s) was "
			     "interrupted: the burnfs daemon stopped during it; the disc now: %s",
			     when, j->files, (double)j->bytes / 1048576.0, j->drive, boot,
			     desc) < 0)
			j->last.message = NULL;
		j->last.remedy = interrupted_remedy(&before, &j->disc, j->drive);
		if (j->last.remedy && boot_given(&j->copts.boot)) {
			char *rb = str_printf("%s; to make the disc bootable, give the same boot "
					      "options again (%s)",
					      j->last.remedy, boot + 2);

			free(j->last.remedy);
			j->last.remedy = rb;
		}
		log_l(j, "%s", j->last.message ? j->last.message : "an interrupted commit");
		log_l(j, "remedy: %s", j->last.remedy ? j->last.remedy : "");
		r = journal_write(j, &e, &jd);
		if (r < 0)
			log_l(j, "%s", bfs_diag_msg(&jd, r));
		return;
	}
	if (strcmp(st, "burned") == 0) {
		struct journal_entry e = {.state = "done", .before = &before, .res = &j->last};

		j->state = ST_DONE;
		j->last.ok = true;
		j->last.after = j->disc;
		if (asprintf(&j->last.message,
			     "the session of the commit started at %s was burnt, but "
			     "the burnfs daemon stopped while removing the staged files: some may "
			     "still be staged",
			     when) < 0)
			j->last.message = NULL;
		if (asprintf(&j->last.remedy,
			     "check the disc with `burnfs verify --drive %s`, then write `discard` "
			     "to .burnfs/ctl to remove what is left",
			     j->drive) < 0)
			j->last.remedy = NULL;
		log_l(j, "%s", j->last.message ? j->last.message : "");
		r = journal_write(j, &e, &jd);
		if (r < 0)
			log_l(j, "%s", bfs_diag_msg(&jd, r));
		return;
	}
	j->state = strcmp(st, "done") == 0	    ? ST_DONE
		   : strcmp(st, "interrupted") == 0 ? ST_INTERRUPTED
						    : ST_FAILED;
	j->last.ok = jnum(jn, "ok") != 0;
	v = jget(jn, "message");
	j->last.message = v ? strdup(v) : NULL;
	v = jget(jn, "remedy");
	j->last.remedy = v && *v ? strdup(v) : NULL;
	jdisc(jn, "after", &j->last.after);
	log_l(j, "the last commit (%u, started %s): %s: %s", j->job_id, when, st,
	      j->last.message ? j->last.message : "");
	for (size_t i = 0; i < jn->n; i++) {
		unsigned long long a, b;
		int off = 0;

		if (strcmp(jn->kv[i].key, "bad") == 0 &&
		    sscanf(jn->kv[i].val, "%llu %llu =%n", &a, &b, &off) == 2 && off > 0)
			(void)result_add_bad(&j->last, a, b, jn->kv[i].val + off);
	}
}

/*
 * The log of the mount's changes of the disc's own files (engine/edits.h), in the staging
 * directory's hidden .burnfs/ (never committed). Edits made against another disc are kept
 * and said; a log that cannot be read fails the mount, naming it.
 */
static int edits_open(struct stg_job *j, struct bfs_diag *diag)
{
	_cleanup_free_ char *dir = NULL;
	int r;

	if (j->session || j->edits_open)
		return 0; /* a view of an older session changes nothing */
	if (asprintf(&dir, "%s/.burnfs", j->staging_dir) < 0)
		return -ENOMEM;
	r = stg_lower_edits_open(j->lower, dir, "edits", diag);
	j->edits_open = r == 0 || r == -EXDEV;
	if (r == -EXDEV) { /* kept, refused until discarded or that disc comes back */
		log_l(j, "%s", bfs_diag_msg(diag, r));
		bfs_diag_clear(diag);
		return 0;
	}
	return r < 0 ? bfs_diag_prefix(diag, r, "'%s/edits'", dir) : 0;
}

int stg_job_new(const struct stg_job_opts *opts, struct bfs_diag *diag, struct stg_job **ret)
{
	struct stg_job *j;
	struct journal jn = {0};
	int r;

	if (!opts->staging_dir || opts->staging_dir[0] != '/' || !opts->drive || !opts->state_dir ||
	    opts->state_dir[0] != '/')
		return bfs_diag_set(
			diag, -EINVAL,
			"the staging and state directories must be absolute paths, and a "
			"drive must be given");
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	*j = (struct stg_job){
		.staging_dir = strdup(opts->staging_dir),
		.drive = strdup(opts->drive),
		.state_dir = strdup(opts->state_dir),
		.owner = opts->owner,
		.session = opts->session,
		.written_at = UINT64_MAX,
		.changed = opts->changed,
		.userdata = opts->userdata,
		.phase = "",
		.ring_fill = -1,
		.drive_fill = -1,
		.op_progress = -1,
	};
	pthread_mutex_init(&j->lock, NULL);
	pthread_mutex_init(&j->drive_lock, NULL);
	if (!j->staging_dir || !j->drive || !j->state_dir ||
	    asprintf(&j->journal, "%s/" JOURNAL_NAME, j->state_dir) < 0) {
		j->journal = NULL;
		r = -ENOMEM;
		goto fail;
	}
	r = mkdir_p(j->state_dir, 0700);
	if (r < 0) {
		r = bfs_diag_set(diag, r, "state directory '%s': %s", j->state_dir, strerror(-r));
		goto fail;
	}
	r = probe_drive(j, &j->disc, diag);
	if (r < 0)
		goto fail;
	/* j is not shared yet: no locking until it is returned */
	r = journal_read(j->journal, &jn);
	if (r == 0) {
		restore(j, &jn);
		journal_done(&jn);
	} else if (r == -EBADMSG) {
		log_l(j, "'%s' is not a burnfs journal, ignoring", j->journal);
	} else if (r != -ENOENT) {
		log_l(j, "journal '%s': %s, ignoring", j->journal, strerror(-r));
	}
	{
		char desc[512];

		disc_describe(&j->disc, desc, sizeof(desc));
		log_l(j, "drive '%s': %s", j->drive, desc);
		log_if_closed(j);
	}
	r = stg_lower_new(j->drive, &j->lower);
	if (r < 0)
		goto fail;
	if (j->session) { /* a view of that session or nothing: the mount fails naming why */
		r = stg_lower_load(j->lower, j->session, diag);
		if (r < 0)
			goto fail;
	}
	lower_reload(j);
	r = edits_open(j, diag);
	if (r < 0)
		goto fail;
	if (j->written_at != UINT64_MAX)
		edits_written(j, j->written_at);
	*ret = j;
	return 0;
fail:
	stg_job_free(j);
	return r;
}

struct stg_job *stg_job_free(struct stg_job *j)
{
	if (!j)
		return NULL;
	if (j->joinable) {
		j->cancel = 1;
		pthread_join(j->thread, NULL);
	}
	stg_lower_free(j->lower);
	pthread_mutex_destroy(&j->lock);
	pthread_mutex_destroy(&j->drive_lock);
	result_clear(&j->last);
	boot_clear(&j->copts.boot);
	free(j->log);
	free(j->staging_dir);
	free(j->drive);
	free(j->state_dir);
	free(j->journal);
	free(j);
	return NULL;
}

/* ---- status --------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s, 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80			  ? 1
		   : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
		   : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
		   : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
						  : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if ((n == 3 && s[0] == 0xE0 && s[1] < 0xA0) || (n == 3 && s[0] == 0xED && s[1] >= 0xA0) ||
	    (n == 4 && s[0] == 0xF0 && s[1] < 0x90) || (n == 4 && s[0] == 0xF4 && s[1] >= 0x90))
		return 0;
	return n;
}

/* A JSON string; bytes that are not UTF-8 (names are raw bytes) become U+FFFD. */
static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*p) {
		size_t n = utf8_len(p);

		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else if (n == 0)
			fputs("\\ufffd", f);
		else
			fwrite(p, 1, n, f);
		p += n ? n : 1;
	}
	fputc('"', f);
}

static void json_time(FILE *f, time_t t)
{
	char buf[32];
	struct tm tm;

	if (!t) {
		fputs("null", f);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
	fputs(buf, f);
}

static void json_int_or_null(FILE *f, int v)
{
	if (v < 0)
		fputs("null", f);
	else
		fprintf(f, "%d", v);
}

static void json_disc(FILE *f, const struct disc *d)
{
	if (!d->known) {
		fputs("{\"profile\": null, \"status\": \"unknown\", \"sessions\": null, "
		      "\"capacity_blocks\": null, \"free_blocks\": null, \"next_writable\": null, "
		      "\"erasable\": null, \"error\": ",
		      f);
		json_str(f, d->why);
		fputc('}', f);
		return;
	}
	fputs("{\"profile\": ", f);
	json_str(f, d->profile);
	fprintf(f,
		", \"status\": \"%s\", \"sessions\": %u, \"capacity_blocks\": %" PRIu64
		", \"free_blocks\": %" PRIu64 ", \"next_writable\": %" PRIu64
		", \"erasable\": %s, \"error\": null}",
		eng_disc_status_name(d->status), d->sessions, d->capacity, d->free_blocks, d->nwa,
		d->erasable ? "true" : "false");
}

/* ", \"boot\": {...}": the commit's boot options, each null when not given (all: null). */
static void json_boot(FILE *f, const struct commit_boot *b)
{
	if (!boot_given(b)) {
		fputs(", \"boot\": null", f);
		return;
	}
	fputs(", \"boot\": {", f);
	for (size_t i = 0; i < BFS_ARRAY_SIZE(boot_fields); i++) {
		const char *v = *boot_field_ptr(b, &boot_fields[i]);

		fprintf(f, "\"%s\": ", boot_fields[i].key);
		if (v)
			json_str(f, v);
		else
			fputs("null", f);
		fputs(", ", f);
	}
	fprintf(f, "\"hybrid\": %s}", b->hybrid ? "true" : "false");
}

char *stg_job_status(struct stg_job *j)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	double pct = 0;

	if (!f)
		return NULL;
	pthread_mutex_lock(&j->lock);
	if (j->total)
		pct = 100.0 * (double)j->done / (double)j->total;
	else if (j->op_progress >= 0)
		pct = 100.0 * j->op_progress / 65536;
	fprintf(f, "{\"state\": \"%s\", \"phase\": ", state_names[j->state]);
	json_str(f, j->phase);
	fprintf(f,
		", \"percent\": %.1f, \"bytes_done\": %" PRIu64 ", \"bytes_total\": %" PRIu64
		", \"mb_per_s\": %.2f, \"x_speed\": ",
		pct, j->done * 2048, j->total * 2048, j->rate / 1e6);
	if (j->x1_kBps && j->rate > 0)
		fprintf(f, "%.2f", j->rate / 1000.0 / j->x1_kBps);
	else
		fputs("null", f);
	fputs(", \"eta_s\": ", f);
	if (j->rate > 0 && j->total > j->done)
		fprintf(f, "%.0f", (double)(j->total - j->done) * 2048 / j->rate);
	else
		fputs("null", f);
	fputs(", \"ring_fill\": ", f);
	json_int_or_null(f, j->ring_fill);
	fputs(", \"drive_fill\": ", f);
	json_int_or_null(f, j->drive_fill);
	fprintf(f, ", \"projected_blocks\": %" PRIu64 ", \"drive\": ", j->projected);
	json_str(f, j->drive);
	fputs(", \"staging\": ", f);
	json_str(f, j->staging_dir);
	fprintf(f, ", \"job\": {\"id\": %u, \"verify\": \"%s\", \"close\": %s, \"simulate\": %s, ",
		j->job_id, verify_names[j->copts.verify], j->copts.finalize ? "true" : "false",
		j->copts.simulate ? "true" : "false");
	if (j->copts.speed_x)
		fprintf(f, "\"speed\": \"%ux\"", j->copts.speed_x);
	else
		fputs("\"speed\": \"max\"", f);
	json_boot(f, &j->copts.boot);
	fprintf(f, ", \"files\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"started\": ", j->files,
		j->bytes);
	json_time(f, j->job_id ? j->started : 0);
	fputs(", \"ended\": ", f);
	json_time(f, j->job_id ? j->ended : 0);
	fputs("}, \"disc\": ", f);
	json_disc(f, &j->disc);
	{
		char why[512];

		fputs(", \"read_only\": ", f);
		json_str(f, disc_closed(&j->disc, j->drive, why, sizeof(why)) ? why : NULL);
	}
	fputs(", \"last_result\": ", f);
	if (!j->last.have) {
		fputs("null", f);
	} else {
		fprintf(f, "{\"ok\": %s, \"message\": ", j->last.ok ? "true" : "false");
		json_str(f, j->last.message);
		fputs(", \"remedy\": ", f);
		json_str(f, j->last.remedy);
		fputs(", \"disc_state_after\": ", f);
		json_disc(f, &j->last.after);
		fputs(", \"bad_ranges\": [", f);
		for (size_t i = 0; i < j->last.nbad; i++) {
			fprintf(f,
				"%s{\"first_lba\": %" PRIu64 ", \"last_lba\": %" PRIu64
				", \"files\": ",
				i ? ", " : "", j->last.bad[i].first, j->last.bad[i].last);
			json_str(f, j->last.bad[i].files);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs("}\n", f);
	pthread_mutex_unlock(&j->lock);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

char *stg_job_log(struct stg_job *j)
{
	char *s;

	pthread_mutex_lock(&j->lock);
	s = malloc(j->log_len + 1);
	if (s) {
		if (j->log_len)
			memcpy(s, j->log, j->log_len);
		s[j->log_len] = '\0';
	}
	pthread_mutex_unlock(&j->lock);
	return s;
}

void stg_job_disc_space(struct stg_job *j, uint64_t *total_blocks, uint64_t *free_blocks)
{
	pthread_mutex_lock(&j->lock);
	*total_blocks = j->disc.known ? j->disc.capacity : 0;
	*free_blocks = j->disc.known ? j->disc.free_blocks : 0;
	pthread_mutex_unlock(&j->lock);
}

void stg_job_set_projected(struct stg_job *j, uint64_t blocks)
{
	pthread_mutex_lock(&j->lock);
	j->projected = blocks;
	pthread_mutex_unlock(&j->lock);
}

struct stg_lower *stg_job_lower(struct stg_job *j)
{
	return j->lower;
}

/* ---- what the next commit changes ------------------------------------------------------ */

#define CHANGES_MAX 10000u /* lines of .burnfs/changes; the rest counted */

struct changes {
	FILE *f;
	struct stg_lower *l;
	size_t lines, more;
	size_t root_len;
};

/* One line, or one more counted past the cap. */
static void change_line(struct changes *c, const char *op, const char *path, const char *to)
{
	if (c->lines >= CHANGES_MAX) {
		c->more++;
		return;
	}
	c->lines++;
	fprintf(c->f, "%s /%s%s%s\n", op, path, to ? " -> /" : "", to ? to : "");
}

static struct changes *changes_walk; /* nftw has no user data: one walk at a time */
static pthread_mutex_t changes_lock = PTHREAD_MUTEX_INITIALIZER;

/* A staged node: added, or replacing the disc's node at its path (a directory merging: none). */
static int change_staged(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	struct changes *c = changes_walk;
	const char *rel = path + c->root_len;
	uint64_t gen;
	stg_lid lid;
	struct stat ds;
	bool on_disc;

	(void)ftw;
	while (*rel == '/')
		rel++;
	if (!*rel)
		return 0;
	if (strcmp(rel, ".burnfs") == 0 && type == FTW_D)
		return FTW_SKIP_SUBTREE;
	on_disc = c->l && stg_lower_origin(c->l, rel, &gen, &lid) == 0 &&
		  stg_lower_stat(c->l, gen, lid, &ds) == 0;
	if (on_disc && S_ISDIR(sb->st_mode) && S_ISDIR(ds.st_mode))
		return 0; /* a directory of the disc, staged to hold what goes into it */
	change_line(c, on_disc ? "replace" : "add", rel, NULL);
	return 0;
}

static int change_edit(const char *kind, const char *disc, const char *target,
		       const struct eng_attr *attr, void *userdata)
{
	struct changes *c = userdata;

	(void)attr;
	change_line(c, !strcmp(kind, "delete") ? "remove" : kind, disc, target);
	return 0;
}

char *stg_job_changes(struct stg_job *j)
{
	struct changes c = {.l = j->lower, .root_len = strlen(j->staging_dir)};
	char *text = NULL, why[512];
	size_t len = 0;

	c.f = open_memstream(&text, &len);
	if (!c.f)
		return NULL;
	fputs("# what the next commit changes of the disc's tree (add, replace, remove, move, "
	      "link, attr)\n",
	      c.f);
	if (j->lower && stg_lower_edits_stale(j->lower, why, sizeof(why)))
		fprintf(c.f, "# refused: %s\n", why);
	pthread_mutex_lock(&changes_lock);
	changes_walk = &c;
	(void)nftw(j->staging_dir, change_staged, 16, FTW_PHYS | FTW_ACTIONRETVAL);
	changes_walk = NULL;
	pthread_mutex_unlock(&changes_lock);
	if (j->lower)
		(void)stg_lower_edits_foreach(j->lower, change_edit, &c);
	if (c.more)
		fprintf(c.f, "# and %zu more\n", c.more);
	if (fclose(c.f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
