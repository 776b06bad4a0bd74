/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disc under the staging mount (ARCHITECTURE.md, multisession, "in the mount"): its
 * last session's nodes shown where no staged node has their name (lower.h holds the tree),
 * the staged directory made for a disc directory that gets a new node (materialize), the
 * copy-up of a disc file that is written or changed (made aside, then renamed in, its hard
 * links on the disc linked to the copy), and listings that merge both.
 *
 * Names: a disc node's inode carries its disc path, the name it was first looked up by
 * (another hard link shares the inode), and its number in the lower layer's generation,
 * looked up again by path after the disc was read again. Nothing here is a path the kernel
 * gave: names are single components checked by fs.c.
 */
#include "fs-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/macro.h"

/* ---- the disc under the mount (lower.h) ---------------------------------------------- */

struct stg_lower *disc_lower(struct stg_fs *fs)
{
	return stg_job_lower(fs->job);
}

/* "dir/name", or name under the root (""): malloc'd. */
static char *path_join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s%s%s", dir, dir[0] ? "/" : "", name) < 0)
		return NULL;
	return p;
}

/* Whether path is dir joined with name (as path_join() joins them). */
static bool is_child_path(const char *path, const char *dir, const char *name)
{
	size_t dl = strlen(dir);

	if (dl == 0)
		return strcmp(path, name) == 0;
	return strncmp(path, dir, dl) == 0 && path[dl] == '/' && strcmp(path + dl + 1, name) == 0;
}

/*
 * The disc node in shows or merges: its number in the loaded generation (*gen, *lid), found
 * again by its disc path when the disc was read again since. -ENOENT when it has none (any
 * more).
 */
int disc_node(struct stg_fs *fs, struct inode *in, uint64_t *gen, stg_lid *lid)
{
	struct stg_lower *l = disc_lower(fs);
	_cleanup_free_ char *path = NULL;
	uint64_t g = stg_lower_generation(l);
	int r = 0;

	pthread_mutex_lock(&fs->lock);
	if (!in->has_lower)
		r = -ENOENT;
	else if (in->lgen == g)
		*lid = in->lid;
	else if (!(path = strdup(inode_dpath(in))))
		r = -ENOMEM;
	pthread_mutex_unlock(&fs->lock);
	if (r < 0 || !path) {
		*gen = g;
		return r;
	}
	r = stg_lower_find(l, path, gen, lid);
	if (r == -ENOTDIR || r == -ENODEV)
		r = -ENOENT;
	pthread_mutex_lock(&fs->lock);
	if (r == 0) {
		in->lid = *lid;
		in->lgen = *gen;
	}
	pthread_mutex_unlock(&fs->lock);
	return r;
}

/* The merged path of name in directory dir (malloc'd into *ret): -ENOENT when dir's is unknown. */
int disc_child_path(struct stg_fs *fs, struct inode *dir, const char *name, char **ret)
{
	pthread_mutex_lock(&fs->lock);
	*ret = dir->mpath ? path_join(dir->mpath, name) : NULL;
	pthread_mutex_unlock(&fs->lock);
	return *ret ? 0 : dir->mpath ? -ENOMEM : -ENOENT;
}

/*
 * The disc's node shown as name in directory dir (engine/edits.h: in its place, or moved or
 * linked there): 0 with *gen and *lid, or -ENOENT. The disc's own /.burnfs (its manifest) is
 * never shown: the name is the mount's control directory.
 */
static int disc_child(struct stg_fs *fs, struct inode *dir, const char *name, uint64_t *gen,
		      stg_lid *lid)
{
	_cleanup_free_ char *mpath = NULL;
	int r;

	if (dir == &fs->root && strcmp(name, CTL_NAME) == 0)
		return -ENOENT;
	r = disc_child_path(fs, dir, name, &mpath);
	if (r == 0)
		r = stg_lower_origin(disc_lower(fs), mpath, gen, lid);
	return r == -ENOTDIR || r == -ESTALE || r == -ENODEV ? -ENOENT : r;
}

/* Under fs->lock: in is shown as name in dir: its merged path follows. */
void disc_note_path(struct stg_fs *fs, struct inode *dir, struct inode *in, const char *name)
{
	char *p;

	(void)fs;
	if (in == dir || !dir->mpath || (in->type != S_IFDIR && in->kind != K_DISC))
		return;
	if (in->mpath && is_child_path(in->mpath, dir->mpath, name))
		return; /* already there: a listing's lookups again */
	p = path_join(dir->mpath, name);
	if (!p)
		return;
	inode_set_mpath(in, p);
}

/* A rename: the merged paths at from and under it now lie at to. */
void disc_renamed(struct stg_fs *fs, const char *from, const char *to)
{
	size_t fl = strlen(from);

	pthread_mutex_lock(&fs->lock);
	for (size_t b = 0; b < fs->nbuckets; b++)
		for (struct inode *in = fs->table[b]; in; in = in->next) {
			char *p;

			if (!in->mpath || strncmp(in->mpath, from, fl) != 0 ||
			    (in->mpath[fl] != '\0' && in->mpath[fl] != '/'))
				continue;
			if (asprintf(&p, "%s%s", to, in->mpath + fl) < 0)
				continue; /* out of memory: the next lookup sets it again */
			inode_set_mpath(in, p);
		}
	pthread_mutex_unlock(&fs->lock);
}

int disc_stat(struct stg_fs *fs, struct inode *in, struct stat *st)
{
	uint64_t gen;
	stg_lid lid;
	int r = disc_node(fs, in, &gen, &lid);

	if (r == 0)
		r = stg_lower_stat(disc_lower(fs), gen, lid, st);
	return r == -ENOENT || r == -ESTALE ? -ESTALE : r;
}

/*
 * The inode of the disc's node name in dir (st: its attributes, lid in generation gen),
 * counted as a lookup, into e.
 */
static int lookup_disc(struct stg_fs *fs, struct inode *dir, const char *name, uint64_t gen,
		       stg_lid lid, const struct stat *st, struct fuse_entry_param *e)
{
	_cleanup_free_ char *dpath = NULL, *mpath = NULL;
	struct inode *in;

	if (stg_lower_path(disc_lower(fs), gen, lid, &dpath) < 0)
		return -ESTALE;
	pthread_mutex_lock(&fs->lock);
	in = fs_table_find(fs, DISC_DEV, st->st_ino);
	if (in && in->kind == K_DISC) {
		in->nlookup++;
		if (strcmp(inode_dpath(in), dpath) == 0) { /* another hard link: its first name */
			in->lid = lid;
			in->lgen = gen;
		}
	} else if ((mpath = dir->mpath ? path_join(dir->mpath, name) : NULL, true) &&
		   (in = inode_new_disc(mpath))) {
		in->fd = -1;
		in->kind = K_DISC;
		in->type = st->st_mode & S_IFMT;
		in->dev = DISC_DEV;
		in->ino = st->st_ino;
		in->nlookup = 1;
		in->has_lower = true;
		in->lid = lid;
		in->lgen = gen;
		in->dpath = TAKE_PTR(dpath);
		fs_table_insert(fs, in);
	}
	if (in) {
		fs_set_name(fs, dir, in, name);
		disc_note_path(fs, dir, in, name);
		inode_compact(in);
	}
	pthread_mutex_unlock(&fs->lock);
	if (!in)
		return -ENOMEM;
	fs_fill_entry(fs, e, in, st);
	return 0;
}

/*
 * A staged directory just looked up (e) over which the disc has a directory of the same
 * name: the two merge, the disc's nodes shown where no staged one has their name.
 */
static void merge_disc_dir(struct stg_fs *fs, struct inode *dir, const char *name,
			   const struct fuse_entry_param *e)
{
	struct inode *in = inode_of(fs, e->ino);
	struct stat st;
	uint64_t gen;
	stg_lid lid;

	char *dpath = NULL;

	if (!S_ISDIR(e->attr.st_mode) || in->has_lower ||
	    disc_child(fs, dir, name, &gen, &lid) < 0 ||
	    stg_lower_stat(disc_lower(fs), gen, lid, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    stg_lower_path(disc_lower(fs), gen, lid, &dpath) < 0)
		return;
	pthread_mutex_lock(&fs->lock);
	if (!in->has_lower) {
		inode_free_path(in, in->dpath);
		in->dpath = TAKE_PTR(dpath);
		in->has_lower = true;
		in->lid = lid;
		in->lgen = gen;
	}
	pthread_mutex_unlock(&fs->lock);
	free(dpath);
}

/*
 * Look name up in dir: the staged node, else the disc's. 0 with e filled and the lookup
 * counted, -ENOENT, or -errno.
 */
int disc_lookup_merged(struct stg_fs *fs, struct inode *dir, const char *name,
		       struct fuse_entry_param *e)
{
	struct stat st;
	uint64_t gen;
	stg_lid lid;
	int r = dir->kind == K_FILE ? fs_lookup(fs, dir, name, e) : -ENOENT;

	if (r == 0)
		merge_disc_dir(fs, dir, name, e);
	if (r != -ENOENT)
		return r;
	r = disc_child(fs, dir, name, &gen, &lid);
	if (r == 0)
		r = stg_lower_stat(disc_lower(fs), gen, lid, &st);
	if (r == 0)
		r = lookup_disc(fs, dir, name, gen, lid, &st, e);
	return r == -ESTALE ? -ENOENT : r;
}

/* Under fs->lock: a disc node becomes the staged node fd (O_PATH) now holds. */
static int convert_locked(struct stg_fs *fs, struct inode *in, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	fs_table_remove(fs, in);
	in->fd = fd;
	in->kind = K_FILE;
	in->type = st.st_mode & S_IFMT;
	in->dev = st.st_dev;
	in->ino = st.st_ino;
	if (!S_ISDIR(st.st_mode))
		in->has_lower = false; /* a copied-up file: the staged copy is all there is */
	fs_table_insert(fs, in);
	return 0;
}

/* Give a staged node made from the disc's node st the disc's mode, owner and times. */
static void copy_attrs(struct stg_fs *fs, int fd, const struct stat *st)
{
	char proc[32];
	struct timespec tv[2] = {st->st_atim, st->st_mtim};

	proc_path(proc, fd);
	if (fs->as_root || geteuid() == 0)
		(void)fchownat(fd, "", st->st_uid, st->st_gid, AT_EMPTY_PATH);
	(void)chmod(proc, st->st_mode & 07777);
	(void)utimensat(AT_FDCWD, proc, tv, 0);
}

/*
 * Make the staged directory name in pfd for the disc's directory shown at merged path mpath,
 * with its attributes; its disc inode, if the kernel holds one, becomes the staged one. An O_PATH
 * descriptor of it, or -errno.
 */
static int make_dir(struct stg_fs *fs, int pfd, const char *name, const char *mpath)
{
	struct stg_lower *l = disc_lower(fs);
	struct inode *in;
	struct stat st;
	uint64_t gen;
	stg_lid lid;
	int fd, r = stg_lower_origin(l, mpath, &gen, &lid);

	if (r == 0)
		r = stg_lower_stat(l, gen, lid, &st);
	if (r == 0 && !S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	if (r == 0 && mkdirat(pfd, name, 0700) < 0)
		r = -errno;
	fd = r < 0 ? -1 : openat(pfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return r < 0 ? r : -errno;
	copy_attrs(fs, fd, &st);
	fs_changed_node(fs, 1);
	pthread_mutex_lock(&fs->lock);
	in = fs_table_find(fs, DISC_DEV, st.st_ino);
	if (in && in->kind == K_DISC) {
		int kfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

		if (kfd >= 0 && convert_locked(fs, in, kfd) < 0)
			close(kfd);
	}
	pthread_mutex_unlock(&fs->lock);
	return fd;
}

/*
 * The staged directory at disc path dpath (a directory of the disc), made where it and its
 * parents are missing (make_dir): an O_PATH descriptor of it, or -errno. What is staged in
 * a directory of the disc goes there; the commit merges it with the disc's.
 */
static int materialize(struct stg_fs *fs, const char *dpath)
{
	size_t len = strlen(dpath), i = 0;
	_cleanup_free_ char *prefix = malloc(len + 1);
	int pfd = fcntl(fs->root.fd, F_DUPFD_CLOEXEC, 0);

	if (!prefix || pfd < 0) {
		if (pfd >= 0)
			close(pfd);
		return -ENOMEM;
	}
	while (i < len) {
		size_t j = i;
		char name[NAME_MAX + 1];
		int fd;

		while (j < len && dpath[j] != '/')
			j++;
		if (j - i > NAME_MAX) {
			close(pfd);
			return -ENAMETOOLONG;
		}
		memcpy(name, dpath + i, j - i);
		name[j - i] = '\0';
		memcpy(prefix, dpath, j);
		prefix[j] = '\0';
		fd = openat(pfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			fd = errno == ENOENT ? make_dir(fs, pfd, name, prefix) : -errno;
		close(pfd);
		if (fd < 0)
			return fd;
		pfd = fd;
		i = j + 1;
	}
	return pfd;
}

/*
 * A directory that changes gets a staged one: a disc directory (K_DISC) becomes a staged
 * directory merged with the disc's (materialize()). 0, or -errno.
 */
int disc_stage_dir(struct stg_fs *fs, struct inode *dir)
{
	_cleanup_free_ char *dpath = NULL;
	int fd;

	if (dir->kind == K_FILE)
		return 0;
	if (dir->kind != K_DISC || dir->type != S_IFDIR)
		return -EPERM;
	pthread_mutex_lock(&fs->lock);
	dpath = dir->mpath ? strdup(dir->mpath) : NULL;
	pthread_mutex_unlock(&fs->lock);
	if (!dpath)
		return -ENOMEM;
	fd = materialize(fs, dpath);
	if (fd < 0)
		return fd;
	close(fd);
	return dir->kind == K_FILE ? 0 : -ESTALE; /* made, so the table converted it */
}

/* The backing directory for copies being made: <staging>/.burnfs/tmp (never committed). */
static int tmp_dir(struct stg_fs *fs)
{
	if (mkdirat(fs->root.fd, CTL_NAME, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mkdirat(fs->root.fd, CTL_NAME "/tmp", 0700) < 0 && errno != EEXIST)
		return -errno;
	int fd =
		openat(fs->root.fd, CTL_NAME "/tmp", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Copy the disc file (gen, lid) of size bytes into fd. */
static int copy_data(struct stg_fs *fs, uint64_t gen, stg_lid lid, uint64_t size, int fd)
{
	enum { PIECE = 1u << 20 };
	_cleanup_free_ uint8_t *buf = malloc(PIECE);
	uint64_t off = 0;

	if (!buf)
		return -ENOMEM;
	while (off < size) {
		int64_t got = stg_lower_pread(disc_lower(fs), gen, lid, off, buf,
					      (size_t)BFS_MIN((uint64_t)PIECE, size - off));

		if (got <= 0)
			return got < 0 ? (int)got : -EIO; /* shorter than its size: damage */
		if (pwrite(fd, buf, (size_t)got, (off_t)off) != got)
			return -errno;
		off += (uint64_t)got;
	}
	return 0;
}

/* The staged copy of disc node (gen, lid) with attributes st, as tmp in tfd. */
static int make_copy(struct stg_fs *fs, int tfd, const char *tmp, const struct stat *st,
		     uint64_t gen, stg_lid lid)
{
	char target[PATH_MAX + 1];
	int fd, r;

	(void)unlinkat(tfd, tmp, 0); /* a killed copy's */
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		fd = openat(tfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		r = copy_data(fs, gen, lid, (uint64_t)st->st_size, fd);
		if (r == 0 && fsync(fd) < 0) /* durable before it replaces the disc's file */
			r = -errno;
		close(fd);
		return r;
	case S_IFLNK:
		r = stg_lower_readlink(disc_lower(fs), gen, lid, target, sizeof(target));
		return r < 0 ? r : symlinkat(target, tfd, tmp) < 0 ? -errno : 0;
	default:
		return mknodat(tfd, tmp, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0 ? -errno
											 : 0;
	}
}

struct link_ctx {
	struct stg_fs *fs;
	const char *mpath; /* where the copy is */
	int pfd;	   /* the copy's directory */
	const char *name;
};

/* One more name of a copied-up file: a hard link to the copy at that disc path. */
static int link_one(const char *path, void *userdata)
{
	struct link_ctx *c = userdata;
	_cleanup_free_ char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	const char *base = slash ? slash + 1 : path;
	int dfd, r = 0;

	uint64_t gen, g2;
	stg_lid shown, self;

	if (!dir)
		return -ENOMEM;
	if (strcmp(path, c->mpath) == 0)
		return 0; /* the copy itself */
	/* only a name still shown where the disc has it: one removed or moved away stays so */
	if (stg_lower_origin(disc_lower(c->fs), path, &gen, &shown) < 0 ||
	    stg_lower_find(disc_lower(c->fs), path, &g2, &self) < 0 || shown != self)
		return 0;
	if (slash)
		*slash = '\0';
	dfd = materialize(c->fs, slash ? dir : "");
	if (dfd < 0)
		return dfd;
	/* a name the staging folder already holds was replaced: it stays as staged */
	if (linkat(c->pfd, c->name, dfd, base, 0) < 0 && errno != EEXIST)
		r = -errno;
	close(dfd);
	return r;
}

/*
 * The disc file copied up (name in pfd) has other names on the disc: they become hard links
 * of the copy, so that a change through one name shows through every one, as before.
 */
static int link_copies(struct stg_fs *fs, uint64_t gen, stg_lid lid, int pfd, const char *name,
		       const char *mpath)
{
	struct link_ctx c = {.fs = fs, .pfd = pfd, .name = name, .mpath = mpath};

	return stg_lower_links(disc_lower(fs), gen, lid, link_one, &c);
}

/*
 * Copy-up: a disc file about to be written gets a staged copy at its place (made under
 * .burnfs/tmp, then renamed in, so a crash never leaves half a copy staged), and its inode
 * becomes the staged file's. The copy's blocks count against the disc's space.
 */
int disc_copy_up(struct stg_fs *fs, struct inode *in)
{
	_cleanup_free_ char *dpath = NULL, *tmp = NULL, *mpath = NULL;
	const char *name, *parent = "";
	char *slash;
	struct stat st;
	uint64_t gen;
	stg_lid lid;
	int64_t add = 0;
	int pfd = -1, tfd = -1, fd = -1, r;

	pthread_mutex_lock(&fs->lock);
	dpath = in->kind == K_DISC && in->mpath ? strdup(in->mpath) : NULL; /* where it shows */
	pthread_mutex_unlock(&fs->lock);
	if (in->kind == K_FILE)
		return 0;
	if (!dpath)
		return -ESTALE;
	r = disc_node(fs, in, &gen, &lid);
	if (r == 0)
		r = stg_lower_stat(disc_lower(fs), gen, lid, &st);
	if (r < 0)
		return r == -ENOENT ? -ESTALE : r;
	mpath = strdup(dpath); /* whole: dpath is cut in two below */
	if (!mpath)
		return -ENOMEM;
	slash = strrchr(dpath, '/');
	if (slash) {
		*slash = '\0';
		parent = dpath;
		name = slash + 1;
	} else {
		name = dpath;
	}
	r = fs_reserve(fs, 0, (uint64_t)st.st_size, &add);
	if (r == 0 && (pfd = materialize(fs, parent)) < 0)
		r = pfd;
	if (r == 0 && (tfd = tmp_dir(fs)) < 0)
		r = tfd;
	if (r == 0 && asprintf(&tmp, "copy.%llu", (unsigned long long)in->ino) < 0)
		r = -ENOMEM;
	if (r == 0)
		r = make_copy(fs, tfd, tmp, &st, gen, lid);
	if (r == 0 && renameat2(tfd, tmp, pfd, name, RENAME_NOREPLACE) < 0)
		r = -errno;
	if (r == 0 && S_ISREG(st.st_mode) && st.st_nlink > 1)
		r = link_copies(fs, gen, lid, pfd, name, mpath);
	if (r < 0 && tfd >= 0 && tmp)
		(void)unlinkat(tfd, tmp, 0);
	if (r == 0 && (fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
		r = -errno;
	if (r == 0) {
		copy_attrs(fs, fd, &st);
		pthread_mutex_lock(&fs->lock);
		r = in->kind == K_DISC ? convert_locked(fs, in, fd) : -EEXIST;
		pthread_mutex_unlock(&fs->lock);
		if (r < 0)
			close(fd);
		else
			fs_changed_node(fs, 1);
		if (r == -EEXIST) /* another request copied it meanwhile */
			r = 0;
	}
	fs_settle(fs, add, r == 0);
	if (pfd >= 0)
		close(pfd);
	if (tfd >= 0)
		close(tfd);
	return r;
}

/* Whether the disc has a node name in dir (shown, or shadowed by a staged one). */
bool disc_named(struct stg_fs *fs, struct inode *dir, const char *name)
{
	uint64_t gen;
	stg_lid lid;

	return disc_child(fs, dir, name, &gen, &lid) == 0;
}

/*
 * A change of the disc's tree the edits refused: another disc's edits (-EXDEV) and a log
 * that cannot be written are said in the log, and the call fails (EROFS, EIO).
 */
static int edits_failed(struct stg_fs *fs, const char *what, const char *name, int r,
			const struct bfs_diag *diag)
{
	stg_job_note(fs->job, "%s '%s': %s", what, name, bfs_diag_msg(diag, r));
	return r == -EXDEV ? -EROFS : r;
}

static int count_one(const char *name, stg_lid id, const struct stat *st, void *userdata)
{
	(void)name;
	(void)id;
	(void)st;
	++*(size_t *)userdata;
	return 1; /* one is enough */
}

/* Whether merged directory mpath shows a disc node (then it is not empty). */
static bool shows_disc_nodes(struct stg_fs *fs, const char *mpath)
{
	size_t n = 0;

	(void)stg_lower_list_merged(disc_lower(fs), mpath, count_one, &n);
	return n > 0;
}

/* The disc node shown at name in dir, with its attributes: 0, or -ENOENT. */
static int shown(struct stg_fs *fs, struct inode *dir, const char *name, char **mpath,
		 struct stat *st)
{
	uint64_t gen;
	stg_lid lid;
	int r = disc_child_path(fs, dir, name, mpath);

	if (r == 0 && dir == &fs->root && strcmp(name, CTL_NAME) == 0)
		r = -ENOENT;
	if (r == 0)
		r = stg_lower_origin(disc_lower(fs), *mpath, &gen, &lid);
	if (r == 0)
		r = stg_lower_stat(disc_lower(fs), gen, lid, st);
	return r == -ENODEV || r == -ESTALE ? -ENOENT : r;
}

/*
 * unlink(2) and rmdir(2) of name in dir: the staged node goes, and the disc's node shown
 * there gets a whiteout (engine/edits.h), so that neither shows. 0 or -errno.
 */
int disc_remove(struct stg_fs *fs, struct inode *dir, const char *name, bool isdir)
{
	_cleanup_free_ char *mpath = NULL;
	struct bfs_diag diag = {0};
	struct stat st;
	int staged = -ENOENT, r = shown(fs, dir, name, &mpath, &st);

	if (r == 0 && S_ISDIR(st.st_mode) != isdir)
		return isdir ? -ENOTDIR : -EISDIR;
	if (r == 0 && isdir && shows_disc_nodes(fs, mpath))
		return -ENOTEMPTY;
	if (r < 0 && r != -ENOENT)
		return r;
	if (dir->kind == K_FILE && unlinkat(dir->fd, name, isdir ? AT_REMOVEDIR : 0) == 0)
		staged = 0;
	else if (dir->kind == K_FILE && errno != ENOENT)
		return -errno;
	if (r == -ENOENT)
		return staged;
	r = stg_lower_delete(disc_lower(fs), mpath, &diag);
	return r < 0 ? edits_failed(fs, "removing", name, r, &diag) : 0;
}

/* What a rename finds at one of its two names. */
struct end {
	char *mpath;
	bool staged, disc, dir; /* dir: of whichever shows */
	struct stat st;
};

static int rename_end(struct stg_fs *fs, struct inode *dir, const char *name, struct end *e)
{
	struct stat up;
	int r = shown(fs, dir, name, &e->mpath, &e->st);

	if (r < 0 && r != -ENOENT)
		return r;
	e->disc = r == 0;
	e->staged = dir->kind == K_FILE && fstatat(dir->fd, name, &up, AT_SYMLINK_NOFOLLOW) == 0;
	e->dir = e->staged ? S_ISDIR(up.st_mode) : e->disc && S_ISDIR(e->st.st_mode);
	return e->mpath ? 0 : -ENOMEM;
}

/* The target of a rename may be replaced: POSIX's checks, on the merged view. */
static int rename_replace_ok(struct stg_fs *fs, struct inode *ndir, const char *newname,
			     const struct end *src, const struct end *dst, unsigned flags)
{
	if (!dst->staged && !dst->disc)
		return 0;
	if (flags & RENAME_NOREPLACE)
		return -EEXIST;
	if (src->dir && !dst->dir)
		return -ENOTDIR;
	if (!src->dir && dst->dir)
		return -EISDIR;
	if (dst->dir && dst->disc && shows_disc_nodes(fs, dst->mpath))
		return -ENOTEMPTY;
	if (dst->dir && dst->staged && !dst->disc) { /* a staged directory: empty? */
		int fd = openat(ndir->fd, newname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *x;
		int n = 0;

		while (d && (x = readdir(d)))
			n += strcmp(x->d_name, ".") != 0 && strcmp(x->d_name, "..") != 0;
		if (d)
			closedir(d);
		else if (fd >= 0)
			close(fd);
		if (n)
			return -ENOTEMPTY;
	}
	return 0;
}

/*
 * rename(2) in the merged view: the staged node moves (a disc directory it goes into is
 * staged first), the disc's node shown at the old name follows without its data being
 * copied (a MOVE), and what showed at the new name goes. 0 or -errno.
 */
int disc_rename(struct stg_fs *fs, struct inode *dir, const char *name, struct inode *ndir,
		const char *newname, unsigned flags)
{
	struct end src = {0}, dst = {0};
	struct bfs_diag diag = {0};
	int r = rename_end(fs, dir, name, &src);

	if (r == 0)
		r = rename_end(fs, ndir, newname, &dst);
	if (r == 0 && !src.staged && !src.disc)
		r = -ENOENT;
	if (r == 0 && (src.disc || dst.disc) && (flags & RENAME_EXCHANGE))
		r = -EINVAL; /* an exchange with the disc's nodes is not done */
	if (r == 0 && !(flags & RENAME_EXCHANGE))
		r = rename_replace_ok(fs, ndir, newname, &src, &dst, flags);
	if (r == 0 && dst.disc && !(flags & RENAME_EXCHANGE)) {
		r = stg_lower_delete(disc_lower(fs), dst.mpath, &diag);
		if (r < 0)
			r = edits_failed(fs, "replacing", newname, r, &diag);
	}
	if (r == 0 && src.staged) {
		r = disc_stage_dir(fs, ndir);
		if (r == 0 && renameat2(dir->fd, name, ndir->fd, newname, flags) < 0)
			r = -errno;
	} else if (r == 0 && dst.staged) { /* only the disc's node moves: the staged one goes */
		r = unlinkat(ndir->fd, newname, dst.dir ? AT_REMOVEDIR : 0) < 0 ? -errno : 0;
	}
	if (r == 0 && stg_lower_present(disc_lower(fs)) &&
	    !stg_lower_edits_stale(disc_lower(fs), NULL, 0)) {
		r = stg_lower_rename(disc_lower(fs), src.mpath, dst.mpath, &diag);
		if (r == -EROFS && !src.disc)
			r = 0; /* no edits in this mount: nothing of the disc moves */
		if (r < 0)
			r = edits_failed(fs, "renaming", name, r, &diag);
	} else if (r == 0 && src.disc) {
		char why[512];

		stg_lower_edits_stale(disc_lower(fs), why, sizeof(why));
		stg_job_note(fs->job, "renaming '%s': %s", name, why);
		r = -EROFS;
	}
	if (r == 0)
		disc_renamed(fs, src.mpath, dst.mpath);
	free(src.mpath);
	free(dst.mpath);
	return r;
}

/* link(2) of disc file in as newname in dir: one more name (a LINK), nothing copied. */
int disc_link(struct stg_fs *fs, struct inode *in, struct inode *dir, const char *newname)
{
	_cleanup_free_ char *mpath = NULL;
	struct bfs_diag diag = {0};
	uint64_t gen;
	stg_lid lid;
	int r = disc_node(fs, in, &gen, &lid);

	if (r == 0 && in->type != S_IFREG)
		r = -EPERM; /* hard links to directories, and to the disc's special nodes: no */
	if (r == 0)
		r = disc_child_path(fs, dir, newname, &mpath);
	if (r == 0) {
		r = stg_lower_link(disc_lower(fs), gen, lid, mpath, &diag);
		if (r < 0)
			r = edits_failed(fs, "linking", newname, r, &diag);
	}
	return r == -ENOENT ? -ESTALE : r;
}

/*
 * chmod, chown, utimens of a disc node: an ATTR edit, metadata only, checked as a local
 * file system does (the owner or root changes mode and times, root the owner).
 */
int disc_setattr(fuse_req_t req, struct stg_fs *fs, struct inode *in, const struct stat *attr,
		 int valid)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	struct eng_attr a = {0};
	struct bfs_diag diag = {0};
	struct stat st;
	struct timespec now;
	uint64_t gen;
	stg_lid lid;
	int r = disc_node(fs, in, &gen, &lid);

	if (r == 0)
		r = stg_lower_stat(disc_lower(fs), gen, lid, &st);
	if (r < 0)
		return r == -ENOENT ? -ESTALE : r;
	if (c->uid != 0 &&
	    ((valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) ||
	     (c->uid != st.st_uid &&
	      (valid & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME)))))
		return -EPERM;
	clock_gettime(CLOCK_REALTIME, &now);
	if (valid & FUSE_SET_ATTR_MODE)
		a.mask |= ENG_ATTR_MODE, a.mode = attr->st_mode & 07777;
	if (valid & FUSE_SET_ATTR_UID)
		a.mask |= ENG_ATTR_UID, a.uid = attr->st_uid;
	if (valid & FUSE_SET_ATTR_GID)
		a.mask |= ENG_ATTR_GID, a.gid = attr->st_gid;
	if (valid & FUSE_SET_ATTR_MTIME) {
		struct timespec t = valid & FUSE_SET_ATTR_MTIME_NOW ? now : attr->st_mtim;

		a.mask |= ENG_ATTR_MTIME;
		a.mtime = (struct bfs_time){.sec = t.tv_sec, .nsec = (uint32_t)t.tv_nsec};
	}
	if (valid & FUSE_SET_ATTR_ATIME) {
		struct timespec t = valid & FUSE_SET_ATTR_ATIME_NOW ? now : attr->st_atim;

		a.mask |= ENG_ATTR_ATIME;
		a.atime = (struct bfs_time){.sec = t.tv_sec, .nsec = (uint32_t)t.tv_nsec};
	}
	if (!a.mask)
		return 0;
	r = stg_lower_set_attr(disc_lower(fs), gen, lid, &a, &diag);
	return r < 0 ? edits_failed(fs, "changing", in->mpath ? in->mpath : "?", r, &diag) : 0;
}

/*
 * A read of a handle opened on a disc file: from the disc; or, when the file was copied up
 * meanwhile (another handle wrote it), from the staged copy, which is what it holds now.
 */
void disc_read(fuse_req_t req, struct stg_fs *fs, struct inode *in, size_t size, off_t off)
{
	_cleanup_free_ uint8_t *buf = malloc(size ? size : 1);
	int64_t got = -ENOMEM;

	if (buf && in->kind == K_FILE) {
		char proc[32];
		int fd;

		proc_path(proc, in->fd);
		fd = open(proc, O_RDONLY | O_CLOEXEC);
		got = fd < 0 ? -errno : pread(fd, buf, size, off);
		if (got < 0 && fd >= 0)
			got = -errno;
		if (fd >= 0)
			close(fd);
	} else if (buf) {
		uint64_t gen;
		stg_lid lid;

		got = disc_node(fs, in, &gen, &lid);
		if (got == 0)
			got = stg_lower_pread(disc_lower(fs), gen, lid, (uint64_t)off, buf, size);
		if (got == -ENOENT)
			got = -ESTALE;
	}
	if (got < 0)
		fuse_reply_err(req, (int)-got);
	else
		fuse_reply_buf(req, (const char *)buf, (size_t)got);
}

/*
 * access() of a disc node: its mode bits for the caller, as a local file system answers
 * (root passes all but execute, which needs one x bit); writing one copies it up then.
 */
int disc_access(fuse_req_t req, struct stg_fs *fs, struct inode *in, int mask)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	struct stat st;
	unsigned bits;
	int r = disc_stat(fs, in, &st);

	if (r < 0)
		return -r;
	if (c->uid == 0)
		return !(mask & X_OK) || (st.st_mode & 0111) || S_ISDIR(st.st_mode) ? 0 : EACCES;
	bits = c->uid == st.st_uid   ? (st.st_mode >> 6) & 7
	       : c->gid == st.st_gid ? (st.st_mode >> 3) & 7
				     : st.st_mode & 7;
	return ((unsigned)mask & 7 & ~bits) ? EACCES : 0;
}

/* ---- listings that merge the disc's directory ---------------------------------------- */

void disc_dents_free(struct dirp *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

static int dent_add(struct dirp *d, const char *name, bool disc, stg_lid lid, const struct stat *st)
{
	if (BFS_GROW(d->v, d->cap, d->n + 1) < 0 || !(d->v[d->n].name = strdup(name)))
		return -ENOMEM;
	d->v[d->n].disc = disc;
	d->v[d->n].lid = lid;
	d->v[d->n].st = *st;
	d->n++;
	return 0;
}

static int dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

struct snap_ctx {
	struct dirp *d;
	size_t nstaged; /* d->v[0..nstaged): the staged names, sorted */
	bool root;
};

/* A name of the disc's directory, unless a staged node has it (or it is /.burnfs). */
static int snap_disc(const char *name, stg_lid id, const struct stat *st, void *userdata)
{
	struct snap_ctx *c = userdata;
	struct dent key = {.name = (char *)name};

	if ((c->root && strcmp(name, CTL_NAME) == 0) ||
	    (c->nstaged && bsearch(&key, c->d->v, c->nstaged, sizeof(key), dent_cmp)))
		return 0;
	return dent_add(c->d, name, true, id, st);
}

/* The staged directory's names (without "." and "..", and /.burnfs at the root), sorted. */
static int snap_staged(struct stg_fs *fs, struct inode *dir, struct dirp *d)
{
	struct dirent *e;

	rewinddir(d->dp);
	errno = 0;
	while ((e = readdir(d->dp))) {
		struct stat st = {.st_ino = e->d_ino, .st_mode = (mode_t)e->d_type << 12};

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    (dir == &fs->root && strcmp(e->d_name, CTL_NAME) == 0))
			continue;
		if (dent_add(d, e->d_name, false, 0, &st) < 0)
			return -ENOMEM;
		errno = 0;
	}
	if (errno)
		return -errno;
	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), dent_cmp);
	return 0;
}

/* Take the merged listing of dir: the staged names, then the disc's that none shadows. */
static int snapshot(struct stg_fs *fs, struct inode *dir, struct dirp *d)
{
	struct snap_ctx c = {.d = d, .root = dir == &fs->root};
	_cleanup_free_ char *mpath = NULL;
	int r = 0;

	disc_dents_free(d);
	if (d->dp)
		r = snap_staged(fs, dir, d);
	c.nstaged = d->n;
	d->gen = stg_lower_generation(disc_lower(fs));
	pthread_mutex_lock(&fs->lock);
	mpath = dir->mpath ? strdup(dir->mpath) : NULL;
	pthread_mutex_unlock(&fs->lock);
	if (r == 0 && mpath)
		r = stg_lower_list_merged(disc_lower(fs), mpath, snap_disc, &c);
	return r == -ESTALE || r == -ENODEV ? 0 : r;
}

/* Entry i of a merged listing into buf: its size, more than room when it does not fit. */
static size_t merged_entry(fuse_req_t req, struct stg_fs *fs, struct inode *dir, struct dirp *d,
			   size_t i, char *buf, size_t room, bool plus, int *err)
{
	struct dent *x = &d->v[i];
	struct fuse_entry_param e = {0};
	size_t n;
	int r;

	if (!plus)
		return fuse_add_direntry(req, buf, room, x->name, &x->st, (off_t)i + 3);
	r = x->disc ? lookup_disc(fs, dir, x->name, d->gen, x->lid, &x->st, &e)
		    : disc_lookup_merged(fs, dir, x->name, &e);
	if (r < 0) {
		*err = r == -ENOENT ? 0 : -r; /* removed meanwhile: left out */
		return 0;
	}
	n = fuse_add_direntry_plus(req, buf, room, x->name, &e, (off_t)i + 3);
	if (n > room)
		fs_forget_one(fs, e.ino, 1);
	return n;
}

/*
 * A merged listing from offset off: ".", "..", then the snapshot's names, into buf; its length
 * in *ret. Not replied here: the caller replies after letting go of d's lock, since once the
 * reply is out the kernel may release (free) d.
 */
int disc_readdir(fuse_req_t req, struct stg_fs *fs, struct inode *dir, struct dirp *d, char *buf,
		 size_t size, off_t off, bool plus, size_t *ret)
{
	size_t pos = 0;
	int err = 0;

	if (off == 0)
		err = -snapshot(fs, dir, d);
	for (off_t i = off; !err && i < 2; i++) {
		/* a serial number that is not 0 (readdir(3) leaves those out) */
		struct fuse_entry_param e = {.attr.st_mode = S_IFDIR, .attr.st_ino = 1};
		const char *name = i ? ".." : ".";
		size_t n =
			plus ? fuse_add_direntry_plus(req, buf + pos, size - pos, name, &e, i + 1)
			     : fuse_add_direntry(req, buf + pos, size - pos, name, &e.attr, i + 1);

		if (n > size - pos)
			break;
		pos += n;
		off = i + 1;
	}
	for (size_t i = off >= 2 ? (size_t)off - 2 : SIZE_MAX; !err && i < d->n; i++) {
		int e = 0;
		size_t n = merged_entry(req, fs, dir, d, i, buf + pos, size - pos, plus, &e);

		if (n > size - pos)
			break;
		err = e;
		pos += n;
	}
	*ret = pos;
	return err;
}
