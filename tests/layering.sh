#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# layering.sh [ROOT]: the dependency direction of ARCHITECTURE.md, checked on every #include
# of the modules' sources:
#
#	common <- iso9660, udf, mmc (with mmc/vdrive) <- engine <- fuse <- cli
#
# A file may include headers of its own module and of the modules below it only; fuse/ and
# cli/ use engine/ and common/, never mmc/, vdrive/, iso9660/ or udf/. A module's own
# headers are included by name ("fs.h") or as "module/name.h".
#
# The engine's headers show the MMC layer's types to fuse/ and cli/ (engine/burn.h passes a
# struct mmc_drive and a struct mmc_media; their enum's MMC_DISC_* states come with them), so
# an include of engine/ brings mmc/mmc.h along: fuse/ and cli/ must also name none of the
# functions, macros, typedefs and variables the headers of mmc/ and vdrive/ declare
# (mmc_read(), _cleanup_(mmc_drive_closep), VDRIVE_TRACKS_MAX...): they go through the
# engine (engine/drive.h, engine/sessions.h). Comments and strings are left out.
#
# PENDING lists the files that still reach below the engine; each must still violate the
# rule (a listed file that no longer does fails the check, so the list only shrinks), and no
# other file may. Empty since issue 12 §0 moved the last ones behind engine functions.
# `layering.sh --plant` copies the tree, plants a bad include in a file that is not pending
# and checks that the check fails on it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=${1:-${BURNFS_SRC:-$here/..}}

PENDING=""

# allowed MODULE: the include prefixes a module may use
allowed() {
	case $1 in
	common) echo "common" ;;
	iso9660) echo "common iso9660" ;;
	udf) echo "common udf" ;;
	mmc) echo "common mmc vdrive" ;;
	engine) echo "common iso9660 udf mmc vdrive engine" ;;
	fuse) echo "common engine" ;;
	cli) echo "common engine" ;;
	esac
}

# perl: FILE's text without comments and strings (line numbers kept)
# shellcheck disable=SC2016 # perl's $1, not the shell's
STRIP='s{/\*(.*?)\*/}{"\n" x ($1 =~ tr/\n//)}gse; s{//[^\n]*}{}g; s{"(?:[^"\\\n]|\\.)*"}{""}g;'

# below_names ROOT: the names the headers of mmc/ and vdrive/ declare, other than their
# struct and enum types, one per line
below_names() {
	# shellcheck disable=SC2016 # perl's $1
	find "$1/mmc" -path '*/include/*' -name '*.h' -print0 | xargs -0 perl -0ne "$STRIP"'
		print "$1\n" while /\b((?:mmc|vdrive)_\w+)\s*\(/g;	# functions
		print "$1p\n" while /BFS_DEFINE_FREEP\([^,]*,\s*(\w+)\)/g;	# their _cleanup_
		print "$1\n" while /\(\s*\*\s*(\w+)\s*\)\s*\(/g;	# function typedefs
		print "$1\n" while /^[ \t]*#[ \t]*define[ \t]+((?:MMC|VDRIVE)_\w+)/mg;
		print "$1\n" while /^extern\b[^;]*?(\w+)\s*(?:\[\s*\])?\s*;/mg;' | sort -u
}

# names_used FILE NAMEFILE: "LINE NAME" for each use in FILE of a name listed in NAMEFILE
names_used() {
	perl -0e 'open(my $h, "<", $ARGV[1]) or die; my %n = map { $_ => 1 } split /\n/, <$h>;
		open(my $f, "<", $ARGV[0]) or die; local $_ = <$f>; '"$STRIP"'
		my $i = 0;
		for my $l (split /\n/, $_, -1) {
			$i++;
			while ($l =~ /(?<![\w])(?<!struct )(?<!enum )(\w+)/g) {
				print "$i $1\n" if $n{$1};
			}
		}' "$1" "$2"
}

# check ROOT: one line per include (or name, above) that breaks the direction; exit 1 if any
# (or a stale PENDING entry)
check() {
	local r=$1 bad=0 f mod inc pre ok a line name names
	declare -A seen=()
	cd "$r" || exit 2
	names=$(mktemp "${TMPDIR:-/tmp}/burnfs-layering-names.XXXXXX")
	below_names . >"$names"
	while IFS= read -r f; do
		mod=${f%%/*}
		while IFS= read -r inc; do
			pre=${inc%%/*}
			case $pre in common | iso9660 | udf | mmc | vdrive | engine) ;; *) continue ;; esac
			ok=
			for a in $(allowed "$mod"); do [ "$a" = "$pre" ] && ok=1; done
			[ -n "$ok" ] && continue
			seen[$f]=1
			case " $PENDING " in *" $f "*) continue ;; esac
			echo "layering: $f includes \"$inc\": $mod/ may use $(allowed "$mod" | sed 's/ /, /g') only"
			bad=1
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
		case $mod in fuse | cli) ;; *) continue ;; esac
		while read -r line name; do
			seen[$f]=1
			case " $PENDING " in *" $f "*) continue ;; esac
			echo "layering: $f:$line uses $name of the MMC layer: $mod/ reaches the drive through the engine (engine/drive.h, engine/sessions.h)"
			bad=1
		done < <(names_used "$f" "$names")
	done < <(find common iso9660 udf mmc engine fuse cli -name '*.[ch]' | sort)
	rm -f "$names"
	for f in $PENDING; do
		[ -n "${seen[$f]:-}" ] && continue
		echo "layering: $f is listed as pending but no longer reaches below the engine: take it off PENDING in tests/layering.sh"
		bad=1
	done
	return $bad
}

if [ "${1:-}" = --plant ]; then
	t=$(mktemp -d "${TMPDIR:-/tmp}/burnfs-layering.XXXXXX")
	trap 'rm -rf "$t"' EXIT
	src=${BURNFS_SRC:-$here/..}
	cp -r "$src/common" "$src/iso9660" "$src/udf" "$src/mmc" "$src/engine" "$src/fuse" "$src/cli" "$t/"
	# the clean copy passes, then each planted include fails it
	out=$(check "$t") || { echo "FAIL: the clean copy does not pass: $out" >&2; exit 1; }
	for plant in 'cli/mount.c:mmc/mmc.h' 'fuse/src/fs.h:iso9660/reader.h' 'iso9660/src/reader.c:udf/writer.h' 'common/src/diag.c:engine/image.h'; do
		f=${plant%%:*} h=${plant#*:}
		cp "$src/$f" "$t/$f"
		sed -i "0,/^#include/s||#include \"$h\"\n#include|" "$t/$f"
		out=$(check "$t") && { echo "FAIL: a planted #include \"$h\" in $f passed" >&2; exit 1; }
		echo "$out" | grep -q "^layering: $f includes \"$h\"" || { echo "FAIL: planted $h in $f: $out" >&2; exit 1; }
		cp "$src/$f" "$t/$f"
	done
	# a function, a _cleanup_, a macro and a typedef of the MMC layer named in fuse/ or cli/
	for plant in 'cli/ls.c:mmc_eject:static int planted(void) { return mmc_eject(NULL, NULL); }' \
		'fuse/src/fs.c:mmc_drive_closep:static void planted(void) { _cleanup_(mmc_drive_closep) struct mmc_drive *d = NULL; }' \
		'cli/mount.c:VDRIVE_TRACKS_MAX:static unsigned planted[VDRIVE_TRACKS_MAX];' \
		'fuse/src/job.c:mmc_poll_fn:static mmc_poll_fn planted;'; do
		f=${plant%%:*} rest=${plant#*:}
		name=${rest%%:*} code=${rest#*:}
		echo "$code" >>"$t/$f"
		out=$(check "$t") && { echo "FAIL: $name planted in $f passed" >&2; exit 1; }
		echo "$out" | grep -q "^layering: $f:[0-9]* uses $name of the MMC layer" || { echo "FAIL: planted $name in $f: $out" >&2; exit 1; }
		cp "$src/$f" "$t/$f"
	done
	# ...but its types, and its names in comments and strings, pass
	printf '%s\n' '/* mmc_read() and VDRIVE_TRACKS_MAX */' 'static const char *planted = "mmc_eject(";' \
		'static void planted2(struct mmc_media *m, enum mmc_disc_status s) { (void)m; (void)s; }' >>"$t/cli/ls.c"
	out=$(check "$t") || { echo "FAIL: types, comments or strings of the MMC layer refused: $out" >&2; exit 1; }
	exit 0
fi
check "$root"
