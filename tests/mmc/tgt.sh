#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tgt.sh: an independent device. Start a private tgtd on a free loopback port with a blank
# DVD+R LUN (tgt's MMC emulation), burn a tree through the iSCSI transport with full
# verify, close the session, and check tgt's backing file with xorriso and sha256sum -c.
# Then the transport's per-command timeout (tgtd stopped in the middle of a burn) and a lost
# connection (tgtd killed in the middle of a burn).
# Exit 77 when tgtd, xorriso or the iSCSI transport are missing.
set -u
: "${BURNFS:?}"
command -v tgtd >/dev/null && command -v tgtadm >/dev/null && command -v xorriso >/dev/null || exit 77
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-tgt.XXXXXX")
. "$(dirname "$0")/tgt-lib.sh"
cleanup() {
	tgt_stop
	rm -rf "$t"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$t/tgtd.log" ] && tail -5 "$t/tgtd.log" >&2; exit 1; }
tgt_start "$t" || fail "tgtd"

export SOURCE_DATE_EPOCH=1700000000
mkdir -p "$t/src/dir"
head -c 5000000 /dev/urandom >"$t/src/dir/data.bin"
echo hello >"$t/src/hello.txt"
"$BURNFS" info --drive "$drive" >"$t/info" 2>&1
if grep -q "no iSCSI transport" "$t/info"; then exit 77; fi
grep -q "DVD+R (blank" "$t/info" || fail "info: $(cat "$t/info")"
"$BURNFS" burn "$t/src" --drive "$drive" --verify full >"$t/out" 2>&1 || fail "burn: $(cat "$t/out")"
grep -q "verify: [1-9][0-9]* chunks match" "$t/out" || fail "no verify: $(cat "$t/out")"
# tgt turns a closed DVD+R into a finalized DVD-ROM (it has no appendable state)
"$BURNFS" info --drive "$drive" | grep -q "DVD-ROM (complete" || fail "after: $("$BURNFS" info --drive "$drive" 2>&1)"
"$BURNFS" verify --drive "$drive" >"$t/v" 2>&1 || fail "verify --drive: $(cat "$t/v")"
tgt_stop
xorriso -osirrox on -indev "$t/lun.img" -extract / "$t/x" >/dev/null 2>&1 || fail "xorriso"
(cd "$t/x" && sha256sum --quiet -c .burnfs/SHA256SUMS) || fail "sha256sum -c of tgt's file"
cmp "$t/x/dir/data.bin" "$t/src/dir/data.bin" || fail "content"

# a target that stops answering: tgtd stopped (SIGSTOP) once the first WRITE is through, every
# command's timeout 2 s; the burn fails within a bounded time, naming the command that timed out
mkdir -p "$t/to/src"
head -c 30000000 /dev/zero >"$t/to/src/zeros.bin"
tgt_start "$t/to" || fail "tgtd (timeout case)"
begin=$(date +%s)
BURNFS_MMC_TIMEOUT_SECONDS=2 timeout 120 "$BURNFS" burn "$t/to/src" --drive "$drive" --trace 2>&1 |
	awk -v pid="$tgt_pid" '/^mmc: WRITE\(10\)/ && !s { system("kill -STOP " pid); s = 1 } { print }' \
		>"$t/to/out"
rc=${PIPESTATUS[0]}
kill -CONT "$tgt_pid"
took=$(($(date +%s) - begin))
grep -v '^mmc: ' "$t/to/out" >"$t/to/msg"
[ "$rc" = 1 ] || fail "burn with tgtd stopped: exit $rc, expected 1: $(cat "$t/to/msg")"
grep -Eq "'iscsi://[^']*': [A-Z]+[A-Z0-9 ()]* \(command [0-9A-F]{2}h\) timed out after 2\.[0-9] s \(timeout 2\.0 s\); the target may be stuck or unreachable" \
	"$t/to/msg" || fail "timeout message: $(cat "$t/to/msg")"
[ "$took" -le 30 ] || fail "the timed-out burn took $took s"
tgt_stop
# a target that goes away (SIGKILL) in the middle of the burn: the connection is lost, the
# burn says so at once (with libiscsi's automatic reconnect, now off, it spun for ever)
tgt_start "$t/to" || fail "tgtd (connection case)"
begin=$(date +%s)
{
	timeout 120 "$BURNFS" burn "$t/to/src" --drive "$drive" --trace 2>&1 |
		awk -v pid="$tgt_pid" '/^mmc: WRITE\(10\)/ && !s { system("kill -9 " pid); s = 1 } { print }' \
			>"$t/to/out"
	rc=${PIPESTATUS[0]}
	wait "$tgt_pid"
} 2>/dev/null # bash's notice of the killed tgtd
took=$(($(date +%s) - begin))
tgt_pid=
grep -v '^mmc: ' "$t/to/out" >"$t/to/msg"
[ "$rc" = 1 ] || fail "burn with tgtd killed: exit $rc, expected 1: $(cat "$t/to/msg")"
grep -Eq "'iscsi://[^']*': [A-Z]+[A-Z0-9 ()]* \(command [0-9A-F]{2}h\): the connection to the target was lost" \
	"$t/to/msg" || fail "connection loss message: $(cat "$t/to/msg")"
[ "$took" -le 30 ] || fail "the burn after the connection loss took $took s"
exit 0
