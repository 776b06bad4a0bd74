/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the UDF reader's files share: the reader, its partition maps, block access. */
#ifndef UDF_READER_INTERNAL_H
#define UDF_READER_INTERNAL_H

#include "common/bytes.h"
#include "udf/layout.h"
#include "udf/reader.h"

enum udf_map_kind {
	UDF_MAP_PHYS,
	UDF_MAP_SPARABLE,
	UDF_MAP_METADATA,
	UDF_MAP_VIRTUAL,
};

struct udf_spare {
	uint32_t orig;	 /* first block of a packet, in the partition */
	uint32_t mapped; /* its replacement, a block of the volume */
};

struct udf_map {
	enum udf_map_kind kind;
	uint16_t partnum;
	uint64_t start, len; /* the partition descriptor's, in blocks */
	/* sparable */
	uint16_t packet;
	struct udf_spare *spares;
	size_t nspares;
	/* metadata: extents of the metadata file and its mirror, in map under */
	struct udf_extent *meta[2];
	size_t nmeta[2];
	bool has_mirror;
	uint16_t under;
	/* virtual: the VAT, blocks of map under */
	uint32_t *vat;
	uint32_t nvat;
};

struct udf_reader {
	udf_read_fn read;
	void *userdata;
	struct bfs_diag *diag; /* the caller's, or own_diag */
	struct bfs_diag own_diag;
	uint32_t bs;	  /* block size */
	uint64_t nblocks; /* blocks of the medium */
	uint64_t session; /* first block of the session */
	uint64_t anchor;
	uint16_t revision;
	char volume_id[512];
	struct udf_map maps[UDF_MAPS_MAX];
	unsigned nmaps;
	unsigned meta_copy; /* 0 main metadata file, 1 its mirror (after damage) */
	uint16_t fsd_part;
	uint32_t fsd_lbn;
	uint8_t *scratch; /* one block, for udf_reader_pread() */
	uint16_t root_part;
	uint32_t root_lbn;
};

/* Absolute block of the volume: read n blocks. */
int udf_read_abs(struct udf_reader *r, uint64_t block, uint32_t n, uint8_t *buf) BFS_WARN_UNUSED;

/*
 * Map block lbn of partition reference part to a block of the volume: *abs, and in *run the
 * number of blocks from it (at most want, at least 1) that follow on the medium.
 */
int udf_map_block(struct udf_reader *r, uint16_t part, uint32_t lbn, uint32_t want, uint64_t *abs,
		  uint32_t *run) BFS_WARN_UNUSED;

/*
 * Check a descriptor read into b (bs bytes): tag checksum, identifier (one of ids, nids),
 * location, CRC. what/where name it in the message. Returns its identifier.
 */
int udf_tag_check(struct udf_reader *r, const uint8_t *b, size_t avail, const uint16_t *ids,
		  size_t nids, uint32_t location, const char *what, uint64_t where) BFS_WARN_UNUSED;

/* Read and check the one-block descriptor at (part, lbn); a metadata partition's mirror is
 * tried when the main file's copy is damaged. Returns the identifier found. */
int udf_read_desc(struct udf_reader *r, uint16_t part, uint32_t lbn, const uint16_t *ids,
		  size_t nids, const char *what, uint8_t *b) BFS_WARN_UNUSED;

/* The (E)FE at (part, lbn), following indirect entries, into e (name left alone). */
int udf_load_entry(struct udf_reader *r, uint16_t part, uint32_t lbn,
		   struct udf_entry *e) BFS_WARN_UNUSED;

/*
 * Allocation descriptors at ad (len bytes, form 0 short, 1 long, 2 extended) of an ICB in
 * partition part, with their AED chain, appended to e->ext up to e->size bytes.
 */
int udf_load_ads(struct udf_reader *r, struct udf_entry *e, const uint8_t *ad, size_t len,
		 unsigned form, uint16_t part) BFS_WARN_UNUSED;

/*
 * OSTA CS0 (compression ID 8/254 or 16/255 and the characters) to UTF-8 in out (cap bytes
 * and a NUL): the length, or -1 for an unknown compression ID. *bad: a UTF-16 unit had no
 * pair (replaced with U+FFFD).
 */
long udf_cs0_to_utf8(const uint8_t *in, size_t len, char *out, size_t cap, bool *bad);

/* A symlink's path components (4/14.16) as a path, into e->target */
int udf_symlink_target(struct udf_reader *r, struct udf_entry *e) BFS_WARN_UNUSED;

/* A dstring field (CS0, its length in its last byte) to UTF-8. */
void udf_dstring(const uint8_t *p, size_t n, char *out, size_t cap);

/* The logical volume's maps: the VAT, the sparing tables, the metadata files. */
int udf_maps_load(struct udf_reader *r, const uint8_t *const *pms) BFS_WARN_UNUSED;
void udf_maps_free(struct udf_reader *r);

/* Anchor, VDS, maps, file set of the session at sector start of a total-sector medium */
int udf_volume_open(struct udf_reader *r, uint64_t total, uint64_t start,
		    uint32_t block_size) BFS_WARN_UNUSED;

#endif
