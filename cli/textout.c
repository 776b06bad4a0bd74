/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names on the terminal and in JSON. See textout.h. */
#include "textout.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "common/charset.h"

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

void cli_text_put(FILE *f, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t len = strlen(s), pos = 0;

	while (pos < len) {
		size_t start = pos;
		uint32_t cp;
		bool ok = bfs_utf8_next(p, len, &pos, &cp);

		if (ok && cp == '\\')
			fputs("\\\\", f);
		else if (ok && cp == '\n')
			fputs("\\n", f);
		else if (ok && cp == '\t')
			fputs("\\t", f);
		else if (ok && cp == '\r')
			fputs("\\r", f);
		else if (!ok || is_control(cp))
			for (size_t i = start; i < pos; i++)
				fprintf(f, "\\x%02x", p[i]);
		else
			fwrite(p + start, 1, pos - start, f);
	}
}

bool cli_json_str(FILE *f, const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t pos = 0;
	bool invalid = false;

	fputc('"', f);
	while (pos < len) {
		size_t start = pos;
		uint32_t cp;

		if (!bfs_utf8_next(p, len, &pos, &cp)) {
			/* one byte: its value as a code point (see textout.h) */
			fprintf(f, "\\u%04x", p[start]);
			invalid = true;
		} else if (cp == '"' || cp == '\\') {
			fprintf(f, "\\%c", (char)cp);
		} else if (cp == '\n') {
			fputs("\\n", f);
		} else if (cp == '\t') {
			fputs("\\t", f);
		} else if (cp == '\r') {
			fputs("\\r", f);
		} else if (is_control(cp)) {
			fprintf(f, "\\u%04x", (unsigned)cp);
		} else {
			fwrite(p + start, 1, pos - start, f);
		}
	}
	fputc('"', f);
	return invalid;
}

static void json_b64(FILE *f, const uint8_t *p, size_t len)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	fputc('"', f);
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;

		if (n > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		fputc(a[v >> 18 & 63], f);
		fputc(a[v >> 12 & 63], f);
		fputc(n > 1 ? a[v >> 6 & 63] : '=', f);
		fputc(n > 2 ? a[v & 63] : '=', f);
	}
	fputc('"', f);
}

void cli_json_name(FILE *f, const char *key, const char *s)
{
	size_t len = strlen(s);

	cli_json_str(f, key, strlen(key));
	fputs(": ", f);
	if (cli_json_str(f, s, len)) {
		fputs(", ", f);
		fprintf(f, "\"%s_b64\": ", key);
		json_b64(f, (const uint8_t *)s, len);
	}
}

static void verror(const char *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "burnfs %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_error(int code, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(cmd, fmt, ap);
	va_end(ap);
	return code;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'burnfs %s --help'.\n", cmd);
	return 2; /* CLI_EXIT_USAGE */
}
