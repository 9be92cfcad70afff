// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Unit test of the object limits (limits.c) on a device with tiny max_*:
 * a context is refused at its share, several contexts are refused at the
 * device's max even below their shares, and what one context gives back
 * is what another may take.  (The command-fd test, control.limits, sees
 * the share through the daemon; the device-wide max is too big to fill
 * there quickly.)
 */
#include <errno.h>

#include "uodpd.h"
#include "check.h"

static void fill(struct ud_ctx *ctx, enum ud_res r, unsigned int n)
{
	while (n--) {
		CHECK_EQ(ud_res_check(ctx, r), 0);
		ud_res_get(ctx, r);
	}
}

/* A device with these max_*, each context share percent of them. */
static void device(struct ud_device *dev, uint32_t qp, uint32_t cq,
		   uint32_t srq, uint32_t mr, uint32_t pd, uint32_t share)
{
	dev->attr.max_qp = qp;
	dev->attr.max_cq = cq;
	dev->attr.max_srq = srq;
	dev->attr.max_mr = mr;
	dev->attr.max_pd = pd;
	ud_limits_init(dev, share);
}

/*
 * The map budget caps CQs, QPs and SRQs together (each is a mapping of
 * its queue memfd) below the sum of their max_*.
 */
static int queue_cap(void)
{
	static struct ud_device dev;
	struct ud_ctx a = { .dev = &dev }, b = { .dev = &dev };

	device(&dev, 10, 3, 10, 1, 1, 50);
	CHECK_EQ(dev.res_max[UD_RES_QUEUE], 23);
	CHECK_EQ(dev.res_ctx_max[UD_RES_QUEUE], 11);
	ud_limits_cap_queues(&dev, 100);	/* no more than the sum */
	CHECK_EQ(dev.res_max[UD_RES_QUEUE], 23);
	ud_limits_cap_queues(&dev, 8);
	CHECK_EQ(dev.res_max[UD_RES_QUEUE], 8);
	CHECK_EQ(dev.res_ctx_max[UD_RES_QUEUE], 4);
	/* a: 1 CQ (its share of 3) and 3 QPs, then its 4 queues are up. */
	fill(&a, UD_RES_CQ, 1);
	fill(&a, UD_RES_QP, 3);
	CHECK_EQ(ud_res_check(&a, UD_RES_QP), -ENOMEM);
	CHECK_EQ(ud_res_check(&a, UD_RES_SRQ), -ENOMEM);
	/* PDs and MRs are not queues. */
	CHECK_EQ(ud_res_check(&a, UD_RES_PD), 0);
	/* b: its own 4 SRQs fill the device's 8 queues. */
	fill(&b, UD_RES_SRQ, 4);
	CHECK_EQ(dev.res_used[UD_RES_QUEUE], 8);
	ud_res_put(&a, UD_RES_QP);
	CHECK_EQ(dev.res_used[UD_RES_QUEUE], 7);
	CHECK_EQ(ud_res_check(&a, UD_RES_SRQ), 0);
	return 0;
}

int main(void)
{
	static struct ud_device dev;
	struct ud_ctx a = { .dev = &dev }, b = { .dev = &dev },
		      c = { .dev = &dev };

	/* 40%: 4 QPs, 1 CQ (rounded down), 400 SRQs, 2 MRs, 1 PD (at least 1) */
	device(&dev, 10, 3, 1000, 7, 1, 40);
	CHECK_EQ(dev.res_ctx_max[UD_RES_QP], 4);
	CHECK_EQ(dev.res_ctx_max[UD_RES_CQ], 1);
	CHECK_EQ(dev.res_ctx_max[UD_RES_SRQ], 400);
	CHECK_EQ(dev.res_ctx_max[UD_RES_MR], 2);
	CHECK_EQ(dev.res_ctx_max[UD_RES_PD], 1);

	/* Each context up to its share, and not one more. */
	fill(&a, UD_RES_QP, 4);
	CHECK_EQ(ud_res_check(&a, UD_RES_QP), -ENOMEM);
	fill(&b, UD_RES_QP, 4);
	CHECK_EQ(ud_res_check(&b, UD_RES_QP), -ENOMEM);
	/* c is below its share, but the device has only 2 left. */
	fill(&c, UD_RES_QP, 2);
	CHECK_EQ(dev.res_used[UD_RES_QP], 10);
	CHECK_EQ(ud_res_check(&c, UD_RES_QP), -ENOMEM);
	/* Other kinds are counted apart. */
	CHECK_EQ(ud_res_check(&c, UD_RES_SRQ), 0);

	/* What a gives back, c may take; a may take it back after. */
	ud_res_put(&a, UD_RES_QP);
	CHECK_EQ(ud_res_check(&c, UD_RES_QP), 0);
	ud_res_get(&c, UD_RES_QP);
	CHECK_EQ(ud_res_check(&a, UD_RES_QP), -ENOMEM);
	while (c.res_used[UD_RES_QP])
		ud_res_put(&c, UD_RES_QP);
	CHECK_EQ(ud_res_check(&a, UD_RES_QP), 0);
	CHECK_EQ(dev.res_used[UD_RES_QP], 7);

	/* A device with one PD: whoever holds it, the others wait. */
	fill(&b, UD_RES_PD, 1);
	CHECK_EQ(ud_res_check(&a, UD_RES_PD), -ENOMEM);
	ud_res_put(&b, UD_RES_PD);
	CHECK_EQ(ud_res_check(&a, UD_RES_PD), 0);

	/* 100%: one context may fill the device, as before limits. */
	ud_limits_init(&dev, 100);
	CHECK_EQ(dev.res_ctx_max[UD_RES_MR], 7);
	fill(&a, UD_RES_MR, 7);
	CHECK_EQ(ud_res_check(&a, UD_RES_MR), -ENOMEM);
	CHECK_EQ(ud_res_check(&b, UD_RES_MR), -ENOMEM);
	return queue_cap() + check_report("test_uodpd_limits");
}
