/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/* Test helper: the first RoCE v2 GID of a uodp device's port 1. */
#ifndef UODP_TESTS_GID_H
#define UODP_TESTS_GID_H

#include <infiniband/verbs.h>

/*
 * The index of the first non-empty RoCE v2 GID of port 1 of ctx (device
 * dev_name), its value in *gid; -ENOENT if none, -errno if the port cannot
 * be queried.  The GID type is what uodp-run wrote into the device's sysfs
 * tree under $SYSFS_PATH.
 */
int test_roce_v2_gid(struct ibv_context *ctx, const char *dev_name,
		     union ibv_gid *gid);

#endif /* UODP_TESTS_GID_H */
