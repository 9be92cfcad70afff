# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""pyverbs CMIDs on uodp0, as rdma-core's test_rdmacm drives them: two
processes connect over 127.0.0.1 (lo is uodp0's netdev), move data both
ways and disconnect; a rejected request, an address no uodp device is on.
"""

import errno
import multiprocessing as mp
import os
import unittest

import pyverbs.cm_enums as ce
from pyverbs.cmid import AddrInfo, CMID
from pyverbs.pyverbs_error import PyverbsRDMAError
from pyverbs.qp import QPCap, QPInitAttr

ADDR = '127.0.0.1'
MSG = 1024


def qp_attr():
    return QPInitAttr(cap=QPCap(max_send_wr=4, max_recv_wr=4))


def passive_id(port):
    ai = AddrInfo(src=ADDR, src_service=str(port),
                  port_space=ce.RDMA_PS_TCP, flags=ce.RAI_PASSIVE)
    return CMID(creator=ai, qp_init_attr=qp_attr())


def active_id(port, dst=ADDR):
    ai = AddrInfo(dst=dst, dst_service=str(port), port_space=ce.RDMA_PS_TCP)
    return CMID(creator=ai, qp_init_attr=qp_attr())


def pattern(seed):
    return bytes((seed + i) % 251 for i in range(MSG))


def wait_comp(get):
    for _ in range(1000000):
        wc = get()
        if wc is not None:
            return wc
    raise RuntimeError('no completion')


def exchange(cmid, first_send, seed):
    """Send pattern(seed) and receive pattern(seed + 1), or the reverse;
    raise unless the data arrived whole."""
    send_mr = cmid.reg_msgs(MSG)
    recv_mr = cmid.reg_msgs(MSG)
    cmid.post_recv(recv_mr)
    mine, theirs = (seed, seed + 1) if first_send else (seed + 1, seed)
    send_mr.write(pattern(mine), MSG)
    if not first_send:
        wc = wait_comp(cmid.get_recv_comp)
        if wc.status:
            raise RuntimeError(f'receive status {wc.status}')
    cmid.post_send(send_mr)
    wc = wait_comp(cmid.get_send_comp)
    if wc.status:
        raise RuntimeError(f'send status {wc.status}')
    if first_send:
        wc = wait_comp(cmid.get_recv_comp)
        if wc.status:
            raise RuntimeError(f'receive status {wc.status}')
    if recv_mr.read(MSG, 0) != pattern(theirs):
        raise RuntimeError('the data received are not the data sent')


def server(port, ready, mode, result):
    try:
        listen_id = passive_id(port)
        listen_id.listen()
        ready.set()
        conn = listen_id.get_request()
        if mode == 'reject':
            conn.reject()
        else:
            conn.accept()
            exchange(conn, False, 7)
            conn.disconnect()
        # The request's event is the listener's until the new ID lets it
        # go (librdmacm's rdma_destroy_id waits for it): that ID first.
        conn.close()
        listen_id.close()
        result.put('ok')
    except Exception as ex:  # reported to the test in the parent
        ready.set()
        result.put(f'{type(ex).__name__}: {ex}')


def client(port, mode, result):
    try:
        cmid = active_id(port)
        if mode == 'reject':
            try:
                cmid.connect()
            except PyverbsRDMAError as ex:
                if ex.error_code != errno.ECONNREFUSED:
                    raise
                result.put('refused')
                return
            raise RuntimeError('connected although rejected')
        cmid.connect()
        exchange(cmid, True, 7)
        cmid.disconnect()
        cmid.close()
        result.put('ok')
    except Exception as ex:  # reported to the test in the parent
        result.put(f'{type(ex).__name__}: {ex}')


def bad_address(result):
    # TEST-NET-1: on no netdev a uodp device is built on.
    try:
        active_id(18759, dst='192.0.2.1')
        result.put('resolved')
    except PyverbsRDMAError as ex:
        result.put(ex.error_code)


class RDMACMTest(unittest.TestCase):
    """Each side in a process of its own, forked before any RDMA: a verbs
    context is its process's, not a forked child's."""

    def run_child(self, target, *args):
        ctx = mp.get_context('fork')
        result = ctx.Queue()
        proc = ctx.Process(target=target, args=args + (result,))
        proc.start()
        return proc, result

    def finish(self, proc, result):
        proc.join(60)
        self.assertEqual(proc.exitcode, 0)
        return result.get(timeout=5)

    def run_pair(self, mode):
        ctx = mp.get_context('fork')
        ready = ctx.Event()
        port = 18760 + os.getpid() % 200 + (mode == 'reject')
        srv = self.run_child(server, port, ready, mode)
        self.assertTrue(ready.wait(30), 'the server never listened')
        cli = self.run_child(client, port, mode)
        return self.finish(*srv), self.finish(*cli)

    def test_connect_data_disconnect(self):
        self.assertEqual(self.run_pair('accept'), ('ok', 'ok'))

    def test_reject(self):
        self.assertEqual(self.run_pair('reject'), ('ok', 'refused'))

    def test_bad_address(self):
        self.assertEqual(self.finish(*self.run_child(bad_address)),
                         errno.ENODEV)


if __name__ == '__main__':
    unittest.main()
