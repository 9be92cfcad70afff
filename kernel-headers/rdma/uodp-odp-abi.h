/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR Linux-OpenIB) */
/*
 * The thin ODP uAPI: what a kernel (mlx5_ib next to DEVX) must add so that
 * userspace can service ODP page faults itself.  uodpd implements it for the
 * emulated HCA; a kernel patch would implement the same methods as uverbs
 * ioctls on the ib_ucontext (see Documentation/odp-uapi.md).
 *
 * The division of labour:
 *   - the device side routes page-fault events to the context that owns the
 *     faulting queue or MR, issues the tokens, and stalls the queue;
 *   - userspace decides what to map, prefetches (madvise), asks the device
 *     side to MAP validated ranges of its own ODP MRs (only the device side
 *     may produce DMA addresses and write translations), then RESUMEs the
 *     queue with a PRM PAGE_FAULT_RESUME mailbox;
 *   - the device side accepts a RESUME only for a token it issued to that
 *     context, and resumes everything pending with error when the channel
 *     closes or its owner dies, so no queue stalls forever.
 *
 * Host-endian fields; the embedded EQE and PRM mailboxes stay big-endian.
 */
#ifndef UODP_ODP_ABI_H
#define UODP_ODP_ABI_H

#include <stdint.h>
#include <assert.h>

#define UODP_ODP_API_VERSION 1

/* ---- 1. Handshake: once per context, before anything else. ---- */
enum uodp_odp_feature {
	UODP_ODP_F_WQE_FAULTS = 1ull << 0,	/* WQE page-fault events */
	UODP_ODP_F_RDMA_FAULTS = 1ull << 1,	/* RDMA responder faults */
	UODP_ODP_F_INVALIDATE = 1ull << 2,	/* invalidation events */
	UODP_ODP_F_MAP_NO_FAULT = 1ull << 3,	/* MAP of resident pages only */
	UODP_ODP_F_IMPLICIT = 1ull << 4,	/* implicit ODP MRs */
};

struct uodp_odp_api {
	uint32_t api_version;	/* in: caller's; out: the device side's */
	uint32_t event_size;	/* out: bytes of one event channel record */
	uint64_t features;	/* in: wanted; out: granted (a subset) */
	uint32_t max_map_ranges;/* out: ranges one MAP may carry */
	uint32_t reserved;
};

/*
 * ---- 2. The event channel: the DEVX async event fd (see the methods at
 * the end).  read(2) returns whole records of event_size bytes, as many as
 * fit (batched); poll(2) reports POLLIN while any are queued.  Page faults
 * are held on the device side when the channel is full and delivered as
 * it drains, so they are never lost; INVALIDATE notices may be coalesced
 * away, which an OVERFLOW notice reports.
 */

/* ---- 3. MAP: the MTT update of validated ranges of ODP MRs. ---- */
enum uodp_odp_map_flags {
	UODP_ODP_MAP_WRITE = 1 << 0,	/* writable mapping: MR must allow writes */
	UODP_ODP_MAP_NO_FAULT = 1 << 1,	/* map only pages already resident */
	UODP_ODP_MAP_OPTIONAL = 1 << 2,	/* read-ahead: a failure skips the range */
};

struct uodp_odp_map_range {
	uint32_t mr_key;	/* lkey or rkey of an ODP MR of this context */
	uint32_t flags;		/* enum uodp_odp_map_flags */
	uint64_t va;		/* in the MR's address space */
	uint64_t length;
};

#define UODP_ODP_MAX_MAP_RANGES 32


/*
 * Ranges are applied in order; a failed OPTIONAL range is skipped, the
 * first failure of another stops the batch: ranges_done says how many
 * were gone through, status why the next failed (-ENOENT unknown key or
 * another context's, -EINVAL not ODP or out of bounds, -EPERM write to a
 * read-only MR, -EFAULT not mapped in the process, -EAGAIN not finished:
 * continue).  resume_out is the PRM output of resume[].
 *
 * -EAGAIN: the device side does a bounded amount of work per call (the
 * emulator about a millisecond; a kernel stops at a race with an
 * invalidation, or a pending signal, as UFFDIO_COPY does).  range_done
 * bytes of range ranges_done, from its va, were gone through and stay
 * mapped: the caller continues from va + range_done (with the remaining
 * ranges).  It never forces the resume's error bit: a resume sent with it
 * runs the queue, which faults again on what is still missing.
 */
struct uodp_odp_map_resp {
	uint32_t ranges_done;
	int32_t status;
	uint64_t pages_mapped;	/* pages that became present */
	uint8_t resume_out[16];	/* struct mlx5_cmd_out_hdr, with MAP_RESUME */
	/* Grown: a buffer ending at resume_out gets the above only. */
	uint64_t range_done;	/* -EAGAIN: bytes of range ranges_done done */
};

/*
 * ---- 4. RESUME: a PRM PAGE_FAULT_RESUME (0x204) mailbox through the
 * DEVX-style general command path, accepted only for a token the device
 * issued to this context and a queue it owns.  The same path answers
 * QUERY_HCA_CAP (0x100) for the ODP capability block.
 */
#define UODP_GENERAL_CMD_MAX 256

/* ---- 5. Counters. ---- */

/* What the device side raised and what userspace asked of it. */
struct uodp_odp_device_counters {
	uint64_t wqe_faults_requester;	/* page-fault EQEs raised, by kind */
	uint64_t wqe_faults_responder;	/* RQ and SRQ */
	uint64_t rdma_faults;		/* RDMA responder faults, by rkey */
	uint64_t resumes;		/* PAGE_FAULT_RESUME accepted */
	uint64_t resumes_error;		/* ... of them with the error bit */
	uint64_t resumes_refused;	/* unknown token, not the owner */
	uint64_t resumed_on_close;	/* resumed with error: channel gone */
	uint64_t map_ranges;		/* MAP ranges applied */
	uint64_t pages_mapped;		/* pages made present */
	uint64_t invalidations;		/* pages found gone and zapped */
	uint64_t events_lost;		/* non-fault events coalesced away */
	uint64_t odp_mrs;		/* live ODP MRs */
	/* Emulator only: the userfaultfd notifier (ODP_API_UFFD). */
	uint64_t mmu_events;		/* REMOVE, UNMAP, REMAP events read */
	uint64_t mmu_uncovered;		/* ODP MRs it could not register */
	uint64_t map_retries;		/* MAP chunks an event raced with */
	uint64_t reserved[1];
};

#define UODP_ODP_HIST_BUCKETS 16

/*
 * The provider's fault engine, published in a stats page the provider
 * hands over with ODP_CREATE_CHANNEL (the device side only reads it, to
 * answer QUERY_COUNTERS for tools in other processes).  Service time runs
 * from the event read to the resume sent; bucket i counts services shorter
 * than 2^(i+8) ns (the last bucket: everything longer).
 */
struct uodp_odp_engine_counters {
	uint64_t faults_wqe_requester;
	uint64_t faults_wqe_responder;
	uint64_t faults_rdma;
	uint64_t faults_serviced;	/* resumed without error */
	uint64_t faults_failed;		/* resumed with error */
	uint64_t pages_mapped;		/* MAP requests, in pages */
	uint64_t map_calls;
	uint64_t prefetch_calls;	/* madvise calls */
	uint64_t prefetch_bytes;
	uint64_t prefetch_errors;
	uint64_t advise_calls;		/* ibv_advise_mr */
	uint64_t invalidations;		/* INVALIDATE events seen */
	uint64_t overflows;		/* OVERFLOW events seen */
	uint64_t service_ns_total;
	uint64_t service_hist[UODP_ODP_HIST_BUCKETS];
};

struct uodp_odp_mr_counters {
	uint32_t mr_key;
	uint32_t owner_pid;
	uint64_t length;		/* UINT64_MAX: implicit */
	uint64_t faults;
	uint64_t pages_mapped;
	uint64_t invalidations;
	uint64_t pages_present;
};

#define UODP_COUNTERS_MRS_PER_QUERY 8

/* uodp_query_counters_resp.flags */
enum uodp_counters_flags {
	/*
	 * Device scope lists only ODP MRs of the caller's user: it is neither
	 * privileged (CAP_NET_ADMIN) nor the user the device runs as.
	 */
	UODP_COUNTERS_F_OWN_USER_ONLY = 1 << 0,
};

/* The answer to UODP_IB_METHOD_ODP_QUERY_COUNTERS (below). */
struct uodp_query_counters_resp {
	struct uodp_odp_device_counters dev;
	struct uodp_odp_engine_counters engine;	/* summed over contexts */
	uint32_t nmrs;
	uint32_t next_cursor;		/* 0: no more MRs */
	struct uodp_odp_mr_counters mrs[UODP_COUNTERS_MRS_PER_QUERY];
	/* Grown: a shorter buffer (ending at mrs) gets the above only. */
	uint32_t flags;			/* enum uodp_counters_flags */
	uint32_t mrs_hidden;		/* ODP MRs of other users, not listed */
	uint32_t uid;			/* the caller's, as the device sees it */
	uint32_t owner_uid;		/* the user the device runs as */
};

static_assert(sizeof(struct uodp_odp_device_counters) == 128, "counters");
static_assert(sizeof(struct uodp_odp_map_range) == 24, "map range");
static_assert(sizeof(struct uodp_odp_map_resp) == 40, "map resp");

/*
 * ---- The uverbs methods a Linux patch would add (mlx5_ib, next to DEVX) ----
 *
 * On the command fd, through RDMA_VERBS_IOCTL:
 *  - the PRM general command is mlx5's DEVX_OTHER (MLX5_IB_OBJECT_DEVX /
 *    MLX5_IB_METHOD_DEVX_OTHER), whose allow-list (devx_is_general_cmd)
 *    gains PAGE_FAULT_RESUME (0x204) for tokens of the calling context;
 *  - page faults arrive on a DEVX event channel (MLX5_IB_OBJECT_DEVX_
 *    ASYNC_EVENT_FD / ALLOC) subscribed with MLX5_IB_METHOD_DEVX_SUBSCRIBE_
 *    EVENT to MLX5_EVENT_TYPE_PAGE_FAULT (0x0c, which is_valid_events
 *    gains), unaffiliated (no object handle): each read returns whole
 *    records of struct mlx5_ib_uapi_devx_async_event_hdr, the
 *    subscription's cookie then the raw 64-byte EQE;
 *  - UODP_EVENT_TYPE_ODP_NOTICE subscribes the same way to invalidations
 *    and the overflow signal, a record's data being struct
 *    uodp_odp_notice;
 *  - MAP without resume is UVERBS_METHOD_ADVISE_MR with
 *    IB_UVERBS_ADVISE_MR_FLAG_FLUSH, as Linux has it;
 *  - the object below carries the handshake, MAP with its resume in one
 *    call (userfaultfd's resolve-and-wake) and the counters.
 */
#define UODP_IB_OBJECT_ODP 0x1080		/* in mlx5's driver namespace */
#define UODP_EVENT_TYPE_ODP_NOTICE 0x100	/* beyond PRM's 8-bit types */
#define UODP_ODP_EVENT_RECORD_SIZE 72		/* cookie + 64 bytes of data */

enum uodp_ib_odp_methods {
	UODP_IB_METHOD_ODP_API = 0x1000,
	UODP_IB_METHOD_ODP_MAP,
	UODP_IB_METHOD_ODP_QUERY_COUNTERS,
};

enum uodp_ib_odp_api_attrs {
	UODP_IB_ATTR_ODP_API_IN = 0x1000,	/* struct uodp_odp_api */
	UODP_IB_ATTR_ODP_API_OUT,		/* struct uodp_odp_api */
	/*
	 * Emulator only: a sealed memfd holding the provider's struct
	 * uodp_odp_engine_counters, so the device side keeps them after the
	 * context is gone (a kernel would keep its own counters).
	 */
	UODP_IB_ATTR_ODP_API_STATS_FD,
	/*
	 * Emulator only, optional (never MANDATORY: a kernel has MMU
	 * notifiers and ignores it): a userfaultfd the caller created in its
	 * own process (UFFD_USER_MODE_ONLY), before UFFDIO_API.  The device
	 * side enables the REMOVE, UNMAP and REMAP events on it and
	 * registers its ODP MRs' ranges (write-protect mode, nothing
	 * write-protected: no fault of the program is trapped), which it
	 * then invalidates as the kernel's notifier would.  Offered when
	 * GET_CONTEXT's emu_caps has UODP_EMU_CAP_ODP_UFFD.
	 */
	UODP_IB_ATTR_ODP_API_UFFD,
};

enum uodp_ib_odp_map_attrs {
	UODP_IB_ATTR_ODP_MAP_RANGES = 0x1000,	/* struct uodp_odp_map_range[] */
	UODP_IB_ATTR_ODP_MAP_RESUME,		/* optional: 16-byte mailbox */
	UODP_IB_ATTR_ODP_MAP_RESP,		/* struct uodp_odp_map_resp */
};

/*
 * QUERY_COUNTERS: the ODP counters below, for the calling
 * context or the whole device, and a page of ODP MRs from mr_cursor on.
 */
enum uodp_counters_scope {
	UODP_COUNTERS_CONTEXT = 0,	/* the calling context */
	UODP_COUNTERS_DEVICE = 1,	/* every context of this device */
};

struct uodp_query_counters_req {
	uint32_t scope;			/* enum uodp_counters_scope */
	uint32_t mr_cursor;		/* list ODP MRs with keys above this */
};

enum uodp_ib_odp_counters_attrs {
	UODP_IB_ATTR_ODP_COUNTERS_REQ = 0x1000,	/* scope, mr_cursor: two u32 */
	UODP_IB_ATTR_ODP_COUNTERS_RESP,		/* struct uodp_query_counters_resp */
};

enum uodp_odp_notice_kind {
	UODP_ODP_NOTICE_INVALIDATE = 1,
	UODP_ODP_NOTICE_OVERFLOW = 2,		/* lost notices since the last */
};

/* The data of an UODP_EVENT_TYPE_ODP_NOTICE record (64 bytes). */
struct uodp_odp_notice {
	uint32_t kind;			/* enum uodp_odp_notice_kind */
	uint32_t mr_key;		/* INVALIDATE */
	uint64_t va;
	uint64_t length;
	uint64_t lost;			/* OVERFLOW */
	uint64_t reserved[4];
};

static_assert(sizeof(struct uodp_odp_notice) == 64, "notice");

#endif /* UODP_ODP_ABI_H */
