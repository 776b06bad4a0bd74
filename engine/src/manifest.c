/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manifest's lines and chunks: engine/manifest.h. */
#include "engine/manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/extent.h"
#include "common/macro.h"

size_t eng_manifest_line(const char *path, const uint8_t sha[32], char *out)
{
	static const char hex[] = "0123456789abcdef";
	bool esc = strpbrk(path, "\\\n") != NULL;
	size_t o = 0;

	if (esc) {
		if (out)
			out[o] = '\\';
		o++;
	}
	for (size_t i = 0; i < 32; i++) {
		if (out) {
			out[o] = hex[sha[i] >> 4];
			out[o + 1] = hex[sha[i] & 15];
		}
		o += 2;
	}
	if (out)
		out[o] = out[o + 1] = ' ';
	o += 2;
	for (const char *c = path; *c; c++) {
		if (esc && (*c == '\\' || *c == '\n')) {
			if (out) {
				out[o] = '\\';
				out[o + 1] = *c == '\n' ? 'n' : '\\';
			}
			o += 2;
		} else {
			if (out)
				out[o] = *c;
			o++;
		}
	}
	if (out)
		out[o] = '\n';
	return o + 1;
}

bool eng_manifest_ends_chunk(const char *path)
{
	return XXH64(path, strlen(path), 0) % ENG_MANIFEST_K == 0;
}

static uint64_t padded_blocks(uint64_t content)
{
	uint64_t blocks = BFS_DIV_ROUND_UP(content, BFS_BLOCK_SIZE);

	/* a comment takes two bytes at least ('#', '\n'): one byte left takes a block more */
	if (blocks * BFS_BLOCK_SIZE - content == 1)
		blocks++;
	return blocks;
}

/* Close chunk c at manifest offset *off. */
static void chunk_close(struct eng_manifest_chunk *c, uint64_t *off)
{
	c->off = *off;
	c->blocks = padded_blocks(c->content);
	*off += c->blocks * BFS_BLOCK_SIZE;
}

int eng_manifest_chunks(const uint32_t *len, const bool *ends, size_t n,
			struct eng_manifest_chunk **ret, size_t *ret_n)
{
	struct eng_manifest_chunk *v = NULL;
	size_t nv = 0, cap = 0;
	bool open = false;
	uint64_t off = 0;

	for (size_t i = 0; i < n; i++) {
		if (open && v[nv - 1].content + len[i] > ENG_MANIFEST_CHUNK_MAX) {
			chunk_close(&v[nv - 1], &off); /* the cap: this line starts the next */
			open = false;
		}
		if (!open) {
			if (BFS_GROW(v, cap, nv + 1) < 0) {
				free(v);
				return -ENOMEM;
			}
			v[nv++] = (struct eng_manifest_chunk){.first = i};
			open = true;
		}
		v[nv - 1].nlines++;
		v[nv - 1].content += len[i];
		if (ends[i] || i + 1 == n) {
			chunk_close(&v[nv - 1], &off);
			open = false;
		}
	}
	*ret = v;
	*ret_n = nv;
	return 0;
}

size_t eng_manifest_pad(uint64_t content, char *out)
{
	size_t pad = (size_t)(padded_blocks(content) * BFS_BLOCK_SIZE - content);

	if (pad == 0)
		return 0;
	out[0] = '#';
	memset(out + 1, ' ', pad - 2);
	out[pad - 1] = '\n';
	return pad;
}

void eng_manifest_trailer(uint64_t session_start, char *out)
{
	int n = snprintf(out, BFS_BLOCK_SIZE, "# burnfs: the manifest of the session at block %llu",
			 (unsigned long long)session_start);

	memset(out + n, ' ', BFS_BLOCK_SIZE - (size_t)n - 1);
	out[BFS_BLOCK_SIZE - 1] = '\n';
}
