/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burnfs vdrive ...: create, inspect, load, eject, export, import into and inject faults
 * into a virtual drive (mmc/vdrive). Exit codes as in burnfs.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "common/macro.h"
#include "vdrive/vdrive.h"

/* ---- burnfs vdrive ---------------------------------------------------------------------- */

static void vdrive_usage(FILE *f)
{
	fprintf(f, "Usage: burnfs vdrive create --media NAME [--capacity SECTORS] DIR\n"
		   "       burnfs vdrive info DIR [--json]\n"
		   "       burnfs vdrive export DIR -o IMG [--json]\n"
		   "       burnfs vdrive load|eject DIR\n"
		   "       burnfs vdrive import-image DIR IMG [--sessions START,...] [--close]\n"
		   "       burnfs vdrive fault DIR SPEC\n"
		   "\n"
		   "A virtual burner backed by files in DIR; use it as --drive vdrive:DIR.\n"
		   "Media: cd-r cd-rw dvd-r dvd-rw dvd+r dvd+r-dl dvd+rw dvd-ram bd-r bd-re\n"
		   "Faults (SPEC): write-error@LBA corrupt-read@LBA remove@LBA opc-fail\n"
		   "  stuck:OPCODE slow:FACTOR clear\n");
}

static void print_info(const struct vdrive_info *vi, bool json)
{
	if (json) {
		printf("{\"media\": \"%s\", \"profile\": %u, \"capacity\": %llu, \"loaded\": %s, "
		       "\"status\": \"%s\", \"next_writable\": %llu, \"sessions\": [",
		       vi->media, vi->profile, (unsigned long long)vi->capacity,
		       vi->loaded ? "true" : "false", vi->status, (unsigned long long)vi->nwa);
		for (unsigned s = 1, first = 1; s <= vi->nsessions; s++) {
			uint64_t start = 0, len = 0;
			bool any = false;

			for (unsigned i = 0; i < vi->ntracks; i++) {
				if (vi->tracks[i].session != s)
					continue;
				if (!any)
					start = vi->tracks[i].start;
				len = vi->tracks[i].start + vi->tracks[i].size - start;
				any = true;
			}
			if (!any)
				continue;
			printf("%s{\"start\": %llu, \"length\": %llu}", first ? "" : ", ",
			       (unsigned long long)start, (unsigned long long)len);
			first = 0;
		}
		printf("]}\n");
		return;
	}
	printf("media: %s (profile %04Xh), %s\n", vi->media, vi->profile,
	       vi->loaded ? "loaded" : "ejected");
	printf("capacity: %llu blocks (%.1f MiB)\n", (unsigned long long)vi->capacity,
	       (double)vi->capacity * 2048 / 1048576.0);
	printf("status: %s, %u session(s), next writable address %llu\n", vi->status, vi->nsessions,
	       (unsigned long long)vi->nwa);
	for (unsigned i = 0; i < vi->ntracks; i++)
		printf("track %u: session %u, start %llu, %llu blocks%s\n", i + 1,
		       vi->tracks[i].session, (unsigned long long)vi->tracks[i].start,
		       (unsigned long long)vi->tracks[i].size, vi->tracks[i].open ? ", open" : "");
}

static int vdrive_export(const char *dir, const char *out, bool json)
{
	struct vdrive *vd = NULL;
	struct vdrive_info vi;
	_cleanup_free_ char *tmp = NULL;
	uint8_t *buf = NULL;
	int fd = -1, r;

	r = vdrive_open(dir, &vd);
	if (r < 0) {
		fprintf(stderr, "burnfs vdrive: '%s': %s\n", dir,
			r == -EBUSY ? "the drive is in use" : strerror(-r));
		return CLI_EXIT_JOB;
	}
	vdrive_get_info(vd, &vi);
	if (asprintf(&tmp, "%s.burnfs-XXXXXX", out) < 0 || !(buf = malloc(1 << 20))) {
		r = -ENOMEM;
		goto done;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		goto done;
	}
	for (uint64_t lba = 0; lba < vi.used_end;) {
		uint32_t n = (uint32_t)BFS_MIN(vi.used_end - lba, (uint64_t)512);
		bool zero = true;

		r = vdrive_read_blocks(vd, lba, n, buf);
		if (r < 0)
			goto done;
		for (size_t i = 0; i < (size_t)n * 2048 && zero; i++)
			zero = buf[i] == 0;
		if (!zero &&
		    pwrite(fd, buf, (size_t)n * 2048, (off_t)(lba * 2048)) != (ssize_t)n * 2048) {
			r = -errno;
			goto done;
		}
		lba += n;
	}
	if (ftruncate(fd, (off_t)(vi.used_end * 2048)) < 0 || fchmod(fd, 0644) < 0 ||
	    close(fd) < 0) {
		r = -errno;
		fd = -1;
		goto done;
	}
	fd = -1;
	if (rename(tmp, out) < 0) {
		r = -errno;
		goto done;
	}
	print_info(&vi, json);
	r = 0;
done:
	if (fd >= 0)
		close(fd);
	if (r < 0 && tmp)
		unlink(tmp);
	free(buf);
	vdrive_close(vd);
	if (r < 0) {
		fprintf(stderr, "burnfs vdrive export: '%s': %s\n", out, strerror(-r));
		return CLI_EXIT_JOB;
	}
	return 0;
}

/* burnfs vdrive import-image DIR IMG [--sessions START,...] [--close] */
static int vdrive_import_image(int argc, char **argv)
{
	const char *dir = NULL, *img = NULL, *sessions = "0", *why = NULL;
	uint64_t starts[VDRIVE_TRACKS_MAX];
	size_t n = 0;
	bool close_disc = false;
	struct vdrive *vd = NULL;
	int fd, r;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--sessions") == 0 && i + 1 < argc)
			sessions = argv[++i];
		else if (strcmp(argv[i], "--close") == 0)
			close_disc = true;
		else if (!dir)
			dir = argv[i];
		else if (!img)
			img = argv[i];
		else
			dir = NULL, i = argc;
	}
	if (!dir || !img) {
		vdrive_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	for (const char *p = sessions; *p;) {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);

		if (end == p || (*end && *end != ',') || n == VDRIVE_TRACKS_MAX || *p == '-') {
			fprintf(stderr,
				"burnfs vdrive import-image: --sessions: '%s' is not a list of "
				"block numbers (START,...)\n",
				sessions);
			return CLI_EXIT_USAGE;
		}
		starts[n++] = v;
		p = *end ? end + 1 : end;
	}
	fd = open(img, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "burnfs vdrive import-image: '%s': %s\n", img, strerror(errno));
		return CLI_EXIT_JOB;
	}
	r = vdrive_open(dir, &vd);
	if (r < 0) {
		close(fd);
		fprintf(stderr, "burnfs vdrive import-image: '%s': %s\n", dir,
			r == -ENOENT  ? "no virtual drive there (create a blank one first with "
					"`burnfs vdrive create --media NAME DIR`)"
			: r == -EBUSY ? "the drive is in use"
				      : strerror(-r));
		return CLI_EXIT_JOB;
	}
	r = vdrive_import(vd, fd, starts, n, close_disc, &why);
	close(fd);
	if (r == 0) {
		struct vdrive_info vi;

		vdrive_get_info(vd, &vi);
		print_info(&vi, false);
	}
	vdrive_close(vd);
	if (r < 0) {
		fprintf(stderr, "burnfs vdrive import-image: '%s' into '%s': %s\n", img, dir,
			why ? why : strerror(-r));
		return r == -ENOSPC ? CLI_EXIT_LIMIT : CLI_EXIT_JOB;
	}
	return 0;
}

int cli_vdrive_main(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "create") == 0) {
		static const struct option lo[] = {{"media", required_argument, NULL, 'm'},
						   {"capacity", required_argument, NULL, 'c'},
						   {}};
		const char *media = NULL;
		uint64_t cap = 0;
		int c, r;

		optind = 2;
		while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
			if (c == 'm') {
				media = optarg;
			} else if (c == 'c') {
				char *end;

				cap = strtoull(optarg, &end, 10);
				if (*end || cap < 1024 || optarg[0] == '-') {
					fprintf(stderr,
						"burnfs vdrive: --capacity: '%s' is not a number of "
						"sectors (at least 1024)\n",
						optarg);
					return CLI_EXIT_USAGE;
				}
			} else {
				vdrive_usage(stderr);
				return CLI_EXIT_USAGE;
			}
		}
		if (!media || optind + 1 != argc) {
			vdrive_usage(stderr);
			return CLI_EXIT_USAGE;
		}
		r = vdrive_create(argv[optind], media, cap);
		if (r == -EINVAL) {
			fprintf(stderr,
				"burnfs vdrive: '%s' is not a medium (cd-r cd-rw dvd-r dvd-rw "
				"dvd+r dvd+r-dl dvd+rw dvd-ram bd-r bd-re)\n",
				media);
			return CLI_EXIT_USAGE;
		}
		if (r < 0) {
			fprintf(stderr, "burnfs vdrive: '%s': %s\n", argv[optind],
				r == -EEXIST ? "already holds a virtual drive" : strerror(-r));
			return CLI_EXIT_JOB;
		}
		return 0;
	}
	if (strcmp(sub, "info") == 0 || strcmp(sub, "load") == 0 || strcmp(sub, "eject") == 0) {
		bool json = argc == 4 && strcmp(argv[3], "--json") == 0;
		struct vdrive *vd = NULL;
		struct vdrive_info vi;
		int r;

		if (argc != 3 && !json) {
			vdrive_usage(stderr);
			return CLI_EXIT_USAGE;
		}
		r = vdrive_open(argv[2], &vd);
		if (r < 0) {
			fprintf(stderr, "burnfs vdrive: '%s': %s\n", argv[2],
				r == -EBUSY ? "the drive is in use" : strerror(-r));
			return CLI_EXIT_JOB;
		}
		if (sub[0] != 'i')
			r = vdrive_set_loaded(vd, sub[0] == 'l');
		vdrive_get_info(vd, &vi);
		vdrive_close(vd);
		if (r < 0) {
			fprintf(stderr, "burnfs vdrive: %s\n",
				r == -EBUSY ? "medium removal is prevented" : strerror(-r));
			return CLI_EXIT_JOB;
		}
		if (sub[0] == 'i')
			print_info(&vi, json);
		return 0;
	}
	if (strcmp(sub, "export") == 0) {
		const char *dir = NULL, *out = NULL;
		bool json = false;

		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
				out = argv[++i];
			else if (strcmp(argv[i], "--json") == 0)
				json = true;
			else if (!dir)
				dir = argv[i];
			else
				dir = NULL, i = argc;
		}
		if (!dir || !out) {
			vdrive_usage(stderr);
			return CLI_EXIT_USAGE;
		}
		return vdrive_export(dir, out, json);
	}
	if (strcmp(sub, "import-image") == 0)
		return vdrive_import_image(argc, argv);
	if (strcmp(sub, "fault") == 0 && argc == 4) {
		int r = vdrive_fault(argv[2], argv[3]);

		if (r == -EINVAL) {
			fprintf(stderr,
				"burnfs vdrive fault: '%s' is not a fault (write-error@LBA, "
				"corrupt-read@LBA, remove@LBA, opc-fail, stuck:OPCODE, "
				"slow:FACTOR with FACTOR 1-64, clear)\n",
				argv[3]);
			return CLI_EXIT_USAGE;
		}
		if (r < 0) {
			fprintf(stderr, "burnfs vdrive fault: '%s': %s\n", argv[2], strerror(-r));
			return CLI_EXIT_JOB;
		}
		return 0;
	}
	vdrive_usage(strcmp(sub, "--help") == 0 ? stdout : stderr);
	return strcmp(sub, "--help") == 0 ? 0 : CLI_EXIT_USAGE;
}
