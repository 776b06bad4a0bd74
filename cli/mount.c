/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burnfs mount [--drive D] [--staging DIR] [--foreground] [--allow-other] MOUNTPOINT
 * burnfs umount MOUNTPOINT
 *
 * The staging folder (ARCHITECTURE.md, staging filesystem). Defaults: the only optical
 * drive, else the default virtual drive $XDG_STATE_HOME/burnfs/vdrive (a blank BD-R made on
 * first use); the staging directory $XDG_DATA_HOME/burnfs/staging/<drive id>/ and the job
 * journal in $XDG_STATE_HOME/burnfs/jobs/<drive id>/, where <drive id> is the drive address
 * made into one file name. The daemon records its pid in
 * $XDG_STATE_HOME/burnfs/mounts/<mount point id>.pid, so that umount can wait for it to
 * let go of the drive. Exit codes as in burnfs.c: 0, 1 the mount failed, 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#include "cli.h"
#include "common/diag.h"
#include "common/macro.h"
#if HAVE_FUSE
#include "fs.h"
#endif

/* $XDG_<what>_HOME (absolute only, as the spec says), else ~/fallback. */
static char *xdg_dir(const char *var, const char *fallback)
{
	const char *v = getenv(var), *home = getenv("HOME");
	char *s = NULL;

	if (v && v[0] == '/')
		return strdup(v);
	if (asprintf(&s, "%s/%s", home && *home ? home : "/", fallback) < 0)
		return NULL;
	return s;
}

static int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * One file name for a drive address or a path, stable and reversible: letters, digits and
 * ". + @" stay, '/' becomes '-', every other byte _XX. Long ones keep their start and a
 * hash of the whole.
 */
static char *file_id(const char *s)
{
	size_t len = strlen(s), cap = len * 3 + 1, n = 0;
	_cleanup_free_ char *out = malloc(cap);
	uint64_t h = 0xcbf29ce484222325ull;
	char *ret = NULL;

	if (!out)
		return NULL;
	while (*s == '/')
		s++;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h = (h ^ *p) * 0x100000001b3ull;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '+' || *p == '@')
			out[n++] = (char)*p;
		else if (*p == '/')
			out[n++] = '-';
		else
			n += (size_t)snprintf(out + n, cap - n, "_%02X", *p);
	}
	out[n] = '\0';
	if (n == 0 || out[0] == '.')
		return asprintf(&ret, "_%s", out) < 0 ? NULL : ret;
	if (n > 200)
		return asprintf(&ret, "%.183s_%016llx", out, (unsigned long long)h) < 0 ? NULL
											: ret;
	return TAKE_PTR(out);
}

static char *pid_file(const char *abs_mountpoint)
{
	_cleanup_free_ char *state = xdg_dir("XDG_STATE_HOME", ".local/state");
	_cleanup_free_ char *id = file_id(abs_mountpoint);
	char *ret = NULL;

	if (!state || !id || asprintf(&ret, "%s/burnfs/mounts/%s.pid", state, id) < 0)
		return NULL;
	return ret;
}

#if HAVE_FUSE
static void on_ready(const char *mountpoint, void *userdata)
{
	_cleanup_free_ char *pf = pid_file(mountpoint);
	_cleanup_free_ char *dir = NULL;
	FILE *f;

	(void)userdata;
	if (!pf || !(dir = strdup(pf)))
		return;
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0700) < 0)
		return;
	f = fopen(pf, "we");
	if (!f)
		return;
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}
#endif

static void mount_usage(FILE *f)
{
	fprintf(f,
		"Usage: burnfs mount [--drive D] [--staging DIR] [--foreground] [--allow-other]\n"
		"                    [--session N] MOUNTPOINT\n"
		"\n"
		"Mount the staging folder of a drive: files copied in wait there (in DIR) until\n"
		"`burnfs commit MOUNTPOINT` or `echo commit > MOUNTPOINT/.burnfs/ctl` burns them.\n"
		"Default drive: the only optical drive, else the virtual drive\n"
		"$XDG_STATE_HOME/burnfs/vdrive (a blank BD-R is made on first use). Default DIR:\n"
		"$XDG_DATA_HOME/burnfs/staging/<drive id>/.\n"
		"The disc's files show in the mount, its last session's tree under the staged\n"
		"files: new files may go into its folders, and a disc file that is written or\n"
		"changed is copied into the staging folder first; the next commit appends a\n"
		"session holding the whole tree as the mount shows it.\n"
		"\n"
		"  --drive D        /dev/srN, /dev/sgN, iscsi://HOST[:PORT]/IQN/LUN or vdrive:DIR\n"
		"  --staging DIR    the backing directory (created, mode 0700, when missing)\n"
		"  --foreground     stay in the foreground (unmount with Ctrl-C)\n"
		"  --allow-other    let other users in (needs user_allow_other in\n"
		"                   /etc/fuse.conf unless root); .burnfs/ctl still obeys only you\n"
		"  --session N      show session N of the disc alone, read-only (1 the first;\n"
		"                   `burnfs sessions --drive D` lists them)\n"
		"\n"
		"MOUNTPOINT: an existing empty directory. .burnfs/ctl takes one command a line\n"
		"(commit [verify=none|quick|full] [close] [speed=X] [simulate], cancel, discard,\n"
		"refresh), in one write or several; a command without its newline runs at close.\n"
		"On a closed (finalized) disc every change is refused (read-only): load a blank\n"
		"disc and write `refresh`. Unmounting during a commit lets the commit run to its\n"
		"end; the daemon exits then (see `burnfs umount --help`).\n"
		"Exit codes: 0 mounted, 1 the mount failed, 2 usage.\n");
}

static void umount_usage(FILE *f)
{
	fprintf(f,
		"Usage: burnfs umount MOUNTPOINT\n"
		"\n"
		"Unmount a burnfs staging mount and wait for its daemon to let go of the drive.\n"
		"The staged files stay in the staging directory. During a commit the mount goes\n"
		"at once and the commit runs to its end (the burn is never cut short by an\n"
		"unmount); burnfs umount waits for it and says so (Ctrl-C stops the waiting, not\n"
		"the burn), and `burnfs status` after the next mount tells how it ended. To stop\n"
		"the burn instead: `burnfs commit --cancel MOUNTPOINT` before unmounting.\n"
		"A mount whose daemon was killed (\"Transport endpoint is not connected\") is\n"
		"unmounted as well.\n"
		"Exit codes: 0 unmounted, 1 failed, 2 usage.\n");
}

/* A getopt error of cmd (optstring starting with ':'), said with the command's prefix. */
static void option_error(const char *cmd, int c, char **argv)
{
	if (c == ':')
		fprintf(stderr, "burnfs %s: %s needs an argument\n", cmd, argv[optind - 1]);
	else
		fprintf(stderr, "burnfs %s: unknown option '%s'\n", cmd, argv[optind - 1]);
}

/* A mount point as /proc/self/mounts writes it (space, tab, newline, backslash as \ooo), decoded in place. */
static void unescape_mount(char *mp)
{
	char *o = mp;

	for (char *i = mp; *i; o++) {
		if (i[0] == '\\' && i[1] >= '0' && i[1] <= '3' && i[2] >= '0' && i[2] <= '7' &&
		    i[3] >= '0' && i[3] <= '7') {
			*o = (char)((i[1] - '0') * 64 + (i[2] - '0') * 8 + (i[3] - '0'));
			i += 4;
		} else {
			*o = *i++;
		}
	}
	*o = '\0';
}

/* Whether a burnfs mount sits on path (absolute) now. */
static bool burnfs_mounted(const char *path)
{
	char line[8192];
	bool found = false;
	FILE *f = fopen("/proc/self/mounts", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *save = NULL, *dev = strtok_r(line, " ", &save);
		char *mp = strtok_r(NULL, " ", &save), *type = strtok_r(NULL, " ", &save);

		if (!dev || !mp || !type || strcmp(type, "fuse.burnfs") != 0)
			continue;
		unescape_mount(mp);
		found = strcmp(mp, path) == 0;
	}
	fclose(f);
	return found;
}

char *cli_burnfs_mount_above(const char *abs, bool *dead)
{
	_cleanup_free_ char *p = strdup(abs);
	struct stat st;

	*dead = false;
	if (!p)
		return NULL;
	for (;;) {
		char *slash;

		if (burnfs_mounted(p)) {
			*dead = stat(p, &st) < 0 && errno == ENOTCONN;
			return TAKE_PTR(p);
		}
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			return NULL;
		*slash = '\0';
	}
}

/* path with its parent resolved (symlinks too) and its last component as it is, or NULL. */
static char *parent_resolved(const char *path)
{
	_cleanup_free_ char *copy = strdup(path), *dir = NULL;
	char *slash, *ret = NULL;
	const char *base;

	if (!copy)
		return NULL;
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	slash = strrchr(copy, '/');
	base = slash ? slash + 1 : copy;
	if (slash)
		*slash = '\0';
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return NULL;
	dir = realpath(!slash ? "." : slash == copy ? "/" : copy, NULL);
	if (!dir || asprintf(&ret, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base) < 0)
		return NULL;
	return ret;
}

char *cli_abs_path(const char *path)
{
	_cleanup_free_ char *joined = NULL;
	char cwd[PATH_MAX], *out, *o;
	char *r = realpath(path, NULL);

	if (r)
		return r;
	r = parent_resolved(path);
	if (r)
		return r;
	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&joined, "%s/%s", path[0] == '/' ? "" : cwd, path) < 0)
		return NULL;
	out = malloc(strlen(joined) + 2);
	if (!out)
		return NULL;
	/* lexically: no empty components, no ".", ".." takes the one before off */
	o = out;
	for (char *save = NULL, *c = strtok_r(joined, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			while (o > out && *--o != '/')
				;
			continue;
		}
		o += sprintf(o, "/%s", c);
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

/*
 * Unmount the dead burnfs mount at mp (its daemon is gone): umount2() as root, else
 * fusermount3 -u. 0, or -errno with the reason printed.
 */
static int unmount_dead(const char *cmd, const char *mp)
{
	pid_t child;
	int status = 0;

	if (geteuid() == 0) {
		if (umount2(mp, UMOUNT_NOFOLLOW) == 0 ||
		    umount2(mp, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			return 0;
		fprintf(stderr, "burnfs %s: cannot unmount '%s': %m\n", cmd, mp);
		return -errno;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "burnfs %s: fork: %m\n", cmd);
		return -errno;
	}
	if (child == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", "--", mp, (char *)NULL);
		fprintf(stderr, "burnfs %s: cannot run fusermount3: %m\n", cmd);
		_exit(127);
	}
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -EIO; /* fusermount3 said why */
	return 0;
}

/* a inside b (or the same), both absolute and resolved */
BFS_UNUSED static bool path_within(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (strcmp(b, "/") == 0)
		return true;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

/* The number of entries in the directory dir, or -errno. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/*
 * The mount point given: an existing empty directory, not a burnfs mount already (a dead one,
 * whose daemon is gone, is unmounted first, saying so). 0 with *ret its absolute path, else
 * the exit code, the reason printed.
 */
static int check_mountpoint(const char *arg, char **ret)
{
	_cleanup_free_ char *abs = cli_abs_path(arg);
	struct stat st;
	int n;

	if (abs && burnfs_mounted(abs)) {
		if (stat(abs, &st) == 0 || errno != ENOTCONN) {
			fprintf(stderr,
				"burnfs mount: '%s' is a burnfs mount already\n"
				"remedy: use it as it is, or unmount it first: burnfs umount '%s'\n",
				abs, abs);
			return CLI_EXIT_JOB;
		}
		if (unmount_dead("mount", abs) < 0)
			return CLI_EXIT_JOB;
		fprintf(stderr,
			"burnfs mount: '%s' was a burnfs mount whose daemon had stopped (killed or "
			"crashed): unmounted it\n",
			abs);
	}
	if (stat(arg, &st) < 0) {
		if (errno == ENOENT)
			fprintf(stderr,
				"burnfs mount: the mount point '%s' does not exist\n"
				"remedy: create it (mkdir -p '%s') or give an existing empty "
				"directory\n",
				arg, arg);
		else
			fprintf(stderr, "burnfs mount: the mount point '%s': %m\n", arg);
		return errno == ENOENT ? CLI_EXIT_USAGE : CLI_EXIT_JOB;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr,
			"burnfs mount: the mount point '%s' is %s, not a directory\n"
			"remedy: give an empty directory\n",
			arg, S_ISREG(st.st_mode) ? "a file" : "a special file");
		return CLI_EXIT_USAGE;
	}
	n = count_entries(arg);
	if (n != 0) {
		if (n < 0)
			fprintf(stderr, "burnfs mount: the mount point '%s': %s\n", arg,
				strerror(-n));
		else
			fprintf(stderr,
				"burnfs mount: the mount point '%s' is not empty (%d entr%s): the "
				"mount would hide %s\n"
				"remedy: give an empty directory\n",
				arg, n, n == 1 ? "y" : "ies", n == 1 ? "it" : "them");
		return n < 0 ? CLI_EXIT_JOB : CLI_EXIT_USAGE;
	}
	*ret = realpath(arg, NULL);
	if (!*ret) {
		fprintf(stderr, "burnfs mount: the mount point '%s': %m\n", arg);
		return CLI_EXIT_JOB;
	}
	return 0;
}

/* --staging DIR: made (mkdir -p, 0700) when missing, saying so; its absolute path or NULL. */
static char *staging_dir(const char *arg)
{
	struct stat st;
	char *ret;
	int r;

	if (stat(arg, &st) < 0 && errno == ENOENT) {
		r = mkdir_p(arg, 0700);
		if (r < 0) {
			fprintf(stderr,
				"burnfs mount: cannot create the staging directory '%s': %s\n", arg,
				strerror(-r));
			return NULL;
		}
		fprintf(stderr, "burnfs mount: created the staging directory '%s'\n", arg);
	} else if (stat(arg, &st) == 0 && !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "burnfs mount: --staging '%s' is not a directory\n", arg);
		return NULL;
	}
	ret = realpath(arg, NULL);
	if (!ret)
		fprintf(stderr, "burnfs mount: --staging '%s': %m\n", arg);
	return ret;
}

#if HAVE_FUSE
/* The default staging directory of the drive with file id id, made when missing; or NULL. */
static char *default_staging(const char *data, const char *id)
{
	_cleanup_free_ char *dir = NULL;
	char *ret;
	int r;

	if (asprintf(&dir, "%s/burnfs/staging/%s", data, id) < 0)
		return NULL;
	r = mkdir_p(dir, 0700);
	if (r < 0) {
		fprintf(stderr, "burnfs mount: staging directory '%s': %s\n", dir, strerror(-r));
		return NULL;
	}
	ret = realpath(dir, NULL);
	if (!ret)
		fprintf(stderr, "burnfs mount: staging directory '%s': %m\n", dir);
	return ret;
}

/* Mount and serve (or, without --foreground, hand over to the daemon); the exit code. */
static int serve(const struct stg_fs_opts *o)
{
	struct bfs_diag diag = {0};
	int r;

	fflush(stdout);
	fflush(stderr);
	r = stg_fs_run(o, &diag);
	if (r < 0) {
		fprintf(stderr, "burnfs mount: %s\n", bfs_diag_msg(&diag, r));
		return CLI_EXIT_JOB;
	}
	if (!o->foreground)
		printf("burnfs mount: '%s' mounted on '%s' (staging '%s')\n", o->drive,
		       o->mountpoint, o->staging_dir);
	return 0;
}
#endif

/* --session N: 0, or -EINVAL after saying what it takes. */
static int parse_session(const char *arg, unsigned *ret)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);

	if (!*arg || *end || n == 0 || n > 65535 || arg[0] == '-') {
		fprintf(stderr,
			"burnfs mount: --session '%s': a session number (1 the first; `burnfs "
			"sessions --drive D` lists them)\n",
			arg);
		return -EINVAL;
	}
	*ret = (unsigned)n;
	return 0;
}

#if HAVE_FUSE
/*
 * The drive to mount: --drive's (a vdrive directory made absolute: the daemon runs in /,
 * where a relative one would change meaning), else the default. 0 or an exit code.
 */
static int mount_drive(const char *arg, char **ret)
{
	int r;

	if (arg && strncmp(arg, "vdrive:", 7) == 0) {
		_cleanup_free_ char *dir = realpath(arg + 7, NULL);

		if (!dir) {
			fprintf(stderr, "burnfs mount: --drive '%s': %m\n", arg);
			return CLI_EXIT_JOB;
		}
		return asprintf(ret, "vdrive:%s", dir) < 0 ? CLI_EXIT_JOB : 0;
	}
	if (arg)
		return (*ret = strdup(arg)) ? 0 : CLI_EXIT_JOB;
	r = cli_default_drive("mount", true, ret);
	return r < 0 ? (r == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_JOB) : 0;
}
#endif

static int cmd_mount(int argc, char **argv)
{
	static const struct option lo[] = {
		{"drive", required_argument, NULL, 'd'},
		{"staging", required_argument, NULL, 's'},
		{"session", required_argument, NULL, 'S'},
		{"foreground", no_argument, NULL, 'f'},
		{"allow-other", no_argument, NULL, 'a'},
		{"debug", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	_cleanup_free_ char *drive = NULL, *staging = NULL, *mp = NULL, *id = NULL;
	_cleanup_free_ char *state = NULL, *data = NULL, *jobs = NULL;
	const char *drive_arg = NULL, *staging_arg = NULL;
	bool fg = false, allow_other = false, debug = false;
	unsigned session = 0;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fh", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			drive_arg = optarg;
			break;
		case 's':
			staging_arg = optarg;
			break;
		case 'S':
			if (parse_session(optarg, &session) < 0)
				return CLI_EXIT_USAGE;
			break;
		case 'f':
			fg = true;
			break;
		case 'a':
			allow_other = true;
			break;
		case 'D':
			debug = true;
			break;
		case 'h':
			mount_usage(stdout);
			return 0;
		default:
			option_error("mount", c, argv);
			fprintf(stderr, "(burnfs mount --help tells the options)\n");
			return CLI_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "burnfs mount: %s\n(burnfs mount --help tells more)\n",
			optind == argc ? "no mount point given: burnfs mount [OPTIONS] MOUNTPOINT"
				       : "one mount point only");
		return CLI_EXIT_USAGE;
	}
	r = check_mountpoint(argv[optind], &mp);
	if (r != 0)
		return r;
#if !HAVE_FUSE
	(void)fg, (void)allow_other, (void)debug, (void)drive_arg, (void)staging_arg, (void)r,
		(void)session;
	fprintf(stderr, "burnfs mount: this build has no staging filesystem (libfuse3 was not "
			"found when it was built)\n");
	return CLI_EXIT_JOB;
#else
	r = mount_drive(drive_arg, &drive);
	if (r != 0)
		return r;
	id = drive ? file_id(drive) : NULL;
	state = xdg_dir("XDG_STATE_HOME", ".local/state");
	data = xdg_dir("XDG_DATA_HOME", ".local/share");
	if (id && session) { /* a view of its own: nothing staged shows over an old session */
		char *v = NULL;

		if (asprintf(&v, "%s-session-%u", id, session) < 0)
			return CLI_EXIT_JOB;
		free(id);
		id = v;
	}
	if (!id || !state || !data || asprintf(&jobs, "%s/burnfs/jobs/%s", state, id) < 0)
		return CLI_EXIT_JOB;
	staging = staging_arg ? staging_dir(staging_arg) : default_staging(data, id);
	if (!staging)
		return staging_arg ? CLI_EXIT_USAGE : CLI_EXIT_JOB;
	if (path_within(mp, staging) || path_within(staging, mp)) {
		fprintf(stderr,
			"burnfs mount: the staging directory '%s' and the mount point '%s' must "
			"not contain each other\n",
			staging, mp);
		return CLI_EXIT_USAGE;
	}
	r = mkdir_p(jobs, 0700);
	if (r < 0) {
		fprintf(stderr, "burnfs mount: state directory '%s': %s\n", jobs, strerror(-r));
		return CLI_EXIT_JOB;
	}
	{
		struct stg_fs_opts o = {
			.mountpoint = mp,
			.staging_dir = staging,
			.drive = drive,
			.state_dir = jobs,
			.foreground = fg,
			.allow_other = allow_other,
			.session = session,
			.debug = debug,
			.ready = on_ready,
		};

		return serve(&o);
	}
#endif
}

/* The pid in the mount's pid file if it is a burnfs process still, else 0. */
static pid_t mount_pid(const char *pf)
{
	char buf[64] = "", comm[64] = "", path[64];
	long pid = 0;
	FILE *f = fopen(pf, "re");

	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f))
		pid = strtol(buf, NULL, 10);
	fclose(f);
	if (pid <= 1)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	if (strncmp(comm, "burnfs", 6) != 0)
		return 0;
	/* a zombie has let go of everything */
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (f) {
		char st[512] = "", *p;

		if (!fgets(st, sizeof(st), f))
			st[0] = '\0';
		fclose(f);
		p = strrchr(st, ')');
		if (p && p[1] == ' ' && p[2] == 'Z')
			return 0;
	}
	return (pid_t)pid;
}

/* Whether the live mount at mp is committing now: a glance at its status. */
static bool committing(const char *mp)
{
	char path[PATH_MAX + 32], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/.burnfs/status", mp);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "{\"state\": \"committing\"") ||
	       strstr(buf, "{\"state\": \"cancelling\"");
}

/* Unmount the live burnfs mount mp: umount2() as root, else fusermount3. 0 or the exit code. */
static int unmount_live(const char *mp)
{
	pid_t child;
	int status = 0;

	if (geteuid() == 0) {
		if (umount2(mp, UMOUNT_NOFOLLOW) == 0)
			return 0;
		fprintf(stderr, "burnfs umount: '%s': %s\n", mp,
			errno == EBUSY ? "busy: a program has a file or its working directory in it"
				       : strerror(errno));
		return CLI_EXIT_JOB;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "burnfs umount: fork: %m\n");
		return CLI_EXIT_JOB;
	}
	if (child == 0) {
		execlp("fusermount3", "fusermount3", "-u", "--", mp, (char *)NULL);
		fprintf(stderr, "burnfs umount: cannot run fusermount3: %m\n");
		_exit(127);
	}
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return CLI_EXIT_JOB; /* fusermount3 said why */
	return 0;
}

/*
 * Wait for the daemon pid (read from pf) to exit: at most 30 s (it lets go of the drive at
 * once), or as long as the commit it finishes takes.
 */
static void wait_daemon(const char *pf, pid_t pid, bool commit)
{
	for (int i = 0; pid && (commit || i < 600) && kill(pid, 0) == 0 && mount_pid(pf) == pid;
	     i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
}

static int cmd_umount(int argc, char **argv)
{
	_cleanup_free_ char *mp = NULL, *pf = NULL;
	bool commit;
	struct stat st;
	pid_t pid;
	int r;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		umount_usage(stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "burnfs umount: %s%s%s\n(burnfs umount --help tells more)\n",
			argc < 2	    ? "no mount point given: burnfs umount MOUNTPOINT"
			: argv[1][0] == '-' ? "unknown option '"
					    : "one mount point only",
			argc >= 2 && argv[1][0] == '-' ? argv[1] : "",
			argc >= 2 && argv[1][0] == '-' ? "'" : "");
		return CLI_EXIT_USAGE;
	}
	mp = cli_abs_path(argv[1]);
	if (!mp) {
		fprintf(stderr, "burnfs umount: '%s': %m\n", argv[1]);
		return CLI_EXIT_JOB;
	}
	if (!burnfs_mounted(mp)) {
		fprintf(stderr, "burnfs umount: '%s' is not a burnfs mount (%s)\n", mp,
			stat(mp, &st) < 0 ? strerror(errno) : "not a mount point, or another kind");
		return CLI_EXIT_JOB;
	}
	pf = pid_file(mp);
	if (stat(mp, &st) < 0 && errno == ENOTCONN) {
		if (unmount_dead("umount", mp) < 0)
			return CLI_EXIT_JOB;
		fprintf(stderr,
			"burnfs umount: '%s': its daemon had stopped (killed or crashed): unmounted; "
			"mount it again (burnfs mount) and `burnfs status` tells what became of a "
			"commit that was running\n",
			mp);
		if (pf)
			(void)unlink(pf);
		return 0;
	}
	pid = pf ? mount_pid(pf) : 0;
	commit = committing(mp);
	if (commit)
		fprintf(stderr,
			"burnfs umount: a commit is running in '%s': the mount goes now, the commit "
			"runs to its end and its daemon exits then; waiting for it (Ctrl-C stops the "
			"waiting, not the burn). `burnfs status` after the next mount tells how it "
			"ended. (To stop the burn instead: `burnfs commit --cancel MOUNTPOINT` before "
			"unmounting.)\n",
			mp);
	r = unmount_live(mp);
	if (r)
		return r;
	wait_daemon(pf, pid, commit);
	if (commit)
		fprintf(stderr, "burnfs umount: the commit has ended and the daemon exited\n");
	if (pf)
		(void)unlink(pf);
	return 0;
}

int cli_mount_main(int argc, char **argv)
{
	if (strcmp(argv[0], "umount") == 0)
		return cmd_umount(argc, argv);
	return cmd_mount(argc, argv);
}
