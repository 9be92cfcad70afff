# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""
The extended send API (ibv_qp_ex wr_*): every verb perftest and rdma-core's
tests build WQEs with, on RC and UD QPs, with the data verified.
"""

import socket
import unittest

import pyverbs.enums as e
from pyverbs.qp import QPAttr, QPCap, QPEx, QPInitAttrEx
from pyverbs.wr import SGE

from uodp_base import (ACCESS_ALL, GRH_SIZE, IB_PORT, UD_QKEY, UD_INIT_MASK,
                       UodpTestCase, make_ah, pattern, poll_cq, qp_state,
                       rc_connect, recv_wr)

RC_OPS = (e.IBV_QP_EX_WITH_SEND | e.IBV_QP_EX_WITH_SEND_WITH_IMM |
          e.IBV_QP_EX_WITH_RDMA_WRITE | e.IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM |
          e.IBV_QP_EX_WITH_RDMA_READ | e.IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP |
          e.IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD)
UD_OPS = e.IBV_QP_EX_WITH_SEND | e.IBV_QP_EX_WITH_SEND_WITH_IMM


def new_qpex(side, qp_type=e.IBV_QPT_RC, ops=RC_OPS, max_inline_data=64):
    cap = QPCap(max_send_wr=32, max_recv_wr=32, max_send_sge=4,
                max_recv_sge=4, max_inline_data=max_inline_data)
    init = QPInitAttrEx(qp_type=qp_type, scq=side.cq, rcq=side.cq, cap=cap,
                        pd=side.pd, sq_sig_all=0,
                        comp_mask=e.IBV_QP_INIT_ATTR_PD |
                        e.IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
                        send_ops_flags=ops)
    qp = QPEx(side.ctx, init)
    side.qps.append(qp)
    return qp


class QPExTest(UodpTestCase):

    def rc_qpex_pair(self):
        sqp = new_qpex(self.server)
        cqp = new_qpex(self.client)
        rc_connect(sqp, self.server, self.client, cqp.qp_num)
        rc_connect(cqp, self.client, self.server, sqp.qp_num)
        return sqp, cqp

    def post_one(self, qp, wr_id, build):
        qp.wr_start()
        qp.wr_id = wr_id
        qp.wr_flags = e.IBV_SEND_SIGNALED
        build(qp)
        qp.wr_complete()

    def test_rc_send_write_read(self):
        sqp, cqp = self.rc_qpex_pair()
        smr = self.server.mr(4096)
        cmr = self.client.mr(4096)
        data = pattern(1024, 3)
        cmr.write(data, len(data))
        sqp.post_recv(recv_wr(1, [SGE(smr.buf, 1024, smr.lkey)]))

        def send(qp):
            qp.wr_send()
            qp.wr_set_sge(SGE(cmr.buf, 1024, cmr.lkey))
        self.post_one(cqp, 10, send)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=10,
                       opcode=e.IBV_WC_SEND)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=1,
                       opcode=e.IBV_WC_RECV, byte_len=1024)
        self.assertEqual(smr.read(1024, 0), data)

        data = pattern(512, 4)
        cmr.write(data, len(data))

        def write(qp):
            qp.wr_rdma_write(smr.rkey, smr.buf + 2048)
            qp.wr_set_sge(SGE(cmr.buf, 512, cmr.lkey))
        self.post_one(cqp, 11, write)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=11,
                       opcode=e.IBV_WC_RDMA_WRITE)
        self.assertEqual(smr.read(512, 2048), data)

        def read(qp):
            qp.wr_rdma_read(smr.rkey, smr.buf + 2048)
            qp.wr_set_sge(SGE(cmr.buf + 3072, 512, cmr.lkey))
        self.post_one(cqp, 12, read)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=12,
                       opcode=e.IBV_WC_RDMA_READ, byte_len=512)
        self.assertEqual(cmr.read(512, 3072), data)

    def test_rc_imm_inline_and_sge_list(self):
        sqp, cqp = self.rc_qpex_pair()
        smr = self.server.mr(4096)
        cmr = self.client.mr(4096)
        for i in range(3):
            sqp.post_recv(recv_wr(i, [SGE(smr.buf + i * 1024, 1024,
                                          smr.lkey)]))
        payload = b'inline via wr_set_inline_data'
        cmr.write(payload, len(payload))

        def send_imm_inline(qp):
            qp.wr_send_imm(0x12345678)
            qp.wr_set_inline_data(cmr.buf, len(payload))
        self.post_one(cqp, 20, send_imm_inline)
        # Inline data is copied into the WQE at post time.
        cmr.write(bytes(len(payload)), len(payload))
        wc = poll_cq(self.server.cq)[0]
        self.assert_wc(wc, wr_id=0, opcode=e.IBV_WC_RECV,
                       byte_len=len(payload))
        # pyverbs hands wr_*_imm a host-order value (it converts it to
        # network order) and reports ibv_wc.imm_data as stored: big-endian.
        self.assertEqual(wc.imm_data, socket.htonl(0x12345678))
        self.assertEqual(smr.read(len(payload), 0), payload)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=20)

        a, b = pattern(100, 5), pattern(60, 6)
        cmr.write(a, 100)
        cmr_b = self.client.mr(4096)
        cmr_b.write(b, 60)

        def send_list(qp):
            qp.wr_send()
            qp.wr_set_sge_list(2, [SGE(cmr.buf, 100, cmr.lkey),
                                   SGE(cmr_b.buf, 60, cmr_b.lkey)])
        self.post_one(cqp, 21, send_list)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=1, byte_len=160)
        self.assertEqual(smr.read(160, 1024), a + b)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=21)

        def write_imm(qp):
            qp.wr_rdma_write_imm(smr.rkey, smr.buf + 3000, 0xabcdef01)
            qp.wr_set_sge(SGE(cmr.buf, 64, cmr.lkey))
        self.post_one(cqp, 22, write_imm)
        wc = poll_cq(self.server.cq)[0]
        self.assert_wc(wc, wr_id=2, opcode=e.IBV_WC_RECV_RDMA_WITH_IMM,
                       byte_len=64)
        self.assertEqual(wc.imm_data, socket.htonl(0xabcdef01))
        self.assertEqual(smr.read(64, 3000), a[:64])

    def test_rc_atomics(self):
        sqp, cqp = self.rc_qpex_pair()
        smr = self.server.mr(64)
        cmr = self.client.mr(64)
        smr.write((100).to_bytes(8, 'little'), 8)

        def fetch_add(qp):
            qp.wr_atomic_fetch_add(smr.rkey, smr.buf, 5)
            qp.wr_set_sge(SGE(cmr.buf, 8, cmr.lkey))
        self.post_one(cqp, 30, fetch_add)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=30,
                       opcode=e.IBV_WC_FETCH_ADD)
        self.assertEqual(int.from_bytes(cmr.read(8, 0), 'little'), 100)
        self.assertEqual(int.from_bytes(smr.read(8, 0), 'little'), 105)

        def cmp_swp(qp):
            qp.wr_atomic_cmp_swp(smr.rkey, smr.buf, 105, 7)
            qp.wr_set_sge(SGE(cmr.buf + 8, 8, cmr.lkey))
        self.post_one(cqp, 31, cmp_swp)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=31,
                       opcode=e.IBV_WC_COMP_SWAP)
        self.assertEqual(int.from_bytes(cmr.read(8, 8), 'little'), 105)
        self.assertEqual(int.from_bytes(smr.read(8, 0), 'little'), 7)

    def test_batch_and_abort(self):
        """Several WRs in one wr_start/wr_complete; an aborted batch posts
        nothing."""
        sqp, cqp = self.rc_qpex_pair()
        smr = self.server.mr(4096)
        cmr = self.client.mr(4096)
        data = pattern(4096, 8)
        cmr.write(data, 4096)
        cqp.wr_start()
        cqp.wr_id = 40
        cqp.wr_flags = 0
        cqp.wr_rdma_write(smr.rkey, smr.buf + 4000)
        cqp.wr_set_sge(SGE(cmr.buf, 96, cmr.lkey))
        cqp.wr_abort()
        cqp.wr_start()
        for i in range(4):
            cqp.wr_id = 41 + i
            cqp.wr_flags = e.IBV_SEND_SIGNALED if i == 3 else 0
            cqp.wr_rdma_write(smr.rkey, smr.buf + i * 1000)
            cqp.wr_set_sge(SGE(cmr.buf + i * 1000, 1000, cmr.lkey))
        cqp.wr_complete()
        wcs = poll_cq(self.client.cq)
        self.assertEqual(len(wcs), 1)
        self.assert_wc(wcs[0], wr_id=44)
        self.assertEqual(smr.read(4000, 0), data[:4000])
        # The aborted write never reached the server's buffer.
        self.assertEqual(smr.read(96, 4000), bytes(96))

    def test_ud_send(self):
        sqp = new_qpex(self.server, e.IBV_QPT_UD, UD_OPS)
        cqp = new_qpex(self.client, e.IBV_QPT_UD, UD_OPS)
        for qp in (sqp, cqp):
            attr = QPAttr(qp_state=e.IBV_QPS_INIT)
            attr.pkey_index = 0
            attr.port_num = IB_PORT
            attr.qkey = UD_QKEY
            qp.modify(attr, UD_INIT_MASK)
            qp.modify(QPAttr(qp_state=e.IBV_QPS_RTR), e.IBV_QP_STATE)
            attr = QPAttr(qp_state=e.IBV_QPS_RTS)
            attr.sq_psn = 0
            qp.modify(attr, e.IBV_QP_STATE | e.IBV_QP_SQ_PSN)
        self.assertEqual(qp_state(cqp), e.IBV_QPS_RTS)
        smr = self.server.mr(2048)
        cmr = self.client.mr(2048)
        data = pattern(256, 9)
        cmr.write(data, 256)
        sqp.post_recv(recv_wr(7, [SGE(smr.buf, 256 + GRH_SIZE, smr.lkey)]))
        ah = make_ah(self.client, self.server)

        def send(qp):
            qp.wr_send()
            qp.wr_set_ud_addr(ah, sqp.qp_num, UD_QKEY)
            qp.wr_set_sge(SGE(cmr.buf, 256, cmr.lkey))
        self.post_one(cqp, 50, send)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=50)
        wc = poll_cq(self.server.cq)[0]
        self.assert_wc(wc, wr_id=7, byte_len=256 + GRH_SIZE)
        self.assertEqual(wc.src_qp, cqp.qp_num)
        self.assertEqual(smr.read(256, GRH_SIZE), data)


if __name__ == '__main__':
    unittest.main()
