/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Names from discs and source trees on the terminal and in JSON: one writer each, for
 * every command.
 *
 * Text (cli_text_put): printable UTF-8 as is; a backslash as "\\"; newline, tab and
 * carriage return as "\n", "\t", "\r"; every other control character (C0, DEL, and the C1
 * range U+0080-U+009F, as its two bytes) and every byte that is not part of valid UTF-8 as
 * "\xNN". No byte that a terminal interprets reaches it, and the line stays one line.
 *
 * JSON (cli_json_str): one valid JSON string. Valid UTF-8 is kept, control characters
 * (C0, DEL, C1) are \u escapes, and a byte that is not valid UTF-8 is written as \u00NN
 * (the byte's value as a code point, so the string reads as Latin-1 there). That form is
 * ambiguous with a real U+00NN, so cli_json_name() adds "KEY_b64": the exact bytes in
 * base64 (RFC 4648), only when the name is not valid UTF-8.
 */
#ifndef BFS_CLI_TEXTOUT_H
#define BFS_CLI_TEXTOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/macro.h"

/* s escaped for a terminal or a log line (no quotes added). */
void cli_text_put(FILE *f, const char *s);

/* s[0..len) as a quoted JSON string; returns true when it held bytes that are not UTF-8. */
bool cli_json_str(FILE *f, const char *s, size_t len);

/* "key": "NAME" and, when NAME is not valid UTF-8, , "key_b64": "BASE64". */
void cli_json_name(FILE *f, const char *key, const char *s);

/*
 * Messages of the burnfs command: "burnfs CMD: what" on stderr (one line, the caller's text
 * as it is: escape names with cli_text_put where they come from outside). cli_error returns
 * code; cli_usage_error adds "Try 'burnfs CMD --help'." and returns 2 (a usage error).
 */
int cli_error(int code, const char *cmd, const char *fmt, ...) BFS_PRINTF(3, 4);
int cli_usage_error(const char *cmd, const char *fmt, ...) BFS_PRINTF(2, 3);

#endif
