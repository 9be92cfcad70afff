# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""UD traffic on uodp0: GRH, source QP, Q_Key checks."""

import pyverbs.enums as e
from pyverbs.wr import SGE

from uodp_base import (GRH_SIZE, UD_QKEY, UodpTestCase, expect_no_completion,
                       make_ah, make_ud_qp, pattern, poll_cq, recv_wr,
                       send_wr)


class UDTrafficTest(UodpTestCase):

    def setUp(self):
        super().setUp()
        self.sqp = make_ud_qp(self.server)
        self.cqp = make_ud_qp(self.client)
        self.ah = make_ah(self.client, self.server)
        self.smr = self.client.mr(4096)
        self.rmr = self.server.mr(GRH_SIZE + 4096)

    def post_recv(self, wr_id):
        self.rmr.write(bytes(GRH_SIZE + 4096), GRH_SIZE + 4096, 0)
        self.sqp.post_recv(recv_wr(wr_id, [SGE(self.rmr.buf, GRH_SIZE + 4096,
                                               self.rmr.lkey)]))

    def send(self, wr_id, size, seed, qkey=UD_QKEY, flags=0, imm=None):
        self.smr.write(pattern(size, seed), size, 0)
        opcode = e.IBV_WR_SEND if imm is None else e.IBV_WR_SEND_WITH_IMM
        wr = send_wr(wr_id, [SGE(self.smr.buf, size, self.smr.lkey)],
                     opcode=opcode, flags=flags, imm=imm or 0)
        wr.set_wr_ud(self.ah, self.sqp.qp_num, qkey)
        self.cqp.post_send(wr)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=wr_id,
                       opcode=e.IBV_WC_SEND)

    def check_recv(self, wr_id, size, seed):
        wc = poll_cq(self.server.cq)[0]
        self.assert_wc(wc, wr_id=wr_id, opcode=e.IBV_WC_RECV,
                       byte_len=GRH_SIZE + size)
        self.assertTrue(wc.wc_flags & e.IBV_WC_GRH, 'GRH flag not set')
        self.assertEqual(wc.src_qp, self.cqp.qp_num)
        self.assertEqual(wc.qp_num, self.sqp.qp_num)
        self.assertEqual(self.rmr.read(size, GRH_SIZE), pattern(size, seed))
        self.assertEqual(self.rmr.read(16, GRH_SIZE + size), bytes(16))
        return wc

    def test_ud_send_recv(self):
        for i, size in enumerate([1, 64, 512, 1000, 1024]):
            self.post_recv(i)
            self.send(100 + i, size, i)
            self.check_recv(i, size, i)

    def test_ud_send_with_imm(self):
        self.post_recv(1)
        self.send(2, 100, 8, imm=0x5a5a1234)
        wc = self.check_recv(1, 100, 8)
        self.assertTrue(wc.wc_flags & e.IBV_WC_WITH_IMM)
        self.assertEqual(wc.imm_data, 0x5a5a1234)

    def test_ud_many_senders(self):
        """Two sender QPs: src_qp tells them apart."""
        other = make_ud_qp(self.client)
        for i, qp in enumerate([self.cqp, other, self.cqp]):
            self.post_recv(i)
            self.smr.write(pattern(200, i), 200, 0)
            wr = send_wr(i, [SGE(self.smr.buf, 200, self.smr.lkey)])
            wr.set_wr_ud(self.ah, self.sqp.qp_num, UD_QKEY)
            qp.post_send(wr)
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=i)
            wc = poll_cq(self.server.cq)[0]
            self.assert_wc(wc, wr_id=i, byte_len=GRH_SIZE + 200)
            self.assertEqual(wc.src_qp, qp.qp_num)
            self.assertEqual(self.rmr.read(200, GRH_SIZE), pattern(200, i))

    def test_ud_qkey_mismatch_is_dropped(self):
        self.post_recv(1)
        self.send(2, 64, 1, qkey=UD_QKEY ^ 0xffff)
        # the sender completes (UD is unreliable), nothing is delivered
        expect_no_completion(self.server.cq, 0.5)
        # the receive is still posted and takes the next good datagram
        self.send(3, 64, 2)
        self.check_recv(1, 64, 2)

    def test_ud_to_missing_qp_is_dropped(self):
        self.post_recv(1)
        wr = send_wr(9, [SGE(self.smr.buf, 32, self.smr.lkey)])
        wr.set_wr_ud(self.ah, 0xfffff0, UD_QKEY)
        self.cqp.post_send(wr)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=9)
        expect_no_completion(self.server.cq, 0.3)

    def test_ud_larger_than_mtu_fails(self):
        """A UD message must fit the path MTU of the port."""
        port = self.client.ctx.query_port(1)
        mtu = 128 << port.active_mtu
        smr = self.client.mr(mtu + 1)
        wr = send_wr(4, [SGE(smr.buf, mtu + 1, smr.lkey)])
        wr.set_wr_ud(self.ah, self.sqp.qp_num, UD_QKEY)
        try:
            self.cqp.post_send(wr)
        except Exception:
            return		# refused at post time: fine
        wc = poll_cq(self.client.cq)[0]
        self.assertNotEqual(wc.status, e.IBV_WC_SUCCESS)
