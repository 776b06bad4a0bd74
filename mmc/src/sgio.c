/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SG_IO transport: MMC commands to a Linux optical drive through the SG_IO ioctl (sg v3
 * interface, struct sg_io_hdr), on the block node /dev/srN or the SCSI generic node /dev/sgN.
 *
 * Opening. O_RDWR because the kernel lets a read-only fd send only a list of read
 * commands; O_NONBLOCK because the CD layer's open (cdrom_open) otherwise checks the disc
 * and refuses a writable open of anything but DVD-RAM/MRW with EROFS, and would wait for
 * a medium; O_EXCL so that nobody mounts the disc or burns it while we write (on sr it is
 * the block layer's exclusive claim, which fails with EBUSY while the disc is mounted; on
 * sg it is sg's own exclusive open). This is what libburn, cdrecord and growisofs do too
 * (../shared/reference/peers.md 4.2-4.4).
 *
 * Sense. mx_sb_len is 96 bytes: descriptor-format sense (72h/73h) can be longer than the
 * 18 fixed-format bytes. Whatever the drive sent is converted to the fixed format the rest
 * of mmc/ parses (SPC-4 4.5.2, 4.5.3):
 *
 *	fixed (70h/71h)			descriptor (72h/73h)
 *	OFFSET	SIZE	FIELD			OFFSET	SIZE	FIELD
 *	0	1	VALID | RESPONSE CODE	0	1	RESPONSE CODE
 *	2	1	FILEMARK EOM ILI | KEY	1	1	SENSE KEY
 *	3	4	INFORMATION		2	1	ASC
 *	7	1	ADDITIONAL LENGTH (10)	3	1	ASCQ
 *	8	4	COMMAND-SPECIFIC	7	1	ADDITIONAL LENGTH
 *	12	1	ASC			8	n	descriptors: TYPE, LENGTH, ...
 *	13	1	ASCQ			type 00h information (VALID, 8 bytes at +4)
 *	14	1	FRU CODE		type 01h command-specific (8 bytes at +4)
 *	15	3	SKSV | SENSE KEY SPECIFIC type 02h sense key specific (3 bytes at +4)
 *						type 03h FRU (1 byte at +3)
 *						type 05h stream (FILEMARK EOM ILI at +3)
 *						type 06h block (ILI at +3)
 */
#include "sgio-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>
#include <pwd.h>
#include <scsi/sg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/macro.h"
#include "mmc/layout.h"

#define SENSE_MAX 96

struct mmc_sgio {
	int fd;
	bool block; /* /dev/srN (else a SCSI generic character node) */
	uint32_t max_blocks;
	char path[];
};

/* ---- pure parts ------------------------------------------------------------------------ */

/*
 * One sense data descriptor (SPC-4 4.5.2.2-4.5.2.7: TYPE, ADDITIONAL LENGTH, then its
 * fields; dlen bytes in all) into the fixed-format sense out. The 64-bit INFORMATION and
 * COMMAND-SPECIFIC fields (at +4) go into the 32-bit fixed ones only when they fit.
 */
static void dsc_to_fixed(const uint8_t *dsc, size_t dlen, uint8_t *out)
{
	const uint8_t *field = dsc + MMC_DSENSE_D_FIELD, *low = field + 4; /* the u64's */

	switch (dsc[MMC_DSENSE_D_TYPE]) {
	case MMC_DSENSE_TYPE_INFO: /* VALID only when it fits the 4 fixed bytes */
		if (dlen >= MMC_DSENSE_D_U64_SIZE && bfs_get_be32(field) == 0) {
			memcpy(out + MMC_SENSE_INFO, low, 4);
			if (dsc[MMC_DSENSE_D_VALID] & MMC_SENSE_VALID)
				out[MMC_SENSE_RESPONSE] |= MMC_SENSE_VALID;
		}
		break;
	case MMC_DSENSE_TYPE_CMD_INFO:
		if (dlen >= MMC_DSENSE_D_U64_SIZE && bfs_get_be32(field) == 0)
			memcpy(out + MMC_SENSE_CMD_INFO, low, 4);
		break;
	case MMC_DSENSE_TYPE_SKS: /* progress indication, field pointer */
		if (dlen >= MMC_DSENSE_D_SKS_SIZE)
			memcpy(out + MMC_SENSE_SKS, field, 3);
		break;
	case MMC_DSENSE_TYPE_FRU:
		if (dlen > MMC_DSENSE_D_BYTE3)
			out[MMC_SENSE_FRU] = dsc[MMC_DSENSE_D_BYTE3];
		break;
	case MMC_DSENSE_TYPE_STREAM: /* FILEMARK, EOM, ILI */
		if (dlen > MMC_DSENSE_D_BYTE3)
			out[MMC_SENSE_KEY] |= dsc[MMC_DSENSE_D_BYTE3] & 0xE0;
		break;
	case MMC_DSENSE_TYPE_BLOCK: /* ILI */
		if (dlen > MMC_DSENSE_D_BYTE3)
			out[MMC_SENSE_KEY] |= dsc[MMC_DSENSE_D_BYTE3] & 0x20;
		break;
	default:
		break;
	}
}

int mmc_sgio_sense_to_fixed(const uint8_t *in, size_t n, uint8_t out[MMC_SENSE_FIXED_SIZE])
{
	uint8_t code;
	size_t end;

	memset(out, 0, MMC_SENSE_FIXED_SIZE);
	if (n < MMC_DSENSE_DESCS) /* both formats' headers are 8 bytes */
		return -EBADMSG;
	code = in[MMC_SENSE_RESPONSE] & MMC_SENSE_CODE_MASK;
	if (code == MMC_SENSE_CURRENT || code == MMC_SENSE_DEFERRED) {
		size_t k = BFS_MIN(n, (size_t)MMC_SENSE_FIXED_SIZE);

		memcpy(out, in, k);
		/* what is really there: the additional length must not promise missing bytes */
		out[MMC_SENSE_ADD_LEN] = (uint8_t)BFS_MIN((size_t)in[MMC_SENSE_ADD_LEN],
							  k - (MMC_SENSE_ADD_LEN + 1));
		return 0;
	}
	if (code != MMC_DSENSE_CURRENT && code != MMC_DSENSE_DEFERRED)
		return -EBADMSG;
	out[MMC_SENSE_RESPONSE] =
		code == MMC_DSENSE_CURRENT ? MMC_SENSE_CURRENT : MMC_SENSE_DEFERRED;
	out[MMC_SENSE_KEY] = in[MMC_DSENSE_KEY] & MMC_SENSE_KEY_MASK;
	out[MMC_SENSE_ADD_LEN] = MMC_SENSE_FIXED_ADD_LEN;
	out[MMC_SENSE_ASC] = in[MMC_DSENSE_ASC];
	out[MMC_SENSE_ASCQ] = in[MMC_DSENSE_ASCQ];
	end = BFS_MIN(n, (size_t)MMC_DSENSE_DESCS + in[MMC_DSENSE_ADD_LEN]);
	for (size_t o = MMC_DSENSE_DESCS; o + 2 <= end;) {
		size_t dlen = (size_t)in[o + MMC_DSENSE_D_LEN] + 2;

		if (o + dlen > end)
			break; /* a descriptor cut by the buffer: ignore it */
		dsc_to_fixed(in + o, dlen, out);
		o += dlen;
	}
	return 0;
}

int mmc_sgio_status_errno(unsigned host_status, unsigned driver_status, const char **ret_text)
{
	static const struct {
		int err;
		const char *text;
	} host[] = {
		[0x00] = {0, "OK"},
		[0x01] = {ENODEV, "the host adapter could not connect to the drive"},
		[0x02] = {EBUSY, "the SCSI bus stayed busy"},
		[0x03] = {ETIMEDOUT, "the command timed out"},
		[0x04] = {ENODEV, "the host adapter reports no such drive"},
		[0x05] = {ECANCELED, "the command was aborted (usually after a timeout)"},
		[0x06] = {EIO, "parity error on the bus"},
		[0x07] = {EIO, "host adapter error"},
		[0x08] = {EIO, "the bus was reset while the command ran"},
		[0x09] = {EIO, "unexpected interrupt from the host adapter"},
		[0x0A] = {EIO, "host adapter pass-through error"},
		[0x0B] = {EAGAIN, "transient host adapter error"},
		[0x0C] = {EAGAIN, "the host adapter asks to retry"},
		[0x0D] = {EAGAIN, "the host adapter asks to requeue"},
		[0x0E] = {EAGAIN, "the connection to the drive was disrupted"},
		[0x0F] = {ENODEV, "the connection to the drive failed (fast fail)"},
		[0x10] = {EIO, "the drive failed permanently (target failure)"},
		[0x11] = {EBUSY, "nexus failure: the drive is reserved by another initiator"},
		[0x12] = {ENOMEM, "the host adapter could not allocate resources"},
		[0x13] = {EIO, "medium error reported by the host adapter"},
		[0x14] = {EAGAIN, "the connection to the drive is marginal"},
	};
	static const struct {
		int err;
		const char *text;
	} driver[] = {
		[0x0] = {0, "OK"},
		[0x1] = {EBUSY, "the driver reports the drive busy"},
		[0x2] = {EAGAIN, "soft driver error"},
		[0x3] = {EIO, "the driver reports a medium error"},
		[0x4] = {EIO, "driver error"},
		[0x5] = {EINVAL, "the driver rejected the request as invalid"},
		[0x6] = {ETIMEDOUT, "the command timed out"},
		[0x7] = {EIO, "the driver reports a hard error"},
	};
	unsigned dv = driver_status & 0x07; /* 08h is DRIVER_SENSE: sense follows, not a fault */

	if (host_status >= BFS_ARRAY_SIZE(host)) {
		*ret_text = "unknown host adapter status";
		return -EIO;
	}
	if (host_status) {
		*ret_text = host[host_status].text;
		return -host[host_status].err;
	}
	*ret_text = driver[dv].text;
	/* the old suggestion bits (SUGGEST_RETRY, ABORT, ...) without a driver code or sense */
	if (!dv && (driver_status & 0xF0) && !(driver_status & 0x08)) {
		*ret_text = "the driver suggests giving up on the command";
		return -EIO;
	}
	return -driver[dv].err;
}

uint32_t mmc_sgio_round_blocks(uint64_t bytes)
{
	uint64_t n = bytes / 2048;

	if (n >= 512)
		return 512;
	if (n >= 32)
		return (uint32_t)(n / 32 * 32);
	if (n >= 16)
		return 16; /* still one DVD write unit per command */
	return n ? (uint32_t)n : 1;
}

unsigned mmc_cmd_timeout_ms(const uint8_t *cdb, size_t cdb_len)
{
	if (!cdb_len)
		return 30 * 1000;
	switch (cdb[MMC_CDB_OPCODE]) {
	case MMC_OP_FORMAT_UNIT: /* a full format or certification without Immed: hours */
	case MMC_OP_BLANK:	 /* a full blank of a 1x DVD-RW is about an hour */
		return 2 * 3600 * 1000;
	case MMC_OP_SYNC_CACHE: /* a whole buffer at the lowest speed, drives that ignore */
	case MMC_OP_CLOSE_TRACK_SESSION: /* Immed; the lead-out, DVD-R/DL finalizing */
		return 30 * 60 * 1000;
	case MMC_OP_READ10: /* reads: retries on a scratched disc */
	case MMC_OP_READ12:
	case MMC_OP_READ_CD:
	case MMC_OP_WRITE10: /* writes: a full drive buffer */
	case MMC_OP_WRITE12:
	case MMC_OP_WRITE_VERIFY10:
	case MMC_OP_VERIFY10:
		return 200 * 1000;
	case MMC_OP_START_STOP_UNIT: /* tray, spin-up */
	case MMC_OP_RESERVE_TRACK:
	case MMC_OP_SEND_OPC: /* power calibration */
	case MMC_OP_SEND_CUE_SHEET:
	case MMC_OP_MODE_SELECT10:
		return 120 * 1000;
	default:
		return 30 * 1000;
	}
}

/* ---- open ------------------------------------------------------------------------------ */

static void node_owner(const char *path, char *buf, size_t size, char *grp, size_t grp_size)
{
	struct stat st;
	char tmp[1024];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp_p = NULL;

	snprintf(buf, size, "?");
	snprintf(grp, grp_size, "?");
	if (stat(path, &st) < 0)
		return;
	(void)getgrgid_r(st.st_gid, &gr, tmp, sizeof(tmp), &grp_p);
	if (grp_p)
		snprintf(grp, grp_size, "%s", grp_p->gr_name);
	else
		snprintf(grp, grp_size, "%u", (unsigned)st.st_gid);
	{
		char owner[64];

		(void)getpwuid_r(st.st_uid, &pw, tmp, sizeof(tmp), &pwp);
		if (pwp)
			snprintf(owner, sizeof(owner), "%s", pwp->pw_name);
		else
			snprintf(owner, sizeof(owner), "%u", (unsigned)st.st_uid);
		snprintf(buf, size, "owner '%s', group '%s', mode %04o", owner, grp,
			 (unsigned)(st.st_mode & 07777));
	}
}

/* The mount point of block device dev from /proc/self/mountinfo, or "" when not mounted. */
static void find_mount(dev_t dev, char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	buf[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char mnt[2048];

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... (proc(5)); octal escapes are kept */
		if (sscanf(line, "%*u %*u %u:%u %*s %2047s", &maj, &min, mnt) == 3 &&
		    makedev(maj, min) == dev) {
			snprintf(buf, size, "%s", mnt);
			break;
		}
	}
	fclose(f);
}

static int open_error(const char *path, int err, struct bfs_diag *diag)
{
	char who[256], grp[128];

	switch (err) {
	case -ENOENT:
		return bfs_diag_set(
			diag, err,
			"'%s': no such device; `burnfs drives` lists the optical drives "
			"of this machine",
			path);
	case -EACCES:
		node_owner(path, who, sizeof(who), grp, sizeof(grp));
		return bfs_diag_set(
			diag, err,
			"'%s': permission denied (%s): burning needs read and write "
			"access; add the user to group '%s' (`usermod -aG %s USER`, then "
			"log in again) or run as root",
			path, who, grp, grp);
	case -EPERM:
		return bfs_diag_set(diag, err,
				    "'%s': the system does not allow opening this device (a "
				    "container or device policy denies it)",
				    path);
	case -EROFS:
		return bfs_diag_set(diag, err, "'%s': the device is read-only", path);
	case -ENXIO:
	case -ENODEV:
		return bfs_diag_set(
			diag, err,
			"'%s': no device behind this node (the drive was removed or its "
			"driver is not loaded)",
			path);
	default:
		return bfs_diag_set(diag, err, "'%s': cannot open: %s", path, strerror(-err));
	}
}

/*
 * The block node (srN) of the SCSI device behind character node rdev (sgN), from
 * /sys/dev/char/MAJ:MIN/device/block/srN: its name in name[] and its device number.
 */
static bool block_sibling(dev_t rdev, char *name, size_t size, dev_t *ret)
{
	char p[256], num[32];
	struct dirent *de;
	unsigned maj, min;
	bool found = false;
	DIR *d;
	FILE *f;

	snprintf(p, sizeof(p), "/sys/dev/char/%u:%u/device/block", major(rdev), minor(rdev));
	d = opendir(p);
	if (!d)
		return false;
	while ((de = readdir(d)) && !found) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= size)
			continue;
		snprintf(p, sizeof(p), "/sys/class/block/%s/dev", de->d_name);
		f = fopen(p, "re");
		if (!f)
			continue;
		if (fgets(num, sizeof(num), f) && sscanf(num, "%u:%u", &maj, &min) == 2) {
			snprintf(name, size, "%s", de->d_name);
			*ret = makedev(maj, min);
			found = true;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/*
 * sg's exclusive open does not see a mount of the same drive through its block node: refuse
 * a generic node whose disc is mounted, as the block node's exclusive open would.
 */
static int check_sibling_mounted(const char *path, dev_t rdev, struct bfs_diag *diag)
{
	char name[64], mnt[2048];
	dev_t blk;

	if (!block_sibling(rdev, name, sizeof(name), &blk))
		return 0;
	find_mount(blk, mnt, sizeof(mnt));
	if (!mnt[0])
		return 0;
	return bfs_diag_set(diag, -EBUSY,
			    "'%s': the drive is in use: its disc (/dev/%s) is mounted on '%s'; "
			    "unmount it first (`umount /dev/%s`)",
			    path, name, mnt, name);
}

static int busy_error(const char *path, struct bfs_diag *diag)
{
	struct stat st;
	char mnt[2048] = "";
	bool blk = stat(path, &st) == 0 && S_ISBLK(st.st_mode);

	if (blk)
		find_mount(st.st_rdev, mnt, sizeof(mnt));
	if (mnt[0])
		return bfs_diag_set(
			diag, -EBUSY,
			"'%s': the drive is in use: its disc is mounted on '%s'; unmount "
			"it first (`umount %s`)",
			path, mnt, path);
	if (blk)
		return bfs_diag_set(diag, -EBUSY,
				    "'%s': the drive is in use: another program (a burner, or a "
				    "mount through another node) holds it exclusively; close that "
				    "program and retry",
				    path);
	return bfs_diag_set(diag, -EBUSY,
			    "'%s': the drive is in use: another program has this generic node "
			    "open (an exclusive open needs it to be the only one); close that "
			    "program and retry",
			    path);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *peripheral_name(unsigned type)
{
	switch (type) {
	case 0x00:
		return "a disk";
	case 0x01:
		return "a tape drive";
	case 0x04:
		return "a write-once device";
	case 0x07:
		return "an optical memory device (MO)";
	case 0x08:
		return "a media changer";
	case 0x0C:
		return "a storage array controller";
	case 0x0D:
		return "an enclosure";
	case 0x0E:
		return "a reduced block device";
	case 0x1F:
		return "an unknown device";
	default:
		return "not an MMC device";
	}
}

/* printable INQUIRY text from b[0..n), trailing blanks dropped */
static void inq_text(const uint8_t *b, size_t n, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		out[k++] = b[i] >= 0x20 && b[i] < 0x7F ? (char)b[i] : '?';
	while (k && out[k - 1] == ' ')
		k--;
	out[k] = 0;
}

/* An unsigned number from a sysfs attribute, 0 when unreadable. */
static uint64_t sysfs_u64(const char *path)
{
	FILE *f = fopen(path, "re");
	unsigned long long v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/*
 * The largest transfer, in bytes, that SG_IO takes on this node. Block node: the queue's
 * max_sectors (BLKSECTGET), but also its segment limit, because SG_IO there maps the
 * caller's pages and each page may be a segment of its own: a 1 MiB buffer is 256
 * segments, more than virtio-scsi's 126 or AHCI's 168, and fails with EINVAL unless the
 * pages happen to be contiguous. sg node: sg copies through its own buffer of
 * scatter_elem_sz chunks, so its limits are max_sectors (BLKSECTGET, here in bytes) and the
 * table size times the chunk size; SG_GET_RESERVED_SIZE when BLKSECTGET fails.
 */
static uint64_t max_transfer_bytes(struct mmc_sgio *s, dev_t rdev)
{
	char p[128];
	uint64_t bytes = 0, segs;
	long page = sysconf(_SC_PAGESIZE);

	if (page <= 0)
		page = 4096;
	if (s->block) {
		unsigned short sectors = 0; /* the block layer answers a short, in 512 bytes */

		if (ioctl(s->fd, BLKSECTGET, &sectors) < 0 || !sectors)
			return 0;
		snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/queue/max_segments", major(rdev),
			 minor(rdev));
		segs = sysfs_u64(p);
		bytes = (uint64_t)sectors * 512;
		/* no sysfs: assume what every HBA takes */
		return segs ? BFS_MIN(bytes, segs * (uint64_t)page) : BFS_MIN(bytes, 65536u);
	}
	{
		int n = 0, tablesize = 0; /* sg answers ints, in bytes */
		uint64_t chunk = sysfs_u64("/sys/module/sg/parameters/scatter_elem_sz");

		if (ioctl(s->fd, BLKSECTGET, &n) == 0 && n > 0)
			bytes = (uint64_t)n;
		else if (ioctl(s->fd, SG_GET_RESERVED_SIZE, &n) == 0 && n > 0)
			bytes = (uint64_t)n;
		if (bytes && ioctl(s->fd, SG_GET_SG_TABLESIZE, &tablesize) == 0 && tablesize > 0)
			bytes = BFS_MIN(bytes, (uint64_t)tablesize * (chunk ? chunk : 32768));
	}
	return bytes;
}

int mmc_sgio_open(const char *path, struct bfs_diag *diag, struct mmc_sgio **ret)
{
	struct mmc_sgio *s;
	struct stat st;
	uint8_t cdb[MMC_CDB6_SIZE] = {[MMC_CDB_OPCODE] = MMC_OP_INQUIRY};
	uint8_t inq[MMC_INQ_SIZE] = {0}, status, sense[MMC_SENSE_FIXED_SIZE];
	char vendor[9], model[17];
	size_t resid;
	int fd = -1, version = 0, r;

	for (int tries = 0;; tries++) {
		fd = open(path, O_RDWR | O_EXCL | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			break;
		r = -errno;
		/* udev's cdrom_id briefly holds a freshly loaded drive exclusively */
		if (r == -EBUSY && tries < 3) {
			sleep_ms(300);
			continue;
		}
		return r == -EBUSY ? busy_error(path, diag) : open_error(path, r, diag);
	}
	if (fstat(fd, &st) < 0 || !(S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode))) {
		close(fd);
		return bfs_diag_set(diag, -ENOTTY, "'%s': not a device node", path);
	}
	if (S_ISCHR(st.st_mode)) {
		r = check_sibling_mounted(path, st.st_rdev, diag);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	if (ioctl(fd, SG_GET_VERSION_NUM, &version) < 0 || version < 30000) {
		r = errno;
		close(fd);
		return bfs_diag_set(
			diag, -ENOTTY,
			"'%s': not a SCSI device (the SG_IO v3 interface is missing: %s)", path,
			version ? "too old" : strerror(r));
	}
	s = calloc(1, sizeof(*s) + strlen(path) + 1);
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	s->block = S_ISBLK(st.st_mode);
	strcpy(s->path, path);
	s->max_blocks = 32;
	bfs_put_be16(cdb + MMC_INQUIRY_CDB_ALLOC, sizeof(inq));
	r = mmc_sgio_exec(s, cdb, sizeof(cdb), MMC_DIR_IN, inq, sizeof(inq),
			  mmc_cmd_timeout_ms(cdb, sizeof(cdb)), &status, sense, &resid, diag);
	if (r == 0 && status != 0)
		r = bfs_diag_set(diag, -EIO, "'%s': INQUIRY failed (SCSI status %02Xh)", path,
				 status);
	if (r == 0 && sizeof(inq) - resid < MMC_INQ_ADD_LEN + 1)
		r = bfs_diag_set(diag, -EPROTO, "'%s': INQUIRY returned %zu bytes", path,
				 sizeof(inq) - resid);
	if (r == 0 && (inq[MMC_INQ_PERIPHERAL] & MMC_INQ_PDT_MASK) != MMC_INQ_PDT_MMC) {
		inq_text(inq + MMC_INQ_VENDOR, MMC_INQ_PRODUCT - MMC_INQ_VENDOR, vendor);
		inq_text(inq + MMC_INQ_PRODUCT, MMC_INQ_REVISION - MMC_INQ_PRODUCT, model);
		r = bfs_diag_set(diag, -EMEDIUMTYPE,
				 "'%s': not an optical drive: '%s %s' is %s (SCSI peripheral type "
				 "%02Xh, an MMC drive is 05h)",
				 path, vendor, model,
				 peripheral_name(inq[MMC_INQ_PERIPHERAL] & MMC_INQ_PDT_MASK),
				 inq[MMC_INQ_PERIPHERAL] & MMC_INQ_PDT_MASK);
	}
	if (r == 0 && (inq[MMC_INQ_PERIPHERAL] >> 5) != 0)
		r = bfs_diag_set(diag, -ENODEV,
				 "'%s': the drive reports no device connected at this address "
				 "(peripheral qualifier %u)",
				 path, inq[MMC_INQ_PERIPHERAL] >> 5);
	if (r < 0) {
		mmc_sgio_close(s);
		return r;
	}
	{
		uint64_t bytes = max_transfer_bytes(s, st.st_rdev);

		s->max_blocks = bytes ? mmc_sgio_round_blocks(bytes) : 32;
	}
	*ret = s;
	return 0;
}

struct mmc_sgio *mmc_sgio_close(struct mmc_sgio *s)
{
	if (!s)
		return NULL;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return NULL;
}

uint32_t mmc_sgio_max_blocks(const struct mmc_sgio *s)
{
	return s->max_blocks;
}

/* ---- exec ------------------------------------------------------------------------------ */

static const char *ioctl_text(int err)
{
	switch (err) {
	case EINVAL:
	case ENOMEM:
		return "the transfer is too large for the host adapter, or the request is invalid";
	case ENODEV:
	case ENXIO:
		return "the drive is gone";
	case EPERM:
	case EACCES:
		return "not permitted (the device was not opened for writing)";
	case EINTR:
		return "interrupted";
	default:
		return strerror(err);
	}
}

int mmc_sgio_exec(struct mmc_sgio *s, const uint8_t *cdb, size_t cdb_len, enum mmc_dir dir,
		  void *buf, size_t len, unsigned timeout_ms, uint8_t *ret_status,
		  uint8_t ret_sense[MMC_SENSE_FIXED_SIZE], size_t *ret_resid, struct bfs_diag *diag)
{
	uint8_t sb[SENSE_MAX] = {0};
	struct sg_io_hdr h = {
		.interface_id = 'S',
		.dxfer_direction = !len || dir == MMC_DIR_NONE ? SG_DXFER_NONE
				   : dir == MMC_DIR_IN	       ? SG_DXFER_FROM_DEV
							       : SG_DXFER_TO_DEV,
		.cmd_len = (unsigned char)cdb_len,
		.mx_sb_len = sizeof(sb),
		.dxfer_len = dir == MMC_DIR_NONE ? 0 : (unsigned)len,
		.dxferp = dir == MMC_DIR_NONE || !len ? NULL : buf,
		.cmdp = (unsigned char *)cdb,
		.sbp = sb,
		.timeout = timeout_ms,
	};
	const char *text;
	int r;

	*ret_status = 0;
	*ret_resid = 0;
	memset(ret_sense, 0, MMC_SENSE_FIXED_SIZE);
	if (cdb_len < 6 || cdb_len > 16 || len > (size_t)UINT32_MAX >> 1)
		return bfs_diag_set(diag, -EINVAL,
				    "'%s': a CDB of %zu bytes with %zu bytes of data", s->path,
				    cdb_len, len);
	/* not restarted on EINTR: a WRITE may already be on its way to the drive */
	if (ioctl(s->fd, SG_IO, &h) < 0) {
		r = errno;
		return bfs_diag_set(diag, -r, "'%s': SG_IO of command %02Xh (%zu bytes): %s",
				    s->path, cdb[0], len, ioctl_text(r));
	}
	r = mmc_sgio_status_errno(h.host_status, h.driver_status, &text);
	if (r == -ETIMEDOUT || (r == -ECANCELED && h.duration >= timeout_ms))
		return bfs_diag_set(
			diag, -ETIMEDOUT,
			"'%s': command %02Xh timed out after %.1f s (timeout %.1f s); the drive "
			"may be stuck: eject the disc or power-cycle the drive",
			s->path, cdb[0], (double)h.duration / 1000.0, (double)timeout_ms / 1000.0);
	if (r < 0)
		return bfs_diag_set(
			diag, r, "'%s': command %02Xh: %s (host status %02Xh, driver status %02Xh)",
			s->path, cdb[0], text, h.host_status, h.driver_status);
	*ret_status = h.status;
	if (h.sb_len_wr > 0)
		(void)mmc_sgio_sense_to_fixed(sb, BFS_MIN((size_t)h.sb_len_wr, sizeof(sb)),
					      ret_sense);
	if (h.resid > 0)
		*ret_resid = BFS_MIN((size_t)h.resid, len);
	if (dir == MMC_DIR_IN && *ret_resid && buf)
		memset((uint8_t *)buf + (len - *ret_resid), 0, *ret_resid); /* short reads as 0s */
	return 0;
}
