// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Queue memory.  As on a kernel, a ring is the provider's own anonymous
 * memory, named to the device by address (mlx5's buf_addr and db_addr).
 * When the device offers UODP_EMU_CAP_QUEUE_MEMFD (the emulator's shared
 * queue memory) it is instead a memfd sealed against resizing, mapped
 * shared here and, once its fd is sent with the create command, in the
 * device: plain loads and stores there instead of a system call per
 * access.  The seals let the device map it without fearing SIGBUS from a
 * later ftruncate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "uodp.h"

static int alloc_anonymous(struct uodp_qmem *m, size_t size)
{
	m->addr = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->addr == MAP_FAILED) {
		m->addr = NULL;
		return errno;
	}
	/* As libmlx5's buffers: kept out of children if fork support is on. */
	if (ibv_dontfork_range(m->addr, size)) {
		munmap(m->addr, size);
		m->addr = NULL;
		return ENOMEM;
	}
	return 0;
}

int uodp_qmem_alloc(struct uodp_context *ctx, struct uodp_qmem *m,
		    size_t size, const char *name)
{
	long page = sysconf(_SC_PAGESIZE);
	int err;

	size = (size + page - 1) & ~(size_t)(page - 1);
	m->addr = NULL;
	m->size = size;
	m->fd = -1;
	if (!ctx->queue_memfd)
		return alloc_anonymous(m, size);
	m->fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m->fd < 0)
		return errno;
	if (ftruncate(m->fd, size) ||
	    fcntl(m->fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		goto err_close;
	m->addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd,
		       0);
	if (m->addr == MAP_FAILED) {
		m->addr = NULL;
		goto err_close;
	}
	return 0;

err_close:
	err = errno;
	close(m->fd);
	m->fd = -1;
	return err;
}

void uodp_qmem_close_fd(struct uodp_qmem *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

void uodp_qmem_free(struct uodp_qmem *m)
{
	bool anonymous = m->fd < 0;

	uodp_qmem_close_fd(m);
	if (!m->addr)
		return;
	if (anonymous)
		ibv_dofork_range(m->addr, m->size);
	munmap(m->addr, m->size);
	m->addr = NULL;
}

/*
 * The emulator's memfd reference for a create command: the memfd, or -1
 * (the device finds the ring at mlx5's addresses).
 */
void uodp_qmem_ref(const struct uodp_qmem *m, uint64_t buf_offset,
		   uint64_t dbrec_offset, struct uodp_qmem_ref *ref)
{
	*ref = (struct uodp_qmem_ref){ .fd = -1 };
	if (m->fd < 0)
		return;
	ref->fd = m->fd;
	ref->size = m->size;
	ref->buf_offset = buf_offset;
	ref->dbrec_offset = dbrec_offset;
}
