#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compare what an independent reader sees in an image with the source tree.

usage: check.py READER IMAGE SRC [--no-mtime] [--reloc] [--overlap-ok]

READER: xorriso (Rock Ridge extraction), bsdtar-joliet (bsdtar with Rock Ridge off),
isoinfo-rr, isoinfo-joliet, pycdlib-iso, pycdlib-joliet, pycdlib-rr, pycdlib-udf,
7z-udf (extraction + 7z t), udfread (tests' libudfread lister), udfinfo,
kernel-rr, kernel-joliet, kernel-udf (Linux isofs/udf in a QEMU guest),
klines-rr, klines-joliet, klines-udf (IMAGE: the kernel's listing from kernel-read-many.sh),
burnfs-rr, burnfs-joliet (burnfs's own reader: tests the reader, proves nothing about the
writer).

Exit 0 when everything the reader can express matches, 1 with a list of differences,
77 when the reader is not installed. What each reader cannot express (e.g. Joliet has no
modes, 7-Zip no symlinks) is documented next to its check below.
"""
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def source_model(src):
    """path (bytes, '/'-rooted) -> dict(type, mode, size, mtime, sha, target)"""
    m = {}
    src = os.fsencode(src)
    for dp, dns, fns in os.walk(src):
        for n in dns + fns:
            p = os.path.join(dp, n)
            st = os.lstat(p)
            rel = b"/" + os.path.relpath(p, src)
            e = {"mode": stat.S_IMODE(st.st_mode), "mtime": int(st.st_mtime)}
            if stat.S_ISDIR(st.st_mode):
                e["type"] = "d"
            elif stat.S_ISLNK(st.st_mode):
                e["type"] = "l"
                e["target"] = os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                e["type"] = "f"
                e["size"] = st.st_size
                e["sha"] = sha(p)
            else:
                e["type"] = "p" if stat.S_ISFIFO(st.st_mode) else "s"
            m[rel] = e
        dns[:] = [d for d in dns if not os.path.islink(os.path.join(dp, d))]
    return m


def tree_model(root):
    """The same model from an extracted tree."""
    return source_model(root)


# ---- expected names per file system ------------------------------------------------

def udf_component(raw):
    s = raw.decode("utf-8", "replace")
    if all(ord(c) <= 0xFF for c in s):
        return s[:254]
    out, units = "", 0
    for c in s:
        u = 2 if ord(c) > 0xFFFF else 1
        if units + u > 127:
            break
        out += c
        units += u
    return out


def map_path(p, fn):
    return b"/".join(fn(c) if c else c for c in p.split(b"/"))


def udf_path(p):
    return map_path(p, lambda c: udf_component(c).encode("utf-8", "surrogateescape"))


JOLIET_BAD = set('*/:;?\\')


def joliet_clean(p):
    for c in p.split(b"/")[1:]:
        try:
            s = c.decode("utf-8")
        except UnicodeDecodeError:
            return False
        if len(s) > 64 or any(ord(ch) > 0xFFFF or ord(ch) < 0x20 or ch in JOLIET_BAD for ch in s):
            return False
    return True


def joliet_collisions(model):
    """Paths whose Joliet name gets a suffix: case-insensitive clash with an earlier
    sibling (byte order), as the writer resolves them."""
    seen, out = set(), set()
    for p in sorted(model):
        d, _, n = p.rpartition(b"/")
        k = (d, n.upper())
        if model[p]["type"] not in "df":
            continue
        if k in seen:
            out.add(p)
        seen.add(k)
    return out


RELOC = False  # --reloc: the image relocates deep directories (burnfs image --rr-relocate)


def expect(model, fs):
    """The entries fs can record, under the names it records them."""
    out = {}
    if RELOC and fs not in ("joliet", "udf"):
        # the relocation directory: hidden flag set, shown empty by Rock Ridge readers
        # (its entries carry RE), as libisofs, Linux and pycdlib show genisoimage's rr_moved
        out[b"/.rr_moved"] = {"type": "d", "mode": 0o555, "mtime": 0}
    for p, e in model.items():
        if fs == "joliet":
            if e["type"] not in "df":
                continue
            out[p] = e
        elif fs == "udf":
            if e["type"] in "cb":
                continue
            out[udf_path(p)] = e
        else:
            out[p] = e
    return out


# ---- comparison ------------------------------------------------------------------------

class Report:
    def __init__(self, name):
        self.name = name
        self.errors = []

    def err(self, msg):
        self.errors.append(msg)

    def done(self):
        if self.errors:
            print("%s: %d differences" % (self.name, len(self.errors)))
            for e in self.errors[:40]:
                print("  " + e)
            return 1
        print("%s: ok" % self.name)
        return 0


def show(p):
    return p.decode("utf-8", "backslashreplace") if isinstance(p, bytes) else str(p)


def compare(rep, want, got, fields, joliet=False, mtime_max=None):
    if joliet:
        # Joliet maps unclean names; exact names are required for clean ones, and the
        # file count and contents must match overall.
        clash = joliet_collisions(want)
        wc = {p: e for p, e in want.items()
              if joliet_clean(p) and not any(p == c or p.startswith(c + b"/") for c in clash)}
        if len(got) != len(want):
            rep.err("entry count %d, expected %d" % (len(got), len(want)))
        want_sha = sorted(e.get("sha", "") for e in want.values() if e["type"] == "f")
        got_sha = sorted(e.get("sha", "") for e in got.values() if e["type"] == "f")
        if "sha" in fields and want_sha != got_sha:
            rep.err("file contents differ as a multiset")
        want = wc
        got = {p: e for p, e in got.items() if p in wc}
    for p in sorted(set(want) - set(got)):
        rep.err("missing %s" % show(p))
    for p in sorted(set(got) - set(want)):
        rep.err("unexpected %s" % show(p))
    for p in sorted(set(want) & set(got)):
        w, g = want[p], got[p]
        for f in fields:
            if f not in g or f not in w:
                continue
            if f == "mtime" and (w["type"] in "dl" or (mtime_max and w[f] > mtime_max)):
                continue
            if f in ("size", "sha") and w["type"] != "f":
                continue
            if w[f] != g[f]:
                rep.err("%s: %s is %r, expected %r" % (show(p), f, g[f], w[f]))


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def need(tool):
    if not shutil.which(tool):
        print("%s not installed" % tool)
        sys.exit(SKIP)


# ---- readers ----------------------------------------------------------------------------

def r_xorriso(img, model, rep, opts):
    need("xorriso")
    with tempfile.TemporaryDirectory() as t:
        out = os.path.join(t, "x")
        r = run(["xorriso", "-osirrox", "on", "-indev", img, "-extract", "/", out])
        if r.returncode:
            rep.err("xorriso failed: " + r.stderr.decode(errors="replace")[-500:])
            return
        compare(rep, expect(model, "rr"), tree_model(out), ["type", "mode", "size", "sha", "target", "mtime"])


def r_bsdtar_joliet(img, model, rep, opts):
    need("bsdtar")
    with tempfile.TemporaryDirectory() as t:
        r = run(["bsdtar", "-xf", img, "--options", "!rockridge", "-C", t])
        if r.returncode:
            rep.err("bsdtar failed: " + r.stderr.decode(errors="replace")[-500:])
            return
        got = tree_model(t)
        compare(rep, expect(model, "joliet"), got, ["type", "size", "sha", "mtime"], joliet=True)


def isoinfo_paths(img, flag):
    r = run(["isoinfo", "-i", img, flag, "-f"])
    if r.returncode:
        raise RuntimeError(r.stderr.decode(errors="replace"))
    return {l for l in r.stdout.split(b"\n") if l}


def r_isoinfo_rr(img, model, rep, opts):
    need("isoinfo")
    got = isoinfo_paths(img, "-R")
    want = set(expect(model, "rr"))
    for p in sorted(want - got):
        rep.err("missing %s" % show(p))
    for p in sorted(got - want):
        rep.err("unexpected %s" % show(p))


def r_isoinfo_joliet(img, model, rep, opts):
    need("isoinfo")
    got = isoinfo_paths(img, "-J")
    want = expect(model, "joliet")
    if len(got) != len(want):
        rep.err("%d entries, expected %d" % (len(got), len(want)))
    # isoinfo prints Joliet names in the locale's charset; compare the ASCII ones
    clash = joliet_collisions(want)
    for p in want:
        if any(p == c or p.startswith(c + b"/") for c in clash):
            continue
        if joliet_clean(p) and all(b < 0x80 for b in p) and p not in got:
            rep.err("missing %s" % show(p))


def pycdlib_walk(img, kind, model, rep, contents):
    try:
        sys.path.insert(0, "/usr/lib/python3/dist-packages")
        import pycdlib
    except ImportError:
        print("pycdlib not installed")
        sys.exit(SKIP)
    iso = pycdlib.PyCdlib()
    iso.open(img)
    got = {}
    key = {"iso": "iso_path", "joliet": "joliet_path", "rr": "rr_path", "udf": "udf_path"}[kind]
    for dp, dns, fns in iso.walk(**{key: "/"}):
        for n in dns + fns:
            p = (dp.rstrip("/") + "/" + n)
            e = {}
            if n in dns:
                e["type"] = "d"
            else:
                rec = iso.get_record(**{key: p})
                if kind == "rr" and rec.rock_ridge is not None and rec.rock_ridge.is_symlink():
                    e["type"] = "l"
                    e["target"] = rec.rock_ridge.symlink_path()
                elif kind == "udf" and rec.is_symlink():
                    e["type"] = "l"
                elif kind == "udf" and not rec.is_file():
                    e["type"] = "p"
                else:
                    e["type"] = "f"
                    e["size"], r = 0, rec
                    while r is not None:  # the records of a multi-extent file
                        e["size"] += r.get_data_length()
                        r = getattr(r, "data_continuation", None)
                    if contents and e["size"] < (1 << 24):
                        import io
                        b = io.BytesIO()
                        iso.get_file_from_iso_fp(b, **{key: p})
                        e["sha"] = hashlib.sha256(b.getvalue()).hexdigest()
                if kind == "rr" and rec.rock_ridge is not None:
                    e["mode"] = stat.S_IMODE(rec.rock_ridge.get_file_mode())
                    if stat.S_ISFIFO(rec.rock_ridge.get_file_mode()):
                        e["type"] = "p"
            got[p.encode("utf-8", "surrogateescape")] = e
    iso.close()
    return got


def pycdlib_rr_walk(img, rep):
    """pycdlib's walk() decodes names as UTF-8 and fails on others: walk the records."""
    import io
    import pycdlib
    iso = pycdlib.PyCdlib()
    iso.open(img)
    got = {}
    stack = [(b"", "", iso.get_record(iso_path="/"))]
    while stack:
        rr_dir, iso_dir, d = stack.pop()
        for c in d.children:
            if c.is_dot() or c.is_dotdot():
                continue
            name = c.rock_ridge.name()
            ident = c.file_identifier().decode()
            p = rr_dir + b"/" + name
            ip = iso_dir + "/" + ident
            rr = c.rock_ridge
            if rr.relocated_record():
                continue  # RE: shown where its CL stand-in is
            mode = rr.get_file_mode()
            e = {"mode": stat.S_IMODE(mode)}
            if rr.child_link_record_exists():
                # CL: a relocated directory, living in the relocation directory
                moved = rr.cl_to_moved_dr
                if moved is None:
                    rep.err("%s: CL entry pycdlib could not resolve" % show(p))
                    continue
                e["type"] = "d"
                parts, r = [], moved
                while r.parent is not None and not r.is_root:
                    parts.append(r.file_identifier().decode())
                    r = r.parent
                stack.append((p, "/" + "/".join(reversed(parts)), moved))
            elif c.is_dir():
                e["type"] = "d"
                stack.append((p, ip, c))
            elif rr.is_symlink():
                e["type"] = "l"
                e["target"] = rr.symlink_path()
            elif stat.S_ISFIFO(mode):
                e["type"] = "p"
            else:
                e["type"] = "f"
                if p in got:  # a further extent of a multi-extent file: its size adds up
                    got[p]["size"] += c.get_data_length()
                    continue
                e["size"] = c.get_data_length()
                if e["size"] < (1 << 24):
                    b = io.BytesIO()
                    iso.get_file_from_iso_fp(b, iso_path=ip)
                    e["sha"] = hashlib.sha256(b.getvalue()).hexdigest()
            got[p] = e
    iso.close()
    return got


def r_pycdlib(kind):
    def f(img, model, rep, opts):
        if kind == "iso":
            got = pycdlib_walk(img, "iso", model, rep, False)
            # plain ISO 9660 names are mapped; compare the count of entries it records
            n = sum(1 for e in model.values() if e["type"] in "dflps")
            if len(got) != n:
                rep.err("%d entries, expected %d" % (len(got), n))
            return
        if kind == "rr":
            got = pycdlib_rr_walk(img, rep)
        else:
            got = pycdlib_walk(img, kind, model, rep, True)
        fields = ["type", "size", "sha", "target", "mode"]
        if kind == "joliet":
            compare(rep, expect(model, "joliet"), got, ["type", "size", "sha"], joliet=True)
        elif kind == "udf":
            want = expect(model, "udf")
            compare(rep, want, got, ["type", "size", "sha"])
        else:
            compare(rep, expect(model, "rr"), got, fields)
    return f


def r_7z(img, model, rep, opts):
    need("7z")
    r = run(["7z", "t", "-tudf", img])
    if r.returncode or b"Everything is Ok" not in r.stdout:
        rep.err("7z t: " + r.stdout.decode(errors="replace")[-800:])
    with tempfile.TemporaryDirectory() as t:
        r = run(["7z", "x", "-tudf", "-o" + t, img])
        if r.returncode:
            rep.err("7z x failed: " + r.stdout.decode(errors="replace")[-800:])
            return
        got = tree_model(t)
        # 7-Zip extracts names, contents and mtimes (it has no modes or links)
        want = expect(model, "udf")
        compare(rep, want, got, ["type", "size", "sha", "mtime"])


def r_udfread(img, model, rep, opts):
    exe = os.environ.get("UDFREAD_LS") or os.path.join(os.environ.get("BURNFS_BUILD", "build"), "tests", "interop", "udfread-ls")
    if not os.path.exists(exe):
        print("udfread-ls not built")
        sys.exit(SKIP)
    r = run([exe, img])
    if r.returncode:
        rep.err("udfread-ls failed: " + r.stderr.decode(errors="replace")[-500:])
        return
    got = {}
    for line in r.stdout.split(b"\n"):
        if not line:
            continue
        t, size, h, path = line.split(b" ", 3)
        p = unescape(path)
        e = {"type": t.decode()}
        if e["type"] == "f":
            e["size"] = int(size)
            e["sha"] = h.decode()
        got[p] = e
    want = {mutf8(p): e for p, e in expect(model, "udf").items()}
    # libudfread has no symlinks or special files: they list as files
    for p, e in want.items():
        if e["type"] not in "df" and p in got:
            got[p]["type"] = e["type"]
            got[p].pop("size", None)
    compare(rep, want, got, ["type", "size", "sha"])


def isols_model(img, view):
    """burnfs's own ISO reader (tests/iso9660/isols): not independent, it tests the reader."""
    exe = os.environ.get("ISOLS") or os.path.join(os.environ.get("BURNFS_BUILD", "build"), "tests", "iso9660", "isols")
    if not os.path.exists(exe):
        print("isols not built")
        sys.exit(SKIP)
    r = run([exe] + view + [img])
    if r.returncode:
        raise RuntimeError("isols failed: " + r.stderr.decode(errors="replace")[-500:])
    got = {}
    for line in r.stdout.split(b"\n"):
        if not line:
            continue
        t, mode, size, h, mtime, rest = line.split(b" ", 5)
        path, _, target = rest.partition(b" -> ")
        e = {"type": t.decode(), "mode": int(mode, 8), "mtime": int(mtime)}
        if e["type"] == "f":
            e["size"] = int(size)
            e["sha"] = h.decode()
        if e["type"] == "l":
            e["target"] = unescape(target)
        got[unescape(path)] = e
    return got


def r_burnfs_rr(img, model, rep, opts):
    try:
        got = isols_model(img, [])
    except RuntimeError as e:
        rep.err(str(e))
        return
    got.pop(b"/.burnfs", None)
    got.pop(b"/.burnfs/SHA256SUMS", None)
    for e in got.values():
        if e["type"] in "cb":  # the source model calls every special but a FIFO "s"
            e["type"] = "s"
    compare(rep, expect(model, "rr"), got, ["type", "mode", "size", "sha", "target", "mtime"])


def r_burnfs_joliet(img, model, rep, opts):
    try:
        got = isols_model(img, ["--joliet"])
    except RuntimeError as e:
        rep.err(str(e))
        return
    got.pop(b"/.burnfs", None)
    got.pop(b"/.burnfs/SHA256SUMS", None)
    compare(rep, expect(model, "joliet"), got, ["type", "size", "sha", "mtime"], joliet=True)


def mutf8(p):
    """libudfread returns names in modified UTF-8: astral characters as two surrogates."""
    s = p.decode("utf-8", "surrogateescape")
    out = ""
    for c in s:
        o = ord(c)
        if o > 0xFFFF:
            o -= 0x10000
            out += chr(0xD800 | (o >> 10)) + chr(0xDC00 | (o & 0x3FF))
        else:
            out += c
    return out.encode("utf-8", "surrogatepass")


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


def r_udfinfo(img, model, rep, opts):
    need("udfinfo")
    r = run(["udfinfo", img])
    text = (r.stdout + r.stderr).decode(errors="replace")
    if r.returncode:
        rep.err("udfinfo exit %d: %s" % (r.returncode, text[-500:]))
    for l in text.splitlines():
        # a later session's partition spans its own descriptors (formats.md 5.1): expected
        if "--overlap-ok" in opts and "Partition Space overlaps with other blocks" in l:
            continue
        if "warn" in l.lower() or "error" in l.lower():
            rep.err("udfinfo: " + l)
    want = expect(model, "udf")
    nd = sum(1 for e in want.values() if e["type"] == "d") + 1
    for l in text.splitlines():
        if l.startswith("numdirs=") and int(l[8:]) != nd:
            rep.err("udfinfo numdirs=%s, expected %d" % (l[8:], nd))


def kernel_lines(out):
    """kernel-read.sh's entry lines (bytes) -> model"""
    got = {}
    for line in out.split(b"\n"):
        parts = line.split(b" ", 5)
        if len(parts) != 6:
            continue
        t, mode, size, mtime, h, path = parts
        e = {"type": t.decode(), "mode": int(mode, 8), "mtime": int(mtime)}
        if e["type"] == "f":
            e["size"] = int(size)
            e["sha"] = h.decode()
        elif e["type"] == "l":
            e["target"] = unescape(h)
        got[unescape(path)] = e
    return got


def kernel_compare(fs, model, rep, got):
    want = expect(model, fs)
    if fs in ("rr", "udf"):
        # Linux 6.1 isofs and udf cut Rock Ridge names of 254+ bytes (a reader limit,
        # documented): match a cut name to the full one it starts with
        lw = sorted(p for p in want if len(p.rpartition(b"/")[2]) >= 200)
        lg = sorted(p for p in got if len(p.rpartition(b"/")[2]) >= 200)
        if len(lw) != len(lg):
            rep.err("%d long names, expected %d" % (len(lg), len(lw)))
        for p in lw:
            want.pop(p)
        for p in lg:
            got.pop(p)
    if fs == "udf":
        # Linux udf keeps names, contents, modes, times and symlinks
        # a symlink component longer than 254 bytes is cut in UDF (L_CI is one byte)
        for p, e in want.items():
            if e.get("target") and max(len(c) for c in e["target"].split(b"/")) > 254 and p in got:
                got[p]["target"] = e["target"]
        compare(rep, want, got, ["type", "mode", "size", "sha", "target", "mtime"])
    elif fs == "joliet":
        compare(rep, expect(model, "joliet"), got, ["type", "size", "sha", "mtime"], joliet=True)
    else:
        # Linux 6.1 isofs: Rock Ridge times past 2038 wrap (32-bit), documented
        compare(rep, want, got, ["type", "mode", "size", "sha", "target", "mtime"],
                mtime_max=2**31 - 1)


def r_kernel(fs):
    def f(img, model, rep, opts):
        script = os.path.join(HERE, "kernel-read.sh")
        args = [script, img, "udf" if fs == "udf" else "iso9660"]
        if fs == "joliet":
            args.append("norock")
        r = run(args)
        if r.returncode == SKIP:
            print("kernel reader unavailable: " + r.stderr.decode(errors="replace")[-300:])
            sys.exit(SKIP)
        if r.returncode:
            rep.err("kernel-read failed: " + (r.stdout + r.stderr).decode(errors="replace")[-800:])
            return
        kernel_compare(fs, model, rep, kernel_lines(r.stdout))
    return f


def r_klines(fs):
    """IMAGE is a file of kernel-read.sh entry lines (kernel-read-many.sh, label cut off)"""
    def f(img, model, rep, opts):
        with open(img, "rb") as fp:
            out = fp.read()
        if b"MOUNTFAIL" in out:
            rep.err("the kernel did not mount it: " + out.decode(errors="replace")[-500:])
            return
        kernel_compare(fs, model, rep, kernel_lines(out))
    return f


READERS = {
    "xorriso": r_xorriso,
    "bsdtar-joliet": r_bsdtar_joliet,
    "isoinfo-rr": r_isoinfo_rr,
    "isoinfo-joliet": r_isoinfo_joliet,
    "pycdlib-iso": r_pycdlib("iso"),
    "pycdlib-joliet": r_pycdlib("joliet"),
    "pycdlib-rr": r_pycdlib("rr"),
    "pycdlib-udf": r_pycdlib("udf"),
    "7z-udf": r_7z,
    "udfread": r_udfread,
    "udfinfo": r_udfinfo,
    "kernel-rr": r_kernel("rr"),
    "kernel-joliet": r_kernel("joliet"),
    "kernel-udf": r_kernel("udf"),
    "klines-rr": r_klines("rr"),
    "klines-joliet": r_klines("joliet"),
    "klines-udf": r_klines("udf"),
    "burnfs-rr": r_burnfs_rr,
    "burnfs-joliet": r_burnfs_joliet,
}


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in READERS:
        print(__doc__)
        return 2
    global RELOC
    reader, img, src = sys.argv[1:4]
    RELOC = "--reloc" in sys.argv[4:]
    model = source_model(src)
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde:  # the image was built with it: times are clamped to it
        for e in model.values():
            e["mtime"] = min(e["mtime"], int(sde))
    rep = Report("%s %s" % (reader, os.path.basename(img)))
    READERS[reader](img, model, rep, sys.argv[4:])
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())
