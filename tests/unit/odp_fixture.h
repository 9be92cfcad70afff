/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Shared by the ODP unit tests: a CHECK macro, big-endian byte writers
 * (fixtures are spelled out byte by byte, never produced by the code under
 * test) and a small MR table behind the parser's resolver.
 */
#ifndef UODP_TEST_ODP_FIXTURE_H
#define UODP_TEST_ODP_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "odp/parse.h"
#include "odp/policy.h"

#include "check.h"

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* MRs: A ODP in PD 1 (iova != addr), B pinned, C ODP of PD 2, I implicit. */
enum {
	KEY_A = 0x1100, RKEY_A = 0x1101,
	KEY_B = 0x2200,
	KEY_C = 0x3300,
	KEY_I = 0x4400,
	KEY_RO = 0x5500,	/* ODP, read-only */
	PDN = 1,
};
#define A_IOVA 0x10000ull
#define A_ADDR 0x7f0000000000ull
#define A_LEN 0x100000ull

static const struct uodp_odp_mr_info fixture_mrs[] = {
	{ KEY_A, RKEY_A, PDN, 0x1 | 0x2 | 0x4, A_ADDR, A_IOVA, A_LEN, true },
	{ KEY_B, KEY_B, PDN, 0x1, 0x600000, 0x600000, 0x1000, false },
	{ KEY_C, KEY_C, 2, 0x1, 0x700000, 0x700000, 0x1000, true },
	{ KEY_I, KEY_I, PDN, 0x1 | 0x2, 0, 0, UINT64_MAX, true },
	{ KEY_RO, KEY_RO + 1, PDN, 0x4, 0x800000, 0x800000, 0x10000, true },
};

static inline int fixture_lookup(void *arg, uint32_t key, bool remote,
				 struct uodp_odp_mr_info *mr)
{
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(fixture_mrs) / sizeof(fixture_mrs[0]); i++)
		if ((remote ? fixture_mrs[i].rkey : fixture_mrs[i].lkey) ==
		    key) {
			*mr = fixture_mrs[i];
			return 0;
		}
	return -ENOENT;
}

static const struct uodp_odp_mr_resolver fixture_resolver = {
	fixture_lookup, NULL
};

/* Send WQE pieces, written at byte offset off of a ring. */
static inline void ring_put32(uint8_t *ring, uint32_t size, uint32_t off,
			      uint32_t v)
{
	uint8_t b[4];
	uint32_t i;

	put32(b, v);
	for (i = 0; i < 4; i++)
		ring[(off + i) % size] = b[i];
}

static inline void ring_put64(uint8_t *ring, uint32_t size, uint32_t off,
			      uint64_t v)
{
	ring_put32(ring, size, off, (uint32_t)(v >> 32));
	ring_put32(ring, size, off + 4, (uint32_t)v);
}

static inline void ctrl_at(uint8_t *ring, uint32_t size, uint32_t off,
			   uint8_t opcode, uint16_t idx, uint32_t qpn,
			   uint32_t ds)
{
	ring_put32(ring, size, off, (uint32_t)idx << 8 | opcode);
	ring_put32(ring, size, off + 4, qpn << 8 | ds);
	ring_put32(ring, size, off + 8, 0);
	ring_put32(ring, size, off + 12, 0);
}

static inline void data_at(uint8_t *ring, uint32_t size, uint32_t off,
			   uint32_t len, uint32_t lkey, uint64_t addr)
{
	ring_put32(ring, size, off, len);
	ring_put32(ring, size, off + 4, lkey);
	ring_put64(ring, size, off + 8, addr);
}

#endif /* UODP_TEST_ODP_FIXTURE_H */
