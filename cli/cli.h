/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Subcommands of the burnfs command, one file each; exit codes as in burnfs.c. */
#ifndef BFS_CLI_H
#define BFS_CLI_H

#include <stdbool.h>

enum {
	CLI_EXIT_JOB = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_LIMIT = 3,
	CLI_EXIT_INTR = 130,
};

/* `burnfs verify IMAGE`: argv[0] is "verify". */
int cli_verify_main(int argc, char **argv);

/* `burnfs vdrive|burn|info|erase|eject` and `burnfs verify --drive D`: argv[0] the command. */
int cli_drive_main(int argc, char **argv);

/* `burnfs drives [--json]`: argv[0] is "drives". */
int cli_drives_main(int argc, char **argv);

/* `burnfs mount|umount`: argv[0] is the command. */
int cli_mount_main(int argc, char **argv);

/*
 * The burnfs mount (an entry of type fuse.burnfs in /proc/self/mounts) at the absolute path
 * abs or at the nearest of its parents, as a malloc'd path, or NULL when none is; *dead: its
 * daemon is gone (the mount answers ENOTCONN). In mount.c.
 */
char *cli_burnfs_mount_above(const char *abs, bool *dead);

/* path made absolute without resolving it (a dead mount cannot be resolved). In mount.c. */
char *cli_abs_path(const char *path);

/* `burnfs commit|status MOUNTPOINT ...`: argv[0] is the command. */
int cli_commit_main(int argc, char **argv);

#endif
