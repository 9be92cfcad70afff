/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The RoCE GIDs of a netdev, as the kernel's RoCE GID management derives
 * them (netdev_gids.c).  Shared by uodp-run and uodpd.
 */
#ifndef UODP_NETDEV_GIDS_H
#define UODP_NETDEV_GIDS_H

#include <stdint.h>

#include "identity.h"

struct ud_netdev_gid {
	uint8_t raw[16];
	enum ud_identity_gid_type type;
};

/*
 * Fills up to max GIDs from netdev's addresses; returns the count, or
 * -ENODEV (no such netdev) or -EIO (route netlink failed).
 */
int ud_netdev_gids(const char *netdev, struct ud_netdev_gid *gids,
		   unsigned int max);

#endif /* UODP_NETDEV_GIDS_H */
