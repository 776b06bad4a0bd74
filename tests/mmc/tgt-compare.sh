#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tgt-compare.sh: the same script of CDBs (cdb-probe) sent to tgt's emulated blank DVD+R and
# to a virtual DVD+R. Where MMC-6 leaves no choice both must answer alike, and the test
# fails when they do not; every other difference is printed as a table (the known ones are
# judged in README.md, "tgt and the virtual drive"). Exit 77 without tgtd or iSCSI.
set -u
: "${BURNFS:?}" "${CDB_PROBE:?}"
command -v tgtd >/dev/null && command -v tgtadm >/dev/null || exit 77
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-tgtcmp.XXXXXX")
. "$(dirname "$0")/tgt-lib.sh"
cleanup() {
	tgt_stop
	rm -rf "$t"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
tgt_start "$t" || fail "tgtd: $(tail -3 "$t/tgtd.log")"
"$CDB_PROBE" "$drive" >"$t/tgt" 2>"$t/err"
if grep -q "no iSCSI transport" "$t/err"; then exit 77; fi
[ -s "$t/tgt" ] || fail "probe of tgt: $(cat "$t/err")"
"$BURNFS" vdrive create --media dvd+r "$t/vd" >/dev/null || fail "vdrive create"
"$CDB_PROBE" "vdrive:$t/vd" >"$t/vd.out" 2>"$t/err" || fail "probe of the vdrive: $(cat "$t/err")"
/usr/bin/python3 - "$t/tgt" "$t/vd.out" <<'PY'
import sys
def load(p):
    r = {}
    for line in open(p):
        label, status, fields = (line.rstrip("\n").split("\t") + ["", ""])[:3]
        r[label] = (status, dict(f.split("=", 1) for f in fields.split() if "=" in f))
    return r
tgt, vd = load(sys.argv[1]), load(sys.argv[2])
# answers MMC-6 fixes for a blank DVD+R, which both emulators implement
must = [
    ("inquiry", "pdt"), ("inquiry", "rmb"),
    ("get-configuration", "current"),
    ("disc-info", "status"), ("disc-info", "erasable"),
    ("track-info-1", "nwa_v"), ("track-info-1", "nwa"), ("track-info-1", "start"),
    ("mode-sense-2a", "page"), ("read-capacity", "block"),
    ("unknown-opcode", None), ("write-at-nwa", None), ("sync-cache", None),
    ("close-track", None), ("close-session", None),
]
bad = []
for label, field in must:
    a, b = tgt.get(label), vd.get(label)
    if a is None or b is None:
        bad.append(f"{label}: missing")
    elif field is None and a[0] != b[0]:
        bad.append(f"{label}: tgt {a[0]}, vdrive {b[0]}")
    elif field and a[1].get(field) != b[1].get(field):
        bad.append(f"{label} {field}: tgt {a[1].get(field)}, vdrive {b[1].get(field)}")
print(f"{'command':<30} {'tgt':<50} vdrive")
for label in vd:
    a, b = tgt.get(label, ("-", {})), vd[label]
    sa = a[0] + " " + " ".join(f"{k}={v}" for k, v in a[1].items())
    sb = b[0] + " " + " ".join(f"{k}={v}" for k, v in b[1].items())
    mark = "" if sa == sb else " *"
    print(f"{label:<30} {sa[:49]:<50} {sb}{mark}")
if bad:
    print("FAIL: answers that MMC-6 fixes differ:\n  " + "\n  ".join(bad), file=sys.stderr)
    sys.exit(1)
PY
