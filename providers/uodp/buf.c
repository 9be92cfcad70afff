// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Queue memory: a memfd sealed against resizing, mapped shared here and,
 * once its fd is sent with the create command, in uodpd.  The seals let the
 * daemon map it without fearing SIGBUS from a later ftruncate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uodp.h"

int uodp_qmem_alloc(struct uodp_qmem *m, size_t size, const char *name)
{
	long page = sysconf(_SC_PAGESIZE);
	int err;

	size = (size + page - 1) & ~(size_t)(page - 1);
	m->addr = NULL;
	m->size = size;
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
	uodp_qmem_close_fd(m);
	if (m->addr)
		munmap(m->addr, m->size);
	m->addr = NULL;
}
