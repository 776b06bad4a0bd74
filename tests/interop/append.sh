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

# make_sources BASE NDIRS: the three sources BASE/s1..s3, and BASE/e1..e3, the trees sessions
# 1..3 must hold; s1 with NDIRS directories of 100 files more (a manifest of several chunks)
make_sources() {
	local b=$1 s=$1/s1 long k j
	mkdir -p "$s/d" "$s/deep/1/2/3/4/5/6/7/8/9" "$s/private" "$b/s2/d" "$b/s2/n" "$b/s3/d"
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
	# enough files for a manifest of several chunks, which later sessions keep
	for k in $(seq 0 $(($2 - 1))); do
		k=$(printf %02d "$k")
		mkdir "$s/many/d$k" -p
		for j in $(seq -w 0 99); do echo "$k $j" >"$s/many/d$k/f$j"; done
	done
	chmod 0750 "$s/private"
	chmod 0600 "$s/private/p"
	echo two >"$b/s2/b.txt"
	echo y2 >"$b/s2/d/y"
	head -c 1000000 /dev/urandom >"$b/s2/n/z"
	echo replaced >"$b/s3/a.txt"
	echo x3 >"$b/s3/d/x"
	echo three >"$b/s3/c.txt"
	touch -d @1600000000 "$b/s1" "$b/s2" "$b/s3" "$s/d" "$b/s2/d" "$b/s3/d"
	cp -a "$b/s1" "$b/e1" || fail "E1"
	cp -a "$b/e1" "$b/e2" && cp -a "$b/s2/." "$b/e2/" || fail "E2"
	cp -a "$b/e2" "$b/e3" || fail "E3"
	# a replaced path is a new file: the other name of its hard link keeps the old data
	(cd "$b/s3" && find . -type f) | while read -r f; do rm -f "$b/e3/$f"; done
	cp -a "$b/s3/." "$b/e3/" || fail "E3"
	touch -d @1600000000 "$b/e2/d" "$b/e3/d"
}

# burn_three MEDIUM DIR [BASE]: the three sessions of BASE/s1..s3 (default $t); their starts
# and ends in DIR.starts ("S END")
burn_three() {
	local m=$1 d=$2 b=${3:-$t} k s n
	"$BURNFS" vdrive create --media "$m" "$d" >/dev/null || fail "create $m"
	: >"$d.starts"
	for k in 1 2 3; do
		"$BURNFS" burn "$b/s$k" --drive "vdrive:$d" 2>"$t/err" || fail "$m session $k: $(cat "$t/err")"
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

# view IMAGE S END OUT: the overwritable view of session S (view.py)
view() { /usr/bin/python3 "$here/view.py" "$@" || fail "view"; }

# manifest_new MEDIUM K S P [IMAGE]: session K (at S; session K-1 at P) of IMAGE (default
# $t/d.iso), its manifest and session K-1's in $t/mK and $t/mK-1, points at the longest run of
# its manifest's chunks that session K-1's holds unchanged, one after another on the disc
# (pycdlib reads two extents of a file at most), and writes the others and its trailer block
# only: the blocks of the changed chunks when they are all on one side of that run
manifest_new() {
	local m=$1 k=$2 s=$3 p=$4 img=${5:-$t/d.iso}
	/usr/bin/python3 - "$t/m$((k - 1))" "$t/m$k" "$s" "$p" "$img" >"$t/mout" 2>&1 <<'PY' ||
import sys
B = 2048
def records(f, lba, size):
    """(name, extent, length) of an ISO 9660 directory's records (ECMA-119 9.1)"""
    f.seek(lba * B)
    d = f.read(size)
    o = 0
    while o < len(d):
        n = d[o]
        if n == 0:
            o = (o // B + 1) * B
            continue
        yield (d[o + 33:o + 33 + d[o + 32]], int.from_bytes(d[o + 2:o + 6], "little"),
               int.from_bytes(d[o + 10:o + 14], "little"))
        o += n
def manifest_extents(path, s):
    with open(path, "rb") as f:
        f.seek((s + 16) * B)
        root = f.read(B)[156:156 + 34]
        lba, size = int.from_bytes(root[2:6], "little"), int.from_bytes(root[10:14], "little")
        d = [r for r in records(f, lba, size) if r[0] == b"_BURNFS"][0]
        return [(l, n) for name, l, n in records(f, d[1], d[2]) if name == b"SHA256SUMS.;1"]
def chunks(b):
    """(offset, bytes) of each chunk: its lines up to a comment ending a block"""
    v, start, off = [], 0, 0
    for line in b.split(b"\n")[:-1]:
        off += len(line) + 1
        if line.startswith(b"#") and off % B == 0:
            v.append((start, b[start:off]))
            start = off
    assert start == len(b), "bytes after the last chunk"
    return v
def block_lba(ext, off):
    for l, n in ext:
        if off < n:
            return l + off // B
        off -= n
old_b, new_b = (open(p, "rb").read() for p in sys.argv[1:3])
s, p = int(sys.argv[3]), int(sys.argv[4])
old, new = chunks(old_b)[:-1], chunks(new_b)[:-1]  # the trailers left out
ext, old_ext = manifest_extents(sys.argv[5], s), manifest_extents(sys.argv[5], p)
assert sum(n for _, n in ext) == len(new_b), ("extents", ext)
assert [l for l, _ in ext] == sorted(l for l, _ in ext), ("extents out of order", ext)
# where session K-1 holds each chunk of session K that it has unchanged
at = {c: block_lba(old_ext, o) for o, c in old}
kept_at = sorted((at[c], len(c) // B) for _, c in new if c in at)
runs, end = [], None
for l, n in kept_at:
    if runs and l == end:
        runs[-1] += n
    else:
        runs.append(n)
    end = l + n
best = max(runs, default=0)
changed = sum(len(c) for _, c in new if c not in at) // B
written = sum(-(-n // B) for l, n in ext if l >= s)
kept = sum(-(-n // B) for l, n in ext if l < s)
assert kept == best and best > 0, ("kept", kept, "longest run", best, ext)
assert written == len(new_b) // B - best, ("written", written)
assert len(ext) == 2, ("extents", ext)
print(f"manifest: {written} blocks written ({changed} of changed chunks, the trailer, "
      f"{written - changed - 1} of unchanged ones off the kept run), {kept} kept, "
      f"{len(new)} chunks")
PY
		fail "$m session $k: manifest blocks: $(cat "$t/mout")"
	echo "$m session $k: $(cat "$t/mout")" >&2
}

# readers MEDIUM K S END P: session K of $t/d.iso, at S..END, against E_K (session K-1 at P)
readers() {
	local m=$1 k=$2 s=$3 end=$4 prev=$5 e=$t/e$2 want=$t/want$2 r out udf= list
	case $m in dvd* | bd*) udf=1 ;; esac
	rm -rf "$t/x" "$want"
	xorriso -osirrox on -load sbsector "$s" -indev "$t/d.iso" -extract / "$t/x" >/dev/null 2>&1 ||
		fail "$m session $k: xorriso extract"
	(cd "$t/x" && sha256sum --strict --quiet -c .burnfs/SHA256SUMS) ||
		fail "$m session $k: sha256sum -c --strict"
	diff -r --no-dereference -x .burnfs "$e" "$t/x" || fail "$m session $k: xorriso's tree differs"
	[ "$(grep -vc '^#' "$t/x/.burnfs/SHA256SUMS")" = "$(find "$e" -type f | wc -l)" ] ||
		fail "$m session $k: the manifest does not list every file"
	cp "$t/x/.burnfs/SHA256SUMS" "$t/m$k" || fail "manifest $k"
	[ "$k" -gt 1 ] && manifest_new "$m" "$k" "$s" "$prev"
	cp -al "$e" "$want" && cp -a "$t/x/.burnfs" "$want/" || fail "want"
	# isoinfo with the session's start: paths and sizes of the Rock Ridge tree
	# a file of several extents (the manifest) is listed once per extent (multi-extent
	# records, whose flags isoinfo prints without the closing bracket): their sizes add up
	isoinfo -i "$t/d.iso" -T "$s" -R -l 2>/dev/null | awk '
		/^Directory listing of / { dir = substr($0, 22) }
		/^[-dl]/ { n = $0; sub(/^.*\[ *[0-9]+ [0-9A-F]+\]? +/, "", n); sub(/ +$/, "", n); sub(/ -> .*/, "", n)
			if (n != "." && n != "..") { p = dir n; ty[p] = substr($1, 1, 1); sz[p] += (ty[p] == "-" ? $5 : 0) } }
		END { for (p in ty) print ty[p], sz[p], p }' |
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

case $1 in
image-dirs)
	# one small file appended to a BD image file of 300 directories without --media: the
	# volume keeps its UDF 2.50 (another revision writes every entry again) and its
	# metadata file is linear, so the files' entries stay where they are, and so do the
	# directories' (a changed one's entry written over its earlier one after the head,
	# engine/grow.h): the blocks the append changed are its descriptors, ISO 9660 and
	# Joliet directories, file data and the UDF directories that changed (the root and
	# /.burnfs), not an entry per file nor every directory again
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
	# a copy of the 301 directories would take 4 * 301 (2 blocks each, twice with the
	# mirror); an entry per file would add 2 * 1500
	[ "$udf" -le 301 ] ||
		fail "the append changed $udf blocks of UDF (a copy of the 301 directories is $((4 * 301)))"
	out=$(udfinfo "$t/a.iso" 2>&1) || fail "udfinfo: $out"
	echo "$out" | grep -qx "udfrev=2.50" || fail "the volume is no longer UDF 2.50: $out"
	[ "$(echo "$out" | sed -n 's/^numfiles=//p')" = 1502 ] || fail "udfinfo numfiles: $out"
	[ "$(echo "$out" | sed -n 's/^numdirs=//p')" = 302 ] || fail "udfinfo numdirs: $out"
	"$BURNFS" ls "$t/a.iso" | grep -qx new.txt || fail "burnfs ls: no new.txt"
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
	# every medium with the small tree; BD-R also with 600 files more, whose manifests keep
	# chunks of the sessions before (files in several extents), each listed by the guest (a
	# listing of 1,200 files on every medium took more than its 600 s; DVD+R's 600 more, which
	# the user-space readers of append-dvd+r check, took 70 s of the suite's time)
	make_sources "$t" 0
	make_sources "$t/m" 6
	: >"$t/spec"
	media="cd-r cd-rw dvd-r dvd-rw dvd+r dvd+r-dl bd-r many-bd-r"
	for m in $media; do
		case $m in
		many-*) burn_three "${m#many-}" "$t/$m" "$t/m" ;;
		*) burn_three "$m" "$t/$m" ;;
		esac
		k=0 prev=
		while read -r s end; do
			k=$((k + 1))
			echo "$m.$k.rr $t/$m.iso iso9660 sbsector=$s" >>"$t/spec"
			case $m in cd*) ;; *) echo "$m.$k.udf $t/$m.iso udf session=$s,lastblock=$((end - 1))" >>"$t/spec" ;; esac
			case $m in many-*)
				rm -rf "$t/man"
				xorriso -osirrox on -load sbsector "$s" -indev "$t/$m.iso" -extract /.burnfs "$t/man" \
					>/dev/null 2>&1 && cp "$t/man/SHA256SUMS" "$t/m$k" || fail "$m session $k: manifest"
				chmod -R u+w "$t/man"
				[ "$k" -gt 1 ] && manifest_new "$m" "$k" "$s" "$prev" "$t/$m.iso"
				;;
			esac
			prev=$s
		done <"$t/$m.starts"
	done
	"$here/kernel-read-many.sh" "$t/spec" >"$t/klines"
	case $? in 0) ;; 77) exit 77 ;; *) fail "kernel-read-many" ;; esac
	while read -r label img fs opts; do
		k=${label#*.}
		k=${k%%.*}
		rm -rf "$t/want"
		case $label in
		many-*) cp -al "$t/m/e$k" "$t/want" || fail want ;;
		*) cp -al "$t/e$k" "$t/want" || fail want ;;
		esac
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
	make_sources "$t" 12
	# the same three burns onto two drives give the same discs, byte for byte
	# (SOURCE_DATE_EPOCH is set above; the volume serial once hashed stack garbage)
	for m in dvd+r bd-r; do
		burn_three "$m" "$t/$m-a"
		burn_three "$m" "$t/$m-b"
		cmp "$t/$m-a.iso" "$t/$m-b.iso" || fail "$m: two runs of the same burns differ"
	done
	;;
fixtures)
	make_sources "$t" 0
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
	make_sources "$t" 12
	burn_three "$1" "$t/d"
	k=0 prev=
	while read -r s end; do
		k=$((k + 1))
		readers "$1" "$k" "$s" "$end" "$prev"
		prev=$s
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
