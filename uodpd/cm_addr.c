// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Addresses of the RDMA CM, as the kernel's cma.c treats them: the sizes
 * of the families (rdma_addr_size), the ports of each port space (a port
 * is bound once, unless both IDs ask REUSEADDR and neither listens), the
 * ephemeral range, and the device an IP address is on: the one whose GID
 * table holds its RoCE v2 GID (the CM's preferred type), since a uodp
 * device's GIDs are the addresses of the netdev it is built on.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "identity.h"
#include "ucma.h"

/* The kernel's default net.ipv4.ip_local_port_range. */
#define CM_PORT_LOW 32768u
#define CM_PORT_HIGH 60999u
#define CM_PORTS_HASH (sizeof(((struct uodpd *)0)->cm_ports) / \
		       sizeof(((struct uodpd *)0)->cm_ports[0]))

/* struct sockaddr_ib, as <rdma/ib.h> of the kernel has it. */
#ifndef AF_IB
#define AF_IB 27
#endif
#define CM_SOCKADDR_IB_SIZE 48

void ud_cm_addr_init(struct uodpd *d)
{
	unsigned int i;

	for (i = 0; i < CM_PORTS_HASH; i++)
		list_head_init(&d->cm_ports[i]);
	d->cm_port_next = CM_PORT_LOW;
}

size_t ud_cm_addr_size(const struct sockaddr_storage *a)
{
	switch (a->ss_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	case AF_IB:
		return CM_SOCKADDR_IB_SIZE;
	default:
		return 0;
	}
}

static const uint8_t *ip_bytes(const struct sockaddr_storage *a, size_t *len)
{
	if (a->ss_family == AF_INET) {
		*len = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
	}
	if (a->ss_family == AF_INET6) {
		*len = 16;
		return ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;
	}
	*len = 0;
	return NULL;
}

bool ud_cm_addr_any(const struct sockaddr_storage *a)
{
	static const uint8_t zero[16];
	const uint8_t *b;
	size_t len;

	b = ip_bytes(a, &len);
	return !b || !memcmp(b, zero, len);
}

uint16_t ud_cm_addr_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return 0;
}

void ud_cm_addr_set_port(struct sockaddr_storage *a, uint16_t port)
{
	if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons(port);
	else if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

bool ud_cm_addr_gid(const struct sockaddr_storage *a, uint8_t gid[16])
{
	const uint8_t *b;
	size_t len;

	b = ip_bytes(a, &len);
	if (!b)
		return false;
	memset(gid, 0, 16);
	if (len == 4) {
		gid[10] = 0xff;
		gid[11] = 0xff;
		memcpy(gid + 12, b, 4);
	} else {
		memcpy(gid, b, 16);
	}
	return true;
}

int ud_cm_addr_device(struct uodpd *d, const struct sockaddr_storage *a,
		      struct ud_device **dev, uint8_t *gid_index)
{
	uint8_t gid[16];
	uint32_t i, j;

	if (!ud_cm_addr_gid(a, gid) || ud_cm_addr_any(a))
		return -EADDRNOTAVAIL;
	for (i = 0; i < d->ndevices; i++) {
		struct ud_device *cand = &d->devices[i];

		if (!cand->gids[0].valid)
			ud_device_load_gids(d, cand);
		for (j = 0; j < UODPD_GID_TBL_LEN; j++) {
			const struct ud_gid *g = &cand->gids[j];

			if (g->valid && g->type == UD_GID_TYPE_ROCE_V2 &&
			    !memcmp(g->raw, gid, sizeof(gid))) {
				*dev = cand;
				*gid_index = (uint8_t)j;
				return 0;
			}
		}
	}
	return -EADDRNOTAVAIL;
}

/* ---- ports ---- */

static struct list_head *port_head(struct uodpd *d, uint16_t port)
{
	return &d->cm_ports[port % CM_PORTS_HASH];
}

static bool same_ip(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b)
{
	const uint8_t *x, *y;
	size_t lx, ly;

	x = ip_bytes(a, &lx);
	y = ip_bytes(b, &ly);
	return x && y && lx == ly && !memcmp(x, y, lx);
}

/* cma_check_port(): 0, -EADDRINUSE, -EADDRNOTAVAIL. */
static int port_conflict(struct uodpd *d, const struct ud_cm_id *id,
			 uint16_t port)
{
	const struct ud_cm_id *cur;

	list_for_each(port_head(d, port), cur, struct ud_cm_id, bind_link) {
		if (cur == id || cur->ps != id->ps ||
		    ud_cm_addr_port(&cur->src) != port)
			continue;
		if (cur->state != UD_CM_LISTEN && id->reuseaddr &&
		    cur->reuseaddr)
			continue;
		if (id->afonly && cur->afonly &&
		    id->src.ss_family != cur->src.ss_family)
			continue;
		if (ud_cm_addr_any(&id->src) || ud_cm_addr_any(&cur->src))
			return -EADDRNOTAVAIL;
		if (same_ip(&id->src, &cur->src))
			return -EADDRINUSE;
	}
	return 0;
}

static void port_link(struct uodpd *d, struct ud_cm_id *id, uint16_t port)
{
	ud_cm_addr_set_port(&id->src, port);
	list_add_tail(port_head(d, port), &id->bind_link);
	id->bound = true;
}

int ud_cm_bind_port(struct uodpd *d, struct ud_cm_id *id)
{
	uint16_t port = ud_cm_addr_port(&id->src);
	uint32_t n, range = CM_PORT_HIGH - CM_PORT_LOW + 1;
	int ret;

	if (id->bound)
		return -EINVAL;
	if (port) {
		ret = port_conflict(d, id, port);
		if (!ret)
			port_link(d, id, port);
		return ret;
	}
	/* Every port in use is an ID's, so this finds one soon. */
	for (n = 0; n < range; n++) {
		port = (uint16_t)d->cm_port_next;
		d->cm_port_next = d->cm_port_next == CM_PORT_HIGH ?
			CM_PORT_LOW : d->cm_port_next + 1;
		if (!port_conflict(d, id, port)) {
			port_link(d, id, port);
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

void ud_cm_unbind_port(struct ud_cm_id *id)
{
	if (!id->bound)
		return;
	list_del(&id->bind_link);
	id->bound = false;
}

/* Whether a listener bound to l takes a request for address a. */
static bool listener_takes(const struct ud_cm_id *l,
			   const struct sockaddr_storage *a)
{
	if (!ud_cm_addr_any(&l->src))
		return same_ip(&l->src, a);
	if (l->src.ss_family == a->ss_family)
		return true;
	/* An IPv6 wildcard takes IPv4 too, unless AFONLY. */
	return l->src.ss_family == AF_INET6 && !l->afonly;
}

struct ud_cm_id *ud_cm_find_listener(struct uodpd *d,
				     const struct ud_cm_id *id)
{
	uint16_t port = ud_cm_addr_port(&id->dst);
	struct ud_cm_id *l, *any = NULL;

	list_for_each(port_head(d, port), l, struct ud_cm_id, bind_link) {
		if (l->state != UD_CM_LISTEN || l->ps != id->ps ||
		    ud_cm_addr_port(&l->src) != port ||
		    !listener_takes(l, &id->dst))
			continue;
		/* As the kernel: a specific address before the wildcard. */
		if (!ud_cm_addr_any(&l->src))
			return l;
		if (!any)
			any = l;
	}
	return any;
}
