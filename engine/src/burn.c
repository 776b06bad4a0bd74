/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The burn job. See engine/burn.h. */
#include "engine/burn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/macro.h"

#define WRITE_BLOCKS 32u /* 64 KiB: a multiple of every medium's write unit */

struct names {
	char buf[1024];
	size_t len;
	unsigned n;
};

static void add_name(const struct bfs_node *f, uint64_t first, uint64_t last, void *userdata)
{
	struct names *nm = userdata;
	_cleanup_free_ char *p = bfs_node_path(f);

	(void)first, (void)last;
	if (nm->n++ >= 8 || !p)
		return;
	nm->len += (size_t)snprintf(nm->buf + nm->len, sizeof(nm->buf) - nm->len, "%s%s",
				    nm->len ? ", " : "", p);
	nm->len = BFS_MIN(nm->len, sizeof(nm->buf) - 1);
}

static int verify(struct mmc_drive *d, struct eng_image *img, const struct eng_burn_opts *o,
		  uint64_t start, uint64_t blocks, eng_bad_range_fn bad, void *bad_userdata,
		  struct eng_burn_result *res, struct bfs_diag *diag)
{
	const struct eng_hash128 *h;
	size_t nh, count;
	uint8_t *buf = malloc((size_t)ENG_CHUNK_BLOCKS * 2048);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	h = eng_image_chunk_hashes(img, &nh);
	count = o->verify == ENG_VERIFY_QUICK ? BFS_MIN(nh, (size_t)16) : nh;
	for (size_t k = 0; k < count && r == 0; k++) {
		/* quick: the first, the last and chunks evenly between */
		size_t c = count == nh ? k : k * (nh - 1) / (count - 1);
		uint64_t lba = start + (uint64_t)c * ENG_CHUNK_BLOCKS;
		uint32_t n = (uint32_t)BFS_MIN((uint64_t)ENG_CHUNK_BLOCKS,
					       blocks - (uint64_t)c * ENG_CHUNK_BLOCKS);
		XXH128_hash_t x;

		if (o->cancel && *o->cancel) {
			r = bfs_diag_set(diag, -ECANCELED, "verify cancelled");
			break;
		}
		/* FUA: from the medium, not from the drive's cache */
		r = mmc_read(d, lba, n, buf, true, diag);
		if (r == -EIO) {
			struct names nm = {0};

			bfs_diag_clear(diag);
			eng_image_files_in(img, lba, n, add_name, &nm);
			if (bad)
				bad(lba, lba + n - 1, nm.n ? nm.buf : "(file-system metadata)",
				    bad_userdata);
			res->bad_chunks++;
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		x = XXH3_128bits(buf, (size_t)n * 2048);
		res->verified_chunks++;
		if (x.high64 != h[c].hi || x.low64 != h[c].lo) {
			struct names nm = {0};

			eng_image_files_in(img, lba, n, add_name, &nm);
			if (bad)
				bad(lba, lba + n - 1, nm.n ? nm.buf : "(file-system metadata)",
				    bad_userdata);
			res->bad_chunks++;
		}
		if (o->progress)
			o->progress(ENG_PHASE_VERIFY, (uint64_t)(k + 1) * blocks / count, blocks,
				    o->userdata);
	}
	free(buf);
	if (r == 0 && res->bad_chunks)
		r = bfs_diag_set(
			diag, -EBADMSG,
			"verify: %llu of %llu chunks read back differ from what was written",
			(unsigned long long)res->bad_chunks,
			(unsigned long long)res->verified_chunks + res->bad_chunks);
	return r;
}

int eng_burn(struct mmc_drive *d, struct bfs_node *root, const struct eng_burn_opts *opts,
	     eng_bad_range_fn bad, void *bad_userdata, struct eng_burn_result *ret,
	     struct bfs_diag *diag)
{
	struct eng_burn_result res = {0};
	struct eng_image_opts io = opts->image;
	_cleanup_(eng_image_freep) struct eng_image *img = NULL;
	struct eng_image_info info;
	struct mmc_media *m = &res.before;
	static const uint8_t zero[WRITE_BLOCKS * 2048];
	uint64_t pos = 0, total;
	int r;

	r = mmc_media_probe(d, m, diag);
	if (r < 0)
		goto out;
	switch (m->status) {
	case MMC_DISC_COMPLETE:
		r = bfs_diag_set(
			diag, -EROFS,
			"the %s is finalized (%u sessions): no more sessions can be written; "
			"use a new disc",
			m->profile_name, m->sessions);
		goto out;
	case MMC_DISC_INCOMPLETE:
		r = bfs_diag_set(
			diag, -EIO,
			"the %s has an incomplete session (an interrupted burn); burnfs does "
			"not append to it: use a new disc",
			m->profile_name);
		goto out;
	case MMC_DISC_RANDOM:
		if (m->used_blocks) {
			r = bfs_diag_set(diag, -ENOTEMPTY,
					 "the %s holds data (%llu blocks); erase it first with "
					 "`burnfs erase`",
					 m->profile_name, (unsigned long long)m->used_blocks);
			goto out;
		}
		break;
	default:
		break;
	}
	if (!m->nwa_valid) {
		r = bfs_diag_set(diag, -EIO, "the drive reports no next writable address");
		goto out;
	}
	if (!io.iso9660 && !io.udf)
		io.media = m->profile >= 0x40	? ENG_MEDIA_BD
			   : m->profile >= 0x10 ? ENG_MEDIA_DVD
						: ENG_MEDIA_CD;
	io.start_lba = m->nwa;
	io.manifest = true;
	io.hashes = true;
	if (!io.ring_bytes)
		io.ring_bytes = 16u << 20;
	r = eng_image_new(&io, root, diag, &img);
	if (r < 0)
		goto out;
	eng_image_info(img, &info);
	total = BFS_ROUND_UP(info.blocks, (uint64_t)m->align);
	res.start_lba = m->nwa;
	res.blocks = total;
	if (total > m->free_blocks) {
		r = bfs_diag_set(diag, -ENOSPC,
				 "the session needs %llu blocks (%.1f MiB); the %s has %llu free "
				 "(%.1f MiB): nothing was written",
				 (unsigned long long)total, (double)total * 2048 / 1048576.0,
				 m->profile_name, (unsigned long long)m->free_blocks,
				 (double)m->free_blocks * 2048 / 1048576.0);
		goto out;
	}
	r = eng_stream_start(img);
	if (r < 0)
		goto out;
	while (pos < info.blocks) {
		const uint8_t *p;
		ssize_t n;

		if (opts->cancel && *opts->cancel) {
			r = bfs_diag_set(diag, -ECANCELED, "cancelled after %llu of %llu blocks",
					 (unsigned long long)pos, (unsigned long long)total);
			goto out;
		}
		n = eng_stream_peek(img, WRITE_BLOCKS, &p);
		if (n <= 0) {
			r = n < 0 ? (int)n
				  : bfs_diag_set(diag, -EIO, "internal error: stream ended early");
			goto out;
		}
		r = mmc_write(d, m->nwa + pos, (uint32_t)n, p, diag);
		if (r < 0) {
			char msg[BFS_DIAG_MSG_MAX];

			snprintf(msg, sizeof(msg), "%s", bfs_diag_msg(diag, r));
			bfs_diag_clear(diag);
			r = bfs_diag_set(diag, r, "writing block %llu: %s",
					 (unsigned long long)(m->nwa + pos), msg);
			goto out;
		}
		eng_stream_consume(img, (size_t)n);
		pos += (uint64_t)n;
		if (opts->progress)
			opts->progress(ENG_PHASE_WRITE, pos, total, opts->userdata);
	}
	while (pos < total) { /* pad to the write unit */
		uint32_t n = (uint32_t)BFS_MIN(total - pos, (uint64_t)WRITE_BLOCKS);

		r = mmc_write(d, m->nwa + pos, n, zero, diag);
		if (r < 0)
			goto out;
		pos += n;
	}
	if (opts->progress)
		opts->progress(ENG_PHASE_CLOSE, 0, 1, opts->userdata);
	r = mmc_sync_cache(d, diag);
	if (r == 0)
		r = mmc_close(d, m, opts->finalize, diag);
	if (r < 0)
		goto out;
	if (opts->verify != ENG_VERIFY_NONE)
		r = verify(d, img, opts, m->nwa, info.blocks, bad, bad_userdata, &res, diag);
out:
	/* the disc's state now, for the report */
	{
		struct bfs_diag tmp = {0};

		if (mmc_media_probe(d, &res.after, &tmp) < 0)
			res.after.profile_name = NULL; /* unknown */
	}
	if (ret)
		*ret = res;
	return r;
}
