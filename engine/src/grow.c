/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Growing overwritable media and image files: where the next session goes, its front held
 * back, and the head rewrite. See engine/grow.h.
 */
#include "engine/grow.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "udf/layout.h"

#define BLOCK	   2048u
#define HEAD_START 16u	/* ECMA-119 6.2.1, ECMA-167 2/8.3: the descriptors' first block */
#define ANCHOR	   256u /* ECMA-167 3/8.4.2.1: the first anchor point */

int eng_grow_where(struct eng_medium *m, uint64_t min_next, struct eng_session **ret, size_t *n,
		   uint64_t *next, struct bfs_diag *diag)
{
	struct eng_session *s = NULL;
	uint64_t end;
	int r;

	*ret = NULL;
	*n = 0;
	*next = min_next;
	r = eng_sessions_list(m, &s, n, diag);
	if (r == -EUCLEAN) { /* no descriptors at 16: nothing recorded that a reader sees */
		bfs_diag_clear(diag);
		*n = 0;
		return 0;
	}
	if (r < 0)
		return r;
	end = s[*n - 1].start + s[*n - 1].length;
	*next = BFS_MAX(BFS_ROUND_UP(end, (uint64_t)ENG_GROW_STEP), min_next);
	*ret = s;
	return 0;
}

int eng_grow_front_init(struct eng_grow_front *f)
{
	*f = (struct eng_grow_front){.buf = calloc(ENG_GROW_FRONT, BLOCK)};
	return f->buf ? 0 : -ENOMEM;
}

void eng_grow_front_done(struct eng_grow_front *f)
{
	free(f->buf);
	*f = (struct eng_grow_front){0};
}

size_t eng_grow_front_take(struct eng_grow_front *f, uint64_t pos, const uint8_t *p, size_t n)
{
	size_t k;

	if (pos >= ENG_GROW_FRONT)
		return 0;
	k = (size_t)BFS_MIN((uint64_t)n, ENG_GROW_FRONT - pos);
	memcpy(f->buf + pos * BLOCK, p, k * BLOCK);
	f->blocks = BFS_MAX(f->blocks, pos + k);
	return k;
}

/* A volume descriptor (ECMA-119 8.1) or a volume structure descriptor (ECMA-167 2/9.1). */
static bool is_descriptor(const uint8_t *b)
{
	static const char *const ids[] = {"CD001", "BEA01", "NSR02", "NSR03",
					  "TEA01", "BOOT2", "CDW02"};

	for (size_t i = 0; i < BFS_ARRAY_SIZE(ids); i++)
		if (memcmp(b + 1, ids[i], 5) == 0)
			return true;
	return false;
}

/* Blocks of descriptors at the start of b[0..n) (blocks from 16 of a session). */
static uint32_t descriptor_run(const uint8_t *b, uint64_t n)
{
	uint32_t k = 0;

	while (k < ENG_GROW_HEAD_MAX && k < n && is_descriptor(b + (size_t)k * BLOCK))
		k++;
	return k;
}

/* An anchor volume descriptor pointer (tag 2, checksum good) at block loc. */
static bool is_anchor(const uint8_t *b, uint32_t loc)
{
	uint8_t sum = 0;

	for (int i = 0; i < UDF_TAG_SIZE; i++)
		sum = (uint8_t)(sum + (i == UDF_TAG_CHECKSUM ? 0 : b[i]));
	return bfs_get_le16(b + UDF_TAG_ID) == UDF_TAG_AVDP && sum == b[UDF_TAG_CHECKSUM] &&
	       bfs_get_le32(b + UDF_TAG_LOCATION) == loc;
}

/* The anchor moved to block 256: its tag names its own block (3/7.2.8), so the sum changes. */
static void anchor_relocate(uint8_t *b)
{
	uint8_t sum = 0;

	bfs_put_le32(b + UDF_TAG_LOCATION, ANCHOR);
	for (int i = 0; i < UDF_TAG_SIZE; i++)
		sum = (uint8_t)(sum + (i == UDF_TAG_CHECKSUM ? 0 : b[i]));
	b[UDF_TAG_CHECKSUM] = sum;
}

struct overlap {
	uint64_t lba, n;
	const struct bfs_node *hit;
};

static int prior_in(struct bfs_node *n, void *userdata)
{
	struct overlap *o = userdata;
	uint64_t nb = BFS_DIV_ROUND_UP(n->size, (uint64_t)BLOCK);

	if (!(n->flags & BFS_NODE_PRIOR) || n->type != BFS_NODE_FILE || n->link_primary || !nb)
		return 0;
	if (n->data_lba < o->lba + o->n && n->data_lba + nb > o->lba) {
		o->hit = n;
		return 1;
	}
	return 0;
}

/* -EXDEV when a file of the new tree keeps data in [lba, lba + n). */
static int head_free(struct bfs_node *root, uint64_t lba, uint64_t n, struct bfs_diag *diag)
{
	struct overlap o = {.lba = lba, .n = n};
	_cleanup_free_ char *p = NULL;

	if (!root || !n || bfs_node_walk(root, prior_in, &o) == 0)
		return 0;
	p = bfs_node_path(o.hit);
	return bfs_diag_set(diag, -EXDEV,
			    "blocks %llu-%llu, where the descriptors every reader looks at go, "
			    "hold the data of '%s': the new session cannot be made the one readers "
			    "see (nothing readable was changed); copy the files off and erase the "
			    "disc, or burn with --new-tree",
			    (unsigned long long)lba, (unsigned long long)(lba + n - 1),
			    p ? p : "a file");
}

/* The old head into h->saved: blocks 16..16 + ENG_GROW_HEAD_MAX, then block 256. */
static int head_save(const struct eng_grow_io *io, struct eng_grow_head *h, struct bfs_diag *diag)
{
	int r = io->read(io->userdata, HEAD_START, ENG_GROW_HEAD_MAX, h->saved[0]);

	if (r == 0)
		r = io->read(io->userdata, ANCHOR, 1, h->saved[ENG_GROW_HEAD_MAX]);
	if (r < 0)
		return bfs_diag_set(diag, r, "reading the head (blocks 16-31 and 256): %s",
				    strerror(-r));
	return 0;
}

int eng_grow_head_plan(const struct eng_grow_io *io, const struct eng_grow_front *f,
		       uint64_t first_start, struct bfs_node *root, struct eng_grow_head *h,
		       struct bfs_diag *diag)
{
	uint32_t old;
	bool old_anchor, new_anchor;
	int r;

	memset(h, 0, sizeof(*h));
	r = head_save(io, h, diag);
	if (r < 0)
		return r;
	h->nblocks = f->blocks > HEAD_START
			     ? descriptor_run(f->buf + HEAD_START * BLOCK, f->blocks - HEAD_START)
			     : 0;
	if (!h->nblocks)
		return bfs_diag_set(diag, -EIO, "internal error: the session has no descriptors");
	memcpy(h->blocks, f->buf + HEAD_START * BLOCK, (size_t)h->nblocks * BLOCK);
	old = descriptor_run(h->saved[0], ENG_GROW_HEAD_MAX);
	h->nwrite = BFS_MAX(old, h->nblocks); /* the old head's extra blocks become zeros */
	/* blocks past the old head are no descriptors: free only when no kept file is there */
	if (h->nblocks > old) {
		r = head_free(root, HEAD_START + old, h->nblocks - old, diag);
		if (r < 0)
			return r;
	}
	old_anchor = is_anchor(h->saved[ENG_GROW_HEAD_MAX], ANCHOR);
	new_anchor = f->blocks > ANCHOR &&
		     is_anchor(f->buf + (size_t)ANCHOR * BLOCK,
			       bfs_get_le32(f->buf + (size_t)ANCHOR * BLOCK + UDF_TAG_LOCATION));
	if (new_anchor) {
		memcpy(h->anchor, f->buf + (size_t)ANCHOR * BLOCK, BLOCK);
		anchor_relocate(h->anchor);
	}
	/*
	 * Block 256 is replaced when it is the head's anchor, or lies before the first
	 * session (libisoburn's 32-block head does not reach it); otherwise it may be any
	 * session's data, and a new UDF volume is only seen at its own session's anchor.
	 */
	h->write_anchor = (new_anchor || old_anchor) && (old_anchor || ANCHOR < first_start);
	h->udf_unseen = new_anchor && !h->write_anchor;
	return 0;
}

/* Blocks 16.. of the head to write: the new descriptors, zeros after them. */
static int head_put(const struct eng_grow_io *io, const uint8_t (*blocks)[2048], uint32_t n,
		    uint32_t nzero, struct bfs_diag *diag)
{
	static const uint8_t zero[BLOCK];
	int r = n ? io->write(io->userdata, HEAD_START, n, blocks[0]) : 0;

	for (uint32_t i = 0; r == 0 && i < nzero; i++)
		r = io->write(io->userdata, HEAD_START + n + i, 1, zero);
	if (r < 0)
		return bfs_diag_set(diag, r, "rewriting the head (blocks 16-%u): %s",
				    HEAD_START + n + nzero - 1, strerror(-r));
	return 0;
}

static int head_sync(const struct eng_grow_io *io, struct bfs_diag *diag)
{
	int r = io->sync(io->userdata);

	return r < 0 ? bfs_diag_set(diag, r, "flushing the head: %s", strerror(-r)) : 0;
}

int eng_grow_head_write(const struct eng_grow_io *io, const struct eng_grow_head *h,
			struct bfs_diag *diag)
{
	int r = head_put(io, (const uint8_t(*)[2048])h->blocks, h->nblocks, h->nwrite - h->nblocks,
			 diag);

	if (r == 0 && h->write_anchor) {
		r = io->write(io->userdata, ANCHOR, 1, h->anchor);
		if (r < 0)
			return bfs_diag_set(diag, r, "rewriting the anchor at block 256: %s",
					    strerror(-r));
	}
	return r < 0 ? r : head_sync(io, diag);
}

int eng_grow_head_restore(const struct eng_grow_io *io, const struct eng_grow_head *h,
			  struct bfs_diag *diag)
{
	int r = head_put(io, (const uint8_t(*)[2048])h->saved, h->nwrite, 0, diag);

	if (r == 0 && h->write_anchor) {
		r = io->write(io->userdata, ANCHOR, 1, h->saved[ENG_GROW_HEAD_MAX]);
		if (r < 0)
			return bfs_diag_set(diag, r, "putting the anchor at block 256 back: %s",
					    strerror(-r));
	}
	return r < 0 ? r : head_sync(io, diag);
}

int eng_grow_head_check(const struct eng_grow_io *io, const struct eng_grow_head *h,
			struct bfs_diag *diag)
{
	static const uint8_t zero[BLOCK];
	_cleanup_free_ uint8_t *b = malloc((ENG_GROW_HEAD_MAX + 1) * BLOCK);
	int r;

	if (!b)
		return -ENOMEM;
	r = io->read(io->userdata, HEAD_START, h->nwrite, b);
	if (r == 0 && h->write_anchor)
		r = io->read(io->userdata, ANCHOR, 1, b + ENG_GROW_HEAD_MAX * BLOCK);
	if (r < 0)
		return bfs_diag_set(diag, r, "reading the head back: %s", strerror(-r));
	for (uint32_t i = 0; i < h->nwrite; i++)
		if (memcmp(b + i * BLOCK, i < h->nblocks ? h->blocks[i] : zero, BLOCK) != 0)
			return bfs_diag_set(diag, -EBADMSG,
					    "verify: block %u of the head reads back different "
					    "from what was written",
					    HEAD_START + i);
	if (h->write_anchor && memcmp(b + ENG_GROW_HEAD_MAX * BLOCK, h->anchor, BLOCK) != 0)
		return bfs_diag_set(diag, -EBADMSG,
				    "verify: the anchor at block 256 reads back different from "
				    "what was written");
	return 0;
}

void eng_grow_inplace_done(struct eng_grow_inplace *ip)
{
	free(ip->v);
	*ip = (struct eng_grow_inplace){0};
}

int eng_grow_inplace_save(const struct eng_grow_io *io, struct eng_grow_inplace *ip,
			  struct bfs_diag *diag)
{
	for (size_t i = 0; i < ip->n; i++) {
		struct eng_grow_block *b = &ip->v[i];
		int r = io->read(io->userdata, b->lba, 1, b->saved);

		if (r == 0 && b->mirror_lba != UINT64_MAX)
			r = io->read(io->userdata, b->mirror_lba, 1, b->saved_mirror);
		if (r < 0)
			return bfs_diag_set(
				diag, r, "reading the UDF directory entry at block %" PRIu64 ": %s",
				b->lba, strerror(-r));
	}
	return 0;
}

/* Every block's data (or saved copy) at its main or mirror block, then sync */
static int blocks_put(const struct eng_grow_io *io, const struct eng_grow_inplace *ip, bool mirror,
		      bool saved, struct bfs_diag *diag)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < ip->n; i++) {
		const struct eng_grow_block *b = &ip->v[i];
		uint64_t lba = mirror ? b->mirror_lba : b->lba;

		if (lba == UINT64_MAX)
			continue;
		r = io->write(io->userdata, lba, 1,
			      saved ? (mirror ? b->saved_mirror : b->saved) : b->data);
		if (r < 0)
			return bfs_diag_set(diag, r,
					    "%s the UDF directory entry at block %" PRIu64 ": %s",
					    saved ? "putting back" : "writing", lba, strerror(-r));
	}
	r = io->sync(io->userdata);
	return r < 0 ? bfs_diag_set(diag, r, "flushing the UDF directory entries: %s", strerror(-r))
		     : 0;
}

int eng_grow_inplace_write(const struct eng_grow_io *io, struct eng_grow_inplace *ip,
			   int (*step)(const char *what), struct bfs_diag *diag)
{
	int r;

	if (!ip->n)
		return 0;
	/* the main file first: the mirror keeps the earlier entries until it is whole */
	ip->main_begun = true;
	r = blocks_put(io, ip, false, false, diag);
	if (r == 0 && step && (r = step("main")) < 0)
		return bfs_diag_set(diag, r, "stopped after the UDF directory entries");
	if (r < 0)
		return r;
	ip->mirror_begun = true;
	r = blocks_put(io, ip, true, false, diag);
	if (r == 0 && step && (r = step("mirror")) < 0)
		return bfs_diag_set(diag, r, "stopped after their mirror");
	return r;
}

int eng_grow_inplace_restore(const struct eng_grow_io *io, const struct eng_grow_inplace *ip,
			     struct bfs_diag *diag)
{
	int r = ip->mirror_begun ? blocks_put(io, ip, true, true, diag) : 0;

	if (r == 0 && ip->main_begun)
		r = blocks_put(io, ip, false, true, diag);
	return r;
}
