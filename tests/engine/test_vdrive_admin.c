/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A virtual drive administered through the engine (engine/vdrive-admin.h): the media and
 * capacity texts from the drive's own tables; create, info, import, export and import
 * again (the exported image is the recorded disc, sparse, byte for byte); the tray; a new
 * blank disc with the old one on the shelf; and the failures, each with its message and
 * remedy: a directory that is a drive already or holds something else, an unknown medium,
 * no drive there, a drive in use, a disc that is not blank, a fault that is none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/diag.h"
#include "engine/vdrive-admin.h"

#define IMG_BLOCKS 2400u

static char root[] = "/tmp/burnfs-test-vdrive-admin.XXXXXX";

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
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* The whole file at path (its size in *n). */
static uint8_t *slurp(const char *path, size_t *n)
{
	struct stat st;
	uint8_t *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*n = (size_t)st.st_size;
	b = malloc(*n ? *n : 1);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, *n, 0), (ssize_t)*n);
	close(fd);
	return b;
}

/* Files of root that an export left: "NAME.burnfs-XXXXXX" */
static unsigned temporaries(void)
{
	DIR *d = opendir(root);
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strstr(e->d_name, ".burnfs-") != NULL;
	closedir(d);
	return n;
}

static void test_media_texts(void **state)
{
	uint64_t lo, hi;

	(void)state;
	assert_string_equal(eng_vdrive_media_list(),
			    "cd-r cd-rw dvd-r dvd-rw dvd+r dvd+r-dl dvd+rw dvd-ram bd-r bd-re");
	assert_string_equal(eng_vdrive_capacity_summary(),
			    "at least 1024, at most 449849 on CD, 16580608 on DVD, 4294967295 on "
			    "BD");
	assert_true(eng_vdrive_media_known("dvd+r-dl"));
	assert_true(eng_vdrive_media_known("bd-re"));
	assert_false(eng_vdrive_media_known("bd"));
	assert_false(eng_vdrive_media_known("BD-R"));
	assert_false(eng_vdrive_media_known(""));
	assert_int_equal(eng_vdrive_capacity_range("cd-rw", &lo, &hi), 0);
	assert_int_equal(lo, 1024);
	assert_int_equal(hi, 449849);
	assert_int_equal(eng_vdrive_capacity_range("dvd+r-dl", &lo, &hi), 0);
	assert_int_equal(hi, 16580608);
	assert_int_equal(eng_vdrive_capacity_range("hd-dvd", &lo, &hi), -EINVAL);
}

/* An image with data, a run of zeros (a hole on export) and data at its end. */
static int make_image(const char *path)
{
	uint8_t b[2048];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	for (unsigned i = 0; i < IMG_BLOCKS; i++) {
		if (i >= 600 && i < 2200) /* holds a whole 1 MiB piece of the export */
			continue;
		memset(b, (int)(i % 251) + 1, sizeof(b));
		assert_int_equal(pwrite(fd, b, sizeof(b), (off_t)i * 2048), (ssize_t)sizeof(b));
	}
	return fd;
}

/* create, info, import, export, and the export imported again onto a new blank disc */
static void test_round_trip(void **state)
{
	const uint64_t starts[] = {0, 300};
	struct bfs_diag diag = {0};
	struct eng_vdrive *vd = NULL;
	struct eng_vdrive_info vi;
	uint8_t *a, *b;
	size_t na, nb;
	char *shelf = NULL;
	struct stat st;
	int fd;

	(void)state;
	assert_int_equal(eng_vdrive_create(at("d"), "dvd-r", 4096, &diag), 0);
	assert_int_equal(eng_vdrive_open(at("d"), &vd, &diag), 0);
	eng_vdrive_get_info(vd, &vi);
	assert_string_equal(vi.media, "dvd-r");
	assert_int_equal(vi.profile, 0x11);
	assert_int_equal(vi.capacity, 4096);
	assert_true(vi.loaded);
	assert_string_equal(vi.status, "blank");
	assert_int_equal(vi.nsessions, 0);
	assert_int_equal(vi.used_end, 0);

	fd = make_image(at("in.img"));
	assert_int_equal(eng_vdrive_import(vd, "in.img", fd, starts, 2, false, &diag), 0);
	close(fd);
	eng_vdrive_get_info(vd, &vi);
	assert_string_equal(vi.status, "appendable");
	assert_int_equal(vi.nsessions, 2);
	assert_int_equal(vi.ntracks, 2);
	assert_int_equal(vi.tracks[0].start, 0);
	assert_int_equal(vi.tracks[1].start, 300);
	assert_int_equal(vi.tracks[1].session, 2);
	assert_int_equal(vi.used_end, IMG_BLOCKS);

	assert_int_equal(eng_vdrive_export(vd, at("out.img"), &diag), 0);
	vd = eng_vdrive_close(vd);
	a = slurp(at("in.img"), &na);
	b = slurp(at("out.img"), &nb);
	assert_int_equal(nb, na);
	assert_memory_equal(a, b, na);
	free(b);
	/* the zero run is a hole, and no temporary file is left beside it */
	assert_int_equal(stat(at("out.img"), &st), 0);
	assert_true((uint64_t)st.st_blocks * 512 < (uint64_t)na);
	assert_int_equal(temporaries(), 0);

	/* the export onto a new blank disc, the old one on the shelf */
	assert_int_equal(eng_vdrive_load_blank(at("d"), NULL, 0, &shelf, &diag), 0);
	assert_string_equal(shelf, at("d/shelf/1"));
	free(shelf);
	assert_int_equal(eng_vdrive_open(at("d"), &vd, &diag), 0);
	eng_vdrive_get_info(vd, &vi);
	assert_string_equal(vi.status, "blank");
	assert_int_equal(vi.capacity, 4096);
	fd = open(at("out.img"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(eng_vdrive_import(vd, "out.img", fd, starts, 1, true, &diag), 0);
	close(fd);
	eng_vdrive_get_info(vd, &vi);
	assert_string_equal(vi.status, "complete");
	assert_int_equal(vi.nsessions, 1);
	assert_int_equal(eng_vdrive_export(vd, at("again.img"), &diag), 0);
	vd = eng_vdrive_close(vd);
	b = slurp(at("again.img"), &nb);
	assert_int_equal(nb, na);
	assert_memory_equal(a, b, na);
	free(a);
	free(b);
}

/* The tray: eject and load, seen in info. */
static void test_tray(void **state)
{
	struct bfs_diag diag = {0};
	struct eng_vdrive *vd = NULL;
	struct eng_vdrive_info vi;

	(void)state;
	assert_int_equal(eng_vdrive_create(at("t"), "bd-re", 0, &diag), 0);
	assert_int_equal(eng_vdrive_open(at("t"), &vd, &diag), 0);
	assert_int_equal(eng_vdrive_set_loaded(vd, false, &diag), 0);
	eng_vdrive_get_info(vd, &vi);
	assert_false(vi.loaded);
	assert_int_equal(eng_vdrive_set_loaded(vd, true, &diag), 0);
	eng_vdrive_get_info(vd, &vi);
	assert_true(vi.loaded);
	assert_string_equal(vi.media, "bd-re");
	vd = eng_vdrive_close(vd);
}

static void expect(struct bfs_diag *diag, int r, int err, const char *want)
{
	assert_int_equal(r, err);
	assert_string_equal(diag->msg, want);
	bfs_diag_clear(diag);
}

/* Creating where it cannot be done: nothing there is changed, and the message says why. */
static void test_create_errors(void **state)
{
	struct bfs_diag diag = {0};
	char want[2048];
	FILE *f;

	(void)state;
	assert_int_equal(eng_vdrive_create(at("c"), "cd-r", 0, &diag), 0);
	snprintf(want, sizeof(want),
		 "'%s' is already a virtual drive (nothing was changed)\nremedy: use it as "
		 "--drive vdrive:%s, or load a blank disc into it with `burnfs vdrive load '%s' "
		 "--blank`",
		 at("c"), at("c"), at("c"));
	expect(&diag, eng_vdrive_create(at("c"), "cd-r", 0, &diag), -EEXIST, want);
	/* another medium does not make it another case */
	expect(&diag, eng_vdrive_create(at("c"), "bd-r", 0, &diag), -EEXIST, want);

	assert_int_equal(mkdir(at("busy"), 0755), 0);
	f = fopen(at("busy/notes"), "w");
	assert_non_null(f);
	fclose(f);
	snprintf(want, sizeof(want),
		 "'%s' is not empty and holds no virtual drive: nothing was changed\n"
		 "remedy: a drive needs a new or empty directory",
		 at("busy"));
	expect(&diag, eng_vdrive_create(at("busy"), "cd-r", 0, &diag), -ENOTEMPTY, want);
	assert_int_equal(access(at("busy/notes"), F_OK), 0);
	assert_int_equal(access(at("busy/state"), F_OK), -1);

	expect(&diag, eng_vdrive_create(at("m"), "dvd-x", 0, &diag), -EINVAL,
	       "'dvd-x' is not a medium (cd-r cd-rw dvd-r dvd-rw dvd+r dvd+r-dl dvd+rw dvd-ram "
	       "bd-r bd-re)");
	assert_int_equal(access(at("m"), F_OK), -1);
	snprintf(want, sizeof(want), "'%s': %s", at("r"), strerror(ERANGE));
	expect(&diag, eng_vdrive_create(at("r"), "cd-r", 449850, &diag), -ERANGE, want);
}

/* No drive there, in use, not blank, no fault: each said with the remedy. */
static void test_use_errors(void **state)
{
	struct bfs_diag diag = {0};
	struct eng_vdrive *vd = NULL, *vd2 = NULL;
	const uint64_t start0 = 0;
	char want[2048], *shelf = NULL;
	int fd;

	(void)state;
	snprintf(want, sizeof(want),
		 "'%s': no virtual drive there\nremedy: create one with `burnfs vdrive create "
		 "--media NAME '%s'`",
		 at("nothing"), at("nothing"));
	expect(&diag, eng_vdrive_open(at("nothing"), &vd, &diag), -ENOENT, want);
	assert_null(vd);
	expect(&diag, eng_vdrive_fault(at("nothing"), "opc-fail", &diag), -ENOENT, want);
	expect(&diag, eng_vdrive_load_blank(at("nothing"), NULL, 0, &shelf, &diag), -ENOENT, want);

	assert_int_equal(eng_vdrive_create(at("u"), "dvd+r", 0, &diag), 0);
	assert_int_equal(eng_vdrive_open(at("u"), &vd, &diag), 0);
	snprintf(want, sizeof(want), "'%s': the drive is in use by another process", at("u"));
	expect(&diag, eng_vdrive_open(at("u"), &vd2, &diag), -EBUSY, want);
	expect(&diag, eng_vdrive_load_blank(at("u"), NULL, 0, &shelf, &diag), -EBUSY, want);

	/* a disc that is not blank takes no image */
	fd = make_image(at("x.img"));
	assert_int_equal(eng_vdrive_import(vd, "x.img", fd, &start0, 1, false, &diag), 0);
	snprintf(want, sizeof(want),
		 "'x.img' into '%s': the disc is not blank\nremedy: load a blank disc first with "
		 "`burnfs vdrive load '%s' --blank` (the disc is kept on the shelf)",
		 at("u"), at("u"));
	expect(&diag, eng_vdrive_import(vd, "x.img", fd, &start0, 1, false, &diag), -ENOTEMPTY,
	       want);
	close(fd);
	vd = eng_vdrive_close(vd);

	for (const char *const *s = (const char *const[]){"opc-fail:1", "slow:65", "boom", NULL};
	     *s; s++) {
		snprintf(want, sizeof(want),
			 "'%s' is not a fault (write-error@LBA, corrupt-read@LBA, remove@LBA, "
			 "opc-fail, stuck:OPCODE, slow:FACTOR with FACTOR 1-64, clear)",
			 *s);
		expect(&diag, eng_vdrive_fault(at("u"), *s, &diag), -EINVAL, want);
	}
	assert_int_equal(eng_vdrive_fault(at("u"), "slow:64", &diag), 0);
	assert_int_equal(eng_vdrive_fault(at("u"), "clear", &diag), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_media_texts), cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tray),	    cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_use_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
