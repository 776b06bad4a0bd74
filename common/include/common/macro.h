/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers shared by every module: cleanup attributes, ownership hand-off,
 * overflow-checked allocation and attribute shorthands (after systemd's macro.h and
 * alloc-util.h).
 */
#ifndef BFS_COMMON_MACRO_H
#define BFS_COMMON_MACRO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define BFS_WARN_UNUSED	 __attribute__((warn_unused_result))
#define BFS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define BFS_UNUSED	 __attribute__((unused))

#define BFS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BFS_MIN(a, b)	  ((a) < (b) ? (a) : (b))
#define BFS_MAX(a, b)	  ((a) > (b) ? (a) : (b))
/* Round up to a multiple of a power-of-two or any non-zero unit. */
#define BFS_DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define BFS_ROUND_UP(n, d)     (BFS_DIV_ROUND_UP(n, d) * (d))

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Hand ownership on: returns the pointer and clears the local so cleanup does nothing. */
#define TAKE_PTR(p)                         \
	({                                  \
		__typeof__(p) *_pp_ = &(p); \
		__typeof__(p) _p_ = *_pp_;  \
		*_pp_ = NULL;               \
		_p_;                        \
	})

/* Same for file descriptors (-1 = none). */
#define TAKE_FD(fd)                 \
	({                          \
		int *_pfd_ = &(fd); \
		int _fd_ = *_pfd_;  \
		*_pfd_ = -1;        \
		_fd_;               \
	})

static inline void bfs_freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(bfs_freep)

static inline void bfs_closep(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
}
#define _cleanup_close_ _cleanup_(bfs_closep)

/* Declare `static inline void fn##p(type **p)` calling `fn(*p)` when non-NULL. */
#define BFS_DEFINE_FREEP(type, fn)         \
	static inline void fn##p(type **p) \
	{                                  \
		if (*p)                    \
			(void)fn(*p);      \
	}

/* calloc for n objects of `type`, NULL on overflow or out of memory. */
#define bfs_new(type, n)  ((type *)bfs_calloc_array((n), sizeof(type)))
#define bfs_new0(type, n) bfs_new(type, n)

static inline void *bfs_calloc_array(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return calloc(n ? n : 1, size ? size : 1);
}

/*
 * Grow *p (holding *cap elements of `size` bytes) so that it holds at least `need`.
 * Returns 0 or -ENOMEM; *p and *cap are unchanged on failure.
 */
static inline int bfs_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if (size && ncap > SIZE_MAX / size)
		return -ENOMEM;
	np = realloc(*p, ncap * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}
#define BFS_GROW(arr, cap, need) bfs_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

#endif
