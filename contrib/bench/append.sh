#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# contrib/bench/append.sh [WORKDIR]: issue 12 §5. Ten new files (1 MiB) appended to a virtual
# BD-R holding 100,000 small files (1,000 directories of 100), by `burnfs burn` and by xorriso
# growing its own 100,000-file disc through the LD_PRELOAD shim (contrib/vdrive-shim) onto
# the same kind of virtual drive; then burnfs's appended disc listed by `burnfs ls -R` and
# loaded by `xorriso -indev`, through the drive and as an exported image file; and the same
# append onto an image file: `burnfs image --append` against `xorriso -dev FILE` growing its
# own 100,000-file image file (the blocks each changed or added, by comparing with a copy).
# Each round makes fresh discs (not timed) and runs the two sides interleaved, the order
# alternating between rounds: wall, user CPU and peak RSS (/usr/bin/time) and the blocks the
# session took (the drive's next writable address before and after). Round 1 also counts the
# system calls (strace -c -f) and SCSI commands (burn --trace, the shim's BURNFS_SHIM_DEBUG),
# which do not drift with the machine's load. burnfs verifies what it wrote (full, its
# default); xorriso does not unless asked, so burnfs --verify none is measured too.
# Targets: append <= 0.5x xorriso's wall time and <= 1.6x its blocks (burnfs also writes
# Joliet and UDF); listing <= 0.5x xorriso's wall time and peak RSS. Prints a Markdown
# table: each round's ratio, their median, PASS/MISS on the median.
# Needs xorriso, strace, /usr/bin/time, python3, a build with the shim (BURNFS, default
# build/cli/burnfs; BURNFS_SHIM, default contrib/vdrive-shim/burnfs-vdrive-shim.so of the
# same build; measure a release build: a sanitizer build measures the sanitizers) and ~5 GiB
# free in WORKDIR (default ${TMPDIR:-/tmp}/burnfs-bench). BURNFS_BENCH_ROUNDS (default 3).
# Not a test.
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=contrib/bench/lib.sh
. contrib/bench/lib.sh
burnfs=${BURNFS:-build/cli/burnfs}
[ -x "$burnfs" ] || {
	echo "build first: meson setup build-rel --buildtype=release && ninja -C build-rel," \
		"then BURNFS=build-rel/cli/burnfs $0" >&2
	exit 1
}
burnfs=$(realpath "$burnfs")
shim=${BURNFS_SHIM:-$(dirname "$(dirname "$burnfs")")/contrib/vdrive-shim/burnfs-vdrive-shim.so}
[ -f "$shim" ] || { echo "no shim at $shim (set BURNFS_SHIM)" >&2; exit 1; }
for t in xorriso strace /usr/bin/time python3; do
	command -v $t >/dev/null || { echo "missing $t (contrib/deps.sh test)" >&2; exit 1; }
done
w=${1:-${TMPDIR:-/tmp}/burnfs-bench}
mkdir -p "$w"
w=$(realpath "$w")
rounds=${BURNFS_BENCH_ROUNDS:-3}
# no simulated wait for the drive's long operations (closing a session): xorriso polls them
export SOURCE_DATE_EPOCH=1700000000 BURNFS_VDRIVE_LONGOP_MS=0
old=$w/append-old
new=$w/append-new
s=$w/append-run # the discs of one round
res=$w/append-results
fail() {
	echo "append.sh: $*" >&2
	exit 1
}

# ---- the trees (made once) ---------------------------------------------------------------
tiny_files "$old"
if [ ! -d "$new" ]; then
	# ten files of random data, 1 MiB in all, the same on every run; at the root of the
	# disc next to d000..d999, so nothing is replaced
	/usr/bin/python3 - "$new.tmp" <<'PY'
import os, random, sys
r = random.Random(12)
os.makedirs(sys.argv[1])
for i in range(10):
    with open(os.path.join(sys.argv[1], "new%02d.bin" % i), "wb") as f:
        f.write(r.randbytes(104857 + (6 if i == 9 else 0)))
PY
	mv "$new.tmp" "$new"
fi

# ---- helpers -----------------------------------------------------------------------------
# a path that is not a device on this host, for the shim to take over
dev=
for n in 7 8 9 10 11 12 13 14 15; do
	[ -e "/dev/sr$n" ] || { dev=/dev/sr$n; break; }
done
[ -n "$dev" ] || fail "/dev/sr7../dev/sr15 all exist: no free path for the shim"
# shimmed DIR CMD...: CMD with the shim mapping $dev to the vdrive directory DIR
shimmed() {
	local d=$1
	shift
	env LD_PRELOAD="$shim" BURNFS_SHIM_DRIVES="$dev=$d" "$@"
}
nwa() { "$burnfs" vdrive info "$1" | sed -n 's/.*next writable address \([0-9]*\).*/\1/p'; }
vdrive_new() { "$burnfs" vdrive create --media bd-r "$1" >/dev/null || fail "vdrive create $1"; }
# timed KEY CMD...: CMD under /usr/bin/time; "wall user sys maxrss_kib" appended to $res/KEY,
# CMD's output in $s/KEY.out and $s/KEY.err
timed() {
	local k=$1
	shift
	sync
	/usr/bin/time -f "%e %U %S %M" -o "$s/time" "$@" >"$s/$k.out" 2>"$s/$k.err" ||
		fail "$k: $(tail -5 "$s/$k.err")"
	cat "$s/time" >>"$res/$k"
}
# traced KEY CMD...: CMD under strace -c -f -w (wall latency per call); the summary in $s/KEY.st
traced() {
	local k=$1
	shift
	strace -c -f -w -S calls -o "$s/$k.st" "$@" >"$s/$k.out" 2>"$s/$k.err" || fail "$k (strace): $(tail -5 "$s/$k.err")"
}
st_calls() { awk '$NF == "total" { print $4 }' "$s/$1.st"; }
# the three most frequent calls, "name count, ..." (the summary is sorted by calls)
st_top() { awk '$1 ~ /^[0-9.]+$/ && $NF != "total" && n++ < 3 { printf "%s%s %s", (n > 1 ? ", " : ""), $NF, $4 }' "$s/$1.st"; }
# SCSI commands of a burn --trace by name, the most frequent first
scsi_top() {
	awk '/^mmc: / { k = substr($0, 6, 28); sub(/ +$/, "", k); n[k]++ } END { for (k in n) print n[k] "\t" k }' "$1" |
		sort -rn | head -4 | awk -F'\t' '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }'
}
# seconds and calls spent in nanosleep/clock_nanosleep (all threads)
st_sleep() { awk '$NF ~ /nanosleep$/ { t += $2; n += $4 } END { printf "%.2f s in %d calls", t, n }' "$s/$1.st"; }

burnfs_append() { # KEY DISC VERIFY
	local b0
	b0=$(nwa "$2")
	timed "$1" "$burnfs" burn "$new" --drive "vdrive:$2" --verify "$3"
	echo $(($(nwa "$2") - b0)) >>"$res/$1.blocks"
}
xorriso_append() { # KEY DISC
	local b0
	b0=$(nwa "$2")
	timed "$1" env LD_PRELOAD="$shim" BURNFS_SHIM_DRIVES="$dev=$2" \
		xorriso -dev "$dev" -map "$new" / -commit
	grep -q "Writing to '$dev' completed successfully" "$s/$1.err" || fail "$1: $(tail -3 "$s/$1.err")"
	echo $(($(nwa "$2") - b0)) >>"$res/$1.blocks"
}
list_all() { # the disc and its image, burnfs first or xorriso first
	local start=$1 first=$2
	if [ "$first" = burnfs ]; then
		timed ls_drive "$burnfs" ls -R --drive "vdrive:$s/b"
		timed xo_drive env LD_PRELOAD="$shim" BURNFS_SHIM_DRIVES="$dev=$s/b" xorriso -indev "$dev"
		timed ls_image "$burnfs" ls -R "$s/b.img"
		timed xo_image xorriso -load sbsector "$start" -indev "$s/b.img"
	else
		timed xo_image xorriso -load sbsector "$start" -indev "$s/b.img"
		timed ls_image "$burnfs" ls -R "$s/b.img"
		timed xo_drive env LD_PRELOAD="$shim" BURNFS_SHIM_DRIVES="$dev=$s/b" xorriso -indev "$dev"
		timed ls_drive "$burnfs" ls -R --drive "vdrive:$s/b"
	fi
	# both xorriso runs loaded the appended session's tree
	for k in xo_drive xo_image; do
		if ! grep -q "Loading ISO image tree from LBA $start" "$s/$k.err" ||
			! grep -q "nodes read" "$s/$k.err"; then
			fail "$k did not load the session at block $start: $(tail -3 "$s/$k.err")"
		fi
	done
}

# ---- one round -----------------------------------------------------------------------------
# setup (not timed): burnfs's disc b and a copy bn for --verify none, xorriso's disc x; in
# round 1 more copies for the counting runs
setup_round() {
	local r=$1
	rm -rf "$s"
	mkdir -p "$s"
	vdrive_new "$s/b"
	"$burnfs" burn "$old" --drive "vdrive:$s/b" --verify none 2>"$s/setup.err" ||
		fail "burnfs setup: $(tail -3 "$s/setup.err")"
	vdrive_new "$s/x"
	shimmed "$s/x" xorriso -dev "$dev" -map "$old" / -commit >"$s/setup.err" 2>&1 ||
		fail "xorriso setup: $(tail -3 "$s/setup.err")"
	nwa "$s/b" >>"$res/first_b"
	nwa "$s/x" >>"$res/first_x"
	local copies="b:bn"
	[ "$r" != 1 ] || copies="$copies b:bs b:bt x:xs x:xt"
	for c in $copies; do
		cp -a --sparse=always "$s/${c%:*}" "$s/${c#*:}"
	done
}

# xorriso under strace, the shim preloaded in xorriso only
traced_xorriso() { # KEY DISC XORRISO-ARGS...
	local k=$1 d=$2
	shift 2
	strace -c -f -w -S calls -o "$s/$k.st" -E LD_PRELOAD="$shim" -E BURNFS_SHIM_DRIVES="$dev=$d" \
		xorriso "$@" >"$s/$k.out" 2>"$s/$k.err" || fail "$k (strace): $(tail -5 "$s/$k.err")"
}

# round 1, after the timed runs: the system calls and SCSI commands of each side (the
# appends on copies of the discs, the listings on burnfs's appended disc)
count_round() {
	traced st_bn "$burnfs" burn "$new" --drive "vdrive:$s/bs" --verify none
	traced_xorriso st_x "$s/xs" -dev "$dev" -map "$new" / -commit
	traced st_ls "$burnfs" ls -R --drive "vdrive:$s/b"
	traced_xorriso st_xl "$s/b" -indev "$dev"
	"$burnfs" burn "$new" --drive "vdrive:$s/bt" --verify none --trace >/dev/null 2>"$s/bt.trace" ||
		fail "burn --trace: $(tail -3 "$s/bt.trace")"
	BURNFS_SHIM_DEBUG=1 shimmed "$s/xt" xorriso -dev "$dev" -map "$new" / -commit >/dev/null \
		2>"$s/xt.trace" || fail "xorriso with BURNFS_SHIM_DEBUG: $(tail -3 "$s/xt.trace")"
	BURNFS_SHIM_DEBUG=1 shimmed "$s/b" xorriso -indev "$dev" >/dev/null 2>"$s/xl.trace" ||
		fail "xorriso -indev with BURNFS_SHIM_DEBUG: $(tail -3 "$s/xl.trace")"
	st_calls st_bn >"$res/sys_b"
	st_calls st_x >"$res/sys_x"
	st_calls st_ls >"$res/sys_ls"
	st_calls st_xl >"$res/sys_xl"
	grep -c '^mmc: ' "$s/bt.trace" >"$res/scsi_b"
	grep -c ': SG_IO ' "$s/xt.trace" >"$res/scsi_x"
	grep -c ': SG_IO ' "$s/xl.trace" >"$res/scsi_xl"
	echo "Round 1, most frequent: burnfs burn's system calls $(st_top st_bn), its SCSI commands" \
		"$(scsi_top "$s/bt.trace") ($(grep -c '^mmc: READ(10) .* 00 00 01 00 -> ' "$s/bt.trace") of" \
		"one block); burnfs ls -R's system calls $(st_top st_ls); xorriso's append $(st_top st_x)." \
		>"$res/counts"
	echo "xorriso's threads spent $(st_sleep st_x) of nanosleep during its append, and" \
		"$(st_sleep st_xl) during its load through the shim (strace -f -w, round 1)." >"$res/notes"
	session_files "$s/b.img" "$1" >"$res/manifest"
}

# session_files IMAGE START: the blocks the session at START wrote for the manifest (its
# extents from START on: the new chunks and the trailer; the chunks of earlier sessions are
# kept as sections) and its size in bytes, then the blocks of the new files' data (the
# root's new*.bin), from the session's ISO 9660 records
session_files() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
B = 2048
f, s = open(sys.argv[1], "rb"), int(sys.argv[2])
def records(lba, size):
    f.seek(lba * B)
    d, o = f.read(size), 0
    while o < len(d):
        if d[o] == 0:
            o = (o // B + 1) * B
            continue
        yield (d[o + 33:o + 33 + d[o + 32]], int.from_bytes(d[o + 2:o + 6], "little"),
               int.from_bytes(d[o + 10:o + 14], "little"))
        o += d[o]
f.seek((s + 16) * B)
root = f.read(B)[156:156 + 34]
top = list(records(int.from_bytes(root[2:6], "little"), int.from_bytes(root[10:14], "little")))
d = [r for r in top if r[0] == b"_BURNFS"][0]
man = [(l, n) for name, l, n in records(d[1], d[2]) if name == b"SHA256SUMS.;1"]
new = [(l, n) for name, l, n in top if name.startswith(b"NEW")]
print(sum((n + B - 1) // B for l, n in man if l >= s), sum(n for _, n in man),
      sum((n + B - 1) // B for l, n in new if l >= s))
PY
}

round() {
	local r=$1 start
	setup_round "$r"
	if [ $((r % 2)) = 1 ]; then
		burnfs_append bf "$s/b" full
		xorriso_append x "$s/x"
		burnfs_append bn "$s/bn" none
	else
		xorriso_append x "$s/x"
		burnfs_append bn "$s/bn" none
		burnfs_append bf "$s/b" full
	fi
	start=$(sed -n 's/.*: session at block \([0-9]*\),.*/\1/p' "$s/bf.err")
	[ -n "$start" ] || fail "no session start in: $(cat "$s/bf.err")"
	"$burnfs" vdrive export "$s/b" -o "$s/b.img" >/dev/null
	if [ $((r % 2)) = 1 ]; then list_all "$start" burnfs; else list_all "$start" xorriso; fi
	[ "$r" != 1 ] || count_round "$start"
	echo "round $r: append burnfs $(tail -1 "$res/bf" | cut -d' ' -f1) s (verify full)," \
		"$(tail -1 "$res/bn" | cut -d' ' -f1) s (none), xorriso $(tail -1 "$res/x" | cut -d' ' -f1) s" >&2
	rm -rf "$s"
}

# ---- the image-file case ------------------------------------------------------------------
# changed_blocks OLD NEW: the 2048-byte blocks of NEW that differ from OLD's or are past its end
changed_blocks() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
n = 0
with open(sys.argv[1], "rb") as a, open(sys.argv[2], "rb") as b:
    while True:
        x, y = a.read(1 << 20), b.read(1 << 20)
        if not y:
            break
        n += sum(x[i:i + 2048] != y[i:i + 2048] for i in range(0, len(y), 2048))
print(n)
PY
}

# burnfs image --append against xorriso -dev FILE growing its own image file; in round 1 the
# blocks each changed or added, compared with a copy made before
image_round() {
	local r=$1
	mkdir -p "$s"
	"$burnfs" image -q --media bd "$old" -o "$s/b.iso" || fail "burnfs image setup"
	xorriso -dev "$s/x.iso" -map "$old" / -commit >"$s/setup.err" 2>&1 || fail "xorriso image setup"
	if [ "$r" = 1 ]; then
		cp --sparse=always "$s/b.iso" "$s/b.orig"
		cp --sparse=always "$s/x.iso" "$s/x.orig"
	fi
	if [ $((r % 2)) = 1 ]; then
		timed bi "$burnfs" image --append "$s/b.iso" "$new"
		timed xi xorriso -dev "$s/x.iso" -map "$new" / -commit
	else
		timed xi xorriso -dev "$s/x.iso" -map "$new" / -commit
		timed bi "$burnfs" image --append "$s/b.iso" "$new"
	fi
	if [ "$r" = 1 ]; then
		changed_blocks "$s/b.orig" "$s/b.iso" >"$res/bi.blocks"
		changed_blocks "$s/x.orig" "$s/x.iso" >"$res/xi.blocks"
		echo "Image files (round 1): burnfs image --append wrote" \
			"$(sed -n 's/^burnfs image: \(session .*\)/\1/p' "$s/bi.err"), xorriso" \
			"$(sed -n 's/^Written to medium : //p' "$s/xi.err"); the blocks changed also count" \
			"what each rewrote at the image's start." >"$res/image"
	fi
	rm -rf "$s"
}

# ---- the table -----------------------------------------------------------------------------
# row LABEL FILE_A FILE_B COLUMN SCALE DECIMALS TARGET: each round's A and B, A/B per round,
# the median ratio, the target (a ratio, or - for none) and PASS/MISS on the median
row() {
	paste -d' ' "$res/$2" "$res/$3" | awk -v label="$1" -v c="$4" -v sc="$5" -v dec="$6" \
		-v tgt="$7" '
	function join(v, n,   i, o) {
		for (i = 1; i <= n; i++)
			o = o (i > 1 ? ", " : "") sprintf("%." dec "f", v[i])
		return o
	}
	{ n = NF / 2; a[NR] = $c * sc; b[NR] = $(c + n) * sc; r[NR] = b[NR] ? a[NR] / b[NR] : 0; q[NR] = r[NR] }
	END {
		for (i = 2; i <= NR; i++)
			for (j = i; j > 1 && q[j - 1] > q[j]; j--) { t = q[j]; q[j] = q[j - 1]; q[j - 1] = t }
		m = NR % 2 ? q[(NR + 1) / 2] : (q[NR / 2] + q[NR / 2 + 1]) / 2
		for (i = 1; i <= NR; i++)
			ratios = ratios (i > 1 ? ", " : "") sprintf("%.2f×", r[i])
		verdict = tgt == "-" ? "" : (m <= tgt + 0 ? "PASS" : "**MISS**")
		# a median that rounds to the target shows one more digit, the one that decided
		mf = (tgt != "-" && sprintf("%.2f", m) == sprintf("%.2f", tgt)) ? "%.3f×" : "%.2f×"
		printf "| %s | %s | %s | %s | " mf " | %s | %s |\n", label, join(a, NR), join(b, NR),
			ratios, m, tgt == "-" ? "—" : sprintf("≤ %.1f×", tgt), verdict
	}'
}

report() {
	local mib=0.0009765625
	echo "| measure | burnfs | xorriso | ratio per round | median | target | |"
	echo "|---|---|---|---|---|---|---|"
	row "append: wall s (burnfs verify full)" bf x 1 1 2 0.5
	row "append: wall s (burnfs verify none)" bn x 1 1 2 0.5
	row "append: user CPU s (verify full)" bf x 2 1 2 -
	row "append: user CPU s (verify none)" bn x 2 1 2 -
	row "append: peak RSS MiB (verify full)" bf x 4 $mib 1 -
	row "append: blocks the session took" bf.blocks x.blocks 1 1 0 1.6
	row "append: system calls (verify none; round 1)" sys_b sys_x 1 1 0 -
	row "append: SCSI commands (verify none; round 1)" scsi_b scsi_x 1 1 0 -
	row "list through the drive: wall s" ls_drive xo_drive 1 1 2 0.5
	row "list through the drive: user CPU s" ls_drive xo_drive 2 1 2 -
	row "list through the drive: peak RSS MiB" ls_drive xo_drive 4 $mib 1 0.5
	row "list through the drive: system calls (round 1)" sys_ls sys_xl 1 1 0 -
	row "list the exported image: wall s" ls_image xo_image 1 1 2 0.5
	row "list the exported image: user CPU s" ls_image xo_image 2 1 2 -
	row "list the exported image: peak RSS MiB" ls_image xo_image 4 $mib 1 0.5
	row "image file append: wall s" bi xi 1 1 2 0.5
	row "image file append: user CPU s" bi xi 2 1 2 -
	row "image file append: peak RSS MiB" bi xi 4 $mib 1 -
	row "image file append: blocks changed or added (round 1)" bi.blocks xi.blocks 1 1 0 1.6
}

rm -rf "$res"
mkdir -p "$res"
for r in $(seq "$rounds"); do
	round "$r"
	image_round "$r"
done
echo "Append 10 files (1 MiB) to a virtual BD-R of 100,000 files in 1,000 directories," \
	"$rounds interleaved rounds: burnfs burn (ISO 9660, Rock Ridge, Joliet, UDF 2.50; the disc's" \
	"tree carried over) against xorriso -dev $dev -map NEW / -commit through the shim (ISO 9660," \
	"Rock Ridge; no verify); listing burnfs's appended disc: burnfs ls -R (every name printed," \
	"to /dev/null) against xorriso -indev loading its tree (printing none); image files: burnfs" \
	"image --append onto an image made by burnfs image --media bd against xorriso -dev FILE" \
	"-map NEW / -commit onto its own."
echo
report
echo
echo "First sessions: burnfs $(head -1 "$res/first_b") blocks, xorriso $(head -1 "$res/first_x")" \
	"blocks. burnfs's appended session (round 1): $(head -1 "$res/bf.blocks") blocks, of which" \
	"$(cut -d' ' -f3 "$res/manifest") the new files' data, $(cut -d' ' -f1 "$res/manifest") the" \
	"manifest's new chunks and trailer (/.burnfs/SHA256SUMS, $(cut -d' ' -f2 "$res/manifest")" \
	"bytes; its chunks of earlier sessions are kept where they are), the rest ISO 9660, Rock" \
	"Ridge, Joliet and UDF metadata and the padding to BD-R's 32-block unit. xorriso through the shim sent $(cat "$res/scsi_xl") SCSI commands to load" \
	"the disc; burnfs ls has no command trace: the virtual drive reads a block run per READ(10)," \
	"one pread64 (below)."
cat "$res/counts" "$res/notes" "$res/image"
