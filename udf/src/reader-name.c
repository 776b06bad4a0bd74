/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UDF reader: names. OSTA CS0 (UDF 2.1.1: compression ID 8 or 254, one byte a character,
 * 16 or 255, UTF-16 big-endian) to UTF-8, dstrings (1/7.2.12), and symlink targets from
 * their path components (4/14.16).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/charset.h"
#include "reader-internal.h"

static size_t put_cp(uint32_t cp, char *out, size_t o, size_t cap)
{
	uint8_t u[4];
	size_t n = bfs_utf8_put(cp, u);

	if (o + n > cap)
		return o;
	memcpy(out + o, u, n);
	return o + n;
}

long udf_cs0_to_utf8(const uint8_t *in, size_t len, char *out, size_t cap, bool *bad)
{
	bool wide;
	size_t o = 0;

	*bad = false;
	if (len == 0) {
		out[0] = 0;
		return 0;
	}
	if (in[0] != 8 && in[0] != 254 && in[0] != 16 && in[0] != 255)
		return -1;
	wide = in[0] == 16 || in[0] == 255;
	for (size_t i = 1; i < len;) {
		uint32_t cp;

		if (!wide) {
			cp = in[i++];
		} else if (i + 1 >= len) {
			*bad = true; /* half a unit at the end */
			break;
		} else {
			cp = (uint32_t)in[i] << 8 | in[i + 1];
			i += 2;
			if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < len && (in[i] & 0xFC) == 0xDC) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (((uint32_t)in[i] << 8 | in[i + 1]) - 0xDC00);
				i += 2;
			} else if (cp >= 0xD800 && cp < 0xE000) {
				cp = BFS_REPLACEMENT_CHAR;
				*bad = true;
			}
		}
		o = put_cp(cp, out, o, cap);
	}
	out[o] = 0;
	return (long)o;
}

void udf_dstring(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t len = p[n - 1] < n ? p[n - 1] : n - 1;
	bool bad;

	if (udf_cs0_to_utf8(p, len, out, cap - 1, &bad) < 0)
		out[0] = 0;
}

/* One path component: type, identifier length, version, identifier */
static int component(const uint8_t *p, char *t, size_t *o, bool *bad)
{
	char name[UDF_NAME_MAX + 1];
	long n;

	switch (p[UDF_PC_TYPE]) {
	case UDF_PC_ROOT: /* the root, or an implementation's name for one when it has a name */
		if (p[UDF_PC_L_CI] != 0)
			return 0;
		/* fall through */
	case UDF_PC_ROOT_MEDIUM:
		*o = 0;
		t[(*o)++] = '/';
		return 0;
	case UDF_PC_PARENT:
		n = 2, memcpy(name, "..", 3);
		break;
	case UDF_PC_CURRENT:
		n = 1, memcpy(name, ".", 2);
		break;
	case UDF_PC_NAMED:
		n = udf_cs0_to_utf8(p + UDF_PC_SIZE, p[UDF_PC_L_CI], name, UDF_NAME_MAX, bad);
		if (n < 0 || memchr(name, '/', (size_t)n) || (size_t)n != strlen(name))
			return -1;
		break;
	default:
		return -1;
	}
	if (*o + (size_t)n + 1 > UDF_TARGET_MAX)
		return -1;
	if (*o && t[*o - 1] != '/')
		t[(*o)++] = '/';
	memcpy(t + *o, name, (size_t)n);
	*o += (size_t)n;
	return 0;
}

static int components(struct udf_reader *r, struct udf_entry *e, const uint8_t *d, size_t len)
{
	size_t o = 0;
	bool bad = false;

	e->target = malloc(UDF_TARGET_MAX + 1);
	if (!e->target)
		return bfs_diag_set(r->diag, -ENOMEM, "UDF: symlink target");
	for (size_t i = 0; i < len;) {
		if (i + UDF_PC_SIZE > len || i + UDF_PC_SIZE + d[i + UDF_PC_L_CI] > len ||
		    component(d + i, e->target, &o, &bad) < 0)
			return BFS_CORRUPT(
				r->diag, "UDF: symlink at block %u: bad path component at byte %zu",
				e->icb_lbn, i);
		i += UDF_PC_SIZE + (size_t)d[i + UDF_PC_L_CI];
	}
	e->target[o] = 0;
	if (bad)
		bfs_diag_warn(
			r->diag,
			"UDF: symlink at block %u: bad UTF-16 in its target, replaced with U+FFFD",
			e->icb_lbn);
	return 0;
}

int udf_symlink_target(struct udf_reader *r, struct udf_entry *e)
{
	_cleanup_free_ uint8_t *d = NULL;
	int64_t n;

	if (e->size > UDF_TARGET_MAX * 2)
		return BFS_CORRUPT(r->diag,
				   "UDF: symlink at block %u: %llu bytes of path components",
				   e->icb_lbn, (unsigned long long)e->size);
	d = malloc(e->size + 1);
	if (!d)
		return bfs_diag_set(r->diag, -ENOMEM, "UDF: symlink data");
	n = udf_reader_pread(r, e, 0, d, (size_t)e->size);
	if (n < 0)
		return (int)n;
	return components(r, e, d, (size_t)n);
}
