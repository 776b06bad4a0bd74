#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# audio-shim.sh CASE: audio CDs burnt by wodim onto a virtual CD-R through the LD_PRELOAD
# shim, then read by software nobody here wrote (issue 14 §1, the independent checks):
#   tao  wodim -tao -pad -multi of two WAVs (made with sox), then a data session (an
#        Enhanced CD); cdparanoia rips every audio track and the PCM equals the input's (each
#        track then the 2 s of silence the drive laid down before the next, as a ripper sees
#        them); cd-info lists the two audio tracks and the data track after the session gap,
#        and its audio status (CDROMSUBCHNL); burnfs info too, at the addresses the pregap
#        puts them; burnfs audio --verify-only finds the sources on the disc, and tells them
#        swapped
#   dao  wodim -dao -text -useinfo (CD-Text, ISRC and MCN from cdda2wav-style .inf files)
#        with an index point; cdparanoia rips the PCM back; cd-info shows the MCN, both
#        ISRCs and the CD-Text; cdrdao read-toc shows them too, with track 2's pregap and
#        the index; burnfs info shows the MCN, the ISRCs and the CD-Text packs, and burnfs
#        audio --dao --verify-only finds the files on the disc
#   cdrskin  cdrskin -sao (libburn) with CD-Text from a Sony input sheet (v07t), MCN and
#        ISRCs, gapless: cdparanoia rips the PCM back, cd-info shows the CD-Text, MCN, ISRCs
# Exit 77 when a tool or the shim is missing.
set -u
: "${BURNFS:?}" "${BURNFS_SHIM:?}"
case=${1:?usage: audio-shim.sh tao|dao|cdrskin}
for tool in wodim cdrskin cdparanoia cd-info cdrdao sox; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool missing" >&2; exit 77; }
done
[ -f "$BURNFS_SHIM" ] || { echo "SKIP: no shim at $BURNFS_SHIM" >&2; exit 77; }
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-audio.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export BURNFS_VDRIVE_LONGOP_MS=0

# shellcheck source=tests/mmc/shim-lib.sh
. "$(dirname "$0")/shim-lib.sh"
shim_device
cd "$t" || fail "cd $t"

# two tracks of 44.1 kHz 16-bit stereo: 5 s (375 sectors) and LEN2 seconds; their raw PCM,
# little-endian as in the WAV and as cdparanoia -r writes it
pcm() {
	sox -n -r 44100 -c 2 -b 16 -e signed "$1.wav" synth "$2" sine "$3" sine "$4" ||
		fail "sox $1"
	sox "$1.wav" -t raw -e signed -b 16 -L "$1.raw" || fail "sox raw $1"
}
# rip N WANT...: cdparanoia rips track N through the shim; its PCM must be the
# concatenation of WANT files
rip() {
	local n=$1
	shift
	shim "$t/d" cdparanoia -d "$dev" -r "$n" "rip$n.raw" >"rip.log" 2>&1 ||
		fail "cdparanoia track $n: $(tail -5 rip.log)"
	cat "$@" >"want$n.raw"
	cmp "rip$n.raw" "want$n.raw" || fail "track $n ripped: $(stat -c %s "rip$n.raw") bytes, want $(stat -c %s "want$n.raw")"
}
# zeros N: N sectors of digital silence into zN.raw
zeros() { head -c $(($1 * 2352)) /dev/zero >"z$1.raw"; }

vdrive cd-r "$t/d"
pcm t1 5 440 660
case $case in
tao)
	pcm t2 4.5 550 880 # 337.5 sectors: -pad fills the last one with silence
	shim "$t/d" wodim dev="$dev" -tao -pad -multi gracetime=0 -audio t1.wav t2.wav >w.log 2>&1 ||
		fail "wodim -tao: $(tail -5 w.log)"
	mkdir src && echo data >src/readme.txt
	"$BURNFS" image src --media cd -o data.iso >/dev/null 2>&1 || fail "burnfs image"
	shim "$t/d" wodim dev="$dev" -tao gracetime=0 -data data.iso >w.log 2>&1 ||
		fail "wodim -data after the audio session: $(tail -5 w.log)"
	zeros 150
	head -c $((338 * 2352 - $(stat -c %s t2.raw))) /dev/zero >pad.raw
	rip 1 t1.raw z150.raw
	rip 2 t2.raw pad.raw
	shim "$t/d" cd-info -C "$dev" --no-header --no-cddb >info.txt 2>&1 || fail "cd-info: $(cat info.txt)"
	grep -q '^ *1: 00:02:00  000000 audio' info.txt || fail "cd-info track 1: $(cat info.txt)"
	grep -q '^ *2: 00:09:00  000525 audio' info.txt || fail "cd-info track 2: $(cat info.txt)"
	# the data session after the audio one's lead-out (863) and the 11,400-block gap
	grep -q '^ *3: 02:45:38  012263 data' info.txt || fail "cd-info track 3: $(cat info.txt)"
	# CDROMSUBCHNL through the shim: READ SUB-CHANNEL's position, no audio playing
	grep -q '^audio status: no status' info.txt || fail "cd-info audio status: $(cat info.txt)"
	"$BURNFS" info --drive "vdrive:$t/d" >binfo.txt 2>&1 || fail "burnfs info: $(cat binfo.txt)"
	grep -q '^sessions: 2 closed, the last starts at block 12263' binfo.txt ||
		fail "burnfs info: $(cat binfo.txt)"
	grep -q '^audio: 2 track(s), 00:11:38' binfo.txt || fail "burnfs info: $(cat binfo.txt)"
	grep -q 'audio track 2: at 00:09:00, 00:04:38 long$' binfo.txt || fail "burnfs info: $(cat binfo.txt)"
	# burnfs's verify agrees with what wodim burnt: the tracks are the sources, sample for
	# sample; and it tells sources that are not
	"$BURNFS" audio --drive "vdrive:$t/d" --tao --verify-only t1.wav t2.wav >v.log 2>&1 ||
		fail "burnfs audio --verify-only of wodim's tracks: $(cat v.log)"
	"$BURNFS" audio --drive "vdrive:$t/d" --tao --verify-only t2.wav t1.wav >v.log 2>&1 &&
		fail "burnfs audio --verify-only passed the sources swapped"
	grep -q 'track 01 differs' v.log || fail "verify of swapped sources: $(cat v.log)"
	;;
dao)
	pcm t2 4 550 880
	for n in 1 2; do
		{
			printf "Albumperformer=\t'The Band'\nAlbumtitle=\t'Test Album'\n"
			printf "Performer=\t'Singer %s'\nTracktitle=\t'Song %s'\n" "$n" "$n"
			printf "Tracknumber=\t%s\nMCN=\t4006381333931\n" "$n"
			printf "ISRC=\t%s\n" "$([ "$n" = 1 ] && echo DEA123456789 || echo USXYZ0000012)"
			printf "Pre-emphasis=\tno\nChannels=\t2\nCopy_permitted=\tyes\nEndianess=\tlittle\n"
		} >"t$n.inf"
	done
	# track 1 with index 02 at 2 s (150 sectors; wodim makes the last 2 s of a file the next
	# track's pregap)
	shim "$t/d" wodim dev="$dev" -dao -text -useinfo gracetime=0 -audio index=0,150 t1.wav t2.wav \
		>w.log 2>&1 || fail "wodim -dao: $(tail -5 w.log)"
	rip 1 t1.raw
	rip 2 t2.raw
	shim "$t/d" cd-info -C "$dev" --no-header --no-cddb >info.txt 2>&1 || fail "cd-info: $(cat info.txt)"
	for want in 'Media Catalog Number (MCN): 4006381333931' 'TRACK  1 ISRC: DEA123456789' \
		'TRACK  2 ISRC: USXYZ0000012' 'TITLE: Test Album' 'PERFORMER: The Band' \
		'TITLE: Song 2' 'PERFORMER: Singer 1'; do
		grep -qF "$want" info.txt || fail "cd-info lacks '$want': $(cat info.txt)"
	done
	shim "$t/d" cdrdao read-toc --device "$dev" toc.txt >cdrdao.log 2>&1 ||
		fail "cdrdao read-toc: $(tail -5 cdrdao.log)"
	for want in 'CATALOG "4006381333931"' 'ISRC "DEA123456789"' 'ISRC "USXYZ0000012"' \
		'TITLE "Test Album"' 'TITLE "Song 1"' 'PERFORMER "Singer 2"' 'START 00:02:00' \
		'INDEX 00:02:00'; do
		grep -qF "$want" toc.txt || fail "cdrdao read-toc lacks '$want': $(cat toc.txt)"
	done
	"$BURNFS" info --drive "vdrive:$t/d" >binfo.txt 2>&1 || fail "burnfs info: $(cat binfo.txt)"
	grep -q '^audio: 2 track(s), 00:09:00 (mm:ss:ff), MCN 4006381333931, CD-Text [1-9][0-9]* pack' \
		binfo.txt || fail "burnfs info: $(cat binfo.txt)"
	grep -q 'audio track 2: at 00:07:00, 00:04:00 long, copy permitted, ISRC USXYZ0000012' \
		binfo.txt || fail "burnfs info: $(cat binfo.txt)"
	# burnfs's verify of wodim's disc-at-once: the files gapless (wodim's 2-s pregap of
	# track 2 is the end of t1.wav)
	"$BURNFS" audio --drive "vdrive:$t/d" --dao --pregap 0 --verify-only t1.wav t2.wav \
		>v.log 2>&1 || fail "burnfs audio --verify-only of wodim's disc-at-once: $(cat v.log)"
	;;
cdrskin)
	pcm t2 4 550 880
	printf '%s\n' 'Input Sheet Version = 0.7T' 'Text Code = 8859' 'Language Code = English' \
		'Album Title = Skin Album' 'Artist Name = Skin Band' 'Track 01 Title = Skin One' \
		'Track 01 Artist = Player A' 'Track 02 Title = Skin Two' 'Track 02 Artist = Player B' \
		>sheet.v07t
	shim "$t/d" cdrskin dev="$dev" -sao gracetime=0 input_sheet_v07t=sheet.v07t \
		mcn=4006381333931 -audio isrc=DEA123456789 t1.wav isrc=USXYZ0000012 t2.wav \
		>c.log 2>&1 || fail "cdrskin -sao: $(tail -5 c.log)"
	rip 1 t1.raw
	rip 2 t2.raw
	shim "$t/d" cd-info -C "$dev" --no-header --no-cddb >info.txt 2>&1 || fail "cd-info: $(cat info.txt)"
	for want in 'Media Catalog Number (MCN): 4006381333931' 'TRACK  2 ISRC: USXYZ0000012' \
		'TITLE: Skin Album' 'PERFORMER: Skin Band' 'TITLE: Skin Two' 'PERFORMER: Player A'; do
		grep -qF "$want" info.txt || fail "cd-info lacks '$want': $(cat info.txt)"
	done
	;;
*)
	fail "unknown case $case"
	;;
esac
echo "PASS: $case"
