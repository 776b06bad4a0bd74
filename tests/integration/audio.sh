#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# audio.sh CASE: `burnfs audio` onto a virtual CD-R. Inputs are made with sox (44.1 kHz
# stereo WAV and FLAC, one of them not a whole number of sectors), so the PCM each track
# must hold is known: sox's raw output, zero-padded to 2352 bytes.
#	tao		three tracks track-at-once, verified; cdparanoia rips them (through the shim)
#	dao		gapless disc-at-once with CD-Text, ISRC and MCN, verified; cdparanoia rips,
#			cd-info and cdrdao read-toc show them;
#	sessions	--simulate; TAO sessions appended, --close; DAO refused on a used disc;
#			an album too long refused before writing (exit 3)
#	enhanced	an audio session then data sessions (a plain burn: the audio session has no
#			tree to carry; the next burn merges the first data session)
#	cue		a CUE sheet (one file, INDEX 00/01/02, a FLAC) burnt and verified
#	corrupt		--verify-only of a good disc, then of one with a sample changed in the
#			drive's image: verify names the track and its mm:ss:ff
#	mixed		a mixed-mode CD: --data DIR (track 1, an ISO made of DIR) and two audio
#			tracks; burnfs ls/sessions, xorriso, cd-info and cdrdao through the shim
#			see the data track (and the 2-s audio pregap after it) and CD-Text,
#			cdparanoia rips the audio tracks equal to their inputs
#	mixed-cue	the same from a CUE sheet (`TRACK 01 MODE1/2048` of an ISO, then AUDIO);
#			the data track's blocks are the ISO's; --verify-only names a changed
#			block of the data track; a data track 02 is refused
#	export		vdrive export of a disc with audio refused (nothing written); import-image
#			refused onto it, taken after load --blank (the audio shelved with the disc)
#	usage		option errors exit 2 naming the problem
# Exits 77 without sox (and skips only the rip without cdparanoia or the shim).
set -u
: "${BURNFS:?}"
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-audio.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export BURNFS_VDRIVE_LONGOP_MS=0
command -v sox >/dev/null || { echo "SKIP: sox not installed" >&2; exit 77; }

# track NAME SECONDS FREQ...: $t/NAME (format by its extension) and $t/NAME.pcm, its CD-DA
# padded to whole sectors
track() {
	local name=$1 secs=$2
	shift 2
	local synth=()
	for f in "$@"; do synth+=(sine "$f"); done
	sox -n -r 44100 -c 2 -b 16 "$t/$name" synth "$secs" "${synth[@]}" gain -4 || fail "sox $name"
	sox "$t/$name" -t raw -e signed -b 16 -L "$t/$name.pcm" || fail "sox raw $name"
	local n
	n=$(stat -c %s "$t/$name.pcm")
	truncate -s $(((n + 2351) / 2352 * 2352)) "$t/$name.pcm"
}

# drive DIR: a virtual drive with a blank CD-R
drive() { "$BURNFS" vdrive create --media cd-r "$1" >/dev/null || fail "vdrive create"; }

# rip DIR N GAP_AFTER...: cdparanoia through the shim rips N tracks; each must equal the
# expected PCM given, followed by GAP_AFTER sectors of silence (the next track's pregap).
# RIP_FIRST: the first audio track's number (2 after a data track, which cdparanoia skips)
rip() {
	local dir=$1 n=$2 gap=$3 i=1 dev first=${RIP_FIRST:-1}
	shift 3
	if [ -z "${BURNFS_SHIM:-}" ] || ! command -v cdparanoia >/dev/null; then
		echo "audio.sh: cdparanoia or the shim missing: rip skipped" >&2
		return 0
	fi
	for i in 7 8 9 10 11 12 13 14 15; do [ -e /dev/sr$i ] || { dev=/dev/sr$i; break; }; done
	[ -n "${dev:-}" ] || { echo "audio.sh: no free /dev/srN name: rip skipped" >&2; return 0; }
	mkdir -p "$t/rip" && rm -f "$t/rip"/*
	(cd "$t/rip" && env LD_PRELOAD="$BURNFS_SHIM" BURNFS_SHIM_DRIVES="$dev=$dir" \
		timeout 120 cdparanoia -q -d "$dev" -r -B >"$t/rip.log" 2>&1) ||
		fail "cdparanoia: $(tail -5 "$t/rip.log")"
	i=$first
	for want in "$@"; do
		local got
		got=$(printf '%s/rip/track%02d.cdda.raw' "$t" "$i")
		[ -f "$got" ] || fail "cdparanoia made no track $i: $(ls "$t/rip")"
		cp "$want" "$t/want.pcm"
		[ "$i" -lt $((first + n - 1)) ] && truncate -s +$((gap * 2352)) "$t/want.pcm"
		cmp "$got" "$t/want.pcm" || fail "cdparanoia's track $i differs from its input"
		i=$((i + 1))
	done
	[ $((i - first)) -eq "$n" ] || fail "$((i - first)) tracks checked, $n expected"
}

# shim DIR CMD...: CMD with a free /dev/srN ($dev in it: written as @DEV@) served by the shim
# from the virtual drive in DIR; returns 77 (nothing run) without the shim or a free name
shim() {
	local dir=$1 dev=
	shift
	[ -n "${BURNFS_SHIM:-}" ] || return 77
	for i in 7 8 9 10 11 12 13 14 15; do [ -e /dev/sr$i ] || { dev=/dev/sr$i; break; }; done
	[ -n "$dev" ] || return 77
	env LD_PRELOAD="$BURNFS_SHIM" BURNFS_SHIM_DRIVES="$dev=$dir" timeout 60 "${@//@DEV@/$dev}"
}

# mixed_checks DIR FILE: the disc in DIR is mixed mode, data track 1 holding FILE (/FILE in
# the ISO); xorriso (its file) and cd-info (track types) agree, when they and the shim are here
mixed_checks() {
	local dir=$1 file=$2 r
	"$BURNFS" ls --drive "vdrive:$dir" | grep -qx "$file" || fail "burnfs ls: no $file"
	"$BURNFS" sessions --drive "vdrive:$dir" >"$t/out" 2>&1 || fail "sessions: $(cat "$t/out")"
	grep -q '^session 1: .*iso9660' "$t/out" || fail "sessions: not data: $(cat "$t/out")"
	grep -q 'audio (CD-DA)' "$t/out" && fail "sessions: the mixed session read as audio"
	if command -v xorriso >/dev/null; then
		rm -f "$t/x.out"
		shim "$dir" xorriso -indev @DEV@ -osirrox on -extract "/$file" "$t/x.out" \
			>"$t/xo.log" 2>&1
		r=$?
		[ $r = 77 ] || [ $r = 0 ] || fail "xorriso: $(tail -3 "$t/xo.log")"
		[ $r = 77 ] || cmp "$t/x.out" "$t/src/$file" || fail "xorriso's $file differs"
	fi
	if command -v cd-info >/dev/null; then
		shim "$dir" cd-info -C @DEV@ --no-header --no-cddb >"$t/ci.log" 2>&1
		r=$?
		[ $r = 77 ] || grep -q 'mixed mode CD' "$t/ci.log" || fail "cd-info: $(cat "$t/ci.log")"
		[ $r = 77 ] || grep -qE '^ +1: 00:02:00 +000000 data' "$t/ci.log" ||
			fail "cd-info: track 1 not data: $(cat "$t/ci.log")"
		[ $r = 77 ] || [ "$(grep -cE '^ +[23]: .* audio ' "$t/ci.log")" = 2 ] ||
			fail "cd-info: tracks 2, 3 not audio: $(cat "$t/ci.log")"
	fi
	if command -v cdrdao >/dev/null; then
		# cdrdao tells a data track's mode by READ CD of raw sectors, and finds the pregap
		rm -f "$t/m.toc"
		shim "$dir" cdrdao read-toc --device @DEV@ "$t/m.toc" >"$t/cd.log" 2>&1
		r=$?
		[ $r = 77 ] || [ $r = 0 ] || fail "cdrdao read-toc: $(tail -5 "$t/cd.log")"
		[ $r = 77 ] || { grep -qx 'TRACK MODE1' "$t/m.toc" &&
			[ "$(grep -cx 'TRACK AUDIO' "$t/m.toc")" = 2 ] &&
			grep -qx 'SILENCE 00:02:00' "$t/m.toc"; } ||
			fail "cdrdao read-toc: $(cat "$t/m.toc")"
	fi
}

# others DIR WANT...: cd-info and cdrdao read-toc, through the shim, read the disc in DIR; each
# WANT is "cd-info:TEXT" or "cdrdao:TEXT", a line their output must hold
others() {
	local dir=$1 dev want
	shift
	if [ -z "${BURNFS_SHIM:-}" ] || ! command -v cd-info >/dev/null || ! command -v cdrdao >/dev/null; then
		echo "audio.sh: cd-info, cdrdao or the shim missing: their checks skipped" >&2
		return 0
	fi
	for i in 7 8 9 10 11 12 13 14 15; do [ -e /dev/sr$i ] || { dev=/dev/sr$i; break; }; done
	[ -n "${dev:-}" ] || { echo "audio.sh: no free /dev/srN name: skipped" >&2; return 0; }
	(cd "$t" && env LD_PRELOAD="$BURNFS_SHIM" BURNFS_SHIM_DRIVES="$dev=$dir" \
		timeout 60 cd-info -C "$dev" --no-header --no-cddb >"$t/cd-info.txt" 2>&1) ||
		fail "cd-info: $(tail -5 "$t/cd-info.txt")"
	rm -f "$t/toc.txt"
	(cd "$t" && env LD_PRELOAD="$BURNFS_SHIM" BURNFS_SHIM_DRIVES="$dev=$dir" \
		timeout 60 cdrdao read-toc --device "$dev" toc.txt >"$t/cdrdao.log" 2>&1) ||
		fail "cdrdao read-toc: $(tail -5 "$t/cdrdao.log")"
	for want in "$@"; do
		case $want in
		cd-info:*) grep -qF -- "${want#cd-info:}" "$t/cd-info.txt" ||
			fail "cd-info lacks '${want#cd-info:}': $(cat "$t/cd-info.txt")" ;;
		cdrdao:*) grep -qF -- "${want#cdrdao:}" "$t/toc.txt" ||
			fail "cdrdao read-toc lacks '${want#cdrdao:}': $(cat "$t/toc.txt")" ;;
		esac
	done
}

case ${1:-} in
tao)
	track a.wav 5 440 660
	track b.flac 6.51 523 784
	track c.wav 4.2 330 495
	drive "$t/d"
	"$BURNFS" audio --drive "vdrive:$t/d" --tao "$t/a.wav" "$t/b.flac" "$t/c.wav" >"$t/out" 2>&1 ||
		fail "burnfs audio --tao: $(cat "$t/out")"
	grep -q "burnt 3 tracks .*track-at-once, verified" "$t/out" || fail "$(cat "$t/out")"
	rip "$t/d" 3 150 "$t/a.wav.pcm" "$t/b.flac.pcm" "$t/c.wav.pcm"
	;;
dao)
	track a.wav 5 440 660
	track b.flac 6.51 523 784
	drive "$t/d"
	"$BURNFS" audio --drive "vdrive:$t/d" --dao --pregap 0 --title "Album" --performer "Band" \
		--track-title 1=One --track-title "2=Caf$(printf '\303\251')" --isrc 2=USABC2400002 \
		--mcn 0123456789012 "$t/a.wav" "$t/b.flac" >"$t/out" 2>&1 ||
		fail "burnfs audio --dao: $(cat "$t/out")"
	grep -q "burnt 2 tracks .*disc-at-once, CD-Text, verified" "$t/out" || fail "$(cat "$t/out")"
	rip "$t/d" 2 0 "$t/a.wav.pcm" "$t/b.flac.pcm"
	# what others read of it: the tracks (gapless: track 2 at 5 s, 6.51 s long in whole
	# sectors), the MCN, the ISRC, the CD-Text (Latin-1, as CD-Text holds it)
	others "$t/d" 'cd-info:Media Catalog Number (MCN): 0123456789012' \
		'cd-info:TRACK  2 ISRC: USABC2400002' 'cd-info:TITLE: Album' 'cd-info:PERFORMER: Band' \
		'cd-info:TITLE: One' 'cdrdao:CATALOG "0123456789012"' 'cdrdao:ISRC "USABC2400002"' \
		'cdrdao:TITLE "Album"' 'cdrdao:TITLE "One"' 'cdrdao:PERFORMER "Band"' \
		'cdrdao:TITLE "Caf\351"' 'cdrdao:FILE "data.wav" 0 00:05:00' \
		'cdrdao:FILE "data.wav" 00:05:00 00:06:39'
	;;
sessions)
	# --simulate records nothing; TAO leaves the disc appendable, a second session of two
	# tracks is verified where the TOC puts them; --close finalizes, then nothing is added
	track a.wav 5 440
	track b.wav 4.5 660
	drive "$t/d"
	"$BURNFS" audio --drive "vdrive:$t/d" --tao --simulate "$t/a.wav" >"$t/out" 2>&1 ||
		fail "simulate: $(cat "$t/out")"
	grep -q "simulated 1 track" "$t/out" || fail "$(cat "$t/out")"
	"$BURNFS" info --drive "vdrive:$t/d" | grep -q "(blank" || fail "simulate recorded"
	"$BURNFS" audio --drive "vdrive:$t/d" --tao "$t/a.wav" >"$t/out" 2>&1 || fail "$(cat "$t/out")"
	"$BURNFS" audio --drive "vdrive:$t/d" --tao "$t/b.wav" "$t/a.wav" >"$t/out" 2>&1 ||
		fail "second session: $(cat "$t/out")"
	grep -q "burnt 2 tracks .*verified" "$t/out" || fail "$(cat "$t/out")"
	"$BURNFS" info --drive "vdrive:$t/d" | grep -q "sessions: 2 closed" || fail "not 2 sessions"
	"$BURNFS" audio --drive "vdrive:$t/d" --tao --close "$t/b.wav" >"$t/out" 2>&1 ||
		fail "$(cat "$t/out")"
	"$BURNFS" audio --drive "vdrive:$t/d" --tao "$t/a.wav" >"$t/out" 2>&1 && fail "burnt onto a closed disc"
	grep -q "the disc is complete: no track can be added" "$t/out" || fail "$(cat "$t/out")"
	# disc-at-once needs a blank disc
	"$BURNFS" audio --drive "vdrive:$t/d" "$t/a.wav" >"$t/out" 2>&1 && fail "DAO onto a used disc"
	grep -q "disc-at-once needs a blank disc" "$t/out" || fail "$(cat "$t/out")"
	# too long for the disc: refused before writing, exit 3, both lengths in mm:ss:ff
	"$BURNFS" vdrive create --media cd-r --capacity 1024 "$t/small" >/dev/null || fail "create"
	"$BURNFS" audio --drive "vdrive:$t/small" "$t/a.wav" "$t/b.wav" "$t/a.wav" >"$t/out" 2>&1
	rc=$?
	[ $rc -eq 3 ] || fail "too long: exit $rc, want 3: $(cat "$t/out")"
	grep -q "the album needs 00:18:38, the disc has 00:13:49 free" "$t/out" || fail "$(cat "$t/out")"
	"$BURNFS" info --drive "vdrive:$t/small" | grep -q "(blank" || fail "too long: written"
	;;
enhanced)
	# Enhanced CD: an audio session (TAO, left appendable), then a data session; the data
	# session reads back, and the audio tracks still verify where the TOC puts them
	track a.wav 5 440
	track b.wav 4.5 660
	drive "$t/d"
	"$BURNFS" audio --drive "vdrive:$t/d" --tao "$t/a.wav" "$t/b.wav" >"$t/out" 2>&1 ||
		fail "audio session: $(cat "$t/out")"
	mkdir -p "$t/src" && echo hello >"$t/src/readme.txt"
	# (an audio session has no tree to carry: a plain burn starts one, and the next merges it)
	"$BURNFS" burn "$t/src" --drive "vdrive:$t/d" >"$t/out" 2>&1 ||
		fail "data session: $(cat "$t/out")"
	"$BURNFS" ls --drive "vdrive:$t/d" --session 2 | grep -q readme.txt || fail "ls session 2"
	mkdir -p "$t/src2" && echo again >"$t/src2/more.txt"
	"$BURNFS" burn "$t/src2" --drive "vdrive:$t/d" >"$t/out" 2>&1 ||
		fail "second data session: $(cat "$t/out")"
	[ "$("$BURNFS" ls --drive "vdrive:$t/d" | grep -c -E '^(readme|more)\.txt$')" = 2 ] ||
		fail "session 3 does not hold session 2's file: $("$BURNFS" ls --drive "vdrive:$t/d")"
	"$BURNFS" sessions --drive "vdrive:$t/d" >"$t/out" 2>&1 || fail "sessions: $(cat "$t/out")"
	grep -q '^session 1: .*audio (CD-DA)' "$t/out" || fail "session 1 not audio: $(cat "$t/out")"
	"$BURNFS" ls --drive "vdrive:$t/d" --session 1 >"$t/out" 2>&1 && fail "ls of the audio session"
	grep -q "holds audio tracks" "$t/out" || fail "ls of the audio session: $(cat "$t/out")"
	"$BURNFS" audio --drive "vdrive:$t/d" --tao --verify-only "$t/a.wav" "$t/b.wav" >"$t/out" 2>&1 ||
		fail "verify-only: $(cat "$t/out")"
	;;
cue)
	track album.flac 12 440 550
	cat >"$t/album.cue" <<'CUE'
REM made by audio.sh
CATALOG 0123456789012
PERFORMER "Band"
TITLE "Album"
FILE "album.flac" WAVE
  TRACK 01 AUDIO
    TITLE "One"
    INDEX 01 00:00:00
  TRACK 02 AUDIO
    TITLE "Two"
    FLAGS DCP
    INDEX 00 00:05:00
    INDEX 01 00:06:00
    INDEX 02 00:08:00
CUE
	drive "$t/d"
	"$BURNFS" audio --drive "vdrive:$t/d" --cue "$t/album.cue" --cd-text >"$t/out" 2>&1 ||
		fail "burnfs audio --cue: $(cat "$t/out")"
	grep -q "burnt 2 tracks (00:12:00) disc-at-once, CD-Text, verified" "$t/out" ||
		fail "$(cat "$t/out")"
	# a broken sheet is refused before the drive, naming its line
	printf 'FILE "album.flac" WAVE\nTRACK 01 AUDIO\nINDEX 01 00:00:99\n' >"$t/bad.cue"
	"$BURNFS" audio --drive "vdrive:$t/d" --cue "$t/bad.cue" >"$t/out" 2>&1 && fail "bad sheet burnt"
	grep -q "bad.cue:3: '00:00:99' is not a time" "$t/out" || fail "$(cat "$t/out")"
	;;
corrupt)
	track a.wav 5 440 660
	track b.wav 6 523 784
	drive "$t/d"
	"$BURNFS" audio --drive "vdrive:$t/d" --pregap 0 "$t/a.wav" "$t/b.wav" >"$t/out" 2>&1 ||
		fail "burn: $(cat "$t/out")"
	"$BURNFS" audio --drive "vdrive:$t/d" --verify-only --pregap 0 "$t/a.wav" "$t/b.wav" \
		>"$t/out" 2>&1 || fail "verify-only: $(cat "$t/out")"
	grep -q "verified 2 tracks" "$t/out" || fail "$(cat "$t/out")"
	# gapless from LBA 0: track 2 starts at 375, its second 1 is LBA 450, a sample in it is
	# changed in the drive's image (block LBA at (LBA + 150) * 2352)
	printf '\001' | dd of="$t/d/audio.img" bs=1 seek=$(((450 + 150) * 2352 + 1001)) conv=notrunc \
		status=none || fail "dd"
	"$BURNFS" audio --drive "vdrive:$t/d" --verify-only --pregap 0 "$t/a.wav" "$t/b.wav" \
		>"$t/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] || fail "exit $rc, want 1: $(cat "$t/out")"
	grep -q "track 02 differs from its source at 00:01:00 (disc time 00:08:00)" "$t/out" ||
		fail "$(cat "$t/out")"
	;;
mixed)
	track a.wav 5 440
	track b.flac 4.5 660
	drive "$t/d"
	mkdir -p "$t/src" && head -c 300000 /dev/urandom >"$t/src/data.bin"
	# CD-Text in the lead-in of a disc whose first track is data (cue sheet lead-in 54h)
	"$BURNFS" audio --drive "vdrive:$t/d" --data "$t/src" --title "Mixed Album" "$t/a.wav" \
		"$t/b.flac" >"$t/out" 2>&1 || fail "burnfs audio --data: $(cat "$t/out")"
	grep -q "burnt 3 tracks .*disc-at-once, CD-Text, verified" "$t/out" || fail "$(cat "$t/out")"
	mixed_checks "$t/d" data.bin
	# the data track carries its manifest, as every image: verify checks the files by it
	"$BURNFS" verify --drive "vdrive:$t/d" >"$t/out" 2>&1 || fail "verify: $(cat "$t/out")"
	grep -q "1 files match, 0 differ, 0 missing" "$t/out" || fail "verify: $(cat "$t/out")"
	[ ! -s "$t/ci.log" ] || grep -q 'TITLE: Mixed Album' "$t/ci.log" ||
		fail "cd-info: no CD-Text: $(cat "$t/ci.log")"
	# the data track is 300 blocks (4 s, the ISO padded) and its 150-block post-gap of Mode 1
	# zeros, then 2 s of pregap before track 2: cdrdao reads track 1 as 6 s of data, cd-info
	# puts track 2 at LBA 600
	[ ! -s "$t/m.toc" ] || grep -q '^DATAFILE "data_1" 00:06:00' "$t/m.toc" ||
		fail "cdrdao: data track not 6 s: $(cat "$t/m.toc")"
	[ ! -s "$t/ci.log" ] || grep -qE '^ +2: 00:10:00 +000600 audio' "$t/ci.log" ||
		fail "cd-info: track 2 not at 600: $(cat "$t/ci.log")"
	RIP_FIRST=2 rip "$t/d" 2 150 "$t/a.wav.pcm" "$t/b.flac.pcm"
	"$BURNFS" audio --drive "vdrive:$t/d" --tao --data "$t/src" "$t/a.wav" >"$t/out" 2>&1
	[ $? = 2 ] && grep -q -- "--data: a mixed-mode CD is written --dao" "$t/out" ||
		fail "--tao --data: $(cat "$t/out")"
	;;
mixed-cue)
	track a.wav 5 440
	track b.wav 4.5 660
	mkdir -p "$t/src" && head -c 1000000 /dev/urandom >"$t/src/big.bin"
	"$BURNFS" image -o "$t/data.iso" --media cd "$t/src" >/dev/null || fail "burnfs image"
	# no PREGAP for track 02: the planner gives the audio after data its 2 s
	cat >"$t/m.cue" <<'CUE'
FILE "data.iso" BINARY
  TRACK 01 MODE1/2048
    INDEX 01 00:00:00
FILE "a.wav" WAVE
  TRACK 02 AUDIO
    INDEX 01 00:00:00
FILE "b.wav" WAVE
  TRACK 03 AUDIO
    PREGAP 00:02:00
    INDEX 01 00:00:00
CUE
	drive "$t/d"
	"$BURNFS" audio --drive "vdrive:$t/d" --cue "$t/m.cue" >"$t/out" 2>&1 ||
		fail "burnfs audio --cue: $(cat "$t/out")"
	grep -q "burnt 3 tracks .*disc-at-once, verified" "$t/out" || fail "$(cat "$t/out")"
	n=$(stat -c %s "$t/data.iso")
	cmp -n "$n" "$t/data.iso" "$t/d/disc.img" || fail "the data track is not the ISO"
	mixed_checks "$t/d" big.bin
	RIP_FIRST=2 rip "$t/d" 2 150 "$t/a.wav.pcm" "$t/b.wav.pcm"
	"$BURNFS" audio --drive "vdrive:$t/d" --verify-only --cue "$t/m.cue" >"$t/out" 2>&1 ||
		fail "verify-only: $(cat "$t/out")"
	# a byte of the data track changed in the drive's image: verify names the block
	off=$((20 * 2048 + 7))
	byte=$(od -An -tu1 -j "$off" -N1 "$t/d/disc.img")
	printf '%b' "\\x$(printf %02x $((byte ^ 255)))" |
		dd of="$t/d/disc.img" bs=1 seek="$off" conv=notrunc 2>/dev/null
	"$BURNFS" audio --drive "vdrive:$t/d" --verify-only --cue "$t/m.cue" >"$t/out" 2>&1 &&
		fail "verify-only of a changed data track"
	grep -q "data track 01 differs from its image at block 20" "$t/out" ||
		fail "verify-only: $(cat "$t/out")"
	sed -i 's/TRACK 01 MODE1\/2048/TRACK 01 AUDIO/; s/TRACK 02 AUDIO/TRACK 02 MODE1\/2048/' "$t/m.cue"
	"$BURNFS" audio --drive "vdrive:$t/d" --cue "$t/m.cue" >"$t/out" 2>&1 && fail "data track 02"
	grep -q "track 02 is 'MODE1/2048': only AUDIO tracks and a MODE1/2048 track 01" "$t/out" ||
		fail "data track 02: $(cat "$t/out")"
	;;
export)
	track a.wav 5 440
	drive "$t/d"
	"$BURNFS" audio --drive "vdrive:$t/d" --tao --verify none "$t/a.wav" >"$t/out" 2>&1 ||
		fail "burnfs audio: $(cat "$t/out")"
	"$BURNFS" vdrive export "$t/d" -o "$t/x.iso" >"$t/out" 2>&1 && fail "export of audio"
	grep -q "holds 1 audio track (CD-DA)" "$t/out" || fail "export: $(cat "$t/out")"
	for f in "$t"/x.iso*; do [ ! -e "$f" ] || fail "export left $f"; done
	mkdir -p "$t/src" && echo hi >"$t/src/f.txt"
	"$BURNFS" image -o "$t/data.iso" --media cd "$t/src" >/dev/null || fail "burnfs image"
	"$BURNFS" vdrive import-image "$t/d" "$t/data.iso" >"$t/out" 2>&1 && fail "import onto audio"
	grep -q "not blank" "$t/out" || fail "import: $(cat "$t/out")"
	"$BURNFS" vdrive load "$t/d" --blank >/dev/null || fail "load --blank"
	"$BURNFS" vdrive import-image "$t/d" "$t/data.iso" >"$t/out" 2>&1 ||
		fail "import onto the blank: $(cat "$t/out")"
	"$BURNFS" ls --drive "vdrive:$t/d" | grep -qx f.txt || fail "ls after import"
	[ ! -s "$t/d/audio.img" ] || fail "the audio of the shelved disc is still in the drive"
	"$BURNFS" vdrive export "$t/d" -o "$t/x.iso" >"$t/out" 2>&1 || fail "export: $(cat "$t/out")"
	cmp "$t/x.iso" "$t/data.iso" || fail "the export is not the imported image"
	;;
usage)
	track a.wav 5 440
	for args in "--tao --cd-text" "--tao --pregap 1" "--isrc 1=XX" "--mcn 12" "--verify quick" \
		"--dao --tao" "--track-title 2=x" "--isrc x"; do
		# shellcheck disable=SC2086
		"$BURNFS" audio --drive "vdrive:$t/none" $args "$t/a.wav" >"$t/out" 2>&1
		rc=$?
		[ $rc -eq 2 ] || fail "'$args': exit $rc, want 2: $(cat "$t/out")"
		grep -q "burnfs audio: " "$t/out" || fail "'$args': $(cat "$t/out")"
	done
	"$BURNFS" audio --drive "vdrive:$t/none" >"$t/out" 2>&1
	[ $? -eq 2 ] && grep -q "no TRACK files and no --cue" "$t/out" || fail "$(cat "$t/out")"
	"$BURNFS" audio --help | grep -q -- "--cue FILE.cue" || fail "--help"
	;;
*)
	fail "unknown case '${1:-}'"
	;;
esac
exit 0
