/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A CD's audio tracks, MCN, ISRCs and CD-Text as its drive reports them (engine/audio.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/macro.h"
#include "engine/audio.h"
#include "mmc/audio.h"
#include "mmc/layout.h"

/* the engine's CONTROL bits are the MMC layer's (both ECMA-130 22.3.3.1) */
_Static_assert(ENG_CD_CTL_PRE == MMC_AUDIO_CTL_PREEMPHASIS, "pre-emphasis bit");
_Static_assert(ENG_CD_CTL_COPY == MMC_AUDIO_CTL_COPY, "copy bit");
_Static_assert(ENG_CD_CTL_DATA == MMC_AUDIO_CTL_DATA, "data bit");

static void track_add(struct mmc_drive *d, const struct mmc_toc_track *t,
		      struct eng_audio_disc *ret)
{
	struct eng_audio_track_info *x = &ret->tracks[ret->ntracks++];
	char isrc[MMC_AUDIO_ISRC_LEN + 1] = "";
	struct bfs_diag diag = {0};

	*x = (struct eng_audio_track_info){
		.number = t->number, .start = t->start, .length = t->length, .ctl = t->ctl};
	if (mmc_read_isrc(d, t->number, isrc, &diag) == 0)
		memcpy(x->isrc, isrc, sizeof(x->isrc));
	ret->blocks += t->length;
}

int eng_audio_disc_read(struct mmc_drive *d, unsigned profile, struct eng_audio_disc *ret)
{
	_cleanup_free_ struct mmc_toc *toc = calloc(1, sizeof(*toc));
	_cleanup_free_ uint8_t *packs = malloc((size_t)MMC_CDTEXT_PACKS_MAX * MMC_CDTEXT_PACK);
	char mcn[MMC_AUDIO_MCN_LEN + 1] = "";
	struct bfs_diag diag = {0};

	_Static_assert(sizeof(ret->mcn) == MMC_AUDIO_MCN_LEN + 1, "an MCN's room");
	_Static_assert(sizeof(ret->tracks[0].isrc) == MMC_AUDIO_ISRC_LEN + 1, "an ISRC's room");
	memset(ret, 0, sizeof(*ret));
	if (!toc || !packs)
		return -ENOMEM;
	if ((profile != MMC_PROFILE_CD_R && profile != MMC_PROFILE_CD_RW &&
	     profile != MMC_PROFILE_CD_ROM) ||
	    mmc_read_toc(d, toc, &diag) < 0)
		return 0;
	for (unsigned i = 0; i < toc->ntracks && ret->ntracks < ENG_CD_MAX_TRACKS; i++)
		if (!(toc->tracks[i].ctl & MMC_AUDIO_CTL_DATA))
			track_add(d, &toc->tracks[i], ret);
	if (!ret->ntracks)
		return 0;
	bfs_diag_clear(&diag);
	if (mmc_read_mcn(d, mcn, &diag) == 0)
		memcpy(ret->mcn, mcn, sizeof(ret->mcn));
	bfs_diag_clear(&diag);
	if (mmc_read_cdtext(d, packs, MMC_CDTEXT_PACKS_MAX, &ret->cdtext_packs, &diag) < 0)
		ret->cdtext_packs = 0;
	return 0;
}
