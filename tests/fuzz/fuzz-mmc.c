/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the MMC layer's parsers of what a drive sends back (a drive, a USB bridge
 * or an iSCSI target is untrusted input): the fixed-format sense parser and the sense
 * table, the SG_IO transport's descriptor-to-fixed sense conversion and its host/driver
 * status mapping, READ TRACK INFORMATION and GET PERFORMANCE (write speed) replies, READ
 * TOC formats 0, 1 and 2 as an audio CD's drive gives them (the tracks, sessions and
 * lengths `burnfs info` and an audio verify go by). Every
 * parser gets the whole input; each checks what its result promises. Then the same input is
 * a script of replies for a drive (mmc-internal.h's test transport) that the layer probes
 * (GET CONFIGURATION, READ DISC/TRACK INFORMATION, READ FORMAT CAPACITIES, READ TOC), lists
 * tracks and write speeds of, sets the speed of, asks its buffer and reads from: per
 * command one control byte, then its sense or data (see script_exec). libFuzzer with
 * -Dfuzzing=true; otherwise a replay driver: fuzz-mmc [--mutations N] FILE... runs each file
 * and N seeded mutations of it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/macro.h"
#include "mmc-internal.h"
#include "mmc/audio.h"
#include "mmc/mmc.h"
#include "replay-driver.h"
#include "sgio-internal.h"

static void check_sense(const uint8_t *data, size_t size)
{
	struct mmc_sense s;
	const char *text = NULL, *remedy = NULL;
	int r;

	if (mmc_parse_sense(data, size, &s) < 0)
		return;
	if (s.key > 0x0F || s.progress < -1 || s.progress > 0xFFFF)
		abort();
	r = mmc_sense_lookup(&s, &text, &remedy);
	if (r >= 0 || !text || !remedy || !text[0] || !remedy[0])
		abort(); /* every sense is a failure with words for the user */
}

static void check_sense_to_fixed(const uint8_t *data, size_t size)
{
	uint8_t out[18];
	struct mmc_sense s;

	memset(out, 0xA5, sizeof(out));
	if (mmc_sgio_sense_to_fixed(data, size, out) < 0) {
		for (size_t i = 0; i < sizeof(out); i++)
			if (out[i])
				abort(); /* a refused sense leaves zeros, not stale bytes */
		return;
	}
	if ((out[0] & 0x7F) != 0x70 && (out[0] & 0x7F) != 0x71)
		abort();
	/* the additional length never promises bytes past the 18 */
	if (out[7] > 10)
		abort();
	if ((data[0] & 0x7F) >= 0x72) {
		/* descriptor format: key, ASC and ASCQ from the header, parseable as fixed */
		if (mmc_parse_sense(out, sizeof(out), &s) < 0 || s.key != (data[1] & 0x0F) ||
		    s.asc != data[2] || s.ascq != data[3])
			abort();
		if ((out[0] & 0x7F) != ((data[0] & 0x7F) == 0x72 ? 0x70 : 0x71))
			abort();
	} else if (memcmp(out, data, 7) != 0 ||
		   (size > 8 && memcmp(out + 8, data + 8, BFS_MIN(size, (size_t)18) - 8)))
		abort(); /* fixed format: copied as it is, but for the additional length */
	check_sense(out, sizeof(out));
}

static void check_track_info(const uint8_t *data, size_t size)
{
	struct mmc_track t;

	if (mmc_parse_track_info(data, size, &t) < 0)
		return;
	if (size < 28 || t.number > 0xFFFF || t.session > 0xFFFF || t.start > UINT32_MAX ||
	    t.size > UINT32_MAX || t.nwa > UINT32_MAX || t.free_blocks > UINT32_MAX)
		abort();
}

/*
 * The input as READ TOC replies one after the other, each as long as its header says: format
 * 0, then the rest as format 1 and as format 2 onto that TOC, as mmc_read_toc() does.
 */
static void check_toc(const uint8_t *data, size_t size)
{
	static struct mmc_toc t;
	struct bfs_diag d = {0};
	size_t n0 = size >= 2 ? BFS_MIN(size, (size_t)bfs_get_be16(data) + 2) : size;

	if (mmc_parse_toc0(data, n0, &t, &d) < 0) {
		if (!d.msg[0])
			abort();
		return;
	}
	(void)mmc_parse_toc1(data + n0, size - n0, &t, &d);
	if (mmc_parse_toc2(data + n0, size - n0, &t, &d) < 0)
		return;
	if (t.ntracks > MMC_AUDIO_TRACKS_MAX)
		abort();
	for (unsigned i = 0; i < t.ntracks; i++) {
		const struct mmc_toc_track *k = &t.tracks[i];

		/* numbered 1..99 in order, sessions in order, no track longer than the disc */
		if (k->number < 1 || k->number > 99 || k->session < 1 ||
		    (i &&
		     (k->number <= t.tracks[i - 1].number || k->start < t.tracks[i - 1].start ||
		      k->session < t.tracks[i - 1].session)))
			abort();
		if ((int64_t)k->start + k->length > (int64_t)INT32_MAX + 1)
			abort();
	}
}

static void check_write_speeds(const uint8_t *data, size_t size)
{
	unsigned kBps[33];
	size_t n = 99, max = size ? data[0] % 33 : 0;

	kBps[max] = 0xDEADBEEF; /* a canary just past what the parser may write */
	if (mmc_parse_write_speeds(data, size, kBps, max, &n) < 0) {
		if (size >= 8)
			abort();
		return;
	}
	if (n > max || kBps[max] != 0xDEADBEEF)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!kBps[i] || (i && kBps[i] >= kBps[i - 1]))
			abort(); /* distinct, non-zero, fastest first */
}

static void check_status(const uint8_t *data, size_t size)
{
	const char *text = NULL;
	int r;

	if (size < 2)
		return;
	r = mmc_sgio_status_errno(data[0] | (size > 2 ? (unsigned)data[2] << 8 : 0), data[1],
				  &text);
	if (r > 0 || !text || !text[0])
		abort();
}

struct script {
	const uint8_t *p;
	size_t n;
	unsigned commands;
};

/*
 * One command's answer from the script. Control byte c: 80h set, CHECK CONDITION with the
 * next 18 bytes as sense; else 40h set, status c & 3Fh without data (7Fh: the transport
 * fails); else GOOD, the next (c & 3Fh) x 16 bytes of the script its data in (3Fh: as many
 * as were asked), of which what was asked arrives, the rest of the buffer not transferred. An ended script, or one past 64
 * commands, answers NOT READY, no medium.
 */
static int script_exec(void *userdata, const uint8_t *cdb, size_t cdb_len, enum mmc_dir dir,
		       void *buf, size_t len, uint8_t *ret_status, uint8_t ret_sense[18],
		       size_t *ret_resid, struct bfs_diag *diag)
{
	struct script *s = userdata;
	size_t k, used;
	uint8_t c;

	if (cdb_len < 6 || !cdb)
		abort();
	if (!s->n || ++s->commands > 64) {
		*ret_status = 0x02;
		ret_sense[0] = 0x70, ret_sense[2] = 0x02, ret_sense[7] = 10, ret_sense[12] = 0x3A;
		return 0;
	}
	c = *s->p++, s->n--;
	if (c & 0x80) {
		k = BFS_MIN(s->n, (size_t)18);
		memcpy(ret_sense, s->p, k);
		s->p += k, s->n -= k;
		*ret_status = 0x02;
		return 0;
	}
	if (c == 0x7F)
		return bfs_diag_set(diag, -EIO, "the scripted transport failed");
	if (c & 0x40) {
		*ret_status = c & 0x3F;
		return 0;
	}
	*ret_status = 0;
	if (dir != MMC_DIR_IN) {
		*ret_resid = 0;
		return 0;
	}
	used = BFS_MIN((c & 0x3F) == 0x3F ? len : (size_t)(c & 0x3F) * 16, s->n);
	k = BFS_MIN(used, len);
	memcpy(buf, s->p, k);
	memset((uint8_t *)buf + k, 0, len - k); /* as the transports zero a short reply */
	s->p += used, s->n -= used;
	*ret_resid = len - k;
	return 0;
}

/* a failure says why */
static void check_failure(int r, const struct bfs_diag *diag)
{
	if (r < 0 && r != -ENOMEM && !diag->msg[0])
		abort();
}

static void check_drive(const uint8_t *data, size_t size)
{
	static uint8_t buf[40 * 2048];
	struct script s = {data, size, 0};
	struct bfs_diag diag = {0};
	struct mmc_drive *d;
	struct mmc_media m;
	struct mmc_track t[8];
	uint32_t bsize, bfree;
	unsigned kBps;
	size_t nt = 99;
	int r;

	if (mmc_drive_open_test(script_exec, &s, 32, &d) < 0)
		abort();
	mmc_drive_set_stuck_timeout(d, 0); /* a busy drive fails at once: no sleeping */
	if (getenv("FUZZ_MMC_TRACE"))
		mmc_drive_set_trace(d, stderr); /* what a seed script does */
	r = mmc_media_probe(d, &m, &diag);
	check_failure(r, &diag);
	if (r == 0) {
		if (!m.profile_name || m.status > MMC_DISC_RANDOM || m.capacity < m.nwa)
			abort();
		bfs_diag_clear(&diag);
		r = mmc_read_tracks(d, &m, t, BFS_ARRAY_SIZE(t), &nt, &diag);
		check_failure(r, &diag);
		if (r == 0 && nt > BFS_ARRAY_SIZE(t))
			abort();
		bfs_diag_clear(&diag);
		r = mmc_set_write_speed(d, &m, size ? data[size - 1] % 20 : 0, &kBps, &diag);
		check_failure(r, &diag);
	}
	bfs_diag_clear(&diag);
	r = mmc_buffer_capacity(d, &bsize, &bfree, &diag);
	check_failure(r, &diag);
	if (r == 0 && bfree > bsize)
		abort();
	bfs_diag_clear(&diag);
	r = mmc_read(d, 16, 40, buf, true, &diag); /* in two commands: 32 and 8 blocks */
	check_failure(r, &diag);
	mmc_drive_close(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_drive(data, size);
	check_sense(data, size);
	check_sense_to_fixed(data, size);
	check_track_info(data, size);
	check_write_speeds(data, size);
	check_toc(data, size);
	check_status(data, size);
	return 0;
}

#ifndef BFS_LIBFUZZER
size_t fuzz_mutate(uint8_t *mut, const uint8_t *data, size_t size, uint64_t *seed)
{
	size_t len = (size_t)(fuzz_next_rand(seed) % (uint64_t)size) + 1;
	unsigned nflip = 1 + (unsigned)(fuzz_next_rand(seed) % 4);

	memcpy(mut, data, len);
	for (unsigned j = 0; j < nflip; j++)
		mut[fuzz_next_rand(seed) % len] = (uint8_t)fuzz_next_rand(seed);
	return len;
}

int main(int argc, char **argv)
{
	return fuzz_replay_main(argc, argv, 3000);
}
#endif
