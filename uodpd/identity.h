/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The identity of the emulated HCA: names, GUIDs, version strings and the
 * sysfs text formats.  uodp-run writes the sysfs tree from these and uodpd
 * answers query_device/query_port from the same definitions (and reads the
 * GID table back from the files uodp-run wrote), so every value is defined
 * exactly once.
 *
 * The identity is honest: no real vendor's OUI or part number is claimed, so
 * stock tools (perftest, pyverbs, rdma-core tests) take their generic paths.
 * The vendor id 0x02756f has the locally-administered bit (0x02) set in its
 * first octet, which no IEEE-assigned OUI has; the GUIDs use the same prefix.
 */
#ifndef UODPD_IDENTITY_H
#define UODPD_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

/* Device names: "uodp<K>" and its uverbs node "uverbs<K>". */
#define UD_IDENTITY_IBDEV_PREFIX "uodp"
#define UD_IDENTITY_UVERBS_PREFIX "uverbs"
#define UD_IDENTITY_MODALIAS_PREFIX "uodp:"	/* modalias is "uodp:uodp<K>" */

/* Vendor id: 24-bit OUI, locally administered (see above); "uo" in ASCII. */
#define UD_IDENTITY_VENDOR_ID 0x02756fu
#define UD_IDENTITY_VENDOR_PART_ID 0x0001u
#define UD_IDENTITY_HW_VER 1u
#define UD_IDENTITY_HW_REV "0x1"		/* sysfs hw_rev */
#define UD_IDENTITY_FW_VER "0.1.0"
#define UD_IDENTITY_BOARD_ID "UODP_EMULATED_HCA"
#define UD_IDENTITY_HCA_TYPE "UODP-EMU"

/*
 * GUIDs (host order; ibv_device_attr wants them big-endian: htobe64).
 * 02:75:6f:64:70 = locally administered + "uodp"; then the device index in
 * the low 24 bits, so GUIDs are deterministic and unique per device.
 */
#define UD_IDENTITY_GUID_PREFIX 0x02756f6470000000ull

/* Port 1: Ethernet (RoCE), 4X EDR-like, 4096-byte MTU. */
#define UD_IDENTITY_PORT_NUM 1u
#define UD_IDENTITY_PORT_ACTIVE_WIDTH 2u	/* IBV_WIDTH_4X */
#define UD_IDENTITY_PORT_ACTIVE_SPEED 32u	/* EDR, 25 Gb/s per lane */
#define UD_IDENTITY_PORT_RATE "100 Gb/sec (4X EDR)"
#define UD_IDENTITY_PORT_MTU 5u			/* IBV_MTU_4096 */
/* IBV_PORT_CM_SUP | IBV_PORT_IP_BASED_GIDS, as a RoCE port reports. */
#define UD_IDENTITY_PORT_CAP_FLAGS 0x04010000u
#define UD_IDENTITY_PKEY_TBL_LEN 128u		/* pkeys/0 = 0xffff, rest 0 */
#define UD_IDENTITY_DEFAULT_PKEY 0xffffu
#define UD_IDENTITY_GID_TBL_LEN 16u

/*
 * sysfs GID text: "xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx" (39 chars);
 * empty slots are all zeros.  Types as the kernel spells them.
 */
#define UD_IDENTITY_GID_TEXT_LEN 39
#define UD_IDENTITY_GID_TYPE_V1 "IB/RoCE v1"
#define UD_IDENTITY_GID_TYPE_V2 "RoCE v2"

enum ud_identity_gid_type {
	UD_GID_TYPE_ROCE_V1 = 0,	/* same values as struct ud_gid.type */
	UD_GID_TYPE_ROCE_V2 = 1,
};

/* "uodp<index>" into buf; returns snprintf's count, -ENOSPC if cut. */
int ud_identity_ibdev_name(uint32_t index, char *buf, size_t len);
/* "uverbs<index>" into buf; same return. */
int ud_identity_uverbs_name(uint32_t index, char *buf, size_t len);

/* Node GUID of device <index>, host order. */
uint64_t ud_identity_node_guid(uint32_t index);
/* System image GUID of device <index> (one device per "system"), host order. */
uint64_t ud_identity_sys_image_guid(uint32_t index);

/* "xxxx:xxxx:xxxx:xxxx" (sysfs node_guid format); buf >= 20 bytes. */
int ud_identity_format_guid(uint64_t guid, char *buf, size_t len);
/* Parses the sysfs GUID format; 0 or -EINVAL. */
int ud_identity_parse_guid(const char *text, uint64_t *guid);

/* sysfs GID text of raw[16]; buf >= UD_IDENTITY_GID_TEXT_LEN + 1 bytes. */
int ud_identity_format_gid(const uint8_t raw[16], char *buf, size_t len);
/* Parses sysfs GID text (a trailing newline is allowed); 0 or -EINVAL. */
int ud_identity_parse_gid(const char *text, uint8_t raw[16]);

/* GID type text <-> enum; parse returns 0 or -EINVAL (newline allowed). */
const char *ud_identity_gid_type_name(enum ud_identity_gid_type type);
int ud_identity_parse_gid_type(const char *text,
			       enum ud_identity_gid_type *type);

#endif /* UODPD_IDENTITY_H */
