/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The merge of an append (engine/append.h), over a disc held in memory: session 1 is made
 * by the engine from a directory, session 2 from another one merged with it. The merged
 * tree keeps session 1's files at their addresses (BFS_NODE_PRIOR) with the manifest's
 * hashes, leaves the old manifest out, lets a new file replace an old one (a warning), and
 * starts the UDF partition where session 1's did; session 2, read back through the disc
 * tree, holds every file with its bytes, and its UDF volume points at session 1's file
 * entries for the files kept. Without a manifest the kept files are hashed from
 * the disc; a disc that cannot be read fails the merge naming --new-tree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/tree.h"
#include "engine/append.h"
#include "engine/disctree.h"
#include "engine/edits.h"
#include "engine/image.h"
#include "engine/sessions.h"
#include "edits-ref.h"
#include "udf/reader.h"

#define DISC_BLOCKS 16384u /* 32 MiB */

static char dir1[] = "/tmp/burnfs-append1.XXXXXX";
static char dir2[] = "/tmp/burnfs-append2.XXXXXX";
static char dir3[] = "/tmp/burnfs-append3.XXXXXX"; /* the disc the edits change */
static char dir4[] = "/tmp/burnfs-append4.XXXXXX"; /* what is staged beside them */
static char dir5[] =
	"/tmp/burnfs-append5.XXXXXX"; /* edits-ref.h's disc: each file holds its path */
static uint8_t *disc;
static bool disc_broken;

static void put_file(const char *dir, const char *name, const char *text, size_t repeat)
{
	char p[1100];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	for (size_t i = 0; i < repeat; i++)
		fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char d[600];

	(void)state;
	if (!mkdtemp(dir1) || !mkdtemp(dir2) || !mkdtemp(dir3) || !mkdtemp(dir4) || !mkdtemp(dir5))
		return -1;
	for (size_t i = 0; i < sizeof(disc_paths) / sizeof(*disc_paths); i++) {
		snprintf(d, sizeof(d), "%s/%s", dir5, disc_paths[i]);
		if (disc_is_dir(disc_paths[i]))
			mkdir(d, 0755);
		else
			put_file(dir5, disc_paths[i], disc_paths[i], 1);
	}
	for (size_t i = 0; i < 2; i++) {
		static const char *const dirs[] = {"d", "gone"};

		snprintf(d, sizeof(d), "%s/%s", dir3, dirs[i]);
		mkdir(d, 0755);
	}
	put_file(dir3, "keep.txt", "keep\n", 1);
	put_file(dir3, "mv.txt", "moved\n", 100);
	put_file(dir3, "del.txt", "deleted\n", 1);
	put_file(dir3, "ln.txt", "linked\n", 10);
	put_file(dir3, "attr.txt", "attr\n", 1);
	put_file(dir3, "d/a", "da\n", 1);
	put_file(dir3, "d/b", "db\n", 1);
	put_file(dir3, "gone/x", "gx\n", 1);
	put_file(dir3, "gone/out", "gone-out\n", 1);
	put_file(dir3, "hl1", "hard\n", 3); /* one file, two names on the disc */
	{
		char a[600], b[600];

		snprintf(a, sizeof(a), "%s/hl1", dir3);
		snprintf(b, sizeof(b), "%s/hl2", dir3);
		if (link(a, b) < 0)
			return -1;
	}
	snprintf(d, sizeof(d), "%s/s", dir4);
	mkdir(d, 0755);
	snprintf(d, sizeof(d), "%s/e", dir4);
	mkdir(d, 0755);
	put_file(dir4, "s/new", "new\n", 1);
	put_file(dir4, "e/staged", "staged\n", 1);
	snprintf(d, sizeof(d), "%s/sub", dir1);
	mkdir(d, 0755);
	put_file(dir1, "a.txt", "one\n", 1);
	put_file(dir1, "big", "0123456789abcdef", 200000); /* 3.2 MB, several chunks */
	put_file(dir1, "sub/x", "x1\n", 1);
	snprintf(d, sizeof(d), "%s/sub", dir2);
	mkdir(d, 0755);
	put_file(dir2, "a.txt", "replaced\n", 1);
	put_file(dir2, "sub/y", "y2\n", 1);
	put_file(dir2, "new", "new\n", 1000);
	disc = calloc(DISC_BLOCKS, 2048);
	return disc ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s' '%s' '%s'", dir1, dir2, dir3, dir4, dir5);
	free(disc);
	return system(cmd);
}

static int disc_read(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf)
{
	(void)userdata;
	if (disc_broken)
		return -EIO;
	if (lba + n > DISC_BLOCKS)
		return -ENXIO;
	memcpy(buf, disc + lba * 2048, (size_t)n * 2048);
	return 0;
}

static struct bfs_node *scan(const char *dir)
{
	struct eng_source src = {.path = dir};
	struct eng_scan_opts so = {.have_epoch = true, .epoch = 1700000000};
	struct bfs_diag diag = {0};
	struct bfs_node *root = NULL;

	assert_int_equal(eng_scan(&src, 1, &so, &diag, &root), 0);
	return root;
}

/* Stream an image of root into the disc at io's start; its length in blocks. */
static uint64_t burn(struct bfs_node *root, struct eng_image_opts *io)
{
	struct bfs_diag diag = {0};
	struct eng_image *img = NULL;
	struct eng_image_info info;
	uint64_t at;
	ssize_t n;

	io->media = ENG_MEDIA_DVD;
	io->have_epoch = true;
	io->epoch = 1700000000;
	io->ring_bytes = 1u << 20;
	assert_int_equal(eng_image_new(io, root, &diag, &img), 0);
	eng_image_info(img, &info);
	assert_true(info.start_lba + info.blocks <= DISC_BLOCKS);
	assert_int_equal(eng_stream_start(img), 0);
	at = info.start_lba;
	while ((n = eng_stream_read(img, disc + at * 2048, 256)) > 0)
		at += (uint64_t)n;
	assert_int_equal(n, 0);
	eng_image_free(img);
	return info.blocks;
}

static void sha256(const void *p, size_t len, uint8_t out[32])
{
	unsigned l = 32;

	assert_int_equal(EVP_Digest(p, len, out, &l, EVP_sha256(), NULL), 1);
}

/* Bytes of path in the session at start, read back through the disc tree. */
static size_t read_back(uint64_t start, uint64_t end, const char *path, uint8_t *buf, size_t cap)
{
	struct bfs_diag diag = {0};
	struct eng_disctree *t = NULL;
	struct eng_dnode d = {0};
	int64_t n;

	assert_int_equal(eng_disctree_open(disc_read, NULL, start, end, ENG_TREE_AUTO, &diag, &t),
			 0);
	assert_int_equal(eng_disctree_fs(t), ENG_TREE_UDF);
	assert_int_equal(eng_disctree_lookup(t, path, &d), 0);
	n = eng_disctree_pread(t, &d, 0, buf, cap);
	assert_true(n >= 0);
	eng_dnode_done(&d);
	eng_disctree_free(t);
	return (size_t)n;
}

/* The absolute block of path's file entry in the session at start (partition at 257). */
static uint64_t entry_block(uint64_t start, uint64_t end, const char *path)
{
	struct bfs_diag diag = {0};
	struct eng_disctree *t = NULL;
	struct eng_dnode d = {0};
	uint64_t b;

	assert_int_equal(eng_disctree_open(disc_read, NULL, start, end, ENG_TREE_AUTO, &diag, &t),
			 0);
	assert_int_equal(eng_disctree_lookup(t, path, &d), 0);
	assert_non_null(d.udf);
	b = 257 + d.udf->icb_lbn;
	eng_dnode_done(&d);
	eng_disctree_free(t);
	return b;
}

static struct bfs_node *child(struct bfs_node *dir, const char *name)
{
	return bfs_node_find_child(dir, name, strlen(name));
}

static void test_merge(void **state, bool manifest)
{
	struct bfs_node *r1 = scan(dir1), *r2 = scan(dir2), *n;
	struct eng_image_opts io = {.manifest = manifest};
	struct eng_session s1 = {.number = 1, .start = 0};
	struct bfs_diag diag = {0};
	struct eng_append *a = NULL;
	struct eng_append_info info;
	uint8_t want[32], buf[64];
	static uint8_t big[3200000];
	uint64_t start2;

	(void)state;
	memset(disc, 0, (size_t)DISC_BLOCKS * 2048);
	s1.length = burn(r1, &io);
	assert_int_equal(eng_append_merge(disc_read, NULL, &s1, &s1, NULL, r2, &diag, &a), 0);
	eng_append_info(a, &info);
	assert_int_equal(info.session, 1);
	assert_int_equal(info.tree, ENG_TREE_ROCKRIDGE); /* a hybrid session: its fullest tree */
	assert_int_equal(info.replaced, 1);		 /* a.txt */
	assert_true(diag.nwarnings >= 1);
	assert_int_equal(info.kept, 2); /* big, sub/x */
	assert_int_equal(info.hashed, manifest ? 0 : 2);
	assert_int_equal(info.partition_start, 257); /* session 1's UDF partition */
	assert_null(child(r2, ".burnfs"));	     /* the old manifest stays behind */
	n = child(r2, "big");
	assert_non_null(n);
	assert_true(n->flags & BFS_NODE_PRIOR);
	assert_true(n->data_lba > 0 && n->data_lba < s1.length);
	assert_false(child(r2, "a.txt")->flags & BFS_NODE_PRIOR);
	assert_false(child(r2, "new")->flags & BFS_NODE_PRIOR);
	assert_non_null(child(child(r2, "sub"), "y"));
	assert_true(child(child(r2, "sub"), "x")->flags & BFS_NODE_PRIOR);

	/* session 2 after session 1, its manifest holding the kept files' hashes */
	io = (struct eng_image_opts){.manifest = true, .start_lba = s1.length};
	eng_append_apply(a, false, &io);
	assert_non_null(io.prior_sha);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t) "0123456789abcdef"[i % 16];
	sha256(big, sizeof(big), want);
	assert_memory_equal(io.prior_sha(n, io.prior_userdata), want, 32);
	start2 = s1.length;
	{
		uint64_t len2 = burn(r2, &io);
		static uint8_t back[3200001];

		assert_int_equal(read_back(start2, start2 + len2, "/big", back, sizeof(back)),
				 sizeof(big));
		assert_memory_equal(back, big, sizeof(big));
		assert_int_equal(read_back(start2, start2 + len2, "/a.txt", buf, sizeof(buf)), 9);
		assert_memory_equal(buf, "replaced\n", 9);
		assert_int_equal(read_back(start2, start2 + len2, "/sub/x", buf, sizeof(buf)), 3);
		assert_memory_equal(buf, "x1\n", 3);
		assert_int_equal(read_back(start2, start2 + len2, "/sub/y", buf, sizeof(buf)), 3);
		/* session 2 is small: the kept data was not written again */
		assert_true(len2 < s1.length);
		/* UDF 1.02: an unchanged file keeps its entry in session 1, a new one's is in 2 */
		assert_true(entry_block(start2, start2 + len2, "/big") < s1.length);
		assert_true(entry_block(start2, start2 + len2, "/sub/x") < s1.length);
		assert_true(entry_block(start2, start2 + len2, "/new") >= start2);
	}
	eng_append_free(a);
	bfs_node_free(r1);
	bfs_node_free(r2);
}

static void test_with_manifest(void **state)
{
	test_merge(state, true);
}

static void test_without_manifest(void **state)
{
	test_merge(state, false);
}

static void test_unreadable(void **state)
{
	struct bfs_node *r1 = scan(dir1), *r2 = scan(dir2);
	struct eng_image_opts io = {.manifest = true};
	struct eng_session s1 = {.number = 1, .start = 0};
	struct bfs_diag diag = {0};
	struct eng_append *a = NULL;

	(void)state;
	s1.length = burn(r1, &io);
	disc_broken = true;
	assert_true(eng_append_merge(disc_read, NULL, &s1, &s1, NULL, r2, &diag, &a) < 0);
	disc_broken = false;
	assert_null(a);
	assert_non_null(strstr(diag.msg, "--new-tree"));
	assert_non_null(strstr(diag.msg, "session 1"));
	/* the new tree is untouched */
	assert_null(child(r2, "big"));
	bfs_node_free(r1);
	bfs_node_free(r2);
}

/* ---- the staging mount's edits applied (engine/edits.h) ------------------------------- */

static struct bfs_node *path_node(struct bfs_node *root, const char *path)
{
	char buf[200], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *c = strtok_r(buf, "/", &save); c && root; c = strtok_r(NULL, "/", &save))
		root = child(root, c);
	return root;
}

/* Session 1 of dir3 (with or without its manifest) on a cleared disc; its length. */
static uint64_t burn_dir3(bool manifest)
{
	struct bfs_node *r1 = scan(dir3);
	struct eng_image_opts io = {.manifest = manifest};
	uint64_t len;

	memset(disc, 0, (size_t)DISC_BLOCKS * 2048);
	len = burn(r1, &io);
	bfs_node_free(r1);
	return len;
}

/* The edits a user makes in the mount over dir3's session (merged paths, their origins). */
static struct eng_edits *edits_of_user(void)
{
	struct eng_edits *e = NULL;
	struct bfs_diag diag = {0};
	struct eng_attr at = {.mask = ENG_ATTR_MODE | ENG_ATTR_UID, .mode = 0600, .uid = 1234};

	assert_int_equal(eng_edits_new(&e), 0);
	assert_int_equal(eng_edits_rename(e, "mv.txt", "s/mv2.txt", "mv.txt", &diag), 0);
	assert_int_equal(eng_edits_delete(e, "del.txt", "del.txt", &diag), 0);
	assert_int_equal(eng_edits_link(e, "ln.txt", "d/ln2", &diag), 0);
	assert_int_equal(eng_edits_rename(e, "d", "e", "d", &diag), 0); /* e: staged too */
	assert_int_equal(eng_edits_set_attr(e, "attr.txt", &at, &diag), 0);
	assert_int_equal(eng_edits_rename(e, "gone/out", "out", "gone/out", &diag), 0);
	assert_int_equal(eng_edits_delete(e, "gone/x", "gone/x", &diag), 0);
	assert_int_equal(eng_edits_delete(e, "gone", "gone", &diag), 0);
	/* directories the graft merges with staged ones: the root, and d moved onto e */
	at = (struct eng_attr){.mask = ENG_ATTR_MODE, .mode = 0750};
	assert_int_equal(eng_edits_set_attr(e, "", &at, &diag), 0);
	at.mode = 0700;
	assert_int_equal(eng_edits_set_attr(e, "d", &at, &diag), 0);
	/* a hard-linked file's attributes are both names' */
	at.mode = 0640;
	assert_int_equal(eng_edits_set_attr(e, "ln.txt", &at, &diag), 0);
	at.mode = 0604;
	assert_int_equal(eng_edits_set_attr(e, "hl1", &at, &diag), 0);
	return e;
}

/* The bytes and mode of path in the session at start, through its UDF and its RR tree. */
static void read_is(uint64_t start, uint64_t end, const char *path, const char *text, size_t repeat,
		    uint32_t mode)
{
	static uint8_t buf[4096];
	struct bfs_diag diag = {0};

	for (int k = 0; k < 2; k++) {
		struct eng_disctree *t = NULL;
		struct eng_dnode d = {0};
		int64_t n;

		assert_int_equal(eng_disctree_open(disc_read, NULL, start, end,
						   k ? ENG_TREE_ROCKRIDGE : ENG_TREE_UDF, &diag,
						   &t),
				 0);
		if (eng_disctree_lookup(t, path, &d) < 0)
			fail_msg("'%s' is not in the %s tree of the new session", path,
				 k ? "RR" : "UDF");
		n = eng_disctree_pread(t, &d, 0, buf, sizeof(buf));
		assert_int_equal(n, (int64_t)(strlen(text) * repeat));
		for (size_t i = 0; i < repeat; i++)
			assert_memory_equal(buf + i * strlen(text), text, strlen(text));
		if (mode)
			assert_int_equal(d.mode, mode);
		eng_dnode_done(&d);
		eng_disctree_free(t);
	}
}

static void dir_mode_is(uint64_t start, uint64_t end, const char *path, uint32_t mode)
{
	struct bfs_diag diag = {0};
	struct eng_disctree *t = NULL;
	struct eng_dnode d = {0};

	assert_int_equal(
		eng_disctree_open(disc_read, NULL, start, end, ENG_TREE_ROCKRIDGE, &diag, &t), 0);
	assert_int_equal(eng_disctree_lookup(t, path, &d), 0);
	assert_int_equal(d.type, BFS_NODE_DIR);
	assert_int_equal(d.mode, mode);
	eng_dnode_done(&d);
	eng_disctree_free(t);
}

static void absent(uint64_t start, uint64_t end, const char *path)
{
	struct bfs_diag diag = {0};
	struct eng_disctree *t = NULL;
	struct eng_dnode d = {0};

	assert_int_equal(
		eng_disctree_open(disc_read, NULL, start, end, ENG_TREE_ROCKRIDGE, &diag, &t), 0);
	if (eng_disctree_lookup(t, path, &d) == 0)
		fail_msg("'%s' is still in the new session", path);
	eng_disctree_free(t);
}

/* The disc's blocks [0, blocks) in an image file; its path in path (a mkstemp template). */
static void image_write(uint64_t blocks, char *path)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, disc, (size_t)blocks * 2048), (ssize_t)(blocks * 2048));
	close(fd);
}

/* What cmd prints (up to cap bytes), or NULL when it cannot run. */
static char *run(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	if (!p)
		return NULL;
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	return pclose(p) == 0 ? out : NULL;
}

/*
 * The session read by others: xorriso (-load sbsector) lists what the mount showed, and
 * isoinfo (-T: the session's start) reads a moved file's bytes through its Rock Ridge name.
 */
static void others_read(uint64_t start2, uint64_t end)
{
	static char out[65536];
	char path[] = "/tmp/burnfs-append-edits.XXXXXX", cmd[600];
	static const char *const there[] = {"'/s/mv2.txt'", "'/e/ln2'", "'/ln.txt'",  "'/e/a'",
					    "'/e/staged'",  "'/out'",	"'/attr.txt'"};
	static const char *const gone[] = {"'/mv.txt'", "'/del.txt'", "'/d'", "'/gone'"};

	if (system("command -v xorriso >/dev/null && command -v isoinfo >/dev/null") != 0) {
		print_message("xorriso or isoinfo missing: the readers' check is skipped\n");
		return;
	}
	image_write(end, path);
	snprintf(cmd, sizeof(cmd),
		 "xorriso -abort_on NEVER -return_with SORRY 0 -indev '%s' -load sbsector %llu "
		 "-find / -exec lsdl 2>/dev/null",
		 path, (unsigned long long)start2);
	assert_non_null(run(cmd, out, sizeof(out)));
	for (size_t i = 0; i < sizeof(there) / sizeof(*there); i++)
		if (!strstr(out, there[i]))
			fail_msg("xorriso does not list %s:\n%s", there[i], out);
	for (size_t i = 0; i < sizeof(gone) / sizeof(*gone); i++)
		if (strstr(out, gone[i]))
			fail_msg("xorriso still lists %s:\n%s", gone[i], out);
	assert_non_null(strstr(out, "-rw-------")); /* attr.txt's new mode */
	snprintf(cmd, sizeof(cmd), "isoinfo -i '%s' -T %llu -R -x /s/mv2.txt", path,
		 (unsigned long long)start2);
	assert_non_null(run(cmd, out, sizeof(out)));
	assert_int_equal(strlen(out), 600);
	assert_memory_equal(out, "moved\nmoved\n", 12);
	unlink(path);
}

static void test_edits_applied(bool manifest)
{
	struct eng_session s1 = {.number = 1, .start = 0};
	struct bfs_node *r2 = scan(dir4), *n, *l1, *l2;
	struct eng_edits *e = edits_of_user();
	struct bfs_diag diag = {0};
	struct eng_append *a = NULL;
	struct eng_append_info info;
	struct eng_image_opts io;
	uint64_t mv_lba, start2, len2;

	s1.length = burn_dir3(manifest);
	assert_int_equal(eng_append_merge(disc_read, NULL, &s1, &s1, e, r2, &diag, &a), 0);
	eng_append_info(a, &info);
	assert_int_equal(info.deleted, 3); /* del.txt, gone/x, gone */
	assert_int_equal(info.moved, 3);   /* mv.txt, d, gone/out */
	assert_int_equal(info.linked, 1);
	assert_int_equal(info.attr_changed, 5);
	assert_int_equal(info.replaced, 0);
	/* kept: keep, mv2, ln.txt + e/ln2, attr, e/a, e/b, out, hl1 + hl2 */
	assert_int_equal(info.kept, 10);
	assert_int_equal(info.hashed, manifest ? 0 : 10);
	assert_null(child(r2, "mv.txt"));
	assert_null(child(r2, "del.txt"));
	assert_null(child(r2, "gone"));
	assert_null(child(r2, "d"));
	n = path_node(r2, "s/mv2.txt");
	assert_non_null(n);
	assert_true(n->flags & BFS_NODE_PRIOR); /* its data where it is */
	mv_lba = n->data_lba;
	assert_true(mv_lba > 0 && mv_lba < s1.length);
	assert_non_null(path_node(r2, "s/new"));
	assert_non_null(path_node(r2, "e/staged")); /* the moved directory merged */
	assert_true(path_node(r2, "e/a")->flags & BFS_NODE_PRIOR);
	assert_true(path_node(r2, "out")->flags & BFS_NODE_PRIOR);
	l1 = path_node(r2, "ln.txt");
	l2 = path_node(r2, "e/ln2");
	assert_non_null(l1);
	assert_non_null(l2);
	assert_int_equal(l1->nlink, 2);
	assert_int_equal(l1->mode, 0640);
	assert_int_equal(l2->mode, 0640);
	assert_int_equal(l2->nlink, 2);
	assert_true(l1->link_primary == l2 || l2->link_primary == l1);
	assert_int_equal(path_node(r2, "attr.txt")->mode, 0600);
	assert_int_equal(path_node(r2, "attr.txt")->uid, 1234);
	assert_int_equal(r2->mode, 0750);
	assert_int_equal(path_node(r2, "e")->mode, 0700);

	/* the session written: every reader's view is the mount's */
	io = (struct eng_image_opts){.manifest = true, .start_lba = s1.length};
	eng_append_apply(a, false, &io);
	start2 = s1.length;
	len2 = burn(r2, &io);
	read_is(start2, start2 + len2, "/s/mv2.txt", "moved\n", 100, 0);
	read_is(start2, start2 + len2, "/e/ln2", "linked\n", 10, 0);
	read_is(start2, start2 + len2, "/ln.txt", "linked\n", 10, 0);
	read_is(start2, start2 + len2, "/e/a", "da\n", 1, 0);
	read_is(start2, start2 + len2, "/e/staged", "staged\n", 1, 0);
	read_is(start2, start2 + len2, "/out", "gone-out\n", 1, 0);
	read_is(start2, start2 + len2, "/attr.txt", "attr\n", 1, 0600);
	read_is(start2, start2 + len2, "/hl1", "hard\n", 3, 0604);
	read_is(start2, start2 + len2, "/hl2", "hard\n", 3, 0604); /* the other name too */
	dir_mode_is(start2, start2 + len2, "/e", 0700);
	dir_mode_is(start2, start2 + len2, "/", 0750);
	absent(start2, start2 + len2, "/mv.txt");
	absent(start2, start2 + len2, "/del.txt");
	absent(start2, start2 + len2, "/d");
	absent(start2, start2 + len2, "/gone");
	/* UDF entries: a moved file keeps its own (it holds no name), one whose attributes or
	 * link count changed gets a new one */
	assert_true(entry_block(start2, start2 + len2, "/s/mv2.txt") < s1.length);
	assert_true(entry_block(start2, start2 + len2, "/out") < s1.length);
	assert_true(entry_block(start2, start2 + len2, "/keep.txt") < s1.length);
	assert_true(entry_block(start2, start2 + len2, "/attr.txt") >= start2);
	assert_true(entry_block(start2, start2 + len2, "/ln.txt") >= start2);
	if (manifest)
		others_read(start2, start2 + len2);
	eng_append_free(a);
	eng_edits_free(e);
	bfs_node_free(r2);
}

static void test_edits_with_manifest(void **state)
{
	(void)state;
	test_edits_applied(true);
}

static void test_edits_without_manifest(void **state)
{
	(void)state;
	test_edits_applied(false); /* the moved files hashed from the disc by their disc path */
}

/* An edit the tree read back cannot take: the merge fails naming it, root unchanged. */
static void edits_refused(struct eng_edits *e, const char *want1, const char *want2)
{
	struct eng_session s1 = {.number = 1, .start = 0};
	struct bfs_node *r2 = scan(dir4);
	struct bfs_diag diag = {0};
	struct eng_append *a = NULL;

	s1.length = burn_dir3(true);
	assert_true(eng_append_merge(disc_read, NULL, &s1, &s1, e, r2, &diag, &a) < 0);
	assert_null(a);
	if (!strstr(diag.msg, want1) || !strstr(diag.msg, want2))
		fail_msg("'%s' does not name '%s' and '%s'", diag.msg, want1, want2);
	eng_edits_free(e);
	bfs_node_free(r2);
}

static void test_edits_refused(void **state)
{
	struct eng_edits *e = NULL;
	struct bfs_diag diag = {0};

	(void)state;
	/* the disc changed: a record names what the session does not hold */
	assert_int_equal(eng_edits_new(&e), 0);
	assert_int_equal(eng_edits_delete(e, "nope", "nope", &diag), 0);
	edits_refused(e, "'/nope'", "disc changed");
	assert_int_equal(eng_edits_new(&e), 0);
	assert_int_equal(eng_edits_link(e, "d/zz", "zz", &diag), 0);
	edits_refused(e, "'/d/zz'", "disc changed");
	/* a target whose directory is not in the new tree */
	assert_int_equal(eng_edits_new(&e), 0);
	assert_int_equal(eng_edits_rename(e, "keep.txt", "nodir/k", "keep.txt", &diag), 0);
	edits_refused(e, "'/nodir/k'", "'/nodir' is not in the new tree");
	assert_int_equal(eng_edits_new(&e), 0);
	assert_int_equal(eng_edits_link(e, "ln.txt", "keep.txt/l", &diag), 0);
	edits_refused(e, "'/keep.txt/l'", "'/keep.txt' is not");
	/* a target where the disc's tree has a node (not deleted first) */
	assert_int_equal(eng_edits_new(&e), 0);
	assert_int_equal(eng_edits_rename(e, "keep.txt", "mv.txt", "keep.txt", &diag), 0);
	edits_refused(e, "'/keep.txt' at '/mv.txt'", "has a node already");
	assert_int_equal(eng_edits_new(&e), 0);
	assert_int_equal(eng_edits_link(e, "ln.txt", "d/a", &diag), 0);
	edits_refused(e, "'/ln.txt' at '/d/a'", "has a node already");
}

/* A staged file at a target shadows the disc's node moved there, with a warning. */
static void test_edits_shadowed(void **state)
{
	struct eng_session s1 = {.number = 1, .start = 0};
	struct bfs_node *r2 = scan(dir4);
	struct eng_edits *e = NULL;
	struct bfs_diag diag = {0};
	struct eng_append *a = NULL;
	struct eng_append_info info;

	(void)state;
	s1.length = burn_dir3(true);
	assert_int_equal(eng_edits_new(&e), 0);
	assert_int_equal(eng_edits_rename(e, "mv.txt", "s/new", "mv.txt", &diag), 0);
	assert_int_equal(eng_append_merge(disc_read, NULL, &s1, &s1, e, r2, &diag, &a), 0);
	eng_append_info(a, &info);
	assert_int_equal(info.replaced, 1);
	assert_int_equal(diag.nwarnings, 1); /* "'/s/new' replaces the disc's '/mv.txt' ..." */
	assert_false(path_node(r2, "s/new")->flags & BFS_NODE_PRIOR);
	assert_null(child(r2, "mv.txt"));
	eng_append_free(a);
	eng_edits_free(e);
	bfs_node_free(r2);
}

/* ---- the commit against the reference (edits-ref.h) --------------------------------- */

/*
 * The reference's staged nodes made in a staging directory at their merged paths; a disc
 * directory holding some is a directory there too (the graft merges them).
 */
static void stage(struct rnode *n, const char *at)
{
	char path[256], p[600];

	rpath(n, path, sizeof(path));
	snprintf(p, sizeof(p), "%s/%s", at, path);
	if (n->parent && (n->staged || n->nkids)) {
		if (n->dir || !n->staged)
			mkdir(p, 0755);
		else
			put_file(at, path, "staged", 1);
	}
	for (int i = 0; i < n->nkids; i++)
		stage(n->kids[i], at);
}

static int count_nodes(struct bfs_node *n, void *userdata)
{
	(*(size_t *)userdata)++;
	(void)n;
	return 0;
}

/* The session at start holds what the reference says: each node, each file's bytes. */
static void session_is_ref(struct rnode *root, uint64_t start, uint64_t end)
{
	static struct rnode *v[4096];
	struct bfs_diag diag = {0};
	struct eng_disctree *t = NULL;
	int n = nodes_of(root, v, 0);

	assert_int_equal(
		eng_disctree_open(disc_read, NULL, start, end, ENG_TREE_ROCKRIDGE, &diag, &t), 0);
	for (int i = 1; i < n; i++) {
		char path[256], abs[260];
		uint8_t buf[64];
		struct eng_dnode d = {0};
		const char *want = v[i]->staged ? "staged" : v[i]->origin;
		int64_t got;

		rpath(v[i], path, sizeof(path));
		snprintf(abs, sizeof(abs), "/%s", path);
		if (eng_disctree_lookup(t, abs, &d) < 0)
			fail_msg("'%s' is not in the committed session", abs);
		assert_int_equal(d.type, v[i]->dir ? BFS_NODE_DIR : BFS_NODE_FILE);
		if (!v[i]->dir) {
			got = eng_disctree_pread(t, &d, 0, buf, sizeof(buf));
			if (got != (int64_t)strlen(want) || memcmp(buf, want, strlen(want)) != 0)
				fail_msg("'%s' holds '%.*s', want '%s'", abs,
					 (int)(got > 0 ? got : 0), (const char *)buf, want);
		}
		eng_dnode_done(&d);
	}
	eng_disctree_free(t);
}

/*
 * Random changes made through the mount (edits-ref.h) and committed: the merged tree and the
 * session written hold exactly what the user made, each disc file's bytes where they were.
 */
static void test_edits_random_commit(void **state)
{
	struct eng_session s1 = {.number = 1, .start = 0};
	struct bfs_node *r1 = scan(dir5);
	struct eng_image_opts io = {.manifest = true};

	(void)state;
	memset(disc, 0, (size_t)DISC_BLOCKS * 2048);
	s1.length = burn(r1, &io);
	bfs_node_free(r1);
	for (unsigned seed = 1; seed <= 100; seed++) {
		char at[] = "/tmp/burnfs-append-stage.XXXXXX", cmd[100];
		struct eng_edits *e = NULL;
		struct rnode *root;
		struct bfs_node *r2;
		struct bfs_diag diag = {0};
		struct eng_append *a = NULL;
		size_t nodes = 0;
		int nref;
		static struct rnode *v[4096];

		assert_int_equal(eng_edits_new(&e), 0);
		srand(seed);
		root = ref_init();
		for (int k = 0; k < 100; k++)
			random_change(e, root);
		assert_non_null(mkdtemp(at));
		stage(root, at);
		r2 = scan(at);
		if (eng_append_merge(disc_read, NULL, &s1, &s1, e, r2, &diag, &a) < 0)
			fail_msg("seed %u: the commit fails: %s", seed, diag.msg);
		nref = nodes_of(root, v, 0);
		(void)bfs_node_walk(r2, count_nodes, &nodes);
		if (nodes != (size_t)nref)
			fail_msg("seed %u: the merged tree has %zu nodes, the user made %d", seed,
				 nodes, nref);
		io = (struct eng_image_opts){.manifest = true, .start_lba = s1.length};
		eng_append_apply(a, false, &io);
		session_is_ref(root, s1.length, s1.length + burn(r2, &io));
		eng_append_free(a);
		eng_edits_free(e);
		bfs_node_free(r2);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", at);
		assert_int_equal(system(cmd), 0);
	}
}

/* ---- the disc's identity (eng_disc_identity) ------------------------------------------ */

/* The identity of the disc's blocks [0, blocks) written to an image file. */
static void identity_of(uint64_t blocks, char id[static ENG_DISC_ID_MAX])
{
	char path[] = "/tmp/burnfs-append-id.XXXXXX";
	struct eng_medium *m = NULL;
	struct bfs_diag diag = {0};
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, disc, (size_t)blocks * 2048), (ssize_t)(blocks * 2048));
	close(fd);
	assert_int_equal(eng_medium_open(NULL, path, &m, &diag), 0);
	assert_int_equal(eng_disc_identity(m, id, &diag), 0);
	eng_medium_free(m);
	unlink(path);
}

static void test_disc_identity(void **state)
{
	char a[ENG_DISC_ID_MAX], a2[ENG_DISC_ID_MAX], b[ENG_DISC_ID_MAX], c[ENG_DISC_ID_MAX];
	char want[64];
	uint64_t la, lb;

	(void)state;
	la = burn_dir3(true);
	identity_of(la, a);
	snprintf(want, sizeof(want), "s1@0+%llu:", (unsigned long long)la);
	assert_memory_equal(a, want, strlen(want));
	assert_int_equal(strlen(a), strlen(want) + 64); /* the SHA-256 of blocks 16..31 */
	identity_of(la, a2);
	assert_string_equal(a, a2); /* the same disc, the same name */
	/* one byte of the volume descriptors (the PVD's application use) */
	disc[16 * 2048 + 1000] ^= 1;
	identity_of(la, c);
	assert_string_not_equal(a, c);
	/* another disc: dir3 again, without its manifest */
	memset(disc, 0, (size_t)DISC_BLOCKS * 2048);
	lb = burn_dir3(false);
	identity_of(lb, b);
	assert_string_not_equal(a, b);
}

/*
 * A file of two extents out of order (what another writer may leave, and what a sectioned
 * file of an earlier append is): kept where it is as sections, not copied, and read back
 * whole from the next session.
 */
static uint8_t frag_sha[32];

static const uint8_t *frag_prior_sha(const struct bfs_node *n, void *userdata)
{
	(void)n;
	(void)userdata;
	return frag_sha;
}

static void test_fragmented_kept(void **state)
{
	struct bfs_node *r1 = scan(dir1), *r2 = bfs_node_new("", 0, BFS_NODE_DIR), *r3 = scan(dir2);
	struct bfs_node *f = bfs_node_new("frag", 4, BFS_NODE_FILE), *n;
	struct eng_image_opts io = {.manifest = true};
	struct eng_session s1 = {.number = 1, .start = 0}, s2 = {.number = 2};
	struct bfs_diag diag = {0};
	struct eng_append *a = NULL;
	struct eng_append_info info;
	static uint8_t want[3201024], back[3201025];
	const uint64_t cut = 800 * 2048;
	uint64_t big_lba, len3;

	(void)state;
	memset(disc, 0, (size_t)DISC_BLOCKS * 2048);
	s1.length = burn(r1, &io);
	big_lba = child(r1, "big")->data_lba;
	/* session 2: frag is big's blocks from 800 on (its last one padded), then 0..799 */
	{
		const struct bfs_section v[] = {{.lba = big_lba + 800, .blocks = 763},
						{.lba = big_lba, .blocks = 800}};

		memcpy(want, disc + (big_lba + 800) * 2048, 763 * 2048);
		memcpy(want + 763 * 2048, disc + big_lba * 2048, cut);
		sha256(want, sizeof(want), frag_sha);
		f->size = sizeof(want);
		f->flags = BFS_NODE_PRIOR;
		f->mode = 0644;
		assert_int_equal(bfs_node_set_sections(f, v, 2), 0);
		assert_int_equal(bfs_node_add_child(r2, f), 0);
		assert_int_equal(bfs_tree_finalize(r2), 0);
	}
	io = (struct eng_image_opts){.manifest = true,
				     .start_lba = s1.length,
				     .prior_sha = frag_prior_sha,
				     .has_udf_partition_start = true,
				     .udf_partition_start = 257};
	s2.start = s1.length;
	s2.length = burn(r2, &io);
	assert_int_equal(read_back(s2.start, s2.start + s2.length, "/frag", back, sizeof(back)),
			 sizeof(want));
	assert_memory_equal(back, want, sizeof(want));

	/* session 3 over session 2: frag stays in its two extents */
	assert_int_equal(eng_append_merge(disc_read, NULL, &s2, &s1, NULL, r3, &diag, &a), 0);
	eng_append_info(a, &info);
	assert_int_equal(info.copied, 0);
	n = child(r3, "frag");
	assert_non_null(n);
	assert_true(n->flags & BFS_NODE_PRIOR);
	assert_int_equal(n->nsections, 2);
	assert_int_equal(n->sections[0].lba, big_lba + 800);
	assert_int_equal(n->sections[1].lba, big_lba);
	assert_false(n->sections[0].is_new || n->sections[1].is_new);
	io = (struct eng_image_opts){.manifest = true, .start_lba = s2.start + s2.length};
	eng_append_apply(a, false, &io);
	len3 = burn(r3, &io);
	assert_int_equal(read_back(io.start_lba, io.start_lba + len3, "/frag", back, sizeof(back)),
			 sizeof(want));
	assert_memory_equal(back, want, sizeof(want));
	assert_true(len3 < 763); /* its data was not written again */
	eng_append_free(a);
	bfs_node_free(r1);
	bfs_node_free(r2);
	bfs_node_free(r3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_with_manifest),
		cmocka_unit_test(test_without_manifest),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_edits_with_manifest),
		cmocka_unit_test(test_edits_without_manifest),
		cmocka_unit_test(test_edits_refused),
		cmocka_unit_test(test_edits_shadowed),
		cmocka_unit_test(test_disc_identity),
		cmocka_unit_test(test_edits_random_commit),
		cmocka_unit_test(test_fragmented_kept),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
