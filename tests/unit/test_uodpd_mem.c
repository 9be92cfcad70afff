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
	struct ud_ctx ctx = { .pid = getpid(), .dev = &d.devices[0] };
	char *buf = aligned_alloc(4096, 3 * 4096), out[64];
	uint64_t iova = 0x100000, fault_va = 0;
	struct ud_mr *mr, *found, *odp;
	uint32_t stale;

	ud_idr_init(&d.mrs, 2, 0xffffff);
	d.devices[0].attr.max_mr_size = 1ull << 38;
	d.devices[0].attr.max_mr = 1u << 20;
	ud_limits_init(&d.devices[0], 100);
	list_head_init(&ctx.mrs);
	memset(buf, 'a', 3 * 4096);

	CHECK_EQ(ud_mr_register(&d, &ctx, 7, (uintptr_t)buf + 100, 8000,
				iova, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_REMOTE_READ, UD_PIN_UNLIMITED, &mr),
		 0);
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
				IBV_ACCESS_ON_DEMAND, 0, &odp), 0);
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
				0, IBV_ACCESS_REMOTE_WRITE, UD_PIN_UNLIMITED,
				&found), -EINVAL);
	CHECK_EQ(ud_mr_register(&d, &ctx, 7, (uintptr_t)buf, 10,
				0, IBV_ACCESS_ON_DEMAND | IBV_ACCESS_REMOTE_WRITE,
				0, &found), -EINVAL);
	CHECK_EQ(ud_mr_register(&d, &ctx, 7, UINT64_MAX - 5, 10,
				0, 0, UD_PIN_UNLIMITED, &found), -EINVAL);
	CHECK_EQ(ud_mr_register(&d, &ctx, 7, 4096, 10, 0, 0, UD_PIN_UNLIMITED,
				&found), -EFAULT);

	/*
	 * A stale key: deregistered, and its index handed out again (forced
	 * here; the allocator would take every other index first).  The key
	 * byte differs, so the old key finds nothing.
	 */
	stale = mr->key;
	ud_mr_destroy(&d, mr);
	d.mrs.next = stale >> 8;
	CHECK_EQ(ud_mr_register(&d, &ctx, 7, (uintptr_t)buf, 4096, iova,
				IBV_ACCESS_REMOTE_READ, UD_PIN_UNLIMITED, &mr),
		 0);
	CHECK_EQ(mr->key >> 8, stale >> 8);
	CHECK_EQ(mr->key != stale, 1);
	CHECK_EQ(ud_mr_lookup(&d, stale) == NULL, 1);
	CHECK_EQ(ud_mr_check(&d, stale, 7, iova, 1, IBV_ACCESS_REMOTE_READ,
			     NULL, NULL), UD_MR_BAD_KEY);
	ud_mr_destroy(&d, mr);
	CHECK_EQ(list_empty(&ctx.mrs), 1);
	ud_idr_destroy(&d.mrs);
	free(buf);
}

static int attach(struct ud_qmem *mem, int fd, uint64_t size, uint64_t buf,
		  uint64_t db, uint64_t ring_len)
{
	struct ud_queue_mem where = { .mmap_size = size, .buf = buf,
				      .dbrec = db };

	return ud_qmem_attach(mem, &where, fd, getpid(), ring_len, 8, true);
}

static void test_qmem_memfd(void)
{
	int fd = memfd_create("q", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct ud_qmem mem;

	CHECK_EQ(ftruncate(fd, 8192), 0);
	CHECK_EQ(attach(&mem, fd, 8192, 0, 4096, 4096), -EINVAL); /* unsealed */
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
	CHECK_EQ(attach(&mem, fd, 8193, 0, 4096, 4096), -EINVAL);
	CHECK_EQ(attach(&mem, fd, 0, 0, 4096, 4096), -EINVAL);
	CHECK_EQ(attach(&mem, 1000, 4096, 0, 4096, 4096), -EBADF);
	CHECK_EQ(attach(&mem, fd, 4096, 0, 4096, 4096), -EINVAL); /* db past */
	CHECK_EQ(attach(&mem, fd, 8192, 0, 8, 4096), -EINVAL);	/* overlap */
	CHECK_EQ(attach(&mem, fd, 8192, 8, 4096, 64), -EINVAL);	/* align */
	CHECK_EQ(attach(&mem, fd, 8192, 0, 4100, 64), -EINVAL);	/* db align */
	CHECK_EQ(attach(&mem, fd, 8192, 64, 8192 - 64, 8192), -EINVAL);
	CHECK_EQ(attach(&mem, fd, 8192, UINT64_MAX - 63, 4096, 128), -EINVAL);
	CHECK_EQ(attach(&mem, fd, 8192, 0, 4096, 4096), 0);
	CHECK_EQ(mem.ring.local == mem.map, 1);
	CHECK_EQ(mem.db.local == (uint8_t *)mem.map + 4096, 1);
	CHECK_EQ(mem.db.len, 8);
	ud_qmem_detach(&mem);
	CHECK_EQ(mem.map == NULL, 1);
	close(fd);
}

/* Without a memfd: the caller's own memory, faulted in as ib_umem_get. */
static void test_qmem_remote(void)
{
	uint8_t *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t base = (uintptr_t)p;
	struct ud_qmem mem;
	uint32_t word;

	CHECK_EQ(p != MAP_FAILED, 1);
	CHECK_EQ(attach(&mem, -1, 0, 0, 4096, 64), -EFAULT);
	CHECK_EQ(attach(&mem, -1, 0, base, base + 8192, 8192), 0);
	CHECK_EQ(mem.ring.local == NULL && mem.ring.pva == base, 1);
	p[8192] = 0;
	p[8195] = 7;			/* big-endian word 0 of the record */
	CHECK_EQ(ud_qbuf_load_be32(&mem.db, 0, &word), 0);
	CHECK_EQ(word, 7);
	CHECK_EQ(ud_qbuf_store_u8(&mem.ring, 63, 0x5a), 0);
	CHECK_EQ(p[63], 0x5a);
	ud_qmem_detach(&mem);
	/* A read-only ring the device must write, a hole in a ring. */
	CHECK_EQ(mprotect(p + 4096, 4096, PROT_READ), 0);
	CHECK_EQ(attach(&mem, -1, 0, base, base + 8192, 8192), -EFAULT);
	CHECK_EQ(munmap(p + 4096, 4096), 0);
	CHECK_EQ(attach(&mem, -1, 0, base, base + 8192, 8192), -EFAULT);
	munmap(p, 3 * 4096);
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

/*
 * IDs are not reused until the space wraps: a freed number finds nothing
 * while every other one is handed out first; live ones survive growth.
 */
static void test_idr(void)
{
	static int objs[300];
	struct ud_idr idr;
	uint32_t ids[300], i, id, last = 0;
	bool increasing = true, found = true;

	ud_idr_init(&idr, 0x100, 0x1ff);	/* a small space, to wrap */
	for (i = 0; i < 200; i++) {
		id = ud_idr_alloc(&idr, &objs[i]);
		increasing &= id > last;
		last = id;
		ud_idr_remove(&idr, id);
		found &= !ud_idr_find(&idr, id);
	}
	CHECK_EQ(increasing, 1);
	CHECK_EQ(found, 1);
	CHECK_EQ(last, 0x100 + 199);
	/* Past the end: back to the start, live ones kept through growth. */
	for (i = 0; i < 150; i++)
		ids[i] = ud_idr_alloc(&idr, &objs[i]);
	CHECK_EQ(ids[0], 0x100 + 200);
	CHECK_EQ(ids[56], 0x100);
	for (i = 0, found = true; i < 150; i++)
		found &= ud_idr_find(&idr, ids[i]) == &objs[i];
	CHECK_EQ(found, 1);
	CHECK_EQ(idr.count, 150);
	for (i = 0; i < 150; i++)
		ud_idr_remove(&idr, ids[i]);
	CHECK_EQ(idr.count, 0);
	ud_idr_destroy(&idr);
}

int main(void)
{
	test_idr();
	test_mr();
	test_qmem_memfd();
	test_qmem_remote();
	test_qp_state();
	return check_report("test_uodpd_mem");
}
