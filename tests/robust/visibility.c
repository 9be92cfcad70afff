// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Who sees whose ODP MRs in the device-scope counters (issue 8, item 6).
 * The device lists every user's MRs only to a caller with CAP_NET_ADMIN
 * (RDMA netlink's rule for showing keys) or of the user uodpd runs as; any
 * other caller sees its own user's MRs and a count of the hidden ones.
 *
 *   uodp-visibility        the test (inside uodp-run); as root, its peers
 *                          run as nobody, and as uid 65533 with
 *                          CAP_NET_ADMIN kept; as a user, only that user
 *   uodp-visibility peer   one client: reads "UID NET_ADMIN" (UID -1: stay
 *                          who we are), registers an ODP MR, prints its
 *                          key, then answers each "list" with what the
 *                          device scope shows it
 *
 * Exit status 0 when every check passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <infiniband/verbs.h>
#include <linux/capability.h>

#include "lib/child.h"
#include "lib/rawdev.h"
#include "lib/report.h"

#define DEADLINE_MS 10000
#define MAX_KEYS 64
#define ODP_LW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND)
#define NOBODY 65534
#define OTHER_USER 65533
/* The counters' answer before it grew the visibility fields. */
#define OLD_SIZE offsetof(struct uodp_query_counters_resp, flags)

/* What one caller's device scope showed. */
struct listing {
	uint32_t flags, hidden, uid, owner_uid;
	uint32_t nkeys;
	uint32_t keys[MAX_KEYS];
	uint32_t pids[MAX_KEYS];
};

struct client {
	struct raw_dev dev;
	uint32_t pd;
	uint32_t key;
	void *buf;
};

static int client_open(struct client *c)
{
	int ret = raw_open(&c->dev);

	if (!ret)
		ret = raw_alloc_pd(&c->dev, &c->pd);
	if (ret)
		return ret;
	c->buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->buf == MAP_FAILED)
		return -errno;
	return raw_reg_mr(&c->dev, c->pd, c->buf, 4096, ODP_LW, &c->key);
}

/* Every page of the device-scope listing: 0 or -errno. */
static int list_device(struct raw_dev *dev, struct listing *l)
{
	struct uodp_query_counters_resp r;
	uint32_t cursor = 0, i;
	int ret;

	memset(l, 0, sizeof(*l));
	do {
		ret = raw_query_counters(dev, UODP_COUNTERS_DEVICE, cursor, &r);
		if (ret)
			return ret;
		for (i = 0; i < r.nmrs && l->nkeys < MAX_KEYS; i++) {
			l->keys[l->nkeys] = r.mrs[i].mr_key;
			l->pids[l->nkeys++] = r.mrs[i].owner_pid;
		}
		if (r.next_cursor && r.next_cursor <= cursor)
			return -EPROTO;		/* the cursor must advance */
		cursor = r.next_cursor;
	} while (cursor);
	l->flags = r.flags;
	l->hidden = r.mrs_hidden;
	l->uid = r.uid;
	l->owner_uid = r.owner_uid;
	return 0;
}

static bool listed(const struct listing *l, uint32_t key)
{
	uint32_t i;

	for (i = 0; i < l->nkeys; i++)
		if (l->keys[i] == key)
			return true;
	return false;
}

/* ---- the peer ---- */

/* Only CAP_NET_ADMIN, effective and permitted (after setresuid). */
static int keep_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {
		{ .effective = 1u << CAP_NET_ADMIN,
		  .permitted = 1u << CAP_NET_ADMIN },
	};

	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* Become uid (and its gid), as if started by that user. */
static int become(long uid, bool net_admin)
{
	if (uid < 0)
		return 0;
	if (net_admin && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -errno;
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	if (net_admin && keep_net_admin())
		return -errno;
	/* A uid change makes us undumpable; a user's own process is not. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}

static int run_peer(void)
{
	struct client c = { 0 };
	struct listing l;
	char line[64];
	long uid;
	int net_admin, ret;
	uint32_t i;

	if (!fgets(line, sizeof(line), stdin) ||
	    sscanf(line, "%ld %d", &uid, &net_admin) != 2)
		return 2;
	ret = become(uid, net_admin);
	if (!ret)
		ret = client_open(&c);
	if (ret) {
		printf("error %d\n", ret);
		return 1;
	}
	printf("key %u\n", c.key);
	while (fgets(line, sizeof(line), stdin)) {
		ret = list_device(&c.dev, &l);
		if (ret) {
			printf("error %d\n", ret);
			continue;
		}
		printf("seen %u %u %u %u %u", l.flags, l.hidden, l.uid,
		       l.owner_uid, l.nkeys);
		for (i = 0; i < l.nkeys; i++)
			printf(" %u:%u", l.keys[i], l.pids[i]);
		printf("\n");
	}
	raw_close(&c.dev);
	return 0;
}

/* ---- the test ---- */

struct peer {
	pid_t pid;
	FILE *from, *to;
	uint32_t key;
};

static bool peer_start(const char *argv0, struct peer *p, long uid,
		       bool net_admin)
{
	char line[64];

	p->pid = test_spawn_self(argv0, "peer", &p->from, &p->to);
	if (p->pid < 0)
		test_die("spawn", -p->pid);
	fprintf(p->to, "%ld %d\n", uid, net_admin);
	fflush(p->to);
	if (!test_read_line(p->from, line, sizeof(line), DEADLINE_MS) ||
	    sscanf(line, "key %u", &p->key) != 1) {
		test_check(false, "peer as uid %ld: no key (%s)", uid, line);
		return false;
	}
	return true;
}

static bool peer_list(struct peer *p, struct listing *l)
{
	char line[2048], *s;
	int n, used;
	uint32_t i;

	memset(l, 0, sizeof(*l));
	fprintf(p->to, "list\n");
	fflush(p->to);
	if (!test_read_line(p->from, line, sizeof(line), DEADLINE_MS) ||
	    sscanf(line, "seen %u %u %u %u %u%n", &l->flags, &l->hidden,
		   &l->uid, &l->owner_uid, &l->nkeys, &n) != 5 ||
	    l->nkeys > MAX_KEYS)
		return false;
	s = line + n;
	for (i = 0; i < l->nkeys; i++, s += used)
		if (sscanf(s, " %u:%u%n", &l->keys[i], &l->pids[i],
			   &used) != 2)
			return false;
	return true;
}

static void peer_stop(struct peer *p)
{
	int status;

	fclose(p->to);
	fclose(p->from);
	waitpid(p->pid, &status, 0);
	test_check(WIFEXITED(status) && !WEXITSTATUS(status),
		   "peer %d exits cleanly (0x%x)", (int)p->pid, status);
}

/* Nothing of another user in l, and no pid but those of uid's peers. */
static bool only_own(const struct listing *l, const pid_t *pids,
		     unsigned int npids)
{
	unsigned int i, j;

	for (i = 0; i < l->nkeys; i++) {
		for (j = 0; j < npids; j++)
			if (l->pids[i] == (uint32_t)pids[j])
				break;
		if (j == npids)
			return false;
	}
	return true;
}

/* An answer buffer of the size before the counts grew still works. */
static void check_short_buffer(struct client *me)
{
	struct uodp_query_counters_req req = { .scope = UODP_COUNTERS_DEVICE };
	struct uodp_query_counters_resp r;
	struct ib_uverbs_attr attrs[2];
	int ret;

	memset(&r, 0xee, sizeof(r));
	attrs[0] = raw_attr_in(UODP_IB_ATTR_ODP_COUNTERS_REQ, &req,
			       sizeof(req));
	attrs[1] = raw_attr_out(UODP_IB_ATTR_ODP_COUNTERS_RESP, &r, OLD_SIZE);
	ret = raw_ioctl(&me->dev, UODP_IB_OBJECT_ODP,
			UODP_IB_METHOD_ODP_QUERY_COUNTERS, attrs, 2);
	test_check(!ret && r.nmrs >= 1 && r.flags == 0xeeeeeeee,
		   "an answer buffer without the grown fields: %d, %u MRs, "
		   "nothing written past it", ret, r.nmrs);
	attrs[1] = raw_attr_out(UODP_IB_ATTR_ODP_COUNTERS_RESP, &r,
				OLD_SIZE - 1);
	ret = raw_ioctl(&me->dev, UODP_IB_OBJECT_ODP,
			UODP_IB_METHOD_ODP_QUERY_COUNTERS, attrs, 2);
	test_check_ret(ret, -EINVAL, "an answer buffer shorter than that");
}

/* Root: a hostile user, a peer of its user, a capable one, and us. */
static void test_users(const char *argv0, struct client *me)
{
	struct peer hostile, mate, capable;
	struct listing l;
	pid_t pids[2];
	bool ok;

	if (!peer_start(argv0, &hostile, NOBODY, false))
		return;
	ok = peer_list(&hostile, &l);
	test_check(ok && listed(&l, hostile.key) && !listed(&l, me->key) &&
		   l.hidden == 1 && l.flags & UODP_COUNTERS_F_OWN_USER_ONLY &&
		   l.uid == NOBODY && l.owner_uid == geteuid(),
		   "nobody's device scope: its MR, not root's (%u listed, %u "
		   "hidden, flags %#x, uid %u, owner %u)", l.nkeys, l.hidden,
		   l.flags, l.uid, l.owner_uid);
	pids[0] = hostile.pid;
	test_check(ok && only_own(&l, pids, 1),
		   "no other process's pid in nobody's listing");

	/* Its own user's objects are its own: another nobody sees them. */
	if (!peer_start(argv0, &mate, NOBODY, false))
		goto out_hostile;
	ok = peer_list(&mate, &l);
	pids[1] = mate.pid;
	test_check(ok && listed(&l, hostile.key) && listed(&l, mate.key) &&
		   !listed(&l, me->key) && l.hidden == 1 &&
		   only_own(&l, pids, 2),
		   "a second nobody sees both nobody MRs, not root's (%u "
		   "listed, %u hidden)", l.nkeys, l.hidden);

	/* Another uid with CAP_NET_ADMIN: what RDMA netlink trusts. */
	if (!peer_start(argv0, &capable, OTHER_USER, true))
		goto out_mate;
	ok = peer_list(&capable, &l);
	test_check(ok && listed(&l, me->key) && listed(&l, hostile.key) &&
		   listed(&l, mate.key) && listed(&l, capable.key) &&
		   !l.hidden && !(l.flags & UODP_COUNTERS_F_OWN_USER_ONLY),
		   "uid %d with CAP_NET_ADMIN sees every MR (%u listed, %u "
		   "hidden, flags %#x)", OTHER_USER, l.nkeys, l.hidden,
		   l.flags);
	ok = peer_list(&hostile, &l);
	test_check(ok && !listed(&l, capable.key) && l.hidden == 2,
		   "nobody does not see that uid's MR either (%u hidden)",
		   l.hidden);

	/* The device's own user (root here) sees everything. */
	ok = !list_device(&me->dev, &l);
	test_check(ok && l.nkeys == 4 && listed(&l, hostile.key) &&
		   listed(&l, mate.key) && listed(&l, capable.key) &&
		   listed(&l, me->key) && !l.hidden && !l.flags,
		   "root sees all 4 MRs (%u listed, %u hidden, flags %#x)",
		   l.nkeys, l.hidden, l.flags);
	peer_stop(&capable);
out_mate:
	peer_stop(&mate);
out_hostile:
	peer_stop(&hostile);
}

/* A user's own uodp-run: everyone is the device's user and sees all. */
static void test_one_user(const char *argv0, struct client *me)
{
	struct peer p;
	struct listing l;
	bool ok;

	if (!peer_start(argv0, &p, -1, false))
		return;
	ok = peer_list(&p, &l);
	test_check(ok && listed(&l, me->key) && listed(&l, p.key) &&
		   !l.hidden && !l.flags && l.uid == geteuid() &&
		   l.owner_uid == geteuid(),
		   "the device's own user sees every MR (%u listed, %u "
		   "hidden, flags %#x)", l.nkeys, l.hidden, l.flags);
	peer_stop(&p);
	printf("skip: other users' views need root (uid %u)\n",
	       (unsigned int)geteuid());
}

int main(int argc, char **argv)
{
	struct uodp_query_counters_resp r;
	struct client me = { 0 };
	struct listing l;
	int ret, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "peer"))
		return run_peer();
	ret = client_open(&me);
	if (ret)
		test_die("open " RAW_DEV_PATH " (inside uodp-run?)", -ret);
	if (geteuid() == 0)
		test_users(argv[0], &me);
	else
		test_one_user(argv[0], &me);
	check_short_buffer(&me);

	/* The bystander: our MR is as it was, our context still served. */
	ret = raw_query_counters(&me.dev, UODP_COUNTERS_CONTEXT, 0, &r);
	test_check(!ret && r.nmrs == 1 && r.mrs[0].mr_key == me.key &&
		   r.mrs[0].owner_pid == (uint32_t)getpid() &&
		   !r.mrs[0].faults && !r.mrs[0].pages_mapped,
		   "our own MR after the others: listed, untouched (%d)", ret);
	/* The device learns of the peers' exits on its own time. */
	for (i = 0; i < 200; i++) {
		ret = list_device(&me.dev, &l);
		if (ret || (l.nkeys == 1 && !l.hidden))
			break;
		usleep(10 * 1000);
	}
	test_check(!ret && l.nkeys == 1 && !l.hidden,
		   "the peers' MRs went with them (%u left)", l.nkeys);
	raw_close(&me.dev);
	printf("uodp-visibility: %d failure(s)\n", test_failures);
	return test_failures ? 1 : 0;
}
