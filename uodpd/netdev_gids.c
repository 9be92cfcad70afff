// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The RoCE GID table, built from a netdev's addresses the way the kernel's
 * RoCE GID management does: each address gives a RoCE v1 and a RoCE v2 GID.
 * Order: the link-local EUI-64 of the MAC, each IPv4 address (IPv4-mapped),
 * each global or host IPv6 address.  uodp-run builds its private device's
 * sysfs tree from it; a uodpd without --sysfs (the shared daemon) its GID table.
 * Nothing is printed here: callers report failures in their own voice.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "netdev_gids.h"

struct gid_table {
	struct ud_netdev_gid *gids;
	unsigned int count;
	unsigned int max;
};

/* Adds raw as RoCE v1 then RoCE v2, skipping duplicates and overflow. */
static void add_gid_pair(struct gid_table *tbl, const uint8_t raw[16])
{
	enum ud_identity_gid_type types[] = { UD_GID_TYPE_ROCE_V1,
					       UD_GID_TYPE_ROCE_V2 };
	unsigned int i, t;

	for (i = 0; i < tbl->count; i++)
		if (!memcmp(tbl->gids[i].raw, raw, 16))
			return;
	for (t = 0; t < 2; t++) {
		if (tbl->count >= tbl->max)
			return;
		memcpy(tbl->gids[tbl->count].raw, raw, 16);
		tbl->gids[tbl->count].type = types[t];
		tbl->count++;
	}
}

static void add_link_local(struct gid_table *tbl, struct rtnl_link *link)
{
	struct nl_addr *lladdr = rtnl_link_get_addr(link);
	uint8_t raw[16] = { 0xfe, 0x80 };
	const uint8_t *mac;

	/* A netdev without an Ethernet MAC (tun, wireguard) has no EUI-64. */
	if (!lladdr || nl_addr_get_len(lladdr) != 6)
		return;
	mac = nl_addr_get_binary_addr(lladdr);
	raw[8] = mac[0] ^ 0x02;		/* flip the universal/local bit */
	raw[9] = mac[1];
	raw[10] = mac[2];
	raw[11] = 0xff;
	raw[12] = 0xfe;
	raw[13] = mac[3];
	raw[14] = mac[4];
	raw[15] = mac[5];
	add_gid_pair(tbl, raw);
}

static bool usable_address(struct rtnl_addr *addr, int ifindex, int family)
{
	struct nl_addr *local = rtnl_addr_get_local(addr);

	if (rtnl_addr_get_ifindex(addr) != ifindex ||
	    rtnl_addr_get_family(addr) != family || !local)
		return false;
	if (rtnl_addr_get_flags(addr) & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return false;
	if (family == AF_INET)
		return nl_addr_get_len(local) == 4;
	/*
	 * Link-local IPv6 is covered by the EUI-64 entry.  Host scope (lo's
	 * ::1) counts, as 127.0.0.1 does for IPv4: the kernel's RoCE GIDs
	 * take every address of the netdev.
	 */
	return nl_addr_get_len(local) == 16 &&
	       (rtnl_addr_get_scope(addr) == RT_SCOPE_UNIVERSE ||
		rtnl_addr_get_scope(addr) == RT_SCOPE_HOST);
}

static void add_addresses(struct gid_table *tbl, struct nl_cache *addrs,
			  int ifindex, int family)
{
	struct nl_object *obj;

	for (obj = nl_cache_get_first(addrs); obj;
	     obj = nl_cache_get_next(obj)) {
		struct rtnl_addr *addr = (struct rtnl_addr *)obj;
		const uint8_t *bytes;
		uint8_t raw[16] = { 0 };

		if (!usable_address(addr, ifindex, family))
			continue;
		bytes = nl_addr_get_binary_addr(rtnl_addr_get_local(addr));
		if (family == AF_INET) {
			raw[10] = 0xff;
			raw[11] = 0xff;
			memcpy(raw + 12, bytes, 4);
		} else {
			memcpy(raw, bytes, 16);
		}
		add_gid_pair(tbl, raw);
	}
}

int ud_netdev_gids(const char *netdev, struct ud_netdev_gid *gids,
		   unsigned int max)
{
	struct gid_table tbl = { .gids = gids, .max = max };
	struct rtnl_link *link = NULL;
	struct nl_cache *addrs = NULL;
	struct nl_sock *sock;
	int ifindex;
	int ret;

	sock = nl_socket_alloc();
	if (!sock)
		return -ENOMEM;
	ret = nl_connect(sock, NETLINK_ROUTE);
	if (ret < 0) {
		ret = -EIO;
		goto err_sock;
	}
	ret = rtnl_link_get_kernel(sock, 0, netdev, &link);
	if (ret < 0) {
		ret = -ENODEV;
		goto err_sock;
	}
	ifindex = rtnl_link_get_ifindex(link);
	ret = rtnl_addr_alloc_cache(sock, &addrs);
	if (ret < 0) {
		ret = -EIO;
		goto err_link;
	}
	add_link_local(&tbl, link);
	add_addresses(&tbl, addrs, ifindex, AF_INET);
	add_addresses(&tbl, addrs, ifindex, AF_INET6);
	ret = (int)tbl.count;
	nl_cache_free(addrs);
err_link:
	rtnl_link_put(link);
err_sock:
	nl_socket_free(sock);
	return ret;
}

unsigned int ud_netdev_list_len(const char *list)
{
	unsigned int n = 1;

	for (; *list; list++)
		n += *list == ',';
	return n;
}

int ud_netdev_list_at(const char *list, unsigned int i, char *out,
		      size_t size)
{
	const char *name = list, *end;
	unsigned int k;
	size_t len;

	for (k = 0; k < i && (end = strchr(name, ',')); k++)
		name = end + 1;
	end = strchr(name, ',');
	len = end ? (size_t)(end - name) : strlen(name);
	if (!len || len >= IF_NAMESIZE || len >= size)
		return -EINVAL;
	memcpy(out, name, len);
	out[len] = '\0';
	return 0;
}

bool ud_netdev_list_ok(const char *list)
{
	unsigned int i, n = ud_netdev_list_len(list);
	char name[IF_NAMESIZE];

	for (i = 0; i < n; i++)
		if (ud_netdev_list_at(list, i, name, sizeof(name)))
			return false;
	return true;
}
