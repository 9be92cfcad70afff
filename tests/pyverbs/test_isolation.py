# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""
Transport isolation between clients of one device (issue 8, items 1-2).

Each test is one hostile client against one rule.  The victim is a context
of its own with a legitimate peer (another context); the attacker is a
third, unrelated context (in test_attacker_process, a process of its own:
hostile_client.py) that knows every number the victim has (QPNs are
guessable, and here it is simply told the victim's QPNs, rkeys and
addresses).  Each test asserts what a fabric gives the attacker (no ACK, a
silent drop, a NAK), that the victim's memory is unchanged and that the
victim's own traffic still works.
"""

import json
import os
import subprocess
import sys
import time
import unittest

import pyverbs.enums as e
from pyverbs.pyverbs_error import PyverbsRDMAError
from pyverbs.wr import SGE

from uodp_base import (FAST_RETRY, IB_PORT, QPAttr, UC_RTR_MASK,
                       UC_RTS_MASK, UD_QKEY, UodpTestCase,
                       expect_no_completion, make_ah, make_ud_qp,
                       make_xrc_loopback, make_xrc_srq, make_xrcd, new_rc_qp,
                       pattern, poll_cq, rc_connect, recv_wr, send_wr)
from uodp_odp import implicit_mr

SIZE = 8192
CAP_NET_RAW = 13


def has_cap(cap):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('CapEff:'):
                return bool(int(line.split()[1], 16) >> cap & 1)
    return False


def run_attacker(victim):
    """hostile_client.py against victim: (exit code, stdout, stderr).

    A child process by default.  With UODP_TEST_ATTACKER_DIR set
    (tests/stock/shared_daemon.sh), another uodp-run invocation on the same
    shared device runs it instead (one seccomp listener per process tree:
    it cannot be nested): the victim's numbers go to victim.json there, the
    attacker's answer comes back as attack.json ({"rc", "out", "err"}).
    """
    exchange = os.environ.get('UODP_TEST_ATTACKER_DIR')
    if not exchange:
        run = subprocess.run([sys.executable, 'hostile_client.py',
                              json.dumps(victim)], capture_output=True,
                             text=True, timeout=120, check=False)
        return run.returncode, run.stdout, run.stderr
    answer = os.path.join(exchange, 'attack.json')
    with open(os.path.join(exchange, 'victim.json.tmp'), 'w') as f:
        json.dump(victim, f)
    os.rename(os.path.join(exchange, 'victim.json.tmp'),
              os.path.join(exchange, 'victim.json'))
    deadline = time.monotonic() + 120
    while not os.path.exists(answer):
        if time.monotonic() > deadline:
            return 1, '', 'no answer from the attacker in ' + exchange
        time.sleep(0.05)
    with open(answer) as f:
        got = json.load(f)
    return got['rc'], got['out'], got['err']


class IsolationTest(UodpTestCase):
    """server: the victim; client: the attacker; peer: the victim's peer."""

    def setUp(self):
        super().setUp()
        self.victim = self.server
        self.attacker = self.client
        self.peer = self.new_side('peer')
        self.vmr = self.victim.mr(SIZE)
        self.vmr.write(pattern(SIZE, 99), SIZE, 0)
        self.amr = self.attacker.mr(SIZE)
        self.amr.write(pattern(SIZE, 7), SIZE, 0)
        self.xrc_objs = []

    # --- the victim ---------------------------------------------------------
    def assert_victim_intact(self):
        self.assertEqual(self.vmr.read(SIZE, 0), pattern(SIZE, 99),
                         "the attacker changed the victim's memory")

    def victim_rc_pair(self):
        """The victim's QP, connected to its peer's (and back)."""
        vqp = new_rc_qp(self.victim)
        pqp = new_rc_qp(self.peer)
        rc_connect(vqp, self.victim, self.peer, pqp.qp_num)
        rc_connect(pqp, self.peer, self.victim, vqp.qp_num)
        return vqp, pqp

    def assert_bystander(self, vqp, pqp):
        """The victim's own RDMA WRITE and SEND still work, both ways."""
        pmr = self.peer.mr(SIZE)
        rmr = self.victim.mr(SIZE)
        pmr.write(pattern(SIZE, 3), SIZE, 0)
        vqp.post_recv(recv_wr(11, [SGE(rmr.buf, SIZE, rmr.lkey)]))
        wr = send_wr(12, [SGE(pmr.buf, 4096, pmr.lkey)],
                     opcode=e.IBV_WR_RDMA_WRITE)
        wr.set_wr_rdma(rmr.rkey, rmr.buf + 4096)
        pqp.post_send(wr)
        pqp.post_send(send_wr(13, [SGE(pmr.buf, 100, pmr.lkey)]))
        for wc, wr_id in zip(poll_cq(self.peer.cq, 2), (12, 13)):
            self.assert_wc(wc, wr_id=wr_id)
        self.assert_wc(poll_cq(self.victim.cq)[0], wr_id=11,
                       opcode=e.IBV_WC_RECV, byte_len=100)
        self.assertEqual(rmr.read(4096, 4096), pattern(SIZE, 3)[:4096])
        self.assertEqual(rmr.read(100, 0), pattern(SIZE, 3)[:100])

    # --- the attacker -------------------------------------------------------
    def hijack_qp(self, victim_qpn, qp_type=e.IBV_QPT_RC):
        """The attacker's QP, connected to the victim's QP number."""
        qp = new_rc_qp(self.attacker, qp_type=qp_type)
        if qp_type == e.IBV_QPT_UC:
            rc_connect(qp, self.attacker, self.victim, victim_qpn,
                       rtr_mask=UC_RTR_MASK, rts_mask=UC_RTS_MASK)
        else:
            rc_connect(qp, self.attacker, self.victim, victim_qpn,
                       **FAST_RETRY)
        return qp

    def rdma(self, qp, opcode, rkey, raddr, wr_id=1, length=4096,
             xrc_srqn=None):
        wr = send_wr(wr_id, [SGE(self.amr.buf, length, self.amr.lkey)],
                     opcode=opcode)
        wr.set_wr_rdma(rkey, raddr)
        if xrc_srqn is not None:
            wr.set_qp_type_xrc(xrc_srqn)
        qp.post_send(wr)
        return poll_cq(self.attacker.cq)[0]

    # --- item 1: a responder takes only its own connection ------------------
    def test_rc_foreign_requester(self):
        """RDMA WRITE and READ with the victim's rkey, from a QP the
        victim's QP is not connected to: never acknowledged."""
        vqp, pqp = self.victim_rc_pair()
        imr = implicit_mr(self.victim.pd)
        for opcode in (e.IBV_WR_RDMA_WRITE, e.IBV_WR_RDMA_READ):
            for rkey in (self.vmr.rkey, imr.rkey):
                qp = self.hijack_qp(vqp.qp_num)
                self.assert_wc(self.rdma(qp, opcode, rkey, self.vmr.buf),
                               e.IBV_WC_RETRY_EXC_ERR)
        self.assertNotEqual(self.amr.read(4096, 0),
                            pattern(SIZE, 99)[:4096],
                            'the attacker read the victim')
        self.assert_victim_intact()
        self.assert_bystander(vqp, pqp)

    def test_rc_wrong_path(self):
        """The victim is connected to the attacker's QP, but along another
        path (its destination GID is not the attacker's source GID)."""
        other = None
        for index in range(self.victim.ctx.query_port(IB_PORT).gid_tbl_len):
            gid = self.victim.ctx.query_gid(IB_PORT, index)
            if gid.gid.replace(':', '').strip('0') and \
                    gid.gid != self.attacker.gid.gid:
                other = gid
                break
        if other is None:
            self.skipTest('one GID only')
        vqp = new_rc_qp(self.victim)
        aqp = new_rc_qp(self.attacker)
        saved = self.attacker.gid
        self.attacker.gid = other
        try:
            rc_connect(vqp, self.victim, self.attacker, aqp.qp_num)
        finally:
            self.attacker.gid = saved
        rc_connect(aqp, self.attacker, self.victim, vqp.qp_num, **FAST_RETRY)
        self.assert_wc(self.rdma(aqp, e.IBV_WR_RDMA_WRITE, self.vmr.rkey,
                                 self.vmr.buf), e.IBV_WC_RETRY_EXC_ERR)
        self.assert_victim_intact()

    def test_uc_foreign_requester(self):
        """UC: the attacker's WRITE and SEND are lost on the way (its own
        WQEs complete, as UC's always do); the victim's receive WQE stays
        for its peer."""
        kw = dict(rtr_mask=UC_RTR_MASK, rts_mask=UC_RTS_MASK)
        vqp = new_rc_qp(self.victim, qp_type=e.IBV_QPT_UC)
        pqp = new_rc_qp(self.peer, qp_type=e.IBV_QPT_UC)
        rc_connect(vqp, self.victim, self.peer, pqp.qp_num, **kw)
        rc_connect(pqp, self.peer, self.victim, vqp.qp_num, **kw)
        rmr = self.victim.mr(SIZE)
        vqp.post_recv(recv_wr(21, [SGE(rmr.buf, SIZE, rmr.lkey)]))
        qp = self.hijack_qp(vqp.qp_num, e.IBV_QPT_UC)
        self.assert_wc(self.rdma(qp, e.IBV_WR_RDMA_WRITE, self.vmr.rkey,
                                 self.vmr.buf))
        qp.post_send(send_wr(2, [SGE(self.amr.buf, 64, self.amr.lkey)]))
        self.assert_wc(poll_cq(self.attacker.cq)[0], wr_id=2)
        expect_no_completion(self.victim.cq)
        self.assert_victim_intact()
        # The bystander: its peer's SEND lands in that receive WQE.
        pmr = self.peer.mr(SIZE)
        pmr.write(pattern(200, 5), 200, 0)
        pqp.post_send(send_wr(23, [SGE(pmr.buf, 200, pmr.lkey)]))
        self.assert_wc(poll_cq(self.peer.cq)[0], wr_id=23)
        self.assert_wc(poll_cq(self.victim.cq)[0], wr_id=21,
                       opcode=e.IBV_WC_RECV, byte_len=200)
        self.assertEqual(rmr.read(200, 0), pattern(200, 5))

    def test_ud_qkey(self):
        """UD datagrams with the wrong Q_Key are dropped, a controlled one
        in the WR means the sender's own; the right one arrives."""
        vqp = make_ud_qp(self.victim)
        rmr = self.victim.mr(SIZE)
        for i in range(4):
            vqp.post_recv(recv_wr(30 + i, [SGE(rmr.buf + i * 2048, 2048,
                                               rmr.lkey)]))
        aqp = make_ud_qp(self.attacker, qkey=0x22222222)
        ah = make_ah(self.attacker, self.victim)
        for i, qkey in enumerate((0x33333333, 0x80000000, UD_QKEY)):
            wr = send_wr(40 + i, [SGE(self.amr.buf, 64, self.amr.lkey)])
            wr.set_wr_ud(ah, vqp.qp_num, qkey)
            aqp.post_send(wr)
            self.assert_wc(poll_cq(self.attacker.cq)[0], wr_id=40 + i)
            if qkey != UD_QKEY:
                expect_no_completion(self.victim.cq, 0.1)
        wc = poll_cq(self.victim.cq)[0]
        self.assert_wc(wc, wr_id=30, opcode=e.IBV_WC_RECV, byte_len=64 + 40)
        expect_no_completion(self.victim.cq, 0.1)

    def test_privileged_qkey(self):
        """Only CAP_NET_RAW sets a controlled Q_Key (ib_uverbs: EPERM)."""
        qp = make_ud_qp(self.attacker)
        attr = QPAttr(qp_state=e.IBV_QPS_RTS)
        attr.qkey = 0x80000001
        if has_cap(CAP_NET_RAW):
            qp.modify(attr, e.IBV_QP_QKEY)
            return
        with self.assertRaises(PyverbsRDMAError) as ctx:
            qp.modify(attr, e.IBV_QP_QKEY)
        self.assert_errno(ctx.exception, 1, 'controlled qkey')  # EPERM
        attr.qkey = 0x7fffffff
        qp.modify(attr, e.IBV_QP_QKEY)

    def xrc_own_pair(self, side):
        """side's XRC domain, SRQ and a connected INI -> TGT pair."""
        xrcd, tmp, fd, srq, tgt, ini = make_xrc_loopback(side)
        self.xrc_objs.append((xrcd, tmp))
        self.addCleanup(tmp.close)
        self.addCleanup(os.close, fd)
        side.qps.append(tgt)	# alive as long as the side
        return xrcd, srq, ini

    def test_xrc_foreign_rkey(self):
        """Through its own XRC target, the attacker's requests are checked
        against the PD of the XRC SRQ they name: the victim's rkeys fail
        with a remote access error; the victim's SRQ, in another XRC
        domain, cannot be named at all."""
        vqp, pqp = self.victim_rc_pair()
        imr = implicit_mr(self.victim.pd)
        _, vsrq, vini = self.xrc_own_pair(self.victim)
        _, srq, ini = self.xrc_own_pair(self.attacker)
        # The path works for the attacker's own memory.
        own = self.attacker.mr(SIZE)
        self.assert_wc(self.rdma(ini, e.IBV_WR_RDMA_WRITE, own.rkey,
                                 own.buf, xrc_srqn=srq.get_srq_num()))
        self.assertEqual(own.read(4096, 0), pattern(SIZE, 7)[:4096])
        self.assert_wc(self.rdma(ini, e.IBV_WR_RDMA_WRITE, self.vmr.rkey,
                                 self.vmr.buf, xrc_srqn=srq.get_srq_num()),
                       e.IBV_WC_REM_ACCESS_ERR)
        _, srq, ini = self.xrc_own_pair(self.attacker)
        self.assert_wc(self.rdma(ini, e.IBV_WR_RDMA_READ, imr.rkey,
                                 self.vmr.buf, xrc_srqn=srq.get_srq_num()),
                       e.IBV_WC_REM_ACCESS_ERR)
        _, srq, ini = self.xrc_own_pair(self.attacker)
        self.assert_wc(self.rdma(ini, e.IBV_WR_RDMA_WRITE, self.vmr.rkey,
                                 self.vmr.buf,
                                 xrc_srqn=vsrq.get_srq_num()),
                       e.IBV_WC_REM_INV_REQ_ERR)
        self.assert_victim_intact()
        self.assert_bystander(vqp, pqp)

    # --- item 2: names that cannot be abused --------------------------------
    def test_stale_rkey(self):
        """An rkey kept past deregistration reaches nothing, not the MR
        registered next over the same memory."""
        vqp, pqp = self.victim_rc_pair()
        old = self.victim.mr(SIZE)
        stale, buf = old.rkey, old.buf
        old.close()
        new = self.victim.mr(SIZE)
        new.write(pattern(SIZE, 42), SIZE, 0)
        self.assertNotEqual(new.rkey, stale)
        pmr = self.peer.mr(SIZE)
        wr = send_wr(51, [SGE(pmr.buf, 4096, pmr.lkey)],
                     opcode=e.IBV_WR_RDMA_WRITE)
        wr.set_wr_rdma(stale, new.buf if new.buf == buf else buf)
        pqp.post_send(wr)
        self.assert_wc(poll_cq(self.peer.cq)[0], e.IBV_WC_REM_ACCESS_ERR,
                       wr_id=51)
        self.assertEqual(new.read(SIZE, 0), pattern(SIZE, 42))

    def test_qpn_not_reused(self):
        """A destroyed QP's number is not handed out again soon."""
        seen = []
        for _ in range(300):
            qp = new_rc_qp(self.attacker, max_send_wr=1, max_recv_wr=1)
            self.attacker.qps.remove(qp)
            seen.append(qp.qp_num)
            qp.close()
        self.assertEqual(len(set(seen)), len(seen),
                         'a destroyed QP number came back')

    # --- items 1 and 8: the same from another process -----------------------
    def test_attacker_process(self):
        """The attacker is another process (hostile_client.py) with
        contexts of its own: the rules hold between processes as between
        contexts."""
        vqp, pqp = self.victim_rc_pair()
        imr = implicit_mr(self.victim.pd)
        xrcd, tmp, fd = make_xrcd(self.victim)
        self.addCleanup(tmp.close)
        self.addCleanup(os.close, fd)
        vsrq = make_xrc_srq(self.victim, xrcd)
        victim = dict(qpn=vqp.qp_num, rkey=self.vmr.rkey,
                      implicit_rkey=imr.rkey, addr=self.vmr.buf,
                      srqn=vsrq.get_srq_num(), seed=99)
        returncode, stdout, stderr = run_attacker(victim)
        self.assertEqual(returncode, 0, stderr)
        out = json.loads(stdout)
        self.assertEqual(out['rc'], [e.IBV_WC_RETRY_EXC_ERR] * 4,
                         'RC requests from a QP the victim is not '
                         'connected to')
        self.assertEqual(out['xrc_own_srq'], [e.IBV_WC_REM_ACCESS_ERR] * 2,
                         "the victim's rkeys through the attacker's own "
                         "XRC target")
        self.assertEqual(out['xrc_victim_srq'], e.IBV_WC_REM_INV_REQ_ERR,
                         "the victim's XRC SRQ, from another domain")
        self.assertFalse(out['read_back_victim'],
                         'the attacker read the victim')
        self.assert_victim_intact()
        self.assert_bystander(vqp, pqp)


if __name__ == '__main__':
    unittest.main()
