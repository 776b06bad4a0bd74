/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burnfs-vdrive-shim: an LD_PRELOAD library that lets unmodified burners (xorriso and
 * cdrskin through libburn, growisofs, wodim) drive burnfs's virtual drive.
 *
 *	BURNFS_SHIM_DRIVES="/dev/sr7=VDRIVE_DIR[,/dev/sg8=DIR2...]"
 *
 * maps fake device paths to vdrive directories. For those paths only, the shim answers the
 * open, stat, ioctl, read/write and close calls the tools make, under every name glibc gives
 * them (open64, __open_2, __xstat, fcntl64, ...). The path looks like a block device of
 * major 11 (sr), or a character device of major 21 for an sgN path. An open returns a real
 * descriptor, a memfd named "burnfs-shim:PATH", so that a process exec'ed with it, or one
 * that reopens it through /dev/fd/N, still recognises it; SG_IO on it goes to vdrive_exec(),
 * read/pread and write/pwrite become READ(10)/WRITE(10) of 2048-byte sectors (the block
 * layer's view: growisofs, mkisofs -M). Every other path and descriptor goes to libc
 * unchanged (dlsym(RTLD_NEXT)).
 *
 * The drive is opened (vdrive_open: exclusive per process, like O_EXCL) at the first open of
 * its path in a process and closed at the last close, or at exit. A forked child shares the
 * parent's descriptors but not its drive: it never closes it (that would save a stale state)
 * and its commands fail with EIO. A process exec'ed with a drive descriptor opens the drive
 * itself at its first command (EBUSY while another process holds it; its block-layer reads
 * then come from the drive's image file, as a kernel would serve them from the disc).
 *
 * Opening an sr node consumes the drive's power-on unit attention with a TEST UNIT READY, as
 * the kernel's sr driver does at open; an sg node passes it on.
 *
 * Thread-safe: one recursive lock around the tables and the drives (libburn works in
 * threads; the vdrive's own file calls come back through these wrappers).
 */
#undef _FILE_OFFSET_BITS /* the wrappers define open and open64, stat and stat64, ... */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/cdrom.h>
#include <pthread.h>
#include <scsi/scsi.h>
#include <scsi/scsi_ioctl.h>
#include <scsi/sg.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/bytes.h"
#include "mmc/layout.h"
#include "vdrive/vdrive.h"

/* the wrappers are the library's interface; the vdrive code in it stays hidden (built with
 * -fvisibility=hidden), so a program with symbols of the same names is not disturbed */
#pragma GCC visibility push(default)

#define SHIM_MEMFD_PREFIX "burnfs-shim:"
#define DRIVES_MAX	  16
#define FDS_MAX		  256
#define SECTOR		  2048u

/* <linux/fs.h> conflicts with <sys/mount.h> users; the two block ioctls the tools use */
#ifndef BLKFLSBUF
#define BLKFLSBUF _IO(0x12, 97)
#endif
#ifndef BLKGETSIZE64
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)
#endif
#ifndef BLKGETSIZE
#define BLKGETSIZE _IO(0x12, 96)
#endif
#ifndef BLKSSZGET
#define BLKSSZGET _IO(0x12, 104)
#endif
#define HDIO_GET_IDENTITY_ 0x030d

struct drive {
	char *path;
	char *dir;
	bool sg;	/* /dev/sgN: character 21:N; otherwise block 11:N */
	unsigned minor; /* the path's trailing number */
	unsigned index; /* in the configuration: the SCSI target id */
	struct vdrive *vd;
	bool inherited; /* vd belongs to the parent of this forked process */
	unsigned nopen; /* descriptors of this process on it */
	int timeout_ms; /* SG_SET_TIMEOUT, in ms */
	int reserved;	/* SG_SET_RESERVED_SIZE */
};

struct fakefd {
	int fd; /* -1: free */
	struct drive *d;
};

static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct drive drives[DRIVES_MAX];
static unsigned ndrives;
static struct fakefd fds[FDS_MAX];
static bool inited, debug;
/*
 * While a drive is being opened, the files the vdrive opens (its lock and image) are moved
 * to descriptors from HIGH_FD up, out of the way of programs that pick their own numbers
 * (a shell's `exec 3<`, dup2 onto a fixed descriptor) and would close the drive's lock.
 */
#define HIGH_FD 512
static bool opening_drive;

/* glibc's internal entry points that programs call (fortified or built before glibc 2.33) */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t count, off64_t off, size_t buflen);

/* ---- libc -------------------------------------------------------------------------------- */

#define REAL(name, ret, ...)                                                        \
	static ret (*real_##name)(__VA_ARGS__);                                     \
	static ret (*get_##name(void))(__VA_ARGS__)                                 \
	{                                                                           \
		if (!real_##name)                                                   \
			real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name); \
		return real_##name;                                                 \
	}

REAL(open, int, const char *, int, ...)
REAL(open64, int, const char *, int, ...)
REAL(__open_2, int, const char *, int)
REAL(__open64_2, int, const char *, int)
REAL(openat, int, int, const char *, int, ...)
REAL(openat64, int, int, const char *, int, ...)
REAL(__openat_2, int, int, const char *, int)
REAL(__openat64_2, int, int, const char *, int)
REAL(close, int, int)
REAL(dup, int, int)
REAL(dup2, int, int, int)
REAL(dup3, int, int, int, int)
REAL(fcntl, int, int, int, ...)
REAL(fcntl64, int, int, int, ...)
REAL(ioctl, int, int, unsigned long, ...)
REAL(read, ssize_t, int, void *, size_t)
REAL(__read_chk, ssize_t, int, void *, size_t, size_t)
REAL(pread, ssize_t, int, void *, size_t, off_t)
REAL(pread64, ssize_t, int, void *, size_t, off64_t)
REAL(__pread64_chk, ssize_t, int, void *, size_t, off64_t, size_t)
REAL(write, ssize_t, int, const void *, size_t)
REAL(pwrite, ssize_t, int, const void *, size_t, off_t)
REAL(pwrite64, ssize_t, int, const void *, size_t, off64_t)
REAL(stat, int, const char *, struct stat *)
REAL(stat64, int, const char *, struct stat64 *)
REAL(lstat, int, const char *, struct stat *)
REAL(lstat64, int, const char *, struct stat64 *)
REAL(fstat, int, int, struct stat *)
REAL(fstat64, int, int, struct stat64 *)
REAL(fstatat, int, int, const char *, struct stat *, int)
REAL(fstatat64, int, int, const char *, struct stat64 *, int)
REAL(__xstat, int, int, const char *, struct stat *)
REAL(__xstat64, int, int, const char *, struct stat64 *)
REAL(__lxstat, int, int, const char *, struct stat *)
REAL(__lxstat64, int, int, const char *, struct stat64 *)
REAL(__fxstat, int, int, int, struct stat *)
REAL(__fxstat64, int, int, int, struct stat64 *)
REAL(__fxstatat, int, int, int, const char *, struct stat *, int)
REAL(__fxstatat64, int, int, int, const char *, struct stat64 *, int)
REAL(statx, int, int, const char *, int, unsigned, struct statx *)
REAL(access, int, const char *, int)
REAL(faccessat, int, int, const char *, int, int)
REAL(readlink, ssize_t, const char *, char *, size_t)
REAL(realpath, char *, const char *, char *)

static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (!debug)
		return;
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		n = snprintf(msg, sizeof(msg), "[%ld.%03ld] ", (long)ts.tv_sec,
			     ts.tv_nsec / 1000000);
	}
	va_start(ap, fmt);
	n += vsnprintf(msg + n, sizeof(msg) - 1 - (size_t)n, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(msg) - 2)
		n = sizeof(msg) - 2;
	msg[n++] = '\n';
	(void)!get_write()(2, msg, (size_t)n);
}

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
	va_list ap;

	fputs("burnfs-vdrive-shim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- configuration --------------------------------------------------------------------- */

static void child_after_fork(void)
{
	/* the parent's drives are not ours: never close them, never talk to them */
	for (unsigned i = 0; i < ndrives; i++)
		if (drives[i].vd)
			drives[i].inherited = true;
	/* before_fork took the lock, but the child's thread has another id: a recursive mutex
	 * would refuse its unlock, so start from a fresh one */
	pthread_mutex_t fresh = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

	memcpy(&lock, &fresh, sizeof(lock));
}

static void before_fork(void)
{
	pthread_mutex_lock(&lock);
}

static void parent_after_fork(void)
{
	pthread_mutex_unlock(&lock);
}

static void config_parse(void)
{
	const char *env = getenv("BURNFS_SHIM_DRIVES");
	char *spec, *save = NULL;

	for (unsigned i = 0; i < FDS_MAX; i++)
		fds[i].fd = -1;
	debug = getenv("BURNFS_SHIM_DEBUG") && *getenv("BURNFS_SHIM_DEBUG");
	pthread_atfork(before_fork, parent_after_fork, child_after_fork);
	if (!env || !*env)
		return;
	spec = strdup(env);
	if (!spec)
		return;
	for (char *tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *base, *p;
		struct drive *d;

		if (!eq || eq == tok || !eq[1] || tok[0] != '/') {
			complain("BURNFS_SHIM_DRIVES: '%s' is not PATH=VDRIVE_DIR with an absolute "
				 "PATH; ignored",
				 tok);
			continue;
		}
		if (ndrives == DRIVES_MAX) {
			complain("BURNFS_SHIM_DRIVES: more than %d drives; '%s' ignored",
				 DRIVES_MAX, tok);
			continue;
		}
		*eq = '\0';
		d = &drives[ndrives];
		*d = (struct drive){.path = strdup(tok),
				    .dir = strdup(eq + 1),
				    .index = ndrives,
				    .timeout_ms = 60000,
				    .reserved = SG_DEF_RESERVED_SIZE};
		if (!d->path || !d->dir)
			break;
		base = strrchr(d->path, '/') + 1;
		d->sg = strncmp(base, "sg", 2) == 0;
		for (p = base + strlen(base); p > base && p[-1] >= '0' && p[-1] <= '9'; p--)
			;
		d->minor = (unsigned)strtoul(p, NULL, 10) & 0xff;
		ndrives++;
	}
	free(spec);
}

static void init_locked(void)
{
	if (!inited) {
		inited = true;
		config_parse();
	}
}

/* Read the configuration before main, so that descriptors inherited over exec are known. */
__attribute__((constructor)) static void shim_init(void)
{
	pthread_mutex_lock(&lock);
	init_locked();
	pthread_mutex_unlock(&lock);
}

/*
 * A process that exits with the drive open (growisofs on DVD-RAM never closes it) still
 * commits what it wrote, as a real drive keeps it: close the drives it opened. A forked
 * child's drives are its parent's and stay untouched.
 */
__attribute__((destructor)) static void shim_fini(void)
{
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < ndrives; i++)
		if (drives[i].vd && !drives[i].inherited) {
			drives[i].vd = vdrive_close(drives[i].vd);
			trace("%s: closed virtual drive %s at exit", drives[i].path, drives[i].dir);
		}
	pthread_mutex_unlock(&lock);
}

static struct drive *drive_by_path(const char *path)
{
	if (!path)
		return NULL;
	for (unsigned i = 0; i < ndrives; i++)
		if (strcmp(drives[i].path, path) == 0)
			return &drives[i];
	return NULL;
}

static struct fakefd *fake_slot(int fd)
{
	for (unsigned i = 0; i < FDS_MAX; i++)
		if (fds[i].fd == fd && fd >= 0)
			return &fds[i];
	return NULL;
}

/* A memfd named after a configured path: a drive descriptor made by the shim (maybe in
 * another process, inherited over exec), or NULL. */
static struct drive *memfd_drive(int fd)
{
	const size_t plen = strlen("/memfd:" SHIM_MEMFD_PREFIX);
	char link[64], target[512], *sp;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = get_readlink()(link, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	if (strncmp(target, "/memfd:" SHIM_MEMFD_PREFIX, plen))
		return NULL;
	sp = strstr(target + plen, " (deleted)");
	if (sp)
		*sp = '\0';
	return drive_by_path(target + plen);
}

/*
 * The drive behind fd, or NULL: a descriptor in the table, or one this process got without
 * the shim seeing it (inherited over exec, or reopened through /dev/fd/N by glibc's own
 * fopen, which calls no interposable open).
 */
static struct drive *drive_by_fd(int fd)
{
	struct fakefd *f;
	struct stat st;
	struct drive *d;

	if (fd < 0 || !ndrives)
		return NULL;
	f = fake_slot(fd);
	if (f)
		return f->d;
	/* cheap test first: a memfd is a regular file without a name */
	if (get_fstat()(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 0)
		return NULL;
	d = memfd_drive(fd);
	if (!d)
		return NULL;
	for (unsigned i = 0; i < FDS_MAX; i++)
		if (fds[i].fd < 0) {
			fds[i] = (struct fakefd){.fd = fd, .d = d};
			d->nopen++;
			trace("fd %d: a descriptor of %s", fd, d->path);
			return d;
		}
	return NULL;
}

/* The open drive of d, opening it if needed; NULL with errno set. */
static struct vdrive *drive_vd(struct drive *d)
{
	int r;

	if (d->inherited) {
		errno = EIO;
		return NULL;
	}
	if (d->vd)
		return d->vd;
	opening_drive = true;
	r = vdrive_open(d->dir, &d->vd);
	opening_drive = false;
	if (r < 0) {
		if (r != -EBUSY)
			complain("%s: virtual drive '%s': %s", d->path, d->dir, strerror(-r));
		errno = -r;
		return NULL;
	}
	trace("%s: opened virtual drive %s", d->path, d->dir);
	if (!d->sg) {
		/* the sr driver's media check at open takes the power-on unit attention */
		static const uint8_t tur[MMC_CDB6_SIZE] = {[MMC_CDB_OPCODE] =
								   MMC_OP_TEST_UNIT_READY};
		struct vdrive_result res;

		vdrive_exec(d->vd, tur, sizeof(tur), VDRIVE_DIR_NONE, NULL, 0, &res);
	}
	return d->vd;
}

static void drive_release(struct drive *d)
{
	if (d->nopen)
		d->nopen--;
	if (d->nopen == 0 && d->vd && !d->inherited) {
		d->vd = vdrive_close(d->vd);
		trace("%s: closed virtual drive %s", d->path, d->dir);
	}
}

/* ---- open / close / dup ---------------------------------------------------------------- */

static int relocate(int fd)
{
	int hi;

	if (!opening_drive || fd < 0 || fd >= HIGH_FD)
		return fd;
	hi = get_fcntl()(fd, F_DUPFD_CLOEXEC, HIGH_FD);
	if (hi < 0)
		return fd; /* no room up there: keep it where it is */
	get_close()(fd);
	return hi;
}

/* "/dev/fd/N" or "/proc/self/fd/N" naming a drive descriptor: N, else -1 */
static int fd_path(const char *path)
{
	const char *p;
	char *end;
	long n;

	if (strncmp(path, "/dev/fd/", 8) == 0)
		p = path + 8;
	else if (strncmp(path, "/proc/self/fd/", 14) == 0)
		p = path + 14;
	else
		return -1;
	n = strtol(p, &end, 10);
	if (end == p || *end || n < 0 || n > INT32_MAX)
		return -1;
	return drive_by_fd((int)n) ? (int)n : -1;
}

static int track_fd(int fd, struct drive *d)
{
	for (unsigned i = 0; i < FDS_MAX; i++)
		if (fds[i].fd < 0) {
			fds[i] = (struct fakefd){.fd = fd, .d = d};
			d->nopen++;
			return fd;
		}
	get_close()(fd);
	errno = EMFILE;
	return -1;
}

/* 1: handled (result in *ret), 0: not ours */
static int fake_open(const char *path, int flags, int *ret)
{
	struct drive *d;
	int fd, n;

	pthread_mutex_lock(&lock);
	init_locked();
	if (!path || !ndrives) {
		pthread_mutex_unlock(&lock);
		return 0;
	}
	n = fd_path(path);
	if (n >= 0) {
		/* a reopen of an inherited drive descriptor: a new descriptor of the same drive */
		d = drive_by_fd(n);
		fd = get_fcntl()(n, (flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
		*ret = fd < 0 ? -1 : track_fd(fd, d);
		pthread_mutex_unlock(&lock);
		return 1;
	}
	d = drive_by_path(path);
	if (!d) {
		pthread_mutex_unlock(&lock);
		return 0;
	}
	trace("open %s flags 0x%x", path, (unsigned)flags);
	if (!drive_vd(d)) {
		*ret = -1;
		pthread_mutex_unlock(&lock);
		return 1;
	}
	{
		char name[256];

		snprintf(name, sizeof(name), SHIM_MEMFD_PREFIX "%s", d->path);
		fd = memfd_create(name, (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	}
	if (fd < 0) {
		*ret = -1;
		if (d->nopen == 0)
			drive_release(d);
	} else {
		*ret = track_fd(fd, d);
	}
	pthread_mutex_unlock(&lock);
	return 1;
}

#define OPEN_MODE(flags)                         \
	mode_t mode = 0;                         \
	if ((flags) & (O_CREAT | __O_TMPFILE)) { \
		va_list ap;                      \
		va_start(ap, flags);             \
		mode = va_arg(ap, mode_t);       \
		va_end(ap);                      \
	}

int open(const char *path, int flags, ...)
{
	int r;

	OPEN_MODE(flags);
	if (fake_open(path, flags, &r))
		return r;
	return relocate(get_open()(path, flags, mode));
}

int open64(const char *path, int flags, ...)
{
	int r;

	OPEN_MODE(flags);
	if (fake_open(path, flags, &r))
		return r;
	return relocate(get_open64()(path, flags, mode));
}

int __open_2(const char *path, int flags)
{
	int r;

	if (fake_open(path, flags, &r))
		return r;
	return relocate(get___open_2()(path, flags));
}

int __open64_2(const char *path, int flags)
{
	int r;

	if (fake_open(path, flags, &r))
		return r;
	return relocate(get___open64_2()(path, flags));
}

int openat(int dirfd, const char *path, int flags, ...)
{
	int r;

	OPEN_MODE(flags);
	if ((path[0] == '/' || dirfd == AT_FDCWD) && fake_open(path, flags, &r))
		return r;
	return relocate(get_openat()(dirfd, path, flags, mode));
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	int r;

	OPEN_MODE(flags);
	if ((path[0] == '/' || dirfd == AT_FDCWD) && fake_open(path, flags, &r))
		return r;
	return relocate(get_openat64()(dirfd, path, flags, mode));
}

int __openat_2(int dirfd, const char *path, int flags)
{
	int r;

	if ((path[0] == '/' || dirfd == AT_FDCWD) && fake_open(path, flags, &r))
		return r;
	return relocate(get___openat_2()(dirfd, path, flags));
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	int r;

	if ((path[0] == '/' || dirfd == AT_FDCWD) && fake_open(path, flags, &r))
		return r;
	return relocate(get___openat64_2()(dirfd, path, flags));
}

int close(int fd)
{
	struct fakefd *f;
	int r;

	pthread_mutex_lock(&lock);
	f = ndrives ? fake_slot(fd) : NULL;
	r = get_close()(fd);
	if (f) {
		struct drive *d = f->d;

		trace("close %d (%s)", fd, d->path);
		f->fd = -1;
		drive_release(d);
	}
	pthread_mutex_unlock(&lock);
	return r;
}

/* After a dup onto newfd: newfd's old drive slot is gone, the new one is tracked. */
static int after_dup(int oldfd, int newfd, bool replaced)
{
	struct drive *d;
	struct fakefd *f;

	if (newfd < 0)
		return newfd;
	if (replaced && (f = fake_slot(newfd))) {
		f->fd = -1;
		drive_release(f->d);
	}
	d = drive_by_fd(oldfd);
	if (d)
		return track_fd(newfd, d);
	return newfd;
}

int dup(int fd)
{
	int r;

	pthread_mutex_lock(&lock);
	r = get_dup()(fd);
	if (ndrives)
		r = after_dup(fd, r, false);
	pthread_mutex_unlock(&lock);
	return r;
}

int dup2(int fd, int fd2)
{
	int r;

	pthread_mutex_lock(&lock);
	r = get_dup2()(fd, fd2);
	if (ndrives && fd != fd2)
		r = after_dup(fd, r, true);
	pthread_mutex_unlock(&lock);
	return r;
}

int dup3(int fd, int fd2, int flags)
{
	int r;

	pthread_mutex_lock(&lock);
	r = get_dup3()(fd, fd2, flags);
	if (ndrives)
		r = after_dup(fd, r, true);
	pthread_mutex_unlock(&lock);
	return r;
}

static int fcntl_common(int (*realfn)(int, int, ...), int fd, int cmd, va_list ap)
{
	void *arg = va_arg(ap, void *);
	int r;

	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return realfn(fd, cmd, arg);
	pthread_mutex_lock(&lock);
	r = realfn(fd, cmd, arg);
	if (ndrives)
		r = after_dup(fd, r, false);
	pthread_mutex_unlock(&lock);
	return r;
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	int r;

	va_start(ap, cmd);
	r = fcntl_common(get_fcntl(), fd, cmd, ap);
	va_end(ap);
	return r;
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	int r;

	va_start(ap, cmd);
	r = fcntl_common(get_fcntl64() ? get_fcntl64() : get_fcntl(), fd, cmd, ap);
	va_end(ap);
	return r;
}

/* ---- stat ------------------------------------------------------------------------------- */

static void fake_stat(const struct drive *d, struct stat64 *st, bool keep)
{
	if (!keep) {
		memset(st, 0, sizeof(*st));
		st->st_dev = makedev(0, 5); /* devtmpfs */
		st->st_nlink = 1;
		st->st_atime = st->st_mtime = st->st_ctime = time(NULL);
	}
	st->st_ino = 0x5b1f0000u + d->index;
	st->st_mode = (d->sg ? S_IFCHR : S_IFBLK) | 0660;
	st->st_rdev = d->sg ? makedev(21, d->minor) : makedev(11, d->minor);
	st->st_size = 0;
	st->st_blksize = SECTOR;
	st->st_blocks = 0;
}

static struct drive *path_drive(const char *path)
{
	struct drive *d;

	pthread_mutex_lock(&lock);
	init_locked();
	d = path ? drive_by_path(path) : NULL;
	pthread_mutex_unlock(&lock);
	return d;
}

static struct drive *fd_drive(int fd)
{
	struct drive *d;

	pthread_mutex_lock(&lock);
	init_locked();
	d = drive_by_fd(fd);
	pthread_mutex_unlock(&lock);
	return d;
}

/* struct stat and struct stat64 are the same on the 64-bit ABIs this is built for */
_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "stat and stat64 differ");

#define STAT_PATH(call, path, st)                                    \
	do {                                                         \
		struct drive *d_ = path_drive(path);                 \
		if (d_) {                                            \
			fake_stat(d_, (struct stat64 *)(st), false); \
			return 0;                                    \
		}                                                    \
		return call;                                         \
	} while (0)

#define STAT_FD(call, fd, st)                                       \
	do {                                                        \
		struct drive *d_ = fd_drive(fd);                    \
		int r_ = call;                                      \
		if (d_ && r_ == 0)                                  \
			fake_stat(d_, (struct stat64 *)(st), true); \
		return r_;                                          \
	} while (0)

int stat(const char *path, struct stat *st)
{
	STAT_PATH(get_stat()(path, st), path, st);
}

int stat64(const char *path, struct stat64 *st)
{
	STAT_PATH(get_stat64()(path, st), path, st);
}

int lstat(const char *path, struct stat *st)
{
	STAT_PATH(get_lstat()(path, st), path, st);
}

int lstat64(const char *path, struct stat64 *st)
{
	STAT_PATH(get_lstat64()(path, st), path, st);
}

int __xstat(int ver, const char *path, struct stat *st)
{
	STAT_PATH(get___xstat()(ver, path, st), path, st);
}

int __xstat64(int ver, const char *path, struct stat64 *st)
{
	STAT_PATH(get___xstat64()(ver, path, st), path, st);
}

int __lxstat(int ver, const char *path, struct stat *st)
{
	STAT_PATH(get___lxstat()(ver, path, st), path, st);
}

int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	STAT_PATH(get___lxstat64()(ver, path, st), path, st);
}

int fstat(int fd, struct stat *st)
{
	STAT_FD(get_fstat()(fd, st), fd, st);
}

int fstat64(int fd, struct stat64 *st)
{
	STAT_FD(get_fstat64()(fd, st), fd, st);
}

int __fxstat(int ver, int fd, struct stat *st)
{
	STAT_FD(get___fxstat()(ver, fd, st), fd, st);
}

int __fxstat64(int ver, int fd, struct stat64 *st)
{
	STAT_FD(get___fxstat64()(ver, fd, st), fd, st);
}

static bool at_is_path(int dirfd, const char *path, int flags)
{
	(void)flags;
	return path && (path[0] == '/' || dirfd == AT_FDCWD) && *path;
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	if (!*path && (flags & AT_EMPTY_PATH))
		STAT_FD(get_fstatat()(dirfd, path, st, flags), dirfd, st);
	if (at_is_path(dirfd, path, flags))
		STAT_PATH(get_fstatat()(dirfd, path, st, flags), path, st);
	return get_fstatat()(dirfd, path, st, flags);
}

int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	if (!*path && (flags & AT_EMPTY_PATH))
		STAT_FD(get_fstatat64()(dirfd, path, st, flags), dirfd, st);
	if (at_is_path(dirfd, path, flags))
		STAT_PATH(get_fstatat64()(dirfd, path, st, flags), path, st);
	return get_fstatat64()(dirfd, path, st, flags);
}

int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	if (at_is_path(dirfd, path, flags))
		STAT_PATH(get___fxstatat()(ver, dirfd, path, st, flags), path, st);
	return get___fxstatat()(ver, dirfd, path, st, flags);
}

int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
	if (at_is_path(dirfd, path, flags))
		STAT_PATH(get___fxstatat64()(ver, dirfd, path, st, flags), path, st);
	return get___fxstatat64()(ver, dirfd, path, st, flags);
}

int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
	struct drive *d = NULL;
	struct stat64 st;
	int r;

	if (!*path && (flags & AT_EMPTY_PATH))
		d = fd_drive(dirfd);
	else if (at_is_path(dirfd, path, flags))
		d = path_drive(path);
	if (!d)
		return get_statx()(dirfd, path, flags, mask, stx);
	r = 0;
	fake_stat(d, &st, false);
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_blksize = (uint32_t)st.st_blksize;
	stx->stx_nlink = 1;
	stx->stx_mode = (uint16_t)st.st_mode;
	stx->stx_ino = st.st_ino;
	stx->stx_rdev_major = major(st.st_rdev);
	stx->stx_rdev_minor = minor(st.st_rdev);
	stx->stx_dev_major = major(st.st_dev);
	stx->stx_dev_minor = minor(st.st_dev);
	return r;
}

int access(const char *path, int mode)
{
	if (path_drive(path))
		return 0;
	return get_access()(path, mode);
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
	if (at_is_path(dirfd, path, flags) && path_drive(path))
		return 0;
	return get_faccessat()(dirfd, path, mode, flags);
}

ssize_t readlink(const char *path, char *buf, size_t len)
{
	if (path_drive(path)) {
		errno = EINVAL; /* a device node, not a link */
		return -1;
	}
	return get_readlink()(path, buf, len);
}

/* cdparanoia resolves the device's links first: glibc's realpath() stats through calls of
 * its own that the wrappers above do not see, so the drive's path is its own real path */
char *realpath(const char *path, char *resolved)
{
	if (path && path_drive(path)) {
		if (!resolved)
			return strdup(path);
		snprintf(resolved, PATH_MAX, "%s", path);
		return resolved;
	}
	return get_realpath()(path, resolved);
}

/* ---- SG_IO and the other ioctls ------------------------------------------------------- */

/* The sense key and the ASC of a command's fixed-format sense (0 when it holds none). */
static unsigned sense_key(const struct vdrive_result *r)
{
	return r->sense_len > MMC_SENSE_ASCQ ? r->sense[MMC_SENSE_KEY] & MMC_SENSE_KEY_MASK : 0;
}

static unsigned sense_asc(const struct vdrive_result *r)
{
	return r->sense_len > MMC_SENSE_ASCQ ? r->sense[MMC_SENSE_ASC] : 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The emulator's direction of an SG_IO transfer; false (errno EINVAL) for an unknown one. */
static bool sg_dir(const struct sg_io_hdr *h, enum vdrive_dir *ret)
{
	switch (h->dxfer_direction) {
	case SG_DXFER_NONE:
		*ret = VDRIVE_DIR_NONE;
		return true;
	case SG_DXFER_TO_DEV:
		*ret = VDRIVE_DIR_OUT;
		return true;
	case SG_DXFER_FROM_DEV:
	case SG_DXFER_TO_FROM_DEV:
		*ret = VDRIVE_DIR_IN;
		return true;
	default:
		errno = EINVAL;
		return false;
	}
}

/* Scatter/gather: between the caller's iovecs and one bounce buffer of len bytes. */
static void sg_copy(const struct sg_io_hdr *h, uint8_t *bounce, size_t len, bool to_bounce)
{
	const struct iovec *iov = h->dxferp;
	size_t off = 0;

	for (unsigned i = 0; i < h->iovec_count && off < len; i++) {
		size_t n = iov[i].iov_len < len - off ? iov[i].iov_len : len - off;

		if (to_bounce)
			memcpy(bounce + off, iov[i].iov_base, n);
		else
			memcpy(iov[i].iov_base, bounce + off, n);
		off += n;
	}
}

/* The reply in the header, as the sg driver fills it; a timed-out command as it reports. */
static void sg_reply(struct sg_io_hdr *h, const struct vdrive_result *res, size_t len)
{
	h->status = res->status;
	h->masked_status = (res->status >> 1) & 0x7f;
	h->msg_status = 0;
	h->host_status = 0;
	h->driver_status = 0;
	h->sb_len_wr = 0;
	h->resid = (int)(res->resid <= len ? res->resid : len);
	h->info = (h->flags & SG_FLAG_DIRECT_IO) ? SG_INFO_DIRECT_IO : SG_INFO_INDIRECT_IO;
	if (res->status != 0)
		h->info |= SG_INFO_CHECK;
	if (res->sense_len && h->sbp && h->mx_sb_len) {
		size_t n = res->sense_len < h->mx_sb_len ? res->sense_len : h->mx_sb_len;

		memcpy(h->sbp, res->sense, n);
		h->sb_len_wr = (unsigned char)n;
		h->driver_status = 0x08; /* DRIVER_SENSE */
	}
	/* a command that ran past its timeout: what the midlayer reports after aborting it */
	if (h->timeout && h->duration > h->timeout) {
		h->host_status = 0x03;	 /* DID_TIME_OUT */
		h->driver_status = 0x06; /* DRIVER_TIMEOUT */
		h->info |= SG_INFO_CHECK;
	}
}

/* BURNFS_SHIM_DEBUG: the command, its answer, and the data of the commands worth seeing. */
static void sg_trace(const struct drive *d, const struct sg_io_hdr *h, const uint8_t *cdb,
		     const uint8_t *buf, size_t len, const struct vdrive_result *res)
{
	char hex[16 * 3 + 1] = "";

	for (unsigned i = 0; i < h->cmd_len; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", cdb[i]);
	trace("%s: SG_IO %slen %zu -> status %02x sense %02x/%02x/%02x resid %d", d->path, hex, len,
	      res->status, sense_key(res), sense_asc(res),
	      res->sense_len > MMC_SENSE_ASCQ ? res->sense[MMC_SENSE_ASCQ] : 0, h->resid);
	if (len && buf &&
	    (cdb[MMC_CDB_OPCODE] == MMC_OP_SEND_CUE_SHEET ||
	     cdb[MMC_CDB_OPCODE] == MMC_OP_MODE_SELECT10)) {
		char data[64 * 3 + 1] = "";

		for (size_t i = 0; i < len && i < 64; i++)
			snprintf(data + 3 * i, sizeof(data) - 3 * i, "%02x ", buf[i]);
		trace("%s:   data out: %s", d->path, data);
	}
}

static int fake_sg_io(struct drive *d, struct sg_io_hdr *h)
{
	struct vdrive *vd;
	struct vdrive_result res;
	enum vdrive_dir dir;
	uint8_t cdb[16];
	uint8_t *buf = h->dxferp, *bounce = NULL;
	size_t len = h->dxfer_len;
	uint64_t t0;

	if (h->interface_id != 'S') {
		errno = ENOSYS; /* what sg answers for another interface */
		return -1;
	}
	if (h->cmd_len == 0 || h->cmd_len > sizeof(cdb) || !h->cmdp) {
		errno = EMSGSIZE; /* the sg driver's answer to a bad command length */
		return -1;
	}
	vd = drive_vd(d);
	/* the block layer's SG_IO checks the direction only when data moves (cdrdao sends 0
	 * with commands that have none) */
	if (!vd || (h->dxfer_len && !sg_dir(h, &dir)))
		return -1;
	if (!h->dxfer_len)
		dir = VDRIVE_DIR_NONE;
	memcpy(cdb, h->cmdp, h->cmd_len);
	if (dir == VDRIVE_DIR_NONE || len == 0) {
		dir = VDRIVE_DIR_NONE;
		len = 0;
	}
	if (len && h->iovec_count) {
		bounce = calloc(1, len);
		if (!bounce) {
			errno = ENOMEM;
			return -1;
		}
		if (dir == VDRIVE_DIR_OUT)
			sg_copy(h, bounce, len, true);
		buf = bounce;
	} else if (len && !buf) {
		errno = EFAULT;
		return -1;
	}
	t0 = mono_ms();
	vdrive_exec(vd, cdb, h->cmd_len, dir, len ? buf : NULL, len, &res);
	h->duration = (unsigned)(mono_ms() - t0);
	if (bounce && dir == VDRIVE_DIR_IN)
		sg_copy(h, bounce, len, false);
	sg_reply(h, &res, len);
	if (debug)
		sg_trace(d, h, cdb, bounce ? NULL : buf, len, &res);
	free(bounce);
	return 0;
}

/* A command without data, for the cdrom ioctls; the SCSI status or -1 (errno). */
static int simple_cmd(struct drive *d, const uint8_t *cdb, size_t n, struct vdrive_result *res)
{
	struct vdrive *vd = drive_vd(d);

	if (!vd)
		return -1;
	vdrive_exec(vd, cdb, n, VDRIVE_DIR_NONE, NULL, 0, res);
	if (res->status && sense_key(res) == 0x06)
		vdrive_exec(vd, cdb, n, VDRIVE_DIR_NONE, NULL, 0, res); /* past a unit attention */
	return res->status;
}

/* An ioctl handled: its result into *ret, for the ioctl groups below. */
static bool done(int *ret, int r)
{
	*ret = r;
	return true;
}

/* The sg driver's and the SCSI midlayer's ioctls; false when req is not one of them. */
static bool sg_ioctl(struct drive *d, unsigned long req, void *arg, int *ret)
{
	switch (req) {
	case SG_IO:
		return done(ret, fake_sg_io(d, arg));
	case SG_GET_VERSION_NUM:
		*(int *)arg = 30536;
		return done(ret, 0);
	case SG_GET_SCSI_ID: {
		struct sg_scsi_id *id = arg;

		memset(id, 0, sizeof(*id));
		id->host_no = 0;
		id->channel = 0;
		id->scsi_id = (int)d->index;
		id->lun = 0;
		id->scsi_type = TYPE_ROM;
		id->h_cmd_per_lun = 1;
		id->d_queue_depth = 1;
		return done(ret, 0);
	}
	case SCSI_IOCTL_GET_IDLUN: {
		/* exactly the kernel's two ints: wodim declares two longs but reads the low bits */
		int *idlun = arg;

		idlun[0] =
			(int)(d->index & 0xff); /* target | lun << 8 | channel << 16 | host << 24 */
		idlun[1] = 1;			/* host_unique_id */
		return done(ret, 0);
	}
	case SCSI_IOCTL_GET_BUS_NUMBER:
		*(int *)arg = 0;
		return done(ret, 0);
	case SG_SET_TIMEOUT:
		d->timeout_ms = *(const int *)arg * 1000 / (int)sysconf(_SC_CLK_TCK);
		return done(ret, 0);
	case SG_GET_TIMEOUT:
		return done(ret, d->timeout_ms * (int)sysconf(_SC_CLK_TCK) / 1000);
	case SG_GET_RESERVED_SIZE:
		*(int *)arg = d->reserved;
		return done(ret, 0);
	case SG_SET_RESERVED_SIZE:
		if (*(const int *)arg < 0) {
			errno = EINVAL;
			return done(ret, -1);
		}
		d->reserved = *(const int *)arg > 1 << 20 ? 1 << 20 : *(const int *)arg;
		return done(ret, 0);
	case SG_EMULATED_HOST:
		*(int *)arg = 0;
		return done(ret, 0);
	case SG_GET_SG_TABLESIZE:
		*(int *)arg = 128;
		return done(ret, 0);
	case SG_SET_COMMAND_Q:
	case SG_SET_FORCE_PACK_ID:
	case SG_SET_KEEP_ORPHAN:
		return done(ret, 0);
	case SG_GET_COMMAND_Q:
		*(int *)arg = 0;
		return done(ret, 0);
	default:
		return false;
	}
}

/*
 * CDROM_SEND_PACKET (libcdio's way to send MMC commands on Linux): the 12-byte packet to the
 * drive, its sense into cgc->sense; -1 with EIO on CHECK CONDITION, as the cdrom driver.
 */
static int send_packet(struct drive *d, struct cdrom_generic_command *cgc)
{
	struct vdrive *vd = drive_vd(d);
	enum vdrive_dir dir = cgc->data_direction == CGC_DATA_READ    ? VDRIVE_DIR_IN
			      : cgc->data_direction == CGC_DATA_WRITE ? VDRIVE_DIR_OUT
								      : VDRIVE_DIR_NONE;
	struct vdrive_result res;
	size_t len = dir == VDRIVE_DIR_NONE ? 0 : cgc->buflen;

	if (!vd)
		return -1;
	if (len && !cgc->buffer) {
		errno = EFAULT;
		return -1;
	}
	vdrive_exec(vd, cgc->cmd, CDROM_PACKET_SIZE, dir, len ? cgc->buffer : NULL, len, &res);
	cgc->stat = res.status;
	if (cgc->sense)
		memcpy(cgc->sense, res.sense,
		       sizeof(*cgc->sense) < sizeof(res.sense) ? sizeof(*cgc->sense)
							       : sizeof(res.sense));
	if (res.status) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* READ TOC format 0 from track (LBA or MSF) into b (n bytes): the status, -1 with errno. */
static int toc_cmd(struct drive *d, uint8_t track, bool msf, uint8_t *b, size_t n)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_READ_TOC,
				       [MMC_TOC_CDB_MSF] = msf ? MMC_TOC_MSF : 0,
				       [MMC_TOC_CDB_TRACK] = track};
	struct vdrive *vd = drive_vd(d);
	struct vdrive_result res;

	if (!vd)
		return -1;
	memset(b, 0, n);
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, (uint16_t)n);
	vdrive_exec(vd, cdb, sizeof(cdb), VDRIVE_DIR_IN, b, n, &res);
	if (res.status) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/*
 * CDROMSUBCHNL: READ SUB-CHANNEL format 01h (the current position) in MSF, as the kernel's
 * cdrom driver sends it (cdrom_read_subchannel), the addresses then given in the format
 * the caller asked for (sanitize_format): cd-info's "audio status".
 */
static int subchannel(struct drive *d, struct cdrom_subchnl *q)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_READ_SUBCHANNEL,
				       [MMC_SUBCH_CDB_MSF] = MMC_SUBCH_MSF,
				       [MMC_SUBCH_CDB_SUBQ] = MMC_SUBCH_SUBQ,
				       [MMC_SUBCH_CDB_FORMAT] = MMC_SUBCH_POSITION,
				       [MMC_CDB10_LENGTH + 1] = MMC_SUBCH_POS_SIZE};
	uint8_t r[MMC_SUBCH_POS_SIZE] = {0};
	const uint8_t *abs = r + MMC_SUBCH_D_ABS + 1, *rel = r + MMC_SUBCH_D_REL + 1;
	struct vdrive *vd = drive_vd(d);
	struct vdrive_result res;

	if (!vd)
		return -1;
	if (q->cdsc_format != CDROM_MSF && q->cdsc_format != CDROM_LBA) {
		errno = EINVAL;
		return -1;
	}
	vdrive_exec(vd, cdb, sizeof(cdb), VDRIVE_DIR_IN, r, sizeof(r), &res);
	if (res.status) {
		errno = EIO;
		return -1;
	}
	q->cdsc_audiostatus = r[MMC_SUBCH_STATUS];
	q->cdsc_adr = r[MMC_SUBCH_D_ADR_CTL] >> 4, q->cdsc_ctrl = r[MMC_SUBCH_D_ADR_CTL] & 0x0F;
	q->cdsc_trk = r[MMC_SUBCH_D_TRACK], q->cdsc_ind = r[MMC_SUBCH_D_INDEX];
	if (q->cdsc_format == CDROM_MSF) {
		q->cdsc_absaddr.msf = (struct cdrom_msf0){abs[0], abs[1], abs[2]};
		q->cdsc_reladdr.msf = (struct cdrom_msf0){rel[0], rel[1], rel[2]};
	} else { /* the kernel's conversion: absolute less the 2 s before LBA 0 */
		q->cdsc_absaddr.lba = (abs[0] * 60 + abs[1]) * 75 + abs[2] - 150;
		q->cdsc_reladdr.lba = (rel[0] * 60 + rel[1]) * 75 + rel[2];
	}
	return 0;
}

/* CDROMMULTISESSION and CDROM_GET_MCN: READ TOC format 1, READ SUB-CHANNEL format 02h */
static bool cdrom_session_ioctl(struct drive *d, unsigned long req, void *arg, int *ret)
{
	uint8_t b[MMC_TOC_HEADER_SIZE + 2 * MMC_TOC_D_SIZE];

	switch (req) {
	case CDROMMULTISESSION: { /* READ TOC format 1: the last session's first track */
		struct cdrom_multisession *m = arg;
		uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_READ_TOC,
					       [MMC_TOC_CDB_FORMAT] = MMC_TOC_FORMAT_SESSION,
					       [MMC_CDB10_LENGTH + 1] = sizeof(b)};
		struct vdrive *vd = drive_vd(d);
		struct vdrive_result res;
		int32_t lba;

		if (!vd)
			return done(ret, -1);
		vdrive_exec(vd, cdb, sizeof(cdb), VDRIVE_DIR_IN, b, sizeof(b), &res);
		if (res.status) {
			errno = EIO;
			return done(ret, -1);
		}
		lba = (int32_t)bfs_get_be32(b + MMC_TOC_HEADER_SIZE + MMC_TOC_D_ADDRESS);
		m->xa_flag = b[MMC_TOC_LAST] > 1; /* the kernel's test: more than one session */
		if (m->addr_format == CDROM_MSF) {
			m->addr.msf.minute = (uint8_t)((lba + 150) / 4500);
			m->addr.msf.second = (uint8_t)((lba + 150) / 75 % 60);
			m->addr.msf.frame = (uint8_t)((lba + 150) % 75);
		} else {
			m->addr.lba = lba;
		}
		return done(ret, 0);
	}
	case CDROM_GET_MCN: { /* READ SUB-CHANNEL format 02h */
		struct cdrom_mcn *mcn = arg;
		uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_READ_SUBCHANNEL,
					       [MMC_SUBCH_CDB_SUBQ] = MMC_SUBCH_SUBQ,
					       [MMC_SUBCH_CDB_FORMAT] = MMC_SUBCH_MCN,
					       [MMC_CDB10_LENGTH + 1] = MMC_SUBCH_CODE_SIZE};
		uint8_t r[MMC_SUBCH_CODE_SIZE] = {0};
		struct vdrive *vd = drive_vd(d);
		struct vdrive_result res;

		if (!vd)
			return done(ret, -1);
		vdrive_exec(vd, cdb, sizeof(cdb), VDRIVE_DIR_IN, r, sizeof(r), &res);
		if (res.status) {
			errno = EIO;
			return done(ret, -1);
		}
		memset(mcn, 0, sizeof(*mcn));
		if (r[MMC_SUBCH_D_VALID] & 0x80)
			memcpy(mcn->medium_catalog_number, r + MMC_SUBCH_D_TEXT, 13);
		return done(ret, 0);
	}
	default:
		return false;
	}
}

/* The cdrom driver's TOC ioctls (drivers/cdrom/cdrom.c turns them into READ TOC). */
static bool cdrom_toc_ioctl(struct drive *d, unsigned long req, void *arg, int *ret)
{
	uint8_t b[MMC_TOC_HEADER_SIZE + 2 * MMC_TOC_D_SIZE];

	switch (req) {
	case CDROMREADTOCHDR: {
		struct cdrom_tochdr *h = arg;

		if (toc_cmd(d, 0, false, b, sizeof(b)) < 0)
			return done(ret, -1);
		h->cdth_trk0 = b[MMC_TOC_FIRST], h->cdth_trk1 = b[MMC_TOC_LAST];
		return done(ret, 0);
	}
	case CDROMREADTOCENTRY: {
		struct cdrom_tocentry *e = arg;
		bool msf = e->cdte_format == CDROM_MSF;
		const uint8_t *x = b + MMC_TOC_HEADER_SIZE;

		if (toc_cmd(d, e->cdte_track == CDROM_LEADOUT ? MMC_TOC_LEADOUT : e->cdte_track,
			    msf, b, sizeof(b)) < 0)
			return done(ret, -1);
		e->cdte_adr = x[MMC_TOC_D_ADR_CTL] >> 4, e->cdte_ctrl = x[MMC_TOC_D_ADR_CTL] & 0x0F;
		if (msf) {
			e->cdte_addr.msf.minute = x[MMC_TOC_D_ADDRESS + 1];
			e->cdte_addr.msf.second = x[MMC_TOC_D_ADDRESS + 2];
			e->cdte_addr.msf.frame = x[MMC_TOC_D_ADDRESS + 3];
		} else {
			e->cdte_addr.lba = (int)bfs_get_be32(x + MMC_TOC_D_ADDRESS);
		}
		e->cdte_datamode = 0;
		return done(ret, 0);
	}
	case CDROM_DISC_STATUS: { /* audio, data or mixed, from the tracks' CONTROL */
		bool audio = false, data = false;

		if (toc_cmd(d, 0, false, b, MMC_TOC_HEADER_SIZE) < 0)
			return done(ret, CDS_NO_INFO);
		for (unsigned t = b[MMC_TOC_FIRST]; t <= b[MMC_TOC_LAST]; t++) {
			if (toc_cmd(d, (uint8_t)t, false, b, sizeof(b)) < 0)
				return done(ret, CDS_NO_INFO);
			if (b[MMC_TOC_HEADER_SIZE + MMC_TOC_D_ADR_CTL] & 0x04)
				data = true;
			else
				audio = true;
		}
		return done(ret, audio && data ? CDS_MIXED : audio ? CDS_AUDIO : CDS_DATA_1);
	}
	case CDROMSUBCHNL:
		return done(ret, subchannel(d, arg));
	default:
		return cdrom_session_ioctl(d, req, arg, ret);
	}
}

/* The cdrom driver's ioctls; false when req is not one of them. */
static bool cdrom_ioctl(struct drive *d, unsigned long req, void *arg, int *ret)
{
	struct vdrive_result res;
	struct vdrive *vd;
	struct vdrive_info vi;

	switch (req) {
	case CDROM_GET_CAPABILITY:
		return done(ret, CDC_CLOSE_TRAY | CDC_OPEN_TRAY | CDC_LOCK | CDC_SELECT_SPEED |
					 CDC_MULTI_SESSION | CDC_MEDIA_CHANGED | CDC_DRIVE_STATUS |
					 CDC_GENERIC_PACKET | CDC_CD_R | CDC_CD_RW | CDC_DVD |
					 CDC_DVD_R | CDC_DVD_RAM | CDC_RAM);
	case CDROM_DRIVE_STATUS:
		vd = drive_vd(d);
		if (!vd)
			return done(ret, -1);
		vdrive_get_info(vd, &vi);
		return done(ret, vi.loaded ? CDS_DISC_OK : CDS_TRAY_OPEN);
	case CDROM_MEDIA_CHANGED:
		/* the drive's own unit attentions tell a change, through SG_IO */
		return done(ret, 0);
	case CDROMEJECT: {
		static const uint8_t eject[MMC_CDB6_SIZE] = {
			[MMC_CDB_OPCODE] = MMC_OP_START_STOP_UNIT,
			[MMC_START_STOP_CDB_FLAGS] = MMC_START_STOP_LOEJ}; /* Start 0: eject */

		if (simple_cmd(d, eject, sizeof(eject), &res) < 0)
			return done(ret, -1);
		if (res.status) {
			errno = sense_asc(&res) == 0x53 ? EBUSY : EIO;
			return done(ret, -1);
		}
		return done(ret, 0);
	}
	case CDROMCLOSETRAY: {
		static const uint8_t load[MMC_CDB6_SIZE] = {
			[MMC_CDB_OPCODE] = MMC_OP_START_STOP_UNIT,
			[MMC_START_STOP_CDB_FLAGS] = MMC_START_STOP_LOEJ | MMC_START_STOP_START};

		if (simple_cmd(d, load, sizeof(load), &res) < 0)
			return done(ret, -1);
		if (res.status) {
			errno = EIO;
			return done(ret, -1);
		}
		return done(ret, 0);
	}
	case CDROM_LOCKDOOR: {
		uint8_t pa[MMC_CDB6_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_PREVENT_ALLOW,
					     [MMC_PREVENT_CDB_FLAGS] =
						     (uintptr_t)arg ? MMC_PREVENT_PREVENT : 0};

		if (simple_cmd(d, pa, sizeof(pa), &res) < 0)
			return done(ret, -1);
		if (res.status) {
			errno = EIO;
			return done(ret, -1);
		}
		return done(ret, 0);
	}
	case CDROM_SEND_PACKET:
		return done(ret, send_packet(d, arg));
	default:
		return cdrom_toc_ioctl(d, req, arg, ret);
	}
}

/* The block layer's ioctls; false when req is not one of them. */
static bool blk_ioctl(struct drive *d, unsigned long req, void *arg, int *ret)
{
	struct vdrive *vd;
	struct vdrive_info vi;

	switch (req) {
	case BLKFLSBUF:
		return done(ret, 0);
	case BLKSSZGET:
		*(int *)arg = SECTOR;
		return done(ret, 0);
	case BLKGETSIZE64:
	case BLKGETSIZE:
		vd = drive_vd(d);
		if (!vd)
			return done(ret, -1);
		vdrive_get_info(vd, &vi);
		if (req == BLKGETSIZE64)
			*(uint64_t *)arg = vi.used_end * SECTOR;
		else
			*(unsigned long *)arg = (unsigned long)(vi.used_end * (SECTOR / 512));
		return done(ret, 0);
	default:
		return false;
	}
}

static int fake_ioctl(struct drive *d, unsigned long req, void *arg)
{
	int r;

	if (sg_ioctl(d, req, arg, &r) || cdrom_ioctl(d, req, arg, &r) || blk_ioctl(d, req, arg, &r))
		return r;
	/* HDIO_GET_IDENTITY_ among them: not an ATA drive */
	trace("%s: ioctl 0x%lx not emulated", d->path, req);
	errno = ENOTTY;
	return -1;
}

int ioctl(int fd, unsigned long req, ...)
{
	struct drive *d;
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	pthread_mutex_lock(&lock);
	init_locked();
	d = drive_by_fd(fd);
	if (!d) {
		pthread_mutex_unlock(&lock);
		return get_ioctl()(fd, req, arg);
	}
	r = fake_ioctl(d, req, arg);
	pthread_mutex_unlock(&lock);
	return r;
}

/* ---- the block device's data: READ(10) of 2048-byte sectors ---------------------------- */

/*
 * The medium's bytes straight from the drive's image file, for a process that inherited a
 * descriptor from the one holding the drive (mkisofs -M /dev/fd/N under growisofs -M): the
 * kernel would serve that read from the same disc while the burner holds the drive. Only
 * what has been recorded is read; reads past the image's end end the device.
 */
static ssize_t image_pread(struct drive *d, void *buf, size_t count, int64_t off)
{
	char path[4096];
	int fd;
	ssize_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/disc.img", d->dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = get_open()(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = get_pread()(fd, buf, count, off);
	get_close()(fd);
	return n;
}

static ssize_t fake_pread(struct drive *d, void *buf, size_t count, int64_t off)
{
	struct vdrive *vd = drive_vd(d);
	uint8_t *out = buf;
	size_t done = 0;
	uint8_t *sec;

	if (!vd && errno == EBUSY && !d->sg && off >= 0) {
		trace("%s: drive busy in another process; reading its medium's image", d->path);
		return image_pread(d, buf, count, off);
	}
	if (!vd)
		return -1;
	if (d->sg) {
		errno = EAGAIN; /* an sg node has no sg v2 reply waiting */
		return -1;
	}
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	sec = malloc(SECTOR);
	if (!sec) {
		errno = ENOMEM;
		return -1;
	}
	while (done < count) {
		uint64_t pos = (uint64_t)off + done;
		uint32_t lba = (uint32_t)(pos / SECTOR);
		size_t in = pos % SECTOR, n = SECTOR - in;
		uint8_t cdb[MMC_CDB10_SIZE] = {MMC_OP_READ10}; /* one sector */
		struct vdrive_result res;

		bfs_put_be32(cdb + MMC_CDB_LBA, lba);
		bfs_put_be16(cdb + MMC_CDB10_LENGTH, 1);

		if (n > count - done)
			n = count - done;
		vdrive_exec(vd, cdb, sizeof(cdb), VDRIVE_DIR_IN, sec, SECTOR, &res);
		if (res.status && sense_key(&res) == 0x06)
			vdrive_exec(vd, cdb, sizeof(cdb), VDRIVE_DIR_IN, sec, SECTOR, &res);
		if (res.status) {
			/* past the recorded area: end of the device, as the block layer sees it */
			bool end = sense_asc(&res) == 0x21 || sense_asc(&res) == 0x64;

			free(sec);
			if (done || end)
				return (ssize_t)done;
			errno = EIO;
			return -1;
		}
		memcpy(out + done, sec + in, n);
		done += n;
	}
	free(sec);
	return (ssize_t)done;
}

static ssize_t fake_read(int fd, struct drive *d, void *buf, size_t count)
{
	off_t pos = lseek(fd, 0, SEEK_CUR);
	ssize_t n;

	if (pos < 0)
		return -1;
	n = fake_pread(d, buf, count, pos);
	if (n > 0)
		(void)lseek(fd, pos + n, SEEK_SET);
	return n;
}

ssize_t read(int fd, void *buf, size_t count)
{
	struct drive *d = ndrives ? fd_drive(fd) : NULL;
	ssize_t r;

	if (!d)
		return get_read()(fd, buf, count);
	pthread_mutex_lock(&lock);
	r = fake_read(fd, d, buf, count);
	pthread_mutex_unlock(&lock);
	return r;
}

ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	struct drive *d = ndrives ? fd_drive(fd) : NULL;
	ssize_t r;

	if (!d)
		return get___read_chk()(fd, buf, count, buflen);
	if (count > buflen)
		abort(); /* what the fortified read does */
	pthread_mutex_lock(&lock);
	r = fake_read(fd, d, buf, count);
	pthread_mutex_unlock(&lock);
	return r;
}

ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	struct drive *d = ndrives ? fd_drive(fd) : NULL;
	ssize_t r;

	if (!d)
		return get_pread()(fd, buf, count, off);
	pthread_mutex_lock(&lock);
	r = fake_pread(d, buf, count, off);
	pthread_mutex_unlock(&lock);
	return r;
}

ssize_t pread64(int fd, void *buf, size_t count, off64_t off)
{
	struct drive *d = ndrives ? fd_drive(fd) : NULL;
	ssize_t r;

	if (!d)
		return get_pread64()(fd, buf, count, off);
	pthread_mutex_lock(&lock);
	r = fake_pread(d, buf, count, off);
	pthread_mutex_unlock(&lock);
	return r;
}

ssize_t __pread64_chk(int fd, void *buf, size_t count, off64_t off, size_t buflen)
{
	struct drive *d = ndrives ? fd_drive(fd) : NULL;
	ssize_t r;

	if (!d)
		return get___pread64_chk()(fd, buf, count, off, buflen);
	if (count > buflen)
		abort();
	pthread_mutex_lock(&lock);
	r = fake_pread(d, buf, count, off);
	pthread_mutex_unlock(&lock);
	return r;
}

/*
 * Block-layer writes (growisofs writes DVD-RAM with pwrite64): WRITE(10) of whole 2048-byte
 * sectors, as the sr driver sends them; a write that is not sector-aligned gets EINVAL.
 */
static ssize_t fake_pwrite(struct drive *d, const void *buf, size_t count, int64_t off)
{
	struct vdrive *vd = drive_vd(d);
	size_t done = 0;

	if (!vd)
		return -1;
	if (d->sg || off < 0 || off % SECTOR || count % SECTOR) {
		errno = EINVAL;
		return -1;
	}
	while (done < count) {
		uint32_t lba = (uint32_t)(((uint64_t)off + done) / SECTOR);
		uint16_t n =
			(uint16_t)((count - done) / SECTOR > 32 ? 32 : (count - done) / SECTOR);
		uint8_t cdb[MMC_CDB10_SIZE] = {MMC_OP_WRITE10};
		struct vdrive_result res;

		bfs_put_be32(cdb + MMC_CDB_LBA, lba);
		bfs_put_be16(cdb + MMC_CDB10_LENGTH, n);

		/* vdrive_exec takes a writable buffer for either direction; it does not write
		 * into an OUT buffer */
		vdrive_exec(vd, cdb, sizeof(cdb), VDRIVE_DIR_OUT, (uint8_t *)(uintptr_t)buf + done,
			    (size_t)n * SECTOR, &res);
		if (res.status && sense_key(&res) == 0x06)
			vdrive_exec(vd, cdb, sizeof(cdb), VDRIVE_DIR_OUT,
				    (uint8_t *)(uintptr_t)buf + done, (size_t)n * SECTOR, &res);
		if (res.status) {
			trace("%s: WRITE(10) at %u: sense %02x/%02x/%02x", d->path, lba,
			      sense_key(&res), sense_asc(&res), res.sense[MMC_SENSE_ASCQ]);
			if (done)
				return (ssize_t)done;
			errno = sense_asc(&res) == 0x27	  ? EROFS
				: sense_asc(&res) == 0x63 ? ENOSPC
							  : EIO;
			return -1;
		}
		done += (size_t)n * SECTOR;
	}
	return (ssize_t)done;
}

static ssize_t fake_write(int fd, struct drive *d, const void *buf, size_t count)
{
	off_t pos = lseek(fd, 0, SEEK_CUR);
	ssize_t n;

	if (pos < 0)
		return -1;
	n = fake_pwrite(d, buf, count, pos);
	if (n > 0)
		(void)lseek(fd, pos + n, SEEK_SET);
	return n;
}

ssize_t write(int fd, const void *buf, size_t count)
{
	struct drive *d = ndrives && fd > 2 ? fd_drive(fd) : NULL;
	ssize_t r;

	if (!d)
		return get_write()(fd, buf, count);
	pthread_mutex_lock(&lock);
	r = fake_write(fd, d, buf, count);
	pthread_mutex_unlock(&lock);
	return r;
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	struct drive *d = ndrives ? fd_drive(fd) : NULL;
	ssize_t r;

	if (!d)
		return get_pwrite()(fd, buf, count, off);
	pthread_mutex_lock(&lock);
	r = fake_pwrite(d, buf, count, off);
	pthread_mutex_unlock(&lock);
	return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t off)
{
	struct drive *d = ndrives ? fd_drive(fd) : NULL;
	ssize_t r;

	if (!d)
		return get_pwrite64()(fd, buf, count, off);
	pthread_mutex_lock(&lock);
	r = fake_pwrite(d, buf, count, off);
	pthread_mutex_unlock(&lock);
	return r;
}

#pragma GCC visibility pop
