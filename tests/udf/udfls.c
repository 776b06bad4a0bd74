/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * udfls [-l] [--session SECTOR] [--sectors N] [--block-size N] [--info] IMAGE: list a UDF
 * volume (of the first N sectors: an earlier session's end) through
 * burnfs's UDF reader, one line per entry, in udfread-ls's form ("TYPE SIZE SHA256 PATH",
 * TYPE d, f, l, p, s, c or b, SIZE and SHA256 '-' for all but regular files; bytes below
 * 0x21, above 0x7e and '\' in PATH as \xHH). -l adds the mode and link count after TYPE and
 * " -> TARGET" to symlinks. --info prints the volume's facts first, as "# ..." lines.
 * Exit 1 with the reader's message on any error, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "udf/reader.h"

#define DEPTH_MAX 256

struct ls {
	struct udf_reader *r;
	struct bfs_diag diag;
	bool longform;
	unsigned depth;
	uint64_t stack[DEPTH_MAX]; /* the directories being listed: partition << 32 | block */
	char path[65536];
	size_t plen;
};

static int file_read(void *userdata, uint64_t lba, uint32_t n, uint8_t *buf)
{
	int fd = *(int *)userdata;
	size_t len = (size_t)n * 2048, done = 0;

	while (done < len) {
		ssize_t k = pread(fd, buf + done, len - done, (off_t)(lba * 2048 + done));

		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		done += (size_t)k;
	}
	memset(buf + done, 0, len - done);
	return 0;
}

static void put_escaped(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x21 || *p > 0x7e || *p == '\\')
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

static int hash(struct ls *ls, const struct udf_entry *e, char *hex)
{
	static uint8_t buf[1 << 20];
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t off = 0;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		return -ENOMEM;
	while (off < e->size) {
		int64_t n = udf_reader_pread(ls->r, e, off, buf, sizeof(buf));

		if (n <= 0) {
			EVP_MD_CTX_free(ctx);
			return n < 0 ? (int)n : -EIO;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		off += (uint64_t)n;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return 0;
}

static int visit(const struct udf_entry *e, void *userdata);

static int print(struct ls *ls, const struct udf_entry *e)
{
	static const char types[] = {
		[BFS_NODE_DIR] = 'd', [BFS_NODE_FILE] = 'f', [BFS_NODE_SYMLINK] = 'l',
		[BFS_NODE_CHR] = 'c', [BFS_NODE_BLK] = 'b',  [BFS_NODE_FIFO] = 'p',
		[BFS_NODE_SOCK] = 's'};
	char hex[65] = "-";
	int ret;

	if (e->type == BFS_NODE_FILE && (ret = hash(ls, e, hex)) < 0)
		return ret;
	printf("%c ", types[e->type]);
	if (ls->longform)
		printf("%04o %u ", e->mode, e->nlink);
	if (e->type == BFS_NODE_FILE)
		printf("%llu %s ", (unsigned long long)e->size, hex);
	else
		printf("- - ");
	put_escaped(ls->path);
	if (ls->longform && e->target) {
		printf(" -> ");
		put_escaped(e->target);
	}
	putchar('\n');
	return 0;
}

static int descend(struct ls *ls, const struct udf_entry *e)
{
	uint64_t key = (uint64_t)e->icb_part << 32 | e->icb_lbn;

	for (unsigned i = 0; i < ls->depth; i++)
		if (ls->stack[i] == key)
			return bfs_diag_set(&ls->diag, -ELOOP, "'%s' is one of its own ancestors",
					    ls->path);
	if (ls->depth == DEPTH_MAX)
		return bfs_diag_set(&ls->diag, -ELOOP, "'%s': more than %u levels", ls->path,
				    DEPTH_MAX);
	ls->stack[ls->depth++] = key;
	key = (uint64_t)udf_reader_readdir(ls->r, e, visit, ls);
	ls->depth--;
	return (int)key;
}

static int visit(const struct udf_entry *e, void *userdata)
{
	struct ls *ls = userdata;
	size_t saved = ls->plen;
	int ret;

	if (ls->plen + 1 + e->name_len >= sizeof(ls->path))
		return bfs_diag_set(&ls->diag, -ENAMETOOLONG, "a path longer than %zu bytes",
				    sizeof(ls->path));
	ls->path[ls->plen++] = '/';
	memcpy(ls->path + ls->plen, e->name, e->name_len + 1);
	ls->plen += e->name_len;
	ret = print(ls, e);
	if (ret == 0 && e->type == BFS_NODE_DIR)
		ret = descend(ls, e);
	ls->plen = saved;
	ls->path[saved] = 0;
	return ret;
}

static void info(struct ls *ls)
{
	struct udf_volume_info vi;

	udf_reader_info(ls->r, &vi);
	printf("# volume '%s' revision %x block size %u anchor %llu maps %u%s%s%s%s\n",
	       vi.volume_id, vi.udf_revision, vi.block_size, (unsigned long long)vi.anchor,
	       vi.nmaps, vi.has_sparable ? " sparable" : "", vi.has_metadata ? " metadata" : "",
	       vi.has_vat ? " vat" : "", vi.metadata_mirror_used ? " mirror-used" : "");
}

static int usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: udfls [-l] [--info] [--session SECTOR] [--sectors N] [--block-size N] IMAGE\n");
	return code;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"session", 1, NULL, 'S'}, {"sectors", 1, NULL, 'N'}, {"block-size", 1, NULL, 'B'},
		{"info", 0, NULL, 'I'},	   {"help", 0, NULL, 'h'},    {NULL, 0, NULL, 0}};
	static struct ls ls;
	unsigned long long session = 0, sectors = 0;
	unsigned bs = 0;
	bool want_info = false;
	struct udf_entry root;
	struct stat st;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "lh", opts, NULL)) != -1) {
		if (c == 'l')
			ls.longform = true;
		else if (c == 'S')
			session = strtoull(optarg, NULL, 0);
		else if (c == 'N')
			sectors = strtoull(optarg, NULL, 0);
		else if (c == 'B')
			bs = (unsigned)strtoul(optarg, NULL, 0);
		else if (c == 'I')
			want_info = true;
		else
			return usage(c == 'h' ? 0 : 2);
	}
	if (optind + 1 != argc)
		return usage(2);
	fd = open(argv[optind], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "udfls: '%s': %s\n", argv[optind], strerror(errno));
		return 1;
	}
	ret = udf_reader_open(file_read, &fd, sectors ? sectors : (uint64_t)st.st_size / 2048,
			      session, bs, &ls.diag, &ls.r);
	if (ret == 0 && want_info)
		info(&ls);
	if (ret == 0 && (ret = udf_reader_root(ls.r, &root)) == 0) {
		ret = descend(&ls, &root);
		udf_entry_done(&root);
	}
	if (ret < 0)
		fprintf(stderr, "udfls: '%s': %s\n", argv[optind], bfs_diag_msg(&ls.diag, ret));
	udf_reader_free(ls.r);
	close(fd);
	return ret < 0 ? 1 : 0;
}
