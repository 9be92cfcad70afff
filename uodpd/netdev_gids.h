/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The RoCE GIDs of a netdev, as the kernel's RoCE GID management derives
 * them (netdev_gids.c).  Shared by uodp-run and uodpd.
 */
#ifndef UODP_NETDEV_GIDS_H
#define UODP_NETDEV_GIDS_H

#include <stdbool.h>
#include <stddef.h>
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

/*
 * Device i's netdev in a comma-separated list ("lo,veth0"): the i-th
 * name, or the last for devices past the list.  0 and the name in
 * out[size], or -EINVAL for an empty or too long name (IF_NAMESIZE).
 */
int ud_netdev_list_at(const char *list, unsigned int i, char *out,
		      size_t size);
/* How many names the list has; whether each is a name. */
unsigned int ud_netdev_list_len(const char *list);
bool ud_netdev_list_ok(const char *list);

#endif /* UODP_NETDEV_GIDS_H */
