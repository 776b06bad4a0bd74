# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the tgt tests: tgt_start DIR starts a private tgtd on a free loopback port with
# a blank DVD+R LUN backed by DIR/lun.img and sets $drive (its iscsi:// address) and
# $tgt_pid; tgt_stop kills it. Callers check that tgtd and tgtadm exist first.
tgt_pid=
tgt_stop() {
	# tgtd ignores SIGTERM while it has targets: SIGKILL, it keeps no state
	[ -n "$tgt_pid" ] && kill -9 "$tgt_pid" 2>/dev/null && wait "$tgt_pid" 2>/dev/null
	tgt_pid=
}
tgt_start() {
	local dir=$1 port ctl iqn=iqn.2026-11.org.burnfs:tgt-test
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	ctl=$((port % 900 + 50)) # a private control port, not the system tgtd's 0
	tgtd -f -C "$ctl" --iscsi portal=127.0.0.1:"$port" >"$dir/tgtd.log" 2>&1 &
	tgt_pid=$!
	for _ in $(seq 50); do
		tgtadm -C "$ctl" --lld iscsi --op show --mode target >/dev/null 2>&1 && break
		sleep 0.1
	done
	: >"$dir/lun.img" # an empty backing file is a blank DVD+R to tgt
	tgtadm -C "$ctl" --lld iscsi --op new --mode target --tid 1 -T "$iqn" &&
		tgtadm -C "$ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
			--bstype rdwr --device-type cd -b "$dir/lun.img" &&
		tgtadm -C "$ctl" --lld iscsi --op bind --mode target --tid 1 -I ALL || return 1
	drive="iscsi://127.0.0.1:$port/$iqn/1"
}
