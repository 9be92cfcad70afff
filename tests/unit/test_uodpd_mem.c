// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Unit test of the memory layer (mem.c) and the QP state table
 * (qp_state.c), linked against the daemon's objects: MR registration
 * rules, ud_mr_check's answers, process_vm access to this very process,
 * and queue memfd validation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "odp_priv.h"
#include "check.h"

static void test_mr(void)
{
	static struct uodpd d;
	struct ud_ctx ctx = { .pid = getpid() };
	char *buf = aligned_alloc(4096, 3 * 4096), out[64];
	uint64_t iova = 0x100000, fault_va = 0;
	struct ud_mr *mr, *found, *odp;

	ud_idr_init(&d.mrs, 2, 0xffffff);
	d.devices[0].attr.max_mr_size = 1ull << 38;
	list_head_init(&ctx.mrs);
	memset(buf, 'a', 3 * 4096);

	CHECK_EQ(ud_mr_register(&d, &ctx, 7, (uintptr_t)buf + 100, 8000,
				iova, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_REMOTE_READ, &mr), 0);
	CHECK_EQ(mr->key & 0xff, 0);
	CHECK_EQ(mr->key >= 0x200, 1);
	CHECK_EQ(mr->npages, 2);
	CHECK_EQ(ud_mr_lookup(&d, mr->key) == mr, 1);
	CHECK_EQ(ud_mr_lookup(&d, mr->key | 1) == NULL, 1);
	CHECK_EQ(ud_mr_lookup(&d, 0x100) == NULL, 1);

	CHECK_EQ(ud_mr_check(&d, mr->key, 7, iova, 8000, 0, &found, NULL),
		 UD_MR_OK);
	CHECK_EQ(found == mr, 1);
	CHECK_EQ(ud_mr_check(&d, mr->key, 7, iova + 8000, 0, 0, NULL, NULL),
		 UD_MR_OK);
	CHECK_EQ(ud_mr_check(&d, mr->key, 7, iova + 1, 8000, 0, NULL, NULL),
		 UD_MR_BAD_BOUNDS);
	CHECK_EQ(ud_mr_check(&d, mr->key, 7, iova - 1, 1, 0, NULL, NULL),
		 UD_MR_BAD_BOUNDS);
	CHECK_EQ(ud_mr_check(&d, mr->key, 7, iova + 10, UINT64_MAX, 0, NULL,
			     NULL), UD_MR_BAD_BOUNDS);
	CHECK_EQ(ud_mr_check(&d, mr->key, 8, iova, 1, 0, NULL, NULL),
		 UD_MR_BAD_PD);
	CHECK_EQ(ud_mr_check(&d, mr->key + 0x100, 7, iova, 1, 0, NULL, NULL),
		 UD_MR_BAD_KEY);
	CHECK_EQ(ud_mr_check(&d, mr->key, 7, iova, 1, IBV_ACCESS_REMOTE_WRITE,
			     NULL, NULL), UD_MR_BAD_ACCESS);
	CHECK_EQ(ud_mr_check(&d, mr->key, 7, iova, 1, IBV_ACCESS_REMOTE_READ,
			     NULL, NULL), UD_MR_OK);

	/*
	 * An ODP MR over the same (resident) pages: present from
	 * registration; a page found gone faults at its MR address.
	 */
	CHECK_EQ(ud_mr_register(&d, &ctx, 7, (uintptr_t)buf + 100, 8000,
				iova, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_ON_DEMAND, &odp), 0);
	CHECK_EQ(ud_mr_check(&d, odp->key, 7, iova, 8000,
			     IBV_ACCESS_LOCAL_WRITE, NULL, &fault_va),
		 UD_MR_OK);
	ud_odp_invalidate(&d, odp, iova + 5000, 1);
	CHECK_EQ(ud_mr_check(&d, odp->key, 7, iova, 100, 0, NULL, &fault_va),
		 UD_MR_OK);
	CHECK_EQ(ud_mr_check(&d, odp->key, 7, iova + 5000, 100, 0, NULL,
			     &fault_va), UD_MR_FAULT);
	CHECK_EQ(fault_va, iova - 100 + 4096);
	CHECK_EQ(ud_mr_check(&d, odp->key, 7, iova + 50, 8000 - 50, 0, NULL,
			     &fault_va), UD_MR_FAULT);
	CHECK_EQ(fault_va, iova - 100 + 4096);
	ud_odp_invalidate(&d, odp, iova, 1);
	CHECK_EQ(ud_mr_check(&d, odp->key, 7, iova + 50, 10, 0, NULL,
			     &fault_va), UD_MR_FAULT);
	CHECK_EQ(fault_va, iova);	/* the MR's start, not before it */
	ud_mr_destroy(&d, odp);
	ud_odp_ctx_destroy(&d, &ctx);

	/* process_vm access to ourselves, through the MR's address. */
	CHECK_EQ(ud_mem_write(&ctx, ud_mr_pva(mr, iova + 10), "hello", 5), 0);
	CHECK_EQ(memcmp(buf + 110, "hello", 5), 0);
	CHECK_EQ(ud_mem_read(&ctx, ud_mr_pva(mr, iova + 10), out, 5), 0);
	CHECK_EQ(memcmp(out, "hello", 5), 0);
	CHECK_EQ(ud_mem_read(&ctx, 8, out, 5), -EFAULT);
	CHECK_EQ(ud_mem_read(&ctx, (uintptr_t)buf, out, 0), 0);

	/* Registration rules. */
	CHECK_EQ(ud_mr_register(&d, &ctx, 7, (uintptr_t)buf, 10,
				0, IBV_ACCESS_REMOTE_WRITE, &found), -EINVAL);
	CHECK_EQ(ud_mr_register(&d, &ctx, 7, (uintptr_t)buf, 10,
				0, IBV_ACCESS_ON_DEMAND | IBV_ACCESS_REMOTE_WRITE,
				&found), -EINVAL);
	CHECK_EQ(ud_mr_register(&d, &ctx, 7, UINT64_MAX - 5, 10,
				0, 0, &found), -EINVAL);
	CHECK_EQ(ud_mr_register(&d, &ctx, 7, 4096, 10, 0, 0, &found), -EFAULT);

	ud_mr_destroy(&d, mr);
	CHECK_EQ(list_empty(&ctx.mrs), 1);
	ud_idr_destroy(&d.mrs);
	free(buf);
}

static void test_qmem(void)
{
	int fd = memfd_create("q", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct ud_qmem mem;

	CHECK_EQ(ftruncate(fd, 8192), 0);
	CHECK_EQ(ud_qmem_map(fd, 8192, &mem), -EINVAL);	/* not sealed */
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
	CHECK_EQ(ud_qmem_map(fd, 8193, &mem), -EINVAL);
	CHECK_EQ(ud_qmem_map(fd, 0, &mem), -EINVAL);
	CHECK_EQ(ud_qmem_map(-1, 4096, &mem), -EBADF);
	CHECK_EQ(ud_qmem_map(fd, 4096, &mem), 0);
	CHECK_EQ(ud_qmem_at(&mem, 0, 4096, 64) == mem.base, 1);
	CHECK_EQ(ud_qmem_at(&mem, 4096, 0, 0) != NULL, 1);
	CHECK_EQ(ud_qmem_at(&mem, 4096, 1, 0) == NULL, 1);
	CHECK_EQ(ud_qmem_at(&mem, 8, 8, 16) == NULL, 1);
	CHECK_EQ(ud_qmem_at(&mem, UINT64_MAX, 2, 0) == NULL, 1);
	CHECK_EQ(ud_qmem_at(&mem, 16, UINT64_MAX, 0) == NULL, 1);
	ud_qmem_unmap(&mem);
	close(fd);
}

static void test_qp_state(void)
{
	const uint32_t init = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;

	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_RESET, IBV_QPS_INIT, IBV_QPT_UD,
				    init | IBV_QP_QKEY), true);
	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_RESET, IBV_QPS_INIT, IBV_QPT_UD,
				    init), false);
	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_RESET, IBV_QPS_INIT, IBV_QPT_RC,
				    init | IBV_QP_ACCESS_FLAGS), true);
	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_INIT, IBV_QPS_RTR, IBV_QPT_UD,
				    IBV_QP_STATE), true);
	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_INIT, IBV_QPS_RTR,
				    IBV_QPT_XRC_SEND, IBV_QP_STATE | IBV_QP_AV |
				    IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
				    IBV_QP_RQ_PSN), true);
	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_RTR, IBV_QPS_RTS,
				    IBV_QPT_XRC_RECV, IBV_QP_STATE |
				    IBV_QP_TIMEOUT | IBV_QP_SQ_PSN), true);
	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_RTS, IBV_QPS_SQD, IBV_QPT_RC,
				    IBV_QP_STATE), true);
	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_SQD, IBV_QPS_RTS, IBV_QPT_RC,
				    IBV_QP_STATE), true);
	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_ERR, IBV_QPS_RTS, IBV_QPT_RC,
				    IBV_QP_STATE), false);
	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_INIT, IBV_QPS_INIT, IBV_QPT_RC,
				    IBV_QP_CUR_STATE), false);
	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_RTS, IBV_QPS_RTS, IBV_QPT_UD,
				    IBV_QP_CUR_STATE | IBV_QP_QKEY), true);
	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_RESET, IBV_QPS_INIT,
				    IBV_QPT_RAW_PACKET, IBV_QP_STATE), false);
	CHECK_EQ(ud_qp_modify_is_ok(IBV_QPS_ERR + 1, IBV_QPS_ERR, IBV_QPT_RC,
				    IBV_QP_STATE), false);
}

int main(void)
{
	test_mr();
	test_qmem();
	test_qp_state();
	return check_report("test_uodpd_mem");
}
