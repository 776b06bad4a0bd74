#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# contrib/pjdfstest.sh: pjdfstest, the POSIX file-system test suite, run as root in a burnfs
# staging mount made with --allow-other (the suite switches to other users) on a new virtual
# BD-R; every subtest must pass, as on a native ext4 directory.
#
#   contrib/pjdfstest.sh [BURNFS]         the whole suite in a new mount (BURNFS: the burnfs
#                                         binary, default build/cli/burnfs, then PATH)
#   contrib/pjdfstest.sh --prepare DIR    copy the suite to DIR and build its helper
#   contrib/pjdfstest.sh --run DIR [GROUP...]
#                                         run the suite prepared in DIR (all of it, or the
#                                         groups named: chmod, rename, ...) in the current
#                                         directory, which must be an empty directory of the
#                                         mount; exit 0 only if every subtest passed
#
# The suite: $BURNFS_PJDFSTEST, else shared/tools/pjdfstest next to the repository. Its
# configure script is not run: the config.h it writes on Linux with glibc is made here when
# the copy has none. rename/22 (rename updates ctime) runs only where df names the file
# system EXT4, UFS or ZFS (POSIX does not require it); the mount passes its backing file
# system's ctime through, so --run runs it a second time with df naming the backing type,
# which makes 30 subtests of the 1 the suite runs by itself: the 29 more that a native ext4
# directory runs. The test files run 4 at a time (BURNFS_PJDFSTEST_JOBS): each works under
# names of its own (pjdfstest_ and an MD5 of random bytes) and most of the suite's time is
# its 1-second sleeps (the timestamp checks) and the round trips through the mount, which
# overlap. Needs cc and prove (Debian's perl).
set -u
here=$(cd "$(dirname "$0")" && pwd)

# the suite's directory: $BURNFS_PJDFSTEST, else next to the repository (for a git worktree,
# next to the repository it belongs to as well)
suite_source() {
	local top common
	if [ -n "${BURNFS_PJDFSTEST:-}" ]; then
		echo "$BURNFS_PJDFSTEST"
		return
	fi
	top=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || echo "$here/..")
	common=$(git -C "$here" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)
	if [ ! -d "$top/../shared/tools/pjdfstest" ] && [ -n "$common" ] &&
		[ -d "$(dirname "$common")/../shared/tools/pjdfstest" ]; then
		top=$(dirname "$common")
	fi
	echo "$top/../shared/tools/pjdfstest"
}

# the config.h of pjdfstest's configure script on Linux with glibc (Debian 12)
write_config() {
	cat >"$1" <<'EOF'
#define _GNU_SOURCE 1
#define HAVE_SYS_SYSMACROS_H 1
#define HAVE_FACCESSAT 1
#define HAVE_FCHMODAT 1
#define HAVE_FCHOWNAT 1
#define HAVE_FSTATAT 1
#define HAVE_LCHMOD 1
#define HAVE_LINKAT 1
#define HAVE_MKDIRAT 1
#define HAVE_MKFIFOAT 1
#define HAVE_MKNODAT 1
#define HAVE_OPENAT 1
#define HAVE_POSIX_FALLOCATE 1
#define HAVE_READLINKAT 1
#define HAVE_RENAMEAT 1
#define HAVE_SYMLINKAT 1
#define HAVE_UNLINKAT 1
#define HAVE_UTIMENSAT 1
#define HAVE_STRUCT_STAT_ST_ATIM 1
#define HAVE_STRUCT_STAT_ST_CTIM 1
#define HAVE_STRUCT_STAT_ST_MTIM 1
EOF
}

# prepare DIR: exit 77 when the suite or the tools are missing
prepare() {
	local src
	src=$(suite_source)
	[ -f "$src/pjdfstest.c" ] && [ -d "$src/tests" ] || {
		echo "pjdfstest: no suite at '$src' (set BURNFS_PJDFSTEST)" >&2
		exit 77
	}
	for tool in cc prove; do
		command -v $tool >/dev/null || { echo "pjdfstest: $tool is missing" >&2; exit 77; }
	done
	rm -rf "$1" && cp -r "$src" "$1" && chmod -R u+w "$1" || exit 1
	[ -f "$1/config.h" ] || write_config "$1/config.h"
	cc -O2 -o "$1/pjdfstest" "$1/pjdfstest.c" || { echo "pjdfstest: build failed" >&2; exit 1; }
}

# run DIR [GROUP...]: in the current directory
run() {
	local dir=$1 rc=0 backing shim
	shift
	local groups=("$@")
	[ ${#groups[@]} = 0 ] && groups=(.)
	prove -j "${BURNFS_PJDFSTEST_JOBS:-4}" -r "${groups[@]/#/$dir/tests/}" || rc=1
	case " ${groups[*]} " in *" . "* | *" rename "*) ;; *) return $rc ;; esac
	# rename/22 again, with df naming the type of the file system behind the mount
	backing=$(stat -f -c %T "$BACKING" 2>/dev/null)
	case $backing in ext2/ext3) backing=ext4 ;; esac
	shim=$(mktemp -d)
	printf '#!/bin/sh\n/usr/bin/df "$@" | sed "s/fuse\\.burnfs/%s/"\n' "$backing" >"$shim/df"
	chmod +x "$shim/df"
	echo "rename/22 with df naming the backing file system ($backing):"
	PATH=$shim:$PATH prove "$dir/tests/rename/22.t" || rc=1
	rm -rf "$shim"
	return $rc
}

case ${1:-} in
--prepare)
	[ $# = 2 ] || { echo "usage: $0 --prepare DIR" >&2; exit 2; }
	prepare "$2"
	;;
--run)
	[ $# -ge 2 ] || { echo "usage: $0 --run DIR [GROUP...]" >&2; exit 2; }
	: "${BACKING:?--run needs BACKING, the staging directory}"
	dir=$2
	shift 2
	run "$dir" "$@"
	;;
-h | --help)
	sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'
	;;
*)
	[ "$(id -u)" = 0 ] || { echo "pjdfstest: run it as root (the suite switches users)" >&2; exit 2; }
	burnfs=${1:-$here/../build/cli/burnfs}
	[ -x "$burnfs" ] || burnfs=$(command -v burnfs) || { echo "no burnfs binary" >&2; exit 2; }
	t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-pjdfstest.XXXXXX")
	chmod 755 "$t"
	export XDG_STATE_HOME=$t/state XDG_DATA_HOME=$t/data
	trap '"$burnfs" umount "$t/mnt" >/dev/null 2>&1; rm -rf "$t"' EXIT
	prepare "$t/pjdfstest"
	mkdir -p "$t/mnt" "$t/staging"
	"$burnfs" vdrive create --media bd-r "$t/vd" >/dev/null || exit 1
	"$burnfs" mount --allow-other --drive "vdrive:$t/vd" --staging "$t/staging" "$t/mnt" || exit 1
	mkdir "$t/mnt/run" && cd "$t/mnt/run" || exit 1
	start=$(date +%s)
	BACKING=$t/staging run "$t/pjdfstest"
	rc=$?
	echo "pjdfstest in the burnfs mount: $(($(date +%s) - start)) s, $([ $rc = 0 ] && echo PASS || echo FAIL)"
	cd / && exit $rc
	;;
esac
