/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "common/civil.h"

/* Floor division (C's / rounds toward zero). */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t bfs_days_from_civil(int64_t year, unsigned month, unsigned day)
{
	int64_t y = year - (month <= 2);
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;					   /* 0..399 */
	int64_t mar = month > 2 ? (int64_t)month - 3 : (int64_t)month + 9; /* from March */
	int64_t doy = (153 * mar + 2) / 5 + (int64_t)day - 1;		   /* day of that year */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void bfs_civil_from_time(int64_t sec, struct bfs_civil *ret)
{
	int64_t days = floor_div(sec, 86400), rem = sec - days * 86400;
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;					     /* 0..146096 */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		     /* 0..365 */
	int64_t mp = (5 * doy + 2) / 153; /* 0..11, March first */

	ret->day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	ret->month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	ret->year = yoe + era * 400 + (ret->month <= 2);
	ret->hour = (unsigned)(rem / 3600);
	ret->minute = (unsigned)(rem / 60 % 60);
	ret->second = (unsigned)(rem % 60);
	ret->weekday =
		(unsigned)(days - floor_div(days + 4, 7) * 7 + 4) % 7; /* 1970-01-01: Thursday */
}
