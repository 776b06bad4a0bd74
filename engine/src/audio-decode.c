/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Audio inputs as CD-DA (44.1 kHz, signed 16-bit, stereo, little-endian; Red Book): raw
 * BIN files are read as they lie (MOTOROLA ones byte-swapped), everything else through
 * libsndfile. A file at another rate or channel count is converted once, up front, into an
 * unlinked temporary file (libsamplerate, SRC_SINC_MEDIUM_QUALITY), so that the burn reads
 * every input at drive pace the same way and verify compares against the same samples.
 */
#include "engine/audio.h"

#include <errno.h>
#include <fcntl.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/diag.h"
#include "common/io.h"

#define CHUNK_FRAMES 8192 /* frames converted at a time */

struct eng_audio_src {
	char *path;
	int fd;	   /* raw data: the BIN file or the converted copy; -1 when sf is used */
	bool swap; /* big-endian raw samples (MOTOROLA) */
	SNDFILE *sf;
	uint64_t frames;
	uint64_t sf_pos;	      /* libsndfile's read position, to seek only when needed */
	short *buf;		      /* CHUNK_FRAMES stereo frames for sf reads */
	char *title, *artist, *album; /* tags, NULL when none */
};

struct eng_audio_src *eng_audio_src_free(struct eng_audio_src *s)
{
	if (!s)
		return NULL;
	if (s->sf)
		(void)sf_close(s->sf);
	if (s->fd >= 0)
		(void)close(s->fd);
	free(s->buf);
	free(s->title);
	free(s->artist);
	free(s->album);
	free(s->path);
	free(s);
	return NULL;
}

const char *eng_audio_src_tag(const struct eng_audio_src *s, enum eng_cdtext_kind k, bool album)
{
	if (album)
		return k == ENG_CDTEXT_TITLE ? s->album : NULL;
	return k == ENG_CDTEXT_TITLE ? s->title : k == ENG_CDTEXT_PERFORMER ? s->artist : NULL;
}

/* A tag copied, NULL when absent or empty (an allocation failure only loses the tag). */
static char *tag_dup(SNDFILE *sf, int which)
{
	const char *v = sf_get_string(sf, which);

	return v && *v ? strdup(v) : NULL;
}

uint64_t eng_audio_src_frames(const struct eng_audio_src *s)
{
	return s->frames;
}

static int tmp_open(void)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	return fd < 0 ? -errno : fd;
}

/* in: n frames of `ch` channels; out: n stereo frames (mono doubled, others mixed down) */
static void to_stereo(const float *in, int ch, size_t n, float *out)
{
	for (size_t i = 0; i < n; i++) {
		const float *f = in + i * (size_t)ch;
		float l = f[0], r = ch > 1 ? f[1] : f[0];

		/* more than two channels: the rest mixed equally into both, at half level */
		for (int c = 2; c < ch; c++) {
			l += f[c] * 0.5f;
			r += f[c] * 0.5f;
		}
		if (ch > 2) {
			l /= 1.0f + 0.5f * (float)(ch - 2);
			r /= 1.0f + 0.5f * (float)(ch - 2);
		}
		out[2 * i] = l;
		out[2 * i + 1] = r;
	}
}

/* Resampled float frames out of the converter into fd as LE16; counts them. */
static int emit_frames(int fd, const float *f, long n, uint64_t *frames)
{
	_cleanup_free_ short *s = bfs_new(short, (size_t)n * 2);
	_cleanup_free_ uint8_t *b = bfs_new(uint8_t, (size_t)n * 4);

	if (!s || !b)
		return -ENOMEM;
	src_float_to_short_array(f, s, (int)n * 2);
	for (long i = 0; i < n * 2; i++)
		bfs_put_le16(b + 2 * i, (uint16_t)s[i]);
	*frames += (uint64_t)n;
	return bfs_write_all(fd, b, (size_t)n * 4);
}

struct conv {
	SNDFILE *sf;
	SF_INFO info;
	SRC_STATE *src;
	float *in, *st, *out;
	size_t out_cap;
};

static void conv_done(struct conv *c)
{
	if (c->src)
		(void)src_delete(c->src);
	free(c->in);
	free(c->st);
	free(c->out);
}

/* Read the whole file through the converter into fd. */
static int conv_run(struct conv *c, int fd, uint64_t *frames)
{
	double ratio = (double)ENG_CD_RATE / c->info.samplerate;
	bool eof = false;
	int r;

	while (!eof) {
		sf_count_t n = sf_readf_float(c->sf, c->in, CHUNK_FRAMES);
		SRC_DATA d = {.data_in = c->st,
			      .input_frames = (long)n,
			      .data_out = c->out,
			      .output_frames = (long)(c->out_cap / 2),
			      .src_ratio = ratio};

		eof = n < CHUNK_FRAMES;
		d.end_of_input = eof;
		to_stereo(c->in, c->info.channels, (size_t)n, c->st);
		/* the converter may keep input back: feed it until it has taken this chunk */
		do {
			int e = src_process(c->src, &d);

			if (e)
				return -EIO;
			if ((r = emit_frames(fd, d.data_out, d.output_frames_gen, frames)) < 0)
				return r;
			d.data_in += d.input_frames_used * 2;
			d.input_frames -= d.input_frames_used;
		} while (d.input_frames > 0 || (eof && d.output_frames_gen > 0));
	}
	return 0;
}

static int convert(struct eng_audio_src *s, SNDFILE *sf, const SF_INFO *info, struct bfs_diag *diag)
{
	struct conv c = {.sf = sf, .info = *info};
	int fd, err, r;

	c.out_cap = (size_t)(CHUNK_FRAMES * ((double)ENG_CD_RATE / info->samplerate + 1) + 64) * 2;
	c.in = bfs_new(float, (size_t)CHUNK_FRAMES *(size_t)info->channels);
	c.st = bfs_new(float, (size_t)CHUNK_FRAMES * 2);
	c.out = bfs_new(float, c.out_cap);
	c.src = src_new(SRC_SINC_MEDIUM_QUALITY, 2, &err);
	if (!c.in || !c.st || !c.out || !c.src) {
		conv_done(&c);
		return c.src ? -ENOMEM
			     : bfs_diag_set(diag, -EIO, "libsamplerate: %s", src_strerror(err));
	}
	if ((fd = tmp_open()) < 0) {
		conv_done(&c);
		return bfs_diag_set(diag, fd, "'%s': no temporary file for the conversion: %s",
				    s->path, strerror(-fd));
	}
	r = conv_run(&c, fd, &s->frames);
	conv_done(&c);
	if (r < 0) {
		(void)close(fd);
		return bfs_diag_set(diag, r, "'%s': conversion to 44.1 kHz stereo failed", s->path);
	}
	s->fd = fd;
	return 0;
}

static int open_sndfile(struct eng_audio_src *s, struct bfs_diag *diag)
{
	SF_INFO info = {0};
	SNDFILE *sf = sf_open(s->path, SFM_READ, &info);
	int r;

	if (!sf)
		return bfs_diag_set(diag, -EINVAL, "'%s': %s", s->path, sf_strerror(NULL));
	s->title = tag_dup(sf, SF_STR_TITLE);
	s->artist = tag_dup(sf, SF_STR_ARTIST);
	s->album = tag_dup(sf, SF_STR_ALBUM);
	if (info.samplerate == ENG_CD_RATE && info.channels == 2) {
		s->sf = sf;
		s->frames = (uint64_t)info.frames;
		s->buf = bfs_new(short, (size_t)CHUNK_FRAMES * 2);
		return s->buf ? 0 : -ENOMEM;
	}
	if (info.samplerate <= 0 || info.channels <= 0 || info.channels > 64) {
		(void)sf_close(sf);
		return bfs_diag_set(diag, -EINVAL, "'%s': %d Hz, %d channels", s->path,
				    info.samplerate, info.channels);
	}
	bfs_diag_warn(diag, "'%s': %d Hz, %d channel%s: converted to 44.1 kHz stereo", s->path,
		      info.samplerate, info.channels, info.channels == 1 ? "" : "s");
	r = convert(s, sf, &info, diag);
	(void)sf_close(sf);
	return r;
}

int eng_audio_src_open(const char *path, enum eng_cue_ftype type, struct eng_audio_src **ret,
		       struct bfs_diag *diag)
{
	_cleanup_(eng_audio_src_freep) struct eng_audio_src *s = bfs_new(struct eng_audio_src, 1);
	struct stat st;
	int r;

	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->path = strdup(path);
	if (!s->path)
		return -ENOMEM;
	if (type == ENG_CUE_BINARY || type == ENG_CUE_MOTOROLA) {
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0 || fstat(s->fd, &st) < 0)
			return bfs_diag_set(diag, -errno, "'%s': %m", path);
		s->frames = (uint64_t)st.st_size / 4;
		s->swap = type == ENG_CUE_MOTOROLA;
	} else if ((r = open_sndfile(s, diag)) < 0) {
		return r;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

static int read_raw(struct eng_audio_src *s, uint64_t first, size_t n, uint8_t *buf,
		    struct bfs_diag *diag)
{
	ssize_t got = bfs_pread_full(s->fd, buf, n * 4, (off_t)(first * 4));

	if (got < 0 || (size_t)got < n * 4)
		return bfs_diag_set(diag, got < 0 ? (int)got : -EIO, "'%s': read failed", s->path);
	if (s->swap)
		for (size_t i = 0; i < n * 4; i += 2) {
			uint8_t t = buf[i];

			buf[i] = buf[i + 1];
			buf[i + 1] = t;
		}
	return 0;
}

static int read_sf(struct eng_audio_src *s, uint64_t first, size_t n, uint8_t *buf,
		   struct bfs_diag *diag)
{
	if (s->sf_pos != first) {
		if (sf_seek(s->sf, (sf_count_t)first, SEEK_SET) < 0)
			return bfs_diag_set(diag, -EIO, "'%s': seek failed: %s", s->path,
					    sf_strerror(s->sf));
		s->sf_pos = first;
	}
	while (n) {
		size_t k = BFS_MIN(n, (size_t)CHUNK_FRAMES);
		sf_count_t got = sf_readf_short(s->sf, s->buf, (sf_count_t)k);

		if (got != (sf_count_t)k)
			return bfs_diag_set(diag, -EIO, "'%s': short read at frame %llu: %s",
					    s->path, (unsigned long long)s->sf_pos,
					    sf_strerror(s->sf));
		for (size_t i = 0; i < k * 2; i++)
			bfs_put_le16(buf + 2 * i, (uint16_t)s->buf[i]);
		buf += k * 4;
		n -= k;
		s->sf_pos += k;
	}
	return 0;
}

int eng_audio_src_read(struct eng_audio_src *s, uint64_t first, size_t n, uint8_t *buf,
		       struct bfs_diag *diag)
{
	size_t have = first >= s->frames ? 0 : (size_t)BFS_MIN((uint64_t)n, s->frames - first);
	int r;

	/* past the end: silence (a file not a whole number of sectors is padded) */
	memset(buf + have * 4, 0, (n - have) * 4);
	if (!have)
		return 0;
	r = s->sf ? read_sf(s, first, have, buf, diag) : read_raw(s, first, have, buf, diag);
	return r;
}
