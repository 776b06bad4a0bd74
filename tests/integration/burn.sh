#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# burn.sh CASE: `burnfs burn` onto virtual drives, checked through the exported disc image
# by independent readers (xorriso, sha256sum -c of the manifest; in 'media' also isoinfo,
# bsdtar, pycdlib, 7-Zip, udfinfo and libudfread) and by burnfs verify.
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

# check_readers MEDIUM: after check_export DIR 0 SRC, the other independent readers of the
# exported disc ($t/disc.iso) through tests/interop/check.py, whose comparisons expect SRC
# plus the manifest (as xorriso extracted it into $t/x, checked by sha256sum -c): isoinfo -R
# and -J listings, bsdtar with Rock Ridge off, pycdlib (not on BD: it cannot read UDF 2.50's
# metadata partition), and on DVD and BD (UDF) 7z t and x, udfinfo and libudfread. A reader
# that is not installed is skipped with a note on stderr.
check_readers() {
	local m=$1 src=$2 readers r out rc udf=
	rm -rf "$t/want"
	cp -al "$src" "$t/want" && cp -a "$t/x/.burnfs" "$t/want/" || fail "expected tree ($m)"
	readers="isoinfo-rr isoinfo-joliet bsdtar-joliet"
	case $m in
	cd-*) readers="$readers pycdlib-iso pycdlib-joliet pycdlib-rr" ;;
	dvd*) readers="$readers pycdlib-iso pycdlib-joliet pycdlib-rr pycdlib-udf 7z-udf udfread" udf=1 ;;
	bd-*) readers="$readers 7z-udf udfread" udf=1 ;;
	esac
	for r in $readers; do
		out=$(/usr/bin/python3 "$here/../interop/check.py" "$r" "$t/disc.iso" "$t/want" 2>&1)
		rc=$?
		case $rc in
		0) ;;
		77) echo "burn.sh media: $m: $r skipped: $out" >&2 ;;
		*) fail "$r on the $m export: $out" ;;
		esac
	done
	[ -n "$udf" ] || return 0
	if ! command -v udfinfo >/dev/null; then
		echo "burn.sh media: $m: udfinfo skipped: not installed" >&2
		return 0
	fi
	# udfinfo on the whole export, then check.py's udfinfo comparison (no warnings, the
	# directory count) on the volume up to its closing anchor; see check_udf_end
	out=$(udfinfo "$t/disc.iso" 2>&1) || fail "udfinfo on the $m export: $out"
	check_udf_end "$m" "$out"
	out=$(/usr/bin/python3 "$here/../interop/check.py" udfinfo "$t/udf.iso" "$t/want" 2>&1) ||
		fail "udfinfo on the $m export: $out"
}

# check_udf_end MEDIUM UDFINFO_OUTPUT: udfinfo warns of nothing, and the UDF volume's
# closing anchor is the session's last block (ECMA-167 3/8.4.2.1: N or N-256), the session
# being padded to the medium's write unit (DVD 16, BD 32 blocks) before it; $t/udf.iso is
# the export up to that anchor.
check_udf_end() {
	local m=$1 info=$2 end blocks w
	# shellcheck disable=SC2046 # the two numbers, split
	set -- $(printf '%s\n' "$info" | sed -n 's/^start=\([0-9]*\), blocks=\([0-9]*\), type=PSPACE$/\1 \2/p')
	[ $# = 2 ] || fail "udfinfo on the $m export: no partition space: $info"
	end=$(($1 + $2)) # the anchor after the partition space
	blocks=$(($(stat -c %s "$t/disc.iso") / 2048))
	w=$(printf '%s\n' "$info" | grep -i 'warn\|error')
	[ -z "$w" ] || fail "udfinfo on the $m export ($blocks blocks, anchor at $end): $w"
	[ "$end" = $((blocks - 1)) ] || fail "$m: the closing anchor at $end, not at the session's last block $((blocks - 1))"
	head -c $(((end + 1) * 2048)) "$t/disc.iso" >"$t/udf.iso"
}

# same_sessions DRIVE N: verify --drive checks the N sessions burnfs sessions lists, at the
# same blocks (both take them from the engine's eng_sessions_list)
same_sessions() {
	local v l
	v=$("$BURNFS" verify --drive "$1" 2>&1 | sed -n 's/^burnfs verify: session \([0-9]*\) at block \([0-9]*\): .*/\1 \2/p')
	l=$("$BURNFS" sessions --drive "$1" 2>&1 | sed -n 's/^session \([0-9]*\): start \([0-9]*\),.*/\1 \2/p')
	[ "$(printf '%s\n' "$l" | wc -l)" = "$2" ] || fail "$1: sessions lists not $2: $l"
	[ "$v" = "$l" ] || fail "$1: verify checked '$v', sessions lists '$l'"
}

case $1 in
media)
	# every media class: burn, verify full, export, read back independently
	command -v xorriso >/dev/null || exit 77
	/usr/bin/python3 "$here/../interop/mktree.py" "$t/src" --no-wide --no-symlinks >/dev/null
	for m in cd-r cd-rw dvd-r dvd-rw dvd+r dvd+r-dl dvd+rw dvd-ram bd-r bd-re; do
		"$BURNFS" vdrive create --media $m "$t/$m" || fail "create $m"
		case $m in # fresh overwrite media are unformatted: the burn formats them first
		dvd+rw | dvd-ram | bd-re)
			"$BURNFS" info --drive "vdrive:$t/$m" | grep -q "unformatted: the first burn formats it" ||
				fail "$m not unformatted: $("$BURNFS" info --drive "vdrive:$t/$m")" ;;
		esac
		"$BURNFS" burn "$t/src" --drive "vdrive:$t/$m" 2>"$t/err" || fail "burn $m: $(cat "$t/err")"
		grep -q "verify: [1-9][0-9]* chunks match" "$t/err" || fail "no verify ($m): $(cat "$t/err")"
		# the write strategy keeps sequential media appendable (page 05h Multi-session 11b
		# on CD and DVD-R: the drive's default 00b would finalize them)
		st=$("$BURNFS" info --drive "vdrive:$t/$m" --json | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["status"], j["unformatted"])')
		case $m in
		dvd+rw | dvd-ram | bd-re) [ "$st" = "rewritable False" ] || fail "$m after burn: $st" ;;
		*) [ "$st" = "appendable False" ] || fail "$m after burn: $st" ;;
		esac
		"$BURNFS" verify --drive "vdrive:$t/$m" 2>"$t/err" || fail "verify --drive $m: $(cat "$t/err")"
		check_export "$t/$m" 0 "$t/src"
		check_readers $m "$t/src"
	done
	;;
append)
	# a second session at the next writable address, carrying the first's files; a closed
	# disc refuses a third
	command -v xorriso >/dev/null || exit 77
	mkdir -p "$t/s1" "$t/s2" "$t/s3"
	echo one >"$t/s1/one"
	head -c 3000000 /dev/urandom >"$t/s2/two"
	echo three >"$t/s3/three"
	cp -a "$t/s1" "$t/m" && cp -a "$t/s2/two" "$t/m/" || fail "merged tree"
	"$BURNFS" vdrive create --media bd-r "$t/d" || fail create
	"$BURNFS" burn "$t/s1" --drive "vdrive:$t/d" 2>/dev/null || fail "session 1"
	nwa=$("$BURNFS" info --drive "vdrive:$t/d" --json | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["status"]=="appendable" and j["sessions"]==1, j; print(j["next_writable"])') || fail "info after 1"
	[ "$nwa" -gt 0 ] || fail "nwa $nwa"
	"$BURNFS" burn "$t/s2" --drive "vdrive:$t/d" --close 2>"$t/err" || fail "session 2: $(cat "$t/err")"
	grep -q "session at block $nwa," "$t/err" || fail "session 2 not at $nwa: $(cat "$t/err")"
	check_export "$t/d" 0 "$t/s1"
	check_export "$t/d" "$nwa" "$t/m"
	xorriso -load sbsector "$nwa" -indev "$t/disc.iso" -find /two -exec lsdl 2>/dev/null |
		grep -q " 3000000 " || fail "xorriso does not see session 2"
	xorriso -load sbsector "$nwa" -indev "$t/disc.iso" -find /one -exec lsdl 2>/dev/null |
		grep -q " 4 " || fail "xorriso does not see session 1's file in session 2"
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
	# a READ that fails: a session cut short after its directories (the manifest and the file
	# data lie past what was recorded); verify tells the drive's decoded sense and remedy
	"$BURNFS" image "$t/src" -o "$t/cut.iso" --manifest -q || fail "image"
	"$BURNFS" image "$t/src" -o "$t/whole.iso" --manifest -q || fail "image"
	truncate -s $((290 * 2048)) "$t/cut.iso"
	"$BURNFS" vdrive create --media bd-r "$t/cut" || fail create
	"$BURNFS" vdrive import-image "$t/cut" "$t/cut.iso" --close 2>/dev/null && fail "cut image imported"
	"$BURNFS" vdrive import-image "$t/cut" "$t/cut.iso" --close --cut-ok >/dev/null 2>"$t/err" || fail "import"
	grep -q "cut short.*recorded as it is" "$t/err" || fail "--cut-ok: $(cat "$t/err")"
	# (the drive names the first block it could not read)
	sense='reading block [0-9]+: READ\(10\) failed: address out of range \(sense 5/21/00\); the disc has no data there'
	"$BURNFS" verify --drive "vdrive:$t/cut" 2>"$t/err"; [ $? = 1 ] || fail "verify of a cut session passed"
	grep -Eq "session 1 at block 0: cannot read block [0-9]+: $sense\$" "$t/err" || fail "read error: $(cat "$t/err")"
	"$BURNFS" verify --drive "vdrive:$t/cut" --against "$t/src" 2>"$t/err"; [ $? = 1 ] || fail "verify --against passed"
	grep -Eq "cannot read block [0-9]+: $sense\$" "$t/err" || fail "read error (--against): $(cat "$t/err")"
	"$BURNFS" verify --drive "vdrive:$t/cut" --against "$t/whole.iso" 2>"$t/err"; [ $? = 1 ] || fail "verify --against IMAGE passed"
	grep -Eq "the disc cannot be read at block 0: $sense\$" "$t/err" || fail "read error (image): $(cat "$t/err")"
	# sources untouched
	[ "$(cd "$t/src" && find . -type f -exec sha256sum {} + | sort)" = "$sha" ] || fail "sources changed"
	;;
usage)
	"$BURNFS" burn "$t" 2>/dev/null; [ $? = 2 ] || fail "burn without --drive"
	[ -e /dev/sr0 ] || { "$BURNFS" burn "$t" --drive /dev/sr0 2>"$t/err"; [ $? = 1 ] || fail "sg transport"; }
	[ -e /dev/sr0 ] || grep -q "'/dev/sr0': no such device" "$t/err" || fail "unclear: $(cat "$t/err")"
	"$BURNFS" info --drive "vdrive:$t/none" 2>"$t/err"; [ $? = 1 ] || fail "no drive"
	grep -q "vdrive create" "$t/err" || fail "no remedy: $(cat "$t/err")"
	"$BURNFS" vdrive create --media floppy "$t/f" 2>/dev/null; [ $? = 2 ] || fail "bad media"
	"$BURNFS" vdrive create --media bd-re "$t/r" || fail create
	"$BURNFS" burn "$t" --drive "vdrive:$t/r" --simulate 2>"$t/err"; [ $? = 1 ] || fail "simulate"
	grep -q "BD-RE cannot do test writes.*burn without --simulate" "$t/err" || fail "simulate unclear: $(cat "$t/err")"
	"$BURNFS" burn "$t" --drive "vdrive:$t/r" --speed fast 2>/dev/null; [ $? = 2 ] || fail "--speed fast"
	"$BURNFS" vdrive import-image "$t/r" /etc/hostname --sessions 0 2>"$t/err"; [ $? = 1 ] || fail "import of a text file"
	grep -q "not a disc image" "$t/err" || fail "import unclear: $(cat "$t/err")"
	"$BURNFS" vdrive import-image "$t/r" /etc/hostname --sessions 3,x 2>/dev/null; [ $? = 2 ] || fail "bad --sessions"
	"$BURNFS" erase --drive "vdrive:$t/r" || fail "erase bd-re"
	"$BURNFS" vdrive create --media bd-r "$t/b" || fail create
	"$BURNFS" erase --drive "vdrive:$t/b" 2>"$t/err"; [ $? = 1 ] || fail "erase bd-r"
	grep -q "write-once" "$t/err" || fail "erase unclear: $(cat "$t/err")"
	;;
simulate)
	# test writes on the media that have them: nothing recorded; refused on the others
	mkdir -p "$t/src"
	head -c 1000000 /dev/urandom >"$t/src/f"
	for m in cd-r dvd-r; do
		"$BURNFS" vdrive create --media $m "$t/$m" || fail create
		"$BURNFS" burn "$t/src" --drive "vdrive:$t/$m" --simulate 2>"$t/err" || fail "simulate $m: $(cat "$t/err")"
		grep -q "nothing was recorded, the .* is blank" "$t/err" || fail "simulate $m: $(cat "$t/err")"
		"$BURNFS" vdrive info "$t/$m" | grep -q "status: blank, 0 session" || fail "simulate $m recorded"
		"$BURNFS" burn "$t/src" --drive "vdrive:$t/$m" 2>"$t/err" || fail "burn after simulate $m: $(cat "$t/err")"
		check_export "$t/$m" 0 "$t/src"
	done
	"$BURNFS" vdrive create --media dvd+r "$t/p" || fail create
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/p" --simulate 2>"$t/err"; [ $? = 1 ] || fail "dvd+r simulate"
	grep -q "DVD+R cannot do test writes.*burn without --simulate" "$t/err" || fail "unclear: $(cat "$t/err")"
	"$BURNFS" vdrive create --media bd-r "$t/b" || fail create
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/b" --simulate 2>"$t/err"; [ $? = 1 ] || fail "bd-r simulate"
	grep -q "BD-R cannot do test writes.*burn without --simulate" "$t/err" || fail "unclear: $(cat "$t/err")"
	"$BURNFS" vdrive info "$t/p" | grep -q "status: blank" || fail "dvd+r written"
	;;
image)
	# an image file burnt as it is; appending needs an image made for the NWA
	command -v xorriso >/dev/null || exit 77
	mkdir -p "$t/a" "$t/b"
	head -c 3000000 /dev/urandom >"$t/a/one"
	echo two >"$t/b/two"
	"$BURNFS" image -q --media bd "$t/a" -o "$t/a.iso" || fail "image a"
	"$BURNFS" vdrive create --media bd-r "$t/d" || fail create
	"$BURNFS" burn "$t/a.iso" --drive "vdrive:$t/d" 2>"$t/err" || fail "burn image: $(cat "$t/err")"
	grep -q "burning the image" "$t/err" || fail "not as an image: $(cat "$t/err")"
	grep -q "verify: [1-9][0-9]* chunks match" "$t/err" || fail "no verify: $(cat "$t/err")"
	"$BURNFS" vdrive export "$t/d" -o "$t/disc.iso" >/dev/null || fail export
	cmp -n "$(stat -c %s "$t/a.iso")" "$t/a.iso" "$t/disc.iso" || fail "disc differs from the image"
	nwa=$("$BURNFS" info --drive "vdrive:$t/d" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["next_writable"])')
	"$BURNFS" burn "$t/a.iso" --drive "vdrive:$t/d" 2>"$t/err"; [ $? = 1 ] || fail "image for block 0 appended"
	grep -q "not made to start at block $nwa.*--start-lba $nwa" "$t/err" || fail "unclear: $(cat "$t/err")"
	"$BURNFS" image -q --media bd --start-lba "$nwa" "$t/b" -o "$t/b.iso" || fail "image b"
	"$BURNFS" burn "$t/b.iso" --drive "vdrive:$t/d" 2>"$t/err" || fail "burn image b: $(cat "$t/err")"
	grep -q "session at block $nwa," "$t/err" || fail "b not at $nwa: $(cat "$t/err")"
	"$BURNFS" vdrive export "$t/d" -o "$t/disc.iso" >/dev/null || fail export
	xorriso -load sbsector "$nwa" -indev "$t/disc.iso" -find /two 2>/dev/null | grep -q two ||
		fail "xorriso does not see the second image"
	# --files burns an image as a file; a corrupted read names the image bytes
	"$BURNFS" vdrive create --media dvd+rw "$t/w" || fail create
	"$BURNFS" burn "$t/a.iso" --files --drive "vdrive:$t/w" 2>"$t/err" || fail "--files: $(cat "$t/err")"
	"$BURNFS" vdrive export "$t/w" -o "$t/disc.iso" >/dev/null || fail export
	xorriso -osirrox on -indev "$t/disc.iso" -extract /a.iso "$t/a-copy.iso" >/dev/null 2>&1 || fail "--files: no /a.iso"
	cmp "$t/a.iso" "$t/a-copy.iso" || fail "--files: content"
	"$BURNFS" vdrive create --media dvd-r "$t/c" || fail create
	"$BURNFS" vdrive fault "$t/c" corrupt-read@600 || fail fault
	"$BURNFS" burn "$t/a.iso" --drive "vdrive:$t/c" >"$t/out" 2>"$t/err" && fail "corruption passed"
	grep -q "damaged: blocks 512-1023: (image file bytes 1048576-2097151)" "$t/out" || fail "range: $(cat "$t/out" "$t/err")"
	# a single file that is no image is burnt as a file
	"$BURNFS" burn "$t/b/two" --drive "vdrive:$t/c" 2>"$t/err" || fail "a plain file: $(cat "$t/err")"
	grep -q "burning the image" "$t/err" && fail "a plain file taken for an image"
	;;
import)
	# a disc pre-loaded with a multisession image by genisoimage, then appended to
	command -v xorriso >/dev/null || exit 77
	xz -dc "$here/../fixtures/util-linux/iso-multi-0-174-348-genisoimage.img.xz" >"$t/multi.img" || exit 77
	"$BURNFS" vdrive create --media dvd+r "$t/d" || fail create
	"$BURNFS" vdrive import-image "$t/d" "$t/multi.img" --sessions 0,174,348 >"$t/out" || fail import
	"$BURNFS" info --drive "vdrive:$t/d" --json >"$t/j" || fail info
	nwa=$(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["sessions"]==3 and j["last_session_start"]==348 and j["status"]=="appendable", j; print(j["next_writable"])' "$t/j") || fail "info: $(cat "$t/j")"
	mkdir -p "$t/src"
	echo new >"$t/src/new"
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/d" 2>"$t/err" || fail "append: $(cat "$t/err")"
	grep -q "session at block $nwa," "$t/err" || fail "not at $nwa: $(cat "$t/err")"
	"$BURNFS" vdrive export "$t/d" -o "$t/disc.iso" >"$t/out" || fail export
	cmp -n "$(stat -c %s "$t/multi.img")" "$t/multi.img" "$t/disc.iso" || fail "imported data changed"
	check_export "$t/d" "$nwa" "$t/src"
	xorriso -load sbsector 348 -indev "$t/disc.iso" -ls / >/dev/null 2>&1 || fail "xorriso: session 3"
	"$BURNFS" vdrive import-image "$t/d" "$t/multi.img" 2>"$t/err"; [ $? = 1 ] || fail "import onto a used disc"
	grep -q "not blank" "$t/err" || fail "unclear: $(cat "$t/err")"
	"$BURNFS" vdrive create --media dvd-r "$t/e" || fail create
	"$BURNFS" vdrive import-image "$t/e" "$t/multi.img" --sessions 0,348,174 2>"$t/err"; [ $? = 1 ] || fail "falling starts"
	grep -q "must begin with 0, rise" "$t/err" || fail "unclear: $(cat "$t/err")"
	"$BURNFS" vdrive import-image "$t/none" "$t/multi.img" 2>"$t/err"; [ $? = 1 ] || fail "no drive"
	grep -q "vdrive create" "$t/err" || fail "no remedy: $(cat "$t/err")"
	;;
drive-faults)
	# each scripted fault: a clear error naming the cause and the disc state, sources intact
	mkdir -p "$t/src"
	head -c 12000000 /dev/urandom >"$t/src/data.bin"
	sha=$(sha256sum <"$t/src/data.bin")
	"$BURNFS" vdrive create --media bd-r "$t/r" || fail create
	"$BURNFS" vdrive fault "$t/r" remove@2000 || fail fault
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/r" 2>"$t/err"; [ $? = 1 ] || fail "remove passed"
	grep -q "no medium in the drive" "$t/err" || fail "remove: $(cat "$t/err")"
	# the state when it happens: what the drive took, that the session is open, what to do
	grep -q "the disc now: unknown: no medium" "$t/err" || fail "remove: no state: $(cat "$t/err")"
	grep -q "the drive took [1-9][0-9]* blocks of the new session from block 0, and the session was not closed" "$t/err" ||
		fail "remove: what was recorded: $(cat "$t/err")"
	grep -q "^remedy: .*burnfs vdrive load $t/r --blank" "$t/err" || fail "remove: remedy: $(cat "$t/err")"
	"$BURNFS" vdrive load "$t/r" || fail load
	"$BURNFS" info --drive "vdrive:$t/r" | grep -q "incomplete" || fail "state after remove"
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/r" 2>"$t/err"; [ $? = 1 ] || fail "burn onto incomplete"
	grep -q "incomplete session (an interrupted burn: [1-9][0-9]* blocks recorded" "$t/err" || fail "unclear: $(cat "$t/err")"
	grep -q "^remedy: .*burnfs vdrive load $t/r --blank" "$t/err" || fail "incomplete: remedy: $(cat "$t/err")"
	"$BURNFS" vdrive create --media dvd-r "$t/o" || fail create
	"$BURNFS" vdrive fault "$t/o" opc-fail || fail fault
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/o" 2>"$t/err"; [ $? = 1 ] || fail "opc passed"
	grep -q "power calibration.*use another disc" "$t/err" || fail "opc: $(cat "$t/err")"
	grep -q "the disc now: DVD-R, blank" "$t/err" || fail "opc state: $(cat "$t/err")"
	"$BURNFS" vdrive create --media dvd+r "$t/s" || fail create
	"$BURNFS" vdrive fault "$t/s" stuck:5b || fail fault
	BURNFS_MMC_STUCK_SECONDS=2 "$BURNFS" burn "$t/src" --drive "vdrive:$t/s" 2>"$t/err"; [ $? = 1 ] || fail "stuck passed"
	grep -q "CLOSE TRACK/SESSION: the drive has been busy .* for 2\.[0-9] s without progress" "$t/err" || fail "stuck: $(cat "$t/err")"
	"$BURNFS" vdrive fault "$t/s" stuck:zz 2>/dev/null; [ $? = 2 ] || fail "bad stuck spec"
	"$BURNFS" vdrive fault "$t/s" slow:0 2>/dev/null; [ $? = 2 ] || fail "bad slow spec"
	# slow:4 on a DVD-R drains 5.5 MB/s from a 4 MiB buffer: the burn waits on it
	"$BURNFS" vdrive create --media dvd-r "$t/w" || fail create
	"$BURNFS" vdrive fault "$t/w" slow:4 || fail fault
	BURNFS_STATUS_LOG="$t/log" "$BURNFS" burn "$t/src" --drive "vdrive:$t/w" 2>"$t/err" || fail "slow: $(cat "$t/err")"
	grep -q "verify: [1-9][0-9]* chunks match" "$t/err" || fail "slow verify: $(cat "$t/err")"
	awk '$6 >= 50 { hi = 1 } END { exit !hi }' "$t/log" || fail "the drive buffer never filled: $(tail -3 "$t/log")"
	[ "$(sha256sum <"$t/src/data.bin")" = "$sha" ] || fail "sources changed"
	;;
drive-cmds)
	# info lists sessions, tracks and speeds; verify --drive checks every session's manifest,
	# or the newest against a tree or an image (a flipped byte named); erase --full
	mkdir -p "$t/s1" "$t/s2"
	echo one >"$t/s1/one"
	head -c 3000000 /dev/urandom >"$t/s2/two"
	"$BURNFS" vdrive create --media cd-r "$t/d" || fail create
	"$BURNFS" burn "$t/s1" --drive "vdrive:$t/d" --trace 2>"$t/tr1" || fail "session 1"
	# --new-tree: session 2 holds s2 alone, which verify --against tells from s1
	"$BURNFS" burn "$t/s2" --drive "vdrive:$t/d" --new-tree --trace 2>"$t/tr2" || fail "session 2"
	# the burner never writes at a used block: each session's WRITEs run contiguously from
	# its NWA, and the second starts past the first's end (the emulator would refuse too)
	cat "$t/tr1" "$t/tr2" | /usr/bin/python3 -c '
import re, sys
runs, end = [], None
for line in sys.stdin:
    m = re.match(r"mmc: WRITE\(10\)\s+((?:[0-9a-f]{2} ){10})", line)
    if not m:
        continue
    b = bytes.fromhex(m.group(1))
    lba, n = int.from_bytes(b[2:6], "big"), int.from_bytes(b[7:9], "big")
    if end is None or lba != end:
        assert end is None or lba > end, f"write at {lba} after {end}: a used block"
        runs.append(lba)
    end = lba + n
assert runs == [0, 11431], runs' || fail "write addresses"
	"$BURNFS" info --drive "vdrive:$t/d" >"$t/info" || fail info
	grep -q "^session 2: blocks 11431-" "$t/info" || fail "info sessions: $(cat "$t/info")"
	grep -q "track 3: session 3, start [0-9]*, [0-9]* blocks, open, blank" "$t/info" || fail "info tracks: $(cat "$t/info")"
	grep -q "^write speeds: 48x 40x" "$t/info" || fail "info speeds: $(cat "$t/info")"
	"$BURNFS" info --drive "vdrive:$t/d" --json | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
s = j["session_list"]
assert [x["start"] for x in s if not x["open"]] == [0, 11431], s
assert len(j["tracks"]) == 3 and j["tracks"][2]["blank"], j["tracks"]
assert j["write_speeds_kBps"][0] == 48 * 176, j["write_speeds_kBps"]' || fail "info --json"
	"$BURNFS" verify --drive "vdrive:$t/d" 2>"$t/err" || fail "verify: $(cat "$t/err")"
	grep -q "session 1 at block 0: 1 files match" "$t/err" || fail "session 1 not checked: $(cat "$t/err")"
	grep -q "session 2 at block 11431: 1 files match" "$t/err" || fail "session 2 not checked: $(cat "$t/err")"
	same_sessions "vdrive:$t/d" 2
	# a grown DVD+RW: its first session's descriptors are the newest's (the head), both
	# checked, as listed
	"$BURNFS" vdrive create --media dvd+rw "$t/g" || fail create
	"$BURNFS" burn "$t/s1" --drive "vdrive:$t/g" 2>/dev/null || fail "dvd+rw session 1"
	"$BURNFS" burn "$t/s2" --drive "vdrive:$t/g" 2>/dev/null || fail "dvd+rw session 2"
	same_sessions "vdrive:$t/g" 2
	"$BURNFS" verify --drive "vdrive:$t/d" --against "$t/s2" 2>/dev/null || fail "against s2"
	# --session LBA: that session alone (against its manifest, or a source); a block where
	# no session starts names the starts; not a number is a usage error
	"$BURNFS" verify --drive "vdrive:$t/d" --session 0 2>"$t/err" || fail "--session 0: $(cat "$t/err")"
	[ "$(grep -c "^burnfs verify: session" "$t/err")" = 1 ] && grep -q "session 1 at block 0:" "$t/err" ||
		fail "--session 0 checked: $(cat "$t/err")"
	"$BURNFS" verify --drive "vdrive:$t/d" --session 0 --against "$t/s1" 2>/dev/null ||
		fail "--session 0 --against s1"
	"$BURNFS" verify --drive "vdrive:$t/d" --session 7 2>"$t/err"; [ $? = 1 ] || fail "--session 7: exit"
	grep -q "no closed session starts there (the disc's sessions start at 0, 11431)" "$t/err" ||
		fail "--session 7: $(cat "$t/err")"
	"$BURNFS" verify --drive "vdrive:$t/d" --session x 2>/dev/null; [ $? = 2 ] || fail "--session x: exit"
	"$BURNFS" verify --drive "vdrive:$t/d" --against "$t/s1" >"$t/out" 2>/dev/null && fail "against s1 passed"
	grep -q "^/two: on the disc, not in the source" "$t/out" || fail "against s1: $(cat "$t/out")"
	# an image burnt onto overwrite media, then checked against itself and a changed copy
	"$BURNFS" image "$t/s2" -o "$t/i.iso" -q || fail image
	"$BURNFS" vdrive create --media bd-re "$t/r" || fail create
	"$BURNFS" burn "$t/i.iso" --drive "vdrive:$t/r" 2>/dev/null || fail "burn image"
	"$BURNFS" verify --drive "vdrive:$t/r" --against "$t/i.iso" 2>"$t/err" || fail "against image: $(cat "$t/err")"
	cp "$t/i.iso" "$t/j.iso"
	printf 'X' | dd of="$t/j.iso" bs=1 seek=$((700 * 2048 + 5)) conv=notrunc 2>/dev/null
	"$BURNFS" verify --drive "vdrive:$t/r" --against "$t/j.iso" >"$t/out" 2>/dev/null && fail "changed image passed"
	[ "$(cat "$t/out")" = "blocks 700-700: differ from $t/j.iso" ] || fail "against image: $(cat "$t/out")"
	"$BURNFS" verify --drive "vdrive:$t/r" --against /etc/hostname 2>"$t/err"; [ $? = 1 ] || fail "against a text file"
	grep -q "hostname': only .* bytes from block 0 on.*not a disc image" "$t/err" || fail "unclear: $(cat "$t/err")"
	"$BURNFS" erase --drive "vdrive:$t/r" --full 2>"$t/err" || fail "erase --full bd-re"
	grep -q "every block certified" "$t/err" || fail "erase --full: $(cat "$t/err")"
	"$BURNFS" verify --drive "vdrive:$t/r" 2>"$t/err"; [ $? = 1 ] || fail "verify of an erased disc"
	grep -q "blank" "$t/err" || fail "unclear: $(cat "$t/err")"
	"$BURNFS" vdrive create --media cd-rw "$t/w" || fail create
	"$BURNFS" burn "$t/s1" --drive "vdrive:$t/w" 2>/dev/null || fail "burn cd-rw"
	# the minimal blank leaves the recorded blocks on the medium (as a real one does), the
	# full blank overwrites every one (disc.img: the medium's bytes)
	"$BURNFS" erase --drive "vdrive:$t/w" 2>/dev/null || fail "erase cd-rw"
	[ -s "$t/w/disc.img" ] && ! cmp -s -n "$(stat -c %s "$t/w/disc.img")" "$t/w/disc.img" /dev/zero ||
		fail "minimal blank cleared the data"
	"$BURNFS" info --drive "vdrive:$t/w" | grep -q "(blank" || fail "not blank after erase"
	"$BURNFS" burn "$t/s1" --drive "vdrive:$t/w" 2>/dev/null || fail "burn cd-rw again"
	"$BURNFS" erase --drive "vdrive:$t/w" --full 2>/dev/null || fail "erase --full cd-rw"
	[ ! -s "$t/w/disc.img" ] || cmp -s -n "$(stat -c %s "$t/w/disc.img")" "$t/w/disc.img" /dev/zero ||
		fail "full blank left data"
	"$BURNFS" erase --drive "vdrive:$t/w" --bogus 2>/dev/null; [ $? = 2 ] || fail "erase --bogus"
	"$BURNFS" info --drive "vdrive:$t/w" --full 2>/dev/null; [ $? = 2 ] || fail "info --full"
	;;
cancel)
	# SIGINT during the write: exit 130, the blocks written so far and the disc's state told,
	# and a reopened drive shows the same incomplete disc; sources untouched
	mkdir -p "$t/src"
	head -c 30000000 /dev/urandom >"$t/src/f"
	sha=$(sha256sum <"$t/src/f")
	"$BURNFS" vdrive create --media dvd-r "$t/d" || fail create
	"$BURNFS" vdrive fault "$t/d" slow:1 || fail fault # 1x DVD: 22 s for the session
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/d" 2>"$t/err" &
	p=$!
	sleep 2
	kill -INT $p
	wait $p
	[ $? = 130 ] || fail "cancel: exit code: $(cat "$t/err")"
	grep -q "cancelled after [1-9][0-9]* of [0-9]* blocks" "$t/err" || fail "cancel: $(cat "$t/err")"
	grep -q "the disc now: DVD-R, incomplete" "$t/err" || fail "cancel state: $(cat "$t/err")"
	"$BURNFS" info --drive "vdrive:$t/d" | grep -q "DVD-R (incomplete" || fail "reopened: $("$BURNFS" info --drive "vdrive:$t/d")"
	[ "$(sha256sum <"$t/src/f")" = "$sha" ] || fail "sources changed"
	;;
stuck)
	# a drive stuck in a long operation, at several commands (WRITE, SYNCHRONIZE CACHE,
	# CLOSE): the burn fails within the knob + 2 s, says the seconds really waited and
	# what the disc is now
	mkdir -p "$t/src"
	head -c 3000000 /dev/urandom >"$t/src/f"
	for op in 2a 35 5b; do
		"$BURNFS" vdrive create --media dvd-r "$t/$op" || fail create
		"$BURNFS" vdrive fault "$t/$op" "stuck:$op" || fail fault
		s=$(date +%s%N)
		BURNFS_MMC_STUCK_SECONDS=3 "$BURNFS" burn "$t/src" --drive "vdrive:$t/$op" 2>"$t/err"
		rc=$?
		ms=$((($(date +%s%N) - s) / 1000000))
		[ $rc = 1 ] || fail "stuck:$op: exit $rc: $(cat "$t/err")"
		[ $ms -lt 5000 ] || fail "stuck:$op: took $ms ms with a 3 s knob: $(cat "$t/err")"
		grep -q "busy (NOT READY 04/07) for 3\.[0-9] s without progress (limit 3 s)" "$t/err" ||
			fail "stuck:$op: seconds: $(cat "$t/err")"
		grep -q "the disc now: " "$t/err" || fail "stuck:$op: no state: $(cat "$t/err")"
	done
	;;
signals)
	# SIGINT and SIGTERM while the drive is stuck (in a WRITE, a SYNCHRONIZE CACHE, a
	# CLOSE): exit 130 within 2 s, with the disc's state
	mkdir -p "$t/src"
	head -c 3000000 /dev/urandom >"$t/src/f"
	for c in INT:2a TERM:2a INT:5b TERM:35; do
		sig=${c%:*} op=${c#*:}
		rm -rf "$t/d"
		"$BURNFS" vdrive create --media dvd-r "$t/d" || fail create
		"$BURNFS" vdrive fault "$t/d" "stuck:$op" || fail fault
		BURNFS_MMC_STUCK_SECONDS=60 "$BURNFS" burn "$t/src" --drive "vdrive:$t/d" 2>"$t/err" &
		p=$!
		sleep 1.5
		kill -"$sig" $p
		s=$(date +%s%N)
		for _ in $(seq 40); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
		ms=$((($(date +%s%N) - s) / 1000000))
		kill -0 $p 2>/dev/null && { kill -9 $p; fail "SIG$sig during stuck:$op: still running after $ms ms"; }
		wait $p
		rc=$?
		[ $rc = 130 ] || fail "SIG$sig during stuck:$op: exit $rc: $(cat "$t/err")"
		[ $ms -lt 2000 ] || fail "SIG$sig during stuck:$op: took $ms ms"
		grep -q "cancelled while the drive was busy" "$t/err" || fail "SIG$sig stuck:$op: $(cat "$t/err")"
		grep -q "the disc now: " "$t/err" || fail "SIG$sig stuck:$op: no state: $(cat "$t/err")"
		# a stuck first WRITE took nothing: no made-up block count
		if [ "$op" = 2a ]; then
			grep -q "the first WRITE (at block 0) did not complete" "$t/err" ||
				fail "SIG$sig stuck:$op: what the drive took: $(cat "$t/err")"
			grep -q "this write-once DVD-R now holds an unclosed session" "$t/err" ||
				fail "SIG$sig stuck:$op: what it means for the disc: $(cat "$t/err")"
		fi
	done
	;;
error-lba)
	# a write error is reported at the block the drive named, in the first chunk and in
	# later ones (not at the start of the WRITE that covered it)
	mkdir -p "$t/src"
	head -c 3000000 /dev/urandom >"$t/src/f"
	for lba in 100 700 1100; do
		"$BURNFS" vdrive create --media bd-r "$t/$lba" || fail create
		"$BURNFS" vdrive fault "$t/$lba" "write-error@$lba" || fail fault
		"$BURNFS" burn "$t/src" --drive "vdrive:$t/$lba" 2>"$t/err"; [ $? = 1 ] || fail "write-error@$lba passed"
		grep -q "^burnfs burn: writing block $lba: WRITE(10) failed: write error" "$t/err" ||
			fail "write-error@$lba: $(cat "$t/err")"
	done
	;;
info-states)
	# info and burn agree on every state of the disc: where the next session goes and how
	# much is free, or why there is none (blank, appendable, finalized, overwrite media
	# holding a session, an incomplete session)
	mkdir -p "$t/src"
	head -c 3000000 /dev/urandom >"$t/src/f"
	mk() { "$BURNFS" vdrive create --media "$2" "$t/$1" || fail "create $1"; }
	burn() { "$BURNFS" burn "$t/src" --drive "vdrive:$t/$1" "${@:2}" >/dev/null 2>&1 || fail "burn $1"; }
	mk blank bd-r
	mk app bd-r && burn app
	mk app-cd cd-r && burn app-cd
	mk fin dvd+r && burn fin --close
	mk bdre bd-re && burn bdre
	mk dvdrw dvd+rw && burn dvdrw
	mk inc bd-r && "$BURNFS" vdrive fault "$t/inc" remove@600 && { "$BURNFS" burn "$t/src" --drive "vdrive:$t/inc" 2>/dev/null; "$BURNFS" vdrive load "$t/inc"; } || fail "incomplete"
	for d in blank app app-cd fin bdre dvdrw inc; do
		"$BURNFS" info --drive "vdrive:$t/$d" --json >"$t/j" || fail "info $d"
		"$BURNFS" info --drive "vdrive:$t/$d" >"$t/txt" || fail "info $d"
		"$BURNFS" burn "$t/src" --drive "vdrive:$t/$d" 2>"$t/err"
		rc=$?
		/usr/bin/python3 - "$t/j" "$t/err" "$rc" "$t/txt" "$d" <<'PY' || fail "$d: info and burn disagree: $(cat "$t/j" "$t/txt" "$t/err")"
import json, sys
j, err, rc, txt, d = json.load(open(sys.argv[1])), open(sys.argv[2]).read(), int(sys.argv[3]), open(sys.argv[4]).read(), sys.argv[5]
# overwrite media holding a session take the next one after it (engine/grow.h)
want = {"blank": True, "app": True, "app-cd": True, "fin": False, "bdre": True, "dvdrw": True, "inc": False}[d]
assert j["writable"] == want, ("writable", j["writable"])
if want:
    assert rc == 0 and f"session at block {j['next_writable']}," in err, "burn elsewhere"
    assert j["free_blocks"] + j["next_writable"] <= j["capacity"], "free"
    assert f"next session: at block {j['next_writable']}, {j['free_blocks']} blocks free" in txt, "text"
else:
    assert rc == 1 and j["next_writable"] is None and j["free_blocks"] == 0, "not writable"
    assert err.splitlines()[0] == "burnfs burn: " + j["not_writable_because"], "reason"
    assert "next session: none (no writable address): " + j["not_writable_because"] in txt, "text"
    assert "next writable address: 0" not in txt
    assert j["used_blocks"] > 0, "used"
PY
	done
	;;
reburn)
	# a burnfs disc copied back and burnt again: its /.burnfs is refused with what to do,
	# however it comes in (a tree's root, a file of that name, a graft); --exclude /.burnfs
	# burns it; the image options of burnfs image work on burn
	command -v xorriso >/dev/null || exit 77
	mkdir -p "$t/src/sub"
	echo one >"$t/src/sub/one"
	echo junk >"$t/src/junk.tmp"
	"$BURNFS" vdrive create --media bd-r "$t/d" || fail create
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/d" 2>/dev/null || fail "burn"
	"$BURNFS" vdrive export "$t/d" -o "$t/disc.iso" >/dev/null || fail export
	xorriso -osirrox on -indev "$t/disc.iso" -extract / "$t/x" >/dev/null 2>&1 || fail extract
	chmod -R u+w "$t/x"
	mkdir -p "$t/m" && echo manifest >"$t/m/.burnfs" || fail "m"
	"$BURNFS" vdrive create --media bd-r "$t/e" || fail create
	for how in tree file graft; do
		case $how in
		tree) set -- "$t/x" ;;
		file) set -- "$t/src" "$t/m/.burnfs" ;;
		graft) set -- --graft "$t/x/.burnfs=/.burnfs" "$t/src" ;;
		esac
		"$BURNFS" burn "$@" --drive "vdrive:$t/e" 2>"$t/err"; rc=$?
		[ $rc = 2 ] || fail "reburn ($how): exit $rc: $(cat "$t/err")"
		grep -q "^remedy: leave it out with --exclude /.burnfs" "$t/err" || fail "reburn ($how): $(cat "$t/err")"
	done
	"$BURNFS" vdrive info "$t/e" | grep -q "status: blank" || fail "something was written"
	"$BURNFS" burn "$t/x" --drive "vdrive:$t/e" --exclude /.burnfs --exclude '*.tmp' --volid AGAIN \
		--fs iso9660,rockridge --graft "$t/src/sub=/extra" 2>"$t/err" || fail "reburn --exclude: $(cat "$t/err")"
	"$BURNFS" vdrive export "$t/e" -o "$t/e.iso" >/dev/null || fail export
	isoinfo -d -i "$t/e.iso" | grep -q "^Volume id: AGAIN" || fail "--volid"
	isoinfo -f -R -i "$t/e.iso" | sort >"$t/ls"
	printf '%s\n' /.burnfs /.burnfs/SHA256SUMS /extra /extra/one /sub /sub/one | diff - "$t/ls" || fail "tree"
	xorriso -indev "$t/e.iso" -pvd_info 2>/dev/null | grep -qi "udf" && fail "--fs without udf has udf"
	"$BURNFS" burn "$t/x" --drive "vdrive:$t/e" --fs iso,udf 2>"$t/err"; [ $? = 2 ] || fail "--fs iso"
	grep -q "^burnfs burn: --fs: unknown file system 'iso'" "$t/err" || fail "--fs: $(cat "$t/err")"
	"$BURNFS" burn "$t/x" --drive "vdrive:$t/e" --udf-rev 2.60 2>"$t/err"; [ $? = 2 ] || fail "--udf-rev 2.60"
	"$BURNFS" burn "$t/x" --drive "vdrive:$t/e" --graft nodest 2>"$t/err"; [ $? = 2 ] || fail "--graft nodest"
	;;
help)
	# --help on each drive command: its own usage on stdout, exit 0; usage errors: exit 2,
	# "burnfs CMD: " and what is missing
	"$BURNFS" vdrive create --media bd-r "$t/d" || fail create
	for c in burn info erase eject drives "verify --drive vdrive:$t/d"; do
		for h in --help -h; do
			# shellcheck disable=SC2086 # c holds the command and its arguments
			"$BURNFS" $c $h >"$t/out" 2>"$t/err"; rc=$?
			[ $rc = 0 ] || fail "$c $h: exit $rc"
			[ -s "$t/err" ] && fail "$c $h: stderr: $(cat "$t/err")"
			head -1 "$t/out" | grep -q "^Usage: burnfs ${c%% *} " || fail "$c $h: $(head -1 "$t/out")"
		done
		# shellcheck disable=SC2086
		"$BURNFS" $c --bogus >/dev/null 2>"$t/err"; rc=$?
		[ $rc = 2 ] || fail "$c --bogus: exit $rc"
		grep -q "^burnfs ${c%% *}: unknown \(option\|argument\) '--bogus'" "$t/err" || fail "$c --bogus: $(cat "$t/err")"
	done
	"$BURNFS" burn --drive "vdrive:$t/d" 2>"$t/err"; [ $? = 2 ] || fail "burn without SRC"
	grep -q "^burnfs burn: no SRC or IMAGE given" "$t/err" || fail "burn without SRC: $(cat "$t/err")"
	"$BURNFS" burn "$t" 2>"$t/err"; [ $? = 2 ] || fail "burn without --drive"
	grep -q "^burnfs burn: no drive given: --drive D" "$t/err" || fail "burn without --drive: $(cat "$t/err")"
	"$BURNFS" info --drive 2>"$t/err"; [ $? = 2 ] || fail "info --drive without its value"
	grep -q "^burnfs info: missing the value of '--drive'" "$t/err" || fail "info --drive: $(cat "$t/err")"
	"$BURNFS" burn "$t" --drive "vdrive:$t/d" --verify sometimes 2>"$t/err"; [ $? = 2 ] || fail "--verify sometimes"
	grep -q "^burnfs burn: --verify: 'sometimes'" "$t/err" || fail "--verify: $(cat "$t/err")"
	;;
default-drive)
	# without --drive, info and eject use mount's default drive (the default virtual BD-R
	# here), drives suggests the medium mount creates, erase never picks a drive
	"$BURNFS" drives --json | /usr/bin/python3 -c 'import json,sys; sys.exit(any(not d["virtual"] for d in json.load(sys.stdin)))' || exit 77
	export XDG_STATE_HOME="$t/state"
	v="$t/state/burnfs/vdrive"
	"$BURNFS" drives >"$t/out" || fail drives
	grep -q "burnfs mount MOUNTPOINT. creates it, or .mkdir -p $t/state/burnfs && burnfs vdrive create --media bd-r $v" "$t/out" || fail "drives: $(cat "$t/out")"
	for c in info eject; do
		"$BURNFS" $c 2>"$t/err"; [ $? = 1 ] || fail "$c without a default drive"
		grep -q "^burnfs $c: no drive given, no optical drive found, and the default virtual drive '$v' does not exist" "$t/err" || fail "$c: $(cat "$t/err")"
		grep -q "^remedy: create it with .burnfs vdrive create --media bd-r $v" "$t/err" || fail "$c remedy: $(cat "$t/err")"
	done
	mkdir -p "$t/state/burnfs" && "$BURNFS" vdrive create --media bd-r "$v" || fail create
	mkdir -p "$t/src" && echo x >"$t/src/x"
	"$BURNFS" burn "$t/src" --drive "vdrive:$v" 2>/dev/null || fail burn
	"$BURNFS" info >"$t/out" 2>"$t/err" || fail "info: $(cat "$t/err")"
	grep -q "^burnfs info: no drive given: using the virtual drive '$v'" "$t/err" || fail "info: $(cat "$t/err")"
	grep -q "^medium: BD-R (appendable" "$t/out" || fail "info: $(cat "$t/out")"
	"$BURNFS" info --json 2>/dev/null | /usr/bin/python3 -c 'import json,sys; assert json.load(sys.stdin)["sessions"] == 1' || fail "info --json"
	"$BURNFS" drives | grep -q "(BD-R, appendable" || fail "drives: $("$BURNFS" drives)"
	"$BURNFS" erase 2>"$t/err"; [ $? = 2 ] || fail "erase without --drive"
	grep -q "^burnfs erase: no drive given: --drive D (erase never picks a drive by itself" "$t/err" || fail "erase: $(cat "$t/err")"
	"$BURNFS" eject 2>"$t/err" || fail "eject: $(cat "$t/err")"
	"$BURNFS" vdrive info "$v" | grep -q ejected || fail "not ejected"
	;;
*)
	echo "unknown case $1" >&2
	exit 2
	;;
esac
exit 0
