# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the tgt tests: tgt_start DIR starts a private tgtd on a free loopback port with
# a blank DVD+R LUN backed by DIR/lun.img and sets $drive (its iscsi:// address) and
# $tgt_pid, and for callers that need the parts (QEMU's -drive) $tgt_port, $tgt_iqn and
# $tgt_ctl (tgtadm's control port); tgt_add_lun LUN FILE adds a CD LUN backed by FILE (an
# empty file is a blank DVD+R, a non-empty one a complete DVD-ROM); tgt_stop kills it.
# Callers check that tgtd and tgtadm exist first.
tgt_pid=
tgt_stop() {
	# tgtd ignores SIGTERM while it has targets: SIGKILL, it keeps no state
	[ -n "$tgt_pid" ] && kill -9 "$tgt_pid" 2>/dev/null && wait "$tgt_pid" 2>/dev/null
	tgt_pid=
}
tgt_add_lun() {
	tgtadm -C "$tgt_ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun "$1" \
		--bstype rdwr --device-type cd -b "$2"
}
tgt_start() {
	local dir=$1
	tgt_stop # one tgtd per caller
	tgt_iqn=iqn.2026-11.org.burnfs:tgt-test
	tgt_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	tgt_ctl=$((tgt_port % 900 + 50)) # a private control port, not the system tgtd's 0
	tgtd -f -C "$tgt_ctl" --iscsi portal=127.0.0.1:"$tgt_port" >"$dir/tgtd.log" 2>&1 &
	tgt_pid=$!
	for _ in $(seq 50); do
		tgtadm -C "$tgt_ctl" --lld iscsi --op show --mode target >/dev/null 2>&1 && break
		sleep 0.1
	done
	: >"$dir/lun.img" # an empty backing file is a blank DVD+R to tgt
	tgtadm -C "$tgt_ctl" --lld iscsi --op new --mode target --tid 1 -T "$tgt_iqn" &&
		tgt_add_lun 1 "$dir/lun.img" &&
		tgtadm -C "$tgt_ctl" --lld iscsi --op bind --mode target --tid 1 -I ALL || return 1
	drive="iscsi://127.0.0.1:$tgt_port/$tgt_iqn/1"
}
