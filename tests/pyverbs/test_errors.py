# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""
Error completions on uodp0: each case asserts the exact ibv_wc_status and
that the QP that saw it moved to the error state.
"""

import time

import pyverbs.enums as e
from pyverbs.wr import SGE

from uodp_base import (UodpTestCase, expect_no_completion,
                       pattern, poll_cq, qp_state,
                       recv_wr, send_wr)

BAD_KEY = 0x7a5e3c00	# no MR of these tests has this key


class ErrorCompletionTest(UodpTestCase):

    def check_flush_after(self, qp, cq, first_wr_id):
        """WRs posted to a QP in ERR complete with WR_FLUSH_ERR."""
        mr = self.client.mr(64) if cq is self.client.cq else \
            self.server.mr(64)
        qp.post_send(send_wr(first_wr_id, [SGE(mr.buf, 8, mr.lkey)]))
        qp.post_recv(recv_wr(first_wr_id + 1, [SGE(mr.buf, 64, mr.lkey)]))
        wcs = poll_cq(cq, 2)
        self.assertEqual(sorted(w.wr_id for w in wcs),
                         [first_wr_id, first_wr_id + 1])
        for wc in wcs:
            self.assert_wc(wc, e.IBV_WC_WR_FLUSH_ERR)

    def test_local_length_error(self):
        """Receive buffer too small: responder LOC_LEN, requester REM_INV_REQ."""
        sqp, cqp = self.rc_pair()
        rmr, smr = self.server.mr(4096), self.client.mr(4096)
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, 64, rmr.lkey)]))
        cqp.post_send(send_wr(2, [SGE(smr.buf, 1024, smr.lkey)]))
        self.assert_wc(poll_cq(self.server.cq)[0], e.IBV_WC_LOC_LEN_ERR, 1)
        self.assert_qp_error(sqp)
        self.assert_wc(poll_cq(self.client.cq)[0], e.IBV_WC_REM_INV_REQ_ERR, 2)
        self.assert_qp_error(cqp)
        self.check_flush_after(cqp, self.client.cq, 10)
        self.check_flush_after(sqp, self.server.cq, 20)

    def test_local_protection_error(self):
        """A send SGE with an lkey that does not exist."""
        sqp, cqp = self.rc_pair()
        rmr, smr = self.server.mr(64), self.client.mr(64)
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, 64, rmr.lkey)]))
        cqp.post_send(send_wr(2, [SGE(smr.buf, 16, BAD_KEY)]))
        self.assert_wc(poll_cq(self.client.cq)[0], e.IBV_WC_LOC_PROT_ERR, 2)
        self.assert_qp_error(cqp)
        expect_no_completion(self.server.cq, 0.1)

    def test_local_protection_error_out_of_bounds(self):
        """An SGE that runs past the end of its MR."""
        sqp, cqp = self.rc_pair()
        rmr, smr = self.server.mr(8192), self.client.mr(4096)
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, 8192, rmr.lkey)]))
        cqp.post_send(send_wr(2, [SGE(smr.buf + 4000, 200, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], e.IBV_WC_LOC_PROT_ERR, 2)
        self.assert_qp_error(cqp)

    def test_local_protection_error_other_pd(self):
        """An lkey from another protection domain is a protection error."""
        from pyverbs.pd import PD
        from pyverbs.mr import MR
        sqp, cqp = self.rc_pair()
        rmr = self.server.mr(64)
        other = MR(PD(self.client.ctx), 64, e.IBV_ACCESS_LOCAL_WRITE)
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, 64, rmr.lkey)]))
        cqp.post_send(send_wr(2, [SGE(other.buf, 16, other.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], e.IBV_WC_LOC_PROT_ERR, 2)
        self.assert_qp_error(cqp)

    def test_remote_access_error_bad_rkey(self):
        sqp, cqp = self.rc_pair()
        rmr, smr = self.server.mr(4096), self.client.mr(4096)
        wr = send_wr(3, [SGE(smr.buf, 64, smr.lkey)],
                     opcode=e.IBV_WR_RDMA_WRITE)
        wr.set_wr_rdma(BAD_KEY, rmr.buf)
        cqp.post_send(wr)
        self.assert_wc(poll_cq(self.client.cq)[0],
                       e.IBV_WC_REM_ACCESS_ERR, 3)
        self.assert_qp_error(cqp)

    def test_remote_access_error_mr_without_remote_write(self):
        sqp, cqp = self.rc_pair()
        rmr = self.server.mr(4096, e.IBV_ACCESS_LOCAL_WRITE |
                             e.IBV_ACCESS_REMOTE_READ)
        smr = self.client.mr(4096)
        rmr.write(bytes(64), 64, 0)
        smr.write(pattern(64, 1), 64, 0)
        wr = send_wr(4, [SGE(smr.buf, 64, smr.lkey)],
                     opcode=e.IBV_WR_RDMA_WRITE)
        wr.set_wr_rdma(rmr.rkey, rmr.buf)
        cqp.post_send(wr)
        self.assert_wc(poll_cq(self.client.cq)[0],
                       e.IBV_WC_REM_ACCESS_ERR, 4)
        self.assert_qp_error(cqp)
        self.assertEqual(rmr.read(64, 0), bytes(64), 'memory was written')

    def test_remote_access_error_out_of_bounds(self):
        sqp, cqp = self.rc_pair()
        rmr, smr = self.server.mr(4096), self.client.mr(4096)
        wr = send_wr(5, [SGE(smr.buf, 128, smr.lkey)],
                     opcode=e.IBV_WR_RDMA_READ)
        wr.set_wr_rdma(rmr.rkey, rmr.buf + 4096 - 64)
        cqp.post_send(wr)
        self.assert_wc(poll_cq(self.client.cq)[0],
                       e.IBV_WC_REM_ACCESS_ERR, 5)
        self.assert_qp_error(cqp)

    def test_remote_invalid_request_send_too_big(self):
        """The requester's side of a receive buffer that is too small."""
        sqp, cqp = self.rc_pair()
        rmr, smr = self.server.mr(4096), self.client.mr(4096)
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, 100, rmr.lkey),
                                  SGE(rmr.buf + 1000, 100, rmr.lkey)]))
        cqp.post_send(send_wr(2, [SGE(smr.buf, 201, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0],
                       e.IBV_WC_REM_INV_REQ_ERR, 2)
        self.assert_qp_error(cqp)
        self.assert_wc(poll_cq(self.server.cq)[0], e.IBV_WC_LOC_LEN_ERR, 1)
        self.assert_qp_error(sqp)

    def test_remote_invalid_request_read_not_enabled(self):
        """RDMA read to a QP whose access flags lack REMOTE_READ."""
        sqp, cqp = self.rc_pair(
            server_conn_kw={'access': e.IBV_ACCESS_LOCAL_WRITE |
                            e.IBV_ACCESS_REMOTE_WRITE})
        rmr, smr = self.server.mr(4096), self.client.mr(4096)
        wr = send_wr(6, [SGE(smr.buf, 64, smr.lkey)],
                     opcode=e.IBV_WR_RDMA_READ)
        wr.set_wr_rdma(rmr.rkey, rmr.buf)
        cqp.post_send(wr)
        self.assert_wc(poll_cq(self.client.cq)[0],
                       e.IBV_WC_REM_INV_REQ_ERR, 6)
        self.assert_qp_error(cqp)

    def rnr_case(self, rnr_retry):
        sqp, cqp = self.rc_pair(client_conn_kw={'rnr_retry': rnr_retry},
                                server_conn_kw={'min_rnr_timer': 1})
        smr = self.client.mr(64)
        start = time.monotonic()
        cqp.post_send(send_wr(7, [SGE(smr.buf, 32, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0],
                       e.IBV_WC_RNR_RETRY_EXC_ERR, 7)
        self.assert_qp_error(cqp)
        # the responder did nothing wrong: it stays usable
        self.assertEqual(qp_state(sqp), e.IBV_QPS_RTS)
        return time.monotonic() - start

    def test_rnr_retry_exceeded(self):
        for rnr_retry in (0, 1, 3, 6):
            with self.subTest(rnr_retry=rnr_retry):
                self.rnr_case(rnr_retry)

    def test_rnr_retry_infinite_then_success(self):
        """rnr_retry 7 retries forever: a late receive completes the send."""
        sqp, cqp = self.rc_pair(server_conn_kw={'min_rnr_timer': 1})
        smr, rmr = self.client.mr(64), self.server.mr(64)
        smr.write(pattern(32, 6), 32, 0)
        cqp.post_send(send_wr(8, [SGE(smr.buf, 32, smr.lkey)]))
        expect_no_completion(self.client.cq, 0.3)
        sqp.post_recv(recv_wr(9, [SGE(rmr.buf, 64, rmr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=8)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=9, byte_len=32)
        self.assertEqual(rmr.read(32, 0), pattern(32, 6))

    def test_wr_flush_after_error(self):
        """WRs queued behind a failed one are flushed, in order."""
        sqp, cqp = self.rc_pair()
        smr = self.client.mr(4096)
        cqp.post_recv(recv_wr(40, [SGE(smr.buf + 2048, 64, smr.lkey)]))
        cqp.post_send(send_wr(30, [SGE(smr.buf, 16, BAD_KEY)]))
        for i in range(31, 35):
            cqp.post_send(send_wr(i, [SGE(smr.buf, 16, smr.lkey)]))
        wcs = poll_cq(self.client.cq, 6)
        sends = [w for w in wcs if w.wr_id != 40]
        self.assert_wc(sends[0], e.IBV_WC_LOC_PROT_ERR, 30)
        for i, wc in enumerate(sends[1:]):
            self.assert_wc(wc, e.IBV_WC_WR_FLUSH_ERR, 31 + i)
        recv = [w for w in wcs if w.wr_id == 40]
        self.assert_wc(recv[0], e.IBV_WC_WR_FLUSH_ERR, 40)
        self.assert_qp_error(cqp)
        self.check_flush_after(cqp, self.client.cq, 50)

    def test_modify_to_error_flushes(self):
        """Moving a QP to ERR by hand flushes outstanding receives."""
        from pyverbs.qp import QPAttr
        sqp, cqp = self.rc_pair()
        rmr = self.server.mr(256)
        for i in range(3):
            sqp.post_recv(recv_wr(60 + i, [SGE(rmr.buf, 256, rmr.lkey)]))
        sqp.modify(QPAttr(qp_state=e.IBV_QPS_ERR), e.IBV_QP_STATE)
        wcs = poll_cq(self.server.cq, 3)
        for i, wc in enumerate(wcs):
            self.assert_wc(wc, e.IBV_WC_WR_FLUSH_ERR, 60 + i)
        self.assert_qp_error(sqp)

    def test_transport_retry_exceeded(self):
        """The peer QP was destroyed: retries run out."""
        sqp, cqp = self.rc_pair(client_conn_kw={'timeout': 1,
                                                'retry_cnt': 1})
        sqp.close()
        smr = self.client.mr(64)
        cqp.post_send(send_wr(70, [SGE(smr.buf, 32, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq, deadline=20)[0],
                       e.IBV_WC_RETRY_EXC_ERR, 70)
        self.assert_qp_error(cqp)

    def test_error_is_per_qp(self):
        """An error on one QP leaves another QP on the same CQ working."""
        sqp1, cqp1 = self.rc_pair()
        sqp2, cqp2 = self.rc_pair()
        smr, rmr = self.client.mr(256), self.server.mr(256)
        cqp1.post_send(send_wr(80, [SGE(smr.buf, 16, BAD_KEY)]))
        self.assert_wc(poll_cq(self.client.cq)[0], e.IBV_WC_LOC_PROT_ERR, 80)
        smr.write(pattern(100, 2), 100, 0)
        sqp2.post_recv(recv_wr(81, [SGE(rmr.buf, 256, rmr.lkey)]))
        cqp2.post_send(send_wr(82, [SGE(smr.buf, 100, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=82)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=81, byte_len=100)
        self.assertEqual(rmr.read(100, 0), pattern(100, 2))
        self.assertEqual(qp_state(cqp2), e.IBV_QPS_RTS)
        self.assert_qp_error(cqp1)

    def test_recv_local_protection_error(self):
        """A receive WQE with a bad lkey fails when data arrives for it."""
        sqp, cqp = self.rc_pair()
        smr, rmr = self.client.mr(64), self.server.mr(64)
        sqp.post_recv(recv_wr(90, [SGE(rmr.buf, 64, BAD_KEY)]))
        cqp.post_send(send_wr(91, [SGE(smr.buf, 32, smr.lkey)]))
        self.assert_wc(poll_cq(self.server.cq)[0], e.IBV_WC_LOC_PROT_ERR, 90)
        self.assert_qp_error(sqp)
        wc = poll_cq(self.client.cq)[0]
        self.assertEqual(wc.wr_id, 91)
        self.assertNotEqual(wc.status, e.IBV_WC_SUCCESS)
