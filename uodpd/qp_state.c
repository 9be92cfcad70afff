// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The QP state machine of the IB spec (section 10.3 / 11.2.4.2): which
 * transitions exist and which attributes each one requires or allows, per
 * QP type.  Written as a table, the shape the kernel's ib_modify_qp_is_ok
 * uses, so a modify that a real HCA refuses is refused here too.
 */
#include <infiniband/verbs.h>

#include "uodpd.h"

enum {
	T_UD,
	T_UC,
	T_RC,
	T_XRC_INI,
	T_XRC_TGT,
	T_NTYPES,
};

enum { NSTATES = IBV_QPS_ERR + 1 };

struct transition {
	bool valid;
	uint32_t req[T_NTYPES];
	uint32_t opt[T_NTYPES];
};

#define PKEY IBV_QP_PKEY_INDEX
#define PORT IBV_QP_PORT
#define QKEY IBV_QP_QKEY
#define ACC IBV_QP_ACCESS_FLAGS
#define CUR IBV_QP_CUR_STATE
#define ALT IBV_QP_ALT_PATH
#define MIG IBV_QP_PATH_MIG_STATE
#define RNRT IBV_QP_MIN_RNR_TIMER
#define AV IBV_QP_AV
#define TMO IBV_QP_TIMEOUT
#define RETRY (IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY)
#define RD_INIT IBV_QP_MAX_QP_RD_ATOMIC
#define RD_DEST IBV_QP_MAX_DEST_RD_ATOMIC

/* Attributes that the connected QP types share on INIT->RTR. */
#define RTR_CONN (IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN)
#define RTR_RESP (IBV_QP_MAX_DEST_RD_ATOMIC | RNRT)
#define RTS_REQ (IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | \
		 IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC)

static const struct transition table[NSTATES][NSTATES] = {
	[IBV_QPS_RESET] = {
		[IBV_QPS_RESET] = { .valid = true },
		[IBV_QPS_INIT] = {
			.valid = true,
			.req = {
				[T_UD] = PKEY | PORT | QKEY,
				[T_UC] = PKEY | PORT | ACC,
				[T_RC] = PKEY | PORT | ACC,
				[T_XRC_INI] = PKEY | PORT | ACC,
				[T_XRC_TGT] = PKEY | PORT | ACC,
			},
		},
		[IBV_QPS_ERR] = { .valid = true },
	},
	[IBV_QPS_INIT] = {
		[IBV_QPS_RESET] = { .valid = true },
		[IBV_QPS_ERR] = { .valid = true },
		[IBV_QPS_INIT] = {
			.valid = true,
			.opt = {
				[T_UD] = PKEY | PORT | QKEY,
				[T_UC] = PKEY | PORT | ACC,
				[T_RC] = PKEY | PORT | ACC,
				[T_XRC_INI] = PKEY | PORT | ACC,
				[T_XRC_TGT] = PKEY | PORT | ACC,
			},
		},
		[IBV_QPS_RTR] = {
			.valid = true,
			.req = {
				[T_UC] = RTR_CONN,
				[T_RC] = RTR_CONN | RTR_RESP,
				[T_XRC_INI] = RTR_CONN,
				[T_XRC_TGT] = RTR_CONN | RTR_RESP,
			},
			.opt = {
				[T_UD] = PKEY | QKEY,
				[T_UC] = ALT | ACC | PKEY,
				[T_RC] = ALT | ACC | PKEY,
				/*
				 * An initiator has no responder side, but
				 * perftest sets the responder attributes on
				 * every connected QP: accept and ignore them.
				 */
				[T_XRC_INI] = ALT | ACC | PKEY | RTR_RESP,
				[T_XRC_TGT] = ALT | ACC | PKEY,
			},
		},
	},
	[IBV_QPS_RTR] = {
		[IBV_QPS_RESET] = { .valid = true },
		[IBV_QPS_ERR] = { .valid = true },
		[IBV_QPS_RTS] = {
			.valid = true,
			.req = {
				[T_UD] = IBV_QP_SQ_PSN,
				[T_UC] = IBV_QP_SQ_PSN,
				[T_RC] = RTS_REQ,
				[T_XRC_INI] = RTS_REQ,
				[T_XRC_TGT] = IBV_QP_TIMEOUT | IBV_QP_SQ_PSN,
			},
			.opt = {
				[T_UD] = CUR | QKEY,
				[T_UC] = CUR | ALT | ACC | MIG,
				[T_RC] = CUR | ALT | ACC | RNRT | MIG,
				[T_XRC_INI] = CUR | ALT | ACC | MIG,
				[T_XRC_TGT] = CUR | ALT | ACC | RNRT | MIG,
			},
		},
	},
	[IBV_QPS_RTS] = {
		[IBV_QPS_RESET] = { .valid = true },
		[IBV_QPS_ERR] = { .valid = true },
		[IBV_QPS_RTS] = {
			.valid = true,
			.opt = {
				[T_UD] = CUR | QKEY,
				[T_UC] = CUR | ACC | ALT | MIG,
				[T_RC] = CUR | ACC | ALT | MIG | RNRT,
				[T_XRC_INI] = CUR | ACC | ALT | MIG,
				[T_XRC_TGT] = CUR | ACC | ALT | MIG | RNRT,
			},
		},
		[IBV_QPS_SQD] = {
			.valid = true,
			.opt = {
				[T_UD] = IBV_QP_EN_SQD_ASYNC_NOTIFY,
				[T_UC] = IBV_QP_EN_SQD_ASYNC_NOTIFY,
				[T_RC] = IBV_QP_EN_SQD_ASYNC_NOTIFY,
				[T_XRC_INI] = IBV_QP_EN_SQD_ASYNC_NOTIFY,
				[T_XRC_TGT] = IBV_QP_EN_SQD_ASYNC_NOTIFY,
			},
		},
	},
	[IBV_QPS_SQD] = {
		[IBV_QPS_RESET] = { .valid = true },
		[IBV_QPS_ERR] = { .valid = true },
		[IBV_QPS_RTS] = {
			.valid = true,
			.opt = {
				[T_UD] = CUR | QKEY,
				[T_UC] = CUR | ALT | ACC | MIG,
				[T_RC] = CUR | ALT | ACC | RNRT | MIG,
				[T_XRC_INI] = CUR | ALT | ACC | MIG,
				[T_XRC_TGT] = CUR | ALT | ACC | RNRT | MIG,
			},
		},
		[IBV_QPS_SQD] = {
			.valid = true,
			.opt = {
				[T_UD] = PKEY | QKEY,
				[T_UC] = AV | ALT | ACC | PKEY | MIG,
				[T_RC] = PORT | AV | TMO | RETRY | RD_INIT |
					 RD_DEST | ALT | ACC | PKEY | RNRT | MIG,
				[T_XRC_INI] = PORT | AV | TMO | RETRY | RD_INIT |
					      ALT | ACC | PKEY | MIG,
				[T_XRC_TGT] = PORT | AV | TMO | RD_DEST | ALT |
					      ACC | PKEY | RNRT | MIG,
			},
		},
	},
	[IBV_QPS_SQE] = {
		[IBV_QPS_RESET] = { .valid = true },
		[IBV_QPS_ERR] = { .valid = true },
		[IBV_QPS_RTS] = {
			.valid = true,
			.opt = {
				[T_UD] = CUR | QKEY,
				[T_UC] = CUR | ACC,
			},
		},
	},
	[IBV_QPS_ERR] = {
		[IBV_QPS_RESET] = { .valid = true },
		[IBV_QPS_ERR] = { .valid = true },
	},
};

static int type_index(uint32_t qp_type)
{
	switch (qp_type) {
	case IBV_QPT_UD:
		return T_UD;
	case IBV_QPT_UC:
		return T_UC;
	case IBV_QPT_RC:
		return T_RC;
	case IBV_QPT_XRC_SEND:
		return T_XRC_INI;
	case IBV_QPT_XRC_RECV:
		return T_XRC_TGT;
	default:
		return -1;
	}
}

bool ud_qp_modify_is_ok(uint32_t cur, uint32_t next, uint32_t qp_type,
			uint32_t attr_mask)
{
	const struct transition *t;
	uint32_t req, opt;
	int type = type_index(qp_type);

	if (type < 0 || cur >= NSTATES || next >= NSTATES)
		return false;
	/* Telling the device its current state only makes sense here. */
	if ((attr_mask & IBV_QP_CUR_STATE) && cur != IBV_QPS_RTR &&
	    cur != IBV_QPS_RTS && cur != IBV_QPS_SQD && cur != IBV_QPS_SQE)
		return false;
	t = &table[cur][next];
	if (!t->valid)
		return false;
	req = t->req[type];
	opt = t->opt[type];
	if ((attr_mask & req) != req)
		return false;
	return !(attr_mask & ~(req | opt | IBV_QP_STATE));
}
