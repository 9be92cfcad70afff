# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""RC traffic on uodp0: every opcode, every byte verified."""

import struct

import pyverbs.enums as e
from pyverbs.wr import SGE

from uodp_base import (UodpTestCase, pattern, poll_cq, recv_wr, send_wr,
                       expect_no_completion)


class RCTrafficTest(UodpTestCase):

    def test_send_recv(self):
        """SEND of many sizes, in order, each byte checked."""
        self.check_sends(*self.rc_pair(),
                         [1, 7, 64, 1000, 1024, 1025, 4096, 65536], 65536)

    def test_send_recv_scatter_gather(self):
        """A send gathered from 3 SGEs lands scattered over 2 SGEs."""
        sqp, cqp = self.rc_pair()
        smr = self.client.mr(4096)
        rmr = self.server.mr(4096)
        data = pattern(300, 5)
        smr.write(data[:100], 100, 0)
        smr.write(data[100:150], 50, 1000)
        smr.write(data[150:], 150, 2000)
        rmr.write(bytes(4096), 4096, 0)
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, 120, rmr.lkey),
                                  SGE(rmr.buf + 2048, 1000, rmr.lkey)]))
        cqp.post_send(send_wr(2, [SGE(smr.buf, 100, smr.lkey),
                                  SGE(smr.buf + 1000, 50, smr.lkey),
                                  SGE(smr.buf + 2000, 150, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=2)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=1, byte_len=300)
        self.assertEqual(rmr.read(120, 0), data[:120])
        self.assertEqual(rmr.read(180, 2048), data[120:])
        # nothing written past the scatter list
        self.assertEqual(rmr.read(8, 120), bytes(8))
        self.assertEqual(rmr.read(8, 2048 + 180), bytes(8))

    def test_queue_wrap_around(self):
        """Far more WRs than the queues hold: SQ, RQ and CQ wrap."""
        sqp, cqp = self.rc_pair(server_kw={'max_recv_wr': 8},
                                client_kw={'max_send_wr': 8})
        smr = self.client.mr(8 * 256)
        rmr = self.server.mr(8 * 256)
        total, batch = 200, 4
        for start in range(0, total, batch):
            for i in range(start, start + batch):
                slot = (i % 8) * 256
                sqp.post_recv(recv_wr(i, [SGE(rmr.buf + slot, 256,
                                              rmr.lkey)]))
                smr.write(pattern(256, i), 256, slot)
                cqp.post_send(send_wr(i, [SGE(smr.buf + slot, 256,
                                              smr.lkey)]))
            for i, wc in enumerate(poll_cq(self.client.cq, batch)):
                self.assert_wc(wc, wr_id=start + i)
            for i, wc in enumerate(poll_cq(self.server.cq, batch)):
                n = start + i
                self.assert_wc(wc, wr_id=n, byte_len=256)
                self.assertEqual(rmr.read(256, (n % 8) * 256),
                                 pattern(256, n))

    def test_multi_wqebb_wqes_wrap(self):
        """WQEs of 1 and 2 WQEBBs in a small SQ: some straddle its end."""
        sqp, cqp = self.rc_pair(client_kw={'max_send_wr': 4,
                                           'max_send_sge': 4})
        smr, rmr = self.client.mr(4096), self.server.mr(64 * 1024)
        smr.write(pattern(4096, 8), 4096, 0)
        data = pattern(4096, 8)
        for i in range(40):
            nsge = 4 if i % 2 else 1
            sges = [SGE(smr.buf + k * 512 + i, 100 + k, smr.lkey)
                    for k in range(nsge)]
            expect = b''.join(data[k * 512 + i:k * 512 + i + 100 + k]
                              for k in range(nsge))
            sqp.post_recv(recv_wr(i, [SGE(rmr.buf + i * 1024, 1024,
                                          rmr.lkey)]))
            cqp.post_send(send_wr(i, sges))
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=i)
            self.assert_wc(poll_cq(self.server.cq)[0], wr_id=i,
                           byte_len=len(expect))
            self.assertEqual(rmr.read(len(expect), i * 1024), expect)

    def test_send_with_imm(self):
        sqp, cqp = self.rc_pair()
        smr, rmr = self.client.mr(64), self.server.mr(64)
        smr.write(pattern(64, 3), 64, 0)
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, 64, rmr.lkey)]))
        cqp.post_send(send_wr(2, [SGE(smr.buf, 64, smr.lkey)],
                              opcode=e.IBV_WR_SEND_WITH_IMM, imm=0x12345678))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=2,
                       opcode=e.IBV_WC_SEND)
        wc = poll_cq(self.server.cq)[0]
        self.assert_wc(wc, wr_id=1, opcode=e.IBV_WC_RECV, byte_len=64)
        self.assertTrue(wc.wc_flags & e.IBV_WC_WITH_IMM)
        self.assertEqual(wc.imm_data, 0x12345678)
        self.assertEqual(rmr.read(64, 0), pattern(64, 3))

    def test_rdma_write(self):
        sqp, cqp = self.rc_pair()
        size = 1 << 20		# many MTU-sized packets
        smr, rmr = self.client.mr(size), self.server.mr(size + 64)
        rmr.write(bytes(size + 64), size + 64, 0)
        smr.write(pattern(size, 9), size, 0)
        wr = send_wr(7, [SGE(smr.buf, size, smr.lkey)],
                     opcode=e.IBV_WR_RDMA_WRITE)
        wr.set_wr_rdma(rmr.rkey, rmr.buf + 32)
        cqp.post_send(wr)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=7,
                       opcode=e.IBV_WC_RDMA_WRITE)
        self.assertEqual(rmr.read(size, 32), pattern(size, 9))
        self.assertEqual(rmr.read(32, 0), bytes(32))
        self.assertEqual(rmr.read(32, size + 32), bytes(32))
        # a plain RDMA write consumes no receive and makes no completion
        expect_no_completion(self.server.cq, 0.1)

    def test_rdma_write_with_imm(self):
        sqp, cqp = self.rc_pair()
        smr, rmr = self.client.mr(4096), self.server.mr(4096)
        smr.write(pattern(4096, 4), 4096, 0)
        sqp.post_recv(recv_wr(11, [SGE(rmr.buf, 16, rmr.lkey)]))
        wr = send_wr(12, [SGE(smr.buf, 4096, smr.lkey)],
                     opcode=e.IBV_WR_RDMA_WRITE_WITH_IMM, imm=0xcafe)
        wr.set_wr_rdma(rmr.rkey, rmr.buf)
        cqp.post_send(wr)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=12,
                       opcode=e.IBV_WC_RDMA_WRITE)
        wc = poll_cq(self.server.cq)[0]
        self.assert_wc(wc, wr_id=11, opcode=e.IBV_WC_RECV_RDMA_WITH_IMM,
                       byte_len=4096)
        self.assertTrue(wc.wc_flags & e.IBV_WC_WITH_IMM)
        self.assertEqual(wc.imm_data, 0xcafe)
        self.assertEqual(rmr.read(4096, 0), pattern(4096, 4))

    def test_rdma_read(self):
        sqp, cqp = self.rc_pair()
        size = 256 * 1024
        smr, rmr = self.client.mr(size), self.server.mr(size)
        rmr.write(pattern(size, 21), size, 0)
        smr.write(bytes(size), size, 0)
        # two reads into two local SGEs, from two remote offsets
        wr = send_wr(5, [SGE(smr.buf, 1000, smr.lkey),
                         SGE(smr.buf + 4096, size - 8192, smr.lkey)],
                     opcode=e.IBV_WR_RDMA_READ)
        wr.set_wr_rdma(rmr.rkey, rmr.buf + 100)
        cqp.post_send(wr)
        wc = poll_cq(self.client.cq)[0]
        self.assert_wc(wc, wr_id=5, opcode=e.IBV_WC_RDMA_READ)
        remote = pattern(size, 21)[100:100 + 1000 + size - 8192]
        self.assertEqual(smr.read(1000, 0), remote[:1000])
        self.assertEqual(smr.read(size - 8192, 4096), remote[1000:])
        self.assertEqual(smr.read(8, 1000), bytes(8))

    def test_atomics(self):
        """CMP_SWP and FETCH_ADD: returned old values and memory results."""
        sqp, cqp = self.rc_pair()
        rmr = self.server.mr(64)
        lmr = self.client.mr(64)
        rmr.write(struct.pack('=QQ', 5, 1000), 16, 0)
        lmr.write(bytes(64), 64, 0)

        def atomic(wr_id, opcode, offset, compare_add, swap, result_off):
            wr = send_wr(wr_id, [SGE(lmr.buf + result_off, 8, lmr.lkey)],
                         opcode=opcode)
            wr.set_wr_atomic(rmr.rkey, rmr.buf + offset, compare_add, swap)
            cqp.post_send(wr)
            wc = poll_cq(self.client.cq)[0]
            return wc, struct.unpack('=Q', lmr.read(8, result_off))[0]

        # compare matches: swapped, old value returned
        wc, old = atomic(1, e.IBV_WR_ATOMIC_CMP_AND_SWP, 0, 5, 9, 0)
        self.assert_wc(wc, wr_id=1, opcode=e.IBV_WC_COMP_SWAP, byte_len=8)
        self.assertEqual(old, 5)
        self.assertEqual(struct.unpack('=Q', rmr.read(8, 0))[0], 9)
        # compare fails: memory unchanged, current value returned
        wc, old = atomic(2, e.IBV_WR_ATOMIC_CMP_AND_SWP, 0, 5, 11, 8)
        self.assert_wc(wc, wr_id=2, opcode=e.IBV_WC_COMP_SWAP)
        self.assertEqual(old, 9)
        self.assertEqual(struct.unpack('=Q', rmr.read(8, 0))[0], 9)
        # fetch and add (the addend travels in compare_add)
        wc, old = atomic(3, e.IBV_WR_ATOMIC_FETCH_AND_ADD, 8, 234, 0, 16)
        self.assert_wc(wc, wr_id=3, opcode=e.IBV_WC_FETCH_ADD, byte_len=8)
        self.assertEqual(old, 1000)
        self.assertEqual(struct.unpack('=Q', rmr.read(8, 8))[0], 1234)
        # 64-bit wrap-around of the add
        rmr.write(struct.pack('=Q', (1 << 64) - 2), 8, 24)
        wc, old = atomic(4, e.IBV_WR_ATOMIC_FETCH_AND_ADD, 24, 5, 0, 24)
        self.assert_wc(wc, wr_id=4)
        self.assertEqual(old, (1 << 64) - 2)
        self.assertEqual(struct.unpack('=Q', rmr.read(8, 24))[0], 3)

    def test_inline_send_and_write(self):
        sqp, cqp = self.rc_pair(client_kw={'max_inline_data': 128})
        _, init = cqp.query(e.IBV_QP_CAP)
        inline = init.cap.max_inline_data
        self.assertGreaterEqual(inline, 128)
        smr, rmr = self.client.mr(4096), self.server.mr(4096)
        for i, size in enumerate([1, 13, 16, 60, 64, 100, 128, inline]):
            smr.write(pattern(size, 40 + i), size, 0)
            sqp.post_recv(recv_wr(i, [SGE(rmr.buf, 4096, rmr.lkey)]))
            # the lkey is not used for inline data: a wrong one must not matter
            cqp.post_send(send_wr(i, [SGE(smr.buf, size, 0)],
                                  flags=e.IBV_SEND_INLINE))
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=i)
            self.assert_wc(poll_cq(self.server.cq)[0], wr_id=i,
                           byte_len=size)
            self.assertEqual(rmr.read(size, 0), pattern(size, 40 + i))
        # inline data is copied at post time: changing it afterwards is safe
        smr.write(pattern(100, 77), 100, 0)
        wr = send_wr(99, [SGE(smr.buf, 100, smr.lkey)],
                     opcode=e.IBV_WR_RDMA_WRITE, flags=e.IBV_SEND_INLINE)
        wr.set_wr_rdma(rmr.rkey, rmr.buf + 1000)
        cqp.post_send(wr)
        smr.write(bytes(100), 100, 0)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=99)
        self.assertEqual(rmr.read(100, 1000), pattern(100, 77))

    def test_zero_length_send(self):
        """A zero-length SGE is empty (an mlx5 byte_count 0 would be 2 GiB)."""
        sqp, cqp = self.rc_pair()
        rmr, smr = self.server.mr(64), self.client.mr(64)
        rmr.write(bytes(64), 64, 0)
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, 64, rmr.lkey)]))
        cqp.post_send(send_wr(2, [SGE(smr.buf, 0, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=2)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=1, byte_len=0)
        # and between two non-empty SGEs it contributes nothing
        smr.write(pattern(20, 4), 20, 0)
        sqp.post_recv(recv_wr(3, [SGE(rmr.buf, 64, rmr.lkey)]))
        cqp.post_send(send_wr(4, [SGE(smr.buf, 10, smr.lkey),
                                  SGE(smr.buf + 30, 0, smr.lkey),
                                  SGE(smr.buf + 10, 10, smr.lkey)]))
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=4)
        self.assert_wc(poll_cq(self.server.cq)[0], wr_id=3, byte_len=20)
        self.assertEqual(rmr.read(20, 0), pattern(20, 4))

    def test_zero_length_rdma_names_no_memory(self):
        """A zero-length RDMA's R_Key and VA are not checked (IBA C9-88):
        rsockets sends its control messages so, with both left unset."""
        sqp, cqp = self.rc_pair()
        rmr, smr = self.server.mr(64), self.client.mr(64)
        empty = [SGE(smr.buf, 0, smr.lkey)]	# pyverbs wants one SGE
        sqp.post_recv(recv_wr(1, [SGE(rmr.buf, 64, rmr.lkey)]))
        wr = send_wr(2, empty, opcode=e.IBV_WR_RDMA_WRITE_WITH_IMM,
                     imm=0x8100)
        wr.set_wr_rdma(0, 0x8100000000)
        cqp.post_send(wr)
        self.assert_wc(poll_cq(self.client.cq)[0], wr_id=2,
                       opcode=e.IBV_WC_RDMA_WRITE)
        wc = poll_cq(self.server.cq)[0]
        self.assert_wc(wc, wr_id=1, opcode=e.IBV_WC_RECV_RDMA_WITH_IMM,
                       byte_len=0)
        self.assertEqual(wc.imm_data, 0x8100)
        for wr_id, opcode in ((3, e.IBV_WR_RDMA_WRITE),
                              (4, e.IBV_WR_RDMA_READ)):
            wr = send_wr(wr_id, empty, opcode=opcode)
            wr.set_wr_rdma(0xdead00, 0x10)
            cqp.post_send(wr)
            self.assert_wc(poll_cq(self.client.cq)[0], wr_id=wr_id)
        # the same rkey with a byte to move is a remote access error
        wr = send_wr(5, [SGE(smr.buf, 1, smr.lkey)],
                     opcode=e.IBV_WR_RDMA_WRITE)
        wr.set_wr_rdma(0xdead00, 0x10)
        cqp.post_send(wr)
        self.assertEqual(poll_cq(self.client.cq)[0].status,
                         e.IBV_WC_REM_ACCESS_ERR)

    def test_bidirectional_and_ordering(self):
        """Both sides send at once; writes before a send are visible."""
        sqp, cqp = self.rc_pair()
        smr, rmr = self.client.mr(8192), self.server.mr(8192)
        for i in range(16):
            cqp.post_recv(recv_wr(300 + i, [SGE(smr.buf + 4096, 4096,
                                                smr.lkey)]))
            sqp.post_recv(recv_wr(400 + i, [SGE(rmr.buf + 4096, 4096,
                                                rmr.lkey)]))
        smr.write(pattern(4096, 1), 4096, 0)
        # write then send: when the receive completes the write is there
        wr = send_wr(1, [SGE(smr.buf, 4096, smr.lkey)],
                     opcode=e.IBV_WR_RDMA_WRITE)
        wr.set_wr_rdma(rmr.rkey, rmr.buf)
        cqp.post_send(wr)
        cqp.post_send(send_wr(2, [SGE(smr.buf, 8, smr.lkey)]))
        sqp.post_send(send_wr(3, [SGE(rmr.buf + 8000, 8, rmr.lkey)]))
        wc = poll_cq(self.server.cq, 2)
        by_id = {w.wr_id: w for w in wc}
        self.assertIn(400, by_id)
        self.assertEqual(rmr.read(4096, 0), pattern(4096, 1))
        self.assert_wc(by_id[3], wr_id=3)
        wcs = poll_cq(self.client.cq, 3)
        self.assertEqual(sorted(w.wr_id for w in wcs), [1, 2, 300])
        for w in wcs:
            self.assert_wc(w)
