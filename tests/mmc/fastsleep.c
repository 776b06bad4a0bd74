/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fastsleep: an LD_PRELOAD library for the tests that run third-party burners through the
 * vdrive shim. It divides the tools' own sleeps by BURNFS_FASTSLEEP (default 50).
 *
 * Why: libburn (xorriso, cdrskin), wodim and growisofs sleep before they poll a drive after
 * every START STOP UNIT, SYNCHRONIZE CACHE, CLOSE TRACK or blank (0.5 s to several seconds
 * each, since a real drive takes that long). The virtual drive in these tests finishes each
 * command at once (BURNFS_VDRIVE_LONGOP_MS=0), so those sleeps were nearly all of the tests'
 * wall time (vdrive-shim: 259 s, of which 3 s CPU). Every command still goes to the drive
 * in the same order; the tools only poll sooner, and a wait they bound by a count of polls
 * stays bounded. A drive that is still busy answers the poll "not ready" as before.
 *
 * Scaled: usleep, sleep, the relative nanosleep/clock_nanosleep, and poll and select with no
 * descriptor to watch (growisofs sleeps with poll(NULL, 0, ms)). A poll or select that
 * watches descriptors keeps its timeout: it waits for data, not for time.
 * Not instrumented (like the shim): it is preloaded into programs built without ASan.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <sys/select.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static unsigned long scale(void)
{
	static unsigned long div;
	const char *e;

	if (!div) {
		e = getenv("BURNFS_FASTSLEEP");
		div = e && strtoul(e, NULL, 10) > 0 ? strtoul(e, NULL, 10) : 50;
	}
	return div;
}

/* the same interval divided by the factor, at least 1 µs so a poll loop still yields */
static struct timespec scaled(const struct timespec *ts)
{
	unsigned long long ns = (unsigned long long)ts->tv_sec * 1000000000ull + ts->tv_nsec;

	ns /= scale();
	if (ns < 1000)
		ns = 1000;
	return (struct timespec){.tv_sec = (time_t)(ns / 1000000000ull),
				 .tv_nsec = (long)(ns % 1000000000ull)};
}

typedef int clock_nanosleep_fn(clockid_t, int, const struct timespec *, struct timespec *);

static int real_clock_nanosleep(clockid_t clk, int flags, const struct timespec *ts,
				struct timespec *rem)
{
	static clock_nanosleep_fn *real;

	if (!real)
		real = (clock_nanosleep_fn *)dlsym(RTLD_NEXT, "clock_nanosleep");
	return real(clk, flags, ts, rem);
}

__attribute__((visibility("default"))) int
clock_nanosleep(clockid_t clk, int flags, const struct timespec *ts, struct timespec *rem)
{
	struct timespec s;

	/* an absolute deadline is a point in time, not a wait to shorten */
	if (flags & TIMER_ABSTIME || !ts)
		return real_clock_nanosleep(clk, flags, ts, rem);
	s = scaled(ts);
	if (rem)
		*rem = (struct timespec){0, 0};
	return real_clock_nanosleep(clk, flags, &s, NULL);
}

__attribute__((visibility("default"))) int nanosleep(const struct timespec *ts,
						     struct timespec *rem)
{
	int r;

	if (!ts) {
		errno = EFAULT;
		return -1;
	}
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, ts, rem);
	if (r) {
		errno = r;
		return -1;
	}
	return 0;
}

__attribute__((visibility("default"))) int usleep(useconds_t us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};

	return nanosleep(&ts, NULL);
}

__attribute__((visibility("default"))) unsigned int sleep(unsigned int s)
{
	struct timespec ts = {.tv_sec = s, .tv_nsec = 0};

	nanosleep(&ts, NULL);
	return 0;
}

typedef int poll_fn(struct pollfd *, nfds_t, int);

__attribute__((visibility("default"))) int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	static poll_fn *real;
	struct timespec ts;

	if (n == 0 && timeout_ms > 0) {
		ts = (struct timespec){.tv_sec = timeout_ms / 1000,
				       .tv_nsec = (long)(timeout_ms % 1000) * 1000000};
		return nanosleep(&ts, NULL) ? -1 : 0;
	}
	if (!real)
		real = (poll_fn *)dlsym(RTLD_NEXT, "poll");
	return real(fds, n, timeout_ms);
}

typedef int select_fn(int, fd_set *, fd_set *, fd_set *, struct timeval *);

__attribute__((visibility("default"))) int select(int n, fd_set *r, fd_set *w, fd_set *e,
						  struct timeval *tv)
{
	static select_fn *real;
	struct timespec ts;

	if ((n == 0 || (!r && !w && !e)) && tv) {
		ts = (struct timespec){.tv_sec = tv->tv_sec, .tv_nsec = tv->tv_usec * 1000};
		*tv = (struct timeval){0, 0};
		return nanosleep(&ts, NULL) ? -1 : 0;
	}
	if (!real)
		real = (select_fn *)dlsym(RTLD_NEXT, "select");
	return real(n, r, w, e, tv);
}
