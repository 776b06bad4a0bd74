#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run burnfs's ISO reader (isols) over third-party images (tests/fixtures, see its README):
every image must give a listing or a clean error (exit 1 with a message), never a crash;
where xorriso (libisofs, independent) can extract an image, the listing must match its
extraction in paths, types, sizes and contents; hostile images must fail with the expected
message.

usage: fixtures.py ISOLS FIXTURES_DIR
"""
import hashlib
import lzma
import os
import shutil
import subprocess
import sys
import tempfile

# image -> words the error must contain (the reader must refuse these)
EXPECT_ERROR = {
    "test_read_format_iso_rockridge_ce_loop.iso": "CE loop",
    # zisofs block size 2^2 (2^15 to 2^17 exist); xorriso extracts the compressed bytes
    "test_read_format_iso_zisofs_overflow.iso": "zisofs block size 2^2",
    # a ZF entry of 5 bytes (16 in RRIP); xorriso cannot load the tree either
    "test_read_format_iso_rockridge_zf_overflow.iso": "ZF entry of 5 bytes",
}
# sessions to read besides the first: image -> [start blocks]
SESSIONS = {
    "iso-multi-0-174-348-genisoimage.img": [174, 348],
    "udf-multi-0-417-834-genisoimage.img": [417, 834],
}


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def unescape(b):
    out = bytearray()
    i = 0
    while i < len(b):
        if b[i:i + 2] == b"\\x":
            out.append(int(b[i + 2:i + 4], 16))
            i += 4
        else:
            out.append(b[i])
            i += 1
    return bytes(out)


def isols(exe, img, args):
    r = subprocess.run([exe] + args + [img], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got = {}
    if r.returncode == 0:
        for line in r.stdout.split(b"\n"):
            if line:
                t, mode, size, h, mtime, rest = line.split(b" ", 5)
                path = unescape(rest.partition(b" -> ")[0])
                got[path] = (t.decode(), size.decode() if t == b"f" else "-", h.decode())
    return r.returncode, r.stderr.decode(errors="replace").strip(), got


def xorriso_model(img, t):
    if not shutil.which("xorriso"):
        return None
    out = os.path.join(t, "x")
    r = subprocess.run(["xorriso", "-osirrox", "on", "-indev", img, "-extract", "/", out],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode or not os.path.isdir(out):
        return None
    m = {}
    root = os.fsencode(out)
    for dp, dns, fns in os.walk(root):
        for n in dns + fns:
            p = os.path.join(dp, n)
            rel = b"/" + os.path.relpath(p, root)
            if os.path.islink(p):
                m[rel] = ("l", "-", "-")
            elif os.path.isdir(p):
                m[rel] = ("d", "-", "-")
            else:
                m[rel] = ("f", str(os.path.getsize(p)), sha(p))
    return m


def main():
    exe, fixtures = sys.argv[1], sys.argv[2]
    if not os.path.isdir(fixtures):
        print("no fixtures at " + fixtures)
        return 77
    bad = []
    checked = 0
    with tempfile.TemporaryDirectory() as t:
        for sub in sorted(os.listdir(fixtures)):
            d = os.path.join(fixtures, sub)
            if not os.path.isdir(d):
                continue
            for f in sorted(os.listdir(d)):
                if not f.endswith(".xz"):
                    continue
                name = f[:-3]
                img = os.path.join(t, name)
                with lzma.open(os.path.join(d, f)) as src, open(img, "wb") as dst:
                    dst.write(src.read())
                for args in [[]] + [["--session", str(s)] for s in SESSIONS.get(name, [])]:
                    rc, err, got = isols(exe, img, args)
                    label = name + (" " + " ".join(args) if args else "")
                    checked += 1
                    if rc not in (0, 1) or "Sanitizer" in err or "runtime error" in err:
                        bad.append("%s: crashed (exit %d): %s" % (label, rc, err[-300:]))
                        continue
                    if rc == 1 and not err:
                        bad.append("%s: failed without a message" % label)
                        continue
                    if name in EXPECT_ERROR and not args:
                        if rc != 1 or EXPECT_ERROR[name] not in err:
                            bad.append("%s: expected an error about %r, got exit %d: %s"
                                       % (label, EXPECT_ERROR[name], rc, err))
                        continue
                    if rc == 1 and not args and xorriso_model(img, t):  # (UDF-only: {})
                        # (zisofs.iso was refused as "not supported" before zisofs)
                        bad.append("%s: refused, but xorriso extracts it: %s" % (label, err))
                    shutil.rmtree(os.path.join(t, "x"), ignore_errors=True)
                    if rc == 0 and not args:
                        want = xorriso_model(img, t)
                        shutil.rmtree(os.path.join(t, "x"), ignore_errors=True)
                        if want is not None and want != got:
                            miss = sorted(set(want) - set(got))[:5]
                            extra = sorted(set(got) - set(want))[:5]
                            diff = [p for p in set(want) & set(got) if want[p] != got[p]][:5]
                            bad.append("%s: differs from xorriso: missing %s, unexpected %s, "
                                       "different %s" % (label, miss, extra,
                                                         [(p, want[p], got[p]) for p in diff]))
                    print("%-60s exit %d %s" % (label, rc, err.splitlines()[-1][:90] if err else ""))
                os.unlink(img)
    for b in bad:
        print("FAIL " + b)
    print("%d readings, %d failures" % (checked, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
