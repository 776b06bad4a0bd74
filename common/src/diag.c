/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "common/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

int bfs_diag_set_at(struct bfs_diag *d, const char *file, int line, int err, const char *fmt, ...)
{
	va_list ap;

	if (!d || d->err)
		return err;
	d->err = err;
	d->file = file;
	d->line = line;
	va_start(ap, fmt);
	(void)vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	bfs_log(LOG_DEBUG, "%s:%d: %s", file, line, d->msg);
	return err;
}

int bfs_diag_prefix(struct bfs_diag *d, int err, const char *fmt, ...)
{
	char pre[BFS_DIAG_MSG_MAX];
	size_t n, len;
	va_list ap;
	int w;

	if (!d)
		return err;
	if (!d->err || !d->msg[0]) {
		if (!d->err)
			d->err = err;
		(void)snprintf(d->msg, sizeof(d->msg), "%s", strerror(-d->err));
	}
	va_start(ap, fmt);
	w = vsnprintf(pre, sizeof(pre) - 2, fmt, ap);
	va_end(ap);
	if (w < 0)
		return d->err;
	n = strlen(pre);
	memcpy(pre + n, ": ", 3);
	n += 2;
	len = strlen(d->msg);
	/* the message moves right, cut at the end when it no longer fits */
	if (n >= sizeof(d->msg))
		n = sizeof(d->msg) - 1;
	if (len > sizeof(d->msg) - 1 - n)
		len = sizeof(d->msg) - 1 - n;
	memmove(d->msg + n, d->msg, len);
	memcpy(d->msg, pre, n);
	d->msg[n + len] = '\0';
	return d->err;
}

void bfs_diag_warn(struct bfs_diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bfs_logv(LOG_WARNING, fmt, ap);
	va_end(ap);
	if (d)
		d->nwarnings++;
}

void bfs_diag_clear(struct bfs_diag *d)
{
	if (!d)
		return;
	d->err = 0;
	d->file = NULL;
	d->line = 0;
	d->msg[0] = '\0';
}

const char *bfs_diag_msg(const struct bfs_diag *d, int err)
{
	if (d && d->err && d->msg[0])
		return d->msg;
	return strerror(err < 0 ? -err : err);
}
