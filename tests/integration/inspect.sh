#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# inspect.sh CASE: burnfs sessions, ls and extract, every listing checked against an
# independent reader (xorriso, isoinfo), every extracted file against xorriso's extraction.
#   burnfs       three sessions burned onto a virtual BD-R: read through --drive and
#                through the exported image (sessions, ls -lR, extract with hard links)
#   xorriso      an image grown by `xorriso -dev` twice (libisoburn's 32-block head)
#   genisoimage  genisoimage -C/-M sessions packed in one file, and a session made for a
#                later block alone in its file (burnfs image --start-lba)
#   fixtures     the multisession images of tests/fixtures (three sessions each)
#   udf          UDF-only images of each revision read through the UDF tree: extract equals
#                the source, and libudfread (udfread-ls) hashes the same file contents
#   hostile      a FIFO, a cut image, sessions past the end, PATHs with . or .., a DIR
#                that is not empty, overlapping PATHs, a symlink pointing out of DIR
#   usage        --help, usage errors (exit 2, 'burnfs CMD:'), --json one valid document
# shellcheck disable=SC2015 # "A && B || fail": fail is meant whichever of A and B failed
set -u
: "${BURNFS:?}"
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../fixtures/util-linux
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-inspect.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || { echo "SKIP: no $1" >&2; exit 77; }; }
export SOURCE_DATE_EPOCH=1700000000
py=/usr/bin/python3

# ours_list SRC SESSION: "type mode uid gid size path[ -> target]" of every node, from
# burnfs ls -lR (directories without a size: readers disagree on it)
ours_list() {
	"$BURNFS" ls -lR --session "$2" "$1" >"$t/ls.out" 2>"$t/ls.err" || fail "ls -lR $1 --session $2: $(cat "$t/ls.err")"
	$py - "$t/ls.out" <<'EOF'
import sys
cur = None
for line in open(sys.argv[1], encoding="utf-8", errors="surrogateescape"):
    line = line.rstrip("\n")
    if not line:
        continue
    if line.endswith(":") and line.startswith("/"):
        cur = line[:-1].rstrip("/")
        continue
    f = line.split(None, 7)
    mode, uid, gid, size, name = f[0], f[2], f[3], f[4], f[7]
    if mode[0] == "l":
        name, _, target = name.partition(" -> ")
        print(mode, uid, gid, "-", cur + "/" + name, "->", target)
    else:
        print(mode, uid, gid, "-" if mode[0] == "d" else size, cur + "/" + name)
EOF
}

# theirs_list IMAGE SESSION_START: the same from xorriso -find -exec lsdl
theirs_list() {
	xorriso -load sbsector "$2" -indev "$1" -find / -exec lsdl 2>/dev/null | $py -c '
import sys, shlex
for line in sys.stdin:
    f = line.split(None, 8)
    mode, uid, gid, size = f[0], f[2], f[3], f[4]
    rest = shlex.split(f[8])
    path = rest[0]
    if path == "/":
        continue
    if mode[0] == "l":
        print(mode, uid, gid, "-", path, "->", rest[2])
    else:
        print(mode, uid, gid, "-" if mode[0] == "d" else size, path)
'
}

# check_list SRC IMAGE SESSION_NUMBER SESSION_START: ls -lR equals xorriso's listing
check_list() {
	ours_list "$1" "$3" | sort >"$t/ours" || fail "ours_list"
	theirs_list "$2" "$4" | sort >"$t/theirs"
	[ -s "$t/theirs" ] || [ ! -s "$t/ours" ] || fail "xorriso lists nothing at $4 of $2"
	diff "$t/theirs" "$t/ours" >"$t/diff" ||
		fail "ls -lR of $1 session $3 differs from xorriso's (< xorriso, > ours): $(head -20 "$t/diff")"
}

# check_extract SRC IMAGE SESSION_NUMBER SESSION_START: extract / equals xorriso's
# extraction: content byte for byte, symlinks, modes and modification times
check_extract() {
	rm -rf "$t/xo" "$t/ex"
	xorriso -osirrox on -load sbsector "$4" -indev "$2" -extract / "$t/xo" >/dev/null 2>&1 ||
		fail "xorriso -extract at $4 of $2"
	"$BURNFS" extract --session "$3" "$1" / -o "$t/ex" 2>"$t/ex.err" || fail "extract $1 session $3: $(cat "$t/ex.err")"
	# diff compares no FIFOs: the same ones in both, then out of the way
	(cd "$t/xo" && find . -type p | sort) >"$t/p.xo"
	(cd "$t/ex" && find . -type p | sort) >"$t/p.ex"
	cmp -s "$t/p.xo" "$t/p.ex" || fail "FIFOs differ: $(diff "$t/p.xo" "$t/p.ex")"
	diff -r --no-dereference -x fifo "$t/xo" "$t/ex" >"$t/diff" || fail "extracted trees differ: $(head "$t/diff")"
	(cd "$t/xo" && find . -mindepth 1 ! -type l -printf '%p %m %TY-%Tm-%Td %TH:%TM:%.2TS\n' | sort) >"$t/m.xo"
	(cd "$t/ex" && find . -mindepth 1 ! -type l -printf '%p %m %TY-%Tm-%Td %TH:%TM:%.2TS\n' | sort) >"$t/m.ex"
	diff "$t/m.xo" "$t/m.ex" >"$t/diff" || fail "modes or times differ (< xorriso): $(head "$t/diff")"
}

# starts IMAGE: the session starts xorriso -toc reports, one per line
starts() {
	xorriso -indev "$1" -toc 2>/dev/null | awk -F, '/^ISO session/ {gsub(/ /, "", $2); print $2}'
}

# our_starts ARGS: the session starts burnfs sessions --json reports
our_starts() {
	"$BURNFS" sessions --json "$@" | $py -c 'import json,sys; [print(s["start"]) for s in json.load(sys.stdin)["sessions"]]'
}

# damage IMAGE OUT CASE: a genisoimage -R image of /abc, /xy, /sub/deeper/f, changed:
#   loop-root  /sub's record names the root's block    loop-up  /sub/deeper's names /sub's
#   names      Rock Ridge NM "abc" made "a/c", "xy" made "..", "esc" made "e<ESC>/"
damage() {
	$py - "$1" "$2" "$3" <<'EOF'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
def records(lba):
    blk, o = lba * 2048, 0
    while o < 2048 and d[blk + o]:
        nl = d[blk + o + 32]
        yield blk + o, bytes(d[blk + o + 33:blk + o + 33 + nl])
        o += d[blk + o]
def ext(at):
    return struct.unpack("<I", d[at + 2:at + 6])[0]
def set_ext(at, lba):
    d[at + 2:at + 10] = struct.pack("<I", lba) + struct.pack(">I", lba)
root = struct.unpack("<I", d[16 * 2048 + 158:16 * 2048 + 162])[0]
sub = next(a for a, n in records(root) if n == b"SUB")
if sys.argv[3] == "loop-root":
    set_ext(sub, root)
elif sys.argv[3] == "loop-up":
    deeper = next(a for a, n in records(ext(sub)) if n == b"DEEPER")
    set_ext(deeper, ext(sub))
else:
    for old, new in ((b"NM\x08\x01\x00abc", b"NM\x08\x01\x00a/c"), (b"NM\x07\x01\x00xy", b"NM\x07\x01\x00.."),
                     (b"NM\x08\x01\x00esc", b"NM\x08\x01\x00e\x1b/")):
        i = d.find(old)
        assert i > 0, old
        d[i:i + len(old)] = new
open(sys.argv[2], "wb").write(d)
EOF
}

# a source tree with what extraction must keep: hard links, a symlink, a FIFO, modes, depth
make_src() {
	mkdir -p "$1/sub/deeper" "$1/ro"
	echo one >"$1/one"
	ln "$1/one" "$1/hard"
	ln -s one "$1/link"
	ln -s ../../nowhere "$1/sub/up"
	mkfifo "$1/fifo"
	head -c 300001 /dev/urandom >"$1/sub/deeper/big"
	printf 'x' >"$1/ro/file"
	chmod 0640 "$1/one"
	chmod 0555 "$1/ro"
	chmod 4755 "$1/sub/deeper/big"
	touch -d @1500000000 "$1/sub/deeper/big" "$1/one"
}

case ${1:-} in
burnfs)
	need xorriso
	make_src "$t/s1"
	mkdir -p "$t/s2/new" "$t/s3"
	echo two >"$t/s2/new/two"
	head -c 5000 /dev/urandom >"$t/s3/three"
	"$BURNFS" vdrive create --media bd-r "$t/d" >/dev/null || fail create
	for s in s1 s2 s3; do
		"$BURNFS" burn "$t/$s" --drive "vdrive:$t/d" 2>"$t/err" || fail "burn $s: $(cat "$t/err")"
	done
	"$BURNFS" vdrive export "$t/d" -o "$t/disc.iso" >/dev/null || fail export
	mapfile -t ours < <(our_starts --drive "vdrive:$t/d")
	mapfile -t img < <(our_starts "$t/disc.iso")
	[ "${#ours[@]}" = 3 ] || fail "sessions --drive: ${ours[*]}"
	[ "${ours[*]}" = "${img[*]}" ] || fail "drive ${ours[*]} and image ${img[*]} differ"
	for i in 1 2 3; do
		s=${ours[$((i - 1))]}
		check_list "--drive=vdrive:$t/d" "$t/disc.iso" "$i" "$s"
		check_list "$t/disc.iso" "$t/disc.iso" "$i" "$s"
		check_extract "--drive=vdrive:$t/d" "$t/disc.iso" "$i" "$s"
	done
	# the hard link kept (xorriso's extraction does not keep them), the FIFO a FIFO
	rm -rf "$t/ex"
	"$BURNFS" extract "$t/disc.iso" --session 1 /one /sub /fifo -o "$t/ex" 2>/dev/null || fail "extract files"
	[ -f "$t/ex/one" ] && [ -p "$t/ex/fifo" ] && [ -u "$t/ex/sub/deeper/big" ] || fail "extract of /one /sub /fifo"
	cmp "$t/s1/sub/deeper/big" "$t/ex/sub/deeper/big" || fail "big differs"
	rm -rf "$t/ex"
	"$BURNFS" extract "$t/disc.iso" --session 1 / -o "$t/ex" 2>/dev/null || fail "extract /"
	[ "$(stat -c %i "$t/ex/one")" = "$(stat -c %i "$t/ex/hard")" ] || fail "hard link not kept"
	# the counts of every session are xorriso's (session 3 holds only regular files)
	for i in 1 2 3; do
		s=${ours[$((i - 1))]}
		nd=$(xorriso -load sbsector "$s" -indev "$t/disc.iso" -find / -type d 2>/dev/null | wc -l)
		nf=$(xorriso -load sbsector "$s" -indev "$t/disc.iso" -find / 2>/dev/null | wc -l)
		"$BURNFS" sessions --json "$t/disc.iso" | $py -c "
import json,sys; s=json.load(sys.stdin)['sessions'][$i-1]
assert s['files'] == $nf - $nd and s['directories'] == $nd - 1, s
assert s['tree'] == 'udf' and 'rockridge' in s['file_systems'], s" ||
			fail "sessions --json of session $i: not $((nf - nd)) files and $((nd - 1)) directories"
	done
	;;
xorriso)
	need xorriso
	make_src "$t/s1"
	mkdir -p "$t/s2"
	echo two >"$t/s2/two"
	xorriso -dev "$t/x.img" -map "$t/s1" /a -commit >/dev/null 2>&1 || fail "xorriso 1"
	xorriso -dev "$t/x.img" -map "$t/s2" /b -commit >/dev/null 2>&1 || fail "xorriso 2"
	# a third session with zisofs files (xorriso's filter): extracted inflated
	mkdir -p "$t/s3" && yes hello | head -c 200000 >"$t/s3/comp" && seq 1 50000 >"$t/s3/seq"
	xorriso -dev "$t/x.img" -map "$t/s3" /z -set_filter_r --zisofs /z -- -commit >/dev/null 2>&1 ||
		fail "xorriso 3"
	want=$(starts "$t/x.img" | tr '\n' ' ')
	got=$(our_starts "$t/x.img" | tr '\n' ' ')
	[ "$want" = "$got" ] || fail "session starts: xorriso '$want', ours '$got'"
	[ "$(echo "$want" | wc -w)" = 3 ] || fail "xorriso lists '$want'"
	"$BURNFS" extract "$t/x.img" /z -o "$t/z" 2>/dev/null && cmp "$t/s3/comp" "$t/z/z/comp" &&
		cmp "$t/s3/seq" "$t/z/z/seq" || fail "zisofs files not inflated"
	# Rock Ridge and Joliet trees that disagree: a file hidden from Joliet, a directory
	# hidden from Rock Ridge; a warning, the Rock Ridge tree read
	mkdir -p "$t/j/d" && echo 1 >"$t/j/one" && echo 2 >"$t/j/d/two"
	xorriso -outdev "$t/j1.iso" -joliet on -map "$t/j" / -hide joliet /one -- >/dev/null 2>&1 || fail "j1"
	xorriso -outdev "$t/j2.iso" -joliet on -map "$t/j" / -hide iso_rr /d -- >/dev/null 2>&1 || fail "j2"
	for j in j1 j2; do
		"$BURNFS" sessions "$t/$j.iso" >"$t/out" 2>"$t/err" || fail "sessions $j"
		grep -q "^burnfs sessions: session 1: the trees disagree: .*the Rock Ridge tree is used" "$t/err" &&
			grep -q "rockridge tree" "$t/out" || fail "$j: no warning: $(cat "$t/err")"
	done
	"$BURNFS" sessions "$t/x.img" 2>"$t/err" >/dev/null && [ ! -s "$t/err" ] || fail "a warning where the trees agree: $(cat "$t/err")"
	i=0
	for s in $want; do
		i=$((i + 1))
		check_list "$t/x.img" "$t/x.img" "$i" "$s"
		check_extract "$t/x.img" "$t/x.img" "$i" "$s"
	done
	;;
genisoimage)
	need xorriso
	need genisoimage
	make_src "$t/s1"
	rm -f "$t/s1/fifo" # genisoimage 1.1.11 writes FIFOs, but not every reader agrees on them
	# its UDF bridge writes a symbolic link as an empty regular file: the UDF tree is read,
	# and the disagreement with Rock Ridge is said
	mkdir -p "$t/g"
	echo x >"$t/g/f"
	ln -s f "$t/g/l"
	genisoimage -quiet -R -udf -o "$t/g.iso" "$t/g" 2>/dev/null || fail "genisoimage -udf"
	"$BURNFS" sessions "$t/g.iso" >"$t/out" 2>"$t/err" || fail "sessions of -udf: $(cat "$t/err")"
	grep -q "udf tree" "$t/out" && grep -q "the trees disagree: UDF has 2 files (2 regular).*Rock Ridge 2 files (1 regular)" "$t/err" ||
		fail "UDF and Rock Ridge disagreeing not said: $(cat "$t/out" "$t/err")"
	mkdir -p "$t/s2"
	echo two >"$t/s2/two"
	genisoimage -quiet -R -J -o "$t/g1.iso" "$t/s1" 2>/dev/null || fail "genisoimage 1"
	n=$(($(stat -c %s "$t/g1.iso") / 2048))
	genisoimage -quiet -R -J -C "0,$n" -M "$t/g1.iso" -o "$t/g2.iso" "$t/s2" 2>/dev/null || fail "genisoimage 2"
	cp "$t/g1.iso" "$t/g.iso" && cat "$t/g2.iso" >>"$t/g.iso"
	got=$(our_starts "$t/g.iso" | tr '\n' ' ')
	[ "$got" = "0 $n " ] || fail "genisoimage -C sessions: '$got', want '0 $n '"
	check_list "$t/g.iso" "$t/g.iso" 1 0
	check_list "$t/g.iso" "$t/g.iso" 2 "$n"
	check_extract "$t/g.iso" "$t/g.iso" 2 "$n"
	# -M carries session 1's files into session 2: ls shows both
	"$BURNFS" ls "$t/g.iso" | grep -qx two || fail "session 2 lacks two"
	"$BURNFS" ls "$t/g.iso" | grep -qx one || fail "session 2 lacks one (from -M)"
	# two link groups of empty files with the same attributes (without PX serial numbers
	# their inode is the shared block of no data): two groups of two, by genisoimage and
	# by xorriso, not one of four
	mkdir "$t/hl" && : >"$t/hl/e1" && ln "$t/hl/e1" "$t/hl/e1b" && : >"$t/hl/e2" &&
		ln "$t/hl/e2" "$t/hl/e2b" && touch -r "$t/hl/e1" "$t/hl/e2" || fail "link groups"
	genisoimage -quiet -R -o "$t/hl1.iso" "$t/hl" 2>/dev/null || fail "genisoimage hl"
	xorriso -as mkisofs -R -o "$t/hl2.iso" "$t/hl" >/dev/null 2>&1 || fail "xorriso hl"
	for i in hl1 hl2; do
		"$BURNFS" extract "$t/$i.iso" / -o "$t/$i" 2>/dev/null || fail "extract $i"
		[ "$(stat -c %h "$t/$i"/e1 "$t/$i"/e1b "$t/$i"/e2 "$t/$i"/e2b | tr '\n' ' ')" = "2 2 2 2 " ] ||
			fail "$i: link groups merged: $(stat -c '%n %i %h' "$t/$i"/*)"
	done
	# the session alone in its file, made for block n: read as the disc's blocks from n on
	got=$(our_starts "$t/g2.iso" | tr '\n' ' ')
	[ "$got" = "$n " ] || fail "a session made for block $n alone: '$got'"
	"$BURNFS" ls "$t/g2.iso" | grep -qx two || fail "the later session alone: ls"
	"$BURNFS" image "$t/s2" --start-lba 1000 -o "$t/later.iso" 2>/dev/null || fail "image --start-lba"
	[ "$(our_starts "$t/later.iso")" = 1000 ] || fail "burnfs image --start-lba 1000: $(our_starts "$t/later.iso")"
	"$BURNFS" extract "$t/later.iso" /two -o "$t/later" 2>/dev/null && cmp "$t/s2/two" "$t/later/two" ||
		fail "extract from a --start-lba image"
	;;
fixtures)
	need xorriso
	for f in iso-multi-0-174-348-genisoimage udf-multi-0-417-834-genisoimage; do
		xz -dc "$fixtures/$f.img.xz" >"$t/$f.img" || fail "unpack $f"
		got=$(our_starts "$t/$f.img" | tr '\n' ' ')
		want=$(echo "$f" | sed -E 's/^[a-z]+-multi-([0-9]+)-([0-9]+)-([0-9]+)-.*/\1 \2 \3 /')
		[ "$got" = "$want" ] || fail "$f: sessions '$got', want '$want'"
		i=0
		for s in $want; do
			i=$((i + 1))
			vol=$(xorriso -load sbsector "$s" -indev "$t/$f.img" -pvd_info 2>/dev/null |
				sed -n 's/^Volume Id *: *//p')
			"$BURNFS" sessions --json "$t/$f.img" | $py -c "
import json,sys; s=json.load(sys.stdin)['sessions'][$i-1]
assert s['volume_id'] == '''$vol''', (s['volume_id'], '''$vol''')" || fail "$f session $i volume id"
			check_list "$t/$f.img" "$t/$f.img" "$i" "$s"
		done
	done
	"$BURNFS" sessions "$t/udf-multi-0-417-834-genisoimage.img" | grep -c "iso9660,udf" | grep -qx 3 ||
		fail "UDF not seen beside ISO 9660 in the three sessions"
	# UDF only, on write-once media: mkudffs' three sessions (their partition spans the
	# whole disc, not the file: not cut short), and Nero's BD-R with its one file
	f=udf-multi-0-320-640-mkudffs
	xz -dc "$fixtures/$f.img.xz" >"$t/$f.img" || fail "unpack $f"
	got=$(our_starts "$t/$f.img" | tr '\n' ' ')
	[ "$got" = "0 320 640 " ] || fail "$f: sessions '$got', want '0 320 640 '"
	"$BURNFS" sessions "$t/$f.img" | grep -c ", udf, .*udf tree" | grep -qx 3 || fail "$f: not three UDF trees"
	# every UDF fixture (optical and hard-disc images, 512- to 4096-byte blocks) is found as
	# a UDF session and lists
	for f in "$fixtures"/udf*.img.xz; do
		n=$(basename "$f" .img.xz)
		xz -dc "$f" >"$t/$n.img" || fail "unpack $n"
		timeout 20 "$BURNFS" sessions --json "$t/$n.img" >"$t/out" 2>"$t/err" || fail "$n: sessions: $(cat "$t/err")"
		$py -c "
import json,sys; s=json.load(open(sys.argv[1]))['sessions']
assert s and all('udf' in x['file_systems'] for x in s) and s[-1]['tree'] == 'udf', s" "$t/out" ||
			fail "$n: not read as UDF: $(cat "$t/out")"
		timeout 20 "$BURNFS" ls -R "$t/$n.img" >/dev/null 2>"$t/err" || fail "$n: ls -R: $(cat "$t/err")"
		rm -f "$t/$n.img"
	done
	# a UDF-only volume's name is its logical volume identifier, as udfinfo reads it
	f=udf-hdd-mkudffs-2.2
	xz -dc "$fixtures/$f.img.xz" >"$t/$f.img" || fail "unpack $f"
	want=$(udfinfo "$t/$f.img" 2>/dev/null | sed -n 's/^lvid=//p')
	[ -z "$want" ] || "$BURNFS" sessions --json "$t/$f.img" | $py -c "
import json,sys; s=json.load(sys.stdin)['sessions'][0]
assert s['volume_id'] == sys.argv[1], (s['volume_id'], sys.argv[1])" "$want" || fail "$f: volume id, udfinfo says '$want'"
	f=udf-bdr-2.60-nero
	xz -dc "$fixtures/$f.img.xz" >"$t/$f.img" || fail "unpack $f"
	"$BURNFS" ls -R "$t/$f.img" >"$t/out" 2>"$t/err" || fail "$f: ls: $(cat "$t/err")"
	[ "$(grep -vc '^$' "$t/out")" -ge 2 ] || fail "$f: $(cat "$t/out")"
	;;
udf)
	udfls=${BURNFS_BUILD:-}/tests/interop/udfread-ls
	[ -x "$udfls" ] || { echo "SKIP: no udfread-ls (libudfread)" >&2; exit 77; }
	mkdir -p "$t/u/dir/deeper" "$t/u/empty"
	head -c 300000 /dev/urandom >"$t/u/dir/deeper/big"
	printf 'x' >"$t/u/one"
	: >"$t/u/zero"
	ln "$t/u/one" "$t/u/dir/hard"
	printf 'caf\xc3\xa9' >"$t/u/dir/$(printf 'caf\xc3\xa9 \xe2\x82\xac')"
	for rev in 1.02 2.01 2.50; do
		"$BURNFS" image "$t/u" -o "$t/u.iso" --fs udf --udf-rev "$rev" -q || fail "image $rev"
		"$BURNFS" sessions --json "$t/u.iso" | $py -c "
import json,sys; s=json.load(sys.stdin)['sessions'][0]
assert s['tree'] == 'udf' and s['file_systems'] == ['udf'] and s['files'] == 6, s" ||
			fail "UDF $rev: sessions --json: $("$BURNFS" sessions "$t/u.iso" 2>&1)"
		rm -rf "$t/ex"
		"$BURNFS" extract "$t/u.iso" / -o "$t/ex" 2>"$t/err" || fail "extract UDF $rev: $(cat "$t/err")"
		diff -r --no-dereference -x .burnfs "$t/u" "$t/ex" >&2 || fail "UDF $rev: extracted tree differs"
		[ "$(stat -c %i "$t/ex/one")" = "$(stat -c %i "$t/ex/dir/hard")" ] || fail "UDF $rev: hard link"
		"$udfls" "$t/u.iso" | awk '$1 == "f" { print $2, $3 }' | sort >"$t/want" || fail "udfread-ls $rev"
		find "$t/ex" -type f -exec sh -c 'for f; do printf "%s %s\n" "$(stat -c %s "$f")" \
			"$(sha256sum <"$f" | cut -d" " -f1)"; done' sh {} + | sort >"$t/got"
		cmp -s "$t/want" "$t/got" || fail "UDF $rev: libudfread and our extraction differ: $(diff "$t/want" "$t/got")"
	done
	# a symbolic link's size is its target's length (UDF records its path components')
	mkdir -p "$t/sl"
	ln -s ../some/target "$t/sl/link"
	ln -s /abs "$t/sl/abs"
	"$BURNFS" image "$t/sl" -o "$t/sl.iso" --fs udf -q || fail "image of links"
	"$BURNFS" ls -l "$t/sl.iso" >"$t/out" 2>&1 || fail "ls -l of links: $(cat "$t/out")"
	grep -Eq "^l.* 14 [0-9-]+ [0-9:]+ link -> \.\./some/target$" "$t/out" &&
		grep -Eq "^l.* 4 [0-9-]+ [0-9:]+ abs -> /abs$" "$t/out" || fail "UDF link sizes: $(cat "$t/out")"
	;;
hostile)
	make_src "$t/s1"
	"$BURNFS" image "$t/s1" -o "$t/a.iso" 2>/dev/null || fail image
	mkfifo "$t/fifo"
	mkdir "$t/adir"
	for bad in "$t/fifo" "$t/adir" /dev/null; do
		timeout 10 "$BURNFS" ls "$bad" >"$t/out" 2>"$t/err"
		rc=$?
		[ "$rc" = 1 ] || fail "ls $bad: exit $rc"
		grep -q "^burnfs ls: .*not a disc image" "$t/err" || fail "ls $bad: $(cat "$t/err")"
	done
	# a cut image: its first session, and the second of two packed
	n=$(($(stat -c %s "$t/a.iso") / 2048))
	head -c $((2048 * (n / 2))) "$t/a.iso" >"$t/cut1.iso"
	"$BURNFS" image "$t/s1" --start-lba "$n" -o "$t/b.iso" 2>/dev/null || fail "image 2"
	cat "$t/a.iso" "$t/b.iso" | head -c $((2048 * (n + n / 2))) >"$t/cut2.iso"
	for c in cut1 cut2; do
		"$BURNFS" sessions "$t/$c.iso" >"$t/out" 2>"$t/err" && fail "$c: listed"
		grep -q "cut short" "$t/err" || fail "$c: $(cat "$t/err")"
	done
	# sessions past the end, and not numbers
	for s in 2 99; do
		"$BURNFS" ls --session "$s" "$t/a.iso" >"$t/out" 2>"$t/err"
		[ $? = 1 ] && grep -q "^burnfs ls: no session $s: the medium has 1 session" "$t/err" ||
			fail "--session $s: $(cat "$t/err")"
	done
	for s in 0 -1 x; do
		"$BURNFS" ls --session "$s" "$t/a.iso" >"$t/out" 2>"$t/err"
		[ $? = 2 ] || fail "--session $s: not a usage error"
	done
	# PATHs with . or ..: refused before anything is written
	for p in /../etc ../x /sub/../../x ./one /sub/.; do
		rm -rf "$t/o"
		"$BURNFS" extract "$t/a.iso" "$p" -o "$t/o" >"$t/out" 2>"$t/err"
		[ $? = 2 ] && grep -q "^burnfs extract: .*'\.' or '\.\.'" "$t/err" || fail "extract $p: $(cat "$t/err")"
		[ -e "$t/o" ] && fail "extract $p made $t/o"
	done
	# a DIR that holds something (a file, a dot file): refused, untouched
	for f in keep .hidden; do
		rm -rf "$t/o" && mkdir "$t/o" && echo mine >"$t/o/$f"
		"$BURNFS" extract "$t/a.iso" / -o "$t/o" >"$t/out" 2>"$t/err" && fail "extract into a full DIR"
		grep -q "not empty" "$t/err" && [ "$(cat "$t/o/$f")" = mine ] && [ "$(ls -A "$t/o")" = "$f" ] ||
			fail "full DIR: $(cat "$t/err")"
	done
	# overlapping PATHs: the second is said, nothing overwritten
	rm -rf "$t/o"
	"$BURNFS" extract "$t/a.iso" /one /one /sub /sub -o "$t/o" >"$t/out" 2>"$t/err" && fail "overlap: exit 0"
	[ "$(grep -c "exists already, not overwritten" "$t/err")" = 2 ] || fail "overlap: $(cat "$t/err")"
	# damaged trees: a directory that is its own ancestor, two ways; hostile names
	if command -v genisoimage >/dev/null; then
		mkdir -p "$t/h/sub/deeper" && echo 1 >"$t/h/abc" && echo 2 >"$t/h/xy" && echo 3 >"$t/h/sub/deeper/f" &&
			echo 4 >"$t/h/esc"
		genisoimage -quiet -R -o "$t/h.iso" "$t/h" 2>/dev/null || fail "genisoimage"
		for c in loop-root loop-up; do
			damage "$t/h.iso" "$t/$c.iso" "$c" || fail "damage $c"
			for cmd in "ls -R" "extract / -o $t/o.$c" sessions; do
				# the image first, then the command's other words
				# shellcheck disable=SC2086
				timeout 20 "$BURNFS" ${cmd%% *} "$t/$c.iso" ${cmd#"${cmd%% *}"} >"$t/out" 2>"$t/err"
				[ $? = 1 ] && grep -q "^burnfs ${cmd%% *}: .*met a second time (a loop)" "$t/err" ||
					fail "$cmd $c: $(cat "$t/err")"
			done
		done
		damage "$t/h.iso" "$t/names.iso" names || fail "damage names"
		"$BURNFS" ls "$t/names.iso" >"$t/out" 2>"$t/err" || fail "ls names"
		[ "$(tr '\n' ' ' <"$t/out")" = 'a_c e\x1b_ sub ' ] || fail "names: ls shows $(cat -v "$t/out")"
		grep -q "read as 'e\\\\x1b_'" "$t/err" && ! grep -q "$(printf '\033')" "$t/err" ||
			fail "names: the warning is not escaped: $(cat -v "$t/err")"
		rm -rf "$t/p" && mkdir "$t/p"
		"$BURNFS" extract "$t/names.iso" / -o "$t/p/o" 2>/dev/null || fail "extract names"
		[ "$(ls -A "$t/p")" = o ] && [ "$(find "$t/p/o" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort | tr '\n' ' ')" = "a_c $(printf 'e\033_') sub " ] &&
			[ "$(cat "$t/p/o/a_c")" = 1 ] || fail "names: extracted $(ls -AR "$t/p")"
	fi
	# symlinks pointing out of DIR are made as links, never followed: nothing outside
	rm -rf "$t/o" "$t/nowhere"
	"$BURNFS" extract "$t/a.iso" /sub -o "$t/o" 2>/dev/null || fail "extract /sub"
	[ -L "$t/o/sub/up" ] && [ ! -e "$t/nowhere" ] || fail "symlink up"
	;;
usage)
	for c in sessions ls extract; do
		"$BURNFS" "$c" --help >"$t/out" 2>"$t/err" || fail "$c --help: exit $?"
		grep -q "^Usage: burnfs $c" "$t/out" && [ ! -s "$t/err" ] || fail "$c --help"
		"$BURNFS" "$c" >"$t/out" 2>"$t/err"
		[ $? = 2 ] && [ ! -s "$t/out" ] && grep -q "^burnfs $c: no disc given: --drive D or an IMAGE" "$t/err" ||
			fail "$c without a disc: $(cat "$t/err")"
		"$BURNFS" "$c" --bogus x >"$t/out" 2>"$t/err"
		[ $? = 2 ] && grep -q "^burnfs $c: unknown option '--bogus'" "$t/err" || fail "$c --bogus"
	done
	"$BURNFS" --help | grep -q "burnfs sessions" || fail "burnfs --help lacks sessions"
	make_src "$t/s1"
	mkdir "$t/s1/$(printf 'bad\001name')"
	"$BURNFS" image "$t/s1" -o "$t/a.iso" 2>/dev/null || fail image
	"$BURNFS" extract "$t/a.iso" / >"$t/out" 2>"$t/err"
	[ $? = 2 ] && grep -q "^burnfs extract: no output directory given: -o DIR" "$t/err" || fail "extract without -o"
	"$BURNFS" extract "$t/a.iso" -o "$t/o" >"$t/out" 2>"$t/err"
	[ $? = 2 ] && grep -q "^burnfs extract: no PATH given" "$t/err" || fail "extract without PATH"
	"$BURNFS" ls "$t/a.iso" / /sub >"$t/out" 2>"$t/err"
	[ $? = 2 ] && grep -q "^burnfs ls: one PATH at most" "$t/err" || fail "ls with two PATHs"
	"$BURNFS" ls "$t/a.iso" | grep -qx 'bad\\x01name' || fail "ls does not escape a control character"
	"$BURNFS" sessions --json "$t/a.iso" | $py -c 'import json,sys; json.load(sys.stdin)' ||
		fail "sessions --json is not one JSON document"
	"$BURNFS" ls "$t/a.iso" /nothing >"$t/out" 2>"$t/err"
	[ $? = 1 ] && grep -q "^burnfs ls: .*/nothing.*on the disc" "$t/err" ||
		fail "ls /nothing: $(cat "$t/err")"
	;;
*)
	fail "unknown case '${1:-}'"
	;;
esac
exit 0
