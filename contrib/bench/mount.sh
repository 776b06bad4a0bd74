#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# contrib/bench/mount.sh [WORKDIR]: issue 13 §3, the disc in the staging mount.
# 1. Mount: a virtual BD-R holding append.sh's 100,000 files (1,000 directories of 100) and
#    one 200 MB file; the time from the start of `burnfs mount --foreground` to the end of
#    the first `ls -lR` of the mount, and the daemon's peak RSS (VmHWM, read from
#    /proc/PID/status before the unmount), against `xorriso -indev` loading the same disc
#    through the LD_PRELOAD shim (contrib/vdrive-shim), as append.sh's listing.
# 2. Read: that 200 MB file read through the mount (cat, a mount made before, not timed)
#    against `burnfs extract` of it, both cold (the page cache dropped before each: root
#    only, else said), in MB/s; BURNFS_BENCH_READS pairs a round (default 3).
# 3. Rename: a disc of append.sh's tree and a directory of 10,000 files; in the mount, mv of
#    that directory, then `burnfs commit --verify none`: the blocks the session took against
#    the session's own metadata, counted in its blocks (session_blocks below says how).
# The discs are burnt once (not timed) and copied for each round; the sides run
# interleaved, the order alternating between rounds. Round 1 also counts the daemon's
# system calls (strace -c -f) for the mount and the read. Targets: mount <= 0.5x xorriso's
# wall time and peak RSS, read >= 0.9x extract's throughput, the renamed session <= 1.2x
# its metadata blocks. Prints a Markdown table: each round's ratio, their median,
# PASS/MISS on the median.
# Needs xorriso, strace, /usr/bin/time, python3, /dev/fuse and fusermount3, a build with
# the shim (BURNFS, default build/cli/burnfs; BURNFS_SHIM, default
# contrib/vdrive-shim/burnfs-vdrive-shim.so of the same build; measure a release build: a
# sanitizer build measures the sanitizers) and ~3 GiB free in WORKDIR (default
# ${TMPDIR:-/tmp}/burnfs-bench, where append.sh's tree is shared). BURNFS_BENCH_ROUNDS
# (default 3). Not a test.
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
for t in xorriso strace /usr/bin/time python3 fusermount3; do
	command -v $t >/dev/null || { echo "missing $t (contrib/deps.sh test)" >&2; exit 1; }
done
[ -c /dev/fuse ] || { echo "no /dev/fuse: the mount cannot be measured" >&2; exit 1; }
w=${1:-${TMPDIR:-/tmp}/burnfs-bench}
mkdir -p "$w"
w=$(realpath "$w")
rounds=${BURNFS_BENCH_ROUNDS:-3}
reads=${BURNFS_BENCH_READS:-3} # pairs of reads a round
export SOURCE_DATE_EPOCH=1700000000 BURNFS_VDRIVE_LONGOP_MS=0
# the daemon's state and default staging directories inside WORKDIR, not the user's
export XDG_STATE_HOME=$w/mount-state XDG_DATA_HOME=$w/mount-data
old=$w/append-old # append.sh's tree, made by either script
big=$w/mount-big  # big.bin, 200,000,000 bytes
many=$w/mount-many
discm=$w/mount-disc-m # the append tree and big.bin
discr=$w/mount-disc-r # the append tree and many/ (10,000 files)
s=$w/mount-run
res=$w/mount-results
fail() {
	echo "mount.sh: $*" >&2
	exit 1
}

# ---- the trees and discs (made once) -----------------------------------------------------
make_trees() {
	tiny_files "$old"
	if [ ! -d "$big" ]; then
		/usr/bin/python3 - "$big.tmp" <<'PY'
import os, random, sys
r = random.Random(13)
os.makedirs(sys.argv[1])
with open(os.path.join(sys.argv[1], "big.bin"), "wb") as f:
    for i in range(200):
        f.write(r.randbytes(1000000))
PY
		mv "$big.tmp" "$big"
	fi
	if [ ! -d "$many" ]; then
		/usr/bin/python3 - "$many.tmp" <<'PY'
import os, sys
p = os.path.join(sys.argv[1], "many")
os.makedirs(p)
for f in range(10000):
    with open(os.path.join(p, "g%04d.txt" % f), "w") as fh:
        fh.write("%d\n" % f)
PY
		mv "$many.tmp" "$many"
	fi
}

# burn_disc DIR SRC...: a virtual BD-R holding the SRC directories' contents, one session
burn_disc() {
	local d=$1
	shift
	[ ! -d "$d" ] || return 0
	"$burnfs" vdrive create --media bd-r "$d.tmp" >/dev/null || fail "vdrive create $d"
	"$burnfs" burn "$@" --drive "vdrive:$d.tmp" --verify none 2>"$w/mount-setup.err" ||
		fail "burn $d: $(tail -3 "$w/mount-setup.err")"
	mv "$d.tmp" "$d"
}

# ---- helpers -----------------------------------------------------------------------------
dev=
for n in 7 8 9 10 11 12 13 14 15; do
	[ -e "/dev/sr$n" ] || { dev=/dev/sr$n; break; }
done
[ -n "$dev" ] || fail "/dev/sr7../dev/sr15 all exist: no free path for the shim"
nwa() { "$burnfs" vdrive info "$1" | sed -n 's/.*next writable address \([0-9]*\).*/\1/p'; }
# timed KEY CMD...: CMD under /usr/bin/time; "wall user sys maxrss_kib" appended to $res/KEY
timed() {
	local k=$1
	shift
	sync
	/usr/bin/time -f "%e %U %S %M" -o "$s/time" "$@" >"$s/$k.out" 2>"$s/$k.err" ||
		fail "$k: $(tail -5 "$s/$k.err")"
	cat "$s/time" >>"$res/$k"
}
cold=yes
drop_caches() {
	sync
	if [ -w /proc/sys/vm/drop_caches ]; then
		echo 3 >/proc/sys/vm/drop_caches
	else
		cold=no
	fi
}
# mount_bg KEY DISC [WRAPPER...]: burnfs mount --foreground of DISC on $s/mnt started in the
# background with a staging directory of its own; its pid (or WRAPPER's: strace) in $mpid.
# Returns at once: mounted_ls waits for the mount.
mount_bg() {
	local k=$1 d=$2
	shift 2
	mkdir -p "$s/mnt"
	"$@" "$burnfs" mount --foreground --drive "vdrive:$d" --staging "$s/staging.$k" \
		"$s/mnt" 2>"$s/$k.mount.err" &
	mpid=$!
}
# mounted_ls OUT [ls -lR]: wait for $s/mnt to become a mount (its device changes; polled
# every millisecond in one process, not a fork per poll), then exec the command, if any
mounted_ls() {
	/usr/bin/python3 - "$s/mnt" "$@" <<'PY'
import os, sys, time
mp, out, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
parent = os.stat(os.path.dirname(mp)).st_dev
t = time.monotonic()
while os.stat(mp).st_dev == parent:
    if time.monotonic() - t > 120:
        sys.exit("the mount did not come in 120 s")
    time.sleep(0.001)
if cmd:
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.execvp(cmd[0], cmd)
PY
}
# umount_wait: unmount $s/mnt and wait for the daemon $mpid to end
umount_wait() {
	"$burnfs" umount "$s/mnt" >/dev/null 2>"$s/umount.err" || fail "umount: $(cat "$s/umount.err")"
	wait "$mpid" || fail "the mount daemon failed: $(tail -3 "$s"/*.mount.err)"
}
# VmHWM (KiB) and user and system CPU (s) of a live process
proc_stats() {
	local hwm ticks
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$1/status")
	ticks=$(getconf CLK_TCK)
	# fields 14 and 15 of stat, counted after the command name's closing parenthesis
	sed 's/.*) //' "/proc/$1/stat" | awk -v t="$ticks" -v h="$hwm" '{ printf "%.2f %.2f %s", $12 / t, $13 / t, h }'
}

# ---- 1. mount and list ---------------------------------------------------------------------
# mount_list: from the start of burnfs mount --foreground to the end of ls -lR of the mount;
# "wall user sys vmhwm_kib" of the daemon appended to $res/mnt
mount_list() {
	local t0 t1 st n
	sync
	t0=$(date +%s%N)
	mount_bg mnt "$s/m"
	mounted_ls "$s/mnt.out" ls -lR "$s/mnt" || fail "ls -lR of the mount: $(tail -3 "$s/mnt.mount.err")"
	t1=$(date +%s%N)
	st=$(proc_stats "$mpid")
	umount_wait
	n=$(grep -c '^-' "$s/mnt.out")
	[ "$n" = 100001 ] || fail "ls -lR of the mount listed $n files, not 100,001"
	echo "$(((t1 - t0) / 1000000)) $st" | awk '{ printf "%.3f %s %s %.0f\n", $1 / 1000, $2, $3, $4 }' >>"$res/mnt"
}
xorriso_load() {
	timed xo env LD_PRELOAD="$shim" BURNFS_SHIM_DRIVES="$dev=$s/m" xorriso -indev "$dev"
	grep -q "nodes read" "$s/xo.err" || fail "xorriso did not load the disc: $(tail -3 "$s/xo.err")"
}

# ---- 2. read a 200 MB file -----------------------------------------------------------------
# read_mount: the mount made (not timed), then cat of big.bin, cold; "wall" to $res/rd
read_mount() {
	mount_bg rd "$s/m"
	mounted_ls "$s/rd.ready" || fail "mount: $(tail -3 "$s/rd.mount.err")"
	drop_caches
	# shellcheck disable=SC2016 # $1 is sh's
	timed rd sh -c 'exec cat "$1" >/dev/null' sh "$s/mnt/big.bin"
	umount_wait
}
read_extract() {
	rm -rf "$s/ex"
	drop_caches
	timed ex "$burnfs" extract --drive "vdrive:$s/m" /big.bin -o "$s/ex"
	cmp -s "$s/ex/big.bin" "$big/big.bin" || fail "extract: big.bin differs from its source"
	rm -rf "$s/ex"
}

# read_pairs ROUND: $reads reads by each side, alternating, the first side alternating
# between rounds (one read of 200 MB is a fraction of a second: the machine's noise
# decides a single pair)
read_pairs() {
	local i
	for i in $(seq "$reads"); do
		if [ $(((i + $1) % 2)) = 0 ]; then
			read_mount
			read_extract
		else
			read_extract
			read_mount
		fi
	done
}

# ---- 3. rename a directory of 10,000 files and commit ----------------------------------------
rename_commit() {
	local b0
	b0=$(nwa "$s/r")
	mount_bg rn "$s/r"
	mounted_ls "$s/rn.ready" || fail "mount: $(tail -3 "$s/rn.mount.err")"
	mv "$s/mnt/many" "$s/mnt/many.renamed"
	timed rn "$burnfs" commit "$s/mnt" --verify none
	umount_wait
	echo "$b0 $(($(nwa "$s/r") - b0))" >>"$res/rn.session"
	[ "$("$burnfs" ls --drive "vdrive:$s/r" /many.renamed | grep -c 'g[0-9]*\.txt')" = 10000 ] ||
		fail "the renamed directory does not hold 10,000 files on the disc"
	! "$burnfs" ls --drive "vdrive:$s/r" / | grep -qx many || fail "many/ is still on the disc"
}

# session_blocks IMAGE START COUNT: the session's blocks by what they hold, from its own
# structures: the ISO 9660 and Joliet trees walked from the session's volume descriptors
# (directory extents, Rock Ridge continuation areas (CE), path tables, the files' extents:
# /_BURNFS's (the manifest) and the others' (file data), each counted where it lies in the
# session); the UDF blocks found by their descriptor tags (a valid tag checksum and
# identifier: descriptors, file entries, space and integrity descriptors) and the directory
# blocks after a tag 257 (a File Identifier Descriptor) that the FIDs run on into; the ISO
# volume descriptors and the UDF volume recognition sequence by their identifiers; the
# blocks of zeros. Prints "key blocks" lines; "rest" is what none of these claimed.
session_blocks() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
B = 2048
f, S, N = open(sys.argv[1], "rb"), int(sys.argv[2]), int(sys.argv[3])
def blk(n):
    f.seek(n * B)
    return f.read(B)
def le32(b, o):
    return int.from_bytes(b[o:o + 4], "little")
cls = {}
def claim(key, lba, nblocks):
    for b in range(lba, lba + nblocks):
        if S <= b < S + N and b not in cls:
            cls[b] = key
def blocks(size):
    return (size + B - 1) // B
def susp_ce(rec, namelen):
    o = 33 + namelen + (1 - namelen % 2)
    while o + 4 <= len(rec):
        sig, ln = rec[o:o + 2], rec[o + 2]
        if ln < 4:
            break
        if sig == b"CE":
            yield le32(rec, o + 4), le32(rec, o + 20)
        o += ln
def walk(lba, size, key, path, seen):
    if lba in seen:
        return
    seen.add(lba)
    claim(key + " directories", lba, blocks(size))
    f.seek(lba * B)
    d, o = f.read(size), 0
    while o < len(d):
        ln = d[o]
        if ln == 0:
            o = (o // B + 1) * B
            continue
        rec = d[o:o + ln]
        nl = rec[32]
        name = rec[33:33 + nl]
        elba, esize, flags = le32(rec, 2), le32(rec, 10), rec[25]
        if key == "ISO 9660":
            for cl, cn in susp_ce(rec, nl):
                claim("Rock Ridge continuation areas", cl, blocks(cn))
        if name not in (b"\0", b"\1"):
            if flags & 2:
                walk(elba, esize, key, path + [name], seen)
            elif key == "ISO 9660":
                top = path[0] if path else name
                claim("manifest" if top == b"_BURNFS" else "file data", elba, blocks(esize))
        o += ln
vd, n = {}, S + 16
while True:
    b = blk(n)
    claim("volume descriptors (ISO 9660)", n, 1)
    if b[1:6] != b"CD001" or b[0] == 255:
        break
    if b[0] == 1:
        vd["pvd"] = b
    if b[0] == 2 and b[88:91] in (b"%/@", b"%/C", b"%/E"):
        vd["svd"] = b
    n += 1
for key, v in (("ISO 9660", "pvd"), ("Joliet", "svd")):
    b = vd[v]
    pts = le32(b, 132)
    for o in (140, 144):
        if le32(b, o):
            claim("path tables", le32(b, o), blocks(pts))
    for o in (148, 152):
        loc = int.from_bytes(b[o:o + 4], "big")
        if loc:
            claim("path tables", loc, blocks(pts))
    walk(le32(b, 156 + 2), le32(b, 156 + 10), key, [], set())
TAGS = set(range(1, 10)) | set(range(256, 267))
def tag(b):
    t = int.from_bytes(b[0:2], "little")
    return t if t in TAGS and sum(b[0:4]) + sum(b[5:16]) & 255 == b[4] and any(b[:16]) else 0
zero = bytes(B)
b = S
while b < S + N:
    d = blk(b)
    if b in cls:
        pass
    elif d == zero:
        cls[b] = "zeros"
    elif d[1:6] in (b"BEA01", b"NSR02", b"NSR03", b"TEA01"):
        cls[b] = "UDF volume recognition"
    elif tag(d) == 257:
        # a directory's FIDs: each 38 + L_IU + L_FI bytes, padded to 4, tag 257 each
        f.seek(b * B)
        run = f.read(min(S + N - b, 4096) * B)
        o = 0
        while o + 38 <= len(run) and tag(run[o:o + 16]) == 257:
            o += (38 + run[o + 19] + int.from_bytes(run[o + 36:o + 38], "little") + 3) & ~3
        for x in range(b, b + max(1, blocks(o))):
            cls.setdefault(x, "UDF directories (FIDs)")
        b += max(1, blocks(o))
        continue
    elif tag(d) in (261, 266):
        cls[b] = "UDF file entries"
    elif tag(d):
        cls[b] = "UDF descriptors"
    else:
        cls[b] = "rest"
    b += 1
out = {}
for k in cls.values():
    out[k] = out.get(k, 0) + 1
for k, v in sorted(out.items(), key=lambda kv: -kv[1]):
    print("%s\t%d" % (k, v))
PY
}

# ---- one round -----------------------------------------------------------------------------
setup_round() {
	rm -rf "$s"
	mkdir -p "$s"
	cp -a --sparse=always "$discm" "$s/m"
	cp -a --sparse=always "$discr" "$s/r"
}

# round 1, after the timed runs: the daemon's system calls during the mount and ls -lR, and
# during the read of big.bin (strace -c -f -w; the timed runs are not traced)
count_round() {
	local start count
	mount_bg st_mnt "$s/m" strace -c -f -w -S calls -o "$s/st_mnt.st"
	mounted_ls "$s/st_mnt.out" ls -lR "$s/mnt" || fail "ls -lR (strace)"
	umount_wait
	mount_bg st_rd "$s/m" strace -c -f -w -S calls -o "$s/st_rd.st"
	mounted_ls "$s/st_rd.ready" || fail "mount (strace)"
	drop_caches
	cat "$s/mnt/big.bin" >/dev/null
	umount_wait
	cmp_mount_content
	for k in st_mnt st_rd; do
		awk '$1 ~ /^[0-9.]+$/ && $NF != "total" && n++ < 4 { printf "%s%s %s", (n > 1 ? ", " : ""), $NF, $4 }
			$NF == "total" { t = $4 } END { printf " (%d in all)", t }' "$s/$k.st" >"$res/$k"
	done
	"$burnfs" vdrive export "$s/r" -o "$s/r.img" >/dev/null
	read -r start count <"$res/rn.session" # round 1's: the only line yet
	session_blocks "$s/r.img" "$start" "$count" >"$res/rn.classes"
	rm -f "$s/r.img"
}
# the mount's big.bin is the source's, byte for byte (warm, not timed)
cmp_mount_content() {
	mount_bg cmp "$s/m"
	mounted_ls "$s/cmp.ready" || fail "mount (cmp)"
	cmp -s "$s/mnt/big.bin" "$big/big.bin" || { umount_wait; fail "big.bin through the mount differs from its source"; }
	umount_wait
}

round() {
	local r=$1
	setup_round
	if [ $((r % 2)) = 1 ]; then
		mount_list
		xorriso_load
	else
		xorriso_load
		mount_list
	fi
	read_pairs "$r"
	rename_commit
	[ "$r" != 1 ] || count_round
	echo "round $r: mount+ls -lR $(tail -1 "$res/mnt" | cut -d' ' -f1) s, xorriso" \
		"$(tail -1 "$res/xo" | cut -d' ' -f1) s; read $(tail -1 "$res/rd" | cut -d' ' -f1) s," \
		"extract $(tail -1 "$res/ex" | cut -d' ' -f1) s; rename session" \
		"$(tail -1 "$res/rn.session" | cut -d' ' -f2) blocks" >&2
	rm -rf "$s"
}

# ---- the table -----------------------------------------------------------------------------
# row LABEL FILE_A FILE_B COLUMN_A COLUMN_B SCALE_A SCALE_B DECIMALS TARGET [>=]: each
# round's A and B, A/B per round, the median ratio, the target (a ratio, or - for none) and
# PASS/MISS on the median (<= the target, or >= with a sixth argument ">=")
row() {
	paste -d' ' "$res/$2" "$res/$3" | awk -v label="$1" -v ca="$4" -v cb="$5" -v sa="$6" \
		-v sb="$7" -v dec="$8" -v tgt="$9" -v ge="${10:-}" -v na="$(head -1 "$res/$2" | wc -w)" '
	function join(v, n,   i, o) {
		for (i = 1; i <= n; i++)
			o = o (i > 1 ? ", " : "") sprintf("%." dec "f", v[i])
		return o
	}
	function val(c, s) { return s ~ /^\// ? substr(s, 2) / $c : $c * s }
	{ a[NR] = val(ca, sa); b[NR] = val(na + cb, sb); r[NR] = b[NR] ? a[NR] / b[NR] : 0; q[NR] = r[NR] }
	END {
		for (i = 2; i <= NR; i++)
			for (j = i; j > 1 && q[j - 1] > q[j]; j--) { t = q[j]; q[j] = q[j - 1]; q[j - 1] = t }
		m = NR % 2 ? q[(NR + 1) / 2] : (q[NR / 2] + q[NR / 2 + 1]) / 2
		for (i = 1; i <= NR; i++)
			ratios = ratios (i > 1 ? ", " : "") sprintf("%.2f×", r[i])
		ok = ge ? m >= tgt + 0 : m <= tgt + 0
		verdict = tgt == "-" ? "" : (ok ? "PASS" : "**MISS**")
		mf = (tgt != "-" && sprintf("%.2f", m) == sprintf("%.2f", tgt)) ? "%.3f×" : "%.2f×"
		printf "| %s | %s | %s | %s | " mf " | %s | %s |\n", label, join(a, NR), join(b, NR),
			ratios, m, tgt == "-" ? "—" : sprintf("%s %.1f×", ge ? "≥" : "≤", tgt), verdict
	}'
}

report() {
	local mib=0.0009765625 mb=/200
	echo "| measure | burnfs | other | ratio per round (reads: per pair) | median | target | |"
	echo "|---|---|---|---|---|---|---|"
	row "mount + first ls -lR: wall s (against xorriso -indev)" mnt xo 1 1 1 1 2 0.5
	row "mount + first ls -lR: user CPU s" mnt xo 2 2 1 1 2 -
	row "mount + first ls -lR: peak RSS MiB (VmHWM; xorriso: time's max RSS)" mnt xo 4 4 $mib $mib 1 0.5
	row "read 200 MB, cold: MB/s (mount's cat against burnfs extract; $reads pairs a round)" \
		rd ex 1 1 $mb $mb 0 0.9 ">="
	row "rename of a 10,000-file directory: session blocks against its metadata blocks" \
		rn.session rn.meta 2 1 1 1 0 1.2
}

make_trees
if [ ! -d "$discm" ]; then
	mkdir -p "$w/mount-src-m"
	cp -al "$old/." "$big/big.bin" "$w/mount-src-m/"
	burn_disc "$discm" "$w/mount-src-m"
	rm -rf "$w/mount-src-m"
fi
if [ ! -d "$discr" ]; then
	mkdir -p "$w/mount-src-r"
	cp -al "$old/." "$many/many" "$w/mount-src-r/"
	burn_disc "$discr" "$w/mount-src-r"
	rm -rf "$w/mount-src-r"
fi
# a run stopped half way leaves no mount behind (the daemon ends with it)
leave_no_mount() {
	if mountpoint -q "$s/mnt" 2>/dev/null; then
		fusermount3 -u -z "$s/mnt" || true
	fi
}
trap leave_no_mount EXIT
rm -rf "$res" "$XDG_STATE_HOME" "$XDG_DATA_HOME"
mkdir -p "$res"
for r in $(seq "$rounds"); do
	round "$r"
done
# the metadata blocks: every class the session's structures name but the file data and the
# zeros (round 1's session; the others are the same bytes, SOURCE_DATE_EPOCH)
meta=$(awk -F'\t' '$1 != "zeros" && $1 != "file data" && $1 != "rest" { n += $2 } END { print n }' "$res/rn.classes")
for r in $(seq "$rounds"); do echo "$meta"; done >"$res/rn.meta"
echo "The staging mount over a virtual BD-R, $rounds interleaved rounds; release build" \
	"$("$burnfs" --version). Mount: a disc of 100,000 files in 1,000 directories and a 200 MB" \
	"file; burnfs mount --foreground from its start to the end of ls -lR of the mount, against" \
	"xorriso -indev $dev loading the same disc through the shim. Read: that file, $([ $cold = yes ] &&
		echo "cold" || echo "NOT cold (not root: the page cache was not dropped)"), by cat" \
	"through the mount against burnfs extract. Rename: a disc of the same 100,000 files and a" \
	"directory of 10,000, mv of that directory in the mount and burnfs commit --verify none."
echo
report
echo
echo "The renamed session (round 1): $(cut -d' ' -f2 "$res/rn.session" | head -1) blocks from" \
	"block $(cut -d' ' -f1 "$res/rn.session" | head -1): $(awk -F'\t' '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }' "$res/rn.classes");" \
	"metadata: all but the zeros, the file data and the rest ($meta)."
echo "The daemon's most frequent system calls (round 1, strace -c -f): mount and ls -lR:" \
	"$(cat "$res/st_mnt"); the cold read of big.bin (with the mount): $(cat "$res/st_rd")."
