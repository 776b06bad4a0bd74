#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tgt.sh: an independent device. Start a private tgtd on a free loopback port with a blank
# DVD+R LUN (tgt's MMC emulation), burn a tree through the iSCSI transport with full
# verify, close the session, and check tgt's backing file with xorriso and sha256sum -c.
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
exit 0
