/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bounds-checked ISO 9660 reader with Joliet and Rock Ridge (SUSP 1.12, RRIP 1.10/1.12),
 * for verifying discs, importing earlier sessions and listing images.
 *
 *	iso9660_reader_open()     find the volume descriptors of a session, pick a view
 *	iso9660_reader_root()     the root directory as an entry
 *	iso9660_reader_readdir()  the entries of a directory, one callback each
 *	iso9660_reader_lookup()   an entry by path ("/a/b")
 *	iso9660_reader_pread()    bytes of a regular file
 *
 * Blocks come from a caller's read function (a file, an image stream or a drive), so the
 * reader never touches a device itself. Everything read from the medium is untrusted:
 * lengths are checked before use, every count an image controls has a cap (directory size,
 * entries, continuation areas, name and link lengths, extents per file), and malformed data
 * ends the call with -EUCLEAN (BFS_EFSCORRUPTED) and a message naming the record, never with
 * a crash or a hang. Not thread-safe.
 */
#ifndef BFS_ISO9660_READER_H
#define BFS_ISO9660_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"
#include "common/tree.h"

/* Read nblocks 2048-byte blocks at absolute block lba into buf: 0, or a negative errno. */
typedef int (*iso9660_read_fn)(void *userdata, uint64_t lba, uint32_t nblocks, uint8_t *buf);

enum iso9660_view {
	ISO9660_VIEW_AUTO,	/* Rock Ridge when present, else Joliet, else plain */
	ISO9660_VIEW_ROCKRIDGE, /* the primary tree with its Rock Ridge entries */
	ISO9660_VIEW_JOLIET,	/* the Joliet tree */
	ISO9660_VIEW_PLAIN,	/* the primary tree, Rock Ridge ignored */
};

struct iso9660_reader_opts {
	uint64_t session_start; /* the session's first block; descriptors start 16 later */
	enum iso9660_view view;
};

struct iso9660_volume_info {
	char volume_id[33]; /* primary volume identifier, trailing spaces removed */
	uint64_t volume_blocks;
	bool has_joliet, has_rockridge;
	enum iso9660_view view; /* the one in use */
};

/* The location of a part of a file's data. */
struct iso9660_extent {
	uint64_t lba;
	uint64_t len; /* bytes */
};

/* Caps on what an image may make the reader hold (STYLE.md rule 30). */
#define ISO9660_NAME_MAX    1023u	 /* bytes of a name (Rock Ridge NM pieces joined) */
#define ISO9660_TARGET_MAX  4095u	 /* bytes of a symlink target */
#define ISO9660_EXTENTS_MAX 1024u	 /* records of one multi-extent file */
#define ISO9660_DIR_MAX	    (64u << 20)	 /* bytes of one directory extent */
#define ISO9660_CE_MAX	    (64u * 1024) /* continuation bytes of one record */
#define ISO9660_CE_HOPS_MAX 32u		 /* continuation areas of one record */

struct iso9660_entry {
	char name[ISO9660_NAME_MAX + 1]; /* UTF-8 for Joliet, raw bytes for Rock Ridge */
	size_t name_len;
	enum bfs_node_type type;
	uint32_t mode; /* 07777 bits: from PX, else 0555 / 0444 */
	uint32_t uid, gid, nlink;
	uint64_t ino; /* PX serial number, else the first extent's block */
	uint64_t size;
	struct bfs_time mtime, atime, ctime;
	uint32_t rdev_major, rdev_minor;
	bool hidden; /* existence flag */
	/*
	 * zisofs (Rock Ridge ZF, the "pz" algorithm of mkzftree and libisofs): size is the
	 * uncompressed size from the ZF entry, the extents hold the compressed form, and
	 * pread() inflates it, checking the header, every block pointer and every block's
	 * length. Another algorithm, or a block size other than 2^15 to 2^17, makes pread()
	 * fail with a message.
	 */
	bool compressed;
	char zf_algorithm[2];
	uint8_t zf_header_words; /* header size in 4-byte words */
	uint8_t zf_block_log2;
	char *target;		    /* symlink target (malloc'd), NULL otherwise */
	struct iso9660_extent *ext; /* regular files and directories (malloc'd) */
	size_t nextents;
};

/* Free what an entry holds (target, extents) and zero it; the entry itself is the caller's. */
void iso9660_entry_done(struct iso9660_entry *e);

struct iso9660_reader;

/*
 * Open the session at opts->session_start. read/userdata are borrowed and must stay valid
 * until iso9660_reader_free(). -EUCLEAN with a message when no valid primary volume
 * descriptor is found, -ENOENT when the requested view is not on the volume.
 */
int iso9660_reader_open(iso9660_read_fn read, void *userdata,
			const struct iso9660_reader_opts *opts, struct bfs_diag *diag,
			struct iso9660_reader **ret) BFS_WARN_UNUSED;
struct iso9660_reader *iso9660_reader_free(struct iso9660_reader *r);
BFS_DEFINE_FREEP(struct iso9660_reader, iso9660_reader_free)

void iso9660_reader_info(const struct iso9660_reader *r, struct iso9660_volume_info *ret);

/* The root directory. The caller owns *ret and releases it with iso9660_entry_done(). */
int iso9660_reader_root(struct iso9660_reader *r, struct iso9660_entry *ret) BFS_WARN_UNUSED;

/*
 * Call fn for each entry of directory dir ("." and ".." and Rock Ridge relocation
 * directories left out, multi-extent records joined into one entry). The entry passed to
 * fn is borrowed for the call. A non-zero return from fn stops the walk and is returned.
 */
typedef int (*iso9660_dir_fn)(const struct iso9660_entry *e, void *userdata);
int iso9660_reader_readdir(struct iso9660_reader *r, const struct iso9660_entry *dir,
			   iso9660_dir_fn fn, void *userdata) BFS_WARN_UNUSED;

/* The entry at path ("/" is the root). -ENOENT, -ENOTDIR. *ret as for _root(). */
int iso9660_reader_lookup(struct iso9660_reader *r, const char *path,
			  struct iso9660_entry *ret) BFS_WARN_UNUSED;

/*
 * Up to len bytes of regular file e from offset off into buf: the number of bytes read (0
 * at the end), or a negative errno: -EUCLEAN for damaged data (zisofs included),
 * -EOPNOTSUPP for a zisofs algorithm or block size that does not exist.
 */
int64_t iso9660_reader_pread(struct iso9660_reader *r, const struct iso9660_entry *e, uint64_t off,
			     uint8_t *buf, size_t len) BFS_WARN_UNUSED;

#endif
