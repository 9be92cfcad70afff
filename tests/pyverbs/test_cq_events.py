# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""Completion channels on uodp0: arming, events, poll, many CQs, teardown."""

import fcntl
import os
import select
import unittest

import pyverbs.enums as e
from pyverbs.cq import CQ, CompChannel
from pyverbs.qp import QP, QPCap, QPInitAttr
from pyverbs.wr import SGE

from uodp_base import (UodpTestCase, poll_cq, rc_connect, recv_wr, send_wr)

QUIET_MS = 200		# nothing may arrive within this
EVENT_MS = 5000		# an event must arrive within this


def pipe_fds():
    """{fd: 'pipe:[inode]'} of this process."""
    found = {}
    for name in os.listdir('/proc/self/fd'):
        try:
            link = os.readlink('/proc/self/fd/' + name)
        except FileNotFoundError:	# listdir's own directory fd
            continue
        if link.startswith('pipe:'):
            found[int(name)] = link
    return found


def new_channel(ctx):
    """A completion channel and its fd (pyverbs does not expose it)."""
    before = set(pipe_fds().values())
    channel = CompChannel(ctx)
    new = [fd for fd, link in pipe_fds().items() if link not in before]
    assert len(new) == 1, 'cannot find the channel fd: %s' % new
    return channel, new[0]


def readable(fd, timeout_ms):
    p = select.poll()
    p.register(fd, select.POLLIN)
    return bool(p.poll(timeout_ms))


class CqEventsTest(UodpTestCase):

    def setUp(self):
        super().setUp()
        ctx = self.server.ctx
        self.channel, self.fd = new_channel(ctx)
        self.scq = CQ(ctx, 64, None, self.channel, 0)
        self.rcq = CQ(ctx, 64, None, self.channel, 0)
        cap = QPCap(max_send_wr=16, max_recv_wr=16, max_send_sge=1,
                    max_recv_sge=1)
        init = QPInitAttr(qp_type=e.IBV_QPT_RC, scq=self.scq, rcq=self.rcq,
                          cap=cap, sq_sig_all=1)
        self.sqp = QP(self.server.pd, init)
        self.cqp = QP(self.client.pd, QPInitAttr(
            qp_type=e.IBV_QPT_RC, scq=self.client.cq, rcq=self.client.cq,
            cap=cap, sq_sig_all=1))
        rc_connect(self.sqp, self.server, self.client, self.cqp.qp_num)
        rc_connect(self.cqp, self.client, self.server, self.sqp.qp_num)
        self.smr = self.server.mr(4096)
        self.cmr = self.client.mr(4096)

    def tearDown(self):
        for obj in (self.sqp, self.cqp, self.scq, self.rcq, self.channel):
            obj.close()
        super().tearDown()

    def client_send(self, wr_id, flags=0):
        """The server receives one message (its recv CQ completes)."""
        self.sqp.post_recv(recv_wr(wr_id, [SGE(self.smr.buf, 64,
                                               self.smr.lkey)]))
        self.cqp.post_send(send_wr(wr_id, [SGE(self.cmr.buf, 64,
                                               self.cmr.lkey)],
                                   flags=flags))
        poll_cq(self.client.cq)

    def expect_event(self, cq):
        self.assertTrue(readable(self.fd, EVENT_MS), 'no completion event')
        self.channel.get_cq_event(cq)
        cq.ack_events(1)

    def test_event_after_arm(self):
        self.rcq.req_notify()
        self.assertFalse(readable(self.fd, 0), 'event before any completion')
        self.client_send(1)
        self.expect_event(self.rcq)
        self.assertEqual(poll_cq(self.rcq)[0].wr_id, 1)

    def test_no_event_without_arm(self):
        self.client_send(2)
        poll_cq(self.rcq)
        self.assertFalse(readable(self.fd, QUIET_MS),
                         'event on a CQ that was not armed')

    def test_one_event_per_arm(self):
        self.rcq.req_notify()
        self.client_send(3)
        self.client_send(4)
        self.expect_event(self.rcq)
        self.assertFalse(readable(self.fd, QUIET_MS),
                         'a second event from one arm')
        poll_cq(self.rcq, 2)
        self.rcq.req_notify()
        self.client_send(5)
        self.expect_event(self.rcq)

    def test_two_cqs_one_channel(self):
        """The server's send and recv CQs share the channel."""
        self.scq.req_notify()
        self.rcq.req_notify()
        self.client_send(6)
        self.expect_event(self.rcq)
        self.cqp.post_recv(recv_wr(7, [SGE(self.cmr.buf, 64,
                                           self.cmr.lkey)]))
        self.sqp.post_send(send_wr(7, [SGE(self.smr.buf, 64,
                                           self.smr.lkey)]))
        self.expect_event(self.scq)
        self.assertEqual(poll_cq(self.scq)[0].wr_id, 7)

    def test_solicited_only(self):
        self.rcq.req_notify(solicited_only=True)
        self.client_send(8)
        poll_cq(self.rcq)
        self.assertFalse(readable(self.fd, QUIET_MS),
                         'solicited-only arm fired on an unsolicited send')
        self.client_send(9, flags=e.IBV_SEND_SOLICITED)
        self.expect_event(self.rcq)
        self.assertEqual(poll_cq(self.rcq)[0].wr_id, 9)

    def test_nonblocking_read(self):
        flags = fcntl.fcntl(self.fd, fcntl.F_GETFL)
        fcntl.fcntl(self.fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        with self.assertRaises(BlockingIOError):
            os.read(self.fd, 8)
        self.rcq.req_notify()
        self.client_send(10)
        self.expect_event(self.rcq)

    def test_destroyed_cq_takes_its_events(self):
        """An unread event of a destroyed CQ never reaches the reader."""
        extra = CQ(self.server.ctx, 16, None, self.channel, 0)
        cap = QPCap(max_send_wr=4, max_recv_wr=4, max_send_sge=1,
                    max_recv_sge=1)
        sqp = QP(self.server.pd, QPInitAttr(qp_type=e.IBV_QPT_RC, scq=extra,
                                            rcq=extra, cap=cap,
                                            sq_sig_all=1))
        cqp = QP(self.client.pd, QPInitAttr(qp_type=e.IBV_QPT_RC,
                                            scq=self.client.cq,
                                            rcq=self.client.cq, cap=cap,
                                            sq_sig_all=1))
        rc_connect(sqp, self.server, self.client, cqp.qp_num)
        rc_connect(cqp, self.client, self.server, sqp.qp_num)
        extra.req_notify()
        sqp.post_recv(recv_wr(12, [SGE(self.smr.buf, 64, self.smr.lkey)]))
        cqp.post_send(send_wr(12, [SGE(self.cmr.buf, 64, self.cmr.lkey)]))
        poll_cq(self.client.cq)
        self.assertTrue(readable(self.fd, EVENT_MS), 'no completion event')
        sqp.close()
        cqp.close()
        extra.close()	# the event is still unread in the channel
        self.assertFalse(readable(self.fd, QUIET_MS),
                         'the destroyed CQ\'s event is still in the channel')
        # and the channel goes on working for the others
        self.rcq.req_notify()
        self.client_send(13)
        self.expect_event(self.rcq)

if __name__ == '__main__':
    unittest.main()
