#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# image.sh CASE: `burnfs image` end to end on generated trees (see the cases below).
set -u
: "${BURNFS:?}"
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-it.XXXXXX")
trap 'chmod -R u+rwx "$t" 2>/dev/null; rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
small_tree() {
	mkdir -p "$1/d/e"
	echo one >"$1/a"
	echo two >"$1/d/b"
	ln -s ../a "$1/d/link"
}
# no output and no temporary file may be left in $1
no_leftovers() {
	[ -z "$(ls -A "$1")" ] || fail "left behind: $(ls -A "$1")"
}
# sparse_cmp A B: cmp of two sparse files that reads only where either holds data (SEEK_DATA):
# every other byte is in a hole of both, which reads as zeros (cmp of two 9.5 GiB images of
# mostly holes read 19 GiB of zeros: 48 s of image-big's wall time)
sparse_cmp() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import os, sys

def data(fd, size):
    off, out = 0, []
    while off < size:
        try:
            start = os.lseek(fd, off, os.SEEK_DATA)
        except OSError:  # ENXIO: only a hole from off to the end
            break
        off = os.lseek(fd, start, os.SEEK_HOLE)
        out.append((start, off))
    return out

fds = [os.open(p, os.O_RDONLY) for p in sys.argv[1:3]]
sizes = [os.fstat(fd).st_size for fd in fds]
if sizes[0] != sizes[1]:
    sys.exit(f"sparse_cmp: sizes differ: {sizes[0]} != {sizes[1]}")
end = -1
for start, stop in sorted(data(fds[0], sizes[0]) + data(fds[1], sizes[1])):
    start = max(start, end)
    while start < stop:
        n = min(stop - start, 1 << 20)
        if os.pread(fds[0], n, start) != os.pread(fds[1], n, start):
            sys.exit(f"sparse_cmp: {sys.argv[1]} and {sys.argv[2]} differ in bytes {start}..{start + n}")
        start += n
    end = max(end, stop)
PY
}

case $1 in
deterministic)
	export SOURCE_DATE_EPOCH=1700000000
	/usr/bin/python3 "$here/../interop/mktree.py" "$t/src"
	"$BURNFS" image -q "$t/src" -o "$t/1.iso" || fail "first build"
	cp -a "$t/src" "$t/src2" # new inodes, new ctimes and atimes
	"$BURNFS" image -q "$t/src2" -o "$t/2.iso" || fail "second build"
	cmp "$t/1.iso" "$t/2.iso" || fail "two builds differ"
	"$BURNFS" image -q --media bd "$t/src" -o "$t/3.iso" || fail "bd build"
	"$BURNFS" image -q --media bd "$t/src2" -o "$t/4.iso" || fail "bd build 2"
	cmp "$t/3.iso" "$t/4.iso" || fail "two bd builds differ"
	# the ways of writing an image file give the same bytes, with and without the manifest:
	# straight around the page cache (the default), straight through it, the stream
	"$BURNFS" image -q --no-manifest "$t/src" -o "$t/7.iso" || fail "no manifest"
	for p in direct buffered stream; do
		BURNFS_IMAGE_PATH=$p "$BURNFS" image -q --no-manifest "$t/src" -o "$t/5.iso" || fail "$p"
		cmp "$t/7.iso" "$t/5.iso" || fail "$p path differs without the manifest"
		BURNFS_IMAGE_PATH=$p "$BURNFS" image -q "$t/src" -o "$t/5.iso" || fail "$p"
		cmp "$t/1.iso" "$t/5.iso" || fail "$p path differs with the manifest"
	done
	# the default image carries the manifest; --manifest changes nothing
	"$BURNFS" image -q --manifest "$t/src" -o "$t/8.iso" || fail "--manifest"
	cmp "$t/1.iso" "$t/8.iso" || fail "--manifest differs from the default"
	"$BURNFS" verify "$t/1.iso" 2>"$t/err" || fail "default image: verify: $(cat "$t/err")"
	"$BURNFS" verify "$t/7.iso" 2>"$t/err" && fail "--no-manifest image has a manifest"
	grep -q "no manifest" "$t/err" || fail "no manifest: $(cat "$t/err")"
	# -o -: the same bytes streamed to a pipe (holes written as zeros)
	for p in "" "--no-manifest" "--media bd"; do
		# shellcheck disable=SC2086
		"$BURNFS" image -q $p "$t/src" -o "$t/f.iso" || fail "$p -o FILE"
		# shellcheck disable=SC2086
		a=$("$BURNFS" image -q $p "$t/src" -o - | sha256sum) || fail "$p -o -"
		[ "$a" = "$(sha256sum <"$t/f.iso")" ] || fail "$p: -o - differs from -o FILE"
	done
	;;
manifest)
	# the manifest, read through xorriso (Rock Ridge) and 7z (UDF), checks with sha256sum -c
	command -v xorriso >/dev/null || exit 77
	export SOURCE_DATE_EPOCH=1700000000
	/usr/bin/python3 "$here/../interop/mktree.py" "$t/src" --no-symlinks
	printf x >"$t/src/back\\slash"
	printf y >"$t/src/new
line"
	"$BURNFS" image -q --manifest "$t/src" -o "$t/m.iso" || fail "build"
	xorriso -osirrox on -indev "$t/m.iso" -extract / "$t/rr" >/dev/null 2>&1 ||
		fail "xorriso extract"
	[ -f "$t/rr/.burnfs/SHA256SUMS" ] || fail "no manifest in the image"
	n=$(find "$t/src" -type f -printf x | wc -c)
	[ "$(grep -vc '^#' "$t/rr/.burnfs/SHA256SUMS")" -eq "$n" ] || fail "manifest lines != $n files"
	(cd "$t/rr" && sha256sum --strict --quiet -c .burnfs/SHA256SUMS) ||
		fail "sha256sum -c --strict (Rock Ridge)"
	# chunks of whole blocks, each closed by one comment line at a block's end; the trailer
	/usr/bin/python3 - "$t/rr/.burnfs/SHA256SUMS" <<-'EOF' || fail "manifest not chunked"
		import sys
		b = open(sys.argv[1], 'rb').read()
		assert len(b) % 2048 == 0 and len(b) >= 2048, len(b)
		off, comments = 0, 0
		for line in b.split(b'\n')[:-1]:
		    off += len(line) + 1
		    if line.startswith(b'#'):
		        comments += 1
		        assert off % 2048 == 0, ('padding not at a block end', off)
		assert comments >= 2, comments
		assert b[-2048:].startswith(b'# burnfs: the manifest of the session at block 0 ')
	EOF
	# a changed byte is caught
	f=$(find "$t/rr" -type f -size +0 ! -path '*/.burnfs/*' | sort | head -1)
	chmod u+w "$f"
	printf '\377' | dd of="$f" bs=1 seek=0 conv=notrunc status=none
	(cd "$t/rr" && sha256sum --quiet -c .burnfs/SHA256SUMS >/dev/null 2>&1) &&
		fail "corruption not caught"
	# the source may not hold /.burnfs
	mkdir "$t/src/.burnfs"
	"$BURNFS" image -q --manifest "$t/src" -o "$t/n.iso" 2>"$t/err" && fail "reserved name accepted"
	grep -q "reserved" "$t/err" || fail "unclear error: $(cat "$t/err")"
	;;
start-lba)
	# a session addressed at block 1000 (the NWA of an appended session), read with the
	# session offset by isoinfo (Rock Ridge and Joliet) and udfinfo
	command -v isoinfo >/dev/null && command -v udfinfo >/dev/null || exit 77
	export SOURCE_DATE_EPOCH=1700000000
	small_tree "$t/src"
	head -c 300000 /dev/urandom >"$t/src/d/e/data"
	"$BURNFS" image -q "$t/src" -o "$t/0.iso" || fail "build"
	"$BURNFS" image -q --start-lba 0 "$t/src" -o "$t/00.iso" || fail "build at 0"
	cmp "$t/0.iso" "$t/00.iso" || fail "--start-lba 0 differs from the default"
	"$BURNFS" image -q --start-lba 1000 "$t/src" -o "$t/s.iso" || fail "build at 1000"
	[ "$(stat -c %s "$t/s.iso")" = "$(stat -c %s "$t/0.iso")" ] || fail "sizes differ"
	isoinfo -i "$t/s.iso" -N 1000 -R -x /d/e/data >"$t/rr" || fail "isoinfo RR"
	cmp "$t/rr" "$t/src/d/e/data" || fail "Rock Ridge content at offset"
	isoinfo -i "$t/s.iso" -N 1000 -J -x /d/b >"$t/j" || fail "isoinfo Joliet"
	cmp "$t/j" "$t/src/d/b" || fail "Joliet content at offset"
	isoinfo -i "$t/s.iso" -N 1000 -R -l | grep -q "link -> ../a" || fail "symlink at offset"
	{ head -c $((1000 * 2048)) /dev/zero; cat "$t/s.iso"; } >"$t/disc.img"
	udfinfo --startblock=1000 "$t/disc.img" >"$t/ui" 2>&1 || fail "udfinfo: $(cat "$t/ui")"
	grep -qi warn "$t/ui" && fail "udfinfo warns: $(cat "$t/ui")"
	grep -q "start=1016, blocks=6, type=VRS" "$t/ui" || fail "UDF VRS not at 1016: $(cat "$t/ui")"
	"$BURNFS" image -q --start-lba x "$t/src" -o "$t/x.iso" 2>/dev/null; [ $? = 2 ] || fail "bad --start-lba accepted"
	;;
verify)
	# burnfs verify against the manifest and against the tree; a flipped byte is named
	export SOURCE_DATE_EPOCH=1700000000
	/usr/bin/python3 "$here/../interop/mktree.py" "$t/src" --no-wide
	printf 'MARKER-%s' "$(seq 1 500 | tr -d '\n')" >"$t/src/marked"
	"$BURNFS" image -q --manifest "$t/src" -o "$t/m.iso" || fail "build"
	"$BURNFS" verify "$t/m.iso" >"$t/out" 2>"$t/err" || fail "verify: $(cat "$t/out" "$t/err")"
	grep -q "differ" "$t/err" || fail "no summary: $(cat "$t/err")"
	"$BURNFS" verify "$t/m.iso" --against "$t/src" >"$t/out" 2>&1 || fail "verify --against: $(cat "$t/out")"
	"$BURNFS" verify --json "$t/m.iso" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["ok"] and j["files_ok"] > 50 and j["files_bad"] == 0, j' || fail "json"
	cp "$t/m.iso" "$t/bad.iso"
	off=$(grep -obUaP "MARKER-1234" "$t/bad.iso" | head -1 | cut -d: -f1)
	[ -n "$off" ] || fail "marker not found in the image"
	printf 'X' | dd of="$t/bad.iso" bs=1 seek=$((off + 3)) conv=notrunc status=none
	"$BURNFS" verify "$t/bad.iso" >"$t/out" 2>&1 && fail "a flipped byte passed"
	grep -q "^/marked: content differs from the manifest" "$t/out" || fail "file not named: $(cat "$t/out")"
	[ "$(grep -c "differs" "$t/out")" = 1 ] || fail "more than one file reported: $(cat "$t/out")"
	"$BURNFS" verify "$t/bad.iso" --against "$t/src" >"$t/out" 2>&1 && fail "--against passed a flipped byte"
	grep -q "^/marked: content differs from the source" "$t/out" || fail "--against: $(cat "$t/out")"
	echo new >"$t/src/added"
	rm "$t/src/marked"
	"$BURNFS" verify "$t/m.iso" --against "$t/src" >"$t/out" 2>&1 && fail "--against passed a changed tree"
	grep -q "^/added: in the source, not on the disc" "$t/out" || fail "missing not named: $(cat "$t/out")"
	grep -q "^/marked: on the disc, not in the source" "$t/out" || fail "extra not named: $(cat "$t/out")"
	"$BURNFS" image -q --no-manifest "$t/src" -o "$t/plain.iso" || fail "build without manifest"
	"$BURNFS" verify "$t/plain.iso" 2>"$t/err" && fail "no manifest passed"
	grep -q "no manifest" "$t/err" || fail "unclear: $(cat "$t/err")"
	head -c 100000 /dev/urandom >"$t/junk.iso"
	"$BURNFS" verify "$t/junk.iso" 2>"$t/err"
	[ $? = 1 ] || fail "junk: wrong exit code"
	grep -q "volume descriptor" "$t/err" || fail "junk: unclear: $(cat "$t/err")"
	;;
json)
	small_tree "$t/src"
	out=$("$BURNFS" image --json "$t/src" -o "$t/x.iso") || fail "build"
	echo "$out" | /usr/bin/python3 -c '
import json, os, sys
j = json.load(sys.stdin)
assert j["blocks"] * 2048 == os.path.getsize(sys.argv[1]), j
assert j["file_systems"] == ["iso9660", "joliet", "rockridge", "udf"], j
assert j["files"] == 3 and j["directories"] == 4 and j["symlinks"] == 1, j  # with /.burnfs/
assert j["udf_revision"] == "1.02" and j["iso_level"] == 2, j
' "$t/x.iso" || fail "json summary: $out"
	out=$("$BURNFS" image --json --no-manifest "$t/src" -o "$t/y.iso") || fail "build"
	echo "$out" | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["files"] == 2 and j["directories"] == 3 and j["symlinks"] == 1, j
' || fail "json summary without the manifest: $out"
	out=$("$BURNFS" image --json --media cd "$t/src" -o "$t/cd.iso") || fail "cd"
	echo "$out" | grep -q '"file_systems": \["iso9660", "joliet", "rockridge"\]' || fail "cd: $out"
	out=$("$BURNFS" image --json --media bd "$t/src" -o "$t/bd.iso") || fail "bd"
	echo "$out" | grep -q '"iso_level": 3, "udf_revision": "2.50"' || fail "bd: $out"
	out=$("$BURNFS" image --json --fs udf "$t/src" -o "$t/u.iso") || fail "udf only"
	echo "$out" | grep -q '"file_systems": \["udf"\]' || fail "udf only: $out"
	;;
graft-exclude)
	small_tree "$t/src"
	echo x >"$t/src/skip.tmp"
	"$BURNFS" image -q "$t/src" --graft "$t/src/a=/deep/er/copy" --exclude '*.tmp' \
		--volid MYDISC -o "$t/x.iso" || fail "build"
	l=$(xorriso -indev "$t/x.iso" -find / 2>/dev/null)
	echo "$l" | grep -q "^'/deep/er/copy'$" || fail "graft missing: $l"
	echo "$l" | grep -q skip.tmp && fail "exclude ignored"
	isoinfo -d -i "$t/x.iso" | grep -q 'Volume id: MYDISC' || fail "volid"
	;;
usage)
	small_tree "$t/src"
	mkdir "$t/out"
	"$BURNFS" image "$t/src" 2>/dev/null; [ $? = 2 ] || fail "no -o: want 2"
	"$BURNFS" image --media floppy "$t/src" -o "$t/out/x" 2>/dev/null; [ $? = 2 ] || fail "bad media"
	"$BURNFS" image --fs ntfs "$t/src" -o "$t/out/x" 2>/dev/null; [ $? = 2 ] || fail "bad fs"
	"$BURNFS" image --udf-rev 3.0 "$t/src" -o "$t/out/x" 2>/dev/null; [ $? = 2 ] || fail "bad rev"
	"$BURNFS" frobnicate 2>/dev/null; [ $? = 2 ] || fail "bad command"
	# --help: that command's usage on stdout, exit 0; usage errors name what is missing
	for c in image verify; do
		"$BURNFS" $c --help >"$t/help" 2>"$t/err" || fail "$c --help: exit $?"
		grep -q "^Usage: burnfs $c " "$t/help" || fail "$c --help: $(head -3 "$t/help")"
		[ -s "$t/err" ] && fail "$c --help wrote to stderr: $(cat "$t/err")"
		"$BURNFS" $c --frobnicate "$t/src" -o "$t/out/x" >"$t/o" 2>"$t/err"
		[ $? = 2 ] || fail "$c: unknown option: want 2"
		grep -q "^burnfs $c: unknown option '--frobnicate'" "$t/err" || fail "$c: $(cat "$t/err")"
		[ -s "$t/o" ] && fail "$c: usage error on stdout"
	done
	"$BURNFS" image "$t/src" 2>"$t/err"; [ $? = 2 ] || fail "no -o: want 2"
	grep -q "^burnfs image: no output given (-o OUT" "$t/err" || fail "no -o: $(cat "$t/err")"
	"$BURNFS" image -o "$t/out/x" 2>"$t/err"; [ $? = 2 ] || fail "no SRC: want 2"
	grep -q "^burnfs image: no SRC given" "$t/err" || fail "no SRC: $(cat "$t/err")"
	"$BURNFS" image "$t/src" -o 2>"$t/err"; [ $? = 2 ] || fail "-o without argument: want 2"
	grep -q "^burnfs image: -o needs an argument" "$t/err" || fail "-o: $(cat "$t/err")"
	"$BURNFS" verify 2>"$t/err"; [ $? = 2 ] || fail "verify without IMAGE: want 2"
	grep -q "^burnfs verify: no IMAGE given" "$t/err" || fail "verify: $(cat "$t/err")"
	"$BURNFS" verify a b 2>"$t/err"; [ $? = 2 ] || fail "verify a b: want 2"
	"$BURNFS" verify --session 2>"$t/err"; [ $? = 2 ] || fail "verify --session: want 2"
	grep -q "^burnfs verify: --session needs an argument" "$t/err" || fail "verify: $(cat "$t/err")"
	"$BURNFS" image --json "$t/src" -o - >/dev/null 2>"$t/err"; [ $? = 2 ] || fail "--json -o -"
	# -o - refuses a terminal (script gives the command one)
	if command -v script >/dev/null; then
		script -qec "'$BURNFS' image -q '$t/src' -o -; echo rc=\$?" /dev/null >"$t/tty" 2>&1
		grep -q "standard output is a terminal" "$t/tty" || fail "-o - on a tty: $(head -c 300 "$t/tty")"
		grep -q "rc=2" "$t/tty" || fail "-o - on a tty: $(head -c 300 "$t/tty")"
	fi
	SOURCE_DATE_EPOCH=soon "$BURNFS" image "$t/src" -o "$t/out/x" 2>/dev/null; [ $? = 2 ] || fail "bad SDE"
	"$BURNFS" image "$t/nonexistent" -o "$t/out/x" 2>"$t/err"; [ $? = 1 ] || fail "missing src"
	grep -q "nonexistent" "$t/err" || fail "message does not name the path: $(cat "$t/err")"
	no_leftovers "$t/out"
	;;
unreadable)
	command -v setpriv >/dev/null || exit 77
	[ "$(id -u)" = 0 ] || exit 77
	small_tree "$t/src"
	echo secret >"$t/src/d/locked"
	chmod 000 "$t/src/d/locked"
	mkdir "$t/out"
	chmod 777 "$t/out" "$t"
	chmod -R a+rX "$t/src"
	chmod 000 "$t/src/d/locked"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BURNFS" image -q "$t/src" -o "$t/out/x.iso" 2>"$t/err"
	rc=$?
	[ $rc = 1 ] || fail "unreadable file: exit $rc, want 1"
	grep -q "d/locked" "$t/err" || fail "message does not name the file: $(cat "$t/err")"
	no_leftovers "$t/out"
	chmod 000 "$t/src/d/e"
	chmod 644 "$t/src/d/locked"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BURNFS" image -q "$t/src" -o "$t/out/x.iso" 2>"$t/err"
	rc=$?
	[ $rc = 1 ] || fail "unreadable directory: exit $rc"
	grep -q "d/e" "$t/err" || fail "message does not name the directory: $(cat "$t/err")"
	no_leftovers "$t/out"
	;;
changed)
	# a file that changes while the image is made: exit 1, named, nothing left behind. The
	# stream reads files in order: one big sparse file first (12 GiB of zeros to hash, slow
	# enough). The direct path's two lanes take a file each: two big ones keep them busy.
	mkdir -p "$t/src" "$t/out"
	for p in stream direct; do
		rm -rf "${t:?}/src"/*
		truncate -s 12G "$t/src/a_big"
		[ $p = direct ] && truncate -s 4G "$t/src/a_big" "$t/src/b_big"
		echo before >"$t/src/z_changes"
		BURNFS_IMAGE_PATH=$p "$BURNFS" image -q "$t/src" -o "$t/out/x.iso" 2>"$t/err" &
		pid=$!
		sleep 0.5
		echo "after, longer" >"$t/src/z_changes"
		wait $pid
		rc=$?
		[ $rc = 1 ] || fail "$p: changed file: exit $rc, want 1 ($(cat "$t/err"))"
		grep -q "z_changes': changed" "$t/err" || fail "$p: message: $(cat "$t/err")"
		no_leftovers "$t/out"
	done
	;;
interrupt)
	# SIGINT during the stream path (--manifest: hashing 12 GiB of zeros) and during the
	# direct path (copying a 4 GiB allocated file inside the kernel): exit 130, no output
	mkdir -p "$t/src" "$t/out" "$t/src2"
	truncate -s 12G "$t/src/a_big"
	fallocate -l 4G "$t/src2/a_big" 2>/dev/null || head -c 1G /dev/zero >"$t/src2/a_big"
	for args in "--manifest $t/src" "--no-manifest $t/src2"; do
		# shellcheck disable=SC2086
		"$BURNFS" image -q $args -o "$t/out/x.iso" 2>"$t/err" &
		pid=$!
		sleep 0.3
		kill -INT $pid
		wait $pid
		rc=$?
		[ $rc = 130 ] || fail "interrupt ($args): exit $rc, want 130 ($(cat "$t/err"))"
		no_leftovers "$t/out"
	done
	;;
loops)
	small_tree "$t/src"
	ln -s . "$t/src/d/self"
	ln -s ../.. "$t/src/d/e/up"
	"$BURNFS" image -q "$t/src" -o "$t/x.iso" || fail "symlinked directory loops are recorded as links"
	xorriso -indev "$t/x.iso" -find /d/self -exec lsdl 2>/dev/null | grep -q -- "-> '.'" || fail "loop link"
	ln -s loop2 "$t/loop1"
	ln -s loop1 "$t/loop2"
	mkdir "$t/out"
	"$BURNFS" image -q "$t/loop1" -o "$t/out/y.iso" 2>"$t/err"
	rc=$?
	[ $rc = 3 ] || fail "source symlink loop: exit $rc, want 3"
	grep -q loop1 "$t/err" || fail "message: $(cat "$t/err")"
	no_leftovers "$t/out"
	;;
clash)
	small_tree "$t/src"
	echo other >"$t/other"
	mkdir "$t/out"
	"$BURNFS" image -q "$t/src" --graft "$t/other=/a" -o "$t/out/x.iso" 2>"$t/err"
	rc=$?
	[ $rc = 3 ] || fail "clash: exit $rc, want 3"
	grep -q "'/a'" "$t/err" || fail "message: $(cat "$t/err")"
	no_leftovers "$t/out"
	;;
many-dirs)
	mkdir -p "$t/src" "$t/out"
	(cd "$t/src" && seq -f 'd%05g' 0 65535 | xargs mkdir)
	"$BURNFS" image -q "$t/src" -o "$t/out/x.iso" 2>"$t/err"
	rc=$?
	[ $rc = 3 ] || fail "65536 directories: exit $rc, want 3"
	grep -q "more than 65535 directories" "$t/err" || fail "message: $(cat "$t/err")"
	no_leftovers "$t/out"
	"$BURNFS" image -q --fs udf "$t/src" -o "$t/out/u.iso" || fail "UDF alone has no path table limit"
	;;
big)
	# sparse 1 GiB, 4 GiB and 4.5 GiB files: level 3 multi-extent in ISO and Joliet,
	# UDF extents below 1 GiB; sizes and marker bytes as independent readers see them
	/usr/bin/python3 "$here/../interop/mktree.py" "$t/src" --big
	mkdir "$t/out"
	"$BURNFS" image -q --iso-level 2 "$t/src" -o "$t/out/l2.iso" 2>"$t/err"
	[ $? = 3 ] || fail "level 2 must refuse 4 GiB files"
	grep -q "sparse_4g" "$t/err" || fail "message: $(cat "$t/err")"
	no_leftovers "$t/out"
	export SOURCE_DATE_EPOCH=1700000000
	"$BURNFS" image -q --no-manifest "$t/src" -o "$t/big.iso" || fail "build"
	[ "$(du -k "$t/big.iso" | cut -f1)" -lt 65536 ] || fail "image of sparse files is not sparse"
	# both ways of writing the file: same bytes, both sparse (without the manifest, whose
	# hashes need the stream and would read 10 GiB of zeros)
	for p in direct stream; do
		BURNFS_IMAGE_PATH=$p "$BURNFS" image -q --no-manifest "$t/src" -o "$t/$p.iso" || fail "$p build"
		[ "$(du -k "$t/$p.iso" | cut -f1)" -lt 65536 ] || fail "$p: not sparse"
		sparse_cmp "$t/big.iso" "$t/$p.iso" || fail "$p path differs"
		rm "$t/$p.iso"
	done
	l=$(xorriso -indev "$t/big.iso" -find / -type f -exec lsdl 2>/dev/null)
	for f in "sparse_1g 1073741824" "sparse_4g 4294967296" "sparse_4g5 4831838208"; do
		set -- $f
		echo "$l" | grep -q " $2 .*'/$1'" || fail "xorriso size of $1: $l"
	done
	for rr in -R -J; do
		isoinfo $rr -l -i "$t/big.iso" >"$t/l" || fail "isoinfo $rr"
		for f in sparse_4g sparse_4g5; do
			[ "$(grep -c "$f" "$t/l")" -ge 2 ] || fail "isoinfo $rr: $f is not multi-extent"
		done
	done
	for off in 0 2147483648; do
		xorriso -osirrox on -indev "$t/big.iso" -extract_cut /sparse_4g5 $off 5 "$t/cut" >/dev/null 2>&1 || fail "extract_cut"
		want=$(dd if="$t/src/sparse_4g5" bs=1 skip=$off count=5 2>/dev/null | od -An -tx1)
		[ "$(od -An -tx1 "$t/cut")" = "$want" ] || fail "sparse_4g5 at $off differs"
		rm -f "$t/cut"
	done
	# across 4 GiB and at the end: one cut from 4 GiB - 3 to the end (xorriso took 20 to 50 s
	# for each 5-byte cut in the second extent, 5 s for the whole 512 MiB), compared whole
	from=4294967293
	xorriso -osirrox on -indev "$t/big.iso" -extract_cut /sparse_4g5 $from $((4831838208 - from)) \
		"$t/cut" >/dev/null 2>&1 || fail "extract_cut"
	cmp "$t/cut" <(tail -c +$((from + 1)) "$t/src/sparse_4g5") || fail "sparse_4g5 from $from differs"
	for off in 4294967293 4831838203; do
		[ "$(dd if="$t/cut" bs=1 skip=$((off - from)) count=5 2>/dev/null)" = "MARK$((off % 10))" ] ||
			fail "sparse_4g5 at $off: no marker"
	done
	rm -f "$t/cut"
	u=${BURNFS_BUILD:-}/tests/interop/udfread-ls
	if [ -x "$u" ]; then
		"$u" "$t/big.iso" >"$t/u" || fail "udfread-ls"
		# the SHA-256 of mktree.py's sparse files (zeros and four markers, the same each
		# time): sha256sum of the 9.5 GiB took 83 s; a change to mktree.py fails here
		for f in "sparse_1g 1073741824 6928fa9b3734c223c108047a6ded89552d03dcb455d2ef3657bdf74d417dcff2" \
			"sparse_4g 4294967296 75133198c81af5ec78467839b9a56fbbb02ef693c07509464aa7a7292320dac7" \
			"sparse_4g5 4831838208 d9bf068e70ec598322a6b77c250156c2f209057dd128b38b078c427ffa48e752"; do
			set -- $f
			grep -q "^f $2 $3 /$1\$" "$t/u" || fail "udfread: $1: $(cat "$t/u")"
		done
	fi
	udfinfo "$t/big.iso" >/dev/null 2>"$t/e" || fail "udfinfo"
	[ ! -s "$t/e" ] || fail "udfinfo warnings: $(cat "$t/e")"
	;;
xorriso-sessions)
	# a second session added by xorriso (libisofs writes its volume space size as the
	# session's own length, every address absolute): burnfs verify reads both sessions
	command -v xorriso >/dev/null || exit 77
	mkdir -p "$t/a" "$t/b/sub" "$t/ab"
	echo one >"$t/a/one"
	head -c 300000 /dev/urandom >"$t/b/sub/two"
	xorriso -outdev "stdio:$t/m.iso" -map "$t/a" / -commit >/dev/null 2>&1 || fail "xorriso session 1"
	xorriso -dev "stdio:$t/m.iso" -map "$t/b" / -commit >/dev/null 2>&1 || fail "xorriso session 2"
	starts=$(xorriso -indev "stdio:$t/m.iso" -toc 2>/dev/null | sed -n 's/^ISO session  : *[0-9]* , *\([0-9]*\) ,.*/\1/p' | tr '\n' ' ')
	set -- $starts
	[ $# = 2 ] || fail "xorriso made no second session: $starts"
	cp -r "$t/a/." "$t/b/." "$t/ab/"
	"$BURNFS" verify "$t/m.iso" --session "$1" --against "$t/a" >"$t/out" 2>&1 || fail "session 1: $(cat "$t/out")"
	"$BURNFS" verify "$t/m.iso" --session "$2" --against "$t/ab" >"$t/out" 2>&1 || fail "session 2: $(cat "$t/out")"
	;;
special-inputs)
	# special files where an image is expected: a clear error at once, naming what it is
	mkdir -p "$t/src" "$t/dir"
	mkfifo "$t/fifo"
	/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$t/sock"
	ln -s fifo "$t/link-to-fifo"
	for x in "fifo:FIFO" "link-to-fifo:FIFO" "sock:socket" "dir:directory" \
		"/dev/zero:character device" "/dev/null:character device"; do
		p=${x%%:*} what=${x#*:}
		case $p in /*) ;; *) p=$t/$p ;; esac
		timeout 10 "$BURNFS" verify "$p" >"$t/out" 2>"$t/err"
		rc=$?
		[ $rc = 1 ] || fail "verify $p: exit $rc, want 1 ($(cat "$t/err"))"
		grep -q "'$p': a $what.*, not a disc image" "$t/err" || fail "verify $p: $(cat "$t/err")"
		timeout 10 "$BURNFS" verify --json "$p" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
assert not j["ok"] and sys.argv[1] in j["error"], j' "$what" || fail "verify --json $p"
	done
	# burn asks whether a lone SRC is an image: a FIFO must not block that question
	"$BURNFS" vdrive create --media bd-re "$t/d" >/dev/null || fail create
	timeout 20 "$BURNFS" burn "$t/fifo" --drive "vdrive:$t/d" >/dev/null 2>"$t/err"
	[ $? = 124 ] && fail "burn FIFO hangs"
	grep -q "burning the image" "$t/err" && fail "a FIFO taken for an image: $(cat "$t/err")"
	# verify --drive --against asks whether the reference is an image: the same
	timeout 20 "$BURNFS" verify --drive "vdrive:$t/d" --against "$t/fifo" >/dev/null 2>"$t/err"
	rc=$?
	[ $rc = 124 ] && fail "verify --against FIFO hangs"
	[ $rc = 1 ] || fail "verify --against FIFO: exit $rc ($(cat "$t/err"))"
	# a block device is a legitimate image (root, loop devices)
	export SOURCE_DATE_EPOCH=1700000000
	echo one >"$t/src/a"
	"$BURNFS" image -q "$t/src" -o "$t/m.iso" || fail "image"
	if dev=$(losetup --find --show --read-only "$t/m.iso" 2>/dev/null); then
		"$BURNFS" verify "$dev" --against "$t/src" >"$t/out" 2>&1
		rc=$?
		losetup -d "$dev"
		[ $rc = 0 ] || fail "verify of a loop device: $(cat "$t/out")"
	fi
	;;
cut-short)
	# an image shorter than its own volume: verify and burn refuse it, before the drive
	# is written (the disc stays blank)
	export SOURCE_DATE_EPOCH=1700000000
	mkdir -p "$t/src"
	head -c 3000000 /dev/urandom >"$t/src/big"
	"$BURNFS" image -q --media bd "$t/src" -o "$t/a.iso" || fail "image"
	"$BURNFS" image -q --fs udf --media bd "$t/src" -o "$t/u.iso" || fail "udf image"
	n=$(($(stat -c %s "$t/a.iso") / 2048))
	head -c $((n * 2048 - 2048)) "$t/a.iso" >"$t/minus1.iso"
	head -c 1000000 "$t/a.iso" >"$t/half.iso"
	head -c $((300 * 2048)) "$t/u.iso" >"$t/udf-cut.iso"
	for x in "minus1:$((n - 1))" "half:488" "udf-cut:300"; do
		f=$t/${x%%:*}.iso have=${x#*:}
		"$BURNFS" verify "$f" >/dev/null 2>"$t/err"
		[ $? = 1 ] || fail "verify $f: want 1"
		grep -q "'$f': cut short: the file has $have blocks its volume says [0-9]*$" \
			<<<"$(sed 's/,//g' "$t/err")" || fail "verify $f: $(cat "$t/err")"
		rm -rf "$t/d"
		"$BURNFS" vdrive create --media bd-r "$t/d" >/dev/null || fail create
		"$BURNFS" burn "$f" --drive "vdrive:$t/d" >/dev/null 2>"$t/err"
		[ $? = 1 ] || fail "burn $f: want 1 ($(cat "$t/err"))"
		grep -q "cut short" "$t/err" || fail "burn $f: $(cat "$t/err")"
		"$BURNFS" vdrive info "$t/d" | grep -q "status: blank, 0 session" ||
			fail "burn $f wrote to the disc: $("$BURNFS" vdrive info "$t/d")"
	done
	# a session made for the next writable address (--start-lba), cut: refused too
	rm -rf "$t/d"
	"$BURNFS" vdrive create --media bd-r "$t/d" >/dev/null || fail create
	"$BURNFS" burn "$t/a.iso" --drive "vdrive:$t/d" >/dev/null 2>&1 || fail "first session"
	nwa=$("$BURNFS" info --drive "vdrive:$t/d" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["next_writable"])')
	"$BURNFS" image -q --media bd --start-lba "$nwa" "$t/src" -o "$t/b.iso" || fail "image b"
	m=$(($(stat -c %s "$t/b.iso") / 2048))
	head -c $(((m - 1) * 2048)) "$t/b.iso" >"$t/b1.iso"
	head -c $((m / 2 * 2048)) "$t/b.iso" >"$t/b2.iso"
	"$BURNFS" verify "$t/b.iso" 2>"$t/err"
	[ $? = 1 ] || fail "verify of a --start-lba session file: want 1"
	grep -q "made for a later block" "$t/err" || fail "verify b.iso: $(cat "$t/err")"
	before=$("$BURNFS" vdrive info "$t/d")
	for f in b1 b2; do
		"$BURNFS" burn "$t/$f.iso" --drive "vdrive:$t/d" >/dev/null 2>"$t/err"
		[ $? = 1 ] || fail "burn $f.iso: want 1 ($(cat "$t/err"))"
		grep -q "cut short: the file has [0-9,]* blocks, its volume says" "$t/err" || fail "burn $f.iso: $(cat "$t/err")"
		[ "$("$BURNFS" vdrive info "$t/d")" = "$before" ] || fail "burn $f.iso changed the disc"
	done
	"$BURNFS" burn "$t/b.iso" --drive "vdrive:$t/d" >/dev/null 2>"$t/err" || fail "burn b.iso: $(cat "$t/err")"
	;;
not-a-session)
	# inputs that hold no session: say what they are, not "cannot read block N"
	export SOURCE_DATE_EPOCH=1700000000
	mkdir -p "$t/src"
	echo one >"$t/src/a"
	"$BURNFS" image -q "$t/src" -o "$t/m.iso" || fail "image"
	n=$(($(stat -c %s "$t/m.iso") / 2048))
	: >"$t/empty"
	head -c 5000 "$t/m.iso" >"$t/short"
	head -c $((16 * 2048)) "$t/m.iso" >"$t/sixteen"
	head -c 100000 /dev/urandom >"$t/junk"
	for x in "empty:empty (0 bytes)" "short:5,000 bytes from block 0 on, fewer than the 17 blocks" \
		"sixteen:32,768 bytes from block 0 on, fewer than the 17 blocks" \
		"junk:no ISO 9660 or UDF volume descriptor at block 16"; do
		f=$t/${x%%:*} want=${x#*:}
		"$BURNFS" verify "$f" >/dev/null 2>"$t/err"
		[ $? = 1 ] || fail "verify $f: want 1"
		grep -qF "$want" "$t/err" || fail "verify $f: $(cat "$t/err")"
		grep -q "cannot read block" "$t/err" && fail "verify $f: $(cat "$t/err")"
	done
	# a UDF-only session (verify reads the ISO 9660 tree) and a UDF volume without anchor
	"$BURNFS" image -q --fs udf "$t/src" -o "$t/u.iso" || fail "udf image"
	"$BURNFS" verify "$t/u.iso" 2>"$t/err"
	[ $? = 1 ] || fail "udf-only: want 1"
	grep -q "a UDF-only session" "$t/err" || fail "udf-only: $(cat "$t/err")"
	/usr/bin/python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[256 * 2048:256 * 2048 + 2] = b"\0\0"
open(sys.argv[2], "wb").write(d)' "$t/u.iso" "$t/v.iso"
	"$BURNFS" verify "$t/v.iso" 2>"$t/err"
	[ $? = 1 ] || fail "no anchor: want 1"
	grep -q "a UDF volume without its anchor at block 256" "$t/err" || fail "no anchor: $(cat "$t/err")"
	for s in 99999999 "$n" $((n - 3)) 5; do
		"$BURNFS" verify "$t/m.iso" --session "$s" >/dev/null 2>"$t/err"
		[ $? = 1 ] || fail "--session $s: want 1"
		grep -q "cannot read block" "$t/err" && fail "--session $s: $(cat "$t/err")"
		if [ "$s" -ge "$n" ]; then
			grep -q "no session at block [0-9,]*: the image has $n blocks" "$t/err" ||
				fail "--session $s: $(cat "$t/err")"
		elif [ "$s" = 5 ]; then
			grep -q "no ISO 9660 or UDF volume descriptor at block 21 (block 16 of the session at block 5)" "$t/err" ||
				fail "--session $s: $(cat "$t/err")"
		else
			grep -q "fewer than the 17 blocks" "$t/err" || fail "--session $s: $(cat "$t/err")"
		fi
	done
	;;
output-is-source)
	# an output that is a source, or inside a source tree, however it is spelled: exit 2
	# naming both paths, before anything is written (sources unchanged, no temporary file)
	mkdir -p "$t/w/src/sub" "$t/w/other" "$t/bind"
	cd "$t/w" || fail cd
	echo precious >p.txt
	echo a >src/a.txt
	echo b >src/sub/b.txt
	ln -s src lnk
	ln src/a.txt hard
	before=$(find . -type f -exec sha256sum {} + | sort)
	check() { # check OUT SRCNAME ARGS...
		local out=$1 name=$2
		shift 2
		"$BURNFS" image -q "$@" -o "$out" 2>"$t/err"
		rc=$?
		[ $rc = 2 ] || fail "image $* -o $out: exit $rc, want 2 ($(cat "$t/err"))"
		grep -qF "'$out': the output" "$t/err" || fail "output not named: $(cat "$t/err")"
		grep -qF "'$name'" "$t/err" || fail "source not named: $(cat "$t/err")"
		[ "$(find . -type f -exec sha256sum {} + | sort)" = "$before" ] ||
			fail "image $* -o $out changed a file"
		[ -z "$(find . -name '*.burnfs-*')" ] || fail "temporary file left"
	}
	check p.txt p.txt p.txt
	check ./p.txt p.txt p.txt
	check "../w/p.txt" ./p.txt ./p.txt
	check "$t/w/p.txt" p.txt p.txt
	check src/a.txt src src
	check src/sub/new.iso src src
	check ./src/../src/sub/b.txt src src
	check lnk/sub/new.iso src src
	check lnk/a.txt src src
	check hard src/a.txt src
	check hard src/a.txt --graft src/a.txt=/x other
	check p.txt p.txt --graft p.txt=/deep/x other
	check src/new.iso src other --graft src=/s
	check src src src
	# a symlink to a source file as the output
	ln -s p.txt plink
	check plink p.txt p.txt
	rm plink
	# the output's directory is a source directory
	check new.iso . .
	# bind-mounted path of a source subdirectory (root only)
	if mount --bind src/sub "$t/bind" 2>/dev/null; then
		check "$t/bind/new.iso" src/sub src
		umount "$t/bind"
	fi
	# an existing output that is a device node, FIFO or socket is not replaced
	mkfifo "$t/fifo"
	/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$t/sock"
	nodes="$t/fifo $t/sock"
	mknod "$t/null" c 1 3 2>/dev/null && nodes="$nodes $t/null"
	for n in $nodes; do
		type=$(stat -c %F "$n")
		"$BURNFS" image -q src -o "$n" 2>"$t/err"
		[ $? = 2 ] || fail "-o $n: want 2 ($(cat "$t/err"))"
		grep -q "'$n': not a regular file" "$t/err" || fail "-o $n: $(cat "$t/err")"
		[ "$(stat -c %F "$n")" = "$type" ] || fail "-o $n replaced the $type"
	done
	# -o - with standard output appending to a source
	"$BURNFS" image -q p.txt -o - >>p.txt 2>"$t/err"
	[ $? = 2 ] || fail "-o - >>p.txt: want 2 ($(cat "$t/err"))"
	[ "$(cat p.txt)" = precious ] || fail "-o - >>p.txt wrote into the source"
	# not a source: accepted
	"$BURNFS" image -q src -o other/ok.iso || fail "a plain output refused"
	"$BURNFS" image -q --exclude '*.tmp' src -o other/ok.iso || fail "overwrite refused"
	;;
names-escaped)
	# hostile names in verify's problems: --json is one valid document holding them exactly
	# (path_b64 for names that are not UTF-8), text output has no raw control byte
	export SOURCE_DATE_EPOCH=1700000000
	mkdir -p "$t/src"
	/usr/bin/python3 - "$t/src" <<'PY'
import os, sys
d = os.fsencode(sys.argv[1])
for n in [b"new\nline", b"esc\x1b[31mred", b"ctl\x01x", b"bad\xff\xfeutf8", b'quo"te',
          b"back\\slash", b"c1\xc2\x9bcsi", b"caf\xc3\xa9"]:
    with open(os.path.join(d, n), "wb") as f:
        f.write(b"one " + n)
PY
	"$BURNFS" image -q "$t/src" -o "$t/m.iso" 2>"$t/err" || fail "image: $(cat "$t/err")"
	# every file changed: each name comes back as a problem
	for f in "$t/src"/*; do echo changed >>"$f"; done
	"$BURNFS" verify --json "$t/m.iso" --against "$t/src" >"$t/json" 2>"$t/err"
	[ $? = 1 ] || fail "verify --json: want 1"
	/usr/bin/python3 -m json.tool "$t/json" >/dev/null || fail "not one JSON document: $(cat -v "$t/json")"
	/usr/bin/python3 - "$t/json" "$t/src" <<'PY' || fail "json names: $(cat -v "$t/json")"
import base64, json, os, sys
j = json.load(open(sys.argv[1], "rb"))
want = {b"/" + n for n in os.listdir(os.fsencode(sys.argv[2]))}
got = set()
for p in j["problems"]:
    b = base64.b64decode(p["path_b64"]) if "path_b64" in p else p["path"].encode()
    got.add(b)
    assert ("path_b64" in p) == (b"\xff" in b), p
assert got == want, (got, want)
assert not j["ok"] and j["files_bad"] == len(want), j
PY
	"$BURNFS" verify "$t/m.iso" --against "$t/src" >"$t/text" 2>&1
	[ $? = 1 ] || fail "verify text: want 1"
	[ "$(wc -l <"$t/text")" = 9 ] || fail "one line per problem and a summary: $(cat -v "$t/text")"
	LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177\233\377]')" "$t/text" && fail "raw control bytes: $(cat -v "$t/text")"
	for w in 'new\nline' 'esc\x1b[31mred' 'ctl\x01x' 'bad\xff\xfeutf8' 'quo"te' 'back\\slash' \
		'c1\xc2\x9bcsi' 'café'; do
		grep -qF "/$w: " "$t/text" || fail "text: $w not shown: $(cat -v "$t/text")"
	done
	# the image command's own JSON (the output's name)
	out=$(printf 'o\033[1m\377.iso')
	"$BURNFS" image -q --json "$t/src" -o "$t/$out" >"$t/json" || fail "image --json"
	/usr/bin/python3 -m json.tool "$t/json" >/dev/null || fail "image --json: $(cat -v "$t/json")"
	;;
zisofs)
	# zisofs (Rock Ridge ZF) images by mkzftree + genisoimage -z and by xorriso's zisofs
	# filter: burnfs verify reads them as the source and as xorriso extracts them; damaged
	# headers, block pointers and zlib streams are reported per file, no crash, no hang
	command -v xorriso >/dev/null || exit 77
	mkdir -p "$t/src/d"
	seq 1 200000 >"$t/src/seq"
	seq 1 50000 >"$t/src/d/deep"
	head -c 300000 /dev/urandom >"$t/src/rand"
	: >"$t/src/empty"
	head -c 32768 /dev/zero >"$t/src/zeros32k"
	truncate -s 5M "$t/src/sparse"
	printf x >>"$t/src/sparse"
	{ seq 1 30000; head -c 100000 /dev/urandom; seq 1 30000; } >"$t/src/mixed"
	imgs=
	if command -v mkzftree >/dev/null && command -v genisoimage >/dev/null; then
		mkzftree "$t/src" "$t/zt" || fail mkzftree
		genisoimage -quiet -R -z -o "$t/g.iso" "$t/zt" || fail "genisoimage -z"
		imgs="g"
	fi
	xorriso -outdev "$t/x.iso" -map "$t/src" / -set_filter_r --zisofs / -- -commit >/dev/null 2>&1 ||
		fail "xorriso zisofs"
	imgs="$imgs x"
	for i in $imgs; do
		LC_ALL=C grep -qaP 'ZF.\x01pz' "$t/$i.iso" || fail "$i.iso has no ZF entry"
		"$BURNFS" verify "$t/$i.iso" --against "$t/src" >"$t/out" 2>&1 || fail "$i.iso: $(cat "$t/out")"
		rm -rf "$t/xt"
		xorriso -osirrox on -indev "$t/$i.iso" -extract / "$t/xt" >/dev/null 2>&1 || fail "extract $i"
		diff -r "$t/src" "$t/xt" >/dev/null || fail "xorriso's extraction of $i.iso differs from the source"
		"$BURNFS" verify "$t/$i.iso" --against "$t/xt" >"$t/out" 2>&1 || fail "$i.iso vs xorriso: $(cat "$t/out")"
	done
	# damage: each kind once, in the image of /seq
	for kind in ptr-past-end ptr-order zlib header-size huge-size block-size algorithm; do
		/usr/bin/python3 - "$t/x.iso" "$t/bad.iso" "$kind" "$(stat -c %s "$t/src/seq")" <<'PY' || fail "damage $kind"
import struct, sys
src, dst, kind, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
d = bytearray(open(src, "rb").read())
zf = d.find(b"ZF\x10\x01pz" + b"\x04\x0f" + struct.pack("<I", size))
if zf < 0:
    zf = d.find(b"ZF\x10\x01pz" + b"\x04\x10" + struct.pack("<I", size))
h = d.find(b"\x37\xe4\x53\x96\xc9\xdb\xd6\x07" + struct.pack("<I", size))
assert zf > 0 and h > 0, (zf, h)
p0, p1, p2 = struct.unpack_from("<III", d, h + 16)
if kind == "ptr-past-end":
    struct.pack_into("<I", d, h + 20, 0x7fffffff)
elif kind == "ptr-order":
    struct.pack_into("<II", d, h + 20, p2, p1)
elif kind == "zlib":
    for i in range(p0 + 8, min(p1, p0 + 40)):
        d[h + i] ^= 0x5a
elif kind == "header-size":
    struct.pack_into("<I", d, h + 8, size + 1)
elif kind == "huge-size":
    struct.pack_into("<I", d, h + 8, 0xffffffff)
    struct.pack_into("<I", d, zf + 8, 0xffffffff)
    struct.pack_into(">I", d, zf + 12, 0xffffffff)
elif kind == "block-size":
    d[zf + 7] = 20
    d[h + 13] = 20
elif kind == "algorithm":
    d[zf + 4:zf + 6] = b"xz"
open(dst, "wb").write(d)
PY
		timeout 60 "$BURNFS" verify "$t/bad.iso" --against "$t/src" >"$t/out" 2>"$t/err"
		rc=$?
		[ $rc = 1 ] || fail "$kind: exit $rc, want 1: $(cat "$t/out" "$t/err")"
		grep -q "Sanitizer\|runtime error" "$t/err" && fail "$kind: $(cat "$t/err")"
		case $kind in
		huge-size) grep -q "^/seq: size differs" "$t/out" || fail "$kind: $(cat "$t/out")" ;;
		*) grep -q "^/seq: cannot be read: '/*seq': .*zisofs" "$t/out" || fail "$kind: $(cat "$t/out" "$t/err")" ;;
		esac
		[ "$(wc -l <"$t/out")" = 1 ] || fail "$kind: other files reported: $(cat "$t/out")"
		# every file's content read by the reader alone: a clean error naming the file
		l=${BURNFS_BUILD:-}/tests/iso9660/isols
		if [ -x "$l" ]; then
			timeout 60 "$l" "$t/bad.iso" >/dev/null 2>"$t/err"
			rc=$?
			[ $rc = 1 ] || fail "isols $kind: exit $rc: $(cat "$t/err")"
			grep -q "'seq': .*zisofs" "$t/err" || fail "isols $kind: $(cat "$t/err")"
		fi
	done
	;;
*)
	echo "unknown case $1" >&2
	exit 2
	;;
esac
exit 0
