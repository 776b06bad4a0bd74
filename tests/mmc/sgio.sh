#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# sgio.sh: the SG_IO transport against an independent device. A private tgtd on a free
# loopback port exports a blank DVD+R LUN (tgt's MMC emulation, as in tgt.sh); a QEMU guest
# (TCG, the installed Debian kernel, a busybox initramfs) gets that LUN through QEMU's
# libiscsi block driver as a pass-through SCSI device on virtio-scsi, so the guest's sr and
# sg drivers see tgt's drive, and burnfs inside the guest talks SG_IO to /dev/srN and
# /dev/sgN: drives, info, burn with full verify, verify --drive, errors (busy, not an
# optical drive). After the guest powers off, tgt's backing file is checked on the host
# with xorriso and sha256sum -c.
# Exit 77 when tgtd, xorriso, qemu-system-x86_64, QEMU's iscsi block module, busybox-static
# or the kernel and its modules are missing.
set -u
: "${BURNFS:?}"
me=sgio
skip() { echo "$me: $*; skipping" >&2; exit 77; }
# shellcheck source=tests/qemu-guest.sh
. "$(dirname "$0")/../qemu-guest.sh"

# ---- on the host first: burnfs drives with no drive names the default virtual drive ----------
h=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-drives.XXXXXX")
host_fail() { echo "FAIL: $*" >&2; rm -rf "$h"; exit 1; }
if ! ls /sys/class/block/sr* /sys/class/scsi_generic/* >/dev/null 2>&1; then
	out=$(XDG_STATE_HOME=$h "$BURNFS" drives) || host_fail "drives: exit $?"
	case $out in
	"no optical drive found; the default drive is the virtual drive vdrive:$h/burnfs/vdrive (it does not exist;"*) ;;
	*) host_fail "drives without a drive: $out" ;;
	esac
	XDG_STATE_HOME=$h "$BURNFS" drives --json | grep -q '"virtual": true, "default": true, "exists": false' ||
		host_fail "drives --json without a drive"
	case $out in *"mkdir -p $h/burnfs && burnfs vdrive create"*) ;; *) host_fail "drives: remedy: $out" ;; esac
	mkdir -p "$h/burnfs"
	"$BURNFS" vdrive create --media bd-r --capacity 100000 "$h/burnfs/vdrive" >/dev/null || host_fail "vdrive create"
	out=$(XDG_STATE_HOME=$h "$BURNFS" drives) || host_fail "drives: exit $?"
	case $out in
	*"vdrive:$h/burnfs/vdrive (BD-R, blank, 195.3 MiB free)") ;;
	*) host_fail "drives with the default vdrive: $out" ;;
	esac
	XDG_STATE_HOME=$h "$BURNFS" drives --json | grep -q '"exists": true, "medium": {"profile": "BD-R"' ||
		host_fail "drives --json with the default vdrive: $(XDG_STATE_HOME=$h "$BURNFS" drives --json)"
fi
"$BURNFS" drives --bogus 2>/dev/null; [ $? = 2 ] || host_fail "drives --bogus: not a usage error"
rm -rf "$h"
for c in tgtd tgtadm xorriso qemu-system-x86_64 cpio gzip ldd; do
	command -v $c >/dev/null 2>&1 || skip "$c not installed"
done
guest_busybox
# the iscsi block driver is a loadable module (Debian: qemu-block-extra) or built in
qbin=$(readlink -f "$(command -v qemu-system-x86_64)")
has_iscsi=
for f in /usr/lib/x86_64-linux-gnu/qemu/block-iscsi.so "${qbin%/bin/*}/lib/x86_64-linux-gnu/qemu/block-iscsi.so" \
	"${qbin%/bin/*}/lib/qemu/block-iscsi.so"; do
	[ -f "$f" ] && has_iscsi=1
done
[ -n "$has_iscsi" ] || strings "$qbin" 2>/dev/null | grep -q '^iscsi_create_context$' && has_iscsi=1
[ -n "$has_iscsi" ] || skip "QEMU has no iscsi block driver (install qemu-block-extra)"

guest_kernel

t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-sgio.XXXXXX")
. "$(dirname "$0")/tgt-lib.sh"
cleanup() {
	tgt_stop
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
fail() {
	echo "FAIL: $*" >&2
	if [ -f "$t/log" ]; then
		echo "---- guest console ----" >&2
		tail -80 "$t/log" >&2
	fi
	[ -f "$t/tgtd.log" ] && { echo "---- tgtd ----" >&2; tail -5 "$t/tgtd.log" >&2; }
	exit 1
}

# ---- the guest's initramfs: busybox, kernel modules, burnfs with its libraries, a tree ----
guest_root "$t/root"
mkdir -p "$root/run" "$root/etc"
guest_modules scsi_common scsi_mod sg cdrom sr_mod virtio virtio_ring virtio_pci virtio_scsi isofs

# burnfs and the transport's unit test (its device part runs in the guest), every library
# ldd lists (the sanitizer runtimes too) and the loader, at their paths
copy_bin() { # FILE NAME
	cp "$1" "$root/bin/$2" || fail "copy $1"
	ldd "$1" | awk '/=>/ { print $3 } !/=>/ && $1 ~ /^\// { print $1 }' | while read -r lib; do
		[ -f "$lib" ] || continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
bin=$(readlink -f "$BURNFS")
[ -x "$bin" ] || fail "no burnfs at $BURNFS"
unit=${BURNFS_BUILD:-$(dirname "$bin")/..}/tests/mmc/test_sgio
[ -x "$unit" ] || fail "no $unit (build the tests)"
copy_bin "$bin" burnfs
copy_bin "$unit" test_sgio
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || fail "the loader is not in ldd's list"

# a small tree: data in several files, a nested directory, a symlink, an empty file
export SOURCE_DATE_EPOCH=1700000000
src=$root/src
mkdir -p "$src/docs/deep/er" "$src/bin"
head -c 700000 /dev/urandom >"$src/bin/blob.bin"
head -c 123457 /dev/urandom >"$src/docs/deep/er/odd-size.dat"
for i in 1 2 3 4 5; do echo "note $i" >"$src/docs/note$i.txt"; done
: >"$src/empty"
ln -s docs/note1.txt "$src/link"
(cd "$src" && find . -type f ! -name '*.sha' -exec sha256sum {} + | sort -k2) >"$t/src.sums"

guest_init "$root/init"
cat >>"$root/init" <<'EOF'
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu
export HOME=/tmp SOURCE_DATE_EPOCH=1700000000
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1 # LSan works in the guest (root, /proc mounted)
i=0
while [ $(ls /sys/class/scsi_generic 2>/dev/null | wc -l) -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
# by SCSI address H:C:T:L: target 0 tgt's blank DVD+R, 1 tgt's small DVD-ROM, 2 a disk
cd= sg= rom= disk_sg=
for d in /sys/class/scsi_generic/*; do
	case $(readlink $d/device) in
	*:0:0:0) sg=/dev/${d##*/} cd=/dev/$(ls $d/device/block 2>/dev/null) ;;
	*:0:1:0) rom=/dev/$(ls $d/device/block 2>/dev/null) ;;
	*:0:2:0) disk_sg=/dev/${d##*/} ;;
	esac
done
echo "==DEVICES cd=$cd sg=$sg rom=$rom disk=$disk_sg=="
q=/sys/class/block/${cd#/dev/}/queue
echo "==LIMITS $(cat $q/max_sectors_kb) $(cat $q/max_segments)=="
[ -b /dev/sr0 ] && [ -b "$cd" ] && [ -c "$sg" ] && [ -b "$rom" ] && [ -c "$disk_sg" ] ||
	{ echo "==NO-DEVICES=="; ls -l /dev/sr* /dev/sg*; dmesg | tail -30; poweroff -f; }
# run NAME CMD...: output between markers, then the exit code
run() {
	name=$1
	shift
	echo "==BEGIN $name=="
	"$@" 2>&1
	echo "==RC $name $?=="
}
run drives burnfs drives
run drives-json burnfs drives --json
run info-sr burnfs info --drive "$cd"
run burn burnfs burn /src --drive "$cd" --verify full --trace
run info-after burnfs info --drive "$cd"
run verify-sr burnfs verify --drive "$cd"
run reburn-sg burnfs burn /src --drive "$sg" # tgt finalized the disc at close
run info-sg burnfs info --drive "$sg"
run verify-sg burnfs verify --drive "$sg"
# sg's exclusive open fails while anyone holds the node
sleep 60 <"$sg" &
holder=$!
sleep 0.5
run busy-sg burnfs info --drive "$sg"
kill $holder
run not-optical burnfs info --drive "$disk_sg"
# tgt's DVD-ROM LUN holds a small image made on the host: read it, then mount it
run verify-rom burnfs verify --drive "$rom"
rom_sg=/dev/$(ls /sys/class/block/${rom#/dev/}/device/scsi_generic)
if mount -t iso9660 -o ro "$rom" /mnt; then
	run busy-mounted burnfs info --drive "$rom"
	run busy-mounted-sg burnfs info --drive "$rom_sg"
	umount /mnt
fi
SGIO_TEST_ROM=$rom run unit-sr test_sgio
SGIO_TEST_ROM=$rom_sg run unit-sg test_sgio
echo "==DONE=="
sync
poweroff -f
EOF
chmod +x "$root/init"
guest_initrd "$t/initrd.gz" || exit 1

# ---- tgtd with a blank DVD+R (LUN 1, tgt-lib.sh) and a complete DVD-ROM (LUN 2) ------------
tgt_start "$t" || fail "tgtd"
# a non-empty file is a complete DVD-ROM to tgt: a 26-block image with a manifest
mkdir -p "$t/tiny/d" && echo hi >"$t/tiny/d/a.txt"
"$BURNFS" image "$t/tiny" -o "$t/rom.img" --fs iso9660,rockridge --manifest -q || fail "image"
tgt_add_lun 2 "$t/rom.img" || fail "lun 2"
head -c 1048576 /dev/zero >"$t/disk.img" # a disk next to it: not an optical drive

# ---- the guest --------------------------------------------------------------------------------
timeout "${SGIO_TIMEOUT:-300}" qemu-system-x86_64 -accel tcg -m 1024 -nodefaults -display none \
	-serial stdio -no-reboot -kernel "$kimg" -initrd "$t/initrd.gz" \
	-append "console=ttyS0 quiet loglevel=1 panic=-1" \
	-device virtio-scsi-pci,id=scsi \
	-drive "driver=iscsi,transport=tcp,portal=127.0.0.1:$tgt_port,target=$tgt_iqn,lun=1,if=none,id=cd,cache.direct=on" \
	-device scsi-generic,drive=cd,bus=scsi.0,scsi-id=0,lun=0 \
	-drive "driver=iscsi,transport=tcp,portal=127.0.0.1:$tgt_port,target=$tgt_iqn,lun=2,if=none,id=rom,cache.direct=on" \
	-device scsi-generic,drive=rom,bus=scsi.0,scsi-id=1,lun=0 \
	-drive "file=$t/disk.img,format=raw,if=none,id=hd" \
	-device scsi-hd,drive=hd,bus=scsi.0,scsi-id=2,lun=0 \
	</dev/null >"$t/out" 2>&1
qrc=$?
tr -d '\r' <"$t/out" >"$t/log"
[ $qrc = 124 ] && fail "the guest did not finish within ${SGIO_TIMEOUT:-300} s"
grep -q '^==NO-DEVICES==' "$t/log" && fail "the guest lacks the sr/sg devices (qemu exit $qrc)"
grep -q '^==DONE==$' "$t/log" || fail "the guest did not finish its commands (qemu exit $qrc)"

# out NAME: the output of command NAME; rc NAME: its exit code
out() { sed -n "/^==BEGIN $1==\$/,/^==RC $1 [0-9]*==\$/p" "$t/log" | sed '1d;$d'; }
rc() { sed -n "s/^==RC $1 \([0-9]*\)==\$/\1/p" "$t/log"; }
expect() { # NAME RC PATTERN
	[ "$(rc "$1")" = "$2" ] || fail "$1: exit $(rc "$1"), expected $2: $(out "$1")"
	out "$1" | grep -Eq -- "$3" || fail "$1: no '$3' in: $(out "$1")"
}
expect drives 0 '^/dev/sr[01] \(/dev/sg[0-9]+\)  IET VIRTUAL-CDROM  DVD\+R, blank, [0-9.]+ MiB free$'
expect drives 0 '^/dev/sr[01] \(/dev/sg[0-9]+\)  IET VIRTUAL-CDROM  DVD-ROM, complete, 0.0 MiB free \(no session can be written: see burnfs info\)$'
rom_dev=$(sed -n 's/^==DEVICES .* rom=\([^ ]*\) .*/\1/p' "$t/log")
[ "$(out drives | grep -c .)" = 2 ] || fail "drives: not two lines: $(out drives)"
expect drives-json 0 '"address": "/dev/sr[01]", "sg": "/dev/sg[0-9]+", "vendor": "IET", "model": "VIRTUAL-CDROM", "virtual": false, "found_by": "sysfs", "medium": \{"profile": "DVD\+R", "profile_number": 27, "status": "blank"'
expect info-sr 0 'DVD\+R \(blank'
expect burn 0 'verify: [1-9][0-9]* chunks match'
# transfers of the guest queue's limit: max_sectors and max_segments pages, in 64 KiB
set -- $(sed -n 's/^==LIMITS \([0-9]*\) \([0-9]*\)==$/\1 \2/p' "$t/log")
lim=$(($1 * 1024 < $2 * 4096 ? $1 * 1024 : $2 * 4096))
lim=$((lim > 1048576 ? 1048576 : lim / 65536 * 65536))
big=$(out burn | grep -o 'mmc: WRITE(10) .*' | sed -n 's/.* len \([0-9]*\)$/\1/p' | sort -n | tail -1)
[ "$big" = "$lim" ] || fail "largest WRITE $big bytes, expected $lim (max_sectors_kb $1, max_segments $2)"
# tgt turns a closed DVD+R into a finalized DVD-ROM (it has no appendable state)
expect info-after 0 'DVD-ROM \(complete'
expect verify-sr 0 '[1-9][0-9]* files match, 0 differ, 0 missing'
expect reburn-sg 1 'the DVD-ROM is finalized'
expect info-sg 0 'DVD-ROM \(complete'
expect verify-sg 0 '[1-9][0-9]* files match, 0 differ, 0 missing'
expect busy-sg 1 "'/dev/sg[0-9]+': the drive is in use"
expect not-optical 1 "not an optical drive: 'QEMU QEMU HARDDISK' is a disk \(SCSI peripheral type 00h"
# CHECK CONDITION through SG_IO, sense decoded (tgt says 03/11/00 where MMC has 05/21/00)
expect verify-rom 0 '1 files match, 0 differ, 0 missing'
expect busy-mounted 1 "'$rom_dev': the drive is in use: its disc is mounted on '/mnt'"
expect busy-mounted-sg 1 "'/dev/sg[0-9]+': the drive is in use: its disc \\($rom_dev\\) is mounted on '/mnt'"
# the transport itself on the same device, through sr and through sg
expect unit-sr 0 'READ\(10\) past the end: sense 3/11/00'
expect unit-sg 0 'READ\(10\) past the end: sense 3/11/00'
if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$t/log"; then
	fail "sanitizer report in the guest"
fi

# ---- tgt's backing file, read by xorriso ------------------------------------------------------
tgt_stop
xorriso -osirrox on -indev "$t/lun.img" -extract / "$t/x" >/dev/null 2>&1 || fail "xorriso"
(cd "$t/x" && sha256sum --quiet -c .burnfs/SHA256SUMS) || fail "sha256sum -c of tgt's file"
(cd "$t/x" && find . -type f ! -path './.burnfs/*' -exec sha256sum {} + | sort -k2) >"$t/x.sums"
cmp -s "$t/src.sums" "$t/x.sums" || fail "extracted files differ: $(diff "$t/src.sums" "$t/x.sums")"
[ "$(readlink "$t/x/link")" = docs/note1.txt ] || fail "symlink"
[ -n "${SGIO_VERBOSE:-}" ] && cat "$t/log"
echo "$me: guest took $(grep -c . "$t/log") console lines; burn: $(out burn | grep -E '^burn' | tail -1)"
exit 0
