// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The sysfs tree libibverbs reads under $SYSFS_PATH (see
 * libibverbs-provider-abi.md), written as plain files.  Every file ends in a
 * newline, as sysfs attributes do; libibverbs strips it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "run.h"
#include "uodpd/uodpd.h"

#define ABI_VERSION_UVERBS_CLASS 6	/* class/infiniband_verbs/abi_version */
#define ABI_VERSION_DEVICE 1		/* uverbsK/abi_version */
#define ABI_VERSION_RDMA_CM 4		/* class/misc/rdma_cm/abi_version */

/* mkdir -p of path (which is modified in place and restored). */
static int make_dirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Writes len bytes of text to <dir>/<name>, a new read-only file. */
static int write_file(const char *dir, const char *name, const char *text,
		      int len)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	if (len && write(fd, text, len) != len)
		ret = errno ? -errno : -EIO;
	close(fd);
	return ret;
}

/* Writes the formatted text plus a newline to <dir>/<name>. */
static int __attribute__((format(printf, 3, 4)))
write_attr(const char *dir, const char *name, const char *fmt, ...)
{
	char text[256];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(text, sizeof(text) - 1, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(text) - 1)
		return -EINVAL;
	text[len++] = '\n';
	return write_file(dir, name, text, len);
}

struct sysfs_attr {
	const char *name;
	const char *value;
};

static int write_attrs(const char *dir, const struct sysfs_attr *attrs,
		       size_t count)
{
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < count; i++)
		ret = write_attr(dir, attrs[i].name, "%s", attrs[i].value);
	return ret;
}

/* Writes an empty file: libibverbs reads that as "no value". */
static int write_empty(const char *dir, const char *name)
{
	return write_file(dir, name, "", 0);
}

/* Builds <base>/<suffix> into out and creates it. */
static int sub_dir(char *out, const char *base, const char *suffix)
{
	if (snprintf(out, PATH_MAX, "%s/%s", base, suffix) >= PATH_MAX)
		return -ENAMETOOLONG;
	return make_dirs(out);
}

static int write_uverbs(const char *root, unsigned int index)
{
	char dir[PATH_MAX], uverbs[32], ibdev[32], sub[64];
	int ret;

	ud_identity_uverbs_name(index, uverbs, sizeof(uverbs));
	ud_identity_ibdev_name(index, ibdev, sizeof(ibdev));
	snprintf(sub, sizeof(sub), "class/infiniband_verbs/%s", uverbs);
	ret = sub_dir(dir, root, sub);
	if (ret)
		return ret;
	ret = write_attr(dir, "ibdev", "%s", ibdev);
	if (!ret)
		ret = write_attr(dir, "abi_version", "%d", ABI_VERSION_DEVICE);
	/* "0:0" tells libibverbs not to compare the char device's rdev. */
	if (!ret)
		ret = write_attr(dir, "dev", "0:0");
	return ret;
}

static int write_pkeys(const char *port_dir)
{
	char dir[PATH_MAX], name[16];
	unsigned int i;
	int ret;

	ret = sub_dir(dir, port_dir, "pkeys");
	for (i = 0; !ret && i < UD_IDENTITY_PKEY_TBL_LEN; i++) {
		snprintf(name, sizeof(name), "%u", i);
		ret = write_attr(dir, name, "0x%04x",
				 i ? 0 : UD_IDENTITY_DEFAULT_PKEY);
	}
	return ret;
}

/*
 * Every slot below the table length has all three files.  An empty slot
 * reads as the zero GID (ibv_query_gid_ex answers ENODATA for it), type
 * "IB/RoCE v1" (libibverbs fails the query with EINVAL on an unreadable type
 * file when gid_attrs/ exists) and an empty ndev (read as "no netdev").
 */
static int write_gids(const char *port_dir, const char *netdev,
		      const struct ud_netdev_gid *gids, unsigned int ngids)
{
	char gid_dir[PATH_MAX], type_dir[PATH_MAX], ndev_dir[PATH_MAX];
	char text[UD_IDENTITY_GID_TEXT_LEN + 1], name[16];
	static const uint8_t zero[16];
	unsigned int i;
	int ret;

	ret = sub_dir(gid_dir, port_dir, "gids");
	if (!ret)
		ret = sub_dir(type_dir, port_dir, "gid_attrs/types");
	if (!ret)
		ret = sub_dir(ndev_dir, port_dir, "gid_attrs/ndevs");
	for (i = 0; !ret && i < UODPD_GID_TBL_LEN; i++) {
		bool valid = i < ngids;

		snprintf(name, sizeof(name), "%u", i);
		ud_identity_format_gid(valid ? gids[i].raw : zero, text,
				       sizeof(text));
		ret = write_attr(gid_dir, name, "%s", text);
		if (!ret)
			ret = write_attr(type_dir, name, "%s",
					 ud_identity_gid_type_name(valid ?
						gids[i].type :
						UD_GID_TYPE_ROCE_V1));
		if (!ret)
			ret = valid ? write_attr(ndev_dir, name, "%s", netdev) :
				      write_empty(ndev_dir, name);
	}
	return ret;
}

static int write_port(const char *ibdev_dir, const char *netdev,
		      const struct ud_netdev_gid *gids, unsigned int ngids)
{
	char dir[PATH_MAX], sub[32], cap_mask[16];
	const struct sysfs_attr attrs[] = {
		{ "state", "4: ACTIVE" },
		{ "phys_state", "5: LinkUp" },
		{ "link_layer", "Ethernet" },
		{ "rate", UD_IDENTITY_PORT_RATE },
		{ "lid", "0x0" },
		{ "sm_lid", "0x0" },
		{ "lid_mask_count", "0" },
		{ "sm_sl", "0" },
		{ "cap_mask", cap_mask },
	};
	int ret;

	snprintf(cap_mask, sizeof(cap_mask), "0x%08x",
		 UD_IDENTITY_PORT_CAP_FLAGS);
	snprintf(sub, sizeof(sub), "ports/%u", UD_IDENTITY_PORT_NUM);
	ret = sub_dir(dir, ibdev_dir, sub);
	if (!ret)
		ret = write_attrs(dir, attrs, ARRAY_SIZE(attrs));
	if (!ret)
		ret = write_pkeys(dir);
	if (!ret)
		ret = write_gids(dir, netdev, gids, ngids);
	return ret;
}

static int write_ibdev(const char *root, unsigned int index,
		       const struct run_device_view *view)
{
	char dir[PATH_MAX], device_dir[PATH_MAX], ibdev[32], sub[64];
	char node_guid[24], sys_guid[24], node_desc[128];
	const struct sysfs_attr attrs[] = {
		{ "node_type", "1: CA" },
		{ "node_guid", node_guid },
		{ "sys_image_guid", sys_guid },
		{ "fw_ver", UD_IDENTITY_FW_VER },
		{ "hca_type", UD_IDENTITY_HCA_TYPE },
		{ "hw_rev", UD_IDENTITY_HW_REV },
		{ "board_id", UD_IDENTITY_BOARD_ID },
		{ "node_desc", node_desc },
	};
	struct utsname uts;
	int ret;

	ud_identity_ibdev_name(index, ibdev, sizeof(ibdev));
	ud_identity_format_guid(ud_identity_node_guid(index), node_guid,
				sizeof(node_guid));
	ud_identity_format_guid(ud_identity_sys_image_guid(index), sys_guid,
				sizeof(sys_guid));
	if (uname(&uts))
		strcpy(uts.nodename, "localhost");
	/* As the kernel's default: "<hostname> <ibdev>". */
	snprintf(node_desc, sizeof(node_desc), "%.64s %s", uts.nodename,
		 ibdev);
	snprintf(sub, sizeof(sub), "class/infiniband/%s", ibdev);
	ret = sub_dir(dir, root, sub);
	if (!ret)
		ret = write_attrs(dir, attrs, ARRAY_SIZE(attrs));
	if (!ret)
		ret = sub_dir(device_dir, dir, "device");
	if (!ret)
		ret = write_attr(device_dir, "modalias",
				 UD_IDENTITY_MODALIAS_PREFIX "%s", ibdev);
	if (!ret)
		ret = write_port(dir, view->netdev, view->gids, view->ngids);
	return ret;
}

int run_write_sysfs(const char *root, unsigned int ndevices,
		    const struct run_device_view *views)
{
	char dir[PATH_MAX];
	unsigned int i;
	int ret;

	ret = sub_dir(dir, root, "class/infiniband_verbs");
	if (!ret)
		ret = write_attr(dir, "abi_version", "%d",
				 ABI_VERSION_UVERBS_CLASS);
	if (!ret)
		ret = sub_dir(dir, root, "class/misc/rdma_cm");
	if (!ret)
		ret = write_attr(dir, "abi_version", "%d", ABI_VERSION_RDMA_CM);
	for (i = 0; !ret && i < ndevices; i++) {
		ret = write_uverbs(root, i);
		if (!ret)
			ret = write_ibdev(root, i, &views[i]);
	}
	if (ret)
		run_err("cannot write the sysfs tree under %s: %s", root,
			strerror(-ret));
	return ret;
}
