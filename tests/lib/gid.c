// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gid.h"

static bool gid_is_roce_v2(const char *dev_name, int index)
{
	const char *root = getenv("SYSFS_PATH");
	char path[512], type[32] = "";
	FILE *f;

	snprintf(path, sizeof(path),
		 "%s/class/infiniband/%s/ports/1/gid_attrs/types/%d",
		 root ? root : "/sys", dev_name, index);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(type, sizeof(type), f))
		type[0] = 0;
	fclose(f);
	return !strncmp(type, "RoCE v2", 7);
}

int test_roce_v2_gid(struct ibv_context *ctx, const char *dev_name,
		     union ibv_gid *gid)
{
	struct ibv_port_attr port;
	int i, ret;

	ret = ibv_query_port(ctx, 1, &port);
	if (ret)
		return -ret;
	for (i = 0; i < port.gid_tbl_len; i++) {
		if (ibv_query_gid(ctx, 1, i, gid))
			continue;
		if (gid->global.interface_id && gid_is_roce_v2(dev_name, i))
			return i;
	}
	return -ENOENT;
}
