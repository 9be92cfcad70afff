// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Unit test of the pinned-page accounts (pin.c): charges add up per
 * process up to the limit (equal passes, as ib_umem_get's new_pinned >
 * lock_limit), a refusal charges nothing, another process has its own
 * account, the last uncharge forgets the account, and a process that is
 * gone cannot be charged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uodpd.h"
#include "check.h"

static bool no_accounts(const struct uodpd *d)
{
	unsigned int i;

	for (i = 0; i < UD_PIN_HASH; i++)
		if (d->pin_hash[i])
			return false;
	return true;
}

int main(void)
{
	static struct uodpd d;
	struct ud_pin_acct *a, *b, *c, *x;
	pid_t self = getpid(), other;
	struct ud_ctx me = { .pid = self }, them = { 0 }, late;
	int st;

	/* A refused first charge leaves no account behind. */
	CHECK_EQ(ud_pin_charge(&d, &me, 200, 150, &a), -ENOMEM);
	CHECK(no_accounts(&d));

	CHECK_EQ(ud_pin_charge(&d, &me, 100, 150, &a), 0);
	CHECK_EQ(ud_pin_charge(&d, &me, 60, 150, &x), -ENOMEM);
	CHECK_EQ(ud_pin_charge(&d, &me, 50, 150, &b), 0);	/* 150: fits */
	CHECK(a == b);
	CHECK_EQ(ud_pin_pages(&d, self), 150);
	/* The limit is the caller's: a higher one lets more in. */
	CHECK_EQ(ud_pin_charge(&d, &me, UINT64_MAX, UD_PIN_UNLIMITED, &x),
		 -ENOMEM);				/* would wrap */
	CHECK_EQ(ud_pin_charge(&d, &me, 10, UD_PIN_UNLIMITED, &c), 0);
	CHECK_EQ(ud_pin_pages(&d, self), 160);

	/* Another process: its own account, ours untouched. */
	other = fork();
	if (!other) {
		pause();
		_exit(0);
	}
	them.pid = other;
	late = them;
	CHECK_EQ(ud_pin_charge(&d, &them, 150, 150, &x), 0);
	CHECK(x != a);
	CHECK_EQ(ud_pin_pages(&d, other), 150);
	CHECK_EQ(ud_pin_pages(&d, self), 160);
	ud_pin_uncharge(&d, x, 150);
	CHECK_EQ(ud_pin_pages(&d, other), 0);
	kill(other, SIGKILL);
	waitpid(other, &st, 0);
	/* A context that first charges once its process is gone. */
	CHECK_EQ(ud_pin_charge(&d, &late, 1, 150, &x), -ESRCH);

	/* Given back, MR by MR; the last one forgets the process. */
	ud_pin_uncharge(&d, a, 100);
	CHECK_EQ(ud_pin_pages(&d, self), 60);
	ud_pin_uncharge(&d, c, 10);
	CHECK(!no_accounts(&d));
	ud_pin_uncharge(&d, b, 50);
	CHECK_EQ(ud_pin_pages(&d, self), 0);
	CHECK(no_accounts(&d));
	return check_report("test_uodpd_pin");
}
