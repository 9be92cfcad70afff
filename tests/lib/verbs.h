/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/* Verbs helpers shared by the C tests. */
#ifndef UODP_TESTS_VERBS_H
#define UODP_TESTS_VERBS_H

#include <infiniband/verbs.h>

/* Open the verbs device called name; NULL with errno set if there is none. */
struct ibv_context *test_open_device(const char *name);

/*
 * The index of the first non-empty RoCE v2 GID of port 1 of ctx (device
 * dev_name), its value in *gid; -ENOENT if none, -errno if the port cannot
 * be queried.  The GID type is what uodp-run wrote into the device's sysfs
 * tree under $SYSFS_PATH.
 */
int test_roce_v2_gid(struct ibv_context *ctx, const char *dev_name,
		     union ibv_gid *gid);

/*
 * RESET -> INIT -> RTR -> RTS for an RC QP on port 1 towards QP dest,
 * addressed by gid (RoCE: a GRH from sgid_index), with the remote access
 * flags access; rnr_retry 7, min_rnr_timer 10 us, one RDMA read/atomic in
 * flight.  0 or the errno of the modify that failed.
 */
int test_rc_connect(struct ibv_qp *qp, uint32_t dest, const union ibv_gid *gid,
		    uint8_t sgid_index, unsigned int access, uint8_t timeout,
		    uint8_t retry_cnt);

#endif /* UODP_TESTS_VERBS_H */
