/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The staging mount's control plane (fuse/src/job.c) without FUSE: a plain staging
 * directory and a virtual drive. The ctl parser and its owner check, a commit that
 * succeeds (staged files removed, symlinks not followed), commits failed by drive faults
 * and by cancel (staging untouched), discard, refresh, and a daemon killed with SIGKILL in
 * the middle of a commit (the next one reports it as interrupted, with the disc's state).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test-sh.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/diag.h"
#include "job.h"
#include "vdrive/vdrive.h"

struct fixture {
	char dir[64];
	char staging[128], vd[128], state[128], drive[160], outside[128];
	unsigned changed;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/burnfs-job.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->staging, sizeof(f->staging), "%s/staging", f->dir);
	snprintf(f->vd, sizeof(f->vd), "%s/vd", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	snprintf(f->drive, sizeof(f->drive), "vdrive:%s", f->vd);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->dir);
	if (mkdir(f->staging, 0755) < 0 || mkdir(f->outside, 0755) < 0 ||
	    vdrive_create(f->vd, "bd-r", 0) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	int r;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	r = system(cmd);
	free(f);
	return r == 0 ? 0 : -1;
}

static void on_changed(void *userdata)
{
	((struct fixture *)userdata)->changed++;
}

static struct stg_job *job_open(struct fixture *f)
{
	struct stg_job_opts o = {
		.staging_dir = f->staging,
		.drive = f->drive,
		.state_dir = f->state,
		.owner = getuid(),
		.changed = on_changed,
		.userdata = f,
	};
	struct bfs_diag diag = {0};
	struct stg_job *j = NULL;
	int r = stg_job_new(&o, &diag, &j);

	if (r < 0)
		fail_msg("stg_job_new: %s", bfs_diag_msg(&diag, r));
	return j;
}

/* A staged tree: files in subdirectories, an empty directory, a symlink to a directory
 * outside the staging directory (it must be stored, never followed), a hard link. */
static void make_tree(struct fixture *f)
{
	sh("cd '%s' && mkdir -p a/b/c empty && head -c 3000000 /dev/urandom >a/b/big.bin && "
	   "echo hello >a/b/c/small.txt && echo top >top.txt && ln top.txt top-link.txt && "
	   "ln -s '%s' outside-link && echo keep-me >'%s/precious'",
	   f->staging, f->outside, f->outside);
}

/* Everything under dir with its content hash, into file out. */
static void fingerprint(const char *dir, const char *out)
{
	sh("cd '%s' && { find . -printf '%%y %%p %%l\\n' | sort; find . -type f -exec sha256sum "
	   "{} + | sort; } >'%s'",
	   dir, out);
}

/* The status as JSON (the caller puts it). */
static struct json_object *status(struct stg_job *j)
{
	char *s = stg_job_status(j);
	struct json_object *o;

	assert_non_null(s);
	assert_int_equal(s[strlen(s) - 1], '\n');
	o = json_tokener_parse(s);
	if (!o)
		fail_msg("status is not JSON: %s", s);
	free(s);
	return o;
}

static const char *jstr(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	return json_object_get_string(o);
}

/* Wait (at most 120 s) until no commit runs; returns the final state's status. */
static struct json_object *wait_done(struct stg_job *j)
{
	for (int i = 0; i < 12000; i++) {
		/* frozen read before the status: a commit that runs at the status ran then too
		 * (the state only moves on), so the two cannot disagree in between */
		bool frozen = stg_job_frozen(j);
		struct json_object *o = status(j);
		const char *st = jstr(o, "state");

		if (strcmp(st, "committing") != 0 && strcmp(st, "cancelling") != 0) {
			assert_false(stg_job_frozen(j));
			return o;
		}
		assert_true(frozen);
		json_object_put(o);
		usleep(10000);
	}
	fail_msg("the commit did not end");
	return NULL;
}

static void ctl_ok(struct stg_job *j, const char *line)
{
	struct bfs_diag diag = {0};
	int r = stg_job_ctl(j, line, getuid(), &diag);

	if (r < 0)
		fail_msg("ctl '%s': %s", line, bfs_diag_msg(&diag, r));
}

static void assert_ctl_fails(struct stg_job *j, const char *line, uid_t uid, int err,
			     const char *needle)
{
	struct bfs_diag diag = {0};
	int r = stg_job_ctl(j, line, uid, &diag);

	assert_int_equal(r, err);
	if (!strstr(bfs_diag_msg(&diag, r), needle))
		fail_msg("ctl '%s': message '%s' does not name '%s'", line, bfs_diag_msg(&diag, r),
			 needle);
}

static bool staging_empty(struct fixture *f)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "[ -d '%s' ] && [ -z \"$(ls -A '%s')\" ]", f->staging,
		 f->staging);
	return system(cmd) == 0;
}

static void test_job_ctl_parse(void **state)
{
	struct fixture *f = *state;
	struct stg_job *j = job_open(f);
	char *log;

	assert_ctl_fails(j, "frobnicate", getuid(), -EINVAL, "'frobnicate'");
	assert_ctl_fails(j, "commit verify=bogus", getuid(), -EINVAL, "'verify=bogus'");
	assert_ctl_fails(j, "commit close fast", getuid(), -EINVAL, "'fast'");
	assert_ctl_fails(j, "commit speed=0", getuid(), -EINVAL, "'speed=0'");
	assert_ctl_fails(j, "commit speed=8y", getuid(), -EINVAL, "'speed=8y'");
	assert_ctl_fails(j, "cancel now", getuid(), -EINVAL, "'now'");
	assert_ctl_fails(j, "", getuid(), -EINVAL, "empty");
	assert_ctl_fails(j, " \n", getuid(), -EINVAL, "empty");
	assert_ctl_fails(j, "commit\ncancel", getuid(), -EINVAL, "one command");
	assert_ctl_fails(j, "cancel", getuid(), -ESRCH, "no commit");
	/* nothing staged: a commit is accepted and fails, saying so */
	ctl_ok(j, "commit verify=quick speed=8x\n");
	{
		struct json_object *o = wait_done(j);

		assert_string_equal(jstr(o, "state"), "failed");
		assert_non_null(strstr(jstr(o, "last_result.message"), "empty"));
		assert_string_equal(jstr(o, "job.verify"), "quick");
		assert_string_equal(jstr(o, "job.speed"), "8x");
		json_object_put(o);
	}
	log = stg_job_log(j);
	assert_non_null(strstr(log, "'frobnicate' is not a command"));
	assert_non_null(strstr(log, "empty"));
	free(log);
	stg_job_free(j);
}

static void test_job_ctl_owner(void **state)
{
	struct fixture *f = *state;
	struct stg_job *j = job_open(f);
	char *log;

	make_tree(f);
	assert_ctl_fails(j, "commit", getuid() + 1, -EPERM, "owner");
	assert_ctl_fails(j, "discard", getuid() + 1, -EPERM, "owner");
	if (getuid() != 0)
		assert_ctl_fails(j, "commit", 0, -EPERM, "owner");
	assert_false(stg_job_frozen(j));
	log = stg_job_log(j);
	assert_non_null(strstr(log, "refused a command from uid"));
	free(log);
	stg_job_free(j);
}

static void test_job_commit(void **state)
{
	struct fixture *f = *state;
	struct stg_job *j = job_open(f);
	struct json_object *o;
	struct vdrive_info *vi = malloc(sizeof(*vi));
	struct vdrive *vd = NULL;
	uint64_t total, free_blocks;
	char *log;

	assert_non_null(vi);
	make_tree(f);
	stg_job_set_projected(j, 1234);
	stg_job_disc_space(j, &total, &free_blocks);
	assert_true(total > 1000000);
	assert_int_equal(total, free_blocks);
	/* a slow drive, so that the commit surely runs while it is checked for running */
	assert_int_equal(vdrive_fault(f->vd, "slow:1"), 0);
	ctl_ok(j, "commit");
	assert_true(stg_job_frozen(j));
	assert_ctl_fails(j, "commit", getuid(), -EBUSY, "running");
	assert_ctl_fails(j, "discard", getuid(), -EBUSY, "running");
	o = wait_done(j);
	assert_int_equal(vdrive_fault(f->vd, "clear"), 0);
	if (strcmp(jstr(o, "state"), "done") != 0)
		fail_msg("%s", json_object_to_json_string(o));
	assert_string_equal(jstr(o, "last_result.ok"), "true");
	assert_string_equal(jstr(o, "disc.status"), "appendable");
	assert_string_equal(jstr(o, "disc.sessions"), "1");
	assert_string_equal(jstr(o, "projected_blocks"), "1234");
	assert_string_equal(jstr(o, "job.files"), "4");
	assert_non_null(strstr(jstr(o, "last_result.message"), "chunks match"));
	json_object_put(o);
	assert_true(staging_empty(f));
	assert_true(f->changed >= 1);
	/* the symlink was removed, not followed */
	sh("grep -q keep-me '%s/precious'", f->outside);
	stg_job_disc_space(j, &total, &free_blocks);
	assert_true(free_blocks < total);
	log = stg_job_log(j);
	assert_non_null(strstr(log, "writing"));
	assert_non_null(strstr(log, "verifying"));
	free(log);
	/* the journal says done, and the drive is closed between jobs */
	sh("grep -qx state=done '%s/journal'", f->state);
	assert_int_equal(vdrive_open(f->vd, &vd), 0);
	vdrive_get_info(vd, vi);
	assert_int_equal(vi->nsessions, 1);
	vdrive_close(vd);
	free(vi);
	stg_job_free(j);
	/* a new daemon shows the last result */
	j = job_open(f);
	o = status(j);
	assert_string_equal(jstr(o, "state"), "done");
	assert_string_equal(jstr(o, "last_result.ok"), "true");
	json_object_put(o);
	stg_job_free(j);
}

/* A fault makes the commit fail: the staging directory stays as it was. */
static void commit_fails(struct fixture *f, const char *fault, const char *media,
			 const char *needle, const char *disc_after)
{
	char before[192], after[192];
	struct stg_job *j;
	struct json_object *o;

	sh("rm -rf '%s'", f->vd);
	assert_int_equal(vdrive_create(f->vd, media, 0), 0);
	assert_int_equal(vdrive_fault(f->vd, fault), 0);
	snprintf(before, sizeof(before), "%s/before", f->dir);
	snprintf(after, sizeof(after), "%s/after", f->dir);
	fingerprint(f->staging, before);
	j = job_open(f);
	ctl_ok(j, "commit");
	o = wait_done(j);
	if (strcmp(jstr(o, "state"), "failed") != 0 ||
	    !strstr(jstr(o, "last_result.message"), needle) || !jstr(o, "last_result.remedy") ||
	    !strstr(jstr(o, "last_result.remedy"), "staged files"))
		fail_msg("%s: %s", fault, json_object_to_json_string(o));
	print_message("%s: %s\n  remedy: %s\n", fault, jstr(o, "last_result.message"),
		      jstr(o, "last_result.remedy"));
	if (disc_after && strcmp(jstr(o, "last_result.disc_state_after.status"), disc_after) != 0)
		fail_msg("%s: disc after: %s", fault, json_object_to_json_string(o));
	json_object_put(o);
	fingerprint(f->staging, after);
	sh("cmp '%s' '%s'", before, after);
	sh("grep -qx state=failed '%s/journal'", f->state);
	stg_job_free(j);
}

static void test_job_faults(void **state)
{
	struct fixture *f = *state;

	make_tree(f);
	commit_fails(f, "write-error@600", "bd-r", "write error", "incomplete");
	commit_fails(f, "corrupt-read@900", "bd-r", "verify", "appendable");
	commit_fails(f, "remove@700", "bd-r", "no medium", "unknown");
	commit_fails(f, "opc-fail", "dvd-r", "power calibration", "blank");
	setenv("BURNFS_MMC_STUCK_SECONDS", "1", 1);
	commit_fails(f, "stuck:5b", "dvd+r", "busy", NULL);
	unsetenv("BURNFS_MMC_STUCK_SECONDS");
	{
		/* verify failures name the ranges and the files in them */
		struct stg_job *j;
		struct json_object *o, *bad;

		sh("rm -rf '%s'", f->vd);
		assert_int_equal(vdrive_create(f->vd, "bd-r", 0), 0);
		assert_int_equal(vdrive_fault(f->vd, "corrupt-read@900"), 0);
		j = job_open(f);
		ctl_ok(j, "commit");
		o = wait_done(j);
		assert_true(json_object_object_get_ex(o, "last_result", &bad));
		assert_true(json_object_object_get_ex(bad, "bad_ranges", &bad));
		assert_true(json_object_array_length(bad) >= 1);
		assert_non_null(
			strstr(jstr(json_object_array_get_idx(bad, 0), "files"), "big.bin"));
		json_object_put(o);
		stg_job_free(j);
	}
}

static void test_job_cancel(void **state)
{
	struct fixture *f = *state;
	char before[192], after[192];
	struct stg_job *j;
	struct json_object *o;

	make_tree(f);
	sh("head -c 20000000 /dev/urandom >'%s/a/more.bin'", f->staging);
	assert_int_equal(vdrive_fault(f->vd, "slow:1"), 0);
	snprintf(before, sizeof(before), "%s/before", f->dir);
	snprintf(after, sizeof(after), "%s/after", f->dir);
	fingerprint(f->staging, before);
	j = job_open(f);
	ctl_ok(j, "commit verify=none");
	for (int i = 0; i < 1000; i++) { /* until it writes */
		o = status(j);
		if (strcmp(jstr(o, "phase"), "writing") == 0 &&
		    strtoull(jstr(o, "bytes_done"), NULL, 10) > 0) {
			assert_non_null(jstr(o, "mb_per_s"));
			json_object_put(o);
			break;
		}
		json_object_put(o);
		usleep(10000);
	}
	ctl_ok(j, "cancel");
	o = status(j);
	assert_true(strcmp(jstr(o, "state"), "cancelling") == 0 ||
		    strcmp(jstr(o, "state"), "failed") == 0);
	json_object_put(o);
	o = wait_done(j);
	if (strcmp(jstr(o, "state"), "failed") != 0 ||
	    !strstr(jstr(o, "last_result.message"), "cancelled"))
		fail_msg("%s", json_object_to_json_string(o));
	assert_string_equal(jstr(o, "last_result.disc_state_after.status"), "incomplete");
	assert_non_null(strstr(jstr(o, "last_result.remedy"), "blank disc"));
	json_object_put(o);
	fingerprint(f->staging, after);
	sh("cmp '%s' '%s'", before, after);
	stg_job_free(j);
}

/* simulate: a test write that records nothing keeps the staged files; BD-R refuses it */
static void test_job_simulate(void **state)
{
	struct fixture *f = *state;
	char before[192], after[192];
	struct stg_job *j;
	struct json_object *o;
	char *log;

	make_tree(f);
	snprintf(before, sizeof(before), "%s/before", f->dir);
	snprintf(after, sizeof(after), "%s/after", f->dir);
	fingerprint(f->staging, before);
	j = job_open(f);
	ctl_ok(j, "commit simulate");
	o = wait_done(j);
	assert_string_equal(jstr(o, "state"), "failed");
	assert_non_null(strstr(jstr(o, "last_result.message"), "test writes"));
	json_object_put(o);
	stg_job_free(j);
	sh("rm -rf '%s'", f->vd);
	assert_int_equal(vdrive_create(f->vd, "dvd-r", 0), 0);
	j = job_open(f);
	ctl_ok(j, "commit simulate verify=full close");
	o = wait_done(j);
	if (strcmp(jstr(o, "state"), "done") != 0 ||
	    !strstr(jstr(o, "last_result.message"), "nothing was recorded"))
		fail_msg("%s", json_object_to_json_string(o));
	assert_string_equal(jstr(o, "disc.status"), "blank");
	assert_string_equal(jstr(o, "job.simulate"), "true");
	assert_string_equal(jstr(o, "job.close"), "true");
	json_object_put(o);
	fingerprint(f->staging, after);
	sh("cmp '%s' '%s'", before, after);
	assert_int_equal(f->changed, 0);
	/* the log keeps its newest lines within its bound */
	for (int i = 0; i < 2000; i++) {
		struct bfs_diag diag = {0};

		assert_int_equal(stg_job_ctl(j, "bogus-command-to-fill-the-log", getuid(), &diag),
				 -EINVAL);
	}
	log = stg_job_log(j);
	assert_true(strlen(log) <= 64u << 10);
	assert_true(strlen(log) > 60u << 10);
	assert_int_equal(log[strlen(log) - 1], '\n');
	assert_true(log[0] == '2' && log[4] == '-'); /* a whole line: its time stamp */
	free(log);
	stg_job_free(j);
}

#define ISOLINUX_BIN "/usr/lib/ISOLINUX/isolinux.bin"

/*
 * A commit's boot options: the grammar (a backslash escapes a path's blank, a word given
 * twice, combinations, host files that must be absolute and readable), the engine's refusal of
 * a boot file that is not in the tree (nothing written), a bootable first session whose paths
 * hold a space, and the refusal of boot options onto a disc that holds a session.
 */
static void test_job_boot(void **state)
{
	struct fixture *f = *state;
	struct stg_job *j = job_open(f);
	struct json_object *o;
	char *log;

	assert_ctl_fails(j, "commit hybrid", getuid(), -EINVAL, "needs boot-bios=");
	assert_ctl_fails(j, "commit boot-bios=/a hybrid-mbr=" ISOLINUX_BIN, getuid(), -EINVAL,
			 "needs hybrid");
	assert_ctl_fails(j, "commit boot-catalog=/boot.cat", getuid(), -EINVAL, "boot image");
	assert_ctl_fails(j, "commit boot-bios=/a boot-bios=/b", getuid(), -EINVAL, "given twice");
	assert_ctl_fails(j, "commit boot-efi=", getuid(), -EINVAL, "names no path");
	assert_ctl_fails(j, "commit boot-bios=/a\\", getuid(), -EINVAL, "backslash");
	assert_ctl_fails(j, "commit boot-replay=rescue.iso", getuid(), -EINVAL, "absolute");
	assert_ctl_fails(j, "commit boot-replay=/nonexistent/rescue.iso", getuid(), -ENOENT,
			 "/nonexistent/rescue.iso");
	assert_ctl_fails(j, "commit boot-replay=/etc/hostname boot-bios=/a", getuid(), -EINVAL,
			 "not given with");
	assert_ctl_fails(j, "commit boot-bios=/a bootbios=/b", getuid(), -EINVAL, "'bootbios=/b'");
	assert_false(stg_job_frozen(j));
	if (access(ISOLINUX_BIN, R_OK) < 0) {
		stg_job_free(j);
		skip(); /* package isolinux */
	}
	sh("mkdir -p '%s/my dir' && cp " ISOLINUX_BIN " '%s/my dir/' && echo hi >'%s/readme'",
	   f->staging, f->staging, f->staging);
	/* the escaped path reaches the engine whole, which finds no such file: nothing written */
	ctl_ok(j, "commit verify=quick boot-bios=/my\\ dir/missing.bin\n");
	o = wait_done(j);
	if (strcmp(jstr(o, "state"), "failed") != 0 ||
	    !strstr(jstr(o, "last_result.message"), "'/my dir/missing.bin': no such file") ||
	    !strstr(jstr(o, "last_result.remedy"), "boot option"))
		fail_msg("%s", json_object_to_json_string(o));
	assert_string_equal(jstr(o, "job.boot.bios"), "/my dir/missing.bin");
	assert_string_equal(jstr(o, "disc.status"), "blank");
	json_object_put(o);
	ctl_ok(j, "commit verify=quick boot-bios=/my\\ dir/isolinux.bin "
		  "boot-catalog=/my\\ dir/boot.cat\n");
	o = wait_done(j);
	if (strcmp(jstr(o, "state"), "done") != 0)
		fail_msg("%s", json_object_to_json_string(o));
	assert_string_equal(jstr(o, "job.boot.catalog"), "/my dir/boot.cat");
	assert_null(jstr(o, "job.boot.efi"));
	json_object_put(o);
	/* the journal keeps them, for a daemon that comes after an interrupted commit */
	sh("grep -qx 'boot_bios=/my dir/isolinux.bin' '%s/journal' && "
	   "grep -qx 'boot_catalog=/my dir/boot.cat' '%s/journal' && "
	   "! grep -q '^boot_efi=\\|^boot_hybrid=' '%s/journal'",
	   f->state, f->state, f->state);
	/* the El Torito boot record at block 17 of the disc: the first session booted */
	sh("dd if='%s/disc.img' bs=2048 skip=17 count=1 status=none | head -c 32 | "
	   "grep -aq 'CD001.EL TORITO SPECIFICATION'",
	   f->vd);
	/* a second session cannot boot: refused before anything starts */
	sh("echo more >'%s/more'", f->staging);
	assert_ctl_fails(j, "commit boot-bios=/my\\ dir/isolinux.bin", getuid(), -EINVAL,
			 "blank disc");
	assert_false(stg_job_frozen(j));
	log = stg_job_log(j);
	assert_non_null(
		strstr(log, "boot-bios /my dir/isolinux.bin, boot-catalog /my dir/boot.cat"));
	assert_non_null(strstr(log, "ctl: commit: boot options need a blank disc"));
	free(log);
	stg_job_free(j);
}

static void test_job_discard_refresh(void **state)
{
	struct fixture *f = *state;
	struct stg_job *j = job_open(f);
	struct json_object *o;

	make_tree(f);
	ctl_ok(j, "discard");
	assert_true(staging_empty(f));
	sh("grep -q keep-me '%s/precious'", f->outside);
	assert_int_equal(f->changed, 1);
	/* a new disc is loaded behind the mount's back: refresh sees it */
	sh("rm -rf '%s'", f->vd);
	assert_int_equal(vdrive_create(f->vd, "dvd+rw", 0), 0);
	ctl_ok(j, "refresh");
	o = status(j);
	assert_string_equal(jstr(o, "disc.profile"), "DVD+RW");
	json_object_put(o);
	/* a drive that cannot be opened: refresh fails naming it */
	sh("rm -rf '%s'", f->vd);
	assert_ctl_fails(j, "refresh", getuid(), -ENOENT, f->vd);
	stg_job_free(j);
}

/*
 * The daemon killed with SIGKILL in the middle of a commit: the staged files are intact,
 * the next daemon reports the interrupted job with the disc's state and a remedy, and a
 * commit onto a fresh blank disc succeeds.
 */
static void test_job_crash(void **state)
{
	struct fixture *f = *state;
	char before[192], after[192];
	struct stg_job *j;
	struct json_object *o;
	pid_t pid;
	int st;

	make_tree(f);
	sh("head -c 30000000 /dev/urandom >'%s/a/more.bin'", f->staging);
	assert_int_equal(vdrive_fault(f->vd, "slow:1"), 0);
	snprintf(before, sizeof(before), "%s/before", f->dir);
	snprintf(after, sizeof(after), "%s/after", f->dir);
	fingerprint(f->staging, before);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct bfs_diag diag = {0};

		/* the drive records its next writable address every 4 MiB (default 64) */
		setenv("BURNFS_VDRIVE_COMMIT_BLOCKS", "2048", 1);
		j = job_open(f);
		if (stg_job_ctl(j, "commit", getuid(), &diag) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	/* killed once the journal says started and data is being written */
	for (int i = 0; i < 3000; i++) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "grep -qx state=started '%s/journal' 2>/dev/null",
			 f->state);
		if (system(cmd) == 0)
			break;
		usleep(10000);
	}
	usleep(1500000);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	fingerprint(f->staging, after);
	sh("cmp '%s' '%s'", before, after);

	j = job_open(f);
	o = status(j);
	if (strcmp(jstr(o, "state"), "interrupted") != 0 ||
	    !strstr(jstr(o, "last_result.message"), "interrupted") ||
	    !strstr(jstr(o, "last_result.remedy"), "blank disc"))
		fail_msg("%s", json_object_to_json_string(o));
	assert_string_equal(jstr(o, "disc.status"), "incomplete");
	assert_string_equal(jstr(o, "last_result.disc_state_after.status"), "incomplete");
	json_object_put(o);
	/* a commit onto this disc is refused by the engine; onto a fresh blank one it works */
	ctl_ok(j, "commit verify=quick");
	o = wait_done(j);
	assert_string_equal(jstr(o, "state"), "failed");
	assert_non_null(strstr(jstr(o, "last_result.message"), "incomplete"));
	json_object_put(o);
	fingerprint(f->staging, after);
	sh("cmp '%s' '%s'", before, after);
	stg_job_free(j);
	/* the interrupted state survives one more restart before the retry */
	sh("rm -rf '%s'", f->vd);
	assert_int_equal(vdrive_create(f->vd, "bd-r", 0), 0);
	j = job_open(f);
	ctl_ok(j, "commit verify=full");
	o = wait_done(j);
	if (strcmp(jstr(o, "state"), "done") != 0)
		fail_msg("%s", json_object_to_json_string(o));
	json_object_put(o);
	assert_true(staging_empty(f));
	stg_job_free(j);
}

static void test_job_interrupted_journal(void **state)
{
	struct fixture *f = *state;
	struct stg_job *j;
	struct json_object *o;
	FILE *jf;

	/* a hand-written journal of a commit that started on the blank disc: nothing written */
	assert_int_equal(mkdir(f->state, 0700), 0);
	{
		char p[192];

		snprintf(p, sizeof(p), "%s/journal", f->state);
		jf = fopen(p, "w");
		assert_non_null(jf);
		fprintf(jf, "burnfs-journal 1\nstate=started\njob=7\nstarted=1700000000\n"
			    "files=3\nbytes=4096\nbefore_known=1\nbefore_status=0\n"
			    "before_nwa=0\nbefore_sessions=0\nmessage=x\\ny\n");
		fclose(jf);
	}
	j = job_open(f);
	o = status(j);
	assert_string_equal(jstr(o, "state"), "interrupted");
	assert_string_equal(jstr(o, "job.id"), "7");
	assert_non_null(strstr(jstr(o, "last_result.message"), "2023-11-14 22:13:20 UTC"));
	assert_non_null(strstr(jstr(o, "last_result.remedy"), "nothing was recorded"));
	assert_null(jstr(o, "job.boot.bios"));
	json_object_put(o);
	stg_job_free(j);
	/* recorded as interrupted: a third daemon says the same */
	sh("grep -qx state=interrupted '%s/journal'", f->state);
	j = job_open(f);
	o = status(j);
	assert_string_equal(jstr(o, "state"), "interrupted");
	json_object_put(o);
	stg_job_free(j);
	/* a bootable commit's options come back: status, message, remedy */
	sh("printf 'burnfs-journal 1\\nstate=started\\njob=8\\nstarted=1700000000\\n"
	   "boot_bios=/iso linux/isolinux.bin\\nboot_hybrid=1\\nbefore_known=1\\n' >'%s/journal'",
	   f->state);
	j = job_open(f);
	o = status(j);
	assert_string_equal(jstr(o, "state"), "interrupted");
	assert_string_equal(jstr(o, "job.boot.bios"), "/iso linux/isolinux.bin");
	assert_string_equal(jstr(o, "job.boot.hybrid"), "true");
	assert_non_null(
		strstr(jstr(o, "last_result.message"), "boot-bios /iso linux/isolinux.bin"));
	assert_non_null(strstr(jstr(o, "last_result.remedy"), "same boot options again"));
	json_object_put(o);
	stg_job_free(j);
	/* the journal rewritten as interrupted keeps them too */
	sh("grep -qx 'boot_bios=/iso linux/isolinux.bin' '%s/journal' && "
	   "grep -qx boot_hybrid=1 '%s/journal'",
	   f->state, f->state);
	/* garbage is ignored with a note */
	sh("echo garbage >'%s/journal'", f->state);
	j = job_open(f);
	o = status(j);
	assert_string_equal(jstr(o, "state"), "idle");
	json_object_put(o);
	{
		char *log = stg_job_log(j);

		assert_non_null(strstr(log, "not a burnfs journal"));
		free(log);
	}
	stg_job_free(j);
}

static void test_job_bad_drive(void **state)
{
	struct fixture *f = *state;
	struct stg_job_opts o = {.staging_dir = f->staging,
				 .drive = "vdrive:/nonexistent/burnfs",
				 .state_dir = f->state};
	struct bfs_diag diag = {0};
	struct stg_job *j = NULL;

	assert_true(stg_job_new(&o, &diag, &j) < 0);
	assert_null(j);
	assert_non_null(strstr(bfs_diag_msg(&diag, -1), "vdrive:/nonexistent/burnfs"));
	o.drive = f->drive;
	o.state_dir = "relative";
	assert_int_equal(stg_job_new(&o, &diag, &j), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_job_ctl_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_ctl_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_simulate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_boot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_discard_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_interrupted_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_bad_drive, setup, teardown),
	};

	return cmocka_run_group_tests_name("job", tests, NULL, NULL);
}
