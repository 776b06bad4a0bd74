#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# contrib/bench/staging.sh [WORKDIR]: copying into the staging filesystem against the disk
# itself and two other FUSE file systems, in one run:
#   (a) 2 GiB written sequentially in 1 MiB blocks, fsync at the end (dd conv=fsync)
#   (b) cp -r of 100,000 small files (0-8 KiB) in about 1,400 directories
# each into a native directory, a burnfs mount (a virtual BD-R), fuse-overlayfs and bindfs,
# all backed by WORKDIR's disk; prints the best of ROUNDS (default 3) and the ratio to
# native. Targets: (a) burnfs <= 1.1x native, (b) burnfs <= 1.8x native.
# Needs: fuse3, fuse-overlayfs, bindfs (Debian packages; installed with apt-get when missing
# and run as root), python3, a release build (BURNFS, default build/cli/burnfs; an ASan
# build measures the sanitizer), and ~8 GiB free in WORKDIR (default
# ${TMPDIR:-/tmp}/burnfs-bench). Not a test: figures on a shared VM are noisy.
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
burnfs=${BURNFS:-$root/build/cli/burnfs}
[ -x "$burnfs" ] || { echo "build first (meson setup build && ninja -C build), or set BURNFS" >&2; exit 1; }
missing=
for p in fuse3:fusermount3 fuse-overlayfs:fuse-overlayfs bindfs:bindfs; do
	command -v "${p#*:}" >/dev/null || missing="$missing ${p%%:*}"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || { echo "missing:$missing (apt-get install$missing)" >&2; exit 1; }
	apt-get install -y $missing >/dev/null
fi
# shellcheck source=contrib/bench/lib.sh
. contrib/bench/lib.sh
w=${1:-${TMPDIR:-/tmp}/burnfs-bench}
mkdir -p "$w"
rounds=${ROUNDS:-3}

if [ ! -d "$w/small" ]; then
	echo "generating 100,000 small files..." >&2
	small_files "$w/small"
fi

s=$w/staging-bench
mounts=()
cleanup() {
	for m in "${mounts[@]}"; do
		fusermount3 -u "$m" 2>/dev/null || true
	done
	sleep 0.5
	rm -rf "$s"
}
trap cleanup EXIT
rm -rf "$s"
mkdir -p "$s"/{native,bfs,bfs-stg,ovl,ovl-lower,ovl-upper,ovl-work,bind,bind-src,state,data}

export XDG_STATE_HOME=$s/state XDG_DATA_HOME=$s/data
"$burnfs" vdrive create --media bd-r "$s/vd" >/dev/null
"$burnfs" mount --drive "vdrive:$s/vd" --staging "$s/bfs-stg" "$s/bfs" >/dev/null
mounts+=("$s/bfs")
fuse-overlayfs -o "lowerdir=$s/ovl-lower,upperdir=$s/ovl-upper,workdir=$s/ovl-work" "$s/ovl"
mounts+=("$s/ovl")
bindfs "$s/bind-src" "$s/bind"
mounts+=("$s/bind")

targets="native bfs ovl bind"
declare -A name=([native]=native [bfs]=burnfs [ovl]=fuse-overlayfs [bind]=bindfs)
declare -A best_a best_b all_a all_b

now() { date +%s.%N; }
better() { /usr/bin/python3 -c 'import sys; a=sys.argv[1]; b=sys.argv[2]; print(b if a=="" or float(b)<float(a) else a)' "$1" "$2"; }

for r in $(seq "$rounds"); do
	for tg in $targets; do
		d=$s/$tg
		sync
		t0=$(now)
		dd if=/dev/zero of="$d/big" bs=1M count=2048 conv=fsync status=none
		t1=$(now)
		a=$(/usr/bin/python3 -c "print('%.2f' % ($t1 - $t0))")
		rm -f "$d/big"
		sync
		# a new copy each round, all removed at the end: ext4 allocates inodes slowly
		# next to many just deleted ones, which would measure the disk's history
		t0=$(now)
		cp -r "$w/small" "$d/small$r"
		t1=$(now)
		b=$(/usr/bin/python3 -c "print('%.2f' % ($t1 - $t0))")
		all_a[$tg,$r]=$a all_b[$tg,$r]=$b
		best_a[$tg]=$(better "${best_a[$tg]:-}" "$a")
		best_b[$tg]=$(better "${best_b[$tg]:-}" "$b")
		echo "round $r ${name[$tg]}: (a) ${a}s (b) ${b}s" >&2
	done
done

printf '%-16s %12s %8s %12s %8s\n' target "(a) 2 GiB" ratio "(b) cp -r" ratio
for tg in $targets; do
	printf '%-16s %11ss %7sx %11ss %7sx\n' "${name[$tg]}" "${best_a[$tg]}" \
		"$(/usr/bin/python3 -c "print('%.2f' % (${best_a[$tg]} / ${best_a[native]}))")" \
		"${best_b[$tg]}" \
		"$(/usr/bin/python3 -c "print('%.2f' % (${best_b[$tg]} / ${best_b[native]}))")"
done
# each round's burnfs against the native copy of the same round (the machine in one state)
for tg in bfs ovl bind; do
	line="${name[$tg]} per round:"
	for r in $(seq "$rounds"); do
		line="$line $(/usr/bin/python3 -c "print('(a) %.2fx (b) %.2fx' % (${all_a[$tg,$r]} / ${all_a[native,$r]}, ${all_b[$tg,$r]} / ${all_b[native,$r]}))");"
	done
	echo "$line"
done
echo "targets: burnfs (a) <= 1.10x, (b) <= 1.80x native (best of $rounds; a shared VM is noisy)"
