/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disc's tree under the new one. See engine/append.h.
 */
#include "engine/append.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "engine/verify.h"
#include "udf/reader.h"
#include "udf/writer.h"

#define MANIFEST_PATH "/.burnfs/SHA256SUMS"
#define MANIFEST_MAX  (256u << 20) /* bytes of an old manifest read */
#define COPY_BUF      (1u << 20)
#define TMP_PREFIX    "burnfs-append."	      /* the copies' directories in $TMPDIR */
#define TMP_NEW	      "burnfs-append-new."    /* ... before they are locked */
#define TMP_MARK      ".burnfs-append-copies" /* in each: what tells ours from another's */

/* The SHA-256 of one kept file, by node (sorted by node address once the tree is built). */
struct kept_sha {
	const struct bfs_node *node;
	uint8_t sha[32];
	bool live;     /* still in the tree after grafting */
	bool has_icb;  /* read from a UDF tree: its entry, which the new volume may keep */
	bool unhashed; /* no manifest line: to be hashed from the disc */
	uint16_t icb_part;
	struct udf_prior_icb icb;
};

/* One line of the old manifest (sorted by path). */
struct old_line {
	char *path;
	uint8_t sha[32];
};

/* A file copied out of the disc, by its inode number on the disc (hard links share it). */
struct copied {
	uint64_t ino;
	char *path;
};

struct eng_append {
	struct eng_append_info info;
	struct udf_prior prior; /* the last session's UDF volume, when the tree was UDF's */
	bool has_prior;
	struct kept_sha *sha;
	size_t nsha, sha_cap;
	char *tmpdir; /* the copies' directory, NULL until the first copy */
	int tmplock;  /* tmpdir opened, flock()ed while the copies are in use */
	struct copied *copies;
	size_t ncopies, copies_cap;
};

/* The state of one merge: the disc's tree being read and the nodes being built. */
struct merge {
	struct eng_append *a;
	const struct eng_session *s; /* the session merged */
	struct eng_disctree *t;
	struct bfs_diag *diag;
	struct old_line *lines;
	size_t nlines, lines_cap;
	struct bfs_node *stack[ENG_DISCTREE_DEPTH_MAX + 2]; /* directories being filled */
	unsigned depth;
	uint8_t *buf; /* COPY_BUF bytes */
	EVP_MD_CTX *md;
	uint64_t udf_part; /* the session's UDF partition start, when has_udf_part */
	bool has_udf_part;
	/*
	 * The session's UDF tree when t is its Rock Ridge one: where the kept files' UDF
	 * entries are, for the new volume to point at (udf_entries_match)
	 */
	struct eng_disctree *ut;
};

struct eng_append *eng_append_free(struct eng_append *a)
{
	if (!a)
		return NULL;
	for (size_t i = 0; i < a->ncopies; i++) {
		(void)unlink(a->copies[i].path);
		free(a->copies[i].path);
	}
	if (a->tmpdir) {
		(void)unlinkat(a->tmplock, TMP_MARK, 0);
		(void)rmdir(a->tmpdir);
		close(a->tmplock);
	}
	free(a->tmpdir);
	free(a->copies);
	free(a->sha);
	free(a);
	return NULL;
}

void eng_append_info(const struct eng_append *a, struct eng_append_info *ret)
{
	*ret = a->info;
}

static int sha_cmp(const void *pa, const void *pb)
{
	const struct kept_sha *x = pa, *y = pb;

	return x->node < y->node ? -1 : x->node > y->node;
}

static const uint8_t *prior_sha(const struct bfs_node *n, void *userdata)
{
	const struct eng_append *a = userdata;
	struct kept_sha key = {.node = n};
	const struct kept_sha *k =
		a->nsha ? bsearch(&key, a->sha, a->nsha, sizeof(key), sha_cmp) : NULL;

	return k ? k->sha : NULL;
}

/* The UDF entry of a kept file, for the new volume to point at (udf/writer.h). */
static int prior_icb(const struct bfs_node *n, void *userdata, struct udf_prior_icb *ret)
{
	const struct eng_append *a = userdata;
	struct kept_sha key = {.node = n};
	const struct kept_sha *k =
		a->nsha ? bsearch(&key, a->sha, a->nsha, sizeof(key), sha_cmp) : NULL;

	/* the partition holding metadata: the metadata map (1) on 2.50, else the physical */
	if (!k || !k->has_icb || k->icb_part != (a->prior.nmeta ? 1 : 0))
		return -ENOENT;
	*ret = k->icb;
	return 0;
}

void eng_append_apply(struct eng_append *a, bool one_run_metadata, struct eng_image_opts *io)
{
	if (one_run_metadata && a->prior.nmeta)
		a->has_prior = false; /* 2.50: no earlier runs, so every entry is written again */
	io->prior_sha = prior_sha;
	io->prior_userdata = a;
	io->has_udf_partition_start = true;
	io->udf_partition_start = a->info.partition_start;
	io->udf_prior = a->has_prior ? &a->prior : NULL;
}

/*
 * What the new UDF volume may keep of the last session's: its revision, partition start
 * and metadata file's runs (the entries themselves were noted file by file).
 */
static void prior_volume(struct merge *m)
{
	struct eng_append *a = m->a;
	struct udf_reader *r = eng_disctree_udf_reader(m->ut ? m->ut : m->t);
	struct udf_volume_info vi;
	uint64_t blocks = 0, mblocks = 0;
	int q;

	if (!r)
		return;
	udf_reader_info(r, &vi);
	if (!vi.has_phys || vi.has_vat || vi.has_sparable || vi.block_size != 2048)
		return;
	a->prior.revision = vi.udf_revision;
	a->prior.part_start = vi.phys_start;
	a->prior.icb = prior_icb;
	a->prior.userdata = a;
	if (vi.has_metadata) {
		q = udf_reader_metadata_runs(r, 0, a->prior.meta, UDF_PRIOR_RUNS_MAX,
					     &a->prior.nmeta, &blocks);
		if (q < 0)
			return; /* no reuse: every entry is written again */
		q = udf_reader_metadata_runs(r, 1, a->prior.mirror, UDF_PRIOR_RUNS_MAX,
					     &a->prior.nmirror, &mblocks);
		if (q == -ENOENT || (q == 0 && mblocks != blocks))
			a->prior.nmirror = 0;
		else if (q < 0)
			return;
		a->prior.meta_blocks = blocks;
	}
	a->has_prior = true;
}

/* ---- the old manifest -------------------------------------------------------------------- */

static int line_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct old_line *)pa)->path, ((const struct old_line *)pb)->path);
}

static int line_add(const uint8_t sha[32], const char *name, void *userdata)
{
	struct merge *m = userdata;
	struct old_line *l;

	if (BFS_GROW(m->lines, m->lines_cap, m->nlines + 1) < 0)
		return -ENOMEM;
	l = &m->lines[m->nlines];
	l->path = strdup(name);
	if (!l->path)
		return -ENOMEM;
	memcpy(l->sha, sha, 32);
	m->nlines++;
	return 0;
}

/*
 * Whether manifest d was written with the session: its data lies in it. A session another
 * program appended after ours (xorriso, growisofs -M) carries our /.burnfs unchanged, its
 * data where our session wrote it and its lines those of our session's files, not of the
 * ones that program added or replaced: such lines would be recorded as the hashes of the
 * replacements. Data that cannot be located (embedded in a UDF ICB) is taken as the
 * session's.
 */
static bool manifest_of_session(struct merge *m, const struct eng_dnode *d)
{
	uint64_t lba;
	int r = eng_disctree_extent(m->t, d, &lba);

	bfs_diag_clear(m->diag);
	return r < 0 || (lba >= m->s->start && lba - m->s->start < m->s->length);
}

/*
 * The old session's manifest, when it has one of its own that reads and parses: its hashes
 * are those its burn verified. A damaged one is a warning, an earlier session's a note in
 * the log (the kept files are hashed from the disc).
 */
static int manifest_load(struct merge *m)
{
	struct eng_dnode d = {0};
	struct bfs_diag tmp = {0};
	_cleanup_free_ uint8_t *data = NULL;
	uint64_t got = 0;
	int r = eng_disctree_lookup(m->t, MANIFEST_PATH, &d);

	bfs_diag_clear(m->diag); /* a disc without a manifest is no failure */
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	if (d.type != BFS_NODE_FILE || d.size > MANIFEST_MAX)
		goto out;
	if (!manifest_of_session(m, &d)) {
		bfs_log(LOG_INFO,
			"session %u: its manifest is an earlier session's, which the "
			"program that wrote session %u carried over: not used",
			m->a->info.session, m->a->info.session);
		goto out;
	}
	data = malloc(d.size ? d.size : 1);
	if (!data) {
		eng_dnode_done(&d);
		return -ENOMEM;
	}
	while (got < d.size) {
		int64_t n = eng_disctree_pread(m->t, &d, got, data + got, d.size - got);

		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	bfs_diag_clear(m->diag);
	if (got == d.size && eng_manifest_parse(data, d.size, line_add, m, &tmp) == 0)
		qsort(m->lines, m->nlines, sizeof(*m->lines), line_cmp);
	else
		bfs_diag_warn(m->diag,
			      "session %u: its manifest does not read (%s); the files it "
			      "keeps are hashed from the disc",
			      m->a->info.session,
			      tmp.err ? bfs_diag_msg(&tmp, tmp.err) : "cut short");
out:
	eng_dnode_done(&d);
	return 0;
}

static const uint8_t *line_sha(const struct merge *m, const char *path)
{
	struct old_line key = {.path = (char *)path};
	const struct old_line *l;

	if (!m->nlines)
		return NULL; /* no manifest (bsearch wants a non-NULL array) */
	l = bsearch(&key, m->lines, m->nlines, sizeof(key), line_cmp);
	return l ? l->sha : NULL;
}

/* ---- the disc's files -------------------------------------------------------------------- */

/* The SHA-256 of d's bytes, read from the disc. */
static int hash_from_disc(struct merge *m, const struct eng_dnode *d, const char *path,
			  uint8_t out[32])
{
	uint64_t off = 0;

	if (!EVP_DigestInit_ex(m->md, EVP_sha256(), NULL))
		return -ENOMEM;
	while (off < d->size) {
		int64_t n = eng_disctree_pread(m->t, d, off, m->buf, COPY_BUF);

		if (n <= 0)
			return bfs_diag_prefix(m->diag, n < 0 ? (int)n : -EIO,
					       "'/%s' on the disc: cannot be read", path);
		(void)EVP_DigestUpdate(m->md, m->buf, (size_t)n);
		off += (uint64_t)n;
	}
	(void)EVP_DigestFinal_ex(m->md, out, NULL);
	return 0;
}

static int keep(struct merge *m, struct bfs_node *n, const struct eng_dnode *d, const char *path,
		uint64_t lba)
{
	struct eng_append *a = m->a;
	const uint8_t *sha = line_sha(m, path);
	struct kept_sha *k;

	if (BFS_GROW(a->sha, a->sha_cap, a->nsha + 1) < 0)
		return -ENOMEM;
	k = &a->sha[a->nsha];
	*k = (struct kept_sha){.node = n};
	if (d->udf) {
		k->has_icb = true;
		k->icb_part = d->udf->icb_part;
		k->icb = (struct udf_prior_icb){.lbn = d->udf->icb_lbn,
						.nlink = d->udf->nlink,
						.unique_id = d->udf->unique_id};
		a->prior.next_uid = BFS_MAX(a->prior.next_uid, d->udf->unique_id + 1);
	}
	if (sha)
		memcpy(k->sha, sha, 32);
	else
		k->unhashed = true; /* hashed once grafting has left out what is replaced */
	a->nsha++;
	n->flags |= BFS_NODE_PRIOR;
	n->data_lba = lba;
	a->info.kept++;
	return 0;
}

static const char *tmp_base(void)
{
	const char *base = getenv("TMPDIR");

	return base && *base ? base : "/tmp";
}

/*
 * The copies' directory: made as burnfs-append-new.XXXXXX, locked, then renamed to
 * burnfs-append.XXXXXX, so that sweep_stale() never finds a live one unlocked. The lock
 * (flock, on the directory) is held until eng_append_free() removes the copies.
 */
static int tmpdir_make(struct eng_append *a)
{
	_cleanup_free_ char *tmpl = NULL, *name = NULL;
	int fd, r;

	if (a->tmpdir)
		return 0;
	if (asprintf(&tmpl, "%s/" TMP_NEW "XXXXXX", tmp_base()) < 0)
		return -ENOMEM;
	if (!mkdtemp(tmpl))
		return -errno;
	if (asprintf(&name, "%s/" TMP_PREFIX "%s", tmp_base(), strrchr(tmpl, '.') + 1) < 0) {
		(void)rmdir(tmpl);
		return -ENOMEM;
	}
	fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = fd < 0 ? -errno : 0;
	if (r == 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
		r = -errno;
	if (r == 0) { /* the mark, before the name that sweep_stale() looks at */
		int m = openat(fd, TMP_MARK, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		r = m < 0 ? -errno : 0;
		if (m >= 0)
			close(m);
	}
	if (r == 0 && rename(tmpl, name) < 0)
		r = -errno;
	if (r < 0) {
		if (fd >= 0) {
			(void)unlinkat(fd, TMP_MARK, 0);
			close(fd);
		}
		(void)rmdir(tmpl);
		return r;
	}
	a->tmplock = fd;
	a->tmpdir = TAKE_PTR(name);
	return 0;
}

/* A name copy_out() gives a copy: a number. */
static bool copy_name(const char *n)
{
	return *n && strspn(n, "0123456789") == strlen(n);
}

/* The copies of the copies' directory dfd and its mark: regular files named as ours only. */
static void sweep_files(int dfd)
{
	int fd = dup(dfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	struct stat st;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)))
		if ((copy_name(e->d_name) || strcmp(e->d_name, TMP_MARK) == 0) &&
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			(void)unlinkat(dfd, e->d_name, 0);
	closedir(d);
}

/*
 * A merge killed (SIGKILL, a power loss, the daemon killed during a commit) cannot remove
 * its copies: they would stay in $TMPDIR for good, as large as the files copied. Remove
 * every burnfs-append.* directory of ours (our user's, holding the mark) whose lock can be
 * taken: its owner is gone (a running merge holds its lock, whatever its process or PID
 * namespace). Only the numbered copies and the mark are removed, then the directory if
 * that empties it: a directory of that name made by something else is left as it is.
 */
static void sweep_stale(void)
{
	DIR *d = opendir(tmp_base());
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		int fd;

		if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
		    faccessat(fd, TMP_MARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0) {
			sweep_files(fd);
			if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) == 0)
				bfs_log(LOG_INFO,
					"removed '%s/%s', the copies of a merge that was killed",
					tmp_base(), e->d_name);
		}
		close(fd);
	}
	closedir(d);
}

/* d's bytes from the disc into a new file of the temporary directory; its path in *ret. */
static int copy_out(struct merge *m, const struct eng_dnode *d, const char *path, char **ret)
{
	struct eng_append *a = m->a;
	_cleanup_free_ char *p = NULL;
	uint64_t off = 0;
	int fd, r = tmpdir_make(a);

	if (r < 0)
		return bfs_diag_set(m->diag, r, "cannot make a temporary directory for '/%s': %s",
				    path, strerror(-r));
	if (asprintf(&p, "%s/%zu", a->tmpdir, a->ncopies) < 0)
		return -ENOMEM;
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return bfs_diag_set(m->diag, -errno, "'%s': %m", p);
	while (r == 0 && off < d->size) {
		int64_t n = eng_disctree_pread(m->t, d, off, m->buf, COPY_BUF);

		if (n <= 0)
			r = bfs_diag_prefix(m->diag, n < 0 ? (int)n : -EIO,
					    "'/%s' on the disc: cannot be read", path);
		else if (write(fd, m->buf, (size_t)n) != n)
			r = bfs_diag_set(m->diag, -errno ? -errno : -EIO, "'%s': %m", p);
		off += n > 0 ? (uint64_t)n : 0;
	}
	if (close(fd) < 0 && r == 0)
		r = bfs_diag_set(m->diag, -errno, "'%s': %m", p);
	if (r == 0 && BFS_GROW(a->copies, a->copies_cap, a->ncopies + 1) < 0)
		r = -ENOMEM;
	if (r < 0) {
		(void)unlink(p);
		return r;
	}
	a->copies[a->ncopies++] = (struct copied){.ino = d->ino, .path = TAKE_PTR(p)};
	*ret = a->copies[a->ncopies - 1].path;
	return 0;
}

/*
 * A file whose data cannot be pointed at again: its source becomes a copy read from the
 * disc (one per hard-linked file), with the mtime the scan would have seen.
 */
static int copy(struct merge *m, struct bfs_node *n, const struct eng_dnode *d, const char *path)
{
	struct eng_append *a = m->a;
	const char *src = NULL;
	struct stat st;
	int r;

	for (size_t i = 0; d->nlink > 1 && i < a->ncopies && !src; i++)
		if (a->copies[i].ino == d->ino)
			src = a->copies[i].path;
	if (!src) {
		char *p = NULL; /* set when copy_out succeeds; gcc -O2 cannot tell */

		r = copy_out(m, d, path, &p);
		if (r < 0)
			return r;
		src = p;
	}
	if (stat(src, &st) < 0)
		return bfs_diag_set(m->diag, -errno, "'%s': %m", src);
	n->src_path = strdup(src);
	if (!n->src_path)
		return -ENOMEM;
	n->src_mtime =
		(struct bfs_time){.sec = st.st_mtim.tv_sec, .nsec = (uint32_t)st.st_mtim.tv_nsec};
	a->info.copied++;
	return 0;
}

static int file_data(struct merge *m, struct bfs_node *n, const struct eng_dnode *d,
		     const char *path)
{
	uint64_t lba;
	int r = eng_disctree_extent(m->t, d, &lba);

	if (r == -ENODATA)
		return 0;
	/* a new session may point only at blocks the disc holds: below the merged session's end */
	if (r == 0 &&
	    (lba >= m->s->start + m->s->length ||
	     BFS_DIV_ROUND_UP(d->size, BFS_BLOCK_SIZE) > m->s->start + m->s->length - lba))
		return BFS_CORRUPT(
			m->diag,
			"'/%s' on the disc: its data (block %llu, %llu bytes) lies past the "
			"end of session %u (block %llu)",
			path, (unsigned long long)lba, (unsigned long long)d->size, m->s->number,
			(unsigned long long)(m->s->start + m->s->length));
	if (r == 0)
		return keep(m, n, d, path, lba);
	if (r == -EXDEV)
		return copy(m, n, d, path);
	return bfs_diag_prefix(m->diag, r, "'/%s' on the disc", path);
}

static struct bfs_node *node_of(const struct eng_dnode *d)
{
	struct bfs_node *n = bfs_node_new(d->name, d->name_len, d->type);

	if (!n)
		return NULL;
	n->mode = d->mode;
	n->uid = d->uid;
	n->gid = d->gid;
	n->mtime = n->src_mtime = n->ctime = d->mtime;
	n->atime = d->atime;
	n->rdev_major = d->rdev_major;
	n->rdev_minor = d->rdev_minor;
	if (d->type == BFS_NODE_FILE) {
		n->size = d->size;
		if (d->nlink > 1) { /* one file under several names */
			n->src_dev = ENG_APPEND_DEV;
			n->src_ino = d->ino;
		}
	}
	if (d->type == BFS_NODE_SYMLINK) {
		n->target = strdup(d->target ? d->target : "");
		if (!n->target)
			return bfs_node_free(n);
		n->size = strlen(n->target);
	}
	return n;
}

static int visit(const char *path, const struct eng_dnode *d, void *userdata)
{
	struct merge *m = userdata;
	struct bfs_node *n;
	int r;

	if (m->depth == 1 && d->type == BFS_NODE_DIR && strcmp(path, ".burnfs") == 0)
		return ENG_DWALK_SKIP; /* the old manifest: the new session has its own */
	n = node_of(d);
	if (!n)
		return -ENOMEM;
	r = bfs_node_add_child(m->stack[m->depth - 1], n);
	if (r < 0) {
		bfs_node_free(n);
		return r == -EEXIST
			       ? bfs_diag_set(m->diag, -EUCLEAN, "'/%s' is on the disc twice", path)
			       : r;
	}
	m->a->info.nodes++;
	if (d->type == BFS_NODE_DIR)
		m->stack[m->depth++] = n;
	else if (d->type == BFS_NODE_FILE)
		return file_data(m, n, d, path);
	return 0;
}

static int leave(const char *path, const struct eng_dnode *d, void *userdata)
{
	struct merge *m = userdata;

	(void)path;
	(void)d;
	m->depth--;
	return 0;
}

/* ---- grafting ---------------------------------------------------------------------------- */

/* The disc's nodes under old into new, where new has no node of the name. */
static int graft(struct eng_append *a, struct bfs_node *new, struct bfs_node *old,
		 struct bfs_diag *diag)
{
	while (old->nchildren) {
		struct bfs_node *o = old->children[old->nchildren - 1];
		struct bfs_node *n = bfs_node_find_child(new, o->name, o->name_len);
		int r;

		if (n && n->type == BFS_NODE_DIR && o->type == BFS_NODE_DIR) {
			r = graft(a, n, o, diag);
			if (r < 0)
				return r;
			bfs_node_free(bfs_node_detach(o));
			continue;
		}
		if (n) {
			_cleanup_free_ char *p = bfs_node_path(n);

			bfs_diag_warn(diag, "'%s' replaces the %s of that name on the disc",
				      p ? p : n->name,
				      o->type == BFS_NODE_DIR ? "directory" : "file");
			a->info.replaced++;
			bfs_node_free(bfs_node_detach(o));
			continue;
		}
		r = bfs_node_add_child(new, bfs_node_detach(o));
		if (r < 0)
			return r;
	}
	return 0;
}

static void merge_done(struct merge *m)
{
	for (size_t i = 0; i < m->nlines; i++)
		free(m->lines[i].path);
	free(m->lines);
	free(m->buf);
	EVP_MD_CTX_free(m->md);
	eng_disctree_free(m->t);
	eng_disctree_free(m->ut);
}

/* A regular file of the UDF tree, by path: where its entry and its data are. */
struct udf_file {
	char *path; /* from the root, without the leading '/' */
	uint64_t lba, size;
	uint16_t icb_part;
	struct udf_prior_icb icb;
};

struct udf_files {
	struct udf_file *v;
	size_t n, cap;
	struct merge *m;
};

static int udf_file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct udf_file *)a)->path, ((const struct udf_file *)b)->path);
}

static int udf_file_add(const char *path, const struct eng_dnode *d, void *userdata)
{
	struct udf_files *f = userdata;
	struct udf_file *x;
	uint64_t lba;

	if (!d->udf)
		return 0;
	f->m->a->prior.next_uid = BFS_MAX(f->m->a->prior.next_uid, d->udf->unique_id + 1);
	if (d->type != BFS_NODE_FILE || eng_disctree_extent(f->m->ut, d, &lba) < 0)
		return 0; /* empty, or data that is not one run: no entry worth matching */
	if (BFS_GROW(f->v, f->cap, f->n + 1) < 0)
		return -ENOMEM;
	x = &f->v[f->n];
	*x = (struct udf_file){.lba = lba,
			       .size = d->size,
			       .icb_part = d->udf->icb_part,
			       .icb = {.lbn = d->udf->icb_lbn,
				       .nlink = d->udf->nlink,
				       .unique_id = d->udf->unique_id}};
	x->path = strdup(path);
	if (!x->path)
		return -ENOMEM;
	f->n++;
	return 0;
}

/*
 * A merge read through Rock Ridge (ut kept): the UDF entry of each kept file, found by its
 * path in the UDF tree and taken only when it names the same data (block and size), so
 * that the new volume points at the entry of that very file. The UDF tree's failures are
 * warnings: without them the entries are written again, nothing else changes.
 */
static int udf_entries_match(struct merge *m)
{
	struct eng_append *a = m->a;
	struct udf_files f = {.m = m};
	struct eng_dnode root = {0};
	struct bfs_diag tmp = {0};
	int r;

	if (!m->ut || !a->nsha)
		return 0;
	r = eng_disctree_lookup(m->ut, "/", &root);
	if (r == 0)
		r = eng_disctree_walk(m->ut, &root, udf_file_add, NULL, &f);
	eng_dnode_done(&root);
	if (r == 0 && f.n)
		qsort(f.v, f.n, sizeof(*f.v), udf_file_cmp);
	for (size_t i = 0; r == 0 && i < a->nsha && f.n; i++) {
		struct kept_sha *k = &a->sha[i];
		_cleanup_free_ char *path = bfs_node_path(k->node);
		struct udf_file key, *x;

		if (!path)
			r = -ENOMEM;
		if (r < 0 || k->has_icb)
			continue;
		key.path = path + 1;
		x = bsearch(&key, f.v, f.n, sizeof(key), udf_file_cmp);
		if (x && x->lba == k->node->data_lba && x->size == k->node->size) {
			k->has_icb = true;
			k->icb_part = x->icb_part;
			k->icb = x->icb;
		}
	}
	for (size_t i = 0; i < f.n; i++)
		free(f.v[i].path);
	free(f.v);
	if (r == -ENOMEM)
		return r;
	if (r < 0) { /* the UDF side does not walk: its entries are not kept */
		bfs_diag_warn(&tmp, "session %u: UDF tree: %s; every UDF entry is written again",
			      a->info.session, bfs_diag_msg(m->diag, r));
		bfs_diag_clear(m->diag);
		for (size_t i = 0; i < a->nsha; i++)
			a->sha[i].has_icb = false;
	}
	return 0;
}

/* The disc's tree as nodes under a new root of its own. */
static int read_tree(struct merge *m, struct bfs_node *oroot)
{
	struct eng_dnode root = {0};
	int r = eng_disctree_lookup(m->t, "/", &root);

	if (r < 0)
		return r;
	r = manifest_load(m);
	m->stack[0] = oroot;
	m->depth = 1;
	if (r == 0)
		r = eng_disctree_walk(m->t, &root, visit, leave, m);
	eng_dnode_done(&root);
	return r;
}

/*
 * The UDF partition: the old one kept when every kept file lies in it, else one block
 * below the lowest kept file's data. A disc without a UDF partition of its own (xorriso,
 * growisofs and genisoimage write none) has its files below 257 of a session that starts at
 * 0: starting the partition at the first session's start would be 0, which the UDF writer
 * takes for "right after the new session's anchor", leaving every kept file outside it. The
 * block below keeps file data off logical block 0, which libudfread (VLC, Kodi, libbluray)
 * takes for "no data" and reads as zeros. Never below the first session.
 */
static void partition_pick(struct merge *m, const struct eng_session *first)
{
	struct eng_append *a = m->a;
	uint64_t p = m->has_udf_part ? m->udf_part : UINT64_MAX;

	for (size_t i = 0; i < a->nsha; i++)
		p = BFS_MIN(p, a->sha[i].node->data_lba - (a->sha[i].node->data_lba > 0));
	a->info.partition_start = p == UINT64_MAX ? 0 : BFS_MAX(p, first->start);
}

/* Keep the hashes of the kept files still in the tree (those replaced were freed). */
static int live_mark(struct bfs_node *n, void *userdata)
{
	struct eng_append *a = userdata;
	struct kept_sha key = {.node = n};
	struct kept_sha *k;

	if (!(n->flags & BFS_NODE_PRIOR))
		return 0;
	k = bsearch(&key, a->sha, a->nsha, sizeof(key), sha_cmp);
	if (k)
		k->live = true;
	return 0;
}

static void sha_prune(struct eng_append *a, struct bfs_node *root)
{
	size_t o = 0;

	if (!a->nsha)
		return;
	qsort(a->sha, a->nsha, sizeof(*a->sha), sha_cmp);
	(void)bfs_node_walk(root, live_mark, a);
	for (size_t i = 0; i < a->nsha; i++)
		if (a->sha[i].live)
			a->sha[o++] = a->sha[i];
	a->nsha = o;
	a->info.kept = o;
}

/* The kept files the old manifest had no line for, hashed from the disc. */
static int hash_unhashed(struct merge *m)
{
	struct eng_append *a = m->a;
	int r = 0;

	for (size_t i = 0; i < a->nsha && r == 0; i++) {
		struct kept_sha *k = &a->sha[i];
		_cleanup_free_ char *path = NULL;
		struct eng_dnode d = {0};

		if (!k->unhashed)
			continue;
		path = bfs_node_path(k->node);
		if (!path)
			return -ENOMEM;
		r = eng_disctree_lookup(m->t, path, &d);
		if (r == 0)
			r = hash_from_disc(m, &d, path + 1, k->sha);
		eng_dnode_done(&d);
		a->info.hashed++;
	}
	return r;
}

/*
 * The session's tree to merge: Rock Ridge where the session has it beside a valid UDF
 * volume, which is the tree ls and extract show. A hybrid session's UDF side can hold less
 * than its Rock Ridge side, and what the merge reads is all the new session records, so a
 * loss would be carried on by every later append: burnfs's own UDF leaves device nodes out
 * and records a name that is not UTF-8 with U+FFFD (Rock Ridge has its bytes); genisoimage
 * -udf records a symbolic link as an empty file. The volume name and the UDF partition
 * (the IMAPI layout keeps it) are taken from the UDF volume.
 */
static int tree_open(struct merge *m, eng_disctree_read_fn read, void *userdata,
		     const struct eng_session *s)
{
	struct eng_disctree *rr;
	int r = eng_disctree_open(read, userdata, s->start, s->start + s->length, ENG_TREE_AUTO,
				  m->diag, &m->t);

	if (r < 0)
		return r;
	eng_disctree_volume_id(m->t, m->a->info.volume_id, sizeof(m->a->info.volume_id));
	m->has_udf_part = eng_disctree_udf_partition(m->t, &m->udf_part);
	if (eng_disctree_fs(m->t) == ENG_TREE_UDF) {
		r = eng_disctree_open(read, userdata, s->start, s->start + s->length,
				      ENG_TREE_ROCKRIDGE, m->diag, &rr);
		if (r == -ENOMEM)
			return r;
		if (r < 0) { /* no Rock Ridge, or one that does not read: UDF's tree */
			bfs_diag_clear(m->diag);
		} else {
			m->ut = m->t; /* kept for its file entries */
			m->t = rr;
		}
	}
	m->a->info.tree = eng_disctree_fs(m->t);
	return 0;
}

int eng_append_merge(eng_disctree_read_fn read, void *userdata, const struct eng_session *s,
		     const struct eng_session *first, struct bfs_node *root, struct bfs_diag *diag,
		     struct eng_append **ret)
{
	_cleanup_(eng_append_freep) struct eng_append *a = calloc(1, sizeof(*a));
	_cleanup_(bfs_node_freep) struct bfs_node *oroot = bfs_node_new("", 0, BFS_NODE_DIR);
	struct merge m = {.a = a, .s = s, .diag = diag};
	int r;

	if (!a || !oroot)
		return -ENOMEM;
	a->info.session = s->number;
	sweep_stale();
	m.buf = malloc(COPY_BUF);
	m.md = EVP_MD_CTX_new();
	r = m.buf && m.md ? 0 : -ENOMEM;
	if (r == 0)
		r = tree_open(&m, read, userdata, s);
	if (r == 0)
		r = read_tree(&m, oroot);
	if (r == 0)
		r = udf_entries_match(&m);
	if (r == 0) {
		partition_pick(&m, first);
		prior_volume(&m);
		r = graft(a, root, oroot, diag);
	}
	if (r == 0) {
		sha_prune(a, root);
		r = hash_unhashed(&m);
	}
	if (r == 0)
		r = bfs_tree_finalize(root);
	merge_done(&m);
	if (r < 0)
		return r == -ENOMEM ? r
				    : bfs_diag_prefix(diag, r,
						      "session %u's tree (burn with --new-tree to "
						      "write a session without the disc's files)",
						      s->number);
	*ret = TAKE_PTR(a);
	return 0;
}
