/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The identity of a disc's content (engine/edits.h, eng_disc_identity): what ties the staging
 * mount's edits to the disc they were made against.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "engine/edits.h"
#include "engine/sessions.h"

#define VDS_FIRST  16u /* the volume descriptors: blocks start+16..start+31 */
#define VDS_BLOCKS 16u

int eng_disc_identity(struct eng_medium *m, char id[static ENG_DISC_ID_MAX], struct bfs_diag *diag)
{
	_cleanup_free_ struct eng_session *s = NULL;
	_cleanup_free_ uint8_t *vds = NULL;
	const struct eng_session *last;
	uint8_t sha[32];
	unsigned shalen = sizeof(sha);
	char hex[65];
	size_t n = 0;
	int r, len;

	id[0] = '\0';
	if (eng_medium_blocks(m) == 0)
		return 0; /* blank */
	r = eng_sessions_list(m, &s, &n, diag);
	if (r < 0)
		return bfs_diag_prefix(diag, r, "the disc's identity");
	while (n && s[n - 1].open)
		n--;
	if (!n)
		return 0; /* one open session, nothing written in it yet */
	last = &s[n - 1];
	vds = malloc((size_t)VDS_BLOCKS * 2048);
	if (!vds)
		return -ENOMEM;
	r = eng_medium_read(m, last->start + VDS_FIRST, VDS_BLOCKS, vds);
	if (r < 0) {
		const char *why = eng_medium_read_error(m);

		return bfs_diag_set(
			diag, r, "the disc's identity: session %u: block %" PRIu64 ": %s",
			last->number, last->start + VDS_FIRST, why && *why ? why : strerror(-r));
	}
	if (EVP_Digest(vds, (size_t)VDS_BLOCKS * 2048, sha, &shalen, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(sha); i++)
		snprintf(hex + 2 * i, 3, "%02x", sha[i]);
	len = snprintf(id, ENG_DISC_ID_MAX, "s%u@%" PRIu64 "+%" PRIu64 ":%s", last->number,
		       last->start, last->length, hex);
	if (len < 0 || (size_t)len >= ENG_DISC_ID_MAX)
		return bfs_diag_set(diag, -EOVERFLOW, "the disc's identity: too long");
	return 0;
}
