# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""
ODP on uodp0: what rdma-core's tests/test_odp.py covers, and more.

Every iteration registers its ODP MRs over FRESH anonymous memory (mmap per
iteration), so every iteration really faults; the data is written by the CPU
after registration, which the device does not see (an explicit ODP MR only
starts with the pages resident at registration).  Each test then proves from
the device's counters (QUERY_COUNTERS, see uodp_odp.py) that the faults were
raised on the device side, read and serviced by the provider's fault engine
in userspace (its published counters), and resumed without error; the
prefetch tests prove that prefetching avoided the faults (no fault at all on
the prefetched MRs).

UODP_ODP_ITERS sets the iterations per test (default 12; upstream uses 100).
"""

import os
import struct

import pyverbs.enums as e
from pyverbs.mr import MR
from pyverbs.pd import PD
from pyverbs.pyverbs_error import PyverbsRDMAError
from pyverbs.wr import SGE

from uodp_base import (GRH_SIZE, RC_RTR_MASK, UD_QKEY, XRC_INI_RTR_MASK,
                       XRC_TGT_RTS_MASK, UodpTestCase, make_ah, make_srq,
                       make_ud_qp, make_xrc_recv_qp, make_xrc_send_qp,
                       make_xrc_srq, make_xrcd, new_rc_qp, pattern, poll_cq,
                       rc_connect, recv_wr, send_wr)
from uodp_odp import (ODP_ACCESS, ODP_ACCESS_ALL, PAGE, SIZE_MAX, Fresh,
                      counters, implicit_mr, odp_mr, wait_counters)

ITERS = int(os.environ.get('UODP_ODP_ITERS', '12'))
# UODP_UD_RESEND=0: a UD receive fault must not drop the datagram
UD_RESEND = os.environ.get('UODP_UD_RESEND', '1') != '0'
MSG = 3 * PAGE + 1000		# spans four pages at offset OFF
OFF = 100

PREFETCH = e._IBV_ADVISE_MR_ADVICE_PREFETCH
PREFETCH_WRITE = e._IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE
PREFETCH_NO_FAULT = e._IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT
FLUSH = e._IBV_ADVISE_MR_FLAG_FLUSH

S, R, W, RD, A, SRQ_R = (e.IBV_ODP_SUPPORT_SEND, e.IBV_ODP_SUPPORT_RECV,
                         e.IBV_ODP_SUPPORT_WRITE, e.IBV_ODP_SUPPORT_READ,
                         e.IBV_ODP_SUPPORT_ATOMIC, e.IBV_ODP_SUPPORT_SRQ_RECV)

# Every capability bit uodp0 may advertise, and the tests that prove it.
EXERCISED = {
    ('general', e.IBV_ODP_SUPPORT): 'every test',
    ('general', e.IBV_ODP_SUPPORT_IMPLICIT): 'test_implicit_rc',
    ('rc', S): 'test_rc_send_recv', ('rc', R): 'test_rc_send_recv',
    ('rc', W): 'test_rc_rdma_write', ('rc', RD): 'test_rc_rdma_read',
    ('rc', A): 'test_rc_compare_swap, test_rc_fetch_add',
    ('rc', SRQ_R): 'test_rc_srq',
    ('ud', S): 'test_ud_send', ('ud', R): 'test_ud_recv',
    ('ud', SRQ_R): 'test_ud_srq_recv',
    ('xrc', S): 'test_xrc', ('xrc', SRQ_R): 'test_xrc',
    ('xrc', W): 'test_xrc_rdma', ('xrc', RD): 'test_xrc_rdma',
    ('xrc', A): 'test_xrc_rdma',
}
# What the design says works (odp.md); ud srq_recv is optional.
REQUIRED = {
    'general': e.IBV_ODP_SUPPORT | e.IBV_ODP_SUPPORT_IMPLICIT,
    'rc': S | R | W | RD | A | SRQ_R,
    'uc': 0,
    'ud': S | R,
    'xrc': S | W | RD | A | SRQ_R,
}
ALLOWED_EXTRA = {'ud': SRQ_R}


def bit_names(mask):
    names = [n for n in ('SEND', 'RECV', 'WRITE', 'READ', 'ATOMIC',
                         'SRQ_RECV') if mask & getattr(e, 'IBV_ODP_SUPPORT_' + n)]
    return '|'.join(names) or '0'


def u64(mr, off=0):
    return struct.unpack('=Q', mr.read(8, off))[0]


class ODPTestCase(UodpTestCase):
    """Two sides on uodp0 plus fresh memory and counter bookkeeping."""

    def setUp(self):
        super().setUp()
        self.mems = []
        attr = self.server.ctx.query_device_ex()
        odp = attr.odp_caps
        self.caps = {'general': odp.general_caps, 'rc': odp.rc_odp_caps,
                     'uc': odp.uc_odp_caps, 'ud': odp.ud_odp_caps,
                     'xrc': odp.xrc_odp_caps}

    def tearDown(self):
        super().tearDown()
        for mem in self.mems:
            mem.unmap()

    # --- resources --------------------------------------------------------
    def require(self, transport, bits):
        """uodp0 must advertise bits: a missing one is a failure here."""
        if not self.caps['general'] & e.IBV_ODP_SUPPORT:
            self.fail('uodp0 does not advertise IBV_ODP_SUPPORT')
        missing = bits & ~self.caps[transport]
        self.assertEqual(missing, 0, '%s ODP caps lack %s' %
                         (transport, bit_names(missing)))

    def odp(self, side, length, access=ODP_ACCESS_ALL):
        mr, mem = odp_mr(side.pd, length, access)
        self.mems.append(mem)
        return mr, mem

    def fresh(self, length):
        mem = Fresh(length)
        self.mems.append(mem)
        return mem

    @staticmethod
    def release(*objs):
        for obj in objs:
            if isinstance(obj, Fresh):
                obj.unmap()
            else:
                obj.close()

    # --- counters ---------------------------------------------------------
    def mark(self):
        self.before = counters()
        return self.before

    def assert_serviced(self, before=None, requester=0, responder=0, rdma=0):
        """
        Since before: the device raised at least the faults given (by kind),
        the provider's engine read every one of them and resumed each
        without error, and the device accepted every resume.
        """
        before = before or self.before

        def settled(snap):
            d = snap - before
            eng = d.engine
            return (d.dev['wqe_faults_requester'] >= requester and
                    d.dev['wqe_faults_responder'] >= responder and
                    d.dev['rdma_faults'] >= rdma and
                    eng['faults_serviced'] + eng['faults_failed'] >=
                    d.faults_raised() and
                    d.dev['resumes'] >= d.faults_raised())
        d = wait_counters(settled) - before
        dev, eng = d.dev, d.engine
        msg = 'counters since the start: %r' % d
        self.assertGreaterEqual(dev['wqe_faults_requester'], requester,
                                'requester WQE faults raised; ' + msg)
        self.assertGreaterEqual(dev['wqe_faults_responder'], responder,
                                'responder WQE faults raised; ' + msg)
        self.assertGreaterEqual(dev['rdma_faults'], rdma,
                                'RDMA responder faults raised; ' + msg)
        # the engine in userspace read every one, by kind
        self.assertEqual(eng['faults_wqe_requester'],
                         dev['wqe_faults_requester'], msg)
        self.assertEqual(eng['faults_wqe_responder'],
                         dev['wqe_faults_responder'], msg)
        self.assertEqual(eng['faults_rdma'], dev['rdma_faults'], msg)
        # ... serviced each one without error
        self.assertEqual(eng['faults_failed'], 0, msg)
        self.assertEqual(eng['faults_serviced'], d.faults_raised(), msg)
        self.assertGreaterEqual(eng['pages_mapped'], 1, msg)
        self.assertGreaterEqual(sum(eng['service_hist']),
                                eng['faults_serviced'], msg)
        # ... and the device accepted every resume
        self.assertEqual(dev['resumes'], d.faults_raised(), msg)
        self.assertEqual(dev['resumes_error'], 0, msg)
        self.assertEqual(dev['resumes_refused'], 0, msg)
        return d

    def assert_no_faults(self, before=None):
        d = counters() - (before or self.before)
        self.assertEqual(d.faults_raised(), 0,
                         'faults raised although prefetched: %r' % d.dev)
        return d

    def mr_record(self, mr):
        snap = counters()
        rec = snap.mr(mr.lkey) or snap.mr(mr.rkey)
        self.assertIsNotNone(rec, 'MR 0x%x is not listed by QUERY_COUNTERS'
                             % mr.lkey)
        return rec

    def assert_mr_faulted(self, *mrs):
        for mr in mrs:
            self.assertGreaterEqual(self.mr_record(mr)['faults'], 1,
                                    'MR 0x%x never faulted' % mr.lkey)

    # --- connections ------------------------------------------------------
    def rc_odp_pair(self, **kw):
        conn = dict(max_rd_atomic=1, max_dest_rd_atomic=1, timeout=14,
                    retry_cnt=7, rnr_retry=7, min_rnr_timer=12)
        conn.update(kw)
        return self.rc_pair(conn_kw=conn)


class ODPCapsTest(ODPTestCase):

    def test_caps_exact(self):
        """The advertised ODP caps are exactly what the tests prove."""
        for transport, required in REQUIRED.items():
            got = self.caps[transport]
            extra = got & ~required & ~ALLOWED_EXTRA.get(transport, 0)
            if transport == 'general':
                self.assertEqual(got, required, 'general ODP caps 0x%x' % got)
                continue
            self.assertEqual(got & required, required,
                             '%s ODP caps %s lack %s' %
                             (transport, bit_names(got),
                              bit_names(required & ~got)))
            self.assertEqual(extra, 0, '%s ODP caps advertise %s, which no '
                             'test proves' % (transport, bit_names(extra)))
        for transport in ('rc', 'ud', 'xrc'):
            for bit in (S, R, W, RD, A, SRQ_R):
                if self.caps[transport] & bit:
                    self.assertIn((transport, bit), EXERCISED)


class ODPRegistrationTest(ODPTestCase):

    def test_explicit_fresh_starts_absent(self):
        before = self.mark()
        mr, mem = self.odp(self.server, 8 * PAGE)
        rec = self.mr_record(mr)
        self.assertEqual(rec['length'], 8 * PAGE)
        self.assertEqual(rec['pages_present'], 0)
        self.assertEqual(rec['owner_pid'], os.getpid())
        self.assertEqual((counters() - before).dev['odp_mrs'], 1)
        mr.close()
        self.assertEqual((counters() - before).dev['odp_mrs'], 0)

    def test_explicit_resident_starts_present(self):
        """Pages resident at registration are present: no fault on them."""
        mem = self.fresh(4 * PAGE)
        mem.touch()
        mr = MR(self.client.pd, mem.length, ODP_ACCESS_ALL, address=mem.addr)
        self.assertEqual(self.mr_record(mr)['pages_present'], 4)
        rmr = MR(self.server.pd, 4 * PAGE, e.IBV_ACCESS_LOCAL_WRITE)
        sqp, cqp = self.rc_odp_pair()
        self.mark()
        mem_data = pattern(4 * PAGE, 3)
        mr.write(mem_data, len(mem_data), 0)
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, 4 * PAGE, rmr.lkey)]))
        cqp.post_send(send_wr(2, [SGE(mem.addr, 4 * PAGE, mr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=2)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=1)
        self.assertEqual(rmr.read(4 * PAGE, 0), mem_data)
        self.assert_no_faults()
        self.assertEqual(self.mr_record(mr)['faults'], 0)

    def test_implicit(self):
        self.require('general', e.IBV_ODP_SUPPORT_IMPLICIT)
        before = self.mark()
        mr = implicit_mr(self.server.pd)
        rec = self.mr_record(mr)
        self.assertEqual(rec['length'], SIZE_MAX)
        self.assertEqual((counters() - before).dev['odp_mrs'], 1)

    def assert_reg_fails(self, codes, what, *args, **kw):
        with self.assertRaises(PyverbsRDMAError, msg=what) as cm:
            MR(*args, **kw)
        self.assert_errno(cm.exception, codes, what)

    def test_bad_registrations(self):
        pd = self.server.pd
        mem = self.fresh(2 * PAGE)
        self.assert_reg_fails((22,), 'ODP REMOTE_WRITE without LOCAL_WRITE',
                              pd, mem.length, e.IBV_ACCESS_ON_DEMAND |
                              e.IBV_ACCESS_REMOTE_WRITE, address=mem.addr)
        self.assert_reg_fails((22, 12, 14),
                              'NULL/SIZE_MAX without ON_DEMAND (implicit '
                              'needs ODP)', pd, PAGE,
                              e.IBV_ACCESS_LOCAL_WRITE, implicit=True)
        self.assert_reg_fails((22,), 'addr != 0 with length SIZE_MAX',
                              pd, SIZE_MAX, ODP_ACCESS, address=mem.addr)
        self.assert_reg_fails((22, 14), 'explicit ODP MR wrapping around',
                              pd, SIZE_MAX - mem.addr + 2 * PAGE, ODP_ACCESS,
                              address=mem.addr)

    def test_unmapped_range_registers_then_fails_cleanly(self):
        """As Linux: ODP over unmapped memory registers; use fails cleanly."""
        mem = self.fresh(2 * PAGE)
        mem.unmap_and_hold()
        mr = MR(self.client.pd, 2 * PAGE, ODP_ACCESS_ALL, address=mem.addr)
        rmr = MR(self.server.pd, 2 * PAGE, e.IBV_ACCESS_LOCAL_WRITE)
        sqp, cqp = self.rc_odp_pair()
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, 2 * PAGE, rmr.lkey)]))
        cqp.post_send(send_wr(2, [SGE(mem.addr, 2 * PAGE, mr.lkey)]))
        wc = poll_cq(self.client.cq)[0]
        self.assertNotEqual(wc.status, e.IBV_WC_SUCCESS,
                            'a send from unmapped memory succeeded')
        self.assert_qp_error(cqp)
        # the device and the engine are fine: a fresh pair works
        sqp2, cqp2 = self.rc_odp_pair()
        smr, smem = self.odp(self.client, PAGE)
        smr.write(pattern(64, 1), 64, 0)
        sqp2.post_recv(recv_wr(3, [SGE(rmr.buf, 64, rmr.lkey)]))
        cqp2.post_send(send_wr(4, [SGE(smem.addr, 64, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=4)
        # nothing reached the first pair's receive: only the new one
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=3, byte_len=64)
        self.assertEqual(rmr.read(64, 0), pattern(64, 1))


class ODPTrafficTest(ODPTestCase):

    def rc_send_iterations(self, sqp, cqp, smr_of, rmr_of, post_recv=None,
                           recv_cq=None):
        """ITERS sends, each from and into fresh ODP memory."""
        for i in range(ITERS):
            smr, smem = smr_of(i)
            rmr, rmem = rmr_of(i)
            data = pattern(MSG, i)
            smr_write(smr, smem, data, OFF)
            sge = SGE(rmem.addr + OFF, MSG, rmr.lkey)
            if post_recv:
                post_recv(recv_wr(i, [sge]))
            else:
                sqp.post_recv(recv_wr(i, [sge]))
            cqp.post_send(send_wr(1000 + i, [SGE(smem.addr + OFF, MSG,
                                                 smr.lkey)]))
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=1000 + i,
                           opcode=e.IBV_WC_SEND)
            self.assert_wc(poll_cq(recv_cq or self.server.cq)[0], wr_id=i,
                           opcode=e.IBV_WC_RECV, byte_len=MSG)
            self.assertEqual(mem_read(rmem, MSG, OFF), data)
            yield smr, smem, rmr, rmem

    def test_rc_send_recv(self):
        self.require('rc', S | R)
        sqp, cqp = self.rc_odp_pair()
        self.mark()
        for smr, smem, rmr, rmem in self.rc_send_iterations(
                sqp, cqp, lambda i: self.odp(self.client, OFF + MSG),
                lambda i: self.odp(self.server, OFF + MSG)):
            self.assert_mr_faulted(smr, rmr)
            self.release(smr, smem, rmr, rmem)
        self.assert_serviced(requester=ITERS, responder=ITERS)

    def atomic_iterations(self, opcode, check):
        sqp, cqp = self.rc_odp_pair()
        self.mark()
        for i in range(ITERS):
            rmr, rmem = self.odp(self.server, PAGE)
            lmr, lmem = self.odp(self.client, PAGE)
            start = 1000 + i
            rmr.write(struct.pack('=Q', start), 8, 64)
            wr = send_wr(i, [SGE(lmem.addr + 8, 8, lmr.lkey)], opcode=opcode)
            operand = start if opcode == e.IBV_WR_ATOMIC_CMP_AND_SWP else 7
            wr.set_wr_atomic(rmr.rkey, rmem.addr + 64, operand, 5000 + i)
            cqp.post_send(wr)
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=i, byte_len=8)
            self.assertEqual(u64(lmr, 8), start, 'old value returned')
            self.assertEqual(u64(rmr, 64), check(start, i))
            self.assert_mr_faulted(rmr, lmr)
            self.release(rmr, rmem, lmr, lmem)
        self.assert_serviced(requester=ITERS, rdma=ITERS)

    def test_rc_compare_swap(self):
        self.require('rc', A)
        self.atomic_iterations(e.IBV_WR_ATOMIC_CMP_AND_SWP,
                               lambda start, i: 5000 + i)

    def test_rc_fetch_add(self):
        self.require('rc', A)
        self.atomic_iterations(e.IBV_WR_ATOMIC_FETCH_AND_ADD,
                               lambda start, i: start + 7)

    def test_rc_rdma_read(self):
        """512-byte RDMA reads from and into fresh ODP memory."""
        self.require('rc', RD)
        sqp, cqp = self.rc_odp_pair()
        self.mark()
        for i in range(ITERS):
            rmr, rmem = self.odp(self.server, PAGE)
            lmr, lmem = self.odp(self.client, PAGE)
            data = pattern(512, i)
            rmr.write(data, 512, 1024)
            wr = send_wr(i, [SGE(lmem.addr + 2048, 512, lmr.lkey)],
                         opcode=e.IBV_WR_RDMA_READ)
            wr.set_wr_rdma(rmr.rkey, rmem.addr + 1024)
            cqp.post_send(wr)
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=i,
                           opcode=e.IBV_WC_RDMA_READ, byte_len=512)
            self.assertEqual(lmr.read(512, 2048), data)
            self.assert_mr_faulted(rmr, lmr)
            self.release(rmr, rmem, lmr, lmem)
        self.assert_serviced(requester=ITERS, rdma=ITERS)

    def test_rc_rdma_write(self):
        self.require('rc', W)
        sqp, cqp = self.rc_odp_pair()
        self.mark()
        for i in range(ITERS):
            rmr, rmem = self.odp(self.server, OFF + MSG)
            lmr, lmem = self.odp(self.client, OFF + MSG)
            data = pattern(MSG, i)
            lmr.write(data, MSG, OFF)
            wr = send_wr(i, [SGE(lmem.addr + OFF, MSG, lmr.lkey)],
                         opcode=e.IBV_WR_RDMA_WRITE)
            wr.set_wr_rdma(rmr.rkey, rmem.addr + OFF)
            cqp.post_send(wr)
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=i,
                           opcode=e.IBV_WC_RDMA_WRITE)
            self.assertEqual(rmr.read(MSG, OFF), data)
            self.assert_mr_faulted(rmr, lmr)
            self.release(rmr, rmem, lmr, lmem)
        self.assert_serviced(requester=ITERS, rdma=ITERS)

    def test_implicit_rc(self):
        """Send/recv through implicit ODP MRs, fresh memory each time."""
        self.require('general', e.IBV_ODP_SUPPORT_IMPLICIT)
        self.require('rc', S | R)
        smr = implicit_mr(self.client.pd)
        rmr = implicit_mr(self.server.pd)
        sqp, cqp = self.rc_odp_pair()
        self.mark()
        faults = [self.mr_record(smr)['faults'], self.mr_record(rmr)['faults']]
        for _, smem, _, rmem in self.rc_send_iterations(
                sqp, cqp, lambda i: (smr, self.fresh(OFF + MSG)),
                lambda i: (rmr, self.fresh(OFF + MSG))):
            now = [self.mr_record(smr)['faults'],
                   self.mr_record(rmr)['faults']]
            self.assertGreater(now[0], faults[0], 'implicit send MR')
            self.assertGreater(now[1], faults[1], 'implicit recv MR')
            # kept mapped until tearDown: the next fresh buffers must get
            # new addresses (no mmu notifier tells the device about a
            # munmap, so a reused address could still be present)
            faults = now
        self.assert_serviced(requester=ITERS, responder=ITERS)

    # --- UD ---------------------------------------------------------------
    def ud_iterations(self, send_odp, recv_odp, srq=None):
        sqp = (make_ud_qp(self.server) if srq is None else
               self.ud_qp_with_srq(srq))
        cqp = make_ud_qp(self.client)
        ah = make_ah(self.client, self.server)
        pin_s = MR(self.client.pd, 4096, e.IBV_ACCESS_LOCAL_WRITE)
        pin_r = MR(self.server.pd, GRH_SIZE + 4096, e.IBV_ACCESS_LOCAL_WRITE)
        self.ud_drops = 0
        self.mark()
        size = 1000
        for i in range(ITERS):
            if send_odp:
                smr, smem = self.odp(self.client, PAGE)
                saddr = smem.addr
            else:
                smr, smem, saddr = pin_s, None, pin_s.buf
            if recv_odp:
                rmr, rmem = self.odp(self.server, 2 * PAGE)
                raddr = rmem.addr + PAGE - GRH_SIZE - 8	# spans two pages
            else:
                rmr, rmem, raddr = pin_r, None, pin_r.buf
            data = pattern(size, i)
            mem_write(saddr, data)
            wr = recv_wr(i, [SGE(raddr, GRH_SIZE + size, rmr.lkey)])
            (srq or sqp).post_recv(wr)
            wr = send_wr(100 + i, [SGE(saddr, size, smr.lkey)])
            wr.set_wr_ud(ah, sqp.qp_num, UD_QKEY)
            cqp.post_send(wr)
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=100 + i)
            if recv_odp and UD_RESEND:
                # UD is unreliable: a device may drop the datagram whose
                # receive buffer faulted (mlx5 does); the application
                # sends again, and the now-mapped buffer takes it
                try:
                    wc = poll_cq(self.server.cq, deadline=0.5)[0]
                except AssertionError:
                    self.ud_drops += 1
                    cqp.post_send(wr)
                    self.assert_wc(poll_cq(self.client.cq)[0],
                                   wr_id=100 + i)
                    wc = poll_cq(self.server.cq)[0]
            else:
                wc = poll_cq(self.server.cq)[0]
            self.assert_wc(wc, wr_id=i, opcode=e.IBV_WC_RECV,
                           byte_len=GRH_SIZE + size)
            self.assertEqual(mem_read_addr(raddr + GRH_SIZE, size), data)
            for mr, mem in ((smr, smem), (rmr, rmem)):
                if mem is not None:
                    self.assert_mr_faulted(mr)
                    self.release(mr, mem)
        if self.ud_drops:
            print('\n    UD: %d of %d datagrams dropped on a receive fault '
                  'and sent again' % (self.ud_drops, ITERS), end=' ')

    def ud_qp_with_srq(self, srq):
        from pyverbs.qp import QP, QPAttr, QPCap, QPInitAttr
        from uodp_base import UD_INIT_MASK, IB_PORT
        cap = QPCap(max_send_wr=16, max_recv_wr=0, max_send_sge=2,
                    max_recv_sge=2)
        qp = QP(self.server.pd, QPInitAttr(qp_type=e.IBV_QPT_UD,
                                           scq=self.server.cq,
                                           rcq=self.server.cq, srq=srq,
                                           cap=cap, sq_sig_all=1))
        attr = QPAttr(qp_state=e.IBV_QPS_INIT)
        attr.pkey_index, attr.port_num, attr.qkey = 0, IB_PORT, UD_QKEY
        qp.modify(attr, UD_INIT_MASK)
        qp.modify(QPAttr(qp_state=e.IBV_QPS_RTR), e.IBV_QP_STATE)
        attr = QPAttr(qp_state=e.IBV_QPS_RTS)
        attr.sq_psn = 0
        qp.modify(attr, e.IBV_QP_STATE | e.IBV_QP_SQ_PSN)
        self.server.qps.append(qp)
        return qp

    def test_ud_send(self):
        """UD send from an ODP MR (upstream's case; pinned receive)."""
        self.require('ud', S)
        self.ud_iterations(send_odp=True, recv_odp=False)
        self.assert_serviced(requester=ITERS)

    def test_ud_recv(self):
        self.require('ud', R)
        self.ud_iterations(send_odp=False, recv_odp=True)
        self.assert_serviced(responder=ITERS)

    def test_ud_srq_recv(self):
        if not self.caps['ud'] & SRQ_R:
            self.skipTest('ud srq_recv not advertised (optional)')
        self.ud_iterations(send_odp=True, recv_odp=True,
                           srq=make_srq(self.server, max_wr=64))
        self.assert_serviced(requester=ITERS, responder=ITERS)

    # --- SRQ and XRC ------------------------------------------------------
    def test_rc_srq(self):
        self.require('rc', S | SRQ_R)
        srq = make_srq(self.server, max_wr=64)
        sqp = new_rc_qp(self.server, srq=srq)
        cqp = new_rc_qp(self.client)
        conn = dict(max_rd_atomic=1, max_dest_rd_atomic=1, min_rnr_timer=12)
        rc_connect(sqp, self.server, self.client, cqp.qp_num, **conn)
        rc_connect(cqp, self.client, self.server, sqp.qp_num, **conn)
        self.mark()
        for smr, smem, rmr, rmem in self.rc_send_iterations(
                sqp, cqp, lambda i: self.odp(self.client, OFF + MSG),
                lambda i: self.odp(self.server, OFF + MSG),
                post_recv=srq.post_recv):
            self.assert_mr_faulted(smr, rmr)
            self.release(smr, smem, rmr, rmem)
        self.assert_serviced(requester=ITERS, responder=ITERS)

    def xrc_setup(self, npairs=2):
        self.xrcd, tmp, fd = make_xrcd(self.server)
        self.addCleanup(tmp.close)
        self.addCleanup(os.close, fd)
        srq = make_xrc_srq(self.server, self.xrcd, max_wr=64)
        pairs = []
        for _ in range(npairs):
            recv_qp = make_xrc_recv_qp(self.server, self.xrcd)
            send_qp = make_xrc_send_qp(self.client)
            rc_connect(send_qp, self.client, self.server, recv_qp.qp_num,
                       access=0, rtr_mask=XRC_INI_RTR_MASK, max_rd_atomic=1,
                       max_dest_rd_atomic=1, min_rnr_timer=12)
            rc_connect(recv_qp, self.server, self.client, send_qp.qp_num,
                       rtr_mask=RC_RTR_MASK, rts_mask=XRC_TGT_RTS_MASK,
                       max_rd_atomic=1, max_dest_rd_atomic=1,
                       min_rnr_timer=12)
            pairs.append((send_qp, recv_qp))
        return srq, pairs

    def test_xrc(self):
        """2 XRC QP pairs into one XRC SRQ, ODP on both ends."""
        self.require('xrc', S | SRQ_R)
        srq, pairs = self.xrc_setup()
        self.mark()
        size = 2000
        for i in range(ITERS):
            for p, (send_qp, _) in enumerate(pairs):
                smr, smem = self.odp(self.client, PAGE)
                rmr, rmem = self.odp(self.server, 2 * PAGE)
                data = pattern(size, i * 2 + p)
                smr.write(data, size, 0)
                srq.post_recv(recv_wr(i * 2 + p, [SGE(rmem.addr + 3000, size,
                                                      rmr.lkey)]))
                wr = send_wr(i * 2 + p, [SGE(smem.addr, size, smr.lkey)])
                wr.set_qp_type_xrc(srq.get_srq_num())
                send_qp.post_send(wr)
                self.assert_wc(poll_cq(self.client.cq)[0], wr_id=i * 2 + p)
                self.assert_wc(poll_cq(self.server.cq)[0], wr_id=i * 2 + p,
                               opcode=e.IBV_WC_RECV, byte_len=size)
                self.assertEqual(rmr.read(size, 3000), data)
                self.assert_mr_faulted(smr, rmr)
                self.release(smr, smem, rmr, rmem)
        self.assert_serviced(requester=2 * ITERS, responder=2 * ITERS)

    def test_xrc_rdma(self):
        """RDMA write, read and atomics through XRC into ODP memory."""
        self.require('xrc', W | RD | A)
        srq, pairs = self.xrc_setup(npairs=1)
        send_qp = pairs[0][0]
        self.mark()
        for i in range(ITERS):
            rmr, rmem = self.odp(self.server, 2 * PAGE)
            lmr, lmem = self.odp(self.client, 2 * PAGE)
            data = pattern(1500, i)
            lmr.write(data, 1500, 0)
            rmr.write(struct.pack('=Q', 40 + i), 8, PAGE)
            rmr.write(pattern(700, 50 + i), 700, PAGE + 100)
            wr = send_wr(1, [SGE(lmem.addr, 1500, lmr.lkey)],
                         opcode=e.IBV_WR_RDMA_WRITE)
            wr.set_wr_rdma(rmr.rkey, rmem.addr + 2000)
            wr.set_qp_type_xrc(srq.get_srq_num())
            send_qp.post_send(wr)
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=1)
            self.assertEqual(rmr.read(1500, 2000), data)
            wr = send_wr(2, [SGE(lmem.addr + PAGE + 100, 700, lmr.lkey)],
                         opcode=e.IBV_WR_RDMA_READ)
            wr.set_wr_rdma(rmr.rkey, rmem.addr + PAGE + 100)
            wr.set_qp_type_xrc(srq.get_srq_num())
            send_qp.post_send(wr)
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=2)
            self.assertEqual(lmr.read(700, PAGE + 100), pattern(700, 50 + i))
            wr = send_wr(3, [SGE(lmem.addr + PAGE, 8, lmr.lkey)],
                         opcode=e.IBV_WR_ATOMIC_FETCH_AND_ADD)
            wr.set_wr_atomic(rmr.rkey, rmem.addr + PAGE, 2, 0)
            wr.set_qp_type_xrc(srq.get_srq_num())
            send_qp.post_send(wr)
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=3)
            self.assertEqual(u64(lmr, PAGE), 40 + i)
            self.assertEqual(u64(rmr, PAGE), 42 + i)
            self.assert_mr_faulted(rmr, lmr)
            self.release(rmr, rmem, lmr, lmem)
        self.assert_serviced(requester=ITERS, rdma=ITERS)


class ODPAdviseTest(ODPTestCase):
    """ibv_advise_mr: prefetched memory must not fault at all."""

    def prefetch_send_iterations(self, advise, implicit=False,
                                 touch_first=False):
        """
        ITERS sends from and into fresh ODP memory, each preceded by
        advise(pd, mr, mem, writable) on both buffers; no fault may happen.
        """
        self.require('rc', S | R)
        sqp, cqp = self.rc_odp_pair()
        if implicit:
            ismr, irmr = implicit_mr(self.client.pd), implicit_mr(
                self.server.pd)
        for i in range(ITERS):
            if implicit:
                smr, smem = ismr, self.fresh(OFF + MSG)
                rmr, rmem = irmr, self.fresh(OFF + MSG)
            else:
                smr, smem = self.odp(self.client, OFF + MSG)
                rmr, rmem = self.odp(self.server, OFF + MSG)
            data = pattern(MSG, i)
            mem_write(smem.addr + OFF, data)
            if touch_first:
                rmem.touch()
            before = counters()
            mr_faults = [self.mr_record(smr)['faults'],
                         self.mr_record(rmr)['faults']]
            advise(self.client.pd, smr, smem, False)
            advise(self.server.pd, rmr, rmem, True)
            sqp.post_recv(recv_wr(i, [SGE(rmem.addr + OFF, MSG, rmr.lkey)]))
            cqp.post_send(send_wr(100 + i, [SGE(smem.addr + OFF, MSG,
                                                smr.lkey)]))
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=100 + i)
            self.assert_wc(poll_cq(self.server.cq)[0], wr_id=i, byte_len=MSG)
            self.assertEqual(mem_read(rmem, MSG, OFF), data)
            self.assert_no_faults(before)
            self.assertEqual([self.mr_record(smr)['faults'],
                              self.mr_record(rmr)['faults']], mr_faults,
                             'a prefetched MR faulted')
            if not implicit:	# implicit: see test_implicit_rc
                self.release(smr, smem, rmr, rmem)

    @staticmethod
    def sges(mr, mem):
        return [SGE(mem.addr, mem.length, mr.lkey)]

    def wait_mapped(self, before, ranges):
        """Async advice: wait until the device applied that many ranges."""
        wait_counters(lambda s: (s - before).dev['map_ranges'] >= ranges,
                      deadline=5)

    def test_prefetch_sync(self):
        """PREFETCH then PREFETCH_WRITE with FLUSH before each send."""
        def advise(pd, mr, mem, _):
            pd.advise_mr(PREFETCH, FLUSH, self.sges(mr, mem))
            pd.advise_mr(PREFETCH_WRITE, FLUSH, self.sges(mr, mem))
        self.prefetch_send_iterations(advise)

    def test_prefetch_async(self):
        """The same without FLUSH: done in the background."""
        def advise(pd, mr, mem, _):
            before = counters()
            pd.advise_mr(PREFETCH, 0, self.sges(mr, mem))
            pd.advise_mr(PREFETCH_WRITE, 0, self.sges(mr, mem))
            self.wait_mapped(before, 2)
        self.prefetch_send_iterations(advise)

    def test_implicit_prefetch_write_sync(self):
        self.require('general', e.IBV_ODP_SUPPORT_IMPLICIT)

        def advise(pd, mr, mem, _):
            pd.advise_mr(PREFETCH_WRITE, FLUSH, self.sges(mr, mem))
        self.prefetch_send_iterations(advise, implicit=True)

    def test_implicit_prefetch_write_async(self):
        self.require('general', e.IBV_ODP_SUPPORT_IMPLICIT)

        def advise(pd, mr, mem, _):
            before = counters()
            pd.advise_mr(PREFETCH_WRITE, 0, self.sges(mr, mem))
            self.wait_mapped(before, 1)
        self.prefetch_send_iterations(advise, implicit=True)

    def test_prefetch_no_fault_sync(self):
        """NO_FAULT maps pages already resident (written by the CPU)."""
        def advise(pd, mr, mem, _):
            pd.advise_mr(PREFETCH_NO_FAULT, FLUSH, self.sges(mr, mem))
        self.prefetch_send_iterations(advise, touch_first=True)

    def test_prefetch_no_fault_async(self):
        def advise(pd, mr, mem, _):
            before = counters()
            pd.advise_mr(PREFETCH_NO_FAULT, 0, self.sges(mr, mem))
            self.wait_mapped(before, 1)
        self.prefetch_send_iterations(advise, touch_first=True)

    def test_no_fault_leaves_absent_pages_absent(self):
        """NO_FAULT on never-touched memory maps nothing; traffic faults."""
        mr, mem = self.odp(self.server, 4 * PAGE)
        mem_write(mem.addr, b'x')		# page 0 only becomes resident
        self.server.pd.advise_mr(PREFETCH_NO_FAULT, FLUSH,
                                 self.sges(mr, mem))
        rec = self.mr_record(mr)
        self.assertEqual(rec['pages_present'], 1, 'NO_FAULT mapped pages '
                         'that were not resident: %r' % rec)
        self.assertEqual(rec['faults'], 0)

    def test_prefetch_read_only_then_write_faults(self):
        """A PREFETCH (read) mapping is not writable: a receive faults."""
        self.require('rc', S | R)
        sqp, cqp = self.rc_odp_pair()
        smr = MR(self.client.pd, PAGE, e.IBV_ACCESS_LOCAL_WRITE)
        rmr, rmem = self.odp(self.server, PAGE)
        self.server.pd.advise_mr(PREFETCH, FLUSH, self.sges(rmr, rmem))
        self.assertEqual(self.mr_record(rmr)['pages_present'], 1)
        self.mark()
        smr.write(pattern(256, 4), 256, 0)
        sqp.post_recv(recv_wr(1, [SGE(rmem.addr, 256, rmr.lkey)]))
        cqp.post_send(send_wr(2, [SGE(smr.buf, 256, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=2)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=1, byte_len=256)
        self.assertEqual(rmr.read(256, 0), pattern(256, 4))
        self.assert_serviced(responder=1)
        self.assertGreaterEqual(self.mr_record(rmr)['faults'], 1)


class ODPAdviseErrorsTest(ODPTestCase):
    """ibv_advise_mr errors, as Linux (mlx5_ib) gives them."""

    def advise_fails(self, codes, what, pd, advice, flags, sges):
        with self.assertRaises(PyverbsRDMAError, msg=what) as cm:
            pd.advise_mr(advice, flags, sges)
        self.assert_errno(cm.exception, codes, what)

    def setUp(self):
        super().setUp()
        self.mr, self.mem = self.odp(self.server, 4 * PAGE)
        self.sge = [SGE(self.mem.addr, self.mem.length, self.mr.lkey)]
        self.pd = self.server.pd

    def test_ok(self):
        for advice in (PREFETCH, PREFETCH_WRITE, PREFETCH_NO_FAULT):
            for flags in (0, FLUSH):
                self.pd.advise_mr(advice, flags, self.sge)

    def test_unknown_lkey(self):
        bad = [SGE(self.mem.addr, PAGE, self.mr.lkey ^ 0x5a5a00)]
        self.advise_fails((2,), 'unknown lkey, FLUSH (ENOENT)', self.pd,
                          PREFETCH, FLUSH, bad)
        # Linux validates the async work up front and answers EINVAL
        self.advise_fails((22, 2), 'unknown lkey, async (EINVAL)', self.pd,
                          PREFETCH, 0, bad)

    def test_not_an_odp_mr(self):
        pinned = MR(self.pd, PAGE, e.IBV_ACCESS_LOCAL_WRITE)
        self.advise_fails((2,), 'pinned MR (ENOENT: not an ODP key)',
                          self.pd, PREFETCH, FLUSH,
                          [SGE(pinned.buf, PAGE, pinned.lkey)])

    def test_other_pd(self):
        other = PD(self.server.ctx)
        self.advise_fails((1,), 'MR of another PD (EPERM)', other, PREFETCH,
                          FLUSH, self.sge)

    def test_other_context(self):
        """Another context's lkey does not exist for this one."""
        self.advise_fails((2, 1), "another context's MR", self.client.pd,
                          PREFETCH, FLUSH, self.sge)

    def test_write_to_read_only_mr(self):
        ro, mem = self.odp(self.server, PAGE, e.IBV_ACCESS_ON_DEMAND |
                           e.IBV_ACCESS_REMOTE_READ)
        sge = [SGE(mem.addr, PAGE, ro.lkey)]
        self.advise_fails((1,), 'PREFETCH_WRITE, read-only MR (EPERM)',
                          self.pd, PREFETCH_WRITE, FLUSH, sge)
        self.pd.advise_mr(PREFETCH, FLUSH, sge)	# reading is fine

    def test_bad_flags(self):
        self.advise_fails((22,), 'unknown flag bits (EINVAL)', self.pd,
                          PREFETCH, 0x80, self.sge)

    def test_bad_advice(self):
        # mlx5_ib answers EOPNOTSUPP for an advice it does not know
        self.advise_fails((95, 22), 'unknown advice', self.pd, 9, FLUSH,
                          self.sge)

    def test_no_sge(self):
        self.advise_fails((22,), 'no SGE (EINVAL)', self.pd, PREFETCH,
                          FLUSH, [])

    def test_out_of_bounds(self):
        sge = [SGE(self.mem.addr + 3 * PAGE, 2 * PAGE, self.mr.lkey)]
        self.advise_fails((14, 22), 'range past the MR end (EFAULT)',
                          self.pd, PREFETCH, FLUSH, sge)
        sge = [SGE(self.mem.addr - PAGE, PAGE, self.mr.lkey)]
        self.advise_fails((14, 22), 'range before the MR start (EFAULT)',
                          self.pd, PREFETCH, FLUSH, sge)


# --- small memory helpers (pyverbs MRs over user memory read/write fine,
# but the implicit MR's buffer is not the data buffer) ---------------------
def mem_write(addr, data):
    from pyverbs import mem_alloc
    mem_alloc.write(addr, data, len(data))


def mem_read_addr(addr, length):
    from pyverbs import mem_alloc
    return mem_alloc.read(addr, length, 0)


def mem_read(mem, length, off):
    return mem_read_addr(mem.addr + off, length)


def smr_write(mr, mem, data, off):
    mem_write(mem.addr + off, data)
