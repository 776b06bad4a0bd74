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
