/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The burnfs command: the global usage and the dispatch to each subcommand's file.
 *
 * Exit codes (also in README.md and `burnfs --help`):
 *	0	success
 *	1	the job failed (a source unreadable or changed while read, an I/O error)
 *	2	usage error (bad option or argument)
 *	3	the sources cannot be represented (path table or size limits, name clash)
 *	130	interrupted (SIGINT/SIGTERM); nothing is left behind
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

#include "cli.h"

enum {
	EXIT_USAGE = CLI_EXIT_USAGE,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: burnfs image SRC... -o OUT [options]\n"
		"       burnfs verify IMAGE [--session LBA] [--against SRC] [--json]\n"
		"       burnfs burn SRC...|IMAGE --drive D [--verify none|quick|full] [--close]\n"
		"       burnfs audio [--drive D] TRACK...|--cue FILE.cue [--dao|--tao] [--cd-text]\n"
		"       burnfs info|eject [--drive D]   (default: the drive `burnfs mount` uses)\n"
		"       burnfs erase|verify --drive D\n"
		"       burnfs drives [--json]\n"
		"       burnfs mount [--drive D] [--staging DIR] [--allow-other] MOUNTPOINT\n"
		"       burnfs umount MOUNTPOINT\n"
		"       burnfs commit MOUNTPOINT [--verify none|quick|full] [--close] [--speed X]\n"
		"                     [--simulate] [--notify]\n"
		"       burnfs status MOUNTPOINT [--json]\n"
		"       burnfs sessions --drive D|IMAGE [--json]\n"
		"       burnfs ls --drive D|IMAGE [--session N] [-l] [-R] [PATH]\n"
		"       burnfs extract --drive D|IMAGE [--session N] PATH... -o DIR\n"
		"       burnfs vdrive create|info|export|import-image|load|eject|fault ...\n"
		"       burnfs vdrive load DIR --blank [--media M]   (a new blank disc)\n"
		"       burnfs --version\n"
		"\n"
		"`burnfs COMMAND --help` prints the options of COMMAND.\n"
		"\n"
		"Exit codes: 0 success, 1 the job failed, 2 usage error, 3 the sources cannot be\n"
		"represented, 130 interrupted.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("burnfs %s\n", BFS_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "image") == 0)
		return cli_image_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0) {
		for (int i = 2; i < argc; i++)
			if (strncmp(argv[i], "--drive", 7) == 0)
				return cli_drive_main(argc - 1, argv + 1);
		return cli_verify_main(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "audio") == 0)
		return cli_audio_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "drives") == 0)
		return cli_drives_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "mount") == 0 || strcmp(argv[1], "umount") == 0)
		return cli_mount_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "sessions") || !strcmp(argv[1], "ls") || !strcmp(argv[1], "extract"))
		return cli_inspect_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "commit") == 0 || strcmp(argv[1], "status") == 0)
		return cli_commit_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "vdrive") || !strcmp(argv[1], "burn") || !strcmp(argv[1], "info") ||
	    !strcmp(argv[1], "erase") || !strcmp(argv[1], "eject"))
		return cli_drive_main(argc - 1, argv + 1);
	fprintf(stderr,
		"burnfs: '%s' is not a burnfs command (this build has: image, verify, burn, audio, info, "
		"erase, eject, vdrive, drives, mount, umount, commit, status, sessions, ls, "
		"extract)\n",
		argv[1]);
	return EXIT_USAGE;
}
