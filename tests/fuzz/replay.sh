#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# replay.sh TARGET: run build/tests/fuzz/fuzz-TARGET over the third-party images in
# tests/fixtures and an image burnfs makes, each with seeded mutations (FUZZ_MUTATIONS,
# default 300). Any sanitizer report or crash fails the test.
set -eu
target=$1
: "${BURNFS:?}" "${BURNFS_BUILD:?}" "${BURNFS_SRC:?}"
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-fuzz.XXXXXX")
trap 'rm -rf "$t"' EXIT
case $target in
vdrive)
	# random command sequences, mostly real opcodes, against a BD-R and a BD-RE
	exec "$BURNFS_BUILD/tests/fuzz/fuzz-vdrive" --runs "${FUZZ_RUNS:-3000}"
	;;
manifest)
	mkdir -p "$t/src/d"
	printf x >"$t/src/back\\slash"
	printf y >"$t/src/new
line"
	echo z >"$t/src/d/plain"
	SOURCE_DATE_EPOCH=1700000000 "$BURNFS" image -q --manifest "$t/src" -o "$t/m.iso"
	xorriso -osirrox on -indev "$t/m.iso" -extract /.burnfs/SHA256SUMS "$t/SHA256SUMS" \
		>/dev/null 2>&1 || { echo "xorriso missing" >&2; exit 77; }
	exec "$BURNFS_BUILD/tests/fuzz/fuzz-manifest" --mutations "${FUZZ_MUTATIONS:-3000}" "$t/SHA256SUMS"
	;;
esac
for f in "$BURNFS_SRC"/tests/fixtures/*/*.xz; do
	xz -dc "$f" >"$t/$(basename "$f" .xz)"
done
mkdir -p "$t/src/a/b/c/d/e/f/g/h/i/j" "$t/src/names"
echo data >"$t/src/a/b/c/d/e/f/g/h/i/j/deep"
ln -s ../a/b "$t/src/names/link"
printf x >"$t/src/names/$(printf 'long%.0s' $(seq 60))"
printf y >"$t/src/names/Ünïcödé"
SOURCE_DATE_EPOCH=1700000000 "$BURNFS" image -q "$t/src" -o "$t/burnfs.iso"
rm -rf "$t/src"
"$BURNFS_BUILD/tests/fuzz/fuzz-$target" --mutations "${FUZZ_MUTATIONS:-300}" "$t"/*
