# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""
Shared resources for the uodp pyverbs tests.

Every test opens two device contexts on uodp0 in this one process, a
"server" and a "client" side, and connects their queues through the device:
the traffic loops back through uodpd exactly as it would between two
processes.  Completions are always polled against a deadline, so a lost
completion fails the test instead of hanging it.
"""

import errno
import os
import tempfile
import time
import unittest

import pyverbs.enums as e
from pyverbs.addr import AH, AHAttr, GlobalRoute
from pyverbs.cq import CQ
from pyverbs.device import Context
from pyverbs.mr import MR
from pyverbs.pd import PD
from pyverbs.pyverbs_error import PyverbsRDMAError
from pyverbs.qp import QP, QPAttr, QPCap, QPInitAttr, QPInitAttrEx
from pyverbs.srq import SRQ, SrqAttr, SrqInitAttr, SrqInitAttrEx
from pyverbs.wr import SGE, RecvWR, SendWR
from pyverbs.xrcd import XRCD, XRCDInitAttr

DEV_NAME = os.environ.get('UODP_DEV', 'uodp0')
IB_PORT = 1
DEADLINE = float(os.environ.get('UODP_TEST_DEADLINE', '10'))
GRH_SIZE = 40
UD_QKEY = 0x11111111
PATH_MTU = e.IBV_MTU_1024

ACCESS_ALL = (e.IBV_ACCESS_LOCAL_WRITE | e.IBV_ACCESS_REMOTE_WRITE |
              e.IBV_ACCESS_REMOTE_READ | e.IBV_ACCESS_REMOTE_ATOMIC)

# Required attribute masks per transition (as the kernel's qp state table).
INIT_MASK = (e.IBV_QP_STATE | e.IBV_QP_PKEY_INDEX | e.IBV_QP_PORT |
             e.IBV_QP_ACCESS_FLAGS)
UD_INIT_MASK = (e.IBV_QP_STATE | e.IBV_QP_PKEY_INDEX | e.IBV_QP_PORT |
                e.IBV_QP_QKEY)
RC_RTR_MASK = (e.IBV_QP_STATE | e.IBV_QP_AV | e.IBV_QP_PATH_MTU |
               e.IBV_QP_DEST_QPN | e.IBV_QP_RQ_PSN |
               e.IBV_QP_MAX_DEST_RD_ATOMIC | e.IBV_QP_MIN_RNR_TIMER)
XRC_INI_RTR_MASK = (e.IBV_QP_STATE | e.IBV_QP_AV | e.IBV_QP_PATH_MTU |
                    e.IBV_QP_DEST_QPN | e.IBV_QP_RQ_PSN)
RC_RTS_MASK = (e.IBV_QP_STATE | e.IBV_QP_TIMEOUT | e.IBV_QP_RETRY_CNT |
               e.IBV_QP_RNR_RETRY | e.IBV_QP_SQ_PSN |
               e.IBV_QP_MAX_QP_RD_ATOMIC)
XRC_TGT_RTS_MASK = e.IBV_QP_STATE | e.IBV_QP_TIMEOUT | e.IBV_QP_SQ_PSN
# UC: connected as RC, without responder resources, timeouts or retries.
UC_RTR_MASK = XRC_INI_RTR_MASK
UC_RTS_MASK = e.IBV_QP_STATE | e.IBV_QP_SQ_PSN

WC_STATUS_NAMES = {getattr(e, n): n for n in dir(e)
                   if n.startswith('IBV_WC_') and n.endswith('_ERR')}
WC_STATUS_NAMES[e.IBV_WC_SUCCESS] = 'IBV_WC_SUCCESS'


def status_name(status):
    return WC_STATUS_NAMES.get(status, 'status %d' % status)


def pattern(length, seed):
    """Bytes nobody could confuse with another message or with zeros."""
    return bytes(((i * 7 + seed * 31 + 1) & 0xff) for i in range(length))


def roce_v2_gid_index(ctx, port=IB_PORT):
    """The first non-zero RoCE v2 GID of the port (rdma-core tests do so)."""
    port_attr = ctx.query_port(port)
    for index in range(port_attr.gid_tbl_len):
        gid = ctx.query_gid(port, index)
        if gid.gid.replace(':', '').strip('0') == '':
            continue
        try:
            # ibv_query_gid_type answers in the sysfs enum
            if ctx.query_gid_type(port, index) == \
                    e.IBV_GID_TYPE_SYSFS_ROCE_V2:
                return index
        except PyverbsRDMAError:
            continue
    # a failure, not a skip: uodp0 must have RoCE v2 GIDs
    raise AssertionError('no RoCE v2 GID on %s' % DEV_NAME)


def poll_cq(cq, count=1, deadline=DEADLINE):
    """Poll until count completions arrived; fail after deadline seconds."""
    wcs = []
    end = time.monotonic() + deadline
    idle = 0
    while len(wcs) < count:
        n, polled = cq.poll(count - len(wcs))
        if n > 0:
            wcs.extend(polled[:n])
            idle = 0
            continue
        if time.monotonic() > end:
            raise AssertionError('%d of %d completions after %.1f s' %
                                 (len(wcs), count, deadline))
        idle += 1
        if idle > 200:
            time.sleep(0.0002)	# leave the CPU to uodpd
    return wcs


def expect_no_completion(cq, wait=0.3):
    """Nothing must arrive on cq for wait seconds."""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        n, polled = cq.poll(1)
        if n > 0:
            raise AssertionError('unexpected completion: wr_id %d %s' %
                                 (polled[0].wr_id,
                                  status_name(polled[0].status)))
        time.sleep(0.001)


class Side:
    """One end of a connection: context, PD, CQ and (later) QPs and MRs."""

    def __init__(self, name, cq_depth=256):
        self.name = name
        self.ctx = Context(name=DEV_NAME)
        self.pd = PD(self.ctx)
        self.cq = CQ(self.ctx, cq_depth, None, None, 0)
        self.gid_index = roce_v2_gid_index(self.ctx)
        self.gid = self.ctx.query_gid(IB_PORT, self.gid_index)
        self.qps = []

    def mr(self, length, access=ACCESS_ALL):
        return MR(self.pd, length, access)

    def ah_attr(self, remote):
        gr = GlobalRoute(dgid=remote.gid, sgid_index=self.gid_index)
        return AHAttr(port_num=IB_PORT, is_global=1, gr=gr, dlid=0)

    def close(self):
        self.ctx.close()


def qp_state(qp):
    attr, _ = qp.query(e.IBV_QP_STATE)
    return attr.qp_state


def new_rc_qp(side, srq=None, max_send_wr=64, max_recv_wr=64,
              max_send_sge=4, max_recv_sge=4, max_inline_data=0,
              qp_type=e.IBV_QPT_RC):
    cap = QPCap(max_send_wr=max_send_wr, max_recv_wr=max_recv_wr,
                max_send_sge=max_send_sge, max_recv_sge=max_recv_sge,
                max_inline_data=max_inline_data)
    init = QPInitAttr(qp_type=qp_type, scq=side.cq, rcq=side.cq, srq=srq,
                      cap=cap, sq_sig_all=1)
    qp = QP(side.pd, init)
    side.qps.append(qp)
    return qp


def qp_to_init(qp, access=ACCESS_ALL, mask=INIT_MASK):
    attr = QPAttr(qp_state=e.IBV_QPS_INIT)
    attr.pkey_index = 0
    attr.port_num = IB_PORT
    attr.qp_access_flags = access
    qp.modify(attr, mask)


def rc_connect(qp, local, remote, remote_qpn, access=ACCESS_ALL,
               rnr_retry=7, retry_cnt=7, timeout=14, min_rnr_timer=1,
               max_rd_atomic=4, max_dest_rd_atomic=4,
               rtr_mask=RC_RTR_MASK, rts_mask=RC_RTS_MASK, init=True):
    """RESET -> INIT -> RTR -> RTS for an RC (or XRC) QP with explicit masks."""
    if init:
        qp_to_init(qp, access)
    attr = QPAttr(qp_state=e.IBV_QPS_RTR)
    attr.path_mtu = PATH_MTU
    attr.dest_qp_num = remote_qpn
    attr.rq_psn = 0
    attr.max_dest_rd_atomic = max_dest_rd_atomic
    attr.min_rnr_timer = min_rnr_timer
    attr.ah_attr = local.ah_attr(remote)
    qp.modify(attr, rtr_mask)
    attr = QPAttr(qp_state=e.IBV_QPS_RTS)
    attr.sq_psn = 0
    attr.timeout = timeout
    attr.retry_cnt = retry_cnt
    attr.rnr_retry = rnr_retry
    attr.max_rd_atomic = max_rd_atomic
    qp.modify(attr, rts_mask)


def send_wr(wr_id, sges, opcode=e.IBV_WR_SEND, flags=0, imm=0):
    return SendWR(wr_id=wr_id, opcode=opcode, num_sge=len(sges), sg=sges,
                  send_flags=flags, imm_data=imm)


def recv_wr(wr_id, sges):
    return RecvWR(wr_id=wr_id, num_sge=len(sges), sg=sges)


class UodpTestCase(unittest.TestCase):
    """Two sides on uodp0; every resource dies with its context."""

    def setUp(self):
        self.sides = []
        self.server = self.new_side('server')
        self.client = self.new_side('client')

    def new_side(self, name, cq_depth=256):
        side = Side(name, cq_depth)
        self.sides.append(side)
        return side

    def tearDown(self):
        for side in reversed(self.sides):
            side.close()

    # --- assertions -----------------------------------------------------
    def assert_wc(self, wc, status=e.IBV_WC_SUCCESS, wr_id=None, opcode=None,
                  byte_len=None):
        self.assertEqual(status_name(wc.status), status_name(status),
                         'wr_id %d' % wc.wr_id)
        if wr_id is not None:
            self.assertEqual(wc.wr_id, wr_id)
        if opcode is not None and status == e.IBV_WC_SUCCESS:
            self.assertEqual(wc.opcode, opcode)
        if byte_len is not None:
            self.assertEqual(wc.byte_len, byte_len)

    def assert_qp_error(self, qp):
        self.assertEqual(qp_state(qp), e.IBV_QPS_ERR,
                         'QP 0x%x did not move to the error state' % qp.qp_num)

    def assert_errno(self, err, codes, what):
        code = getattr(err, 'error_code', None)
        if isinstance(codes, int):
            codes = (codes,)
        self.assertIn(code, codes, '%s: got %s (%s), expected %s' %
                      (what, code, err, '/'.join(errno.errorcode[c]
                                                  for c in codes)))

    def check_sends(self, sqp, cqp, sizes, slot):
        """SENDs of sizes from cqp to sqp, one receive slot each, in order,
        every byte checked."""
        rmr = self.server.mr(slot * len(sizes))
        smr = self.client.mr(slot * len(sizes))
        for i, size in enumerate(sizes):
            sqp.post_recv(recv_wr(100 + i, [SGE(rmr.buf + i * slot, slot,
                                                rmr.lkey)]))
        for i, size in enumerate(sizes):
            smr.write(pattern(size, i), size, i * slot)
            cqp.post_send(send_wr(200 + i, [SGE(smr.buf + i * slot, size,
                                                smr.lkey)]))
        for i, wc in enumerate(poll_cq(self.client.cq, len(sizes))):
            self.assert_wc(wc, wr_id=200 + i, opcode=e.IBV_WC_SEND)
        for i, wc in enumerate(poll_cq(self.server.cq, len(sizes))):
            self.assert_wc(wc, wr_id=100 + i, opcode=e.IBV_WC_RECV,
                           byte_len=sizes[i])
            self.assertEqual(wc.qp_num, sqp.qp_num)
            self.assertEqual(rmr.read(sizes[i], i * slot),
                             pattern(sizes[i], i))

    # --- connections ------------------------------------------------------
    def rc_pair(self, server_kw=None, client_kw=None, conn_kw=None,
                server_conn_kw=None, client_conn_kw=None):
        """A connected RC QP pair; returns (server_qp, client_qp)."""
        sqp = new_rc_qp(self.server, **(server_kw or {}))
        cqp = new_rc_qp(self.client, **(client_kw or {}))
        skw = dict(conn_kw or {}, **(server_conn_kw or {}))
        ckw = dict(conn_kw or {}, **(client_conn_kw or {}))
        rc_connect(sqp, self.server, self.client, cqp.qp_num, **skw)
        rc_connect(cqp, self.client, self.server, sqp.qp_num, **ckw)
        return sqp, cqp

    def uc_pair(self, server_kw=None, client_kw=None):
        """A connected UC QP pair; returns (server_qp, client_qp)."""
        kw = {'rtr_mask': UC_RTR_MASK, 'rts_mask': UC_RTS_MASK}
        return self.rc_pair(dict(server_kw or {}, qp_type=e.IBV_QPT_UC),
                            dict(client_kw or {}, qp_type=e.IBV_QPT_UC),
                            conn_kw=kw)


def make_xrcd(side):
    """An XRC domain opened through a file, as ibv_xrcd users do."""
    tmp = tempfile.NamedTemporaryFile(prefix='uodp-xrcd-')
    fd = os.open(tmp.name, os.O_RDONLY)
    init = XRCDInitAttr(e.IBV_XRCD_INIT_ATTR_FD | e.IBV_XRCD_INIT_ATTR_OFLAGS,
                        os.O_CREAT, fd)
    xrcd = XRCD(side.ctx, init)
    return xrcd, tmp, fd


def make_xrc_srq(side, xrcd, max_wr=64, max_sge=2):
    attr = SrqInitAttrEx(max_wr=max_wr, max_sge=max_sge)
    attr.srq_type = e.IBV_SRQT_XRC
    attr.pd = side.pd
    attr.xrcd = xrcd
    attr.cq = side.cq
    attr.comp_mask = (e.IBV_SRQ_INIT_ATTR_TYPE | e.IBV_SRQ_INIT_ATTR_PD |
                      e.IBV_SRQ_INIT_ATTR_CQ | e.IBV_SRQ_INIT_ATTR_XRCD)
    return SRQ(side.ctx, attr)


def make_srq(side, max_wr=256, max_sge=2):
    return SRQ(side.pd, SrqInitAttr(SrqAttr(max_wr=max_wr, max_sge=max_sge)))


def make_xrc_recv_qp(side, xrcd):
    attr = QPInitAttrEx(qp_type=e.IBV_QPT_XRC_RECV,
                        comp_mask=e.IBV_QP_INIT_ATTR_XRCD, xrcd=xrcd)
    return QP(side.ctx, attr)


def make_xrc_send_qp(side, max_send_wr=64):
    cap = QPCap(max_send_wr=max_send_wr, max_recv_wr=0, max_send_sge=2,
                max_recv_sge=0)
    attr = QPInitAttrEx(qp_type=e.IBV_QPT_XRC_SEND, sq_sig_all=1,
                        comp_mask=e.IBV_QP_INIT_ATTR_PD, pd=side.pd,
                        scq=side.cq, cap=cap)
    return QP(side.ctx, attr)


# A refused RC request is a packet nobody acknowledges: fail fast.
FAST_RETRY = dict(timeout=1, retry_cnt=1, max_rd_atomic=1,
                  max_dest_rd_atomic=1)


def make_xrc_loopback(side):
    """side's XRC domain, SRQ and an INI -> TGT pair connected to each
    other (retrying fast): (xrcd, its file, the file's fd, srq, tgt, ini).
    The caller keeps the file, the fd and tgt for as long as it uses ini."""
    xrcd, tmp, fd = make_xrcd(side)
    srq = make_xrc_srq(side, xrcd)
    tgt = make_xrc_recv_qp(side, xrcd)
    ini = make_xrc_send_qp(side)
    rc_connect(ini, side, side, tgt.qp_num, access=0,
               rtr_mask=XRC_INI_RTR_MASK, **FAST_RETRY)
    rc_connect(tgt, side, side, ini.qp_num, rtr_mask=RC_RTR_MASK,
               rts_mask=XRC_TGT_RTS_MASK, **FAST_RETRY)
    return xrcd, tmp, fd, srq, tgt, ini


def make_ud_qp(side, qkey=UD_QKEY, max_send_wr=64, max_recv_wr=64):
    cap = QPCap(max_send_wr=max_send_wr, max_recv_wr=max_recv_wr,
                max_send_sge=2, max_recv_sge=2)
    init = QPInitAttr(qp_type=e.IBV_QPT_UD, scq=side.cq, rcq=side.cq,
                      cap=cap, sq_sig_all=1)
    qp = QP(side.pd, init)
    attr = QPAttr(qp_state=e.IBV_QPS_INIT)
    attr.pkey_index = 0
    attr.port_num = IB_PORT
    attr.qkey = qkey
    qp.modify(attr, UD_INIT_MASK)
    attr = QPAttr(qp_state=e.IBV_QPS_RTR)
    qp.modify(attr, e.IBV_QP_STATE)
    attr = QPAttr(qp_state=e.IBV_QPS_RTS)
    attr.sq_psn = 0
    qp.modify(attr, e.IBV_QP_STATE | e.IBV_QP_SQ_PSN)
    side.qps.append(qp)
    return qp


def make_ah(side, remote):
    return AH(side.pd, attr=side.ah_attr(remote))
