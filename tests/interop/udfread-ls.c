/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * udfread-ls IMAGE: list a UDF volume through libudfread (VideoLAN), an independent
 * reader. One line per entry: "TYPE SIZE SHA256 PATH" with TYPE d or f, SIZE and SHA256
 * '-' for directories, and bytes below 0x21, above 0x7e and '\' in PATH written as \xHH.
 * Exit 1 naming the path on any error.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <udfread/udfread.h>

static void put_escaped(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x21 || *p > 0x7e || *p == '\\')
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

static int hash_file(UDFFILE *f, const char *path, char *hex)
{
	static unsigned char buf[1 << 20];
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int64_t total = 0, size = udfread_file_size(f);
	ssize_t n;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		fprintf(stderr, "udfread-ls: '%s': OpenSSL SHA-256 unavailable\n", path);
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	while ((n = udfread_file_read(f, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		total += n;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (n < 0) {
		fprintf(stderr, "udfread-ls: '%s': read error after %lld bytes\n", path,
			(long long)total);
		return -1;
	}
	if (total != size) {
		fprintf(stderr, "udfread-ls: '%s': read %lld bytes, file size %lld\n", path,
			(long long)total, (long long)size);
		return -1;
	}
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return 0;
}

static int list(udfread *u, const char *dir)
{
	UDFDIR *d = udfread_opendir(u, dir);
	struct udfread_dirent ent;
	int r = 0;

	if (!d) {
		fprintf(stderr, "udfread-ls: '%s': cannot open directory\n", dir);
		return -1;
	}
	while (r == 0 && udfread_readdir(d, &ent)) {
		size_t len = strlen(dir) + strlen(ent.d_name) + 2;
		char *path;

		if (!strcmp(ent.d_name, ".") || !strcmp(ent.d_name, ".."))
			continue;
		path = malloc(len);
		if (!path)
			return -1;
		snprintf(path, len, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", ent.d_name);
		if (ent.d_type == UDF_DT_DIR) {
			printf("d - - ");
			put_escaped(path);
			putchar('\n');
			r = list(u, path);
		} else {
			UDFFILE *f = udfread_file_openat(d, ent.d_name);
			char hex[65];

			if (!f) {
				fprintf(stderr, "udfread-ls: '%s': cannot open\n", path);
				r = -1;
			} else {
				if (hash_file(f, path, hex) == 0) {
					printf("f %lld %s ", (long long)udfread_file_size(f), hex);
					put_escaped(path);
					putchar('\n');
				} else {
					r = -1;
				}
				udfread_file_close(f);
			}
		}
		free(path);
	}
	udfread_closedir(d);
	return r;
}

int main(int argc, char **argv)
{
	udfread *u;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: udfread-ls IMAGE\n");
		return 2;
	}
	u = udfread_init();
	if (!u || udfread_open(u, argv[1]) < 0) {
		fprintf(stderr, "udfread-ls: '%s': not a UDF volume libudfread can open\n",
			argv[1]);
		return 1;
	}
	r = list(u, "/");
	udfread_close(u);
	return r < 0 ? 1 : 0;
}
