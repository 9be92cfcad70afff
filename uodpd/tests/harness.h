/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The uodpd tests' one harness: the failure count and its CHECK macros
 * (every test), and for the tests that run the real daemon, a private
 * sysfs tree and socket, the daemon's start and stop, and a client of the
 * raw command protocol (no provider involved).  One copy, so that a fix
 * to how a response is read or a fixture is built reaches every test.
 */
#ifndef UODPD_TESTS_HARNESS_H
#define UODPD_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "rdma/uodp-abi.h"

/* Failed checks so far; a test exits non-zero if any. */
extern int failures;

/* Count a failure, say where and why, and go on with the test. */
#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			failures++;					\
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__,	\
				__LINE__, #cond);			\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
		}							\
	} while (0)

/* Both sides evaluated once; both expressions and values are printed. */
#define CHECK_EQ(a, b)							\
	do {								\
		long long a_ = (long long)(a), b_ = (long long)(b);	\
		if (a_ != b_) {						\
			failures++;					\
			fprintf(stderr,					\
				"FAIL %s:%d: %s == %s: %lld != %lld\n",	\
				__FILE__, __LINE__, #a, #b, a_, b_);	\
		}							\
	} while (0)

/* Print "prog: N failure(s)"; the exit status for main. */
int harness_report(const char *prog);

/* ---- the daemon ---- */

/* The private directory (sysfs tree, socket), the socket, the daemon. */
extern char tmpdir[64];
extern char sock_path[256];
extern pid_t daemon_pid;

/*
 * Check the command line (usage: prog PATH_TO_UODPD), ignore SIGPIPE (a
 * dead daemon must fail a check, not kill the test) and make the private
 * directory /tmp/uodpd-TAG-XXXXXX.  Exits on failure; returns the daemon.
 */
const char *harness_init(int argc, char **argv, const char *tag);

/*
 * Write the sysfs tree of ndevices devices and start the daemon on it;
 * returns once the daemon is listening.  Exits if it never gets there.
 */
void start_daemon(const char *bin, int ndevices);

/* SIGTERM: the daemon must exit 0 and remove its socket. */
void stop_daemon(void);

/* Remove the private directory. */
void harness_cleanup(void);

/* ---- the raw protocol ---- */

/* The most fds one message carries in either direction. */
#define HARNESS_MAX_FDS 8

/* A connected socket to the daemon; exits if there is none. */
int connect_daemon(void);

/* One message with nfds fds attached: 0 or -errno. */
int send_msg(int sock, const void *buf, size_t len, const int *fds,
	     int nfds);

/*
 * Receive one response within 10 s and return its status (-ETIMEDOUT,
 * -ECONNRESET on EOF, -EPROTO if shorter than a header).  The header's
 * length must match the message and a successful body must be resp_len
 * bytes (checked).  fds, if given, holds HARNESS_MAX_FDS; *nfds counts
 * every fd that came, including any closed for want of room.
 */
int recv_resp(int sock, void *resp, size_t resp_len, int *fds, int *nfds);

/* One request with fds, one response with rfds (as recv_resp). */
int cmd_full(int sock, uint32_t op, const void *req, size_t req_len,
	     const int *fds, int nfds, void *resp, size_t resp_len,
	     int *rfds, int *nrfds);
int cmd_fds(int sock, uint32_t op, const void *req, size_t req_len,
	    const int *fds, int nfds, void *resp, size_t resp_len);
int cmd(int sock, uint32_t op, const void *req, size_t req_len, void *resp,
	size_t resp_len);

/* A command whose body is a single handle. */
int handle_cmd(int sock, uint32_t op, uint32_t handle);

struct uodp_odp_engine_counters;

/* One connection = one context.  Absent fds are -1. */
struct client {
	int sock;
	int shared_fd, kick_fd, async_fd;
	struct uodp_shared_page *shared;
	size_t shared_size;
	uint32_t ctx_id;
	uint32_t pdn;			/* for tests that use one PD */
	/* ODP event channel and its stats page (test_odp) */
	int chan;
	int stats_fd;
	struct uodp_odp_engine_counters *stats;
	size_t stats_size;
};

/* Connected, no context yet. */
void client_connect(struct client *c);

/*
 * OPEN_CONTEXT on ibdev: the status.  On success the three fds came, the
 * daemon's pid and ABI version are right and the shared page is mapped.
 */
int open_context(struct client *c, const char *ibdev);

/* Connected with a context on uodp0 (checked). */
void client_open(struct client *c);

/* Everything the client holds; the daemon tears the context down. */
void client_close(struct client *c);

/* A new PD (checked); its pdn. */
uint32_t alloc_pd(struct client *c);

int reg_mr_iova(struct client *c, uint32_t pdn, uint64_t addr,
		uint64_t len, uint64_t iova, uint32_t access, uint32_t *key);

int modify_qp(struct client *c, uint32_t qpn, uint32_t mask,
	      const struct uodp_qp_attr *attr);

/* ---- memfds the daemon accepts (or must refuse) ---- */

/* A memfd of size bytes with seals added (none if 0); exits on failure. */
int memfd_with_seals(const char *name, size_t size, unsigned int seals);

/* A queue memfd, sealed SHRINK|GROW|SEAL as the daemon demands, or not. */
int queue_memfd(size_t size, bool sealed);

#endif /* UODPD_TESTS_HARNESS_H */
