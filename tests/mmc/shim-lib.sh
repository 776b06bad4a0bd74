# SPDX-License-Identifier: LGPL-2.1-or-later
# shim-lib.sh: what the tests that run third-party burners through the LD_PRELOAD shim share
# (shim.sh, append-others.sh); sourced, with fail MESSAGE and $BURNFS, $BURNFS_SHIM set.
# shellcheck shell=bash

# shim_device: $dev, a path that is not a real device on this host (the shim takes it over);
# skip (77) when /dev/sr7../dev/sr15 all exist
shim_device() {
	local n
	dev=
	for n in 7 8 9 10 11 12 13 14 15; do
		[ -e "/dev/sr$n" ] || { dev=/dev/sr$n; return 0; }
	done
	echo "SKIP: /dev/sr7../dev/sr15 all exist" >&2
	exit 77
}

# shim DIR CMD...: CMD with the shim mapping $dev to the vdrive directory DIR (only the tool
# gets the preload: burnfs itself is built with ASan, which must come first), and with
# $BURNFS_SHIM_FASTSLEEP when set: the tool's sleeps before it polls the drive, which
# answers at once, divided by 50 (tests/mmc/fastsleep.c)
shim() {
	local dir=$1
	shift
	env LD_PRELOAD="$BURNFS_SHIM${BURNFS_SHIM_FASTSLEEP:+:$BURNFS_SHIM_FASTSLEEP}" \
		BURNFS_SHIM_DRIVES="$dev=$dir" timeout 300 "$@"
}

# vdrive MEDIUM DIR [CAPACITY]: a new virtual drive with a blank disc
vdrive() { "$BURNFS" vdrive create --media "$1" --capacity "${3:-100000}" "$2" >/dev/null || fail "create $1"; }
