# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""
ODP helpers for the pyverbs tests: fresh anonymous memory, ODP MRs, and the
device's ODP counters.

The counters are read the way any tool in another process reads them, by
hand on a command fd of its own: open /dev/infiniband/uverbs0, GET_CONTEXT
(a write command), then the ODP object's QUERY_COUNTERS method with scope
DEVICE (an RDMA_VERBS_IOCTL, rdma/uodp-odp-abi.h).  That answer holds the
device side's counters (faults raised, resumes accepted), the provider fault
engines' counters (faults serviced in userspace, summed over the live
contexts) and one record per ODP MR.  The method numbers and the counter
layouts are read from the uAPI header itself, so they are defined once.
"""

import ctypes
import os
import re
import struct
import time

import pyverbs.enums as e
from pyverbs import mem_alloc
from pyverbs.mr import MR

HERE = os.path.dirname(os.path.abspath(__file__))
UAPI_DIR = os.path.join(HERE, '..', '..', 'kernel-headers', 'rdma')
PAGE = 4096
ODP_ACCESS = e.IBV_ACCESS_LOCAL_WRITE | e.IBV_ACCESS_ON_DEMAND
ODP_ACCESS_ALL = (ODP_ACCESS | e.IBV_ACCESS_REMOTE_WRITE |
                  e.IBV_ACCESS_REMOTE_READ | e.IBV_ACCESS_REMOTE_ATOMIC)
SIZE_MAX = (1 << 64) - 1
COUNTER_WAIT = 3.0	# the engine bumps its counters just after the resume


# --- the uAPI headers -------------------------------------------------------
def _header(name):
    with open(os.path.join(UAPI_DIR, name)) as f:
        text = f.read()
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    return re.sub(r'//[^\n]*', '', text)


def _enum(text, name):
    body = re.search(r'enum\s+%s\s*\{(.*?)\}' % name, text, re.S).group(1)
    values, nxt = {}, 0
    for item in body.split(','):
        item = item.strip()
        if not item:
            continue
        if '=' in item:
            key, val = (s.strip() for s in item.split('=', 1))
            nxt = int(val, 0)
        else:
            key = item
        values[key] = nxt
        nxt += 1
    return values


def _defines(text):
    return {m.group(1): int(m.group(2), 0) for m in
            re.finditer(r'#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)\b', text)}


_CTYPES = {'uint64_t': 'Q', 'uint32_t': 'I', 'int32_t': 'i',
           'uint16_t': 'H', 'uint8_t': 'B'}


def _struct(text, name, defines):
    """[(field, fmt, count)] of a struct made only of fixed-size integers."""
    body = re.search(r'struct\s+%s\s*\{(.*?)\};' % name, text, re.S).group(1)
    fields = []
    for decl in body.split(';'):
        decl = decl.strip()
        if not decl:
            continue
        m = re.match(r'(\w+)\s+(\w+)(?:\[(\w+)\])?$', decl)
        if not m or m.group(1) not in _CTYPES:
            raise ValueError('struct %s: cannot parse "%s"' % (name, decl))
        count = m.group(3)
        count = int(defines.get(count, count)) if count else 1
        fields.append((m.group(2), _CTYPES[m.group(1)], count))
    return fields


class _Layout:
    """A little-endian (host) struct layout from the header."""

    def __init__(self, fields):
        self.fields = fields
        self.fmt = '<' + ''.join('%d%s' % (n, f) for _, f, n in fields)
        self.size = struct.calcsize(self.fmt)

    def unpack(self, buf):
        vals = list(struct.unpack_from(self.fmt, buf))
        out = {}
        for name, _, count in self.fields:
            if count == 1:
                out[name] = vals.pop(0)
            else:
                out[name] = vals[:count]
                del vals[:count]
        return out


_ODP_ABI = _header('uodp-odp-abi.h')
_DEFS = _defines(_ODP_ABI)
SCOPE = _enum(_ODP_ABI, 'uodp_counters_scope')
ODP_METHODS = _enum(_ODP_ABI, 'uodp_ib_odp_methods')
COUNTERS_ATTRS = _enum(_ODP_ABI, 'uodp_ib_odp_counters_attrs')
DEV_COUNTERS = _Layout(_struct(_ODP_ABI, 'uodp_odp_device_counters', _DEFS))
ENGINE_COUNTERS = _Layout(_struct(_ODP_ABI, 'uodp_odp_engine_counters',
                                  _DEFS))
MR_COUNTERS = _Layout(_struct(_ODP_ABI, 'uodp_odp_mr_counters', _DEFS))
MRS_PER_QUERY = _DEFS['UODP_COUNTERS_MRS_PER_QUERY']
HIST_BUCKETS = _DEFS['UODP_ODP_HIST_BUCKETS']
RESP_SIZE = (DEV_COUNTERS.size + ENGINE_COUNTERS.size + 8 +
             MRS_PER_QUERY * MR_COUNTERS.size)
# The kernel's uAPI (<rdma/rdma_user_ioctl_cmds.h>, <rdma/ib_user_verbs.h>).
RDMA_VERBS_IOCTL = 0xc0181b01
UVERBS_ATTR_F_MANDATORY = 1
IB_USER_VERBS_CMD_GET_CONTEXT = 0


class Counters:
    """One snapshot: dev{}, engine{} and mrs{key: {...}}."""

    def __init__(self, dev, engine, mrs):
        self.dev, self.engine, self.mrs = dev, engine, mrs

    def mr(self, key):
        return self.mrs.get(key)

    def __sub__(self, old):
        def diff(a, b):
            return {k: (v - b[k] if isinstance(v, int) else
                        [x - y for x, y in zip(v, b[k])])
                    for k, v in a.items()}
        return Counters(diff(self.dev, old.dev),
                        diff(self.engine, old.engine), self.mrs)

    def faults_raised(self):
        d = self.dev
        return (d['wqe_faults_requester'] + d['wqe_faults_responder'] +
                d['rdma_faults'])

    def __repr__(self):
        return 'dev=%r engine=%r' % (self.dev, self.engine)


class CounterReader:
    """A command fd of its own, asking the ODP object for the counters."""

    def __init__(self, ibdev='uodp0'):
        if ibdev != 'uodp0':
            raise ValueError('only uodp0 (uverbs0)')
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = os.open('/dev/infiniband/uverbs0',
                          os.O_RDWR | os.O_CLOEXEC)
        resp = ctypes.create_string_buffer(64)
        cmd = struct.pack('<IHHQ', IB_USER_VERBS_CMD_GET_CONTEXT, 4,
                          len(resp) // 4, ctypes.addressof(resp))
        os.write(self.fd, cmd)
        async_fd = struct.unpack_from('<I', resp.raw)[0]
        os.close(async_fd)      # the events of this context: none wanted
        self.resp = ctypes.create_string_buffer(RESP_SIZE)

    def _query(self, scope, cursor):
        req = struct.unpack('<Q', struct.pack('<II', scope, cursor))[0]
        hdr = struct.pack('<HHHHQII', 24 + 2 * 16,
                          _DEFS['UODP_IB_OBJECT_ODP'],
                          ODP_METHODS['UODP_IB_METHOD_ODP_QUERY_COUNTERS'],
                          2, 0, 0, 0)
        attrs = struct.pack('<HHHHQ',
                            COUNTERS_ATTRS['UODP_IB_ATTR_ODP_COUNTERS_REQ'],
                            8, UVERBS_ATTR_F_MANDATORY, 0, req)
        attrs += struct.pack('<HHHHQ',
                             COUNTERS_ATTRS['UODP_IB_ATTR_ODP_COUNTERS_RESP'],
                             RESP_SIZE, UVERBS_ATTR_F_MANDATORY, 0,
                             ctypes.addressof(self.resp))
        buf = ctypes.create_string_buffer(hdr + attrs)
        if self.libc.ioctl(self.fd, ctypes.c_ulong(RDMA_VERBS_IOCTL), buf):
            err = ctypes.get_errno()
            raise OSError(err, 'QUERY_COUNTERS: %s' % os.strerror(err))
        return self.resp.raw

    def query(self):
        mrs, cursor = {}, 0
        while True:
            body = self._query(SCOPE['UODP_COUNTERS_DEVICE'], cursor)
            dev = DEV_COUNTERS.unpack(body)
            off = DEV_COUNTERS.size
            engine = ENGINE_COUNTERS.unpack(body[off:])
            off += ENGINE_COUNTERS.size
            nmrs, nxt = struct.unpack_from('<II', body, off)
            off += 8
            for i in range(min(nmrs, MRS_PER_QUERY)):
                rec = MR_COUNTERS.unpack(body[off + i * MR_COUNTERS.size:])
                mrs[rec['mr_key']] = rec
            if not nxt or nxt == cursor:
                return Counters(dev, engine, mrs)
            cursor = nxt

    def close(self):
        os.close(self.fd)


_READER = None


def counters():
    """A snapshot of the device's ODP counters (one shared connection)."""
    global _READER
    if _READER is None:
        _READER = CounterReader()
    return _READER.query()


def wait_counters(check, deadline=COUNTER_WAIT):
    """Re-read the counters until check(snapshot) is true; the last one."""
    end = time.monotonic() + deadline
    while True:
        snap = counters()
        if check(snap) or time.monotonic() > end:
            return snap
        time.sleep(0.01)


def service_quantile(hist, q):
    """Upper bound (ns) of the histogram bucket holding quantile q."""
    total = sum(hist)
    if not total:
        return 0
    seen = 0
    for i, n in enumerate(hist):
        seen += n
        if seen >= q * total:
            return 1 << (i + 8)
    return 1 << (len(hist) + 7)


# --- fresh memory -----------------------------------------------------------
class Fresh:
    """Anonymous memory never touched before: every page faults first."""

    def __init__(self, length):
        self.length = (length + PAGE - 1) // PAGE * PAGE
        self.addr = mem_alloc.mmap(length=self.length,
                                   prot=mem_alloc.PROT_READ_ |
                                   mem_alloc.PROT_WRITE_,
                                   flags=mem_alloc.MAP_PRIVATE_ |
                                   mem_alloc.MAP_ANONYMOUS_)
        self.mapped = True

    def unmap(self):
        if self.mapped:
            mem_alloc.munmap(self.addr, self.length)
            self.mapped = False

    def unmap_and_hold(self):
        """
        Take the memory away from the process for good: unmapped, then the
        hole held by an inaccessible (PROT_NONE) reservation, so that no
        later allocation (an MR buffer, a queue) can land at these
        addresses and make them valid again.
        """
        self.unmap()
        map_fixed, map_noreserve = 0x10, 0x4000   # Linux values
        addr = mem_alloc.mmap(addr=self.addr, length=self.length, prot=0,
                              flags=mem_alloc.MAP_PRIVATE_ |
                              mem_alloc.MAP_ANONYMOUS_ | map_fixed |
                              map_noreserve)
        assert addr == self.addr
        self.mapped = True      # the reservation is unmapped at the end

    def touch(self):
        """Make every page resident in the process (not on the device)."""
        for off in range(0, self.length, PAGE):
            mem_alloc.write(self.addr + off, b'\0', 1)


def odp_mr(pd, length, access=ODP_ACCESS_ALL):
    """An explicit ODP MR over fresh memory; returns (mr, fresh)."""
    mem = Fresh(length)
    mr = MR(pd, mem.length, access, address=mem.addr)
    return mr, mem


def implicit_mr(pd, access=ODP_ACCESS_ALL):
    """
    An implicit ODP MR: pyverbs registers ibv_reg_mr(pd, NULL, SIZE_MAX,
    access) (its own small buffer is not used: data goes through Fresh
    memory with the implicit MR's keys).
    """
    return MR(pd, PAGE, access, implicit=True)
