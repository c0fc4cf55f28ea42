# SPDX-License-Identifier: GPL-2.0
"""Device-mapper ioctls from Python, without libdevmapper or dmsetup.

One dmsetup process costs ~0.4 s under TCG; a crash image needs about ten
device-mapper operations, so the checker talks to /dev/mapper/control
itself.  Layout of struct dm_ioctl and struct dm_target_spec: the kernel's
include/uapi/linux/dm-ioctl.h (version 4).  No udev cookies: device nodes
are the /dev/dm-N nodes devtmpfs creates.
"""
import errno
import fcntl
import os
import struct
import time

HDR = struct.Struct('=3IIIIiIIIQ128s129s7s')	# 312 bytes
SPEC = struct.Struct('=QQiI16s')		# 40 bytes
assert HDR.size == 312 and SPEC.size == 40

DEV_CREATE, DEV_REMOVE, DEV_SUSPEND, DEV_STATUS = 3, 4, 6, 7
TABLE_LOAD, TABLE_CLEAR, TABLE_STATUS, TARGET_MSG = 9, 10, 12, 14

READONLY = 1 << 0
SUSPEND = 1 << 1
STATUS_TABLE = 1 << 4
BUFFER_FULL = 1 << 8
SKIP_LOCKFS = 1 << 10
NOFLUSH = 1 << 11

_ctl = None


def _ctlfd():
    global _ctl
    if _ctl is None:
        _ctl = os.open('/dev/mapper/control', os.O_RDWR)
    return _ctl


def _req(nr):
    return (3 << 30) | (HDR.size << 16) | (0xfd << 8) | nr


class DMError(OSError):
    pass


def ioctl(cmd, name, flags=0, payload=b'', targets=0, size=16384):
    buf = bytearray(size)
    HDR.pack_into(buf, 0, 4, 0, 0, size, HDR.size, targets, 0, flags, 0, 0,
                  0, name.encode(), b'', b'')
    buf[HDR.size:HDR.size + len(payload)] = payload
    try:
        fcntl.ioctl(_ctlfd(), _req(cmd), buf, True)
    except OSError as e:
        raise DMError(e.errno, '%s: dm ioctl %d: %s' %
                      (name, cmd, os.strerror(e.errno))) from None
    return buf


def _hdr(buf):
    return HDR.unpack_from(buf, 0)


def node(name):
    """/dev/dm-N of an existing device."""
    h = _hdr(ioctl(DEV_STATUS, name))
    return '/dev/dm-%d' % os.minor(h[10])


def exists(name):
    try:
        ioctl(DEV_STATUS, name)
        return True
    except DMError:
        return False


def _table(length, ttype, params):
    p = params.encode() + b'\0'
    p += b'\0' * (-len(p) % 8)
    return SPEC.pack(0, length, 0, 0, ttype.encode()) + p


def load(name, length, ttype, params):
    ioctl(TABLE_LOAD, name, payload=_table(length, ttype, params), targets=1)


def suspend(name, noflush=False):
    ioctl(DEV_SUSPEND, name, SUSPEND | SKIP_LOCKFS |
          (NOFLUSH if noflush else 0))


def resume(name):
    ioctl(DEV_SUSPEND, name, 0)


def create(name, length, ttype, params):
    """Create NAME with one target; returns its /dev/dm-N node."""
    ioctl(DEV_CREATE, name)
    try:
        load(name, length, ttype, params)
        resume(name)
    except DMError:
        try:
            ioctl(DEV_REMOVE, name)
        except DMError:
            pass
        raise
    n = node(name)
    for _ in range(100):
        if os.path.exists(n):
            break
        time.sleep(0.01)
    return n


def reload(name, length, ttype, params):
    load(name, length, ttype, params)
    suspend(name)
    resume(name)


def remove(name, tries=50):
    for i in range(tries):
        try:
            ioctl(DEV_REMOVE, name)
            return
        except DMError as e:
            if e.errno == errno.ENXIO:
                return
            if e.errno != errno.EBUSY or i == tries - 1:
                raise
            time.sleep(0.1)


def _out(buf):
    h = _hdr(buf)
    if h[7] & BUFFER_FULL:
        raise DMError(errno.ENOSPC, 'dm ioctl output truncated')
    return h[4], h[5]


def status(name, table=False):
    buf = ioctl(TABLE_STATUS, name, STATUS_TABLE if table else 0)
    start, count = _out(buf)
    if not count:
        return ''
    s = buf[start + SPEC.size:]
    return s[:s.index(0)].decode()


def message(name, msg):
    buf = ioctl(TARGET_MSG, name, payload=struct.pack('=Q', 0) +
                msg.encode() + b'\0')
    return buf
