#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""crashcheck: model-based randomized crash checker for dm-wcache (and, as
the anchor, the kernel's dm-writecache).  Runs inside the VM, as root.

A seed gives a list of operations over a small origin/cache pair: cached
writes, overwrites, multi-block writes, sequential streams (bypassed over
sequential_cutoff, cleaner, metadata_only), discards small and larger than
the cache, O_DSYNC (FUA + flush) writes, fsync (PREFLUSH), reads, table
reloads with random options, the target's messages, pauses for writeback,
and crash images.  Every block written holds a stamp (magic, block, version,
run id, CRC-32), so each version is identifiable.  A reference model keeps,
for every block, the set of contents a crash may show: its last durable
content (after the last fsync, or its O_DSYNC write) or anything written
later.  A discard (dm-wcache(7): the cached copy is dropped, durably at the
next commit, and the discard goes to the origin) leaves the block "any
version it ever held, or zeroes" (what the origin then returns is the
origin's business: an older written-back version, or zeroes).  Reads of the
live device must return exactly the latest version (after a discard: one of
that set).

Crash images (--mode):
  snap       origin and cache are RAM disks (null_blk memory_backed without
             a volatile cache, or brd) under dm-linear; an image suspends
             both linears (every completed write is on them, none in
             flight: a power cut of disks without volatile caches), copies
             them, resumes, and loads a fresh target on the copy.
  powercut   null_blk with volatile caches (cache_size): an image powers
             both off (everything since their last FLUSH is lost), loads a
             fresh target on them, checks, and goes on from there.
  logwrites  origin and cache carved from one dm-log-writes device over a
             RAM disk; the checker marks the log after every operation; at
             the end the log (listed by tests/replay/replay-log) is replayed
             and every FLUSH/FUA entry (or a sample) is a crash image of
             disks with volatile caches.
Each image: the target must load and report no error, and every block read
through it must be in the model's crash set; every --drain-every'th image is
also drained (writeback message) and its bare origin must equal what the
target returned.  --keep DIR keeps each image (origin.img, cache.img and
expect.json: the allowed versions per block; see README.md).

On a failure the seed, the failing operation and (with --shrink) a
minimised operation list are printed; --replay FILE runs such a list again.
Last line: "crashcheck: seed S ... N ops, N images, N live checks, N failed".
"""
import argparse
import fcntl
import hashlib
import json
import mmap
import os
import random
import struct
import subprocess
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dmio  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
MAGIC = b'WCCRASH1'
SHDR = struct.Struct('<8sQQQ')		# magic, block, version, run
BLKDISCARD = 0x1277
Z = frozenset([0])
PROF = {}
CNT = {}


def prof(what, t0):
    PROF['img-' + what] = PROF.get('img-' + what, 0) + time.time() - t0
    CNT['img-' + what] = CNT.get('img-' + what, 0) + 1
    return time.time()


class CheckFail(Exception):
    pass


# ---------------------------------------------------------------- stamps

class Stamp:
    def __init__(self, bs, run):
        self.bs = bs
        self.run = run
        self.zero = bytes(bs)

    def make(self, blk, ver):
        h = SHDR.pack(MAGIC, blk, ver, self.run)
        fill = hashlib.blake2b(h).digest()
        body = h + (fill * (self.bs // 64 + 1))[:self.bs - SHDR.size - 4]
        return body + struct.pack('<I', zlib.crc32(body))

    def parse(self, data, blk):
        """0 for zeroes, the version, or a string saying what is wrong."""
        if data == self.zero:
            return 0
        magic, b, ver, run = SHDR.unpack_from(data)
        if magic != MAGIC:
            return 'garbage (no stamp)'
        if struct.unpack_from('<I', data, self.bs - 4)[0] != \
                zlib.crc32(data[:self.bs - 4]):
            return 'stamp with a bad checksum (torn or corrupt)'
        if b != blk:
            return 'stamp of block %d' % b
        if run != self.run:
            return 'stamp of another run'
        return ver


# ---------------------------------------------------------------- model

class Model:
    """Per block: stable = what the last flush made durable; pending = the
    contents written since (any may be on disk after a crash); latest = what
    a read must return now; hist = every version the block ever held."""

    def __init__(self, ack=False):
        self.ack = ack		# self-test: claim every write durable
        self.stable = {}
        self.pending = {}
        self.latest = {}
        self.hist = {}

    def live(self, b):
        return self.latest.get(b, Z)

    def crash(self, b):
        s = self.stable.get(b, Z)
        p = self.pending.get(b)
        return s | p if p else s

    def write(self, b, v):
        self.hist.setdefault(b, set()).add(v)
        self.latest[b] = frozenset([v])
        self.pending.setdefault(b, set()).add(v)
        if self.ack:
            self.stable[b] = self.latest[b]
            del self.pending[b]

    def discard(self, b):
        s = frozenset(self.hist.get(b, ())) | Z
        self.latest[b] = s
        self.pending.setdefault(b, set()).update(s)

    def flush(self):
        for b in self.pending:
            self.stable[b] = self.latest.get(b, Z)
        self.pending = {}

    def reset(self, b, val):
        """After a power cut: the block holds VAL, durably."""
        self.stable[b] = self.latest[b] = frozenset([val])
        self.pending.pop(b, None)

    def crash_sets(self, nblocks):
        return {b: self.crash(b) for b in set(self.stable) | set(self.pending)
                if self.crash(b) != Z}


# ---------------------------------------------------------------- helpers

def sh(cmd):
    return subprocess.run(['bash', '-c', cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def load_modules(target, mode, delay):
    mods = 'dm-mod null_blk:nr_devices=0 brd:rd_nr=0'
    mods += ' dm-wcache' if target == 'wcache' else ' dm-writecache'
    if mode == 'logwrites':
        mods += ' dm-log-writes'
    if delay:
        mods += ' dm-delay'
    cmd = '. %s/tests/vm/target-lib.sh; ' % REPO
    for m in mods.split():
        name, _, arg = m.partition(':')
        cmd += 'wc_modprobe %s %s || exit 1; ' % (name, arg.replace(',', ' '))
    cmd += 'mountpoint -q /sys/kernel/config || mount -t configfs none ' \
           '/sys/kernel/config'
    r = sh(cmd)
    if r.returncode:
        sys.exit('crashcheck: loading modules failed:\n' + r.stdout)


def wfile(path, val):
    with open(path, 'w') as f:
        f.write(str(val))


NULLB = '/sys/kernel/config/nullb/'


def nullb_create(name, mb, bs, cache_mb=0, discard=True):
    d = NULLB + name
    if os.path.isdir(d):
        nullb_destroy(name)
    os.mkdir(d)
    wfile(d + '/memory_backed', 1)
    wfile(d + '/size', mb)
    wfile(d + '/blocksize', bs)
    wfile(d + '/cache_size', cache_mb)
    if discard:
        try:
            wfile(d + '/discard', 1)
        except OSError:
            pass
    wfile(d + '/power', 1)
    return nullb_node(name)


def nullb_node(name):
    d = NULLB + name
    dev = '/dev/' + name
    if not os.path.exists(dev):
        dev = '/dev/nullb' + open(d + '/index').read().strip()
    for _ in range(200):
        if os.path.exists(dev):
            return dev
        time.sleep(0.01)
    raise CheckFail('null_blk %s: no device node' % name)


def nullb_power(name, on):
    wfile(NULLB + name + '/power', 1 if on else 0)
    if on:
        return nullb_node(name)
    return None


def nullb_destroy(name):
    d = NULLB + name
    if not os.path.isdir(d):
        return
    try:
        wfile(d + '/power', 0)
    except OSError:
        pass
    for _ in range(50):
        try:
            os.rmdir(d)
            return
        except OSError:
            time.sleep(0.1)


def abuf(n):
    return mmap.mmap(-1, max(n, 4096))


def copy_dev(src, dst, nbytes):
    CH = 1 << 20
    buf = abuf(CH)
    fs = os.open(src, os.O_RDONLY | os.O_DIRECT)
    fd = os.open(dst, os.O_WRONLY | os.O_DIRECT)
    try:
        off = 0
        while off < nbytes:
            n = min(CH, nbytes - off)
            v = memoryview(buf)[:n]
            if os.preadv(fs, [v], off) != n:
                raise CheckFail('short read copying %s' % src)
            os.pwritev(fd, [v], off)
            off += n
        os.fsync(fd)
    finally:
        os.close(fs)
        os.close(fd)


def save_dev(src, path, nbytes):
    buf = abuf(nbytes)
    fs = os.open(src, os.O_RDONLY | os.O_DIRECT)
    try:
        os.preadv(fs, [buf], 0)
    finally:
        os.close(fs)
    with open(path, 'wb') as f:
        f.write(buf[:nbytes])


# ---------------------------------------------------------------- options

def random_opts(rng, target, nblocks_cache):
    o = []
    if rng.random() < 0.8:
        hi = rng.choice([5, 10, 20, 30, 50, 70, 90])
        lo = rng.choice([0, hi // 2, max(hi - 5, 0), hi])
        o += ['high_watermark', hi, 'low_watermark', lo]
    if rng.random() < 0.5:
        o += ['autocommit_blocks', rng.choice([4, 16, 64, 65536])]
    if rng.random() < 0.6:
        o += ['autocommit_time', rng.choice([10, 50, 200, 1000, 3600000])]
    if rng.random() < 0.3:
        o += ['writeback_jobs', rng.choice([1, 4, 64, 1024])]
    if rng.random() < 0.2:
        o += ['pause_writeback', rng.choice([0, 50, 500])]
    if rng.random() < 0.2:
        o += ['max_age', rng.choice([300, 1000, 5000])]
    if target == 'wcache':
        if rng.random() < 0.6:
            o += ['sequential_cutoff', rng.choice([4096, 8192, 16384, 65536])]
        if rng.random() < 0.05:
            o += ['flush_on_suspend']
    if rng.random() < 0.12:
        o += ['cleaner']
    if rng.random() < 0.08:
        o += ['metadata_only']
    return [str(x) for x in o]


def gen_ops(seed, cfg, n):
    rng = random.Random(seed * 7919 + 17)
    nb, ncb = cfg.nblocks, cfg.cache_blocks
    hot = max(8, ncb // 2)
    ops = [['R', random_opts(rng, cfg.target, ncb)]]
    img_p = 1.0 / cfg.image_every if cfg.mode != 'logwrites' else 0
    msgs = ['flush', 'cleaner', 'clear_stats']
    if cfg.target == 'wcache':
        msgs += ['writeback', 'flush_on_suspend']
    last_end = None
    cur = ops[0][1]

    def blk():
        if rng.random() < 0.5:
            return rng.randrange(hot)
        return rng.randrange(nb)

    for _ in range(n):
        x = rng.random()
        if x < img_p:
            ops.append(['i'])
            continue
        x = rng.random()
        if x < 0.36:
            b = blk()
            m = rng.choice([1, 1, 1, 2, 3, 4, 8])
            ops.append(['w', b, min(m, nb - b), int(rng.random() < 0.12)])
        elif x < 0.48:
            # a sequential stream: several bios, sometimes continuing the
            # last stream, sometimes starting inside cached blocks
            if last_end is not None and last_end < nb - 1 and \
                    rng.random() < 0.3:
                b = last_end
            else:
                b = blk()
            sizes, e = [], b
            for _ in range(rng.randint(2, 6)):
                m = min(rng.choice([1, 2, 4, 8, 16]), nb - e)
                if m <= 0:
                    break
                sizes.append(m)
                e += m
            if sizes:
                last_end = e
                ops.append(['s', b, sizes, int(rng.random() < 0.15)])
        elif x < 0.55:
            if rng.random() < 0.3:
                b = rng.randrange(nb // 4)
                m = rng.randint(ncb + 1, nb - b)
            else:
                b = blk()
                m = min(rng.randint(1, 4), nb - b)
            ops.append(['d', b, m])
        elif x < 0.70:
            ops.append(['f'])
        elif x < 0.78:
            b = rng.randrange(nb)
            ops.append(['r', b, min(rng.randint(1, 32), nb - b)])
        elif x < 0.83:
            cur = random_opts(rng, cfg.target, ncb)
            ops.append(['R', cur])
            if 'max_age' in cur and rng.random() < 0.3:
                ops.append(['a'])
        elif x < 0.88:
            ops.append(['m', rng.choice(msgs)])
        elif x < 0.90:
            ops.append(['z', rng.choice([10, 50, 200])])
        elif x < 0.93:
            b = blk()
            m = min(rng.choice([2, 4, 8, 16]), nb - b)
            b2 = rng.randrange(nb)
            if b <= b2 < b + m:
                b2 = (b + m) % nb
            ops.append(['c', b, m, b2])
        else:
            # an overwrite burst over the hot set fills the cache
            b = rng.randrange(hot)
            ops.append(['w', b, min(rng.randint(4, 16), nb - b), 0])
    return ops


# ---------------------------------------------------------------- the run

class Run:
    def __init__(self, cfg, ops, seed):
        self.cfg = cfg
        self.ops = ops
        self.seed = seed
        self.bs = cfg.block
        self.st = Stamp(self.bs, (seed & 0xffffffff) | 0x5eed00000000)
        self.m = Model(cfg.selftest_ack)
        self.ver = 0
        self.images = 0
        self.lives = 0
        self.opts = []
        self.fd = self.fdsync = None
        self.trace = []		# logwrites: per op, model events
        self.names = []

    # --- devices
    def setup(self):
        c = self.cfg
        self.teardown()
        self.osect = c.origin_mb * 2048
        self.csect = c.cache_mb * 2048
        if c.mode == 'logwrites':
            tot = c.origin_mb + c.cache_mb
            self.L = nullb_create('ckl', tot, c.sector)
            self.G = nullb_create('ckg', c.log_mb, c.sector)
            self.R2 = nullb_create('ckr', tot, c.sector)
            lw = dmio.create('ck-lw', (self.osect + self.csect),
                             'log-writes', '%s %s' % (self.L, self.G))
            self.names.append('ck-lw')
            obase, ooff, cbase, coff = lw, 0, lw, self.osect
        else:
            cache_mb = c.vcache_mb if c.mode == 'powercut' else 0
            if c.dev == 'brd':
                r = sh('. %s/tests/vm/target-lib.sh; wc_brd 4 %d' %
                       (REPO, max(c.origin_mb, c.cache_mb)))
                if r.returncode:
                    raise CheckFail('brd: ' + r.stdout)
                self.O, self.C = '/dev/ram0', '/dev/ram1'
                self.O2, self.C2 = '/dev/ram2', '/dev/ram3'
            else:
                disc = c.origin_discard
                self.O = nullb_create('cko', c.origin_mb, c.sector, cache_mb,
                                      disc)
                self.C = nullb_create('ckc', c.cache_mb, c.sector, cache_mb)
                if c.mode == 'snap':
                    self.O2 = nullb_create('ckio', c.origin_mb, c.sector, 0,
                                           disc)
                    self.C2 = nullb_create('ckic', c.cache_mb, c.sector)
            obase, ooff, cbase, coff = self.O, 0, self.C, 0
        self.base = (obase, ooff, cbase, coff)
        self.make_lower()
        self.tlen = self.osect // (self.bs // 512) * (self.bs // 512)
        self.opts = []
        self.create_target(self.ops[0][1] if self.ops and
                           self.ops[0][0] == 'R' else [])
        self.open_fds()

    def make_lower(self):
        obase, ooff, cbase, coff = self.base
        if self.cfg.delay:
            d = self.cfg.delay
            p = '%s %d 0 %s %d %d %s %d 0' % (obase, ooff, obase, ooff, d,
                                               obase, ooff)
            self.onode = dmio.create('ck-o', self.osect, 'delay', p)
        else:
            self.onode = dmio.create('ck-o', self.osect, 'linear',
                                     '%s %d' % (obase, ooff))
        self.names.append('ck-o')
        self.cnode = dmio.create('ck-c', self.csect, 'linear',
                                 '%s %d' % (cbase, coff))
        self.names.append('ck-c')

    def table(self, onode, cnode, opts):
        return 's %s %s %d %d%s' % (onode, cnode, self.bs, len(opts),
                                  ''.join(' ' + o for o in opts))

    def create_target(self, opts):
        self.opts = list(opts)
        try:
            self.node = dmio.create('ck-wc', self.tlen, self.cfg.target,
                                    self.table(self.onode, self.cnode, opts))
        except dmio.DMError as e:
            raise CheckFail('the target refused its table: %s' % e)
        self.names.append('ck-wc')

    def open_fds(self):
        self.fd = os.open(self.node, os.O_RDWR | os.O_DIRECT)
        self.fdsync = os.open(self.node, os.O_RDWR | os.O_DIRECT | os.O_DSYNC)

    def close_fds(self):
        for f in (self.fd, self.fdsync):
            if f is not None:
                os.close(f)
        self.fd = self.fdsync = None

    def teardown(self):
        self.close_fds()
        for n in ('ck-iw', 'ck-io', 'ck-ic', 'ck-wc', 'ck-o', 'ck-c',
                  'ck-lw'):
            if dmio.exists(n):
                try:
                    dmio.remove(n)
                except dmio.DMError:
                    pass
        self.names = []
        for n in ('cko', 'ckc', 'ckio', 'ckic', 'ckl', 'ckg', 'ckr'):
            nullb_destroy(n)

    # --- I/O
    def pwrite(self, fd, data, b):
        buf = abuf(len(data))
        buf[:len(data)] = data
        try:
            n = os.pwritev(fd, [memoryview(buf)[:len(data)]], b * self.bs)
        except OSError as e:
            raise CheckFail('write of blocks %d+%d failed: %s' %
                            (b, len(data) // self.bs, e))
        if n != len(data):
            raise CheckFail('short write at block %d' % b)

    def write(self, b, n, sync):
        vs = []
        data = b''
        for i in range(n):
            self.ver += 1
            vs.append(self.ver)
            data += self.st.make(b + i, self.ver)
        self.pwrite(self.fdsync if sync else self.fd, data, b)
        for i in range(n):
            self.m.write(b + i, vs[i])
            self.ev(('w', b + i, vs[i]))
        if sync:
            self.m.flush()
            self.ev(('f',))

    def concurrent(self, b, n, b2):
        """Thread A writes blocks [b, b+n) in one bio (bypassed when over
        sequential_cutoff); thread B, 5 ms later, writes block b2 and
        fsyncs.  B's fsync covers B's write only: A was still in flight."""
        va = list(range(self.ver + 1, self.ver + n + 1))
        vb = self.ver + n + 1
        self.ver = vb
        da = b''.join(self.st.make(b + i, va[i]) for i in range(n))
        db = self.st.make(b2, vb)
        errs = []

        def ta():
            try:
                self.pwrite(self.fd, da, b)
            except CheckFail as e:
                errs.append(str(e))

        def tb():
            try:
                time.sleep(0.005)
                self.pwrite(self.fd, db, b2)
                os.fsync(self.fd)
            except (CheckFail, OSError) as e:
                errs.append(str(e))
        th = [threading.Thread(target=ta), threading.Thread(target=tb)]
        for t in th:
            t.start()
        for t in th:
            t.join()
        if errs:
            raise CheckFail('concurrent writes: ' + '; '.join(errs))
        for i in range(n):
            self.m.write(b + i, va[i])
            self.ev(('w', b + i, va[i]))
        self.m.write(b2, vb)
        self.ev(('w', b2, vb))
        if not b <= b2 < b + n:
            # B's write completed before B's fsync started
            self.m.stable[b2] = frozenset([vb])
            self.m.pending.pop(b2, None)
        self.live_check(b, n)
        self.live_check(b2, 1)

    def age_check(self):
        """max_age: with no user I/O for max_age + two commit intervals +
        1 s, no block may still be dirty (status field 5)."""
        o = dict(zip(self.opts, self.opts[1:]))
        if self.cfg.target != 'wcache' or 'max_age' not in o:
            return
        age = int(o['max_age'])
        ac = int(o.get('autocommit_time', 1000))
        if ac > 2000:
            return
        wait = age + 2 * ac + 1000
        time.sleep(wait / 1000.0)
        st = dmio.status('ck-wc').split()
        if st[4] != '0':
            raise CheckFail('max_age %d: %s blocks still dirty after %d ms '
                            'without I/O (status %s)' % (age, st[4], wait,
                                                         ' '.join(st)))

    def ev(self, e):
        if self.cfg.mode == 'logwrites':
            self.trace[-1].append(e)

    def read_blocks(self, dev_fd, b, n):
        buf = abuf(n * self.bs)
        v = memoryview(buf)[:n * self.bs]
        try:
            got = os.preadv(dev_fd, [v], b * self.bs)
        except OSError as e:
            raise CheckFail('read of blocks %d+%d failed: %s' % (b, n, e))
        if got != n * self.bs:
            raise CheckFail('short read at block %d' % b)
        return bytes(v)

    def check_range(self, fd, b, n, allowed, what):
        """Read blocks [b, b+n) from FD; each must be in allowed(block).
        Returns the versions read."""
        out = {}
        CH = 256
        for s in range(b, b + n, CH):
            k = min(CH, b + n - s)
            data = self.read_blocks(fd, s, k)
            for i in range(k):
                blk = s + i
                v = self.st.parse(data[i * self.bs:(i + 1) * self.bs], blk)
                ok = allowed(blk)
                if isinstance(v, str) or v not in ok:
                    raise CheckFail('%s: block %d reads %s, allowed %s' % (
                        what, blk, v if isinstance(v, str) else
                        'version %d' % v if v else 'zeroes', fmt_set(ok)))
                out[blk] = v
        return out

    def live_check(self, b, n):
        self.lives += 1
        self.check_range(self.fd, b, n, self.m.live, 'live read')

    # --- crash images
    def image(self):
        if self.cfg.mode == 'snap':
            t = time.time()
            dmio.suspend('ck-o')
            try:
                dmio.suspend('ck-c')
                try:
                    copy_dev(self.O, self.O2, self.osect * 512)
                    copy_dev(self.C, self.C2, self.csect * 512)
                finally:
                    dmio.resume('ck-c')
            finally:
                dmio.resume('ck-o')
            prof('copy', t)
            self.check_image(self.O2, 0, self.C2, 0, self.m.crash)
        elif self.cfg.mode == 'powercut':
            self.powercut()

    def powercut(self):
        allowed = self.m.crash
        nullb_power('ckc', False)
        nullb_power('cko', False)
        self.close_fds()
        for n in ('ck-wc', 'ck-o', 'ck-c'):
            dmio.remove(n)
        self.O = nullb_power('cko', True)
        self.C = nullb_power('ckc', True)
        self.base = (self.O, 0, self.C, 0)
        self.make_lower()
        self.create_target(self.opts)
        self.open_fds()
        self.images += 1
        st = dmio.status('ck-wc').split()
        if st[0] != '0':
            raise CheckFail('error reported after the power cut: %s' %
                            ' '.join(st))
        got = self.check_range(self.fd, 0, self.cfg.nblocks, allowed,
                               'after power cut %d' % self.images)
        for b, v in got.items():
            if v or b in self.m.latest:
                self.m.reset(b, v)

    def check_image(self, odev, ooff, cdev, coff, allowed):
        c = self.cfg
        self.images += 1
        n = self.images
        if c.keep:
            d = os.path.join(c.keep, 'seed%d-img%d' % (self.seed, n))
            os.makedirs(d, exist_ok=True)
            save_dev_at(odev, ooff, os.path.join(d, 'origin.img'),
                        self.osect * 512)
            save_dev_at(cdev, coff, os.path.join(d, 'cache.img'),
                        self.csect * 512)
            exp = {str(b): sorted(allowed(b)) for b in range(c.nblocks)
                   if allowed(b) != Z}
            with open(os.path.join(d, 'expect.json'), 'w') as f:
                json.dump({'target': c.target, 'block_size': self.bs,
                           'sector': c.sector, 'run': self.st.run,
                           'blocks': c.nblocks, 'table_opts': self.opts,
                           'stamp': 'tests/crashcheck/README.md',
                           'allowed': exp}, f)
        t = time.time()
        io = dmio.create('ck-io', self.osect, 'linear', '%s %d' % (odev, ooff))
        ic = dmio.create('ck-ic', self.csect, 'linear', '%s %d' % (cdev, coff))
        try:
            try:
                w = dmio.create('ck-iw', self.tlen, c.target,
                                self.table(io, ic, []))
            except dmio.DMError as e:
                raise CheckFail('image %d: the target refused to load it: %s'
                                % (n, e))
            t = prof('create', t)
            st = dmio.status('ck-iw').split()
            if st[0] != '0':
                raise CheckFail('image %d: error after load: %s' %
                                (n, ' '.join(st)))
            fd = os.open(w, os.O_RDONLY | os.O_DIRECT)
            try:
                got = self.check_range(fd, 0, c.nblocks, allowed,
                                       'crash image %d' % n)
            finally:
                os.close(fd)
            t = prof('check', t)
            if c.drain_every and n % c.drain_every == 0 and \
                    c.target == 'wcache':
                dmio.message('ck-iw', 'writeback')
                # the message waits for the drain; poll anyway (a drain
                # may also run asynchronously: status field 20)
                for _ in range(300):
                    st = dmio.status('ck-iw').split()
                    if st[0] != '0' or (st[4] == '0' and
                                        (len(st) < 20 or st[19] == '0')):
                        break
                    time.sleep(0.1)
                if st[0] != '0' or st[4] != '0':
                    raise CheckFail('image %d: error or dirty blocks after '
                                    'writeback: %s' % (n, ' '.join(st)))
                dmio.remove('ck-iw')
                fd = os.open(io, os.O_RDONLY | os.O_DIRECT)
                try:
                    self.check_range(fd, 0, c.nblocks,
                                     lambda b: frozenset([got[b]]),
                                     'image %d drained, bare origin' % n)
                finally:
                    os.close(fd)
        finally:
            t = prof('drain', t)
            for nm in ('ck-iw', 'ck-io', 'ck-ic'):
                if dmio.exists(nm):
                    dmio.remove(nm)
            prof('remove', t)

    # --- operations
    def step(self, i, op):
        t = time.time()
        try:
            self.step1(i, op)
        finally:
            PROF[op[0]] = PROF.get(op[0], 0) + time.time() - t
            CNT[op[0]] = CNT.get(op[0], 0) + 1

    def step1(self, i, op):
        k = op[0]
        nb = self.cfg.nblocks
        if k == 'w':
            _, b, n, sync = op
            self.write(b, n, sync)
            self.live_check(b, n)
        elif k == 's':
            _, b, sizes, sync = op
            e = b
            for j, n in enumerate(sizes):
                self.write(e, n, sync and j == len(sizes) - 1)
                e += n
            self.live_check(b, e - b)
        elif k == 'c':
            self.concurrent(*op[1:])
        elif k == 'd':
            _, b, n = op
            r = struct.pack('QQ', b * self.bs, n * self.bs)
            try:
                fcntl.ioctl(self.fd, BLKDISCARD, r)
            except OSError as e:
                raise CheckFail('discard of %d+%d failed: %s' % (b, n, e))
            for j in range(b, b + n):
                self.m.discard(j)
                self.ev(('d', j))
            self.live_check(b, min(n, 64))
        elif k == 'f':
            os.fsync(self.fd)
            self.m.flush()
            self.ev(('f',))
        elif k == 'r':
            self.live_check(op[1], op[2])
        elif k == 'R':
            self.opts = list(op[1])
            try:
                dmio.reload('ck-wc', self.tlen, self.cfg.target,
                            self.table(self.onode, self.cnode, self.opts))
            except dmio.DMError as e:
                raise CheckFail('reload with %s refused: %s' %
                                (' '.join(self.opts), e))
        elif k == 'm':
            msg = op[1]
            try:
                dmio.message('ck-wc', msg)
            except dmio.DMError as e:
                raise CheckFail('message %s failed: %s' % (msg, e))
        elif k == 'z':
            time.sleep(op[1] / 1000.0)
        elif k == 'a':
            self.age_check()
        elif k == 'i':
            self.image()
        else:
            raise ValueError(op)
        if self.cfg.full_every and i % self.cfg.full_every == 0:
            self.live_check(0, nb)

    def mark(self, i):
        if self.cfg.mode == 'logwrites':
            dmio.message('ck-lw', 'mark o%d' % i)

    def execute(self):
        """Run every op; returns None or (op index, message)."""
        try:
            self.setup()
        except (CheckFail, dmio.DMError, OSError) as e:
            return (0, 'setup: %s' % e)
        i = 0
        try:
            for i, op in enumerate(self.ops):
                self.trace.append([])
                if i == 0 and op[0] == 'R':
                    self.mark(i)
                    continue
                self.step(i, op)
                self.mark(i)
            i = len(self.ops)
            self.live_check(0, self.cfg.nblocks)
            if self.cfg.mode == 'snap' and self.cfg.final_image:
                self.image()
            if self.cfg.mode == 'logwrites':
                self.replay()
        except CheckFail as e:
            return (i, str(e))
        except (dmio.DMError, OSError) as e:
            return (i, 'error: %s' % e)
        finally:
            try:
                self.teardown()
            except Exception as e:  # noqa: BLE001
                print('# teardown: %s' % e)
        return None

    # --- dm-log-writes replay
    def replay(self):
        c = self.cfg
        self.close_fds()
        for n in ('ck-wc', 'ck-o', 'ck-c', 'ck-lw'):
            dmio.remove(n)
        out = subprocess.run([os.path.join(REPO, 'tests/replay/replay-log'),
                              'list', self.G], stdout=subprocess.PIPE,
                             text=True)
        if out.returncode:
            raise CheckFail('replay-log list failed')
        ents = []
        ssize = 512
        for line in out.stdout.splitlines():
            if line.startswith('# sectorsize'):
                ssize = int(line.split()[2].rstrip(','))
                continue
            f = line.split()
            ents.append((int(f[1][1:]), f[2].split('|'), int(f[3]),
                         int(f[4][1:]), f[5] if len(f) > 5 else ''))
        tot = (self.osect + self.csect) * 512
        img = abuf(tot)
        lg = os.open(self.G, os.O_RDONLY)
        # model replay, advanced op by op
        mm = Model()
        done = -1

        def advance(to):
            nonlocal done
            while done < to:
                done += 1
                for e in self.trace[done] if done < len(self.trace) else ():
                    if e[0] == 'w':
                        mm.write(e[1], e[2])
                    elif e[0] == 'd':
                        mm.discard(e[1])
                    else:
                        mm.flush()

        def mark_of(k):
            m = ents[k][4]
            return int(m[1:]) if m.startswith('o') else None

        allvers = {}
        for t in self.trace:
            for e in t:
                if e[0] == 'w':
                    allvers.setdefault(e[1], set()).add(e[2])
        points = [k for k, e in enumerate(ents)
                  if 'FLUSH' in e[1] or 'FUA' in e[1]]
        pos = 0
        checked = 0
        for pi, k in enumerate(points):
            while pos <= k:
                off, fl, sec, nr, _ = ents[pos]
                if 'MARK' not in fl and nr:
                    a, ln = sec * ssize, nr * ssize
                    if 'DISCARD' in fl:
                        img[a:a + ln] = bytes(ln)
                    else:
                        img[a:a + ln] = os.pread(lg, ln, off + ssize)
                pos += 1
            if c.lw_skip_format and not any(
                    mark_of(j) is not None for j in range(k)):
                continue
            if c.lw_sample > 1 and pi % c.lw_sample:
                continue
            if c.max_images and checked >= c.max_images:
                break
            nxt = points[pi + 1] if pi + 1 < len(points) else len(ents)
            m = -1
            # last mark before the next FLUSH/FUA entry
            for j in range(nxt - 1, -1, -1):
                if mark_of(j) is not None:
                    m = mark_of(j)
                    break
            # first mark after this point: ops after it cannot be here
            u = len(self.trace) - 1
            for j in range(k + 1, len(ents)):
                if mark_of(j) is not None:
                    u = min(mark_of(j) + 1, len(self.trace) - 1)
                    break
            advance(m)
            extra = {}
            for op in range(m + 1, u + 1):
                for e in self.trace[op]:
                    if e[0] == 'w':
                        extra.setdefault(e[1], set()).add(e[2])
                    elif e[0] == 'd':
                        # any version the block ever held, or zeroes
                        extra.setdefault(e[1], set()).update(
                            allvers.get(e[1], set()) | {0})

            def allowed(b, mm=mm, extra=extra):
                s = mm.crash(b)
                x = extra.get(b)
                return s | x if x else s
            fd = os.open(self.R2, os.O_WRONLY | os.O_DIRECT)
            os.pwrite(fd, img, 0)
            os.fsync(fd)
            os.close(fd)
            self.check_image(self.R2, 0, self.R2, self.osect, allowed)
            checked += 1
        os.close(lg)
        self.lw_points = len(points)


def save_dev_at(dev, off, path, nbytes):
    buf = abuf(nbytes)
    fs = os.open(dev, os.O_RDONLY | os.O_DIRECT)
    try:
        os.preadv(fs, [buf], off * 512)
    finally:
        os.close(fs)
    with open(path, 'wb') as f:
        f.write(buf[:nbytes])


def fmt_set(s):
    s = sorted(s)
    t = ['zeroes' if v == 0 else 'v%d' % v for v in s[:8]]
    if len(s) > 8:
        t.append('... (%d)' % len(s))
    return '{' + ', '.join(t) + '}'


# ---------------------------------------------------------------- shrinking

def shrink(cfg, ops, seed, fail, budget):
    """Delta debugging over the operations after the initial table: keep
    removing chunks while the run still fails.  Returns the smallest
    failing list found within BUDGET seconds."""
    t0 = time.time()
    head, body = ops[:1], ops[1:fail[0] + 1 if fail[0] else len(ops)]
    trials = 0

    def fails(cand):
        nonlocal trials
        trials += 1
        return Run(cfg, head + cand, seed).execute() is not None

    if not fails(body):
        print('# shrink: the failure did not reproduce on a re-run '
              '(timing-dependent); keeping the full list')
        return ops, trials
    n = 2
    while len(body) >= 2 and time.time() - t0 < budget:
        chunk = max(1, len(body) // n)
        reduced = False
        for s in range(0, len(body), chunk):
            cand = body[:s] + body[s + chunk:]
            if time.time() - t0 > budget:
                break
            if cand and fails(cand):
                body = cand
                n = max(n - 1, 2)
                reduced = True
                break
        if not reduced:
            if chunk == 1:
                break
            n = min(len(body), n * 2)
    return head + body, trials


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--target', default='wcache',
                    choices=['wcache', 'writecache'])
    ap.add_argument('--mode', default='snap',
                    choices=['snap', 'powercut', 'logwrites'])
    ap.add_argument('--sector', type=int, default=512, choices=[512, 4096],
                    help='logical block size of the RAM disks')
    ap.add_argument('--allow-4k', action='store_true',
                    help='allow --sector 4096 (oopses on main before the '
                    'fix of issue 15 bug 0)')
    ap.add_argument('--dev', default='nullb', choices=['nullb', 'brd'])
    ap.add_argument('--block', type=int, default=4096,
                    help='cache block size (table)')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--seeds', type=int, default=1,
                    help='run this many seeds from --seed on')
    ap.add_argument('--ops', type=int, default=300)
    ap.add_argument('--origin-mb', type=int, default=8)
    ap.add_argument('--cache-mb', type=int, default=2)
    ap.add_argument('--vcache-mb', type=int, default=4,
                    help='powercut: null_blk volatile cache size')
    ap.add_argument('--log-mb', type=int, default=768)
    ap.add_argument('--delay', type=int, default=0,
                    help='ms of write delay on the origin (dm-delay; '
                    'flushes are not delayed)')
    ap.add_argument('--no-origin-discard', dest='origin_discard',
                    action='store_false')
    ap.add_argument('--image-every', type=int, default=10,
                    help='snap/powercut: one image per N operations (mean)')
    ap.add_argument('--lw-sample', type=int, default=1,
                    help='logwrites: check every Nth FLUSH/FUA point')
    ap.add_argument('--max-images', type=int, default=0)
    ap.add_argument('--lw-skip-format', action='store_true',
                    help='logwrites: no crash points before the first '
                    'mark (while the target formats the cache; writecache '
                    'refuses such an image: "Invalid magic")')
    ap.add_argument('--drain-every', type=int, default=10)
    ap.add_argument('--full-every', type=int, default=25,
                    help='full live check every N operations (touched '
                    'blocks are checked after every operation)')
    ap.add_argument('--no-final-image', dest='final_image',
                    action='store_false')
    ap.add_argument('--keep', metavar='DIR',
                    help='keep every crash image in DIR')
    ap.add_argument('--shrink', type=int, default=0, metavar='SECS',
                    help='on failure, minimise the operations for up to '
                    'SECS seconds')
    ap.add_argument('--replay', metavar='FILE',
                    help='run the operation list in FILE (JSON, as printed '
                    'on failure) instead of a generated one')
    ap.add_argument('--print-ops', action='store_true')
    ap.add_argument('--selftest-ack', action='store_true',
                    help='self-test: the model claims every write durable '
                    'when it completes (a power cut must then be caught)')
    cfg = ap.parse_args()
    if cfg.sector == 4096 and not cfg.allow_4k:
        sys.exit('crashcheck: --sector 4096 oopses the kernel on main '
                 '(issue 15 bug 0, fixed on helper-fix15); pass --allow-4k '
                 'once the module has that fix')
    if cfg.sector == 4096 and cfg.dev == 'brd':
        sys.exit('crashcheck: brd has 512-byte sectors only')
    if cfg.block < cfg.sector:
        cfg.block = cfg.sector
    if cfg.mode != 'snap' and cfg.dev == 'brd':
        sys.exit('crashcheck: --mode %s needs null_blk' % cfg.mode)
    cfg.nblocks = cfg.origin_mb * 1048576 // cfg.block
    cfg.cache_blocks = cfg.cache_mb * 1048576 // cfg.block
    load_modules(cfg.target, cfg.mode, cfg.delay)

    tot_ops = tot_img = tot_live = failed = 0
    t0 = time.time()
    for seed in range(cfg.seed, cfg.seed + cfg.seeds):
        if cfg.replay:
            with open(cfg.replay) as f:
                d = json.load(f)
            ops = d['ops']
            seed = d.get('seed', seed)
        else:
            ops = gen_ops(seed, cfg, cfg.ops)
        if cfg.print_ops:
            print(json.dumps(ops))
        r = Run(cfg, ops, seed)
        fail = r.execute()
        tot_ops += len(ops)
        tot_img += r.images
        tot_live += r.lives
        extra = ''
        if cfg.mode == 'logwrites':
            extra = ', %d FLUSH/FUA points in the log' % getattr(
                r, 'lw_points', 0)
        print('# seed %d: %d ops, %d images, %d live checks%s, %s (%.0f s)' %
              (seed, len(ops), r.images, r.lives, extra,
               'FAILED' if fail else 'ok', time.time() - t0))
        if fail:
            failed += 1
            i, msg = fail
            print('FAIL: %s %s seed %d, op %d %s: %s' % (
                cfg.target, cfg.mode, seed, i,
                json.dumps(ops[i]) if i < len(ops) else '(end)', msg))
            if cfg.shrink:
                small, trials = shrink(cfg, ops, seed, fail, cfg.shrink)
                print('# minimised to %d ops in %d trials:' %
                      (len(small), trials))
                print('REPRO: ' + json.dumps({'seed': seed, 'ops': small}))
                rr = Run(cfg, small, seed).execute()
                if rr:
                    print('# minimised run fails at op %d: %s' % rr)
            else:
                print('REPRO: ' + json.dumps({'seed': seed,
                                              'ops': ops[:i + 1]}))
        if cfg.replay:
            break
    if os.environ.get('CC_PROFILE'):
        for k in sorted(PROF):
            print('# profile %s: %d ops, %.2f s' % (k, CNT[k], PROF[k]))
    print('crashcheck: %s %s sector %d seed %d..%d, %d ops, %d images, '
          '%d live checks, %d failed, %.0f s' % (
              cfg.target, cfg.mode, cfg.sector, cfg.seed,
              cfg.seed + cfg.seeds - 1, tot_ops, tot_img, tot_live, failed,
              time.time() - t0))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
