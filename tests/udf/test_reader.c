/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The UDF reader on images of our writer changed in memory: damage, each class in two or
 * more places, with the error (or the fallback) it must give; and the structures our
 * writer does not make (sparable and virtual partitions, AED chains, indirect entries,
 * device attributes) made by hand and read back. Tags are re-made after a change wherever
 * the damage is meant to be something other than the tag itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/bytes.h"
#include "common/log.h"
#include "udf/layout.h"
#include "udf/reader.h"
#include "udf/writer.h"

#define BS 2048u

struct img {
	uint8_t *b;
	uint64_t nblocks;
	uint64_t part; /* the type 1 partition's first block */
	uint64_t meta; /* 2.50: the metadata file's first block, else part */
	uint64_t mirror;
	uint64_t free_block; /* a block nothing uses: the data of file "f2" */
};

static int mem_read(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf)
{
	const struct img *m = userdata;

	if (lba >= m->nblocks || n > m->nblocks - lba)
		return -ENXIO;
	memcpy(buf, m->b + lba * BS, (size_t)n * BS);
	return 0;
}

static void node(struct bfs_node *dir, const char *name, enum bfs_node_type t, uint64_t size,
		 struct bfs_node **ret)
{
	struct bfs_node *n = bfs_node_new(name, strlen(name), t);

	n->size = size;
	n->mode = t == BFS_NODE_DIR ? 0755 : 0644;
	assert_int_equal(bfs_node_add_child(dir, n), 0);
	if (ret)
		*ret = n;
}

/* / holds d/{ab,cd,xyz}, f1 (5000 bytes) and f2 (10 bytes) */
static void build(uint16_t rev, struct img *m)
{
	struct udf_writer_opts o = {.revision = rev};
	struct bfs_volume_info vi = {.volume_id = "T", .uuid = 1};
	struct bfs_node *root = bfs_node_new("", 0, BFS_NODE_DIR), *d, *f1, *f2;
	struct udf_writer *w = NULL;
	const struct bfs_extent_list *l;
	struct bfs_diag diag = {0};
	uint64_t cur = 19;

	root->mode = 0755;
	node(root, "d", BFS_NODE_DIR, 0, &d);
	node(d, "ab", BFS_NODE_FILE, 0, NULL);
	node(d, "cd", BFS_NODE_FILE, 0, NULL);
	node(d, "xyz", BFS_NODE_FILE, 0, NULL);
	node(root, "f1", BFS_NODE_FILE, 5000, &f1);
	node(root, "f2", BFS_NODE_FILE, 10, &f2);
	assert_int_equal(bfs_tree_finalize(root), 0);
	assert_int_equal(udf_writer_new(&o, root, &diag, &w), 0);
	assert_int_equal(udf_writer_plan_vrs(w, &cur), 0);
	assert_int_equal(udf_writer_plan_vds(w, 0, &cur), 0);
	m->part = cur;
	assert_int_equal(udf_writer_plan_meta(w, &cur), 0);
	f1->data_lba = cur;
	cur += 3;
	f2->data_lba = m->free_block = cur++;
	assert_int_equal(udf_writer_plan_tail(w, &cur), 0);
	vi.volume_blocks = m->nblocks = cur;
	assert_int_equal(udf_writer_finish(w, &vi), 0);
	m->b = calloc(cur, BS);
	assert_non_null(m->b);
	memset(m->b + f1->data_lba * BS, 'x', 3 * BS);
	l = udf_writer_extents(w);
	for (size_t i = 0; i < l->n; i++)
		assert_int_equal(udf_writer_fill(w, &l->v[i], m->b + l->v[i].lba * BS), 0);
	udf_writer_free(w);
	bfs_node_free(root);
	m->meta = m->mirror = m->part;
}

/* Re-make the tag of the descriptor at p (its CRC over crc_len bytes, then the checksum) */
static void retag(uint8_t *p)
{
	uint8_t sum = 0;

	bfs_put_le16(p + UDF_TAG_CRC, udf_crc_itu(p + 16, bfs_get_le16(p + UDF_TAG_CRC_LEN)));
	for (int i = 0; i < 16; i++)
		if (i != UDF_TAG_CHECKSUM)
			sum = (uint8_t)(sum + p[i]);
	p[UDF_TAG_CHECKSUM] = sum;
}

struct seen {
	char names[8][64];
	bool changed[8];
	struct udf_entry e[8]; /* icb and extents of each (no names) */
	unsigned n;
};

static int collect(const struct udf_entry *e, void *userdata)
{
	struct seen *s = userdata;

	if (s->n == 8)
		return 1;
	memcpy(s->names[s->n], e->name, e->name_len + 1);
	s->changed[s->n] = e->name_changed;
	s->e[s->n].icb_lbn = e->icb_lbn;
	s->e[s->n].icb_part = e->icb_part;
	s->e[s->n].size = e->size;
	s->e[s->n].ext = NULL;
	if (e->nextents)
		s->e[s->n].ext = (struct udf_extent *)(uintptr_t)e->ext[0].lbn; /* first block */
	s->n++;
	return 0;
}

/* Open m and list the directory at path into *s: 0 or the error, message in *diag */
static int list(struct img *m, const char *path, struct seen *s, struct bfs_diag *diag)
{
	struct udf_reader *r = NULL;
	struct udf_entry dir = {0};
	int ret;

	memset(s, 0, sizeof(*s));
	memset(diag, 0, sizeof(*diag));
	ret = udf_reader_open(mem_read, m, m->nblocks, 0, 0, diag, &r);
	if (ret == 0)
		ret = udf_reader_lookup(r, path, &dir);
	if (ret == 0)
		ret = udf_reader_readdir(r, &dir, collect, s);
	udf_entry_done(&dir);
	udf_reader_free(r);
	return ret;
}

static void expect_error(struct img *m, const char *path, const char *msg)
{
	struct bfs_diag diag;
	struct seen s;

	assert_int_equal(list(m, path, &s, &diag), -BFS_EFSCORRUPTED);
	if (!strstr(diag.msg, msg))
		fail_msg("expected '%s' in '%s'", msg, diag.msg);
}

/* The ICB block of the entry named name in directory path of a pristine m */
static uint64_t icb_of(struct img *m, const char *path, const char *name, uint32_t *first_lbn)
{
	struct bfs_diag diag;
	struct seen s;

	assert_int_equal(list(m, path, &s, &diag), 0);
	for (unsigned i = 0; i < s.n; i++) {
		if (strcmp(s.names[i], name))
			continue;
		if (first_lbn)
			*first_lbn = (uint32_t)(uintptr_t)s.e[i].ext;
		return m->meta + s.e[i].icb_lbn;
	}
	fail_msg("no '%s' in '%s'", name, path);
	return 0;
}

static void test_pristine(void **state)
{
	struct img m;
	struct bfs_diag diag;
	struct seen s;

	(void)state;
	build(0x0201, &m);
	assert_int_equal(list(&m, "/", &s, &diag), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.names[0], "d");
	assert_int_equal(list(&m, "/d", &s, &diag), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.names[2], "xyz");
	free(m.b);
}

/* A tag checksum: the LVD's (the reserve sequence is used), the root's FE, a FID's */
static void test_bad_checksum(void **state)
{
	struct img m;
	struct bfs_diag diag;
	struct seen s;
	uint64_t root;

	(void)state;
	build(0x0201, &m);
	m.b[(32 + 3) * BS + UDF_TAG_CHECKSUM] ^= 1; /* main VDS: PVD IUVD PD LVD */
	assert_int_equal(list(&m, "/d", &s, &diag), 0);
	assert_int_equal(s.n, 3);
	assert_true(diag.nwarnings > 0);
	m.b[(48 + 3) * BS + UDF_TAG_CHECKSUM] ^= 1; /* and the reserve one */
	expect_error(&m, "/", "volume descriptor at block 51: bad tag checksum");
	free(m.b);

	build(0x0201, &m);
	root = icb_of(&m, "/", "d", NULL) - 2; /* the writer puts the root first */
	m.b[root * BS + UDF_TAG_CHECKSUM] ^= 0x10;
	expect_error(&m, "/", "bad tag checksum");
	free(m.b);

	build(0x0201, &m);
	m.b[(root + 1) * BS + 40 + UDF_TAG_CHECKSUM] ^= 0x10; /* the root's 2nd FID */
	expect_error(&m, "/", "FID at block");
	free(m.b);
}

/* A descriptor CRC: the FSD's, a FID's, a file's FE */
static void test_bad_crc(void **state)
{
	struct img m;
	uint64_t root, f1;

	(void)state;
	build(0x0201, &m);
	root = icb_of(&m, "/", "d", NULL) - 2;
	f1 = icb_of(&m, "/", "f1", NULL);
	m.b[(m.part + bfs_get_le32(m.b + 35 * BS + UDF_LVD_FSD + 4)) * BS + 100] ^= 1; /* FSD */
	expect_error(&m, "/", "(FSD) at block");
	free(m.b);

	build(0x0201, &m);
	m.b[(root + 1) * BS + 40 + 30] ^= 1;
	expect_error(&m, "/", "(FID) at block");
	free(m.b);

	build(0x0201, &m);
	m.b[f1 * BS + 60] ^= 1;
	expect_error(&m, "/", "bad descriptor CRC");
	free(m.b);
}

/* An AED chain that comes back: to itself, and through a second AED */
static void put_aed(struct img *m, uint64_t at, uint32_t next_lbn)
{
	uint8_t *p = m->b + at * BS;

	memset(p, 0, BS);
	bfs_put_le16(p, UDF_TAG_AED);
	bfs_put_le16(p + 2, 3);
	bfs_put_le32(p + UDF_TAG_LOCATION, (uint32_t)(at - m->part));
	bfs_put_le32(p + UDF_AED_L_AD, 8);
	bfs_put_le32(p + 24, 3u << 30 | BS); /* next extent of allocation descriptors */
	bfs_put_le32(p + 28, next_lbn);
	bfs_put_le16(p + UDF_TAG_CRC_LEN, 8 + 8);
	retag(p);
}

static void point_file_at_aed(struct img *m, uint64_t fe, uint32_t aed_lbn)
{
	uint8_t *p = m->b + fe * BS;
	uint32_t lea = bfs_get_le32(p + UDF_EFE_L_EA);

	bfs_put_le32(p + UDF_EFE_SIZE + lea, 3u << 30 | BS);
	bfs_put_le32(p + UDF_EFE_SIZE + lea + 4, aed_lbn);
	retag(p);
}

static void test_aed_loop(void **state)
{
	struct img m;
	uint64_t f1, a, b;

	(void)state;
	build(0x0201, &m);
	f1 = icb_of(&m, "/", "f1", NULL);
	a = m.free_block;
	put_aed(&m, a, (uint32_t)(a - m.part));
	point_file_at_aed(&m, f1, (uint32_t)(a - m.part));
	expect_error(&m, "/", "loop back");
	free(m.b);

	build(0x0201, &m);
	a = m.free_block;
	{ /* the second AED over f1's own data */
		uint32_t first = 0;

		icb_of(&m, "/", "f1", &first);
		b = m.part + first;
	}
	put_aed(&m, a, (uint32_t)(b - m.part));
	put_aed(&m, b, (uint32_t)(a - m.part));
	point_file_at_aed(&m, f1, (uint32_t)(a - m.part));
	expect_error(&m, "/", "loop back");
	free(m.b);
}

/* A FID past the end of its directory: the directory made shorter, a FID made longer */
static void test_fid_past_end(void **state)
{
	struct img m;
	uint64_t d;
	uint8_t *p;

	(void)state;
	build(0x0201, &m);
	d = icb_of(&m, "/", "d", NULL);
	p = m.b + d * BS;
	bfs_put_le64(p + UDF_FE_INFO_LEN, bfs_get_le64(p + UDF_FE_INFO_LEN) - 4);
	bfs_put_le32(p + UDF_EFE_SIZE + bfs_get_le32(p + UDF_EFE_L_EA),
		     (uint32_t)bfs_get_le64(p + UDF_FE_INFO_LEN));
	retag(p);
	expect_error(&m, "/d", "runs past the directory's end");
	free(m.b);

	build(0x0201, &m);
	p = m.b + (d + 1) * BS + 40; /* the first FID after the parent's */
	bfs_put_le16(p + UDF_FID_L_IU, 2000);
	retag(p);
	expect_error(&m, "/d", "runs past the directory's end");
	free(m.b);
}

/* An extent past the partition and the medium: a block number, a length */
static void test_extent_past_medium(void **state)
{
	struct img m;
	uint64_t f1;
	uint8_t *p;
	uint32_t lea;

	(void)state;
	for (int k = 0; k < 2; k++) {
		build(0x0201, &m);
		f1 = icb_of(&m, "/", "f1", NULL);
		p = m.b + f1 * BS;
		lea = bfs_get_le32(p + UDF_EFE_L_EA);
		if (k == 0) {
			bfs_put_le32(p + UDF_EFE_SIZE + lea + 4, 0xFFFFFFF0u);
		} else {
			bfs_put_le64(p + UDF_FE_INFO_LEN, 0x3FFFF800u);
			bfs_put_le32(p + UDF_EFE_SIZE + lea, 0x3FFFF800u);
		}
		retag(p);
		expect_error(&m, "/", "runs past the");
		free(m.b);
	}
}

/* Names a path cannot hold: with '/', "..", with a NUL */
static void test_names(void **state)
{
	struct img m;
	struct bfs_diag diag;
	struct seen s;
	uint64_t d;
	uint8_t *p;

	(void)state;
	build(0x0201, &m);
	d = icb_of(&m, "/", "d", NULL);
	p = m.b + (d + 1) * BS + 40; /* "ab", "cd", "xyz" follow the parent's FID */
	for (int k = 0; k < 3; k++) {
		uint8_t *id = p + UDF_FID_SIZE + bfs_get_le16(p + UDF_FID_L_IU);

		memcpy(id + 1, k == 0 ? "a/" : k == 1 ? ".." : "x\0z", k == 2 ? 3 : 2);
		retag(p);
		p += (UDF_FID_SIZE + p[UDF_FID_L_FI] + 3) & ~3u;
	}
	assert_int_equal(list(&m, "/d", &s, &diag), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.names[0], "a_");
	assert_string_equal(s.names[1], ".._");
	assert_string_equal(s.names[2], "x_z");
	assert_true(s.changed[0] && s.changed[1] && s.changed[2]);
	assert_int_equal(diag.nwarnings, 3);
	free(m.b);
}

/* A VDP that points back: at itself, and at the sequence's start; both copies damaged */
static void put_vdp(struct img *m, uint64_t at, uint32_t next)
{
	uint8_t *p = m->b + at * BS;

	memset(p, 0, BS);
	bfs_put_le16(p, UDF_TAG_VDP);
	bfs_put_le16(p + 2, 3);
	bfs_put_le32(p + UDF_TAG_LOCATION, (uint32_t)at);
	bfs_put_le32(p + UDF_VDP_NEXT, 16 * BS);
	bfs_put_le32(p + UDF_VDP_NEXT + 4, next);
	bfs_put_le16(p + UDF_TAG_CRC_LEN, 512 - 16);
	retag(p);
}

static void test_vdp_loop(void **state)
{
	struct img m;
	struct bfs_diag diag;
	struct seen s;

	(void)state;
	build(0x0201, &m);
	put_vdp(&m, 32, 32); /* main: the first descriptor points at itself */
	assert_int_equal(list(&m, "/", &s, &diag), 0); /* the reserve sequence */
	assert_true(diag.nwarnings > 0);
	put_vdp(&m, 48 + 5, 48); /* reserve: its TD points at its start */
	expect_error(&m, "/", "points back");
	free(m.b);
}

/* 2.50: the main metadata file damaged (its EFE; the FSD in it): the mirror is read */
static void test_metadata_mirror(void **state)
{
	struct img m;
	struct bfs_diag diag;
	struct seen s;
	struct udf_reader *r = NULL;
	struct udf_volume_info vi;
	uint64_t meta_fe = 0;

	(void)state;
	for (int k = 0; k < 2; k++) {
		build(0x0250, &m);
		for (uint64_t b = m.part; b < m.nblocks && !meta_fe; b++)
			if (bfs_get_le16(m.b + b * BS) == UDF_TAG_EFE &&
			    m.b[b * BS + UDF_ICB_FILE_TYPE] == 250)
				meta_fe = b;
		assert_true(meta_fe != 0);
		if (k == 0) {
			m.b[meta_fe * BS + 100] ^= 1; /* the main metadata file's EFE */
		} else { /* the FSD, the first block of the main metadata file's data */
			uint8_t *p = m.b + meta_fe * BS;
			uint64_t first = m.part + bfs_get_le32(p + UDF_EFE_SIZE +
							       bfs_get_le32(p + UDF_EFE_L_EA) + 4);

			assert_int_equal(bfs_get_le16(m.b + first * BS), UDF_TAG_FSD);
			m.b[first * BS + 200] ^= 1;
		}
		memset(&diag, 0, sizeof(diag));
		assert_int_equal(udf_reader_open(mem_read, &m, m.nblocks, 0, 0, &diag, &r), 0);
		udf_reader_info(r, &vi);
		assert_true(vi.has_metadata && vi.metadata_mirror_used);
		assert_true(diag.nwarnings > 0);
		udf_reader_free(r);
		assert_int_equal(list(&m, "/d", &s, &diag), 0);
		assert_int_equal(s.n, 3);
		free(m.b);
		meta_fe = 0;
	}
}

/* Devices: a character and a block device, their numbers in a Device Specification */
static void make_device(struct img *m, uint64_t fe, uint8_t type, uint32_t major, uint32_t minor)
{
	uint8_t *p = m->b + fe * BS, *ea = p + UDF_EFE_SIZE;

	assert_int_equal(bfs_get_le32(p + UDF_EFE_L_AD), 0); /* an empty file: nothing moves */
	p[UDF_ICB_FILE_TYPE] = type;
	bfs_put_le32(p + UDF_EFE_L_EA, UDF_EAHD_SIZE + 24);
	memset(ea, 0, UDF_EAHD_SIZE + 24);
	bfs_put_le16(ea, UDF_TAG_EAHD_ID);
	bfs_put_le16(ea + 2, 3);
	bfs_put_le32(ea + UDF_TAG_LOCATION, (uint32_t)(fe - m->part));
	bfs_put_le32(ea + 16, UDF_EAHD_SIZE + 24); /* implementation attributes: none */
	bfs_put_le32(ea + 20, UDF_EAHD_SIZE + 24); /* application attributes: none */
	bfs_put_le16(ea + UDF_TAG_CRC_LEN, 8);
	retag(ea);
	bfs_put_le32(ea + UDF_EAHD_SIZE + UDF_EA_TYPE, UDF_EA_DEVICE);
	ea[UDF_EAHD_SIZE + 4] = 1;
	bfs_put_le32(ea + UDF_EAHD_SIZE + UDF_EA_LEN, 24);
	bfs_put_le32(ea + UDF_EAHD_SIZE + UDF_EA_DEVICE_MAJOR, major);
	bfs_put_le32(ea + UDF_EAHD_SIZE + UDF_EA_DEVICE_MINOR, minor);
	bfs_put_le16(p + UDF_TAG_CRC_LEN, UDF_EFE_SIZE + UDF_EAHD_SIZE + 24 - 16);
	retag(p);
}

static int find_devices(const struct udf_entry *e, void *userdata)
{
	uint32_t *v = userdata;

	if (e->type == BFS_NODE_CHR)
		v[0] = e->rdev_major, v[1] = e->rdev_minor;
	if (e->type == BFS_NODE_BLK)
		v[2] = e->rdev_major, v[3] = e->rdev_minor;
	return 0;
}

static void test_devices(void **state)
{
	struct img m;
	struct udf_reader *r = NULL;
	struct udf_entry d = {0};
	struct bfs_diag diag = {0};
	uint32_t v[4] = {0};

	(void)state;
	build(0x0201, &m);
	make_device(&m, icb_of(&m, "/d", "ab", NULL), 7, 4, 64);
	make_device(&m, icb_of(&m, "/d", "cd", NULL), 6, 8, 1);
	assert_int_equal(udf_reader_open(mem_read, &m, m.nblocks, 0, 0, &diag, &r), 0);
	assert_int_equal(udf_reader_lookup(r, "/d", &d), 0);
	assert_int_equal(udf_reader_readdir(r, &d, find_devices, v), 0);
	assert_int_equal(v[0], 4);
	assert_int_equal(v[1], 64);
	assert_int_equal(v[2], 8);
	assert_int_equal(v[3], 1);
	assert_int_equal(diag.nwarnings, 0);
	udf_entry_done(&d);
	udf_reader_free(r);
	free(m.b);
}

/*
 * Sparable partition (UDF 2.2.9, 2.2.12): the LVD's type 1 map becomes a sparable one whose
 * sparing table moves the 32-block packet holding f1's data to blocks past the image's
 * end; the packet's original blocks are overwritten. The table's first copy is damaged
 * when bad_first, so that the second is read.
 */
static void make_sparable(struct img *m, uint32_t packet_lbn, bool bad_first)
{
	uint64_t t1 = BFS_MAX(m->nblocks, m->part + packet_lbn + 32), t2 = t1 + 1, spare = t1 + 2;
	uint8_t *lvd, *st;

	/* the packet may reach past the image's end: the image grows to hold it */
	m->b = realloc(m->b, (spare + 32) * BS);
	assert_non_null(m->b);
	memset(m->b + m->nblocks * BS, 0, (spare + 32 - m->nblocks) * BS);
	m->nblocks = spare + 32;
	memcpy(m->b + spare * BS, m->b + (m->part + packet_lbn) * BS, 32 * BS);
	memset(m->b + (m->part + packet_lbn) * BS, 'Z', 32 * BS);
	for (uint64_t at = 32 + 3; at <= 48 + 3; at += 16) { /* the LVD of both sequences */
		uint8_t *pm;

		lvd = m->b + at * BS;
		pm = lvd + UDF_LVD_MAPS;
		assert_int_equal(bfs_get_le16(lvd), UDF_TAG_LVD);
		memset(pm, 0, 64);
		pm[UDF_PM_TYPE] = 2;
		pm[UDF_PM_LEN] = 64;
		memcpy(pm + UDF_PM2_IDENT + 1, "*UDF Sparable Partition", 23);
		bfs_put_le16(pm + 36, 1);
		bfs_put_le16(pm + UDF_PMS_PACKET, 32);
		pm[UDF_PMS_NTABLES] = 2;
		bfs_put_le32(pm + UDF_PMS_TABLE_LEN, UDF_ST_ENTRIES + 8);
		bfs_put_le32(pm + UDF_PMS_TABLES, (uint32_t)t1);
		bfs_put_le32(pm + UDF_PMS_TABLES + 4, (uint32_t)t2);
		bfs_put_le32(lvd + UDF_LVD_MAP_LEN, 64);
		bfs_put_le16(lvd + UDF_TAG_CRC_LEN, UDF_LVD_MAPS + 64 - 16);
		retag(lvd);
	}
	for (uint64_t at = t1; at <= t2; at++) {
		st = m->b + at * BS;
		bfs_put_le16(st, UDF_TAG_SPARING);
		bfs_put_le16(st + 2, 3);
		bfs_put_le32(st + UDF_TAG_LOCATION, (uint32_t)at);
		memcpy(st + 17, "*UDF Sparing Table", 18);
		bfs_put_le16(st + UDF_ST_NENTRIES, 1);
		bfs_put_le32(st + UDF_ST_ENTRIES, packet_lbn);
		bfs_put_le32(st + UDF_ST_ENTRIES + 4, (uint32_t)spare);
		bfs_put_le16(st + UDF_TAG_CRC_LEN, UDF_ST_ENTRIES + 8 - 16);
		retag(st);
	}
	if (bad_first)
		m->b[t1 * BS + 60] ^= 1; /* its CRC */
}

static void test_sparable(void **state)
{
	(void)state;
	for (int k = 0; k < 2; k++) {
		struct img m;
		struct udf_reader *r = NULL;
		struct udf_entry f = {0};
		struct udf_volume_info vi;
		struct bfs_diag diag = {0};
		uint8_t buf[5000], want[5000];
		uint32_t first = 0;

		build(0x0201, &m);
		icb_of(&m, "/", "f1", &first);
		make_sparable(&m, first & ~31u, k == 1);
		assert_int_equal(udf_reader_open(mem_read, &m, m.nblocks, 0, 0, &diag, &r), 0);
		udf_reader_info(r, &vi);
		assert_true(vi.has_sparable);
		assert_int_equal(diag.nwarnings, k == 1 ? 1 : 0);
		assert_int_equal(udf_reader_lookup(r, "/f1", &f), 0);
		assert_int_equal(udf_reader_pread(r, &f, 0, buf, sizeof(buf)), 5000);
		memset(want, 'x', sizeof(want));
		assert_memory_equal(buf, want, sizeof(want));
		udf_entry_done(&f);
		udf_reader_free(r);
		free(m.b);
	}
}

/*
 * Virtual partition (UDF 2.2.8, VAT 1.50 2.2.10 and 2.00 2.2.11): a second, virtual map on
 * the type 1 partition, a VAT as the image's new last block (an FE with the table embedded)
 * that maps virtual block 5 to the FSD, and the LVD's FSD pointer and the FSD's own tag
 * location made virtual block 5: the volume opens only through the VAT.
 */
static void put_vat(struct img *m, uint64_t at, bool v2, uint32_t fsd)
{
	uint8_t *fe = m->b + at * BS, *d = fe + UDF_FE_SIZE;
	size_t hdr = v2 ? 152 : 0, n = 16, len = hdr + 4 * n + (v2 ? 0 : 36);

	memset(fe, 0, BS);
	bfs_put_le16(fe, UDF_TAG_FE);
	bfs_put_le16(fe + 2, v2 ? 3 : 2);
	bfs_put_le32(fe + UDF_TAG_LOCATION, (uint32_t)(at - m->part));
	bfs_put_le16(fe + UDF_ICB_STRATEGY, 4);
	fe[UDF_ICB_FILE_TYPE] = v2 ? 248 : 0;
	bfs_put_le16(fe + UDF_ICB_FLAGS, 3); /* embedded */
	bfs_put_le64(fe + UDF_FE_INFO_LEN, len);
	bfs_put_le32(fe + UDF_FE_L_AD, (uint32_t)len);
	if (v2)
		bfs_put_le16(d, (uint16_t)hdr);
	for (size_t i = 0; i < n; i++)
		bfs_put_le32(d + hdr + 4 * i, i == 5 ? fsd : UINT32_MAX);
	if (!v2)
		memcpy(d + 4 * n + 1, "*UDF Virtual Alloc Tbl", 22);
	bfs_put_le16(fe + UDF_TAG_CRC_LEN, (uint16_t)(UDF_FE_SIZE + len - 16));
	retag(fe);
}

static void make_virtual(struct img *m, bool v2)
{
	uint64_t vat = m->nblocks;
	uint32_t fsd = 0;

	m->b = realloc(m->b, (vat + 1) * BS);
	assert_non_null(m->b);
	m->nblocks = vat + 1;
	for (uint64_t at = 32; at <= 48; at += 16) {
		uint8_t *pd = m->b + (at + 2) * BS, *lvd = m->b + (at + 3) * BS, *pm;

		bfs_put_le32(pd + UDF_PD_LENGTH, (uint32_t)(vat + 1 - m->part));
		retag(pd);
		fsd = bfs_get_le32(lvd + UDF_LVD_FSD + UDF_LONG_AD_LBN);
		bfs_put_le32(lvd + UDF_LVD_FSD + UDF_LONG_AD_LBN, 5);
		bfs_put_le16(lvd + UDF_LVD_FSD + UDF_LONG_AD_PART, 1);
		pm = lvd + UDF_LVD_MAPS + 6;
		memset(pm, 0, 64);
		pm[UDF_PM_TYPE] = 2;
		pm[UDF_PM_LEN] = 64;
		memcpy(pm + UDF_PM2_IDENT + 1, "*UDF Virtual Partition", 22);
		bfs_put_le16(pm + UDF_PM2_PARTNUM,
			     bfs_get_le16(lvd + UDF_LVD_MAPS + UDF_PM1_PARTNUM));
		bfs_put_le32(lvd + UDF_LVD_NMAPS, 2);
		bfs_put_le32(lvd + UDF_LVD_MAP_LEN, 6 + 64);
		bfs_put_le16(lvd + UDF_TAG_CRC_LEN, UDF_LVD_MAPS + 6 + 64 - 16);
		retag(lvd);
	}
	bfs_put_le32(m->b + (m->part + fsd) * BS + UDF_TAG_LOCATION, 5);
	retag(m->b + (m->part + fsd) * BS);
	put_vat(m, vat, v2, fsd);
}

static void test_vat(void **state)
{
	(void)state;
	for (int v2 = 0; v2 < 2; v2++) {
		struct img m;
		struct udf_reader *r = NULL;
		struct udf_volume_info vi;
		struct bfs_diag diag = {0};
		struct seen s;

		build(v2 ? 0x0201 : 0x0102, &m);
		make_virtual(&m, v2);
		assert_int_equal(udf_reader_open(mem_read, &m, m.nblocks, 0, 0, &diag, &r), 0);
		udf_reader_info(r, &vi);
		assert_true(vi.has_vat && vi.nmaps == 2);
		udf_reader_free(r);
		assert_int_equal(list(&m, "/d", &s, &diag), 0);
		assert_int_equal(s.n, 3);
		free(m.b);
	}
}

/* f1 with its first 2048 bytes in its EFE's AD and the rest in an AED's */
static void test_aed_chain(void **state)
{
	struct img m;
	struct udf_reader *r = NULL;
	struct udf_entry f = {0};
	struct bfs_diag diag = {0};
	uint8_t buf[6000], want[5000], *p, *aed;
	uint32_t first = 0, lea;
	uint64_t fe;

	(void)state;
	build(0x0201, &m);
	fe = icb_of(&m, "/", "f1", &first);
	p = m.b + fe * BS;
	lea = bfs_get_le32(p + UDF_EFE_L_EA);
	bfs_put_le32(p + UDF_EFE_SIZE + lea, BS);
	bfs_put_le32(p + UDF_EFE_SIZE + lea + 4, first);
	bfs_put_le32(p + UDF_EFE_SIZE + lea + 8, 3u << 30 | BS);
	bfs_put_le32(p + UDF_EFE_SIZE + lea + 12, (uint32_t)(m.free_block - m.part));
	bfs_put_le32(p + UDF_EFE_L_AD, 16);
	bfs_put_le16(p + UDF_TAG_CRC_LEN, (uint16_t)(UDF_EFE_SIZE + lea + 16 - 16));
	retag(p);
	put_aed(&m, m.free_block, 0);
	aed = m.b + m.free_block * BS;
	bfs_put_le32(aed + 24, 5000 - BS); /* recorded, the rest of the file */
	bfs_put_le32(aed + 28, first + 1);
	retag(aed);
	assert_int_equal(udf_reader_open(mem_read, &m, m.nblocks, 0, 0, &diag, &r), 0);
	assert_int_equal(udf_reader_lookup(r, "/f1", &f), 0);
	assert_int_equal(f.nextents, 2);
	assert_int_equal(udf_reader_pread(r, &f, 0, buf, sizeof(buf)), 5000);
	memset(want, 'x', sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	udf_entry_done(&f);
	udf_reader_free(r);
	free(m.b);
}

/* Indirect entries (4/14.7): f1's EFE moved behind one; one that points at itself */
static void put_ie(struct img *m, uint64_t at, uint32_t target)
{
	uint8_t *p = m->b + at * BS;

	memset(p, 0, BS);
	bfs_put_le16(p, UDF_TAG_IE);
	bfs_put_le16(p + 2, 3);
	bfs_put_le32(p + UDF_TAG_LOCATION, (uint32_t)(at - m->part));
	bfs_put_le16(p + UDF_ICB_STRATEGY, 4096);
	bfs_put_le32(p + UDF_IE_ICB, BS);
	bfs_put_le32(p + UDF_IE_ICB + UDF_LONG_AD_LBN, target);
	bfs_put_le16(p + UDF_TAG_CRC_LEN, UDF_IE_ICB + 16 - 16);
	retag(p);
}

static void test_indirect(void **state)
{
	struct img m;
	struct bfs_diag diag = {0};
	struct seen s;
	uint64_t fe;
	uint8_t *moved;

	(void)state;
	build(0x0201, &m);
	fe = icb_of(&m, "/", "f1", NULL);
	moved = m.b + m.free_block * BS;
	memcpy(moved, m.b + fe * BS, BS);
	bfs_put_le32(moved + UDF_TAG_LOCATION, (uint32_t)(m.free_block - m.part));
	retag(moved);
	put_ie(&m, fe, (uint32_t)(m.free_block - m.part));
	assert_int_equal(list(&m, "/", &s, &diag), 0);
	assert_int_equal(s.e[1].icb_lbn, m.free_block - m.part); /* f1, as the IE says */
	assert_int_equal(s.e[1].size, 5000);
	put_ie(&m, fe, (uint32_t)(fe - m.part));
	expect_error(&m, "/", "indirect entries loop back");
	free(m.b);
}

static void quiet(int level, const char *msg, void *userdata)
{
	(void)level, (void)msg, (void)userdata;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pristine),	cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_bad_crc),		cmocka_unit_test(test_aed_loop),
		cmocka_unit_test(test_fid_past_end),	cmocka_unit_test(test_extent_past_medium),
		cmocka_unit_test(test_names),		cmocka_unit_test(test_vdp_loop),
		cmocka_unit_test(test_metadata_mirror), cmocka_unit_test(test_devices),
		cmocka_unit_test(test_sparable),	cmocka_unit_test(test_aed_chain),
		cmocka_unit_test(test_indirect),	cmocka_unit_test(test_vat),
	};

	bfs_log_set_sink(quiet, NULL); /* the warnings the damage causes */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
