#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# fsops.py OP ARGS: file-system operations the shell cannot do, for tests/fuse/fs.sh.
#   rename2 FLAGS OLD NEW     renameat2(2); FLAGS noreplace|exchange|whiteout|0; prints the
#                             errno name or OK
#   readdir-stable DIR        list DIR in small getdents64 batches while another thread adds
#                             and removes entries; no name twice, none of the stable ones missing
#   writers DIR               two threads write two files, and two threads one file at
#                             different offsets; contents checked
#   unlinked PATH             open, unlink, then write, read, fstat and ftruncate the file
#   enospc PATH BYTES         write BYTES in 1 MiB blocks; prints OK or the errno name and the
#                             bytes written
#   coherent PATH             a reader's cached pages see what a write-only handle (which the
#                             mount passes straight through) wrote; a read-write handle can
#                             still be mmap()ed shared and what it stores is read back
#   xattrs DIR                make one node of every type in DIR (file, directory, symlinks to
#                             a file and to nowhere, fifo, socket, character and block device)
#                             and print what each xattr call (get, set, list, remove, in the
#                             user, trusted and security namespaces, through the link and not)
#                             answers on each: the same lines on a native directory and a mount
import ctypes
import errno
import mmap
import os
import sys
import threading

libc = ctypes.CDLL(None, use_errno=True)


def rename2(flags, old, new):
    f = {"0": 0, "noreplace": 1, "exchange": 2, "whiteout": 4}[flags]
    AT_FDCWD = -100
    r = libc.renameat2(AT_FDCWD, old.encode(), AT_FDCWD, new.encode(), f)
    print("OK" if r == 0 else errno.errorcode[ctypes.get_errno()])


def getdents_names(fd, bufsize):
    """One getdents64 call: the names it returned (None at the end)."""
    SYS_getdents64 = 217
    buf = ctypes.create_string_buffer(bufsize)
    n = libc.syscall(SYS_getdents64, fd, buf, bufsize)
    if n < 0:
        raise OSError(ctypes.get_errno(), "getdents64")
    if n == 0:
        return None
    names, pos = [], 0
    raw = buf.raw
    while pos < n:
        reclen = int.from_bytes(raw[pos + 16:pos + 18], "little")
        name = raw[pos + 19:pos + reclen].split(b"\0", 1)[0].decode()
        names.append(name)
        pos += reclen
    return names


def readdir_stable(d):
    stable = set()
    for i in range(300):
        name = "stable-%03d" % i
        open(os.path.join(d, name), "w").close()
        stable.add(name)
    stop = threading.Event()
    errors = []

    def churn():
        k = 0
        while not stop.is_set():
            p = os.path.join(d, "churn-%d" % (k % 200))
            try:
                if k // 200 % 2 == 0:
                    open(p, "w").close()
                else:
                    os.unlink(p)
            except OSError as e:
                errors.append(e)
                return
            k += 1

    t = threading.Thread(target=churn)
    t.start()
    try:
        for rnd in range(20):
            fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
            seen = []
            while True:
                # small batches: the listing resumes from an offset many times
                names = getdents_names(fd, 512)
                if names is None:
                    break
                seen.extend(names)
            os.close(fd)
            dup = {n for n in seen if seen.count(n) > 1}
            if dup:
                print("round %d: returned twice: %s" % (rnd, sorted(dup)[:5]))
                return 1
            missing = stable - set(seen)
            if missing:
                print("round %d: skipped: %s" % (rnd, sorted(missing)[:5]))
                return 1
    finally:
        stop.set()
        t.join()
    if errors:
        print("churn failed: %s" % errors[0])
        return 1
    print("OK")
    return 0


def writers(d):
    size = 8 << 20
    pat = [bytes([65 + i]) * 65536 for i in range(4)]

    def whole(path, p):
        with open(path, "wb") as f:
            for _ in range(size // len(p)):
                f.write(p)

    def part(path, p, start):
        fd = os.open(path, os.O_WRONLY)
        for k in range(size // 2 // len(p)):
            os.pwrite(fd, p, start + k * len(p))
        os.close(fd)

    ts = [threading.Thread(target=whole, args=(os.path.join(d, "w%d" % i), pat[i])) for i in (0, 1)]
    one = os.path.join(d, "shared")
    with open(one, "wb") as f:
        f.truncate(size)
    ts += [threading.Thread(target=part, args=(one, pat[2 + i], i * size // 2)) for i in (0, 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for i in (0, 1):
        with open(os.path.join(d, "w%d" % i), "rb") as f:
            if f.read() != pat[i] * (size // len(pat[i])):
                print("w%d differs" % i)
                return 1
    with open(one, "rb") as f:
        data = f.read()
    half = size // 2
    if data[:half] != pat[2] * (half // 65536) or data[half:] != pat[3] * (half // 65536):
        print("shared differs")
        return 1
    print("OK")
    return 0


def unlinked(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    os.write(fd, b"before\n")
    os.unlink(path)
    if os.path.exists(path):
        print("still there")
        return 1
    os.write(fd, b"after\n")
    if os.pread(fd, 100, 0) != b"before\nafter\n":
        print("read back differs")
        return 1
    st = os.fstat(fd)
    if st.st_size != 13 or st.st_nlink != 0:
        print("fstat: size %d nlink %d" % (st.st_size, st.st_nlink))
        return 1
    os.ftruncate(fd, 3)
    if os.pread(fd, 100, 0) != b"bef":
        print("ftruncate")
        return 1
    os.close(fd)
    print("OK")
    return 0


def enospc(path, total):
    total = int(total)
    block = b"\xa5" * (1 << 20)
    done = 0
    with open(path, "wb", buffering=0) as f:
        try:
            while done < total:
                done += f.write(block[:min(len(block), total - done)])
            os.fsync(f.fileno())
        except OSError as e:
            print("%s %d" % (errno.errorcode[e.errno], done))
            return 0
    print("OK %d" % done)
    return 0


def coherent(path):
    with open(path, "wb") as f:
        f.write(b"a" * 8192)
    r = os.open(path, os.O_RDONLY)
    if os.pread(r, 8192, 0) != b"a" * 8192:
        print("first read")
        return 1
    w = os.open(path, os.O_WRONLY)
    os.pwrite(w, b"b" * 4096, 0)
    os.close(w)
    if os.pread(r, 8192, 0) != b"b" * 4096 + b"a" * 4096:
        print("stale after a write-only handle wrote")
        return 1
    fd = os.open(path, os.O_RDWR)
    m = mmap.mmap(fd, 8192, mmap.MAP_SHARED)
    m[0:3] = b"xyz"
    m.flush()
    m.close()
    os.close(fd)
    if os.pread(r, 3, 0) != b"xyz":
        print("the mmap()ed store is not read back")
        return 1
    os.close(r)
    with open(path, "rb") as f:
        if f.read() != b"xyz" + b"b" * 4093 + b"a" * 4096:
            print("content")
            return 1
    print("OK")
    return 0


def make_nodes(d):
    """One node of every type in d; returns their names."""
    import socket

    with open(os.path.join(d, "file"), "w") as f:
        f.write("x")
    os.mkdir(os.path.join(d, "dir"))
    os.symlink("file", os.path.join(d, "link-file"))
    os.symlink("nowhere", os.path.join(d, "link-none"))
    os.mkfifo(os.path.join(d, "fifo"))
    s = socket.socket(socket.AF_UNIX)
    s.bind(os.path.join(d, "sock"))
    s.close()
    os.mknod(os.path.join(d, "chr"), 0o644 | 0o020000, os.makedev(1, 3))
    os.mknod(os.path.join(d, "blk"), 0o644 | 0o060000, os.makedev(7, 0))
    return ["file", "dir", "link-file", "link-none", "fifo", "sock", "chr", "blk"]


def xattr_calls(path, ns, follow):
    """What each xattr call answers on path: one word per call."""

    def run(f, *a, **kw):
        try:
            r = f(*a, follow_symlinks=follow, **kw)
        except OSError as e:
            return errno.errorcode[e.errno]
        if isinstance(r, list):
            return "[" + ",".join(sorted(x for x in r if x.startswith(ns))) + "]"
        return "OK" if r is None else repr(r)

    k = ns + "burnfs"
    return [
        run(os.getxattr, path, k),
        run(os.removexattr, path, k),
        run(os.setxattr, path, k, b"v1"),
        run(os.setxattr, path, k, b"v2", os.XATTR_CREATE),
        run(os.setxattr, path, k, b"v3", os.XATTR_REPLACE),
        run(os.getxattr, path, k),
        run(os.listxattr, path),
        run(os.removexattr, path, k),
        run(os.getxattr, path, k),
        run(os.setxattr, path, ns + "other", b"", os.XATTR_REPLACE),
        run(os.listxattr, path),
    ]


def xattrs(d):
    for n in make_nodes(d):
        for ns in ("user.", "trusted.", "security."):
            for follow in (False, True):
                res = xattr_calls(os.path.join(d, n), ns, follow)
                print(n, ns, "follow" if follow else "nofollow", " ".join(res))


def main():
    op = sys.argv[1]
    if op == "rename2":
        rename2(*sys.argv[2:5])
        return 0
    if op == "readdir-stable":
        return readdir_stable(sys.argv[2])
    if op == "writers":
        return writers(sys.argv[2])
    if op == "unlinked":
        return unlinked(sys.argv[2])
    if op == "enospc":
        return enospc(sys.argv[2], sys.argv[3])
    if op == "coherent":
        return coherent(sys.argv[2])
    if op == "xattrs":
        return xattrs(sys.argv[2])
    print("unknown op %s" % op)
    return 2


sys.exit(main())
