#!/bin/sh
# Install what is missing, build into build/ and run the main job: build a hybrid image
# from a sample tree this script generates, then show what xorriso and udfinfo see in it.
set -eu
cd "$(dirname "$0")/.."
contrib/deps.sh test
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

work=${TMPDIR:-/tmp}/burnfs-quickstart
rm -rf "$work"
mkdir -p "$work/sample/photos/2026" "$work/sample/docs"
printf 'Hello from burnfs\n' >"$work/sample/README.txt"
head -c 3000000 /dev/urandom >"$work/sample/photos/2026/IMG_0001.jpg"
printf 'Grüße\n' >"$work/sample/docs/Grüße – notes.txt"
ln -s ../README.txt "$work/sample/docs/readme-link"
echo "== burnfs image $work/sample -o $work/sample.iso"
build/cli/burnfs image --json --volid SAMPLE "$work/sample" -o "$work/sample.iso"
echo "== xorriso (Rock Ridge)"
xorriso -indev "$work/sample.iso" -find / -exec lsdl 2>/dev/null
echo "== udfinfo"
udfinfo "$work/sample.iso" | grep -E '^(label|udfrev|numfiles|numdirs|integrity|blocks)='
