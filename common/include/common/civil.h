/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/*
 * Seconds since 1970-01-01 UTC and the proleptic Gregorian calendar, both ways, by
 * arithmetic alone (Howard Hinnant's days_from_civil and civil_from_days): what
 * timegm() and gmtime_r() compute, without their time zone machinery, which cost 15% of
 * an append of 100,000 files (each date is read from one tree and written to three).
 * Defined for every int64_t second: no field overflows.
 */
#include <stdint.h>

struct bfs_civil {
	int64_t year;	     /* e.g. 2026 */
	unsigned month, day; /* 1..12, 1..31 */
	unsigned hour, minute, second;
	unsigned weekday; /* 0 Sunday */
};

/*
 * Days from 1970-01-01 to year-month-day. Linear in day: a day past the month's end counts
 * on into the next, as timegm() normalizes it. month must be 1..12.
 */
int64_t bfs_days_from_civil(int64_t year, unsigned month, unsigned day);

/* The UTC calendar fields of sec seconds since 1970-01-01 00:00:00 UTC. */
void bfs_civil_from_time(int64_t sec, struct bfs_civil *ret);
