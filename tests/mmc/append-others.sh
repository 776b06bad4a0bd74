#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# append-others.sh CASE: sessions written by other tools (issue 12 §4). burnfs lists and
# extracts every session of their discs, appends a merged session, the other tool reads it,
# then other tools append again after it and every file of every session is still there.
#   xorriso      two xorriso sessions through the LD_PRELOAD shim onto DVD+R and BD-R (a
#                zisofs file, a symbolic link, a hard link, a deep directory), burnfs appends,
#                xorriso reads it (-indev through the shim, -load sbsector of the export),
#                then xorriso (-dev) and, on DVD+R, growisofs -M append again;
#   cdrskin      an ISO by genisoimage onto CD-R with -multi, burnfs appends, cdrskin -toc and
#                xorriso read it, then genisoimage -C (cdrskin and wodim -msinfo) -M (the
#                disc, read through the shim) and wodim -multi append again;
#   growisofs    -Z then -M onto DVD+R and DVD-R (growisofs runs genisoimage), burnfs appends,
#                growisofs -M appends again;
#   genisoimage  three sessions by genisoimage -C/-M (Rock Ridge with rr_moved; Joliet only;
#                plain ISO 9660 names) loaded with vdrive import-image, burnfs appends,
#                xorriso appends again;
#   fixtures     the multisession images of tests/fixtures (their sessions are empty) and
#                libarchive's multi-extent file: every session listed and extracted as
#                xorriso or udfinfo show it, burnfs appends, the merged session read back;
#   hybrid       sessions with Rock Ridge and UDF (ours, genisoimage -udf's) merged without
#                losing what their UDF side cannot hold;
#   stale        xorriso and growisofs -M replace files after our session (carrying our
#                manifest unchanged), then burnfs appends: its manifest has the new hashes.
# Each disc is checked session by session at the end: burnfs ls -R and extract (--session
# N), xorriso's listing and extraction of the exported disc at the session's start (its
# content against the tree each session should hold, and the manifest our session wrote
# with sha256sum -c in ours and in every later one), and udfinfo --startblock of a session
# burnfs reads through UDF (file and directory counts). Exit 77 when a tool or the shim is
# missing. Not here: growisofs onto BD-R (growisofs 7.1 wants format 32h on a blank BD-R,
# which the virtual drive does not offer; see shim.sh).
set -u
: "${BURNFS:?}"
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-aothers.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || { echo "SKIP: $1 missing" >&2; exit 77; }; }
export BURNFS_VDRIVE_LONGOP_MS=0 SOURCE_DATE_EPOCH=1700000000
unset SUDO_COMMAND # growisofs refuses to run under sudo
case=${1:?case}
need xorriso
# shellcheck source=tests/mmc/shim-lib.sh
. "$(dirname "$0")/shim-lib.sh"
need_shim() {
	[ -f "${BURNFS_SHIM:-}" ] || { echo "SKIP: no shim at '${BURNFS_SHIM:-}' (BURNFS_SHIM)" >&2; exit 77; }
	shim_device
}

# starts DIR: the session starts of the disc in DIR, one a line
starts() {
	"$BURNFS" sessions --json --drive "vdrive:$1" |
		/usr/bin/python3 -c 'import json,sys; [print(s["start"]) for s in json.load(sys.stdin)["sessions"]]'
}
# last_start DIR: the last session's start
last_start() { starts "$1" | tail -1; }

# burnfs_append DIR SRC: burnfs burn SRC onto the disc in DIR, merging its tree
burnfs_append() {
	"$BURNFS" burn "$2" --drive "vdrive:$1" >"$t/log" 2>&1 || fail "burnfs burn onto $1: $(cat "$t/log")"
	grep -q "the disc's tree (session [0-9]*, [a-z0-9]*) is carried over" "$t/log" ||
		fail "burnfs burn onto $1 did not merge: $(cat "$t/log")"
	grep -q "runtime error\|ERROR: AddressSanitizer" "$t/log" && fail "burnfs burn: $(cat "$t/log")"
	return 0
}

# paths_dir DIR: DIR's paths below it, /a/b, sorted; /.burnfs left out
paths_dir() { (cd "$1" && find . -mindepth 1 | sed 's|^\.||' | grep -v '^/\.burnfs' | LC_ALL=C sort); }
# paths_ls: burnfs ls -R output on stdin as paths
paths_ls() {
	awk '/^\/.*:$/ { d = substr($0, 1, length($0) - 1); if (d == "/") d = ""; next }
	     NF { print d "/" $0 }' | grep -v '^/\.burnfs' | LC_ALL=C sort
}
# paths_xorriso: xorriso -find output on stdin as paths
paths_xorriso() { sed -n "s|^'\\(/.\\+\\)'\$|\\1|p" | grep -v '^/\.burnfs' | LC_ALL=C sort; }

# same_tree WANT GOT WHAT: GOT holds WANT's files with their contents and links; the manifest
# our session wrote checks (sha256sum -c), when GOT has one
same_tree() {
	diff -r --no-dereference -x .burnfs "$1" "$2" >&2 || fail "$3: content differs from $1"
	if [ -f "$2/.burnfs/SHA256SUMS" ]; then
		(cd "$2" && sha256sum --quiet -c .burnfs/SHA256SUMS) >&2 || fail "$3: sha256sum -c"
	fi
	return 0
}

# check_udf IMG I: when session I of IMG (the disc's export, whose sessions burnfs listed in
# $t/sessions.json) was read through UDF, udfinfo --startblock reads the same file and
# directory counts (udfinfo counts the root) and, on a UDF-only session, volume name
check_udf() {
	local img=$1 i=$2 want got name
	want=$(/usr/bin/python3 -c 'import json,sys
s = json.load(open(sys.argv[1]))["sessions"][int(sys.argv[2]) - 1]
if s["tree"] == "udf":
    print(s["start"], s["start"] + s["length"] - 1, s["files"], s["directories"] + 1)
    # burnfs names a session by its UDF volume only when it has no ISO 9660 volume
    print(s["volume_id"] if s["file_systems"] == ["udf"] else "")' "$t/sessions.json" "$i") ||
		fail "sessions --json"
	[ -n "$want" ] || return 0
	command -v udfinfo >/dev/null || { echo "note: no udfinfo, session $i's UDF unchecked" >&2; return 0; }
	name=$(echo "$want" | sed -n 2p)
	# shellcheck disable=SC2046 # start, last block, files, directories
	set -- $(echo "$want" | head -1)
	udfinfo --startblock="$1" --lastblock="$2" "$img" >"$t/udfinfo" 2>&1 ||
		fail "udfinfo of session $i: $(cat "$t/udfinfo")"
	got="$(sed -n 's/^numfiles=//p' "$t/udfinfo") $(sed -n 's/^numdirs=//p' "$t/udfinfo")"
	[ "$got" = "$3 $4" ] || fail "session $i's UDF: udfinfo counts '$got' (files, directories), burnfs '$3 $4'"
	[ -z "$name" ] || [ "$(sed -n 's/^label=//p' "$t/udfinfo")" = "$name" ] ||
		fail "session $i's UDF: udfinfo names it '$(sed -n 's/^label=//p' "$t/udfinfo")', burnfs '$name'"
}

# check_udfread START LEN WANT: libudfread (VLC's, Kodi's and libbluray's UDF reader) reads
# the session at START of $t/disc.img with WANT's regular files and contents. It reads no
# sessions: it gets a copy cut at the session's end (the anchor at its last block is found
# as N-1) with the session's volume recognition sequence at block 16, where it looks for
# one (the first session's ISO 9660 descriptors are there, outside every file's data)
check_udfread() {
	local s=$1 len=$2 want=$3 ls=${BURNFS_BUILD:-}/tests/interop/udfread-ls
	[ -x "$ls" ] || { echo "note: no udfread-ls, libudfread not checked" >&2; return 0; }
	{ head -c $(((s + len) * 2048)) "$t/disc.img" >"$t/view.img" &&
		dd if="$t/disc.img" of="$t/view.img" bs=2048 skip=$((s + 16)) seek=16 count=16 conv=notrunc 2>/dev/null; } ||
		fail "the view of the session at $s"
	ASAN_OPTIONS=detect_leaks=0 "$ls" "$t/view.img" >"$t/udfread" 2>&1 || fail "udfread-ls: $(cat "$t/udfread")"
	/usr/bin/python3 - "$t/udfread" "$want" <<'PY' || fail "libudfread of the session at $s"
import hashlib, os, re, sys
got = {}
for line in open(sys.argv[1], encoding="latin-1"):
    kind, size, sha, path = line.rstrip("\n").split(" ", 3)
    path = re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), path)
    got[path.encode("latin-1")] = sha
bad = 0
for root, dirs, files in os.walk(sys.argv[2].encode()):
    for f in files:
        p = os.path.join(root, f)
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        rel = p[len(sys.argv[2].encode()):]
        if rel.startswith(b"/.burnfs"):
            continue
        sha = hashlib.sha256(open(p, "rb").read()).hexdigest()
        if got.get(rel) != sha:
            print("libudfread: %r: %s, want %s" % (rel, got.get(rel), sha), file=sys.stderr)
            bad = 1
sys.exit(bad)
PY
}

# check_session DIR I START WANT: session I of the disc in DIR (exported to $t/disc.img, its
# sessions in $t/sessions.json) holds the tree WANT, as burnfs (ls -R, extract --session)
# and xorriso (listing and extraction of the export at START) and udfinfo read it
check_session() {
	local d=$1 i=$2 s=$3 want=$4
	check_udf "$t/disc.img" "$i"
	"$BURNFS" ls -R --drive "vdrive:$d" --session "$i" >"$t/ls" 2>"$t/err" || fail "ls --session $i of $d: $(cat "$t/err")"
	[ "$(paths_ls <"$t/ls")" = "$(paths_dir "$want")" ] ||
		fail "$d session $i: burnfs ls -R: $(diff <(paths_dir "$want") <(paths_ls <"$t/ls"))"
	rm -rf "$t/out"
	"$BURNFS" extract --drive "vdrive:$d" --session "$i" / -o "$t/out" >/dev/null 2>"$t/err" ||
		fail "extract --session $i of $d: $(cat "$t/err")"
	same_tree "$want" "$t/out" "$d session $i: burnfs extract"
	xorriso -indev "$t/disc.img" -load sbsector "$s" -find / >"$t/xl" 2>"$t/err" ||
		fail "xorriso -find of $d session $i: $(tail -3 "$t/err")"
	[ "$(paths_xorriso <"$t/xl")" = "$(paths_dir "$want")" ] ||
		fail "$d session $i: xorriso's listing: $(diff <(paths_dir "$want") <(paths_xorriso <"$t/xl"))"
	rm -rf "$t/out"
	xorriso -osirrox on -indev "$t/disc.img" -load sbsector "$s" -extract / "$t/out" >/dev/null 2>"$t/err" ||
		fail "xorriso -extract of $d session $i: $(tail -3 "$t/err")"
	same_tree "$want" "$t/out" "$d session $i: xorriso -extract"
}

# disc_state DIR: $t/sessions, $t/sessions.json and the export $t/disc.img of the disc in DIR
disc_state() {
	"$BURNFS" sessions --drive "vdrive:$1" >"$t/sessions" 2>&1 || fail "sessions of $1: $(cat "$t/sessions")"
	"$BURNFS" sessions --json --drive "vdrive:$1" >"$t/sessions.json" || fail "sessions --json of $1"
	"$BURNFS" vdrive export "$1" -o "$t/disc.img" >/dev/null || fail "export $1"
}

# check_disc DIR WANT...: session i of the disc in DIR holds the tree WANT_i (check_session)
check_disc() {
	local d=$1 i=0 s
	shift
	disc_state "$d"
	[ "$(grep -c '^session [0-9]*:' "$t/sessions")" = $# ] || fail "$d: not $# sessions: $(cat "$t/sessions")"
	for s in $(starts "$d"); do
		i=$((i + 1))
		check_session "$d" "$i" "$s" "${!i}"
	done
	# every session with a manifest (ours, and the later ones that carry it) checks
	"$BURNFS" verify --drive "vdrive:$d" >"$t/log" 2>&1 || fail "verify --drive $d: $(cat "$t/log")"
}

# check_disc_last DIR WANT: the last session of the disc in DIR holds WANT (check_session)
check_disc_last() {
	disc_state "$1"
	check_session "$1" "$(grep -c '^session [0-9]*:' "$t/sessions")" "$(last_start "$1")" "$2"
}

# grow WANT FROM [SRC TO]...: the expected tree WANT of a session is the tree FROM with each
# directory SRC's contents merged in at TO (as burnfs burn SRC and growisofs -M SRC add them)
grow() {
	local want=$1 from=$2
	shift 2
	rm -rf "$want"
	cp -a "$from" "$want" || fail "expected tree $want"
	while [ $# -ge 2 ]; do
		{ mkdir -p "$want$2" && cp -a "$1/." "$want$2/"; } || fail "expected tree $want"
		shift 2
	done
}

# the first sessions' sources: a deep directory (Rock Ridge relocates it or keeps a deep
# path), a symbolic link, a hard link, a name with a space
make_sources() {
	mkdir -p "$t/s1/d/a/b/c/d/e/f/g/h" "$t/s2/e" "$t/s3/d" "$t/s4" "$t/s5"
	head -c 300000 /dev/urandom >"$t/s1/d/r.bin"
	echo one >"$t/s1/one"
	ln "$t/s1/one" "$t/s1/one.link"
	ln -s one "$t/s1/sym"
	echo deep >"$t/s1/d/a/b/c/d/e/f/g/h/deep.txt"
	echo two >"$t/s2/e/two"
	echo "a space" >"$t/s2/e/with space"
	head -c 200000 /dev/urandom >"$t/s3/d/ours.bin"
	echo three >"$t/s3/three"
	echo four >"$t/s4/four"
	echo five >"$t/s5/five"
}

case $case in
xorriso)
	need_shim
	make_sources
	# a zisofs file in xorriso's first session (burnfs copies it: its data cannot be
	# pointed at)
	seq 1 40000 >"$t/s1/z.txt"
	grow "$t/w1" "$t/s1"
	grow "$t/w2" "$t/w1" "$t/s2" /s2
	grow "$t/w3" "$t/w2" "$t/s3" /
	grow "$t/w4" "$t/w3" "$t/s4" /
	grow "$t/w5" "$t/w4" "$t/s5" /
	for m in dvd+r bd-r; do
		d="$t/x-$m"
		vdrive "$m" "$d"
		shim "$d" xorriso -dev "$dev" -map "$t/s1" / -set_filter --zisofs /z.txt -- -commit >"$t/log" 2>&1 ||
			fail "xorriso session 1 on $m: $(tail -5 "$t/log")"
		shim "$d" xorriso -dev "$dev" -map "$t/s2" /s2 -commit >"$t/log" 2>&1 ||
			fail "xorriso session 2 on $m: $(tail -5 "$t/log")"
		burnfs_append "$d" "$t/s3"
		grep -q "1 copied" "$t/log" || fail "$m: the zisofs file not copied: $(cat "$t/log")"
		# xorriso reads our session through the shim, and the export at its start
		rm -rf "$t/out"
		shim "$d" xorriso -osirrox on -indev "$dev" -extract / "$t/out" >"$t/xlog" 2>&1 ||
			fail "xorriso -indev of $m: $(tail -3 "$t/xlog")"
		same_tree "$t/w3" "$t/out" "$m: our session through the shim"
		# our UDF volume, whose partition starts below the kept files of xorriso's sessions
		"$BURNFS" vdrive export "$d" -o "$t/disc.img" >/dev/null || fail "export $d"
		# shellcheck disable=SC2046 # start and length, split
		check_udfread $("$BURNFS" sessions --json --drive "vdrive:$d" | /usr/bin/python3 -c '
import json,sys; s = json.load(sys.stdin)["sessions"][-1]; print(s["start"], s["length"])') "$t/w3"
		# then xorriso appends again, and growisofs -M (not on BD-R: growisofs 7.1 needs a
		# BD-R formatted for SRM with spare areas, format 32h, which the virtual drive does
		# not offer, see shim.sh)
		shim "$d" xorriso -dev "$dev" -map "$t/s4/four" /four -commit >"$t/xlog" 2>&1 ||
			fail "xorriso after burnfs on $m: $(tail -5 "$t/xlog")"
		if [ "$m" = dvd+r ]; then
			need growisofs
			shim "$d" growisofs -M "$dev" -R "$t/s5" >"$t/xlog" 2>&1 ||
				fail "growisofs -M after burnfs on $m: $(tail -5 "$t/xlog")"
			check_disc "$d" "$t/w1" "$t/w2" "$t/w3" "$t/w4" "$t/w5"
			if command -v isoinfo >/dev/null; then
				isoinfo -i "$t/disc.img" -T "$(last_start "$d")" -R -f >"$t/il" 2>&1 || fail "isoinfo: $(cat "$t/il")"
				[ "$(grep -v '^/\.burnfs' "$t/il" | LC_ALL=C sort)" = "$(paths_dir "$t/w5")" ] ||
					fail "isoinfo -R of the last session: $(diff <(paths_dir "$t/w5") <(LC_ALL=C sort "$t/il"))"
			fi
		else
			check_disc "$d" "$t/w1" "$t/w2" "$t/w3" "$t/w4"
		fi
		echo "ok: xorriso, burnfs, xorriso$([ "$m" = dvd+r ] && echo ", growisofs") on $m"
	done
	;;
cdrskin)
	# the cdrecord way: an ISO onto CD-R with cdrskin -multi, burnfs appends, then
	# genisoimage -C (-msinfo) -M (the disc, read through the shim) and wodim -multi
	need_shim
	need cdrskin
	need wodim
	need genisoimage
	make_sources
	genisoimage -quiet -R -J -o "$t/c1.iso" "$t/s1" 2>/dev/null || fail "genisoimage"
	grow "$t/w1" "$t/s1"
	mkdir "$t/w1/rr_moved" # genisoimage relocates the deep directory; readers show it empty
	grow "$t/w2" "$t/w1" "$t/s3" /
	grow "$t/w3" "$t/w2" "$t/s4" /
	d="$t/cd"
	# the real disc's capacity: on a smaller one wodim says the third session 'may not
	# fit' (the virtual drive's ATIP gives no lead-out) and stops
	"$BURNFS" vdrive create --media cd-r "$d" >/dev/null || fail "create cd-r"
	shim "$d" cdrskin dev="$dev" -tao -multi gracetime=0 "$t/c1.iso" >"$t/log" 2>&1 ||
		fail "cdrskin -multi: $(tail -5 "$t/log")"
	burnfs_append "$d" "$t/s3"
	s=$(last_start "$d")
	shim "$d" cdrskin dev="$dev" -toc >"$t/toc" 2>&1 || fail "cdrskin -toc: $(tail -5 "$t/toc")"
	grep -q "^track: *2 lba: *$s " "$t/toc" || fail "cdrskin -toc does not show our session at $s: $(cat "$t/toc")"
	rm -rf "$t/out"
	shim "$d" xorriso -osirrox on -indev "$dev" -extract / "$t/out" >"$t/log" 2>&1 ||
		fail "xorriso -indev of the CD-R: $(tail -3 "$t/log")"
	same_tree "$t/w2" "$t/out" "CD-R: our session through the shim"
	msinfo=$(shim "$d" cdrskin dev="$dev" -msinfo 2>/dev/null | tail -1)
	[ "${msinfo%,*}" = "$s" ] || fail "cdrskin -msinfo '$msinfo': our session starts at $s"
	shim "$d" genisoimage -quiet -R -J -C "$msinfo" -M "$dev" -o "$t/c3.iso" "$t/s4" >"$t/log" 2>&1 ||
		fail "genisoimage -M the CD-R: $(tail -5 "$t/log")"
	# wodim (cdrecord) writes it, after reading the same multisession info
	[ "$(shim "$d" wodim dev="$dev" -msinfo 2>/dev/null | tail -1)" = "$msinfo" ] || fail "wodim -msinfo"
	shim "$d" wodim dev="$dev" -tao -multi gracetime=2 "$t/c3.iso" >"$t/log" 2>&1 ||
		fail "wodim -multi after burnfs: $(tail -5 "$t/log")"
	check_disc "$d" "$t/w1" "$t/w2" "$t/w3"
	echo "ok: cdrskin, burnfs, genisoimage -M and wodim on CD-R"
	;;
growisofs)
	need_shim
	need growisofs
	make_sources
	grow "$t/w1" "$t/s1"
	mkdir "$t/w1/rr_moved" # genisoimage relocates the deep directory; readers show it empty
	grow "$t/w2" "$t/w1" "$t/s2" /
	grow "$t/w3" "$t/w2" "$t/s3" /
	grow "$t/w4" "$t/w3" "$t/s5" /
	# (not BD-R: growisofs 7.1 needs format 32h on a blank BD-R, see shim.sh)
	for m in dvd+r dvd-r; do
		d="$t/g-$m"
		vdrive "$m" "$d"
		shim "$d" growisofs -Z "$dev" -R -J "$t/s1" >"$t/log" 2>&1 || fail "growisofs -Z on $m: $(tail -5 "$t/log")"
		shim "$d" growisofs -M "$dev" -R -J "$t/s2" >"$t/log" 2>&1 || fail "growisofs -M on $m: $(tail -5 "$t/log")"
		burnfs_append "$d" "$t/s3"
		shim "$d" growisofs -M "$dev" -R -J "$t/s5" >"$t/log" 2>&1 ||
			fail "growisofs -M after burnfs on $m: $(tail -5 "$t/log")"
		check_disc "$d" "$t/w1" "$t/w2" "$t/w3" "$t/w4"
		echo "ok: growisofs -Z, -M, burnfs, growisofs -M on $m"
	done
	;;
genisoimage)
	# genisoimage -C/-M: Rock Ridge (the deep directory relocated to rr_moved), then Joliet
	# only, then plain ISO 9660 names, packed in one file and recorded with import-image
	need_shim
	need genisoimage
	make_sources
	genisoimage -quiet -R -J -o "$t/i1.iso" "$t/s1" 2>/dev/null || fail "genisoimage 1"
	n1=$(($(stat -c %s "$t/i1.iso") / 2048))
	genisoimage -quiet -J -C "0,$n1" -M "$t/i1.iso" -o "$t/i2.iso" "$t/s2" 2>/dev/null || fail "genisoimage 2"
	cat "$t/i1.iso" "$t/i2.iso" >"$t/i12.img" || fail "cat"
	n2=$(($(stat -c %s "$t/i12.img") / 2048))
	genisoimage -quiet -C "$n1,$n2" -M "$t/i12.img" -o "$t/i3.iso" "$t/s3" 2>/dev/null || fail "genisoimage 3"
	cat "$t/i12.img" "$t/i3.iso" >"$t/i.img" || fail "cat"
	d="$t/gi"
	vdrive dvd+r "$d"
	"$BURNFS" vdrive import-image "$d" "$t/i.img" --sessions "0,$n1,$n2" >/dev/null || fail "import-image"
	[ "$(starts "$d" | tr '\n' ' ')" = "0 $n1 $n2 " ] || fail "sessions: $(starts "$d" | tr '\n' ' ')"
	# sessions 2 and 3 have no Rock Ridge: their trees are what xorriso shows (Joliet's
	# names, then ISO 9660's, without ;1)
	grow "$t/w1" "$t/s1"
	mkdir "$t/w1/rr_moved"
	for i in 2 3; do
		s=$([ $i = 2 ] && echo "$n1" || echo "$n2")
		xorriso -osirrox on -indev "$t/i.img" -load sbsector "$s" -extract / "$t/w$i" >/dev/null 2>&1 ||
			fail "xorriso -extract of session $i"
	done
	grep -qx "/THREE" <(paths_dir "$t/w3") || fail "session 3 has Rock Ridge names: $(paths_dir "$t/w3")"
	grep -qx "/e/with space" <(paths_dir "$t/w2") || fail "session 2 without Joliet names: $(paths_dir "$t/w2")"
	mkdir -p "$t/s6" && echo six >"$t/s6/six"
	grow "$t/w4" "$t/w3" "$t/s6" /
	grow "$t/w5" "$t/w4" "$t/s4" /
	burnfs_append "$d" "$t/s6"
	grep -q "session 3, iso9660" "$t/log" || fail "session 3 not read through ISO 9660: $(cat "$t/log")"
	shim "$d" xorriso -dev "$dev" -map "$t/s4" / -commit >"$t/log" 2>&1 ||
		fail "xorriso after burnfs: $(tail -5 "$t/log")"
	check_disc "$d" "$t/w1" "$t/w2" "$t/w3" "$t/w4" "$t/w5"
	echo "ok: genisoimage -C/-M (RR, Joliet, ISO 9660), burnfs, xorriso"
	;;
fixtures)
	# genisoimage's ISO 9660 and ISO+UDF three-session images and mkudffs' UDF-only one (VAT)
	# hold empty sessions: each one's listing is what xorriso (ISO 9660) or udfinfo (UDF)
	# shows, with its volume name; libarchive's multi-extent file is one session of three
	# extents. burnfs appends, and our session carries the last one's tree.
	mkdir -p "$t/new" && echo new >"$t/new/new.txt"
	for f in util-linux/iso-multi-0-174-348-genisoimage util-linux/udf-multi-0-417-834-genisoimage \
		util-linux/udf-multi-0-320-640-mkudffs libarchive-iso/test_read_format_iso_multi_extent; do
		n=${f##*/}
		xz -dc "$here/../fixtures/$f".*.xz >"$t/$n.img" || fail "unpack $f"
		case $n in
		*-multi-*) st=$(echo "$n" | sed -E 's/^[a-z]+-multi-([0-9]+)-([0-9]+)-([0-9]+)-.*/\1,\2,\3/') ;;
		*) st=0 ;;
		esac
		d="$t/f-$n"
		vdrive dvd+r "$d"
		"$BURNFS" vdrive import-image "$d" "$t/$n.img" --sessions "$st" >/dev/null || fail "import $n"
		[ "$(starts "$d" | paste -sd,)" = "$st" ] || fail "$n: sessions $(starts "$d" | paste -sd,), want $st"
		"$BURNFS" sessions --json --drive "vdrive:$d" >"$t/sessions.json" || fail "sessions --json of $n"
		i=0
		for s in ${st//,/ }; do
			i=$((i + 1))
			rm -rf "$t/b$i" "$t/x$i"
			"$BURNFS" extract --drive "vdrive:$d" --session "$i" / -o "$t/b$i" >/dev/null 2>"$t/err" ||
				fail "$n: extract --session $i: $(cat "$t/err")"
			"$BURNFS" ls -R --drive "vdrive:$d" --session "$i" >"$t/ls" 2>"$t/err" || fail "$n: ls --session $i: $(cat "$t/err")"
			[ "$(paths_ls <"$t/ls")" = "$(paths_dir "$t/b$i")" ] || fail "$n session $i: ls -R and extract differ"
			check_udf "$t/$n.img" "$i"
			case $n in *mkudffs*) continue ;; esac # no ISO 9660 for xorriso
			xorriso -indev "$t/$n.img" -load sbsector "$s" -find / >"$t/xl" 2>/dev/null || fail "$n: xorriso -find at $s"
			[ "$(paths_xorriso <"$t/xl")" = "$(paths_ls <"$t/ls")" ] ||
				fail "$n session $i: burnfs ls -R: $(diff <(paths_xorriso <"$t/xl") <(paths_ls <"$t/ls"))"
			xorriso -osirrox on -indev "$t/$n.img" -load sbsector "$s" -extract / "$t/x$i" >/dev/null 2>&1 ||
				mkdir "$t/x$i" || fail "$n: xorriso -extract at $s"
			same_tree "$t/x$i" "$t/b$i" "$n session $i: burnfs extract"
			vol=$(xorriso -indev "$t/$n.img" -load sbsector "$s" -pvd_info 2>/dev/null | sed -n 's/^Volume Id *: *//p')
			# (a session read through UDF is named by UDF's name, which may say more)
			grep -q "\"number\": $i, [^}]*\"volume_id\": \"$vol" "$t/sessions.json" ||
				fail "$n session $i: volume '$vol' (xorriso): $(cat "$t/sessions.json")"
		done
		burnfs_append "$d" "$t/new"
		grow "$t/want" "$t/b$i" "$t/new" /
		check_disc_last "$d" "$t/want"
		echo "ok: $n: $i session(s) listed and extracted as xorriso/udfinfo show them, burnfs appends"
	done
	;;
hybrid)
	# a session with Rock Ridge and UDF: the merge reads Rock Ridge, which holds what the
	# UDF side cannot (burnfs's own UDF: device nodes, names that are not UTF-8;
	# genisoimage -udf: symbolic links, which it records as empty files), so that no
	# append loses them for every later session
	need genisoimage
	mkdir -p "$t/h1" "$t/h2" "$t/h3" "$t/h4"
	name=$(printf 'lat\351in') # ISO 8859-1, not UTF-8
	echo latin >"$t/h1/$name"
	mkfifo "$t/h1/fifo"
	node=
	mknod "$t/h1/node" c 1 3 2>/dev/null && node=1 # only as root
	ln -s "$name" "$t/h1/sym"
	echo two >"$t/h2/two"
	echo three >"$t/h3/three"
	xorriso -as mkisofs -R -o "$t/h1.iso" "$t/h1" >/dev/null 2>&1 || fail "xorriso -as mkisofs"
	d="$t/hx"
	vdrive dvd+r "$d"
	"$BURNFS" vdrive import-image "$d" "$t/h1.iso" >/dev/null || fail "import"
	burnfs_append "$d" "$t/h2"
	burnfs_append "$d" "$t/h3" # reads our session 2, which has UDF
	"$BURNFS" vdrive export "$d" -o "$t/disc.img" >/dev/null || fail "export"
	xorriso -indev "$t/disc.img" -load sbsector "$(last_start "$d")" -find / -exec lsdl >"$t/xl" 2>/dev/null ||
		fail "xorriso -find"
	grep -q "^-.* '/$name'\$" "$t/xl" || fail "the name '$name' (not UTF-8) changed: $(cat "$t/xl")"
	grep -q "^l.* '/sym' -> '$name'\$" "$t/xl" || fail "the symbolic link: $(cat "$t/xl")"
	grep -q "^p.* '/fifo'\$" "$t/xl" || fail "the FIFO: $(cat "$t/xl")"
	[ -z "$node" ] || grep -q "^c.* '/node'\$" "$t/xl" || fail "the device node: $(cat "$t/xl")"
	{ grep -q "^-.* '/two'\$" "$t/xl" && grep -q "^-.* '/three'\$" "$t/xl"; } || fail "new files: $(cat "$t/xl")"
	grep -q "session 2, rockridge" "$t/log" || fail "session 2 not merged through Rock Ridge: $(cat "$t/log")"
	# genisoimage -udf: a symbolic link and a hard link in Rock Ridge, an empty regular
	# file and one file in UDF
	echo x >"$t/h4/f"
	ln -s f "$t/h4/l"
	ln "$t/h4/f" "$t/h4/hard"
	genisoimage -quiet -R -udf -o "$t/h4.iso" "$t/h4" 2>/dev/null || fail "genisoimage -udf"
	d="$t/hg"
	vdrive bd-r "$d"
	"$BURNFS" vdrive import-image "$d" "$t/h4.iso" >/dev/null || fail "import"
	burnfs_append "$d" "$t/h2"
	rm -rf "$t/out"
	"$BURNFS" extract --drive "vdrive:$d" / -o "$t/out" >/dev/null 2>&1 || fail "extract"
	[ "$(readlink "$t/out/l")" = f ] || fail "genisoimage -udf: the symbolic link became: $(ls -l "$t/out")"
	{ cmp "$t/out/f" "$t/h4/f" && cmp "$t/out/hard" "$t/h4/f" && cmp "$t/out/two" "$t/h2/two"; } ||
		fail "genisoimage -udf: content"
	"$BURNFS" vdrive export "$d" -o "$t/disc.img" >/dev/null || fail "export"
	xorriso -indev "$t/disc.img" -load sbsector "$(last_start "$d")" -find / -exec lsdl >"$t/xl" 2>/dev/null ||
		fail "xorriso -find"
	grep -q "^l.* '/l' -> 'f'\$" "$t/xl" || fail "genisoimage -udf: xorriso: $(cat "$t/xl")"
	echo "ok: hybrid sessions merged through Rock Ridge (a name not UTF-8, FIFO, ${node:+device node, }symbolic links)"
	;;
stale)
	# programs that append after our session carry its manifest unchanged, also when they
	# replace files it lists: the next burnfs session hashes those from the disc instead of
	# recording the manifest's old lines for the replacements (xorriso replaces /f, growisofs
	# -M /sub/g; burnfs verify of our next session then said they differ)
	need_shim
	need growisofs
	mkdir -p "$t/s1/sub" "$t/s2" "$t/s3/sub" "$t/s4"
	echo original >"$t/s1/f"
	echo original >"$t/s1/sub/g"
	echo kept >"$t/s1/k"
	echo "replaced by xorriso" >"$t/s2/f"
	echo "replaced by growisofs" >"$t/s3/sub/g"
	echo new >"$t/s4/n"
	d="$t/st"
	vdrive dvd+r "$d"
	"$BURNFS" burn "$t/s1" --drive "vdrive:$d" >"$t/log" 2>&1 || fail "burnfs burn: $(cat "$t/log")"
	shim "$d" xorriso -dev "$dev" -map "$t/s2/f" /f -commit >"$t/log" 2>&1 || fail "xorriso: $(tail -5 "$t/log")"
	shim "$d" growisofs -M "$dev" -R "$t/s3" >"$t/log" 2>&1 || fail "growisofs -M: $(tail -5 "$t/log")"
	# their sessions hold our manifest of session 1: verify names them as sessions without
	# one of their own instead of calling the replaced files damaged
	"$BURNFS" verify --drive "vdrive:$d" >"$t/log" 2>&1 || fail "verify --drive: $(cat "$t/log")"
	[ "$(grep -c "no manifest" "$t/log")" = 2 ] && ! grep -q "differ\b.*[1-9]" "$t/log" ||
		fail "verify --drive of the foreign sessions: $(cat "$t/log")"
	burnfs_append "$d" "$t/s4"
	# (verify --drive takes no --session: the export's)
	"$BURNFS" vdrive export "$d" -o "$t/st.img" >/dev/null || fail "export"
	"$BURNFS" verify "$t/st.img" --session "$(last_start "$d")" >"$t/log" 2>&1 ||
		fail "verify of our session after xorriso and growisofs replaced files: $(cat "$t/log")"
	grow "$t/w" "$t/s1" "$t/s2" / "$t/s3" / "$t/s4" /
	check_disc_last "$d" "$t/w"
	echo "ok: files replaced by xorriso and growisofs -M after our session, then burnfs appends"
	;;
*)
	fail "unknown case $case"
	;;
esac
