/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drive as fuse/ and cli/ reach it (engine/drive.h), with a virtual drive as the device:
 * opening fails naming the address; a blank disc has no tracks, overwrite media none either;
 * a disc's tracks give the sessions eng_sessions_list() lists (verify --drive and burnfs
 * sessions agree); a medium read with FUA sees the disc where the drive's cache still
 * holds what was written (verify --drive reads the disc, not the cache), on write-once and
 * overwrite media; erase, eject, the trace, write speeds and the status names.
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
#include "common/tree.h"
#include "engine/burn.h"
#include "engine/disctree.h"
#include "engine/drive.h"
#include "engine/edits.h"
#include "engine/sessions.h"
#include "engine/verify.h"
#include "vdrive/vdrive.h"

static char dir[] = "/tmp/burnfs-engdrive.XXXXXX";
static char src[64];

static void put_file(const char *name, const char *text, size_t repeat)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", src, name);
	f = fopen(p, "w");
	assert_non_null(f);
	for (size_t i = 0; i < repeat; i++)
		fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(src, sizeof(src), "%s/src", dir);
	if (mkdir(src, 0755) < 0)
		return -1;
	put_file("a.txt", "one\n", 1);
	put_file("big", "0123456789abcdef", 200000); /* 3.2 MB: most of the session's blocks */
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A new virtual drive named name holding a blank medium; its address. */
static const char *new_drive(const char *name, const char *media)
{
	static char addr[128];

	snprintf(addr, sizeof(addr), "%s/%s", dir, name);
	assert_int_equal(vdrive_create(addr, media, 0), 0);
	snprintf(addr, sizeof(addr), "vdrive:%s/%s", dir, name);
	return addr;
}

static struct mmc_drive *open_new(const char *name, const char *media)
{
	struct bfs_diag diag = {0};
	struct mmc_drive *d = NULL;

	assert_int_equal(eng_drive_open(new_drive(name, media), &diag, &d), 0);
	return d;
}

/* Burn the source tree as a session of the disc in d (its own tree alone when new_tree). */
static void burn(struct mmc_drive *d, bool new_tree, struct eng_burn_result *res)
{
	struct eng_source s = {.path = src};
	struct eng_scan_opts so = {.have_epoch = true, .epoch = 1700000000};
	struct eng_burn_opts bo = {.verify = ENG_VERIFY_QUICK, .new_tree = new_tree};
	_cleanup_(bfs_node_freep) struct bfs_node *root = NULL;
	struct bfs_diag diag = {0};

	bo.image.have_epoch = true;
	bo.image.epoch = 1700000000;
	bo.image.ring_bytes = 1u << 20;
	assert_int_equal(eng_scan(&s, 1, &so, &diag, &root), 0);
	*res = (struct eng_burn_result){0};
	if (eng_burn(d, root, &bo, NULL, NULL, res, &diag) < 0)
		fail_msg("burn: %s", diag.msg);
}

static struct mmc_media probe(struct mmc_drive *d)
{
	struct bfs_diag diag = {0};
	struct mmc_media m;

	if (eng_drive_probe(d, &m, &diag) < 0)
		fail_msg("probe: %s", diag.msg);
	return m;
}

/* Addresses that name no drive fail, the message naming the address. */
static void test_open_fails(void **state)
{
	char missing[128], bad[] = "floppy:/nowhere";
	const char *addrs[] = {missing, bad};

	(void)state;
	snprintf(missing, sizeof(missing), "vdrive:%s/none", dir);
	for (size_t i = 0; i < 2; i++) {
		struct bfs_diag diag = {0};
		struct mmc_drive *d = NULL;
		int r = eng_drive_open(addrs[i], &diag, &d);

		assert_true(r < 0);
		assert_null(d);
		if (!strstr(diag.msg, addrs[i] + (i == 0 ? 7 : 0)))
			fail_msg("'%s': the message does not name it: %s", addrs[i], diag.msg);
	}
}

/* A blank disc, and overwrite media, have no tracks; the drive's directory and speeds. */
static void test_blank(void **state)
{
	_cleanup_(eng_drive_closep) struct mmc_drive *cd = open_new("blank-cd", "cd-r");
	_cleanup_(eng_drive_closep) struct mmc_drive *re = open_new("blank-re", "bd-re");
	struct mmc_drive *both[] = {cd, re};
	struct bfs_diag diag = {0};
	unsigned speeds[16];
	size_t n = 99;
	char want[128];
	struct mmc_media mcd, mre;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct mmc_media m = probe(both[i]);
		struct mmc_track dummy, *t = &dummy;

		assert_int_equal(eng_drive_tracks(both[i], &m, &t, &n, &diag), 0);
		assert_null(t);
		assert_int_equal(n, 0);
	}
	mcd = probe(cd);
	mre = probe(re);
	assert_int_equal(mcd.status, MMC_DISC_BLANK);
	assert_true(mre.overwrite);
	snprintf(want, sizeof(want), "%s/blank-cd", dir);
	assert_string_equal(eng_drive_vdrive_dir(cd), want);
	assert_int_equal(eng_drive_write_speeds(cd, speeds, 16, &n, &diag), 0);
	assert_true(n >= 2);
	assert_int_equal(eng_media_x1_kBps(&mcd), 176);
	assert_int_equal(speeds[0], 48 * 176);
	assert_int_equal(eng_media_x1_kBps(&mre), 4496);
}

/*
 * The sessions of a disc's tracks are those eng_sessions_list() finds (what burnfs sessions
 * lists and verify --drive checks), on CD-R and BD-R: two closed sessions and, on CD-R, the
 * invisible track where the next one goes.
 */
static void test_tracks_sessions(void **state)
{
	const char *media[] = {"cd-r", "bd-r"}, *name[] = {"ts-cd", "ts-bd"};

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		_cleanup_(eng_drive_closep) struct mmc_drive *d = open_new(name[k], media[k]);
		_cleanup_(eng_medium_freep) struct eng_medium *med = NULL;
		_cleanup_free_ struct mmc_track *t = NULL;
		_cleanup_free_ struct eng_session *listed = NULL, *joined = NULL;
		struct eng_burn_result r1, r2;
		struct bfs_diag diag = {0};
		struct mmc_media m;
		size_t nt = 0, nj, nl = 0;

		burn(d, false, &r1);
		burn(d, true, &r2);
		m = probe(d);
		assert_int_equal(eng_drive_tracks(d, &m, &t, &nt, &diag), 0);
		assert_true(nt >= 2);
		assert_int_equal(t[nt - 1].number, m.last_track);
		joined = calloc(nt, sizeof(*joined));
		assert_non_null(joined);
		nj = eng_sessions_of_tracks(t, nt, joined);
		assert_int_equal(nj, 2);
		assert_int_equal(joined[0].start, r1.start_lba);
		assert_int_equal(joined[1].start, r2.start_lba);
		assert_int_equal(eng_medium_of_drive(d, &m, &med, &diag), 0);
		assert_int_equal(eng_sessions_list(med, &listed, &nl, &diag), 0);
		assert_int_equal(nl, nj);
		for (size_t i = 0; i < nl; i++) {
			assert_int_equal(listed[i].number, joined[i].number);
			assert_int_equal(listed[i].start, joined[i].start);
			assert_int_equal(listed[i].length, joined[i].length);
			assert_int_equal(listed[i].open, joined[i].open);
		}
	}
}

/*
 * A block the disc lost while the drive's cache still holds it as written: a medium read
 * without FUA gets the cache's copy and the manifest's check passes; with FUA it gets the
 * disc's, and the file is found damaged. On BD-R and on DVD+RW (overwrite media, whose
 * sessions the descriptors chain).
 */
static void test_fua(void **state)
{
	const char *media[] = {"bd-r", "dvd+rw"}, *name[] = {"fua-bd", "fua-rw"};

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		_cleanup_(eng_drive_closep) struct mmc_drive *d = open_new(name[k], media[k]);
		_cleanup_(eng_medium_freep) struct eng_medium *med = NULL;
		_cleanup_free_ struct eng_session *s = NULL;
		struct eng_burn_result res;
		struct eng_verify_result vr = {0};
		struct bfs_diag diag = {0};
		struct mmc_media m;
		uint8_t cached[2048], disc[2048];
		uint64_t lost;
		size_t n = 0;
		char fault[64];

		burn(d, false, &res);
		lost = res.start_lba + res.blocks / 2; /* in /big */
		snprintf(fault, sizeof(fault), "corrupt-read@%llu", (unsigned long long)lost);
		assert_int_equal(vdrive_fault(eng_drive_vdrive_dir(d), fault), 0);
		m = probe(d);
		assert_int_equal(eng_medium_of_drive(d, &m, &med, &diag), 0);
		assert_int_equal(eng_sessions_list(med, &s, &n, &diag), 0);
		assert_int_equal(s[n - 1].start, res.start_lba);
		assert_int_equal(eng_medium_read(med, lost, 1, cached), 0);
		assert_int_equal(eng_verify_manifest(eng_medium_read, med, res.start_lba, NULL,
						     NULL, &vr, &diag),
				 0);
		eng_medium_set_fua(med, true);
		assert_int_equal(eng_medium_read(med, lost, 1, disc), 0);
		assert_int_equal(cached[100] ^ disc[100], 0x01);
		assert_int_equal(eng_verify_manifest(eng_medium_read, med, res.start_lba, NULL,
						     NULL, &vr, &diag),
				 -EBADMSG);
		assert_int_equal(vr.files_bad, 1);
	}
}

/* Burn dir's tree with the staging mount's edits e: eng_burn's return, what it said in diag. */
static int burn_edits(struct mmc_drive *d, const char *path, bool new_tree,
		      const struct eng_edits *e, struct eng_burn_result *res, struct bfs_diag *diag)
{
	struct eng_source s = {.path = path};
	struct eng_scan_opts so = {.have_epoch = true, .epoch = 1700000000};
	struct eng_burn_opts bo = {.verify = ENG_VERIFY_QUICK, .new_tree = new_tree, .edits = e};
	_cleanup_(bfs_node_freep) struct bfs_node *root = NULL;

	bo.image.have_epoch = true;
	bo.image.epoch = 1700000000;
	bo.image.ring_bytes = 1u << 20;
	assert_int_equal(eng_scan(&s, 1, &so, diag, &root), 0);
	*res = (struct eng_burn_result){0};
	return eng_burn(d, root, &bo, NULL, NULL, res, diag);
}

/* The identity of the disc in d, and whether its last session has path. */
static bool last_has(struct mmc_drive *d, const char *path, char id[static ENG_DISC_ID_MAX])
{
	_cleanup_(eng_medium_freep) struct eng_medium *med = NULL;
	_cleanup_free_ struct eng_session *s = NULL;
	struct mmc_media m = probe(d);
	struct eng_disctree *t = NULL;
	struct eng_dnode dn = {0};
	struct bfs_diag diag = {0};
	size_t n = 0;
	bool has;

	assert_int_equal(eng_medium_of_drive(d, &m, &med, &diag), 0);
	assert_int_equal(eng_disc_identity(med, id, &diag), 0);
	assert_int_equal(eng_sessions_list(med, &s, &n, &diag), 0);
	assert_int_equal(eng_disctree_open(eng_medium_read, med, s[n - 1].start,
					   s[n - 1].start + s[n - 1].length, ENG_TREE_AUTO, &diag,
					   &t),
			 0);
	has = eng_disctree_lookup(t, path, &dn) == 0;
	eng_dnode_done(&dn);
	eng_disctree_free(t);
	return has;
}

/*
 * A burn carries the staging mount's edits into the session it appends (eng_burn_opts.edits):
 * a rename without copying data, on write-once and overwrite media; edits with no tree to
 * apply to (a blank disc, --new-tree) are refused before anything is written. The disc's
 * identity names the last session: it changes with the session appended.
 */
static void test_burn_edits(void **state)
{
	const char *media[] = {"bd-r", "dvd+rw"}, *name[] = {"edits-bd", "edits-rw"};
	char staged[128], p[160];

	(void)state;
	snprintf(staged, sizeof(staged), "%s/staged", dir);
	(void)mkdir(staged, 0755);
	snprintf(p, sizeof(p), "%s/new.txt", staged);
	fclose(fopen(p, "w"));
	for (size_t k = 0; k < 2; k++) {
		_cleanup_(eng_drive_closep) struct mmc_drive *d = open_new(name[k], media[k]);
		_cleanup_(eng_edits_freep) struct eng_edits *e = NULL;
		char id1[ENG_DISC_ID_MAX], id2[ENG_DISC_ID_MAX];
		struct eng_burn_result res;
		struct bfs_diag diag = {0};

		{ /* blank: no medium to name (the caller's identity is "") */
			_cleanup_(eng_medium_freep) struct eng_medium *med = NULL;
			struct mmc_media m = probe(d);

			assert_int_equal(eng_medium_of_drive(d, &m, &med, &diag), -ENODATA);
			diag = (struct bfs_diag){0};
		}
		assert_int_equal(eng_edits_new(&e), 0);
		assert_int_equal(eng_edits_rename(e, "a.txt", "renamed.txt", "a.txt", &diag), 0);
		/* blank: the edits have nothing to apply to */
		assert_true(burn_edits(d, staged, false, e, &res, &diag) < 0);
		assert_non_null(strstr(diag.msg, "staged changes"));
		assert_false(res.wrote);
		diag = (struct bfs_diag){0};
		burn(d, false, &res); /* session 1: a.txt, big */
		assert_true(last_has(d, "/a.txt", id1));
		assert_true(burn_edits(d, staged, true, e, &res, &diag) < 0);
		assert_non_null(strstr(diag.msg, "--new-tree"));
		assert_false(res.wrote);
		diag = (struct bfs_diag){0};
		{ /* edits of another state of the disc: refused, nothing written */
			_cleanup_(eng_edits_freep) struct eng_edits *stale = NULL;

			assert_int_equal(eng_edits_new(&stale), 0);
			assert_int_equal(eng_edits_delete(stale, "gone.txt", "gone.txt", &diag), 0);
			assert_true(burn_edits(d, staged, false, stale, &res, &diag) < 0);
			assert_true(strncmp(diag.msg, "the staged changes name '/gone.txt'", 35) ==
				    0);
			assert_false(res.wrote);
			diag = (struct bfs_diag){0};
		}
		if (burn_edits(d, staged, false, e, &res, &diag) < 0)
			fail_msg("burn with edits: %s", diag.msg);
		assert_true(res.appended);
		assert_int_equal(res.append.moved, 1);
		assert_int_equal(res.append.kept, 2); /* renamed.txt and big: no data copied */
		assert_true(last_has(d, "/renamed.txt", id2));
		assert_false(last_has(d, "/a.txt", id2));
		assert_true(last_has(d, "/big", id2));
		assert_true(last_has(d, "/new.txt", id2));
		assert_string_not_equal(id1, id2);
		assert_true(strncmp(id2, "s2@", 3) == 0 || k == 1);
	}
}

/* Erase a CD-RW back to blank; a write-once CD-R refuses; eject leaves no medium. */
static void test_erase_eject(void **state)
{
	_cleanup_(eng_drive_closep) struct mmc_drive *rw = open_new("erase-rw", "cd-rw");
	_cleanup_(eng_drive_closep) struct mmc_drive *wo = open_new("erase-wo", "cd-r");
	struct eng_burn_result res;
	struct bfs_diag diag = {0};
	struct mmc_media m;

	(void)state;
	burn(rw, false, &res);
	m = probe(rw);
	assert_int_equal(m.status, MMC_DISC_APPENDABLE);
	assert_int_equal(eng_drive_erase(rw, &m, false, &diag), 0);
	assert_int_equal(probe(rw).status, MMC_DISC_BLANK);
	m = probe(wo);
	assert_true(eng_drive_erase(wo, &m, false, &diag) < 0);
	assert_non_null(strstr(diag.msg, "write-once"));
	bfs_diag_clear(&diag);
	assert_int_equal(eng_drive_eject(rw, &diag), 0);
	assert_true(eng_drive_probe(rw, &m, &diag) < 0);
	assert_true(diag.msg[0]);
}

/* The trace logs each command; the status names. */
static void test_trace_names(void **state)
{
	_cleanup_(eng_drive_closep) struct mmc_drive *d = open_new("trace", "dvd-r");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	eng_drive_set_trace(d, f);
	(void)probe(d);
	eng_drive_set_trace(d, NULL);
	fclose(f);
	assert_non_null(strstr(buf, "mmc: GET CONFIGURATION"));
	free(buf);
	assert_string_equal(eng_disc_status_name(MMC_DISC_BLANK), "blank");
	assert_string_equal(eng_disc_status_name(MMC_DISC_INCOMPLETE), "incomplete");
	assert_string_equal(eng_disc_status_name(MMC_DISC_APPENDABLE), "appendable");
	assert_string_equal(eng_disc_status_name(MMC_DISC_COMPLETE), "complete");
	assert_string_equal(eng_disc_status_name(MMC_DISC_RANDOM), "rewritable");
}

/* Lines of the trace in buf that are READ(10) commands. */
static unsigned reads_in(const char *buf)
{
	unsigned n = 0;

	for (const char *p = buf; (p = strstr(p, "mmc: READ(10)")); p++)
		n++;
	return n;
}

/*
 * A disc's small reads go through the medium's windows: a session's tree read block by
 * block (as the tree readers do, one entry at a time) costs a READ per 64 blocks, not per
 * block; reads past the recorded blocks go to the drive as asked (and fail there).
 */
static void test_read_windows(void **state)
{
	_cleanup_(eng_drive_closep) struct mmc_drive *d = open_new("windows", "bd-r");
	_cleanup_(eng_medium_freep) struct eng_medium *med = NULL;
	struct eng_burn_result res;
	struct bfs_diag diag = {0};
	struct mmc_media m;
	static uint8_t a[8 * 2048], b[2048];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	burn(d, false, &res);
	m = probe(d);
	assert_int_equal(eng_medium_of_drive(d, &m, &med, &diag), 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	eng_drive_set_trace(d, f);
	for (uint64_t lba = 0; lba < 256; lba++)
		assert_int_equal(eng_medium_read(med, lba, 1, a), 0);
	/* a read across two windows, and one the windows already hold */
	assert_int_equal(eng_medium_read(med, 60, 8, a), 0);
	assert_int_equal(eng_medium_read(med, 16, 1, a), 0);
	eng_drive_set_trace(d, NULL);
	fclose(f);
	assert_int_equal(reads_in(buf), 4);
	free(buf);
	/* what the windows give is what the drive gives */
	for (uint64_t lba = 0; lba < 256; lba += 37) {
		assert_int_equal(eng_medium_read(med, lba, 1, a), 0);
		assert_int_equal(mmc_read(d, lba, 1, b, false, &diag), 0);
		assert_memory_equal(a, b, sizeof(b));
	}
	assert_true(eng_medium_read(med, m.nwa + 10, 1, a) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_fails),	cmocka_unit_test(test_blank),
		cmocka_unit_test(test_tracks_sessions), cmocka_unit_test(test_fua),
		cmocka_unit_test(test_erase_eject),	cmocka_unit_test(test_trace_names),
		cmocka_unit_test(test_read_windows),	cmocka_unit_test(test_burn_edits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
