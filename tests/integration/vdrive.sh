#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vdrive.sh CASE: `burnfs vdrive` and the virtual drive's files under hostile use:
#   create    never replaces or truncates a file it did not make; refuses non-empty dirs
#   damage    a state file cut, flipped, short of or with an extra line, an image cut or
#             deleted: every command says "damaged" and nothing is written
#   old-state a state file of the format before the checksum: read, rewritten at the save
#   faults    faults changed while a burn runs: the burn ends ok (verified) or with the
#             fault's own reason
#   capacity  --capacity range-checked per medium, carried in 64 bits
#   load      load --blank shelves the disc (never deletes it), plain load closes the tray
#   usage     --help per subcommand, missing arguments named, exit codes
set -u
: "${BURNFS:?}"
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-vdrive.XXXXXX")
pids=
# shellcheck disable=SC2086 # the background burns' pids, split
trap 'kill $pids 2>/dev/null; rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export SOURCE_DATE_EPOCH=1700000000

# tree_sum DIR: one hash of every file's name and content under DIR
tree_sum() { (cd "$1" && find . -type f -exec sha256sum {} + | sort | sha256sum); }

# refused CMD...: exit 1 with "damaged" and the remedy, never strerror(EUCLEAN)
refused() {
	"$@" >"$t/out" 2>"$t/err"
	local rc=$?
	[ $rc = 1 ] || fail "$*: exit $rc: $(cat "$t/out" "$t/err")"
	grep -q "damaged" "$t/err" || fail "$*: not 'damaged': $(cat "$t/err")"
	grep -q "remedy: " "$t/err" || fail "$*: no remedy: $(cat "$t/err")"
	! grep -q "Structure needs cleaning" "$t/err" || fail "$*: strerror: $(cat "$t/err")"
}

case $1 in
create)
	# the user's own files in the directory: every one stays as it was
	for f in disc.img state state.tmp lock notes.txt .hidden; do
		mkdir -p "$t/u-$f"
		echo "precious $f" >"$t/u-$f/$f"
		before=$(tree_sum "$t/u-$f")
		"$BURNFS" vdrive create --media cd-r "$t/u-$f" 2>"$t/err"; rc=$?
		[ $rc = 1 ] || fail "create in a dir holding $f: exit $rc"
		[ "$(tree_sum "$t/u-$f")" = "$before" ] || fail "create changed the user's $f"
		[ "$(ls -A "$t/u-$f")" = "$f" ] || fail "create left files beside $f: $(ls -A "$t/u-$f")"
		grep -q "'$t/u-$f'" "$t/err" || fail "the message does not name the dir: $(cat "$t/err")"
		case $f in
		state) grep -q "already a virtual drive" "$t/err" || fail "state: $(cat "$t/err")" ;;
		*) grep -q "not empty and holds no virtual drive" "$t/err" || fail "$f: $(cat "$t/err")" ;;
		esac
	done
	# a symlink named disc.img, a subdirectory, a FIFO: refused, the link's target intact
	mkdir -p "$t/l" "$t/sub/x" "$t/fifo"
	echo target >"$t/target"
	ln -s "$t/target" "$t/l/disc.img"
	mkfifo "$t/fifo/disc.img"
	for d in l sub fifo; do
		"$BURNFS" vdrive create --media bd-r "$t/$d" 2>"$t/err"; [ $? = 1 ] || fail "create in $d"
	done
	[ "$(cat "$t/target")" = target ] || fail "the symlink's target changed"
	# a regular file given as the directory
	echo file >"$t/plain"
	"$BURNFS" vdrive create --media bd-r "$t/plain" 2>"$t/err"; [ $? = 1 ] || fail "create on a file"
	[ "$(cat "$t/plain")" = file ] || fail "the file changed"
	# an existing drive (also spelled with a trailing slash and ./): said, unchanged
	"$BURNFS" vdrive create --media bd-r "$t/d" || fail create
	mkdir -p "$t/src" && echo one >"$t/src/one"
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/d" 2>"$t/err" || fail "burn: $(cat "$t/err")"
	before=$(tree_sum "$t/d")
	for spelling in "$t/d" "$t/d/" "$t/./d" "$t/src/../d"; do
		"$BURNFS" vdrive create --media cd-r "$spelling" 2>"$t/err"; [ $? = 1 ] || fail "recreate $spelling"
		grep -q "already a virtual drive" "$t/err" || fail "unclear: $(cat "$t/err")"
	done
	[ "$(tree_sum "$t/d")" = "$before" ] || fail "create changed an existing drive"
	# an empty directory is fine; a refused create leaves no directory behind
	mkdir "$t/empty"
	"$BURNFS" vdrive create --media dvd+r "$t/empty" || fail "create in an empty dir"
	"$BURNFS" vdrive create --media bd-r --capacity 5 "$t/none" 2>/dev/null; [ $? = 2 ] || fail "capacity 5"
	[ ! -e "$t/none" ] || fail "a refused create made its directory"
	;;
damage)
	mkdir -p "$t/s1" "$t/s2"
	head -c 300000 /dev/urandom >"$t/s1/a"
	head -c 200000 /dev/urandom >"$t/s2/b"
	"$BURNFS" vdrive create --media bd-r --capacity 100000 "$t/d" || fail create
	"$BURNFS" burn "$t/s1" --drive "vdrive:$t/d" 2>/dev/null || fail "burn 1"
	"$BURNFS" burn "$t/s2" --drive "vdrive:$t/d" 2>/dev/null || fail "burn 2"
	cp "$t/d/state" "$t/good"
	cp "$t/d/disc.img" "$t/good.img"
	img=$(sha256sum <"$t/good.img")
	lines=$(wc -l <"$t/good")
	bytes=$(stat -c %s "$t/good")
	[ "$lines" -ge 14 ] || fail "state of $lines lines: $(cat "$t/good")"
	# try STATE-MAKER: the drive with that state refused by info, export and burn; no
	# byte of disc.img or state written
	try() {
		local what=$1 st
		st=$(sha256sum <"$t/d/state")
		refused "$BURNFS" vdrive info "$t/d"
		refused "$BURNFS" vdrive export "$t/d" -o "$t/x.iso"
		refused "$BURNFS" info --drive "vdrive:$t/d"
		refused "$BURNFS" burn "$t/s1" --drive "vdrive:$t/d"
		[ "$(sha256sum <"$t/d/state")" = "$st" ] || fail "$what: the state was rewritten"
		if [ -f "$t/d/disc.img" ]; then
			[ "$(sha256sum <"$t/d/disc.img")" = "$(sha256sum <"$t/cur.img")" ] ||
				fail "$what: disc.img written"
		fi
	}
	restore() { cp "$t/good" "$t/d/state" && cp "$t/good.img" "$t/d/disc.img" && cp "$t/good.img" "$t/cur.img"; }
	# cut at every line boundary
	for n in $(seq 0 $((lines - 1))); do
		restore
		head -n "$n" "$t/good" >"$t/d/state"
		try "cut after line $n"
	done
	# cut mid-line at several points, also inside the checksum line
	for c in 1 9 20 40 77 100 $((bytes - 10)) $((bytes - 2)) $((bytes - 1)); do
		restore
		head -c "$c" "$t/good" >"$t/d/state"
		try "cut at byte $c"
	done
	# a flipped bit or a changed digit at several places
	for off in 0 15 30 60 90 $((bytes - 30)) $((bytes - 3)); do
		restore
		/usr/bin/python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[int(sys.argv[2])]^=1; open(sys.argv[1],"wb").write(b)' "$t/d/state" "$off"
		try "bit flipped at $off"
	done
	# each line missing; a line doubled; an extra track line
	for n in $(seq 1 "$lines"); do
		restore
		sed "${n}d" "$t/good" >"$t/d/state"
		try "line $n missing"
	done
	restore
	sed '3p' "$t/good" >"$t/d/state"
	try "line 3 doubled"
	restore
	sed '/^crc32/i track 90000 10 3 0 0' "$t/good" >"$t/d/state"
	try "an extra track"
	# a consistent-looking state (right checksum) that disagrees with itself: tracks
	# overlapping, past the capacity, a blank disc with tracks
	for edit in 's/^track 0 /track 100 /' 's/^capacity .*/capacity 300/' 's/^status .*/status 0/'; do
		restore
		sed -e "$edit" -e '/^crc32/d' "$t/good" >"$t/body"
		/usr/bin/python3 -c 'import sys,zlib; b=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(b+b"crc32 %08x\n"%zlib.crc32(b))' "$t/body" "$t/d/state"
		try "inconsistent: $edit"
	done
	# the image cut short, emptied, deleted, replaced by a directory
	for len in 0 2048 $(($(stat -c %s "$t/good.img") - 2048)); do
		restore
		truncate -s "$len" "$t/d/disc.img"
		cp "$t/d/disc.img" "$t/cur.img"
		try "image cut to $len bytes"
		grep -q "holds $((len / 2048)) blocks" "$t/err" || fail "unclear: $(cat "$t/err")"
	done
	restore
	rm "$t/d/disc.img"
	try "image deleted"
	grep -q "disc image '$t/d/disc.img' is missing" "$t/err" || fail "unclear: $(cat "$t/err")"
	mkdir "$t/d/disc.img"
	try "image a directory"
	rmdir "$t/d/disc.img"
	# restored together, the drive works again and appends at its NWA
	restore
	"$BURNFS" vdrive info "$t/d" >/dev/null || fail "restored drive refused"
	"$BURNFS" burn "$t/s1" --drive "vdrive:$t/d" 2>"$t/err" || fail "burn after restore: $(cat "$t/err")"
	cmp -n "$(stat -c %s "$t/good.img")" "$t/good.img" "$t/d/disc.img" || fail "earlier sessions changed"
	;;
old-state)
	# a state file as the format before the checksum wrote it: read when consistent,
	# rewritten with the checksum at the next save; cut, it is refused
	mkdir -p "$t/s"
	head -c 300000 /dev/urandom >"$t/s/a"
	"$BURNFS" vdrive create --media dvd+r --capacity 100000 "$t/d" || fail create
	"$BURNFS" burn "$t/s" --drive "vdrive:$t/d" 2>/dev/null || fail burn
	"$BURNFS" burn "$t/s" --drive "vdrive:$t/d" 2>/dev/null || fail "burn 2"
	"$BURNFS" vdrive info "$t/d" >"$t/info.v2" || fail info
	sed -e '1s/.*/burnfs-vdrive 1/' -e '/^tracks /d' -e '/^crc32 /d' "$t/d/state" >"$t/v1"
	cp "$t/v1" "$t/d/state"
	"$BURNFS" vdrive info "$t/d" >"$t/info.v1" || fail "old state refused: $(cat "$t/d/state")"
	cmp "$t/info.v1" "$t/info.v2" || fail "old state read otherwise"
	# old files without the unformatted line and the track's reservation field
	sed -e '/^unformatted /d' -e 's/^\(track [0-9]* [0-9]* [0-9]* [0-9]*\) 0$/\1/' "$t/v1" >"$t/d/state"
	"$BURNFS" vdrive info "$t/d" >"$t/info.v0" || fail "older state refused: $(cat "$t/d/state")"
	cmp "$t/info.v0" "$t/info.v2" || fail "older state read otherwise"
	# an old file cut before its last track or its used_end: refused
	img=$(sha256sum <"$t/d/disc.img")
	sed '$d' "$t/v1" >"$t/d/state"
	refused "$BURNFS" vdrive info "$t/d"
	refused "$BURNFS" burn "$t/s" --drive "vdrive:$t/d"
	grep -v '^used_end' "$t/v1" >"$t/d/state"
	refused "$BURNFS" burn "$t/s" --drive "vdrive:$t/d"
	[ "$(sha256sum <"$t/d/disc.img")" = "$img" ] || fail "a refused burn wrote"
	cp "$t/v1" "$t/d/state"
	"$BURNFS" burn "$t/s" --drive "vdrive:$t/d" 2>"$t/err" || fail "burn on an old state: $(cat "$t/err")"
	[ "$(head -n 1 "$t/d/state")" = "burnfs-vdrive 2" ] || fail "not rewritten: $(cat "$t/d/state")"
	grep -q '^crc32 ' "$t/d/state" || fail "no checksum after the save"
	;;
faults)
	# faults changed under a running burn (slow:2 on a BD-R drains 9 MB/s: 60 MB take ~7 s)
	mkdir -p "$t/src"
	head -c 60000000 /dev/urandom >"$t/src/big"
	export BURNFS_MMC_STUCK_SECONDS=30
	# run NAME FIRST-FAULT DELAY CHANGE...: the burn with FIRST-FAULT set, then after DELAY
	# seconds each CHANGE (a fault spec) in turn; the burn's exit code in $t/NAME.rc
	run() {
		local name=$1 first=$2 delay=$3 c
		shift 3
		"$BURNFS" vdrive create --media bd-r "$t/$name" || fail "create $name"
		"$BURNFS" vdrive fault "$t/$name" "$first" || fail "fault $first"
		"$BURNFS" burn "$t/src" --drive "vdrive:$t/$name" >"$t/$name.out" 2>"$t/$name.err" &
		local pid=$!
		pids="$pids $pid"
		sleep "$delay"
		for c in "$@"; do
			"$BURNFS" vdrive fault "$t/$name" "$c" || fail "$name: fault $c refused"
			sleep 0.5
		done
		wait "$pid"
		echo $? >"$t/$name.rc"
	}
	# ok NAME: the burn passed with its verify, and a later verify of the disc passes
	ok() {
		[ "$(cat "$t/$1.rc")" = 0 ] || fail "$1: the burn failed: $(cat "$t/$1.err")"
		grep -q "verify: [1-9][0-9]* chunks match" "$t/$1.err" || fail "$1: no verify: $(cat "$t/$1.err")"
		"$BURNFS" verify --drive "vdrive:$t/$1" 2>"$t/err" || fail "$1: verify --drive: $(cat "$t/err")"
	}
	run clear-early slow:2 0.3 clear
	ok clear-early
	run clear-mid slow:2 2 clear
	ok clear-mid
	run faster slow:2 1.5 slow:8
	ok faster
	run slower slow:8 1 slow:2
	ok slower
	run many slow:2 0.5 slow:16 slow:1 clear slow:4
	ok many
	# stuck on SYNCHRONIZE CACHE (35h) at the end of the data; cleared while it waits
	"$BURNFS" vdrive create --media bd-r "$t/stuck" || fail create
	"$BURNFS" vdrive fault "$t/stuck" stuck:35 || fail fault
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/stuck" >"$t/stuck.out" 2>"$t/stuck.err" &
	pid=$!
	pids="$pids $pid"
	sleep 5
	"$BURNFS" vdrive fault "$t/stuck" clear || fail "clear stuck"
	wait "$pid"
	echo $? >"$t/stuck.rc"
	ok stuck
	# a write error added ahead of the write position mid-burn: the burn fails with it,
	# at that block; a later change of the faults does not fire it again
	run werr slow:2 1 write-error@25000
	[ "$(cat "$t/werr.rc")" = 1 ] || fail "werr: exit $(cat "$t/werr.rc"): $(cat "$t/werr.err")"
	grep -qi "write error" "$t/werr.err" || fail "werr: not the fault's reason: $(cat "$t/werr.err")"
	grep -q "buffer has not drained" "$t/werr.err" && fail "werr: a buffer timeout: $(cat "$t/werr.err")"
	"$BURNFS" vdrive info "$t/werr" | grep -q "incomplete" || fail "werr: disc state"
	;;
capacity)
	for v in 0 1 1023 4294967296 4294967297 18446744073709551615 18446744073709551616 \
		99999999999999999999999 -1 -4294967295 abc 12k 0x1000 "" " 2048" "2048 " +2048; do
		"$BURNFS" vdrive create --media bd-r --capacity "$v" "$t/c" 2>"$t/err"; rc=$?
		[ $rc = 2 ] || fail "--capacity '$v': exit $rc"
		grep -q "^burnfs vdrive create: --capacity: '$v' is not a capacity of a bd-r: give a number of 2048-byte blocks from 1024 to 4294967295$" "$t/err" ||
			fail "--capacity '$v': $(cat "$t/err")"
		[ ! -e "$t/c" ] || fail "--capacity '$v' made the drive"
	done
	# per medium: the largest accepted, one more refused; info and JSON carry 64 bits
	for mv in cd-r:449849 cd-rw:449849 dvd+r:16580608 dvd-ram:16580608 bd-r:4294967295 bd-re:4294967295; do
		m=${mv%:*} v=${mv#*:}
		"$BURNFS" vdrive create --media "$m" --capacity $((v + 1)) "$t/$m-over" 2>/dev/null; [ $? = 2 ] ||
			fail "$m: $((v + 1)) accepted"
		"$BURNFS" vdrive create --media "$m" --capacity "$v" "$t/$m" || fail "$m: $v refused"
		"$BURNFS" vdrive info "$t/$m" | grep -q "^capacity: $v blocks" || fail "$m: info: $("$BURNFS" vdrive info "$t/$m")"
		j=$("$BURNFS" vdrive info "$t/$m" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["capacity"])')
		[ "$j" = "$v" ] || fail "$m: JSON capacity $j"
		grep -q "^capacity $v\$" "$t/$m/state" || fail "$m: state"
		"$BURNFS" vdrive create --media "$m" --capacity 1024 "$t/$m-min" || fail "$m: 1024 refused"
	done
	# the smallest and the largest BD-R take a session
	mkdir -p "$t/src" && echo small >"$t/src/f"
	for d in bd-r bd-r-min; do
		"$BURNFS" burn "$t/src" --drive "vdrive:$t/$d" 2>"$t/err" || fail "burn onto $d: $(cat "$t/err")"
	done
	;;
load)
	mkdir -p "$t/src"
	head -c 300000 /dev/urandom >"$t/src/a"
	"$BURNFS" vdrive create --media bd-r --capacity 50000 "$t/d" || fail create
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/d" 2>/dev/null || fail burn
	img=$(sha256sum <"$t/d/disc.img") st=$(sha256sum <"$t/d/state")
	"$BURNFS" vdrive load "$t/d" --blank >"$t/out" 2>"$t/err" || fail "load --blank: $(cat "$t/err")"
	grep -q "on the shelf: '$t/d/shelf/1'" "$t/out" || fail "not said where: $(cat "$t/out")"
	[ "$(sha256sum <"$t/d/shelf/1/disc.img")" = "$img" ] || fail "shelved image changed"
	[ "$(sha256sum <"$t/d/shelf/1/state")" = "$st" ] || fail "shelved state changed"
	"$BURNFS" vdrive info "$t/d" >"$t/info" || fail info
	if ! grep -q "^media: bd-r" "$t/info" || ! grep -q "^capacity: 50000 blocks" "$t/info" ||
		! grep -q "status: blank" "$t/info"; then
		fail "not a blank BD-R like the last: $(cat "$t/info")"
	fi
	# another medium; the shelf grows
	"$BURNFS" vdrive load "$t/d" --blank --media cd-rw >"$t/out" || fail "load --blank --media"
	grep -q "shelf/2'" "$t/out" || fail "second shelf: $(cat "$t/out")"
	"$BURNFS" vdrive info "$t/d" | grep -q "^media: cd-rw .*loaded" || fail "not a cd-rw"
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/d" 2>"$t/err" || fail "burn onto the blank: $(cat "$t/err")"
	# a damaged drive: load --blank is the remedy it names, and keeps the damaged disc
	head -n 5 "$t/d/state" >"$t/cut" && cp "$t/cut" "$t/d/state"
	refused "$BURNFS" vdrive info "$t/d"
	grep -q "vdrive load '$t/d' --blank --media cd-rw" "$t/err" || fail "remedy: $(cat "$t/err")"
	"$BURNFS" vdrive load "$t/d" --blank --media cd-rw >/dev/null || fail "load --blank on damage"
	cmp "$t/cut" "$t/d/shelf/3/state" || fail "damaged state not shelved as it was"
	# in use: refused, nothing moved
	"$BURNFS" vdrive fault "$t/d" slow:1 || fail fault
	head -c 20000000 /dev/urandom >"$t/src/b"
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/d" >/dev/null 2>&1 &
	pid=$!
	pids="$pids $pid"
	sleep 1
	"$BURNFS" vdrive load "$t/d" --blank 2>"$t/err"; [ $? = 1 ] || fail "load --blank while in use"
	grep -q "in use" "$t/err" || fail "unclear: $(cat "$t/err")"
	[ ! -e "$t/d/shelf/4" ] || fail "shelved while in use"
	kill "$pid"; wait "$pid"
	# not a drive: refused, nothing made
	mkdir "$t/nd"
	"$BURNFS" vdrive load "$t/nd" --blank 2>"$t/err"; [ $? = 1 ] || fail "load --blank on a non-drive"
	[ -z "$(ls -A "$t/nd")" ] || fail "made files in a non-drive: $(ls -A "$t/nd")"
	# plain load and eject still work
	"$BURNFS" vdrive create --media dvd+r "$t/e" || fail create
	"$BURNFS" vdrive eject "$t/e" || fail eject
	"$BURNFS" vdrive info "$t/e" | grep -q ejected || fail "not ejected"
	"$BURNFS" vdrive load "$t/e" || fail load
	"$BURNFS" vdrive info "$t/e" | grep -q loaded || fail "not loaded"
	[ ! -e "$t/e/shelf" ] || fail "plain load shelved"
	;;
usage)
	"$BURNFS" vdrive create --media bd-r "$t/d" || fail create
	for sub in create info load eject export import-image fault; do
		for h in --help -h; do
			"$BURNFS" vdrive $sub $h >"$t/out" 2>"$t/err"; rc=$?
			[ $rc = 0 ] || fail "$sub $h: exit $rc"
			[ ! -s "$t/err" ] || fail "$sub $h: stderr: $(cat "$t/err")"
			grep -q "^Usage: burnfs vdrive $sub " "$t/out" || fail "$sub $h: $(cat "$t/out")"
			[ "$(grep -c 'burnfs vdrive' "$t/out")" = 1 ] || fail "$sub $h: not only its usage"
		done
		"$BURNFS" vdrive $sub "$t/d" --help >"$t/out" || fail "$sub DIR --help"
		grep -q "^Usage: burnfs vdrive $sub " "$t/out" || fail "$sub DIR --help: $(cat "$t/out")"
	done
	"$BURNFS" vdrive --help >"$t/out" || fail "vdrive --help"
	grep -q "burnfs vdrive fault" "$t/out" || fail "vdrive --help: $(cat "$t/out")"
	# missing arguments: named, exit 2
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086 # the words of the command line
		"$BURNFS" vdrive $args >"$t/out" 2>"$t/err"; rc=$?
		[ $rc = 2 ] || fail "vdrive $args: exit $rc"
		grep -q "^burnfs vdrive ${args%% *}: $want" "$t/err" || fail "vdrive $args: $(cat "$t/err")"
	done <<-EOF
		create $t/x|no medium given: --media NAME
		create --media bd-r|no drive directory DIR given
		create --media|--media needs a value
		create --media bd-r --bogus $t/x|unknown option
		create --media floppy $t/x|'floppy' is not a medium
		info|no drive directory DIR given
		info $t/d $t/d|one drive at a time
		load|no drive directory DIR given
		load $t/d --media cd-r|--media and --capacity go with --blank
		load $t/d --blank --media|--media needs a value
		eject|no drive directory DIR given
		export|no drive directory DIR given
		export $t/d|no output given: -o IMG
		import-image|no drive directory DIR given
		import-image $t/d|no image IMG given
		import-image $t/d $t/i --sessions 1,,2|--sessions: '1,,2' is not a list
		fault|no drive directory DIR given
		fault $t/d|no fault SPEC given
		fault $t/d slow:99|'slow:99' is not a fault
	EOF
	"$BURNFS" vdrive 2>"$t/err"; [ $? = 2 ] || fail "vdrive alone"
	"$BURNFS" vdrive frobnicate "$t/d" 2>"$t/err"; [ $? = 2 ] || fail "unknown subcommand"
	grep -q "^burnfs vdrive: 'frobnicate' is not a subcommand" "$t/err" || fail "unclear: $(cat "$t/err")"
	# job errors: exit 1 with the subcommand's prefix
	for sub in info load eject; do
		"$BURNFS" vdrive $sub "$t/none" 2>"$t/err"; [ $? = 1 ] || fail "$sub of no drive"
		grep -q "^burnfs vdrive $sub: '$t/none': no virtual drive there" "$t/err" || fail "$sub: $(cat "$t/err")"
	done
	"$BURNFS" vdrive fault "$t/none" clear 2>"$t/err"; [ $? = 1 ] || fail "fault of no drive"
	grep -q "^burnfs vdrive fault: '$t/none': no virtual drive there" "$t/err" || fail "fault: $(cat "$t/err")"
	"$BURNFS" vdrive export "$t/none" -o "$t/o" 2>"$t/err"; [ $? = 1 ] || fail "export of no drive"
	grep -q "^burnfs vdrive export: " "$t/err" || fail "export: $(cat "$t/err")"
	# an image that is not a regular file: said at once (a FIFO would block open())
	mkfifo "$t/p"
	timeout 10 "$BURNFS" vdrive import-image "$t/d" "$t/p" 2>"$t/err"; [ $? = 1 ] || fail "import of a FIFO"
	grep -q "^burnfs vdrive import-image: '$t/p': a FIFO (named pipe), not a disc image" "$t/err" || fail "FIFO: $(cat "$t/err")"
	timeout 10 "$BURNFS" vdrive import-image "$t/d" /dev/zero 2>"$t/err"; [ $? = 1 ] || fail "import of /dev/zero"
	# an image cut short of its volume is refused, and the disc stays blank
	mkdir -p "$t/src" && head -c 300000 /dev/urandom >"$t/src/f"
	"$BURNFS" image "$t/src" -o "$t/cut.iso" -q || fail "image for the cut import"
	truncate -s $(($(stat -c %s "$t/cut.iso") - 2048)) "$t/cut.iso"
	"$BURNFS" vdrive import-image "$t/d" "$t/cut.iso" 2>"$t/err"; [ $? = 1 ] || fail "import of a cut image"
	grep -q "cut short: the file has" "$t/err" || fail "cut import: $(cat "$t/err")"
	"$BURNFS" vdrive info "$t/d" | grep -q "blank" || fail "the cut import changed the disc"
	;;
*)
	echo "vdrive.sh: unknown case '$1'" >&2
	exit 2
	;;
esac
exit 0
