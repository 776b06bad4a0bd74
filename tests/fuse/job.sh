#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# job.sh CASE: commits through a real staging mount (`burnfs mount --foreground` on a virtual
# drive) and `burnfs commit`/`burnfs status`: a commit checked on the exported disc by
# xorriso and `sha256sum -c` of its manifest, each drive fault (staging untouched, status
# explains with a remedy), the freeze during a commit, kill -9 of the daemon mid-commit and
# the retry, cancel by ctl and by SIGINT, the command's errors. Exit 77 without /dev/fuse,
# fusermount3 or xorriso. The daemon's stderr is kept: a sanitizer report in it fails.
set -u
: "${BURNFS:?}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/fuse/lib.sh
. "$here/lib.sh"
fail() { fail_with_log "$@"; }
fuse_require
command -v jq >/dev/null || { echo "no jq" >&2; exit 77; }
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-job.XXXXXX")
export XDG_STATE_HOME=$t/state XDG_DATA_HOME=$t/data
# a stuck drive gives up after 2 s; the drive records its NWA every 4 MiB (for the crash)
export BURNFS_MMC_STUCK_SECONDS=2 BURNFS_VDRIVE_COMMIT_BLOCKS=2048
export SOURCE_DATE_EPOCH=1700000000
mnt=$t/mnt
stg=$t/staging
vd=$t/vd
daemon=

sanitizer_check() {
	if sanitizer_report; then exit 1; fi
}

stop() {
	if mountpoint -q "$mnt" 2>/dev/null; then
		"$BURNFS" umount "$mnt" >/dev/null 2>&1 || fusermount3 -u -z "$mnt" 2>/dev/null
	fi
	if [ -n "$daemon" ]; then
		for _ in $(seq 300); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$daemon" 2>/dev/null && { kill -9 "$daemon"; fail "the daemon did not exit after umount"; }
		wait "$daemon"
		drc=$?
		daemon=
		[ $drc = 0 ] || { cat "$t/daemon.log" >&2; fail "the daemon exited with $drc"; }
	fi
	sanitizer_check
}

cleanup() {
	stop
	rm -rf "$t"
}
trap 'rc=$?; cleanup; exit $rc' EXIT

# new_disc MEDIA: a fresh blank disc in the (closed) virtual drive
new_disc() {
	rm -rf "$vd"
	"$BURNFS" vdrive create --media "$1" "$vd" || fail "vdrive create $1"
}

# start: mount the staging directory of the virtual drive on $mnt
start() {
	mkdir -p "$mnt" "$stg"
	[ -e "$vd" ] || new_disc bd-r
	mount_daemon "$vd"
}

st() { jq -r "$1" "$mnt/.burnfs/status"; } # st FILTER: a field of the status

ctl() { echo "$*" >"$mnt/.burnfs/ctl"; }

# wait_for FILTER: until the status filter is true (60 s)
wait_for() {
	for _ in $(seq 600); do
		[ "$(jq -r "$1" "$mnt/.burnfs/status" 2>/dev/null)" = true ] && return 0
		sleep 0.1
	done
	fail "status never had $1: $(cat "$mnt/.burnfs/status")"
}

# a tree to stage: subdirectories, an empty one, non-ASCII names, a hard link, symlinks
# (one to a directory outside, which must be stored, never followed), a 3 MB file
make_src() { # make_src DIR [MB of extra data]
	mkdir -p "$1/photos/2026" "$1/docs/deep/er/still" "$1/empty"
	head -c 3000000 /dev/urandom >"$1/photos/2026/IMG_0001.jpg"
	printf 'Grüße\n' >"$1/docs/Grüße – notes.txt"
	echo hello >"$1/docs/deep/er/still/hello.txt"
	echo readme >"$1/README"
	ln "$1/README" "$1/README.hardlink"
	ln -s ../README "$1/docs/readme-link"
	mkdir -p "$t/outside" && echo precious >"$t/outside/keep"
	ln -s "$t/outside" "$1/outside-link"
	[ "${2:-0}" -gt 0 ] && head -c "$(($2 * 1000000))" /dev/urandom >"$1/photos/big.bin"
	return 0
}

# fingerprint DIR: every name with its type and link target, and every file's hash
fingerprint() {
	(cd "$1" && find . -printf '%y %p %l\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

# check_disc SRC: the disc's last session holds SRC (xorriso extraction, its manifest)
check_disc() {
	"$BURNFS" vdrive export "$vd" -o "$t/disc.iso" >/dev/null || fail "vdrive export"
	rm -rf "$t/x"
	xorriso -osirrox on -indev "$t/disc.iso" -extract / "$t/x" >/dev/null 2>&1 || fail "xorriso extract"
	(cd "$t/x" && sha256sum --quiet -c .burnfs/SHA256SUMS) || fail "sha256sum -c of the manifest"
	grep -q "IMG_0001.jpg" "$t/x/.burnfs/SHA256SUMS" || fail "the manifest misses files"
	diff -r --no-dereference -x .burnfs "$1" "$t/x" || fail "the disc's tree differs from the source"
	# the staging directory is private, the disc's root is not
	xorriso -indev "$t/disc.iso" -find / -maxdepth 0 -exec lsdl 2>/dev/null | grep -q "^drwxr-xr-x .*'/'$" ||
		fail "root directory: $(xorriso -indev "$t/disc.iso" -find / -maxdepth 0 -exec lsdl 2>/dev/null)"
	chmod -R u+w "$t/x" && rm -rf "$t/x" "$t/disc.iso"
}

case $1 in
commit)
	command -v xorriso >/dev/null || exit 77
	start
	[ "$(st .state)" = idle ] || fail "state before: $(st .state)"
	[ "$(st .disc.status)" = blank ] || fail "disc before: $(st .disc.status)"
	make_src "$t/src"
	cp -a "$t/src/." "$mnt/" || fail "cp into the mount"
	[ "$(st .projected_blocks)" -gt 0 ] || fail "no projected usage"
	"$BURNFS" commit "$mnt" --verify full >"$t/out" 2>&1 || fail "commit: $(cat "$t/out")"
	grep -q "chunks match" "$t/out" || fail "no verify result: $(cat "$t/out")"
	[ "$(st .state)" = done ] || fail "state: $(st .state)"
	[ "$(st .last_result.ok)" = true ] || fail "result: $(st .last_result)"
	[ "$(st .disc.status)" = appendable ] && [ "$(st .disc.sessions)" = 1 ] || fail "disc: $(st .disc)"
	[ "$(st .job.verify)" = full ] || fail "job: $(st .job)"
	# the staging directory is empty (and still there), the symlink's target untouched
	[ -d "$stg" ] && [ -z "$(ls -A "$stg")" ] || fail "staging not empty: $(ls -A "$stg")"
	[ "$(cat "$t/outside/keep")" = precious ] || fail "a symlink was followed"
	# the drive is free between jobs
	"$BURNFS" info --drive "vdrive:$vd" >"$t/info" || fail "info while mounted"
	grep -q "appendable" "$t/info" || fail "info: $(cat "$t/info")"
	check_disc "$t/src"
	# status for people, and the log
	"$BURNFS" status "$mnt" >"$t/status" || fail "status"
	grep -q "^state: done" "$t/status" && grep -q "last commit .*: done: burnt" "$t/status" ||
		fail "status: $(cat "$t/status")"
	"$BURNFS" status "$mnt/" --json | jq -e .last_result.ok >/dev/null || fail "status --json"
	grep -q "verifying" "$mnt/.burnfs/log" || fail "log: $(cat "$mnt/.burnfs/log")"
	# a second session appends; status survives a remount
	echo second >"$mnt/second.txt"
	"$BURNFS" commit "$mnt" --verify quick >"$t/out" 2>&1 || fail "second commit: $(cat "$t/out")"
	[ "$(st .disc.sessions)" = 2 ] || fail "two sessions: $(st .disc)"
	stop
	start
	[ "$(st .state)" = done ] && [ "$(st .job.verify)" = quick ] || fail "after remount: $(st .)"
	;;
faults)
	# each fault fails the commit; staging and mount stay exactly as they were
	command -v xorriso >/dev/null || exit 77
	start
	make_src "$stg"
	fingerprint "$stg" >"$t/before"
	fingerprint "$mnt" >"$t/before-mnt"
	n=0
	for spec in "bd-r write-error@1000 write error" "bd-r corrupt-read@900 verify" \
		"bd-r remove@700 no medium" "dvd-r opc-fail power calibration" \
		"dvd+r stuck:5b busy"; do
		set -- $spec
		media=$1 fault=$2
		shift 2
		want=$*
		new_disc "$media"
		"$BURNFS" vdrive fault "$vd" "$fault" || fail "fault $fault"
		ctl refresh || fail "refresh"
		[ "$(st .disc.profile)" = "$("$BURNFS" vdrive info "$vd" --json | jq -r .media | tr a-z A-Z)" ] ||
			fail "refresh did not see the new disc: $(st .disc)"
		"$BURNFS" commit "$mnt" >"$t/out" 2>&1
		rc=$?
		[ $rc = 1 ] || fail "$fault: exit $rc: $(cat "$t/out")"
		grep -q "failed: .*$want" "$t/out" || fail "$fault: unclear: $(cat "$t/out")"
		grep -q "^remedy: .*staged files" "$t/out" || fail "$fault: no remedy: $(cat "$t/out")"
		[ "$(st .state)" = failed ] || fail "$fault: state $(st .state)"
		st .last_result.remedy | grep -q . || fail "$fault: status has no remedy"
		st .last_result.disc_state_after.status | grep -q . || fail "$fault: no disc state"
		fingerprint "$stg" | cmp -s - "$t/before" || fail "$fault: the staging directory changed"
		fingerprint "$mnt" | cmp -s - "$t/before-mnt" || fail "$fault: the mount changed"
		echo "$fault: $(st .last_result.message) / disc after: $(st .last_result.disc_state_after.status) / remedy: $(st .last_result.remedy)"
		n=$((n + 1))
	done
	[ $n = 5 ] || fail "ran $n faults"
	# the verify failure names the damaged ranges and their files
	new_disc bd-r
	"$BURNFS" vdrive fault "$vd" corrupt-read@900 || fail fault
	ctl refresh
	"$BURNFS" commit "$mnt" >"$t/out" 2>&1 && fail "corruption passed"
	grep -q "^damaged: blocks [0-9]*-[0-9]*: .*IMG_0001.jpg" "$t/out" || fail "ranges: $(cat "$t/out")"
	[ "$(st '.last_result.bad_ranges | length')" -ge 1 ] || fail "no bad_ranges"
	# the remedy after remove@ tells how to load the disc again
	new_disc bd-r
	"$BURNFS" vdrive fault "$vd" remove@700 || fail fault
	ctl refresh
	"$BURNFS" commit "$mnt" >/dev/null 2>&1 && fail "remove passed"
	st .last_result.remedy | grep -q "burnfs vdrive load" || fail "remove remedy: $(st .last_result.remedy)"
	# slow:FACTOR is no failure: the buffer fills, the commit succeeds
	new_disc dvd-r
	"$BURNFS" vdrive fault "$vd" slow:8 || fail fault
	ctl refresh
	"$BURNFS" commit "$mnt" --verify quick >"$t/out" 2>&1 || fail "slow: $(cat "$t/out")"
	[ -z "$(ls -A "$stg")" ] || fail "slow: staging not emptied"
	;;
freeze)
	# during a commit every modification gets EROFS and reads work
	start
	make_src "$stg" 40
	"$BURNFS" vdrive fault "$vd" slow:1 || fail fault
	exec 3>>"$mnt/README"
	"$BURNFS" commit "$mnt" --verify none >"$t/out" 2>&1 &
	cpid=$!
	wait_for '.state == "committing" and .phase == "writing" and .bytes_done > 0'
	[ "$(st .ring_fill)" != null ] || fail "no ring fill: $(st .)"
	st .mb_per_s | grep -q '^[0-9]' || fail "no rate"
	for op in "touch $mnt/new" "mkdir $mnt/newdir" "rm $mnt/README" "mv $mnt/README $mnt/R2" \
		"chmod 600 $mnt/README" "ln $mnt/README $mnt/R3" "ln -s x $mnt/sym" \
		"truncate -s 0 $mnt/README" "rmdir $mnt/empty" "touch $mnt/README"; do
		out=$($op 2>&1) && fail "'$op' worked during a commit"
		case $out in *"Read-only file system"*) ;; *) fail "'$op': $out" ;; esac
	done
	out=$(sh -c "echo x >>'$mnt/README'" 2>&1) && fail "append worked during a commit"
	case $out in *"Read-only file system"*) ;; *) fail "append: $out" ;; esac
	echo more >&3 2>/dev/null && fail "a write on a descriptor opened before worked"
	cmp "$mnt/photos/big.bin" "$stg/photos/big.bin" || fail "reads during a commit"
	ls -R "$mnt" >/dev/null || fail "listing during a commit"
	"$BURNFS" status "$mnt" | grep -q "^state: committing: writing" || fail "status while writing"
	wait $cpid || fail "commit: $(cat "$t/out")"
	grep -q "^burnfs commit: writing" "$t/out" || fail "no phases without a terminal: $(cat "$t/out")"
	exec 3>&-
	[ "$(st .state)" = done ] || fail "state $(st .state)"
	touch "$mnt/after" || fail "still frozen after the commit"
	;;
crash)
	# kill -9 of the daemon in the middle of a commit
	command -v xorriso >/dev/null || exit 77
	start
	make_src "$t/src" 40
	cp -a "$t/src/." "$mnt/" || fail "cp"
	fingerprint "$stg" >"$t/before"
	"$BURNFS" vdrive fault "$vd" slow:1 || fail fault
	"$BURNFS" commit "$mnt" >"$t/out" 2>&1 &
	cpid=$!
	wait_for '.phase == "writing" and .bytes_done > 12000000'
	kill -9 $daemon
	wait $daemon
	daemon=
	sanitizer_check
	wait $cpid
	rc=$?
	[ $rc = 1 ] || fail "burnfs commit exit $rc after the daemon died: $(cat "$t/out")"
	grep -q "daemon stopped" "$t/out" || fail "commit did not say: $(cat "$t/out")"
	fusermount3 -u -z "$mnt" || fail "cleaning the dead mount"
	fingerprint "$stg" | cmp -s - "$t/before" || fail "the staging directory changed"
	start
	fingerprint "$mnt" | cmp -s - "$t/before" || fail "the mount shows other files"
	[ "$(st .state)" = interrupted ] || fail "state $(st .state)"
	st .last_result.message | grep -q "interrupted" || fail "message: $(st .last_result.message)"
	[ "$(st .disc.status)" = incomplete ] || fail "disc now: $(st .disc)"
	st .last_result.remedy | grep -q "blank disc" || fail "remedy: $(st .last_result.remedy)"
	"$BURNFS" status "$mnt" | grep -q "^state: interrupted" || fail "status"
	# this disc takes no more sessions: the commit says so, the staged files stay
	"$BURNFS" commit "$mnt" >"$t/out" 2>&1 && fail "a commit onto the incomplete disc worked"
	grep -q "incomplete session" "$t/out" || fail "unclear: $(cat "$t/out")"
	fingerprint "$stg" | cmp -s - "$t/before" || fail "the staging directory changed (2)"
	# a fresh blank disc: the retry succeeds
	new_disc bd-r
	ctl refresh || fail refresh
	"$BURNFS" commit "$mnt" >"$t/out" 2>&1 || fail "retry: $(cat "$t/out")"
	[ -z "$(ls -A "$stg")" ] || fail "staging not emptied by the retry"
	check_disc "$t/src"
	;;
unmount)
	# an unmount during a commit never cuts the burn short: fusermount3 -u, burnfs umount and
	# umount -l, early (the first blocks written) and late (past 80 % of the session; verifying and
	# closing take too little time on a virtual drive to be caught); the daemon exits when it is done,
	# the disc is appendable with the session verified, the staged files are removed as after
	# any commit, and the next mount's status tells the story
	command -v xorriso >/dev/null || exit 77
	make_src "$t/src" 12
	for spec in fusermount3:early burnfs:early fusermount3:late burnfs:late lazy:early; do
		how=${spec%:*} when=${spec#*:}
		new_disc bd-r
		"$BURNFS" vdrive fault "$vd" slow:2 || fail fault
		start
		cp -a "$t/src/." "$mnt/" || fail "cp"
		"$BURNFS" commit "$mnt" >"$t/out" 2>&1 &
		cpid=$!
		if [ $when = early ]; then
			wait_for '.phase == "writing" and .bytes_done > 0 and .percent < 30'
		else
			wait_for '.phase == "writing" and .percent >= 80'
		fi
		case $how in
		fusermount3) fusermount3 -u "$mnt" || fail "$spec: fusermount3 -u" ;;
		lazy) umount -l "$mnt" || fail "$spec: umount -l" ;;
		burnfs)
			"$BURNFS" umount "$mnt" >"$t/umount" 2>&1 || fail "$spec: burnfs umount: $(cat "$t/umount")"
			grep -q "a commit is running in '$mnt': the mount goes now, the commit runs to its end" "$t/umount" &&
				grep -q "burnfs commit --cancel" "$t/umount" &&
				grep -q "the commit has ended and the daemon exited" "$t/umount" ||
				fail "$spec: burnfs umount said: $(cat "$t/umount")"
			kill -0 "$daemon" 2>/dev/null && fail "$spec: burnfs umount returned before the daemon exited"
			;;
		esac
		wait $cpid
		[ $? = 1 ] && grep -q "was unmounted during the commit: its daemon goes on" "$t/out" ||
			fail "$spec: burnfs commit said: $(cat "$t/out")"
		for _ in $(seq 600); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
		wait "$daemon" || fail "$spec: the daemon exited with $?: $(tail "$t/daemon.log")"
		daemon=
		sanitizer_check
		"$BURNFS" vdrive info "$vd" --json >"$t/info" || fail "$spec: vdrive info"
		jq -e '.status == "appendable" and (.sessions | length) == 1' "$t/info" >/dev/null ||
			fail "$spec: the disc: $(cat "$t/info")"
		[ -z "$(ls -A "$stg")" ] || fail "$spec: staging not emptied: $(ls -A "$stg")"
		check_disc "$t/src"
		start
		[ "$(st .state)" = done ] && [ "$(st .last_result.ok)" = true ] || fail "$spec: status $(st .)"
		st .last_result.message | grep -q "chunks match.*(the mount was unmounted during the commit, while writing: the commit ran to its end, then the daemon exited)" ||
			fail "$spec: message: $(st .last_result.message)"
		"$BURNFS" status "$mnt" | grep -q "^last commit .*: done: burnt .*unmounted during the commit" ||
			fail "$spec: burnfs status: $("$BURNFS" status "$mnt")"
		grep -q "the last commit .*: done: .*unmounted" "$mnt/.burnfs/log" || fail "$spec: log: $(cat "$mnt/.burnfs/log")"
		stop
	done
	# after the unmount, SIGTERM to the daemon still cancels the commit (as before the unmount)
	new_disc bd-r
	"$BURNFS" vdrive fault "$vd" slow:1 || fail fault
	start
	cp -a "$t/src/." "$mnt/" || fail "cp"
	fingerprint "$stg" >"$t/before"
	ctl commit
	wait_for '.phase == "writing" and .bytes_done > 0 and .percent < 30'
	fusermount3 -u "$mnt" || fail "fusermount3 -u"
	sleep 0.3
	kill -0 "$daemon" || fail "the daemon exited at the unmount"
	kill -TERM "$daemon"
	wait "$daemon" || fail "the daemon exited with $? after SIGTERM"
	daemon=
	fingerprint "$stg" | cmp -s - "$t/before" || fail "SIGTERM: the staging directory changed"
	start
	[ "$(st .state)" = failed ] && st .last_result.message | grep -q "cancelled.*unmounted during the commit" ||
		fail "SIGTERM after the unmount: $(st .last_result)"
	;;
closed)
	# a disc that takes no more sessions (closed by `commit --close`; an unfinished session left
	# by a cancel): every change fails at once with EROFS, reads and removals work, df says 0,
	# status says why and what to do; a blank disc and refresh make the mount writable again
	command -v setfattr >/dev/null || exit 77
	refused() { # refused CASE: each change of the mount fails with EROFS
		local op out
		for op in "touch $mnt/new" "mkdir $mnt/newdir" "mkfifo $mnt/fifo" "ln -s x $mnt/sym" \
			"ln $mnt/README $mnt/R2" "mv $mnt/README $mnt/R3" "chmod 600 $mnt/README" \
			"chown 1:1 $mnt/README" "truncate -s 0 $mnt/README" "touch -d @1 $mnt/README" \
			"setfattr -n user.k -v v $mnt/README" "cp $mnt/README $mnt/docs/copy"; do
			out=$($op 2>&1) && fail "$1: '$op' worked"
			case $out in *"Read-only file system"*) ;; *) fail "$1: '$op': $out" ;; esac
		done
		out=$(sh -c "echo x >>'$mnt/README'" 2>&1) && fail "$1: append worked"
		case $out in *"Read-only file system"*) ;; *) fail "$1: append: $out" ;; esac
		[ "$(cat "$mnt/README")" = readme ] || fail "$1: read"
		rm "$mnt/README.hardlink" || fail "$1: a removal was refused"
		[ "$(stat -f -c %a "$mnt")" = 0 ] || fail "$1: df: $(stat -f -c %a "$mnt") free"
		st .read_only | grep -q "$2.*mount is read-only.*remedy: load a blank disc (\`burnfs vdrive load $vd --blank\`), then write \`refresh\`" ||
			fail "$1: status: $(st .read_only)"
		"$BURNFS" status "$mnt" | grep -q "^read-only: the BD-R in the drive $2" || fail "$1: burnfs status"
		grep -q "read-only: the BD-R in the drive $2" "$mnt/.burnfs/log" || fail "$1: log"
	}
	start
	echo first >"$mnt/first"
	"$BURNFS" commit "$mnt" --close >"$t/out" 2>&1 || fail "commit --close: $(cat "$t/out")"
	[ "$(st .disc.status)" = complete ] || fail "disc: $(st .disc)"
	make_src "$stg" # staged behind the mount's back: what a closed disc can never take
	refused "closed" "is closed (finalized)"
	# a cancelled burn leaves an unfinished session: the same
	new_disc bd-r
	"$BURNFS" vdrive fault "$vd" slow:1 || fail fault
	ctl refresh
	[ "$(st .read_only)" = null ] || fail "read-only on a blank disc: $(st .read_only)"
	touch "$mnt/README.hardlink" || fail "a blank disc: still read-only"
	head -c 20000000 /dev/urandom >"$mnt/big"
	ctl commit verify=none
	wait_for '.phase == "writing" and .bytes_done > 0'
	ctl cancel
	wait_for '.state == "failed"'
	[ "$(st .disc.status)" = incomplete ] || fail "disc after cancel: $(st .disc)"
	refused "unfinished" "holds an unfinished session"
	# a blank disc, refresh: writable again
	new_disc bd-r
	ctl refresh
	[ "$(st .read_only)" = null ] || fail "after refresh: $(st .read_only)"
	touch "$mnt/new" && echo x >>"$mnt/README" || fail "still read-only with a blank disc"
	"$BURNFS" status "$mnt" | grep -q "^read-only" && fail "burnfs status says read-only"
	;;
cancel)
	start
	make_src "$stg" 40
	fingerprint "$stg" >"$t/before"
	# by ctl
	"$BURNFS" vdrive fault "$vd" slow:1 || fail fault
	ctl refresh
	ctl commit verify=none
	wait_for '.phase == "writing" and .bytes_done > 0'
	ctl cancel || fail "cancel refused"
	wait_for '.state == "failed"'
	st .last_result.message | grep -q cancelled || fail "message: $(st .last_result.message)"
	[ "$(st .last_result.disc_state_after.status)" = incomplete ] || fail "disc: $(st .last_result)"
	fingerprint "$stg" | cmp -s - "$t/before" || fail "the staging directory changed (ctl)"
	out=$(ctl cancel 2>&1) && fail "cancel without a commit was accepted"
	# by SIGINT to burnfs commit, which cancels and reports
	new_disc bd-r
	"$BURNFS" vdrive fault "$vd" slow:1 || fail fault
	ctl refresh
	"$BURNFS" commit "$mnt" >"$t/out" 2>&1 &
	cpid=$!
	wait_for '.phase == "writing" and .bytes_done > 0'
	kill -INT $cpid
	wait $cpid
	rc=$?
	[ $rc = 130 ] || fail "exit $rc after SIGINT: $(cat "$t/out")"
	grep -q "cancelling" "$t/out" && grep -q "^remedy: " "$t/out" || fail "output: $(cat "$t/out")"
	[ "$(st .state)" = failed ] && st .last_result.message | grep -q cancelled || fail "state: $(st .)"
	fingerprint "$stg" | cmp -s - "$t/before" || fail "the staging directory changed (SIGINT)"
	# by burnfs commit --cancel from another terminal: the commit ends cancelled, and it says so
	new_disc bd-r
	"$BURNFS" vdrive fault "$vd" slow:1 || fail fault
	ctl refresh
	"$BURNFS" commit "$mnt" >"$t/out" 2>&1 &
	cpid=$!
	wait_for '.phase == "writing" and .bytes_done > 0'
	"$BURNFS" commit --cancel "$mnt/photos" >"$t/cancel" 2>&1 || fail "commit --cancel: $(cat "$t/cancel")"
	grep -q "the commit ended: .*cancelled" "$t/cancel" && grep -q "^remedy: " "$t/cancel" ||
		fail "commit --cancel said: $(cat "$t/cancel")"
	wait $cpid
	[ $? = 1 ] || fail "the cancelled commit's exit status"
	[ "$(st .state)" = failed ] && st .last_result.message | grep -q cancelled || fail "state: $(st .)"
	fingerprint "$stg" | cmp -s - "$t/before" || fail "the staging directory changed (--cancel)"
	"$BURNFS" commit --cancel "$mnt" >/dev/null 2>"$t/cancel" && fail "--cancel without a commit"
	grep -q "^burnfs commit: --cancel: no commit is running" "$t/cancel" || fail "--cancel: $(cat "$t/cancel")"
	# discard empties the staging directory, never following symlinks
	ctl discard || fail discard
	[ -z "$(ls -A "$stg")" ] && [ -z "$(ls -A "$mnt")" ] || fail "discard left: $(ls -A "$stg")"
	[ "$(cat "$t/outside/keep")" = precious ] || fail "discard followed a symlink"
	;;
usage)
	start
	"$BURNFS" commit "$t" >/dev/null 2>"$t/err"; [ $? = 1 ] || fail "commit outside a mount"
	grep -q "not in a burnfs mount" "$t/err" || fail "unclear: $(cat "$t/err")"
	"$BURNFS" commit "$mnt" --verify sometimes 2>/dev/null; [ $? = 2 ] || fail "bad --verify"
	"$BURNFS" commit "$mnt" --speed 0 2>/dev/null; [ $? = 2 ] || fail "bad --speed"
	"$BURNFS" commit 2>/dev/null; [ $? = 2 ] || fail "no mount point"
	"$BURNFS" status 2>/dev/null; [ $? = 2 ] || fail "status without a mount point"
	# nothing staged: the commit fails saying so
	"$BURNFS" commit "$mnt" >"$t/out" 2>&1; [ $? = 1 ] || fail "empty commit"
	grep -q "staging folder is empty" "$t/out" || fail "empty: $(cat "$t/out")"
	# bad ctl lines are refused with a reason in the log
	out=$(ctl frobnicate 2>&1) && fail "a bad command was accepted"
	case $out in *"Invalid argument"*) ;; *) fail "bad command: $out" ;; esac
	grep -q "'frobnicate' is not a command" "$mnt/.burnfs/log" || fail "log: $(cat "$mnt/.burnfs/log")"
	out=$(ctl commit verify=often 2>&1) && fail "a bad option was accepted"
	grep -q "'verify=often' is not an option" "$mnt/.burnfs/log" || fail "log: option"
	# a commit from a subdirectory of the mount; a running one refuses a second
	mkdir -p "$mnt/sub/dir" && head -c 30000000 /dev/urandom >"$mnt/sub/data"
	"$BURNFS" vdrive fault "$vd" slow:2 || fail fault
	"$BURNFS" commit "$mnt/sub/dir" --verify none >"$t/out" 2>&1 &
	cpid=$!
	wait_for '.state == "committing"'
	"$BURNFS" commit "$mnt" >"$t/out2" 2>&1 && fail "a second commit was accepted"
	grep -q "a commit is running" "$t/out2" || fail "second commit: $(cat "$t/out2")"
	wait $cpid || fail "commit from a subdirectory: $(cat "$t/out")"
	# --notify runs notify-send with the result (here a stand-in that records it)
	mkdir -p "$t/bin"
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s/notified"\n' "$t" >"$t/bin/notify-send"
	chmod +x "$t/bin/notify-send"
	echo again >"$mnt/again"
	PATH=$t/bin:$PATH "$BURNFS" commit "$mnt" --notify --verify none >/dev/null 2>&1 || fail "notify commit"
	grep -q "^Burnt: $mnt" "$t/notified" && grep -q "burnt 1 file " "$t/notified" ||
		fail "notification: $(cat "$t/notified" 2>&1)"
	echo again2 >"$mnt/again2"
	if ! PATH=$t/nothing command -v notify-send >/dev/null; then
		PATH=$t/nothing "$BURNFS" commit "$mnt" --notify --verify none >"$t/out" 2>&1 ||
			fail "commit without notify-send: $(cat "$t/out")"
		grep -q "notify-send is not installed" "$t/out" || fail "no note: $(cat "$t/out")"
	fi
	;;
desktop)
	# the file-manager actions: the .desktop entry is valid and calls burnfs commit; the
	# Nautilus script finds the mount from a selected path or the folder shown
	src=${BURNFS_SRC:-$here/../..}
	entry=$src/contrib/desktop/burnfs-commit.desktop
	script="$src/contrib/desktop/nautilus/Burn staged files"
	if command -v desktop-file-validate >/dev/null; then
		desktop-file-validate "$entry" | grep -v "hint:" | grep . && fail "desktop-file-validate"
	fi
	grep -q "^Exec=burnfs commit --notify %f$" "$entry" || fail "the entry does not run burnfs commit"
	grep -q "^Name=Burn staged files$" "$entry" || fail "no 'Burn staged files' action"
	[ -x "$script" ] || fail "the Nautilus script is not executable"
	mkdir -p "$t/bin"
	ln -s "$BURNFS" "$t/bin/burnfs"
	printf '#!/bin/sh
printf "%%s\n" "$@" >>"%s/notified"
' "$t" >"$t/bin/notify-send"
	chmod +x "$t/bin/notify-send"
	start
	mkdir -p "$mnt/sub dir/deeper"
	echo one >"$mnt/sub dir/deeper/one"
	(cd "$t" && PATH=$t/bin:$PATH NAUTILUS_SCRIPT_SELECTED_FILE_PATHS="$mnt/sub dir/deeper/one
$mnt/sub dir" "$script") >"$t/out" 2>&1 || fail "script (selection): $(cat "$t/out")"
	[ "$(st .state)" = done ] && [ -z "$(ls -A "$stg")" ] || fail "script commit: $(st .)"
	grep -q "^Burnt: $mnt$" "$t/notified" || fail "notification: $(cat "$t/notified")"
	# the folder shown, as a URI with an escaped space
	mkdir -p "$mnt/sub dir"
	echo two >"$mnt/sub dir/two"
	(cd / && PATH=$t/bin:$PATH NAUTILUS_SCRIPT_CURRENT_URI="file://${mnt// /%20}/sub%20dir" "$script") \
		>"$t/out" 2>&1 || fail "script (current folder): $(cat "$t/out")"
	[ "$(st .job.id)" = 2 ] && [ "$(st .state)" = done ] || fail "second script commit: $(st .)"
	# outside a mount: a notification says so
	(cd "$t" && PATH=$t/bin:$PATH "$script" bin) >"$t/out" 2>&1 && fail "script outside a mount"
	grep -q "not in a burnfs staging mount" "$t/notified" || fail "no error notification"
	;;
disc)
	# the disc's files in the mount: a disc with two sessions (burnt by `burnfs burn`) shows its
	# last session's tree under the staged files; its files read back byte for byte; new files
	# go into its directories, a written or chmod-ed disc file is copied up first; what would
	# change the disc's own tree (rm, mv, ln of its files) is refused with EROFS and a log line;
	# the commit carries it all, and the mount then shows the new session, as xorriso reads it
	command -v xorriso >/dev/null || exit 77
	new_disc bd-r
	make_src "$t/s1"
	mkdir -p "$t/s2/docs" && echo second >"$t/s2/docs/second.txt"
	"$BURNFS" burn "$t/s1" --drive "vdrive:$vd" --verify none >"$t/out" 2>&1 || fail "burn 1: $(cat "$t/out")"
	"$BURNFS" burn "$t/s2" --drive "vdrive:$vd" --verify none >"$t/out" 2>&1 || fail "burn 2: $(cat "$t/out")"
	mkdir -p "$t/want" && cp -a "$t/s1/." "$t/s2/." "$t/want/" && ln -f "$t/want/README" "$t/want/README.hardlink"
	start
	grep -q "showing session 2 of 2" "$mnt/.burnfs/log" || fail "log: $(cat "$mnt/.burnfs/log")"
	[ -z "$(ls -A "$stg")" ] || fail "staging at start: $(ls -A "$stg")"
	fingerprint "$mnt" >"$t/got"
	fingerprint "$t/want" >"$t/exp"
	diff "$t/exp" "$t/got" || fail "the mount does not show the disc's tree"
	[ "$(stat -c %i "$mnt/README")" = "$(stat -c %i "$mnt/README.hardlink")" ] ||
		fail "a hard link on the disc shows as two files"
	cmp "$mnt/photos/2026/IMG_0001.jpg" "$t/s1/photos/2026/IMG_0001.jpg" || fail "read of a disc file"
	[ "$(ls -a "$mnt" | head -2 | tr '\n' ' ')" = ". .. " ] || fail "no . and ..: $(ls -a "$mnt")"
	# staged changes on top
	echo new >"$mnt/docs/new.txt" || fail "a new file in a disc directory"
	mkdir "$mnt/photos/2027" && echo x >"$mnt/photos/2027/x" || fail "mkdir in a disc directory"
	echo more >>"$mnt/README" || fail "append to a disc file"
	chmod 600 "$mnt/docs/second.txt" || fail "chmod of a disc file"
	mkdir "$mnt/docs" 2>/dev/null && fail "mkdir over a disc directory"
	echo new >"$t/want/docs/new.txt" && mkdir -p "$t/want/photos/2027" && echo x >"$t/want/photos/2027/x"
	echo more >>"$t/want/README" && chmod 600 "$t/want/docs/second.txt"
	# both names of the disc's hard-linked file show the change, and stay one file
	[ "$(cat "$mnt/README.hardlink")" = "$(cat "$t/want/README")" ] || fail "the other hard link kept the old data"
	[ "$(stat -c %i "$mnt/README")" = "$(stat -c %i "$mnt/README.hardlink")" ] ||
		fail "a copied-up hard link shows as two files"
	# the disc's own tree changes too, nothing copied: rm (a whiteout), mv (files, a directory
	# into a new staged one, a staged file over a disc file), ln, rmdir, chmod, touch
	run_both() { # run_both CMD ARGS...: in the mount and in $t/want (paths relative to each)
		(cd "$mnt" && "$@") || fail "in the mount: $*"
		(cd "$t/want" && "$@") || fail "in want: $*"
	}
	run_both rm docs/deep/er/still/hello.txt
	run_both mv README.hardlink R2
	run_both ln photos/2026/IMG_0001.jpg L
	run_both rmdir empty
	run_both mv docs/new.txt photos/2026/IMG_0001.jpg
	run_both mv photos/2026 photos/2025
	run_both mkdir newdir
	run_both mv docs/deep newdir/
	run_both chmod 0640 docs/Grüße\ –\ notes.txt
	run_both touch -d @1650000000 L
	run_both mv docs/Grüße\ –\ notes.txt notes.txt
	[ -e "$stg/notes.txt" ] || [ -e "$stg/docs/Grüße – notes.txt" ] &&
		fail "a renamed or chmod-ed disc file was copied: $(find "$stg" -path "$stg/.burnfs" -prune -o -print)"
	[ "$(stat -c %a "$mnt/notes.txt")" = 640 ] || fail "mode: $(stat -c %a "$mnt/notes.txt")"
	[ "$(stat -c %Y "$mnt/L")" = 1650000000 ] || fail "mtime of a disc file"
	rm "$mnt/nothere" 2>/dev/null && fail "rm of nothing"
	rmdir "$mnt/photos" 2>"$t/err" && fail "rmdir of a disc directory that is not empty"
	grep -q "not empty" "$t/err" || fail "rmdir: $(cat "$t/err")"
	fingerprint "$mnt" >"$t/got"
	fingerprint "$t/want" >"$t/exp"
	diff "$t/exp" "$t/got" || fail "the mount does not show the changes"
	# the projection counts the disc's tree the session carries, not only the staged files
	sleep 2.2 # statfs replans at most every 2 s
	df "$mnt" >/dev/null
	proj=$(st .projected_blocks)
	"$BURNFS" commit "$mnt" --verify full >"$t/out" 2>&1 || fail "commit: $(cat "$t/out")"
	grep -q "with the disc's tree (session 2" "$t/out" || fail "commit: $(cat "$t/out")"
	grep -q " moved" "$t/out" || fail "commit: $(cat "$t/out")"
	took=$(sed -n 's/.* as a session at block [0-9]*, \([0-9]*\) blocks.*/\1/p' "$t/out")
	[ -n "$took" ] && [ "$proj" -ge "$took" ] && [ "$proj" -le $((took + 1024)) ] ||
		fail "projected $proj blocks, the session took ${took:-?}"
	[ "$(st .disc.sessions)" = 3 ] || fail "disc: $(st .disc)"
	fingerprint "$mnt" >"$t/got"
	diff "$t/exp" "$t/got" || fail "the mount after the commit does not show the new session"
	[ -z "$(find "$stg" -mindepth 1 -not -path "$stg/.burnfs*")" ] || fail "staged files left: $(ls -AR "$stg")"
	# the disc, as xorriso reads its last session
	"$BURNFS" vdrive export "$vd" -o "$t/disc.iso" >/dev/null || fail "vdrive export"
	last=$("$BURNFS" sessions --drive "vdrive:$vd" --json | jq -r '.sessions[-1].start')
	rm -rf "$t/x"
	xorriso -osirrox on -indev "$t/disc.iso" -load sbsector "$last" -extract / "$t/x" >/dev/null 2>&1 ||
		fail "xorriso extract"
	(cd "$t/x" && sha256sum --quiet -c .burnfs/SHA256SUMS) || fail "sha256sum -c of the manifest"
	rm -rf "$t/x/.burnfs"
	fingerprint "$t/x" >"$t/got"
	diff "$t/exp" "$t/got" || fail "the new session does not hold what the mount showed"
	chmod -R u+w "$t/x"
	;;
disc-tied)
	# the changes of the disc's files are the disc's: they survive unmount and kill -9, another
	# disc in the drive refuses them (and the commit) with why, until that disc comes back;
	# discard drops them
	new_disc bd-r
	mkdir -p "$t/s1/d" && echo a >"$t/s1/a" && echo b >"$t/s1/d/b" && echo c >"$t/s1/c"
	"$BURNFS" burn "$t/s1" --drive "vdrive:$vd" --verify none >"$t/out" 2>&1 || fail "burn: $(cat "$t/out")"
	start
	rm "$mnt/a" && mv "$mnt/d" "$mnt/e" && chmod 600 "$mnt/c" && echo new >"$mnt/new" ||
		fail "changes in the mount"
	grep -q "^remove /a$" "$mnt/.burnfs/changes" && grep -q "^move /d -> /e$" "$mnt/.burnfs/changes" &&
		grep -q "^add /new$" "$mnt/.burnfs/changes" || fail "changes: $(cat "$mnt/.burnfs/changes")"
	"$BURNFS" status "$mnt" >"$t/status" || fail "status"
	grep -q "^next session changes:" "$t/status" && grep -q "  move /d -> /e" "$t/status" ||
		fail "status: $(cat "$t/status")"
	listing() { (cd "$mnt" && find . -printf '%y %m %p\n' | sort); }
	listing >"$t/before"
	# unmount and mount again; then kill -9 and mount again: the same
	stop
	start
	listing >"$t/after" && diff "$t/before" "$t/after" || fail "the changes did not survive unmount"
	kill -9 "$daemon"
	wait "$daemon" 2>/dev/null
	daemon=
	fusermount3 -u -z "$mnt" 2>/dev/null
	start
	listing >"$t/after" && diff "$t/before" "$t/after" || fail "the changes did not survive kill -9"
	# another disc: shown without the changes, which are refused
	"$BURNFS" vdrive load "$vd" --blank >/dev/null || fail "vdrive load --blank"
	ctl refresh
	grep -q "made against another disc" "$mnt/.burnfs/changes" || fail "changes: $(cat "$mnt/.burnfs/changes")"
	"$BURNFS" commit "$mnt" --verify none >"$t/out" 2>&1 && fail "a commit of another disc's changes"
	grep -q "another disc" "$t/out" || fail "commit: $(cat "$t/out")"
	[ "$(st .disc.status)" = blank ] || fail "disc: $(st .disc)"
	# the disc comes back: the changes apply again, and the commit carries them
	"$BURNFS" vdrive eject "$vd" >/dev/null
	mv "$vd/shelf/1/disc.img" "$vd/shelf/1/state" "$vd/" || fail "putting the disc back"
	"$BURNFS" vdrive load "$vd" >/dev/null || fail "vdrive load"
	ctl refresh
	listing >"$t/after" && diff "$t/before" "$t/after" || fail "the changes are not back with their disc"
	"$BURNFS" commit "$mnt" --verify full >"$t/out" 2>&1 || fail "commit: $(cat "$t/out")"
	grep -q "1 removed, 1 moved" "$t/out" || fail "commit: $(cat "$t/out")"
	listing >"$t/after" && diff "$t/before" "$t/after" || fail "the mount after the commit"
	[ "$(grep -c -v '^#' "$mnt/.burnfs/changes")" = 0 ] || fail "changes left: $(cat "$mnt/.burnfs/changes")"
	# discard drops them
	rm "$mnt/c" || fail "rm"
	[ -e "$mnt/c" ] && fail "rm did not remove"
	ctl discard
	for _ in $(seq 50); do [ -e "$mnt/c" ] && break; sleep 0.1; done
	[ -e "$mnt/c" ] || fail "discard did not bring back the disc's file"
	;;
disc-view)
	# burnfs mount --session N: session N alone, read-only, beside the read-write mount
	new_disc dvd+r
	mkdir -p "$t/s1" "$t/s2" && echo a >"$t/s1/a" && echo b >"$t/s2/b"
	for s in s1 s2; do
		"$BURNFS" burn "$t/$s" --drive "vdrive:$vd" --verify none >"$t/out" 2>&1 || fail "burn $s"
	done
	start
	mkdir -p "$t/view"
	"$BURNFS" mount --drive "vdrive:$vd" --session 1 "$t/view" >"$t/out" 2>&1 || fail "mount --session 1: $(cat "$t/out")"
	[ "$(ls "$t/view")" = a ] || fail "session 1 shows: $(ls "$t/view")"
	[ "$(ls "$mnt" | tr '\n' ' ')" = "a b " ] || fail "the last session shows: $(ls "$mnt")"
	[ "$(cat "$t/view/a")" = a ] || fail "read in the view"
	touch "$t/view/x" 2>"$t/err" && fail "a write in the view"
	grep -q "Read-only" "$t/err" || fail "view write: $(cat "$t/err")"
	rm "$t/view/a" 2>/dev/null && fail "rm in the view"
	"$BURNFS" commit "$t/view" >"$t/out" 2>&1 && fail "a commit of the view"
	grep -q "read-only" "$t/out" || fail "view commit: $(cat "$t/out")"
	"$BURNFS" umount "$t/view" >/dev/null || fail "umount the view"
	"$BURNFS" mount --drive "vdrive:$vd" --session 9 "$t/view" >"$t/out" 2>&1 && fail "session 9 mounted"
	grep -q "2" "$t/out" || fail "session 9: $(cat "$t/out")"
	mountpoint -q "$t/view" && fail "session 9 left a mount"
	"$BURNFS" mount --session x "$t/view" 2>/dev/null; [ $? = 2 ] || fail "--session x"
	;;
boot)
	# the commit's boot options (issue 14 §2): isolinux and a FAT image staged in the mount,
	# named as a path in it (relative, then MOUNTPOINT/...) and as a disc path with a blank,
	# --hybrid; bad options refused by the daemon with the reason (exit 1) or by the command
	# (exit 2); a boot file missing from the tree fails the commit before any write; the
	# exported DVD+R as xorriso reports its El Torito entries and system area, booted once by
	# SeaBIOS (about 1 s; 50 s allowed on a loaded machine); a second session with boot
	# options refused (only a first session boots); --boot-replay of the exported disc onto
	# a blank one gives the same setup
	need_boot() { for x; do [ -e "$x" ] || command -v "$x" >/dev/null || exit 77; done; }
	need_boot xorriso mkfs.vfat qemu-system-x86_64 /usr/lib/ISOLINUX/isolinux.bin \
		/usr/lib/syslinux/modules/bios/ldlinux.c32
	mark=BURNFS-COMMIT-BOOT-OK
	new_disc dvd+r
	start
	stage_boot() { # the boot tree into the mount
		mkdir -p "$mnt/isolinux" "$mnt/boot" "$mnt/my docs" || fail "mkdir in the mount"
		cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$mnt/isolinux/"
		printf 'SAY %s\nPROMPT 1\nTIMEOUT 0\n' "$mark" >"$mnt/isolinux/isolinux.cfg"
		cp "$t/efi.img" "$mnt/boot/efi.img" && echo hi >"$mnt/my docs/read me.txt" || fail "cp"
	}
	mkfs.vfat -C "$t/efi.img" 2048 >/dev/null || fail "mkfs.vfat"
	stage_boot
	fingerprint "$stg" >"$t/before"
	commit_rc() { # commit_rc RC NEEDLE ARGS...: burnfs commit exits RC saying NEEDLE
		local want=$1 needle=$2 rc
		shift 2
		"$BURNFS" commit "$@" >"$t/out" 2>&1
		rc=$?
		[ $rc = "$want" ] || fail "commit $*: exit $rc (not $want): $(cat "$t/out")"
		grep -q -e "$needle" "$t/out" || fail "commit $*: no '$needle' in: $(cat "$t/out")"
	}
	commit_rc 1 "needs boot-bios=" "$mnt" --hybrid
	commit_rc 1 "needs hybrid" "$mnt" --boot-bios /isolinux/isolinux.bin --hybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin
	commit_rc 1 "not given with" "$mnt" --boot-bios /isolinux/isolinux.bin --boot-replay /etc/hostname
	commit_rc 2 "not a file in the mount" "$mnt" --boot-bios nowhere/isolinux.bin
	commit_rc 2 "No such file" "$mnt" --boot-replay "$t/no.iso"
	grep -q "ctl: commit: boot-replay= is not given with" "$mnt/.burnfs/log" || fail "log: $(cat "$mnt/.burnfs/log")"
	commit_rc 1 "'/isolinux/nope.bin': no such file" "$mnt" --boot-bios "$mnt/isolinux/nope.bin"
	grep -q "^remedy: fix the boot option" "$t/out" || fail "remedy: $(cat "$t/out")"
	[ "$(st .disc.status)" = blank ] || fail "a refused commit wrote: $(st .disc)"
	fingerprint "$stg" | cmp -s - "$t/before" || fail "a refused commit changed the staging directory"
	(cd "$mnt/isolinux" && "$BURNFS" commit .. --verify quick --boot-bios isolinux.bin \
		--boot-efi "$mnt/boot/efi.img" --boot-catalog "/my docs/boot.cat" --hybrid) >"$t/out" 2>&1 ||
		fail "boot commit: $(cat "$t/out")"
	[ "$(st .job.boot.bios)/$(st .job.boot.efi)/$(st .job.boot.catalog)" = \
		"/isolinux/isolinux.bin//boot/efi.img//my docs/boot.cat" ] || fail "status: $(st .job)"
	"$BURNFS" vdrive export "$vd" -o "$t/disc.iso" >/dev/null || fail "vdrive export"
	xorriso -indev "$t/disc.iso" -report_el_torito plain -report_system_area plain >"$t/et" \
		2>/dev/null || fail "xorriso report"
	for re in "^El Torito catalog +: [0-9]+ +1$" "^El Torito cat path : /my docs/boot.cat$" \
		"^El Torito boot img : +1 +BIOS +y +none +0x0000 +0x00 +4 +[0-9]+$" \
		"^El Torito boot img : +2 +UEFI +y +none +0x0000 +0x00 +4096 +[0-9]+$" \
		"^El Torito img path : +1 +/isolinux/isolinux.bin$" "^El Torito img opts : +1 +boot-info-table" \
		"^El Torito img path : +2 +/boot/efi.img$" "^System area summary: MBR isohybrid cyl-align-off GPT$"; do
		grep -Eq -e "$re" "$t/et" || fail "no /$re/ in: $(cat "$t/et")"
	done
	qemu-system-x86_64 -m 256 -nographic -no-reboot -accel tcg -net none -boot d \
		-cdrom "$t/disc.iso" >"$t/qemu.log" 2>&1 &
	qpid=$!
	for i in $(seq 200); do
		tr -d '\r' <"$t/qemu.log" | grep -aq "$mark" && break
		kill -0 $qpid 2>/dev/null || break
		sleep 0.25
	done
	kill $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	tr -d '\r' <"$t/qemu.log" | grep -aq "$mark" || fail "no $mark after ${i}x0.25 s: $(tail -c 1000 "$t/qemu.log")"
	echo "boot: SeaBIOS booted the committed disc in about $((i / 4)) s"
	echo more >"$mnt/more"
	commit_rc 1 "boot options need a blank disc" "$mnt" --boot-bios /isolinux/isolinux.bin
	[ "$(st .disc.sessions)" = 1 ] || fail "sessions: $(st .disc)"
	# --boot-replay of that disc onto a blank one: the same El Torito and hybrid setup
	rm "$mnt/more" && new_disc dvd+r && ctl refresh && stage_boot
	"$BURNFS" commit "$mnt" --verify none --boot-replay "$t/disc.iso" >"$t/out" 2>&1 ||
		fail "replay commit: $(cat "$t/out")"
	"$BURNFS" vdrive export "$vd" -o "$t/disc2.iso" >/dev/null || fail "vdrive export 2"
	xorriso -indev "$t/disc2.iso" -report_el_torito plain -report_system_area plain >"$t/et2" 2>/dev/null
	grep -E "^(El Torito (img path|img opts|cat path)|System area summary)" "$t/et" >"$t/want"
	grep -E "^(El Torito (img path|img opts|cat path)|System area summary)" "$t/et2" | diff "$t/want" - ||
		fail "the replayed setup differs"
	;;
*)
	echo "unknown case $1" >&2
	exit 2
	;;
esac
stop
exit 0
