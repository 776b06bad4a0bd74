/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Administration of a virtual drive. See engine/vdrive-admin.h. A thin layer over
 * vdrive/vdrive.h: its results in the engine's types, each failure as a message naming
 * what it concerns.
 */
#include "engine/vdrive-admin.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/macro.h"
#include "vdrive/vdrive.h"

static_assert(ENG_VDRIVE_TRACKS_MAX == VDRIVE_TRACKS_MAX, "the drive's track limit");
static_assert(sizeof(((struct eng_vdrive_info *)0)->media) ==
		      sizeof(((struct vdrive_info *)0)->media),
	      "the drive's media name");

struct eng_vdrive {
	struct vdrive *vd;
	char *dir; /* as given, for messages */
};

/* ---- media and capacities --------------------------------------------------------------- */

static char media_list[256];
static char capacity_summary[256];
static pthread_once_t texts_once = PTHREAD_ONCE_INIT;

/* "dvd+r-dl" -> "DVD": the family a medium's capacity limit goes with; whole: "DVD+R-DL" */
static void label(const char *media, bool whole, char out[16])
{
	size_t k = whole ? strlen(media) : strcspn(media, "-+");

	snprintf(out, 16, "%.*s", (int)k, media);
	for (char *p = out; *p; p++)
		*p = (char)toupper((unsigned char)*p);
}

/* ", at most MAX on FAMILY" once per family, or per medium where a family's media differ */
static void append_limits(FILE *f)
{
	const char *const *names = vdrive_media_names;
	uint64_t lo, hi, prev_hi = 0;
	char fam[16], prev[16] = "", on[16];

	for (size_t i = 0; names[i]; i++) {
		(void)vdrive_capacity_range(names[i], &lo, &hi);
		label(names[i], false, fam);
		if (strcmp(fam, prev) == 0 && hi == prev_hi)
			continue;
		label(names[i], strcmp(fam, prev) == 0, on);
		fprintf(f, "%s %llu on %s", prev[0] ? "," : ", at most", (unsigned long long)hi,
			on);
		memcpy(prev, fam, sizeof(prev));
		prev_hi = hi;
	}
}

/* The texts built once from the drive's own tables. */
static void texts_init(void)
{
	uint64_t lo, hi, min = UINT64_MAX;
	FILE *f = fmemopen(media_list, sizeof(media_list), "w");

	for (size_t i = 0; f && vdrive_media_names[i]; i++)
		fprintf(f, "%s%s", i ? " " : "", vdrive_media_names[i]);
	if (f)
		fclose(f);
	for (size_t i = 0; vdrive_media_names[i]; i++)
		if (vdrive_capacity_range(vdrive_media_names[i], &lo, &hi) == 0 && lo < min)
			min = lo;
	f = fmemopen(capacity_summary, sizeof(capacity_summary), "w");
	if (!f)
		return;
	fprintf(f, "at least %llu", (unsigned long long)min);
	append_limits(f);
	fclose(f);
}

const char *eng_vdrive_media_list(void)
{
	(void)pthread_once(&texts_once, texts_init);
	return media_list;
}

const char *eng_vdrive_capacity_summary(void)
{
	(void)pthread_once(&texts_once, texts_init);
	return capacity_summary;
}

bool eng_vdrive_media_known(const char *media)
{
	for (size_t i = 0; vdrive_media_names[i]; i++)
		if (strcmp(vdrive_media_names[i], media) == 0)
			return true;
	return false;
}

int eng_vdrive_capacity_range(const char *media, uint64_t *ret_min, uint64_t *ret_max)
{
	return vdrive_capacity_range(media, ret_min, ret_max);
}

/* ---- drives by directory ---------------------------------------------------------------- */

static int no_drive(const char *dir, struct bfs_diag *diag)
{
	return bfs_diag_set(diag, -ENOENT,
			    "'%s': no virtual drive there\n"
			    "remedy: create one with `burnfs vdrive create --media NAME '%s'`",
			    dir, dir);
}

static int in_use(const char *dir, struct bfs_diag *diag)
{
	return bfs_diag_set(diag, -EBUSY, "'%s': the drive is in use by another process", dir);
}

int eng_vdrive_create(const char *dir, const char *media, uint64_t capacity,
		      struct bfs_diag *reterr_diag)
{
	int r = vdrive_create(dir, media, capacity);

	if (r == -EEXIST)
		return bfs_diag_set(reterr_diag, r,
				    "'%s' is already a virtual drive (nothing was changed)\n"
				    "remedy: use it as --drive vdrive:%s, or load a blank disc "
				    "into it with `burnfs vdrive load '%s' --blank`",
				    dir, dir, dir);
	if (r == -ENOTEMPTY)
		return bfs_diag_set(reterr_diag, r,
				    "'%s' is not empty and holds no virtual drive: nothing was "
				    "changed\nremedy: a drive needs a new or empty directory",
				    dir);
	if (r == -EINVAL)
		return bfs_diag_set(reterr_diag, r, "'%s' is not a medium (%s)", media,
				    eng_vdrive_media_list());
	if (r < 0)
		return bfs_diag_set(reterr_diag, r, "'%s': %s", dir, strerror(-r));
	return 0;
}

int eng_vdrive_load_blank(const char *dir, const char *media, uint64_t capacity, char **ret_shelf,
			  struct bfs_diag *reterr_diag)
{
	int r = vdrive_load_blank(dir, media, capacity, ret_shelf);

	if (r == -ENOENT)
		return no_drive(dir, reterr_diag);
	if (r == -EBUSY)
		return in_use(dir, reterr_diag);
	if (r == -EUCLEAN)
		return bfs_diag_set(reterr_diag, r,
				    "'%s': the drive's state is too damaged to say which medium "
				    "it holds: give it with --media NAME",
				    dir);
	if (r < 0)
		return bfs_diag_set(reterr_diag, r, "'%s': %s (the disc in it is unchanged)", dir,
				    strerror(-r));
	return 0;
}

int eng_vdrive_fault(const char *dir, const char *spec, struct bfs_diag *reterr_diag)
{
	int r = vdrive_fault(dir, spec);

	if (r == -EINVAL)
		return bfs_diag_set(reterr_diag, r,
				    "'%s' is not a fault (write-error@LBA, corrupt-read@LBA, "
				    "remove@LBA, opc-fail, stuck:OPCODE, slow:FACTOR with FACTOR "
				    "1-64, clear)",
				    spec);
	if (r == -ENOENT)
		return no_drive(dir, reterr_diag);
	if (r < 0)
		return bfs_diag_set(reterr_diag, r, "'%s': %s", dir, strerror(-r));
	return 0;
}

/* ---- an open drive ---------------------------------------------------------------------- */

int eng_vdrive_open(const char *dir, struct eng_vdrive **ret, struct bfs_diag *reterr_diag)
{
	struct bfs_diag diag = {0};
	struct eng_vdrive *vd = calloc(1, sizeof(*vd));
	int r;

	if (!vd || !(vd->dir = strdup(dir))) {
		free(vd);
		return bfs_diag_set(reterr_diag, -ENOMEM, "out of memory");
	}
	r = vdrive_open_wait(dir, VDRIVE_WAIT_MS, &vd->vd, &diag);
	if (r < 0) {
		eng_vdrive_close(vd);
		if (r == -ENOENT)
			return no_drive(dir, reterr_diag);
		if (r == -EBUSY)
			return in_use(dir, reterr_diag);
		/* damaged: the drive's own account of what and the remedy */
		return bfs_diag_set(reterr_diag, r, "%s", bfs_diag_msg(&diag, r));
	}
	*ret = vd;
	return 0;
}

struct eng_vdrive *eng_vdrive_close(struct eng_vdrive *vd)
{
	if (!vd)
		return NULL;
	vdrive_close(vd->vd);
	free(vd->dir);
	free(vd);
	return NULL;
}

void eng_vdrive_get_info(const struct eng_vdrive *vd, struct eng_vdrive_info *ret)
{
	struct vdrive_info vi;

	vdrive_get_info(vd->vd, &vi);
	*ret = (struct eng_vdrive_info){
		.profile = vi.profile,
		.capacity = vi.capacity,
		.loaded = vi.loaded,
		.status = vi.status,
		.nsessions = vi.nsessions,
		.ntracks = BFS_MIN(vi.ntracks, (unsigned)ENG_VDRIVE_TRACKS_MAX),
		.nwa = vi.nwa,
		.used_end = vi.used_end,
	};
	memcpy(ret->media, vi.media, sizeof(ret->media));
	for (unsigned i = 0; i < ret->ntracks; i++)
		ret->tracks[i] = (struct eng_vdrive_track){
			.start = vi.tracks[i].start,
			.size = vi.tracks[i].size,
			.session = vi.tracks[i].session,
			.open = vi.tracks[i].open,
		};
}

int eng_vdrive_set_loaded(struct eng_vdrive *vd, bool loaded, struct bfs_diag *reterr_diag)
{
	int r = vdrive_set_loaded(vd->vd, loaded);

	if (r == -EBUSY)
		return bfs_diag_set(reterr_diag, r,
				    "'%s': medium removal is prevented by the program using the "
				    "drive",
				    vd->dir);
	if (r < 0)
		return bfs_diag_set(reterr_diag, r, "'%s': %s", vd->dir, strerror(-r));
	return 0;
}

/* The recorded blocks of vd into the new file fd, sparse where they are zeros. */
static int export_blocks(struct vdrive *vd, uint64_t used_end, int fd)
{
	_cleanup_free_ uint8_t *buf = malloc(1 << 20);

	if (!buf)
		return -ENOMEM;
	for (uint64_t lba = 0; lba < used_end;) {
		uint32_t n = (uint32_t)BFS_MIN(used_end - lba, (uint64_t)512);
		bool zero = true;
		int r = vdrive_read_blocks(vd, lba, n, buf);

		if (r < 0)
			return r;
		for (size_t i = 0; i < (size_t)n * 2048 && zero; i++)
			zero = buf[i] == 0;
		if (!zero &&
		    pwrite(fd, buf, (size_t)n * 2048, (off_t)(lba * 2048)) != (ssize_t)n * 2048)
			return errno ? -errno : -EIO;
		lba += n;
	}
	if (ftruncate(fd, (off_t)(used_end * 2048)) < 0 || fchmod(fd, 0644) < 0)
		return -errno;
	return 0;
}

/*
 * A disc with audio tracks (an audio CD, a mixed-mode or Enhanced CD) is not exported: its
 * audio is 2352-byte sectors in audio.img that a 2048-byte image has no room for, and an
 * image of the data blocks alone would look whole while missing the tracks. -EMEDIUMTYPE.
 */
static int audio_refused(const struct eng_vdrive *vd, const struct vdrive_info *vi,
			 struct bfs_diag *diag)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vi->ntracks; i++)
		n += vi->tracks[i].audio;
	if (!n)
		return 0;
	return bfs_diag_set(diag, -EMEDIUMTYPE,
			    "'%s' holds %u audio track%s (CD-DA): an image file has 2048-byte "
			    "blocks only, and one without the audio would not be the disc\n"
			    "remedy: rip the audio with cdparanoia through the shim "
			    "(contrib/vdrive-shim), or compare it with `burnfs audio "
			    "--verify-only`",
			    vd->dir, n, n == 1 ? "" : "s");
}

int eng_vdrive_export(struct eng_vdrive *vd, const char *out, struct bfs_diag *reterr_diag)
{
	_cleanup_free_ char *tmp = NULL;
	struct vdrive_info vi;
	int fd, r;

	vdrive_get_info(vd->vd, &vi);
	if ((r = audio_refused(vd, &vi, reterr_diag)) < 0)
		return r;
	if (asprintf(&tmp, "%s.burnfs-XXXXXX", out) < 0) {
		tmp = NULL;
		return bfs_diag_set(reterr_diag, -ENOMEM, "out of memory");
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		return bfs_diag_set(reterr_diag, r, "'%s': %s", out, strerror(-r));
	}
	r = export_blocks(vd->vd, vi.used_end, fd);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, out) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return bfs_diag_set(reterr_diag, r, "'%s': %s", out, strerror(-r));
	}
	return 0;
}

int eng_vdrive_import(struct eng_vdrive *vd, const char *img, int img_fd, const uint64_t *starts,
		      size_t n, bool close_disc, struct bfs_diag *reterr_diag)
{
	const char *why = NULL;
	int r = vdrive_import(vd->vd, img_fd, starts, n, close_disc, &why);

	if (r == -ENOTEMPTY)
		return bfs_diag_set(reterr_diag, r,
				    "'%s' into '%s': %s\nremedy: load a blank disc first with "
				    "`burnfs vdrive load '%s' --blank` (the disc is kept on the "
				    "shelf)",
				    img, vd->dir, why ? why : strerror(-r), vd->dir);
	if (r < 0)
		return bfs_diag_set(reterr_diag, r, "'%s' into '%s': %s", img, vd->dir,
				    why ? why : strerror(-r));
	return 0;
}
