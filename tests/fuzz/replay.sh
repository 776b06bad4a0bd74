#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# replay.sh TARGET: run build/tests/fuzz/fuzz-TARGET over the third-party images in
# tests/fixtures and an image burnfs makes (for udf, one of each UDF revision too), each with seeded mutations (FUZZ_MUTATIONS,
# default 300); vdrive, manifest and mmc make their own inputs. Any sanitizer report or
# crash fails the test.
set -eu
target=$1
: "${BURNFS:?}" "${BURNFS_BUILD:?}" "${BURNFS_SRC:?}"
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-fuzz.XXXXXX")
trap 'rm -rf "$t"' EXIT
case $target in
vdrive)
	# random command sequences, mostly real opcodes, against a BD-R and a BD-RE
	"$BURNFS_BUILD/tests/fuzz/fuzz-vdrive" --runs "${FUZZ_RUNS:-3000}"
	exit 0 # (not exec: the EXIT trap removes $t)
	;;
manifest)
	mkdir -p "$t/src/d"
	printf x >"$t/src/back\\slash"
	printf y >"$t/src/new
line"
	echo z >"$t/src/d/plain"
	SOURCE_DATE_EPOCH=1700000000 "$BURNFS" image -q --manifest "$t/src" -o "$t/m.iso"
	xorriso -osirrox on -indev "$t/m.iso" -extract /.burnfs/SHA256SUMS "$t/SHA256SUMS" \
		>/dev/null 2>&1 || { echo "xorriso missing" >&2; exit 77; }
	"$BURNFS_BUILD/tests/fuzz/fuzz-manifest" --mutations "${FUZZ_MUTATIONS:-3000}" "$t/SHA256SUMS"
	exit 0 # (not exec: the EXIT trap removes $t)
	;;
edits)
	# the staging mount's edits logs: one of each line kind, escapes, a compact one, a torn
	# last line, and one made against another disc
	id='s1@0+100:fuzz'
	printf 'burnfs-edits 1\t%s\nD\ta\\tb\ta\\tb\nR\td\te\\n\td\nR\ts\tt\t\\-\nL\tf\te/g\nA\tf\t25\t384\t7\t0\t5\t6\t-1\t0\nR\te\\n\td\td\n' \
		"$id" >"$t/ops"
	printf 'burnfs-edits 1\t%s\nx\ta\nm\tb/c\tz\\x01\nl\tb/c\ty\nA\tq\t1\t448\t0\t0\t0\t0\t0\t0\n' \
		"$id" >"$t/compact"
	printf 'burnfs-edits 1\t%s\nD\ta\ta\nR\tb\tc\tb\nL\tb' "$id" >"$t/torn"
	printf 'burnfs-edits 1\ts9@1+2:other\nR\ta\tb\ta\n' >"$t/foreign"
	"$BURNFS_BUILD/tests/fuzz/fuzz-edits" --mutations "${FUZZ_MUTATIONS:-2000}" \
		"$t/ops" "$t/compact" "$t/torn" "$t/foreign"
	exit 0 # (not exec: the EXIT trap removes $t)
	;;
cue)
	# CUE sheets as EAC and CDRWIN write them: one file with INDEX 00/01/02, CD-Text, ISRC
	# and CATALOG; a file a track with gaps appended to the previous one; PREGAP/POSTGAP
	printf '\357\273\277REM GENRE Rock\r\nCATALOG 0123456789012\r\nPERFORMER "The Band"\r\nTITLE "Album"\r\nFILE "a.wav" WAVE\r\n  TRACK 01 AUDIO\r\n    TITLE "One"\r\n    ISRC USABC2400001\r\n    INDEX 00 00:00:00\r\n    INDEX 01 00:02:10\r\n  TRACK 02 AUDIO\r\n    FLAGS DCP PRE\r\n    SONGWRITER "S"\r\n    INDEX 00 00:05:00\r\n    INDEX 01 00:05:20\r\n    INDEX 02 00:07:00\r\n' >"$t/single.cue"
	printf 'FILE "1.flac" WAVE\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\nINDEX 00 00:05:00\nFILE "2.bin" BINARY\nINDEX 01 00:00:00\nFILE 3.bin MOTOROLA\nTRACK 03 AUDIO\nPREGAP 00:01:00\nINDEX 01 00:00:00\nPOSTGAP 00:00:30\n' >"$t/gaps.cue"
	"$BURNFS_BUILD/tests/fuzz/fuzz-cue" --mutations "${FUZZ_MUTATIONS:-3000}" "$t"/*.cue
	exit 0 # (not exec: the EXIT trap removes $t)
	;;
boot)
	# --boot-replay's reader: bootable images as burnfs and xorriso make them, El Torito for
	# BIOS and EFI, hybrid (MBR and GPT), the catalog shown as a file and hidden
	command -v xorriso >/dev/null && command -v mkfs.vfat >/dev/null &&
		[ -r /usr/lib/ISOLINUX/isolinux.bin ] || { echo "xorriso, dosfstools or isolinux missing" >&2; exit 77; }
	mkdir -p "$t/src/isolinux" "$t/src/boot"
	cp /usr/lib/ISOLINUX/isolinux.bin "$t/src/isolinux/"
	mkfs.vfat -C "$t/src/boot/efi.img" 128 >/dev/null
	echo hi >"$t/src/readme"
	SOURCE_DATE_EPOCH=1700000000 "$BURNFS" image -q "$t/src" -o "$t/hybrid.iso" --media cd \
		--boot-bios /isolinux/isolinux.bin --boot-efi /boot/efi.img --hybrid
	SOURCE_DATE_EPOCH=1700000000 "$BURNFS" image -q "$t/src" -o "$t/shown.iso" --media cd \
		--boot-bios /isolinux/isolinux.bin --boot-catalog /isolinux/boot.cat
	xorriso -as mkisofs -quiet -R -J -o "$t/xorriso.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
		-eltorito-alt-boot -e boot/efi.img -no-emul-boot \
		-isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin -isohybrid-gpt-basdat "$t/src" 2>/dev/null
	"$BURNFS_BUILD/tests/fuzz/fuzz-boot" --mutations "${FUZZ_MUTATIONS:-2000}" "$t"/*.iso
	exit 0 # (not exec: the EXIT trap removes $t)
	;;
mmc)
	# drive replies as MMC-6 and SPC-4 lay them out: sense in fixed and descriptor format,
	# READ TRACK INFORMATION, GET PERFORMANCE (write speeds), SG_IO host/driver status,
	# READ TOC formats 0 and 2
	/usr/bin/python3 - "$t" <<'PY'
import struct, sys
d = sys.argv[1]
def w(name, b):
    open(d + "/" + name, "wb").write(bytes(b))
# NOT READY, long write in progress, progress 40%: key 2, 04/08, SKSV + progress
w("sense-fixed-progress", [0x70, 0, 0x02, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x04, 0x08, 0, 0x80, 0x66, 0x66])
w("sense-fixed-deferred", [0xF1, 0, 0x03, 0, 0, 0x12, 0x34, 10, 0, 0, 0, 0, 0x0C, 0x00, 0, 0, 0, 0])
desc = (bytes([0x00, 0x0A, 0x80, 0]) + struct.pack(">Q", 0x1234) +  # information
        bytes([0x01, 0x0A, 0, 0]) + struct.pack(">Q", 16) +         # command-specific
        bytes([0x02, 0x06, 0, 0, 0x80, 0x12, 0x34, 0]) +            # sense key specific
        bytes([0x03, 0x02, 0, 0x07]) +                              # FRU
        bytes([0x05, 0x02, 0, 0xE0]) + bytes([0x06, 0x02, 0, 0x20]))
w("sense-descriptor", bytes([0x72, 0x05, 0x21, 0x00, 0, 0, 0, len(desc)]) + desc)
w("sense-descriptor-deferred", [0x73, 0x02, 0x04, 0x07, 0, 0, 0, 8, 0x02, 0x06, 0, 0, 0x80, 0x80, 0, 0])
ti = bytearray(48)
struct.pack_into(">HBB", ti, 0, 46, 1, 1)
ti[6], ti[7] = 0x40, 0x01  # blank, NWA valid
struct.pack_into(">IIIII", ti, 8, 0, 0x100, 0x1000, 0, 0x2000)
struct.pack_into(">I", ti, 28, 0xFF)
ti[32], ti[33] = 0, 0
w("track-info", ti)
perf = bytearray(8 + 3 * 16)
struct.pack_into(">I", perf, 0, len(perf) - 4)
for i, kb in enumerate((22160, 11080, 22160)):
    struct.pack_into(">IIII", perf, 8 + 16 * i, 0, 2298495, kb, kb)
w("write-speeds", perf)
# scripts of replies (fuzz-mmc.c, script_exec): a blank DVD+R probed, its track listed, its
# speeds set, its buffer asked, read; an appendable BD-R after a unit attention, with a TOC
def good(b):  # GOOD with the data in b, padded to 16-byte units (cut to what is asked)
    b = bytes(b) + bytes(-len(b) % 16)
    return bytes([len(b) // 16]) + b
conf = struct.pack(">IHH", 4, 0, 0x1B)
di = bytearray(34); struct.pack_into(">H", di, 0, 32); di[2] = 0x00; di[3] = 1; di[4] = 1; di[5] = 1; di[6] = 1
bcap = struct.pack(">HHII", 10, 0, 4 << 20, 3 << 20)
w("script-dvd+r-blank", good(conf) + good(di) + good(ti) + good(ti) + good(perf) + bytes([0]) +
  good(bcap) + bytes([0x3F]) + bytes(64) + bytes([0]))
ua = bytes([0x80, 0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x28, 0, 0, 0, 0, 0])
busy = bytes([0x80]) + bytes([0x70, 0, 0x02, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x04, 0x07, 0, 0x80, 0x10, 0])
conf = struct.pack(">IHH", 4, 0, 0x41)
di2 = bytearray(di); di2[2] = 0x0D; di2[4] = 2; di2[6] = 2  # appendable, last session complete
toc = struct.pack(">HBBBBBBI", 10, 1, 1, 0, 0x14, 1, 0, 1024)
w("script-bd-r-appendable", ua + good(conf) + good(di2) + good(ti) + good(toc) + good(ti) +
  good(ti) + busy + bytes([0x48]) + bytes([0x7F]))
w("status-timeout", [0x03, 0x00, 0x00])
w("status-driver-sense", [0x00, 0x08, 0x00])
# READ TOC of a mixed-mode CD (data track 1, audio 2 and 3) then its Full TOC (format 2):
# tracks 1-2 in session 1, track 3 in session 2 (Enhanced CD), lead-outs from A2h
def toc0(tracks, leadout):
    b = b"".join(struct.pack(">BBBBI", 0, 0x10 | ctl, no, 0, lba) for no, ctl, lba in tracks)
    b += struct.pack(">BBBBI", 0, 0x10, 0xAA, 0, leadout)
    return struct.pack(">HBB", len(b) + 2, tracks[0][0], tracks[-1][0]) + b
def msf(lba):
    lba += 150
    return bytes([lba // 4500, lba // 75 % 60, lba % 75])
def ftoc(points):
    b = b"".join(bytes([s, 0x10 | ctl, 0, p, 0, 0, 0, 0]) + pm for s, ctl, p, pm in points)
    return struct.pack(">HBB", len(b) + 2, 1, 2) + b
t0 = toc0([(1, 4, 0), (2, 0, 15000), (3, 0, 45000)], 60000)
t2 = ftoc([(1, 4, 0xA0, bytes([1, 0, 0])), (1, 0, 0xA1, bytes([2, 0, 0])),
           (1, 0, 0xA2, msf(33000)), (1, 4, 1, msf(0)), (1, 0, 2, msf(15000)),
           (2, 0, 0xA0, bytes([3, 0, 0])), (2, 0, 0xA1, bytes([3, 0, 0])),
           (2, 0, 0xA2, msf(60000)), (2, 0, 3, msf(45000))])
w("toc-enhanced", t0 + t2)
w("toc-one-session", toc0([(1, 0, 0), (2, 0, 20000)], 30000))
PY
	"$BURNFS_BUILD/tests/fuzz/fuzz-mmc" --mutations "${FUZZ_MUTATIONS:-20000}" "$t"/*
	exit 0 # (not exec: the EXIT trap removes $t)
	;;
esac
for f in "$BURNFS_SRC"/tests/fixtures/*/*.xz; do
	xz -dc "$f" >"$t/$(basename "$f" .xz)"
done
mkdir -p "$t/src/a/b/c/d/e/f/g/h/i/j" "$t/src/names"
echo data >"$t/src/a/b/c/d/e/f/g/h/i/j/deep"
ln -s ../a/b "$t/src/names/link"
printf x >"$t/src/names/$(printf 'long%.0s' $(seq 60))"
printf y >"$t/src/names/Ünïcödé"
SOURCE_DATE_EPOCH=1700000000 "$BURNFS" image -q "$t/src" -o "$t/burnfs.iso"
# zisofs seeds (xorriso's filter): a file of several blocks with an all-zero block, and a
# small one
if [ "$target" = iso9660 ] && command -v xorriso >/dev/null; then
	mkdir -p "$t/zsrc"
	{ seq 1 20000; head -c 40000 /dev/zero; seq 1 5000; } >"$t/zsrc/multi"
	seq 1 100 >"$t/zsrc/small"
	xorriso -outdev "$t/zisofs.iso" -map "$t/zsrc" / -set_filter_r --zisofs / -- -commit \
		>/dev/null 2>&1
	rm -rf "$t/zsrc"
fi
# UDF seeds: every revision our writer makes (2.50 with its metadata file and mirror)
if [ "$target" = udf ]; then
	for rev in 1.02 2.01 2.50; do
		SOURCE_DATE_EPOCH=1700000000 "$BURNFS" image -q "$t/src" -o "$t/udf-$rev.img" \
			--fs udf --udf-rev "$rev"
	done
	rm -f "$t"/test_read_format_iso*.iso "$t"/iso*.img # ISO 9660 only
fi
# sessions seeds: images grown by burnfs (a DVD image: UDF 1.02 entries kept; a BD image)
# and by xorriso, the hybrid session a burnfs burn appends to; copies of merged files go to
# $t/tmp
if [ "$target" = sessions ]; then
	mkdir -p "$t/src2" "$t/tmp"
	echo more >"$t/src2/more"
	for m in dvd bd; do
		SOURCE_DATE_EPOCH=1700000000 "$BURNFS" image -q --media "$m" "$t/src" -o "$t/grown-$m.iso"
		SOURCE_DATE_EPOCH=1700000000 "$BURNFS" image -q --media "$m" --append "$t/grown-$m.iso" \
			"$t/src2" 2>/dev/null
	done
	if command -v xorriso >/dev/null; then
		xorriso -dev "$t/xorriso.iso" -map "$t/src" / -commit >/dev/null 2>&1
		xorriso -dev "$t/xorriso.iso" -map "$t/src2" /two -commit >/dev/null 2>&1
	fi
	rm -f "$t"/udf-hdd-*.img # hard-disc images: no sessions to append to, slow to merge
	rm -rf "$t/src2"
	export TMPDIR="$t/tmp"
fi
rm -rf "$t/src"
# the seed files (not the copies' directory): their names hold no blanks; a sessions input
# runs the whole reading of a disc and a merge: fewer mutations of each
muts=${FUZZ_MUTATIONS:-300}
[ "$target" = sessions ] && muts=${FUZZ_MUTATIONS:-100}
# shellcheck disable=SC2046
"$BURNFS_BUILD/tests/fuzz/fuzz-$target" --mutations "$muts" $(find "$t" -maxdepth 1 -type f | sort)
