/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The manifest's chunks (engine/manifest.h): boundaries that depend on the paths only (one
 * line inserted, removed or changed changes one chunk), the padding of each chunk to whole
 * blocks by one comment line (one byte left: into the next block), and a manifest made of
 * them that GNU `sha256sum -c --strict` checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "common/macro.h"
#include "engine/manifest.h"

#define B 2048u

struct line {
	char path[64];
	uint8_t sha[32];
};

/* The manifest of lines v[0..n): chunks and their padding, then the trailer; *len bytes. */
static char *render(const struct line *v, size_t n, size_t *len, struct eng_manifest_chunk **ret,
		    size_t *ret_n)
{
	uint32_t *l = calloc(n + 1, sizeof(*l));
	bool *ends = calloc(n + 1, sizeof(*ends));
	struct eng_manifest_chunk *c;
	size_t nc, size = B;
	char *out;

	assert_non_null(l);
	assert_non_null(ends);
	for (size_t i = 0; i < n; i++) {
		l[i] = (uint32_t)eng_manifest_line(v[i].path, v[i].sha, NULL);
		ends[i] = eng_manifest_ends_chunk(v[i].path);
	}
	assert_int_equal(eng_manifest_chunks(l, ends, n, &c, &nc), 0);
	for (size_t k = 0; k < nc; k++)
		size += c[k].blocks * B;
	out = malloc(size);
	assert_non_null(out);
	for (size_t k = 0; k < nc; k++) {
		size_t o = c[k].off;

		for (size_t i = c[k].first; i < c[k].first + c[k].nlines; i++)
			o += eng_manifest_line(v[i].path, v[i].sha, out + o);
		assert_int_equal(o - c[k].off, c[k].content);
		o += eng_manifest_pad(c[k].content, out + o);
		assert_int_equal(o, c[k].off + c[k].blocks * B);
	}
	eng_manifest_trailer(0, out + size - B);
	free(l);
	free(ends);
	*len = size;
	*ret = c;
	*ret_n = nc;
	return out;
}

static void make_lines(struct line *v, size_t n, unsigned salt)
{
	for (size_t i = 0; i < n; i++) {
		snprintf(v[i].path, sizeof(v[i].path), "d%03zu/f%02zu.txt", i / 100, i % 100);
		memset(v[i].sha, (int)(i * 7 + salt), 32);
	}
}

/* How many chunks of b (nb of them) are not among those of a, by their bytes. */
static size_t chunks_not_in(const char *a, const struct eng_manifest_chunk *ca, size_t na,
			    const char *b, const struct eng_manifest_chunk *cb, size_t nb)
{
	size_t missing = 0;

	for (size_t j = 0; j < nb; j++) {
		bool found = false;

		for (size_t i = 0; i < na && !found; i++)
			found = ca[i].blocks == cb[j].blocks &&
				memcmp(a + ca[i].off, b + cb[j].off, cb[j].blocks * B) == 0;
		missing += !found;
	}
	return missing;
}

/* The first line at or after i that does not end a chunk and is not a chunk's first. */
static size_t inner_line(const struct line *v, size_t n, size_t i)
{
	while (i + 1 < n &&
	       (eng_manifest_ends_chunk(v[i].path) || eng_manifest_ends_chunk(v[i - 1].path)))
		i++;
	return i;
}

static void test_manifest_one_line_one_chunk(void **state)
{
	const size_t n = 5000;
	struct line *v = calloc(n + 1, sizeof(*v)), *w = calloc(n + 1, sizeof(*w));
	struct eng_manifest_chunk *c0, *c1;
	size_t n0, n1, len0, len1, at;
	char *m0, *m1;

	(void)state;
	assert_non_null(v);
	assert_non_null(w);
	make_lines(v, n, 0);
	m0 = render(v, n, &len0, &c0, &n0);
	assert_true(n0 >= 10); /* ~20 KiB chunks of ~80-byte lines */
	for (size_t k = 0; k < n0; k++)
		assert_true(c0[k].content <= ENG_MANIFEST_CHUNK_MAX);

	/* changed: one line's hash, in the middle of a chunk and at a chunk's end */
	for (int pass = 0; pass < 2; pass++) {
		memcpy(w, v, n * sizeof(*v));
		at = pass ? c0[3].first + c0[3].nlines - 1 : inner_line(v, n, 2500);
		w[at].sha[5] ^= 1;
		m1 = render(w, n, &len1, &c1, &n1);
		assert_int_equal(n1, n0);
		assert_int_equal(chunks_not_in(m0, c0, n0, m1, c1, n1), 1);
		free(m1);
		free(c1);
	}
	/* removed: a line that does not end its chunk */
	at = inner_line(v, n, 1234);
	memcpy(w, v, at * sizeof(*v));
	memcpy(w + at, v + at + 1, (n - at - 1) * sizeof(*v));
	m1 = render(w, n - 1, &len1, &c1, &n1);
	assert_int_equal(n1, n0);
	assert_int_equal(chunks_not_in(m0, c0, n0, m1, c1, n1), 1);
	free(m1);
	free(c1);
	/* inserted: a new path (one that ends no chunk) between two lines, then at the end */
	for (int pass = 0; pass < 2; pass++) {
		struct line x = {0};

		for (unsigned k = 0;; k++) {
			snprintf(x.path, sizeof(x.path), pass ? "zz%u" : "d012/f50x%u", k);
			if (!eng_manifest_ends_chunk(x.path))
				break;
		}
		at = pass ? n : 1251; /* after d012/f50.txt, in a chunk the cap does not end */
		memcpy(w, v, at * sizeof(*v));
		w[at] = x;
		memcpy(w + at + 1, v + at, (n - at) * sizeof(*v));
		m1 = render(w, n + 1, &len1, &c1, &n1);
		assert_int_equal(chunks_not_in(m0, c0, n0, m1, c1, n1), 1);
		free(m1);
		free(c1);
	}
	free(m0);
	free(c0);
	free(v);
	free(w);
}

static void test_manifest_padding(void **state)
{
	static const struct {
		uint64_t content, pad;
	} cases[] = {
		{1, B - 1}, {B - 2, 2},		{B - 1, B + 1},
		{B, 0},	    {3 * B - 1, B + 1}, {3 * B + 5, B - 5},
	};
	char out[2 * B + 2];

	(void)state;
	for (size_t i = 0; i < BFS_ARRAY_SIZE(cases); i++) {
		size_t pad = eng_manifest_pad(cases[i].content, out);

		assert_int_equal(pad, cases[i].pad);
		assert_int_equal((cases[i].content + pad) % B, 0);
		if (!pad)
			continue;
		/* one comment line: '#', spaces, one newline at its end */
		assert_int_equal(out[0], '#');
		for (size_t k = 1; k + 1 < pad; k++)
			assert_int_equal(out[k], ' ');
		assert_int_equal(out[pad - 1], '\n');
	}
	eng_manifest_trailer(123456, out);
	assert_int_equal(out[0], '#');
	assert_int_equal(out[B - 1], '\n');
	assert_null(memchr(out, '\n', B - 1));
	assert_non_null(strstr(out, "block 123456 "));
}

/* A chunk of one line that leaves one byte of its block: the comment takes the next one. */
static void test_manifest_one_byte_left(void **state)
{
	struct eng_manifest_chunk *c;
	size_t nc;
	uint32_t len[3] = {B - 1, 100, 5};
	bool ends[3] = {true, false, false};

	(void)state;
	assert_int_equal(eng_manifest_chunks(len, ends, 3, &c, &nc), 0);
	assert_int_equal(nc, 2);
	assert_int_equal(c[0].blocks, 2);
	assert_int_equal(c[1].off, 2 * B);
	assert_int_equal(c[1].nlines, 2);
	assert_int_equal(c[1].blocks, 1);
	free(c);
	/* the cap: a chunk ends before the line that would take it past ENG_MANIFEST_CHUNK_MAX */
	len[0] = ENG_MANIFEST_CHUNK_MAX - 50, len[1] = 100, ends[0] = false;
	assert_int_equal(eng_manifest_chunks(len, ends, 3, &c, &nc), 0);
	assert_int_equal(nc, 2);
	assert_int_equal(c[0].nlines, 1);
	assert_int_equal(c[1].first, 1);
	free(c);
	/* a line longer than the cap is a chunk alone, as many blocks as it takes */
	len[0] = 5, len[1] = ENG_MANIFEST_CHUNK_MAX + 100;
	assert_int_equal(eng_manifest_chunks(len, ends, 3, &c, &nc), 0);
	assert_int_equal(nc, 3);
	assert_int_equal(c[1].nlines, 1);
	assert_int_equal(c[1].content, ENG_MANIFEST_CHUNK_MAX + 100);
	assert_int_equal(c[1].blocks, (ENG_MANIFEST_CHUNK_MAX + 100) / B + 1);
	free(c);
}

/* Files on disk, their manifest, and GNU sha256sum -c --strict over it (escaped names too). */
static void test_manifest_sha256sum(void **state)
{
	static const char *names[] = {"a", "b c", "back\\slash", "new\nline", "x/y"};
	const size_t n = 1500;
	struct line *v = calloc(n, sizeof(*v));
	struct eng_manifest_chunk *c;
	char dir[] = "/tmp/burnfs-test-manifest.XXXXXX", cmd[256];
	size_t nc, len;
	char *m;
	FILE *f;

	(void)state;
	if (system("sha256sum --version >/dev/null 2>&1") != 0)
		skip();
	assert_non_null(v);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(mkdir("x", 0755), 0);
	for (size_t i = 0; i < n; i++) {
		unsigned int shalen;

		if (i < BFS_ARRAY_SIZE(names))
			snprintf(v[i].path, sizeof(v[i].path), "%s", names[i]);
		else
			snprintf(v[i].path, sizeof(v[i].path), "x/file%05zu", i);
		f = fopen(v[i].path, "w");
		assert_non_null(f);
		fprintf(f, "%zu\n", i);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "%zu\n", i);
		assert_true(EVP_Digest(cmd, strlen(cmd), v[i].sha, &shalen, EVP_sha256(), NULL));
	}
	m = render(v, n, &len, &c, &nc);
	assert_true(nc >= 3);
	f = fopen("SUMS", "w");
	assert_non_null(f);
	assert_int_equal(fwrite(m, 1, len, f), len);
	fclose(f);
	assert_int_equal(system("sha256sum -c --strict --quiet SUMS"), 0);
	/* and it still fails on a changed file */
	f = fopen("x/file01000", "a");
	fputs("more", f);
	fclose(f);
	assert_int_not_equal(system("sha256sum -c --strict --quiet SUMS >/dev/null 2>&1"), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(m);
	free(c);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest_one_line_one_chunk),
		cmocka_unit_test(test_manifest_padding),
		cmocka_unit_test(test_manifest_one_byte_left),
		cmocka_unit_test(test_manifest_sha256sum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
