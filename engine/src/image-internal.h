/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What image.c (plan and stream), image-source.c (reading a file's source) and
 * image-write.c (the image written straight into a file) share: the plan's segments and
 * the image object. Not part of the engine's interface.
 */
#ifndef BFS_ENGINE_IMAGE_INTERNAL_H
#define BFS_ENGINE_IMAGE_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include "common/diag.h"
#include "common/extent.h"
#include "common/tree.h"
#include "engine/image.h"
#include "image-boot.h"

/*
 * A source file being read: the producer's, or one lane's of image-write.c. Reads stop at
 * the size the scan saw, holes come back as zeros, and img_src_close() fails a file that
 * changed meanwhile.
 */
struct img_src {
	int fd;				 /* the open file, or -1 */
	char path[PATH_MAX + 256];	 /* its source path */
	const struct bfs_node *dir_node; /* the directory dir_fd is open on */
	int dir_fd;			 /* O_PATH, or -1 */
	uint64_t data_end, hole_end;	 /* the data region being read: [hole_end, data_end) */
	struct bfs_diag *diag;		 /* the reading thread's own */
};

void img_src_init(struct img_src *s, struct bfs_diag *diag);
void img_src_release(struct img_src *s);
int img_src_open(struct img_src *s, struct bfs_node *f);
int img_src_read(struct img_src *s, const struct bfs_node *f, uint64_t off, uint8_t *buf,
		 size_t len);
int img_src_close(struct img_src *s, const struct bfs_node *f);
/* The data region at or after off into [hole_end, data_end) (SEEK_DATA, SEEK_HOLE). */
void img_src_seek_data(struct img_src *s, const struct bfs_node *f, uint64_t off);

enum seg_kind {
	SEG_ZERO,
	SEG_ISO,
	SEG_UDF,
	SEG_DATA,
	SEG_MEM, /* blocks made in memory by the plan (boot catalog, hybrid tables) */
};

/* 24 bytes: there is one per file and per metadata extent. */
struct seg {
	uint64_t lba : 56; /* images stay far below 2^56 blocks */
	uint64_t kind : 8; /* enum seg_kind */
	uint64_t nblocks;
	union {
		const struct bfs_extent *ext; /* SEG_ISO, SEG_UDF */
		size_t first;		      /* SEG_DATA: index in files of its first file */
		const uint8_t *mem;	      /* SEG_MEM */
	};
};

/*
 * Hasher threads: a file's SHA-256 is one sequential digest, so files are shared out
 * between them whole; two keep both cores of a small machine busy on a tree of many files
 * while the producer copies.
 */
#define NHASHERS 2

/* A piece of one file's data inside a slot, for its hasher thread's SHA-256. */
struct slot_file {
	uint32_t file; /* index in files */
	uint32_t off;  /* bytes from the slot's start */
	uint32_t bytes;
	uint8_t hasher;	  /* the thread that hashes the file */
	bool first, last; /* the file's first piece (init) and last (final) */
};

struct hasher_arg {
	struct eng_image *img;
	unsigned idx;
};

struct slot {
	uint8_t *data;
	size_t nblocks;
	struct slot_file *sf; /* the files' pieces in it (hasher thread only) */
	size_t nsf;
};

struct eng_image {
	struct eng_image_opts opts;
	struct bfs_node *root;
	struct bfs_diag *diag;
	struct iso9660_writer *iso;
	struct udf_writer *udf;
	struct bfs_volume_info vi;
	char volume_id[64];
	char application[64];
	struct eng_image_info info;
	struct eng_boot boot; /* bootable images (image-boot.h) */

	struct seg *segs;
	size_t nsegs;
	size_t segs_cap;
	/* files with data in plan order; a SEG_DATA segment covers a run of them back to back */
	struct bfs_node **files;
	size_t nfiles;
	size_t files_cap;

	/*
	 * Hashes. The chunks' XXH3 only when the caller asked opts.hashes (a burn's verify
	 * reads them), not for a manifest, which implies opts.hashes but reads only the
	 * files' SHA-256; and those only when there is a manifest to list them.
	 */
	bool want_chunks;
	struct eng_hash128 *chunks; /* one per ENG_CHUNK_BLOCKS of the image */
	size_t nchunks;
	uint8_t (*sha)[32];	   /* per entry of files */
	EVP_MD_CTX *md[NHASHERS];  /* each hasher's SHA-256 of its current file */
	uint64_t hload[NHASHERS];  /* bytes of the files given to each hasher so far */
	unsigned cur_hasher;	   /* the hasher of the producer's current file */
	struct bfs_node *manifest; /* /.burnfs/SHA256SUMS, or NULL */
	uint8_t *manifest_data;	   /* its new bytes, made when the producer reaches it */
	struct bfs_node **mlines;  /* the files it lists, in line order */
	size_t nmlines;
	struct eng_manifest_chunk *mchunks;
	size_t nmchunks;
	uint64_t *mreuse; /* per chunk: its first block in an earlier session, or CHUNK_NEW */
	bool sections_ok; /* an ISO level that allows multi-extent files */

	/* producer state */
	size_t cur_seg;
	uint64_t produced; /* blocks produced so far */
	uint64_t seg_off;  /* blocks of cur_seg already produced */
	size_t cur_file;   /* SEG_DATA: index in files of the file at seg_off */
	uint8_t *meta;	   /* rendered metadata extent */
	size_t meta_cap;
	struct img_src src;    /* the producer's source file */
	struct bfs_diag pdiag; /* producer's own diag, copied to diag on failure */

	/* ring */
	pthread_t thread;
	/*
	 * The hasher threads take the files' SHA-256 off the producer: each goes through
	 * every produced slot in order (hashed[] counts them) and hashes its files' pieces,
	 * and a slot is refilled only once it is consumed and hashed by all. Without a
	 * manifest there are none (nhashers 0).
	 */
	pthread_t hash_thread[NHASHERS];
	struct hasher_arg hargs[NHASHERS];
	unsigned nhashers; /* started */
	bool hashing;
	size_t hashed[NHASHERS];
	struct slot *cur_slot; /* the slot the producer fills */
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t can_put, can_get;
	struct slot *slots;
	size_t nslots;
	size_t slot_blocks; /* ENG_CHUNK_BLOCKS, or half of it for rings under 4 MiB */
	XXH3_state_t *xxh;  /* chunk being hashed */
	size_t head, tail;  /* produced / consumed slot counts */
	bool done, stop;
	int err;
	size_t rpos; /* blocks of the consumer's current slot already read */
	uint64_t delivered;
};

/* img->meta grown to need bytes at least (a metadata extent is rendered there whole). */
int img_meta_reserve(struct eng_image *img, size_t need);

/*
 * The manifest's new bytes, once every file's SHA-256 is known: whole into
 * img->manifest_data (the stream), or part by part (image-write.c): its chunks, then its
 * trailer block; a part's length (whole blocks) is 0 when an earlier session holds it.
 */
int img_manifest_make(struct eng_image *img);
size_t img_manifest_parts(const struct eng_image *img);
size_t img_manifest_part_len(const struct eng_image *img, size_t i);
int img_manifest_part(struct eng_image *img, size_t i, uint8_t *out);

#endif
