/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The virtual drive. See vdrive/vdrive.h. Replies follow MMC-6 (T10/1836-D rev 2g): the
 * clause of each is next to its builder.
 */
#include "vdrive/vdrive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/diag.h"
#include "common/extent.h"
#include "common/io.h"
#include "common/macro.h"
#include "mmc/layout.h"
#include "vdrive-internal.h"

/*
 * The largest capacity each medium's addressing can express (a drive made with
 * --capacity may be larger than the real disc, never larger than this):
 *	CD   449,849 blocks: the lead-out's start in MSF form (READ TOC, Full TOC's A2h and
 *	     B0h) must stay within 99:59:74, and LBA 0 is 00:02:00
 *	DVD  16,580,608 blocks: physical sector numbers are 24-bit and the data area starts
 *	     at 30000h (READ DISC STRUCTURE format 00h's end sector)
 *	BD   4,294,967,295 blocks: MMC's 32-bit LBA and block-count fields (READ CAPACITY,
 *	     READ TRACK INFORMATION's free blocks and track size)
 */
#define CD_MAX_CAPACITY	 (99u * 60u * 75u + 59u * 75u + 74u - 150u)
#define DVD_MAX_CAPACITY (0xFFFFFFu - 0x30000u + 1u)
#define BD_MAX_CAPACITY	 0xFFFFFFFFu

const struct media vd_media_table[] = {
	{"cd-r", MMC_PROFILE_CD_R, 359847, MC_CD, false, false, 176, 48, CD_MAX_CAPACITY},
	{"cd-rw", MMC_PROFILE_CD_RW, 359847, MC_CD, false, true, 176, 24, CD_MAX_CAPACITY},
	{"dvd-r", MMC_PROFILE_DVD_R, 2298496, MC_DVD, false, false, 1385, 16, DVD_MAX_CAPACITY},
	{"dvd-rw", MMC_PROFILE_DVD_RW, 2298496, MC_DVD, false, true, 1385, 6, DVD_MAX_CAPACITY},
	{"dvd+r", MMC_PROFILE_DVD_PLUS_R, 2295104, MC_DVD, false, false, 1385, 16,
	 DVD_MAX_CAPACITY},
	{"dvd+r-dl", MMC_PROFILE_DVD_PLUS_R_DL, 4173824, MC_DVD, false, false, 1385, 8,
	 DVD_MAX_CAPACITY},
	{"dvd+rw", MMC_PROFILE_DVD_PLUS_RW, 2295104, MC_DVD, true, false, 1385, 8,
	 DVD_MAX_CAPACITY},
	{"dvd-ram", MMC_PROFILE_DVD_RAM, 2236704, MC_DVD, true, false, 1385, 5, DVD_MAX_CAPACITY},
	{"bd-r", MMC_PROFILE_BD_R, 12219392, MC_BD, false, false, 4496, 12, BD_MAX_CAPACITY},
	{"bd-re", MMC_PROFILE_BD_RE, 11826176, MC_BD, true, false, 4496, 6, BD_MAX_CAPACITY},
};
const size_t vd_media_count = BFS_ARRAY_SIZE(vd_media_table);

const char *const vdrive_media_names[] = {
	"cd-r",	  "cd-rw",   "dvd-r", "dvd-rw", "dvd+r", "dvd+r-dl",
	"dvd+rw", "dvd-ram", "bd-r",  "bd-re",	NULL,
};

static uint64_t now_ns(void);
static void buffer_drain(struct vdrive *vd, uint64_t t);

/* ---- faults --------------------------------------------------------------------------- */

static bool fault_fired(const struct vdrive *vd, char kind, uint64_t lba)
{
	for (unsigned i = 0; i < vd->nfired; i++)
		if (vd->fired[i].kind == kind && vd->fired[i].lba == lba)
			return true;
	return false;
}

/* A one-shot fault fired: remember it (the oldest is forgotten when the list is full). */
static void fault_fire(struct vdrive *vd, char kind, uint64_t lba)
{
	if (vd->nfired == BFS_ARRAY_SIZE(vd->fired)) {
		memmove(vd->fired, vd->fired + 1, sizeof(vd->fired) - sizeof(vd->fired[0]));
		vd->nfired--;
	}
	vd->fired[vd->nfired].kind = kind;
	vd->fired[vd->nfired++].lba = lba;
}

/*
 * No faults. What the drive is doing stays as it is: the data in the write buffer drains
 * (buffer_drain accounts for it before the speed changes), an operation a stuck fault
 * started ends only if the fault is gone (faults_reload decides).
 */
static void faults_reset(struct vdrive *vd)
{
	vd->write_error_lba = vd->corrupt_lba = vd->remove_lba = UINT64_MAX;
	vd->opc_fail = false;
	vd->slow_factor = 0;
	vd->stuck_op = -1;
}

/* One fault spec; false when it is none of the forms vdrive.h lists. */
static bool fault_parse(const char *spec, struct vdrive *vd)
{
	unsigned long long a;
	unsigned u;
	char rest;

	if (sscanf(spec, "write-error@%llu%c", &a, &rest) == 1) {
		if (!fault_fired(vd, 'w', a))
			vd->write_error_lba = a;
	} else if (sscanf(spec, "corrupt-read@%llu%c", &a, &rest) == 1) {
		vd->corrupt_lba = a;
	} else if (sscanf(spec, "remove@%llu%c", &a, &rest) == 1) {
		if (!fault_fired(vd, 'r', a))
			vd->remove_lba = a;
	} else if (strcmp(spec, "opc-fail") == 0) {
		vd->opc_fail = true;
	} else if (sscanf(spec, "stuck:%x%c", &u, &rest) == 1 && u <= 0xFF &&
		   strspn(spec + 6, "0123456789abcdefABCDEFx") == strlen(spec + 6)) {
		vd->stuck_op = (int)u;
	} else if (sscanf(spec, "slow:%u%c", &u, &rest) == 1 && u >= 1 && u <= 64) {
		vd->slow_factor = u;
	} else {
		return false;
	}
	return true;
}

/*
 * The faults file changed (another inode: `burnfs vdrive fault` replaces it whole; or
 * another mtime) or is gone: take the new set. Changing faults under a running burn only
 * changes what they govern from now on: the write buffer keeps what it holds, drained at
 * the old speed until now and at the new one after (unthrottled: at once), one-shot faults
 * that fired do not fire again, and a stuck operation ends when its fault is removed.
 */
static void faults_reload(struct vdrive *vd)
{
	_cleanup_free_ char *p = vd_path(vd->dir, "faults");
	int old_stuck = vd->stuck_op;
	struct stat st;
	char line[128];
	FILE *f;

	if (!p)
		return;
	if (stat(p, &st) < 0) {
		st.st_mtim = (struct timespec){0};
		st.st_ino = 0;
	}
	if (st.st_ino == vd->faults_ino && st.st_mtim.tv_sec == vd->faults_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == vd->faults_mtime.tv_nsec)
		return;
	buffer_drain(vd, now_ns()); /* at the old speed up to now */
	vd->faults_mtime = st.st_mtim;
	vd->faults_ino = st.st_ino;
	faults_reset(vd);
	if (!st.st_ino)
		vd->nfired = 0; /* `fault clear`: a fault set again fires again */
	f = st.st_ino ? fopen(p, "re") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		(void)fault_parse(line, vd);
	}
	if (f)
		fclose(f);
	if (old_stuck >= 0 && vd->stuck_op != old_stuck && vd->op_end_ns == UINT64_MAX)
		vd->op_end_ns = 0; /* a cleared stuck fault lets the drive finish */
}

/* dir/faults with line appended (or none, "clear"), replaced whole: readers never see half. */
static int faults_write(const char *dir, const char *line)
{
	_cleanup_free_ char *p = vd_path(dir, "faults"), *tmp = vd_path(dir, "faults.tmp");
	char old[4096];
	size_t n = 0;
	FILE *f;
	int r = 0;

	if (!p || !tmp)
		return -ENOMEM;
	if (!line)
		return unlink(p) < 0 && errno != ENOENT ? -errno : 0;
	f = fopen(p, "re");
	if (f) {
		n = fread(old, 1, sizeof(old), f);
		fclose(f);
		if (n == sizeof(old))
			return -EFBIG;
	}
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	f = fopen(tmp, "wxe");
	if (!f)
		return -errno;
	if (fwrite(old, 1, n, f) != n || fprintf(f, "%s\n", line) < 0)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, p) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int vdrive_fault(const char *dir, const char *spec)
{
	_cleanup_free_ char *st = vd_path(dir, "state");
	struct vdrive probe = {.stuck_op = -1};

	if (!st)
		return -ENOMEM;
	if (access(st, F_OK) < 0)
		return -ENOENT;
	if (strcmp(spec, "clear") == 0)
		return faults_write(dir, NULL);
	if (!fault_parse(spec, &probe))
		return -EINVAL;
	return faults_write(dir, spec);
}

/* ---- open, close -------------------------------------------------------------------------- */

/* The state and the disc image, checked against each other (vd->dir set, locked). */
/*
 * The audio image of a disc with audio tracks: there, a regular file, holding every block
 * the last audio track recorded (its pregaps may be holes: silence). Kept open.
 */
static int open_audio(struct vdrive *vd, struct bfs_diag *diag)
{
	_cleanup_free_ char *p = vd_path(vd->dir, "audio.img");
	uint64_t end = 0;
	struct stat st;

	for (unsigned i = 0; i < vd->ntracks; i++)
		if (vd->tracks[i].audio)
			end = vd->tracks[i].start + vd->tracks[i].size + AUDIO_PREGAP;
	if (!end)
		return 0;
	if (!p)
		return -ENOMEM;
	vd->audio_fd = open(p, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (vd->audio_fd < 0 && errno != ENOENT && errno != EISDIR && errno != ELOOP)
		return bfs_diag_set(diag, -errno, "'%s': %s", p, strerror(errno));
	if (vd->audio_fd < 0)
		return BFS_CORRUPT(diag, "its audio image '%s' is missing", p);
	if (fstat(vd->audio_fd, &st) < 0)
		return bfs_diag_set(diag, -errno, "'%s': %s", p, strerror(errno));
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < end * AUDIO_BLOCK)
		return BFS_CORRUPT(diag,
				   "its audio image '%s' holds %llu sectors, but the audio tracks "
				   "reach %llu (the image was cut short)",
				   p, (unsigned long long)((uint64_t)st.st_size / AUDIO_BLOCK),
				   (unsigned long long)end);
	return 0;
}

static int open_disc(struct vdrive *vd, struct bfs_diag *diag)
{
	_cleanup_free_ char *img = vd_path(vd->dir, "disc.img");
	struct stat st;
	int r;

	if (!img)
		return -ENOMEM;
	vd->img_fd = open(img, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (vd->img_fd < 0 && (errno == EISDIR || errno == ELOOP))
		return BFS_CORRUPT(diag, "its disc image '%s' is not a regular file", img);
	if (vd->img_fd < 0 && errno != ENOENT)
		return bfs_diag_set(diag, -errno, "'%s': %s", img, strerror(errno));
	/* the state first: it says what is wrong with the rest */
	r = vd_state_load(vd, diag);
	if (r < 0)
		return r;
	if (vd->img_fd < 0)
		return BFS_CORRUPT(diag, "its disc image '%s' is missing", img);
	if (fstat(vd->img_fd, &st) < 0)
		return bfs_diag_set(diag, -errno, "'%s': %s", img, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return BFS_CORRUPT(diag, "its disc image '%s' is not a regular file", img);
	if ((uint64_t)st.st_size / BLOCK < vd->used_end)
		return BFS_CORRUPT(diag,
				   "its disc image '%s' holds %llu blocks, but %llu are recorded "
				   "(the image was cut short)",
				   img, (unsigned long long)((uint64_t)st.st_size / BLOCK),
				   (unsigned long long)vd->used_end);
	return open_audio(vd, diag);
}

/* A damaged drive's message: what is wrong, then what the user can do. */
static int damaged(const char *dir, const struct vdrive *vd, struct bfs_diag *diag)
{
	char what[BFS_DIAG_MSG_MAX];

	snprintf(what, sizeof(what), "%s", bfs_diag_msg(diag, -EUCLEAN));
	bfs_diag_clear(diag);
	return BFS_CORRUPT(diag,
			   "the virtual drive '%s' is damaged: %s; nothing was changed\n"
			   "remedy: restore its state and disc.img together from a backup, or "
			   "shelve this disc and load a blank one: `burnfs vdrive load '%s' "
			   "--blank%s%s` (the disc is kept in '%s/shelf/'), or create a new drive "
			   "in another directory with `burnfs vdrive create`",
			   dir, what, dir, vd->m ? " --media " : "", vd->m ? vd->m->name : "", dir);
}

int vdrive_open_diag(const char *dir, struct vdrive **ret, struct bfs_diag *reterr_diag)
{
	_cleanup_free_ char *st = vd_path(dir, "state");
	struct vdrive *vd;
	int r;

	if (!st)
		return -ENOMEM;
	if (access(st, F_OK) < 0)
		return errno == ENOENT ? bfs_diag_set(reterr_diag, -ENOENT,
						      "'%s': no virtual drive there", dir)
				       : bfs_diag_set(reterr_diag, -errno, "'%s': %s", dir,
						      strerror(errno));
	vd = calloc(1, sizeof(*vd));
	if (!vd)
		return -ENOMEM;
	vd->img_fd = -1, vd->audio_fd = -1;
	vd->dir = strdup(dir);
	vd->lock_fd = vd->dir ? vd_lock(dir) : -ENOMEM;
	if (vd->lock_fd < 0) {
		r = vd->lock_fd;
		vdrive_close(vd);
		return r == -EBUSY ? bfs_diag_set(reterr_diag, r, "'%s': the drive is in use", dir)
				   : bfs_diag_set(reterr_diag, r, "'%s': %s", dir, strerror(-r));
	}
	r = open_disc(vd, reterr_diag);
	if (r < 0) {
		if (r == -EUCLEAN)
			r = damaged(dir, vd, reterr_diag);
		if (vd->img_fd >= 0)
			close(vd->img_fd);
		vd->img_fd = -1; /* nothing to save */
		if (vd->audio_fd >= 0)
			close(vd->audio_fd);
		vd->audio_fd = -1;
		vdrive_close(vd);
		return r;
	}
	vd->ua_pending = 0x29;			/* power on, reset */
	vd->buf_size = vd->buf_free = 4u << 20; /* a 4 MiB write buffer, empty */
	/* page 05h is volatile: a drive powers on with its defaults, TAO and Multi-session
	 * 00b (closing a CD or DVD-R session then finalizes the disc) */
	vd->write_type = MMC_WP_TYPE_TAO;
	vd->block_type = MMC_WP_BLOCK_MODE1, vd->track_mode = MMC_WP_TRACK_DATA;
	vd->multisession = false;
	vd->media_event = vd->loaded ? MMC_GESN_EV_NEW_MEDIA : 0; /* GESN: after power on */
	vd->stuck_op = -1;
	faults_reset(vd);
	/* BURNFS_VDRIVE_COMMIT_BLOCKS: a smaller interval, for the crash tests */
	{
		const char *e = getenv("BURNFS_VDRIVE_COMMIT_BLOCKS");

		vd->commit_blocks = e && atoi(e) > 0 ? (uint64_t)atoi(e) : 4096;
		e = getenv("BURNFS_VDRIVE_LONGOP_MS");
		vd->longop_ms = e && atoi(e) >= 0 && *e ? (uint64_t)atoi(e) : 200;
	}
	faults_reload(vd);
	*ret = vd;
	return 0;
}

int vdrive_open(const char *dir, struct vdrive **ret)
{
	return vdrive_open_diag(dir, ret, NULL);
}

int vdrive_open_wait(const char *dir, unsigned wait_ms, struct vdrive **ret,
		     struct bfs_diag *reterr_diag)
{
	for (unsigned waited = 0;; waited += 50) {
		struct bfs_diag d = {0};
		int r = vdrive_open_diag(dir, ret, &d);

		if (r != -EBUSY || waited >= wait_ms) {
			if (r < 0)
				bfs_diag_set(reterr_diag, r, "%s", bfs_diag_msg(&d, r));
			return r;
		}
		nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	}
}

struct vdrive *vdrive_close(struct vdrive *vd)
{
	if (!vd)
		return NULL;
	/* what was written since the last commit: the disc keeps it (a killed process loses
	 * at most commit_blocks of it, and the state stays consistent either way) */
	if (vd->img_fd >= 0 && vd->state_dirty)
		(void)vd_state_save(vd, true);
	if (vd->img_fd >= 0)
		close(vd->img_fd);
	if (vd->audio_fd >= 0)
		close(vd->audio_fd);
	if (vd->lock_fd >= 0)
		close(vd->lock_fd); /* releases the flock */
	vd_audio_reset(vd);
	free(vd->dir);
	free(vd);
	return NULL;
}

/* ---- state helpers -------------------------------------------------------------------------- */

unsigned vd_nsessions(const struct vdrive *vd)
{
	return vd->ntracks ? vd->tracks[vd->ntracks - 1].session : 0;
}

uint64_t vd_nwa(const struct vdrive *vd)
{
	const struct vdrive_track *t;

	if (vd->m->overwrite || vd->status == DS_COMPLETE)
		return UINT64_MAX;
	if (vd->ntracks == 0)
		return 0;
	t = &vd->tracks[vd->ntracks - 1];
	if (t->open)
		return t->start + t->size;
	/* a new track: in the same session if it is still open, else after a session gap; a
	 * TAO audio track after the 2-second pregap the drive lays down before it (mmc.md 2.2:
	 * the NWA already points past it; on a new session the gap holds it) */
	if (vd->status == DS_APPENDABLE && vd->m->cls == MC_CD)
		return t->start + t->size + CD_SESSION_GAP;
	return t->start + t->size + (vd_write_block_size(vd, 0) == AUDIO_BLOCK ? AUDIO_PREGAP : 0);
}

void vdrive_get_info(const struct vdrive *vd, struct vdrive_info *ret)
{
	static const char *names[] = {"blank", "incomplete", "appendable", "complete"};
	uint64_t n = vd_nwa(vd);

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->media, sizeof(ret->media), "%s", vd->m->name);
	ret->profile = vd->m->profile;
	ret->capacity = vd->capacity;
	ret->loaded = vd->loaded;
	ret->status =
		vd->m->overwrite ? (vd->unformatted ? "unformatted" : "random") : names[vd->status];
	ret->nsessions = vd_nsessions(vd);
	ret->ntracks = vd->ntracks;
	memcpy(ret->tracks, vd->tracks, sizeof(ret->tracks));
	ret->nwa = n == UINT64_MAX ? 0 : n;
	ret->used_end = vd->used_end;
	memcpy(ret->mcn, vd->mcn, sizeof(ret->mcn));
	ret->cdtext_packs = (unsigned)vd->cdtext_packs;
}

int vdrive_set_loaded(struct vdrive *vd, bool loaded)
{
	if (!loaded && vd->prevent)
		return -EBUSY;
	vd->loaded = loaded;
	vd->media_event = loaded ? MMC_GESN_EV_NEW_MEDIA : MMC_GESN_EV_REMOVAL;
	vd->cache_lo = vd->cache_hi = 0; /* a tray cycle empties the cache */
	if (loaded)
		vd->ua_pending = 0x28; /* not ready to ready change, medium may have changed */
	return vd_state_save(vd, true);
}

int vdrive_import(struct vdrive *vd, int img_fd, const uint64_t *starts, size_t n, bool close_disc,
		  const char **ret_why)
{
	struct stat st;
	uint64_t blocks;
	uint8_t *buf;
	int r = 0;

	if (fstat(img_fd, &st) < 0)
		return -errno;
	*ret_why = "the image is not a regular file of whole 2048-byte blocks";
	if (!S_ISREG(st.st_mode) || st.st_size % BLOCK || st.st_size == 0)
		return -EINVAL;
	blocks = (uint64_t)st.st_size / BLOCK;
	*ret_why = "the image is larger than the disc";
	if (blocks > vd->capacity)
		return -ENOSPC;
	*ret_why = "the disc is not blank";
	if (vd->m->overwrite ? vd->written || vd->used_end : vd->status != DS_BLANK)
		return -ENOTEMPTY;
	*ret_why = "session starts must begin with 0, rise, and lie inside the image";
	if (!vd->m->overwrite && (n == 0 || starts[0] != 0))
		return -EINVAL;
	for (size_t i = 1; i < n; i++)
		if (starts[i] <= starts[i - 1] || starts[i] >= blocks)
			return -EINVAL;
	*ret_why = "too many sessions";
	if (n > VDRIVE_TRACKS_MAX)
		return -EINVAL;
	*ret_why = NULL;
	buf = malloc(1u << 20);
	if (!buf)
		return -ENOMEM;
	/* copy the data, leaving zero runs as holes of the sparse disc image */
	for (uint64_t off = 0; off < (uint64_t)st.st_size && r == 0;) {
		ssize_t g = pread(img_fd, buf, 1u << 20, (off_t)off);
		bool zero = true;

		if (g < 0 && errno == EINTR)
			continue;
		if (g <= 0) {
			r = g < 0 ? -errno : -EIO;
			break;
		}
		for (ssize_t i = 0; i < g && zero; i++)
			zero = buf[i] == 0;
		if (!zero) {
			ssize_t w = pwrite(vd->img_fd, buf, (size_t)g, (off_t)off);

			if (w != g)
				r = w < 0 ? -errno : -EIO;
		}
		off += (uint64_t)g;
	}
	free(buf);
	/* the image file holds every recorded block, zeros at its end too (a hole) */
	if (r == 0) {
		struct stat is;

		if (fstat(vd->img_fd, &is) < 0 ||
		    (is.st_size < st.st_size && ftruncate(vd->img_fd, st.st_size) < 0))
			r = -errno;
	}
	if (r < 0)
		return r;
	vd->used_end = blocks;
	if (vd->m->overwrite) {
		vd->written = true, vd->unformatted = false;
		return vd_state_save(vd, true);
	}
	vd->ntracks = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t end = i + 1 < n ? starts[i + 1] : blocks;

		/* a CD session ends a lead-out and lead-in before the next one starts */
		if (i + 1 < n && vd->m->cls == MC_CD && end - starts[i] > CD_SESSION_GAP)
			end -= CD_SESSION_GAP;
		vd->tracks[vd->ntracks++] = (struct vdrive_track){
			.start = starts[i], .size = end - starts[i], .session = (unsigned)i + 1};
	}
	vd->status = close_disc || vd_nwa(vd) >= vd->capacity ? DS_COMPLETE : DS_APPENDABLE;
	vd->cache_lo = vd->cache_hi = 0;
	return vd_state_save(vd, true);
}

int vdrive_read_blocks(struct vdrive *vd, uint64_t lba, uint32_t n, uint8_t *buf)
{
	size_t len = (size_t)n * BLOCK;
	ssize_t got;

	if (lba > vd->capacity || n > vd->capacity - lba)
		return -ENXIO;
	got = bfs_pread_full(vd->img_fd, buf, len, (off_t)(lba * BLOCK));
	if (got < 0)
		return (int)got;
	memset(buf + got, 0, len - (size_t)got); /* past the image file's end: never written */
	return 0;
}

/* ---- commands ------------------------------------------------------------------------------- */

void vd_check(struct vdrive_result *res, struct vdrive *vd, uint8_t key, uint8_t asc, uint8_t ascq)
{
	res->status = MMC_STATUS_CHECK_CONDITION;
	memset(res->sense, 0, sizeof(res->sense));
	res->sense[MMC_SENSE_RESPONSE] = MMC_SENSE_CURRENT;
	res->sense[MMC_SENSE_KEY] = key;
	res->sense[MMC_SENSE_ADD_LEN] = MMC_SENSE_FIXED_ADD_LEN;
	res->sense[MMC_SENSE_ASC] = asc;
	res->sense[MMC_SENSE_ASCQ] = ascq;
	res->sense_len = MMC_SENSE_FIXED_SIZE;
	vd->sense_key = key, vd->asc = asc, vd->ascq = ascq;
}

/* The sense's INFORMATION field (SPC-4 4.5.3), VALID: the block a READ or WRITE failed at. */
static void vd_sense_info(struct vdrive_result *res, uint64_t lba)
{
	res->sense[MMC_SENSE_RESPONSE] |= MMC_SENSE_VALID;
	bfs_put_be32(res->sense + MMC_SENSE_INFO, (uint32_t)lba);
}

void vd_reply(struct vdrive_result *res, void *buf, size_t len, size_t alloc, const uint8_t *data,
	      size_t n)
{
	size_t k = BFS_MIN(BFS_MIN(len, alloc), n);

	if (k)
		memcpy(buf, data, k);
	res->resid = len - k;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * NOT READY 04/op_ascq with the progress indication of SPC-4 4.5.2.4.5 (sense key specific
 * bytes 15-17: SKSV, then the fraction done in 1/65536).
 */
static void not_ready(struct vdrive_result *res, struct vdrive *vd, uint64_t t)
{
	uint64_t span = vd->op_end_ns - vd->op_start_ns;
	uint16_t progress = 0;

	if (vd->op_end_ns != UINT64_MAX && span)
		progress = (uint16_t)BFS_MIN((t - vd->op_start_ns) * 65536 / span, (uint64_t)65535);
	vd_check(res, vd, 0x02, 0x04, vd->op_ascq);
	res->sense[MMC_SENSE_SKS] = MMC_SENSE_SKSV;
	bfs_put_be16(res->sense + MMC_SENSE_PROGRESS, progress);
}

/*
 * A long operation of ns nanoseconds: with Immed the command returns at once and the
 * drive answers NOT READY 04/ascq until it is done, as MMC-6 4.1.3 describes for CLOSE,
 * FORMAT, BLANK and SYNCHRONIZE CACHE; without Immed the command takes that long.
 */
static void long_op(struct vdrive *vd, uint8_t ascq, bool immed, uint64_t ns)
{
	if (!immed) {
		sleep_ns(ns);
		return;
	}
	vd->op_start_ns = now_ns();
	vd->op_end_ns = vd->op_start_ns + ns;
	vd->op_ascq = ascq;
}

/* The write buffer under slow:FACTOR drains at FACTOR x the medium's 1x speed. */
static uint64_t drain_rate(const struct vdrive *vd)
{
	return (uint64_t)vd->slow_factor * vd->m->x1_kBps * 1000u; /* bytes per second */
}

static void buffer_drain(struct vdrive *vd, uint64_t t)
{
	if (vd->slow_factor && vd->buf_fill) {
		uint64_t gone = (t - vd->buf_t_ns) * drain_rate(vd) / 1000000000u;

		vd->buf_fill = gone >= vd->buf_fill ? 0 : vd->buf_fill - gone;
	} else if (!vd->slow_factor) {
		vd->buf_fill = 0;
	}
	vd->buf_t_ns = t;
	vd->buf_free = (uint32_t)(vd->buf_size - BFS_MIN(vd->buf_fill, (uint64_t)vd->buf_size));
}

/* How long until the buffer is empty, for a flush. */
static uint64_t buffer_flush_ns(const struct vdrive *vd)
{
	return vd->slow_factor ? vd->buf_fill * 1000000000u / drain_rate(vd) : 0;
}

static size_t cdb_need(uint8_t op)
{
	if (op < 0x20)
		return 6;
	if (op < 0x60)
		return 10;
	if (op >= 0xA0 && op < 0xC0)
		return 12;
	if (op >= 0x80 && op < 0xA0)
		return 16;
	return 6; /* reserved (60h-7Fh) and vendor (C0h-FFh) groups: no length to check;
		   * they fall through to INVALID COMMAND OPERATION CODE */
}

/* A feature descriptor's header (MMC-6 5.2.2) at p: the descriptor's size. */
static size_t feature(uint8_t *p, uint16_t code, uint8_t flags, uint8_t add_len)
{
	bfs_put_be16(p + MMC_FEAT_CODE, code);
	p[MMC_FEAT_FLAGS] = flags;
	p[MMC_FEAT_ADD_LEN] = add_len;
	return MMC_FEAT_HEADER_SIZE + add_len;
}

/* GET CONFIGURATION (MMC-6 6.6): profile list, core and the write feature of the medium */
static size_t get_configuration(const struct vdrive *vd, uint8_t rt, uint16_t start, uint8_t *out)
{
	const uint8_t cur_pers = MMC_FEAT_PERSISTENT | MMC_FEAT_CURRENT;
	size_t o = MMC_CONF_HEADER_SIZE;
	bool cur = vd->loaded;

	bfs_put_be16(out + MMC_CONF_PROFILE, cur ? vd->m->profile : MMC_PROFILE_NONE);
	/* 0000h Profile List: every medium the drive writes, the loaded one current */
	if (rt != MMC_GETCONF_RT_ONE || start == MMC_FEATURE_PROFILE_LIST) {
		uint8_t *p = out + o + MMC_FEAT_HEADER_SIZE;

		for (size_t i = 0; i < vd_media_count; i++, p += MMC_PROFD_SIZE) {
			bfs_put_be16(p + MMC_PROFD_NUMBER, vd_media_table[i].profile);
			p[MMC_PROFD_FLAGS] =
				cur && &vd_media_table[i] == vd->m ? MMC_PROFD_CURRENT : 0;
		}
		o += feature(out + o, MMC_FEATURE_PROFILE_LIST, cur_pers,
			     (uint8_t)(MMC_PROFD_SIZE * vd_media_count));
	}
	if (rt != MMC_GETCONF_RT_ONE || start == MMC_FEATURE_CORE) {
		/* 0001h Core, version 2: ATAPI-like physical interface */
		bfs_put_be32(out + o + MMC_CORE_INTERFACE, MMC_CORE_ATAPI);
		o += feature(out + o, MMC_FEATURE_CORE, 2 << MMC_FEAT_VERSION_SHIFT | cur_pers,
			     MMC_CORE_SIZE - MMC_FEAT_HEADER_SIZE);
	}
	if (rt != MMC_GETCONF_RT_ONE || start == MMC_FEATURE_REMOVABLE) {
		/* 0003h Removable Medium: tray loader, eject, lock */
		out[o + MMC_REMOVABLE_FLAGS] = 0x29;
		o += feature(out + o, MMC_FEATURE_REMOVABLE, cur_pers,
			     MMC_REMOVABLE_SIZE - MMC_FEAT_HEADER_SIZE);
	}
	if (cur) {
		uint16_t f = vd->m->overwrite	   ? MMC_FEATURE_RANDOM_WRITE
			     : vd->m->cls == MC_BD ? MMC_FEATURE_BD_WRITE
			     : vd->m->profile == MMC_PROFILE_DVD_PLUS_R ||
					     vd->m->profile == MMC_PROFILE_DVD_PLUS_R_DL
				     ? MMC_FEATURE_DVD_PLUS_R
				     : MMC_FEATURE_INCREMENTAL;

		if (rt != MMC_GETCONF_RT_ONE || start == f)
			o += feature(out + o, f, MMC_FEAT_CURRENT, 4);
	}
	bfs_put_be32(out + MMC_CONF_LENGTH, (uint32_t)(o - 4));
	return o;
}

/*
 * On CD, READ DISC INFORMATION's Last Session Lead-in Start Address and Last Possible
 * Lead-out Start Address are MSF (0, M, S, F; MMC-6 6.22.3.1.11-12, mmc.md 2.1): the lead-in
 * of the next session (a blank disc's from its ATIP, where wodim starts writing CD-Text)
 * and the capacity; FF:FF:FF when no session can follow.
 */
static void cd_leadin_leadout(const struct vdrive *vd, uint8_t *out)
{
	uint64_t n = vd_nwa(vd);
	int64_t leadin = vd->status == DS_BLANK ? ATIP_LEADIN_LBA
			 : n != UINT64_MAX	? (int64_t)n - AUDIO_PREGAP - 4500
						: INT64_MIN;
	uint64_t f;

	if (leadin == INT64_MIN || vd->status == DS_INCOMPLETE) {
		memset(out + MMC_DI_LAST_LEADIN + 1, 0xFF, 3);
	} else {
		f = (uint64_t)(leadin < -150 ? leadin + 450150 : leadin + 150);
		out[MMC_DI_LAST_LEADIN + 1] = (uint8_t)(f / 4500);
		out[MMC_DI_LAST_LEADIN + 2] = (uint8_t)(f / 75 % 60);
		out[MMC_DI_LAST_LEADIN + 3] = (uint8_t)(f % 75);
	}
	f = vd->capacity + 150;
	out[MMC_DI_LAST_LEADOUT + 1] = (uint8_t)(f / 4500);
	out[MMC_DI_LAST_LEADOUT + 2] = (uint8_t)(f / 75 % 60);
	out[MMC_DI_LAST_LEADOUT + 3] = (uint8_t)(f % 75);
}

/* READ DISC INFORMATION (MMC-6 6.22), standard disc information, 34 bytes */
static size_t disc_info(const struct vdrive *vd, uint8_t *out)
{
	unsigned ns = vd_nsessions(vd);
	uint8_t st;

	memset(out, 0, MMC_DI_SIZE);
	bfs_put_be16(out + MMC_DI_LENGTH, MMC_DI_SIZE - 2);
	/* disc status | state of the last session << 2 */
	if (vd->m->overwrite && vd->unformatted)
		st = 0x00; /* blank until formatted */
	else if (vd->m->overwrite)
		st = 0x03 | (0x03 << MMC_DI_LAST_SESSION_SHIFT); /* random writable, complete */
	else if (vd->status == DS_BLANK)
		st = 0x00;
	else if (vd->status == DS_INCOMPLETE)
		st = 0x01 | (0x01 << MMC_DI_LAST_SESSION_SHIFT); /* incomplete session */
	else if (vd->status == DS_APPENDABLE)
		st = 0x01; /* appendable; the last session is the empty next one (00b): 11b
			    * (complete) only with disc status complete (MMC-6 6.22.3.1.3) */
	else
		st = 0x02 | (0x03 << MMC_DI_LAST_SESSION_SHIFT);
	if (vd->m->overwrite || vd->m->blankable)
		st |= MMC_DI_ERASABLE;
	out[MMC_DI_STATUS] = st;
	out[MMC_DI_FIRST_TRACK] = 1;
	/* sessions (the empty next one counts on blank), first and last track in the last */
	out[MMC_DI_SESSIONS_LSB] = (uint8_t)(ns ? ns : 1);
	out[MMC_DI_FIRST_TRACK_LS_LSB] = (uint8_t)(vd->ntracks ? vd->ntracks : 1);
	out[MMC_DI_LAST_TRACK_LS_LSB] = (uint8_t)(vd->ntracks ? vd->ntracks : 1);
	if (!vd->m->overwrite && vd->status == DS_INCOMPLETE && vd->ntracks &&
	    !vd->tracks[vd->ntracks - 1].open)
		/* the open session's invisible track, next after its closed ones (TAO audio) */
		out[MMC_DI_LAST_TRACK_LS_LSB]++;
	if (!vd->m->overwrite && vd->status == DS_APPENDABLE) {
		/* the empty next track */
		out[MMC_DI_FIRST_TRACK_LS_LSB]++, out[MMC_DI_LAST_TRACK_LS_LSB]++;
		out[MMC_DI_SESSIONS_LSB] = (uint8_t)(ns + 1);
	}
	out[MMC_DI_FLAGS] = MMC_DI_URU; /* unrestricted use */
	/* DVD+RW BG Format Status (MMC-6 6.22.3.1.8): 11b completed once formatted; 00b made
	 * libburn format again before each session, which erased the disc */
	if (vd->m->profile == MMC_PROFILE_DVD_PLUS_RW && !vd->unformatted)
		out[MMC_DI_FLAGS] |= MMC_DI_BG_FORMAT_MASK;
	if (vd->m->cls == MC_CD)
		cd_leadin_leadout(vd, out);
	else
		bfs_put_be32(out + MMC_DI_LAST_LEADOUT, (uint32_t)(vd->capacity - 1));
	return MMC_DI_SIZE;
}

/* READ TRACK INFORMATION (MMC-6 6.27), 48 bytes; tno 1-based, ntracks + 1 the empty next */
static size_t track_info(const struct vdrive *vd, unsigned tno, uint8_t *out)
{
	uint64_t n = vd_nwa(vd);

	memset(out, 0, MMC_TI_SIZE);
	bfs_put_be16(out + MMC_TI_LENGTH, MMC_TI_SIZE - 2);
	out[MMC_TI_TRACK_LSB] = (uint8_t)tno;
	out[MMC_TI_TRACK_MODE] = MMC_TI_MODE_DATA;
	if (vd->m->overwrite) {
		out[MMC_TI_SESSION_LSB] = 1;
		out[MMC_TI_DATA_MODE] = MMC_TI_DATA_MODE_1;
		out[MMC_TI_VALID] = MMC_TI_NWA_V;
		bfs_put_be32(out + MMC_TI_START, 0);
		bfs_put_be32(out + MMC_TI_NWA, 0); /* anywhere; 0 by convention */
		bfs_put_be32(out + MMC_TI_FREE, (uint32_t)vd->capacity);
		bfs_put_be32(out + MMC_TI_SIZE_FIELD, (uint32_t)vd->capacity);
		bfs_put_be32(out + MMC_TI_LRA, (uint32_t)(vd->used_end ? vd->used_end - 1 : 0));
		return MMC_TI_SIZE;
	}
	if (tno >= 1 && tno <= vd->ntracks) {
		const struct vdrive_track *t = &vd->tracks[tno - 1];

		out[MMC_TI_SESSION_LSB] = (uint8_t)t->session;
		/* RT when reserved; blank and packet while open; an audio track: its CONTROL
		 * as the Track Mode, no data mode (Fh) */
		out[MMC_TI_DATA_MODE] =
			(uint8_t)((t->audio ? 0x0F : MMC_TI_DATA_MODE_1) |
				  (t->open && !t->reserved ? MMC_TI_BLANK | MMC_TI_PACKET : 0) |
				  (t->reserved ? MMC_TI_RT : 0));
		if (t->audio)
			out[MMC_TI_TRACK_MODE] = t->ctl;
		bfs_put_be32(out + MMC_TI_START, (uint32_t)t->start);
		if (t->open) {
			out[MMC_TI_VALID] = MMC_TI_NWA_V;
			bfs_put_be32(out + MMC_TI_NWA, (uint32_t)(t->start + t->size));
			bfs_put_be32(out + MMC_TI_FREE,
				     (uint32_t)(vd->capacity - t->start - t->size));
			bfs_put_be32(out + MMC_TI_SIZE_FIELD, (uint32_t)(vd->capacity - t->start));
		} else {
			bfs_put_be32(out + MMC_TI_SIZE_FIELD, (uint32_t)t->size);
		}
		bfs_put_be32(out + MMC_TI_LRA,
			     (uint32_t)(t->size ? t->start + t->size - 1 : t->start));
		return MMC_TI_SIZE;
	}
	/* the invisible (empty next) track */
	out[MMC_TI_SESSION_LSB] =
		(uint8_t)(vd_nsessions(vd) + (vd->status == DS_INCOMPLETE ? 0 : 1));
	out[MMC_TI_DATA_MODE] = MMC_TI_BLANK | MMC_TI_DATA_MODE_1;
	if (n != UINT64_MAX && n < vd->capacity) {
		out[MMC_TI_VALID] = MMC_TI_NWA_V;
		bfs_put_be32(out + MMC_TI_START, (uint32_t)n);
		bfs_put_be32(out + MMC_TI_NWA, (uint32_t)n);
		bfs_put_be32(out + MMC_TI_FREE, (uint32_t)(vd->capacity - n));
		bfs_put_be32(out + MMC_TI_SIZE_FIELD, (uint32_t)(vd->capacity - n));
	}
	return MMC_TI_SIZE;
}

/* An address as READ TOC gives it: a 32-bit LBA, or 0/M/S/F with the 150-block offset */
static void toc_addr(uint8_t *p, uint64_t lba, bool msf)
{
	uint64_t f = lba + 150;

	if (!msf) {
		bfs_put_be32(p, (uint32_t)lba);
		return;
	}
	p[0] = 0;
	p[1] = (uint8_t)BFS_MIN(f / (60 * 75), 255u);
	p[2] = (uint8_t)(f / 75 % 60);
	p[3] = (uint8_t)(f % 75);
}

/* A Full TOC descriptor at d, zeroed but for its session, ADR/CONTROL and POINT. */
static uint8_t *full_toc_desc(uint8_t *d, unsigned session, uint8_t adr_ctl, unsigned point)
{
	memset(d, 0, MMC_FTOC_SIZE);
	d[MMC_FTOC_SESSION] = (uint8_t)session;
	d[MMC_FTOC_ADR_CTL] = adr_ctl;
	d[MMC_FTOC_POINT] = (uint8_t)point;
	return d;
}

/*
 * The Full TOC (format 2, MMC-6 6.26.3.4) of a CD: per closed session the points A0h
 * (first track, disc type 00h: CD-ROM), A1h (last track), A2h (lead-out) and one per
 * track, and B0h (the next program area, for an appendable disc) in the last session.
 * 11-byte descriptors, MSF addresses as the Q subchannel has them.
 */
static size_t full_toc(const struct vdrive *vd, uint8_t *out, size_t cap)
{
	size_t o = MMC_TOC_HEADER_SIZE;
	unsigned first_s = 0, last_s = 0;

	for (unsigned s = 1; s <= vd_nsessions(vd); s++) {
		int ft = -1, lt = -1;

		for (unsigned i = 0; i < vd->ntracks; i++)
			if (vd->tracks[i].session == s && !vd->tracks[i].open) {
				if (ft < 0)
					ft = (int)i;
				lt = (int)i;
			}
		if (ft < 0 || o + MMC_FTOC_SIZE * (3 + (size_t)(lt - ft + 1) + 1) > cap)
			continue;
		if (!first_s)
			first_s = s;
		last_s = s;
		for (unsigned point = MMC_FTOC_POINT_FIRST; point <= MMC_FTOC_POINT_LEADOUT;
		     point++, o += MMC_FTOC_SIZE) {
			uint8_t *d = full_toc_desc(
				out + o, s,
				vd_track_adr_ctl(
					vd, (unsigned)(point == MMC_FTOC_POINT_FIRST ? ft : lt)),
				point);

			/* PMIN: the first and last track (PSEC 00h: CD-ROM), or the lead-out */
			if (point == MMC_FTOC_POINT_FIRST)
				d[MMC_FTOC_PMSF] = (uint8_t)(ft + 1);
			else if (point == MMC_FTOC_POINT_LAST)
				d[MMC_FTOC_PMSF] = (uint8_t)(lt + 1);
			else
				toc_addr(d + MMC_FTOC_ZERO,
					 vd->tracks[lt].start + vd->tracks[lt].size, true);
		}
		for (int i = ft; i <= lt; i++, o += MMC_FTOC_SIZE) {
			uint8_t *d = full_toc_desc(out + o, s, vd_track_adr_ctl(vd, (unsigned)i),
						   (unsigned)i + 1);

			toc_addr(d + MMC_FTOC_ZERO, vd->tracks[i].start, true);
		}
		if (vd->status == DS_APPENDABLE && s == vd_nsessions(vd)) {
			uint64_t next = vd_nwa(vd);
			uint8_t *d =
				full_toc_desc(out + o, s, MMC_FTOC_ADR_CTL_B0, MMC_FTOC_POINT_NEXT);

			/* Min/Sec/Frame: the next program area; PMIN/PSEC/PFRAME: the last
			 * possible lead-out start */
			toc_addr(d + MMC_FTOC_POINT, next == UINT64_MAX ? 0 : next, true);
			d[MMC_FTOC_POINT] =
				MMC_FTOC_POINT_NEXT; /* toc_addr's zero byte was there */
			toc_addr(d + MMC_FTOC_ZERO, vd->capacity, true);
			d[MMC_FTOC_ZERO] = 1; /* the number of mode-5 pointers */
			o += MMC_FTOC_SIZE;
		}
	}
	out[MMC_TOC_FIRST] = (uint8_t)(first_s ? first_s : 1);
	out[MMC_TOC_LAST] = (uint8_t)(last_s ? last_s : 1);
	bfs_put_be16(out + MMC_TOC_LENGTH, (uint16_t)(o - 2));
	return o;
}

/* A TOC track descriptor (formats 0 and 1) at d, of a data or an audio track. */
static void toc_desc(uint8_t *d, uint8_t adr_ctl, unsigned track, uint64_t lba, bool msf)
{
	memset(d, 0, MMC_TOC_D_SIZE);
	d[MMC_TOC_D_ADR_CTL] = adr_ctl;
	d[MMC_TOC_D_TRACK] = (uint8_t)track;
	toc_addr(d + MMC_TOC_D_ADDRESS, lba, msf);
}

/*
 * READ TOC/PMA/ATIP (MMC-6 6.26) formats 0 (TOC) and 1 (session info), LBA or MSF form;
 * format 0 from track `from` on (0 or 1: all; AAh: the lead-out alone), as cdparanoia asks
 * track by track
 */
static size_t read_toc(const struct vdrive *vd, unsigned fmt, bool msf, unsigned from, uint8_t *out,
		       size_t cap)
{
	size_t o = MMC_TOC_HEADER_SIZE;
	unsigned closed = 0;
	uint64_t end;

	for (unsigned i = 0; i < vd->ntracks; i++)
		closed += !vd->tracks[i].open;
	if (fmt == MMC_TOC_FORMAT_SESSION) {
		const struct vdrive_track *last = NULL;

		for (unsigned i = 0; i < vd->ntracks; i++)
			if (!vd->tracks[i].open &&
			    (!last || vd->tracks[i].session != last->session))
				last = &vd->tracks[i];
		out[MMC_TOC_FIRST] = 1;
		out[MMC_TOC_LAST] = (uint8_t)(last ? last->session : 1);
		toc_desc(out + o, vd_track_adr_ctl(vd, last ? (unsigned)(last - vd->tracks) : 0),
			 last ? (unsigned)(last - vd->tracks) + 1 : 1, last ? last->start : 0, msf);
		o += MMC_TOC_D_SIZE;
		bfs_put_be16(out + MMC_TOC_LENGTH, (uint16_t)(o - 2));
		return o;
	}
	out[MMC_TOC_FIRST] = 1;
	out[MMC_TOC_LAST] = (uint8_t)(closed ? closed : 1);
	for (unsigned i = 0; i < vd->ntracks && o + 2 * MMC_TOC_D_SIZE <= cap; i++) {
		if (vd->tracks[i].open || i + 1 < from)
			continue;
		toc_desc(out + o, vd_track_adr_ctl(vd, i), i + 1, vd->tracks[i].start, msf);
		o += MMC_TOC_D_SIZE;
	}
	end = vd->ntracks ? vd->tracks[vd->ntracks - 1].start + vd->tracks[vd->ntracks - 1].size
			  : 0;
	toc_desc(out + o, vd_track_adr_ctl(vd, vd->ntracks ? vd->ntracks - 1 : 0), MMC_TOC_LEADOUT,
		 end, msf);
	o += MMC_TOC_D_SIZE;
	bfs_put_be16(out + MMC_TOC_LENGTH, (uint16_t)(o - 2));
	return o;
}

/* The checks of a WRITE before it reaches the medium; true when refused (sense set). */
static bool write_refused(struct vdrive *vd, uint64_t lba, uint32_t n, bool new_track,
			  struct vdrive_result *res)
{
	if (lba + n > vd->capacity) {
		vd_check(res, vd, 0x05, 0x63, 0x00); /* end of user area encountered */
		return true;
	}
	if (!vd->m->overwrite) {
		uint64_t w = vd->test_write ? vd->test_nwa : vd_nwa(vd);
		const struct vdrive_track *t = vd->ntracks ? &vd->tracks[vd->ntracks - 1] : NULL;

		if (vd->status == DS_COMPLETE) {
			vd_check(res, vd, 0x05, 0x72, 0x00); /* session fixation error: closed */
			return true;
		}
		if (lba != w || (!new_track && t->reserved && lba + n > t->start + t->reserved)) {
			/* invalid address for write: off the NWA, or past the reserved track */
			vd_check(res, vd, 0x05, 0x21, 0x02);
			return true;
		}
	}
	if (vd->opc_fail && (new_track || vd->m->overwrite)) {
		vd_check(res, vd, 0x03, 0x73, 0x03); /* power calibration area error */
		return true;
	}
	if (vd->write_error_lba != UINT64_MAX && vd->write_error_lba >= lba &&
	    vd->write_error_lba < lba + n) {
		vd_check(res, vd, 0x03, 0x0C, 0x00); /* write error */
		vd_sense_info(res, vd->write_error_lba);
		fault_fire(vd, 'w', vd->write_error_lba);
		vd->write_error_lba = UINT64_MAX; /* once */
		return true;
	}
	return false;
}

/* slow:FACTOR: the WRITE's n blocks go into the buffer; true when it is too full for them */
static bool buffer_full(struct vdrive *vd, uint32_t n, struct vdrive_result *res)
{
	if (!vd->slow_factor)
		return false;
	/* a full buffer takes nothing: the host re-issues the WRITE (mmc.md 1.4) */
	buffer_drain(vd, now_ns());
	if (vd->buf_fill + (uint64_t)n * BLOCK > vd->buf_size) {
		vd_check(res, vd, 0x02, 0x04, 0x08); /* long write in progress */
		return true;
	}
	vd->buf_fill += (uint64_t)n * BLOCK;
	buffer_drain(vd, vd->buf_t_ns);
	return false;
}

/* n blocks of buf into the image at lba, in pwrite()s of at most BFS_WRITE_PIECE (see there) */
int vd_image_write(struct vdrive *vd, uint64_t lba, const uint8_t *buf, uint32_t n)
{
	size_t len = (size_t)n * BLOCK, done = 0;

	while (done < len) {
		ssize_t w =
			pwrite(vd->img_fd, buf + done, BFS_MIN(len - done, (size_t)BFS_WRITE_PIECE),
			       (off_t)(lba * BLOCK + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		done += (size_t)w;
	}
	return 0;
}

/*
 * The tracks of a sequential medium after keep blocks were recorded at lba (a new track
 * opened at it when new_track). false when the WRITE is done with here (the SAO session
 * closed itself, or an error is in res).
 */
static bool record_tracks(struct vdrive *vd, uint64_t lba, uint32_t keep, bool new_track,
			  struct vdrive_result *res)
{
	struct vdrive_track *t;

	if (new_track) {
		unsigned s = vd_nsessions(vd) + (vd->status == DS_INCOMPLETE ? 0 : 1);

		if (vd->ntracks >= VDRIVE_TRACKS_MAX) {
			vd_check(res, vd, 0x05, 0x72, 0x05); /* no more track reservations */
			return false;
		}
		vd->tracks[vd->ntracks++] =
			(struct vdrive_track){.start = lba, .size = 0, .session = s, .open = true};
		vd->status = DS_INCOMPLETE;
	}
	t = &vd->tracks[vd->ntracks - 1];
	t->size += keep;
	if (t->reserved && t->size == t->reserved)
		t->open = false; /* a full reservation is done */
	if (vd->sao_end && lba + keep >= vd->sao_end) {
		/* SAO: the lead-out follows the last block of the cue sheet */
		t->open = false;
		vd->status = vd->multisession ? DS_APPENDABLE : DS_COMPLETE;
		vd->sao_end = 0;
		if (vd_state_save(vd, true) < 0)
			vd_check(res, vd, 0x03, 0x0C, 0x00);
		return false;
	}
	return true;
}

/*
 * A TAO track of audio (page 05h Data Block Type 0): its CONTROL nibble and ISRC from page
 * 05h, the 2-second pregap the drive wrote before it (silence), the disc's MCN if page 05h
 * gives one.
 */
static void audio_track(struct vdrive *vd, struct vdrive_track *t)
{
	t->audio = true;
	t->ctl = vd->track_mode & 0x0B;
	t->pregap = AUDIO_PREGAP;
	memcpy(t->isrc, vd->wp_isrc, sizeof(t->isrc));
	if (vd->wp_mcn[0])
		memcpy(vd->mcn, vd->wp_mcn, sizeof(vd->mcn));
}

void vd_write(struct vdrive *vd, uint64_t lba, uint32_t n, const uint8_t *buf,
	      struct vdrive_result *res)
{
	bool new_track =
		!vd->m->overwrite && (vd->ntracks == 0 || !vd->tracks[vd->ntracks - 1].open);
	uint32_t keep = n;
	bool removed = false, audio = vd_write_block_size(vd, 0) == AUDIO_BLOCK;

	faults_reload(vd);
	if (vd->unformatted) {
		vd_check(res, vd, 0x05, 0x30, 0x10); /* medium not formatted */
		return;
	}
	if (vd->sao_end && vd->sao_pregap && vd_nwa(vd) != UINT64_MAX &&
	    (int64_t)(int32_t)(uint32_t)lba == (int64_t)vd_nwa(vd) - vd->sao_pregap) {
		/* SAO: the pregap of the cue sheet's first track, at signed 32-bit LBAs before
		 * the NWA (MMC-6 6.33); recorded as that pregap, it holds no user data */
		uint32_t m = BFS_MIN(n, vd->sao_pregap);

		vd->sao_pregap -= m;
		if (m == n)
			return;
		lba = vd_nwa(vd), n -= m, buf += (size_t)m * BLOCK;
		keep = n;
	}
	if (write_refused(vd, lba, n, new_track, res) || buffer_full(vd, n, res))
		return;
	if (vd->test_write) { /* simulation: the laser stays off */
		vd->test_nwa += n;
		return;
	}
	if (vd->remove_lba != UINT64_MAX && vd->remove_lba >= lba && vd->remove_lba < lba + n) {
		keep = (uint32_t)(vd->remove_lba - lba); /* what was burnt before the tray opened */
		removed = true;
		fault_fire(vd, 'r', vd->remove_lba);
		vd->remove_lba = UINT64_MAX; /* once */
	}
	/* defence in depth: whatever the checks above let through, a write-once disc's
	 * recorded blocks are never written again */
	if (keep && !vd->m->overwrite && !vd->m->blankable && lba < vd->used_end) {
		vd_check(res, vd, 0x05, 0x21, 0x02); /* invalid address for write */
		return;
	}
	if (audio ? vd_audio_pwrite(vd, (int64_t)lba, buf, keep) < 0
		  : vd_image_write(vd, lba, buf, keep) < 0) {
		vd_check(res, vd, 0x03, 0x0C, 0x00);
		return;
	}
	/* the read cache holds the latest 64 MiB written (READ(10): data only) */
	if (keep && audio) {
		vd->used_end = BFS_MAX(vd->used_end, lba + keep);
	} else if (keep) {
		if (lba != vd->cache_hi || vd->cache_hi == vd->cache_lo)
			vd->cache_lo = lba;
		vd->cache_hi = lba + keep;
		vd->cache_lo =
			BFS_MAX(vd->cache_lo, vd->cache_hi > 32768 ? vd->cache_hi - 32768 : 0);
		vd->used_end = BFS_MAX(vd->used_end, lba + keep);
	}
	if (vd->m->overwrite)
		vd->written = vd->written || keep;
	else if (keep && !record_tracks(vd, lba, keep, new_track, res))
		return;
	if (keep && new_track && audio)
		audio_track(vd, &vd->tracks[vd->ntracks - 1]);
	vd->state_dirty = true;
	if (removed) {
		/* the medium is gone with its session open: NOT READY, tray open */
		vd->prevent = false;
		vd->loaded = false;
		vd->media_event = MMC_GESN_EV_REMOVAL;
		vd->cache_lo = vd->cache_hi = 0;
		(void)vd_state_save(vd, true);
		vd_check(res, vd, 0x02, 0x3A, 0x02);
		return;
	}
	/* persist the NWA every commit_blocks (8 MiB; a rename, no fsync), so that a killed
	 * process loses at most that much of what the disc recorded */
	if (!vd->m->overwrite && vd->tracks[vd->ntracks - 1].size % vd->commit_blocks < n &&
	    vd_state_save(vd, false) < 0)
		vd_check(res, vd, 0x03, 0x0C, 0x00);
}

static void do_close(struct vdrive *vd, unsigned func, bool immed, struct vdrive_result *res)
{
	if (vd->test_write && !vd->m->overwrite) {
		/* simulation: nothing was recorded, nothing to close */
		vd->test_nwa = vd_nwa(vd);
		return;
	}
	if (vd->m->overwrite) {
		/* DVD+RW 000b/010b, BD-RE: nothing to close; accepted */
		if (vd_state_save(vd, true) < 0)
			vd_check(res, vd, 0x03, 0x0C, 0x00);
		return;
	}
	switch (func) {
	case MMC_CLOSE_TRACK: /* a reserved track keeps its whole reservation */
		if (vd->ntracks && vd->tracks[vd->ntracks - 1].open) {
			struct vdrive_track *t = &vd->tracks[vd->ntracks - 1];

			t->open = false;
			t->size = BFS_MAX(t->size, t->reserved);
		}
		break;
	case MMC_CLOSE_SESSION:	     /* stays appendable unless page 05h says no next session */
	case MMC_CLOSE_FINALIZE_MIN: /* DVD+R: finalize (compatible) */
	case MMC_CLOSE_FINALIZE:     /* DVD+R / BD-R: finalize */
		if (vd->status == DS_BLANK || vd->status == DS_COMPLETE) {
			vd_check(res, vd, 0x05, 0x2C, 0x00); /* command sequence error */
			return;
		}
		if (vd->ntracks && vd->tracks[vd->ntracks - 1].open)
			vd->tracks[vd->ntracks - 1].open = false;
		/* CD and DVD-R: page 05h's Multi-session field decides; DVD+R(DL) and BD-R
		 * stay appendable after 010b (mmc.md 1.2) */
		vd->status =
			func == MMC_CLOSE_SESSION && (vd->multisession ||
						      vd->m->profile == MMC_PROFILE_DVD_PLUS_R ||
						      vd->m->profile == MMC_PROFILE_DVD_PLUS_R_DL ||
						      vd->m->profile == MMC_PROFILE_BD_R)
				? DS_APPENDABLE
				: DS_COMPLETE;
		if (vd->status == DS_APPENDABLE && vd_nwa(vd) >= vd->capacity)
			vd->status = DS_COMPLETE;
		break;
	default:
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	if (vd_state_save(vd, true) < 0) {
		vd_check(res, vd, 0x03, 0x0C, 0x00);
		return;
	}
	/* the lead-out (or the border) is written after the state: a kill then leaves it done */
	long_op(vd, 0x07, immed, vd->longop_ms * 1000000u);
}

/*
 * The checks every command passes first: a CDB as long as its group's, a unit attention
 * pending, a medium for the commands that need one. true when refused (sense set).
 */
static bool gate(struct vdrive *vd, uint8_t op, size_t cdb_len, const void *buf, size_t len,
		 struct vdrive_result *res)
{
	if (cdb_len == 0 || cdb_len < cdb_need(op) || (len && !buf)) {
		vd_check(res, vd, 0x05, 0x24, 0x00); /* invalid field in CDB */
		return true;
	}
	if (vd->ua_pending && op != MMC_OP_INQUIRY && op != MMC_OP_REQUEST_SENSE &&
	    op != MMC_OP_GET_CONFIGURATION) {
		vd_check(res, vd, 0x06, vd->ua_pending, 0x00);
		vd->ua_pending = 0;
		return true;
	}
	if (!vd->loaded && op != MMC_OP_INQUIRY && op != MMC_OP_REQUEST_SENSE &&
	    op != MMC_OP_GET_CONFIGURATION && op != MMC_OP_START_STOP_UNIT &&
	    op != MMC_OP_PREVENT_ALLOW && op != MMC_OP_GESN) {
		vd_check(res, vd, 0x02, 0x3A, 0x02); /* medium not present, tray open */
		return true;
	}
	return false;
}

/*
 * A long operation under way: REQUEST SENSE reports its progress (SPC-4 4.5.2.4.5);
 * INQUIRY, GET CONFIGURATION, GESN, READ BUFFER CAPACITY and MECHANISM STATUS still
 * answer; other commands get NOT READY. stuck:OPCODE: that command starts an operation
 * that never ends. true when the command was answered here.
 */
static bool busy(struct vdrive *vd, uint8_t op, const uint8_t *cdb, void *buf, size_t len,
		 uint64_t t, struct vdrive_result *res)
{
	if (vd->op_end_ns && vd->op_end_ns != UINT64_MAX && t >= vd->op_end_ns)
		vd->op_end_ns = 0; /* the long operation is over */
	if (vd->op_end_ns && op == MMC_OP_REQUEST_SENSE) {
		struct vdrive_result nr;

		not_ready(&nr, vd, t);
		vd_reply(res, buf, len, cdb[MMC_REQUEST_SENSE_CDB_ALLOC], nr.sense,
			 sizeof(nr.sense));
		return true;
	}
	if (vd->op_end_ns && op != MMC_OP_INQUIRY && op != MMC_OP_GET_CONFIGURATION &&
	    op != MMC_OP_GESN && op != MMC_OP_READ_BUFFER_CAPACITY &&
	    op != MMC_OP_MECHANISM_STATUS) {
		not_ready(res, vd, t);
		return true;
	}
	if (vd->stuck_op == op) {
		/* stuck:OPCODE: this command starts an operation that never ends */
		vd->op_start_ns = t;
		vd->op_end_ns = UINT64_MAX;
		vd->op_ascq = 0x07;
		not_ready(res, vd, t);
		return true;
	}
	return false;
}

/* READ(10) and READ(12): recorded blocks, with corrupt-read@ and the read cache */
static void read_cmd(struct vdrive *vd, const uint8_t *cdb, enum vdrive_dir dir, uint8_t *out,
		     size_t len, struct vdrive_result *res)
{
	uint64_t lba = bfs_get_be32(cdb + MMC_CDB_LBA);
	uint32_t n = cdb[MMC_CDB_OPCODE] == MMC_OP_READ10 ? bfs_get_be16(cdb + MMC_CDB10_LENGTH)
							  : bfs_get_be32(cdb + MMC_CDB12_LENGTH);
	uint64_t end = vd->m->overwrite ? vd->capacity : vd->used_end;

	if (dir != VDRIVE_DIR_IN || len < (size_t)n * BLOCK) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	if (lba + n > end) {
		vd_check(res, vd, 0x05, 0x21, 0x00); /* LBA out of range */
		vd_sense_info(res, BFS_MAX(lba, end));
		return;
	}
	if (vd_audio_in(vd, (int64_t)lba, n)) {
		vd_check(res, vd, 0x05, 0x64, 0x00); /* illegal mode: CD-DA has no 2048 bytes */
		return;
	}
	if (vdrive_read_blocks(vd, lba, n, out) < 0) {
		vd_check(res, vd, 0x03, 0x11, 0x00); /* unrecovered read error */
		return;
	}
	/* corrupt-read damages the medium; the drive's cache still has what was written and
	 * serves it unless FUA asks for the medium (mmc.md 4.4 item 9) */
	if (vd->corrupt_lba >= lba && vd->corrupt_lba < lba + n &&
	    ((cdb[MMC_CDB_FLAGS] & MMC_CDB_READ_FUA) || lba < vd->cache_lo ||
	     lba + n > vd->cache_hi))
		out[(vd->corrupt_lba - lba) * BLOCK + 100] ^= 0x01;
	res->resid = len - (size_t)n * BLOCK;
}

/* READ TRACK INFORMATION by track number (FFh: the invisible track) or by LBA */
static void read_track_info(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			    struct vdrive_result *res)
{
	unsigned type = cdb[MMC_TI_CDB_TYPE] & 0x03, tno = 0;
	uint32_t v = bfs_get_be32(cdb + MMC_TI_CDB_ADDRESS);
	uint8_t tmp[MMC_TI_SIZE];

	if (type == MMC_TI_CDB_TYPE_TRACK) {
		tno = v == MMC_TI_INVISIBLE_TRACK ? vd->ntracks + 1 : v;
		if (tno == 0 || tno > vd->ntracks + 1) {
			vd_check(res, vd, 0x05, 0x24, 0x00);
			return;
		}
	} else if (type == MMC_TI_CDB_TYPE_LBA) {
		tno = vd->ntracks + 1;
		for (unsigned i = 0; i < vd->ntracks; i++)
			if (v >= vd->tracks[i].start &&
			    v < vd->tracks[i].start + BFS_MAX(vd->tracks[i].size, (uint64_t)1))
				tno = i + 1;
	} else {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_CDB10_LENGTH), tmp,
		 track_info(vd, tno, tmp));
}

/* A 13-digit MCN or 12-character ISRC of page 05h at p (valid bit, then the characters),
 * into out (n + 1 bytes); "" when not valid or malformed */
static void wp_code(const uint8_t *p, size_t n, char *out)
{
	out[0] = '\0';
	if (!(p[0] & MMC_WP_VALID))
		return;
	memcpy(out, p + 1, n);
	out[n] = '\0';
	if (!vd_code_ok(out, n))
		out[0] = '\0'; /* malformed: as if not valid, never recorded */
}

/* Page 05h's Data Block Type, Track Mode, MCN and ISRC (pg holds n bytes of the page) */
static void wp_audio(struct vdrive *vd, const uint8_t *pg, size_t n)
{
	if (n > MMC_WP_BLOCK_TYPE)
		vd->block_type = pg[MMC_WP_BLOCK_TYPE] & 0x0F;
	vd->track_mode = pg[MMC_WP_TRACK] & MMC_WP_TRACK_MASK;
	vd->wp_mcn[0] = vd->wp_isrc[0] = '\0';
	if (n >= MMC_WP_ISRC + 13)
		wp_code(pg + MMC_WP_MCN, 13, vd->wp_mcn);
	if (n >= MMC_WP_SUBHEADER)
		wp_code(pg + MMC_WP_ISRC, 12, vd->wp_isrc);
}

/* MODE SELECT(10): page 05h's Test Write, Write Type and Multi-session fields */
static void mode_select(struct vdrive *vd, enum vdrive_dir dir, const uint8_t *out, size_t len,
			struct vdrive_result *res)
{
	size_t bdl;

	if (dir != VDRIVE_DIR_OUT || len < MMC_MODE_HEADER_SIZE) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	bdl = bfs_get_be16(out + MMC_MODE_BD_LENGTH);
	/* the page after the block descriptors, as far as its Multi-session byte */
	if (len >= MMC_MODE_HEADER_SIZE + bdl + MMC_WP_TRACK + 1 &&
	    (out[MMC_MODE_HEADER_SIZE + bdl + MMC_PAGE_CODE] & MMC_PAGE_CODE_MASK) ==
		    MMC_PAGE_WRITE_PARAMS) {
		const uint8_t *pg = out + MMC_MODE_HEADER_SIZE + bdl;
		bool test = pg[MMC_WP_TYPE] & MMC_WP_TEST_WRITE;
		uint16_t pr = vd->m->profile;
		uint8_t wt = pg[MMC_WP_TYPE] & MMC_WP_TYPE_MASK;

		/* Test Write: CD-R/RW and DVD-R/RW only (MMC-6 7.5.4.2) */
		if (test && pr != MMC_PROFILE_CD_R && pr != MMC_PROFILE_CD_RW &&
		    pr != MMC_PROFILE_DVD_R && pr != MMC_PROFILE_DVD_RW) {
			vd_check(res, vd, 0x05, 0x26, 0x00); /* invalid field in list */
			return;
		}
		/* write type: packet/incremental, TAO, SAO (CD only), raw not emulated */
		if (wt > MMC_WP_TYPE_SAO || (wt == MMC_WP_TYPE_SAO && vd->m->cls != MC_CD)) {
			vd_check(res, vd, 0x05, 0x26, 0x00);
			return;
		}
		vd->write_type = wt;
		wp_audio(vd, pg, len - MMC_MODE_HEADER_SIZE - bdl);
		if (test && !vd->test_write)
			vd->test_nwa = vd_nwa(vd);
		vd->test_write = test;
		vd->multisession = (pg[MMC_WP_TRACK] >> MMC_WP_MULTI_SHIFT) == MMC_WP_MULTI_NEXT;
	}
	res->resid = 0;
}

/*
 * BLANK (CD-RW, DVD-RW), blanking type 0 the whole disc (every block) or 1 minimal (TOC,
 * PMA: the recorded blocks stay, unreadable behind a blank disc's status)
 */
static void blank(struct vdrive *vd, const uint8_t *cdb, struct vdrive_result *res)
{
	unsigned type = cdb[MMC_BLANK_CDB_FLAGS] & MMC_BLANK_TYPE_MASK;

	if (!vd->m->blankable) {
		vd_check(res, vd, 0x05, 0x30, 0x05); /* cannot format: incompatible medium */
		return;
	}
	if (type > MMC_BLANK_MINIMAL) {
		vd_check(res, vd, 0x05, 0x24, 0x00); /* track/session types: not emulated */
		return;
	}
	vd->ntracks = 0, vd->status = DS_BLANK, vd->used_end = 0;
	vd->cache_lo = vd->cache_hi = 0;
	vd_audio_reset(vd);
	if ((type == MMC_BLANK_FULL && (ftruncate(vd->img_fd, 0) < 0 ||
					(vd->audio_fd >= 0 && ftruncate(vd->audio_fd, 0) < 0))) ||
	    vd_state_save(vd, true) < 0) {
		vd_check(res, vd, 0x03, 0x0C, 0x00);
		return;
	}
	long_op(vd, 0x07, cdb[MMC_BLANK_CDB_FLAGS] & MMC_BLANK_IMMED,
		(type == MMC_BLANK_FULL ? 8 : 2) * vd->longop_ms * 1000000u);
}

/* FORMAT UNIT: overwrite media start empty, with the format types of each medium */
static void format_unit(struct vdrive *vd, const uint8_t *cdb, enum vdrive_dir dir,
			const uint8_t *out, size_t len, struct vdrive_result *res)
{
	bool immed = false, full;
	unsigned type = vd->m->profile == MMC_PROFILE_DVD_PLUS_RW ? MMC_FORMAT_DVD_PLUS_RW
								  : MMC_FORMAT_FULL;
	unsigned sub = 0;

	if (!vd->m->overwrite) {
		vd_check(res, vd, 0x05, 0x30, 0x05);
		return;
	}
	if (cdb[MMC_FORMAT_CDB_FLAGS] & MMC_FORMAT_FMTDATA) { /* a header and a descriptor */
		if (dir != VDRIVE_DIR_OUT || len < MMC_FL_SIZE ||
		    bfs_get_be16(out + MMC_FL_DESC_LEN) != MMC_FL_DESC_SIZE) {
			vd_check(res, vd, 0x05, 0x26, 0x00);
			return;
		}
		immed = out[MMC_FL_FLAGS] & MMC_FL_IMMED;
		res->resid = len - MMC_FL_SIZE;
		type = out[MMC_FL_TYPE] >> MMC_FL_TYPE_SHIFT;
		sub = out[MMC_FL_TYPE] & MMC_FL_SUBTYPE_MASK;
	}
	/* format types per medium (MMC-6 6.5.4): DVD+RW 26h, DVD-RAM 00h, BD-RE 00h and 30h
	 * (subtypes 00b quick reformat, 10b full, 11b quick certification) */
	if (!(vd->m->profile == MMC_PROFILE_DVD_PLUS_RW ? type == MMC_FORMAT_DVD_PLUS_RW
	      : vd->m->profile == MMC_PROFILE_DVD_RAM
		      ? type == MMC_FORMAT_FULL
		      : type == MMC_FORMAT_FULL ||
				(type == MMC_FORMAT_BD_RE_SPARE && sub != 0x01))) {
		vd_check(res, vd, 0x05, 0x26, 0x00); /* invalid field in parameter list */
		return;
	}
	full = type == MMC_FORMAT_BD_RE_SPARE && sub == MMC_FORMAT_SUB_FULL_CERT;
	vd->used_end = 0, vd->written = false, vd->unformatted = false;
	vd->cache_lo = vd->cache_hi = 0;
	if (ftruncate(vd->img_fd, 0) < 0 || vd_state_save(vd, true) < 0) {
		vd_check(res, vd, 0x03, 0x31, 0x00); /* medium format corrupted */
		return;
	}
	long_op(vd, 0x04, immed, (full ? 8 : 2) * vd->longop_ms * 1000000u);
}

/* WRITE(10) and WRITE(12) */
static void write_cmd(struct vdrive *vd, const uint8_t *cdb, enum vdrive_dir dir, const void *buf,
		      size_t len, struct vdrive_result *res)
{
	uint64_t lba = bfs_get_be32(cdb + MMC_CDB_LBA);
	uint32_t n = cdb[MMC_CDB_OPCODE] == MMC_OP_WRITE10 ? bfs_get_be16(cdb + MMC_CDB10_LENGTH)
							   : bfs_get_be32(cdb + MMC_CDB12_LENGTH);
	/* the block size of the write type: audio 2352, a CD-Text lead-in 96, else 2048 */
	size_t bs = vd_write_block_size(vd, (int32_t)(uint32_t)lba);

	if (dir != VDRIVE_DIR_OUT || len < (size_t)n * bs) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	if (vd->sao && vd->m->cls == MC_CD) /* SAO of audio: LBAs signed from the lead-in */
		vd_audio_write(vd, (int32_t)(uint32_t)lba, n, buf, res);
	else
		vd_write(vd, lba, n, buf, res);
	if (res->status == 0)
		res->resid = len - (size_t)n * bs;
}

/* READ TOC formats 0 and 1 in LBA or MSF form; 2 (Full TOC) on CD */
static void read_toc_cmd(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			 struct vdrive_result *res)
{
	unsigned fmt = cdb[MMC_TOC_CDB_FORMAT] & 0x0F, from = cdb[MMC_TOC_CDB_TRACK];
	uint8_t tmp[2048];
	size_t n;

	if ((fmt > MMC_TOC_FORMAT_FULL && fmt != MMC_TOC_FORMAT_ATIP &&
	     fmt != MMC_TOC_FORMAT_CDTEXT) ||
	    (fmt >= MMC_TOC_FORMAT_FULL && vd->m->cls != MC_CD) ||
	    (fmt == MMC_TOC_FORMAT_TOC && from > vd->ntracks && from != MMC_TOC_LEADOUT)) {
		vd_check(res, vd, 0x05, 0x24, 0x00);
		return;
	}
	if (fmt == MMC_TOC_FORMAT_CDTEXT) {
		vd_toc_cdtext(vd, cdb, buf, len, res);
		return;
	}
	n = fmt == MMC_TOC_FORMAT_FULL ? full_toc(vd, tmp, sizeof(tmp))
	    : fmt == MMC_TOC_FORMAT_ATIP
		    ? vd_toc_atip(vd, tmp)
		    : read_toc(vd, fmt, cdb[MMC_TOC_CDB_MSF] & MMC_TOC_MSF,
			       fmt == MMC_TOC_FORMAT_TOC ? from : 0, tmp, sizeof(tmp));
	vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_CDB10_LENGTH), tmp, n);
}

/* READ CAPACITY (MMC-6 6.20): the last readable block (0 on a blank disc), 2048 */
static void read_capacity(const struct vdrive *vd, void *buf, size_t len, struct vdrive_result *res)
{
	uint8_t c[MMC_CAP_SIZE];
	uint64_t last = vd->m->overwrite ? vd->capacity - 1 : vd->used_end ? vd->used_end - 1 : 0;

	bfs_put_be32(c + MMC_CAP_LAST_LBA, (uint32_t)last);
	bfs_put_be32(c + MMC_CAP_BLOCK_LENGTH, BLOCK);
	vd_reply(res, buf, len, sizeof(c), c, sizeof(c));
}

/* REQUEST SENSE (SPC-4 6.27): the last command's sense in fixed format, then none */
static void request_sense(struct vdrive *vd, const uint8_t *cdb, void *buf, size_t len,
			  struct vdrive_result *res)
{
	uint8_t s[MMC_SENSE_FIXED_SIZE] = {0};

	s[MMC_SENSE_RESPONSE] = MMC_SENSE_CURRENT;
	s[MMC_SENSE_KEY] = vd->sense_key;
	s[MMC_SENSE_ADD_LEN] = MMC_SENSE_FIXED_ADD_LEN;
	s[MMC_SENSE_ASC] = vd->asc, s[MMC_SENSE_ASCQ] = vd->ascq;
	vd->sense_key = vd->asc = vd->ascq = 0;
	vd_reply(res, buf, len, cdb[MMC_REQUEST_SENSE_CDB_ALLOC], s, sizeof(s));
}

/* INQUIRY (SPC-4 6.4): a removable CD/DVD device, SPC-4, response data format 2 */
static void inquiry(const uint8_t *cdb, void *buf, size_t len, struct vdrive_result *res)
{
	uint8_t q[MMC_INQ_SIZE] = {0};

	q[MMC_INQ_PERIPHERAL] = MMC_INQ_PDT_MMC;
	q[MMC_INQ_RMB] = 0x80;
	q[MMC_INQ_VERSION] = 0x05;
	q[MMC_INQ_FORMAT] = 0x32; /* NormACA, HiSup, response data format 2 */
	q[MMC_INQ_ADD_LEN] = MMC_INQ_SIZE - (MMC_INQ_ADD_LEN + 1);
	memcpy(q + MMC_INQ_VENDOR, "BURNFS  ", MMC_INQ_PRODUCT - MMC_INQ_VENDOR);
	memcpy(q + MMC_INQ_PRODUCT, "VIRTUAL BD-RE   ", MMC_INQ_REVISION - MMC_INQ_PRODUCT);
	memcpy(q + MMC_INQ_REVISION, "1.0 ", MMC_INQ_SIZE - MMC_INQ_REVISION);
	vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_INQUIRY_CDB_ALLOC), q, sizeof(q));
}

/* SYNCHRONIZE CACHE: data and state on disk, the buffer drained */
static void sync_cache(struct vdrive *vd, const uint8_t *cdb, struct vdrive_result *res)
{
	struct vdrive_track *t = vd->ntracks ? &vd->tracks[vd->ntracks - 1] : NULL;

	/* TAO on CD: the flush ends the track (run-out written), as drives do for wodim and
	 * libburn, which send no CLOSE TRACK (mmc.md 2.2 step 6); kept to audio tracks, whose
	 * next one starts after its own pregap */
	if (t && t->open && t->audio && vd->write_type == MMC_WP_TYPE_TAO && !vd->test_write)
		t->open = false;
	if (vd_state_save(vd, true) < 0) {
		vd_check(res, vd, 0x03, 0x0C, 0x00);
		return;
	}
	if (buffer_flush_ns(vd))
		long_op(vd, 0x08, cdb[MMC_SYNC_CACHE_CDB_FLAGS] & MMC_SYNC_CACHE_IMMED,
			buffer_flush_ns(vd));
}

void vdrive_exec(struct vdrive *vd, const uint8_t *cdb, size_t cdb_len, enum vdrive_dir dir,
		 void *buf, size_t len, struct vdrive_result *res)
{
	uint8_t op = cdb_len ? cdb[0] : 0xFF;
	uint8_t *out = buf;
	uint8_t tmp[1024];
	uint64_t t;

	memset(res, 0, sizeof(*res));
	res->resid = len;
	if (gate(vd, op, cdb_len, buf, len, res))
		return;
	faults_reload(vd); /* a fault set or cleared by `burnfs vdrive fault` applies now */
	t = now_ns();
	buffer_drain(vd, t); /* also when unthrottled: READ BUFFER CAPACITY says empty */
	if (busy(vd, op, cdb, buf, len, t, res))
		return;
	switch (op) {
	case MMC_OP_TEST_UNIT_READY:
		return;
	case MMC_OP_REQUEST_SENSE:
		request_sense(vd, cdb, buf, len, res);
		return;
	case MMC_OP_INQUIRY:
		inquiry(cdb, buf, len, res);
		return;
	case MMC_OP_START_STOP_UNIT: /* LoEj */
		if (cdb[MMC_START_STOP_CDB_FLAGS] & MMC_START_STOP_LOEJ) {
			if (vdrive_set_loaded(vd, cdb[MMC_START_STOP_CDB_FLAGS] &
							  MMC_START_STOP_START) < 0)
				vd_check(res, vd, 0x05, 0x53, 0x02); /* medium removal prevented */
		}
		return;
	case MMC_OP_PREVENT_ALLOW:
		vd->prevent = cdb[MMC_PREVENT_CDB_FLAGS] & MMC_PREVENT_PREVENT;
		return;
	case MMC_OP_READ_CAPACITY:
		read_capacity(vd, buf, len, res);
		return;
	case MMC_OP_READ10:
	case MMC_OP_READ12:
		read_cmd(vd, cdb, dir, out, len, res);
		return;
	case MMC_OP_WRITE10:
	case MMC_OP_WRITE12:
		write_cmd(vd, cdb, dir, buf, len, res);
		return;
	case MMC_OP_SYNC_CACHE:
		sync_cache(vd, cdb, res);
		return;
	case MMC_OP_READ_TOC:
		read_toc_cmd(vd, cdb, buf, len, res);
		return;
	case MMC_OP_GET_CONFIGURATION: {
		size_t n;

		memset(tmp, 0, sizeof(tmp)); /* reserved bytes: zero, not what the stack held */
		n = get_configuration(vd, cdb[MMC_GETCONF_CDB_FLAGS] & MMC_GETCONF_CDB_RT,
				      bfs_get_be16(cdb + MMC_GETCONF_CDB_START), tmp);
		vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_CDB10_LENGTH), tmp, n);
		return;
	}
	case MMC_OP_READ_DISC_INFO: /* data type 000b only */
		if (cdb[MMC_DI_CDB_DATA_TYPE] & 0x07) {
			vd_check(res, vd, 0x05, 0x24, 0x00);
			return;
		}
		vd_reply(res, buf, len, bfs_get_be16(cdb + MMC_CDB10_LENGTH), tmp,
			 disc_info(vd, tmp));
		return;
	case MMC_OP_READ_TRACK_INFO:
		read_track_info(vd, cdb, buf, len, res);
		return;
	case MMC_OP_MODE_SELECT10: /* page 05h */
		mode_select(vd, dir, out, len, res);
		return;
	case MMC_OP_CLOSE_TRACK_SESSION:
		do_close(vd, cdb[MMC_CLOSE_CDB_FUNCTION] & MMC_CLOSE_FUNCTION_MASK,
			 cdb[MMC_CLOSE_CDB_FLAGS] & MMC_CLOSE_IMMED, res);
		return;
	case MMC_OP_BLANK: /* CD-RW, DVD-RW */
		blank(vd, cdb, res);
		return;
	case MMC_OP_FORMAT_UNIT: /* overwrite media start empty */
		format_unit(vd, cdb, dir, out, len, res);
		return;
	default:
		vd_exec_more(vd, cdb, cdb_len, dir, buf, len, res);
		return;
	}
}
