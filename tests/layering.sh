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
# PENDING lists the files that still reach below the engine (their move behind engine
# functions is issue 12 §0, not done yet); each must still violate the rule (a listed file
# that no longer does fails the check, so the list only shrinks), and no other file may.
# `layering.sh --plant` copies the tree, plants a bad include in a file that is not pending
# and checks that the check fails on it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=${1:-${BURNFS_SRC:-$here/..}}

PENDING="cli/default-drive.c cli/drives.c cli/vdrive.c"

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

# check ROOT: one line per include that breaks the direction; exit 1 if any (or a stale
# PENDING entry)
check() {
	local r=$1 bad=0 f mod inc pre ok a
	declare -A seen=()
	cd "$r" || exit 2
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
	done < <(find common iso9660 udf mmc engine fuse cli -name '*.[ch]' | sort)
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
	exit 0
fi
check "$root"
