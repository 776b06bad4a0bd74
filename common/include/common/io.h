/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Small file-descriptor helpers shared by every layer. */
#include <stddef.h>

/*
 * Write all n bytes of p to fd, again after a short write or EINTR: 0, or -errno (-EIO when
 * write() wrote nothing without saying why).
 */
int bfs_write_all(int fd, const void *p, size_t n);
