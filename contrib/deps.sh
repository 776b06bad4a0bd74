#!/bin/sh
# Install the Debian packages burnfs needs to build and test.
# Usage: contrib/deps.sh [build|test]   (default: test)
set -eu

what=${1:-test}

build_pkgs="meson ninja-build pkg-config gcc libcmocka-dev libxxhash-dev libssl-dev libiscsi-dev libfuse3-dev libudev-dev libjson-c-dev zlib1g-dev
libsndfile1-dev libsamplerate0-dev"
test_pkgs="xorriso libarchive-tools genisoimage python3-pycdlib p7zip-full udftools
libudfread-dev qemu-system-x86 linux-image-amd64 busybox-static cpio
libclang-rt-14-dev clang-format time xz-utils tgt qemu-block-extra fuse3 attr desktop-file-utils jq cdrskin growisofs wodim perl
cdparanoia libcdio-utils cdrdao sox flac
isolinux syslinux-common ovmf grub-efi-amd64-bin grub-common mtools dosfstools gdisk fdisk"

case $what in
build) pkgs=$build_pkgs ;;
test) pkgs="$build_pkgs $test_pkgs" ;;
*)
	echo "usage: $0 [build|test]" >&2
	exit 2
	;;
esac

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing:$missing" >&2
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
