#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# contrib/bench/audio.sh [WORKDIR]: 74 minutes of generated audio (20 tracks of 222 s, sox:
# a tone in the left channel, pink noise in the right) burnt disc-at-once with CD-Text and
# full verify onto a virtual CD-R by `burnfs audio`, against wodim -dao through the vdrive
# shim onto the same kind of drive followed by its verify: cdparanoia ripping every track
# through the shim and cmp of each rip with its source's PCM. Rounds interleaved
# (BURNFS_BENCH_ROUNDS, default 3); prints wall and CPU seconds per round, the ratio of each
# round and their median (target <= 0.5x). wodim gets no -text: through the shim of
# 2026-12-07 its CD-Text lead-in write fails (05/21/02), so its side writes less; and
# -overburn: it finds "Data may not fit" on the virtual 80-minute CD-R (ATIP lead-out
# 79:59:72) and stops before writing without it. Not a
# test. Needs sox, wodim, cdparanoia and the shim (meson's vdrive_shim option).
set -eu
cd "$(dirname "$0")/../.."
burnfs=${BURNFS:-$(pwd)/build/cli/burnfs}
shim=${BURNFS_SHIM:-$(pwd)/build/contrib/vdrive-shim/burnfs-vdrive-shim.so}
[ -x "$burnfs" ] && [ -f "$shim" ] || { echo "build first: contrib/quickstart.sh" >&2; exit 1; }
for tool in sox wodim cdparanoia; do
	command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done
w=${1:-${TMPDIR:-/tmp}/burnfs-bench}/audio
mkdir -p "$w"
ntracks=20
secs=222 # 20 x 222 s = 74 min
if [ ! -f "$w/src/done" ]; then
	echo "generating $ntracks tracks of $secs s..." >&2
	rm -rf "$w/src" && mkdir -p "$w/src"
	for i in $(seq -w 1 $ntracks); do
		sox -n -r 44100 -c 2 -b 16 "$w/src/t$i.wav" synth $secs sine $((200 + 10#$i * 37)) \
			pinknoise gain -6
		# the PCM a rip must equal: the WAV's data, padded to whole sectors
		sox "$w/src/t$i.wav" -t raw -e signed -b 16 -L "$w/src/t$i.pcm"
	done
	touch "$w/src/done"
fi
dev=
for n in 7 8 9 10 11 12 13 14 15; do [ -e /dev/sr$n ] || { dev=/dev/sr$n; break; }; done
[ -n "$dev" ] || { echo "no free /dev/srN name for the shim" >&2; exit 1; }
export BURNFS_VDRIVE_LONGOP_MS=0
tracks=("$w"/src/t*.wav)
titles=()
for i in $(seq 1 $ntracks); do titles+=(--track-title "$i=Track number $i"); done

burnfs_round() {
	rm -rf "$w/vd"
	"$burnfs" vdrive create --media cd-r "$w/vd" >/dev/null
	/usr/bin/time -f "%e %U %S" -o "$w/t.burnfs" "$burnfs" audio --drive "vdrive:$w/vd" --dao \
		--title "Bench album" --performer "burnfs" "${titles[@]}" --verify full "${tracks[@]}" \
		>"$w/burnfs.out" 2>&1 || { cat "$w/burnfs.out" >&2; exit 1; }
	grep -q "CD-Text, verified" "$w/burnfs.out" || { cat "$w/burnfs.out" >&2; exit 1; }
}

# wodim, then cdparanoia's rips compared with the sources: one timed shell
wodim_round() {
	rm -rf "$w/vd" "$w/rip" && mkdir -p "$w/rip"
	"$burnfs" vdrive create --media cd-r "$w/vd" >/dev/null
	/usr/bin/time -f "%e %U %S" -o "$w/t.wodim" env LD_PRELOAD="$shim" \
		BURNFS_SHIM_DRIVES="$dev=$w/vd" sh -c '
		set -e
		wodim dev="$1" -dao -overburn gracetime=0 -audio -pad "$2"/src/t*.wav >"$2/wodim.out" 2>&1
		cd "$2/rip" && cdparanoia -q -d "$1" -r -B >"$2/rip.out" 2>&1
		for i in $(seq -w 1 "$3"); do
			cmp -n "$(stat -c %s "$2/src/t$i.pcm")" "$2/rip/track$i.cdda.raw" "$2/src/t$i.pcm"
		done' sh "$dev" "$w" "$ntracks" ||
		{ tail -n 5 "$w/wodim.out" "$w/rip.out" >&2; exit 1; }
}

rounds=${BURNFS_BENCH_ROUNDS:-3}
: >"$w/all"
for r in $(seq "$rounds"); do
	if [ $((r % 2)) = 1 ]; then burnfs_round; wodim_round; else wodim_round; burnfs_round; fi
	echo "$(cat "$w/t.burnfs") $(cat "$w/t.wodim")" >>"$w/all"
done
rm -rf "$w/vd" "$w/rip"
awk -v n="$rounds" '
{ b = $1; bc = $2 + $3; x = $4; xc = $5 + $6; r[NR] = b / x
  printf "round %d: burnfs %.1f s wall, %.1f s CPU; wodim + cdparanoia %.1f s wall, %.1f s CPU: %.2fx\n", NR, b, bc, x, xc, b / x }
END { for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
  printf "median ratio of %d rounds: %.2fx (target <= 0.5x)\n", NR, NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }' "$w/all"
