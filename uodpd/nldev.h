/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * What nldev.c's commands and nldev_res.c's resource commands share: the
 * device and port a request names, the handle every reply starts with,
 * and the resource commands for nldev.c's table.
 */
#ifndef UODPD_NLDEV_H
#define UODPD_NLDEV_H

#include "rdma_nl.h"

struct nl_msg;
struct ud_device;

/* The device a request names by DEV_INDEX, or NULL. */
struct ud_device *ud_nldev_device(struct uodpd *d, const struct ud_nl_args *a);
bool ud_nldev_port_valid(const struct ud_device *dev, uint32_t port);
/* fill_nldev_handle: DEV_INDEX and DEV_NAME.  0 or -EMSGSIZE. */
int ud_nldev_put_handle(struct nl_msg *msg, const struct ud_device *dev);

/* A message's attributes, of obj with arg: 0 or -errno (-EMSGSIZE). */
typedef int (*ud_nldev_fill_fn)(struct nl_msg *msg, const void *obj,
				const void *arg);
/* Build one message of type op with fill, and append it to p. */
int ud_nldev_put_msg(struct ud_nl_part *p, uint16_t op, int flags,
		     ud_nldev_fill_fn fill, const void *obj, const void *arg);

/* ---- nldev_res.c: the table's entries for the resource ops ---- */
int ud_nldev_res_summary_doit(struct uodpd *d, uint16_t op,
			      const struct ud_nl_args *a,
			      const struct ud_nl_caller *who,
			      struct ud_nl_part *out);
int ud_nldev_res_summary_dumpit(struct uodpd *d, struct ud_nl_dump *dump,
				struct ud_nl_part *out);
/* RES_QP_GET, RES_CQ_GET, RES_MR_GET, RES_PD_GET, RES_CTX_GET */
int ud_nldev_res_doit(struct uodpd *d, uint16_t op, const struct ud_nl_args *a,
		      const struct ud_nl_caller *who, struct ud_nl_part *out);
int ud_nldev_res_dumpit(struct uodpd *d, struct ud_nl_dump *dump,
			struct ud_nl_part *out);
/* STAT_GET */
int ud_nldev_stat_doit(struct uodpd *d, uint16_t op, const struct ud_nl_args *a,
		       const struct ud_nl_caller *who, struct ud_nl_part *out);
int ud_nldev_stat_dumpit(struct uodpd *d, struct ud_nl_dump *dump,
			 struct ud_nl_part *out);

#endif /* UODPD_NLDEV_H */
