#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Stamped-block writer/checker for dm-wcache power-cut tests.

write DEV NBLOCKS STATE [--iters N] [--fsync-every K] [--tail T] [--seed S]
    writes 4 KiB blocks stamped (magic, block, generation, crc) at random
    block numbers with O_DIRECT, fsyncs every K writes and after each fsync
    records, atomically in STATE, the newest generation of every block that
    the fsync made durable.  The last T writes are never fsynced.
check DEV NBLOCKS STATE
    every block must hold a well-formed stamp for itself (or zeroes if it was
    never written) and, if STATE lists it, a generation >= the recorded one.
"""
import json, mmap, os, random, struct, sys, zlib

BS = 4096
MAGIC = b'WCSTAMP1'
HDR = struct.Struct('<8sQQ')


def stamp(buf, blk, gen):
    rnd = random.Random(blk * 1000003 + gen)
    body = HDR.pack(MAGIC, blk, gen) + rnd.randbytes(BS - HDR.size - 4)
    buf[0:BS - 4] = body
    buf[BS - 4:BS] = struct.pack('<I', zlib.crc32(body))


def parse(data, blk):
    if data == bytes(BS):
        return 0
    magic, b, gen = HDR.unpack_from(data)
    if magic != MAGIC or b != blk:
        return None
    if struct.unpack_from('<I', data, BS - 4)[0] != zlib.crc32(data[:BS - 4]):
        return None
    return gen


def save(state, acked):
    tmp = state + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(acked, f)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, state)


def write(dev, nblocks, state, iters, every, tail, seed):
    rng = random.Random(seed)
    acked = {}
    if os.path.exists(state):
        acked = json.load(open(state))
    gen0 = max([0] + list(acked.values())) + 1
    fd = os.open(dev, os.O_RDWR | os.O_DIRECT)
    buf = mmap.mmap(-1, BS)
    pending = {}
    try:
        for i in range(iters + tail):
            blk = rng.randrange(nblocks)
            gen = gen0 + i
            stamp(buf, blk, gen)
            os.pwrite(fd, buf, blk * BS)
            pending[str(blk)] = gen
            if i < iters and (i + 1) % every == 0:
                os.fsync(fd)
                acked.update(pending)
                pending = {}
                save(state, acked)
    except OSError as e:
        print('writer stopped: %s' % e)
    os.close(fd)
    return 0


def check(dev, nblocks, state):
    acked = json.load(open(state)) if os.path.exists(state) else {}
    fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
    buf = mmap.mmap(-1, BS)
    bad = 0
    written = 0
    for blk in range(nblocks):
        os.preadv(fd, [buf], blk * BS)
        gen = parse(bytes(buf), blk)
        want = acked.get(str(blk), 0)
        if gen is None:
            print('block %d: garbage (acked gen %d)' % (blk, want))
            bad += 1
        elif gen < want:
            print('block %d: gen %d older than acked %d' % (blk, gen, want))
            bad += 1
        elif gen:
            written += 1
    os.close(fd)
    print('checked %d blocks, %d stamped, %d acked, %d bad' %
          (nblocks, written, len(acked), bad))
    if not acked:
        print('nothing was acknowledged: the test did not test anything')
        return 1
    return 1 if bad else 0


def main():
    a = sys.argv[1:]
    opts = {'--iters': 2000, '--fsync-every': 8, '--tail': 0, '--seed': 1}
    pos = []
    i = 0
    while i < len(a):
        if a[i] in opts:
            opts[a[i]] = int(a[i + 1])
            i += 2
        else:
            pos.append(a[i])
            i += 1
    if len(pos) != 4 or pos[0] not in ('write', 'check'):
        print(__doc__)
        return 2
    cmd, dev, n, state = pos[0], pos[1], int(pos[2]), pos[3]
    if cmd == 'write':
        return write(dev, n, state, opts['--iters'], opts['--fsync-every'],
                     opts['--tail'], opts['--seed'])
    return check(dev, n, state)


if __name__ == '__main__':
    sys.exit(main())
