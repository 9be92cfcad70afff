// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The RDMA_VERBS_IOCTL decoder, with the kernel's rules (ib_uverbs_ioctl,
 * uverbs_set_attr): a struct ib_uverbs_ioctl_hdr whose length is exactly
 * the header and its num_attrs attributes, reserved fields zero
 * (EPROTONOSUPPORT), a method the table has (EPROTONOSUPPORT, which tells
 * libibverbs to fall back to the write() command), then each attribute:
 * flags only MANDATORY and VALID_OUTPUT, attr_data.reserved zero, no
 * attribute twice (EINVAL); an unknown one is ignored unless it is marked
 * mandatory (EPROTONOSUPPORT); pointers within their spec's lengths, IDR
 * and fd attributes of length zero, an IDR handle within 32 bits, an fd
 * within an int (EINVAL);
 * every mandatory attribute of the method present (EINVAL).
 *
 * Pure (no I/O, no state): it runs under the libFuzzer harness.
 */
#include <errno.h>
#include <string.h>

#include "uverbs.h"

static const struct ud_ioctl_desc *find_method(const struct ud_ioctl_desc *t,
					       unsigned int n, uint16_t object,
					       uint16_t method)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (t[i].object == object && t[i].method == method)
			return &t[i];
	return NULL;
}

static int find_spec(const struct ud_ioctl_desc *desc, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < desc->nattrs; i++)
		if (desc->attrs[i].id == id)
			return (int)i;
	return -1;
}

static int check_len(const struct ud_attr_spec *spec, uint16_t len,
		     uint64_t data)
{
	switch (spec->type) {
	case UD_ATTR_PTR_IN:
	case UD_ATTR_PTR_OUT:
		return len < spec->min_len || len > spec->max_len ? -EINVAL : 0;
	case UD_ATTR_IDR:
		return len || data >> 32 ? -EINVAL : 0;
	case UD_ATTR_FD:
		/* An fd is an int: lookup_get_fd_uobject's fdno != id. */
		return len || (int64_t)data != (int32_t)data ? -EINVAL : 0;
	case UD_ATTR_NEW_FD:
	case UD_ATTR_IDR_NEW:
		/* What the caller put in the room is overwritten, not read. */
		return len ? -EINVAL : 0;
	}
	return -EINVAL;
}

static int set_attr(const struct ud_ioctl_desc *desc,
		    const struct ib_uverbs_attr *ua, unsigned int index,
		    struct ud_ioctl_cmd *cmd)
{
	struct ud_ioctl_attr *a;
	int i, ret;

	if (ua->flags & ~(UVERBS_ATTR_F_MANDATORY | UVERBS_ATTR_F_VALID_OUTPUT))
		return -EINVAL;
	if (ua->attr_data.reserved)
		return -EINVAL;
	i = find_spec(desc, ua->attr_id);
	if (i < 0)
		return ua->flags & UVERBS_ATTR_F_MANDATORY ? -EPROTONOSUPPORT :
							      0;
	a = &cmd->attrs[i];
	if (a->present)
		return -EINVAL;
	ret = check_len(&desc->attrs[i], ua->len, ua->data);
	if (ret)
		return ret;
	a->present = true;
	a->index = index;
	a->flags = ua->flags;
	a->len = ua->len;
	a->data = ua->data;
	return 0;
}

int ud_ioctl_decode(const struct ud_ioctl_desc *table, unsigned int ntable,
		    const void *buf, size_t len, struct ud_ioctl_cmd *cmd)
{
	const struct ib_uverbs_ioctl_hdr *hdr = buf;
	const struct ib_uverbs_attr *ua;
	const struct ud_ioctl_desc *desc;
	unsigned int i;
	int ret;

	memset(cmd, 0, sizeof(*cmd));
	if (len < sizeof(*hdr) || len > UD_IOCTL_MAX_LEN)
		return -EINVAL;
	if (hdr->length != len ||
	    hdr->length != sizeof(*hdr) +
			   (size_t)hdr->num_attrs * sizeof(*ua))
		return -EINVAL;
	if (hdr->reserved1 || hdr->reserved2)
		return -EPROTONOSUPPORT;
	desc = find_method(table, ntable, hdr->object_id, hdr->method_id);
	if (!desc)
		return -EPROTONOSUPPORT;
	ua = (const struct ib_uverbs_attr *)((const uint8_t *)buf +
					     sizeof(*hdr));
	for (i = 0; i < hdr->num_attrs; i++) {
		ret = set_attr(desc, &ua[i], i, cmd);
		if (ret)
			return ret;
	}
	for (i = 0; i < desc->nattrs; i++)
		if (desc->attrs[i].mandatory && !cmd->attrs[i].present)
			return -EINVAL;
	cmd->desc = desc;
	cmd->num_attrs = hdr->num_attrs;
	return 0;
}

bool ud_ioctl_has(const struct ud_ioctl_desc *table, unsigned int ntable,
		  uint16_t object, uint16_t method)
{
	return find_method(table, ntable, object, method) != NULL;
}

const struct ud_ioctl_attr *ud_ioctl_attr(const struct ud_ioctl_cmd *cmd,
					  uint16_t id)
{
	int i = find_spec(cmd->desc, id);

	return i >= 0 && cmd->attrs[i].present ? &cmd->attrs[i] : NULL;
}

int ud_ioctl_get_const(const struct ud_ioctl_cmd *cmd, uint16_t id,
		       uint64_t max, uint64_t *out)
{
	const struct ud_ioctl_attr *a = ud_ioctl_attr(cmd, id);

	if (!a)
		return -ENOENT;
	/* The spec makes it 8 bytes: always inline. */
	if (a->data > max)
		return -EINVAL;
	*out = a->data;
	return 0;
}

int ud_ioctl_get_flags(const struct ud_ioctl_cmd *cmd, uint16_t id,
		       uint64_t allowed, uint64_t *out)
{
	const struct ud_ioctl_attr *a = ud_ioctl_attr(cmd, id);
	uint32_t low;

	*out = 0;
	if (!a)
		return 0;
	if (a->len == sizeof(low)) {
		memcpy(&low, &a->data, sizeof(low));
		*out = low;
	} else {
		*out = a->data;
	}
	return *out & ~allowed ? -EINVAL : 0;
}
