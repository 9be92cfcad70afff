// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The emulated HCA's identity and the sysfs text formats (see identity.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "identity.h"

static int checked_len(int written, size_t len)
{
	if (written < 0)
		return -EINVAL;
	if ((size_t)written >= len)
		return -ENOSPC;
	return written;
}

int ud_identity_ibdev_name(uint32_t index, char *buf, size_t len)
{
	return checked_len(snprintf(buf, len, UD_IDENTITY_IBDEV_PREFIX "%u",
				    index), len);
}

int ud_identity_uverbs_name(uint32_t index, char *buf, size_t len)
{
	return checked_len(snprintf(buf, len, UD_IDENTITY_UVERBS_PREFIX "%u",
				    index), len);
}

uint64_t ud_identity_node_guid(uint32_t index)
{
	return UD_IDENTITY_GUID_PREFIX | (index & 0xffffffu);
}

uint64_t ud_identity_sys_image_guid(uint32_t index)
{
	/* Like a single-port NIC: the system image GUID is the node GUID. */
	return ud_identity_node_guid(index);
}

int ud_identity_format_guid(uint64_t guid, char *buf, size_t len)
{
	return checked_len(snprintf(buf, len, "%04x:%04x:%04x:%04x",
				    (unsigned int)(guid >> 48) & 0xffff,
				    (unsigned int)(guid >> 32) & 0xffff,
				    (unsigned int)(guid >> 16) & 0xffff,
				    (unsigned int)guid & 0xffff), len);
}

/* Parses exactly four hex digits; -1 if they are not there. */
static int parse_hex16(const char *text)
{
	int value = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = text[i];
		int digit;

		if (c >= '0' && c <= '9')
			digit = c - '0';
		else if (c >= 'a' && c <= 'f')
			digit = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			digit = c - 'A' + 10;
		else
			return -1;
		value = value << 4 | digit;
	}
	return value;
}

/* Parses <groups> colon-separated 16-bit groups, then an optional newline. */
static int parse_groups(const char *text, uint16_t *groups, int ngroups)
{
	int i;

	for (i = 0; i < ngroups; i++) {
		int value = parse_hex16(text);

		if (value < 0)
			return -EINVAL;
		groups[i] = (uint16_t)value;
		text += 4;
		if (i + 1 < ngroups) {
			if (*text != ':')
				return -EINVAL;
			text++;
		}
	}
	if (*text == '\n')
		text++;
	return *text ? -EINVAL : 0;
}

int ud_identity_parse_guid(const char *text, uint64_t *guid)
{
	uint16_t groups[4];
	int ret;
	int i;

	ret = parse_groups(text, groups, 4);
	if (ret)
		return ret;
	*guid = 0;
	for (i = 0; i < 4; i++)
		*guid = *guid << 16 | groups[i];
	return 0;
}

int ud_identity_format_gid(const uint8_t raw[16], char *buf, size_t len)
{
	size_t pos = 0;
	int i;

	if (len < UD_IDENTITY_GID_TEXT_LEN + 1)
		return -ENOSPC;
	for (i = 0; i < 8; i++) {
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%02x%02x",
					i ? ":" : "", raw[2 * i],
					raw[2 * i + 1]);
	}
	return (int)pos;
}

int ud_identity_parse_gid(const char *text, uint8_t raw[16])
{
	uint16_t groups[8];
	int ret;
	int i;

	ret = parse_groups(text, groups, 8);
	if (ret)
		return ret;
	for (i = 0; i < 8; i++) {
		raw[2 * i] = groups[i] >> 8;
		raw[2 * i + 1] = groups[i] & 0xff;
	}
	return 0;
}

const char *ud_identity_gid_type_name(enum ud_identity_gid_type type)
{
	return type == UD_GID_TYPE_ROCE_V2 ? UD_IDENTITY_GID_TYPE_V2 :
					     UD_IDENTITY_GID_TYPE_V1;
}

/* True when text is name, optionally followed by one newline. */
static int matches_line(const char *text, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(text, name, n))
		return 0;
	return !text[n] || (text[n] == '\n' && !text[n + 1]);
}

int ud_identity_parse_gid_type(const char *text,
			       enum ud_identity_gid_type *type)
{
	if (matches_line(text, UD_IDENTITY_GID_TYPE_V1))
		*type = UD_GID_TYPE_ROCE_V1;
	else if (matches_line(text, UD_IDENTITY_GID_TYPE_V2))
		*type = UD_GID_TYPE_ROCE_V2;
	else
		return -EINVAL;
	return 0;
}
