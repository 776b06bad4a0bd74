/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MMC layer. See mmc/mmc.h; command numbers and reply layouts from MMC-6 (T10/1836-D rev
 * 2g), the reactions to sense from ../shared/reference/mmc.md 1.4.
 */
#include "mmc/mmc.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"

#include "common/bytes.h"
#include "common/cursor.h"
#include "mmc-internal.h"
#include "sgio-internal.h"
#include "vdrive/vdrive.h"

#if HAVE_LIBISCSI
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#endif

struct mmc_drive {
	struct vdrive *vd;   /* vdrive:DIR */
	char *vd_dir;	     /* its DIR */
	struct mmc_sgio *sg; /* /dev/srN, /dev/sgN */
#if HAVE_LIBISCSI
	struct iscsi_context *iscsi; /* iscsi://... */
	int lun;
	char *addr;
	int iscsi_timeout_s; /* the timeout iscsi_set_timeout last set */
	bool iscsi_done;     /* the command's callback came, with iscsi_status */
	int iscsi_status;
	char iscsi_lost[256]; /* why the session was dropped (iscsi is NULL then) */
#endif
	unsigned cmd_timeout_s;	  /* BURNFS_MMC_TIMEOUT_SECONDS: every command's timeout, 0 none */
	mmc_test_exec_fn test_fn; /* mmc-internal.h */
	void *test_userdata;
	FILE *trace;
	mmc_busy_fn busy;
	void *busy_userdata;
	unsigned stuck_s;
	const atomic_int *cancel; /* mmc_drive_set_cancel() */
	bool no_wait;		  /* mmc_drive_set_busy_wait(false) */
	uint32_t max_blocks;	  /* the largest READ/WRITE transfer */
	bool test_write;	  /* page 05h Test Write as burnfs last set it */
};

/* One command through the drive's transport: SCSI status, fixed-format sense. */
struct raw_result {
	uint8_t status;
	uint8_t sense[18];
	size_t resid; /* bytes of the data not transferred */
};

static const char *op_name(uint8_t op);

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool cancelled(const struct mmc_drive *d)
{
	return d->cancel && atomic_load(d->cancel);
}

/* Seconds since t0_ms, for messages: what was really waited, not the limit. */
static double secs_since(uint64_t t0_ms)
{
	return (double)(now_ms() - t0_ms) / 1000.0;
}

/* The command's timeout in ms: the transport's per-command table, or the override. */
static unsigned cmd_timeout_ms(const struct mmc_drive *d, const uint8_t *cdb, size_t cdb_len)
{
	return d->cmd_timeout_s ? d->cmd_timeout_s * 1000 : mmc_cmd_timeout_ms(cdb, cdb_len);
}

#if HAVE_LIBISCSI
/*
 * libiscsi counts its PDU timeouts in whole seconds of time(NULL), so its own timeout fires
 * up to a second early or late: it is set one second past ours (rounded up), as a backstop,
 * and the command loop keeps the exact deadline on the monotonic clock.
 */
static void iscsi_timeout(struct mmc_drive *d, unsigned ms)
{
	int s = (int)((ms + 999) / 1000) + 1;

	if (s != d->iscsi_timeout_s && iscsi_set_timeout(d->iscsi, s) == 0)
		d->iscsi_timeout_s = s;
}

static int iscsi_open(const char *addr, struct bfs_diag *diag, struct mmc_drive *d)
{
	struct iscsi_url *url;

	d->iscsi = iscsi_create_context("iqn.2026-11.org.burnfs:initiator");
	if (!d->iscsi)
		return -ENOMEM;
	url = iscsi_parse_full_url(d->iscsi, addr);
	if (!url)
		return bfs_diag_set(diag, -EINVAL, "'%s': %s", addr, iscsi_get_error(d->iscsi));
	d->lun = url->lun;
	d->addr = strdup(addr);
	if (!d->addr) {
		iscsi_destroy_url(url);
		return -ENOMEM;
	}
	/* login and logout PDUs time out too: a target that stops answering is not a hang */
	iscsi_timeout(d, d->cmd_timeout_s ? d->cmd_timeout_s * 1000 : 30 * 1000);
	(void)iscsi_set_targetname(d->iscsi, url->target);
	(void)iscsi_set_session_type(d->iscsi, ISCSI_SESSION_NORMAL);
	(void)iscsi_set_header_digest(d->iscsi, ISCSI_HEADER_DIGEST_NONE_CRC32C);
	/* a lost connection fails the command: no silent re-login and re-sent WRITEs */
	iscsi_set_noautoreconnect(d->iscsi, 1);
	if (iscsi_full_connect_sync(d->iscsi, url->portal, url->lun) != 0) {
		int r = bfs_diag_set(diag, -ECONNREFUSED, "'%s': cannot log in: %s", addr,
				     iscsi_get_error(d->iscsi));

		iscsi_destroy_url(url);
		return r;
	}
	iscsi_destroy_url(url);
	return 0;
}

/* Every command's callback: d outlives its context, so a late one (cancelled) is harmless. */
static void iscsi_done(struct iscsi_context *iscsi, int status, void *command_data,
		       void *private_data)
{
	struct mmc_drive *d = private_data;

	(void)iscsi, (void)command_data;
	d->iscsi_done = true;
	d->iscsi_status = status;
}

/*
 * A command the session could not finish (timed out, connection lost): its PDUs may still
 * point at the task and the caller's buffer, so the session goes with them before the task
 * is freed; later commands fail, saying why.
 */
static int iscsi_drop(struct mmc_drive *d, struct scsi_task *task, struct bfs_diag *diag, int err,
		      const char *fmt, ...) BFS_PRINTF(5, 6);
static int iscsi_drop(struct mmc_drive *d, struct scsi_task *task, struct bfs_diag *diag, int err,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->iscsi_lost, sizeof(d->iscsi_lost), fmt, ap);
	va_end(ap);
	iscsi_destroy_context(d->iscsi);
	d->iscsi = NULL;
	scsi_free_scsi_task(task);
	return bfs_diag_set(diag, err, "'%s': %s", d->addr, d->iscsi_lost);
}

static int iscsi_exec(struct mmc_drive *d, const uint8_t *cdb, size_t cdb_len, enum mmc_dir dir,
		      void *buf, size_t len, struct raw_result *res, struct bfs_diag *diag)
{
	struct iscsi_data data = {.size = len, .data = buf};
	const char *op = op_name(cdb[0]);
	struct scsi_task *task;
	uint64_t t0 = now_ms(), deadline;
	unsigned timeout_ms;

	if (!d->iscsi)
		return bfs_diag_set(
			diag, -ENOTCONN,
			"'%s': %s: the iSCSI session was closed after an earlier failure "
			"(%s)",
			d->addr, op, d->iscsi_lost);
	task = scsi_create_task((int)cdb_len, (unsigned char *)cdb,
				dir == MMC_DIR_IN    ? SCSI_XFER_READ
				: dir == MMC_DIR_OUT ? SCSI_XFER_WRITE
						     : SCSI_XFER_NONE,
				(int)len);
	if (!task)
		return -ENOMEM;
	/*
	 * The loop is libiscsi's synchronous one but for EINTR (a signal, e.g. Ctrl-C, is not a
	 * transport failure), a cancel flag, and the command's deadline on the monotonic clock;
	 * libiscsi's own PDU timeout (iscsi_set_timeout) is a second later, a backstop.
	 */
	timeout_ms = cmd_timeout_ms(d, cdb, cdb_len);
	iscsi_timeout(d, timeout_ms);
	deadline = t0 + timeout_ms;
	d->iscsi_done = false;
	if (iscsi_scsi_command_async(d->iscsi, d->lun, task, iscsi_done,
				     dir == MMC_DIR_OUT ? &data : NULL, d) != 0) {
		scsi_free_scsi_task(task);
		return bfs_diag_set(diag, -EIO, "'%s': %s: cannot send it: %s", d->addr, op,
				    iscsi_get_error(d->iscsi));
	}
	while (!d->iscsi_done) {
		struct pollfd pfd = {.fd = iscsi_get_fd(d->iscsi),
				     .events = (short)iscsi_which_events(d->iscsi)};
		/* 100 ms at most: a cancel is seen at once, as is a wait with no events */
		int n = poll(&pfd, 1, 100);

		if (cancelled(d))
			return iscsi_drop(d, task, diag, -ECANCELED,
					  "%s (command %02Xh): cancelled after waiting %.1f s for "
					  "the target",
					  op, cdb[0], secs_since(t0));
		if (n < 0 && errno != EINTR)
			return iscsi_drop(d, task, diag, -EIO, "%s: poll: %s", op, strerror(errno));
		if (iscsi_service(d->iscsi, n > 0 ? pfd.revents : 0) < 0)
			return iscsi_drop(d, task, diag, -EIO, "%s (command %02Xh) failed: %s", op,
					  cdb[0], iscsi_get_error(d->iscsi));
		if (!d->iscsi_done && now_ms() >= deadline)
			break;
	}
	/* libiscsi's own outcomes are above the SCSI status byte */
	if (!d->iscsi_done || d->iscsi_status == SCSI_STATUS_TIMEOUT)
		return iscsi_drop(d, task, diag, -ETIMEDOUT,
				  "%s (command %02Xh) timed out after %.1f s (timeout %.1f s); the "
				  "target may be stuck or unreachable: check it, then retry",
				  op, cdb[0], secs_since(t0), timeout_ms / 1000.0);
	if (d->iscsi_status == SCSI_STATUS_CANCELLED)
		return iscsi_drop(d, task, diag, -ECONNRESET,
				  "%s (command %02Xh): the connection to the target was lost (%s)",
				  op, cdb[0], iscsi_get_error(d->iscsi));
	if (d->iscsi_status == SCSI_STATUS_ERROR)
		return iscsi_drop(d, task, diag, -EIO, "%s (command %02Xh) failed: %s", op, cdb[0],
				  iscsi_get_error(d->iscsi));
	memset(res, 0, sizeof(*res));
	res->status = (uint8_t)task->status;
	if (task->status == SCSI_STATUS_CHECK_CONDITION) {
		res->sense[0] = 0x70;
		res->sense[2] = (uint8_t)task->sense.key;
		res->sense[7] = 10;
		res->sense[12] = (uint8_t)(task->sense.ascq >> 8);
		res->sense[13] = (uint8_t)task->sense.ascq;
		if (task->sense.sense_specific) {
			res->sense[15] = 0x80;
			bfs_put_be16(res->sense + 16, task->sense.field_pointer);
		}
	} else if (dir == MMC_DIR_IN && task->datain.data) {
		size_t n = BFS_MIN(len, (size_t)task->datain.size);

		memcpy(buf, task->datain.data, n);
		res->resid = len - n;
		if (n < len)
			memset((uint8_t *)buf + n, 0, len - n); /* a short reply reads as zeros */
	}
	scsi_free_scsi_task(task);
	return 0;
}
#endif

static int raw_exec(struct mmc_drive *d, const uint8_t *cdb, size_t cdb_len, enum mmc_dir dir,
		    void *buf, size_t len, struct raw_result *res, struct bfs_diag *diag)
{
	struct vdrive_result vr;

	if (d->sg)
		return mmc_sgio_exec(d->sg, cdb, cdb_len, dir, buf, len,
				     cmd_timeout_ms(d, cdb, cdb_len), &res->status, res->sense,
				     &res->resid, diag);
#if HAVE_LIBISCSI
	if (d->addr)
		return iscsi_exec(d, cdb, cdb_len, dir, buf, len, res, diag);
#endif
	if (d->test_fn) {
		int r;

		memset(res, 0, sizeof(*res));
		r = d->test_fn(d->test_userdata, cdb, cdb_len, dir, buf, len, &res->status,
			       res->sense, &res->resid, diag);
		res->resid = BFS_MIN(res->resid, len);
		return r;
	}
	(void)diag;
	vdrive_exec(d->vd, cdb, cdb_len, (enum vdrive_dir)dir, buf, len, &vr);
	res->status = vr.status;
	memcpy(res->sense, vr.sense, sizeof(res->sense));
	res->resid = vr.resid;
	return 0;
}

static struct mmc_drive *drive_new(void)
{
	struct mmc_drive *d = calloc(1, sizeof(*d));
	const char *e = getenv("BURNFS_MMC_STUCK_SECONDS");
	const char *t = getenv("BURNFS_MMC_TIMEOUT_SECONDS");

	if (d) {
		d->stuck_s = e && atoi(e) > 0 ? (unsigned)atoi(e) : 120;
		d->cmd_timeout_s = t && atoi(t) > 0 ? (unsigned)atoi(t) : 0;
		d->max_blocks = 32; /* 64 KiB: what every drive and HBA takes */
	}
	return d;
}

int mmc_drive_open(const char *addr, struct bfs_diag *diag, struct mmc_drive **ret)
{
	struct bfs_diag vdiag = {0};
	struct mmc_drive *d;
	int r;

	if (strncmp(addr, "/dev/", 5) == 0) {
		d = drive_new();
		if (!d)
			return -ENOMEM;
		r = mmc_sgio_open(addr, diag, &d->sg);
		if (r < 0) {
			free(d);
			return r;
		}
		d->max_blocks = mmc_sgio_max_blocks(d->sg);
		*ret = d;
		return 0;
	}
	if (strncmp(addr, "iscsi://", 8) == 0) {
#if HAVE_LIBISCSI
		d = drive_new();
		if (!d)
			return -ENOMEM;
		r = iscsi_open(addr, diag, d);
		if (r < 0) {
			mmc_drive_close(d);
			return r;
		}
		*ret = d;
		return 0;
#else
		return bfs_diag_set(diag, -EOPNOTSUPP,
				    "'%s': this build has no iSCSI transport (libiscsi was not "
				    "found at build time)",
				    addr);
#endif
	}
	if (strncmp(addr, "vdrive:", 7) != 0 || !addr[7])
		return bfs_diag_set(diag, -EINVAL,
				    "'%s': not a drive address (vdrive:DIR, /dev/srN, /dev/sgN, "
				    "iscsi://HOST[:PORT]/IQN/LUN)",
				    addr);
	d = drive_new();
	if (!d)
		return -ENOMEM;
	d->max_blocks = 512; /* in process: 1 MiB transfers cost nothing extra */
	d->vd_dir = strdup(addr + 7);
	r = d->vd_dir ? vdrive_open_diag(addr + 7, &d->vd, &vdiag) : -ENOMEM;
	if (r < 0) {
		free(d->vd_dir);
		free(d);
		if (r == -EUCLEAN) /* what is damaged and the remedy */
			return bfs_diag_set(diag, r, "%s", bfs_diag_msg(&vdiag, r));
		if (r == -EBUSY)
			return bfs_diag_set(diag, r, "'%s': the drive is in use by another process",
					    addr);
		if (r == -ENOENT)
			return bfs_diag_set(diag, r,
					    "'%s': no virtual drive there (create one with "
					    "`burnfs vdrive create --media NAME DIR`)",
					    addr);
		return bfs_diag_set(diag, r, "'%s': cannot open the virtual drive: %s", addr,
				    strerror(-r));
	}
	*ret = d;
	return 0;
}

int mmc_drive_open_test(mmc_test_exec_fn fn, void *userdata, uint32_t max_blocks,
			struct mmc_drive **ret)
{
	struct mmc_drive *d = drive_new();

	if (!d)
		return -ENOMEM;
	d->test_fn = fn;
	d->test_userdata = userdata;
	d->max_blocks = max_blocks ? max_blocks : 32;
	*ret = d;
	return 0;
}

struct mmc_drive *mmc_drive_close(struct mmc_drive *d)
{
	if (!d)
		return NULL;
	vdrive_close(d->vd);
	free(d->vd_dir);
	mmc_sgio_close(d->sg);
#if HAVE_LIBISCSI
	if (d->iscsi) {
		/* a target that stopped answering: give up soon */
		iscsi_timeout(d, d->cmd_timeout_s ? d->cmd_timeout_s * 1000 : 5 * 1000);
		(void)iscsi_logout_sync(d->iscsi);
		iscsi_destroy_context(d->iscsi);
	}
	free(d->addr);
#endif
	free(d);
	return NULL;
}

void mmc_drive_set_trace(struct mmc_drive *d, FILE *f)
{
	d->trace = f;
}

uint32_t mmc_drive_max_blocks(const struct mmc_drive *d)
{
	return d->max_blocks;
}

void mmc_drive_set_busy(struct mmc_drive *d, mmc_busy_fn fn, void *userdata)
{
	d->busy = fn;
	d->busy_userdata = userdata;
}

void mmc_drive_set_stuck_timeout(struct mmc_drive *d, unsigned seconds)
{
	d->stuck_s = seconds;
}

void mmc_drive_set_cancel(struct mmc_drive *d, const atomic_int *flag)
{
	d->cancel = flag;
}

void mmc_drive_set_busy_wait(struct mmc_drive *d, bool wait)
{
	d->no_wait = !wait;
}

const char *mmc_drive_vdrive_dir(const struct mmc_drive *d)
{
	return d->vd ? d->vd_dir : NULL;
}

/* ---- sense ---------------------------------------------------------------------------- */

struct sense_entry {
	uint8_t key, asc, ascq; /* ascq 0xFF: any */
	int err;
	const char *text, *remedy;
};

static const struct sense_entry sense_table[] = {
	{0x02, 0x3A, 0xFF, ENOMEDIUM, "no medium in the drive", "load a disc"},
	{0x02, 0x04, 0xFF, EBUSY, "the drive is busy with a long operation", "wait and retry"},
	{0x03, 0x0C, 0xFF, EIO, "write error", "try another disc or a lower speed"},
	{0x03, 0x11, 0xFF, EIO, "unrecovered read error", "the disc may be damaged or dirty"},
	{0x03, 0x73, 0xFF, EIO, "power calibration or program memory area error",
	 "the disc is full of calibration attempts or faulty: use another disc"},
	{0x05, 0x20, 0x00, EOPNOTSUPP, "the drive does not support this command",
	 "the drive cannot do this; try another drive"},
	{0x05, 0x21, 0x02, EIO, "the drive refused a write off the next writable address",
	 "the disc is not in the state burnfs expected; run `burnfs info` and burn again"},
	{0x05, 0x21, 0xFF, ENXIO, "address out of range", "the disc has no data there"},
	{0x05, 0x24, 0xFF, EINVAL, "invalid field in the command",
	 "a burnfs bug: please report it"},
	{0x05, 0x2C, 0xFF, EIO, "command sequence error",
	 "the disc is not in the state burnfs expected; run `burnfs info`"},
	{0x05, 0x30, 0xFF, EMEDIUMTYPE, "the medium cannot do this",
	 "use media of the right kind (write-once media cannot be erased)"},
	{0x05, 0x53, 0x02, EBUSY, "medium removal is prevented",
	 "another program holds the tray locked"},
	{0x05, 0x63, 0xFF, ENOSPC, "end of user area: the disc is full", "use a larger disc"},
	{0x05, 0x72, 0xFF, EROFS, "the disc is closed or fixation failed",
	 "the disc is finalized: no more sessions can be written"},
	{0x06, 0x28, 0xFF, EAGAIN, "the medium may have changed", "retry"},
	{0x06, 0x29, 0xFF, EAGAIN, "the drive was reset", "retry"},
};

int mmc_sense_lookup(const struct mmc_sense *s, const char **ret_text, const char **ret_remedy)
{
	for (size_t i = 0; i < BFS_ARRAY_SIZE(sense_table); i++) {
		const struct sense_entry *e = &sense_table[i];

		if (e->key == s->key && e->asc == s->asc &&
		    (e->ascq == 0xFF || e->ascq == s->ascq)) {
			*ret_text = e->text;
			*ret_remedy = e->remedy;
			return -e->err;
		}
	}
	*ret_text = "drive error";
	*ret_remedy = "see the sense code; try another disc or drive";
	return -EIO;
}

static const char *op_name(uint8_t op)
{
	switch (op) {
	case 0x00:
		return "TEST UNIT READY";
	case 0x03:
		return "REQUEST SENSE";
	case 0x04:
		return "FORMAT UNIT";
	case 0x12:
		return "INQUIRY";
	case 0x1B:
		return "START STOP UNIT";
	case 0x1E:
		return "PREVENT ALLOW MEDIUM REMOVAL";
	case 0x25:
		return "READ CAPACITY";
	case 0x28:
		return "READ(10)";
	case 0x2A:
		return "WRITE(10)";
	case 0x35:
		return "SYNCHRONIZE CACHE";
	case 0x43:
		return "READ TOC/PMA/ATIP";
	case 0x46:
		return "GET CONFIGURATION";
	case 0x51:
		return "READ DISC INFORMATION";
	case 0x52:
		return "READ TRACK INFORMATION";
	case 0x5B:
		return "CLOSE TRACK/SESSION";
	case 0xA1:
		return "BLANK";
	case 0x23:
		return "READ FORMAT CAPACITIES";
	case 0x2E:
		return "WRITE AND VERIFY(10)";
	case 0x2F:
		return "VERIFY(10)";
	case 0x4A:
		return "GET EVENT STATUS NOTIFICATION";
	case 0x53:
		return "RESERVE TRACK";
	case 0x55:
		return "MODE SELECT(10)";
	case 0x5A:
		return "MODE SENSE(10)";
	case 0x5C:
		return "READ BUFFER CAPACITY";
	case 0x5D:
		return "SEND CUE SHEET";
	case 0xA8:
		return "READ(12)";
	case 0xAA:
		return "WRITE(12)";
	case 0xAC:
		return "GET PERFORMANCE";
	case 0xAD:
		return "READ DISC STRUCTURE";
	case 0xB6:
		return "SET STREAMING";
	case 0xBB:
		return "SET CD SPEED";
	case 0xBD:
		return "MECHANISM STATUS";
	case 0xBE:
		return "READ CD";
	default:
		return "?";
	}
}

int mmc_parse_sense(const uint8_t *b, size_t n, struct mmc_sense *ret)
{
	if (n < 14 || ((b[0] & 0x7F) != 0x70 && (b[0] & 0x7F) != 0x71) || b[7] < 6)
		return -EBADMSG;
	ret->key = b[2] & 0x0F;
	ret->asc = b[12];
	ret->ascq = b[13];
	/* sense key specific bytes 15-17, valid when SKSV is set and the sense holds them */
	ret->progress = n >= 18 && b[7] >= 10 && (b[15] & 0x80) ? bfs_get_be16(b + 16) : -1;
	ret->info_valid = b[0] & 0x80;
	ret->info = bfs_get_be32(b + 3);
	return 0;
}

/*
 * Sleep ms, in slices of at most 50 ms so that a cancel is seen soon (a signal ends a
 * slice early). -ECANCELED when the drive's cancel flag is set, before or during.
 */
static int pause_ms(const struct mmc_drive *d, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	for (;;) {
		uint64_t t = now_ms();
		unsigned slice;
		struct timespec ts;

		if (cancelled(d))
			return -ECANCELED;
		if (t >= end)
			return 0;
		slice = (unsigned)BFS_MIN(end - t, (uint64_t)50);
		ts = (struct timespec){0, (long)slice * 1000000};
		(void)nanosleep(&ts, NULL); /* EINTR: the flag is checked at once */
	}
}

static bool in_progress(const struct mmc_sense *s)
{
	return s->key == 0x02 && s->asc == 0x04 &&
	       (s->ascq == 0x01 || s->ascq == 0x04 || s->ascq == 0x07 || s->ascq == 0x08);
}

static void trace(struct mmc_drive *d, const uint8_t *cdb, size_t cdb_len, size_t len,
		  const struct raw_result *res)
{
	fprintf(d->trace, "mmc: %-28s", op_name(cdb[0]));
	for (size_t i = 0; i < cdb_len; i++)
		fprintf(d->trace, " %02x", cdb[i]);
	fprintf(d->trace, " -> status %02x", res->status);
	if (res->status)
		fprintf(d->trace, " sense %x/%02x/%02x", res->sense[2] & 0x0F, res->sense[12],
			res->sense[13]);
	fprintf(d->trace, " len %zu", len);
	if (res->resid)
		fprintf(d->trace, " resid %zu", res->resid);
	fputc('\n', d->trace);
	fflush(d->trace);
}

/* A long operation waited for by mmc_exec: since when, and the progress seen. */
struct busy_wait {
	uint64_t t0_ms;	   /* the first NOT READY */
	uint64_t still_ms; /* when the progress last rose (or the wait began) */
	int last_progress;
	unsigned drops; /* times the progress fell back */
	unsigned pause;
};

/*
 * The drive answered NOT READY, long operation in progress: 0 to re-issue the command after
 * a pause, or why not (stuck for stuck_s without progress, cancelled, no waiting wanted).
 */
static int busy_step(struct mmc_drive *d, uint8_t op, const struct mmc_sense *s,
		     struct busy_wait *w, struct bfs_diag *diag)
{
	uint64_t t = now_ms();

	if (d->no_wait)
		return bfs_diag_set(
			diag, -EBUSY,
			"%s: the drive is busy with a long operation (NOT READY 04/%02X)",
			op_name(op), s->ascq);
	if (!w->t0_ms)
		w->t0_ms = w->still_ms = t;
	/*
	 * Progress is a rising indication; a drop starts another phase of the operation (a
	 * format, then its certification). A drive whose progress keeps going round is not
	 * progressing: after a few drops only a rise above the highest value seen resets the
	 * clock.
	 */
	if (s->progress >= 0 && w->last_progress >= 0 && s->progress < w->last_progress &&
	    w->drops++ < 4)
		w->last_progress = s->progress, w->still_ms = t;
	else if (s->progress > w->last_progress)
		w->last_progress = s->progress, w->still_ms = t;
	if (t - w->still_ms >= (uint64_t)d->stuck_s * 1000)
		return bfs_diag_set(diag, -ETIMEDOUT,
				    "%s: the drive has been busy (NOT READY 04/%02X) for %.1f s "
				    "without progress (limit %u s); it may be stuck: wait, then "
				    "eject the disc or power-cycle the drive",
				    op_name(op), s->ascq, (double)(t - w->still_ms) / 1000.0,
				    d->stuck_s);
	if (d->busy)
		d->busy(op_name(op), s->progress, d->busy_userdata);
	if (pause_ms(d, w->pause) < 0)
		return bfs_diag_set(diag, -ECANCELED,
				    "%s: cancelled while the drive was busy (NOT READY 04/%02X) "
				    "for %.1f s",
				    op_name(op), s->ascq, secs_since(w->t0_ms));
	w->pause = BFS_MIN(w->pause * 2, 100u);
	return 0;
}

/* The sense table's remedy, with the command that does it on a virtual drive. */
static const char *remedy_for(const struct mmc_drive *d, const struct mmc_sense *s,
			      const char *remedy, char *buf, size_t size)
{
	if (!d->vd || s->asc != 0x3A)
		return remedy;
	snprintf(buf, size,
		 "load a disc: `burnfs vdrive load %s` puts this one back, `burnfs vdrive load "
		 "%s --blank` a new blank one",
		 d->vd_dir, d->vd_dir);
	return buf;
}

int mmc_exec(struct mmc_drive *d, const uint8_t *cdb, size_t cdb_len, enum mmc_dir dir, void *buf,
	     size_t len, struct mmc_sense *reterr_sense, struct bfs_diag *diag)
{
	struct raw_result res;
	unsigned ua_retries = 0;
	struct busy_wait w = {.last_progress = -2, .pause = 5};

	for (;;) {
		char rbuf[512];
		struct mmc_sense s = {.progress = -1};
		const char *text, *remedy;
		int err;

		err = raw_exec(d, cdb, cdb_len, dir, buf, len, &res, diag);
		if (err < 0)
			return err;
		if (d->trace)
			trace(d, cdb, cdb_len, len, &res);
		if (res.status == 0)
			return 0;
		if (res.status != 0x02)
			return bfs_diag_set(diag, res.status == 0x08 ? -EBUSY : -EIO,
					    "%s failed: SCSI status %02Xh", op_name(cdb[0]),
					    res.status);
		if (mmc_parse_sense(res.sense, sizeof(res.sense), &s) < 0)
			return bfs_diag_set(diag, -EIO, "%s failed without sense data",
					    op_name(cdb[0]));
		if (reterr_sense)
			*reterr_sense = s;
		/* a long operation: wait and re-issue (a full buffer on WRITE is the caller's) */
		if (in_progress(&s) && !(cdb[0] == 0x2A && s.ascq == 0x08)) {
			err = busy_step(d, cdb[0], &s, &w, diag);
			if (err < 0)
				return err;
			continue;
		}
		err = mmc_sense_lookup(&s, &text, &remedy);
		if (err == -EAGAIN && ua_retries++ < 2)
			continue; /* unit attention: once more */
		return bfs_diag_set(diag, err, "%s failed: %s (sense %X/%02X/%02X); %s",
				    op_name(cdb[0]), text, s.key, s.asc, s.ascq,
				    remedy_for(d, &s, remedy, rbuf, sizeof(rbuf)));
	}
}

/* ---- media ----------------------------------------------------------------------------- */

static const char *profile_name(uint16_t p)
{
	switch (p) {
	case 0x09:
		return "CD-R";
	case 0x0A:
		return "CD-RW";
	case 0x11:
		return "DVD-R";
	case 0x12:
		return "DVD-RAM";
	case 0x13:
		return "DVD-RW (restricted overwrite)";
	case 0x14:
		return "DVD-RW";
	case 0x1A:
		return "DVD+RW";
	case 0x1B:
		return "DVD+R";
	case 0x2B:
		return "DVD+R DL";
	case 0x41:
		return "BD-R";
	case 0x43:
		return "BD-RE";
	case 0x10:
		return "DVD-ROM";
	case 0x00:
		return "no medium";
	default:
		return "unknown profile";
	}
}

const char *mmc_disc_status_name(enum mmc_disc_status s)
{
	static const char *n[] = {"blank", "incomplete", "appendable", "complete", "rewritable"};

	return s <= MMC_DISC_RANDOM ? n[s] : "?";
}

/* READ TRACK INFORMATION of the last track: the NWA, free and used blocks, capacity. */
static int probe_last_track(struct mmc_drive *d, struct mmc_media *m, unsigned last_track,
			    struct bfs_diag *diag)
{
	uint8_t cdb[10] = {0}, b[48] = {0};
	int r;

	cdb[0] = 0x52, cdb[1] = 0x01;
	bfs_put_be32(cdb + 2, last_track ? last_track : 1);
	bfs_put_be16(cdb + 7, 48);
	r = mmc_exec(d, cdb, 10, MMC_DIR_IN, b, 48, NULL, diag);
	if (r < 0)
		return r;
	if (bfs_get_be16(b) < 26)
		return bfs_diag_set(diag, -EPROTO, "READ TRACK INFORMATION: reply of %u bytes",
				    bfs_get_be16(b) + 2u);
	m->nwa_valid = b[7] & 0x01;
	m->nwa = m->nwa_valid ? bfs_get_be32(b + 12) : 0;
	m->free_blocks = m->nwa_valid ? bfs_get_be32(b + 16) : 0;
	m->capacity = m->nwa + m->free_blocks;
	m->used_blocks = m->nwa;
	if (!m->nwa_valid && !m->overwrite) {
		/* a finalized disc: what is recorded ends with its last track */
		m->used_blocks = (uint64_t)bfs_get_be32(b + 8) + bfs_get_be32(b + 24);
		m->capacity = m->used_blocks;
	}
	if (m->overwrite) {
		/* the whole disc is writable; the last recorded address tells what is in use */
		uint32_t lra = bfs_get_be32(b + 28);

		m->used_blocks = lra ? (uint64_t)lra + 1 : 0;
		m->capacity = bfs_get_be32(b + 24);
		m->nwa = 0, m->nwa_valid = true;
		m->free_blocks = m->capacity;
	}
	return 0;
}

int mmc_media_probe(struct mmc_drive *d, struct mmc_media *ret, struct bfs_diag *diag)
{
	uint8_t cdb[12], b[64];
	struct mmc_media m = {0};
	unsigned last_track;
	int r;

	/* GET CONFIGURATION, RT=1 current features: the header's current profile */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x46, cdb[1] = 0x01;
	bfs_put_be16(cdb + 7, 8);
	r = mmc_exec(d, cdb, 10, MMC_DIR_IN, b, 8, NULL, diag);
	if (r < 0)
		return r;
	m.profile = bfs_get_be16(b + 6);
	m.profile_name = profile_name(m.profile);
	if (m.profile == 0) {
		struct mmc_sense nm = {.asc = 0x3A};
		char rbuf[512];

		return bfs_diag_set(diag, -ENOMEDIUM, "no medium in the drive; %s",
				    remedy_for(d, &nm, "load a disc", rbuf, sizeof(rbuf)));
	}
	m.overwrite =
		m.profile == 0x1A || m.profile == 0x12 || m.profile == 0x43 || m.profile == 0x13;

	/* READ DISC INFORMATION */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x51;
	bfs_put_be16(cdb + 7, 34);
	memset(b, 0, sizeof(b));
	r = mmc_exec(d, cdb, 10, MMC_DIR_IN, b, 34, NULL, diag);
	if (r < 0)
		return r;
	if (bfs_get_be16(b) < 10)
		return bfs_diag_set(diag, -EPROTO, "READ DISC INFORMATION: reply of %u bytes",
				    bfs_get_be16(b) + 2u);
	m.erasable = b[2] & 0x10;
	switch (b[2] & 0x03) {
	case 0:
		m.status = MMC_DISC_BLANK;
		break;
	case 1:
		m.status = ((b[2] >> 2) & 0x03) == 0x01 ? MMC_DISC_INCOMPLETE : MMC_DISC_APPENDABLE;
		break;
	case 2:
		m.status = MMC_DISC_COMPLETE;
		break;
	default:
		m.status = MMC_DISC_RANDOM;
		break;
	}
	if (m.overwrite && m.status == MMC_DISC_BLANK) {
		/* READ FORMAT CAPACITIES (MMC-6 6.24): current descriptor type 01b */
		uint8_t fc[12] = {0}, c[10] = {0x23};

		bfs_put_be16(c + 7, sizeof(fc));
		r = mmc_exec(d, c, 10, MMC_DIR_IN, fc, sizeof(fc), NULL, diag);
		if (r < 0)
			return r;
		m.unformatted = fc[3] >= 8 && (fc[8] & 0x03) == 0x01;
	}
	if (m.overwrite)
		m.status = MMC_DISC_RANDOM;
	m.sessions = b[4] | (unsigned)b[9] << 8;
	/* the count includes the empty next session, or the incomplete one: not closed */
	if (m.status == MMC_DISC_APPENDABLE || m.status == MMC_DISC_BLANK ||
	    m.status == MMC_DISC_INCOMPLETE)
		m.sessions = m.sessions ? m.sessions - 1 : 0;
	last_track = b[6] | (unsigned)b[11] << 8;
	m.first_track = b[3];
	m.last_track = last_track;

	r = probe_last_track(d, &m, last_track, diag);
	if (r < 0)
		return r;
	/* READ TOC format 1: start of the last complete session (an incomplete disc has
	 * complete ones before its open session too) */
	if (m.status == MMC_DISC_APPENDABLE || m.status == MMC_DISC_COMPLETE ||
	    (m.status == MMC_DISC_INCOMPLETE && m.sessions)) {
		memset(cdb, 0, sizeof(cdb));
		cdb[0] = 0x43, cdb[2] = 0x01;
		bfs_put_be16(cdb + 7, 12);
		r = mmc_exec(d, cdb, 10, MMC_DIR_IN, b, 12, NULL, diag);
		if (r < 0)
			return r;
		m.last_session_start = bfs_get_be32(b + 8);
	}
	*ret = m;
	return 0;
}

int mmc_parse_track_info(const uint8_t *b, size_t n, struct mmc_track *ret)
{
	struct mmc_track t = {0};

	/* MMC-6 6.27.3: the fields up to Track Size (bytes 24-27) are mandatory */
	if (n < 28 || bfs_get_be16(b) < 26)
		return -EBADMSG;
	t.number = b[2] | (n > 32 && bfs_get_be16(b) >= 31 ? (unsigned)b[32] << 8 : 0);
	t.session = b[3] | (n > 33 && bfs_get_be16(b) >= 32 ? (unsigned)b[33] << 8 : 0);
	t.reserved = b[6] & 0x80;
	t.blank = b[6] & 0x40;
	t.nwa_valid = b[7] & 0x01;
	t.start = bfs_get_be32(b + 8);
	t.nwa = bfs_get_be32(b + 12);
	t.free_blocks = bfs_get_be32(b + 16);
	t.size = bfs_get_be32(b + 24);
	*ret = t;
	return 0;
}

int mmc_read_tracks(struct mmc_drive *d, const struct mmc_media *m, struct mmc_track *ret,
		    size_t max, size_t *ret_n, struct bfs_diag *diag)
{
	size_t n = 0;

	for (unsigned tno = m->first_track ? m->first_track : 1; tno <= m->last_track && n < max;
	     tno++) {
		uint8_t cdb[10] = {0x52, 0x01}, b[48] = {0};
		int r;

		bfs_put_be32(cdb + 2, tno);
		bfs_put_be16(cdb + 7, sizeof(b));
		r = mmc_exec(d, cdb, 10, MMC_DIR_IN, b, sizeof(b), NULL, diag);
		if (r < 0)
			return r;
		if (mmc_parse_track_info(b, sizeof(b), &ret[n]) < 0)
			return bfs_diag_set(diag, -EPROTO,
					    "READ TRACK INFORMATION of track %u: reply of %u bytes",
					    tno, bfs_get_be16(b) + 2u);
		n++;
	}
	*ret_n = n;
	return 0;
}

int mmc_wait_ready(struct mmc_drive *d, const char *what, struct bfs_diag *diag)
{
	uint8_t cdb[6] = {0x00};
	int r = mmc_exec(d, cdb, 6, MMC_DIR_NONE, NULL, 0, NULL, diag);

	if (r < 0 && what)
		r = bfs_diag_prefix(diag, r, "%s", what);
	return r;
}

int mmc_buffer_capacity(struct mmc_drive *d, uint32_t *ret_size, uint32_t *ret_free,
			struct bfs_diag *diag)
{
	uint8_t cdb[10] = {0x5C}, b[12] = {0};
	int r;

	bfs_put_be16(cdb + 7, sizeof(b));
	r = mmc_exec(d, cdb, 10, MMC_DIR_IN, b, sizeof(b), NULL, diag);
	if (r < 0)
		return r;
	if (bfs_get_be16(b) < 10)
		return bfs_diag_set(diag, -EPROTO, "READ BUFFER CAPACITY: reply of %u bytes",
				    bfs_get_be16(b) + 2u);
	*ret_size = bfs_get_be32(b + 4);
	*ret_free = BFS_MIN(bfs_get_be32(b + 8), *ret_size);
	return 0;
}

/* A WRITE that finds the drive's buffer full: since when, and the free space seen. */
struct buffer_wait {
	uint64_t t0_ms;	   /* the first 02/04/08 of this WRITE */
	uint64_t since_ms; /* t0_ms, or the last change of the free space */
	uint32_t last_free;
};

/*
 * The drive's buffer is full (02/04/08 on WRITE): wait until half of it is free, asking
 * READ BUFFER CAPACITY every few milliseconds, as growisofs paces (mmc.md 1.4); a drive
 * without the command gets pauses of 20 ms. -ETIMEDOUT when for stuck_s the free space
 * has not changed (or, without the command, the WRITE has not been taken), -ECANCELED.
 */
static int wait_buffer(struct mmc_drive *d, struct buffer_wait *w, struct bfs_diag *diag)
{
	for (;;) {
		struct bfs_diag tmp = {0};
		uint32_t size, avail;
		bool rbc = mmc_buffer_capacity(d, &size, &avail, &tmp) == 0;
		uint64_t t = now_ms();

		if (rbc && avail != w->last_free)
			w->since_ms = t, w->last_free = avail;
		if (t - w->since_ms >= (uint64_t)d->stuck_s * 1000)
			return bfs_diag_set(
				diag, -ETIMEDOUT,
				"WRITE(10): the drive's buffer has not drained for %.1f s (limit %u "
				"s); the drive may be stuck: eject the disc or power-cycle it",
				(double)(t - w->since_ms) / 1000.0, d->stuck_s);
		if (rbc && avail >= size / 2)
			return 0;
		if (pause_ms(d, rbc ? 5 : 20) < 0)
			return bfs_diag_set(diag, -ECANCELED,
					    "WRITE(10): cancelled while waiting %.1f s for the "
					    "drive's buffer to drain",
					    secs_since(w->t0_ms));
		if (!rbc)
			return 0;
	}
}

/*
 * A READ or WRITE of blocks [lba, lba + n) failed with r: its message names the block the
 * drive named (INFORMATION, when VALID and inside the command), else the command's range.
 */
static int name_block(bool write, uint64_t lba, uint32_t n, const struct mmc_sense *s, int r,
		      struct bfs_diag *diag)
{
	const char *verb = write ? "writing" : "reading";

	if (s->info_valid && s->info >= lba && s->info < lba + n)
		return bfs_diag_prefix(diag, r, "%s block %u", verb, s->info);
	if (n == 1)
		return bfs_diag_prefix(diag, r, "%s block %llu", verb, (unsigned long long)lba);
	return bfs_diag_prefix(diag, r, "%s blocks %llu-%llu%s", verb, (unsigned long long)lba,
			       (unsigned long long)(lba + n - 1),
			       /* a medium or hardware error without the block */
			       s->key == 0x03 || s->key == 0x04 ? " (the drive named none of them)"
								: "");
}

/*
 * A READ or WRITE larger than the transport takes in one command (an SG_IO transfer past
 * the host's segment or sector limit fails with EINVAL) as consecutive commands.
 */
static int in_pieces(struct mmc_drive *d, uint64_t lba, uint32_t n, uint8_t *buf, bool fua,
		     bool write, struct bfs_diag *diag)
{
	for (uint32_t done = 0, k; done < n; done += k) {
		uint8_t *p = buf + (size_t)done * 2048;
		int r;

		k = BFS_MIN(n - done, d->max_blocks);
		r = write ? mmc_write(d, lba + done, k, p, diag)
			  : mmc_read(d, lba + done, k, p, fua, diag);
		if (r < 0)
			return r;
	}
	return 0;
}

int mmc_write(struct mmc_drive *d, uint64_t lba, uint32_t n, const uint8_t *buf,
	      struct bfs_diag *diag)
{
	uint8_t cdb[10] = {0x2A};

	if (lba > UINT32_MAX || n > 0xFFFF)
		return bfs_diag_set(diag, -EINVAL, "WRITE(10) of %u blocks at %llu", n,
				    (unsigned long long)lba);
	if (n > d->max_blocks)
		return in_pieces(d, lba, n, (uint8_t *)buf, false, true, diag);
	bfs_put_be32(cdb + 2, (uint32_t)lba);
	bfs_put_be16(cdb + 7, (uint16_t)n);
	for (struct buffer_wait w = {0};;) {
		struct mmc_sense s = {0};
		int r = mmc_exec(d, cdb, 10, MMC_DIR_OUT, (void *)buf, (size_t)n * 2048, &s, diag);

		if (r == 0)
			return 0;
		if (!(r == -EBUSY && s.key == 0x02 && s.asc == 0x04 && s.ascq == 0x08))
			return name_block(true, lba, n, &s, r, diag);
		/* never an error, never skip data: the same WRITE again once there is room */
		bfs_diag_clear(diag);
		if (!w.t0_ms)
			w = (struct buffer_wait){
				.t0_ms = now_ms(), .since_ms = now_ms(), .last_free = UINT32_MAX};
		r = wait_buffer(d, &w, diag);
		if (r < 0)
			return r;
	}
}

int mmc_read(struct mmc_drive *d, uint64_t lba, uint32_t n, uint8_t *buf, bool fua,
	     struct bfs_diag *diag)
{
	uint8_t cdb[10] = {0x28};
	struct mmc_sense s = {0};
	int r;

	if (lba > UINT32_MAX || n > 0xFFFF)
		return bfs_diag_set(diag, -EINVAL, "READ(10) of %u blocks at %llu", n,
				    (unsigned long long)lba);
	if (n > d->max_blocks)
		return in_pieces(d, lba, n, buf, fua, false, diag);
	cdb[1] = fua ? 0x08 : 0;
	bfs_put_be32(cdb + 2, (uint32_t)lba);
	bfs_put_be16(cdb + 7, (uint16_t)n);
	r = mmc_exec(d, cdb, 10, MMC_DIR_IN, buf, (size_t)n * 2048, &s, diag);
	return r < 0 ? name_block(false, lba, n, &s, r, diag) : 0;
}

int mmc_sync_cache(struct mmc_drive *d, struct bfs_diag *diag)
{
	uint8_t cdb[10] = {0x35, 0x02}; /* Immed: the drive writes its buffer meanwhile */
	int r = mmc_exec(d, cdb, 10, MMC_DIR_NONE, NULL, 0, NULL, diag);

	return r < 0 ? r : mmc_wait_ready(d, "flushing the drive's buffer", diag);
}

/* CLOSE TRACK/SESSION with Immed, then poll until the drive has done it. */
static int close_fn(struct mmc_drive *d, unsigned func, unsigned track, struct bfs_diag *diag)
{
	uint8_t cdb[10] = {0x5B, 0x01};
	int r;

	cdb[2] = (uint8_t)func;
	bfs_put_be16(cdb + 4, (uint16_t)track);
	r = mmc_exec(d, cdb, 10, MMC_DIR_NONE, NULL, 0, NULL, diag);
	return r < 0 ? r : mmc_wait_ready(d, func == 1 ? "closing the track" : "closing", diag);
}

bool mmc_media_can_simulate(const struct mmc_media *m)
{
	return m->profile == 0x09 || m->profile == 0x0A || m->profile == 0x11 || m->profile == 0x14;
}

int mmc_set_test_write(struct mmc_drive *d, const struct mmc_media *m, bool on,
		       struct bfs_diag *diag)
{
	uint8_t cdb[10] = {0x5A}, p[8 + 52] = {0};
	int r;

	if (on && !mmc_media_can_simulate(m))
		return bfs_diag_set(diag, -EOPNOTSUPP,
				    "a %s cannot do test writes (only CD-R/RW and DVD-R/RW can); "
				    "nothing was written: burn without --simulate to record the "
				    "session",
				    m->profile_name);
	/* read page 05h, change Test Write, write it back: the other fields stay */
	cdb[2] = 0x05;
	bfs_put_be16(cdb + 7, sizeof(p));
	r = mmc_exec(d, cdb, 10, MMC_DIR_IN, p, sizeof(p), NULL, diag);
	if (r < 0)
		return r;
	if ((p[8 + bfs_get_be16(p + 6)] & 0x3F) != 0x05 || bfs_get_be16(p + 6) != 0)
		return bfs_diag_set(diag, -EPROTO, "MODE SENSE: no page 05h in the reply");
	p[0] = p[1] = 0;
	p[8] &= 0x3F; /* PS is reserved in MODE SELECT */
	p[10] = (uint8_t)((p[10] & ~0x10) | (on ? 0x10 : 0));
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x55, cdb[1] = 0x10;
	bfs_put_be16(cdb + 7, sizeof(p));
	r = mmc_exec(d, cdb, 10, MMC_DIR_OUT, p, sizeof(p), NULL, diag);
	if (r == 0)
		d->test_write = on;
	return r;
}

/* Page 05h for CD and DVD-R; next: Multi-session 11b (appendable) or 00b (finalize) */
static int write_params(struct mmc_drive *d, const struct mmc_media *m, bool test, bool next,
			struct bfs_diag *diag)
{
	uint8_t p[8 + 52] = {0}, cdb[10] = {0x55, 0x10}, *w = p + 8;

	/* Write Parameters page 05h (MMC-6 7.5; mmc.md 1.3), BUFE (underrun protection) on */
	switch (m->profile) {
	case 0x09: /* CD-R, CD-RW: TAO, next session allowed, data track, mode 1, CD-ROM */
	case 0x0A:
		w[2] = 0x01;
		w[3] = 0x04;
		w[4] = 0x08;
		break;
	case 0x11: /* DVD-R, DVD-RW sequential, DVD-R DL: incremental, link size 16 (LS_V),
		    * fixed packets of 16 blocks, next session allowed, track mode 5 */
	case 0x14:
	case 0x15:
		w[2] = 0x20 | 0x00;
		w[3] = 0x20 | 0x05;
		w[4] = 0x08;
		w[5] = 16;
		bfs_put_be32(w + 10, 16);
		break;
	default: /* DVD+R(DL), BD-R SRM and overwrite media take no write parameters */
		return 0;
	}
	w[0] = 0x05, w[1] = 50;
	w[2] |= 0x40 | (test ? 0x10 : 0);
	w[3] |= next ? 0xC0 : 0x00;
	bfs_put_be16(cdb + 7, sizeof(p));
	return mmc_exec(d, cdb, 10, MMC_DIR_OUT, p, sizeof(p), NULL, diag);
}

int mmc_write_prepare(struct mmc_drive *d, const struct mmc_media *m, bool test,
		      struct bfs_diag *diag)
{
	if (test && !mmc_media_can_simulate(m))
		return bfs_diag_set(diag, -EOPNOTSUPP,
				    "a %s cannot do test writes (only CD-R/RW and DVD-R/RW can); "
				    "nothing was written: burn without --simulate to record the "
				    "session",
				    m->profile_name);
	int r = write_params(d, m, test, true, diag);

	if (r == 0)
		d->test_write = test;
	return r;
}

int mmc_close(struct mmc_drive *d, const struct mmc_media *m, bool finalize, struct bfs_diag *diag)
{
	int r;

	if (m->overwrite)
		return 0;
	r = close_fn(d, 1, 0xFF, diag); /* close the track */
	if (r < 0)
		return r;
	/* CD, DVD-R: 010b closes the session (page 05h decides finalizing); DVD+R, BD-R:
	 * 010b leaves the disc appendable, 110b finalizes */
	if (finalize && (m->profile == 0x1B || m->profile == 0x2B || m->profile == 0x41))
		return close_fn(d, 6, 0, diag);
	/* page 05h's Multi-session field: 00b finalizes (11b, appendable, is already set) */
	if (finalize) {
		r = write_params(d, m, d->test_write, false, diag);
		if (r < 0)
			return r;
	}
	return close_fn(d, 2, 0, diag);
}

int mmc_erase(struct mmc_drive *d, const struct mmc_media *m, bool full, struct bfs_diag *diag)
{
	uint8_t cdb[12] = {0};
	int r;

	if (m->overwrite) {
		/*
		 * FORMAT UNIT (MMC-6 6.5) with FmtData and Immed, one full-capacity descriptor:
		 * DVD+RW 26h; DVD-RAM 00h; BD-RE 00h (quick), or 30h subtype 10b (full
		 * certification) for --full, which checks every block.
		 */
		uint8_t list[12] = {0, 0x02, 0, 8};

		cdb[0] = 0x04, cdb[1] = 0x11;
		if (m->capacity > UINT32_MAX) /* the descriptor's Number of Blocks is 32 bits */
			return bfs_diag_set(diag, -EINVAL,
					    "FORMAT UNIT: a capacity of %llu blocks does not fit "
					    "the command",
					    (unsigned long long)m->capacity);
		bfs_put_be32(list + 4, (uint32_t)m->capacity);
		if (m->profile == 0x1A)
			list[8] = 0x26 << 2;
		else if (m->profile == 0x43 && full)
			list[8] = 0x30 << 2 | 0x02;
		r = mmc_exec(d, cdb, 6, MMC_DIR_OUT, list, sizeof(list), NULL, diag);
		return r < 0 ? r : mmc_wait_ready(d, "formatting", diag);
	}
	if (!m->erasable)
		return bfs_diag_set(diag, -EMEDIUMTYPE,
				    "%s is write-once: it cannot be erased; use a new disc",
				    m->profile_name);
	/* BLANK (MMC-6) with Immed: type 0 the whole disc, type 1 minimal (TOC, PMA) */
	cdb[0] = 0xA1;
	cdb[1] = 0x10 | (full ? 0x00 : 0x01);
	r = mmc_exec(d, cdb, 12, MMC_DIR_NONE, NULL, 0, NULL, diag);
	return r < 0 ? r : mmc_wait_ready(d, "blanking", diag);
}

int mmc_eject(struct mmc_drive *d, struct bfs_diag *diag)
{
	uint8_t cdb[6] = {0x1B, 0, 0, 0, 0x02};

	return mmc_exec(d, cdb, 6, MMC_DIR_NONE, NULL, 0, NULL, diag);
}

unsigned mmc_media_x1_kBps(const struct mmc_media *m)
{
	return m->profile >= 0x40 ? 4496 : m->profile >= 0x10 ? 1385 : 176;
}

static int cmp_desc(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

int mmc_parse_write_speeds(const uint8_t *b, size_t n, unsigned *kBps, size_t max, size_t *ret_n)
{
	size_t len, k = 0;

	if (n < 8)
		return -EBADMSG;
	/* Performance Data Length counts the bytes after itself (MMC-6 6.8.2.6) */
	len = BFS_MIN((size_t)bfs_get_be32(b) + 4, n);
	for (size_t o = 8; o + 16 <= len && k < max; o += 16) {
		unsigned w = bfs_get_be32(b + o + 12);
		bool dup = false;

		for (size_t i = 0; i < k; i++)
			dup = dup || kBps[i] == w;
		if (w && !dup)
			kBps[k++] = w;
	}
	qsort(kBps, k, sizeof(*kBps), cmp_desc);
	*ret_n = k;
	return 0;
}

int mmc_write_speeds(struct mmc_drive *d, unsigned *kBps, size_t max, size_t *ret_n,
		     struct bfs_diag *diag)
{
	uint8_t cdb[12] = {0xAC}, b[8 + 32 * 16] = {0};
	int r;

	bfs_put_be16(cdb + 8, 32); /* descriptors */
	cdb[10] = 0x03;		   /* type: write speed */
	r = mmc_exec(d, cdb, 12, MMC_DIR_IN, b, sizeof(b), NULL, diag);
	if (r < 0)
		return r;
	if (mmc_parse_write_speeds(b, sizeof(b), kBps, max, ret_n) < 0)
		return bfs_diag_set(diag, -EPROTO, "GET PERFORMANCE: a short reply");
	return 0;
}

int mmc_set_write_speed(struct mmc_drive *d, const struct mmc_media *m, unsigned x,
			unsigned *ret_kBps, struct bfs_diag *diag)
{
	unsigned speeds[32], x1 = mmc_media_x1_kBps(m), want;
	size_t n = 0;
	uint8_t cdb[12] = {0};
	int r;

	*ret_kBps = 0;
	r = mmc_write_speeds(d, speeds, BFS_ARRAY_SIZE(speeds), &n, diag);
	if (r == -EOPNOTSUPP)
		bfs_diag_clear(diag), n = 0; /* a drive without speed descriptors */
	else if (r < 0)
		return r;
	if (x == 0 && n == 0)
		return 0; /* the drive's own choice, its fastest */
	want = x ? x * x1 : speeds[0];
	if (n) {
		/* the fastest listed speed not above the request (half a 1x of slack: drives
		 * list 4495 for 1x BD and round), else the slowest */
		size_t i = 0;

		while (i + 1 < n && speeds[i] > want + x1 / 2)
			i++;
		want = speeds[i];
	}
	if (m->profile < 0x10) { /* CD: SET CD SPEED, read speed the fastest */
		cdb[0] = 0xBB;
		bfs_put_be16(cdb + 2, 0xFFFF);
		bfs_put_be16(cdb + 4, (uint16_t)BFS_MIN(want, 0xFFFEu));
		r = mmc_exec(d, cdb, 12, MMC_DIR_NONE, NULL, 0, NULL, diag);
	} else { /* DVD, BD: SET STREAMING with one performance descriptor */
		uint8_t p[28] = {0};

		/* end LBA: the last block, or the last one the 32-bit field can name */
		bfs_put_be32(p + 8, (uint32_t)BFS_MIN(m->capacity ? m->capacity - 1 : 0,
						      (uint64_t)UINT32_MAX));
		bfs_put_be32(p + 12, want); /* read size, kB */
		bfs_put_be32(p + 16, 1000); /* per 1000 ms */
		bfs_put_be32(p + 20, want);
		bfs_put_be32(p + 24, 1000);
		cdb[0] = 0xB6;
		bfs_put_be16(cdb + 9, sizeof(p));
		r = mmc_exec(d, cdb, 12, MMC_DIR_OUT, p, sizeof(p), NULL, diag);
	}
	if (r == 0)
		*ret_kBps = want;
	return r;
}
