#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# contrib/bench/boot.sh [WORKDIR]: a bootable hybrid image of a 4 GiB tree (issue 14 §3):
#   burnfs image --boot-bios --boot-efi --hybrid   (its manifest hashes every file)
#   burnfs image ... --no-manifest                 (copies only, as xorriso does)
#   xorriso -as mkisofs -b -boot-info-table -e -isohybrid-mbr -isohybrid-gpt-basdat
# The tree: isolinux + a 2 MiB FAT EFI image, 3 files of 1 GiB and 1 GiB in 16,384 files
# of 64 KiB (random data, the same names and sizes every run). Rounds (ROUNDS, default 5)
# run the three interleaved; per round the ratio burnfs/xorriso of wall time, then the
# median; user CPU seconds beside. Target: burnfs <= 0.5x xorriso's wall time.
# burnfs writes an image file around the page cache (O_DIRECT): when it exits the image is
# on the disk; xorriso's is in memory, written out later. So each command is followed by a
# timed sync, and the ratio of the two together ("to disk") is printed as well.
# Needs ~9 GiB free in WORKDIR (default: ${TMPDIR:-/tmp}/burnfs-bench-boot). Not a test.
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
burnfs=${BURNFS:-$root/build/cli/burnfs}
[ -x "$burnfs" ] || { echo "build first: contrib/quickstart.sh" >&2; exit 1; }
for t in xorriso /usr/bin/time mkfs.vfat /usr/lib/ISOLINUX/isolinux.bin \
	/usr/lib/ISOLINUX/isohdpfx.bin; do
	command -v "$t" >/dev/null || [ -e "$t" ] || { echo "missing $t (contrib/deps.sh test)" >&2; exit 1; }
done
w=${1:-${TMPDIR:-/tmp}/burnfs-bench-boot}
src=$w/tree
mkdir -p "$w"
export SOURCE_DATE_EPOCH=1700000000

if [ ! -d "$src" ]; then
	echo "generating the 4 GiB tree..." >&2
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp/isolinux" "$src.tmp/boot" "$src.tmp/live"
	cp /usr/lib/ISOLINUX/isolinux.bin "$src.tmp/isolinux/"
	printf 'PROMPT 0\nDEFAULT none\n' >"$src.tmp/isolinux/isolinux.cfg"
	mkfs.vfat -C "$src.tmp/boot/efi.img" 2048 >/dev/null
	for i in 1 2 3; do
		head -c 1073741824 /dev/urandom >"$src.tmp/live/part$i.squashfs"
	done
	/usr/bin/python3 - "$src.tmp/pkgs" <<'PY'
import os, sys
root = sys.argv[1]
for a in range(64):
    d = os.path.join(root, "p%02d" % a)
    os.makedirs(d)
    for i in range(256):
        with open(os.path.join(d, "f%03d.deb" % i), "wb") as f:
            f.write(os.urandom(65536))
PY
	mv "$src.tmp" "$src"
fi

boot=(--boot-bios /isolinux/isolinux.bin --boot-efi /boot/efi.img --hybrid)
xboot=(-b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4
	-boot-info-table -eltorito-alt-boot -e boot/efi.img -no-emul-boot
	-isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin -isohybrid-gpt-basdat)

# measure NAME CMD...: "NAME wall_s user_s"
measure() {
	local name=$1
	shift
	rm -f "$w/out.iso"
	sync
	/usr/bin/time -f "%e %U" -o "$w/time" "$@" >/dev/null 2>"$w/err" ||
		{ echo "$name failed: $(tail -3 "$w/err")" >&2; exit 1; }
	/usr/bin/time -f "%e" -o "$w/time.sync" sync
	echo "$name $(cat "$w/time") $(cat "$w/time.sync")"
}

for r in $(seq "${ROUNDS:-5}"); do
	measure burnfs "$burnfs" image -q "$src" -o "$w/out.iso" "${boot[@]}"
	measure burnfs-nomanifest "$burnfs" image -q --no-manifest "$src" -o "$w/out.iso" "${boot[@]}"
	measure xorriso xorriso -as mkisofs -quiet -R -J -o "$w/out.iso" "${xboot[@]}" "$src"
	echo "round $r done" >&2
done | awk -v rounds="${ROUNDS:-5}" '
	function median(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ k = ++cnt[$1]; wall[$1, k] = $2; user[$1, k] = $3; disk[$1, k] = $2 + $4 }
	END {
		printf "%-6s %18s %18s %18s %9s %9s\n", "round", "burnfs wall/user", "no-manifest", "xorriso", "ratio", "ratio nm"
		for (k = 1; k <= rounds; k++) {
			ra[k] = wall["burnfs", k] / wall["xorriso", k]
			rn[k] = wall["burnfs-nomanifest", k] / wall["xorriso", k]
			rd[k] = disk["burnfs", k] / disk["xorriso", k]
			ub[k] = user["burnfs", k]; un[k] = user["burnfs-nomanifest", k]; ux[k] = user["xorriso", k]
			printf "%-6d %9.2f/%-8.2f %9.2f/%-8.2f %9.2f/%-8.2f %8.2fx %8.2fx\n", k,
				wall["burnfs", k], user["burnfs", k], wall["burnfs-nomanifest", k],
				user["burnfs-nomanifest", k], wall["xorriso", k], user["xorriso", k], ra[k], rn[k]
		}
		printf "to disk (command + sync) s, burnfs / xorriso:"
		for (k = 1; k <= rounds; k++)
			printf " %.2f/%.2f", disk["burnfs", k], disk["xorriso", k]
		printf "\n"
		printf "median burnfs/xorriso wall: %.2fx (no manifest %.2fx; to disk %.2fx); median user CPU s: burnfs %.2f, no manifest %.2f, xorriso %.2f\n",
			median(ra, rounds), median(rn, rounds), median(rd, rounds), median(ub, rounds), median(un, rounds), median(ux, rounds)
	}'
rm -f "$w/out.iso"
