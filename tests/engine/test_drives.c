/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drives of the machine and the default drive (engine/drives.h), over fake sysfs trees
 * without udev: no optical drive (the default virtual drive: missing, made, there), one
 * (chosen), two (the user must choose); the default virtual drive's place from
 * $XDG_STATE_HOME (absolute only) or ~/.local/state; one that cannot be made; the medium
 * of a virtual drive probed, and a probe that fails (no drive there, no medium).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/diag.h"
#include "engine/drives.h"
#include "engine/vdrive-admin.h"

static char root[] = "/tmp/burnfs-test-drives.XXXXXX";

/* root/rel with text in it (NULL: the directory only), its parents made */
static void put(const char *rel, const char *text)
{
	char p[512], cmd[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (text)
		snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	else
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
	if (!text)
		return;
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *at(const char *rel)
{
	static char p[4][512];
	static unsigned k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", root, rel);
	return p[k];
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	setenv("HOME", at("home"), 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_default_dir(void **state)
{
	char *d;

	(void)state;
	setenv("XDG_STATE_HOME", "/somewhere/state", 1);
	d = eng_default_vdrive_dir();
	assert_string_equal(d, "/somewhere/state/burnfs/vdrive");
	free(d);
	/* a relative $XDG_STATE_HOME does not count (XDG spec), nor an empty one */
	setenv("XDG_STATE_HOME", "rel/state", 1);
	d = eng_default_vdrive_dir();
	assert_string_equal(d, at("home/.local/state/burnfs/vdrive"));
	free(d);
	setenv("XDG_STATE_HOME", "", 1);
	d = eng_default_vdrive_dir();
	assert_string_equal(d, at("home/.local/state/burnfs/vdrive"));
	free(d);
}

/* No optical drive: the default virtual drive, said missing, then made, then used. */
static void test_default_no_optical(void **state)
{
	struct eng_default_drive d;
	struct bfs_diag diag = {0};
	char want[1200], addr[600];
	struct eng_vdrive *vd = NULL;
	struct eng_vdrive_info vi;

	(void)state;
	put("sys-none", NULL);
	setenv("XDG_STATE_HOME", at("state"), 1);
	snprintf(addr, sizeof(addr), "vdrive:%s", at("state/burnfs/vdrive"));
	assert_int_equal(eng_default_drive(at("sys-none"), false, &d, &diag), -ENOENT);
	assert_null(d.addr);
	assert_string_equal(d.vdrive_dir, at("state/burnfs/vdrive"));
	snprintf(want, sizeof(want),
		 "no drive given, no optical drive found, and the default virtual drive '%s' "
		 "does not exist\nremedy: create it with `burnfs vdrive create --media bd-r %s` "
		 "(burnfs mount creates it too), or give --drive D",
		 d.vdrive_dir, d.vdrive_dir);
	assert_string_equal(diag.msg, want);
	eng_default_drive_done(&d);

	/* made with its parents, a blank BD-R */
	bfs_diag_clear(&diag);
	assert_int_equal(eng_default_drive(at("sys-none"), true, &d, &diag), 0);
	assert_string_equal(d.addr, addr);
	assert_true(d.created);
	assert_int_equal(d.drives.n, 0);
	assert_int_equal(eng_vdrive_open(d.vdrive_dir, &vd, &diag), 0);
	eng_vdrive_get_info(vd, &vi);
	assert_string_equal(vi.media, ENG_DEFAULT_VDRIVE_MEDIA);
	assert_string_equal(vi.status, "blank");
	vd = eng_vdrive_close(vd);
	eng_default_drive_done(&d);

	/* there now: used, not made again, with and without create */
	for (int create = 0; create < 2; create++) {
		assert_int_equal(eng_default_drive(at("sys-none"), create, &d, &diag), 0);
		assert_string_equal(d.addr, addr);
		assert_false(d.created);
		eng_default_drive_done(&d);
	}
	/* a sysfs that is not there at all finds no drive either */
	assert_int_equal(eng_default_drive(at("sys-missing"), false, &d, &diag), 0);
	assert_string_equal(d.addr, addr);
	eng_default_drive_done(&d);
}

/* One optical drive is chosen; two are listed for the user to choose from. */
static void test_default_optical(void **state)
{
	struct eng_default_drive d;
	struct bfs_diag diag = {0};
	struct eng_drive_list l;

	(void)state;
	setenv("XDG_STATE_HOME", at("state-unused"), 1);
	put("sys-one/class/block/sr0/device/type", "5\n");
	put("sys-one/class/block/sr0/device/vendor", "HL-DT-ST\n");
	put("sys-one/class/block/sda/device/type", "0\n"); /* a disk, not a drive */
	assert_int_equal(eng_drives_find(at("sys-one"), &l, &diag), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].path, "/dev/sr0");
	assert_string_equal(l.v[0].vendor, "HL-DT-ST");
	assert_false(l.v[0].from_udev);
	eng_drive_list_free(&l);
	assert_int_equal(eng_default_drive(at("sys-one"), true, &d, &diag), 0);
	assert_string_equal(d.addr, "/dev/sr0");
	assert_null(d.vdrive_dir);
	assert_false(d.created);
	eng_default_drive_done(&d);
	/* nothing was made for the virtual drive */
	assert_int_equal(access(at("state-unused"), F_OK), -1);

	put("sys-two/class/block/sr1/device/type", "5\n");
	put("sys-two/class/scsi_generic/sg3/device/type", "5\n"); /* no sr bound */
	for (int create = 0; create < 2; create++) {
		bfs_diag_clear(&diag);
		assert_int_equal(eng_default_drive(at("sys-two"), create, &d, &diag), -EINVAL);
		assert_null(d.addr);
		assert_int_equal(d.drives.n, 2);
		assert_string_equal(diag.msg,
				    "no drive given, and there are 2 optical drives: /dev/sr1, "
				    "/dev/sg3\nremedy: choose one with --drive");
		eng_default_drive_done(&d);
	}
	assert_int_equal(access(at("state-unused"), F_OK), -1);
}

/* A default virtual drive that cannot be made: each reason said with the place. */
static void test_default_cannot_create(void **state)
{
	struct eng_default_drive d;
	struct bfs_diag diag = {0};
	char want[1200];

	(void)state;
	put("sys-empty", NULL);
	/* the state directory's parent is a regular file */
	put("file", "x");
	setenv("XDG_STATE_HOME", at("file/state"), 1);
	assert_int_equal(eng_default_drive(at("sys-empty"), true, &d, &diag), -ENOTDIR);
	snprintf(want, sizeof(want), "cannot create the virtual drive '%s': %s",
		 at("file/state/burnfs/vdrive"), strerror(ENOTDIR));
	assert_string_equal(diag.msg, want);
	assert_null(d.addr);
	eng_default_drive_done(&d);
	/* the place holds something else: left as it is */
	bfs_diag_clear(&diag);
	put("other/burnfs/vdrive/keep", "mine");
	setenv("XDG_STATE_HOME", at("other"), 1);
	assert_int_equal(eng_default_drive(at("sys-empty"), true, &d, &diag), -ENOTEMPTY);
	snprintf(want, sizeof(want), "cannot create the virtual drive '%s': %s",
		 at("other/burnfs/vdrive"), strerror(ENOTEMPTY));
	assert_string_equal(diag.msg, want);
	assert_int_equal(access(at("other/burnfs/vdrive/keep"), F_OK), 0);
	eng_default_drive_done(&d);
}

/* What a virtual drive holds, as drives shows it; probes that fail say why. */
static void test_medium_probe(void **state)
{
	struct eng_drive_medium m;
	struct bfs_diag diag = {0};
	struct eng_vdrive *vd = NULL;
	char addr[600];

	(void)state;
	assert_int_equal(eng_vdrive_create(at("dvd"), "dvd+r", 0, &diag), 0);
	snprintf(addr, sizeof(addr), "vdrive:%s", at("dvd"));
	assert_int_equal(eng_drive_medium_probe(addr, &m, &diag), 0);
	assert_int_equal(m.profile, 0x1B);
	assert_string_equal(m.profile_name, "DVD+R");
	assert_string_equal(m.status, "blank");
	assert_int_equal(m.sessions, 0);
	assert_false(m.erasable);
	assert_true(m.writable);
	assert_int_equal(m.capacity, 2295104);
	assert_int_equal(m.free_blocks, 2295104);

	/* tray open: no medium */
	assert_int_equal(eng_vdrive_open(at("dvd"), &vd, &diag), 0);
	assert_int_equal(eng_vdrive_set_loaded(vd, false, &diag), 0);
	vd = eng_vdrive_close(vd);
	assert_int_equal(eng_drive_medium_probe(addr, &m, &diag), -ENOMEDIUM);
	/* no drive there, and an address that is none */
	bfs_diag_clear(&diag);
	snprintf(addr, sizeof(addr), "vdrive:%s", at("none"));
	assert_int_equal(eng_drive_medium_probe(addr, &m, &diag), -ENOENT);
	assert_non_null(strstr(diag.msg, at("none")));
	bfs_diag_clear(&diag);
	assert_int_equal(eng_drive_medium_probe("nodrive", &m, &diag), -EINVAL);
	assert_non_null(strstr(diag.msg, "'nodrive': not a drive address"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_dir),
		cmocka_unit_test(test_default_no_optical),
		cmocka_unit_test(test_default_optical),
		cmocka_unit_test(test_default_cannot_create),
		cmocka_unit_test(test_medium_probe),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
