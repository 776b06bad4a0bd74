# SPDX-License-Identifier: LGPL-2.1-or-later
# qemu-guest.sh: the parts of a QEMU guest (the installed Debian kernel, a busybox-static
# initramfs) that tests/interop/kernel-read.sh and tests/mmc/sgio.sh share; sourced by both,
# each of which writes its own init. The sourcing script defines skip MESSAGE (exit 77).
# shellcheck shell=dash

# guest_tools: skip unless QEMU and what the initramfs is packed with are installed, a
# static busybox too, and a kernel with its modules is readable ($kver, $kimg, $mdir)
guest_tools() {
	command -v qemu-system-x86_64 >/dev/null 2>&1 || skip "qemu-system-x86_64 not installed"
	command -v cpio >/dev/null 2>&1 || skip "cpio not installed"
	command -v gzip >/dev/null 2>&1 || skip "gzip not installed"
	guest_busybox
	guest_kernel
}

# guest_busybox: skip unless /bin/busybox is there and static
guest_busybox() {
	[ -x /bin/busybox ] || skip "/bin/busybox (busybox-static) not installed"
	case $(LC_ALL=C file -b /bin/busybox 2>/dev/null || echo static) in
	*dynamically*) skip "/bin/busybox is not static (install busybox-static)" ;;
	esac
}

# guest_kernel: the newest kernel that has both an image and modules.dep, as $kver, $kimg (the
# image) and $mdir (its modules); skip without one, or when the image is not readable
guest_kernel() {
	local d
	kver='' kimg=''
	for d in $(ls /lib/modules 2>/dev/null | sort -rV); do
		if [ -f "/boot/vmlinuz-$d" ] && [ -f "/lib/modules/$d/modules.dep" ]; then
			kver=$d kimg=/boot/vmlinuz-$d
			break
		fi
	done
	[ -n "$kver" ] || skip "no /boot/vmlinuz-* with /lib/modules/* (install linux-image-amd64)"
	[ -r "$kimg" ] || skip "$kimg not readable (run as root)"
	mdir=/lib/modules/$kver
}

# guest_root DIR: DIR becomes the initramfs tree $root, with /bin/busybox and the directories
# every guest uses
guest_root() {
	root=$1
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/mnt" "$root/mod" "$root/tmp"
	cp /bin/busybox "$root/bin/busybox" || exit 1
	order=
}

# guest_modules MODULE...: each MODULE (- or _) of $kver unpacked into $root/mod/NAME.ko after
# its dependencies (from modules.dep; built-ins are skipped), and the load order in
# $root/modules; skip when one is missing or cannot be unpacked
guest_modules() {
	local m
	for m; do
		guest_add_mod "$m"
	done
	echo "$order" >"$root/modules"
}

guest_add_mod() { # MODULE: one module after its dependencies, its name appended to $order
	local n line path dep d
	n=$(echo "$1" | tr - _)
	case " $order " in *" $n "*) return 0 ;; esac
	line=$(awk -v n="$n" '{
		p = $1; sub(/:$/, "", p); b = p; sub(/.*\//, "", b); sub(/\.ko(\..*)?$/, "", b)
		gsub(/-/, "_", b); if (b == n) { print; exit } }' "$mdir/modules.dep")
	if [ -z "$line" ]; then
		grep -Eq "/$(echo "$n" | sed 's/_/[-_]/g')\.ko\$" "$mdir/modules.builtin" 2>/dev/null && return 0
		skip "module $1 not found for kernel $kver"
	fi
	# shellcheck disable=SC2086 # a modules.dep line: the module's path and its dependencies
	set -- $line
	path=${1%:}
	shift
	for dep in "$@"; do
		d=${dep##*/}
		guest_add_mod "${d%%.ko*}"
	done
	case " $order " in *" $n "*) return 0 ;; esac
	case $path in
	*.ko.xz) xz -dc "$mdir/$path" >"$root/mod/$n.ko" || busybox xz -dc "$mdir/$path" >"$root/mod/$n.ko" ;;
	*.ko.zst) zstd -qdc "$mdir/$path" >"$root/mod/$n.ko" ;;
	*.ko.gz) gzip -dc "$mdir/$path" >"$root/mod/$n.ko" ;;
	*) cp "$mdir/$path" "$root/mod/$n.ko" ;;
	esac || skip "cannot unpack $path"
	order="$order $n"
}

# guest_init FILE: the start of an init script both guests share: busybox's applets,
# /proc, /sys and /dev, the modules loaded in order, and a wait (30 s at most) for
# /dev/sr0. The caller appends its own part.
guest_init() {
	cat >"$1" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
dmesg -n 1
for m in $(cat /modules); do insmod /mod/$m.ko || echo "insmod $m failed"; done
i=0
while [ ! -b /dev/sr0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
INIT
}

# guest_initrd FILE: $root packed as a gzip'ed newc cpio archive
guest_initrd() {
	(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$1"
}
