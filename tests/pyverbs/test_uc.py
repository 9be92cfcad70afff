# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""
UC on uodp0: SEND and RDMA WRITE with every byte checked, and what makes UC
unreliable: the responder silently drops what it cannot take (no receive
WQE, a message too long, a bad rkey, a peer not receiving) while the
requester completes successfully, and later messages still arrive.  READ
and atomics are not UC operations.
"""

import unittest

import pyverbs.enums as e
from pyverbs.pyverbs_error import PyverbsRDMAError
from pyverbs.qp import QPAttr
from pyverbs.wr import SGE

from test_qpex import new_qpex

from uodp_base import (UC_RTR_MASK, UC_RTS_MASK, UodpTestCase,
                       expect_no_completion, make_srq, pattern, poll_cq,
                       qp_state, rc_connect, recv_wr, send_wr)

UC_OPS = (e.IBV_QP_EX_WITH_SEND | e.IBV_QP_EX_WITH_SEND_WITH_IMM |
          e.IBV_QP_EX_WITH_RDMA_WRITE | e.IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM)
BIG = 600 * 1024	# more than one 256 KiB engine step


def post_write(qp, wr_id, sge, rkey, addr, imm=None):
    """A signaled RDMA WRITE, or WRITE_WITH_IMM when imm is given."""
    opcode = (e.IBV_WR_RDMA_WRITE if imm is None else
              e.IBV_WR_RDMA_WRITE_WITH_IMM)
    wr = send_wr(wr_id, [sge], opcode=opcode, flags=e.IBV_SEND_SIGNALED,
                 imm=imm or 0)
    wr.set_wr_rdma(rkey, addr)
    qp.post_send(wr)


class UCTrafficTest(UodpTestCase):

    def test_send_recv(self):
        """SENDs of many sizes, one spanning several steps, in order."""
        self.check_sends(*self.uc_pair(), [1, 64, 1025, 4096, 65536, BIG],
                         BIG)

    def test_rdma_write(self):
        """RDMA WRITE, small and multi-step; nothing lands past it."""
        sqp, cqp = self.uc_pair()
        smr, rmr = self.client.mr(BIG), self.server.mr(BIG + 64)
        rmr.write(bytes(BIG + 64), BIG + 64, 0)
        for n, size in enumerate((100, BIG)):
            smr.write(pattern(size, n), size, 0)
            post_write(cqp, n, SGE(smr.buf, size, smr.lkey), rmr.rkey,
                       rmr.buf)
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=n,
                           opcode=e.IBV_WC_RDMA_WRITE)
            self.assertEqual(rmr.read(size, 0), pattern(size, n))
        self.assertEqual(rmr.read(64, BIG), bytes(64))
        expect_no_completion(self.server.cq)

    def test_rdma_write_with_imm(self):
        sqp, cqp = self.uc_pair()
        smr, rmr = self.client.mr(4096), self.server.mr(4096)
        smr.write(pattern(2000, 4), 2000, 0)
        sqp.post_recv(recv_wr(9, [SGE(rmr.buf, 16, rmr.lkey)]))
        post_write(cqp, 3, SGE(smr.buf, 2000, smr.lkey), rmr.rkey,
                   rmr.buf + 1000, imm=0xabcd)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=3)
        wc = poll_cq(self.server.cq)[0]
        self.assert_wc(wc, wr_id=9, opcode=e.IBV_WC_RECV_RDMA_WITH_IMM,
                       byte_len=2000)
        self.assertEqual(wc.imm_data, 0xabcd)
        self.assertEqual(rmr.read(2000, 1000), pattern(2000, 4))

    def test_srq(self):
        """UC on an SRQ; a send finding it empty is dropped."""
        srq = make_srq(self.server, max_wr=16)
        sqp, cqp = self.uc_pair(server_kw={'srq': srq, 'max_recv_wr': 0})
        smr, rmr = self.client.mr(256), self.server.mr(256)
        smr.write(pattern(256, 1), 256, 0)
        cqp.post_send(send_wr(1, [SGE(smr.buf, 100, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=1)
        expect_no_completion(self.server.cq)
        srq.post_recv(recv_wr(5, [SGE(rmr.buf, 256, rmr.lkey)]))
        smr.write(pattern(256, 2), 256, 0)
        cqp.post_send(send_wr(2, [SGE(smr.buf, 200, smr.lkey)],
                              opcode=e.IBV_WR_SEND_WITH_IMM, imm=0x12345678))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=2)
        wc = poll_cq(self.server.cq)[0]
        self.assert_wc(wc, wr_id=5, opcode=e.IBV_WC_RECV, byte_len=200)
        self.assertTrue(wc.wc_flags & e.IBV_WC_WITH_IMM)
        self.assertEqual(wc.imm_data, 0x12345678)
        self.assertEqual(wc.qp_num, sqp.qp_num)
        self.assertEqual(rmr.read(200, 0), pattern(256, 2)[:200])


class UCDropTest(UodpTestCase):
    """The responder drops, the requester never knows, the QPs stay up."""

    def assert_both_rts(self, sqp, cqp):
        self.assertEqual(qp_state(sqp), e.IBV_QPS_RTS)
        self.assertEqual(qp_state(cqp), e.IBV_QPS_RTS)

    def test_send_without_recv_dropped(self):
        sqp, cqp = self.uc_pair()
        smr, rmr = self.client.mr(256), self.server.mr(256)
        rmr.write(bytes(256), 256, 0)
        for i in range(3):
            smr.write(pattern(128, 10 + i), 128, 0)
            cqp.post_send(send_wr(i, [SGE(smr.buf, 128, smr.lkey)]))
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=i,
                           opcode=e.IBV_WC_SEND)
        expect_no_completion(self.server.cq)
        self.assert_both_rts(sqp, cqp)
        # A later message finds the WQE posted after the drops.
        sqp.post_recv(recv_wr(77, [SGE(rmr.buf, 256, rmr.lkey)]))
        smr.write(pattern(128, 20), 128, 0)
        cqp.post_send(send_wr(9, [SGE(smr.buf, 128, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=9)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=77, byte_len=128)
        self.assertEqual(rmr.read(128, 0), pattern(128, 20))
        expect_no_completion(self.server.cq)

    def test_send_too_long_dropped(self):
        """Longer than the receive WQE: dropped, the WQE takes the next."""
        sqp, cqp = self.uc_pair()
        smr, rmr = self.client.mr(256), self.server.mr(256)
        rmr.write(bytes(256), 256, 0)
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, 64, rmr.lkey)]))
        smr.write(pattern(128, 1), 128, 0)
        cqp.post_send(send_wr(1, [SGE(smr.buf, 128, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=1)
        expect_no_completion(self.server.cq)
        self.assertEqual(rmr.read(64, 0), bytes(64))
        smr.write(pattern(32, 2), 32, 0)
        cqp.post_send(send_wr(2, [SGE(smr.buf, 32, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=2)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=1, byte_len=32)
        self.assertEqual(rmr.read(32, 0), pattern(32, 2))
        self.assert_both_rts(sqp, cqp)

    def test_write_bad_rkey_dropped(self):
        """A bad rkey, bounds or access: no NAK, nothing written."""
        sqp, cqp = self.uc_pair()
        smr, rmr = self.client.mr(4096), self.server.mr(4096)
        ro = self.server.mr(4096, access=e.IBV_ACCESS_LOCAL_WRITE)
        rmr.write(bytes(4096), 4096, 0)
        ro.write(bytes(4096), 4096, 0)
        smr.write(pattern(256, 6), 256, 0)
        bad = [(rmr.rkey ^ 0x5a00, rmr.buf),		# no such key
               (rmr.rkey, rmr.buf + 4000),		# past the MR
               (ro.rkey, ro.buf)]			# no remote write
        for i, (rkey, addr) in enumerate(bad):
            post_write(cqp, i, SGE(smr.buf, 256, smr.lkey), rkey, addr)
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=i,
                           opcode=e.IBV_WC_RDMA_WRITE)
        self.assertEqual(rmr.read(4096, 0), bytes(4096))
        self.assertEqual(ro.read(4096, 0), bytes(4096))
        # WRITE_WITH_IMM under a bad rkey consumes no receive WQE.
        sqp.post_recv(recv_wr(50, [SGE(rmr.buf, 16, rmr.lkey)]))
        post_write(cqp, 10, SGE(smr.buf, 256, smr.lkey), rmr.rkey + 0x100,
                   rmr.buf, imm=1)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=10)
        expect_no_completion(self.server.cq)
        self.assert_both_rts(sqp, cqp)
        post_write(cqp, 11, SGE(smr.buf, 256, smr.lkey), rmr.rkey,
                   rmr.buf + 512, imm=2)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=11)
        wc = poll_cq(self.server.cq)[0]
        self.assert_wc(wc, wr_id=50, byte_len=256)
        self.assertEqual(wc.imm_data, 2)
        self.assertEqual(rmr.read(256, 512), pattern(256, 6))

    def test_peer_not_receiving(self):
        """A responder in error drops everything; the requester succeeds."""
        sqp, cqp = self.uc_pair()
        smr, rmr = self.client.mr(256), self.server.mr(256)
        sqp.modify(QPAttr(qp_state=e.IBV_QPS_ERR), e.IBV_QP_STATE)
        smr.write(pattern(64, 1), 64, 0)
        cqp.post_send(send_wr(1, [SGE(smr.buf, 64, smr.lkey)]))
        post_write(cqp, 2, SGE(smr.buf, 64, smr.lkey), rmr.rkey, rmr.buf)
        for i, wc in enumerate(poll_cq(self.client.cq, 2)):
            self.assert_wc(wc, wr_id=1 + i)
        self.assertEqual(qp_state(cqp), e.IBV_QPS_RTS)


class UCOpcodeTest(UodpTestCase):
    """READ and atomics need a response: UC has none."""

    def test_post_send_rejects_read_and_atomics(self):
        sqp, cqp = self.uc_pair()
        smr, rmr = self.client.mr(64), self.server.mr(64)
        for opcode in (e.IBV_WR_RDMA_READ, e.IBV_WR_ATOMIC_CMP_AND_SWP,
                       e.IBV_WR_ATOMIC_FETCH_AND_ADD):
            wr = send_wr(1, [SGE(smr.buf, 8, smr.lkey)], opcode=opcode)
            if opcode == e.IBV_WR_RDMA_READ:
                wr.set_wr_rdma(rmr.rkey, rmr.buf)
            else:
                wr.set_wr_atomic(rmr.rkey, rmr.buf, 1, 0)
            with self.assertRaises(PyverbsRDMAError) as ctx:
                cqp.post_send(wr)
            self.assert_errno(ctx.exception, 22, 'UC opcode %d' % opcode)
        expect_no_completion(self.client.cq)
        self.assertEqual(qp_state(cqp), e.IBV_QPS_RTS)

    def test_qpex_ops(self):
        """libmlx5's UC send ops only; wr_rdma_read/atomics fail the batch."""
        for extra in (e.IBV_QP_EX_WITH_RDMA_READ,
                      e.IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD):
            with self.assertRaises(PyverbsRDMAError) as ctx:
                new_qpex(self.client, e.IBV_QPT_UC, UC_OPS | extra)
            self.assert_errno(ctx.exception, 95, 'UC send_ops 0x%x' % extra)
        sqp = new_qpex(self.server, e.IBV_QPT_UC, UC_OPS)
        cqp = new_qpex(self.client, e.IBV_QPT_UC, UC_OPS)
        for qp, local, remote, peer in ((sqp, self.server, self.client, cqp),
                                        (cqp, self.client, self.server, sqp)):
            rc_connect(qp, local, remote, peer.qp_num, rtr_mask=UC_RTR_MASK,
                       rts_mask=UC_RTS_MASK)
        smr, rmr = self.client.mr(4096), self.server.mr(4096)
        smr.write(pattern(512, 7), 512, 0)
        for build in (lambda qp: qp.wr_rdma_read(rmr.rkey, rmr.buf),
                      lambda qp: qp.wr_atomic_fetch_add(rmr.rkey, rmr.buf, 1),
                      lambda qp: qp.wr_atomic_cmp_swp(rmr.rkey, rmr.buf,
                                                      0, 1)):
            cqp.wr_start()
            cqp.wr_id = 1
            cqp.wr_flags = e.IBV_SEND_SIGNALED
            build(cqp)
            cqp.wr_set_sge(SGE(smr.buf, 8, smr.lkey))
            with self.assertRaises(PyverbsRDMAError) as ctx:
                cqp.wr_complete()
            self.assert_errno(ctx.exception, 22, 'wr_complete')
        expect_no_completion(self.client.cq)
        # The builders UC has still work: a write and a send.
        sqp.post_recv(recv_wr(3, [SGE(rmr.buf + 2048, 512, rmr.lkey)]))
        cqp.wr_start()
        cqp.wr_id = 10
        cqp.wr_flags = e.IBV_SEND_SIGNALED
        cqp.wr_rdma_write(rmr.rkey, rmr.buf)
        cqp.wr_set_sge(SGE(smr.buf, 512, smr.lkey))
        cqp.wr_id = 11
        cqp.wr_send()
        cqp.wr_set_sge(SGE(smr.buf, 512, smr.lkey))
        cqp.wr_complete()
        wcs = poll_cq(self.client.cq, 2)
        self.assert_wc(wcs[0], wr_id=10, opcode=e.IBV_WC_RDMA_WRITE)
        self.assert_wc(wcs[1], wr_id=11, opcode=e.IBV_WC_SEND)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=3, byte_len=512)
        self.assertEqual(rmr.read(512, 0), pattern(512, 7))
        self.assertEqual(rmr.read(512, 2048), pattern(512, 7))

    def test_modify_table(self):
        """UC's RTR and RTS take no responder or retry attributes."""
        qp = self.uc_pair()[1]
        self.assertEqual(qp_state(qp), e.IBV_QPS_RTS)
        attr = QPAttr()
        attr.min_rnr_timer = 3
        with self.assertRaises(PyverbsRDMAError) as ctx:
            qp.modify(attr, e.IBV_QP_MIN_RNR_TIMER)
        self.assert_errno(ctx.exception, 22, 'RTS with min_rnr_timer')


if __name__ == '__main__':
    unittest.main()
