/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The attributes of QUERY_PORT and QUERY_GID_ENTRY, as the kernel's
 * uverbs_std_types_device.c declares them.  One definition for the methods
 * (uverbs_device.c) and the ioctl fuzzer, which decodes against them.
 */
#ifndef UODPD_UVERBS_DEVICE_ATTRS_H
#define UODPD_UVERBS_DEVICE_ATTRS_H

#include "uverbs.h"

static const struct ud_attr_spec query_port_attrs[] = {
	UD_ATTR_CONST(UVERBS_ATTR_QUERY_PORT_PORT_NUM, true),
	UD_ATTR_OUT_STRUCT(UVERBS_ATTR_QUERY_PORT_RESP,
			   struct ib_uverbs_query_port_resp_ex, reserved, true),
};

static const struct ud_attr_spec query_gid_entry_attrs[] = {
	UD_ATTR_CONST(UVERBS_ATTR_QUERY_GID_ENTRY_PORT, true),
	UD_ATTR_CONST(UVERBS_ATTR_QUERY_GID_ENTRY_GID_INDEX, true),
	UD_ATTR_FLAGS(UVERBS_ATTR_QUERY_GID_ENTRY_FLAGS, true),
	UD_ATTR_OUT_STRUCT(UVERBS_ATTR_QUERY_GID_ENTRY_RESP_ENTRY,
			   struct ib_uverbs_gid_entry, netdev_ifindex, true),
};

#endif /* UODPD_UVERBS_DEVICE_ATTRS_H */
