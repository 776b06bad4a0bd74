/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image engine: snapshot a set of sources into a tree, plan a hybrid ISO 9660 /
 * Joliet / Rock Ridge / UDF layout over one block cursor, and stream the image as whole
 * 2048-byte blocks (ARCHITECTURE.md, data flow steps 1-3).
 *
 *	eng_scan()          sources -> finalized tree (lstat snapshot of every node)
 *	eng_image_new()     tree + options -> plan (every address fixed, nothing read yet)
 *	eng_stream_start()  producer thread: writers' metadata + file data into a ring buffer
 *	eng_stream_read()   pull whole blocks until 0 (end) or a negative errno
 *
 * A source file whose size or mtime differs from the snapshot when it is read fails the
 * stream with its path. Same tree + same SOURCE_DATE_EPOCH gives the same bytes.
 */
#ifndef ENGINE_IMAGE_H
#define ENGINE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/diag.h"
#include "common/tree.h"

enum eng_media {
	ENG_MEDIA_CD,
	ENG_MEDIA_DVD,
	ENG_MEDIA_BD,
};

/* One source: a path and where it goes in the image ("/" merges a directory's contents). */
struct eng_source {
	const char *path;
	const char *dest; /* absolute image path; NULL = "/" for directories, "/NAME" else */
};

struct eng_scan_opts {
	const char *const *excludes; /* fnmatch(3) globs, matched against names and image paths */
	size_t nexcludes;
	bool have_epoch; /* SOURCE_DATE_EPOCH given: clamp times to it */
	int64_t epoch;
	/*
	 * The file the image will be written to, or NULL. The scan refuses it with -EINVAL
	 * and a message naming both paths when it is a source or inside a source tree, by
	 * identity (st_dev, st_ino), however it is spelled: an existing output that is a
	 * source or any file of the trees (hard links, symlinks followed), or an output
	 * whose directory or one of that directory's ancestors is a source directory or a
	 * directory of the trees (symlinked and bind-mounted paths). "-" is standard
	 * output: only a regular file open there is compared. -EINVAL too for an existing
	 * output that is a device, FIFO or socket (the rename into place would replace the
	 * node); -ENOENT when the output's directory does not exist.
	 */
	const char *output;
};

/*
 * Build a finalized tree from sources. Symlinks inside the sources are recorded, not
 * followed; a source given by the user that is a symlink is followed. A directory that is
 * its own ancestor (bind mounts) is an error naming both paths.
 */
int eng_scan(const struct eng_source *srcs, size_t nsrcs, const struct eng_scan_opts *opts,
	     struct bfs_diag *diag, struct bfs_node **ret) BFS_WARN_UNUSED;

struct udf_prior;

/*
 * A bootable image (El Torito, iso9660/eltorito.h; hybrid, iso9660/hybrid.h). Boot files
 * are files of the image, named by their image path; the image must start at block 0 (a
 * first session: many BIOSes boot only that one). Each problem is an -EINVAL naming the
 * option and the path at fault.
 */
struct eng_boot_opts {
	/*
	 * x86 BIOS, no emulation, 4 sectors loaded at 07C0h, the boot info table patched into
	 * bytes 8-63 of the file as stored (isolinux.bin); at most ENG_BOOT_BIOS_MAX bytes.
	 */
	const char *bios;
	/* UEFI: a FAT file system image, platform EFh, sector count its size (0 over 65535) */
	const char *efi;
	/*
	 * The catalog shown in the trees as this image path (a 2048-byte file); NULL: hidden,
	 * in no tree, found through the boot record only (xorriso's --boot-catalog-hide).
	 */
	const char *catalog;
	/*
	 * An MBR (the template's boot code, which loads the BIOS boot file) and a GPT whose
	 * EFI system partition is the EFI image, the backup GPT in the image's last blocks.
	 * Needs bios (an isohybrid-capable file: magic 7078C0FBh at byte 64).
	 */
	bool hybrid;
	const char *hybrid_mbr;	 /* the template's host path; NULL: ENG_BOOT_MBR_DEFAULT */
	const uint8_t *mbr_code; /* the template's 432 bytes of code instead (a replay's) */
};

/*
 * --boot-replay ISO: the boot setup of an existing image, read with burnfs's own readers:
 * the image paths of its BIOS and EFI boot files (the files whose data its catalog's
 * entries point at), its catalog's path when a tree shows it, and whether it is hybrid
 * (an MBR whose boot field points at the BIOS file) with the MBR's boot code. A new image
 * made with eng_boot_replay_opts() has the same setup; every address, the boot info
 * table, the MBR's fields and the GPTs are made anew for it; the volume identifier is
 * kept too. The boot files must be in the
 * new tree at the same paths (the ISO's tree extracted and given as a source, plus the new
 * files). -EINVAL for an ISO without a boot record, -EOPNOTSUPP for entries burnfs does
 * not write (emulation, other platforms, hidden images), each naming the ISO.
 */
struct eng_boot_replay {
	char *bios, *efi, *catalog; /* image paths (owned), NULL when none */
	bool hybrid;
	uint8_t mbr_code[432];
	/* its volume identifier: kept unless --volid says another (loaders search by it) */
	char volume_id[33];
};

int eng_boot_replay_read(const char *iso, struct eng_boot_replay *ret,
			 struct bfs_diag *diag) BFS_WARN_UNUSED;
void eng_boot_replay_done(struct eng_boot_replay *r);
/* Boot options that make that setup again; borrow r's strings and code. */
void eng_boot_replay_opts(const struct eng_boot_replay *r, struct eng_boot_opts *o);

#define ENG_BOOT_BIOS_MAX    (32u << 20)
#define ENG_BOOT_MBR_DEFAULT "/usr/lib/ISOLINUX/isohdpfx.bin"

struct eng_image_opts {
	enum eng_media media;
	bool iso9660, joliet, rockridge, udf; /* all false: the per-media defaults */
	uint16_t udf_rev;		      /* 0: per media */
	/*
	 * 0: per media (2; 3 when a file >= 4 GiB or the manifest keeps chunks of an earlier
	 * session: multi-extent files). 2 given: the manifest is written whole.
	 */
	unsigned iso_level;
	const char *volume_id; /* NULL: "BURNFS" */
	bool rr_relocate;      /* Rock Ridge relocation of deep directories instead of deep paths */
	bool have_epoch;
	int64_t epoch;
	size_t ring_bytes; /* 0: 64 MiB */
	/*
	 * eng_image_write_fd(): write through the page cache. By default file data goes
	 * around it (O_DIRECT) where the file system takes that (image-write.c says why).
	 */
	bool page_cache;
	/*
	 * First block of the session on the medium (the next writable address): every
	 * address in the image is absolute, the stream starts there.
	 */
	uint64_t start_lba;
	/*
	 * The medium's write unit in blocks (0 or 1: none): the session is padded with zeros
	 * to a multiple of it, and the closing UDF anchor sits at its last block, where
	 * ECMA-167 3/8.4.2.1 has readers look for it.
	 */
	unsigned align;
	/*
	 * Add the manifest /.burnfs/SHA256SUMS (hidden in ISO 9660, Joliet and UDF) to the
	 * tree: one `sha256sum -c` line per regular file, paths relative to the root. Its data
	 * is the last file of the image, so every other file has been hashed when it is made.
	 * The files' SHA-256 only: the chunks' XXH3 need hashes as well.
	 */
	bool manifest;
	/* Hash while streaming: XXH3-128 per ENG_CHUNK_BLOCKS chunk (eng_image_chunk_hashes). */
	bool hashes;
	/*
	 * Appending (engine/append.h): the tree holds BFS_NODE_PRIOR files, whose data an
	 * earlier session holds. prior_sha gives each one's SHA-256 for the manifest (NULL
	 * for none: a bug, as the importer hashes every file it keeps); udf_partition_start
	 * is the absolute first block of the UDF partition, at or below every prior file's
	 * data (the IMAPI layout: the first session's partition start) when
	 * has_udf_partition_start, else the default (right after the anchor at start + 256).
	 */
	const uint8_t *(*prior_sha)(const struct bfs_node *n, void *userdata);
	void *prior_userdata;
	bool has_udf_partition_start;
	uint64_t udf_partition_start;
	/* the earlier UDF volume, whose file entries unchanged files keep (udf/writer.h) */
	const struct udf_prior *udf_prior;
	/*
	 * Appending: where an earlier session holds exactly bytes[0..len) (a chunk of its
	 * manifest, engine/manifest.h, len a multiple of 2048): 0 and its first block in
	 * *ret_lba, or -ENOENT. The new manifest points at those blocks for that chunk (a
	 * section, common/tree.h) instead of writing it again. NULL: every chunk is written.
	 */
	int (*manifest_chunk)(const uint8_t *bytes, size_t len, void *userdata, uint64_t *ret_lba);
	void *manifest_userdata;
	struct eng_boot_opts boot; /* all NULL/false: not bootable */
};

/* Verify granularity: 1 MiB of the image, counted from its first block. */
#define ENG_CHUNK_BLOCKS 512u

struct eng_hash128 {
	uint64_t hi, lo;
};

struct eng_image;

/* What the plan chose, for summaries. */
struct eng_image_info {
	uint64_t start_lba; /* absolute address of the stream's first block */
	uint64_t blocks;    /* image length in 2048-byte blocks */
	bool iso9660, joliet, rockridge, udf;
	unsigned iso_level;
	uint16_t udf_rev;
	struct bfs_tree_stats stats;
	uint64_t manifest_blocks; /* the manifest's blocks */
	uint64_t manifest_kept;	  /* ... of them an earlier session holds (not written) */
};

/* Plan an image over root (borrowed; must outlive the image). */
int eng_image_new(const struct eng_image_opts *opts, struct bfs_node *root, struct bfs_diag *diag,
		  struct eng_image **ret) BFS_WARN_UNUSED;
struct eng_image *eng_image_free(struct eng_image *img);
BFS_DEFINE_FREEP(struct eng_image, eng_image_free)

void eng_image_info(const struct eng_image *img, struct eng_image_info *ret);

/*
 * Write the whole image into fd (a regular file, opened for writing, empty) without the
 * stream: metadata rendered first, then file data read, hashed for the manifest and written
 * by a few threads at once, each file at its place (image-write.c), by default around the
 * page cache (opts.page_cache); without a manifest and through the page cache, copied
 * inside the kernel (copy_file_range). Blocks the plan leaves zero and holes of sparse
 * files are not written: the caller sizes the file. Same bytes as the stream. Not with
 * opts.hashes (the chunks' XXH3 need the data in order: use the stream). progress (may be
 * NULL) gets the blocks done so far every 0.2 s and at the end, on the calling thread; a
 * negative return stops the copy with -ECANCELED (the engine's progress contract, as
 * eng_burn_progress_fn: a caller cancelling from elsewhere has it read an atomic flag).
 */
typedef int (*eng_progress_fn)(uint64_t done, uint64_t total, void *userdata);
int eng_image_write_fd(struct eng_image *img, int fd, eng_progress_fn progress,
		       void *userdata) BFS_WARN_UNUSED;

/* Start the producer thread. */
int eng_stream_start(struct eng_image *img) BFS_WARN_UNUSED;

/*
 * Copy up to nblocks whole blocks of the image into buf. Returns the number of blocks
 * copied (> 0), 0 at the end of the image, or a negative errno with the cause in the
 * image's diag. Blocks come in order, from LBA 0.
 */
ssize_t eng_stream_read(struct eng_image *img, uint8_t *buf, size_t nblocks) BFS_WARN_UNUSED;

/*
 * Zero-copy form of eng_stream_read(): point *ret_buf at the next produced blocks inside
 * the ring (at most nblocks of them) and return how many there are (> 0), 0 at the end, or
 * a negative errno. The blocks stay valid and in place until eng_stream_consume(), which
 * must follow before the next peek or read.
 */
ssize_t eng_stream_peek(struct eng_image *img, size_t nblocks,
			const uint8_t **ret_buf) BFS_WARN_UNUSED;

/* Release n (<= the last peek's count) blocks to the producer. */
void eng_stream_consume(struct eng_image *img, size_t n);

/*
 * With opts.hashes: the XXH3-128 of each ENG_CHUNK_BLOCKS chunk of the image (the last one
 * may be short), *ret_n of them. Borrowed, valid until eng_image_free(); complete once the
 * stream has ended (eng_stream_read/peek returned 0); before that, the chunks delivered so
 * far are final. NULL without opts.hashes.
 */
const struct eng_hash128 *eng_image_chunk_hashes(const struct eng_image *img, size_t *ret_n);

/*
 * The files whose data lies in blocks [lba, lba + n) of the image, for naming what a
 * verify mismatch hit: calls fn for each (file node, first and last image LBA of the file).
 */
typedef void (*eng_file_range_fn)(const struct bfs_node *file, uint64_t first, uint64_t last,
				  void *userdata);
void eng_image_files_in(const struct eng_image *img, uint64_t lba, uint64_t n, eng_file_range_fn fn,
			void *userdata);

/* How full the ring is, in percent of its slots (for progress displays). */
unsigned eng_stream_fill(struct eng_image *img);

/* Blocks delivered so far. */
uint64_t eng_stream_pos(const struct eng_image *img);

#endif
