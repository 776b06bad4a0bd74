/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * isols [--joliet|--plain] [--session LBA] IMAGE: list an ISO 9660 image through burnfs's
 * own reader (iso9660/reader.h), for testing that reader against the writer, against
 * third-party images and against independent readers. One line per entry:
 *	TYPE MODE SIZE SHA256 MTIME PATH[ -> TARGET]
 * TYPE d f l c b p s; SIZE and SHA256 '-' where they do not apply; bytes below 0x21, above
 * 0x7e and '\' in PATH and TARGET written as \xHH. Exit 1 with the reader's message on any
 * error (a damaged image must give one, never a crash).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iso9660/reader.h"

#define DEPTH_MAX   64
#define ENTRIES_MAX 2000000

struct img {
	int fd;
	uint64_t blocks;
};

static int read_file(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf)
{
	struct img *im = userdata;
	size_t len = (size_t)n * 2048, done = 0;

	if (lba + n > im->blocks)
		return -ENXIO;
	while (done < len) {
		ssize_t g = pread(im->fd, buf + done, len - done, (off_t)(lba * 2048 + done));

		if (g < 0 && errno == EINTR)
			continue;
		if (g < 0)
			return -errno;
		if (g == 0)
			return -ENXIO;
		done += (size_t)g;
	}
	return 0;
}

static void put_escaped(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

struct walk {
	struct iso9660_reader *r;
	struct bfs_diag *diag;
	char path[8192];
	size_t plen;
	unsigned depth;
	unsigned long entries;
	uint8_t *buf;
};

static int visit(const struct iso9660_entry *e, void *userdata);

static int hash(struct walk *w, const struct iso9660_entry *e, char *hex)
{
	unsigned char md[32];
	unsigned mdlen = 0;
	uint64_t off = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	while (off < e->size) {
		int64_t n = iso9660_reader_pread(w->r, e, off, w->buf, 1 << 20);

		if (n < 0) {
			EVP_MD_CTX_free(ctx);
			return (int)n;
		}
		if (n == 0) {
			EVP_MD_CTX_free(ctx);
			return bfs_diag_set(w->diag, -EIO, "'%s': data ends at %llu of %llu bytes",
					    w->path, (unsigned long long)off,
					    (unsigned long long)e->size);
		}
		EVP_DigestUpdate(ctx, w->buf, (size_t)n);
		off += (uint64_t)n;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return 0;
}

static int visit(const struct iso9660_entry *e, void *userdata)
{
	struct walk *w = userdata;
	static const char types[] = "dflcbps";
	size_t old = w->plen;
	char hex[65] = "-", size[32] = "-";
	int r = 0;

	if (++w->entries > ENTRIES_MAX)
		return bfs_diag_set(w->diag, -E2BIG, "more than %u entries", ENTRIES_MAX);
	if (w->plen + 1 + e->name_len >= sizeof(w->path))
		return bfs_diag_set(w->diag, -ENAMETOOLONG, "path too long under '%s'", w->path);
	w->path[w->plen] = '/';
	memcpy(w->path + w->plen + 1, e->name, e->name_len);
	w->plen += 1 + e->name_len;
	w->path[w->plen] = '\0';
	if (e->type == BFS_NODE_FILE) {
		r = hash(w, e, hex);
		if (r < 0)
			goto out;
		snprintf(size, sizeof(size), "%llu", (unsigned long long)e->size);
	}
	printf("%c %04o %s %s %lld ", types[e->type], e->mode, size, hex, (long long)e->mtime.sec);
	put_escaped(w->path, w->plen);
	if (e->type == BFS_NODE_SYMLINK && e->target) {
		printf(" -> ");
		put_escaped(e->target, strlen(e->target));
	}
	putchar('\n');
	if (e->type == BFS_NODE_DIR) {
		if (w->depth >= DEPTH_MAX) {
			r = bfs_diag_set(w->diag, -ELOOP, "'%s': deeper than %u levels", w->path,
					 DEPTH_MAX);
			goto out;
		}
		w->depth++;
		r = iso9660_reader_readdir(w->r, e, visit, w);
		w->depth--;
	}
out:
	w->plen = old;
	w->path[old] = '\0';
	return r;
}

int main(int argc, char **argv)
{
	struct iso9660_reader_opts o = {.view = ISO9660_VIEW_AUTO};
	struct bfs_diag diag = {0};
	struct iso9660_reader *r = NULL;
	struct iso9660_entry root;
	struct walk w = {.diag = &diag};
	struct img im;
	struct stat st;
	int i = 1, err;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--joliet"))
			o.view = ISO9660_VIEW_JOLIET;
		else if (!strcmp(argv[i], "--plain"))
			o.view = ISO9660_VIEW_PLAIN;
		else if (!strcmp(argv[i], "--session") && i + 1 < argc)
			o.session_start = strtoull(argv[++i], NULL, 10);
		else
			break;
	}
	if (i + 1 != argc) {
		fprintf(stderr, "usage: isols [--joliet|--plain] [--session LBA] IMAGE\n");
		return 2;
	}
	im.fd = open(argv[i], O_RDONLY | O_CLOEXEC);
	if (im.fd < 0 || fstat(im.fd, &st) < 0) {
		perror(argv[i]);
		return 1;
	}
	/* a session image holds blocks from session_start on */
	im.blocks = (uint64_t)st.st_size / 2048;
	w.buf = malloc(1 << 20);
	if (!w.buf)
		return 1;
	err = iso9660_reader_open(read_file, &im, &o, &diag, &r);
	if (err == 0)
		err = iso9660_reader_root(r, &root);
	if (err == 0) {
		w.r = r;
		err = iso9660_reader_readdir(r, &root, visit, &w);
		iso9660_entry_done(&root);
	}
	iso9660_reader_free(r);
	free(w.buf);
	close(im.fd);
	if (err < 0) {
		fprintf(stderr, "isols: %s: %s\n", argv[i], bfs_diag_msg(&diag, err));
		return 1;
	}
	return 0;
}
