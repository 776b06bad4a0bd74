/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drive discovery. See mmc/discover.h. libudev first (the database knows what cdrom_id
 * found: ID_CDROM, ID_CDROM_MEDIA*), then sysfs for whatever udev did not list, which is
 * every drive where no udev daemon ever ran (minimal guests, containers).
 *
 * sysfs (Documentation/ABI/testing/sysfs-bus-scsi, scsi_sysfs.c):
 *	/sys/class/block/srN/device		the SCSI device: type ("5"), vendor, model
 *	/sys/class/block/srN/device/scsi_generic/sgM	its generic node
 *	/sys/class/scsi_generic/sgM/device	the same SCSI device, also without sr bound
 */
#include "mmc/discover.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "common/diag.h"
#include "common/macro.h"

#if HAVE_LIBUDEV
#include <libudev.h>
#endif

/* The first line of a sysfs attribute, trailing blanks dropped; "" when unreadable. */
static void read_attr(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t k;

	buf[0] = 0;
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		buf[0] = 0;
	fclose(f);
	k = strlen(buf);
	while (k && (buf[k - 1] == '\n' || buf[k - 1] == ' ' || buf[k - 1] == '\t'))
		buf[--k] = 0;
}

/* "sr12" -> 12 for sorting; names without a number sort first */
static long name_number(const char *path)
{
	const char *p = path + strlen(path);

	while (p > path && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return *p ? strtol(p, NULL, 10) : -1;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct mmc_drive_entry *x = a, *y = b;
	bool xs = strstr(x->path, "/sg") != NULL, ys = strstr(y->path, "/sg") != NULL;
	long nx = name_number(x->path), ny = name_number(y->path);

	if (xs != ys)
		return xs ? 1 : -1;
	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(x->path, y->path);
}

static struct mmc_drive_entry *find(struct mmc_drive_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, path) == 0 || strcmp(l->v[i].sg_path, path) == 0)
			return &l->v[i];
	return NULL;
}

static struct mmc_drive_entry *add(struct mmc_drive_list *l, size_t *cap)
{
	struct mmc_drive_entry *e;

	if (BFS_GROW(l->v, *cap, l->n + 1) < 0)
		return NULL;
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* The generic node of SCSI device dir (DIR/scsi_generic/sgM), "" when none. */
static void sg_of(const char *devdir, char *out, size_t size)
{
	char p[512];
	DIR *d;
	struct dirent *de;

	out[0] = 0;
	if ((size_t)snprintf(p, sizeof(p), "%s/scsi_generic", devdir) >= sizeof(p))
		return; /* no sysfs path is that long */
	d = opendir(p);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "sg", 2) == 0) {
			snprintf(out, size, "/dev/%.32s", de->d_name);
			break;
		}
	closedir(d);
}

/* The SCSI device at devdir is an MMC drive (peripheral type 5): fill in what sysfs says. */
static bool sysfs_drive(const char *devdir, struct mmc_drive_entry *e)
{
	char p[512], type[16];

	snprintf(p, sizeof(p), "%s/type", devdir);
	read_attr(p, type, sizeof(type));
	if (strcmp(type, "5") != 0)
		return false;
	if (!e->vendor[0]) {
		snprintf(p, sizeof(p), "%s/vendor", devdir);
		read_attr(p, e->vendor, sizeof(e->vendor));
	}
	if (!e->model[0]) {
		snprintf(p, sizeof(p), "%s/model", devdir);
		read_attr(p, e->model, sizeof(e->model));
	}
	if (!e->sg_path[0])
		sg_of(devdir, e->sg_path, sizeof(e->sg_path));
	return true;
}

/* Drives under sysfs/class/CLASS whose names start with prefix ("sr" or "sg"). */
static int scan_sysfs(const char *sysfs, const char *cls, const char *prefix,
		      struct mmc_drive_list *l, size_t *cap)
{
	char p[512];
	DIR *d;
	struct dirent *de;

	snprintf(p, sizeof(p), "%s/class/%s", sysfs, cls);
	d = opendir(p);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char devdir[512], path[64];
		struct mmc_drive_entry tmp = {0}, *e;

		if (strncmp(de->d_name, prefix, 2) != 0 || strlen(de->d_name) > 32)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		snprintf(devdir, sizeof(devdir), "%s/class/%s/%s/device", sysfs, cls, de->d_name);
		e = find(l, path);
		if (e) { /* udev listed it: add what udev lacked */
			(void)sysfs_drive(devdir, e);
			continue;
		}
		if (!sysfs_drive(devdir, &tmp))
			continue;
		snprintf(tmp.path, sizeof(tmp.path), "%s", path);
		/* an sg node of a drive already listed through its sr node */
		if (strcmp(prefix, "sg") == 0 && find(l, path))
			continue;
		e = add(l, cap);
		if (!e) {
			closedir(d);
			return -ENOMEM;
		}
		*e = tmp;
	}
	closedir(d);
	return 0;
}

#if HAVE_LIBUDEV
/* udev's ID_*_ENC values escape bytes as \xNN */
static void decode_enc(const char *s, char *out, size_t size)
{
	size_t k = 0;

	for (; *s && k + 1 < size; s++) {
		unsigned v;

		if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1 && s[2] && s[3]) {
			out[k++] = v >= 0x20 && v < 0x7F ? (char)v : '?';
			s += 3;
		} else
			out[k++] = *s;
	}
	while (k && out[k - 1] == ' ')
		k--;
	out[k] = 0;
}

static void prop_copy(struct udev_device *dev, const char *enc, const char *plain, char *out,
		      size_t size)
{
	const char *v = udev_device_get_property_value(dev, enc);

	if (v) {
		decode_enc(v, out, size);
		return;
	}
	v = udev_device_get_property_value(dev, plain);
	snprintf(out, size, "%s", v ? v : "");
}

static void udev_media(struct udev_device *dev, struct mmc_drive_entry *e)
{
	static const char media_prefix[] = "ID_CDROM_MEDIA_";
	struct udev_list_entry *le;
	const char *v;
	size_t best = 0;

	v = udev_device_get_property_value(dev, "ID_CDROM_MEDIA");
	e->media = v && strcmp(v, "1") == 0;
	v = udev_device_get_property_value(dev, "ID_CDROM_MEDIA_STATE");
	snprintf(e->media_state, sizeof(e->media_state), "%s", v ? v : "");
	v = udev_device_get_property_value(dev, "ID_CDROM_MEDIA_SESSION_COUNT");
	e->media_sessions = v ? (unsigned)strtoul(v, NULL, 10) : 0;
	/* the most specific media type: ID_CDROM_MEDIA_DVD_PLUS_R over ID_CDROM_MEDIA_DVD */
	udev_list_entry_foreach(le, udev_device_get_properties_list_entry(dev))
	{
		const char *name = udev_list_entry_get_name(le);
		const char *val = udev_list_entry_get_value(le);
		const char *t = name + sizeof(media_prefix) - 1;

		if (strncmp(name, media_prefix, sizeof(media_prefix) - 1) != 0 || !val ||
		    strcmp(val, "1") != 0 || strncmp(t, "STATE", 5) == 0 ||
		    strncmp(t, "SESSION", 7) == 0 || strncmp(t, "TRACK", 5) == 0 ||
		    strlen(t) <= best || strlen(t) >= sizeof(e->media_type))
			continue;
		best = strlen(t);
		for (size_t i = 0; i <= best; i++)
			e->media_type[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] + 32 : t[i]);
	}
}

static int scan_udev(struct mmc_drive_list *l, size_t *cap)
{
	struct udev *u = udev_new();
	struct udev_enumerate *en = NULL;
	struct udev_list_entry *le;
	int r = 0;

	if (!u)
		return 0; /* no udev: sysfs alone */
	en = udev_enumerate_new(u);
	if (!en || udev_enumerate_add_match_subsystem(en, "block") < 0 ||
	    udev_enumerate_add_match_property(en, "ID_CDROM", "1") < 0 ||
	    udev_enumerate_scan_devices(en) < 0)
		goto out;
	udev_list_entry_foreach(le, udev_enumerate_get_list_entry(en))
	{
		struct udev_device *dev =
			udev_device_new_from_syspath(u, udev_list_entry_get_name(le));
		struct mmc_drive_entry *e;
		const char *node;
		char devdir[512];

		if (!dev)
			continue;
		node = udev_device_get_devnode(dev);
		if (!node || strlen(node) >= sizeof(e->path) || find(l, node)) {
			udev_device_unref(dev);
			continue;
		}
		e = add(l, cap);
		if (!e) {
			udev_device_unref(dev);
			r = -ENOMEM;
			goto out;
		}
		snprintf(e->path, sizeof(e->path), "%s", node);
		e->from_udev = true;
		prop_copy(dev, "ID_VENDOR_ENC", "ID_VENDOR", e->vendor, sizeof(e->vendor));
		prop_copy(dev, "ID_MODEL_ENC", "ID_MODEL", e->model, sizeof(e->model));
		udev_media(dev, e);
		snprintf(devdir, sizeof(devdir), "%s/device", udev_device_get_syspath(dev));
		sg_of(devdir, e->sg_path, sizeof(e->sg_path));
		udev_device_unref(dev);
	}
out:
	udev_enumerate_unref(en);
	udev_unref(u);
	return r;
}
#endif

int mmc_discover(const char *sysfs, unsigned flags, struct mmc_drive_list *ret,
		 struct bfs_diag *diag)
{
	struct mmc_drive_list l = {0};
	size_t cap = 0;
	int r = 0;

	if (!sysfs)
		sysfs = "/sys";
#if HAVE_LIBUDEV
	if (!(flags & MMC_DISCOVER_NO_UDEV))
		r = scan_udev(&l, &cap);
#else
	(void)flags;
#endif
	if (r == 0)
		r = scan_sysfs(sysfs, "block", "sr", &l, &cap);
	if (r == 0)
		r = scan_sysfs(sysfs, "scsi_generic", "sg", &l, &cap);
	if (r < 0) {
		mmc_drive_list_free(&l);
		return bfs_diag_set(diag, r, "listing the optical drives: %s", strerror(-r));
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), cmp_entry);
	*ret = l;
	return 0;
}

void mmc_drive_list_free(struct mmc_drive_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
