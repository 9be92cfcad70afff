/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Big-endian fields read from anywhere in a hardware buffer: WQEs, EQEs and
 * PRM mailboxes put them at offsets a C struct may not align.
 */
#ifndef UODP_HW_MLX5_BYTES_H
#define UODP_HW_MLX5_BYTES_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t mlx5_get_be16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static inline uint32_t mlx5_get_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static inline uint64_t mlx5_get_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

#endif /* UODP_HW_MLX5_BYTES_H */
