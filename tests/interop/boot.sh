#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# boot.sh CASE: bootable images (issue 14 §2) checked by software nobody here wrote.
#   tables       xorriso -report_el_torito/-report_system_area, isoinfo -d, sfdisk -d and
#                sgdisk -v describe what `burnfs image` built; the catalog is hidden unless
#                named; the manifest lists the boot files as stored (boot info table in);
#                udfinfo finds UDF's closing anchor (at N - 256, the GPT ends the image)
#   errors       bad boot options fail naming the option and the thing at fault
#   bios-cd      SeaBIOS boots the image from a CD: isolinux prints a marker on serial
#   efi-cd       OVMF boots it from a CD: a GRUB standalone EFI image prints a marker
#   hybrid-bios  the --hybrid image as a hard disk under SeaBIOS (isohybrid MBR)
#   hybrid-efi   ... and under OVMF (GPT EFI system partition)
#   dvd+r        `burnfs burn` onto a virtual DVD+R, the exported disc booted (BIOS, UEFI)
#   replay       --boot-replay: a hybrid image's tree extracted by xorriso, a file added,
#                re-mastered with the first one's boot setup: the same report (paths,
#                platforms, load sizes, catalog path, MBR code, volume id), and it boots (BIOS CD,
#                UEFI hard disk)
# Each boot runs qemu-system-x86_64 (TCG) under a hard 55 s limit. Exit 77 without a tool.
set -u
: "${BURNFS:?}"
me=boot
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-boot.XXXXXX")
qpid=
trap 'if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null; fi; rm -rf "$t"' EXIT
trap 'exit 1' HUP INT TERM
fail() { echo "FAIL: $me $case: $*" >&2; exit 1; }
skip() { echo "$me $case: $*; skipping" >&2; exit 77; }
export SOURCE_DATE_EPOCH=1700000000
export PATH=$PATH:/usr/sbin:/sbin
case=${1:-}
ISOLINUX=/usr/lib/ISOLINUX/isolinux.bin
LDLINUX=/usr/lib/syslinux/modules/bios/ldlinux.c32
OVMF=/usr/share/ovmf/OVMF.fd
BIOS_MARK=BURNFS-BOOT-BIOS-OK
EFI_MARK=BURNFS-BOOT-EFI-OK

need() { for c; do command -v "$c" >/dev/null || skip "no $c"; done; }
need_file() { for f; do [ -r "$f" ] || skip "no $f"; done; }

# The tree: isolinux (whose config says the marker on the serial line) and a FAT image
# holding GRUB as \EFI\BOOT\BOOTX64.EFI (its embedded grub.cfg echoes the other marker).
mktree() {
	need grub-mkstandalone mkfs.vfat mmd mcopy
	need_file "$ISOLINUX" "$LDLINUX" /usr/lib/grub/x86_64-efi/moddep.lst
	mkdir -p "$t/tree/isolinux" "$t/tree/boot" "$t/tree/docs"
	cp "$ISOLINUX" "$LDLINUX" "$t/tree/isolinux/"
	# no SERIAL: SeaBIOS copies the screen to the serial line (sercon), and isolinux's own
	# copy would interleave with it; the prompt waits, nothing repeats
	printf 'SAY %s\nPROMPT 1\nTIMEOUT 0\n' "$BIOS_MARK" >"$t/tree/isolinux/isolinux.cfg"
	echo "a file beside the boot files" >"$t/tree/docs/readme.txt"
	printf 'serial --unit=0 --speed=115200\nterminal_output serial console\necho %s\nsleep 2\n' \
		"$EFI_MARK" >"$t/grub.cfg"
	grub-mkstandalone -O x86_64-efi -o "$t/BOOTX64.EFI" --modules="serial echo terminal sleep" \
		--install-modules="normal serial echo terminal sleep configfile" --locales= \
		--fonts= --themes= "boot/grub/grub.cfg=$t/grub.cfg" || fail "grub-mkstandalone"
	mkfs.vfat -C "$t/tree/boot/efi.img" 2048 >/dev/null || fail "mkfs.vfat"
	mmd -i "$t/tree/boot/efi.img" ::/EFI ::/EFI/BOOT || fail "mmd"
	mcopy -i "$t/tree/boot/efi.img" "$t/BOOTX64.EFI" ::/EFI/BOOT/ || fail "mcopy"
}

BOOTOPTS=(--boot-bios /isolinux/isolinux.bin --boot-efi /boot/efi.img)

# image OUT [options]: the tree as a bootable image
image() {
	local out=$1
	shift
	"$BURNFS" image "$t/tree" -o "$out" -q "$@" 2>"$t/err" || fail "image $*: $(cat "$t/err")"
}

# seen LOG MARKER: MARKER on the console, its escape sequences (cursor moves) taken out
seen() { tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[=>]//g' | grep -aq "$2"; }

# qboot LOG MARKER QEMU-ARGS...: boot, succeed once MARKER is on the serial console
qboot() {
	local log=$1 mark=$2 i
	shift 2
	need qemu-system-x86_64
	: >"$log"
	qemu-system-x86_64 -m 256 -nographic -no-reboot -accel tcg -net none "$@" >"$log" 2>&1 &
	qpid=$!
	for i in $(seq 1 110); do
		seen "$log" "$mark" && break
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.5
	done
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	qpid=
	seen "$log" "$mark" || fail "no $mark on the console after ${i}x0.5 s: $(tail -c 1500 "$log" | tr -d '\033')"
	echo "$case: $mark after about $((i / 2)) s"
}

bios_cd() { qboot "$t/bios.log" "$BIOS_MARK" -boot d -cdrom "$1"; }
efi_cd() { need_file "$OVMF"; qboot "$t/efi.log" "$EFI_MARK" -bios "$OVMF" -cdrom "$1"; }

# has FILE REGEX WHAT: FILE has a line matching REGEX
has() { grep -Eq -e "$2" "$1" || fail "$3: no /$2/ in: $(cat "$1")"; }

tables() {
	need xorriso isoinfo sfdisk sgdisk
	mktree
	image "$t/h.iso" "${BOOTOPTS[@]}" --hybrid
	xorriso -indev "$t/h.iso" -report_el_torito plain -report_system_area plain \
		>"$t/rep" 2>&1 || fail "xorriso: $(cat "$t/rep")"
	has "$t/rep" '^El Torito boot img : +1 +BIOS +y +none +0x0000 +0x00 +4 +[0-9]+' "BIOS entry"
	has "$t/rep" '^El Torito boot img : +2 +UEFI +y +none +0x0000 +0x00 +4096 +[0-9]+' "UEFI entry"
	has "$t/rep" '^El Torito img path : +1 +/isolinux/isolinux.bin' "BIOS path"
	has "$t/rep" '^El Torito img opts : +1 +boot-info-table isohybrid-suitable' "boot info table"
	has "$t/rep" '^El Torito img path : +2 +/boot/efi.img' "EFI path"
	! grep -q '^El Torito cat path' "$t/rep" || fail "the catalog is not hidden: $(cat "$t/rep")"
	has "$t/rep" '^System area summary: MBR isohybrid .*GPT' "system area"
	has "$t/rep" '^MBR partition +: +1 +0x00 +0xee +1 ' "protective MBR"
	has "$t/rep" '^GPT partition path : +1 +/boot/efi.img' "ESP is the EFI image"
	isoinfo -d -i "$t/h.iso" >"$t/isoinfo" 2>&1 || fail "isoinfo: $(cat "$t/isoinfo")"
	has "$t/isoinfo" 'El Torito VD version 1 found, boot catalog is in sector [0-9]+' "isoinfo BRVD"
	has "$t/isoinfo" 'Nsect 4' "isoinfo load size"
	sfdisk -d "$t/h.iso" >"$t/sfdisk" 2>&1 || fail "sfdisk: $(cat "$t/sfdisk")"
	has "$t/sfdisk" '^label: gpt' "sfdisk label"
	has "$t/sfdisk" 'type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B' "sfdisk ESP"
	sgdisk -v "$t/h.iso" >"$t/sgdisk" 2>&1 || fail "sgdisk -v: $(cat "$t/sgdisk")"
	has "$t/sgdisk" '^No problems found' "sgdisk -v"
	# the backup header in the image's last sector, pointing at the primary
	tail -c 512 "$t/h.iso" | head -c 8 | grep -q 'EFI PART' || fail "no backup GPT at the end"
	# UDF's closing anchor at N - 256, as the GPT takes the last block (udfinfo warns else)
	if command -v udfinfo >/dev/null; then
		udfinfo "$t/h.iso" >"$t/udfinfo" 2>&1 || fail "udfinfo: $(cat "$t/udfinfo")"
		! grep -q 'Anchor Volume Descriptor Pointer not found' "$t/udfinfo" ||
			fail "udfinfo: $(cat "$t/udfinfo")"
	fi
	# the manifest's hash of isolinux.bin is that of the file as stored (table patched)
	xorriso -osirrox on -indev "$t/h.iso" -extract /isolinux/isolinux.bin "$t/x.bin" \
		-extract /.burnfs/SHA256SUMS "$t/sums" >/dev/null 2>&1 || fail "extract"
	cmp -s "$t/x.bin" "$ISOLINUX" && fail "isolinux.bin stored without its boot info table"
	grep -q "^$(sha256sum <"$t/x.bin" | cut -c1-64)  isolinux/isolinux.bin\$" "$t/sums" ||
		fail "the manifest's line for isolinux.bin: $(grep isolinux "$t/sums")"
	# a named catalog is a file of the trees, and the report says where
	image "$t/c.iso" "${BOOTOPTS[@]}" --boot-catalog /isolinux/boot.cat
	xorriso -indev "$t/c.iso" -report_el_torito plain >"$t/rep2" 2>&1
	has "$t/rep2" '^El Torito cat path : +/isolinux/boot.cat' "named catalog"
	isoinfo -R -f -i "$t/c.iso" | grep -q '^/isolinux/boot.cat$' || fail "boot.cat not listed"
	# an EFI image over 65,535 sectors: count 0, "to the end of the medium" (UEFI 2.3
	# 12.3.2.1); alone, it is the default entry and the validation entry says EFh
	mkdir -p "$t/big/boot"
	mkfs.vfat -C "$t/big/boot/big.img" 40960 >/dev/null || fail "mkfs.vfat"
	"$BURNFS" image "$t/big" -o "$t/big.iso" -q --boot-efi /boot/big.img 2>"$t/err" ||
		fail "big EFI image: $(cat "$t/err")"
	xorriso -indev "$t/big.iso" -report_el_torito plain >"$t/rep3" 2>&1
	has "$t/rep3" '^El Torito boot img : +1 +UEFI +y +none +0x0000 +0x00 +0 +[0-9]+' "EFI count 0"
	# same tree, same epoch, same bytes
	image "$t/h2.iso" "${BOOTOPTS[@]}" --hybrid
	cmp -s "$t/h.iso" "$t/h2.iso" || fail "two runs differ"
	BURNFS_IMAGE_PATH=stream image "$t/h3.iso" "${BOOTOPTS[@]}" --hybrid --no-manifest
	BURNFS_IMAGE_PATH=direct image "$t/h4.iso" "${BOOTOPTS[@]}" --hybrid --no-manifest
	cmp -s "$t/h3.iso" "$t/h4.iso" || fail "stream and direct paths differ"
}

# refused WHAT REGEX IMAGE-ARGS...: exit 1 (the job) or 2, stderr matching REGEX
refused() {
	local what=$1 re=$2
	shift 2
	"$BURNFS" image "$t/tree" -o "$t/bad.iso" -q "$@" >"$t/out" 2>&1 && fail "$what: accepted"
	grep -Eq -e "$re" "$t/out" || fail "$what: not /$re/: $(cat "$t/out")"
	[ ! -e "$t/bad.iso" ] || fail "$what: left $t/bad.iso"
}

errors() {
	mkdir -p "$t/tree/isolinux" "$t/tree/boot"
	need_file "$ISOLINUX"
	cp "$ISOLINUX" "$t/tree/isolinux/"
	head -c 100000 /dev/urandom >"$t/tree/boot/notfat.img"
	head -c 40 /dev/urandom >"$t/tree/boot/short.bin"
	truncate -s 40M "$t/tree/boot/huge.bin"
	refused missing "--boot-bios '/isolinux/nope.bin': no such file in the image" \
		--boot-bios /isolinux/nope.bin
	refused relative "--boot-bios 'isolinux/isolinux.bin': not an image path" \
		--boot-bios isolinux/isolinux.bin
	refused dir "--boot-efi '/boot': not a regular file" --boot-efi /boot
	refused notfat "--boot-efi '/boot/notfat.img': not a FAT file system image" \
		--boot-efi /boot/notfat.img
	refused short "--boot-bios '/boot/short.bin': 40 bytes, too short" \
		--boot-bios /boot/short.bin
	refused huge "--boot-bios '/boot/huge.bin': 41943040 bytes, more than the 32 MiB" \
		--boot-bios /boot/huge.bin
	refused hybrid-alone "--hybrid needs --boot-bios" --hybrid
	refused hybrid-magic "--boot-bios '/boot/short.bin' has no isohybrid entry|too short" \
		--boot-bios /boot/short.bin --hybrid
	refused mbr "--hybrid-mbr '$t/none.bin': No such file" --boot-bios /isolinux/isolinux.bin \
		--hybrid --hybrid-mbr "$t/none.bin"
	refused catalog-exists "--boot-catalog '/isolinux/isolinux.bin': the sources have it" \
		--boot-bios /isolinux/isolinux.bin --boot-catalog /isolinux/isolinux.bin
	refused catalog-alone "--boot-catalog and --hybrid-mbr need a boot image" \
		--boot-catalog /boot.cat
	refused no-iso "boot options need iso9660" --fs udf --boot-bios /isolinux/isolinux.bin
	refused start-lba "only a first session" --boot-bios /isolinux/isolinux.bin --start-lba 1000
}

dvd_r() {
	mktree
	"$BURNFS" vdrive create --media dvd+r "$t/vd" >/dev/null 2>"$t/err" || fail "vdrive create: $(cat "$t/err")"
	"$BURNFS" burn "$t/tree" --drive "vdrive:$t/vd" "${BOOTOPTS[@]}" >"$t/out" 2>&1 ||
		fail "burn: $(cat "$t/out")"
	"$BURNFS" vdrive export "$t/vd" -o "$t/disc.iso" >/dev/null 2>"$t/err" || fail "export: $(cat "$t/err")"
	bios_cd "$t/disc.iso"
	efi_cd "$t/disc.iso"
}

# report IMG: xorriso's El Torito and system area lines that do not depend on addresses
report() {
	xorriso -indev "$1" -report_el_torito plain -report_system_area plain 2>/dev/null |
		grep -E '^(El Torito (boot img|img path|img opts|cat path)|System area summary|MBR partition +:|GPT partition path)' |
		sed -E 's/^(El Torito boot img : .*) +[0-9]+$/\1/; s/^(MBR partition +: +1 +0x00 +0xee +1) .*/\1/'
}

replay() {
	need xorriso
	mktree
	image "$t/h.iso" "${BOOTOPTS[@]}" --hybrid --boot-catalog /isolinux/boot.cat --volid RESCUE_2026
	xorriso -osirrox on -indev "$t/h.iso" -extract / "$t/x" >/dev/null 2>&1 || fail "extract"
	chmod -R u+w "$t/x"
	rm -rf "$t/x/.burnfs" "$t/x/isolinux/boot.cat" # both made anew
	mkdir -p "$t/new"
	echo "my notes on the rescue disc" >"$t/new/notes.txt"
	"$BURNFS" image "$t/x" "$t/new" -o "$t/r.iso" -q --boot-replay "$t/h.iso" 2>"$t/err" ||
		fail "replay: $(cat "$t/err")"
	report "$t/h.iso" >"$t/rep.h"
	report "$t/r.iso" >"$t/rep.r"
	[ "$(wc -l <"$t/rep.h")" -ge 9 ] || fail "short report: $(cat "$t/rep.h")"
	diff -u "$t/rep.h" "$t/rep.r" >&2 || fail "the re-master's boot setup differs"
	cmp -s <(head -c 432 "$t/h.iso") <(head -c 432 "$t/r.iso") || fail "MBR code not kept"
	isoinfo -R -f -i "$t/r.iso" | grep -q '^/notes.txt$' || fail "the new file is missing"
	isoinfo -d -i "$t/r.iso" | grep -q '^Volume id: RESCUE_2026$' || fail "volume id not kept"
	bios_cd "$t/r.iso"
	need_file "$OVMF"
	qboot "$t/he.log" "$EFI_MARK" -bios "$OVMF" -drive "file=$t/r.iso,format=raw,if=ide"
	# a setup it cannot keep, or a boot file the new tree lacks: refused, named
	image "$t/plain.iso"
	"$BURNFS" image "$t/x" -o "$t/bad.iso" --boot-replay "$t/plain.iso" 2>"$t/err" && fail "plain ISO replayed"
	grep -q "plain.iso': no El Torito boot record" "$t/err" || fail "plain: $(cat "$t/err")"
	"$BURNFS" image "$t/new" -o "$t/bad.iso" --boot-replay "$t/h.iso" 2>"$t/err" && fail "no boot file"
	grep -q "'/isolinux/isolinux.bin': no such file in the image" "$t/err" || fail "lacks: $(cat "$t/err")"
	# a catalog entry pointing at block 0 (found by fuzz-boot): refused, not an unbootable
	# re-master
	python3 - "$t/h.iso" "$t/zero.iso" <<'PY' || fail "python"
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
cat = struct.unpack("<I", d[17 * 2048 + 0x47:17 * 2048 + 0x4B])[0]
d[cat * 2048 + 40:cat * 2048 + 44] = bytes(4)  # the default entry's load RBA
open(sys.argv[2], "wb").write(d)
PY
	"$BURNFS" image "$t/x" -o "$t/bad.iso" --boot-replay "$t/zero.iso" 2>"$t/err" && fail "block 0 replayed"
	grep -q "catalog entry 1 points at block 0" "$t/err" || fail "block 0: $(cat "$t/err")"
	[ ! -e "$t/bad.iso" ] || fail "a refused replay left bad.iso"
}

case $case in
tables) tables ;;
replay) replay ;;
errors) errors ;;
bios-cd) mktree && image "$t/b.iso" "${BOOTOPTS[@]}" && bios_cd "$t/b.iso" ;;
efi-cd) mktree && image "$t/b.iso" "${BOOTOPTS[@]}" && efi_cd "$t/b.iso" ;;
hybrid-bios)
	mktree && image "$t/h.iso" "${BOOTOPTS[@]}" --hybrid
	qboot "$t/hb.log" "$BIOS_MARK" -drive "file=$t/h.iso,format=raw,if=ide"
	;;
hybrid-efi)
	mktree && image "$t/h.iso" "${BOOTOPTS[@]}" --hybrid
	need_file "$OVMF"
	qboot "$t/he.log" "$EFI_MARK" -bios "$OVMF" -drive "file=$t/h.iso,format=raw,if=ide"
	;;
dvd+r) dvd_r ;;
*) echo "usage: boot.sh tables|errors|bios-cd|efi-cd|hybrid-bios|hybrid-efi|dvd+r|replay" >&2; exit 2 ;;
esac
echo "$me $case: ok"
