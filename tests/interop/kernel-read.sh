#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# usage: kernel-read.sh IMAGE iso9660|udf [MOUNTOPTS]
#
# Read IMAGE with the Linux kernel's own isofs or udf driver: boot the installed Debian
# kernel (linux-image-amd64) under qemu-system-x86_64 (TCG; KR_ACCEL=kvm to
# try KVM) with IMAGE attached read-only as an IDE CD-ROM and a throwaway busybox-static
# initramfs, which mounts /dev/sr0 with "-t FSTYPE -o ro[,MOUNTOPTS]" and lists it.
#
# stdout: one line per entry below the mount root, in find(1) order:
#	TYPE MODE SIZE MTIME SHA256 PATH
#   TYPE    d f l c b p s
#   MODE    octal permission bits incl. setuid/setgid/sticky (e.g. 755, 4755)
#   SIZE    st_size in bytes;  MTIME  st_mtime in seconds since the epoch
#   SHA256  of a regular file's content ("ERROR" when reading it failed), the link target
#           for a symlink (escaped like PATH), '-' otherwise
#   PATH    relative to the mount root, starting with '/'
# PATH and link targets write bytes < 0x21, > 0x7e and '\' as \xHH (lowercase hex).
#
# Exit 0 on success; 1 when the mount fails (==MOUNTFAIL== and the kernel's messages on
# stderr), the guest does not finish within KR_TIMEOUT seconds (default 300), or on bad
# usage; 77 (skip) when qemu-system-x86_64, a static /bin/busybox, or a readable kernel
# with its modules are missing.
#
# Known limits of the guest kernel, not of the image: Debian 12's 6.1 isofs truncates
# Rock Ridge names and symlink targets it cannot fit in its buffers, and Rock Ridge/ISO
# times past 2038-01-19 wrap (32-bit). /boot/vmlinuz-* is mode 0600 on Debian, so
# non-root users usually get exit 77.
set -u

me=kernel-read
usage() { echo "usage: $me.sh IMAGE iso9660|udf [MOUNTOPTS]" >&2; exit 1; }
[ $# -ge 2 ] && [ $# -le 3 ] || usage
img=$1 fs=$2 opts=ro${3:+,$3}
case $fs in iso9660|udf) ;; *) usage ;; esac
[ -r "$img" ] || { echo "$me: cannot read $img" >&2; exit 1; }
case $opts in *[!A-Za-z0-9_.,=:/+-]*) echo "$me: odd characters in MOUNTOPTS" >&2; exit 1 ;; esac

skip() { echo "$me: $*; skipping" >&2; exit 77; }
# shellcheck source=tests/qemu-guest.sh
. "$(dirname "$0")/../qemu-guest.sh"
guest_tools

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kernel-read.XXXXXX") || exit 1
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
guest_root "$tmp/root"
guest_modules libata ata_piix cdrom sr_mod crc-itu-t isofs udf nls_utf8
printf '%s\n' "$fs" >"$root/fstype"
printf '%s\n' "$opts" >"$root/opts"

# One line per entry, for the paths given as arguments (all below /mnt). Each process the
# guest starts costs milliseconds under TCG (append-kernel lists 4,000 entries): a name of
# printable ASCII without a backslash, which esc would print unchanged, is printed as it is,
# and the mode is turned into octal digits by arithmetic, so that a file costs two programs
# (stat, sha256sum) and no more subshells than those.
cat >"$root/bin/entry" <<'EOF'
#!/bin/busybox sh
esc() { # stdin bytes -> escaped text; $1 = 1 to drop the final byte (readlink's newline)
	od -An -v -tx1 | awk -v drop="$1" '
	BEGIN { for (i = 0; i < 256; i++) h[sprintf("%02x", i)] = i }
	{ for (i = 1; i <= NF; i++) b[n++] = $i }
	END { if (drop) n--; for (i = 0; i < n; i++) { v = h[b[i]]
		if (v > 32 && v < 127 && v != 92) printf "%c", v; else printf "\\x%s", b[i] } }'
}
name() { # $1 without /mnt, escaped as esc does, into $n
	n=${1#/mnt}
	case $n in *[!!-~]* | *\\*) n=$(printf '%s' "$n" | esc) ;; esac
}
for p; do
	name "$p"
	st=$(stat -c '%f %s %Y' "$p") || { echo "? 0 0 0 ERROR $n"; continue; }
	set -- $st
	m=$((0x$1))
	case $((m & 0170000)) in
	16384) t=d ;; 32768) t=f ;; 40960) t=l ;; 8192) t=c ;;
	24576) t=b ;; 4096) t=p ;; 49152) t=s ;; *) t=? ;;
	esac
	h=-
	if [ $t = f ]; then
		h=$(sha256sum <"$p" 2>/dev/null) && h=${h%% *} || h=ERROR
		[ -n "$h" ] || h=ERROR
	elif [ $t = l ]; then
		h=$(readlink "$p" | esc 1)
		[ -n "$h" ] || h=ERROR
	fi
	# printf %o of the permission bits (no leading zeros), without a subshell
	o=$((((m >> 9) & 7) * 1000 + ((m >> 6) & 7) * 100 + ((m >> 3) & 7) * 10 + (m & 7)))
	echo "$t $o $2 $3 $h $n"
done
EOF

guest_init "$root/init"
cat >>"$root/init" <<'EOF'
fs=$(cat /fstype) opts=$(cat /opts)
if mount -t "$fs" -o "$opts" /dev/sr0 /mnt 2>/tmp/err; then
	echo "==BEGIN=="
	find /mnt -mindepth 1 -exec sh /bin/entry {} +
	echo "==END=="
else
	echo "==MOUNTFAIL== $(cat /tmp/err)"
	[ -b /dev/sr0 ] || echo "no /dev/sr0"
	dmesg | grep -iE 'isofs|iso9660|udf|rock|joliet|sr0|cdrom|i/o|error' | tail -25
	echo "==MOUNTFAIL-END=="
fi
sync
poweroff -f
EOF
chmod +x "$root/init" "$root/bin/entry"
guest_initrd "$tmp/initrd.gz" || exit 1

# TCG only: on this kind of machine /dev/kvm exists but a KVM guest spins without booting
accel=${KR_ACCEL:-tcg}
case $img in /*) ;; *) img=$PWD/$img ;; esac
qimg=$(printf '%s' "$img" | sed 's/,/,,/g')
# -accel tcg after kvm: QEMU falls back when KVM cannot be initialised after all
set -- -accel "$accel"
[ $accel = kvm ] && set -- "$@" -accel tcg
timeout "${KR_TIMEOUT:-300}" qemu-system-x86_64 "$@" -m 512 -nodefaults -display none -serial stdio -no-reboot \
	-kernel "$kimg" -initrd "$tmp/initrd.gz" \
	-append "console=ttyS0 quiet loglevel=1 panic=-1" \
	-drive "file=$qimg,media=cdrom,if=ide,index=0,readonly=on,format=raw" \
	</dev/null >"$tmp/out" 2>&1
qrc=$?
tr -d '\r' <"$tmp/out" >"$tmp/log"

if grep -q '^==END==$' "$tmp/log"; then
	sed -n '/^==BEGIN==$/,/^==END==$/p' "$tmp/log" | sed '1d;$d'
	exit 0
fi
if grep -q '^==MOUNTFAIL==' "$tmp/log"; then
	sed -n '/^==MOUNTFAIL==/,/^==MOUNTFAIL-END==$/p' "$tmp/log" | sed '$d' >&2
	exit 1
fi
if [ $qrc = 124 ]; then
	echo "$me: timed out after ${KR_TIMEOUT:-300}s; last console output:" >&2
else
	echo "$me: guest did not finish (qemu exit $qrc); last console output:" >&2
fi
tail -30 "$tmp/log" >&2
exit 1
