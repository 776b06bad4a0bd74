/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The track plan of an audio disc and its MMC cue sheet (MMC-6 6.33 SEND CUE SHEET;
 * reference boot-audio.md §4). The plan lays the program area out as runs of source audio
 * and generated silence, from INDEX 00 of track 1 (LBA -150) to the lead-out, so that the
 * burn writes it and verify reads it back without looking at the sheet again.
 *
 * Cue sheet entry (8 bytes):
 *	OFFSET	SIZE	FIELD
 *	0	1	CTL (bits 7-4) | ADR (bits 3-0: 1 time, 2 MCN, 3 ISRC)
 *	1	1	TNO, binary (0 lead-in, AAh lead-out)
 *	2	1	INDEX, binary
 *	3	1	DATA FORM (00h host audio, 01h lead-in/out, 41h lead-in with host R-W)
 *	4	1	SCMS
 *	5	3	absolute M, S, F, binary (MSF 00:02:00 = LBA 0)
 *	ADR 2: bytes 1-7 digits 1-7, then 1-6 digits 8-13 and 0; ADR 3: 2-7 the ISRC's 1-6,
 *	then 2-7 its 7-12.
 */
#include "engine/audio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"

#define FORM_AUDIO	0x00
#define FORM_LEAD	0x01
#define FORM_MODE1	0x10 /* Mode 1, 2048 bytes from the host */
#define FORM_MODE1_LEAD 0x14 /* Mode 1 zeros the drive makes (a data disc's lead-in) */
#define FORM_TEXT	0x40 /* R-W CD-Text from the host in the lead-in */
#define ADR_TIME	1
#define ADR_MCN		2
#define ADR_ISRC	3
#define TNO_LEADOUT	0xAA
#define CUE_ENTRY	8

char *eng_msf_format(uint32_t sectors, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%02u:%02u:%02u", sectors / (60 * ENG_CD_FPS),
		       sectors / ENG_CD_FPS % 60, sectors % ENG_CD_FPS);
	return buf;
}

struct eng_audio_plan *eng_audio_plan_free(struct eng_audio_plan *p)
{
	if (!p)
		return NULL;
	free(p->runs);
	free(p);
	return NULL;
}

struct planner {
	struct eng_audio_plan *p;
	size_t cap;
	int32_t lba;
	const struct eng_cue_sheet *sheet;
	struct eng_audio_src *const *srcs;
	struct bfs_diag *diag;
};

static int add_run(struct planner *pl, struct eng_audio_src *src, uint64_t first, uint64_t sectors)
{
	if (!sectors)
		return 0;
	if (sectors > INT32_MAX / 2 || (int64_t)pl->lba + (int64_t)sectors > INT32_MAX / 2)
		return bfs_diag_set(pl->diag, -EINVAL, "the audio is longer than a disc can be");
	if (BFS_GROW(pl->p->runs, pl->cap, pl->p->nruns + 1) < 0)
		return -ENOMEM;
	pl->p->runs[pl->p->nruns++] = (struct eng_audio_run){
		.src = src, .first = first, .frames = sectors * ENG_CD_SAMPLES};
	pl->lba += (int32_t)sectors;
	return 0;
}

/* Sectors of a file from sector `off` to its end (a partial last sector counts, padded). */
static uint64_t tail_sectors(const struct eng_audio_src *s, uint32_t off)
{
	uint64_t frames = eng_audio_src_frames(s), from = (uint64_t)off * ENG_CD_SAMPLES;

	return frames > from ? BFS_DIV_ROUND_UP(frames - from, ENG_CD_SAMPLES) : 0;
}

/* Sectors of the audio from index point a to b (b NULL: the end of a's file). */
static uint64_t span_sectors(struct planner *pl, const struct eng_cue_index *a,
			     const struct eng_cue_index *b)
{
	if (b && b->file == a->file)
		return b->offset - a->offset;
	return tail_sectors(pl->srcs[a->file], a->offset) + (b ? b->offset : 0);
}

static int add_span(struct planner *pl, const struct eng_cue_index *a,
		    const struct eng_cue_index *b)
{
	int r;

	if (b && b->file == a->file)
		return add_run(pl, pl->srcs[a->file], (uint64_t)a->offset * ENG_CD_SAMPLES,
			       b->offset - a->offset);
	/* a FILE change between index points (EAC's "gaps appended to the previous track") */
	r = add_run(pl, pl->srcs[a->file], (uint64_t)a->offset * ENG_CD_SAMPLES,
		    tail_sectors(pl->srcs[a->file], a->offset));
	if (r == 0 && b)
		r = add_run(pl, pl->srcs[b->file], 0, b->offset);
	return r;
}

/* The index point after track ti's index j: its next index, the next track's first, none. */
static const struct eng_cue_index *next_mark(const struct eng_cue_sheet *s, size_t ti, unsigned j)
{
	if (j + 1 < s->tracks[ti].nindex)
		return &s->tracks[ti].index[j + 1];
	if (ti + 1 < s->ntracks)
		return &s->tracks[ti + 1].index[0];
	return NULL;
}

static int check_index(struct planner *pl, const struct eng_cue_track *t,
		       const struct eng_cue_index *x)
{
	const struct eng_audio_src *s = pl->srcs[x->file];
	char at[16], len[16];

	if ((uint64_t)x->offset * ENG_CD_SAMPLES <= eng_audio_src_frames(s))
		return 0;
	return bfs_diag_set(pl->diag, -EINVAL,
			    "track %02u INDEX %02u at %s is past the end of '%s' (%s)", t->number,
			    x->number, eng_msf_format(x->offset, at, sizeof(at)),
			    pl->sheet->files[x->file].path,
			    eng_msf_format((uint32_t)tail_sectors(s, 0), len, sizeof(len)));
}

/* Silence so that the track's INDEX 01 is at least 2 s after its INDEX 00. */
static int lead_silence(struct planner *pl, const struct eng_cue_track *t)
{
	uint64_t before = t->pregap;

	if (t->index[0].number == 0)
		before += span_sectors(pl, &t->index[0], &t->index[1]);
	return before < ENG_CD_LEADIN_GAP ? add_run(pl, NULL, 0, ENG_CD_LEADIN_GAP - before) : 0;
}

/*
 * Data track 1 of a mixed-mode CD: its file's 2048-byte blocks from LBA 0, after a pregap of
 * 150 blocks at -150 (zeros). The file is the track's alone, from its start: an ISO image.
 * The track ends with a post-gap of 150 Mode 1 blocks of zeros, part of it, as a data
 * track followed by a track of another mode does (ECMA-130: a change of mode needs the
 * post-gap of the track before as well as the pregap of the one after, each 2 s).
 */
static int plan_data(struct planner *pl)
{
	const struct eng_cue_track *ct = &pl->sheet->tracks[0];
	const struct eng_cue_file *f = &pl->sheet->files[ct->index[0].file];
	struct eng_audio_src *src = pl->srcs[ct->index[0].file];
	uint64_t frames = eng_audio_src_frames(src), bframes = ENG_CD_DATA_BLOCK / 4;

	if (ct->nindex != 1 || ct->index[0].number != 1 || ct->index[0].offset || ct->pregap ||
	    ct->postgap || f->type != ENG_CUE_BINARY ||
	    (pl->sheet->ntracks > 1 && pl->sheet->tracks[1].index[0].file == ct->index[0].file))
		return bfs_diag_set(pl->diag, -EINVAL,
				    "data track 01 must be a BINARY file of its own, INDEX 01 "
				    "00:00:00 only (an ISO image)");
	if (frames % bframes || frames == 0 || frames / bframes > INT32_MAX / 4)
		return bfs_diag_set(pl->diag, -EINVAL,
				    "'%s' is %llu bytes: a data track is whole 2048-byte blocks",
				    f->path, (unsigned long long)frames * 4);
	pl->p->data = src;
	/*
	 * a track is 4 s at least: a small image is padded with zeros (read past its end);
	 * then its post-gap, also read past the end
	 */
	pl->p->data_blocks = (uint32_t)BFS_MAX(frames / bframes, (uint64_t)ENG_CD_MIN_TRACK) +
			     ENG_CD_DATA_POSTGAP;
	pl->p->tracks[0] =
		(struct eng_audio_ptrack){.number = ct->number,
					  .ctl = ENG_CD_CTL_DATA | (ct->ctl & ENG_CD_CTL_COPY),
					  .pregap_lba = pl->lba,
					  .start = 0,
					  .length = pl->p->data_blocks};
	pl->lba = (int32_t)pl->p->data_blocks;
	return 0;
}

static int plan_track(struct planner *pl, size_t ti)
{
	const struct eng_cue_track *ct = &pl->sheet->tracks[ti];
	struct eng_audio_ptrack *t = &pl->p->tracks[ti];
	int r;

	*t = (struct eng_audio_ptrack){.number = ct->number,
				       .ctl = ct->ctl,
				       .pregap_lba = pl->lba,
				       .first_run = pl->p->nruns};
	memcpy(t->isrc, ct->isrc, sizeof(t->isrc));
	if (ti == 0 && (ct->ctl & ENG_CD_CTL_DATA))
		return plan_data(pl);
	/* track 1's 2 s, and those an audio track after the data track needs */
	if ((ti == 0 || (ti == 1 && pl->p->data)) && (r = lead_silence(pl, ct)) < 0)
		return r;
	if ((r = add_run(pl, NULL, 0, ct->pregap)) < 0)
		return r;
	for (unsigned j = 0; j < ct->nindex; j++) {
		const struct eng_cue_index *x = &ct->index[j];

		if ((r = check_index(pl, ct, x)) < 0)
			return r;
		if (x->number == 1)
			t->start = pl->lba;
		else if (x->number >= 2)
			t->index[t->nindex++] = pl->lba;
		if ((r = add_span(pl, x, next_mark(pl->sheet, ti, j))) < 0)
			return r;
	}
	if ((r = add_run(pl, NULL, 0, ct->postgap)) < 0)
		return r;
	t->length = (uint32_t)(pl->lba - t->start);
	t->nruns = pl->p->nruns - t->first_run;
	if (t->length < ENG_CD_MIN_TRACK) {
		char len[16];

		return bfs_diag_set(pl->diag, -EINVAL,
				    "track %02u is %s long: the least is 00:04:00", t->number,
				    eng_msf_format(t->length, len, sizeof(len)));
	}
	return 0;
}

int eng_audio_plan_cue(const struct eng_cue_sheet *sheet, struct eng_audio_src *const *srcs,
		       struct eng_audio_plan **ret, struct bfs_diag *diag)
{
	_cleanup_(eng_audio_plan_freep) struct eng_audio_plan *p =
		bfs_new(struct eng_audio_plan, 1);
	struct planner pl = {
		.p = p, .lba = -ENG_CD_LEADIN_GAP, .sheet = sheet, .srcs = srcs, .diag = diag};
	int r;

	if (!p)
		return -ENOMEM;
	if (!sheet->ntracks || sheet->ntracks > ENG_CD_MAX_TRACKS)
		return bfs_diag_set(diag, -EINVAL, "%zu tracks: a disc holds 1-99", sheet->ntracks);
	memcpy(p->mcn, sheet->catalog, sizeof(p->mcn));
	for (size_t i = 0; i < sheet->ntracks; i++) {
		if ((r = plan_track(&pl, i)) < 0)
			return r;
		p->ntracks++;
	}
	if (p->data && p->ntracks < 2)
		return bfs_diag_set(diag, -EINVAL,
				    "a data track and no audio: that is a data CD (burnfs burn)");
	p->leadout = pl.lba;
	*ret = TAKE_PTR(p);
	return 0;
}

int eng_audio_plan_check(const struct eng_audio_plan *p, uint32_t capacity, struct bfs_diag *diag)
{
	char need[16], have[16];

	if (p->leadout <= (int64_t)capacity)
		return 0;
	return bfs_diag_set(diag, -ENOSPC, "the album is %s long, the disc holds %s",
			    eng_msf_format((uint32_t)p->leadout, need, sizeof(need)),
			    eng_msf_format(capacity, have, sizeof(have)));
}

static uint8_t *entry(uint8_t *e, uint8_t ctl_adr, uint8_t tno, uint8_t idx, uint8_t form,
		      int32_t lba)
{
	uint32_t a = (uint32_t)(lba + ENG_CD_LEADIN_GAP);

	e[0] = ctl_adr;
	e[1] = tno;
	e[2] = idx;
	e[3] = form;
	e[4] = 0; /* SCMS off */
	e[5] = (uint8_t)(a / (60 * ENG_CD_FPS));
	e[6] = (uint8_t)(a / ENG_CD_FPS % 60);
	e[7] = (uint8_t)(a % ENG_CD_FPS);
	return e + CUE_ENTRY;
}

/* Two entries carrying the 13 digits of an MCN (tno 0) or the 12 characters of an ISRC. */
static uint8_t *code_entries(uint8_t *e, uint8_t ctl_adr, uint8_t tno, const char *code)
{
	memset(e, 0, 2 * CUE_ENTRY);
	e[0] = e[8] = ctl_adr;
	if (!tno) {
		memcpy(e + 1, code, 7);
		memcpy(e + 9, code + 7, 6);
	} else {
		e[1] = e[9] = tno;
		memcpy(e + 2, code, 6);
		memcpy(e + 10, code + 6, 6);
	}
	return e + 2 * CUE_ENTRY;
}

int eng_audio_cue_sheet(const struct eng_audio_plan *p, bool cdtext, uint8_t **ret, size_t *ret_len)
{
	size_t max = 2 + 1 + 1;
	uint8_t *buf, *e;

	for (size_t i = 0; i < p->ntracks; i++)
		max += 2 + 2 + p->tracks[i].nindex;
	buf = bfs_new(uint8_t, max * CUE_ENTRY);
	if (!buf)
		return -ENOMEM;
	e = buf;
	if (p->mcn[0])
		e = code_entries(e, ADR_MCN, 0, p->mcn);
	/* the lead-in in the first track's mode: audio silence or Mode 1 zeros */
	e = entry(e, (uint8_t)(p->tracks[0].ctl << 4 | ADR_TIME), 0, 0,
		  (uint8_t)((p->data ? FORM_MODE1_LEAD : FORM_LEAD) | (cdtext ? FORM_TEXT : 0)),
		  -ENG_CD_LEADIN_GAP); /* 00:00:00 (cookbook) */
	for (size_t i = 0; i < p->ntracks; i++) {
		const struct eng_audio_ptrack *t = &p->tracks[i];
		uint8_t ctl = (uint8_t)(t->ctl << 4), tno = (uint8_t)t->number;
		uint8_t form = t->ctl & ENG_CD_CTL_DATA ? FORM_MODE1 : FORM_AUDIO;

		if (t->isrc[0])
			e = code_entries(e, ctl | ADR_ISRC, tno, t->isrc);
		if (t->pregap_lba < t->start)
			e = entry(e, ctl | ADR_TIME, tno, 0, form, t->pregap_lba);
		e = entry(e, ctl | ADR_TIME, tno, 1, form, t->start);
		for (unsigned k = 0; k < t->nindex; k++)
			e = entry(e, ctl | ADR_TIME, tno, (uint8_t)(k + 2), FORM_AUDIO,
				  t->index[k]);
	}
	e = entry(e, ADR_TIME, TNO_LEADOUT, 1, FORM_LEAD, p->leadout);
	*ret_len = (size_t)(e - buf);
	*ret = buf;
	return 0;
}
