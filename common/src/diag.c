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
