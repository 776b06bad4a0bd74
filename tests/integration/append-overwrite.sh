#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# append-overwrite.sh CASE: appends on overwritable media (DVD+RW, DVD-RAM, BD-RE virtual
# drives) and image files (burnfs image --append), issue 12 §3. Every reader of such a
# medium looks at block 0 (the descriptors at 16, the UDF anchor at 256): after each append
# the merged tree must be what xorriso, isoinfo, pycdlib, udfinfo, libudfread and burnfs see
# there, content byte for byte, and burnfs verify checks every session. Faults before the
# head rewrite (a write error, kill -9) leave the previous tree readable.
set -u
: "${BURNFS:?}"
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-aovw.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export SOURCE_DATE_EPOCH=1700000000
command -v xorriso >/dev/null || exit 77

# three sources: the third replaces a file of the first; $t/m1..m3 the merged trees
sources() {
	mkdir -p "$t/s1/d/e" "$t/s2/d" "$t/s3"
	echo one >"$t/s1/one"
	echo deep >"$t/s1/d/e/deep"
	head -c 700000 /dev/urandom >"$t/s1/d/big"
	head -c 3000000 /dev/urandom >"$t/s2/two"
	echo added >"$t/s2/d/added"
	echo "one, replaced in session 3" >"$t/s3/one"
	mkdir "$t/m1" "$t/m2" "$t/m3"
	cp -a "$t/s1/." "$t/m1/" && cp -a "$t/m1/." "$t/m2/" && cp -a "$t/s2/." "$t/m2/" &&
		cp -a "$t/m2/." "$t/m3/" && cp -a "$t/s3/." "$t/m3/" || fail "merged trees"
}

# check_udf IMG LABEL: udfinfo reads the volume at block 0 (its only warning, that the
# partition overlaps the newer sessions' descriptors, is expected: formats.md §5.1)
check_udf() {
	local out
	command -v udfinfo >/dev/null || { echo "$2: udfinfo skipped: not installed" >&2; return 0; }
	out=$(udfinfo "$1" 2>&1) || fail "$2: udfinfo: $out"
	out=$(printf '%s\n' "$out" | grep -i 'warn\|error' | grep -v 'Partition Space overlaps')
	[ -z "$out" ] || fail "$2: udfinfo: $out"
}

# check_newest IMG WANT LABEL [nopycdlib]: the tree seen from block 0 of IMG is WANT plus
# the manifest, for every reader. pycdlib is left out on BD (it cannot read UDF 2.50's
# metadata partition) and where the UDF partition does not start with a File Set Descriptor
# (pycdlib looks for it there, not where the volume says; a UDF-less session in the image)
check_newest() {
	local img=$1 want=$2 label=$3 readers r out rc
	rm -rf "$t/x" "$t/want" "$t/bx"
	xorriso -osirrox on -indev "$img" -extract / "$t/x" >/dev/null 2>&1 || fail "$label: xorriso extract"
	(cd "$t/x" && sha256sum --quiet -c .burnfs/SHA256SUMS) || fail "$label: sha256sum -c"
	diff -r --no-dereference -x .burnfs "$want" "$t/x" || fail "$label: xorriso's tree differs"
	cp -a "$want" "$t/want" && cp -a "$t/x/.burnfs" "$t/want/" || fail "$label: expected tree"
	readers="xorriso isoinfo-rr isoinfo-joliet udfread"
	[ "${4:-}" = nopycdlib ] || readers="$readers pycdlib-iso pycdlib-joliet pycdlib-rr"
	for r in $readers; do
		out=$(/usr/bin/python3 "$here/../interop/check.py" "$r" "$img" "$t/want" 2>&1)
		rc=$?
		case $rc in
		0) ;;
		77) echo "$label: $r skipped: $out" >&2 ;;
		*) fail "$label: $r: $out" ;;
		esac
	done
	check_udf "$img" "$label"
	"$BURNFS" ls -R "$img" >"$t/ls" 2>"$t/err" || fail "$label: burnfs ls: $(cat "$t/err")"
	for f in one two d/big d/e/deep d/added; do
		[ -e "$t/want/$f" ] || continue
		grep -q "^${f##*/}\$" "$t/ls" || fail "$label: burnfs ls -R lacks $f: $(cat "$t/ls")"
	done
	"$BURNFS" extract "$img" / -o "$t/bx" 2>"$t/err" || fail "$label: burnfs extract: $(cat "$t/err")"
	diff -r --no-dereference "$t/want" "$t/bx" || fail "$label: burnfs extract differs"
}

# sessions_are N LABEL IMG|--drive D: burnfs sessions lists N and verify checks N
sessions_are() {
	local n N=$1 LABEL=$2
	shift 2
	n=$("$BURNFS" sessions "$@" 2>/dev/null | grep -c '^session ')
	[ "$n" = "$N" ] || fail "$LABEL: $n sessions listed, not $N: $("$BURNFS" sessions "$@" 2>&1)"
	"$BURNFS" verify "$@" 2>"$t/verr" || fail "$LABEL: verify: $(cat "$t/verr")"
	# a session another program wrote carries our manifest over but has none of its own:
	# named, not checked
	n=$(grep -c '^burnfs verify: session [0-9]* at block [0-9]*: \([1-9][0-9]* files match, 0 differ, 0 missing\|.*has no manifest of its own.*: not checked\)$' "$t/verr")
	# an image of one session: the one-session summary
	[ "$N" = 1 ] && [ "$1" != --drive ] && grep -q '^burnfs verify: [1-9][0-9]* files match' "$t/verr" && n=1
	[ "$n" = "$N" ] || fail "$LABEL: verify checked $n sessions, not $N: $(cat "$t/verr")"
}

# media M: three burns onto a fresh overwritable virtual drive
media() {
	local m=$1 d="$t/$1" i bd='' nwa
	[ "$m" = bd-re ] && bd=nopycdlib
	sources
	"$BURNFS" vdrive create --media "$m" "$d" >/dev/null || fail "create $m"
	for i in 1 2 3; do
		nwa=$("$BURNFS" info --drive "vdrive:$d" --json | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["next_writable"])')
		"$BURNFS" burn "$t/s$i" --drive "vdrive:$d" 2>"$t/err" || fail "$m burn $i: $(cat "$t/err")"
		grep -q "session at block $nwa," "$t/err" || fail "$m burn $i not at info's $nwa: $(cat "$t/err")"
		[ "$i" = 1 ] || [ $((nwa % 32)) = 0 ] || fail "$m burn $i at $nwa"
		[ "$i" = 1 ] || grep -q "is carried over" "$t/err" || fail "$m burn $i: no merge: $(cat "$t/err")"
		"$BURNFS" vdrive export "$d" -o "$t/disc.iso" >/dev/null || fail "export $m"
		check_newest "$t/disc.iso" "$t/m$i" "$m after burn $i" $bd
		sessions_are $i "$m after burn $i" --drive "vdrive:$d"
		sessions_are $i "$m export after burn $i" "$t/disc.iso"
	done
	# an image file cannot become the head: refused before anything is written
	"$BURNFS" image -q "$t/s3" -o "$t/s3.iso" || fail "image s3"
	sum=$(sha256sum <"$t/disc.iso")
	"$BURNFS" burn "$t/s3.iso" --drive "vdrive:$d" 2>"$t/err" && fail "$m: an image burnt over sessions"
	grep -q "an image file is burnt onto a blank one only; burn the files instead" "$t/err" ||
		fail "$m: image refusal unclear: $(cat "$t/err")"
	"$BURNFS" vdrive export "$d" -o "$t/disc.iso" >/dev/null || fail "export $m"
	[ "$(sha256sum <"$t/disc.iso")" = "$sum" ] || fail "$m: a refused image burn changed the disc"
	# --new-tree: the same head rewrite, the disc's files left out of the new tree
	mkdir -p "$t/s4" && echo four >"$t/s4/four"
	"$BURNFS" burn "$t/s4" --new-tree --drive "vdrive:$d" 2>"$t/err" || fail "$m --new-tree: $(cat "$t/err")"
	"$BURNFS" vdrive export "$d" -o "$t/disc.iso" >/dev/null || fail "export $m"
	check_newest "$t/disc.iso" "$t/s4" "$m after --new-tree" $bd
	sessions_are 4 "$m after --new-tree" --drive "vdrive:$d"
}

# the previous tree (WANT) still what block 0 shows, by xorriso and burnfs ls
still_old() {
	rm -rf "$t/x"
	xorriso -osirrox on -indev "$1" -extract / "$t/x" >/dev/null 2>&1 || fail "$3: xorriso extract"
	diff -r --no-dereference -x .burnfs "$2" "$t/x" || fail "$3: the previous tree is not what block 0 shows"
	"$BURNFS" ls "$1" >"$t/ls" 2>"$t/err" || fail "$3: burnfs ls: $(cat "$t/err")"
	grep -q '^one$' "$t/ls" || fail "$3: burnfs ls: $(cat "$t/ls")"
}

# the drive d (one session of s1) after a failed append: the old tree, then a good append
# (a third argument: check_newest's fourth; a fourth: the sessions then, 2 by default)
after_failure() {
	local d=$1 label=$2
	"$BURNFS" vdrive fault "$d" clear >/dev/null || fail "$label: clear"
	"$BURNFS" vdrive export "$d" -o "$t/disc.iso" >/dev/null || fail "$label: export"
	still_old "$t/disc.iso" "$t/m1" "$label"
	"$BURNFS" burn "$t/s2" --drive "vdrive:$d" 2>"$t/err" || fail "$label: the next burn: $(cat "$t/err")"
	"$BURNFS" vdrive export "$d" -o "$t/disc.iso" >/dev/null || fail "$label: export"
	check_newest "$t/disc.iso" "$t/m2" "$label, next burn" "${3:-}"
	sessions_are "${4:-2}" "$label, next burn" --drive "vdrive:$d"
}

case $1 in
dvd+rw | dvd-ram | bd-re)
	media "$1"
	;;
image)
	# the same three appends onto an image file, grown in place
	sources
	"$BURNFS" image -q "$t/s1" -o "$t/a.iso" || fail "image 1"
	check_newest "$t/a.iso" "$t/m1" "image 1"
	for i in 2 3; do
		"$BURNFS" image --append "$t/a.iso" "$t/s$i" 2>"$t/err" || fail "append $i: $(cat "$t/err")"
		grep -q "burnfs image: session $i at block [0-9]*, " "$t/err" || fail "append $i: $(cat "$t/err")"
		check_newest "$t/a.iso" "$t/m$i" "image after append $i"
		sessions_are $i "image after append $i" "$t/a.iso"
	done
	# refused or failed appends leave the file byte for byte: a missing source, the image
	# inside a source, a file-size limit hit while writing (EFBIG), an interrupt
	sum=$(sha256sum <"$t/a.iso")
	"$BURNFS" image --append "$t/a.iso" "$t/nonexistent" 2>"$t/err" && fail "a missing source appended"
	[ "$(sha256sum <"$t/a.iso")" = "$sum" ] || fail "a refused append changed the image"
	mkdir -p "$t/box" && cp "$t/a.iso" "$t/box/b.iso"
	"$BURNFS" image --append "$t/box/b.iso" "$t/box" 2>"$t/err"
	[ $? = 2 ] || fail "the image inside its source: $(cat "$t/err")"
	[ "$(sha256sum <"$t/box/b.iso")" = "$sum" ] || fail "a refused append changed the image"
	head -c 5000000 /dev/urandom >"$t/s4big" && mkdir -p "$t/s4" && mv "$t/s4big" "$t/s4/big"
	limit=$(($(stat -c %s "$t/a.iso") / 1024 + 2048))
	(ulimit -f $limit; trap '' XFSZ; exec "$BURNFS" image --append "$t/a.iso" "$t/s4") 2>"$t/err" &&
		fail "an append past the file-size limit succeeded"
	grep -q "was left as it was" "$t/err" || fail "EFBIG: $(cat "$t/err")"
	[ "$(sha256sum <"$t/a.iso")" = "$sum" ] || fail "a failed append (EFBIG) changed the image"
	"$BURNFS" image --append "$t/a.iso" "$t/s4" --new-tree -o "$t/o.iso" 2>/dev/null
	[ $? = 2 ] || fail "--append with -o"
	"$BURNFS" image --append "$t/a.iso" 2>"$t/err"
	[ $? = 2 ] && grep -q "no SRC given" "$t/err" || fail "--append without SRC: $(cat "$t/err")"
	"$BURNFS" image "$t/s4" -o "$t/o.iso" --new-tree 2>"$t/err"
	[ $? = 2 ] && grep -q "\-\-new-tree is for --append IMAGE" "$t/err" || fail "--new-tree alone: $(cat "$t/err")"
	"$BURNFS" image --help | grep -q "^  --append IMAGE" || fail "--help lacks --append"
	[ "$(sha256sum <"$t/a.iso")" = "$sum" ] || fail "a usage error changed the image"
	;;
image-steps)
	# an append to an image file writes the changed UDF directories' entries over their
	# earlier ones after the head (engine/grow.h): killed right after the head, after the
	# entries, after their mirror, the image is readable (after the head: the ISO 9660 tree
	# the new one, the UDF tree still the earlier one; after the entries: the new tree for
	# every reader) and the next append works; an EIO at each of those steps leaves the
	# file byte for byte as it was (the entries, then the head put back). UDF 2.50 (--media
	# bd): a metadata file whose blocks keep their numbers
	sources
	"$BURNFS" image -q --media bd "$t/s1" -o "$t/a1.iso" || fail "image 1"
	rm -rf "$t/x1" && xorriso -osirrox on -indev "$t/a1.iso" -extract / "$t/x1" >/dev/null 2>&1 ||
		fail "extract image 1"
	sum=$(sha256sum <"$t/a1.iso")
	for step in head main mirror; do
		cp "$t/a1.iso" "$t/a.iso" || fail copy
		BURNFS_TEST_GROW_STOP="eio:$step" "$BURNFS" image --append "$t/a.iso" "$t/s2" 2>"$t/err" &&
			fail "eio after $step: the append succeeded"
		grep -q "stopped after" "$t/err" || fail "eio after $step: $(cat "$t/err")"
		[ "$(sha256sum <"$t/a.iso")" = "$sum" ] || fail "eio after $step: the image changed"
		BURNFS_TEST_GROW_STOP="kill:$step" "$BURNFS" image --append "$t/a.iso" "$t/s2" 2>"$t/err"
		[ $? = 137 ] || fail "kill after $step: not killed: $(cat "$t/err")"
		[ "$(sha256sum <"$t/a.iso")" != "$sum" ] || fail "kill after $step: nothing written"
		if [ $step = head ]; then
			still_new_iso=$(xorriso -indev "$t/a.iso" -find / -name two 2>/dev/null)
			[ -n "$still_new_iso" ] || fail "kill after head: the ISO 9660 tree is not the new one"
			out=$(/usr/bin/python3 "$here/../interop/check.py" udfread "$t/a.iso" "$t/x1" 2>&1)
			case $? in
			0) ;;
			77) echo "kill after head: udfread skipped: $out" >&2 ;;
			*) fail "kill after head: the UDF tree is not the earlier one: $out" ;;
			esac
			"$BURNFS" ls -R "$t/a.iso" >/dev/null 2>"$t/err" || fail "kill after head: burnfs ls: $(cat "$t/err")"
		else
			check_newest "$t/a.iso" "$t/m2" "kill after $step" nopycdlib
			sessions_are 2 "kill after $step" "$t/a.iso"
		fi
		"$BURNFS" image --append "$t/a.iso" "$t/s3" 2>"$t/err" || fail "kill after $step, next append: $(cat "$t/err")"
		check_newest "$t/a.iso" "$t/m3" "kill after $step, next append" nopycdlib
		sessions_are 3 "kill after $step, next append" "$t/a.iso"
	done
	;;
write-error)
	# a write error inside the new session, in its body and in its front (the descriptors
	# written after it), and in the head rewrite itself (block 16, the drive's sense said):
	# the previous tree stays what block 0 shows; the next burn works
	sources
	for at in body front head; do
		d="$t/$at"
		"$BURNFS" vdrive create --media dvd+rw "$d" >/dev/null || fail create
		"$BURNFS" burn "$t/s1" --drive "vdrive:$d" 2>/dev/null || fail "$at: burn 1"
		nwa=$("$BURNFS" info --drive "vdrive:$d" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["next_writable"])')
		case $nwa in '' | *[!0-9]*) fail "$at: info: no next session after burn 1 ($nwa)" ;; esac
		lba=$((nwa + 600))
		[ $at = front ] && lba=$((nwa + 17))
		[ $at = head ] && lba=16
		"$BURNFS" vdrive fault "$d" "write-error@$lba" || fail fault
		"$BURNFS" burn "$t/s2" --drive "vdrive:$d" 2>"$t/err" && fail "$at: write-error@$lba passed"
		grep -q "writing block $lba: WRITE(10) failed: write error" "$t/err" || fail "$at: $(cat "$t/err")"
		[ $at != head ] || grep -q "^burnfs burn: rewriting the head (blocks 16-[0-9]*): writing block 16: WRITE(10) failed: write error" "$t/err" ||
			fail "$at: $(cat "$t/err")"
		# a failed head rewrite leaves a whole session that readers of 0 do not see yet
		after_failure "$d" "write error in the $at at $lba" "" "$([ $at = head ] && echo 3 || echo 2)"
	done
	;;
xorriso)
	# growing taken in turns with xorriso on one image file: xorriso grows burnfs's image
	# (its in-session volume size relative, 150 blocks of padding after it), burnfs merges
	# xorriso's tree and grows it again, xorriso again: every session listed and checked,
	# every file there for every reader
	sources
	echo x1 >"$t/x1" && echo x2 >"$t/x2" && touch -d @1600000000 "$t/x1" "$t/x2" # xorriso keeps mtimes
	"$BURNFS" image -q "$t/s1" -o "$t/a.iso" || fail "image 1"
	"$BURNFS" image --append "$t/a.iso" "$t/s2" 2>/dev/null || fail "append 2"
	xorriso -dev "$t/a.iso" -map "$t/x1" /x1 -commit >/dev/null 2>&1 || fail "xorriso grows burnfs's image"
	sessions_are 3 "xorriso after burnfs" "$t/a.iso"
	"$BURNFS" image --append "$t/a.iso" "$t/s3" 2>"$t/err" || fail "append after xorriso: $(cat "$t/err")"
	grep -q "tree (session 3, rockridge) is carried over" "$t/err" || fail "not xorriso's tree merged: $(cat "$t/err")"
	cp -a "$t/x1" "$t/m3/" || fail copy
	check_newest "$t/a.iso" "$t/m3" "burnfs after xorriso" nopycdlib
	sessions_are 4 "burnfs after xorriso" "$t/a.iso"
	xorriso -dev "$t/a.iso" -map "$t/x2" /x2 -commit >/dev/null 2>&1 || fail "xorriso grows again"
	rm -rf "$t/x"
	xorriso -osirrox on -indev "$t/a.iso" -extract / "$t/x" >/dev/null 2>&1 || fail "xorriso extract"
	cp -a "$t/x2" "$t/m3/" || fail copy
	diff -r --no-dereference -x .burnfs "$t/m3" "$t/x" || fail "xorriso's last tree lacks files"
	sessions_are 5 "xorriso after burnfs after xorriso" "$t/a.iso"
	;;
head-verify)
	# the burn's verify reads the rewritten head back: a block of it that reads back
	# different (the descriptors at 16, the anchor at 256) fails the burn, naming it
	sources
	for at in 16 256; do
		d="$t/h$at"
		"$BURNFS" vdrive create --media dvd-ram "$d" >/dev/null || fail create
		"$BURNFS" burn "$t/s1" --drive "vdrive:$d" 2>/dev/null || fail "burn 1"
		"$BURNFS" vdrive fault "$d" "corrupt-read@$at" || fail fault
		"$BURNFS" burn "$t/s2" --drive "vdrive:$d" 2>"$t/err" && fail "corrupt head block $at passed"
		case $at in
		16) grep -q "verify: block 16 of the head reads back different" "$t/err" ;;
		256) grep -q "verify: the anchor at block 256 reads back different" "$t/err" ;;
		esac || fail "head block $at: $(cat "$t/err")"
	done
	;;
kill)
	# kill -9 of burnfs while it writes the session (a slow drive), at two moments
	sources
	head -c 20000000 /dev/urandom >"$t/s2/slow" # 4.4 s at 1x
	cp -a "$t/s2/slow" "$t/m2/" || fail copy
	for s in 1 3; do
		d="$t/k$s"
		"$BURNFS" vdrive create --media bd-re "$d" >/dev/null || fail create
		"$BURNFS" burn "$t/s1" --drive "vdrive:$d" 2>/dev/null || fail "burn 1"
		"$BURNFS" vdrive fault "$d" slow:1 || fail fault # 1x BD: 4.5 MB/s
		size=$(stat -c %s "$d/disc.img")
		"$BURNFS" burn "$t/s2" --drive "vdrive:$d" --verify none 2>"$t/err" &
		p=$!
		sleep $s
		kill -0 $p 2>/dev/null || fail "kill after $s s: burnfs already ended: $(cat "$t/err")"
		kill -9 $p
		wait $p 2>/dev/null
		# killed while writing: the disc holds blocks of the new session past the old end
		[ "$(stat -c %s "$d/disc.img")" -gt "$size" ] || fail "kill after $s s: nothing written yet"
		after_failure "$d" "kill -9 after $s s" nopycdlib
	done
	;;
kernel)
	# the Linux kernel's isofs and udf read the final image of a grown BD-RE from block 0
	sources
	d="$t/d"
	"$BURNFS" vdrive create --media bd-re "$d" >/dev/null || fail create
	for i in 1 2 3; do
		"$BURNFS" burn "$t/s$i" --drive "vdrive:$d" 2>"$t/err" || fail "burn $i: $(cat "$t/err")"
	done
	"$BURNFS" vdrive export "$d" -o "$t/disc.iso" >/dev/null || fail export
	check_newest "$t/disc.iso" "$t/m3" "bd-re after burn 3" nopycdlib
	# Linux udf hides files flagged hidden (its 'unhide' option shows them): the manifest
	cp -a "$t/want" "$t/want-udf" && rm -rf "$t/want-udf/.burnfs" || fail "udf's tree"
	for fs in rr udf; do
		w="$t/want"
		[ $fs = udf ] && w="$t/want-udf"
		out=$(/usr/bin/python3 "$here/../interop/check.py" "kernel-$fs" "$t/disc.iso" "$w" 2>&1)
		rc=$?
		[ $rc = 77 ] && { echo "kernel-$fs skipped: $out" >&2; exit 77; }
		[ $rc = 0 ] || fail "kernel-$fs: $out"
		echo "$out"
	done
	# a UDF 2.50 image file grown in place twice: the changed directories' entries were
	# written over their earlier ones (engine/grow.h); the kernel's udf reads the result
	"$BURNFS" image -q --media bd "$t/s1" -o "$t/a.iso" || fail "image 1"
	for i in 2 3; do
		"$BURNFS" image --append "$t/a.iso" "$t/s$i" 2>"$t/err" || fail "image append $i: $(cat "$t/err")"
	done
	check_newest "$t/a.iso" "$t/m3" "image after append 3" nopycdlib
	rm -rf "$t/want-udf" && cp -a "$t/want" "$t/want-udf" && rm -rf "$t/want-udf/.burnfs" ||
		fail "udf's tree of the image"
	out=$(/usr/bin/python3 "$here/../interop/check.py" kernel-udf "$t/a.iso" "$t/want-udf" 2>&1) ||
		fail "kernel-udf, image file: $out"
	echo "$out"
	;;
*)
	fail "unknown case $1"
	;;
esac
exit 0
