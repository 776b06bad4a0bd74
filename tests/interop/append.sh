#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# usage: append.sh MEDIUM|kernel|fixtures|deterministic|bd-r-dirs|image-dirs
#
# Three `burnfs burn` sessions onto a write-once virtual disc (issue 12 §4): the first a tree
# with a hard link, a symlink, a deep directory, odd names and 3 MB of random data; the second
# adds files, merges a directory and adds one; the third replaces a file of the first (one
# name of its hard-link pair) and one of a merged directory. After them every session k is
# read from the exported disc by software that is not burnfs, each through its own way to a
# later session, and must hold exactly the merged tree E_k, content byte for byte:
#	xorriso -load sbsector S_k (extraction, then sha256sum -c of the session's manifest)
#	isoinfo -T S_k (Rock Ridge listing of paths and sizes)
#	udfinfo --startblock=S_k --lastblock (UDF media; the partition overlaps the session's own
#	  descriptors, as the IMAPI layout has it: that one warning is expected)
#	the readers without a session option (isoinfo, pycdlib, bsdtar, libudfread, xorriso
#	  again) through tests/interop/check.py on the overwritable view of session k: the disc
#	  cut at the session's end with blocks 16-31 and 256 copied from the session's own
#	  (what a DVD+RW holds after an append; formats.md 5.1)
#	`burnfs verify --drive` checks every session against its manifest
# `append.sh kernel` burns the same three sessions onto every write-once medium and mounts
# each session with the Linux kernel's isofs (sbsector=) and udf (session=) in one QEMU boot.
# `append.sh fixtures` records every image of tests/fixtures (other writers' discs: Nero,
# Windows, macOS, mkudffs, genisoimage, libarchive's hostile ISOs) on a virtual DVD+R and
# appends to it: the burn either carries the disc's tree (every name the last session lists
# is in the new one, with the new file) or refuses with one clear line; never a crash, a
# sanitizer report or a hang.
set -u
: "${BURNFS:?}" "${BURNFS_SRC:?}"
here=$(cd "$(dirname "$0")" && pwd)
check=$here/check.py
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-append-test.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export BURNFS_VDRIVE_LONGOP_MS=0 SOURCE_DATE_EPOCH=1700000000
command -v xorriso >/dev/null || { echo "SKIP: xorriso missing" >&2; exit 77; }

# the three sources, and E1..E3, the trees sessions 1..3 must hold
make_sources() {
	local s=$t/s1 long
	mkdir -p "$s/d" "$s/deep/1/2/3/4/5/6/7/8/9" "$s/private" "$t/s2/d" "$t/s2/n" "$t/s3/d"
	echo one >"$s/a.txt"
	ln "$s/a.txt" "$s/hl"
	ln -s a.txt "$s/ln"
	head -c 3000000 /dev/urandom >"$s/big"
	echo x1 >"$s/d/x"
	echo deep >"$s/deep/1/2/3/4/5/6/7/8/9/f"
	echo space >"$s/name with spaces"
	long=$(printf 'L%.0s' $(seq 1 100))
	echo long >"$s/$long"
	: >"$s/empty"
	echo secret >"$s/private/p"
	chmod 0750 "$s/private"
	chmod 0600 "$s/private/p"
	echo two >"$t/s2/b.txt"
	echo y2 >"$t/s2/d/y"
	head -c 1000000 /dev/urandom >"$t/s2/n/z"
	echo replaced >"$t/s3/a.txt"
	echo x3 >"$t/s3/d/x"
	echo three >"$t/s3/c.txt"
	touch -d @1600000000 "$t/s1" "$t/s2" "$t/s3" "$s/d" "$t/s2/d" "$t/s3/d"
	cp -a "$t/s1" "$t/e1" || fail "E1"
	cp -a "$t/e1" "$t/e2" && cp -a "$t/s2/." "$t/e2/" || fail "E2"
	cp -a "$t/e2" "$t/e3" || fail "E3"
	# a replaced path is a new file: the other name of its hard link keeps the old data
	(cd "$t/s3" && find . -type f) | while read -r f; do rm -f "$t/e3/$f"; done
	cp -a "$t/s3/." "$t/e3/" || fail "E3"
	touch -d @1600000000 "$t/e2/d" "$t/e3/d"
}

# burn_three MEDIUM DIR: the three sessions; their starts and ends in DIR/starts ("S END")
burn_three() {
	local m=$1 d=$2 k s n
	"$BURNFS" vdrive create --media "$m" "$d" >/dev/null || fail "create $m"
	: >"$d.starts"
	for k in 1 2 3; do
		"$BURNFS" burn "$t/s$k" --drive "vdrive:$d" 2>"$t/err" || fail "$m session $k: $(cat "$t/err")"
		read -r s n < <(sed -n 's/^burnfs burn: session at block \([0-9]*\), \([0-9]*\) blocks.*/\1 \2/p' "$t/err")
		[ -n "$s" ] || fail "$m session $k: no start in $(cat "$t/err")"
		if [ "$k" -gt 1 ]; then
			grep -q "the disc's tree (session $((k - 1)), .*) is carried over" "$t/err" ||
				fail "$m session $k: not merged: $(cat "$t/err")"
		fi
		echo "$s $((s + n))" >>"$d.starts"
	done
	[ "$k" = 3 ] && grep -q "warning: '/a.txt' replaces the file of that name on the disc" "$t/err" ||
		fail "$m: no replacement warning: $(cat "$t/err")"
	"$BURNFS" vdrive export "$d" -o "$d.iso" >/dev/null || fail "export $m"
}

# view IMAGE S END OUT: IMAGE cut at END, with session S's volume descriptor set (up to its
# terminator, and the UDF recognition sequence after it) copied to block 16 and its UDF
# anchor to block 256
view() {
	/usr/bin/python3 - "$@" <<'PY' || fail "view"
import sys
img, s, end, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
B = 2048
with open(img, "rb") as f:
    data = bytearray(f.read(end * B))
if s:
    k = 16
    while data[(s + k) * B + 1:(s + k) * B + 6] == b"CD001" and data[(s + k) * B] != 255:
        k += 1
    k += 1  # the terminator
    while data[(s + k) * B + 1:(s + k) * B + 6] in (b"BEA01", b"NSR02", b"NSR03", b"TEA01"):
        k += 1
    data[16 * B:k * B] = data[(s + 16) * B:(s + k) * B]
    a = data[(s + 256) * B:(s + 257) * B]
    # a UDF anchor: tag identifier 2, its checksum right, its location its own block (a
    # CD session's file data can start with a 2: random data did, 1 time in 256)
    if (len(a) == B and a[0:2] == b"\x02\x00" and sum(a[0:4] + a[5:16]) % 256 == a[4]
            and int.from_bytes(a[12:16], "little") == s + 256):
        data[256 * B:257 * B] = a
with open(out, "wb") as f:
    f.write(data)
PY
}

# readers MEDIUM K S END: session K of $t/d.iso, at S..END, against E_K
readers() {
	local m=$1 k=$2 s=$3 end=$4 e=$t/e$2 want=$t/want$2 r out udf= list
	case $m in dvd* | bd*) udf=1 ;; esac
	rm -rf "$t/x" "$want"
	xorriso -osirrox on -load sbsector "$s" -indev "$t/d.iso" -extract / "$t/x" >/dev/null 2>&1 ||
		fail "$m session $k: xorriso extract"
	(cd "$t/x" && sha256sum --quiet -c .burnfs/SHA256SUMS) || fail "$m session $k: sha256sum -c"
	diff -r --no-dereference -x .burnfs "$e" "$t/x" || fail "$m session $k: xorriso's tree differs"
	[ "$(grep -c . "$t/x/.burnfs/SHA256SUMS")" = "$(find "$e" -type f | wc -l)" ] ||
		fail "$m session $k: the manifest does not list every file"
	cp -al "$e" "$want" && cp -a "$t/x/.burnfs" "$want/" || fail "want"
	# isoinfo with the session's start: paths and sizes of the Rock Ridge tree
	isoinfo -i "$t/d.iso" -T "$s" -R -l 2>/dev/null | awk '
		/^Directory listing of / { dir = substr($0, 22) }
		/^[-dl]/ { n = $0; sub(/^.*\] +/, "", n); sub(/ +$/, "", n); sub(/ -> .*/, "", n)
			if (n != "." && n != "..") print substr($1, 1, 1), (substr($1, 1, 1) == "-" ? $5 : 0), dir n }' |
		sort >"$t/isoinfo"
	(cd "$want" && find . -mindepth 1 -printf '%y %s /%P\n') | awk '{ t = $1 == "f" ? "-" : $1; s = t == "-" ? $2 : 0; $1 = ""; $2 = ""; sub(/^  /, ""); print t, s, $0 }' |
		sort >"$t/want.list"
	diff "$t/want.list" "$t/isoinfo" >&2 || fail "$m session $k: isoinfo -T $s"
	if [ -n "$udf" ] && command -v udfinfo >/dev/null; then
		out=$(udfinfo --startblock="$s" --lastblock=$((end - 1)) "$t/d.iso" 2>&1) || fail "$m session $k: udfinfo: $out"
		echo "$out" | grep -i "warn\|error" | grep -v "Partition Space overlaps with other blocks" &&
			fail "$m session $k: udfinfo warns"
		[ "$(echo "$out" | sed -n 's/^numdirs=//p')" = "$(find "$want" -type d | wc -l)" ] ||
			fail "$m session $k: udfinfo numdirs: $out"
	fi
	view "$t/d.iso" "$s" "$end" "$t/view$k.iso"
	list="xorriso isoinfo-rr isoinfo-joliet bsdtar-joliet"
	# pycdlib cannot parse UDF 2.50's metadata partition map, which BD discs carry
	[ "${m#bd}" = "$m" ] && list="$list pycdlib-rr pycdlib-joliet"
	# libudfread takes a 2.50 metadata file to be one run (udfread.c uses its first
	# allocation descriptor only), and an append on write-once media begins the new one with
	# the earlier runs (the entries of unchanged files are kept); on the disc itself it
	# reads the anchor at 256, session 1, which it reads right
	[ -n "$udf" ] && { [ "${m#bd}" = "$m" ] || [ "$k" = 1 ]; } && list="$list udfread"
	# pycdlib reads no UDF 2.50, and takes the file set descriptor to be the partition's
	# first block whatever the LVD says (pycdlib.py _parse_udf_descriptors): in a later
	# session of the IMAPI layout the partition starts in the first one, so it finds
	# session 1's file set there; it reads session 1's UDF only
	[ -n "$udf" ] && [ "${m#bd}" = "$m" ] && [ "$k" = 1 ] && list="$list pycdlib-udf"
	for r in $list; do
		out=$(/usr/bin/python3 "$check" "$r" "$t/view$k.iso" "$want" 2>&1)
		case $? in
		0) ;;
		77) echo "note: $r skipped: $out" >&2 ;;
		*) fail "$m session $k: $out" ;;
		esac
	done
}

# iso_share IMAGE S: the blocks session S's ISO 9660 and Joliet directories and path tables
# take, and those of the file data it recorded (extents at or after S), as "DIRS DATA"
iso_share() {
	/usr/bin/python3 - "$@" <<'PY' || fail "iso_share"
import sys
img, s = sys.argv[1], int(sys.argv[2])
B = 2048
f = open(img, "rb")
def blocks(lba, n):
    f.seek(lba * B)
    return f.read(n * B)
dirs, data, seen = 0, set(), set()
def walk(lba, size):
    global dirs
    if lba in seen:
        return
    seen.add(lba)
    n = (size + B - 1) // B
    dirs += n
    d, o = blocks(lba, n), 0
    while o < len(d):
        if d[o] == 0:
            o = (o // B + 1) * B
            continue
        r = d[o:o + d[o]]
        at, ln, name = int.from_bytes(r[2:6], "little"), int.from_bytes(r[10:14], "little"), r[33:33 + r[32]]
        if r[25] & 2 and name not in (b"\x00", b"\x01"):
            walk(at, ln)
        elif not r[25] & 2 and at >= s and ln:
            data.add((at, (ln + B - 1) // B))
        o += d[o]
k = 16
while True:
    v = blocks(s + k, 1)
    if v[1:6] != b"CD001" or v[0] == 255:
        break
    if v[0] in (1, 2):
        dirs += 2 * ((int.from_bytes(v[132:136], "little") + B - 1) // B)
        walk(int.from_bytes(v[158:162], "little"), int.from_bytes(v[166:170], "little"))
    k += 1
print(dirs, sum(n for _, n in data))
PY
}

# changed OLD NEW: the blocks of image NEW that differ from OLD or lie past its end
changed() {
	/usr/bin/python3 - "$@" <<'PY' || fail "changed"
import sys
a, b, n = open(sys.argv[1], "rb"), open(sys.argv[2], "rb"), 0
while True:
    x, y = a.read(2048), b.read(2048)
    if not y:
        break
    n += x != y
print(n)
PY
}

# many DIR: 300 directories of 5 small files
many() {
	local i k
	mkdir -p "$1"
	for i in $(seq -w 1 300); do
		mkdir "$1/d$i" || fail "mkdir"
		for k in 1 2 3 4 5; do echo "$i.$k" >"$1/d$i/f$k"; done
	done
}

make_sources
case $1 in
image-dirs)
	# one small file appended to a BD image file of 300 directories without --media: the
	# volume keeps its UDF 2.50 (another revision writes every entry again) and its
	# metadata file is linear, so the files' entries stay where they are; the blocks the
	# append changed are its descriptors, ISO 9660 and Joliet directories, file data and
	# the UDF directories (2 blocks each, twice with the mirror), not an entry per file
	many "$t/many"
	mkdir "$t/one" && echo one >"$t/one/new.txt"
	"$BURNFS" image -q --media bd "$t/many" -o "$t/a.iso" || fail "image"
	cp "$t/a.iso" "$t/a0.iso" || fail "copy"
	"$BURNFS" image --append "$t/a.iso" "$t/one" 2>"$t/err" || fail "append: $(cat "$t/err")"
	s=$(sed -n 's/^burnfs image: session 2 at block \([0-9]*\),.*/\1/p' "$t/err")
	[ -n "$s" ] || fail "no session in $(cat "$t/err")"
	read -r dirs data < <(iso_share "$t/a.iso" "$s")
	n=$(changed "$t/a0.iso" "$t/a.iso")
	udf=$((n - 256 - dirs - data))
	echo "$n blocks changed: ISO directories $dirs, file data $data, UDF and the rest $udf" >&2
	# the directories take 4 * 301, their padding and the file set a few hundred; an entry
	# per file would add 1500 (UDF 1.02) or 2 * 1500 (2.50)
	[ "$udf" -le $((4 * 301 + 256)) ] ||
		fail "the append changed $udf blocks of UDF (its directories take $((4 * 301)))"
	out=$(udfinfo "$t/a.iso" 2>&1) || fail "udfinfo: $out"
	echo "$out" | grep -qx "udfrev=2.50" || fail "the volume is no longer UDF 2.50: $out"
	[ "$(echo "$out" | sed -n 's/^numfiles=//p')" = 1502 ] || fail "udfinfo numfiles: $out"
	"$BURNFS" verify "$t/a.iso" 2>"$t/err" || fail "verify: $(cat "$t/err")"
	;;
bd-r-dirs)
	# one small file appended to a BD-R of 300 directories: the UDF directories that did
	# not change are kept, the root's entry is remapped; the session is its 256 blocks of
	# descriptors, the ISO 9660 and Joliet trees, its file data (the manifest and the new
	# file), and a UDF part far below one more copy of every directory (2 blocks each,
	# twice with the 2.50 mirror)
	many "$t/many"
	mkdir "$t/one" && echo one >"$t/one/new.txt"
	"$BURNFS" vdrive create --media bd-r "$t/d" >/dev/null || fail "create"
	for src in many one; do
		"$BURNFS" burn "$t/$src" --drive "vdrive:$t/d" 2>"$t/err" || fail "$src: $(cat "$t/err")"
	done
	read -r s n < <(sed -n 's/^burnfs burn: session at block \([0-9]*\), \([0-9]*\) blocks.*/\1 \2/p' "$t/err")
	[ -n "$s" ] || fail "no session in $(cat "$t/err")"
	"$BURNFS" vdrive export "$t/d" -o "$t/d.iso" >/dev/null || fail "export"
	read -r dirs data < <(iso_share "$t/d.iso" "$s")
	udf=$((n - 256 - dirs - data))
	echo "session of $n blocks: ISO directories $dirs, file data $data, UDF and the rest $udf" >&2
	[ "$udf" -le 301 ] || fail "the append wrote $udf blocks of UDF (a copy of the 301 directories is 602 at least)"
	out=$(udfinfo --startblock="$s" --lastblock=$((s + n - 1)) "$t/d.iso" 2>&1) || fail "udfinfo: $out"
	[ "$(echo "$out" | sed -n 's/^numdirs=//p')" = 302 ] || fail "udfinfo numdirs: $out"
	[ "$(echo "$out" | sed -n 's/^numfiles=//p')" = 1502 ] || fail "udfinfo numfiles: $out"
	"$BURNFS" verify --drive "vdrive:$t/d" 2>"$t/err" || fail "verify --drive: $(cat "$t/err")"
	;;
kernel)
	: >"$t/spec"
	media="cd-r cd-rw dvd-r dvd-rw dvd+r dvd+r-dl bd-r"
	for m in $media; do
		burn_three "$m" "$t/$m"
		k=0
		while read -r s end; do
			k=$((k + 1))
			echo "$m.$k.rr $t/$m.iso iso9660 sbsector=$s" >>"$t/spec"
			case $m in cd*) ;; *) echo "$m.$k.udf $t/$m.iso udf session=$s,lastblock=$((end - 1))" >>"$t/spec" ;; esac
		done <"$t/$m.starts"
	done
	"$here/kernel-read-many.sh" "$t/spec" >"$t/klines"
	case $? in 0) ;; 77) exit 77 ;; *) fail "kernel-read-many" ;; esac
	while read -r label img fs opts; do
		k=${label#*.}
		k=${k%%.*}
		rm -rf "$t/want"
		cp -al "$t/e$k" "$t/want" || fail want
		if [ "${label##*.}" = rr ]; then # the manifest as xorriso reads it
			xorriso -osirrox on -load sbsector "${opts#sbsector=}" -indev "$img" \
				-extract /.burnfs "$t/want/.burnfs" >/dev/null 2>&1 || fail "$label: manifest"
		fi
		grep "^$label " "$t/klines" | cut -d' ' -f2- >"$t/k.$label"
		out=$(/usr/bin/python3 "$check" "klines-${label##*.}" "$t/k.$label" "$t/want" 2>&1) ||
			fail "kernel $label ($img $opts): $out"
	done <"$t/spec"
	;;
deterministic)
	# the same three burns onto two drives give the same discs, byte for byte
	# (SOURCE_DATE_EPOCH is set above; the volume serial once hashed stack garbage)
	for m in dvd+r bd-r; do
		burn_three "$m" "$t/$m-a"
		burn_three "$m" "$t/$m-b"
		cmp "$t/$m-a.iso" "$t/$m-b.iso" || fail "$m: two runs of the same burns differ"
	done
	;;
fixtures)
	echo new >"$t/new.txt"
	mkdir -p "$t/src" && cp "$t/new.txt" "$t/src/appended-by-burnfs.txt"
	merged=0 refused=0
	for f in "$here"/../fixtures/*/*.xz; do
		n=$(basename "$f" .xz)
		xz -dc "$f" >"$t/img" || fail "unpack $n"
		starts=$(echo "$n" | sed -nE 's/^[a-z]+-multi-([0-9]+)-([0-9]+)-([0-9]+)-.*/\1,\2,\3/p')
		rm -rf "$t/f"
		"$BURNFS" vdrive create --media dvd+r "$t/f" >/dev/null || fail create
		"$BURNFS" vdrive import-image "$t/f" "$t/img" --sessions "${starts:-0}" --cut-ok \
			>/dev/null 2>"$t/err" || fail "$n: import: $(cat "$t/err")"
		timeout 120 "$BURNFS" ls -R --drive "vdrive:$t/f" >"$t/before" 2>/dev/null
		lsrc=$?
		timeout 120 "$BURNFS" burn "$t/src" --drive "vdrive:$t/f" --verify quick >"$t/out" 2>"$t/err"
		rc=$?
		grep -q "AddressSanitizer\|runtime error\|LeakSanitizer" "$t/err" && fail "$n: $(cat "$t/err")"
		case $rc in
		0)
			merged=$((merged + 1))
			timeout 120 "$BURNFS" ls -R --drive "vdrive:$t/f" >"$t/after" 2>"$t/err" ||
				fail "$n: ls after the append: $(cat "$t/err")"
			grep -qx "appended-by-burnfs.txt" "$t/after" || fail "$n: the new file is not in the last session"
			if [ $lsrc = 0 ]; then # every name of the old last session is still there
				grep -v "^\.burnfs\|^SHA256SUMS\|^/\.burnfs:\|^$" "$t/before" | sort -u >"$t/b"
				sort -u "$t/after" >"$t/a"
				comm -23 "$t/b" "$t/a" | grep . && fail "$n: names lost by the append"
			fi
			;;
		1)
			refused=$((refused + 1))
			[ "$(grep -c "^burnfs burn: " "$t/err")" -ge 1 ] || fail "$n: refused without a message: $(cat "$t/err")"
			echo "note: $n: refused: $(grep "^burnfs burn: " "$t/err" | head -1)" >&2
			;;
		124) fail "$n: the append hung" ;;
		*) fail "$n: exit $rc: $(cat "$t/err")" ;;
		esac
	done
	echo "fixtures: $merged appended with their tree, $refused refused with a message" >&2
	[ $merged -ge 40 ] || fail "only $merged fixtures took a merged append"
	;;
cd-r | cd-rw | dvd-r | dvd-rw | dvd+r | dvd+r-dl | bd-r)
	burn_three "$1" "$t/d"
	k=0
	while read -r s end; do
		k=$((k + 1))
		readers "$1" "$k" "$s" "$end"
	done <"$t/d.starts"
	"$BURNFS" verify --drive "vdrive:$t/d" 2>"$t/err" || fail "$1: verify --drive: $(cat "$t/err")"
	[ "$(grep -c "files match, 0 differ, 0 missing" "$t/err")" = 3 ] ||
		fail "$1: verify did not check 3 sessions: $(cat "$t/err")"
	;;
*)
	echo "usage: append.sh MEDIUM|kernel|fixtures|deterministic|bd-r-dirs|image-dirs" >&2
	exit 2
	;;
esac
exit 0
