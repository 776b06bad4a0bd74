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
#include "mmc/layout.h"
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
	mmc_poll_fn poll; /* mmc_drive_set_poll() */
	void *poll_userdata;
	bool no_wait;	     /* mmc_drive_set_busy_wait(false) */
	uint32_t max_blocks; /* the largest READ/WRITE transfer */
	bool test_write;     /* page 05h Test Write as burnfs last set it */
};

/* One command through the drive's transport: SCSI status, fixed-format sense. */
struct raw_result {
	uint8_t status;
	uint8_t sense[MMC_SENSE_FIXED_SIZE];
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
	return d->poll && d->poll(d->poll_userdata) < 0;
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
		res->sense[MMC_SENSE_RESPONSE] = MMC_SENSE_CURRENT;
		res->sense[MMC_SENSE_KEY] = (uint8_t)task->sense.key;
		res->sense[MMC_SENSE_ADD_LEN] = MMC_SENSE_FIXED_ADD_LEN;
		res->sense[MMC_SENSE_ASC] = (uint8_t)(task->sense.ascq >> 8);
		res->sense[MMC_SENSE_ASCQ] = (uint8_t)task->sense.ascq;
		if (task->sense.sense_specific) {
			res->sense[MMC_SENSE_SKS] = MMC_SENSE_SKSV;
			bfs_put_be16(res->sense + MMC_SENSE_FIELD_PTR, task->sense.field_pointer);
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
	r = d->vd_dir ? vdrive_open_wait(addr + 7, VDRIVE_WAIT_MS, &d->vd, &vdiag) : -ENOMEM;
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

void mmc_drive_set_poll(struct mmc_drive *d, mmc_poll_fn fn, void *userdata)
{
	d->poll = fn;
	d->poll_userdata = userdata;
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
	case MMC_OP_TEST_UNIT_READY:
		return "TEST UNIT READY";
	case MMC_OP_REQUEST_SENSE:
		return "REQUEST SENSE";
	case MMC_OP_FORMAT_UNIT:
		return "FORMAT UNIT";
	case MMC_OP_INQUIRY:
		return "INQUIRY";
	case MMC_OP_START_STOP_UNIT:
		return "START STOP UNIT";
	case MMC_OP_PREVENT_ALLOW:
		return "PREVENT ALLOW MEDIUM REMOVAL";
	case MMC_OP_READ_CAPACITY:
		return "READ CAPACITY";
	case MMC_OP_READ10:
		return "READ(10)";
	case MMC_OP_WRITE10:
		return "WRITE(10)";
	case MMC_OP_SYNC_CACHE:
		return "SYNCHRONIZE CACHE";
	case MMC_OP_READ_TOC:
		return "READ TOC/PMA/ATIP";
	case MMC_OP_GET_CONFIGURATION:
		return "GET CONFIGURATION";
	case MMC_OP_READ_DISC_INFO:
		return "READ DISC INFORMATION";
	case MMC_OP_READ_TRACK_INFO:
		return "READ TRACK INFORMATION";
	case MMC_OP_CLOSE_TRACK_SESSION:
		return "CLOSE TRACK/SESSION";
	case MMC_OP_BLANK:
		return "BLANK";
	case MMC_OP_READ_FORMAT_CAPACITIES:
		return "READ FORMAT CAPACITIES";
	case MMC_OP_WRITE_VERIFY10:
		return "WRITE AND VERIFY(10)";
	case MMC_OP_VERIFY10:
		return "VERIFY(10)";
	case MMC_OP_GESN:
		return "GET EVENT STATUS NOTIFICATION";
	case MMC_OP_RESERVE_TRACK:
		return "RESERVE TRACK";
	case MMC_OP_MODE_SELECT10:
		return "MODE SELECT(10)";
	case MMC_OP_MODE_SENSE10:
		return "MODE SENSE(10)";
	case MMC_OP_READ_BUFFER_CAPACITY:
		return "READ BUFFER CAPACITY";
	case MMC_OP_SEND_CUE_SHEET:
		return "SEND CUE SHEET";
	case MMC_OP_READ12:
		return "READ(12)";
	case MMC_OP_WRITE12:
		return "WRITE(12)";
	case MMC_OP_GET_PERFORMANCE:
		return "GET PERFORMANCE";
	case MMC_OP_READ_DISC_STRUCTURE:
		return "READ DISC STRUCTURE";
	case MMC_OP_SET_STREAMING:
		return "SET STREAMING";
	case MMC_OP_SET_CD_SPEED:
		return "SET CD SPEED";
	case MMC_OP_MECHANISM_STATUS:
		return "MECHANISM STATUS";
	case MMC_OP_READ_CD:
		return "READ CD";
	default:
		return "?";
	}
}

int mmc_parse_sense(const uint8_t *b, size_t n, struct mmc_sense *ret)
{
	uint8_t code;

	/* the fields up to ASCQ, and an additional length that reaches it */
	if (n < MMC_SENSE_ASCQ + 1)
		return -EBADMSG;
	code = b[MMC_SENSE_RESPONSE] & MMC_SENSE_CODE_MASK;
	if ((code != MMC_SENSE_CURRENT && code != MMC_SENSE_DEFERRED) ||
	    b[MMC_SENSE_ADD_LEN] < MMC_SENSE_ASCQ - MMC_SENSE_ADD_LEN)
		return -EBADMSG;
	ret->key = b[MMC_SENSE_KEY] & MMC_SENSE_KEY_MASK;
	ret->asc = b[MMC_SENSE_ASC];
	ret->ascq = b[MMC_SENSE_ASCQ];
	/* sense key specific bytes 15-17, valid when SKSV is set and the sense holds them */
	ret->progress = n >= MMC_SENSE_FIXED_SIZE &&
					b[MMC_SENSE_ADD_LEN] >= MMC_SENSE_FIXED_ADD_LEN &&
					(b[MMC_SENSE_SKS] & MMC_SENSE_SKSV)
				? bfs_get_be16(b + MMC_SENSE_PROGRESS)
				: -1;
	ret->info_valid = b[MMC_SENSE_RESPONSE] & MMC_SENSE_VALID;
	ret->info = bfs_get_be32(b + MMC_SENSE_INFO);
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
		fprintf(d->trace, " sense %x/%02x/%02x",
			res->sense[MMC_SENSE_KEY] & MMC_SENSE_KEY_MASK, res->sense[MMC_SENSE_ASC],
			res->sense[MMC_SENSE_ASCQ]);
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
		if (res.status == MMC_STATUS_GOOD)
			return 0;
		if (res.status != MMC_STATUS_CHECK_CONDITION)
			return bfs_diag_set(diag, res.status == MMC_STATUS_BUSY ? -EBUSY : -EIO,
					    "%s failed: SCSI status %02Xh", op_name(cdb[0]),
					    res.status);
		if (mmc_parse_sense(res.sense, sizeof(res.sense), &s) < 0)
			return bfs_diag_set(diag, -EIO, "%s failed without sense data",
					    op_name(cdb[0]));
		if (reterr_sense)
			*reterr_sense = s;
		/* a long operation: wait and re-issue (a full buffer on WRITE is the caller's) */
		if (in_progress(&s) && !(cdb[0] == MMC_OP_WRITE10 && s.ascq == 0x08)) {
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
	case MMC_PROFILE_CD_R:
		return "CD-R";
	case MMC_PROFILE_CD_RW:
		return "CD-RW";
	case MMC_PROFILE_DVD_R:
		return "DVD-R";
	case MMC_PROFILE_DVD_RAM:
		return "DVD-RAM";
	case MMC_PROFILE_DVD_RW_RO:
		return "DVD-RW (restricted overwrite)";
	case MMC_PROFILE_DVD_RW:
		return "DVD-RW";
	case MMC_PROFILE_DVD_PLUS_RW:
		return "DVD+RW";
	case MMC_PROFILE_DVD_PLUS_R:
		return "DVD+R";
	case MMC_PROFILE_DVD_PLUS_R_DL:
		return "DVD+R DL";
	case MMC_PROFILE_BD_R:
		return "BD-R";
	case MMC_PROFILE_BD_RE:
		return "BD-RE";
	case MMC_PROFILE_DVD_ROM:
		return "DVD-ROM";
	case MMC_PROFILE_NONE:
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
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_READ_TRACK_INFO,
				       [MMC_TI_CDB_TYPE] = MMC_TI_CDB_TYPE_TRACK};
	uint8_t b[MMC_TI_SIZE] = {0};
	int r;

	bfs_put_be32(cdb + MMC_TI_CDB_ADDRESS, last_track ? last_track : 1);
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(b));
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, b, sizeof(b), NULL, diag);
	if (r < 0)
		return r;
	if (bfs_get_be16(b + MMC_TI_LENGTH) < MMC_TI_MANDATORY - 2)
		return bfs_diag_set(diag, -EPROTO, "READ TRACK INFORMATION: reply of %u bytes",
				    bfs_get_be16(b + MMC_TI_LENGTH) + 2u);
	m->nwa_valid = b[MMC_TI_VALID] & MMC_TI_NWA_V;
	m->nwa = m->nwa_valid ? bfs_get_be32(b + MMC_TI_NWA) : 0;
	m->free_blocks = m->nwa_valid ? bfs_get_be32(b + MMC_TI_FREE) : 0;
	m->capacity = m->nwa + m->free_blocks;
	m->used_blocks = m->nwa;
	if (!m->nwa_valid && !m->overwrite) {
		/* a finalized disc: what is recorded ends with its last track */
		m->used_blocks = (uint64_t)bfs_get_be32(b + MMC_TI_START) +
				 bfs_get_be32(b + MMC_TI_SIZE_FIELD);
		m->capacity = m->used_blocks;
	}
	if (m->overwrite) {
		/* the whole disc is writable; the last recorded address tells what is in use */
		uint32_t lra = bfs_get_be32(b + MMC_TI_LRA);

		m->used_blocks = lra ? (uint64_t)lra + 1 : 0;
		m->capacity = bfs_get_be32(b + MMC_TI_SIZE_FIELD);
		m->nwa = 0, m->nwa_valid = true;
		m->free_blocks = m->capacity;
	}
	return 0;
}

/* The disc status of READ DISC INFORMATION's byte 2 (disc status, state of last session). */
static enum mmc_disc_status disc_status(uint8_t st)
{
	switch (st & MMC_DI_DISC_STATUS_MASK) {
	case 0:
		return MMC_DISC_BLANK;
	case 1:
		return ((st >> MMC_DI_LAST_SESSION_SHIFT) & 0x03) == 0x01 ? MMC_DISC_INCOMPLETE
									  : MMC_DISC_APPENDABLE;
	case 2:
		return MMC_DISC_COMPLETE;
	default:
		return MMC_DISC_RANDOM;
	}
}

/* READ FORMAT CAPACITIES (MMC-6 6.24): the current descriptor says unformatted (01b). */
static int probe_unformatted(struct mmc_drive *d, bool *ret, struct bfs_diag *diag)
{
	uint8_t fc[MMC_FC_HEADER_SIZE + MMC_FC_D_SIZE] = {0};
	uint8_t c[MMC_CDB10_SIZE] = {MMC_OP_READ_FORMAT_CAPACITIES};
	int r;

	bfs_put_be16(c + MMC_CDB10_LENGTH, sizeof(fc));
	r = mmc_exec(d, c, sizeof(c), MMC_DIR_IN, fc, sizeof(fc), NULL, diag);
	if (r < 0)
		return r;
	*ret = fc[MMC_FC_LIST_LENGTH] >= MMC_FC_D_SIZE &&
	       (fc[MMC_FC_CURRENT + MMC_FC_D_TYPE] & MMC_FC_D_TYPE_MASK) ==
		       MMC_FC_D_TYPE_UNFORMATTED;
	return 0;
}

/* READ DISC INFORMATION: status, sessions, tracks; unformatted overwrite media. */
static int probe_disc_info(struct mmc_drive *d, struct mmc_media *m, struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {MMC_OP_READ_DISC_INFO}, b[MMC_DI_SIZE] = {0};
	int r;

	bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(b));
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, b, sizeof(b), NULL, diag);
	if (r < 0)
		return r;
	/* the fields up to the MSBs of the session and track numbers */
	if (bfs_get_be16(b + MMC_DI_LENGTH) < MMC_DI_LAST_TRACK_LS_MSB - 1)
		return bfs_diag_set(diag, -EPROTO, "READ DISC INFORMATION: reply of %u bytes",
				    bfs_get_be16(b + MMC_DI_LENGTH) + 2u);
	m->erasable = b[MMC_DI_STATUS] & MMC_DI_ERASABLE;
	m->status = disc_status(b[MMC_DI_STATUS]);
	if (m->overwrite && m->status == MMC_DISC_BLANK) {
		r = probe_unformatted(d, &m->unformatted, diag);
		if (r < 0)
			return r;
	}
	if (m->overwrite)
		m->status = MMC_DISC_RANDOM;
	m->sessions = b[MMC_DI_SESSIONS_LSB] | (unsigned)b[MMC_DI_SESSIONS_MSB] << 8;
	/* the count includes the empty next session, or the incomplete one: not closed */
	if (m->status == MMC_DISC_APPENDABLE || m->status == MMC_DISC_BLANK ||
	    m->status == MMC_DISC_INCOMPLETE)
		m->sessions = m->sessions ? m->sessions - 1 : 0;
	m->first_track = b[MMC_DI_FIRST_TRACK];
	m->last_track = b[MMC_DI_LAST_TRACK_LS_LSB] | (unsigned)b[MMC_DI_LAST_TRACK_LS_MSB] << 8;
	return 0;
}

int mmc_media_probe(struct mmc_drive *d, struct mmc_media *ret, struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_GET_CONFIGURATION,
				       [MMC_GETCONF_CDB_FLAGS] = MMC_GETCONF_RT_CURRENT};
	uint8_t b[MMC_TOC_HEADER_SIZE + MMC_TOC_D_SIZE];
	struct mmc_media m = {0};
	int r;

	/* GET CONFIGURATION, RT=1 current features: the header's current profile */
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, MMC_CONF_HEADER_SIZE);
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, b, MMC_CONF_HEADER_SIZE, NULL, diag);
	if (r < 0)
		return r;
	m.profile = bfs_get_be16(b + MMC_CONF_PROFILE);
	m.profile_name = profile_name(m.profile);
	if (m.profile == MMC_PROFILE_NONE) {
		struct mmc_sense nm = {.asc = 0x3A};
		char rbuf[512];

		return bfs_diag_set(diag, -ENOMEDIUM, "no medium in the drive; %s",
				    remedy_for(d, &nm, "load a disc", rbuf, sizeof(rbuf)));
	}
	m.overwrite = m.profile == MMC_PROFILE_DVD_PLUS_RW || m.profile == MMC_PROFILE_DVD_RAM ||
		      m.profile == MMC_PROFILE_BD_RE || m.profile == MMC_PROFILE_DVD_RW_RO;
	r = probe_disc_info(d, &m, diag);
	if (r < 0)
		return r;
	r = probe_last_track(d, &m, m.last_track, diag);
	if (r < 0)
		return r;
	/* READ TOC format 1: start of the last complete session (an incomplete disc has
	 * complete ones before its open session too) */
	if (m.status == MMC_DISC_APPENDABLE || m.status == MMC_DISC_COMPLETE ||
	    (m.status == MMC_DISC_INCOMPLETE && m.sessions)) {
		memset(cdb, 0, sizeof(cdb));
		cdb[MMC_CDB_OPCODE] = MMC_OP_READ_TOC;
		cdb[MMC_TOC_CDB_FORMAT] = MMC_TOC_FORMAT_SESSION;
		bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(b));
		r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, b, sizeof(b), NULL, diag);
		if (r < 0)
			return r;
		m.last_session_start = bfs_get_be32(b + MMC_TOC_HEADER_SIZE + MMC_TOC_D_ADDRESS);
	}
	*ret = m;
	return 0;
}

int mmc_parse_track_info(const uint8_t *b, size_t n, struct mmc_track *ret)
{
	struct mmc_track t = {0};
	unsigned len;

	/* MMC-6 6.27.3: the fields up to Track Size (bytes 24-27) are mandatory; the Data
	 * Length counts the bytes after itself, so byte k is there when it is k - 1 or more */
	if (n < MMC_TI_MANDATORY)
		return -EBADMSG;
	len = bfs_get_be16(b + MMC_TI_LENGTH);
	if (len < MMC_TI_MANDATORY - 2)
		return -EBADMSG;
	t.number = b[MMC_TI_TRACK_LSB] | (n > MMC_TI_TRACK_MSB && len >= MMC_TI_TRACK_MSB - 1
						  ? (unsigned)b[MMC_TI_TRACK_MSB] << 8
						  : 0);
	t.session = b[MMC_TI_SESSION_LSB] | (n > MMC_TI_SESSION_MSB && len >= MMC_TI_SESSION_MSB - 1
						     ? (unsigned)b[MMC_TI_SESSION_MSB] << 8
						     : 0);
	/* MMC-6 6.27.3.6: 4, 5 or 7 on DVD and BD, the CONTROL nibble on CD */
	t.audio = !(b[MMC_TI_TRACK_MODE] & MMC_TI_MODE_DATA);
	t.reserved = b[MMC_TI_DATA_MODE] & MMC_TI_RT;
	t.blank = b[MMC_TI_DATA_MODE] & MMC_TI_BLANK;
	t.nwa_valid = b[MMC_TI_VALID] & MMC_TI_NWA_V;
	t.start = bfs_get_be32(b + MMC_TI_START);
	t.nwa = bfs_get_be32(b + MMC_TI_NWA);
	t.free_blocks = bfs_get_be32(b + MMC_TI_FREE);
	t.size = bfs_get_be32(b + MMC_TI_SIZE_FIELD);
	*ret = t;
	return 0;
}

int mmc_read_tracks(struct mmc_drive *d, const struct mmc_media *m, struct mmc_track *ret,
		    size_t max, size_t *ret_n, struct bfs_diag *diag)
{
	bool cd = m->profile == MMC_PROFILE_CD_ROM || m->profile == MMC_PROFILE_CD_R ||
		  m->profile == MMC_PROFILE_CD_RW;
	size_t n = 0;

	for (unsigned tno = m->first_track ? m->first_track : 1; tno <= m->last_track && n < max;
	     tno++) {
		uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_READ_TRACK_INFO,
					       [MMC_TI_CDB_TYPE] = MMC_TI_CDB_TYPE_TRACK};
		uint8_t b[MMC_TI_SIZE] = {0};
		int r;

		bfs_put_be32(cdb + MMC_TI_CDB_ADDRESS, tno);
		bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(b));
		r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, b, sizeof(b), NULL, diag);
		if (r < 0)
			return r;
		if (mmc_parse_track_info(b, sizeof(b), &ret[n]) < 0)
			return bfs_diag_set(diag, -EPROTO,
					    "READ TRACK INFORMATION of track %u: reply of %u bytes",
					    tno, bfs_get_be16(b + MMC_TI_LENGTH) + 2u);
		/* only a CD has audio tracks: a DVD's or BD's Track Mode is not its CONTROL */
		ret[n].audio &= cd;
		n++;
	}
	*ret_n = n;
	return 0;
}

int mmc_wait_ready(struct mmc_drive *d, const char *what, struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB6_SIZE] = {MMC_OP_TEST_UNIT_READY};
	int r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_NONE, NULL, 0, NULL, diag);

	if (r < 0 && what)
		r = bfs_diag_prefix(diag, r, "%s", what);
	return r;
}

int mmc_buffer_capacity(struct mmc_drive *d, uint32_t *ret_size, uint32_t *ret_free,
			struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {MMC_OP_READ_BUFFER_CAPACITY}, b[MMC_RBC_SIZE] = {0};
	int r;

	bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(b));
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, b, sizeof(b), NULL, diag);
	if (r < 0)
		return r;
	if (bfs_get_be16(b + MMC_RBC_LENGTH) < MMC_RBC_SIZE - 2)
		return bfs_diag_set(diag, -EPROTO, "READ BUFFER CAPACITY: reply of %u bytes",
				    bfs_get_be16(b + MMC_RBC_LENGTH) + 2u);
	*ret_size = bfs_get_be32(b + MMC_RBC_SIZE_FIELD);
	*ret_free = BFS_MIN(bfs_get_be32(b + MMC_RBC_FREE), *ret_size);
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
	if (lba > UINT32_MAX || n > 0xFFFF)
		return bfs_diag_set(diag, -EINVAL, "WRITE(10) of %u blocks at %llu", n,
				    (unsigned long long)lba);
	if (n > d->max_blocks)
		return in_pieces(d, lba, n, (uint8_t *)buf, false, true, diag);
	return mmc_write_sized(d, (uint32_t)lba, n, buf, 2048, diag);
}

int mmc_write_sized(struct mmc_drive *d, uint32_t lba, uint32_t n, const uint8_t *buf,
		    size_t block_size, struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {MMC_OP_WRITE10};

	bfs_put_be32(cdb + MMC_CDB_LBA, lba);
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, (uint16_t)n);
	for (struct buffer_wait w = {0};;) {
		struct mmc_sense s = {0};
		int r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_OUT, (void *)buf,
				 (size_t)n * block_size, &s, diag);

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
	uint8_t cdb[MMC_CDB10_SIZE] = {MMC_OP_READ10};
	struct mmc_sense s = {0};
	int r;

	if (lba > UINT32_MAX || n > 0xFFFF)
		return bfs_diag_set(diag, -EINVAL, "READ(10) of %u blocks at %llu", n,
				    (unsigned long long)lba);
	if (n > d->max_blocks)
		return in_pieces(d, lba, n, buf, fua, false, diag);
	cdb[MMC_CDB_FLAGS] = fua ? MMC_CDB_READ_FUA : 0;
	bfs_put_be32(cdb + MMC_CDB_LBA, (uint32_t)lba);
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, (uint16_t)n);
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, buf, (size_t)n * 2048, &s, diag);
	return r < 0 ? name_block(false, lba, n, &s, r, diag) : 0;
}

int mmc_sync_cache(struct mmc_drive *d, struct bfs_diag *diag)
{
	/* Immed: the drive writes its buffer meanwhile */
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_SYNC_CACHE,
				       [MMC_SYNC_CACHE_CDB_FLAGS] = MMC_SYNC_CACHE_IMMED};
	int r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_NONE, NULL, 0, NULL, diag);

	return r < 0 ? r : mmc_wait_ready(d, "flushing the drive's buffer", diag);
}

/* CLOSE TRACK/SESSION with Immed, then poll until the drive has done it. */
static int close_fn(struct mmc_drive *d, unsigned func, unsigned track, struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_CLOSE_TRACK_SESSION,
				       [MMC_CLOSE_CDB_FLAGS] = MMC_CLOSE_IMMED};
	int r;

	cdb[MMC_CLOSE_CDB_FUNCTION] = (uint8_t)func;
	bfs_put_be16(cdb + MMC_CLOSE_CDB_TRACK, (uint16_t)track);
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_NONE, NULL, 0, NULL, diag);
	return r < 0 ? r
		     : mmc_wait_ready(d, func == MMC_CLOSE_TRACK ? "closing the track" : "closing",
				      diag);
}

bool mmc_media_can_simulate(const struct mmc_media *m)
{
	return m->profile == MMC_PROFILE_CD_R || m->profile == MMC_PROFILE_CD_RW ||
	       m->profile == MMC_PROFILE_DVD_R || m->profile == MMC_PROFILE_DVD_RW;
}

int mmc_set_test_write(struct mmc_drive *d, const struct mmc_media *m, bool on,
		       struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB10_SIZE] = {MMC_OP_MODE_SENSE10};
	uint8_t p[MMC_MODE_HEADER_SIZE + MMC_WP_SIZE] = {0}, *w = p + MMC_MODE_HEADER_SIZE;
	int r;

	if (on && !mmc_media_can_simulate(m))
		return bfs_diag_set(diag, -EOPNOTSUPP,
				    "a %s cannot do test writes (only CD-R/RW and DVD-R/RW can); "
				    "nothing was written: burn without --simulate to record the "
				    "session",
				    m->profile_name);
	/* read page 05h, change Test Write, write it back: the other fields stay */
	cdb[MMC_MODE_SENSE_CDB_PAGE] = MMC_PAGE_WRITE_PARAMS;
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(p));
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, p, sizeof(p), NULL, diag);
	if (r < 0)
		return r;
	/* no block descriptors asked for, none expected: the page right after the header (a
	 * descriptor length is checked first, the page is not looked for past the reply) */
	if (bfs_get_be16(p + MMC_MODE_BD_LENGTH) != 0 ||
	    (w[MMC_PAGE_CODE] & MMC_PAGE_CODE_MASK) != MMC_PAGE_WRITE_PARAMS)
		return bfs_diag_set(diag, -EPROTO, "MODE SENSE: no page 05h in the reply");
	bfs_put_be16(p + MMC_MODE_DATA_LENGTH, 0); /* reserved in MODE SELECT */
	w[MMC_PAGE_CODE] &= MMC_PAGE_CODE_MASK;	   /* PS is reserved in MODE SELECT */
	w[MMC_WP_TYPE] =
		(uint8_t)((w[MMC_WP_TYPE] & ~MMC_WP_TEST_WRITE) | (on ? MMC_WP_TEST_WRITE : 0));
	memset(cdb, 0, sizeof(cdb));
	cdb[MMC_CDB_OPCODE] = MMC_OP_MODE_SELECT10;
	cdb[MMC_MODE_SELECT_CDB_FLAGS] = MMC_MODE_SELECT_PF;
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(p));
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_OUT, p, sizeof(p), NULL, diag);
	if (r == 0)
		d->test_write = on;
	return r;
}

/* Page 05h for CD and DVD-R; next: Multi-session 11b (appendable) or 00b (finalize) */
static int write_params(struct mmc_drive *d, const struct mmc_media *m, bool test, bool next,
			struct bfs_diag *diag)
{
	uint8_t p[MMC_MODE_HEADER_SIZE + MMC_WP_SIZE] = {0}, *w = p + MMC_MODE_HEADER_SIZE;
	uint8_t cdb[MMC_CDB10_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_MODE_SELECT10,
				       [MMC_MODE_SELECT_CDB_FLAGS] = MMC_MODE_SELECT_PF};

	/* Write Parameters page 05h (MMC-6 7.5; mmc.md 1.3), BUFE (underrun protection) on */
	switch (m->profile) {
	case MMC_PROFILE_CD_R: /* TAO, next session allowed, data track, mode 1, CD-ROM */
	case MMC_PROFILE_CD_RW:
		w[MMC_WP_TYPE] = MMC_WP_TYPE_TAO;
		w[MMC_WP_TRACK] = MMC_WP_TRACK_DATA;
		w[MMC_WP_BLOCK_TYPE] = MMC_WP_BLOCK_MODE1;
		break;
	case MMC_PROFILE_DVD_R: /* DVD-R, DVD-RW sequential, DVD-R DL: incremental, link size
				 * 16 (LS_V), fixed packets of 16 blocks, track mode 5 */
	case MMC_PROFILE_DVD_RW:
	case MMC_PROFILE_DVD_R_DL:
		w[MMC_WP_TYPE] = MMC_WP_LS_V | MMC_WP_TYPE_PACKET;
		w[MMC_WP_TRACK] = MMC_WP_FP | MMC_WP_TRACK_INCR;
		w[MMC_WP_BLOCK_TYPE] = MMC_WP_BLOCK_MODE1;
		w[MMC_WP_LINK_SIZE] = 16;
		bfs_put_be32(w + MMC_WP_PACKET_SIZE, 16);
		break;
	default: /* DVD+R(DL), BD-R SRM and overwrite media take no write parameters */
		return 0;
	}
	w[MMC_PAGE_CODE] = MMC_PAGE_WRITE_PARAMS, w[MMC_PAGE_LENGTH] = MMC_WP_SIZE - 2;
	w[MMC_WP_TYPE] |= MMC_WP_BUFE | (test ? MMC_WP_TEST_WRITE : 0);
	w[MMC_WP_TRACK] |= next ? MMC_WP_MULTI_NEXT << MMC_WP_MULTI_SHIFT : 0x00;
	bfs_put_be16(cdb + MMC_CDB10_LENGTH, sizeof(p));
	return mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_OUT, p, sizeof(p), NULL, diag);
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
	r = close_fn(d, MMC_CLOSE_TRACK, MMC_TI_INVISIBLE_TRACK, diag);
	if (r < 0)
		return r;
	/* CD, DVD-R: 010b closes the session (page 05h decides finalizing); DVD+R, BD-R:
	 * 010b leaves the disc appendable, 110b finalizes */
	if (finalize && (m->profile == MMC_PROFILE_DVD_PLUS_R ||
			 m->profile == MMC_PROFILE_DVD_PLUS_R_DL || m->profile == MMC_PROFILE_BD_R))
		return close_fn(d, MMC_CLOSE_FINALIZE, 0, diag);
	/* page 05h's Multi-session field: 00b finalizes (11b, appendable, is already set) */
	if (finalize) {
		r = write_params(d, m, d->test_write, false, diag);
		if (r < 0)
			return r;
	}
	return close_fn(d, MMC_CLOSE_SESSION, 0, diag);
}

int mmc_erase(struct mmc_drive *d, const struct mmc_media *m, bool full, struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB12_SIZE] = {0};
	int r;

	if (m->overwrite) {
		/*
		 * FORMAT UNIT (MMC-6 6.5) with FmtData and Immed, one full-capacity descriptor:
		 * DVD+RW 26h; DVD-RAM 00h; BD-RE 00h (quick), or 30h subtype 10b (full
		 * certification) for --full, which checks every block.
		 */
		uint8_t list[MMC_FL_SIZE] = {0};

		list[MMC_FL_FLAGS] = MMC_FL_IMMED;
		bfs_put_be16(list + MMC_FL_DESC_LEN, MMC_FL_DESC_SIZE);
		cdb[MMC_CDB_OPCODE] = MMC_OP_FORMAT_UNIT;
		cdb[MMC_FORMAT_CDB_FLAGS] = MMC_FORMAT_FMTDATA | MMC_FORMAT_FORMAT_CODE;
		if (m->capacity > UINT32_MAX) /* the descriptor's Number of Blocks is 32 bits */
			return bfs_diag_set(diag, -EINVAL,
					    "FORMAT UNIT: a capacity of %llu blocks does not fit "
					    "the command",
					    (unsigned long long)m->capacity);
		bfs_put_be32(list + MMC_FL_BLOCKS, (uint32_t)m->capacity);
		if (m->profile == MMC_PROFILE_DVD_PLUS_RW)
			list[MMC_FL_TYPE] = MMC_FORMAT_DVD_PLUS_RW << MMC_FL_TYPE_SHIFT;
		else if (m->profile == MMC_PROFILE_BD_RE && full)
			list[MMC_FL_TYPE] = MMC_FORMAT_BD_RE_SPARE << MMC_FL_TYPE_SHIFT |
					    MMC_FORMAT_SUB_FULL_CERT;
		r = mmc_exec(d, cdb, MMC_CDB6_SIZE, MMC_DIR_OUT, list, sizeof(list), NULL, diag);
		return r < 0 ? r : mmc_wait_ready(d, "formatting", diag);
	}
	if (!m->erasable)
		return bfs_diag_set(diag, -EMEDIUMTYPE,
				    "%s is write-once: it cannot be erased; use a new disc",
				    m->profile_name);
	/* BLANK (MMC-6) with Immed: type 0 the whole disc, type 1 minimal (TOC, PMA) */
	cdb[MMC_CDB_OPCODE] = MMC_OP_BLANK;
	cdb[MMC_BLANK_CDB_FLAGS] = MMC_BLANK_IMMED | (full ? MMC_BLANK_FULL : MMC_BLANK_MINIMAL);
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_NONE, NULL, 0, NULL, diag);
	return r < 0 ? r : mmc_wait_ready(d, "blanking", diag);
}

int mmc_eject(struct mmc_drive *d, struct bfs_diag *diag)
{
	uint8_t cdb[MMC_CDB6_SIZE] = {MMC_OP_START_STOP_UNIT};

	cdb[MMC_START_STOP_CDB_FLAGS] = MMC_START_STOP_LOEJ; /* Start 0: eject */
	return mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_NONE, NULL, 0, NULL, diag);
}

unsigned mmc_media_x1_kBps(const struct mmc_media *m)
{
	return m->profile >= MMC_PROFILE_BD_ROM	   ? 4496
	       : m->profile >= MMC_PROFILE_DVD_ROM ? 1385
						   : 176;
}

static int cmp_desc(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

int mmc_parse_write_speeds(const uint8_t *b, size_t n, unsigned *kBps, size_t max, size_t *ret_n)
{
	size_t len, k = 0;

	if (n < MMC_PERF_HEADER_SIZE)
		return -EBADMSG;
	/* Performance Data Length counts the bytes after itself (MMC-6 6.8.2.6) */
	len = BFS_MIN((size_t)bfs_get_be32(b + MMC_PERF_LENGTH) + 4, n);
	for (size_t o = MMC_PERF_HEADER_SIZE; o + MMC_WSD_SIZE <= len && k < max;
	     o += MMC_WSD_SIZE) {
		unsigned w = bfs_get_be32(b + o + MMC_WSD_WRITE_SPEED);
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
	uint8_t cdb[MMC_CDB12_SIZE] = {MMC_OP_GET_PERFORMANCE};
	uint8_t b[MMC_PERF_HEADER_SIZE + 32 * MMC_WSD_SIZE] = {0};
	int r;

	bfs_put_be16(cdb + MMC_PERF_CDB_MAX, 32);
	cdb[MMC_PERF_CDB_TYPE] = MMC_PERF_TYPE_WRITE_SPEED;
	r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_IN, b, sizeof(b), NULL, diag);
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
	uint8_t cdb[MMC_CDB12_SIZE] = {0};
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
	if (m->profile < MMC_PROFILE_DVD_ROM) { /* CD: SET CD SPEED, read speed the fastest */
		cdb[MMC_CDB_OPCODE] = MMC_OP_SET_CD_SPEED;
		bfs_put_be16(cdb + MMC_CD_SPEED_CDB_READ, 0xFFFF);
		bfs_put_be16(cdb + MMC_CD_SPEED_CDB_WRITE, (uint16_t)BFS_MIN(want, 0xFFFEu));
		r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_NONE, NULL, 0, NULL, diag);
	} else { /* DVD, BD: SET STREAMING with one performance descriptor */
		uint8_t p[MMC_STREAM_SIZE] = {0};

		/* end LBA: the last block, or the last one the 32-bit field can name */
		bfs_put_be32(
			p + MMC_STREAM_END_LBA,
			(uint32_t)BFS_MIN(m->capacity ? m->capacity - 1 : 0, (uint64_t)UINT32_MAX));
		bfs_put_be32(p + MMC_STREAM_READ_SIZE, want); /* kB ... */
		bfs_put_be32(p + MMC_STREAM_READ_TIME, 1000); /* ... per 1000 ms */
		bfs_put_be32(p + MMC_STREAM_WRITE_SIZE, want);
		bfs_put_be32(p + MMC_STREAM_WRITE_TIME, 1000);
		cdb[MMC_CDB_OPCODE] = MMC_OP_SET_STREAMING;
		bfs_put_be16(cdb + MMC_STREAM_CDB_LENGTH, sizeof(p));
		r = mmc_exec(d, cdb, sizeof(cdb), MMC_DIR_OUT, p, sizeof(p), NULL, diag);
	}
	if (r == 0)
		*ret_kBps = want;
	return r;
}
