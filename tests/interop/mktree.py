#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Generate the torture tree the interop tests image and compare against.

usage: mktree.py DIR [--no-symlinks] [--big]

Holds Unicode and 255-byte names, names differing only in case, ISO-illegal characters,
invalid UTF-8 bytes, a 12-level deep directory, a 10,000-entry directory, empty files and
directories, symlinks (relative, absolute, dangling, long), hard links, files of
2047/2048/2049 bytes, mtimes before 1970 and after 2038, modes with setuid and 0600.
--big adds sparse files of exactly 1 GiB, 4 GiB and 4.5 GiB with marker bytes.
--no-symlinks leaves symlinks and FIFOs out (7-Zip refuses UDF volumes holding them).
--no-wide makes the 10,000-entry directory a 20-entry one (for the slow QEMU reader).
"""
import os
import random
import sys

GiB = 1 << 30


def wfile(path, data, mode=0o644, mtime=None):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    if mtime is not None:
        os.utime(path, (mtime, mtime), follow_symlinks=False)


def main():
    args = sys.argv[1:]
    root = os.fsencode(args[0])
    symlinks = "--no-symlinks" not in args
    wide = "--no-wide" not in args
    big = "--big" in args
    rnd = random.Random(1234)
    os.makedirs(root, exist_ok=True)
    j = lambda *p: os.path.join(root, *[os.fsencode(x) if isinstance(x, str) else x for x in p])

    if big:
        for name, size in (("sparse_1g", GiB), ("sparse_4g", 4 * GiB), ("sparse_4g5", 4 * GiB + GiB // 2)):
            with open(j(name), "wb") as f:
                f.truncate(size)
                for off in (0, size // 2, 4 * GiB - 3 if size > 4 * GiB else size - 7, size - 5):
                    f.seek(off)
                    f.write(b"MARK%d" % (off % 10))
                f.truncate(size)
            os.chmod(j(name), 0o644)
            os.utime(j(name), (1700000000, 1700000000))
        return

    # names
    os.makedirs(j("names"))
    wfile(j("names", "Grüße_日本語_файл.txt"), b"unicode\n")
    wfile(j("names", "emoji_\U0001F600.txt"), b"astral\n")
    wfile(j("names", "L" * 255), b"long ascii\n")
    wfile(j("names", "é" * 127 + "x"), b"long latin1\n")  # 255 bytes of UTF-8
    wfile(j("names", "日" * 85), b"long cjk\n")  # 255 bytes of UTF-8
    wfile(j("names", "Case"), b"upper\n")
    wfile(j("names", "case"), b"lower\n")
    wfile(j("names", "CASE.TXT"), b"upper ext\n")
    wfile(j("names", "a;b*c?d:e\\f<g>h|i"), b"illegal\n")
    wfile(j("names", ". leading dot and spaces "), b"dots\n")
    wfile(j("names", "multi.dot.tar.gz"), b"multidot\n")
    wfile(j("names", b"bad\xffutf8\xfe"), b"invalid utf-8\n")
    wfile(j("names", "x" * 70 + ".txt"), b"joliet cut\n")
    wfile(j("names", "x" * 70 + ".dat"), b"joliet cut 2\n")

    # sizes and modes
    os.makedirs(j("sizes"))
    for n in (0, 1, 2047, 2048, 2049, 65536 + 17):
        wfile(j("sizes", "f%d" % n), bytes(rnd.getrandbits(8) for _ in range(n)))
    os.makedirs(j("sizes", "emptydir"))
    os.makedirs(j("modes"))
    wfile(j("modes", "setuid"), b"#!/bin/sh\n", 0o4755)
    wfile(j("modes", "setgid"), b"g\n", 0o2750)
    wfile(j("modes", "private"), b"secret\n", 0o600)
    wfile(j("modes", "readonly"), b"ro\n", 0o444)
    os.makedirs(j("modes", "sticky"))
    os.chmod(j("modes", "sticky"), 0o1777)

    # times
    os.makedirs(j("times"))
    wfile(j("times", "y1960"), b"old\n", mtime=-315619200)  # 1960-01-01
    wfile(j("times", "y1970"), b"epoch\n", mtime=0)
    wfile(j("times", "y2040"), b"future\n", mtime=2208988800)  # 2040-01-01
    wfile(j("times", "y2100"), b"far future\n", mtime=4102444800)  # 2100-01-01

    # deep
    d = j("deep")
    for i in range(12):
        d = os.path.join(d, b"level%02d" % i)
    os.makedirs(d)
    wfile(os.path.join(d, b"bottom.txt"), b"12 levels down\n")

    # wide
    os.makedirs(j("wide"))
    for i in range(10000 if wide else 20):
        wfile(j("wide", "entry%05d" % i), b"")

    # links
    os.makedirs(j("links"))
    wfile(j("links", "target"), b"hard link target\n")
    os.link(j("links", "target"), j("links", "hard1"))
    os.link(j("links", "target"), j("links", "hard2"))
    if symlinks:
        os.symlink(b"target", j("links", "rel"))
        os.symlink(b"../names/Case", j("links", "up"))
        os.symlink(b"/etc/hostname", j("links", "abs"))
        os.symlink(b"does/not/exist", j("links", "dangling"))
        os.symlink(b"./a/../b/" + b"c" * 300, j("links", "longtarget"))
        os.symlink(b"../deep", j("links", "dirlink"))
        os.mkfifo(j("links", "fifo"))

    # fixed mtimes on directories last (creating entries changes them)
    for dp, dn, fn in os.walk(root, topdown=False):
        os.utime(dp, (1600000000, 1600000000))
    os.utime(root, (1600000000, 1600000000))


if __name__ == "__main__":
    main()
