#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# contrib/bench/image.sh [WORKDIR]: wall time and peak RSS of building an image from
#   (a) 100,000 small files (0-8 KiB) in about 1,400 directories
#   (b) 4 files of 1 GiB (random data)
# with burnfs image --media dvd, genisoimage -udf -J -R, xorriso -as mkisofs -J -R, and
# cat of the same data to one file (the floor), in one run; prints ratios.
# Targets: (a) burnfs <= 0.5x genisoimage wall and <= 0.5x its peak RSS;
#          (b) burnfs <= 1.15x the cat floor.
# Each tool runs ROUNDS (default 5) times; the table shows the best wall time.
# Needs ~10 GiB free in WORKDIR (default: ${TMPDIR:-/tmp}/burnfs-bench). Not a test.
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
burnfs=${BURNFS:-$root/build/cli/burnfs}
[ -x "$burnfs" ] || { echo "build first: contrib/quickstart.sh" >&2; exit 1; }
for t in genisoimage xorriso /usr/bin/time; do
	command -v $t >/dev/null || { echo "missing $t (contrib/deps.sh test)" >&2; exit 1; }
done
# shellcheck source=contrib/bench/lib.sh
. contrib/bench/lib.sh
w=${1:-${TMPDIR:-/tmp}/burnfs-bench}
mkdir -p "$w"
export SOURCE_DATE_EPOCH=1700000000

if [ ! -d "$w/small" ]; then
	echo "generating (a) 100,000 small files..." >&2
	small_files "$w/small"
fi
if [ ! -d "$w/large" ]; then
	echo "generating (b) 4 x 1 GiB..." >&2
	mkdir -p "$w/large.tmp"
	for i in 1 2 3 4; do
		head -c 1073741824 /dev/urandom >"$w/large.tmp/big$i.bin"
	done
	mv "$w/large.tmp" "$w/large"
fi

# measure NAME CMD...: prints "NAME wall_s peak_rss_kib"
measure() {
	local name=$1
	shift
	rm -f "$w/out.img"
	sync
	/usr/bin/time -f "%e %M" -o "$w/time" "$@" >/dev/null 2>"$w/err" ||
		{ echo "$name failed: $(tail -3 "$w/err")" >&2; exit 1; }
	echo "$name $(cat "$w/time")"
}

# Each tool runs ROUNDS times (default 5), interleaved with the others, and the best wall
# time and the largest peak RSS count: on a shared VM the first write into freshly freed
# memory is several times slower than the next, and that noise hits whichever tool runs
# first after another tool freed its output.
run_set() {
	local set=$1 src=$w/$1 r
	for r in $(seq "${ROUNDS:-5}"); do
		measure burnfs "$burnfs" image -q --media dvd "$src" -o "$w/out.img"
		measure genisoimage genisoimage -quiet -udf -J -R -o "$w/out.img" "$src"
		measure xorriso xorriso -as mkisofs -quiet -J -R -o "$w/out.img" "$src"
		measure cat sh -c "find '$src' -type f -print0 | sort -z | xargs -0 cat > '$w/out.img'"
	done
}

report() {
	awk -v set="$1" -v rounds="${ROUNDS:-5}" '
	{
		if (!($1 in wall)) { order[n++] = $1; wall[$1] = $2; rss[$1] = $3 }
		if ($2 < wall[$1]) wall[$1] = $2
		if ($3 > rss[$1]) rss[$1] = $3
	}
	END {
		printf "(%s) best of %d rounds\n%-12s %9s %12s %10s %10s\n", set, rounds, "tool", "wall s", "peak RSS MiB", "wall/gen", "wall/cat"
		for (i = 0; i < n; i++) {
			t = order[i]
			printf "%-12s %9.2f %12.1f %10.2f %10.2f\n", t, wall[t], rss[t] / 1024,
				wall[t] / wall["genisoimage"], wall[t] / wall["cat"]
		}
		printf "burnfs/genisoimage: wall %.2fx, peak RSS %.2fx; burnfs/cat: %.2fx\n\n",
			wall["burnfs"] / wall["genisoimage"], rss["burnfs"] / rss["genisoimage"],
			wall["burnfs"] / wall["cat"]
	}'
}

run_set small | report "a: 100,000 small files in 1,400 directories"
run_set large | report "b: 4 files of 1 GiB"
rm -f "$w/out.img"
