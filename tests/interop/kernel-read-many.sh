#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# usage: kernel-read-many.sh SPEC
#
# kernel-read.sh for many mounts in one boot: each line of SPEC is
#	LABEL IMAGE FSTYPE [MOUNTOPTS]
# (FSTYPE iso9660 or udf; MOUNTOPTS such as sbsector=2048 or session=2048,lastblock=N).
# Every distinct IMAGE is attached read-only as a SCSI CD-ROM (virtio-scsi, one LUN each);
# the guest mounts each line's image in turn with "-t FSTYPE -o ro[,MOUNTOPTS]", lists it
# as kernel-read.sh does, and unmounts it. One boot for a whole multisession test instead
# of one per session and file system.
#
# stdout: for each line, "LABEL" followed by kernel-read.sh's entry line
# (TYPE MODE SIZE MTIME SHA256 PATH), or "LABEL MOUNTFAIL message" when the mount failed.
# Exit 0 when the guest finished (mount failures are in the output, for the caller to
# judge), 1 when it did not, 77 when QEMU, busybox-static or a kernel are missing.
set -u

me=kernel-read-many
[ $# = 1 ] && [ -r "$1" ] || { echo "usage: $me.sh SPEC" >&2; exit 1; }
spec=$1
skip() { echo "$me: $*; skipping" >&2; exit 77; }
# shellcheck source=tests/qemu-guest.sh
. "$(dirname "$0")/../qemu-guest.sh"
guest_tools

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kernel-read-many.XXXXXX") || exit 1
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
guest_root "$tmp/root"
guest_modules virtio_pci virtio_scsi sr_mod crc-itu-t isofs udf nls_utf8

# the images, one LUN each, and the guest's work list: LABEL LUN FSTYPE OPTS
set --
: >"$tmp/images"
: >"$root/work"
while read -r label img fs opts; do
	case $label in '' | '#'*) continue ;; esac
	case $fs in iso9660 | udf) ;; *) echo "$me: bad FSTYPE '$fs'" >&2; exit 1 ;; esac
	case $img in /*) ;; *) img=$PWD/$img ;; esac
	[ -r "$img" ] || { echo "$me: cannot read $img" >&2; exit 1; }
	case $label$opts in *[!A-Za-z0-9_.,=:+-]*) echo "$me: odd characters in '$label $opts'" >&2; exit 1 ;; esac
	lun=$(grep -nxF "$img" "$tmp/images" | cut -d: -f1)
	if [ -z "$lun" ]; then
		echo "$img" >>"$tmp/images"
		lun=$(wc -l <"$tmp/images")
	fi
	echo "$label $((lun - 1)) $fs ro${opts:+,$opts}" >>"$root/work"
done <"$spec"
[ -s "$root/work" ] || { echo "$me: nothing in $spec" >&2; exit 1; }

# kernel-read.sh's entry lister, with the label in front
sed -n '/^cat >"$root\/bin\/entry" <<.EOF.$/,/^EOF$/p' "$(dirname "$0")/kernel-read.sh" |
	sed '1d;$d' >"$root/bin/entry"
grep -q 'for p; do' "$root/bin/entry" || { echo "$me: cannot take kernel-read.sh's lister" >&2; exit 1; }

guest_init "$root/init"
cat >>"$root/init" <<'EOF'
# the block device of LUN $1: the SCSI address of each sr device ends in :LUN
dev_of() {
	for s in /sys/block/sr*; do
		a=$(basename "$(readlink "$s/device")")
		[ "${a##*:}" = "$1" ] && { echo "/dev/${s##*/}"; return; }
	done
}
i=0
while [ $i -lt 100 ] && [ "$(ls -d /sys/block/sr* 2>/dev/null | wc -l)" -lt "$(cut -d' ' -f2 /work | sort -u | wc -l)" ]; do
	sleep 0.1; i=$((i + 1))
done
echo "==BEGIN=="
while read -r label lun fs opts; do
	dev=$(dev_of "$lun")
	if [ -n "$dev" ] && mount -t "$fs" -o "$opts" "$dev" /mnt 2>/tmp/err; then
		find /mnt -mindepth 1 -exec sh /bin/entry {} + | sed "s/^/$label /"
		umount /mnt
	else
		echo "$label MOUNTFAIL ${dev:-no device for LUN $lun}: $(cat /tmp/err 2>/dev/null) $(dmesg | grep -iE 'isofs|iso9660|udf' | tail -3 | tr '\n' ' ')"
	fi
done </work
echo "==END=="
sync
poweroff -f
EOF
chmod +x "$root/init" "$root/bin/entry"
guest_initrd "$tmp/initrd.gz" || exit 1

set -- -accel "${KR_ACCEL:-tcg}" -device virtio-scsi-pci,id=scsi
n=0
while read -r img; do
	q=$(printf '%s' "$img" | sed 's/,/,,/g')
	set -- "$@" -drive "if=none,id=cd$n,file=$q,media=cdrom,readonly=on,format=raw" \
		-device "scsi-cd,bus=scsi.0,channel=0,scsi-id=0,lun=$n,drive=cd$n"
	n=$((n + 1))
done <"$tmp/images"
timeout "${KR_TIMEOUT:-600}" qemu-system-x86_64 "$@" -m 512 -nodefaults -display none \
	-serial stdio -no-reboot -kernel "$kimg" -initrd "$tmp/initrd.gz" \
	-append "console=ttyS0 quiet loglevel=1 panic=-1" </dev/null >"$tmp/out" 2>&1
qrc=$?
tr -d '\r' <"$tmp/out" >"$tmp/log"
if grep -q '^==END==$' "$tmp/log"; then
	sed -n '/^==BEGIN==$/,/^==END==$/p' "$tmp/log" | sed '1d;$d'
	exit 0
fi
echo "$me: guest did not finish (qemu exit $qrc); last console output:" >&2
tail -30 "$tmp/log" >&2
exit 1
