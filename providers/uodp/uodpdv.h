/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR Linux-OpenIB) */
/*
 * uodpdv: the uodp provider's direct-verbs API (installed as
 * <infiniband/uodpdv.h>, link with -luodp).  Today: the ODP counters of
 * the fault engine and of the device, per context, per device and per
 * ODP MR.  Structures start with comp_mask and only ever grow at the end;
 * symbols are versioned (UODP_1.0).  See uodpdv_query_counters(3).
 */
#ifndef UODPDV_H
#define UODPDV_H

#include <stdbool.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* True when device is driven by the uodp provider. */
bool uodpdv_is_supported(struct ibv_device *device);

enum uodpdv_counters_scope {
	UODPDV_COUNTERS_CONTEXT = 0,	/* the calling context */
	UODPDV_COUNTERS_DEVICE = 1,	/* every context of the device */
};

#define UODPDV_HIST_BUCKETS 16

/* What the provider's fault engine did (summed over contexts). */
struct uodpdv_engine_counters {
	uint64_t faults_wqe_requester;	/* WQE faults on send queues */
	uint64_t faults_wqe_responder;	/* WQE faults on RQs and SRQs */
	uint64_t faults_rdma;		/* RDMA responder faults */
	uint64_t faults_serviced;	/* resumed without error */
	uint64_t faults_failed;		/* resumed with error */
	uint64_t pages_mapped;		/* pages MAP made present */
	uint64_t map_calls;
	uint64_t prefetch_calls;	/* madvise calls */
	uint64_t prefetch_bytes;
	uint64_t prefetch_errors;	/* incl. failed asynchronous advice */
	uint64_t advise_calls;		/* ibv_advise_mr */
	uint64_t invalidations;		/* INVALIDATE events */
	uint64_t overflows;		/* OVERFLOW events */
	uint64_t service_ns_total;	/* event read to resume sent */
	/* bucket i: services under 2^(i+8) ns; the last: the rest */
	uint64_t service_hist[UODPDV_HIST_BUCKETS];
};

/* What the device side raised and was asked. */
struct uodpdv_device_counters {
	uint64_t wqe_faults_requester;
	uint64_t wqe_faults_responder;
	uint64_t rdma_faults;
	uint64_t resumes;
	uint64_t resumes_error;
	uint64_t resumes_refused;	/* unknown token, not the owner */
	uint64_t resumed_on_close;	/* resumed with error: channel gone */
	uint64_t map_ranges;
	uint64_t pages_mapped;
	uint64_t invalidations;
	uint64_t events_lost;
	uint64_t odp_mrs;		/* live ODP MRs */
};

enum uodpdv_counters_mask {
	UODPDV_COUNTERS_MASK_ENGINE = 1 << 0,
	UODPDV_COUNTERS_MASK_DEVICE = 1 << 1,
};

struct uodpdv_counters {
	uint64_t comp_mask;		/* out: enum uodpdv_counters_mask */
	struct uodpdv_engine_counters engine;
	struct uodpdv_device_counters device;
};

/*
 * Counters of the context (scope CONTEXT: this context's engine and the
 * device's work for it) or of the whole device.  0 or an errno: EINVAL bad
 * scope, EOPNOTSUPP not a uodp context, ENOTCONN the device is gone.
 */
int uodpdv_query_counters(struct ibv_context *context,
			  enum uodpdv_counters_scope scope,
			  struct uodpdv_counters *counters);

struct uodpdv_mr_counters {
	uint64_t comp_mask;		/* out: 0 today */
	uint32_t mr_key;		/* lkey */
	uint32_t owner_pid;
	uint64_t length;		/* UINT64_MAX: implicit */
	uint64_t faults;
	uint64_t pages_mapped;
	uint64_t invalidations;
	uint64_t pages_present;
};

/*
 * Iterate ODP MRs by key: fills up to max entries with the MRs whose key
 * is above *cursor (start at 0), sets *count, and moves *cursor on; it is
 * 0 once the last MR was returned.  0 or an errno.
 */
int uodpdv_query_mr_counters(struct ibv_context *context,
			     enum uodpdv_counters_scope scope,
			     uint32_t *cursor, struct uodpdv_mr_counters *mrs,
			     uint32_t max, uint32_t *count);

/* The counters of one ODP MR of this context: 0, ENOENT (not ODP), ... */
int uodpdv_query_mr(struct ibv_mr *mr, struct uodpdv_mr_counters *counters);

enum uodpdv_mr_visibility_flags {
	/* The device scope lists only MRs of the caller's own user. */
	UODPDV_MR_VISIBILITY_OWN_USER_ONLY = 1 << 0,
};

/* What the device scope of uodpdv_query_mr_counters() lists (UODP_1.1). */
struct uodpdv_mr_visibility {
	uint64_t comp_mask;		/* out: 0 today */
	uint32_t flags;			/* enum uodpdv_mr_visibility_flags */
	uint32_t hidden;		/* ODP MRs of other users not listed */
	uint32_t uid;			/* the caller, as the device sees it */
	uint32_t owner_uid;		/* the user the device runs as */
};

/*
 * Whether the device shows this context every user's ODP MRs (it does
 * to CAP_NET_ADMIN and to the device's own user) and how many it hides
 * right now.  0 or an errno.
 */
int uodpdv_query_mr_visibility(struct ibv_context *context,
			       struct uodpdv_mr_visibility *vis);

#ifdef __cplusplus
}
#endif

#endif /* UODPDV_H */
