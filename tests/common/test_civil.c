/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/civil.h against the C library's gmtime_r() and timegm(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "common/civil.h"

static void check(int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	struct bfs_civil c;

	assert_non_null(gmtime_r(&t, &tm));
	bfs_civil_from_time(sec, &c);
	assert_int_equal(c.year, (int64_t)tm.tm_year + 1900);
	assert_int_equal(c.month, tm.tm_mon + 1);
	assert_int_equal(c.day, tm.tm_mday);
	assert_int_equal(c.hour, tm.tm_hour);
	assert_int_equal(c.minute, tm.tm_min);
	assert_int_equal(c.second, tm.tm_sec);
	assert_int_equal(c.weekday, tm.tm_wday);
	/* and back */
	assert_int_equal(bfs_days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 +
				 c.minute * 60 + c.second,
			 sec);
}

static void test_edges(void **state)
{
	static const int64_t v[] = {0,
				    -1,
				    1,
				    86399,
				    86400,
				    -86400,
				    -86401,
				    951782400 /* 2000-02-29 */,
				    951868800,
				    4107542400 /* 2100-03-01 */,
				    4107456000,
				    -2208988800 /* 1900-01-01 */,
				    -62135596800 /* 0001-01-01 */,
				    253402300799 /* 9999-12-31 23:59:59 */,
				    1700000000,
				    -5364662400 /* 1800 */,
				    32503680000 /* 3000 */};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		check(v[i]);
}

static void test_sweep(void **state)
{
	(void)state;
	/* every day of 1600..2400 at a moving time of day, and random seconds far out */
	for (int64_t d = -135140; d < 157045; d++)
		check(d * 86400 + (d * 7919) % 86400);
	srand(7);
	for (int i = 0; i < 200000; i++) {
		int64_t s = ((int64_t)rand() << 31 | rand()) % (int64_t)3e12 - (int64_t)1.5e12;

		check(s);
	}
}

/* A day past the month's end counts on into the next, as timegm() normalizes it. */
static void test_normalizes(void **state)
{
	(void)state;
	for (int y = 1899; y < 2160; y += 3)
		for (unsigned m = 1; m <= 12; m++)
			for (unsigned d = 1; d <= 31; d++) {
				struct tm tm = {.tm_year = y - 1900,
						.tm_mon = (int)m - 1,
						.tm_mday = (int)d};

				assert_int_equal(bfs_days_from_civil(y, m, d) * 86400,
						 (int64_t)timegm(&tm));
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_normalizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
