/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Internals of the device side of the ODP uAPI (odp*.c, ctl_odp.c, the ODP
 * parts of mem.c and device.c): ODP MR translation tables, fault records
 * and tokens, the per-context event channel, counters.
 */
#ifndef UODPD_ODP_PRIV_H
#define UODPD_ODP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "odp.h"
#include "odp_itree.h"
#include "rdma/uodp-odp-abi.h"

/* ---- translation tables (odp_mr.c) ---- */

/* A 2-bit entry per 4 KiB page, like an MTT entry's READ/WRITE bits. */
enum {
	UD_PTE_PRESENT = 1u << 0,
	UD_PTE_WRITABLE = 1u << 1,
	UD_PTES_PER_BYTE = 4,
};

/*
 * Every ODP MR's table is sparse: children of 1 GiB made on first MAP and
 * freed when invalidation empties them (mlx5's KSM parent over MTT
 * children), so an MR costs what is mapped of it, not its size.
 */
#define UD_ODP_CHILD_SHIFT 30
#define UD_ODP_CHILD_PAGES (1ull << (UD_ODP_CHILD_SHIFT - UODPD_PAGE_SHIFT))
/* Highest user address on x86-64 with 5-level paging. */
#define UD_ODP_USER_VA_END (1ull << 57)

struct ud_odp_child {
	uint64_t first_page;		/* process page number of its start */
	uint64_t npresent;
	uint64_t nwritable;		/* a full child is skipped at once */
	uint8_t pte[UD_ODP_CHILD_PAGES / UD_PTES_PER_BYTE];
};

struct ud_odp_mr {
	/* pages [first_page, first_page + npages) of the process */
	uint64_t first_page;
	uint64_t npages;
	/* children sorted by first_page */
	struct ud_odp_child **children;
	uint32_t nchildren, children_cap;
	/* counters (struct uodp_odp_mr_counters) */
	uint64_t pages_present;
	uint64_t faults;
	uint64_t pages_mapped;
	uint64_t invalidations;
	/*
	 * ... and what RDMA netlink shows as mlx5's odp_stats (nldev_res.c):
	 * pages_mapped split by why, the faults resumed without error, the
	 * invalidations that zapped pages.
	 */
	uint64_t pages_faulted;		/* by a MAP that resumes a fault */
	uint64_t pages_prefetched;	/* by any other MAP, ADVISE_MR's */
	uint64_t faults_handled;
	uint64_t invalidations_handled;
	bool indexed;			/* on its context's mr_spans */
	bool mmu_registered;		/* its span is on the userfaultfd */
};

/* Pages of an explicit MR whose residency registration snapshots. */
#define UD_ODP_SNAPSHOT_PAGES (1ull << 16)

/* Whether an ODP access with need_access (IBV_ACCESS_*) writes. */
bool ud_odp_access_writes(uint32_t need_access);

/* Build the table of a new ODP MR (initial presence from pagemap). */
int ud_odp_mr_init(struct uodpd *d, struct ud_ctx *ctx, struct ud_mr *mr);
void ud_odp_mr_fini(struct uodpd *d, struct ud_mr *mr);

/*
 * First page of process range [pva, pva+len) lacking what an access needs
 * (present, and writable if write): UINT64_MAX if none lacks it.
 */
uint64_t ud_odp_mr_first_missing(const struct ud_mr *mr, uint64_t pva,
				 uint64_t len, bool write);

/* Entry of process page pn (0 if absent). */
uint8_t ud_odp_pte_get(const struct ud_mr *mr, uint64_t pn);
/* Raise the bits of page pn to at least bits; true if it changed. */
int ud_odp_pte_raise(struct ud_mr *mr, uint64_t pn, uint8_t bits,
		     bool *changed);
/* Clear page pn; true if it was present. */
bool ud_odp_pte_zap(struct ud_mr *mr, uint64_t pn);
/*
 * Clear process pages [pn, last] of mr; how many were present.  Children
 * it leaves empty are freed; its cost is in the children hit.
 */
uint64_t ud_odp_zap_range(struct ud_mr *mr, uint64_t pn, uint64_t last);
/*
 * Process range [lo, hi) of the context's memory changed (the MMU
 * notifier): zap what mr maps of it, count it and queue the notice.
 */
void ud_odp_invalidate_pva(struct uodpd *d, struct ud_mr *mr, uint64_t lo,
			   uint64_t hi);

/* ---- the MMU notifier (odp_uffd.c) ---- */

/*
 * Whether uffd can be a notifier: a userfaultfd not set up yet, which
 * this sets up (UFFDIO_API).  0, or -EINVAL.
 */
int ud_odp_uffd_prepare(int uffd);
/*
 * Take a prepared uffd (always consumed) as ctx's notifier: 0, or -errno
 * and the device goes without (found on access).
 */
int ud_odp_uffd_attach(struct uodpd *d, struct ud_ctx *ctx, int uffd);
/* ODP_API came without one. */
void ud_odp_uffd_absent(const struct ud_ctx *ctx);
void ud_odp_uffd_detach(struct uodpd *d, struct ud_ctx *ctx);
/* epoll saw events on ctx's userfaultfd. */
void ud_odp_uffd_ready(struct uodpd *d, uint32_t ctx_id, uint32_t events);
/*
 * Handle the events ctx's userfaultfd holds now, at most
 * UD_ODP_UFFD_SYNC_MAX: true if one invalidated some of process range
 * [lo, hi), or more were waiting.  MAP asks right before it marks pages
 * present, so that pages that went while it faulted them in are not
 * (mmu_interval_read_retry); a flood makes it retry, not wait.
 */
#define UD_ODP_UFFD_SYNC_MAX 256
bool ud_odp_uffd_sync(struct uodpd *d, struct ud_ctx *ctx, uint64_t lo,
		      uint64_t hi);
/*
 * An ODP MR on and off the notifier: an explicit one's span is registered
 * (register: -ENOMEM, or 0 also when the userfaultfd refuses it).
 */
int ud_odp_mmu_register(struct uodpd *d, struct ud_ctx *ctx,
			struct ud_mr *mr);
void ud_odp_mmu_unregister(struct ud_ctx *ctx, struct ud_mr *mr);
/*
 * MAP is about to make pages of VMA [lo, hi) present in an implicit MR:
 * the whole VMA goes on the notifier (whole, so that no VMA is split).
 */
void ud_odp_mmu_cover(struct uodpd *d, struct ud_ctx *ctx, uint64_t lo,
		      uint64_t hi);
/*
 * MAP is about to make pages of [lo, hi) present in an explicit MR: what
 * of it an munmap took off the notifier, mapped again since, goes back.
 */
void ud_odp_mmu_recover(struct uodpd *d, struct ud_ctx *ctx,
			struct ud_mr *mr, uint64_t lo, uint64_t hi);

/* /proc/PID/pagemap: one 64-bit entry per page, bit 63 "present". */
#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_CHUNK 512		/* entries per pread */

/* ctx's process's /proc/PID/pagemap, read-only: an fd or -1. */
int ud_odp_pagemap_open(const struct ud_ctx *ctx);
/*
 * Raise to bits the pages of [*lo, hi) (page numbers) that the pagemap
 * (fd) says are resident; *mapped counts those that changed, *lo ends
 * where it stopped.  0; -EAGAIN when deadline_ns (ud_now_ns) passed with
 * pages left; or the first ud_odp_pte_raise error.
 */
int ud_odp_mark_resident(struct ud_mr *mr, int pagemap_fd, uint64_t *lo,
			 uint64_t hi, uint8_t bits, uint64_t deadline_ns,
			 uint64_t *mapped);

/* ---- event channel and faults (odp.c, odp_channel.c) ---- */

/*
 * An event as the device queues it for a context's channel: the data of
 * its DEVX record (odp_channel.c), a page fault's EQE or a notice.
 */
enum ud_odp_event_type {
	/* eqe is the raw mlx5 page-fault EQE (type 0x0c, WQE or RDMA). */
	UD_ODP_EV_PAGE_FAULT = 1,
	/* notice: [va, va+length) of MR mr_key lost its translation. */
	UD_ODP_EV_INVALIDATE = 2,
	/* notice: lost events were dropped; faults never are. */
	UD_ODP_EV_OVERFLOW = 3,
};

struct ud_odp_event {
	uint32_t type;		/* enum ud_odp_event_type */
	union {
		uint8_t eqe[64];
		struct uodp_odp_notice notice;	/* kind set when written */
	};
};

struct ud_odp_event_node {
	struct list_node link;
	bool is_fault;
	struct ud_odp_event ev;
};

enum ud_odp_fc_kind {
	UD_FC_SQ,			/* qp->sq_fault */
	UD_FC_RQ,			/* qp->rq_fault */
	UD_FC_RDMA,			/* qp->rdma_fault */
	UD_FC_SRQ,			/* srq->fault */
};

/*
 * An outstanding fault.  It names its queue by number, never by pointer:
 * a QP or SRQ destroyed meanwhile turns the record into an orphan that a
 * resume (or the owner's channel closing) just retires.
 */
struct ud_odp_fault {
	struct list_node owner_link;	/* owner's outstanding faults */
	struct list_node dev_link;	/* every outstanding fault */
	struct ud_ctx *owner;		/* who may resume it */
	uint32_t token;
	uint8_t subtype;		/* enum mlx5_pfault_subtype */
	uint8_t type;			/* pftype as the EQE carries it */
	uint32_t wq_num;		/* WQE faults; RDMA faults: token */
	enum ud_odp_fc_kind kind;
	uint32_t qpn;			/* or UD_NO_HANDLE */
	uint32_t srqn;			/* UD_FC_SRQ */
	uint32_t mr_key;		/* the ODP MR it hit, or 0 */
	bool orphan;
};

/* Cached /proc/PID/maps of a context's process (MAP's check). */
struct ud_odp_vma {
	uint64_t lo, hi;
	bool read, write;
};

struct ud_odp_ctx {
	struct ud_ctx *ctx;		/* whose */
	bool api_done;
	uint32_t api_version;
	uint64_t features;		/* granted */
	int chan_wfd;			/* write end of the channel; -1: none */
	bool chan_want_out;		/* EPOLLOUT armed */
	/*
	 * A DEVX event channel writes struct mlx5_ib_uapi_devx_async_event_hdr
	 * records: the page-fault subscription's cookie and the EQE, or the
	 * notice subscription's and a struct uodp_odp_notice.
	 */
	bool notices;			/* the notice type is subscribed */
	ino_t chan_ino;			/* the event channel faults go to */
	uint64_t cookie_fault, cookie_notice;
	int stats_fd;			/* from ODP_API until the channel opens */
	int uffd;			/* the MMU notifier (odp_uffd.c), or -1 */
	/*
	 * Its ODP MRs by the process range they cover (an implicit MR: all
	 * of it), so an invalidation costs the MRs it hits.
	 */
	struct ud_itree mr_spans;
	uint32_t nimplicit;		/* implicit ODP MRs */
	/*
	 * Range sets: VMAs on the userfaultfd for implicit MRs, VMAs it
	 * refused, and parts of explicit MRs' spans whose registration went
	 * with an unmapped VMA (registered again at MAP).
	 */
	struct ud_itree implicit_cov;
	struct ud_itree uffd_refused;
	struct ud_itree explicit_lost;
	const struct uodp_odp_engine_counters *stats;
	size_t stats_len;
	struct list_head pending;	/* events the pipe had no room for */
	uint32_t pending_other;		/* ... of them not page faults */
	uint64_t lost_unreported;	/* for the next OVERFLOW record */
	struct list_head faults;	/* outstanding faults it owns */
	struct uodp_odp_device_counters ctr;
	struct ud_odp_vma *vmas;
	uint32_t nvmas;
	bool vmas_valid;
	/* ADVISE_MR's work left over (struct ud_odp_prefetch), in order */
	struct list_head prefetch;
	uint32_t nprefetch;
	struct list_node prefetch_link;	/* in ud_odp_dev.prefetch_ctxs */
	bool prefetch_listed;
};

struct ud_odp_dev {
	struct uodp_odp_device_counters ctr[UODPD_MAX_DEVICES];
	/* Engine counters of contexts gone, so device totals outlive them. */
	struct uodp_odp_engine_counters retired[UODPD_MAX_DEVICES];
	struct list_head faults;	/* every outstanding fault */
	uint32_t next_token;
	bool tokens_wrapped;
	uint32_t last_fault_key;	/* the MR ud_mr_check last found absent */
	struct list_head prefetch_ctxs;	/* with prefetch left: round robin */
};

/* Non-fault events one context may have queued before they are lost. */
#define UD_ODP_MAX_PENDING_OTHER 256

/* sum += one engine counters page, word by word (it may be changing). */
void ud_odp_engine_add(struct uodp_odp_engine_counters *sum,
		       const struct uodp_odp_engine_counters *page);

int ud_odp_init(struct uodpd *d);
void ud_odp_fini(struct uodpd *d);

/* The ODP state of ctx, made on first use; NULL when out of memory. */
struct ud_odp_ctx *ud_odp_ctx_get(struct ud_ctx *ctx);

/* Device counters of ctx's device (NULL before GET_CONTEXT). */
struct uodp_odp_device_counters *ud_odp_dev_ctr(struct uodpd *d,
						 struct ud_ctx *ctx);

/* Count n in field of ctx's and its device's counters. */
#define UD_ODP_COUNT(d, ctx, field, n)					\
	do {								\
		struct uodp_odp_device_counters *dc_ =			\
			ud_odp_dev_ctr((d), (ctx));			\
		if ((ctx)->odp)						\
			(ctx)->odp->ctr.field += (n);			\
		if (dc_)						\
			dc_->field += (n);				\
	} while (0)

/* Channel (odp_channel.c). */
/*
 * Open ctx's channel on the write end wfd (taken, non-blocking) of a DEVX
 * event channel, page faults written with cookie; stats_fd (kept, or -1)
 * is the engine's counters page.
 */
int ud_odp_channel_attach(struct uodpd *d, struct ud_ctx *ctx, int wfd,
			  uint64_t cookie, int stats_fd);
/* Whether fd can be the engine's counters page: sealed, big enough. */
int ud_odp_stats_check(int fd);
/* Notices (invalidations, overflow) on the DEVX channel with cookie. */
void ud_odp_channel_notices(struct ud_ctx *ctx, uint64_t cookie);
/*
 * Queue ev on ctx's channel; a page fault is never dropped (0), or fails
 * whole (-ENOMEM, -ENOTCONN).
 */
int ud_odp_channel_send(struct uodpd *d, struct ud_ctx *ctx,
			const struct ud_odp_event *ev, bool is_fault);
bool ud_odp_channel_open_p(const struct ud_ctx *ctx);
/* epoll saw events on ctx's channel write end. */
void ud_odp_channel_ready(struct uodpd *d, uint32_t ctx_id, uint32_t events);
/* Close ctx's channel: every outstanding fault is resumed with error. */
void ud_odp_channel_close(struct uodpd *d, struct ud_ctx *ctx);

/* Faults (odp.c). */
/* Retire every fault ctx owns, resuming the live ones with error. */
void ud_odp_resume_all_error(struct uodpd *d, struct ud_ctx *ctx);

/* PAGE_FAULT_RESUME from ctx: an MLX5_CMD_STAT_* status, *syndrome. */
uint8_t ud_odp_resume(struct uodpd *d, struct ud_ctx *ctx, uint32_t token,
		      uint32_t wq_num, uint8_t type, bool error,
		      uint32_t *syndrome);

/*
 * How long one command, or one slice of background prefetch, may hold
 * the device's one thread with ODP work before other contexts are served.
 */
#define UD_ODP_SLICE_NS 1000000ull

/*
 * MAP (odp_map.c): one range, for why (the MR's counters); *mapped pages
 * changed, *done bytes of it
 * (from r->va) gone through.  0, -errno, or -EAGAIN when deadline_ns
 * (ud_now_ns) passed first (at least one chunk of the range is done) or
 * an invalidation raced with a chunk: the rest of the range is still to
 * do.
 */
enum ud_odp_map_for {
	UD_ODP_MAP_FOR_FAULT,		/* the MAP resumes a fault */
	UD_ODP_MAP_FOR_PREFETCH,	/* ADVISE_MR, the provider's advice */
};

int ud_odp_map_range(struct uodpd *d, struct ud_ctx *ctx,
		     const struct uodp_odp_map_range *r,
		     enum ud_odp_map_for why, uint64_t deadline_ns,
		     uint64_t *mapped, uint64_t *done);
void ud_odp_vmas_forget(struct ud_ctx *ctx);

/*
 * Background prefetch (odp_map.c), the kernel's prefetch work of an
 * ADVISE_MR without FLUSH: range r less its first done bytes is mapped in
 * slices between other work.  0, or -ENOMEM past UD_ODP_MAX_PREFETCH
 * ranges queued by one context.
 */
#define UD_ODP_MAX_PREFETCH 256
int ud_odp_prefetch_queue(struct uodpd *d, struct ud_ctx *ctx,
			  const struct uodp_odp_map_range *r, uint64_t done);
/* One slice of the next context's prefetch; false: there was none. */
bool ud_odp_prefetch_run(struct uodpd *d);
/* Forget ctx's prefetch (it goes away). */
void ud_odp_prefetch_drop(struct uodpd *d, struct ud_ctx *ctx);

/* Capabilities (device.c): the PRM ODP capability block. */
#define UD_ODP_CAPS_BLOCK_SIZE 0x40
void ud_device_odp_caps_block(uint8_t *block, size_t len);

/* Lifecycle hooks for the control path. */
void ud_odp_ctx_destroy(struct uodpd *d, struct ud_ctx *ctx);
/* qp is destroyed or reset: its faults become orphans. */
void ud_odp_qp_gone(struct uodpd *d, struct ud_qp *qp);
void ud_odp_srq_gone(struct uodpd *d, struct ud_srq *srq);

/* GENERAL syndromes of the emulated device (the PRM leaves them opaque). */
enum {
	UD_SYND_BAD_INLEN = 0x0d0d0001,
	UD_SYND_BAD_TOKEN = 0x0d0d0002,	/* unknown or not this context's */
	UD_SYND_BAD_WQ = 0x0d0d0003,	/* wq number or type mismatch */
	UD_SYND_BAD_OP = 0x0d0d0004,
	UD_SYND_BAD_OP_MOD = 0x0d0d0005,
};

#endif /* UODPD_ODP_PRIV_H */
