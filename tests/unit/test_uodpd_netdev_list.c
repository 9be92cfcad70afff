// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Unit test of the --netdev list (netdev_gids.c), which uodpd and
 * uodp-run both read: device i on the i-th name, devices past the list on
 * its last, and every name checked (empty, too long).
 */
#include <errno.h>
#include <string.h>

#include "netdev_gids.h"
#include "check.h"

static const char *at(const char *list, unsigned int i)
{
	static char name[16];

	if (ud_netdev_list_at(list, i, name, sizeof(name)))
		return "(invalid)";
	return name;
}

int main(void)
{
	CHECK_EQ(ud_netdev_list_len("lo"), 1);
	CHECK_EQ(strcmp(at("lo", 0), "lo"), 0);
	CHECK_EQ(strcmp(at("lo", 5), "lo"), 0);
	CHECK_EQ(ud_netdev_list_len("lo,eth1,veth0"), 3);
	CHECK_EQ(strcmp(at("lo,eth1,veth0", 1), "eth1"), 0);
	CHECK_EQ(strcmp(at("lo,eth1,veth0", 2), "veth0"), 0);
	CHECK_EQ(strcmp(at("lo,eth1,veth0", 9), "veth0"), 0);
	CHECK(ud_netdev_list_ok("lo,eth1"));
	/* Empty names, anywhere, and names past IF_NAMESIZE - 1. */
	CHECK(!ud_netdev_list_ok(""));
	CHECK(!ud_netdev_list_ok("lo,"));
	CHECK(!ud_netdev_list_ok(",lo"));
	CHECK(!ud_netdev_list_ok("lo,,eth1"));
	CHECK(ud_netdev_list_ok("a23456789012345"));
	CHECK(!ud_netdev_list_ok("a234567890123456"));
	CHECK(!ud_netdev_list_ok("lo,a234567890123456"));
	{
		char small[3];

		CHECK_EQ(ud_netdev_list_at("eth1", 0, small, sizeof(small)),
			 -EINVAL);
	}
	return check_report("test_uodpd_netdev_list");
}
