#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# append-faults.sh CASE: faults during an append onto write-once media (CD-R, DVD-R, DVD+R,
# BD-R) never make an earlier session unreadable (issue 12 §3). A disc gets two merged
# sessions (two burns), then a third burn fails by a fault of the virtual drive: a write
# error, a removed medium, SIGKILL of burnfs at each phase (reading the disc's tree, the first
# WRITE, SYNCHRONIZE CACHE, CLOSE, the verify), a power loss (kill -9 mid-write, the drive's
# state as it was left on disk). After each, every earlier session is read back (burnfs ls -R,
# burnfs extract and xorriso's extraction hashed against what was burnt, xorriso -find, udfinfo
# --startblock on DVD and BD), `burnfs verify --drive` passes, `burnfs info` says what the
# disc is, and a further burn appends a merged session (or, on a disc left with an incomplete
# session, is refused with the reason and changes nothing). Also: commits through the staging
# mount merge and survive kill -9 of the daemon while writing and while verifying; a closed
# disc refuses a burn and a commit; the merged sessions' manifests cover the whole tree.
# Exit 77 without xorriso (and without FUSE for 'staging').
set -u
: "${BURNFS:?}"
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-afault.XXXXXX")
daemon=
cleanup() {
	if [ -n "$daemon" ]; then
		kill -9 "$daemon" 2>/dev/null
		wait "$daemon" 2>/dev/null
	fi
	[ -n "${mnt:-}" ] && fusermount3 -u -z "$mnt" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# the merge's temporary copies go here, where the test can see what is left behind
export TMPDIR=$t/tmp
mkdir -p "$TMPDIR"
export SOURCE_DATE_EPOCH=1700000000 BURNFS_VDRIVE_LONGOP_MS=0
command -v xorriso >/dev/null || exit 77

# the trees: s1 and s2 burnt as sessions 1 and 2 (m1, m2: what each session holds), s3 the
# third burn that fails (m3: what it would hold), s4 the burn after the fault
mkdir -p "$t/s1/d" "$t/s2/d" "$t/s3/d" "$t/s4/d"
echo one >"$t/s1/one"
echo deep >"$t/s1/d/a"
head -c 200000 /dev/urandom >"$t/s1/b1.bin"
head -c 300000 /dev/urandom >"$t/s2/two"
echo bee >"$t/s2/d/b"
echo three >"$t/s3/three"
head -c 2000000 /dev/urandom >"$t/s3/big"
echo four >"$t/s4/four"
echo eee >"$t/s4/d/e"
merged() { # merged OUT TREE...: the union of the trees (a later one's file wins)
	local out=$1 s
	shift
	mkdir -p "$t/$out"
	for s in "$@"; do cp -a "$t/$s/." "$t/$out/" || fail "tree $out"; done
}
merged m1 s1
merged m2 s1 s2
merged m3 s1 s2 s3
merged m2+4 s1 s2 s4
merged m3+4 s1 s2 s3 s4

# sums DIR: every file's hash and path but the manifest's
sums() { (cd "$1" && find . -type f ! -path './.burnfs/*' -exec sha256sum {} + | sort -k2); }
# paths DIR: every path below DIR, with the manifest's (as every session has them)
paths() { (cd "$1" && { find . -mindepth 1 ! -path './.burnfs*' -printf '/%P\n'; printf '%s\n' /.burnfs /.burnfs/SHA256SUMS; } | sort); }
nfiles() { find "$t/$1" -type f | wc -l; }
# ls_paths: `burnfs ls -R` output as one path a line
ls_paths() { awk '/^\/.*:$/ { d = substr($0, 1, length($0) - 1); if (d == "/") d = ""; next } NF { print d "/" $0 }' | sort; }
jqpy() { /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); $1"; }

# template MEDIA: a drive in $t/tpl-MEDIA with two merged sessions (made once)
template() {
	local d=$t/tpl-$1
	[ -d "$d" ] && return 0
	"$BURNFS" vdrive create --media "$1" "$d" || fail "create $1"
	"$BURNFS" burn "$t/s1" --drive "vdrive:$d" 2>"$t/err" || fail "$1: session 1: $(cat "$t/err")"
	"$BURNFS" burn "$t/s2" --drive "vdrive:$d" 2>"$t/err" || fail "$1: session 2: $(cat "$t/err")"
	grep -q "the disc's tree (session 1, .*) is carried over" "$t/err" || fail "$1: session 2 did not merge: $(cat "$t/err")"
}
# disc MEDIA DIR: a copy of the two-session template in DIR
disc() {
	template "$1"
	rm -rf "$2"
	cp -a "$t/tpl-$1" "$2" || fail "copy of the $1 template"
}
# start DIR N: where closed session N of the disc in DIR starts
start() { "$BURNFS" info --drive "vdrive:$1" --json | jqpy "print([s['start'] for s in j['session_list'] if not s['open']][$2 - 1])"; }
nwa() { "$BURNFS" info --drive "vdrive:$1" --json | jqpy "print(j['next_writable'])"; }

# check_session DIR N TREE WHAT: closed session N of the disc in DIR ($t/disc.iso, exported)
# holds TREE, read by burnfs ls -R and extract, by xorriso, and by udfinfo on DVD and BD
check_session() {
	local d=$1 n=$2 want=$t/$3 what="$4: session $2" s u
	s=$(start "$d" "$n") || fail "$what: no start"
	"$BURNFS" ls -R --drive "vdrive:$d" --session "$n" >"$t/ls" 2>"$t/err" || fail "$what: ls -R: $(cat "$t/err")"
	ls_paths <"$t/ls" | diff - <(paths "$want") >&2 || fail "$what: burnfs ls -R lists another tree"
	rm -rf "$t/x"
	"$BURNFS" extract --drive "vdrive:$d" --session "$n" / -o "$t/x" >"$t/err" 2>&1 || fail "$what: extract: $(cat "$t/err")"
	(cd "$t/x" && sha256sum --quiet -c .burnfs/SHA256SUMS) || fail "$what: sha256sum -c of burnfs's extraction"
	[ "$(sums "$t/x")" = "$(sums "$want")" ] || fail "$what: burnfs extract: other contents"
	xorriso -load sbsector "$s" -indev "$t/disc.iso" -find / 2>/dev/null | sed "s/^'\(.*\)'$/\1/" |
		grep -v '^/$' | sort | diff - <(paths "$want") >&2 || fail "$what: xorriso -load sbsector $s -find lists another tree"
	chmod -R u+w "$t/x" && rm -rf "$t/x"
	xorriso -osirrox on -load sbsector "$s" -indev "$t/disc.iso" -extract / "$t/x" >/dev/null 2>&1 ||
		fail "$what: xorriso -extract"
	[ "$(sums "$t/x")" = "$(sums "$want")" ] || fail "$what: xorriso's extraction: other contents"
	chmod -R u+w "$t/x" && rm -rf "$t/x"
	case $d in */cd-r*) return 0 ;; esac # CD sessions carry no UDF
	command -v udfinfo >/dev/null || return 0
	u=$(udfinfo --startblock="$s" "$t/disc.iso" 2>/dev/null) || fail "$what: udfinfo --startblock=$s"
	# the files, the manifest among them; the directories, root and /.burnfs among them
	printf '%s\n' "$u" | grep -qx "numfiles=$(($(nfiles "$3") + 1))" || fail "$what: udfinfo: $(printf '%s\n' "$u" | grep num)"
	printf '%s\n' "$u" | grep -qx "numdirs=$(($(find "$want" -type d | wc -l) + 1))" || fail "$what: udfinfo: $(printf '%s\n' "$u" | grep num)"
}

# check_earlier DIR WHAT [TREE...]: the disc's closed sessions hold m1, m2 (and the TREEs
# given for sessions 3...), each read back by check_session and by `burnfs verify --drive`
check_earlier() {
	local d=$1 what=$2 n=0 tree
	shift 2
	"$BURNFS" vdrive export "$d" -o "$t/disc.iso" >/dev/null || fail "$what: export"
	"$BURNFS" verify --drive "vdrive:$d" >"$t/v" 2>&1 || fail "$what: verify --drive: $(cat "$t/v")"
	for tree in m1 m2 "$@"; do
		n=$((n + 1))
		check_session "$d" $n "$tree" "$what"
		grep -q "session $n at block $(start "$d" $n): $(nfiles "$tree") files match, 0 differ, 0 missing" "$t/v" ||
			fail "$what: verify --drive of session $n: $(cat "$t/v")"
	done
	grep -q "session $((n + 1)) " "$t/v" && fail "$what: verify --drive checked a session more: $(cat "$t/v")"
	return 0
}

# check_info DIR STATUS CLOSED WHAT: burnfs info says what the disc now is
check_info() {
	local d=$1 want=$2 n=$3 what=$4 last
	"$BURNFS" info --drive "vdrive:$d" >"$t/info" 2>&1 || fail "$what: info: $(cat "$t/info")"
	last=$(start "$d" "$n")
	grep -q "^medium: .* ($want," "$t/info" || fail "$what: info: not $want: $(cat "$t/info")"
	grep -q "^sessions: $n closed, the last starts at block $last$" "$t/info" ||
		fail "$what: info: the sessions: $(cat "$t/info")"
	if [ "$want" = incomplete ]; then
		grep -q "^next session: none (no writable address): .*incomplete session" "$t/info" ||
			fail "$what: info: no reason: $(cat "$t/info")"
	else
		grep -q "^next session: at block $(nwa "$d")," "$t/info" || fail "$what: info: $(cat "$t/info")"
	fi
}

# check_after DIR STATUS CLOSED WHAT: after the fault, the disc is STATUS with CLOSED
# sessions; on an appendable one a burn of s4 appends a session merging the last one's tree,
# an incomplete one refuses it with the reason and stays exactly as it was
check_after() {
	local d=$1 want=$2 n=$3 what=$4 sha s
	check_info "$d" "$want" "$n" "$what"
	"$BURNFS" vdrive fault "$d" clear || fail "$what: fault clear"
	if [ "$want" = incomplete ]; then
		sha=$(sha256sum <"$t/disc.iso")
		"$BURNFS" burn "$t/s4" --drive "vdrive:$d" 2>"$t/err"
		[ $? = 1 ] || fail "$what: a burn onto the incomplete disc: $(cat "$t/err")"
		grep -q "incomplete session (an interrupted burn: .*use a new disc" "$t/err" &&
			grep -q "^remedy: " "$t/err" || fail "$what: the refusal: $(cat "$t/err")"
		"$BURNFS" vdrive export "$d" -o "$t/disc.iso" >/dev/null || fail "$what: export"
		[ "$(sha256sum <"$t/disc.iso")" = "$sha" ] || fail "$what: the refused burn changed the disc"
		return 0
	fi
	s=$(nwa "$d")
	"$BURNFS" burn "$t/s4" --drive "vdrive:$d" 2>"$t/err" || fail "$what: the burn after: $(cat "$t/err")"
	grep -q "the disc's tree (session $n, .*) is carried over" "$t/err" && grep -q "session at block $s," "$t/err" ||
		fail "$what: the burn after did not merge at $s: $(cat "$t/err")"
	if [ "$n" = 2 ]; then check_earlier "$d" "$what, then a burn" m2+4; else check_earlier "$d" "$what, then a burn" m3 m3+4; fi
}

# left_tmp WHAT: what the merge left in $TMPDIR (nothing: no file of a burnfs disc is copied)
left_tmp() { [ -z "$(ls -A "$TMPDIR")" ] || fail "$1: left in \$TMPDIR: $(ls -AR "$TMPDIR")"; }

case $1 in
write-error)
	# a write error in the new session's first WRITE (nothing recorded: the disc stays
	# appendable) and in a later one (an incomplete session)
	for m in dvd+r cd-r; do
		for at in 8 600; do
			d=$t/$m-$at
			disc $m "$d"
			s=$(nwa "$d")
			"$BURNFS" vdrive fault "$d" "write-error@$((s + at))" || fail fault
			"$BURNFS" burn "$t/s3" --drive "vdrive:$d" 2>"$t/err"
			[ $? = 1 ] || fail "$m write-error@$((s + at)): exit: $(cat "$t/err")"
			grep -q "^burnfs burn: writing block $((s + at)): WRITE(10) failed: write error" "$t/err" ||
				fail "$m write-error@$((s + at)): $(cat "$t/err")"
			[ $at = 8 ] && st=appendable || st=incomplete
			grep -q "the disc now: ${m^^}, $st, 2 closed session(s)" "$t/err" || fail "$m write-error@$((s + at)): the state: $(cat "$t/err")"
			check_earlier "$d" "$m write-error@+$at"
			check_after "$d" $st 2 "$m write-error@+$at"
			left_tmp "$m write-error@+$at"
		done
	done
	;;
remove)
	# the medium removed during the new session's first WRITE and during a later one
	for m in bd-r dvd-r; do
		for at in 0 600; do
			d=$t/$m-$at
			disc $m "$d"
			s=$(nwa "$d")
			"$BURNFS" vdrive fault "$d" "remove@$((s + at))" || fail fault
			"$BURNFS" burn "$t/s3" --drive "vdrive:$d" 2>"$t/err"
			[ $? = 1 ] || fail "$m remove@+$at: exit: $(cat "$t/err")"
			grep -q "no medium in the drive" "$t/err" && grep -q "^remedy: .*burnfs vdrive load $d" "$t/err" ||
				fail "$m remove@+$at: $(cat "$t/err")"
			"$BURNFS" vdrive load "$d" || fail "$m remove@+$at: load"
			check_earlier "$d" "$m remove@+$at"
			st=$("$BURNFS" info --drive "vdrive:$d" --json | jqpy "print(j['status'])")
			echo "$m remove@+$at: the disc after: $st"
			[ $at = 0 ] || [ "$st" = incomplete ] || fail "$m remove@+$at: $st"
			check_after "$d" "$st" 2 "$m remove@+$at"
			left_tmp "$m remove@+$at"
		done
	done
	;;
kill)
	# SIGKILL of burnfs while the drive is stuck in each phase of the third burn: reading the
	# disc's tree (READ), the first WRITE, SYNCHRONIZE CACHE, CLOSE, the verify (READ again)
	for c in read:28:dvd-r:appendable:2 write:2a:bd-r:appendable:2 sync:35:cd-r:appendable:2 \
		close:5b:dvd+r:incomplete:2 verify:28:bd-r:appendable:3 close:5b:cd-r:incomplete:2; do
		IFS=: read -r phase op m st n <<<"$c"
		d=$t/$m-$phase
		disc $m "$d"
		if [ $phase = verify ]; then # stuck only once the writing has begun
			"$BURNFS" vdrive fault "$d" slow:4 || fail fault
		else
			"$BURNFS" vdrive fault "$d" "stuck:$op" || fail fault
		fi
		: >"$t/log"
		BURNFS_MMC_STUCK_SECONDS=60 BURNFS_STATUS_LOG=$t/log "$BURNFS" burn "$t/s3" --drive "vdrive:$d" --trace 2>"$t/err" &
		p=$!
		if [ $phase = verify ]; then
			for _ in $(seq 100); do grep -q "^write " "$t/log" && break; sleep 0.05; done
			"$BURNFS" vdrive fault "$d" "stuck:$op" || fail fault
			# until the drive closed the session (its trace line comes when it is done):
			# the verify's first READ is stuck then
			for _ in $(seq 200); do grep -q "^mmc: CLOSE TRACK/SESSION  *5b 01 02" "$t/err" && break; sleep 0.05; done
		fi
		sleep 1
		kill -0 $p 2>/dev/null || fail "$m $phase: the burn ended before the kill: $(cat "$t/err")"
		kill -9 $p
		wait $p 2>/dev/null
		"$BURNFS" vdrive fault "$d" clear || fail "fault clear"
		what="$m kill -9 at $phase"
		if [ $phase = verify ]; then check_earlier "$d" "$what" m3; else check_earlier "$d" "$what"; fi
		check_after "$d" $st $n "$what"
		left_tmp "$what"
	done
	;;
power)
	# a power loss while writing: kill -9 mid-write, and the drive's state as it was left on
	# disk (it records its next writable address every 256 blocks, as a drive's RMA/PMA)
	for m in dvd+r cd-r; do
		d=$t/$m
		disc $m "$d"
		"$BURNFS" vdrive fault "$d" slow:1 || fail fault
		: >"$t/log"
		BURNFS_VDRIVE_COMMIT_BLOCKS=256 BURNFS_STATUS_LOG=$t/log "$BURNFS" burn "$t/s3" --drive "vdrive:$d" 2>"$t/err" &
		p=$!
		for _ in $(seq 200); do awk '$1 == "write" { split($2, a, "/"); if (a[1] >= 600) f = 1 } END { exit !f }' "$t/log" && break; sleep 0.05; done
		kill -9 $p
		wait $p 2>/dev/null
		"$BURNFS" vdrive fault "$d" clear || fail "fault clear"
		"$BURNFS" vdrive info "$d" | grep -q "status: incomplete, 3 session" || fail "$m power: the drive's state: $("$BURNFS" vdrive info "$d")"
		check_earlier "$d" "$m power loss"
		check_after "$d" incomplete 2 "$m power loss"
	done
	;;
close)
	# --close on the second burn finalizes: a burn and a commit are then refused with the
	# reason, and the disc stays exactly as it was
	for m in dvd+r cd-r; do
		d=$t/$m
		"$BURNFS" vdrive create --media $m "$d" || fail create
		"$BURNFS" burn "$t/s1" --drive "vdrive:$d" 2>/dev/null || fail "$m session 1"
		"$BURNFS" burn "$t/s2" --drive "vdrive:$d" --close 2>"$t/err" || fail "$m session 2: $(cat "$t/err")"
		check_earlier "$d" "$m --close"
		"$BURNFS" info --drive "vdrive:$d" | grep -q "^medium: ${m^^} (complete," || fail "$m: not finalized"
		sha=$(sha256sum <"$t/disc.iso")
		"$BURNFS" burn "$t/s4" --drive "vdrive:$d" 2>"$t/err"
		[ $? = 1 ] || fail "$m: a burn onto the closed disc: $(cat "$t/err")"
		grep -q "^burnfs burn: .*finalized" "$t/err" || fail "$m: the burn's refusal: $(cat "$t/err")"
		"$BURNFS" vdrive export "$d" -o "$t/disc.iso" >/dev/null || fail export
		[ "$(sha256sum <"$t/disc.iso")" = "$sha" ] || fail "$m: the refused burn changed the disc"
		[ $m = dvd+r ] && sha_dvd=$sha
	done
	# the commit: through a staging mount of the closed DVD+R
	[ -c /dev/fuse ] && command -v fusermount3 >/dev/null || { echo "close: no FUSE: the commit is not tried" >&2; exit 0; }
	. "$here/../fuse/lib.sh"
	mnt=$t/mnt stg=$t/staging
	mkdir -p "$mnt" "$stg"
	cp -a "$t/s4/." "$stg/" || fail "staging"
	mount_daemon "$t/dvd+r"
	"$BURNFS" commit "$mnt" >"$t/out" 2>&1
	[ $? = 1 ] || fail "a commit onto the closed disc: $(cat "$t/out")"
	grep -q "finalized" "$t/out" || fail "the commit's refusal: $(cat "$t/out")"
	"$BURNFS" umount "$mnt" >/dev/null 2>&1 || fail umount
	wait $daemon || fail "the daemon: $(cat "$t/daemon.log")"
	daemon=
	sanitizer_report && exit 1
	[ "$(sums "$stg")" = "$(sums "$t/s4")" ] || fail "the refused commit changed the staging directory"
	"$BURNFS" vdrive export "$t/dvd+r" -o "$t/disc.iso" >/dev/null || fail export
	[ "$(sha256sum <"$t/disc.iso")" = "$sha_dvd" ] || fail "the refused commit changed the disc"
	;;
staging)
	# commits through a staging mount merge: session 2 holds session 1's files; kill -9 of
	# the daemon during the second commit (writing, the drive's state saved or not yet;
	# verifying): session 1 reads back, the staged files stay, and after a remount a commit
	# carries session 1's files (or, on a disc left incomplete, is refused with the reason)
	[ -c /dev/fuse ] && command -v fusermount3 >/dev/null || { echo "no FUSE" >&2; exit 77; }
	command -v jq >/dev/null || { echo "no jq" >&2; exit 77; }
	. "$here/../fuse/lib.sh"
	export XDG_STATE_HOME=$t/state XDG_DATA_HOME=$t/data BURNFS_MMC_STUCK_SECONDS=60
	mnt=$t/mnt stg=$t/staging vd=$t/vd
	mkdir -p "$mnt" "$stg"
	st() { jq -r "$1" "$mnt/.burnfs/status"; }
	wait_for() { # wait_for FILTER: until the status has it (30 s)
		for _ in $(seq 300); do
			[ "$(jq -r "$1" "$mnt/.burnfs/status" 2>/dev/null)" = true ] && return 0
			sleep 0.1
		done
		fail "status never had $1: $(cat "$mnt/.burnfs/status")"
	}
	stop() {
		"$BURNFS" umount "$mnt" >/dev/null 2>&1 || fail "umount"
		wait "$daemon" || fail "the daemon exited with $?: $(cat "$t/daemon.log")"
		daemon=
		! sanitizer_report || exit 1
	}
	commit() { # commit WHAT: a commit that must succeed and merge, the staging emptied
		"$BURNFS" commit "$mnt" >"$t/out" 2>&1 || fail "$1: commit: $(cat "$t/out") $(tail -5 "$mnt/.burnfs/log")"
		[ -z "$(ls -A "$stg")" ] || fail "$1: the staged files were not removed: $(ls -AR "$stg")"
	}
	"$BURNFS" vdrive create --media dvd+r "$vd" || fail create
	mount_daemon "$vd"
	cp -a "$t/s1/." "$mnt/" || fail "cp s1"
	commit "session 1"
	cp -a "$vd" "$t/vd-1" || fail "copy of the one-session disc"
	cp -a "$t/s2/." "$mnt/" || fail "cp s2"
	commit "session 2"
	grep -q "with the disc's tree (session 1: [0-9]* files kept where they are" "$t/out" ||
		fail "session 2: the commit does not say it carried session 1's tree: $(cat "$t/out")"
	"$BURNFS" vdrive export "$vd" -o "$t/disc.iso" >/dev/null || fail export
	check_session "$vd" 1 m1 "staging"
	check_session "$vd" 2 m2 "staging"
	stop
	# the second commit killed: s2 and a 10 MB file staged (ms: what session 2 would hold;
	# more than the drive's 4 MiB buffer, so the writing lasts)
	head -c 10000000 /dev/urandom >"$t/big2"
	merged ms s1 s2 && cp "$t/big2" "$t/ms/" || fail "tree ms"
	for c in write-saved:256:incomplete write-lost:4096:appendable verify:4096:appendable; do
		IFS=: read -r how every want <<<"$c"
		rm -rf "$vd" && cp -a "$t/vd-1" "$vd" || fail "$how: the one-session disc"
		cp -a "$t/s2/." "$stg/" && cp "$t/big2" "$stg/" || fail "$how: staging"
		sums "$stg" >"$t/staged"
		"$BURNFS" vdrive fault "$vd" slow:2 || fail fault
		BURNFS_VDRIVE_COMMIT_BLOCKS=$every mount_daemon "$vd"
		"$BURNFS" commit "$mnt" >"$t/out" 2>&1 &
		cpid=$!
		if [ $how = verify ]; then
			wait_for '.phase == "writing" and .bytes_done > 0'
			"$BURNFS" vdrive fault "$vd" stuck:28 || fail fault # the verify's READs stall
			# until the drive recorded the closed session in its state file: the verify's
			# first READ is stuck then (the status says "verifying" after that READ)
			closed=
			for _ in $(seq 900); do # 90 s: a loaded machine writes slowly
				grep -qx "status 2" "$vd/state" && grep -qx "tracks 2" "$vd/state" &&
					closed=1 && break
				sleep 0.1
			done
			[ -n "$closed" ] || fail "$how: the session was not closed in 90 s: $(st .)"
			sleep 0.5
			[ "$(st .state)" = committing ] || fail "$how: the commit ended: $(st .)"
		else
			wait_for '.phase == "writing" and .bytes_done > 6000000'
		fi
		kill -9 "$daemon"
		wait "$daemon"
		daemon=
		! sanitizer_report || exit 1
		wait $cpid
		[ $? = 1 ] && grep -q "daemon stopped" "$t/out" || fail "$how: burnfs commit said: $(cat "$t/out")"
		fusermount3 -u -z "$mnt" || fail "$how: the dead mount"
		"$BURNFS" vdrive fault "$vd" clear || fail "fault clear"
		[ "$(sums "$stg")" = "$(cat "$t/staged")" ] || fail "$how: the staged files changed"
		"$BURNFS" vdrive export "$vd" -o "$t/disc.iso" >/dev/null || fail "$how: export"
		check_session "$vd" 1 m1 "staging, kill -9 while $how"
		[ $how = verify ] && check_session "$vd" 2 ms "staging, kill -9 while $how"
		[ "$("$BURNFS" info --drive "vdrive:$vd" --json | jqpy "print(j['status'])")" = "$want" ] ||
			fail "$how: the disc: $("$BURNFS" info --drive "vdrive:$vd")"
		mount_daemon "$vd"
		[ "$(st .state)" = interrupted ] || fail "$how: state after the remount: $(st .state)"
		if [ "$want" = incomplete ]; then
			"$BURNFS" commit "$mnt" >"$t/out" 2>&1 && fail "$how: a commit onto the incomplete disc"
			grep -q "incomplete session" "$t/out" || fail "$how: the refusal: $(cat "$t/out")"
			[ "$(sums "$stg")" = "$(cat "$t/staged")" ] || fail "$how: the refused commit changed the staging"
			stop
			rm -rf "${stg:?}"/*
			continue
		fi
		commit "$how: the commit after the remount"
		n=$([ $how = verify ] && echo 3 || echo 2)
		"$BURNFS" vdrive export "$vd" -o "$t/disc.iso" >/dev/null || fail "$how: export"
		check_session "$vd" 1 m1 "staging, kill -9 while $how, then a commit"
		check_session "$vd" $n ms "staging, kill -9 while $how, then a commit"
		stop
	done
	;;
tmp-copies)
	# a disc whose files cannot be pointed at again (xorriso's zisofs): the merge copies them
	# into burnfs-append.* of $TMPDIR. A failed burn removes them; a killed one cannot, so
	# the next merge removes what a killed one left, never what a running one uses
	mkdir -p "$t/z/d"
	seq 1 200000 >"$t/z/seq"
	seq 1 5000 >"$t/z/d/deep"
	xorriso -outdev "$t/z.iso" -map "$t/z" / -set_filter_r --zisofs / -- -commit >/dev/null 2>&1 ||
		fail "xorriso zisofs"
	merged mz z s4
	for x in za zb; do
		"$BURNFS" vdrive create --media dvd+r "$t/$x" || fail create
		"$BURNFS" vdrive import-image "$t/$x" "$t/z.iso" >/dev/null || fail import
	done
	s=$(nwa "$t/za")
	"$BURNFS" vdrive fault "$t/za" "write-error@$((s + 8))" || fail fault
	"$BURNFS" burn "$t/s4" --drive "vdrive:$t/za" 2>"$t/err" && fail "the write error passed"
	left_tmp "a failed burn"
	# ncopies: the number of files in the copies' directories
	ncopies() { find "$TMPDIR" -mindepth 2 -type f -name '[0-9]*' | wc -l; }
	wait_copies() { # wait_copies N: until N directories of copies hold 2 files each
		for _ in $(seq 100); do
			[ "$(find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'burnfs-append.*' | wc -l)" = "$1" ] &&
				[ "$(ncopies)" = $(($1 * 2)) ] && return 0
			sleep 0.1
		done
		fail "copies: $(ls -AR "$TMPDIR")"
	}
	"$BURNFS" vdrive fault "$t/za" clear && "$BURNFS" vdrive fault "$t/za" stuck:2a || fail fault
	"$BURNFS" vdrive fault "$t/zb" stuck:35 || fail fault
	BURNFS_MMC_STUCK_SECONDS=60 "$BURNFS" burn "$t/s4" --drive "vdrive:$t/za" 2>/dev/null &
	pa=$!
	wait_copies 1
	# a second burn while the first one runs: the first one's copies are left alone
	BURNFS_MMC_STUCK_SECONDS=60 "$BURNFS" burn "$t/s4" --drive "vdrive:$t/zb" 2>/dev/null &
	pb=$!
	wait_copies 2
	sleep 0.5
	kill -0 $pa && kill -0 $pb || fail "a burn ended"
	kill -9 $pa $pb
	wait $pa $pb 2>/dev/null
	wait_copies 2 # what a kill leaves
	"$BURNFS" vdrive fault "$t/za" clear || fail fault
	# directories of that name that are not ours (no mark) are left as they are, their
	# files too, numbered or not
	mkdir "$TMPDIR/burnfs-append.notours" "$TMPDIR/burnfs-append.notours2" || fail decoy
	echo keep >"$TMPDIR/burnfs-append.notours/0"
	echo keep >"$TMPDIR/burnfs-append.notours2/notes"
	"$BURNFS" burn "$t/s4" --drive "vdrive:$t/za" 2>"$t/err" || fail "the burn after the kills: $(cat "$t/err")"
	grep -q "carried over: .* 2 copied" "$t/err" || fail "not copied: $(cat "$t/err")"
	[ "$(cat "$TMPDIR/burnfs-append.notours/0" "$TMPDIR/burnfs-append.notours2/notes")" = "keep
keep" ] || fail "the sweep removed what is not its own: $(ls -AR "$TMPDIR")"
	rm -r "$TMPDIR/burnfs-append.notours" "$TMPDIR/burnfs-append.notours2"
	left_tmp "a burn after two killed ones"
	rm -rf "$t/x"
	"$BURNFS" extract --drive "vdrive:$t/za" / -o "$t/x" >/dev/null 2>&1 || fail extract
	(cd "$t/x" && sha256sum --quiet -c .burnfs/SHA256SUMS) || fail "sha256sum -c"
	[ "$(sums "$t/x")" = "$(sums "$t/mz")" ] || fail "the merged session: other contents"
	;;
unreadable)
	# the disc's tree does not read (a session cut short, a drive stuck in a READ): the burn
	# writes nothing, names the session, says what the drive said and that --new-tree writes
	# a session without the disc's files
	"$BURNFS" image "$t/s2" -o "$t/s2.iso" --manifest -q || fail image
	truncate -s $((60 * 2048)) "$t/s2.iso" # the descriptors, not the directories
	d=$t/cut
	"$BURNFS" vdrive create --media dvd+r "$d" || fail create
	"$BURNFS" vdrive import-image "$d" "$t/s2.iso" --cut-ok >/dev/null 2>&1 || fail import
	"$BURNFS" vdrive export "$d" -o "$t/disc.iso" >/dev/null || fail export
	sha=$(sha256sum <"$t/disc.iso")
	"$BURNFS" burn "$t/s4" --drive "vdrive:$d" 2>"$t/err"
	[ $? = 1 ] || fail "cut: exit: $(cat "$t/err")"
	grep -q "^burnfs burn: session 1's tree (burn with --new-tree .*): cannot read block [0-9]*: .*: drive: reading block [0-9]*: READ(10) failed: address out of range (sense 5/21/00)" "$t/err" ||
		fail "cut: $(cat "$t/err")"
	"$BURNFS" vdrive export "$d" -o "$t/disc.iso" >/dev/null || fail export
	[ "$(sha256sum <"$t/disc.iso")" = "$sha" ] || fail "cut: the refused burn changed the disc"
	"$BURNFS" burn "$t/s4" --drive "vdrive:$d" --new-tree 2>"$t/err" || fail "cut: --new-tree: $(cat "$t/err")"
	rm -rf "$t/x"
	"$BURNFS" extract --drive "vdrive:$d" / -o "$t/x" >/dev/null 2>&1 || fail "cut: extract"
	[ "$(sums "$t/x")" = "$(sums "$t/s4")" ] || fail "cut: --new-tree: other contents"
	# a READ stuck while the tree is read: the burn gives up after one wait of the limit (not
	# one per block the session list and the tree readers try); the next burn, the drive
	# answering again, merges
	d=$t/stuck
	disc bd-r "$d"
	"$BURNFS" vdrive fault "$d" stuck:28 || fail fault
	ms=$(date +%s%N)
	BURNFS_MMC_STUCK_SECONDS=2 "$BURNFS" burn "$t/s4" --drive "vdrive:$d" 2>"$t/err"
	rc=$?
	ms=$((($(date +%s%N) - ms) / 1000000))
	[ $rc = 1 ] || fail "stuck: exit $rc: $(cat "$t/err")"
	[ $ms -lt 4500 ] || fail "stuck: the burn took $ms ms with a 2 s limit: $(cat "$t/err")"
	grep -q "^burnfs burn: session 2's tree (burn with --new-tree .*): .*: drive: reading blocks\? [0-9-]*: READ(10): the drive has been busy (NOT READY 04/07) for 2\.[0-9] s without progress" "$t/err" ||
		fail "stuck: $(cat "$t/err")"
	# the same for burnfs ls, which lists the sessions and reads the tree the same way
	ms=$(date +%s%N)
	BURNFS_MMC_STUCK_SECONDS=2 "$BURNFS" ls -R --drive "vdrive:$d" >/dev/null 2>"$t/err"
	rc=$?
	ms=$((($(date +%s%N) - ms) / 1000000))
	[ $rc = 1 ] && grep -q "busy (NOT READY 04/07) for 2\.[0-9] s without progress" "$t/err" ||
		fail "stuck: ls: exit $rc: $(cat "$t/err")"
	[ $ms -lt 4500 ] || fail "stuck: ls took $ms ms with a 2 s limit: $(cat "$t/err")"
	"$BURNFS" vdrive fault "$d" clear || fail fault
	check_earlier "$d" "a stuck READ"
	check_after "$d" appendable 2 "a stuck READ"
	;;
manifest)
	# three merged sessions on each medium: the last session's manifest covers the whole
	# tree (sha256sum -c of its extraction; it lists session 1's and 2's files), and
	# `burnfs verify --drive` checks every session against its own manifest
	for m in cd-r dvd-r dvd+r bd-r; do
		d=$t/$m
		disc $m "$d"
		"$BURNFS" burn "$t/s3" --drive "vdrive:$d" 2>"$t/err" || fail "$m session 3: $(cat "$t/err")"
		check_earlier "$d" "$m three sessions" m3
		"$BURNFS" vdrive export "$d" -o "$t/disc.iso" >/dev/null || fail export
		s=$(start "$d" 3)
		xorriso -osirrox on -load sbsector "$s" -indev "$t/disc.iso" -extract /.burnfs "$t/man" >/dev/null 2>&1 ||
			fail "$m: the manifest of session 3"
		for f in one d/a b1.bin two d/b three big; do
			grep -q "  $f$" "$t/man/SHA256SUMS" || fail "$m: session 3's manifest has no line for $f: $(cat "$t/man/SHA256SUMS")"
		done
		[ "$(grep -vc "^#" "$t/man/SHA256SUMS")" = $(($(nfiles m3))) ] || fail "$m: $(cat "$t/man/SHA256SUMS")"
		chmod -R u+w "$t/man" && rm -rf "$t/man"
	done
	;;
*)
	echo "unknown case $1" >&2
	exit 2
	;;
esac
exit 0
