# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""Device queries, bad arguments and resource limits on uodp0."""

import errno
import unittest

import pyverbs.device as d
import pyverbs.enums as e
from pyverbs.cq import CQ
from pyverbs.mr import MR
from pyverbs.pd import PD
from pyverbs.pyverbs_error import PyverbsError, PyverbsRDMAError
from pyverbs.qp import QP, QPAttr, QPCap, QPInitAttr
from pyverbs.wr import SGE

from uodp_base import (DEV_NAME, IB_PORT, INIT_MASK, RC_RTR_MASK,
                       UodpTestCase, new_rc_qp, pattern, poll_cq, qp_state,
                       qp_to_init, recv_wr, send_wr)


class DeviceTest(unittest.TestCase):

    def test_device_listed(self):
        names = [dev.name.decode() for dev in d.get_device_list()]
        self.assertIn(DEV_NAME, names)

    def test_query(self):
        with d.Context(name=DEV_NAME) as ctx:
            attr = ctx.query_device()
            self.assertEqual(attr.phys_port_cnt, 1)
            self.assertNotEqual(attr.node_guid, 0)
            for field in ('max_qp', 'max_qp_wr', 'max_sge', 'max_cq',
                          'max_cqe', 'max_mr', 'max_pd', 'max_srq',
                          'max_srq_wr', 'max_ah', 'max_mr_size'):
                self.assertGreater(getattr(attr, field), 0, field)
            self.assertNotEqual(attr.atomic_caps, e.IBV_ATOMIC_NONE)
            attr_ex = ctx.query_device_ex()
            self.assertEqual(attr_ex.orig_attr.max_qp_wr, attr.max_qp_wr)
            port = ctx.query_port(IB_PORT)
            self.assertEqual(port.state, e.IBV_PORT_ACTIVE)
            self.assertEqual(port.link_layer, e.IBV_LINK_LAYER_ETHERNET)
            self.assertGreater(port.gid_tbl_len, 1)
            types = set()
            for i in range(port.gid_tbl_len):
                gid = ctx.query_gid(IB_PORT, i)
                if gid.gid.replace(':', '').strip('0'):
                    types.add(ctx.query_gid_type(IB_PORT, i))
            # ibv_query_gid_type answers in the sysfs enum
            self.assertIn(e.IBV_GID_TYPE_SYSFS_ROCE_V2, types)
            self.assertIn(e.IBV_GID_TYPE_SYSFS_IB_ROCE_V1, types)

    def test_bad_port(self):
        with d.Context(name=DEV_NAME) as ctx:
            for port in (0, 2, 255):
                with self.assertRaises(PyverbsRDMAError) as cm:
                    ctx.query_port(port)
                self.assertEqual(cm.exception.error_code, errno.EINVAL,
                                 'query_port(%d)' % port)

    def test_bad_comp_vector(self):
        with d.Context(name=DEV_NAME) as ctx:
            with self.assertRaises(PyverbsError):
                CQ(ctx, 16, None, None, ctx.num_comp_vectors)


class BadArgumentsTest(UodpTestCase):

    def setUp(self):
        super().setUp()
        self.attr = self.client.ctx.query_device()

    def create(self, **cap):
        full = dict(max_send_wr=16, max_recv_wr=16, max_send_sge=1,
                    max_recv_sge=1, max_inline_data=0)
        full.update(cap)
        init = QPInitAttr(qp_type=e.IBV_QPT_RC, scq=self.client.cq,
                          rcq=self.client.cq, cap=QPCap(**full))
        return QP(self.client.pd, init)

    def expect_einval(self, what, fn, *args, **kw):
        with self.assertRaises(PyverbsRDMAError, msg=what) as cm:
            fn(*args, **kw)
        self.assert_errno(cm.exception, errno.EINVAL, what)

    def test_qp_cap_limits(self):
        a = self.attr
        for field, limit in (('max_send_wr', a.max_qp_wr),
                             ('max_recv_wr', a.max_qp_wr),
                             ('max_send_sge', a.max_sge),
                             ('max_recv_sge', a.max_sge)):
            with self.subTest(field=field):
                qp = self.create(**{field: limit})	# the cap itself works
                _, init = qp.query(e.IBV_QP_CAP)
                self.assertGreaterEqual(getattr(init.cap, field), limit)
                qp.close()
                self.expect_einval('%s = %d' % (field, limit + 1),
                                   self.create, **{field: limit + 1})

    def test_max_inline_data(self):
        """The largest accepted inline size works; one more byte fails."""
        lo, hi = 0, 1 << 16
        while lo < hi:			# largest accepted max_inline_data
            mid = (lo + hi + 1) // 2
            try:
                self.create(max_inline_data=mid).close()
                lo = mid
            except PyverbsRDMAError as err:
                self.assert_errno(err, errno.EINVAL, 'inline %d' % mid)
                hi = mid - 1
        max_inline = lo
        self.assertGreater(max_inline, 0, 'no inline data supported')
        self.assertLess(max_inline, 1 << 16)
        self.expect_einval('inline %d' % (max_inline + 1), self.create,
                           max_inline_data=max_inline + 1)
        # a send of exactly that many inline bytes is delivered intact
        sqp, cqp = self.rc_pair(client_kw={'max_inline_data': max_inline})
        smr, rmr = self.client.mr(max_inline), self.server.mr(max_inline)
        smr.write(pattern(max_inline, 3), max_inline, 0)
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, max_inline, rmr.lkey)]))
        cqp.post_send(send_wr(2, [SGE(smr.buf, max_inline, smr.lkey)],
                              flags=e.IBV_SEND_INLINE))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=2)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=1,
                       byte_len=max_inline)
        self.assertEqual(rmr.read(max_inline, 0), pattern(max_inline, 3))
        # and an inline send bigger than the QP's cap is refused at post
        with self.assertRaises(PyverbsRDMAError):
            big = self.client.mr(max_inline + 1)
            cqp.post_send(send_wr(3, [SGE(big.buf, max_inline + 1,
                                          big.lkey)],
                                  flags=e.IBV_SEND_INLINE))

    def test_too_many_sges_at_post(self):
        qp = new_rc_qp(self.client, max_send_sge=2, max_recv_sge=2)
        _, init = qp.query(e.IBV_QP_CAP)
        n = max(init.cap.max_recv_sge, init.cap.max_send_sge) + 1
        mr = self.client.mr(64)
        qp_to_init(qp)
        with self.assertRaises(PyverbsRDMAError):
            qp.post_recv(recv_wr(1, [SGE(mr.buf, 1, mr.lkey)] * n))

    def test_too_many_wrs_at_post(self):
        """Posting more receives than the RQ holds fails with ENOMEM."""
        qp = new_rc_qp(self.client, max_recv_wr=4)
        _, init = qp.query(e.IBV_QP_CAP)
        mr = self.client.mr(64)
        qp_to_init(qp)
        with self.assertRaises(PyverbsRDMAError) as cm:
            for i in range(init.cap.max_recv_wr + 1):
                qp.post_recv(recv_wr(i, [SGE(mr.buf, 64, mr.lkey)]))
        self.assert_errno(cm.exception, errno.ENOMEM, 'RQ overflow')

    def test_bad_transitions(self):
        qp = new_rc_qp(self.client)
        attr = QPAttr(qp_state=e.IBV_QPS_INIT)
        attr.pkey_index, attr.port_num = 0, IB_PORT
        attr.qp_access_flags = e.IBV_ACCESS_LOCAL_WRITE
        # RESET -> INIT without the port
        self.expect_einval('INIT without PORT', qp.modify, attr,
                           INIT_MASK & ~e.IBV_QP_PORT)
        self.assertEqual(qp_state(qp), e.IBV_QPS_RESET)
        # RESET -> RTR, skipping INIT
        rtr = QPAttr(qp_state=e.IBV_QPS_RTR)
        rtr.dest_qp_num = qp.qp_num
        rtr.ah_attr = self.client.ah_attr(self.client)
        rtr.path_mtu = e.IBV_MTU_1024
        self.expect_einval('RESET -> RTR', qp.modify, rtr, RC_RTR_MASK)
        # RESET -> RTS
        self.expect_einval('RESET -> RTS', qp.modify,
                           QPAttr(qp_state=e.IBV_QPS_RTS), e.IBV_QP_STATE)
        # a bad port number
        attr.port_num = 2
        self.expect_einval('INIT on port 2', qp.modify, attr, INIT_MASK)
        attr.port_num = IB_PORT
        qp.modify(attr, INIT_MASK)
        self.assertEqual(qp_state(qp), e.IBV_QPS_INIT)
        # INIT -> RTR without the destination QP number
        self.expect_einval('RTR without DEST_QPN', qp.modify, rtr,
                           RC_RTR_MASK & ~e.IBV_QP_DEST_QPN)
        # INIT -> RTS, skipping RTR
        self.expect_einval('INIT -> RTS', qp.modify,
                           QPAttr(qp_state=e.IBV_QPS_RTS), e.IBV_QP_STATE)
        self.assertEqual(qp_state(qp), e.IBV_QPS_INIT)
        # an attribute INIT does not accept (RTS-only timeout)
        self.expect_einval('INIT -> INIT with TIMEOUT', qp.modify, attr,
                           INIT_MASK | e.IBV_QP_TIMEOUT)
        # any state -> RESET works, and the QP can be brought up again
        qp.modify(QPAttr(qp_state=e.IBV_QPS_RESET), e.IBV_QP_STATE)
        self.assertEqual(qp_state(qp), e.IBV_QPS_RESET)
        qp.modify(attr, INIT_MASK)

    def test_invalid_access_flags(self):
        pd = self.client.pd
        for access in (e.IBV_ACCESS_REMOTE_WRITE,
                       e.IBV_ACCESS_REMOTE_ATOMIC,
                       e.IBV_ACCESS_REMOTE_WRITE | e.IBV_ACCESS_REMOTE_READ):
            with self.subTest(access=access):
                self.expect_einval('MR access 0x%x' % access, MR, pd, 4096,
                                   access)

    def test_zero_and_huge_sizes(self):
        self.expect_einval('CQ of 0 entries', CQ, self.client.ctx, 0, None,
                           None, 0)
        self.expect_einval('CQ above max_cqe', CQ, self.client.ctx,
                           self.attr.max_cqe + 1, None, None, 0)

    def test_mr_limits(self):
        # registering memory that is not mapped fails cleanly
        with self.assertRaises(PyverbsRDMAError):
            MR(self.client.pd, 4096, e.IBV_ACCESS_LOCAL_WRITE, address=8)
