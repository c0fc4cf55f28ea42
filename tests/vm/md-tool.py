#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Inspect or edit the dm-wcache metadata of a cache device (format of
kernel/dm-wcache-format.h).  Used by tests/vm/review15.bats.

  md-tool.py entries DEV         one line per valid entry: "slot oblock seq"
  md-tool.py sb DEV              "durable_seq sb_seq"
  md-tool.py addseq DEV N        add N to every valid entry's seq and to the
                                 superblock's durable_seq (checksums redone)
"""
import struct
import sys

SECTOR = 512
EPS = 15


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


TABLE = _table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def sector_csum(sec):
    return crc32c(b"\0\0\0\0" + bytes(sec[4:]))


def read_sb(f):
    f.seek(0)
    sb = bytearray(f.read(SECTOR))
    magic, = struct.unpack_from("<I", sb, 4)
    if magic != 0x48434357:
        sys.exit("no wcache superblock")
    n_blocks, md_offset, md_sectors, data_offset = struct.unpack_from("<QQQQ", sb, 48)
    durable, sbseq = struct.unpack_from("<QQ", sb, 120)
    return sb, n_blocks, md_offset, md_sectors, durable, sbseq


def main():
    cmd, dev = sys.argv[1], sys.argv[2]
    with open(dev, "r+b" if cmd == "addseq" else "rb") as f:
        sb, n, mdo, mds, durable, sbseq = read_sb(f)
        if cmd == "sb":
            print(durable, sbseq)
            return
        add = int(sys.argv[3]) if cmd == "addseq" else 0
        f.seek(mdo * SECTOR)
        md = bytearray(f.read(mds * SECTOR))
        for s in range(mds):
            base = s * SECTOR
            changed = False
            for i in range(EPS):
                off = base + 32 + 32 * i
                oblock, seq, csum, flags = struct.unpack_from("<QQII", md, off)
                if not flags:
                    continue
                if cmd == "entries":
                    print(s * EPS + i, oblock, seq)
                else:
                    struct.pack_into("<Q", md, off + 8, seq + add)
                    changed = True
            if changed:
                sec = md[base:base + SECTOR]
                struct.pack_into("<I", md, base, sector_csum(sec))
        if cmd == "addseq":
            struct.pack_into("<Q", sb, 120, durable + add)
            struct.pack_into("<I", sb, 0, sector_csum(sb))
            f.seek(0)
            f.write(sb)
            f.seek(mdo * SECTOR)
            f.write(md)
            f.flush()


if __name__ == "__main__":
    main()
