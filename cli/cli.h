/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Subcommands of the burnfs command, one file each; exit codes as in burnfs.c. */
#ifndef BFS_CLI_H
#define BFS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

struct eng_image_opts;
struct eng_boot_replay;
struct eng_scan_opts;
struct eng_source;

enum {
	CLI_EXIT_JOB = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_LIMIT = 3,
	CLI_EXIT_INTR = 130,
};

/* `burnfs image SRC... -o OUT`: argv[0] is "image". */
int cli_image_main(int argc, char **argv);

/* `burnfs audio TRACK...|--cue FILE`: argv[0] is "audio" (cli/audio.c). */
int cli_audio_main(int argc, char **argv);

/* `burnfs verify IMAGE`: argv[0] is "verify". */
int cli_verify_main(int argc, char **argv);

/* `burnfs vdrive|burn|info|erase|eject` and `burnfs verify --drive D`: argv[0] the command. */
int cli_drive_main(int argc, char **argv);

/* `burnfs vdrive SUBCOMMAND ...`: argv[0] is "vdrive" (reached through cli_drive_main). */
int cli_vdrive_main(int argc, char **argv);

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

/* `burnfs sessions|ls|extract --drive D|IMAGE ...`: argv[0] the command (cli/inspect.c). */
int cli_inspect_main(int argc, char **argv);

/* `burnfs commit|status MOUNTPOINT ...`: argv[0] is the command. */
int cli_commit_main(int argc, char **argv);

/*
 * The image options `burnfs image` and `burnfs burn` share (cli/imageopts.c): --fs,
 * --udf-rev, --iso-level, --volid, --graft, --exclude, --rr-relocate and the boot options
 * (--boot-bios, --boot-efi, --boot-catalog, --hybrid, --hybrid-mbr, --boot-replay). A command joins
 * cli_image_longopts to its own options (cli_longopts_join), hands every getopt result to
 * cli_image_opt(), adds its positional sources with cli_image_add_source(), and checks the
 * whole with cli_image_args_check(). The vals are above 0xFF, clear of any letter.
 */
enum {
	CLI_IMAGEOPT_FS = 0x100,
	CLI_IMAGEOPT_UDF_REV,
	CLI_IMAGEOPT_ISO_LEVEL,
	CLI_IMAGEOPT_VOLID,
	CLI_IMAGEOPT_GRAFT,
	CLI_IMAGEOPT_EXCLUDE,
	CLI_IMAGEOPT_RR_RELOCATE,
	CLI_IMAGEOPT_BOOT_BIOS,
	CLI_IMAGEOPT_BOOT_EFI,
	CLI_IMAGEOPT_BOOT_CATALOG,
	CLI_IMAGEOPT_HYBRID,
	CLI_IMAGEOPT_HYBRID_MBR,
	CLI_IMAGEOPT_BOOT_REPLAY,
};

extern const struct option cli_image_longopts[]; /* ended by a zero entry */
extern const char cli_image_usage[];		 /* their lines for a usage text */

struct cli_image_args {
	const char *cmd;	      /* for messages: "burnfs CMD: ..." */
	struct eng_image_opts *image; /* borrowed: filled by the options */
	struct eng_scan_opts *scan;   /* borrowed: its excludes point into this struct */
	struct eng_source *srcs;      /* grafts and positional sources, in order */
	size_t nsrcs;
	const char **excludes;
	size_t nexcludes;
	unsigned given;	 /* image options seen */
	bool boot_given; /* --boot-bios, --boot-efi, --boot-catalog, --hybrid, --hybrid-mbr */
	struct eng_boot_replay *replay; /* --boot-replay's setup (owned), or NULL */
};

/* Room for argc sources and excludes. -ENOMEM; release with cli_image_args_done(). */
int cli_image_args_init(struct cli_image_args *a, const char *cmd, int argc,
			struct eng_image_opts *image, struct eng_scan_opts *scan);
void cli_image_args_done(struct cli_image_args *a);

/* own's entries, then cli_image_longopts, then a zero entry, in out[0..max); the count. */
size_t cli_longopts_join(const struct option *own, struct option *out, size_t max);

/*
 * One getopt_long result c with its argument (optarg; --graft's is changed in place): 1 when
 * it was an image option and was taken, 0 when c is none of them, -EINVAL for a bad value
 * (said on stderr as "burnfs CMD: --opt: ...": a usage error), -ENOMEM.
 */
int cli_image_opt(struct cli_image_args *a, int c, char *arg);

/* A positional source (borrowed), after the grafts given so far. */
void cli_image_add_source(struct cli_image_args *a, const char *path);

/* Options that contradict each other: -EINVAL, said on stderr (a usage error). */
int cli_image_args_check(const struct cli_image_args *a);

/* The default virtual drive's directory, $XDG_STATE_HOME/burnfs/vdrive (malloc'd; NULL:
 * out of memory): eng_default_vdrive_dir(), engine/drives.h. */
char *cli_default_vdrive_dir(void);

/*
 * The drive a command uses when none is given (cli/default-drive.c), the rule of `burnfs
 * mount`: the only optical drive, else the default virtual drive. create: make that virtual
 * drive (a blank BD-R) when missing; else a missing one fails with -ENOENT, saying how to
 * make it. Which drive was chosen, or why none, is said on stderr as "burnfs CMD: ...".
 * *ret: "/dev/..." or "vdrive:DIR", to free(). -EINVAL when there are several optical
 * drives (the user must choose).
 */
int cli_default_drive(const char *cmd, bool create, char **ret);

#endif
