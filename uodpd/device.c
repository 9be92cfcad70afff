// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Device and port attributes of the emulated HCA.  Names, GUIDs and versions
 * come from identity.h; the GID table is read back from the sysfs tree
 * uodp-run wrote, so GIDs are defined in exactly one place.  The limits are
 * what the daemon and the provider actually honour.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "identity.h"
#include "netdev_gids.h"
#include "odp_priv.h"
#include "hw/mlx5/cmd.h"

/*
 * ODP capabilities: one table, from which both the verbs bits of
 * query_device_ex (struct ud_device_attr) and the PRM ODP capability
 * block QUERY_HCA_CAP answers are derived.  It lists exactly what the
 * engine raises faults for and what the tests exercise: requester faults
 * for RC send/write/read/atomic, UD send and XRC send/write/read/atomic;
 * responder faults on an RC or UD RQ and on SRQs and XRC SRQs; RDMA
 * responder faults for write/read/atomic into an ODP MR.  No DC, and no
 * UC: mlx5_ib reports no UC ODP either, and a UC responder cannot hold
 * the requester off while a fault is serviced (the engine drops the
 * message instead).
 */
struct odp_cap_bit {
	uint32_t ibv;			/* enum ibv_odp_transport_cap_bits */
	uint32_t prm;			/* MLX5_ODP_CAP_* */
};

static const struct odp_cap_bit odp_cap_bits[] = {
	{ IBV_ODP_SUPPORT_SEND, MLX5_ODP_CAP_SEND },
	{ IBV_ODP_SUPPORT_RECV, MLX5_ODP_CAP_RECEIVE },
	{ IBV_ODP_SUPPORT_WRITE, MLX5_ODP_CAP_WRITE },
	{ IBV_ODP_SUPPORT_READ, MLX5_ODP_CAP_READ },
	{ IBV_ODP_SUPPORT_ATOMIC, MLX5_ODP_CAP_ATOMIC },
	{ IBV_ODP_SUPPORT_SRQ_RECV, MLX5_ODP_CAP_SRQ_RECEIVE },
};

#define ODP_ALL_OPS (IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV |	\
		     IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_READ |	\
		     IBV_ODP_SUPPORT_ATOMIC | IBV_ODP_SUPPORT_SRQ_RECV)

static const struct odp_transport_caps {
	uint32_t prm_off;		/* dword in the PRM block */
	size_t attr_off;		/* field of struct ud_device_attr */
	uint32_t ibv;			/* IBV_ODP_SUPPORT_* supported */
} odp_caps[] = {
	{ MLX5_ODP_CAP_RC_OFF, offsetof(struct ud_device_attr, odp_rc_caps),
	  ODP_ALL_OPS },
	{ MLX5_ODP_CAP_UC_OFF, offsetof(struct ud_device_attr, odp_uc_caps),
	  0 },
	{ MLX5_ODP_CAP_UD_OFF, offsetof(struct ud_device_attr, odp_ud_caps),
	  IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV |
	  IBV_ODP_SUPPORT_SRQ_RECV },
	{ MLX5_ODP_CAP_XRC_OFF,
	  offsetof(struct ud_device_attr, odp_xrc_caps),
	  ODP_ALL_OPS & ~(uint32_t)IBV_ODP_SUPPORT_RECV },
};

static uint32_t odp_prm_bits(uint32_t ibv)
{
	uint32_t prm = 0;
	size_t i;

	for (i = 0; i < sizeof(odp_cap_bits) / sizeof(odp_cap_bits[0]); i++)
		if (ibv & odp_cap_bits[i].ibv)
			prm |= odp_cap_bits[i].prm;
	return prm;
}

void ud_device_odp_caps_block(uint8_t *block, size_t len)
{
	uint32_t be;
	size_t i;

	memset(block, 0, len);
	for (i = 0; i < sizeof(odp_caps) / sizeof(odp_caps[0]); i++) {
		if (odp_caps[i].prm_off + sizeof(be) > len)
			continue;
		be = htobe32(odp_prm_bits(odp_caps[i].ibv));
		memcpy(block + odp_caps[i].prm_off, &be, sizeof(be));
	}
}

static void device_odp_caps(struct ud_device_attr *a)
{
	uint32_t any = 0, *field;
	size_t i;

	for (i = 0; i < sizeof(odp_caps) / sizeof(odp_caps[0]); i++) {
		field = (uint32_t *)((uint8_t *)a + odp_caps[i].attr_off);
		*field = odp_caps[i].ibv;
		any |= odp_caps[i].ibv;
	}
	/* Implicit ODP MRs: sparse 1 GiB children (odp_mr.c). */
	a->odp_general_caps = any ? IBV_ODP_SUPPORT | IBV_ODP_SUPPORT_IMPLICIT :
				    0;
}

static void device_attr_init(struct ud_device_attr *a, uint32_t index)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->fw_ver, sizeof(a->fw_ver), "%s", UD_IDENTITY_FW_VER);
	a->node_guid = htobe64(ud_identity_node_guid(index));
	a->sys_image_guid = htobe64(ud_identity_sys_image_guid(index));
	/*
	 * What mlx5_ib reports (~0ull): no size limit of the device's own.
	 * Registration checks what the address space allows, and an ODP MR's
	 * table grows with what is mapped of it.
	 */
	a->max_mr_size = UINT64_MAX;
	a->page_size_cap = UODPD_PAGE_SIZE;
	a->vendor_id = UD_IDENTITY_VENDOR_ID;
	a->vendor_part_id = UD_IDENTITY_VENDOR_PART_ID;
	a->hw_ver = UD_IDENTITY_HW_VER;
	a->max_qp = 16384;
	a->max_qp_wr = 16384;
	/*
	 * What the daemon implements: RNR NAK generation, XRC, port events.
	 * No memory windows, no APM, no resize of CQs, no SRQ resize.
	 */
	a->device_cap_flags = IBV_DEVICE_RC_RNR_NAK_GEN |
			      IBV_DEVICE_PORT_ACTIVE_EVENT |
			      IBV_DEVICE_SYS_IMAGE_GUID |
			      IBV_DEVICE_XRC;
	a->max_sge = 16;
	a->max_sge_rd = 16;
	a->max_cq = 16384;
	a->max_cqe = 4194303;
	a->max_mr = 1u << 20;
	a->max_pd = 1u << 20;
	a->max_qp_rd_atom = 16;
	a->max_ee_rd_atom = 0;
	a->max_res_rd_atom = 16 * 16384;
	a->max_qp_init_rd_atom = 16;
	a->atomic_cap = IBV_ATOMIC_HCA;
	a->max_srq = 16384;
	a->max_srq_wr = 16383;
	a->max_srq_sge = 16;
	a->max_ah = INT32_MAX;
	/* A UD WQE with a full AV: 16 ctrl + 48 AV + 4 header + 512 < 1024. */
	a->max_inline_data = 512;
	a->max_msg_sz = 1u << 30;
	a->max_pkeys = UD_IDENTITY_PKEY_TBL_LEN;
	a->local_ca_ack_delay = UODPD_LOCAL_CA_ACK_DELAY;
	a->phys_port_cnt = 1;
	device_odp_caps(a);
}

static void port_attr_init(struct ud_port_attr *p)
{
	memset(p, 0, sizeof(*p));
	p->state = IBV_PORT_ACTIVE;
	p->max_mtu = UD_IDENTITY_PORT_MTU;
	/* The Ethernet default (1500-byte netdev MTU gives a 1024 RoCE MTU). */
	p->active_mtu = IBV_MTU_1024;
	p->gid_tbl_len = UD_IDENTITY_GID_TBL_LEN;
	p->port_cap_flags = UD_IDENTITY_PORT_CAP_FLAGS;
	p->max_msg_sz = 1u << 30;
	p->pkey_tbl_len = UD_IDENTITY_PKEY_TBL_LEN;
	p->lid = 0;			/* RoCE: no LIDs */
	p->sm_lid = 0;
	p->lmc = 0;
	p->max_vl_num = 1;		/* IBV_VL_0 */
	p->subnet_timeout = 0;
	p->active_width = UD_IDENTITY_PORT_ACTIVE_WIDTH;
	p->active_speed = UD_IDENTITY_PORT_ACTIVE_SPEED;
	p->phys_state = 5;		/* LinkUp */
	p->link_layer = IBV_LINK_LAYER_ETHERNET;
}

static int read_small_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static void load_one_gid(struct ud_gid *gid, const char *port_dir,
			 uint32_t i)
{
	static const uint8_t zero[16];
	enum ud_identity_gid_type type = UD_GID_TYPE_ROCE_V1;
	char path[PATH_MAX + 64];
	char text[128];

	memset(gid, 0, sizeof(*gid));
	snprintf(path, sizeof(path), "%s/gids/%u", port_dir, i);
	if (read_small_file(path, text, sizeof(text)) ||
	    ud_identity_parse_gid(text, gid->raw))
		return;
	if (!memcmp(gid->raw, zero, sizeof(zero)))
		return;
	snprintf(path, sizeof(path), "%s/gid_attrs/types/%u", port_dir, i);
	if (!read_small_file(path, text, sizeof(text)) &&
	    ud_identity_parse_gid_type(text, &type))
		ud_warn("%s: unknown GID type, taking RoCE v1", path);
	gid->type = type;
	gid->valid = true;
	/* The netdev, as the kernel's GID attribute names it (optional). */
	snprintf(path, sizeof(path), "%s/gid_attrs/ndevs/%u", port_dir, i);
	if (!read_small_file(path, text, sizeof(text))) {
		text[strcspn(text, "\n")] = '\0';
		gid->ndev_ifindex = if_nametoindex(text);
	}
}

static int load_gids_from_sysfs(struct ud_device *dev, const char *sysfs_root)
{
	char port_dir[PATH_MAX];
	int valid = 0;
	uint32_t i;

	snprintf(port_dir, sizeof(port_dir), "%s/class/infiniband/%s/ports/1",
		 sysfs_root, dev->name);
	if (access(port_dir, R_OK | X_OK))
		return -errno;
	for (i = 0; i < UODPD_GID_TBL_LEN; i++) {
		load_one_gid(&dev->gids[i], port_dir, i);
		valid += dev->gids[i].valid;
	}
	return valid;
}

/* The shared daemon has no sysfs tree: the netdev's addresses are asked. */
static int load_gids_from_netdev(struct ud_device *dev, const char *netdev)
{
	struct ud_netdev_gid found[UODPD_GID_TBL_LEN];
	unsigned int ifindex = if_nametoindex(netdev);
	int i, n;

	n = ud_netdev_gids(netdev, found, UODPD_GID_TBL_LEN);
	if (n < 0)
		return n;
	memset(dev->gids, 0, sizeof(dev->gids));
	for (i = 0; i < n; i++) {
		memcpy(dev->gids[i].raw, found[i].raw, sizeof(found[i].raw));
		dev->gids[i].type = found[i].type;
		dev->gids[i].ndev_ifindex = ifindex;
		dev->gids[i].valid = true;
	}
	return n;
}

int ud_device_load_gids(const struct uodpd *d, struct ud_device *dev)
{
	if (d->sysfs_root[0])
		return load_gids_from_sysfs(dev, d->sysfs_root);
	return load_gids_from_netdev(dev, dev->netdev);
}

static const char *gid_source(const struct uodpd *d,
			      const struct ud_device *dev)
{
	return d->sysfs_root[0] ? d->sysfs_root : dev->netdev;
}

int ud_device_init(const struct uodpd *d, struct ud_device *dev,
		   uint32_t index, const char *netdev)
{
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->index = index;
	if (strlen(netdev) >= sizeof(dev->netdev))
		return -EINVAL;
	strcpy(dev->netdev, netdev);
	ret = ud_identity_ibdev_name(index, dev->name, sizeof(dev->name));
	if (ret < 0)
		return ret;
	device_attr_init(&dev->attr, index);
	/* uodpd's --context-share, if any, replaces it (ud_daemon_init). */
	ud_limits_init(dev, UD_DEFAULT_CONTEXT_SHARE);
	port_attr_init(&dev->port);
	ret = ud_device_load_gids(d, dev);
	if (ret < 0)
		ud_warn("%s: no GID table from %s (%s); will retry when a context opens",
			dev->name, gid_source(d, dev), strerror(-ret));
	else
		ud_info("%s: %d GIDs from %s", dev->name, ret,
			gid_source(d, dev));
	return 0;
}

struct ud_device *ud_device_by_name(struct uodpd *d, const char *name)
{
	uint32_t i;

	for (i = 0; i < d->ndevices; i++)
		if (!strcmp(d->devices[i].name, name))
			return &d->devices[i];
	return NULL;
}
