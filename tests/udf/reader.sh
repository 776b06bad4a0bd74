#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# reader.sh CASE: burnfs's UDF reader (tests/udf/udfls) against
#   roundtrip REV  images burnfs writes with --udf-rev REV (1.02, 2.01, 2.50, bd) list the
#                  source tree: types, modes, link counts, sizes, contents, symlink targets
#   mirror         a 2.50 image whose main metadata file is damaged lists through the mirror
#   fixtures       every UDF image in tests/fixtures lists or fails with a clear error within
#                  20 s; where libudfread (udfread-ls), udfinfo or 7-Zip read it, we agree
#   multisession   every session of the multisession fixtures opens at its start block
set -euo pipefail
: "${BURNFS:?}" "${BURNFS_BUILD:?}" "${BURNFS_SRC:?}"
UDFLS=$BURNFS_BUILD/tests/udf/udfls
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-udfr.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# the expected listing of a tree, in udfls -l's form
expect() {
	python3 - "$1" <<'PY'
import hashlib, os, stat, sys
root = sys.argv[1]
def esc(s):
    return "".join(chr(b) if 0x21 <= b <= 0x7e and b != 0x5c else "\\x%02x" % b
                   for b in os.fsencode(s))
out = []
for d, dirs, files in os.walk(root):
    for n in dirs + files:
        p = os.path.join(d, n)
        st = os.lstat(p)
        rel = "/" + os.path.relpath(p, root)
        m = st.st_mode
        if stat.S_ISDIR(m):
            sub = sum(1 for x in os.scandir(p) if x.is_dir(follow_symlinks=False))
            out.append("d %04o %d - - %s" % (stat.S_IMODE(m), 2 + sub, esc(rel)))
        elif stat.S_ISREG(m):
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for b in iter(lambda: f.read(1 << 20), b""):
                    h.update(b)
            out.append("f %04o %d %d %s %s" % (stat.S_IMODE(m), st.st_nlink, st.st_size,
                                             h.hexdigest(), esc(rel)))
        elif stat.S_ISLNK(m):
            out.append("l 0777 1 - - %s -> %s" % (esc(rel), esc(os.readlink(p))))
        elif stat.S_ISFIFO(m):
            out.append("p %04o 1 - - %s" % (stat.S_IMODE(m), esc(rel)))
print("\n".join(sorted(out)))
PY
}

make_tree() {
	local s=$1
	mkdir -p "$s/dir/sub/deeper" "$s/empty-dir"
	: >"$s/empty"
	echo small >"$s/small"
	head -c 100000 /dev/urandom >"$s/dir/random"
	# two extents of at most 0x3FFFF800 bytes, mostly holes, with data at both ends
	if [ "${2:-}" = big ]; then
		echo start >"$s/big-sparse"
		truncate -s 1100000000 "$s/big-sparse"
		echo end >>"$s/big-sparse"
	fi
	ln -s ../small "$s/dir/link-rel"
	ln -s /etc/passwd "$s/link-abs"
	ln -s "dir/sub/../sub/deeper" "$s/link-dots"
	mkfifo "$s/fifo"
	ln "$s/small" "$s/dir/hard"
	printf u >"$s/Ünïcödé-名前-🎵"
	printf l >"$s/$(printf 'L%.0s' $(seq 200))"
	# a directory of 300 entries: its FIDs cross many blocks
	mkdir "$s/many"
	for i in $(seq 300); do printf '%s' "$i" >"$s/many/entry-with-a-name-of-forty-bytes-$(printf %05d "$i")"; done
	chmod 0750 "$s/dir/sub"
	chmod 0600 "$s/dir/random"
	chmod 4755 "$s/small"
}

ours() { "$UDFLS" -l "$@" | grep -v '^d .* /\.burnfs$' | grep -v ' /\.burnfs/' | sort; }

case_roundtrip() {
	local rev=$1
	local opt=(--fs udf --udf-rev "$rev")
	[ "$rev" = bd ] && opt=(--media bd)
	make_tree "$t/src" big
	expect "$t/src" >"$t/want"
	"$BURNFS" image -q "$t/src" -o "$t/img" "${opt[@]}"
	ours --info "$t/img" >"$t/got"
	grep -v '^#' "$t/got" >"$t/got.tree" || true
	diff -u "$t/want" "$t/got.tree" || fail "UDF $rev: the listing differs from the source tree"
	grep -q "^# volume .* revision ${rev/./}" "$t/got" || [ "$rev" = bd ] ||
		fail "UDF $rev: $(head -1 "$t/got")"
	echo "UDF $rev: $(wc -l <"$t/want") entries read back"
}

# the main metadata file's blocks (from the LVD's metadata map and the file's EFE)
meta_main_fsd() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
B = 2048
avdp = 256 * B
vds = struct.unpack_from("<I", d, avdp + 20)[0]
pstart = lvd = None
for b in range(vds, vds + 16):
    tag = struct.unpack_from("<H", d, b * B)[0]
    if tag == 5:
        pstart = struct.unpack_from("<I", d, b * B + 188)[0]
    if tag == 6:
        lvd = b * B
n = struct.unpack_from("<I", d, lvd + 268)[0]
o = lvd + 440
for i in range(n):
    if d[o] == 2 and d[o + 5:o + 28] == b"*UDF Metadata Partition":
        fe = pstart + struct.unpack_from("<I", d, o + 40)[0]
    o += d[o + 1]
lea, lad = struct.unpack_from("<II", d, fe * B + 208)
ext = struct.unpack_from("<I", d, fe * B + 216 + lea + 4)[0]
fsd = struct.unpack_from("<I", d, lvd + 248 + 4)[0]
print(pstart + ext + fsd)  # the FSD's block within the main metadata file
PY
}

case_mirror() {
	local b
	make_tree "$t/src"
	expect "$t/src" >"$t/want"
	"$BURNFS" image -q "$t/src" -o "$t/img" --fs udf --udf-rev 2.50
	b=$(meta_main_fsd "$t/img")
	# a bad byte in the FSD and the root's ICB, as the main copy holds them
	printf '\xff' | dd of="$t/img" bs=1 seek=$((b * 2048 + 20)) conv=notrunc status=none
	printf '\xff' | dd of="$t/img" bs=1 seek=$(((b + 2) * 2048 + 40)) conv=notrunc status=none
	ours --info "$t/img" >"$t/got" 2>"$t/err"
	grep -q 'mirror-used' "$t/got" || fail "mirror: $(head -1 "$t/got")"
	grep -q 'metadata mirror' "$t/err" || fail "mirror: no warning: $(cat "$t/err")"
	grep -v '^#' "$t/got" | diff -u "$t/want" - || fail "mirror: the listing differs"
	echo "mirror: $(wc -l <"$t/want") entries through the mirror; $(head -1 "$t/err")"
}

# one fixture: ours lists it or says why, in 20 s; where others read it, the same tree
fixture() {
	local img=$1 name ours_rc=0
	name=$(basename "$img")
	timeout 20 "$UDFLS" "$img" >"$t/ours" 2>"$t/ours.err" || ours_rc=$?
	case $ours_rc in
	0) ;;
	1) grep -q "^udfls: .*: UDF: " "$t/ours.err" || fail "$name: unclear error: $(cat "$t/ours.err")"
	   echo "$name: refused: $(cat "$t/ours.err")"; return 0 ;;
	124) fail "$name: more than 20 s" ;;
	*) fail "$name: exit $ours_rc: $(cat "$t/ours.err")" ;;
	esac
	echo "$name: $(wc -l <"$t/ours") entries"
	if [ -x "$BURNFS_BUILD/tests/interop/udfread-ls" ] &&
		ASAN_OPTIONS=detect_leaks=0 timeout 20 "$BURNFS_BUILD/tests/interop/udfread-ls" "$img" \
			>"$t/theirs" 2>/dev/null; then
		# libudfread lists every non-directory as 'f': compare directories and files
		{ grep -E '^[df] ' "$t/ours" || true; } | sort >"$t/a"
		{ grep -vE '^[df] ' "$t/ours" || true; } | sed 's/^. - - //' >"$t/others"
		sort "$t/theirs" | awk -v o="$t/others" 'BEGIN { while ((getline l <o) > 0) skip[l] = 1 } !skip[$4]' >"$t/b"
		diff -u "$t/b" "$t/a" || fail "$name: libudfread lists otherwise"
		echo "  libudfread agrees ($(wc -l <"$t/b") entries)"
	fi
	if udfinfo "$img" >"$t/info" 2>/dev/null; then
		local nf nd
		nf=$(sed -n 's/^numfiles=//p' "$t/info")
		nd=$(sed -n 's/^numdirs=//p' "$t/info")
		# udfinfo's counts are the LVID's: files, and directories with the root (an LVID
		# that counts no directory, not even the root, was never kept: mkudfiso's)
		if [ "$nd" != 0 ]; then
			if [ "$(grep -vc '^d ' "$t/ours" || true)" != "$nf" ] ||
				[ "$(($(grep -c '^d ' "$t/ours" || true) + 1))" != "$nd" ]; then
				fail "$name: udfinfo counts $nf files and $nd directories"
			fi
			echo "  udfinfo counts the same ($nf files, $nd directories)"
		fi
	fi
	if grep -q '^f ' "$t/ours" && rm -rf "$t/x" && timeout 20 7z x -y -o"$t/x" "$img" >/dev/null 2>&1; then
		while read -r _ _ sum path; do
			[ -f "$t/x$path" ] || continue
			[ "$(sha256sum <"$t/x$path" | cut -d' ' -f1)" = "$sum" ] || fail "$name: $path: 7-Zip reads other bytes"
		done < <(grep '^f ' "$t/ours" | grep -v '\\x')
		echo "  7-Zip extracts the same bytes"
	fi
}

case_fixtures() {
	local f n=0
	for f in "$BURNFS_SRC"/tests/fixtures/*/*udf*.xz; do
		xz -dc "$f" >"$t/$(basename "$f" .xz)"
		fixture "$t/$(basename "$f" .xz)"
		rm -f "$t/$(basename "$f" .xz)"
		n=$((n + 1))
	done
	[ "$n" -ge 20 ] || fail "only $n UDF fixtures"
}

case_multisession() {
	local img spec s e
	for spec in udf-multi-0-320-640-mkudffs:0:320:640:960 udf-multi-0-417-834-genisoimage:0:417:834:1251; do
		img=$t/${spec%%:*}.img
		xz -dc "$BURNFS_SRC/tests/fixtures/util-linux/${spec%%:*}.img.xz" >"$img"
		IFS=: read -r _ a b c end <<<"$spec"
		for s in "$a:$b" "$b:$c" "$c:$end"; do
			e=${s#*:}
			"$UDFLS" --info --session "${s%:*}" --sectors "$e" "$img" >"$t/got" ||
				fail "$(basename "$img") session at ${s%:*}"
			grep -q "anchor $((${s%:*} + 256))" "$t/got" || fail "session ${s%:*}: $(head -1 "$t/got")"
			echo "$(basename "$img") session ${s%:*}: $(head -1 "$t/got")"
		done
	done
}

"case_$1" "${@:2}"
