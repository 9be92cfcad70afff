/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR Linux-OpenIB) */
/*
 * Emulator only: what the command fd of an emulated uodp device carries
 * beyond mlx5_ib's own ABI (<rdma/ib_user_verbs.h>, <rdma/mlx5-abi.h>), for
 * a device that is a process rather than a PCI function.  A kernel with a
 * real ConnectX needs none of it, and a provider must use each part only
 * when the device offers it.
 *
 *  - Queue memory may be a sealed memfd shared with the device, when the
 *    device offers UODP_EMU_CAP_QUEUE_MEMFD: its reference follows mlx5's
 *    driver data in CREATE_CQ, CREATE_QP and CREATE_SRQ/XSRQ.  Without it
 *    the rings are the provider's own memory at mlx5's buf_addr and
 *    db_addr, as on a kernel (which pins them; the emulated device reaches
 *    them with process_vm_readv/writev, a system call per access).
 *  - The doorbell: the page at mmap offset 0 of the command fd says
 *    whether the device sleeps, and an eventfd wakes it (a UAR write on
 *    hardware).
 *  - Pinned MRs are populated by the provider (UODP_EMU_CAP_POPULATE_PINNED),
 *    as the kernel's get_user_pages would fault them in at REG_MR.
 *  - GET_CONTEXT's driver response ends with the inline limit, the
 *    device's pid and the emulator capabilities it offers (all zero from
 *    a kernel, whose response is mlx5's alone).
 *
 * All fields are host endian (both ends run on one machine); hardware
 * formats stay big-endian.
 */
#ifndef UODP_EMU_ABI_H
#define UODP_EMU_ABI_H

#include <assert.h>
#include <rdma/mlx5-abi.h>

enum uodp_emu_caps {
	UODP_EMU_CAP_QUEUE_MEMFD = 1 << 0,	/* struct uodp_qmem_ref */
	/*
	 * The device cannot fault pages in the caller's mm as
	 * get_user_pages does (a write fault from another process would
	 * race with the program's own stores): after a pinned REG_MR
	 * succeeds, the provider populates the range itself
	 * (MADV_POPULATE_WRITE for writable access, else _READ) and
	 * deregisters it on failure, with get_user_pages' errno.
	 */
	UODP_EMU_CAP_POPULATE_PINNED = 1 << 1,
	/* ODP_API takes UODP_IB_ATTR_ODP_API_UFFD (uodp-odp-abi.h). */
	UODP_EMU_CAP_ODP_UFFD = 1 << 2,
};

/*
 * GET_CONTEXT's driver response: mlx5's, then the inline limit (until the
 * provider reads the PRM general caps through DEVX), the device's pid (the
 * provider names it with PR_SET_PTRACER so that it may reach its memory
 * under Yama) and enum uodp_emu_caps.
 */
struct uodp_alloc_ucontext_resp {
	struct mlx5_ib_alloc_ucontext_resp mlx5;
	__u32 max_inline_data;
	__u32 device_pid;
	__u32 emu_caps;
	__u32 reserved;
};

/*
 * The doorbell.  The device polls the doorbell records while busy and sets
 * need_wakeup in the page at mmap offset 0 of the command fd (struct
 * uodp_shared_page; mlx5's first UAR page) before it sleeps; a provider
 * that rang a doorbell (store, then a full fence) and then sees
 * need_wakeup set writes the eventfd this method returns.  So a busy
 * device costs no system call per post, an idle one no CPU (the io_uring
 * SQPOLL protocol).
 */
#define UODP_IB_OBJECT_EMU 0x1081		/* in mlx5's driver namespace */
enum uodp_ib_emu_methods {
	UODP_IB_METHOD_EMU_DOORBELL = 0x1000,
};
enum uodp_ib_emu_doorbell_attrs {
	UODP_IB_ATTR_EMU_DOORBELL_FD = 0x1000,	/* out: the eventfd */
};
#define UODP_DOORBELL_PAGE_OFFSET 0

struct uodp_shared_page {
	__u32 need_wakeup;
	__u32 reserved[15];
};

/*
 * A queue's memory: the memfd's number in the caller (the device takes its
 * own reference; it must be sealed against shrinking and growing), its
 * size and where the ring and the doorbell record are in it.  The ring is
 * laid out as mlx5's buffer at buf_addr (a QP's RQ, then its SQ).  Only
 * with UODP_EMU_CAP_QUEUE_MEMFD; fd -1 means none (mlx5's addresses).
 */
struct uodp_qmem_ref {
	__s32 fd;
	__u32 reserved;
	__aligned_u64 size;
	__aligned_u64 buf_offset;
	__aligned_u64 dbrec_offset;
};

/* CREATE_CQ's driver data. */
struct uodp_create_cq_drv {
	struct mlx5_ib_create_cq mlx5;
	struct uodp_qmem_ref qmem;
};

/* CREATE_QP's driver data: mlx5's (queue sizes), then the memfd. */
struct uodp_create_qp_drv {
	struct mlx5_ib_create_qp mlx5;
	struct uodp_qmem_ref qmem;
};

/*
 * CREATE_SRQ and CREATE_XSRQ's driver data: mlx5's, the memfd.  The shape
 * is mlx5_ib's, from max_wr and max_sge.
 */
struct uodp_create_srq_drv {
	struct mlx5_ib_create_srq mlx5;
	struct uodp_qmem_ref qmem;
};

static_assert(sizeof(struct uodp_shared_page) == 64, "shared page");
static_assert(sizeof(struct uodp_qmem_ref) == 32, "queue memory reference");

#endif /* UODP_EMU_ABI_H */
