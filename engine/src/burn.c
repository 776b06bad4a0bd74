/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The burn job. See engine/burn.h. */
#include "engine/burn.h"
#include "engine/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/bytes.h"
#include "common/macro.h"
#include "engine/edits.h"
#include "engine/grow.h"
#include "engine/imagefile.h"
#include "engine/sessions.h"
#include "iso9660/layout.h"

#define PAD_BLOCKS 32u /* 64 KiB: a multiple of every medium's write unit */

/* What a session is written from: the image stream of a tree, or an image file. */
struct source {
	struct eng_image *img; /* a tree */
	int fd;		       /* an image file, or -1 */
	uint64_t blocks;
	/* image file: the chunk read last, its hash, and the hashes so far */
	uint8_t *chunk;
	size_t chunk_blocks, chunk_pos;
	struct eng_hash128 *hashes;
	size_t nhashes;
};

struct job {
	struct mmc_drive *d;
	const struct eng_burn_opts *o;
	struct eng_burn_status st;
	double last_buffer_query;
	/* overwrite media with sessions (grow.h): their list, the front held back, the head */
	struct eng_session *grow_s;
	size_t grow_n;
	struct eng_grow_front front;
	struct eng_grow_head head;
	struct bfs_node *root;	 /* the new tree, whose kept files the head must not overwrite */
	struct bfs_diag io_diag; /* the drive's word on the head I/O that failed */
	bool stop;		 /* the progress callback asked to cancel */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The status to the caller, whose negative answer stops the job. */
static void tell(struct job *j)
{
	if (j->o->progress && j->o->progress(&j->st, j->o->userdata) < 0)
		j->stop = true;
}

/* The drive layer's question, at every slice of its waits: go on (0) or stop (-1). */
static int job_poll(void *userdata)
{
	struct job *j = userdata;

	if (!j->stop)
		tell(j);
	return j->stop ? -1 : 0;
}

static void report(struct job *j, enum eng_burn_phase phase, uint64_t done, uint64_t total,
		   struct source *src)
{
	double t;

	if (!j->o->progress)
		return;
	j->st.phase = phase;
	j->st.done = done;
	j->st.total = total;
	j->st.ring_fill = src && src->img ? (int)eng_stream_fill(src->img) : -1;
	t = now_s();
	if (phase == ENG_PHASE_WRITE && t - j->last_buffer_query >= 0.25) {
		struct bfs_diag tmp = {0};
		uint32_t size, avail;

		j->last_buffer_query = t;
		j->st.drive_fill = -1;
		if (mmc_buffer_capacity(j->d, &size, &avail, &tmp) == 0 && size)
			j->st.drive_fill = (int)((uint64_t)(size - avail) * 100 / size);
	}
	tell(j);
}

static void on_busy(const char *what, int progress, void *userdata)
{
	struct job *j = userdata;

	(void)what;
	j->st.op_progress = progress;
	tell(j);
}

/* The next blocks of the session (at most max): a pointer valid until src_consume(). */
static ssize_t src_peek(struct source *src, size_t max, const uint8_t **ret, struct bfs_diag *diag)
{
	if (src->img)
		return eng_stream_peek(src->img, max, ret);
	if (src->chunk_pos == src->chunk_blocks) {
		uint64_t at = (uint64_t)src->nhashes * ENG_CHUNK_BLOCKS;
		size_t n = (size_t)BFS_MIN((uint64_t)ENG_CHUNK_BLOCKS, src->blocks - at);
		size_t len = n * 2048, got = 0;
		XXH128_hash_t x;

		if (n == 0)
			return 0;
		while (got < len) {
			ssize_t g = pread(src->fd, src->chunk + got, len - got,
					  (off_t)(at * 2048 + got));

			if (g < 0 && errno == EINTR)
				continue;
			if (g <= 0)
				return bfs_diag_set(diag, g < 0 ? -errno : -EIO,
						    "reading the image at byte %llu: %s",
						    (unsigned long long)(at * 2048 + got),
						    g < 0 ? strerror(errno) : "it got shorter");
			got += (size_t)g;
		}
		x = XXH3_128bits(src->chunk, len);
		src->hashes[src->nhashes++] = (struct eng_hash128){x.high64, x.low64};
		src->chunk_blocks = n;
		src->chunk_pos = 0;
	}
	*ret = src->chunk + src->chunk_pos * 2048;
	return (ssize_t)BFS_MIN(max, src->chunk_blocks - src->chunk_pos);
}

static void src_consume(struct source *src, size_t n)
{
	if (src->img)
		eng_stream_consume(src->img, n);
	else
		src->chunk_pos += n;
}

static const struct eng_hash128 *src_hashes(const struct source *src, size_t *ret_n)
{
	if (src->img)
		return eng_image_chunk_hashes(src->img, ret_n);
	*ret_n = src->nhashes;
	return src->hashes;
}

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

static void report_bad(const struct source *src, uint64_t start, uint64_t lba, uint32_t n,
		       eng_bad_range_fn bad, void *bad_userdata)
{
	struct names nm = {0};
	char what[64];

	if (!bad)
		return;
	if (src->img) {
		eng_image_files_in(src->img, lba, n, add_name, &nm);
		bad(lba, lba + n - 1, nm.n ? nm.buf : "(file-system metadata)", bad_userdata);
		return;
	}
	snprintf(what, sizeof(what), "(image file bytes %llu-%llu)",
		 (unsigned long long)(lba - start) * 2048,
		 (unsigned long long)(lba - start + n) * 2048 - 1);
	bad(lba, lba + n - 1, what, bad_userdata);
}

static int verify(struct job *j, struct source *src, uint64_t start, eng_bad_range_fn bad,
		  void *bad_userdata, struct eng_burn_result *res, struct bfs_diag *diag)
{
	const struct eng_burn_opts *o = j->o;
	const struct eng_hash128 *h;
	size_t nh, count;
	uint8_t *buf = malloc((size_t)ENG_CHUNK_BLOCKS * 2048);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	h = src_hashes(src, &nh);
	count = o->verify == ENG_VERIFY_QUICK ? BFS_MIN(nh, (size_t)16) : nh;
	for (size_t k = 0; k < count && r == 0; k++) {
		/* quick: the first, the last and chunks evenly between */
		size_t c = count == nh ? k : k * (nh - 1) / (count - 1);
		uint64_t lba = start + (uint64_t)c * ENG_CHUNK_BLOCKS;
		uint32_t n = (uint32_t)BFS_MIN((uint64_t)ENG_CHUNK_BLOCKS,
					       src->blocks - (uint64_t)c * ENG_CHUNK_BLOCKS);
		XXH128_hash_t x;

		if (j->stop) {
			r = bfs_diag_set(diag, -ECANCELED,
					 "verify cancelled after %zu of %zu chunks", k, count);
			break;
		}
		/* FUA: from the medium, not from the drive's cache */
		r = mmc_read(j->d, lba, n, buf, true, diag);
		if (r == -EIO) {
			bfs_diag_clear(diag);
			report_bad(src, start, lba, n, bad, bad_userdata);
			res->bad_chunks++;
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		x = XXH3_128bits(buf, (size_t)n * 2048);
		res->verified_chunks++;
		if (x.high64 != h[c].hi || x.low64 != h[c].lo) {
			report_bad(src, start, lba, n, bad, bad_userdata);
			res->bad_chunks++;
		}
		report(j, ENG_PHASE_VERIFY, (uint64_t)(k + 1) * src->blocks / count, src->blocks,
		       NULL);
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

int eng_disc_space(const struct mmc_media *m, struct eng_disc_space *ret, struct bfs_diag *diag)
{
	struct eng_disc_space s = {.capacity = m->capacity, .used = m->used_blocks};

	*ret = s;
	switch (m->status) {
	case MMC_DISC_COMPLETE:
		ret->new_disc = !m->erasable;
		return bfs_diag_set(diag, -EROFS,
				    "the %s is finalized (%u session(s), %llu blocks recorded): no "
				    "more sessions can be written; %s",
				    m->profile_name, m->sessions,
				    (unsigned long long)m->used_blocks,
				    m->erasable ? "erase it (`burnfs erase`) or use another disc"
						: "use a new disc");
	case MMC_DISC_INCOMPLETE:
		ret->new_disc = !m->erasable;
		return bfs_diag_set(
			diag, -EIO,
			"the %s has an incomplete session (an interrupted burn: %llu blocks "
			"recorded, %u closed session(s) before it); burnfs does not append to it: "
			"%s",
			m->profile_name, (unsigned long long)m->used_blocks, m->sessions,
			m->erasable ? "erase it (`burnfs erase`) or use a new disc"
				    : "use a new disc");
	case MMC_DISC_RANDOM:
		/* eng_disc_space_read() puts the NWA past the sessions it found */
		if (m->used_blocks && m->nwa < m->used_blocks)
			return bfs_diag_set(diag, -ENOTEMPTY,
					    "the %s holds data (%llu blocks) whose end was not "
					    "read from its descriptors; erase it first with "
					    "`burnfs erase`",
					    m->profile_name, (unsigned long long)m->used_blocks);
		break;
	default:
		break;
	}
	if (!m->nwa_valid)
		return bfs_diag_set(diag, -ENXIO, "the drive reports no next writable address");
	ret->writable = true;
	ret->next = m->nwa;
	ret->free = m->free_blocks;
	return 0;
}

/*
 * Overwrite media holding data: their sessions from the descriptors (grow.h), and m's NWA,
 * free and used blocks those of a session after them. *ret_s (may be NULL) gets the list.
 */
static int grow_place(struct mmc_drive *d, struct mmc_media *m, struct eng_session **ret_s,
		      size_t *ret_n, struct bfs_diag *diag)
{
	_cleanup_(eng_medium_freep) struct eng_medium *med = NULL;
	_cleanup_free_ struct eng_session *s = NULL;
	uint64_t next;
	size_t n = 0;
	int r;

	if (!m->overwrite || m->status != MMC_DISC_RANDOM || !m->used_blocks)
		return 0; /* a blank one gets its first session at 0 */
	r = eng_medium_of_drive(d, m, &med, diag);
	if (r == 0)
		r = eng_grow_where(med, 0, &s, &n, &next, diag);
	if (r < 0)
		return bfs_diag_prefix(diag, r,
				       "the %s holds data (%llu blocks) whose sessions cannot be "
				       "read (erase it with `burnfs erase` to reuse it)",
				       m->profile_name, (unsigned long long)m->used_blocks);
	if (n == 0)
		return bfs_diag_set(diag, -ENOTEMPTY,
				    "the %s holds data (%llu blocks) that is no ISO 9660 or UDF "
				    "session; erase it first with `burnfs erase`",
				    m->profile_name, (unsigned long long)m->used_blocks);
	m->used_blocks = s[n - 1].start + s[n - 1].length;
	m->nwa = next;
	m->free_blocks = m->capacity > next ? m->capacity - next : 0;
	m->last_session_start = s[n - 1].start;
	m->sessions = (unsigned)n;
	if (ret_s) {
		*ret_s = TAKE_PTR(s);
		*ret_n = n;
	}
	return 0;
}

int eng_disc_space_read(struct mmc_drive *d, struct mmc_media *m, struct eng_disc_space *ret,
			struct bfs_diag *diag)
{
	int r = grow_place(d, m, NULL, NULL, diag);

	if (r < 0) {
		*ret = (struct eng_disc_space){.capacity = m->capacity, .used = m->used_blocks};
		return r;
	}
	return eng_disc_space(m, ret, diag);
}

/* Refuse what cannot take a session, before anything is written. */
static int check_medium(const struct mmc_media *m, const struct eng_burn_opts *o,
			struct eng_burn_result *res, struct bfs_diag *diag)
{
	struct eng_disc_space sp;
	int r = eng_disc_space(m, &sp, diag);

	res->new_disc = sp.new_disc;
	if (r < 0)
		return r;
	if (o->simulate && !mmc_media_can_simulate(m))
		return bfs_diag_set(diag, -EOPNOTSUPP,
				    "--simulate: a %s cannot do test writes (only CD-R/RW and "
				    "DVD-R/RW can); nothing was written: burn without --simulate "
				    "to record the session",
				    m->profile_name);
	return 0;
}

/* Overwrite media fresh from the box get their first (quick) format before the plan. */
static int format_if_needed(struct mmc_drive *d, struct mmc_media *m, struct bfs_diag *diag)
{
	int r;

	if (!m->unformatted)
		return 0;
	r = mmc_erase(d, m, false, diag);
	if (r < 0)
		return r;
	return mmc_media_probe(d, m, diag);
}

static int fits(const struct mmc_media *m, uint64_t total, struct bfs_diag *diag)
{
	if (total <= m->free_blocks)
		return 0;
	return bfs_diag_set(diag, -ENOSPC,
			    "the session needs %llu blocks (%.1f MiB); the %s has %llu free "
			    "(%.1f MiB): nothing was written",
			    (unsigned long long)total, (double)total * 2048 / 1048576.0,
			    m->profile_name, (unsigned long long)m->free_blocks,
			    (double)m->free_blocks * 2048 / 1048576.0);
}

/* A cancel seen by the drive layer while waiting: how far the session got, and the wait. */
static int cancelled_after(uint64_t pos, uint64_t total, int r, struct bfs_diag *diag)
{
	char msg[BFS_DIAG_MSG_MAX];

	snprintf(msg, sizeof(msg), "%s", bfs_diag_msg(diag, r));
	bfs_diag_clear(diag);
	return bfs_diag_set(diag, r, "cancelled after %llu of %llu blocks (%s)",
			    (unsigned long long)pos, (unsigned long long)total, msg);
}

/*
 * The head rewrite's block I/O over the drive (reads from the medium: FUA); what the
 * drive said about a failure is kept in the job's io_diag.
 */
static int head_read(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf)
{
	struct job *j = userdata;

	bfs_diag_clear(&j->io_diag);
	return mmc_read(j->d, lba, n, buf, true, &j->io_diag);
}

static int head_write(void *userdata, uint64_t lba, uint32_t n, const uint8_t *buf)
{
	struct job *j = userdata;

	bfs_diag_clear(&j->io_diag);
	return mmc_write(j->d, lba, n, buf, &j->io_diag);
}

static int head_sync(void *userdata)
{
	struct job *j = userdata;

	bfs_diag_clear(&j->io_diag);
	return mmc_sync_cache(j->d, &j->io_diag);
}

/* A head I/O failure r in diag, with what the drive said instead of strerror. */
static int head_error(struct job *j, int r, struct bfs_diag *diag)
{
	char msg[BFS_DIAG_MSG_MAX];
	const char *e = strerror(-r);
	size_t n, el = strlen(e);

	if (r >= 0 || !j->io_diag.msg[0])
		return r;
	snprintf(msg, sizeof(msg), "%s", bfs_diag_msg(diag, r));
	n = strlen(msg);
	if (n > el && strcmp(msg + n - el, e) == 0)
		msg[n - el] = '\0'; /* "...: " left */
	bfs_diag_clear(diag);
	return bfs_diag_set(diag, r, "%s%s", msg, j->io_diag.msg);
}

/*
 * Overwrite media with sessions: the front held back (its descriptors and anchor) written
 * now that the rest is there, flushed, then the head at 16 and 256 made the new session's
 * (grow.h). Until the head is written, readers see the previous tree.
 */
static int grow_finish(struct job *j, uint64_t nwa, struct eng_burn_result *res,
		       struct bfs_diag *diag)
{
	struct eng_grow_io io = {head_read, head_write, head_sync, j};
	/* the rest on the medium before the front: a drive's cache may reorder writes */
	int r = mmc_sync_cache(j->d, diag);

	if (r == 0)
		r = mmc_write(j->d, nwa, (uint32_t)j->front.blocks, j->front.buf, diag);
	if (r == 0)
		r = mmc_sync_cache(j->d, diag);
	if (r == 0)
		r = head_error(j,
			       eng_grow_head_plan(&io, &j->front, j->grow_s[0].start, j->root,
						  &j->head, diag),
			       diag);
	if (r == 0) {
		r = head_error(j, eng_grow_head_write(&io, &j->head, diag), diag);
		/* best effort: a head half rewritten would mix two sessions' descriptors */
		if (r < 0 && eng_grow_head_restore(&io, &j->head, &j->io_diag) < 0)
			bfs_diag_clear(&j->io_diag);
	}
	res->udf_unseen = j->head.udf_unseen;
	return r;
}

/* Write a piece of the session at pos: a grown medium's front is held back. */
static int write_piece(struct job *j, uint64_t nwa, uint64_t pos, const uint8_t *p, size_t n,
		       struct bfs_diag *diag)
{
	size_t k = j->grow_s ? eng_grow_front_take(&j->front, pos, p, n) : 0;

	if (k == n)
		return 0;
	return mmc_write(j->d, nwa + pos + k, (uint32_t)(n - k), p + k * 2048,
			 diag); /* names the block */
}

/* Write, pad, flush, close and verify the session from src at the NWA. */
static int burn_session(struct job *j, struct source *src, eng_bad_range_fn bad, void *bad_userdata,
			struct eng_burn_result *res, struct bfs_diag *diag)
{
	const struct eng_burn_opts *o = j->o;
	const struct mmc_media *m = &res->before;
	static const uint8_t zero[PAD_BLOCKS * 2048];
	/* whole write units per command: the drive's limit, a multiple of 32 blocks */
	size_t max = mmc_drive_max_blocks(j->d);
	uint64_t pos = 0, total = res->blocks;
	int r;

	r = mmc_set_write_speed(j->d, m, o->speed_x, &res->speed_kBps, diag);
	if (r < 0)
		return r;
	r = mmc_write_prepare(j->d, m, o->simulate, diag); /* the profile's write strategy */
	if (r < 0)
		return r;
	while (pos < src->blocks) {
		const uint8_t *p;
		ssize_t n;

		if (j->stop)
			return bfs_diag_set(diag, -ECANCELED, "cancelled after %llu of %llu blocks",
					    (unsigned long long)pos, (unsigned long long)total);
		n = src_peek(src, max, &p, diag);
		if (n <= 0)
			return n < 0 ? (int)n
				     : bfs_diag_set(diag, -EIO,
						    "internal error: stream ended early");
		res->wrote = true;
		r = write_piece(j, m->nwa, pos, p, (size_t)n, diag);
		if (r == -ECANCELED)
			return cancelled_after(pos, total, r, diag);
		if (r < 0)
			return r;
		src_consume(src, (size_t)n);
		pos += (uint64_t)n;
		res->written = pos;
		report(j, ENG_PHASE_WRITE, pos, total, src);
	}
	while (pos < total) { /* pad to the write unit */
		uint32_t n = (uint32_t)BFS_MIN(total - pos, (uint64_t)PAD_BLOCKS);

		r = mmc_write(j->d, m->nwa + pos, n, zero, diag);
		if (r < 0)
			return r;
		pos += n;
		res->written = pos;
	}
	report(j, ENG_PHASE_CLOSE, 0, 1, NULL);
	r = j->grow_s ? grow_finish(j, m->nwa, res, diag) : 0;
	if (r == 0)
		r = mmc_sync_cache(j->d, diag);
	if (r == 0)
		r = mmc_close(j->d, m, o->finalize, diag);
	res->closed = r == 0 && !m->overwrite;
	if (o->simulate) {
		struct bfs_diag tmp = {0};
		int q = mmc_set_test_write(j->d, m, false, &tmp);

		if (r == 0 && q < 0)
			r = bfs_diag_set(diag, q, "%s", bfs_diag_msg(&tmp, q));
		return r; /* nothing was recorded: nothing to read back */
	}
	if (r < 0)
		return r;
	j->st.op_progress = -1;
	if (o->verify != ENG_VERIFY_NONE)
		r = verify(j, src, m->nwa, bad, bad_userdata, res, diag);
	if (r == 0 && o->verify != ENG_VERIFY_NONE && j->grow_s) {
		struct eng_grow_io io = {head_read, head_write, head_sync, j};

		/* what every reader looks at */
		r = head_error(j, eng_grow_head_check(&io, &j->head, diag), diag);
	}
	return r;
}

static void finish(struct mmc_drive *d, struct eng_burn_result *res, struct eng_burn_result *ret)
{
	struct bfs_diag tmp = {0};
	struct eng_disc_space sp;
	int r;

	/*
	 * The disc's state now, for the report: asked even after a cancel, but not waited
	 * for: a drive still busy (stuck) says so at once.
	 */
	mmc_drive_set_poll(d, NULL, NULL);
	mmc_drive_set_busy_wait(d, false);
	r = mmc_media_probe(d, &res->after, &tmp);
	mmc_drive_set_busy_wait(d, true);
	if (r < 0) {
		res->after = (struct mmc_media){.profile_name = NULL}; /* unknown */
		snprintf(res->after_why, sizeof(res->after_why), "%s", bfs_diag_msg(&tmp, r));
		/* a write-once disc with blocks of an unclosed session is incomplete for good */
		res->new_disc = res->new_disc || (res->written && !res->closed &&
						  !res->before.overwrite && !res->before.erasable);
	} else if (res->wrote) {
		(void)eng_disc_space(&res->after, &sp, NULL);
		res->new_disc = sp.new_disc;
	}
	mmc_drive_set_busy(d, NULL, NULL);
	if (ret)
		*ret = *res;
}

/* The last closed session of a disc, NULL when it has none. */
/*
 * The last closed session that holds a tree to carry: a CD's audio sessions (an Enhanced
 * CD's first) hold none, and are passed over.
 */
static const struct eng_session *last_closed(const struct eng_session *s, size_t n)
{
	while (n && (s[n - 1].open || s[n - 1].audio))
		n--;
	return n ? &s[n - 1] : NULL;
}

/* The first session with a tree: where the new UDF partition may start. */
static const struct eng_session *first_data(const struct eng_session *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i].audio)
			return &s[i];
	return NULL;
}

/*
 * The disc's tree could not be read: what the drive said of the last READ that failed (the
 * sense, decoded), after what the reader made of it ("cannot read block N: Connection timed
 * out" alone does not tell a cut session from a stuck drive).
 */
static int merge_failed(const struct eng_medium *med, int r, struct bfs_diag *diag)
{
	const char *rd = eng_medium_read_error(med);
	char msg[BFS_DIAG_MSG_MAX];

	if (r == -ENOMEM || !rd || !rd[0])
		return r;
	snprintf(msg, sizeof(msg), "%s", bfs_diag_msg(diag, r));
	bfs_diag_clear(diag);
	return bfs_diag_set(diag, r, "%s: drive: %s", msg, rd);
}

/* Edits of a disc's tree with no tree to apply them to: refused, the staged changes kept. */
static int no_edits_at(const struct eng_burn_opts *o, const char *why, struct bfs_diag *diag)
{
	if (!o->edits || eng_edits_empty(o->edits))
		return 0;
	return bfs_diag_set(diag, -ESTALE,
			    "the staged changes delete, rename or change files of the disc's "
			    "tree, but %s (remedy: discard them, or put back the disc they were "
			    "made on)",
			    why);
}

/*
 * A disc with sessions: the last one's tree under root (engine/append.h), so that the new
 * session holds the whole disc. *ret keeps what the image needs of the merge.
 */
static int merge_disc(struct job *j, const struct mmc_media *m, struct bfs_node *root,
		      struct eng_append **ret, struct eng_burn_result *res, struct bfs_diag *diag)
{
	_cleanup_(eng_medium_freep) struct eng_medium *med = NULL;
	_cleanup_free_ struct eng_session *s = NULL;
	const struct eng_session *last, *list;
	size_t n = 0;
	int r;

	if (!j->grow_s && (m->status != MMC_DISC_APPENDABLE || !m->sessions))
		return no_edits_at(j->o, "the disc holds no session",
				   diag); /* blank: nothing to carry */
	r = eng_medium_of_drive(j->d, m, &med, diag);
	if (r == 0 && !j->grow_s)
		r = eng_sessions_list(med, &s, &n, diag);
	list = j->grow_s ? j->grow_s : s; /* overwrite media: the sessions grow_place() found */
	n = j->grow_s ? j->grow_n : n;
	if (r < 0)
		return bfs_diag_prefix(diag, r,
				       "reading the disc's sessions to append to them "
				       "(--new-tree writes a session without them)");
	last = last_closed(list, n);
	if (!last)
		return no_edits_at(j->o, "the disc holds no closed session with files", diag);
	r = eng_append_merge(eng_medium_read, med, last, first_data(list, n), j->o->edits, root,
			     diag, ret);
	if (r < 0)
		return merge_failed(med, r, diag);
	res->appended = true;
	eng_append_info(*ret, &res->append);
	return 0;
}

static void job_init(struct job *j, struct mmc_drive *d, const struct eng_burn_opts *opts)
{
	*j = (struct job){.d = d, .o = opts};
	j->st.ring_fill = j->st.drive_fill = j->st.op_progress = -1;
	mmc_drive_set_busy(d, on_busy, j);
	mmc_drive_set_poll(d, job_poll, j);
}

int eng_burn(struct mmc_drive *d, struct bfs_node *root, const struct eng_burn_opts *opts,
	     eng_bad_range_fn bad, void *bad_userdata, struct eng_burn_result *ret,
	     struct bfs_diag *diag)
{
	struct eng_burn_result res = {0};
	struct eng_image_opts io = opts->image;
	_cleanup_(eng_append_freep) struct eng_append *app = NULL; /* outlives img */
	_cleanup_(eng_image_freep) struct eng_image *img = NULL;
	struct eng_image_info info;
	struct mmc_media *m = &res.before;
	struct source src = {.fd = -1};
	struct eng_policy pol;
	struct job j;
	int r;

	job_init(&j, d, opts);
	j.root = root;
	r = mmc_media_probe(d, m, diag);
	if (r == 0)
		r = grow_place(d, m, &j.grow_s, &j.grow_n, diag);
	if (r == 0 && j.grow_s)
		r = eng_grow_front_init(&j.front);
	res.grown = j.grow_s != NULL;
	if (r == 0)
		r = check_medium(m, opts, &res, diag);
	if (r == 0)
		r = format_if_needed(d, m, diag);
	if (r < 0)
		goto out;
	j.st.x1_kBps = mmc_media_x1_kBps(m);
	/* the medium's policy (UDF revision, write unit, start), whatever --fs chose */
	eng_policy_of_medium(m, &pol);
	eng_policy_apply(&pol, &io);
	io.start_lba = m->nwa;
	io.manifest = true;
	io.hashes = true;
	if (!io.ring_bytes)
		io.ring_bytes = 16u << 20;
	if (opts->new_tree)
		r = no_edits_at(opts, "--new-tree writes a session without the disc's tree", diag);
	else
		r = merge_disc(&j, m, root, &app, &res, diag);
	if (r < 0)
		goto out;
	if (app)
		eng_append_apply(app, m->overwrite, &io);
	if (app && !io.volume_id && res.append.volume_id[0])
		io.volume_id = res.append.volume_id; /* the disc keeps its name */
	r = eng_image_new(&io, root, diag, &img);
	if (r < 0)
		goto out;
	eng_image_info(img, &info);
	res.start_lba = m->nwa;
	res.blocks = BFS_ROUND_UP(info.blocks, (uint64_t)pol.write_unit);
	r = fits(m, res.blocks, diag);
	if (r == 0)
		r = eng_stream_start(img);
	if (r < 0)
		goto out;
	src.img = img;
	src.blocks = info.blocks;
	r = burn_session(&j, &src, bad, bad_userdata, &res, diag);
out:
	finish(d, &res, ret);
	free(j.grow_s);
	eng_grow_front_done(&j.front);
	return r;
}

/*
 * The root directory's block of an ISO 9660 image (0 for a UDF-only image), which tells
 * where the image was made to start: its addresses are absolute. -EINVAL for neither.
 */
static int64_t image_root(int fd)
{
	uint8_t vd[2048];

	if (pread(fd, vd, sizeof(vd), 16 * 2048) != (ssize_t)sizeof(vd))
		return -EINVAL;
	if (vd[ISO9660_VD_TYPE] == ISO9660_VD_TYPE_PRIMARY &&
	    memcmp(vd + ISO9660_VD_STD_ID, ISO9660_STD_ID, ISO9660_VD_STD_ID_LEN) == 0)
		return bfs_get_le32(vd + ISO9660_VD_ROOT_EXTENT);
	if (memcmp(vd + 1, "BEA01", 5) == 0 || memcmp(vd + 1, "NSR0", 4) == 0)
		return 0;
	return -EINVAL;
}

bool eng_is_image_file(const char *path)
{
	/* O_NONBLOCK: a FIFO (verify --drive --against FIFO) must not block the question */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	bool yes;

	if (fd < 0)
		return false;
	yes = fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) &&
	      image_root(fd) >= 0;
	close(fd);
	return yes;
}

int eng_burn_image(struct mmc_drive *d, const char *path, const struct eng_burn_opts *opts,
		   eng_bad_range_fn bad, void *bad_userdata, struct eng_burn_result *ret,
		   struct bfs_diag *diag)
{
	struct eng_burn_result res = {0};
	struct mmc_media *m = &res.before;
	struct source src = {.fd = -1};
	struct eng_imagefile file;
	struct eng_policy pol;
	struct job j;
	int64_t root;
	int r;

	job_init(&j, d, opts);
	/* refused before the drive is touched: special files, and images cut short */
	r = eng_imagefile_open(path, 0, &file, diag);
	if (r < 0)
		goto out;
	src.fd = TAKE_FD(file.fd);
	if (file.bytes % 2048) {
		r = bfs_diag_set(diag, -EINVAL,
				 "'%s': not a disc image (%llu bytes, not whole 2048-byte blocks)",
				 path, (unsigned long long)file.bytes);
		goto out;
	}
	src.blocks = file.blocks;
	root = image_root(src.fd);
	if (root < 0) {
		r = bfs_diag_set(diag, -EINVAL,
				 "'%s': not a disc image (no ISO 9660 or UDF volume descriptors at "
				 "block 16)",
				 path);
		goto out;
	}
	r = mmc_media_probe(d, m, diag);
	if (r == 0 && m->overwrite && m->status == MMC_DISC_RANDOM && m->used_blocks)
		/* a session there must become the head's too (grow.h), which an image is not */
		r = bfs_diag_set(diag, -ENOTEMPTY,
				 "the %s holds data (%llu blocks): an image file is burnt onto "
				 "a blank one only; burn the files instead (`burnfs burn DIR`: "
				 "they are added to the disc's tree), or erase it first",
				 m->profile_name, (unsigned long long)m->used_blocks);
	if (r == 0 && file.made_for_later) /* its volume counts from the NWA it was made for */
		r = eng_imagefile_check_size(&file, path, m->nwa, diag);
	if (r == 0)
		r = check_medium(m, opts, &res, diag);
	if (r == 0)
		r = format_if_needed(d, m, diag);
	if (r < 0)
		goto out;
	j.st.x1_kBps = mmc_media_x1_kBps(m);
	/* an image holds absolute addresses: it must have been made for the NWA, so its
	 * root directory lies after the volume descriptors of its own block range */
	if (root ? (uint64_t)root <= m->nwa + 16 || (uint64_t)root >= m->nwa + src.blocks
		 : m->nwa != 0) {
		r = bfs_diag_set(
			diag, -EXDEV,
			"'%s' was not made to start at block %llu, this %s's next writable "
			"address (%s): burn the files instead (`burnfs burn DIR`), or make "
			"the image with `burnfs image --start-lba %llu`",
			path, (unsigned long long)m->nwa, m->profile_name,
			root ? "its root directory lies elsewhere"
			     : "a UDF-only image can only go onto a blank disc",
			(unsigned long long)m->nwa);
		goto out;
	}
	res.start_lba = m->nwa;
	eng_policy_of_medium(m, &pol);
	res.blocks = BFS_ROUND_UP(src.blocks, (uint64_t)pol.write_unit);
	r = fits(m, res.blocks, diag);
	if (r < 0)
		goto out;
	src.chunk = malloc((size_t)ENG_CHUNK_BLOCKS * 2048);
	src.hashes = calloc((size_t)BFS_DIV_ROUND_UP(src.blocks, (uint64_t)ENG_CHUNK_BLOCKS),
			    sizeof(*src.hashes));
	if (!src.chunk || !src.hashes) {
		r = -ENOMEM;
		goto out;
	}
	r = burn_session(&j, &src, bad, bad_userdata, &res, diag);
out:
	if (src.fd >= 0)
		close(src.fd);
	free(src.chunk);
	free(src.hashes);
	finish(d, &res, ret);
	return r;
}
