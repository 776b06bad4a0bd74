/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "common/extent.h"

#include <errno.h>

int bfs_extent_list_add(struct bfs_extent_list *l, uint64_t lba, uint64_t nblocks, uint32_t kind,
			void *obj)
{
	int r;

	if (nblocks == 0)
		return -EINVAL;
	r = BFS_GROW(l->v, l->cap, l->n + 1);
	if (r < 0)
		return r;
	l->v[l->n++] =
		(struct bfs_extent){.lba = lba, .nblocks = nblocks, .kind = kind, .obj = obj};
	return 0;
}

void bfs_extent_list_done(struct bfs_extent_list *l)
{
	free(l->v);
	*l = (struct bfs_extent_list){0};
}
