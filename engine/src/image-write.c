/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image written straight into a regular file (eng_image_write_fd()): the path of
 * `burnfs image -o FILE`. Why it is not the stream:
 *
 * - The stream hands blocks over in order through one ring, so a file's SHA-256 (one
 *   sequential digest) is taken at the pace the ring allows, by one thread: a tree of a few
 *   large files is hashed one file after the other. Here NLANES lanes each take the next
 *   unit (one large file, or a run of small files that follow each other in the image, up
 *   to UNIT_BYTES) and read, hash and write it at its place in the file on their own: the
 *   digests of several files are taken at once.
 * - A lane hashes the very buffer it then writes: the manifest lists the bytes of the
 *   image, and a source that changed while it was read fails the image (img_src_close()).
 * - Writes bypass the page cache (O_DIRECT, through a second descriptor of the same file)
 *   where the file system takes it. An image is written once and read later, and making
 *   gigabytes of page cache was most of the cost of a large image (on the VMs we measure
 *   on, that cost also varies threefold from one run to the next; the disk's does not).
 *   Every write of the image then goes that way, metadata too, so the page cache never
 *   holds a stale half of a block a direct write changed. A lane's writer thread writes
 *   one buffer while the lane fills and hashes the next. A direct write refused (EINVAL:
 *   a file system wanting other alignment) turns every later write to the page cache.
 * - Without a manifest and without O_DIRECT, a lane copies inside the kernel
 *   (copy_file_range): no byte passes through this process.
 * - The caller's thread renders and writes the metadata before the lanes start, then
 *   reports progress until they are done, and writes the manifest last. Blocks the plan
 *   leaves zero are not written and holes of sparse files stay holes: the caller sizes the
 *   file.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/macro.h"
#include "common/tree.h"
#include "engine/sink.h"
#include "iso9660/writer.h"
#include "udf/writer.h"

#include "image-internal.h"

#define NLANES	   2
#define NBUFS	   2	      /* per lane: one written while the other is filled */
#define UNIT_BYTES (1u << 20) /* a lane's buffer; the most a run of small files gathers */
#define DIO_ALIGN  4096u      /* memory and lengths of direct writes (offsets: 2048) */
#define TICK_NS	   200000000L /* progress reported every 0.2 s */

/* A run of files that follow each other in the image, read and written by one lane. */
struct unit {
	size_t first, n; /* in img->files */
	bool sparse;	 /* one file with holes: its zero blocks stay unwritten */
};

struct writer;

/* A buffer of a lane, filled by the lane and then written by its writer thread. */
struct lbuf {
	uint8_t *p;
	size_t len;  /* bytes, a multiple of 2048 */
	uint64_t at; /* its byte offset in the file */
	bool sparse;
};

struct lane {
	struct writer *w;
	pthread_t thread, wthread;
	bool started, wstarted;
	struct img_src src;
	struct bfs_diag diag; /* the lane's own (the writer thread's failures too) */
	EVP_MD_CTX *md;
	struct lbuf buf[NBUFS];
	size_t head, tail;    /* buffers queued / written */
	struct lbuf *cur;     /* being filled, or NULL */
	bool last;	      /* the lane queues no more */
	int werr;	      /* the writer thread's failure */
	pthread_mutex_t lock; /* head, tail, last, werr */
	pthread_cond_t cond;
};

struct writer {
	struct eng_image *img;
	int fd;		      /* the caller's descriptor */
	int dfd;	      /* the same file opened O_DIRECT, or -1 */
	atomic_bool buffered; /* dfd refused a write: the page cache from then on */
	bool hashing;	      /* a manifest: every file's SHA-256 */
	bool in_memory;	      /* lanes read and write (hashing or dfd), else copy_file_range */
	struct unit *units;
	size_t nunits;
	atomic_size_t next;	    /* the next unit a lane takes */
	atomic_uint_least64_t done; /* bytes written */
	atomic_bool stop;	    /* a failure or a cancel: lanes stop at their next buffer */
	pthread_mutex_t lock;	    /* err, running */
	pthread_cond_t cond;
	int err;
	const struct bfs_diag *err_diag; /* the first failed lane's */
	unsigned running;
	struct lane lanes[NLANES];
	struct lane meta; /* filled by the caller's thread: metadata, tables, the manifest */
};

/* ---- writing ------------------------------------------------------------------------- */

/*
 * len bytes (a multiple of 2048) at p into the file at at: through dfd when p is aligned
 * for it and it takes them, else through the page cache.
 */
static int out_write(struct writer *w, const uint8_t *p, size_t len, uint64_t at)
{
	if (w->dfd >= 0 && !atomic_load(&w->buffered) && (uintptr_t)p % DIO_ALIGN == 0) {
		int r = bfs_pwrite_all(w->dfd, p, len, (off_t)at);

		if (r != -EINVAL)
			return r;
		atomic_store(&w->buffered, true);
	}
	return eng_sink_pwrite(w->fd, p, len, at);
}

static int put_out(void *userdata, const uint8_t *p, size_t len, uint64_t at)
{
	return out_write(userdata, p, len, at);
}

/* ---- lanes --------------------------------------------------------------------------- */

static bool stopped(struct writer *w)
{
	return atomic_load(&w->stop);
}

/*
 * The first failure stops every lane; its message becomes the image's once they are all
 * done (the caller's thread may be writing the image's diag meanwhile).
 */
static int writer_fail(struct writer *w, const struct bfs_diag *d, int r)
{
	pthread_mutex_lock(&w->lock);
	if (!w->err && r != -ECANCELED) {
		w->err = r;
		w->err_diag = d;
	}
	pthread_mutex_unlock(&w->lock);
	atomic_store(&w->stop, true);
	return r;
}

/* The lane's writer thread: its queued buffers, in order, until the lane queues no more. */
static void *lane_writer(void *arg)
{
	struct lane *l = arg;
	struct writer *w = l->w;

	for (;;) {
		struct lbuf *b;
		int r = 0;

		pthread_mutex_lock(&l->lock);
		while (l->tail == l->head && !l->last)
			pthread_cond_wait(&l->cond, &l->lock);
		if (l->tail == l->head) {
			pthread_mutex_unlock(&l->lock);
			break;
		}
		b = &l->buf[l->tail % NBUFS];
		pthread_mutex_unlock(&l->lock);

		/* after a failure or a cancel, what is queued is dropped (werr: this thread's) */
		if (!l->werr && !stopped(w)) {
			/* a sparse file's zero blocks stay holes */
			r = b->sparse ? eng_sink_nonzero(b->p, b->len / BFS_BLOCK_SIZE, b->at,
							 put_out, w)
				      : out_write(w, b->p, b->len, b->at);
			if (r == 0)
				atomic_fetch_add(&w->done, b->len);
		}

		pthread_mutex_lock(&l->lock);
		if (r < 0 && !l->werr)
			l->werr = r;
		l->tail++;
		pthread_cond_broadcast(&l->cond);
		pthread_mutex_unlock(&l->lock);
		if (r < 0)
			atomic_store(&w->stop, true);
	}
	return NULL;
}

/* A free buffer for the lane to fill at byte at of the file. */
static int lane_take(struct lane *l, uint64_t at, bool sparse)
{
	int werr;

	pthread_mutex_lock(&l->lock);
	while (l->head - l->tail == NBUFS && !l->werr)
		pthread_cond_wait(&l->cond, &l->lock);
	werr = l->werr;
	pthread_mutex_unlock(&l->lock);
	if (werr || stopped(l->w))
		return -ECANCELED;
	l->cur = &l->buf[l->head % NBUFS];
	l->cur->len = 0;
	l->cur->at = at;
	l->cur->sparse = sparse;
	return 0;
}

/* The buffer being filled, to the writer thread. */
static void lane_queue(struct lane *l)
{
	if (!l->cur)
		return;
	pthread_mutex_lock(&l->lock);
	if (l->cur->len)
		l->head++;
	l->cur = NULL;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

/* Room in the buffer being filled at byte at (a new one when it is full). */
static int lane_room(struct lane *l, uint64_t at, bool sparse, size_t *ret)
{
	int r;

	if (l->cur && (l->cur->len == UNIT_BYTES || l->cur->at + l->cur->len != at))
		lane_queue(l); /* full, or not where the next bytes go */
	if (!l->cur) {
		r = lane_take(l, at, sparse);
		if (r < 0)
			return r;
	}
	*ret = UNIT_BYTES - l->cur->len;
	return 0;
}

/*
 * The data of one file into the lane's buffers (after what they hold: the unit's files
 * follow each other), hashed as written: the catalog from memory, the BIOS boot file with
 * its boot info table.
 */
static int lane_file(struct lane *l, size_t idx, bool sparse)
{
	struct eng_image *img = l->w->img;
	struct bfs_node *f = img->files[idx];
	uint64_t size = bfs_node_new_bytes(f), off = 0;
	uint64_t at = (f->data_lba - img->opts.start_lba) * BFS_BLOCK_SIZE;
	bool cat = f == img->boot.cat;
	int r = 0;

	if (!cat) {
		r = img_src_open(&l->src, f);
		if (r < 0)
			return r;
	}
	if (l->w->hashing)
		(void)EVP_DigestInit_ex(l->md, EVP_sha256(), NULL);
	while (off < size) {
		size_t room, n, padded;
		uint8_t *p;

		r = lane_room(l, at + off, sparse, &room);
		if (r < 0)
			break;
		p = l->cur->p + l->cur->len;
		n = (size_t)BFS_MIN((uint64_t)room, size - off);
		if (cat)
			memcpy(p, img->boot.catalog + off, n);
		else
			r = img_src_read(&l->src, f, off, p, n);
		if (r < 0)
			break;
		if (f == img->boot.bios && off == 0) /* hashed as stored */
			memcpy(p + 8, img->boot.bi_table, sizeof(img->boot.bi_table));
		if (l->w->hashing)
			(void)EVP_DigestUpdate(l->md, p, n);
		padded = BFS_ROUND_UP(n, (size_t)BFS_BLOCK_SIZE);
		memset(p + n, 0, padded - n);
		l->cur->len += padded;
		off += n;
	}
	if (l->w->hashing && r == 0)
		(void)EVP_DigestFinal_ex(l->md, img->sha[idx], NULL);
	if (!cat) {
		int rc = img_src_close(&l->src, f);

		if (r == 0)
			r = rc;
	}
	return r;
}

/* Copy [off, off + len) of the lane's open source to at, in the kernel (else through memory). */
static int lane_copy_range(struct lane *l, struct bfs_node *f, uint64_t off, uint64_t len,
			   uint64_t at)
{
	struct writer *w = l->w;

	while (len > 0) {
		loff_t in = (loff_t)off, o = (loff_t)at;
		ssize_t n;

		if (stopped(w))
			return -ECANCELED;
		/* 64 MiB at a time: a cancel is seen within a fraction of a second */
		n = copy_file_range(l->src.fd, &in, w->fd, &o, (size_t)BFS_MIN(len, 64u << 20), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 &&
		    (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS)) {
			/* another file system or no support: through memory */
			size_t chunk = (size_t)BFS_MIN(len, (uint64_t)UNIT_BYTES);
			int r = img_src_read(&l->src, f, off, l->buf[0].p, chunk);

			if (r < 0)
				return r;
			r = eng_sink_pwrite(w->fd, l->buf[0].p, chunk, at);
			if (r < 0)
				return bfs_diag_set(&l->diag, r, "write error: %s", strerror(-r));
			n = (ssize_t)chunk;
		} else if (n < 0) {
			return bfs_diag_set(&l->diag, -errno, "'%s': copy error: %m", l->src.path);
		} else if (n == 0) {
			return bfs_diag_set(&l->diag, -ESTALE,
					    "'%s': shrank while it was being read", l->src.path);
		}
		atomic_fetch_add(&w->done, (uint64_t)n);
		off += (uint64_t)n, len -= (uint64_t)n, at += (uint64_t)n;
	}
	return 0;
}

/* One file copied inside the kernel: its data regions (holes stay holes). */
static int lane_copy_file(struct lane *l, struct bfs_node *f)
{
	struct eng_image *img = l->w->img;
	uint64_t base = (f->data_lba - img->opts.start_lba) * BFS_BLOCK_SIZE;
	uint64_t size = bfs_node_new_bytes(f), off = 0;
	int r = 0;

	if (f == img->boot.cat) {
		r = eng_sink_pwrite(l->w->fd, img->boot.catalog, (size_t)size, base);
		return r < 0 ? bfs_diag_set(&l->diag, r, "write error: %s", strerror(-r)) : 0;
	}
	r = img_src_open(&l->src, f);
	if (r < 0)
		return r;
	/* its data regions only: the holes of a sparse file stay holes */
	while (r == 0 && off < size) {
		uint64_t d, h;

		if (off >= l->src.data_end)
			img_src_seek_data(&l->src, f, off);
		d = BFS_MAX(off, l->src.hole_end), h = BFS_MIN(l->src.data_end, size);
		if (d >= h)
			break;
		r = lane_copy_range(l, f, d, h - d, base + d);
		off = h;
	}
	if (r == 0 && f == img->boot.bios) {
		r = eng_sink_pwrite(l->w->fd, img->boot.bi_table, sizeof(img->boot.bi_table),
				    base + 8);
		if (r < 0)
			r = bfs_diag_set(&l->diag, r, "write error: %s", strerror(-r));
	}
	if (r == 0)
		r = img_src_close(&l->src, f);
	else
		(void)img_src_close(&l->src, f);
	return r;
}

static int lane_unit(struct lane *l, const struct unit *u)
{
	int r = 0;

	for (size_t i = u->first; r == 0 && i < u->first + u->n; i++) {
		if (stopped(l->w))
			return -ECANCELED;
		r = l->w->in_memory ? lane_file(l, i, u->sparse)
				    : lane_copy_file(l, l->w->img->files[i]);
	}
	if (l->w->in_memory)
		lane_queue(l); /* a unit's last buffer is not filled further */
	return r;
}

/* The writer thread done with every buffer queued so far; its failure, if any. */
static int lane_flush(struct lane *l)
{
	int r;

	lane_queue(l);
	pthread_mutex_lock(&l->lock);
	while (l->tail != l->head)
		pthread_cond_wait(&l->cond, &l->lock);
	r = l->werr;
	pthread_mutex_unlock(&l->lock);
	return r;
}

/* The writer thread done with every buffer queued, and ended; its failure, if any. */
static int lane_drain(struct lane *l)
{
	int r;

	pthread_mutex_lock(&l->lock);
	l->last = true;
	pthread_cond_broadcast(&l->cond);
	while (l->tail != l->head)
		pthread_cond_wait(&l->cond, &l->lock);
	r = l->werr;
	pthread_mutex_unlock(&l->lock);
	return r;
}

static void *lane_main(void *arg)
{
	struct lane *l = arg;
	struct writer *w = l->w;
	int r = 0, rw;

	while (r == 0 && !stopped(w)) {
		size_t u = atomic_fetch_add(&w->next, 1);

		if (u >= w->nunits)
			break;
		r = lane_unit(l, &w->units[u]);
	}
	lane_queue(l);
	rw = lane_drain(l);
	if (rw < 0)
		r = writer_fail(w, &l->diag,
				bfs_diag_set(&l->diag, rw, "write error: %s", strerror(-rw)));
	else if (r < 0)
		r = writer_fail(w, &l->diag, r);
	pthread_mutex_lock(&w->lock);
	w->running--;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---- the writer ---------------------------------------------------------------------- */

/*
 * The units: each file with data but the manifest, in plan order; a run of small files
 * whose data follow each other goes into one unit of at most UNIT_BYTES.
 */
static int units_plan(struct writer *w)
{
	struct eng_image *img = w->img;
	uint64_t end = 0, bytes = 0;

	w->units = bfs_new(struct unit, BFS_MAX(img->nfiles, (size_t)1));
	if (!w->units)
		return -ENOMEM;
	for (size_t i = 0; i < img->nfiles; i++) {
		const struct bfs_node *f = img->files[i];
		uint64_t fb = BFS_ROUND_UP(bfs_node_new_bytes(f), (uint64_t)BFS_BLOCK_SIZE);
		bool sparse = (f->flags & BFS_NODE_SPARSE) != 0;
		struct unit *u = w->nunits ? &w->units[w->nunits - 1] : NULL;

		if (f == img->manifest || fb == 0)
			continue;
		if (u && !u->sparse && !sparse && f->data_lba * BFS_BLOCK_SIZE == end &&
		    bytes + fb <= UNIT_BYTES) {
			u->n++;
		} else {
			w->units[w->nunits++] = (struct unit){.first = i, .n = 1, .sparse = sparse};
			bytes = 0;
		}
		bytes += fb;
		end = f->data_lba * BFS_BLOCK_SIZE + fb;
	}
	/* far fewer units than files, with small files: give back the rest */
	if (w->nunits) {
		struct unit *u = realloc(w->units, w->nunits * sizeof(*u));

		if (u)
			w->units = u;
	}
	return 0;
}

/*
 * The same file opened again for direct writes: -1 when it is not a regular file open for
 * writing at offsets, or the file system does not take O_DIRECT.
 */
static int open_direct(int fd)
{
	char p[64];
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || (fl & O_APPEND) || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return -1;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	return open(p, O_WRONLY | O_DIRECT | O_CLOEXEC);
}

/* A lane's buffers and state; its writer thread when it has one (not to copy in the kernel). */
static int lane_init(struct writer *w, struct lane *l, unsigned nbufs, bool writer, bool hashing)
{
	int r = 0;

	l->w = w;
	img_src_init(&l->src, &l->diag);
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	for (unsigned k = 0; k < nbufs; k++)
		if (posix_memalign((void **)&l->buf[k].p, DIO_ALIGN, UNIT_BYTES) != 0)
			return -ENOMEM;
	if (hashing) {
		l->md = EVP_MD_CTX_new();
		if (!l->md)
			return -ENOMEM;
	}
	if (writer) {
		r = -pthread_create(&l->wthread, NULL, lane_writer, l);
		l->wstarted = r == 0;
	}
	return r;
}

/* The metadata lane's writer, then the file lanes. */
static int lanes_start(struct writer *w)
{
	int r = lane_init(w, &w->meta, NBUFS, true, false);

	for (unsigned i = 0; i < NLANES && r == 0; i++) {
		struct lane *l = &w->lanes[i];

		/* copy_file_range: one buffer, for a file system that cannot */
		r = w->in_memory ? lane_init(w, l, NBUFS, true, w->hashing)
				 : lane_init(w, l, 1, false, false);
		if (r < 0)
			break;
		pthread_mutex_lock(&w->lock);
		w->running++;
		pthread_mutex_unlock(&w->lock);
		r = -pthread_create(&l->thread, NULL, lane_main, l);
		if (r < 0) {
			pthread_mutex_lock(&w->lock);
			w->running--;
			pthread_mutex_unlock(&w->lock);
			break;
		}
		l->started = true;
	}
	return r;
}

/*
 * Wait for the lanes, telling progress every TICK_NS from this thread (the caller's): its
 * negative answer stops them.
 */
static void lanes_wait(struct writer *w, eng_progress_fn progress, void *userdata)
{
	pthread_mutex_lock(&w->lock);
	while (w->running) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += TICK_NS;
		if (t.tv_nsec >= 1000000000L)
			t.tv_sec++, t.tv_nsec -= 1000000000L;
		(void)pthread_cond_timedwait(&w->cond, &w->lock, &t);
		if (!w->running || !progress || stopped(w))
			continue;
		pthread_mutex_unlock(&w->lock);
		if (progress(atomic_load(&w->done) / BFS_BLOCK_SIZE, w->img->info.blocks,
			     userdata) < 0)
			atomic_store(&w->stop, true);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
}

static void writer_free(struct writer *w)
{
	for (unsigned i = 0; i <= NLANES; i++) {
		struct lane *l = i < NLANES ? &w->lanes[i] : &w->meta;

		if (l->started)
			pthread_join(l->thread, NULL);
		if (l->wstarted) {
			(void)lane_drain(l);
			pthread_join(l->wthread, NULL);
		}
		if (l->w) {
			img_src_release(&l->src);
			pthread_mutex_destroy(&l->lock);
			pthread_cond_destroy(&l->cond);
		}
		for (unsigned k = 0; k < NBUFS; k++)
			free(l->buf[k].p);
		EVP_MD_CTX_free(l->md);
	}
	if (w->dfd >= 0)
		close(w->dfd);
	free(w->units);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
}

/* A segment's blocks (not SEG_ZERO or SEG_DATA) rendered at dst. */
static int render(struct eng_image *img, const struct seg *s, uint8_t *dst)
{
	int r = 0;

	if (s->kind == SEG_MEM)
		memcpy(dst, s->mem, (size_t)s->nblocks * BFS_BLOCK_SIZE);
	else if (s->kind == SEG_ISO)
		r = iso9660_writer_fill(img->iso, s->ext, dst);
	else if (s->kind == SEG_UDF)
		r = udf_writer_fill(img->udf, s->ext, dst);
	if (r < 0)
		return bfs_diag_prefix(img->diag, r, "rendering metadata at block %llu",
				       (unsigned long long)s->lba);
	return 0;
}

/* len bytes of memory to the metadata lane, for byte at of the file. */
static int meta_copy(struct writer *w, const uint8_t *p, size_t len, uint64_t at)
{
	struct lane *l = &w->meta;

	while (len > 0) {
		size_t room, n;
		int r = lane_room(l, at, false, &room);

		if (r < 0)
			return r;
		n = BFS_MIN(room, len);
		memcpy(l->cur->p + l->cur->len, p, n);
		l->cur->len += n;
		p += n, len -= n, at += n;
	}
	return 0;
}

/*
 * One segment to the metadata lane: rendered straight into its buffer when it fits one
 * (a file's UDF entry is a segment of one block: they gather), else rendered apart.
 */
static int meta_put(struct writer *w, const struct seg *s)
{
	struct eng_image *img = w->img;
	struct lane *l = &w->meta;
	uint64_t at = (s->lba - img->opts.start_lba) * BFS_BLOCK_SIZE;
	size_t need = (size_t)s->nblocks * BFS_BLOCK_SIZE, room;
	int r;

	if (need <= UNIT_BYTES) {
		r = lane_room(l, at, false, &room);
		if (r == 0 && room < need) {
			lane_queue(l);
			r = lane_room(l, at, false, &room);
		}
		if (r < 0)
			return r;
		r = render(img, s, l->cur->p + l->cur->len);
		if (r == 0)
			l->cur->len += need;
		return r;
	}
	if (img_meta_reserve(img, need) < 0)
		return -ENOMEM;
	r = render(img, s, img->meta);
	return r < 0 ? r : meta_copy(w, img->meta, need, at);
}

/* Every segment but file data, in order (zeros are not written), to the metadata lane. */
static int write_meta(struct writer *w)
{
	struct eng_image *img = w->img;
	int r = 0;

	for (size_t i = 0; i < img->nsegs && r == 0; i++)
		if (img->segs[i].kind != SEG_ZERO && img->segs[i].kind != SEG_DATA)
			r = meta_put(w, &img->segs[i]);
	lane_queue(&w->meta);
	return r;
}

/*
 * Room for the file data on the file system before any is written: a full disk is said
 * at once, not after minutes of copying, and direct writes into allocated (unwritten)
 * blocks need not take the file's lock one at a time. Runs of units that follow each
 * other are one call; sparse files are left out (their holes stay holes). A file system
 * without fallocate() is not an error.
 */
static int reserve(struct writer *w)
{
	struct eng_image *img = w->img;

	for (size_t i = 0; i < w->nunits;) {
		const struct unit *u = &w->units[i];
		uint64_t start = img->files[u->first]->data_lba, end;
		size_t j = i;

		if (u->sparse) {
			i++;
			continue;
		}
		do {
			const struct unit *v = &w->units[j];
			const struct bfs_node *f = img->files[v->first + v->n - 1];

			end = f->data_lba + BFS_DIV_ROUND_UP(bfs_node_new_bytes(f), BFS_BLOCK_SIZE);
			j++;
		} while (j < w->nunits && !w->units[j].sparse &&
			 img->files[w->units[j].first]->data_lba == end);
		if (fallocate(w->fd, 0, (off_t)((start - img->opts.start_lba) * BFS_BLOCK_SIZE),
			      (off_t)((end - start) * BFS_BLOCK_SIZE)) < 0) {
			if (errno == ENOSPC)
				return bfs_diag_set(
					img->diag, -ENOSPC,
					"no room for the image's %llu MiB of file data",
					(unsigned long long)(img->info.stats.data_bytes >> 20));
			if (errno != EINTR)
				return 0; /* not supported here: written as it comes */
			continue;
		}
		i = j;
	}
	return 0;
}

/*
 * The manifest, once every file's SHA-256 is known: its new chunks and trailer rendered
 * one at a time straight into the metadata lane's buffers (a chunk is at most
 * ENG_MANIFEST_CHUNK_MAX and its padding, far below a buffer).
 */
static int write_manifest(struct writer *w)
{
	struct eng_image *img = w->img;
	const struct bfs_node *f = img->manifest;
	struct lane *l = &w->meta;
	uint64_t start = (f->data_lba - img->opts.start_lba) * BFS_BLOCK_SIZE, at = start;
	int r = 0;

	for (size_t i = 0; r == 0 && i < img_manifest_parts(img); i++) {
		size_t len = img_manifest_part_len(img, i), room;

		if (!len)
			continue;
		r = lane_room(l, at, false, &room);
		if (r == 0 && room < len) {
			lane_queue(l);
			r = lane_room(l, at, false, &room);
		}
		if (r == 0 && room < len)
			r = bfs_diag_set(img->diag, -EIO,
					 "internal error: a manifest chunk of %zu bytes", len);
		if (r == 0)
			r = img_manifest_part(img, i, l->cur->p + l->cur->len);
		if (r == 0)
			l->cur->len += len, at += len;
	}
	if (r == 0 && at - start != bfs_node_new_bytes(f))
		r = bfs_diag_set(img->diag, -EIO,
				 "internal error: manifest is %llu new bytes, planned %llu",
				 (unsigned long long)(at - start),
				 (unsigned long long)bfs_node_new_bytes(f));
	lane_queue(l);
	return r;
}

/* The metadata lane's writes done: 0, or the image's error. */
static int meta_flush(struct writer *w)
{
	int r = lane_flush(&w->meta);

	return r < 0 ? bfs_diag_set(w->img->diag, r, "write error: %s", strerror(-r)) : 0;
}

static int writer_run(struct writer *w, eng_progress_fn progress, void *userdata)
{
	struct eng_image *img = w->img;
	int r;

	r = reserve(w);
	if (r == 0) {
		r = lanes_start(w);
		if (r < 0)
			r = bfs_diag_set(img->diag, r, "cannot start the image's threads: %s",
					 strerror(-r));
	}
	if (r == 0)
		r = write_meta(w); /* while the lanes copy */
	if (r < 0)
		atomic_store(&w->stop, true);
	lanes_wait(w, r == 0 ? progress : NULL, userdata);
	/* what stopped the others: a lane's failure, a metadata write's, a rendering's */
	if (w->err)
		return bfs_diag_set(img->diag, w->err, "%s", bfs_diag_msg(w->err_diag, w->err));
	if (w->meta.w) {
		int rm = meta_flush(w);

		if (rm < 0)
			return rm;
	}
	if (r < 0)
		return r == -ENOMEM && !img->diag->err ? bfs_diag_set(img->diag, r, "out of memory")
						       : r;
	if (stopped(w))
		return bfs_diag_set(img->diag, -ECANCELED, "interrupted");
	if (img->manifest) {
		r = write_manifest(w);
		if (r == 0)
			r = meta_flush(w);
		if (r < 0)
			return r;
	}
	if (progress)
		(void)progress(img->info.blocks, img->info.blocks, userdata); /* done: no stop */
	return 0;
}

int eng_image_write_fd(struct eng_image *img, int fd, eng_progress_fn progress, void *userdata)
{
	struct writer w = {.img = img, .fd = fd, .dfd = -1};
	int r;

	if (img->want_chunks || img->started)
		return -EINVAL;
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	w.hashing = img->manifest != NULL;
	if (!img->opts.page_cache)
		w.dfd = open_direct(fd);
	w.in_memory = w.hashing || w.dfd >= 0;
	if (w.hashing) {
		img->sha = calloc(BFS_MAX(img->nfiles, (size_t)1), sizeof(*img->sha));
		if (!img->sha) {
			writer_free(&w);
			return -ENOMEM;
		}
	}
	r = units_plan(&w);
	if (r == 0)
		r = writer_run(&w, progress, userdata);
	writer_free(&w);
	img->delivered = r == 0 ? img->info.blocks : 0;
	return r;
}
