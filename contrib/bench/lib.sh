# SPDX-License-Identifier: LGPL-2.1-or-later
# contrib/bench/lib.sh: what the benchmarks share; sourced by staging.sh, image.sh,
# append.sh and mount.sh.
# shellcheck shell=bash

# small_files DIR [COUNT]: COUNT files (default 100,000) of 0-8 KiB of random data in 1,400
# directories DIR/dNN/eNN, 72 to a directory (the rest, if any, in d00/e00); the names and
# sizes are the same on every run. Made in DIR.tmp, then renamed to DIR.
small_files() {
	/usr/bin/python3 - "$1.tmp" "${2:-100000}" <<'PY'
import os, random, sys
r = random.Random(7)
root = sys.argv[1]
count = int(sys.argv[2])
n = 0
for a in range(35):
    for b in range(40):
        d = os.path.join(root, "d%02d" % a, "e%02d" % b)
        os.makedirs(d)
        for i in range(72):
            if n >= count:
                break
            with open(os.path.join(d, "f%03d.dat" % i), "wb") as f:
                f.write(os.urandom(r.randint(0, 8192)))
            n += 1
while n < count:
    with open(os.path.join(root, "d00", "e00", "x%06d" % n), "wb") as f:
        f.write(os.urandom(r.randint(0, 8192)))
    n += 1
PY
	mv "$1.tmp" "$1"
}

# tiny_files DIR: append.sh's tree of 100,000 files of a few bytes ("D/F\n") in 1,000
# directories DIR/d000..d999 of 100 (f00.txt..f99.txt), shared by append.sh and mount.sh
# (made once: nothing when DIR is there). Made in DIR.tmp, then renamed to DIR.
tiny_files() {
	[ -d "$1" ] && return 0
	echo "generating 100,000 files of a few bytes in 1,000 directories..." >&2
	/usr/bin/python3 - "$1.tmp" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(1000):
    p = os.path.join(root, "d%03d" % d)
    os.makedirs(p)
    for f in range(100):
        with open(os.path.join(p, "f%02d.txt" % f), "w") as fh:
            fh.write("%d/%d\n" % (d, f))
PY
	mv "$1.tmp" "$1"
}
