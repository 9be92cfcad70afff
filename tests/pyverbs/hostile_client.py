# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""
A hostile client in a process of its own (issue 8, item 8).

test_isolation.ProcessIsolationTest runs it with what a local attacker can
learn or guess of a victim in another process (its QP numbers, rkeys,
addresses and SRQ number, as JSON in argv[1]); it attacks through contexts
of its own on the same device and prints, as JSON, the completion status
of every attempt and what it read back.  The test process asserts the
refusals and that the victim's memory and traffic are unharmed.
"""

import json
import sys

import pyverbs.enums as e
from pyverbs.wr import SGE

from uodp_base import (FAST_RETRY, Side, make_xrc_loopback, new_rc_qp,
                       pattern, poll_cq, rc_connect, send_wr)

SIZE = 8192


class Attacker:
    def __init__(self):
        self.side = Side('attacker')
        self.mr = self.side.mr(SIZE)
        self.mr.write(pattern(SIZE, 7), SIZE, 0)
        self.keep = []

    def rdma(self, qp, opcode, rkey, raddr, xrc_srqn=None):
        wr = send_wr(1, [SGE(self.mr.buf, 4096, self.mr.lkey)],
                     opcode=opcode)
        wr.set_wr_rdma(rkey, raddr)
        if xrc_srqn is not None:
            wr.set_qp_type_xrc(xrc_srqn)
        qp.post_send(wr)
        return poll_cq(self.side.cq)[0].status

    def hijack(self, victim_qpn):
        """An RC QP connected to the victim's QP number (one GID: the
        path is the device's own)."""
        qp = new_rc_qp(self.side)
        rc_connect(qp, self.side, self.side, victim_qpn, **FAST_RETRY)
        return qp

    def xrc_pair(self):
        """An XRC domain, SRQ and connected INI -> TGT pair of its own."""
        xrcd, tmp, fd, srq, tgt, ini = make_xrc_loopback(self.side)
        self.keep += [xrcd, tmp, fd, tgt]
        return srq, ini


def attack(v):
    a = Attacker()
    out = {'rc': []}
    for opcode in (e.IBV_WR_RDMA_WRITE, e.IBV_WR_RDMA_READ):
        for rkey in (v['rkey'], v['implicit_rkey']):
            qp = a.hijack(v['qpn'])
            out['rc'].append(a.rdma(qp, opcode, rkey, v['addr']))
    out['xrc_own_srq'] = []
    for opcode, rkey in ((e.IBV_WR_RDMA_WRITE, v['rkey']),
                         (e.IBV_WR_RDMA_READ, v['implicit_rkey'])):
        srq, ini = a.xrc_pair()	# an error leaves the INI QP in error
        out['xrc_own_srq'].append(a.rdma(ini, opcode, rkey, v['addr'],
                                         srq.get_srq_num()))
    srq, ini = a.xrc_pair()
    out['xrc_victim_srq'] = a.rdma(ini, e.IBV_WR_RDMA_WRITE, v['rkey'],
                                   v['addr'], v['srqn'])
    out['read_back_victim'] = (a.mr.read(4096, 0) ==
                               pattern(SIZE, v['seed'])[:4096])
    return out


if __name__ == '__main__':
    print(json.dumps(attack(json.loads(sys.argv[1]))))
