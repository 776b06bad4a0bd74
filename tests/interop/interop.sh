#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# interop.sh VARIANT READER: build (once, shared between tests) the torture tree and the
# image VARIANT with the built burnfs, then check it with READER (check.py).
#	dvd      DVD defaults: ISO 9660 level 2 + Joliet + Rock Ridge + UDF 1.02
#	udf201   the same with UDF 2.01
#	bd       BD defaults: UDF 2.50 (metadata partition + mirror) + ISO level 3
#	nosym    DVD defaults on the tree without symlinks and FIFOs (7-Zip refuses those)
#	nosymbd  BD defaults on the same
#	reloc    DVD defaults with --rr-relocate (Rock Ridge CL/PL/RE instead of deep paths)
#	kdvd, kudf201, kbd, kreloc  dvd, udf201, bd and reloc on the tree with a 20-entry
#	         instead of a 10,000-entry directory, for the Linux kernel in QEMU (TCG is slow)
set -eu
variant=$1 reader=$2
here=$(cd "$(dirname "$0")" && pwd)
: "${BURNFS:?}" "${BURNFS_BUILD:?}"
data=$BURNFS_BUILD/interop-data
mkdir -p "$data"
export SOURCE_DATE_EPOCH=1700000000

case $variant in
nosym*) tree=$data/tree-nosym treeargs=--no-symlinks ;;
k*) tree=$data/tree-narrow treeargs=--no-wide ;;
*) tree=$data/tree treeargs= ;;
esac
case $variant in
dvd | nosym | kdvd) args="--media dvd" ;;
reloc | kreloc) args="--media dvd --rr-relocate" ;;
udf201 | kudf201) args="--media dvd --udf-rev 2.01" ;;
bd | nosymbd | kbd) args="--media bd" ;;
*) echo "unknown variant $variant" >&2; exit 2 ;;
esac
img=$data/$variant.iso

# the tree is shared by several variants (their tests run in parallel): its own lock
(
	flock 8
	if [ ! -d "$tree" ]; then
		rm -rf "$tree.tmp"
		/usr/bin/python3 "$here/mktree.py" "$tree.tmp" $treeargs
		mv "$tree.tmp" "$tree"
	fi
) 8>"$tree.lock"
(
	flock 9
	if [ ! -f "$img" ] || [ "$BURNFS" -nt "$img" ]; then
		# shellcheck disable=SC2086
		"$BURNFS" image -q --no-manifest $args "$tree" -o "$img"
	fi
) 9>"$data/.lock-$variant"

case $variant in
*reloc) extra=--reloc ;;
*) extra= ;;
esac
# shellcheck disable=SC2086
exec /usr/bin/python3 "$here/check.py" "$reader" "$img" "$tree" $extra
