/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The layout of a session's manifest, /.burnfs/SHA256SUMS (ARCHITECTURE.md, "A session also
 * carries a manifest"): one `sha256sum -c` line per regular file of the whole tree, in tree
 * order, grouped into chunks so that an append writes only the chunks that changed and
 * points at the earlier session's blocks for the others.
 *
 * A chunk ends after a line whose path (without its leading '/') hashes (XXH64, seed 0) to 0
 * modulo ENG_MANIFEST_K, or before a line that would take it past ENG_MANIFEST_CHUNK_MAX
 * bytes (a longer line is a chunk alone): boundaries depend on the paths only, so inserting,
 * removing or changing one line changes its chunk and no other (the cap aside). Each chunk
 * is padded to whole 2048-byte blocks by one comment line, '#', spaces, '\n' (GNU sha256sum
 * -c, --strict too, skips lines starting with '#'); when one byte is left, the comment runs
 * into the next block. The manifest ends with a block of its own, one comment line naming
 * the session's first block: it differs in every session, so the manifest's last extent
 * always lies in the session that wrote it (what tells it from a copy another program
 * carried over).
 *
 * An append points at the chunks of the last session's manifest it has unchanged (one run
 * of them, one after another on the disc) and writes the others: the file is that run, then
 * the new chunks in tree order, then the trailer (engine/src/image.c, manifest_sections()
 * says why). A first session's manifest is its chunks in tree order. Either way every line
 * is there once and `sha256sum -c` does not care about their order.
 */
#ifndef BFS_ENGINE_MANIFEST_H
#define BFS_ENGINE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENG_MANIFEST_K	       256u	   /* lines per chunk on average */
#define ENG_MANIFEST_CHUNK_MAX (64u << 10) /* bytes of lines of a chunk at most */

/*
 * One `sha256sum` line for path (without its leading '/') into out (NULL: measure only);
 * returns its length. Like GNU coreutils: a name holding '\\' or a newline is escaped and
 * the line starts with a backslash.
 */
size_t eng_manifest_line(const char *path, const uint8_t sha[32], char *out);

/* Whether a chunk ends after the line of path. */
bool eng_manifest_ends_chunk(const char *path);

/* A chunk of the manifest: lines [first, first + nlines), then padding. */
struct eng_manifest_chunk {
	size_t first;
	size_t nlines;
	uint64_t off;	  /* bytes from the manifest's start */
	uint64_t content; /* bytes of its lines */
	uint64_t blocks;  /* with its padding */
};

/*
 * The chunks of n lines of lengths len[i], ending chunks after the lines with ends[i]:
 * *ret (malloc'd, the caller frees), *ret_n. Returns 0 or -ENOMEM.
 */
int eng_manifest_chunks(const uint32_t *len, const bool *ends, size_t n,
			struct eng_manifest_chunk **ret, size_t *ret_n);

/* The padding comment after content bytes of a chunk into out: returns its length. */
size_t eng_manifest_pad(uint64_t content, char *out);

/* The last block, a comment naming the session's first block, into out (2048 bytes). */
void eng_manifest_trailer(uint64_t session_start, char *out);

#endif
