#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# contrib/bench/burn.sh [WORKDIR]: a 4 GiB tree (4 files of 1 GiB, shared with image.sh)
# burned to a virtual BD-R with full verify, unthrottled, against the floor: cat of the
# sources into one file on the same disk plus reading that file back. Prints the wall
# ratio (target <= 1.3x) and CPU seconds per GiB. One run; not a test.
set -eu
cd "$(dirname "$0")/../.."
burnfs=${BURNFS:-$(pwd)/build/cli/burnfs}
[ -x "$burnfs" ] || { echo "build first: contrib/quickstart.sh" >&2; exit 1; }
w=${1:-${TMPDIR:-/tmp}/burnfs-bench}
mkdir -p "$w"
if [ ! -d "$w/large" ]; then
	echo "generating 4 x 1 GiB..." >&2
	mkdir -p "$w/large.tmp"
	for i in 1 2 3 4; do head -c 1073741824 /dev/urandom >"$w/large.tmp/big$i.bin"; done
	mv "$w/large.tmp" "$w/large"
fi
export SOURCE_DATE_EPOCH=1700000000
gib=$(du -sb "$w/large" | awk '{print $1 / 1073741824}')
rm -rf "$w/vd" "$w/floor.img"
sync
"$burnfs" vdrive create --media bd-r "$w/vd"
/usr/bin/time -f "%e %U %S" -o "$w/t.burn" "$burnfs" burn "$w/large" --drive "vdrive:$w/vd" \
	--verify full 2>"$w/burn.err" || { cat "$w/burn.err" >&2; exit 1; }
rm -rf "$w/vd"
sync
/usr/bin/time -f "%e %U %S" -o "$w/t.floor" sh -c "cat '$w'/large/* > '$w/floor.img' && cat '$w/floor.img' > /dev/null"
rm -f "$w/floor.img"
read -r bw bu bs <"$w/t.burn"
read -r fw fu fs <"$w/t.floor"
awk -v bw="$bw" -v bu="$bu" -v bs="$bs" -v fw="$fw" -v fu="$fu" -v fs="$fs" -v g="$gib" 'BEGIN {
	printf "%-28s %8s %12s\n", "", "wall s", "CPU s/GiB"
	printf "%-28s %8.2f %12.2f\n", "burnfs burn + full verify", bw, (bu + bs) / g
	printf "%-28s %8.2f %12.2f\n", "cat + read back (floor)", fw, (fu + fs) / g
	printf "ratio: %.2fx (target <= 1.3x)\n", bw / fw
}'
