#!/bin/sh
# Install what is missing, build into build/ and run the main job on the default virtual
# drive: mount the staging folder (the first mount makes the drive, a blank BD-R), copy a
# sample tree this script generates into it, commit with a full verify, show the disc
# (`burnfs info`, its sessions and tree as burnfs reads them back), stage one more file and
# commit again (the second session carries the first one's files), unmount, and show what
# xorriso reads from the last session. Everything it makes lives in
# $TMPDIR/burnfs-quickstart (XDG_STATE_HOME and XDG_DATA_HOME point there), so it leaves
# your own burnfs state alone and starts from a blank disc each time.
set -eu
cd "$(dirname "$0")/.."
contrib/deps.sh test
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
burnfs=$PWD/build/cli/burnfs

work=${TMPDIR:-/tmp}/burnfs-quickstart
mnt=$work/mnt
if mountpoint -q "$mnt" 2>/dev/null; then
	"$burnfs" umount "$mnt" || fusermount3 -u -z "$mnt"
fi
rm -rf "$work"
mkdir -p "$work/sample/photos/2026" "$work/sample/docs" "$mnt"
export XDG_STATE_HOME="$work/state" XDG_DATA_HOME="$work/data"
printf 'Hello from burnfs\n' >"$work/sample/README.txt"
head -c 3000000 /dev/urandom >"$work/sample/photos/2026/IMG_0001.jpg"
printf 'Grüße\n' >"$work/sample/docs/Grüße – notes.txt"
ln -s ../README.txt "$work/sample/docs/readme-link"

if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	echo "quickstart: the staging folder needs FUSE (/dev/fuse and fusermount3 from the" \
		"fuse3 package); this machine has none" >&2
	exit 1
fi
trap 'mountpoint -q "$mnt" 2>/dev/null && "$burnfs" umount "$mnt"' EXIT

drive=vdrive:$XDG_STATE_HOME/burnfs/vdrive
if "$burnfs" drives --json | grep -q '"virtual": false'; then
	# a real burner is the default where there is one: keep the quick start virtual
	mkdir -p "$XDG_STATE_HOME/burnfs"
	"$burnfs" vdrive create --media bd-r "${drive#vdrive:}"
	echo "== burnfs mount --drive $drive $mnt"
	"$burnfs" mount --drive "$drive" "$mnt"
else
	echo "== burnfs mount $mnt   (the default drive: $drive)"
	"$burnfs" mount "$mnt"
fi
echo "== cp -r $work/sample/. $mnt/"
cp -r "$work/sample/." "$mnt/"
"$burnfs" status "$mnt"
echo "== burnfs commit $mnt --verify full"
"$burnfs" commit "$mnt" --verify full
echo "== burnfs info --drive $drive"
"$burnfs" info --drive "$drive"
echo "== burnfs sessions --drive $drive; burnfs ls -lR --drive $drive   (read back by burnfs)"
"$burnfs" sessions --drive "$drive"
"$burnfs" ls -lR --drive "$drive"
echo "== ls -A $mnt   (the staged files went onto the disc; the mount shows the disc's files now)"
ls -A "$mnt"
echo "== a second commit appends a session that carries the first one's files"
mkdir -p "$mnt/docs" # the disc's folder, shown in the mount: a new file goes into it
printf 'added in session 2\n' >"$mnt/docs/second.txt"
# a rename of a disc file: recorded, no data copied; .burnfs/changes lists the next session
mv "$mnt/photos/2026/IMG_0001.jpg" "$mnt/photos/2026/first.jpg"
cat "$mnt/.burnfs/changes"
"$burnfs" commit "$mnt" --verify full
"$burnfs" sessions --drive "$drive"
"$burnfs" ls -R --drive "$drive"
echo "== burnfs umount $mnt"
"$burnfs" umount "$mnt"
trap - EXIT

echo "== xorriso reads the disc's last session (Rock Ridge), and its manifest checks out"
vdir=${drive#vdrive:}
"$burnfs" vdrive export "$vdir" -o "$work/disc.iso" >/dev/null
last=$("$burnfs" sessions --drive "$drive" --json | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["sessions"][-1]["start"])')
xorriso -indev "$work/disc.iso" -load sbsector "$last" -find / -exec lsdl 2>/dev/null
xorriso -osirrox on -load sbsector "$last" -indev "$work/disc.iso" -extract / \
	"$work/extracted" >/dev/null 2>&1
(cd "$work/extracted" && sha256sum -c .burnfs/SHA256SUMS)
chmod -R u+w "$work/extracted"
