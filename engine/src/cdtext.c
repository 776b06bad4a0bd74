/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CD-Text packs (Red Book annex / MMC-3 Annex J; reference boot-audio.md §5):
 *
 *	OFFSET	SIZE	FIELD
 *	0	1	pack type (80h title ... 8Eh UPC/ISRC, 8Fh size information)
 *	1	1	track of the pack's first character (0 = album); 8Fh: part 0-2
 *	2	1	sequence number within the block
 *	3	1	bit 7 double-byte, bits 6-4 block, bits 3-0 characters of the string
 *			that were in earlier packs (15 = 15 or more)
 *	4	12	text: NUL-terminated strings, album first, then each track
 *	16	2	CRC (BE) of bytes 0-15: CCITT 1021h, init 0, inverted
 *
 * One block (language 0, English, ISO-8859-1) is written: the text packs in type order,
 * then three 8Fh packs whose 36 payload bytes count the packs of each type.
 */
#include "engine/audio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"

#define PACK_TEXT      12
#define MAX_TEXT_PACKS 253 /* 256 a block less the three 8Fh packs */
#define CHARSET_LATIN1 0x00
#define LANG_ENGLISH   0x09 /* EBU Tech 3264 */
#define TYPE_TITLE     0x80
#define TYPE_UPC_ISRC  0x8E
#define TYPE_SIZE_INFO 0x8F

uint16_t eng_cdtext_crc(const uint8_t *p, size_t n)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
	}
	return (uint16_t)~crc;
}

struct pack_writer {
	uint8_t *packs; /* ENG_CDTEXT_MAX_PACKS * 18 */
	size_t n;
	unsigned per_type[16];
};

static int pack_emit(struct pack_writer *w, uint8_t type, uint8_t track, uint8_t carried,
		     const uint8_t text[PACK_TEXT])
{
	uint8_t *p;
	uint16_t crc;

	if (w->n >= ENG_CDTEXT_MAX_PACKS)
		return -ENOSPC;
	p = w->packs + w->n * ENG_CDTEXT_PACK;
	p[0] = type;
	p[1] = track;
	p[2] = (uint8_t)w->n;
	p[3] = (uint8_t)(carried > 15 ? 15 : carried); /* block 0, single-byte characters */
	memcpy(p + 4, text, PACK_TEXT);
	crc = eng_cdtext_crc(p, 16);
	p[16] = (uint8_t)(crc >> 8);
	p[17] = (uint8_t)crc;
	w->n++;
	w->per_type[type & 0x0F]++;
	return 0;
}

/*
 * UTF-8 (or plain ISO-8859-1 that is not valid UTF-8) into ISO-8859-1 bytes, NUL included.
 * Returns the length with the NUL, -EINVAL for characters above U+00FF.
 */
static int to_latin1(const char *s, uint8_t *out, size_t cap)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t n = 0;

	while (*u) {
		unsigned ch = *u++;

		if (ch >= 0xC2 && ch <= 0xC3 && (*u & 0xC0) == 0x80)
			ch = ((ch & 0x1F) << 6) | (*u++ & 0x3F);
		else if (ch >= 0xC4 && ch <= 0xF4 && (*u & 0xC0) == 0x80)
			return -EINVAL;
		if (n + 1 >= cap)
			return -ENOSPC;
		out[n++] = (uint8_t)ch;
	}
	out[n++] = 0;
	return (int)n;
}

static const char *string_of(const struct eng_cdtext *t, uint8_t type, size_t i)
{
	if (type == TYPE_UPC_ISRC)
		return t->upc_isrc[i];
	return t->text[i][type - TYPE_TITLE];
}

/* Does any string of this type exist? Then every track gets one, empty if need be. */
static bool type_used(const struct eng_cdtext *t, uint8_t type, size_t nstrings)
{
	for (size_t i = 0; i < nstrings; i++) {
		const char *s = string_of(t, type, i);

		if (s && *s)
			return true;
	}
	return false;
}

/* One type's strings, album then tracks, cut into packs of 12 bytes. */
static int emit_type(struct pack_writer *w, const struct eng_cdtext *t, uint8_t type,
		     size_t nstrings, struct bfs_diag *diag)
{
	uint8_t text[PACK_TEXT] = {0}, str[1024];
	size_t fill = 0;
	uint8_t track = 0, carried = 0; /* of the pack being filled */
	int r;

	for (size_t i = 0; i < nstrings; i++) {
		const char *s = string_of(t, type, i);
		uint8_t tno = (uint8_t)(i ? t->first_track + i - 1 : 0);
		int len = to_latin1(s ? s : "", str, sizeof(str));

		if (len < 0)
			return bfs_diag_set(diag, -EINVAL, "CD-Text '%s': %s", s,
					    len == -EINVAL ? "not representable in ISO-8859-1"
							   : "longer than 1023 bytes");
		for (int k = 0; k < len; k++) {
			if (fill == 0) {
				track = tno;
				carried = (uint8_t)(k > 15 ? 15 : k);
			}
			text[fill++] = str[k];
			if (fill < PACK_TEXT)
				continue;
			if ((r = pack_emit(w, type, track, carried, text)) < 0)
				return r;
			fill = 0;
		}
	}
	if (fill) {
		/* the spare bytes of the last pack are zero */
		memset(text + fill, 0, PACK_TEXT - fill);
		return pack_emit(w, type, track, carried, text);
	}
	return 0;
}

/* The three 8Fh packs: character code, tracks, pack counts, last sequence, languages. */
static int emit_size_info(struct pack_writer *w, const struct eng_cdtext *t)
{
	uint8_t info[3 * PACK_TEXT] = {0};
	int r;

	w->per_type[TYPE_SIZE_INFO & 0x0F] = 3;
	info[0] = CHARSET_LATIN1;
	info[1] = (uint8_t)t->first_track;
	info[2] = (uint8_t)t->last_track;
	info[3] = 0; /* no copyright asserted */
	for (int i = 0; i < 16; i++)
		info[4 + i] = (uint8_t)w->per_type[i];
	info[20] = (uint8_t)(w->n + 2); /* the last sequence number of block 0 */
	info[28] = LANG_ENGLISH;
	for (uint8_t part = 0; part < 3; part++) {
		unsigned count = w->per_type[TYPE_SIZE_INFO & 0x0F];

		if ((r = pack_emit(w, TYPE_SIZE_INFO, part, 0, info + part * PACK_TEXT)) < 0)
			return r;
		w->per_type[TYPE_SIZE_INFO & 0x0F] = count; /* counted up front */
	}
	return 0;
}

int eng_cdtext_packs(const struct eng_cdtext *t, uint8_t **ret_packs, size_t *ret_n,
		     struct bfs_diag *diag)
{
	static const uint8_t types[] = {0x80, 0x81, 0x82, 0x83, 0x84, 0x85, TYPE_UPC_ISRC};
	_cleanup_free_ uint8_t *packs = bfs_new(uint8_t, ENG_CDTEXT_MAX_PACKS * ENG_CDTEXT_PACK);
	struct pack_writer w = {.packs = packs};
	size_t nstrings;
	int r;

	if (!packs)
		return -ENOMEM;
	if (t->first_track < 1 || t->last_track < t->first_track ||
	    t->last_track > ENG_CD_MAX_TRACKS)
		return bfs_diag_set(diag, -EINVAL, "CD-Text: tracks %u-%u", t->first_track,
				    t->last_track);
	nstrings = 1 + t->last_track - t->first_track + 1;
	for (size_t i = 0; i < BFS_ARRAY_SIZE(types); i++) {
		if (!type_used(t, types[i], nstrings))
			continue;
		r = emit_type(&w, t, types[i], nstrings, diag);
		if (r == 0 && w.n > MAX_TEXT_PACKS)
			r = -ENOSPC;
		if (r == -ENOSPC)
			return bfs_diag_set(diag, r, "CD-Text needs more than %d packs",
					    MAX_TEXT_PACKS);
		if (r < 0)
			return r;
	}
	if ((r = emit_size_info(&w, t)) < 0)
		return r;
	*ret_n = w.n;
	*ret_packs = TAKE_PTR(packs);
	return 0;
}

void eng_cdtext_leadin(const uint8_t *packs, size_t npacks, uint64_t sector, uint8_t out[96])
{
	/* 4 packs a sector; each 3 bytes become 4 six-bit symbols in the low bits */
	for (int k = 0; k < 4; k++) {
		const uint8_t *p = packs + ((sector * 4 + (uint64_t)k) % npacks) * ENG_CDTEXT_PACK;
		uint8_t *o = out + k * 24;

		for (int j = 0; j < 6; j++) {
			const uint8_t *b = p + 3 * j;

			o[4 * j] = b[0] >> 2;
			o[4 * j + 1] = (uint8_t)(((b[0] & 0x03) << 4) | (b[1] >> 4));
			o[4 * j + 2] = (uint8_t)(((b[1] & 0x0F) << 2) | (b[2] >> 6));
			o[4 * j + 3] = b[2] & 0x3F;
		}
	}
}

/* The file of a track's INDEX 01 (its first index when that is 00, the next one). */
static const struct eng_audio_src *track_src(const struct eng_cue_sheet *s,
					     struct eng_audio_src *const *srcs, size_t i)
{
	const struct eng_cue_track *t = &s->tracks[i];

	return srcs[t->index[t->index[0].number == 0 && t->nindex > 1 ? 1 : 0].file];
}

/* The album's string of kind k when every track's tag gives the same one. */
static const char *album_tag(const struct eng_cue_sheet *s, struct eng_audio_src *const *srcs,
			     const struct eng_cdtext *t, enum eng_cdtext_kind k)
{
	const char *v = NULL;

	for (size_t i = 0; i < s->ntracks; i++) {
		const char *w = k == ENG_CDTEXT_TITLE
					? eng_audio_src_tag(track_src(s, srcs, i), k, true)
					: t->text[i + 1][k];

		if (!w || (v && strcmp(v, w)))
			return NULL;
		v = w;
	}
	return v;
}

void eng_cdtext_of_sheet(const struct eng_cue_sheet *s, struct eng_audio_src *const *srcs,
			 struct eng_cdtext *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->first_track = s->tracks[0].number;
	ret->last_track = s->tracks[s->ntracks - 1].number;
	for (int k = 0; k < ENG_CDTEXT_NKINDS; k++) {
		ret->text[0][k] = s->text[k];
		for (size_t i = 0; i < s->ntracks; i++)
			ret->text[i + 1][k] = s->tracks[i].text[k];
	}
	if (!srcs)
		return;
	for (size_t i = 0; i < s->ntracks; i++)
		for (int k = ENG_CDTEXT_TITLE; k <= ENG_CDTEXT_PERFORMER; k++)
			if (!ret->text[i + 1][k])
				ret->text[i + 1][k] =
					eng_audio_src_tag(track_src(s, srcs, i), k, false);
	for (int k = ENG_CDTEXT_TITLE; k <= ENG_CDTEXT_PERFORMER; k++)
		if (!ret->text[0][k])
			ret->text[0][k] = album_tag(s, srcs, ret, k);
}
