#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# shim.sh: unmodified third-party burners drive the virtual drive through the LD_PRELOAD shim
# (contrib/vdrive-shim), so that independent software checks the emulator and burnfs's discs.
#   xorriso (libburn): two sessions onto every medium, the drive's state (burnfs info) and
#     xorriso's TOC through the shim agree, the content read back by xorriso and burnfs;
#   xorriso reads a disc burnt by burnfs (lsdl, -check_media, extract + sha256sum -c);
#   growisofs: -Z of a burnfs image onto DVD+R, DVD-R, DVD+RW, BD-RE and DVD-RAM (written
#     through the block device), then -M (mkisofs reads the old session through the block
#     device), checked by export + cmp and xorriso;
#   cdrskin and wodim: an ISO onto CD-R in TAO mode (export + cmp), blank=fast of a CD-RW.
# Exit 77 when a tool or the shim is missing.
set -u
: "${BURNFS:?}" "${BURNFS_SHIM:?}"
for tool in xorriso cdrskin growisofs wodim genisoimage; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool missing" >&2; exit 77; }
done
[ -f "$BURNFS_SHIM" ] || { echo "SKIP: no shim at $BURNFS_SHIM" >&2; exit 77; }
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-shim.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export BURNFS_VDRIVE_LONGOP_MS=0 SOURCE_DATE_EPOCH=1700000000
unset SUDO_COMMAND # growisofs refuses to run under sudo

# shellcheck source=tests/mmc/shim-lib.sh
. "$(dirname "$0")/shim-lib.sh"
shim_device

mkdir -p "$t/src/sub" "$t/src2"
head -c 3000000 /dev/urandom >"$t/src/sub/rand.bin"
echo hello >"$t/src/a.txt"
echo second >"$t/src2/b.txt"
# what the second xorriso session holds: the first tree plus /two
mkdir -p "$t/exp"
cp -a "$t/src/." "$t/exp/"
cp -a "$t/src2" "$t/exp/two"

# ---- xorriso: two sessions on every medium libburn writes ---------------------------------
# the session starts and the NWA that xorriso's TOC (through the shim) shows
xorriso_toc() {
	awk '/^(ISO|Other) session/ { gsub(",", " "); print "start", $5 }
	     /^Media nwa/ { sub("s$", "", $4); print "nwa", $4 }' "$1" | sort
}
# the same from `burnfs info --drive` (the disc as burnfs's MMC layer reads it)
burnfs_toc() {
	awk '/^session [0-9]+:/ { split($4, b, "-"); print "start", b[1] }
	     /^next session: at block/ { sub(",", "", $5); print "nwa", $5 }' "$1" | sort
}
for m in bd-r dvd+r cd-r dvd-r cd-rw dvd-rw dvd+r-dl dvd+rw bd-re dvd-ram; do
	d="$t/x-$m"
	vdrive "$m" "$d"
	shim "$d" xorriso -dev "$dev" -map "$t/src" / -commit >"$t/log" 2>&1 ||
		fail "xorriso session 1 on $m: $(tail -5 "$t/log")"
	grep -q "Writing to '$dev' completed successfully" "$t/log" || fail "xorriso on $m: $(tail -5 "$t/log")"
	shim "$d" xorriso -dev "$dev" -map "$t/src2" /two -commit >"$t/log" 2>&1 ||
		fail "xorriso session 2 on $m: $(tail -5 "$t/log")"
	"$BURNFS" info --drive "vdrive:$d" >"$t/info" 2>&1 || fail "info $m: $(cat "$t/info")"
	shim "$d" xorriso -indev "$dev" -toc >"$t/toc" 2>&1 || fail "xorriso -toc on $m: $(tail -5 "$t/toc")"
	case $m in
	dvd+rw | bd-re | dvd-ram)
		# overwrite media: xorriso keeps its own session table at LBA 0 (a copy of the
		# newest session's descriptors); burnfs finds the same logical sessions from there
		# (engine/sessions.c), the second one where xorriso's emulated TOC says
		xs=$(awk '/^ISO session *: *2 ,/ { gsub(",", " "); print $5 }' "$t/toc")
		[ -n "$xs" ] || fail "$m: xorriso's emulated TOC: $(cat "$t/toc")"
		grep -q "^sessions: 2 closed, the last starts at block $xs\$" "$t/info" ||
			fail "$m: burnfs info, xorriso's session 2 at $xs: $(cat "$t/info")"
		;;
	*)
		grep -q "^sessions: 2 closed, the last starts at block" "$t/info" || fail "$m: $(cat "$t/info")"
		grep -q "Media summary: 2 sessions" "$t/toc" || fail "$m: $(cat "$t/toc")"
		# the empty next session must not show up as a session (the last-session state)
		grep -q "Other session" "$t/toc" && fail "$m: an empty session in the TOC: $(cat "$t/toc")"
		[ "$(xorriso_toc "$t/toc")" = "$(burnfs_toc "$t/info")" ] ||
			fail "$m: xorriso's TOC $(xorriso_toc "$t/toc" | tr '\n' ' ') != burnfs info $(burnfs_toc "$t/info" | tr '\n' ' ')"
		;;
	esac
	# the last session through the shim, then in the exported image (a plain file has no
	# TOC: the session is given by its start; on overwrite media xorriso's table at LBA 0)
	rm -rf "$t/out"
	shim "$d" xorriso -osirrox on -indev "$dev" -extract / "$t/out" >"$t/log" 2>&1 ||
		fail "xorriso -extract from $m: $(tail -3 "$t/log")"
	diff -r "$t/exp" "$t/out" >&2 || fail "$m: the last session's content through the shim"
	"$BURNFS" vdrive export "$d" -o "$t/x.img" >/dev/null || fail "export $m"
	last=$(sed -n 's/^sessions: [0-9]* closed, the last starts at block \([0-9]*\)$/\1/p' "$t/info")
	case $m in dvd+rw | bd-re | dvd-ram) last=0 ;; esac
	rm -rf "$t/out"
	xorriso -osirrox on -indev "$t/x.img" -load sbsector "$last" -extract / "$t/out" >"$t/log" 2>&1 ||
		fail "xorriso -extract of $m's image: $(tail -3 "$t/log")"
	diff -r "$t/exp" "$t/out" >&2 || fail "$m: the last session's content in the image"
	case $m in
	dvd+rw | bd-re | dvd-ram) ;;
	*)
		# the first session, read by burnfs's own reader
		"$BURNFS" verify "$t/x.img" --against "$t/src" >"$t/log" 2>&1 ||
			fail "burnfs verify of $m's first session: $(cat "$t/log")"
		;;
	esac
	echo "ok: xorriso, 2 sessions on $m"
done

# ---- exclusive like O_EXCL: a drive one process holds is busy for another -----------------
# (the shell holds it on its descriptor 3, where the drive's own lock file would otherwise sit)
# shellcheck disable=SC2016 # $1 is the inner shell's
shim "$t/x-bd-r" sh -c 'exec 3<"$1"; xorriso -dev "$1" -toc 2>&1' sh "$dev" >"$t/log" 2>&1 &&
	fail "a second process got the drive: $(tail -3 "$t/log")"
grep -q "Cannot open busy device" "$t/log" || fail "busy drive: $(tail -3 "$t/log")"
echo "ok: the drive is exclusive"

# ---- a disc burnt by burnfs, read by xorriso through the shim -----------------------------
for m in bd-r cd-r; do
	d="$t/b-$m"
	vdrive "$m" "$d"
	"$BURNFS" burn "$t/src" --drive "vdrive:$d" >"$t/log" 2>&1 || fail "burnfs burn $m: $(cat "$t/log")"
	shim "$d" xorriso -indev "$dev" -find / -exec lsdl >"$t/ls" 2>&1 || fail "lsdl $m: $(tail -5 "$t/ls")"
	grep -q "3000000 .*'/sub/rand.bin'" "$t/ls" || fail "lsdl $m: $(cat "$t/ls")"
	shim "$d" xorriso -indev "$dev" -check_media -- >"$t/cm" 2>&1 || fail "check_media $m: $(tail -5 "$t/cm")"
	grep -q "Media region : .* + good" "$t/cm" || fail "check_media $m: $(cat "$t/cm")"
	grep -q "Media region : .* - " "$t/cm" && fail "check_media $m: bad blocks: $(cat "$t/cm")"
	rm -rf "$t/out"
	shim "$d" xorriso -osirrox on -indev "$dev" -extract / "$t/out" >"$t/log" 2>&1 ||
		fail "extract $m: $(tail -5 "$t/log")"
	(cd "$t/out" && sha256sum --quiet -c .burnfs/SHA256SUMS) >&2 || fail "$m: sha256sum -c"
	diff -r -x .burnfs "$t/src" "$t/out" >&2 || fail "$m: content"
	echo "ok: xorriso reads burnfs's $m"
done

# ---- growisofs: -Z of a burnfs image, then -M ---------------------------------------------
"$BURNFS" image "$t/src" -o "$t/dvd.iso" >/dev/null 2>&1 || fail "burnfs image"
# (not BD-R: growisofs 7.1 needs READ FORMAT CAPACITIES to offer format type 32h on a blank
# BD-R, and the virtual drive does not format BD-R)
for m in dvd+r dvd-r dvd+rw bd-re dvd-ram; do
	d="$t/g-$m"
	vdrive "$m" "$d"
	if [ "$m" = dvd-ram ]; then
		# growisofs writes DVD-RAM through the block device and expects it formatted
		shim "$d" xorriso -outdev "$dev" -format full >"$t/log" 2>&1 || fail "format $m: $(tail -3 "$t/log")"
	fi
	shim "$d" growisofs -Z "$dev=$t/dvd.iso" >"$t/log" 2>&1 || fail "growisofs -Z on $m: $(tail -5 "$t/log")"
	"$BURNFS" vdrive export "$d" -o "$t/g.img" >/dev/null || fail "export $m"
	cmp -n "$(stat -c %s "$t/dvd.iso")" "$t/dvd.iso" "$t/g.img" || fail "growisofs -Z on $m: content"
	# -M: mkisofs reads the first session through the block device (/dev/fd/N)
	shim "$d" growisofs -M "$dev" -R "$t/src2" >"$t/log" 2>&1 || fail "growisofs -M on $m: $(tail -5 "$t/log")"
	case $m in
	dvd+r | dvd-r)
		"$BURNFS" info --drive "vdrive:$d" | grep -q "^sessions: 2 closed," ||
			fail "growisofs -M on $m: not 2 sessions"
		;;
	esac
	rm -rf "$t/out"
	shim "$d" xorriso -osirrox on -indev "$dev" -extract / "$t/out" >"$t/log" 2>&1 ||
		fail "extract $m: $(tail -5 "$t/log")"
	cmp "$t/out/sub/rand.bin" "$t/src/sub/rand.bin" || fail "growisofs -M on $m: session 1's file"
	cmp "$t/out/b.txt" "$t/src2/b.txt" || fail "growisofs -M on $m: session 2's file"
	echo "ok: growisofs -Z and -M on $m"
done

# ---- cdrskin and wodim: TAO onto CD-R, blank=fast of a CD-RW ------------------------------
"$BURNFS" image "$t/src" --media cd -o "$t/cd.iso" >/dev/null 2>&1 || fail "burnfs image --media cd"
for tool in cdrskin wodim; do
	d="$t/$tool-cdr"
	vdrive cd-r "$d"
	shim "$d" "$tool" -v dev="$dev" -tao gracetime=0 "$t/cd.iso" >"$t/log" 2>&1 ||
		fail "$tool -tao: $(tail -5 "$t/log")"
	"$BURNFS" info --drive "vdrive:$d" >"$t/info" 2>&1
	grep -q "CD-R (complete" "$t/info" || fail "$tool: $(cat "$t/info")"
	grep -q "^sessions: 1 closed," "$t/info" || fail "$tool: $(cat "$t/info")"
	"$BURNFS" vdrive export "$d" -o "$t/c.img" >/dev/null || fail "export"
	cmp -n "$(stat -c %s "$t/cd.iso")" "$t/cd.iso" "$t/c.img" || fail "$tool -tao: content"
	# a CD-RW with a session (left appendable), blanked
	d="$t/$tool-cdrw"
	vdrive cd-rw "$d"
	shim "$d" "$tool" dev="$dev" -tao -multi gracetime=0 "$t/cd.iso" >"$t/log" 2>&1 ||
		fail "$tool -multi on CD-RW: $(tail -5 "$t/log")"
	"$BURNFS" info --drive "vdrive:$d" | grep -q "CD-RW (appendable" || fail "$tool: CD-RW not appendable"
	shim "$d" "$tool" dev="$dev" blank=fast gracetime=0 >"$t/log" 2>&1 || fail "$tool blank=fast: $(tail -5 "$t/log")"
	"$BURNFS" info --drive "vdrive:$d" >"$t/info" 2>&1
	grep -q "CD-RW (blank" "$t/info" || fail "$tool blank=fast: $(cat "$t/info")"
	echo "ok: $tool TAO onto CD-R, blank=fast"
done
echo "PASS"
