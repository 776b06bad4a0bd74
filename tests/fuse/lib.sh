# SPDX-License-Identifier: LGPL-2.1-or-later
# lib.sh: the helpers fs.sh and job.sh share, sourced by both (not a test of its own). The
# sourcing script sets $BURNFS, $t (its temporary directory, which holds daemon.log), $mnt,
# $stg and $daemon; fs.sh defines its own fail MESSAGE, job.sh and interop/mount.sh take
# fail_with_log from here.
# shellcheck shell=bash disable=SC2154

# exit 77 where FUSE cannot be used: no /dev/fuse or no fusermount3
fuse_require() {
	[ -c /dev/fuse ] || { echo "no /dev/fuse" >&2; exit 77; }
	command -v fusermount3 >/dev/null || { echo "no fusermount3" >&2; exit 77; }
}

# sanitizer_report: true, after printing the daemon's log, when the log holds a sanitizer report
sanitizer_report() {
	grep -E -q "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$t/daemon.log" 2>/dev/null ||
		return 1
	cat "$t/daemon.log" >&2
	echo "FAIL: sanitizer report from the daemon" >&2
}

# mount_daemon VDRIVE [MOUNT-OPTIONS]: `burnfs mount --foreground` of $stg on $mnt for the
# virtual drive VDRIVE in the background ($daemon, its output appended to $t/daemon.log), until
# the mount is up; exit 77 where this machine cannot mount FUSE
mount_daemon() {
	local vd=$1
	shift
	"$BURNFS" mount --foreground --drive "vdrive:$vd" --staging "$stg" "$@" "$mnt" \
		>>"$t/daemon.log" 2>&1 &
	daemon=$!
	for _ in $(seq 100); do
		[ -e "$mnt/.burnfs/status" ] && return 0
		if ! kill -0 $daemon 2>/dev/null; then
			wait $daemon
			daemon=
			if grep -q -i -E "fuse: device not found|permission denied|operation not permitted" "$t/daemon.log"; then
				echo "cannot mount FUSE here: $(cat "$t/daemon.log")" >&2
				exit 77
			fi
			fail "mount: $(cat "$t/daemon.log")"
		fi
		sleep 0.1
	done
	fail "the mount did not come up"
}

# fail_with_log MESSAGE: the test fails, the mount's last log lines shown (job.sh and
# interop/mount.sh name it fail)
fail_with_log() {
	echo "FAIL: $*" >&2
	[ -e "$mnt/.burnfs/log" ] && { echo "--- .burnfs/log:" >&2; tail -20 "$mnt/.burnfs/log" >&2; }
	exit 1
}
