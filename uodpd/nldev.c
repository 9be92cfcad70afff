// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The nldev commands (rdma_nl.h), as ib_core's nldev.c answers them, one
 * function each behind a table of what each op has: a doit, a dumpit,
 * whether it needs CAP_NET_ADMIN.  Messages are built with libnl; a dump
 * puts what fits in its part and resumes at its cursor.
 *
 * Served: GET (and its dump, libibverbs' discovery and `rdma dev`),
 * PORT_GET (`rdma link`), SYS_GET (`rdma system`), GET_CHARDEV (uverbs,
 * ABI 6, with no driver id, so that only the uodp provider claims the
 * device by its modalias; rdma_cm, ABI 4).  The ops that change state
 * need CAP_NET_ADMIN and are then EOPNOTSUPP: the device's configuration
 * is uodpd's command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "identity.h"
#include "nldev.h"
#include "uodpd.h"

#define UVERBS_ABI 6			/* IB_USER_VERBS_ABI_VERSION */
#define RDMA_CM_ABI 4			/* RDMA_USER_CM_ABI_VERSION */
#define NODE_TYPE_CA 1			/* RDMA_NODE_IB_CA */

static void res_id_arg(struct nlattr **tb, int attr, enum ud_nl_res_id id,
		       struct ud_nl_args *a)
{
	if (tb[attr]) {
		a->present |= UD_NL_ARG_RES_ID(id);
		a->res_id[id] = nla_get_u32(tb[attr]);
	}
}

void ud_nldev_args(struct nlattr **tb, struct ud_nl_args *a)
{
	memset(a, 0, sizeof(*a));
	if (tb[RDMA_NLDEV_ATTR_DEV_INDEX]) {
		a->present |= UD_NL_ARG_DEV_INDEX;
		a->dev_index = nla_get_u32(tb[RDMA_NLDEV_ATTR_DEV_INDEX]);
	}
	if (tb[RDMA_NLDEV_ATTR_PORT_INDEX]) {
		a->present |= UD_NL_ARG_PORT_INDEX;
		a->port_index = nla_get_u32(tb[RDMA_NLDEV_ATTR_PORT_INDEX]);
	}
	if (tb[RDMA_NLDEV_ATTR_STAT_RES]) {
		a->present |= UD_NL_ARG_STAT_RES;
		a->stat_res = nla_get_u32(tb[RDMA_NLDEV_ATTR_STAT_RES]);
	}
	res_id_arg(tb, RDMA_NLDEV_ATTR_RES_LQPN, UD_NL_RES_LQPN, a);
	res_id_arg(tb, RDMA_NLDEV_ATTR_RES_CQN, UD_NL_RES_CQN, a);
	res_id_arg(tb, RDMA_NLDEV_ATTR_RES_MRN, UD_NL_RES_MRN, a);
	res_id_arg(tb, RDMA_NLDEV_ATTR_RES_PDN, UD_NL_RES_PDN, a);
	res_id_arg(tb, RDMA_NLDEV_ATTR_RES_CTXN, UD_NL_RES_CTXN, a);
	res_id_arg(tb, RDMA_NLDEV_ATTR_RES_SRQN, UD_NL_RES_SRQN, a);
	res_id_arg(tb, RDMA_NLDEV_ATTR_RES_CM_IDN, UD_NL_RES_CM_IDN, a);
	if (tb[RDMA_NLDEV_ATTR_CHARDEV_TYPE]) {
		a->present |= UD_NL_ARG_CHARDEV_TYPE;
		/* nla_strscpy: the decoder checked the NUL is within bounds. */
		nla_strlcpy(a->chardev_type, tb[RDMA_NLDEV_ATTR_CHARDEV_TYPE],
			    sizeof(a->chardev_type));
	}
}

/* ---- shared pieces ---- */

struct ud_device *ud_nldev_device(struct uodpd *d, const struct ud_nl_args *a)
{
	if (!(a->present & UD_NL_ARG_DEV_INDEX) || a->dev_index >= d->ndevices)
		return NULL;
	return &d->devices[a->dev_index];
}

bool ud_nldev_port_valid(const struct ud_device *dev, uint32_t port)
{
	return port >= 1 && port <= dev->attr.phys_port_cnt;
}

int ud_nldev_put_handle(struct nl_msg *msg, const struct ud_device *dev)
{
	if (nla_put_u32(msg, RDMA_NLDEV_ATTR_DEV_INDEX, dev->index) ||
	    nla_put_string(msg, RDMA_NLDEV_ATTR_DEV_NAME, dev->name))
		return -EMSGSIZE;
	return 0;
}

int ud_nldev_put_msg(struct ud_nl_part *p, uint16_t op, int flags,
		     ud_nldev_fill_fn fill, const void *obj, const void *arg)
{
	struct nl_msg *msg = ud_nl_part_msg(p, op, flags);
	int ret;

	if (!msg)
		return -EMSGSIZE;
	ret = fill(msg, obj, arg);
	if (!ret)
		ret = ud_nl_part_put(p, msg);
	nlmsg_free(msg);
	return ret;
}

/* ---- GET ---- */

static int fill_dev(struct nl_msg *msg, const void *obj, const void *arg)
{
	const struct ud_device *dev = obj;
	const struct ud_device_attr *a = &dev->attr;

	(void)arg;
	if (ud_nldev_put_handle(msg, dev) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_PORT_INDEX, a->phys_port_cnt) ||
	    nla_put_u64(msg, RDMA_NLDEV_ATTR_CAP_FLAGS, a->device_cap_flags) ||
	    (a->fw_ver[0] &&
	     nla_put_string(msg, RDMA_NLDEV_ATTR_FW_VERSION, a->fw_ver)) ||
	    nla_put_u64(msg, RDMA_NLDEV_ATTR_NODE_GUID, be64toh(a->node_guid)) ||
	    nla_put_u64(msg, RDMA_NLDEV_ATTR_SYS_IMAGE_GUID,
			be64toh(a->sys_image_guid)) ||
	    nla_put_u8(msg, RDMA_NLDEV_ATTR_DEV_NODE_TYPE, NODE_TYPE_CA) ||
	    nla_put_u8(msg, RDMA_NLDEV_ATTR_DEV_DIM, 0) ||
	    nla_put_string(msg, RDMA_NLDEV_ATTR_DEV_PROTOCOL, "roce"))
		return -EMSGSIZE;
	return 0;
}

static int get_doit(struct uodpd *d, uint16_t op,
		    const struct ud_nl_args *a,
		    const struct ud_nl_caller *who,
		    struct ud_nl_part *out)
{
	struct ud_device *dev = ud_nldev_device(d, a);

	(void)op;
	(void)who;
	if (!dev)
		return -EINVAL;
	return ud_nldev_put_msg(out, RDMA_NLDEV_CMD_GET, 0, fill_dev, dev,
				NULL);
}

static int get_dumpit(struct uodpd *d, struct ud_nl_dump *dump,
		      struct ud_nl_part *out)
{
	int put = 0;

	for (; dump->cursor < d->ndevices; dump->cursor++, put++)
		if (ud_nldev_put_msg(out, RDMA_NLDEV_CMD_GET, NLM_F_MULTI,
				     fill_dev, &d->devices[dump->cursor],
				     NULL))
			break;
	return put;
}

/* ---- PORT_GET ---- */

struct port_arg {
	uint32_t port;
	const char *netdev;		/* NULL: not the caller's to see */
};

static int fill_port(struct nl_msg *msg, const void *obj, const void *arg)
{
	const struct ud_device *dev = obj;
	const struct port_arg *pa = arg;
	unsigned int ifindex = pa->netdev ? if_nametoindex(pa->netdev) : 0;

	if (ud_nldev_put_handle(msg, dev) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_PORT_INDEX, pa->port) ||
	    nla_put_u8(msg, RDMA_NLDEV_ATTR_PORT_STATE,
		       (uint8_t)dev->port.state) ||
	    nla_put_u8(msg, RDMA_NLDEV_ATTR_PORT_PHYS_STATE,
		       dev->port.phys_state))
		return -EMSGSIZE;
	if (ifindex &&
	    (nla_put_u32(msg, RDMA_NLDEV_ATTR_NDEV_INDEX, ifindex) ||
	     nla_put_string(msg, RDMA_NLDEV_ATTR_NDEV_NAME, pa->netdev)))
		return -EMSGSIZE;
	return 0;
}

/* A netdev of another network namespace is not the caller's to see. */
static struct port_arg port_arg(const struct ud_device *dev, uint32_t port,
				const struct ud_nl_caller *who)
{
	return (struct port_arg){ port, who->our_net_ns ? dev->netdev : NULL };
}

static int port_doit(struct uodpd *d, uint16_t op,
		     const struct ud_nl_args *a,
		     const struct ud_nl_caller *who,
		     struct ud_nl_part *out)
{
	struct ud_device *dev = ud_nldev_device(d, a);
	struct port_arg pa;

	(void)op;
	if (!dev || !(a->present & UD_NL_ARG_PORT_INDEX) ||
	    !ud_nldev_port_valid(dev, a->port_index))
		return -EINVAL;
	pa = port_arg(dev, a->port_index, who);
	return ud_nldev_put_msg(out, RDMA_NLDEV_CMD_PORT_GET, 0, fill_port,
				dev, &pa);
}

static int port_dumpit(struct uodpd *d, struct ud_nl_dump *dump,
		       struct ud_nl_part *out)
{
	struct ud_device *dev = ud_nldev_device(d, &dump->args);
	struct port_arg pa;
	int put = 0;

	if (!dev)
		return -EINVAL;
	if (!dump->cursor)
		dump->cursor = 1;
	for (; ud_nldev_port_valid(dev, (uint32_t)dump->cursor);
	     dump->cursor++, put++) {
		pa = port_arg(dev, (uint32_t)dump->cursor, &dump->who);
		if (ud_nldev_put_msg(out, RDMA_NLDEV_CMD_PORT_GET, NLM_F_MULTI,
				     fill_port, dev, &pa))
			break;
	}
	return put;
}

/* ---- SYS_GET ---- */

static int fill_sys(struct nl_msg *msg, const void *obj, const void *arg)
{
	(void)obj;
	(void)arg;
	/*
	 * Devices are shared by all network namespaces (the kernel's
	 * default); registrations pin no pages a fork could copy-on-write
	 * away from the device (ODP, and the device reads through the
	 * process's own mappings), as a kernel with FOLL_PIN says.
	 */
	if (nla_put_u8(msg, RDMA_NLDEV_SYS_ATTR_NETNS_MODE, 1) ||
	    nla_put_u8(msg, RDMA_NLDEV_SYS_ATTR_COPY_ON_FORK, 1))
		return -EMSGSIZE;
	return 0;
}

static int sys_doit(struct uodpd *d, uint16_t op,
		    const struct ud_nl_args *a,
		    const struct ud_nl_caller *who,
		    struct ud_nl_part *out)
{
	(void)d;
	(void)op;
	(void)a;
	(void)who;
	return ud_nldev_put_msg(out, RDMA_NLDEV_CMD_SYS_GET, 0, fill_sys, NULL,
				NULL);
}

/* ---- GET_CHARDEV ---- */

struct chardev {
	const char *name;		/* uverbsN, rdma_cm */
	uint64_t abi;
	const struct ud_device *dev;	/* uverbs: its device */
};

static int fill_chardev(struct nl_msg *msg, const void *obj, const void *arg)
{
	const struct chardev *cd = obj;

	(void)arg;
	if (cd->dev &&
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_UVERBS_DRIVER_ID,
			RDMA_DRIVER_UNKNOWN))
		return -EMSGSIZE;
	/*
	 * The node's number is the sysfs view's dev, 0:0: the node a
	 * process opens is a stand-in whose number means nothing.
	 */
	if (nla_put_u64(msg, RDMA_NLDEV_ATTR_CHARDEV, 0) ||
	    nla_put_u64(msg, RDMA_NLDEV_ATTR_CHARDEV_ABI, cd->abi) ||
	    nla_put_string(msg, RDMA_NLDEV_ATTR_CHARDEV_NAME, cd->name))
		return -EMSGSIZE;
	return 0;
}

/* ib_get_client_nl_info: the client's answer for a device or globally. */
static int chardev_of(const struct ud_nl_args *a, const struct ud_device *dev,
		      struct chardev *cd, char *name, size_t size)
{
	bool port = a->present & UD_NL_ARG_PORT_INDEX;

	if (!strcmp(a->chardev_type, "uverbs") && dev) {
		if (port)
			return -EINVAL;	/* uverbs is per device */
		ud_identity_uverbs_name(dev->index, name, size);
		*cd = (struct chardev){ name, UVERBS_ABI, dev };
		return 0;
	}
	if (!strcmp(a->chardev_type, "rdma_cm") && !dev) {
		*cd = (struct chardev){ "rdma_cm", RDMA_CM_ABI, NULL };
		return 0;
	}
	return -EOPNOTSUPP;
}

static int chardev_doit(struct uodpd *d, uint16_t op,
			const struct ud_nl_args *a,
			const struct ud_nl_caller *who,
			struct ud_nl_part *out)
{
	struct ud_device *dev = NULL;
	struct chardev cd;
	char name[32];
	int ret;

	(void)op;
	(void)who;
	if (!(a->present & UD_NL_ARG_CHARDEV_TYPE))
		return -EINVAL;
	if (a->present & UD_NL_ARG_DEV_INDEX) {
		dev = ud_nldev_device(d, a);
		if (!dev)
			return -EINVAL;
		if ((a->present & UD_NL_ARG_PORT_INDEX) &&
		    !ud_nldev_port_valid(dev, a->port_index))
			return -EINVAL;
	} else if (a->present & UD_NL_ARG_PORT_INDEX) {
		return -EINVAL;
	}
	ret = chardev_of(a, dev, &cd, name, sizeof(name));
	if (ret)
		return ret;
	return ud_nldev_put_msg(out, RDMA_NLDEV_CMD_GET_CHARDEV, 0,
				fill_chardev, &cd, NULL);
}

/* ---- what changes state ---- */

static int admin_doit(struct uodpd *d, uint16_t op,
		      const struct ud_nl_args *a,
		      const struct ud_nl_caller *who,
		      struct ud_nl_part *out)
{
	(void)d;
	(void)op;
	(void)a;
	(void)who;
	(void)out;
	return -EOPNOTSUPP;
}

/* ---- the table ---- */

struct nldev_op {
	int (*doit)(struct uodpd *d, uint16_t op, const struct ud_nl_args *a,
		    const struct ud_nl_caller *who, struct ud_nl_part *out);
	int (*dumpit)(struct uodpd *d, struct ud_nl_dump *dump,
		      struct ud_nl_part *out);
	bool admin;			/* RDMA_NL_ADMIN_PERM */
	/*
	 * Its dumpit parses the request (nlmsg_parse), so a malformed one
	 * ends the dump with EINVAL; the others never look at it.
	 */
	bool dump_parses;
};

#define ADMIN { .doit = admin_doit, .admin = true }
#define RES { .doit = ud_nldev_res_doit, .dumpit = ud_nldev_res_dumpit, \
	      .dump_parses = true }

static const struct nldev_op nldev_ops[RDMA_NLDEV_NUM_OPS] = {
	[RDMA_NLDEV_CMD_GET] = { .doit = get_doit, .dumpit = get_dumpit },
	[RDMA_NLDEV_CMD_SET] = ADMIN,
	[RDMA_NLDEV_CMD_NEWLINK] = ADMIN,
	[RDMA_NLDEV_CMD_DELLINK] = ADMIN,
	[RDMA_NLDEV_CMD_PORT_GET] = { .doit = port_doit,
				      .dumpit = port_dumpit,
				      .dump_parses = true },
	[RDMA_NLDEV_CMD_SYS_GET] = { .doit = sys_doit },
	[RDMA_NLDEV_CMD_SYS_SET] = ADMIN,
	[RDMA_NLDEV_CMD_GET_CHARDEV] = { .doit = chardev_doit },
	[RDMA_NLDEV_CMD_RES_GET] = { .doit = ud_nldev_res_summary_doit,
				     .dumpit = ud_nldev_res_summary_dumpit },
	[RDMA_NLDEV_CMD_RES_QP_GET] = RES,
	[RDMA_NLDEV_CMD_RES_CQ_GET] = RES,
	[RDMA_NLDEV_CMD_RES_MR_GET] = RES,
	[RDMA_NLDEV_CMD_RES_PD_GET] = RES,
	[RDMA_NLDEV_CMD_RES_CTX_GET] = RES,
	[RDMA_NLDEV_CMD_RES_SRQ_GET] = RES,
	[RDMA_NLDEV_CMD_RES_CM_ID_GET] = RES,
	[RDMA_NLDEV_CMD_STAT_GET] = { .doit = ud_nldev_stat_doit,
				      .dumpit = ud_nldev_stat_dumpit,
				      .dump_parses = true },
	[RDMA_NLDEV_CMD_STAT_SET] = ADMIN,
	[RDMA_NLDEV_CMD_STAT_DEL] = ADMIN,
	[RDMA_NLDEV_CMD_RES_QP_GET_RAW] = ADMIN,
	[RDMA_NLDEV_CMD_RES_CQ_GET_RAW] = ADMIN,
	[RDMA_NLDEV_CMD_RES_MR_GET_RAW] = ADMIN,
};

bool ud_nldev_admin_op(uint16_t op)
{
	return op < RDMA_NLDEV_NUM_OPS && nldev_ops[op].admin;
}

bool ud_nldev_has_doit(uint16_t op)
{
	return op < RDMA_NLDEV_NUM_OPS && nldev_ops[op].doit;
}

bool ud_nldev_has_dumpit(uint16_t op)
{
	return op < RDMA_NLDEV_NUM_OPS && nldev_ops[op].dumpit;
}

bool ud_nldev_dump_parses(uint16_t op)
{
	return op < RDMA_NLDEV_NUM_OPS && nldev_ops[op].dump_parses;
}

int ud_nldev_doit(struct uodpd *d, uint16_t op, const struct ud_nl_args *a,
		  const struct ud_nl_caller *who, struct ud_nl_part *out)
{
	return nldev_ops[op].doit(d, op, a, who, out);
}

int ud_nldev_dumpit(struct uodpd *d, struct ud_nl_dump *dump,
		    struct ud_nl_part *out)
{
	return nldev_ops[dump->op].dumpit(d, dump, out);
}
