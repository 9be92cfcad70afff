/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The fault engine's only way to the device: a narrow backend.  The engine
 * knows the thin ODP uAPI's structures (rdma/uodp-odp-abi.h) and PRM
 * mailboxes (hw/mlx5/cmd.h), nothing of how they travel: backend_devx.c
 * carries them as uverbs ioctls on the command fd and reads a DEVX event
 * channel, as it would on a kernel with the ODP patch.
 *
 * Every hook returns 0 (or a count) or a negative errno.  The engine calls
 * them from its own thread and, for synchronous ibv_advise_mr, from the
 * application's; a backend must allow that.
 */
#ifndef UODP_ODP_BACKEND_H
#define UODP_ODP_BACKEND_H

#include <stdint.h>

#include "rdma/uodp-odp-abi.h"

struct uodp_odp_backend;

/*
 * An event as the backend hands it to the engine, decoded from whatever
 * the device's channel carries (DEVX records, backend_devx.c).
 */
enum uodp_odp_event_type {
	/* eqe is the raw mlx5 page-fault EQE (type 0x0c, WQE or RDMA). */
	UODP_ODP_EVENT_PAGE_FAULT = 1,
	/* [va, va+length) of MR mr_key lost its translation. */
	UODP_ODP_EVENT_INVALIDATE = 2,
	/* lost events were dropped; page faults are never dropped. */
	UODP_ODP_EVENT_OVERFLOW = 3,
};

struct uodp_odp_event {
	uint32_t type;		/* enum uodp_odp_event_type */
	uint32_t reserved;
	uint64_t token;		/* device-issued fault token (PAGE_FAULT) */
	union {
		uint8_t eqe[64];
		struct {
			uint32_t mr_key;
			uint32_t reserved;
			uint64_t va;
			uint64_t length;
		} invalidate;
		struct {
			uint64_t lost;
		} overflow;
	};
};

struct uodp_odp_backend_ops {
	const char *name;
	/*
	 * Handshake (api in: what the engine speaks and wants; out: what
	 * the device grants), then create the event channel, handing the
	 * device the engine's counters page (stats_fd, a sealed memfd, may
	 * be -1).  Returns the channel's pollable fd in *event_fd; the
	 * backend owns it.
	 */
	int (*open_channel)(struct uodp_odp_backend *be,
			    struct uodp_odp_api *api, int stats_fd,
			    int *event_fd);
	/* Up to max whole records, without blocking: count, 0 if none,
	 * -EPIPE when the channel is closed. */
	int (*read_events)(struct uodp_odp_backend *be,
			   struct uodp_odp_event *ev, unsigned int max);
	/*
	 * sent_ns (may be NULL) receives when the command reached the
	 * device (CLOCK_MONOTONIC), for the service-time statistic.
	 *
	 * MAP n <= UODP_ODP_MAX_MAP_RANGES ranges (struct uodp_odp_map_resp
	 * says how far it got and why it stopped); with resume_in (a
	 * PAGE_FAULT_RESUME mailbox) the device resumes right after, in the
	 * same call, and resp->resume_out holds its PRM output.
	 */
	int (*map)(struct uodp_odp_backend *be,
		   const struct uodp_odp_map_range *r, uint32_t n,
		   const void *resume_in, struct uodp_odp_map_resp *resp,
		   uint64_t *sent_ns);
	/* A PRM command: in and out are big-endian mailboxes. */
	int (*general_cmd)(struct uodp_odp_backend *be, const void *in,
			   uint32_t inlen, void *out, uint32_t outlen,
			   uint64_t *sent_ns);
	/* Close the channel (the device resumes what is pending). */
	void (*close)(struct uodp_odp_backend *be);
};

struct uodp_odp_backend {
	const struct uodp_odp_backend_ops *ops;
	void *priv;
	int event_fd;
};

#endif /* UODP_ODP_BACKEND_H */
