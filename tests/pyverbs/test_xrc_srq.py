# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""Shared receive queues on uodp0: SRQ shared by RC QPs, and XRC."""

import os

import pyverbs.enums as e
from pyverbs.srq import SrqAttr
from pyverbs.wr import SGE

from uodp_base import (XRC_INI_RTR_MASK, XRC_TGT_RTS_MASK, UodpTestCase,
                       make_srq, make_xrc_recv_qp, make_xrc_send_qp,
                       make_xrc_srq, make_xrcd, new_rc_qp, pattern, poll_cq,
                       rc_connect, recv_wr, send_wr, RC_RTR_MASK)


class SRQTest(UodpTestCase):

    def test_rc_qps_share_one_srq(self):
        nqp, per_qp, size = 3, 10, 512
        srq = make_srq(self.server, max_wr=64)
        rmr = self.server.mr(nqp * per_qp * size)
        smr = self.client.mr(nqp * per_qp * size)
        pairs = []
        for _ in range(nqp):
            sqp = new_rc_qp(self.server, srq=srq)
            cqp = new_rc_qp(self.client)
            rc_connect(sqp, self.server, self.client, cqp.qp_num)
            rc_connect(cqp, self.client, self.server, sqp.qp_num)
            pairs.append((sqp, cqp))
        total = nqp * per_qp
        for slot in range(total):
            srq.post_recv(recv_wr(slot, [SGE(rmr.buf + slot * size, size,
                                             rmr.lkey)]))
        sent = {}
        for n in range(per_qp):
            for q, (_, cqp) in enumerate(pairs):
                seed = q * 100 + n
                off = (q * per_qp + n) * size
                length = size - q * 10 - n
                smr.write(pattern(length, seed), length, off)
                cqp.post_send(send_wr(seed, [SGE(smr.buf + off, length,
                                                 smr.lkey)]))
                sent.setdefault(pairs[q][0].qp_num, []).append((seed, length))
        for wc in poll_cq(self.client.cq, total):
            self.assert_wc(wc)
        seen = {}
        for wc in poll_cq(self.server.cq, total):
            self.assert_wc(wc, opcode=e.IBV_WC_RECV)
            seen.setdefault(wc.qp_num, []).append(wc)
        self.assertEqual(sorted(seen), sorted(sent))
        for qpn, wcs in seen.items():
            # per QP, messages arrive in order, each in the WQE it took
            self.assertEqual(len(wcs), per_qp)
            for wc, (seed, length) in zip(wcs, sent[qpn]):
                self.assertEqual(wc.byte_len, length)
                self.assertEqual(rmr.read(length, wc.wr_id * size),
                                 pattern(length, seed))
        self.assertEqual(len({wc.wr_id for w in seen.values() for wc in w}),
                         total, 'an SRQ WQE was consumed twice')

    def test_srq_query_modify(self):
        srq = make_srq(self.server, max_wr=32, max_sge=2)
        attr = srq.query()
        self.assertGreaterEqual(attr.max_wr, 32)
        self.assertGreaterEqual(attr.max_sge, 2)
        srq.modify(SrqAttr(srq_limit=4), e.IBV_SRQ_LIMIT)
        self.assertEqual(srq.query().srq_limit, 4)


class XRCTest(UodpTestCase):

    def setUp(self):
        super().setUp()
        self.xrcd, self.tmp, self.fd = make_xrcd(self.server)

    def tearDown(self):
        super().tearDown()
        os.close(self.fd)
        self.tmp.close()

    def connect(self, send_qp, recv_qp):
        """Client XRC_SEND QP -> server XRC_RECV QP."""
        rc_connect(send_qp, self.client, self.server, recv_qp.qp_num,
                   access=0, rtr_mask=XRC_INI_RTR_MASK)
        rc_connect(recv_qp, self.server, self.client, send_qp.qp_num,
                   rtr_mask=RC_RTR_MASK, rts_mask=XRC_TGT_RTS_MASK)

    def test_xrc_send_recv(self):
        """Two XRC SRQs behind one XRC_RECV QP: data goes by SRQ number."""
        srqs = [make_xrc_srq(self.server, self.xrcd) for _ in range(2)]
        recv_qp = make_xrc_recv_qp(self.server, self.xrcd)
        send_qp = make_xrc_send_qp(self.client)
        self.connect(send_qp, recv_qp)
        size = 1500
        rmr = self.server.mr(4 * 2048)
        smr = self.client.mr(4 * 2048)
        for i, srq in enumerate(srqs):
            for j in range(2):
                slot = i * 2 + j
                srq.post_recv(recv_wr(slot, [SGE(rmr.buf + slot * 2048, 2048,
                                                 rmr.lkey)]))
        order = [1, 0, 0, 1]	# which SRQ each message targets
        for n, which in enumerate(order):
            smr.write(pattern(size, n), size, n * 2048)
            wr = send_wr(50 + n, [SGE(smr.buf + n * 2048, size, smr.lkey)])
            wr.set_qp_type_xrc(srqs[which].get_srq_num())
            send_qp.post_send(wr)
        for n, wc in enumerate(poll_cq(self.client.cq, len(order))):
            self.assert_wc(wc, wr_id=50 + n, opcode=e.IBV_WC_SEND)
        got = poll_cq(self.server.cq, len(order))
        next_slot = {0: 0, 1: 2}
        for n, which in enumerate(order):
            # completions of one SRQ come in order; find this message's
            slot = next_slot[which]
            next_slot[which] += 1
            wc = [w for w in got if w.wr_id == slot]
            self.assertEqual(len(wc), 1, 'SRQ WQE %d: %d completions' %
                             (slot, len(wc)))
            self.assert_wc(wc[0], opcode=e.IBV_WC_RECV, byte_len=size)
            self.assertEqual(rmr.read(size, slot * 2048), pattern(size, n))

    def test_xrc_rdma_write(self):
        """RDMA write through an XRC QP pair (no SRQ WQE consumed)."""
        srq = make_xrc_srq(self.server, self.xrcd)
        recv_qp = make_xrc_recv_qp(self.server, self.xrcd)
        send_qp = make_xrc_send_qp(self.client)
        self.connect(send_qp, recv_qp)
        rmr, smr = self.server.mr(8192), self.client.mr(8192)
        smr.write(pattern(8192, 3), 8192, 0)
        wr = send_wr(1, [SGE(smr.buf, 8192, smr.lkey)],
                     opcode=e.IBV_WR_RDMA_WRITE)
        wr.set_wr_rdma(rmr.rkey, rmr.buf)
        wr.set_qp_type_xrc(srq.get_srq_num())
        send_qp.post_send(wr)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=1,
                       opcode=e.IBV_WC_RDMA_WRITE)
        self.assertEqual(rmr.read(8192, 0), pattern(8192, 3))

    def test_xrc_srq_of_other_xrcd_rejected(self):
        """A message to an SRQ in another XRC domain must not be delivered."""
        other_xrcd, tmp2, fd2 = make_xrcd(self.server)
        try:
            foreign = make_xrc_srq(self.server, other_xrcd)
            recv_qp = make_xrc_recv_qp(self.server, self.xrcd)
            send_qp = make_xrc_send_qp(self.client)
            self.connect(send_qp, recv_qp)
            rmr, smr = self.server.mr(256), self.client.mr(256)
            foreign.post_recv(recv_wr(1, [SGE(rmr.buf, 256, rmr.lkey)]))
            wr = send_wr(2, [SGE(smr.buf, 64, smr.lkey)])
            wr.set_qp_type_xrc(foreign.get_srq_num())
            send_qp.post_send(wr)
            wc = poll_cq(self.client.cq)[0]
            self.assertNotEqual(wc.status, e.IBV_WC_SUCCESS,
                                'delivered into another XRC domain')
            self.assert_qp_error(send_qp)
            n, _ = self.server.cq.poll(1)
            self.assertEqual(n, 0)
        finally:
            os.close(fd2)
            tmp2.close()
