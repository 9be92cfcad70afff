/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * An mlx5 UAR page (User Access Region): where software rings doorbells
 * with MMIO stores.  mmap offset ((cmd << 8) | index) * 4096 of the
 * command fd, cmd 0 for the static UARs; the first is index 0.  Doorbell
 * words are big-endian.
 */
#ifndef UODP_HW_MLX5_UAR_H
#define UODP_HW_MLX5_UAR_H

#include <assert.h>

enum {
	MLX5_UAR_PAGE_SIZE = 4096,
	/* CQ arm: (sn << 28 | cmd | ci), then the CQN, one 64-bit store */
	MLX5_CQ_DOORBELL = 0x20,
	/*
	 * Send doorbell: the first 8 bytes of the last WQE's control segment
	 * (or all of it, BlueFlame) into one of two alternating buffers.
	 */
	MLX5_BF_OFFSET = 0x800,
	MLX5_BF_BUF_SIZE = 0x100,	/* half of a 512-byte bf_reg_size */
};

static_assert(MLX5_BF_OFFSET + 2 * MLX5_BF_BUF_SIZE <= MLX5_UAR_PAGE_SIZE,
	      "both BlueFlame buffers in the page");

#endif /* UODP_HW_MLX5_UAR_H */
