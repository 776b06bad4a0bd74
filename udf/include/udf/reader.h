/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bounds-checked UDF reader (ECMA-167 3rd edition, OSTA UDF 1.02 to 2.60), for importing
 * earlier sessions, verifying and listing discs and images, ours and others'.
 *
 *	udf_reader_open()     anchors, volume descriptors, partition maps, file set
 *	udf_reader_root()     the root directory as an entry
 *	udf_reader_readdir()  the entries of a directory, one callback each
 *	udf_reader_lookup()   an entry by path ("/a/b")
 *	udf_reader_pread()    bytes of a regular file
 *
 * Partition maps: type 1, sparable (sparing table), metadata (the mirror file when the
 * main one is damaged) and virtual (VAT 1.50 and 2.00, read-only). Entries: File Entries
 * and Extended File Entries with short, long, extended or embedded allocation descriptors
 * and chains of Allocation Extent Descriptors; ICB strategies 4 and 4096.
 *
 * Blocks come from a caller's read function in 2048-byte sectors (a file, a drive), so the
 * reader never touches a device. Everything read from the medium is untrusted: every
 * descriptor's tag checksum, CRC and location are checked, every count the image controls
 * has a cap (AED chains, VDS pointers, ICB indirections, directory size, entries, extents,
 * names), extents are checked against their partition and the medium in 64-bit arithmetic,
 * and malformed data ends the call with -EUCLEAN (BFS_EFSCORRUPTED) and a message naming
 * the descriptor and its block, never with a crash or a hang. Not thread-safe.
 */
#ifndef UDF_READER_H
#define UDF_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"
#include "common/tree.h"
#include "udf/layout.h"

/* Read nsectors 2048-byte sectors at absolute sector lba into buf: 0, or a negative errno. */
typedef int (*udf_read_fn)(void *userdata, uint64_t lba, uint32_t nsectors, uint8_t *buf);

/* Caps on what an image may make the reader hold or do (STYLE.md rule 30). */
#define UDF_NAME_MAX	    1023u	/* bytes of a name in UTF-8 */
#define UDF_TARGET_MAX	    4095u	/* bytes of a symlink target */
#define UDF_EXTENTS_MAX	    65536u	/* extents of one file */
#define UDF_AED_HOPS_MAX    4096u	/* allocation extent descriptors of one file */
#define UDF_ICB_HOPS_MAX    64u		/* indirect entries followed for one ICB */
#define UDF_VDS_HOPS_MAX    16u		/* volume descriptor pointers in one sequence */
#define UDF_VDS_BLOCKS_MAX  256u	/* blocks of one volume descriptor sequence */
#define UDF_DIR_MAX	    (64u << 20) /* bytes of one directory */
#define UDF_DIR_ENTRIES_MAX (1u << 20)	/* entries of one directory */
#define UDF_VAT_MAX	    (64u << 20) /* bytes of a virtual allocation table */
#define UDF_SPARING_MAX	    (1u << 16)	/* bytes of a sparing table */
#define UDF_PATH_DEPTH_MAX  1024u	/* components of a path udf_reader_lookup() takes */
#define UDF_MAPS_MAX	    8u		/* partition maps of a logical volume */

enum udf_ext_kind {
	UDF_EXT_RECORDED,   /* allocated and recorded */
	UDF_EXT_UNRECORDED, /* allocated, not recorded: reads as zeros */
	UDF_EXT_SPARSE,	    /* neither: reads as zeros */
};

/* A part of a file's data, in the order of the file. */
struct udf_extent {
	uint64_t off;  /* byte offset in the file */
	uint32_t len;  /* bytes */
	uint32_t lbn;  /* block in partition part */
	uint16_t part; /* partition reference number (the map's index) */
	uint8_t kind;  /* enum udf_ext_kind */
};

struct udf_entry {
	char name[UDF_NAME_MAX + 1]; /* UTF-8 from OSTA CS0, sanitised; "" for the root */
	size_t name_len;
	bool name_changed; /* '/', NUL, "." / "..", or bad UTF-16 replaced (a warning said so) */
	bool hidden;	   /* the FID's existence bit */
	enum bfs_node_type type;
	uint8_t file_type; /* ICB file type as recorded (4/14.6.6) */
	bool efe;	   /* an Extended File Entry */
	uint32_t mode;	   /* 07777 */
	uint32_t uid, gid, nlink;
	uint64_t size;
	uint64_t unique_id;
	uint32_t rdev_major, rdev_minor; /* devices: their Device Specification attribute */
	struct bfs_time atime, mtime, ctime, btime; /* ctime: attribute time; btime: EFE only */
	uint16_t icb_part;
	uint32_t icb_lbn;
	char *target;		/* symlink target (malloc'd), NULL otherwise */
	uint8_t *inline_data;	/* data embedded in the ICB (malloc'd), NULL otherwise */
	struct udf_extent *ext; /* malloc'd */
	size_t nextents;
};

/* Free what an entry holds and zero it; the entry itself is the caller's. */
void udf_entry_done(struct udf_entry *e);

struct udf_volume_info {
	char volume_id[512];   /* the logical volume identifier, UTF-8 */
	uint32_t block_size;   /* 512, 1024, 2048 or 4096 */
	uint16_t udf_revision; /* the LVD's domain suffix: 0x0102, 0x0150, 0x0201, 0x0250... */
	uint64_t anchor;       /* block of the anchor used */
	unsigned nmaps;
	bool has_sparable, has_metadata, has_vat;
	bool metadata_mirror_used; /* the main metadata file was damaged */
	/* the first physical (type 1) partition's first block, absolute; has_phys if any */
	bool has_phys;
	uint64_t phys_start;
};

struct udf_reader;

/*
 * Open the UDF volume of the session starting at sector session_start of a medium of
 * total_sectors 2048-byte sectors. block_size: 512, 1024, 2048 or 4096 (hard disc images,
 * the 4096-byte blocks of macOS), or 0 to find it from the anchors, 2048 first. Anchors are
 * looked for at session_start + 256 blocks, N - 256 and N - 1 (N the medium's last block
 * + 1); the main VDS, else the reserve one. For an earlier session of a multisession
 * medium, total_sectors is that session's end (its VAT is its last block). read/userdata
 * are borrowed until udf_reader_free(). -EUCLEAN with a message when no valid volume is
 * found.
 */
int udf_reader_open(udf_read_fn read, void *userdata, uint64_t total_sectors,
		    uint64_t session_start, uint32_t block_size, struct bfs_diag *diag,
		    struct udf_reader **ret) BFS_WARN_UNUSED;
struct udf_reader *udf_reader_free(struct udf_reader *r);
BFS_DEFINE_FREEP(struct udf_reader, udf_reader_free)

void udf_reader_info(const struct udf_reader *r, struct udf_volume_info *ret);

/*
 * Where later failures are recorded from now on (NULL: the reader's own): a caller that
 * opened the reader with a diag of a narrower scope hands it a longer-lived one.
 */
void udf_reader_set_diag(struct udf_reader *r, struct bfs_diag *diag);

/* The root directory. The caller owns *ret and releases it with udf_entry_done(). */
int udf_reader_root(struct udf_reader *r, struct udf_entry *ret) BFS_WARN_UNUSED;

/*
 * Call fn for each entry of directory dir (the parent and deleted FIDs left out). The entry
 * passed to fn is borrowed for the call. A non-zero return from fn stops the walk and is
 * returned. Walking a tree is the caller's: a directory may name an ancestor, so a caller
 * that recurses keeps the (icb_part, icb_lbn) of the directories it is in.
 */
typedef int (*udf_dir_fn)(const struct udf_entry *e, void *userdata);
int udf_reader_readdir(struct udf_reader *r, const struct udf_entry *dir, udf_dir_fn fn,
		       void *userdata) BFS_WARN_UNUSED;

/* The entry at path ("/" is the root). -ENOENT, -ENOTDIR. *ret as for _root(). */
int udf_reader_lookup(struct udf_reader *r, const char *path,
		      struct udf_entry *ret) BFS_WARN_UNUSED;

/*
 * UDF 2.50+: the runs of the metadata file (copy 0) or of its mirror (copy 1) as blocks of
 * the physical partition under the metadata partition, at most cap into ret, *n of them,
 * and the file's length in blocks in *blocks; a run neither recorded nor allocated (a gap of
 * a linear metadata file) has lbn UDF_RUN_HOLE. -ENOENT without a metadata partition (or
 * without a mirror, copy 1), -EXDEV when a run is allocated but not recorded or not whole
 * blocks, -E2BIG with more than cap runs.
 */
int udf_reader_metadata_runs(const struct udf_reader *r, unsigned copy, struct udf_run *ret,
			     size_t cap, size_t *n, uint64_t *blocks) BFS_WARN_UNUSED;

/*
 * Where the data of regular file e lies on the medium, when it is one run of recorded
 * 2048-byte blocks: *abs, its first absolute block. -EXDEV when it is not (embedded in its
 * ICB, more than one run, an unrecorded or sparse extent, a block size other than 2048), a
 * negative errno when a block cannot be mapped. For files of size 0, -ENODATA.
 */
int udf_reader_file_extent(struct udf_reader *r, const struct udf_entry *e,
			   uint64_t *abs) BFS_WARN_UNUSED;

/*
 * Up to len bytes of file e (a regular file; a directory's or symlink's raw data too) from
 * offset off into buf: the number of bytes read (0 at the end), or a negative errno.
 */
int64_t udf_reader_pread(struct udf_reader *r, const struct udf_entry *e, uint64_t off, void *buf,
			 size_t len) BFS_WARN_UNUSED;

#endif
