#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# view.py IMAGE S END OUT: IMAGE cut at END, with session S's volume descriptor set (up to
# its terminator, and the UDF recognition sequence after it) copied to block 16 and its UDF
# anchor to block 256: what an overwritable medium holds after an append, so that readers
# which know no sessions (and the kernel without session=) read session S. Used by
# append.sh and mount.sh.
import sys
img, s, end, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
B = 2048
with open(img, "rb") as f:
    data = bytearray(f.read(end * B))
if s:
    k = 16
    while data[(s + k) * B + 1:(s + k) * B + 6] == b"CD001" and data[(s + k) * B] != 255:
        k += 1
    k += 1  # the terminator
    while data[(s + k) * B + 1:(s + k) * B + 6] in (b"BEA01", b"NSR02", b"NSR03", b"TEA01"):
        k += 1
    data[16 * B:k * B] = data[(s + 16) * B:(s + k) * B]
    a = data[(s + 256) * B:(s + 257) * B]
    # a UDF anchor: tag identifier 2, its checksum right, its location its own block (a
    # CD session's file data can start with a 2: random data did, 1 time in 256)
    if (len(a) == B and a[0:2] == b"\x02\x00" and sum(a[0:4] + a[5:16]) % 256 == a[4]
            and int.from_bytes(a[12:16], "little") == s + 256):
        data[256 * B:257 * B] = a
with open(out, "wb") as f:
    f.write(data)
