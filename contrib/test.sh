#!/bin/sh
# Install what is missing, build with ASan+UBSan into build-asan/, check formatting and run
# every meson test suite (unit, integration, interop). Exits non-zero on any failure.
# Usage: contrib/test.sh [meson test args...]
set -eu

cd "$(dirname "$0")/.."
contrib/deps.sh test

builddir=${BURNFS_TEST_BUILDDIR:-build-asan}

# formatting: every C file must be clang-format clean
fmt_bad=$(git ls-files '*.c' '*.h' | xargs -r clang-format --dry-run 2>&1 | grep -c 'warning:' || true)
if [ "$fmt_bad" != 0 ]; then
	git ls-files '*.c' '*.h' | xargs -r clang-format --dry-run 2>&1 | head -20
	echo "test.sh: $fmt_bad clang-format complaints (run: clang-format -i \$(git ls-files '*.c' '*.h'))" >&2
	exit 1
fi

if [ ! -f "$builddir/build.ninja" ]; then
	meson setup "$builddir" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$builddir"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
rc=0
meson test -C "$builddir" --print-errorlogs --num-processes 2 "$@" || rc=$?

# one summary line a CI runner can read
log="$builddir/meson-logs/testlog.json"
if [ -f "$log" ]; then
	/usr/bin/python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)["result"]
    except (ValueError, KeyError):
        continue
    if r == "OK" or r == "EXPECTEDFAIL":
        p += 1
    elif r == "SKIP":
        s += 1
    else:
        f += 1
print(f"tests: {p} passed, {f} failed, {s} skipped")
PY
fi
exit $rc
