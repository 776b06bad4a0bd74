#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# usage: mount.sh MEDIUM|kernel|others|after-commit|faults|faults-recorded
#
# The staging mount over discs with sessions (issue 13 §2), checked by readers that are not
# burnfs. MEDIUM (cd-r cd-rw dvd-r dvd-rw dvd+r dvd+r-dl bd-r dvd+rw dvd-ram bd-re): three
# commits through `burnfs mount` onto one disc:
#	1. a tree with a hard-linked pair, symbolic links, an empty directory, a 1 MB file;
#	2. rm of a file, rm -r of a directory, mv of a file and of a directory across
#	   directories (edits of the disc's tree, nothing copied);
#	3. an append to a file, a chmod, a write through one name of the hard-linked pair.
# Before each commit the mount's tree is recorded (types, modes, link targets, sha256 of every
# file, hard-link groups); after it the new last session, as xorriso (-load sbsector, with
# hard links), isoinfo -T (Rock Ridge paths, types, sizes), udfinfo --startblock (DVD, BD),
# and check.py's readers on the overwritable view of the session (xorriso, isoinfo, bsdtar,
# pycdlib, libudfread where they reach it, as append.sh has it) read it, must equal it, and
# so must the mount after the commit.
# `kernel`: the same three commits on every medium, every session mounted by Linux (isofs
# sbsector=, udf session=) in one QEMU boot.
# `others`: discs by xorriso and growisofs (through the vdrive shim) and the multisession
# images of tests/fixtures (vdrive import-image): the mount shows their last session as
# xorriso reads it, takes an add, a delete and a rename, and the commit's session holds them.
# `after-commit`: writes, chmod and ln through names the kernel looked up before the commit,
# right after it; link counts after rm and ln of a disc file's names.
# `faults`: each drive fault (write-error@, remove@) and kill -9 of the daemon while writing
# (the drive's state saved every 256 blocks: an incomplete session; every 4096: nothing
# recorded) during a commit that appends: session 1 stays readable, the staged files and
# .burnfs/changes are intact, the next mount shows the same, a retry succeeds (or, on a disc
# left with an incomplete session, is refused with why, changing nothing).
# `faults-recorded`: the same after the faults that leave the new session on the disc
# (corrupt-read@, kill -9 while verifying): the staged changes must stay committable.
# Exit 77 without /dev/fuse, fusermount3, xorriso or jq; the daemon's sanitizer reports fail.
# FAULTS="HOW..." runs only those of faults and faults-recorded.
set -u
: "${BURNFS:?}"
here=$(cd "$(dirname "$0")" && pwd)
check=$here/check.py
# shellcheck source=tests/fuse/lib.sh
. "$here/../fuse/lib.sh"
fail() { fail_with_log "$@"; }
fuse_require
for tool in xorriso jq; do
	command -v $tool >/dev/null || { echo "SKIP: $tool missing" >&2; exit 77; }
done
t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-mount-interop.XXXXXX")
export XDG_STATE_HOME=$t/state XDG_DATA_HOME=$t/data BURNFS_VDRIVE_LONGOP_MS=0
export BURNFS_MMC_STUCK_SECONDS=2 BURNFS_VDRIVE_COMMIT_BLOCKS=2048
mnt=$t/mnt
stg=$t/staging
vd=$t/vd
daemon=

# stop: unmount, the daemon's exit 0 and no sanitizer report
stop() {
	if mountpoint -q "$mnt" 2>/dev/null; then
		"$BURNFS" umount "$mnt" >/dev/null 2>&1 || fusermount3 -u -z "$mnt" 2>/dev/null
	fi
	if [ -n "$daemon" ]; then
		for _ in $(seq 300); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$daemon" 2>/dev/null && { kill -9 "$daemon"; fail "the daemon did not exit after umount"; }
		wait "$daemon"
		drc=$?
		daemon=
		[ $drc = 0 ] || { cat "$t/daemon.log" >&2; fail "the daemon exited with $drc"; }
	fi
	if sanitizer_report; then exit 1; fi
}
trap 'rc=$?; stop; chmod -R u+w "$t" 2>/dev/null; rm -rf "$t"; exit $rc' EXIT

# start VDRIVE: the staging directory $stg mounted on $mnt for the disc in VDRIVE
start() {
	mkdir -p "$mnt" "$stg"
	mount_daemon "$1"
}

st() { jq -r "$1" "$mnt/.burnfs/status"; } # st FILTER: a field of the mount's status

# wait_for FILTER: until the status filter is true (60 s)
wait_for() {
	for _ in $(seq 600); do
		[ "$(jq -r "$1" "$mnt/.burnfs/status" 2>/dev/null)" = true ] && return 0
		sleep 0.1
	done
	fail "status never had $1: $(cat "$mnt/.burnfs/status")"
}

# snap DIR: what a tree is, .burnfs left out: every entry's type, mode and link target, every
# file's sha256, and the hard-link groups (names of one inode number; the link count is
# after-commit's)
snap() {
	(
		cd "$1" || exit 1
		find . -mindepth 1 -path ./.burnfs -prune -o -printf '%y %m %p -> %l\n' | LC_ALL=C sort
		find . -path ./.burnfs -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
		find . -path ./.burnfs -prune -o -type f -printf '%i\t%p\n' | LC_ALL=C sort -t$'\t' -k2 |
			awk -F'\t' '{ g[$1] = g[$1] " | " $2; n[$1]++ }
				END { for (i in g) if (n[i] > 1) print "linked:" g[i] }' | LC_ALL=C sort
	) || fail "snap $1"
}

# copy_tree FROM TO: FROM's tree, .burnfs left out, with modes, times and hard links
copy_tree() {
	rm -rf "$2" && mkdir -p "$2" || fail "copy_tree"
	tar -C "$1" --exclude=./.burnfs -cf - . | tar -C "$2" -xpf - || fail "copy_tree $1"
}

# session K [VDRIVE]: "START END" of session K (-1: the last) of the disc in VDRIVE ($vd)
session() {
	"$BURNFS" sessions --drive "vdrive:${2:-$vd}" --json |
		jq -r ".sessions[$1] | \"\(.start) \(.start + .length)\"" || fail "sessions"
}

# change MEDIUM K: the K-th change made through the mount (three, one per commit)
change() {
	local m=$mnt
	case $2 in
	1)
		mkdir -p "$m/docs/deep/er" "$m/media" "$m/empty" "$m/old/sub" "$m/keep" || fail "mkdir"
		echo readme >"$m/README" && ln "$m/README" "$m/docs/README.link" || fail "hard link"
		ln -s ../README "$m/docs/readme-link" && ln -s docs/deep "$m/deep-link" &&
			ln -s nowhere "$m/media/dangling" || fail "symlinks"
		head -c 1000000 /dev/urandom >"$m/media/big.bin" || fail "big"
		echo deep >"$m/docs/deep/er/f.txt" && echo gone >"$m/docs/gone.txt" &&
			echo moving >"$m/docs/moving.txt" && echo log >"$m/log.txt" &&
			echo o >"$m/old/sub/o.txt" && echo o2 >"$m/old/o2.txt" &&
			printf 'Grüße\n' >"$m/keep/name with spaces – ü.txt" || fail "files"
		chmod 0750 "$m/keep" && chmod 0600 "$m/old/o2.txt" || fail "chmod"
		;;
	2)
		rm "$m/docs/gone.txt" || fail "rm of a disc file"
		rm -r "$m/old/sub" || fail "rm -r of a disc directory"
		mv "$m/docs/moving.txt" "$m/keep/moved.txt" || fail "mv of a disc file"
		mv "$m/docs/deep" "$m/media/deep" || fail "mv of a disc directory"
		;;
	3)
		echo more >>"$m/log.txt" || fail "append to a disc file"
		chmod 0640 "$m/media/big.bin" || fail "chmod of a disc file"
		echo changed >>"$m/docs/README.link" || fail "write through one name of a hard link"
		[ "$(stat -c %i "$m/README")" = "$(stat -c %i "$m/docs/README.link")" ] ||
			fail "the hard-linked names are two files after a write"
		;;
	esac
	# nothing of the disc's own tree was copied to change it (a written file is)
	[ "$2" = 2 ] && [ -n "$(find "$stg" -mindepth 1 -not -path "$stg/.burnfs*" -type f)" ] &&
		fail "$1: rm and mv copied disc files: $(find "$stg" -not -path "$stg/.burnfs*")"
	return 0
}

# commit MEDIUM K: burnfs commit of the mount; the session's "START END" in $t/se$K
commit() {
	"$BURNFS" commit "$mnt" --verify quick >"$t/out" 2>&1 || fail "$1 commit $2: $(cat "$t/out")"
	[ "$2" = 1 ] || grep -q "with the disc's tree (session $(($2 - 1))" "$t/out" ||
		fail "$1 commit $2: not merged: $(cat "$t/out")"
	[ "$(st .disc.sessions)" = "$2" ] || fail "$1 commit $2: disc $(st .disc)"
	session -1 >"$t/se$2"
}

# view IMAGE S END OUT: the overwritable view of session S (view.py)
view() { /usr/bin/python3 "$here/view.py" "$@" || fail "view"; }

# isoinfo_list IMAGE S: "TYPE MODE SIZE PATH" of every entry of session S's Rock Ridge tree
# as isoinfo -T S lists it (a multi-extent file once, its extents' sizes added)
isoinfo_list() {
	isoinfo -i "$1" -T "$2" -R -l 2>/dev/null | awk '
		/^Directory listing of / { dir = substr($0, 22) }
		/^[-dl]/ { n = $0; sub(/^.*\[ *[0-9]+ [0-9A-F]+\]? +/, "", n); sub(/ +$/, "", n); sub(/ -> .*/, "", n)
			if (n != "." && n != "..") { p = dir n; ty[p] = substr($1, 1, 1); md[p] = $1
				sz[p] += (ty[p] == "-" ? $5 : 0) } }
		END { for (p in ty) print ty[p], md[p], sz[p], p }' | LC_ALL=C sort
}

# want_list DIR: the same for a tree
want_list() {
	(cd "$1" && find . -mindepth 1 -printf '%y %M %s /%P\n') |
		awk '{ t = $1 == "f" ? "-" : $1; s = t == "-" ? $3 : 0; m = $2; $1 = ""; $2 = ""; $3 = ""
			sub(/^   /, ""); print t, m, s, $0 }' | LC_ALL=C sort
}

# readers MEDIUM K IMAGE WANT: session K of IMAGE ("START END" in $t/seK) read by others
# equals WANT (a copy of what the mount showed before the commit), and its snap $t/snapK
readers() {
	local m=$1 k=$2 img=$3 want=$4 s end r out list udf= x=$t/x
	read -r s end <"$t/se$k"
	case $m in dvd* | bd*) udf=1 ;; esac
	rm -rf "$x"
	xorriso -osirrox on -hardlinks on -load sbsector "$s" -indev "$img" -extract / "$x" \
		>"$t/xlog" 2>&1 || fail "$m session $k: xorriso extract: $(tail -3 "$t/xlog")"
	(cd "$x" && sha256sum --strict --quiet -c .burnfs/SHA256SUMS) ||
		fail "$m session $k: sha256sum -c of the manifest"
	snap "$x" >"$t/xsnap"
	diff "$t/snap$k" "$t/xsnap" >&2 || fail "$m session $k: xorriso -load sbsector $s reads another tree"
	cp -a "$x/.burnfs" "$want/" || fail "manifest"
	chmod -R u+w "$x"
	[ -n "${xorriso_only:-}" ] && return 0
	isoinfo_list "$img" "$s" >"$t/isoinfo"
	want_list "$want" >"$t/want.list"
	diff "$t/want.list" "$t/isoinfo" >&2 || fail "$m session $k: isoinfo -T $s"
	if [ -n "$udf" ] && command -v udfinfo >/dev/null; then
		out=$(udfinfo --startblock="$s" --lastblock=$((end - 1)) "$img" 2>&1) ||
			fail "$m session $k: udfinfo: $out"
		echo "$out" | grep -i "warn\|error" | grep -v "Partition Space overlaps with other blocks" &&
			fail "$m session $k: udfinfo warns"
		[ "$(echo "$out" | sed -n 's/^numdirs=//p')" = "$(find "$want" -type d | wc -l)" ] ||
			fail "$m session $k: udfinfo numdirs: $out"
		[ "$(echo "$out" | sed -n 's/^numfiles=//p')" = "$(find "$want" ! -type d | wc -l)" ] ||
			fail "$m session $k: udfinfo numfiles: $out"
	fi
	# readers without a session option: on the disc itself where its head is the last
	# session (overwrite media), else on the view of the session
	case $m in
	dvd+rw | dvd-ram | bd-re) cp "$img" "$t/view.iso" || fail "copy" ;;
	*) view "$img" "$s" "$end" "$t/view.iso" ;;
	esac
	list="xorriso isoinfo-rr isoinfo-joliet bsdtar-joliet"
	# what each reader reaches (append.sh's readers): pycdlib reads no UDF 2.50 (BD) and
	# finds session 1's file set in a later IMAPI session; libudfread takes a 2.50 metadata
	# file to be one run
	[ "${m#bd}" = "$m" ] && [ -z "${no_pycdlib:-}" ] && list="$list pycdlib-rr pycdlib-joliet"
	[ -n "$udf" ] && { [ "${m#bd}" = "$m" ] || [ "$k" = 1 ]; } && list="$list udfread"
	[ -n "$udf" ] && [ "${m#bd}" = "$m" ] && [ "$k" = 1 ] && list="$list pycdlib-udf"
	for r in $list; do
		out=$(/usr/bin/python3 "$check" "$r" "$t/view.iso" "$want" 2>&1)
		case $? in
		0) ;;
		77) echo "note: $r skipped: $out" >&2 ;;
		*) fail "$m session $k: $out" ;;
		esac
	done
}

# three MEDIUM VDRIVE: the three commits through a mount of VDRIVE (a blank disc), each
# session read by others; the trees the sessions hold in $t/MEDIUM.wantK, their starts in
# $t/MEDIUM.starts ("START END")
three() {
	local m=$1 k
	"$BURNFS" vdrive create --media "$m" "$2" >/dev/null || fail "create $m"
	rm -rf "$stg" && start "$2"
	: >"$t/$m.starts"
	for k in 1 2 3; do
		change "$m" "$k"
		snap "$mnt" >"$t/snap$k"
		copy_tree "$mnt" "$t/$m.want$k"
		snap "$t/$m.want$k" | cmp -s - "$t/snap$k" || fail "$m $k: the copy of the mount differs"
		commit "$m" "$k"
		snap "$mnt" >"$t/after"
		diff "$t/snap$k" "$t/after" >&2 || fail "$m commit $k: the mount shows another tree after it"
		[ -z "$(find "$stg" -mindepth 1 -not -path "$stg/.burnfs*")" ] ||
			fail "$m commit $k: staged files left: $(ls -AR "$stg")"
		"$BURNFS" vdrive export "$2" -o "$2.iso" >/dev/null || fail "export"
		readers "$m" "$k" "$2.iso" "$t/$m.want$k"
		cat "$t/se$k" >>"$t/$m.starts"
		echo "$m session $k ($(cat "$t/se$k")): the mount's tree, as every reader reads it" >&2
	done
	stop
}

# stage_faulty: on $vd (one session, the mount's tree of commit 1), the changes of commits 2
# and 3 and a 10 MB file (the writing lasts) through a new mount; what it shows in $t/snapS,
# the staged files in $t/stgS, .burnfs/changes in $t/chS
stage_faulty() {
	rm -rf "$stg" && start "$vd"
	change faults 2
	change faults 3
	head -c 10000000 /dev/urandom >"$mnt/media/new.bin" || fail "new file"
	snap "$mnt" >"$t/snapS"
	snap "$stg" >"$t/stgS"
	cp "$mnt/.burnfs/changes" "$t/chS" || fail "changes"
	grep -q "^remove /docs/gone.txt" "$t/chS" && grep -q "^move " "$t/chS" || fail "changes: $(cat "$t/chS")"
}

# intact HOW: after a failed commit: session 1 as xorriso reads it, the staged files and
# .burnfs/changes as they were; then a new mount shows the same
intact() {
	local s
	read -r s _ < <(session 0)
	"$BURNFS" vdrive export "$vd" -o "$t/disc.iso" >/dev/null || fail "$1: export"
	rm -rf "$t/x"
	xorriso -osirrox on -hardlinks on -load sbsector "$s" -indev "$t/disc.iso" -extract / "$t/x" \
		>/dev/null 2>&1 || fail "$1: xorriso cannot extract session 1"
	snap "$t/x" | diff "$t/snap1" - >&2 || fail "$1: session 1 reads otherwise"
	chmod -R u+w "$t/x"
	snap "$stg" | diff "$t/stgS" - >&2 || fail "$1: the staged files changed"
	start "$vd"
	bad=
	case $1 in
	corrupt-read | kill-verify)
		# the session is on the disc: the changes are listed against it now (what it holds
		# already is no change), but they are the same disc's and stay committable
		grep "refused" "$mnt/.burnfs/changes" >&2 && bad=".burnfs/changes refused (above); "
		;;
	*) diff "$t/chS" "$mnt/.burnfs/changes" >&2 || bad=".burnfs/changes after the remount differs (above); " ;;
	esac
	snap "$mnt" | diff "$t/snapS" - >&2 || bad="${bad}the mount shows another tree after the remount (above)"
	[ -z "$bad" ] || fail "$1: $bad"
}

# retry HOW: the commit after the failure succeeds and its session, read by others, holds what
# the mount showed
retry() {
	local k
	"$BURNFS" vdrive fault "$vd" clear || fail "fault clear"
	"$BURNFS" commit "$mnt" --verify quick >"$t/out" 2>&1 || fail "$1: the retry: $(cat "$t/out")"
	k=$(st .disc.sessions)
	session -1 >"$t/se$k"
	cp "$t/snapS" "$t/snap$k"
	snap "$mnt" | diff "$t/snapS" - >&2 || fail "$1: the mount after the retry"
	copy_tree "$t/wantS" "$t/want$k"
	"$BURNFS" vdrive export "$vd" -o "$t/disc.iso" >/dev/null || fail "$1: export"
	readers dvd+r "$k" "$t/disc.iso" "$t/want$k"
	echo "$1: session 1 intact, staging and changes intact, the retry made session $k" >&2
}

# other_disc NAME S: the mount of $vd, a disc another writer made whose last session starts at
# S, shows that session as xorriso reads it; an add, a delete and a rename (of a file and of a
# directory where it has them) through the mount, committed, read by others (readers) and by
# the mount; then a second change and commit onto our session
other_disc() {
	local n=$1 s=$2 k f d
	k=$("$BURNFS" sessions --drive "vdrive:$vd" --json | jq '.sessions | length')
	"$BURNFS" vdrive export "$vd" -o "$t/disc.iso" >/dev/null || fail "$n: export"
	rm -rf "$t/x" && mkdir "$t/x"
	xorriso -osirrox on -hardlinks on -load sbsector "$s" -indev "$t/disc.iso" -extract / "$t/x" \
		>/dev/null 2>&1 || [ -z "$(xorriso -indev "$t/disc.iso" -load sbsector "$s" -find / 2>/dev/null | sed 1d)" ] ||
		fail "$n: xorriso -extract at $s"
	rm -rf "$stg" && start "$vd"
	# genisoimage's Rock Ridge (RRIP 1.10) has no inode numbers: xorriso takes the two names
	# of a hard link for two files, burnfs for one file (one extent, PX links 2); the
	# sessions burnfs writes carry the inode numbers, whose groups readers() compares
	snap "$t/x" | grep -v "^linked:" | diff - <(snap "$mnt" | grep -v "^linked:") >&2 ||
		fail "$n: the mount does not show the last session as xorriso reads it"
	chmod -R u+w "$t/x"
	for round in 1 2; do
		[ $round = 2 ] && { rm "$mnt/added-1/sub/new.txt" || fail "$n: rm of our file"; }
		f=$(cd "$mnt" && find . -path ./.burnfs -prune -o -type f -print | LC_ALL=C sort | head -1)
		d=$(cd "$mnt" && find . -mindepth 1 -path ./.burnfs -prune -o -type d -print | LC_ALL=C sort | tail -1)
		mkdir -p "$mnt/added-$round/sub" && echo "round $round" >"$mnt/added-$round/sub/new.txt" ||
			fail "$n: add"
		if [ -n "$f" ]; then
			mv "$mnt/$f" "$mnt/added-$round/" || fail "$n: mv $f"
		fi
		if [ -n "$d" ] && [ "$round" = 1 ]; then
			mv "$mnt/$d" "$mnt/added-$round/sub/" || fail "$n: mv $d"
		fi
		f=$(cd "$mnt" && find . -path ./.burnfs -prune -o -path ./added-$round -prune -o -type f -print | LC_ALL=C sort | head -1)
		if [ -n "$f" ]; then
			rm "$mnt/$f" || fail "$n: rm $f"
		fi
		k=$((k + 1))
		snap "$mnt" >"$t/snap$k"
		copy_tree "$mnt" "$t/want$k"
		"$BURNFS" commit "$mnt" --verify quick >"$t/out" 2>&1 || fail "$n: commit $round: $(cat "$t/out")"
		session -1 >"$t/se$k"
		snap "$mnt" | diff "$t/snap$k" - >&2 || fail "$n: the mount after commit $round"
		"$BURNFS" vdrive export "$vd" -o "$t/disc.iso" >/dev/null || fail "$n: export"
		readers "${3:-dvd+r}" "$k" "$t/disc.iso" "$t/want$k"
		echo "$n: commit $round ($(grep -o "with the disc's tree ([^)]*)" "$t/out")) read by others as the mount showed it" >&2
	done
	stop
}

case ${1:?case} in
cd-r | cd-rw | dvd-r | dvd-rw | dvd+r | dvd+r-dl | bd-r | dvd+rw | dvd-ram | bd-re)
	three "$1" "$vd"
	;;
others)
	# discs by xorriso and growisofs (through the vdrive shim), the multisession images of
	# tests/fixtures (their sessions empty). pycdlib is left out: it opens UDF whatever view
	# it is asked for, and takes the file set descriptor to be the partition's first block
	# (append.sh), which lies in the other writer's first session, with no UDF there
	no_pycdlib=1
	mkdir -p "$t/s1/dir/deep" "$t/s1/other" "$t/s2/later"
	echo one >"$t/s1/dir/one.txt" && ln "$t/s1/dir/one.txt" "$t/s1/other/one-link" &&
		ln -s ../dir/one.txt "$t/s1/other/sym" && echo deep >"$t/s1/dir/deep/f" &&
		head -c 300000 /dev/urandom >"$t/s1/other/data.bin" && echo two >"$t/s2/later/two.txt" ||
		fail "sources"
	n=0
	if [ -f "${BURNFS_SHIM:-}" ]; then
		# shellcheck source=tests/mmc/shim-lib.sh
		. "$here/../mmc/shim-lib.sh"
		shim_device
		unset SUDO_COMMAND # growisofs refuses to run under sudo
		vdrive dvd+r "$vd"
		shim "$vd" xorriso -dev "$dev" -map "$t/s1" / -commit >"$t/log" 2>&1 || fail "xorriso 1: $(tail -5 "$t/log")"
		shim "$vd" xorriso -dev "$dev" -map "$t/s2" /s2 -commit >"$t/log" 2>&1 || fail "xorriso 2: $(tail -5 "$t/log")"
		read -r s _ < <(session -1)
		other_disc "xorriso" "$s"
		n=$((n + 1))
		if command -v growisofs >/dev/null; then
			rm -rf "$vd" && vdrive dvd-r "$vd"
			shim "$vd" growisofs -Z "$dev" -R -J "$t/s1" >"$t/log" 2>&1 || fail "growisofs -Z: $(tail -5 "$t/log")"
			shim "$vd" growisofs -M "$dev" -R -J "$t/s2" >"$t/log" 2>&1 || fail "growisofs -M: $(tail -5 "$t/log")"
			read -r s _ < <(session -1)
			other_disc "growisofs" "$s" dvd-r
			n=$((n + 1))
		else
			echo "note: growisofs missing" >&2
		fi
	else
		echo "note: no vdrive shim (BURNFS_SHIM): no xorriso and growisofs discs" >&2
	fi
	for f in iso-multi-0-174-348-genisoimage udf-multi-0-417-834-genisoimage udf-multi-0-320-640-mkudffs; do
		xz -dc "$here/../fixtures/util-linux/$f.img.xz" >"$t/$f.img" || fail "unpack $f"
		rm -rf "$vd" && "$BURNFS" vdrive create --media dvd+r "$vd" >/dev/null || fail "create"
		"$BURNFS" vdrive import-image "$vd" "$t/$f.img" --sessions "$(echo "$f" | cut -d- -f3-5 | tr - ,)" \
			>/dev/null || fail "import $f"
		read -r s _ < <(session -1)
		other_disc "$f" "$s"
		n=$((n + 1))
	done
	echo "others: $n discs of other writers mounted, changed and committed" >&2
	;;
after-commit)
	# right after a commit (within the 5 s the kernel caches what it looked up) the files that
	# were staged are the disc's: a write, a chmod and a link through them take effect and
	# stay; a disc file's link count is the number of its names the mount shows (after rm
	# and ln of them), as the next session records it
	"$BURNFS" vdrive create --media bd-r "$vd" >/dev/null || fail "create"
	start "$vd"
	echo a >"$mnt/a" && ln "$mnt/a" "$mnt/b" && echo c >"$mnt/c" && echo d >"$mnt/d" || fail "stage"
	stat "$mnt/a" "$mnt/b" "$mnt/c" "$mnt/d" >/dev/null || fail "stat"
	commit after-commit 1
	bad=
	echo more >>"$mnt/a" || bad="$bad; the append to a: $?"
	chmod 0600 "$mnt/c" || bad="$bad; chmod of c"
	ln "$mnt/d" "$mnt/d2" 2>"$t/err" || bad="$bad; ln d d2: $(cat "$t/err")"
	sleep 6 # the kernel's cache gone: what the daemon holds
	[ "$(cat "$mnt/a")" = "$(printf 'a\nmore')" ] || bad="$bad; a holds '$(cat "$mnt/a")' (the append right after the commit lost)"
	[ "$(cat "$mnt/b")" = "$(printf 'a\nmore')" ] || bad="$bad; b, a's other name, holds '$(cat "$mnt/b")'"
	[ "$(stat -c %a "$mnt/c")" = 600 ] || bad="$bad; c has mode $(stat -c %a "$mnt/c") after chmod 600"
	[ -e "$mnt/d2" ] || bad="$bad; no d2"
	[ -z "$bad" ] || fail "right after the commit$bad"
	rm "$mnt/b" || fail "rm b"
	ln "$mnt/c" "$mnt/c2" && ln "$mnt/c" "$mnt/c3" || fail "ln c"
	sleep 6
	for f in a:1 c:3 d:2 d2:2; do
		[ "$(stat -c %h "$mnt/${f%:*}")" = "${f#*:}" ] ||
			bad="$bad; ${f%:*} has $(stat -c %h "$mnt/${f%:*}") links, the mount shows ${f#*:} names"
	done
	[ -z "$bad" ] || fail "link counts$bad"
	snap "$mnt" >"$t/snap2"
	copy_tree "$mnt" "$t/want2"
	commit after-commit 2
	"$BURNFS" vdrive export "$vd" -o "$t/disc.iso" >/dev/null || fail "export"
	readers bd-r 2 "$t/disc.iso" "$t/want2"
	;;
kernel)
	# every medium's three sessions, each mounted by Linux: write-once media at each session's
	# start (isofs sbsector=, udf session=); overwrite media hold the last session at their
	# head (mounted with no option) and each later one at its own start too
	xorriso_only=1
	: >"$t/spec"
	for m in cd-r cd-rw dvd-r dvd-rw dvd+r dvd+r-dl bd-r dvd+rw dvd-ram bd-re; do
		vd=$t/$m
		three "$m" "$vd"
		k=0
		while read -r s end; do
			k=$((k + 1))
			cp -al "$t/$m.want$k" "$t/want.$m.$k" || fail "want"
			case $m in
			dvd+rw | dvd-ram | bd-re)
				if [ $k = 3 ]; then
					echo "$m.$k.rr $t/$m.iso iso9660" >>"$t/spec"
					echo "$m.$k.udf $t/$m.iso udf" >>"$t/spec"
				fi
				[ $k = 1 ] && continue
				;;
			esac
			echo "$m.$k.rr $t/$m.iso iso9660 sbsector=$s" >>"$t/spec"
			case $m in cd*) ;; *) echo "$m.$k.udf $t/$m.iso udf session=$s,lastblock=$((end - 1))" >>"$t/spec" ;; esac
		done <"$t/$m.starts"
	done
	"$here/kernel-read-many.sh" "$t/spec" >"$t/klines"
	case $? in 0) ;; 77) exit 77 ;; *) fail "kernel-read-many" ;; esac
	n=0
	while read -r label img fs opts; do
		grep "^$label " "$t/klines" | cut -d' ' -f2- >"$t/k.$label"
		w=$t/want.${label%.*}
		if [ "${label##*.}" = udf ]; then # the manifest's directory is hidden in UDF (append.sh)
			rm -rf "$t/wudf" && cp -al "$w" "$t/wudf" && rm -rf "$t/wudf/.burnfs" || fail "want"
			w=$t/wudf
		fi
		out=$(/usr/bin/python3 "$check" "klines-${label##*.}" "$t/k.$label" "$w" 2>&1) ||
			fail "kernel $label ($fs ${opts:-at the head}): $out"
		n=$((n + 1))
	done <"$t/spec"
	echo "kernel: $n mounts of the mount's sessions read as the mount showed them" >&2
	;;
faults | faults-recorded)
	# a DVD+R with session 1 from the mount; each fault strikes the commit that appends.
	# faults-recorded: the faults after which the new session is on the disc (its verify
	# read other data; the daemon killed while verifying)
	case $1 in
	faults) list="write-error remove kill-write-saved kill-write-lost" ;;
	*) list="corrupt-read kill-verify" ;;
	esac
	"$BURNFS" vdrive create --media dvd+r "$vd" >/dev/null || fail "create"
	start "$vd"
	change faults 1
	snap "$mnt" >"$t/snap1"
	commit faults 1
	stop
	cp -a "$vd" "$t/vd-1" || fail "copy of the disc"
	for how in ${FAULTS:-$list}; do
		rm -rf "$vd" && cp -a "$t/vd-1" "$vd" || fail "$how: the one-session disc"
		case $how in kill-write-saved) every=256 ;; *) every=4096 ;; esac
		BURNFS_VDRIVE_COMMIT_BLOCKS=$every stage_faulty
		copy_tree "$mnt" "$t/wantS"
		nwa=$(st .disc.next_writable)
		case $how in
		kill-*)
			"$BURNFS" vdrive fault "$vd" slow:2 || fail fault
			"$BURNFS" commit "$mnt" >"$t/out" 2>&1 &
			cpid=$!
			if [ $how = kill-verify ]; then
				wait_for '.phase == "writing" and .bytes_done > 0'
				"$BURNFS" vdrive fault "$vd" stuck:28 || fail fault # the verify's READs stall
				for _ in $(seq 900); do
					grep -qx "tracks 2" "$vd/state" && grep -qx "status 2" "$vd/state" && break
					sleep 0.1
				done
				sleep 0.5
			else
				wait_for '.phase == "writing" and .bytes_done > 6000000'
			fi
			[ "$(st .state)" = committing ] || fail "$how: the commit ended: $(st .)"
			kill -9 "$daemon"
			wait "$daemon"
			daemon=
			if sanitizer_report; then exit 1; fi
			wait $cpid
			[ $? = 1 ] && grep -q "daemon stopped" "$t/out" || fail "$how: commit said: $(cat "$t/out")"
			fusermount3 -u -z "$mnt" || fail "$how: the dead mount"
			"$BURNFS" vdrive fault "$vd" clear || fail "fault clear"
			;;
		*)
			case $how in corrupt-read) at=$((nwa + 1000)) ;; *) at=$((nwa + 300)) ;; esac
			"$BURNFS" vdrive fault "$vd" "$how@$at" || fail "fault $how@$at"
			"$BURNFS" commit "$mnt" >"$t/out" 2>&1 && fail "$how@$at: the commit worked"
			grep -q "failed: " "$t/out" && grep -q "^remedy: " "$t/out" || fail "$how: unclear: $(cat "$t/out")"
			"$BURNFS" vdrive fault "$vd" clear || fail "fault clear"
			[ $how = remove ] && { "$BURNFS" vdrive load "$vd" >/dev/null || fail "load"; }
			stop
			;;
		esac
		intact "$how"
		case $how in remove | kill-write-saved) want=incomplete ;; *) want=appendable ;; esac
		[ "$(st .disc.status)" = $want ] || fail "$how: the disc is $(st .disc.status), not $want"
		if [ $want = incomplete ]; then
			# the disc holds an unfinished session (the blocks written before the medium went
			# or the drive recorded them): it takes no more, the commit says so
			"$BURNFS" commit "$mnt" >"$t/out" 2>&1 && fail "$how: a commit onto an incomplete session"
			grep -q "incomplete session" "$t/out" || fail "$how: the refusal: $(cat "$t/out")"
			snap "$stg" | diff "$t/stgS" - >&2 || fail "$how: the refused commit changed the staging"
		else
			retry "$how"
		fi
		stop
	done
	;;
*)
	echo "usage: mount.sh MEDIUM|kernel|others|after-commit|faults|faults-recorded" >&2
	exit 2
	;;
esac; exit 0 # one line with the case: bash has read it all before the case runs
