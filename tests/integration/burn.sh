#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# burn.sh CASE: `burnfs burn` onto virtual drives, checked through the exported disc image
# by independent readers (xorriso, sha256sum -c of the manifest) and by burnfs verify.
set -u
: "${BURNFS:?}"
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-burn.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export SOURCE_DATE_EPOCH=1700000000

# check_export DIR SESSION_START SRC: the disc's session has SRC's files and a valid manifest
check_export() {
	"$BURNFS" vdrive export "$1" -o "$t/disc.iso" >/dev/null || fail "export $1"
	rm -rf "$t/x"
	if [ "$2" = 0 ]; then
		xorriso -osirrox on -indev "$t/disc.iso" -extract / "$t/x" >/dev/null 2>&1 ||
			fail "xorriso extract ($1)"
		(cd "$t/x" && sha256sum --quiet -c .burnfs/SHA256SUMS) || fail "sha256sum -c ($1)"
		diff -r --no-dereference -x .burnfs "$3" "$t/x" || fail "extracted tree differs ($1)"
	fi
	"$BURNFS" verify "$t/disc.iso" --session "$2" --against "$3" >"$t/v" 2>&1 ||
		fail "verify --against ($1): $(cat "$t/v")"
}

case $1 in
media)
	# every media class: burn, verify full, export, read back independently
	command -v xorriso >/dev/null || exit 77
	/usr/bin/python3 "$here/../interop/mktree.py" "$t/src" --no-wide --no-symlinks >/dev/null
	for m in cd-r cd-rw dvd-r dvd-rw dvd+r dvd+r-dl dvd+rw dvd-ram bd-r bd-re; do
		"$BURNFS" vdrive create --media $m "$t/$m" || fail "create $m"
		"$BURNFS" burn "$t/src" --drive "vdrive:$t/$m" 2>"$t/err" || fail "burn $m: $(cat "$t/err")"
		grep -q "verify: [1-9][0-9]* chunks match" "$t/err" || fail "no verify ($m): $(cat "$t/err")"
		"$BURNFS" verify --drive "vdrive:$t/$m" 2>"$t/err" || fail "verify --drive $m: $(cat "$t/err")"
		check_export "$t/$m" 0 "$t/src"
	done
	;;
append)
	# a second session at the next writable address; a closed disc refuses a third
	command -v xorriso >/dev/null || exit 77
	mkdir -p "$t/s1" "$t/s2" "$t/s3"
	echo one >"$t/s1/one"
	head -c 3000000 /dev/urandom >"$t/s2/two"
	echo three >"$t/s3/three"
	"$BURNFS" vdrive create --media bd-r "$t/d" || fail create
	"$BURNFS" burn "$t/s1" --drive "vdrive:$t/d" 2>/dev/null || fail "session 1"
	nwa=$("$BURNFS" info --drive "vdrive:$t/d" --json | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["status"]=="appendable" and j["sessions"]==1, j; print(j["next_writable"])') || fail "info after 1"
	[ "$nwa" -gt 0 ] || fail "nwa $nwa"
	"$BURNFS" burn "$t/s2" --drive "vdrive:$t/d" --close 2>"$t/err" || fail "session 2: $(cat "$t/err")"
	grep -q "session at block $nwa," "$t/err" || fail "session 2 not at $nwa: $(cat "$t/err")"
	check_export "$t/d" 0 "$t/s1"
	check_export "$t/d" "$nwa" "$t/s2"
	xorriso -load sbsector "$nwa" -indev "$t/disc.iso" -find /two -exec lsdl 2>/dev/null |
		grep -q " 3000000 " || fail "xorriso does not see session 2"
	"$BURNFS" info --drive "vdrive:$t/d" | grep -q "complete" || fail "--close did not finalize"
	"$BURNFS" burn "$t/s3" --drive "vdrive:$t/d" 2>"$t/err" && fail "a closed disc took a session"
	grep -q "finalized" "$t/err" || fail "unclear: $(cat "$t/err")"
	;;
capacity)
	mkdir -p "$t/src"
	head -c 4000000 /dev/urandom >"$t/src/big"
	"$BURNFS" vdrive create --media dvd+r --capacity 1500 "$t/d" || fail create
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/d" 2>"$t/err"
	[ $? = 3 ] || fail "overflow: exit code"
	grep -q "needs [0-9]* blocks .* has 1500 free" "$t/err" || fail "no numbers: $(cat "$t/err")"
	"$BURNFS" vdrive info "$t/d" | grep -q "status: blank" || fail "something was written"
	;;
faults)
	mkdir -p "$t/src/sub"
	head -c 2000000 /dev/urandom >"$t/src/sub/data.bin"
	echo small >"$t/src/a.txt"
	sha=$(cd "$t/src" && find . -type f -exec sha256sum {} + | sort)
	# a flipped byte on read-back: verify names the file, the disc stays appendable
	"$BURNFS" vdrive create --media bd-r "$t/c" || fail create
	"$BURNFS" vdrive fault "$t/c" corrupt-read@700 || fail "fault"
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/c" >"$t/out" 2>"$t/err" && fail "corruption passed"
	grep -q "damaged: blocks 512-1023: .*/sub/data.bin" "$t/out" || fail "file not named: $(cat "$t/out" "$t/err")"
	grep -q "the disc now: BD-R, appendable" "$t/err" || fail "state not told: $(cat "$t/err")"
	# a write error: the cause and the disc's state are told
	"$BURNFS" vdrive create --media dvd-r "$t/w" || fail create
	"$BURNFS" vdrive fault "$t/w" write-error@600 || fail "fault"
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/w" 2>"$t/err" && fail "write error passed"
	grep -q "write error" "$t/err" || fail "cause: $(cat "$t/err")"
	grep -q "the disc now: DVD-R, incomplete" "$t/err" || fail "state: $(cat "$t/err")"
	"$BURNFS" vdrive fault "$t/w" bogus@1 2>/dev/null; [ $? = 2 ] || fail "bad fault spec accepted"
	# sources untouched
	[ "$(cd "$t/src" && find . -type f -exec sha256sum {} + | sort)" = "$sha" ] || fail "sources changed"
	;;
usage)
	"$BURNFS" burn "$t" 2>/dev/null; [ $? = 2 ] || fail "burn without --drive"
	"$BURNFS" burn "$t" --drive /dev/sr0 2>"$t/err"; [ $? = 1 ] || fail "sg transport"
	grep -q "not in this build" "$t/err" || fail "unclear: $(cat "$t/err")"
	"$BURNFS" info --drive "vdrive:$t/none" 2>"$t/err"; [ $? = 1 ] || fail "no drive"
	grep -q "vdrive create" "$t/err" || fail "no remedy: $(cat "$t/err")"
	"$BURNFS" vdrive create --media floppy "$t/f" 2>/dev/null; [ $? = 2 ] || fail "bad media"
	"$BURNFS" vdrive create --media bd-re "$t/r" || fail create
	"$BURNFS" burn "$t" --drive "vdrive:$t/r" --simulate 2>"$t/err"; [ $? = 1 ] || fail "simulate"
	grep -q "not emulate test writes" "$t/err" || fail "simulate unclear"
	"$BURNFS" erase --drive "vdrive:$t/r" || fail "erase bd-re"
	"$BURNFS" vdrive create --media bd-r "$t/b" || fail create
	"$BURNFS" erase --drive "vdrive:$t/b" 2>"$t/err"; [ $? = 1 ] || fail "erase bd-r"
	grep -q "write-once" "$t/err" || fail "erase unclear: $(cat "$t/err")"
	;;
*)
	echo "unknown case $1" >&2
	exit 2
	;;
esac
exit 0
