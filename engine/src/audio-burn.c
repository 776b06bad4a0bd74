/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Burning an audio plan (engine/audio.h) and reading it back. The plan's runs are read as
 * one program stream of stereo frames from INDEX 00 of track 1 (LBA -150 in SAO) to the
 * lead-out; the burn sends it to the drive in the order mmc/audio.h describes, and verify
 * compares READ CD's sectors with the same stream, shifted by the drive's read offset.
 */
#include "engine/audio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "mmc/audio.h"
#include "mmc/mmc.h"

#define CHUNK	      32 /* sectors a WRITE or READ CD: 75 KiB */
#define PROBE_SECTORS 8	 /* sectors read to find the read offset */

/* The plan's runs as one stream of frames; frame 0 is the first audio track's INDEX 00. */
struct prog {
	const struct eng_audio_plan *p;
	uint64_t *starts; /* first frame of each run */
	uint64_t frames;
};

static void prog_done(struct prog *pr)
{
	free(pr->starts);
}

static int prog_init(struct prog *pr, const struct eng_audio_plan *p)
{
	*pr = (struct prog){.p = p, .starts = bfs_new(uint64_t, p->nruns)};
	if (!pr->starts)
		return -ENOMEM;
	for (size_t i = 0; i < p->nruns; i++) {
		pr->starts[i] = pr->frames;
		pr->frames += p->runs[i].frames;
	}
	return 0;
}

/* The run holding frame f (f < pr->frames). */
static size_t prog_run(const struct prog *pr, uint64_t f)
{
	size_t lo = 0, hi = pr->p->nruns;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (pr->starts[mid] <= f)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* n frames from frame f (which may lie outside the stream: silence there) as CD-DA bytes. */
static int prog_read(const struct prog *pr, int64_t f, size_t n, uint8_t *buf,
		     struct bfs_diag *diag)
{
	while (n) {
		const struct eng_audio_run *run;
		size_t k, i;
		uint64_t in;
		int r;

		if (f < 0 || (uint64_t)f >= pr->frames) {
			k = f < 0 ? (size_t)BFS_MIN((uint64_t)-f, (uint64_t)n) : n;
			memset(buf, 0, k * 4);
		} else {
			i = prog_run(pr, (uint64_t)f);
			run = &pr->p->runs[i];
			in = (uint64_t)f - pr->starts[i];
			k = (size_t)BFS_MIN((uint64_t)n, run->frames - in);
			if (!run->src)
				memset(buf, 0, k * 4);
			else if ((r = eng_audio_src_read(run->src, run->first + in, k, buf, diag)) <
				 0)
				return r;
		}
		f += (int64_t)k;
		buf += k * 4;
		n -= k;
	}
	return 0;
}

/* The first audio track: track 2 after a mixed-mode CD's data track. */
static size_t first_audio(const struct eng_audio_plan *p)
{
	return p->data ? 1 : 0;
}

static int64_t frame_of(const struct eng_audio_plan *p, int32_t lba)
{
	return ((int64_t)lba - p->tracks[first_audio(p)].pregap_lba) * ENG_CD_SAMPLES;
}

/* n blocks of the data track from block `block` (negative: its pregap, zeros) into buf. */
static int data_read(const struct eng_audio_plan *p, int32_t block, uint32_t n, uint8_t *buf,
		     struct bfs_diag *diag)
{
	const uint64_t bframes = ENG_CD_DATA_BLOCK / 4;
	uint32_t zeros = block < 0 ? (uint32_t)BFS_MIN((int64_t)n, -(int64_t)block) : 0;

	memset(buf, 0, (size_t)zeros * ENG_CD_DATA_BLOCK);
	if (zeros == n)
		return 0;
	/* a BINARY source reads the file's bytes unchanged: 512 "frames" a block */
	return eng_audio_src_read(p->data, (uint64_t)(block + (int32_t)zeros) * bframes,
				  (size_t)((n - zeros) * bframes),
				  buf + (size_t)zeros * ENG_CD_DATA_BLOCK, diag);
}

struct job {
	const struct eng_audio_burn_opts *o;
	struct eng_audio_status st;
	struct prog pr;
	uint8_t *buf, *want;
};

static int tell(struct job *j, uint64_t step)
{
	j->st.done += step;
	if (j->o->progress && j->o->progress(&j->st, j->o->userdata) < 0)
		return -ECANCELED;
	return 0;
}

/* Sectors [lba, lba + n) of the program written at disc LBA dst on. */
static int write_span(struct mmc_drive *d, struct job *j, int32_t lba, uint32_t n, int32_t dst,
		      struct bfs_diag *diag)
{
	for (uint32_t done = 0; done < n;) {
		uint32_t k = BFS_MIN(n - done, (uint32_t)CHUNK);
		int r;

		if ((r = prog_read(&j->pr, frame_of(j->pr.p, lba + (int32_t)done),
				   (size_t)k * ENG_CD_SAMPLES, j->buf, diag)) < 0 ||
		    (r = mmc_audio_write(d, dst + (int32_t)done, k, j->buf, diag)) < 0 ||
		    (r = tell(j, k)) < 0)
			return r == -ECANCELED ? bfs_diag_set(diag, r, "cancelled") : r;
		done += k;
	}
	return 0;
}

/* The plan as mmc/audio.h's SAO layout. */
static int to_layout(const struct eng_audio_plan *p, bool cdtext, struct mmc_audio_layout *l,
		     struct bfs_diag *diag)
{
	*l = (struct mmc_audio_layout){
		.first = p->tracks[0].number, .ntracks = (unsigned)p->ntracks, .cdtext = cdtext};
	memcpy(l->mcn, p->mcn, sizeof(l->mcn));
	for (size_t i = 0; i < p->ntracks; i++) {
		const struct eng_audio_ptrack *t = &p->tracks[i];
		struct mmc_audio_track *m = &l->tracks[i];

		if (t->nindex > MMC_AUDIO_INDEXES_MAX)
			return bfs_diag_set(diag, -EOPNOTSUPP,
					    "track %02u has %u index points: %u at most", t->number,
					    t->nindex + 1, MMC_AUDIO_INDEXES_MAX + 1);
		*m = (struct mmc_audio_track){.ctl = (uint8_t)t->ctl,
					      .pregap = (uint32_t)(t->start - t->pregap_lba),
					      .length = t->length,
					      .nindex = t->nindex};
		for (unsigned k = 0; k < t->nindex; k++)
			m->index[k] = (uint32_t)(t->index[k] - t->start);
		memcpy(m->isrc, t->isrc, sizeof(m->isrc));
	}
	return 0;
}

/* A mixed-mode CD's data track, from its pregap at -150 (zeros) to its last block. */
static int write_data(struct mmc_drive *d, struct job *j, struct bfs_diag *diag)
{
	const struct eng_audio_plan *p = j->pr.p;
	int32_t end = (int32_t)p->data_blocks;

	for (int32_t b = p->tracks[0].pregap_lba; b < end;) {
		uint32_t k = (uint32_t)BFS_MIN(end - b, (int32_t)CHUNK);
		int r;

		if ((r = data_read(p, b, k, j->buf, diag)) < 0 ||
		    (r = mmc_audio_write_data(d, b, k, j->buf, diag)) < 0 || (r = tell(j, k)) < 0)
			return r == -ECANCELED ? bfs_diag_set(diag, r, "cancelled") : r;
		b += (int32_t)k;
	}
	return 0;
}

static int burn_sao(struct mmc_drive *d, struct job *j, struct bfs_diag *diag)
{
	const struct eng_audio_plan *p = j->pr.p;
	struct mmc_audio_layout *l = bfs_new(struct mmc_audio_layout, 1);
	int32_t first = p->tracks[0].pregap_lba, audio = p->tracks[first_audio(p)].pregap_lba;
	int r;

	if (!l)
		return -ENOMEM;
	if ((r = to_layout(p, j->o->cdtext != NULL, l, diag)) < 0)
		goto out;
	/* the plan and the MMC layer must agree on every block, or the cue sheet lies */
	if (mmc_audio_layout_blocks(l) != (uint64_t)(p->leadout - first)) {
		r = bfs_diag_set(diag, -EPROTO, "bug: the plan has %lld blocks, its layout %llu",
				 (long long)(p->leadout - first),
				 (unsigned long long)mmc_audio_layout_blocks(l));
		goto out;
	}
	if ((r = mmc_audio_set_sao(d, j->o->simulate, false, diag)) < 0 ||
	    (r = mmc_audio_send_cue_sheet(d, l, diag)) < 0)
		goto out;
	if (j->o->cdtext && (r = mmc_audio_write_leadin(d, j->o->cdtext, j->o->ncdtext, diag)) < 0)
		goto out;
	j->st = (struct eng_audio_status){.phase = ENG_AUDIO_PHASE_WRITE,
					  .track = p->tracks[0].number,
					  .total = (uint64_t)(p->leadout - first)};
	if (p->data && (r = write_data(d, j, diag)) < 0)
		goto out;
	if ((r = write_span(d, j, audio, (uint32_t)(p->leadout - audio), audio, diag)) < 0)
		goto out;
	r = mmc_sync_cache(d, diag);
out:
	free(l);
	return r;
}

/*
 * READ TRACK INFORMATION of the invisible track (MMC-6 6.27: address type 01b, track FFh):
 * where the next TAO track's audio goes, after the 2-s pregap the drive lays down itself.
 * Asked directly: a disc's "last track" in READ DISC INFORMATION may still name the track
 * just closed.
 */
static int tao_nwa(struct mmc_drive *d, unsigned tno, int32_t *ret, struct bfs_diag *diag)
{
	const uint8_t cdb[10] = {0x52, 0x01, 0, 0, 0, 0xFF, 0, 0, 48, 0};
	uint8_t reply[48] = {0};
	struct mmc_track t;
	int r;

	if ((r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, reply, sizeof(reply), NULL, diag)) < 0)
		return r;
	if (mmc_parse_track_info(reply, sizeof(reply), &t) < 0 || !t.nwa_valid || t.nwa > INT32_MAX)
		return bfs_diag_set(diag, -EIO, "track %02u: the drive gives no writable address",
				    tno);
	*ret = (int32_t)t.nwa;
	return 0;
}

static int burn_tao(struct mmc_drive *d, struct job *j, struct bfs_diag *diag)
{
	const struct eng_audio_plan *p = j->pr.p;
	int r;

	j->st = (struct eng_audio_status){.phase = ENG_AUDIO_PHASE_WRITE};
	for (size_t i = 0; i < p->ntracks; i++)
		j->st.total += p->tracks[i].length;
	for (size_t i = 0; i < p->ntracks; i++) {
		const struct eng_audio_ptrack *t = &p->tracks[i];
		struct mmc_audio_tao tao = {
			.test = j->o->simulate, .multi = !j->o->close, .ctl = (uint8_t)t->ctl};
		int32_t nwa = 0;

		memcpy(tao.isrc, t->isrc, sizeof(tao.isrc));
		memcpy(tao.mcn, p->mcn, sizeof(tao.mcn));
		j->st.track = t->number;
		if ((r = mmc_audio_set_tao(d, &tao, diag)) < 0 ||
		    (r = tao_nwa(d, t->number, &nwa, diag)) < 0)
			return r;
		if ((r = write_span(d, j, t->start, t->length, nwa, diag)) < 0 ||
		    (r = mmc_sync_cache(d, diag)) < 0 || (r = mmc_audio_close_track(d, diag)) < 0)
			return r;
	}
	return mmc_audio_close_session(d, diag);
}

/*
 * A writable CD with room for the plan, in blocks from the NWA: SAO from LBA 0 to the
 * lead-out; TAO each track's body and the 2-s gap the drive lays before all but a blank
 * disc's first.
 */
static int check_disc(struct mmc_drive *d, const struct eng_audio_plan *p,
		      const struct eng_audio_burn_opts *o, struct bfs_diag *diag)
{
	bool sao = o->mode == ENG_AUDIO_SAO;
	char need_s[16], have_s[16];
	struct mmc_media m;
	uint64_t need = 0;
	int r;

	if ((r = mmc_media_probe(d, &m, diag)) < 0)
		return r;
	if (m.profile != 0x0009 && m.profile != 0x000A)
		return bfs_diag_set(diag, -EMEDIUMTYPE,
				    "the disc is a %s: audio needs a CD-R or CD-RW",
				    m.profile_name ? m.profile_name : "disc of no known kind");
	if (m.status != MMC_DISC_BLANK && (sao || m.status != MMC_DISC_APPENDABLE))
		return bfs_diag_set(
			diag, -EMEDIUMTYPE, "the disc is %s: %s", mmc_disc_status_name(m.status),
			sao ? "disc-at-once needs a blank disc" : "no track can be added");
	if (sao)
		need = (uint64_t)p->leadout;
	for (size_t i = 0; !sao && i < p->ntracks; i++)
		need += p->tracks[i].length +
			(i || m.status != MMC_DISC_BLANK ? ENG_CD_LEADIN_GAP : 0);
	if (need <= m.free_blocks)
		return 0;
	return bfs_diag_set(diag, -ENOSPC, "the album needs %s%s, the disc has %s free",
			    eng_msf_format((uint32_t)BFS_MIN(need, (uint64_t)UINT32_MAX), need_s,
					   sizeof(need_s)),
			    sao ? "" : " with its gaps",
			    eng_msf_format((uint32_t)BFS_MIN(m.free_blocks, (uint64_t)UINT32_MAX),
					   have_s, sizeof(have_s)));
}

static int job_init(struct job *j, const struct eng_audio_plan *p,
		    const struct eng_audio_burn_opts *o)
{
	*j = (struct job){.o = o};
	j->buf = bfs_new(uint8_t, (size_t)CHUNK * ENG_CD_SECTOR);
	j->want = bfs_new(uint8_t, (size_t)CHUNK * ENG_CD_SECTOR + 2u * o->offset_search * 4 + 4);
	if (!j->buf || !j->want)
		return -ENOMEM;
	return prog_init(&j->pr, p);
}

static void job_done(struct job *j)
{
	prog_done(&j->pr);
	free(j->buf);
	free(j->want);
}

/*
 * What track-at-once cannot write: the drive lays 2 s of silence before each track, and
 * without a cue sheet there are no index points, so a plan with its own pregaps (INDEX 00
 * audio, a hidden track, PREGAP) or INDEX 02.. is refused rather than burnt without them.
 */
static int tao_check(const struct eng_audio_plan *p, struct bfs_diag *diag)
{
	for (size_t i = 0; i < p->ntracks; i++) {
		const struct eng_audio_ptrack *t = &p->tracks[i];
		int32_t gap = t->start - t->pregap_lba;
		const char *what = NULL;

		if (t->nindex)
			what = "index points";
		else if (i > 0 && gap)
			what = "a pregap";
		else if (i == 0 && (gap != ENG_CD_LEADIN_GAP || p->runs[0].src))
			what = "a pregap of its own";
		if (what)
			return bfs_diag_set(diag, -EINVAL,
					    "track %02u has %s: track-at-once cannot write them "
					    "(disc-at-once can)",
					    t->number, what);
	}
	return 0;
}

int eng_audio_burn(struct mmc_drive *d, const struct eng_audio_plan *p,
		   const struct eng_audio_burn_opts *o, struct bfs_diag *diag)
{
	struct job j;
	int r;

	if (o->mode == ENG_AUDIO_TAO && o->cdtext)
		return bfs_diag_set(diag, -EINVAL, "CD-Text needs disc-at-once");
	if (o->mode == ENG_AUDIO_TAO && p->data)
		return bfs_diag_set(diag, -EINVAL,
				    "a mixed-mode CD (a data track 1) needs disc-at-once");
	if (o->mode == ENG_AUDIO_TAO && (r = tao_check(p, diag)) < 0)
		return r;
	if ((r = check_disc(d, p, o, diag)) < 0)
		return r;
	if ((r = job_init(&j, p, o)) == 0)
		r = o->mode == ENG_AUDIO_SAO ? burn_sao(d, &j, diag) : burn_tao(d, &j, diag);
	job_done(&j);
	if (r < 0 || !o->verify || o->simulate)
		return r;
	return eng_audio_verify(d, p, o, NULL, diag);
}

/* ---- verify ---- */

/* Where each planned track's INDEX 01 is on the disc: the plan's (SAO), the TOC's (TAO). */
static int disc_starts(struct mmc_drive *d, const struct eng_audio_plan *p, bool tao,
		       int32_t *starts, struct bfs_diag *diag)
{
	struct mmc_toc *toc;
	int r;

	for (size_t i = 0; i < p->ntracks; i++)
		starts[i] = p->tracks[i].start;
	if (!tao)
		return 0;
	toc = bfs_new(struct mmc_toc, 1);
	if (!toc)
		return -ENOMEM;
	r = mmc_read_toc(d, toc, diag);
	/* the disc's last audio tracks: a data session may follow them (Enhanced CD) */
	for (size_t i = toc->ntracks, k = p->ntracks; r == 0 && k > 0; k--) {
		while (i > 0 && (toc->tracks[i - 1].ctl & MMC_AUDIO_CTL_DATA))
			i--;
		if (i == 0)
			r = bfs_diag_set(diag, -EIO,
					 "the disc has %zu audio tracks, %zu were planned",
					 p->ntracks - k, p->ntracks);
		else
			starts[k - 1] = toc->tracks[--i].start;
	}
	free(toc);
	return r;
}

/* The sector of the first differing byte in [lo, hi) of a chunk, by track and disc time. */
static int mismatch(const struct eng_audio_ptrack *t, int32_t disc_start, int32_t lba,
		    const uint8_t *got, const uint8_t *want, size_t lo, size_t hi,
		    struct bfs_diag *diag)
{
	char rel[16], abs[16];
	int32_t s, off;

	while (lo + 1 < hi && got[lo] == want[lo])
		lo++;
	s = (int32_t)(lo / ENG_CD_SECTOR);
	off = lba + s - disc_start;
	eng_msf_format((uint32_t)(off < 0 ? -off : off), rel, sizeof(rel));
	eng_msf_format((uint32_t)(lba + s + ENG_CD_LEADIN_GAP), abs, sizeof(abs));
	return bfs_diag_set(
		diag, -EILSEQ, "track %02u differs from its source at %s%s%s (disc time %s)",
		t->number, off < 0 ? "-" : "", rel, off < 0 ? " in its pregap" : "", abs);
}

/*
 * The bytes [*lo, *hi) of a chunk of n frames whose source starts at frame f: read with a
 * drive's offset, the first or last samples of the disc come from before or after the
 * program, which nobody knows, so they are not compared.
 */
static void comparable(const struct prog *pr, int64_t f, size_t n, size_t *lo, size_t *hi)
{
	int64_t end = f + (int64_t)n, total = (int64_t)pr->frames;

	*lo = f < 0 ? (size_t)BFS_MIN(-f, (int64_t)n) * 4 : 0;
	*hi = end > total ? (size_t)BFS_MAX(total - f, (int64_t)0) * 4 : n * 4;
	if (*hi < *lo)
		*hi = *lo;
}

/* The data track read with READ(10) and compared block by block with its image. */
static int verify_data(struct mmc_drive *d, struct job *j, struct bfs_diag *diag)
{
	const struct eng_audio_plan *p = j->pr.p;
	uint8_t *want = j->want;

	j->st.track = p->tracks[0].number;
	for (uint32_t b = 0; b < p->data_blocks;) {
		uint32_t k = BFS_MIN(p->data_blocks - b, (uint32_t)CHUNK);
		size_t at = 0, n = (size_t)k * ENG_CD_DATA_BLOCK;
		int r;

		if ((r = mmc_read(d, b, k, j->buf, false, diag)) < 0 ||
		    (r = data_read(p, (int32_t)b, k, want, diag)) < 0)
			return r;
		while (at < n && j->buf[at] == want[at])
			at++;
		if (at < n)
			return bfs_diag_set(
				diag, -EILSEQ, "data track %02u differs from its image at block %u",
				p->tracks[0].number, b + (uint32_t)(at / ENG_CD_DATA_BLOCK));
		if ((r = tell(j, k)) < 0)
			return bfs_diag_set(diag, r, "cancelled");
		b += k;
	}
	return 0;
}

static int verify_track(struct mmc_drive *d, struct job *j, size_t i, int32_t disc_start, int shift,
			struct bfs_diag *diag)
{
	const struct eng_audio_ptrack *t = &j->pr.p->tracks[i];
	bool tao = j->o->mode == ENG_AUDIO_TAO;
	int32_t from = tao ? t->start : t->pregap_lba, to = t->start + (int32_t)t->length;
	int32_t delta = disc_start - t->start; /* disc LBA - plan LBA */
	int r;

	j->st.track = t->number;
	for (int32_t lba = from; lba < to;) {
		uint32_t k = (uint32_t)BFS_MIN(to - lba, (int32_t)CHUNK);
		size_t n = (size_t)k * ENG_CD_SAMPLES, lo, hi;
		int64_t f = frame_of(j->pr.p, lba) + shift;

		if ((r = mmc_audio_read(d, lba + delta, k, j->buf, diag)) < 0 ||
		    (r = prog_read(&j->pr, f, n, j->want, diag)) < 0)
			return r;
		comparable(&j->pr, f, n, &lo, &hi);
		if (memcmp(j->buf + lo, j->want + lo, hi - lo))
			return mismatch(t, disc_start, lba + delta, j->buf, j->want, lo, hi, diag);
		if ((r = tell(j, k)) < 0)
			return bfs_diag_set(diag, r, "cancelled");
		lba += (int32_t)k;
	}
	return 0;
}

/*
 * The drive's read offset: sectors from the middle of the longest track, compared with the
 * source shifted by 0, +1, -1, +2... samples up to the search width.
 */
static int find_offset(struct mmc_drive *d, struct job *j, const int32_t *starts, int *ret,
		       struct bfs_diag *diag)
{
	const struct eng_audio_plan *p = j->pr.p;
	int search = (int)j->o->offset_search;
	size_t best = 0, bytes = (size_t)PROBE_SECTORS * ENG_CD_SECTOR;
	int32_t mid;
	int r;

	best = first_audio(p);
	for (size_t i = best + 1; i < p->ntracks; i++)
		if (p->tracks[i].length > p->tracks[best].length)
			best = i;
	mid = p->tracks[best].start + (int32_t)p->tracks[best].length / 2;
	if ((r = mmc_audio_read(d, mid + starts[best] - p->tracks[best].start, PROBE_SECTORS,
				j->buf, diag)) < 0 ||
	    (r = prog_read(&j->pr, frame_of(p, mid) - search,
			   (size_t)PROBE_SECTORS * ENG_CD_SAMPLES + 2u * (size_t)search, j->want,
			   diag)) < 0)
		return r;
	for (int k = 0; k <= 2 * search; k++) {
		int s = (k + 1) / 2 * (k % 2 ? 1 : -1);

		if (!memcmp(j->buf, j->want + (size_t)(search + s) * 4, bytes)) {
			*ret = s;
			return 0;
		}
	}
	return bfs_diag_set(diag, -EILSEQ,
			    "track %02u matches its source at no read offset within %d samples",
			    p->tracks[best].number, search);
}

int eng_audio_verify(struct mmc_drive *d, const struct eng_audio_plan *p,
		     const struct eng_audio_burn_opts *o, int *ret_offset, struct bfs_diag *diag)
{
	int32_t starts[ENG_CD_MAX_TRACKS];
	int shift = 0, r;
	struct job j;

	if (o->mode == ENG_AUDIO_TAO && p->data)
		return bfs_diag_set(diag, -EINVAL, "a mixed-mode CD is burnt disc-at-once");
	if ((r = job_init(&j, p, o)) < 0 ||
	    (r = disc_starts(d, p, o->mode == ENG_AUDIO_TAO, starts, diag)) < 0)
		goto out;
	if (o->offset_search && (r = find_offset(d, &j, starts, &shift, diag)) < 0)
		goto out;
	j.st = (struct eng_audio_status){.phase = ENG_AUDIO_PHASE_VERIFY, .total = p->data_blocks};
	for (size_t i = first_audio(p); i < p->ntracks; i++)
		j.st.total += (uint64_t)(p->tracks[i].start + (int32_t)p->tracks[i].length -
					 (o->mode == ENG_AUDIO_TAO ? p->tracks[i].start
								   : p->tracks[i].pregap_lba));
	if (p->data)
		r = verify_data(d, &j, diag);
	for (size_t i = first_audio(p); i < p->ntracks && r == 0; i++)
		r = verify_track(d, &j, i, starts[i], shift, diag);
	if (r == 0 && ret_offset)
		*ret_offset = shift;
out:
	job_done(&j);
	return r;
}
