/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-medium policy. See engine/policy.h.
 */
#include "engine/policy.h"

#include "common/macro.h"
#include "mmc/mmc.h"

/*
 * Each kind of medium: the MMC profiles that are it (MMC-6 table 90: 0008h-000Ah CD,
 * 0010h-002Bh DVD, 0040h-0043h BD), its write unit, and the largest capacity in blocks it
 * comes in (the largest CD holds 900 MB, the largest DVD 8.5 GB), for the guess by size.
 */
static const struct {
	enum eng_media media;
	uint16_t first_profile;
	unsigned write_unit;
	uint64_t max_blocks;
} kinds[] = {
	{ENG_MEDIA_CD, 0x0008, 1, 440000},
	{ENG_MEDIA_DVD, 0x0010, 16, 4200000},
	{ENG_MEDIA_BD, 0x0040, 32, UINT64_MAX},
};

static void set_kind(size_t i, struct eng_policy *ret)
{
	ret->media = kinds[i].media;
	ret->write_unit = kinds[i].write_unit;
}

void eng_policy_of_medium(const struct mmc_media *m, struct eng_policy *ret)
{
	size_t i = 0;

	for (size_t k = 0; k < BFS_ARRAY_SIZE(kinds); k++)
		if (m->profile >= kinds[k].first_profile)
			i = k;
	*ret = (struct eng_policy){.start_lba = m->nwa_valid ? m->nwa : 0, .from_disc = true};
	set_kind(i, ret);
}

void eng_policy_of_capacity(uint64_t capacity_blocks, struct eng_policy *ret)
{
	size_t i = 0;

	while (i + 1 < BFS_ARRAY_SIZE(kinds) && capacity_blocks > kinds[i].max_blocks)
		i++;
	*ret = (struct eng_policy){0};
	set_kind(i, ret);
}

int eng_policy_of_drive(const char *drive, struct eng_policy *ret, struct bfs_diag *diag)
{
	_cleanup_(mmc_drive_closep) struct mmc_drive *d = NULL;
	struct mmc_media m;
	int r = mmc_drive_open(drive, diag, &d);

	if (r == 0)
		r = mmc_media_probe(d, &m, diag);
	if (r < 0)
		return r;
	eng_policy_of_medium(&m, ret);
	return 0;
}

void eng_policy_apply(const struct eng_policy *p, struct eng_image_opts *io)
{
	io->media = p->media;
	io->align = p->write_unit;
	io->start_lba = p->start_lba;
}
